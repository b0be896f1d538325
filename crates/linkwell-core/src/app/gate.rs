//! The front door every UI transport (the desktop shell, the browser bridge) talks through:
//! worker profiles on a shared laptop, set-up with a passphrase, unlock, lock and auto-lock.
//! Only while a profile is unlocked do calls reach [`crate::app::api::dispatch`]; locked, every
//! call about people fails with `locked` and no key is held.
//!
//! A profile is one worker's encrypted database with its key file and a small, unencrypted
//! `profile.json` holding only what the unlock screen needs (the worker's display name and
//! their auto-lock setting) — nothing about any person.

use crate::app::api;
use crate::error::{CoreError, Result};
use crate::records::people::SetupInput;
use crate::security::unlocked::{DEFAULT_IDLE_LOCK, Session};
use crate::security::vault::{self, KdfParams};
use crate::store::Store;
use crate::sync::{Backoff, SyncError, SyncReport, SyncTransport, TransportError};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// Where the profiles live.
#[derive(Debug, Clone)]
pub enum Profiles {
    /// One folder per worker under this folder (the desktop app's data folder).
    Dir(PathBuf),
    /// One database file (a demo, a test, or `LINKWELL_DB`): a single profile.
    Single(PathBuf),
}

const SINGLE_ID: &str = "default";
const DB_NAME: &str = "linkwell.db";
const MIN_IDLE_MINUTES: u32 = 1;
const MAX_IDLE_MINUTES: u32 = 60;

/// What the unlock screen may show about a profile: never anything about a person.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct ProfileMeta {
    name: String,
    #[serde(default)]
    idle_lock_minutes: Option<u32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProfileInfo {
    pub id: String,
    pub name: String,
    /// False for a database from before encryption: it must be encrypted before use.
    pub encrypted: bool,
}

fn meta_path(db: &Path) -> PathBuf {
    db.with_file_name("profile.json")
}

fn single_meta_path(db: &Path) -> PathBuf {
    let mut name = db.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".profile.json");
    db.with_file_name(name)
}

fn io(e: std::io::Error) -> CoreError {
    CoreError::Corrupt(format!("profile could not be written: {e}"))
}

/// Makes a sync transport for a server address. The shell and the bridge pass one in (HTTP
/// lives outside the core); without it, sync is simply not offered.
pub type Connector = Box<dyn Fn(&str) -> Box<dyn SyncTransport + Send> + Send>;

/// A sync to run *without* holding the gate: a connection of its own to the worker's
/// database, a transport to their server, and whose profile it was made for.
/// [`SyncJob::run`] checks the server can be reached and syncs; the gate takes the outcome
/// back ([`Gate::sync_now_finish`], [`Gate::auto_sync_finish`]). One runs at a time.
pub struct SyncJob {
    transport: Box<dyn SyncTransport + Send>,
    store: Store,
    profile: String,
    /// The gate's "a sync is out" flag, cleared when the job is dropped — whatever becomes
    /// of it (a panic while running included), so a lost job never blocks syncing for good.
    busy: Arc<AtomicBool>,
}

/// A job's transport: once the laptop is locked, its next request is not made, so the job
/// (and its copy of the key) ends within the request under way.
struct Stoppable {
    inner: Box<dyn SyncTransport + Send>,
    stop: Arc<AtomicBool>,
}

impl Stoppable {
    fn go(&self) -> std::result::Result<(), TransportError> {
        if self.stop.load(Ordering::SeqCst) {
            return Err(TransportError::Stopped);
        }
        Ok(())
    }
}

impl SyncTransport for Stoppable {
    fn enrol(
        &mut self,
        req: &linkwell_protocol::EnrolRequest,
    ) -> std::result::Result<linkwell_protocol::EnrolResponse, TransportError> {
        self.go()?;
        self.inner.enrol(req)
    }
    fn push(
        &mut self,
        token: &str,
        req: &linkwell_protocol::PushRequest,
    ) -> std::result::Result<linkwell_protocol::PushResponse, TransportError> {
        self.go()?;
        self.inner.push(token, req)
    }
    fn pull(
        &mut self,
        token: &str,
        req: &linkwell_protocol::PullRequest,
    ) -> std::result::Result<linkwell_protocol::PullResponse, TransportError> {
        self.go()?;
        self.inner.pull(token, req)
    }
    fn reachable(&mut self) -> std::result::Result<(), TransportError> {
        self.go()?;
        self.inner.reachable()
    }
}

