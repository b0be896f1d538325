//! One person's journey: referral, contact attempts, episodes of support with their status
//! state machine, handover between workers, closing and re-referral.

use crate::domain::validate::Checker;
use crate::domain::vocabulary::{
    ClosingReason, ConsentKind, ContactMethod, ContactOutcome, EpisodeStatus, ReferralReason,
    ReferralSource, SnomedCode, Stage,
};
use crate::error::{CoreError, Refusal, Result};
use crate::records::WireText;
use crate::records::people::{
    Consent, Person, PersonFields, PersonInput, PersonMatch, person_fields,
};
use crate::store::{self, Store, Writer, today};
use chrono::{NaiveDate, NaiveDateTime};
use linkwell_protocol::EntityKind as K;
use linkwell_protocol::{EntityKind, Operation};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

crate::store::record_kinds!(ContactAttempt, Episode, Handover, Referral);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct Referral {
    pub id: Uuid,
    pub person_id: Uuid,
    pub source: ReferralSource,
    pub referrer_name: Option<String>,
    pub referrer_practice: Option<String>,
    pub received_on: NaiveDate,
    pub reasons: Vec<ReferralReason>,
    pub conditions: Vec<String>,
    pub snomed_code: Option<SnomedCode>,
    pub consent_to_contact: bool,
    pub detail: Option<String>,
    /// The referrer's record; old referrals have only the free-text name and practice.
    #[serde(default)]
    pub referrer_id: Option<Uuid>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, optional_fields = nullable)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct ReferralInput {
    #[ts(as = "Option<String>", optional)]
    pub source: String,
    pub referrer_name: Option<String>,
    pub referrer_practice: Option<String>,
    #[ts(as = "Option<String>", optional)]
    pub received_on: String,
    #[ts(as = "Option<Vec<String>>", optional)]
    pub reasons: Vec<String>,
    #[ts(as = "Option<Vec<String>>", optional)]
    pub conditions: Vec<String>,
    pub snomed_code: Option<String>,
    #[ts(as = "Option<bool>", optional)]
    pub consent_to_contact: bool,
    pub detail: Option<String>,
    /// The referrer chosen from (or just added to) the team's list.
    pub referrer_id: Option<Uuid>,
}

