//! Realistic synthetic demo data: a team, workers, people with referrals, episodes, sessions,
//! notes, goals, measures and a community directory. Never real people. Deterministic: the
//! same seed and "today" give the same records and ids.
//!
//! Large data sets (the benchmark's 50,000 people) are written in chunks of one transaction
//! each through the normal apply-and-log path, with fsync relaxed during the bulk load only.

use crate::domain::vocabulary::*;
use crate::error::Result;
use crate::records::contacts::Session;
use crate::records::directory::{Schedule, Service};
use crate::records::measures::Measure;
use crate::records::pathway::{ContactAttempt, Episode, Referral};
use crate::records::people::{Consent, Person, RiskFlag, SetupInput, Worker};
use crate::records::plans::{Goal, GoalRating, GoalStep, WellbeingPlan};
use crate::store::{Store, Writer};
use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub seed: u64,
    pub people: usize,
    /// Total sessions across everyone (spread unevenly, as in life).
    pub sessions: usize,
    pub today: NaiveDate,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct DemoSummary {
    pub workers: usize,
    pub people: usize,
    pub sessions: usize,
    pub notes: usize,
    pub goals: usize,
    pub measures: usize,
    pub services: usize,
    /// The worker this laptop belongs to, and how many active people they hold.
    pub worker_id: Uuid,
    pub worker_active_caseload: usize,
}

const GIVEN: &[&str] = &[
    "Margaret",
    "John",
    "Zoë",
    "Łukasz",
    "Siobhán",
    "Nguyễn Thị",
    "Aisha",
    "David",
    "Patricia",
    "Mohammed",
    "Eileen",
    "Kwame",
    "Joan",
    "Tomasz",
    "Bríd",
    "Gurpreet",
    "Doreen",
    "Olumide",
    "Maureen",
    "Ahmed",
    "Sandra",
    "Raj",
    "Brian",
    "Fatima",
    "Kevin",
    "Iwona",
    "Derek",
    "Chloé",
    "Pauline",
    "Yusuf",
];
const FAMILY: &[&str] = &[
    "Smith",
    "Okafor",
    "Kowalski",
    "Ní Bhriain",
    "Patel",
    "Jones",
    "Nguyễn",
    "Begum",
    "Taylor",
    "Walsh",
    "Mensah",
    "Brown",
    "Hussain",
    "Evans",
    "Nowak",
    "O'Neill",
    "Singh",
    "Wright",
    "Ahmed",
    "Clarke",
];
const PREFERRED: &[&str] = &["Maggie", "Jack", "Pat", "Mo", "Dot", "Sandy", "Bri", "Kev"];
const PRACTICES: &[&str] = &[
    "East Leake Medical Group",
    "Keyworth Surgery",
    "Ruddington Medical Centre",
    "Cotgrave Surgery",
];
const CONDITIONS: &[&str] = &[
    "Type 2 diabetes",
    "COPD",
    "Asthma",
    "Heart disease",
    "Epilepsy",
    "Osteoporosis",
    "Arthritis",
    "Hypertension",
];
const POSTCODES: &[&str] = &[
    "LE12 6QW", "NG12 5BU", "NG11 6JS", "NG12 3HG", "LE12 6PB", "NG12 5LY", "ZZ99 3VZ",
];
const VENUES: &[&str] = &["GP surgery", "Library", "Community centre", "Café", "Home"];
const NOTE_OPENERS: &[&str] = &[
    "Met at the library.",
    "Phone call.",
    "Met at the surgery.",
    "Home visit with colleague (lone-working plan).",
    "Met at the community café.",
];
const NOTE_BODIES: &[&str] = &[
    "Talked about what matters: getting out of the house more and seeing people.",
    "Feeling anxious about money; agreed to look at a benefits check together.",
    "Interested in the walking group on Thursdays; worried about keeping up.",
    "Went to the allotment society open day and enjoyed it.",
    "Low mood this week after a hospital appointment; talked through the wellness plan.",
    "Would like to volunteer at the food bank once confidence improves.",
    "Bus pass application started; transport was the main barrier.",
    "Carer for husband with dementia; discussed carers' support group and respite.",
    "Attended the knit and natter group for the first time, with me alongside.",
    "Breathlessness better on the singing for lung health sessions.",
    "Would like to learn to use a tablet to video call grandchildren.",
    "Housing repair still not done; referred to welfare rights for advice.",
];
const GOALS: &[(&str, FiveWays)] = &[
    (
        "I want to get out of the house twice a week",
        FiveWays::Connect,
    ),
    (
        "Walk to the park and back without stopping",
        FiveWays::BeActive,
    ),
    (
        "Notice three good things each evening",
        FiveWays::TakeNotice,
    ),
    ("Learn to video call my grandchildren", FiveWays::Learn),
    ("Help out at the community café", FiveWays::Give),
    ("Join a group where I can talk to people", FiveWays::Connect),
    (
        "Cook a proper meal for myself three times a week",
        FiveWays::TakeNotice,
    ),
];

