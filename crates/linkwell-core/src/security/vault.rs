//! Encryption at rest: the database key and how it is unlocked.
//!
//! The database is encrypted by SQLCipher with a random 32-byte key used raw (no key
//! derivation at every open). That key is stored only wrapped (XChaCha20-Poly1305) by keys
//! derived with Argon2id — one from the worker's passphrase, one from a recovery code shown
//! once at set-up — in a key file next to the database. Changing the passphrase re-wraps the
//! key; the data is not re-encrypted. Wrong passphrases are counted in the key file (so the
//! count survives a restart) and each attempt after the third must wait longer.

use crate::error::{CoreError, Refusal, Result};
use crate::store::DbKey;
use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use zeroize::{Zeroize, Zeroizing};

/// Argon2id cost. The defaults follow RFC 9106's second recommended option (64 MiB, 3
/// passes) with one lane: about a third of a second on a modest laptop — slow for a guesser,
/// quick enough for a worker unlocking at the start of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    pub memory_kib: u32,
    pub passes: u32,
    pub lanes: u32,
}

impl Default for KdfParams {
    fn default() -> Self {
        KdfParams {
            memory_kib: 64 * 1024,
            passes: 3,
            lanes: 1,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Wrapped {
    salt: String,
    nonce: String,
    ciphertext: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct KeyFile {
    version: u32,
    kdf: KdfParams,
    passphrase: Wrapped,
    recovery: Wrapped,
    failed_attempts: u32,
    last_failed_at: Option<i64>,
}

/// A recovery code: 24 random base-32 characters in groups of four. Shown once.
pub struct RecoveryCode(pub Zeroizing<String>);

impl std::fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecoveryCode(..)")
    }
}

/// Where the key file for a database lives.
pub fn key_file(db: &Path) -> PathBuf {
    let mut name = db.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".keys.json");
    db.with_file_name(name)
}

pub fn is_encrypted(db: &Path) -> bool {
    key_file(db).exists()
}

const MIN_PASSPHRASE: usize = 10;

fn check_passphrase(p: &str) -> Result<()> {
    check_new_passphrase("passphrase", p)
}

/// The rule for a new passphrase, reported against the form field `field`.
pub fn check_new_passphrase(field: &str, p: &str) -> Result<()> {
    if p.chars().count() < MIN_PASSPHRASE {
        return Err(CoreError::invalid(
            field,
            format!(
                "The passphrase must be at least {MIN_PASSPHRASE} characters; a few words together are easy to remember and hard to guess"
            ),
        ));
    }
    Ok(())
}

fn unhex(s: &str) -> Result<Vec<u8>> {
    hex::decode(s).map_err(|_| CoreError::Corrupt("key file: bad hex".into()))
}

fn derive(secret: &[u8], salt: &[u8], kdf: KdfParams) -> Result<Zeroizing<[u8; 32]>> {
    let params = Params::new(kdf.memory_kib, kdf.passes, kdf.lanes, Some(32))
        .map_err(|e| CoreError::Corrupt(format!("key file: bad KDF parameters: {e}")))?;
    let mut out = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(secret, salt, out.as_mut())
        .map_err(|e| CoreError::Corrupt(format!("key derivation failed: {e}")))?;
    Ok(out)
}

fn wrap(key: &DbKey, secret: &[u8], kdf: KdfParams) -> Result<Wrapped> {
    let mut salt = [0u8; 16];
    let mut nonce = [0u8; 24];
    rand::rng().fill_bytes(&mut salt);
    rand::rng().fill_bytes(&mut nonce);
    let kek = derive(secret, &salt, kdf)?;
    let cipher = XChaCha20Poly1305::new(kek.as_ref().into());
    let ciphertext = cipher
        .encrypt(XNonce::from_slice(&nonce), key.0.as_slice())
        .map_err(|_| CoreError::Corrupt("could not wrap the key".into()))?;
    Ok(Wrapped {
        salt: hex::encode(salt),
        nonce: hex::encode(nonce),
        ciphertext: hex::encode(&ciphertext),
    })
}

/// None when the secret is wrong (authentication fails).
fn unwrap_key(w: &Wrapped, secret: &[u8], kdf: KdfParams) -> Result<Option<DbKey>> {
    let kek = derive(secret, &unhex(&w.salt)?, kdf)?;
    let cipher = XChaCha20Poly1305::new(kek.as_ref().into());
    let Ok(mut plain) = cipher.decrypt(
        XNonce::from_slice(&unhex(&w.nonce)?),
        unhex(&w.ciphertext)?.as_slice(),
    ) else {
        return Ok(None);
    };
    if plain.len() != 32 {
        plain.zeroize();
        return Err(CoreError::Corrupt(
            "key file: wrapped key has the wrong length".into(),
        ));
    }
    let mut key = [0u8; 32];
    key.copy_from_slice(&plain);
    plain.zeroize();
    Ok(Some(DbKey(key)))
}

fn new_recovery_code() -> RecoveryCode {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = Zeroizing::new([0u8; 24]);
    rand::rng().fill_bytes(bytes.as_mut());
    let mut code = Zeroizing::new(String::with_capacity(29));
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            code.push('-');
        }
        code.push(ALPHABET[usize::from(*b) % ALPHABET.len()] as char);
    }
    RecoveryCode(code)
}

