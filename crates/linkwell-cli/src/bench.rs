//! `linkwell bench`: figures, not assertions. Builds a synthetic database and prints medians
//! (and p95 where the goal is about tails) for what a link worker waits on.

use anyhow::Result;
use clap::{Args, Subcommand};
use linkwell_core::{Store, demo, queries, search};
use std::time::{Duration, Instant};

#[derive(Subcommand, Clone)]
pub enum BenchWhat {
    /// Sync over loopback: a worker's day, a week offline, server ingest vs raw SQLite.
    Sync {
        #[arg(long, default_value_t = 15)]
        runs: usize,
    },
    /// The core: caseload open, full-text search, durable note save vs a bare insert.
    Core,
    /// Green Book printing: median time and file size of a full book.
    Print {
        #[arg(long, default_value_t = 30)]
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
        Some(BenchWhat::Print { runs }) => print(*runs),
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
    let actor = store.actor()?;
    let now = chrono::Local::now().naive_local();
    let filter = queries::CaseloadFilter {
        worker_id: Some(actor.worker_id),
        status: Some("active".into()),
        ..Default::default()
    };
    let size = queries::caseload(store.conn(), &filter, now)?.len();
    let mut times = Vec::with_capacity(opts.runs);
    for _ in 0..opts.runs {
        let t = Instant::now();
        let rows = queries::caseload(store.conn(), &filter, now)?;
        times.push(t.elapsed());
        std::hint::black_box(rows);
    }
    crate::outln!(
        "caseload open ({size} active people): median {} (goal ≤ 1 ms)",
        ms(percentile(times, 0.5))
    );

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
    for _ in 0..(opts.runs / queries_text.len()).max(1) {
        for q in queries_text {
            let t = Instant::now();
            let hits = search::search(store.conn(), q, Some("note"), 20)?;
            times.push(t.elapsed());
            std::hint::black_box(hits);
        }
    }
    let p50 = percentile(times.clone(), 0.5);
    crate::outln!(
        "full-text search over notes: median {}, p95 {} (goal p95 ≤ 20 ms)",
        ms(p50),
        ms(percentile(times, 0.95))
    );

    let person = queries::caseload(store.conn(), &filter, now)?
        .first()
        .map(|r| r.person_id);
    let Some(person) = person else {
        crate::outln!("no active person to write notes for; skipping the note-save figure");
        return Ok(());
    };
    let mut note_times = Vec::with_capacity(opts.runs);
    for i in 0..opts.runs {
        let t = Instant::now();
        store.add_note(
            person,
            None,
            &format!("Benchmark note {i}: talked about the walking group and the bus pass."),
        )?;
        note_times.push(t.elapsed());
    }
    let note = percentile(note_times, 0.5);

    // A bare one-row insert transaction with the same pragmas, on the same disk, in this run.
    let bare_path = path.with_extension("bare.db");
    let _ = std::fs::remove_file(&bare_path);
    let bare = rusqlite::Connection::open(&bare_path)?;
    bare.pragma_update(None, "journal_mode", "WAL")?;
    bare.pragma_update(None, "synchronous", "FULL")?;
    bare.pragma_update(None, "foreign_keys", "ON")?;
    bare.execute_batch("CREATE TABLE t (id TEXT PRIMARY KEY, body TEXT NOT NULL)")?;
    let mut bare_times = Vec::with_capacity(opts.runs);
    for i in 0..opts.runs {
        let t = Instant::now();
        let tx = bare.unchecked_transaction()?;
        tx.execute(
            "INSERT INTO t (id, body) VALUES (?1, ?2)",
            rusqlite::params![uuid::Uuid::now_v7().to_string(), format!("row {i}")],
        )?;
        tx.commit()?;
        bare_times.push(t.elapsed());
    }
    drop(bare);
    for ext in ["bare.db", "bare.db-wal", "bare.db-shm"] {
        let _ = std::fs::remove_file(path.with_extension(ext));
    }
    let bare = percentile(bare_times, 0.5);
    crate::outln!(
        "durable note save (note + revision + change log + search index, fsync): median {}; bare one-row insert: median {}; ratio {:.2} (goal ≤ 1.5)",
        ms(note),
        ms(bare),
        note.as_secs_f64() / bare.as_secs_f64()
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
