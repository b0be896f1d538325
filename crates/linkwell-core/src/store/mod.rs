//! The local store: opening (key, pragmas, migrations), the write path and the change log.
//!
//! Every write goes through [`Store::write`]: one transaction in which each change is
//! validated against the column registry, applied to its table, indexed for search and
//! appended to the change log with the next gapless device sequence number and HLC tick.

pub mod drafts;

use crate::error::{CoreError, Refusal, Result};
use chrono::{Local, NaiveDate};
use linkwell_protocol::registry::{self, ColType};
use linkwell_protocol::{EntityKind, Hlc, Operation};
use rusqlite::{
    Connection, OpenFlags, OptionalExtension, Transaction, params, types::Value as SqlValue,
};
use rusqlite_migration::{M, Migrations};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use uuid::Uuid;

/// Append-only: add a new file at the end, never edit one that has shipped.
static MIGRATIONS: LazyLock<Migrations<'static>> = LazyLock::new(|| {
    Migrations::new(vec![
        M::up(include_str!("../../migrations/0001_initial.sql")),
        M::up(include_str!("../../migrations/0002_sync.sql")),
        M::up(include_str!("../../migrations/0003_drafts.sql")),
        M::up(include_str!("../../migrations/0004_sync_offline.sql")),
        M::up(include_str!("../../migrations/0005_pending_by_record.sql")),
        M::up_with_hook(
            include_str!("../../migrations/0006_issue13_people.sql"),
            |tx: &rusqlite::Transaction| {
                crate::read::search::reindex_all(tx)
                    .map_err(|e| rusqlite_migration::HookError::Hook(e.to_string()))
            },
        ),
        M::up(include_str!("../../migrations/0007_issue14_follow_ups.sql")),
        M::up(include_str!("../../migrations/0009_issue17_directory.sql")),
        M::up(include_str!("../../migrations/0010_issue16_referrers.sql")),
        M::up(include_str!("../../migrations/0011_issue17_capacity.sql")),
    ])
});

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = 10;

/// Who is writing: every change is attributed to a worker and a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Actor {
    pub worker_id: Uuid,
    pub device_id: Uuid,
    pub team_id: Uuid,
}

/// A 32-byte SQLCipher key, used raw (no per-open key derivation). Zeroed when dropped.
#[derive(zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
pub struct DbKey(pub [u8; 32]);

impl std::fmt::Debug for DbKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DbKey(..)")
    }
}

/// Where new ids come from: real UUIDv7s, or a seeded sequence for reproducible demo data.
enum IdSource {
    Random,
    Seeded {
        rng: Box<rand_chacha::ChaCha8Rng>,
        millis: u64,
    },
}

