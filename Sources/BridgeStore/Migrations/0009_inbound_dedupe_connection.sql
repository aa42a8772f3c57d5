-- The connection that carried the first copy of an inbound PDU.
--
-- An SMSC sends an MO again when it did not get our deliver_sm_resp: the connection was lost
-- before the answer arrived, or the answer came after its timeout. Within a connection that stays
-- up, an answer in time always arrives — so the same PDU again on the same connection is a new
-- message from the phone ("YES" sent twice), not a redelivery, and is stored, not dropped. (The
-- service notes the copies it answered late or with an error, and treats their repeats on the
-- same connection as redeliveries.) NULL for rows from before: as before, any repeat within the
-- window is a redelivery.
ALTER TABLE inbound_dedupe ADD COLUMN connection bigint;
