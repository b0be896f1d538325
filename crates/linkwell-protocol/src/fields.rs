//! What each field of the [`crate::registry`] may hold on the wire: its shape (free text and
//! its limit, an id, a date, an NHS number, a postcode, a code from a closed vocabulary...)
//! and whether it may be empty. One definition, checked by the server on every pushed change
//! and by the laptop on every pulled one, using the laptop's own rules
//! (`linkwell_domain::validate`, the vocabularies). The laptop's forms read their free-text
//! limits from here through [`text_limit`] (set-up's names are tighter still). Changing this
//! changes [`crate::WIRE_SCHEMA_VERSION`].

use crate::EntityKind;
use crate::registry::{self, ColType};
use linkwell_domain::validate;
use linkwell_domain::vocabulary as v;
use serde_json::{Map, Value};

/// What a field holds.
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    /// Free text of at most this many characters, with no NUL or other control characters
    /// but tab and line breaks.
    Text(usize),
    /// A record id: a UUID.
    Id,
    /// `YYYY-MM-DD`.
    Date,
    /// `YYYY-MM-DDTHH:MM:SS[.fff]`.
    DateTime,
    /// Ten digits passing the modulus 11 check.
    NhsNumber,
    /// A UK postcode in its stored form (BS 7666, ZZ99 or BFPO).
    Postcode,
    Phone,
    Email,
    /// A GP practice's ODS code (one letter, five digits).
    OdsCode,
    /// One code of a closed vocabulary.
    Code(Vocab),
    /// Whole number within bounds.
    Int(i64, i64),
    /// Number within bounds.
    Real(f64, f64),
    Bool,
    /// A list of at most `max` codes of a vocabulary.
    Codes(Vocab, usize),
    /// A list of at most `max` pieces of free text, each at most `chars` characters.
    Texts {
        chars: usize,
        max: usize,
    },
    /// A list of at most this many record ids.
    Ids(usize),
    /// A list of at most `max` whole numbers within bounds.
    Ints {
        min: i64,
        max_value: i64,
        max: usize,
    },
    /// A service's meeting times: `{weekday, starts, ends, frequency}` objects.
    Schedules,
}

/// A closed vocabulary: its name for messages and whether a text is one of its codes.
#[derive(Debug, Clone, Copy)]
pub struct Vocab(pub &'static str, pub fn(&str) -> bool);

macro_rules! vocab {
    ($t:ident) => {
        Vocab(stringify!($t), |s: &str| {
            v::$t::ALL.iter().any(|c| c.as_str() == s)
        })
    };
}

/// A field's rule: its shape and whether it may be null.
#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    pub shape: Shape,
    pub required: bool,
}

/// Longest text any field holds (a note's body): what a field without its own rule is held to.
pub const LONGEST_TEXT: usize = 20_000;

/// Longest structured record of a message sent to a referrer (a year of sessions fits).
pub const MESSAGE_TEXT: usize = 200_000;

/// Most entries a list field may hold.
const LIST_MAX: usize = 50;

const fn req(shape: Shape) -> FieldSpec {
    FieldSpec {
        shape,
        required: true,
    }
}

const fn opt(shape: Shape) -> FieldSpec {
    FieldSpec {
        shape,
        required: false,
    }
}

/// The rule of one field of a kind, or None for a field the registry does not have.
pub fn spec(kind: EntityKind, field: &str) -> Option<FieldSpec> {
    let ty = registry::table(kind).col(field)?;
    Some(specific(kind, field).unwrap_or(match ty {
        ColType::Text => opt(Shape::Text(LONGEST_TEXT)),
        ColType::Int => opt(Shape::Int(i64::MIN, i64::MAX)),
        ColType::Real => opt(Shape::Real(f64::MIN, f64::MAX)),
        ColType::Bool => req(Shape::Bool),
        ColType::List => req(Shape::Texts {
            chars: LONGEST_TEXT,
            max: LIST_MAX,
        }),
    }))
}

