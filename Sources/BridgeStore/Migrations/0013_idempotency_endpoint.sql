-- The method and path an idempotency key was first used with (`POST /v1/messages/batch`): a key
-- belongs to one request of an account, and its reuse on another endpoint is refused as such
-- rather than compared with another endpoint's body. NULL for records of an earlier version, which
-- recorded only the two send endpoints (their bodies never match each other's): only the body is
-- compared then. Only adds a column; safe while instances run.
ALTER TABLE idempotency_keys ADD COLUMN endpoint text;
