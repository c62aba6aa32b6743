//! The score statistics of every group of an attribute at once, by linear sweeps over all cases
//! in ascending score order, instead of gathering and sorting each group's scores. The cases are
//! sorted once; each attribute then costs a few passes. Each function equals its single-group
//! counterpart (`auroc::auroc`, `calibration::average_precision`,
//! `calibration::logistic_recalibration`, `calibration::calibration_in_the_large`) up to the
//! order of summation; the unit tests below hold them to 1e-12.
//!
//! Inputs: `scores` ascending, `outcomes` and `group` (0-based, under `groups`) aligned with it;
//! a case whose group is `groups` or more is skipped.

use super::auroc::Auroc;
use super::calibration::{sigmoid, Recalibration};
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
/// quadratically, so the estimate after such a step is exact to about the square of it (far below
/// 1e-13, the single-group fits' last step); the next pass then computes the information at it
/// for the standard errors. This saves the confirming pass the single-group fits make.
const CONVERGED: f64 = 1e-8;

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

/// Newton passes of the recalibration over every `stride`-th case, from `a`, `b`.
#[allow(clippy::too_many_arguments)]
fn recalibration_passes(
    x: &[f64],
    outcomes: &[bool],
    group: &[u32],
    groups: usize,
    stride: usize,
    state: &mut [Fit],
    a: &mut [f64],
    b: &mut [f64],
    se: &mut [(f64, f64)],
) {
    for _ in 0..202 {
        if !state
            .iter()
            .any(|s| matches!(s, Fit::Fitting | Fit::Finishing))
        {
            break;
        }
        let mut acc = vec![[0.0f64; 5]; groups];
        for ((&xi, &yi), &g) in x.iter().zip(outcomes).zip(group).step_by(stride) {
            let g = g as usize;
            if g >= groups || !matches!(state[g], Fit::Fitting | Fit::Finishing) {
                continue;
            }
            let mu = sigmoid(a[g] + b[g] * xi);
            let w = mu * (1.0 - mu);
            let r = f64::from(u8::from(yi)) - mu;
            let s = &mut acc[g];
            s[0] += r;
            s[1] += r * xi;
            s[2] += w;
            s[3] += w * xi;
            s[4] += w * xi * xi;
        }
        for g in 0..groups {
            let [g0, g1, h00, h01, h11] = acc[g];
            let det = h00 * h11 - h01 * h01;
            match state[g] {
                Fit::Finishing => {
                    se[g] = ((h11 / det).sqrt(), (h00 / det).sqrt());
                    state[g] = Fit::Done;
                }
                Fit::Fitting => {
                    if det.is_nan() || det <= 0.0 {
                        state[g] = Fit::Failed("the recalibration fit is singular");
                        continue;
                    }
                    let da = (h11 * g0 - h01 * g1) / det;
                    let db = (h00 * g1 - h01 * g0) / det;
                    a[g] += da;
                    b[g] += db;
                    if !(a[g].is_finite() && b[g].is_finite()) {
                        state[g] =
                            Fit::Failed("the recalibration fit does not converge (separation)");
                    } else if da.abs().max(db.abs())
                        < CONVERGED * (1.0 + a[g].abs().max(b[g].abs()))
                    {
                        state[g] = Fit::Finishing;
                    }
                }
                _ => {}
            }
        }
    }
}

