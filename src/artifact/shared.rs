//! The shareable artifact (`shared.json`, format `s1557-shared/1`): what a vendor sends a clinic,
//! or a clinic its board, without the small cells. Every finding keeps its id, status and harm
//! direction; its numbers appear only where the shared report shows them, and a withheld one says
//! why (a small count, protecting another group). It carries no hash of the full artifact: the
//! full artifact is a function of the counts, so its hash would let anyone confirm a guess of the
//! withheld ones. It binds to the data by the data's SHA-256, and the holder of the full artifact
//! checks it by rendering it again (`s1557 report ARTIFACT --shareable`): the bytes are the same.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Artifact, RecordInfo, Summary};
use crate::metrics::Estimate;
use crate::triggers::Status;

pub const FORMAT: &str = "s1557-shared/1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Shared {
    pub format: String,
    pub schema_version: String,
    pub generator: super::Generator,
    pub tool: super::ToolInfo,
    pub protocol: super::ProtocolInfo,
    pub data: super::DataInfo,
    pub record: RecordInfo,
    pub run: super::RunInfo,
    pub summary: Summary,
    pub min_cell_size: u64,
    pub findings: Vec<SharedFinding>,
    /// The pooled groups, with the rates and comparisons the shared report shows.
    pub pools: Vec<SharedPool>,
    /// Each finding's status in the earlier artifact, when the run compared with one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub trend: Option<Vec<SharedTrend>>,
}

/// One finding (rate or score) as shared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SharedFinding {
    pub id: String,
    pub attribute: String,
    pub group: String,
    pub reference_group: String,
    pub metric: String,
    pub status: Status,
    /// Whom it disadvantages, in words (absent when withheld or not on the harmful side).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub harm: Option<String>,
    /// The numbers, or `None` with `withheld` saying why.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub numbers: Option<Numbers>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub withheld: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Numbers {
    /// Rate findings: the group's and the reference's numerator and denominator.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub counts: Option<[u64; 4]>,
    /// Score findings: the group's and the reference's values.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub values: Option<[Option<f64>; 2]>,
    pub ratio: Estimate,
    pub difference: Estimate,
    pub p_adjusted: Option<f64>,
}

/// A pool as shared: its members, and its shown rates and comparisons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SharedPool {
    pub attribute: String,
    pub group: String,
    pub members: Vec<String>,
    pub rates: Vec<crate::metrics::MetricValue>,
    pub comparisons: Vec<crate::metrics::Comparison>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SharedTrend {
    pub id: String,
    pub previous_status: Status,
    pub status: Status,
    pub verdict: String,
}

/// The shareable projection of a full artifact.
pub fn shared(full: &Artifact) -> Shared {
    // Shared outputs are suppressed, whatever the run's own reports did.
    let mut suppressed = full.clone();
    suppressed.suppression.applied = true;
    let a = &suppressed;
    let sup = super::suppression::Suppression::from_artifact(a);
    let min = a.suppression.min_cell_size;
    let mut findings = Vec::new();
    for f in &a.comparisons {
        let c = &f.comparison;
        let withheld = sup.comparison(c).then(|| {
            let side = if sup.metric(&c.attribute, &c.group, c.metric) {
                &c.reference_group
            } else {
                &c.group
            };
            sup.reason(&c.attribute, side, min)
        });
        findings.push(SharedFinding {
            id: c.id.clone(),
            attribute: c.attribute.clone(),
            group: c.group.clone(),
            reference_group: c.reference_group.clone(),
            metric: c.metric.name().to_string(),
            status: f.assessment.status,
            harm: withheld
                .is_none()
                .then(|| f.assessment.harm.as_ref().map(|h| h.statement.clone()))
                .flatten(),
            numbers: withheld.is_none().then(|| Numbers {
                counts: Some([
                    c.numerator,
                    c.denominator,
                    c.reference_numerator,
                    c.reference_denominator,
                ]),
                values: None,
                ratio: c.ratio.clone(),
                difference: c.difference.clone(),
                p_adjusted: c.p_adjusted,
            }),
            withheld,
        });
    }
    for f in a.scores.iter().flat_map(|s| &s.comparisons) {
        let c = &f.comparison;
        let hidden = sup.score_group(&c.attribute, &c.group)
            || sup.score_group(&c.attribute, &c.reference_group);
        findings.push(SharedFinding {
            id: c.id.clone(),
            attribute: c.attribute.clone(),
            group: c.group.clone(),
            reference_group: c.reference_group.clone(),
            metric: c.metric.name().to_string(),
            status: f.assessment.status,
            harm: (!hidden)
                .then(|| f.assessment.harm.as_ref().map(|h| h.statement.clone()))
                .flatten(),
            numbers: (!hidden).then(|| Numbers {
                counts: None,
                values: Some([c.value, c.reference_value]),
                ratio: c.ratio.clone(),
                difference: c.difference.clone(),
                p_adjusted: c.p_adjusted,
            }),
            withheld: hidden.then(|| "withheld in the score section: a small count".into()),
        });
    }
    Shared {
        format: FORMAT.into(),
        schema_version: a.schema_version.clone(),
        generator: a.generator.clone(),
        tool: a.tool.clone(),
        protocol: a.protocol.clone(),
        data: a.data.clone(),
        record: a.record.clone(),
        run: a.run.clone(),
        summary: a.summary.clone(),
        min_cell_size: min,
        findings,
        pools: a
            .pools
            .iter()
            .map(|p| SharedPool {
                attribute: p.attribute.clone(),
                group: p.group.clone(),
                members: p.members.clone(),
                rates: p
                    .result
                    .metrics
                    .iter()
                    .filter(|m| sup.metric(&p.attribute, &p.group, m.metric))
                    .cloned()
                    .collect(),
                comparisons: p
                    .comparisons
                    .iter()
                    .filter(|c| !sup.comparison(c))
                    .cloned()
                    .collect(),
            })
            .collect(),
        trend: a.trend.as_ref().map(|t| {
            t.findings
                .iter()
                .map(|x| SharedTrend {
                    id: x.id.clone(),
                    previous_status: x.previous_status,
                    status: x.status,
                    verdict: x.verdict.clone(),
                })
                .collect()
        }),
    }
}

pub fn to_json(s: &Shared) -> String {
    let mut t = serde_json::to_string_pretty(s).unwrap_or_default();
    t.push('\n');
    t
}
