//! `linkwell bench`: figures, not assertions. Builds a synthetic database and prints medians
//! (and p95 where the goal is about tails) for what a link worker waits on.

use anyhow::Result;
use clap::{Args, Subcommand};
use linkwell_core::{Store, demo, read::caseload, read::search};
use std::time::{Duration, Instant};

#[derive(Subcommand, Clone)]
pub enum BenchWhat {
    /// Sync over loopback: a worker's day, a week offline, server ingest vs raw SQLite.
    Sync {
        #[arg(long, default_value_t = 15)]
        runs: usize,
    },
    /// A region's end of day: laptops syncing a day's work 64 at a time, against SQLite and
    /// PostgreSQL behind one and two instances; server ingest vs a raw batched insert.
    Server {
        #[arg(long, default_value_t = 500)]
        laptops: usize,
        #[arg(long, default_value_t = 50)]
        changes: usize,
        #[arg(long, default_value_t = 64)]
        at_once: usize,
    },
    /// The core: caseload open, full-text search, durable note save vs a bare insert.
    Core,
    /// Follow-ups: the share of due follow-ups Today shows, by the rule before issue 14 and
    /// now, on a demo organisation with realistic drop-out; and Today's median time.
    FollowUps {
        #[arg(long, default_value_t = 50_000)]
        people: usize,
        #[arg(long, default_value_t = 50)]
        runs: usize,
    },
    /// Green Book printing: median time and file size of a full book.
    Print {
        #[arg(long, default_value_t = 30)]
        runs: usize,
    },
    /// The closing letter to the referrer for a year of support: build and render (medians).
    Letter {
        #[arg(long, default_value_t = 30)]
        runs: usize,
    },
    /// Reports: the evaluation pack for a year (records read, figures, PDF) against a plain
    /// count of the sessions (uses --people, --sessions, --keep).
    Report {
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// Directory: an ORUK v1 feed imported, re-imported unchanged and exported (medians).
    Directory {
        #[arg(long, default_value_t = 800)]
        services: usize,
        #[arg(long, default_value_t = 7)]
        runs: usize,
    },
}

#[derive(Args, Clone)]
pub struct CoreBenchOpts {
    #[arg(long, default_value_t = 50_000)]
    pub people: usize,
    #[arg(long, default_value_t = 1_000_000)]
    pub sessions: usize,
    /// Repetitions per figure.
    #[arg(long, default_value_t = 200)]
    pub runs: usize,
    /// Keep the synthetic database here (re-used if it exists) instead of a temporary file.
    #[arg(long)]
    pub keep: Option<std::path::PathBuf>,
}

pub fn run(what: Option<&BenchWhat>, opts: &CoreBenchOpts) -> Result<()> {
    match what {
        None | Some(BenchWhat::Core) => core(opts),
        Some(BenchWhat::Sync { runs }) => crate::bench_sync::run(*runs),
        Some(BenchWhat::Server {
            laptops,
            changes,
            at_once,
        }) => crate::bench_server::run(*laptops, *changes, *at_once),
        Some(BenchWhat::Print { runs }) => print(*runs),
        Some(BenchWhat::Directory { services, runs }) => {
            crate::bench_directory::run(*services, *runs)
        }
        Some(BenchWhat::FollowUps { people, runs }) => follow_ups(*people, *runs),
        Some(BenchWhat::Letter { runs }) => crate::bench_letter::run(*runs),
        Some(BenchWhat::Report { runs }) => {
            crate::bench_report::run(opts.people, opts.sessions, *runs, opts.keep.as_deref())
        }
    }
}

fn percentile(mut xs: Vec<Duration>, p: f64) -> Duration {
    xs.sort();
    let i = ((xs.len() as f64 - 1.0) * p).round() as usize;
    xs[i.min(xs.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

/// The figures measured on one database.
struct Figures {
    caseload_size: usize,
    caseload: Duration,
    search_p50: Duration,
    search_p95: Duration,
    note: Duration,
}

fn measure(store: &mut Store, runs: usize) -> Result<Figures> {
    let actor = store.actor()?;
    let now = chrono::Local::now().naive_local();
    let filter = caseload::CaseloadFilter {
        worker_id: Some(actor.worker_id),
        status: Some("active".into()),
        ..Default::default()
    };
    let rows = caseload::caseload(store.conn(), &filter, now)?;
    let caseload_size = rows.len();
    let person = rows.first().map(|r| r.person_id);
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let rows = caseload::caseload(store.conn(), &filter, now)?;
        times.push(t.elapsed());
        std::hint::black_box(rows);
    }
    let caseload = percentile(times, 0.5);

    let queries_text = [
        "walking group",
        "benefits",
        "allotment",
        "bus pass",
        "dementia respite",
        "tablet grandchildren",
        "lung",
        "food bank",
        "anxious money",
        "knit",
    ];
    let mut times = Vec::new();
    for _ in 0..(runs / queries_text.len()).max(1) {
        for q in queries_text {
            let t = Instant::now();
            let hits = search::search(store.conn(), q, Some("note"), 20)?;
            times.push(t.elapsed());
            std::hint::black_box(hits);
        }
    }
    let (search_p50, search_p95) = (percentile(times.clone(), 0.5), percentile(times, 0.95));

    let person = person.ok_or_else(|| anyhow::anyhow!("no active person to write notes for"))?;
    let mut times = Vec::with_capacity(runs);
    for i in 0..runs {
        let t = Instant::now();
        store.add_note(
            person,
            None,
            &format!("Benchmark note {i}: talked about the walking group and the bus pass."),
        )?;
        times.push(t.elapsed());
    }
    Ok(Figures {
        caseload_size,
        caseload,
        search_p50,
        search_p95,
        note: percentile(times, 0.5),
    })
}

/// A bare one-row insert transaction with the same pragmas, on the same disk, in this run.
fn bare_insert(dir: &std::path::Path, runs: usize, key: Option<&str>) -> Result<Duration> {
    let path = dir.join(if key.is_some() {
        "bare-encrypted.db"
    } else {
        "bare.db"
    });
    let bare = rusqlite::Connection::open(&path)?;
    if let Some(k) = key {
        bare.execute_batch(&format!("PRAGMA key = \"x'{k}'\";"))?;
    }
    bare.pragma_update(None, "journal_mode", "WAL")?;
    bare.pragma_update(None, "synchronous", "FULL")?;
    bare.pragma_update(None, "foreign_keys", "ON")?;
    bare.execute_batch("CREATE TABLE IF NOT EXISTS t (id TEXT PRIMARY KEY, body TEXT NOT NULL)")?;
    let mut times = Vec::with_capacity(runs);
    for i in 0..runs {
        let t = Instant::now();
        let tx = bare.unchecked_transaction()?;
        tx.execute(
            "INSERT INTO t (id, body) VALUES (?1, ?2)",
            rusqlite::params![uuid::Uuid::now_v7().to_string(), format!("row {i}")],
        )?;
        tx.commit()?;
        times.push(t.elapsed());
    }
    Ok(percentile(times, 0.5))
}

fn core(opts: &CoreBenchOpts) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = opts
        .keep
        .clone()
        .unwrap_or_else(|| dir.path().join("bench.db"));
    let existed = path.exists();
    let mut store = Store::open(&path, None)?;
    if !existed {
        let t = Instant::now();
        let s = demo::seed(
            &mut store,
            &demo::DemoOptions {
                seed: 7,
                people: opts.people,
                sessions: opts.sessions,
                today: linkwell_core::store::today(),
            },
        )?;
        crate::outln!(
            "seeded {} people, {} sessions, {} notes in {:.1} s",
            s.people,
            s.sessions,
            s.notes,
            t.elapsed().as_secs_f64()
        );
    }
    store
        .conn()
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
    // An encrypted copy of the same data, so plain and encrypted are compared in one run.
    let enc_path = dir.path().join("bench-encrypted.db");
    std::fs::copy(&path, &enc_path)?;
    let passphrase = "benchmark passphrase, synthetic data";
    linkwell_core::security::vault::encrypt_existing(
        &enc_path,
        passphrase,
        linkwell_core::security::vault::KdfParams::default(),
    )?;
    let mut unlock_times = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let key = linkwell_core::security::vault::unlock(&enc_path, passphrase)?;
        unlock_times.push(t.elapsed());
        drop(key);
    }
    let mut encrypted = Store::unlock(&enc_path, passphrase)?;

    let plain = measure(&mut store, opts.runs)?;
    let enc = measure(&mut encrypted, opts.runs)?;
    let bare = bare_insert(dir.path(), opts.runs, None)?;
    let pct = |a: Duration, b: Duration| (a.as_secs_f64() / b.as_secs_f64() - 1.0) * 100.0;
    crate::outln!(
        "caseload open ({} active people): median {} plain, {} encrypted ({:+.0}%) (goal ≤ 1 ms, overhead ≤ 15%)",
        plain.caseload_size,
        ms(plain.caseload),
        ms(enc.caseload),
        pct(enc.caseload, plain.caseload)
    );
    crate::outln!(
        "full-text search over notes: median {}, p95 {} plain; p95 {} encrypted (goal p95 ≤ 20 ms)",
        ms(plain.search_p50),
        ms(plain.search_p95),
        ms(enc.search_p95)
    );
    crate::outln!(
        "durable note save (note + revision + change log + search index, fsync): median {} plain, {} encrypted ({:+.0}%); bare one-row insert: median {}; ratio {:.2} (goal ≤ 1.5)",
        ms(plain.note),
        ms(enc.note),
        pct(enc.note, plain.note),
        ms(bare),
        plain.note.as_secs_f64() / bare.as_secs_f64()
    );
    crate::outln!(
        "unlock (Argon2id 64 MiB, 3 passes, then open): median {}",
        ms(percentile(unlock_times, 0.5))
    );
    Ok(())
}

fn print(runs: usize) -> Result<()> {
    use linkwell_print::{PrintOptions, green_book_pdf, sample_green_book};
    let book = sample_green_book();
    for large_print in [false, true] {
        let opts = PrintOptions {
            large_print,
            ..PrintOptions::new(linkwell_core::store::today())
        };
        let mut times = Vec::with_capacity(runs);
        let mut pdf = Vec::new();
        for _ in 0..runs.max(1) {
            let t = Instant::now();
            pdf = green_book_pdf(&book, &opts)?;
            times.push(t.elapsed());
        }
        let pages = linkwell_print::layout_green_book(&book, &opts)?.pages.len();
        crate::outln!(
            "green book ({}, {pages} pages): median {}, {} KB (goal ≤ 50 ms, ≤ 200 KB)",
            if large_print {
                "large print"
            } else {
                "standard print"
            },
            ms(percentile(times, 0.5)),
            pdf.len() / 1024
        );
    }
    Ok(())
}

/// A person and a time point (T1 or T2): one follow-up as the rule before issue 14 counted it.
type Due = std::collections::BTreeSet<(uuid::Uuid, &'static str)>;

/// Closes most episodes a few months in, after 6-8 sessions, as the evaluations saw (000):
/// the demo alone closes only old ones. Deterministic (every other eligible episode, plus a
/// spread of closing dates).
fn drop_out(store: &mut Store, on: chrono::NaiveDate) -> Result<usize> {
    let eligible: Vec<(uuid::Uuid, chrono::NaiveDate)> = store
        .conn()
        .prepare("SELECT id, opened_on FROM episode WHERE status = 'active' AND opened_on <= ?1")?
        .query_map([(on - chrono::Duration::days(100)).to_string()], |r| {
            Ok((r.get::<_, String>(0)?, r.get(1)?))
        })?
        .filter_map(|r| r.ok())
        .filter_map(|(id, d)| Some((id.parse().ok()?, d)))
        .collect();
    let mut closed = 0;
    for (n, (id, opened)) in eligible.into_iter().enumerate() {
        if n % 5 < 3 {
            let day = (opened + chrono::Duration::days(70 + (n as i64 * 7) % 40)).min(on);
            store.close_episode(id, "goals_met", &day.to_string())?;
            closed += 1;
        }
    }
    Ok(closed)
}

/// Every T1/T2 follow-up due within Today's week, by the current rule (the truth), over all.
fn due_now(store: &Store, on: chrono::NaiveDate) -> Result<Due> {
    use linkwell_core::records::follow_ups::{self, FollowUpState};
    let schedules = follow_ups::schedules(store.conn())?;
    let people: Vec<uuid::Uuid> = store
        .conn()
        .prepare("SELECT DISTINCT person_id FROM measure")?
        .query_map([], |r| r.get::<_, String>(0))?
        .filter_map(|r| r.ok()?.parse().ok())
        .collect();
    let mut due = Due::new();
    for p in people {
        for f in follow_ups::person_follow_ups(store.conn(), p, "", &schedules, on)? {
            let near = (f.due_on - on).num_days() <= follow_ups::LOOKAHEAD_DAYS;
            if f.state == FollowUpState::Open && near && !f.repeating {
                due.insert((p, f.time_point.as_str()));
            }
        }
    }
    Ok(due)
}

/// What Today showed before issue 14: open episodes only, T1/T2 done by any measure at that
/// point (the old query, kept here only to measure the difference).
fn due_before(store: &Store, on: chrono::NaiveDate) -> Result<Due> {
    let mut due = Due::new();
    let mut stmt = store.conn().prepare(
        "SELECT p.id, MIN(m.taken_on),
                EXISTS (SELECT 1 FROM measure x WHERE x.person_id = p.id AND x.time_point = 't1')
                 OR EXISTS (SELECT 1 FROM follow_up_decision f WHERE f.person_id = p.id AND f.time_point = 't1'),
                EXISTS (SELECT 1 FROM measure x WHERE x.person_id = p.id AND x.time_point = 't2')
                 OR EXISTS (SELECT 1 FROM follow_up_decision f WHERE f.person_id = p.id AND f.time_point = 't2')
         FROM episode e JOIN person p ON p.id = e.person_id
         JOIN measure m ON m.person_id = p.id AND m.time_point = 't0'
         WHERE e.status != 'closed' GROUP BY p.id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, chrono::NaiveDate>(1)?,
            r.get::<_, bool>(2)?,
            r.get::<_, bool>(3)?,
        ))
    })?;
    for row in rows {
        let (id, base, t1, t2) = row?;
        let id: uuid::Uuid = id.parse()?;
        for (tp, months, done) in [("t1", 4, t1), ("t2", 8, t2)] {
            let due_on = base + chrono::Months::new(months);
            if !done && (due_on - on).num_days() <= 7 {
                due.insert((id, tp));
            }
        }
    }
    Ok(due)
}

