//! A person's whole record for the person screen, as one typed answer (its TypeScript type is
//! generated for the UI). Opening it is recorded in the audit trail; a supervisor also gets
//! the trail itself.

use crate::domain::vocabulary::{self, Instrument};
use crate::error::Result;
use crate::read::caseload::{self, TimelineItem};
use crate::read::completeness;
use crate::records::audit::AuditEntry;
use crate::records::contacts::{NoteWithHistory, Session};
use crate::records::directory::OnwardReferral;
use crate::records::follow_ups::FollowUpDue;
use crate::records::measures::{InstrumentForm, Measure};
use crate::records::pathway::{ContactAttempt, Episode, Handover, Referral};
use crate::records::people::{Consent, Person, RiskFlag};
use crate::records::plans::{GoalDetail, WellbeingPlan};
use crate::store::{Store, today};
use chrono::NaiveDate;
use serde::Serialize;
use ts_rs::TS;
use uuid::Uuid;

#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct PersonRecord {
    pub person: Person,
    pub display_name: String,
    pub full_name: String,
    pub consents: Vec<Consent>,
    pub risk_flags: Vec<RiskFlagView>,
    pub referrals: Vec<ReferralView>,
    pub episodes: Vec<EpisodeView>,
    pub open_episode: Option<Episode>,
    pub sessions: Vec<Session>,
    pub notes: Vec<NoteWithHistory>,
    pub plan: Option<WellbeingPlan>,
    #[ts(type = "number")]
    pub plan_versions: usize,
    pub goals: Vec<GoalDetail>,
    /// The latest rating of each goal in words (as `goals`, in order), if rated.
    pub goal_words: Vec<Option<String>>,
    pub attainment: Option<f64>,
    pub measures: Vec<MeasureView>,
    pub ons4_bands: Option<Ons4Bands>,
    /// Every follow-up, open or ended: the same rule as Today's list (`on_today`).
    pub follow_ups: Vec<FollowUpDue>,
    /// Each instrument's form as this laptop may use it (licences that have arrived).
    pub instrument_forms: Vec<InstrumentForm>,
    /// What's missing: gaps to close in the session.
    pub missing: Vec<completeness::Gap>,
    pub onward: Vec<OnwardView>,
    pub timeline: Vec<TimelineItem>,
    /// Who opened, printed or exported this record: only for a supervisor, otherwise null.
    pub audit_trail: Option<Vec<AuditEntry>>,
}

/// A risk flag with whether its review date has come (the same rule as Today's list).
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct RiskFlagView {
    #[serde(flatten)]
    pub flag: RiskFlag,
    pub review_due: bool,
}

#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct ReferralView {
    pub referral: Referral,
    pub attempts: Vec<ContactAttempt>,
}

#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct EpisodeView {
    pub episode: Episode,
    pub handovers: Vec<Handover>,
    pub worker_name: Option<String>,
}

#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct MeasureView {
    pub measure: Measure,
    pub summary: String,
    pub instrument_label: String,
    pub time_point_label: String,
}

#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct OnwardView {
    pub onward: OnwardReferral,
    pub service_name: Option<String>,
    pub status_label: String,
    /// Still under way: the core refuses a second referral to the same service meanwhile.
    pub open: bool,
    /// Sessions attended, 8 weeks on, the wait for a place and the group lead's feedback.
    pub take_up: crate::records::groups::TakeUp,
}

/// The latest ONS4 answers in words (bands), for the summary.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct Ons4Bands {
    pub taken_on: NaiveDate,
    pub life_satisfaction: String,
    pub worthwhile: String,
    pub happiness: String,
    pub anxiety: String,
}