/// A new referral for someone not yet known: the person, the referral and who takes it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, optional_fields = nullable)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct NewReferral {
    #[ts(as = "Option<PersonInput>", optional)]
    pub person: PersonInput,
    #[ts(as = "Option<ReferralInput>", optional)]
    pub referral: ReferralInput,
    /// Health coach or link worker; defaults to the taker's own stage.
    pub stage: Option<String>,
    /// Defaults to the worker taking the referral.
    pub worker_id: Option<Uuid>,
    /// The worker said this is someone already known: a re-referral onto their record.
    pub same_person_as: Option<Uuid>,
    /// The likely matches the worker said are other people (recorded on the new record with
    /// who decided).
    #[ts(as = "Option<Vec<Uuid>>", optional)]
    pub different_from: Vec<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct Episode {
    pub id: Uuid,
    pub person_id: Uuid,
    pub referral_id: Uuid,
    pub stage: Stage,
    pub worker_id: Uuid,
    pub status: EpisodeStatus,
    pub opened_on: NaiveDate,
    pub first_contact_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    pub closing_reason: Option<ClosingReason>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct ContactAttempt {
    pub id: Uuid,
    pub referral_id: Uuid,
    pub attempted_at: NaiveDateTime,
    pub method: ContactMethod,
    pub outcome: ContactOutcome,
    pub note: Option<String>,
    pub worker_id: Uuid,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, optional_fields = nullable)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct ContactAttemptInput {
    #[ts(as = "Option<String>", optional)]
    pub attempted_at: String,
    #[ts(as = "Option<String>", optional)]
    pub method: String,
    #[ts(as = "Option<String>", optional)]
    pub outcome: String,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct Handover {
    pub id: Uuid,
    pub episode_id: Uuid,
    pub from_worker_id: Uuid,
    pub to_worker_id: Uuid,
    pub to_stage: Stage,
    pub handed_on: NaiveDate,
    pub note: String,
}

/// A pick-list answer as its vocabulary value; blank or not offered, the field's error in a
/// worker's words.
pub(crate) fn pick<T>(
    c: &mut Checker,
    field: &str,
    what: &str,
    typed: &str,
    parse: fn(&str) -> Option<T>,
    labels: fn() -> String,
) -> Option<T> {
    let value = parse(typed);
    if value.is_none() {
        c.fail(field, choose(what, typed, labels()));
    }
    value
}

/// A worker's words for a pick list left blank or given something it does not offer.
pub(crate) fn choose(what: &str, typed: &str, labels: String) -> String {
    if typed.trim().is_empty() {
        format!("Choose {what}")
    } else {
        format!(
            "\"{}\" is not one of the choices for {what}: {labels}",
            typed.trim()
        )
    }
}

fn referral_fields(c: &mut Checker, i: &ReferralInput, today: NaiveDate) -> Referral {
    let source = pick(
        c,
        "source",
        "who referred them",
        &i.source,
        ReferralSource::parse,
        ReferralSource::labels,
    );
    let received_on = c.date("received_on", "Date received", &i.received_on);
    if received_on.is_some_and(|d| d > today) {
        c.fail("received_on", "Date received cannot be in the future");
    }
    let reasons = referral_reasons(c, &i.reasons);
    let conditions: Vec<String> = i
        .conditions
        .iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if conditions.iter().any(|s| s.chars().count() > 120) {
        c.fail(
            "conditions",
            "Each long-term condition must be at most 120 characters",
        );
    }
    let snomed_code = snomed_code(c, i.snomed_code.as_deref());
    Referral {
        id: Uuid::nil(),
        person_id: Uuid::nil(),
        source: source.unwrap_or(ReferralSource::Gp),
        referrer_name: c.optional_text(
            K::Referral,
            "referrer_name",
            "Referrer",
            i.referrer_name.as_deref(),
        ),
        referrer_practice: c.optional_text(
            K::Referral,
            "referrer_practice",
            "Referrer's practice",
            i.referrer_practice.as_deref(),
        ),
        received_on: received_on.unwrap_or(today),
        reasons,
        conditions,
        snomed_code,
        consent_to_contact: i.consent_to_contact,
        detail: c.optional_text(
            K::Referral,
            "detail",
            "Referral detail",
            i.detail.as_deref(),
        ),
        referrer_id: i.referrer_id,
    }
}

/// The reasons for a referral, each once; at least one.
fn referral_reasons(c: &mut Checker, given: &[String]) -> Vec<ReferralReason> {
    let mut reasons = Vec::new();
    for r in given {
        match ReferralReason::parse(r) {
            Some(r) if !reasons.contains(&r) => reasons.push(r),
            Some(_) => {}
            None => c.fail(
                "reasons",
                choose("a reason for referral", r, ReferralReason::labels()),
            ),
        }
    }
    if given.is_empty() {
        c.fail("reasons", "Give at least one reason for the referral");
    }
    reasons
}

/// The SNOMED CT code a referral is recorded under, if one is given: one Linkwell records.
fn snomed_code(c: &mut Checker, typed: Option<&str>) -> Option<SnomedCode> {
    match typed.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => {
            let code = SnomedCode::parse(s);
            if code.is_none() {
                c.fail(
                    "snomed_code",
                    format!(
                        "SNOMED CT code {s} is not one Linkwell records (871731000000106 referral to social prescribing service, 871711000000103 social prescribing declined)"
                    ),
                );
            }
            code
        }
    }
}

/// Consent to contact ticked on a referral is a consent decision like any other: recorded as one,
/// so the person's consents show it (unticked records nothing: not asked is not refused).
fn record_contact_consent(w: &mut Writer, referral: &Referral) -> Result<()> {
    if referral.consent_to_contact {
        let consent = Consent {
            id: w.new_id(),
            person_id: referral.person_id,
            kind: ConsentKind::Contact,
            given: true,
            recorded_on: referral.received_on,
            recorded_by: w.actor().worker_id,
            note: Some("Given at referral".into()),
        };
        w.create(&consent)?;
    }
    Ok(())
}

/// Validates a whole new-referral form at once (person and referral), naming every field.
pub fn check_new_referral(input: &NewReferral) -> Result<()> {
    let mut c = Checker::new();
    let _ = person_fields(&mut c, &input.person, today());
    let _ = referral_fields(&mut c, &input.referral, today());
    if let Some(s) = input.stage.as_deref().filter(|s| !s.is_empty())
        && Stage::parse(s).is_none()
    {
        c.fail("stage", choose("a stage", s, Stage::labels()));
    }
    Ok(c.finish()?)
}

/// A new referral, its person and the episode it opened.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Taken {
    pub person: Person,
    pub referral: Referral,
    pub episode: Episode,
}