/// Recovery codes are compared without dashes, spaces or case.
fn normalise_code(code: &str) -> Zeroizing<String> {
    Zeroizing::new(
        code.chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_uppercase())
            .collect(),
    )
}

fn read(db: &Path) -> Result<KeyFile> {
    let text = std::fs::read_to_string(key_file(db)).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Refusal::NoKeyFile.into()
        } else {
            CoreError::Corrupt(format!("key file could not be read: {e}"))
        }
    })?;
    serde_json::from_str(&text).map_err(|e| CoreError::Corrupt(format!("key file is damaged: {e}")))
}

/// Writes the key file atomically: a temporary file, fsync, then rename over the old one.
fn write(db: &Path, kf: &KeyFile) -> Result<()> {
    use std::io::Write;
    let path = key_file(db);
    let tmp = path.with_extension("json.tmp");
    let io = |e: std::io::Error| CoreError::Corrupt(format!("key file could not be written: {e}"));
    let mut f = super::files::create_private(&tmp).map_err(io)?;
    f.write_all(serde_json::to_string_pretty(kf)?.as_bytes())
        .map_err(io)?;
    f.sync_all().map_err(io)?;
    std::fs::rename(&tmp, &path).map_err(io)?;
    Ok(())
}

/// Creates a new random database key and its key file. Returns the key (to open the new
/// database with) and the recovery code to show the worker once.
pub fn create(db: &Path, passphrase: &str, kdf: KdfParams) -> Result<(DbKey, RecoveryCode)> {
    check_passphrase(passphrase)?;
    if key_file(db).exists() {
        return Err(Refusal::KeyFileExists.into());
    }
    let mut key = DbKey([0u8; 32]);
    rand::rng().fill_bytes(&mut key.0);
    let code = new_recovery_code();
    let kf = KeyFile {
        version: 1,
        kdf,
        passphrase: wrap(&key, passphrase.as_bytes(), kdf)?,
        recovery: wrap(&key, normalise_code(&code.0).as_bytes(), kdf)?,
        failed_attempts: 0,
        last_failed_at: None,
    };
    write(db, &kf)?;
    Ok((key, code))
}

/// Seconds a worker must wait before the next attempt after `failures` wrong passphrases:
/// none for the first three, then 2, 4, 8... up to 5 minutes.
pub fn delay_after(failures: u32) -> i64 {
    if failures < 3 {
        0
    } else {
        (1i64 << (failures - 2).min(9)).min(300)
    }
}

/// Unlocks with the passphrase. Works offline. Wrong passphrases are counted in the key file.
pub fn unlock(db: &Path, passphrase: &str) -> Result<DbKey> {
    unlock_at(db, passphrase, chrono::Utc::now().timestamp())
}

pub fn unlock_at(db: &Path, passphrase: &str, now: i64) -> Result<DbKey> {
    let mut kf = read(db)?;
    if let Some(last) = kf.last_failed_at {
        let wait = last + delay_after(kf.failed_attempts) - now;
        if wait > 0 {
            return Err(CoreError::TryAgainLater { seconds: wait });
        }
    }
    match unwrap_key(&kf.passphrase, passphrase.as_bytes(), kf.kdf)? {
        Some(key) => {
            if kf.failed_attempts > 0 {
                kf.failed_attempts = 0;
                kf.last_failed_at = None;
                write(db, &kf)?;
            }
            Ok(key)
        }
        None => {
            kf.failed_attempts += 1;
            kf.last_failed_at = Some(now);
            write(db, &kf)?;
            tracing::warn!(failures = kf.failed_attempts, "wrong passphrase");
            Err(CoreError::WrongPassphrase {
                failures: kf.failed_attempts,
                wait_seconds: delay_after(kf.failed_attempts),
            })
        }
    }
}

