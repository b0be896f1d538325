//! The change stream and the receipts as stored (schema 3 on): each part of a change in a
//! column of its own, the change's ids and hash as bytes (its team and person stay text: pull's
//! visibility query joins them to `entity`).
//!
//! Until schema 2 a stream entry was the change's whole JSON text and a receipt spelt its ids
//! and hash out in hex: a push wrote over four times the pages of a bare insert of the same
//! payloads, and encoding the JSON was an eighth of its CPU time. Only the payload is JSON
//! now (the canonical text its hash is of, as the device sent it).

use crate::storage::db::{Db, Row, SqliteDb, V, id_bytes, p};
use crate::storage::{Result, Scope, StorageError};
use linkwell_protocol::{EntityKind, Hlc, Mutation, MutationResult, Operation};
use rusqlite::Connection;
use uuid::Uuid;

/// One change as the stream keeps it, borrowed from whatever is being stored.
pub(crate) struct Entry<'a> {
    pub mutation_id: Uuid,
    pub device_id: Uuid,
    pub worker_id: Uuid,
    pub device_seq: u64,
    pub hlc: Hlc,
    pub entity: EntityKind,
    pub entity_id: Uuid,
    pub op: Operation,
    /// The payload's canonical JSON text.
    pub payload: &'a str,
    pub payload_hash: &'a str,
    pub base_server_seq: u64,
}

impl<'a> Entry<'a> {
    /// `m` with `payload` (its payload's canonical text, or what of it took effect) and that
    /// text's hash.
    pub fn of(m: &Mutation, payload: &'a str, payload_hash: &'a str) -> Entry<'a> {
        Entry {
            mutation_id: m.mutation_id,
            device_id: m.device_id,
            worker_id: m.worker_id,
            device_seq: m.device_seq,
            hlc: m.hlc,
            entity: m.entity,
            entity_id: m.entity_id,
            op: m.op,
            payload,
            payload_hash,
            base_server_seq: m.base_server_seq,
        }
    }
}

/// A payload hash as stored: a SHA-256 in lower-case hex as its 32 bytes; anything else a
/// device sent (refused, but its receipt is kept) as the text itself. (PostgreSQL keeps the
/// column as text: its bytes are written there in hex, [`crate::storage::pg`].)
fn hash_col(hash: &str) -> V {
    let mut bytes = [0u8; 32];
    // Only lower-case hex round-trips through the bytes.
    let lower = !hash.bytes().any(|b| b.is_ascii_uppercase());
    match hex::decode_to_slice(hash, &mut bytes) {
        Ok(()) if lower => V::B(bytes.to_vec()),
        _ => V::T(hash.to_string()),
    }
}

fn read_hash(v: &V) -> Result<String> {
    match v {
        V::B(b) => Ok(hex::encode(b)),
        V::T(t) => Ok(t.clone()),
        _ => Err(StorageError::Corrupt("a payload hash is missing".into())),
    }
}

/// Appends `e` to the stream at the next server sequence number (or at `at`, when copying
/// an older stream); answers its number. The next number is one past the last: the caller's
/// write transaction is serialised with every other (see `storage`), so none commits out of
/// order.
pub(crate) fn append(tx: &dyn Db, e: &Entry<'_>, scope: Scope, at: Option<u64>) -> Result<u64> {
    let (team, person) = scope;
    // The hlc's device is nearly always the change's own: kept only when it is not.
    let hlc_device = if e.hlc.device != e.device_id {
        id_bytes(&e.hlc.device)
    } else {
        V::Null
    };
    let row = tx.row(
        "INSERT INTO change (server_seq, mutation_id, device_id, worker_id, device_seq, hlc_wall_ms,
           hlc_counter, hlc_device, entity, entity_id, op, payload, payload_hash, base_server_seq,
           team_id, person_id)
         VALUES (COALESCE(?1, (SELECT COALESCE(MAX(server_seq), 0) + 1 FROM change)), ?2, ?3, ?4,
           ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
         RETURNING server_seq",
        &[
            V::from(at),
            id_bytes(&e.mutation_id),
            id_bytes(&e.device_id),
            id_bytes(&e.worker_id),
            V::from(e.device_seq),
            V::from(e.hlc.wall_ms),
            V::from(e.hlc.counter),
            hlc_device,
            V::from(e.entity.as_str()),
            id_bytes(&e.entity_id),
            V::from(e.op.as_str()),
            V::from(e.payload),
            hash_col(e.payload_hash),
            V::from(e.base_server_seq),
            V::from(team),
            V::from(person),
        ],
    )?;
    row.ok_or_else(|| StorageError::Corrupt("the stream gave no number".into()))?
        .u64(0)
}

