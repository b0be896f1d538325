-- The server's PostgreSQL schema, version 1: the same tables and columns as SQLite's schema 5
-- (crates/linkwell-server/migrations/0001-0005), so that one set of statements serves both.
-- Append-only: never edit a shipped migration; add the next file instead.
-- Integers are BIGINT (flags too, 0 or 1, as on SQLite); the stream's and receipts' ids are
-- bytes; a payload hash is text (its hex). Text compares byte by byte (COLLATE "C"), as on
-- SQLite, so every ORDER BY gives the same order on both.
CREATE TABLE meta (key TEXT COLLATE "C" PRIMARY KEY, value TEXT COLLATE "C" NOT NULL);
CREATE TABLE team (id TEXT COLLATE "C" PRIMARY KEY, name TEXT COLLATE "C" NOT NULL, locality TEXT COLLATE "C");
CREATE TABLE worker (
    id TEXT COLLATE "C" PRIMARY KEY, name TEXT COLLATE "C" NOT NULL, role TEXT COLLATE "C" NOT NULL,
    team_id TEXT COLLATE "C" NOT NULL REFERENCES team(id), active BIGINT NOT NULL DEFAULT 1
);
CREATE TABLE membership (
    worker_id TEXT COLLATE "C" NOT NULL REFERENCES worker(id),
    team_id TEXT COLLATE "C" NOT NULL REFERENCES team(id),
    PRIMARY KEY (worker_id, team_id)
);
CREATE TABLE enrolment (
    code_hash TEXT COLLATE "C" PRIMARY KEY, worker_id TEXT COLLATE "C" NOT NULL REFERENCES worker(id),
    created_at TEXT COLLATE "C" NOT NULL, expires_at TEXT COLLATE "C" NOT NULL,
    used_at TEXT COLLATE "C", device_id TEXT COLLATE "C"
);
CREATE TABLE device (
    id TEXT COLLATE "C" PRIMARY KEY, worker_id TEXT COLLATE "C" NOT NULL REFERENCES worker(id),
    token_hash TEXT COLLATE "C" NOT NULL UNIQUE, enrolled_at TEXT COLLATE "C" NOT NULL,
    revoked_at TEXT COLLATE "C", last_seq BIGINT NOT NULL DEFAULT 0, clone_suspected_at TEXT COLLATE "C"
);
-- The ordered stream devices pull. server_seq is one past the last, given under the clock
-- row's lock (below), never by a sequence: a sequence hands out numbers in the order
-- transactions start, not the order they commit.
CREATE TABLE change (
    server_seq BIGINT PRIMARY KEY,
    mutation_id BYTEA NOT NULL, device_id BYTEA NOT NULL, worker_id BYTEA NOT NULL,
    device_seq BIGINT NOT NULL,
    hlc_wall_ms BIGINT NOT NULL, hlc_counter BIGINT NOT NULL,
    hlc_device BYTEA,
    entity TEXT COLLATE "C" NOT NULL, entity_id BYTEA NOT NULL, op TEXT COLLATE "C" NOT NULL,
    payload TEXT COLLATE "C" NOT NULL,
    payload_hash TEXT COLLATE "C" NOT NULL,
    base_server_seq BIGINT NOT NULL,
    team_id TEXT COLLATE "C", person_id TEXT COLLATE "C"
);
-- Every mutation ever received, with the result it got: a retry gets the same answer.
CREATE TABLE received (
    mutation_id BYTEA PRIMARY KEY, device_id BYTEA NOT NULL, device_seq BIGINT NOT NULL,
    payload_hash TEXT COLLATE "C" NOT NULL,
    applied_seq BIGINT, result TEXT COLLATE "C",
    received_ms BIGINT NOT NULL
);
-- Which team or person each record belongs to (its visibility), and where its values are.
CREATE TABLE entity (
    kind TEXT COLLATE "C" NOT NULL, id TEXT COLLATE "C" NOT NULL,
    team_id TEXT COLLATE "C", person_id TEXT COLLATE "C",
    created_seq BIGINT, fields_kept BIGINT NOT NULL DEFAULT 1,
    PRIMARY KEY (kind, id)
);
CREATE INDEX entity_person ON entity (person_id) WHERE person_id IS NOT NULL;
-- Each field's current value and the clock that wrote it.
CREATE TABLE field (
    kind TEXT COLLATE "C" NOT NULL, id TEXT COLLATE "C" NOT NULL, name TEXT COLLATE "C" NOT NULL,
    value TEXT COLLATE "C" NOT NULL, hlc TEXT COLLATE "C" NOT NULL, server_seq BIGINT NOT NULL,
    device_id TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (kind, id, name)
);
-- Every losing value, kept and shown.
CREATE TABLE conflict (
    id TEXT COLLATE "C" PRIMARY KEY, server_seq BIGINT NOT NULL, kind TEXT COLLATE "C" NOT NULL,
    entity_id TEXT COLLATE "C" NOT NULL, field TEXT COLLATE "C" NOT NULL, rule TEXT COLLATE "C" NOT NULL,
    kept TEXT COLLATE "C" NOT NULL, lost TEXT COLLATE "C" NOT NULL,
    lost_mutation_id TEXT COLLATE "C" NOT NULL, lost_device_id TEXT COLLATE "C" NOT NULL,
    needs_review BIGINT NOT NULL,
    team_id TEXT COLLATE "C", person_id TEXT COLLATE "C", created_at TEXT COLLATE "C" NOT NULL,
    reviewed_at TEXT COLLATE "C"
);
CREATE INDEX conflict_seq ON conflict (server_seq);
-- What could not be placed: never dropped.
CREATE TABLE quarantine (
    mutation_id TEXT COLLATE "C" PRIMARY KEY, device_id TEXT COLLATE "C" NOT NULL,
    mutation TEXT COLLATE "C" NOT NULL, reason TEXT COLLATE "C" NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL, resolved_at TEXT COLLATE "C",
    awaits TEXT COLLATE "C", reason_code TEXT COLLATE "C", reason_detail TEXT COLLATE "C"
);
CREATE INDEX quarantine_awaiting ON quarantine (awaits) WHERE resolved_at IS NULL;
-- The organisation's stream clock: every write transaction locks this row FOR UPDATE before
-- anything else, so writes from every server instance are serialised and commit in stream
-- order (a pull never passes a change whose transaction is still to commit).
CREATE TABLE stream_clock (id BIGINT PRIMARY KEY CHECK (id = 1));
INSERT INTO stream_clock (id) VALUES (1);
