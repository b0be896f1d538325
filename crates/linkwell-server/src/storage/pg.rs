//! PostgreSQL: how SQL runs there and how its transactions begin. Nothing here decides
//! anything about changes; `storage.rs` does, once, for both databases.
//!
//! The synchronous `postgres` client (the storage trait is synchronous and runs on tokio's
//! blocking pool) in an r2d2 pool, each connection with its own cache of prepared statements.
//! Every write transaction first locks the organisation's `stream_clock` row `FOR UPDATE`:
//! writes from every instance are serialised, so stream numbers commit in order (a bare
//! sequence lets a pull pass a number whose transaction commits later). Reads run on one
//! repeatable-read snapshot, so a pull's page and its cursor agree.

use super::db::{Db, Row, V};
use super::{Result, StorageError};
use postgres::fallible_iterator::FallibleIterator as _;
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use postgres::{Client, IsolationLevel, NoTls, Statement, Transaction};
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

/// Append-only: add a new file at the end, never edit one that has shipped.
const MIGRATIONS: &[&str] = &[include_str!("../../migrations/postgres/0001_initial.sql")];

/// The PostgreSQL schema version this build of the server writes.
pub const PG_SCHEMA_VERSION: i64 = 1;

/// Held by whichever instance is migrating, so two starting at once do not both migrate.
const MIGRATION_LOCK: i64 = 0x6c69_6e6b_7765_6c6c;

impl From<postgres::Error> for StorageError {
    fn from(e: postgres::Error) -> StorageError {
        // A refusal by the server carries a SQLSTATE; a lost or refused connection does not
        // (or carries class 08, or 57P0x when the server is shutting down): worth retrying.
        let code = e.code().map(|c| c.code().to_string());
        match code.as_deref() {
            None => StorageError::Unavailable(e.to_string()),
            Some(c) if c.starts_with("08") || c.starts_with("57P") => {
                StorageError::Unavailable(e.to_string())
            }
            Some(_) => StorageError::Pg(e.to_string()),
        }
    }
}

impl From<r2d2::Error> for StorageError {
    fn from(e: r2d2::Error) -> StorageError {
        StorageError::Unavailable(e.to_string())
    }
}

/// A pooled connection and the statements prepared on it.
pub struct PgConn {
    /// Always `Some` until dropped (see the `Drop`).
    client: Option<Client>,
    cache: HashMap<String, Statement>,
}

impl PgConn {
    fn client(&mut self) -> (&mut Client, &mut HashMap<String, Statement>) {
        (
            self.client
                .as_mut()
                .expect("a connection's client is there until it is dropped"),
            &mut self.cache,
        )
    }
}

impl Drop for PgConn {
    fn drop(&mut self) {
        // The blocking client runs a small runtime of its own to close; inside tokio (the
        // server's runtime dropping the last storage at shutdown) that would panic, so it
        // closes on a thread of its own.
        if let Some(client) = self.client.take()
            && tokio::runtime::Handle::try_current().is_ok()
        {
            let _ = std::thread::spawn(move || drop(client)).join();
        }
    }
}

pub struct Manager {
    config: postgres::Config,
}

impl r2d2::ManageConnection for Manager {
    type Connection = PgConn;
    type Error = postgres::Error;

    fn connect(&self) -> Result<PgConn, postgres::Error> {
        Ok(PgConn {
            client: Some(self.config.connect(NoTls)?),
            cache: HashMap::new(),
        })
    }

    fn is_valid(&self, conn: &mut PgConn) -> Result<(), postgres::Error> {
        conn.client().0.simple_query("").map(|_| ())
    }

    fn has_broken(&self, conn: &mut PgConn) -> bool {
        conn.client.as_ref().is_none_or(Client::is_closed)
    }
}

/// The pool, and its settings for the PostgreSQL programs (backup).
pub struct Pool {
    pool: r2d2::Pool<Manager>,
    config: postgres::Config,
}

/// Connections per instance: pushes wait for the clock row anyway; pulls and
/// authentication run beside them.
const POOL_SIZE: u32 = 8;

/// Reads a URL, connects once (so a wrong or unreachable database is reported at start-up
/// in the driver's words), migrates, and opens the pool.
pub fn connect(url: &str) -> Result<Pool> {
    let mut config: postgres::Config = url.parse().map_err(|e| {
        StorageError::BadDatabaseUrl(format!(
            "the database URL could not be read ({e}); write it as postgres://USER@HOST:PORT/DATABASE"
        ))
    })?;
    config.connect_timeout(Duration::from_secs(5));
    let mut first = config.connect(NoTls).map_err(|e| {
        StorageError::Unavailable(format!("could not connect to the PostgreSQL database: {e}"))
    })?;
    migrate(&mut first)?;
    drop(first);
    let pool = r2d2::Pool::builder()
        .max_size(POOL_SIZE)
        .min_idle(Some(1))
        .connection_timeout(Duration::from_secs(5))
        // A connection left broken by a restart of the database is found and replaced.
        .test_on_check_out(true)
        .build(Manager {
            config: config.clone(),
        })?;
    Ok(Pool { pool, config })
}

