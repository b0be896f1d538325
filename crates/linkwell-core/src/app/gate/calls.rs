//! The calls the gate answers itself (set-up, unlock, lock, passphrases, sync now...), parsed
//! from the UI's JSON; everything else goes to [`crate::app::api`] while unlocked.

use crate::app::api;
use crate::error::{CoreError, Refusal, Result};
use crate::records::people::SetupInput;
use crate::security::unlocked::{DEFAULT_IDLE_LOCK, UnlockedSession};
use crate::security::vault;
use crate::store::Store;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;
use zeroize::Zeroizing;

/// Whether the window shows set-up, the unlock screen, or the worker's day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum LockPhase {
    Setup,
    Locked,
    Unlocked,
}

/// Where the unlock screen stands ([`Gate::lock_state`]).
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct LockState {
    pub state: LockPhase,
    pub profiles: Vec<ProfileInfo>,
    /// The unlocked profile's id.
    pub current: Option<String>,
    /// True when this laptop keeps one profile per worker.
    pub can_add_profile: bool,
    #[ts(type = "number")]
    pub idle_lock_minutes: u64,
    /// Shown once, after set-up or encrypting, for the worker to write down.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub recovery_code: Option<String>,
}

/// Where "Save as PDF" put the Green Book.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct SavedGreenBook {
    pub path: String,
    pub file_name: String,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct PassphraseChanged {
    pub changed: bool,
}

/// Where a PDF was saved, for the window to say.
fn saved(path: &std::path::Path) -> Result<Value> {
    to(SavedGreenBook {
        path: path.display().to_string(),
        file_name: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    })
}

fn to<T: Serialize>(v: T) -> Result<Value> {
    Ok(serde_json::to_value(v)?)
}

use super::Gate;
use super::profiles::{
    Join, MAX_IDLE_MINUTES, MIN_IDLE_MINUTES, ProfileInfo, Profiles, check_new_passphrase_twice,
    same,
};

/// Calls the gate answers itself; everything else goes to the unlocked store.
#[derive(Deserialize, strum::VariantNames)]
#[serde(
    tag = "method",
    content = "args",
    rename_all = "snake_case",
    deny_unknown_fields
)]
#[strum(serialize_all = "snake_case")]
pub(super) enum GateRequest {
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
    /// Imports an Open Referral UK feed from its address, page by page (carrying on where an
    /// import of the same address stopped, unless `restart`).
    ImportDirectoryFeed {
        url: String,
        #[serde(default)]
        restart: bool,
    },
    /// Saves a group's Green Book insert as a PDF in the shell's folder, as the Green Book.
    SaveServicePage {
        service_id: uuid::Uuid,
        #[serde(default)]
        options: crate::read::print::GreenBookOptions,
    },
    /// Saves the Green Book as a PDF in the folder the shell chose (the desktop's Downloads).
    SaveGreenBook {
        person_id: uuid::Uuid,
        #[serde(default)]
        options: crate::read::print::GreenBookOptions,
    },
}

/// The names of the gate's own calls, derived from [`GateRequest`] (serde and strum both
/// spell them in snake_case, so the list cannot drift from the enum).
const GATE_METHODS: &[&str] = <GateRequest as strum::VariantNames>::VARIANTS;

impl Gate {
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

