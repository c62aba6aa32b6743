//! Design-based variances of rates and of their gaps when cases come in clusters (several rows of
//! one patient, a survey's primary sampling units), optionally within strata and with weights:
//! Taylor linearisation of a ratio estimator, as survey software does (R's `survey`, Stata's
//! `svy`, samplics' `TaylorEstimator`).
//!
//! A rate is `R = Σ a·T_c / Σ b·T_c`, where `T_c` holds a cluster's (weighted) totals of the four
//! confusion cells and `a`, `b` pick the cells of the numerator and the denominator. Its
//! linearised value in cluster `c` is `u_c = (a − R·b)·T_c / X`, with `X` the denominator's total,
//! and the variance of a linear combination `z_c = α·T_gc + β·T_rc` of two groups' totals is
//!
//! `V = Σ_h n_h/(n_h − 1) · [Σ_c z_hc² − (Σ_c z_hc)² / n_h]`,
//!
//! summed over strata `h` with `n_h` clusters each (every cluster of the stratum counts, with
//! `z = 0` where the group has no case: domain estimation). The sums need only each group's
//! per-stratum moments of its cluster totals, `Σ T`, `Σ T Tᵀ`, and the cross moments with the
//! reference group `Σ T_g T_rᵀ`, so the sufficient statistics stay small and the seam holds.
//! Checked against samplics (tests/reference/make_design_reference.py).

use super::{means, Ci, Undefined};

/// One stratum's moments of two groups' cluster totals (group `g` and reference `r`), in the
/// cell order tp, fp, fn, tn. A group with no case in the stratum has zeros.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StratumTerms {
    /// Clusters in the stratum, over all groups.
    pub clusters: u64,
    pub g_sum: [f64; 4],
    pub g_cross: [[f64; 4]; 4],
    pub r_sum: [f64; 4],
    pub r_cross: [[f64; 4]; 4],
    /// `Σ_c T_gc T_rcᵀ`.
    pub gr_cross: [[f64; 4]; 4],
}

fn quad(m: &[[f64; 4]; 4], x: &[f64; 4], y: &[f64; 4]) -> f64 {
    (0..4)
        .map(|i| (0..4).map(|j| x[i] * m[i][j] * y[j]).sum::<f64>())
        .sum()
}

/// `Σ |x_i·m_ij·y_j|`: the size of the terms a quadratic form cancels.
fn quad_abs(m: &[[f64; 4]; 4], x: &[f64; 4], y: &[f64; 4]) -> f64 {
    (0..4)
        .map(|i| (0..4).map(|j| (x[i] * m[i][j] * y[j]).abs()).sum::<f64>())
        .sum()
}

fn dot(x: &[f64; 4], y: &[f64; 4]) -> f64 {
    (0..4).map(|i| x[i] * y[i]).sum()
}

/// The design variance of `Σ_c (α·T_gc + β·T_rc)`. Undefined when a stratum has fewer than two
/// clusters (a certainty or singleton stratum must be collapsed first).
pub fn linear_variance(
    strata: &[StratumTerms],
    alpha: &[f64; 4],
    beta: &[f64; 4],
) -> Result<f64, Undefined> {
    let (mut v, mut scale) = (0.0, 0.0);
    for s in strata {
        if s.clusters < 2 {
            return Err(Undefined("a stratum has fewer than two clusters"));
        }
        let n = s.clusters as f64;
        let ss = quad(&s.g_cross, alpha, alpha)
            + quad(&s.r_cross, beta, beta)
            + 2.0 * quad(&s.gr_cross, alpha, beta);
        let sum = dot(&s.g_sum, alpha) + dot(&s.r_sum, beta);
        v += n / (n - 1.0) * (ss - sum * sum / n).max(0.0);
        scale += n / (n - 1.0)
            * (quad_abs(&s.g_cross, alpha, alpha)
                + quad_abs(&s.r_cross, beta, beta)
                + 2.0 * quad_abs(&s.gr_cross, alpha, beta));
    }
    // What is left after the cancellation of equal terms (every cluster at the same rate) is
    // rounding, not variance.
    Ok(if v <= 1e-12 * scale { 0.0 } else { v })
}

/// Degrees of freedom of the design: clusters minus strata.
pub fn degrees_of_freedom(strata: &[StratumTerms]) -> f64 {
    strata.iter().map(|s| s.clusters as f64 - 1.0).sum()
}

/// A rate as a ratio of cell totals, with the coefficients of its linearised value.
struct Linear {
    rate: f64,
    /// `(a − R·b) / X`.
    coef: [f64; 4],
}

fn linear(totals: &[f64; 4], num: &[usize], den: &[usize]) -> Result<Linear, Undefined> {
    let y: f64 = num.iter().map(|&i| totals[i]).sum();
    let x: f64 = den.iter().map(|&i| totals[i]).sum();
    if x <= 0.0 || !x.is_finite() {
        return Err(Undefined("denominator is zero"));
    }
    let rate = y / x;
    let mut coef = [0.0; 4];
    for &i in den {
        coef[i] -= rate / x;
    }
    for &i in num {
        coef[i] += 1.0 / x;
    }
    Ok(Linear { rate, coef })
}

