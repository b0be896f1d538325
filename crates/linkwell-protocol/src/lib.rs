//! The wire contract between a laptop (`linkwell-core`) and the server (`linkwell-server`):
//! the sync messages, the hybrid logical clock, the payload hash and the column registry
//! ([`registry`]) that says which fields each kind of record has, and what each field may
//! hold ([`fields`], the laptop's own rules, checked at both ends).
//!
//! Only these types cross the wire, and this is all the two sides share. No I/O, no storage.

pub mod fields;
pub mod registry;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use uuid::Uuid;

/// Bumped when the wire format changes incompatibly; old clients get a clear "please update".
pub const PROTOCOL_VERSION: u32 = 1;

/// The version of what a change may carry: the kinds of record and their fields in
/// [`registry`]. Bumped when the registry changes, never by a laptop-only migration (drafts,
/// indexes): the server sees this, not the laptop's database version. It starts at 5, the
/// database version laptops sent before the two were separated.
pub const WIRE_SCHEMA_VERSION: u32 = 8;

/// The hash a change's payload is sent with: SHA-256 of its canonical JSON text, in hex.
pub fn payload_hash(canonical_json: &str) -> String {
    hex::encode(Sha256::digest(canonical_json.as_bytes()))
}

/// A hybrid logical clock reading: wall-clock milliseconds, a counter for events within the
/// same millisecond (or while the wall clock is behind), and the device that produced it.
///
/// Ordering is total: (wall_ms, counter, device). Serialised as a fixed-width string so that
/// string order equals clock order, which keeps it sortable in SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hlc {
    pub wall_ms: u64,
    pub counter: u32,
    pub device: Uuid,
}

impl Hlc {
    pub fn encode(&self) -> String {
        format!(
            "{:015}-{:08}-{}",
            self.wall_ms,
            self.counter,
            self.device.simple()
        )
    }

    /// Advances the clock for a local event at wall-clock `now_ms`: never goes backwards,
    /// even when the wall clock does.
    pub fn tick(self, now_ms: u64) -> Hlc {
        if now_ms > self.wall_ms {
            Hlc {
                wall_ms: now_ms,
                counter: 0,
                device: self.device,
            }
        } else {
            Hlc {
                wall_ms: self.wall_ms,
                counter: self.counter + 1,
                device: self.device,
            }
        }
    }

    pub fn decode(s: &str) -> Option<Hlc> {
        let mut parts = s.splitn(3, '-');
        let wall_ms = parts.next()?.parse().ok()?;
        let counter = parts.next()?.parse().ok()?;
        let device = Uuid::parse_str(parts.next()?).ok()?;
        Some(Hlc {
            wall_ms,
            counter,
            device,
        })
    }
}

impl fmt::Display for Hlc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}

impl Serialize for Hlc {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.encode())
    }
}

impl<'de> Deserialize<'de> for Hlc {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Hlc::decode(&s).ok_or_else(|| serde::de::Error::custom(format!("bad HLC {s:?}")))
    }
}

/// The header every request carries with the client's [`PROTOCOL_VERSION`].
pub const PROTOCOL_HEADER: &str = "linkwell-protocol";
/// The header every request carries with the client's local schema version.
pub const SCHEMA_HEADER: &str = "linkwell-schema";

/// A device exchanges a one-time enrolment code for its own credential.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnrolRequest {
    pub protocol_version: u32,
    pub schema_version: u32,
    pub code: String,
}

/// A team as the server knows it (shared organisation-wide).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamInfo {
    pub id: Uuid,
    pub name: String,
    pub locality: Option<String>,
}

/// A worker as the server knows it (shared organisation-wide).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkerInfo {
    pub id: Uuid,
    pub name: String,
    pub role: String,
    pub team_id: Uuid,
    pub active: bool,
}

/// What an enrolled device receives once: its identity and its bearer credential.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnrolResponse {
    pub organisation_id: Uuid,
    pub device_id: Uuid,
    /// The bearer token; the server keeps only its hash, so it cannot be shown again.
    pub token: String,
    pub worker: WorkerInfo,
    pub teams: Vec<TeamInfo>,
    pub epoch: Uuid,
}

