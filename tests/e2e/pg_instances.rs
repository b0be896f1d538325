//! Two `linkwell-server` processes on one PostgreSQL (a throw-away cluster): many laptops push
//! and pull through both at once, one instance is SIGKILLed while it holds a push open, and
//! the laptops carry on through the other. Every acknowledged change is in the stream exactly
//! once, the stream has no gaps, and every laptop converges.

use linkwell_core::Store;
use linkwell_core::records::people::PersonInput;
use linkwell_e2e::{ServerProcess, binary, run_ok, wait_for};
use linkwell_server::ServerStorage;
use linkwell_server::pg_cluster::Cluster;
use linkwell_sync_http::HttpTransport;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

fn admin(db: &str, args: &[&str]) -> String {
    run_ok(
        Command::new(binary("linkwell-server"))
            .arg("--database")
            .arg(db)
            .args(args),
    )
}

fn serve(dir: &Path, db: &str) -> ServerProcess {
    ServerProcess::start_with(dir, "127.0.0.1:0", &["--database", db])
}

/// A laptop's people and notes, as it would write them in a day.
fn work(store: &mut Store, n_notes: usize, tag: &str) {
    let p = store
        .add_person(&PersonInput {
            given_name: format!("P{tag}"),
            family_name: "Test".into(),
            ..Default::default()
        })
        .unwrap();
    for i in 0..n_notes {
        store
            .add_note(p.id, None, &format!("note {tag} {i}"))
            .unwrap();
    }
}

/// Syncs until all synced, trying each server in turn (one of them may be gone).
fn sync_through(store: &mut Store, urls: &[String]) {
    for attempt in 0..20 {
        let url = &urls[attempt % urls.len()];
        if store.sync(&mut HttpTransport::new(url)).is_ok()
            && store.sync_status().unwrap().all_synced
        {
            return;
        }
    }
    panic!("a laptop never got all synced: {:?}", store.sync_status());
}

