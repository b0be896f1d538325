//! Records in, report facts out: the one mapping from the records as the wire holds them
//! (each a JSON object of its registry fields, `id` included) to a [`ReportInput`]. The laptop
//! feeds it its tables (`linkwell_core::read::report`), the server its records' current
//! field values (`linkwell_server::storage::report`), so the two scopes cannot disagree: the
//! same records give the same figures, whoever holds them. Follow-up states come from the
//! one follow-up rule (`linkwell_domain::follow_up`).
//!
//! Order never matters: every list is sorted here by a key both sides have (dates, then
//! ids), so ties (two measures on one day, two decisions on one day) resolve the same way.

use crate::{
    FollowUpFact, FollowUpOutcome, MeasureFact, OnwardFact, Period, ReferralFact, ReportInput,
    Scope, SessionFact, WorkerFact,
};
use chrono::NaiveDate;
use linkwell_domain::follow_up::{self as rule, State};
use linkwell_domain::vocabulary::{
    Attendance, ClosingReason, FollowUpDecisionKind, Instrument, OnwardStatus, ReferralSource,
    ServiceCategory, TimePoint,
};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};

/// One record: its registry fields and `id`.
pub type Record = Map<String, Value>;

/// The kinds of record a report reads (by their wire names), and the fields of each it needs:
/// a reader may load only these.
pub const READS: &[(&str, &[&str])] = &[
    ("referral", &["person_id", "source", "received_on"]),
    (
        "episode",
        &[
            "person_id",
            "referral_id",
            "worker_id",
            "status",
            "opened_on",
            "first_contact_on",
            "closed_on",
            "closing_reason",
        ],
    ),
    (
        "session",
        &["person_id", "episode_id", "starts_at", "attendance"],
    ),
    (
        "measure",
        &[
            "person_id",
            "instrument",
            "time_point",
            "taken_on",
            "score",
            "items",
        ],
    ),
    (
        "follow_up_decision",
        &[
            "person_id",
            "time_point",
            "decision",
            "decided_on",
            "instrument",
            "due_on",
            "remind_on",
        ],
    ),
    (
        "follow_up_schedule",
        &[
            "instrument",
            "t1_months",
            "t2_months",
            "every_months",
            "recorded_on",
        ],
    ),
    ("consent", &["person_id", "kind", "given", "recorded_on"]),
    ("worker", &["name"]),
    (
        "onward_referral",
        &[
            "person_id",
            "service_id",
            "status",
            "suggested_on",
            "agreed_on",
        ],
    ),
    ("group_attendance", &["onward_referral_id", "attended_on"]),
    ("service", &["categories"]),
];

/// The records a report is made from, kind by kind.
#[derive(Debug, Clone, Default)]
pub struct Records {
    pub referrals: Vec<Record>,
    pub episodes: Vec<Record>,
    pub sessions: Vec<Record>,
    pub measures: Vec<Record>,
    pub follow_up_decisions: Vec<Record>,
    pub follow_up_schedules: Vec<Record>,
    pub consents: Vec<Record>,
    pub workers: Vec<Record>,
    pub onward_referrals: Vec<Record>,
    pub group_attendances: Vec<Record>,
    pub services: Vec<Record>,
}

impl Records {
    /// The list for a kind's wire name (see [`READS`]).
    pub fn of_kind(&mut self, kind: &str) -> Option<&mut Vec<Record>> {
        Some(match kind {
            "referral" => &mut self.referrals,
            "episode" => &mut self.episodes,
            "session" => &mut self.sessions,
            "measure" => &mut self.measures,
            "follow_up_decision" => &mut self.follow_up_decisions,
            "follow_up_schedule" => &mut self.follow_up_schedules,
            "consent" => &mut self.consents,
            "worker" => &mut self.workers,
            "onward_referral" => &mut self.onward_referrals,
            "group_attendance" => &mut self.group_attendances,
            "service" => &mut self.services,
            _ => return None,
        })
    }
}

fn text<'a>(r: &'a Record, field: &str) -> Option<&'a str> {
    r.get(field).and_then(Value::as_str)
}

fn day(r: &Record, field: &str) -> Option<NaiveDate> {
    text(r, field)
        .and_then(|s| s.get(..10))
        .and_then(|d| d.parse().ok())
}

fn int(r: &Record, field: &str) -> Option<i64> {
    r.get(field).and_then(Value::as_i64)
}

/// A stored boolean: true/false on the wire, 1/0 in a database column.
fn flag(r: &Record, field: &str) -> bool {
    match r.get(field) {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_i64() == Some(1),
        _ => false,
    }
}

fn id(r: &Record) -> &str {
    text(r, "id").unwrap_or("")
}

