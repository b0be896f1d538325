//! The service figures: the funnel, referrals by source and month, waits, caseload per
//! worker, closing reasons, did-not-attend, follow-up completion. The cohort of the funnel,
//! the sources and the waits is the referrals received in the period.

use crate::stats::{median, p90};
use crate::suppress::{Count, Suppression};
use crate::{FollowUpOutcome, ReportInput};
use chrono::{Datelike, NaiveDate};
use linkwell_domain::vocabulary::{Attendance, ClosingReason, ReferralSource, TimePoint};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The guidance: a full-time link worker supports about 250 people a year (NHS England).
pub const CASELOAD_GUIDANCE: u32 = 250;

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct FunnelStep {
    /// received, contacted, first_seen, active, closed.
    pub step: String,
    pub label: String,
    pub count: Count,
    /// Of those received; null when the count or the base is not shown.
    pub percent: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct LabelledCount {
    pub code: String,
    pub label: String,
    pub count: Count,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Wait {
    pub label: String,
    pub n: Count,
    pub median_days: Option<f64>,
    pub p90_days: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct WorkerCaseload {
    pub worker: String,
    /// People with an episode of this worker's open at some time in the period.
    pub people: Count,
    /// `people` scaled to a year, to compare with the guidance.
    pub per_year: Option<f64>,
    pub guidance_per_year: u32,
    /// Attended sessions in the period per person (guidance: 6 to 12 contacts).
    pub sessions_per_person: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Dna {
    pub attended: Count,
    pub did_not_attend: Count,
    /// Did not attend, as a share of attended + did not attend.
    pub rate_percent: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct FollowUpRow {
    pub time_point: TimePoint,
    /// Follow-ups whose due date is in the period.
    pub due: Count,
    pub recorded: Count,
    pub declined: Count,
    pub could_not_be_done: Count,
    pub contact_withdrawn: Count,
    /// Open, and due before the data date.
    pub overdue: Count,
    /// Open, and due on or after the data date.
    pub not_yet_due: Count,
    /// Recorded, as a share of those due.
    pub completion_percent: Option<f64>,
}

fn pct(part: &Count, base: &Count) -> Option<f64> {
    match (part.value(), base.value()) {
        (Some(p), Some(b)) if b > 0 => Some((p as f64 * 1000.0 / b as f64).round() / 10.0),
        _ => None,
    }
}

fn cohort(input: &ReportInput) -> impl Iterator<Item = (usize, &crate::ReferralFact)> {
    input
        .referrals
        .iter()
        .enumerate()
        .filter(|(_, r)| input.period.contains(r.received_on))
}

/// Each referral's attended session dates, oldest first.
fn attended(input: &ReportInput) -> BTreeMap<usize, Vec<NaiveDate>> {
    let mut m: BTreeMap<usize, Vec<NaiveDate>> = BTreeMap::new();
    for s in &input.sessions {
        if let (Some(r), Attendance::Attended) = (s.referral, s.attendance) {
            m.entry(r).or_default().push(s.on);
        }
    }
    m.values_mut().for_each(|v| v.sort());
    m
}

/// received → contacted (reached) → first seen (a session attended) → active (came again
/// after the first session) → closed. Each step counts the referrals received in the period
/// that reached it by the data date; each percentage is of those received.
pub fn funnel(input: &ReportInput, s: &Suppression) -> Vec<FunnelStep> {
    let seen = attended(input);
    let mut n = [0u64; 5];
    for (i, r) in cohort(input) {
        let visits = seen.get(&i).map_or(0, Vec::len);
        let steps = [
            true,
            r.first_contact_on.is_some(),
            visits >= 1,
            visits >= 2,
            r.closed_on.is_some(),
        ];
        for (k, reached) in steps.iter().enumerate() {
            n[k] += u64::from(*reached);
        }
    }
    let names = [
        ("received", "Referrals received"),
        ("contacted", "Contacted"),
        ("first_seen", "First seen"),
        ("active", "Active (came again)"),
        ("closed", "Closed"),
    ];
    let base = s.count(n[0]);
    names
        .iter()
        .zip(n)
        .map(|((step, label), k)| {
            let count = s.count(k);
            FunnelStep {
                step: step.to_string(),
                label: label.to_string(),
                percent: pct(&count, &base),
                count,
            }
        })
        .collect()
}

fn labelled(rows: Vec<(String, String, u64)>, s: &Suppression) -> (Vec<LabelledCount>, Count) {
    let cells: Vec<u64> = rows.iter().map(|r| r.2).collect();
    let total = s.count(cells.iter().sum());
    let shown = s.group(&cells);
    let out = rows
        .into_iter()
        .zip(shown)
        .map(|((code, label, _), count)| LabelledCount { code, label, count })
        .collect();
    (out, total)
}

/// Referrals received in the period by source (every source, in the vocabulary's order) and
/// by calendar month, and their total.
pub fn referrals(
    input: &ReportInput,
    s: &Suppression,
) -> (Vec<LabelledCount>, Vec<LabelledCount>, Count) {
    let sources = ReferralSource::ALL
        .iter()
        .map(|src| {
            let n = cohort(input).filter(|(_, r)| r.source == *src).count() as u64;
            (src.as_str().to_string(), src.label().to_string(), n)
        })
        .collect();
    let mut months: BTreeMap<(i32, u32), u64> = BTreeMap::new();
    let (mut y, mut m) = (input.period.from.year(), input.period.from.month());
    while (y, m) <= (input.period.to.year(), input.period.to.month()) {
        months.insert((y, m), 0);
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
    for (_, r) in cohort(input) {
        *months
            .entry((r.received_on.year(), r.received_on.month()))
            .or_default() += 1;
    }
    let months = months
        .into_iter()
        .map(|((y, m), n)| {
            let label = NaiveDate::from_ymd_opt(y, m, 1)
                .map_or(String::new(), |d| d.format("%B %Y").to_string());
            (format!("{y:04}-{m:02}"), label, n)
        })
        .collect();
    let (by_source, total) = labelled(sources, s);
    let (by_month, _) = labelled(months, s);
    (by_source, by_month, total)
}

/// Days from referral to first contact, and to the first attended session, for the
/// referrals received in the period that got there.
pub fn waits(input: &ReportInput, s: &Suppression) -> Vec<Wait> {
    let seen = attended(input);
    let mut contact = Vec::new();
    let mut session = Vec::new();
    for (i, r) in cohort(input) {
        if let Some(c) = r.first_contact_on {
            contact.push((c - r.received_on).num_days() as f64);
        }
        if let Some(first) = seen.get(&i).and_then(|v| v.first()) {
            session.push((*first - r.received_on).num_days() as f64);
        }
    }
    [
        ("Referral to first contact", contact),
        ("Referral to first session", session),
    ]
    .into_iter()
    .map(|(label, days)| {
        let n = days.len() as u64;
        Wait {
            label: label.to_string(),
            n: s.count(n),
            median_days: s.over(n, median(&days)),
            p90_days: s.over(n, p90(&days)),
        }
    })
    .collect()
}

/// Per worker: the people whose episode with them was open at some time in the period, that
/// number scaled to a year (× 365 / days in the period), and attended sessions per person.
pub fn caseload(input: &ReportInput, s: &Suppression) -> Vec<WorkerCaseload> {
    let p = input.period;
    let seen = attended(input);
    let mut rows = Vec::new();
    for (w, worker) in input.workers.iter().enumerate() {
        let mut people = BTreeSet::new();
        let mut sessions = 0u64;
        for (i, r) in input.referrals.iter().enumerate() {
            let open = r.received_on <= p.to && r.closed_on.is_none_or(|c| c >= p.from);
            if r.worker == Some(w as u32) && open {
                people.insert(r.person);
                let dates = seen.get(&i).map_or(&[][..], Vec::as_slice);
                sessions += dates.iter().filter(|d| p.contains(**d)).count() as u64;
            }
        }
        let n = people.len() as u64;
        let per_year = (n as f64 * 365.0 / p.days() as f64).round();
        let per_person = (n > 0).then(|| (sessions as f64 * 10.0 / n as f64).round() / 10.0);
        rows.push(WorkerCaseload {
            worker: worker.label.clone(),
            people: s.count(n),
            per_year: s.over(n, Some(per_year)),
            guidance_per_year: CASELOAD_GUIDANCE,
            sessions_per_person: s.over(n, per_person),
        });
    }
    rows
}

/// Episodes closed in the period, by reason (every reason; "Not recorded" when some lack one).
pub fn closing(input: &ReportInput, s: &Suppression) -> (Vec<LabelledCount>, Count) {
    let closed: Vec<_> = input
        .referrals
        .iter()
        .filter(|r| r.closed_on.is_some_and(|c| input.period.contains(c)))
        .collect();
    let mut rows: Vec<(String, String, u64)> = ClosingReason::ALL
        .iter()
        .map(|c| {
            let n = closed
                .iter()
                .filter(|r| r.closing_reason == Some(*c))
                .count();
            (c.as_str().to_string(), c.label().to_string(), n as u64)
        })
        .collect();
    let none = closed.iter().filter(|r| r.closing_reason.is_none()).count() as u64;
    if none > 0 {
        rows.push(("not_recorded".into(), "Not recorded".into(), none));
    }
    labelled(rows, s)
}

/// Sessions in the period that were attended or not attended (booked and cancelled ones are
/// neither), and the share not attended.
pub fn dna(input: &ReportInput, s: &Suppression) -> Dna {
    let of = |a: Attendance| {
        input
            .sessions
            .iter()
            .filter(|x| x.attendance == a && input.period.contains(x.on))
            .count() as u64
    };
    let cells = s.group(&[of(Attendance::Attended), of(Attendance::DidNotAttend)]);
    let base = match (cells[0].value(), cells[1].value()) {
        (Some(a), Some(d)) => Count::Shown(a + d),
        _ => Count::Hidden(String::new()),
    };
    Dna {
        rate_percent: pct(&cells[1], &base),
        attended: cells[0].clone(),
        did_not_attend: cells[1].clone(),
    }
}

/// T1 and T2 follow-ups due in the period: how many were recorded, and why the rest were not.
pub fn follow_ups(input: &ReportInput, s: &Suppression) -> Vec<FollowUpRow> {
    [TimePoint::T1, TimePoint::T2]
        .into_iter()
        .map(|tp| {
            let due: Vec<_> = input
                .follow_ups
                .iter()
                .filter(|f| f.time_point == tp && input.period.contains(f.due_on))
                .collect();
            let of = |o: FollowUpOutcome| due.iter().filter(|f| f.outcome == o).count() as u64;
            let open = |late: bool| {
                due.iter()
                    .filter(|f| {
                        f.outcome == FollowUpOutcome::Open && (f.due_on < input.data_date) == late
                    })
                    .count() as u64
            };
            let c = s.group(&[
                of(FollowUpOutcome::Recorded),
                of(FollowUpOutcome::Declined),
                of(FollowUpOutcome::NotPossible),
                of(FollowUpOutcome::ContactWithdrawn),
                open(true),
                open(false),
            ]);
            let due = s.count(due.len() as u64);
            FollowUpRow {
                time_point: tp,
                completion_percent: pct(&c[0], &due),
                due,
                recorded: c[0].clone(),
                declined: c[1].clone(),
                could_not_be_done: c[2].clone(),
                contact_withdrawn: c[3].clone(),
                overdue: c[4].clone(),
                not_yet_due: c[5].clone(),
            }
        })
        .collect()
}
