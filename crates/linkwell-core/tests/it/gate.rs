//! The front door the desktop app and the bridge use: profiles on a shared laptop, set-up with
//! a passphrase, unlock, lock, auto-lock, recovery, and drafts kept encrypted.

use crate::new_referral;
use linkwell_core::CoreError;
use linkwell_core::app::gate::{Gate, Profiles};
use linkwell_core::error::Refusal;
use linkwell_core::security::vault::KdfParams;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const FAST: KdfParams = KdfParams {
    memory_kib: 8 * 1024,
    passes: 1,
    lanes: 1,
};
const PASS: &str = "correct horse battery staple";

fn setup_args(worker: &str, pass: &str, again: &str) -> Value {
    json!({
        "passphrase": pass,
        "passphrase_again": again,
        "setup": { "team_name": "Rushcliffe", "worker_name": worker, "role": "link_worker" },
    })
}

fn invalid_fields(e: CoreError) -> Vec<String> {
    match e {
        CoreError::Invalid(errs) => errs.into_iter().map(|e| e.field).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

fn caseload_names(gate: &mut Gate) -> Vec<String> {
    let rows = gate.call("caseload", json!({})).unwrap();
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.path().is_dir() {
            out.extend(files_under(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out
}

fn assert_no_file_contains(dir: &Path, needle: &str) {
    for f in files_under(dir) {
        let bytes = std::fs::read(&f).unwrap();
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "{} contains {needle:?}",
            f.display()
        );
    }
}

#[test]
fn a_bad_set_up_form_names_its_fields_and_leaves_nothing_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("profiles");
    let mut gate = Gate::with_kdf(Profiles::Dir(root.clone()), FAST);
    assert_eq!(lock_state(&mut gate)["state"], "setup");
    let e = gate
        .call("create_profile", setup_args("", "short", "short"))
        .unwrap_err();
    let fields = invalid_fields(e);
    assert!(fields.contains(&"worker_name".to_string()), "{fields:?}");
    assert!(fields.contains(&"passphrase".to_string()), "{fields:?}");
    let e = gate
        .call(
            "create_profile",
            setup_args("Priya Shah", PASS, "correct horse battery"),
        )
        .unwrap_err();
    assert_eq!(invalid_fields(e), vec!["passphrase_again"]);
    assert!(!root.exists() || files_under(&root).is_empty());
    assert!(matches!(
        gate.call("caseload", json!({})),
        Err(CoreError::Locked)
    ));
}

#[test]
fn set_up_unlocks_lock_hides_everything_and_unlock_needs_the_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let mut gate = Gate::with_kdf(Profiles::Dir(dir.path().join("profiles")), FAST);
    let state = gate
        .call("create_profile", setup_args("Priya Shah", PASS, PASS))
        .unwrap();
    assert_eq!(state["state"], "unlocked");
    let code = state["recovery_code"].as_str().unwrap().to_string();
    assert!(code.len() >= 24, "a recovery code is shown once: {code}");
    gate.store()
        .unwrap()
        .take_referral(&new_referral("Siobhán", "Gallagher"))
        .unwrap();
    assert_eq!(caseload_names(&mut gate), vec!["Siobhán Gallagher"]);

    let locked = gate.call("lock", Value::Null).unwrap();
    assert_eq!(locked["state"], "locked");
    assert_eq!(locked["profiles"][0]["name"], "Priya Shah");
    assert!(!locked.to_string().contains("Siobhán"));
    for method in ["caseload", "today", "search", "keep_alive", "pending_count"] {
        assert!(
            matches!(
                gate.call(method, json!({"text": "Siob"})),
                Err(CoreError::Locked)
            ),
            "{method} answered while locked"
        );
    }
    // The pick lists need no unlocking: the set-up and unlock screens use them.
    assert!(gate.call("vocabularies", Value::Null).unwrap()["role"].is_array());

    let e = gate
        .call("unlock", json!({ "passphrase": "not my passphrase" }))
        .unwrap_err();
    assert!(matches!(e, CoreError::WrongPassphrase { failures: 1, .. }));
    // The screen's words come from the core, next to the passphrase field.
    let body = linkwell_core::app::api::ErrorBody::from(&e);
    assert_eq!(body.field.as_deref(), Some("passphrase"));
    assert_eq!(
        body.fields[0].message,
        "That passphrase is not right. Try again."
    );
    assert_eq!(lock_state(&mut gate)["state"], "locked");
    gate.call("unlock", json!({ "passphrase": PASS })).unwrap();
    assert_eq!(caseload_names(&mut gate), vec!["Siobhán Gallagher"]);
    assert_no_file_contains(dir.path(), "Gallagher");
}

#[test]
fn each_worker_on_a_shared_laptop_has_a_separate_profile() {
    let dir = tempfile::tempdir().unwrap();
    let mut gate = Gate::with_kdf(Profiles::Dir(dir.path().to_path_buf()), FAST);
    gate.call("create_profile", setup_args("Priya Shah", PASS, PASS))
        .unwrap();
    gate.store()
        .unwrap()
        .take_referral(&new_referral("Zoë", "Priyasperson"))
        .unwrap();
    let second = "another long passphrase";
    let state = gate
        .call("create_profile", setup_args("Tom Okafor", second, second))
        .unwrap();
    assert_eq!(state["state"], "unlocked");
    assert!(
        caseload_names(&mut gate).is_empty(),
        "Tom sees none of Priya's people"
    );
    gate.call("lock", Value::Null).unwrap();

    let state = lock_state(&mut gate);
    let profiles = state["profiles"].as_array().unwrap();
    let names: Vec<_> = profiles
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Priya Shah", "Tom Okafor"]);
    // With two profiles the worker must say who they are.
    let e = gate
        .call("unlock", json!({ "passphrase": PASS }))
        .unwrap_err();
    assert_eq!(invalid_fields(e), vec!["profile"]);
    // Tom's passphrase does not open Priya's profile.
    let priya = profiles[0]["id"].as_str().unwrap();
    assert!(matches!(
        gate.call("unlock", json!({ "profile": priya, "passphrase": second })),
        Err(CoreError::WrongPassphrase { .. })
    ));
    gate.call("unlock", json!({ "profile": priya, "passphrase": PASS }))
        .unwrap();
    assert_eq!(caseload_names(&mut gate), vec!["Zoë Priyasperson"]);
    assert!(matches!(
        gate.call("unlock", json!({ "profile": "../etc", "passphrase": PASS })),
        Err(CoreError::NotFound { .. })
    ));
}

#[test]
fn idle_time_locks_and_the_setting_is_kept_per_profile() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("one.db");
    let mut gate = Gate::with_kdf(Profiles::Single(db.clone()), FAST);
    gate.call("create_profile", setup_args("Priya Shah", PASS, PASS))
        .unwrap();
    assert_eq!(lock_state(&mut gate)["idle_lock_minutes"], 5);
    let e = gate
        .call("set_idle_lock", json!({ "minutes": 0 }))
        .unwrap_err();
    assert_eq!(invalid_fields(e), vec!["minutes"]);
    let e = gate
        .call("set_idle_lock", json!({ "minutes": 600 }))
        .unwrap_err();
    assert_eq!(invalid_fields(e), vec!["minutes"]);
    gate.call("set_idle_lock", json!({ "minutes": 2 })).unwrap();

    let start = Instant::now();
    gate.lock_if_idle(start + Duration::from_secs(60));
    assert!(gate.is_unlocked(), "one minute idle is not two");
    gate.lock_if_idle(start + Duration::from_secs(125));
    assert!(!gate.is_unlocked());
    assert!(matches!(gate.store(), Err(CoreError::Locked)));

    // A restart keeps the setting.
    let mut again = Gate::with_kdf(Profiles::Single(db), FAST);
    again.call("unlock", json!({ "passphrase": PASS })).unwrap();
    assert_eq!(lock_state(&mut again)["idle_lock_minutes"], 2);
}

#[test]
fn drafts_survive_a_lock_and_are_encrypted() {
    let dir = tempfile::tempdir().unwrap();
    let mut gate = Gate::with_kdf(Profiles::Dir(dir.path().to_path_buf()), FAST);
    gate.call("create_profile", setup_args("Priya Shah", PASS, PASS))
        .unwrap();
    let key = "note.0190f5d2-0000-7000-8000-000000000000";
    gate.call(
        "save_draft",
        json!({ "key": key, "fields": { "body": "Talked about the Tuesday pottery draftword" } }),
    )
    .unwrap();
    gate.lock();
    assert!(matches!(
        gate.call("draft", json!({ "key": key })),
        Err(CoreError::Locked)
    ));
    assert_no_file_contains(dir.path(), "draftword");
    gate.call("unlock", json!({ "passphrase": PASS })).unwrap();
    let draft = gate.call("draft", json!({ "key": key })).unwrap();
    assert_eq!(draft["body"], "Talked about the Tuesday pottery draftword");
    // Clearing the text discards the draft.
    gate.call(
        "save_draft",
        json!({ "key": key, "fields": { "body": "  " } }),
    )
    .unwrap();
    assert!(gate.call("draft", json!({ "key": key })).unwrap().is_null());
    let e = gate
        .call("save_draft", json!({ "key": "../x y", "fields": {} }))
        .unwrap_err();
    assert_eq!(invalid_fields(e), vec!["key"]);
    let e = gate
        .call(
            "save_draft",
            json!({ "key": "k", "fields": { "score": 3 } }),
        )
        .unwrap_err();
    assert_eq!(invalid_fields(e), vec!["score"]);
}

#[test]
fn recovery_code_resets_a_forgotten_passphrase_and_change_needs_the_current_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut gate = Gate::with_kdf(Profiles::Dir(dir.path().to_path_buf()), FAST);
    let state = gate
        .call("create_profile", setup_args("Priya Shah", PASS, PASS))
        .unwrap();
    let code = state["recovery_code"].as_str().unwrap().to_string();
    let newer = "a brand new passphrase";
    let e = gate
        .call(
            "change_passphrase",
            json!({ "current": "wrong one entirely", "new_passphrase": newer, "new_passphrase_again": newer }),
        )
        .unwrap_err();
    assert_eq!(invalid_fields(e), vec!["current"]);
    gate.call(
        "change_passphrase",
        json!({ "current": PASS, "new_passphrase": newer, "new_passphrase_again": newer }),
    )
    .unwrap();
    gate.lock();
    assert!(gate.call("unlock", json!({ "passphrase": PASS })).is_err());

    let forgot = "remembered this time";
    let e = gate
        .call(
            "recover",
            json!({ "recovery_code": "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF", "new_passphrase": forgot, "new_passphrase_again": forgot }),
        )
        .unwrap_err();
    assert_eq!(invalid_fields(e), vec!["recovery_code"]);
    let state = gate
        .call(
            "recover",
            json!({ "recovery_code": code.to_lowercase(), "new_passphrase": forgot, "new_passphrase_again": forgot }),
        )
        .unwrap();
    assert_eq!(state["state"], "unlocked");
    gate.lock();
    gate.call("unlock", json!({ "passphrase": forgot }))
        .unwrap();
}

