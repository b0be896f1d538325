//! The follow-up rule: when each instrument is due again after a person's measures, and
//! whether that follow-up is still open or ended (recorded, declined, could not be done,
//! consent to contact withdrawn). Pure, over plain facts, so the laptop (Today, the person
//! page, its reports) and the server's reports decide it with the same code.
//!
//! An evaluation instrument is due at T1 and T2 after its own baseline (T0), whether or not
//! the episode is still open: closing after six sessions must not lose the 4- and 8-month
//! follow-ups. A repeating instrument (PAM, the Well-being Star) is due every N months after
//! it was last taken, while the person is supported (an open episode).

use crate::vocabulary::{FollowUpDecisionKind, Instrument, TimePoint};
use chrono::{Months, NaiveDate};

/// How an instrument is followed up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cadence {
    /// T1 and T2, months after the baseline (either may be off).
    TimePoints(Option<u32>, Option<u32>),
    /// Every N months after it was last taken, while the person is supported.
    Every(u32),
}

/// The defaults when the organisation has set nothing: T1 at about 4 months and T2 at about
/// 8 (000), PAM every 3 months (001), the Well-being Star every 6 months (002).
pub fn default_cadence(instrument: Instrument) -> Cadence {
    match instrument {
        Instrument::Pam => Cadence::Every(3),
        Instrument::WellbeingStar => Cadence::Every(6),
        _ => Cadence::TimePoints(Some(4), Some(8)),
    }
}

/// The organisation's schedule for one instrument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub instrument: Instrument,
    pub t1_months: Option<i64>,
    pub t2_months: Option<i64>,
    pub every_months: Option<i64>,
}

/// The cadence of `instrument`: the latest schedule for it (schedules oldest first), else the
/// default.
pub fn cadence_of(schedules: &[Schedule], instrument: Instrument) -> Cadence {
    let months = |m: Option<i64>| m.and_then(|m| u32::try_from(m).ok()).filter(|m| *m > 0);
    match schedules.iter().rev().find(|s| s.instrument == instrument) {
        None => default_cadence(instrument),
        Some(s) => match months(s.every_months) {
            Some(n) => Cadence::Every(n),
            None => Cadence::TimePoints(months(s.t1_months), months(s.t2_months)),
        },
    }
}

/// Where a follow-up stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Open,
    Recorded,
    Declined,
    NotPossible,
    ContactWithdrawn,
}

/// A worker's decision about a follow-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub time_point: TimePoint,
    /// One instrument, or None for every instrument at that time point.
    pub instrument: Option<Instrument>,
    pub decision: FollowUpDecisionKind,
    pub decided_on: NaiveDate,
    /// For a repeating instrument, which occurrence.
    pub due_on: Option<NaiveDate>,
    pub remind_on: Option<NaiveDate>,
    pub note: Option<String>,
}

/// What the rule needs to know about one person.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// An episode is open.
    pub supported: bool,
    /// The latest word on being contacted was a withdrawal, on this day.
    pub contact_withdrawn: Option<NaiveDate>,
    /// (instrument, time point, taken on) of each measure.
    pub measures: Vec<(Instrument, TimePoint, NaiveDate)>,
    /// Oldest first: the latest decision about a follow-up wins.
    pub decisions: Vec<Decision>,
}

/// A follow-up of one instrument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Single {
    pub instrument: Instrument,
    /// T1 or T2; `Other` for a repeating instrument's next occurrence.
    pub time_point: TimePoint,
    pub baseline_on: NaiveDate,
    pub due_on: NaiveDate,
    pub state: State,
    pub state_on: Option<NaiveDate>,
    pub note: Option<String>,
    pub remind_on: Option<NaiveDate>,
}

impl Facts {
    /// The latest decision about an instrument's follow-up at a time point (and occurrence).
    fn decision(
        &self,
        instrument: Instrument,
        tp: TimePoint,
        due_on: Option<NaiveDate>,
        closing: bool,
    ) -> Option<&Decision> {
        self.decisions.iter().rev().find(|d| {
            d.time_point == tp
                && d.instrument.is_none_or(|i| i == instrument)
                && (due_on.is_none() || d.due_on == due_on)
                && (d.decision == FollowUpDecisionKind::RemindLater) != closing
        })
    }

    fn single(
        &self,
        instrument: Instrument,
        tp: TimePoint,
        base: NaiveDate,
        due: NaiveDate,
    ) -> Single {
        let occurrence = (tp == TimePoint::Other).then_some(due);
        let recorded = (tp != TimePoint::Other)
            .then(|| {
                self.measures
                    .iter()
                    .filter(|(i, t, _)| *i == instrument && *t == tp)
                    .map(|(_, _, d)| *d)
                    .min()
            })
            .flatten();
        let closing = self.decision(instrument, tp, occurrence, true);
        let (state, state_on, note) = if let Some(d) = recorded {
            (State::Recorded, Some(d), None)
        } else if let Some(d) = closing {
            let state = match d.decision {
                FollowUpDecisionKind::NotPossible => State::NotPossible,
                _ => State::Declined,
            };
            (state, Some(d.decided_on), d.note.clone())
        } else if let Some(d) = self.contact_withdrawn {
            (State::ContactWithdrawn, Some(d), None)
        } else {
            (State::Open, None, None)
        };
        let remind_on = self
            .decision(instrument, tp, occurrence, false)
            .and_then(|d| d.remind_on)
            .filter(|_| state == State::Open);
        Single {
            instrument,
            time_point: tp,
            baseline_on: base,
            due_on: due,
            state,
            state_on,
            note,
            remind_on,
        }
    }

    /// Every follow-up of every instrument the person has been measured with.
    pub fn singles(&self, schedules: &[Schedule]) -> Vec<Single> {
        let mut out = Vec::new();
        for &inst in Instrument::ALL {
            let taken = |tp: Option<TimePoint>| {
                self.measures
                    .iter()
                    .filter(move |(i, t, _)| *i == inst && tp.is_none_or(|tp| *t == tp))
                    .map(|(_, _, d)| *d)
            };
            match cadence_of(schedules, inst) {
                Cadence::TimePoints(t1, t2) => {
                    let Some(base) = taken(Some(TimePoint::T0)).min() else {
                        continue;
                    };
                    for (tp, months) in [(TimePoint::T1, t1), (TimePoint::T2, t2)] {
                        if let Some(due) =
                            months.and_then(|m| base.checked_add_months(Months::new(m)))
                        {
                            out.push(self.single(inst, tp, base, due));
                        }
                    }
                }
                Cadence::Every(m) if self.supported => {
                    let Some(last) = taken(None).max() else {
                        continue;
                    };
                    // An occurrence declined or not possible moves on to the next one.
                    let mut due = last.checked_add_months(Months::new(m));
                    for _ in 0..40 {
                        let Some(d) = due else { break };
                        let s = self.single(inst, TimePoint::Other, last, d);
                        if matches!(s.state, State::Declined | State::NotPossible) {
                            due = d.checked_add_months(Months::new(m));
                            continue;
                        }
                        out.push(s);
                        break;
                    }
                }
                Cadence::Every(_) => {}
            }
        }
        out
    }
}
