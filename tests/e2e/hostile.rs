//! A hostile (or badly broken) device, enrolled on a real `linkwell-server` process: it pushes
//! oversized and invalid values and a move of a person to a team that does not exist, and
//! anyone sends huge bodies without a token. The team's other laptops, syncing with the real
//! `linkwell` binary, keep syncing to an honest "All synced", nothing of theirs is lost, and the
//! server's memory stays bounded (its peak resident size, read from /proc).

use linkwell_core::Store;
use linkwell_core::records::people::PersonInput;
use linkwell_core::sync::SyncTransport;
use linkwell_e2e::{ServerProcess, add_worker, enrol_code, linkwell_ok, new_org};
use linkwell_protocol::{
    EntityKind, Hlc, Mutation, MutationResult, Operation, PROTOCOL_VERSION, PushRequest,
};
use serde_json::{Value, json};
use std::io::{Read as _, Write as _};
use std::path::Path;
use uuid::Uuid;

fn open(db: &Path) -> Store {
    Store::unlock(db, linkwell_e2e::TEST_PASSPHRASE).unwrap()
}

/// A kibibyte figure from /proc/<pid>/status (`VmRSS`, `VmHWM`).
fn proc_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.trim().strip_suffix("kB"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

/// Sends `len` bytes of body to `path` without a token; answers the status line the server
/// gave (it may close the connection without reading the body, which is the point).
fn unauthenticated_body(url: &str, path: &str, len: usize) -> String {
    let addr = url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\ncontent-type: application/json\r\nlinkwell-protocol: 1\r\nlinkwell-schema: 6\r\ncontent-length: {len}\r\n\r\n"
    );
    s.write_all(head.as_bytes()).unwrap();
    let chunk = vec![b'['; 1 << 20];
    let mut sent = 0;
    while sent < len {
        if s.write_all(&chunk[..chunk.len().min(len - sent)]).is_err() {
            break; // refused and closed before the body was read: fine
        }
        sent += chunk.len();
    }
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.lines().next().unwrap_or_default().to_string()
}

struct Hostile {
    token: String,
    device: Uuid,
    worker: Uuid,
    seq: u64,
}

impl Hostile {
    fn change(&mut self, kind: EntityKind, id: Uuid, op: Operation, payload: Value) -> Mutation {
        self.seq += 1;
        let hash = linkwell_protocol::payload_hash(&serde_json::to_string(&payload).unwrap());
        Mutation {
            mutation_id: Uuid::now_v7(),
            device_id: self.device,
            worker_id: self.worker,
            device_seq: self.seq,
            hlc: Hlc {
                wall_ms: 1_800_000_000_000 + self.seq,
                counter: 0,
                device: self.device,
            },
            entity: kind,
            entity_id: id,
            op,
            payload,
            payload_hash: hash,
            base_server_seq: 0,
        }
    }

    fn push(&self, url: &str, mutations: Vec<Mutation>) -> Vec<MutationResult> {
        let mut t = linkwell_sync_http::HttpTransport::new(url);
        let req = PushRequest {
            protocol_version: PROTOCOL_VERSION,
            schema_version: linkwell_protocol::WIRE_SCHEMA_VERSION,
            mutations,
        };
        let resp = t.push(&self.token, &req).unwrap();
        resp.results.into_iter().map(|(_, r)| r).collect()
    }
}

fn status(db: &Path) -> String {
    linkwell_ok(db, &["sync", "status"])
}

