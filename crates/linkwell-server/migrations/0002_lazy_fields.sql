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
