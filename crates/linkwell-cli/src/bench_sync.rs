//! `linkwell bench sync`: sync figures over loopback HTTP against an in-process server (both
//! sides durable: `synchronous=FULL`). Medians of: a worker's day (50 mutations incl. 10
//! notes) end to end; a week offline (2,000 mutations) pushed, then pulled by a fresh laptop;
//! server ingest in mutations per second next to a raw batched SQLite insert of the same
//! payloads in the same run.

use anyhow::{Context, Result};
use linkwell_core::Store;
use linkwell_core::records::people::PersonInput;
use linkwell_protocol::{EntityKind, Operation};
use linkwell_server::{AppState, SqliteStorage, router};
use linkwell_sync_http::HttpTransport;
use serde_json::{Map, Value};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

struct Bed {
    _dir: tempfile::TempDir,
    url: String,
    storage: Arc<SqliteStorage>,
    worker: Uuid,
    _rt: tokio::runtime::Runtime,
}

/// A fresh server with one team and worker, serving on 127.0.0.1 on a free port.
fn new_bed() -> Result<Bed> {
    let dir = tempfile::tempdir()?;
    let storage = Arc::new(SqliteStorage::open(&dir.path().join("server.db"))?);
    storage.init_org("Bench")?;
    let team = storage.add_team("Bench team", None)?;
    let worker = storage.add_worker("Bench worker", "link_worker", &team.to_string())?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let url = format!("http://{}", listener.local_addr()?);
    let app = router(AppState {
        storage: storage.clone(),
    });
    rt.spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(Bed {
        _dir: dir,
        url,
        storage,
        worker,
        _rt: rt,
    })
}

fn laptop(bed: &Bed, name: &str) -> Result<Store> {
    let code = bed.storage.issue_code(bed.worker, 1)?;
    let mut store = Store::open(&bed._dir.path().join(format!("{name}.db")), None)?;
    store.enrol(&mut HttpTransport::new(&bed.url), &bed.url, &code)?;
    store.sync(&mut HttpTransport::new(&bed.url))?;
    Ok(store)
}

