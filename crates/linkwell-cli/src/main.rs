//! `linkwell`: the command line for support staff, demos, scripts and benchmarks. Each
//! command is a thin call into linkwell-core; errors are printed in the core's words.

// The commands' doc comments are their --help text, where a bare address reads best.
#![allow(rustdoc::bare_urls)]

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
mod bench_directory;
mod bench_letter;
mod bench_report;
mod bench_server;
mod bench_sync;
mod directory_cmd;
mod message_cmd;
mod report_cmd;
mod sync_cmd;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use linkwell_core::{Store, demo, read::caseload, read::search, records::people::SetupInput};
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
        /// Leave the database unencrypted (synthetic test data only; never for real records).
        #[arg(long)]
        plaintext: bool,
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
        /// Leave a new database unencrypted (synthetic data only).
        #[arg(long)]
        plaintext: bool,
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
    /// Print Green Book pages or a directory page as PDF.
    Print {
        #[command(subcommand)]
        what: PrintWhat,
    },
    /// Encrypt an existing unencrypted database in place (asks for a new passphrase).
    Encrypt,
    /// Change the passphrase (LINKWELL_PASSPHRASE / LINKWELL_NEW_PASSPHRASE for scripts).
    Passphrase,
    /// Set a new passphrase using the recovery code shown at set-up.
    Recover,
    /// Show the change log (the outbox sync sends).
    Log {
        #[arg(long, default_value_t = 0)]
        after: i64,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Enrol this laptop with the sync server using a one-time code from your administrator.
    Enrol(sync_cmd::EnrolArgs),
    /// Sync with the server now (`sync status` shows the state, `sync review` the conflicts).
    Sync(sync_cmd::SyncArgs),
    /// The community directory: Open Referral UK import and export.
    Directory(directory_cmd::DirectoryArgs),
    /// Team and evaluation figures (`report evaluation --from DATE --to DATE`).
    Report(report_cmd::ReportArgs),
    /// The message back to the referrer: accepted, declined, first-seen or closed (`--json`
    /// prints its structured record, `--pdf FILE` writes the letter).
    Message(message_cmd::MessageArgs),
    /// Benchmarks that print figures (medians, ratios).
    Bench {
        #[command(subcommand)]
        what: Option<bench::BenchWhat>,
        #[command(flatten)]
        opts: bench::CoreBenchOpts,
    },
}