#[test]
fn an_unencrypted_database_must_be_encrypted_before_use() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("old.db");
    {
        let mut store = linkwell_core::Store::open(&db, None).unwrap();
        store
            .init(&linkwell_core::records::people::SetupInput {
                team_name: "Rushcliffe".into(),
                worker_name: "Priya Shah".into(),
                role: "link_worker".into(),
                ..Default::default()
            })
            .unwrap();
        store
            .take_referral(&new_referral("Łukasz", "Oldfile"))
            .unwrap();
    }
    let mut gate = Gate::with_kdf(Profiles::Single(db.clone()), FAST);
    let state = lock_state(&mut gate);
    assert_eq!(state["state"], "locked");
    assert_eq!(state["profiles"][0]["encrypted"], false);
    assert!(matches!(
        gate.call("unlock", json!({ "passphrase": PASS })),
        Err(CoreError::Refused(Refusal::NotEncryptedYet))
    ));
    let state = gate
        .call(
            "encrypt_profile",
            json!({ "passphrase": PASS, "passphrase_again": PASS }),
        )
        .unwrap();
    assert_eq!(state["state"], "unlocked");
    assert!(state["recovery_code"].is_string());
    assert_eq!(state["profiles"][0]["name"], "Priya Shah");
    assert_eq!(caseload_names(&mut gate), vec!["Łukasz Oldfile"]);
    gate.lock();
    assert_no_file_contains(dir.path(), "Oldfile");
}