fn follow_ups(people: usize, runs: usize) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let mut store = Store::open(&dir.path().join("bench.db"), None)?;
    let on = linkwell_core::store::today();
    let t = Instant::now();
    let s = demo::seed(
        &mut store,
        &demo::DemoOptions {
            seed: 11,
            people,
            sessions: people * 4,
            today: on,
        },
    )?;
    let closed = drop_out(&mut store, on)?;
    crate::outln!(
        "seeded {} people over {} workers ({} each), {} episodes closed early, in {:.1} s",
        s.people,
        s.workers,
        s.people / s.workers.max(1),
        closed,
        t.elapsed().as_secs_f64()
    );
    let truth = due_now(&store, on)?;
    let mut shown = Due::new();
    for w in store.workers()? {
        for f in caseload::today(store.conn(), w.id, on)?.follow_ups {
            if !f.repeating {
                shown.insert((f.person_id, f.time_point.as_str()));
            }
        }
    }
    let before = due_before(&store, on)?;
    let share = |d: &Due| 100.0 * d.intersection(&truth).count() as f64 / truth.len().max(1) as f64;
    crate::outln!(
        "due T1/T2 follow-ups not yet recorded or decided: {}; on Today before: {} ({:.1}%); now: {} ({:.1}%)",
        truth.len(),
        before.intersection(&truth).count(),
        share(&before),
        shown.intersection(&truth).count(),
        share(&shown)
    );
    let me = store.actor()?.worker_id;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        std::hint::black_box(caseload::today(store.conn(), me, on)?);
        times.push(t.elapsed());
    }
    crate::outln!(
        "Today with {} people: median {}, p95 {}",
        s.people,
        ms(percentile(times.clone(), 0.5)),
        ms(percentile(times, 0.95))
    );
    Ok(())
}
