//! linkwell-core: every rule of Linkwell — the domain model and its validation, the local
//! store with its change log, the queries a link worker's day needs, exports and demo data.
//!
//! Architecture invariant: this crate knows nothing of Tauri or HTTP. Transports (the CLI,
//! the desktop shell, the browser bridge) call into it and map [`CoreError`] at their edge.

pub mod app;
pub mod demo;
pub mod error;
pub mod read;
pub mod records;
pub mod security;
pub mod store;
pub mod sync;

pub use error::{CoreError, FieldError, Result};
/// The vocabulary and validation rules, from linkwell-domain (no storage, no I/O).
pub use linkwell_domain as domain;
pub use store::{Actor, DbKey, SCHEMA_VERSION, Store};
