//! Take-up of onward referrals by the category of the group referred to: how many people
//! enrolled (agreed to go), engaged (came to a first session) and adhered (were still coming 8
//! weeks after their first session), each by linkwell-domain's one take-up rule. The cohort is
//! the onward referrals made in the period; where each stands is as of the data date.

use crate::suppress::{Count, Suppression};
use crate::{PersonKey, ReportInput};
use chrono::NaiveDate;
use linkwell_domain::take_up::{self as rule, Adherence};
use linkwell_domain::vocabulary::{OnwardStatus, ServiceCategory};
use serde::Serialize;

/// One onward referral: to a group of which category, when, and the sessions attended.
#[derive(Debug, Clone, PartialEq)]
pub struct OnwardFact {
    pub person: PersonKey,
    /// The group's first (main) category; None when the group is not on this device.
    pub category: Option<ServiceCategory>,
    pub suggested_on: NaiveDate,
    pub status: OnwardStatus,
    pub agreed_on: Option<NaiveDate>,
    /// Days a session was attended.
    pub attended: Vec<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct TakeUpRow {
    pub code: String,
    pub label: String,
    pub referred: Count,
    pub enrolled: Count,
    pub engaged: Count,
    pub adhered: Count,
    /// Engaged, but 8 weeks have not yet passed since their first session.
    pub too_soon: Count,
}

/// The rows (every category, in the vocabulary's order, then "Not recorded" if any) and the
/// total row. Each column's cells are suppressed as a group beside its total.
pub fn take_up(input: &ReportInput, s: &Suppression) -> (Vec<TakeUpRow>, TakeUpRow) {
    let on = input.data_date;
    let mut keys: Vec<(String, String, Option<ServiceCategory>)> = ServiceCategory::ALL
        .iter()
        .map(|c| (c.as_str().to_string(), c.label().to_string(), Some(*c)))
        .collect();
    keys.push(("not_recorded".into(), "Not recorded".into(), None));
    let mut cells: Vec<[u64; 5]> = vec![[0; 5]; keys.len()];
    for o in input
        .onward
        .iter()
        .filter(|o| input.period.contains(o.suggested_on))
    {
        let attended: Vec<NaiveDate> = o.attended.iter().copied().filter(|d| *d <= on).collect();
        let adherence = rule::adherence(&attended, on);
        let row = keys
            .iter()
            .position(|k| k.2 == o.category)
            .unwrap_or(keys.len() - 1);
        let c = &mut cells[row];
        c[0] += 1;
        c[1] += u64::from(rule::enrolled(o.status, o.agreed_on, &attended));
        c[2] += u64::from(rule::engaged(o.status, &attended));
        c[3] += u64::from(adherence == Adherence::StillAttending);
        c[4] += u64::from(adherence == Adherence::TooSoon);
    }
    if cells.last().is_some_and(|c| c[0] == 0) {
        cells.pop();
        keys.pop();
    }
    let column = |k: usize| s.group(&cells.iter().map(|c| c[k]).collect::<Vec<_>>());
    let cols: Vec<Vec<Count>> = (0..5).map(column).collect();
    let rows = keys
        .iter()
        .enumerate()
        .map(|(i, (code, label, _))| TakeUpRow {
            code: code.clone(),
            label: label.clone(),
            referred: cols[0][i].clone(),
            enrolled: cols[1][i].clone(),
            engaged: cols[2][i].clone(),
            adhered: cols[3][i].clone(),
            too_soon: cols[4][i].clone(),
        })
        .collect();
    let sum = |k: usize| s.count(cells.iter().map(|c| c[k]).sum());
    let total = TakeUpRow {
        code: "total".into(),
        label: "Total".into(),
        referred: sum(0),
        enrolled: sum(1),
        engaged: sum(2),
        adhered: sum(3),
        too_soon: sum(4),
    };
    (rows, total)
}
