//! A server database written by the first schema (user_version 1) opens in this build: the
//! migrations keep its records, and what it had quarantined is still placed when the record
//! it waits for arrives.

use linkwell_protocol::{
    EntityKind, Hlc, Mutation, MutationResult, Operation, PROTOCOL_VERSION, PushRequest,
};
use linkwell_server::fuzzing::device_mutation;
use linkwell_server::storage::{SERVER_SCHEMA_VERSION, Storage, now_ms, open_at_schema_version};
use linkwell_server::{SqliteStorage, storage::sha256_hex};
use rusqlite::params;
use serde_json::{Value, json};
use uuid::Uuid;

fn mutation(
    device: Uuid,
    worker: Uuid,
    seq: u64,
    kind: EntityKind,
    id: Uuid,
    op: Operation,
    p: Value,
) -> Mutation {
    device_mutation(
        (device, worker),
        seq,
        now_ms() - 60_000 + seq,
        (kind, id, op),
        p,
    )
}

#[test]
fn a_first_schema_database_is_upgraded_and_its_quarantine_still_placed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.db");
    let (team, worker, device, token) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7(), "lw1_old");
    let (kept_person, late_person, waiting_note) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    {
        // What a server of the first schema left on disk, written as it wrote it.
        let conn = open_at_schema_version(&path, 1).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, 1);
        let (t, w, d) = (team.to_string(), worker.to_string(), device.to_string());
        conn.execute_batch(&format!(
            "INSERT INTO meta (key, value) VALUES ('org_id', '{o}'), ('org_name', 'Old'), ('epoch', '{e}');
             INSERT INTO team (id, name) VALUES ('{t}', 'A');
             INSERT INTO worker (id, name, role, team_id) VALUES ('{w}', 'W', 'link_worker', '{t}');
             INSERT INTO membership (worker_id, team_id) VALUES ('{w}', '{t}');
             INSERT INTO device (id, worker_id, token_hash, enrolled_at, last_seq) VALUES ('{d}', '{w}', '{h}', '2025-01-01T00:00:00Z', 0);",
            o = Uuid::now_v7(),
            e = Uuid::now_v7(),
            h = sha256_hex(token),
        ))
        .unwrap();
        // A person the old server held, with its values in field rows.
        let p = kept_person.to_string();
        conn.execute(
            "INSERT INTO entity (kind, id, team_id, person_id) VALUES ('person', ?1, ?2, ?1)",
            params![p, t],
        )
        .unwrap();
        for (name, value, seq) in [
            ("given_name", "\"Ada\"", 7),
            ("family_name", "\"Old\"", 7),
            ("phone", "\"07700 900001\"", 9),
        ] {
            conn.execute(
                "INSERT INTO field (kind, id, name, value, hlc, server_seq, device_id) VALUES ('person', ?1, ?2, ?3, ?4, ?5, ?6)",
                params![p, name, value, Hlc { wall_ms: 1_000, counter: 0, device }.encode(), seq, d],
            )
            .unwrap();
        }
        // A note that arrived before its person (e.g. after a restore), waiting in quarantine.
        let note = mutation(
            Uuid::now_v7(),
            worker,
            1,
            EntityKind::Note,
            waiting_note,
            Operation::Create,
            json!({"person_id": late_person.to_string(), "session_id": null,
                   "created_at": "2025-03-03T10:00:00", "worker_id": worker.to_string()}),
        );
        let note = Mutation {
            device_id: device,
            hlc: Hlc { device, ..note.hlc },
            ..note
        };
        conn.execute(
            "INSERT INTO quarantine (mutation_id, device_id, mutation, reason, created_at) VALUES (?1, ?2, ?3, ?4, '2025-03-03T10:00:00Z')",
            params![
                note.mutation_id.to_string(),
                d,
                serde_json::to_string(&note).unwrap(),
                "the person this note belongs to is not known to the server"
            ],
        )
        .unwrap();
    }

    let storage = SqliteStorage::open(&path).unwrap();
    let v: i64 = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, SERVER_SCHEMA_VERSION as i64);
    let before = storage.record(EntityKind::Person, kept_person).unwrap();
    assert_eq!(before["given_name"], "Ada");
    assert_eq!(before["phone"], "07700 900001");
    assert_eq!(storage.quarantined().unwrap().len(), 1);

    // The person the note waited for arrives, and the old person is changed.
    let ctx = storage.authenticate(token).unwrap();
    let req = PushRequest {
        protocol_version: PROTOCOL_VERSION,
        schema_version: 5,
        mutations: vec![
            mutation(
                device,
                worker,
                1,
                EntityKind::Person,
                late_person,
                Operation::Create,
                json!({"team_id": team.to_string(), "given_name": "Bea", "family_name": "Late", "created_on": "2025-01-01"}),
            ),
            mutation(
                device,
                worker,
                2,
                EntityKind::Person,
                kept_person,
                Operation::Update,
                json!({"phone": "07700 900002"}),
            ),
        ],
    };
    let resp = storage.push(&ctx, &req, now_ms()).unwrap();
    for (_, r) in &resp.results {
        assert!(matches!(r, MutationResult::Applied { .. }), "{r:?}");
    }
    assert!(
        storage.quarantined().unwrap().is_empty(),
        "the waiting note was placed"
    );
    let note = storage.record(EntityKind::Note, waiting_note).unwrap();
    assert_eq!(note["person_id"], late_person.to_string());
    let after = storage.record(EntityKind::Person, kept_person).unwrap();
    assert_eq!(after["given_name"], "Ada", "unchanged fields are kept");
    assert_eq!(after["phone"], "07700 900002");
    assert_eq!(
        storage.record(EntityKind::Person, late_person).unwrap()["given_name"],
        "Bea"
    );
}

#[test]
fn a_database_from_a_newer_server_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.db");
    drop(SqliteStorage::open(&path).unwrap());
    rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", SERVER_SCHEMA_VERSION as i64 + 1)
        .unwrap();
    let err = SqliteStorage::open(&path).unwrap_err().to_string();
    assert!(err.contains("newer linkwell-server"), "{err}");
}
