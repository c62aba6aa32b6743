//! Special functions with full relative precision for counts up to 10^9 and beyond: binomial
//! and hypergeometric probabilities by Loader's saddle-point method (as R's `dbinom` and
//! `dhyper`), the regularized incomplete beta function, and beta quantiles.
//!
//! Log-gamma differences lose about `log10(n)` digits (seven at n = 10^9), so the pmfs here are
//! written as `stirlerr` and `bd0` terms that stay accurate (Loader 2000, "Fast and accurate
//! computation of binomial probabilities").

use statrs::function::gamma::ln_gamma;

const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;
const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// `stirlerr(n) = ln(n!) − ln(√(2π n) (n/e)^n)`, the error of Stirling's formula.
pub fn stirlerr(n: f64) -> f64 {
    const S0: f64 = 1.0 / 12.0;
    const S1: f64 = 1.0 / 360.0;
    const S2: f64 = 1.0 / 1260.0;
    const S3: f64 = 1.0 / 1680.0;
    const S4: f64 = 1.0 / 1188.0;
    if n <= 0.0 {
        return 0.0;
    }
    if n <= 15.0 {
        return ln_gamma(n + 1.0) - (n + 0.5) * n.ln() + n - LN_SQRT_2PI;
    }
    let nn = n * n;
    if n > 500.0 {
        (S0 - S1 / nn) / n
    } else if n > 80.0 {
        (S0 - (S1 - S2 / nn) / nn) / n
    } else if n > 35.0 {
        (S0 - (S1 - (S2 - S3 / nn) / nn) / nn) / n
    } else {
        (S0 - (S1 - (S2 - (S3 - S4 / nn) / nn) / nn) / nn) / n
    }
}

/// The deviance term `bd0(x, np) = x ln(x/np) + np − x`, by a series when `x ≈ np`.
pub fn bd0(x: f64, np: f64) -> f64 {
    if (x - np).abs() < 0.1 * (x + np) {
        let mut v = (x - np) / (x + np);
        let mut s = (x - np) * v;
        if s.abs() < f64::MIN_POSITIVE {
            return s;
        }
        let mut ej = 2.0 * x * v;
        v *= v;
        for j in 1..1000 {
            ej *= v;
            let s1 = s + ej / f64::from(2 * j + 1);
            if s1 == s {
                return s1;
            }
            s = s1;
        }
    }
    x * (x / np).ln() + np - x
}

/// Log of the binomial probability of `x` successes in `n` trials at success probability `p`
/// (`q = 1 − p` passed separately to keep its precision). `x` and `n` may be non-integer, as
/// R's `dbinom_raw`.
pub fn ln_dbinom(x: f64, n: f64, p: f64, q: f64) -> f64 {
    if p == 0.0 {
        return if x == 0.0 { 0.0 } else { f64::NEG_INFINITY };
    }
    if q == 0.0 {
        return if x == n { 0.0 } else { f64::NEG_INFINITY };
    }
    if x == 0.0 {
        if n == 0.0 {
            return 0.0;
        }
        return if p < 0.1 {
            -bd0(n, n * q) - n * p
        } else {
            n * q.ln()
        };
    }
    if x == n {
        return if q < 0.1 {
            -bd0(n, n * p) - n * q
        } else {
            n * p.ln()
        };
    }
    if x < 0.0 || x > n {
        return f64::NEG_INFINITY;
    }
    let lc = stirlerr(n) - stirlerr(x) - stirlerr(n - x) - bd0(x, n * p) - bd0(n - x, n * q);
    let lf = LN_2PI + x.ln() + (-x / n).ln_1p();
    lc - 0.5 * lf
}

/// Log of the hypergeometric probability of `x` white balls in a draw of `n` from an urn of `r`
/// white and `b` black (R's `dhyper`).
pub fn ln_dhyper(x: u64, r: u64, b: u64, n: u64) -> f64 {
    if x > r || x > n || n - x > b {
        return f64::NEG_INFINITY;
    }
    if n == 0 {
        return 0.0;
    }
    let total = (r + b) as f64;
    let p = n as f64 / total;
    let q = (r + b - n) as f64 / total;
    ln_dbinom(x as f64, r as f64, p, q) + ln_dbinom((n - x) as f64, b as f64, p, q)
        - ln_dbinom(n as f64, total, p, q)
}

