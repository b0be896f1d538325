//! `linkwell directory import FILE` and `linkwell directory export --out FILE.json`: Open
//! Referral UK feeds in and out of the team's directory (the rules are the core's).

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use linkwell_core::records::oruk::ImportReport;
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct DirectoryArgs {
    #[command(subcommand)]
    pub what: DirectoryWhat,
}

#[derive(Subcommand)]
pub enum DirectoryWhat {
    /// Imports an Open Referral UK feed saved as a JSON file (v3 /services page, list or
    /// record; v1 page). Re-importing updates in place; local edits are kept and listed.
    Import { file: PathBuf },
    /// Writes the directory as an ORUK v3 /services page of full service records.
    Export {
        #[arg(long)]
        out: PathBuf,
    },
    /// Lists the feed values not taken because the team had edited the field.
    Differs,
}

pub fn run(db: &Path, json: bool, args: &DirectoryArgs) -> Result<()> {
    let mut store = crate::open_db(db)?;
    match &args.what {
        DirectoryWhat::Import { file } => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("reading {}", file.display()))?;
            let report = store.import_oruk(&text)?;
            if json {
                return crate::print_json(&report);
            }
            print_report(&report)?;
        }
        DirectoryWhat::Export { out } => {
            let page = store.export_oruk()?;
            let n = page["total_items"].as_u64().unwrap_or(0);
            // The directory holds no one's personal data, but keep to the CLI's one way of writing.
            linkwell_core::security::files::write_private(
                out,
                serde_json::to_string_pretty(&page)?.as_bytes(),
            )
            .with_context(|| format!("writing {}", out.display()))?;
            outln!("{n} services written to {}", out.display());
        }
        DirectoryWhat::Differs => {
            let differs = store.directory_feed_differs()?;
            if json {
                return crate::print_json(&differs);
            }
            for d in &differs {
                outln!(
                    "{}  {}: kept {} (feed says {})",
                    d.name,
                    d.field,
                    d.local,
                    d.feed
                );
            }
            if differs.is_empty() {
                outln!("No feed values waiting for review.");
            }
        }
    }
    Ok(())
}

fn print_report(r: &ImportReport) -> Result<()> {
    outln!("Read as {}.", r.format);
    outln!(
        "{} added, {} updated, {} unchanged, {} skipped, {} no longer listed.",
        r.added,
        r.updated,
        r.unchanged,
        r.skipped.len(),
        r.no_longer_listed.len()
    );
    for n in &r.notes {
        outln!("Note: {n}");
    }
    for s in &r.skipped {
        outln!(
            "Skipped {}: {}",
            s.id.as_deref().unwrap_or("(no id)"),
            s.reason
        );
    }
    for u in &r.no_longer_listed {
        outln!(
            "No longer listed since {}: {} ({})",
            u.since,
            u.name,
            u.feed_id
        );
    }
    for d in &r.feed_differs {
        outln!(
            "Kept your edit of {} for {}; the feed now says {}",
            d.field,
            d.name,
            d.feed
        );
    }
    Ok(())
}