/// The stream's columns that make up a change, in the order [`read`] expects them.
pub(crate) const COLUMNS: &str = "c.mutation_id, c.device_id, c.worker_id, c.device_seq, \
     c.hlc_wall_ms, c.hlc_counter, c.hlc_device, c.entity, c.entity_id, c.op, c.payload, \
     c.payload_hash, c.base_server_seq";

/// The change in [`COLUMNS`], starting at column `at` of `r`.
pub(crate) fn read(r: &Row, at: usize) -> Result<Mutation> {
    let id = |i: usize| -> Result<Uuid> {
        Uuid::from_slice(r.blob(at + i)?)
            .map_err(|_| StorageError::Corrupt("an id in the change stream is not 16 bytes".into()))
    };
    let device_id = id(1)?;
    let hlc_device = match r.v(at + 6) {
        V::Null => device_id,
        _ => id(6)?,
    };
    let entity = r.text(at + 7)?;
    let op = r.text(at + 9)?;
    Ok(Mutation {
        mutation_id: id(0)?,
        device_id,
        worker_id: id(2)?,
        device_seq: r.u64(at + 3)?,
        hlc: Hlc {
            wall_ms: r.u64(at + 4)?,
            counter: u32::try_from(r.i64(at + 5)?)
                .map_err(|_| StorageError::Corrupt("a clock counter is out of range".into()))?,
            device: hlc_device,
        },
        entity: EntityKind::parse(&entity).ok_or_else(|| {
            StorageError::Corrupt(format!("unknown kind {entity:?} in the stream"))
        })?,
        entity_id: id(8)?,
        op: Operation::parse(&op).ok_or_else(|| {
            StorageError::Corrupt(format!("unknown operation {op:?} in the stream"))
        })?,
        payload: serde_json::from_str(&r.text(at + 10)?)?,
        payload_hash: read_hash(r.v(at + 11))?,
        base_server_seq: r.u64(at + 12)?,
    })
}

/// The stream entry at `server_seq`.
pub(crate) fn at(tx: &dyn Db, server_seq: u64) -> Result<Mutation> {
    match tx.row(
        &format!("SELECT {COLUMNS} FROM change c WHERE c.server_seq = ?1"),
        p![server_seq],
    )? {
        Some(r) => read(&r, 0),
        None => Err(StorageError::Corrupt(format!(
            "change {server_seq} is missing from the stream"
        ))),
    }
}

/// The whole stream in order, from a server database file (for the tests and for reading a
/// failing simulation seed).
#[doc(hidden)]
pub fn read_all(conn: &Connection) -> Result<Vec<(u64, Mutation)>> {
    read_all_db(&SqliteDb(conn))
}

/// The whole stream in order.
pub(crate) fn read_all_db(db: &dyn Db) -> Result<Vec<(u64, Mutation)>> {
    db.rows(
        &format!("SELECT c.server_seq, {COLUMNS} FROM change c ORDER BY c.server_seq"),
        &[],
    )?
    .iter()
    .map(|r| Ok((r.u64(0)?, read(r, 1)?)))
    .collect()
}

/// What a mutation already received got, with the hash it came with: `None` if it is new.
pub(crate) fn receipt(tx: &dyn Db, mutation_id: Uuid) -> Result<Option<(String, MutationResult)>> {
    let Some(r) = tx.row(
        "SELECT payload_hash, applied_seq, result FROM received WHERE mutation_id = ?1",
        &[id_bytes(&mutation_id)],
    )?
    else {
        return Ok(None);
    };
    let result = match (r.opt_i64(1)?, r.opt_text(2)?) {
        (_, Some(json)) => serde_json::from_str(&json)?,
        (Some(seq), None) => MutationResult::Applied {
            server_seq: seq as u64,
        },
        (None, None) => return Err(StorageError::Corrupt("a receipt has no result".into())),
    };
    Ok(Some((read_hash(r.v(0))?, result)))
}

