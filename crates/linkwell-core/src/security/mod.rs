//! Encryption at rest ([`vault`]) and the unlocked session that holds the open store
//! ([`unlocked`]).

pub mod unlocked;
pub mod vault;
