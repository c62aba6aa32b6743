//! Two independent proportions: a group `x1/n1` against a reference `x0/n0`. Ratio and
//! difference intervals, and the two-sided tests.

use super::{dist, proportion, special, Ci, Undefined};

/// Ratio `p1/p0` with the Katz log interval:
/// `exp(ln(p1/p0) ± z·√(1/x1 − 1/n1 + 1/x0 − 1/n0))`.
///
/// Reference: Katz et al. (1978); `statsmodels.stats.proportion.confint_proportions_2indep(
/// compare="ratio", method="log")`.
///
/// Edge cases: undefined when either denominator is zero or when the reference rate is zero
/// (the ratio is infinite or 0/0). When a cell of the 2×2 table is empty (`x1 = 0`, `x1 = n1`
/// or `x0 = n0`) the log interval collapses or does not exist: a rate of 100% contributes no
/// variance, so 12/12 against 200/200 would give the interval [1, 1]. The interval is then
/// computed with 0.5 added to every cell (Haldane–Anscombe), and `corrected` is true.
pub fn katz_ratio(x1: u64, n1: u64, x0: u64, n0: u64, level: f64) -> Result<RatioCi, Undefined> {
    if n1 == 0 || n0 == 0 {
        return Err(Undefined("denominator is zero"));
    }
    if x0 == 0 {
        return Err(Undefined("reference rate is zero"));
    }
    let ratio = (x1 as f64 / n1 as f64) / (x0 as f64 / n0 as f64);
    let z = dist::z_for_level(level);
    let corrected = x1 == 0 || x1 == n1 || x0 == n0;
    let (a, m, c, k) = if corrected {
        (
            x1 as f64 + 0.5,
            n1 as f64 + 1.0,
            x0 as f64 + 0.5,
            n0 as f64 + 1.0,
        )
    } else {
        (x1 as f64, n1 as f64, x0 as f64, n0 as f64)
    };
    let log_ratio = ((a / m) / (c / k)).ln();
    let se = (1.0 / a - 1.0 / m + 1.0 / c - 1.0 / k).max(0.0).sqrt();
    Ok(RatioCi {
        ratio,
        ci: Ci {
            low: (log_ratio - z * se).exp(),
            high: (log_ratio + z * se).exp(),
        },
        corrected,
    })
}

/// A ratio with its interval; `corrected` says the Haldane–Anscombe 0.5 was added.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RatioCi {
    pub ratio: f64,
    pub ci: Ci,
    pub corrected: bool,
}

/// Difference `p1 − p0` with Newcombe's hybrid score interval (method 10), built from the two
/// Wilson intervals `(l1, u1)` and `(l0, u0)`:
/// `[d − √((p1−l1)² + (u0−p0)²), d + √((u1−p1)² + (p0−l0)²)]`.
///
/// Reference: Newcombe (1998); `statsmodels.stats.proportion.confint_proportions_2indep(
/// compare="diff", method="newcomb")`. Defined for zero and full counts; undefined only for an
/// empty denominator.
pub fn newcombe_diff(
    x1: u64,
    n1: u64,
    x0: u64,
    n0: u64,
    level: f64,
) -> Result<(f64, Ci), Undefined> {
    newcombe_diff_real(x1 as f64, n1 as f64, x0 as f64, n0 as f64, level)
}

/// Newcombe's interval for real-valued counts: a design's effective counts `p̂·n_eff` of
/// `n_eff` (Wilson's intervals on the effective sample sizes).
pub fn newcombe_diff_real(
    x1: f64,
    n1: f64,
    x0: f64,
    n0: f64,
    level: f64,
) -> Result<(f64, Ci), Undefined> {
    let w1 = proportion::wilson_real(x1, n1, level)?;
    let w0 = proportion::wilson_real(x0, n0, level)?;
    let p1 = x1 / n1;
    let p0 = x0 / n0;
    let d = p1 - p0;
    let low = d - ((p1 - w1.low).powi(2) + (w0.high - p0).powi(2)).sqrt();
    let high = d + ((w1.high - p1).powi(2) + (p0 - w0.low).powi(2)).sqrt();
    Ok((d, Ci { low, high }))
}

/// Pooled two-proportion z-test, two-sided:
/// `z = (p1 − p0) / √(p̄(1 − p̄)(1/n1 + 1/n0))` with `p̄ = (x1 + x0)/(n1 + n0)`.
///
/// Reference: `statsmodels.stats.proportion.proportions_ztest([x1, x0], [n1, n0])`.
/// Undefined when a denominator is zero or the pooled rate is 0 or 1 (no variance).
pub fn pooled_z_test(x1: u64, n1: u64, x0: u64, n0: u64) -> Result<(f64, f64), Undefined> {
    pooled_z_test_real(x1 as f64, n1 as f64, x0 as f64, n0 as f64)
}

