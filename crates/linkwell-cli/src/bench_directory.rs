//! `linkwell bench directory`: an 800-service ORUK v1 feed (synthetic) imported from its text
//! into a fresh (plaintext, synthetic) database, imported again unchanged, and the directory
//! exported; medians of several runs, each import on its own new database.

use anyhow::Result;
use linkwell_core::Store;
use linkwell_core::records::people::SetupInput;
use serde_json::json;
use std::time::{Duration, Instant};

/// A v1 page of `n` services shaped like a council's: HTML descriptions, a location with a
/// postcode, weekly and monthly schedules, taxonomy terms, contacts and costs.
pub fn v1_feed(n: usize) -> String {
    let days = ["MO", "TU", "WE", "TH", "FR", "2SA", "-1SU"];
    let terms = [
        "Walking",
        "Mental health",
        "Arts and crafts",
        "Knitting",
        "Debt advice",
    ];
    let content: Vec<_> = (0..n)
        .map(|i| {
            json!({
                "id": format!("svc-{i}"),
                "name": format!("Community group {i}"),
                "description": format!("<p>A <b>friendly</b> group &amp; a cuppa, number {i}.</p><ul><li>All welcome</li></ul>"),
                "status": "active",
                "url": "https://example.org/group",
                "email": "group@example.org",
                "assured_date": "2025-05-01",
                "organization": {"name": format!("Trust {}", i % 40)},
                "contacts": [{"name": "Sam Lee", "phones": [{"number": "0115 496 0000"}]}],
                "cost_options": [{"option": "Adults", "amount": (i % 3) as f64, "amount_description": "per session"}],
                "eligibilitys": [{"eligibility": "Adults", "minimum_age": 18}],
                "languages": [{"language": "English"}],
                "regular_schedules": [{"byday": days[i % days.len()], "opens_at": "10:00:00", "closes_at": "12:00:00",
                    "freq": if i % 7 >= 5 { "MONTHLY" } else { "WEEKLY" }}],
                "service_at_locations": [{"location": {"name": "Village hall", "latitude": 52.9, "longitude": -1.1,
                    "physical_addresses": [{"address_1": "1 High Street", "city": "Keyworth", "postal_code": "NG12 5FW"}],
                    "accessibility_for_disabilities": [{"accessibility": "Wheelchair access"}]}}],
                "service_taxonomys": [{"taxonomy": {"name": terms[i % terms.len()]}}, {"taxonomy": {"name": terms[(i + 2) % terms.len()]}}],
            })
        })
        .collect();
    json!({"totalElements": n, "totalPages": 1, "number": 0, "size": n, "content": content})
        .to_string()
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

pub fn run(services: usize, runs: usize) -> Result<()> {
    let feed = v1_feed(services);
    let dir = tempfile::tempdir()?;
    let (mut first, mut again, mut export) = (Vec::new(), Vec::new(), Vec::new());
    let mut bytes = 0;
    for n in 0..runs.max(1) {
        let mut store = Store::open(&dir.path().join(format!("bench-{n}.db")), None)?;
        store.init(&SetupInput {
            team_name: "Bench".into(),
            worker_name: "Bench Worker".into(),
            role: "link_worker".into(),
            ..Default::default()
        })?;
        let t = Instant::now();
        let r = store.import_oruk(&feed)?;
        first.push(t.elapsed());
        anyhow::ensure!(r.added == services, "expected {services} added: {r:?}");
        let t = Instant::now();
        let r = store.import_oruk(&feed)?;
        again.push(t.elapsed());
        anyhow::ensure!(r.unchanged == services, "expected all unchanged: {r:?}");
        let t = Instant::now();
        let page = store.export_oruk()?;
        bytes = serde_json::to_vec(&page)?.len();
        export.push(t.elapsed());
    }
    crate::outln!(
        "directory: {services}-service v1 feed ({} KB), median of {runs} runs",
        feed.len() / 1024
    );
    crate::outln!("  import into an empty directory  {}", ms(median(first)));
    crate::outln!("  re-import unchanged             {}", ms(median(again)));
    crate::outln!(
        "  export as ORUK v3 ({} KB)       {}",
        bytes / 1024,
        ms(median(export))
    );
    Ok(())
}
