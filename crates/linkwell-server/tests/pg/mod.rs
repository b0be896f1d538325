//! The storage on a real PostgreSQL (a throw-away cluster, `linkwell_server::pg_cluster`):
//! the same rules as on SQLite, commit order as stream order across two instances, a newer
//! database refused, a database going away mid-push, a wrong URL at start-up.

use linkwell_protocol::{
    EntityKind, MutationResult, Operation, PROTOCOL_VERSION, PullRequest, PushRequest,
};
use linkwell_server::fuzzing::device_mutation;
use linkwell_server::pg_cluster::Cluster;
use linkwell_server::storage::{DeviceCtx, ServerStorage, Storage, StorageError};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex, mpsc};
use uuid::Uuid;

fn push_req(ms: Vec<linkwell_protocol::Mutation>) -> PushRequest {
    PushRequest {
        protocol_version: PROTOCOL_VERSION,
        schema_version: 2,
        mutations: ms,
    }
}

fn pull_req(after: u64) -> PullRequest {
    PullRequest {
        protocol_version: PROTOCOL_VERSION,
        schema_version: 2,
        epoch: None,
        after_server_seq: after,
        limit: 1000,
    }
}

/// An organisation with one team and `n` enrolled devices.
fn org(storage: &ServerStorage, n: usize) -> (Uuid, Vec<DeviceCtx>) {
    storage.init_org("Org").unwrap();
    let team = storage.add_team("A", None).unwrap();
    let ctxs = (0..n)
        .map(|i| {
            let w = storage
                .add_worker(&format!("W{i}"), "link_worker", "A")
                .unwrap();
            let code = storage.issue_code(w, 1).unwrap();
            let e = storage.enrol(&code).unwrap();
            storage.authenticate(&e.token).unwrap()
        })
        .collect();
    (team, ctxs)
}

fn person(ctx: &DeviceCtx, seq: u64, team: Uuid, name: &str) -> linkwell_protocol::Mutation {
    device_mutation(
        (ctx.device_id, ctx.worker_id),
        seq,
        1_000 + seq,
        (EntityKind::Person, Uuid::now_v7(), Operation::Create),
        json!({"team_id": team.to_string(), "given_name": name, "family_name": "Test", "created_on": "2025-01-01"}),
    )
}

#[test]
fn postgres_storage_keeps_the_same_rules() {
    let cluster = Cluster::start();
    let url = cluster.create_database("rules");
    let storage = ServerStorage::open_postgres(&url).unwrap();
    assert!(storage.is_postgres());
    let (team, ctxs) = org(&storage, 2);
    let a = &ctxs[0];
    let p = person(a, 1, team, "Ada");
    let pid = p.entity_id;
    let r = storage.push(a, &push_req(vec![p.clone()]), 10_000).unwrap();
    assert!(matches!(r.results[0].1, MutationResult::Applied { .. }));
    // A retry is answered as the first time, and stores nothing more.
    let again = storage.push(a, &push_req(vec![p]), 10_000).unwrap();
    assert!(matches!(
        again.results[0].1,
        MutationResult::Duplicate { .. }
    ));
    // A gap is refused, naming the number expected.
    let gap = storage.push(a, &push_req(vec![person(a, 5, team, "Bo")]), 10_000);
    assert!(matches!(gap, Err(StorageError::Gap { expected: 2 })));
    // A note for a person the server does not know waits in quarantine.
    let note = device_mutation(
        (a.device_id, a.worker_id),
        2,
        1_002,
        (EntityKind::Note, Uuid::now_v7(), Operation::Create),
        json!({"person_id": Uuid::now_v7().to_string(), "body": "x", "written_at": "2025-01-01T10:00:00Z"}),
    );
    let q = storage.push(a, &push_req(vec![note]), 10_000).unwrap();
    assert!(matches!(q.results[0].1, MutationResult::Quarantined { .. }));
    assert_eq!(storage.quarantine_report().unwrap().len(), 1);
    // Two laptops change one field: the later clock wins and the loser is recorded.
    let b = &ctxs[1];
    let edit = |ctx: &DeviceCtx, seq, wall, phone: &str| {
        device_mutation(
            (ctx.device_id, ctx.worker_id),
            seq,
            wall,
            (EntityKind::Person, pid, Operation::Update),
            json!({"phone": phone}),
        )
    };
    storage
        .push(
            a,
            &push_req(vec![edit(a, 3, 50_000, "07700900001")]),
            60_000,
        )
        .unwrap();
    storage
        .push(
            b,
            &push_req(vec![edit(b, 1, 40_000, "07700900002")]),
            60_000,
        )
        .unwrap();
    assert_eq!(
        storage.record(EntityKind::Person, pid).unwrap()["phone"],
        Value::from("07700900001")
    );
    assert_eq!(storage.conflicts().unwrap().len(), 1);
    // Pulled as stored, in order, with the conflict.
    let page = storage.pull(b, &pull_req(0)).unwrap();
    let seqs: Vec<u64> = page.changes.iter().map(|c| c.server_seq).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    assert_eq!(page.conflicts.len(), 1);
    // Backup and restore: a new epoch, and what the backup lacks is gone.
    let dump = cluster.dir().join("backup.dump");
    storage.backup_to(&dump).unwrap();
    let restored_url = cluster.create_database("rules_restored");
    linkwell_server::storage::pg::restore(&restored_url, &dump).unwrap();
    let restored = ServerStorage::open_postgres(&restored_url).unwrap();
    let before = storage.epoch().unwrap();
    let after = restored.new_epoch().unwrap();
    assert_ne!(before, after);
    assert_eq!(restored.counts().unwrap(), storage.counts().unwrap());
}

