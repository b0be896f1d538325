//! `linkwell bench server`: a region's end of day. Many enrolled laptops (500 by default, ten
//! to a team) each hold a day's work (about 50 changes) and sync — push, then pull their
//! team's — 64 at a time, over loopback HTTP against SQLite, PostgreSQL behind one instance
//! and PostgreSQL behind two. Prints p50/p95/p99 of a whole sync, the total time, mutations
//! per second and errors; then server ingest (one 2,000-change push stored) next to a raw
//! batched insert of the same payloads into the same database, in the same run. PostgreSQL is
//! a throw-away cluster with fsync on (as SQLite's `synchronous=FULL`).

use crate::bench_sync::{outbox_payloads, outbox_request, raw_insert_rate, write_mutations};
use anyhow::{Context, Result, ensure};
use linkwell_core::Store;
use linkwell_core::records::people::PersonInput;
use linkwell_server::pg_cluster::Cluster;
use linkwell_server::storage::pg;
use linkwell_server::{AppState, ServerStorage, Storage as _, router};
use linkwell_sync_http::HttpTransport;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

struct Servers {
    dir: tempfile::TempDir,
    urls: Vec<String>,
    storage: Arc<ServerStorage>,
    workers: Vec<Uuid>,
    /// The PostgreSQL database, for the raw insert.
    pg_url: Option<String>,
    _rt: tokio::runtime::Runtime,
}

