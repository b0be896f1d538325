//! The pathway: referral -> contact attempts -> first session -> handover -> close -> re-referral;
//! notes that are never overwritten.

use crate::TestDb;
use linkwell_core::CoreError;
use linkwell_core::domain::vocabulary::EpisodeStatus;
use linkwell_core::error::Refusal;
use linkwell_core::records::contacts::SessionInput;
use linkwell_core::records::pathway::{ContactAttemptInput, ReferralInput};
use linkwell_core::records::people::{ConsentInput, RiskFlagInput, WorkerInput};

#[test]
fn a_referral_moves_through_the_pathway() {
    let mut db = TestDb::new();
    let t = db.take_referral("Margaret", "Smith");
    assert_eq!(t.episode.status, EpisodeStatus::Referred);
    let attempt = |outcome: &str| ContactAttemptInput {
        attempted_at: format!("{} 10:00", crate::days_ago(2)),
        method: "phone".into(),
        outcome: outcome.into(),
        note: None,
    };
    db.store
        .log_contact_attempt(t.referral.id, &attempt("no_answer"))
        .unwrap();
    let ep = db.store.episode(t.episode.id).unwrap();
    assert_eq!(
        (ep.status, ep.first_contact_on),
        (EpisodeStatus::Contacting, None)
    );
    db.store
        .log_contact_attempt(t.referral.id, &attempt("appointment_booked"))
        .unwrap();
    let ep = db.store.episode(t.episode.id).unwrap();
    assert_eq!(ep.first_contact_on, Some(crate::days_ago(2)));
    assert_eq!(db.store.contact_attempts(t.referral.id).unwrap().len(), 2);

    let session = db
        .store
        .record_session(
            t.person.id,
            &SessionInput {
                starts_at: format!("{} 11:00", crate::days_ago(1)),
                mode: "face_to_face".into(),
                venue: Some("East Leake Library".into()),
                minutes: Some(45),
                attendance: "attended".into(),
                actions_agreed: Some("Try the walking group on Thursday".into()),
                note: Some("Talked about what matters to Margaret: seeing people.".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(session.episode_id, Some(t.episode.id));
    assert_eq!(
        db.store.episode(t.episode.id).unwrap().status,
        EpisodeStatus::Active
    );
    assert_eq!(db.store.notes(t.person.id).unwrap().len(), 1);

    // Hand over to a colleague, then close, then a re-referral opens a new episode.
    let sam = db
        .store
        .add_worker(&WorkerInput {
            name: "Sam Okoye".into(),
            role: "link_worker".into(),
            ..Default::default()
        })
        .unwrap();
    let err = db
        .store
        .hand_over(t.episode.id, sam.id, "link_worker", " ")
        .unwrap_err();
    assert_eq!(err.fields(), ["note"]);
    db.store
        .hand_over(
            t.episode.id,
            sam.id,
            "link_worker",
            "Moving to Sam's patch; prefers mornings",
        )
        .unwrap();
    let ep = db.store.episode(t.episode.id).unwrap();
    assert_eq!(ep.worker_id, sam.id);
    assert_eq!(db.store.handovers(t.episode.id).unwrap().len(), 1);

    let err = db
        .store
        .add_referral(t.person.id, &ReferralInput::default(), None, None)
        .unwrap_err();
    assert!(
        matches!(err, CoreError::Refused(Refusal::OpenEpisodeExists { .. })),
        "{err}"
    );
    let err = db
        .store
        .close_episode(t.episode.id, "bored", &crate::days_ago(0).to_string())
        .unwrap_err();
    assert_eq!(err.fields(), ["closing_reason"]);
    let closed = db
        .store
        .close_episode(t.episode.id, "goals_met", &crate::days_ago(0).to_string())
        .unwrap();
    assert_eq!(closed.status, EpisodeStatus::Closed);
    assert!(matches!(
        db.store
            .close_episode(t.episode.id, "goals_met", &crate::days_ago(0).to_string()),
        Err(CoreError::Refused(Refusal::EpisodeAlreadyClosed))
    ));

    let again = ReferralInput {
        source: "self".into(),
        received_on: crate::days_ago(0).to_string(),
        reasons: vec!["bereavement".into()],
        consent_to_contact: true,
        ..Default::default()
    };
    let (_, ep2) = db
        .store
        .add_referral(t.person.id, &again, None, None)
        .unwrap();
    assert_ne!(ep2.id, t.episode.id);
    assert_eq!(db.store.episodes(t.person.id).unwrap().len(), 2);
    assert_eq!(
        db.store.open_episode(t.person.id).unwrap().map(|e| e.id),
        Some(ep2.id)
    );
}

#[test]
fn notes_are_revised_never_overwritten_and_retracted_with_a_reason() {
    let mut db = TestDb::new();
    let p = db.take_referral("Joan", "Walsh").person.id;
    let note = db
        .store
        .add_note(p, None, "Joan wants to join the knitting group")
        .unwrap();
    let first = note.current().unwrap().id;
    let v2 = db
        .store
        .revise_note(
            note.note.id,
            first,
            "Joan wants to join the knit and natter group",
        )
        .unwrap();
    assert_eq!(v2.revisions.len(), 2);
    assert_eq!(
        v2.revisions[0].body, "Joan wants to join the knitting group",
        "the old text is kept"
    );
    assert_eq!(v2.revisions[1].supersedes, Some(first));
    // A second editor still looking at the first version is refused, not silently applied.
    let err = db
        .store
        .revise_note(note.note.id, first, "Something else")
        .unwrap_err();
    assert!(
        matches!(err, CoreError::Refused(Refusal::NoteChangedMeanwhile)),
        "{err}"
    );
    assert_eq!(db.store.note(note.note.id).unwrap().revisions.len(), 2);

    let err = db.store.retract_note(note.note.id, "").unwrap_err();
    assert_eq!(err.fields(), ["reason"]);
    let r = db
        .store
        .retract_note(note.note.id, "Written on the wrong record")
        .unwrap();
    assert_eq!(r.revisions.len(), 3);
    assert!(r.current().unwrap().retracted);
    // Retracted notes leave search but stay in the history and the export.
    let hits = linkwell_core::read::search::search(db.store.conn(), "natter", None, 10).unwrap();
    assert!(hits.is_empty(), "{hits:?}");
    let export = db.store.export_person(p).unwrap();
    assert_eq!(
        export["records"]["note_revision"].as_array().unwrap().len(),
        3
    );
    // Nothing in the note tables was updated or deleted: 1 note + 3 revisions, 4 creates logged.
    let creates: i64 = db.store.conn().query_row("SELECT COUNT(*) FROM change_log WHERE entity IN ('note','note_revision') AND op = 'create'", [], |r| r.get(0)).unwrap();
    let others: i64 = db.store.conn().query_row("SELECT COUNT(*) FROM change_log WHERE entity IN ('note','note_revision') AND op != 'create'", [], |r| r.get(0)).unwrap();
    assert_eq!((creates, others), (4, 0));
}

#[test]
fn consents_and_risk_flags_are_recorded_with_who_and_when() {
    let mut db = TestDb::new();
    let me = db.store.actor().unwrap().worker_id;
    let p = db.take_referral("Kwame", "Mensah").person.id;
    db.store
        .record_consent(
            p,
            &ConsentInput {
                kind: "share_with_referrer".into(),
                given: true,
                ..Default::default()
            },
        )
        .unwrap();
    db.store
        .record_consent(
            p,
            &ConsentInput {
                kind: "share_with_referrer".into(),
                given: false,
                note: Some("Changed mind".into()),
                ..Default::default()
            },
        )
        .unwrap();
    // Besides the consent to contact the referral took.
    let consents = db.store.consents(p).unwrap();
    assert_eq!(consents.len(), 3);
    assert!(consents.iter().all(|c| c.recorded_by == me));
    let err = db
        .store
        .record_consent(
            p,
            &ConsentInput {
                kind: "marketing".into(),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!(err.fields(), ["kind"]);

    let review = (linkwell_core::store::today() + chrono::Duration::days(3)).to_string();
    let flag = db
        .store
        .add_risk_flag(
            p,
            &RiskFlagInput {
                kind: "lone_working".into(),
                review_on: review.clone(),
                note: Some("Dog at home".into()),
            },
        )
        .unwrap();
    let err = db
        .store
        .add_risk_flag(
            p,
            &RiskFlagInput {
                kind: "lone_working".into(),
                review_on: crate::days_ago(3).to_string(),
                note: None,
            },
        )
        .unwrap_err();
    assert_eq!(err.fields(), ["review_on"]);
    let today =
        linkwell_core::read::caseload::today(db.store.conn(), me, linkwell_core::store::today())
            .unwrap();
    assert_eq!(
        today.risk_reviews.len(),
        1,
        "a flag due within a week shows on Today"
    );
    db.store.review_risk_flag(flag.id, false, None).unwrap();
    let today =
        linkwell_core::read::caseload::today(db.store.conn(), me, linkwell_core::store::today())
            .unwrap();
    assert!(today.risk_reviews.is_empty());
}
