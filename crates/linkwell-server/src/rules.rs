//! The server's rules, independent of storage: batch validation (shape, ownership, payload
//! against the core's column registry), which record a change belongs to (its person), and the
//! conflict rule of each field. Pure functions so the PostgreSQL storage can reuse them and the
//! fuzz target can drive them.

use crate::reason::QuarantineReason;
use linkwell_protocol::registry::{self, ColType};
use linkwell_protocol::{
    ConflictRule, EntityKind, Hlc, Mutation, Operation, PersonLink, PushRequest,
};
use serde_json::Value;
use uuid::Uuid;

/// Clocks more than this far ahead of the server are clamped and flagged.
pub const MAX_CLOCK_AHEAD_MS: u64 = 24 * 60 * 60 * 1000;

/// Largest batch a device may send in one push.
pub const MAX_BATCH: usize = 2_000;

/// Why a whole batch is refused before anything is stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    #[error("the batch is too large ({0} mutations; at most {MAX_BATCH})")]
    TooLarge(usize),
    #[error("mutation {0} was not written by this device or its worker")]
    NotThisDevice(Uuid),
    #[error("the batch is not in device-sequence order at {0}")]
    OutOfOrder(u64),
}

/// Checks the shape of a whole batch: size, ownership and strictly increasing sequence
/// numbers (already-received ones may be missing; a gap in new ones is refused in storage).
pub fn check_batch(req: &PushRequest, device_id: Uuid, worker_id: Uuid) -> Result<(), BatchError> {
    if req.mutations.len() > MAX_BATCH {
        return Err(BatchError::TooLarge(req.mutations.len()));
    }
    let mut prev: Option<u64> = None;
    for m in &req.mutations {
        if m.device_id != device_id || m.worker_id != worker_id || m.hlc.device != device_id {
            return Err(BatchError::NotThisDevice(m.mutation_id));
        }
        if let Some(p) = prev
            && m.device_seq <= p
        {
            return Err(BatchError::OutOfOrder(m.device_seq));
        }
        if m.device_seq == 0 {
            return Err(BatchError::OutOfOrder(0));
        }
        prev = Some(m.device_seq);
    }
    Ok(())
}

/// Checks one mutation's payload: an object whose fields exist for its kind with values of the
/// right type that the laptop's rules accept ([`linkwell_protocol::fields`]), whose hash matches, and whose kind a device may write. The reason's text is in
/// words a supervisor can read. Answers the payload's canonical JSON (the text its hash is of).
pub fn check_mutation(m: &Mutation) -> Result<String, QuarantineReason> {
    if matches!(m.entity, EntityKind::Team | EntityKind::Worker) {
        return Err(QuarantineReason::ServerManaged);
    }
    let Value::Object(payload) = &m.payload else {
        return Err(QuarantineReason::NotAFieldSet);
    };
    let text = serde_json::to_string(payload).map_err(|e| QuarantineReason::PayloadUnreadable {
        error: e.to_string(),
    })?;
    if linkwell_protocol::payload_hash(&text) != m.payload_hash {
        return Err(QuarantineReason::ChecksumMismatch);
    }
    if m.entity.is_append_only() && m.op != Operation::Create {
        return Err(QuarantineReason::InsertOnlyChanged { kind: m.entity });
    }
    let table = registry::table(m.entity);
    for (k, v) in payload {
        let ty = table.col(k).ok_or_else(|| QuarantineReason::NoSuchField {
            kind: m.entity,
            field: k.clone(),
        })?;
        let ok = match (ty, v) {
            (_, Value::Null) => true,
            (ColType::Text, Value::String(_)) => true,
            (ColType::Int, Value::Number(n)) => n.as_i64().is_some(),
            (ColType::Real, Value::Number(_)) => true,
            (ColType::Bool, Value::Bool(_)) => true,
            (ColType::List, Value::Array(_)) => true,
            _ => false,
        };
        if !ok {
            return Err(QuarantineReason::WrongType {
                kind: m.entity,
                field: k.clone(),
            });
        }
    }
    // Every value by the laptop's own rules: bounded, of its form, from its vocabulary.
    linkwell_protocol::fields::check_payload(m.entity, payload).map_err(|p| {
        QuarantineReason::InvalidValue {
            kind: m.entity,
            detail: format!("{} {}", p.field, p.message),
        }
    })?;
    if m.op == Operation::Create
        && let PersonLink::Via {
            field,
            optional: false,
            ..
        } = m.entity.person_link()
        && payload
            .get(field)
            .and_then(Value::as_str)
            .and_then(|p| Uuid::parse_str(p).ok())
            .is_none()
    {
        return Err(QuarantineReason::FieldMissing {
            kind: m.entity,
            field: field.into(),
        });
    }
    Ok(text)
}

