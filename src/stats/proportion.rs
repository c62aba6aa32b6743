//! Intervals for a single binomial proportion.

use super::{dist, special, Ci, Undefined};

/// Wilson score interval for `x` successes in `n` trials at confidence `level`.
///
/// `centre = (x + z²/2) / (n + z²)`, `half = z / (n + z²) · √(x(n − x)/n + z²/4)`.
/// Reference: Wilson (1927); `statsmodels.stats.proportion.proportion_confint(method="wilson")`.
/// Defined for `x = 0` and `x = n` (the interval then touches 0 or 1); undefined for `n = 0`.
pub fn wilson(x: u64, n: u64, level: f64) -> Result<Ci, Undefined> {
    wilson_real(x as f64, n as f64, level)
}

/// Wilson's interval for a real-valued count `x` of `n`, as for a weighted rate `p̂` on Kish's
/// effective sample size (`x = p̂·n_eff`, `n = n_eff`). Undefined for `n ≤ 0`.
pub fn wilson_real(x: f64, n: f64, level: f64) -> Result<Ci, Undefined> {
    if n <= 0.0 || !n.is_finite() {
        return Err(Undefined("denominator is zero"));
    }
    let z = dist::z_for_level(level);
    let z2 = z * z;
    let denom = n + z2;
    let centre = (x + z2 / 2.0) / denom;
    let half = z / denom * (x * (n - x) / n + z2 / 4.0).max(0.0).sqrt();
    // At x = 0 and x = n the bound is exactly 0 or 1; pin it so rounding cannot exclude the estimate.
    Ok(Ci {
        low: if x <= 0.0 {
            0.0
        } else {
            (centre - half).clamp(0.0, x / n)
        },
        high: if x >= n {
            1.0
        } else {
            (centre + half).clamp(x / n, 1.0)
        },
    })
}

/// Clopper–Pearson "exact" interval: the central interval from the beta distribution,
/// `[B(α/2; x, n − x + 1), B(1 − α/2; x + 1, n − x)]`, with the bound 0 at `x = 0` and 1 at
/// `x = n`. Coverage at least the nominal level; conservative.
///
/// Reference: Clopper & Pearson (1934); `proportion_confint(method="beta")`.
pub fn clopper_pearson(x: u64, n: u64, level: f64) -> Result<Ci, Undefined> {
    if n == 0 {
        return Err(Undefined("denominator is zero"));
    }
    let tail = (1.0 - level) / 2.0;
    let (xf, nf) = (x as f64, n as f64);
    let low = if x == 0 {
        0.0
    } else {
        special::beta_quantile(xf, nf - xf + 1.0, tail)
    };
    let high = if x == n {
        1.0
    } else {
        special::beta_quantile(xf + 1.0, nf - xf, 1.0 - tail)
    };
    Ok(Ci { low, high })
}

/// Jeffreys interval: the central interval of the Beta(x + ½, n − x + ½) posterior, with Brown,
/// Cai & DasGupta's (2001) boundary rule: the lower bound is 0 at `x = 0` and the upper bound 1
/// at `x = n`, so the interval always holds the estimate.
///
/// Reference: `proportion_confint(method="jeffreys")`, which has no boundary rule; the fixtures
/// apply it.
pub fn jeffreys(x: u64, n: u64, level: f64) -> Result<Ci, Undefined> {
    if n == 0 {
        return Err(Undefined("denominator is zero"));
    }
    let tail = (1.0 - level) / 2.0;
    let (a, b) = (x as f64 + 0.5, (n - x) as f64 + 0.5);
    let low = if x == 0 {
        0.0
    } else {
        special::beta_quantile(a, b, tail)
    };
    let high = if x == n {
        1.0
    } else {
        special::beta_quantile(a, b, 1.0 - tail)
    };
    Ok(Ci { low, high })
}
