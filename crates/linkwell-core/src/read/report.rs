//! Reports on this laptop: reads the store into linkwell-report's plain facts (people and
//! workers as small keys; no names of people, no free text) and computes the figures there,
//! so the laptop and a server feeding the same crate cannot disagree. "My caseload" is the
//! episodes this worker holds; "my team" is everything on the laptop (a supervisor's laptop
//! holds the team's synced data). Follow-up states come from the core's one follow-up rule.

use crate::domain::vocabulary::{Attendance, ClosingReason, Instrument, ReferralSource, TimePoint};
use crate::error::{CoreError, Result};
use crate::records::follow_ups::{self, FollowUpState};
use chrono::NaiveDate;
use linkwell_report::{
    DEFAULT_THRESHOLD, Evaluation, FollowUpFact, FollowUpOutcome, MeasureFact, Period,
    ReferralFact, ReportInput, Scope, SessionFact, WorkerFact,
};
use rusqlite::{Connection, params};
use serde::Deserialize;
use std::collections::HashMap;
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
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The day the data is as of; defaults to today.
    pub on: Option<NaiveDate>,
}

/// The reports there are.
pub const REPORTS: &[&str] = &["evaluation"];

fn date(s: &str) -> Option<NaiveDate> {
    s.get(..10).and_then(|d| d.parse().ok())
}

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
    let period =
        Period::new(req.from, req.to).map_err(|e| CoreError::invalid("to", e.to_string()))?;
    Ok((scope, period))
}

/// The evaluation pack for `worker`'s caseload or the laptop's team.
pub fn evaluation(conn: &Connection, worker: Uuid, req: &ReportRequest) -> Result<Evaluation> {
    let (scope, period) = check(req)?;
    let on = req.on.unwrap_or_else(crate::store::today);
    let input = read_input(conn, worker, scope, period, on)?;
    Ok(linkwell_report::evaluation(&input, DEFAULT_THRESHOLD))
}

/// Keys handed out in the order first seen.
#[derive(Default)]
struct Keys(HashMap<String, u32>);

impl Keys {
    fn key(&mut self, id: &str) -> u32 {
        let n = self.0.len() as u32;
        *self.0.entry(id.to_string()).or_insert(n)
    }
}

/// Reads the facts of `scope` from the store.
pub fn read_input(
    conn: &Connection,
    worker: Uuid,
    scope: Scope,
    period: Period,
    on: NaiveDate,
) -> Result<ReportInput> {
    let only = (scope == Scope::MyCaseload).then(|| worker.to_string());
    let mut people = Keys::default();
    let mut workers = Keys::default();
    let mut worker_ids = Vec::new();
    let mut episodes = HashMap::new();
    let mut referrals = Vec::new();
    let mut stmt = conn.prepare(
        "SELECT r.person_id, r.source, r.received_on, e.id, e.worker_id, e.first_contact_on,
                e.closed_on, e.closing_reason
         FROM referral r LEFT JOIN episode e ON e.referral_id = r.id
         WHERE ?1 IS NULL OR e.worker_id = ?1
         ORDER BY r.received_on, r.rowid",
    )?;
    let rows = stmt.query_map(params![only], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Option<String>>(3)?,
            r.get::<_, Option<String>>(4)?,
            r.get::<_, Option<String>>(5)?,
            r.get::<_, Option<String>>(6)?,
            r.get::<_, Option<String>>(7)?,
        ))
    })?;
    for row in rows {
        let (person, source, received, ep, w, contact, closed, reason) = row?;
        let (Some(source), Some(received_on)) = (ReferralSource::parse(&source), date(&received))
        else {
            continue;
        };
        let worker = w.map(|w| {
            let k = workers.key(&w);
            if k as usize == worker_ids.len() {
                worker_ids.push(w);
            }
            k
        });
        if let Some(ep) = ep {
            episodes.insert(ep, referrals.len());
        }
        referrals.push(ReferralFact {
            person: people.key(&person),
            source,
            received_on,
            worker,
            first_contact_on: contact.as_deref().and_then(date),
            closed_on: closed.as_deref().and_then(date),
            closing_reason: reason.as_deref().and_then(ClosingReason::parse),
        });
    }
    let workers = worker_labels(conn, &worker_ids)?;
    let sessions = read_sessions(conn, &episodes, &people)?;
    let measures = read_measures(conn, &people)?;
    let follow_ups = read_follow_ups(conn, &people, on)?;
    Ok(ReportInput {
        scope,
        period,
        data_date: on,
        workers,
        referrals,
        sessions,
        measures,
        follow_ups,
    })
}

