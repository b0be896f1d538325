//! `linkwell directory import FILE_OR_URL` and `linkwell directory export --out FILE.json`:
//! Open Referral UK feeds in and out of the team's directory (the rules are the core's; a
//! feed's pages come over linkwell-sync-http's stack).

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use linkwell_core::Store;
use linkwell_core::records::oruk::ImportReport;
use linkwell_core::records::oruk::feed::FeedProgress;
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct DirectoryArgs {
    #[command(subcommand)]
    pub what: DirectoryWhat,
}

#[derive(Subcommand)]
pub enum DirectoryWhat {
    /// Imports an Open Referral UK feed from a JSON file (v3 /services page, list or record;
    /// v1 page) or from its https:// address, page by page. Re-importing updates in place;
    /// local edits are kept and listed. A feed that stopped at a page carries on from it.
    Import {
        /// A file, or the feed's address (https://..., or http:// to this computer).
        source: String,
        /// Read a feed from its first page even if an earlier import stopped part-way.
        #[arg(long)]
        restart: bool,
    },
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
        DirectoryWhat::Import { source, restart } if source.contains("://") => {
            return import_feed(&mut store, json, source, *restart);
        }
        DirectoryWhat::Import { source, .. } => {
            let file = Path::new(source);
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

/// A feed from its address: a line per page on stderr as it goes, the report at the end; a
/// page that could not be read exits non-zero after the report (the pages before it stay).
fn import_feed(store: &mut Store, json: bool, url: &str, restart: bool) -> Result<()> {
    let mut source = linkwell_sync_http::feed_source();
    let mut progress = |p: FeedProgress| {
        let of = p
            .total_pages
            .map(|t| format!(" of {t}"))
            .unwrap_or_default();
        eprintln!("Page {}{of} imported ({} services).", p.page, p.services);
    };
    let r = store.import_oruk_feed(url, &mut *source, restart, &mut progress)?;
    if json {
        crate::print_json(&r)?;
    } else {
        if let Some(from) = r.resumed_from {
            outln!("Carried on from page {from}, where the last import stopped.");
        }
        outln!("{} pages read.", r.pages_read);
        print_report(&r.report)?;
    }
    match r.error {
        Some(e) => Err(anyhow::anyhow!(e)),
        None => Ok(()),
    }
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
