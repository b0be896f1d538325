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

    /// A rule forbids this (closing an episode twice, editing a retracted note...).
    #[error(transparent)]
    Refused(#[from] Refusal),

    /// Sync could not be done (offline, refused by the server, not enrolled...).
    #[error(transparent)]
    Sync(Box<crate::sync::SyncError>),

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

/// Why a rule refused a call, each with a stable code and the words a worker sees.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Refusal {
    #[error(
        "this person already has an open episode (since {since}); close it before a new referral"
    )]
    OpenEpisodeExists { since: String },
    #[error("this person already has an open episode")]
    ReopenWhileOpen,
    #[error("a closed episode cannot be handed over")]
    HandoverOfClosedEpisode,
    #[error("this episode is already closed")]
    EpisodeAlreadyClosed,
    #[error("only a closed episode can be reopened")]
    EpisodeNotClosed,
    #[error(
        "this note has been changed since you opened it; your text is kept in the editor — review the latest version before saving"
    )]
    NoteChangedMeanwhile,
    #[error("a retracted note cannot be edited")]
    NoteRetracted,
    #[error("this note is already retracted")]
    NoteAlreadyRetracted,
    #[error("{0} records are never changed once written")]
    InsertOnly(&'static str),
    #[error("only a supervisor can see who looked at a record")]
    SupervisorsOnly,
    #[error("this database is already set up")]
    AlreadySetUp,
    #[error("Linkwell is already set up with this database")]
    ProfileAlreadySetUp,
    #[error("a sync is already running; it will finish by itself")]
    SyncAlreadyRunning,
    #[error("sync is not available in this window")]
    SyncNotOffered,
    #[error("joining a server is not available in this window")]
    JoinNotOffered,
    #[error("this laptop is not joined to a server: it keeps everything here")]
    NotJoined,
    #[error("saving straight to a folder works in the desktop app only")]
    SaveToFolderNotOffered,
    #[error("importing a feed from its address is not available in this window")]
    FeedImportNotOffered,
    #[error("this database is not encrypted yet: choose a passphrase to encrypt it first")]
    NotEncryptedYet,
    #[error("this database has no key file: it is not encrypted")]
    NoKeyFile,
    #[error("this database already has a key file")]
    KeyFileExists,
    #[error("this database is already encrypted")]
    AlreadyEncrypted,
    #[error("{0} already exists")]
    FileExists(String),
    #[error("already linked to {service} ({status}): update that referral instead")]
    AlreadyReferred {
        service: String,
        status: &'static str,
    },
    /// The Green Book has nothing to show yet (the message says what to add).
    #[error("{0}")]
    NothingToPrint(String),
    /// Likely matches were found and the worker has not said whether they are this person
    /// (the count only: messages may be logged, names never).
    #[error(
        "this may be someone already known ({0} likely match(es)): choose whether it is the same person or a different one"
    )]
    LikelySamePerson(usize),
    #[error(
        "this person's support is closed: reopen it, or take a new referral, before recording contact"
    )]
    SupportClosed,
}

impl Refusal {
    /// A stable code: never reworded, so screens and scripts may rely on it.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::OpenEpisodeExists { .. } => "open_episode_exists",
            Refusal::ReopenWhileOpen => "reopen_while_open",
            Refusal::HandoverOfClosedEpisode => "handover_of_closed_episode",
            Refusal::EpisodeAlreadyClosed => "episode_already_closed",
            Refusal::EpisodeNotClosed => "episode_not_closed",
            Refusal::NoteChangedMeanwhile => "note_changed_meanwhile",
            Refusal::NoteRetracted => "note_retracted",
            Refusal::NoteAlreadyRetracted => "note_already_retracted",
            Refusal::InsertOnly(_) => "insert_only",
            Refusal::SupervisorsOnly => "supervisors_only",
            Refusal::AlreadySetUp => "already_set_up",
            Refusal::ProfileAlreadySetUp => "profile_already_set_up",
            Refusal::SyncAlreadyRunning => "sync_already_running",
            Refusal::SyncNotOffered => "sync_not_offered",
            Refusal::JoinNotOffered => "join_not_offered",
            Refusal::NotJoined => "not_joined",
            Refusal::SaveToFolderNotOffered => "save_to_folder_not_offered",
            Refusal::FeedImportNotOffered => "feed_import_not_offered",
            Refusal::NotEncryptedYet => "not_encrypted_yet",
            Refusal::NoKeyFile => "no_key_file",
            Refusal::KeyFileExists => "key_file_exists",
            Refusal::AlreadyEncrypted => "already_encrypted",
            Refusal::FileExists(_) => "file_exists",
            Refusal::AlreadyReferred { .. } => "already_referred",
            Refusal::NothingToPrint(_) => "nothing_to_print",
            Refusal::LikelySamePerson(_) => "likely_same_person",
            Refusal::SupportClosed => "support_closed",
        }
    }
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

    /// The stable code of the particular refusal or sync failure, for screens and scripts
    /// that tell them apart (`None` for other errors: their [`CoreError::code`] says it all).
    pub fn reason(&self) -> Option<&'static str> {
        match self {
            CoreError::Refused(r) => Some(r.code()),
            CoreError::Sync(s) => Some(s.code()),
            _ => None,
        }
    }

    /// A stable code for transports to map (desktop `{code,...}`, HTTP status).
    pub fn code(&self) -> &'static str {
        match self {
            CoreError::Invalid(_) => "invalid",
            CoreError::NotFound { .. } => "not_found",
            CoreError::Refused(_) => "not_allowed",
            CoreError::Sync(_) => "sync_failed",
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