#[test]
fn a_database_from_before_profiles_is_adopted_into_a_profile() {
    let dir = tempfile::tempdir().unwrap();
    let legacy = dir.path().join("linkwell.db");
    let mut single = Gate::with_kdf(Profiles::Single(legacy.clone()), FAST);
    single
        .call("create_profile", setup_args("Priya Shah", PASS, PASS))
        .unwrap();
    single
        .store()
        .unwrap()
        .take_referral(&new_referral("Nguyễn", "Kept"))
        .unwrap();
    single.lock();
    let mut gate = Gate::with_kdf(Profiles::Dir(dir.path().join("profiles")), FAST);
    assert!(gate.adopt(&legacy).unwrap());
    assert!(!legacy.exists());
    assert!(!gate.adopt(&legacy).unwrap(), "only once");
    gate.call("unlock", json!({ "passphrase": PASS })).unwrap();
    assert_eq!(caseload_names(&mut gate), vec!["Nguyễn Kept"]);
}

/// A supervisor's gate over a fresh profile folder, with "Save as PDF" going to `downloads`.
fn supervisor_gate(dir: &Path, downloads: &Path) -> Gate {
    let mut gate = Gate::with_kdf(Profiles::Dir(dir.to_path_buf()), FAST)
        .with_save_dir(downloads.to_path_buf());
    let mut args = setup_args("Sam Okoro", PASS, PASS);
    args["setup"]["role"] = json!("supervisor");
    gate.call("create_profile", args).unwrap();
    gate
}

