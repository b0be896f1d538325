//! Issue 15: the evaluation figures read from a real database file, through the API call the
//! Reports screen makes, for "my caseload" (every number) and "my team" (suppressed).

use crate::{TestDb, days_ago};
use linkwell_core::app::api::dispatch;
use linkwell_core::records::measures::MeasureInput;
use linkwell_core::store::today;
use serde_json::{Value, json};

fn ons4(db: &mut TestDb, p: uuid::Uuid, tp: &str, ago: i64, items: [i64; 4]) {
    let m = MeasureInput {
        instrument: "ons4".into(),
        time_point: tp.into(),
        taken_on: days_ago(ago).to_string(),
        items: items.iter().map(|v| Some(*v as f64)).collect(),
        ..Default::default()
    };
    db.store.record_measure(p, &m).unwrap();
}

fn report(db: &mut TestDb, scope: &str) -> Value {
    let args = json!({
        "name": "evaluation", "scope": scope,
        "from": days_ago(90).to_string(), "to": today().to_string(),
    });
    dispatch(&mut db.store, "report", args).unwrap()
}

/// Three people referred in the last 90 days: Ann and Bob measured at T0 and T1, Cat at T0
/// only; Ann's episode closed.
fn cohort() -> TestDb {
    let mut db = TestDb::new();
    let mut ids = Vec::new();
    for (given, ago) in [("Ann", 60), ("Bob", 50), ("Cat", 40)] {
        let mut input = crate::new_referral(given, "Report");
        input.referral.received_on = days_ago(ago).to_string();
        ids.push(db.store.take_referral(&input).unwrap());
    }
    ons4(&mut db, ids[0].person.id, "t0", 55, [4, 5, 4, 7]);
    ons4(&mut db, ids[0].person.id, "t1", 5, [6, 6, 5, 4]);
    ons4(&mut db, ids[1].person.id, "t0", 45, [3, 4, 3, 8]);
    ons4(&mut db, ids[1].person.id, "t1", 3, [3, 5, 4, 8]);
    ons4(&mut db, ids[2].person.id, "t0", 35, [2, 3, 2, 9]);
    db.store
        .close_episode(ids[0].episode.id, "goals_met", &days_ago(10).to_string())
        .unwrap();
    db
}

#[test]
fn my_caseload_shows_every_number_from_the_store() {
    let mut db = cohort();
    let r = report(&mut db, "my_caseload");
    let e = &r["evaluation"];
    assert_eq!(e["suppression_threshold"], Value::Null);
    assert_eq!(e["funnel"][0]["count"], 3, "{}", e["funnel"]);
    assert_eq!(e["funnel"][4]["count"], 1, "Ann's episode closed");
    let gp = e["by_source"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["code"] == "gp")
        .unwrap();
    assert_eq!(gp["count"], 3);
    // Life satisfaction: 4→6 and 3→3; Cat has no T1 and is not paired.
    let ls = &e["paired"][0];
    assert_eq!(
        (ls["instrument"].as_str(), ls["item"].as_str()),
        (Some("ons4"), Some("life_satisfaction"))
    );
    assert_eq!(
        (
            ls["n_from"].as_u64(),
            ls["n_to"].as_u64(),
            ls["n_paired"].as_u64()
        ),
        (Some(3), Some(2), Some(2))
    );
    assert_eq!(ls["mean_change"].as_f64(), Some(1.0));
    assert_eq!(ls["ci95"].as_array().map(Vec::len), Some(2));
    assert_eq!(e["caseload"][0]["worker"], "Priya Shah");
    assert_eq!(e["caseload"][0]["people"], 3);
    assert!(
        r["tables"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "outcomes_paired")
    );
    // Every name stays out of the report.
    let text = r.to_string();
    for name in ["Ann", "Bob", "Cat Report"] {
        assert!(!text.contains(name), "the report names {name}");
    }
}

