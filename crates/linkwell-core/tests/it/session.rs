//! A link worker's session without a stumble (issue 13): what a new user hit, fixed in the core.

use crate::TestDb;
use linkwell_core::domain::vocabulary::ConsentKind;

#[test]
fn consent_to_contact_ticked_on_the_referral_is_a_recorded_consent() {
    let mut db = TestDb::new();
    let t = db.take_referral("Margaret", "Hill");
    let consents = db.store.consents(t.person.id).unwrap();
    assert_eq!(
        consents
            .iter()
            .map(|c| (c.kind, c.given))
            .collect::<Vec<_>>(),
        [(ConsentKind::Contact, true)],
        "the record shows the consent the referral form took"
    );
    // Not ticked: nothing recorded (not asked is not the same as refused).
    let mut unticked = crate::new_referral("Jean", "Hill");
    unticked.referral.consent_to_contact = false;
    unticked.person.nhs_number = None;
    let t = db.store.take_referral(&unticked).unwrap();
    assert!(db.store.consents(t.person.id).unwrap().is_empty());
}

mod one_record_per_person {
    use crate::{TestDb, new_referral};
    use linkwell_core::CoreError;
    use linkwell_core::error::Refusal;

    #[test]
    fn a_second_referral_with_the_same_nhs_number_is_not_a_new_person() {
        let mut db = TestDb::new();
        let first = db.take_referral("Margaret", "Smith");
        let again = new_referral("Margaret", "Smith");
        let err = db.store.take_referral(&again).unwrap_err();
        assert!(
            matches!(err, CoreError::Refused(Refusal::LikelySamePerson(1))),
            "{err:?}"
        );
        assert_eq!(db.count("person"), 1, "nothing saved");
        let matches = db.store.person_matches(&again.person).unwrap();
        assert_eq!(matches.len(), 1);
        assert!(matches[0].certain);
        assert_eq!(matches[0].why, "same NHS number");
        assert!(matches[0].open_episode);

        // A different person with the same NHS number cannot be chosen: the number is wrong.
        let mut different = again.clone();
        different.different_from = vec![first.person.id];
        let err = db.store.take_referral(&different).unwrap_err();
        assert_eq!(err.fields(), ["nhs_number"]);

        // The same person: a re-referral onto her record, once her open episode is closed.
        let mut same = again.clone();
        same.same_person_as = Some(first.person.id);
        let err = db.store.take_referral(&same).unwrap_err();
        assert!(matches!(
            err,
            CoreError::Refused(Refusal::OpenEpisodeExists { .. })
        ));
        db.store
            .close_episode(
                first.episode.id,
                "goals_met",
                &linkwell_core::store::today().to_string(),
            )
            .unwrap();
        let taken = db.store.take_referral(&same).unwrap();
        assert_eq!(taken.person.id, first.person.id);
        assert_eq!(db.count("person"), 1);
        assert_eq!(db.store.episodes(first.person.id).unwrap().len(), 2);
    }

    #[test]
    fn same_birthday_and_postcode_is_likely_and_a_different_person_is_recorded_with_who_decided() {
        let mut db = TestDb::new();
        let first = db.take_referral("Margaret", "Smith");
        let mut other = new_referral("Peggy", "Smyth");
        other.person.nhs_number = None;
        other.person.date_of_birth = Some("1948-03-02".into());
        let matches = db.store.person_matches(&other.person).unwrap();
        assert_eq!(matches.len(), 1);
        assert!(!matches[0].certain);
        assert_eq!(
            matches[0].why,
            "same date of birth, a similar name and the same postcode"
        );
        assert!(db.store.take_referral(&other).is_err());
        other.different_from = vec![first.person.id];
        let taken = db.store.take_referral(&other).unwrap();
        assert_eq!(taken.person.distinct_from, [first.person.id]);
        assert_eq!(
            taken.person.distinct_decided_by,
            Some(db.store.actor().unwrap().worker_id)
        );
        assert_eq!(db.count("person"), 2);
        // Someone born another day with another name is no match at all.
        let unrelated = new_referral("Kwame", "Mensah");
        assert!(
            db.store
                .person_matches(&unrelated.person)
                .unwrap()
                .is_empty()
        );
    }
}

