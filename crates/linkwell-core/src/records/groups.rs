//! What happens after an onward referral (issue 17 items 3 and 6): a group's capacity (places
//! per session and free, or just whether it has room), its waiting list (who is waiting and
//! since when), the sessions a linked person attended (take-up: enrolled, engaged, still
//! attending at 8 weeks, by `domain::take_up`), and what the group lead said about them.

use crate::domain::take_up::{self, Adherence};
use crate::domain::validate::{Checker, parse_date};
use crate::domain::vocabulary::{HasRoom, OnwardStatus, ServiceStatus, WaitEnd};
use crate::error::{CoreError, Result};
use crate::records::WireText;
use crate::records::directory::{OnwardReferral, Service, new_onward, note_agreed};
use crate::store::{self, Store, today};
use chrono::NaiveDate;
use linkwell_protocol::EntityKind as K;
use linkwell_protocol::Operation;
use serde::{Deserialize, Serialize};
use serde_json::Map;
use uuid::Uuid;

crate::store::record_kinds!(WaitingListEntry, GroupAttendance, LeadFeedback);

/// Most places a session may be said to have (a large walk, a choir).
const MOST_PLACES: u32 = 1000;

/// A group's room for someone new, as the team last heard it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(default)]
pub struct Capacity {
    pub places_per_session: Option<u32>,
    pub places_free: Option<u32>,
    /// Said when places are not counted; follows `places_free` when they are.
    pub has_room: HasRoom,
    /// When the team last heard it.
    pub capacity_on: Option<NaiveDate>,
}

impl Default for Capacity {
    fn default() -> Self {
        Capacity {
            places_per_session: None,
            places_free: None,
            has_room: HasRoom::Unknown,
            capacity_on: None,
        }
    }
}

