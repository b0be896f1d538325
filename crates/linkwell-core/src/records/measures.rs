//! Outcome measures and the follow-up schedule. Public instruments (ONS4) store their items
//! and derive bands; licensed instruments (PAM, EQ-5D, Well-being Star, SWEMWBS) store scores
//! only, and only once the organisation has enabled them with its licence holder's name.

use crate::domain::validate::Checker;
use crate::domain::vocabulary::{
    FollowUpDecisionKind, Instrument, TimePoint, ons4_anxiety_band, ons4_positive_band, pam_level,
};
use crate::error::{CoreError, Result};
use crate::store::{self, Store, today};
use chrono::{Months, NaiveDate};
use linkwell_protocol::EntityKind;
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

crate::store::record_kinds!(FollowUpDecision, InstrumentLicence, Measure);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct Measure {
    pub id: Uuid,
    pub person_id: Uuid,
    pub instrument: Instrument,
    pub time_point: TimePoint,
    pub taken_on: NaiveDate,
    pub worker_id: Uuid,
    pub score: Option<f64>,
    #[ts(type = "number | null")]
    pub level: Option<i64>,
    #[ts(type = "number[]")]
    pub items: Vec<i64>,
}

impl Measure {
    /// A plain-English reading of the measure, e.g. ONS4 bands.
    pub fn summary(&self) -> String {
        match self.instrument {
            Instrument::Ons4 if self.items.len() == 4 => {
                let b = |i: usize| ons4_positive_band(self.items[i].clamp(0, 10) as u8);
                format!(
                    "life satisfaction {} ({}), worthwhile {} ({}), happiness {} ({}), anxiety {} ({})",
                    self.items[0],
                    b(0),
                    self.items[1],
                    b(1),
                    self.items[2],
                    b(2),
                    self.items[3],
                    ons4_anxiety_band(self.items[3].clamp(0, 10) as u8)
                )
            }
            Instrument::Pam => format!(
                "score {:.1}, level {}",
                self.score.unwrap_or(0.0),
                self.level.unwrap_or(0)
            ),
            Instrument::Eq5d => format!(
                "index {:.3}, VAS {}",
                self.score.unwrap_or(0.0),
                self.items.first().copied().unwrap_or(0)
            ),
            Instrument::Swemwbs => format!("metric score {:.2}", self.score.unwrap_or(0.0)),
            Instrument::WellbeingStar => format!("area scores {:?}", self.items),
            Instrument::Loneliness => LONELINESS
                .get((self.items.first().copied().unwrap_or(0) - 1).clamp(0, 4) as usize)
                .map_or(String::new(), |s| (*s).to_string()),
            Instrument::GroupMemberships => {
                format!("{} groups", self.items.first().copied().unwrap_or(0))
            }
            Instrument::ServiceUse if self.items.len() == 3 => format!(
                "GP visits {}, A&E attendances {}, hospital nights {}",
                self.items[0], self.items[1], self.items[2]
            ),
            _ => String::new(),
        }
    }
}

/// The ONS direct loneliness question's answers, coded 1..=5.
pub const LONELINESS: [&str; 5] = [
    "Often or always",
    "Some of the time",
    "Occasionally",
    "Hardly ever",
    "Never",
];

#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, optional_fields = nullable)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct MeasureInput {
    #[ts(as = "Option<String>", optional)]
    pub instrument: String,
    #[ts(as = "Option<String>", optional)]
    pub time_point: String,
    #[ts(as = "Option<String>", optional)]
    pub taken_on: String,
    pub score: Option<f64>,
    #[ts(type = "number | null")]
    pub level: Option<i64>,
    #[ts(type = "number[]")]
    pub items: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct InstrumentLicence {
    pub id: Uuid,
    pub instrument: Instrument,
    pub licence_holder: String,
    pub enabled: bool,
    pub recorded_on: NaiveDate,
}

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
}

/// A follow-up measure that is due (or overdue) for a person.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct FollowUpDue {
    pub person_id: Uuid,
    pub person_name: String,
    pub time_point: TimePoint,
    pub baseline_on: NaiveDate,
    pub due_on: NaiveDate,
    /// Negative while still ahead.
    #[ts(type = "number")]
    pub days_overdue: i64,
}

fn items_in(
    c: &mut Checker,
    items: &[i64],
    n: std::ops::RangeInclusive<usize>,
    range: std::ops::RangeInclusive<i64>,
    what: &str,
) {
    if !n.contains(&items.len()) {
        let count = if n.start() == n.end() {
            n.start().to_string()
        } else {
            format!("{} to {}", n.start(), n.end())
        };
        c.fail("items", format!("{what} needs {count} answers"));
    } else if let Some(bad) = items.iter().find(|v| !range.contains(v)) {
        c.fail(
            "items",
            format!(
                "{what} answers must be from {} to {} ({bad} is not)",
                range.start(),
                range.end()
            ),
        );
    }
}

