//! linkwell-core: every rule of Linkwell — the domain model and its validation, the local
//! store with its change log, the queries a link worker's day needs, exports and demo data.
//!
//! Architecture invariant: this crate knows nothing of Tauri or HTTP. Transports (the CLI,
//! the desktop shell, the browser bridge) call into it and map [`CoreError`] at their edge.

pub mod api;
pub mod audit;
pub mod demo;
pub mod directory;
pub mod drafts;
pub mod error;
pub mod export;
pub mod gate;
pub mod measures;
pub mod model;
pub mod pathway;
pub mod people;
pub mod plans;
pub mod print;
pub mod queries;
pub mod schema;
pub mod search;
pub mod session;
pub mod sessions;
pub mod store;
pub mod suggest;
pub mod sync;
pub mod validate;
pub mod vault;

pub use error::{CoreError, FieldError, Result};
pub use store::{Actor, DbKey, SCHEMA_VERSION, Store};
