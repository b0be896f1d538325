//! Issue 14: every instrument from its own form, follow-ups that outlive the episode, and
//! licences. Real database files; Today and the person page read through the same rule.

use crate::{TestDb, days_ago};
use chrono::{Duration, Months};
use linkwell_core::domain::vocabulary::{Instrument, TimePoint};
use linkwell_core::read::caseload;
use linkwell_core::records::follow_ups::{Cadence, FollowUpDecisionInput, FollowUpState};
use linkwell_core::records::measures::{InstrumentLicence, MeasureInput};
use linkwell_core::records::people::ConsentInput;
use linkwell_core::store::today;
use uuid::Uuid;

fn measure(inst: &str, tp: &str, on: chrono::NaiveDate, items: &[i64]) -> MeasureInput {
    MeasureInput {
        instrument: inst.into(),
        time_point: tp.into(),
        taken_on: on.to_string(),
        items: items.iter().map(|v| Some(*v as f64)).collect(),
        ..Default::default()
    }
}

fn licence(db: &mut TestDb, inst: Instrument, covers_items: bool) {
    db.store
        .write(|w| {
            let l = InstrumentLicence {
                id: w.new_id(),
                instrument: inst,
                licence_holder: "Rushcliffe PCN".into(),
                enabled: true,
                recorded_on: today(),
                licensed_on: Some(days_ago(30)),
                covers_items,
            };
            w.create(&l)
        })
        .unwrap();
}

/// The first field each refusal names, and that nothing was written.
fn refused(db: &mut TestDb, p: Uuid, input: &MeasureInput) -> (Vec<String>, String) {
    let before = db.log_len();
    let e = db.store.record_measure(p, input).unwrap_err();
    assert_eq!(db.log_len(), before, "a refused measure writes nothing");
    (
        e.fields().iter().map(|f| f.to_string()).collect(),
        e.to_string(),
    )
}

