//! Server storage behind one trait, on SQLite (the default: one file under `--data DIR`, zero
//! set-up) or PostgreSQL (`--database postgres://...`, for several instances on one database).
//! [`ServerStorage`] holds every rule of storing once, written against [`db::Db`]; the two
//! databases differ only in how SQL runs and how transactions begin ([`db`], [`pg`]).
//!
//! Commit order is stream order: every write transaction is serialised before it appends (on
//! SQLite one connection behind a mutex; on PostgreSQL the organisation's `stream_clock` row,
//! locked `FOR UPDATE` first thing), so a change numbered n+1 never commits before n and a
//! pull's cursor never passes a change still to commit.

use crate::reason::{self, QuarantineReason, ReasonCode};
use crate::rules::{self, Decision, FieldState};
use crate::stream;
use chrono::{DateTime, Duration, Utc};
use db::{Db, Row, SqliteDb, V, p};
use linkwell_protocol::{
    ConflictRecord, ConflictRule, EnrolResponse, EntityKind, Hlc, Mutation, MutationResult,
    Operation, PullRequest, PullResponse, PushRequest, PushResponse, ServerChange, TeamInfo,
    WorkerInfo,
};
use rusqlite::Transaction;
use rusqlite::{Connection, params};
use rusqlite_migration::{HookError, M, Migrations};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{LazyLock, Mutex};
use uuid::Uuid;

pub mod db;
mod instruments;
pub mod pg;
pub mod report;

/// The device id the server signs its own changes with (teams, workers, corrections).
pub const SERVER_DEVICE: Uuid = Uuid::nil();

/// Largest pull page, in changes.
pub const MAX_PAGE: u32 = 5_000;

/// Largest pull page, in bytes of payload (and [`CHANGE_OVERHEAD`] per change): a page ends
/// once it holds this much, after at least one change, so a page stays far below the
/// laptop's 128 MB response limit however large its changes (each field is bounded on
/// receive, and a change is bounded by the push body limit).
pub const MAX_PAGE_BYTES: u64 = 8 * 1024 * 1024;

/// About what a change's JSON costs on top of its payload (ids, clock, hash).
pub const CHANGE_OVERHEAD: u64 = 512;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("no valid credential: enrol this device first")]
    Unauthorised,
    #[error("this device has been revoked: ask your administrator")]
    Revoked,
    #[error(
        "this enrolment code is not valid (wrong, already used or expired): ask your administrator for a new one"
    )]
    BadCode,
    #[error("the server expected change number {expected} from this device next")]
    Gap { expected: u64 },
    #[error(
        "change number {device_seq} was already received with different content: this database looks like a copy of another laptop's; stop using it and call your administrator"
    )]
    Cloned { device_seq: u64 },
    #[error("{0}")]
    Batch(#[from] rules::BatchError),
    #[error("this server database was written by a newer linkwell-server; please update")]
    NewerSchema,
    #[error("could not upgrade the server database: {0}")]
    Upgrade(String),
    #[error("the organisation is not set up: run `linkwell-server init`")]
    NotSetUp,
    #[error("no team {0:?}")]
    NoSuchTeam(String),
    #[error("role must be one of {0}")]
    BadRole(String),
    #[error("no active worker {0}")]
    NoSuchWorker(Uuid),
    #[error("no active device {0}")]
    NoSuchDevice(Uuid),
    #[error("no open quarantined change {0}")]
    NoSuchQuarantinedChange(Uuid),
    #[error("no person {0} on the server")]
    NoSuchPerson(Uuid),
    #[error(
        "this laptop's database looks like a copy of another laptop's, so its sync is stopped until your administrator decides (`linkwell-server device allow` or `device revoke`); nothing is lost"
    )]
    CloneSuspected,
    #[error("server storage error: {0}")]
    Db(#[from] rusqlite::Error),
    /// PostgreSQL refused a statement (not a lost connection: that is [`Self::Unavailable`]).
    #[error("server storage error: {0}")]
    Pg(String),
    /// The database cannot be reached (down, restarting, the network): nothing was stored,
    /// and the same request succeeds once it is back.
    #[error("the server database cannot be reached: {0}")]
    Unavailable(String),
    #[error("{0}")]
    BadDatabaseUrl(String),
    #[error("server storage error: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the server database is damaged: {0}")]
    Corrupt(String),
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// An authenticated device and what it may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceCtx {
    pub device_id: Uuid,
    pub worker_id: Uuid,
    pub teams: Vec<Uuid>,
}

/// What the HTTP layer (and the simulation) needs from storage.
pub trait Storage: Send + Sync + 'static {
    /// The device a bearer token belongs to; revoked devices are refused.
    fn authenticate(&self, token: &str) -> Result<DeviceCtx>;
    /// Exchanges a one-time code for a device credential.
    fn enrol(&self, code: &str) -> Result<EnrolResponse>;
    /// Stores one batch in one transaction.
    fn push(&self, ctx: &DeviceCtx, req: &PushRequest, now_ms: u64) -> Result<PushResponse>;
    /// One page of changes after a cursor, filtered to what the device may see.
    fn pull(&self, ctx: &DeviceCtx, req: &PullRequest) -> Result<PullResponse>;
    fn epoch(&self) -> Result<Uuid>;
    /// Whether the database answers now (for `/health`).
    fn reachable(&self) -> bool {
        true
    }
    /// How many quarantined changes are open (for `/metrics`).
    fn quarantine_open(&self) -> Result<u64> {
        Ok(0)
    }
}

/// Append-only: add a new file at the end, never edit one that has shipped.
static MIGRATIONS: LazyLock<Migrations<'static>> = LazyLock::new(|| {
    Migrations::new(vec![
        M::up(include_str!("../migrations/0001_initial.sql")),
        M::up_with_hook(
            include_str!("../migrations/0002_lazy_fields.sql"),
            |tx: &Transaction<'_>| backfill_awaits(tx).map_err(|e| HookError::Hook(e.to_string())),
        ),
        M::up_with_hook(
            include_str!("../migrations/0003_compact_stream.sql"),
            |tx: &Transaction<'_>| {
                stream::copy_from_schema_2(tx).map_err(|e| HookError::Hook(e.to_string()))
            },
        ),
        M::up(include_str!("../migrations/0004_drop_schema_2_stream.sql")),
        M::up_with_hook(
            include_str!("../migrations/0005_quarantine_reason_codes.sql"),
            |tx: &Transaction<'_>| {
                backfill_reason_codes(tx).map_err(|e| HookError::Hook(e.to_string()))
            },
        ),
    ])
});

/// The schema version this build of the server writes.
pub const SERVER_SCHEMA_VERSION: usize = 5;

/// Brings a server database up to `version`; a database from a newer server is refused.
fn migrate(conn: &mut Connection, version: usize) -> Result<()> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > SERVER_SCHEMA_VERSION as i64 {
        return Err(StorageError::NewerSchema);
    }
    MIGRATIONS
        .to_version(conn, version)
        .map_err(|e| StorageError::Upgrade(e.to_string()))
}

/// Opens a server database file at an earlier schema version, for the upgrade tests.
#[doc(hidden)]
pub fn open_at_schema_version(path: &Path, version: usize) -> Result<Connection> {
    let mut conn = Connection::open(path)?;
    migrate(&mut conn, version)?;
    Ok(conn)
}

/// Fills in which record each open quarantined change waits for (rows from before 0002). Rows
/// this old have no reason code: their reason is recognised from its text.
fn backfill_awaits(tx: &Connection) -> Result<()> {
    let rows: Vec<(String, String, String)> = {
        let mut stmt = tx.prepare(
            "SELECT mutation_id, mutation, reason FROM quarantine WHERE resolved_at IS NULL",
        )?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?
    };
    for (id, text, reason) in rows {
        let Ok(m) = serde_json::from_str::<Mutation>(&text) else {
            continue;
        };
        let code = QuarantineReason::from_old_text(&reason, m.entity).map(|r| r.code());
        if let Some(awaits) = code.and_then(|c| awaited_record(&m, c)) {
            tx.execute(
                "UPDATE quarantine SET awaits = ?2 WHERE mutation_id = ?1",
                params![id, awaits.to_string()],
            )?;
        }
    }
    Ok(())
}

/// Gives every quarantined change from before 0005 (open or resolved) its reason's code and
/// detail, recognised from the text an earlier server stored: the one place that reads a
/// reason's text ([`QuarantineReason::from_old_text`]). A text no server wrote keeps no code.
fn backfill_reason_codes(tx: &Connection) -> Result<()> {
    let rows: Vec<(String, String, String)> = {
        let mut stmt = tx.prepare(
            "SELECT mutation_id, mutation, reason FROM quarantine WHERE reason_code IS NULL",
        )?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?
    };
    let mut put = tx.prepare(
        "UPDATE quarantine SET reason_code = ?2, reason_detail = ?3 WHERE mutation_id = ?1",
    )?;
    for (id, text, old) in rows {
        let Ok(m) = serde_json::from_str::<Mutation>(&text) else {
            tracing::warn!(mutation = %id, "quarantined change unreadable: reason left without a code");
            continue;
        };
        match QuarantineReason::from_old_text(&old, m.entity) {
            Some(r) => {
                put.execute(params![id, r.code().as_str(), r.detail()])?;
            }
            None => {
                tracing::warn!(mutation = %id, "quarantine reason not recognised: left without a code");
            }
        }
    }
    Ok(())
}

