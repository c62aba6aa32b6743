//! Discrimination of a risk score: the area under the ROC curve with DeLong's variance.
//!
//! AUROC is the Mann–Whitney probability that a random positive case scores above a random
//! negative one, ties counted half. DeLong, DeLong & Clarke-Pearson (1988) give its variance from
//! the placement values; the fast algorithm of Sun & Xu (2014) computes them from midranks in
//! O(n log n). Two independent groups' AUROCs are compared by a z-test on the difference with the
//! sum of the two variances.

use super::{dist, Ci, Undefined};

/// Midranks (1-based, ties get the mean of their ranks) of `x`.
fn midranks(x: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut ranks = vec![0.0; x.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && x[order[j + 1]] == x[order[i]] {
            j += 1;
        }
        let mid = (i + j) as f64 / 2.0 + 1.0;
        for k in i..=j {
            ranks[order[k]] = mid;
        }
        i = j + 1;
    }
    ranks
}

/// AUROC with DeLong's variance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Auroc {
    pub auc: f64,
    pub variance: f64,
    pub positives: usize,
    pub negatives: usize,
}

/// AUROC of `positives`' scores against `negatives`' (Mann–Whitney, ties half) and its DeLong
/// variance by Sun & Xu's midrank algorithm.
///
/// Reference: `sklearn.metrics.roc_auc_score` for the AUC; an independent implementation of
/// Sun & Xu in the fixture script for the variance. Undefined without both classes; the
/// variance needs at least two of each.
pub fn auroc(positives: &[f64], negatives: &[f64]) -> Result<Auroc, Undefined> {
    let (m, n) = (positives.len(), negatives.len());
    if m == 0 || n == 0 {
        return Err(Undefined("needs both positive and negative cases"));
    }
    let all: Vec<f64> = positives.iter().chain(negatives).copied().collect();
    let tz = midranks(&all);
    let tx = midranks(positives);
    let ty = midranks(negatives);
    let (mf, nf) = (m as f64, n as f64);
    let auc = tz[..m].iter().sum::<f64>() / (mf * nf) - (mf + 1.0) / (2.0 * nf);
    // Placement values: v10 for each positive, v01 for each negative.
    let v10: Vec<f64> = (0..m).map(|i| (tz[i] - tx[i]) / nf).collect();
    let v01: Vec<f64> = (0..n).map(|j| 1.0 - (tz[m + j] - ty[j]) / mf).collect();
    let var = |v: &[f64]| {
        if v.len() < 2 {
            return f64::NAN;
        }
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (v.len() - 1) as f64
    };
    let variance = var(&v10) / mf + var(&v01) / nf;
    if !variance.is_finite() {
        return Err(Undefined(
            "needs at least two positive and two negative cases",
        ));
    }
    Ok(Auroc {
        auc,
        variance,
        positives: m,
        negatives: n,
    })
}

/// DeLong interval `AUC ± z·√Var`, clipped to [0, 1].
pub fn auroc_ci(a: &Auroc, level: f64) -> Ci {
    let half = dist::z_for_level(level) * a.variance.sqrt();
    Ci {
        low: (a.auc - half).max(0.0),
        high: (a.auc + half).min(1.0),
    }
}

/// DeLong's test for two independent groups: `z = (AUC1 − AUC0)/√(Var1 + Var0)`, two-sided.
/// Undefined when both variances are zero.
pub fn delong_independent(g: &Auroc, r: &Auroc) -> Result<(f64, f64), Undefined> {
    let se = (g.variance + r.variance).sqrt();
    if se <= 0.0 {
        return Err(Undefined("both AUROCs have zero variance"));
    }
    let z = (g.auc - r.auc) / se;
    Ok((z, dist::normal_two_sided_p(z)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_and_reversed_and_tied_scores() {
        assert_eq!(auroc(&[0.9, 0.8], &[0.1, 0.2]).unwrap().auc, 1.0);
        assert_eq!(auroc(&[0.1, 0.2], &[0.9, 0.8]).unwrap().auc, 0.0);
        assert_eq!(auroc(&[0.5, 0.5], &[0.5, 0.5]).unwrap().auc, 0.5);
        assert!(auroc(&[], &[0.1]).is_err());
    }
}
