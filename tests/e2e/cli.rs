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
            && err.contains("role: \"nurse\" is not one of the choices for a role"),
        "{err}"
    );
}

#[test]
fn a_new_laptop_database_is_encrypted_and_unlocks_only_with_the_passphrase() {
    use linkwell_e2e::linkwell_command;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("laptop.db");
    let out = linkwell(
        &db,
        &["init", "--team", "Rushcliffe", "--name", "Priya Shah"],
    );
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("recovery code"),
        "the recovery code is shown once: {stderr}"
    );
    linkwell_ok(&db, &["demo", "--people", "20", "--sessions", "60"]);
    let bytes = std::fs::read(&db).unwrap();
    assert!(!bytes.starts_with(b"SQLite format 3"));
    assert!(
        !bytes.windows(6).any(|w| w == b"Priya "),
        "plaintext name in the database file"
    );

    let wrong = linkwell_command(&db)
        .env("LINKWELL_PASSPHRASE", "not the passphrase")
        .arg("today")
        .output()
        .unwrap();
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("wrong passphrase"));
    let none = linkwell_command(&db)
        .env_remove("LINKWELL_PASSPHRASE")
        .arg("today")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(!none.status.success());
    assert!(String::from_utf8_lossy(&none.stderr).contains("LINKWELL_PASSPHRASE"));
    // The right passphrase resets the failure count.
    linkwell_ok(&db, &["today"]);

    let changed = linkwell_command(&db)
        .env("LINKWELL_NEW_PASSPHRASE", "a new and longer passphrase")
        .arg("passphrase")
        .output()
        .unwrap();
    assert!(
        changed.status.success(),
        "{}",
        String::from_utf8_lossy(&changed.stderr)
    );
    assert!(
        !linkwell(&db, &["today"]).status.success(),
        "the old passphrase no longer works"
    );
    let ok = linkwell_command(&db)
        .env("LINKWELL_PASSPHRASE", "a new and longer passphrase")
        .arg("today")
        .output()
        .unwrap();
    assert!(ok.status.success());
}

#[test]
fn an_old_unencrypted_database_is_encrypted_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("old.db");
    linkwell_ok(
        &db,
        &["demo", "--plaintext", "--people", "15", "--sessions", "40"],
    );
    assert!(std::fs::read(&db).unwrap().starts_with(b"SQLite format 3"));
    let before = linkwell_ok(&db, &["--json", "caseload"]);
    linkwell_ok(&db, &["encrypt"]);
    assert!(!std::fs::read(&db).unwrap().starts_with(b"SQLite format 3"));
    assert_eq!(
        linkwell_ok(&db, &["--json", "caseload"]),
        before,
        "the same caseload after encryption"
    );
}

#[test]
fn a_realistic_flow_logs_ids_but_no_personal_data() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("laptop.db");
    let run = |args: &[&str]| {
        let out = linkwell_e2e::linkwell_command(&db)
            .env("LINKWELL_LOG", "debug")
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        (
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let mut logs = String::new();
    logs += &run(&["init", "--team", "Rushcliffe", "--name", "Priya Shah"]).1;
    logs += &run(&["demo", "--people", "40", "--sessions", "200"]).1;
    let (caseload, l) = run(&["--json", "caseload"]);
    logs += &l;
    let person = serde_json::from_str::<serde_json::Value>(&caseload).unwrap()[0]["person_id"]
        .as_str()
        .unwrap()
        .to_string();
    let pdf = dir.path().join("book.pdf");
    logs += &run(&[
        "print",
        "green-book",
        &person,
        "--out",
        pdf.to_str().unwrap(),
    ])
    .1;
    logs += &run(&[
        "export",
        "--person",
        &person,
        "--out",
        dir.path().join("sar.json").to_str().unwrap(),
    ])
    .1;
    logs += &run(&["search", "allotment"]).1;
    logs += &run(&["today"]).1;
    let logs = logs.replace("Your recovery code", "");
    let lines: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("DEBUG") || l.contains("INFO") || l.contains("WARN"))
        .collect();
    assert!(!lines.is_empty(), "expected log lines at debug level");
    let export = std::fs::read_to_string(dir.path().join("sar.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&export).unwrap();
    let p = &v["records"]["person"][0];
    for field in [
        "given_name",
        "family_name",
        "address",
        "postcode",
        "nhs_number",
        "phone",
    ] {
        let value = p[field].as_str().unwrap_or("");
        if value.len() > 3 {
            assert!(!logs.contains(value), "logs contain the person's {field}");
        }
    }
    for word in [
        "Zoë",
        "Łukasz",
        "Siobhán",
        "Nguyễn",
        "Demo Street",
        "allotment",
        "Priya",
    ] {
        assert!(!logs.contains(word), "logs contain {word}");
    }
}
