//! The domain operations, one module per kind of record: each validates its input and writes
//! through [`crate::store::Store::write`] in one transaction.

pub mod audit;
pub mod contacts;
pub mod directory;
pub mod follow_ups;
pub mod groups;
pub mod measures;
pub mod oruk;
pub mod pathway;
pub mod people;
pub mod plans;
pub mod referrers;

use crate::domain::validate::Checker;
use linkwell_protocol::EntityKind;
use linkwell_protocol::fields::text_limit;

/// Free text held to the wire's limit for the same field of `kind` (linkwell-protocol's field
/// rules), so a form never takes what the server refuses and the number is written once.
pub(crate) trait WireText {
    /// The form's checker, which collects every field's error.
    fn checker(&mut self) -> &mut Checker;

    /// Required text, trimmed; `field` is both the form's field and the record's.
    fn text(&mut self, kind: EntityKind, field: &str, label: &str, value: &str) -> String {
        self.checker()
            .required(field, label, value, text_limit(kind, field))
    }

    /// Optional text, trimmed; empty becomes None.
    fn optional_text(
        &mut self,
        kind: EntityKind,
        field: &str,
        label: &str,
        value: Option<&str>,
    ) -> Option<String> {
        self.checker()
            .optional(field, label, value, text_limit(kind, field))
    }
}

impl WireText for Checker {
    fn checker(&mut self) -> &mut Checker {
        self
    }
}
