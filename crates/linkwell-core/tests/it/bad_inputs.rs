//! A corpus of bad inputs: each is refused with the field named, in plain words, and nothing
//! is saved (no record, no change-log entry).

use crate::{TestDb, new_referral};
use linkwell_core::CoreError;
use linkwell_core::records::pathway::NewReferral;

fn refused(db: &mut TestDb, input: &NewReferral, field: &str, words: &str) {
    let (people, log) = (db.count("person"), db.log_len());
    let err = db.store.take_referral(input).unwrap_err();
    let CoreError::Invalid(errors) = &err else {
        panic!("expected a validation error, got {err}")
    };
    assert!(
        errors
            .iter()
            .any(|e| e.field == field && e.message.contains(words)),
        "expected {field}: …{words}…, got {errors:?}"
    );
    assert_eq!(
        (db.count("person"), db.log_len()),
        (people, log),
        "something was saved"
    );
}

#[test]
fn bad_referrals_are_refused_naming_the_field() {
    let mut db = TestDb::new();
    type Case = (&'static str, &'static str, fn(&mut NewReferral));
    let cases: &[Case] = &[
        ("given_name", "First name is required", |i| {
            i.person.given_name = "  ".into()
        }),
        ("family_name", "Last name is required", |i| {
            i.person.family_name = String::new()
        }),
        ("family_name", "too long", |i| {
            i.person.family_name = "x".repeat(101)
        }),
        (
            "nhs_number",
            "NHS number 943 476 5918 fails its check digit",
            |i| i.person.nhs_number = Some("9434765918".into()),
        ),
        ("nhs_number", "must be 10 digits", |i| {
            i.person.nhs_number = Some("12345".into())
        }),
        ("postcode", "is not a UK postcode", |i| {
            i.person.postcode = Some("LE12 QQW".into())
        }),
        ("postcode", "is not a UK postcode", |i| {
            i.person.postcode = Some("SW1A".into())
        }),
        ("date_of_birth", "cannot be in the future", |i| {
            i.person.date_of_birth = Some("2999-01-01".into())
        }),
        ("date_of_birth", "is not a date", |i| {
            i.person.date_of_birth = Some("31/02/1950".into())
        }),
        ("email", "is not an email address", |i| {
            i.person.email = Some("margaret at home".into())
        }),
        ("phone", "is not a phone number", |i| {
            i.person.phone = Some("ring me".into())
        }),
        (
            "source",
            "\"pharmacy\" is not one of the choices for who referred them: GP, Practice nurse",
            |i| i.referral.source = "pharmacy".into(),
        ),
        ("received_on", "cannot be in the future", |i| {
            i.referral.received_on = "2999-01-01".into()
        }),
        ("received_on", "is required", |i| {
            i.referral.received_on = String::new()
        }),
        ("reasons", "Give at least one reason", |i| {
            i.referral.reasons.clear()
        }),
        (
            "reasons",
            "is not one of the choices for a reason for referral",
            |i| i.referral.reasons = vec!["boredom".into()],
        ),
        ("snomed_code", "is not one Linkwell records", |i| {
            i.referral.snomed_code = Some("123456".into())
        }),
        (
            "stage",
            "is not one of the choices for a stage: Health coach",
            |i| i.stage = Some("nurse".into()),
        ),
    ];
    for (field, words, break_it) in cases {
        let mut input = new_referral("Margaret", "Smith");
        break_it(&mut input);
        refused(&mut db, &input, field, words);
    }
}

#[test]
fn every_problem_is_reported_at_once() {
    let mut db = TestDb::new();
    let mut input = new_referral("", "");
    input.person.nhs_number = Some("9434765918".into());
    input.referral.source = String::new();
    let err = db.store.take_referral(&input).unwrap_err();
    let fields = err.fields();
    for f in ["given_name", "family_name", "nhs_number", "source"] {
        assert!(fields.contains(&f), "{f} missing from {fields:?}");
    }
}

