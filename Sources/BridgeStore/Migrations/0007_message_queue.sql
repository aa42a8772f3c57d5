-- The dispatch queue and its leases move from `messages` to a narrow table of their own.
--
-- `messages` had two partial indexes whose predicate named `status` (due and leased messages), so
-- every status change (sending, sent, delivered) was a non-HOT update that added an entry to each
-- of the table's six indexes. Now no index of `messages` names a column that changes after the
-- insert: status changes are HOT updates (room on the page kept by the fill factor), and only the
-- queue's two small indexes churn. A message has a row here from acceptance until it leaves the
-- queue for good (sent, failed, expired or canceled); `lease_owner` is set while an instance sends it.
--
-- Instances of the previous version read and write the columns this drops: it is applied only
-- while no instance runs (docs/OPERATIONS.md, "Upgrading").
-- smsbridge: stop all instances
CREATE TABLE message_queue (
    message_id          uuid PRIMARY KEY,
    connector           text NOT NULL,
    priority            smallint NOT NULL,      -- 0 normal, 1 urgent
    next_attempt_at     timestamptz NOT NULL,   -- send_at, or the time of the next retry
    scheduled           boolean NOT NULL,       -- waits for its send_at (status `scheduled`)
    lease_owner         uuid,                   -- the instance sending it (status `sending`)
    lease_expires_at    timestamptz
) WITH (fillfactor = 70);
CREATE INDEX message_queue_due ON message_queue (priority DESC, next_attempt_at) WHERE lease_owner IS NULL;
CREATE INDEX message_queue_leased ON message_queue (lease_expires_at) WHERE lease_owner IS NOT NULL;

INSERT INTO message_queue (message_id, connector, priority, next_attempt_at, scheduled, lease_owner, lease_expires_at)
SELECT id, connector, priority, next_attempt_at, status = 'scheduled',
    CASE WHEN status = 'sending' THEN lease_owner END,
    CASE WHEN status = 'sending' THEN COALESCE(lease_expires_at, now()) END
FROM messages WHERE status IN ('scheduled', 'queued', 'sending');

DROP INDEX messages_due;
DROP INDEX messages_leased;
ALTER TABLE messages DROP COLUMN next_attempt_at, DROP COLUMN lease_owner, DROP COLUMN lease_expires_at;

-- Room on each page for the updated versions of its rows (HOT updates); applies to new pages.
ALTER TABLE messages SET (fillfactor = 80);
ALTER TABLE message_parts SET (fillfactor = 80);
