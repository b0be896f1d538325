//! Today, caseload, timeline, search, directory and export from a worker's point of view.

use crate::TestDb;
use linkwell_core::read::caseload::{CaseloadFilter, caseload, timeline, today};
use linkwell_core::read::search::search;
use linkwell_core::records::contacts::SessionInput;
use linkwell_core::records::directory::{ScheduleInput, ServiceInput};

fn now() -> chrono::NaiveDateTime {
    chrono::Local::now().naive_local()
}

#[test]
fn today_shows_appointments_and_referrals_waiting_with_days() {
    let mut db = TestDb::new();
    let me = db.store.actor().unwrap().worker_id;
    let t = db.take_referral("Olumide", "Mensah");
    let waiting = today(db.store.conn(), me, linkwell_core::store::today())
        .unwrap()
        .waiting;
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].days_waiting, 3);
    let later = linkwell_core::store::today()
        .and_hms_opt(23, 30, 0)
        .unwrap();
    db.store
        .record_session(
            t.person.id,
            &SessionInput {
                starts_at: later.format("%Y-%m-%d %H:%M").to_string(),
                mode: "phone".into(),
                attendance: "booked".into(),
                ..Default::default()
            },
        )
        .unwrap();
    let day = today(db.store.conn(), me, linkwell_core::store::today()).unwrap();
    assert_eq!(day.appointments.len(), 1);
    assert_eq!(day.appointments[0].person_name, "Olumide Mensah");
}

#[test]
fn caseload_filters_by_status_and_worker() {
    let mut db = TestDb::new();
    let me = db.store.actor().unwrap().worker_id;
    for (g, f) in [("Ann", "Brown"), ("Bob", "Clarke"), ("Cat", "Davies")] {
        db.take_referral(g, f);
    }
    let mine = caseload(
        db.store.conn(),
        &CaseloadFilter {
            worker_id: Some(me),
            ..Default::default()
        },
        now(),
    )
    .unwrap();
    assert_eq!(
        mine.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
        ["Ann Brown", "Bob Clarke", "Cat Davies"]
    );
    let active = caseload(
        db.store.conn(),
        &CaseloadFilter {
            worker_id: Some(me),
            status: Some("active".into()),
            ..Default::default()
        },
        now(),
    )
    .unwrap();
    assert!(active.is_empty());
    let other = caseload(
        db.store.conn(),
        &CaseloadFilter {
            worker_id: Some(uuid::Uuid::now_v7()),
            ..Default::default()
        },
        now(),
    )
    .unwrap();
    assert!(other.is_empty());
}

#[test]
fn search_finds_people_notes_and_services_including_accented_names() {
    let mut db = TestDb::new();
    let p = db.take_referral("Siobhán", "Ní Bhriain").person.id;
    db.store
        .add_note(p, None, "Keen on the allotment society; needs a lift there")
        .unwrap();
    db.store
        .add_service(&ServiceInput {
            name: "East Leake walking group".into(),
            description: "A gentle walk ending with tea".into(),
            categories: vec!["physical_activity".into()],
            five_ways: vec!["be_active".into(), "connect".into()],
            schedules: vec![ScheduleInput {
                weekday: "thu".into(),
                starts: "13:30".into(),
                ends: "15:00".into(),
                frequency: None,
            }],
            postcode: Some("le12 6lg".into()),
            taking_new_members: true,
            ..Default::default()
        })
        .unwrap();
    let kinds = |q: &str| {
        search(db.store.conn(), q, None, 10)
            .unwrap()
            .into_iter()
            .map(|h| h.kind)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        kinds("siobhan"),
        ["person"],
        "accents are ignored in search"
    );
    assert_eq!(kinds("Siobhán"), ["person"]);
    assert_eq!(kinds("allot"), ["note"], "prefix match");
    assert_eq!(kinds("walking"), ["service"]);
    assert!(kinds("\"unbalanced").is_empty());
    let hit = &search(db.store.conn(), "allotment", None, 10).unwrap()[0];
    assert_eq!(hit.person_id, Some(p));
    assert!(hit.snippet.contains("[allotment]"));
}