impl Store {
    /// Enables (or disables) a licensed instrument for the organisation.
    pub fn set_instrument_licence(
        &mut self,
        instrument: &str,
        licence_holder: &str,
        enabled: bool,
    ) -> Result<InstrumentLicence> {
        let mut c = Checker::new();
        let inst = Instrument::parse(instrument);
        match inst {
            None => c.fail(
                "instrument",
                format!("Instrument must be one of: {}", Instrument::choices()),
            ),
            Some(i) if !i.is_licensed() => c.fail(
                "instrument",
                format!("{} is public and needs no licence", i.label()),
            ),
            _ => {}
        }
        let holder = c.required("licence_holder", "Licence holder", licence_holder, 200);
        c.finish()?;
        self.write(|w| {
            let l = InstrumentLicence {
                id: w.new_id(),
                instrument: inst.unwrap_or(Instrument::Pam),
                licence_holder: holder,
                enabled,
                recorded_on: today(),
            };
            w.create(&l)?;
            Ok(l)
        })
    }

    /// The licence in force for an instrument (the latest recorded), if enabled.
    pub fn licence(&self, instrument: Instrument) -> Result<Option<InstrumentLicence>> {
        let all: Vec<InstrumentLicence> = store::get_where(
            self.conn(),
            EntityKind::InstrumentLicence,
            "instrument = ?1",
            instrument.as_str(),
            "recorded_on, rowid",
        )?;
        Ok(all.into_iter().last().filter(|l| l.enabled))
    }

    pub fn record_measure(&mut self, person_id: Uuid, input: &MeasureInput) -> Result<Measure> {
        let person = self.person(person_id)?;
        let mut c = Checker::new();
        let inst = Instrument::parse(&input.instrument);
        if inst.is_none() {
            c.fail(
                "instrument",
                format!("Instrument must be one of: {}", Instrument::choices()),
            );
        }
        let tp = TimePoint::parse(&input.time_point);
        if tp.is_none() {
            c.fail(
                "time_point",
                format!("Time point must be one of: {}", TimePoint::choices()),
            );
        }
        let taken_on = c.date("taken_on", "Date taken", &input.taken_on);
        if taken_on.is_some_and(|d| d > today()) {
            c.fail("taken_on", "Date taken cannot be in the future");
        }
        if taken_on.is_some_and(|d| d < person.created_on - chrono::Duration::days(366)) {
            c.fail(
                "taken_on",
                "Date taken is more than a year before the person was referred",
            );
        }
        let (mut score, mut level, mut items) = (input.score, input.level, input.items.clone());
        if let Some(i) = inst {
            if i.is_licensed() && self.licence(i)?.is_none() {
                c.fail("instrument", format!("{} is licensed and has not been enabled for this organisation; an administrator must record the licence holder first", i.label()));
            }
            match i {
                Instrument::Ons4 => {
                    items_in(&mut c, &items, 4..=4, 0..=10, "ONS4");
                    (score, level) = (None, None);
                }
                Instrument::Pam => {
                    match score {
                        Some(s) if (0.0..=100.0).contains(&s) => {
                            let derived = i64::from(pam_level(s));
                            if level.is_some_and(|l| l != derived) {
                                c.fail(
                                    "level",
                                    format!(
                                        "A PAM score of {s:.1} is level {derived}, not {}",
                                        level.unwrap_or(0)
                                    ),
                                );
                            }
                            level = Some(derived);
                        }
                        _ => c.fail("score", "PAM score must be from 0 to 100"),
                    }
                    items.clear();
                }
                Instrument::Eq5d => {
                    if !score.is_some_and(|s| (-0.6..=1.0).contains(&s)) {
                        c.fail("score", "EQ-5D index must be from -0.6 to 1");
                    }
                    items_in(&mut c, &items, 1..=1, 0..=100, "EQ-5D VAS");
                    level = None;
                }
                Instrument::Swemwbs => {
                    if !score.is_some_and(|s| (7.0..=35.0).contains(&s)) {
                        c.fail("score", "SWEMWBS metric score must be from 7 to 35");
                    }
                    items.clear();
                    level = None;
                }
                Instrument::WellbeingStar => {
                    items_in(&mut c, &items, 1..=10, 1..=10, "Well-being Star");
                    (score, level) = (None, None);
                }
                Instrument::Loneliness => {
                    items_in(&mut c, &items, 1..=1, 1..=5, "Loneliness");
                    (score, level) = (None, None);
                }
                Instrument::GroupMemberships => {
                    items_in(&mut c, &items, 1..=1, 0..=100, "Number of groups");
                    (score, level) = (None, None);
                }
                Instrument::ServiceUse => {
                    items_in(
                        &mut c,
                        &items,
                        3..=3,
                        0..=92,
                        "Service use (GP visits, A&E attendances, hospital nights)",
                    );
                    (score, level) = (None, None);
                }
            }
        }
        c.finish()?;
        self.write(|w| {
            let m = Measure {
                id: w.new_id(),
                person_id,
                instrument: inst.unwrap_or(Instrument::Ons4),
                time_point: tp.unwrap_or(TimePoint::Other),
                taken_on: taken_on.unwrap_or_else(today),
                worker_id: w.actor().worker_id,
                score,
                level,
                items,
            };
            w.create(&m)?;
            Ok(m)
        })
    }