struct DemoService {
    name: &'static str,
    description: &'static str,
    category: ServiceCategory,
    five_ways: &'static [FiveWays],
    day: Weekday,
    starts: &'static str,
    ends: &'static str,
    venue: &'static str,
    postcode: &'static str,
    cost: &'static str,
    free: bool,
    step_free: bool,
}

const SERVICES: &[DemoService] = &[
    DemoService {
        name: "East Leake walking group",
        description: "A gentle hour's walk around the village at everyone's pace, ending with tea and a chat.",
        category: ServiceCategory::PhysicalActivity,
        five_ways: &[FiveWays::BeActive, FiveWays::Connect],
        day: Weekday::Thu,
        starts: "13:30",
        ends: "15:00",
        venue: "East Leake Library (meet outside)",
        postcode: "LE12 6LG",
        cost: "Free",
        free: true,
        step_free: true,
    },
    DemoService {
        name: "Knit and natter",
        description: "Bring a project or learn to knit; tea, cake and good company.",
        category: ServiceCategory::CommunityActivities,
        five_ways: &[FiveWays::Connect, FiveWays::Learn],
        day: Weekday::Tue,
        starts: "10:00",
        ends: "12:00",
        venue: "Keyworth Village Hall",
        postcode: "NG12 5AA",
        cost: "£1 for tea",
        free: false,
        step_free: true,
    },
    DemoService {
        name: "Singing for lung health",
        description: "Breathing and singing for people with COPD and other lung conditions.",
        category: ServiceCategory::LongTermCondition,
        five_ways: &[FiveWays::BeActive, FiveWays::Connect],
        day: Weekday::Wed,
        starts: "14:00",
        ends: "15:30",
        venue: "St Peter's Church Hall",
        postcode: "NG11 6JS",
        cost: "Free",
        free: true,
        step_free: false,
    },
    DemoService {
        name: "Welfare rights drop-in",
        description: "Help with benefits, debt and form filling from trained advisers.",
        category: ServiceCategory::WelfareRights,
        five_ways: &[FiveWays::Learn],
        day: Weekday::Mon,
        starts: "09:30",
        ends: "12:30",
        venue: "Cotgrave Community Centre",
        postcode: "NG12 3HG",
        cost: "Free",
        free: true,
        step_free: true,
    },
    DemoService {
        name: "Allotment society",
        description: "Shared plots and a friendly shed; no experience needed.",
        category: ServiceCategory::CommunityActivities,
        five_ways: &[FiveWays::TakeNotice, FiveWays::BeActive, FiveWays::Give],
        day: Weekday::Sat,
        starts: "10:00",
        ends: "13:00",
        venue: "Brookside Allotments",
        postcode: "LE12 6PB",
        cost: "£5 a year",
        free: false,
        step_free: false,
    },
    DemoService {
        name: "Community café volunteers",
        description: "Volunteer in the café kitchen or front of house; training given.",
        category: ServiceCategory::Volunteering,
        five_ways: &[FiveWays::Give, FiveWays::Connect],
        day: Weekday::Fri,
        starts: "09:00",
        ends: "14:00",
        venue: "The Hub Café",
        postcode: "NG12 5BU",
        cost: "Free",
        free: true,
        step_free: true,
    },
    DemoService {
        name: "Carers' support group",
        description: "Meet other carers, share tips and have a break.",
        category: ServiceCategory::MentalHealth,
        five_ways: &[FiveWays::Connect],
        day: Weekday::Tue,
        starts: "13:00",
        ends: "14:30",
        venue: "Ruddington Library",
        postcode: "NG11 6HD",
        cost: "Free",
        free: true,
        step_free: true,
    },
    DemoService {
        name: "Digital skills for beginners",
        description: "Learn to use a phone or tablet: video calls, email, shopping safely.",
        category: ServiceCategory::LearningEmployment,
        five_ways: &[FiveWays::Learn],
        day: Weekday::Mon,
        starts: "14:00",
        ends: "16:00",
        venue: "East Leake Library",
        postcode: "LE12 6LG",
        cost: "Free",
        free: true,
        step_free: true,
    },
    DemoService {
        name: "Chair-based exercise",
        description: "Seated exercise to music for strength and balance.",
        category: ServiceCategory::PhysicalActivity,
        five_ways: &[FiveWays::BeActive],
        day: Weekday::Fri,
        starts: "11:00",
        ends: "12:00",
        venue: "Keyworth Village Hall",
        postcode: "NG12 5AA",
        cost: "£2",
        free: false,
        step_free: true,
    },
    DemoService {
        name: "Telephone befriending",
        description: "A weekly friendly phone call from a trained volunteer.",
        category: ServiceCategory::Befriending,
        five_ways: &[FiveWays::Connect],
        day: Weekday::Wed,
        starts: "10:00",
        ends: "16:00",
        venue: "By phone",
        postcode: "NG12 5BU",
        cost: "Free",
        free: true,
        step_free: true,
    },
    DemoService {
        name: "Healthy cooking on a budget",
        description: "Six-week course: simple, cheap, healthy meals.",
        category: ServiceCategory::WeightHealthyEating,
        five_ways: &[FiveWays::Learn, FiveWays::TakeNotice],
        day: Weekday::Thu,
        starts: "10:00",
        ends: "12:00",
        venue: "Cotgrave Community Centre",
        postcode: "NG12 3HG",
        cost: "Free",
        free: true,
        step_free: true,
    },
    DemoService {
        name: "Art for wellbeing",
        description: "Relaxed painting and drawing group; materials provided.",
        category: ServiceCategory::Arts,
        five_ways: &[FiveWays::TakeNotice, FiveWays::Learn],
        day: Weekday::Wed,
        starts: "18:00",
        ends: "20:00",
        venue: "Ruddington Village Hall",
        postcode: "NG11 6HD",
        cost: "£3",
        free: false,
        step_free: true,
    },
];

