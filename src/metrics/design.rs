//! Rates and comparisons under the protocol's design (`columns.cluster`, optionally
//! `columns.strata` and `columns.weight`): the Taylor-linearised variances of
//! [`crate::stats::design`] from the design moments of the sufficient statistics. A comparison's
//! difference, ratio and test are replaced by their design-based versions, so the triggers and
//! the statuses judge them; the odds ratio and the detectable gap stay on the counts.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{metric_cells, Comparison, Estimate, GroupResult, Method, TestResult};
use crate::stats::design::{self as taylor, StratumTerms};
use crate::stats::{dist, means, proportion, two_sample};
use crate::suffstats::{AttributeDesign, ClusterMoments};

/// A rate's design-based standard error and design effect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DesignRate {
    /// The rate (weighted when the protocol names a weight column) with Wilson's interval on the
    /// effective sample size.
    pub estimate: Estimate,
    pub standard_error: f64,
    /// The design-based variance over the binomial one of the same cases, `V / (p(1 − p)/n)`;
    /// 1 when the rate is 0 or 1.
    pub design_effect: f64,
    /// `n / design effect`, at most `n`.
    pub effective_n: f64,
}

/// Per stratum, the moments of `group` and of `reference` (zeros where one has no case).
fn terms(d: &AttributeDesign, group: &str, reference: &str) -> Vec<StratumTerms> {
    let of = |name: &str, h: usize| -> Option<&ClusterMoments> {
        d.group(name)?.strata.iter().find(|m| m.stratum == h)
    };
    d.strata
        .iter()
        .enumerate()
        .map(|(h, s)| {
            let (g, r) = (of(group, h), of(reference, h));
            StratumTerms {
                clusters: s.clusters,
                g_sum: g.map(|m| m.sum).unwrap_or_default(),
                g_cross: g.map(|m| m.cross).unwrap_or_default(),
                r_sum: r.map(|m| m.sum).unwrap_or_default(),
                r_cross: r.map(|m| m.cross).unwrap_or_default(),
                gr_cross: g.map(|m| m.with_reference).unwrap_or_default(),
            }
        })
        .collect()
}

/// Korn & Graubard's degrees-of-freedom factor `(z / t_df)²` on the effective sample size, so a
/// design with few clusters (NHANES: 15 degrees of freedom) gets a wider interval.
fn df_factor(df: f64, level: f64) -> f64 {
    if df < 1.0 {
        return 1.0;
    }
    (dist::z_for_level(level) / means::t_critical(level, df)).powi(2)
}

fn design_rate(
    t: &[StratumTerms],
    metric: crate::protocol::Metric,
    n: u64,
    level: f64,
) -> Option<DesignRate> {
    let (num, den) = metric_cells(metric);
    let (p, v) = taylor::rate(t, num, den).ok()?;
    let binomial = p * (1.0 - p) / n as f64;
    let design_effect = if binomial > 0.0 { v / binomial } else { 1.0 };
    let effective_n =
        n as f64 / design_effect.max(1.0) * df_factor(taylor::degrees_of_freedom(t), level);
    Some(DesignRate {
        estimate: Estimate::from_result(
            proportion::wilson_real(p * effective_n, effective_n, level).map(|ci| (p, ci)),
            level,
            Method::WilsonDesign,
        ),
        standard_error: v.sqrt(),
        design_effect,
        effective_n,
    })
}

/// Each group's rates under the design, beside the counts' ones.
pub fn rates(groups: &mut [GroupResult], d: &AttributeDesign, level: f64) {
    for g in groups {
        let t = terms(d, &g.group, &g.group);
        for m in &mut g.metrics {
            if m.denominator > 0 {
                m.design = design_rate(&t, m.metric, m.denominator, level);
            }
        }
    }
}

/// A group's effective counts under the design for one metric: `n_eff = n / max(1, deff)` and
/// `x_eff = p̂·n_eff`, with `p̂` the design's (weighted) rate; `None` without cases.
fn effective(
    t: &[StratumTerms],
    metric: crate::protocol::Metric,
    n: u64,
    level: f64,
) -> Option<(f64, f64, f64)> {
    let (num, den) = metric_cells(metric);
    let (p, v) = taylor::rate(t, num, den).ok()?;
    let binomial = p * (1.0 - p) / n as f64;
    let deff = if binomial > 0.0 { v / binomial } else { 1.0 };
    let n_eff = n as f64 / deff.max(1.0) * df_factor(taylor::degrees_of_freedom(t), level);
    Some((p * n_eff, n_eff, deff))
}

/// The design behind a comparison: each side's design effect and effective denominator, and the
/// Taylor-linearised standard error of the difference, which also counts the covariance of
/// group and reference in clusters they share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DesignComparison {
    pub design_effect: f64,
    pub reference_design_effect: f64,
    pub effective_denominator: f64,
    pub reference_effective_denominator: f64,
    /// `None` when it does not exist (a stratum with a single cluster, an empty denominator).
    pub difference_se: Option<f64>,
    /// Clusters minus strata.
    pub df: f64,
}

/// Replace a comparison's difference, ratio and test by their versions on the design's effective
/// counts: Newcombe's interval, Koopman's interval and the pooled z-test, each on `x_eff` of
/// `n_eff` (Wilson's rate interval on the effective sample size, as for a survey proportion).
pub fn compare(c: &mut Comparison, d: &AttributeDesign, level: f64) {
    let (g, r) = (
        terms(d, &c.group, &c.group),
        terms(d, &c.reference_group, &c.reference_group),
    );
    let (Some((x1, n1, deff1)), Some((x0, n0, deff0))) = (
        effective(&g, c.metric, c.denominator, level),
        effective(&r, c.metric, c.reference_denominator, level),
    ) else {
        // No case, or weights summing to zero, on one side: no design-based comparison, and
        // not the counts' one in its place.
        let reason = "a side has no weighted case in the denominator under the design".to_string();
        c.difference = Estimate::Undefined {
            reason: reason.clone(),
        };
        c.ratio = Estimate::Undefined {
            reason: reason.clone(),
        };
        c.test = TestResult::Undefined { reason };
        return;
    };
    let both = terms(d, &c.group, &c.reference_group);
    let (num, den) = metric_cells(c.metric);
    c.difference = Estimate::from_result(
        two_sample::newcombe_diff_real(x1, n1, x0, n0, level),
        level,
        Method::NewcombeDesign,
    );
    c.ratio = Estimate::from_result(
        two_sample::koopman_ratio_real(x1, n1, x0, n0, level).map(|r| (r.ratio, r.ci)),
        level,
        Method::KoopmanDesign,
    );
    c.test = match two_sample::pooled_z_test_real(x1, n1, x0, n0) {
        Ok((statistic, p_value)) => TestResult::DesignZ { statistic, p_value },
        Err(u) => TestResult::Undefined {
            reason: u.0.to_string(),
        },
    };
    c.design = Some(DesignComparison {
        design_effect: deff1,
        reference_design_effect: deff0,
        effective_denominator: n1,
        reference_effective_denominator: n0,
        difference_se: taylor::difference(&both, num, den).ok().map(|g| g.se),
        df: taylor::degrees_of_freedom(&both),
    });
}