/// Workers are staff: the team's report names them, as a supervisor's caseload list does.
fn worker_labels(conn: &Connection, ids: &[String]) -> Result<Vec<WorkerFact>> {
    let mut stmt = conn.prepare_cached("SELECT name FROM worker WHERE id = ?1")?;
    ids.iter()
        .map(|id| {
            let label = stmt
                .query_row(params![id], |r| r.get::<_, String>(0))
                .unwrap_or_else(|_| "Unknown worker".into());
            Ok(WorkerFact { label })
        })
        .collect()
}

fn read_sessions(
    conn: &Connection,
    episodes: &HashMap<String, usize>,
    people: &Keys,
) -> Result<Vec<SessionFact>> {
    let mut stmt =
        conn.prepare("SELECT person_id, episode_id, starts_at, attendance FROM session")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, Option<String>>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (person, ep, at, att) = row?;
        let Some(&person) = people.0.get(&person) else {
            continue;
        };
        let (Some(on), Some(attendance)) = (date(&at), Attendance::parse(&att)) else {
            continue;
        };
        let referral = ep.and_then(|e| episodes.get(&e).copied());
        out.push(SessionFact {
            person,
            referral,
            on,
            attendance,
        });
    }
    Ok(out)
}

fn read_measures(conn: &Connection, people: &Keys) -> Result<Vec<MeasureFact>> {
    let mut stmt = conn
        .prepare("SELECT person_id, instrument, time_point, taken_on, score, items FROM measure")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, Option<f64>>(4)?,
            r.get::<_, String>(5)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (person, inst, tp, taken, score, items) = row?;
        let Some(&person) = people.0.get(&person) else {
            continue;
        };
        let (Some(instrument), Some(time_point), Some(taken_on)) = (
            Instrument::parse(&inst),
            TimePoint::parse(&tp),
            date(&taken),
        ) else {
            continue;
        };
        out.push(MeasureFact {
            person,
            instrument,
            time_point,
            taken_on,
            score,
            items: serde_json::from_str(&items).unwrap_or_default(),
        });
    }
    Ok(out)
}

fn read_follow_ups(conn: &Connection, people: &Keys, on: NaiveDate) -> Result<Vec<FollowUpFact>> {
    let schedules = follow_ups::schedules(conn)?;
    let mut out = Vec::new();
    for (id, key) in &people.0 {
        let Ok(id) = Uuid::parse_str(id) else {
            continue;
        };
        for f in follow_ups::person_follow_ups(conn, id, "", &schedules, on)? {
            if !matches!(f.time_point, TimePoint::T1 | TimePoint::T2) {
                continue;
            }
            out.push(FollowUpFact {
                person: *key,
                time_point: f.time_point,
                due_on: f.due_on,
                outcome: match f.state {
                    FollowUpState::Open => FollowUpOutcome::Open,
                    FollowUpState::Recorded => FollowUpOutcome::Recorded,
                    FollowUpState::Declined => FollowUpOutcome::Declined,
                    FollowUpState::NotPossible => FollowUpOutcome::NotPossible,
                    FollowUpState::ContactWithdrawn => FollowUpOutcome::ContactWithdrawn,
                },
            });
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
}

/// The report a request names, with its tables.
pub fn report(conn: &Connection, worker: Uuid, req: &ReportRequest) -> Result<ReportAnswer> {
    let evaluation = evaluation(conn, worker, req)?;
    let tables = linkwell_report::tables(&evaluation);
    Ok(ReportAnswer { evaluation, tables })
}