fn pick<'a, T>(rng: &mut ChaCha8Rng, xs: &'a [T]) -> &'a T {
    &xs[rng.random_range(0..xs.len())]
}

/// Seeds demo data. Sets the laptop up first if it is not (as a link worker on a demo team).
pub fn seed(store: &mut Store, opts: &DemoOptions) -> Result<DemoSummary> {
    store.use_seeded_ids(opts.seed, opts.today - Duration::days(800));
    if store.actor().is_err() {
        store.init(&SetupInput {
            team_name: "Rushcliffe Social Prescribing (demo)".into(),
            locality: Some("Rushcliffe".into()),
            worker_name: "Priya Shah".into(),
            role: "link_worker".into(),
            phone: Some("0115 496 0123".into()),
            email: Some("priya.shah@example.nhs.uk".into()),
        })?;
    }
    let actor = store.actor()?;
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let mut summary = DemoSummary {
        worker_id: actor.worker_id,
        ..Default::default()
    };

    store.conn().execute_batch("PRAGMA synchronous = OFF")?;
    let result = seed_records(store, &mut rng, opts, &mut summary);
    store.conn().execute_batch("PRAGMA synchronous = FULL")?;
    result?;
    Ok(summary)
}

/// The team, the directory and the people, written while `seed` has relaxed `synchronous`.
fn seed_records(
    store: &mut Store,
    rng: &mut ChaCha8Rng,
    opts: &DemoOptions,
    summary: &mut DemoSummary,
) -> Result<()> {
    let actor = store.actor()?;
    let (workers, health_coach, colleagues) = seed_team(store, opts)?;
    summary.workers = colleagues + 1;
    let services = seed_services(store, opts.today)?;
    summary.services = services.len();
    // Sessions per person follow the total asked for, at least one for active people.
    let per_person = opts.sessions as f64 / opts.people.max(1) as f64;
    let chunk = 250;
    let mut person_index = 0;
    while person_index < opts.people {
        let end = (person_index + chunk).min(opts.people);
        store.write(|w| {
            for i in person_index..end {
                let worker_id = workers[i % workers.len()];
                let n_sessions = {
                    let base = per_person.floor() as usize;
                    base + usize::from(rng.random_bool((per_person - base as f64).clamp(0.0, 1.0)))
                };
                let counts =
                    demo_person(w, rng, opts, worker_id, health_coach, n_sessions, &services)?;
                summary.people += 1;
                summary.sessions += counts.sessions;
                summary.notes += counts.notes;
                summary.goals += counts.goals;
                summary.measures += counts.measures;
                if worker_id == actor.worker_id && counts.active {
                    summary.worker_active_caseload += 1;
                }
            }
            Ok(())
        })?;
        person_index = end;
    }
    Ok(())
}

