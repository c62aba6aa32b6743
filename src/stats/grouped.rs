//! The score statistics of every group of an attribute at once, by linear sweeps over all cases
//! in ascending score order, instead of gathering and sorting each group's scores. The cases are
//! sorted once; each attribute then costs a few passes. AUROC and average precision equal their
//! single-group counterparts (`auroc::auroc`, `calibration::average_precision`) up to the order of
//! summation; the logistic fits are the only implementation (`calibration`'s single-group fits
//! call them with one group), and the unit tests below hold a group's fit among others to its fit
//! alone, to 1e-12.
//!
//! Inputs: `scores` ascending, `outcomes` and `group` (0-based, under `groups`) aligned with it;
//! a case whose group is `groups` or more is skipped.

use super::auroc::Auroc;
use super::calibration::Recalibration;
use super::means::Running;
use super::Undefined;

/// Tie blocks of an ascending slice: `(start, end)` with equal values inside.
fn blocks(scores: &[f64]) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        if i >= scores.len() {
            return None;
        }
        let start = i;
        while i < scores.len() && scores[i] == scores[start] {
            i += 1;
        }
        Some((start, i))
    })
}

/// Cases with and without the outcome of each group within one tie block, and the groups met.
struct Ties {
    positive: Vec<u64>,
    negative: Vec<u64>,
    touched: Vec<usize>,
}

impl Ties {
    fn new(groups: usize) -> Ties {
        Ties {
            positive: vec![0; groups],
            negative: vec![0; groups],
            touched: Vec::new(),
        }
    }

    fn count(&mut self, block: std::ops::Range<usize>, outcomes: &[bool], group: &[u32]) {
        for i in block {
            let g = group[i] as usize;
            if g >= self.positive.len() {
                continue;
            }
            if self.positive[g] == 0 && self.negative[g] == 0 {
                self.touched.push(g);
            }
            if outcomes[i] {
                self.positive[g] += 1;
            } else {
                self.negative[g] += 1;
            }
        }
    }

    fn clear(&mut self) {
        for &g in &self.touched {
            self.positive[g] = 0;
            self.negative[g] = 0;
        }
        self.touched.clear();
    }
}

/// AUROC with DeLong's variance for every group. Placement values: a positive case's is the
/// share of its group's negatives scoring below it (ties half), a negative case's the share of its
/// group's positives scoring above it (ties half) — Sun & Xu's midrank differences.
pub fn auroc(
    scores: &[f64],
    outcomes: &[bool],
    group: &[u32],
    groups: usize,
) -> Vec<Result<Auroc, Undefined>> {
    let counts = events(outcomes, group, groups);
    let pos: Vec<u64> = counts.iter().map(|&(_, e)| e).collect();
    let neg: Vec<u64> = counts.iter().map(|&(n, e)| n - e).collect();
    let (mut pos_below, mut neg_below) = (vec![0u64; groups], vec![0u64; groups]);
    let mut ties = Ties::new(groups);
    let (mut v10, mut v01) = (
        vec![Running::default(); groups],
        vec![Running::default(); groups],
    );
    for (start, end) in blocks(scores) {
        ties.count(start..end, outcomes, group);
        let (pos_tie, neg_tie) = (&ties.positive, &ties.negative);
        for i in start..end {
            let g = group[i] as usize;
            if g >= groups {
                continue;
            }
            if outcomes[i] {
                if neg[g] > 0 {
                    let v = (neg_below[g] as f64 + 0.5 * neg_tie[g] as f64) / neg[g] as f64;
                    v10[g].push(v);
                }
            } else if pos[g] > 0 {
                let above = pos[g] - pos_below[g] - pos_tie[g];
                let v = (above as f64 + 0.5 * pos_tie[g] as f64) / pos[g] as f64;
                v01[g].push(v);
            }
        }
        for &g in &ties.touched {
            pos_below[g] += pos_tie[g];
            neg_below[g] += neg_tie[g];
        }
        ties.clear();
    }
    (0..groups)
        .map(|g| {
            let (m, n) = (pos[g], neg[g]);
            if m == 0 || n == 0 {
                return Err(Undefined("needs both positive and negative cases"));
            }
            if m < 2 || n < 2 {
                return Err(Undefined(
                    "needs at least two positive and two negative cases",
                ));
            }
            let (s10, s01) = (v10[g].summary(), v01[g].summary());
            Ok(Auroc {
                auc: s10.mean,
                variance: s10.variance / m as f64 + s01.variance / n as f64,
                positives: m as usize,
                negatives: n as usize,
            })
        })
        .collect()
}