impl Drop for SyncJob {
    fn drop(&mut self) {
        self.busy.store(false, Ordering::SeqCst);
    }
}

impl SyncJob {
    /// Offline, this returns within the transport's reachability check (3 s over HTTP).
    pub fn run(&mut self) -> std::result::Result<SyncReport, SyncError> {
        self.store.sync_if_reachable(&mut *self.transport)
    }
}

/// The gate shared between the window's calls and a timer thread (the desktop shell holds
/// one). A sync — "Sync now" or a background one — runs on its own connection with the gate
/// released, so the window keeps answering while it talks to the server.
#[derive(Clone)]
pub struct SharedGate(Arc<Mutex<Gate>>);

impl SharedGate {
    pub fn new(gate: Gate) -> SharedGate {
        SharedGate(Arc::new(Mutex::new(gate)))
    }

    /// The gate itself, for set-up at launch. If a call panicked while holding it, nothing
    /// in it is trusted any more.
    pub fn lock(&self) -> Result<MutexGuard<'_, Gate>> {
        self.0.lock().map_err(|_| CoreError::RestartNeeded)
    }

    /// One call from the UI, as [`Gate::call`].
    pub fn call(&self, method: &str, args: Value) -> Result<Value> {
        if method != "sync_now" {
            return self.lock()?.call(method, args);
        }
        let mut job = self.lock()?.sync_now_begin()?;
        let outcome = job.run();
        self.lock()?.sync_now_finish(job, outcome)
    }

    /// The timer: the idle lock, and a background sync when one is due, run on a thread of
    /// its own with the gate released (so the idle lock keeps ticking meanwhile). Call it
    /// every few seconds. If an earlier call panicked holding the gate, the laptop is locked
    /// and the error says to restart.
    pub fn tick(&self, now: Instant) -> Result<()> {
        let due = match self.0.lock() {
            Ok(mut gate) => gate.auto_sync_due(now),
            Err(poisoned) => {
                poisoned.into_inner().lock();
                return Err(CoreError::RestartNeeded);
            }
        };
        if let Some(mut job) = due {
            let gate = self.clone();
            let started = std::thread::Builder::new()
                .name("linkwell-sync".into())
                .spawn(move || {
                    let outcome = job.run();
                    if let Ok(mut g) = gate.lock() {
                        g.auto_sync_finish(Instant::now(), job, outcome);
                    }
                });
            // The job is dropped with the closure (the busy flag clears); the timer, and the
            // idle lock with it, must go on whatever happened.
            if let Err(e) = started {
                tracing::warn!(error = %e, "background sync could not start");
            }
        }
        Ok(())
    }
}

/// How often an enrolled, unlocked laptop syncs by itself when all is well.
const AUTO_SYNC_EVERY: Duration = Duration::from_secs(15 * 60);

/// Joining an organisation's server at set-up, instead of naming the team by hand.
#[derive(Deserialize)]
struct Join {
    server: String,
    code: Zeroizing<String>,
}

/// Calls the gate answers itself; everything else goes to the unlocked store.
#[derive(Deserialize)]
#[serde(tag = "method", content = "args", rename_all = "snake_case")]
enum GateRequest {
    LockState,
    CreateProfile {
        passphrase: Zeroizing<String>,
        passphrase_again: Zeroizing<String>,
        #[serde(default)]
        setup: Option<SetupInput>,
        #[serde(default)]
        join: Option<Join>,
        #[serde(default)]
        demo: bool,
    },
    /// Push and pull now; the outcome is also kept for the status line.
    SyncNow,
    Unlock {
        #[serde(default)]
        profile: Option<String>,
        passphrase: Zeroizing<String>,
    },
    Lock,
    /// The worker is busy in the window (typing, reading): counts as activity.
    KeepAlive,
    ChangePassphrase {
        current: Zeroizing<String>,
        new_passphrase: Zeroizing<String>,
        new_passphrase_again: Zeroizing<String>,
    },
    Recover {
        #[serde(default)]
        profile: Option<String>,
        recovery_code: Zeroizing<String>,
        new_passphrase: Zeroizing<String>,
        new_passphrase_again: Zeroizing<String>,
    },
    EncryptProfile {
        #[serde(default)]
        profile: Option<String>,
        passphrase: Zeroizing<String>,
        passphrase_again: Zeroizing<String>,
    },
    SetIdleLock {
        minutes: u32,
    },
    Vocabularies,
    /// Saves the Green Book as a PDF in the folder the shell chose (the desktop's Downloads).
    SaveGreenBook {
        person_id: uuid::Uuid,
        #[serde(default)]
        options: crate::read::print::GreenBookOptions,
    },
}

