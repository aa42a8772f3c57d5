-- Connectors an operator paused (smsbridge admin API): no instance claims their messages until resumed.
-- Their sessions stay bound, so receipts and inbound messages keep arriving.
CREATE TABLE connector_pauses (
    connector   text PRIMARY KEY,
    paused_at   timestamptz NOT NULL DEFAULT now(),
    reason      text
);
