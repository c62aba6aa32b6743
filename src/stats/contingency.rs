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

/// Cochran–Mantel–Haenszel test of no association in K 2×2 tables `[a, b, c, d]` (rows: group,
/// reference; columns: event, no event), without continuity correction, and the Mantel–Haenszel
/// pooled odds ratio with the Robins–Breslow–Greenland interval. Strata with fewer than two
/// cases carry no information and are left out.
///
/// `χ² = (Σ(a − E[a]))² / Σ Var(a)`, `E[a] = (a+b)(a+c)/n`,
/// `Var(a) = (a+b)(c+d)(a+c)(b+d) / (n²(n−1))`; `OR_MH = Σ(ad/n) / Σ(bc/n)`.
///
/// Reference: `statsmodels.stats.contingency_tables.StratifiedTable(tables).test_null_odds(
/// correction=False)`, `.oddsratio_pooled` and `.oddsratio_pooled_confint()`.
/// Undefined when no stratum has variance; the odds ratio is undefined when `Σ bc/n` or
/// `Σ ad/n` is zero.
pub fn cochran_mantel_haenszel(tables: &[[u64; 4]], level: f64) -> Result<Cmh, Undefined> {
    let (mut dev, mut var) = (0.0, 0.0);
    let (mut r_sum, mut s_sum) = (0.0, 0.0);
    let (mut pr, mut ps_qr, mut qs) = (0.0, 0.0, 0.0);
    let mut used = 0;
    for t in tables {
        let [a, b, c, d] = t.map(|v| v as f64);
        let n = a + b + c + d;
        if n < 2.0 {
            continue;
        }
        used += 1;
        dev += a - (a + b) * (a + c) / n;
        var += (a + b) * (c + d) * (a + c) * (b + d) / (n * n * (n - 1.0));
        let (r, s) = (a * d / n, b * c / n);
        let (p, q) = ((a + d) / n, (b + c) / n);
        r_sum += r;
        s_sum += s;
        pr += p * r;
        ps_qr += p * s + q * r;
        qs += q * s;
    }
    if var <= 0.0 {
        return Err(Undefined("no stratum has both groups and both outcomes"));
    }
    let statistic = dev * dev / var;
    let odds_ratio = if r_sum > 0.0 && s_sum > 0.0 {
        let or = r_sum / s_sum;
        let v =
            pr / (2.0 * r_sum * r_sum) + ps_qr / (2.0 * r_sum * s_sum) + qs / (2.0 * s_sum * s_sum);
        let z = dist::z_for_level(level);
        let half = z * v.sqrt();
        Ok((
            or,
            super::Ci {
                low: (or.ln() - half).exp(),
                high: (or.ln() + half).exp(),
            },
        ))
    } else {
        Err(Undefined("a pooled cross-product is zero"))
    };
    Ok(Cmh {
        statistic,
        p_value: dist::chi2_sf(statistic, 1.0),
        strata: used,
        odds_ratio,
    })
}

/// Result of a Cochran–Mantel–Haenszel analysis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cmh {
    pub statistic: f64,
    pub p_value: f64,
    /// Strata that entered (two or more cases).
    pub strata: usize,
    pub odds_ratio: Result<(f64, super::Ci), Undefined>,
}
