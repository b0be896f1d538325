//! Small-number suppression. A count from 1 to threshold−1 is shown as "fewer than N"; when a
//! group's total is shown, a second cell is hidden too if only one was, so the small one
//! cannot be worked out by subtraction; a mean or interval over fewer than N people is not
//! shown. Zero is shown (it identifies no one). The worker's own caseload is not suppressed.

use serde::Serialize;

/// A count as it is shown: the number, or the words that stand in for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(untagged)]
#[ts(export)]
pub enum Count {
    Shown(#[ts(type = "number")] u64),
    /// "fewer than 5" (a small number), or "suppressed" (hidden so a small one elsewhere
    /// cannot be recovered from a total).
    Hidden(String),
}

impl Count {
    pub fn value(&self) -> Option<u64> {
        match self {
            Count::Shown(n) => Some(*n),
            Count::Hidden(_) => None,
        }
    }

    pub fn text(&self) -> String {
        match self {
            Count::Shown(n) => n.to_string(),
            Count::Hidden(s) => s.clone(),
        }
    }
}

/// The words shown for a cell hidden to protect a small one elsewhere.
pub const SECONDARY: &str = "suppressed";

/// The words shown for a small count, "fewer than 5".
pub fn small_words(threshold: u64) -> String {
    format!("fewer than {threshold}")
}

/// Whether a table cell holds one of the words above rather than a figure: the screen marks
/// these cells, so it reads them from here instead of knowing the words itself.
pub fn is_withheld(cell: &str) -> bool {
    cell == SECONDARY || cell.starts_with("fewer than ")
}

/// The suppression rule of one report: `None` shows every number (own caseload only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suppression {
    pub threshold: Option<u64>,
}

/// The default: counts below 5 are not shown.
pub const DEFAULT_THRESHOLD: u64 = 5;

impl Suppression {
    pub const NONE: Suppression = Suppression { threshold: None };

    pub fn below(threshold: u64) -> Suppression {
        Suppression {
            threshold: Some(threshold),
        }
    }

    fn small(&self, n: u64) -> bool {
        self.threshold.is_some_and(|t| n > 0 && n < t)
    }

    /// Whether a mean, median or interval over `n` people may be shown.
    pub fn enough(&self, n: u64) -> bool {
        self.threshold.is_none_or(|t| n >= t)
    }

    /// A count on its own.
    pub fn count(&self, n: u64) -> Count {
        if self.small(n) {
            Count::Hidden(small_words(self.threshold.unwrap_or(0)))
        } else {
            Count::Shown(n)
        }
    }

    /// A value over `n` people, or None when too few to show.
    pub fn over<T>(&self, n: u64, v: Option<T>) -> Option<T> {
        v.filter(|_| self.enough(n))
    }

    /// The cells of a group whose total (their sum) is also shown, with secondary
    /// suppression: if exactly one cell is small, the smallest other non-zero cell is hidden
    /// too. (If the total is itself small every non-zero cell is, so nothing is recoverable.)
    pub fn group(&self, cells: &[u64]) -> Vec<Count> {
        let mut out: Vec<Count> = cells.iter().map(|n| self.count(*n)).collect();
        let hidden = out.iter().filter(|c| c.value().is_none()).count();
        let total: u64 = cells.iter().sum();
        if hidden == 1 && !self.small(total) {
            let other = cells
                .iter()
                .enumerate()
                .filter(|(i, n)| **n > 0 && out[*i].value().is_some())
                .min_by_key(|(i, n)| (**n, *i))
                .map(|(i, _)| i);
            if let Some(i) = other {
                out[i] = Count::Hidden(SECONDARY.to_string());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_edge_of_the_threshold() {
        let s = Suppression::below(5);
        assert_eq!(s.count(0), Count::Shown(0));
        assert_eq!(s.count(1), Count::Hidden("fewer than 5".into()));
        assert_eq!(s.count(4), Count::Hidden("fewer than 5".into()));
        assert_eq!(s.count(5), Count::Shown(5));
        assert!(!s.enough(4) && s.enough(5));
        assert_eq!(Suppression::NONE.count(1), Count::Shown(1));
    }

    #[test]
    fn one_small_cell_takes_the_next_smallest_with_it() {
        let s = Suppression::below(5);
        let g = s.group(&[10, 3, 7, 0]);
        assert_eq!(
            g,
            vec![
                Count::Shown(10),
                Count::Hidden("fewer than 5".into()),
                Count::Hidden(SECONDARY.into()),
                Count::Shown(0),
            ]
        );
        // Two small cells already protect each other.
        let g = s.group(&[10, 3, 2]);
        assert_eq!(g[0], Count::Shown(10));
        assert!(g[1].value().is_none() && g[2].value().is_none());
        // Nothing small: nothing hidden.
        assert!(s.group(&[5, 6]).iter().all(|c| c.value().is_some()));
    }
}