/// Logistic recalibration `logit P(y) = a + b·x` of every group (`x` = the logit of the score),
/// by Newton–Raphson to a step under 1e-13, all groups in the same passes over the cases.
pub fn logistic_recalibration(
    x: &[f64],
    outcomes: &[bool],
    group: &[u32],
    groups: usize,
) -> Vec<Result<Recalibration, Undefined>> {
    let counts = events(outcomes, group, groups);
    let mut state: Vec<Fit> = counts
        .iter()
        .map(|&(n, e)| {
            if e == 0 || e == n {
                Fit::Failed("needs both outcomes")
            } else {
                Fit::Fitting
            }
        })
        .collect();
    // Constant scores within a group make the fit singular.
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
    for g in 0..groups {
        if state[g] == Fit::Fitting && !varies[g] {
            state[g] = Fit::Failed("scores do not vary");
        }
    }
    let (mut a, mut b) = (vec![0.0f64; groups], vec![1.0f64; groups]);
    let mut se = vec![(0.0f64, 0.0f64); groups];
    // Start from a fit on every WARM_STRIDE-th case: the full passes then need only the last
    // Newton steps. The full-data fit converges to the same estimate either way.
    if x.len() >= WARM_MIN {
        let (mut ws, mut wa, mut wb) = (state.clone(), a.clone(), b.clone());
        let mut wse = se.clone();
        recalibration_passes(
            x,
            outcomes,
            group,
            groups,
            WARM_STRIDE,
            &mut ws,
            &mut wa,
            &mut wb,
            &mut wse,
        );
        for g in 0..groups {
            if ws[g] == Fit::Done {
                (a[g], b[g]) = (wa[g], wb[g]);
            }
        }
    }
    recalibration_passes(
        x, outcomes, group, groups, 1, &mut state, &mut a, &mut b, &mut se,
    );
    (0..groups)
        .map(|g| match state[g] {
            Fit::Done => Ok(Recalibration {
                intercept: a[g],
                slope: b[g],
                se_intercept: se[g].0,
                se_slope: se[g].1,
            }),
            Fit::Failed(why) => Err(Undefined(why)),
            _ => Err(Undefined(
                "the recalibration fit does not converge (separation)",
            )),
        })
        .collect()
}

/// Newton passes of calibration-in-the-large over every `stride`-th case, from `a`.
#[allow(clippy::too_many_arguments)]
fn citl_passes(
    x: &[f64],
    outcomes: &[bool],
    group: &[u32],
    groups: usize,
    stride: usize,
    state: &mut [Fit],
    a: &mut [f64],
    se: &mut [f64],
) {
    for _ in 0..202 {
        if !state
            .iter()
            .any(|s| matches!(s, Fit::Fitting | Fit::Finishing))
        {
            break;
        }
        let mut acc = vec![[0.0f64; 2]; groups];
        for ((&xi, &yi), &g) in x.iter().zip(outcomes).zip(group).step_by(stride) {
            let g = g as usize;
            if g >= groups || !matches!(state[g], Fit::Fitting | Fit::Finishing) {
                continue;
            }
            let mu = sigmoid(a[g] + xi);
            acc[g][0] += f64::from(u8::from(yi)) - mu;
            acc[g][1] += mu * (1.0 - mu);
        }
        for g in 0..groups {
            let [grad, h] = acc[g];
            match state[g] {
                Fit::Finishing => {
                    se[g] = 1.0 / h.sqrt();
                    state[g] = Fit::Done;
                }
                Fit::Fitting => {
                    let d = grad / h;
                    a[g] += d;
                    if !a[g].is_finite() {
                        state[g] =
                            Fit::Failed("the calibration-in-the-large fit does not converge");
                    } else if d.abs() < CONVERGED * (1.0 + a[g].abs()) {
                        state[g] = Fit::Finishing;
                    }
                }
                _ => {}
            }
        }
    }
}

/// Calibration-in-the-large of every group: the intercept `a` of `logit P(y) = a + x` (`x` the
/// score's logit as offset) with its standard error, by Newton–Raphson in shared passes.
pub fn calibration_in_the_large(
    x: &[f64],
    outcomes: &[bool],
    group: &[u32],
    groups: usize,
) -> Vec<Result<(f64, f64), Undefined>> {
    let counts = events(outcomes, group, groups);
    let mut state: Vec<Fit> = counts
        .iter()
        .map(|&(n, e)| {
            if e == 0 || e == n {
                Fit::Failed("needs both outcomes")
            } else {
                Fit::Fitting
            }
        })
        .collect();
    let mut a = vec![0.0f64; groups];
    let mut se = vec![0.0f64; groups];
    if x.len() >= WARM_MIN {
        let (mut ws, mut wa, mut wse) = (state.clone(), a.clone(), se.clone());
        citl_passes(
            x,
            outcomes,
            group,
            groups,
            WARM_STRIDE,
            &mut ws,
            &mut wa,
            &mut wse,
        );
        for g in 0..groups {
            if ws[g] == Fit::Done {
                a[g] = wa[g];
            }
        }
    }
    citl_passes(x, outcomes, group, groups, 1, &mut state, &mut a, &mut se);
    (0..groups)
        .map(|g| match state[g] {
            Fit::Done => Ok((a[g], se[g])),
            Fit::Failed(why) => Err(Undefined(why)),
            _ => Err(Undefined(
                "the calibration-in-the-large fit does not converge",
            )),
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
