//! The app's own sync, end to end: a real `linkwell-server`, and the real `linkwell-bridge`
//! (the same core gate the desktop window holds) driven through its HTTP API as the UI drives
//! it — joining the server at set-up, "Sync now", the honest status line, and offline.

use linkwell_e2e::{BridgeProcess, ServerProcess, add_worker, enrol_code, linkwell_ok, new_org};
use serde_json::{Value, json};

const PASS: &str = "kettle on by the allotment gate";

/// Set-up by joining the server with an enrolment code, as the set-up screen does.
fn join(app: &BridgeProcess, server: &str, code: &str) -> (u16, Value) {
    app.call(
        "create_profile",
        json!({ "join": { "server": server, "code": code }, "passphrase": PASS, "passphrase_again": PASS }),
    )
}

/// Takes a GP referral for Margaret Hill through the bridge; answers her record id.
fn take_margaret(app: &BridgeProcess) -> String {
    let taken = app.ok(
        "take_referral",
        json!({ "referral": {
            "person": { "given_name": "Margaret", "family_name": "Hill" },
            "referral": { "source": "gp", "received_on": "2026-11-20", "reasons": ["loneliness"], "consent_to_contact": true },
        }}),
    );
    taken["person"]["id"].as_str().unwrap().to_string()
}

#[test]
fn a_laptop_joins_at_set_up_syncs_now_and_says_honestly_when_offline() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("server");
    new_org(&data, &["Rushcliffe"]);
    let worker = add_worker(&data, "Priya Shah", "link_worker", "Rushcliffe");
    let coach = add_worker(&data, "Coach", "health_coach", "Rushcliffe");
    let mut server = ServerProcess::start(&data);
    let ui = dir.path().join("ui");
    std::fs::create_dir_all(&ui).unwrap();
    let app = BridgeProcess::start_profiles(&dir.path().join("profiles"), &ui);

    // A wrong code is refused next to the field; nothing is left half set up.
    let (status, body) = join(&app, &server.url, "WRONG-CODE");
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["field"], "code");
    assert_eq!(app.ok("lock_state", json!({}))["state"], "setup");

    let code = enrol_code(&data, &worker);
    let (status, state) = join(&app, &server.url, &code);
    assert_eq!(status, 200, "{state}");
    assert_eq!(state["state"], "unlocked");
    assert_eq!(
        state["profiles"][0]["name"], "Priya Shah",
        "the name comes from the server"
    );
    assert!(state["recovery_code"].is_string());
    let status = app.ok("sync_status", json!({}));
    assert_eq!(status["enrolled"], true);
    assert_eq!(status["all_synced"], true, "{status}");

    // Work offline-first, then press Sync now.
    let person = take_margaret(&app);
    let status = app.ok("sync_status", json!({}));
    assert!(status["pending"].as_i64().unwrap() > 0);
    assert_eq!(
        status["all_synced"], false,
        "never 'all synced' with changes waiting"
    );
    let out = app.ok("sync_now", json!({}));
    assert_eq!(out["ok"], true, "{out}");
    assert!(out["report"]["pushed"].as_u64().unwrap() > 0);
    assert_eq!(out["status"]["pending"], 0);
    assert_eq!(out["status"]["all_synced"], true);
    assert!(out["status"]["last_success_at"].is_string());

    // A colleague in the same team receives it through the server.
    let coach_db = dir.path().join("coach.db");
    let coach_code = enrol_code(&data, &coach);
    linkwell_ok(
        &coach_db,
        &["enrol", "--server", &server.url, "--code", &coach_code],
    );
    linkwell_ok(&coach_db, &["sync"]);
    let found = linkwell_ok(&coach_db, &["--json", "search", "Margaret"]);
    assert!(found.contains(&person), "{found}");

    // The server goes away: the status says so in words, and nothing is lost.
    server.kill();
    app.ok(
        "add_note",
        json!({ "person_id": person, "body": "Rang back, going on Tuesday" }),
    );
    let out = app.ok("sync_now", json!({}));
    assert_eq!(out["ok"], false);
    assert_eq!(out["offline"], true);
    let status = &out["status"];
    assert!(status["pending"].as_i64().unwrap() > 0);
    assert_eq!(status["all_synced"], false);
    assert_eq!(
        status["offline"], true,
        "offline is told apart from a refusal"
    );
    assert!(
        status["last_error"]
            .as_str()
            .unwrap()
            .contains("could not be reached"),
        "{status}"
    );
    let record = app.ok("person_record", json!({ "person_id": person }));
    assert!(record.to_string().contains("Rang back, going on Tuesday"));

    // Back online: the app syncs by itself (backoff retries), with nobody pressing anything.
    let listen = server.url.trim_start_matches("http://").to_string();
    let _server = ServerProcess::start_on(&data, &listen);
    // The first retries come 5, 10 and 20 s after a failure (backoff): the deadline is generous.
    linkwell_e2e::wait_for_every(
        "an automatic sync after the server came back (all synced, with nobody pressing anything)",
        std::time::Duration::from_secs(120),
        std::time::Duration::from_millis(250),
        || (app.ok("sync_status", json!({}))["all_synced"] == true).then_some(()),
    );
    linkwell_ok(&coach_db, &["sync"]);
    let notes = linkwell_ok(&coach_db, &["--json", "search", "Tuesday"]);
    assert!(notes.contains("Tuesday"), "{notes}");

    // Locked, sync is refused like everything else about people.
    app.ok("lock", json!({}));
    assert_eq!(app.call("sync_now", json!({})).0, 423);
}

#[test]
fn a_supervisor_sees_on_their_own_laptop_who_opened_and_printed_a_record() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("server");
    new_org(&data, &["Rushcliffe"]);
    let worker = add_worker(&data, "Priya Shah", "link_worker", "Rushcliffe");
    let supervisor = add_worker(&data, "Sam Okoro", "supervisor", "Rushcliffe");
    let server = ServerProcess::start(&data);
    let ui = dir.path().join("ui");
    std::fs::create_dir_all(&ui).unwrap();
    let join = |app: &BridgeProcess, who: &str| {
        let (status, body) = join(app, &server.url, &enrol_code(&data, who));
        assert_eq!(status, 200, "{body}");
    };

    let laptop = BridgeProcess::start_profiles(&dir.path().join("priya"), &ui);
    join(&laptop, &worker);
    let person = take_margaret(&laptop);
    let record = laptop.ok("person_record", json!({ "person_id": person }));
    assert!(
        record["audit_trail"].is_null(),
        "a link worker sees no trail"
    );
    laptop.ok("record_printed", json!({ "person_id": person }));
    assert_eq!(laptop.ok("sync_now", json!({}))["ok"], true);

    let office = BridgeProcess::start_profiles(&dir.path().join("sam"), &ui);
    join(&office, &supervisor);
    let record = office.ok("person_record", json!({ "person_id": person }));
    let trail: Vec<String> = record["audit_trail"]
        .as_array()
        .expect("a supervisor gets the trail")
        .iter()
        .map(|e| format!("{} by {}", e["action_label"], e["worker_name"]))
        .collect();
    assert_eq!(
        trail,
        [
            r#""Opened the record" by "Sam Okoro""#,
            r#""Printed the Green Book" by "Priya Shah""#,
            r#""Opened the record" by "Priya Shah""#,
        ],
        "newest first, from both laptops"
    );
}
