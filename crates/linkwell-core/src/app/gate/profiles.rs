//! Worker profiles on a shared laptop: where they live, set-up (by hand or by joining a
//! server), listing for the unlock screen, and each profile's small unencrypted settings file.

use crate::app::api;
use crate::error::{CoreError, Refusal, Result};
use crate::records::people::SetupInput;
use crate::security::unlocked::DEFAULT_IDLE_LOCK;
use crate::security::vault;
use crate::store::Store;
use crate::sync::{SyncError, TransportError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;
use zeroize::Zeroizing;

use super::Gate;

/// Joining an organisation's server at set-up, instead of naming the team by hand.
#[derive(Deserialize)]
pub(super) struct Join {
    pub(super) server: String,
    pub(super) code: Zeroizing<String>,
}

pub(super) fn same(field: &str, a: &str, b: &str) -> Result<()> {
    if a == b {
        Ok(())
    } else {
        Err(CoreError::invalid(
            field,
            "The two passphrases are different: type the same passphrase twice",
        ))
    }
}

/// A new passphrase (changed or recovered): strong enough, and typed the same twice.
pub(super) fn check_new_passphrase_twice(new: &str, again: &str) -> Result<()> {
    vault::check_new_passphrase("new_passphrase", new)?;
    same("new_passphrase_again", new, again)
}

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
pub(super) const MIN_IDLE_MINUTES: u32 = 1;
pub(super) const MAX_IDLE_MINUTES: u32 = 60;

/// What the unlock screen may show about a profile: never anything about a person.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct ProfileMeta {
    pub(super) name: String,
    #[serde(default)]
    pub(super) idle_lock_minutes: Option<u32>,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ProfileInfo {
    pub id: String,
    pub name: String,
    /// False for a database from before encryption: it must be encrypted before use.
    pub encrypted: bool,
}

pub(super) fn meta_path(db: &Path) -> PathBuf {
    db.with_file_name("profile.json")
}

pub(super) fn single_meta_path(db: &Path) -> PathBuf {
    let mut name = db.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".profile.json");
    db.with_file_name(name)
}

pub(super) fn io(e: std::io::Error) -> CoreError {
    CoreError::Corrupt(format!("profile could not be written: {e}"))
}

impl Gate {
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
        crate::security::files::private_dir(root).map_err(io)?;
        crate::security::files::private_dir(&dir).map_err(io)?;
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

    pub(super) fn db_of(&self, id: &str) -> Result<PathBuf> {
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

    pub(super) fn meta_path_of(&self, db: &Path) -> PathBuf {
        match self.profiles {
            Profiles::Single(_) => single_meta_path(db),
            Profiles::Dir(_) => meta_path(db),
        }
    }

    /// The profile a call means: the one named, or the only one there is.
    pub(super) fn pick(&self, profile: Option<&str>) -> Result<String> {
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

    pub(super) fn idle_for(&self, db: &Path) -> Duration {
        read_meta(&self.meta_path_of(db))
            .and_then(|m| m.idle_lock_minutes)
            .map(|m| Duration::from_secs(u64::from(m) * 60))
            .unwrap_or(DEFAULT_IDLE_LOCK)
    }

    pub(super) fn write_meta(
        &self,
        db: &Path,
        change: impl FnOnce(&mut ProfileMeta),
    ) -> Result<()> {
        let path = self.meta_path_of(db);
        let mut meta = read_meta(&path).unwrap_or_default();
        change(&mut meta);
        let tmp = path.with_extension("json.tmp");
        crate::security::files::write_private(&tmp, &serde_json::to_vec_pretty(&meta)?)
            .map_err(io)?;
        std::fs::rename(&tmp, &path).map_err(io)
    }

    pub(super) fn create_profile(
        &mut self,
        passphrase: &str,
        passphrase_again: &str,
        setup: Option<SetupInput>,
        join: Option<Join>,
        demo: bool,
    ) -> Result<Value> {
        // Check everything the worker typed before anything is created on disk.
        self.check_new_profile(passphrase, passphrase_again, setup.as_ref(), join.as_ref())?;
        let (id, db) = self.place_new_profile()?;
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
                state.recovery_code = Some(code.0.as_str().to_owned());
                Ok(serde_json::to_value(state)?)
            }
            Err(e) => {
                // No half-made profile is left behind.
                self.remove_profile_files(&db);
                Err(e)
            }
        }
    }

    /// Every field error of the set-up form at once, before anything is created on disk.
    fn check_new_profile(
        &self,
        passphrase: &str,
        passphrase_again: &str,
        setup: Option<&SetupInput>,
        join: Option<&Join>,
    ) -> Result<()> {
        let mut errors = Vec::new();
        match (setup, join) {
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
                    return Err(Refusal::JoinNotOffered.into());
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
        if errors.is_empty() {
            Ok(())
        } else {
            Err(CoreError::Invalid(errors))
        }
    }

    /// The new profile's id and database path (its folder made, in the one-folder-per-worker layout).
    fn place_new_profile(&self) -> Result<(String, PathBuf)> {
        Ok(match &self.profiles {
            Profiles::Single(db) => {
                if db.exists() {
                    return Err(Refusal::ProfileAlreadySetUp.into());
                }
                (SINGLE_ID.to_string(), db.clone())
            }
            Profiles::Dir(root) => {
                let id = uuid::Uuid::now_v7().simple().to_string();
                let dir = root.join(&id);
                crate::security::files::private_dir(root).map_err(io)?;
                crate::security::files::private_dir(&dir).map_err(io)?;
                (id, dir.join(DB_NAME))
            }
        })
    }

    pub(super) fn build_profile(
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
    pub(super) fn join_profile(
        &self,
        db: &Path,
        passphrase: &str,
        join: &Join,
    ) -> Result<(Store, vault::RecoveryCode)> {
        let connect = self.connector.as_ref().ok_or(Refusal::JoinNotOffered)?;
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
                other => CoreError::from(other),
            })?;
        // A first sync now is a convenience: if it fails, the status line says so.
        let _ = store.sync(&mut *transport);
        let name = enrolled.worker.name.clone();
        self.write_meta(db, |m| m.name = name)?;
        Ok((store, code))
    }

    pub(super) fn remove_profile_files(&self, db: &Path) {
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

pub(super) fn sidecar(db: &Path, suffix: &str) -> PathBuf {
    let mut p = db.as_os_str().to_os_string();
    p.push(suffix);
    PathBuf::from(p)
}

pub(super) fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric())
}

pub(super) fn read_meta(path: &Path) -> Option<ProfileMeta> {
    std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
}