/// Colleagues (enough link workers that each holds a caseload of a few hundred, a health coach
/// and a supervisor) and the licences for the licensed instruments. Answers the link workers,
/// the health coach and how many colleagues there are.
fn seed_team(store: &mut Store, opts: &DemoOptions) -> Result<(Vec<Uuid>, Uuid, usize)> {
    let actor = store.actor()?;
    let n_link_workers = (opts.people / 330).max(2);
    let mut workers = vec![actor.worker_id];
    let colleagues: Vec<(String, Role)> =
        std::iter::once(("Sam Okoye".to_string(), Role::HealthCoach))
            .chain(std::iter::once((
                "Helen Marsh".to_string(),
                Role::Supervisor,
            )))
            .chain((1..n_link_workers).map(|i| (format!("Link worker {i}"), Role::LinkWorker)))
            .collect();
    let mut health_coach = actor.worker_id;
    store.write(|w| {
        for (name, role) in &colleagues {
            let worker = Worker {
                id: w.new_id(),
                name: name.clone(),
                role: *role,
                team_id: actor.team_id,
                phone: None,
                email: None,
                active: true,
            };
            w.create(&worker)?;
            match role {
                Role::HealthCoach => health_coach = worker.id,
                Role::LinkWorker => workers.push(worker.id),
                _ => {}
            }
        }
        for l in [
            Instrument::Pam,
            Instrument::Swemwbs,
            Instrument::Eq5d,
            Instrument::WellbeingStar,
        ] {
            let lic = crate::records::measures::InstrumentLicence {
                id: w.new_id(),
                instrument: l,
                licence_holder: "Demo Primary Care Network".into(),
                enabled: true,
                recorded_on: opts.today - Duration::days(400),
                licensed_on: Some(opts.today - Duration::days(400)),
                covers_items: false,
            };
            w.create(&lic)?;
        }
        Ok(())
    })?;
    Ok((workers, health_coach, colleagues.len()))
}

/// The demo directory: one service for each of `SERVICES`.
fn seed_services(store: &mut Store, today: NaiveDate) -> Result<Vec<Uuid>> {
    let mut services = Vec::new();
    store.write(|w| {
        for s in SERVICES {
            let svc = demo_service(w, s, today)?;
            services.push(svc.id);
        }
        Ok(())
    })?;
    Ok(services)
}

fn demo_service(w: &mut Writer<'_>, s: &DemoService, today: NaiveDate) -> Result<Service> {
    let svc = Service {
        id: w.new_id(),
        provider_id: None,
        name: s.name.into(),
        description: s.description.into(),
        categories: vec![s.category],
        five_ways: s.five_ways.to_vec(),
        schedules: vec![Schedule {
            weekday: s.day,
            starts: s.starts.into(),
            ends: s.ends.into(),
            frequency: "weekly".into(),
        }],
        venue: Some(s.venue.into()),
        address: None,
        postcode: Some(s.postcode.into()),
        cost: Some(s.cost.into()),
        free: s.free,
        step_free: s.step_free,
        hearing_loop: s.step_free && s.free,
        transport: None,
        taking_new_members: true,
        contact_name: Some("Group lead".into()),
        contact_phone: Some("0115 496 0999".into()),
        contact_email: None,
        lead: None,
        last_verified_on: Some(today - Duration::days(30)),
        status: ServiceStatus::Active,
        redirect_to: None,
        capacity: Default::default(),
    };
    w.create(&svc)?;
    Ok(svc)
}

struct PersonCounts {
    sessions: usize,
    notes: usize,
    goals: usize,
    measures: usize,
    active: bool,
}

fn at(date: NaiveDate, hour: u32, minute: u32) -> NaiveDateTime {
    date.and_time(NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or_default())
}