/// Average precision for every group: `Σ (Rₖ − Rₖ₋₁)·Pₖ` over the group's distinct scores,
/// highest first (ties enter together), as `sklearn.metrics.average_precision_score`.
pub fn average_precision(
    scores: &[f64],
    outcomes: &[bool],
    group: &[u32],
    groups: usize,
) -> Vec<Result<f64, Undefined>> {
    let positives: Vec<u64> = events(outcomes, group, groups)
        .iter()
        .map(|&(_, e)| e)
        .collect();
    let (mut tp, mut fp) = (vec![0u64; groups], vec![0u64; groups]);
    let mut ap = vec![0.0f64; groups];
    let mut ties = Ties::new(groups);
    let all: Vec<(usize, usize)> = blocks(scores).collect();
    for &(start, end) in all.iter().rev() {
        ties.count(start..end, outcomes, group);
        for &g in &ties.touched {
            let (tp_tie, fp_tie) = (ties.positive[g], ties.negative[g]);
            tp[g] += tp_tie;
            fp[g] += fp_tie;
            if tp_tie > 0 {
                let recall_step = tp_tie as f64 / positives[g] as f64;
                ap[g] += recall_step * (tp[g] as f64 / (tp[g] + fp[g]) as f64);
            }
        }
        ties.clear();
    }
    (0..groups)
        .map(|g| {
            if positives[g] == 0 {
                Err(Undefined("no positive cases"))
            } else {
                Ok(ap[g])
            }
        })
        .collect()
}

#[derive(Clone, Copy, PartialEq)]
enum Fit {
    /// Taking Newton steps.
    Fitting,
    /// Converged: the next pass computes the information at the solution for the standard errors.
    Finishing,
    Done,
    Failed(&'static str),
}

/// A Newton step under this (relative to the estimate) ends the steps. Newton converges
/// quadratically, so the estimate after such a step is exact to about the square of it; the next
/// pass computes the information at it for the standard errors, and takes one more Newton step
/// from the same sums.
const CONVERGED: f64 = 1e-8;

/// Passes over the cases at most (Newton steps and step halvings together).
const MAX_PASSES: usize = 400;

/// Halvings of one step at most before the fit is declared not to converge.
const MAX_HALVINGS: u32 = 60;

/// Fits on this many cases or more start from a fit on every `WARM_STRIDE`-th case.
const WARM_MIN: usize = 100_000;
const WARM_STRIDE: usize = 32;

/// Cases and events per group, for the both-outcomes check.
fn events(outcomes: &[bool], group: &[u32], groups: usize) -> Vec<(u64, u64)> {
    let mut out = vec![(0u64, 0u64); groups];
    for (&y, &g) in outcomes.iter().zip(group) {
        if (g as usize) < groups {
            out[g as usize].0 += 1;
            out[g as usize].1 += u64::from(y);
        }
    }
    out
}

/// One group's logistic fit `logit P(y) = a + b·x` by damped Newton: a full Newton step is kept
/// when it does not lower the log-likelihood, and otherwise halved until it no longer lowers it
/// (step-halving on the likelihood, as glm2's `glm.fit2`, Marschner 2011), so the fit converges
/// from its start wherever the maximum exists. With a
/// fixed slope (`b` = 1, calibration-in-the-large) only `a` moves.
#[derive(Clone, Copy)]
struct Damped {
    theta: [f64; 2],
    state: Fit,
    /// The last accepted point and its log-likelihood.
    accepted: Option<([f64; 2], f64)>,
    step: [f64; 2],
    halvings: u32,
    /// The standard errors at the solution (the second is 0 with a fixed slope).
    se: [f64; 2],
    /// The log-likelihood at the solution (the finishing pass's, within about the square of a
    /// step under 1e-8 of the maximum).
    loglik: f64,
}

/// What one pass sums for a group at its current point: the log-likelihood, the gradient in
/// `a` and `b`, and the information entries `Σw`, `Σw·x`, `Σw·x²`.
type Sums = [f64; 6];

impl Damped {
    fn new(state: Fit, theta: [f64; 2]) -> Damped {
        Damped {
            theta,
            state,
            accepted: None,
            step: [0.0; 2],
            halvings: 0,
            se: [0.0; 2],
            loglik: f64::NAN,
        }
    }

