//! linkwell-server: the central sync server. Devices enrol with a one-time code, then push
//! batches of their change log and pull what colleagues changed, filtered to their teams.
//!
//! - [`api`]: the HTTP routes (axum), built by [`api::router`].
//! - [`storage`]: the one storage trait and its implementation on SQLite or PostgreSQL.
//! - [`rules`]: batch validation, visibility and conflict rules, independent of storage.
//! - [`reason`]: why a change is quarantined (or rejected): a stable code and its text.
//! - [`report`]: the organisation's figures from the server's records (linkwell-report).
//! - [`stream`]: how the change stream and the receipts are stored (compact columns).

pub mod api;
pub mod fuzzing;
pub mod instruments;
pub mod metrics;
#[doc(hidden)]
pub mod pg_cluster;
pub mod reason;
pub mod report;
pub mod rules;
pub mod storage;
pub mod stream;

pub use api::{AppState, router};
pub use storage::{DeviceCtx, ServerStorage, SqliteStorage, Storage, StorageError};