fn take_referral(gate: &mut Gate, given: &str) -> String {
    let referral = serde_json::to_value(new_referral(given, "Smith")).unwrap();
    let taken = gate
        .call("take_referral", json!({ "referral": referral }))
        .unwrap();
    taken["person"]["id"].as_str().unwrap().to_string()
}

#[test]
fn saving_a_green_book_never_overwrites_and_keeps_names_out_of_file_names() {
    let dir = tempfile::tempdir().unwrap();
    let downloads = dir.path().join("Downloads");
    let mut gate = supervisor_gate(&dir.path().join("profiles"), &downloads);
    let person = take_referral(&mut gate, "Zofia");
    let first = gate
        .call(
            "save_green_book",
            json!({ "person_id": person, "options": { "blank": true } }),
        )
        .unwrap();
    let second = gate
        .call(
            "save_green_book",
            json!({ "person_id": person, "options": { "pages": "cover" } }),
        )
        .unwrap();
    let (a, b) = (
        first["path"].as_str().unwrap(),
        second["path"].as_str().unwrap(),
    );
    assert_ne!(a, b, "a second copy gets its own name");
    assert!(b.ends_with("-2.pdf"), "{b}");
    for path in [a, b] {
        assert!(std::fs::read(path).unwrap().starts_with(b"%PDF"));
        assert!(!path.contains("Zofia") && !path.contains("Smith"), "{path}");
    }
    assert!(
        std::fs::metadata(a).unwrap().len() > std::fs::metadata(b).unwrap().len(),
        "the first is every blank page, the second the cover only"
    );
    // A bad page name is refused on its field, and nothing is written.
    let e = gate
        .call(
            "save_green_book",
            json!({ "person_id": person, "options": { "pages": "cover,shopping" } }),
        )
        .unwrap_err();
    assert_eq!(invalid_fields(e), vec!["pages"]);
    // No page ticked at all is refused the same way (the preview says so too).
    for call in ["save_green_book", "green_book_preview"] {
        let e = gate
            .call(
                call,
                json!({ "person_id": person, "options": { "pages": " " } }),
            )
            .unwrap_err();
        assert_eq!(invalid_fields(e), vec!["pages"], "{call}");
    }
    assert_eq!(std::fs::read_dir(&downloads).unwrap().count(), 2);
    // Without a folder from the shell (a browser), saving is the browser's job.
    let mut browser = Gate::with_kdf(Profiles::Dir(dir.path().join("profiles")), FAST);
    browser
        .call("unlock", json!({ "passphrase": PASS }))
        .unwrap();
    assert!(matches!(
        browser.call("save_green_book", json!({ "person_id": person })),
        Err(CoreError::Refused(Refusal::SaveToFolderNotOffered))
    ));
    let pdf = browser
        .call("print_green_book", json!({ "person_id": person }))
        .unwrap();
    assert!(
        pdf["pdf_base64"].as_str().unwrap().starts_with("JVBERi0"),
        "base64 of %PDF-"
    );
    // Locked, nothing prints.
    gate.lock();
    assert!(matches!(
        gate.call("save_green_book", json!({ "person_id": person })),
        Err(CoreError::Locked)
    ));
}

