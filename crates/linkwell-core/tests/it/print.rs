//! Green Book pages from a real record, read back with real PDF tools.

use crate::TestDb;
use linkwell_core::read::print::GreenBookOptions;
use linkwell_core::records::directory::{ScheduleInput, ServiceInput};
use linkwell_core::records::plans::{GoalInput, StepInput, WellbeingPlanInput};
use std::process::Command;

fn pdftotext(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("book.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext is not installed: apt-get install -y poppler-utils");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_persons_green_book_prints_their_plan_goals_and_groups() {
    let mut db = TestDb::new();
    let mut input = crate::new_referral("Siobhán", "Ní Bhriain");
    input.person.preferred_name = Some("Shiv".into());
    let p = db.store.take_referral(&input).unwrap().person.id;
    db.store
        .save_wellbeing_plan(
            p,
            &WellbeingPlanInput {
                keeps_me_well: "Walking the dog by the canal".into(),
                crisis_help: "My sister Aoife".into(),
                ..Default::default()
            },
        )
        .unwrap();
    db.store
        .add_goal(
            p,
            &GoalInput {
                text: "Join a group where I can sing".into(),
                five_ways: "connect".into(),
                steps: vec![StepInput {
                    text: "Ring the choir leader".into(),
                    target_on: Some("2027-01-15".into()),
                }],
            },
        )
        .unwrap();
    let svc = db
        .store
        .add_service(&ServiceInput {
            name: "East Leake walking group".into(),
            description: "A gentle walk, then tea".into(),
            categories: vec!["physical_activity".into()],
            schedules: vec![ScheduleInput {
                weekday: "thu".into(),
                starts: "13:30".into(),
                ends: "15:00".into(),
                frequency: None,
            }],
            postcode: Some("LE12 6LG".into()),
            ..Default::default()
        })
        .unwrap();
    let onward = db.store.refer_onward(p, svc.id, "agreed").unwrap();
    assert_introduction_shares_only_the_first_name(&mut db, onward.id, p);
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 22);
    let opts = GreenBookOptions {
        fixed_date: date,
        ..Default::default()
    };
    let pdf = db.store.green_book_pdf(p, &opts).unwrap();
    let text = pdftotext(&pdf);
    for expected in [
        "Shiv",
        "Walking the dog by the canal",
        "Join a group where I can sing",
        "Ring the choir leader",
        "East Leake walking group",
        "Thursdays 13:30",
        "LE12 6LG",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    assert_eq!(
        pdf,
        db.store.green_book_pdf(p, &opts).unwrap(),
        "same data and options give the same bytes"
    );
    let err = db
        .store
        .green_book_pdf(
            p,
            &GreenBookOptions {
                pages: Some("goals,gaols".into()),
                ..opts.clone()
            },
        )
        .unwrap_err();
    assert_eq!(err.fields(), ["pages"]);
    let page = db.store.service_page_pdf(svc.id, &opts).unwrap();
    assert!(pdftotext(&page).contains("East Leake walking group"));

    // Saved from the desktop window: named by the record's id, never over an earlier copy.
    let folder = tempfile::tempdir().unwrap();
    let first = db
        .store
        .save_service_page(svc.id, &opts, folder.path())
        .unwrap();
    let second = db
        .store
        .save_service_page(svc.id, &opts, folder.path())
        .unwrap();
    let name = |p: &std::path::Path| p.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name(&first).starts_with("group-insert-"), "{first:?}");
    assert!(name(&second).ends_with("-2.pdf"), "{second:?}");
    let saved = std::fs::read(&second).unwrap();
    assert!(pdftotext(&saved).contains("East Leake walking group"));
}

#[test]
fn large_print_follows_the_recorded_communication_need() {
    let mut db = TestDb::new();
    let mut input = crate::new_referral("Doreen", "Taylor");
    input.person.large_print = true;
    let p = db.store.take_referral(&input).unwrap().person.id;
    db.store
        .save_wellbeing_plan(
            p,
            &WellbeingPlanInput {
                keeps_me_well: "Radio 4 in the morning".into(),
                ..Default::default()
            },
        )
        .unwrap();
    let book = db.store.green_book(p).unwrap();
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 22);
    let large = db
        .store
        .green_book_pdf(
            p,
            &GreenBookOptions {
                fixed_date: date,
                ..Default::default()
            },
        )
        .unwrap();
    let standard = db
        .store
        .green_book_pdf(
            p,
            &GreenBookOptions {
                fixed_date: date,
                large_print: Some(false),
                ..Default::default()
            },
        )
        .unwrap();
    assert_ne!(large, standard);
    let opts = linkwell_print::PrintOptions {
        large_print: true,
        ..linkwell_print::PrintOptions::new(date.unwrap())
    };
    let doc = linkwell_print::layout_green_book(&book, &opts).unwrap();
    assert!(
        doc.pages
            .iter()
            .flat_map(|p| &p.runs)
            .all(|r| r.size_pt >= 16.0 - 1e-9 || r.size_pt < 12.0),
        "body text is at least 16 pt"
    );
}