/// Which record's arrival could place a change quarantined for a reason with `code`, if any:
/// its own record, or the parent its payload names.
fn awaited_record(m: &Mutation, code: ReasonCode) -> Option<Uuid> {
    match code {
        ReasonCode::RecordNotKnown => Some(m.entity_id),
        ReasonCode::ParentNotKnown => {
            let Value::Object(p) = &m.payload else {
                return None;
            };
            payload_uuid(p, reason::parent_of(m.entity).1)
        }
        _ => None,
    }
}

/// An open quarantine row, read whole.
struct Quarantined {
    mutation: Mutation,
    reason: String,
    code: Option<ReasonCode>,
    received_at: String,
    awaits: Option<Uuid>,
}

/// A quarantined change as listed for review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantineRow {
    pub mutation_id: Uuid,
    pub device_id: Uuid,
    pub worker_id: Uuid,
    pub entity: EntityKind,
    pub entity_id: Uuid,
    /// The reason's text, as the writer's laptop was told.
    pub reason: String,
    /// The reason's code (`None` only for a reason from before codes that was not recognised).
    pub code: Option<ReasonCode>,
    pub received_at: String,
    /// The record whose arrival would place it, if that is what it waits for.
    pub awaits: Option<Uuid>,
}

/// A device as listed for the administrator: id, worker, enrolled at, revoked at, last seq.
/// A device as authentication reads it: (device, worker, revoked_at, worker active,
/// clone_suspected_at).
type DeviceAuth = (Uuid, Uuid, Option<String>, bool, Option<String>);

pub type DeviceRow = (Uuid, Uuid, String, Option<String>, u64, Option<String>);

enum Backend {
    /// One connection behind a mutex: writes are serialised by the mutex.
    Sqlite(Mutex<Connection>),
    Postgres(pg::Pool),
}

/// The server's storage, on either database; every rule of storing is written once here.
pub struct ServerStorage {
    backend: Backend,
    /// Called in every push just before it commits (tests hold a push open with it).
    push_pause: Option<Box<dyn Fn() + Send + Sync>>,
}

/// The name from before PostgreSQL: the same storage, opened on a file by [`ServerStorage::open`].
pub type SqliteStorage = ServerStorage;

impl std::fmt::Debug for ServerStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.backend {
            Backend::Sqlite(_) => "ServerStorage(SQLite)",
            Backend::Postgres(_) => "ServerStorage(PostgreSQL)",
        })
    }
}

pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

