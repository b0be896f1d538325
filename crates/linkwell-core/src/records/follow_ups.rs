//! Follow-ups: decisions and schedules as records, and the follow-ups of each person as Today
//! and the person page show them. Whether a follow-up is due and still open is decided by the
//! one rule in [`crate::domain::follow_up`] (pure, so the reports on a laptop and on the
//! server decide it the same way); Today and the person page both call [`person_follow_ups`],
//! so they cannot disagree. A follow-up ends when it is recorded, declined, could not be done
//! (with a reason), or the person withdrew consent to be contacted; "remind me later" hides it
//! from Today until the chosen day.

use crate::domain::validate::Checker;
use crate::domain::vocabulary::{FollowUpDecisionKind, Instrument, TimePoint};
use crate::error::{CoreError, Result};
use crate::records::WireText;
use crate::store::{self, Store, today};
use chrono::NaiveDate;
use linkwell_protocol::EntityKind;
use linkwell_protocol::EntityKind as K;
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

crate::store::record_kinds!(FollowUpDecision, FollowUpSchedule);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct FollowUpDecision {
    pub id: Uuid,
    pub person_id: Uuid,
    pub time_point: TimePoint,
    pub decision: FollowUpDecisionKind,
    pub decided_on: NaiveDate,
    pub note: Option<String>,
    pub worker_id: Uuid,
    /// One instrument, or null for every instrument at that time point.
    pub instrument: Option<Instrument>,
    /// The due date of the follow-up decided (for a repeating one, which occurrence).
    pub due_on: Option<NaiveDate>,
    /// For "remind me later": the day it shows on Today again.
    pub remind_on: Option<NaiveDate>,
}

/// The organisation's schedule for one instrument; the latest recorded wins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct FollowUpSchedule {
    pub id: Uuid,
    pub instrument: Instrument,
    #[ts(type = "number | null")]
    pub t1_months: Option<i64>,
    #[ts(type = "number | null")]
    pub t2_months: Option<i64>,
    #[ts(type = "number | null")]
    pub every_months: Option<i64>,
    pub recorded_on: NaiveDate,
}

use crate::domain::follow_up::{self as rule, State};
pub use crate::domain::follow_up::{Cadence, default_cadence};

/// The schedules as the follow-up rule reads them.
fn rule_schedules(schedules: &[FollowUpSchedule]) -> Vec<rule::Schedule> {
    schedules
        .iter()
        .map(|s| rule::Schedule {
            instrument: s.instrument,
            t1_months: s.t1_months,
            t2_months: s.t2_months,
            every_months: s.every_months,
        })
        .collect()
}

impl From<&FollowUpDecision> for rule::Decision {
    fn from(d: &FollowUpDecision) -> Self {
        rule::Decision {
            time_point: d.time_point,
            instrument: d.instrument,
            decision: d.decision,
            decided_on: d.decided_on,
            due_on: d.due_on,
            remind_on: d.remind_on,
            note: d.note.clone(),
        }
    }
}

impl From<State> for FollowUpState {
    fn from(s: State) -> Self {
        match s {
            State::Open => FollowUpState::Open,
            State::Recorded => FollowUpState::Recorded,
            State::Declined => FollowUpState::Declined,
            State::NotPossible => FollowUpState::NotPossible,
            State::ContactWithdrawn => FollowUpState::ContactWithdrawn,
        }
    }
}

/// Where a follow-up stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum FollowUpState {
    Open,
    Recorded,
    Declined,
    NotPossible,
    ContactWithdrawn,
}

/// One follow-up of a person: a time point of one or more instruments, or one occurrence of a
/// repeating instrument.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct FollowUpDue {
    pub person_id: Uuid,
    pub person_name: String,
    /// T1 or T2; `other` for a repeating instrument's next occurrence.
    pub time_point: TimePoint,
    pub instruments: Vec<Instrument>,
    /// E.g. "About 4 months (T1): ONS personal wellbeing (ONS4), Loneliness (ONS direct
    /// question)", or "Patient Activation Measure (PAM), repeated".
    pub label: String,
    pub repeating: bool,
    /// The baseline, or for a repeating instrument the day it was last taken.
    pub baseline_on: NaiveDate,
    pub due_on: NaiveDate,
    /// Negative while still ahead.
    #[ts(type = "number")]
    pub days_overdue: i64,
    pub state: FollowUpState,
    /// When it was recorded or decided.
    pub state_on: Option<NaiveDate>,
    pub note: Option<String>,
    /// "Remind me later": hidden from Today until this day.
    pub remind_on: Option<NaiveDate>,
    /// Shown on the worker's Today now (the one rule both screens use).
    pub on_today: bool,
}

