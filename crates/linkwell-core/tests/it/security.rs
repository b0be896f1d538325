//! Encryption at rest, unlocking offline, passphrase change and recovery, auto-lock, and the
//! audit trail of who looked at, printed or exported a record.

use crate::{TestDb, new_referral};
use linkwell_core::error::Refusal;
use linkwell_core::records::people::SetupInput;
use linkwell_core::security::unlocked::UnlockedSession;
use linkwell_core::security::vault::{self, KdfParams};
use linkwell_core::{CoreError, Store};
use std::path::Path;
use std::time::{Duration, Instant};

/// Cheap Argon2 settings keep tests quick; the real defaults are measured by `linkwell bench`.
const FAST: KdfParams = KdfParams {
    memory_kib: 8 * 1024,
    passes: 1,
    lanes: 1,
};
const PASS: &str = "correct horse battery staple";
const NAMES: [&str; 4] = ["Zoë", "Łukasz", "Siobhán", "Nguyễn"];

fn setup() -> SetupInput {
    SetupInput {
        team_name: "Rushcliffe".into(),
        worker_name: "Priya Shah".into(),
        role: "link_worker".into(),
        ..Default::default()
    }
}

fn seed_names(store: &mut Store) {
    for (i, name) in NAMES.iter().enumerate() {
        let t = store
            .take_referral(&new_referral(name, "Testperson"))
            .unwrap();
        store
            .add_note(
                t.person.id,
                None,
                &format!("{name} talked about the allotment secret-{i}"),
            )
            .unwrap();
    }
}

fn raw_bytes_reveal_nothing(db: &Path) {
    let mut files = vec![db.to_path_buf()];
    let wal = db.with_file_name(format!("{}-wal", db.file_name().unwrap().to_string_lossy()));
    if wal.exists() {
        files.push(wal);
    }
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        assert!(
            !bytes.starts_with(b"SQLite format 3"),
            "{} is a plain SQLite file",
            f.display()
        );
        for needle in NAMES.iter().map(|n| n.as_bytes()).chain([
            b"Testperson".as_slice(),
            b"allotment".as_slice(),
            b"Rushcliffe".as_slice(),
        ]) {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "{} contains {:?}",
                f.display(),
                String::from_utf8_lossy(needle)
            );
        }
    }
}

#[test]
fn an_encrypted_database_reveals_nothing_without_the_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("laptop.db");
    let (mut store, _code) = Store::create_encrypted(&db, PASS, FAST).unwrap();
    store.init(&setup()).unwrap();
    seed_names(&mut store);
    // While open (data in the WAL) and after closing, the files show nothing.
    raw_bytes_reveal_nothing(&db);
    drop(store);
    raw_bytes_reveal_nothing(&db);
    let key_file = std::fs::read_to_string(vault::key_file(&db)).unwrap();
    assert!(!key_file.contains(PASS));
    assert!(matches!(
        Store::open(&db, None),
        Err(CoreError::NotADatabase)
    ));
    let store = Store::unlock(&db, PASS).unwrap();
    assert_eq!(
        linkwell_core::read::search::search(store.conn(), "allotment", None, 10)
            .unwrap()
            .len(),
        4
    );
}

#[test]
fn wrong_passphrases_are_counted_across_restarts_and_slow_down() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("laptop.db");
    let (store, _) = Store::create_encrypted(&db, PASS, FAST).unwrap();
    drop(store);
    let t0 = 1_000_000;
    for n in 1..=3 {
        match vault::unlock_at(&db, "wrong guess here", t0) {
            Err(CoreError::WrongPassphrase { failures, .. }) => assert_eq!(failures, n),
            other => panic!("expected a wrong passphrase, got {other:?}"),
        }
    }
    // The fourth attempt straight away must wait, even with the right passphrase; the count
    // lives in the key file, so a restart does not reset it.
    assert!(matches!(
        vault::unlock_at(&db, PASS, t0 + 1),
        Err(CoreError::TryAgainLater { seconds: 1 })
    ));
    assert!(vault::unlock_at(&db, PASS, t0 + 2).is_ok());
    assert_eq!(vault::delay_after(2), 0);
    assert!(vault::delay_after(5) > vault::delay_after(4));
    assert_eq!(vault::delay_after(40), 300);
}