/// Re-wraps the key under a new passphrase; the database itself is not re-encrypted.
pub fn change_passphrase(db: &Path, old: &str, new: &str) -> Result<()> {
    check_passphrase(new)?;
    let key = unlock(db, old)?;
    let mut kf = read(db)?;
    kf.passphrase = wrap(&key, new.as_bytes(), kf.kdf)?;
    write(db, &kf)
}

/// Unwraps the key with the recovery code and sets a new passphrase. The recovery code stays
/// valid (it was written down once; a new one can be issued with [`new_recovery`]).
pub fn recover(db: &Path, code: &str, new_passphrase: &str) -> Result<DbKey> {
    check_passphrase(new_passphrase)?;
    let mut kf = read(db)?;
    let key =
        unwrap_key(&kf.recovery, normalise_code(code).as_bytes(), kf.kdf)?.ok_or_else(|| {
            CoreError::invalid(
                "recovery_code",
                "That recovery code does not match this database",
            )
        })?;
    kf.passphrase = wrap(&key, new_passphrase.as_bytes(), kf.kdf)?;
    kf.failed_attempts = 0;
    kf.last_failed_at = None;
    write(db, &kf)?;
    Ok(key)
}

/// Issues a new recovery code (the old one stops working).
pub fn new_recovery(db: &Path, passphrase: &str) -> Result<RecoveryCode> {
    let key = unlock(db, passphrase)?;
    let mut kf = read(db)?;
    let code = new_recovery_code();
    kf.recovery = wrap(&key, normalise_code(&code.0).as_bytes(), kf.kdf)?;
    write(db, &kf)?;
    Ok(code)
}

/// Encrypts an existing plain database in place: copies it into a new encrypted file with
/// SQLCipher's export, checks the copy, then replaces the original. Returns the recovery code.
pub fn encrypt_existing(db: &Path, passphrase: &str, kdf: KdfParams) -> Result<RecoveryCode> {
    check_passphrase(passphrase)?;
    if is_encrypted(db) {
        return Err(Refusal::AlreadyEncrypted.into());
    }
    let plain = rusqlite::Connection::open(db)?;
    let version: i64 = plain.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    plain.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
    let tmp = db.with_extension("encrypting");
    let _ = std::fs::remove_file(&tmp);
    let (key, code) = create(&tmp, passphrase, kdf)?;
    private(&tmp)?;
    let hex_key = Zeroizing::new(hex::encode(&key.0));
    let attach = Zeroizing::new(format!(
        "ATTACH DATABASE '{}' AS encrypted KEY \"x'{}'\"; SELECT sqlcipher_export('encrypted'); PRAGMA encrypted.user_version = {version}; DETACH DATABASE encrypted;",
        tmp.display().to_string().replace('\'', "''"),
        hex_key.as_str()
    ));
    plain.execute_batch(&attach)?;
    drop(plain);
    // Check the copy opens with the key before replacing anything.
    let check = crate::Store::open(&tmp, Some(&key))?;
    drop(check);
    for ext in ["-wal", "-shm"] {
        let mut p = db.as_os_str().to_os_string();
        p.push(ext);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
    std::fs::rename(key_file(&tmp), key_file(db)).map_err(|e| CoreError::Corrupt(e.to_string()))?;
    std::fs::rename(&tmp, db).map_err(|e| CoreError::Corrupt(e.to_string()))?;
    for ext in ["-wal", "-shm"] {
        let mut p = tmp.as_os_str().to_os_string();
        p.push(ext);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
    Ok(code)
}

impl crate::Store {
    /// Opens an encrypted database with the worker's passphrase.
    pub fn unlock(db: &Path, passphrase: &str) -> Result<crate::Store> {
        let key = unlock(db, passphrase)?;
        private(db)?;
        crate::Store::open(db, Some(&key))
    }

    /// Creates a new encrypted database; returns it and the recovery code to show once.
    pub fn create_encrypted(
        db: &Path,
        passphrase: &str,
        kdf: KdfParams,
    ) -> Result<(crate::Store, RecoveryCode)> {
        if db.exists() {
            return Err(Refusal::FileExists(db.display().to_string()).into());
        }
        let (key, code) = create(db, passphrase, kdf)?;
        private(db)?;
        Ok((crate::Store::open(db, Some(&key))?, code))
    }
}

/// The database and its companions 0600 (an older Linkwell left them 0644).
fn private(db: &Path) -> Result<()> {
    super::files::private_database(db)
        .map_err(|e| CoreError::Corrupt(format!("could not make {} private: {e}", db.display())))
}
