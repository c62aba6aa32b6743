//! Calibration and ranking summaries of a risk score against binary outcomes: logistic
//! recalibration (calibration intercept and slope), calibration-in-the-large, the Brier score and
//! average precision. Inputs are the scores and outcomes of one group.
//!
//! Scores of exactly 0 or 1 have no logit; they are clamped to [1e-12, 1 − 1e-12] first.

use super::{dist, Ci, Undefined};

pub fn logit(p: f64) -> f64 {
    let p = p.clamp(1e-12, 1.0 - 1e-12);
    (p / (1.0 - p)).ln()
}

/// The logistic function, without overflow for large |x|.
pub fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// A fitted logistic recalibration `logit P(y) = intercept + slope · logit(score)`, with the
/// standard errors from the inverse information.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Recalibration {
    pub intercept: f64,
    pub slope: f64,
    pub se_intercept: f64,
    pub se_slope: f64,
    /// The log-likelihood at the fit.
    pub log_likelihood: f64,
}

/// Logistic recalibration by damped Newton (step-halving on the log-likelihood), to a step under
/// 1e-8 (then exact to about its square). A perfectly calibrated score gives intercept 0 and
/// slope 1; a slope under 1 means predictions too extreme. One group's case of
/// [`super::grouped::logistic_recalibration`].
///
/// Reference: `statsmodels.api.Logit(y, add_constant(logit(p))).fit(method="newton")`.
/// Undefined without both outcomes, with constant scores, or when the fit does not converge
/// (perfect separation).
pub fn logistic_recalibration(
    scores: &[f64],
    outcomes: &[bool],
) -> Result<Recalibration, Undefined> {
    let x: Vec<f64> = scores.iter().map(|&p| logit(p)).collect();
    let group = vec![0u32; x.len()];
    super::grouped::logistic_recalibration(&x, outcomes, &group, 1)
        .pop()
        .expect("one group")
}

/// Calibration-in-the-large: the intercept `a` of `logit P(y) = a + logit(score)` (slope fixed at
/// 1, the score as an offset), with its standard error. 0 when the mean prediction matches the
/// event rate on the logit scale; positive when the score under-predicts. One group's case of
/// [`super::grouped::calibration_in_the_large`].
///
/// Reference: `statsmodels.api.Logit(y, ones, offset=logit(p)).fit(method="newton")`.
pub fn calibration_in_the_large(
    scores: &[f64],
    outcomes: &[bool],
) -> Result<(f64, f64), Undefined> {
    let x: Vec<f64> = scores.iter().map(|&p| logit(p)).collect();
    let group = vec![0u32; x.len()];
    super::grouped::calibration_in_the_large(&x, outcomes, &group, 1)
        .pop()
        .expect("one group")
}

/// Brier score `mean((score − y)²)`. Reference: `sklearn.metrics.brier_score_loss`.
pub fn brier(scores: &[f64], outcomes: &[bool]) -> Result<f64, Undefined> {
    if scores.is_empty() {
        return Err(Undefined("no cases"));
    }
    Ok(scores
        .iter()
        .zip(outcomes)
        .map(|(&p, &y)| (p - f64::from(u8::from(y))).powi(2))
        .sum::<f64>()
        / scores.len() as f64)
}

/// Average precision `Σ (Rₖ − Rₖ₋₁)·Pₖ` over the distinct score thresholds, highest first (ties
/// enter together), as `sklearn.metrics.average_precision_score`. Undefined without positives.
pub fn average_precision(scores: &[f64], outcomes: &[bool]) -> Result<f64, Undefined> {
    let positives = outcomes.iter().filter(|&&y| y).count();
    if positives == 0 {
        return Err(Undefined("no positive cases"));
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&i, &j| scores[j].total_cmp(&scores[i]));
    let (mut tp, mut fp) = (0usize, 0usize);
    let (mut ap, mut last_recall) = (0.0, 0.0);
    let mut k = 0;
    while k < order.len() {
        let s = scores[order[k]];
        while k < order.len() && scores[order[k]] == s {
            if outcomes[order[k]] {
                tp += 1;
            } else {
                fp += 1;
            }
            k += 1;
        }
        let recall = tp as f64 / positives as f64;
        let precision = tp as f64 / (tp + fp) as f64;
        ap += (recall - last_recall) * precision;
        last_recall = recall;
    }
    Ok(ap)
}

