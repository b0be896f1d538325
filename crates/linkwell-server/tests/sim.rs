//! Deterministic simulation: the server and several laptops in one process, talking through
//! a transport that drops requests, loses replies after the server committed (a crash between
//! commit and reply), duplicates and replays old batches late (delay and reorder); laptop
//! clocks skewed by days; the server restored from an older backup mid-run. Many seeds.
//!
//! After quiescence (a fault-free transport, syncing until all synced) it asserts: every
//! laptop equals the server on every record it may see; every note ever written exists exactly
//! once (on the server, or in quarantine); every field value written is applied on the server
//! or recorded as a losing value; replaying any recorded batch changes nothing.
//!
//! Every seed runs on SQLite and on PostgreSQL (a throw-away cluster): both must pass, and
//! pull the same stream, change for change (ids and clock times aside, which are new each run).
//!
//! `LINKWELL_SIM_SEEDS=N` runs more seeds. Failing seeds go in `REGRESSIONS`.

use linkwell_core::records::people::PersonInput;
use linkwell_core::sync::{SyncTransport, TransportError};
use linkwell_core::{Store, store};
use linkwell_protocol::{
    EnrolRequest, EnrolResponse, EntityKind, ErrorBody, MutationResult, PullRequest, PullResponse,
    PushRequest, PushResponse,
};
use linkwell_server::pg_cluster::Cluster;
use linkwell_server::storage::{ServerStorage, SqliteStorage, Storage, StorageError};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

/// Seeds that once failed, kept as regressions.
const REGRESSIONS: &[u64] = &[
    // An update re-sent after a restore arrived before its record was re-sent by another
    // laptop, and was refused (the value lost); now it waits in quarantine and is placed.
    15,
];

struct Net {
    server: RefCell<SqliteStorage>,
    rng: RefCell<ChaCha8Rng>,
    faulty: std::cell::Cell<bool>,
    /// The server's clock offset from the laptops' (ms).
    server_skew_ms: i64,
    /// Batches seen, for late replays and the idempotence check.
    log: RefCell<Vec<(String, PushRequest)>>,
}

fn to_transport(e: StorageError) -> TransportError {
    let (status, code, expected) = match &e {
        StorageError::Unauthorised => (401, "unauthorised", None),
        StorageError::Revoked => (403, "revoked", None),
        StorageError::BadCode => (403, "bad_code", None),
        StorageError::Gap { expected } => (409, "sequence_gap", Some(*expected)),
        StorageError::Cloned { .. } => (409, "cloned_device", None),
        StorageError::Batch(_) => (400, "bad_request", None),
        _ => (500, "internal", None),
    };
    TransportError::Refused {
        status,
        body: ErrorBody {
            code: code.into(),
            message: e.to_string(),
            expected_seq: expected,
        },
    }
}

impl Net {
    fn now(&self) -> u64 {
        (chrono::Utc::now().timestamp_millis() + self.server_skew_ms).max(0) as u64
    }
    fn chance(&self, p: f64) -> bool {
        self.faulty.get() && self.rng.borrow_mut().random_bool(p)
    }
}

struct SimTransport<'a>(&'a Net);

impl SyncTransport for SimTransport<'_> {
    fn enrol(&mut self, req: &EnrolRequest) -> Result<EnrolResponse, TransportError> {
        self.0
            .server
            .borrow()
            .enrol(&req.code)
            .map_err(to_transport)
    }

    fn push(&mut self, token: &str, req: &PushRequest) -> Result<PushResponse, TransportError> {
        let net = self.0;
        if net.chance(0.1) {
            return Err(TransportError::Unreachable("request dropped".into()));
        }
        // A delayed batch from earlier arrives now (reordered, duplicated).
        if net.chance(0.2) {
            let old = {
                let log = net.log.borrow();
                if log.is_empty() {
                    None
                } else {
                    let i = net.rng.borrow_mut().random_range(0..log.len());
                    Some(log[i].clone())
                }
            };
            if let Some((tok, old)) = old {
                let server = net.server.borrow();
                if let Ok(ctx) = server.authenticate(&tok) {
                    let _ = server.push(&ctx, &old, net.now());
                }
            }
        }
        net.log.borrow_mut().push((token.to_string(), req.clone()));
        let server = net.server.borrow();
        let ctx = server.authenticate(token).map_err(to_transport)?;
        let mut resp = server.push(&ctx, req, net.now()).map_err(to_transport)?;
        if net.chance(0.1) {
            // Delivered twice: the second answer is the one the laptop sees.
            resp = server.push(&ctx, req, net.now()).map_err(to_transport)?;
        }
        if net.chance(0.15) {
            // The server committed, then crashed before replying.
            return Err(TransportError::Unreachable("connection reset".into()));
        }
        Ok(resp)
    }

    fn pull(&mut self, token: &str, req: &PullRequest) -> Result<PullResponse, TransportError> {
        let net = self.0;
        if net.chance(0.1) {
            return Err(TransportError::Unreachable("request dropped".into()));
        }
        let server = net.server.borrow();
        let ctx = server.authenticate(token).map_err(to_transport)?;
        let resp = server.pull(&ctx, req).map_err(to_transport)?;
        if net.chance(0.1) {
            return Err(TransportError::Unreachable("reply lost".into()));
        }
        Ok(resp)
    }
}