    /// The finished fit as a recalibration, or why there is none.
    fn recalibration(&self, failure: &'static str) -> Result<Recalibration, Undefined> {
        match self.state {
            Fit::Done => Ok(Recalibration {
                intercept: self.theta[0],
                slope: self.theta[1],
                se_intercept: self.se[0],
                se_slope: self.se[1],
                log_likelihood: self.loglik,
            }),
            Fit::Failed(why) => Err(Undefined(why)),
            _ => Err(Undefined(failure)),
        }
    }

    fn active(&self) -> bool {
        matches!(self.state, Fit::Fitting | Fit::Finishing)
    }

    /// Take the pass's sums at the current point: finish, accept and step, or halve the step.
    fn update(&mut self, s: Sums, free_slope: bool, failure: &'static str) {
        let [ll, g0, g1, h00, h01, h11] = s;
        let det = if free_slope {
            h00 * h11 - h01 * h01
        } else {
            h00
        };
        let newton = if free_slope {
            [(h11 * g0 - h01 * g1) / det, (h00 * g1 - h01 * g0) / det]
        } else {
            [g0 / h00, 0.0]
        };
        if self.state == Fit::Finishing {
            self.loglik = ll;
            self.finish(newton, [h00, h11, det], free_slope);
        } else if self.worse(ll) {
            self.halve(failure);
        } else if det.is_nan() || det <= 0.0 {
            self.state = Fit::Failed(if free_slope {
                "the recalibration fit is singular"
            } else {
                failure
            });
        } else {
            self.step_to(newton, ll, failure);
        }
    }

    /// The information at the solution gives the standard errors, and its gradient one last
    /// Newton step, free (the error left is about the square of a step already under 1e-8).
    fn finish(&mut self, newton: [f64; 2], [h00, h11, det]: [f64; 3], free_slope: bool) {
        self.se = if free_slope {
            [(h11 / det).sqrt(), (h00 / det).sqrt()]
        } else {
            [1.0 / h00.sqrt(), 0.0]
        };
        if newton.iter().all(|d| d.is_finite()) {
            self.theta = [self.theta[0] + newton[0], self.theta[1] + newton[1]];
        }
        self.state = Fit::Done;
    }

    /// Whether the log-likelihood here is below the last accepted point's (beyond rounding).
    fn worse(&self, ll: f64) -> bool {
        self.accepted
            .is_some_and(|(_, prev)| ll.is_nan() || ll < prev - 1e-12 * (1.0 + prev.abs()))
    }

    /// Go back to the last accepted point and take half the step from there.
    fn halve(&mut self, failure: &'static str) {
        let Some((prev, _)) = self.accepted else {
            return;
        };
        self.halvings += 1;
        if self.halvings > MAX_HALVINGS {
            self.state = Fit::Failed(failure);
        }
        self.step = self.step.map(|d| d / 2.0);
        self.theta = [prev[0] + self.step[0], prev[1] + self.step[1]];
    }

