//! The message back to the referrer: referral accepted or declined, first seen, and support
//! closed with its outcome. One pure builder ([`build_message`]) decides the content from the
//! facts gathered from the store ([`MessageFacts`]): codes first, then what the consent rule
//! allows. By default a message carries codes, dates, scores and statuses only; free text (the
//! person's goals in their own words, conditions, service names, the worker's summary) goes
//! only when the person's consent to share with the referrer is recorded and current.
//! Safeguarding details never go in a routine message.
//!
//! The same [`Message`] is shown on screen ([`sections`]), printed as a letter
//! ([`Store::message_letter`]) and written as a structured record named by the PRSB Social
//! Prescribing standard's sections ([`prsb_record`]).

use crate::domain::validate::format_nhs_number;
use crate::domain::vocabulary::{
    Attendance, ConsentKind, ContactOutcome, EpisodeStatus, GoalStatus, Instrument, MessageKind,
    MessageRoute, OnwardStatus, RiskKind, SnomedCode, TimePoint,
};
use crate::error::{CoreError, Result};
use crate::records::contacts::Session;
use crate::records::directory::{OnwardReferral, Service};
use crate::records::measures::Measure;
use crate::records::pathway::{ContactAttempt, Episode, Referral};
use crate::records::people::{Consent, Person, RiskFlag};
use crate::records::plans::GoalDetail;
use crate::records::referrers::{Letterhead, Referrer, ReferrerMessage};
use crate::store::{Store, today};
use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

/// What the worker adds on the review screen.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, optional_fields = nullable)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct MessageOptions {
    /// What the referrer is asked to do; none means "No action needed".
    pub actions_for_referrer: Option<String>,
    /// The worker's brief summary (shared only with consent).
    pub summary: Option<String>,
    /// The sent message this one corrects.
    pub replaces: Option<Uuid>,
    /// The date written on the message (defaults to today).
    pub written_on: Option<NaiveDate>,
}

/// Everything a message may draw on, gathered from the store: the builder reads nothing else.
#[derive(Debug, Clone)]
pub struct MessageFacts {
    pub kind: MessageKind,
    pub written_on: NaiveDate,
    pub service_name: String,
    pub letterhead: Option<Letterhead>,
    pub worker_name: Option<String>,
    pub person: Person,
    pub referral: Referral,
    pub referrer: Option<Referrer>,
    pub episode: Option<Episode>,
    pub attempts: Vec<ContactAttempt>,
    pub sessions: Vec<Session>,
    pub onward: Vec<(OnwardReferral, Option<Service>)>,
    pub measures: Vec<Measure>,
    pub goals: Vec<GoalDetail>,
    pub risks: Vec<RiskFlag>,
    /// Newest first.
    pub consents: Vec<Consent>,
    pub replaces: Option<ReferrerMessage>,
    pub options: MessageOptions,
}

/// A code as a GP system files it.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct CodedEntry {
    pub system: String,
    pub code: String,
    pub display: String,
}

/// Which content rule applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum ContentRule {
    /// Codes, dates, scores and statuses only.
    CodesOnly,
    /// The person agreed to share with the referrer: their own words are included too.
    ConsentToShare,
}