impl Store {
    /// Takes a referral for a new person: person, referral and episode in one transaction.
    /// Someone likely already known is never created twice: the worker must say whether a
    /// likely match is the same person (a re-referral onto that record) or a different one.
    pub fn take_referral(&mut self, input: &NewReferral) -> Result<Taken> {
        if let Some(known) = input.same_person_as {
            let (referral, episode) = self.add_referral(
                known,
                &input.referral,
                input.stage.as_deref(),
                input.worker_id,
            )?;
            let person = self.person(known)?;
            return Ok(Taken {
                person,
                referral,
                episode,
            });
        }
        let mut c = Checker::new();
        let PersonFields(mut person) = person_fields(&mut c, &input.person, today());
        let mut referral = referral_fields(&mut c, &input.referral, today());
        self.check_referrer_id(&mut c, referral.referrer_id)?;
        let stage = self.stage_for(&mut c, input.stage.as_deref(), input.worker_id)?;
        c.finish()?;
        self.decide_matches(input, &mut person)?;
        let worker_id = input
            .worker_id
            .map_or_else(|| self.actor().map(|a| a.worker_id), Ok)?;
        self.write(|w| {
            person.id = w.new_id();
            person.team_id = w.actor().team_id;
            w.create(&person)?;
            referral.id = w.new_id();
            referral.person_id = person.id;
            w.create(&referral)?;
            record_contact_consent(w, &referral)?;
            let episode = open_episode(w, &referral, stage, worker_id)?;
            Ok(Taken {
                person,
                referral,
                episode,
            })
        })
    }

    /// Refuses a new person while a likely match is undecided, or when one said to be
    /// different has the same NHS number; records who decided the rest are other people.
    fn decide_matches(&self, input: &NewReferral, person: &mut Person) -> Result<()> {
        let matches = self.person_matches(&input.person)?;
        let different = |m: &&PersonMatch| input.different_from.contains(&m.person_id);
        if let Some(m) = matches.iter().filter(different).find(|m| m.certain) {
            return Err(CoreError::invalid(
                "nhs_number",
                format!(
                    "This NHS number is already on {}'s record: check the number, or choose that this is the same person",
                    m.name
                ),
            ));
        }
        let undecided = matches.iter().filter(|m| !different(m)).count();
        if undecided > 0 {
            return Err(Refusal::LikelySamePerson(undecided).into());
        }
        if !matches.is_empty() {
            person.distinct_from = matches.iter().map(|m| m.person_id).collect();
            person.distinct_decided_by = Some(self.actor()?.worker_id);
        }
        Ok(())
    }

