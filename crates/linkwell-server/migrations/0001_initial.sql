-- The server's first schema (user_version 1). Append-only: never edit a shipped migration.
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE team (id TEXT PRIMARY KEY, name TEXT NOT NULL, locality TEXT);
CREATE TABLE worker (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL,
    team_id TEXT NOT NULL REFERENCES team(id), active INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE membership (
    worker_id TEXT NOT NULL REFERENCES worker(id), team_id TEXT NOT NULL REFERENCES team(id),
    PRIMARY KEY (worker_id, team_id)
) WITHOUT ROWID;
CREATE TABLE enrolment (
    code_hash TEXT PRIMARY KEY, worker_id TEXT NOT NULL REFERENCES worker(id),
    created_at TEXT NOT NULL, expires_at TEXT NOT NULL, used_at TEXT, device_id TEXT
);
CREATE TABLE device (
    id TEXT PRIMARY KEY, worker_id TEXT NOT NULL REFERENCES worker(id),
    token_hash TEXT NOT NULL UNIQUE, enrolled_at TEXT NOT NULL, revoked_at TEXT,
    last_seq INTEGER NOT NULL DEFAULT 0, clone_suspected_at TEXT
);
-- Every mutation ever received, with the result it got: a retry gets the same answer.
CREATE TABLE received (
    mutation_id TEXT PRIMARY KEY, device_id TEXT NOT NULL, device_seq INTEGER NOT NULL,
    payload_hash TEXT NOT NULL, result TEXT NOT NULL, received_at TEXT NOT NULL,
    UNIQUE (device_id, device_seq)
);
-- The ordered stream devices pull: effective changes (after conflict rules) and corrections.
CREATE TABLE change (
    server_seq INTEGER PRIMARY KEY, mutation TEXT NOT NULL, team_id TEXT, person_id TEXT,
    device_id TEXT
);
-- Which team or person each record belongs to (its visibility).
CREATE TABLE entity (
    kind TEXT NOT NULL, id TEXT NOT NULL, team_id TEXT, person_id TEXT,
    PRIMARY KEY (kind, id)
) WITHOUT ROWID;
-- Each field's current value and the clock that wrote it.
CREATE TABLE field (
    kind TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL,
    hlc TEXT NOT NULL, server_seq INTEGER NOT NULL, device_id TEXT NOT NULL,
    PRIMARY KEY (kind, id, name)
) WITHOUT ROWID;
-- Every losing value, kept and shown.
CREATE TABLE conflict (
    id TEXT PRIMARY KEY, server_seq INTEGER NOT NULL, kind TEXT NOT NULL, entity_id TEXT NOT NULL,
    field TEXT NOT NULL, rule TEXT NOT NULL, kept TEXT NOT NULL, lost TEXT NOT NULL,
    lost_mutation_id TEXT NOT NULL, lost_device_id TEXT NOT NULL, needs_review INTEGER NOT NULL,
    team_id TEXT, person_id TEXT, created_at TEXT NOT NULL, reviewed_at TEXT
);
CREATE INDEX conflict_seq ON conflict(server_seq);
-- What could not be placed (e.g. a note for a person reassigned meanwhile): never dropped.
CREATE TABLE quarantine (
    mutation_id TEXT PRIMARY KEY, device_id TEXT NOT NULL, mutation TEXT NOT NULL,
    reason TEXT NOT NULL, created_at TEXT NOT NULL, resolved_at TEXT
);