#[test]
fn every_instrument_is_recorded_from_its_own_form_and_checked_in_words() {
    let mut db = TestDb::new();
    let p = db.take_referral("Fatima", "Begum").person.id;
    let on = days_ago(1);

    // Public instruments need no licence.
    let m = db
        .store
        .record_measure(p, &measure("loneliness", "t0", on, &[2]))
        .unwrap();
    assert_eq!(m.summary(), "lonely: some of the time");
    let (f, msg) = refused(&mut db, p, &measure("loneliness", "t0", on, &[6]));
    assert_eq!(f, ["items.how_often"]);
    assert!(
        msg.contains("How often lonely must be a whole number from 1 to 5"),
        "{msg}"
    );
    let m = db
        .store
        .record_measure(p, &measure("group_memberships", "t0", on, &[3]))
        .unwrap();
    assert_eq!(m.summary(), "3 groups");
    let m = db
        .store
        .record_measure(p, &measure("service_use", "t0", on, &[2, 1, 0, 1, 0, 3, 0]))
        .unwrap();
    assert_eq!(
        m.summary(),
        "GP appointments 2, A&E attendances 1, Nights in hospital 0, Practice nurse appointments 1, \
         Calls to 111 or out of hours 0, Outpatient appointments 3, Social care contacts 0"
    );
    let mut missing = measure("service_use", "t0", on, &[2, 1, 0, 1]);
    missing.items.push(None);
    missing.items.push(Some(-1.0));
    let (f, msg) = refused(&mut db, p, &missing);
    assert_eq!(
        f,
        [
            "items.out_of_hours",
            "items.outpatient",
            "items.social_care"
        ]
    );
    assert!(
        msg.contains("Calls to 111 or out of hours is needed"),
        "{msg}"
    );

    // Licensed instruments say why they cannot be recorded until the licence arrives.
    let form = db.store.instrument_form(Instrument::Pam).unwrap();
    assert!(form.unavailable.as_deref().unwrap().contains("next sync"));
    let pam = MeasureInput {
        score: Some(56.0),
        ..measure("pam", "t0", on, &[])
    };
    let (f, _) = refused(&mut db, p, &pam);
    assert_eq!(f, ["instrument"]);
    for i in [
        Instrument::Pam,
        Instrument::Eq5d,
        Instrument::WellbeingStar,
        Instrument::Swemwbs,
    ] {
        licence(&mut db, i, false);
    }
    assert!(
        db.store
            .instrument_form(Instrument::Pam)
            .unwrap()
            .unavailable
            .is_none()
    );
    assert_eq!(db.store.record_measure(p, &pam).unwrap().level, Some(3));
    let (f, msg) = refused(
        &mut db,
        p,
        &MeasureInput {
            level: Some(1.0),
            ..pam.clone()
        },
    );
    assert_eq!(f, ["level"]);
    assert!(
        msg.contains("A PAM score of 56.0 is level 3, not 1"),
        "{msg}"
    );

    let eq = MeasureInput {
        score: Some(0.712),
        ..measure("eq5d", "t0", on, &[70])
    };
    assert_eq!(
        db.store.record_measure(p, &eq).unwrap().summary(),
        "index 0.712, health today 70 out of 100"
    );
    let (f, _) = refused(
        &mut db,
        p,
        &MeasureInput {
            score: Some(1.2),
            ..measure("eq5d", "t0", on, &[101])
        },
    );
    assert_eq!(f, ["score", "items.vas"]);

    let star = db
        .store
        .record_measure(
            p,
            &measure("wellbeing_star", "t0", on, &[3, 4, 5, 6, 7, 8, 9, 10]),
        )
        .unwrap();
    assert!(
        star.summary()
            .starts_with("Lifestyle 3, Looking after yourself 4"),
        "{}",
        star.summary()
    );
    let (f, _) = refused(
        &mut db,
        p,
        &measure("wellbeing_star", "t0", on, &[3, 4, 0, 6, 7, 8, 9, 10]),
    );
    assert_eq!(f, ["items.managing_symptoms"]);

    // SWEMWBS: the metric score only, unless the licence covers the answers.
    let sw = MeasureInput {
        score: Some(23.21),
        ..measure("swemwbs", "t0", on, &[])
    };
    assert_eq!(
        db.store.record_measure(p, &sw).unwrap().items,
        Vec::<i64>::new()
    );
    let with_items = MeasureInput {
        score: Some(23.21),
        ..measure("swemwbs", "t0", on, &[3, 3, 4, 2, 3, 4, 3])
    };
    let (f, msg) = refused(&mut db, p, &with_items);
    assert_eq!(f, ["items"]);
    assert!(msg.contains("SWEMWBS has 0 answers"), "{msg}");
    licence(&mut db, Instrument::Swemwbs, true);
    assert_eq!(
        db.store.record_measure(p, &with_items).unwrap().items.len(),
        7
    );

    // ONS4 keeps its four answers and names a wrong one.
    let (f, msg) = refused(&mut db, p, &measure("ons4", "t0", on, &[4, 5, 11, 7]));
    assert_eq!(f, ["items.happiness"]);
    assert!(
        msg.contains("Happiness yesterday must be a whole number from 0 to 10"),
        "{msg}"
    );
}

#[test]
fn a_follow_up_before_its_baseline_is_refused() {
    let mut db = TestDb::new();
    let p = db.take_referral("Raj", "Singh").person.id;
    let (f, msg) = refused(
        &mut db,
        p,
        &measure("ons4", "t1", days_ago(1), &[4, 5, 6, 7]),
    );
    assert_eq!(f, ["time_point"]);
    assert!(msg.contains("no baseline (T0)"), "{msg}");
    db.store
        .record_measure(p, &measure("ons4", "t0", days_ago(10), &[4, 5, 6, 7]))
        .unwrap();
    let (f, _) = refused(
        &mut db,
        p,
        &measure("ons4", "t1", days_ago(20), &[4, 5, 6, 7]),
    );
    assert_eq!(f, ["taken_on"]);
}

