-- Unmatched receipts are found by id key for every recorded batch of submit responses. Through the
-- GIN index on receipts.id_keys the planner, whose statistics lag a fast-growing table, preferred
-- scanning every unmatched receipt and testing each against all the batch's keys: 0.7 s per batch
-- with 10 000 unmatched receipts (a benchmark whose receipts come 0.1 s after submit). One row per
-- candidate key of each unmatched receipt, in a plain B-tree, makes the lookup an equality join:
-- an index probe per key, or one hash join over the keys at worst. Rows live only while their
-- receipt is unmatched.
CREATE TABLE unmatched_receipt_keys (
    connector               text NOT NULL,
    key                     text NOT NULL,
    receipt_id              bigint NOT NULL REFERENCES receipts (id) ON DELETE CASCADE,
    position                smallint NOT NULL,             -- 1 = the receipt's most likely id form
    PRIMARY KEY (connector, key, receipt_id)
);
CREATE INDEX unmatched_receipt_keys_receipt ON unmatched_receipt_keys (receipt_id);

INSERT INTO unmatched_receipt_keys (connector, key, receipt_id, position)
SELECT DISTINCT ON (r.connector, k.key, r.id) r.connector, k.key, r.id, k.position
FROM receipts r CROSS JOIN LATERAL unnest(r.id_keys) WITH ORDINALITY AS k(key, position)
WHERE r.message_id IS NULL
ORDER BY r.connector, k.key, r.id, k.position;

DROP INDEX receipts_unmatched;
