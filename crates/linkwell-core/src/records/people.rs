//! Teams, workers, this laptop's set-up, and the people supported: their details, consents
//! and risk flags.

use crate::domain::validate::{self, Checker};
use crate::domain::vocabulary::{ConsentKind, RiskKind, Role};
use crate::error::{CoreError, Refusal, Result};
use crate::records::WireText;
use crate::records::pathway::pick;
use crate::store::{self, Actor, Store, to_payload, today};
use chrono::NaiveDate;
use linkwell_protocol::EntityKind as K;
use linkwell_protocol::{EntityKind, Operation};
use rusqlite::params;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

crate::store::record_kinds!(Consent, Person, RiskFlag, Worker);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct Team {
    pub id: Uuid,
    pub name: String,
    pub locality: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct Worker {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
    pub team_id: Uuid,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub active: bool,
}

/// What `linkwell init` needs: the team and the worker who uses this laptop.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, optional_fields = nullable)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct SetupInput {
    #[ts(as = "Option<String>", optional)]
    pub team_name: String,
    pub locality: Option<String>,
    #[ts(as = "Option<String>", optional)]
    pub worker_name: String,
    #[ts(as = "Option<String>", optional)]
    pub role: String,
    pub phone: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, optional_fields = nullable)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct WorkerInput {
    #[ts(as = "Option<String>", optional)]
    pub name: String,
    #[ts(as = "Option<String>", optional)]
    pub role: String,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// A worker's name and their team's name and locality: the set-up form holds them to fewer
/// characters than the wire allows (a test keeps it so).
const SETUP_TEXT_MAX: usize = 120;

fn check_worker(
    c: &mut Checker,
    input: &WorkerInput,
) -> (String, Option<Role>, Option<String>, Option<String>) {
    let name = c.required("name", "Name", &input.name, SETUP_TEXT_MAX);
    let role = pick(c, "role", "a role", &input.role, Role::parse, Role::labels);
    let phone = c
        .optional_text(K::Worker, "phone", "Phone", input.phone.as_deref())
        .and_then(|p| validate::phone(&p).map_err(|m| c.fail("phone", m)).ok());
    let email = c
        .optional_text(K::Worker, "email", "Email", input.email.as_deref())
        .and_then(|e| validate::email(&e).map_err(|m| c.fail("email", m)).ok());
    (name, role, phone, email)
}

type CheckedWorker = (String, Option<Role>, Option<String>, Option<String>);

fn checked_setup(input: &SetupInput) -> Result<(String, Option<String>, CheckedWorker)> {
    let mut c = Checker::new();
    let team_name = c.required("team_name", "Team name", &input.team_name, SETUP_TEXT_MAX);
    let locality = c.optional(
        "locality",
        "Locality",
        input.locality.as_deref(),
        SETUP_TEXT_MAX,
    );
    let worker = check_worker(
        &mut c,
        &WorkerInput {
            name: input.worker_name.clone(),
            role: input.role.clone(),
            phone: input.phone.clone(),
            email: input.email.clone(),
        },
    );
    // The set-up form calls the worker's name `worker_name`: report it under that name.
    c.finish().map_err(|invalid| {
        CoreError::Invalid(
            invalid
                .0
                .into_iter()
                .map(|mut f| {
                    if f.field == "name" {
                        f.field = "worker_name".into();
                    }
                    f
                })
                .collect(),
        )
    })?;
    Ok((team_name, locality, worker))
}

/// Checks a set-up form without writing anything (the profile is only created once it passes).
pub fn check_setup(input: &SetupInput) -> Result<()> {
    checked_setup(input).map(|_| ())
}

impl Store {
    /// Sets up a new laptop database: the team, its first worker and this device's identity.
    pub fn init(&mut self, input: &SetupInput) -> Result<Actor> {
        if self.actor().is_ok() {
            return Err(Refusal::AlreadySetUp.into());
        }
        let (team_name, locality, (name, role, phone, email)) = checked_setup(input)?;
        let team = Team {
            id: self.new_id(),
            name: team_name,
            locality,
        };
        let worker = Worker {
            id: self.new_id(),
            name,
            role: role.unwrap_or(Role::LinkWorker),
            team_id: team.id,
            phone,
            email,
            active: true,
        };
        let actor = Actor {
            worker_id: worker.id,
            device_id: Uuid::now_v7(),
            team_id: team.id,
        };
        self.write_as(actor, |w| {
            // The team and worker rows must exist before the device row that points at them,
            // and the device row before the change log can tick; so write them first and log
            // them right after.
            store::apply(w.conn(), EntityKind::Team, team.id, Operation::Create, &to_payload(&team)?)?;
            store::apply(w.conn(), EntityKind::Worker, worker.id, Operation::Create, &to_payload(&worker)?)?;
            w.conn().execute(
                "INSERT INTO device (singleton, device_id, worker_id, hlc_wall_ms, hlc_counter) VALUES (1, ?1, ?2, 0, 0)",
                params![actor.device_id.to_string(), actor.worker_id.to_string()],
            )?;
            w.log(EntityKind::Team, team.id, Operation::Create, &to_payload(&team)?)?;
            w.log(EntityKind::Worker, worker.id, Operation::Create, &to_payload(&worker)?)?;
            Ok(())
        })?;
        self.set_actor(actor);
        tracing::info!(worker = %actor.worker_id, device = %actor.device_id, "database set up");
        Ok(actor)
    }

    /// Adds a colleague to this laptop's team (e.g. a health coach who hands over to us).
    pub fn add_worker(&mut self, input: &WorkerInput) -> Result<Worker> {
        let mut c = Checker::new();
        let (name, role, phone, email) = check_worker(&mut c, input);
        c.finish()?;
        let team_id = self.actor()?.team_id;
        self.write(|w| {
            let worker = Worker {
                id: w.new_id(),
                name,
                role: role.unwrap_or(Role::LinkWorker),
                team_id,
                phone,
                email,
                active: true,
            };
            w.create(&worker)?;
            Ok(worker)
        })
    }

    pub fn workers(&self) -> Result<Vec<Worker>> {
        store::get_where(
            self.conn(),
            EntityKind::Worker,
            "active = 1 AND ?1 = ?1",
            "",
            "name",
        )
    }

    pub fn worker(&self, id: Uuid) -> Result<Worker> {
        store::get(self.conn(), EntityKind::Worker, id)
    }

    pub fn team(&self) -> Result<Team> {
        store::get(self.conn(), EntityKind::Team, self.actor()?.team_id)
    }
}

/// A person supported, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct Person {
    pub id: Uuid,
    pub team_id: Uuid,
    pub given_name: String,
    pub family_name: String,
    pub preferred_name: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub nhs_number: Option<String>,
    pub address: Option<String>,
    pub postcode: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub gp_practice: Option<String>,
    pub language: Option<String>,
    pub interpreter_needed: bool,
    pub large_print: bool,
    pub easy_read: bool,
    pub accessibility_needs: Option<String>,
    pub carer_status: Option<String>,
    pub contact_restrictions: Option<String>,
    pub created_on: NaiveDate,
    /// Records a worker checked this one against and decided are other people.
    pub distinct_from: Vec<Uuid>,
    /// Who decided that.
    pub distinct_decided_by: Option<Uuid>,
}