#[allow(clippy::too_many_arguments)]
fn demo_person(
    w: &mut Writer<'_>,
    rng: &mut ChaCha8Rng,
    opts: &DemoOptions,
    worker_id: Uuid,
    health_coach: Uuid,
    n_sessions: usize,
    services: &[Uuid],
) -> Result<PersonCounts> {
    let today = opts.today;
    let received_on = today - Duration::days(rng.random_range(0..540));
    let person = demo_person_details(w, rng, today, received_on)?;
    for kind in [
        ConsentKind::Service,
        ConsentKind::ShareWithReferrer,
        ConsentKind::Evaluation,
    ] {
        let c = Consent {
            id: w.new_id(),
            person_id: person.id,
            kind,
            given: kind != ConsentKind::Evaluation || rng.random_bool(0.7),
            recorded_on: received_on,
            recorded_by: worker_id,
            note: None,
        };
        w.create(&c)?;
    }
    let reasons = vec![
        *pick(rng, ReferralReason::ALL),
        *pick(
            rng,
            &[
                ReferralReason::Loneliness,
                ReferralReason::LongTermCondition,
                ReferralReason::MentalWellbeing,
            ],
        ),
    ];
    let mut reasons_unique = reasons.clone();
    reasons_unique.dedup();
    let referral = Referral {
        id: w.new_id(),
        person_id: person.id,
        source: *pick(rng, ReferralSource::ALL),
        referrer_name: Some("Dr A. Referrer".into()),
        referrer_practice: person.gp_practice.clone(),
        received_on,
        reasons: reasons_unique,
        conditions: vec![(*pick(rng, CONDITIONS)).to_string()],
        snomed_code: Some(SnomedCode::ReferralToSocialPrescribing),
        consent_to_contact: true,
        detail: None,
        referrer_id: None,
    };
    w.create(&referral)?;
    let episode = demo_episode(w, rng, &referral, today, worker_id, health_coach)?;
    let status = episode.status;
    let mut counts = PersonCounts {
        sessions: 0,
        notes: 0,
        goals: 0,
        measures: 0,
        active: status == EpisodeStatus::Active && episode.worker_id == worker_id,
    };
    let Some(first) = episode.first_contact_on else {
        return Ok(counts);
    };
    demo_sessions(w, rng, &episode, first, today, n_sessions, &mut counts)?;
    if status == EpisodeStatus::Active {
        demo_support(w, rng, &episode, first, today, &mut counts)?;
        demo_goals(w, rng, &episode, first, &mut counts)?;
        demo_onward_and_risk(w, rng, &episode, first, today, services)?;
    }
    demo_measures(w, rng, &episode, first, today, &mut counts)?;
    Ok(counts)
}

/// Who the demo person is: a name, a date of birth, contact details and needs.
fn demo_person_details(
    w: &mut Writer<'_>,
    rng: &mut ChaCha8Rng,
    today: NaiveDate,
    received_on: NaiveDate,
) -> Result<Person> {
    let given = *pick(rng, GIVEN);
    let person = Person {
        id: w.new_id(),
        team_id: w.actor().team_id,
        given_name: given.into(),
        family_name: (*pick(rng, FAMILY)).into(),
        preferred_name: rng
            .random_bool(0.15)
            .then(|| (*pick(rng, PREFERRED)).to_string()),
        date_of_birth: Some(today - Duration::days(rng.random_range(18 * 365..92 * 365))),
        nhs_number: Some(demo_nhs_number(rng)),
        address: Some(format!("{} Demo Street", rng.random_range(1..200))),
        postcode: Some((*pick(rng, POSTCODES)).into()),
        phone: Some(format!("07700 900{:03}", rng.random_range(0..1000))),
        email: None,
        gp_practice: Some((*pick(rng, PRACTICES)).into()),
        language: rng.random_bool(0.1).then(|| "Polish".to_string()),
        interpreter_needed: rng.random_bool(0.05),
        large_print: rng.random_bool(0.1),
        easy_read: rng.random_bool(0.05),
        accessibility_needs: rng
            .random_bool(0.2)
            .then(|| "Uses a walking frame; ground-floor rooms please".to_string()),
        carer_status: rng
            .random_bool(0.15)
            .then(|| "Carer for spouse".to_string()),
        contact_restrictions: None,
        created_on: received_on,
        distinct_from: Vec::new(),
        distinct_decided_by: None,
    };
    w.create(&person)?;
    Ok(person)
}

/// The support episode a referral opens: recent ones still wait for first contact, older
/// ones are active or closed.
fn demo_episode(
    w: &mut Writer<'_>,
    rng: &mut ChaCha8Rng,
    referral: &Referral,
    today: NaiveDate,
    worker_id: Uuid,
    health_coach: Uuid,
) -> Result<Episode> {
    let received_on = referral.received_on;
    let age = (today - received_on).num_days();
    let status = if age < 10 {
        if rng.random_bool(0.5) {
            EpisodeStatus::Referred
        } else {
            EpisodeStatus::Contacting
        }
    } else if age > 300 && rng.random_bool(0.6) {
        EpisodeStatus::Closed
    } else {
        EpisodeStatus::Active
    };
    let first_contact = (status != EpisodeStatus::Referred && status != EpisodeStatus::Contacting)
        .then(|| received_on + Duration::days(rng.random_range(1..10).min(age.max(1))));
    let episode = Episode {
        id: w.new_id(),
        person_id: referral.person_id,
        referral_id: referral.id,
        stage: if rng.random_bool(0.1) {
            Stage::HealthCoach
        } else {
            Stage::LinkWorker
        },
        worker_id: if rng.random_bool(0.05) {
            health_coach
        } else {
            worker_id
        },
        status,
        opened_on: received_on,
        first_contact_on: first_contact,
        closed_on: (status == EpisodeStatus::Closed)
            .then(|| received_on + Duration::days(rng.random_range(60..250))),
        closing_reason: (status == EpisodeStatus::Closed).then(|| *pick(rng, ClosingReason::ALL)),
    };
    w.create(&episode)?;
    if status == EpisodeStatus::Contacting {
        let a = ContactAttempt {
            id: w.new_id(),
            referral_id: referral.id,
            attempted_at: at(received_on + Duration::days(1), 10, 15),
            method: ContactMethod::Phone,
            outcome: ContactOutcome::NoAnswer,
            note: None,
            worker_id,
        };
        w.create(&a)?;
    }
    Ok(episode)
}

