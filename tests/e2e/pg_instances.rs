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

/// Issue 18's fault: the database goes away during the day. A push while it is gone is
/// refused as "try again shortly" (503 `unavailable`), nothing is half-written on either side,
/// `/health` says so, and once the database is back the same laptop syncs everything, with
/// each change in the stream exactly once.
#[test]
fn the_database_going_away_fails_the_push_retryably_and_the_laptop_catches_up() {
    use linkwell_core::sync::{SyncError, TransportError};
    let cluster = Cluster::start();
    let (db, _dir, server, mut store) = one_laptop(&cluster, "goes_away");
    work(&mut store, 10, "morning");
    sync_through(&mut store, std::slice::from_ref(&server.url));

    cluster.stop();
    work(&mut store, 10, "afternoon");
    let waiting = store.pending_count().unwrap();
    let err = store
        .sync(&mut HttpTransport::new(&server.url))
        .unwrap_err();
    let SyncError::Transport(TransportError::Refused { status, body }) = &err else {
        panic!("expected the server's refusal, got {err:?}");
    };
    assert_eq!((*status, body.code.as_str()), (503, "unavailable"), "{err}");
    assert!(err.to_string().contains("sync again shortly"), "{err}");
    assert_eq!(
        store.pending_count().unwrap(),
        waiting,
        "nothing acknowledged"
    );
    let health = ureq::get(&format!("{}/health", server.url))
        .config()
        .http_status_as_error(false)
        .build()
        .call()
        .unwrap();
    assert_eq!(health.status().as_u16(), 503);

    cluster.restart();
    sync_through(&mut store, std::slice::from_ref(&server.url));
    assert_eq!(store.pending_count().unwrap(), 0);
    let stream = ServerStorage::open_postgres(&db).unwrap().stream().unwrap();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (_, m) in &stream {
        *seen.entry(m.mutation_id.to_string()).or_default() += 1;
    }
    let acked = acked_ids(&store);
    assert!(
        acked.len() >= 22,
        "two people and twenty notes: {}",
        acked.len()
    );
    for id in acked {
        assert_eq!(
            seen.get(&id),
            Some(&1),
            "change {id} not in the stream once"
        );
    }
}

/// `linkwell-server backup` and `restore` on PostgreSQL, as an operator runs them: the
/// afternoon's changes are lost by restoring the morning's dump, the restore starts a new
/// epoch, and the laptop re-sends what the dump lacked, so the stream holds it all again.
#[test]
fn a_postgres_restore_from_the_command_line_gets_back_what_laptops_still_hold() {
    let cluster = Cluster::start();
    let (db, dir, mut server, mut store) = one_laptop(&cluster, "restored");
    work(&mut store, 5, "morning");
    sync_through(&mut store, std::slice::from_ref(&server.url));
    let dump = dir.path().join("morning.dump");
    admin(&db, &["backup", "--to", dump.to_str().unwrap()]);
    work(&mut store, 5, "afternoon");
    sync_through(&mut store, std::slice::from_ref(&server.url));
    let before = ServerStorage::open_postgres(&db)
        .unwrap()
        .stream()
        .unwrap()
        .len();

    server.kill();
    let said = admin(&db, &["restore", "--from", dump.to_str().unwrap()]);
    assert!(said.contains("new epoch"), "{said}");
    let lost = ServerStorage::open_postgres(&db)
        .unwrap()
        .stream()
        .unwrap()
        .len();
    assert!(
        lost < before,
        "the dump is the morning's: {lost} of {before}"
    );

    let server = serve(dir.path(), &db);
    sync_through(&mut store, std::slice::from_ref(&server.url));
    let stream = ServerStorage::open_postgres(&db).unwrap().stream().unwrap();
    let ids: BTreeSet<String> = stream
        .iter()
        .map(|(_, m)| m.mutation_id.to_string())
        .collect();
    for id in acked_ids(&store) {
        assert!(
            ids.contains(&id),
            "change {id} was not sent again after the restore"
        );
    }
}

/// A new organisation on its own database of `cluster`, one server on it and one enrolled
/// laptop: (database URL, the test's folder, the server, the laptop).
fn one_laptop(cluster: &Cluster, name: &str) -> (String, tempfile::TempDir, ServerProcess, Store) {
    let db = cluster.create_database(name);
    let dir = tempfile::tempdir().unwrap();
    admin(&db, &["init", "--org", "Test Social Prescribing"]);
    admin(&db, &["team", "add", "--name", "Rushcliffe"]);
    let worker = admin(
        &db,
        &["worker", "add", "--name", "W", "--team", "Rushcliffe"],
    );
    let code = admin(&db, &["enrol-code", "--worker", &worker]);
    let server = serve(dir.path(), &db);
    let mut store = Store::open(&dir.path().join("l.db"), None).unwrap();
    store
        .enrol(&mut HttpTransport::new(&server.url), &server.url, &code)
        .unwrap();
    (db, dir, server, store)
}
