//! Why the server could not place a change: one [`QuarantineReason`] per cause, stored in the
//! quarantine as a stable [`ReasonCode`] (and, for a reason naming a field, that field) next to
//! the text a supervisor reads. Decisions (which record a quarantined change waits for) read
//! the code, never the text. A change of a kind that is never rejected is quarantined for any
//! of these reasons; any other kind is rejected with the same text, unless it waits for a
//! record still on its way.

use linkwell_protocol::registry;
use linkwell_protocol::{EntityKind, PersonLink};
use std::fmt;

/// Why a change cannot be placed now, with what its text names. The text ([`fmt::Display`])
/// is what the writer's laptop and the administrator are shown; it is the one the server
/// has always given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuarantineReason {
    /// A team or worker written by a device: an administrator manages those on the server.
    ServerManaged,
    /// The payload is not a JSON object.
    NotAFieldSet,
    /// The payload could not be written out as JSON again (the serialiser's error).
    PayloadUnreadable { error: String },
    /// The payload's hash is not the one the change carries.
    ChecksumMismatch,
    /// An update or archive of an insert-only kind.
    InsertOnlyChanged { kind: EntityKind },
    /// A field its kind does not have.
    NoSuchField { kind: EntityKind, field: String },
    /// A field whose value is of the wrong type.
    WrongType { kind: EntityKind, field: String },
    /// A new record without the field that says whom it belongs to.
    FieldMissing { kind: EntityKind, field: String },
    /// A new record whose parent (its person, or the record it hangs off) has not reached the
    /// server (yet): it waits for that record.
    ParentNotKnown {
        parent: EntityKind,
        kind: EntityKind,
    },
    /// A change of a record that has not reached the server (yet): it waits for that record.
    RecordNotKnown,
    /// A change for a person supported by a team the writer is not in (for instance a note for
    /// a person reassigned to another team meanwhile).
    NotInWritersTeams,
    /// A second create of an insert-only record.
    AlreadyExists,
    /// A value the laptop's own rules refuse (`linkwell_protocol::fields`): too long, not a
    /// date, not an NHS number... `detail` is the field and what is wrong with it, never the
    /// value itself.
    InvalidValue { kind: EntityKind, detail: String },
    /// A person moved to a team that is not one of the organisation's, or not one of the
    /// writer's: applied, the person would vanish from every laptop.
    UnknownTeam,
}

/// The stable code of a [`QuarantineReason`], as stored in `quarantine.reason_code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReasonCode {
    ServerManaged,
    NotAFieldSet,
    PayloadUnreadable,
    ChecksumMismatch,
    InsertOnlyChanged,
    NoSuchField,
    WrongType,
    FieldMissing,
    ParentNotKnown,
    RecordNotKnown,
    NotInWritersTeams,
    AlreadyExists,
    InvalidValue,
    UnknownTeam,
}

impl ReasonCode {
    pub const ALL: [ReasonCode; 14] = [
        ReasonCode::ServerManaged,
        ReasonCode::NotAFieldSet,
        ReasonCode::PayloadUnreadable,
        ReasonCode::ChecksumMismatch,
        ReasonCode::InsertOnlyChanged,
        ReasonCode::NoSuchField,
        ReasonCode::WrongType,
        ReasonCode::FieldMissing,
        ReasonCode::ParentNotKnown,
        ReasonCode::RecordNotKnown,
        ReasonCode::NotInWritersTeams,
        ReasonCode::AlreadyExists,
        ReasonCode::InvalidValue,
        ReasonCode::UnknownTeam,
    ];