/// A referral entered today that was received two years ago (a worker catching up on paper
/// records) takes the measures of its time: the year's limit counts from the first referral.
#[test]
fn a_back_entered_referral_takes_the_measures_of_its_time() {
    let mut db = TestDb::new();
    let mut old = crate::new_referral("Ann", "Ellis");
    old.referral.received_on = days_ago(730).to_string();
    let p = db.store.take_referral(&old).unwrap().person.id;
    db.store
        .record_measure(p, &measure("ons4", "t0", days_ago(720), &[3, 4, 5, 6]))
        .unwrap();
    let (f, msg) = refused(
        &mut db,
        p,
        &measure("ons4", "t1", days_ago(730 + 400), &[4, 5, 6, 7]),
    );
    assert!(f.iter().all(|f| f == "taken_on"), "{f:?}");
    assert!(msg.contains("more than a year before"), "{msg}");
}

fn today_list(db: &TestDb, on: chrono::NaiveDate) -> Vec<(String, TimePoint, chrono::NaiveDate)> {
    let me = db.store.actor().unwrap().worker_id;
    caseload::today(db.store.conn(), me, on)
        .unwrap()
        .follow_ups
        .into_iter()
        .map(|f| (f.person_name, f.time_point, f.due_on))
        .collect()
}

#[test]
fn follow_ups_outlive_the_episode_until_recorded_or_decided() {
    let mut db = TestDb::new();
    let mut input = crate::new_referral("Pauline", "Wright");
    input.referral.received_on = days_ago(200).to_string();
    let taken = db.store.take_referral(&input).unwrap();
    let p = taken.person.id;
    let baseline = days_ago(150);
    db.store
        .record_measure(p, &measure("ons4", "t0", baseline, &[4, 5, 6, 7]))
        .unwrap();
    db.store
        .record_measure(p, &measure("loneliness", "t0", baseline, &[2]))
        .unwrap();
    db.store
        .close_episode(taken.episode.id, "goals_met", &days_ago(100).to_string())
        .unwrap();

    // Closed after a few sessions: the 4-month follow-up is still on Today, at its date.
    let t1 = baseline.checked_add_months(Months::new(4)).unwrap();
    assert_eq!(
        today_list(&db, today()),
        [("Pauline Wright".to_string(), TimePoint::T1, t1)]
    );
    let page = db.store.follow_ups(p).unwrap();
    let open: Vec<_> = page.iter().filter(|f| f.on_today).collect();
    assert_eq!(open.len(), 1, "the person page agrees with Today");
    assert_eq!(
        open[0].instruments,
        [Instrument::Ons4, Instrument::Loneliness]
    );
    // T2 shows a week before it is due, and on Today from then.
    let t2 = baseline.checked_add_months(Months::new(8)).unwrap();
    assert!(
        today_list(&db, t2 - Duration::days(8))
            .iter()
            .all(|f| f.1 == TimePoint::T1)
    );
    assert!(
        today_list(&db, t2 - Duration::days(7))
            .iter()
            .any(|f| f.1 == TimePoint::T2)
    );

    // A decision needs a reason, and names the field.
    let decide = |decision: &str, note: Option<&str>, days: Option<i64>| FollowUpDecisionInput {
        time_point: "t1".into(),
        decision: decision.into(),
        note: note.map(str::to_string),
        remind_in_days: days,
        ..Default::default()
    };
    let before = db.log_len();
    let e = db
        .store
        .decide_follow_up(p, &decide("not_possible", None, None))
        .unwrap_err();
    assert_eq!(e.fields(), ["note"]);
    let e = db
        .store
        .decide_follow_up(p, &decide("remind_later", None, Some(0)))
        .unwrap_err();
    assert_eq!(e.fields(), ["remind_in_days"]);
    assert_eq!(db.log_len(), before);

    // Remind me later: off Today until the chosen day, and it says when.
    let d = db
        .store
        .decide_follow_up(p, &decide("remind_later", None, Some(14)))
        .unwrap();
    assert_eq!(d.remind_on, Some(today() + Duration::days(14)));
    assert!(today_list(&db, today()).is_empty());
    assert!(today_list(&db, today() + Duration::days(13)).is_empty());
    assert_eq!(today_list(&db, today() + Duration::days(14)).len(), 1);
    let f = db.store.follow_ups(p).unwrap();
    assert_eq!(f[0].remind_on, Some(today() + Duration::days(14)));
    assert!(!f[0].on_today);

    // Recording one instrument leaves the other due; recording it too ends the follow-up.
    db.store
        .record_measure(p, &measure("ons4", "t1", today(), &[6, 6, 7, 3]))
        .unwrap();
    let f = db.store.follow_ups(p).unwrap();
    let t1s: Vec<_> = f.iter().filter(|f| f.time_point == TimePoint::T1).collect();
    assert_eq!(t1s.len(), 2);
    assert!(
        t1s.iter()
            .any(|f| f.state == FollowUpState::Recorded && f.instruments == [Instrument::Ons4])
    );
    db.store
        .decide_follow_up(
            p,
            &decide("declined", Some("Did not want to answer it again"), None),
        )
        .unwrap();
    assert!(today_list(&db, today() + Duration::days(30)).is_empty());
    let f = db.store.follow_ups(p).unwrap();
    assert!(
        f.iter()
            .filter(|f| f.time_point == TimePoint::T1)
            .all(|f| f.state != FollowUpState::Open)
    );

    // Withdrawing consent to contact ends the T2 as well.
    assert!(today_list(&db, t2).iter().any(|f| f.1 == TimePoint::T2));
    db.store
        .record_consent(
            p,
            &ConsentInput {
                kind: "contact".into(),
                given: false,
                ..Default::default()
            },
        )
        .unwrap();
    assert!(today_list(&db, t2).is_empty());
    let f = db.store.follow_ups(p).unwrap();
    assert!(f.iter().any(|f| f.state == FollowUpState::ContactWithdrawn));
}