/// How far ahead of its due date a follow-up shows on Today.
pub const LOOKAHEAD_DAYS: i64 = 7;

impl FollowUpDue {
    fn shows_on(&self, on: NaiveDate) -> bool {
        self.state == FollowUpState::Open
            && match self.remind_on {
                Some(r) => r <= on,
                None => (self.due_on - on).num_days() <= LOOKAHEAD_DAYS,
            }
    }
}

/// One person as the rule sees them, with their id and name for the screens.
struct PersonFacts {
    person_id: Uuid,
    person_name: String,
    facts: rule::Facts,
}

/// Groups an evaluation time point's instruments due on one day into one follow-up.
fn group(facts: &PersonFacts, singles: Vec<rule::Single>, on: NaiveDate) -> Vec<FollowUpDue> {
    let mut out: Vec<FollowUpDue> = Vec::new();
    for s in singles {
        let repeating = s.time_point == TimePoint::Other;
        if !repeating
            && let Some(f) = out.iter_mut().find(|f| {
                !f.repeating
                    && f.time_point == s.time_point
                    && f.due_on == s.due_on
                    && f.state == FollowUpState::from(s.state)
                    && f.remind_on == s.remind_on
            })
        {
            f.instruments.push(s.instrument);
            continue;
        }
        out.push(FollowUpDue {
            person_id: facts.person_id,
            person_name: facts.person_name.clone(),
            time_point: s.time_point,
            instruments: vec![s.instrument],
            label: String::new(),
            repeating,
            baseline_on: s.baseline_on,
            due_on: s.due_on,
            days_overdue: (on - s.due_on).num_days(),
            state: s.state.into(),
            state_on: s.state_on,
            note: s.note,
            remind_on: s.remind_on,
            on_today: false,
        });
    }
    for f in &mut out {
        let names: Vec<&str> = f.instruments.iter().map(|i| i.label()).collect();
        f.label = if f.repeating {
            format!("{}, repeated", names.join(", "))
        } else {
            format!("{}: {}", f.time_point.label(), names.join(", "))
        };
        f.on_today = f.shows_on(on);
    }
    out
}

