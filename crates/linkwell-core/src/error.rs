//! Typed errors of the core. Validation errors name the field and say what is wrong in a
//! link worker's words; each edge (CLI, desktop, server) maps these to its own shape.

use thiserror::Error;

pub use linkwell_domain::FieldError;

#[derive(Debug, Error)]
pub enum CoreError {
    /// The input was refused; nothing was saved.
    #[error("{}", join_field_errors(.0))]
    Invalid(Vec<FieldError>),

    #[error("{entity} {id} was not found")]
    NotFound { entity: &'static str, id: String },

    /// A rule of the pathway forbids this (e.g. closing an episode twice).
    #[error("{0}")]
    NotAllowed(String),

    #[error(
        "this database was written by a newer version of Linkwell (schema {found}, this version understands up to {supported}); please update Linkwell — the file has not been changed"
    )]
    NewerSchema { found: i64, supported: i64 },

    #[error("the database has not been set up yet: run `linkwell init` first")]
    NotInitialised,

    #[error("the database could not be opened: wrong passphrase or not a Linkwell database")]
    NotADatabase,

    #[error("wrong passphrase ({failures} failed attempts){}", if *.wait_seconds > 0 { format!("; wait {} seconds before trying again", .wait_seconds) } else { String::new() })]
    WrongPassphrase { failures: u32, wait_seconds: i64 },

    #[error("too many wrong passphrases: wait {seconds} seconds before trying again")]
    TryAgainLater { seconds: i64 },

    #[error("Linkwell is locked: unlock it with your passphrase")]
    Locked,

    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),

    #[error("database migration failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),

    #[error("stored data could not be read: {0}")]
    Corrupt(String),

    /// A file outside the database (a saved PDF, say) could not be written.
    #[error("{0}")]
    File(String),

    /// An earlier call failed half-way inside the shared gate; nothing more is trusted.
    #[error("Linkwell needs to be restarted.")]
    RestartNeeded,
}

fn join_field_errors(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

impl CoreError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        CoreError::Invalid(vec![FieldError::new(field, message)])
    }

    /// The fields named by a validation error (empty for other errors).
    pub fn fields(&self) -> Vec<&str> {
        match self {
            CoreError::Invalid(errs) => errs.iter().map(|e| e.field.as_str()).collect(),
            _ => Vec::new(),
        }
    }

    /// A stable code for transports to map (desktop `{code,...}`, HTTP status).
    pub fn code(&self) -> &'static str {
        match self {
            CoreError::Invalid(_) => "invalid",
            CoreError::NotFound { .. } => "not_found",
            CoreError::NotAllowed(_) => "not_allowed",
            CoreError::NewerSchema { .. } => "newer_schema",
            CoreError::NotInitialised => "not_initialised",
            CoreError::NotADatabase => "not_a_database",
            CoreError::WrongPassphrase { .. } => "wrong_passphrase",
            CoreError::TryAgainLater { .. } => "try_again_later",
            CoreError::Locked => "locked",
            CoreError::File(_) => "file_problem",
            CoreError::Database(_)
            | CoreError::Migration(_)
            | CoreError::Corrupt(_)
            | CoreError::RestartNeeded => "internal",
        }
    }
}

impl From<serde_json::Error> for CoreError {
    fn from(e: serde_json::Error) -> Self {
        CoreError::Corrupt(e.to_string())
    }
}

pub type Result<T, E = CoreError> = std::result::Result<T, E>;

impl From<linkwell_domain::Invalid> for CoreError {
    fn from(invalid: linkwell_domain::Invalid) -> Self {
        CoreError::Invalid(invalid.0)
    }
}