fn random_hex(bytes: usize) -> String {
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

fn opt_uuid(s: Option<String>) -> Option<Uuid> {
    s.and_then(|s| Uuid::parse_str(&s).ok())
}

/// Normalises a typed enrolment code: case and separators do not matter.
fn normalise_code(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Makes a file of the server's readable by its own account only (0600), creating it empty
/// if it does not exist: SQLite then gives the WAL and shared-memory files the same mode.
pub fn private_file(path: &Path) -> std::io::Result<()> {
    let mut open = std::fs::OpenOptions::new();
    open.append(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
    open.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

fn private_database(path: &Path) -> Result<()> {
    let io = |e: std::io::Error| StorageError::Upgrade(format!("{}: {e}", path.display()));
    private_file(path).map_err(io)?;
    for ext in ["-wal", "-shm"] {
        let mut p = path.as_os_str().to_os_string();
        p.push(ext);
        let p = std::path::PathBuf::from(p);
        if p.exists() {
            private_file(&p).map_err(io)?;
        }
    }
    Ok(())
}

/// Whether `--database` names a PostgreSQL database (a URL) rather than a SQLite file.
pub fn is_postgres_url(s: &str) -> bool {
    s.starts_with("postgres://") || s.starts_with("postgresql://")
}

fn meta(db: &dyn Db, key: &str) -> Result<Option<String>> {
    db.row("SELECT value FROM meta WHERE key = ?1", p![key])?
        .map(|r| r.text(0))
        .transpose()
}

fn org_id(db: &dyn Db) -> Result<Uuid> {
    opt_uuid(meta(db, "org_id")?).ok_or(StorageError::NotSetUp)
}

fn epoch_of(db: &dyn Db) -> Result<Uuid> {
    opt_uuid(meta(db, "epoch")?).ok_or(StorageError::NotSetUp)
}

fn set_epoch(db: &dyn Db) -> Result<Uuid> {
    let e = Uuid::now_v7();
    db.exec(
        "INSERT INTO meta (key, value) VALUES ('epoch', ?1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        p![e],
    )?;
    Ok(e)
}

fn find_team(db: &dyn Db, team: &str) -> Result<Uuid> {
    db.row(
        "SELECT id FROM team WHERE id = ?1 OR name = ?1 ORDER BY id LIMIT 1",
        p![team],
    )?
    .map(|r| r.uuid(0))
    .transpose()?
    .ok_or_else(|| StorageError::NoSuchTeam(team.to_string()))
}

impl ServerStorage {
    /// Opens (creating if needed) the server database file, readable by this account only.
    pub fn open(path: &Path) -> Result<ServerStorage> {
        private_database(path)?;
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // An acknowledged change is a kept change: fsync on every commit.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // A push uses more statements than the default cache of 16 holds; evicting them
        // meant preparing them again for every mutation.
        conn.set_prepared_statement_cache_capacity(64);
        migrate(&mut conn, SERVER_SCHEMA_VERSION)?;
        Ok(ServerStorage {
            backend: Backend::Sqlite(Mutex::new(conn)),
            push_pause: None,
        })
    }

    /// Connects to a PostgreSQL database (`postgres://user@host:port/db`), bringing its schema
    /// up to this server's; a database from a newer server is refused.
    pub fn open_postgres(url: &str) -> Result<ServerStorage> {
        Ok(ServerStorage {
            backend: Backend::Postgres(pg::connect(url)?),
            push_pause: None,
        })
    }

    /// A PostgreSQL URL or a SQLite file path.
    pub fn open_database(database: &str) -> Result<ServerStorage> {
        if is_postgres_url(database) {
            Self::open_postgres(database)
        } else {
            Self::open(Path::new(database))
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.backend, Backend::Postgres(_))
    }

    /// Holds every push open just before it commits, calling `f` (for the ordering tests).
    #[doc(hidden)]
    pub fn pause_pushes_before_commit(&mut self, f: impl Fn() + Send + Sync + 'static) {
        self.push_pause = Some(Box::new(f));
    }

    /// Runs `f` in one write transaction, serialised with every other write (see the module).
    fn write<T>(&self, f: impl FnOnce(&dyn Db) -> Result<T>) -> Result<T> {
        match &self.backend {
            Backend::Sqlite(c) => {
                let mut conn = c.lock().unwrap_or_else(|p| p.into_inner());
                let tx = conn.transaction()?;
                let out = f(&SqliteDb(&tx))?;
                tx.commit()?;
                Ok(out)
            }
            Backend::Postgres(pool) => pg::write(pool, f),
        }
    }

    /// Runs `f` on one consistent snapshot.
    fn read<T>(&self, f: impl FnOnce(&dyn Db) -> Result<T>) -> Result<T> {
        match &self.backend {
            Backend::Sqlite(c) => {
                let mut conn = c.lock().unwrap_or_else(|p| p.into_inner());
                let tx = conn.transaction()?;
                let out = f(&SqliteDb(&tx))?;
                tx.commit()?;
                Ok(out)
            }
            Backend::Postgres(pool) => pg::read(pool, f),
        }
    }

    /// Whether the database answers (for `/health`).
    pub fn reachable(&self) -> bool {
        self.read(|db| db.row("SELECT 1", &[])).is_ok()
    }

    /// Sets up the organisation once; gives the server its first epoch.
    pub fn init_org(&self, name: &str) -> Result<Uuid> {
        self.write(|db| {
            if let Some(id) = meta(db, "org_id")? {
                return Ok(opt_uuid(Some(id)).unwrap_or_default());
            }
            let id = Uuid::now_v7();
            db.exec(
                "INSERT INTO meta (key, value) VALUES ('org_id', ?1), ('org_name', ?2), ('epoch', ?3)",
                p![id, name, Uuid::now_v7()],
            )?;
            Ok(id)
        })
    }

    /// Gives the server a new epoch: done after a restore from backup, so that clients re-send
    /// what the server no longer has and pull again from the start.
    pub fn new_epoch(&self) -> Result<Uuid> {
        self.write(set_epoch)
    }

    /// A consistent copy of the database, taken while serving: a SQLite file, or for
    /// PostgreSQL a `pg_dump` archive (custom format).
    pub fn backup_to(&self, path: &Path) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(c) => {
                // VACUUM INTO writes into an empty file as it finds it: created 0600 first.
                if !path.exists() {
                    private_file(path)
                        .map_err(|e| StorageError::Upgrade(format!("{}: {e}", path.display())))?;
                }
                let p = path.to_string_lossy().into_owned();
                c.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .execute("VACUUM INTO ?1", [p])?;
                Ok(())
            }
            Backend::Postgres(pool) => pg::backup(pool, path),
        }
    }

    pub fn add_team(&self, name: &str, locality: Option<&str>) -> Result<Uuid> {
        self.write(|db| {
            org_id(db)?;
            let id = Uuid::now_v7();
            db.exec(
                "INSERT INTO team (id, name, locality) VALUES (?1, ?2, ?3)",
                p![id, name, locality],
            )?;
            let mut p = Map::new();
            p.insert("name".into(), name.into());
            p.insert("locality".into(), locality.map_or(Value::Null, Value::from));
            append_server_change(
                db,
                (EntityKind::Team, id, Operation::Create),
                &p,
                now_ms(),
                (None, None),
            )?;
            Ok(id)
        })
    }

    /// Adds a worker to a team (by id or name); the worker row reaches every laptop.
    pub fn add_worker(&self, name: &str, role: &str, team: &str) -> Result<Uuid> {
        const ROLES: [&str; 4] = ["health_coach", "link_worker", "supervisor", "admin"];
        if !ROLES.contains(&role) {
            return Err(StorageError::BadRole(ROLES.join(", ")));
        }
        self.write(|db| {
            let team_id = find_team(db, team)?;
            let id = Uuid::now_v7();
            db.exec(
                "INSERT INTO worker (id, name, role, team_id) VALUES (?1, ?2, ?3, ?4)",
                p![id, name, role, team_id],
            )?;
            db.exec(
                "INSERT INTO membership (worker_id, team_id) VALUES (?1, ?2)",
                p![id, team_id],
            )?;
            let mut p = Map::new();
            p.insert("name".into(), name.into());
            p.insert("role".into(), role.into());
            p.insert("team_id".into(), team_id.to_string().into());
            p.insert("phone".into(), Value::Null);
            p.insert("email".into(), Value::Null);
            p.insert("active".into(), true.into());
            append_server_change(
                db,
                (EntityKind::Worker, id, Operation::Create),
                &p,
                now_ms(),
                (None, None),
            )?;
            Ok(id)
        })
    }

    /// Lets a worker also see another team's people (e.g. a health coach covering two teams).
    pub fn join_team(&self, worker: Uuid, team: &str) -> Result<()> {
        self.write(|db| {
            let team_id = find_team(db, team)?;
            db.exec(
                "INSERT INTO membership (worker_id, team_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                p![worker, team_id],
            )?;
            Ok(())
        })
    }

    /// Issues a one-time enrolment code for a worker's laptop; only its hash is kept.
    pub fn issue_code(&self, worker: Uuid, valid_hours: i64) -> Result<String> {
        use rand::Rng;
        const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        let mut rng = rand::rng();
        let raw: String = (0..16)
            .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
            .collect();
        self.write(|db| {
            let known = db.row(
                "SELECT 1 FROM worker WHERE id = ?1 AND active = 1",
                p![worker],
            )?;
            if known.is_none() {
                return Err(StorageError::NoSuchWorker(worker));
            }
            let now = Utc::now();
            db.exec(
                "INSERT INTO enrolment (code_hash, worker_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
                p![
                    sha256_hex(&raw),
                    worker,
                    now.to_rfc3339(),
                    (now + Duration::hours(valid_hours)).to_rfc3339()
                ],
            )?;
            Ok(())
        })?;
        Ok(format!(
            "{}-{}-{}-{}",
            &raw[0..4],
            &raw[4..8],
            &raw[8..12],
            &raw[12..16]
        ))
    }

    /// An administrator's decision that a device suspected of being a copy is the real laptop:
    /// it syncs again. (If it is the copy, revoke it instead.)
    pub fn allow_device(&self, device: Uuid) -> Result<()> {
        let n = self.write(|db| {
            db.exec(
                "UPDATE device SET clone_suspected_at = NULL WHERE id = ?1 AND revoked_at IS NULL",
                p![device],
            )
        })?;
        if n == 0 {
            return Err(StorageError::NoSuchDevice(device));
        }
        Ok(())
    }

    /// Revokes a device: it gets nothing more, from the next request on.
    pub fn revoke_device(&self, device: Uuid) -> Result<()> {
        let n = self.write(|db| {
            db.exec(
                "UPDATE device SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                p![device, Utc::now().to_rfc3339()],
            )
        })?;
        if n == 0 {
            return Err(StorageError::NoSuchDevice(device));
        }
        Ok(())
    }

    /// Devices as `(device, worker, enrolled_at, revoked_at, last_seq, clone_suspected_at)`.
    pub fn devices(&self) -> Result<Vec<DeviceRow>> {
        self.read(|db| {
            db.rows(
                "SELECT id, worker_id, enrolled_at, revoked_at, last_seq, clone_suspected_at FROM device ORDER BY enrolled_at, id",
                &[],
            )?
            .iter()
            .map(|r| {
                Ok((
                    r.uuid(0)?,
                    r.uuid(1)?,
                    r.text(2)?,
                    r.opt_text(3)?,
                    r.u64(4)?,
                    r.opt_text(5)?,
                ))
            })
            .collect()
        })
    }

    /// People no team can see: their team is not one of the organisation's (moved there by an
    /// earlier server, which did not check), as `(person, the team id they hold)`.
    pub fn out_of_sight(&self) -> Result<Vec<(Uuid, Option<String>)>> {
        self.read(|db| {
            db.rows(
                "SELECT id, team_id FROM entity WHERE kind = 'person'
                 AND (team_id IS NULL OR team_id NOT IN (SELECT id FROM team)) ORDER BY id",
                &[],
            )?
            .iter()
            .map(|r| Ok((r.uuid(0)?, r.opt_text(1)?)))
            .collect()
        })
    }

    /// Puts a person (and so everything of theirs) in a team, as an administrator's change:
    /// the team's laptops receive the whole record again.
    pub fn put_in_team(&self, person: Uuid, team: &str) -> Result<Uuid> {
        let team_id = self.write(|db| {
            let team_id = find_team(db, team)?;
            let batch = Batch::new(db);
            let row = batch
                .entity(EntityKind::Person, person)?
                .ok_or(StorageError::NoSuchPerson(person))?;
            keep_fields(&batch, EntityKind::Person, person, &row)?;
            let mut p = Map::new();
            p.insert("team_id".into(), team_id.to_string().into());
            let now = now_ms();
            let seq = append_server_change(
                &batch,
                (EntityKind::Person, person, Operation::Update),
                &p,
                now,
                (Some(team_id), Some(person)),
            )?;
            let hlc = Hlc {
                wall_ms: now,
                counter: 0,
                device: SERVER_DEVICE,
            };
            put_fields(
                &batch,
                EntityKind::Person,
                person,
                &p,
                hlc,
                seq,
                SERVER_DEVICE,
            );
            batch.exec(
                "UPDATE entity SET team_id = ?1 WHERE kind = 'person' AND id = ?2",
                p![team_id, person],
            )?;
            batch.forget(EntityKind::Person, person);
            rebroadcast_person(&batch, person, now)?;
            batch.write_fields()?;
            Ok(team_id)
        })?;
        tracing::info!(person = %person, team = %team_id, "person put in a team by an administrator");
        Ok(team_id)
    }

    /// Counts for the admin and the tests: (stream changes, quarantined, conflicts to review).
    pub fn counts(&self) -> Result<(u64, u64, u64)> {
        self.read(|db| {
            let q = |sql: &str| -> Result<u64> { db.row(sql, &[])?.map_or(Ok(0), |r| r.u64(0)) };
            Ok((
                q("SELECT COUNT(*) FROM change")?,
                q("SELECT COUNT(*) FROM quarantine")?,
                q("SELECT COUNT(*) FROM conflict WHERE needs_review = 1 AND reviewed_at IS NULL")?,
            ))
        })
    }

    /// How many quarantined changes are open (for `/metrics`).
    pub fn open_quarantine_count(&self) -> Result<u64> {
        self.read(|db| {
            db.row(
                "SELECT COUNT(*) FROM quarantine WHERE resolved_at IS NULL",
                &[],
            )?
            .map_or(Ok(0), |r| r.u64(0))
        })
    }

    /// Open quarantined mutations with their reasons, oldest first (for the tests, which
    /// check every value is kept; supervisors get [`ServerStorage::quarantine_report`]).
    pub fn quarantined(&self) -> Result<Vec<(Mutation, String)>> {
        Ok(self
            .open_quarantine()?
            .into_iter()
            .map(|q| (q.mutation, q.reason))
            .collect())
    }

    /// Open quarantined changes for an administrator or supervisor to review, oldest first:
    /// ids, kinds and reasons only (no field values, which may be personal).
    pub fn quarantine_report(&self) -> Result<Vec<QuarantineRow>> {
        Ok(self
            .open_quarantine()?
            .into_iter()
            .map(|q| QuarantineRow {
                mutation_id: q.mutation.mutation_id,
                device_id: q.mutation.device_id,
                worker_id: q.mutation.worker_id,
                entity: q.mutation.entity,
                entity_id: q.mutation.entity_id,
                reason: q.reason,
                code: q.code,
                received_at: q.received_at,
                awaits: q.awaits,
            })
            .collect())
    }

    fn open_quarantine(&self) -> Result<Vec<Quarantined>> {
        self.read(|db| {
            db.rows(
                "SELECT mutation, reason, created_at, awaits, reason_code FROM quarantine WHERE resolved_at IS NULL ORDER BY created_at, mutation_id",
                &[],
            )?
            .iter()
            .map(|r| {
                Ok(Quarantined {
                    mutation: serde_json::from_str(&r.text(0)?)?,
                    reason: r.text(1)?,
                    code: r.opt_text(4)?.as_deref().and_then(ReasonCode::parse),
                    received_at: r.text(2)?,
                    awaits: r.opt_uuid(3)?,
                })
            })
            .collect()
        })
    }

    /// Marks a quarantined change as reviewed: it is kept, but no longer listed or retried.
    pub fn resolve_quarantined(&self, mutation: Uuid) -> Result<()> {
        let n = self.write(|db| {
            db.exec(
                "UPDATE quarantine SET resolved_at = ?2 WHERE mutation_id = ?1 AND resolved_at IS NULL",
                p![mutation, Utc::now().to_rfc3339()],
            )
        })?;
        if n == 0 {
            return Err(StorageError::NoSuchQuarantinedChange(mutation));
        }
        Ok(())
    }

    /// The server's current view of one record: field name to value (for the tests).
    pub fn record(&self, kind: EntityKind, id: Uuid) -> Result<Map<String, Value>> {
        self.read(|db| match entity_row(db, kind, id)? {
            Some(e) => current_fields(db, kind, id, &e),
            None => Ok(Map::new()),
        })
    }

    /// Every record id of a kind the server holds (for the tests).
    pub fn ids(&self, kind: EntityKind) -> Result<Vec<Uuid>> {
        self.read(|db| {
            db.rows(
                "SELECT id FROM entity WHERE kind = ?1 ORDER BY id",
                p![kind.as_str()],
            )?
            .iter()
            .map(|r| r.uuid(0))
            .collect()
        })
    }

    /// Losing values recorded (for the tests).
    pub fn conflicts(&self) -> Result<Vec<ConflictRecord>> {
        self.read(|db| {
            db.rows(
                &format!("{CONFLICT_SELECT} ORDER BY c.server_seq, c.id"),
                &[],
            )?
            .iter()
            .map(conflict_from_row)
            .collect()
        })
    }

    /// The whole stream in order (for the tests and the differential simulation).
    pub fn stream(&self) -> Result<Vec<(u64, Mutation)>> {
        self.read(stream::read_all_db)
    }
}

const CONFLICT_SELECT: &str = "SELECT c.id, c.kind, c.entity_id, c.field, c.rule, c.kept, c.lost, c.lost_mutation_id, c.lost_device_id, c.needs_review FROM conflict c";

fn conflict_from_row(r: &Row) -> Result<ConflictRecord> {
    let kind = r.text(1)?;
    let rule = r.text(4)?;
    let json = |i: usize| -> Result<Value> {
        Ok(serde_json::from_str(&r.text(i)?).unwrap_or(Value::Null))
    };
    Ok(ConflictRecord {
        conflict_id: r.uuid(0)?,
        entity: EntityKind::parse(&kind).unwrap_or(EntityKind::AuditEvent),
        entity_id: r.uuid(2)?,
        field: r.text(3)?,
        rule: serde_json::from_value(Value::String(rule)).unwrap_or(ConflictRule::LastWriterWins),
        kept: json(5)?,
        lost: json(6)?,
        lost_mutation_id: r.uuid(7)?,
        lost_device_id: r.uuid(8)?,
        needs_review: r.bool(9)?,
    })
}

fn rule_str(rule: ConflictRule) -> String {
    match serde_json::to_value(rule) {
        Ok(Value::String(s)) => s,
        _ => "last_writer_wins".into(),
    }
}

pub fn now_ms() -> u64 {
    Utc::now().timestamp_millis().max(0) as u64
}

/// Appends a change the server makes itself (a team or worker, a correction, a snapshot) to
/// the stream, signed by [`SERVER_DEVICE`]; answers its server sequence number.
fn append_server_change(
    tx: &dyn Db,
    (entity, entity_id, op): (EntityKind, Uuid, Operation),
    payload: &Map<String, Value>,
    now_ms: u64,
    scope: Scope,
) -> Result<u64> {
    let text = serde_json::to_string(payload)?;
    let hash = linkwell_protocol::payload_hash(&text);
    let entry = stream::Entry {
        mutation_id: Uuid::now_v7(),
        device_id: SERVER_DEVICE,
        worker_id: SERVER_DEVICE,
        device_seq: 0,
        hlc: Hlc {
            wall_ms: now_ms,
            counter: 0,
            device: SERVER_DEVICE,
        },
        entity,
        entity_id,
        op,
        payload: &text,
        payload_hash: &hash,
        base_server_seq: 0,
    };
    stream::append(tx, &entry, scope, None)
}

/// Where a record belongs: `(team_id, person_id)`.
pub(crate) type Scope = (Option<Uuid>, Option<Uuid>);

fn lookup_scope(tx: &Batch<'_>, kind: EntityKind, id: Uuid) -> Result<Option<Scope>> {
    Ok(tx.entity(kind, id)?.map(|e| e.scope))
}

/// One push's transaction, with the `entity` rows it has read or written so far: a batch that
/// touches one person many times reads their row once. Everything remembered is forgotten
/// when a savepoint is rolled back, so fields are written out before one is taken.
struct Batch<'c> {
    tx: &'c dyn Db,
    known: RefCell<HashMap<(EntityKind, Uuid), EntityRow>>,
    /// Whether any quarantined change waits for a record (None: not looked yet). Usually
    /// none does, and then placing a record need not look for what waits for it.
    awaiting: std::cell::Cell<Option<bool>>,
    /// Field states read or written so far: a week's edits to one person read each field
    /// once and write it once. Written out to `field` by [`Batch::write_fields`], before the
    /// batch commits and before anything reads `field` rows directly.
    fields: RefCell<HashMap<(EntityKind, Uuid), HashMap<String, CachedField>>>,
    /// Whether any cached field is not written out yet.
    unwritten: std::cell::Cell<bool>,
}

struct CachedField {
    state: FieldState,
    /// Changed in this batch and not yet written to `field`.
    dirty: bool,
}

impl Db for Batch<'_> {
    fn each(&self, sql: &str, params: &[V], f: &mut dyn FnMut(Row) -> Result<bool>) -> Result<()> {
        self.tx.each(sql, params, f)
    }
    fn exec(&self, sql: &str, params: &[V]) -> Result<u64> {
        self.tx.exec(sql, params)
    }
    fn batch(&self, sql: &str) -> Result<()> {
        self.tx.batch(sql)
    }
}