const GATE_METHODS: &[&str] = &[
    "lock_state",
    "create_profile",
    "unlock",
    "lock",
    "keep_alive",
    "change_passphrase",
    "recover",
    "encrypt_profile",
    "set_idle_lock",
    "vocabularies",
    "sync_now",
    "save_green_book",
];

fn same(field: &str, a: &str, b: &str) -> Result<()> {
    if a == b {
        Ok(())
    } else {
        Err(CoreError::invalid(
            field,
            "The two passphrases are different: type the same passphrase twice",
        ))
    }
}

pub struct Gate {
    profiles: Profiles,
    kdf: KdfParams,
    session: Option<Session>,
    current: Option<String>,
    /// The profiles as listed at unlock (None while locked).
    listed: Option<Vec<ProfileInfo>>,
    connector: Option<Connector>,
    /// Where "Save as PDF" puts files (None in a browser, which downloads them itself).
    save_dir: Option<PathBuf>,
    backoff: Backoff,
    next_auto_sync: Option<Instant>,
    /// A [`SyncJob`] is out (running on its own connection): no second one starts.
    syncing: Arc<AtomicBool>,
    /// Set when the laptop locks, to stop the job that is out at its next request.
    stop_sync: Arc<AtomicBool>,
}

impl std::fmt::Debug for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gate")
            .field("profiles", &self.profiles)
            .field("unlocked", &self.session.is_some())
            .finish_non_exhaustive()
    }
}

impl Gate {
    pub fn new(profiles: Profiles) -> Gate {
        Gate::with_kdf(profiles, KdfParams::default())
    }

    /// With other Argon2id costs (tests use cheap ones).
    pub fn with_kdf(profiles: Profiles, kdf: KdfParams) -> Gate {
        Gate {
            profiles,
            kdf,
            session: None,
            current: None,
            listed: None,
            connector: None,
            save_dir: None,
            backoff: Backoff::default(),
            next_auto_sync: None,
            syncing: Arc::default(),
            stop_sync: Arc::default(),
        }
    }

    /// Offers sync through this connector (the shell's or the bridge's HTTP transport).
    pub fn with_connector(mut self, connector: Connector) -> Gate {
        self.connector = Some(connector);
        self
    }

    /// Offers "Save as PDF" into this folder (the desktop shell passes the worker's Downloads).
    pub fn with_save_dir(mut self, dir: PathBuf) -> Gate {
        self.save_dir = Some(dir);
        self
    }

    /// Syncs by itself while unlocked and enrolled: every 15 minutes when all is well, and
    /// with growing waits (5 s doubling to 15 min) while the server cannot be reached, so a
    /// laptop back in Wi-Fi syncs soon after without anyone pressing anything. Call it from a
    /// timer; it returns at once when nothing is due. (A shell sharing the gate between
    /// threads uses [`SharedGate::tick`], which runs the sync with the gate released.)
    pub fn auto_sync(&mut self, now: Instant) {
        if let Some(mut job) = self.auto_sync_due(now) {
            let outcome = job.run();
            self.auto_sync_finish(now, job, outcome);
        }
    }

    /// The first half of [`Gate::auto_sync`]: ticks the idle lock and, when a background sync
    /// is due, answers the job to run without the gate, then hand to
    /// [`Gate::auto_sync_finish`].
    pub fn auto_sync_due(&mut self, now: Instant) -> Option<SyncJob> {
        self.tick(now);
        if self.syncing.load(Ordering::SeqCst) || self.next_auto_sync.is_some_and(|due| now < due) {
            return None;
        }
        match self.sync_job() {
            Ok(job) => Some(job),
            Err(CoreError::Locked) => None,
            Err(_) => {
                // Not joined to a server (or no connector): nothing to do for a while.
                self.next_auto_sync = Some(now + AUTO_SYNC_EVERY);
                None
            }
        }
    }

    /// The second half of [`Gate::auto_sync`]: the next background sync is scheduled by the
    /// outcome (the job's connection has already recorded it for the status line). If the
    /// laptop was locked or another worker unlocked meanwhile, the schedule is not theirs to
    /// change.
    pub fn auto_sync_finish(
        &mut self,
        now: Instant,
        job: SyncJob,
        outcome: std::result::Result<SyncReport, SyncError>,
    ) {
        if self.current.as_deref() == Some(job.profile.as_str()) && self.session.is_some() {
            self.schedule_next_sync(&outcome, now);
        }
    }

