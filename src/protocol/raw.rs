//! The protocol as written: serde types that mirror the TOML, with spans for the values that
//! validation may need to point at. Nothing here is trusted; `super::validate` turns it into the
//! model the rest of the program uses.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProtocol {
    pub protocol_version: Spanned<String>,
    pub name: Spanned<String>,
    pub tool: RawTool,
    pub data: RawData,
    pub columns: RawColumns,
    #[serde(default)]
    pub values: Option<RawValues>,
    #[serde(default)]
    pub attributes: Vec<RawAttribute>,
    #[serde(default)]
    pub crossed: Vec<RawCrossed>,
    #[serde(default)]
    pub stratified: Vec<RawStratified>,
    #[serde(default)]
    pub analysis: Option<RawAnalysis>,
    #[serde(default)]
    pub scores: Option<RawScores>,
    #[serde(default)]
    pub triggers: Vec<RawTrigger>,
    #[serde(default)]
    pub record: Option<super::record::Record>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTool {
    pub name: String,
    pub vendor: String,
    pub version: String,
    pub intended_use: String,
    pub decision_type: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawData {
    pub path: Spanned<String>,
    pub format: Option<Spanned<String>>,
    pub period_start: Option<Spanned<String>>,
    pub period_end: Option<Spanned<String>>,
    #[serde(default)]
    pub null_values: Option<Vec<String>>,
    /// Columns the de-identification guard would refuse, accepted with a reason.
    #[serde(default)]
    pub accept: Vec<RawAccept>,
    /// Rows left out by a stated rule (a column's values), counted in the artifact.
    #[serde(default)]
    pub exclude: Vec<RawExclude>,
    /// A column name the file repeats, and the position (from 1) of the one to read.
    #[serde(default)]
    pub pick: BTreeMap<String, Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExclude {
    pub column: Spanned<String>,
    pub values: Spanned<Vec<String>>,
    pub reason: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAccept {
    pub column: String,
    pub reason: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawColumns {
    pub decision: Option<Spanned<String>>,
    pub score: Option<Spanned<String>>,
    pub threshold: Option<Spanned<f64>>,
    pub outcome: Spanned<String>,
    pub outcome_at_least: Option<Spanned<f64>>,
    pub need: Option<Spanned<String>>,
    pub count: Option<Spanned<String>>,
    pub weight: Option<Spanned<String>>,
    pub cluster: Option<Spanned<String>>,
    pub strata: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawValues {
    pub positive: Option<Vec<String>>,
    pub negative: Option<Vec<String>>,
    /// The decision's own lists (a decision read from a category: `GenHealth` in Fair, Poor).
    pub decision: Option<RawYesNo>,
    /// The outcome's own lists.
    pub outcome: Option<RawYesNo>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawYesNo {
    pub positive: Option<Vec<String>>,
    pub negative: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAttribute {
    pub name: Spanned<String>,
    pub column: Spanned<String>,
    pub standard: Spanned<String>,
    pub reference: Spanned<String>,
    #[serde(default)]
    pub map: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    pub missing: Vec<String>,
    pub bands: Option<Spanned<Vec<i64>>>,
    /// The groups in their natural order (text age bands, income bands): the attribute is then
    /// ordered, and gets the trend test. Without `map`, each label is its own code.
    pub order: Option<Spanned<Vec<String>>>,
    /// The protected class the attribute serves (default by its standard).
    pub class: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCrossed {
    pub name: Spanned<String>,
    pub attributes: Spanned<Vec<String>>,
    pub reference: Option<Spanned<Vec<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAnalysis {
    pub metrics: Option<Vec<Spanned<String>>>,
    pub confidence_level: Option<Spanned<f64>>,
    pub alpha: Option<Spanned<f64>>,
    pub correction: Option<Spanned<String>>,
    pub rate_interval: Option<Spanned<String>>,
    pub ratio_interval: Option<Spanned<String>>,
    pub difference_interval: Option<Spanned<String>>,
    pub power: Option<Spanned<f64>>,
    pub min_cell_size: Option<Spanned<i64>>,
    pub seed: Option<Spanned<i64>>,
    pub bootstrap_replicates: Option<Spanned<i64>>,
    pub governing_criterion: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTrigger {
    pub id: Spanned<String>,
    pub metric: Spanned<String>,
    #[serde(default)]
    pub attributes: Option<Vec<Spanned<String>>>,
    pub ratio: Option<Spanned<RawBand>>,
    pub difference: Option<Spanned<RawBand>>,
    pub severity: Spanned<String>,
    pub action: String,
    pub direction: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBand {
    pub min: Option<f64>,
    pub max: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStratified {
    pub attribute: Spanned<String>,
    pub by: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScores {
    pub scale: Option<Spanned<String>>,
    pub metrics: Option<Vec<Spanned<String>>>,
    pub reliability_bins: Option<Spanned<i64>>,
    pub thresholds: Option<Spanned<Vec<f64>>>,
    pub top_percent: Option<Spanned<Vec<f64>>>,
    pub equal_score_bins: Option<Spanned<i64>>,
    pub bin_width: Option<Spanned<f64>>,
}
