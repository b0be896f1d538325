//! linkwell-domain: the vocabulary of social prescribing ([`vocabulary`]) and the validation
//! and normalisation of what a worker types ([`validate`]), and the follow-up rule
//! ([`follow_up`]: when a measure is due again and whether it is still open), and take-up of
//! an onward referral ([`take_up`]: enrolled, engaged, still attending at 8 weeks).
//!
//! Architecture invariant: pure rules — no storage, no I/O, no rusqlite (CI proves it with
//! `cargo tree`). The laptop's core checks input with these rules; the server can check pushed
//! values with the very same code.

pub mod follow_up;
pub mod take_up;
pub mod validate;
pub mod vocabulary;

/// One problem with one field of some input, in words a link worker understands.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Input refused field by field: every problem at once, nothing saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub Vec<FieldError>);

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|e| e.to_string()).collect();
        write!(f, "{}", parts.join("; "))
    }
}

impl std::error::Error for Invalid {}
