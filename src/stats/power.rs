//! Power of the two-proportion comparison, and the smallest disparity it could detect.
//!
//! Normal approximation for the two-sided test of `p1 = p0` at level `alpha`, with the null
//! variance pooled and the alternative variance unpooled (Fleiss, Levin & Paik, 2003, §4.2):
//! `power = Φ((|Δ| − z·σ0)/σ1) + Φ((−|Δ| − z·σ0)/σ1)`,
//! `σ0 = √(p̄(1−p̄)(1/n1 + 1/n0))`, `σ1 = √(p1(1−p1)/n1 + p0(1−p0)/n0)`, `p̄` weighted by n.

use super::dist;

/// Power to detect a group rate `p1` against a reference rate `p0` with group sizes `n1`, `n0`.
/// Returns 0 when either size is zero, and `alpha` when the two rates are equal.
pub fn two_proportion_power(p1: f64, p0: f64, n1: u64, n0: u64, alpha: f64) -> f64 {
    if n1 == 0 || n0 == 0 {
        return 0.0;
    }
    let (n1f, n0f) = (n1 as f64, n0 as f64);
    let p1 = p1.clamp(0.0, 1.0);
    let p0 = p0.clamp(0.0, 1.0);
    let delta = (p1 - p0).abs();
    let z = dist::normal_quantile(1.0 - alpha / 2.0);
    let pbar = (p1 * n1f + p0 * n0f) / (n1f + n0f);
    let s0 = (pbar * (1.0 - pbar) * (1.0 / n1f + 1.0 / n0f)).sqrt();
    let s1 = (p1 * (1.0 - p1) / n1f + p0 * (1.0 - p0) / n0f).sqrt();
    if s1 == 0.0 {
        // Both rates at the same bound (0 or 1): no test can tell them apart.
        return if delta > 0.0 { 1.0 } else { alpha };
    }
    let power = dist::normal_cdf((delta - z * s0) / s1) + dist::normal_cdf((-delta - z * s0) / s1);
    power.clamp(0.0, 1.0)
}

/// The smallest group size `n1` at which the test reaches `target` power to detect a group rate
/// `p1` against a reference rate `p0` measured on `n0`. `None` when no size up to 10^9 does (the
/// reference's own uncertainty caps the power) or the rates are equal. Power grows with `n1` in
/// this approximation, so the search doubles, then bisects.
pub fn required_group_size(p1: f64, p0: f64, n0: u64, alpha: f64, target: f64) -> Option<u64> {
    let reaches = |n1: u64| two_proportion_power(p1, p0, n1, n0, alpha) >= target;
    if p1 == p0 || !p1.is_finite() || !p0.is_finite() {
        return None;
    }
    let mut hi = 1u64;
    while !reaches(hi) {
        if hi >= 1_000_000_000 {
            return None;
        }
        hi *= 2;
    }
    let mut lo = hi / 2;
    // Invariant: `reaches(hi)`, and `lo == 0` or `!reaches(lo)`.
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if reaches(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}

/// The smallest absolute difference `|p1 − p0|` that reaches `target` power, searched on the side
/// given by `upward` (group rate above the reference) by bisection to 1e-12. `None` when even
/// the most extreme rate on that side (0 or 1) does not reach it.
pub fn minimum_detectable_difference(
    p0: f64,
    n1: u64,
    n0: u64,
    alpha: f64,
    target: f64,
    upward: bool,
) -> Option<f64> {
    let room = if upward { 1.0 - p0 } else { p0 };
    let at = |d: f64| {
        let p1 = if upward { p0 + d } else { p0 - d };
        two_proportion_power(p1, p0, n1, n0, alpha)
    };
    if room <= 0.0 || at(room) < target {
        return None;
    }
    let (mut lo, mut hi) = (0.0, room);
    while hi - lo > 1e-12 {
        let mid = 0.5 * (lo + hi);
        if at(mid) >= target {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}

#[cfg(test)]
mod required_size_tests {
    use super::*;

    #[test]
    fn the_required_size_is_the_first_that_reaches_the_target() {
        for (p1, p0, n0) in [(0.70, 0.80, 2000), (0.25, 0.19, 17_000), (0.9, 0.8, 500)] {
            let n = required_group_size(p1, p0, n0, 0.05 / 168.0, 0.8).unwrap();
            assert!(two_proportion_power(p1, p0, n, n0, 0.05 / 168.0) >= 0.8);
            assert!(two_proportion_power(p1, p0, n - 1, n0, 0.05 / 168.0) < 0.8);
        }
    }

    #[test]
    fn no_size_when_the_reference_caps_the_power_or_the_rates_are_equal() {
        // A reference of 20 cases leaves too much uncertainty for a 2-point gap.
        assert_eq!(required_group_size(0.52, 0.50, 20, 0.05, 0.8), None);
        assert_eq!(required_group_size(0.5, 0.5, 2000, 0.05, 0.8), None);
    }
}
