-- Every rotated-out webhook secret keeps signing until the expiry its rotation promised: a second
-- rotation within an overlap used to overwrite `account_webhooks.previous_secret` and cut the
-- original secret off at once. The columns stay (instances of the previous version still read and
-- write them during a rolling upgrade; this version writes the latest retired secret there too and
-- also signs with a live one it finds only there). Redelivery: `attempts` now counts every attempt
-- of the event; `attempts_at_redelivery` is where the retry schedule's count starts, and
-- `redeliveries` tells receivers (`SMSBridge-Redelivery`) and the API a redelivery from a first
-- delivery. Only adds; safe while instances run.
CREATE TABLE webhook_retired_secrets (
    id                      bigserial PRIMARY KEY,
    account_id              uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    secret                  text NOT NULL,
    retired_at              timestamptz NOT NULL DEFAULT now(),
    expires_at              timestamptz NOT NULL
);
CREATE INDEX webhook_retired_secrets_account ON webhook_retired_secrets (account_id, expires_at);

INSERT INTO webhook_retired_secrets (account_id, secret, retired_at, expires_at)
SELECT account_id, previous_secret, updated_at, previous_secret_expires_at FROM account_webhooks
WHERE previous_secret IS NOT NULL AND previous_secret_expires_at > now();

ALTER TABLE webhook_deliveries
    ADD COLUMN attempts_at_redelivery integer NOT NULL DEFAULT 0,
    ADD COLUMN redeliveries integer NOT NULL DEFAULT 0;
