//! Issue 17 items 3 and 6 on real files: a group's places, its waiting list, sessions attended
//! after an onward referral (and the report's enrol/engage figure), and the lead's feedback.

use crate::TestDb;
use linkwell_core::app::api::dispatch;
use linkwell_core::records::directory::ServiceInput;
use linkwell_core::records::groups::{CapacityInput, LeadFeedbackInput, WaitingInput};
use linkwell_core::store::today;
use serde_json::json;
use uuid::Uuid;

fn walk(db: &mut TestDb) -> Uuid {
    db.store
        .add_service(&ServiceInput {
            name: "East Leake walking group".into(),
            description: "A gentle weekly walk".into(),
            categories: vec!["physical_activity".into()],
            ..Default::default()
        })
        .unwrap()
        .id
}

fn places(per: &str, free: &str, room: &str) -> CapacityInput {
    CapacityInput {
        places_per_session: Some(per.into()),
        places_free: Some(free.into()),
        has_room: Some(room.into()),
    }
}

#[test]
fn places_free_above_places_per_session_is_refused_naming_the_field() {
    let mut db = TestDb::new();
    let g = walk(&mut db);
    let before = db.log_len();
    let err = db
        .store
        .set_capacity(g, &places("10", "12", ""))
        .unwrap_err();
    assert_eq!(err.fields(), ["places_free"], "{err}");
    assert!(
        err.to_string()
            .contains("cannot be more than places per session"),
        "{err}"
    );
    let err = db
        .store
        .set_capacity(g, &places("ten", "", ""))
        .unwrap_err();
    assert_eq!(err.fields(), ["places_per_session"], "{err}");
    assert_eq!(db.log_len(), before, "a refused form writes nothing");

    // With places free known, whether it has room follows from them.
    let s = db.store.set_capacity(g, &places("12", "0", "yes")).unwrap();
    assert_eq!(s.capacity.has_room.as_str(), "no");
    // Without numbers, the worker says whether it has room; it survives an edit of the rest.
    db.store.set_capacity(g, &places("", "", "yes")).unwrap();
    let mut input = ServiceInput {
        name: "East Leake walking group".into(),
        description: "A gentle walk, every Thursday".into(),
        categories: vec!["physical_activity".into()],
        ..Default::default()
    };
    input.taking_new_members = true;
    db.store.update_service(g, &input).unwrap();
    let db = db.reopen();
    let s = db.store.service(g).unwrap();
    assert_eq!(s.capacity.has_room.as_str(), "yes");
    assert_eq!(s.capacity.places_free, None);
    assert_eq!(s.capacity.capacity_on, Some(today()));
}

#[test]
fn a_waiting_list_shows_who_waits_since_when_and_ends_when_they_attend() {
    let mut db = TestDb::new();
    let g = walk(&mut db);
    let p = db.take_referral("Margaret", "Thornbury").person.id;
    let since = (today() - chrono::Duration::days(14))
        .format("%d/%m/%Y")
        .to_string();
    // Put on the list from the group's page: the onward referral is made in the same write.
    let e = db
        .store
        .join_waiting_list(&WaitingInput {
            person_id: p,
            service_id: g,
            since_on: Some(since),
        })
        .unwrap();
    let onward = db.store.onward_referrals(p).unwrap();
    assert_eq!(onward.len(), 1);
    assert_eq!(onward[0].status.as_str(), "referral_made");
    assert_eq!(onward[0].agreed_on, Some(today()), "referred is agreed");
    let again = db
        .store
        .join_waiting_list(&WaitingInput {
            person_id: p,
            service_id: g,
            since_on: None,
        })
        .unwrap_err();
    assert!(
        again.to_string().contains("Already on the waiting list"),
        "{again}"
    );
    let future = db.store.join_waiting_list(&WaitingInput {
        person_id: p,
        service_id: g,
        since_on: Some("01/01/2099".into()),
    });
    assert_eq!(future.unwrap_err().fields(), ["since_on"]);

    let mut db = db.reopen();
    let list = db.store.waiting_list(g).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].person_name, "Margaret Thornbury");
    assert_eq!(list[0].worker_name, "Priya Shah");
    assert_eq!(list[0].days_waiting, 14);
    assert_eq!(list[0].entry.id, e.id);

    // Their first session: attending, and the wait is over (they got a place).
    let err = db
        .store
        .record_group_attendance(onward[0].id, "01/01/2099")
        .unwrap_err();
    assert_eq!(err.fields(), ["attended_on"]);
    db.store
        .record_group_attendance(onward[0].id, &today().to_string())
        .unwrap();
    let twice = db
        .store
        .record_group_attendance(onward[0].id, &today().to_string())
        .unwrap_err();
    assert!(twice.to_string().contains("Already recorded"), "{twice}");
    assert!(db.store.waiting_list(g).unwrap().is_empty());
    let r = db.store.onward_referrals(p).unwrap().remove(0);
    assert_eq!(r.status.as_str(), "attending");
    let t = db.store.take_up(&r).unwrap();
    assert_eq!(t.attended, [today()]);
    assert!(t.enrolled && t.engaged && t.waiting.is_none());
    assert!(
        t.adherence_label.starts_with("8 weeks on "),
        "{}",
        t.adherence_label
    );
}

