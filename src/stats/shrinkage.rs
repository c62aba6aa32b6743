//! Empirical-Bayes shrinkage of small groups' rates toward their attribute's rate: a beta prior
//! fitted to the groups' rates by the method of moments (the beta-binomial model), and each
//! group's posterior mean with its equal-tailed posterior interval. For reading small crossed
//! groups: their raw rates swing with a handful of cases, the shrunk ones borrow strength from
//! the attribute's other groups. Never a substitute for the audited raw numbers.
//!
//! With groups `(xᵢ, nᵢ)`, `N = Σnᵢ`, `p̄ = Σxᵢ/N` and `S = Σ nᵢ(xᵢ/nᵢ − p̄)²`, the between-group
//! variance is `τ² = max(0, (S − (k − 1)·p̄(1 − p̄)) / (N − Σnᵢ²/N − (k − 1)))`: under the
//! beta-binomial a group's observed rate varies by `τ² + (π(1 − π) − τ²)/nᵢ`, so
//! `E S = (k − 1)π(1 − π) + τ²(N − Σnᵢ²/N − (k − 1))` (Kleinman 1973's moment estimator); the prior is
//! `Beta(p̄·m, (1 − p̄)·m)` with `m = p̄(1 − p̄)/τ² − 1`. A group's posterior is
//! `Beta(xᵢ + p̄·m, nᵢ − xᵢ + (1 − p̄)·m)`. With `τ² = 0` (no spread beyond sampling) every group
//! shrinks to `p̄` entirely, and no interval is given.

use super::{special, Ci, Undefined};

/// The fitted prior.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prior {
    pub mean: f64,
    /// τ², the variance of the groups' true rates.
    pub between_variance: f64,
    /// `m = α + β`, the prior's weight in cases; `None` when τ² = 0 (complete pooling).
    pub strength: Option<f64>,
}

/// The prior of groups `(x, n)` (groups with `n = 0` left out). Undefined with fewer than two
/// groups with cases, or a pooled rate of 0 or 1.
pub fn prior(groups: &[(u64, u64)]) -> Result<Prior, Undefined> {
    let g: Vec<(f64, f64)> = groups
        .iter()
        .filter(|&&(_, n)| n > 0)
        .map(|&(x, n)| (x as f64, n as f64))
        .collect();
    if g.len() < 2 {
        return Err(Undefined("needs two groups with cases"));
    }
    let big_n: f64 = g.iter().map(|p| p.1).sum();
    let mean = g.iter().map(|p| p.0).sum::<f64>() / big_n;
    if mean <= 0.0 || mean >= 1.0 {
        return Err(Undefined("the pooled rate is 0 or 1"));
    }
    let s: f64 = g.iter().map(|(x, n)| n * (x / n - mean).powi(2)).sum();
    let k = g.len() as f64;
    let denominator = big_n - g.iter().map(|p| p.1 * p.1).sum::<f64>() / big_n - (k - 1.0);
    if denominator <= 0.0 {
        return Err(Undefined(
            "groups of one case each: no spread can be estimated",
        ));
    }
    let tau2 = ((s - (k - 1.0) * mean * (1.0 - mean)) / denominator).max(0.0);
    // A spread as large as a Bernoulli's leaves a prior of (next to) no weight.
    let strength = (tau2 > 0.0).then(|| (mean * (1.0 - mean) / tau2 - 1.0).max(1e-9));
    Ok(Prior {
        mean,
        between_variance: tau2,
        strength,
    })
}

/// A group's shrunk rate: the posterior mean and, with a proper prior, the equal-tailed
/// posterior interval at `level`.
pub fn shrunk(x: u64, n: u64, prior: &Prior, level: f64) -> (f64, Option<Ci>) {
    let Some(m) = prior.strength else {
        return (prior.mean, None);
    };
    let (a, b) = (
        x as f64 + prior.mean * m,
        (n - x) as f64 + (1.0 - prior.mean) * m,
    );
    let tail = (1.0 - level) / 2.0;
    (
        a / (a + b),
        Some(Ci {
            low: special::beta_quantile(a, b, tail),
            high: special::beta_quantile(a, b, 1.0 - tail),
        }),
    )
}