pub struct Store {
    conn: Connection,
    actor: Option<Actor>,
    ids: IdSource,
    /// The file and key it was opened with, so a sync can run on a second connection of its
    /// own ([`Store::open_again`]). The key is already in SQLCipher's memory while the store
    /// is open; this copy is zeroed when the store is dropped (at lock).
    opened: (PathBuf, Option<DbKey>),
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("actor", &self.actor)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating if needed) the database at `path`, applies the key if given, sets the
    /// pragmas and brings the schema up to date. A newer schema is refused untouched.
    pub fn open(path: &Path, key: Option<&DbKey>) -> Result<Store> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)?;
        Self::from_connection(conn, path, key)
    }

    /// A second connection to the same database, with the same key: a sync runs on one of its
    /// own so the window's calls are not held up meanwhile (SQLite's WAL lets them read, and
    /// writes wait their turn for at most the busy timeout).
    pub fn open_again(&self) -> Result<Store> {
        let (path, key) = &self.opened;
        Store::open(path, key.as_ref())
    }

    fn from_connection(mut conn: Connection, path: &Path, key: Option<&DbKey>) -> Result<Store> {
        if let Some(key) = key {
            let hex: zeroize::Zeroizing<String> = zeroize::Zeroizing::new(hex::encode(key.0));
            let pragma = zeroize::Zeroizing::new(format!("PRAGMA key = \"x'{}'\";", hex.as_str()));
            conn.execute_batch(&pragma)?;
        }
        // The first real read tells whether the key (or the lack of one) fits the file.
        let user_version: i64 = match conn.query_row("PRAGMA user_version", [], |r| r.get(0)) {
            Ok(v) => v,
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::NotADatabase =>
            {
                return Err(CoreError::NotADatabase);
            }
            Err(e) => return Err(e.into()),
        };
        if user_version > SCHEMA_VERSION {
            return Err(CoreError::NewerSchema {
                found: user_version,
                supported: SCHEMA_VERSION,
            });
        }
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // A note confirmed is a note kept: fsync the WAL on every commit.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        // 32 MiB of page cache: a caseload or search touches pages all over a large file, and
        // with SQLCipher every cache miss is also a page decryption.
        conn.pragma_update(None, "cache_size", -32768)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // Every write transaction takes the write lock when it begins, so it waits its turn
        // (the busy timeout) while the other connection — a sync running beside the window —
        // writes. A transaction that read first and wrote later would get SQLITE_BUSY at once.
        conn.set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
        // The generic apply path prepares one statement shape per table and operation: keep
        // them all cached rather than re-parsing SQL on every write.
        conn.set_prepared_statement_cache_capacity(256);
        MIGRATIONS.to_latest(&mut conn)?;
        let actor = load_actor(&conn)?;
        Ok(Store {
            conn,
            actor,
            ids: IdSource::Random,
            opened: (path.to_path_buf(), key.map(|k| DbKey(k.0))),
        })
    }

    /// Read access for queries. Reads take `&Connection`; writes go through [`Store::write`].
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The sync engine's own transactions: pulled changes are applied, not logged again.
    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    pub fn actor(&self) -> Result<Actor> {
        self.actor.ok_or(CoreError::NotInitialised)
    }

    /// Makes new ids reproducible from `seed` (demo data); ids stay UUIDv7-shaped.
    pub fn use_seeded_ids(&mut self, seed: u64, start: NaiveDate) {
        use rand::SeedableRng;
        let millis = start
            .and_hms_opt(0, 0, 0)
            .map(|d| d.and_utc().timestamp_millis().max(0) as u64)
            .unwrap_or(0);
        self.ids = IdSource::Seeded {
            rng: Box::new(rand_chacha::ChaCha8Rng::seed_from_u64(seed)),
            millis,
        };
    }

    pub(crate) fn set_actor(&mut self, actor: Actor) {
        self.actor = Some(actor);
    }

    /// Runs `f` in one transaction: everything it records commits together or not at all.
    pub fn write<T>(&mut self, f: impl FnOnce(&mut Writer<'_>) -> Result<T>) -> Result<T> {
        let actor = self.actor()?;
        self.write_as(actor, f)
    }

    /// Writes with a given actor before the device row exists (set-up only).
    pub(crate) fn write_as<T>(
        &mut self,
        actor: Actor,
        f: impl FnOnce(&mut Writer<'_>) -> Result<T>,
    ) -> Result<T> {
        let tx = self.conn.transaction()?;
        let mut w = Writer {
            tx,
            actor,
            ids: &mut self.ids,
        };
        let out = f(&mut w)?;
        w.tx.commit()?;
        Ok(out)
    }

    /// A new id from the store's id source.
    pub fn new_id(&mut self) -> Uuid {
        next_id(&mut self.ids)
    }
}

fn next_id(ids: &mut IdSource) -> Uuid {
    match ids {
        IdSource::Random => Uuid::now_v7(),
        IdSource::Seeded { rng, millis } => {
            use rand::RngCore;
            let mut bytes = [0u8; 10];
            rng.fill_bytes(&mut bytes);
            *millis += 1;
            uuid::Builder::from_unix_timestamp_millis(*millis, &bytes).into_uuid()
        }
    }
}

fn load_actor(conn: &Connection) -> Result<Option<Actor>> {
    conn.query_row(
        "SELECT d.device_id, d.worker_id, w.team_id FROM device d JOIN worker w ON w.id = d.worker_id",
        [],
        |r| Ok((crate::store::id_at(r, 0)?, crate::store::id_at(r, 1)?, crate::store::id_at(r, 2)?)),
    )
    .optional()
    .map(|o| o.map(|(device_id, worker_id, team_id)| Actor { worker_id, device_id, team_id }))
    .map_err(Into::into)
}

/// The write half of a transaction: records changes and appends them to the change log.
pub struct Writer<'a> {
    tx: Transaction<'a>,
    actor: Actor,
    ids: &'a mut IdSource,
}