#[test]
fn a_supervisor_sees_who_opened_and_printed_a_record_and_a_link_worker_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let downloads = dir.path().join("Downloads");
    let mut gate = supervisor_gate(&dir.path().join("profiles"), &downloads);
    let person = take_referral(&mut gate, "Zofia");
    // Opening the record, and refreshing it after saves, is one look per sitting.
    for _ in 0..3 {
        gate.call("person_record", json!({ "person_id": person }))
            .unwrap();
    }
    gate.call("save_green_book", json!({ "person_id": person }))
        .unwrap();
    gate.call("record_printed", json!({ "person_id": person }))
        .unwrap();
    let record = gate
        .call("person_record", json!({ "person_id": person }))
        .unwrap();
    let trail: Vec<(String, String)> = record["audit_trail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action_label"].as_str().unwrap().to_string(),
                e["worker_name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let labels: Vec<&str> = trail.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(
        labels,
        [
            "Printed the Green Book",
            "Printed the Green Book",
            "Opened the record"
        ],
        "newest first, one opening"
    );
    assert!(trail.iter().all(|(_, who)| who == "Sam Okoro"));

    // A link worker's record has no trail in it, and asking directly is refused.
    let mut worker = Gate::with_kdf(Profiles::Dir(dir.path().join("worker")), FAST);
    worker
        .call("create_profile", setup_args("Priya Shah", PASS, PASS))
        .unwrap();
    let theirs = take_referral(&mut worker, "Zofia");
    let record = worker
        .call("person_record", json!({ "person_id": theirs }))
        .unwrap();
    assert!(record["audit_trail"].is_null());
    // Their opening is still recorded: one more change waiting to sync (once per sitting).
    let pending = |g: &mut Gate| {
        g.call("pending_count", json!({}))
            .unwrap()
            .as_i64()
            .unwrap()
    };
    let mut other = Gate::with_kdf(Profiles::Dir(dir.path().join("worker")), FAST);
    other.call("unlock", json!({ "passphrase": PASS })).unwrap();
    let person_b = take_referral(&mut other, "Łucja");
    let before = pending(&mut other);
    for _ in 0..2 {
        other
            .call("person_record", json!({ "person_id": person_b }))
            .unwrap();
    }
    assert_eq!(pending(&mut other), before + 1);
    // Nor does their export carry the trail.
    let export = other
        .call("export_person", json!({ "person_id": person_b }))
        .unwrap();
    assert!(export["records"].get("audit_event").is_none());
}

/// A transport whose reachability check waits until the test lets it go, then answers
/// "offline": a sync that is still talking to the server, for as long as the test needs.
struct HeldTransport {
    entered: std::sync::mpsc::Sender<()>,
    release: std::sync::Arc<std::sync::Mutex<std::sync::mpsc::Receiver<()>>>,
    /// Whether the check then finds the server (the sync would go on to push).
    reachable: bool,
}

impl linkwell_core::sync::SyncTransport for HeldTransport {
    fn enrol(
        &mut self,
        _: &linkwell_protocol::EnrolRequest,
    ) -> Result<linkwell_protocol::EnrolResponse, linkwell_core::sync::TransportError> {
        unreachable!("the test never enrols")
    }
    fn push(
        &mut self,
        _: &str,
        _: &linkwell_protocol::PushRequest,
    ) -> Result<linkwell_protocol::PushResponse, linkwell_core::sync::TransportError> {
        unreachable!("the server is never reached")
    }
    fn pull(
        &mut self,
        _: &str,
        _: &linkwell_protocol::PullRequest,
    ) -> Result<linkwell_protocol::PullResponse, linkwell_core::sync::TransportError> {
        unreachable!("the server is never reached")
    }
    fn reachable(&mut self) -> Result<(), linkwell_core::sync::TransportError> {
        let _ = self.entered.send(());
        let _ = self.release.lock().unwrap().recv();
        if self.reachable {
            return Ok(());
        }
        Err(linkwell_core::sync::TransportError::Unreachable(
            "no network in the test".into(),
        ))
    }
}

