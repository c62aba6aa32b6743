//! Small crossed groups read with empirical-Bayes shrinkage: for every crossed attribute (race ×
//! sex, say) and compared metric, each group's raw rate beside its rate shrunk toward the
//! attribute's (`stats::shrinkage`). Descriptive, for the report's reading: statuses, tests and
//! the audited numbers stay the raw ones.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{fraction, interval, Estimate, Method};
use crate::protocol::{Analysis, Metric};
use crate::stats::shrinkage;
use crate::suffstats::AttributeCounts;

/// One crossed attribute × metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Shrunk {
    pub attribute: String,
    pub metric: Metric,
    /// The prior: the attribute's pooled rate and the variance of the groups' true rates (0: no
    /// spread beyond sampling, every group shrunk to the pooled rate).
    pub prior_mean: f64,
    pub between_variance: f64,
    pub groups: Vec<ShrunkGroup>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ShrunkGroup {
    pub group: String,
    pub numerator: u64,
    pub denominator: u64,
    /// The posterior mean with its equal-tailed posterior interval (none under complete pooling).
    pub shrunk: Estimate,
}

/// The shrunk rates of every crossed attribute on every compared metric.
pub fn compute(attributes: &[AttributeCounts], analysis: &Analysis) -> Vec<Shrunk> {
    let level = analysis.confidence_level;
    let mut out = Vec::new();
    for a in attributes.iter().filter(|a| !a.crossed.is_empty()) {
        for &m in &analysis.metrics {
            let counts: Vec<(u64, u64)> = a.groups.iter().map(|g| fraction(m, &g.counts)).collect();
            let Ok(prior) = shrinkage::prior(&counts) else {
                continue;
            };
            let groups = a
                .groups
                .iter()
                .zip(&counts)
                .map(|(g, &(x, n))| {
                    let (mean, ci) = shrinkage::shrunk(x, n, &prior, level);
                    ShrunkGroup {
                        group: g.group.clone(),
                        numerator: x,
                        denominator: n,
                        shrunk: match ci {
                            Some(ci) => Estimate::Value {
                                value: mean,
                                ci: interval(ci, level, Method::BetaPosterior),
                            },
                            None => Estimate::Undefined {
                                reason: format!("no spread beyond sampling: every group at the pooled {mean:.4}"),
                            },
                        },
                    }
                })
                .collect();
            out.push(Shrunk {
                attribute: a.attribute.clone(),
                metric: m,
                prior_mean: prior.mean,
                between_variance: prior.between_variance,
                groups,
            });
        }
    }
    out
}