#[test]
fn repeating_measures_are_due_while_supported_and_the_organisation_sets_the_schedule() {
    let mut db = TestDb::new();
    let mut input = crate::new_referral("Brian", "Evans");
    input.referral.received_on = days_ago(200).to_string();
    let taken = db.store.take_referral(&input).unwrap();
    let p = taken.person.id;
    licence(&mut db, Instrument::Pam, false);
    let pam = |on| MeasureInput {
        score: Some(50.0),
        ..measure("pam", "t0", on, &[])
    };
    db.store.record_measure(p, &pam(days_ago(100))).unwrap();
    let due = days_ago(100).checked_add_months(Months::new(3)).unwrap();
    let list = today_list(&db, today());
    assert_eq!(
        list,
        [("Brian Evans".to_string(), TimePoint::Other, due)],
        "PAM every 3 months"
    );

    // The organisation moves PAM to every 4 months: not due yet.
    db.store
        .set_follow_up_schedule(Instrument::Pam, Cadence::Every(4))
        .unwrap();
    assert!(today_list(&db, today()).is_empty());
    db.store
        .set_follow_up_schedule(Instrument::Pam, Cadence::Every(3))
        .unwrap();

    // Could not be done this time: the next occurrence is three months on.
    db.store
        .decide_follow_up(
            p,
            &FollowUpDecisionInput {
                time_point: "other".into(),
                instrument: Some("pam".into()),
                decision: "not_possible".into(),
                note: Some("In hospital".into()),
                ..Default::default()
            },
        )
        .unwrap();
    let next = db.store.follow_ups(p).unwrap();
    assert_eq!(
        next[0].due_on,
        due.checked_add_months(Months::new(3)).unwrap()
    );

    // Only while supported: closing ends the repeats (T1/T2 would stay).
    db.store
        .close_episode(taken.episode.id, "goals_met", &today().to_string())
        .unwrap();
    assert!(db.store.follow_ups(p).unwrap().is_empty());
    assert!(today_list(&db, today() + Duration::days(200)).is_empty());
}