    /// A re-referral of someone already known opens a new episode; refused while one is open.
    pub fn add_referral(
        &mut self,
        person_id: Uuid,
        input: &ReferralInput,
        stage: Option<&str>,
        worker_id: Option<Uuid>,
    ) -> Result<(Referral, Episode)> {
        self.person(person_id)?;
        if let Some(open) = self.open_episode(person_id)? {
            return Err(Refusal::OpenEpisodeExists {
                since: open.opened_on.to_string(),
            }
            .into());
        }
        let mut c = Checker::new();
        let mut referral = referral_fields(&mut c, input, today());
        self.check_referrer_id(&mut c, referral.referrer_id)?;
        let stage = self.stage_for(&mut c, stage, worker_id)?;
        c.finish()?;
        let worker_id = worker_id.map_or_else(|| self.actor().map(|a| a.worker_id), Ok)?;
        self.write(|w| {
            referral.id = w.new_id();
            referral.person_id = person_id;
            w.create(&referral)?;
            record_contact_consent(w, &referral)?;
            let episode = open_episode(w, &referral, stage, worker_id)?;
            Ok((referral, episode))
        })
    }

    fn stage_for(
        &self,
        c: &mut Checker,
        stage: Option<&str>,
        worker_id: Option<Uuid>,
    ) -> Result<Stage> {
        if let Some(s) = stage.filter(|s| !s.trim().is_empty()) {
            return Ok(Stage::parse(s).unwrap_or_else(|| {
                c.fail("stage", choose("a stage", s, Stage::labels()));
                Stage::LinkWorker
            }));
        }
        let worker = match worker_id {
            Some(id) => match self.worker(id) {
                Ok(w) => w,
                Err(CoreError::NotFound { .. }) => {
                    c.fail("worker_id", "That worker is not in this team");
                    return Ok(Stage::LinkWorker);
                }
                Err(e) => return Err(e),
            },
            None => self.worker(self.actor()?.worker_id)?,
        };
        Ok(match worker.role {
            crate::domain::vocabulary::Role::HealthCoach => Stage::HealthCoach,
            _ => Stage::LinkWorker,
        })
    }

    pub fn referral(&self, id: Uuid) -> Result<Referral> {
        store::get(self.conn(), EntityKind::Referral, id)
    }

    pub fn episode(&self, id: Uuid) -> Result<Episode> {
        store::get(self.conn(), EntityKind::Episode, id)
    }

    pub fn episodes(&self, person_id: Uuid) -> Result<Vec<Episode>> {
        store::get_where(
            self.conn(),
            EntityKind::Episode,
            "person_id = ?1",
            &person_id.to_string(),
            "opened_on DESC, id DESC",
        )
    }

    pub fn referrals(&self, person_id: Uuid) -> Result<Vec<Referral>> {
        store::get_where(
            self.conn(),
            EntityKind::Referral,
            "person_id = ?1",
            &person_id.to_string(),
            "received_on DESC, id DESC",
        )
    }

    pub fn open_episode(&self, person_id: Uuid) -> Result<Option<Episode>> {
        Ok(self
            .episodes(person_id)?
            .into_iter()
            .find(|e| e.status != EpisodeStatus::Closed))
    }

