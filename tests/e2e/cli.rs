//! The `linkwell` command line as support staff and scripts use it.

use linkwell_e2e::{linkwell, linkwell_ok};

#[test]
fn init_demo_today_search_export_and_log_work_on_a_real_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("laptop.db");
    linkwell_ok(
        &db,
        &[
            "init",
            "--team",
            "Rushcliffe",
            "--name",
            "Priya Shah",
            "--role",
            "link_worker",
        ],
    );
    let out = linkwell(&db, &["init", "--team", "Again", "--name", "Someone"]);
    assert!(!out.status.success(), "a second init must be refused");
    assert!(String::from_utf8_lossy(&out.stderr).contains("already set up"));

    let summary: serde_json::Value = serde_json::from_str(&linkwell_ok(
        &db,
        &[
            "--json",
            "demo",
            "--people",
            "80",
            "--sessions",
            "600",
            "--seed",
            "3",
        ],
    ))
    .unwrap();
    assert_eq!(summary["people"], 80);
    assert!(summary["notes"].as_u64().unwrap() > 0);

    let today = linkwell_ok(&db, &["today"]);
    for heading in [
        "Appointments",
        "New referrals waiting for first contact",
        "Follow-up measures due",
        "Risk flags to review",
    ] {
        assert!(today.contains(heading), "Today lacks {heading}:\n{today}");
    }
    let today_json: serde_json::Value =
        serde_json::from_str(&linkwell_ok(&db, &["--json", "today"])).unwrap();
    assert!(today_json["waiting"].is_array());

    let hits: serde_json::Value =
        serde_json::from_str(&linkwell_ok(&db, &["--json", "search", "walking", "group"])).unwrap();
    let hits = hits.as_array().unwrap();
    assert!(
        hits.iter()
            .any(|h| h["kind"] == "service" && h["title"] == "East Leake walking group"),
        "{hits:?}"
    );

    let caseload: serde_json::Value =
        serde_json::from_str(&linkwell_ok(&db, &["--json", "caseload"])).unwrap();
    let person = caseload[0]["person_id"].as_str().unwrap().to_string();
    let file = dir.path().join("sar.json");
    linkwell_ok(
        &db,
        &[
            "export",
            "--person",
            &person,
            "--out",
            file.to_str().unwrap(),
        ],
    );
    let export: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(export["person_id"], person.as_str());
    assert_eq!(export["records"]["person"].as_array().unwrap().len(), 1);

    let log = linkwell_ok(&db, &["log", "--limit", "5"]);
    assert!(log.contains("team") && log.contains("pending"), "{log}");
}

#[test]
fn errors_are_plain_words_and_exit_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("fresh.db");
    let out = linkwell(&db, &["today"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("linkwell init"), "{err}");
    let out = linkwell(
        &db,
        &["init", "--team", "", "--name", "Priya", "--role", "nurse"],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("team_name: Team name is required")
            && err.contains("role: Role must be one of"),
        "{err}"
    );
}

#[test]
fn logs_never_contain_personal_data() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("laptop.db");
    let out = linkwell(&db, &["demo", "--people", "30", "--sessions", "100"]);
    assert!(out.status.success());
    let logs = String::from_utf8_lossy(&out.stderr);
    assert!(!logs.is_empty(), "expected some log lines at info level");
    for name in [
        "Margaret",
        "Zoë",
        "Łukasz",
        "Siobhán",
        "Demo Street",
        "walking group",
    ] {
        assert!(
            !logs.contains(name),
            "log contains personal data ({name}): {logs}"
        );
    }
}