/// An unlocked, enrolled gate whose syncs wait in their reachability check until released.
fn held_sync_gate(
    dir: &Path,
    reachable: bool,
) -> (
    linkwell_core::app::gate::SharedGate,
    std::sync::mpsc::Receiver<()>,
    std::sync::mpsc::Sender<()>,
) {
    use std::sync::mpsc::channel;
    let (entered_tx, entered) = channel();
    let (release, release_rx) = channel();
    let release_rx = std::sync::Arc::new(std::sync::Mutex::new(release_rx));
    let mut gate =
        Gate::with_kdf(Profiles::Single(dir.join("g.db")), FAST).with_connector(Box::new(
            move |_url: &str| -> Box<dyn linkwell_core::sync::SyncTransport + Send> {
                Box::new(HeldTransport {
                    entered: entered_tx.clone(),
                    release: release_rx.clone(),
                    reachable,
                })
            },
        ));
    gate.call("create_profile", setup_args("Sam", PASS, PASS))
        .unwrap();
    // As enrolment leaves it (the server is never reached in these tests).
    gate.store()
        .unwrap()
        .conn()
        .execute(
            "INSERT INTO sync_state (singleton, server_url, token) VALUES (1, 'https://sync.example.org', 'lw1_test')",
            [],
        )
        .unwrap();
    (
        linkwell_core::app::gate::SharedGate::new(gate),
        entered,
        release,
    )
}

#[test]
fn the_window_keeps_answering_while_sync_now_runs_and_one_sync_runs_at_a_time() {
    use std::sync::mpsc::channel;
    let dir = tempfile::tempdir().unwrap();
    let (shared, entered, release) = held_sync_gate(dir.path(), false);

    let syncing = {
        let shared = shared.clone();
        std::thread::spawn(move || shared.call("sync_now", json!({})))
    };
    entered
        .recv_timeout(Duration::from_secs(10))
        .expect("the sync reached the server check");
    // Meanwhile the window's calls are answered (a held gate would never answer: the call
    // runs on a thread of its own so the test fails instead of hanging).
    let answered = {
        let shared = shared.clone();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let _ = tx.send((
                shared.call("caseload", json!({})),
                shared.call("sync_now", json!({})),
            ));
        });
        rx.recv_timeout(Duration::from_secs(10))
            .expect("the window was answered while the sync ran")
    };
    assert!(answered.0.is_ok(), "{:?}", answered.0);
    let second = answered.1.unwrap_err().to_string();
    assert!(second.contains("already running"), "{second}");

    release.send(()).unwrap();
    let out = syncing.join().unwrap().unwrap();
    assert_eq!(
        (out["ok"].clone(), out["offline"].clone()),
        (json!(false), json!(true))
    );
    assert_eq!(out["status"]["offline"], true, "{out}");
    // Once it is back, a sync may start again.
    let again = {
        let shared = shared.clone();
        std::thread::spawn(move || shared.call("sync_now", json!({})))
    };
    entered.recv_timeout(Duration::from_secs(10)).unwrap();
    release.send(()).unwrap();
    assert_eq!(again.join().unwrap().unwrap()["offline"], true);
}

#[test]
fn locking_stops_a_running_sync_before_its_next_request() {
    let dir = tempfile::tempdir().unwrap();
    let (shared, entered, release) = held_sync_gate(dir.path(), true);
    let syncing = {
        let shared = shared.clone();
        std::thread::spawn(move || shared.call("sync_now", json!({})))
    };
    entered.recv_timeout(Duration::from_secs(10)).unwrap();
    shared.call("lock", json!({})).unwrap();
    // The server answers now, but the sync makes no request after the lock (the test's
    // transport would panic if it pushed), and the locked window gets nothing of it.
    release.send(()).unwrap();
    let out = syncing.join().unwrap();
    assert!(matches!(out, Err(CoreError::Locked)), "{out:?}");
    shared
        .call("unlock", json!({ "passphrase": PASS }))
        .unwrap();
    let status = shared.call("sync_status", json!({})).unwrap();
    let error = status["last_error"].as_str().unwrap_or_default();
    assert!(
        error.contains("stopped because Linkwell was locked"),
        "{status}"
    );
}

/// The lock state as the window receives it.
fn lock_state(gate: &mut Gate) -> Value {
    serde_json::to_value(gate.lock_state().unwrap()).unwrap()
}