/// Reads a person's record and records that it was opened.
pub fn person_record(store: &mut Store, person_id: Uuid) -> Result<PersonRecord> {
    let person = store.person(person_id)?;
    store.record_view(person_id)?;
    let audit_trail = if store.can_see_audit_trail().unwrap_or(false) {
        Some(store.audit_trail(person_id)?)
    } else {
        None
    };
    let measures = store.measures(person_id)?;
    let on = today();
    let goals = store.goals(person_id)?;
    let (consents, plan) = (store.consents(person_id)?, store.wellbeing_plan(person_id)?);
    let (open_episode, follow_ups) = (store.open_episode(person_id)?, store.follow_ups(person_id)?);
    let missing = completeness::gaps(&completeness::Facts {
        measures: &measures,
        follow_ups: &follow_ups,
        consents: &consents,
        plan: plan.as_ref(),
        supported: open_episode.is_some(),
        on,
    });
    Ok(PersonRecord {
        display_name: person.display_name().to_string(),
        full_name: person.full_name(),
        person,
        consents,
        risk_flags: risk_flags(store, person_id, on)?,
        referrals: referrals(store, person_id)?,
        episodes: episodes(store, person_id)?,
        open_episode,
        sessions: store.sessions(person_id)?,
        notes: store.notes(person_id)?,
        plan,
        plan_versions: store.wellbeing_plan_history(person_id)?.len(),
        goal_words: goals
            .iter()
            .map(|g| {
                g.ratings
                    .last()
                    .map(|r| vocabulary::attainment_words(r.score).to_string())
            })
            .collect(),
        goals,
        attainment: store.goal_attainment(person_id)?,
        ons4_bands: ons4_bands(&measures),
        follow_ups,
        instrument_forms: store.instrument_forms()?,
        missing,
        measures: measures.iter().map(measure_view).collect(),
        onward: onward(store, person_id)?,
        timeline: caseload::timeline(store.conn(), person_id)?,
        audit_trail,
    })
}

fn risk_flags(store: &Store, person_id: Uuid, on: NaiveDate) -> Result<Vec<RiskFlagView>> {
    Ok(store
        .risk_flags(person_id)?
        .into_iter()
        .map(|flag| RiskFlagView {
            review_due: flag.review_due(on),
            flag,
        })
        .collect())
}

fn referrals(store: &Store, person_id: Uuid) -> Result<Vec<ReferralView>> {
    store
        .referrals(person_id)?
        .into_iter()
        .map(|referral| {
            let attempts = store.contact_attempts(referral.id)?;
            Ok(ReferralView { referral, attempts })
        })
        .collect()
}

fn episodes(store: &Store, person_id: Uuid) -> Result<Vec<EpisodeView>> {
    store
        .episodes(person_id)?
        .into_iter()
        .map(|episode| {
            let handovers = store.handovers(episode.id)?;
            let worker_name = store.worker(episode.worker_id).ok().map(|w| w.name);
            Ok(EpisodeView {
                episode,
                handovers,
                worker_name,
            })
        })
        .collect()
}

fn measure_view(m: &Measure) -> MeasureView {
    MeasureView {
        summary: m.summary(),
        instrument_label: m.instrument.label().to_string(),
        time_point_label: m.time_point.label().to_string(),
        measure: m.clone(),
    }
}

fn onward(store: &Store, person_id: Uuid) -> Result<Vec<OnwardView>> {
    store
        .onward_referrals(person_id)?
        .into_iter()
        .map(|onward| {
            Ok(OnwardView {
                service_name: store.service(onward.service_id).ok().map(|s| s.name),
                status_label: onward.status.label().to_string(),
                open: onward.status.is_open(),
                take_up: store.take_up(&onward)?,
                onward,
            })
        })
        .collect()
}

/// The latest ONS4 items in words (bands), for the summary.
fn ons4_bands(measures: &[Measure]) -> Option<Ons4Bands> {
    let m = measures
        .iter()
        .filter(|m| m.instrument == Instrument::Ons4 && m.items.len() == 4)
        .max_by_key(|m| m.taken_on)?;
    let band = |i: usize, anxiety: bool| {
        let v = u8::try_from(m.items[i].clamp(0, 10)).unwrap_or(0);
        if anxiety {
            vocabulary::ons4_anxiety_band(v)
        } else {
            vocabulary::ons4_positive_band(v)
        }
        .to_string()
    };
    Some(Ons4Bands {
        taken_on: m.taken_on,
        life_satisfaction: band(0, false),
        worthwhile: band(1, false),
        happiness: band(2, false),
        anxiety: band(3, true),
    })
}
