//! The sync wire types: what a laptop's change log sends and what the server returns.
//!
//! Only these types cross the wire between `linkwell-core` and `linkwell-server`. The crate
//! is serde only — no I/O, no storage — so both sides agree on the shape and nothing else.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// Bumped when the wire format changes incompatibly; old clients get a clear "please update".
pub const PROTOCOL_VERSION: u32 = 1;

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
}

impl EntityKind {
    pub const ALL: [EntityKind; 23] = [
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
        }
    }

    pub fn parse(s: &str) -> Option<EntityKind> {
        EntityKind::ALL.into_iter().find(|k| k.as_str() == s)
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
        )
    }
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
}

#[cfg(test)]
mod tests {
    use super::*;

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
