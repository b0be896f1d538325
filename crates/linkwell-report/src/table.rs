//! The evaluation as titled tables of text: what the screen shows and CSV holds, so both
//! carry the same cells (suppressed words included).

use crate::{Count, Evaluation, LabelledCount};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export, rename = "ReportTable")]
pub struct Table {
    /// A file-name-safe name, e.g. "funnel" (the CSV is `<name>.csv`).
    pub name: String,
    pub title: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// The cells withheld to protect small numbers, as [row, column]: the screen marks them
    /// and draws no bar for them.
    #[ts(type = "Array<[number, number]>")]
    pub withheld: Vec<[usize; 2]>,
    /// The last row is the total of the rows above it (a chart leaves it out).
    pub total_row: bool,
    /// Read beside the table.
    pub note: Option<String>,
}

/// The first cell of a total row.
const TOTAL: &str = "Total";

fn opt(v: Option<f64>, dp: usize) -> String {
    v.map_or_else(|| "not shown".to_string(), |x| format!("{x:.dp$}"))
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(String::new, |x| format!("{x:.1}%"))
}

fn t(name: &str, title: &str, columns: &[&str], rows: Vec<Vec<String>>) -> Table {
    let withheld = rows
        .iter()
        .enumerate()
        .flat_map(|(r, row)| {
            row.iter()
                .enumerate()
                .filter(|(_, cell)| crate::suppress::is_withheld(cell))
                .map(move |(c, _)| [r, c])
        })
        .collect();
    Table {
        name: name.into(),
        title: title.into(),
        columns: columns.iter().map(|c| c.to_string()).collect(),
        total_row: rows
            .last()
            .is_some_and(|r| r.first().is_some_and(|c| c == TOTAL)),
        rows,
        withheld,
        note: None,
    }
}

fn counted(rows: &[LabelledCount], total: &Count) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| vec![r.label.clone(), r.count.text()])
        .chain([vec![TOTAL.to_string(), total.text()]])
        .collect()
}

/// Every table of the pack, in the order the screen and the PDF show them.
pub fn tables(e: &Evaluation) -> Vec<Table> {
    let mut out = vec![
        noted(
            t(
                "funnel",
                "From referral to support",
                &["Step", "People", "Of those received"],
                e.funnel
                    .iter()
                    .map(|f| vec![f.label.clone(), f.count.text(), pct(f.percent)])
                    .collect(),
            ),
            "Referrals received in the period, and how many of them had reached each step by the data date. Contacted: the person was reached (spoke, booked or declined) or seen. First seen: a session attended. Active: a second session attended. Percentages are of those received.",
        ),
        noted(
            t(
                "referrals_by_source",
                "Referrals by source",
                &["Source", "Referrals"],
                counted(&e.by_source, &e.received_total),
            ),
            "Referrals received in the period, by who referred.",
        ),
        noted(
            t(
                "referrals_by_month",
                "Referrals by month",
                &["Month", "Referrals"],
                counted(&e.by_month, &e.received_total),
            ),
            "Referrals received in the period, by the calendar month they were received.",
        ),
        noted(
            t(
                "waits",
                "Waiting times (days)",
                &["From referral to", "People", "Median", "90th percentile"],
                e.waits
                    .iter()
                    .map(|w| {
                        vec![
                            w.label.clone(),
                            w.n.text(),
                            opt(w.median_days, 0),
                            opt(w.p90_days, 0),
                        ]
                    })
                    .collect(),
            ),
            "Days from receiving a referral (received in the period) to first contact, and to the first session attended, for those who got there by the data date. Median: half waited less; 90th percentile: nine in ten waited less.",
        ),
        noted(
            t(
                "caseload",
                "Caseload per worker",
                &[
                    "Worker",
                    "People in the period",
                    "Per year",
                    "Guidance per year",
                    "Sessions per person",
                ],
                e.caseload
                    .iter()
                    .map(|c| {
                        vec![
                            c.worker.clone(),
                            c.people.text(),
                            opt(c.per_year, 0),
                            c.guidance_per_year.to_string(),
                            opt(c.sessions_per_person, 1),
                        ]
                    })
                    .collect(),
            ),
            "People whose episode with the worker was open at some time in the period; per year scales that to 365 days (guidance: about 250 a year). Sessions per person: attended sessions in the period, per person (guidance: 6 to 12 contacts).",
        ),
        noted(
            t(
                "closing_reasons",
                "Reasons for closing",
                &["Reason", "Episodes closed"],
                counted(&e.closing_reasons, &e.closed_total),
            ),
            "Episodes closed in the period, by the reason recorded.",
        ),
        noted(
            t(
                "did_not_attend",
                "Did not attend",
                &["Attended", "Did not attend", "Did-not-attend rate"],
                vec![vec![
                    e.dna.attended.text(),
                    e.dna.did_not_attend.text(),
                    pct(e.dna.rate_percent),
                ]],
            ),
            "Sessions dated in the period that were attended or not attended (booked and cancelled sessions are neither); the rate is those not attended, of both.",
        ),
        noted(
            t(
                "follow_ups",
                "Follow-ups due in the period",
                &[
                    "Time point",
                    "Due",
                    "Recorded",
                    "Completion",
                    "Declined",
                    "Could not be done",
                    "Consent withdrawn",
                    "Overdue",
                    "Not yet due",
                ],
                e.follow_ups
                    .iter()
                    .map(|f| {
                        vec![
                            f.time_point.label().to_string(),
                            f.due.text(),
                            f.recorded.text(),
                            pct(f.completion_percent),
                            f.declined.text(),
                            f.could_not_be_done.text(),
                            f.contact_withdrawn.text(),
                            f.overdue.text(),
                            f.not_yet_due.text(),
                        ]
                    })
                    .collect(),
            ),
            "T1 and T2 follow-ups whose due date is in the period (months after each person's baseline, by the organisation's schedule), and where each stands on the data date: recorded, declined, could not be done, consent to contact withdrawn, overdue, or not yet due. Completion is recorded, of those due.",
        ),
    ];
    out.push(paired_table(e));
    out.push(take_up_table(e));
    out
}

