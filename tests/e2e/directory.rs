//! `linkwell directory import` and `export` through the real binary on a real encrypted file.

use linkwell_e2e::{linkwell, linkwell_ok};
use std::path::PathBuf;

fn feed(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../crates/linkwell-core/tests/it/feeds")
        .join(name)
}

#[test]
fn a_feed_file_imports_reimports_in_place_and_exports_as_oruk() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("laptop.db");
    linkwell_ok(
        &db,
        &["init", "--team", "Rushcliffe", "--name", "Priya Shah"],
    );
    let file = feed("v1_faults.json");
    let file = file.to_str().unwrap();

    let out = linkwell(&db, &["--json", "directory", "import", file]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["added"], 3, "{report}");
    assert_eq!(report["skipped"].as_array().unwrap().len(), 4);
    assert!(
        report["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["id"] == "102" && s["reason"] == "It has no name")
    );
    // The log says how many, never which services or who runs them.
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("directory import"), "{log}");
    assert!(
        !log.contains("Keyworth") && !log.contains("Jo Bell"),
        "{log}"
    );

    let words = linkwell_ok(&db, &["directory", "import", file]);
    assert!(
        words.contains("0 added, 0 updated, 3 unchanged, 4 skipped, 0 no longer listed."),
        "{words}"
    );
    assert!(words.contains("Skipped 102: It has no name"), "{words}");

    let out_file = dir.path().join("directory.json");
    let said = linkwell_ok(
        &db,
        &["directory", "export", "--out", out_file.to_str().unwrap()],
    );
    assert!(said.contains("3 services written"), "{said}");
    let page: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out_file).unwrap()).unwrap();
    assert_eq!(page["total_items"], 3);
    assert_eq!(page["contents"][0]["name"], "Craft & Natter");

    let bad = dir.path().join("not-a-feed.json");
    std::fs::write(&bad, "name,description\nWalks,Gentle\n").unwrap();
    let out = linkwell(&db, &["directory", "import", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not JSON"), "{err}");
}

/// `linkwell print introduction ONWARD --out FILE`: the group lead's introduction on one A4
/// page, its words on stdout, the person's first name only.
#[test]
fn an_onward_referral_prints_an_introduction_for_the_group_lead() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("laptop.db");
    linkwell_ok(
        &db,
        &["init", "--team", "Rushcliffe", "--name", "Priya Shah"],
    );
    linkwell_ok(&db, &["demo", "--people", "20", "--sessions", "50"]);
    let all: serde_json::Value = serde_json::from_str(&linkwell_ok(&db, &["export"])).unwrap();
    let onward = &all["records"]["onward_referral"][0];
    let person = all["records"]["person"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == onward["person_id"])
        .unwrap();
    let pdf = dir.path().join("intro.pdf");
    let words = linkwell_ok(
        &db,
        &[
            "print",
            "introduction",
            onward["id"].as_str().unwrap(),
            "--out",
            pdf.to_str().unwrap(),
        ],
    );
    assert!(words.contains("would like to come along to"), "{words}");
    let text = std::process::Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("Page 1 of 1"), "{text}");
    let family = person["family_name"].as_str().unwrap();
    assert!(!text.contains(family) && !words.contains(family), "{text}");
}