/// The pooled z-test for real-valued counts (a design's effective counts).
pub fn pooled_z_test_real(x1f: f64, n1f: f64, x0f: f64, n0f: f64) -> Result<(f64, f64), Undefined> {
    if n1f <= 0.0 || n0f <= 0.0 {
        return Err(Undefined("denominator is zero"));
    }
    let pooled = (x1f + x0f) / (n1f + n0f);
    if pooled <= 0.0 || pooled >= 1.0 {
        return Err(Undefined("pooled rate is 0 or 1"));
    }
    let se = (pooled * (1.0 - pooled) * (1.0 / n1f + 1.0 / n0f)).sqrt();
    let z = (x1f / n1f - x0f / n0f) / se;
    Ok((z, dist::normal_two_sided_p(z)))
}

/// Fisher's exact test, two-sided, for the table `[[a, b], [c, d]]`, with the same definition as
/// `scipy.stats.fisher_exact` (scipy 1.14): the p-value sums the hypergeometric probabilities of
/// all tables no more likely than the observed one, with scipy's relative tolerance of 1e-14, and
/// is 1 when a row or column sum is zero.
///
/// Computed in log space with tail sums by the pmf recurrence, so counts up to 10^9 neither
/// overflow nor need a pass over the whole support.
pub fn fisher_exact(a: u64, b: u64, c: u64, d: u64) -> f64 {
    if a + b == 0 || c + d == 0 || a + c == 0 || b + d == 0 {
        return 1.0;
    }
    let h = Hypergeom {
        n1: a + b,
        n2: c + d,
        n: a + c,
    };
    let lo = h.n.saturating_sub(h.n2);
    let hi = h.n.min(h.n1);
    // scipy: mode = int((n + 1) * (n1 + 1) / (n1 + n2 + 2)), in floating point.
    let mode = (((h.n + 1) as f64 * (h.n1 + 1) as f64) / ((h.n1 + h.n2 + 2) as f64)) as u64;
    let mode = mode.clamp(lo, hi);
    let l_exact = h.ln_pmf(a);
    let l_mode = h.ln_pmf(mode);
    let p_exact = l_exact.exp();
    let p_mode = l_mode.exp();
    // Relative tolerance for "no more likely than the observed table": 1e-7, as R's fisher.test.
    // scipy uses 1e-14, which its own rounding can defeat for tables with exactly tied probabilities;
    // the two agree on every table whose probabilities are not within 1e-7 of a tie.
    const EPS: f64 = 1e-7;
    if (p_exact - p_mode).abs() / p_exact.max(p_mode) <= EPS {
        return 1.0;
    }
    let ln_cut = l_exact + (1.0 + EPS).ln();
    let p = if a < mode {
        let lower = h.tail_down(a, lo);
        // Upper tail: every x > mode with pmf(x) < pexact·(1 + ε) (scipy's binary search).
        if h.ln_pmf(hi) > ln_cut {
            lower
        } else {
            // First x in (mode, hi] whose pmf falls below the cut; pmf decreases on [mode, hi].
            let (mut l, mut r) = (mode, hi);
            while r - l > 1 {
                let mid = l + (r - l) / 2;
                if h.ln_pmf(mid) >= ln_cut {
                    l = mid;
                } else {
                    r = mid;
                }
            }
            lower + h.tail_up(r, hi)
        }
    } else {
        let upper = h.tail_up(a, hi);
        if h.ln_pmf(lo) > ln_cut {
            upper
        } else {
            // Last x in [lo, mode) whose pmf is at or below the cut; pmf increases on [lo, mode].
            let (mut l, mut r) = (lo, mode);
            while r - l > 1 {
                let mid = l + (r - l) / 2;
                if h.ln_pmf(mid) <= ln_cut {
                    l = mid;
                } else {
                    r = mid;
                }
            }
            upper + h.tail_down(l, lo)
        }
    };
    p.min(1.0)
}

/// Hypergeometric law of the top-left cell: `n1` and `n2` row totals, `n` first-column total.
struct Hypergeom {
    n1: u64,
    n2: u64,
    n: u64,
}

impl Hypergeom {
    fn ln_pmf(&self, x: u64) -> f64 {
        special::ln_dhyper(x, self.n1, self.n2, self.n)
    }

