//! The read side of a link worker's day: Today, the caseload and a person's timeline.
//! Reads take `&Connection` only.

use crate::error::Result;
use crate::records::follow_ups::{FollowUpDue, follow_ups_due};
use chrono::{NaiveDate, NaiveDateTime};
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Appointment {
    pub session_id: Uuid,
    pub person_id: Uuid,
    pub person_name: String,
    pub starts_at: NaiveDateTime,
    pub mode: String,
    pub venue: Option<String>,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct WaitingReferral {
    pub person_id: Uuid,
    pub person_name: String,
    pub referral_id: Uuid,
    pub received_on: NaiveDate,
    #[ts(type = "number")]
    pub days_waiting: i64,
    #[ts(type = "number")]
    pub attempts: i64,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ReviewDue {
    pub id: Uuid,
    pub person_id: Uuid,
    pub person_name: String,
    /// The risk flag kind, or "wellbeing_plan".
    pub what: String,
    pub review_on: NaiveDate,
    #[ts(type = "number")]
    pub days_overdue: i64,
}

/// Everything a worker should see first thing: nothing due may be missed.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Today {
    pub date: NaiveDate,
    pub appointments: Vec<Appointment>,
    pub follow_ups: Vec<FollowUpDue>,
    pub waiting: Vec<WaitingReferral>,
    pub risk_reviews: Vec<ReviewDue>,
    pub plan_reviews: Vec<ReviewDue>,
    /// Messages to referrers not yet sent (a supervisor sees the team's).
    pub messages_due: Vec<crate::read::message::MessageDue>,
}

/// How far back Today looks for booked appointments nobody closed off.
const CLOSE_OFF_DAYS: i64 = 31;

/// How far ahead Today looks for follow-ups and reviews.
const LOOKAHEAD_DAYS: i64 = 7;

pub fn today(conn: &Connection, worker_id: Uuid, on: NaiveDate) -> Result<Today> {
    let w = worker_id.to_string();
    Ok(Today {
        date: on,
        appointments: appointments_to_close_off(conn, &w, on)?,
        follow_ups: follow_ups_due(conn, Some(worker_id), on)?,
        waiting: waiting_for_first_contact(conn, &w, on)?,
        risk_reviews: reviews_due(conn, RISK_REVIEWS_SQL, &w, on)?,
        plan_reviews: reviews_due(conn, PLAN_REVIEWS_SQL, &w, on)?,
        messages_due: crate::read::message::messages_due(conn, worker_id, on)?,
    })
}

/// Booked appointments until they are closed off (attended, did not attend, cancelled):
/// today's, and any from the last month still waiting for an outcome.
fn appointments_to_close_off(
    conn: &Connection,
    w: &str,
    on: NaiveDate,
) -> Result<Vec<Appointment>> {
    let day_end = (on + chrono::Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    let mut stmt = conn.prepare_cached(
        "SELECT s.id, s.person_id, COALESCE(p.preferred_name, p.given_name) || ' ' || p.family_name,
                s.starts_at, s.mode, s.venue
         FROM session s JOIN person p ON p.id = s.person_id
         WHERE s.worker_id = ?1 AND s.starts_at >= ?2 AND s.starts_at < ?3 AND s.attendance = 'booked'
         ORDER BY s.starts_at",
    )?;
    let since = (on - chrono::Duration::days(CLOSE_OFF_DAYS))
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    let appointments = stmt
        .query_map(params![w, since, day_end], |r| {
            Ok(Appointment {
                session_id: crate::store::id_at(r, 0)?,
                person_id: crate::store::id_at(r, 1)?,
                person_name: r.get(2)?,
                starts_at: r.get(3)?,
                mode: r.get(4)?,
                venue: r.get(5)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;

    Ok(appointments)
}

/// New referrals nobody has reached yet, oldest first, with the attempts so far.
fn waiting_for_first_contact(
    conn: &Connection,
    w: &str,
    on: NaiveDate,
) -> Result<Vec<WaitingReferral>> {
    let mut stmt = conn.prepare_cached(
        "SELECT p.id, COALESCE(p.preferred_name, p.given_name) || ' ' || p.family_name, r.id, r.received_on,
                (SELECT COUNT(*) FROM contact_attempt a WHERE a.referral_id = r.id)
         FROM episode e JOIN referral r ON r.id = e.referral_id JOIN person p ON p.id = e.person_id
         WHERE e.worker_id = ?1 AND e.status IN ('referred', 'contacting') AND e.first_contact_on IS NULL
         ORDER BY r.received_on",
    )?;
    let waiting = stmt
        .query_map(params![w], |r| {
            let received_on: NaiveDate = r.get(3)?;
            Ok(WaitingReferral {
                person_id: crate::store::id_at(r, 0)?,
                person_name: r.get(1)?,
                referral_id: crate::store::id_at(r, 2)?,
                received_on,
                days_waiting: (on - received_on).num_days(),
                attempts: r.get(4)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;

    Ok(waiting)
}

/// Risk flags due for review (on or before the look-ahead) of people the worker supports.
const RISK_REVIEWS_SQL: &str = "SELECT f.id, p.id, COALESCE(p.preferred_name, p.given_name) || ' ' || p.family_name, f.kind, f.review_on
         FROM risk_flag f JOIN person p ON p.id = f.person_id
         WHERE f.active = 1 AND f.review_on <= ?2
           AND EXISTS (SELECT 1 FROM episode e WHERE e.person_id = p.id AND e.worker_id = ?1 AND e.status != 'closed')
         ORDER BY f.review_on";

/// The latest plan version of each person in the worker's open caseload, due for review.
const PLAN_REVIEWS_SQL: &str = "SELECT pl.id, p.id, COALESCE(p.preferred_name, p.given_name) || ' ' || p.family_name, 'wellbeing_plan', pl.review_on
         FROM episode e JOIN person p ON p.id = e.person_id
         JOIN wellbeing_plan pl ON pl.id = (SELECT id FROM wellbeing_plan x WHERE x.person_id = p.id ORDER BY x.written_on DESC, x.rowid DESC LIMIT 1)
         WHERE e.worker_id = ?1 AND e.status != 'closed' AND pl.review_on IS NOT NULL AND pl.review_on <= ?2
         ORDER BY pl.review_on";

/// Reviews due by `sql` (`?1` the worker, `?2` the look-ahead horizon), with days overdue.
fn reviews_due(conn: &Connection, sql: &str, w: &str, on: NaiveDate) -> Result<Vec<ReviewDue>> {
    let horizon = (on + chrono::Duration::days(LOOKAHEAD_DAYS)).to_string();
    let mut stmt = conn.prepare_cached(sql)?;
    let review = |r: &rusqlite::Row<'_>| {
        let review_on: NaiveDate = r.get(4)?;
        Ok(ReviewDue {
            id: crate::store::id_at(r, 0)?,
            person_id: crate::store::id_at(r, 1)?,
            person_name: r.get(2)?,
            what: r.get(3)?,
            review_on,
            days_overdue: (on - review_on).num_days(),
        })
    };
    let due = stmt
        .query_map(params![w, horizon], review)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(due)
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, optional_fields = nullable)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct CaseloadFilter {
    pub worker_id: Option<Uuid>,
    /// referred, contacting, active, closed; None means every open status.
    pub status: Option<String>,
    pub stage: Option<String>,
    /// "name" (default), "opened", "last_contact".
    pub sort: Option<String>,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct CaseloadRow {
    pub person_id: Uuid,
    pub episode_id: Uuid,
    pub name: String,
    pub status: String,
    pub stage: String,
    pub worker_id: Uuid,
    pub opened_on: NaiveDate,
    pub last_contact: Option<NaiveDateTime>,
    pub next_appointment: Option<NaiveDateTime>,
}

pub fn caseload(
    conn: &Connection,
    filter: &CaseloadFilter,
    now: NaiveDateTime,
) -> Result<Vec<CaseloadRow>> {
    let order = match filter.sort.as_deref() {
        Some("opened") => "e.opened_on, name",
        Some("last_contact") => "last_contact IS NULL, last_contact, name",
        _ => "name",
    };
    let now = now.format("%Y-%m-%dT%H:%M:%S").to_string();
    // Conditions are left out rather than written as "?1 IS NULL OR ...", which would stop
    // SQLite using the (worker, status) index and scan every episode.
    let worker = if filter.worker_id.is_some() {
        "e.worker_id = ?1"
    } else {
        "?1 IS NULL"
    };
    let status = if filter.status.is_some() {
        "e.status = ?2"
    } else {
        "e.status IN ('referred', 'contacting', 'active') AND ?2 IS NULL"
    };
    let stage = if filter.stage.is_some() {
        "e.stage = ?3"
    } else {
        "?3 IS NULL"
    };
    let sql = format!(
        "SELECT p.id, e.id, COALESCE(p.preferred_name, p.given_name) || ' ' || p.family_name AS name,
                e.status, e.stage, e.worker_id, e.opened_on,
                (SELECT MAX(s.starts_at) FROM session s WHERE s.person_id = p.id AND s.starts_at <= ?4 AND s.attendance = 'attended') AS last_contact,
                (SELECT MIN(s.starts_at) FROM session s WHERE s.person_id = p.id AND s.starts_at > ?4 AND s.attendance = 'booked')
         FROM episode e JOIN person p ON p.id = e.person_id
         WHERE {worker} AND {status} AND {stage}
         ORDER BY {order}"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(
        params![
            filter.worker_id.map(|w| w.to_string()),
            filter.status,
            filter.stage,
            now
        ],
        |r| {
            Ok(CaseloadRow {
                person_id: crate::store::id_at(r, 0)?,
                episode_id: crate::store::id_at(r, 1)?,
                name: r.get(2)?,
                status: r.get(3)?,
                stage: r.get(4)?,
                worker_id: crate::store::id_at(r, 5)?,
                opened_on: r.get(6)?,
                last_contact: r.get(7)?,
                next_appointment: r.get(8)?,
            })
        },
    )?;
    rows.collect::<Result<_, _>>().map_err(Into::into)
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct TimelineItem {
    pub at: String,
    /// referral, contact_attempt, session, note, measure, goal, onward_referral, handover, plan.
    pub kind: String,
    pub id: Uuid,
    pub summary: String,
}

/// A person's history, newest first.
pub fn timeline(conn: &Connection, person_id: Uuid) -> Result<Vec<TimelineItem>> {
    let mut stmt = conn.prepare_cached(
        "SELECT received_on, 'referral', id, 'Referral from ' || source FROM referral WHERE person_id = ?1
         UNION ALL
         SELECT a.attempted_at, 'contact_attempt', a.id, 'Contact attempt by ' || a.method || ': ' || a.outcome
           FROM contact_attempt a JOIN referral r ON r.id = a.referral_id WHERE r.person_id = ?1
         UNION ALL
         SELECT starts_at, 'session', id, mode || ' session, ' || attendance || COALESCE(' at ' || venue, '') FROM session WHERE person_id = ?1
         UNION ALL
         SELECT n.created_at, 'note', n.id,
                (SELECT CASE WHEN r.retracted THEN 'Note retracted: ' || COALESCE(r.reason, '') ELSE r.body END
                   FROM note_revision r WHERE r.note_id = n.id ORDER BY r.written_at DESC, r.rowid DESC LIMIT 1)
           FROM note n WHERE n.person_id = ?1
         UNION ALL
         SELECT taken_on, 'measure', id, instrument || ' (' || time_point || ')' FROM measure WHERE person_id = ?1
         UNION ALL
         SELECT set_on, 'goal', id, 'Goal: ' || text FROM goal WHERE person_id = ?1 AND archived = 0
         UNION ALL
         SELECT suggested_on, 'onward_referral', o.id, 'Onward referral to ' || s.name || ': ' || o.status
           FROM onward_referral o JOIN service s ON s.id = o.service_id WHERE o.person_id = ?1
         UNION ALL
         SELECT h.handed_on, 'handover', h.id, 'Handed over: ' || h.note
           FROM handover h JOIN episode e ON e.id = h.episode_id WHERE e.person_id = ?1
         UNION ALL
         SELECT written_on, 'plan', id, 'Wellbeing plan updated' FROM wellbeing_plan WHERE person_id = ?1
         ORDER BY 1 DESC",
    )?;
    let rows = stmt.query_map([person_id.to_string()], |r| {
        Ok(TimelineItem {
            at: r.get(0)?,
            kind: r.get(1)?,
            id: crate::store::id_at(r, 2)?,
            summary: r.get(3)?,
        })
    })?;
    rows.collect::<Result<_, _>>().map_err(Into::into)
}