    pub(super) fn handle(&mut self, request: GateRequest) -> Result<Value> {
        use GateRequest as G;
        match request {
            G::LockState => to(self.lock_state()?),
            G::Vocabularies => to(api::vocabularies()),
            G::Lock => {
                self.lock();
                to(self.lock_state()?)
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
            G::ImportDirectoryFeed { url, restart } => {
                let Some(feeds) = self.feeds.as_ref() else {
                    return Err(Refusal::FeedImportNotOffered.into());
                };
                let mut source = feeds();
                let store = self.store()?;
                to(store.import_oruk_feed(&url, &mut *source, restart, &mut |_| {})?)
            }
            G::SaveGreenBook { person_id, options } => {
                let dir = self.save_dir()?;
                saved(&self.store()?.save_green_book(person_id, &options, &dir)?)
            }
            G::SaveServicePage {
                service_id,
                options,
            } => {
                let dir = self.save_dir()?;
                saved(
                    &self
                        .store()?
                        .save_service_page(service_id, &options, &dir)?,
                )
            }
            G::Unlock {
                profile,
                passphrase,
            } => {
                let id = self.pick(profile.as_deref())?;
                let db = self.db_of(&id)?;
                if !vault::is_encrypted(&db) {
                    return Err(Refusal::NotEncryptedYet.into());
                }
                if passphrase.is_empty() {
                    return Err(CoreError::invalid("passphrase", "Type your passphrase"));
                }
                self.lock();
                let store = Store::unlock(&db, &passphrase)?;
                self.open_session(id, db, store);
                to(self.lock_state()?)
            }
            G::ChangePassphrase {
                current,
                new_passphrase,
                new_passphrase_again,
            } => {
                self.store()?;
                let db = self.current_db()?;
                check_new_passphrase_twice(&new_passphrase, &new_passphrase_again)?;
                vault::change_passphrase(&db, &current, &new_passphrase).map_err(|e| match e {
                    CoreError::WrongPassphrase { .. } => {
                        CoreError::invalid("current", "That is not your current passphrase")
                    }
                    other => other,
                })?;
                tracing::info!("passphrase changed");
                to(PassphraseChanged { changed: true })
            }
            G::Recover {
                profile,
                recovery_code,
                new_passphrase,
                new_passphrase_again,
            } => {
                let id = self.pick(profile.as_deref())?;
                let db = self.db_of(&id)?;
                check_new_passphrase_twice(&new_passphrase, &new_passphrase_again)?;
                self.lock();
                let key = vault::recover(&db, &recovery_code, &new_passphrase)?;
                let store = Store::open(&db, Some(&key))?;
                self.open_session(id, db, store);
                tracing::info!("passphrase reset with the recovery code");
                to(self.lock_state()?)
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
                state.recovery_code = Some(code.0.as_str().to_owned());
                to(state)
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
                to(self.lock_state()?)
            }
        }
    }

    fn save_dir(&self) -> Result<PathBuf> {
        self.save_dir
            .clone()
            .ok_or_else(|| Refusal::SaveToFolderNotOffered.into())
    }

    pub(super) fn current_db(&self) -> Result<PathBuf> {
        let id = self.current.as_deref().ok_or(CoreError::Locked)?;
        self.db_of(id)
    }

    /// Where the unlock screen stands: set-up, locked (with the profiles to choose from), or
    /// unlocked (with whose profile and the auto-lock time).
    pub fn lock_state(&mut self) -> Result<LockState> {
        let unlocked = self.is_unlocked();
        // Locked, the profiles are read afresh for the unlock screen; unlocked, from the
        // list taken at unlock, so the window's frequent checks touch no files.
        let profiles = match &self.listed {
            Some(listed) if unlocked => listed.clone(),
            _ => self.list()?,
        };
        let state = if unlocked {
            LockPhase::Unlocked
        } else if profiles.is_empty() {
            LockPhase::Setup
        } else {
            LockPhase::Locked
        };
        let idle = self
            .session
            .as_ref()
            .map_or(DEFAULT_IDLE_LOCK, UnlockedSession::idle_lock);
        Ok(LockState {
            state,
            profiles,
            current: if unlocked { self.current.clone() } else { None },
            can_add_profile: matches!(self.profiles, Profiles::Dir(_)),
            idle_lock_minutes: idle.as_secs() / 60,
            recovery_code: None,
        })
    }

    pub(super) fn sync_now(&mut self) -> Result<Value> {
        let mut job = self.sync_now_begin()?;
        let outcome = job.run();
        self.sync_now_finish(job, outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_gate_methods_are_its_calls() {
        assert!(GATE_METHODS.contains(&"lock_state"));
        assert!(GATE_METHODS.contains(&"save_green_book"));
        assert!(
            !GATE_METHODS.contains(&"today"),
            "the core API's calls are not the gate's"
        );
        // Each name is one serde reads as a gate call.
        for method in GATE_METHODS {
            let parsed: std::result::Result<GateRequest, _> =
                serde_json::from_value(json!({ "method": method }));
            let unknown = parsed
                .err()
                .is_some_and(|e| e.to_string().contains("unknown variant"));
            assert!(!unknown, "{method} is not a gate call");
        }
    }
}
