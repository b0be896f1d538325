//! Issue 15: `linkwell report evaluation` through the real binary on a demo database.

use linkwell_e2e::{linkwell, linkwell_ok};

#[test]
fn the_evaluation_report_as_json_csv_and_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("laptop.db");
    let init = [
        "init",
        "--team",
        "Rushcliffe",
        "--name",
        "Sam Lee",
        "--role",
        "supervisor",
        "--plaintext",
    ];
    linkwell_ok(&db, &init);
    linkwell_ok(
        &db,
        &[
            "demo",
            "--people",
            "300",
            "--sessions",
            "2000",
            "--seed",
            "5",
            "--today",
            "2026-06-01",
        ],
    );
    let (from, to) = ("2025-06-02", "2026-06-01");
    let period = ["--from", from, "--to", to];

    let mut args = vec!["--json", "report", "evaluation"];
    args.extend(period);
    let v: serde_json::Value = serde_json::from_str(&linkwell_ok(&db, &args)).unwrap();
    assert_eq!(v["scope"], "my_team");
    assert_eq!(v["suppression_threshold"], 5);
    let steps: Vec<&str> = v["funnel"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        ["received", "contacted", "first_seen", "active", "closed"]
    );
    assert!(
        v["funnel"][0]["count"].as_u64().unwrap() >= 5,
        "{}",
        v["funnel"]
    );
    let paired = v["paired"].as_array().unwrap();
    assert!(!paired.is_empty(), "the demo has measured people");
    for p in paired {
        for key in [
            "instrument",
            "item",
            "from",
            "to",
            "n_from",
            "n_to",
            "n_paired",
            "mean_from",
            "mean_to",
            "mean_change",
            "ci95",
        ] {
            assert!(p.get(key).is_some(), "{key} missing from {p}");
        }
    }

    let csv = dir.path().join("csv");
    let mut args = vec!["report", "evaluation", "--csv", csv.to_str().unwrap()];
    args.extend(period);
    linkwell_ok(&db, &args);
    let funnel = std::fs::read_to_string(csv.join("funnel.csv")).unwrap();
    assert!(
        funnel.starts_with("\u{feff}Step,People,Of those received\r\n"),
        "{funnel}"
    );
    assert!(csv.join("outcomes_paired.csv").exists());

    // The evaluation pack as a PDF in one command, read back by poppler.
    let pdf = dir.path().join("pack.pdf");
    let mut args = vec!["report", "evaluation", "--pdf", pdf.to_str().unwrap()];
    args.extend(period);
    linkwell_ok(&db, &args);
    let text = std::process::Command::new("pdftotext")
        .args(["-layout", pdf.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils)");
    let text = String::from_utf8_lossy(&text.stdout);
    for title in [
        "Evaluation pack",
        "From referral to support",
        "Outcome change",
        "Read this first",
    ] {
        assert!(text.contains(title), "the pack lacks {title}");
    }
    assert!(
        text.contains("My team, 2 June 2025 to 1 June 2026"),
        "{text}"
    );

    let out = linkwell(
        &db,
        &[
            "report",
            "evaluation",
            "--from",
            "2026-03-31",
            "--to",
            "2026-01-01",
        ],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("before it starts") && err.contains("2026-01-01"),
        "{err}"
    );
    let out = linkwell(
        &db,
        &[
            "report",
            "evalution",
            "--from",
            "2026-01-01",
            "--to",
            "2026-03-31",
        ],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("evalution") && err.contains("Reports: evaluation"),
        "{err}"
    );
}
