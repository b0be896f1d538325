//! The domain operations, one module per kind of record: each validates its input and writes
//! through [`crate::store::Store::write`] in one transaction.

pub mod audit;
pub mod contacts;
pub mod directory;
pub mod follow_ups;
pub mod measures;
pub mod oruk;
pub mod pathway;
pub mod people;
pub mod plans;
