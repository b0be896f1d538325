//! `GET /metrics` in the Prometheus text format: pushes, pulls, mutations by result, refusals
//! by code, the open quarantine and request durations by route. Labels are fixed words (a
//! route's name, a result, a refusal's code), never an id, a name or anything a device sent.

use prometheus::{
    Encoder as _, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};
use std::sync::LazyLock;

pub struct Metrics {
    registry: Registry,
    pub pushes: IntCounter,
    pub pulls: IntCounter,
    pub mutations: IntCounterVec,
    pub refusals: IntCounterVec,
    pub quarantine_open: IntGauge,
    pub durations: HistogramVec,
}

fn build() -> prometheus::Result<Metrics> {
    let registry = Registry::new_custom(Some("linkwell".into()), None)?;
    let pushes = IntCounter::new("pushes_total", "Push requests stored")?;
    let pulls = IntCounter::new("pulls_total", "Pull requests answered")?;
    let mutations = IntCounterVec::new(
        Opts::new("mutations_total", "Pushed mutations by result"),
        &["result"],
    )?;
    let refusals = IntCounterVec::new(
        Opts::new(
            "refusals_total",
            "Requests refused, by the code the client was given",
        ),
        &["code"],
    )?;
    let quarantine_open = IntGauge::new(
        "quarantine_open",
        "Quarantined changes not yet reviewed (read at each scrape)",
    )?;
    let durations = HistogramVec::new(
        HistogramOpts::new(
            "request_duration_seconds",
            "Time to answer a request, by route",
        )
        .buckets(vec![
            0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
        ]),
        &["route"],
    )?;
    registry.register(Box::new(pushes.clone()))?;
    registry.register(Box::new(pulls.clone()))?;
    registry.register(Box::new(mutations.clone()))?;
    registry.register(Box::new(refusals.clone()))?;
    registry.register(Box::new(quarantine_open.clone()))?;
    registry.register(Box::new(durations.clone()))?;
    Ok(Metrics {
        registry,
        pushes,
        pulls,
        mutations,
        refusals,
        quarantine_open,
        durations,
    })
}

/// The process's metrics (one server per process).
pub static METRICS: LazyLock<Metrics> =
    LazyLock::new(|| build().expect("the metrics' names and labels are valid"));

/// A request path as its route's name: a fixed set, so a label never holds what was sent.
pub fn route(path: &str) -> &'static str {
    match path {
        "/v1/push" => "push",
        "/v1/pull" => "pull",
        "/v1/enrol" => "enrol",
        "/v1/whoami" => "whoami",
        "/health" => "health",
        "/metrics" => "metrics",
        p if p.starts_with("/v1/report") => "report",
        _ => "other",
    }
}

impl Metrics {
    /// Every metric in the text format.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        // Encoding into a Vec cannot fail for well-formed families.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}