/// The capacity form: numbers as typed, so a wrong one is named in words.
#[derive(Debug, Clone, Default, Deserialize, ts_rs::TS)]
#[ts(export, optional_fields = nullable)]
#[serde(deny_unknown_fields, default)]
pub struct CapacityInput {
    pub places_per_session: Option<String>,
    pub places_free: Option<String>,
    /// yes, no or unknown: used when places free is not given.
    pub has_room: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct WaitingListEntry {
    pub id: Uuid,
    pub person_id: Uuid,
    pub service_id: Uuid,
    pub onward_referral_id: Uuid,
    pub since_on: NaiveDate,
    /// Who put them on the list (the worker who referred them, as a rule).
    pub worker_id: Uuid,
    pub ended_on: Option<NaiveDate>,
    pub end_reason: Option<WaitEnd>,
}

#[derive(Debug, Clone, Default, Deserialize, ts_rs::TS)]
#[ts(export, optional_fields = nullable)]
#[serde(deny_unknown_fields, default)]
pub struct WaitingInput {
    #[ts(as = "Option<Uuid>", optional)]
    pub person_id: Uuid,
    #[ts(as = "Option<Uuid>", optional)]
    pub service_id: Uuid,
    /// Waiting since (defaults to today).
    pub since_on: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct GroupAttendance {
    pub id: Uuid,
    pub person_id: Uuid,
    pub service_id: Uuid,
    pub onward_referral_id: Uuid,
    pub attended_on: NaiveDate,
    pub worker_id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct LeadFeedback {
    pub id: Uuid,
    pub person_id: Uuid,
    pub onward_referral_id: Uuid,
    pub received_on: NaiveDate,
    pub from_whom: String,
    pub said: String,
    pub worker_id: Uuid,
}

#[derive(Debug, Clone, Default, Deserialize, ts_rs::TS)]
#[ts(export, optional_fields = nullable)]
#[serde(deny_unknown_fields, default)]
pub struct LeadFeedbackInput {
    /// When they said it (defaults to today).
    pub received_on: Option<String>,
    #[ts(as = "Option<String>", optional)]
    pub from_whom: String,
    #[ts(as = "Option<String>", optional)]
    pub said: String,
}

/// Take-up of one onward referral, as the person page shows it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct TakeUp {
    /// Sessions attended since the referral, oldest first.
    pub attended: Vec<NaiveDate>,
    pub enrolled: bool,
    pub engaged: bool,
    pub adherence: Adherence,
    /// "Still attending at 8 weeks", "Not attending at 8 weeks", "8 weeks on 12 Mar 2026"...
    pub adherence_label: String,
    /// The open wait for a place, if any.
    pub waiting: Option<WaitingListEntry>,
    pub lead_feedback: Vec<LeadFeedback>,
}

/// One person waiting for a place, as the group's page lists them.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Waiting {
    pub entry: WaitingListEntry,
    pub person_name: String,
    pub worker_name: String,
    #[ts(type = "number")]
    pub days_waiting: i64,
}

/// A whole number of places typed in a form, or None when left blank.
fn places(c: &mut Checker, field: &str, label: &str, v: Option<&str>) -> Option<u32> {
    let v = v.map(str::trim).filter(|v| !v.is_empty())?;
    match v.parse::<u32>() {
        Ok(n) if n <= MOST_PLACES => Some(n),
        Ok(_) => {
            c.fail(field, format!("{label} must be at most {MOST_PLACES}"));
            None
        }
        Err(_) => {
            c.fail(
                field,
                format!("{label} must be a whole number of places (e.g. 12), not \"{v}\""),
            );
            None
        }
    }
}

/// A day typed in a form that cannot be in the future; blank is today.
fn past_day(c: &mut Checker, field: &str, label: &str, v: Option<&str>) -> NaiveDate {
    let Some(v) = v.map(str::trim).filter(|v| !v.is_empty()) else {
        return today();
    };
    match parse_date(v) {
        Ok(d) if d > today() => {
            c.fail(field, format!("{label} cannot be in the future"));
            d
        }
        Ok(d) => d,
        Err(m) => {
            c.fail(field, format!("{label} {m}"));
            today()
        }
    }
}

/// Checks a capacity form: places free can be no more than places per session; with places
/// free known, whether the group has room follows from it.
pub fn check_capacity(input: &CapacityInput) -> Result<Capacity> {
    let mut c = Checker::new();
    let per = places(
        &mut c,
        "places_per_session",
        "Places per session",
        input.places_per_session.as_deref(),
    );
    let free = places(
        &mut c,
        "places_free",
        "Places free",
        input.places_free.as_deref(),
    );
    if let (Some(p), Some(f)) = (per, free)
        && f > p
    {
        c.fail(
            "places_free",
            format!("Places free ({f}) cannot be more than places per session ({p})"),
        );
    }
    let said = match input.has_room.as_deref().map(str::trim) {
        None | Some("") => HasRoom::Unknown,
        Some(s) => HasRoom::parse(s).unwrap_or_else(|| {
            c.fail(
                "has_room",
                format!("Has room must be one of: {}", HasRoom::labels()),
            );
            HasRoom::Unknown
        }),
    };
    c.finish()?;
    let has_room = match free {
        Some(0) => HasRoom::No,
        Some(_) => HasRoom::Yes,
        None => said,
    };
    Ok(Capacity {
        places_per_session: per,
        places_free: free,
        has_room,
        capacity_on: Some(today()),
    })
}

impl Store {
    /// Records a group's places and room as heard today (only those fields are written).
    pub fn set_capacity(&mut self, service_id: Uuid, input: &CapacityInput) -> Result<Service> {
        let mut s = self.service(service_id)?;
        let next = check_capacity(input)?;
        let mut m = Map::new();
        m.insert("places_per_session".into(), next.places_per_session.into());
        m.insert("places_free".into(), next.places_free.into());
        m.insert("has_room".into(), next.has_room.as_str().into());
        m.insert("capacity_on".into(), today().to_string().into());
        s.capacity = next;
        let id = s.id;
        self.write(|w| {
            w.record(K::Service, id, Operation::Update, m)?;
            Ok(s)
        })
    }

