//! Corrections for multiple comparisons across a family of p-values.

/// Holm's step-down adjustment (Holm 1979). With the p-values sorted ascending
/// `p(1) ≤ … ≤ p(m)`, `p̃(i) = max_{j ≤ i} min(1, (m − j + 1)·p(j))`; results come back in the
/// input order. Ties keep their input order, so the result is deterministic.
///
/// Reference: `statsmodels.stats.multitest.multipletests(method="holm")`.
/// An empty family gives an empty result; every adjusted p is at least its raw p.
pub fn holm(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&i, &j| p[i].total_cmp(&p[j]).then(i.cmp(&j)));
    let mut adjusted = vec![0.0; m];
    let mut running: f64 = 0.0;
    for (rank, &i) in order.iter().enumerate() {
        let candidate = ((m - rank) as f64 * p[i]).min(1.0);
        running = running.max(candidate);
        adjusted[i] = running;
    }
    adjusted
}

/// Bonferroni: `min(1, m·p)`. Reference: `multipletests(method="bonferroni")`.
pub fn bonferroni(p: &[f64]) -> Vec<f64> {
    let m = p.len() as f64;
    p.iter().map(|&x| (x * m).min(1.0)).collect()
}

/// Benjamini–Hochberg step-up false discovery rate adjustment (1995). With the p-values sorted
/// ascending, `p̃(i) = min_{j ≥ i} min(1, m·p(j)/j)`; results in input order.
///
/// Reference: `statsmodels.stats.multitest.multipletests(method="fdr_bh")`.
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&i, &j| p[i].total_cmp(&p[j]).then(i.cmp(&j)));
    let mut adjusted = vec![0.0; m];
    let mut running: f64 = 1.0;
    for (rank, &i) in order.iter().enumerate().rev() {
        let candidate = (m as f64 * p[i] / (rank + 1) as f64).min(1.0);
        running = running.min(candidate);
        adjusted[i] = running;
    }
    adjusted
}