/// Keeps a mutation's result for retries; answers false if its id was already received.
pub(crate) fn put_receipt(
    tx: &dyn Db,
    (mutation_id, device_id, device_seq): (Uuid, Uuid, u64),
    payload_hash: &str,
    result: &MutationResult,
    received_ms: i64,
) -> Result<bool> {
    // Most results are "applied at n": a number, not JSON.
    let (applied, json) = match result {
        MutationResult::Applied { server_seq } => (Some(*server_seq), None),
        other => (None, Some(serde_json::to_string(other)?)),
    };
    let stored = tx.exec(
        "INSERT INTO received (mutation_id, device_id, device_seq, payload_hash, applied_seq, result, received_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (mutation_id) DO NOTHING",
        &[
            id_bytes(&mutation_id),
            id_bytes(&device_id),
            V::from(device_seq),
            hash_col(payload_hash),
            V::from(applied),
            V::from(json),
            V::from(received_ms),
        ],
    )?;
    Ok(stored == 1)
}

/// A stream entry as schema 2 stored it: a [`Mutation`]'s JSON, the payload read as the text
/// it is (its hash is of that text; decoding and encoding it again could change a number).
#[derive(serde::Deserialize)]
struct Schema2Change {
    mutation_id: Uuid,
    device_id: Uuid,
    worker_id: Uuid,
    device_seq: u64,
    hlc: Hlc,
    entity: EntityKind,
    entity_id: Uuid,
    op: Operation,
    payload: Box<serde_json::value::RawValue>,
    payload_hash: String,
    base_server_seq: u64,
}

/// Migration 0003's hook: copies the schema-2 stream (JSON text) and receipts (hex text),
/// renamed `change_v2` and `received_v2` by its SQL, into the compact tables. Anything it
/// cannot read stops the upgrade (the server then refuses to start, saying so) rather than
/// being left behind.
pub(crate) fn copy_from_schema_2(tx: &Connection) -> Result<()> {
    {
        let mut old =
            tx.prepare("SELECT server_seq, mutation, team_id, person_id FROM change_v2")?;
        let mut rows = old.query([])?;
        while let Some(r) = rows.next()? {
            let seq: i64 = r.get(0)?;
            let c: Schema2Change = serde_json::from_str(&r.get::<_, String>(1)?)?;
            if !c.payload.get().trim_start().starts_with('{') {
                return Err(StorageError::Corrupt(format!(
                    "change {seq} is not a set of fields"
                )));
            }
            let entry = Entry {
                mutation_id: c.mutation_id,
                device_id: c.device_id,
                worker_id: c.worker_id,
                device_seq: c.device_seq,
                hlc: c.hlc,
                entity: c.entity,
                entity_id: c.entity_id,
                op: c.op,
                payload: c.payload.get(),
                payload_hash: &c.payload_hash,
                base_server_seq: c.base_server_seq,
            };
            let scope = (schema_2_uuid(r, 2)?, schema_2_uuid(r, 3)?);
            append(&SqliteDb(tx), &entry, scope, Some(seq as u64))?;
        }
    }
    let mut old = tx.prepare(
        "SELECT mutation_id, device_id, device_seq, payload_hash, result, received_at FROM received_v2",
    )?;
    let mut rows = old.query([])?;
    while let Some(r) = rows.next()? {
        let id = |i: usize| {
            schema_2_uuid(r, i)?.ok_or_else(|| StorageError::Corrupt("a receipt has no id".into()))
        };
        let result: MutationResult = serde_json::from_str(&r.get::<_, String>(4)?)?;
        let received_ms = chrono::DateTime::parse_from_rfc3339(&r.get::<_, String>(5)?)
            .map_or(0, |t| t.timestamp_millis());
        put_receipt(
            &SqliteDb(tx),
            (id(0)?, id(1)?, r.get::<_, i64>(2)? as u64),
            &r.get::<_, String>(3)?,
            &result,
            received_ms,
        )?;
    }
    Ok(())
}

/// A uuid column of a schema-2 row: its text, or NULL.
fn schema_2_uuid(r: &rusqlite::Row<'_>, i: usize) -> Result<Option<Uuid>> {
    let Some(text) = r.get::<_, Option<String>>(i)? else {
        return Ok(None);
    };
    Uuid::parse_str(&text)
        .map(Some)
        .map_err(|_| StorageError::Corrupt(format!("{text:?} in a schema-2 row is not a uuid")))
}