/// Kinds that are never rejected: what cannot be placed is quarantined for a supervisor.
pub fn never_rejected(kind: EntityKind) -> bool {
    matches!(
        kind,
        EntityKind::Note
            | EntityKind::NoteRevision
            | EntityKind::Measure
            | EntityKind::Session
            | EntityKind::ContactAttempt
            | EntityKind::GoalRating
    )
}

/// Organisation-wide kinds (the directory and licences): every device sees them.
pub fn is_shared(kind: EntityKind) -> bool {
    matches!(
        kind,
        EntityKind::Provider
            | EntityKind::Service
            | EntityKind::InstrumentLicence
            | EntityKind::FollowUpSchedule
            | EntityKind::Referrer
            | EntityKind::Letterhead
            | EntityKind::Team
            | EntityKind::Worker
    )
}

/// How a field's concurrent writes are decided.
pub fn field_rule(kind: EntityKind, field: &str) -> ConflictRule {
    match (kind, field) {
        (EntityKind::Person, "contact_restrictions") | (EntityKind::RiskFlag, _) => {
            ConflictRule::Safety
        }
        (EntityKind::Episode, "status") | (EntityKind::OnwardReferral, "status") => {
            ConflictRule::FurthestState
        }
        (EntityKind::Goal | EntityKind::GoalStep, "archived") => ConflictRule::AddWins,
        _ => ConflictRule::LastWriterWins,
    }
}

/// How far along its state machine a status is (higher is further).
pub fn state_rank(kind: EntityKind, status: &str) -> u32 {
    let order: &[&str] = match kind {
        EntityKind::Episode => &["referred", "contacting", "active", "closed"],
        EntityKind::OnwardReferral => &[
            "suggested",
            "agreed",
            "referral_made",
            "accompanied",
            "attending",
            "stopped",
        ],
        _ => &[],
    };
    if kind == EntityKind::OnwardReferral && status == "declined" {
        // Declined and stopped are both ends of the road.
        return order.len() as u32;
    }
    order
        .iter()
        .position(|s| *s == status)
        .map_or(0, |p| p as u32 + 1)
}

/// The stored state of one field on the server.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldState {
    pub value: Value,
    pub hlc: Hlc,
    pub server_seq: u64,
    pub device_id: Uuid,
}

/// The outcome of one incoming field write against the stored field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The incoming value becomes the field's value.
    Take,
    /// The stored value stays; the incoming one is recorded as a losing value.
    Keep {
        rule: ConflictRule,
        needs_review: bool,
    },
    /// Same value: nothing to decide.
    Same,
}