/// Why a request or a whole batch was refused, in words for the person at the laptop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// A stable code: `unauthorised`, `revoked`, `please_update`, `server_too_old`,
    /// `sequence_gap`, `cloned_device`, `bad_request`, `forbidden`, `internal`.
    pub code: String,
    pub message: String,
    /// For `sequence_gap`: the device sequence number the server expects next.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_seq: Option<u64>,
}

/// Which conflict rule decided between two values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictRule {
    /// Per-field last-writer-wins on (HLC, device).
    LastWriterWins,
    /// A safety field changed concurrently: the server's value is kept and a person reviews.
    Safety,
    /// A status state machine: the furthest state is kept.
    FurthestState,
    /// Add-wins set: an archive concurrent with a change is undone.
    AddWins,
    /// The writer's clock was more than 24 hours ahead of the server and was clamped.
    ClockAhead,
}

/// A losing value, kept and shown in "changes to review".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConflictRecord {
    pub conflict_id: Uuid,
    pub entity: EntityKind,
    pub entity_id: Uuid,
    pub field: String,
    pub rule: ConflictRule,
    pub kept: serde_json::Value,
    pub lost: serde_json::Value,
    pub lost_mutation_id: Uuid,
    pub lost_device_id: Uuid,
    /// True when a person must look at it (safety fields); other rules decide by themselves.
    pub needs_review: bool,
}

/// The kinds of record a mutation can touch. The string form is stored in the change log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    Team,
    Worker,
    Person,
    Consent,
    RiskFlag,
    Referral,
    ContactAttempt,
    Episode,
    Handover,
    Session,
    Note,
    NoteRevision,
    WellbeingPlan,
    Goal,
    GoalStep,
    GoalRating,
    Measure,
    FollowUpDecision,
    InstrumentLicence,
    Provider,
    Service,
    OnwardReferral,
    AuditEvent,
    FollowUpSchedule,
    Referrer,
    ReferrerMessage,
    Letterhead,
    WaitingListEntry,
    GroupAttendance,
    LeadFeedback,
}

