//! `linkwell-server`: the central sync server and its admin commands.
//!
//! `linkwell-server --data DIR init --org NAME`, `team add`, `worker add`, `enrol-code`,
//! `device list|revoke|allow`, `instrument licence|schedule|list`, `person out-of-sight|put-in-team`, `quarantine list|resolve`,
//! `backup`, `restore`, and `serve` (TLS with `--cert/--key`; plain
//! HTTP is refused on anything but a loopback address). Logs carry ids only, never names.
//! Every command works on the SQLite file under `--data`, or with `--database postgres://...`
//! (or `LINKWELL_DATABASE`) on a PostgreSQL database that several instances can share.

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use linkwell_server::storage::{is_postgres_url, pg};
use linkwell_server::{AppState, ServerStorage, router};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use uuid::Uuid;

#[derive(Parser)]
#[command(
    name = "linkwell-server",
    version,
    about = "Linkwell's central sync server"
)]
struct Cli {
    /// The directory holding the server's database file.
    #[arg(
        long,
        env = "LINKWELL_SERVER_DATA",
        global = true,
        default_value = "linkwell-server-data"
    )]
    data: PathBuf,
    /// A PostgreSQL database instead of the SQLite file: postgres://USER[:PASSWORD]@HOST:PORT/DB.
    /// Best given as LINKWELL_DATABASE from a file only the server's account reads (it may
    /// hold a password).
    #[arg(long, env = "LINKWELL_DATABASE", global = true, hide_env_values = true)]
    database: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Set up the organisation (once).
    Init {
        #[arg(long)]
        org: String,
    },
    /// Teams.
    Team {
        #[command(subcommand)]
        cmd: TeamCmd,
    },
    /// Workers.
    Worker {
        #[command(subcommand)]
        cmd: WorkerCmd,
    },
    /// Issue a one-time enrolment code for a worker's laptop.
    EnrolCode {
        #[arg(long)]
        worker: Uuid,
        /// How long the code stays valid.
        #[arg(long, default_value_t = 72)]
        hours: i64,
    },
    /// Devices.
    Device {
        #[command(subcommand)]
        cmd: DeviceCmd,
    },
    /// People out of every team's sight, and putting them back in a team.
    Person {
        #[command(subcommand)]
        cmd: PersonCmd,
    },
    /// The organisation's licences and follow-up schedules, sent to every laptop by sync.
    Instrument {
        #[command(subcommand)]
        cmd: linkwell_server::instruments::InstrumentCmd,
    },
    /// Changes that could not be placed (kept, never dropped), for review.
    Quarantine {
        #[command(subcommand)]
        cmd: QuarantineCmd,
    },
    /// The organisation's figures over every team, small numbers suppressed (no names).
    Report(ReportArgs),
    /// Write a consistent copy of the database (safe while serving): a SQLite file, or for
    /// PostgreSQL a pg_dump archive (custom format).
    Backup {
        #[arg(long)]
        to: PathBuf,
    },
    /// Replace the database with a backup and start a new epoch, so laptops re-send what the
    /// backup lacks.
    Restore {
        #[arg(long)]
        from: PathBuf,
    },
    /// Serve the sync API.
    Serve {
        /// Address to listen on; port 0 picks a free port (printed on stdout).
        #[arg(long, default_value = "127.0.0.1:8443")]
        listen: SocketAddr,
        /// PEM certificate chain: serve over TLS.
        #[arg(long, requires = "key")]
        cert: Option<PathBuf>,
        /// PEM private key.
        #[arg(long, requires = "cert")]
        key: Option<PathBuf>,
    },
}

#[derive(clap::Args)]
struct ReportArgs {
    /// The report: evaluation.
    name: String,
    /// The first day of the period (YYYY-MM-DD).
    #[arg(long)]
    from: chrono::NaiveDate,
    /// The last day of the period (YYYY-MM-DD), included.
    #[arg(long)]
    to: chrono::NaiveDate,
    /// Print the figures as JSON.
    #[arg(long)]
    json: bool,
    /// Write every table as a CSV file into this folder.
    #[arg(long, conflicts_with = "json")]
    csv: Option<PathBuf>,
}

#[derive(Subcommand)]
enum TeamCmd {
    Add {
        #[arg(long)]
        name: String,
        #[arg(long)]
        locality: Option<String>,
    },
}

#[derive(Subcommand)]
enum WorkerCmd {
    Add {
        #[arg(long)]
        name: String,
        /// health_coach, link_worker, supervisor or admin.
        #[arg(long, default_value = "link_worker")]
        role: String,
        /// Team id or name.
        #[arg(long)]
        team: String,
    },
    /// Let a worker see another team's people too.
    Join {
        #[arg(long)]
        worker: Uuid,
        #[arg(long)]
        team: String,
    },
}

#[derive(Subcommand)]
enum QuarantineCmd {
    /// Open quarantined changes, oldest first (ids, reason codes and texts, no personal data).
    List,
    /// Mark one reviewed: it stays kept, but is no longer listed or retried.
    Resolve { mutation: Uuid },
}