impl<'c> Batch<'c> {
    fn new(tx: &'c dyn Db) -> Batch<'c> {
        Batch {
            tx,
            known: RefCell::default(),
            awaiting: std::cell::Cell::new(None),
            fields: RefCell::default(),
            unwritten: std::cell::Cell::new(false),
        }
    }

    fn entity(&self, kind: EntityKind, id: Uuid) -> Result<Option<EntityRow>> {
        if let Some(e) = self.known.borrow().get(&(kind, id)) {
            return Ok(Some(*e));
        }
        let row = entity_row(self.tx, kind, id)?;
        if let Some(e) = row {
            self.remember(kind, id, e);
        }
        Ok(row)
    }

    fn remember(&self, kind: EntityKind, id: Uuid, row: EntityRow) {
        self.known.borrow_mut().insert((kind, id), row);
    }

    fn forget(&self, kind: EntityKind, id: Uuid) {
        self.known.borrow_mut().remove(&(kind, id));
    }

    fn forget_all(&self) {
        self.known.borrow_mut().clear();
        self.awaiting.set(None);
        self.fields.borrow_mut().clear();
        self.unwritten.set(false);
    }

    /// Writes out every field changed in this batch since the last call: each field once,
    /// however many of the batch's changes wrote it.
    fn write_fields(&self) -> Result<()> {
        if !self.unwritten.get() {
            return Ok(());
        }
        for ((kind, id), record) in self.fields.borrow_mut().iter_mut() {
            for (name, f) in record.iter_mut().filter(|(_, f)| f.dirty) {
                self.tx.exec(
                    "INSERT INTO field (kind, id, name, value, hlc, server_seq, device_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT (kind, id, name) DO UPDATE SET value = excluded.value, hlc = excluded.hlc,
                       server_seq = excluded.server_seq, device_id = excluded.device_id",
                    p![
                        kind.as_str(),
                        id,
                        name,
                        serde_json::to_string(&f.state.value)?,
                        f.state.hlc.encode(),
                        f.state.server_seq,
                        f.state.device_id
                    ],
                )?;
                f.dirty = false;
            }
        }
        self.unwritten.set(false);
        Ok(())
    }

    /// A field's stored state: its value and the clock, sequence and device that wrote it.
    fn field(&self, kind: EntityKind, id: Uuid, name: &str) -> Result<Option<FieldState>> {
        if let Some(f) = self
            .fields
            .borrow()
            .get(&(kind, id))
            .and_then(|record| record.get(name))
        {
            return Ok(Some(f.state.clone()));
        }
        let Some(r) = self.tx.row(
            "SELECT value, hlc, server_seq, device_id FROM field WHERE kind = ?1 AND id = ?2 AND name = ?3",
            p![kind.as_str(), id, name],
        )?
        else {
            return Ok(None);
        };
        let device = r.uuid(3)?;
        let state = FieldState {
            value: serde_json::from_str(&r.text(0)?)?,
            hlc: Hlc::decode(&r.text(1)?).unwrap_or(Hlc {
                wall_ms: 0,
                counter: 0,
                device,
            }),
            server_seq: r.u64(2)?,
            device_id: device,
        };
        self.fields
            .borrow_mut()
            .entry((kind, id))
            .or_default()
            .insert(
                name.to_string(),
                CachedField {
                    state: state.clone(),
                    dirty: false,
                },
            );
        Ok(Some(state))
    }

    fn any_awaiting(&self) -> Result<bool> {
        if let Some(any) = self.awaiting.get() {
            return Ok(any);
        }
        let any = self
            .tx
            .row(
                "SELECT 1 FROM quarantine WHERE awaits IS NOT NULL AND resolved_at IS NULL LIMIT 1",
                &[],
            )?
            .is_some();
        self.awaiting.set(Some(any));
        Ok(any)
    }
}

/// A record the server holds: where it belongs, and where its field values are kept.
#[derive(Clone, Copy)]
struct EntityRow {
    scope: Scope,
    /// The stream entry of its create (None for records older than migration 0002 that
    /// never had a field).
    created_seq: Option<u64>,
    /// Whether its values are in `field` rows; if not, they are its create's payload.
    fields_kept: bool,
}

fn entity_row(tx: &dyn Db, kind: EntityKind, id: Uuid) -> Result<Option<EntityRow>> {
    tx.row(
        "SELECT team_id, person_id, created_seq, fields_kept FROM entity WHERE kind = ?1 AND id = ?2",
        p![kind.as_str(), id],
    )?
    .map(|r| {
        Ok(EntityRow {
            scope: (r.opt_uuid(0)?, r.opt_uuid(1)?),
            created_seq: r.opt_i64(2)?.map(|s| s as u64),
            fields_kept: r.bool(3)?,
        })
    })
    .transpose()
}

/// The create a record came from, as stored in the stream.
fn created_change(tx: &dyn Db, created_seq: u64) -> Result<Mutation> {
    stream::at(tx, created_seq)
}

/// A record's current values: its `field` rows, or, if it was never changed, its create's.
fn current_fields(
    tx: &dyn Db,
    kind: EntityKind,
    id: Uuid,
    e: &EntityRow,
) -> Result<Map<String, Value>> {
    if !e.fields_kept {
        let Some(seq) = e.created_seq else {
            return Ok(Map::new());
        };
        return Ok(match created_change(tx, seq)?.payload {
            Value::Object(p) => p,
            _ => Map::new(),
        });
    }
    let mut out = Map::new();
    for r in tx.rows(
        "SELECT name, value FROM field WHERE kind = ?1 AND id = ?2",
        p![kind.as_str(), id],
    )? {
        out.insert(r.text(0)?, serde_json::from_str(&r.text(1)?)?);
    }
    Ok(out)
}

/// Writes out a never-changed record's values as `field` rows, with its create's clock, so the
/// first update is decided field by field exactly as if they had been written at its create.
fn keep_fields(tx: &Batch<'_>, kind: EntityKind, id: Uuid, e: &EntityRow) -> Result<()> {
    if e.fields_kept {
        return Ok(());
    }
    if let Some(seq) = e.created_seq {
        let create = created_change(tx, seq)?;
        if let Value::Object(p) = &create.payload {
            put_fields(tx, kind, id, p, create.hlc, seq, create.device_id);
        }
    }
    tx.exec(
        "UPDATE entity SET fields_kept = 1 WHERE kind = ?1 AND id = ?2",
        p![kind.as_str(), id],
    )?;
    tx.remember(
        kind,
        id,
        EntityRow {
            fields_kept: true,
            ..*e
        },
    );
    Ok(())
}

/// Sets fields in the batch's cache; [`Batch::write_fields`] writes them out.
fn put_fields(
    tx: &Batch<'_>,
    kind: EntityKind,
    id: Uuid,
    values: &Map<String, Value>,
    hlc: Hlc,
    seq: u64,
    device: Uuid,
) {
    let mut cached = tx.fields.borrow_mut();
    let known = cached.entry((kind, id)).or_default();
    for (k, v) in values {
        let state = FieldState {
            value: v.clone(),
            hlc,
            server_seq: seq,
            device_id: device,
        };
        match known.get_mut(k.as_str()) {
            Some(f) => *f = CachedField { state, dirty: true },
            None => {
                known.insert(k.clone(), CachedField { state, dirty: true });
            }
        }
    }
    tx.unwritten.set(true);
}

fn payload_uuid(p: &Map<String, Value>, field: &str) -> Option<Uuid> {
    p.get(field)
        .and_then(Value::as_str)
        .and_then(|s| Uuid::parse_str(s).ok())
}

/// The scope of a record the server has not seen yet, from its payload, and the team it is
/// visible to now.
fn scope_for_new(
    tx: &Batch<'_>,
    ctx: &DeviceCtx,
    m: &Mutation,
    p: &Map<String, Value>,
) -> Result<std::result::Result<(Scope, Option<Uuid>), QuarantineReason>> {
    if rules::is_shared(m.entity) {
        return Ok(Ok(((None, None), None)));
    }
    if m.entity == EntityKind::Person {
        return Ok(match payload_uuid(p, "team_id") {
            Some(t) => Ok(((Some(t), Some(m.entity_id)), Some(t))),
            None => Err(QuarantineReason::FieldMissing {
                kind: EntityKind::Person,
                field: "team_id".into(),
            }),
        });
    }
    if m.entity == EntityKind::AuditEvent && payload_uuid(p, "person_id").is_none() {
        let team = ctx.teams.first().copied();
        return Ok(Ok(((team, None), team)));
    }
    let (kind, field) = reason::parent_of(m.entity);
    let Some(parent) = payload_uuid(p, field) else {
        return Ok(Err(QuarantineReason::FieldMissing {
            kind: m.entity,
            field: field.into(),
        }));
    };
    Ok(match lookup_scope(tx, kind, parent)? {
        // It waits for its parent (see `awaited_record`).
        None => Err(QuarantineReason::ParentNotKnown {
            parent: kind,
            kind: m.entity,
        }),
        // The parent is the person: its row says the team.
        Some((team, _)) if kind == EntityKind::Person => Ok(((None, Some(parent)), team)),
        Some((_, person)) => {
            let scope = (None, person);
            Ok((scope, team_of(tx, scope)?))
        }
    })
}

fn team_exists(db: &dyn Db, team: Uuid) -> Result<bool> {
    Ok(db
        .row("SELECT 1 FROM team WHERE id = ?1", p![team])?
        .is_some())
}

/// The teams a worker belongs to now.
fn teams_of(db: &dyn Db, worker: Uuid) -> Result<Vec<Uuid>> {
    db.rows(
        "SELECT team_id FROM membership WHERE worker_id = ?1 ORDER BY team_id",
        p![worker],
    )?
    .iter()
    .map(|r| r.uuid(0))
    .collect()
}

/// The team a scope is visible to now (a person's current team).
fn team_of(tx: &Batch<'_>, scope: Scope) -> Result<Option<Uuid>> {
    match scope {
        (_, Some(person)) => Ok(lookup_scope(tx, EntityKind::Person, person)?.and_then(|s| s.0)),
        (team, None) => Ok(team),
    }
}

/// Keeps a change that cannot be placed now, with its reason's code, detail and text, and the
/// record whose arrival may place it (from the reason's code: [`awaited_record`]).
fn quarantine(tx: &Batch<'_>, m: &Mutation, why: QuarantineReason) -> Result<MutationResult> {
    let awaits = awaited_record(m, why.code());
    let reason = why.to_string();
    tx.exec(
        "INSERT INTO quarantine (mutation_id, device_id, mutation, reason, created_at, awaits, reason_code, reason_detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT DO NOTHING",
        p![
            m.mutation_id,
            m.device_id,
            serde_json::to_string(m)?,
            &reason,
            Utc::now().to_rfc3339(),
            awaits,
            why.code().as_str(),
            why.detail()
        ],
    )?;
    if awaits.is_some() {
        tx.awaiting.set(Some(true));
    }
    tracing::warn!(mutation = %m.mutation_id, device = %m.device_id, reason = why.code().as_str(), "quarantined");
    // The laptop is told the reason's text, as before codes.
    Ok(MutationResult::Quarantined { reason })
}

/// After a reassignment the new team's laptops have already pulled past the person's earlier
/// changes (they could not see them then), so every record of the person is sent again, as a
/// snapshot of its current fields at the end of the stream: the history follows the person.
fn rebroadcast_person(tx: &Batch<'_>, person: Uuid, now_ms: u64) -> Result<()> {
    // Snapshots read `field` rows.
    tx.write_fields()?;
    let records: Vec<(String, String)> = tx
        .rows(
            "SELECT kind, id FROM entity
             WHERE ((kind = 'person' AND id = ?1) OR person_id = ?1) AND created_seq IS NOT NULL
             ORDER BY kind <> 'person', created_seq",
            p![person],
        )?
        .iter()
        .map(|r| Ok((r.text(0)?, r.text(1)?)))
        .collect::<Result<_>>()?;
    for (kind, id) in records {
        let (Some(entity), Ok(uuid)) = (EntityKind::parse(&kind), Uuid::parse_str(&id)) else {
            continue;
        };
        let Some(row) = tx.entity(entity, uuid)? else {
            continue;
        };
        let payload = current_fields(tx, entity, uuid, &row)?;
        let scope = row.scope;
        append_server_change(
            tx,
            (entity, uuid, Operation::Create),
            &payload,
            now_ms,
            scope,
        )?;
    }
    tracing::info!(person = %person, "reassigned: records sent again for the new team");
    Ok(())
}

/// Places again what was quarantined only because its parent had not arrived yet (e.g. after
/// a restore, one laptop's note re-sent before another laptop re-sent the person).
/// Only changes that mention the record just placed are tried (they carry its id as their own
/// or their parent's), so a large quarantine costs a text scan, not a placement each; whatever
/// they place is followed in turn (a person, then the note waiting for it, then its revision).
fn retry_quarantine(tx: &Batch<'_>, now_ms: u64, placed: Uuid) -> Result<()> {
    if !tx.any_awaiting()? {
        return Ok(());
    }
    let mut queue = vec![placed];
    while let Some(id) = queue.pop() {
        queue.extend(retry_quarantine_for(tx, now_ms, id)?);
    }
    Ok(())
}

/// Tries the quarantined changes that mention `awaited`; answers the records they placed.
fn retry_quarantine_for(tx: &Batch<'_>, now_ms: u64, awaited: Uuid) -> Result<Vec<Uuid>> {
    let mut placed_now = Vec::new();
    let waiting: Vec<(String, String)> = tx
        .rows(
            "SELECT mutation_id, mutation FROM quarantine WHERE awaits = ?1 AND resolved_at IS NULL ORDER BY created_at, mutation_id",
            p![awaited],
        )?
        .iter()
        .map(|r| Ok((r.text(0)?, r.text(1)?)))
        .collect::<Result<_>>()?;
    for (id, text) in waiting {
        let m: Mutation = serde_json::from_str(&text)?;
        // Its worker was checked against its device when it was pushed; what they may see is
        // decided by their teams now.
        let ctx = DeviceCtx {
            device_id: m.device_id,
            worker_id: m.worker_id,
            teams: teams_of(tx, m.worker_id)?,
        };
        // What the rollback below forgets must already be written.
        tx.write_fields()?;
        tx.batch("SAVEPOINT retry_quarantine")?;
        let placed = !matches!(
            place(tx, &ctx, &m, now_ms)?,
            MutationResult::Rejected { .. } | MutationResult::Quarantined { .. }
        );
        if placed {
            tx.exec(
                "UPDATE quarantine SET resolved_at = ?2 WHERE mutation_id = ?1",
                p![id, Utc::now().to_rfc3339()],
            )?;
            tx.batch("RELEASE retry_quarantine")?;
            placed_now.push(m.entity_id);
            tracing::info!(mutation = %m.mutation_id, "quarantined change placed");
        } else {
            tx.batch("ROLLBACK TO retry_quarantine; RELEASE retry_quarantine")?;
            tx.forget_all();
        }
    }
    Ok(placed_now)
}

/// Refuses a change, except notes and measures, which are quarantined instead: never dropped.
/// What waits for a record still on its way is quarantined whatever its kind (it is placed
/// when the record comes).
fn unplaced(tx: &Batch<'_>, m: &Mutation, why: QuarantineReason) -> Result<MutationResult> {
    if awaited_record(m, why.code()).is_some() || rules::never_rejected(m.entity) {
        quarantine(tx, m, why)
    } else {
        Ok(MutationResult::Rejected {
            reason: why.to_string(),
        })
    }
}

struct Loser {
    field: String,
    kept: Value,
    lost: Value,
    rule: ConflictRule,
    needs_review: bool,
}

/// A change that passed its checks: its payload, its clamped clock, the record it changes (if
/// the server has it) and where that record belongs.
struct Checked<'m> {
    payload_text: String,
    payload: &'m Map<String, Value>,
    hlc: Hlc,
    clamped: bool,
    existing: Option<EntityRow>,
    scope: Scope,
}

