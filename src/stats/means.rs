//! Means of a numeric measure (need: active chronic conditions, say) by group: Student's t
//! interval of a mean, Welch's unequal-variance comparison of two means, and the difference of
//! means standardized over strata (score bins) — the comparison "at equal score".

use statrs::function::gamma::ln_gamma;

use super::special::{beta_quantile, beta_reg_both};
use super::{dist, Ci, Undefined};

/// Count, mean and sample variance (divisor n − 1) of some values.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Summary {
    pub n: usize,
    pub mean: f64,
    pub variance: f64,
}

/// Welford's one-pass count, mean and sum of squared deviations: numerically stable, for sums
/// over many cases in a sweep.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Running {
    n: usize,
    mean: f64,
    m2: f64,
}

impl Running {
    pub fn push(&mut self, v: f64) {
        self.n += 1;
        let d = v - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (v - self.mean);
    }

    /// The values so far as a [`Summary`] (variance 0 for fewer than two).
    pub fn summary(&self) -> Summary {
        Summary {
            n: self.n,
            mean: self.mean,
            variance: if self.n > 1 {
                self.m2 / (self.n - 1) as f64
            } else {
                0.0
            },
        }
    }
}

/// Two-pass mean and variance (the variance is 0 for fewer than two values).
pub fn summary(x: &[f64]) -> Summary {
    let n = x.len();
    if n == 0 {
        return Summary::default();
    }
    let mean = x.iter().sum::<f64>() / n as f64;
    // Second pass: the mean of the deviations corrects the rounding of the first.
    let dev: f64 = x.iter().map(|v| v - mean).sum::<f64>() / n as f64;
    let mean = mean + dev;
    let variance = if n > 1 {
        x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64
    } else {
        0.0
    };
    Summary { n, mean, variance }
}

/// Two-sided p-value of Student's t with `df` degrees of freedom: `I_{df/(df+t²)}(df/2, 1/2)`.
pub fn t_two_sided_p(t: f64, df: f64) -> f64 {
    let x = df / (df + t * t);
    beta_reg_both(df / 2.0, 0.5, x).0.min(1.0)
}

/// The critical value `t_{1−α/2, df}` of a two-sided interval of confidence `level`.
pub fn t_critical(level: f64, df: f64) -> f64 {
    // P(|T| > t) = 1 − level  ⇔  I_x(df/2, 1/2) = 1 − level with x = df/(df + t²).
    // A start from the beta quantile, then Newton steps on the t tail itself, which keep the
    // precision the subtraction `1 − x` loses.
    let alpha = 1.0 - level;
    let x = beta_quantile(df / 2.0, 0.5, alpha);
    let mut t = (df * (1.0 - x) / x).sqrt();
    let ln_c =
        ln_gamma((df + 1.0) / 2.0) - ln_gamma(df / 2.0) - 0.5 * (df * std::f64::consts::PI).ln();
    for _ in 0..8 {
        let density = (ln_c - (df + 1.0) / 2.0 * (t * t / df).ln_1p()).exp();
        let step = (t_two_sided_p(t, df) - alpha) / (2.0 * density);
        t += step;
        if step.abs() <= 1e-15 * t {
            break;
        }
    }
    t
}

/// Student's t interval of a mean, `mean ± t_{n−1}·s/√n`. Reference: `scipy.stats.t.interval`.
/// Undefined for fewer than two values.
pub fn mean_ci(s: &Summary, level: f64) -> Result<Ci, Undefined> {
    if s.n < 2 {
        return Err(Undefined("needs at least two values"));
    }
    let half = t_critical(level, (s.n - 1) as f64) * (s.variance / s.n as f64).sqrt();
    if !(half.is_finite() && s.mean.is_finite()) {
        return Err(Undefined("values out of numeric range"));
    }
    Ok(Ci {
        low: s.mean - half,
        high: s.mean + half,
    })
}

/// Welch's comparison of two means.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Welch {
    pub difference: f64,
    pub se: f64,
    /// Welch–Satterthwaite degrees of freedom.
    pub df: f64,
    pub t: f64,
    pub p_value: f64,
    pub ci: Ci,
}

/// Welch's t-test and interval for `mean(g) − mean(r)`. Reference:
/// `scipy.stats.ttest_ind(g, r, equal_var=False)` and its `confidence_interval`. Undefined with
/// fewer than two values in either group or when both variances are zero.
pub fn welch(g: &Summary, r: &Summary, level: f64) -> Result<Welch, Undefined> {
    if g.n < 2 || r.n < 2 {
        return Err(Undefined("needs at least two values in each group"));
    }
    let (a, b) = (g.variance / g.n as f64, r.variance / r.n as f64);
    let se = (a + b).sqrt();
    if !(se.is_finite() && g.mean.is_finite() && r.mean.is_finite()) {
        return Err(Undefined("values out of numeric range"));
    }
    if se <= 0.0 {
        return Err(Undefined("both groups' values are constant"));
    }
    // Welch–Satterthwaite on the shares of the variance, so huge values do not overflow.
    let (sa, sb) = (a / (a + b), b / (a + b));
    let df = 1.0 / (sa * sa / (g.n - 1) as f64 + sb * sb / (r.n - 1) as f64);
    let difference = g.mean - r.mean;
    let t = difference / se;
    let half = t_critical(level, df) * se;
    Ok(Welch {
        difference,
        se,
        df,
        t,
        p_value: t_two_sided_p(t, df),
        ci: Ci {
            low: difference - half,
            high: difference + half,
        },
    })
}