/// Brings the database up to [`PG_SCHEMA_VERSION`]; one from a newer server is refused.
fn migrate(client: &mut Client) -> Result<()> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")?;
    let current: i64 = tx
        .query_opt("SELECT MAX(version) FROM schema_version", &[])?
        .and_then(|r| r.get::<_, Option<i64>>(0))
        .unwrap_or(0);
    if current > PG_SCHEMA_VERSION {
        return Err(StorageError::NewerSchema);
    }
    for sql in MIGRATIONS.iter().skip(current as usize) {
        tx.batch_execute(sql)
            .map_err(|e| StorageError::Upgrade(e.to_string()))?;
    }
    tx.execute("DELETE FROM schema_version", &[])?;
    tx.execute(
        "INSERT INTO schema_version (version) VALUES ($1)",
        &[&PG_SCHEMA_VERSION],
    )?;
    tx.commit()?;
    Ok(())
}

/// One transaction on a pooled connection.
pub struct PgDb<'a> {
    tx: RefCell<Transaction<'a>>,
    cache: RefCell<&'a mut HashMap<String, Statement>>,
}

/// SQLite's `?N` placeholders as PostgreSQL's `$N`.
fn dollars(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '?' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('$');
        } else {
            out.push(c);
        }
    }
    out
}

impl PgDb<'_> {
    fn statement(&self, sql: &str) -> Result<Statement> {
        if let Some(s) = self.cache.borrow().get(sql) {
            return Ok(s.clone());
        }
        let s = self.tx.borrow_mut().prepare(&dollars(sql))?;
        self.cache.borrow_mut().insert(sql.to_string(), s.clone());
        Ok(s)
    }
}

impl ToSql for V {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            V::Null => Ok(IsNull::Yes),
            V::I(v) => match *ty {
                Type::INT4 => i32::try_from(*v)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*v)?.to_sql(ty, out),
                Type::BOOL => (*v != 0).to_sql(ty, out),
                _ => v.to_sql(ty, out),
            },
            V::T(s) => s.to_sql(ty, out),
            // A payload hash's bytes, where PostgreSQL keeps the hash as text.
            V::B(b) if *ty == Type::TEXT => hex::encode(b).to_sql(ty, out),
            V::B(b) => b.to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

fn column(r: &postgres::Row, i: usize) -> Result<V> {
    let ty = r.columns()[i].type_();
    Ok(match *ty {
        Type::INT8 => r.try_get::<_, Option<i64>>(i)?.map_or(V::Null, V::I),
        Type::INT4 => r
            .try_get::<_, Option<i32>>(i)?
            .map_or(V::Null, |v| V::I(v.into())),
        Type::INT2 => r
            .try_get::<_, Option<i16>>(i)?
            .map_or(V::Null, |v| V::I(v.into())),
        Type::BOOL => r
            .try_get::<_, Option<bool>>(i)?
            .map_or(V::Null, |v| V::I(v.into())),
        Type::BYTEA => r.try_get::<_, Option<Vec<u8>>>(i)?.map_or(V::Null, V::B),
        _ => r.try_get::<_, Option<String>>(i)?.map_or(V::Null, V::T),
    })
}

impl Db for PgDb<'_> {
    fn each(&self, sql: &str, params: &[V], f: &mut dyn FnMut(Row) -> Result<bool>) -> Result<()> {
        let stmt = self.statement(sql)?;
        let mut tx = self.tx.borrow_mut();
        let mut rows = tx.query_raw(&stmt, params.iter())?;
        while let Some(r) = rows.next()? {
            let row = (0..r.len())
                .map(|i| column(&r, i))
                .collect::<Result<Vec<_>>>()?;
            if !f(Row(row))? {
                break;
            }
        }
        Ok(())
    }

    fn exec(&self, sql: &str, params: &[V]) -> Result<u64> {
        let stmt = self.statement(sql)?;
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|v| v as _).collect();
        Ok(self.tx.borrow_mut().execute(&stmt, &refs)?)
    }

    fn batch(&self, sql: &str) -> Result<()> {
        Ok(self.tx.borrow_mut().batch_execute(sql)?)
    }
}

/// Runs `f` in a write transaction that holds the organisation's stream clock.
pub fn write<T>(pool: &Pool, f: impl FnOnce(&dyn Db) -> Result<T>) -> Result<T> {
    let mut conn = pool.pool.get()?;
    let (client, cache) = conn.client();
    let mut tx = client.transaction()?;
    // Commit order is stream order: one writer at a time, across every instance.
    tx.execute("SELECT 1 FROM stream_clock WHERE id = 1 FOR UPDATE", &[])?;
    let db = PgDb {
        tx: RefCell::new(tx),
        cache: RefCell::new(cache),
    };
    let out = f(&db)?;
    db.tx.into_inner().commit()?;
    Ok(out)
}

