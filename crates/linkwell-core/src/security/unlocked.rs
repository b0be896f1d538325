//! An unlocked working session for a transport (the desktop app, the bridge): holds the open
//! store only while unlocked, and locks itself after a period without activity. Locked means
//! the store — and with it SQLCipher's copy of the key — is dropped, so nothing about any
//! person can be read until the passphrase is given again.

use crate::error::{CoreError, Result};
use crate::store::Store;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub const DEFAULT_IDLE_LOCK: Duration = Duration::from_secs(5 * 60);

#[derive(Debug)]
pub struct UnlockedSession {
    db: PathBuf,
    store: Option<Store>,
    idle_lock: Duration,
    last_activity: Instant,
}

impl UnlockedSession {
    pub fn new(db: &Path, idle_lock: Duration) -> UnlockedSession {
        UnlockedSession {
            db: db.to_path_buf(),
            store: None,
            idle_lock,
            last_activity: Instant::now(),
        }
    }

    pub fn db_path(&self) -> &Path {
        &self.db
    }

    /// Unlocks with the passphrase (offline; wrong attempts slow down).
    pub fn unlock(&mut self, passphrase: &str) -> Result<()> {
        self.store = Some(Store::unlock(&self.db, passphrase)?);
        self.last_activity = Instant::now();
        Ok(())
    }

    /// Uses an already-open store (e.g. straight after set-up).
    pub fn unlocked_with(&mut self, store: Store) {
        self.store = Some(store);
        self.last_activity = Instant::now();
    }

    pub fn lock(&mut self) {
        if self.store.take().is_some() {
            tracing::info!("locked");
        }
    }

    pub fn idle_lock(&self) -> Duration {
        self.idle_lock
    }

    pub fn set_idle_lock(&mut self, idle: Duration) {
        self.idle_lock = idle;
    }

    /// Locks if the idle time has passed; true while unlocked.
    pub fn check_idle(&mut self, now: Instant) -> bool {
        if self.store.is_some() && now.duration_since(self.last_activity) >= self.idle_lock {
            self.lock();
        }
        self.store.is_some()
    }

    pub fn is_unlocked(&mut self) -> bool {
        self.check_idle(Instant::now())
    }

    /// The store for one call, counting as activity; `Locked` when locked or idle too long.
    pub fn store(&mut self) -> Result<&mut Store> {
        self.store_at(Instant::now())
    }

    /// The store for background work (auto-sync): does not count as the worker's activity.
    pub fn store_without_activity(&mut self) -> Result<&mut Store> {
        if !self.check_idle(Instant::now()) {
            return Err(CoreError::Locked);
        }
        self.store.as_mut().ok_or(CoreError::Locked)
    }

    pub fn store_at(&mut self, now: Instant) -> Result<&mut Store> {
        if !self.check_idle(now) {
            return Err(CoreError::Locked);
        }
        self.last_activity = now;
        self.store.as_mut().ok_or(CoreError::Locked)
    }
}
