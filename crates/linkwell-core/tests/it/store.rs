//! The store: set-up, migrations, the change log, HLC persistence, atomic writes.

use crate::TestDb;
use linkwell_core::error::Refusal;
use linkwell_core::records::people::PersonInput;
use linkwell_core::{CoreError, Store};

#[test]
fn every_write_appends_to_a_gapless_change_log_attributed_to_worker_and_device() {
    let mut db = TestDb::new();
    let actor = db.store.actor().unwrap();
    let t = db.take_referral("Margaret", "Smith");
    db.store
        .add_note(t.person.id, None, "First call went well")
        .unwrap();
    let log = db.store.changes_after(0, 1000).unwrap();
    let seqs: Vec<i64> = log.iter().map(|e| e.seq).collect();
    assert_eq!(
        seqs,
        (1..=log.len() as i64).collect::<Vec<_>>(),
        "sequence has gaps"
    );
    assert!(
        log.iter()
            .all(|e| e.worker_id == actor.worker_id && e.device_id == actor.device_id)
    );
    let hlcs: Vec<&str> = log.iter().map(|e| e.hlc.as_str()).collect();
    assert!(
        hlcs.windows(2).all(|w| w[0] < w[1]),
        "HLC must strictly increase: {hlcs:?}"
    );
    let entities: Vec<&str> = log.iter().map(|e| e.entity.as_str()).collect();
    assert_eq!(&entities[..2], ["team", "worker"]);
    assert!(entities.ends_with(&["note", "note_revision"]));
    // The payload holds the fields written, so it can be replayed elsewhere.
    let person = log.iter().find(|e| e.entity == "person").unwrap();
    assert_eq!(person.payload["given_name"], "Margaret");
    assert_eq!(person.payload["postcode"], "LE12 6QW");
}

#[test]
fn the_clock_and_sequence_survive_a_restart() {
    let mut db = TestDb::new();
    db.take_referral("Joan", "Walsh");
    let before = db.store.changes_after(0, 1000).unwrap();
    let mut db = db.reopen();
    db.take_referral("Derek", "Evans");
    let after = db.store.changes_after(0, 1000).unwrap();
    assert_eq!(after[before.len()].seq, before.last().unwrap().seq + 1);
    assert!(after[before.len()].hlc > before.last().unwrap().hlc);
}

#[test]
fn a_database_from_a_newer_version_is_refused_untouched() {
    let db = TestDb::new();
    let path = db.path();
    db.store
        .conn()
        .execute_batch("PRAGMA user_version = 99")
        .unwrap();
    drop(db.store);
    let bytes_before = std::fs::read(&path).unwrap();
    let err = Store::open(&path, None).unwrap_err();
    assert!(
        matches!(err, CoreError::NewerSchema { found: 99, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("newer version of Linkwell"));
    assert_eq!(std::fs::read(&path).unwrap(), bytes_before);
}

#[test]
fn the_schema_is_at_the_latest_version_with_the_pragmas_set() {
    let db = TestDb::new();
    let c = db.store.conn();
    let v: i64 = c
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, linkwell_core::SCHEMA_VERSION);
    let mode: String = c
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let sync: i64 = c.query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap();
    assert_eq!(sync, 2, "synchronous must be FULL");
    let fk: i64 = c
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .unwrap();
    assert_eq!(fk, 1);
}

#[test]
fn init_twice_is_refused_and_an_uninitialised_store_cannot_write() {
    let mut db = TestDb::new();
    let err = db.store.init(&Default::default()).unwrap_err();
    assert!(matches!(err, CoreError::Refused(Refusal::AlreadySetUp)));
    let dir = tempfile::tempdir().unwrap();
    let mut fresh = Store::open(&dir.path().join("x.db"), None).unwrap();
    let err = fresh
        .add_person(&PersonInput {
            given_name: "A".into(),
            family_name: "B".into(),
            ..Default::default()
        })
        .unwrap_err();
    assert!(matches!(err, CoreError::NotInitialised));
}

#[test]
fn a_failure_part_way_through_a_write_leaves_nothing_behind() {
    let mut db = TestDb::new();
    let people = db.count("person");
    let log = db.log_len();
    // A referral naming a worker who does not exist fails after the person would be written.
    let mut input = crate::new_referral("Eileen", "Brown");
    input.worker_id = Some(uuid::Uuid::now_v7());
    let err = db.store.take_referral(&input).unwrap_err();
    assert_eq!(err.fields(), ["worker_id"]);
    assert_eq!(db.count("person"), people);
    assert_eq!(db.log_len(), log);
}

#[test]
fn seeded_demo_data_is_deterministic() {
    use linkwell_core::demo::{DemoOptions, seed};
    let opts = DemoOptions {
        seed: 11,
        people: 40,
        sessions: 200,
        today: chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
    };
    let export = || {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("d.db"), None).unwrap();
        let summary = seed(&mut s, &opts).unwrap();
        assert_eq!(summary.people, 40);
        serde_json::to_string(&s.export_all().unwrap()).unwrap()
    };
    assert_eq!(export(), export());
}

/// Issue 13: a new worker's first Today with demo data is a day's work whatever day the demo
/// is made, not a wall of "400 days overdue": what a careful worker would have done is done.
#[test]
fn the_demos_dates_fit_the_day_it_is_made() {
    use linkwell_core::demo::{DemoOptions, seed};
    use linkwell_core::read::caseload;
    for today in [
        chrono::NaiveDate::from_ymd_opt(2026, 12, 2).unwrap(),
        chrono::NaiveDate::from_ymd_opt(2029, 6, 30).unwrap(),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("d.db"), None).unwrap();
        seed(
            &mut s,
            &DemoOptions {
                // What "Add made-up demo people" makes.
                seed: 42,
                people: 60,
                sessions: 400,
                today,
            },
        )
        .unwrap();
        let me = s.actor().unwrap().worker_id;
        let t = caseload::today(s.conn(), me, today).unwrap();
        let late: Vec<_> = t
            .follow_ups
            .iter()
            .map(|f| (today - f.due_on).num_days())
            .chain(t.plan_reviews.iter().map(|r| r.days_overdue))
            .chain(t.risk_reviews.iter().map(|r| r.days_overdue))
            .collect();
        assert!(!late.is_empty(), "the demo still shows some work due");
        assert!(
            late.iter().all(|d| *d <= 14),
            "nothing on the demo's first Today ({today}) is more than a fortnight overdue: {late:?}"
        );
        assert!(late.len() <= 20, "a day's work, not a wall: {}", late.len());
    }
}
