//! The oversight artifact: a schema-versioned JSON document holding the tool, the protocol and
//! data hashes, the run settings, every group metric and comparison with its status, the
//! triggers fired, the sufficient statistics, the suppression policy and an attestation block.
//! Same inputs give the same bytes: ordered collections only, no clock unless no as-of date is
//! given, and floats written in their shortest round-trip form.

pub mod actions;
pub mod beside;
pub mod cleanup;
pub mod rolling;
pub mod shared;
pub mod signoff;
pub mod suppression;
mod swap;
pub mod trend;
pub mod write;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::metrics::scores::{OperatingPoint, ScoreAttribute, ScoreComparison, ScoreSource};
use crate::metrics::{AttributeResult, Comparison, StratifiedComparison};
use crate::suffstats::{AttributeCounts, StratifiedCounts};
use crate::triggers::{Assessment, Status};

/// Version of the artifact's layout; bumped on any change to the schema.
pub const SCHEMA_VERSION: &str = "1.7.0";

/// The schema versions `read` accepts: 1.1.0 lacks the embedded protocol text and the score
/// source, 1.1.0 and 1.2.0 lack the pools, and before 1.4.0 the statuses followed the power rule
/// and one correction family for the run (no `run.families`), and before 1.5.0 artifacts lack the
/// base rates and the need among the selected at operating points, and before 1.6.0 the design
/// (`columns.cluster`); everything else reads the same.
pub const SUPPORTED_VERSIONS: [&str; 7] = [
    "1.1.0", "1.2.0", "1.3.0", "1.4.0", "1.5.0", "1.6.0", "1.7.0",
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Artifact {
    pub schema_version: String,
    pub generator: Generator,
    pub tool: ToolInfo,
    pub protocol: ProtocolInfo,
    pub data: DataInfo,
    /// The oversight record of 45 CFR 92.210(b) and (c) (absent from schema 1.1.0).
    #[serde(default)]
    pub record: RecordInfo,
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
    /// The groups shared outputs show pooled, with the pools' rates and comparisons
    /// (`pooling`); absent when no group has a small cell (and from schemas before 1.3.0).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub pools: Vec<crate::pooling::Pool>,
    /// Each selection-rate gap split into the part that follows the base rate and the part due to
    /// the tool, and the excess missed cases, by group (descriptive; absent before schema 1.5.0).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub base_rates: Option<crate::metrics::base_rates::BaseRates>,
    /// Crossed groups' rates shrunk toward their attribute's (empirical Bayes), beside the raw
    /// ones, for reading small groups (descriptive; schema 1.5.0).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub shrunk: Vec<crate::metrics::shrinkage::Shrunk>,
    /// Score metrics and their comparisons (protocol `[scores]`); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub scores: Option<ScoreSection>,
    pub suppression: Suppression,
    pub methods: Methods,
    pub attestation: Attestation,
    /// Each finding against the same finding of an earlier artifact (`run --previous`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub trend: Option<trend::Trend>,
    /// Each finding judged on up to four quarters pooled, with its slope across them and its
    /// CUSUM (`run --previous`, given up to three earlier artifacts; schema 1.5.0).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rolling: Option<rolling::Rolling>,
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
    /// SHA-256 of the protocol's text.
    pub sha256: String,
    /// The protocol's text, so the artifact stands alone and `s1557 verify` can recompute it
    /// (absent from artifacts of schema 1.1.0).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub text: Option<String>,
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
    /// The clusters (and strata) the comparisons account for (protocol `columns.cluster`;
    /// schema 1.6.0). Absent: each row is taken as one patient.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub design: Option<DesignInfo>,
    /// Columns the protocol accepted past the de-identification guard, with its reasons
    /// (schema 1.6.0).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub accepted_columns: Vec<crate::protocol::AcceptedColumn>,
    /// Rows left out by the protocol's `[[data.exclude]]` rules, with their counts (schema
    /// 1.7.0).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub excluded: Vec<ExcludedRows>,
}

/// One exclusion rule and the cases it left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ExcludedRows {
    #[serde(flatten)]
    pub rule: crate::protocol::Exclusion,
    /// Cases left out; absent when the input was a counts submission made with the rule.
    pub rows: Option<u64>,
}