#[test]
fn the_group_leads_feedback_is_kept_on_the_referral_with_who_and_when() {
    let mut db = TestDb::new();
    let g = walk(&mut db);
    let p = db.take_referral("Margaret", "Thornbury").person.id;
    let o = db.store.refer_onward(p, g, "referral_made").unwrap();
    let err = db
        .store
        .record_lead_feedback(o.id, &LeadFeedbackInput::default())
        .unwrap_err();
    assert_eq!(err.fields(), ["from_whom", "said"], "{err}");
    db.store
        .record_lead_feedback(
            o.id,
            &LeadFeedbackInput {
                received_on: None,
                from_whom: "Jean (walk leader)".into(),
                said: "Came twice, chatting with the others".into(),
            },
        )
        .unwrap();
    let mut db = db.reopen();
    let rec = dispatch(&mut db.store, "person_record", json!({"person_id": p})).unwrap();
    let fb = &rec["onward"][0]["take_up"]["lead_feedback"][0];
    assert_eq!(fb["from_whom"], "Jean (walk leader)");
    assert_eq!(fb["received_on"], today().to_string());
}

#[test]
fn the_report_counts_enrolled_and_engaged_onward_referrals_by_category() {
    let mut db = TestDb::new();
    let g = walk(&mut db);
    let mut onward = Vec::new();
    for (given, status) in [
        ("Ann", "suggested"),
        ("Bob", "agreed"),
        ("Cat", "referral_made"),
        ("Dan", "suggested"),
    ] {
        let p = db.take_referral(given, "Walker").person.id;
        onward.push(db.store.refer_onward(p, g, status).unwrap());
    }
    // Bob agreed, then stopped before going: still enrolled. Cat went. Dan went without the
    // agreement being recorded first: going is enrolling.
    db.store
        .update_onward_referral(onward[1].id, Some("stopped"), None, None)
        .unwrap();
    for o in [&onward[2], &onward[3]] {
        db.store
            .record_group_attendance(o.id, &today().to_string())
            .unwrap();
    }
    let args = json!({
        "name": "evaluation", "scope": "my_caseload",
        "from": (today() - chrono::Duration::days(30)).to_string(), "to": today().to_string(),
    });
    let r = dispatch(&mut db.store, "report", args).unwrap();
    let walk = r["evaluation"]["take_up"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["code"] == "physical_activity")
        .unwrap()
        .clone();
    assert_eq!(
        [
            &walk["referred"],
            &walk["enrolled"],
            &walk["engaged"],
            &walk["adhered"],
            &walk["too_soon"]
        ],
        [&json!(4), &json!(3), &json!(2), &json!(0), &json!(2)]
    );
    let table = r["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "onward_take_up")
        .unwrap();
    assert!(
        table["title"]
            .as_str()
            .unwrap()
            .contains("enrol, engage, adhere")
    );
}
