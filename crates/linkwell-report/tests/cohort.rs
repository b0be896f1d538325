//! Every figure against a small synthetic cohort whose answers were worked out by hand (the
//! working is in the comments). Period: the first quarter of 2026 (90 days); data as of 28
//! March 2026.

use chrono::NaiveDate;
use linkwell_domain::vocabulary::{
    Attendance, ClosingReason as Cr, Instrument, ReferralSource as Src, TimePoint,
};
use linkwell_report::{
    Count, Evaluation, FollowUpFact, FollowUpOutcome as Fo, MeasureFact, Period, ReferralFact,
    ReportInput, Scope, SessionFact, WorkerFact, evaluation, tables, to_csv,
};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn referral(
    person: u32,
    source: Src,
    received: &str,
    worker: Option<u32>,
    contact: Option<&str>,
    closed: Option<(&str, Cr)>,
) -> ReferralFact {
    ReferralFact {
        person,
        source,
        received_on: d(received),
        worker,
        first_contact_on: contact.map(d),
        closed_on: closed.map(|c| d(c.0)),
        closing_reason: closed.map(|c| c.1),
    }
}

fn session(person: u32, referral: usize, on: &str, attendance: Attendance) -> SessionFact {
    SessionFact {
        person,
        referral: Some(referral),
        on: d(on),
        attendance,
    }
}

fn ons4(person: u32, tp: TimePoint, on: &str, items: [i64; 4]) -> MeasureFact {
    MeasureFact {
        person,
        instrument: Instrument::Ons4,
        time_point: tp,
        taken_on: d(on),
        score: None,
        items: items.to_vec(),
    }
}

fn follow_up(person: u32, tp: TimePoint, due: &str, outcome: Fo) -> FollowUpFact {
    FollowUpFact {
        person,
        time_point: tp,
        due_on: d(due),
        outcome,
    }
}

/// Seven referrals: r5 arrived before the period (in caseload and closing, not the funnel),
/// r6 has no worker yet. p0's episode closed on 20 March and its T2 was recorded after.
fn cohort(scope: Scope) -> ReportInput {
    use Attendance::*;
    use TimePoint::*;
    let referrals = vec![
        referral(
            0,
            Src::Gp,
            "2026-01-05",
            Some(0),
            Some("2026-01-07"),
            Some(("2026-03-20", Cr::GoalsMet)),
        ),
        referral(1, Src::Gp, "2026-01-10", Some(0), Some("2026-01-20"), None),
        referral(
            2,
            Src::SelfReferral,
            "2026-02-01",
            Some(1),
            Some("2026-02-03"),
            None,
        ),
        referral(
            3,
            Src::Gp,
            "2026-02-15",
            Some(1),
            None,
            Some(("2026-03-27", Cr::CouldNotContact)),
        ),
        referral(
            4,
            Src::PracticeNurse,
            "2026-03-01",
            Some(0),
            Some("2026-03-11"),
            None,
        ),
        referral(
            5,
            Src::Gp,
            "2025-12-20",
            Some(0),
            Some("2025-12-22"),
            Some(("2026-02-10", Cr::MovedAway)),
        ),
        referral(6, Src::Gp, "2026-03-10", None, None, None),
    ];
    let sessions = vec![
        session(0, 0, "2026-01-14", Attended),
        session(0, 0, "2026-01-28", Attended),
        session(0, 0, "2026-02-11", DidNotAttend),
        session(1, 1, "2026-01-27", Attended),
        session(1, 1, "2026-02-03", Cancelled),
        session(2, 2, "2026-02-10", Attended),
        session(2, 2, "2026-02-24", Attended),
        session(2, 2, "2026-03-10", Attended),
        session(4, 4, "2026-03-20", DidNotAttend),
        session(4, 4, "2026-04-20", Booked),
        session(5, 5, "2026-01-05", Attended),
    ];
    let mut measures = vec![
        ons4(0, T0, "2026-01-07", [4, 5, 4, 7]),
        ons4(0, T1, "2026-03-05", [6, 6, 5, 4]),
        ons4(1, T0, "2026-01-20", [3, 4, 3, 8]),
        // A second baseline: the first one counts.
        ons4(1, T0, "2026-01-25", [9, 9, 9, 0]),
        ons4(1, T1, "2026-03-10", [3, 5, 4, 8]),
        ons4(2, T0, "2026-02-03", [5, 5, 5, 5]),
        ons4(2, T1, "2026-03-20", [8, 7, 6, 2]),
        // T1 but no T0.
        ons4(3, T1, "2026-02-20", [7, 7, 7, 3]),
        // T0 only.
        ons4(4, T0, "2026-03-11", [2, 3, 2, 9]),
        // T0 before the period: its T1 counts at T1 but is not paired.
        ons4(5, T0, "2025-12-22", [1, 1, 1, 10]),
        ons4(5, T1, "2026-02-10", [2, 2, 2, 9]),
    ];
    for (tp, on, score) in [(T0, "2026-01-07", 20.0), (T1, "2026-03-05", 23.5)] {
        measures.push(MeasureFact {
            person: 0,
            instrument: Instrument::Swemwbs,
            time_point: tp,
            taken_on: d(on),
            score: Some(score),
            items: vec![],
        });
    }
    let follow_ups = vec![
        follow_up(0, T1, "2026-02-05", Fo::Recorded),
        follow_up(0, T2, "2026-03-25", Fo::Recorded),
        follow_up(1, T1, "2026-02-20", Fo::Declined),
        follow_up(2, T1, "2026-03-05", Fo::Open),
        follow_up(5, T1, "2026-01-10", Fo::NotPossible),
        follow_up(4, T1, "2026-03-31", Fo::Open),
        // Due after the period: not counted.
        follow_up(4, T2, "2026-07-01", Fo::Open),
    ];
    ReportInput {
        scope,
        period: Period::new(d("2026-01-01"), d("2026-03-31")).unwrap(),
        data_date: d("2026-03-28"),
        workers: vec![
            WorkerFact {
                label: "Worker A".into(),
            },
            WorkerFact {
                label: "Worker B".into(),
            },
        ],
        referrals,
        sessions,
        measures,
        follow_ups,
        onward: vec![],
    }
}

