-- Webhooks: the accounts' callback settings and signing secrets, the outbox of deliveries (written
-- in the same transaction as the status change or inbound message it reports), and the history of
-- every attempt.

CREATE TABLE account_webhooks (
    account_id              uuid PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    status_url              text,                          -- message.status events, unless the message has a callback_url
    inbound_url             text,                          -- message.inbound events
    -- HMAC-SHA256 key (kept in clear: it must sign); `whsec_` + 64 hex characters.
    secret                  text NOT NULL,
    -- After a rotation, the old secret also signs until it expires.
    previous_secret         text,
    previous_secret_expires_at timestamptz,
    updated_at              timestamptz NOT NULL DEFAULT now()
);

-- Accounts created before webhooks existed get a secret (gen_random_uuid draws from a strong source).
INSERT INTO account_webhooks (account_id, secret)
SELECT id, 'whsec_' || replace(gen_random_uuid()::text, '-', '') || replace(gen_random_uuid()::text, '-', '')
FROM accounts;

CREATE TYPE webhook_status AS ENUM ('pending', 'delivered', 'dead');

CREATE TABLE webhook_deliveries (
    id                      uuid PRIMARY KEY,              -- the event id, in the payload too
    account_id              uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    event_type              text NOT NULL,                 -- message.status, message.inbound, webhook.test
    message_id              uuid,                          -- the MT or MO message
    sequence                integer NOT NULL,              -- the message's status_sequence (1 for inbound)
    url                     text NOT NULL,
    destination             text NOT NULL,                 -- host[:port] of the URL: concurrency and circuit breaking
    payload                 text NOT NULL,                 -- the JSON body, byte for byte as sent and signed
    status                  webhook_status NOT NULL DEFAULT 'pending',
    attempts                integer NOT NULL DEFAULT 0,    -- attempts since created or redelivered
    retry_since             timestamptz NOT NULL DEFAULT now(), -- the retry budget runs from here (reset by redelivery)
    next_attempt_at         timestamptz NOT NULL DEFAULT now(),
    -- Set while a worker posts it; the lease is next_attempt_at (due again if the worker dies).
    lease_token             uuid,
    last_attempt_at         timestamptz,
    last_status_code        integer,
    last_error              text,
    last_response           text,                          -- the first 512 characters of the body
    last_latency_ms         integer,
    created_at              timestamptz NOT NULL DEFAULT now(),
    delivered_at            timestamptz,
    updated_at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_account ON webhook_deliveries (account_id, created_at DESC, id DESC);
CREATE INDEX webhook_deliveries_message ON webhook_deliveries (message_id, sequence);

CREATE TABLE webhook_attempts (
    id                      bigserial PRIMARY KEY,
    delivery_id             uuid NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempted_at            timestamptz NOT NULL,
    status_code             integer,                       -- NULL: no response (network error, timeout, refused)
    error                   text,
    response_excerpt        text,
    latency_ms              integer NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);
