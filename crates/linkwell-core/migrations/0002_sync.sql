-- Linkwell local schema, version 2: sync state. Append-only: never edit a migration that has shipped.

-- Where this laptop syncs, its credential and an honest record of the last attempts (one row).
CREATE TABLE sync_state (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    server_url TEXT,
    token TEXT,
    organisation_id TEXT,
    last_attempt_at TEXT,
    last_success_at TEXT,
    last_error TEXT,
    -- 1 when the last pull reached the end of the server's changes.
    pull_complete INTEGER NOT NULL DEFAULT 0
);

-- What the server said about each change sent (applied, merged, rejected with its reason...).
ALTER TABLE change_log ADD COLUMN result TEXT;

-- "Changes to review": every losing value and every refusal, never discarded.
CREATE TABLE sync_review (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,          -- conflict rule, 'rejected' or 'quarantined'
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    field TEXT,
    kept TEXT,
    lost TEXT,
    detail TEXT,
    needs_review INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    reviewed_at TEXT
);
CREATE INDEX sync_review_open ON sync_review(needs_review, reviewed_at);

-- Changes pulled from the server that could not be placed here: kept, never dropped.
CREATE TABLE sync_inbox_held (
    server_seq INTEGER PRIMARY KEY,
    mutation TEXT NOT NULL,
    reason TEXT NOT NULL,
    held_at TEXT NOT NULL
);
