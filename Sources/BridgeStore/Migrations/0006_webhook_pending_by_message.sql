-- Claiming a webhook checks that no earlier event of the same message is still pending. Without an
-- index of pending rows by message, a planner whose statistics lag the outbox's growth scanned
-- every pending row for each candidate (10 ms of a 28 ms claim with 5 000 pending events).
CREATE INDEX webhook_deliveries_pending_message ON webhook_deliveries (message_id, sequence)
    WHERE status = 'pending';
