//! What one enrolled device (buggy or hostile) can push, and what anyone can send without a
//! token, through the router (tower `oneshot`): each value is checked by the laptop's own rules
//! (`linkwell_protocol::fields`), pages are bounded by bytes, a person cannot be moved out of
//! every team's sight, and bodies are read only after the token, within each endpoint's limit.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use linkwell_protocol::{
    EnrolResponse, EntityKind, Mutation, MutationResult, Operation, PROTOCOL_VERSION, PullResponse,
    PushResponse,
};
use linkwell_server::fuzzing::device_mutation;
use linkwell_server::{AppState, SqliteStorage, router};
use serde_json::{Value, json};
use std::sync::Arc;
use tower::ServiceExt;
use uuid::Uuid;

struct Fixture {
    _dir: tempfile::TempDir,
    storage: Arc<SqliteStorage>,
    team: Uuid,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let storage = Arc::new(SqliteStorage::open(&dir.path().join("s.db")).unwrap());
    storage.init_org("Org").unwrap();
    let team = storage.add_team("A", None).unwrap();
    Fixture {
        _dir: dir,
        storage,
        team,
    }
}

async fn call_raw(
    f: &Fixture,
    path: &str,
    auth: Option<&str>,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let mut req = Request::post(path)
        .header("content-type", "application/json")
        .header("linkwell-protocol", PROTOCOL_VERSION.to_string())
        .header("linkwell-schema", "6");
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    let resp = router(AppState {
        storage: f.storage.clone(),
    })
    .oneshot(req.body(Body::from(body)).unwrap())
    .await
    .unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn call(f: &Fixture, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
    let auth = format!("Bearer {token}");
    call_raw(f, path, Some(&auth), body.to_string().into_bytes()).await
}

async fn enrol(f: &Fixture) -> EnrolResponse {
    let w = f
        .storage
        .add_worker("W", "link_worker", &f.team.to_string())
        .unwrap();
    let code = f.storage.issue_code(w, 1).unwrap();
    let body = json!({"protocol_version": PROTOCOL_VERSION, "schema_version": 6, "code": code});
    let (status, body) = call_raw(f, "/v1/enrol", None, body.to_string().into_bytes()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_value(body).unwrap()
}

/// A device's changes, numbered from 1 in order.
struct Device {
    e: EnrolResponse,
    seq: u64,
}

impl Device {
    fn change(&mut self, kind: EntityKind, id: Uuid, op: Operation, p: Value) -> Mutation {
        self.seq += 1;
        device_mutation(
            (self.e.device_id, self.e.worker.id),
            self.seq,
            1_700_000_000_000 + self.seq,
            (kind, id, op),
            p,
        )
    }

    async fn push(&self, f: &Fixture, ms: &[Mutation]) -> Vec<MutationResult> {
        let body =
            json!({"protocol_version": PROTOCOL_VERSION, "schema_version": 6, "mutations": ms});
        let (s, body) = call(f, "/v1/push", &self.e.token, body).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let r: PushResponse = serde_json::from_value(body).unwrap();
        r.results.into_iter().map(|(_, r)| r).collect()
    }

    async fn pull(&self, f: &Fixture, after: u64, limit: u32) -> PullResponse {
        let body = json!({"protocol_version": PROTOCOL_VERSION, "schema_version": 6, "epoch": null, "after_server_seq": after, "limit": limit});
        let (s, body) = call(f, "/v1/pull", &self.e.token, body).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        serde_json::from_value(body).unwrap()
    }

    /// Every change this device can see, page by page.
    async fn pull_all(&self, f: &Fixture) -> Vec<Mutation> {
        let (mut after, mut out) = (0, Vec::new());
        loop {
            let page = self.pull(f, after, 5_000).await;
            out.extend(page.changes.into_iter().map(|c| c.mutation));
            after = page.next_after;
            if !page.has_more {
                return out;
            }
        }
    }
}

async fn device(f: &Fixture) -> Device {
    Device {
        e: enrol(f).await,
        seq: 0,
    }
}

fn person(team: &str) -> Value {
    json!({"team_id": team, "given_name": "Ann", "family_name": "Test", "created_on": "2025-01-01"})
}

fn rejected_for(r: &MutationResult) -> &str {
    match r {
        MutationResult::Rejected { reason } | MutationResult::Quarantined { reason } => reason,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn values_the_laptop_would_refuse_are_refused_with_the_field_named_and_never_passed_on() {
    let f = fixture();
    let mut a = device(&f).await;
    let b = device(&f).await;
    let pid = Uuid::now_v7();
    let team = f.team.to_string();
    let create = a.change(EntityKind::Person, pid, Operation::Create, person(&team));
    assert!(matches!(
        a.push(&f, &[create]).await[0],
        MutationResult::Applied { .. }
    ));
    let bad: Vec<(Value, &str)> = vec![
        (
            json!({"given_name": "x".repeat(10 << 20)}),
            "person.given_name is too long",
        ),
        (json!({"nhs_number": "9434765918"}), "person.nhs_number"),
        (json!({"postcode": "12345"}), "person.postcode"),
        (
            json!({"date_of_birth": "yesterday"}),
            "person.date_of_birth",
        ),
        (
            json!({"family_name": "Te\u{0}st"}),
            "person.family_name contains a control character",
        ),
        (
            json!({"team_id": "team-a"}),
            "person.team_id is not a record id",
        ),
    ];
    for (payload, words) in bad {
        let m = a.change(EntityKind::Person, pid, Operation::Update, payload);
        let r = a.push(&f, &[m]).await;
        let reason = rejected_for(&r[0]);
        assert!(reason.starts_with(words), "{reason}");
        assert!(reason.len() < 200, "the reason never quotes a huge value");
    }
    // A note revision is never rejected: kept in quarantine with its code, for a supervisor.
    let note = Uuid::now_v7();
    let worker = a.e.worker.id.to_string();
    let n = a.change(
        EntityKind::Note,
        note,
        Operation::Create,
        json!({"person_id": pid.to_string(), "session_id": null, "created_at": "2025-01-02T10:00:00", "worker_id": worker}),
    );
    let rev = a.change(
        EntityKind::NoteRevision,
        Uuid::now_v7(),
        Operation::Create,
        json!({"note_id": note.to_string(), "supersedes": null, "body": "y".repeat(20_001), "retracted": false, "reason": null, "written_at": "2025-01-02T10:00:00", "worker_id": worker}),
    );
    let r = a.push(&f, &[n, rev]).await;
    assert!(matches!(r[0], MutationResult::Applied { .. }), "{r:?}");
    assert!(matches!(r[1], MutationResult::Quarantined { .. }), "{r:?}");
    let q = f.storage.quarantine_report().unwrap();
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].code.map(|c| c.as_str()), Some("invalid_value"));

    // The team's other laptop receives the good values only.
    let seen = b.pull_all(&f).await;
    let text = serde_json::to_string(&seen).unwrap();
    assert!(text.contains("\"Ann\""));
    for bad in [
        "yesterday",
        "9434765918",
        "12345",
        "team-a",
        "\\u0000",
        "xxxxxxxxxx",
        "yyyyyyyyyy",
    ] {
        assert!(!text.contains(bad), "{bad} was passed on");
    }
}

#[tokio::test]
async fn a_pull_page_is_bounded_by_bytes_and_nothing_is_skipped() {
    let f = fixture();
    let mut a = device(&f).await;
    let b = device(&f).await;
    let pid = Uuid::now_v7();
    let note = Uuid::now_v7();
    let worker = a.e.worker.id.to_string();
    let mut batch = vec![
        a.change(EntityKind::Person, pid, Operation::Create, person(&f.team.to_string())),
        a.change(
            EntityKind::Note,
            note,
            Operation::Create,
            json!({"person_id": pid.to_string(), "session_id": null, "created_at": "2025-01-02T10:00:00", "worker_id": worker}),
        ),
    ];
    // 600 revisions of the longest note a laptop takes: 12 MB, more than one page holds.
    let mut revisions = Vec::new();
    for i in 0..600 {
        let id = Uuid::now_v7();
        revisions.push(id);
        batch.push(a.change(
            EntityKind::NoteRevision,
            id,
            Operation::Create,
            json!({"note_id": note.to_string(), "supersedes": null, "body": format!("{i:05}{}", "z".repeat(19_995)), "retracted": false, "reason": null, "written_at": "2025-01-02T10:00:00", "worker_id": worker}),
        ));
    }
    for chunk in batch.chunks(200) {
        let r = a.push(&f, chunk).await;
        assert!(
            r.iter()
                .all(|r| matches!(r, MutationResult::Applied { .. })),
            "{r:?}"
        );
    }
    let first = b.pull(&f, 0, 5_000).await;
    assert!(first.has_more, "12 MB is not one page");
    let size = serde_json::to_vec(&first).unwrap().len();
    assert!(size < 10 << 20, "a page of {size} bytes");
    let seen: Vec<Uuid> = b
        .pull_all(&f)
        .await
        .iter()
        .filter(|m| m.entity == EntityKind::NoteRevision)
        .map(|m| m.entity_id)
        .collect();
    assert_eq!(seen, revisions, "every revision, once, in order");
}

#[tokio::test]
async fn a_person_cannot_be_moved_to_a_team_that_is_not_the_organisations() {
    let f = fixture();
    let mut a = device(&f).await;
    let b = device(&f).await;
    let pid = Uuid::now_v7();
    let create = a.change(
        EntityKind::Person,
        pid,
        Operation::Create,
        person(&f.team.to_string()),
    );
    let moved = a.change(
        EntityKind::Person,
        pid,
        Operation::Update,
        json!({"team_id": Uuid::now_v7().to_string()}),
    );
    let r = a.push(&f, &[create, moved]).await;
    assert!(matches!(r[0], MutationResult::Applied { .. }));
    assert!(rejected_for(&r[1]).contains("not one of the organisation's teams"));
    assert_eq!(
        f.storage.record(EntityKind::Person, pid).unwrap()["team_id"],
        f.team.to_string()
    );
    assert!(f.storage.out_of_sight().unwrap().is_empty());
    let seen = b.pull_all(&f).await;
    assert!(
        seen.iter().any(|m| m.entity_id == pid),
        "still seen by the team"
    );
}

#[tokio::test]
async fn an_administrator_puts_a_person_lost_by_an_earlier_server_back_in_a_team() {
    let f = fixture();
    let mut a = device(&f).await;
    let b = device(&f).await;
    let pid = Uuid::now_v7();
    let create = a.change(
        EntityKind::Person,
        pid,
        Operation::Create,
        person(&f.team.to_string()),
    );
    a.push(&f, &[create]).await;
    let after = b.pull(&f, 0, 5_000).await.next_after;
    // As an earlier server left it: the person in a team that does not exist.
    let db = rusqlite::Connection::open(f._dir.path().join("s.db")).unwrap();
    db.execute(
        "UPDATE entity SET team_id = ?1 WHERE kind = 'person' AND id = ?2",
        [Uuid::now_v7().to_string(), pid.to_string()],
    )
    .unwrap();
    drop(db);
    let lost = f.storage.out_of_sight().unwrap();
    assert_eq!(lost.iter().map(|l| l.0).collect::<Vec<_>>(), [pid]);
    f.storage.put_in_team(pid, "A").unwrap();
    assert!(f.storage.out_of_sight().unwrap().is_empty());
    let page = b.pull(&f, after, 5_000).await;
    let back = page
        .changes
        .iter()
        .rev()
        .find(|c| c.mutation.entity_id == pid)
        .expect("the team's laptops receive the person again");
    assert_eq!(back.mutation.payload["team_id"], f.team.to_string());
    assert_eq!(back.mutation.payload["given_name"], "Ann");
}

#[tokio::test]
async fn bodies_are_read_only_after_the_token_and_within_each_endpoints_limit() {
    let f = fixture();
    let a = device(&f).await;
    // 40 MB without a token: refused as unauthorised, not read to its end first.
    let huge = vec![b'{'; 40 << 20];
    let (s, body) = call_raw(&f, "/v1/push", None, huge.clone()).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["code"], "unauthorised");
    let (s, _) = call_raw(&f, "/v1/pull", Some("Bearer lw1_nope"), huge.clone()).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // Enrolment takes a few kilobytes, and answers bad JSON in the error shape.
    let (s, body) = call_raw(&f, "/v1/enrol", None, vec![b' '; 64 << 10]).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["code"], "too_large");
    let (s, body) = call_raw(&f, "/v1/enrol", None, b"{not json".to_vec()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "bad_request", "{body}");
    // A pull body is small; an authenticated one too large is refused in words.
    let auth = format!("Bearer {}", a.e.token);
    let (s, body) = call_raw(&f, "/v1/pull", Some(&auth), vec![b' '; 64 << 10]).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["code"], "too_large");
    // The scheme is case-insensitive.
    let lower = format!("bearer {}", a.e.token);
    let pull = json!({"protocol_version": PROTOCOL_VERSION, "schema_version": 6, "epoch": null, "after_server_seq": 0, "limit": 10});
    let (s, body) = call_raw(&f, "/v1/pull", Some(&lower), pull.to_string().into_bytes()).await;
    assert_eq!(s, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn a_cursor_beyond_two_to_the_63_does_not_wrap_to_the_start() {
    let f = fixture();
    let a = device(&f).await;
    assert!(!a.pull(&f, 0, 100).await.changes.is_empty());
    for after in [1u64 << 63, u64::MAX] {
        let page = a.pull(&f, after, 100).await;
        assert!(page.changes.is_empty(), "{after}: {:?}", page.changes.len());
        assert!(!page.has_more);
        assert_eq!(page.next_after, after, "the cursor never goes back");
    }
}

#[cfg(unix)]
#[tokio::test]
async fn the_servers_database_its_wal_and_backups_are_its_accounts_only() {
    use std::os::unix::fs::PermissionsExt as _;
    let f = fixture();
    let mut a = device(&f).await;
    let m = a.change(
        EntityKind::Person,
        Uuid::now_v7(),
        Operation::Create,
        person(&f.team.to_string()),
    );
    a.push(&f, &[m]).await;
    let backup = f._dir.path().join("backup.db");
    f.storage.backup_to(&backup).unwrap();
    for name in ["s.db", "s.db-wal", "backup.db"] {
        let p = f._dir.path().join(name);
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{name}");
    }
}