/// Places one mutation: scope, access, conflict rules; returns its result.
fn place(tx: &Batch<'_>, ctx: &DeviceCtx, m: &Mutation, now_ms: u64) -> Result<MutationResult> {
    let c = match check_change(tx, ctx, m, now_ms)? {
        Ok(c) => c,
        Err(result) => return Ok(result),
    };
    // What is applied: the whole payload of a new record, the fields that won for an update.
    let (updated, losers) = match &c.existing {
        None => (Map::new(), Vec::new()),
        Some(_) if m.entity.is_append_only() => {
            return unplaced(tx, m, QuarantineReason::AlreadyExists);
        }
        Some(e) => decide_fields(tx, m, c.payload, c.hlc, e)?,
    };
    let effective = if c.existing.is_none() {
        c.payload
    } else {
        &updated
    };
    let seq = append_placed(tx, m, &c, effective)?;
    if c.existing.is_none() {
        create_entity(tx, m, c.scope, seq)?;
    } else {
        put_fields(
            tx,
            m.entity,
            m.entity_id,
            effective,
            c.hlc,
            seq,
            m.device_id,
        );
    }
    reassign_if_moved(tx, m, effective, now_ms)?;
    record_outcome(tx, m, &c, seq, &losers, now_ms)
}

/// Decides whether a change may be placed at all (its checks, its record, its scope, the
/// writer's teams); answers what was found, or the change's result if it may not.
fn check_change<'m>(
    tx: &Batch<'_>,
    ctx: &DeviceCtx,
    m: &'m Mutation,
    now_ms: u64,
) -> Result<std::result::Result<Checked<'m>, MutationResult>> {
    let payload_text = match rules::check_mutation(m) {
        Ok(text) => text,
        Err(why) => return unplaced(tx, m, why).map(Err),
    };
    let Value::Object(payload) = &m.payload else {
        return unplaced(tx, m, QuarantineReason::NotAFieldSet).map(Err);
    };
    let (hlc, clamped) = rules::clamp_hlc(m.hlc, now_ms);
    let existing = tx.entity(m.entity, m.entity_id)?;
    let (scope, team) = match &existing {
        Some(e) if m.entity == EntityKind::Person => (e.scope, e.scope.0),
        Some(e) if rules::is_shared(m.entity) => (e.scope, None),
        Some(e) => (e.scope, team_of(tx, e.scope)?),
        None if m.op != Operation::Create => {
            // Not refused: its record may still be on its way (after a restore from backup,
            // another laptop re-sends the record after this change arrives). It waits in
            // quarantine and is placed when the record comes; a change is never dropped.
            return quarantine(tx, m, QuarantineReason::RecordNotKnown).map(Err);
        }
        None => match scope_for_new(tx, ctx, m, payload)? {
            Ok(found) => found,
            Err(why) => return unplaced(tx, m, why).map(Err),
        },
    };
    if !rules::is_shared(m.entity) && !team.is_some_and(|t| ctx.teams.contains(&t)) {
        return unplaced(tx, m, QuarantineReason::NotInWritersTeams).map(Err);
    }
    // A person moved (or created) in a team that is not the organisation's would be out of
    // every team's sight, for good.
    if m.entity == EntityKind::Person
        && let Some(to) = payload_uuid(payload, "team_id")
        && !team_exists(tx, to)?
    {
        return unplaced(tx, m, QuarantineReason::UnknownTeam).map(Err);
    }
    Ok(Ok(Checked {
        payload_text,
        payload,
        hlc,
        clamped,
        existing,
        scope,
    }))
}

