//! `linkwell enrol`, `linkwell sync`, `linkwell sync status` and `linkwell sync review`: thin
//! calls into the core's sync engine over the HTTP transport. One sync at a time per database
//! (a lock file beside it).

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use linkwell_core::Store;
use linkwell_core::sync::{Backoff, SyncError, SyncReport};
use linkwell_sync_http::HttpTransport;
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct EnrolArgs {
    /// The sync server, e.g. https://sync.example.org
    #[arg(long)]
    pub server: String,
    /// The one-time code from your administrator.
    #[arg(long)]
    pub code: String,
    /// A PEM file with the organisation's own certificate authority, if it has one.
    #[arg(long)]
    pub ca: Option<PathBuf>,
}

#[derive(Args)]
pub struct SyncArgs {
    #[command(subcommand)]
    pub what: Option<SyncWhat>,
    /// The sync server (remembered from enrolment if not given).
    #[arg(long)]
    pub server: Option<String>,
    /// A PEM file with the organisation's own certificate authority, if it has one.
    #[arg(long)]
    pub ca: Option<PathBuf>,
    /// While the server cannot be reached, keep retrying (with backoff) for up to this many
    /// seconds.
    #[arg(long, default_value_t = 0)]
    pub wait: u64,
}

#[derive(Subcommand, Clone, Copy)]
pub enum SyncWhat {
    /// Pending changes, the last successful sync, what failed and what to do.
    Status,
    /// Changes to review: losing values and refusals, never discarded.
    Review,
}

fn transport(server: &str, ca: Option<&Path>) -> Result<HttpTransport> {
    Ok(match ca {
        None => HttpTransport::new(server),
        Some(p) => {
            let pem = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
            HttpTransport::with_ca_pem(server, &pem)?
        }
    })
}

pub fn enrol(db: &Path, json: bool, args: &EnrolArgs) -> Result<()> {
    // A new laptop database is created encrypted (its recovery code shown once), like `init`.
    let mut store = crate::open_or_create(db, false)?;
    let mut t = transport(&args.server, args.ca.as_deref())?;
    let resp = store.enrol(&mut t, &args.server, &args.code)?;
    if json {
        outln!(
            "{}",
            serde_json::json!({
                "device_id": resp.device_id,
                "worker_id": resp.worker.id,
                "team_id": resp.worker.team_id,
            })
        );
    } else {
        outln!(
            "Enrolled {} as device {} for worker {}",
            db.display(),
            resp.device_id,
            resp.worker.id
        );
    }
    Ok(())
}

pub fn sync(db: &Path, json: bool, args: &SyncArgs) -> Result<()> {
    let mut store = crate::open_db(db)?;
    match args.what {
        Some(SyncWhat::Status) => return status(&store, json),
        Some(SyncWhat::Review) => return review(&store, json),
        None => {}
    }
    let server = match &args.server {
        Some(s) => {
            if store.sync_server_url()?.as_deref() != Some(s.as_str()) {
                store.set_sync_server_url(s)?;
            }
            s.clone()
        }
        None => store.sync_server_url()?.ok_or(SyncError::NotEnrolled)?,
    };
    let _lock = one_sync_at_a_time(db)?;
    let mut t = transport(&server, args.ca.as_deref())?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(args.wait);
    let mut backoff = Backoff::default();
    let report = loop {
        match store.sync(&mut t) {
            Ok(r) => break r,
            Err(e) if e.is_offline() && std::time::Instant::now() < deadline => {
                let wait = backoff.failed();
                eprintln!("{e}; trying again in {}s", wait.as_secs());
                std::thread::sleep(wait.min(deadline - std::time::Instant::now()));
            }
            Err(e) => return Err(e.into()),
        }
    };
    if json {
        outln!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        outln!("{}", synced_words(&report));
    }
    Ok(())
}

/// What sync could not settle alone, for a person to look at (people named by id).
fn review(store: &Store, json: bool) -> Result<()> {
    let items = store.review_items()?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&items)?);
    } else if items.is_empty() {
        outln!("Nothing to review.");
    } else {
        for i in items {
            let people = [&i.person, &i.other_person]
                .into_iter()
                .flatten()
                .map(|p| p.id.to_string())
                .collect::<Vec<_>>()
                .join(", ");
            outln!("{} {} {}: {}", i.id, i.entity, i.entity_id, i.summary);
            if !people.is_empty() {
                outln!("  people: {people}");
            }
            if i.kind != "possible_duplicate" {
                outln!(
                    "  kept {} — other value {}",
                    i.kept.map_or("-".into(), |v| v.to_string()),
                    i.lost.map_or("-".into(), |v| v.to_string())
                );
            }
        }
    }
    Ok(())
}

/// An exclusive lock beside the database, held while the returned file lives: two syncs of one
/// database at once would send the same changes twice.
fn one_sync_at_a_time(db: &Path) -> Result<std::fs::File> {
    let lock_path = PathBuf::from(format!("{}.sync-lock", db.display()));
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .with_context(|| format!("opening {}", lock_path.display()))?;
    if lock.try_lock().is_err() {
        bail!("a sync is already running for this database");
    }
    Ok(lock)
}

fn synced_words(report: &SyncReport) -> String {
    let mut words = format!("Synced: sent {}, received {}", report.pushed, report.pulled);
    if report.refused > 0 {
        words += &format!(
            ", {} refused by the server (see `linkwell sync review`)",
            report.refused
        );
    }
    if report.held > 0 {
        words += &format!(", {} received changes held", report.held);
    }
    if report.epoch_changed {
        words += " (the server was restored from a backup: everything was sent again)";
    }
    words
}

fn status(store: &Store, json: bool) -> Result<()> {
    let s = store.sync_status()?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&s)?);
        return Ok(());
    }
    if !s.enrolled {
        outln!(
            "Not enrolled: run `linkwell enrol --server URL --code CODE`. {} changes kept on this laptop.",
            s.pending
        );
        return Ok(());
    }
    outln!(
        "{}",
        if s.all_synced {
            "All synced."
        } else if s.pending > 0 {
            "Not synced: changes are waiting to be sent."
        } else if s.unplaced > 0 {
            "Not synced: received changes could not be placed here."
        } else {
            "Not synced: the last sync did not finish."
        }
    );
    outln!("Server: {}", s.server_url.as_deref().unwrap_or("-"));
    outln!("Waiting to send: {}", s.pending);
    outln!(
        "Last successful sync: {}",
        s.last_success_at.as_deref().unwrap_or("never")
    );
    if let Some(e) = &s.last_error {
        outln!("Last attempt failed: {e}");
    }
    if s.to_review > 0 {
        outln!(
            "Changes to review: {} (`linkwell sync review`)",
            s.to_review
        );
    }
    if s.held > 0 {
        outln!("Received changes that could not be placed here: {}", s.held);
    }
    Ok(())
}
