//! `linkwell message KIND --referral ID [--pdf FILE] [--json] [--mark-sent ROUTE]`: the
//! message back to the referrer (accepted, declined, first-seen, closed) for scripts and
//! support staff. Every word and every rule is the core's (read::message).

use crate::{Cli, print_json};
use anyhow::{Context, Result};
use linkwell_core::read::message::{self, MessageOptions, SentInput};
use uuid::Uuid;

#[derive(clap::Args)]
pub struct MessageArgs {
    /// accepted, declined, first-seen or closed.
    kind: String,
    /// The referral the message is about.
    #[arg(long)]
    referral: Uuid,
    /// Write the letter (A4 PDF on the organisation's letterhead) to this file.
    #[arg(long)]
    pdf: Option<std::path::PathBuf>,
    /// What the referrer is asked to do (default: "No action needed").
    #[arg(long)]
    actions: Option<String>,
    /// The worker's brief summary (included only with the person's consent to share).
    #[arg(long)]
    summary: Option<String>,
    /// Record that the message was sent, by this route (secure_email, post, gp_system).
    #[arg(long)]
    mark_sent: Option<String>,
    /// The sent message this one corrects.
    #[arg(long)]
    replaces: Option<Uuid>,
}

pub fn run(cli: &Cli, args: &MessageArgs) -> Result<()> {
    let kind = message::parse_kind(&args.kind)?;
    let options = MessageOptions {
        actions_for_referrer: args.actions.clone(),
        summary: args.summary.clone(),
        replaces: args.replaces,
        written_on: None,
    };
    let mut store = crate::open(cli)?;
    let m = store.referrer_message_preview(kind, args.referral, &options)?;
    if let Some(path) = &args.pdf {
        let pdf = store.message_pdf(kind, args.referral, &options)?;
        // Personal data: readable by this account only, never over an existing file.
        if path.exists() {
            anyhow::bail!("{} already exists: choose another file", path.display());
        }
        linkwell_core::security::files::write_private(path, &pdf)
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!(
            "Wrote the letter ({} bytes) to {}",
            pdf.len(),
            path.display()
        );
    }
    if let Some(route) = &args.mark_sent {
        let sent = store.mark_message_sent(
            kind,
            args.referral,
            &options,
            &SentInput {
                route: Some(route.clone()),
                sent_at: None,
            },
        )?;
        eprintln!("Marked sent: message {} by {}", sent.id, sent.route.label());
    }
    if cli.json {
        return print_json(&message::prsb_record(&m));
    }
    if args.pdf.is_none() {
        outln!("{}", m.title);
        for s in message::sections(&m) {
            outln!("\n{}", s.heading);
            for r in s.rows {
                if r.label.is_empty() {
                    outln!("  {}", r.value);
                } else {
                    outln!("  {}: {}", r.label, r.value);
                }
            }
        }
    }
    Ok(())
}