/// Runs `f` on one read-only snapshot.
pub fn read<T>(pool: &Pool, f: impl FnOnce(&dyn Db) -> Result<T>) -> Result<T> {
    let mut conn = pool.pool.get()?;
    let (client, cache) = conn.client();
    let tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()?;
    let db = PgDb {
        tx: RefCell::new(tx),
        cache: RefCell::new(cache),
    };
    let out = f(&db)?;
    db.tx.into_inner().commit()?;
    Ok(out)
}

/// The PostgreSQL program `name` (`pg_dump`, `pg_restore`): from `LINKWELL_PG_BIN`, the
/// `PATH`, or Debian's `/usr/lib/postgresql/VERSION/bin`.
pub fn program(name: &str) -> std::path::PathBuf {
    if let Some(dir) = std::env::var_os("LINKWELL_PG_BIN") {
        return Path::new(&dir).join(name);
    }
    let mut debian: Vec<_> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin").join(name))
        .filter(|p| p.exists())
        .collect();
    debian.sort();
    debian.pop().unwrap_or_else(|| name.into())
}

fn run(cmd: &mut std::process::Command, what: &str) -> Result<()> {
    let out = cmd
        .output()
        .map_err(|e| StorageError::Upgrade(format!("could not run {what}: {e}")))?;
    if !out.status.success() {
        return Err(StorageError::Upgrade(format!(
            "{what} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}

/// The pool's connection settings as a libpq connection string for the PostgreSQL programs.
fn conninfo(config: &postgres::Config) -> String {
    let mut parts = Vec::new();
    if let Some(postgres::config::Host::Tcp(h)) = config.get_hosts().first() {
        parts.push(format!("host={h}"));
    }
    #[cfg(unix)]
    if let Some(postgres::config::Host::Unix(p)) = config.get_hosts().first() {
        parts.push(format!("host={}", p.display()));
    }
    if let Some(port) = config.get_ports().first() {
        parts.push(format!("port={port}"));
    }
    if let Some(u) = config.get_user() {
        parts.push(format!("user={u}"));
    }
    if let Some(d) = config.get_dbname() {
        parts.push(format!("dbname={d}"));
    }
    parts.join(" ")
}

/// A consistent copy, taken while serving: `pg_dump`'s custom format (one snapshot), 0600.
pub fn backup(pool: &Pool, path: &Path) -> Result<()> {
    super::private_file(path)
        .map_err(|e| StorageError::Upgrade(format!("{}: {e}", path.display())))?;
    let mut cmd = std::process::Command::new(program("pg_dump"));
    cmd.arg("--format=custom")
        .arg("--no-owner")
        .arg("--file")
        .arg(path)
        .arg(conninfo(&pool.config));
    with_password(&mut cmd, &pool.config);
    run(&mut cmd, "pg_dump")
}

fn with_password(cmd: &mut std::process::Command, config: &postgres::Config) {
    if let Some(p) = config.get_password() {
        // In the child's environment only, never on its command line.
        cmd.env("PGPASSWORD", String::from_utf8_lossy(p).into_owned());
    }
}

/// Replaces the database's contents with a `pg_dump` archive, in one transaction, then
/// brings its schema up to this server's. The caller gives it a new epoch.
pub fn restore(url: &str, from: &Path) -> Result<()> {
    let config: postgres::Config = url.parse().map_err(|e| {
        StorageError::BadDatabaseUrl(format!("the database URL could not be read ({e})"))
    })?;
    let mut cmd = std::process::Command::new(program("pg_restore"));
    cmd.arg("--clean")
        .arg("--if-exists")
        .arg("--no-owner")
        .arg("--single-transaction")
        .arg("--dbname")
        .arg(conninfo(&config))
        .arg(from);
    with_password(&mut cmd, &config);
    run(&mut cmd, "pg_restore")
}

/// For `linkwell bench server`: rows per second for one transaction inserting `rows` into a
/// bare table of the database at `url` (the baseline the server's ingest is compared with).
#[doc(hidden)]
pub fn raw_insert_rate(url: &str, rows: &[String]) -> Result<f64> {
    let mut c = Client::connect(url, NoTls)?;
    c.batch_execute(
        "CREATE TABLE IF NOT EXISTS bench_raw (id BIGSERIAL PRIMARY KEY, mutation_id BYTEA NOT NULL UNIQUE, payload TEXT NOT NULL)",
    )?;
    let t0 = std::time::Instant::now();
    let mut tx = c.transaction()?;
    let stmt = tx.prepare("INSERT INTO bench_raw (mutation_id, payload) VALUES ($1, $2)")?;
    for r in rows {
        let id = uuid::Uuid::now_v7();
        tx.execute(&stmt, &[&id.as_bytes().as_slice(), r])?;
    }
    tx.commit()?;
    Ok(rows.len() as f64 / t0.elapsed().as_secs_f64())
}