impl Writer<'_> {
    pub fn actor(&self) -> Actor {
        self.actor
    }

    /// Reads inside the transaction see its own earlier writes.
    pub fn conn(&self) -> &Connection {
        &self.tx
    }

    pub fn new_id(&mut self) -> Uuid {
        next_id(self.ids)
    }

    /// Applies one change and appends it to the change log.
    /// Records a new record: one create change carrying all its fields.
    pub fn create<R: Record>(&mut self, record: &R) -> Result<()> {
        self.record(R::KIND, record.id(), Operation::Create, to_payload(record)?)
    }

    pub fn record(
        &mut self,
        entity: EntityKind,
        entity_id: Uuid,
        op: Operation,
        payload: Map<String, Value>,
    ) -> Result<()> {
        apply(&self.tx, entity, entity_id, op, &payload)?;
        self.log(entity, entity_id, op, &payload)
    }

    pub(crate) fn log(
        &mut self,
        entity: EntityKind,
        entity_id: Uuid,
        op: Operation,
        payload: &Map<String, Value>,
    ) -> Result<()> {
        let (wall, counter, seq, base): (i64, u32, i64, i64) = self
            .tx
            .prepare_cached(
                "SELECT hlc_wall_ms, hlc_counter, next_seq, last_server_seq FROM device",
            )?
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        let last = Hlc {
            wall_ms: wall.max(0) as u64,
            counter,
            device: self.actor.device_id,
        };
        let hlc = last.tick(now_ms());
        let payload_text = serde_json::to_string(payload)?;
        let hash = linkwell_protocol::payload_hash(&payload_text);
        // Random even when record ids are seeded (demo data): two laptops loaded with the same
        // demo seed must not send the same change ids, which the server takes for a cloned laptop.
        let mutation_id = Uuid::now_v7();
        self.tx.prepare_cached(
            "INSERT INTO change_log (seq, mutation_id, hlc, entity, entity_id, op, payload, payload_hash, worker_id, device_id, base_server_seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?
        .execute(params![
                seq,
                mutation_id.to_string(),
                hlc.encode(),
                entity.as_str(),
                entity_id.to_string(),
                op.as_str(),
                payload_text,
                hash,
                self.actor.worker_id.to_string(),
                self.actor.device_id.to_string(),
                base
            ])?;
        // Ids only: logs never carry names, notes or other personal data.
        tracing::debug!(seq, entity = entity.as_str(), id = %entity_id, op = op.as_str(), "change recorded");
        self.tx
            .prepare_cached("UPDATE device SET hlc_wall_ms = ?1, hlc_counter = ?2, next_seq = ?3")?
            .execute(params![hlc.wall_ms as i64, hlc.counter, seq + 1])?;
        Ok(())
    }
}

fn now_ms() -> u64 {
    chrono::Utc::now().timestamp_millis().max(0) as u64
}

/// A kind of record the store writes whole: its kind in the change log and its id. One
/// create change carries all of its fields ([`Writer::create`]).
pub trait Record: serde::Serialize {
    const KIND: EntityKind;
    fn id(&self) -> Uuid;
}

/// Implements [`Record`] for record structs named as their [`EntityKind`] with an `id` field.
macro_rules! record_kinds {
    ($($ty:ident),+ $(,)?) => {
        $(impl $crate::store::Record for $ty {
            const KIND: linkwell_protocol::EntityKind = linkwell_protocol::EntityKind::$ty;
            fn id(&self) -> uuid::Uuid {
                self.id
            }
        })+
    };
}
pub(crate) use record_kinds;