/// Decides an update field by field by the conflict rules: answers the fields that won and
/// the stored values that were kept against it.
fn decide_fields(
    tx: &Batch<'_>,
    m: &Mutation,
    payload: &Map<String, Value>,
    hlc: Hlc,
    e: &EntityRow,
) -> Result<(Map<String, Value>, Vec<Loser>)> {
    let mut updated = Map::new();
    let mut losers = Vec::new();
    keep_fields(tx, m.entity, m.entity_id, e)?;
    for (k, v) in payload {
        let stored = tx.field(m.entity, m.entity_id, k)?;
        let decision = match stored {
            None => Decision::Take,
            Some(state) => {
                let d = rules::decide(m.entity, k, &state, v, hlc, m.base_server_seq, m.device_id);
                if let Decision::Keep { rule, needs_review } = d {
                    losers.push(Loser {
                        field: k.clone(),
                        kept: state.value,
                        lost: v.clone(),
                        rule,
                        needs_review,
                    });
                }
                d
            }
        };
        if decision == Decision::Take {
            updated.insert(k.clone(), v.clone());
        }
    }
    Ok((updated, losers))
}

/// Appends the change's entry, with what it applied, to the stream; answers its sequence.
fn append_placed(
    tx: &Batch<'_>,
    m: &Mutation,
    c: &Checked<'_>,
    effective: &Map<String, Value>,
) -> Result<u64> {
    // Always an entry in the stream, even when every field lost: the writer's own laptop
    // learns from it that the server has the change (its reply may have been lost).
    // Every field taken: the payload's checked text and hash are the effective one's
    // too, and are stored as they are rather than encoded again.
    let (text, hash) = if effective.len() == c.payload.len() {
        (
            std::borrow::Cow::Borrowed(c.payload_text.as_str()),
            std::borrow::Cow::Borrowed(m.payload_hash.as_str()),
        )
    } else {
        let text = serde_json::to_string(effective)?;
        let hash = linkwell_protocol::payload_hash(&text);
        (std::borrow::Cow::Owned(text), std::borrow::Cow::Owned(hash))
    };
    let entry = stream::Entry {
        hlc: c.hlc,
        ..stream::Entry::of(m, &text, &hash)
    };
    stream::append(tx, &entry, c.scope, None)
}

