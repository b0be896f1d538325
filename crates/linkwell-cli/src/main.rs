//! `linkwell`: the command line for support staff, demos, scripts and benchmarks. Each
//! command is a thin call into linkwell-core; errors are printed in the core's words.

/// Prints a line to stdout; a closed pipe (e.g. `| head`) ends the program quietly.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout().lock(), $($arg)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
            return Err(e.into());
        }
    }};
}
pub(crate) use outln;

mod bench;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use linkwell_core::{Store, demo, people::SetupInput, queries, search};
use std::path::PathBuf;
use std::process::ExitCode;
use uuid::Uuid;

#[derive(Parser)]
#[command(
    name = "linkwell",
    version,
    about = "Linkwell: offline-first social prescribing records"
)]
struct Cli {
    /// The local database file.
    #[arg(
        long,
        env = "LINKWELL_DB",
        global = true,
        default_value = "linkwell.db"
    )]
    db: PathBuf,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Set up a new database for a worker on this laptop.
    Init {
        #[arg(long)]
        team: String,
        #[arg(long)]
        locality: Option<String>,
        #[arg(long)]
        name: String,
        /// health_coach, link_worker, supervisor or admin.
        #[arg(long, default_value = "link_worker")]
        role: String,
    },
    /// Seed realistic synthetic data (never real people), deterministic from the seed.
    Demo {
        #[arg(long, default_value_t = 60)]
        people: usize,
        #[arg(long, default_value_t = 400)]
        sessions: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// The date the data is built around (YYYY-MM-DD); defaults to today.
        #[arg(long)]
        today: Option<String>,
    },
    /// What is due today: appointments, follow-ups, referrals waiting, reviews.
    Today {
        #[arg(long)]
        date: Option<String>,
    },
    /// A worker's caseload (yours by default).
    Caseload {
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        all_workers: bool,
    },
    /// Search people, notes and the directory.
    Search { text: Vec<String> },
    /// Export as JSON: one person (subject access request) or everything.
    Export {
        #[arg(long)]
        person: Option<Uuid>,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Show the change log (the outbox sync sends).
    Log {
        #[arg(long, default_value_t = 0)]
        after: i64,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Benchmarks that print figures (medians, ratios).
    Bench {
        #[command(subcommand)]
        what: Option<bench::BenchWhat>,
        #[command(flatten)]
        opts: bench::CoreBenchOpts,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("LINKWELL_LOG"))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn open(cli: &Cli) -> Result<Store> {
    Store::open(&cli.db, None).with_context(|| format!("opening {}", cli.db.display()))
}

fn print_json(v: &impl serde::Serialize) -> Result<()> {
    outln!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

fn parse_date(s: Option<&str>) -> Result<chrono::NaiveDate> {
    match s {
        None => Ok(linkwell_core::store::today()),
        Some(s) => linkwell_core::validate::parse_date(s).map_err(|m| anyhow::anyhow!("date {m}")),
    }
}

fn run(cli: Cli) -> Result<()> {
    match &cli.command {
        Command::Init {
            team,
            locality,
            name,
            role,
        } => {
            let mut store = open(&cli)?;
            let actor = store.init(&SetupInput {
                team_name: team.clone(),
                locality: locality.clone(),
                worker_name: name.clone(),
                role: role.clone(),
                phone: None,
                email: None,
            })?;
            if cli.json {
                print_json(&actor)?;
            } else {
                outln!(
                    "Set up {} for worker {} on device {}",
                    cli.db.display(),
                    actor.worker_id,
                    actor.device_id
                );
            }
        }
        Command::Demo {
            people,
            sessions,
            seed,
            today,
        } => {
            let mut store = open(&cli)?;
            let today = parse_date(today.as_deref())?;
            let summary = demo::seed(
                &mut store,
                &demo::DemoOptions {
                    seed: *seed,
                    people: *people,
                    sessions: *sessions,
                    today,
                },
            )?;
            if cli.json {
                print_json(&summary)?;
            } else {
                outln!(
                    "Demo data: {} workers, {} people, {} sessions, {} notes, {} goals, {} measures, {} directory services; your active caseload: {}",
                    summary.workers,
                    summary.people,
                    summary.sessions,
                    summary.notes,
                    summary.goals,
                    summary.measures,
                    summary.services,
                    summary.worker_active_caseload
                );
            }
        }
        Command::Today { date } => {
            let store = open(&cli)?;
            let on = parse_date(date.as_deref())?;
            let today = queries::today(store.conn(), store.actor()?.worker_id, on)?;
            if cli.json {
                return print_json(&today);
            }
            outln!("Today, {}", today.date.format("%A %-d %B %Y"));
            outln!("\nAppointments ({}):", today.appointments.len());
            for a in &today.appointments {
                outln!(
                    "  {}  {}  ({}{})",
                    a.starts_at.format("%H:%M"),
                    a.person_name,
                    a.mode,
                    a.venue
                        .as_deref()
                        .map(|v| format!(", {v}"))
                        .unwrap_or_default()
                );
            }
            outln!(
                "\nNew referrals waiting for first contact ({}):",
                today.waiting.len()
            );
            for r in &today.waiting {
                outln!(
                    "  {}  waiting {} days, {} attempts",
                    r.person_name,
                    r.days_waiting,
                    r.attempts
                );
            }
            outln!("\nFollow-up measures due ({}):", today.follow_ups.len());
            for f in &today.follow_ups {
                let when = if f.days_overdue > 0 {
                    format!("{} days overdue", f.days_overdue)
                } else {
                    format!("due {}", f.due_on)
                };
                outln!("  {}  {}  {}", f.person_name, f.time_point.label(), when);
            }
            outln!("\nRisk flags to review ({}):", today.risk_reviews.len());
            for r in &today.risk_reviews {
                outln!("  {}  {}  review {}", r.person_name, r.what, r.review_on);
            }
            outln!(
                "\nWellbeing plans to review ({}):",
                today.plan_reviews.len()
            );
            for r in &today.plan_reviews {
                outln!("  {}  review {}", r.person_name, r.review_on);
            }
        }
        Command::Caseload {
            status,
            all_workers,
        } => {
            let store = open(&cli)?;
            let filter = queries::CaseloadFilter {
                worker_id: (!all_workers)
                    .then(|| store.actor().map(|a| a.worker_id))
                    .transpose()?,
                status: status.clone(),
                ..Default::default()
            };
            let rows =
                queries::caseload(store.conn(), &filter, chrono::Local::now().naive_local())?;
            if cli.json {
                return print_json(&rows);
            }
            for r in &rows {
                outln!(
                    "{}  {:<28} {:<10} {:<12} since {}",
                    r.person_id,
                    r.name,
                    r.status,
                    r.stage,
                    r.opened_on
                );
            }
            outln!("{} people", rows.len());
        }
        Command::Search { text } => {
            let store = open(&cli)?;
            let hits = search::search(store.conn(), &text.join(" "), None, 20)?;
            if cli.json {
                return print_json(&hits);
            }
            for h in &hits {
                outln!(
                    "{:<8} {}  {}\n         {}",
                    h.kind,
                    h.id,
                    h.title,
                    h.snippet
                );
            }
            if hits.is_empty() {
                outln!("Nothing found.");
            }
        }
        Command::Export { person, out } => {
            let store = open(&cli)?;
            let v = match person {
                Some(p) => store.export_person(*p)?,
                None => store.export_all()?,
            };
            let text = serde_json::to_string_pretty(&v)?;
            match out {
                Some(path) => std::fs::write(path, text)
                    .with_context(|| format!("writing {}", path.display()))?,
                None => outln!("{text}"),
            }
        }
        Command::Log { after, limit } => {
            let store = open(&cli)?;
            let entries = store.changes_after(*after, *limit)?;
            if cli.json {
                return print_json(&entries);
            }
            for e in &entries {
                outln!(
                    "{:>6} {} {:<16} {} {:<7} {}",
                    e.seq,
                    e.hlc,
                    e.entity,
                    e.entity_id,
                    e.op,
                    if e.acked { "synced" } else { "pending" }
                );
            }
            outln!("{} pending", store.pending_count()?);
        }
        Command::Bench { what, opts } => bench::run(what.as_ref(), opts)?,
    }
    Ok(())
}