/// Sessions spread evenly from first contact to closing (or today), some with a note.
fn demo_sessions(
    w: &mut Writer<'_>,
    rng: &mut ChaCha8Rng,
    episode: &Episode,
    first: NaiveDate,
    today: NaiveDate,
    n_sessions: usize,
    counts: &mut PersonCounts,
) -> Result<()> {
    let last_day = episode.closed_on.unwrap_or(today);
    let span = (last_day - first).num_days().max(1);
    for k in 0..n_sessions {
        let day = first + Duration::days(span * k as i64 / n_sessions.max(1) as i64);
        let starts_at = at(
            day,
            rng.random_range(9..16),
            if rng.random_bool(0.5) { 0 } else { 30 },
        );
        let dna = rng.random_bool(0.08);
        let s = Session {
            id: w.new_id(),
            person_id: episode.person_id,
            episode_id: Some(episode.id),
            worker_id: episode.worker_id,
            starts_at,
            mode: *pick(
                rng,
                &[
                    SessionMode::FaceToFace,
                    SessionMode::FaceToFace,
                    SessionMode::Phone,
                    SessionMode::HomeVisit,
                ],
            ),
            venue: Some((*pick(rng, VENUES)).into()),
            minutes: Some(rng.random_range(20..70)),
            attendance: if dna {
                Attendance::DidNotAttend
            } else {
                Attendance::Attended
            },
            actions_agreed: Some(
                "Look at the directory together; try one group before next time".into(),
            ),
            next_step: Some("Follow-up in two weeks".into()),
        };
        w.create(&s)?;
        counts.sessions += 1;
        if !dna && rng.random_bool(0.3) {
            let first_body = rng.random_range(0..NOTE_BODIES.len());
            let second_body =
                (first_body + rng.random_range(1..NOTE_BODIES.len())) % NOTE_BODIES.len();
            let body = format!(
                "{} {} {}",
                pick(rng, NOTE_OPENERS),
                NOTE_BODIES[first_body],
                NOTE_BODIES[second_body]
            );
            crate::records::contacts::write_note(
                w,
                episode.person_id,
                Some(s.id),
                body,
                starts_at + Duration::minutes(s.minutes.unwrap_or(30)),
            )?;
            counts.notes += 1;
        }
    }
    Ok(())
}

/// An active person's appointment today (now and then) and their wellbeing plan.
fn demo_support(
    w: &mut Writer<'_>,
    rng: &mut ChaCha8Rng,
    episode: &Episode,
    first: NaiveDate,
    today: NaiveDate,
    counts: &mut PersonCounts,
) -> Result<()> {
    // Today's and upcoming appointments for the worker's day.
    if rng.random_bool(0.04) {
        let s = Session {
            id: w.new_id(),
            person_id: episode.person_id,
            episode_id: Some(episode.id),
            worker_id: episode.worker_id,
            starts_at: at(today, rng.random_range(9..16), 0),
            mode: SessionMode::FaceToFace,
            venue: Some((*pick(rng, VENUES)).into()),
            minutes: None,
            attendance: Attendance::Booked,
            actions_agreed: None,
            next_step: None,
        };
        w.create(&s)?;
        counts.sessions += 1;
    }
    let plan = WellbeingPlan {
        id: w.new_id(),
        person_id: episode.person_id,
        keeps_me_well: "A walk to the shop each morning; phoning my sister on Sundays; my dog."
            .into(),
        triggers: "Being stuck indoors in bad weather; letters about money.".into(),
        warning_signs: "Not getting dressed; not answering the phone.".into(),
        when_i_notice: "Ring my sister; go to the café even for ten minutes.".into(),
        crisis_help: "My GP; NHS 111 (press 2 for mental health); Samaritans 116 123.".into(),
        written_on: first,
        review_on: Some(plan_review_on(first, today, rng.random_range(60..200))),
        worker_id: episode.worker_id,
    };
    w.create(&plan)?;
    Ok(())
}