struct Laptop {
    store: Store,
    team: usize,
}

const FIELDS: [&str; 4] = [
    "phone",
    "postcode",
    "preferred_name",
    "contact_restrictions",
];

/// Which database the server keeps: SQLite files, or databases on a PostgreSQL cluster.
#[derive(Clone, Copy)]
enum Db<'c> {
    Sqlite,
    Postgres(&'c Cluster),
}

/// The server's stream with what differs between two runs of one seed put aside: every id
/// becomes its order of first appearance, every date-time a placeholder; the rest (kinds,
/// operations, which device and its sequence number, the cursor it wrote from, every value)
/// is compared as it is.
fn comparable(stream: &[(u64, linkwell_protocol::Mutation)]) -> Vec<String> {
    let mut ids: HashMap<String, usize> = HashMap::new();
    fn walk(v: &serde_json::Value, ids: &mut HashMap<String, usize>) -> serde_json::Value {
        use serde_json::Value;
        match v {
            Value::String(s) if Uuid::parse_str(s).is_ok() => {
                let n = ids.len();
                Value::String(format!("#{}", ids.entry(s.clone()).or_insert(n)))
            }
            Value::String(s)
                if chrono::DateTime::parse_from_rfc3339(s).is_ok()
                    || chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").is_ok() =>
            {
                Value::String("<time>".into())
            }
            Value::Object(m) => {
                Value::Object(m.iter().map(|(k, v)| (k.clone(), walk(v, ids))).collect())
            }
            Value::Array(a) => Value::Array(a.iter().map(|v| walk(v, ids)).collect()),
            other => other.clone(),
        }
    }
    let id = |u: Uuid, ids: &mut HashMap<String, usize>| {
        walk(&serde_json::Value::String(u.to_string()), ids)
    };
    stream
        .iter()
        .map(|(seq, m)| {
            let (device, entity) = (id(m.device_id, &mut ids), id(m.entity_id, &mut ids));
            format!(
                "{seq} {} {} {entity} by {device} #{} after {} {}",
                m.entity.as_str(),
                m.op.as_str(),
                m.device_seq,
                m.base_server_seq,
                walk(&m.payload, &mut ids)
            )
        })
        .collect()
}

fn open_server(db: Db<'_>, dir: &std::path::Path, name: &str) -> ServerStorage {
    match db {
        Db::Sqlite => SqliteStorage::open(&dir.join(format!("{name}.db"))).unwrap(),
        Db::Postgres(c) => ServerStorage::open_postgres(&c.create_database(name)).unwrap(),
    }
}