#[derive(Subcommand)]
enum PersonCmd {
    /// People whose team is not one of the organisation's: no laptop shows them (ids only).
    OutOfSight,
    /// Put a person, with all their records, in a team; its laptops receive them again.
    PutInTeam {
        person: Uuid,
        /// Team id or name.
        #[arg(long)]
        team: String,
    },
}

#[derive(Subcommand)]
enum DeviceCmd {
    /// Every device, revoked or suspected of being a copy of another laptop's database.
    List,
    Revoke {
        device: Uuid,
    },
    /// Decide that a device suspected of being a copy is the real laptop: it syncs again.
    Allow {
        device: Uuid,
    },
}

/// The data folder, readable by the server's account only (0700): it holds personal data.
fn private_dir(data: &Path) -> Result<()> {
    std::fs::create_dir_all(data).with_context(|| format!("creating {}", data.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(data, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("making {} private", data.display()))?;
    }
    Ok(())
}

fn db_path(data: &Path) -> PathBuf {
    data.join("linkwell-server.db")
}

/// The PostgreSQL URL given, if any (anything else given as `--database` is refused).
fn postgres_url(database: Option<&str>) -> Result<Option<&str>> {
    match database {
        Some(url) if is_postgres_url(url) => Ok(Some(url)),
        Some(_) => bail!(
            "--database must be a PostgreSQL URL (postgres://USER@HOST:PORT/DATABASE); leave it out to use the SQLite file under --data"
        ),
        None => Ok(None),
    }
}

fn open_db(data: &Path, database: Option<&str>) -> Result<ServerStorage> {
    if let Some(url) = postgres_url(database)? {
        return ServerStorage::open_postgres(url).context("opening the PostgreSQL database");
    }
    private_dir(data)?;
    Ok(ServerStorage::open(&db_path(data))?)
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("LINKWELL_LOG"))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let database = cli.database.clone();
    let open = |data: &Path| open_db(data, database.as_deref());
    match cli.command {
        Command::Init { org } => {
            let id = open(&cli.data)?.init_org(&org)?;
            println!("organisation {id}");
        }
        Command::Team {
            cmd: TeamCmd::Add { name, locality },
        } => {
            let id = open(&cli.data)?.add_team(&name, locality.as_deref())?;
            println!("{id}");
        }
        Command::Worker {
            cmd: WorkerCmd::Add { name, role, team },
        } => {
            let id = open(&cli.data)?.add_worker(&name, &role, &team)?;
            println!("{id}");
        }
        Command::Worker {
            cmd: WorkerCmd::Join { worker, team },
        } => {
            open(&cli.data)?.join_team(worker, &team)?;
        }
        Command::EnrolCode { worker, hours } => {
            let code = open(&cli.data)?.issue_code(worker, hours)?;
            println!("{code}");
        }
        Command::Device {
            cmd: DeviceCmd::List,
        } => {
            for (device, worker, enrolled, revoked, seq, suspected) in open(&cli.data)?.devices()? {
                let state = match (revoked, suspected) {
                    (Some(r), _) => format!("revoked {r}"),
                    (None, Some(s)) => format!(
                        "STOPPED: clone suspected {s} (decide: device allow or device revoke)"
                    ),
                    (None, None) => "active".to_string(),
                };
                println!("{device}  worker {worker}  enrolled {enrolled}  changes {seq}  {state}");
            }
        }
        Command::Device {
            cmd: DeviceCmd::Allow { device },
        } => {
            open(&cli.data)?.allow_device(device)?;
            println!("allowed {device}: it syncs again");
        }
        Command::Device {
            cmd: DeviceCmd::Revoke { device },
        } => {
            open(&cli.data)?.revoke_device(device)?;
            println!("revoked {device}");
        }
        Command::Person {
            cmd: PersonCmd::OutOfSight,
        } => {
            let rows = open(&cli.data)?.out_of_sight()?;
            for (person, team) in &rows {
                println!("{person}  team {}", team.as_deref().unwrap_or("none"));
            }
            println!("{} out of every team's sight", rows.len());
        }
        Command::Person {
            cmd: PersonCmd::PutInTeam { person, team },
        } => {
            let team = open(&cli.data)?.put_in_team(person, &team)?;
            println!("{person} is in team {team}; its laptops receive the record again");
        }
        Command::Instrument { cmd } => cmd.run(&open(&cli.data)?)?,
        Command::Report(args) => report(&open(&cli.data)?, &args)?,
        Command::Quarantine {
            cmd: QuarantineCmd::List,
        } => {
            let rows = open(&cli.data)?.quarantine_report()?;
            for q in &rows {
                let waits = q
                    .awaits
                    .map_or(String::new(), |a| format!("  waits for {a}"));
                // The code is what scripts match; the text is what the laptop was told.
                let code = q.code.map_or("-", |c| c.as_str());
                println!(
                    "{}  received {}  {} {}  device {}  worker {}  {code}: {}{waits}",
                    q.mutation_id,
                    q.received_at,
                    q.entity.as_str(),
                    q.entity_id,
                    q.device_id,
                    q.worker_id,
                    q.reason
                );
            }
            println!("{} open", rows.len());
        }
        Command::Quarantine {
            cmd: QuarantineCmd::Resolve { mutation },
        } => {
            open(&cli.data)?.resolve_quarantined(mutation)?;
            println!("reviewed {mutation}: kept, no longer listed");
        }
        Command::Backup { to } => {
            open(&cli.data)?.backup_to(&to)?;
            println!("backed up to {}", to.display());
        }
        Command::Restore { from } => {
            if let Some(url) = postgres_url(cli.database.as_deref())? {
                pg::restore(url, &from)?;
                let epoch = ServerStorage::open_postgres(url)?.new_epoch()?;
                println!("restored; new epoch {epoch}: laptops will re-send what the backup lacks");
                return Ok(());
            }
            let path = db_path(&cli.data);
            private_dir(&cli.data)?;
            for suffix in ["-wal", "-shm"] {
                let p = PathBuf::from(format!("{}{suffix}", path.display()));
                if p.exists() {
                    std::fs::remove_file(&p)?;
                }
            }
            std::fs::copy(&from, &path).with_context(|| format!("copying {}", from.display()))?;
            let epoch = ServerStorage::open(&path)?.new_epoch()?;
            println!("restored; new epoch {epoch}: laptops will re-send what the backup lacks");
        }
        Command::Serve { listen, cert, key } => {
            let storage = open(&cli.data)?;
            storage
                .epoch()
                .context("run `linkwell-server init --org NAME` first")?;
            serve(storage, listen, cert.zip(key))?;
        }
    }
    Ok(())
}