/// A plan's review date `after` days from the first session, or, when that is more than a
/// fortnight gone (a worker would have reviewed it), a date near today from the same draw.
fn plan_review_on(first: NaiveDate, today: NaiveDate, after: i64) -> NaiveDate {
    let due = first + Duration::days(after);
    if due < today - Duration::days(14) {
        today + Duration::days(after % 50 - 7)
    } else {
        due
    }
}

/// One to three goals, each with its steps and some ratings.
fn demo_goals(
    w: &mut Writer<'_>,
    rng: &mut ChaCha8Rng,
    episode: &Episode,
    first: NaiveDate,
    counts: &mut PersonCounts,
) -> Result<()> {
    for g in 0..rng.random_range(1..=3) {
        let (text, way) = GOALS[(g + rng.random_range(0..GOALS.len())) % GOALS.len()];
        let goal = Goal {
            id: w.new_id(),
            person_id: episode.person_id,
            text: text.into(),
            five_ways: way,
            set_on: first,
            status: GoalStatus::Active,
            archived: false,
        };
        w.create(&goal)?;
        counts.goals += 1;
        for (n, step_text) in [
            "Find out when the group meets",
            "Go once with my link worker",
            "Go on my own",
        ]
        .iter()
        .enumerate()
        {
            let step = GoalStep {
                id: w.new_id(),
                goal_id: goal.id,
                text: (*step_text).into(),
                target_on: Some(first + Duration::days(14 * (n as i64 + 1))),
                status: if n == 0 {
                    StepStatus::Done
                } else {
                    StepStatus::Planned
                },
                archived: false,
            };
            w.create(&step)?;
        }
        for (n, score) in [-1i8, 0, 1]
            .iter()
            .take(rng.random_range(1..=3))
            .enumerate()
        {
            let r = GoalRating {
                id: w.new_id(),
                goal_id: goal.id,
                rated_on: first + Duration::days(30 * n as i64),
                score: *score,
                worker_id: episode.worker_id,
            };
            w.create(&r)?;
        }
    }
    Ok(())
}

/// An onward referral to one of the services, and now and then a risk flag.
fn demo_onward_and_risk(
    w: &mut Writer<'_>,
    rng: &mut ChaCha8Rng,
    episode: &Episode,
    first: NaiveDate,
    today: NaiveDate,
    services: &[Uuid],
) -> Result<()> {
    let service = *pick(rng, services);
    let o = crate::records::directory::OnwardReferral {
        id: w.new_id(),
        person_id: episode.person_id,
        service_id: service,
        status: *pick(
            rng,
            &[
                OnwardStatus::Suggested,
                OnwardStatus::ReferralMade,
                OnwardStatus::Attending,
            ],
        ),
        barriers: if rng.random_bool(0.3) {
            vec![Barrier::Transport]
        } else {
            vec![]
        },
        suggested_on: first,
        status_on: first,
        feedback: None,
        worker_id: episode.worker_id,
        accompanied_by_worker_id: None,
        accompanied_by_name: None,
        agreed_on: None,
    };
    let o = crate::records::directory::OnwardReferral {
        agreed_on: crate::domain::take_up::agreed(o.status).then_some(first),
        ..o
    };
    w.create(&o)?;
    if rng.random_bool(0.05) {
        let f = RiskFlag {
            id: w.new_id(),
            person_id: episode.person_id,
            kind: RiskKind::LoneWorking,
            active: true,
            review_on: today + Duration::days(rng.random_range(-5..30)),
            note: Some("Meet in public venues only".into()),
            recorded_on: first,
            recorded_by: episode.worker_id,
        };
        w.create(&f)?;
    }
    Ok(())
}