/// Applies one change to its table, checking each field against the column registry.
pub fn apply(
    conn: &Connection,
    entity: EntityKind,
    id: Uuid,
    op: Operation,
    payload: &Map<String, Value>,
) -> Result<()> {
    let table = registry::table(entity);
    let mut cols = Vec::with_capacity(payload.len());
    let mut vals: Vec<SqlValue> = Vec::with_capacity(payload.len() + 1);
    for (k, v) in payload {
        let ty = table
            .col(k)
            .ok_or_else(|| CoreError::Corrupt(format!("{} has no field {k}", table.name)))?;
        cols.push(k.as_str());
        vals.push(to_sql(ty, v).ok_or_else(|| {
            CoreError::Corrupt(format!("{}.{k} has the wrong type of value", table.name))
        })?);
    }
    match op {
        Operation::Create => {
            let placeholders = (1..=cols.len() + 1)
                .map(|i| format!("?{i}"))
                .collect::<Vec<_>>();
            let sql = format!(
                "INSERT INTO {} (id{}{}) VALUES ({})",
                table.name,
                if cols.is_empty() { "" } else { ", " },
                cols.join(", "),
                placeholders.join(", ")
            );
            vals.insert(0, SqlValue::Text(id.to_string()));
            conn.prepare_cached(&sql)?
                .execute(rusqlite::params_from_iter(vals))?;
        }
        Operation::Update | Operation::Archive => {
            if entity.is_append_only() {
                return Err(Refusal::InsertOnly(entity.as_str()).into());
            }
            if cols.is_empty() {
                return Ok(());
            }
            let sets = cols
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{c} = ?{}", i + 2))
                .collect::<Vec<_>>();
            let sql = format!(
                "UPDATE {} SET {} WHERE id = ?1",
                table.name,
                sets.join(", ")
            );
            vals.insert(0, SqlValue::Text(id.to_string()));
            let n = conn
                .prepare_cached(&sql)?
                .execute(rusqlite::params_from_iter(vals))?;
            if n == 0 {
                return Err(CoreError::NotFound {
                    entity: entity.as_str(),
                    id: id.to_string(),
                });
            }
        }
    }
    crate::read::search::reindex(conn, entity, id)?;
    Ok(())
}

fn to_sql(ty: ColType, v: &Value) -> Option<SqlValue> {
    Some(match (ty, v) {
        (_, Value::Null) => SqlValue::Null,
        (ColType::Text, Value::String(s)) => SqlValue::Text(s.clone()),
        (ColType::Int, Value::Number(n)) => SqlValue::Integer(n.as_i64()?),
        (ColType::Real, Value::Number(n)) => SqlValue::Real(n.as_f64()?),
        (ColType::Bool, Value::Bool(b)) => SqlValue::Integer(i64::from(*b)),
        (ColType::List, Value::Array(_)) => SqlValue::Text(v.to_string()),
        _ => return None,
    })
}

pub(crate) fn from_sql(ty: ColType, v: rusqlite::types::ValueRef<'_>) -> Result<Value> {
    use rusqlite::types::ValueRef;
    Ok(match (ty, v) {
        (_, ValueRef::Null) => Value::Null,
        (ColType::Bool, ValueRef::Integer(i)) => Value::Bool(i != 0),
        (ColType::List, ValueRef::Text(t)) => serde_json::from_slice(t)?,
        (_, ValueRef::Integer(i)) => Value::from(i),
        (_, ValueRef::Real(f)) => Value::from(f),
        (_, ValueRef::Text(t)) => Value::String(String::from_utf8_lossy(t).into_owned()),
        (_, ValueRef::Blob(_)) => return Err(CoreError::Corrupt("unexpected blob".into())),
    })
}