    /// A sync job for the unlocked worker's server, on a second connection to their
    /// database; refused while another is out.
    fn sync_job(&mut self) -> Result<SyncJob> {
        if self.syncing.load(Ordering::SeqCst) {
            return Err(CoreError::NotAllowed(
                "a sync is already running; it will finish by itself".into(),
            ));
        }
        let Some(connect) = self.connector.as_ref() else {
            return Err(CoreError::NotAllowed(
                "sync is not available in this window".into(),
            ));
        };
        let profile = self.current.clone().ok_or(CoreError::Locked)?;
        let store = self
            .session
            .as_mut()
            .ok_or(CoreError::Locked)
            .and_then(Session::store_without_activity)?;
        let url = store
            .sync_server_url()
            .map_err(SyncError::into_core)?
            .ok_or_else(|| {
                CoreError::NotAllowed(
                    "this laptop is not joined to a server: it keeps everything here".into(),
                )
            })?;
        self.stop_sync = Arc::default();
        let job = SyncJob {
            transport: Box::new(Stoppable {
                inner: connect(&url),
                stop: Arc::clone(&self.stop_sync),
            }),
            store: store.open_again()?,
            profile,
            busy: Arc::clone(&self.syncing),
        };
        self.syncing.store(true, Ordering::SeqCst);
        Ok(job)
    }

    /// "Sync now", first half: the job to run without holding the gate (counts as the
    /// worker's activity). [`SharedGate::call`] runs it and calls [`Gate::sync_now_finish`].
    pub fn sync_now_begin(&mut self) -> Result<SyncJob> {
        self.store()?;
        self.sync_job()
    }

    /// "Sync now", second half: the outcome and the honest status, for the window.
    pub fn sync_now_finish(
        &mut self,
        job: SyncJob,
        outcome: std::result::Result<SyncReport, SyncError>,
    ) -> Result<Value> {
        // Locked meanwhile (perhaps another worker unlocked since): nothing of it is theirs.
        if self.current.as_deref() != Some(job.profile.as_str()) || self.session.is_none() {
            return Err(CoreError::Locked);
        }
        let status = job.store.sync_status().map_err(SyncError::into_core)?;
        self.schedule_next_sync(&outcome, Instant::now());
        Ok(json!({
            "ok": outcome.is_ok(),
            "offline": outcome.as_ref().err().is_some_and(SyncError::is_offline),
            "report": outcome.as_ref().ok(),
            "error": outcome.as_ref().err().map(ToString::to_string),
            "status": status,
        }))
    }

    /// When to sync by itself next: soon (backoff) after an offline failure, so coming back
    /// into Wi-Fi syncs without a press; otherwise in 15 minutes (refusals need a person and
    /// are shown in the status line).
    fn schedule_next_sync<T>(&mut self, outcome: &std::result::Result<T, SyncError>, now: Instant) {
        let wait = match outcome {
            Ok(_) => {
                self.backoff.succeeded();
                AUTO_SYNC_EVERY
            }
            // Stopped by a lock: after unlocking, sync soon, as after being offline.
            Err(e)
                if e.is_offline() || matches!(e, SyncError::Transport(TransportError::Stopped)) =>
            {
                self.backoff.failed()
            }
            Err(_) => AUTO_SYNC_EVERY,
        };
        self.next_auto_sync = Some(now + wait);
    }

    /// Moves a database from before profiles existed (one `linkwell.db` in the data folder)
    /// into its own profile, so an upgrade keeps the worker's records. Only when there are no
    /// profiles yet; the key file, WAL and shared-memory files move with it.
    pub fn adopt(&self, legacy: &Path) -> Result<bool> {
        let Profiles::Dir(root) = &self.profiles else {
            return Ok(false);
        };
        if !legacy.exists() || !self.list()?.is_empty() {
            return Ok(false);
        }
        let dir = root.join(uuid::Uuid::now_v7().simple().to_string());
        std::fs::create_dir_all(&dir).map_err(io)?;
        let db = dir.join(DB_NAME);
        for (from, to) in [
            (vault::key_file(legacy), vault::key_file(&db)),
            (sidecar(legacy, "-wal"), sidecar(&db, "-wal")),
            (sidecar(legacy, "-shm"), sidecar(&db, "-shm")),
            (single_meta_path(legacy), meta_path(&db)),
        ] {
            if from.exists() {
                std::fs::rename(from, to).map_err(io)?;
            }
        }
        // The database itself last: until it moves, the old place is still complete.
        std::fs::rename(legacy, &db).map_err(io)?;
        Ok(true)
    }