/// One organisation with a team per ten laptops and a worker per laptop, behind `instances`
/// servers (each its own storage: its own connection or pool) on loopback.
fn start(pg_url: Option<&str>, instances: usize, laptops: usize) -> Result<Servers> {
    let dir = tempfile::tempdir()?;
    let open = || -> Result<ServerStorage> {
        Ok(match pg_url {
            Some(url) => ServerStorage::open_postgres(url)?,
            None => ServerStorage::open(&dir.path().join("server.db"))?,
        })
    };
    let first = Arc::new(open()?);
    first.init_org("Bench region")?;
    let teams = laptops.div_ceil(10);
    for t in 0..teams {
        first.add_team(&format!("Team {t}"), None)?;
    }
    let workers = (0..laptops)
        .map(|i| {
            first.add_worker(
                &format!("Worker {i}"),
                "link_worker",
                &format!("Team {}", i / 10),
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut storages = vec![first.clone()];
    for _ in 1..instances {
        storages.push(Arc::new(open()?));
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let mut urls = Vec::new();
    for s in storages {
        let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
        urls.push(format!("http://{}", listener.local_addr()?));
        let app = router(AppState { storage: s });
        rt.spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
    }
    Ok(Servers {
        dir,
        urls,
        storage: first,
        workers,
        pg_url: pg_url.map(str::to_string),
        _rt: rt,
    })
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

/// Enrols laptop `i` and writes its day: a new person, then `changes` more mutations.
fn laptop(s: &Servers, i: usize, changes: usize) -> Result<(Store, usize)> {
    let code = s.storage.issue_code(s.workers[i], 1)?;
    let url = &s.urls[i % s.urls.len()];
    let mut store = Store::open(&s.dir.path().join(format!("laptop-{i}.db")), None)?;
    store.enrol(&mut HttpTransport::new(url), url, &code)?;
    store.sync(&mut HttpTransport::new(url))?;
    let person = store
        .add_person(&PersonInput {
            given_name: format!("Person {i}"),
            family_name: "Bench".into(),
            ..Default::default()
        })?
        .id;
    write_mutations(&mut store, person, changes.saturating_sub(1), 5)?;
    let pending = store.sync_status()?.pending as usize;
    Ok((store, pending))
}

fn end_of_day(
    label: &str,
    s: &Servers,
    laptops: usize,
    changes: usize,
    at_once: usize,
) -> Result<()> {
    // Set-up, not timed: every laptop enrolled with its day's work waiting.
    let next = AtomicUsize::new(0);
    let ready: Mutex<Vec<Option<(Store, usize)>>> =
        Mutex::new((0..laptops).map(|_| None).collect());
    let failed: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= laptops {
                        break;
                    }
                    match laptop(s, i, changes) {
                        Ok(l) => ready.lock().unwrap()[i] = Some(l),
                        Err(e) => *failed.lock().unwrap() = Some(e),
                    }
                }
            });
        }
    });
    if let Some(e) = failed.into_inner().unwrap() {
        return Err(e.context("setting up the laptops"));
    }
    let stores: Vec<Mutex<(Store, usize)>> = ready
        .into_inner()
        .unwrap()
        .into_iter()
        .map(|l| Mutex::new(l.expect("every laptop set up")))
        .collect();
    let pushed: usize = stores.iter().map(|l| l.lock().unwrap().1).sum();

    // The end of the day: `at_once` laptops sync at a time until all have.
    let next = AtomicUsize::new(0);
    let times: Mutex<Vec<Duration>> = Mutex::new(Vec::new());
    let errors = AtomicUsize::new(0);
    let t0 = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..at_once {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= laptops {
                        break;
                    }
                    let mut l = stores[i].lock().unwrap();
                    let url = &s.urls[i % s.urls.len()];
                    let t = Instant::now();
                    let ok = l.0.sync(&mut HttpTransport::new(url)).is_ok()
                        && l.0.sync_status().is_ok_and(|st| st.pending == 0);
                    times.lock().unwrap().push(t.elapsed());
                    if !ok {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    let total = t0.elapsed();
    let mut times = times.into_inner().unwrap();
    times.sort();
    let (changes_on_server, _, _) = s.storage.counts()?;
    outln!(
        "server end of day, {label}: {laptops} laptops x ~{changes} changes, {at_once} at a time: sync p50 {} p95 {} p99 {} ; total {:.1} s ; {:.0} mutations/s pushed ({pushed} pushed, {changes_on_server} in the stream) ; errors {}",
        ms(percentile(&times, 0.50)),
        ms(percentile(&times, 0.95)),
        ms(percentile(&times, 0.99)),
        total.as_secs_f64(),
        pushed as f64 / total.as_secs_f64(),
        errors.load(Ordering::Relaxed)
    );
    ensure!(
        errors.load(Ordering::Relaxed) == 0,
        "{label}: some syncs failed"
    );
    Ok(())
}

/// One laptop's 2,000 changes stored by the server in one push, against a raw batched insert
/// of the same payloads into the same kind of database.
fn ingest(label: &str, s: &Servers) -> Result<()> {
    let code = s.storage.issue_code(s.workers[0], 1)?;
    let url = &s.urls[0];
    let mut store = Store::open(&s.dir.path().join("ingest.db"), None)?;
    store.enrol(&mut HttpTransport::new(url), url, &code)?;
    store.sync(&mut HttpTransport::new(url))?;
    let person = store
        .add_person(&PersonInput {
            given_name: "Ingest".into(),
            family_name: "Bench".into(),
            ..Default::default()
        })?
        .id;
    store.sync(&mut HttpTransport::new(&s.urls[0]))?;
    write_mutations(&mut store, person, 2_000, 2_000)?;
    let rows = outbox_payloads(&store)?;
    let batch = outbox_request(&store)?;
    let token: String = store
        .conn()
        .query_row("SELECT token FROM sync_state", [], |r| r.get(0))?;
    let ctx = s.storage.authenticate(&token)?;
    let t0 = Instant::now();
    s.storage
        .push(&ctx, &batch, linkwell_server::storage::now_ms())?;
    let ingest = batch.mutations.len() as f64 / t0.elapsed().as_secs_f64();
    let raw = match &s.pg_url {
        Some(url) => pg::raw_insert_rate(url, &rows)?,
        None => raw_insert_rate(s.dir.path(), &rows)?,
    };
    outln!(
        "server ingest, {label}: {ingest:.0} mutations/s ; raw batched insert {raw:.0} rows/s ; ingest is {:.0}% of raw",
        100.0 * ingest / raw
    );
    Ok(())
}

pub fn run(laptops: usize, changes: usize, at_once: usize) -> Result<()> {
    let laptops = laptops.max(1);
    {
        let s = start(None, 1, laptops)?;
        end_of_day("SQLite", &s, laptops, changes, at_once)?;
        ingest("SQLite", &s)?;
    }
    let cluster = Cluster::start_with(true);
    for instances in [1, 2] {
        let url = cluster.create_database(&format!("bench_{instances}"));
        let s = start(Some(&url), instances, laptops)
            .with_context(|| format!("PostgreSQL with {instances} instance(s)"))?;
        let label = format!(
            "PostgreSQL, {instances} instance{}",
            if instances > 1 { "s" } else { "" }
        );
        end_of_day(&label, &s, laptops, changes, at_once)?;
        ingest(&label, &s)?;
    }
    Ok(())
}
