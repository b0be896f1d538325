//! `linkwell report NAME --from DATE --to DATE [--json | --csv DIR | --pdf FILE]`: the figures the Reports
//! screen shows, for scripts. Every figure and every check is the core's (read::report).

use crate::{Cli, print_json};
use anyhow::{Context, Result};
use linkwell_core::read::report::{self, ReportRequest};

#[derive(clap::Args)]
pub struct ReportArgs {
    /// The report: evaluation.
    name: String,
    /// The first day of the period (YYYY-MM-DD).
    #[arg(long)]
    from: String,
    /// The last day of the period (YYYY-MM-DD).
    #[arg(long)]
    to: String,
    /// my_team (small numbers suppressed) or my_caseload (yours, every number).
    #[arg(long, default_value = "my_team")]
    scope: String,
    /// Write every table as a CSV file into this folder.
    #[arg(long, conflicts_with = "pdf")]
    csv: Option<std::path::PathBuf>,
    /// Write the evaluation pack (every table, its caveats and method notes) as a PDF file.
    #[arg(long)]
    pdf: Option<std::path::PathBuf>,
}

pub fn run(cli: &Cli, args: &ReportArgs) -> Result<()> {
    let req = ReportRequest {
        name: args.name.clone(),
        scope: args.scope.clone(),
        from: args.from.clone(),
        to: args.to.clone(),
        on: None,
    };
    let store = crate::open(cli)?;
    let answer = report::report(store.conn(), store.actor()?.worker_id, &req)?;
    if let Some(path) = &args.pdf {
        let pdf = report::pack_pdf(&answer, linkwell_core::store::today())?;
        linkwell_core::security::files::write_private(path, &pdf)
            .with_context(|| format!("writing {}", path.display()))?;
        outln!(
            "Wrote the evaluation pack ({} bytes) to {}",
            pdf.len(),
            path.display()
        );
        return Ok(());
    }
    if let Some(dir) = &args.csv {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        for t in &answer.tables {
            let path = dir.join(format!("{}.csv", t.name));
            std::fs::write(&path, report::to_csv(t))
                .with_context(|| format!("writing {}", path.display()))?;
        }
        outln!("Wrote {} tables to {}", answer.tables.len(), dir.display());
        return Ok(());
    }
    if cli.json {
        return print_json(&answer.evaluation);
    }
    let e = &answer.evaluation;
    outln!(
        "{} — {} to {} (data as of {})",
        e.scope_label,
        e.period.from,
        e.period.to,
        e.data_date
    );
    for t in &answer.tables {
        outln!("\n{}\n  {}", t.title, t.columns.join(" | "));
        for r in &t.rows {
            outln!("  {}", r.join(" | "));
        }
    }
    outln!();
    for c in &e.caveats {
        outln!("Note: {c}");
    }
    Ok(())
}