#[test]
fn good_input_is_normalised() {
    let mut db = TestDb::new();
    let mut input = new_referral(" Zoë ", "Nguyễn");
    input.person.postcode = Some("zz99 3vz".into());
    input.person.nhs_number = Some("943-476-5919".into());
    let t = db.store.take_referral(&input).unwrap();
    assert_eq!(t.person.given_name, "Zoë");
    assert_eq!(t.person.postcode.as_deref(), Some("ZZ99 3VZ"));
    assert_eq!(t.person.nhs_number.as_deref(), Some("9434765919"));
    let mut input = new_referral("Łukasz", "Kowalski");
    input.person.postcode = Some("BFPO 801".into());
    assert!(db.store.take_referral(&input).is_ok());
}

#[test]
fn bad_sessions_goals_and_measures_are_refused_and_nothing_saved() {
    use linkwell_core::records::contacts::SessionInput;
    use linkwell_core::records::measures::MeasureInput;
    use linkwell_core::records::plans::{GoalInput, StepInput};
    let mut db = TestDb::new();
    let p = db.take_referral("Doreen", "Taylor").person.id;
    let log = db.log_len();
    let check = |r: linkwell_core::Result<()>, field: &str| {
        let e = r.unwrap_err();
        assert_eq!(e.fields(), [field], "{e}");
    };
    let s = |f: fn(&mut SessionInput)| {
        let mut i = SessionInput {
            starts_at: format!("{} 10:00", crate::days_ago(1)),
            mode: "face_to_face".into(),
            attendance: "attended".into(),
            ..Default::default()
        };
        f(&mut i);
        i
    };
    check(
        db.store
            .record_session(p, &s(|i| i.mode = "carrier pigeon".into()))
            .map(drop),
        "mode",
    );
    check(
        db.store
            .record_session(p, &s(|i| i.starts_at = "yesterday".into()))
            .map(drop),
        "starts_at",
    );
    check(
        db.store
            .record_session(p, &s(|i| i.minutes = Some(-5)))
            .map(drop),
        "minutes",
    );
    check(
        db.store
            .record_session(p, &s(|i| i.starts_at = "2999-01-01 10:00".into()))
            .map(drop),
        "starts_at",
    );
    check(
        db.store
            .add_goal(
                p,
                &GoalInput {
                    text: "Walk more".into(),
                    five_ways: "run".into(),
                    steps: vec![],
                },
            )
            .map(drop),
        "five_ways",
    );
    check(
        db.store
            .add_goal(
                p,
                &GoalInput {
                    text: "Walk more".into(),
                    five_ways: "be_active".into(),
                    steps: vec![StepInput {
                        text: "".into(),
                        target_on: Some("2027-01-01".into()),
                    }],
                },
            )
            .map(drop),
        "steps[0].text",
    );
    let m = |f: fn(&mut MeasureInput)| {
        let mut i = MeasureInput {
            instrument: "ons4".into(),
            time_point: "t0".into(),
            taken_on: crate::days_ago(1).to_string(),
            items: vec![Some(5.0), Some(6.0), Some(7.0), Some(3.0)],
            ..Default::default()
        };
        f(&mut i);
        i
    };
    check(
        db.store
            .record_measure(p, &m(|i| i.items[2] = Some(11.0)))
            .map(drop),
        "items.happiness",
    );
    check(
        db.store
            .record_measure(p, &m(|i| i.items.truncate(3)))
            .map(drop),
        "items.anxiety",
    );
    check(
        db.store
            .record_measure(p, &m(|i| i.time_point = "t9".into()))
            .map(drop),
        "time_point",
    );
    check(
        db.store
            .record_measure(
                p,
                &m(|i| {
                    i.instrument = "pam".into();
                    i.score = Some(50.0);
                    i.items = vec![]
                }),
            )
            .map(drop),
        "instrument",
    );
    assert_eq!(db.log_len(), log, "a refused input wrote to the change log");
    let goal = db
        .store
        .add_goal(
            p,
            &GoalInput {
                text: "Walk more".into(),
                five_ways: "be_active".into(),
                steps: vec![],
            },
        )
        .unwrap();
    let log = db.log_len();
    check(db.store.rate_goal(goal.goal.id, 3, None).map(drop), "score");
    check(
        db.store
            .rate_goal(goal.goal.id, 1, Some("2999-01-01"))
            .map(drop),
        "rated_on",
    );
    assert_eq!(db.log_len(), log);
}