/// Log density of the Beta(a, b) distribution at `x` in (0, 1), accurate for large a and b
/// (R's `dbeta`).
pub fn ln_dbeta(x: f64, a: f64, b: f64) -> f64 {
    if a <= 2.0 || b <= 2.0 {
        (a - 1.0) * x.ln() + (b - 1.0) * (-x).ln_1p() - ln_beta(a, b)
    } else {
        (a + b - 1.0).ln() + ln_dbinom(a - 1.0, a + b - 2.0, x, 1.0 - x)
    }
}

fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

/// Continued fraction of the incomplete beta (modified Lentz), iterated to convergence.
fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let qab = a + b;
    let qap = a + 1.0;
    let qam = a - 1.0;
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..10_000_000u64 {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        // Converged, or never will (a NaN or an infinity in the input).
        if (del - 1.0).abs() <= 2.0 * f64::EPSILON || !h.is_finite() {
            break;
        }
    }
    h
}

/// The regularized incomplete beta `I_x(a, b)` and its complement `1 − I_x(a, b)`, each
/// computed directly on its own side so neither loses precision in a tail.
pub fn beta_reg_both(a: f64, b: f64, x: f64) -> (f64, f64) {
    if x <= 0.0 {
        return (0.0, 1.0);
    }
    if x >= 1.0 {
        return (1.0, 0.0);
    }
    // x^a (1−x)^b / B(a, b) = x (1 − x) · dbeta(x; a, b)
    let front = (x.ln() + (-x).ln_1p() + ln_dbeta(x, a, b)).exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        let lower = front * beta_cf(a, b, x) / a;
        (lower, 1.0 - lower)
    } else {
        let upper = front * beta_cf(b, a, 1.0 - x) / b;
        (1.0 - upper, upper)
    }
}

/// The `p` quantile of Beta(a, b): the `x` with `I_x(a, b) = p`, by Newton steps from the mean,
/// kept inside a bracket (falling back to bisection, geometric where the bracket spans orders of
/// magnitude), to full precision.
pub fn beta_quantile(a: f64, b: f64, p: f64) -> f64 {
    if !(a > 0.0 && b > 0.0 && a.is_finite() && b.is_finite() && p.is_finite()) {
        return f64::NAN;
    }
    if p <= 0.0 {
        return 0.0;
    }
    if p >= 1.0 {
        return 1.0;
    }
    let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
    let mut x = a / (a + b);
    for _ in 0..2000 {
        let (lower, upper) = beta_reg_both(a, b, x);
        // Work on the smaller tail for precision.
        let f = if p < 0.5 {
            lower - p
        } else {
            (1.0 - p) - upper
        };
        if f == 0.0 {
            return x;
        }
        if f < 0.0 {
            lo = x;
        } else {
            hi = x;
        }
        let density = ln_dbeta(x, a, b).exp();
        let mut next = x - f / density;
        if !next.is_finite() || next <= lo || next >= hi {
            next = if lo == 0.0 {
                hi / 16.0
            } else if hi == 1.0 {
                1.0 - (1.0 - lo) / 16.0
            } else if hi / lo > 4.0 {
                (lo * hi).sqrt()
            } else {
                0.5 * (lo + hi)
            };
        }
        if (next - x).abs() <= 2.0 * f64::EPSILON * x || hi - lo <= 2.0 * f64::EPSILON * hi {
            return next;
        }
        x = next;
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dbinom_sums_to_one() {
        let total: f64 = (0..=50)
            .map(|k| ln_dbinom(k as f64, 50.0, 0.3, 0.7).exp())
            .sum();
        assert!((total - 1.0).abs() < 1e-14);
    }

    #[test]
    fn dhyper_sums_to_one() {
        let total: f64 = (0..=20).map(|k| ln_dhyper(k, 30, 40, 20).exp()).sum();
        assert!((total - 1.0).abs() < 1e-14);
    }

    #[test]
    fn beta_quantile_inverts_the_cdf() {
        for (a, b, p) in [
            (1.0, 1.0, 0.3),
            (0.5, 9.5, 0.025),
            (3.0, 1e6, 0.975),
            (2.5, 3.5, 0.5),
        ] {
            let x = beta_quantile(a, b, p);
            let (lower, _) = beta_reg_both(a, b, x);
            assert!(
                (lower - p).abs() < 1e-12 * p.max(1e-3),
                "a={a} b={b} p={p}: I={lower}"
            );
        }
    }
}
