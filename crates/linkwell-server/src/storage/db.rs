//! The one seam between the server's rules and its two databases: SQL run through [`Db`] on
//! one transaction, with parameters and columns as plain [`V`] values. Every rule in
//! `storage.rs` is written once against [`Db`]; SQLite ([`SqliteDb`]) and PostgreSQL
//! ([`super::pg::PgDb`]) differ only in how they run it. Statements are written once, with
//! SQLite's `?N` placeholders (PostgreSQL's `$N` are put in for it) in SQL both understand.

use super::{Result, StorageError};
use uuid::Uuid;

/// A parameter or a column's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum V {
    Null,
    I(i64),
    T(String),
    B(Vec<u8>),
}

impl From<i64> for V {
    fn from(v: i64) -> V {
        V::I(v)
    }
}
impl From<u64> for V {
    fn from(v: u64) -> V {
        V::I(i64::try_from(v).unwrap_or(i64::MAX))
    }
}
impl From<u32> for V {
    fn from(v: u32) -> V {
        V::I(v.into())
    }
}
impl From<bool> for V {
    fn from(v: bool) -> V {
        V::I(v.into())
    }
}
impl From<&str> for V {
    fn from(v: &str) -> V {
        V::T(v.to_string())
    }
}
impl From<String> for V {
    fn from(v: String) -> V {
        V::T(v)
    }
}
impl From<&String> for V {
    fn from(v: &String) -> V {
        V::T(v.clone())
    }
}
/// A uuid column of the entity tables: its hyphenated text.
impl From<Uuid> for V {
    fn from(v: Uuid) -> V {
        V::T(v.hyphenated().to_string())
    }
}
impl From<&Uuid> for V {
    fn from(v: &Uuid) -> V {
        V::from(*v)
    }
}
impl<T: Into<V>> From<Option<T>> for V {
    fn from(v: Option<T>) -> V {
        v.map_or(V::Null, Into::into)
    }
}

/// A uuid as its 16 bytes (the stream's and the receipts' id columns).
pub fn id_bytes(id: &Uuid) -> V {
    V::B(id.as_bytes().to_vec())
}

/// Parameters as [`V`]s.
macro_rules! p {
    ($($x:expr),* $(,)?) => { &[$($crate::storage::db::V::from($x)),*][..] };
}
pub(crate) use p;

/// One result row, its columns in the statement's order.
#[derive(Debug)]
pub struct Row(pub Vec<V>);

fn corrupt(what: &str, i: usize) -> StorageError {
    StorageError::Corrupt(format!("column {i} is not {what}"))
}

impl Row {
    pub fn v(&self, i: usize) -> &V {
        self.0.get(i).unwrap_or(&V::Null)
    }
    pub fn opt_i64(&self, i: usize) -> Result<Option<i64>> {
        match self.v(i) {
            V::Null => Ok(None),
            V::I(v) => Ok(Some(*v)),
            _ => Err(corrupt("a number", i)),
        }
    }
    pub fn i64(&self, i: usize) -> Result<i64> {
        self.opt_i64(i)?.ok_or_else(|| corrupt("a number", i))
    }
    pub fn u64(&self, i: usize) -> Result<u64> {
        Ok(self.i64(i)?.max(0) as u64)
    }
    pub fn bool(&self, i: usize) -> Result<bool> {
        Ok(self.i64(i)? != 0)
    }
    pub fn opt_text(&self, i: usize) -> Result<Option<String>> {
        match self.v(i) {
            V::Null => Ok(None),
            V::T(s) => Ok(Some(s.clone())),
            _ => Err(corrupt("text", i)),
        }
    }
    pub fn text(&self, i: usize) -> Result<String> {
        self.opt_text(i)?.ok_or_else(|| corrupt("text", i))
    }
    pub fn uuid(&self, i: usize) -> Result<Uuid> {
        Uuid::parse_str(&self.text(i)?).map_err(|_| corrupt("an id", i))
    }
    pub fn opt_uuid(&self, i: usize) -> Result<Option<Uuid>> {
        Ok(self.opt_text(i)?.and_then(|s| Uuid::parse_str(&s).ok()))
    }
    pub fn blob(&self, i: usize) -> Result<&[u8]> {
        match self.v(i) {
            V::B(b) => Ok(b),
            _ => Err(corrupt("bytes", i)),
        }
    }
}

/// One open transaction (or, for SQLite's migrations, one connection).
pub trait Db {
    /// Runs a query, calling `f` with each row until it answers false.
    fn each(&self, sql: &str, params: &[V], f: &mut dyn FnMut(Row) -> Result<bool>) -> Result<()>;
    /// Runs a statement; answers how many rows it changed.
    fn exec(&self, sql: &str, params: &[V]) -> Result<u64>;
    /// Runs statements without parameters (savepoints).
    fn batch(&self, sql: &str) -> Result<()>;

    fn rows(&self, sql: &str, params: &[V]) -> Result<Vec<Row>> {
        let mut out = Vec::new();
        self.each(sql, params, &mut |r| {
            out.push(r);
            Ok(true)
        })?;
        Ok(out)
    }
    /// The first row, if any.
    fn row(&self, sql: &str, params: &[V]) -> Result<Option<Row>> {
        let mut out = None;
        self.each(sql, params, &mut |r| {
            out = Some(r);
            Ok(false)
        })?;
        Ok(out)
    }
}

/// SQLite through rusqlite, with its statement cache.
pub struct SqliteDb<'c>(pub &'c rusqlite::Connection);

impl rusqlite::ToSql for V {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            V::Null => ValueRef::Null,
            V::I(v) => ValueRef::Integer(*v),
            V::T(s) => ValueRef::Text(s.as_bytes()),
            V::B(b) => ValueRef::Blob(b),
        }))
    }
}

impl Db for SqliteDb<'_> {
    fn each(&self, sql: &str, params: &[V], f: &mut dyn FnMut(Row) -> Result<bool>) -> Result<()> {
        use rusqlite::types::ValueRef;
        let mut stmt = self.0.prepare_cached(sql)?;
        let n = stmt.column_count();
        let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
        while let Some(r) = rows.next()? {
            let mut row = Vec::with_capacity(n);
            for i in 0..n {
                row.push(match r.get_ref(i)? {
                    ValueRef::Null => V::Null,
                    ValueRef::Integer(v) => V::I(v),
                    // The schema has no real columns; a number is kept as its text.
                    ValueRef::Real(v) => V::T(v.to_string()),
                    ValueRef::Text(t) => V::T(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Blob(b) => V::B(b.to_vec()),
                });
            }
            if !f(Row(row))? {
                break;
            }
        }
        Ok(())
    }

    fn exec(&self, sql: &str, params: &[V]) -> Result<u64> {
        Ok(self
            .0
            .prepare_cached(sql)?
            .execute(rusqlite::params_from_iter(params))? as u64)
    }

    fn batch(&self, sql: &str) -> Result<()> {
        Ok(self.0.execute_batch(sql)?)
    }
}