fn run_seed(seed: u64, db: Db<'_>) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let server = open_server(db, dir.path(), &format!("server_{seed}"));
    server.init_org("Sim").unwrap();
    let teams = [
        server.add_team("A", None).unwrap(),
        server.add_team("B", None).unwrap(),
    ];
    let net = Net {
        server: RefCell::new(server),
        rng: RefCell::new(ChaCha8Rng::seed_from_u64(seed ^ 0x5eed)),
        faulty: std::cell::Cell::new(false),
        server_skew_ms: rng.random_range(-3_600_000..3_600_000),
        log: RefCell::new(Vec::new()),
    };
    let mut laptops = Vec::new();
    for (i, team) in [0usize, 0, 0, 1].into_iter().enumerate() {
        let w = net
            .server
            .borrow()
            .add_worker(&format!("W{i}"), "link_worker", &teams[team].to_string())
            .unwrap();
        let code = net.server.borrow().issue_code(w, 1).unwrap();
        let mut store = Store::open(&dir.path().join(format!("l{i}.db")), None).unwrap();
        store
            .enrol(&mut SimTransport(&net), "sim://", &code)
            .unwrap();
        // Skew some laptop clocks by days (ahead and behind; the HLC never goes backwards).
        let skew_days: i64 = rng.random_range(-3..=3);
        let ahead = chrono::Utc::now().timestamp_millis() + skew_days * 86_400_000;
        if skew_days > 0 {
            store
                .conn()
                .execute("UPDATE device SET hlc_wall_ms = ?1", [ahead])
                .unwrap();
        }
        laptops.push(Laptop { store, team });
    }
    net.faulty.set(true);
    let mut notes: BTreeSet<Uuid> = BTreeSet::new();
    // Every field value a laptop wrote: each must end up applied on the server or recorded as
    // a losing value, never silently dropped.
    let mut written: Vec<(Uuid, &str, serde_json::Value)> = Vec::new();
    let mut server_file = dir.path().join(format!("server_{seed}.db"));
    let mut backup: Option<std::path::PathBuf> = None;
    let steps = 40;
    for step in 0..steps {
        let li = rng.random_range(0..laptops.len());
        let l = &mut laptops[li];
        let people: Vec<Uuid> = l
            .store
            .conn()
            .prepare("SELECT id FROM person ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .map(|s| Uuid::parse_str(&s.unwrap()).unwrap())
            .collect();
        match rng.random_range(0..10) {
            0 | 1 => {
                let p = l
                    .store
                    .add_person(&PersonInput {
                        given_name: format!("P{step}"),
                        family_name: "Sim".into(),
                        ..Default::default()
                    })
                    .unwrap();
                notes.insert(l.store.add_note(p.id, None, "first").unwrap().note.id);
            }
            2..=4 if !people.is_empty() => {
                let id = people[rng.random_range(0..people.len())];
                let mut p = l.store.person(id).unwrap();
                let before_update = serde_json::to_value(&p).unwrap();
                let value = format!("v{seed}-{step}");
                match FIELDS[rng.random_range(0..FIELDS.len())] {
                    "phone" => p.phone = Some(format!("0770090{:04}", step)),
                    "postcode" => {
                        p.postcode = Some(["NG11 6JS", "NG2 7QP", "LE12 6RB"][step % 3].into())
                    }
                    "preferred_name" => p.preferred_name = Some(value),
                    _ => p.contact_restrictions = Some(value),
                }
                let input = PersonInput {
                    given_name: p.given_name.clone(),
                    family_name: p.family_name.clone(),
                    preferred_name: p.preferred_name.clone(),
                    phone: p.phone.clone(),
                    postcode: p.postcode.clone(),
                    contact_restrictions: p.contact_restrictions.clone(),
                    ..Default::default()
                };
                l.store.update_person(id, &input).unwrap();
                // What the laptop stored (the core normalises, e.g. postcodes), as written.
                let after = serde_json::to_value(l.store.person(id).unwrap()).unwrap();
                for f in FIELDS {
                    if after[f] != before_update[f] {
                        written.push((id, f, after[f].clone()));
                    }
                }
            }
            5 | 6 if !people.is_empty() => {
                let id = people[rng.random_range(0..people.len())];
                notes.insert(
                    l.store
                        .add_note(id, None, &format!("note {step}"))
                        .unwrap()
                        .note
                        .id,
                );
            }
            _ => {
                let _ = l.store.sync(&mut SimTransport(&net));
            }
        }
        if step == steps / 3 {
            let p = dir.path().join("backup");
            net.server.borrow().backup_to(&p).unwrap();
            backup = Some(p);
        }
        if step == 2 * steps / 3
            && let Some(b) = &backup
            && rng.random_bool(0.5)
        {
            // Restore the server from the older backup: acknowledged changes are lost there.
            let name = format!("restored_{seed}");
            let restored = match db {
                Db::Sqlite => {
                    let p = dir.path().join(format!("{name}.db"));
                    std::fs::copy(b, &p).unwrap();
                    server_file = p;
                    SqliteStorage::open(&server_file).unwrap()
                }
                Db::Postgres(c) => {
                    let url = c.create_database(&name);
                    linkwell_server::storage::pg::restore(&url, b).unwrap();
                    ServerStorage::open_postgres(&url).unwrap()
                }
            };
            restored.new_epoch().unwrap();
            *net.server.borrow_mut() = restored;
        }
    }

    // Quiescence.
    net.faulty.set(false);
    for _round in 0..3 {
        for l in laptops.iter_mut() {
            l.store
                .sync(&mut SimTransport(&net))
                .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        }
    }
    let server = net.server.borrow();
    let quarantined: BTreeSet<Uuid> = server
        .quarantined()
        .unwrap()
        .into_iter()
        .filter(|(m, _)| m.entity == EntityKind::Note)
        .map(|(m, _)| m.entity_id)
        .collect();
    let on_server: BTreeSet<Uuid> = server.ids(EntityKind::Note).unwrap().into_iter().collect();
    for n in &notes {
        assert!(
            on_server.contains(n) ^ quarantined.contains(n),
            "seed {seed}: note {n} is not exactly once on the server or in quarantine"
        );
    }
    for (i, l) in laptops.iter().enumerate() {
        let s = l.store.sync_status().unwrap();
        assert!(
            s.all_synced,
            "seed {seed}: laptop {i} not all synced: {s:?}"
        );
        // Every person and note the laptop holds equals the server's, field by field.
        let people = server.ids(EntityKind::Person).unwrap();
        for id in people {
            let srv = server.record(EntityKind::Person, id).unwrap();
            let local = store::load(l.store.conn(), EntityKind::Person, id).unwrap();
            let team = srv["team_id"].as_str().unwrap().to_string();
            let visible = team == teams[l.team].to_string();
            match local {
                None => assert!(!visible, "seed {seed}: laptop {i} lacks person {id}"),
                Some(local) => {
                    assert!(
                        visible,
                        "seed {seed}: laptop {i} sees another team's person"
                    );
                    if std::env::var("SIM_DEBUG").is_ok()
                        && srv.iter().any(|(k, v)| local.get(k) != Some(v))
                    {
                        trace(dir.path(), &server, &laptops, &id.to_string());
                    }
                    for (k, v) in &srv {
                        assert_eq!(
                            Some(v),
                            local.get(k),
                            "seed {seed}: laptop {i} person {id} field {k}"
                        );
                    }
                }
            }
        }
        let local_notes: i64 = l
            .store
            .conn()
            .query_row("SELECT COUNT(*) FROM note", [], |r| r.get(0))
            .unwrap();
        let team_notes = on_server
            .iter()
            .filter(|n| {
                let rec = server.record(EntityKind::Note, **n).unwrap();
                let person = Uuid::parse_str(rec["person_id"].as_str().unwrap()).unwrap();
                server.record(EntityKind::Person, person).unwrap()["team_id"]
                    == teams[l.team].to_string().as_str()
            })
            .count() as i64;
        assert_eq!(
            local_notes, team_notes,
            "seed {seed}: laptop {i} note count"
        );
    }
    // Every value written is in an applied change, a losing value, or quarantine.
    let mut kept: BTreeSet<(Uuid, String, String)> = BTreeSet::new();
    let applied = server.stream().unwrap();
    let mutations = applied
        .iter()
        .map(|(_, m)| m.clone())
        .chain(server.quarantined().unwrap().into_iter().map(|(m, _)| m));
    for m in mutations {
        if let Some(fields) = m.payload.as_object() {
            for (k, v) in fields {
                kept.insert((m.entity_id, k.clone(), v.to_string()));
            }
        }
    }
    for c in server.conflicts().unwrap() {
        kept.insert((c.entity_id, c.field.clone(), c.lost.to_string()));
    }
    for (id, field, value) in &written {
        if std::env::var("SIM_DEBUG").is_ok()
            && !kept.contains(&(*id, field.to_string(), value.to_string()))
        {
            trace(
                dir.path(),
                &server,
                &laptops,
                value.as_str().unwrap_or_default(),
            );
            eprintln!("current server file {server_file:?}");
        }
        assert!(
            kept.contains(&(*id, field.to_string(), value.to_string())),
            "seed {seed}: person {id} {field} = {value} was written but is neither applied nor recorded as losing"
        );
    }

    // Replaying any recorded batch changes nothing.
    let before = server.counts().unwrap();
    for (tok, req) in net.log.borrow().iter() {
        if let Ok(ctx) = server.authenticate(tok)
            && let Ok(resp) = server.push(&ctx, req, net.now())
        {
            for (_, r) in resp.results {
                assert!(
                    !matches!(r, MutationResult::Applied { .. }),
                    "seed {seed}: a replay was applied again"
                );
            }
        }
    }
    assert_eq!(
        server.counts().unwrap(),
        before,
        "seed {seed}: replay changed the server"
    );
    if std::env::var("SIM_DEBUG").is_ok() {
        eprintln!("current server file {server_file:?}");
    }
    let (changes, quarantined, to_review) = before;
    let mut out = comparable(&applied);
    out.push(format!(
        "{changes} changes, {quarantined} quarantined, {to_review} conflicts to review, {} conflicts",
        server.conflicts().unwrap().len()
    ));
    out
}

/// `SIM_DEBUG`: everything mentioning `needle` (a record id or a value) on every laptop and in
/// every server file, for reading a failing seed.
fn trace(dir: &std::path::Path, server: &SqliteStorage, laptops: &[Laptop], needle: &str) {
    let like = format!("%{needle}%");
    for c in server.conflicts().unwrap() {
        if format!("{c:?}").contains(needle) {
            eprintln!("conflict {c:?}");
        }
    }
    for (i, l) in laptops.iter().enumerate() {
        let conn = l.store.conn();
        let mut st = conn
            .prepare("SELECT seq, hlc, payload, acked_at, server_seq, result FROM change_log WHERE entity_id || payload LIKE ?1")
            .unwrap();
        let rows = st
            .query_map([&like], |r| {
                Ok(format!(
                    "{:?} {:?} {:?} {:?} {:?} {:?}",
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<i64>>(4)?,
                    r.get::<_, Option<String>>(5)?
                ))
            })
            .unwrap();
        for r in rows {
            eprintln!("laptop {i}: {}", r.unwrap());
        }
        let held: i64 = conn
            .query_row("SELECT COUNT(*) FROM sync_inbox_held", [], |r| r.get(0))
            .unwrap();
        let device = l.store.actor().unwrap().device_id;
        eprintln!("laptop {i}: device {device}, {held} held");
    }
    for f in std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|f| f.ends_with(".db") && !f.starts_with('l'))
    {
        let f = f.as_str();
        let path = dir.join(f);
        if !path.exists() {
            continue;
        }
        let c = rusqlite::Connection::open(&path).unwrap();
        for (seq, m) in linkwell_server::stream::read_all(&c).unwrap() {
            let text = serde_json::to_string(&m).unwrap();
            if text.contains(needle) {
                eprintln!("{f} change: {seq} {text}");
            }
        }
        let mut st = c
            .prepare("SELECT reason || ' ' || mutation FROM quarantine WHERE mutation LIKE ?1")
            .unwrap();
        for r in st.query_map([&like], |r| r.get::<_, String>(0)).unwrap() {
            eprintln!("{f} quarantine: {}", r.unwrap());
        }
    }
}

#[test]
fn simulated_faults_converge_and_keep_every_note() {
    let n: u64 = std::env::var("LINKWELL_SIM_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    // Fails loudly (never skips) if PostgreSQL cannot start.
    let cluster = Cluster::start();
    let seeds: BTreeSet<u64> = REGRESSIONS.iter().copied().chain(0..n).collect();
    for seed in seeds {
        let sqlite = run_seed(seed, Db::Sqlite);
        let postgres = run_seed(seed, Db::Postgres(&cluster));
        if let Some(i) =
            (0..sqlite.len().max(postgres.len())).find(|i| sqlite.get(*i) != postgres.get(*i))
        {
            panic!(
                "seed {seed}: the streams differ from entry {i}:\n  SQLite:     {:?}\n  PostgreSQL: {:?}",
                sqlite.get(i),
                postgres.get(i)
            );
        }
    }
}