    /// Logs an attempt to make first contact; moves the episode from referred to contacting,
    /// and records the first-contact date when the person was reached.
    pub fn log_contact_attempt(
        &mut self,
        referral_id: Uuid,
        input: &ContactAttemptInput,
    ) -> Result<ContactAttempt> {
        let referral = self.referral(referral_id)?;
        let episodes: Vec<Episode> = store::get_where(
            self.conn(),
            EntityKind::Episode,
            "referral_id = ?1",
            &referral_id.to_string(),
            "opened_on",
        )?;
        if !episodes.is_empty() && episodes.iter().all(|e| e.status == EpisodeStatus::Closed) {
            return Err(Refusal::SupportClosed.into());
        }
        let mut c = Checker::new();
        let at = c.datetime("attempted_at", "When", &input.attempted_at);
        if at.is_some_and(|a| a.date() < referral.received_on) {
            c.fail(
                "attempted_at",
                "A contact attempt cannot be before the referral was received",
            );
        }
        let method = pick(
            &mut c,
            "method",
            "how you tried",
            &input.method,
            ContactMethod::parse,
            ContactMethod::labels,
        );
        let outcome = pick(
            &mut c,
            "outcome",
            "the outcome",
            &input.outcome,
            ContactOutcome::parse,
            ContactOutcome::labels,
        );
        let note = c.optional_text(K::ContactAttempt, "note", "Note", input.note.as_deref());
        c.finish()?;
        let episode = self
            .episodes(referral.person_id)?
            .into_iter()
            .find(|e| e.referral_id == referral_id);
        self.write(|w| {
            let attempt = ContactAttempt {
                id: w.new_id(),
                referral_id,
                attempted_at: at.unwrap_or_default(),
                method: method.unwrap_or(ContactMethod::Phone),
                outcome: outcome.unwrap_or(ContactOutcome::NoAnswer),
                note,
                worker_id: w.actor().worker_id,
            };
            w.create(&attempt)?;
            if let Some(ep) = episode {
                let mut changes = Map::new();
                if ep.status == EpisodeStatus::Referred {
                    changes.insert("status".into(), EpisodeStatus::Contacting.as_str().into());
                }
                let reached = matches!(
                    attempt.outcome,
                    ContactOutcome::Spoke
                        | ContactOutcome::AppointmentBooked
                        | ContactOutcome::Declined
                );
                if reached && ep.first_contact_on.is_none() {
                    changes.insert(
                        "first_contact_on".into(),
                        attempt.attempted_at.date().to_string().into(),
                    );
                }
                if !changes.is_empty() {
                    w.record(EntityKind::Episode, ep.id, Operation::Update, changes)?;
                }
            }
            Ok(attempt)
        })
    }

    pub fn contact_attempts(&self, referral_id: Uuid) -> Result<Vec<ContactAttempt>> {
        store::get_where(
            self.conn(),
            EntityKind::ContactAttempt,
            "referral_id = ?1",
            &referral_id.to_string(),
            "attempted_at",
        )
    }

    /// Hands an episode to another worker (health coach to link worker, or a transfer).
    pub fn hand_over(
        &mut self,
        episode_id: Uuid,
        to_worker_id: Uuid,
        to_stage: &str,
        note: &str,
    ) -> Result<Handover> {
        let ep = self.episode(episode_id)?;
        if ep.status == EpisodeStatus::Closed {
            return Err(Refusal::HandoverOfClosedEpisode.into());
        }
        let mut c = Checker::new();
        let stage = Stage::parse(to_stage);
        if stage.is_none() {
            c.fail("to_stage", choose("a stage", to_stage, Stage::labels()));
        }
        match self.worker(to_worker_id) {
            Ok(_) => {}
            Err(CoreError::NotFound { .. }) => {
                c.fail("to_worker_id", "That worker is not in this team")
            }
            Err(e) => return Err(e),
        }
        if to_worker_id == ep.worker_id && stage == Some(ep.stage) {
            c.fail(
                "to_worker_id",
                "The episode is already with this worker at this stage",
            );
        }
        let note = c.text(K::Handover, "note", "Handover note", note);
        c.finish()?;
        let stage = stage.unwrap_or(Stage::LinkWorker);
        self.write(|w| {
            let h = Handover {
                id: w.new_id(),
                episode_id,
                from_worker_id: ep.worker_id,
                to_worker_id,
                to_stage: stage,
                handed_on: today(),
                note,
            };
            w.create(&h)?;
            let mut changes = Map::new();
            changes.insert("worker_id".into(), to_worker_id.to_string().into());
            changes.insert("stage".into(), stage.as_str().into());
            w.record(EntityKind::Episode, episode_id, Operation::Update, changes)?;
            Ok(h)
        })
    }