impl Person {
    /// The name to use when speaking to or printing for the person.
    pub fn display_name(&self) -> &str {
        self.preferred_name.as_deref().unwrap_or(&self.given_name)
    }

    pub fn full_name(&self) -> String {
        format!("{} {}", self.given_name, self.family_name)
    }
}

/// A person's details as typed into a form; every field is text so the core can say what is
/// wrong with each.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, optional_fields = nullable)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct PersonInput {
    #[ts(as = "Option<String>", optional)]
    pub given_name: String,
    #[ts(as = "Option<String>", optional)]
    pub family_name: String,
    pub preferred_name: Option<String>,
    pub date_of_birth: Option<String>,
    pub nhs_number: Option<String>,
    pub address: Option<String>,
    pub postcode: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub gp_practice: Option<String>,
    pub language: Option<String>,
    #[ts(as = "Option<bool>", optional)]
    pub interpreter_needed: bool,
    #[ts(as = "Option<bool>", optional)]
    pub large_print: bool,
    #[ts(as = "Option<bool>", optional)]
    pub easy_read: bool,
    pub accessibility_needs: Option<String>,
    pub carer_status: Option<String>,
    pub contact_restrictions: Option<String>,
}

/// Validates a person's details; used by forms as you type and by every save.
pub fn check_person(input: &PersonInput, today: NaiveDate) -> Result<PersonFields> {
    let mut c = Checker::new();
    let f = person_fields(&mut c, input, today);
    c.finish()?;
    Ok(f)
}