/// Decides one field: `concurrent` means the writer had not seen the stored write.
pub fn decide(
    kind: EntityKind,
    field: &str,
    stored: &FieldState,
    incoming: &Value,
    hlc: Hlc,
    base_server_seq: u64,
    device_id: Uuid,
) -> Decision {
    if &stored.value == incoming {
        return Decision::Same;
    }
    let concurrent = stored.server_seq > base_server_seq && stored.device_id != device_id;
    let lww = |rule| {
        if hlc > stored.hlc {
            Decision::Take
        } else {
            Decision::Keep {
                rule,
                needs_review: false,
            }
        }
    };
    match field_rule(kind, field) {
        ConflictRule::Safety => {
            if concurrent {
                Decision::Keep {
                    rule: ConflictRule::Safety,
                    needs_review: true,
                }
            } else {
                Decision::Take
            }
        }
        ConflictRule::FurthestState => {
            if !concurrent {
                // The writer saw the current state: an explicit move, including a reopen.
                return Decision::Take;
            }
            let a = state_rank(kind, stored.value.as_str().unwrap_or(""));
            let b = state_rank(kind, incoming.as_str().unwrap_or(""));
            match b.cmp(&a) {
                std::cmp::Ordering::Greater => Decision::Take,
                std::cmp::Ordering::Less => Decision::Keep {
                    rule: ConflictRule::FurthestState,
                    needs_review: false,
                },
                std::cmp::Ordering::Equal => lww(ConflictRule::FurthestState),
            }
        }
        ConflictRule::AddWins => {
            if !concurrent {
                return Decision::Take;
            }
            // A concurrent archive never beats a change that keeps the record alive.
            if incoming == &Value::Bool(false) {
                Decision::Take
            } else {
                Decision::Keep {
                    rule: ConflictRule::AddWins,
                    needs_review: false,
                }
            }
        }
        rule => lww(rule),
    }
}

/// Clamps a clock more than 24 hours ahead of `now_ms`; returns the clock to use and whether
/// it was clamped.
pub fn clamp_hlc(hlc: Hlc, now_ms: u64) -> (Hlc, bool) {
    let limit = now_ms.saturating_add(MAX_CLOCK_AHEAD_MS);
    if hlc.wall_ms > limit {
        (
            Hlc {
                wall_ms: limit,
                counter: hlc.counter,
                device: hlc.device,
            },
            true,
        )
    } else {
        (hlc, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hlc(ms: u64, d: Uuid) -> Hlc {
        Hlc {
            wall_ms: ms,
            counter: 0,
            device: d,
        }
    }

    #[test]
    fn safety_field_keeps_server_value_when_concurrent() {
        let a = Uuid::from_u128(1);
        let b = Uuid::from_u128(2);
        let stored = FieldState {
            value: Value::from("no calls after 6pm"),
            hlc: hlc(10, a),
            server_seq: 5,
            device_id: a,
        };
        let d = decide(
            EntityKind::Person,
            "contact_restrictions",
            &stored,
            &Value::from("letters only"),
            hlc(99, b),
            4,
            b,
        );
        assert_eq!(
            d,
            Decision::Keep {
                rule: ConflictRule::Safety,
                needs_review: true
            }
        );
        // Having seen the stored value, the change is a plain edit.
        let d = decide(
            EntityKind::Person,
            "contact_restrictions",
            &stored,
            &Value::from("letters only"),
            hlc(99, b),
            5,
            b,
        );
        assert_eq!(d, Decision::Take);
    }

    #[test]
    fn concurrent_status_moves_take_the_furthest() {
        let a = Uuid::from_u128(1);
        let b = Uuid::from_u128(2);
        let stored = FieldState {
            value: Value::from("closed"),
            hlc: hlc(10, a),
            server_seq: 5,
            device_id: a,
        };
        let d = decide(
            EntityKind::Episode,
            "status",
            &stored,
            &Value::from("active"),
            hlc(99, b),
            1,
            b,
        );
        assert!(matches!(d, Decision::Keep { .. }));
    }

    #[test]
    fn clocks_a_day_ahead_are_clamped() {
        let d = Uuid::nil();
        let (h, flagged) = clamp_hlc(hlc(10 + 2 * MAX_CLOCK_AHEAD_MS, d), 10);
        assert!(flagged);
        assert_eq!(h.wall_ms, 10 + MAX_CLOCK_AHEAD_MS);
        assert!(!clamp_hlc(hlc(11, d), 10).1);
    }
}
