-- Since when a message has waited for the SMSC, for the queue's age bound (`503`): its acceptance
-- or `send_at`, kept while it goes round without reaching the SMSC (no session took it, the
-- connector paused or its SMSC away: `next_attempt_at` moves on each time, so it alone made an
-- outage look young), and moved to its next attempt after a retry the SMSC caused (a temporary
-- error: that back-off is the message's own, not a queue falling behind). NULL for rows queued by
-- an earlier version: their `next_attempt_at` stands in. Only adds a column; safe while instances run.
ALTER TABLE message_queue ADD COLUMN waiting_since timestamptz;
