//! Enrol, engage and adhere by the group's category, against a hand-built cohort whose answers
//! were worked out by hand. Period: the first half of 2026; data as of 30 June 2026.

use chrono::NaiveDate;
use linkwell_domain::vocabulary::{OnwardStatus as St, ServiceCategory as Cat};
use linkwell_report::{Count, OnwardFact, Period, ReportInput, Scope, evaluation, tables};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn onward(
    person: u32,
    category: Cat,
    suggested: &str,
    status: St,
    agreed: Option<&str>,
    attended: &[&str],
) -> OnwardFact {
    OnwardFact {
        person,
        category: Some(category),
        suggested_on: d(suggested),
        status,
        agreed_on: agreed.map(d),
        attended: attended.iter().map(|a| d(a)).collect(),
    }
}

/// Walking (physical activity): 7 referred in the period, 6 enrolled, 5 engaged, 3 adhered,
/// 1 not yet 8 weeks. Arts: 2 referred, 1 enrolled and engaged, 0 adhered. One referral made
/// before the period is left out.
fn cohort(scope: Scope) -> ReportInput {
    use Cat::{Arts, PhysicalActivity as Walk};
    let weekly = |from: &str, weeks: i64| -> Vec<String> {
        (0..weeks)
            .map(|w| (d(from) + chrono::Duration::weeks(w)).to_string())
            .collect()
    };
    let w10 = weekly("2026-01-12", 10); // last 16 Mar: 63 days after the first, adhered
    let w9 = weekly("2026-02-02", 9); // last 30 Mar: 56 days, adhered (the edge)
    let w8 = weekly("2026-02-02", 8); // last 23 Mar: 49 days, then stopped: not adhered
    let late = weekly("2026-06-01", 3); // first 1 Jun: 8 weeks not yet passed on 30 Jun
    let onward = vec![
        onward(
            0,
            Walk,
            "2026-01-05",
            St::Attending,
            Some("2026-01-05"),
            &refs(&w10),
        ),
        onward(
            1,
            Walk,
            "2026-01-20",
            St::Attending,
            Some("2026-01-20"),
            &refs(&w9),
        ),
        onward(
            2,
            Walk,
            "2026-01-25",
            St::Stopped,
            Some("2026-01-25"),
            &refs(&w8),
        ),
        // Attended without the agreement being recorded: going is enrolling.
        onward(
            3,
            Walk,
            "2026-02-10",
            St::Attending,
            None,
            &["2026-02-12", "2026-05-01"],
        ),
        onward(
            4,
            Walk,
            "2026-05-20",
            St::Attending,
            Some("2026-05-20"),
            &refs(&late),
        ),
        // Agreed, never went, then stopped: enrolled, not engaged.
        onward(5, Walk, "2026-03-01", St::Stopped, Some("2026-03-02"), &[]),
        onward(6, Walk, "2026-03-03", St::Suggested, None, &[]),
        onward(
            7,
            Arts,
            "2026-02-01",
            St::Accompanied,
            Some("2026-02-01"),
            &[],
        ),
        onward(8, Arts, "2026-02-02", St::Declined, None, &[]),
        // Before the period: not counted.
        onward(
            9,
            Walk,
            "2025-12-20",
            St::Attending,
            Some("2025-12-20"),
            &["2025-12-22"],
        ),
    ];
    ReportInput {
        scope,
        period: Period::new(d("2026-01-01"), d("2026-06-30")).unwrap(),
        data_date: d("2026-06-30"),
        workers: vec![],
        referrals: vec![],
        sessions: vec![],
        measures: vec![],
        follow_ups: vec![],
        onward,
    }
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn n(c: &Count) -> u64 {
    c.value()
        .unwrap_or_else(|| panic!("expected a number, got {c:?}"))
}

#[test]
fn enrol_engage_and_adhere_by_category_in_own_caseload() {
    let e = evaluation(&cohort(Scope::MyCaseload), 5);
    let row = |code: &str| e.take_up.iter().find(|r| r.code == code).unwrap();
    let walk = row("physical_activity");
    let got = [
        &walk.referred,
        &walk.enrolled,
        &walk.engaged,
        &walk.adhered,
        &walk.too_soon,
    ]
    .map(n);
    assert_eq!(got, [7, 6, 5, 3, 1]);
    let arts = row("arts");
    let got = [&arts.referred, &arts.enrolled, &arts.engaged, &arts.adhered].map(n);
    assert_eq!(got, [2, 1, 1, 0]);
    let t = &e.take_up_total;
    assert_eq!(
        [&t.referred, &t.enrolled, &t.engaged, &t.adhered].map(n),
        [9, 7, 6, 3]
    );
    // A category with no referrals is shown as zero; no "Not recorded" row when none is missing.
    assert_eq!(n(&row("befriending").referred), 0);
    assert!(e.take_up.iter().all(|r| r.code != "not_recorded"));
}

#[test]
fn the_team_scope_hides_the_small_counts_and_what_would_reveal_them() {
    let e = evaluation(&cohort(Scope::MyTeam), 5);
    let row = |code: &str| e.take_up.iter().find(|r| r.code == code).unwrap();
    // Referred: walking 7 shown, arts 2 hidden; the next smallest non-zero (walking) goes too.
    assert_eq!(row("arts").referred, Count::Hidden("fewer than 5".into()));
    assert_eq!(
        row("physical_activity").referred,
        Count::Hidden("suppressed".into())
    );
    assert_eq!(e.take_up_total.referred, Count::Shown(9));
    // Adhered: 3 in all, so the total is small too.
    assert_eq!(
        e.take_up_total.adhered,
        Count::Hidden("fewer than 5".into())
    );
    assert_eq!(row("arts").adhered, Count::Shown(0));
}

#[test]
fn the_table_carries_the_figure_with_its_total_and_method() {
    let e = evaluation(&cohort(Scope::MyCaseload), 5);
    let t = tables(&e)
        .into_iter()
        .find(|t| t.name == "onward_take_up")
        .expect("the take-up table");
    assert_eq!(t.columns[2], "Enrolled (agreed)");
    let walk = t.rows.iter().find(|r| r[0] == "Physical activity").unwrap();
    assert_eq!(walk[1..], ["7", "6", "5", "3", "1"]);
    assert!(t.total_row);
    assert_eq!(t.rows.last().unwrap()[..5], ["Total", "9", "7", "6", "3"]);
    assert!(t.note.as_deref().unwrap().contains("8 weeks (56 days)"));
}