    pub fn handovers(&self, episode_id: Uuid) -> Result<Vec<Handover>> {
        store::get_where(
            self.conn(),
            EntityKind::Handover,
            "episode_id = ?1",
            &episode_id.to_string(),
            "handed_on, id",
        )
    }

    pub fn close_episode(
        &mut self,
        episode_id: Uuid,
        reason: &str,
        closed_on: &str,
    ) -> Result<Episode> {
        let mut ep = self.episode(episode_id)?;
        if ep.status == EpisodeStatus::Closed {
            return Err(Refusal::EpisodeAlreadyClosed.into());
        }
        let mut c = Checker::new();
        let r = ClosingReason::parse(reason);
        if r.is_none() {
            c.fail(
                "closing_reason",
                choose("a reason for closing", reason, ClosingReason::labels()),
            );
        }
        let on = c.date("closed_on", "Date closed", closed_on);
        if on.is_some_and(|d| d < ep.opened_on) {
            c.fail(
                "closed_on",
                "Date closed cannot be before the episode opened",
            );
        }
        if on.is_some_and(|d| d > today()) {
            c.fail("closed_on", "Date closed cannot be in the future");
        }
        c.finish()?;
        ep.status = EpisodeStatus::Closed;
        ep.closed_on = on;
        ep.closing_reason = r;
        self.write(|w| {
            let mut changes = Map::new();
            changes.insert("status".into(), EpisodeStatus::Closed.as_str().into());
            changes.insert(
                "closed_on".into(),
                Value::String(ep.closed_on.unwrap_or_default().to_string()),
            );
            changes.insert(
                "closing_reason".into(),
                ep.closing_reason.map(|r| r.as_str()).into(),
            );
            w.record(EntityKind::Episode, episode_id, Operation::Update, changes)?;
            Ok(ep)
        })
    }

    /// Explicitly reopens a closed episode (the state machine never moves back by itself).
    pub fn reopen_episode(&mut self, episode_id: Uuid) -> Result<Episode> {
        let mut ep = self.episode(episode_id)?;
        if ep.status != EpisodeStatus::Closed {
            return Err(Refusal::EpisodeNotClosed.into());
        }
        if self.open_episode(ep.person_id)?.is_some() {
            return Err(Refusal::ReopenWhileOpen.into());
        }
        ep.status = EpisodeStatus::Active;
        ep.closed_on = None;
        ep.closing_reason = None;
        self.write(|w| {
            let mut changes = Map::new();
            changes.insert("status".into(), EpisodeStatus::Active.as_str().into());
            changes.insert("closed_on".into(), Value::Null);
            changes.insert("closing_reason".into(), Value::Null);
            w.record(EntityKind::Episode, episode_id, Operation::Update, changes)?;
            Ok(ep)
        })
    }
}

fn open_episode(
    w: &mut Writer<'_>,
    referral: &Referral,
    stage: Stage,
    worker_id: Uuid,
) -> Result<Episode> {
    let episode = Episode {
        id: w.new_id(),
        person_id: referral.person_id,
        referral_id: referral.id,
        stage,
        worker_id,
        status: EpisodeStatus::Referred,
        opened_on: referral.received_on,
        first_contact_on: None,
        closed_on: None,
        closing_reason: None,
    };
    w.create(&episode)?;
    Ok(episode)
}

/// Moves an episode to active at its first attended session (never backwards).
pub(crate) fn activate_on_session(
    w: &mut Writer<'_>,
    episode: &Episode,
    on: NaiveDate,
) -> Result<()> {
    let mut changes = Map::new();
    if matches!(
        episode.status,
        EpisodeStatus::Referred | EpisodeStatus::Contacting
    ) {
        changes.insert("status".into(), EpisodeStatus::Active.as_str().into());
    }
    if episode.first_contact_on.is_none() {
        changes.insert("first_contact_on".into(), on.to_string().into());
    }
    if !changes.is_empty() {
        w.record(EntityKind::Episode, episode.id, Operation::Update, changes)?;
    }
    Ok(())
}
