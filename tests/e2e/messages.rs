//! Issue 16: the message back to the referrer across real processes. The real bridge (the
//! gate the window holds) takes a referral from a new referrer, sends the accepted message and
//! closes the episode as the UI does; then the real `linkwell` binary prints the closing
//! message's structured record and writes its letter, read back with pdftotext.

use linkwell_e2e::{BridgeProcess, TEST_PASSPHRASE, linkwell, linkwell_ok};
use serde_json::{Value, json};
use std::process::Command;

#[test]
fn a_referral_from_a_new_referrer_gets_its_accepted_and_closing_messages() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("laptop.db");
    let ui = dir.path().join("ui");
    std::fs::create_dir_all(&ui).unwrap();
    let referral = {
        let app = BridgeProcess::start_db(&db, &ui);
        app.ok(
            "create_profile",
            json!({ "setup": { "team_name": "Rushcliffe", "worker_name": "Priya Shah", "role": "link_worker" },
                    "passphrase": TEST_PASSPHRASE, "passphrase_again": TEST_PASSPHRASE }),
        );
        let today = app.ok("status", json!({}))["today"]
            .as_str()
            .unwrap()
            .to_string();
        // A referrer with no way to reach them, or a misshapen ODS code: refused by field.
        let (status, body) = app.call(
            "add_referrer",
            json!({ "referrer": { "name": "Dr Asha Patel" } }),
        );
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["field"], "preferred_route");
        let (status, body) = app.call(
            "add_referrer",
            json!({ "referrer": { "name": "Dr Asha Patel", "ods_code": "84001", "secure_email": "asha.patel@nhs.net", "preferred_route": "secure_email" } }),
        );
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["field"], "ods_code");
        let referrer = app.ok(
            "add_referrer",
            json!({ "referrer": { "name": "Dr Asha Patel", "role": "GP", "practice": "Musters Medical Practice", "ods_code": "C84001", "secure_email": "asha.patel@nhs.net", "preferred_route": "secure_email" } }),
        );
        let taken = app.ok(
            "take_referral",
            json!({ "referral": {
                "person": { "given_name": "Margaret", "family_name": "Hill", "nhs_number": "943 476 5919" },
                "referral": { "source": "gp", "received_on": today, "reasons": ["loneliness"], "consent_to_contact": true, "referrer_id": referrer["id"] },
            }}),
        );
        let referral = taken["referral"]["id"].as_str().unwrap().to_string();
        let person = taken["person"]["id"].as_str().unwrap().to_string();
        let due = app.ok("today", json!({}))["messages_due"].clone();
        assert_eq!(due[0]["kind"], "accepted", "{due}");
        let review = app.ok(
            "referrer_message",
            json!({ "kind": "accepted", "referral_id": referral }),
        );
        assert_eq!(review["message"]["codes"][0]["code"], "871731000000106");
        let sent = app.ok(
            "mark_message_sent",
            json!({ "kind": "accepted", "referral_id": referral }),
        );
        assert_eq!(sent["route"], "secure_email");
        assert_eq!(app.ok("today", json!({}))["messages_due"], json!([]));
        app.ok(
            "record_session",
            json!({ "person_id": person, "session": { "starts_at": format!("{today} 00:05"), "mode": "face_to_face", "attendance": "attended" } }),
        );
        let episode = taken["episode"]["id"].as_str().unwrap().to_string();
        app.ok(
            "close_episode",
            json!({ "episode_id": episode, "reason": "goals_met", "closed_on": today }),
        );
        let due = app.ok("today", json!({}))["messages_due"].clone();
        assert_eq!(due[0]["kind"], "closed", "{due}");
        referral
    };

    // The command line, on the same file once the window is closed.
    let out = linkwell_ok(
        &db,
        &["--json", "message", "closed", "--referral", &referral],
    );
    let record: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(record["about"]["message"], "closed");
    assert_eq!(record["about"]["content_rule"], "codes_only");
    let first = record["sections"][0].as_object().unwrap();
    assert_eq!(
        first["Plan and requested actions"]["Plan and requested actions record entry"][0]["Actions for professionals"],
        "No action needed"
    );
    let pdf = dir.path().join("closing.pdf");
    linkwell_ok(
        &db,
        &[
            "message",
            "closed",
            "--referral",
            &referral,
            "--pdf",
            pdf.to_str().unwrap(),
            "--mark-sent",
            "secure_email",
        ],
    );
    let text = Command::new("pdftotext")
        .arg("-layout")
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("pdftotext is not installed: apt-get install -y poppler-utils");
    let text = String::from_utf8(text.stdout)
        .unwrap()
        .replace('\u{A0}', " ");
    for expected in [
        "Support closed",
        "NHS number 943 476 5919",
        "Page 1 of",
        "No action needed",
        "Goals met",
        "Sessions attended",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    let today_out: Value = serde_json::from_str(&linkwell_ok(&db, &["--json", "today"])).unwrap();
    assert_eq!(today_out["messages_due"], json!([]), "sent: nothing due");

    // A second closing message must say what it corrects; an unknown kind names the field.
    let again = linkwell(
        &db,
        &[
            "message",
            "closed",
            "--referral",
            &referral,
            "--mark-sent",
            "secure_email",
        ],
    );
    assert!(!again.status.success());
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.contains("send a correction that replaces it"), "{err}");
    let bad = linkwell(&db, &["message", "goodbye", "--referral", &referral]);
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("accepted, declined, first-seen, closed")
    );
}