#[test]
fn a_database_from_a_newer_server_is_refused() {
    let cluster = Cluster::start();
    let url = cluster.create_database("newer");
    drop(ServerStorage::open_postgres(&url).unwrap());
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    c.batch_execute("UPDATE schema_version SET version = 999")
        .unwrap();
    assert!(matches!(
        ServerStorage::open_postgres(&url),
        Err(StorageError::NewerSchema)
    ));
}

#[test]
fn a_wrong_or_unreachable_url_is_a_clear_error() {
    let bad = ServerStorage::open_postgres("postgres://nobody@127.0.0.1:notaport/x");
    assert!(
        matches!(&bad, Err(StorageError::BadDatabaseUrl(m)) if m.contains("postgres://")),
        "{bad:?}"
    );
    // Nothing listens on port 1.
    let down = ServerStorage::open_postgres("postgres://linkwell@127.0.0.1:1/x");
    assert!(
        matches!(&down, Err(StorageError::Unavailable(m)) if m.contains("could not connect")),
        "{down:?}"
    );
}

/// Two instances (two pools on one database) push at once; the first holds its transaction
/// open after appending. The second waits for it (the clock row), a pull meanwhile sees
/// neither and does not move its cursor past the first's change, and once both commit the
/// stream is the first's change then the second's, numbered one after the other.
#[test]
fn commit_order_is_stream_order_across_instances() {
    let cluster = Cluster::start();
    let url = cluster.create_database("order");
    let mut first = ServerStorage::open_postgres(&url).unwrap();
    let second = Arc::new(ServerStorage::open_postgres(&url).unwrap());
    let (team, ctxs) = org(&second, 2);
    let (paused_tx, paused_rx) = mpsc::channel::<()>();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let go_rx = Mutex::new(go_rx);
    let paused_tx = Mutex::new(paused_tx);
    first.pause_pushes_before_commit(move || {
        paused_tx.lock().unwrap().send(()).unwrap();
        go_rx.lock().unwrap().recv().unwrap();
    });
    let first = Arc::new(first);
    let cursor = second.pull(&ctxs[1], &pull_req(0)).unwrap().next_after;

    let (a, b) = (ctxs[0].clone(), ctxs[1].clone());
    let late = person(&a, 1, team, "Late");
    let early = person(&b, 1, team, "Early");
    let (late_id, early_id) = (late.entity_id, early.entity_id);
    let f = first.clone();
    let late_push = std::thread::spawn(move || f.push(&a, &push_req(vec![late]), now()));
    paused_rx.recv().unwrap();
    let s = second.clone();
    let b2 = b.clone();
    let early_push = std::thread::spawn(move || s.push(&b2, &push_req(vec![early]), now()));
    // Wait until the second push is blocked on the clock row (a condition, not a sleep-and-hope).
    let mut watch = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let waiting: i64 = watch
            .query_one(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = 'order'",
                &[],
            )
            .unwrap()
            .get(0);
        if waiting >= 1 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the second push never waited for the first"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(!early_push.is_finished());
    // A pull now sees neither change, and its cursor stays where it was.
    let mid = second.pull(&b, &pull_req(cursor)).unwrap();
    assert!(mid.changes.is_empty(), "{:?}", mid.changes);
    assert_eq!(mid.next_after, cursor);
    go_tx.send(()).unwrap();
    let late_seq = applied(late_push.join().unwrap().unwrap().results[0].1.clone());
    let early_seq = applied(early_push.join().unwrap().unwrap().results[0].1.clone());
    assert_eq!(early_seq, late_seq + 1);
    let page = second.pull(&b, &pull_req(mid.next_after)).unwrap();
    let got: Vec<(u64, Uuid)> = page
        .changes
        .iter()
        .map(|c| (c.server_seq, c.mutation.entity_id))
        .collect();
    assert_eq!(got, vec![(late_seq, late_id), (early_seq, early_id)]);
}

