//! End-to-end tests across real processes.

mod app_sync;
mod cli;
mod directory;
mod directory_feed;
mod duplicates;
mod hostile;
mod licences;
mod messages;
mod org_report;
mod pg_instances;
mod report;
mod sync;
mod tls;
