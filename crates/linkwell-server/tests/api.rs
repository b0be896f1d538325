//! The HTTP handlers through the router, without sockets (tower `oneshot`): enrolment,
//! authentication, version checks, push idempotence, gaps, cloned devices and pull filtering.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use linkwell_protocol::{
    EnrolResponse, EntityKind, ErrorBody, Mutation, MutationResult, Operation, PROTOCOL_VERSION,
    PullResponse, PushResponse,
};
use linkwell_server::fuzzing::device_mutation;
use linkwell_server::{AppState, SqliteStorage, router};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use tower::ServiceExt;
use uuid::Uuid;

mod pg;

struct Fixture {
    _dir: tempfile::TempDir,
    storage: Arc<SqliteStorage>,
    team: Uuid,
    other_team: Uuid,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let storage = Arc::new(SqliteStorage::open(&dir.path().join("s.db")).unwrap());
    storage.init_org("Org").unwrap();
    let team = storage.add_team("A", None).unwrap();
    let other_team = storage.add_team("B", None).unwrap();
    Fixture {
        _dir: dir,
        storage,
        team,
        other_team,
    }
}

async fn call(f: &Fixture, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
    let mut req = Request::post(path)
        .header("content-type", "application/json")
        .header("linkwell-protocol", PROTOCOL_VERSION.to_string())
        .header("linkwell-schema", "2");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let resp = router(AppState {
        storage: f.storage.clone(),
    })
    .oneshot(req.body(Body::from(body.to_string())).unwrap())
    .await
    .unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn enrol(f: &Fixture, team: Uuid) -> EnrolResponse {
    let w = f
        .storage
        .add_worker("W", "link_worker", &team.to_string())
        .unwrap();
    let code = f.storage.issue_code(w, 1).unwrap();
    let (status, body) = call(
        f,
        "/v1/enrol",
        None,
        json!({"protocol_version": PROTOCOL_VERSION, "schema_version": 2, "code": code.to_lowercase()}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The code is one-time.
    let (again, _) = call(
        f,
        "/v1/enrol",
        None,
        json!({"protocol_version": PROTOCOL_VERSION, "schema_version": 2, "code": code}),
    )
    .await;
    assert_eq!(again, StatusCode::FORBIDDEN);
    serde_json::from_value(body).unwrap()
}

fn mutation(
    e: &EnrolResponse,
    seq: u64,
    kind: EntityKind,
    id: Uuid,
    op: Operation,
    p: Value,
) -> Mutation {
    device_mutation(
        (e.device_id, e.worker.id),
        seq,
        1_000 + seq,
        (kind, id, op),
        p,
    )
}

fn person(team: Uuid, name: &str) -> Value {
    let mut m = Map::new();
    m.insert("team_id".into(), team.to_string().into());
    m.insert("given_name".into(), name.into());
    m.insert("family_name".into(), "Test".into());
    m.insert("created_on".into(), "2025-01-01".into());
    Value::Object(m)
}

fn push_body(ms: &[Mutation]) -> Value {
    json!({"protocol_version": PROTOCOL_VERSION, "schema_version": 2, "mutations": ms})
}

fn pull_body(after: u64) -> Value {
    json!({"protocol_version": PROTOCOL_VERSION, "schema_version": 2, "epoch": null, "after_server_seq": after, "limit": 100})
}

#[tokio::test]
async fn push_is_idempotent_and_refuses_gaps_and_clones() {
    let f = fixture();
    let e = enrol(&f, f.team).await;
    let pid = Uuid::now_v7();
    let m1 = mutation(
        &e,
        1,
        EntityKind::Person,
        pid,
        Operation::Create,
        person(f.team, "Ann"),
    );
    let (s, body) = call(
        &f,
        "/v1/push",
        Some(&e.token),
        push_body(std::slice::from_ref(&m1)),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let first: PushResponse = serde_json::from_value(body).unwrap();
    let MutationResult::Applied { server_seq } = first.results[0].1 else {
        panic!("{first:?}")
    };
    // The same batch again: acknowledged with the stored result, nothing stored twice.
    let (_, body) = call(
        &f,
        "/v1/push",
        Some(&e.token),
        push_body(std::slice::from_ref(&m1)),
    )
    .await;
    let again: PushResponse = serde_json::from_value(body).unwrap();
    assert_eq!(again.results[0].1, MutationResult::Duplicate { server_seq });
    // A gap: refused with the number expected.
    let m3 = mutation(
        &e,
        3,
        EntityKind::Person,
        pid,
        Operation::Update,
        json!({"given_name": "Anne"}),
    );
    let (s, body) = call(&f, "/v1/push", Some(&e.token), push_body(&[m3])).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let err: ErrorBody = serde_json::from_value(body).unwrap();
    assert_eq!(
        (err.code.as_str(), err.expected_seq),
        ("sequence_gap", Some(2))
    );
    // Same sequence number, different content: a cloned database.
    let clone = mutation(
        &e,
        1,
        EntityKind::Person,
        Uuid::now_v7(),
        Operation::Create,
        person(f.team, "Bob"),
    );
    let (s, body) = call(&f, "/v1/push", Some(&e.token), push_body(&[clone])).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(body["code"], "cloned_device");
    // The device is stopped, and listed so, until an administrator decides.
    let (s, body) = call(&f, "/v1/pull", Some(&e.token), pull_body(0)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(body["code"], "clone_suspected");
    let listed = f.storage.devices().unwrap();
    let me = listed.iter().find(|d| d.0 == e.device_id).unwrap();
    assert!(me.5.is_some(), "device list shows the suspicion");
    f.storage.allow_device(e.device_id).unwrap();
    assert!(f.storage.devices().unwrap().iter().all(|d| d.5.is_none()));
    // A change already received, sent again under a new sequence number: a clone too, and
    // nothing of the batch is kept.
    let reused = Mutation {
        device_seq: 2,
        ..m1.clone()
    };
    let (s, body) = call(&f, "/v1/push", Some(&e.token), push_body(&[reused])).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(body["code"], "cloned_device");
    f.storage.allow_device(e.device_id).unwrap();
    assert_eq!(
        f.storage.counts().unwrap().0,
        4,
        "two teams, the worker, the person"
    );
    assert_eq!(body["code"], "cloned_device");
    // One bad mutation does not block the next.
    let bad = mutation(
        &e,
        2,
        EntityKind::Person,
        pid,
        Operation::Update,
        json!({"shoe_size": 9}),
    );
    let good = mutation(
        &e,
        3,
        EntityKind::Person,
        pid,
        Operation::Update,
        json!({"given_name": "Anne"}),
    );
    let (_, body) = call(&f, "/v1/push", Some(&e.token), push_body(&[bad, good])).await;
    let r: PushResponse = serde_json::from_value(body).unwrap();
    assert!(matches!(r.results[0].1, MutationResult::Rejected { .. }));
    assert!(matches!(r.results[1].1, MutationResult::Applied { .. }));
}

#[tokio::test]
async fn pull_shows_only_the_devices_teams_and_skips_past_the_rest() {
    let f = fixture();
    let a = enrol(&f, f.team).await;
    let b = enrol(&f, f.other_team).await;
    let pa = Uuid::now_v7();
    let pb = Uuid::now_v7();
    call(
        &f,
        "/v1/push",
        Some(&a.token),
        push_body(&[mutation(
            &a,
            1,
            EntityKind::Person,
            pa,
            Operation::Create,
            person(f.team, "Ann"),
        )]),
    )
    .await;
    call(
        &f,
        "/v1/push",
        Some(&b.token),
        push_body(&[mutation(
            &b,
            1,
            EntityKind::Person,
            pb,
            Operation::Create,
            person(f.other_team, "Bea"),
        )]),
    )
    .await;
    let (s, body) = call(&f, "/v1/pull", Some(&b.token), pull_body(0)).await;
    assert_eq!(s, StatusCode::OK);
    let page: PullResponse = serde_json::from_value(body.clone()).unwrap();
    assert!(
        !body.to_string().contains("Ann"),
        "another team's person leaked"
    );
    assert!(!page.has_more);
    let max = page.next_after;
    // The cursor is past everything, including what b may not see.
    let (_, body) = call(&f, "/v1/pull", Some(&a.token), pull_body(0)).await;
    let pa_page: PullResponse = serde_json::from_value(body).unwrap();
    assert_eq!(pa_page.next_after, max);
    assert!(pa_page.changes.iter().all(|c| c.mutation.entity_id != pb));

    // No credentials, a made-up one, an old client: refused, never data.
    let (s, body) = call(&f, "/v1/pull", None, pull_body(0)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(body.get("changes").is_none());
    let (s, _) = call(&f, "/v1/pull", Some("lw1_nope"), pull_body(0)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let old = json!({"protocol_version": 0, "schema_version": 1, "epoch": null, "after_server_seq": 0, "limit": 10});
    let (s, body) = call(&f, "/v1/pull", Some(&a.token), old).await;
    assert_eq!(s, StatusCode::UPGRADE_REQUIRED);
    assert!(body["message"].as_str().unwrap().contains("please update"));
    // Revoked: nothing.
    f.storage.revoke_device(a.device_id).unwrap();
    let (s, body) = call(&f, "/v1/pull", Some(&a.token), pull_body(0)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(body["code"], "revoked");
}

#[tokio::test]
async fn a_reassigned_persons_history_follows_them_to_the_new_team() {
    let f = fixture();
    let a = enrol(&f, f.team).await;
    let b = enrol(&f, f.other_team).await;
    let pid = Uuid::now_v7();
    let note = Uuid::now_v7();
    let made = [
        mutation(
            &a,
            1,
            EntityKind::Person,
            pid,
            Operation::Create,
            person(f.team, "Ann"),
        ),
        mutation(
            &a,
            2,
            EntityKind::Note,
            note,
            Operation::Create,
            json!({"person_id": pid.to_string(), "session_id": null, "created_at": "2025-01-02T10:00:00", "worker_id": a.worker.id.to_string()}),
        ),
    ];
    let (s, body) = call(&f, "/v1/push", Some(&a.token), push_body(&made)).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    // The other team sees nothing of Ann, and its cursor moves past her changes.
    let (_, body) = call(&f, "/v1/pull", Some(&b.token), pull_body(0)).await;
    let before: PullResponse = serde_json::from_value(body).unwrap();
    let ids = |p: &PullResponse| -> Vec<Uuid> {
        p.changes.iter().map(|c| c.mutation.entity_id).collect()
    };
    assert!(!ids(&before).contains(&pid) && !ids(&before).contains(&note));

    // Ann moves to the other team: her earlier record and note reach its laptops.
    let moved = mutation(
        &a,
        3,
        EntityKind::Person,
        pid,
        Operation::Update,
        json!({"team_id": f.other_team.to_string()}),
    );
    let (s, body) = call(&f, "/v1/push", Some(&a.token), push_body(&[moved])).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (_, body) = call(&f, "/v1/pull", Some(&b.token), pull_body(before.next_after)).await;
    let after: PullResponse = serde_json::from_value(body).unwrap();
    assert!(ids(&after).contains(&note), "the note follows Ann");
    let last_person = after
        .changes
        .iter()
        .rev()
        .find(|c| c.mutation.entity_id == pid)
        .expect("Ann reaches the new team");
    assert_eq!(
        last_person.mutation.payload["team_id"],
        f.other_team.to_string(),
        "the snapshot carries the new team"
    );
    assert_eq!(last_person.mutation.payload["given_name"], "Ann");
    // The first laptop's team no longer sees new changes about her.
    let (_, body) = call(&f, "/v1/pull", Some(&a.token), pull_body(0)).await;
    let theirs: PullResponse = serde_json::from_value(body).unwrap();
    assert!(
        theirs
            .changes
            .iter()
            .all(|c| c.mutation.device_id == a.device_id || c.mutation.entity_id != note),
        "no snapshot is sent to the team she left"
    );
}

/// A batch writes its field changes out once, at its end; a quarantined change tried again
/// (and put back) inside the batch must not take the batch's earlier edits with it.
#[tokio::test]
async fn a_quarantined_change_tried_again_keeps_the_batchs_earlier_edits() {
    let f = fixture();
    let (a, b) = (enrol(&f, f.team).await, enrol(&f, f.other_team).await);
    let (kept, late, note) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    // A note of team A's worker for a person the server does not know yet: it waits.
    let waiting = mutation(
        &a,
        1,
        EntityKind::Note,
        note,
        Operation::Create,
        json!({"person_id": late.to_string(), "session_id": null,
               "created_at": "2025-03-03T10:00:00", "worker_id": a.worker.id.to_string()}),
    );
    let (_, body) = call(&f, "/v1/push", Some(&a.token), push_body(&[waiting])).await;
    let resp: PushResponse = serde_json::from_value(body).unwrap();
    assert!(matches!(
        resp.results[0].1,
        MutationResult::Quarantined { .. }
    ));
    // Team B edits one person, then creates the awaited person: the note is tried again and
    // put back (team A's worker may not write for team B's person); then one more edit.
    let batch = [
        mutation(
            &b,
            1,
            EntityKind::Person,
            kept,
            Operation::Create,
            person(f.other_team, "Ada"),
        ),
        mutation(
            &b,
            2,
            EntityKind::Person,
            kept,
            Operation::Update,
            json!({"phone": "07700 900001"}),
        ),
        mutation(
            &b,
            3,
            EntityKind::Person,
            late,
            Operation::Create,
            person(f.other_team, "Bea"),
        ),
        mutation(
            &b,
            4,
            EntityKind::Person,
            kept,
            Operation::Update,
            json!({"family_name": "Later"}),
        ),
    ];
    let (status, body) = call(&f, "/v1/push", Some(&b.token), push_body(&batch)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let resp: PushResponse = serde_json::from_value(body).unwrap();
    for (_, r) in &resp.results {
        assert!(matches!(r, MutationResult::Applied { .. }), "{r:?}");
    }
    assert_eq!(
        f.storage.quarantined().unwrap().len(),
        1,
        "the note still waits"
    );
    let record = f.storage.record(EntityKind::Person, kept).unwrap();
    assert_eq!(record["given_name"], "Ada");
    assert_eq!(record["phone"], "07700 900001");
    assert_eq!(record["family_name"], "Later");
}

/// A change quarantined now stores its reason's code (and what the reason names) beside the
/// text the laptop is told; a refusal tells its text as before.
#[tokio::test]
async fn a_new_quarantine_stores_its_reasons_code() {
    let f = fixture();
    let (a, b) = (enrol(&f, f.team).await, enrol(&f, f.other_team).await);
    let (late, theirs) = (Uuid::now_v7(), Uuid::now_v7());
    let (_, body) = call(
        &f,
        "/v1/push",
        Some(&b.token),
        push_body(&[mutation(
            &b,
            1,
            EntityKind::Person,
            theirs,
            Operation::Create,
            person(f.other_team, "Ada"),
        )]),
    )
    .await;
    let resp: PushResponse = serde_json::from_value(body).unwrap();
    assert!(matches!(resp.results[0].1, MutationResult::Applied { .. }));
    let note = |person: Uuid, extra: &[(&str, Value)]| {
        let mut p = json!({"person_id": person.to_string(), "session_id": null,
                           "created_at": "2025-03-03T10:00:00", "worker_id": a.worker.id.to_string()});
        for (k, v) in extra {
            p[*k] = v.clone();
        }
        p
    };
    let unknown_note = Uuid::now_v7();
    let batch = [
        mutation(
            &a,
            1,
            EntityKind::Note,
            Uuid::now_v7(),
            Operation::Create,
            note(late, &[]),
        ),
        mutation(
            &a,
            2,
            EntityKind::Note,
            unknown_note,
            Operation::Update,
            json!({"session_id": null}),
        ),
        mutation(
            &a,
            3,
            EntityKind::Note,
            Uuid::now_v7(),
            Operation::Create,
            note(theirs, &[]),
        ),
        mutation(
            &a,
            4,
            EntityKind::Note,
            Uuid::now_v7(),
            Operation::Create,
            note(late, &[("nickname", "Al".into())]),
        ),
        // Not a kind that is quarantined: refused, with the same words.
        mutation(
            &a,
            5,
            EntityKind::Person,
            Uuid::now_v7(),
            Operation::Create,
            json!({"team_id": f.team.to_string(), "nickname": "Al"}),
        ),
    ];
    let (status, body) = call(&f, "/v1/push", Some(&a.token), push_body(&batch)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let resp: PushResponse = serde_json::from_value(body).unwrap();
    let told: Vec<MutationResult> = resp.results.into_iter().map(|(_, r)| r).collect();
    let quarantined = |reason: &str| MutationResult::Quarantined {
        reason: reason.into(),
    };
    assert_eq!(
        told,
        vec![
            quarantined("the person this note belongs to is not known to the server"),
            quarantined("this record is not known to the server yet"),
            quarantined(
                "this record belongs to a person supported by a team this worker is not in"
            ),
            quarantined("note has no field nickname"),
            MutationResult::Rejected {
                reason: "person has no field nickname".into()
            },
        ]
    );

    use linkwell_server::reason::ReasonCode as C;
    let report = f.storage.quarantine_report().unwrap();
    let listed: Vec<(Uuid, Option<C>, Option<Uuid>)> = report
        .iter()
        .map(|q| (q.mutation_id, q.code, q.awaits))
        .collect();
    assert_eq!(
        listed,
        vec![
            (batch[0].mutation_id, Some(C::ParentNotKnown), Some(late)),
            (
                batch[1].mutation_id,
                Some(C::RecordNotKnown),
                Some(unknown_note)
            ),
            (batch[2].mutation_id, Some(C::NotInWritersTeams), None),
            (batch[3].mutation_id, Some(C::NoSuchField), None),
        ]
    );
    let conn = rusqlite::Connection::open(f._dir.path().join("s.db")).unwrap();
    let stored: Vec<(String, Option<String>, String)> = conn
        .prepare("SELECT reason_code, reason_detail, reason FROM quarantine ORDER BY created_at, mutation_id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let codes: Vec<(&str, Option<&str>)> = stored
        .iter()
        .map(|(c, d, _)| (c.as_str(), d.as_deref()))
        .collect();
    assert_eq!(
        codes,
        vec![
            ("parent_not_known", Some("person")),
            ("record_not_known", None),
            ("not_in_writers_teams", None),
            ("no_such_field", Some("nickname")),
        ]
    );
    for ((_, _, text), r) in stored.iter().zip(&told) {
        assert_eq!(&quarantined(text), r, "the stored text is the one told");
    }
}

#[tokio::test]
async fn metrics_count_pushes_and_refusals_and_hold_no_ids_or_names() {
    let f = fixture();
    let e = enrol(&f, f.team).await;
    let m = mutation(
        &e,
        1,
        EntityKind::Person,
        Uuid::now_v7(),
        Operation::Create,
        person(f.team, "Adaline"),
    );
    let (status, _) = call(
        &f,
        "/v1/push",
        Some(&e.token),
        push_body(std::slice::from_ref(&m)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(&f, "/v1/push", Some("not-a-token"), push_body(&[m])).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let resp = router(AppState {
        storage: f.storage.clone(),
    })
    .oneshot(Request::get("/metrics").body(Body::empty()).unwrap())
    .await
    .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let text = String::from_utf8(
        resp.into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap();
    for expected in [
        "linkwell_pushes_total ",
        "linkwell_mutations_total{result=\"applied\"} ",
        "linkwell_refusals_total{code=\"unauthorised\"} ",
        "linkwell_request_duration_seconds_bucket{route=\"push\"",
        "linkwell_quarantine_open 0",
    ] {
        assert!(text.contains(expected), "{expected} missing from\n{text}");
    }
    for secret in [
        e.device_id.to_string(),
        e.worker.id.to_string(),
        e.token.clone(),
        "Adaline".to_string(),
    ] {
        assert!(!text.contains(&secret), "/metrics shows {secret}");
    }
}