    /// The stored code: stable, never reused for another reason.
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonCode::ServerManaged => "server_managed",
            ReasonCode::NotAFieldSet => "not_a_field_set",
            ReasonCode::PayloadUnreadable => "payload_unreadable",
            ReasonCode::ChecksumMismatch => "checksum_mismatch",
            ReasonCode::InsertOnlyChanged => "insert_only_changed",
            ReasonCode::NoSuchField => "no_such_field",
            ReasonCode::WrongType => "wrong_type",
            ReasonCode::FieldMissing => "field_missing",
            ReasonCode::ParentNotKnown => "parent_not_known",
            ReasonCode::RecordNotKnown => "record_not_known",
            ReasonCode::NotInWritersTeams => "not_in_writers_teams",
            ReasonCode::AlreadyExists => "already_exists",
            ReasonCode::InvalidValue => "invalid_value",
            ReasonCode::UnknownTeam => "unknown_team",
        }
    }

    pub fn parse(s: &str) -> Option<ReasonCode> {
        ReasonCode::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The record a new record of `kind` belongs to, and the payload field naming it.
pub fn parent_of(kind: EntityKind) -> (EntityKind, &'static str) {
    match kind.person_link() {
        PersonLink::Via { parent, field, .. } => (parent, field),
        PersonLink::Own | PersonLink::None => (EntityKind::Person, "person_id"),
    }
}

impl QuarantineReason {
    pub fn code(&self) -> ReasonCode {
        match self {
            QuarantineReason::ServerManaged => ReasonCode::ServerManaged,
            QuarantineReason::NotAFieldSet => ReasonCode::NotAFieldSet,
            QuarantineReason::PayloadUnreadable { .. } => ReasonCode::PayloadUnreadable,
            QuarantineReason::ChecksumMismatch => ReasonCode::ChecksumMismatch,
            QuarantineReason::InsertOnlyChanged { .. } => ReasonCode::InsertOnlyChanged,
            QuarantineReason::NoSuchField { .. } => ReasonCode::NoSuchField,
            QuarantineReason::WrongType { .. } => ReasonCode::WrongType,
            QuarantineReason::FieldMissing { .. } => ReasonCode::FieldMissing,
            QuarantineReason::ParentNotKnown { .. } => ReasonCode::ParentNotKnown,
            QuarantineReason::RecordNotKnown => ReasonCode::RecordNotKnown,
            QuarantineReason::NotInWritersTeams => ReasonCode::NotInWritersTeams,
            QuarantineReason::AlreadyExists => ReasonCode::AlreadyExists,
            QuarantineReason::InvalidValue { .. } => ReasonCode::InvalidValue,
            QuarantineReason::UnknownTeam => ReasonCode::UnknownTeam,
        }
    }

    /// What the text names beyond the change's own kind, as stored in
    /// `quarantine.reason_detail`: the field, the parent's kind, or the serialiser's error.
    pub fn detail(&self) -> Option<&str> {
        match self {
            QuarantineReason::PayloadUnreadable { error } => Some(error),
            QuarantineReason::NoSuchField { field, .. }
            | QuarantineReason::WrongType { field, .. }
            | QuarantineReason::FieldMissing { field, .. } => Some(field),
            QuarantineReason::ParentNotKnown { parent, .. } => Some(parent.as_str()),
            QuarantineReason::InvalidValue { detail, .. } => Some(detail),
            _ => None,
        }
    }

    /// The reason stored as `code` and `detail` for a change of `kind` (`None` if the detail
    /// it needs is missing).
    pub fn from_stored(
        code: ReasonCode,
        detail: Option<&str>,
        kind: EntityKind,
    ) -> Option<QuarantineReason> {
        let field = || detail.map(str::to_string);
        Some(match code {
            ReasonCode::ServerManaged => QuarantineReason::ServerManaged,
            ReasonCode::NotAFieldSet => QuarantineReason::NotAFieldSet,
            ReasonCode::PayloadUnreadable => {
                QuarantineReason::PayloadUnreadable { error: field()? }
            }
            ReasonCode::ChecksumMismatch => QuarantineReason::ChecksumMismatch,
            ReasonCode::InsertOnlyChanged => QuarantineReason::InsertOnlyChanged { kind },
            ReasonCode::NoSuchField => QuarantineReason::NoSuchField {
                kind,
                field: field()?,
            },
            ReasonCode::WrongType => QuarantineReason::WrongType {
                kind,
                field: field()?,
            },
            ReasonCode::FieldMissing => QuarantineReason::FieldMissing {
                kind,
                field: field()?,
            },
            ReasonCode::ParentNotKnown => QuarantineReason::ParentNotKnown {
                parent: detail.and_then(EntityKind::parse)?,
                kind,
            },
            ReasonCode::RecordNotKnown => QuarantineReason::RecordNotKnown,
            ReasonCode::NotInWritersTeams => QuarantineReason::NotInWritersTeams,
            ReasonCode::AlreadyExists => QuarantineReason::AlreadyExists,
            ReasonCode::InvalidValue => QuarantineReason::InvalidValue {
                kind,
                detail: field()?,
            },
            ReasonCode::UnknownTeam => QuarantineReason::UnknownTeam,
        })
    }

    /// Recognises the text an earlier server stored as the reason for a change of `kind`,
    /// before reasons were stored as codes (schema 5). The one place that reads a reason's
    /// text: the migrations' hooks, for rows written before the codes. `None` for a text this
    /// server never wrote.
    pub fn from_old_text(text: &str, kind: EntityKind) -> Option<QuarantineReason> {
        let table = registry::table(kind).name;
        let between = |prefix: &str, suffix: &str| {
            text.strip_prefix(prefix)
                .and_then(|rest| rest.strip_suffix(suffix))
                .map(str::to_string)
        };
        let parent = text
            .strip_prefix("the ")
            .and_then(|rest| rest.split_once(' '))
            .and_then(|(parent, _)| EntityKind::parse(parent));
        let candidates = [
            Some(QuarantineReason::ServerManaged),
            Some(QuarantineReason::NotAFieldSet),
            Some(QuarantineReason::ChecksumMismatch),
            Some(QuarantineReason::InsertOnlyChanged { kind }),
            Some(QuarantineReason::RecordNotKnown),
            Some(QuarantineReason::NotInWritersTeams),
            Some(QuarantineReason::AlreadyExists),
            parent.map(|parent| QuarantineReason::ParentNotKnown { parent, kind }),
            between(&format!("{table} has no field "), "")
                .map(|field| QuarantineReason::NoSuchField { kind, field }),
            between(&format!("{table}."), " has the wrong type of value")
                .map(|field| QuarantineReason::WrongType { kind, field }),
            between(&format!("{table}."), " is missing")
                .map(|field| QuarantineReason::FieldMissing { kind, field }),
        ];
        // Only a reason that gives back exactly this text is recognised.
        candidates
            .into_iter()
            .flatten()
            .find(|r| r.to_string() == text)
    }
}

impl fmt::Display for QuarantineReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let table = |kind: EntityKind| registry::table(kind).name;
        match self {
            QuarantineReason::ServerManaged => {
                f.write_str("teams and workers are managed on the server by an administrator")
            }
            QuarantineReason::NotAFieldSet => f.write_str("the change is not a set of fields"),
            QuarantineReason::PayloadUnreadable { error } => f.write_str(error),
            QuarantineReason::ChecksumMismatch => {
                f.write_str("the change does not match its checksum")
            }
            QuarantineReason::InsertOnlyChanged { kind } => {
                write!(
                    f,
                    "{} records are never changed once written",
                    kind.as_str()
                )
            }
            QuarantineReason::NoSuchField { kind, field } => {
                write!(f, "{} has no field {field}", table(*kind))
            }
            QuarantineReason::WrongType { kind, field } => {
                write!(f, "{}.{field} has the wrong type of value", table(*kind))
            }
            QuarantineReason::FieldMissing { kind, field } => {
                write!(f, "{}.{field} is missing", table(*kind))
            }
            QuarantineReason::ParentNotKnown { parent, kind } => write!(
                f,
                "the {} this {} belongs to is not known to the server",
                parent.as_str(),
                kind.as_str()
            ),
            QuarantineReason::RecordNotKnown => {
                f.write_str("this record is not known to the server yet")
            }
            QuarantineReason::NotInWritersTeams => f.write_str(
                "this record belongs to a person supported by a team this worker is not in",
            ),
            QuarantineReason::AlreadyExists => {
                f.write_str("this record already exists; insert-only records are never overwritten")
            }
            QuarantineReason::InvalidValue { kind, detail } => {
                write!(f, "{}.{detail}", table(*kind))
            }
            QuarantineReason::UnknownTeam => f.write_str(
                "the team this person was moved to is not one of the organisation's teams this worker is in",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One of each reason, for a change of `kind`.
    fn every_reason(kind: EntityKind) -> Vec<QuarantineReason> {
        let field = || "nickname".to_string();
        let reasons = vec![
            QuarantineReason::ServerManaged,
            QuarantineReason::NotAFieldSet,
            QuarantineReason::PayloadUnreadable {
                error: "key must be a string".into(),
            },
            QuarantineReason::ChecksumMismatch,
            QuarantineReason::InsertOnlyChanged { kind },
            QuarantineReason::NoSuchField {
                kind,
                field: field(),
            },
            QuarantineReason::WrongType {
                kind,
                field: field(),
            },
            QuarantineReason::FieldMissing {
                kind,
                field: parent_of(kind).1.into(),
            },
            QuarantineReason::ParentNotKnown {
                parent: parent_of(kind).0,
                kind,
            },
            QuarantineReason::RecordNotKnown,
            QuarantineReason::NotInWritersTeams,
            QuarantineReason::AlreadyExists,
            QuarantineReason::InvalidValue {
                kind,
                detail: "given_name is too long (at most 100 characters)".into(),
            },
            QuarantineReason::UnknownTeam,
        ];
        let codes: Vec<ReasonCode> = reasons.iter().map(QuarantineReason::code).collect();
        assert_eq!(codes, ReasonCode::ALL, "one reason of each code, in order");
        reasons
    }

    #[test]
    fn codes_are_stable_snake_case_and_parse_back() {
        let codes: Vec<&str> = ReasonCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            codes,
            [
                "server_managed",
                "not_a_field_set",
                "payload_unreadable",
                "checksum_mismatch",
                "insert_only_changed",
                "no_such_field",
                "wrong_type",
                "field_missing",
                "parent_not_known",
                "record_not_known",
                "not_in_writers_teams",
                "already_exists",
                "invalid_value",
                "unknown_team",
            ]
        );
        for c in ReasonCode::ALL {
            assert_eq!(ReasonCode::parse(c.as_str()), Some(c));
        }
        assert_eq!(ReasonCode::parse("Record not known"), None);
    }

    #[test]
    fn the_text_is_the_one_shown_before_codes() {
        let texts: Vec<String> = every_reason(EntityKind::NoteRevision)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            texts,
            [
                "teams and workers are managed on the server by an administrator",
                "the change is not a set of fields",
                "key must be a string",
                "the change does not match its checksum",
                "note_revision records are never changed once written",
                "note_revision has no field nickname",
                "note_revision.nickname has the wrong type of value",
                "note_revision.note_id is missing",
                "the note this note_revision belongs to is not known to the server",
                "this record is not known to the server yet",
                "this record belongs to a person supported by a team this worker is not in",
                "this record already exists; insert-only records are never overwritten",
                "note_revision.given_name is too long (at most 100 characters)",
                "the team this person was moved to is not one of the organisation's teams this worker is in",
            ]
        );
    }

    #[test]
    fn stored_code_and_detail_give_back_the_reason_and_old_text_is_recognised() {
        for kind in EntityKind::ALL {
            assert_eq!(registry::table(kind).name, kind.as_str());
            for reason in every_reason(kind) {
                let stored = QuarantineReason::from_stored(reason.code(), reason.detail(), kind);
                assert_eq!(stored.as_ref(), Some(&reason));
                let old = QuarantineReason::from_old_text(&reason.to_string(), kind);
                if matches!(
                    reason.code(),
                    ReasonCode::PayloadUnreadable
                        | ReasonCode::InvalidValue
                        | ReasonCode::UnknownTeam
                ) {
                    // The serialiser's own words, or reasons newer than stored codes.
                    assert_eq!(old, None);
                } else {
                    assert_eq!(old.as_ref(), Some(&reason), "{reason}");
                }
            }
        }
        assert_eq!(
            QuarantineReason::from_old_text("the server was busy", EntityKind::Note),
            None
        );
        // A text names the change's own kind: another kind's is not this change's reason.
        assert_eq!(
            QuarantineReason::from_old_text(
                "note records are never changed once written",
                EntityKind::Measure
            ),
            None
        );
    }
}
