//! Base rates and the criteria that cannot all hold: for every group against its attribute's
//! reference, the selection-rate gap split into the part that follows the difference in
//! prevalence and the part due to the tool (`stats::base_rate`), and the excess missed cases.
//! Descriptive: no p-value, no status; the report reads them beside the comparisons.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{interval, Estimate, Method};
use crate::protocol::Criterion;
use crate::stats::{base_rate, Ci};
use crate::suffstats::AttributeCounts;

/// The base-rate reading of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BaseRates {
    /// The criterion the protocol says governs the tool's use (`[analysis] governing_criterion`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub governing_criterion: Option<Criterion>,
    pub attributes: Vec<BaseRateAttribute>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BaseRateAttribute {
    pub attribute: String,
    pub reference_group: String,
    pub groups: Vec<BaseRateGroup>,
    /// The group with the highest selection rate among those with at least the minimum cell
    /// size of cases (an Unknown group is no comparator): the four-fifths rule's comparator (EEOC Uniform Guidelines, 29 CFR
    /// 1607.4(D)), whichever group the protocol names as the reference.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub highest_selection: Option<String>,
    /// Each other group's selection rate over the highest's (the impact ratio; under 0.8 fails
    /// the four-fifths rule of thumb), with Koopman's score interval, which agrees with the
    /// pooled z-test of no difference.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub impact_ratios: Vec<ImpactRatio>,
}

/// One group's selection rate against the highest group's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ImpactRatio {
    pub group: String,
    pub ratio: Estimate,
}

/// One group against the reference. Differences are in proportions (0.05 = 5 points).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BaseRateGroup {
    pub group: String,
    pub n: u64,
    /// Cases with the outcome.
    pub positives: u64,
    /// Selection rate less the reference's (delta-method Wald interval).
    pub selection_gap: Estimate,
    /// The part of the gap that follows the difference in prevalence:
    /// `(P_g − P_r)·(TPR_r − FPR_r)`.
    pub follows_base_rate: Estimate,
    /// The part due to the tool: `P_g·(TPR_g − TPR_r) + (1 − P_g)·(FPR_g − FPR_r)`.
    pub due_to_tool: Estimate,
    /// Patients with the outcome the tool missed beyond the reference group's miss rate:
    /// `positives·(FNR_g − FNR_r)` (Newcombe's interval, scaled).
    pub excess_missed: Estimate,
}

fn wald(v: f64, se: f64, level: f64) -> Estimate {
    Estimate::Value {
        value: v,
        ci: interval(Ci::wald(v, se, level), level, Method::WaldDelta),
    }
}

fn undefined(reason: &str) -> Estimate {
    Estimate::Undefined {
        reason: reason.to_string(),
    }
}

/// The base-rate reading of every attribute with its reference group present.
pub fn compute(
    attributes: &[AttributeCounts],
    (level, min_cell): (f64, u64),
    governing: Option<Criterion>,
) -> BaseRates {
    let attributes = attributes
        .iter()
        .filter_map(|a| {
            let r = a.groups.iter().find(|g| g.group == a.reference_group)?;
            let rc = r.counts.cells();
            let groups = a
                .groups
                .iter()
                .filter(|g| g.group != a.reference_group)
                .map(|g| group(&g.group, g.counts.cells(), rc, level))
                .collect();
            let (highest_selection, impact_ratios) = impact_ratios(a, level, min_cell);
            Some(BaseRateAttribute {
                attribute: a.attribute.clone(),
                reference_group: a.reference_group.clone(),
                groups,
                highest_selection,
                impact_ratios,
            })
        })
        .collect();
    BaseRates {
        governing_criterion: governing,
        attributes,
    }
}

/// The highest selection rate's group (among groups of at least `min_cell` cases) and every other
/// group's impact ratio against it.
fn impact_ratios(
    a: &AttributeCounts,
    level: f64,
    min_cell: u64,
) -> (Option<String>, Vec<ImpactRatio>) {
    let rate = |c: &crate::suffstats::Confusion| (c.tp + c.fp) as f64 / c.n() as f64;
    let Some(top) = a
        .groups
        .iter()
        .filter(|g| {
            g.counts.n() >= min_cell.max(1) && !g.group.contains(crate::protocol::vocab::UNKNOWN)
        })
        .max_by(|x, y| rate(&x.counts).total_cmp(&rate(&y.counts)))
    else {
        return (None, Vec::new());
    };
    let t = top.counts;
    let ratios = a
        .groups
        .iter()
        .filter(|g| g.group != top.group)
        .map(|g| {
            let c = g.counts;
            ImpactRatio {
                group: g.group.clone(),
                ratio: super::ratio_estimate(
                    c.tp + c.fp,
                    c.n(),
                    t.tp + t.fp,
                    t.n(),
                    level,
                    crate::protocol::RatioInterval::Koopman,
                ),
            }
        })
        .collect();
    (Some(top.group.clone()), ratios)
}

fn group(name: &str, g: base_rate::Cells, r: base_rate::Cells, level: f64) -> BaseRateGroup {
    let (gap, base, tool) = match base_rate::split(&g, &r) {
        Ok(s) => (
            wald(s.gap, s.se_gap, level),
            wald(s.base_rate, s.se_base_rate, level),
            wald(s.tool, s.se_tool, level),
        ),
        Err(u) => (undefined(u.0), undefined(u.0), undefined(u.0)),
    };
    let excess_missed = match base_rate::excess_missed(&g, &r, level) {
        Ok((v, ci)) => Estimate::Value {
            value: v,
            ci: interval(ci, level, Method::NewcombeHybridScore),
        },
        Err(u) => undefined(u.0),
    };
    BaseRateGroup {
        group: name.to_string(),
        n: g.iter().sum(),
        positives: g[0] + g[2],
        selection_gap: gap,
        follows_base_rate: base,
        due_to_tool: tool,
        excess_missed,
    }
}