impl EntityKind {
    pub const ALL: [EntityKind; 30] = [
        EntityKind::Team,
        EntityKind::Worker,
        EntityKind::Person,
        EntityKind::Consent,
        EntityKind::RiskFlag,
        EntityKind::Referral,
        EntityKind::ContactAttempt,
        EntityKind::Episode,
        EntityKind::Handover,
        EntityKind::Session,
        EntityKind::Note,
        EntityKind::NoteRevision,
        EntityKind::WellbeingPlan,
        EntityKind::Goal,
        EntityKind::GoalStep,
        EntityKind::GoalRating,
        EntityKind::Measure,
        EntityKind::FollowUpDecision,
        EntityKind::InstrumentLicence,
        EntityKind::Provider,
        EntityKind::Service,
        EntityKind::OnwardReferral,
        EntityKind::AuditEvent,
        EntityKind::FollowUpSchedule,
        EntityKind::Referrer,
        EntityKind::ReferrerMessage,
        EntityKind::Letterhead,
        EntityKind::WaitingListEntry,
        EntityKind::GroupAttendance,
        EntityKind::LeadFeedback,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Team => "team",
            EntityKind::Worker => "worker",
            EntityKind::Person => "person",
            EntityKind::Consent => "consent",
            EntityKind::RiskFlag => "risk_flag",
            EntityKind::Referral => "referral",
            EntityKind::ContactAttempt => "contact_attempt",
            EntityKind::Episode => "episode",
            EntityKind::Handover => "handover",
            EntityKind::Session => "session",
            EntityKind::Note => "note",
            EntityKind::NoteRevision => "note_revision",
            EntityKind::WellbeingPlan => "wellbeing_plan",
            EntityKind::Goal => "goal",
            EntityKind::GoalStep => "goal_step",
            EntityKind::GoalRating => "goal_rating",
            EntityKind::Measure => "measure",
            EntityKind::FollowUpDecision => "follow_up_decision",
            EntityKind::InstrumentLicence => "instrument_licence",
            EntityKind::Provider => "provider",
            EntityKind::Service => "service",
            EntityKind::OnwardReferral => "onward_referral",
            EntityKind::AuditEvent => "audit_event",
            EntityKind::FollowUpSchedule => "follow_up_schedule",
            EntityKind::Referrer => "referrer",
            EntityKind::ReferrerMessage => "referrer_message",
            EntityKind::Letterhead => "letterhead",
            EntityKind::WaitingListEntry => "waiting_list_entry",
            EntityKind::GroupAttendance => "group_attendance",
            EntityKind::LeadFeedback => "lead_feedback",
        }
    }

    pub fn parse(s: &str) -> Option<EntityKind> {
        EntityKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// How a record of this kind belongs to a person. The one table the core (subject access
    /// exports) and the server (which team may see a record) both read.
    pub fn person_link(self) -> PersonLink {
        use EntityKind as K;
        let via = |parent, field| PersonLink::Via {
            parent,
            field,
            optional: false,
        };
        match self {
            K::Person => PersonLink::Own,
            K::Consent
            | K::RiskFlag
            | K::Referral
            | K::Episode
            | K::Session
            | K::Note
            | K::WellbeingPlan
            | K::Goal
            | K::Measure
            | K::FollowUpDecision
            | K::OnwardReferral
            | K::ReferrerMessage
            | K::WaitingListEntry
            | K::GroupAttendance
            | K::LeadFeedback => via(K::Person, "person_id"),
            // An audit event may be about no one (e.g. an export of the whole database).
            K::AuditEvent => PersonLink::Via {
                parent: K::Person,
                field: "person_id",
                optional: true,
            },
            K::ContactAttempt => via(K::Referral, "referral_id"),
            K::Handover => via(K::Episode, "episode_id"),
            K::NoteRevision => via(K::Note, "note_id"),
            K::GoalStep | K::GoalRating => via(K::Goal, "goal_id"),
            K::Team
            | K::Worker
            | K::InstrumentLicence
            | K::FollowUpSchedule
            | K::Referrer
            | K::Letterhead
            | K::Provider
            | K::Service => PersonLink::None,
        }
    }

    /// Insert-only kinds: never updated, never overwritten; concurrent writes are all kept.
    pub fn is_append_only(self) -> bool {
        matches!(
            self,
            EntityKind::Consent
                | EntityKind::ContactAttempt
                | EntityKind::Handover
                | EntityKind::NoteRevision
                | EntityKind::WellbeingPlan
                | EntityKind::GoalRating
                | EntityKind::Measure
                | EntityKind::FollowUpDecision
                | EntityKind::AuditEvent
                | EntityKind::ReferrerMessage
                | EntityKind::GroupAttendance
                | EntityKind::LeadFeedback
        )
    }
}

/// How a kind of record is tied to a person (see [`EntityKind::person_link`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonLink {
    /// The person record itself.
    Own,
    /// The payload's `field` holds the id of a `parent` record: the person, or a record
    /// that belongs to the person (a note revision's note, a goal step's goal).
    Via {
        parent: EntityKind,
        field: &'static str,
        optional: bool,
    },
    /// Not about one person: teams, workers, the directory, licences.
    None,
}

/// What a mutation does to its entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// A new record with all its fields.
    Create,
    /// Some fields of an existing record (per-field last-writer-wins on the HLC).
    Update,
    /// A tombstone: archived or removed from a set, never hard-deleted.
    Archive,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Update => "update",
            Operation::Archive => "archive",
        }
    }

    pub fn parse(s: &str) -> Option<Operation> {
        match s {
            "create" => Some(Operation::Create),
            "update" => Some(Operation::Update),
            "archive" => Some(Operation::Archive),
            _ => None,
        }
    }
}

