//! Reports on this laptop: reads the store's records (as the wire holds them) and hands them
//! to linkwell-report's one mapping into plain facts (people and workers as small keys; no
//! names of people, no free text), which the server's reports use too, so the laptop and the
//! server cannot disagree. "My caseload" is the episodes this worker holds; "my team" is
//! everything on the laptop (a supervisor's laptop holds the team's synced data).

use crate::error::{CoreError, Result};
use crate::store;
use chrono::NaiveDate;
use linkwell_protocol::EntityKind;
use linkwell_protocol::registry::{self, ColType};
use linkwell_report::records::Records;
use linkwell_report::{DEFAULT_THRESHOLD, Evaluation, Period, ReportInput, Scope};
use rusqlite::Connection;
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

pub use linkwell_report::{Table, to_csv};

/// What the Reports screen and `linkwell report` ask for.
#[derive(Debug, Clone, Deserialize, ts_rs::TS)]
#[ts(export, optional_fields = nullable)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    /// evaluation (the only report so far).
    pub name: String,
    /// my_caseload or my_team.
    pub scope: String,
    /// The first day, as typed (01/04/2026 or 2026-04-01).
    pub from: String,
    /// The last day, both included.
    pub to: String,
    /// The day the data is as of; defaults to today.
    pub on: Option<NaiveDate>,
}

/// The reports there are.
pub const REPORTS: &[&str] = &["evaluation"];

/// Checks a request's report name, scope and period, naming what is wrong.
pub fn check(req: &ReportRequest) -> Result<(Scope, Period)> {
    if !REPORTS.contains(&req.name.as_str()) {
        return Err(CoreError::invalid(
            "name",
            format!(
                "There is no report called \"{}\". Reports: {}.",
                req.name,
                REPORTS.join(", ")
            ),
        ));
    }
    let scope = match req.scope.as_str() {
        "my_caseload" => Scope::MyCaseload,
        "my_team" => Scope::MyTeam,
        other => {
            return Err(CoreError::invalid(
                "scope",
                format!(
                    "\"{other}\" is not a scope on this laptop: choose my_caseload or my_team."
                ),
            ));
        }
    };
    let mut c = crate::domain::validate::Checker::new();
    let from = c.date("from", "The first day of the period", &req.from);
    let to = c.date("to", "The last day of the period", &req.to);
    c.finish()?;
    let (Some(from), Some(to)) = (from, to) else {
        return Err(CoreError::invalid(
            "from",
            "The period needs a first and a last day.",
        ));
    };
    let period = Period::new(from, to).map_err(|e| CoreError::invalid("to", e.to_string()))?;
    Ok((scope, period))
}

/// The evaluation pack for `worker`'s caseload or the laptop's team.
pub fn evaluation(conn: &Connection, worker: Uuid, req: &ReportRequest) -> Result<Evaluation> {
    let (scope, period) = check(req)?;
    let on = req.on.unwrap_or_else(crate::store::today);
    let input = read_input(conn, worker, scope, period, on)?;
    Ok(linkwell_report::evaluation(&input, DEFAULT_THRESHOLD))
}

/// Reads the facts of `scope` from the store: its records, as the wire holds them, through
/// the one mapping the server uses too (`linkwell_report::records`).
pub fn read_input(
    conn: &Connection,
    worker: Uuid,
    scope: Scope,
    period: Period,
    on: NaiveDate,
) -> Result<ReportInput> {
    let records = read_records(conn)?;
    let only = (scope == Scope::MyCaseload).then(|| worker.to_string());
    Ok(linkwell_report::records::input(
        &records,
        scope,
        period,
        on,
        only.as_deref(),
    ))
}

/// Every record of the kinds a report reads, only the fields it reads.
pub fn read_records(conn: &Connection) -> Result<Records> {
    let mut out = Records::default();
    for (kind, fields) in linkwell_report::records::READS {
        let Some(entity) = EntityKind::parse(kind) else {
            continue;
        };
        let table = registry::table(entity);
        let cols: Vec<(&str, ColType)> = fields
            .iter()
            .filter_map(|f| table.col(f).map(|t| (*f, t)))
            .collect();
        let names: Vec<&str> = cols.iter().map(|(n, _)| *n).collect();
        let sql = format!("SELECT id, {} FROM {}", names.join(", "), table.name);
        let mut stmt = conn.prepare(&sql)?;
        let mut rows = stmt.query([])?;
        let list = out.of_kind(kind).ok_or_else(|| {
            CoreError::Corrupt(format!("the report reads {kind}, which it cannot hold"))
        })?;
        while let Some(row) = rows.next()? {
            let mut m = serde_json::Map::new();
            m.insert("id".into(), Value::String(row.get(0)?));
            for (i, (name, ty)) in cols.iter().enumerate() {
                m.insert(
                    (*name).to_string(),
                    store::from_sql(*ty, row.get_ref(i + 1)?)?,
                );
            }
            list.push(m);
        }
    }
    Ok(out)
}

/// The Reports screen's answer: the figures, and the same figures as titled tables (what
/// the screen shows and the CSV download holds).
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ReportAnswer {
    pub evaluation: Evaluation,
    pub tables: Vec<linkwell_report::Table>,
    /// Each table as CSV, in the same order (what "Download CSV" saves and `--csv` writes).
    pub csv: Vec<String>,
}

/// The report a request names, with its tables.
pub fn report(conn: &Connection, worker: Uuid, req: &ReportRequest) -> Result<ReportAnswer> {
    let evaluation = evaluation(conn, worker, req)?;
    let tables = linkwell_report::tables(&evaluation);
    let csv = tables.iter().map(to_csv).collect();
    Ok(ReportAnswer {
        evaluation,
        tables,
        csv,
    })
}

/// The answer as the evaluation pack's printable model: every table with its method note,
/// and the caveats first. Nothing in it names a person.
pub fn pack(answer: &ReportAnswer) -> linkwell_print::ReportPack {
    let e = &answer.evaluation;
    linkwell_print::ReportPack {
        title: "Evaluation pack".into(),
        scope: e.scope_label.clone(),
        from: e.period.from,
        to: e.period.to,
        data_on: e.data_date,
        caveats: e.caveats.clone(),
        tables: answer
            .tables
            .iter()
            .map(|t| linkwell_print::PackTable {
                title: t.title.clone(),
                columns: t.columns.clone(),
                rows: t.rows.clone(),
                note: t.note.clone(),
            })
            .collect(),
    }
}

/// The evaluation pack as PDF bytes (A4; scope, period and data date on every page).
pub fn pack_pdf(answer: &ReportAnswer, printed_on: NaiveDate) -> Result<Vec<u8>> {
    let opts = linkwell_print::PrintOptions::new(printed_on);
    Ok(linkwell_print::report_pack_pdf(&pack(answer), &opts)?)
}

/// "evaluation-my_team-2026-04-01-to-2027-03-31": what the pack's file is called.
pub fn pack_file_stem(answer: &ReportAnswer) -> String {
    let e = &answer.evaluation;
    let scope = serde_json::to_value(e.scope)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    format!("evaluation-{scope}-{}-to-{}", e.period.from, e.period.to)
}