/// Loads one record as a JSON object (id plus every registered field), or None.
pub fn load(conn: &Connection, entity: EntityKind, id: Uuid) -> Result<Option<Map<String, Value>>> {
    let table = registry::table(entity);
    let cols: Vec<&str> = table.cols.iter().map(|(n, _)| *n).collect();
    let sql = format!(
        "SELECT id, {} FROM {} WHERE id = ?1",
        cols.join(", "),
        table.name
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query([id.to_string()])?;
    match rows.next()? {
        None => Ok(None),
        Some(row) => Ok(Some(row_to_map(row, &table)?)),
    }
}

/// Loads records of a kind matching `where_sql` (with `?1` bound to `arg`), in `order_sql`.
pub fn load_where(
    conn: &Connection,
    entity: EntityKind,
    where_sql: &str,
    arg: &str,
    order_sql: &str,
) -> Result<Vec<Map<String, Value>>> {
    let table = registry::table(entity);
    let cols: Vec<&str> = table.cols.iter().map(|(n, _)| *n).collect();
    let sql = format!(
        "SELECT id, {} FROM {} WHERE {where_sql} ORDER BY {order_sql}",
        cols.join(", "),
        table.name
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query([arg])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(row_to_map(row, &table)?);
    }
    Ok(out)
}

fn row_to_map(row: &rusqlite::Row<'_>, table: &registry::Table) -> Result<Map<String, Value>> {
    let mut m = Map::new();
    m.insert("id".into(), Value::String(row.get(0)?));
    for (i, (name, ty)) in table.cols.iter().enumerate() {
        m.insert((*name).to_string(), from_sql(*ty, row.get_ref(i + 1)?)?);
    }
    Ok(m)
}

/// Loads and decodes one record into its typed form.
pub fn get<T: serde::de::DeserializeOwned>(
    conn: &Connection,
    entity: EntityKind,
    id: Uuid,
) -> Result<T> {
    let m = load(conn, entity, id)?.ok_or_else(|| CoreError::NotFound {
        entity: entity.as_str(),
        id: id.to_string(),
    })?;
    Ok(serde_json::from_value(Value::Object(m))?)
}

pub fn get_where<T: serde::de::DeserializeOwned>(
    conn: &Connection,
    entity: EntityKind,
    where_sql: &str,
    arg: &str,
    order_sql: &str,
) -> Result<Vec<T>> {
    load_where(conn, entity, where_sql, arg, order_sql)?
        .into_iter()
        .map(|m| serde_json::from_value(Value::Object(m)).map_err(Into::into))
        .collect()
}

/// The fields of a typed record as a change payload (without its id).
pub fn to_payload<T: serde::Serialize>(record: &T) -> Result<Map<String, Value>> {
    match serde_json::to_value(record)? {
        Value::Object(mut m) => {
            m.remove("id");
            Ok(m)
        }
        _ => Err(CoreError::Corrupt("record is not an object".into())),
    }
}

/// The fields of `next` that differ from `current`: what an edit writes to the change log, so
/// an unchanged field does not win a sync conflict it had no part in.
pub fn changed_fields<T: serde::Serialize>(current: &T, next: &T) -> Result<Map<String, Value>> {
    let before = to_payload(current)?;
    Ok(to_payload(next)?
        .into_iter()
        .filter(|(k, v)| before.get(k) != Some(v))
        .collect())
}

/// Today's date on this laptop.
pub fn today() -> NaiveDate {
    Local::now().date_naive()
}

/// One row of the change log, as the CLI and sync show it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ChangeLogEntry {
    pub seq: i64,
    pub mutation_id: Uuid,
    pub hlc: String,
    pub entity: String,
    pub entity_id: Uuid,
    pub op: String,
    pub payload: Value,
    pub worker_id: Uuid,
    pub device_id: Uuid,
    pub acked: bool,
}

impl Store {
    /// Changes not yet acknowledged by the server.
    pub fn pending_count(&self) -> Result<i64> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM change_log WHERE acked_at IS NULL",
            [],
            |r| r.get(0),
        )?)
    }

    /// The change log from `after_seq`, oldest first.
    pub fn changes_after(&self, after_seq: i64, limit: i64) -> Result<Vec<ChangeLogEntry>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, mutation_id, hlc, entity, entity_id, op, payload, worker_id, device_id, acked_at IS NOT NULL
             FROM change_log WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after_seq, limit], |r| {
            Ok(ChangeLogEntry {
                seq: r.get(0)?,
                mutation_id: crate::store::id_at(r, 1)?,
                hlc: r.get(2)?,
                entity: r.get(3)?,
                entity_id: crate::store::id_at(r, 4)?,
                op: r.get(5)?,
                payload: serde_json::from_str(&r.get::<_, String>(6)?).unwrap_or(Value::Null),
                worker_id: crate::store::id_at(r, 7)?,
                device_id: crate::store::id_at(r, 8)?,
                acked: r.get(9)?,
            })
        })?;
        rows.collect::<Result<_, _>>().map_err(Into::into)
    }
}

/// Reads a text column holding a UUID (ids are stored as text, so they read well in SQL).
pub(crate) fn id_at(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Uuid> {
    let s: String = r.get(i)?;
    Uuid::parse_str(&s).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

pub(crate) fn opt_id_at(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Option<Uuid>> {
    match r.get::<_, Option<String>>(i)? {
        None => Ok(None),
        Some(_) => id_at(r, i).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_validate() {
        MIGRATIONS.validate().unwrap();
    }
}
