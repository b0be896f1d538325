//! The read side: a worker's day and caseload, search, suggestions, exports and printing.

pub mod caseload;
pub mod completeness;
pub mod export;
pub mod introduction;
pub mod message;
pub mod person_record;
pub mod print;
pub mod report;
pub mod search;
pub mod suggest;