/// Baseline measures, and follow-ups for some of those old enough.
fn demo_measures(
    w: &mut Writer<'_>,
    rng: &mut ChaCha8Rng,
    episode: &Episode,
    first: NaiveDate,
    today: NaiveDate,
    counts: &mut PersonCounts,
) -> Result<()> {
    // The draws from the shared generator stay as they were (the baseline, and a T1 for half
    // of those past it), so every later demo person is the same person as before.
    let coin_t1 = (today - first).num_days() > 130 && rng.random_bool(0.5);
    let months = |n: u32| {
        first
            .checked_add_months(chrono::Months::new(n))
            .unwrap_or(first)
    };
    measure_set(w, rng, episode, TimePoint::T0, first, true, counts)?;
    if coin_t1 {
        measure_set(w, rng, episode, TimePoint::T1, months(4), true, counts)?;
    }
    // The rest of what a careful worker would have recorded by now, from the person's own
    // generator: follow-ups done when due, PAM every three months while supported. Only what
    // fell due in the last fortnight is left to do, so a first Today is a day's work, not a
    // wall of "300 days overdue" whatever day the demo is made.
    let mut own = ChaCha8Rng::seed_from_u64(episode.id.as_u64_pair().0);
    let done_by = today - Duration::days(14);
    let supported_until = episode.closed_on.unwrap_or(today).min(done_by);
    let mut timed = vec![(months(8), TimePoint::T2)];
    if !coin_t1 {
        timed.push((months(4), TimePoint::T1));
    }
    let mut last_pam = if coin_t1 { months(4) } else { first };
    timed.retain(|(on, _)| *on <= done_by);
    timed.sort();
    let mut next_timed = timed.into_iter().peekable();
    loop {
        let pam_due = last_pam
            .checked_add_months(chrono::Months::new(3))
            .unwrap_or(today);
        match next_timed.peek().copied() {
            Some((on, tp)) if on <= pam_due || pam_due > supported_until => {
                next_timed.next();
                let with_pam = on <= supported_until;
                measure_set(w, &mut own, episode, tp, on, with_pam, counts)?;
                if with_pam {
                    last_pam = on;
                }
            }
            _ if pam_due <= supported_until => {
                measure_set(
                    w,
                    &mut own,
                    episode,
                    TimePoint::Other,
                    pam_due,
                    true,
                    counts,
                )?;
                last_pam = pam_due;
            }
            _ => break,
        }
    }
    Ok(())
}

/// The measures taken at one sitting: ONS4 and service use at a time point, and PAM when
/// `with_pam` (a repeat between time points is PAM alone, as `TimePoint::Other`).
fn measure_set(
    w: &mut Writer<'_>,
    rng: &mut ChaCha8Rng,
    episode: &Episode,
    tp: TimePoint,
    on: NaiveDate,
    with_pam: bool,
    counts: &mut PersonCounts,
) -> Result<()> {
    // What every measure at this sitting shares.
    let taken = |id| Measure {
        id,
        person_id: episode.person_id,
        instrument: Instrument::Ons4,
        time_point: tp,
        taken_on: on,
        worker_id: episode.worker_id,
        score: None,
        level: None,
        items: vec![],
    };
    let timed = tp != TimePoint::Other;
    if timed {
        let base: i64 = if tp == TimePoint::T0 { 4 } else { 6 };
        let ons4 = Measure {
            items: vec![
                base + rng.random_range(0..3),
                base + rng.random_range(0..3),
                base + rng.random_range(0..3),
                8 - base + rng.random_range(0..3),
            ],
            ..taken(w.new_id())
        };
        w.create(&ons4)?;
        counts.measures += 1;
    }
    if with_pam {
        let pam_score = 40.0
            + f64::from(rng.random_range(0..300u32)) / 10.0
            + if tp == TimePoint::T0 { 0.0 } else { 5.0 };
        let pam = Measure {
            instrument: Instrument::Pam,
            score: Some(pam_score),
            level: Some(i64::from(pam_level(pam_score))),
            ..taken(w.new_id())
        };
        w.create(&pam)?;
        counts.measures += 1;
    }
    if timed {
        let use_ = Measure {
            instrument: Instrument::ServiceUse,
            items: vec![
                rng.random_range(0..6),
                rng.random_range(0..2),
                rng.random_range(0..3),
                rng.random_range(0..3),
                rng.random_range(0..2),
                rng.random_range(0..2),
                rng.random_range(0..2),
            ],
            ..taken(w.new_id())
        };
        w.create(&use_)?;
        counts.measures += 1;
    }
    Ok(())
}

/// A random NHS number with a valid check digit, in the 999 range reserved for testing.
fn demo_nhs_number(rng: &mut ChaCha8Rng) -> String {
    loop {
        let mut d = [9u32, 9, 9, 0, 0, 0, 0, 0, 0];
        for x in d.iter_mut().skip(3) {
            *x = rng.random_range(0..10);
        }
        let sum: u32 = d.iter().zip((2..=10).rev()).map(|(x, w)| x * w).sum();
        let check = match 11 - sum % 11 {
            11 => 0,
            10 => continue,
            c => c,
        };
        return d
            .iter()
            .map(|x| char::from_digit(*x, 10).unwrap_or('0'))
            .chain(std::iter::once(char::from_digit(check, 10).unwrap_or('0')))
            .collect();
    }
}
