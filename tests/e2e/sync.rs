//! End-to-end sync: a real `linkwell-server` process on a random loopback port, laptops
//! enrolled with one-time codes and synced with the real `linkwell` binary; offline edits are
//! made through the core on each laptop's own database file.

use linkwell_core::Store;
use linkwell_core::records::people::PersonInput;
use linkwell_core::sync::{SyncTransport, TransportError};
use linkwell_e2e::{
    ServerProcess, add_worker, enrol_code, linkwell, linkwell_ok, new_org, server_admin,
};
use linkwell_protocol::{
    EntityKind, Hlc, Mutation, Operation, PROTOCOL_VERSION, PullRequest, PushRequest,
};
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::Duration;
use uuid::Uuid;

struct Org {
    _dir: tempfile::TempDir,
    data: PathBuf,
    root: PathBuf,
    server: ServerProcess,
    coach: PathBuf,
    worker: PathBuf,
    other: PathBuf,
    other_device_token: String,
}

fn setup() -> Org {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let data = root.join("server");
    new_org(&data, &["Rushcliffe", "Other locality"]);
    let hc = add_worker(&data, "Coach", "health_coach", "Rushcliffe");
    let lw = add_worker(&data, "Linker", "link_worker", "Rushcliffe");
    let ow = add_worker(&data, "Elsewhere", "link_worker", "Other locality");
    let server = ServerProcess::start(&data);
    let mut laptops = Vec::new();
    for (name, worker) in [("coach", &hc), ("worker", &lw), ("other", &ow)] {
        let code = enrol_code(&data, worker);
        let db = root.join(format!("{name}.db"));
        linkwell_ok(&db, &["enrol", "--server", &server.url, "--code", &code]);
        laptops.push(db);
    }
    let other_device_token = token(&laptops[2]);
    Org {
        data,
        root,
        coach: laptops[0].clone(),
        worker: laptops[1].clone(),
        other: laptops[2].clone(),
        server,
        other_device_token,
        _dir: dir,
    }
}

/// Opens a laptop database as the app would: unlocked with the test passphrase.
fn open(db: &Path) -> Store {
    if linkwell_core::security::vault::is_encrypted(db) {
        Store::unlock(db, linkwell_e2e::TEST_PASSPHRASE).unwrap()
    } else {
        Store::open(db, None).unwrap()
    }
}

fn token(db: &Path) -> String {
    let store = open(db);
    store
        .conn()
        .query_row("SELECT token FROM sync_state", [], |r| r.get(0))
        .unwrap()
}

fn sync(db: &Path, url: &str) -> String {
    linkwell_ok(db, &["sync", "--server", url])
}

fn person_row(db: &Path, id: Uuid) -> serde_json::Map<String, serde_json::Value> {
    let store = open(db);
    linkwell_core::store::load(store.conn(), EntityKind::Person, id)
        .unwrap()
        .unwrap_or_default()
}

