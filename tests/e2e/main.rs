//! End-to-end tests across real processes.

mod cli;
mod sync;