#[test]
fn a_goal_is_achieved_and_an_onward_referral_records_who_went_along_and_the_feedback() {
    use linkwell_core::records::directory::{AccompaniedInput, ServiceInput};
    use linkwell_core::records::plans::GoalInput;
    let mut db = TestDb::new();
    let p = db.take_referral("Siobhan", "Kelly").person.id;
    let goal = db
        .store
        .add_goal(
            p,
            &GoalInput {
                text: "Go to the lunch club".into(),
                five_ways: "connect".into(),
                steps: vec![],
            },
        )
        .unwrap();
    assert!(db.store.set_goal_status(goal.goal.id, "finished").is_err());
    db.store.set_goal_status(goal.goal.id, "achieved").unwrap();
    assert_eq!(
        db.store.goal(goal.goal.id).unwrap().goal.status.as_str(),
        "achieved"
    );

    let service = db
        .store
        .add_service(&ServiceInput {
            name: "Keyworth lunch club".into(),
            description: "Lunch and a chat, Tuesdays".into(),
            categories: vec!["community_activities".into()],
            five_ways: vec!["connect".into()],
            taking_new_members: true,
            ..Default::default()
        })
        .unwrap();
    let o = db
        .store
        .refer_onward(p, service.id, "referral_made")
        .unwrap();
    let before = db.log_len();
    let e = db
        .store
        .record_accompanied(o.id, &AccompaniedInput::default())
        .unwrap_err();
    assert_eq!(e.fields(), ["worker_id"]);
    let e = db
        .store
        .record_accompanied(
            o.id,
            &AccompaniedInput {
                worker_id: Some(db.store.actor().unwrap().worker_id),
                volunteer_name: Some("Alan Fisher".into()),
            },
        )
        .unwrap_err();
    assert_eq!(e.fields(), ["volunteer_name"]);
    assert_eq!(db.log_len(), before, "refused: nothing written");
    let r = db
        .store
        .record_accompanied(
            o.id,
            &AccompaniedInput {
                volunteer_name: Some("Alan Fisher".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(r.status.as_str(), "accompanied");
    let r = db
        .store
        .update_onward_referral(o.id, None, None, Some("Came twice; wants to help"))
        .unwrap();
    assert_eq!(r.feedback.as_deref(), Some("Came twice; wants to help"));
    let stored = db.store.onward_referrals(p).unwrap();
    assert_eq!(
        stored[0].accompanied_by_name.as_deref(),
        Some("Alan Fisher")
    );
    assert_eq!(
        stored[0].feedback.as_deref(),
        Some("Came twice; wants to help")
    );
}

#[test]
fn whats_missing_lists_the_gaps_to_close_in_the_session() {
    use linkwell_core::read::person_record::person_record;
    let mut db = TestDb::new();
    let mut input = crate::new_referral("Norma", "Bates");
    input.referral.received_on = days_ago(150).to_string();
    let p = db.store.take_referral(&input).unwrap().person.id;
    let codes = |db: &mut TestDb| -> Vec<String> {
        person_record(&mut db.store, p)
            .unwrap()
            .missing
            .into_iter()
            .map(|g| g.code)
            .collect()
    };
    assert_eq!(
        codes(&mut db),
        ["no_baseline", "no_evaluation_consent", "plan_review"]
    );
    db.store
        .record_measure(p, &measure("ons4", "t0", days_ago(125), &[4, 5, 6, 7]))
        .unwrap();
    let r = person_record(&mut db.store, p).unwrap();
    let due = r
        .missing
        .iter()
        .find(|g| g.code == "follow_up_due")
        .unwrap();
    assert!(
        due.words.starts_with("About 4 months (T1): ONS"),
        "{}",
        due.words
    );
    assert_eq!(due.section, "measures");
    db.store
        .record_consent(
            p,
            &ConsentInput {
                kind: "evaluation".into(),
                given: true,
                ..Default::default()
            },
        )
        .unwrap();
    db.store
        .save_wellbeing_plan(
            p,
            &linkwell_core::records::plans::WellbeingPlanInput {
                keeps_me_well: "The allotment".into(),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(codes(&mut db), ["follow_up_due"]);
}
