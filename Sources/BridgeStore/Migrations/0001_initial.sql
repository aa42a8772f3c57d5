-- SMSBridge initial schema: accounts and API keys, messages and their parts, receipts,
-- inbound messages, idempotency records, and instance heartbeats for leases.

CREATE TABLE accounts (
    id                      uuid PRIMARY KEY,
    name                    text NOT NULL UNIQUE,
    created_at              timestamptz NOT NULL DEFAULT now(),
    -- Messages per second this account may submit over HTTP; NULL uses the service default.
    rate_limit              double precision
);

CREATE TABLE api_keys (
    id                      uuid PRIMARY KEY,
    account_id              uuid NOT NULL REFERENCES accounts (id),
    -- The first characters of the key, shown in listings ("sbk_3f9a1c…").
    prefix                  text NOT NULL UNIQUE,
    -- SHA-256 of the whole key; the key itself is never stored.
    key_hash                bytea NOT NULL UNIQUE,
    created_at              timestamptz NOT NULL DEFAULT now(),
    revoked_at              timestamptz
);
CREATE INDEX api_keys_account ON api_keys (account_id);

CREATE TYPE message_status AS ENUM (
    'scheduled', 'queued', 'sending', 'sent', 'delivered', 'undelivered', 'expired', 'rejected', 'failed', 'canceled'
);

CREATE TABLE messages (
    id                      uuid PRIMARY KEY,              -- the public id (time-ordered)
    account_id              uuid NOT NULL REFERENCES accounts (id),
    status                  message_status NOT NULL,
    destination             text NOT NULL,
    source                  text NOT NULL,
    body                    text,                          -- the text, or NULL for binary
    binary_body             bytea,                         -- binary user data, or NULL
    encoding                text NOT NULL,                 -- gsm7, ucs2, latin1, ascii, binary
    part_count              smallint NOT NULL,
    client_ref              text,
    callback_url            text,
    tags                    text[] NOT NULL DEFAULT '{}',
    priority                smallint NOT NULL DEFAULT 0,   -- 0 normal, 1 urgent
    request_receipt         boolean NOT NULL,
    validity_seconds        integer,
    send_at                 timestamptz,
    expires_at              timestamptz,
    connector               text NOT NULL,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    -- Dispatching: when the message may be claimed next, how often it was tried, who holds it.
    next_attempt_at         timestamptz NOT NULL DEFAULT now(),
    attempts                integer NOT NULL DEFAULT 0,
    lease_owner             uuid,
    lease_expires_at        timestamptz,
    sent_at                 timestamptz,
    done_at                 timestamptz,
    error_code              integer,                       -- SMPP command_status or network error
    error_description       text,
    -- Increments with every status change; webhooks carry it so receivers can order events.
    status_sequence         integer NOT NULL DEFAULT 1
);
CREATE INDEX messages_due ON messages (priority DESC, next_attempt_at) WHERE status IN ('queued', 'scheduled');
CREATE INDEX messages_leased ON messages (lease_expires_at) WHERE status = 'sending';
CREATE INDEX messages_account_created ON messages (account_id, created_at DESC, id DESC);
CREATE INDEX messages_account_client_ref ON messages (account_id, client_ref) WHERE client_ref IS NOT NULL;
CREATE INDEX messages_account_destination ON messages (account_id, destination);

CREATE TABLE message_parts (
    message_id              uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    part_number             smallint NOT NULL,             -- 1-based
    -- The submit_sm body to send, encoded (addresses, data_coding, UDH or SAR, registered_delivery).
    pdu                     bytea NOT NULL,
    status                  text NOT NULL DEFAULT 'pending', -- pending, submitted, delivered, undelivered, expired, rejected, failed
    smsc_message_id         text,                          -- as the SMSC wrote it in submit_sm_resp
    smsc_id_key             text,                          -- normalised for receipt matching
    submitted_at            timestamptz,
    done_at                 timestamptz,
    error_code              integer,
    PRIMARY KEY (message_id, part_number)
);
-- Receipts are matched by (connector, normalised SMSC id); the connector is the message's.
CREATE INDEX message_parts_smsc_id ON message_parts (smsc_id_key) WHERE smsc_id_key IS NOT NULL;

CREATE TABLE receipts (
    id                      bigserial PRIMARY KEY,
    connector               text NOT NULL,
    smsc_message_id         text NOT NULL,                 -- as the receipt wrote it
    id_keys                 text[] NOT NULL,               -- normalised candidates, most likely first
    message_id              uuid REFERENCES messages (id) ON DELETE CASCADE,  -- NULL while unmatched
    part_number             smallint,
    stat                    text,                          -- DELIVRD, UNDELIV, … as received
    state                   text NOT NULL,                 -- our status for it: delivered, undelivered, …
    intermediate            boolean NOT NULL DEFAULT false,
    error_code              text,                          -- the receipt's err:
    network_error           integer,                       -- network_error_code (type << 16 | code)
    raw                     text,
    received_at             timestamptz NOT NULL DEFAULT now(),
    matched_at              timestamptz
);
CREATE INDEX receipts_unmatched ON receipts USING gin (id_keys) WHERE message_id IS NULL;
CREATE INDEX receipts_unmatched_age ON receipts (received_at) WHERE message_id IS NULL;
CREATE INDEX receipts_message ON receipts (message_id, part_number);

CREATE TABLE inbound_parts (
    connector               text NOT NULL,
    source                  text NOT NULL,
    destination             text NOT NULL,
    reference               integer NOT NULL,
    total                   smallint NOT NULL,
    sequence                smallint NOT NULL,
    data_coding             smallint NOT NULL,
    user_data               bytea NOT NULL,                -- without the User Data Header
    received_at             timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (connector, source, destination, reference, total, sequence)
);
CREATE INDEX inbound_parts_age ON inbound_parts (received_at);

CREATE TABLE inbound_messages (
    id                      uuid PRIMARY KEY,
    account_id              uuid REFERENCES accounts (id), -- NULL when no route matched
    connector               text NOT NULL,
    source                  text NOT NULL,
    destination             text NOT NULL,
    text                    text,
    binary_body             bytea,
    data_coding             smallint NOT NULL,
    part_count              smallint NOT NULL,
    complete                boolean NOT NULL,              -- false: delivered after the reassembly timeout with parts missing
    received_at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inbound_messages_account ON inbound_messages (account_id, received_at DESC, id DESC);

-- An SMSC that re-sends an MO after a lost deliver_sm_resp must not create a second message.
CREATE TABLE inbound_dedupe (
    key                     text PRIMARY KEY,
    seen_at                 timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inbound_dedupe_age ON inbound_dedupe (seen_at);

CREATE TABLE idempotency_keys (
    account_id              uuid NOT NULL REFERENCES accounts (id),
    key                     text NOT NULL,
    request_hash            bytea NOT NULL,
    status_code             smallint NOT NULL,
    response                bytea NOT NULL,
    created_at              timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, key)
);
CREATE INDEX idempotency_keys_age ON idempotency_keys (created_at);

CREATE TABLE instances (
    id                      uuid PRIMARY KEY,
    started_at              timestamptz NOT NULL DEFAULT now(),
    heartbeat_at            timestamptz NOT NULL DEFAULT now()
);