mod search {
    use crate::TestDb;
    use linkwell_core::read::search::search;
    use linkwell_core::records::people::PersonInput;

    fn names(db: &TestDb, text: &str) -> Vec<String> {
        search(db.store.conn(), text, Some("person"), 20)
            .unwrap()
            .into_iter()
            .map(|h| h.title)
            .collect()
    }

    #[test]
    fn numbers_and_postcodes_are_found_as_typed_with_or_without_spaces() {
        let mut db = TestDb::new();
        db.store
            .add_person(&PersonInput {
                given_name: "Margaret".into(),
                family_name: "Thornbury".into(),
                nhs_number: Some("943 476 5919".into()),
                postcode: Some("NG11 6JA".into()),
                phone: Some("0115 496 0000".into()),
                ..Default::default()
            })
            .unwrap();
        for typed in [
            "943 476 5919",
            "9434765919",
            "943-476-5919",
            "ng11 6ja",
            "NG116JA",
            "0115 496 0000",
            "01154960000",
        ] {
            assert_eq!(names(&db, typed), ["Margaret Thornbury"], "typed {typed:?}");
            let hits = search(db.store.conn(), typed, Some("person"), 5).unwrap();
            assert_eq!(
                hits[0].snippet, "",
                "the name, not every form of the numbers"
            );
        }
    }

    #[test]
    fn a_small_typo_in_a_name_still_finds_them_closest_first() {
        let mut db = TestDb::new();
        for (given, family) in [
            ("Margaret", "Thornbury"),
            ("Tom", "Thornton"),
            ("Ann", "Hill"),
        ] {
            db.store
                .add_person(&PersonInput {
                    given_name: given.into(),
                    family_name: family.into(),
                    ..Default::default()
                })
                .unwrap();
        }
        assert_eq!(names(&db, "thornbry"), ["Margaret Thornbury"]);
        assert_eq!(names(&db, "margret thornbury"), ["Margaret Thornbury"]);
        assert_eq!(names(&db, "thorn")[..2].len(), 2, "both Thorns by prefix");
        assert!(names(&db, "smith").is_empty());
    }

    #[test]
    fn service_snippets_are_in_words_not_codes() {
        let mut db = TestDb::new();
        db.store
            .add_service(&linkwell_core::records::directory::ServiceInput {
                name: "Allotment club".into(),
                description: "Grow vegetables with others".into(),
                categories: vec!["community_activities".into()],
                five_ways: vec!["take_notice".into()],
                ..Default::default()
            })
            .unwrap();
        let hits = search(db.store.conn(), "notice", Some("service"), 5).unwrap();
        assert_eq!(hits.len(), 1, "found by the words of its Five Ways");
        assert!(
            hits[0].snippet.contains("Take [notice]"),
            "{}",
            hits[0].snippet
        );
        assert!(!hits[0].snippet.contains('_'), "{}", hits[0].snippet);
        assert!(!hits[0].snippet.contains('"'), "{}", hits[0].snippet);
    }
}

mod appointments {
    use crate::TestDb;
    use linkwell_core::CoreError;
    use linkwell_core::domain::vocabulary::{Attendance, EpisodeStatus};
    use linkwell_core::error::Refusal;
    use linkwell_core::records::contacts::SessionInput;
    use linkwell_core::records::pathway::ContactAttemptInput;

    fn book(db: &mut TestDb, person: uuid::Uuid, at: chrono::NaiveDateTime) -> uuid::Uuid {
        db.store
            .record_session(
                person,
                &SessionInput {
                    starts_at: at.format("%Y-%m-%d %H:%M").to_string(),
                    mode: "face_to_face".into(),
                    attendance: "booked".into(),
                    ..Default::default()
                },
            )
            .unwrap()
            .id
    }