    /// Puts a person on a group's waiting list, under their open onward referral to it (made
    /// now, as "referral made", if there is none), in one transaction.
    pub fn join_waiting_list(&mut self, input: &WaitingInput) -> Result<WaitingListEntry> {
        self.person(input.person_id)?;
        let service = self.service(input.service_id)?;
        let mut c = Checker::new();
        let since_on = past_day(
            &mut c,
            "since_on",
            "Waiting since",
            input.since_on.as_deref(),
        );
        if service.status == ServiceStatus::Closed {
            c.fail("service_id", format!("{} has closed", service.name));
        }
        c.finish()?;
        let open = self
            .onward_referrals(input.person_id)?
            .into_iter()
            .find(|o| o.service_id == service.id && o.status.is_open());
        if let Some(o) = &open
            && let Some(w) = self.open_wait(o.id)?
        {
            return Err(CoreError::invalid(
                "since_on",
                format!(
                    "Already on the waiting list for {} since {}",
                    service.name,
                    w.since_on.format("%-d %b %Y")
                ),
            ));
        }
        self.write(|w| {
            let onward = match open {
                Some(o) => o,
                None => new_onward(w, input.person_id, service.id, OnwardStatus::ReferralMade)?,
            };
            let e = WaitingListEntry {
                id: w.new_id(),
                person_id: input.person_id,
                service_id: service.id,
                onward_referral_id: onward.id,
                since_on,
                worker_id: w.actor().worker_id,
                ended_on: None,
                end_reason: None,
            };
            w.create(&e)?;
            Ok(e)
        })
    }

    /// Ends a wait: they got a place, or are no longer waiting.
    pub fn end_wait(&mut self, entry_id: Uuid, reason: &str) -> Result<WaitingListEntry> {
        let mut e: WaitingListEntry = store::get(self.conn(), K::WaitingListEntry, entry_id)?;
        let Some(end) = WaitEnd::parse(reason) else {
            return Err(CoreError::invalid(
                "end_reason",
                format!("Say how the wait ended: {}", WaitEnd::labels()),
            ));
        };
        if e.ended_on.is_some() {
            return Ok(e);
        }
        e.ended_on = Some(today());
        e.end_reason = Some(end);
        let mut m = Map::new();
        m.insert("ended_on".into(), today().to_string().into());
        m.insert("end_reason".into(), end.as_str().into());
        self.write(|w| {
            w.record(K::WaitingListEntry, entry_id, Operation::Update, m)?;
            Ok(e)
        })
    }

    /// Records a session the person attended at the group they were referred to: moves the
    /// referral on to "attending" and ends any wait for a place (they got one).
    pub fn record_group_attendance(
        &mut self,
        onward_id: Uuid,
        attended_on: &str,
    ) -> Result<GroupAttendance> {
        let mut r: OnwardReferral = store::get(self.conn(), K::OnwardReferral, onward_id)?;
        let mut c = Checker::new();
        let on = past_day(
            &mut c,
            "attended_on",
            "The session's date",
            Some(attended_on),
        );
        if attended_on.trim().is_empty() {
            c.fail("attended_on", "Say the day of the session they came to");
        } else if on < r.suggested_on {
            c.fail(
                "attended_on",
                format!(
                    "The session's date is before the referral ({})",
                    r.suggested_on.format("%-d %b %Y")
                ),
            );
        }
        c.finish()?;
        if self.attended(onward_id)?.contains(&on) {
            return Err(CoreError::invalid(
                "attended_on",
                format!(
                    "Already recorded as attending on {}",
                    on.format("%-d %b %Y")
                ),
            ));
        }
        let wait = self.open_wait(onward_id)?;
        let mut m = Map::new();
        if !matches!(r.status, OnwardStatus::Attending | OnwardStatus::Stopped) {
            r.status = OnwardStatus::Attending;
            r.status_on = today();
            m.insert("status".into(), r.status.as_str().into());
            m.insert("status_on".into(), today().to_string().into());
        }
        note_agreed(&mut r, &mut m);
        self.write(|w| {
            if !m.is_empty() {
                w.record(K::OnwardReferral, onward_id, Operation::Update, m)?;
            }
            if let Some(e) = wait {
                let mut end = Map::new();
                end.insert("ended_on".into(), today().to_string().into());
                end.insert("end_reason".into(), WaitEnd::GotPlace.as_str().into());
                w.record(K::WaitingListEntry, e.id, Operation::Update, end)?;
            }
            let a = GroupAttendance {
                id: w.new_id(),
                person_id: r.person_id,
                service_id: r.service_id,
                onward_referral_id: onward_id,
                attended_on: on,
                worker_id: w.actor().worker_id,
            };
            w.create(&a)?;
            Ok(a)
        })
    }

