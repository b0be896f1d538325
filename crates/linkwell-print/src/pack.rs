//! The evaluation pack: a report's tables, caveats and method notes on A4 pages, with the
//! scope, period and data date on every page. The tables arrive as text cells already
//! suppressed (linkwell-report): this crate only lays them out, and has no names to print.

use serde::{Deserialize, Serialize};

use crate::PrintError;
use crate::fonts::fonts;
use crate::layout::{Composer, Document, FooterInfo};
use crate::model::{PrintOptions, long_date};
use chrono::NaiveDate;

/// Everything printed in a report pack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportPack {
    /// E.g. "Evaluation pack".
    pub title: String,
    /// E.g. "My team".
    pub scope: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The day the data is as of.
    pub data_on: NaiveDate,
    /// Read first, on the first page (small-number suppression, pairing, no comparison group).
    pub caveats: Vec<String>,
    pub tables: Vec<PackTable>,
}

/// One table of figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackTable {
    pub title: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// How the figures were worked out, printed under the table.
    pub note: Option<String>,
}

/// Lays out a report pack. `opts.printed_on` and `large_print` apply.
pub fn layout_report_pack(pack: &ReportPack, opts: &PrintOptions) -> Result<Document, PrintError> {
    if pack.tables.is_empty() {
        return Err(PrintError::NothingToPrint(
            "the report has no tables".into(),
        ));
    }
    let fonts = fonts()?;
    let footer = FooterInfo {
        printed_on: Some(opts.printed_on),
        review_on: None,
        service_name: format!("Data as of {}", long_date(pack.data_on)),
        checked_on: None,
    };
    let header = format!(
        "{}, {} to {}",
        pack.scope,
        long_date(pack.from),
        long_date(pack.to)
    );
    let mut c = Composer::new(fonts, opts.large_print, Some(header), footer);
    let st = c.style;
    c.begin_section(None, &pack.title);
    c.heading(&pack.title, st.h1, c.body_line());
    c.para(&format!(
        "{}. Period: {} to {}, both days included. Data as of {}.",
        pack.scope,
        long_date(pack.from),
        long_date(pack.to),
        long_date(pack.data_on)
    ));
    c.para("No person is named in this pack: every figure is a count, a share or an average.");
    if !pack.caveats.is_empty() {
        c.heading("Read this first", st.h2, c.body_line());
        for caveat in &pack.caveats {
            c.bullet(caveat, st.body, 0.0);
        }
    }
    for t in &pack.tables {
        c.set_context(Some(t.title.clone()));
        c.heading(&t.title, st.h2, 3.0 * c.body_line());
        c.table(&t.columns, &t.rows);
        if let Some(note) = t.note.as_deref().filter(|n| !n.trim().is_empty()) {
            let small = c.table_style(false);
            c.text(&format!("How this is counted: {note}"), small, 0.0);
            c.gap(st.gap);
        }
        c.set_context(None);
    }
    Ok(c.into_document(format!("{} — {}", pack.title, pack.scope), opts.large_print))
}

/// Lays out and renders a report pack in one call.
pub fn report_pack_pdf(pack: &ReportPack, opts: &PrintOptions) -> Result<Vec<u8>, PrintError> {
    crate::render_pdf(&layout_report_pack(pack, opts)?, opts)
}