fn n(c: &Count) -> u64 {
    c.value()
        .unwrap_or_else(|| panic!("expected a number, got {c:?}"))
}

fn own() -> Evaluation {
    evaluation(&cohort(Scope::MyCaseload), 5)
}

#[test]
fn the_funnel_counts_the_referrals_received_in_the_period() {
    let e = own();
    // Received r0-r4, r6 = 6; reached r0 r1 r2 r4 = 4; seen r0 r1 r2 = 3; twice r0 r2 = 2;
    // closed r0 r3 = 2 (r5 closed in the period but was received before it).
    let got: Vec<(&str, u64, Option<f64>)> = e
        .funnel
        .iter()
        .map(|f| (f.step.as_str(), n(&f.count), f.percent))
        .collect();
    assert_eq!(
        got,
        vec![
            ("received", 6, Some(100.0)),
            ("contacted", 4, Some(66.7)),
            ("first_seen", 3, Some(50.0)),
            ("active", 2, Some(33.3)),
            ("closed", 2, Some(33.3)),
        ]
    );
    assert_eq!(
        e.suppression_threshold, None,
        "own caseload is not suppressed"
    );
}

#[test]
fn referrals_by_source_and_month() {
    let e = own();
    let of = |rows: &[linkwell_report::LabelledCount], code: &str| {
        n(&rows.iter().find(|r| r.code == code).unwrap().count)
    };
    assert_eq!(of(&e.by_source, "gp"), 4);
    assert_eq!(of(&e.by_source, "self"), 1);
    assert_eq!(of(&e.by_source, "practice_nurse"), 1);
    assert_eq!(of(&e.by_source, "family"), 0);
    assert_eq!(n(&e.received_total), 6);
    let months: Vec<(&str, u64)> = e
        .by_month
        .iter()
        .map(|m| (m.code.as_str(), n(&m.count)))
        .collect();
    assert_eq!(months, vec![("2026-01", 2), ("2026-02", 2), ("2026-03", 2)]);
    assert_eq!(e.by_month[0].label, "January 2026");
}

#[test]
fn waits_median_and_90th_percentile() {
    let e = own();
    // To contact: 2, 10, 2, 10 days → median 6, 90th (rank 4 of 4) 10.
    assert_eq!(n(&e.waits[0].n), 4);
    assert_eq!(e.waits[0].median_days, Some(6.0));
    assert_eq!(e.waits[0].p90_days, Some(10.0));
    // To first session: 9, 17, 9 → median 9, 90th (rank 3 of 3) 17.
    assert_eq!(n(&e.waits[1].n), 3);
    assert_eq!(e.waits[1].median_days, Some(9.0));
    assert_eq!(e.waits[1].p90_days, Some(17.0));
}

#[test]
fn caseload_per_worker_against_the_guidance() {
    let e = own();
    // A: p0 p1 p4 and p5 (open until 10 Feb) = 4 people, 4 × 365 / 90 = 16.2 a year,
    // sessions attended in the period 2 + 1 + 0 + 1 = 4 → 1.0 each.
    // B: p2 p3 = 2, 8.1 a year, 3 sessions → 1.5.
    let a = &e.caseload[0];
    assert_eq!((a.worker.as_str(), n(&a.people)), ("Worker A", 4));
    assert_eq!(
        (a.per_year, a.guidance_per_year, a.sessions_per_person),
        (Some(16.0), 250, Some(1.0))
    );
    let b = &e.caseload[1];
    assert_eq!(
        (n(&b.people), b.per_year, b.sessions_per_person),
        (2, Some(8.0), Some(1.5))
    );
}