/// Sorted by a day field, then id.
fn sorted<'a>(rows: &'a [Record], field: &str) -> Vec<&'a Record> {
    let mut v: Vec<&'a Record> = rows.iter().collect();
    // Each key worked out once (a date parsed per comparison was most of a report's time).
    v.sort_by_cached_key(|r: &&'a Record| {
        let r: &'a Record = r;
        (day(r, field), id(r))
    });
    v
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

/// The facts of `scope` over `records`: every referral (and its episode), or with
/// `only_worker` only those whose episode is that worker's; the sessions, measures and
/// follow-ups of the people they concern.
pub fn input(
    records: &Records,
    scope: Scope,
    period: Period,
    on: NaiveDate,
    only_worker: Option<&str>,
) -> ReportInput {
    // A referral's episode: its first opened.
    let mut episode_of: HashMap<&str, &Record> = HashMap::new();
    for e in sorted(&records.episodes, "opened_on") {
        if let Some(r) = text(e, "referral_id") {
            episode_of.entry(r).or_insert(e);
        }
    }
    let mut people = Keys::default();
    let mut workers = Keys::default();
    let mut worker_ids: Vec<String> = Vec::new();
    let mut referral_of_episode: HashMap<&str, usize> = HashMap::new();
    let mut referrals = Vec::new();
    for r in sorted(&records.referrals, "received_on") {
        let ep = episode_of.get(id(r)).copied();
        let worker_id = ep.and_then(|e| text(e, "worker_id"));
        if only_worker.is_some() && worker_id != only_worker {
            continue;
        }
        let (Some(source), Some(received_on), Some(person)) = (
            text(r, "source").and_then(ReferralSource::parse),
            day(r, "received_on"),
            text(r, "person_id"),
        ) else {
            continue;
        };
        let worker = worker_id.map(|w| {
            let k = workers.key(w);
            if k as usize == worker_ids.len() {
                worker_ids.push(w.to_string());
            }
            k
        });
        if let Some(e) = ep {
            referral_of_episode.insert(id(e), referrals.len());
        }
        referrals.push(ReferralFact {
            person: people.key(person),
            source,
            received_on,
            worker,
            first_contact_on: ep.and_then(|e| day(e, "first_contact_on")),
            closed_on: ep.and_then(|e| day(e, "closed_on")),
            closing_reason: ep
                .and_then(|e| text(e, "closing_reason"))
                .and_then(ClosingReason::parse),
        });
    }
    let names: HashMap<&str, &str> = records
        .workers
        .iter()
        .filter_map(|w| Some((id(w), text(w, "name")?)))
        .collect();
    let workers = worker_ids
        .iter()
        .map(|w| WorkerFact {
            label: names
                .get(w.as_str())
                .unwrap_or(&"Unknown worker")
                .to_string(),
        })
        .collect();
    let key_of = |p: Option<&str>| p.and_then(|p| people.0.get(p).copied());

    let mut sessions = Vec::new();
    for s in sorted(&records.sessions, "starts_at") {
        let Some(person) = key_of(text(s, "person_id")) else {
            continue;
        };
        let (Some(on), Some(attendance)) = (
            day(s, "starts_at"),
            text(s, "attendance").and_then(Attendance::parse),
        ) else {
            continue;
        };
        let referral = text(s, "episode_id").and_then(|e| referral_of_episode.get(e).copied());
        sessions.push(SessionFact {
            person,
            referral,
            on,
            attendance,
        });
    }

    let mut measures = Vec::new();
    for m in sorted(&records.measures, "taken_on") {
        let Some(person) = key_of(text(m, "person_id")) else {
            continue;
        };
        let (Some(instrument), Some(time_point), Some(taken_on)) = (
            text(m, "instrument").and_then(Instrument::parse),
            text(m, "time_point").and_then(TimePoint::parse),
            day(m, "taken_on"),
        ) else {
            continue;
        };
        // Item answers only when every one is a whole number (a skipped item is not a zero).
        let items = match m.get("items") {
            Some(Value::Array(a)) => a.iter().map(Value::as_i64).collect::<Option<Vec<_>>>(),
            Some(Value::String(s)) => serde_json::from_str::<Vec<i64>>(s).ok(),
            _ => None,
        };
        measures.push(MeasureFact {
            person,
            instrument,
            time_point,
            taken_on,
            score: m.get("score").and_then(Value::as_f64),
            items: items.unwrap_or_default(),
        });
    }

    let follow_ups = follow_ups(records, &people);
    let onward = onward(records, &people);
    ReportInput {
        scope,
        period,
        data_date: on,
        workers,
        referrals,
        sessions,
        measures,
        follow_ups,
        onward,
    }
}