#[test]
fn changing_the_passphrase_and_recovering_with_the_code_keep_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("laptop.db");
    let (mut store, code) = Store::create_encrypted(&db, PASS, FAST).unwrap();
    store.init(&setup()).unwrap();
    seed_names(&mut store);
    drop(store);
    let err = vault::change_passphrase(&db, PASS, "short").unwrap_err();
    assert_eq!(err.fields(), ["passphrase"]);
    vault::change_passphrase(&db, PASS, "a brand new passphrase").unwrap();
    assert!(matches!(
        vault::unlock(&db, PASS),
        Err(CoreError::WrongPassphrase { .. })
    ));
    assert!(Store::unlock(&db, "a brand new passphrase").is_ok());
    // Passphrase forgotten: the recovery code (any case, any dashes) sets a new one.
    let typed = code.0.to_lowercase().replace('-', " ");
    assert_eq!(
        vault::recover(&db, "AAAA-BBBB", "another passphrase")
            .unwrap_err()
            .fields(),
        ["recovery_code"]
    );
    vault::recover(&db, &typed, "another passphrase").unwrap();
    let store = Store::unlock(&db, "another passphrase").unwrap();
    let people: i64 = store
        .conn()
        .query_row("SELECT COUNT(*) FROM person", [], |r| r.get(0))
        .unwrap();
    assert_eq!(people, 4);
}

#[test]
fn an_existing_plain_database_is_migrated_into_an_encrypted_one() {
    let mut db = TestDb::new();
    seed_names(&mut db.store);
    let path = db.path();
    let log_before = db.log_len();
    drop(db.store);
    vault::encrypt_existing(&path, PASS, FAST).unwrap();
    raw_bytes_reveal_nothing(&path);
    assert!(matches!(
        Store::open(&path, None),
        Err(CoreError::NotADatabase)
    ));
    let store = Store::unlock(&path, PASS).unwrap();
    let log_after: i64 = store
        .conn()
        .query_row("SELECT COUNT(*) FROM change_log", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        log_after, log_before,
        "every record and the whole change log came across"
    );
    assert!(store.actor().is_ok());
    drop(db.dir);
}

#[test]
fn the_session_locks_after_idle_time_and_on_demand() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("laptop.db");
    let (mut store, _) = Store::create_encrypted(&db, PASS, FAST).unwrap();
    store.init(&setup()).unwrap();
    drop(store);
    let mut session = UnlockedSession::new(&db, Duration::from_secs(300));
    assert!(matches!(session.store(), Err(CoreError::Locked)));
    session.unlock(PASS).unwrap();
    let start = Instant::now();
    assert!(
        session.store_at(start + Duration::from_secs(240)).is_ok(),
        "activity within 5 minutes"
    );
    assert!(
        session.store_at(start + Duration::from_secs(480)).is_ok(),
        "4 minutes after the last activity"
    );
    assert!(matches!(
        session.store_at(start + Duration::from_secs(781)),
        Err(CoreError::Locked)
    ));
    assert!(!session.is_unlocked());
    session.unlock(PASS).unwrap();
    session.lock();
    assert!(matches!(session.store(), Err(CoreError::Locked)));
}

#[test]
fn viewing_printing_and_exporting_are_audited_and_shown_only_to_supervisors() {
    // A link worker: every look is recorded and synced, but the trail is not theirs to read,
    // not even through an export.
    let mut db = TestDb::new();
    let p = db.take_referral("Margaret", "Smith").person.id;
    db.store.view_person(p).unwrap();
    let pdf = db.store.green_book_pdf(p, &Default::default()).unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    let export = db.store.export_person(p).unwrap();
    assert!(export["records"].get("audit_event").is_none());
    assert!(
        export["audit_trail"]
            .as_str()
            .unwrap()
            .starts_with("left out")
    );
    assert!(
        matches!(
            db.store.audit_trail(p),
            Err(CoreError::Refused(Refusal::SupervisorsOnly))
        ),
        "a link worker cannot see the audit trail"
    );
    let synced: i64 = db
        .store
        .conn()
        .query_row(
            "SELECT COUNT(*) FROM change_log WHERE entity = 'audit_event'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(synced, 3, "audit events go to the change log to be synced");

    // A supervisor's export for a subject access request includes who looked.
    let mut db = TestDb::with_role("supervisor");
    let p = db.take_referral("Margaret", "Smith").person.id;
    db.store.view_person(p).unwrap();
    db.store.green_book_pdf(p, &Default::default()).unwrap();
    let export = db.store.export_person(p).unwrap();
    let actions: Vec<&str> = export["records"]["audit_event"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["viewed_record", "printed_green_book", "exported_data"]
    );
    assert_eq!(export["audit_trail"], "included");
}
