//! Files only this account can read: every file Linkwell writes is 0600 and every folder of
//! its own 0700, so another account on a shared laptop cannot copy the key file (and guess
//! passphrases offline, where the lockout does not count) or the database. SQLite gives the
//! WAL and shared-memory files the database file's own mode, so a database created 0600
//! keeps its companions 0600 too.

use std::io;
use std::path::{Path, PathBuf};

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> io::Result<()> {
    Ok(())
}

/// Creates a folder of Linkwell's own (and its parents) and makes it 0700.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    set_mode(dir, 0o700)
}

/// Opens a new file for writing, 0600 from its first byte.
pub fn create_private(path: &Path) -> io::Result<std::fs::File> {
    let mut open = std::fs::OpenOptions::new();
    open.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
    let f = open.open(path)?;
    // An existing file keeps its mode when opened: set it.
    set_mode(path, 0o600)?;
    Ok(f)
}

/// Writes a whole file (an export, a key file's copy), 0600.
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write as _;
    create_private(path)?.write_all(bytes)
}

/// A database file and its companions (`-wal`, `-shm`, the key file), 0600: created empty
/// if it does not exist yet, so SQLite creates the companions 0600 too.
pub fn private_database(db: &Path) -> io::Result<()> {
    if !db.exists() {
        create_private(db)?;
    }
    for p in companions(db) {
        if p.exists() {
            set_mode(&p, 0o600)?;
        }
    }
    Ok(())
}

fn companions(db: &Path) -> Vec<PathBuf> {
    let mut out = vec![db.to_path_buf(), super::vault::key_file(db)];
    for ext in ["-wal", "-shm"] {
        let mut p = db.as_os_str().to_os_string();
        p.push(ext);
        out.push(PathBuf::from(p));
    }
    out
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::records::people::PersonInput;
    use std::os::unix::fs::PermissionsExt as _;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_new_encrypted_database_its_wal_and_key_file_are_this_accounts_only() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("profiles").join("p1");
        private_dir(&folder).unwrap();
        let db = folder.join("linkwell.db");
        let kdf = crate::security::vault::KdfParams {
            memory_kib: 8 * 1024,
            passes: 1,
            lanes: 1,
        };
        let (mut store, _code) =
            crate::Store::create_encrypted(&db, "correct horse battery staple", kdf).unwrap();
        store
            .init(&crate::records::people::SetupInput {
                team_name: "T".into(),
                locality: None,
                worker_name: "W".into(),
                role: "link_worker".into(),
                phone: None,
                email: None,
            })
            .unwrap();
        store
            .add_person(&PersonInput {
                given_name: "Ada".into(),
                family_name: "Lovelace".into(),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(mode(&folder), 0o700);
        let files = companions(&db);
        assert!(
            files.iter().filter(|p| p.exists()).count() >= 3,
            "db, key file and WAL"
        );
        for p in files.iter().filter(|p| p.exists()) {
            assert_eq!(mode(p), 0o600, "{}", p.display());
        }
        let export = folder.join("export.json");
        write_private(&export, b"{}").unwrap();
        assert_eq!(mode(&export), 0o600);
    }
}