/// The most characters a free-text field holds on the wire: the laptop's forms check the same
/// number, so a form never takes what the server refuses. Asking for a field that is not free
/// text is a mistake in the caller (caught by any test of that form).
pub fn text_limit(kind: EntityKind, field: &str) -> usize {
    match spec(kind, field).map(|s| s.shape) {
        Some(Shape::Text(max)) => max,
        other => {
            debug_assert!(false, "{kind:?}.{field} is not free text: {other:?}");
            LONGEST_TEXT
        }
    }
}

/// Ids, dates and booleans by the field's name; everything else by kind and field.
fn specific(kind: EntityKind, field: &str) -> Option<FieldSpec> {
    use EntityKind as K;
    use Shape::*;
    let by_name = match field {
        "person_id" if kind == K::AuditEvent => Some(opt(Id)),
        "team_id" | "person_id" | "referral_id" | "episode_id" | "note_id" | "goal_id"
        | "service_id" | "worker_id" | "recorded_by" | "from_worker_id" | "to_worker_id"
        | "device_id" | "onward_referral_id" => Some(req(Id)),
        "session_id"
        | "supersedes"
        | "provider_id"
        | "redirect_to"
        | "distinct_decided_by"
        | "accompanied_by_worker_id"
        | "referrer_id"
        | "replaces" => Some(opt(Id)),
        "distinct_from" => Some(req(Ids(LIST_MAX))),
        "created_on" | "recorded_on" | "received_on" | "opened_on" | "handed_on" | "set_on"
        | "rated_on" | "taken_on" | "decided_on" | "suggested_on" | "status_on" | "written_on"
        | "since_on" | "attended_on" => Some(req(Date)),
        "date_of_birth" | "first_contact_on" | "closed_on" | "target_on" | "last_verified_on"
        | "due_on" | "remind_on" | "licensed_on" | "capacity_on" | "agreed_on" | "ended_on" => {
            Some(opt(Date))
        }
        "t1_months" | "t2_months" | "every_months" => Some(opt(Int(0, 240))),
        "attempted_at" | "starts_at" | "created_at" | "written_at" | "at" | "sent_at" => {
            Some(req(DateTime))
        }
        _ => None,
    };
    if by_name.is_some() {
        return by_name;
    }
    if registry::table(kind).col(field) == Some(ColType::Bool) {
        return Some(req(Bool));
    }
    Some(match (kind, field) {
        (K::Team, "name") | (K::Worker, "name") => req(Text(200)),
        (K::Team, "locality") => opt(Text(200)),
        (K::Worker, "role") => req(Code(vocab!(Role))),
        (K::Worker, "phone") => opt(Text(40)),
        (K::Worker, "email") => opt(Text(200)),
        (K::Person, "given_name" | "family_name") => req(Text(100)),
        (K::Person, "preferred_name") => opt(Text(100)),
        (K::Person, "nhs_number") => opt(NhsNumber),
        (K::Person | K::Service, "address") => opt(Text(300)),
        (K::Person | K::Service, "postcode") => opt(Postcode),
        (K::Person, "phone") | (K::Service, "contact_phone") => opt(Phone),
        (K::Person, "email") | (K::Service, "contact_email") => opt(Email),
        (K::Person, "gp_practice" | "carer_status") => opt(Text(200)),
        (K::Person, "language") => opt(Text(60)),
        (K::Person, "accessibility_needs" | "contact_restrictions") => opt(Text(1000)),
        (K::Consent, "kind") => req(Code(vocab!(ConsentKind))),
        (K::Consent, "note") | (K::FollowUpDecision, "note") => opt(Text(1000)),
        (K::RiskFlag, "kind") => req(Code(vocab!(RiskKind))),
        (K::RiskFlag, "review_on") => req(Date),
        (K::RiskFlag, "note") | (K::ContactAttempt, "note") => opt(Text(2000)),
        (K::Referral, "source") => req(Code(vocab!(ReferralSource))),
        (K::Referral, "referrer_name") => opt(Text(120)),
        (K::Referral, "referrer_practice") => opt(Text(200)),
        (K::Referral, "reasons") => req(Codes(vocab!(ReferralReason), LIST_MAX)),
        (K::Referral, "conditions") => req(Texts {
            chars: 120,
            max: LIST_MAX,
        }),
        (K::Referral, "snomed_code") => opt(Code(vocab!(SnomedCode))),
        (K::Referral, "detail") => opt(Text(4000)),
        (K::ContactAttempt, "method") => req(Code(vocab!(ContactMethod))),
        (K::ContactAttempt, "outcome") => req(Code(vocab!(ContactOutcome))),
        (K::Episode, "stage") | (K::Handover, "to_stage") => req(Code(vocab!(Stage))),
        (K::Episode, "status") => req(Code(vocab!(EpisodeStatus))),
        (K::Episode, "closing_reason") => opt(Code(vocab!(ClosingReason))),
        (K::Handover, "note") => req(Text(4000)),
        (K::Session, "mode") => req(Code(vocab!(SessionMode))),
        (K::Session, "venue") | (K::Service, "venue") => opt(Text(200)),
        (K::Session, "minutes") => opt(Int(0, 600)),
        (K::Session, "attendance") => req(Code(vocab!(Attendance))),
        (K::Session, "actions_agreed") => opt(Text(4000)),
        (K::Session, "next_step") => opt(Text(1000)),
        (K::NoteRevision, "body") => req(Text(LONGEST_TEXT)),
        (K::NoteRevision, "reason") => opt(Text(1000)),
        (
            K::WellbeingPlan,
            "keeps_me_well" | "triggers" | "warning_signs" | "when_i_notice" | "crisis_help",
        ) => req(Text(4000)),
        (K::WellbeingPlan, "review_on") => opt(Date),
        (K::Goal, "text") => req(Text(1000)),
        (K::Goal, "five_ways") => req(Code(vocab!(FiveWays))),
        (K::Goal, "status") => req(Code(vocab!(GoalStatus))),
        (K::GoalStep, "text") => req(Text(500)),
        (K::GoalStep, "status") => req(Code(vocab!(StepStatus))),
        (K::GoalRating, "score") => req(Int(-2, 2)),
        (K::FollowUpDecision, "instrument") => opt(Code(vocab!(Instrument))),
        (_, "instrument") => req(Code(vocab!(Instrument))),
        (K::Measure | K::FollowUpDecision, "time_point") => req(Code(vocab!(TimePoint))),
        (K::Measure, "score") => opt(Real(-1_000_000.0, 1_000_000.0)),
        (K::Measure, "level") => opt(Int(-1_000_000, 1_000_000)),
        (K::Measure, "items") => req(Ints {
            min: -1_000_000,
            max_value: 1_000_000,
            max: 100,
        }),
        (K::FollowUpDecision, "decision") => req(Code(vocab!(FollowUpDecisionKind))),
        (K::InstrumentLicence, "licence_holder") => req(Text(200)),
        (K::Provider, "name") | (K::Service, "name") => req(Text(200)),
        (K::Provider, "website") => opt(Text(300)),
        (K::Provider, "phone") => opt(Phone),
        (K::Provider, "email") => opt(Email),
        (K::Service, "description") => req(Text(4000)),
        (K::Service, "categories") => req(Codes(vocab!(ServiceCategory), LIST_MAX)),
        (K::Service, "five_ways") => req(Codes(vocab!(FiveWays), LIST_MAX)),
        (K::Service, "schedules") => req(Schedules),
        (K::Service, "cost") => opt(Text(200)),
        (K::Service, "transport") => opt(Text(300)),
        (K::Service, "contact_name" | "lead") => opt(Text(120)),
        (K::Service, "status") => req(Code(vocab!(ServiceStatus))),
        // Issue 17: what an Open Referral UK feed adds (snapshot and differs are JSON text).
        (K::Service, "feed_id" | "uprn") => opt(Text(200)),
        (K::Service, "feed_snapshot" | "feed_differs") => opt(Text(LONGEST_TEXT)),
        (K::Service, "feed_unlisted_on") => opt(Date),
        (K::Service, "tags" | "languages") => req(Texts {
            chars: 200,
            max: LIST_MAX,
        }),
        (K::Service, "min_age" | "max_age") => opt(Int(0, 150)),
        (K::Service, "eligibility" | "accessibility" | "schedule_note") => opt(Text(4000)),
        (K::Service, "website") => opt(Text(300)),
        (K::Service, "latitude") => opt(Real(-90.0, 90.0)),
        (K::Service, "longitude") => opt(Real(-180.0, 180.0)),
        (K::OnwardReferral, "status") => req(Code(vocab!(OnwardStatus))),
        (K::Service, "places_per_session" | "places_free") => opt(Int(0, 10_000)),
        (K::Service, "has_room") => req(Code(vocab!(HasRoom))),
        (K::WaitingListEntry, "end_reason") => opt(Code(vocab!(WaitEnd))),
        (K::LeadFeedback, "from_whom") => req(Text(120)),
        (K::LeadFeedback, "said") => req(Text(4000)),
        (K::OnwardReferral, "barriers") => req(Codes(vocab!(Barrier), LIST_MAX)),
        (K::OnwardReferral, "feedback") => opt(Text(4000)),
        (K::OnwardReferral, "accompanied_by_name") => opt(Text(200)),
        (K::AuditEvent, "action") => req(Text(60)),
        (K::Referrer, "name") => req(Text(120)),
        (K::Referrer, "role" | "organisation" | "practice") => opt(Text(200)),
        (K::Referrer, "ods_code") => opt(OdsCode),
        (K::Referrer, "secure_email") | (K::Letterhead, "email") => opt(Email),
        (K::Referrer, "postal_address") | (K::Letterhead, "address") => opt(Text(300)),
        (K::Referrer, "postcode") => opt(Postcode),
        (K::Referrer, "preferred_route") | (K::ReferrerMessage, "route") => {
            req(Code(vocab!(MessageRoute)))
        }
        (K::ReferrerMessage, "kind") => req(Code(vocab!(MessageKind))),
        (K::ReferrerMessage, "consent_rule") => req(Text(60)),
        // The message as it was sent (its structured record, JSON text): kept whole.
        (K::ReferrerMessage, "content") => req(Text(MESSAGE_TEXT)),
        (K::Letterhead, "service_name") => req(Text(200)),
        (K::Letterhead, "phone") => opt(Phone),
        (K::Letterhead, "website") => opt(Text(300)),
        _ => return None,
    })
}

