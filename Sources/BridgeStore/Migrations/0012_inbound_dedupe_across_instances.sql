-- A repeat of an inbound PDU is a redelivery only when the connection that brought the last copy
-- is gone (migration 0009). An instance knows its own connections; for a copy another instance
-- stored, it needs that instance's: each de-duplication entry names the instance that stored it,
-- and each instance publishes its open SMPP connections with its heartbeat, with the time they
-- were read (`connections_at`, the publishing transaction's start, before the reading). A copy
-- newer than that reading is on a connection not known yet: counted as open (a phone's repeat
-- is then never dropped; an SMSC's redelivery through another instance right after a connection
-- loss may be stored twice). NULL for entries and instances of an earlier version: they count as
-- before. Only adds columns; safe while instances run.
ALTER TABLE inbound_dedupe ADD COLUMN instance uuid;
ALTER TABLE instances
    ADD COLUMN inbound_connections int8[],
    ADD COLUMN connections_at timestamptz;