fn facts(conn: &Connection, person_id: Uuid, person_name: String) -> Result<PersonFacts> {
    let id = person_id.to_string();
    let mut stmt = conn.prepare_cached(
        "SELECT instrument, time_point, taken_on FROM measure WHERE person_id = ?1",
    )?;
    let measures = stmt
        .query_map([&id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, NaiveDate>(2)?,
            ))
        })?
        .filter_map(|r| match r {
            Ok((i, t, d)) => Some(Ok((Instrument::parse(&i)?, TimePoint::parse(&t)?, d))),
            Err(e) => Some(Err(e)),
        })
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let decisions: Vec<FollowUpDecision> = store::get_where(
        conn,
        EntityKind::FollowUpDecision,
        "person_id = ?1",
        &id,
        "decided_on, rowid",
    )?;
    let supported: bool = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM episode WHERE person_id = ?1 AND status != 'closed')",
        )?
        .query_row([&id], |r| r.get(0))?;
    // The latest word on being contacted decides; no record means no withdrawal.
    let contact: Option<(bool, NaiveDate)> = conn
        .prepare_cached(
            "SELECT given, recorded_on FROM consent WHERE person_id = ?1 AND kind = 'contact'
             ORDER BY recorded_on DESC, rowid DESC LIMIT 1",
        )?
        .query_map([&id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .next()
        .transpose()?;
    Ok(PersonFacts {
        person_id,
        person_name,
        facts: rule::Facts {
            supported,
            contact_withdrawn: contact.filter(|(given, _)| !given).map(|(_, d)| d),
            measures,
            decisions: decisions.iter().map(rule::Decision::from).collect(),
        },
    })
}

/// The organisation's schedules, oldest first.
pub fn schedules(conn: &Connection) -> Result<Vec<FollowUpSchedule>> {
    store::get_where(
        conn,
        EntityKind::FollowUpSchedule,
        "?1 IS NOT NULL",
        "",
        "recorded_on, rowid",
    )
}

/// Every follow-up of one person, open or ended, by due date.
pub fn person_follow_ups(
    conn: &Connection,
    person_id: Uuid,
    person_name: &str,
    schedules: &[FollowUpSchedule],
    on: NaiveDate,
) -> Result<Vec<FollowUpDue>> {
    let f = facts(conn, person_id, person_name.to_string())?;
    let mut out = group(&f, f.facts.singles(&rule_schedules(schedules)), on);
    out.sort_by_key(|x| (x.due_on, x.time_point.as_str()));
    Ok(out)
}

/// The follow-ups on Today for the people whose latest episode is `worker_id`'s (open or
/// closed), or everyone's when None (a supervisor's team list).
pub fn follow_ups_due(
    conn: &Connection,
    worker_id: Option<Uuid>,
    on: NaiveDate,
) -> Result<Vec<FollowUpDue>> {
    // Only people with a measure can have a follow-up; the latest episode says whose they are.
    let sql = "SELECT p.id, COALESCE(p.preferred_name, p.given_name) || ' ' || p.family_name
         FROM person p
         WHERE EXISTS (SELECT 1 FROM measure m WHERE m.person_id = p.id)
           AND (?1 IS NULL OR (SELECT e.worker_id FROM episode e WHERE e.person_id = p.id
                               ORDER BY e.opened_on DESC, e.rowid DESC LIMIT 1) = ?1)";
    let by_worker = "SELECT p.id, COALESCE(p.preferred_name, p.given_name) || ' ' || p.family_name
         FROM person p
         WHERE p.id IN (SELECT person_id FROM episode WHERE worker_id = ?1)
           AND (SELECT e.worker_id FROM episode e WHERE e.person_id = p.id
                ORDER BY e.opened_on DESC, e.rowid DESC LIMIT 1) = ?1
           AND EXISTS (SELECT 1 FROM measure m WHERE m.person_id = p.id)";
    let mut stmt = conn.prepare_cached(if worker_id.is_some() { by_worker } else { sql })?;
    let people = stmt
        .query_map(params![worker_id.map(|w| w.to_string())], |r| {
            Ok((store::id_at(r, 0)?, r.get::<_, String>(1)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let schedules = schedules(conn)?;
    let mut out = Vec::new();
    for (id, name) in people {
        out.extend(
            person_follow_ups(conn, id, &name, &schedules, on)?
                .into_iter()
                .filter(|f| f.on_today),
        );
    }
    out.sort_by(|a, b| {
        (a.remind_on.unwrap_or(a.due_on), &a.person_name)
            .cmp(&(b.remind_on.unwrap_or(b.due_on), &b.person_name))
    });
    Ok(out)
}

/// A decision on one follow-up, from the person page or Today.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, optional_fields = nullable)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct FollowUpDecisionInput {
    /// t1, t2, or other for a repeating instrument.
    #[ts(as = "Option<String>", optional)]
    pub time_point: String,
    /// Needed for a repeating instrument; otherwise null for every instrument at that point.
    pub instrument: Option<String>,
    /// declined, not_possible or remind_later.
    #[ts(as = "Option<String>", optional)]
    pub decision: String,
    /// Why: needed when declined or not possible.
    pub note: Option<String>,
    /// For remind_later: how many days from today.
    #[ts(type = "number | null")]
    pub remind_in_days: Option<i64>,
}

/// The decision, its reason and, for "remind me later", the day it comes back: a reason is
/// needed unless it is a reminder, and a reminder needs its number of days.
fn check_decision(
    c: &mut Checker,
    input: &FollowUpDecisionInput,
) -> (
    Option<FollowUpDecisionKind>,
    Option<String>,
    Option<NaiveDate>,
) {
    let d = FollowUpDecisionKind::parse(&input.decision);
    let note = c.optional_text(K::FollowUpDecision, "note", "Reason", input.note.as_deref());
    let remind_on = match d {
        None => {
            c.fail(
                "decision",
                format!(
                    "Decision must be one of: {}",
                    FollowUpDecisionKind::choices()
                ),
            );
            None
        }
        Some(FollowUpDecisionKind::RemindLater) => match input.remind_in_days {
            Some(n) if (1..=90).contains(&n) => Some(today() + chrono::Duration::days(n)),
            _ => {
                c.fail("remind_in_days", "Remind me in how many days: from 1 to 90");
                None
            }
        },
        Some(_) if note.is_none() => {
            c.fail("note", "Say why the follow-up will not happen");
            None
        }
        Some(_) => None,
    };
    (d, note, remind_on)
}

impl Store {
    /// Every follow-up of a person (the person page's list); the same rule as Today.
    pub fn follow_ups(&self, person_id: Uuid) -> Result<Vec<FollowUpDue>> {
        let p = self.person(person_id)?;
        person_follow_ups(
            self.conn(),
            person_id,
            &p.full_name(),
            &schedules(self.conn())?,
            today(),
        )
    }

    /// Records that a follow-up will not happen (declined, or could not be done, with a
    /// reason), or to be reminded of it in some days.
    pub fn decide_follow_up(
        &mut self,
        person_id: Uuid,
        input: &FollowUpDecisionInput,
    ) -> Result<FollowUpDecision> {
        let open: Vec<FollowUpDue> = self
            .follow_ups(person_id)?
            .into_iter()
            .filter(|f| f.state == FollowUpState::Open)
            .collect();
        let mut c = Checker::new();
        let tp = TimePoint::parse(&input.time_point).filter(|t| *t != TimePoint::T0);
        let instrument = input.instrument.as_deref().filter(|s| !s.trim().is_empty());
        let inst = instrument.and_then(Instrument::parse);
        if instrument.is_some() && inst.is_none() {
            c.fail(
                "instrument",
                format!("Instrument must be one of: {}", Instrument::choices()),
            );
        }
        let target = open
            .iter()
            .find(|f| Some(f.time_point) == tp && inst.is_none_or(|i| f.instruments.contains(&i)));
        match (tp, target) {
            (None, _) => c.fail(
                "time_point",
                "Follow-up must be t1, t2 or other (a repeating measure)",
            ),
            (Some(TimePoint::Other), _) if inst.is_none() => {
                c.fail("instrument", "Say which repeating measure this is about")
            }
            (Some(t), None) => c.fail(
                "time_point",
                format!("There is no open {} follow-up for this person", t.label()),
            ),
            _ => {}
        }
        let (d, note, remind_on) = check_decision(&mut c, input);
        c.finish()?;
        let due_on = target.map(|f| f.due_on);
        self.write(|w| {
            let f = FollowUpDecision {
                id: w.new_id(),
                person_id,
                time_point: tp.unwrap_or(TimePoint::T1),
                decision: d.unwrap_or(FollowUpDecisionKind::Declined),
                decided_on: today(),
                note,
                worker_id: w.actor().worker_id,
                instrument: inst,
                due_on,
                remind_on,
            };
            w.create(&f)?;
            Ok(f)
        })
    }

    /// Sets the organisation's follow-up schedule of an instrument on this laptop (tests and
    /// demo data; a deployment sets it on the server and it arrives by sync).
    pub fn set_follow_up_schedule(
        &mut self,
        instrument: Instrument,
        cadence: Cadence,
    ) -> Result<FollowUpSchedule> {
        let (t1, t2, every) = match cadence {
            Cadence::TimePoints(a, b) => (a, b, None),
            Cadence::Every(n) => (None, None, Some(n)),
        };
        if [t1, t2, every]
            .into_iter()
            .flatten()
            .any(|m| !(1..=36).contains(&m))
        {
            return Err(CoreError::invalid("months", "Months must be from 1 to 36"));
        }
        self.write(|w| {
            let s = FollowUpSchedule {
                id: w.new_id(),
                instrument,
                t1_months: t1.map(i64::from),
                t2_months: t2.map(i64::from),
                every_months: every.map(i64::from),
                recorded_on: today(),
            };
            w.create(&s)?;
            Ok(s)
        })
    }
}
