//! The front door every UI transport (the desktop shell, the browser bridge) talks through:
//! worker profiles on a shared laptop, set-up with a passphrase, unlock, lock and auto-lock.
//! Only while a profile is unlocked do calls reach [`crate::app::api::dispatch`]; locked, every
//! call about people fails with `locked` and no key is held.
//!
//! A profile is one worker's encrypted database with its key file and a small, unencrypted
//! `profile.json` holding only what the unlock screen needs (the worker's display name and
//! their auto-lock setting) — nothing about any person.

mod calls;
mod profiles;
mod sync_job;

pub use profiles::{ProfileInfo, Profiles};
pub use sync_job::{Connector, SharedGate, SyncJob};

/// Makes the source a directory feed's pages are fetched through (the shell's HTTP stack);
/// without one, importing from an address is not offered.
pub type FeedConnector =
    Box<dyn Fn() -> Box<dyn crate::records::oruk::feed::FeedSource + Send> + Send>;

use crate::error::{CoreError, Result};
use crate::security::unlocked::UnlockedSession;
use crate::security::vault::KdfParams;
use crate::store::Store;
use crate::sync::Backoff;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

pub struct Gate {
    profiles: Profiles,
    kdf: KdfParams,
    session: Option<UnlockedSession>,
    current: Option<String>,
    /// The profiles as listed at unlock (None while locked).
    listed: Option<Vec<ProfileInfo>>,
    connector: Option<Connector>,
    feeds: Option<FeedConnector>,
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
            feeds: None,
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

    /// Offers importing a directory feed from its address through this source.
    pub fn with_feed_source(mut self, feeds: FeedConnector) -> Gate {
        self.feeds = Some(feeds);
        self
    }

    /// Offers "Save as PDF" into this folder (the desktop shell passes the worker's Downloads).
    pub fn with_save_dir(mut self, dir: PathBuf) -> Gate {
        self.save_dir = Some(dir);
        self
    }

    pub(super) fn open_session(&mut self, id: String, db: PathBuf, store: Store) {
        let mut session = UnlockedSession::new(&db, self.idle_for(&db));
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
    pub fn lock_if_idle(&mut self, now: Instant) {
        let unlocked = self.session.as_mut().is_some_and(|s| s.check_idle(now));
        if !unlocked && self.session.is_some() {
            self.lock();
        }
    }

    pub fn is_unlocked(&mut self) -> bool {
        self.lock_if_idle(Instant::now());
        self.session.is_some()
    }

    /// The unlocked store for one call (counts as activity), or `Locked`.
    pub fn store(&mut self) -> Result<&mut Store> {
        self.lock_if_idle(Instant::now());
        self.session
            .as_mut()
            .ok_or(CoreError::Locked)
            .and_then(UnlockedSession::store)
    }
}