    /// Every profile on this laptop, by name.
    pub fn list(&self) -> Result<Vec<ProfileInfo>> {
        match &self.profiles {
            Profiles::Single(db) => {
                if !db.exists() {
                    return Ok(Vec::new());
                }
                let meta = read_meta(&single_meta_path(db));
                Ok(vec![ProfileInfo {
                    id: SINGLE_ID.into(),
                    name: meta.map(|m| m.name).unwrap_or_else(|| "This laptop".into()),
                    encrypted: vault::is_encrypted(db),
                }])
            }
            Profiles::Dir(root) => {
                let mut out = Vec::new();
                let entries = match std::fs::read_dir(root) {
                    Ok(e) => e,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
                    Err(e) => return Err(io(e)),
                };
                for entry in entries.flatten() {
                    let db = entry.path().join(DB_NAME);
                    let Some(id) = entry.file_name().to_str().map(str::to_string) else {
                        continue;
                    };
                    if !db.exists() || !valid_id(&id) {
                        continue;
                    }
                    let name = read_meta(&meta_path(&db))
                        .map(|m| m.name)
                        .unwrap_or_else(|| "Worker".into());
                    out.push(ProfileInfo {
                        id,
                        name,
                        encrypted: vault::is_encrypted(&db),
                    });
                }
                out.sort_by_key(|p| p.name.to_lowercase());
                Ok(out)
            }
        }
    }

    fn db_of(&self, id: &str) -> Result<PathBuf> {
        let not_found = || CoreError::NotFound {
            entity: "profile",
            id: id.to_string(),
        };
        let db = match &self.profiles {
            Profiles::Single(db) if id == SINGLE_ID => db.clone(),
            Profiles::Dir(root) if valid_id(id) => root.join(id).join(DB_NAME),
            _ => return Err(not_found()),
        };
        if db.exists() {
            Ok(db)
        } else {
            Err(not_found())
        }
    }

    fn meta_path_of(&self, db: &Path) -> PathBuf {
        match self.profiles {
            Profiles::Single(_) => single_meta_path(db),
            Profiles::Dir(_) => meta_path(db),
        }
    }

    /// The profile a call means: the one named, or the only one there is.
    fn pick(&self, profile: Option<&str>) -> Result<String> {
        if let Some(p) = profile.filter(|p| !p.is_empty()) {
            return Ok(p.to_string());
        }
        let all = self.list()?;
        match all.as_slice() {
            [one] => Ok(one.id.clone()),
            [] => Err(CoreError::NotInitialised),
            _ => Err(CoreError::invalid("profile", "Choose who you are")),
        }
    }

    fn idle_for(&self, db: &Path) -> Duration {
        read_meta(&self.meta_path_of(db))
            .and_then(|m| m.idle_lock_minutes)
            .map(|m| Duration::from_secs(u64::from(m) * 60))
            .unwrap_or(DEFAULT_IDLE_LOCK)
    }

    fn open_session(&mut self, id: String, db: PathBuf, store: Store) {
        let mut session = Session::new(&db, self.idle_for(&db));
        session.unlocked_with(store);
        self.session = Some(session);
        self.current = Some(id);
        // Listed once per unlock: the window asks for the lock state every few seconds.
        self.listed = self.list().ok();
        tracing::info!("unlocked");
    }

    /// Locks now: the store, and SQLCipher's copy of the key with it, is dropped.
    pub fn lock(&mut self) {
        // A sync that is out stops before its next request and drops its own connection.
        self.stop_sync.store(true, Ordering::SeqCst);
        if let Some(mut s) = self.session.take() {
            s.lock();
        }
        self.current = None;
        self.listed = None;
    }

    /// Locks if the worker has been idle too long; call it every few seconds from a timer.
    pub fn tick(&mut self, now: Instant) {
        let unlocked = self.session.as_mut().is_some_and(|s| s.check_idle(now));
        if !unlocked && self.session.is_some() {
            self.lock();
        }
    }

    pub fn is_unlocked(&mut self) -> bool {
        self.tick(Instant::now());
        self.session.is_some()
    }

    /// The unlocked store for one call (counts as activity), or `Locked`.
    pub fn store(&mut self) -> Result<&mut Store> {
        self.tick(Instant::now());
        self.session
            .as_mut()
            .ok_or(CoreError::Locked)
            .and_then(Session::store)
    }