/// Issue 13 item 10: the next-steps page is not blank when a next step was agreed but nothing
/// is booked yet, and the person's book prints measures in words, not raw scores.
#[test]
fn the_green_book_shows_the_agreed_next_step_and_measures_in_words() {
    use linkwell_core::domain::vocabulary::Instrument;
    use linkwell_core::records::contacts::SessionInput;
    use linkwell_core::records::measures::{InstrumentLicence, MeasureInput};
    let mut db = TestDb::new();
    let p = db.take_referral("Olumide", "Adeyemi").person.id;
    db.store
        .record_session(
            p,
            &SessionInput {
                starts_at: format!("{} 10:00", crate::days_ago(2)),
                mode: "face_to_face".into(),
                attendance: "attended".into(),
                actions_agreed: Some("Try the Tuesday walk".into()),
                next_step: Some("Phone call with Jo next week".into()),
                ..Default::default()
            },
        )
        .unwrap();
    db.store
        .write(|w| {
            let l = InstrumentLicence {
                id: w.new_id(),
                instrument: Instrument::Pam,
                licence_holder: "Rushcliffe PCN".into(),
                enabled: true,
                recorded_on: crate::days_ago(30),
                licensed_on: Some(crate::days_ago(30)),
                covers_items: false,
            };
            w.create(&l)
        })
        .unwrap();
    db.store
        .record_measure(
            p,
            &MeasureInput {
                instrument: "pam".into(),
                time_point: "t0".into(),
                taken_on: crate::days_ago(2).to_string(),
                score: Some(60.5),
                ..Default::default()
            },
        )
        .unwrap();
    let text = pdftotext(
        &db.store
            .green_book_pdf(p, &GreenBookOptions::default())
            .unwrap(),
    );
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for expected in [
        "Phone call with Jo next week",
        "Try the Tuesday walk",
        "level 3 of 4: taking action",
    ] {
        assert!(flat.contains(expected), "missing {expected:?} in:\n{text}");
    }
    assert!(
        !flat.contains("60.5"),
        "the raw PAM score is not for the person:\n{text}"
    );
}

/// The introduction for the group lead: the first name, the group, who comes along and the
/// worker's contact, on one A4 page and as text; not the family name, goals or needs.
fn assert_introduction_shares_only_the_first_name(
    db: &mut TestDb,
    onward_id: uuid::Uuid,
    person_id: uuid::Uuid,
) {
    use linkwell_core::records::directory::AccompaniedInput;
    let (intro, _) = db.store.introduction(onward_id).unwrap();
    let person = db.store.person(person_id).unwrap();
    let first = person
        .preferred_name
        .clone()
        .unwrap_or(person.given_name.clone());
    assert!(intro.text.starts_with("Hello,"), "{}", intro.text);
    assert!(intro.text.contains(&first), "{}", intro.text);
    assert!(
        intro.text.contains("East Leake walking group"),
        "{}",
        intro.text
    );
    assert!(intro.text.contains("No one from"), "{}", intro.text);
    db.store
        .record_accompanied(
            onward_id,
            &AccompaniedInput {
                worker_id: None,
                volunteer_name: Some("Ann Volunteer".into()),
            },
        )
        .unwrap();
    let pdf = db.store.introduction_pdf(onward_id).unwrap();
    let text = pdftotext(&pdf);
    for said in [
        first.as_str(),
        "East Leake walking group",
        "Ann Volunteer will come along",
    ] {
        assert!(text.contains(said), "{said}: {text}");
    }
    for withheld in [person.family_name.as_str(), "where I can sing"] {
        assert!(
            !text.contains(withheld),
            "{withheld} must not be shared: {text}"
        );
    }
    assert_eq!(text.matches('\u{c}').count(), 1, "one page: {text}");
}