#[test]
fn a_hostile_device_cannot_break_its_teams_sync_or_the_servers_memory() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let data = root.join("server");
    new_org(&data, &["Rushcliffe"]);
    let mut laptops = Vec::new();
    let server = ServerProcess::start(&data);
    let url = server.url.clone();
    for name in ["hostile", "ann", "bo"] {
        let w = add_worker(&data, name, "link_worker", "Rushcliffe");
        let db = root.join(format!("{name}.db"));
        let code = enrol_code(&data, &w);
        linkwell_ok(&db, &["enrol", "--server", &url, "--code", &code]);
        laptops.push(db);
    }
    let (hostile_db, ann, bo) = (&laptops[0], &laptops[1], &laptops[2]);
    let pid = server.child.id();

    // Ann registers a person and writes a note; both good laptops sync.
    let person = {
        let mut s = open(ann);
        let p = s
            .add_person(&PersonInput {
                given_name: "Ada".into(),
                family_name: "Testperson".into(),
                postcode: Some("LE12 6QW".into()),
                ..Default::default()
            })
            .unwrap();
        s.add_note(p.id, None, "Met at the library").unwrap();
        p.id
    };
    linkwell_ok(ann, &["sync", "--server", &url]);
    linkwell_ok(bo, &["sync", "--server", &url]);

    // The hostile device writes as itself, straight to the server.
    let mut h = {
        let s = open(hostile_db);
        let actor = s.actor().unwrap();
        let token: String = s
            .conn()
            .query_row("SELECT token FROM sync_state", [], |r| r.get(0))
            .unwrap();
        Hostile {
            token,
            device: actor.device_id,
            worker: actor.worker_id,
            seq: 0,
        }
    };
    let bad: Vec<Value> = vec![
        json!({"given_name": "x".repeat(10 << 20)}),
        json!({"family_name": "y".repeat(2 << 20)}),
        json!({"nhs_number": "9434765918"}),
        json!({"postcode": "QQ1 1QQ"}),
        json!({"date_of_birth": "yesterday"}),
        json!({"address": "1 Nul\u{0} Street"}),
        json!({"team_id": "team-a"}),
        json!({"team_id": Uuid::now_v7().to_string()}),
    ];
    for payload in bad {
        let m = h.change(EntityKind::Person, person, Operation::Update, payload);
        let r = h.push(&url, vec![m]);
        assert!(
            matches!(&r[0], MutationResult::Rejected { .. }),
            "accepted: {r:?}"
        );
    }
    let after_pushes = proc_kib(pid, "VmRSS:");

    // Sixteen huge bodies at once, without a token: refused before they are read.
    let threads: Vec<_> = (0..16)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || unauthenticated_body(&url, "/v1/push", 31 << 20))
        })
        .collect();
    for t in threads {
        let line = t.join().unwrap();
        assert!(
            line.is_empty() || line.contains("401"),
            "an unauthenticated body got {line:?}"
        );
    }
    let enrol_flood = unauthenticated_body(&url, "/v1/enrol", 8 << 20);
    assert!(
        enrol_flood.is_empty() || enrol_flood.contains("413"),
        "{enrol_flood}"
    );

    // The team's laptops keep syncing, honestly, and have everything of theirs.
    {
        let mut s = open(bo);
        let mut p = s.person(person).unwrap();
        p.phone = Some("01632 960001".into());
        s.update_person(
            person,
            &PersonInput {
                given_name: p.given_name.clone(),
                family_name: p.family_name.clone(),
                postcode: p.postcode.clone(),
                phone: p.phone.clone(),
                ..Default::default()
            },
        )
        .unwrap();
    }
    linkwell_ok(bo, &["sync", "--server", &url]);
    linkwell_ok(ann, &["sync", "--server", &url]);
    linkwell_ok(bo, &["sync", "--server", &url]);
    for db in [ann, bo] {
        let st = status(db);
        assert!(st.starts_with("All synced."), "{}: {st}", db.display());
        let s = open(db);
        let p = s.person(person).unwrap();
        assert_eq!(
            (p.given_name.as_str(), p.family_name.as_str()),
            ("Ada", "Testperson")
        );
        assert_eq!(p.postcode.as_deref(), Some("LE12 6QW"));
        assert_eq!(p.phone.as_deref(), Some("01632 960001"));
        assert_eq!(p.nhs_number, None);
        assert!(p.date_of_birth.is_none());
        let notes: i64 = s
            .conn()
            .query_row("SELECT COUNT(*) FROM note", [], |r| r.get(0))
            .unwrap();
        assert_eq!(notes, 1, "the note is kept");
    }

    // Memory: the 31 MB bodies were never read (16 of them would be 500 MB), and what the
    // oversized pushes needed was bounded by the push limit.
    let peak = proc_kib(pid, "VmHWM:");
    let now = proc_kib(pid, "VmRSS:");
    eprintln!("server memory: {after_pushes} KiB after the pushes, {now} KiB now, peak {peak} KiB");
    assert!(peak < 320 * 1024, "the server peaked at {peak} KiB");
    assert!(
        now < after_pushes + 64 * 1024,
        "{now} KiB kept after {after_pushes} KiB"
    );

    // Its files are its account's only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&data.join("linkwell-server.db")), 0o600);
        for db in [ann, bo] {
            assert_eq!(mode(db), 0o600, "{}", db.display());
        }
    }
}