    /// One call from the UI: the gate's own, or — when unlocked — the core API's.
    pub fn call(&mut self, method: &str, args: Value) -> Result<Value> {
        if !GATE_METHODS.contains(&method) {
            let store = self.store()?;
            return api::dispatch(store, method, args);
        }
        let request: GateRequest = api::parse_call(method, args)?;
        self.handle(request)
    }

    /// Like [`Gate::call`], from the request's JSON bytes as a transport received them. The
    /// gate's own calls carry passphrases and recovery codes: those are read straight from a
    /// zeroizing buffer into zeroizing strings, never through a `serde_json::Value` (whose
    /// strings would stay in freed memory).
    pub fn call_json(&mut self, method: &str, body: &[u8]) -> Result<Value> {
        let blank = body.iter().all(u8::is_ascii_whitespace);
        if !GATE_METHODS.contains(&method) {
            let args = if blank {
                Value::Null
            } else {
                serde_json::from_slice(body).map_err(|e| api::malformed(method, &e))?
            };
            return self.call(method, args);
        }
        let framed = |with_args: bool| -> Result<GateRequest> {
            let name = serde_json::to_vec(method).map_err(|e| api::malformed(method, &e))?;
            // Sized up front: growing would leave unzeroized copies behind.
            let mut buf = Zeroizing::new(Vec::with_capacity(body.len() + name.len() + 32));
            buf.extend_from_slice(b"{\"method\":");
            buf.extend_from_slice(&name);
            if with_args && !blank {
                buf.extend_from_slice(b",\"args\":");
                buf.extend_from_slice(body);
            }
            buf.push(b'}');
            serde_json::from_slice(&buf).map_err(|e| api::malformed(method, &e))
        };
        // Calls without arguments are accepted with an empty body or `{}`.
        let request = framed(true).or_else(|e| framed(false).map_err(|_| e))?;
        self.handle(request)
    }

    fn handle(&mut self, request: GateRequest) -> Result<Value> {
        use GateRequest as G;
        match request {
            G::LockState => self.lock_state(),
            G::Vocabularies => Ok(api::vocabularies()),
            G::Lock => {
                self.lock();
                self.lock_state()
            }
            G::KeepAlive => {
                self.store()?;
                Ok(Value::Null)
            }
            G::CreateProfile {
                passphrase,
                passphrase_again,
                setup,
                join,
                demo,
            } => self.create_profile(&passphrase, &passphrase_again, setup, join, demo),
            G::SyncNow => self.sync_now(),
            G::SaveGreenBook { person_id, options } => {
                let Some(dir) = self.save_dir.clone() else {
                    return Err(CoreError::NotAllowed(
                        "saving straight to a folder works in the desktop app only".into(),
                    ));
                };
                let path = self.store()?.save_green_book(person_id, &options, &dir)?;
                Ok(json!({
                    "path": path.display().to_string(),
                    "file_name": path.file_name().map(|n| n.to_string_lossy().into_owned()),
                }))
            }
            G::Unlock {
                profile,
                passphrase,
            } => {
                let id = self.pick(profile.as_deref())?;
                let db = self.db_of(&id)?;
                if !vault::is_encrypted(&db) {
                    return Err(CoreError::NotAllowed(
                        "this database is not encrypted yet: choose a passphrase to encrypt it first"
                            .into(),
                    ));
                }
                if passphrase.is_empty() {
                    return Err(CoreError::invalid("passphrase", "Type your passphrase"));
                }
                self.lock();
                let store = Store::unlock(&db, &passphrase)?;
                self.open_session(id, db, store);
                self.lock_state()
            }
            G::ChangePassphrase {
                current,
                new_passphrase,
                new_passphrase_again,
            } => {
                self.store()?;
                let db = self.current_db()?;
                vault::check_new_passphrase("new_passphrase", &new_passphrase)?;
                same(
                    "new_passphrase_again",
                    &new_passphrase,
                    &new_passphrase_again,
                )?;
                vault::change_passphrase(&db, &current, &new_passphrase).map_err(|e| match e {
                    CoreError::WrongPassphrase { .. } => {
                        CoreError::invalid("current", "That is not your current passphrase")
                    }
                    other => other,
                })?;
                tracing::info!("passphrase changed");
                Ok(json!({ "changed": true }))
            }
            G::Recover {
                profile,
                recovery_code,
                new_passphrase,
                new_passphrase_again,
            } => {
                let id = self.pick(profile.as_deref())?;
                let db = self.db_of(&id)?;
                vault::check_new_passphrase("new_passphrase", &new_passphrase)?;
                same(
                    "new_passphrase_again",
                    &new_passphrase,
                    &new_passphrase_again,
                )?;
                self.lock();
                let key = vault::recover(&db, &recovery_code, &new_passphrase)?;
                let store = Store::open(&db, Some(&key))?;
                self.open_session(id, db, store);
                tracing::info!("passphrase reset with the recovery code");
                self.lock_state()
            }
            G::EncryptProfile {
                profile,
                passphrase,
                passphrase_again,
            } => {
                let id = self.pick(profile.as_deref())?;
                let db = self.db_of(&id)?;
                same("passphrase_again", &passphrase, &passphrase_again)?;
                self.lock();
                let code = vault::encrypt_existing(&db, &passphrase, self.kdf)?;
                let store = Store::unlock(&db, &passphrase)?;
                if let Ok(actor) = store.actor() {
                    let name = store.worker(actor.worker_id)?.name;
                    self.write_meta(&db, |m| m.name = name)?;
                }
                self.open_session(id, db, store);
                let mut state = self.lock_state()?;
                state["recovery_code"] = json!(code.0.as_str());
                Ok(state)
            }
            G::SetIdleLock { minutes } => {
                self.store()?;
                if !(MIN_IDLE_MINUTES..=MAX_IDLE_MINUTES).contains(&minutes) {
                    return Err(CoreError::invalid(
                        "minutes",
                        format!(
                            "Lock after between {MIN_IDLE_MINUTES} and {MAX_IDLE_MINUTES} minutes without use"
                        ),
                    ));
                }
                let db = self.current_db()?;
                self.write_meta(&db, |m| m.idle_lock_minutes = Some(minutes))?;
                if let Some(s) = self.session.as_mut() {
                    s.set_idle_lock(Duration::from_secs(u64::from(minutes) * 60));
                }
                self.lock_state()
            }
        }
    }

