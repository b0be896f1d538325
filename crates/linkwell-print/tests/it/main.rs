//! Integration tests for linkwell-print: the page model, and real PDF tools on real files.

mod fixtures;
mod layout;
mod pdf;
mod service;
