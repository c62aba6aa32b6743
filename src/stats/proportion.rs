//! Intervals for a single binomial proportion.

use super::{dist, Ci, Undefined};

/// Wilson score interval for `x` successes in `n` trials at confidence `level`.
///
/// `centre = (x + z²/2) / (n + z²)`, `half = z / (n + z²) · √(x(n − x)/n + z²/4)`.
/// Reference: Wilson (1927); `statsmodels.stats.proportion.proportion_confint(method="wilson")`.
/// Defined for `x = 0` and `x = n` (the interval then touches 0 or 1); undefined for `n = 0`.
pub fn wilson(x: u64, n: u64, level: f64) -> Result<Ci, Undefined> {
    if n == 0 {
        return Err(Undefined("denominator is zero"));
    }
    let z = dist::z_for_level(level);
    let (x, n) = (x as f64, n as f64);
    let z2 = z * z;
    let denom = n + z2;
    let centre = (x + z2 / 2.0) / denom;
    let half = z / denom * (x * (n - x) / n + z2 / 4.0).sqrt();
    // At x = 0 and x = n the bound is exactly 0 or 1; pin it so rounding cannot exclude the estimate.
    Ok(Ci {
        low: if x == 0.0 {
            0.0
        } else {
            (centre - half).clamp(0.0, x / n)
        },
        high: if x == n {
            1.0
        } else {
            (centre + half).clamp(x / n, 1.0)
        },
    })
}