fn take_up_table(e: &Evaluation) -> Table {
    let row = |r: &crate::TakeUpRow| {
        vec![
            r.label.clone(),
            r.referred.text(),
            r.enrolled.text(),
            r.engaged.text(),
            r.adhered.text(),
            r.too_soon.text(),
        ]
    };
    noted(
        t(
            "onward_take_up",
            "Onward referrals: enrol, engage, adhere",
            &[
                "Category of group",
                "Referred onward",
                "Enrolled (agreed)",
                "Engaged (first session)",
                "Adhered (still attending at 8 weeks)",
                "Not yet 8 weeks",
            ],
            e.take_up
                .iter()
                .map(row)
                .chain([row(&e.take_up_total)])
                .collect(),
        ),
        "Onward referrals made in the period, by the main category of the group, and where each stood on the data date. Enrolled: the person agreed to go (or went). Engaged: they came to a first session. Adhered: they attended a session 8 weeks (56 days) or more after their first; those whose first session was less than 8 weeks before the data date cannot have adhered yet and are counted under Not yet 8 weeks.",
    )
}

fn paired_table(e: &Evaluation) -> Table {
    let mut table = t(
        "outcomes_paired",
        "Outcome change (paired people only)",
        &[
            "Instrument",
            "Item",
            "From",
            "To",
            "n from",
            "n to",
            "n paired",
            "Mean from",
            "Mean to",
            "Mean change",
            "95% CI low",
            "95% CI high",
            "Improved",
            "Same",
            "Worse",
        ],
        e.paired
            .iter()
            .map(|p| {
                vec![
                    p.instrument_label.clone(),
                    p.item_label.clone().unwrap_or_else(|| "Score".into()),
                    p.from.as_str().to_uppercase(),
                    p.to.as_str().to_uppercase(),
                    p.n_from.text(),
                    p.n_to.text(),
                    p.n_paired.text(),
                    opt(p.mean_from, 2),
                    opt(p.mean_to, 2),
                    opt(p.mean_change, 2),
                    opt(p.ci95.map(|c| c[0]), 2),
                    opt(p.ci95.map(|c| c[1]), 2),
                    p.improved.text(),
                    p.same.text(),
                    p.worse.text(),
                ]
            })
            .collect(),
    );
    table.note = Some("Only people measured at both time points are compared; the means are theirs. For anxiety a fall is an improvement.".into());
    table
}

/// A table as CSV: UTF-8 with a byte-order mark (so Excel reads it as UTF-8), a header row,
/// CRLF line ends, and fields quoted where they hold a comma, quote or line break.
pub fn to_csv(table: &Table) -> String {
    let field = |s: &str| {
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    };
    let line = |cells: &[String]| cells.iter().map(|c| field(c)).collect::<Vec<_>>().join(",");
    let mut out = String::from("\u{feff}");
    out.push_str(&line(&table.columns));
    out.push_str("\r\n");
    for r in &table.rows {
        out.push_str(&line(r));
        out.push_str("\r\n");
    }
    out
}

/// A table with how its figures are counted (shown under it on screen and in the pack).
fn noted(mut table: Table, note: &str) -> Table {
    table.note = Some(note.to_string());
    table
}
