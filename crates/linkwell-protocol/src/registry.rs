//! The column registry: for each kind of record, its table and the fields a mutation may
//! write, with their stored types. Part of the wire contract: the laptop applies local writes
//! and pulled changes through it, and the server checks every pushed change against it.
//! Changing it changes [`crate::WIRE_SCHEMA_VERSION`].

use crate::EntityKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColType {
    Text,
    Int,
    Bool,
    Real,
    /// A JSON array stored as text.
    List,
}

pub struct Table {
    pub name: &'static str,
    pub cols: &'static [(&'static str, ColType)],
}

impl Table {
    pub fn col(&self, name: &str) -> Option<ColType> {
        self.cols.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
    }
}

use ColType::*;

pub fn table(kind: EntityKind) -> Table {
    let (name, cols): (&'static str, &'static [(&'static str, ColType)]) = match kind {
        EntityKind::Team => ("team", &[("name", Text), ("locality", Text)]),
        EntityKind::Worker => (
            "worker",
            &[
                ("name", Text),
                ("role", Text),
                ("team_id", Text),
                ("phone", Text),
                ("email", Text),
                ("active", Bool),
            ],
        ),
        EntityKind::Person => (
            "person",
            &[
                ("team_id", Text),
                ("given_name", Text),
                ("family_name", Text),
                ("preferred_name", Text),
                ("date_of_birth", Text),
                ("nhs_number", Text),
                ("address", Text),
                ("postcode", Text),
                ("phone", Text),
                ("email", Text),
                ("gp_practice", Text),
                ("language", Text),
                ("interpreter_needed", Bool),
                ("large_print", Bool),
                ("easy_read", Bool),
                ("accessibility_needs", Text),
                ("carer_status", Text),
                ("contact_restrictions", Text),
                ("created_on", Text),
                ("distinct_from", List),
                ("distinct_decided_by", Text),
            ],
        ),
        EntityKind::Consent => (
            "consent",
            &[
                ("person_id", Text),
                ("kind", Text),
                ("given", Bool),
                ("recorded_on", Text),
                ("recorded_by", Text),
                ("note", Text),
            ],
        ),
        EntityKind::RiskFlag => (
            "risk_flag",
            &[
                ("person_id", Text),
                ("kind", Text),
                ("active", Bool),
                ("review_on", Text),
                ("note", Text),
                ("recorded_on", Text),
                ("recorded_by", Text),
            ],
        ),
        EntityKind::Referral => (
            "referral",
            &[
                ("person_id", Text),
                ("source", Text),
                ("referrer_name", Text),
                ("referrer_practice", Text),
                ("received_on", Text),
                ("reasons", List),
                ("conditions", List),
                ("snomed_code", Text),
                ("consent_to_contact", Bool),
                ("detail", Text),
                ("referrer_id", Text),
            ],
        ),
        EntityKind::ContactAttempt => (
            "contact_attempt",
            &[
                ("referral_id", Text),
                ("attempted_at", Text),
                ("method", Text),
                ("outcome", Text),
                ("note", Text),
                ("worker_id", Text),
            ],
        ),
        EntityKind::Episode => (
            "episode",
            &[
                ("person_id", Text),
                ("referral_id", Text),
                ("stage", Text),
                ("worker_id", Text),
                ("status", Text),
                ("opened_on", Text),
                ("first_contact_on", Text),
                ("closed_on", Text),
                ("closing_reason", Text),
            ],
        ),
        EntityKind::Handover => (
            "handover",
            &[
                ("episode_id", Text),
                ("from_worker_id", Text),
                ("to_worker_id", Text),
                ("to_stage", Text),
                ("handed_on", Text),
                ("note", Text),
            ],
        ),
        EntityKind::Session => (
            "session",
            &[
                ("person_id", Text),
                ("episode_id", Text),
                ("worker_id", Text),
                ("starts_at", Text),
                ("mode", Text),
                ("venue", Text),
                ("minutes", Int),
                ("attendance", Text),
                ("actions_agreed", Text),
                ("next_step", Text),
            ],
        ),
        EntityKind::Note => (
            "note",
            &[
                ("person_id", Text),
                ("session_id", Text),
                ("created_at", Text),
                ("worker_id", Text),
            ],
        ),
        EntityKind::NoteRevision => (
            "note_revision",
            &[
                ("note_id", Text),
                ("supersedes", Text),
                ("body", Text),
                ("retracted", Bool),
                ("reason", Text),
                ("written_at", Text),
                ("worker_id", Text),
            ],
        ),
        EntityKind::WellbeingPlan => (
            "wellbeing_plan",
            &[
                ("person_id", Text),
                ("keeps_me_well", Text),
                ("triggers", Text),
                ("warning_signs", Text),
                ("when_i_notice", Text),
                ("crisis_help", Text),
                ("written_on", Text),
                ("review_on", Text),
                ("worker_id", Text),
            ],
        ),
        EntityKind::Goal => (
            "goal",
            &[
                ("person_id", Text),
                ("text", Text),
                ("five_ways", Text),
                ("set_on", Text),
                ("status", Text),
                ("archived", Bool),
            ],
        ),
        EntityKind::GoalStep => (
            "goal_step",
            &[
                ("goal_id", Text),
                ("text", Text),
                ("target_on", Text),
                ("status", Text),
                ("archived", Bool),
            ],
        ),
        EntityKind::GoalRating => (
            "goal_rating",
            &[
                ("goal_id", Text),
                ("rated_on", Text),
                ("score", Int),
                ("worker_id", Text),
            ],
        ),
        EntityKind::Measure => (
            "measure",
            &[
                ("person_id", Text),
                ("instrument", Text),
                ("time_point", Text),
                ("taken_on", Text),
                ("worker_id", Text),
                ("score", Real),
                ("level", Int),
                ("items", List),
            ],
        ),
        EntityKind::FollowUpDecision => (
            "follow_up_decision",
            &[
                ("person_id", Text),
                ("time_point", Text),
                ("decision", Text),
                ("decided_on", Text),
                ("note", Text),
                ("worker_id", Text),
                ("instrument", Text),
                ("due_on", Text),
                ("remind_on", Text),
            ],
        ),
        EntityKind::InstrumentLicence => (
            "instrument_licence",
            &[
                ("instrument", Text),
                ("licence_holder", Text),
                ("enabled", Bool),
                ("recorded_on", Text),
                ("licensed_on", Text),
                ("covers_items", Bool),
            ],
        ),
        EntityKind::FollowUpSchedule => (
            "follow_up_schedule",
            &[
                ("instrument", Text),
                ("t1_months", Int),
                ("t2_months", Int),
                ("every_months", Int),
                ("recorded_on", Text),
            ],
        ),
        EntityKind::Provider => (
            "provider",
            &[
                ("name", Text),
                ("website", Text),
                ("phone", Text),
                ("email", Text),
            ],
        ),
        EntityKind::Service => (
            "service",
            &[
                ("provider_id", Text),
                ("name", Text),
                ("description", Text),
                ("categories", List),
                ("five_ways", List),
                ("schedules", List),
                ("venue", Text),
                ("address", Text),
                ("postcode", Text),
                ("cost", Text),
                ("free", Bool),
                ("step_free", Bool),
                ("hearing_loop", Bool),
                ("transport", Text),
                ("taking_new_members", Bool),
                ("contact_name", Text),
                ("contact_phone", Text),
                ("contact_email", Text),
                ("lead", Text),
                ("last_verified_on", Text),
                ("status", Text),
                ("redirect_to", Text),
                ("feed_id", Text),
                ("feed_snapshot", Text),
                ("feed_differs", Text),
                ("feed_unlisted_on", Text),
                ("tags", List),
                ("languages", List),
                ("min_age", Int),
                ("max_age", Int),
                ("eligibility", Text),
                ("accessibility", Text),
                ("schedule_note", Text),
                ("website", Text),
                ("uprn", Text),
                ("latitude", Real),
                ("longitude", Real),
                ("places_per_session", Int),
                ("places_free", Int),
                ("has_room", Text),
                ("capacity_on", Text),
            ],
        ),
        EntityKind::OnwardReferral => (
            "onward_referral",
            &[
                ("person_id", Text),
                ("service_id", Text),
                ("status", Text),
                ("barriers", List),
                ("suggested_on", Text),
                ("status_on", Text),
                ("feedback", Text),
                ("worker_id", Text),
                ("accompanied_by_worker_id", Text),
                ("accompanied_by_name", Text),
                ("agreed_on", Text),
            ],
        ),
        EntityKind::WaitingListEntry => (
            "waiting_list_entry",
            &[
                ("person_id", Text),
                ("service_id", Text),
                ("onward_referral_id", Text),
                ("since_on", Text),
                ("worker_id", Text),
                ("ended_on", Text),
                ("end_reason", Text),
            ],
        ),
        EntityKind::GroupAttendance => (
            "group_attendance",
            &[
                ("person_id", Text),
                ("service_id", Text),
                ("onward_referral_id", Text),
                ("attended_on", Text),
                ("worker_id", Text),
            ],
        ),
        EntityKind::LeadFeedback => (
            "lead_feedback",
            &[
                ("person_id", Text),
                ("onward_referral_id", Text),
                ("received_on", Text),
                ("from_whom", Text),
                ("said", Text),
                ("worker_id", Text),
            ],
        ),
        EntityKind::Referrer => (
            "referrer",
            &[
                ("name", Text),
                ("role", Text),
                ("organisation", Text),
                ("practice", Text),
                ("ods_code", Text),
                ("secure_email", Text),
                ("postal_address", Text),
                ("postcode", Text),
                ("preferred_route", Text),
                ("archived", Bool),
                ("created_on", Text),
            ],
        ),
        EntityKind::ReferrerMessage => (
            "referrer_message",
            &[
                ("person_id", Text),
                ("referral_id", Text),
                ("referrer_id", Text),
                ("kind", Text),
                ("route", Text),
                ("sent_at", Text),
                ("worker_id", Text),
                ("replaces", Text),
                ("consent_rule", Text),
                ("content", Text),
            ],
        ),
        EntityKind::Letterhead => (
            "letterhead",
            &[
                ("service_name", Text),
                ("address", Text),
                ("phone", Text),
                ("email", Text),
                ("website", Text),
                ("recorded_on", Text),
            ],
        ),
        EntityKind::AuditEvent => (
            "audit_event",
            &[
                ("person_id", Text),
                ("action", Text),
                ("at", Text),
                ("worker_id", Text),
                ("device_id", Text),
            ],
        ),
    };
    Table { name, cols }
}
