//! Tests on k×2 tables: one row per group, columns events and non-events.

use super::{dist, Undefined};

/// Pearson's chi-square test of homogeneity on a k×2 table given as `(events, total)` per row,
/// without continuity correction. Rows with a zero total are left out (they carry no
/// information). Returns the statistic, degrees of freedom, p-value and the smallest expected
/// cell count (under 5 the chi-square approximation is doubtful; the caller reports it).
///
/// Reference: `scipy.stats.chi2_contingency(table, correction=False)`.
/// Undefined with fewer than two non-empty rows or when the events column or the non-events
/// column is all zero.
pub fn chi_square_kx2(rows: &[(u64, u64)]) -> Result<ChiSquare, Undefined> {
    let rows: Vec<(f64, f64)> = rows
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|&(x, n)| (x as f64, n as f64))
        .collect();
    if rows.len() < 2 {
        return Err(Undefined("fewer than two groups with data"));
    }
    let total: f64 = rows.iter().map(|r| r.1).sum();
    let events: f64 = rows.iter().map(|r| r.0).sum();
    let non_events = total - events;
    if events == 0.0 || non_events == 0.0 {
        return Err(Undefined(
            "no variation: every count is an event, or none is",
        ));
    }
    let mut stat = 0.0;
    let mut min_expected = f64::INFINITY;
    for &(x, n) in &rows {
        let e1 = n * events / total;
        let e0 = n * non_events / total;
        min_expected = min_expected.min(e1).min(e0);
        stat += (x - e1).powi(2) / e1 + ((n - x) - e0).powi(2) / e0;
    }
    let df = (rows.len() - 1) as f64;
    Ok(ChiSquare {
        statistic: stat,
        df,
        p_value: dist::chi2_sf(stat, df),
        min_expected,
    })
}

/// Result of a chi-square test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChiSquare {
    pub statistic: f64,
    pub df: f64,
    pub p_value: f64,
    pub min_expected: f64,
}

/// Cochran–Armitage test for a linear trend in proportions across ordered groups, with scores
/// `0, 1, …, k−1` in the given order (rows with a zero total keep their score but add nothing):
/// `z = Σ sᵢ(xᵢ − nᵢ p̄) / √(p̄(1 − p̄)(Σ nᵢ sᵢ² − (Σ nᵢ sᵢ)²/N))`, two-sided normal p-value.
/// `z²` is R's `prop.trend.test` statistic.
///
/// Reference: Armitage (1955); the fixtures compute the formula with numpy and scipy.
/// Undefined with fewer than two non-empty groups or no variation in the outcome.
pub fn cochran_armitage(rows: &[(u64, u64)]) -> Result<Trend, Undefined> {
    if rows.iter().filter(|r| r.1 > 0).count() < 2 {
        return Err(Undefined("fewer than two groups with data"));
    }
    let n: f64 = rows.iter().map(|r| r.1 as f64).sum();
    let x: f64 = rows.iter().map(|r| r.0 as f64).sum();
    let pbar = x / n;
    if pbar <= 0.0 || pbar >= 1.0 {
        return Err(Undefined(
            "no variation: every count is an event, or none is",
        ));
    }
    let (mut t, mut sn, mut ssn) = (0.0, 0.0, 0.0);
    for (i, &(xi, ni)) in rows.iter().enumerate() {
        let s = i as f64;
        let (xi, ni) = (xi as f64, ni as f64);
        t += s * (xi - ni * pbar);
        sn += s * ni;
        ssn += s * s * ni;
    }
    let var = pbar * (1.0 - pbar) * (ssn - sn * sn / n);
    if var <= 0.0 {
        return Err(Undefined("scores do not vary across the groups with data"));
    }
    let z = t / var.sqrt();
    Ok(Trend {
        statistic: z,
        p_value: dist::normal_two_sided_p(z),
    })
}

/// Result of a trend test: the z statistic (positive when the rate rises along the order).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trend {
    pub statistic: f64,
    pub p_value: f64,
}