impl ContentRule {
    pub fn as_str(self) -> &'static str {
        match self {
            ContentRule::CodesOnly => "codes_only",
            ContentRule::ConsentToShare => "consent_to_share",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Sender {
    pub service_name: String,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    pub worker_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Recipient {
    pub referrer_id: Uuid,
    pub name: String,
    pub role: Option<String>,
    pub organisation: Option<String>,
    pub practice: Option<String>,
    pub ods_code: Option<String>,
    pub route: MessageRoute,
    pub secure_email: Option<String>,
    pub postal_address: Option<String>,
    pub postcode: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct AboutPerson {
    pub full_name: String,
    /// Formatted 3-3-4.
    pub nhs_number: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub gp_practice: Option<String>,
}

/// "Plan and requested actions": shown first, never blank.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct PlanPart {
    pub actions_for_referrer: String,
    pub plan: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ReferralPart {
    pub received_on: NaiveDate,
    pub source: String,
    pub reasons: Vec<String>,
    /// Free text: only with consent.
    pub conditions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct StatusPart {
    pub status: String,
    pub accepted_on: Option<NaiveDate>,
    pub first_seen_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    pub closing_reason: Option<String>,
    pub declined_reason: Option<String>,
    #[ts(type = "number")]
    pub sessions_attended: i64,
    #[ts(type = "number")]
    pub sessions_missed: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ContactPart {
    pub at: NaiveDateTime,
    pub mode: String,
    pub outcome: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct OnwardPart {
    pub suggested_on: NaiveDate,
    /// The service's name with consent; its kind of service without.
    pub to: String,
    pub status: String,
    pub made: bool,
    pub taken_up: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ScorePart {
    pub taken_on: NaiveDate,
    pub time_point: String,
    pub score: Option<f64>,
    #[ts(type = "number | null")]
    pub level: Option<i64>,
    pub words: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct AssessmentPart {
    pub instrument: String,
    pub first: ScorePart,
    /// The latest, when it is not the first.
    pub last: Option<ScorePart>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct GoalPart {
    pub five_ways: String,
    /// The person's own words: only with consent.
    pub text: Option<String>,
    pub status: String,
    /// How far it was met: the latest goal attainment rating, -2..+2, with its words.
    #[ts(type = "number | null")]
    pub rating: Option<i64>,
    pub met: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct RiskPart {
    pub risk: String,
    pub since: NaiveDate,
    /// Only with consent.
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ReplacedPart {
    pub message_id: Uuid,
    pub sent_at: NaiveDateTime,
}

/// One message to a referrer, its content decided once by [`build_message`].
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Message {
    pub kind: MessageKind,
    pub title: String,
    pub referral_id: Uuid,
    pub person_id: Uuid,
    pub written_on: NaiveDate,
    /// Codes first: the referral's SNOMED CT code, and the decline's when declined.
    pub codes: Vec<CodedEntry>,
    pub rule: ContentRule,
    /// Which rule applied and why, in words printed on the message.
    pub rule_words: String,
    pub replaces: Option<ReplacedPart>,
    pub from: Sender,
    pub to: Recipient,
    pub person: AboutPerson,
    pub plan: PlanPart,
    pub referral: ReferralPart,
    pub status: StatusPart,
    pub contacts: Vec<ContactPart>,
    pub onward: Vec<OnwardPart>,
    pub assessments: Vec<AssessmentPart>,
    pub goals: Vec<GoalPart>,
    pub risks: Vec<RiskPart>,
    pub summary: Option<String>,
    pub consent_words: String,
}

/// Said on every message, whichever rule applied.
pub const SAFEGUARDING_WORDS: &str = "Safeguarding matters are never included in this message; they are shared through the safeguarding procedure.";

/// Said when nothing is asked of the referrer (never left blank).
pub const NO_ACTION: &str = "No action needed";

fn long_date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

fn snomed(code: SnomedCode) -> CodedEntry {
    CodedEntry {
        system: "SNOMED CT".into(),
        code: code.as_str().into(),
        display: code.label().into(),
    }
}

/// The consent in force: the latest share-with-referrer decision.
fn consent_rule(consents: &[Consent]) -> (ContentRule, String) {
    match consents
        .iter()
        .find(|c| c.kind == ConsentKind::ShareWithReferrer)
    {
        Some(c) if c.given => (
            ContentRule::ConsentToShare,
            format!("Given on {}", long_date(c.recorded_on)),
        ),
        Some(c) => (
            ContentRule::CodesOnly,
            format!("Withdrawn on {}", long_date(c.recorded_on)),
        ),
        None => (ContentRule::CodesOnly, "Not recorded".into()),
    }
}

/// "Given on 2 December 2026" inside a sentence: only its first letter lowered.
fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_lowercase().chain(c).collect())
        .unwrap_or_default()
}

fn invalid(field: &str, message: &str) -> CoreError {
    CoreError::invalid(field, message)
}

/// Whether (and why) the referral was declined: closed without being seen, or the person
/// said no when contacted.
fn declined_reason(f: &MessageFacts, attended: i64) -> Option<String> {
    if f.attempts
        .iter()
        .any(|a| a.outcome == ContactOutcome::Declined)
    {
        return Some(ContactOutcome::Declined.label().to_string());
    }
    match &f.episode {
        Some(e) if e.status == EpisodeStatus::Closed && attended == 0 => Some(
            e.closing_reason
                .map_or("Closed before first seen", |r| r.label())
                .to_string(),
        ),
        _ => None,
    }
}

/// Builds one message from its facts: the content rules, in one place.
pub fn build_message(f: &MessageFacts) -> Result<Message> {
    let Some(referrer) = &f.referrer else {
        return Err(invalid(
            "referrer_id",
            "This referral has no referrer on record: choose or add the referrer on the referral before writing to them",
        ));
    };
    let (rule, consent_words) = consent_rule(&f.consents);
    let shared = rule == ContentRule::ConsentToShare;
    let seen = Attendances::of(f);
    let declined = declined_reason(f, seen.attended.len() as i64);
    check_can_write(f, seen.first_seen_on(), declined.is_some())?;
    let mut codes = vec![snomed(SnomedCode::ReferralToSocialPrescribing)];
    if f.kind == MessageKind::Declined {
        codes.push(snomed(SnomedCode::SocialPrescribingDeclined));
    }
    let service_name = f
        .letterhead
        .as_ref()
        .map_or(f.service_name.clone(), |l| l.service_name.clone());
    let clinical = Clinical::of(f, &seen.attended, shared);
    Ok(Message {
        kind: f.kind,
        title: f.kind.label().to_string(),
        referral_id: f.referral.id,
        person_id: f.person.id,
        written_on: f.written_on,
        codes,
        rule,
        rule_words: rule_words(rule, &consent_words),
        replaces: f.replaces.as_ref().map(|r| ReplacedPart {
            message_id: r.id,
            sent_at: r.sent_at,
        }),
        plan: plan_part(f, shared, &service_name, seen.first_seen_on()),
        from: sender(f, service_name),
        to: recipient(referrer),
        person: AboutPerson {
            full_name: f.person.full_name(),
            nhs_number: f.person.nhs_number.as_deref().map(format_nhs_number),
            date_of_birth: f.person.date_of_birth,
            gp_practice: f.person.gp_practice.clone(),
        },
        referral: referral_part(f, shared),
        status: status_part(f, &seen, declined),
        contacts: clinical.contacts,
        onward: clinical.onward,
        assessments: clinical.assessments,
        goals: clinical.goals,
        risks: clinical.risks,
        summary: clinical.summary,
        consent_words,
    })
}

/// The sessions of the episode the message is about: attended (in order) and missed.
struct Attendances<'a> {
    attended: Vec<&'a Session>,
    missed: i64,
}

impl<'a> Attendances<'a> {
    fn of(f: &'a MessageFacts) -> Attendances<'a> {
        let episode = f.episode.as_ref();
        let in_episode = |s: &&Session| episode.is_none_or(|e| s.episode_id == Some(e.id));
        let mut attended: Vec<&Session> = f
            .sessions
            .iter()
            .filter(in_episode)
            .filter(|s| s.attendance == Attendance::Attended)
            .collect();
        attended.sort_by_key(|s| s.starts_at);
        let missed = f
            .sessions
            .iter()
            .filter(in_episode)
            .filter(|s| s.attendance == Attendance::DidNotAttend)
            .count() as i64;
        Attendances { attended, missed }
    }

    fn first_seen_on(&self) -> Option<NaiveDate> {
        self.attended.iter().map(|s| s.starts_at.date()).min()
    }
}

/// Each kind of message is written only once what it reports has happened.
fn check_can_write(
    f: &MessageFacts,
    first_seen_on: Option<NaiveDate>,
    declined: bool,
) -> Result<()> {
    let episode = f.episode.as_ref();
    match f.kind {
        MessageKind::Closed if episode.is_none_or(|e| e.status != EpisodeStatus::Closed) => {
            return Err(invalid(
                "kind",
                "Support is still open: the closing message is written once the episode is closed",
            ));
        }
        MessageKind::FirstSeen if first_seen_on.is_none() => {
            return Err(invalid(
                "kind",
                "The person has not been seen yet: record the first attended session before the first-seen message",
            ));
        }
        MessageKind::Declined if !declined => {
            return Err(invalid(
                "kind",
                "This referral was not declined: it is open, or the person was seen",
            ));
        }
        _ => {}
    }
    if let Some(r) = &f.replaces
        && (r.referral_id != f.referral.id || r.kind != f.kind)
    {
        return Err(invalid(
            "replaces",
            "A correction replaces a message of the same kind about the same referral",
        ));
    }
    Ok(())
}

fn rule_words(rule: ContentRule, consent_words: &str) -> String {
    match rule {
        ContentRule::CodesOnly => format!(
            "Content rule: codes, dates, scores and statuses only (consent to share with the referrer: {}).",
            lower_first(consent_words)
        ),
        ContentRule::ConsentToShare => format!(
            "Content rule: the person agreed to share with the referrer and GP ({}), so their goals in their own words and the worker's summary are included.",
            lower_first(consent_words)
        ),
    }
}

/// "Plan and requested actions", at the top of every message: never blank.
fn plan_part(
    f: &MessageFacts,
    shared: bool,
    service_name: &str,
    first_seen_on: Option<NaiveDate>,
) -> PlanPart {
    let worker = f.worker_name.as_deref();
    let asked = f
        .options
        .actions_for_referrer
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let actions_for_referrer = match asked {
        None => NO_ACTION.to_string(),
        Some(text) if shared => text.to_string(),
        // The request exists but its words may hold what the person has not agreed to share.
        Some(_) => format!(
            "Please contact {} at {} to discuss a request about this person (the details are not written here without their consent to share).",
            worker.unwrap_or("the link worker"),
            service_name
        ),
    };
    let plan = match f.kind {
        MessageKind::Accepted => format!(
            "The referral was accepted on {}. {} will contact the person to arrange a first meeting.",
            long_date(f.referral.received_on),
            worker.unwrap_or("A link worker")
        ),
        MessageKind::Declined => {
            "Social prescribing was declined; the person can be referred again at any time."
                .to_string()
        }
        MessageKind::FirstSeen => format!(
            "First seen on {}; support continues.",
            first_seen_on.map(long_date).unwrap_or_default()
        ),
        MessageKind::Closed => "Support from the social prescribing service has ended.".to_string(),
    };
    PlanPart {
        actions_for_referrer,
        plan,
    }
}

/// The clinical summary's parts, each only in the messages that carry it; free text only when
/// the person agreed to share; safeguarding never.
struct Clinical {
    contacts: Vec<ContactPart>,
    onward: Vec<OnwardPart>,
    assessments: Vec<AssessmentPart>,
    goals: Vec<GoalPart>,
    risks: Vec<RiskPart>,
    summary: Option<String>,
}

impl Clinical {
    fn of(f: &MessageFacts, attended: &[&Session], shared: bool) -> Clinical {
        let closing = f.kind == MessageKind::Closed;
        let seen_or_closing = matches!(f.kind, MessageKind::Closed | MessageKind::FirstSeen);
        let contacts = match f.kind {
            MessageKind::FirstSeen => attended.iter().take(1).copied().map(contact).collect(),
            MessageKind::Closed => attended.iter().copied().map(contact).collect(),
            _ => Vec::new(),
        };
        let onward = f
            .onward
            .iter()
            .filter(|_| closing)
            .map(|(o, s)| onward_part(o, s.as_ref(), shared))
            .collect();
        let assessments = match f.kind {
            MessageKind::Closed => assessments(&f.measures, true),
            MessageKind::FirstSeen => assessments(&f.measures, false),
            _ => Vec::new(),
        };
        let goals = f
            .goals
            .iter()
            .filter(|g| closing && !g.goal.archived)
            .map(|g| goal_part(g, shared))
            .collect();
        let risks = f
            .risks
            .iter()
            // Safeguarding never in a routine message, not even that there is a flag.
            .filter(|r| seen_or_closing && r.active && r.kind != RiskKind::Safeguarding)
            .map(|r| RiskPart {
                risk: r.kind.label().to_string(),
                since: r.recorded_on,
                comment: if shared { r.note.clone() } else { None },
            })
            .collect();
        let summary = f
            .options
            .summary
            .as_deref()
            .map(str::trim)
            .filter(|s| shared && seen_or_closing && !s.is_empty())
            .map(str::to_string);
        Clinical {
            contacts,
            onward,
            assessments,
            goals,
            risks,
            summary,
        }
    }
}

fn sender(f: &MessageFacts, service_name: String) -> Sender {
    let l = f.letterhead.as_ref();
    Sender {
        service_name,
        address: l.and_then(|l| l.address.clone()),
        phone: l.and_then(|l| l.phone.clone()),
        email: l.and_then(|l| l.email.clone()),
        website: l.and_then(|l| l.website.clone()),
        worker_name: f.worker_name.clone(),
    }
}

fn recipient(referrer: &Referrer) -> Recipient {
    Recipient {
        referrer_id: referrer.id,
        name: referrer.name.clone(),
        role: referrer.role.clone(),
        organisation: referrer.organisation.clone(),
        practice: referrer.practice.clone(),
        ods_code: referrer.ods_code.clone(),
        route: referrer.preferred_route,
        secure_email: referrer.secure_email.clone(),
        postal_address: referrer.postal_address.clone(),
        postcode: referrer.postcode.clone(),
    }
}

fn referral_part(f: &MessageFacts, shared: bool) -> ReferralPart {
    ReferralPart {
        received_on: f.referral.received_on,
        source: f.referral.source.label().to_string(),
        reasons: f
            .referral
            .reasons
            .iter()
            .map(|r| r.label().to_string())
            .collect(),
        conditions: if shared {
            f.referral.conditions.clone()
        } else {
            Vec::new()
        },
    }
}

fn status_part(f: &MessageFacts, seen: &Attendances, declined: Option<String>) -> StatusPart {
    let e = f.episode.as_ref();
    StatusPart {
        status: e.map_or("Referred".to_string(), |e| e.status.label().to_string()),
        accepted_on: e.map(|e| e.opened_on),
        first_seen_on: seen.first_seen_on(),
        closed_on: e.and_then(|e| e.closed_on),
        closing_reason: e.and_then(|e| e.closing_reason).map(|r| r.label().into()),
        declined_reason: declined.filter(|_| f.kind == MessageKind::Declined),
        sessions_attended: seen.attended.len() as i64,
        sessions_missed: seen.missed,
    }
}

fn contact(s: &Session) -> ContactPart {
    ContactPart {
        at: s.starts_at,
        mode: s.mode.label().to_string(),
        outcome: s.attendance.label().to_string(),
    }
}

fn onward_part(o: &OnwardReferral, s: Option<&Service>, shared: bool) -> OnwardPart {
    let kind_of = s
        .map(|s| {
            s.categories
                .iter()
                .map(|c| c.label())
                .collect::<Vec<_>>()
                .join(", ")
        })
        .filter(|k| !k.is_empty())
        .unwrap_or_else(|| "Community service".to_string());
    OnwardPart {
        suggested_on: o.suggested_on,
        to: match s {
            Some(s) if shared => format!("{} ({kind_of})", s.name),
            _ => kind_of,
        },
        status: o.status.label().to_string(),
        made: matches!(
            o.status,
            OnwardStatus::ReferralMade
                | OnwardStatus::Accompanied
                | OnwardStatus::Attending
                | OnwardStatus::Stopped
        ),
        taken_up: matches!(
            o.status,
            OnwardStatus::Accompanied | OnwardStatus::Attending
        ),
    }
}

fn score(m: &Measure) -> ScorePart {
    ScorePart {
        taken_on: m.taken_on,
        time_point: m.time_point.label().to_string(),
        score: m.score,
        level: m.level,
        words: m.summary(),
    }
}

/// The first and (when `with_last`) the latest score of each instrument recorded.
fn assessments(measures: &[Measure], with_last: bool) -> Vec<AssessmentPart> {
    let mut out = Vec::new();
    for inst in Instrument::ALL {
        let mut of: Vec<&Measure> = measures.iter().filter(|m| m.instrument == *inst).collect();
        if of.is_empty() {
            continue;
        }
        of.sort_by_key(|m| (m.taken_on, m.time_point != TimePoint::T0));
        let first = of[0];
        let last = of[of.len() - 1];
        out.push(AssessmentPart {
            instrument: inst.label().to_string(),
            first: score(first),
            last: (with_last && last.id != first.id).then(|| score(last)),
        });
    }
    out
}

fn goal_part(g: &GoalDetail, shared: bool) -> GoalPart {
    let rating = g.ratings.last().map(|r| i64::from(r.score));
    let met = match (g.goal.status, rating) {
        (GoalStatus::Achieved, _) => "Achieved".to_string(),
        (_, Some(n)) => format!(
            "{}{n}: {}",
            if n > 0 { "+" } else { "" },
            crate::domain::vocabulary::attainment_words(n as i8)
        ),
        (s, None) => s.label().to_string(),
    };
    GoalPart {
        five_ways: g.goal.five_ways.label().to_string(),
        text: shared.then(|| g.goal.text.clone()),
        status: g.goal.status.label().to_string(),
        rating,
        met,
    }
}

/// One block of a message as the screen and the letter show it.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct MessageSection {
    pub heading: String,
    /// Label and value; an empty label is a paragraph.
    pub rows: Vec<MessageRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct MessageRow {
    pub label: String,
    pub value: String,
}

fn row(label: &str, value: impl Into<String>) -> MessageRow {
    MessageRow {
        label: label.to_string(),
        value: value.into(),
    }
}

/// The message in words, in the order it is read: codes, plan and requested actions first.
pub fn sections(m: &Message) -> Vec<MessageSection> {
    let closing = m.kind == MessageKind::Closed;
    let seen_or_closing = matches!(m.kind, MessageKind::Closed | MessageKind::FirstSeen);
    let parts = [
        Some(("Codes", code_rows(m))),
        Some((
            "Plan and requested actions",
            vec![
                row("Actions for you", m.plan.actions_for_referrer.clone()),
                row("Plan", m.plan.plan.clone()),
            ],
        )),
        Some(("About the person", about_rows(&m.person))),
        Some(("Referral", referral_rows(m))),
        Some(("Support", support_rows(m))),
        closing.then(|| ("Onward referrals", onward_rows(&m.onward))),
        (!m.assessments.is_empty()).then(|| ("Scores", score_rows(&m.assessments))),
        closing.then(|| ("Goals and how far each was met", goal_rows(&m.goals))),
        seen_or_closing.then(|| ("Risks you should know about", risk_rows(&m.risks))),
        m.summary
            .as_ref()
            .map(|s| ("Summary", vec![row("", s.clone())])),
        Some((
            "What this message contains",
            vec![row("", m.rule_words.clone()), row("", SAFEGUARDING_WORDS)],
        )),
    ];
    parts
        .into_iter()
        .flatten()
        .map(|(heading, rows)| MessageSection {
            heading: heading.into(),
            rows,
        })
        .collect()
}

fn code_rows(m: &Message) -> Vec<MessageRow> {
    let mut codes: Vec<MessageRow> = m
        .codes
        .iter()
        .map(|c| row(&c.system, format!("{} {}", c.code, c.display)))
        .collect();
    if let Some(r) = &m.replaces {
        codes.push(row(
            "Correction",
            format!(
                "This message replaces the one sent on {}",
                r.sent_at.format("%-d %B %Y at %H:%M")
            ),
        ));
    }
    codes
}

fn about_rows(p: &AboutPerson) -> Vec<MessageRow> {
    let mut about = vec![row("Name", p.full_name.clone())];
    about.push(row(
        "NHS number",
        p.nhs_number.clone().unwrap_or_else(|| "Not known".into()),
    ));
    if let Some(d) = p.date_of_birth {
        about.push(row("Date of birth", long_date(d)));
    }
    if let Some(g) = &p.gp_practice {
        about.push(row("GP practice", g.clone()));
    }
    about
}

fn referral_rows(m: &Message) -> Vec<MessageRow> {
    let mut referral = vec![
        row("Received", long_date(m.referral.received_on)),
        row("Referred by", m.to.name.clone()),
        row("Reasons", m.referral.reasons.join(", ")),
    ];
    if !m.referral.conditions.is_empty() {
        referral.push(row(
            "Long-term conditions",
            m.referral.conditions.join(", "),
        ));
    }
    referral
}

fn support_rows(m: &Message) -> Vec<MessageRow> {
    let s = &m.status;
    let mut status = vec![row("Status", s.status.clone())];
    if let Some(d) = s.accepted_on {
        status.push(row("Accepted", long_date(d)));
    }
    if let Some(r) = &s.declined_reason {
        status.push(row("Declined", r.clone()));
    }
    if let Some(d) = s.first_seen_on {
        status.push(row("First seen", long_date(d)));
    }
    if m.kind != MessageKind::Closed {
        if let Some(c) = m.contacts.first() {
            status.push(row("How", c.mode.clone()));
        }
        return status;
    }
    if let Some(d) = s.closed_on {
        status.push(row("Closed", long_date(d)));
    }
    if let Some(r) = &s.closing_reason {
        status.push(row("Reason for closing", r.clone()));
    }
    status.push(row("Sessions attended", s.sessions_attended.to_string()));
    if s.sessions_missed > 0 {
        status.push(row("Sessions missed", s.sessions_missed.to_string()));
    }
    if let (Some(first), Some(last)) = (m.contacts.first(), m.contacts.last()) {
        let (a, b) = (first.at.date(), last.at.date());
        status.push(row(
            "Seen",
            if a == b {
                format!("on {}", long_date(a))
            } else {
                format!("from {} to {}", long_date(a), long_date(b))
            },
        ));
    }
    status
}

fn onward_rows(onward: &[OnwardPart]) -> Vec<MessageRow> {
    let made = onward.iter().filter(|o| o.made).count();
    let taken = onward.iter().filter(|o| o.taken_up).count();
    let mut rows = vec![row(
        "Made and taken up",
        format!("{made} made, {taken} taken up"),
    )];
    rows.extend(onward.iter().map(|o| {
        row(
            &long_date(o.suggested_on),
            format!("{}: {}", o.to, o.status),
        )
    }));
    rows
}

fn score_rows(assessments: &[AssessmentPart]) -> Vec<MessageRow> {
    let line = |s: &ScorePart| format!("{} ({}): {}", long_date(s.taken_on), s.time_point, s.words);
    let mut rows = Vec::new();
    for a in assessments {
        rows.push(row(&a.instrument, format!("First {}", line(&a.first))));
        if let Some(l) = &a.last {
            rows.push(row("", format!("Latest {}", line(l))));
        }
    }
    rows
}

fn goal_rows(goals: &[GoalPart]) -> Vec<MessageRow> {
    if goals.is_empty() {
        return vec![row("", "No goals were recorded.")];
    }
    goals
        .iter()
        .map(|g| {
            let what = match &g.text {
                Some(t) => format!("{t}: {}", g.met),
                None => g.met.clone(),
            };
            row(&g.five_ways, what)
        })
        .collect()
}

fn risk_rows(risks: &[RiskPart]) -> Vec<MessageRow> {
    if risks.is_empty() {
        return vec![row("", "No risks to report.")];
    }
    risks
        .iter()
        .map(|r| {
            let mut v = format!("since {}", long_date(r.since));
            if let Some(c) = &r.comment {
                v.push_str(&format!(": {c}"));
            }
            row(&r.risk, v)
        })
        .collect()
}

/// The record's sections in order, each `{name: content}`.
struct Sections(Vec<Value>);

impl Sections {
    fn insert(&mut self, name: String, content: Value) {
        let mut one = serde_json::Map::new();
        one.insert(name, content);
        self.0.push(Value::Object(one));
    }
}

/// The message as a structured record, its keys the PRSB Social Prescribing standard's
/// section and element names (v1.1), "Plan and requested actions" first. `about` says what
/// the record is (kind, codes, rule); `sections` lists the standard's sections in order.
pub fn prsb_record(m: &Message) -> Value {
    let opt_date = |d: Option<NaiveDate>| d.map_or(Value::Null, date);
    // An ordered list of one-section objects: the standard wants the plan read first, and a
    // JSON object's keys have no order a GP system must keep.
    let mut sections = Sections(Vec::new());
    sections.insert(
        "Plan and requested actions".into(),
        json!({ "Plan and requested actions record entry": [{
            "Actions for professionals": m.plan.actions_for_referrer,
            "Actions for person or their carer": m.plan.plan,
        }]}),
    );
    sections.insert(
        "Person demographics".into(),
        json!({
            "Person name": { "Person full name": m.person.full_name },
            "Date of birth": opt_date(m.person.date_of_birth),
            "NHS number": m.person.nhs_number,
        }),
    );
    if let Some(g) = &m.person.gp_practice {
        sections.insert(
            "GP practice".into(),
            json!({ "GP practice record entry": { "GP practice details": g } }),
        );
    }
    sections.insert("Referral details".into(), referral_details(m));
    sections.insert(
        "Contacts with professionals".into(),
        json!({ "Contacts with professionals record entry": contact_entries(m) }),
    );
    if m.kind == MessageKind::Closed {
        sections.insert(
            "Signpost details".into(),
            json!({ "Signpost details record entry": m.onward.iter().map(|o| json!({
                "Date": date(o.suggested_on),
                "Signpost to": o.to,
                "Reason for signpost": o.status,
            })).collect::<Vec<_>>() }),
        );
    }
    if !m.assessments.is_empty() {
        sections.insert(
            "Assessments".into(),
            json!({ "Assessments record entry": assessment_entries(&m.assessments) }),
        );
    }
    if matches!(m.kind, MessageKind::Closed | MessageKind::FirstSeen) {
        let entries: Vec<Value> = if m.risks.is_empty() {
            vec![json!({ "Risk": "No known risks to report" })]
        } else {
            m.risks
                .iter()
                .map(|r| {
                    json!({
                        "Start date of risk": date(r.since),
                        "Risk": r.risk,
                        "Comment": r.comment,
                    })
                })
                .collect()
        };
        sections.insert("Risks".into(), json!({ "Risks record entry": entries }));
    }
    if m.kind == MessageKind::Closed {
        sections.insert(
            "Care and support plan".into(),
            json!({ "Needs, concerns or problems": { "Goals and hopes": m.goals.iter().map(|g| {
                match &g.text {
                    Some(t) => format!("{} ({}): {}", t, g.five_ways, g.met),
                    None => format!("{}: {}", g.five_ways, g.met),
                }
            }).collect::<Vec<_>>() } }),
        );
        let summary = closing_summary(m);
        sections.insert(
            "Clinical Summary".into(),
            json!({ "Clinical summary": summary }),
        );
    } else if let Some(text) = &m.summary {
        sections.insert(
            "Clinical Summary".into(),
            json!({ "Clinical summary": text }),
        );
    }
    sections.insert(
        "Consent".into(),
        json!({ "Consent for information sharing": m.consent_words }),
    );
    json!({
        "about": {
            "standard": "PRSB Social Prescribing Information Standard v1.1",
            "message": m.kind.as_str(),
            "title": m.title,
            "written_on": date(m.written_on),
            "codes": m.codes,
            "content_rule": m.rule.as_str(),
            "content_rule_words": m.rule_words,
            "safeguarding": SAFEGUARDING_WORDS,
            "replaces": m.replaces,
        },
        "sections": Value::Array(sections.0),
    })
}

fn date(d: NaiveDate) -> Value {
    Value::String(d.to_string())
}

fn referral_details(m: &Message) -> Value {
    let to = &m.to;
    json!({ "Referral details record entry": [{
        "Date": date(m.referral.received_on),
        "Referrer details": {
            "Name": to.name,
            "Role": to.role,
            "Organisation": {
                "Coded value": to.ods_code,
                "Free text": to.practice.clone().or(to.organisation.clone()),
            },
            "Contact details": to.secure_email.clone().or(to.postal_address.clone()),
        },
        "Referral method": m.referral.source,
        "Reason for referral": { "Free text": m.referral.reasons.join(", ") },
        "Referral to": {
            "Name": m.from.worker_name,
            "Service": { "Free text": m.from.service_name },
        },
        "Return response to": to.name,
    }]})
}

/// Each attended contact; before any, the referral's own acceptance (or decline).
fn contact_entries(m: &Message) -> Vec<Value> {
    let s = &m.status;
    let mut contacts: Vec<Value> = m
        .contacts
        .iter()
        .map(|c| {
            json!({
                "Date and time of contact": c.at.format("%Y-%m-%dT%H:%M").to_string(),
                "Consultation method": c.mode,
                "Outcome of contact": c.outcome,
            })
        })
        .collect();
    if let (true, Some(accepted)) = (contacts.is_empty(), s.accepted_on) {
        contacts.push(json!({
            "Date and time of contact": date(accepted),
            "Outcome of contact": match &s.declined_reason {
                Some(r) => format!("Declined: {r}"),
                None => format!("Referral {}", s.status.to_lowercase()),
            },
        }));
    }
    contacts
}

fn assessment_entries(assessments: &[AssessmentPart]) -> Vec<Value> {
    let entry = |a: &AssessmentPart, sp: &ScorePart, which: &str| {
        json!({
            "Assessment type": which,
            "Assessment summary": sp.words,
            "Structured assessment": {
                "Structured assessment name": { "Free text": a.instrument },
                "Assessment result": {
                    "Value": sp.score,
                    "Ordinal": { "Free text": sp.level.map(|l| format!("level {l}")) },
                },
            },
            "Comment": format!("{} ({})", sp.taken_on, sp.time_point),
        })
    };
    let mut entries = Vec::new();
    for a in assessments {
        entries.push(entry(a, &a.first, "First score"));
        if let Some(l) = &a.last {
            entries.push(entry(a, l, "Latest score"));
        }
    }
    entries
}

/// The closing message's clinical summary: the outcome in one paragraph, then the worker's
/// summary when the person agreed to share it.
fn closing_summary(m: &Message) -> String {
    let s = &m.status;
    let mut summary = format!(
        "Support closed on {}{}. Sessions attended: {}. Onward referrals: {} made, {} taken up.",
        s.closed_on.map(long_date).unwrap_or_default(),
        s.closing_reason
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default(),
        s.sessions_attended,
        m.onward.iter().filter(|o| o.made).count(),
        m.onward.iter().filter(|o| o.taken_up).count(),
    );
    if let Some(text) = &m.summary {
        summary.push(' ');
        summary.push_str(text);
    }
    summary
}

/// Why a message cannot have gone to `to` by `route` (the referrer has no such address on
/// record), or None when it can.
fn unreachable_by(route: MessageRoute, to: &Recipient) -> Option<&'static str> {
    let missing = match route {
        MessageRoute::SecureEmail => to.secure_email.is_none(),
        MessageRoute::Post => to.postal_address.is_none(),
        MessageRoute::GpSystem => to.ods_code.is_none(),
    };
    missing.then_some(match route {
        MessageRoute::SecureEmail => "This referrer has no secure email on record: add it to the referrer, or choose how the message was sent",
        MessageRoute::Post => "This referrer has no postal address on record: add it to the referrer, or choose how the message was sent",
        MessageRoute::GpSystem => "This referrer has no GP practice ODS code on record: add it to the referrer, or choose how the message was sent",
    })
}

impl Store {
    /// Gathers a message's facts from the store (reads only).
    pub fn message_facts(
        &self,
        kind: MessageKind,
        referral_id: Uuid,
        options: &MessageOptions,
    ) -> Result<MessageFacts> {
        let referral = self.referral(referral_id)?;
        let person = self.person(referral.person_id)?;
        let referrer = match referral.referrer_id {
            Some(id) => Some(self.referrer(id)?),
            None => None,
        };
        let episode = self
            .episodes(person.id)?
            .into_iter()
            .find(|e| e.referral_id == referral_id);
        let worker_name = match &episode {
            Some(e) => Some(self.worker(e.worker_id)?.name),
            None => None,
        };
        let onward = self
            .onward_referrals(person.id)?
            .into_iter()
            .filter(|o| {
                episode
                    .as_ref()
                    .is_none_or(|e| o.suggested_on >= e.opened_on)
            })
            .map(|o| {
                let s = self.service(o.service_id).ok();
                (o, s)
            })
            .collect();
        let replaces = match options.replaces {
            Some(id) => Some(
                self.referrer_messages(referral_id)?
                    .into_iter()
                    .find(|m| m.id == id)
                    .ok_or_else(|| {
                        invalid(
                            "replaces",
                            "The message to replace was not found among this referral's sent messages",
                        )
                    })?,
            ),
            None => None,
        };
        Ok(MessageFacts {
            kind,
            written_on: options.written_on.unwrap_or_else(today),
            service_name: self.team()?.name,
            letterhead: self.letterhead()?,
            worker_name,
            attempts: self.contact_attempts(referral_id)?,
            sessions: self.sessions(person.id)?,
            measures: self.measures(person.id)?,
            goals: self.goals(person.id)?,
            risks: self.risk_flags(person.id)?,
            consents: self.consents(person.id)?,
            onward,
            person,
            referral,
            referrer,
            episode,
            replaces,
            options: options.clone(),
        })
    }

    /// The message as it would be sent now (nothing written).
    pub fn referrer_message_preview(
        &self,
        kind: MessageKind,
        referral_id: Uuid,
        options: &MessageOptions,
    ) -> Result<Message> {
        build_message(&self.message_facts(kind, referral_id, options)?)
    }
}

/// Whether a message of `kind` has already gone, and the one a new one must say it replaces.
fn check_not_sent_twice(
    sent: &[ReferrerMessage],
    kind: MessageKind,
    replaces: Option<Uuid>,
) -> Result<()> {
    let replaced_already = |id: Uuid| sent.iter().any(|m| m.replaces == Some(id));
    if let Some(id) = replaces {
        if replaced_already(id) {
            return Err(invalid(
                "replaces",
                "That message has already been corrected: replace the latest correction instead",
            ));
        }
        return Ok(());
    }
    if let Some(m) = sent.iter().rev().find(|m| m.kind == kind) {
        return Err(invalid(
            "replaces",
            &format!(
                "A {} message was already sent on {}: sent messages are never changed, so send a correction that replaces it",
                kind.label().to_lowercase(),
                m.sent_at.format("%-d %B %Y")
            ),
        ));
    }
    Ok(())
}

/// How a message was sent: by which route (defaults to the referrer's preferred) and when
/// (defaults to now).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, optional_fields = nullable)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct SentInput {
    pub route: Option<String>,
    pub sent_at: Option<String>,
}

impl Store {
    /// Records that a message was sent, keeping exactly what it said (its structured record).
    /// Insert-only: a correction is a new message that names the one it replaces.
    pub fn mark_message_sent(
        &mut self,
        kind: MessageKind,
        referral_id: Uuid,
        options: &MessageOptions,
        sent: &SentInput,
    ) -> Result<ReferrerMessage> {
        let message = self.referrer_message_preview(kind, referral_id, options)?;
        let mut c = crate::domain::validate::Checker::new();
        let route = match sent
            .route
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => Some(message.to.route),
            Some(r) => {
                let route = MessageRoute::parse(r);
                if route.is_none() {
                    c.fail(
                        "route",
                        crate::records::pathway::choose(
                            "how it was sent",
                            r,
                            MessageRoute::labels(),
                        ),
                    );
                }
                route
            }
        };
        let now = chrono::Local::now().naive_local();
        let sent_at = match sent
            .sent_at
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => Some(now),
            Some(t) => c.datetime("sent_at", "When it was sent", t),
        };
        if let Some(missing) = route.and_then(|r| unreachable_by(r, &message.to)) {
            c.fail("route", missing);
        }
        if sent_at.is_some_and(|t| t > now + chrono::Duration::minutes(5)) {
            c.fail("sent_at", "When it was sent cannot be in the future");
        }
        if sent_at.is_some_and(|t| t.date() < message.referral.received_on) {
            c.fail(
                "sent_at",
                "A message cannot be sent before the referral was received",
            );
        }
        c.finish()?;
        check_not_sent_twice(
            &self.referrer_messages(referral_id)?,
            kind,
            options.replaces,
        )?;
        let content = serde_json::to_string(&prsb_record(&message))?;
        self.write(|w| {
            let m = ReferrerMessage {
                id: w.new_id(),
                person_id: message.person_id,
                referral_id,
                referrer_id: Some(message.to.referrer_id),
                kind,
                route: route.unwrap_or(MessageRoute::Post),
                sent_at: sent_at.unwrap_or(now),
                worker_id: w.actor().worker_id,
                replaces: options.replaces,
                consent_rule: message.rule.as_str().to_string(),
                content,
            };
            w.create(&m)?;
            Ok(m)
        })
    }
}

/// A message to a referrer that is due and not sent, for Today.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct MessageDue {
    pub person_id: Uuid,
    pub person_name: String,
    pub referral_id: Uuid,
    pub kind: MessageKind,
    pub referrer_name: String,
    pub worker_name: String,
    /// Accepted: 5 working days after the referral was received; closed: the day it closed.
    pub due_on: NaiveDate,
    pub overdue: bool,
}

/// How long a referrer waits at most to hear that their referral was accepted.
pub const ACCEPTED_WITHIN_WORKING_DAYS: u32 = 5;

/// `days` working days (Monday to Friday) after `from`.
pub fn add_working_days(from: NaiveDate, days: u32) -> NaiveDate {
    use chrono::Datelike;
    let mut d = from;
    let mut left = days;
    while left > 0 {
        d = d.succ_opt().unwrap_or(d);
        if d.weekday().num_days_from_monday() < 5 {
            left -= 1;
        }
    }
    d
}

/// Messages due: the accepted message of each open referral with a referrer not yet sent,
/// and the closing message of each closed episode not yet sent. A worker sees their own
/// caseload's; a supervisor (or administrator) the team's.
pub fn messages_due(
    conn: &rusqlite::Connection,
    worker_id: Uuid,
    on: NaiveDate,
) -> Result<Vec<MessageDue>> {
    let mut stmt = conn.prepare_cached(
        "SELECT p.id, COALESCE(p.preferred_name, p.given_name) || ' ' || p.family_name, r.id,
                rf.name, w.name, r.received_on, e.status, e.closed_on,
                EXISTS (SELECT 1 FROM referrer_message m WHERE m.referral_id = r.id AND m.kind IN ('accepted', 'declined')),
                EXISTS (SELECT 1 FROM referrer_message m WHERE m.referral_id = r.id AND m.kind IN ('closed', 'declined'))
         FROM episode e JOIN referral r ON r.id = e.referral_id JOIN person p ON p.id = e.person_id
         JOIN referrer rf ON rf.id = r.referrer_id JOIN worker w ON w.id = e.worker_id
         WHERE e.worker_id = ?1
            OR EXISTS (SELECT 1 FROM worker me WHERE me.id = ?1 AND me.role IN ('supervisor', 'admin'))
         ORDER BY r.received_on, r.id",
    )?;
    let rows = stmt.query_map([worker_id.to_string()], |r| {
        Ok((
            crate::store::id_at(r, 0)?,
            r.get::<_, String>(1)?,
            crate::store::id_at(r, 2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, NaiveDate>(5)?,
            r.get::<_, String>(6)?,
            r.get::<_, Option<NaiveDate>>(7)?,
            r.get::<_, bool>(8)?,
            r.get::<_, bool>(9)?,
        ))
    })?;
    let mut due = Vec::new();
    for row in rows {
        let (
            person_id,
            person_name,
            referral_id,
            referrer_name,
            worker_name,
            received,
            status,
            closed_on,
            accepted_sent,
            closed_sent,
        ) = row?;
        let closed = status == EpisodeStatus::Closed.as_str();
        let (kind, due_on) = if closed && !closed_sent {
            (MessageKind::Closed, closed_on.unwrap_or(received))
        } else if !closed && !accepted_sent {
            (
                MessageKind::Accepted,
                add_working_days(received, ACCEPTED_WITHIN_WORKING_DAYS),
            )
        } else {
            continue;
        };
        due.push(MessageDue {
            person_id,
            person_name,
            referral_id,
            kind,
            referrer_name,
            worker_name,
            due_on,
            overdue: due_on < on,
        });
    }
    due.sort_by_key(|d| d.due_on);
    Ok(due)
}

/// The message as a letter on the service's letterhead.
pub fn letter_of(m: &Message) -> linkwell_print::Letter {
    let f = &m.from;
    let mut letterhead = vec![f.service_name.clone()];
    letterhead.extend(f.address.clone());
    let reach: Vec<String> = [
        f.phone.as_ref().map(|p| format!("Phone {p}")),
        f.email.as_ref().map(|e| format!("Email {e}")),
        f.website.clone(),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !reach.is_empty() {
        letterhead.push(reach.join("   "));
    }
    let t = &m.to;
    let mut recipient = vec![t.name.clone()];
    recipient.extend(t.role.clone());
    recipient.extend(t.practice.as_ref().map(|p| match &t.ods_code {
        Some(code) => format!("{p} ({code})"),
        None => p.clone(),
    }));
    recipient.extend(t.organisation.clone());
    match t.route {
        MessageRoute::SecureEmail => {
            recipient.push(format!(
                "By secure email: {}",
                t.secure_email.clone().unwrap_or_default()
            ));
        }
        MessageRoute::Post => {
            recipient.extend(
                t.postal_address
                    .iter()
                    .flat_map(|a| a.split([',', '\n']))
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_string),
            );
            recipient.extend(t.postcode.clone());
        }
        MessageRoute::GpSystem => recipient.push(format!(
            "Into the GP system of practice {}",
            t.ods_code.clone().unwrap_or_default()
        )),
    }
    let about = match &m.person.nhs_number {
        Some(n) => format!("NHS number {n}, {}", m.person.full_name),
        None => m.person.full_name.clone(),
    };
    let blocks = sections(m)
        .into_iter()
        .map(|s| linkwell_print::LetterBlock {
            heading: s.heading,
            rows: s.rows.into_iter().map(|r| (r.label, r.value)).collect(),
        })
        .collect();
    let mut sign_off = vec!["Yours sincerely".to_string()];
    sign_off.extend(f.worker_name.clone());
    sign_off.push(f.service_name.clone());
    linkwell_print::Letter {
        title: m.title.clone(),
        letterhead,
        recipient,
        date: m.written_on,
        about,
        blocks,
        sign_off,
    }
}

/// A message ready for the screen: the message, its words by section, its letter laid out
/// (pages in mm, as it will print) and its structured record.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct MessageReview {
    pub message: Message,
    pub sections: Vec<MessageSection>,
    pub document: linkwell_print::Document,
    #[ts(type = "unknown")]
    pub record: Value,
    /// Messages already sent about this referral, oldest first.
    pub sent: Vec<ReferrerMessage>,
}

impl Store {
    pub fn message_review(
        &self,
        kind: MessageKind,
        referral_id: Uuid,
        options: &MessageOptions,
    ) -> Result<MessageReview> {
        let message = self.referrer_message_preview(kind, referral_id, options)?;
        let opts = linkwell_print::PrintOptions::new(message.written_on);
        let document = linkwell_print::layout_letter(&letter_of(&message), &opts)?;
        Ok(MessageReview {
            sections: sections(&message),
            record: prsb_record(&message),
            sent: self.referrer_messages(referral_id)?,
            document,
            message,
        })
    }

    /// The letter as PDF bytes.
    pub fn message_pdf(
        &self,
        kind: MessageKind,
        referral_id: Uuid,
        options: &MessageOptions,
    ) -> Result<Vec<u8>> {
        let message = self.referrer_message_preview(kind, referral_id, options)?;
        let opts = linkwell_print::PrintOptions::new(message.written_on);
        Ok(linkwell_print::letter_pdf(&letter_of(&message), &opts)?)
    }
}

/// A message's kind as typed (`accepted`, `declined`, `first-seen`, `closed`), or the field's
/// error in words.
pub fn parse_kind(typed: &str) -> Result<MessageKind> {
    MessageKind::parse(&typed.replace('-', "_")).ok_or_else(|| {
        invalid(
            "kind",
            &crate::records::pathway::choose(
                "which message",
                typed,
                "accepted, declined, first-seen, closed".to_string(),
            ),
        )
    })
}

/// A saved letter's name: the kind, the referral's id and nothing about the person (folders
/// are not encrypted).
pub fn letter_file_stem(kind: MessageKind, referral_id: Uuid) -> String {
    format!(
        "linkwell-message-{}-{}",
        kind.as_str().replace('_', "-"),
        referral_id
    )
}