    /// Records what the group lead said about the person (from whom, when, what).
    pub fn record_lead_feedback(
        &mut self,
        onward_id: Uuid,
        input: &LeadFeedbackInput,
    ) -> Result<LeadFeedback> {
        let r: OnwardReferral = store::get(self.conn(), K::OnwardReferral, onward_id)?;
        let mut c = Checker::new();
        let received_on = past_day(
            &mut c,
            "received_on",
            "When they said it",
            input.received_on.as_deref(),
        );
        let from_whom = c.text(
            K::LeadFeedback,
            "from_whom",
            "Who said it",
            &input.from_whom,
        );
        let said = c.text(K::LeadFeedback, "said", "What they said", &input.said);
        c.finish()?;
        self.write(|w| {
            let f = LeadFeedback {
                id: w.new_id(),
                person_id: r.person_id,
                onward_referral_id: onward_id,
                received_on,
                from_whom,
                said,
                worker_id: w.actor().worker_id,
            };
            w.create(&f)?;
            Ok(f)
        })
    }

    /// The days the person attended under one onward referral, oldest first.
    pub fn attended(&self, onward_id: Uuid) -> Result<Vec<NaiveDate>> {
        let rows: Vec<GroupAttendance> = store::get_where(
            self.conn(),
            K::GroupAttendance,
            "onward_referral_id = ?1",
            &onward_id.to_string(),
            "attended_on, id",
        )?;
        Ok(rows.into_iter().map(|a| a.attended_on).collect())
    }

    fn open_wait(&self, onward_id: Uuid) -> Result<Option<WaitingListEntry>> {
        let rows: Vec<WaitingListEntry> = store::get_where(
            self.conn(),
            K::WaitingListEntry,
            "onward_referral_id = ?1 AND ended_on IS NULL",
            &onward_id.to_string(),
            "since_on, id",
        )?;
        Ok(rows.into_iter().next())
    }

    /// Take-up of one onward referral as of today.
    pub fn take_up(&self, r: &OnwardReferral) -> Result<TakeUp> {
        let attended = self.attended(r.id)?;
        let adherence = take_up::adherence(&attended, today());
        let adherence_label = match (adherence, attended.first()) {
            (Adherence::TooSoon, Some(first)) => format!(
                "8 weeks on {}",
                (*first + chrono::Duration::days(take_up::ADHERENCE_DAYS)).format("%-d %b %Y")
            ),
            (Adherence::StillAttending, _) => "Still attending at 8 weeks".into(),
            (Adherence::NotAttending, _) => "Not attending at 8 weeks".into(),
            _ => "No session attended yet".into(),
        };
        Ok(TakeUp {
            enrolled: take_up::enrolled(r.status, r.agreed_on, &attended),
            engaged: take_up::engaged(r.status, &attended),
            adherence,
            adherence_label,
            waiting: self.open_wait(r.id)?,
            lead_feedback: store::get_where(
                self.conn(),
                K::LeadFeedback,
                "onward_referral_id = ?1",
                &r.id.to_string(),
                "received_on, id",
            )?,
            attended,
        })
    }

    /// Who is waiting for a place in a group, longest waiting first (those this laptop holds:
    /// the team's people, as with every person-linked record).
    pub fn waiting_list(&self, service_id: Uuid) -> Result<Vec<Waiting>> {
        let rows: Vec<WaitingListEntry> = store::get_where(
            self.conn(),
            K::WaitingListEntry,
            "service_id = ?1 AND ended_on IS NULL",
            &service_id.to_string(),
            "since_on, id",
        )?;
        rows.into_iter()
            .map(|entry| {
                let person = self.person(entry.person_id)?;
                let worker_name = self
                    .worker(entry.worker_id)
                    .map_or_else(|_| "Another worker".to_string(), |w| w.name);
                Ok(Waiting {
                    person_name: person.full_name(),
                    worker_name,
                    days_waiting: (today() - entry.since_on).num_days(),
                    entry,
                })
            })
            .collect()
    }
}
