//! Team and evaluation figures: plain facts in, suppressed tables out.
//!
//! A pure crate (no database, files or network), like linkwell-print: whoever holds the data
//! — a worker's laptop (`linkwell_core::read::report`), or a server from its own stream —
//! turns it into a [`ReportInput`] of anonymous facts (people and workers are small keys, no
//! names or free text) — both through [`records::input`], the one mapping from records as the
//! wire holds them — and [`evaluation`] computes every figure once. Every figure's
//! definition is written beside it; [`tables`] turns the answer into titled tables for the
//! screen and CSV.

mod figures;
mod outcomes;
pub mod records;
pub mod stats;
mod suppress;
mod table;
mod take_up;

pub use figures::{Dna, FollowUpRow, FunnelStep, LabelledCount, Wait, WorkerCaseload};
pub use outcomes::{PairedComparison, item_names};
pub use suppress::{Count, DEFAULT_THRESHOLD, SECONDARY, Suppression};
pub use table::{Table, tables, to_csv};
pub use take_up::{OnwardFact, TakeUpRow};

use chrono::NaiveDate;
use linkwell_domain::vocabulary::{
    Attendance, ClosingReason, Instrument, ReferralSource, TimePoint,
};
use serde::Serialize;

/// A person, as a key the reader assigns (never an id that leaves the device).
pub type PersonKey = u32;
/// A worker, as a key into [`ReportInput::workers`].
pub type WorkerKey = u32;

/// Why a report could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error(
        "The period ends ({to}) before it starts ({from}): the end date must be on or after the start date."
    )]
    PeriodBackwards { from: NaiveDate, to: NaiveDate },
}

/// The period a report covers, both days included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export, rename = "ReportPeriod")]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Period, ReportError> {
        if to < from {
            return Err(ReportError::PeriodBackwards { from, to });
        }
        Ok(Period { from, to })
    }

    pub fn contains(&self, d: NaiveDate) -> bool {
        self.from <= d && d <= self.to
    }

    /// Days covered, both ends included.
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }
}

/// Whose data a report covers. Only a worker's own caseload is shown unsuppressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, rename = "ReportScope")]
pub enum Scope {
    MyCaseload,
    MyTeam,
    Organisation,
}

impl Scope {
    pub fn label(self) -> &'static str {
        match self {
            Scope::MyCaseload => "My caseload",
            Scope::MyTeam => "My team",
            Scope::Organisation => "The organisation",
        }
    }

    /// The rule for this scope: none for the worker's own caseload, else below `threshold`.
    pub fn suppression(self, threshold: u64) -> Suppression {
        match self {
            Scope::MyCaseload => Suppression::NONE,
            _ => Suppression::below(threshold),
        }
    }
}

/// A worker whose caseload is reported (the label is what the table shows).
#[derive(Debug, Clone, PartialEq)]
pub struct WorkerFact {
    pub label: String,
}

/// One referral and the episode that followed it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferralFact {
    pub person: PersonKey,
    pub source: ReferralSource,
    pub received_on: NaiveDate,
    /// The episode's worker (None: no episode yet).
    pub worker: Option<WorkerKey>,
    /// The day the person was first reached (spoke, booked, declined) or first seen.
    pub first_contact_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    pub closing_reason: Option<ClosingReason>,
}

/// One session. `referral` indexes [`ReportInput::referrals`] (None: not in an episode).
#[derive(Debug, Clone, PartialEq)]
pub struct SessionFact {
    pub person: PersonKey,
    pub referral: Option<usize>,
    pub on: NaiveDate,
    pub attendance: Attendance,
}

/// One measure: its score, or its item answers in stored order.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasureFact {
    pub person: PersonKey,
    pub instrument: Instrument,
    pub time_point: TimePoint,
    pub taken_on: NaiveDate,
    pub score: Option<f64>,
    pub items: Vec<i64>,
}

/// Where one follow-up (a T1 or T2 of a person) stands, as the core's follow-up rule says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUpOutcome {
    Recorded,
    Declined,
    NotPossible,
    ContactWithdrawn,
    /// Still open on the data date.
    Open,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FollowUpFact {
    pub person: PersonKey,
    pub time_point: TimePoint,
    pub due_on: NaiveDate,
    pub outcome: FollowUpOutcome,
}

/// Everything a report is computed from.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportInput {
    pub scope: Scope,
    pub period: Period,
    /// The day the data is as of (what is overdue, not yet due, waiting).
    pub data_date: NaiveDate,
    pub workers: Vec<WorkerFact>,
    pub referrals: Vec<ReferralFact>,
    pub sessions: Vec<SessionFact>,
    pub measures: Vec<MeasureFact>,
    pub follow_ups: Vec<FollowUpFact>,
    /// Onward referrals to groups, and the sessions attended there.
    pub onward: Vec<OnwardFact>,
}

/// The evaluation pack's figures.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Evaluation {
    pub scope: Scope,
    pub scope_label: String,
    pub period: Period,
    pub data_date: NaiveDate,
    /// Counts below this are not shown; null: every number is shown (own caseload).
    #[ts(type = "number | null")]
    pub suppression_threshold: Option<u64>,
    pub funnel: Vec<FunnelStep>,
    pub by_source: Vec<LabelledCount>,
    pub by_month: Vec<LabelledCount>,
    pub received_total: Count,
    pub waits: Vec<Wait>,
    pub caseload: Vec<WorkerCaseload>,
    pub closing_reasons: Vec<LabelledCount>,
    pub closed_total: Count,
    pub dna: Dna,
    pub follow_ups: Vec<FollowUpRow>,
    pub paired: Vec<PairedComparison>,
    /// Onward referrals made in the period by the group's category: enrolled, engaged, adhered.
    pub take_up: Vec<TakeUpRow>,
    pub take_up_total: TakeUpRow,
    /// What the reader must know beside the figures.
    pub caveats: Vec<String>,
}

/// Computes the evaluation pack over `input`, suppressing below `threshold` unless the
/// scope is the worker's own caseload.
pub fn evaluation(input: &ReportInput, threshold: u64) -> Evaluation {
    let s = input.scope.suppression(threshold);
    let (by_source, by_month, received_total) = figures::referrals(input, &s);
    let (closing_reasons, closed_total) = figures::closing(input, &s);
    let (take_up, take_up_total) = take_up::take_up(input, &s);
    Evaluation {
        scope: input.scope,
        scope_label: input.scope.label().to_string(),
        period: input.period,
        data_date: input.data_date,
        suppression_threshold: s.threshold,
        funnel: figures::funnel(input, &s),
        by_source,
        by_month,
        received_total,
        waits: figures::waits(input, &s),
        caseload: figures::caseload(input, &s),
        closing_reasons,
        closed_total,
        dna: figures::dna(input, &s),
        follow_ups: figures::follow_ups(input, &s),
        paired: outcomes::paired(input, &s),
        take_up,
        take_up_total,
        caveats: caveats(&s),
    }
}

fn caveats(s: &Suppression) -> Vec<String> {
    let mut c = vec![
        "Only people measured at both time points (paired) enter a change figure; the means beside each change are those paired people's.".to_string(),
        "There is no comparison group: a change is not proof that the service caused it (regression to the mean, self-report).".to_string(),
        "The funnel, sources, waits and closing reasons count referrals received in the period; outcomes count measures taken in the period.".to_string(),
    ];
    if let Some(t) = s.threshold {
        c.push(format!("Counts from 1 to {} are shown as \"fewer than {t}\", and another cell is hidden (\"{SECONDARY}\") where a total would reveal them; means over fewer than {t} people are not shown.", t - 1));
    }
    c
}