/// A difference of means standardized over strata.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Standardized {
    /// `Σ w_k (ḡ_k − r̄_k)` with `w_k = n_gk / Σ n_g` over the strata used.
    pub difference: f64,
    pub se: f64,
    pub z: f64,
    pub p_value: f64,
    /// The group's standardized mean `A = Σ w_k ḡ_k` and the reference's `B = Σ w_k r̄_k` (the
    /// reference re-weighted to the group's distribution over the strata).
    pub group_mean: f64,
    pub reference_mean: f64,
    /// `A / B` with the standard error of its logarithm (delta method), when both are positive.
    pub ratio: Option<(f64, f64)>,
    /// Strata with at least two values in both the group and the reference.
    pub strata: usize,
    /// The group's values in those strata.
    pub group_n: usize,
}

/// The difference of means between a group and its reference within strata (score bins),
/// averaged with the group's own distribution over the strata as weights (direct
/// standardization: "at the scores the group actually had"). Strata where either side has fewer
/// than two values are left out. `Var = Σ w_k² (s²_gk/n_gk + s²_rk/n_rk)`; the test is the normal
/// z on the difference. Undefined when no stratum qualifies or the variance is zero.
pub fn standardized_difference(strata: &[(Summary, Summary)]) -> Result<Standardized, Undefined> {
    let used: Vec<&(Summary, Summary)> = strata
        .iter()
        .filter(|(g, r)| g.n >= 2 && r.n >= 2)
        .collect();
    let total: usize = used.iter().map(|(g, _)| g.n).sum();
    if used.is_empty() {
        return Err(Undefined(
            "no score bin has two or more values in both groups",
        ));
    }
    let (mut a, mut b, mut va, mut vb) = (0.0, 0.0, 0.0, 0.0);
    for (g, r) in &used {
        let w = g.n as f64 / total as f64;
        a += w * g.mean;
        b += w * r.mean;
        va += w * w * g.variance / g.n as f64;
        vb += w * w * r.variance / r.n as f64;
    }
    let se = (va + vb).sqrt();
    if !(se.is_finite() && a.is_finite() && b.is_finite()) {
        return Err(Undefined("values out of numeric range"));
    }
    if se <= 0.0 {
        return Err(Undefined("the values are constant within every score bin"));
    }
    let difference = a - b;
    let z = difference / se;
    let ratio = (a > 0.0 && b > 0.0).then(|| (a / b, (va / (a * a) + vb / (b * b)).sqrt()));
    Ok(Standardized {
        difference,
        se,
        z,
        p_value: dist::normal_two_sided_p(z),
        group_mean: a,
        reference_mean: b,
        ratio,
        strata: used.len(),
        group_n: total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_critical_matches_the_normal_for_large_df_and_known_values() {
        // t_{0.975, 10} = 2.22813885198627... (mpmath at 40 digits; scipy's `t.ppf` gives
        // 2.2281388519649385, 1e-11 off, which its own `t.sf` confirms).
        assert!((t_critical(0.95, 10.0) - 2.228_138_851_986_273_5).abs() < 1e-12);
        assert!((t_critical(0.95, 1e9) - 1.959_963_984_540_054).abs() < 1e-6);
        assert!((t_two_sided_p(2.228_138_851_986_273_5, 10.0) - 0.05).abs() < 1e-13);
    }

    /// Values whose squares overflow: undefined, at once (the degrees of freedom were NaN and
    /// the incomplete beta looped for minutes).
    #[test]
    fn welch_on_values_out_of_range_is_undefined_at_once() {
        let g = summary(&[1e300, -1e300, 3.0]);
        let r = summary(&[1.0, 2.0, 3.0]);
        let start = std::time::Instant::now();
        assert!(welch(&g, &r, 0.95).is_err());
        assert!(mean_ci(&g, 0.95).is_err());
        assert!(start.elapsed().as_secs() < 5);
        // Large but finite: the shares keep the degrees of freedom finite.
        // The squared variance would overflow (1e300 squared); the shares do not.
        let big = summary(&[1e150, -1e150, 3.0]);
        let w = welch(&big, &r, 0.95).expect("finite");
        assert!(w.df.is_finite() && w.df > 0.0);
    }

    #[test]
    fn one_stratum_standardized_is_the_unpooled_z() {
        let g = summary(&[1.0, 2.0, 4.0, 7.0]);
        let r = summary(&[0.0, 1.0, 1.0, 2.0, 3.0]);
        let s = standardized_difference(&[(g, r)]).unwrap();
        let w = welch(&g, &r, 0.95).unwrap();
        assert!((s.difference - w.difference).abs() < 1e-15);
        assert!((s.se - w.se).abs() < 1e-15);
    }
}