fn totals(strata: &[StratumTerms], reference: bool) -> [f64; 4] {
    let mut t = [0.0; 4];
    for s in strata {
        let v = if reference { &s.r_sum } else { &s.g_sum };
        for i in 0..4 {
            t[i] += v[i];
        }
    }
    t
}

/// Group `g`'s rate and its design variance.
pub fn rate(
    strata: &[StratumTerms],
    num: &[usize],
    den: &[usize],
) -> Result<(f64, f64), Undefined> {
    let l = linear(&totals(strata, false), num, den)?;
    Ok((l.rate, linear_variance(strata, &l.coef, &[0.0; 4])?))
}

/// A gap between group `g` and reference `r` with its design-based standard error, on the scale
/// it is tested on (the difference, or the log of the ratio).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gap {
    pub rate: f64,
    pub reference_rate: f64,
    pub estimate: f64,
    pub se: f64,
}

/// `R_g − R_r` and its standard error.
pub fn difference(strata: &[StratumTerms], num: &[usize], den: &[usize]) -> Result<Gap, Undefined> {
    let g = linear(&totals(strata, false), num, den)?;
    let r = linear(&totals(strata, true), num, den)?;
    let beta = r.coef.map(|c| -c);
    let v = linear_variance(strata, &g.coef, &beta)?;
    Ok(Gap {
        rate: g.rate,
        reference_rate: r.rate,
        estimate: g.rate - r.rate,
        se: v.sqrt(),
    })
}

/// `log(R_g / R_r)` and its standard error. Undefined when either rate is 0.
pub fn log_ratio(strata: &[StratumTerms], num: &[usize], den: &[usize]) -> Result<Gap, Undefined> {
    let g = linear(&totals(strata, false), num, den)?;
    let r = linear(&totals(strata, true), num, den)?;
    if g.rate <= 0.0 || r.rate <= 0.0 {
        return Err(Undefined(
            "a rate is zero, so the ratio's log interval is undefined",
        ));
    }
    let alpha = g.coef.map(|c| c / g.rate);
    let beta = r.coef.map(|c| -c / r.rate);
    let v = linear_variance(strata, &alpha, &beta)?;
    Ok(Gap {
        rate: g.rate,
        reference_rate: r.rate,
        estimate: (g.rate / r.rate).ln(),
        se: v.sqrt(),
    })
}

/// Student's t interval `estimate ± t_{df}·se` and the two-sided p of `estimate = 0`.
/// Undefined when the standard error is zero or the design has no degrees of freedom.
pub fn t_interval(gap: &Gap, df: f64, level: f64) -> Result<(Ci, f64, f64), Undefined> {
    if df < 1.0 {
        return Err(Undefined("the design has no degrees of freedom"));
    }
    if !(gap.se > 0.0 && gap.se.is_finite()) {
        return Err(Undefined("the design-based standard error is zero"));
    }
    let t = means::t_critical(level, df);
    let stat = gap.estimate / gap.se;
    let ci = Ci {
        low: gap.estimate - t * gap.se,
        high: gap.estimate + t * gap.se,
    };
    Ok((ci, stat, means::t_two_sided_p(stat, df)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every case its own cluster, one stratum, no weights: the variance of a rate is
    /// `n/(n−1) · p(1−p)/n`, the binomial one with the finite factor.
    #[test]
    fn singleton_clusters_give_the_binomial_variance() {
        // 30 cases: 12 tp, 18 fn (the TPR's denominator), each its own cluster, 50 clusters in all.
        let mut s = StratumTerms {
            clusters: 50,
            ..Default::default()
        };
        s.g_sum = [12.0, 0.0, 18.0, 0.0];
        s.g_cross[0][0] = 12.0;
        s.g_cross[2][2] = 18.0;
        let (p, v) = rate(&[s], &[0], &[0, 2]).unwrap();
        assert!((p - 0.4).abs() < 1e-15);
        let expected = 50.0 / 49.0 * (12.0 * 0.6 * 0.6 + 18.0 * 0.4 * 0.4) / 900.0;
        assert!((v - expected).abs() < 1e-15, "{v} {expected}");
    }

    /// Every cluster at the same rate: the variance is zero, not what rounding leaves.
    #[test]
    fn equal_clusters_have_no_variance() {
        let mut s = StratumTerms {
            clusters: 7,
            ..Default::default()
        };
        let t = [3.0, 0.0, 4.0, 0.0];
        for _ in 0..7 {
            for i in 0..4 {
                s.g_sum[i] += t[i];
                for j in 0..4 {
                    s.g_cross[i][j] += t[i] * t[j];
                }
            }
        }
        assert_eq!(rate(&[s], &[0], &[0, 2]).unwrap().1, 0.0);
    }

    #[test]
    fn a_single_cluster_stratum_is_undefined() {
        let s = StratumTerms {
            clusters: 1,
            g_sum: [1.0, 0.0, 1.0, 0.0],
            ..Default::default()
        };
        assert!(rate(&[s], &[0], &[0, 2]).is_err());
    }
}