/// Writes `n` mutations in transactions of `per_tx`: about one in five is a note (a note and
/// its first revision are two mutations), the rest edits of a person's details.
pub(crate) fn write_mutations(
    store: &mut Store,
    person: Uuid,
    n: usize,
    per_tx: usize,
) -> Result<()> {
    let actor = store.actor()?;
    let mut written = 0;
    let mut i = 0u64;
    while written < n {
        let chunk = per_tx.min(n - written);
        let done = store.write(|w| {
            let mut k = 0;
            while k < chunk {
                i += 1;
                if i.is_multiple_of(4) && k + 2 <= chunk {
                    let note = w.new_id();
                    let mut p = Map::new();
                    p.insert("person_id".into(), person.to_string().into());
                    p.insert("session_id".into(), Value::Null);
                    p.insert("created_at".into(), "2025-03-03T10:00:00".into());
                    p.insert("worker_id".into(), actor.worker_id.to_string().into());
                    w.record(EntityKind::Note, note, Operation::Create, p)?;
                    let rev = w.new_id();
                    let mut p = Map::new();
                    p.insert("note_id".into(), note.to_string().into());
                    p.insert("supersedes".into(), Value::Null);
                    p.insert(
                        "body".into(),
                        format!("Met at the library; talked about the walking group ({i}).").into(),
                    );
                    p.insert("retracted".into(), false.into());
                    p.insert("reason".into(), Value::Null);
                    p.insert("written_at".into(), "2025-03-03T10:00:00".into());
                    p.insert("worker_id".into(), actor.worker_id.to_string().into());
                    w.record(EntityKind::NoteRevision, rev, Operation::Create, p)?;
                    k += 2;
                } else {
                    let mut p = Map::new();
                    p.insert("phone".into(), format!("07700 9{:05}", i % 100_000).into());
                    w.record(EntityKind::Person, person, Operation::Update, p)?;
                    k += 1;
                }
            }
            Ok(k)
        })?;
        written += done;
    }
    Ok(())
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn new_person(store: &mut Store) -> Result<Uuid> {
    Ok(store
        .add_person(&PersonInput {
            given_name: "Bench".into(),
            family_name: "Person".into(),
            ..Default::default()
        })?
        .id)
}

pub fn run(runs: usize) -> Result<()> {
    let runs = runs.max(1);
    a_workers_day(runs)?;
    let week_runs = runs.clamp(1, 5);
    a_week_offline(week_runs)?;
    server_ingest(week_runs)
}

/// A worker's day: 50 mutations incl. 10 notes, written through the domain calls (one
/// transaction each, as on the laptop), then one sync end to end; a colleague receives it.
fn a_workers_day(runs: usize) -> Result<()> {
    let bed = new_bed()?;
    let mut a = laptop(&bed, "a")?;
    let mut b = laptop(&bed, "b")?;
    let mut t = HttpTransport::new(&bed.url);
    let person = new_person(&mut a)?;
    a.sync(&mut t)?;
    b.sync(&mut t)?;
    let (mut day, mut recv) = (Vec::new(), Vec::new());
    let mut pending = 0;
    for r in 0..runs {
        for i in 0..10 {
            a.add_note(
                person,
                None,
                &format!("Day {r} note {i}: talked about the café."),
            )?;
        }
        let current = a.person(person)?;
        for i in 0..30 {
            a.update_person(
                person,
                &PersonInput {
                    given_name: current.given_name.clone(),
                    family_name: current.family_name.clone(),
                    phone: Some(format!("07700 9{r:02}{i:03}")),
                    ..Default::default()
                },
            )?;
        }
        pending = a.pending_count()?;
        let t0 = Instant::now();
        a.sync(&mut t)?;
        day.push(t0.elapsed());
        let t0 = Instant::now();
        b.sync(&mut t)?;
        recv.push(t0.elapsed());
    }
    outln!(
        "sync: a worker's day ({pending} mutations, 10 notes): push+pull end to end median {} ; colleague receives it median {} ({runs} runs)",
        ms(median(day)),
        ms(median(recv))
    );

    Ok(())
}

/// A week offline: 2,000 mutations pushed; then a fresh laptop pulls everything.
fn a_week_offline(week_runs: usize) -> Result<()> {
    let (mut push, mut pull) = (Vec::new(), Vec::new());
    for _ in 0..week_runs {
        let bed = new_bed()?;
        let mut a = laptop(&bed, "a")?;
        let person = new_person(&mut a)?;
        a.sync(&mut t_for(&bed))?;
        write_mutations(&mut a, person, 2_000, 200)?;
        let mut t = t_for(&bed);
        let t0 = Instant::now();
        a.sync(&mut t)?;
        push.push(t0.elapsed());
        let mut c = {
            let code = bed.storage.issue_code(bed.worker, 1)?;
            let mut s = Store::open(&bed._dir.path().join("fresh.db"), None)?;
            s.enrol(&mut t, &bed.url, &code)?;
            s
        };
        let t0 = Instant::now();
        c.sync(&mut t)?;
        pull.push(t0.elapsed());
        let notes: i64 = c
            .conn()
            .query_row("SELECT COUNT(*) FROM note", [], |r| r.get(0))?;
        anyhow::ensure!(notes > 0, "the fresh laptop received no notes");
    }
    outln!(
        "sync: a week offline (2000 mutations): push median {} ; fresh laptop pull median {} ({week_runs} runs)",
        ms(median(push)),
        ms(median(pull))
    );

    Ok(())
}

/// Server ingest vs raw batched SQLite inserts of the same payloads, both durable.
fn server_ingest(week_runs: usize) -> Result<()> {
    let (mut ingest, mut raw) = (Vec::new(), Vec::new());
    for _ in 0..week_runs {
        let bed = new_bed()?;
        let mut a = laptop(&bed, "a")?;
        let person = new_person(&mut a)?;
        a.sync(&mut t_for(&bed))?;
        write_mutations(&mut a, person, 2_000, 2_000)?;
        let rows = outbox_payloads(&a)?;
        let token: String = a
            .conn()
            .query_row("SELECT token FROM sync_state", [], |r| r.get(0))?;
        let batch = outbox_request(&a)?;
        use linkwell_server::Storage as _;
        let ctx = bed.storage.authenticate(&token)?;
        let t0 = Instant::now();
        let n = batch.mutations.len();
        bed.storage
            .push(&ctx, &batch, linkwell_server::storage::now_ms())?;
        ingest.push(n as f64 / t0.elapsed().as_secs_f64());
        raw.push(raw_insert_rate(bed._dir.path(), &rows)?);
    }
    ingest.sort_by(f64::total_cmp);
    raw.sort_by(f64::total_cmp);
    let (i, r) = (ingest[ingest.len() / 2], raw[raw.len() / 2]);
    outln!(
        "sync: server ingest median {:.0} mutations/s ; raw batched SQLite insert {:.0} rows/s ; ingest is {:.0}% of raw",
        i,
        r,
        100.0 * i / r
    );
    Ok(())
}

fn t_for(bed: &Bed) -> HttpTransport {
    HttpTransport::new(&bed.url)
}

pub(crate) fn outbox_request(store: &Store) -> Result<linkwell_protocol::PushRequest> {
    let entries = store.changes_after(0, 1_000_000)?;
    let mut mutations = Vec::new();
    for e in entries.into_iter().filter(|e| !e.acked) {
        let payload = match &e.payload {
            Value::Object(m) => m.clone(),
            _ => Map::new(),
        };
        let text = serde_json::to_string(&payload)?;
        let base: i64 = store.conn().query_row(
            "SELECT base_server_seq FROM change_log WHERE seq = ?1",
            [e.seq],
            |r| r.get(0),
        )?;
        mutations.push(linkwell_protocol::Mutation {
            mutation_id: e.mutation_id,
            device_id: e.device_id,
            worker_id: e.worker_id,
            device_seq: e.seq as u64,
            hlc: linkwell_protocol::Hlc::decode(&e.hlc).context("bad hlc")?,
            entity: EntityKind::parse(&e.entity).context("bad kind")?,
            entity_id: e.entity_id,
            op: Operation::parse(&e.op).context("bad op")?,
            payload: Value::Object(payload),
            payload_hash: linkwell_protocol::payload_hash(&text),
            base_server_seq: base as u64,
        });
    }
    Ok(linkwell_protocol::PushRequest {
        protocol_version: linkwell_protocol::PROTOCOL_VERSION,
        schema_version: linkwell_protocol::WIRE_SCHEMA_VERSION,
        mutations,
    })
}

pub(crate) fn outbox_payloads(store: &Store) -> Result<Vec<String>> {
    Ok(store
        .changes_after(0, 1_000_000)?
        .into_iter()
        .filter(|e| !e.acked)
        .map(|e| e.payload.to_string())
        .collect())
}

/// Rows per second for one transaction inserting the same payloads into a bare table.
pub(crate) fn raw_insert_rate(dir: &Path, rows: &[String]) -> Result<f64> {
    let path = dir.join(format!("raw-{}.db", Uuid::now_v7()));
    let conn = rusqlite::Connection::open(&path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.execute_batch(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, mutation_id TEXT NOT NULL UNIQUE, payload TEXT NOT NULL)",
    )?;
    let t0 = Instant::now();
    conn.execute_batch("BEGIN")?;
    {
        let mut stmt = conn.prepare("INSERT INTO t (mutation_id, payload) VALUES (?1, ?2)")?;
        for r in rows {
            stmt.execute(rusqlite::params![Uuid::now_v7().to_string(), r])?;
        }
    }
    conn.execute_batch("COMMIT")?;
    Ok(rows.len() as f64 / t0.elapsed().as_secs_f64())
}