    /// Accept the current point and take the full Newton step from it.
    fn step_to(&mut self, newton: [f64; 2], ll: f64, failure: &'static str) {
        self.step = newton;
        self.accepted = Some((self.theta, ll));
        self.halvings = 0;
        self.theta = [self.theta[0] + newton[0], self.theta[1] + newton[1]];
        let [a, b] = self.theta;
        if !(a.is_finite() && b.is_finite()) {
            self.state = Fit::Failed(failure);
        } else if newton[0].abs().max(newton[1].abs()) < CONVERGED * (1.0 + a.abs().max(b.abs())) {
            self.state = Fit::Finishing;
        }
    }
}

/// The log-likelihood term, residual and weight of one case at linear predictor `eta`, from one
/// exponential: `y·η − ln(1 + e^η)`, `y − μ`, `μ(1 − μ)`.
fn case_terms(eta: f64, y: bool) -> (f64, f64, f64) {
    let e = (-eta.abs()).exp();
    let mu = if eta >= 0.0 {
        1.0 / (1.0 + e)
    } else {
        e / (1.0 + e)
    };
    let y = f64::from(u8::from(y));
    (
        y * eta - (eta.max(0.0) + e.ln_1p()),
        y - mu,
        mu * (1.0 - mu),
    )
}

/// Damped Newton passes over every `stride`-th case until each group is done or failed.
#[allow(clippy::too_many_arguments)]
fn fit_passes(
    x: &[f64],
    outcomes: &[bool],
    group: &[u32],
    stride: usize,
    fits: &mut [Damped],
    free_slope: bool,
    failure: &'static str,
    shared: Option<usize>,
) {
    let add = |s: &mut Sums, f: &Damped, xi: f64, yi: bool| {
        let [a, b] = f.theta;
        let (ll, r, w) = case_terms(a + b * xi, yi);
        s[0] += ll;
        s[1] += r;
        s[2] += r * xi;
        s[3] += w;
        s[4] += w * xi;
        s[5] += w * xi * xi;
    };
    for _ in 0..MAX_PASSES {
        if !fits.iter().any(Damped::active) {
            return;
        }
        let mut acc = vec![[0.0f64; 6]; fits.len()];
        for ((&xi, &yi), &g) in x.iter().zip(outcomes).zip(group).step_by(stride) {
            let g = g as usize;
            if Some(g) == shared {
                // A shared case belongs to every other fit.
                for (s, f) in acc.iter_mut().zip(fits.iter()).filter(|(_, f)| f.active()) {
                    add(s, f, xi, yi);
                }
            } else if g < fits.len() && fits[g].active() {
                add(&mut acc[g], &fits[g], xi, yi);
            }
        }
        for (f, s) in fits.iter_mut().zip(acc) {
            if f.active() {
                f.update(s, free_slope, failure);
            }
        }
    }
    for f in fits.iter_mut().filter(|f| f.active()) {
        f.state = Fit::Failed(failure);
    }
}

/// Every group's fit, from `start`: on many cases first on every `WARM_STRIDE`-th case, so the
/// full passes need only the last Newton steps (the full-data fit converges to the same estimate
/// either way).
fn fit_groups(
    x: &[f64],
    outcomes: &[bool],
    group: &[u32],
    mut fits: Vec<Damped>,
    (free_slope, shared): (bool, Option<usize>),
    failure: &'static str,
) -> Vec<Damped> {
    if x.len() >= WARM_MIN {
        let mut warm = fits.clone();
        fit_passes(
            x,
            outcomes,
            group,
            WARM_STRIDE,
            &mut warm,
            free_slope,
            failure,
            shared,
        );
        for (f, w) in fits.iter_mut().zip(&warm) {
            if w.state == Fit::Done {
                f.theta = w.theta;
            }
        }
    }
    fit_passes(
        x, outcomes, group, 1, &mut fits, free_slope, failure, shared,
    );
    fits
}

/// The starting state of each group: failed without both outcomes (or, for a free slope, with
/// constant scores), fitting otherwise.
fn start_states(
    x: &[f64],
    outcomes: &[bool],
    group: &[u32],
    groups: usize,
    free_slope: bool,
) -> Vec<Fit> {
    let mut first = vec![f64::NAN; groups];
    let mut varies = vec![false; groups];
    for (&xi, &g) in x.iter().zip(group) {
        let g = g as usize;
        if g < groups {
            if first[g].is_nan() {
                first[g] = xi;
            } else if xi != first[g] {
                varies[g] = true;
            }
        }
    }
    events(outcomes, group, groups)
        .iter()
        .zip(varies)
        .map(|(&(n, e), varies)| {
            if e == 0 || e == n {
                Fit::Failed("needs both outcomes")
            } else if free_slope && !varies {
                Fit::Failed("scores do not vary")
            } else {
                Fit::Fitting
            }
        })
        .collect()
}

/// Logistic recalibration `logit P(y) = a + b·x` of every group (`x` = the logit of the score),
/// by damped Newton from `a = 0, b = 1` to a step under 1e-8 (then exact to about its square),
/// all groups in the same passes over the cases.
pub fn logistic_recalibration(
    x: &[f64],
    outcomes: &[bool],
    group: &[u32],
    groups: usize,
) -> Vec<Result<Recalibration, Undefined>> {
    const FAILURE: &str = "the recalibration fit does not converge (separation)";
    let fits = start_states(x, outcomes, group, groups, true)
        .into_iter()
        .map(|s| Damped::new(s, [0.0, 1.0]))
        .collect();
    fit_groups(x, outcomes, group, fits, (true, None), FAILURE)
        .into_iter()
        .map(|f| f.recalibration(FAILURE))
        .collect()
}

/// The recalibration of each group's cases together with the reference group's (entry `g`:
/// group `g` and `reference` in one fit; the reference's own entry is undefined), all in shared
/// passes: the null model of the likelihood-ratio test that a group and the reference share one
/// calibration line (see [`calibration_versus`]).
pub fn paired_recalibration(
    x: &[f64],
    outcomes: &[bool],
    group: &[u32],
    groups: usize,
    reference: usize,
) -> Vec<Result<Recalibration, Undefined>> {
    const FAILURE: &str = "the recalibration fit does not converge (separation)";
    let counts = events(outcomes, group, groups);
    let (rn, re) = counts.get(reference).copied().unwrap_or((0, 0));
    let fits = (0..groups)
        .map(|g| {
            let (n, e) = (counts[g].0 + rn, counts[g].1 + re);
            let state = if g == reference || counts[g].0 == 0 {
                Fit::Failed("no pair")
            } else if e == 0 || e == n {
                Fit::Failed("needs both outcomes")
            } else {
                Fit::Fitting
            };
            Damped::new(state, [0.0, 1.0])
        })
        .collect();
    fit_groups(x, outcomes, group, fits, (true, Some(reference)), FAILURE)
        .into_iter()
        .map(|f| f.recalibration(FAILURE))
        .collect()
}

/// A group's calibration line against the reference's: the likelihood-ratio test that they are
/// one line (`2·(ℓ_g + ℓ_r − ℓ_pooled)`, 2 degrees of freedom: intercept and slope), and the
/// differences in calibration-in-the-large and slope with their Wald standard errors (the two
/// groups' fits are independent).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CalibrationVersus {
    pub statistic: f64,
    pub p_value: f64,
    pub slope_difference: f64,
    pub se_slope_difference: f64,
}

