//! The oversight artifact: a schema-versioned JSON document holding the tool, the protocol and
//! data hashes, the run settings, every group metric and comparison with its status, the
//! triggers fired, the sufficient statistics, the suppression policy and an attestation block.
//! Same inputs give the same bytes: ordered collections only, no clock unless no as-of date is
//! given, and floats written in their shortest round-trip form.

pub mod write;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::data::Loaded;
use crate::metrics::scores::{OperatingPoint, ScoreAttribute, ScoreComparison, ScoreSource};
use crate::metrics::{AttributeResult, Comparison, Results, StratifiedComparison};
use crate::protocol::{
    DecisionType, DifferenceInterval, Format, Protocol, RateInterval, RatioInterval,
};
use crate::suffstats::{AttributeCounts, StratifiedCounts};
use crate::triggers::{self, Assessment, Status};

/// Version of the artifact's layout; bumped on any change to the schema.
pub const SCHEMA_VERSION: &str = "1.1.0";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Artifact {
    pub schema_version: String,
    pub generator: Generator,
    pub tool: ToolInfo,
    pub protocol: ProtocolInfo,
    pub data: DataInfo,
    pub run: RunInfo,
    pub summary: Summary,
    pub attributes: Vec<AttributeResult>,
    pub comparisons: Vec<Finding>,
    /// Comparisons adjusted for a second attribute (protocol `[[stratified]]`); supporting
    /// analyses with raw p-values, outside the correction family and the triggers.
    pub stratified: Vec<StratifiedComparison>,
    pub triggers: Vec<TriggerInfo>,
    pub triggers_fired: Vec<Fired>,
    pub sufficient_statistics: Vec<AttributeCounts>,
    /// Counts by group and stratum behind `stratified`.
    pub stratified_statistics: Vec<StratifiedCounts>,
    /// Score metrics and their comparisons (protocol `[scores]`); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub scores: Option<ScoreSection>,
    pub suppression: Suppression,
    pub methods: Methods,
    pub attestation: Attestation,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Generator {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ToolInfo {
    pub name: String,
    pub vendor: String,
    pub version: String,
    pub intended_use: String,
    pub decision_type: String,
    /// How the decision is formed: a column, or `score >= threshold`.
    pub decision_rule: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProtocolInfo {
    pub name: String,
    pub version: String,
    /// The protocol's file name.
    pub file: String,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DataInfo {
    /// The data file's name.
    pub file: String,
    pub sha256: String,
    pub format: String,
    /// `rows` (one row a case) or `counts` (a frequency column).
    pub input: String,
    /// Cases analysed.
    pub cases: u64,
    pub period_start: Option<String>,
    pub period_end: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RunInfo {
    pub as_of: String,
    pub seed: u64,
    pub confidence_level: f64,
    pub alpha: f64,
    pub correction: String,
    pub power_target: f64,
    pub min_cell_size: u64,
    /// Comparisons with a p-value, all corrected together.
    pub family_size: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Summary {
    /// The most serious status of any finding.
    pub overall: Status,
    pub remediate: usize,
    pub monitor: usize,
    pub insufficient_data: usize,
    pub pass: usize,
    pub not_assessed: usize,
}

/// A comparison with its assessment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    #[serde(flatten)]
    pub comparison: Comparison,
    pub assessment: Assessment,
}

/// A score comparison with its assessment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ScoreFinding {
    #[serde(flatten)]
    pub comparison: ScoreComparison,
    pub assessment: Assessment,
}

/// The score analyses: per-group discrimination, calibration and need, operating points, and the
/// score comparisons with their statuses (counted in `summary`, corrected with the rest).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ScoreSection {
    /// `probability` or `arbitrary`.
    pub scale: String,
    pub scored: u64,
    pub unscored: u64,
    pub equal_score_bins: Vec<Option<f64>>,
    pub attributes: Vec<ScoreAttribute>,
    pub operating_points: Vec<OperatingPoint>,
    pub comparisons: Vec<ScoreFinding>,
    /// Present when the scores came from a counts submission's score table: its resolution and
    /// which analyses are exact, binned or unavailable.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub source: Option<ScoreSource>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BandInfo {
    pub min: Option<f64>,
    pub max: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TriggerInfo {
    pub id: String,
    pub metric: String,
    pub attributes: Vec<String>,
    pub ratio: Option<BandInfo>,
    pub difference: Option<BandInfo>,
    pub severity: String,
    pub action: String,
}

/// A trigger that fired on a comparison, with the action it calls for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Fired {
    pub trigger: String,
    pub comparison: String,
    pub status: Status,
    pub action: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Suppression {
    /// False for an internal run (`s1557 run --no-suppress`): report.md and metrics.csv then
    /// show every number and must not be shared.
    pub applied: bool,
    pub min_cell_size: u64,
    pub rule: String,
    pub applies_to: Vec<String>,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Methods {
    pub rate_interval: String,
    pub ratio_interval: String,
    pub difference_interval: String,
    pub test: String,
    pub omnibus: String,
    pub correction: String,
    pub power: String,
}

/// Filled in by the human reviewer who signs off the test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Attestation {
    pub statement: String,
    pub reviewer: Option<String>,
    pub role: Option<String>,
    pub date: Option<String>,
    pub decision: Option<String>,
}

/// Inputs of a run that are not in the protocol or the data.
pub struct RunContext {
    pub as_of: chrono::NaiveDate,
    /// Suppress small cells in report.md and metrics.csv (off only for internal use).
    pub suppress: bool,
}

fn file_name(p: &std::path::Path) -> String {
    p.file_name().map_or_else(
        || p.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Assemble the artifact from the run's parts.
pub fn build(protocol: &Protocol, loaded: &Loaded, results: Results, ctx: &RunContext) -> Artifact {
    let a = &protocol.analysis;
    let comparisons: Vec<Finding> = results
        .comparisons
        .into_iter()
        .map(|c| {
            let assessment = triggers::assess(&c, &protocol.triggers, a);
            Finding {
                comparison: c,
                assessment,
            }
        })
        .collect();
    let scores = results.scores.map(|r| ScoreSection {
        scale: r.scale,
        scored: r.scored,
        unscored: r.unscored,
        equal_score_bins: r.equal_score_bins,
        attributes: r.attributes,
        operating_points: r.operating_points,
        source: r.source,
        comparisons: r
            .comparisons
            .into_iter()
            .map(|c| {
                let assessment = triggers::assess_score(&c, &protocol.triggers, a);
                ScoreFinding {
                    comparison: c,
                    assessment,
                }
            })
            .collect(),
    });
    let score_findings: &[ScoreFinding] = scores.as_ref().map_or(&[], |s| &s.comparisons);
    let statuses: Vec<Status> = comparisons
        .iter()
        .map(|f| f.assessment.status)
        .chain(score_findings.iter().map(|f| f.assessment.status))
        .collect();
    let count = |s: Status| statuses.iter().filter(|&&x| x == s).count();
    let summary = Summary {
        overall: statuses
            .iter()
            .copied()
            .max()
            .unwrap_or(Status::NotAssessed),
        remediate: count(Status::Remediate),
        monitor: count(Status::Monitor),
        insufficient_data: count(Status::InsufficientData),
        pass: count(Status::Pass),
        not_assessed: count(Status::NotAssessed),
    };
    let triggers_fired = comparisons
        .iter()
        .map(|f| (&f.assessment, &f.comparison.id))
        .chain(
            score_findings
                .iter()
                .map(|f| (&f.assessment, &f.comparison.id)),
        )
        .flat_map(|(assessment, id)| {
            assessment
                .verdicts
                .iter()
                .filter(|v| v.fired)
                .map(move |v| Fired {
                    trigger: v.trigger.clone(),
                    comparison: id.clone(),
                    status: v.status,
                    action: protocol
                        .triggers
                        .iter()
                        .find(|t| t.id == v.trigger)
                        .map(|t| t.action.clone())
                        .unwrap_or_default(),
                })
        })
        .collect();
    let band = |b: &Option<crate::protocol::Band>| {
        b.map(|b| BandInfo {
            min: b.min,
            max: b.max,
        })
    };
    let decision_rule = match (protocol.tool.decision_type, &protocol.columns.decision) {
        (DecisionType::Binary, Some(d)) => format!("column `{d}`"),
        _ => format!(
            "`{}` >= {}",
            protocol.columns.score.as_deref().unwrap_or(""),
            protocol.columns.threshold.unwrap_or(0.5)
        ),
    };
    Artifact {
        schema_version: SCHEMA_VERSION.to_string(),
        generator: Generator { name: "s1557".into(), version: env!("CARGO_PKG_VERSION").into() },
        tool: ToolInfo {
            name: protocol.tool.name.clone(),
            vendor: protocol.tool.vendor.clone(),
            version: protocol.tool.version.clone(),
            intended_use: protocol.tool.intended_use.clone(),
            decision_type: match protocol.tool.decision_type {
                DecisionType::Binary => "binary".into(),
                DecisionType::ScoreThreshold => "score_threshold".into(),
            },
            decision_rule,
        },
        protocol: ProtocolInfo {
            name: protocol.name.clone(),
            version: protocol.protocol_version.clone(),
            file: file_name(&protocol.source),
            sha256: protocol.sha256.clone(),
        },
        data: DataInfo {
            file: file_name(&loaded.path),
            sha256: loaded.sha256.clone(),
            format: match loaded.format {
                Format::Csv => "csv".into(),
                Format::Parquet => "parquet".into(),
            },
            input: if loaded.counts_input { "counts".into() } else { "rows".into() },
            cases: loaded.stats.cases,
            period_start: protocol.data.period_start.map(|d| d.to_string()),
            period_end: protocol.data.period_end.map(|d| d.to_string()),
        },
        run: RunInfo {
            as_of: ctx.as_of.to_string(),
            seed: a.seed,
            confidence_level: a.confidence_level,
            alpha: a.alpha,
            correction: a.correction.name().into(),
            power_target: a.power,
            min_cell_size: a.min_cell_size,
            family_size: results.family_size,
        },
        summary,
        attributes: results.attributes,
        comparisons,
        stratified: results.stratified,
        triggers: protocol
            .triggers
            .iter()
            .map(|t| TriggerInfo {
                id: t.id.clone(),
                metric: t.metric.name().into(),
                attributes: t.attributes.clone(),
                ratio: band(&t.ratio),
                difference: band(&t.difference),
                severity: t.severity.name().into(),
                action: t.action.clone(),
            })
            .collect(),
        triggers_fired,
        sufficient_statistics: loaded.stats.attributes.clone(),
        stratified_statistics: loaded.stats.stratified.clone(),
        scores,
        suppression: Suppression {
            applied: ctx.suppress,
            min_cell_size: a.min_cell_size,
            rule: format!(
                "in shared outputs a group is withheld (its counts, rates, intervals, comparisons and detectable differences) when any of its four confusion counts is between 1 and {}; when that leaves one group of an attribute withheld, the smallest other group is withheld too; omnibus details are withheld for an attribute with a withheld group; statuses are kept",
                a.min_cell_size.saturating_sub(1)
            ),
            applies_to: vec!["report.md".into(), "metrics.csv".into()],
            note: "artifact.json keeps every count so the numbers can be verified; share it only under the data's own agreement".into(),
        },
        methods: Methods {
            rate_interval: match a.rate_interval {
                RateInterval::Wilson => "Wilson score",
                RateInterval::ClopperPearson => "Clopper–Pearson (exact, central)",
                RateInterval::Jeffreys => "Jeffreys (Brown, Cai & DasGupta boundary rule)",
            }
            .into(),
            ratio_interval: match a.ratio_interval {
                RatioInterval::Katz => "Katz log; Koopman score where a cell of the 2×2 table is empty",
                RatioInterval::Koopman => "Koopman score",
            }
            .into(),
            difference_interval: match a.difference_interval {
                DifferenceInterval::Newcombe => "Newcombe hybrid score (method 10)",
                DifferenceInterval::AgrestiCaffo => "Agresti–Caffo (one success and one failure added per group)",
            }
            .into(),
            test: "Fisher's exact (two-sided, as scipy) when an expected cell is under 5, else the pooled two-proportion z-test".into(),
            omnibus: "Pearson chi-square on the k×2 table of groups (no continuity correction); for ordered attributes also the Cochran–Armitage trend test".into(),
            correction: format!("{} across all comparisons of the run", a.correction.name()),
            power: "normal approximation, pooled null and unpooled alternative variance (Fleiss, Levin & Paik 2003), at alpha divided by the number of comparisons".into(),
        },
        attestation: Attestation {
            statement: "I have reviewed these findings and the actions they call for under 45 CFR 92.210.".into(),
            reviewer: None,
            role: None,
            date: None,
            decision: None,
        },
    }
}

/// The artifact as pretty JSON with a final newline.
pub fn to_json(a: &Artifact) -> String {
    let mut s = serde_json::to_string_pretty(a).unwrap_or_default();
    s.push('\n');
    s
}

/// The JSON Schema of the artifact.
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(Artifact);
    let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
    s.push('\n');
    s
}
