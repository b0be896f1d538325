//! `linkwell bench report`: the evaluation pack for a year on a synthetic database — reading
//! the records, the figures and tables (what the Reports screen's first table waits for), and
//! the PDF — as medians, beside a plain `SELECT count(*)` over the sessions for scale.

use anyhow::Result;
use linkwell_core::read::report::{self, ReportRequest};
use linkwell_core::{Store, demo};
use std::time::{Duration, Instant};

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn time<T>(runs: usize, mut f: impl FnMut() -> Result<T>) -> Result<Duration> {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        std::hint::black_box(f()?);
        times.push(t.elapsed());
    }
    Ok(median(times))
}

pub fn run(
    people: usize,
    sessions: usize,
    runs: usize,
    keep: Option<&std::path::Path>,
) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = keep.map_or_else(|| dir.path().join("bench.db"), std::path::Path::to_path_buf);
    let existed = path.exists();
    let mut store = Store::open(&path, None)?;
    let on = linkwell_core::store::today();
    if !existed {
        let t = Instant::now();
        let s = demo::seed(
            &mut store,
            &demo::DemoOptions {
                seed: 15,
                people,
                sessions,
                today: on,
            },
        )?;
        crate::outln!(
            "seeded {} people, {} sessions in {:.1} s",
            s.people,
            s.sessions,
            t.elapsed().as_secs_f64()
        );
    }
    let runs = runs.max(1);
    let worker = store.actor()?.worker_id;
    let year_ago = on
        .checked_sub_months(chrono::Months::new(12))
        .and_then(|d| d.succ_opt())
        .unwrap_or(on);
    let req = ReportRequest {
        name: "evaluation".into(),
        scope: "my_team".into(),
        from: year_ago.to_string(),
        to: on.to_string(),
        on: Some(on),
    };
    let conn = store.conn();
    let count = time(runs, || {
        Ok(conn.query_row("SELECT count(*) FROM session", [], |r| r.get::<_, i64>(0))?)
    })?;
    let read = time(runs, || Ok(report::read_records(conn)?))?;
    let pack = time(runs, || Ok(report::report(conn, worker, &req)?))?;
    let answer = report::report(conn, worker, &req)?;
    let pdf = time(runs, || Ok(report::pack_pdf(&answer, on)?))?;
    let sessions_now: i64 = conn.query_row("SELECT count(*) FROM session", [], |r| r.get(0))?;
    crate::outln!(
        "evaluation for a year over {} sessions (my team, suppressed), median of {runs}:",
        sessions_now
    );
    crate::outln!("  SELECT count(*) FROM session: {}", ms(count));
    crate::outln!("  reading the records:           {}", ms(read));
    crate::outln!(
        "  figures and tables (the screen's first table): {} ({:.0}x the count; goal: pack ≤ 1 s, first table ≤ 200 ms)",
        ms(pack),
        pack.as_secs_f64() / count.as_secs_f64().max(1e-9)
    );
    crate::outln!(
        "  the pack as PDF ({} tables):  {}; pack in one action {}",
        answer.tables.len(),
        ms(pdf),
        ms(pack + pdf)
    );
    Ok(())
}