#[derive(Subcommand)]
enum PrintWhat {
    /// A person's Green Book pages (default: every section with content).
    GreenBook {
        person: Uuid,
        #[arg(long)]
        out: PathBuf,
        /// Comma-separated: cover, plan, five-ways, goals, groups, next-steps.
        #[arg(long)]
        pages: Option<String>,
        /// Large print (default: the person's recorded communication needs).
        #[arg(long)]
        large_print: bool,
        /// Blank pages with writing lines, to fill in by hand.
        #[arg(long)]
        blank: bool,
        /// Fix the printed date (YYYY-MM-DD) for byte-identical output.
        #[arg(long)]
        fixed_date: Option<String>,
    },
    /// The introduction for a group lead of an onward referral: one A4 page, and its words
    /// (to copy) on stdout.
    Introduction {
        /// The onward referral's id.
        onward: Uuid,
        #[arg(long)]
        out: PathBuf,
    },
    /// A stand-alone directory page for one service.
    Service {
        service: Uuid,
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        large_print: bool,
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
    open_db(&cli.db)
}

/// The passphrase from `var` (for scripts) or a prompt on the terminal — never an argument.
pub(crate) fn secret(var: &str, prompt: &str) -> Result<zeroize::Zeroizing<String>> {
    use std::io::IsTerminal;
    if let Ok(p) = std::env::var(var) {
        return Ok(zeroize::Zeroizing::new(p));
    }
    if std::io::stdin().is_terminal() {
        return Ok(zeroize::Zeroizing::new(rpassword::prompt_password(prompt)?));
    }
    anyhow::bail!("{prompt} needed: type it at a terminal, or set {var} for scripts")
}

/// Opens an existing database, unlocking it with the worker's passphrase if it is encrypted.
pub(crate) fn open_db(db: &std::path::Path) -> Result<Store> {
    if linkwell_core::security::vault::is_encrypted(db) {
        let pass = secret("LINKWELL_PASSPHRASE", "Passphrase")?;
        return Store::unlock(db, &pass).with_context(|| format!("unlocking {}", db.display()));
    }
    if !db.exists() {
        anyhow::bail!("{} does not exist: run `linkwell init` first", db.display());
    }
    eprintln!(
        "warning: {} is not encrypted; run `linkwell encrypt` to protect it",
        db.display()
    );
    Store::open(db, None).with_context(|| format!("opening {}", db.display()))
}

/// Opens the database for set-up: a new one is created encrypted (unless `plaintext`, for
/// synthetic benchmark data only) and its recovery code is shown once.
fn open_or_create(db: &std::path::Path, plaintext: bool) -> Result<Store> {
    if db.exists() {
        return open_db(db);
    }
    if plaintext {
        return Ok(Store::open(db, None)?);
    }
    let pass = secret("LINKWELL_PASSPHRASE", "New passphrase")?;
    let (store, code) = Store::create_encrypted(
        db,
        &pass,
        linkwell_core::security::vault::KdfParams::default(),
    )?;
    eprintln!(
        "Your recovery code (shown once; write it down and keep it somewhere safe):\n\n    {}\n\nIt unlocks this database if the passphrase is forgotten.",
        code.0.as_str()
    );
    Ok(store)
}

fn print_json(v: &impl serde::Serialize) -> Result<()> {
    outln!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

fn parse_date(s: Option<&str>) -> Result<chrono::NaiveDate> {
    match s {
        None => Ok(linkwell_core::store::today()),
        Some(s) => {
            linkwell_core::domain::validate::parse_date(s).map_err(|m| anyhow::anyhow!("date {m}"))
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match &cli.command {
        Command::Encrypt | Command::Passphrase | Command::Recover => vault_command(&cli)?,
        Command::Init { .. } => init_command(&cli)?,
        Command::Demo { .. } => demo_command(&cli)?,
        Command::Today { date } => {
            let store = open(&cli)?;
            let on = parse_date(date.as_deref())?;
            let today = caseload::today(store.conn(), store.actor()?.worker_id, on)?;
            if cli.json {
                return print_json(&today);
            }
            print_today(&today)?;
        }
        Command::Caseload { .. } => caseload_command(&cli)?,
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
            let mut store = open(&cli)?;
            let v = match person {
                Some(p) => store.export_person(*p)?,
                None => store.export_all()?,
            };
            let text = serde_json::to_string_pretty(&v)?;
            match out {
                // Personal data: readable by this account only.
                Some(path) => linkwell_core::security::files::write_private(path, text.as_bytes())
                    .with_context(|| format!("writing {}", path.display()))?,
                None => outln!("{text}"),
            }
        }
        Command::Report(args) => report_cmd::run(&cli, args)?,
        Command::Message(args) => message_cmd::run(&cli, args)?,
        Command::Print { what } => {
            print(&cli, what)?;
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
        Command::Enrol(args) => sync_cmd::enrol(&cli.db, cli.json, args)?,
        Command::Sync(args) => sync_cmd::sync(&cli.db, cli.json, args)?,
        Command::Directory(args) => directory_cmd::run(&cli.db, cli.json, args)?,
        Command::Bench { what, opts } => bench::run(what.as_ref(), opts)?,
    }
    Ok(())
}

/// Sets up a new database for a worker and their team.
fn init_command(cli: &Cli) -> Result<()> {
    let Command::Init {
        team,
        locality,
        name,
        role,
        plaintext,
    } = &cli.command
    else {
        unreachable!("only Init comes here")
    };
    let mut store = open_or_create(&cli.db, *plaintext)?;
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
    Ok(())
}

/// Fills a database with synthetic demo data (never real people).
fn demo_command(cli: &Cli) -> Result<()> {
    let Command::Demo {
        people,
        sessions,
        seed,
        today,
        plaintext,
    } = &cli.command
    else {
        unreachable!("only Demo comes here")
    };
    let mut store = open_or_create(&cli.db, *plaintext)?;
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
    Ok(())
}

/// The worker's (or the team's) caseload, one line a person.
fn caseload_command(cli: &Cli) -> Result<()> {
    let Command::Caseload {
        status,
        all_workers,
    } = &cli.command
    else {
        unreachable!("only Caseload comes here")
    };
    let store = open(cli)?;
    let filter = caseload::CaseloadFilter {
        worker_id: (!all_workers)
            .then(|| store.actor().map(|a| a.worker_id))
            .transpose()?,
        status: status.clone(),
        ..Default::default()
    };
    let rows = caseload::caseload(store.conn(), &filter, chrono::Local::now().naive_local())?;
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
    Ok(())
}

/// Encrypting a plaintext database, changing the passphrase, unlocking with the recovery code.
fn vault_command(cli: &Cli) -> Result<()> {
    match &cli.command {
        Command::Encrypt => {
            if linkwell_core::security::vault::is_encrypted(&cli.db) {
                anyhow::bail!("{} is already encrypted", cli.db.display());
            }
            let pass = secret("LINKWELL_PASSPHRASE", "New passphrase")?;
            let code = linkwell_core::security::vault::encrypt_existing(
                &cli.db,
                &pass,
                Default::default(),
            )?;
            outln!("{} is now encrypted.", cli.db.display());
            eprintln!(
                "Your recovery code (shown once; keep it safe):\n\n    {}\n",
                code.0.as_str()
            );
        }
        Command::Passphrase => {
            let old = secret("LINKWELL_PASSPHRASE", "Current passphrase")?;
            let new = secret("LINKWELL_NEW_PASSPHRASE", "New passphrase")?;
            linkwell_core::security::vault::change_passphrase(&cli.db, &old, &new)?;
            outln!("Passphrase changed. Your recovery code still works.");
        }
        Command::Recover => {
            let code = secret("LINKWELL_RECOVERY_CODE", "Recovery code")?;
            let new = secret("LINKWELL_NEW_PASSPHRASE", "New passphrase")?;
            linkwell_core::security::vault::recover(&cli.db, &code, &new)?;
            outln!("Unlocked with the recovery code and set your new passphrase.");
        }
        _ => unreachable!("only vault commands come here"),
    }
    Ok(())
}

/// Today in the terminal, section by section as the app's screen has them.
fn print_today(today: &caseload::Today) -> Result<()> {
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
    Ok(())
}

/// Writes a Green Book or a service page as PDF.
fn print(cli: &Cli, what: &PrintWhat) -> Result<()> {
    let mut store = open(cli)?;
    let (pdf, out) = match what {
        PrintWhat::GreenBook {
            person,
            out,
            pages,
            large_print,
            blank,
            fixed_date,
        } => {
            let options = linkwell_core::read::print::GreenBookOptions {
                pages: pages.clone(),
                large_print: large_print.then_some(true),
                blank: *blank,
                fixed_date: fixed_date
                    .as_deref()
                    .map(|d| parse_date(Some(d)))
                    .transpose()?,
            };
            (store.green_book_pdf(*person, &options)?, out)
        }
        PrintWhat::Introduction { onward, out } => {
            let (intro, _) = store.introduction(*onward)?;
            outln!("{}\n", intro.text);
            (store.introduction_pdf(*onward)?, out)
        }
        PrintWhat::Service {
            service,
            out,
            large_print,
        } => {
            let options = linkwell_core::read::print::GreenBookOptions {
                large_print: Some(*large_print),
                ..Default::default()
            };
            (store.service_page_pdf(*service, &options)?, out)
        }
    };
    linkwell_core::security::files::write_private(out, &pdf)
        .with_context(|| format!("writing {}", out.display()))?;
    outln!("Wrote {} ({} KB)", out.display(), pdf.len() / 1024);
    Ok(())
}