    fn on_today(db: &TestDb) -> Vec<uuid::Uuid> {
        let me = db.store.actor().unwrap().worker_id;
        linkwell_core::read::caseload::today(db.store.conn(), me, linkwell_core::store::today())
            .unwrap()
            .appointments
            .iter()
            .map(|a| a.session_id)
            .collect()
    }

    #[test]
    fn a_booked_appointment_is_closed_off_and_leaves_today() {
        let mut db = TestDb::new();
        let t = db.take_referral("Olumide", "Mensah");
        let now = chrono::Local::now().naive_local();
        let earlier = book(&mut db, t.person.id, now - chrono::Duration::hours(2));
        let yesterday = book(&mut db, t.person.id, now - chrono::Duration::hours(23));
        let later = book(&mut db, t.person.id, now + chrono::Duration::days(3));
        let shown = on_today(&db);
        assert!(shown.contains(&earlier), "booked today, not closed off yet");
        assert!(shown.contains(&yesterday) || yesterday == earlier);

        // Not happened yet: only a cancellation.
        let err = db
            .store
            .update_session_attendance(later, "attended")
            .unwrap_err();
        assert_eq!(err.fields(), ["attendance"]);
        db.store
            .update_session_attendance(later, "cancelled")
            .unwrap();

        let s = db
            .store
            .update_session_attendance(earlier, "attended")
            .unwrap();
        assert_eq!(s.attendance, Attendance::Attended);
        db.store
            .update_session_attendance(yesterday, "did_not_attend")
            .unwrap();
        assert!(
            on_today(&db).is_empty(),
            "closed off: Today stops showing them"
        );
        assert_eq!(
            db.store.episode(t.episode.id).unwrap().status,
            EpisodeStatus::Active
        );
        // Closed off is not booked again.
        let err = db
            .store
            .update_session_attendance(earlier, "booked")
            .unwrap_err();
        assert_eq!(err.fields(), ["attendance"]);
    }

    #[test]
    fn a_closed_record_takes_no_sessions_or_contact_attempts_until_reopened() {
        let mut db = TestDb::new();
        let t = db.take_referral("Olumide", "Mensah");
        let today = linkwell_core::store::today().to_string();
        let just_now = (chrono::Local::now().naive_local() - chrono::Duration::minutes(5))
            .format("%Y-%m-%d %H:%M")
            .to_string();
        db.store
            .close_episode(t.episode.id, "chose_to_stop", &today)
            .unwrap();
        let session = SessionInput {
            starts_at: just_now.clone(),
            mode: "phone".into(),
            attendance: "attended".into(),
            ..Default::default()
        };
        let err = db.store.record_session(t.person.id, &session).unwrap_err();
        assert!(
            matches!(err, CoreError::Refused(Refusal::SupportClosed)),
            "{err:?}"
        );
        let attempt = ContactAttemptInput {
            attempted_at: just_now.clone(),
            method: "phone".into(),
            outcome: "no_answer".into(),
            note: None,
        };
        let err = db
            .store
            .log_contact_attempt(t.referral.id, &attempt)
            .unwrap_err();
        assert!(
            matches!(err, CoreError::Refused(Refusal::SupportClosed)),
            "{err:?}"
        );
        // A note is still fine (a call after closing is worth writing down).
        db.store
            .add_note(t.person.id, None, "GP rang to say thanks")
            .unwrap();
        db.store.reopen_episode(t.episode.id).unwrap();
        db.store.record_session(t.person.id, &session).unwrap();
    }
}

#[test]
fn a_blank_referral_form_is_told_what_to_do_in_words_not_codes() {
    let err = linkwell_core::records::pathway::check_new_referral(&Default::default()).unwrap_err();
    let linkwell_core::CoreError::Invalid(errors) = err else {
        panic!("{err:?}")
    };
    let source = errors.iter().find(|e| e.field == "source").unwrap();
    assert_eq!(source.message, "Choose who referred them");
    for e in &errors {
        assert!(
            !e.message.contains('_') && !e.message.contains("must be one of"),
            "{}: {}",
            e.field,
            e.message
        );
    }
}