/// One change as recorded in a device's change log and sent to the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mutation {
    pub mutation_id: Uuid,
    pub device_id: Uuid,
    pub worker_id: Uuid,
    /// Gapless per-device sequence number, starting at 1.
    pub device_seq: u64,
    pub hlc: Hlc,
    pub entity: EntityKind,
    pub entity_id: Uuid,
    pub op: Operation,
    /// The fields written, as a JSON object.
    pub payload: serde_json::Value,
    /// Hex SHA-256 of the canonical payload, so a replay with different content is caught.
    pub payload_hash: String,
    /// The last server sequence this device had pulled when it made the change.
    pub base_server_seq: u64,
}

/// A batch of mutations in device-sequence order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushRequest {
    pub protocol_version: u32,
    pub schema_version: u32,
    pub mutations: Vec<Mutation>,
}

/// What happened to one pushed mutation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum MutationResult {
    Applied { server_seq: u64 },
    Duplicate { server_seq: u64 },
    Rejected { reason: String },
    Quarantined { reason: String },
    Merged { server_seq: u64, conflict_id: Uuid },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushResponse {
    pub epoch: Uuid,
    pub results: Vec<(Uuid, MutationResult)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullRequest {
    pub protocol_version: u32,
    pub schema_version: u32,
    pub epoch: Option<Uuid>,
    pub after_server_seq: u64,
    pub limit: u32,
}

/// A change as the server orders it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerChange {
    pub server_seq: u64,
    pub mutation: Mutation,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullResponse {
    pub epoch: Uuid,
    pub changes: Vec<ServerChange>,
    /// The cursor to ask from next; advances past changes this device may not see.
    pub next_after: u64,
    pub has_more: bool,
    /// Losing values recorded by the server within this page's range, visible to this device.
    #[serde(default)]
    pub conflicts: Vec<ConflictRecord>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hlc_never_goes_backwards() {
        let a = Hlc {
            wall_ms: 1000,
            counter: 0,
            device: Uuid::nil(),
        }
        .tick(2000);
        assert_eq!((a.wall_ms, a.counter), (2000, 0));
        // The laptop clock jumps back an hour: the clock keeps counting from where it was.
        let b = a.tick(1000);
        assert_eq!((b.wall_ms, b.counter), (2000, 1));
        assert!(b > a);
    }

    #[test]
    fn payload_hash_is_sha256_hex() {
        assert_eq!(
            payload_hash(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    /// Exports and team scope look one step up at most: a record's parent is the person or
    /// a record tied straight to the person.
    #[test]
    fn every_person_link_reaches_the_person_in_one_step() {
        for kind in EntityKind::ALL {
            if let PersonLink::Via { parent, .. } = kind.person_link()
                && parent != EntityKind::Person
            {
                assert!(
                    matches!(
                        parent.person_link(),
                        PersonLink::Via {
                            parent: EntityKind::Person,
                            field: "person_id",
                            optional: false
                        }
                    ),
                    "{} hangs off {}, which is not tied to a person directly",
                    kind.as_str(),
                    parent.as_str()
                );
            }
        }
    }

    #[test]
    fn hlc_string_order_is_clock_order() {
        let d = Uuid::nil();
        let a = Hlc {
            wall_ms: 9,
            counter: 10,
            device: d,
        };
        let b = Hlc {
            wall_ms: 10,
            counter: 0,
            device: d,
        };
        assert!(a < b);
        assert!(a.encode() < b.encode());
        assert_eq!(Hlc::decode(&a.encode()), Some(a));
    }

    #[test]
    fn entity_kinds_round_trip() {
        for k in EntityKind::ALL {
            assert_eq!(EntityKind::parse(k.as_str()), Some(k));
        }
    }
}

/// `GET /v1/whoami`: who the server takes this device to be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhoAmIResponse {
    pub device_id: Uuid,
    pub worker_id: Uuid,
    pub teams: Vec<Uuid>,
    /// Changes when the server is restored from a backup (laptops then re-send).
    pub epoch: Uuid,
}