/// The test from the group's, the reference's and the pooled fits.
pub fn calibration_versus(
    g: &Recalibration,
    r: &Recalibration,
    pooled: &Recalibration,
) -> CalibrationVersus {
    let statistic = (2.0 * (g.log_likelihood + r.log_likelihood - pooled.log_likelihood)).max(0.0);
    CalibrationVersus {
        statistic,
        p_value: super::dist::chi2_sf(statistic, 2.0),
        slope_difference: g.slope - r.slope,
        se_slope_difference: g.se_slope.hypot(r.se_slope),
    }
}

/// The integrated calibration index of every group under its logistic calibration curve:
/// `mean |expit(a + b·x) − p|` over the group's cases (`x` the logit of the score `p`, `a` and `b`
/// the group's recalibration; Austin & Steyerberg 2019 smooth the curve by loess instead). The
/// average distance between what the score says and what the group's outcomes show; `None`
/// where the group has no fit.
pub fn integrated_calibration_index(
    x: &[f64],
    scores: &[f64],
    group: &[u32],
    fits: &[Result<Recalibration, Undefined>],
) -> Vec<Option<f64>> {
    let mut sums = vec![(0.0f64, 0u64); fits.len()];
    for ((&xi, &p), &g) in x.iter().zip(scores).zip(group) {
        if let Some(Ok(f)) = fits.get(g as usize) {
            let s = &mut sums[g as usize];
            s.0 += (super::calibration::sigmoid(f.intercept + f.slope * xi) - p).abs();
            s.1 += 1;
        }
    }
    sums.iter()
        .zip(fits)
        .map(|(&(sum, n), f)| (f.is_ok() && n > 0).then(|| sum / n as f64))
        .collect()
}

