-- The change stream and the receipts, compact (user_version 3): each part of a change in a
-- column of its own, its ids and hash as bytes (team and person stay text), instead of one
-- JSON text per change with ids spelt out in hex. A push wrote over four times the pages of
-- a bare insert of the same payloads. The old tables are renamed; the migration's hook
-- copies their rows across (payload text as it is) and 0004 drops them.
ALTER TABLE change RENAME TO change_v2;
ALTER TABLE received RENAME TO received_v2;
CREATE TABLE change (
    server_seq INTEGER PRIMARY KEY,
    mutation_id BLOB NOT NULL, device_id BLOB NOT NULL, worker_id BLOB NOT NULL,
    device_seq INTEGER NOT NULL,
    hlc_wall_ms INTEGER NOT NULL, hlc_counter INTEGER NOT NULL,
    -- NULL: the change's own device, as nearly always.
    hlc_device BLOB,
    entity TEXT NOT NULL, entity_id BLOB NOT NULL, op TEXT NOT NULL,
    -- The payload's canonical JSON text: what its hash is of.
    payload TEXT NOT NULL,
    -- SHA-256 as 32 bytes (text only if a device sent something else).
    payload_hash BLOB NOT NULL,
    base_server_seq INTEGER NOT NULL,
    team_id TEXT, person_id TEXT
);
-- Every mutation ever received, with the result it got: a retry gets the same answer.
CREATE TABLE received (
    mutation_id BLOB PRIMARY KEY, device_id BLOB NOT NULL, device_seq INTEGER NOT NULL,
    payload_hash BLOB NOT NULL,
    -- Applied at this server sequence number (most results), or else `result` as JSON.
    applied_seq INTEGER, result TEXT,
    received_ms INTEGER NOT NULL
) WITHOUT ROWID;