    pub fn measures(&self, person_id: Uuid) -> Result<Vec<Measure>> {
        store::get_where(
            self.conn(),
            EntityKind::Measure,
            "person_id = ?1",
            &person_id.to_string(),
            "taken_on, rowid",
        )
    }

    /// Records that a follow-up will not happen (declined, or could not be done), so it stops
    /// showing as due.
    pub fn decide_follow_up(
        &mut self,
        person_id: Uuid,
        time_point: &str,
        decision: &str,
        note: Option<&str>,
    ) -> Result<FollowUpDecision> {
        self.person(person_id)?;
        let mut c = Checker::new();
        let tp =
            TimePoint::parse(time_point).filter(|t| matches!(t, TimePoint::T1 | TimePoint::T2));
        if tp.is_none() {
            c.fail("time_point", "Follow-up must be t1 or t2");
        }
        let d = FollowUpDecisionKind::parse(decision);
        if d.is_none() {
            c.fail(
                "decision",
                format!(
                    "Decision must be one of: {}",
                    FollowUpDecisionKind::choices()
                ),
            );
        }
        let note = c.optional("note", "Note", note, 1000);
        c.finish()?;
        self.write(|w| {
            let f = FollowUpDecision {
                id: w.new_id(),
                person_id,
                time_point: tp.unwrap_or(TimePoint::T1),
                decision: d.unwrap_or(FollowUpDecisionKind::Declined),
                decided_on: today(),
                note,
                worker_id: w.actor().worker_id,
            };
            w.create(&f)?;
            Ok(f)
        })
    }
}

/// When each follow-up falls due after the baseline: T1 at about 4 months, T2 at about 8.
pub fn follow_up_due_on(baseline: NaiveDate, tp: TimePoint) -> Option<NaiveDate> {
    match tp {
        TimePoint::T1 => baseline.checked_add_months(Months::new(4)),
        TimePoint::T2 => baseline.checked_add_months(Months::new(8)),
        _ => None,
    }
}

/// Follow-ups due within `window_days` of `on` (or overdue) for people with an open episode
/// held by `worker_id` (or anyone's, when None); shown until done or decided.
pub fn follow_ups_due(
    conn: &Connection,
    worker_id: Option<Uuid>,
    on: NaiveDate,
    window_days: i64,
) -> Result<Vec<FollowUpDue>> {
    let mut stmt = conn.prepare_cached(
        "SELECT p.id, COALESCE(p.preferred_name, p.given_name) || ' ' || p.family_name,
                MIN(m.taken_on),
                EXISTS (SELECT 1 FROM measure x WHERE x.person_id = p.id AND x.time_point = 't1')
                 OR EXISTS (SELECT 1 FROM follow_up_decision f WHERE f.person_id = p.id AND f.time_point = 't1'),
                EXISTS (SELECT 1 FROM measure x WHERE x.person_id = p.id AND x.time_point = 't2')
                 OR EXISTS (SELECT 1 FROM follow_up_decision f WHERE f.person_id = p.id AND f.time_point = 't2')
         FROM episode e
         JOIN person p ON p.id = e.person_id
         JOIN measure m ON m.person_id = p.id AND m.time_point = 't0'
         WHERE e.status != 'closed' AND (?1 IS NULL OR e.worker_id = ?1)
         GROUP BY p.id",
    )?;
    let rows = stmt.query_map(params![worker_id.map(|w| w.to_string())], |r| {
        Ok((
            crate::store::id_at(r, 0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, bool>(3)?,
            r.get::<_, bool>(4)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (person_id, person_name, baseline, t1_done, t2_done) = row?;
        let baseline = NaiveDate::parse_from_str(&baseline, "%Y-%m-%d")
            .map_err(|e| CoreError::Corrupt(format!("measure date: {e}")))?;
        for (tp, done) in [(TimePoint::T1, t1_done), (TimePoint::T2, t2_done)] {
            if done {
                continue;
            }
            let Some(due_on) = follow_up_due_on(baseline, tp) else {
                continue;
            };
            let days_overdue = (on - due_on).num_days();
            if days_overdue >= -window_days {
                out.push(FollowUpDue {
                    person_id,
                    person_name: person_name.clone(),
                    time_point: tp,
                    baseline_on: baseline,
                    due_on,
                    days_overdue,
                });
                // T2 is not shown while T1 is still outstanding unless it too is due.
            }
        }
    }
    out.sort_by(|a, b| {
        a.due_on
            .cmp(&b.due_on)
            .then(a.person_name.cmp(&b.person_name))
    });
    Ok(out)
}