/// Calibration-in-the-large of every group: the intercept `a` of `logit P(y) = a + x` (`x` the
/// score's logit as offset) with its standard error, by damped Newton in shared passes.
pub fn calibration_in_the_large(
    x: &[f64],
    outcomes: &[bool],
    group: &[u32],
    groups: usize,
) -> Vec<Result<(f64, f64), Undefined>> {
    const FAILURE: &str = "the calibration-in-the-large fit does not converge";
    let fits = start_states(x, outcomes, group, groups, false)
        .into_iter()
        .map(|s| Damped::new(s, [0.0, 1.0]))
        .collect();
    fit_groups(x, outcomes, group, fits, (false, None), FAILURE)
        .into_iter()
        .map(|f| match f.state {
            Fit::Done => Ok((f.theta[0], f.se[0])),
            Fit::Failed(why) => Err(Undefined(why)),
            _ => Err(Undefined(FAILURE)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{auroc as single_auroc, calibration};
    use rand::{Rng, SeedableRng};

    /// Random grouped cases with heavy ties, sorted by score.
    fn cases(seed: u64, n: usize, groups: u32) -> (Vec<f64>, Vec<bool>, Vec<u32>) {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut rows: Vec<(f64, bool, u32)> = (0..n)
            .map(|_| {
                let g = rng.random_range(0..groups + 1); // `groups` itself: a skipped case
                let y = rng.random_bool(0.2 + 0.1 * f64::from(g % 3));
                let raw: f64 = rng.random::<f64>() * 0.6 + if y { 0.3 } else { 0.0 };
                let s = if rng.random_bool(0.5) {
                    (raw * 20.0).round() / 20.0
                } else {
                    raw
                };
                (s.clamp(0.0, 1.0), y, g)
            })
            .collect();
        rows.sort_by(|a, b| a.0.total_cmp(&b.0));
        (
            rows.iter().map(|r| r.0).collect(),
            rows.iter().map(|r| r.1).collect(),
            rows.iter().map(|r| r.2).collect(),
        )
    }

    fn of_group(s: &[f64], y: &[bool], g: &[u32], k: u32) -> (Vec<f64>, Vec<bool>) {
        let idx: Vec<usize> = (0..s.len()).filter(|&i| g[i] == k).collect();
        (
            idx.iter().map(|&i| s[i]).collect(),
            idx.iter().map(|&i| y[i]).collect(),
        )
    }

    #[track_caller]
    fn close(a: f64, b: f64) {
        assert!(
            (a - b).abs() <= 1e-12 * a.abs().max(b.abs()) + 1e-15,
            "{a} vs {b}"
        );
    }

    #[test]
    fn grouped_statistics_equal_the_single_group_ones() {
        for seed in 0..20 {
            let n = [3, 10, 50, 400, 3000][seed as usize % 5];
            let (s, y, g) = cases(seed, n, 4);
            let x: Vec<f64> = s.iter().map(|&p| calibration::logit(p)).collect();
            let au = auroc(&s, &y, &g, 4);
            let ap = average_precision(&s, &y, &g, 4);
            let rc = logistic_recalibration(&x, &y, &g, 4);
            let citl = calibration_in_the_large(&x, &y, &g, 4);
            for k in 0..4u32 {
                let (sk, yk) = of_group(&s, &y, &g, k);
                let pos: Vec<f64> = sk.iter().zip(&yk).filter(|p| *p.1).map(|p| *p.0).collect();
                let neg: Vec<f64> = sk.iter().zip(&yk).filter(|p| !*p.1).map(|p| *p.0).collect();
                match (single_auroc::auroc(&pos, &neg), &au[k as usize]) {
                    (Ok(a), Ok(b)) => {
                        close(a.auc, b.auc);
                        close(a.variance, b.variance);
                    }
                    (Err(a), Err(b)) => assert_eq!(a, *b),
                    (a, b) => panic!("{a:?} vs {b:?}"),
                }
                match (calibration::average_precision(&sk, &yk), &ap[k as usize]) {
                    (Ok(a), Ok(b)) => close(a, *b),
                    (Err(a), Err(b)) => assert_eq!(a, *b),
                    (a, b) => panic!("{a:?} vs {b:?}"),
                }
                match (
                    calibration::logistic_recalibration(&sk, &yk),
                    &rc[k as usize],
                ) {
                    (Ok(a), Ok(b)) => {
                        close(a.intercept, b.intercept);
                        close(a.slope, b.slope);
                        close(a.se_intercept, b.se_intercept);
                        close(a.se_slope, b.se_slope);
                    }
                    (Err(a), Err(b)) => assert_eq!(a, *b),
                    (a, b) => panic!("{a:?} vs {b:?}"),
                }
                match (
                    calibration::calibration_in_the_large(&sk, &yk),
                    &citl[k as usize],
                ) {
                    (Ok(a), Ok(b)) => {
                        close(a.0, b.0);
                        close(a.1, b.1);
                    }
                    (Err(a), Err(b)) => assert_eq!(a, *b),
                    (a, b) => panic!("{a:?} vs {b:?}"),
                }
            }
        }
    }

    #[test]
    fn warm_started_fits_on_many_cases_equal_the_single_group_ones() {
        let (s, y, g) = cases(99, 250_000, 3);
        let x: Vec<f64> = s.iter().map(|&p| calibration::logit(p)).collect();
        let rc = logistic_recalibration(&x, &y, &g, 3);
        let citl = calibration_in_the_large(&x, &y, &g, 3);
        for k in 0..3u32 {
            let (sk, yk) = of_group(&s, &y, &g, k);
            let a = calibration::logistic_recalibration(&sk, &yk).unwrap();
            let b = rc[k as usize].unwrap();
            close(a.intercept, b.intercept);
            close(a.slope, b.slope);
            close(a.se_intercept, b.se_intercept);
            close(a.se_slope, b.se_slope);
            let (c0, c1) = calibration::calibration_in_the_large(&sk, &yk).unwrap();
            let (d0, d1) = citl[k as usize].unwrap();
            close(c0, d0);
            close(c1, d1);
        }
    }
}