/// How the rows cluster: the columns, how many clusters and strata, and whether weighted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DesignInfo {
    pub cluster_column: String,
    pub strata_column: Option<String>,
    pub clusters: u64,
    pub strata: u64,
    /// Whether the cluster totals are sums of the protocol's weights.
    pub weighted: bool,
}

/// The protocol's `[record]`, with the coverage of the six classes worked out from the attributes
/// and the parts not recorded named.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RecordInfo {
    pub tool: crate::protocol::record::ToolFacts,
    pub inputs: Vec<crate::protocol::record::Input>,
    pub inventory: crate::protocol::record::Inventory,
    /// Each of the six classes of Section 1557, in order.
    pub coverage: Vec<Coverage>,
    pub oversight: crate::protocol::record::Oversight,
    pub submission: crate::protocol::record::Submission,
    pub approval: crate::protocol::record::Approval,
    /// The parts the protocol leaves empty (`tool.contact`, `inputs`, …): not recorded.
    pub not_recorded: Vec<String>,
}

/// Whether one protected class was tested, with which attributes, or why not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Coverage {
    pub class: crate::protocol::record::ProtectedClass,
    /// `tested`, `not_tested`, `not_applicable` or `not_recorded`.
    pub status: String,
    /// The attributes (plain and crossed) that test it.
    pub attributes: Vec<String>,
    pub reason: Option<String>,
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
    /// Comparisons in a correction family (schemas before 1.4.0: with a p-value, all corrected
    /// together).
    pub family_size: usize,
    /// The correction families: per attribute × metric a remediate trigger judges (absent before
    /// schema 1.4.0, which corrected the run as one family).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub families: Vec<crate::metrics::Family>,
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
    /// The score's calibration over every case (probability scores; schema 1.5.0).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub overall_calibration: Option<crate::metrics::scores::OverallCalibration>,
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
    /// Which side of the reference harms the group (`lower`, `higher`, `both`); the bands are
    /// judged open on the other side (schema 1.1.0 had no direction: both).
    #[serde(default = "both")]
    pub direction: String,
}

fn both() -> String {
    "both".into()
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
    /// An earlier artifact to compare each finding with (the most recent).
    pub previous: Option<PreviousArtifact>,
    /// Older artifacts of the tool, pooled with `previous` and this run (up to four quarters).
    pub earlier: Vec<PreviousArtifact>,
}

/// An earlier artifact, its file name and the SHA-256 of its bytes.
pub struct PreviousArtifact {
    pub artifact: Artifact,
    pub file: String,
    pub sha256: String,
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

/// Why an artifact could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read `{path}`: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("`{path}`: not JSON (line {line}, column {column}): {message}")]
    Json {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("`{path}` has no `schema_version`: not an s1557 artifact")]
    NoVersion { path: String },
    #[error("`{path}` has schema version `{version}`; this build reads {}", SUPPORTED_VERSIONS.join(", "))]
    Version { path: String, version: String },
    #[error("`{path}` does not follow the artifact schema {version} (line {line}, column {column}): {message}")]
    Schema {
        path: String,
        version: String,
        line: usize,
        column: usize,
        message: String,
    },
}

/// Read an artifact of a supported schema version: the typed artifact and the JSON exactly as
/// written (for comparing what it states with what is recomputed).
pub fn read(path: &std::path::Path) -> Result<(Artifact, serde_json::Value), ReadError> {
    let p = path.display().to_string();
    let text = fs_err::read_to_string(path).map_err(|source| ReadError::Io {
        path: p.clone(),
        source,
    })?;
    parse(&text, p)
}

/// [`read`] on text already in memory; `p` names it in messages.
pub fn parse(text: &str, p: String) -> Result<(Artifact, serde_json::Value), ReadError> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| ReadError::Json {
        path: p.clone(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let version = value
        .get("schema_version")
        .and_then(|v| v.as_str())
        .ok_or(ReadError::NoVersion { path: p.clone() })?
        .to_string();
    if !SUPPORTED_VERSIONS.contains(&version.as_str()) {
        return Err(ReadError::Version { path: p, version });
    }
    let artifact: Artifact = serde_json::from_str(text).map_err(|e| ReadError::Schema {
        path: p.clone(),
        version: version.clone(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    Ok((artifact, value))
}