use linkwell_server::Storage as _;

/// `report NAME --from --to [--json | --csv DIR]`: the same figures a supervisor's device
/// fetches from `/v1/report`.
fn report(storage: &linkwell_server::SqliteStorage, args: &ReportArgs) -> Result<()> {
    use linkwell_server::report::{OrganisationReportRequest, organisation};
    let req = OrganisationReportRequest {
        name: args.name.clone(),
        from: args.from,
        to: args.to,
        on: None,
    };
    let r = organisation(storage, &req)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&r.evaluation)?);
        return Ok(());
    }
    if let Some(dir) = &args.csv {
        private_dir(dir)?;
        for t in &r.tables {
            let path = dir.join(format!("{}.csv", t.name));
            std::fs::write(&path, linkwell_report::to_csv(t))
                .with_context(|| format!("writing {}", path.display()))?;
        }
        println!("Wrote {} tables to {}", r.tables.len(), dir.display());
        return Ok(());
    }
    let e = &r.evaluation;
    println!(
        "{} — {} to {} (data as of {})",
        e.scope_label, e.period.from, e.period.to, e.data_date
    );
    for t in &r.tables {
        println!("\n{}\n  {}", t.title, t.columns.join(" | "));
        for row in &t.rows {
            println!("  {}", row.join(" | "));
        }
    }
    println!();
    for c in &e.caveats {
        println!("Note: {c}");
    }
    Ok(())
}

fn serve(
    storage: ServerStorage,
    listen: SocketAddr,
    tls: Option<(PathBuf, PathBuf)>,
) -> Result<()> {
    if tls.is_none() && !listen.ip().is_loopback() {
        bail!(
            "refusing to serve plain HTTP on {listen}: give --cert and --key for TLS, or listen on a loopback address"
        );
    }
    let storage = Arc::new(storage);
    // The organisation's figures have routes (and a concurrency limit) of their own.
    let app = router(AppState {
        storage: storage.clone(),
    })
    .merge(linkwell_server::report::router(storage));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = std::net::TcpListener::bind(listen)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        // Tests and scripts read the bound port from this line.
        println!("listening on {scheme}://{addr}");
        use std::io::Write as _;
        std::io::stdout().flush()?;
        let handle = axum_server::Handle::new();
        let h = handle.clone();
        tokio::spawn(async move {
            let _ = tokio::signal::ctrl_c().await;
            h.graceful_shutdown(Some(std::time::Duration::from_secs(5)));
        });
        match tls {
            Some((cert, key)) => {
                let _ = rustls::crypto::ring::default_provider().install_default();
                let config = axum_server::tls_rustls::RustlsConfig::from_pem_file(&cert, &key)
                    .await
                    .with_context(|| format!("loading {} and {}", cert.display(), key.display()))?;
                axum_server::from_tcp_rustls(listener, config)?
                    .handle(handle)
                    .serve(app.into_make_service())
                    .await?;
            }
            None => {
                axum_server::from_tcp(listener)?
                    .handle(handle)
                    .serve(app.into_make_service())
                    .await?;
            }
        }
        Ok::<_, anyhow::Error>(())
    })
}