/// One field that breaks its rule, and how, in words for the person reviewing the change.
/// The message never quotes the value (it may be huge, or personal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

/// Checks every field of a change's payload (unknown fields are the registry's concern and
/// are refused by [`check_payload`] too).
pub fn check_payload(kind: EntityKind, payload: &Map<String, Value>) -> Result<(), FieldProblem> {
    for (field, value) in payload {
        let problem = |message: String| FieldProblem {
            field: field.clone(),
            message,
        };
        let Some(spec) = spec(kind, field) else {
            return Err(problem(format!(
                "{} has no field {field}",
                registry::table(kind).name
            )));
        };
        check_value(&spec, value).map_err(problem)?;
    }
    Ok(())
}

/// Checks one value against its field's rule.
pub fn check_value(spec: &FieldSpec, value: &Value) -> Result<(), String> {
    if value.is_null() {
        return if spec.required {
            Err("must not be empty".into())
        } else {
            Ok(())
        };
    }
    match (spec.shape, value) {
        (Shape::Bool, Value::Bool(_)) => Ok(()),
        (Shape::Int(lo, hi), Value::Number(n)) => in_range(n.as_i64(), lo, hi),
        (Shape::Real(lo, hi), Value::Number(n)) => match n.as_f64() {
            Some(x) if (lo..=hi).contains(&x) => Ok(()),
            _ => Err(format!("must be a number from {lo} to {hi}")),
        },
        (Shape::Codes(vocab, max), Value::Array(items)) => {
            list(items, max, |i| code(vocab, i.as_str()))
        }
        (Shape::Texts { chars, max }, Value::Array(items)) => list(items, max, |i| match i {
            Value::String(s) => text(s, chars),
            _ => Err("must be text".into()),
        }),
        (
            Shape::Ints {
                min,
                max_value,
                max,
            },
            Value::Array(items),
        ) => list(items, max, |i| in_range(i.as_i64(), min, max_value)),
        (Shape::Schedules, Value::Array(items)) => list(items, LIST_MAX, schedule),
        (Shape::Ids(max), Value::Array(items)) => list(items, max, |i| match i {
            Value::String(s) => string(Shape::Id, s),
            _ => Err("must be record ids".into()),
        }),
        (shape, Value::String(s)) => string(shape, s),
        _ => Err("has the wrong type of value".into()),
    }
}