    fn current_db(&self) -> Result<PathBuf> {
        let id = self.current.as_deref().ok_or(CoreError::Locked)?;
        self.db_of(id)
    }

    fn write_meta(&self, db: &Path, change: impl FnOnce(&mut ProfileMeta)) -> Result<()> {
        let path = self.meta_path_of(db);
        let mut meta = read_meta(&path).unwrap_or_default();
        change(&mut meta);
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(&meta)?).map_err(io)?;
        std::fs::rename(&tmp, &path).map_err(io)
    }

    /// Where the unlock screen stands: set-up, locked (with the profiles to choose from), or
    /// unlocked (with whose profile and the auto-lock time).
    pub fn lock_state(&mut self) -> Result<Value> {
        let unlocked = self.is_unlocked();
        // Locked, the profiles are read afresh for the unlock screen; unlocked, from the
        // list taken at unlock, so the window's frequent checks touch no files.
        let profiles = match &self.listed {
            Some(listed) if unlocked => listed.clone(),
            _ => self.list()?,
        };
        let state = if unlocked {
            "unlocked"
        } else if profiles.is_empty() {
            "setup"
        } else {
            "locked"
        };
        let idle = self
            .session
            .as_ref()
            .map_or(DEFAULT_IDLE_LOCK, Session::idle_lock);
        Ok(json!({
            "state": state,
            "profiles": profiles,
            "current": if unlocked { self.current.clone() } else { None },
            "can_add_profile": matches!(self.profiles, Profiles::Dir(_)),
            "idle_lock_minutes": idle.as_secs() / 60,
        }))
    }

    fn sync_now(&mut self) -> Result<Value> {
        let mut job = self.sync_now_begin()?;
        let outcome = job.run();
        self.sync_now_finish(job, outcome)
    }

    fn create_profile(
        &mut self,
        passphrase: &str,
        passphrase_again: &str,
        setup: Option<SetupInput>,
        join: Option<Join>,
        demo: bool,
    ) -> Result<Value> {
        // Check everything the worker typed before anything is created on disk.
        let mut errors = Vec::new();
        match (&setup, &join) {
            (_, Some(j)) => {
                let server = j.server.trim();
                if !(server.starts_with("https://") || server.starts_with("http://")) {
                    errors.push(crate::FieldError::new(
                        "server",
                        "Type the server address you were given, starting https://",
                    ));
                }
                if j.code.trim().is_empty() {
                    errors.push(crate::FieldError::new(
                        "code",
                        "Type the enrolment code you were given",
                    ));
                }
                if self.connector.is_none() {
                    return Err(CoreError::NotAllowed(
                        "joining a server is not available in this window".into(),
                    ));
                }
            }
            (Some(setup), None) => {
                if let Err(CoreError::Invalid(e)) = crate::records::people::check_setup(setup) {
                    errors.extend(e);
                }
            }
            (None, None) => {
                return Err(CoreError::invalid(
                    "setup",
                    "Say who you are and your team, or join your organisation's server",
                ));
            }
        }
        if let Err(CoreError::Invalid(e)) = vault::check_new_passphrase("passphrase", passphrase) {
            errors.extend(e);
        } else if let Err(CoreError::Invalid(e)) =
            same("passphrase_again", passphrase, passphrase_again)
        {
            errors.extend(e);
        }
        if !errors.is_empty() {
            return Err(CoreError::Invalid(errors));
        }
        let (id, db) = match &self.profiles {
            Profiles::Single(db) => {
                if db.exists() {
                    return Err(CoreError::NotAllowed(
                        "Linkwell is already set up with this database".into(),
                    ));
                }
                (SINGLE_ID.to_string(), db.clone())
            }
            Profiles::Dir(root) => {
                let id = uuid::Uuid::now_v7().simple().to_string();
                let dir = root.join(&id);
                std::fs::create_dir_all(&dir).map_err(io)?;
                (id, dir.join(DB_NAME))
            }
        };
        self.lock();
        let built = match (setup, join) {
            (_, Some(join)) => self.join_profile(&db, passphrase, &join),
            (Some(setup), None) => self.build_profile(&db, passphrase, setup, demo),
            (None, None) => unreachable!("checked above"),
        };
        match built {
            Ok((store, code)) => {
                self.open_session(id, db, store);
                let mut state = self.lock_state()?;
                state["recovery_code"] = json!(code.0.as_str());
                Ok(state)
            }
            Err(e) => {
                // No half-made profile is left behind.
                self.remove_profile_files(&db);
                Err(e)
            }
        }
    }

    fn build_profile(
        &self,
        db: &Path,
        passphrase: &str,
        setup: SetupInput,
        demo: bool,
    ) -> Result<(Store, vault::RecoveryCode)> {
        let name = setup.worker_name.trim().to_string();
        let (mut store, code) = Store::create_encrypted(db, passphrase, self.kdf)?;
        api::handle(&mut store, api::Request::Setup { setup, demo })?;
        self.write_meta(db, |m| m.name = name)?;
        Ok((store, code))
    }

    /// Set-up by enrolment: the worker and their teams come from the server, then a first
    /// sync brings down what this worker may see.
    fn join_profile(
        &self,
        db: &Path,
        passphrase: &str,
        join: &Join,
    ) -> Result<(Store, vault::RecoveryCode)> {
        let connect = self
            .connector
            .as_ref()
            .ok_or_else(|| CoreError::NotAllowed("joining a server is not available".into()))?;
        let server = join.server.trim().trim_end_matches('/');
        let mut transport = connect(server);
        let (mut store, code) = Store::create_encrypted(db, passphrase, self.kdf)?;
        let enrolled = store
            .enrol(&mut *transport, server, &join.code)
            .map_err(|e| match e {
                SyncError::Transport(TransportError::Unreachable(_)) => CoreError::invalid(
                    "server",
                    "That server could not be reached: check the address and the connection",
                ),
                SyncError::Transport(TransportError::Refused { body, .. }) => {
                    CoreError::invalid("code", body.message)
                }
                other => other.into_core(),
            })?;
        // A first sync now is a convenience: if it fails, the status line says so.
        let _ = store.sync(&mut *transport);
        let name = enrolled.worker.name.clone();
        self.write_meta(db, |m| m.name = name)?;
        Ok((store, code))
    }

    fn remove_profile_files(&self, db: &Path) {
        match &self.profiles {
            Profiles::Dir(_) => {
                if let Some(dir) = db.parent() {
                    let _ = std::fs::remove_dir_all(dir);
                }
            }
            Profiles::Single(_) => {
                for p in [
                    db.to_path_buf(),
                    vault::key_file(db),
                    single_meta_path(db),
                    sidecar(db, "-wal"),
                    sidecar(db, "-shm"),
                ] {
                    let _ = std::fs::remove_file(p);
                }
            }
        }
    }
}

fn sidecar(db: &Path, suffix: &str) -> PathBuf {
    let mut p = db.as_os_str().to_os_string();
    p.push(suffix);
    PathBuf::from(p)
}

fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric())
}

fn read_meta(path: &Path) -> Option<ProfileMeta> {
    std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
}
