//! A server database written by the first schema (user_version 1) opens in this build: the
//! migrations keep its records, and what it had quarantined is still placed when the record
//! it waits for arrives. Later schemas' databases too: schema 2's stream and receipts, and
//! schema 4's quarantine, whose reasons were text only and get their codes.

use linkwell_protocol::{
    EntityKind, Hlc, Mutation, MutationResult, Operation, PROTOCOL_VERSION, PullRequest,
    PushRequest,
};
use linkwell_server::fuzzing::device_mutation;
use linkwell_server::reason::{QuarantineReason, ReasonCode};
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

/// An organisation with one team, worker and enrolled device (whose credential is `token` and
/// whose last change received is `last_seq`), as every schema so far has stored them.
fn old_organisation(
    conn: &rusqlite::Connection,
    (team, worker, device): (Uuid, Uuid, Uuid),
    token: &str,
    last_seq: u64,
) {
    conn.execute_batch(&format!(
        "INSERT INTO meta (key, value) VALUES ('org_id', '{o}'), ('org_name', 'Old'), ('epoch', '{e}');
         INSERT INTO team (id, name) VALUES ('{team}', 'A');
         INSERT INTO worker (id, name, role, team_id) VALUES ('{worker}', 'W', 'link_worker', '{team}');
         INSERT INTO membership (worker_id, team_id) VALUES ('{worker}', '{team}');
         INSERT INTO device (id, worker_id, token_hash, enrolled_at, last_seq) VALUES ('{device}', '{worker}', '{h}', '2025-01-01T00:00:00Z', {last_seq});",
        o = Uuid::now_v7(),
        e = Uuid::now_v7(),
        h = sha256_hex(token),
    ))
    .unwrap();
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
        old_organisation(&conn, (team, worker, device), token, 0);
        let (t, d) = (team.to_string(), device.to_string());
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
    assert_eq!(
        storage.quarantine_report().unwrap()[0].code,
        Some(ReasonCode::ParentNotKnown)
    );

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

/// Schema 3 stores the stream and the receipts in compact columns: a stream and receipts
/// written as JSON by a schema-2 server come out of pull and retries exactly as they went in.
#[test]
fn a_second_schema_stream_and_its_receipts_survive_the_compact_stream() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.db");
    let (team, worker, device, token) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7(), "lw1_v2");
    let person = Uuid::now_v7();
    let create = Mutation {
        hlc: Hlc {
            wall_ms: 1_000,
            counter: 3,
            device,
        },
        ..mutation(
            device,
            worker,
            1,
            EntityKind::Person,
            person,
            Operation::Create,
            json!({"team_id": team.to_string(), "given_name": "Ada", "family_name": "Two", "created_on": "2025-01-01"}),
        )
    };
    // A server-made correction: its clock's device (the server) is not its sender's.
    let correction = Mutation {
        hlc: Hlc {
            wall_ms: 2_000,
            counter: 0,
            device: Uuid::nil(),
        },
        device_seq: 0,
        ..mutation(
            device,
            worker,
            0,
            EntityKind::Person,
            person,
            Operation::Update,
            json!({"phone": "07700 900003"}),
        )
    };
    let refused = mutation(
        device,
        worker,
        2,
        EntityKind::Team,
        Uuid::now_v7(),
        Operation::Create,
        json!({"name": "X"}),
    );
    let refusal = MutationResult::Rejected {
        reason: "teams and workers are managed on the server by an administrator".into(),
    };
    {
        // What a schema-2 server left on disk, written as it wrote it.
        let conn = open_at_schema_version(&path, 2).unwrap();
        old_organisation(&conn, (team, worker, device), token, 2);
        let (d, p) = (device.to_string(), person.to_string());
        // The person as schema 2 kept a never-changed record: no field rows, its create's
        // place in the stream.
        conn.execute(
            "INSERT INTO entity (kind, id, team_id, person_id, created_seq, fields_kept) VALUES ('person', ?1, ?2, ?1, 1, 0)",
            params![p, team.to_string()],
        )
        .unwrap();
        for (seq, m) in [(1, &create), (2, &correction)] {
            conn.execute(
                "INSERT INTO change (server_seq, mutation, team_id, person_id) VALUES (?1, ?2, NULL, ?3)",
                params![seq, serde_json::to_string(m).unwrap(), p],
            )
            .unwrap();
        }
        for (m, result) in [
            (&create, MutationResult::Applied { server_seq: 1 }),
            (&refused, refusal.clone()),
        ] {
            conn.execute(
                "INSERT INTO received (mutation_id, device_id, device_seq, payload_hash, result, received_at) VALUES (?1, ?2, ?3, ?4, ?5, '2025-03-03T10:00:00+00:00')",
                params![
                    m.mutation_id.to_string(),
                    d,
                    m.device_seq as i64,
                    m.payload_hash,
                    serde_json::to_string(&result).unwrap()
                ],
            )
            .unwrap();
        }
    }

    let storage = SqliteStorage::open(&path).unwrap();
    let ctx = storage.authenticate(token).unwrap();
    let page = storage
        .pull(
            &ctx,
            &PullRequest {
                protocol_version: PROTOCOL_VERSION,
                schema_version: 5,
                epoch: None,
                after_server_seq: 0,
                limit: 100,
            },
        )
        .unwrap();
    let stream: Vec<(u64, Mutation)> = page
        .changes
        .into_iter()
        .map(|c| (c.server_seq, c.mutation))
        .collect();
    assert_eq!(stream, vec![(1, create.clone()), (2, correction.clone())]);
    // A never-changed record's values are still read from its create in the stream.
    assert_eq!(
        storage.record(EntityKind::Person, person).unwrap()["given_name"],
        "Ada"
    );

    // Retries get the answers they got before the upgrade; a new change follows the stream.
    let push = |mutations: Vec<Mutation>| {
        storage.push(
            &ctx,
            &PushRequest {
                protocol_version: PROTOCOL_VERSION,
                schema_version: 5,
                mutations,
            },
            now_ms(),
        )
    };
    let update = mutation(
        device,
        worker,
        3,
        EntityKind::Person,
        person,
        Operation::Update,
        json!({"phone": "07700 900004"}),
    );
    let resp = push(vec![create.clone(), refused.clone(), update.clone()]).unwrap();
    assert_eq!(
        resp.results,
        vec![
            (
                create.mutation_id,
                MutationResult::Duplicate { server_seq: 1 }
            ),
            (refused.mutation_id, refusal),
            (
                update.mutation_id,
                MutationResult::Applied { server_seq: 3 }
            ),
        ]
    );
    assert_eq!(
        storage.record(EntityKind::Person, person).unwrap()["phone"],
        "07700 900004"
    );
    // The same number with other content is still a cloned device.
    let clone = Mutation {
        payload_hash: sha256_hex("something else"),
        ..create
    };
    let err = push(vec![clone]).unwrap_err();
    assert!(
        matches!(err, linkwell_server::StorageError::Cloned { device_seq: 1 }),
        "{err}"
    );
}

