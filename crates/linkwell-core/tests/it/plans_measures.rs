//! Wellbeing plans, goals with steps and attainment, measures, licences and follow-ups.

use crate::TestDb;
use linkwell_core::records::measures::MeasureInput;
use linkwell_core::records::plans::{GoalInput, StepInput, WellbeingPlanInput};

#[test]
fn wellbeing_plan_versions_are_kept() {
    let mut db = TestDb::new();
    let p = db.take_referral("Maureen", "Clarke").person.id;
    let err = db
        .store
        .save_wellbeing_plan(p, &WellbeingPlanInput::default())
        .unwrap_err();
    assert_eq!(err.fields(), ["keeps_me_well"]);
    let input = WellbeingPlanInput {
        keeps_me_well: "My dog, my garden".into(),
        crisis_help: "Samaritans 116 123".into(),
        ..Default::default()
    };
    db.store.save_wellbeing_plan(p, &input).unwrap();
    let v2 = WellbeingPlanInput {
        keeps_me_well: "My dog, my garden, the walking group".into(),
        ..input
    };
    db.store.save_wellbeing_plan(p, &v2).unwrap();
    assert_eq!(db.store.wellbeing_plan_history(p).unwrap().len(), 2);
    assert_eq!(
        db.store.wellbeing_plan(p).unwrap().unwrap().keeps_me_well,
        "My dog, my garden, the walking group"
    );
}

#[test]
fn goals_have_steps_and_attainment_gives_the_kiresuk_sherman_score() {
    let mut db = TestDb::new();
    let p = db.take_referral("Brian", "Evans").person.id;
    let mut ids = Vec::new();
    for (text, way) in [
        ("Walk to the park", "be_active"),
        ("Join a group", "connect"),
        ("Learn to video call", "learn"),
    ] {
        let g = db
            .store
            .add_goal(
                p,
                &GoalInput {
                    text: text.into(),
                    five_ways: way.into(),
                    steps: vec![StepInput {
                        text: "Find out when".into(),
                        target_on: Some("2027-01-10".into()),
                    }],
                },
            )
            .unwrap();
        assert_eq!(g.steps.len(), 1);
        ids.push(g.goal.id);
    }
    for id in &ids {
        db.store
            .rate_goal(*id, -1, Some(&crate::days_ago(30).to_string()))
            .unwrap();
        db.store.rate_goal(*id, 1, None).unwrap();
    }
    let t = db.store.goal_attainment(p).unwrap().unwrap();
    assert_eq!(format!("{t:.2}"), "63.69", "latest ratings all +1");
    assert_eq!(
        db.store.goal(ids[0]).unwrap().ratings.len(),
        2,
        "ratings over time are all kept"
    );
    let step = db.store.goal(ids[0]).unwrap().steps[0].id;
    assert_eq!(
        db.store
            .set_step_status(step, "done")
            .unwrap()
            .status
            .as_str(),
        "done"
    );
}

pub fn ons4(tp: &str, on: chrono::NaiveDate) -> MeasureInput {
    MeasureInput {
        instrument: "ons4".into(),
        time_point: tp.into(),
        taken_on: on.to_string(),
        items: vec![Some(4.0), Some(5.0), Some(6.0), Some(7.0)],
        ..Default::default()
    }
}

#[test]
fn measures_store_what_is_licensed_and_derive_public_bands() {
    let mut db = TestDb::new();
    let p = db.take_referral("Fatima", "Begum").person.id;
    let m = db
        .store
        .record_measure(p, &ons4("t0", crate::days_ago(1)))
        .unwrap();
    assert_eq!(
        m.summary(),
        "life satisfaction 4 (low), worthwhile 5 (medium), happiness 6 (medium), anxiety 7 (high)"
    );
    let pam = MeasureInput {
        instrument: "pam".into(),
        time_point: "t0".into(),
        taken_on: crate::days_ago(1).to_string(),
        score: Some(56.0),
        ..Default::default()
    };
    let err = db.store.record_measure(p, &pam).unwrap_err();
    assert!(
        err.to_string()
            .contains("licence has not reached this laptop"),
        "{err}"
    );
    db.store
        .set_instrument_licence("pam", "Rushcliffe PCN", true)
        .unwrap();
    let m = db.store.record_measure(p, &pam).unwrap();
    assert_eq!(m.level, Some(3), "PAM level derived from the score");
    let wrong_level = MeasureInput {
        level: Some(1.0),
        ..pam
    };
    assert_eq!(
        db.store
            .record_measure(p, &wrong_level)
            .unwrap_err()
            .fields(),
        ["level"]
    );
    assert!(
        db.store.set_instrument_licence("ons4", "x", true).is_err(),
        "ONS4 is public"
    );
}