fn in_range(n: Option<i64>, lo: i64, hi: i64) -> Result<(), String> {
    match n {
        Some(x) if (lo..=hi).contains(&x) => Ok(()),
        _ => Err(format!("must be a whole number from {lo} to {hi}")),
    }
}

fn list(
    items: &[Value],
    max: usize,
    each: impl Fn(&Value) -> Result<(), String>,
) -> Result<(), String> {
    if items.len() > max {
        return Err(format!("has too many entries (at most {max})"));
    }
    items.iter().try_for_each(each)
}

fn code(vocab: Vocab, s: Option<&str>) -> Result<(), String> {
    match s {
        Some(s) if (vocab.1)(s) => Ok(()),
        _ => Err(format!("is not one of the {} codes", vocab.0)),
    }
}

/// Free text: bounded, no NUL or control characters (tab and line breaks are text).
fn text(s: &str, max: usize) -> Result<(), String> {
    // Bytes bound characters from above: a cheap first test for a huge value.
    if s.len() > max * 4 || s.chars().count() > max {
        return Err(format!("is too long (at most {max} characters)"));
    }
    if s.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err("contains a control character (such as NUL)".into());
    }
    Ok(())
}

/// Longest structured value (an id, a date, a postcode...): checked before its rule, so a
/// rule's message (which may quote the value) stays short.
const SHORT: usize = 64;