/// Records a create's new record, which keeps no field rows: its values are its create's,
/// until changed.
fn create_entity(tx: &Batch<'_>, m: &Mutation, scope: Scope, seq: u64) -> Result<()> {
    tx.exec(
        "INSERT INTO entity (kind, id, team_id, person_id, created_seq, fields_kept) VALUES (?1, ?2, ?3, ?4, ?5, 0)",
        p![m.entity.as_str(), m.entity_id, scope.0, scope.1, seq],
    )?;
    tx.remember(
        m.entity,
        m.entity_id,
        EntityRow {
            scope,
            created_seq: Some(seq),
            fields_kept: false,
        },
    );
    Ok(())
}

/// Decides whether a person's applied fields move them to another team, and if so moves them
/// and sends their records again for it.
fn reassign_if_moved(
    tx: &Batch<'_>,
    m: &Mutation,
    effective: &Map<String, Value>,
    now_ms: u64,
) -> Result<()> {
    if m.entity == EntityKind::Person
        && let Some(team) = payload_uuid(effective, "team_id")
    {
        // A reassignment: the person and everything of theirs now belongs to that team.
        let moved = tx.exec(
            "UPDATE entity SET team_id = ?1 WHERE kind = 'person' AND id = ?2 AND team_id IS DISTINCT FROM ?1",
            p![team, m.entity_id],
        )?;
        tx.forget(EntityKind::Person, m.entity_id);
        if moved > 0 {
            // Writes the batch's fields out before its snapshots read `field` rows.
            rebroadcast_person(tx, m.entity_id, now_ms)?;
        }
    }
    Ok(())
}

/// Records the change's conflicts (fields that lost, a clock clamped) and decides its result:
/// merged, pointing at a conflict, or applied.
fn record_outcome(
    tx: &Batch<'_>,
    m: &Mutation,
    c: &Checked<'_>,
    server_seq: u64,
    losers: &[Loser],
    now_ms: u64,
) -> Result<MutationResult> {
    let mut first_conflict = None;
    let mut review_conflict = None;
    if !losers.is_empty() {
        // A correction re-broadcasts the kept values so the losing laptop converges.
        let mut p = Map::new();
        for l in losers {
            p.insert(l.field.clone(), l.kept.clone());
        }
        let seq = append_server_change(
            tx,
            (m.entity, m.entity_id, Operation::Update),
            &p,
            now_ms,
            c.scope,
        )?;
        for l in losers {
            let id = record_conflict(tx, m, c.scope, seq, l)?;
            first_conflict.get_or_insert(id);
            if l.needs_review {
                review_conflict.get_or_insert(id);
            }
        }
    }
    if c.clamped {
        let id = record_conflict(
            tx,
            m,
            c.scope,
            server_seq,
            &Loser {
                field: "hlc".into(),
                kept: Value::String(c.hlc.encode()),
                lost: Value::String(m.hlc.encode()),
                rule: ConflictRule::ClockAhead,
                needs_review: false,
            },
        )?;
        tracing::warn!(device = %m.device_id, mutation = %m.mutation_id, "clock more than 24h ahead: clamped");
        first_conflict.get_or_insert(id);
    }
    Ok(
        match review_conflict.or(if losers.is_empty() {
            None
        } else {
            first_conflict
        }) {
            Some(conflict_id) => MutationResult::Merged {
                server_seq,
                conflict_id,
            },
            None => MutationResult::Applied { server_seq },
        },
    )
}

/// Records one conflict of a change: a field whose stored value was kept against it.
fn record_conflict(
    tx: &Batch<'_>,
    m: &Mutation,
    scope: Scope,
    seq: u64,
    l: &Loser,
) -> Result<Uuid> {
    let id = Uuid::now_v7();
    tx.exec(
        "INSERT INTO conflict (id, server_seq, kind, entity_id, field, rule, kept, lost, lost_mutation_id, lost_device_id, needs_review, team_id, person_id, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        p![
            id,
            seq,
            m.entity.as_str(),
            m.entity_id,
            &l.field,
            rule_str(l.rule),
            serde_json::to_string(&l.kept)?,
            serde_json::to_string(&l.lost)?,
            m.mutation_id,
            m.device_id,
            l.needs_review,
            scope.0,
            scope.1,
            Utc::now().to_rfc3339()
        ],
    )?;
    Ok(id)
}

/// Decides what one pushed mutation is: a retry answered as it was first answered, a clone or a
/// gap refused, or a new change placed (and what waited for its record tried again).
fn receive(
    batch: &Batch<'_>,
    ctx: &DeviceCtx,
    m: &Mutation,
    last_seq: &mut u64,
    received_ms: i64,
    now_ms: u64,
) -> Result<MutationResult> {
    // Only a sequence number this device has used can be a retry; a new one is
    // checked by the receipt's insert below instead of a lookup.
    let seen = if m.device_seq > *last_seq {
        None
    } else {
        stream::receipt(batch, m.mutation_id)?
    };
    if let Some((hash, stored)) = seen {
        if hash != m.payload_hash {
            return Err(StorageError::Cloned {
                device_seq: m.device_seq,
            });
        }
        return Ok(match stored {
            MutationResult::Applied { server_seq } => MutationResult::Duplicate { server_seq },
            other => other,
        });
    }
    if m.device_seq <= *last_seq {
        return Err(StorageError::Cloned {
            device_seq: m.device_seq,
        });
    }
    if m.device_seq != *last_seq + 1 {
        return Err(StorageError::Gap {
            expected: *last_seq + 1,
        });
    }
    let result = place(batch, ctx, m, now_ms)?;
    let placed_new = !matches!(
        result,
        MutationResult::Rejected { .. } | MutationResult::Quarantined { .. }
    ) && m.op == Operation::Create;
    if !stream::put_receipt(
        batch,
        (m.mutation_id, m.device_id, m.device_seq),
        &m.payload_hash,
        &result,
        received_ms,
    )? {
        // A mutation id already received under another sequence number.
        return Err(StorageError::Cloned {
            device_seq: m.device_seq,
        });
    }
    *last_seq = m.device_seq;
    if placed_new {
        retry_quarantine(batch, now_ms, m.entity_id)?;
    }
    Ok(result)
}