/// Validated person fields (without identity or team).
#[derive(Debug, Clone)]
pub struct PersonFields(pub(crate) Person);

pub(crate) fn person_fields(c: &mut Checker, i: &PersonInput, today: NaiveDate) -> PersonFields {
    let given_name = c.text(K::Person, "given_name", "First name", &i.given_name);
    let family_name = c.text(K::Person, "family_name", "Last name", &i.family_name);
    let preferred_name = c.optional_text(
        K::Person,
        "preferred_name",
        "Preferred name",
        i.preferred_name.as_deref(),
    );
    let date_of_birth =
        c.optional_date("date_of_birth", "Date of birth", i.date_of_birth.as_deref());
    if let Some(dob) = date_of_birth {
        if dob > today {
            c.fail("date_of_birth", "Date of birth cannot be in the future");
        } else if today.years_since(dob).unwrap_or(0) > 120 {
            c.fail("date_of_birth", "Date of birth is more than 120 years ago");
        }
    }
    let nhs_number =
        c.optional_checked("nhs_number", i.nhs_number.as_deref(), validate::nhs_number);
    let address = c.optional_text(K::Person, "address", "Address", i.address.as_deref());
    let postcode = c.optional_checked("postcode", i.postcode.as_deref(), validate::postcode);
    let phone = c.optional_checked("phone", i.phone.as_deref(), validate::phone);
    let email = c.optional_checked("email", i.email.as_deref(), validate::email);
    PersonFields(Person {
        id: Uuid::nil(),
        team_id: Uuid::nil(),
        given_name,
        family_name,
        preferred_name,
        date_of_birth,
        nhs_number,
        address,
        postcode,
        phone,
        email,
        gp_practice: c.optional_text(
            K::Person,
            "gp_practice",
            "GP practice",
            i.gp_practice.as_deref(),
        ),
        language: c.optional_text(K::Person, "language", "Language", i.language.as_deref()),
        interpreter_needed: i.interpreter_needed,
        large_print: i.large_print,
        easy_read: i.easy_read,
        accessibility_needs: c.optional_text(
            K::Person,
            "accessibility_needs",
            "Accessibility needs",
            i.accessibility_needs.as_deref(),
        ),
        carer_status: c.optional_text(
            K::Person,
            "carer_status",
            "Carer status",
            i.carer_status.as_deref(),
        ),
        contact_restrictions: c.optional_text(
            K::Person,
            "contact_restrictions",
            "Contact restrictions",
            i.contact_restrictions.as_deref(),
        ),
        created_on: today,
        distinct_from: Vec::new(),
        distinct_decided_by: None,
    })
}

/// Someone already on this laptop who may be the person being entered.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct PersonMatch {
    pub person_id: Uuid,
    pub name: String,
    pub date_of_birth: Option<NaiveDate>,
    pub postcode: Option<String>,
    /// Same NHS number: certainly the same person (a different person cannot be chosen).
    pub certain: bool,
    /// Why they match, in words ("same NHS number", "same date of birth and postcode").
    pub why: String,
    /// They are being supported now (a re-referral must wait until that episode closes).
    pub open_episode: bool,
}

fn same_text(a: Option<&str>, b: Option<&str>) -> bool {
    let norm = |s: &str| s.replace(' ', "").to_lowercase();
    matches!((a, b), (Some(a), Some(b)) if norm(a) == norm(b))
}

fn similar_name(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim().to_lowercase(), b.trim().to_lowercase());
    !a.is_empty()
        && crate::read::search::name_distance(&a, &b)
            .min(crate::read::search::name_distance(&b, &a))
            <= 1
}

/// Why `existing` is likely the person `new` describes, or None. Same NHS number: certain;
/// same date of birth with a similar name or the same postcode: likely. Shared by the check
/// before a referral is taken and by sync, when two laptops' records meet.
pub fn likely_same(new: &Person, existing: &Person) -> Option<(bool, String)> {
    if new.nhs_number.is_some() && new.nhs_number == existing.nhs_number {
        return Some((true, "same NHS number".into()));
    }
    if new.date_of_birth.is_none() || new.date_of_birth != existing.date_of_birth {
        return None;
    }
    let postcode = same_text(new.postcode.as_deref(), existing.postcode.as_deref());
    let name = similar_name(&new.family_name, &existing.family_name)
        || similar_name(&new.given_name, &existing.given_name);
    match (name, postcode) {
        (true, true) => Some((
            false,
            "same date of birth, a similar name and the same postcode".into(),
        )),
        (true, false) => Some((false, "same date of birth and a similar name".into())),
        (false, true) => Some((false, "same date of birth and postcode".into())),
        (false, false) => None,
    }
}