#[test]
fn closing_reasons_and_did_not_attend() {
    let e = own();
    let of = |code: &str| {
        n(&e.closing_reasons
            .iter()
            .find(|r| r.code == code)
            .unwrap()
            .count)
    };
    assert_eq!(
        (
            of("goals_met"),
            of("could_not_contact"),
            of("moved_away"),
            of("died")
        ),
        (1, 1, 1, 0)
    );
    assert_eq!(n(&e.closed_total), 3);
    // Attended in the period: 2 + 1 + 3 + 1 = 7; not attended 2; 2 / 9 = 22.2%. The booked
    // and cancelled sessions are neither.
    assert_eq!((n(&e.dna.attended), n(&e.dna.did_not_attend)), (7, 2));
    assert_eq!(e.dna.rate_percent, Some(22.2));
}

#[test]
fn follow_up_completion_and_why_the_rest_are_missing() {
    let e = own();
    let t1 = &e.follow_ups[0];
    assert_eq!(t1.time_point, TimePoint::T1);
    let got = [
        &t1.due,
        &t1.recorded,
        &t1.declined,
        &t1.could_not_be_done,
        &t1.contact_withdrawn,
        &t1.overdue,
        &t1.not_yet_due,
    ]
    .map(n);
    assert_eq!(got, [5, 1, 1, 1, 0, 1, 1]);
    assert_eq!(t1.completion_percent, Some(20.0));
    // p0's T2 was recorded after the episode closed: it still counts.
    let t2 = &e.follow_ups[1];
    assert_eq!(
        (n(&t2.due), n(&t2.recorded), t2.completion_percent),
        (1, 1, Some(100.0))
    );
}

#[test]
fn paired_change_uses_only_people_measured_at_both_points() {
    let e = own();
    let find = |item: Option<&str>, inst: Instrument| {
        e.paired
            .iter()
            .find(|p| p.instrument == inst && p.item.as_deref() == item && p.to == TimePoint::T1)
            .unwrap()
    };
    // Life satisfaction: T0 p0 p1 p2 p4 (4); T1 p0 p1 p2 p3 p5 (5); paired p0 p1 p2:
    // 4→6, 3→3 (p1's first baseline), 5→8. Means 4 and 5.667, change 2, 0, 3 → 1.667;
    // sd 1.5275, se 0.8819, t(2) 4.3027 → ± 3.7946.
    let ls = find(Some("life_satisfaction"), Instrument::Ons4);
    assert_eq!((n(&ls.n_from), n(&ls.n_to), n(&ls.n_paired)), (4, 5, 3));
    assert_eq!(ls.mean_from, Some(4.0));
    assert!((ls.mean_to.unwrap() - 17.0 / 3.0).abs() < 1e-9);
    assert!((ls.mean_change.unwrap() - 5.0 / 3.0).abs() < 1e-9);
    let ci = ls.ci95.unwrap();
    assert!((ci[0] - (5.0 / 3.0 - 3.7946)).abs() < 1e-3, "{ci:?}");
    assert!((ci[1] - (5.0 / 3.0 + 3.7946)).abs() < 1e-3, "{ci:?}");
    assert_eq!((n(&ls.improved), n(&ls.same), n(&ls.worse)), (2, 1, 0));
    // Anxiety: 7→4, 8→8, 5→2: a fall is better, so 2 improved, 1 the same.
    let anx = find(Some("anxiety"), Instrument::Ons4);
    assert!(!anx.higher_is_better);
    assert_eq!(anx.mean_change, Some(-2.0));
    assert_eq!((n(&anx.improved), n(&anx.same), n(&anx.worse)), (2, 1, 0));
    // SWEMWBS: one pair, a single score (item null), no interval from one pair.
    let sw = find(None, Instrument::Swemwbs);
    assert_eq!(
        (n(&sw.n_paired), sw.mean_change, sw.ci95),
        (1, Some(3.5), None)
    );
    // Nobody has a T2 of ONS4: the row shows who is still to be measured, with no change.
    let t2 = e
        .paired
        .iter()
        .find(|p| p.instrument == Instrument::Ons4 && p.to == TimePoint::T2)
        .unwrap();
    assert_eq!((n(&t2.n_from), n(&t2.n_to), n(&t2.n_paired)), (4, 0, 0));
    assert_eq!((t2.mean_change, t2.ci95), (None, None));
    // No rows for an instrument nobody was measured with.
    assert!(!e.paired.iter().any(|p| p.instrument == Instrument::Pam));
}

