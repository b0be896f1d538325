//! The few statistics the figures need: median, 90th percentile, mean, and the paired t
//! interval. No dependency: the t quantile is a small table (see docs/decisions.md).

/// The median of `v` (the mean of the two middle values when there is an even number).
pub fn median(v: &[f64]) -> Option<f64> {
    let s = sorted(v)?;
    let n = s.len();
    Some(if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    })
}

/// The 90th percentile by nearest rank: the smallest value with at least 90% of values at or
/// below it (a number of days someone actually waited, not an interpolation).
pub fn p90(v: &[f64]) -> Option<f64> {
    let s = sorted(v)?;
    let rank = (0.9 * s.len() as f64).ceil() as usize;
    Some(s[rank.clamp(1, s.len()) - 1])
}

fn sorted(v: &[f64]) -> Option<Vec<f64>> {
    if v.is_empty() {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    Some(s)
}

pub fn mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// The 95% confidence interval of the mean of paired differences `d` (paired t): mean ±
/// t(0.975, n−1) · sd / √n. None with fewer than two pairs (no spread to estimate).
pub fn paired_ci95(d: &[f64]) -> Option<[f64; 2]> {
    let n = d.len();
    if n < 2 {
        return None;
    }
    let m = mean(d)?;
    let var = d.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1) as f64;
    let half = t975(n as u32 - 1) * (var / n as f64).sqrt();
    Some([m - half, m + half])
}

/// t(0.975, df) to four decimals, df 1..=30 (standard tables, e.g. NIST/SEMATECH e-Handbook
/// 1.4.2.10).
const T975: [f64; 30] = [
    12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281, 2.2010,
    2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860, 2.0796, 2.0739, 2.0687,
    2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423,
];

/// The two-sided 95% t quantile: the table up to 30 degrees of freedom, then the
/// Cornish-Fisher expansion about the normal quantile (Abramowitz & Stegun 26.7.5), which is
/// within 1e-4 of the exact value from 30 up.
pub fn t975(df: u32) -> f64 {
    if df == 0 {
        return f64::NAN;
    }
    if let Some(t) = T975.get(df as usize - 1) {
        return *t;
    }
    let z: f64 = 1.959_963_984_540_054;
    let v = f64::from(df);
    let g1 = (z.powi(3) + z) / 4.0;
    let g2 = (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / 96.0;
    let g3 = (3.0 * z.powi(7) + 19.0 * z.powi(5) + 17.0 * z.powi(3) - 15.0 * z) / 384.0;
    let g4 = (79.0 * z.powi(9) + 776.0 * z.powi(7) + 1482.0 * z.powi(5)
        - 1920.0 * z.powi(3)
        - 945.0 * z)
        / 92160.0;
    z + g1 / v + g2 / v.powi(2) + g3 / v.powi(3) + g4 / v.powi(4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_p90_by_hand() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        let ten: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(p90(&ten), Some(9.0));
        let eleven: Vec<f64> = (1..=11).map(f64::from).collect();
        assert_eq!(p90(&eleven), Some(10.0));
        assert_eq!(p90(&[7.0]), Some(7.0));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn t_quantile_matches_published_values_beyond_the_table() {
        // Published t(0.975, df): 31 2.0395, 40 2.0211, 60 2.0003, 120 1.9799.
        for (df, t) in [(31, 2.0395), (40, 2.0211), (60, 2.0003), (120, 1.9799)] {
            assert!((t975(df) - t).abs() < 2e-4, "df {df}: {}", t975(df));
        }
        // The expansion joins the table without a jump.
        let v = 30.0f64;
        let z: f64 = 1.959_963_984_540_054;
        let approx = z + (z.powi(3) + z) / 4.0 / v;
        assert!((approx - t975(30)).abs() < 0.01);
    }

    #[test]
    fn paired_interval_by_hand() {
        // d = 1, 2, 3: mean 2, sd 1, se 1/√3, t(2) = 4.3027 → 2 ± 2.4841.
        let ci = paired_ci95(&[1.0, 2.0, 3.0]).unwrap();
        assert!((ci[0] - (2.0 - 2.4841)).abs() < 1e-3, "{ci:?}");
        assert!((ci[1] - (2.0 + 2.4841)).abs() < 1e-3, "{ci:?}");
        assert_eq!(paired_ci95(&[5.0]), None);
    }
}