    /// `P(X ≤ from)` summed downward from `from` to `lo`; the terms decrease, so the sum stops
    /// once they no longer change it.
    fn tail_down(&self, from: u64, lo: u64) -> f64 {
        let mut term = self.ln_pmf(from).exp();
        let mut sum = term;
        let mut x = from;
        let (n1, n2, n) = (self.n1 as f64, self.n2 as f64, self.n as f64);
        while x > lo && term > 0.0 {
            let xf = x as f64;
            // pmf(x − 1)/pmf(x) = x(n2 − n + x) / ((n1 − x + 1)(n − x + 1))
            term *= xf * (n2 - n + xf) / ((n1 - xf + 1.0) * (n - xf + 1.0));
            x -= 1;
            sum += term;
            if term < sum * 1e-18 {
                break;
            }
        }
        sum
    }

    /// `P(X ≥ from)` summed upward from `from` to `hi`.
    fn tail_up(&self, from: u64, hi: u64) -> f64 {
        let mut term = self.ln_pmf(from).exp();
        let mut sum = term;
        let mut x = from;
        let (n1, n2, n) = (self.n1 as f64, self.n2 as f64, self.n as f64);
        while x < hi && term > 0.0 {
            let xf = x as f64;
            // pmf(x + 1)/pmf(x) = (n1 − x)(n − x) / ((x + 1)(n2 − n + x + 1))
            term *= (n1 - xf) * (n - xf) / ((xf + 1.0) * (n2 - n + xf + 1.0));
            x += 1;
            sum += term;
            if term < sum * 1e-18 {
                break;
            }
        }
        sum
    }
}

/// Which test compared a group with its reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestKind {
    FisherExact,
    PooledZ,
}

/// The test DESIGN.md prescribes: Fisher's exact test when any expected cell of the 2×2 table is
/// under 5, else the pooled two-proportion z-test. Returns the test, its statistic (the z value,
/// or the sample odds ratio's absence for Fisher: `None`) and the two-sided p-value.
pub fn compare_test(
    x1: u64,
    n1: u64,
    x0: u64,
    n0: u64,
) -> Result<(TestKind, Option<f64>, f64), Undefined> {
    if n1 == 0 || n0 == 0 {
        return Err(Undefined("denominator is zero"));
    }
    let total = (n1 + n0) as f64;
    let events = (x1 + x0) as f64;
    let non_events = total - events;
    let min_expected = [n1 as f64, n0 as f64]
        .iter()
        .flat_map(|&row| [row * events / total, row * non_events / total])
        .fold(f64::INFINITY, f64::min);
    if min_expected < 5.0 {
        let p = fisher_exact(x1, n1 - x1, x0, n0 - x0);
        return Ok((TestKind::FisherExact, None, p));
    }
    let (z, p) = pooled_z_test(x1, n1, x0, n0)?;
    Ok((TestKind::PooledZ, Some(z), p))
}

/// Difference `p1 − p0` with the Agresti–Caffo interval: one success and one failure added to
/// each group, then the Wald interval, `p̃1 − p̃0 ± z·√(p̃1(1−p̃1)/(n1+2) + p̃0(1−p̃0)/(n0+2))`
/// with `p̃ = (x + 1)/(n + 2)`. The point estimate stays the observed difference.
///
/// Reference: Agresti & Caffo (2000); `confint_proportions_2indep(compare="diff",
/// method="agresti-caffo")`. Undefined for an empty denominator.
pub fn agresti_caffo_diff(
    x1: u64,
    n1: u64,
    x0: u64,
    n0: u64,
    level: f64,
) -> Result<(f64, Ci), Undefined> {
    if n1 == 0 || n0 == 0 {
        return Err(Undefined("denominator is zero"));
    }
    let z = dist::z_for_level(level);
    let (a, m, c, k) = (
        x1 as f64 + 1.0,
        n1 as f64 + 2.0,
        x0 as f64 + 1.0,
        n0 as f64 + 2.0,
    );
    let (q1, q0) = (a / m, c / k);
    let centre = q1 - q0;
    let se = (q1 * (1.0 - q1) / m + q0 * (1.0 - q0) / k).sqrt();
    let d = x1 as f64 / n1 as f64 - x0 as f64 / n0 as f64;
    Ok((
        d,
        Ci {
            low: (centre - z * se).max(-1.0),
            high: (centre + z * se).min(1.0),
        },
    ))
}

