//! Outcome change between paired time points (000 §3.1): for each instrument and item, T0 →
//! T1 and T0 → T2 over the people measured at both. A measure counts when it was taken in the
//! period; a person measured twice at one time point counts by the first.

use crate::stats::{mean, paired_ci95};
use crate::suppress::{Count, Suppression};
use crate::{MeasureFact, PersonKey, ReportInput};
use linkwell_domain::vocabulary::{Instrument, TimePoint};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct PairedComparison {
    pub instrument: Instrument,
    pub instrument_label: String,
    /// The item's code (e.g. "anxiety"); null for a single score.
    pub item: Option<String>,
    pub item_label: Option<String>,
    pub from: TimePoint,
    pub to: TimePoint,
    /// People measured at `from` in the period.
    pub n_from: Count,
    /// People measured at `to` in the period (paired or not).
    pub n_to: Count,
    pub n_paired: Count,
    /// The paired people's mean at each point, and the mean of their changes.
    pub mean_from: Option<f64>,
    pub mean_to: Option<f64>,
    pub mean_change: Option<f64>,
    /// 95% confidence interval of the mean change (paired t).
    pub ci95: Option<[f64; 2]>,
    /// Whether a higher value is better (false for ONS4 anxiety).
    pub higher_is_better: bool,
    pub improved: Count,
    pub same: Count,
    pub worse: Count,
}

/// How each instrument is compared: a single score, or its items (code, label, index).
/// Service use is the cost case's, not an outcome.
pub fn item_names(instrument: Instrument) -> Option<Vec<(&'static str, &'static str)>> {
    match instrument {
        Instrument::Ons4 => Some(linkwell_domain::vocabulary::ONS4_ITEMS.to_vec()),
        Instrument::WellbeingStar => Some(linkwell_domain::vocabulary::STAR_AREAS.to_vec()),
        // Loneliness is coded 1 (often or always) to 5 (never): higher is better.
        Instrument::Loneliness => Some(vec![("lonely", "Loneliness (5 = never)")]),
        Instrument::GroupMemberships => Some(vec![("groups", "Groups belonged to")]),
        Instrument::Pam | Instrument::Eq5d | Instrument::Swemwbs => Some(vec![]),
        Instrument::ServiceUse => None,
    }
}

/// The value compared: the item's answer, or the score when the instrument has no items.
fn value(m: &MeasureFact, item: Option<usize>) -> Option<f64> {
    match item {
        Some(i) => m.items.get(i).map(|v| *v as f64),
        None => m.score,
    }
}

type Firsts<'a> = BTreeMap<(Instrument, TimePoint, PersonKey), &'a MeasureFact>;

fn firsts(input: &ReportInput) -> Firsts<'_> {
    let mut m: Firsts = BTreeMap::new();
    for x in input
        .measures
        .iter()
        .filter(|x| input.period.contains(x.taken_on))
    {
        let e = m.entry((x.instrument, x.time_point, x.person)).or_insert(x);
        if x.taken_on < e.taken_on {
            *e = x;
        }
    }
    m
}

/// Every comparison with someone measured at either end, in instrument order.
pub fn paired(input: &ReportInput, s: &Suppression) -> Vec<PairedComparison> {
    let firsts = firsts(input);
    let mut out = Vec::new();
    for inst in Instrument::ALL {
        let Some(items) = item_names(*inst) else {
            continue;
        };
        let items: Vec<Option<(usize, &str, &str)>> = if items.is_empty() {
            vec![None]
        } else {
            items
                .iter()
                .enumerate()
                .map(|(i, (c, l))| Some((i, *c, *l)))
                .collect()
        };
        for to in [TimePoint::T1, TimePoint::T2] {
            for item in &items {
                if let Some(c) = compare(&firsts, *inst, *item, to, s) {
                    out.push(c);
                }
            }
        }
    }
    out
}

fn values(
    f: &Firsts<'_>,
    inst: Instrument,
    tp: TimePoint,
    item: Option<usize>,
) -> BTreeMap<PersonKey, f64> {
    f.range((inst, tp, PersonKey::MIN)..=(inst, tp, PersonKey::MAX))
        .filter_map(|((_, _, p), m)| value(m, item).map(|v| (*p, v)))
        .collect()
}

fn compare(
    f: &Firsts<'_>,
    inst: Instrument,
    item: Option<(usize, &str, &str)>,
    to: TimePoint,
    s: &Suppression,
) -> Option<PairedComparison> {
    let idx = item.map(|i| i.0);
    let a = values(f, inst, TimePoint::T0, idx);
    let b = values(f, inst, to, idx);
    if a.is_empty() && b.is_empty() {
        return None;
    }
    let pairs: Vec<(f64, f64)> = a
        .iter()
        .filter_map(|(p, x)| b.get(p).map(|y| (*x, *y)))
        .collect();
    let higher_is_better = !(inst == Instrument::Ons4 && item.is_some_and(|i| i.1 == "anxiety"));
    let d: Vec<f64> = pairs.iter().map(|(x, y)| y - x).collect();
    let better = |c: f64| if higher_is_better { c > 0.0 } else { c < 0.0 };
    let improved = d.iter().filter(|c| better(**c)).count() as u64;
    let same = d.iter().filter(|c| **c == 0.0).count() as u64;
    let worse = d.len() as u64 - improved - same;
    let n = d.len() as u64;
    let shares = if n == 0 || s.enough(n) {
        s.group(&[improved, same, worse])
    } else {
        vec![hidden_small(s); 3]
    };
    let col = |k: usize| {
        pairs
            .iter()
            .map(|p| if k == 0 { p.0 } else { p.1 })
            .collect::<Vec<_>>()
    };
    Some(PairedComparison {
        instrument: inst,
        instrument_label: inst.label().to_string(),
        item: item.map(|i| i.1.to_string()),
        item_label: item.map(|i| i.2.to_string()),
        from: TimePoint::T0,
        to,
        n_from: s.count(a.len() as u64),
        n_to: s.count(b.len() as u64),
        n_paired: s.count(n),
        mean_from: s.over(n, mean(&col(0))),
        mean_to: s.over(n, mean(&col(1))),
        mean_change: s.over(n, mean(&d)),
        ci95: s.over(n, paired_ci95(&d)),
        higher_is_better,
        improved: shares[0].clone(),
        same: shares[1].clone(),
        worse: shares[2].clone(),
    })
}

/// Improved/same/worse when there are too few pairs to show them at all.
fn hidden_small(s: &Suppression) -> Count {
    Count::Hidden(crate::suppress::small_words(s.threshold.unwrap_or(0)))
}
