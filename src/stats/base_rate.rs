//! How much of a selection-rate gap follows the base rate, and how much the tool adds.
//!
//! A group's selection rate is `S = P·TPR + (1 − P)·FPR` (`P` its prevalence). Against a
//! reference group `r`, the gap `S_g − S_r` splits exactly into
//! - the part that follows the base rate, `(P_g − P_r)·(TPR_r − FPR_r)`: the gap the group would
//!   have if the tool treated its patients with and without the outcome as it treats the
//!   reference's (the group's selection rate at the reference's error rates, less the
//!   reference's), and
//! - the part due to the tool, `S_g − [P_g·TPR_r + (1 − P_g)·FPR_r]`
//!   `= P_g·(TPR_g − TPR_r) + (1 − P_g)·(FPR_g − FPR_r)`: the group's error rates against the
//!   reference's, weighted by the group's own case mix.
//!
//! Each part has a Wald interval from the delta method, the two groups' cell counts being
//! independent multinomials: `Var = Σ_groups (Σᵢ ∂ᵢ²·pᵢ − (Σᵢ ∂ᵢ·pᵢ)²)/n` over the cells
//! `(tp, fp, fn, tn)`. Reference: the same variance from complex-step derivatives in numpy
//! (`tests/reference/make_base_rate_reference.py`).
//!
//! Excess missed cases: `positives_g · (FNR_g − FNR_r)`, the group's patients with the outcome the
//! tool missed beyond what the reference group's miss rate would miss, with Newcombe's interval
//! of the difference in miss rates scaled by the group's positives (conditional on them).

use super::{two_sample, Ci, Undefined};

/// Confusion cells `[tp, fp, fn, tn]`.
pub type Cells = [u64; 4];

/// A selection-rate gap and its two parts, each with its delta-method standard error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Split {
    pub gap: f64,
    pub base_rate: f64,
    pub tool: f64,
    pub se_gap: f64,
    pub se_base_rate: f64,
    pub se_tool: f64,
}

/// Proportions of the four cells and their total.
fn shares(c: &Cells) -> ([f64; 4], f64) {
    let n: u64 = c.iter().sum();
    let n = n as f64;
    (c.map(|x| x as f64 / n), n)
}

/// The multinomial delta-method variance of a function with gradient `d` at cell shares `p`.
fn var(d: [f64; 4], p: [f64; 4], n: f64) -> f64 {
    let m: f64 = d.iter().zip(p).map(|(d, p)| d * p).sum();
    let s: f64 = d.iter().zip(p).map(|(d, p)| d * d * p).sum();
    ((s - m * m) / n).max(0.0)
}

/// Split the selection-rate gap of group `g` against reference `r`. Undefined when either group
/// is empty or the reference lacks cases with or without the outcome (its error rates are then
/// undefined).
pub fn split(g: &Cells, r: &Cells) -> Result<Split, Undefined> {
    if g.iter().sum::<u64>() == 0 || r.iter().sum::<u64>() == 0 {
        return Err(Undefined("a group has no cases"));
    }
    if r[0] + r[2] == 0 || r[1] + r[3] == 0 {
        return Err(Undefined(
            "the reference group needs cases with and without the outcome",
        ));
    }
    let (pg, ng) = shares(g);
    let (pr, nr) = shares(r);
    let prev = |p: &[f64; 4]| p[0] + p[2];
    let (tpr, fpr) = (pr[0] / (pr[0] + pr[2]), pr[1] / (pr[1] + pr[3]));
    let (prev_g, prev_r) = (prev(&pg), prev(&pr));
    let k = tpr - fpr;
    let gap = (pg[0] + pg[1]) - (pr[0] + pr[1]);
    let base_rate = (prev_g - prev_r) * k;
    // Derivatives of the reference's TPR and FPR in its cell shares.
    let pos2 = (pr[0] + pr[2]).powi(2);
    let neg2 = (pr[1] + pr[3]).powi(2);
    let d_tpr = [pr[2] / pos2, 0.0, -pr[0] / pos2, 0.0];
    let d_fpr = [0.0, pr[3] / neg2, 0.0, -pr[1] / neg2];
    let gap_g = [1.0, 1.0, 0.0, 0.0];
    let gap_r = [-1.0, -1.0, 0.0, 0.0];
    let base_g = [k, 0.0, k, 0.0];
    let base_r: [f64; 4] =
        std::array::from_fn(|i| -base_g[i] + (prev_g - prev_r) * (d_tpr[i] - d_fpr[i]));
    let tool_g: [f64; 4] = std::array::from_fn(|i| gap_g[i] - base_g[i]);
    let tool_r: [f64; 4] = std::array::from_fn(|i| gap_r[i] - base_r[i]);
    let se = |dg, dr| (var(dg, pg, ng) + var(dr, pr, nr)).sqrt();
    Ok(Split {
        gap,
        base_rate,
        tool: gap - base_rate,
        se_gap: se(gap_g, gap_r),
        se_base_rate: se(base_g, base_r),
        se_tool: se(tool_g, tool_r),
    })
}

/// Excess missed cases of group `g` against reference `r`: `positives_g·(FNR_g − FNR_r)` with
/// Newcombe's interval of the miss-rate difference scaled by `positives_g`. Undefined when either
/// group has no cases with the outcome.
pub fn excess_missed(g: &Cells, r: &Cells, level: f64) -> Result<(f64, Ci), Undefined> {
    let (pos_g, pos_r) = (g[0] + g[2], r[0] + r[2]);
    if pos_g == 0 || pos_r == 0 {
        return Err(Undefined("a group has no cases with the outcome"));
    }
    let (d, ci) = two_sample::newcombe_diff(g[2], pos_g, r[2], pos_r, level)?;
    let k = pos_g as f64;
    Ok((
        k * d,
        Ci {
            low: k * ci.low,
            high: k * ci.high,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parts_add_up_to_the_gap() {
        let s = split(&[30, 20, 10, 140], &[50, 40, 50, 860]).unwrap();
        assert!((s.base_rate + s.tool - s.gap).abs() < 1e-15);
        // Equal error rates: the whole gap follows the base rate.
        let e = split(&[40, 10, 40, 90], &[20, 20, 20, 180]).unwrap();
        assert!(e.tool.abs() < 1e-15, "{e:?}");
        assert!((e.gap - e.base_rate).abs() < 1e-15);
    }
}