#[test]
fn the_team_scope_hides_small_numbers_and_what_would_reveal_them() {
    let e = evaluation(&cohort(Scope::MyTeam), 5);
    assert_eq!(e.suppression_threshold, Some(5));
    let few = Count::Hidden("fewer than 5".into());
    // The funnel: 6 received is shown; 4, 3, 2, 2 are not, nor are their percentages.
    assert_eq!(e.funnel[0].count, Count::Shown(6));
    for f in &e.funnel[1..] {
        assert_eq!((&f.count, f.percent), (&few, None), "{}", f.step);
    }
    // Sources 4, 1, 1 are all small: three hidden protect each other; the total is shown.
    assert_eq!(e.received_total, Count::Shown(6));
    assert!(
        e.by_source
            .iter()
            .all(|r| r.count == Count::Shown(0) || r.count == few)
    );
    // Means over fewer than 5 are not shown.
    assert!(
        e.waits
            .iter()
            .all(|w| w.median_days.is_none() && w.p90_days.is_none())
    );
    let ls = &e.paired[0];
    assert_eq!((&ls.n_to, &ls.n_paired), (&Count::Shown(5), &few));
    assert_eq!((ls.mean_from, ls.mean_change, ls.ci95), (None, None, None));
    // T1 follow-ups: 5 due shown, the single recorded one hidden with the others.
    assert_eq!(e.follow_ups[0].due, Count::Shown(5));
    assert_eq!(
        (
            &e.follow_ups[0].recorded,
            e.follow_ups[0].completion_percent
        ),
        (&few, None)
    );
    // The rule is stated beside the figures.
    assert!(e.caveats.iter().any(|c| c.contains("fewer than 5")));
}

#[test]
fn one_small_cell_beside_a_total_takes_another_with_it() {
    // 5 GP referrals and 3 self-referrals in January: 3 is hidden, and the 5 too, or
    // 8 − 5 would give the 3 away. 5 on its own is at the edge and shown.
    let mut input = cohort(Scope::MyTeam);
    input.referrals = (0..8)
        .map(|i| {
            let src = if i < 5 { Src::Gp } else { Src::SelfReferral };
            referral(
                i,
                src,
                "2026-01-05",
                Some(0),
                (i < 5).then_some("2026-01-06"),
                None,
            )
        })
        .collect();
    input.sessions.clear();
    let e = evaluation(&input, 5);
    let of = |code: &str| {
        e.by_source
            .iter()
            .find(|r| r.code == code)
            .unwrap()
            .count
            .clone()
    };
    assert_eq!(of("self"), Count::Hidden("fewer than 5".into()));
    assert_eq!(of("gp"), Count::Hidden("suppressed".into()));
    assert_eq!(e.received_total, Count::Shown(8));
    assert_eq!(e.funnel[1].count, Count::Shown(5));
    assert_eq!(e.funnel[1].percent, Some(62.5));
    assert_eq!(
        e.waits[0].median_days,
        Some(1.0),
        "5 waits are enough for a median"
    );
    // A threshold of 3 shows the 3.
    let e = evaluation(&input, 3);
    assert_eq!(
        e.by_source.iter().find(|r| r.code == "self").unwrap().count,
        Count::Shown(3)
    );
}

#[test]
fn tables_and_csv_carry_the_same_cells() {
    let e = evaluation(&cohort(Scope::MyTeam), 5);
    let t = tables(&e);
    let funnel = t.iter().find(|t| t.name == "funnel").unwrap();
    assert_eq!(funnel.rows[1], vec!["Contacted", "fewer than 5", ""]);
    let csv = to_csv(funnel);
    assert!(
        csv.starts_with("\u{feff}Step,People,Of those received\r\n"),
        "{csv}"
    );
    assert!(csv.contains("Referrals received,6,100.0%\r\n"), "{csv}");
    // The JSON answer has the shape scripts rely on.
    let v = serde_json::to_value(evaluation(&cohort(Scope::MyCaseload), 5)).unwrap();
    let p = &v["paired"][0];
    for key in [
        "instrument",
        "item",
        "from",
        "to",
        "n_from",
        "n_to",
        "n_paired",
        "mean_from",
        "mean_to",
        "mean_change",
        "ci95",
    ] {
        assert!(p.get(key).is_some(), "paired lacks {key}: {p}");
    }
    assert_eq!(p["instrument"], "ons4");
    assert_eq!(p["from"], "t0");
    assert_eq!(p["n_paired"], 3);
    assert_eq!(p["ci95"].as_array().unwrap().len(), 2);
    assert_eq!(v["funnel"][0]["count"], 6);
}

#[test]
fn a_period_that_ends_before_it_starts_is_refused_naming_both_dates() {
    let e = Period::new(d("2026-03-31"), d("2026-01-01")).unwrap_err();
    let m = e.to_string();
    assert!(
        m.contains("2026-01-01") && m.contains("2026-03-31") && m.contains("end date"),
        "{m}"
    );
}
