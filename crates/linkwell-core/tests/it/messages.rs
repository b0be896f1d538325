//! The message back to the referrer (issue 16): referrers as records, the content rules (codes
//! only unless the person agreed; safeguarding never), the letter read back with pdftotext,
//! the structured record against the PRSB model's section names, marking sent, corrections
//! and Today's messages due. All on real database files.

use crate::TestDb;
use linkwell_core::domain::vocabulary::MessageKind;
use linkwell_core::read::message::{self, ContentRule, MessageOptions, SentInput};
use linkwell_core::records::contacts::SessionInput;
use linkwell_core::records::directory::ServiceInput;
use linkwell_core::records::measures::MeasureInput;
use linkwell_core::records::people::{ConsentInput, RiskFlagInput, WorkerInput};
use linkwell_core::records::plans::GoalInput;
use linkwell_core::records::referrers::ReferrerInput;
use serde_json::Value;
use uuid::Uuid;

fn gp() -> ReferrerInput {
    ReferrerInput {
        name: "Dr Asha Patel".into(),
        role: Some("GP".into()),
        practice: Some("Musters Medical Practice".into()),
        ods_code: Some("c84001".into()),
        secure_email: Some("asha.patel@nhs.net".into()),
        preferred_route: "secure_email".into(),
        ..Default::default()
    }
}

fn fields(e: linkwell_core::CoreError) -> Vec<String> {
    e.fields().into_iter().map(str::to_string).collect()
}

/// A referral from a referrer on record; answers (person, referral, episode) ids.
fn referred(db: &mut TestDb, given: &str) -> (Uuid, Uuid, Uuid) {
    let r = db.store.add_referrer(&gp()).unwrap();
    let mut input = crate::new_referral(given, "Smith");
    input.referral.referrer_id = Some(r.id);
    let t = db.store.take_referral(&input).unwrap();
    (t.person.id, t.referral.id, t.episode.id)
}

fn session(db: &mut TestDb, p: Uuid, days_ago: i64, attendance: &str) {
    db.store
        .record_session(
            p,
            &SessionInput {
                starts_at: format!("{} 10:00", crate::days_ago(days_ago)),
                mode: "face_to_face".into(),
                attendance: attendance.into(),
                ..Default::default()
            },
        )
        .unwrap();
}

fn share(db: &mut TestDb, p: Uuid, given: bool) {
    db.store
        .record_consent(
            p,
            &ConsentInput {
                kind: "share_with_referrer".into(),
                given,
                ..Default::default()
            },
        )
        .unwrap();
}

/// A closed episode with sessions, two ONS4 scores, a goal, an onward referral taken up,
/// a lone-working caution and a safeguarding concern.
fn closed_with_outcomes(db: &mut TestDb) -> (Uuid, Uuid) {
    let (p, referral, episode) = referred(db, "Margaret");
    session(db, p, 3, "attended");
    session(db, p, 2, "did_not_attend");
    session(db, p, 1, "attended");
    let ons4 = |tp: &str, ago: i64, items: [f64; 4]| MeasureInput {
        instrument: "ons4".into(),
        time_point: tp.into(),
        taken_on: crate::days_ago(ago).to_string(),
        items: items.iter().map(|v| Some(*v)).collect(),
        ..Default::default()
    };
    db.store
        .record_measure(p, &ons4("t0", 3, [3.0, 4.0, 4.0, 7.0]))
        .unwrap();
    db.store
        .record_measure(p, &ons4("t1", 1, [7.0, 7.0, 8.0, 2.0]))
        .unwrap();
    let goal = db
        .store
        .add_goal(
            p,
            &GoalInput {
                text: "Get back to singing in the church choir".into(),
                five_ways: "connect".into(),
                steps: Vec::new(),
            },
        )
        .unwrap();
    db.store.rate_goal(goal.goal.id, 1, None).unwrap();
    let service = db
        .store
        .add_service(&ServiceInput {
            name: "Keyworth lunch club".into(),
            description: "Lunch and a chat".into(),
            categories: vec!["community_activities".into()],
            five_ways: vec!["connect".into()],
            taking_new_members: true,
            ..Default::default()
        })
        .unwrap();
    db.store
        .refer_onward(p, service.id, "referral_made")
        .unwrap();
    let o = db.store.onward_referrals(p).unwrap()[0].id;
    db.store
        .update_onward_referral(o, Some("attending"), None, None)
        .unwrap();
    for (kind, note) in [
        ("lone_working", "Dog at the door, ask her to shut it away"),
        ("safeguarding", "SAFEGUARDING-DETAIL son takes her pension"),
    ] {
        db.store
            .add_risk_flag(
                p,
                &RiskFlagInput {
                    kind: kind.into(),
                    review_on: crate::days_ago(-30).to_string(),
                    note: Some(note.into()),
                },
            )
            .unwrap();
    }
    db.store
        .close_episode(episode, "goals_met", &crate::days_ago(0).to_string())
        .unwrap();
    (p, referral)
}