/// A quarantined change as a schema-4 server stored it (its mutation, the reason's text and the
/// record it awaits), and the reason's code and detail it should get.
type OldQuarantined = (
    Mutation,
    &'static str,
    Option<Uuid>,
    Option<ReasonCode>,
    Option<&'static str>,
);

/// Schema 5 stores why a change was quarantined as a code: a schema-4 quarantine, whose
/// reasons are text only, gets the code (and detail) of each reason its server gave, keeps
/// the text it showed, and what waits for a record is still placed when the record arrives.
#[test]
fn a_fourth_schema_quarantine_gets_its_reasons_codes_and_is_still_placed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.db");
    let (team, worker, device, token) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7(), "lw1_v4");
    let (late_person, waiting_note, waiting_revision) =
        (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let note_of = |seq: u64, person: Uuid| {
        mutation(
            device,
            worker,
            seq,
            EntityKind::Note,
            Uuid::now_v7(),
            Operation::Create,
            json!({"person_id": person.to_string(), "session_id": null,
                   "created_at": "2025-03-03T10:00:00", "worker_id": worker.to_string()}),
        )
    };
    let (elsewhere, measure) = (Uuid::now_v7(), Uuid::now_v7());
    // Each reason a schema-4 server quarantined for, as it worded it, with the record it then
    // noted as awaited; the code and detail it should get.
    let rows: Vec<OldQuarantined> = vec![
        (
            Mutation {
                entity_id: waiting_note,
                ..note_of(1, late_person)
            },
            "the person this note belongs to is not known to the server",
            Some(late_person),
            Some(ReasonCode::ParentNotKnown),
            Some("person"),
        ),
        (
            mutation(
                device,
                worker,
                2,
                EntityKind::Person,
                late_person,
                Operation::Update,
                json!({"phone": "07700 900005"}),
            ),
            "this record is not known to the server yet",
            Some(late_person),
            Some(ReasonCode::RecordNotKnown),
            None,
        ),
        (
            mutation(
                device,
                worker,
                3,
                EntityKind::NoteRevision,
                waiting_revision,
                Operation::Create,
                json!({"note_id": waiting_note.to_string(), "supersedes": null, "body": "Met at the library",
                       "retracted": false, "reason": null, "written_at": "2025-03-03T10:05:00",
                       "worker_id": worker.to_string()}),
            ),
            "the note this note_revision belongs to is not known to the server",
            Some(waiting_note),
            Some(ReasonCode::ParentNotKnown),
            Some("note"),
        ),
        (
            note_of(4, elsewhere),
            "this record belongs to a person supported by a team this worker is not in",
            None,
            Some(ReasonCode::NotInWritersTeams),
            None,
        ),
        (
            mutation(
                device,
                worker,
                5,
                EntityKind::Measure,
                measure,
                Operation::Update,
                json!({"score": 20.0}),
            ),
            "measure records are never changed once written",
            None,
            Some(ReasonCode::InsertOnlyChanged),
            None,
        ),
        (
            note_of(6, elsewhere),
            "note has no field nickname",
            None,
            Some(ReasonCode::NoSuchField),
            Some("nickname"),
        ),
        (
            note_of(7, elsewhere),
            "note.created_at has the wrong type of value",
            None,
            Some(ReasonCode::WrongType),
            Some("created_at"),
        ),
        (
            note_of(8, elsewhere),
            "note.person_id is missing",
            None,
            Some(ReasonCode::FieldMissing),
            Some("person_id"),
        ),
        (
            note_of(9, elsewhere),
            "the change does not match its checksum",
            None,
            Some(ReasonCode::ChecksumMismatch),
            None,
        ),
        (
            note_of(10, elsewhere),
            "the change is not a set of fields",
            None,
            Some(ReasonCode::NotAFieldSet),
            None,
        ),
        (
            mutation(
                device,
                worker,
                11,
                EntityKind::Measure,
                measure,
                Operation::Create,
                json!({"person_id": elsewhere.to_string()}),
            ),
            "this record already exists; insert-only records are never overwritten",
            None,
            Some(ReasonCode::AlreadyExists),
            None,
        ),
        // A text no server wrote (the serialiser's own words, say) keeps no code.
        (
            note_of(12, elsewhere),
            "key must be a string",
            None,
            None,
            None,
        ),
    ];
    let resolved = note_of(13, elsewhere);
    {
        // What a schema-4 server left on disk, written as it wrote it.
        let conn = open_at_schema_version(&path, 4).unwrap();
        old_organisation(&conn, (team, worker, device), token, 13);
        for (i, (m, reason, awaits, _, _)) in rows.iter().enumerate() {
            conn.execute(
                "INSERT INTO quarantine (mutation_id, device_id, mutation, reason, created_at, awaits) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    m.mutation_id.to_string(),
                    device.to_string(),
                    serde_json::to_string(m).unwrap(),
                    reason,
                    format!("2025-03-03T10:{i:02}:00Z"),
                    awaits.map(|a| a.to_string())
                ],
            )
            .unwrap();
        }
        conn.execute(
            "INSERT INTO quarantine (mutation_id, device_id, mutation, reason, created_at, resolved_at) VALUES (?1, ?2, ?3, ?4, '2025-03-02T10:00:00Z', '2025-03-02T11:00:00Z')",
            params![
                resolved.mutation_id.to_string(),
                device.to_string(),
                serde_json::to_string(&resolved).unwrap(),
                "this record belongs to a person supported by a team this worker is not in"
            ],
        )
        .unwrap();
    }

    let storage = SqliteStorage::open(&path).unwrap();
    let report = storage.quarantine_report().unwrap();
    assert_eq!(report.len(), rows.len());
    let stored = |id: Uuid| -> (Option<String>, Option<String>) {
        rusqlite::Connection::open(&path)
            .unwrap()
            .query_row(
                "SELECT reason_code, reason_detail FROM quarantine WHERE mutation_id = ?1",
                [id.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
    };
    for (listed, (m, reason, awaits, code, detail)) in report.iter().zip(&rows) {
        assert_eq!(listed.mutation_id, m.mutation_id);
        assert_eq!(listed.reason, *reason, "the text shown is kept");
        assert_eq!(listed.code, *code, "{reason}");
        assert_eq!(listed.awaits, *awaits, "{reason}");
        let (stored_code, stored_detail) = stored(m.mutation_id);
        assert_eq!(stored_code.as_deref(), code.map(|c| c.as_str()), "{reason}");
        assert_eq!(stored_detail.as_deref(), *detail, "{reason}");
        // The code and detail say all the text said.
        if let Some(code) = code {
            let typed = QuarantineReason::from_stored(*code, stored_detail.as_deref(), m.entity);
            assert_eq!(typed.map(|t| t.to_string()).as_deref(), Some(*reason));
        }
    }
    assert_eq!(
        stored(resolved.mutation_id).0.as_deref(),
        Some("not_in_writers_teams"),
        "a reviewed change gets its code too"
    );

    // The person arrives: the note that waited for them, the edit of them and the revision
    // that waited for the note are placed, in turn; the rest still wait for review.
    let ctx = storage.authenticate(token).unwrap();
    let resp = storage
        .push(
            &ctx,
            &PushRequest {
                protocol_version: PROTOCOL_VERSION,
                schema_version: 5,
                mutations: vec![mutation(
                    device,
                    worker,
                    14,
                    EntityKind::Person,
                    late_person,
                    Operation::Create,
                    json!({"team_id": team.to_string(), "given_name": "Bea", "family_name": "Late", "created_on": "2025-01-01"}),
                )],
            },
            now_ms(),
        )
        .unwrap();
    assert!(
        matches!(resp.results[0].1, MutationResult::Applied { .. }),
        "{resp:?}"
    );
    let left: Vec<Uuid> = storage
        .quarantine_report()
        .unwrap()
        .iter()
        .map(|q| q.mutation_id)
        .collect();
    let waited: Vec<Uuid> = rows[3..].iter().map(|r| r.0.mutation_id).collect();
    assert_eq!(left, waited, "only what waited for a record was placed");
    assert_eq!(
        storage.record(EntityKind::Note, waiting_note).unwrap()["person_id"],
        late_person.to_string()
    );
    assert_eq!(
        storage
            .record(EntityKind::NoteRevision, waiting_revision)
            .unwrap()["body"],
        "Met at the library"
    );
    assert_eq!(
        storage.record(EntityKind::Person, late_person).unwrap()["phone"],
        "07700 900005"
    );
}
