//! "What's missing" on the person page: the gaps an evaluation later regrets (no baseline, a
//! follow-up due, no consent to evaluation, a plan not reviewed for three months), listed so a
//! worker can close them in the session with the person there. Follow-ups come from the same
//! rule as Today ([`crate::records::follow_ups`]).

use crate::domain::vocabulary::{ConsentKind, TimePoint};
use crate::records::follow_ups::{FollowUpDue, FollowUpState};
use crate::records::measures::Measure;
use crate::records::people::Consent;
use crate::records::plans::WellbeingPlan;
use chrono::{Months, NaiveDate};
use serde::Serialize;

/// One gap in a person's record.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Gap {
    /// no_baseline, follow_up_due, no_evaluation_consent, plan_review.
    pub code: String,
    /// In a link worker's words.
    pub words: String,
    /// The page section where it is put right.
    pub section: String,
}

fn gap(code: &str, words: String, section: &str) -> Gap {
    Gap {
        code: code.to_string(),
        words,
        section: section.to_string(),
    }
}

/// What the person page knows that the gaps are read from.
pub struct Facts<'a> {
    pub measures: &'a [Measure],
    pub follow_ups: &'a [FollowUpDue],
    pub consents: &'a [Consent],
    pub plan: Option<&'a WellbeingPlan>,
    pub supported: bool,
    pub on: NaiveDate,
}

pub fn gaps(f: &Facts<'_>) -> Vec<Gap> {
    let mut out = Vec::new();
    if f.supported && !f.measures.iter().any(|m| m.time_point == TimePoint::T0) {
        out.push(gap(
            "no_baseline",
            "No baseline (T0) measures yet: take them at the first session.".into(),
            "measures",
        ));
    }
    for due in f
        .follow_ups
        .iter()
        .filter(|d| d.state == FollowUpState::Open && d.on_today)
    {
        let when = if due.days_overdue > 0 {
            format!("overdue since {}", due.due_on.format("%-d %B %Y"))
        } else {
            format!("due {}", due.due_on.format("%-d %B %Y"))
        };
        out.push(gap(
            "follow_up_due",
            format!("{} {when}.", due.label),
            "measures",
        ));
    }
    if !f.consents.iter().any(|c| c.kind == ConsentKind::Evaluation) {
        out.push(gap(
            "no_evaluation_consent",
            "No consent to evaluation recorded: ask whether their answers may be used.".into(),
            "summary",
        ));
    }
    let stale = f.on.checked_sub_months(Months::new(3)).unwrap_or(f.on);
    match f.plan {
        Some(p) if f.supported && p.written_on < stale => out.push(gap(
            "plan_review",
            format!(
                "Wellbeing plan not reviewed for 3 months (last {}).",
                p.written_on.format("%-d %B %Y")
            ),
            "plan",
        )),
        None if f.supported => out.push(gap(
            "plan_review",
            "No wellbeing plan written yet.".into(),
            "plan",
        )),
        _ => {}
    }
    out
}
