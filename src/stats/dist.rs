//! Distribution helpers on top of `statrs`: the standard normal and chi-square tails.

use statrs::distribution::{ChiSquared, ContinuousCDF, Normal};
use statrs::function::erf::erfc;

/// Standard normal quantile `Φ⁻¹(p)` for `p` in (0, 1).
pub fn normal_quantile(p: f64) -> f64 {
    Normal::standard().inverse_cdf(p)
}

/// Standard normal CDF `Φ(z)`, computed through `erfc` so both tails keep full relative precision.
pub fn normal_cdf(z: f64) -> f64 {
    0.5 * erfc(-z / std::f64::consts::SQRT_2)
}

/// Two-sided normal p-value `2·(1 − Φ(|z|))` = `erfc(|z|/√2)`.
pub fn normal_two_sided_p(z: f64) -> f64 {
    erfc(z.abs() / std::f64::consts::SQRT_2).min(1.0)
}

/// The critical value `z_{1−α/2}` for a two-sided interval of confidence `level`.
pub fn z_for_level(level: f64) -> f64 {
    normal_quantile(1.0 - (1.0 - level) / 2.0)
}

/// Upper tail `P(X > x)` of a chi-square distribution with `df` degrees of freedom.
pub fn chi2_sf(x: f64, df: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    // statrs' constructor only fails for df <= 0, which callers never pass.
    match ChiSquared::new(df) {
        Ok(d) => d.sf(x),
        Err(_) => 1.0,
    }
}
