//! `linkwell bench letter`: building and rendering the closing letter to the referrer for a
//! person with a year of weekly sessions, measures every few months, goals, onward referrals
//! and consent to share (so every free-text part is in it). Medians of several runs, and the
//! PDF's size. Issue 16 asks for at most 50 ms and 100 KB.

use anyhow::Result;
use linkwell_core::Store;
use linkwell_core::domain::vocabulary::MessageKind;
use linkwell_core::read::message::{self, MessageOptions};
use linkwell_core::records::contacts::SessionInput;
use linkwell_core::records::directory::ServiceInput;
use linkwell_core::records::measures::MeasureInput;
use linkwell_core::records::pathway::{NewReferral, ReferralInput};
use linkwell_core::records::people::{ConsentInput, PersonInput, SetupInput};
use linkwell_core::records::plans::GoalInput;
use linkwell_core::records::referrers::{LetterheadInput, ReferrerInput};
use std::time::{Duration, Instant};

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

pub fn run(runs: usize) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let mut store = Store::open(&dir.path().join("bench.db"), None)?;
    store.init(&SetupInput {
        team_name: "Rushcliffe".into(),
        worker_name: "Priya Shah".into(),
        role: "link_worker".into(),
        ..Default::default()
    })?;
    let (referral, sessions) = a_year_of_support(&mut store)?;
    let opts = MessageOptions {
        summary: Some("Margaret sings with the church choir again and walks twice a week.".into()),
        ..Default::default()
    };
    let runs = runs.max(1);
    let (mut build, mut letter) = (Vec::new(), Vec::new());
    let mut bytes = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let m = store.referrer_message_preview(MessageKind::Closed, referral, &opts)?;
        std::hint::black_box(message::prsb_record(&m));
        build.push(t.elapsed());
        let t = Instant::now();
        let pdf = store.message_pdf(MessageKind::Closed, referral, &opts)?;
        letter.push(t.elapsed());
        bytes = pdf.len();
    }
    let m = store.referrer_message_preview(MessageKind::Closed, referral, &opts)?;
    let record = serde_json::to_string(&message::prsb_record(&m))?;
    crate::outln!(
        "closing message for a year of support ({sessions} sessions attended, {runs} runs): build {} median; build and render the letter {} median ({} KB PDF, {} KB record); targets 50 ms and 100 KB",
        ms(median(build)),
        ms(median(letter)),
        bytes / 1024,
        record.len() / 1024
    );
    Ok(())
}

/// A person supported for a year: weekly sessions, ONS4 at T0/T1/T2, PAM every 3 months,
/// three rated goals, three onward referrals, consent to share; the episode closed today.
fn a_year_of_support(store: &mut Store) -> Result<(uuid::Uuid, usize)> {
    let today = linkwell_core::store::today();
    let day = |ago: i64| today - chrono::Duration::days(ago);
    store.set_letterhead(&LetterheadInput {
        service_name: "Rushcliffe Social Prescribing".into(),
        address: Some("The Hub, 1 Main Street, Ruddington NG11 6JA".into()),
        phone: Some("0115 496 0321".into()),
        email: Some("hello@rushcliffe-sp.example.org".into()),
        ..Default::default()
    })?;
    let referrer = store.add_referrer(&ReferrerInput {
        name: "Dr Asha Patel".into(),
        role: Some("GP".into()),
        practice: Some("Musters Medical Practice".into()),
        ods_code: Some("C84001".into()),
        secure_email: Some("asha.patel@nhs.net".into()),
        preferred_route: "secure_email".into(),
        ..Default::default()
    })?;
    let taken = store.take_referral(&NewReferral {
        person: PersonInput {
            given_name: "Margaret".into(),
            family_name: "Smith".into(),
            nhs_number: Some("943 476 5919".into()),
            date_of_birth: Some("1948-03-02".into()),
            ..Default::default()
        },
        referral: ReferralInput {
            source: "gp".into(),
            received_on: day(365).to_string(),
            reasons: vec!["loneliness".into(), "long_term_condition".into()],
            conditions: vec!["COPD".into(), "Type 2 diabetes".into()],
            referrer_id: Some(referrer.id),
            ..Default::default()
        },
        ..Default::default()
    })?;
    let p = taken.person.id;
    store.record_consent(
        p,
        &ConsentInput {
            kind: "share_with_referrer".into(),
            given: true,
            recorded_on: Some(day(360).to_string()),
            ..Default::default()
        },
    )?;
    let mut sessions = 0;
    for week in 0..52 {
        let ago = 360 - week * 7;
        store.record_session(
            p,
            &SessionInput {
                starts_at: format!("{} 10:00", day(ago)),
                mode: "face_to_face".into(),
                minutes: Some(45),
                attendance: if week % 9 == 4 {
                    "did_not_attend"
                } else {
                    "attended"
                }
                .into(),
                actions_agreed: Some("Try the lunch club on Tuesday".into()),
                note: Some("Talked about what matters: seeing people, the choir.".into()),
                ..Default::default()
            },
        )?;
        if week % 9 != 4 {
            sessions += 1;
        }
    }
    for (tp, ago, items) in [
        ("t0", 358, [3.0, 4.0, 4.0, 7.0]),
        ("t1", 240, [5.0, 6.0, 6.0, 5.0]),
        ("t2", 120, [7.0, 7.0, 8.0, 2.0]),
    ] {
        store.record_measure(
            p,
            &MeasureInput {
                instrument: "ons4".into(),
                time_point: tp.into(),
                taken_on: day(ago).to_string(),
                items: items.iter().map(|v| Some(*v)).collect(),
                ..Default::default()
            },
        )?;
    }
    store.set_instrument_licence("pam", "Rushcliffe Social Prescribing", true)?;
    for (i, ago) in [358, 270, 180, 90].into_iter().enumerate() {
        let score = 45.0 + 6.0 * i as f64;
        store.record_measure(
            p,
            &MeasureInput {
                instrument: "pam".into(),
                time_point: if i == 0 { "t0" } else { "other" }.into(),
                taken_on: day(ago).to_string(),
                score: Some(score),
                level: Some(f64::from(linkwell_core::domain::vocabulary::pam_level(
                    score,
                ))),
                ..Default::default()
            },
        )?;
    }
    for (text, way) in [
        ("Get back to singing in the church choir", "connect"),
        ("Walk to the shop and back twice a week", "be_active"),
        ("Learn to use video calls with my grandson", "learn"),
    ] {
        let g = store.add_goal(
            p,
            &GoalInput {
                text: text.into(),
                five_ways: way.into(),
                steps: Vec::new(),
            },
        )?;
        store.rate_goal(g.goal.id, -1, Some(&day(200).to_string()))?;
        store.rate_goal(g.goal.id, 1, None)?;
    }
    for name in [
        "Keyworth lunch club",
        "East Leake walking group",
        "Ruddington library IT help",
    ] {
        let s = store.add_service(&ServiceInput {
            name: name.into(),
            description: "A friendly group".into(),
            categories: vec!["community_activities".into()],
            five_ways: vec!["connect".into()],
            taking_new_members: true,
            ..Default::default()
        })?;
        store.refer_onward(p, s.id, "referral_made")?;
    }
    store.close_episode(taken.episode.id, "goals_met", &today.to_string())?;
    Ok((taken.referral.id, sessions))
}