/// A list field: a JSON array on the wire, its text in a database column.
fn texts(r: &Record, field: &str) -> Vec<String> {
    match r.get(field) {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Some(Value::String(s)) => serde_json::from_str(s).unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// The onward referrals of the people in scope, with the group's main category and the days
/// a session was attended.
fn onward(records: &Records, people: &Keys) -> Vec<OnwardFact> {
    let category: HashMap<&str, ServiceCategory> = records
        .services
        .iter()
        .filter_map(|s| {
            let first = texts(s, "categories").into_iter().next()?;
            Some((id(s), ServiceCategory::parse(&first)?))
        })
        .collect();
    let mut attended: HashMap<&str, Vec<NaiveDate>> = HashMap::new();
    for a in sorted(&records.group_attendances, "attended_on") {
        if let (Some(o), Some(d)) = (text(a, "onward_referral_id"), day(a, "attended_on")) {
            attended.entry(o).or_default().push(d);
        }
    }
    let mut out = Vec::new();
    for o in sorted(&records.onward_referrals, "suggested_on") {
        let (Some(person), Some(status), Some(suggested_on)) = (
            text(o, "person_id").and_then(|p| people.0.get(p).copied()),
            text(o, "status").and_then(OnwardStatus::parse),
            day(o, "suggested_on"),
        ) else {
            continue;
        };
        out.push(OnwardFact {
            person,
            category: text(o, "service_id").and_then(|s| category.get(s).copied()),
            suggested_on,
            status,
            agreed_on: day(o, "agreed_on"),
            attended: attended.get(id(o)).cloned().unwrap_or_default(),
        });
    }
    out
}

/// Each person's T1 and T2 follow-ups and where they stand, by the follow-up rule over all
/// of the person's measures, decisions, episodes and consents.
fn follow_ups(records: &Records, people: &Keys) -> Vec<FollowUpFact> {
    let schedules: Vec<rule::Schedule> = sorted(&records.follow_up_schedules, "recorded_on")
        .into_iter()
        .filter_map(|s| {
            Some(rule::Schedule {
                instrument: text(s, "instrument").and_then(Instrument::parse)?,
                t1_months: int(s, "t1_months"),
                t2_months: int(s, "t2_months"),
                every_months: int(s, "every_months"),
            })
        })
        .collect();
    let mut facts: BTreeMap<u32, rule::Facts> = BTreeMap::new();
    let of = |r: &Record| text(r, "person_id").and_then(|p| people.0.get(p).copied());
    for m in sorted(&records.measures, "taken_on") {
        let (Some(k), Some(i), Some(t), Some(d)) = (
            of(m),
            text(m, "instrument").and_then(Instrument::parse),
            text(m, "time_point").and_then(TimePoint::parse),
            day(m, "taken_on"),
        ) else {
            continue;
        };
        facts.entry(k).or_default().measures.push((i, t, d));
    }
    for e in &records.episodes {
        if let Some(k) = of(e)
            && text(e, "status") != Some("closed")
        {
            facts.entry(k).or_default().supported = true;
        }
    }
    for d in sorted(&records.follow_up_decisions, "decided_on") {
        let (Some(k), Some(time_point), Some(decision), Some(decided_on)) = (
            of(d),
            text(d, "time_point").and_then(TimePoint::parse),
            text(d, "decision").and_then(FollowUpDecisionKind::parse),
            day(d, "decided_on"),
        ) else {
            continue;
        };
        facts.entry(k).or_default().decisions.push(rule::Decision {
            time_point,
            instrument: text(d, "instrument").and_then(Instrument::parse),
            decision,
            decided_on,
            due_on: day(d, "due_on"),
            remind_on: day(d, "remind_on"),
            note: None,
        });
    }
    // The latest word on being contacted decides; no record means no withdrawal.
    let mut contact: BTreeMap<u32, (bool, NaiveDate)> = BTreeMap::new();
    for c in sorted(&records.consents, "recorded_on") {
        if let (Some(k), Some("contact"), Some(d)) = (of(c), text(c, "kind"), day(c, "recorded_on"))
        {
            contact.insert(k, (flag(c, "given"), d));
        }
    }
    for (k, (given, d)) in contact {
        if !given && let Some(f) = facts.get_mut(&k) {
            f.contact_withdrawn = Some(d);
        }
    }
    let mut out = Vec::new();
    for (person, f) in &facts {
        for s in f.singles(&schedules) {
            if !matches!(s.time_point, TimePoint::T1 | TimePoint::T2) {
                continue;
            }
            out.push(FollowUpFact {
                person: *person,
                time_point: s.time_point,
                due_on: s.due_on,
                outcome: match s.state {
                    State::Open => FollowUpOutcome::Open,
                    State::Recorded => FollowUpOutcome::Recorded,
                    State::Declined => FollowUpOutcome::Declined,
                    State::NotPossible => FollowUpOutcome::NotPossible,
                    State::ContactWithdrawn => FollowUpOutcome::ContactWithdrawn,
                },
            });
        }
    }
    out
}
