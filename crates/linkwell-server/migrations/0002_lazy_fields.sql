-- Records created and never changed keep no `field` rows: their values are read from their
-- create in the stream (entity.created_seq) until a first update writes them out
-- (fields_kept = 1). Most records (notes, revisions, measures, audit events) are never
-- updated, so a push writes far fewer rows. Records from before this migration keep theirs.
ALTER TABLE entity ADD COLUMN created_seq INTEGER;
ALTER TABLE entity ADD COLUMN fields_kept INTEGER NOT NULL DEFAULT 1;
UPDATE entity SET created_seq = (
    SELECT MIN(f.server_seq) FROM field f WHERE f.kind = entity.kind AND f.id = entity.id
);
-- The record a quarantined change waits for (its own, or its parent), so that placing a
-- record finds what waits for it by index instead of scanning the quarantine. Filled in for
-- earlier rows by the migration's hook.
ALTER TABLE quarantine ADD COLUMN awaits TEXT;
CREATE INDEX quarantine_awaiting ON quarantine (awaits) WHERE resolved_at IS NULL;
-- Receipts are only ever looked up by mutation id: keyed by it alone, one b-tree instead of
-- three (the device's sequence is checked against device.last_seq, not by a constraint).
CREATE TABLE received_by_id (
    mutation_id TEXT PRIMARY KEY, device_id TEXT NOT NULL, device_seq INTEGER NOT NULL,
    payload_hash TEXT NOT NULL, result TEXT NOT NULL, received_at TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO received_by_id SELECT mutation_id, device_id, device_seq, payload_hash, result, received_at FROM received;
DROP TABLE received;
ALTER TABLE received_by_id RENAME TO received;
-- Never read: each change's device (and worker) is in its mutation.
ALTER TABLE change DROP COLUMN device_id;