fn applied(r: MutationResult) -> u64 {
    match r {
        MutationResult::Applied { server_seq } => server_seq,
        other => panic!("not applied: {other:?}"),
    }
}

fn now() -> u64 {
    linkwell_server::storage::now_ms()
}

/// The database stops during a push: the push fails as retryable (`Unavailable`), nothing of
/// it is stored, and the same push succeeds once the database is back.
#[test]
fn the_database_going_away_mid_push_is_retryable_and_half_writes_nothing() {
    let cluster = Cluster::start();
    let url = cluster.create_database("away");
    let mut storage = ServerStorage::open_postgres(&url).unwrap();
    let (team, ctxs) = {
        let s = &storage;
        org(s, 1)
    };
    let ctx = ctxs[0].clone();
    let (paused_tx, paused_rx) = mpsc::channel::<()>();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let go_rx = Mutex::new(go_rx);
    let paused_tx = Mutex::new(paused_tx);
    let once = std::sync::atomic::AtomicBool::new(true);
    storage.pause_pushes_before_commit(move || {
        if once.swap(false, std::sync::atomic::Ordering::SeqCst) {
            paused_tx.lock().unwrap().send(()).unwrap();
            go_rx.lock().unwrap().recv().unwrap();
        }
    });
    let storage = Arc::new(storage);
    let before = storage.counts().unwrap();
    let batch = push_req((1..=20).map(|i| person(&ctx, i, team, "P")).collect());
    let s = storage.clone();
    let (c2, b2) = (ctx.clone(), batch.clone());
    let push = std::thread::spawn(move || s.push(&c2, &b2, now()));
    // Every change appended, not committed: the database goes away.
    paused_rx.recv().unwrap();
    cluster.stop();
    // `/health` says so.
    assert!(!storage.reachable());
    go_tx.send(()).unwrap();
    let failed = push.join().unwrap();
    assert!(
        matches!(failed, Err(StorageError::Unavailable(_))),
        "{failed:?}"
    );
    cluster.restart();
    assert!(storage.reachable());
    assert_eq!(storage.counts().unwrap(), before, "half a push was kept");
    let ok = storage.push(&ctx, &batch, now()).unwrap();
    assert!(
        ok.results
            .iter()
            .all(|(_, r)| matches!(r, MutationResult::Applied { .. }))
    );
    assert_eq!(storage.counts().unwrap().0, before.0 + 20);
}