fn everything(m: &message::Message) -> String {
    format!(
        "{}\n{}",
        serde_json::to_string(&message::prsb_record(m)).unwrap(),
        serde_json::to_string(&message::sections(m)).unwrap()
    )
}

#[test]
fn a_referrer_needs_a_route_and_a_well_shaped_ods_code() {
    let mut db = TestDb::new();
    let before = db.log_len();
    let none = db
        .store
        .add_referrer(&ReferrerInput {
            name: "Dr No Route".into(),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(fields(none), ["preferred_route"]);
    let bad = db
        .store
        .add_referrer(&ReferrerInput {
            ods_code: Some("C8401".into()),
            ..gp()
        })
        .unwrap_err();
    assert!(bad.to_string().contains("like C84001"), "{bad}");
    assert_eq!(fields(bad), ["ods_code"]);
    let by_post = db
        .store
        .add_referrer(&ReferrerInput {
            preferred_route: "post".into(),
            ..gp()
        })
        .unwrap_err();
    assert_eq!(fields(by_post), ["postal_address"]);
    assert_eq!(db.log_len(), before, "nothing written");
    let r = db.store.add_referrer(&gp()).unwrap();
    assert_eq!(r.ods_code.as_deref(), Some("C84001"), "normalised");
    assert_eq!(db.store.referrers().unwrap(), std::slice::from_ref(&r));

    // Reused across referrals; an unknown referrer is refused by name.
    let mut a = crate::new_referral("Ann", "Ash");
    a.referral.referrer_id = Some(r.id);
    let mut b = crate::new_referral("Bob", "Birch");
    b.referral.referrer_id = Some(r.id);
    db.store.take_referral(&a).unwrap();
    db.store.take_referral(&b).unwrap();
    let mut c = crate::new_referral("Cy", "Cedar");
    c.referral.referrer_id = Some(Uuid::now_v7());
    assert_eq!(
        fields(db.store.take_referral(&c).unwrap_err()),
        ["referrer_id"]
    );
}

#[test]
fn an_old_referral_without_a_referrer_record_is_readable_but_gets_no_message() {
    let mut db = TestDb::new();
    let t = db.take_referral("Margaret", "Smith");
    let r = db.store.referral(t.referral.id).unwrap();
    assert_eq!(
        r.referrer_name.as_deref(),
        Some("Dr Patel"),
        "old text kept"
    );
    assert_eq!(r.referrer_id, None);
    let e = db
        .store
        .referrer_message_preview(MessageKind::Accepted, r.id, &MessageOptions::default())
        .unwrap_err();
    assert!(e.to_string().contains("no referrer on record"), "{e}");
    assert_eq!(fields(e), ["referrer_id"]);
}

#[test]
fn without_consent_a_message_carries_codes_dates_scores_and_statuses_only() {
    let mut db = TestDb::new();
    let (p, referral) = closed_with_outcomes(&mut db);
    let opts = MessageOptions {
        summary: Some("SUMMARY-TEXT Margaret is singing again".into()),
        ..Default::default()
    };
    let m = db
        .store
        .referrer_message_preview(MessageKind::Closed, referral, &opts)
        .unwrap();
    assert_eq!(m.rule, ContentRule::CodesOnly);
    assert!(
        m.rule_words
            .contains("codes, dates, scores and statuses only")
    );
    assert!(m.rule_words.contains("not recorded"), "{}", m.rule_words);
    assert_eq!(m.codes[0].code, "871731000000106", "codes first");
    let all = everything(&m);
    for private in [
        "church choir",
        "SUMMARY-TEXT",
        "Keyworth lunch club",
        "Dog at the door",
        "COPD",
    ] {
        assert!(!all.contains(private), "{private} leaked:\n{all}");
    }
    assert!(
        all.contains("Connect"),
        "the goal's Five Ways and how far it was met"
    );
    assert!(all.contains("Community activities: Attending"));

    // Consent recorded and current: the person's words go too; withdrawn: codes only again.
    share(&mut db, p, true);
    let m = db
        .store
        .referrer_message_preview(MessageKind::Closed, referral, &opts)
        .unwrap();
    assert_eq!(m.rule, ContentRule::ConsentToShare);
    let all = everything(&m);
    for shared in [
        "church choir",
        "SUMMARY-TEXT",
        "Keyworth lunch club",
        "Dog at the door",
        "COPD",
    ] {
        assert!(all.contains(shared), "{shared} missing:\n{all}");
    }
    assert!(
        !all.contains("SAFEGUARDING-DETAIL"),
        "never, even with consent"
    );
    assert!(!all.contains("Safeguarding concern"), "not even the flag");
    assert!(all.contains(message::SAFEGUARDING_WORDS));
    share(&mut db, p, false);
    let m = db
        .store
        .referrer_message_preview(MessageKind::Closed, referral, &opts)
        .unwrap();
    assert_eq!(m.rule, ContentRule::CodesOnly);
    assert!(m.rule_words.contains("withdrawn"), "{}", m.rule_words);
    assert!(!everything(&m).contains("church choir"));
}

#[test]
fn the_closing_message_has_the_outcome() {
    let mut db = TestDb::new();
    let (_, referral) = closed_with_outcomes(&mut db);
    let m = db
        .store
        .referrer_message_preview(MessageKind::Closed, referral, &MessageOptions::default())
        .unwrap();
    assert_eq!(m.status.closing_reason.as_deref(), Some("Goals met"));
    assert_eq!(m.status.sessions_attended, 2);
    assert_eq!(m.status.sessions_missed, 1);
    assert_eq!(m.onward.len(), 1);
    assert!(m.onward[0].made && m.onward[0].taken_up);
    let ons4 = &m.assessments[0];
    assert_eq!(ons4.first.taken_on, crate::days_ago(3));
    assert!(
        ons4.first.words.starts_with("life satisfaction 3"),
        "{}",
        ons4.first.words
    );
    let last = ons4.last.as_ref().expect("a first and a last score");
    assert_eq!(last.taken_on, crate::days_ago(1));
    assert!(last.words.starts_with("life satisfaction 7"));
    assert_eq!(m.goals[0].rating, Some(1));
    assert_eq!(m.risks.len(), 1, "the caution, not the safeguarding flag");
    assert_eq!(m.risks[0].risk, "Lone-working caution");
    // Requested actions: "No action needed" when nothing is asked, never blank.
    assert_eq!(m.plan.actions_for_referrer, message::NO_ACTION);
    let sections = message::sections(&m);
    assert_eq!(sections[0].heading, "Codes");
    assert_eq!(sections[1].heading, "Plan and requested actions");
    assert_eq!(sections[1].rows[0].value, "No action needed");

    // A request without consent says there is one, not what it is.
    let asked = MessageOptions {
        actions_for_referrer: Some("Please review her COPD inhalers".into()),
        ..Default::default()
    };
    let m = db
        .store
        .referrer_message_preview(MessageKind::Closed, referral, &asked)
        .unwrap();
    assert!(
        m.plan
            .actions_for_referrer
            .starts_with("Please contact Priya Shah")
    );
    assert!(!m.plan.actions_for_referrer.contains("inhalers"));
    let blank = MessageOptions {
        actions_for_referrer: Some("   ".into()),
        ..Default::default()
    };
    let m = db
        .store
        .referrer_message_preview(MessageKind::Closed, referral, &blank)
        .unwrap();
    assert_eq!(m.plan.actions_for_referrer, "No action needed");
}

#[test]
fn a_declined_referral_carries_the_decline_code_and_reason() {
    let mut db = TestDb::new();
    let (_, referral, episode) = referred(&mut db, "Doris");
    let opts = MessageOptions::default();
    let e = db
        .store
        .referrer_message_preview(MessageKind::Declined, referral, &opts)
        .unwrap_err();
    assert_eq!(fields(e), ["kind"]);
    let e = db
        .store
        .referrer_message_preview(MessageKind::Closed, referral, &opts)
        .unwrap_err();
    assert!(e.to_string().contains("still open"), "{e}");
    db.store
        .close_episode(
            episode,
            "could_not_contact",
            &crate::days_ago(0).to_string(),
        )
        .unwrap();
    let m = db
        .store
        .referrer_message_preview(MessageKind::Declined, referral, &opts)
        .unwrap();
    let codes: Vec<&str> = m.codes.iter().map(|c| c.code.as_str()).collect();
    assert_eq!(codes, ["871731000000106", "871711000000103"]);
    assert_eq!(
        m.status.declined_reason.as_deref(),
        Some("Could not contact")
    );
    assert_eq!(m.plan.actions_for_referrer, "No action needed");
}

/// The PRSB concept tree (v1.1), a copy of shared/standards/prsb kept with the tests so that
/// a clone anywhere can run them.
fn prsb() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/feeds/prsb/social-prescribing-v1.1.json");
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// Every key of `ours` names a child concept of `concepts`, all the way down.
fn follows_the_model(ours: &Value, concepts: &Value, path: &str) {
    match ours {
        Value::Object(map) => {
            for (key, value) in map {
                let concept = concepts
                    .as_array()
                    .and_then(|cs| cs.iter().find(|c| c["name"] == key.as_str()))
                    .unwrap_or_else(|| panic!("{path}/{key} is not in the PRSB model"));
                follows_the_model(value, &concept["concept"], &format!("{path}/{key}"));
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|i| follows_the_model(i, concepts, path)),
        _ => {}
    }
}

#[test]
fn the_structured_record_follows_the_prsb_models_section_names() {
    let mut db = TestDb::new();
    let (p, referral) = closed_with_outcomes(&mut db);
    share(&mut db, p, true);
    let model = prsb();
    let top = &model["dataset"][0]["concept"];
    for kind in [
        MessageKind::Closed,
        MessageKind::Accepted,
        MessageKind::FirstSeen,
    ] {
        let m = db
            .store
            .referrer_message_preview(kind, referral, &MessageOptions::default())
            .unwrap();
        let record = message::prsb_record(&m);
        let first = record["sections"][0].as_object().unwrap();
        assert_eq!(
            first.keys().next().map(String::as_str),
            Some("Plan and requested actions"),
            "shown at the top"
        );
        follows_the_model(&record["sections"], top, "");
        assert_eq!(record["about"]["codes"][0]["code"], "871731000000106");
    }
    let m = db
        .store
        .referrer_message_preview(MessageKind::Closed, referral, &MessageOptions::default())
        .unwrap();
    let record = message::prsb_record(&m);
    let named = |name: &str| {
        record["sections"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s.get(name).is_some())
    };
    for section in [
        "Referral details",
        "Assessments",
        "Risks",
        "Clinical Summary",
        "Signpost details",
        "Consent",
    ] {
        assert!(named(section), "{section}");
    }
}

fn pdftotext(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("letter.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg("-layout")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext is not installed: apt-get install -y poppler-utils");
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .replace('\u{A0}', " ")
}

#[test]
fn the_letter_prints_on_the_letterhead_with_the_nhs_number_and_page_numbers() {
    let mut db = TestDb::new();
    let (_, referral) = closed_with_outcomes(&mut db);
    db.store
        .set_letterhead(&linkwell_core::records::referrers::LetterheadInput {
            service_name: "Rushcliffe Social Prescribing".into(),
            address: Some("The Hub, 1 Main Street, Ruddington NG11 6JA".into()),
            phone: Some("0115 496 0321".into()),
            ..Default::default()
        })
        .unwrap();
    let pdf = db
        .store
        .message_pdf(MessageKind::Closed, referral, &MessageOptions::default())
        .unwrap();
    let text = pdftotext(&pdf);
    for expected in [
        "Rushcliffe Social Prescribing",
        "The Hub, 1 Main Street",
        "Phone 0115 496 0321",
        "Dr Asha Patel",
        "By secure email: asha.patel@nhs.net",
        "NHS number 943 476 5919",
        "Page 1 of",
        "871731000000106",
        "No action needed",
        "Support closed",
        "Sessions attended",
        "Goals met",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    assert!(!text.contains("SAFEGUARDING-DETAIL"));
    assert!(pdf.len() < 100_000, "{} bytes", pdf.len());
}

#[test]
fn a_sent_message_is_kept_as_sent_and_a_correction_replaces_it() {
    let mut db = TestDb::new();
    let (_, referral, _) = referred(&mut db, "Edna");
    let opts = MessageOptions::default();
    let due = |db: &TestDb| {
        linkwell_core::read::caseload::today(
            db.store.conn(),
            db.store.actor().unwrap().worker_id,
            crate::days_ago(0),
        )
        .unwrap()
        .messages_due
    };
    let d = due(&db);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].kind, MessageKind::Accepted);
    assert_eq!(
        d[0].due_on,
        message::add_working_days(crate::days_ago(3), 5),
        "5 working days after the referral"
    );
    let before = db.log_len();
    let refused_by = |db: &mut TestDb, route: &str| {
        let sent = SentInput {
            route: Some(route.into()),
            ..Default::default()
        };
        db.store
            .mark_message_sent(MessageKind::Accepted, referral, &opts, &sent)
            .unwrap_err()
    };
    let bad = refused_by(&mut db, "pigeon");
    assert_eq!(fields(bad), ["route"]);
    assert_eq!(db.log_len(), before);
    // Dr Patel has a secure email and an ODS code but no postal address on record.
    let by_post = refused_by(&mut db, "post");
    let words = by_post.to_string();
    assert_eq!(fields(by_post), ["route"]);
    assert!(words.contains("no postal address"), "{words}");
    assert_eq!(db.log_len(), before);
    let sent = db
        .store
        .mark_message_sent(
            MessageKind::Accepted,
            referral,
            &opts,
            &SentInput::default(),
        )
        .unwrap();
    assert_eq!(db.log_len(), before + 1, "one synced change");
    assert_eq!(
        sent.route.as_str(),
        "secure_email",
        "the referrer's preferred route"
    );
    assert_eq!(sent.consent_rule, "codes_only");
    let record: Value = serde_json::from_str(&sent.content).unwrap();
    assert_eq!(record["about"]["message"], "accepted");
    assert!(due(&db).is_empty(), "sent: off Today");

    // Never edited: a second one must say it replaces the first.
    let again = db
        .store
        .mark_message_sent(
            MessageKind::Accepted,
            referral,
            &opts,
            &SentInput::default(),
        )
        .unwrap_err();
    assert_eq!(fields(again), ["replaces"]);
    let change = linkwell_core::store::apply(
        db.store.conn(),
        linkwell_protocol::EntityKind::ReferrerMessage,
        sent.id,
        linkwell_protocol::Operation::Update,
        &serde_json::json!({"route": "post"})
            .as_object()
            .unwrap()
            .clone(),
    );
    assert!(change.is_err(), "insert-only");
    let fix = MessageOptions {
        replaces: Some(sent.id),
        ..Default::default()
    };
    let preview = db
        .store
        .referrer_message_preview(MessageKind::Accepted, referral, &fix)
        .unwrap();
    let words = serde_json::to_string(&message::sections(&preview)).unwrap();
    assert!(
        words.contains("This message replaces the one sent on"),
        "{words}"
    );
    let correction = db
        .store
        .mark_message_sent(MessageKind::Accepted, referral, &fix, &SentInput::default())
        .unwrap();
    assert_eq!(correction.replaces, Some(sent.id));
    let twice = db
        .store
        .mark_message_sent(MessageKind::Accepted, referral, &fix, &SentInput::default())
        .unwrap_err();
    assert_eq!(fields(twice), ["replaces"]);
    let kept = db.store.referrer_messages(referral).unwrap();
    assert_eq!(kept.len(), 2);
    assert_eq!(kept[0], sent, "the first is unchanged");
}

#[test]
fn today_lists_closing_messages_due_and_a_supervisor_sees_the_teams() {
    let mut db = TestDb::with_role("supervisor");
    let colleague = db
        .store
        .add_worker(&WorkerInput {
            name: "Sam Lee".into(),
            role: "link_worker".into(),
            ..Default::default()
        })
        .unwrap();
    let r = db.store.add_referrer(&gp()).unwrap();
    let mut input = crate::new_referral("Flo", "Fern");
    input.referral.referrer_id = Some(r.id);
    input.worker_id = Some(colleague.id);
    let t = db.store.take_referral(&input).unwrap();
    let on = crate::days_ago(0);
    let mine = linkwell_core::read::message::messages_due(
        db.store.conn(),
        db.store.actor().unwrap().worker_id,
        on,
    )
    .unwrap();
    assert_eq!(mine.len(), 1, "the supervisor sees the colleague's");
    assert_eq!(mine[0].worker_name, "Sam Lee");
    let theirs =
        linkwell_core::read::message::messages_due(db.store.conn(), colleague.id, on).unwrap();
    assert_eq!(theirs.len(), 1);
    db.store
        .close_episode(t.episode.id, "chose_to_stop", &on.to_string())
        .unwrap();
    let d = linkwell_core::read::message::messages_due(db.store.conn(), colleague.id, on).unwrap();
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].kind, MessageKind::Closed);
    db.store
        .mark_message_sent(
            MessageKind::Declined,
            t.referral.id,
            &MessageOptions::default(),
            &SentInput::default(),
        )
        .unwrap();
    assert!(
        linkwell_core::read::message::messages_due(db.store.conn(), colleague.id, on)
            .unwrap()
            .is_empty()
    );
}
