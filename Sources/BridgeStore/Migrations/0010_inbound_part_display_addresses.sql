-- How the API shows a waiting part's sender and recipient (`Address.displayText`: an international
-- number as `+` and its digits, octets that are not UTF-8 as Latin-1), kept with the part because
-- it needs the address's TON, which `source` and `destination` do not hold. Those two stay the
-- octets as received: they identify a message's parts (and its de-duplication key), and
-- normalising them would split a set whose parts were stored before this version, or whose parts
-- disagree on the TON. NULL for parts stored by an earlier version: their addresses are shown as
-- they came. Only adds a column; safe while instances run.
ALTER TABLE inbound_parts
    ADD COLUMN display_source text,
    ADD COLUMN display_destination text;
