-- The claim shares a destination's room among the accounts posting there. When one account holds
-- much of it, its backlog can fill the claim's scan of the earliest due events and hide every other
-- account's; the claim then walks the destination's accounts with pending events (one probe each)
-- and takes each one's earliest due events, instead of reading the whole backlog. Only adds; safe
-- while instances run (like 0006, it is built under a lock that holds writes to
-- webhook_deliveries back while it reads the table).
CREATE INDEX webhook_deliveries_pending_destination ON webhook_deliveries (destination, account_id, next_attempt_at)
    WHERE status = 'pending';
