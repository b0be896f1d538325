//! Sync from the gate: a [`SyncJob`] runs on a connection of its own with the gate released,
//! "Sync now" and the background schedule start and finish jobs, and [`SharedGate`] lets a
//! multi-threaded shell run them without holding the gate.

use crate::error::{CoreError, Refusal, Result};
use crate::security::unlocked::UnlockedSession;
use crate::store::Store;
use crate::sync::{SyncError, SyncReport, SyncStatus, SyncTransport, TransportError};
use serde_json::Value;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::Gate;

/// What "Sync now" did, and the honest status after it.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct SyncOutcome {
    pub ok: bool,
    /// The server could not be reached (the laptop retries by itself).
    pub offline: bool,
    pub report: Option<SyncReport>,
    /// In the worker's words.
    pub error: Option<String>,
    pub status: SyncStatus,
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
    pub fn on_timer(&self, now: Instant) -> Result<()> {
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
pub(super) const AUTO_SYNC_EVERY: Duration = Duration::from_secs(15 * 60);

impl Gate {
    /// Syncs by itself while unlocked and enrolled: every 15 minutes when all is well, and
    /// with growing waits (5 s doubling to 15 min) while the server cannot be reached, so a
    /// laptop back in Wi-Fi syncs soon after without anyone pressing anything. Call it from a
    /// timer; it returns at once when nothing is due. (A shell sharing the gate between
    /// threads uses [`SharedGate::on_timer`], which runs the sync with the gate released.)
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
        self.lock_if_idle(now);
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
    pub(super) fn sync_job(&mut self) -> Result<SyncJob> {
        if self.syncing.load(Ordering::SeqCst) {
            return Err(Refusal::SyncAlreadyRunning.into());
        }
        let Some(connect) = self.connector.as_ref() else {
            return Err(Refusal::SyncNotOffered.into());
        };
        let profile = self.current.clone().ok_or(CoreError::Locked)?;
        let store = self
            .session
            .as_mut()
            .ok_or(CoreError::Locked)
            .and_then(UnlockedSession::store_without_activity)?;
        let url = store
            .sync_server_url()
            .map_err(CoreError::from)?
            .ok_or(Refusal::NotJoined)?;
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
        let status = job.store.sync_status().map_err(CoreError::from)?;
        self.schedule_next_sync(&outcome, Instant::now());
        Ok(serde_json::to_value(SyncOutcome {
            ok: outcome.is_ok(),
            offline: outcome.as_ref().err().is_some_and(SyncError::is_offline),
            report: outcome.as_ref().ok().cloned(),
            error: outcome.as_ref().err().map(ToString::to_string),
            status,
        })?)
    }

    /// When to sync by itself next: soon (backoff) after an offline failure, so coming back
    /// into Wi-Fi syncs without a press; otherwise in 15 minutes (refusals need a person and
    /// are shown in the status line).
    pub(super) fn schedule_next_sync<T>(
        &mut self,
        outcome: &std::result::Result<T, SyncError>,
        now: Instant,
    ) {
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
}