fn count(db: &Path, sql: &str) -> i64 {
    let store = open(db);
    store.conn().query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn two_laptops_sharing_a_person_converge_field_by_field() {
    let org = setup();
    let url = org.server.url.clone();
    sync(&org.coach, &url);
    sync(&org.worker, &url);

    // The health coach registers a person and writes a note, then syncs.
    let person = {
        let mut s = open(&org.coach);
        let p = s
            .add_person(&PersonInput {
                given_name: "Ada".into(),
                family_name: "Testperson".into(),
                phone: Some("01632 960001".into()),
                contact_restrictions: Some("No calls before 10am".into()),
                ..Default::default()
            })
            .unwrap();
        s.add_note(p.id, None, "First meeting at the library")
            .unwrap();
        p.id
    };
    sync(&org.coach, &url);
    sync(&org.worker, &url);
    assert_eq!(person_row(&org.worker, person)["given_name"], "Ada");

    // Both laptops go offline and edit the same person.
    let base = {
        let s = open(&org.coach);
        s.person(person).unwrap()
    };
    let to_input = |p: &linkwell_core::records::people::Person| PersonInput {
        given_name: p.given_name.clone(),
        family_name: p.family_name.clone(),
        phone: p.phone.clone(),
        postcode: p.postcode.clone(),
        address: p.address.clone(),
        contact_restrictions: p.contact_restrictions.clone(),
        ..Default::default()
    };
    {
        let mut s = open(&org.coach);
        let mut i = to_input(&base);
        i.phone = Some("07700 900123".into());
        i.contact_restrictions = Some("Letters only".into());
        s.update_person(person, &i).unwrap();
        s.add_note(person, None, "Coach: talked about the walking group")
            .unwrap();
    }
    {
        let mut s = open(&org.worker);
        let mut i = to_input(&base);
        i.postcode = Some("NG11 6JS".into());
        i.address = Some("1 Test Street".into());
        i.contact_restrictions = Some("Text messages only".into());
        s.update_person(person, &i).unwrap();
        s.add_note(person, None, "Worker: agreed to try the café")
            .unwrap();
    }
    assert!(linkwell_ok(&org.coach, &["sync", "status"]).contains("Not synced"));

    sync(&org.coach, &url);
    sync(&org.worker, &url);
    sync(&org.coach, &url);

    let a = person_row(&org.coach, person);
    let b = person_row(&org.worker, person);
    for (field, value) in &a {
        assert_eq!(
            Some(value),
            b.get(field),
            "field {field} differs between laptops"
        );
    }
    assert_eq!(a["phone"], "07700 900123", "the coach's phone edit is kept");
    assert_eq!(
        a["postcode"], "NG11 6JS",
        "the worker's postcode edit is kept"
    );
    assert_eq!(a["address"], "1 Test Street");
    // A safety field changed on both: the server's (first synced) value is kept, both recorded.
    assert_eq!(a["contact_restrictions"], "Letters only");
    let review = linkwell_ok(&org.worker, &["sync", "review"]);
    assert!(review.contains("Text messages only"), "{review}");
    assert!(review.contains("Letters only"), "{review}");

    // Every note, from both laptops, exactly once on each.
    for db in [&org.coach, &org.worker] {
        assert_eq!(count(db, "SELECT COUNT(*) FROM note"), 3);
        assert_eq!(count(db, "SELECT COUNT(*) FROM note_revision"), 3);
        let status = linkwell_ok(db, &["sync", "status"]);
        assert!(status.starts_with("All synced."), "{status}");
    }

    // Another team's laptop receives nothing of this person.
    sync(&org.other, &url);
    assert_eq!(count(&org.other, "SELECT COUNT(*) FROM person"), 0);
    assert_eq!(count(&org.other, "SELECT COUNT(*) FROM note"), 0);
    // ... but does receive the organisation's teams and workers.
    assert_eq!(count(&org.other, "SELECT COUNT(*) FROM worker"), 3);
}

/// A raw HTTP request; returns (status, body).
fn raw(url: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    let addr = url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out[9..12].parse().unwrap();
    let body = out
        .split_once("\r\n\r\n")
        .map(|x| x.1.to_string())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn access_is_refused_without_credentials_for_other_teams_and_after_revocation() {
    let org = setup();
    let url = org.server.url.clone();
    sync(&org.coach, &url);
    let person = {
        let mut s = open(&org.coach);
        let p = s
            .add_person(&PersonInput {
                given_name: "Bea".into(),
                family_name: "Secretname".into(),
                ..Default::default()
            })
            .unwrap();
        s.add_note(p.id, None, "private words").unwrap();
        p.id
    };
    sync(&org.coach, &url);

    let pull = serde_json::json!({
        "protocol_version": PROTOCOL_VERSION, "schema_version": linkwell_core::SCHEMA_VERSION,
        "epoch": null, "after_server_seq": 0, "limit": 1000
    })
    .to_string();
    let push = serde_json::json!({
        "protocol_version": PROTOCOL_VERSION, "schema_version": linkwell_core::SCHEMA_VERSION,
        "mutations": []
    })
    .to_string();
    let versions = [("linkwell-protocol", "1"), ("linkwell-schema", "2")];
    // Every endpoint without credentials, and with a made-up one: refused, never data.
    for (method, path, body) in [
        ("POST", "/v1/pull", &pull),
        ("POST", "/v1/push", &push),
        ("GET", "/v1/whoami", &String::new()),
    ] {
        let (status, text) = raw(&url, method, path, &versions, body);
        assert_eq!(status, 401, "{path}: {text}");
        assert!(!text.contains("Secretname") && !text.contains(&person.to_string()));
        let mut h = versions.to_vec();
        h.push(("authorization", "Bearer lw1_0000"));
        let (status, text) = raw(&url, method, path, &h, body);
        assert_eq!(status, 401, "{path}: {text}");
        assert!(!text.contains("Secretname"));
    }
    // An old client is told to update.
    let mut h = vec![("linkwell-protocol", "0"), ("linkwell-schema", "1")];
    let tok = format!("Bearer {}", org.other_device_token);
    h.push(("authorization", tok.as_str()));
    let (status, text) = raw(&url, "POST", "/v1/pull", &h, &pull);
    assert_eq!(status, 426, "{text}");
    assert!(text.contains("please update"), "{text}");

    // Another team's device pulls: nothing of the person; pushes a note for them: quarantined
    // for a supervisor, never shown to anyone.
    let mut t = linkwell_sync_http::HttpTransport::new(&url);
    let page = t
        .pull(
            &org.other_device_token,
            &PullRequest {
                protocol_version: PROTOCOL_VERSION,
                schema_version: linkwell_protocol::WIRE_SCHEMA_VERSION,
                epoch: None,
                after_server_seq: 0,
                limit: 1000,
            },
        )
        .unwrap();
    let text = serde_json::to_string(&page).unwrap();
    assert!(!text.contains("Secretname") && !text.contains("private words"));
    assert!(!text.contains(&person.to_string()));
    let other = open(&org.other).actor().unwrap();
    let mut payload = serde_json::Map::new();
    payload.insert("person_id".into(), person.to_string().into());
    payload.insert("created_at".into(), "2025-01-01T10:00:00".into());
    payload.insert("worker_id".into(), other.worker_id.to_string().into());
    payload.insert("session_id".into(), serde_json::Value::Null);
    let hash = linkwell_protocol::payload_hash(&serde_json::to_string(&payload).unwrap());
    let resp = t
        .push(
            &org.other_device_token,
            &PushRequest {
                protocol_version: PROTOCOL_VERSION,
                schema_version: linkwell_protocol::WIRE_SCHEMA_VERSION,
                mutations: vec![Mutation {
                    mutation_id: Uuid::now_v7(),
                    device_id: other.device_id,
                    worker_id: other.worker_id,
                    device_seq: 1,
                    hlc: Hlc {
                        wall_ms: 1,
                        counter: 0,
                        device: other.device_id,
                    },
                    entity: EntityKind::Note,
                    entity_id: Uuid::now_v7(),
                    op: Operation::Create,
                    payload: serde_json::Value::Object(payload),
                    payload_hash: hash,
                    base_server_seq: 0,
                }],
            },
        )
        .unwrap();
    assert!(
        matches!(
            resp.results[0].1,
            linkwell_protocol::MutationResult::Quarantined { .. }
        ),
        "{resp:?}"
    );
    // The administrator lists it for review (ids and reason, none of the note's words) and
    // marks it reviewed: kept, no longer listed.
    let listed = server_admin(&org.data, &["quarantine", "list"]);
    let quarantined = resp.results[0].0.to_string();
    assert!(listed.contains(&quarantined), "{listed}");
    assert!(listed.contains("1 open") && listed.contains("a team this worker is not in"));
    assert!(!listed.contains("Secretname") && !listed.contains("2025-01-01T10:00:00"));
    server_admin(&org.data, &["quarantine", "resolve", &quarantined]);
    assert!(server_admin(&org.data, &["quarantine", "list"]).contains("0 open"));

    // A revoked device gets nothing more.
    let device = open(&org.worker).actor().unwrap().device_id;
    sync(&org.worker, &url);
    server_admin(&org.data, &["device", "revoke", &device.to_string()]);
    let out = linkwell(&org.worker, &["sync", "--server", &url]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("revoked"));
    let tok = token(&org.worker);
    let err = t
        .pull(
            &tok,
            &PullRequest {
                protocol_version: PROTOCOL_VERSION,
                schema_version: linkwell_protocol::WIRE_SCHEMA_VERSION,
                epoch: None,
                after_server_seq: 0,
                limit: 1000,
            },
        )
        .unwrap_err();
    assert!(
        matches!(err, TransportError::Refused { status: 403, .. }),
        "{err:?}"
    );
    let status = linkwell_ok(&org.worker, &["sync", "status"]);
    assert!(
        status.contains("Last attempt failed") && !status.contains("All synced"),
        "{status}"
    );
    let _ = org.root;
}

/// How many of this person's notes the server holds: every note it would give a device of
/// the same team, read straight from its stream (the raw transport, as `worker_token`'s
/// device, without touching that laptop's database).
fn notes_on_server(url: &str, worker_token: &str, person: Uuid) -> usize {
    let mut t = linkwell_sync_http::HttpTransport::new(url);
    let person = person.to_string();
    let mut notes = std::collections::HashSet::new();
    let mut after = 0;
    loop {
        let page = t
            .pull(
                worker_token,
                &PullRequest {
                    protocol_version: PROTOCOL_VERSION,
                    schema_version: linkwell_protocol::WIRE_SCHEMA_VERSION,
                    epoch: None,
                    after_server_seq: after,
                    limit: 2000,
                },
            )
            .unwrap();
        for ch in &page.changes {
            let m = &ch.mutation;
            if m.entity == EntityKind::Note
                && m.payload["person_id"].as_str() == Some(person.as_str())
            {
                notes.insert(m.entity_id);
            }
        }
        after = page.next_after;
        if !page.has_more {
            return notes.len();
        }
    }
}

/// (acknowledged, waiting) note changes in a laptop's change log, read through a connection
/// the test keeps open (unlocking is a deliberately slow key derivation).
fn notes_acked_and_pending(laptop: &Store) -> (usize, usize) {
    laptop
        .conn()
        .query_row(
            "SELECT COUNT(acked_at), COUNT(*) - COUNT(acked_at) FROM change_log WHERE entity = ?1",
            [EntityKind::Note.as_str()],
            |r| Ok((r.get::<_, i64>(0)? as usize, r.get::<_, i64>(1)? as usize)),
        )
        .unwrap()
}

/// `linkwell sync` on a laptop as its own process (killable), with its errors kept.
fn spawn_sync(db: &Path, url: &str) -> std::process::Child {
    linkwell_e2e::linkwell_command(db)
        .args(["sync", "--server", url])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits until the laptop's change log shows more than `beyond` notes acknowledged by the
/// server and some still waiting: the sync is under way, part-way through its pushes. Fails
/// if the sync process ends first (it finished, or never started).
fn wait_until_part_pushed(
    what: &str,
    laptop: &Store,
    client: &mut std::process::Child,
    beyond: usize,
) -> (usize, usize) {
    linkwell_e2e::wait_for(what, Duration::from_secs(180), || {
        if let Some(status) = client.try_wait().unwrap() {
            let mut err = String::new();
            let _ = client.stderr.take().unwrap().read_to_string(&mut err);
            panic!(
                "the sync ended ({status}) before it was seen part-way ({what}), at {:?} notes acknowledged and waiting: {err}",
                notes_acked_and_pending(laptop)
            );
        }
        let (acked, pending) = notes_acked_and_pending(laptop);
        (acked > beyond && pending > 0).then_some((acked, pending))
    })
}

#[test]
fn server_and_client_killed_mid_sync_then_recovery_loses_nothing() {
    let mut org = setup();
    let url = org.server.url.clone();
    sync(&org.coach, &url);
    sync(&org.worker, &url);
    let worker_token = token(&org.worker);
    // Enough changes (a note and its first revision each) for several push batches, so a
    // sync has a "part-way": the server stores each batch in one transaction.
    const NOTES: usize = 2 * linkwell_core::sync::PUSH_BATCH;
    let person = {
        let mut s = open(&org.coach);
        let p = s
            .add_person(&PersonInput {
                given_name: "Cal".into(),
                family_name: "Testperson".into(),
                ..Default::default()
            })
            .unwrap();
        for i in 0..NOTES {
            s.add_note(p.id, None, &format!("note number {i}")).unwrap();
        }
        p.id
    };
    let coach = open(&org.coach);
    assert_eq!(notes_acked_and_pending(&coach), (0, NOTES));

    // A client killed mid-sync: once the server has acknowledged some of its pushes and the
    // rest are still waiting.
    let mut client = spawn_sync(&org.coach, &url);
    let seen = wait_until_part_pushed("the first push batch acknowledged", &coach, &mut client, 0);
    let _ = client.kill();
    let _ = client.wait();
    let on_server = notes_on_server(&url, &worker_token, person);
    assert!(
        0 < on_server && on_server < NOTES && on_server >= seen.0,
        "the client was killed mid-sync: {on_server} of {NOTES} notes had reached the server (the laptop had seen {seen:?} acknowledged and waiting)"
    );
    let (acked, pending) = notes_acked_and_pending(&coach);
    assert!(
        acked > 0 && pending > 0,
        "{acked} acknowledged, {pending} waiting"
    );
    eprintln!(
        "client killed: {on_server} of {NOTES} notes had reached the server; the laptop saw {acked} acknowledged, {pending} waiting"
    );

    // The server killed mid-sync: once it has taken more than it held before (not only the
    // batch whose answer the killed client never read) and some are still waiting.
    let mut client = spawn_sync(&org.coach, &url);
    let seen = wait_until_part_pushed(
        "a push batch the server did not yet hold acknowledged",
        &coach,
        &mut client,
        on_server,
    );
    org.server.kill();
    let status = linkwell_e2e::wait_exit(
        "the sync whose server was killed",
        &mut client,
        Duration::from_secs(120),
    );
    assert!(!status.success(), "a sync whose server died cannot succeed");

    // Restart on the same data (a new port), sync both laptops: every note exactly once.
    let server = ServerProcess::start(&org.data);
    let kept = notes_on_server(&server.url, &worker_token, person);
    assert!(
        kept > on_server && kept >= seen.0 && kept < NOTES,
        "the server was killed mid-sync: it kept {kept} of {NOTES} notes ({on_server} before this sync, the laptop had seen {seen:?} acknowledged and waiting)"
    );
    eprintln!("server killed: it kept {kept} of {NOTES} notes");
    drop(coach);
    sync(&org.coach, &server.url);
    sync(&org.worker, &server.url);
    for db in [&org.coach, &org.worker] {
        assert_eq!(
            count(
                db,
                &format!("SELECT COUNT(*) FROM note WHERE person_id = '{person}'")
            ),
            NOTES as i64
        );
        assert_eq!(
            count(db, "SELECT COUNT(*) FROM note_revision"),
            NOTES as i64
        );
        assert!(linkwell_ok(db, &["sync", "status"]).starts_with("All synced."));
    }
}