/// A recorded consent decision: append-only, the latest of each kind is in force.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct Consent {
    pub id: Uuid,
    pub person_id: Uuid,
    pub kind: ConsentKind,
    pub given: bool,
    pub recorded_on: NaiveDate,
    pub recorded_by: Uuid,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, optional_fields = nullable)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct ConsentInput {
    #[ts(as = "Option<String>", optional)]
    pub kind: String,
    #[ts(as = "Option<bool>", optional)]
    pub given: bool,
    pub recorded_on: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct RiskFlag {
    pub id: Uuid,
    pub person_id: Uuid,
    pub kind: RiskKind,
    pub active: bool,
    pub review_on: NaiveDate,
    pub note: Option<String>,
    pub recorded_on: NaiveDate,
    pub recorded_by: Uuid,
}

impl RiskFlag {
    /// Due for review on `on` (Today lists the same flags: `review_on <= on`, active only).
    pub fn review_due(&self, on: NaiveDate) -> bool {
        self.active && self.review_on <= on
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, optional_fields = nullable)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct RiskFlagInput {
    #[ts(as = "Option<String>", optional)]
    pub kind: String,
    #[ts(as = "Option<String>", optional)]
    pub review_on: String,
    pub note: Option<String>,
}

impl Store {
    pub fn add_person(&mut self, input: &PersonInput) -> Result<Person> {
        let PersonFields(mut person) = check_person(input, today())?;
        self.write(|w| {
            person.id = w.new_id();
            person.team_id = w.actor().team_id;
            w.create(&person)?;
            Ok(person)
        })
    }

    /// Updates a person's details; only fields that changed are written to the change log.
    pub fn update_person(&mut self, id: Uuid, input: &PersonInput) -> Result<Person> {
        let current = self.person(id)?;
        let PersonFields(mut next) = check_person(input, today())?;
        next.id = current.id;
        next.team_id = current.team_id;
        next.created_on = current.created_on;
        next.distinct_from = current.distinct_from.clone();
        next.distinct_decided_by = current.distinct_decided_by;
        let changed = store::changed_fields(&current, &next)?;
        if changed.is_empty() {
            return Ok(current);
        }
        self.write(|w| {
            w.record(EntityKind::Person, id, Operation::Update, changed)?;
            Ok(next)
        })
    }

    /// Opens a person's record for a worker to read: recorded in the audit trail (once per sitting).
    pub fn view_person(&mut self, id: Uuid) -> Result<Person> {
        let p = self.person(id)?;
        self.record_view(id)?;
        Ok(p)
    }

    pub fn person(&self, id: Uuid) -> Result<Person> {
        store::get(self.conn(), EntityKind::Person, id)
    }

    /// People already here who may be the one typed in (checked before a new person is
    /// created): certain matches first. Invalid input has no matches (the form says why).
    pub fn person_matches(&self, input: &PersonInput) -> Result<Vec<PersonMatch>> {
        let mut c = Checker::new();
        let PersonFields(new) = person_fields(&mut c, input, today());
        let people: Vec<Person> = store::get_where(
            self.conn(),
            EntityKind::Person,
            "nhs_number = ?1 OR date_of_birth IS NOT NULL",
            new.nhs_number.as_deref().unwrap_or("-"),
            "family_name, given_name",
        )?;
        let mut found = Vec::new();
        for p in people {
            if let Some((certain, why)) = likely_same(&new, &p) {
                found.push(PersonMatch {
                    person_id: p.id,
                    name: p.full_name(),
                    date_of_birth: p.date_of_birth,
                    postcode: p.postcode.clone(),
                    certain,
                    why,
                    open_episode: self.open_episode(p.id)?.is_some(),
                });
            }
        }
        found.sort_by_key(|m| !m.certain);
        Ok(found)
    }

    pub fn record_consent(&mut self, person_id: Uuid, input: &ConsentInput) -> Result<Consent> {
        self.person(person_id)?;
        let mut c = Checker::new();
        let kind = pick(
            &mut c,
            "kind",
            "what the consent is to",
            &input.kind,
            ConsentKind::parse,
            ConsentKind::labels,
        );
        let recorded_on = match input
            .recorded_on
            .as_deref()
            .filter(|s| !s.trim().is_empty())
        {
            Some(d) => c.date("recorded_on", "Date recorded", d),
            None => Some(today()),
        };
        if recorded_on.is_some_and(|d| d > today()) {
            c.fail("recorded_on", "Date recorded cannot be in the future");
        }
        let note = c.optional_text(K::Consent, "note", "Note", input.note.as_deref());
        c.finish()?;
        self.write(|w| {
            let consent = Consent {
                id: w.new_id(),
                person_id,
                kind: kind.unwrap_or(ConsentKind::Service),
                given: input.given,
                recorded_on: recorded_on.unwrap_or_else(today),
                recorded_by: w.actor().worker_id,
                note,
            };
            w.create(&consent)?;
            Ok(consent)
        })
    }

    /// Every consent decision for a person, newest first.
    pub fn consents(&self, person_id: Uuid) -> Result<Vec<Consent>> {
        store::get_where(
            self.conn(),
            EntityKind::Consent,
            "person_id = ?1",
            &person_id.to_string(),
            "recorded_on DESC, id DESC",
        )
    }

    pub fn add_risk_flag(&mut self, person_id: Uuid, input: &RiskFlagInput) -> Result<RiskFlag> {
        self.person(person_id)?;
        let mut c = Checker::new();
        let kind = pick(
            &mut c,
            "kind",
            "the kind of risk flag",
            &input.kind,
            RiskKind::parse,
            RiskKind::labels,
        );
        let review_on = c.date("review_on", "Review date", &input.review_on);
        if review_on.is_some_and(|d| d < today()) {
            c.fail("review_on", "Review date must be today or later");
        }
        let note = c.optional_text(K::RiskFlag, "note", "Note", input.note.as_deref());
        c.finish()?;
        self.write(|w| {
            let flag = RiskFlag {
                id: w.new_id(),
                person_id,
                kind: kind.unwrap_or(RiskKind::Safeguarding),
                active: true,
                review_on: review_on.unwrap_or_else(today),
                note,
                recorded_on: today(),
                recorded_by: w.actor().worker_id,
            };
            w.create(&flag)?;
            Ok(flag)
        })
    }

    /// Records a review of a risk flag: keep it with a new review date, or lift it.
    pub fn review_risk_flag(
        &mut self,
        flag_id: Uuid,
        keep: bool,
        next_review_on: Option<&str>,
    ) -> Result<RiskFlag> {
        let mut flag: RiskFlag = store::get(self.conn(), EntityKind::RiskFlag, flag_id)?;
        let mut c = Checker::new();
        let mut payload = serde_json::Map::new();
        if keep {
            let d = c.date(
                "review_on",
                "Next review date",
                next_review_on.unwrap_or(""),
            );
            if d.is_some_and(|d| d < today()) {
                c.fail("review_on", "Next review date must be today or later");
            }
            c.finish()?;
            flag.review_on = d.unwrap_or_else(today);
            payload.insert("review_on".into(), flag.review_on.to_string().into());
        } else {
            flag.active = false;
            payload.insert("active".into(), false.into());
        }
        self.write(|w| {
            w.record(EntityKind::RiskFlag, flag_id, Operation::Update, payload)?;
            Ok(flag)
        })
    }

    pub fn risk_flags(&self, person_id: Uuid) -> Result<Vec<RiskFlag>> {
        store::get_where(
            self.conn(),
            EntityKind::RiskFlag,
            "person_id = ?1",
            &person_id.to_string(),
            "active DESC, review_on",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use linkwell_protocol::fields::text_limit;

    /// Every other form reads its limits from the wire's field rules; these three are tighter
    /// on purpose, and must never become longer than what the server takes.
    #[test]
    fn the_set_up_form_never_takes_longer_text_than_the_wire() {
        for (kind, field) in [
            (EntityKind::Worker, "name"),
            (EntityKind::Team, "name"),
            (EntityKind::Team, "locality"),
        ] {
            assert!(
                SETUP_TEXT_MAX <= text_limit(kind, field),
                "{kind:?}.{field}: the form takes {SETUP_TEXT_MAX}, the wire {}",
                text_limit(kind, field)
            );
        }
    }
}