/// The score statistic for `p1/p0 = θ` (Koopman 1984; the Miettinen–Nurminen statistic
/// without its N/(N−1) variance factor): `(p1 − θ p0)² / (p̃1(1−p̃1)/n1 + θ² p̃0(1−p̃0)/n0)`,
/// with `p̃0` the maximum-likelihood estimate under the constraint and `p̃1 = θ p̃0`.
fn ratio_score_stat(x1: f64, n1: f64, x0: f64, n0: f64, theta: f64) -> f64 {
    let (p1, p0) = (x1 / n1, x0 / n0);
    let a = (n1 + n0) * theta;
    let b = -(n1 * theta + x1 + n0 + x0 * theta);
    let c = x1 + x0;
    let disc = (b * b - 4.0 * a * c).max(0.0);
    // The smaller root of a p² + b p + c, in a cancellation-free form.
    let q = -0.5 * (b - disc.sqrt());
    let pt0 = (c / q).clamp(0.0, 1.0);
    let pt1 = (theta * pt0).clamp(0.0, 1.0);
    let var = pt1 * (1.0 - pt1) / n1 + theta * theta * pt0 * (1.0 - pt0) / n0;
    if var <= 0.0 {
        return if (p1 - theta * p0).abs() > 0.0 {
            f64::INFINITY
        } else {
            0.0
        };
    }
    (p1 - theta * p0).powi(2) / var
}

/// Ratio `p1/p0` with Koopman's score interval: every `θ` whose score statistic is below the
/// chi-square critical value, found by bisection on `ln θ` to 1e-13.
///
/// Reference: Koopman (1984); `confint_proportions_2indep(compare="ratio", method="score",
/// correction=False)`. Lower bound 0 when `x1 = 0`; undefined when a denominator or the
/// reference rate is zero (the upper bound is infinite).
pub fn koopman_ratio(x1: u64, n1: u64, x0: u64, n0: u64, level: f64) -> Result<RatioCi, Undefined> {
    koopman_ratio_real(x1 as f64, n1 as f64, x0 as f64, n0 as f64, level)
}

/// Koopman's interval for real-valued counts (a design's effective counts).
pub fn koopman_ratio_real(
    a: f64,
    m: f64,
    c: f64,
    k: f64,
    level: f64,
) -> Result<RatioCi, Undefined> {
    if m <= 0.0 || k <= 0.0 {
        return Err(Undefined("denominator is zero"));
    }
    if c <= 0.0 {
        return Err(Undefined("reference rate is zero"));
    }
    let crit = dist::z_for_level(level).powi(2);
    let x1_zero = a <= 0.0;
    let ratio = (a / m) / (c / k);
    let stat = |t: f64| ratio_score_stat(a, m, c, k, t);
    // Find the edge between ln θ = inside (stat ≤ crit) and outside by bisection.
    let edge = |mut inside: f64, mut outside: f64| {
        for _ in 0..200 {
            let mid = 0.5 * (inside + outside);
            if stat(mid.exp()) <= crit {
                inside = mid;
            } else {
                outside = mid;
            }
            if (outside - inside).abs() < 1e-13 {
                break;
            }
        }
        (0.5 * (inside + outside)).exp()
    };
    let centre = if x1_zero {
        f64::NEG_INFINITY
    } else {
        ratio.ln()
    };
    let low = if x1_zero {
        0.0
    } else {
        let mut out = centre - 1.0;
        while stat(out.exp()) <= crit {
            out -= 1.0;
        }
        edge(centre, out)
    };
    let start = if x1_zero {
        (0.5 / m / (c / k)).ln()
    } else {
        centre
    };
    let mut out = start + 1.0;
    while stat(out.exp()) <= crit && out < 700.0 {
        out += 1.0;
    }
    let high = edge(start, out);
    Ok(RatioCi {
        ratio,
        ci: Ci { low, high },
        corrected: false,
    })
}

/// Odds ratio `(a·d)/(b·c)` of the table `[[x1, n1 − x1], [x0, n0 − x0]]` with Woolf's logit
/// interval `exp(ln OR ± z·√(1/a + 1/b + 1/c + 1/d))`. With a zero cell, 0.5 is added to every
/// cell for the whole computation (Haldane–Anscombe) and `corrected` is true.
///
/// Reference: Woolf (1955); `statsmodels.stats.contingency_tables.Table2x2.oddsratio_confint()`.
/// Undefined for an empty denominator.
pub fn odds_ratio(x1: u64, n1: u64, x0: u64, n0: u64, level: f64) -> Result<RatioCi, Undefined> {
    if n1 == 0 || n0 == 0 {
        return Err(Undefined("denominator is zero"));
    }
    let cells = [x1, n1 - x1, x0, n0 - x0];
    let corrected = cells.contains(&0);
    let [a, b, c, d] = cells.map(|v| v as f64 + if corrected { 0.5 } else { 0.0 });
    let or = (a * d) / (b * c);
    let se = (1.0 / a + 1.0 / b + 1.0 / c + 1.0 / d).sqrt();
    let z = dist::z_for_level(level);
    Ok(RatioCi {
        ratio: or,
        ci: Ci {
            low: (or.ln() - z * se).exp(),
            high: (or.ln() + z * se).exp(),
        },
        corrected,
    })
}
