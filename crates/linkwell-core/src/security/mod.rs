//! Encryption at rest ([`vault`]), the unlocked session that holds the open store
//! ([`unlocked`]), and files only this account can read ([`files`]).

pub mod files;
pub mod unlocked;
pub mod vault;