#[test]
fn directory_services_are_validated_archived_and_merged_never_deleted() {
    let mut db = TestDb::new();
    let base = ServiceInput {
        name: "Knit and natter".into(),
        description: "Knitting and chat".into(),
        categories: vec!["community_activities".into()],
        schedules: vec![ScheduleInput {
            weekday: "tue".into(),
            starts: "10:00".into(),
            ends: "12:00".into(),
            frequency: None,
        }],
        ..Default::default()
    };
    let bad = ServiceInput {
        schedules: vec![ScheduleInput {
            weekday: "tue".into(),
            starts: "12:00".into(),
            ends: "10:00".into(),
            frequency: None,
        }],
        ..base.clone()
    };
    assert_eq!(
        db.store.add_service(&bad).unwrap_err().fields(),
        ["schedules[0].ends"]
    );
    let a = db.store.add_service(&base).unwrap();
    assert_eq!(a.schedules[0].to_string(), "Tuesdays 10:00–12:00");
    let dup = db.store.add_service(&base).unwrap();
    let p = db.take_referral("Iwona", "Nowak").person.id;
    let r = db.store.refer_onward(p, dup.id, "suggested").unwrap();
    db.store.merge_service(dup.id, a.id).unwrap();
    assert_eq!(
        db.store.service(dup.id).unwrap().id,
        a.id,
        "a merged record redirects"
    );
    assert_eq!(db.store.services().unwrap().len(), 1);
    let r = db
        .store
        .update_onward_referral(
            r.id,
            Some("referral_made"),
            Some(&["transport".into()]),
            Some("Welcome any time"),
        )
        .unwrap();
    assert_eq!(r.barriers.len(), 1);
    db.store.archive_service(a.id).unwrap();
    assert!(
        db.store.refer_onward(p, a.id, "suggested").is_err(),
        "a closed service takes no referrals"
    );
    assert_eq!(db.count("service"), 2, "nothing hard-deleted");
}

#[test]
fn the_timeline_and_export_hold_everything_about_a_person() {
    let mut db = TestDb::new();
    let t = db.take_referral("Yusuf", "Ahmed");
    db.store
        .add_note(t.person.id, None, "Prefers text messages")
        .unwrap();
    let items = timeline(db.store.conn(), t.person.id).unwrap();
    let kinds: Vec<&str> = items.iter().map(|i| i.kind.as_str()).collect();
    assert!(
        kinds.contains(&"referral") && kinds.contains(&"note"),
        "{kinds:?}"
    );
    let other = db.take_referral("Other", "Person");
    let export = db.store.export_person(t.person.id).unwrap();
    let text = export.to_string();
    assert!(text.contains("Prefers text messages") && text.contains("Yusuf"));
    assert!(
        !text.contains(&other.person.id.to_string()),
        "another person's data leaked into the export"
    );
    assert!(export["change_history"].as_array().unwrap().len() >= 5);
}

#[test]
fn an_onward_referral_starts_in_a_starting_status_and_is_made_once_per_service() {
    use linkwell_core::CoreError;
    use linkwell_core::error::Refusal;
    let mut db = TestDb::new();
    let walk = db
        .store
        .add_service(&ServiceInput {
            name: "East Leake walking group".into(),
            description: "A gentle weekly walk".into(),
            categories: vec!["physical_activity".into()],
            ..Default::default()
        })
        .unwrap();
    let p = db.take_referral("Margaret", "Thornbury").person.id;
    // Nobody is "attending" a group they have not been referred to yet.
    let err = db.store.refer_onward(p, walk.id, "attending").unwrap_err();
    assert_eq!(err.fields(), ["status"], "{err}");
    let first = db.store.refer_onward(p, walk.id, "referral_made").unwrap();
    // A second referral to the same service while the first is under way is refused.
    let err = db.store.refer_onward(p, walk.id, "suggested").unwrap_err();
    assert!(
        matches!(err, CoreError::Refused(Refusal::AlreadyReferred { .. })),
        "{err}"
    );
    assert_eq!(db.store.onward_referrals(p).unwrap().len(), 1);
    // Once she has declined it, she may be referred again later.
    db.store
        .update_onward_referral(first.id, Some("declined"), None, None)
        .unwrap();
    db.store.refer_onward(p, walk.id, "suggested").unwrap();
    assert_eq!(db.store.onward_referrals(p).unwrap().len(), 2);
}