fn acked_ids(store: &Store) -> Vec<String> {
    let mut stmt = store
        .conn()
        .prepare("SELECT mutation_id FROM change_log WHERE acked_at IS NOT NULL")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn two_instances_on_one_database_lose_nothing_when_one_is_killed_mid_push() {
    const LAPTOPS: usize = 10;
    let cluster = Cluster::start();
    let db = cluster.create_database("two_instances");
    let dir = tempfile::tempdir().unwrap();
    admin(&db, &["init", "--org", "Test Social Prescribing"]);
    admin(&db, &["team", "add", "--name", "Rushcliffe"]);
    // Each instance names itself to PostgreSQL, so the test can see which holds a push open.
    let a_db = format!("{db}?application_name=linkwell-a");
    let b_db = format!("{db}?application_name=linkwell-b");
    let mut a = serve(dir.path(), &a_db);
    let b = serve(dir.path(), &b_db);
    let urls = vec![a.url.clone(), b.url.clone()];

    let mut laptops: Vec<(PathBuf, Store)> = (0..LAPTOPS)
        .map(|i| {
            let worker = admin(
                &db,
                &[
                    "worker",
                    "add",
                    "--name",
                    &format!("W{i}"),
                    "--team",
                    "Rushcliffe",
                ],
            );
            let code = admin(&db, &["enrol-code", "--worker", &worker]);
            let path = dir.path().join(format!("l{i}.db"));
            let mut s = Store::open(&path, None).unwrap();
            let url = &urls[i % 2];
            s.enrol(&mut HttpTransport::new(url), url, &code).unwrap();
            (path, s)
        })
        .collect();

    // A first round through both instances at once, one thread per laptop.
    std::thread::scope(|scope| {
        for (i, (_, s)) in laptops.iter_mut().enumerate() {
            let urls = &urls;
            scope.spawn(move || {
                work(s, 5, &format!("{i}-1"));
                let url = &urls[i % 2];
                s.sync(&mut HttpTransport::new(url)).unwrap();
            });
        }
    });

    // Laptop 0 comes back from a week offline and pushes through instance A; the others go on
    // through B meanwhile. A is killed while it holds the push's transaction open.
    let (big, rest) = laptops.split_first_mut().unwrap();
    work(&mut big.1, 1500, "big");
    let watch_url = db.clone();
    std::thread::scope(|scope| {
        let a_url = a.url.clone();
        let big_store = &mut big.1;
        let pusher = scope.spawn(move || big_store.sync(&mut HttpTransport::new(&a_url)));
        for (i, (_, s)) in rest.iter_mut().enumerate() {
            let b_url = urls[1].clone();
            scope.spawn(move || {
                work(s, 5, &format!("{i}-2"));
                // Refused or cut off are both fine here: the last round below must succeed.
                let _ = s.sync(&mut HttpTransport::new(&b_url));
            });
        }
        // Evidence the push is under way: instance A's connection holds the stream clock.
        let mut watch = postgres::Client::connect(&watch_url, postgres::NoTls).unwrap();
        wait_for(
            "instance A to hold a push open",
            Duration::from_secs(60),
            || {
                let n: i64 = watch
                    .query_one(
                        "SELECT COUNT(*) FROM pg_locks l JOIN pg_stat_activity s ON s.pid = l.pid
                         WHERE l.relation = 'stream_clock'::regclass AND l.granted
                           AND s.application_name = 'linkwell-a'",
                        &[],
                    )
                    .unwrap()
                    .get(0);
                (n > 0).then_some(())
            },
        );
        a.kill();
        // Its laptop's sync fails or finishes; either way it carries on below.
        let _ = pusher.join().unwrap();
    });

    // Every laptop syncs until all synced, through whichever instance answers.
    for (_, s) in laptops.iter_mut() {
        sync_through(s, &urls);
    }
    // A second pass so every laptop has pulled what the others pushed last.
    for (_, s) in laptops.iter_mut() {
        sync_through(s, &urls);
    }

    let storage = ServerStorage::open_postgres(&db).unwrap();
    let stream = storage.stream().unwrap();
    // No gaps: numbered 1, 2, 3, ... with nothing missing.
    for (i, (seq, _)) in stream.iter().enumerate() {
        assert_eq!(*seq, i as u64 + 1, "a gap in the stream");
    }
    // Exactly once: no laptop change twice.
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (_, m) in &stream {
        if !m.device_id.is_nil() {
            *seen.entry(m.mutation_id.to_string()).or_default() += 1;
        }
    }
    assert!(
        seen.values().all(|n| *n == 1),
        "a change is in the stream more than once"
    );
    // Every acknowledged change is there.
    let mut acked = 0;
    for (path, s) in &laptops {
        for id in acked_ids(s) {
            assert_eq!(
                seen.get(&id),
                Some(&1),
                "{}: acknowledged change {id} is not in the stream",
                path.display()
            );
            acked += 1;
        }
    }
    assert!(
        acked >= 1500 + LAPTOPS * 12,
        "only {acked} changes acknowledged"
    );
    // Every laptop converges on the server's people and notes.
    let notes: BTreeSet<String> = storage
        .ids(linkwell_protocol::EntityKind::Note)
        .unwrap()
        .into_iter()
        .map(|u| u.to_string())
        .collect();
    for (path, s) in &laptops {
        let mut stmt = s.conn().prepare("SELECT id FROM note").unwrap();
        let local: BTreeSet<String> = stmt
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(local, notes, "{} has not converged", path.display());
        assert!(s.sync_status().unwrap().all_synced);
    }
    drop(b);
}

/// A wrong or unreachable database at start-up: the server says which, and exits non-zero.
#[test]
fn a_bad_database_url_stops_the_server_at_start_up_saying_why() {
    for (url, words) in [
        (
            "postgres://linkwell@127.0.0.1:1/linkwell",
            "could not connect",
        ),
        (
            "postgres://linkwell@127.0.0.1:notaport/x",
            "could not be read",
        ),
        ("/srv/linkwell.db", "must be a PostgreSQL URL"),
    ] {
        let out = Command::new(binary("linkwell-server"))
            .args(["--database", url, "serve", "--listen", "127.0.0.1:0"])
            .output()
            .unwrap();
        assert!(!out.status.success(), "{url}: the server started");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(words), "{url}: {err}");
    }
}