fn string(shape: Shape, s: &str) -> Result<(), String> {
    if let Shape::Text(max) = shape {
        return text(s, max);
    }
    if s.len() > SHORT {
        return Err("is too long".into());
    }
    text(s, SHORT)?;
    match shape {
        Shape::Id => uuid::Uuid::parse_str(s)
            .map(|_| ())
            .map_err(|_| "is not a record id".to_string()),
        Shape::Date => validate::stored_date(s).map(|_| ()),
        Shape::DateTime => validate::stored_datetime(s).map(|_| ()),
        Shape::NhsNumber => validate::stored_form(s, validate::nhs_number),
        Shape::Postcode => validate::stored_form(s, validate::postcode),
        Shape::Phone => validate::phone(s).map(|_| ()),
        Shape::Email => validate::email(s).map(|_| ()),
        Shape::OdsCode => validate::stored_form(s, validate::ods_code),
        Shape::Code(vocab) => code(vocab, Some(s)),
        _ => Err("has the wrong type of value".into()),
    }
}

fn schedule(item: &Value) -> Result<(), String> {
    let Value::Object(o) = item else {
        return Err("each meeting time must be a weekday, start, end and frequency".into());
    };
    for (k, val) in o {
        let s = val.as_str();
        let ok = match k.as_str() {
            "weekday" => code(vocab!(Weekday), s),
            "starts" | "ends" => s
                .filter(|s| s.len() <= SHORT)
                .map_or(Err("is not a time".into()), validate::stored_time),
            "frequency" => match s {
                Some("weekly" | "fortnightly" | "monthly") => Ok(()),
                _ => Err("must be weekly, fortnightly or monthly".into()),
            },
            _ => Err("is not part of a meeting time".into()),
        };
        ok.map_err(|m| format!("meeting time {k} {m}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Every field of the registry has a rule of its own, of the registry's type.
    #[test]
    fn every_registry_field_has_its_own_rule() {
        for kind in EntityKind::ALL {
            for (field, ty) in registry::table(kind).cols {
                let s = specific(kind, field)
                    .unwrap_or_else(|| panic!("{}.{field} has no wire rule", kind.as_str()));
                let fits = match s.shape {
                    Shape::Bool => *ty == ColType::Bool,
                    Shape::Int(..) => *ty == ColType::Int,
                    Shape::Real(..) => *ty == ColType::Real,
                    Shape::Codes(..)
                    | Shape::Texts { .. }
                    | Shape::Ints { .. }
                    | Shape::Ids(_)
                    | Shape::Schedules => *ty == ColType::List,
                    _ => *ty == ColType::Text,
                };
                assert!(
                    fits,
                    "{}.{field}: rule {:?} for a {ty:?}",
                    kind.as_str(),
                    s.shape
                );
            }
        }
    }

    fn check(kind: EntityKind, p: Value) -> Result<(), FieldProblem> {
        check_payload(kind, p.as_object().unwrap())
    }

    #[test]
    fn the_laptops_values_pass_and_bad_ones_name_their_field() {
        let person = json!({
            "team_id": "0190a0e0-0000-7000-8000-000000000001",
            "given_name": "Ada", "family_name": "Lovelace", "preferred_name": null,
            "date_of_birth": "1950-03-01", "nhs_number": "9434765919", "postcode": "LE12 6QW",
            "phone": "01509 123456", "email": "a@b.org", "interpreter_needed": false,
            "created_on": "2026-11-22"
        });
        assert_eq!(check(EntityKind::Person, person), Ok(()));
        let bad = |p: Value| check(EntityKind::Person, p).unwrap_err();
        assert_eq!(
            bad(json!({"given_name": "x".repeat(101)})).field,
            "given_name"
        );
        assert_eq!(bad(json!({"nhs_number": "9434765918"})).field, "nhs_number");
        assert_eq!(bad(json!({"postcode": "12345"})).field, "postcode");
        assert_eq!(
            bad(json!({"date_of_birth": "yesterday"})).field,
            "date_of_birth"
        );
        assert_eq!(bad(json!({"address": "a\u{0}b"})).field, "address");
        assert_eq!(bad(json!({"team_id": "team-a"})).field, "team_id");
        assert_eq!(bad(json!({"team_id": null})).field, "team_id");
        assert_eq!(bad(json!({"nickname": "x"})).field, "nickname");
        let huge = bad(json!({"family_name": "x".repeat(10 << 20)}));
        assert!(huge.message.len() < 100, "{}", huge.message);
        assert!(
            check(EntityKind::Episode, json!({"status": "lost_in_space"})).is_err(),
            "a closed vocabulary"
        );
        assert!(check(EntityKind::GoalRating, json!({"score": 3})).is_err());
        assert!(check(EntityKind::NoteRevision, json!({"body": "line\nnext\ttab"})).is_ok());
        let schedules = json!({"schedules": [{"weekday": "mon", "starts": "10:00", "ends": "11:00", "frequency": "weekly"}]});
        assert_eq!(check(EntityKind::Service, schedules), Ok(()));
        assert!(
            check(
                EntityKind::Service,
                json!({"schedules": [{"weekday": "funday"}]})
            )
            .is_err()
        );
    }
}
