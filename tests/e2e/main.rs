//! End-to-end tests across real processes.

mod app_sync;
mod cli;
mod directory;
mod hostile;
mod licences;
mod messages;
mod pg_instances;
mod org_report;
mod report;
mod sync;
mod tls;