impl Storage for ServerStorage {
    fn authenticate(&self, token: &str) -> Result<DeviceCtx> {
        self.read(|db| {
            let row = db.row(
                "SELECT d.id, d.worker_id, d.revoked_at, w.active, d.clone_suspected_at FROM device d JOIN worker w ON w.id = d.worker_id WHERE d.token_hash = ?1",
                p![sha256_hex(token)],
            )?;
            let Some(r) = row else {
                return Err(StorageError::Unauthorised);
            };
            let (device_id, worker_id, revoked, active, suspected): DeviceAuth = (
                r.uuid(0)?,
                r.uuid(1)?,
                r.opt_text(2)?,
                r.bool(3)?,
                r.opt_text(4)?,
            );
            if revoked.is_some() || !active {
                return Err(StorageError::Revoked);
            }
            // Two databases with one credential would each overwrite what the other wrote:
            // both stop until an administrator decides which is the real laptop.
            if suspected.is_some() {
                return Err(StorageError::CloneSuspected);
            }
            Ok(DeviceCtx {
                device_id,
                worker_id,
                teams: teams_of(db, worker_id)?,
            })
        })
    }

    fn enrol(&self, code: &str) -> Result<EnrolResponse> {
        let (resp, device_id, worker_id) = self.write(|tx| {
            let organisation_id = org_id(tx)?;
            let hash = sha256_hex(&normalise_code(code));
            let row = tx.row(
                "SELECT worker_id, expires_at, used_at FROM enrolment WHERE code_hash = ?1",
                p![&hash],
            )?;
            let Some(r) = row else {
                return Err(StorageError::BadCode);
            };
            let (worker_id, expires, used) = (r.uuid(0)?, r.text(1)?, r.opt_text(2)?);
            let expired = DateTime::parse_from_rfc3339(&expires)
                .map(|e| e < Utc::now())
                .unwrap_or(true);
            if used.is_some() || expired {
                return Err(StorageError::BadCode);
            }
            let r = tx
                .row(
                    "SELECT id, name, role, team_id, active FROM worker WHERE id = ?1",
                    p![worker_id],
                )?
                .ok_or(StorageError::NoSuchWorker(worker_id))?;
            let worker = WorkerInfo {
                id: r.uuid(0)?,
                name: r.text(1)?,
                role: r.text(2)?,
                team_id: r.uuid(3)?,
                active: r.bool(4)?,
            };
            if !worker.active {
                return Err(StorageError::Revoked);
            }
            let device_id = Uuid::now_v7();
            let token = format!("lw1_{}", random_hex(32));
            let now = Utc::now().to_rfc3339();
            tx.exec(
                "INSERT INTO device (id, worker_id, token_hash, enrolled_at) VALUES (?1, ?2, ?3, ?4)",
                p![device_id, worker_id, sha256_hex(&token), &now],
            )?;
            tx.exec(
                "UPDATE enrolment SET used_at = ?2, device_id = ?3 WHERE code_hash = ?1",
                p![&hash, &now, device_id],
            )?;
            let teams = tx
                .rows(
                    "SELECT t.id, t.name, t.locality FROM team t JOIN membership m ON m.team_id = t.id WHERE m.worker_id = ?1 ORDER BY t.id",
                    p![worker_id],
                )?
                .iter()
                .map(|r| {
                    Ok(TeamInfo {
                        id: r.uuid(0)?,
                        name: r.text(1)?,
                        locality: r.opt_text(2)?,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let epoch = epoch_of(tx)?;
            let resp = EnrolResponse {
                organisation_id,
                device_id,
                token,
                worker,
                teams,
                epoch,
            };
            Ok((resp, device_id, worker_id))
        })?;
        tracing::info!(device = %device_id, worker = %worker_id, "device enrolled");
        Ok(resp)
    }

    fn push(&self, ctx: &DeviceCtx, req: &PushRequest, now_ms: u64) -> Result<PushResponse> {
        rules::check_batch(req, ctx.device_id, ctx.worker_id)?;
        let outcome = self.write(|tx| {
            let epoch = epoch_of(tx)?;
            let mut last_seq = tx
                .row(
                    "SELECT last_seq FROM device WHERE id = ?1",
                    p![ctx.device_id],
                )?
                .map_or(Ok(0), |r| r.u64(0))?;
            let mut results = Vec::with_capacity(req.mutations.len());
            let received_ms = Utc::now().timestamp_millis();
            let batch = Batch::new(tx);
            for m in &req.mutations {
                let result = receive(&batch, ctx, m, &mut last_seq, received_ms, now_ms)?;
                results.push((m.mutation_id, result));
            }
            batch.write_fields()?;
            tx.exec(
                "UPDATE device SET last_seq = ?2 WHERE id = ?1",
                p![ctx.device_id, last_seq],
            )?;
            if let Some(pause) = &self.push_pause {
                pause();
            }
            Ok(PushResponse { epoch, results })
        });
        if let Err(StorageError::Cloned { device_seq }) = &outcome {
            tracing::error!(device = %ctx.device_id, device_seq, "cloned device suspected");
            self.write(|tx| {
                tx.exec(
                    "UPDATE device SET clone_suspected_at = ?2 WHERE id = ?1",
                    p![ctx.device_id, Utc::now().to_rfc3339()],
                )
            })?;
        }
        outcome
    }

    fn pull(&self, ctx: &DeviceCtx, req: &PullRequest) -> Result<PullResponse> {
        self.read(|tx| {
            let epoch = epoch_of(tx)?;
            if req.epoch.is_some_and(|e| e != epoch) {
                // Restored from a backup: the cursor means nothing here; start again from zero.
                return Ok(PullResponse {
                    epoch,
                    changes: Vec::new(),
                    next_after: 0,
                    has_more: true,
                    conflicts: Vec::new(),
                });
            }
            let limit = req.limit.clamp(1, MAX_PAGE);
            let after = i64::try_from(req.after_server_seq).unwrap_or(i64::MAX);
            let visible = "((c.person_id IS NULL AND (c.team_id IS NULL OR c.team_id IN (SELECT team_id FROM membership WHERE worker_id = ?2)))
              OR p.team_id IN (SELECT team_id FROM membership WHERE worker_id = ?2))";
            let mut changes = Vec::new();
            let mut has_more = false;
            let mut bytes = 0u64;
            tx.each(
                &format!(
                    "SELECT c.server_seq, octet_length(c.payload), {cols} FROM change c
                     LEFT JOIN entity p ON p.kind = 'person' AND p.id = c.person_id
                     WHERE c.server_seq > ?1 AND {visible}
                     ORDER BY c.server_seq LIMIT ?3",
                    cols = stream::COLUMNS
                ),
                p![after, ctx.worker_id, limit as i64 + 1],
                &mut |r| {
                    if changes.len() >= limit as usize || bytes >= MAX_PAGE_BYTES {
                        // A row beyond the page: there is more to pull.
                        has_more = true;
                        return Ok(false);
                    }
                    bytes += r.opt_i64(1)?.unwrap_or(0).max(0) as u64 + CHANGE_OVERHEAD;
                    changes.push(ServerChange {
                        server_seq: r.u64(0)?,
                        mutation: stream::read(&r, 2)?,
                    });
                    Ok(true)
                },
            )?;
            let next_after = if has_more {
                changes
                    .last()
                    .map_or(req.after_server_seq, |c| c.server_seq)
            } else {
                // Past everything, visible or not: the cursor never stalls on what it may not
                // see. One snapshot with the page above, so nothing committed between the two
                // is passed unseen.
                let max = tx
                    .row("SELECT MAX(server_seq) FROM change", &[])?
                    .map_or(Ok(None), |r| r.opt_i64(0))?;
                (max.unwrap_or(0).max(0) as u64).max(req.after_server_seq)
            };
            let conflicts = tx
                .rows(
                    &format!(
                        "{CONFLICT_SELECT} LEFT JOIN entity p ON p.kind = 'person' AND p.id = c.person_id
                         WHERE c.server_seq > ?1 AND c.server_seq <= ?3 AND {visible} ORDER BY c.server_seq, c.id"
                    ),
                    p![after, ctx.worker_id, next_after],
                )?
                .iter()
                .map(conflict_from_row)
                .collect::<Result<Vec<_>>>()?;
            Ok(PullResponse {
                epoch,
                changes,
                next_after,
                has_more,
                conflicts,
            })
        })
    }

    fn epoch(&self) -> Result<Uuid> {
        self.read(epoch_of)
    }

    fn reachable(&self) -> bool {
        ServerStorage::reachable(self)
    }

    fn quarantine_open(&self) -> Result<u64> {
        self.open_quarantine_count()
    }
}
