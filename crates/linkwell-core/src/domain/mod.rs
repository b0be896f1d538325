//! The vocabulary of social prescribing and the validation of what a worker types. Pure: no
//! storage, no I/O (CI proves this layer never uses rusqlite).

pub mod validate;
pub mod vocabulary;