/// The observed/expected ratio `O/E = Σy / Σscore` with the interval
/// `exp(ln(O/E) ± z·√((1 − O/N)/O))` (the binomial variance of `ln O`; Debray et al., BMJ 2017,
/// 356:i6460). Returns the ratio, its interval and the standard error of its logarithm.
/// Undefined without events, when every case is an event, or when the expected count is 0.
pub fn observed_expected(
    observed: f64,
    expected: f64,
    n: f64,
    level: f64,
) -> Result<(f64, Ci, f64), Undefined> {
    if observed <= 0.0 {
        return Err(Undefined("no observed events"));
    }
    if observed >= n {
        return Err(Undefined("every case had the outcome"));
    }
    if expected <= 0.0 {
        return Err(Undefined("the expected count is zero"));
    }
    let ratio = observed / expected;
    let se = ((1.0 - observed / n) / observed).sqrt();
    Ok((ratio, Ci::wald_log(ratio, se, level), se))
}

/// One bin of a reliability table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReliabilityBin {
    pub low: f64,
    pub high: f64,
    pub n: u64,
    pub events: u64,
    /// Mean score in the bin (0 when empty).
    pub mean_score: f64,
}

/// Equal-width reliability bins of [0, 1] filled case by case, assigned as
/// `sklearn.calibration.calibration_curve` (`strategy="uniform"`): edges `k·(1/B)`, a score on an
/// inner edge belongs to the bin below it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReliabilityTable {
    edges: Vec<f64>,
    n: Vec<u64>,
    events: Vec<u64>,
    sums: Vec<f64>,
}

impl ReliabilityTable {
    pub fn new(bins: usize) -> ReliabilityTable {
        let step = 1.0 / bins as f64;
        ReliabilityTable {
            edges: (1..bins).map(|k| k as f64 * step).collect(),
            n: vec![0; bins],
            events: vec![0; bins],
            sums: vec![0.0; bins],
        }
    }

    pub fn add(&mut self, p: f64, y: bool) {
        let b = self.edges.partition_point(|&e| e < p);
        self.n[b] += 1;
        self.events[b] += u64::from(y);
        self.sums[b] += p;
    }

    pub fn bins(&self) -> Vec<ReliabilityBin> {
        let bins = self.n.len();
        (0..bins)
            .map(|b| ReliabilityBin {
                low: if b == 0 { 0.0 } else { self.edges[b - 1] },
                high: if b + 1 == bins { 1.0 } else { self.edges[b] },
                n: self.n[b],
                events: self.events[b],
                mean_score: if self.n[b] > 0 {
                    self.sums[b] / self.n[b] as f64
                } else {
                    0.0
                },
            })
            .collect()
    }
}

/// The reliability bins of one group's scores (see [`ReliabilityTable`]).
pub fn reliability(scores: &[f64], outcomes: &[bool], bins: usize) -> Vec<ReliabilityBin> {
    let mut t = ReliabilityTable::new(bins);
    for (&p, &y) in scores.iter().zip(outcomes) {
        t.add(p, y);
    }
    t.bins()
}

/// Expected calibration error `Σ_b (n_b/N)·|events_b/n_b − mean score_b|` over the non-empty
/// bins. Undefined without cases.
pub fn expected_calibration_error(bins: &[ReliabilityBin]) -> Result<f64, Undefined> {
    let total: u64 = bins.iter().map(|b| b.n).sum();
    if total == 0 {
        return Err(Undefined("no cases"));
    }
    Ok(bins
        .iter()
        .filter(|b| b.n > 0)
        .map(|b| (b.n as f64 / total as f64) * (b.events as f64 / b.n as f64 - b.mean_score).abs())
        .sum())
}

/// Boyd, Eng & Page (2013) logit interval for average precision:
/// `expit(logit(AP) ± z/√(n₊·AP·(1−AP)))`, with `n₊` the positive cases. Undefined at AP 0 or 1.
pub fn average_precision_ci(ap: f64, positives: u64, level: f64) -> Result<Ci, Undefined> {
    if ap <= 0.0 || ap >= 1.0 || positives == 0 {
        return Err(Undefined("average precision is 0 or 1: no logit interval"));
    }
    let eta = (ap / (1.0 - ap)).ln();
    let tau = 1.0 / (positives as f64 * ap * (1.0 - ap)).sqrt();
    let z = dist::z_for_level(level);
    let expit = |x: f64| 1.0 / (1.0 + (-x).exp());
    Ok(Ci {
        low: expit(eta - z * tau),
        high: expit(eta + z * tau),
    })
}