#[test]
fn my_team_hides_numbers_below_five() {
    let mut db = cohort();
    let e = &report(&mut db, "my_team")["evaluation"];
    assert_eq!(e["suppression_threshold"], 5);
    assert_eq!(e["funnel"][0]["count"], "fewer than 5");
    assert_eq!(e["funnel"][0]["percent"], Value::Null);
    let ls = &e["paired"][0];
    assert_eq!(ls["n_paired"], "fewer than 5");
    assert_eq!(
        (&ls["mean_change"], &ls["ci95"]),
        (&Value::Null, &Value::Null)
    );
}

#[test]
fn a_backwards_period_an_unknown_report_or_scope_is_refused_naming_it() {
    let mut db = cohort();
    let mut call = |args: Value| {
        let e = dispatch(&mut db.store, "report", args).unwrap_err();
        (e.fields().first().map(|f| f.to_string()), e.to_string())
    };
    let (field, msg) = call(
        json!({"name": "evaluation", "scope": "my_team", "from": "2026-03-31", "to": "2026-01-01"}),
    );
    assert_eq!(field.as_deref(), Some("to"));
    assert!(msg.contains("before it starts"), "{msg}");
    let (field, msg) = call(
        json!({"name": "evalution", "scope": "my_team", "from": "2026-01-01", "to": "2026-03-31"}),
    );
    assert_eq!(field.as_deref(), Some("name"));
    assert!(
        msg.contains("evalution") && msg.contains("evaluation"),
        "{msg}"
    );
    let (field, _) = call(
        json!({"name": "evaluation", "scope": "everyone", "from": "2026-01-01", "to": "2026-03-31"}),
    );
    assert_eq!(field.as_deref(), Some("scope"));
}

/// The pack's text as pdftotext reads it, page by page.
fn pdf_pages(pdf: &[u8]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pack.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-layout"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext is not installed: apt-get install -y poppler-utils");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    text.split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn the_team_pack_prints_every_table_with_its_caveats_and_no_names() {
    use base64::Engine as _;
    let mut db = cohort();
    let args = json!({
        "name": "evaluation", "scope": "my_team",
        "from": days_ago(90).to_string(), "to": today().to_string(),
    });
    let answer = report(&mut db, "my_team");
    let out = dispatch(&mut db.store, "report_pdf", args).unwrap();
    let name = out["file_name"].as_str().unwrap();
    assert!(
        name.starts_with("evaluation-my_team-") && name.ends_with(".pdf"),
        "{name}"
    );
    let pdf = base64::engine::general_purpose::STANDARD
        .decode(out["pdf_base64"].as_str().unwrap())
        .unwrap();
    let pages = pdf_pages(&pdf);
    let long = |d: chrono::NaiveDate| d.format("%-d %B %Y").to_string();
    let period = format!("My team, {} to {}", long(days_ago(90)), long(today()));
    let total = pages.len();
    for (i, page) in pages.iter().enumerate() {
        assert!(
            page.contains(&period),
            "page {} lacks the period: {page}",
            i + 1
        );
        assert!(
            page.contains(&format!("Page {} of {total}", i + 1)),
            "{page}"
        );
        assert!(
            page.contains(&format!("Data as of {}", long(today()))),
            "{page}"
        );
    }
    let text = pages.join("\n");
    for t in answer["tables"].as_array().unwrap() {
        let title = t["title"].as_str().unwrap();
        assert!(text.contains(title), "the pack lacks the table {title}");
    }
    assert!(
        text.contains("fewer than 5"),
        "suppressed cells are shown as such"
    );
    assert!(
        text.contains("no comparison group"),
        "the caveats are printed"
    );
    assert!(
        text.contains("How this is counted"),
        "method notes are printed"
    );
    // The cohort's people (Ann, Bob and Cat Report) are never named.
    let words: Vec<&str> = text.split(|c: char| !c.is_alphanumeric()).collect();
    for person in ["Ann", "Bob", "Cat"] {
        assert!(!words.contains(&person), "{person} is named in the pack");
    }
}
