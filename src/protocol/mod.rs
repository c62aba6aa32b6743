//! The TOML protocol: its model, its validation and its hash.
//!
//! A protocol names the tool under test, the data, the columns, how a site's codes map to
//! standard categories, the reference groups, the metrics, the statistical settings and the
//! remediation triggers. Clinics and vendors run the same protocol, so their results compare.
//! Parsing is two-staged: `raw` mirrors the file (unknown keys are errors), [`Protocol`] is the
//! validated model. Every problem is reported at once, each with its line and column.
//! This module touches nothing else in the crate.

mod raw;
pub mod record;
pub mod vocab;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use toml::Spanned;

pub use vocab::{Standard, UNKNOWN};

/// One problem found in an input file, with its place where there is one.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
    pub hint: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        write!(f, ": {}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// Every problem found in a protocol.
#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    #[error("cannot read protocol: {0}")]
    Io(#[from] std::io::Error),
    #[error("{}", render(.0))]
    Invalid(Vec<Diagnostic>),
}

fn render(diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for (i, d) in diags.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&d.to_string());
    }
    out
}

/// A rate computed from a group's confusion counts (written by its [`Metric::name`]).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    Prevalence,
    SelectionRate,
    Tpr,
    Fpr,
    Fnr,
    Tnr,
    Ppv,
    Npv,
    Accuracy,
}

impl Metric {
    pub const ALL: [Metric; 9] = [
        Metric::Prevalence,
        Metric::SelectionRate,
        Metric::Tpr,
        Metric::Fpr,
        Metric::Fnr,
        Metric::Tnr,
        Metric::Ppv,
        Metric::Npv,
        Metric::Accuracy,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Metric::Prevalence => "prevalence",
            Metric::SelectionRate => "selection_rate",
            Metric::Tpr => "tpr",
            Metric::Fpr => "fpr",
            Metric::Fnr => "fnr",
            Metric::Tnr => "tnr",
            Metric::Ppv => "ppv",
            Metric::Npv => "npv",
            Metric::Accuracy => "accuracy",
        }
    }

    pub fn parse(s: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.name() == s)
    }
}

impl std::fmt::Display for Metric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Metric {
    /// A plain-language label for reports.
    pub fn label(self) -> &'static str {
        match self {
            Metric::Prevalence => "Prevalence (outcome rate)",
            Metric::SelectionRate => "Selection rate (flagged)",
            Metric::Tpr => "True positive rate (sensitivity)",
            Metric::Fpr => "False positive rate",
            Metric::Fnr => "False negative rate (missed cases)",
            Metric::Tnr => "True negative rate (specificity)",
            Metric::Ppv => "Positive predictive value",
            Metric::Npv => "Negative predictive value",
            Metric::Accuracy => "Accuracy",
        }
    }
}

/// How the tool under test decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecisionType {
    /// A yes/no decision column.
    Binary,
    /// A risk score; the decision is `score >= threshold`.
    ScoreThreshold,
}

/// Correction for multiple comparisons across the run's family of comparisons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Correction {
    Holm,
    Bonferroni,
    BenjaminiHochberg,
}

impl Correction {
    pub fn name(self) -> &'static str {
        match self {
            Correction::Holm => "holm",
            Correction::Bonferroni => "bonferroni",
            Correction::BenjaminiHochberg => "benjamini_hochberg",
        }
    }
}

/// Interval for a single rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateInterval {
    Wilson,
    ClopperPearson,
    Jeffreys,
}

/// Interval for the ratio of a group's rate to the reference's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RatioInterval {
    /// Katz log interval; Koopman's score interval where a cell is empty.
    Katz,
    Koopman,
}

/// Interval for the difference of a group's rate and the reference's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DifferenceInterval {
    Newcombe,
    AgrestiCaffo,
}

/// Which side of the reference harms the compared group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// A lower value than the reference's harms the group (a lower TPR misses its cases).
    Lower,
    /// A higher value harms it (a higher FPR burdens it with false alarms).
    Higher,
    /// Either side harms, or the protocol does not say which.
    Both,
}

impl Direction {
    pub fn name(self) -> &'static str {
        match self {
            Direction::Lower => "lower",
            Direction::Higher => "higher",
            Direction::Both => "both",
        }
    }

    /// The side that harms for a metric when the protocol does not say: a lower TPR or TNR or
    /// AUROC, a higher FNR or FPR, more need at the same score; both sides otherwise (a
    /// selection rate harms by its lower side for a benefit such as outreach, by its higher side
    /// for a burden: the protocol says which).
    pub fn default_for(metric: TriggerMetric) -> Direction {
        match metric {
            TriggerMetric::Rate(Metric::Tpr | Metric::Tnr) | TriggerMetric::Auroc => {
                Direction::Lower
            }
            TriggerMetric::Rate(Metric::Fnr | Metric::Fpr) | TriggerMetric::NeedAtEqualScore => {
                Direction::Higher
            }
            _ => Direction::Both,
        }
    }

    /// The band as judged: open on the side that does not harm.
    pub fn judge(self, b: Band) -> Band {
        match self {
            Direction::Lower => Band { max: None, ..b },
            Direction::Higher => Band { min: None, ..b },
            Direction::Both => b,
        }
    }
}

/// Severity of a trigger when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Monitor,
    Remediate,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Monitor => "monitor",
            Severity::Remediate => "remediate",
        }
    }
}

/// Data file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Parquet,
}

#[derive(Debug, Clone)]
pub struct Tool {
    pub name: String,
    pub vendor: String,
    pub version: String,
    pub intended_use: String,
    pub decision_type: DecisionType,
}

/// The most groups one attribute may define (its categories or bands, Unknown apart): every group
/// gets nine rates, comparisons and plots, and 10,000 groups once made a 661 MB artifact.
pub const MAX_GROUPS: usize = 200;

#[derive(Debug, Clone)]
pub struct DataSpec {
    /// The path as the protocol writes it (relative to the protocol file).
    pub path_as_written: String,
    /// The path resolved against the protocol's folder.
    pub path: PathBuf,
    pub format: Option<Format>,
    pub period_start: Option<chrono::NaiveDate>,
    pub period_end: Option<chrono::NaiveDate>,
    /// Cell texts read as missing, besides an empty cell.
    pub null_values: Vec<String>,
    /// Columns the de-identification guard would refuse, accepted by the protocol with a reason
    /// (a site's hashed key, a research dataset's own record number); recorded in the artifact.
    pub accept: Vec<AcceptedColumn>,
    /// Rows left out by a stated rule (`[[data.exclude]]`), each rule's rows counted.
    pub exclude: Vec<Exclusion>,
    /// A column name the file repeats → the position (from 1) of the column to read.
    pub pick: BTreeMap<String, usize>,
}

/// Rows whose `column` holds one of `values` (as written, spaces around trimmed) are left out
/// of the analysis, for the stated reason (gender `Unknown/Invalid`, 3 rows of diabetes130).
#[derive(
    Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub struct Exclusion {
    pub column: String,
    pub values: Vec<String>,
    pub reason: String,
}

/// A column accepted past the de-identification guard, and why.
#[derive(
    Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub struct AcceptedColumn {
    pub column: String,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct Columns {
    pub decision: Option<String>,
    pub score: Option<String>,
    pub threshold: Option<f64>,
    pub outcome: String,
    /// When set, the outcome column is numeric and the outcome is `outcome >= outcome_at_least`.
    pub outcome_at_least: Option<f64>,
    /// A numeric measure of need beside the training label (chronic conditions, say), compared
    /// across groups at equal score.
    pub need: Option<String>,
    /// A frequency column: each row stands for this many cases (a counts submission).
    pub count: Option<String>,
    /// A survey-weight column: weighted rates are reported beside the counts.
    pub weight: Option<String>,
    /// A cluster column (a patient key hashed by the site, or a survey's primary sampling unit):
    /// comparisons take design-based variances (Taylor linearisation) over its clusters.
    pub cluster: Option<String>,
    /// The survey's strata (clusters nest within them); only with `cluster`.
    pub strata: Option<String>,
}

/// How a column's values become groups.
#[derive(Debug, Clone)]
pub enum Coding {
    /// Site code → category; codes in `missing` (and empty cells) go to `Unknown`.
    Map {
        map: BTreeMap<String, String>,
        missing: BTreeSet<String>,
    },
    /// Age in years cut at the lower bounds `bounds`; the last band is open (top code).
    AgeYears {
        bounds: Vec<i64>,
        missing: BTreeSet<String>,
    },
}

#[derive(Debug, Clone)]
pub struct Attribute {
    pub name: String,
    pub column: String,
    pub standard: Standard,
    pub coding: Coding,
    /// The groups in reporting order; `Unknown` is last and only appears when data has it.
    pub groups: Vec<String>,
    pub reference: String,
    /// Whether the groups have a natural order (age bands).
    pub ordered: bool,
    /// The protected class of Section 1557 the attribute serves (`None`: none said, a custom
    /// attribute such as language without `class`).
    pub class: Option<record::ProtectedClass>,
}

#[derive(Debug, Clone)]
pub struct Crossed {
    pub name: String,
    /// Indices into [`Protocol::attributes`].
    pub attributes: Vec<usize>,
    /// One reference label per component attribute.
    pub reference: Vec<String>,
}

/// A comparison of an attribute's groups adjusted for a second attribute (Cochran–Mantel–Haenszel
/// across its strata): race adjusted for age band, say.
#[derive(Debug, Clone)]
pub struct Stratified {
    /// Indices into [`Protocol::attributes`].
    pub attribute: usize,
    pub by: usize,
}

#[derive(Debug, Clone)]
pub struct Analysis {
    /// Metrics compared with the reference group (every metric is reported per group).
    pub metrics: Vec<Metric>,
    pub confidence_level: f64,
    pub alpha: f64,
    pub correction: Correction,
    pub rate_interval: RateInterval,
    pub ratio_interval: RatioInterval,
    pub difference_interval: DifferenceInterval,
    /// Target power, for planning: the detectable disparities and the cases needed to judge.
    pub power: f64,
    pub min_cell_size: u64,
    pub seed: u64,
    /// Resamples for the bootstrap intervals of the composite gaps.
    pub bootstrap_replicates: usize,
    /// Judge as schemas before 1.4.0 did (set only to verify such an artifact): one correction
    /// family across the run, and the power rule before the interval.
    pub legacy_rules: bool,
    /// Which fairness criterion governs this tool's use, when the protocol says (equal error
    /// rates, calibration or equal selection cannot all hold when base rates differ).
    pub governing_criterion: Option<Criterion>,
}

/// A fairness criterion: what equality the tool's use needs. When the groups' base rates differ,
/// no imperfect tool can meet all three (Chouldechova 2017; Kleinberg et al. 2016).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Criterion {
    /// Equal true- and false-positive rates (and their complements): who gets the intervention
    /// among those who need it and those who do not (outreach, screening).
    ErrorRates,
    /// Equal predictive values and calibration: whether the number or the flag means the same
    /// risk in every group (a risk score read by a clinician).
    Calibration,
    /// Equal selection rates: equal access whatever the outcome (rarely right when need differs).
    Selection,
}

impl Criterion {
    pub const ALL: [(&'static str, Criterion); 3] = [
        ("error_rates", Criterion::ErrorRates),
        ("calibration", Criterion::Calibration),
        ("selection", Criterion::Selection),
    ];

    pub fn name(self) -> &'static str {
        Criterion::ALL
            .iter()
            .find(|(_, c)| *c == self)
            .map_or("", |(n, _)| n)
    }
}

/// A band on a ratio or a difference; a missing side is unbounded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Band {
    pub min: Option<f64>,
    pub max: Option<f64>,
}

impl Band {
    pub fn contains(&self, v: f64) -> bool {
        self.min.is_none_or(|m| v >= m) && self.max.is_none_or(|m| v <= m)
    }
}

/// How a score is scaled: a probability (calibration applies, values must lie in [0, 1]) or an
/// arbitrary ranking score (a cost prediction, say: only ranks and cut-offs apply).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScoreScale {
    Probability,
    Arbitrary,
}

/// A finding computed from the scores (rows needed, not counts): what `[scores].metrics` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScoreMetric {
    Auroc,
    AveragePrecision,
    Calibration,
    NeedAtEqualScore,
}

impl ScoreMetric {
    pub const ALL: [ScoreMetric; 4] = [
        ScoreMetric::Auroc,
        ScoreMetric::AveragePrecision,
        ScoreMetric::Calibration,
        ScoreMetric::NeedAtEqualScore,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ScoreMetric::Auroc => "auroc",
            ScoreMetric::AveragePrecision => "average_precision",
            ScoreMetric::Calibration => "calibration",
            ScoreMetric::NeedAtEqualScore => "need_at_equal_score",
        }
    }
}

/// The score analyses a protocol asks for (`[scores]`).
#[derive(Debug, Clone)]
pub struct ScoreAnalysis {
    pub scale: ScoreScale,
    pub metrics: Vec<ScoreMetric>,
    /// Equal-width bins of [0, 1] for the reliability table and the expected calibration error.
    pub reliability_bins: usize,
    /// Operating points: the decision `score >= t` for each.
    pub thresholds: Vec<f64>,
    /// Operating points: the top k% of scores selected (ties at the cut-off included).
    pub top_percent: Vec<f64>,
    /// Quantile bins of the score (over all rows) within which need is compared.
    pub equal_score_bins: usize,
    /// The width of the score bins of a counts submission (`s1557 counts`, `s1557 sql`): a
    /// case's score falls in bin `floor(score × (1 / bin_width))`. `None` on an arbitrary scale when
    /// the protocol does not set it (then no counts submission can carry the score).
    pub bin_width: Option<f64>,
}

impl ScoreAnalysis {
    pub fn wants(&self, m: ScoreMetric) -> bool {
        self.metrics.contains(&m)
    }
}

/// The quantity a trigger judges: a rate of the confusion counts, or a comparison made from the
/// scores (`auroc` difference, `oe_ratio`, `need_at_equal_score`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerMetric {
    Rate(Metric),
    Auroc,
    OeRatio,
    NeedAtEqualScore,
}

impl TriggerMetric {
    pub const SCORE_NAMES: [&'static str; 3] = ["auroc", "oe_ratio", "need_at_equal_score"];

    pub fn name(self) -> &'static str {
        match self {
            TriggerMetric::Rate(m) => m.name(),
            TriggerMetric::Auroc => "auroc",
            TriggerMetric::OeRatio => "oe_ratio",
            TriggerMetric::NeedAtEqualScore => "need_at_equal_score",
        }
    }

    pub fn parse(s: &str) -> Option<TriggerMetric> {
        match s {
            "auroc" => Some(TriggerMetric::Auroc),
            "oe_ratio" => Some(TriggerMetric::OeRatio),
            "need_at_equal_score" => Some(TriggerMetric::NeedAtEqualScore),
            _ => Metric::parse(s).map(TriggerMetric::Rate),
        }
    }

    /// The `[scores]` metric a score trigger needs.
    pub fn score_metric(self) -> Option<ScoreMetric> {
        match self {
            TriggerMetric::Rate(_) => None,
            TriggerMetric::Auroc => Some(ScoreMetric::Auroc),
            TriggerMetric::OeRatio => Some(ScoreMetric::Calibration),
            TriggerMetric::NeedAtEqualScore => Some(ScoreMetric::NeedAtEqualScore),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Trigger {
    pub id: String,
    pub metric: TriggerMetric,
    /// Attribute (or crossed attribute) names it applies to; empty means all.
    pub attributes: Vec<String>,
    /// The bands as written; judged open on the side that does not harm (`direction`).
    pub ratio: Option<Band>,
    pub difference: Option<Band>,
    pub severity: Severity,
    pub action: String,
    /// Which side of the reference harms the group.
    pub direction: Direction,
}

impl Trigger {
    /// The ratio band as judged: open on the side that does not harm the group.
    pub fn judged_ratio(&self) -> Option<Band> {
        self.ratio.map(|b| self.direction.judge(b))
    }

    /// The difference band as judged: open on the side that does not harm the group.
    pub fn judged_difference(&self) -> Option<Band> {
        self.difference.map(|b| self.direction.judge(b))
    }

    /// Whether the trigger judges comparisons of `metric` (by name) on `attribute`.
    pub fn applies_to(&self, attribute: &str, metric: &str) -> bool {
        self.metric.name() == metric
            && (self.attributes.is_empty() || self.attributes.iter().any(|a| a == attribute))
    }
}

/// A validated protocol.
#[derive(Debug, Clone)]
pub struct Protocol {
    pub source: PathBuf,
    /// The protocol's text as read (the artifact embeds it, so the artifact stands alone).
    pub text: String,
    pub sha256: String,
    pub protocol_version: String,
    pub name: String,
    pub tool: Tool,
    pub data: DataSpec,
    pub columns: Columns,
    /// The texts read as yes and no in the decision column.
    pub decision_values: YesNo,
    /// The texts read as yes and no in the outcome column.
    pub outcome_values: YesNo,
    pub attributes: Vec<Attribute>,
    pub crossed: Vec<Crossed>,
    pub stratified: Vec<Stratified>,
    pub analysis: Analysis,
    /// The score analyses (`[scores]`), when asked for.
    pub scores: Option<ScoreAnalysis>,
    pub triggers: Vec<Trigger>,
    /// The oversight record (`[record]`), empty parts where the protocol has none.
    pub record: record::Record,
}

/// The texts of a yes/no column read as yes and as no (compared without case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YesNo {
    pub positive: Vec<String>,
    pub negative: Vec<String>,
}

/// Default texts read as a positive and a negative decision or outcome (compared without case).
pub const DEFAULT_POSITIVE: [&str; 5] = ["1", "true", "yes", "y", "1.0"];
pub const DEFAULT_NEGATIVE: [&str; 5] = ["0", "false", "no", "n", "0.0"];
/// The default score bin width of a counts submission on a probability scale.
pub const DEFAULT_BIN_WIDTH: f64 = 0.001;

/// Default cell texts read as missing (besides an empty cell).
pub const DEFAULT_NULL_VALUES: [&str; 3] = ["NA", "N/A", "null"];

/// Hex SHA-256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Read, parse and validate a protocol file.
pub fn load(path: &Path) -> Result<Protocol, ProtocolError> {
    let text = fs_err::read_to_string(path)?;
    parse(&text, path)
}

/// Parse and validate protocol text; `path` names the file in messages and anchors `data.path`.
pub fn parse(text: &str, path: &Path) -> Result<Protocol, ProtocolError> {
    let raw: raw::RawProtocol = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            let (line, column) = e.span().map(|s| line_col(text, s.start)).unzip();
            return Err(ProtocolError::Invalid(vec![Diagnostic {
                file: path.to_path_buf(),
                line,
                column,
                message: e.message().trim_end().to_string(),
                hint: None,
            }]));
        }
    };
    let mut v = Validator {
        text,
        file: path.to_path_buf(),
        diags: Vec::new(),
    };
    let protocol = v.protocol(raw, text, path);
    if v.diags.is_empty() {
        Ok(protocol)
    } else {
        Err(ProtocolError::Invalid(v.diags))
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

struct Validator<'a> {
    text: &'a str,
    file: PathBuf,
    diags: Vec<Diagnostic>,
}

impl Validator<'_> {
    fn error<T>(&mut self, at: &Spanned<T>, message: impl Into<String>, hint: Option<String>) {
        let (line, column) = line_col(self.text, at.span().start);
        self.diags.push(Diagnostic {
            file: self.file.clone(),
            line: Some(line),
            column: Some(column),
            message: message.into(),
            hint,
        });
    }

    fn error_nowhere(&mut self, message: impl Into<String>, hint: Option<String>) {
        self.diags.push(Diagnostic {
            file: self.file.clone(),
            line: None,
            column: None,
            message: message.into(),
            hint,
        });
    }

    fn protocol(&mut self, raw: raw::RawProtocol, text: &str, path: &Path) -> Protocol {
        let decision_type = match raw.tool.decision_type.get_ref().as_str() {
            "binary" => DecisionType::Binary,
            "score_threshold" => DecisionType::ScoreThreshold,
            other => {
                self.error(
                    &raw.tool.decision_type,
                    format!("unknown decision type `{other}`"),
                    Some("expected one of `binary`, `score_threshold`".into()),
                );
                DecisionType::Binary
            }
        };
        let tool = Tool {
            name: raw.tool.name,
            vendor: raw.tool.vendor,
            version: raw.tool.version,
            intended_use: raw.tool.intended_use,
            decision_type,
        };
        let data = self.data(raw.data, path);
        let scale = match raw.scores.as_ref().and_then(|s| s.scale.as_ref()) {
            Some(s) if s.get_ref() == "arbitrary" => ScoreScale::Arbitrary,
            _ => ScoreScale::Probability,
        };
        let columns = self.columns(raw.columns, decision_type, scale);
        let (decision_values, outcome_values) = self.yes_no(raw.values);
        if raw.attributes.is_empty() {
            self.error_nowhere(
                "the protocol names no protected attribute",
                Some(
                    "add at least one [[attributes]] table (race, ethnicity, sex, age, disability)"
                        .into(),
                ),
            );
        }
        let mut attributes = Vec::new();
        let mut seen = BTreeSet::new();
        for a in raw.attributes {
            if !seen.insert(a.name.get_ref().clone()) {
                self.error(
                    &a.name,
                    format!("attribute `{}` is defined twice", a.name.get_ref()),
                    None,
                );
                continue;
            }
            if let Some(attr) = self.attribute(a, &data.null_values) {
                attributes.push(attr);
            }
        }
        let crossed = raw
            .crossed
            .into_iter()
            .filter_map(|c| self.crossed(c, &attributes, &mut seen))
            .collect();
        let stratified = raw
            .stratified
            .iter()
            .filter_map(|x| self.stratified(x, &attributes))
            .collect();
        let analysis = self.analysis(raw.analysis);
        let scores = raw.scores.map(|r| self.scores(r, &columns));
        if columns.need.is_some() && scores.is_none() {
            self.error_nowhere(
                "`columns.need` is named but the protocol has no [scores] section",
                Some("add [scores] with metrics = [\"need_at_equal_score\"]".into()),
            );
        }
        let triggers = self.triggers(raw.triggers, &analysis, scores.as_ref(), &seen);
        let record = raw.record.unwrap_or_default();
        for (field, value) in record.bad_dates() {
            self.error_nowhere(
                format!("`record.{field}` is `{value}`, not a date"),
                Some("expected YYYY-MM-DD".into()),
            );
        }
        Protocol {
            source: path.to_path_buf(),
            text: text.to_string(),
            sha256: sha256_hex(text.as_bytes()),
            protocol_version: raw.protocol_version.into_inner(),
            name: raw.name.into_inner(),
            tool,
            data,
            columns,
            decision_values,
            outcome_values,
            attributes,
            crossed,
            stratified,
            analysis,
            scores,
            triggers,
            record,
        }
    }

    fn stratified(
        &mut self,
        x: &raw::RawStratified,
        attributes: &[Attribute],
    ) -> Option<Stratified> {
        let find = |v: &mut Self, name: &Spanned<String>| {
            let i = attributes.iter().position(|a| &a.name == name.get_ref());
            if i.is_none() {
                v.error(
                    name,
                    format!("`stratified` names unknown attribute `{}`", name.get_ref()),
                    Some(format!(
                        "expected one of {}",
                        backticked(
                            &attributes
                                .iter()
                                .map(|a| a.name.as_str())
                                .collect::<Vec<_>>()
                        )
                    )),
                );
            }
            i
        };
        let (a, b) = (find(self, &x.attribute), find(self, &x.by));
        let (attribute, by) = (a?, b?);
        if attribute == by {
            self.error(&x.by, "an attribute cannot be stratified by itself", None);
            return None;
        }
        Some(Stratified { attribute, by })
    }

    fn date(&mut self, s: Option<Spanned<String>>, key: &str) -> Option<chrono::NaiveDate> {
        let s = s?;
        match chrono::NaiveDate::parse_from_str(s.get_ref(), "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                self.error(
                    &s,
                    format!("`data.{key}` is not a date: `{}`", s.get_ref()),
                    Some("expected YYYY-MM-DD".into()),
                );
                None
            }
        }
    }

    /// The yes/no lists of the decision and of the outcome: each its own `[values.decision]` or
    /// `[values.outcome]` list where given, else the shared `[values]` list, else the defaults.
    fn yes_no(&mut self, raw: Option<raw::RawValues>) -> (YesNo, YesNo) {
        let default = |d: [&str; 5]| d.map(String::from).to_vec();
        let raw = raw.unwrap_or(raw::RawValues {
            positive: None,
            negative: None,
            decision: None,
            outcome: None,
        });
        let shared = YesNo {
            positive: raw.positive.unwrap_or_else(|| default(DEFAULT_POSITIVE)),
            negative: raw.negative.unwrap_or_else(|| default(DEFAULT_NEGATIVE)),
        };
        let mut role = |own: Option<raw::RawYesNo>, table: &str| {
            let own = own.unwrap_or(raw::RawYesNo {
                positive: None,
                negative: None,
            });
            let v = YesNo {
                positive: own.positive.unwrap_or_else(|| shared.positive.clone()),
                negative: own.negative.unwrap_or_else(|| shared.negative.clone()),
            };
            if let Some(x) = v
                .positive
                .iter()
                .find(|p| v.negative.iter().any(|n| n.eq_ignore_ascii_case(p)))
            {
                self.error_nowhere(
                    format!("value `{x}` is listed as both positive and negative in {table}"),
                    None,
                );
            }
            v
        };
        let decision = role(raw.decision, "[values.decision] (or [values])");
        let outcome = role(raw.outcome, "[values.outcome] (or [values])");
        (decision, outcome)
    }

    fn data(&mut self, raw: raw::RawData, protocol_path: &Path) -> DataSpec {
        let format = match raw.format {
            None => None,
            Some(f) => match f.get_ref().as_str() {
                "csv" => Some(Format::Csv),
                "parquet" => Some(Format::Parquet),
                other => {
                    self.error(
                        &f,
                        format!("unknown data format `{other}`"),
                        Some("expected one of `csv`, `parquet`".into()),
                    );
                    None
                }
            },
        };
        let period_start = self.date(raw.period_start, "period_start");
        let period_end = self.date(raw.period_end, "period_end");
        if let (Some(s), Some(e)) = (period_start, period_end) {
            if s > e {
                self.error_nowhere(
                    format!("`data.period_start` ({s}) is after `data.period_end` ({e})"),
                    None,
                );
            }
        }
        let mut accept = Vec::new();
        for a in raw.accept {
            if a.reason.get_ref().trim().is_empty() {
                self.error(
                    &a.reason,
                    format!("`data.accept` for column `{}` gives no reason", a.column),
                    Some(
                        "say why the column is not an identifier (a key the site has hashed, say)"
                            .into(),
                    ),
                );
            }
            accept.push(AcceptedColumn {
                column: a.column,
                reason: a.reason.into_inner(),
            });
        }
        let null_values = raw
            .null_values
            .unwrap_or_else(|| DEFAULT_NULL_VALUES.map(String::from).to_vec());
        let mut pick = BTreeMap::new();
        for (name, at) in &raw.pick {
            match usize::try_from(*at.get_ref()) {
                Ok(n) if n >= 1 => {
                    pick.insert(name.clone(), n);
                }
                _ => self.error(
                    at,
                    format!(
                        "`data.pick` for `{name}` is {}; expected a column position from 1",
                        at.get_ref()
                    ),
                    None,
                ),
            }
        }
        let exclude = raw
            .exclude
            .into_iter()
            .map(|e| self.exclusion(e, &null_values))
            .collect();
        let written = raw.path.into_inner();
        let base = protocol_path.parent().unwrap_or(Path::new("."));
        DataSpec {
            path: base.join(&written),
            path_as_written: written,
            format,
            period_start,
            period_end,
            null_values,
            accept,
            exclude,
            pick,
        }
    }

    /// One `[[data.exclude]]` rule: a column, the values that leave a row out, and a reason. A
    /// blank value or one read as missing would match nothing (or differ between the rows and
    /// the SQL), so both are refused.
    fn exclusion(&mut self, e: raw::RawExclude, null_values: &[String]) -> Exclusion {
        for v in e.values.get_ref() {
            if v.trim().is_empty() || null_values.contains(v) {
                self.error(
                    &e.values,
                    format!(
                        "`data.exclude` on column `{}` lists `{v}`, which is read as missing before any rule applies",
                        e.column.get_ref()
                    ),
                    Some("missing values form the `Unknown` group; list the codes that are written in the data".into()),
                );
            }
        }
        if e.reason.get_ref().trim().is_empty() {
            self.error(
                &e.reason,
                format!(
                    "`data.exclude` on column `{}` gives no reason",
                    e.column.get_ref()
                ),
                Some("say why these rows are not analysed (the report prints it)".into()),
            );
        }
        if e.values.get_ref().is_empty() {
            self.error(
                &e.values,
                format!(
                    "`data.exclude` on column `{}` lists no values",
                    e.column.get_ref()
                ),
                None,
            );
        }
        Exclusion {
            column: e.column.into_inner(),
            values: e.values.into_inner(),
            reason: e.reason.into_inner(),
        }
    }

    fn columns(
        &mut self,
        raw: raw::RawColumns,
        decision_type: DecisionType,
        scale: ScoreScale,
    ) -> Columns {
        let threshold = raw.threshold.as_ref().map(|t| *t.get_ref());
        if let Some(t) = &raw.threshold {
            let v = *t.get_ref();
            if !v.is_finite() || (scale == ScoreScale::Probability && !(0.0..=1.0).contains(&v)) {
                self.error(
                    t,
                    format!("`columns.threshold` is {v}, outside [0, 1]"),
                    Some("for a score that is not a probability, set `scale = \"arbitrary\"` in [scores]".into()),
                );
            }
        }
        if let Some(t) = &raw.outcome_at_least {
            if !t.get_ref().is_finite() {
                self.error(
                    t,
                    "`columns.outcome_at_least` must be a finite number",
                    None,
                );
            }
        }
        if let (Some(n), Some(_)) = (&raw.need, &raw.count) {
            self.error(
                n,
                "`columns.need` cannot be combined with `columns.count`: need is compared at equal score, which takes one row per case",
                None,
            );
        }
        match decision_type {
            DecisionType::Binary if raw.decision.is_none() => self.error_nowhere(
                "decision type `binary` needs `columns.decision`",
                Some("name the column holding the tool's yes/no decision".into()),
            ),
            DecisionType::ScoreThreshold if raw.score.is_none() || raw.threshold.is_none() => self
                .error_nowhere(
                    "decision type `score_threshold` needs `columns.score` and `columns.threshold`",
                    Some("the decision is `score >= threshold`".into()),
                ),
            _ => {}
        }
        if let (Some(w), Some(_)) = (&raw.weight, &raw.count) {
            self.error(
                w,
                "`columns.weight` cannot be combined with `columns.count` (a counts submission carries no per-case weights)",
                None,
            );
        }
        if let (Some(c), Some(_)) = (&raw.cluster, &raw.count) {
            self.error(
                c,
                "`columns.cluster` cannot be combined with `columns.count` (a design-based variance needs each case's cluster)",
                None,
            );
        }
        if let (Some(s), None) = (&raw.strata, &raw.cluster) {
            self.error(
                s,
                "`columns.strata` needs `columns.cluster` (the primary sampling units within the strata)",
                Some("name the cluster column too; NHANES, say, has `sdmvstra` and `sdmvpsu`".into()),
            );
        }
        if let (DecisionType::ScoreThreshold, Some(d)) = (decision_type, &raw.decision) {
            self.error(
                d,
                "decision type `score_threshold` forms the decision from the score; `columns.decision` would be ignored",
                Some("remove `columns.decision`, or set `decision_type = \"binary\"`".into()),
            );
        }
        if let (DecisionType::Binary, Some(t)) = (decision_type, &raw.threshold) {
            self.error(
                t,
                "`columns.threshold` only applies to decision type `score_threshold`",
                None,
            );
        }
        Columns {
            decision: raw.decision.map(Spanned::into_inner),
            score: raw.score.map(Spanned::into_inner),
            threshold,
            outcome: raw.outcome.into_inner(),
            outcome_at_least: raw.outcome_at_least.map(Spanned::into_inner),
            need: raw.need.map(Spanned::into_inner),
            count: raw.count.map(Spanned::into_inner),
            weight: raw.weight.map(Spanned::into_inner),
            cluster: raw.cluster.map(Spanned::into_inner),
            strata: raw.strata.map(Spanned::into_inner),
        }
    }

    fn attribute(&mut self, a: raw::RawAttribute, null_values: &[String]) -> Option<Attribute> {
        let Some(standard) = Standard::parse(a.standard.get_ref()) else {
            self.error(
                &a.standard,
                format!(
                    "unknown standard `{}` for attribute `{}`",
                    a.standard.get_ref(),
                    a.name.get_ref()
                ),
                Some(format!("expected one of {}", backticked(&Standard::NAMES))),
            );
            return None;
        };
        if let (Some(order), false) = (&a.order, standard == Standard::Custom) {
            self.error(
                order,
                format!(
                    "`order` is for `custom` attributes; `{}` is `{}`",
                    a.name.get_ref(),
                    standard.name()
                ),
                Some("the standard's categories have no order; `age_years` bands are ordered already".into()),
            );
        }
        let missing: BTreeSet<String> = a.missing.iter().cloned().collect();
        for (code, target) in &a.map {
            if null_values.contains(code) {
                self.error(
                    target,
                    format!("code `{code}` of attribute `{}` is read as missing before the map applies (it is in `data.null_values`)", a.name.get_ref()),
                    Some("remove it from `data.null_values`, or from `map`".into()),
                );
            }
            if missing.contains(code) {
                self.error(
                    target,
                    format!(
                        "code `{code}` of attribute `{}` is both mapped and listed in `missing`",
                        a.name.get_ref()
                    ),
                    None,
                );
            }
        }
        let (coding, mut groups) = if standard == Standard::AgeYears {
            let Some(bands) = &a.bands else {
                self.error(
                    &a.standard,
                    format!(
                        "attribute `{}` uses `age_years` and needs `bands`",
                        a.name.get_ref()
                    ),
                    Some("for example bands = [18, 30, 45, 65, 75, 90]".into()),
                );
                return None;
            };
            let b = bands.get_ref();
            if b.is_empty() || b.windows(2).any(|w| w[0] >= w[1]) || b[0] < 0 {
                self.error(
                    bands,
                    "`bands` must be increasing lower bounds in years, at least one",
                    None,
                );
                return None;
            }
            if *b.last().unwrap_or(&0) > 90 {
                self.error(
                    bands,
                    "the last age band must start at 90 or below",
                    Some("HIPAA Safe Harbor aggregates ages over 89 into one 90+ group".into()),
                );
            }
            if !a.map.is_empty() {
                self.error(
                    &a.name,
                    "an `age_years` attribute takes `bands`, not `map`",
                    None,
                );
            }
            (
                Coding::AgeYears {
                    bounds: b.clone(),
                    missing,
                },
                vocab::age_band_labels(b),
            )
        } else {
            if a.bands.is_some() {
                self.error(
                    &a.name,
                    format!(
                        "`bands` is only for `age_years`; attribute `{}` is `{}`",
                        a.name.get_ref(),
                        standard.name()
                    ),
                    None,
                );
            }
            let mut map = BTreeMap::new();
            if let (true, Some(order)) = (a.map.is_empty(), &a.order) {
                // Each label is its own code: the checks of a written map apply to it.
                for label in order.get_ref() {
                    let unusable = if null_values.contains(label) || missing.contains(label) {
                        Some("is read as missing (`data.null_values` or `missing`)")
                    } else if label.contains(" × ")
                        || label.contains("; ")
                        || label.starts_with("Pooled (")
                    {
                        Some("holds ` × `, `; ` or starts with `Pooled (`, which name crossed and pooled groups")
                    } else {
                        None
                    };
                    if let Some(why) = unusable {
                        self.error(
                            order,
                            format!(
                                "label `{label}` in `order` of attribute `{}` {why}",
                                a.name.get_ref()
                            ),
                            None,
                        );
                    }
                    map.insert(label.clone(), label.clone());
                }
            }
            for (code, target) in &a.map {
                let t = target.get_ref();
                // Shared outputs name crossed groups `a × b` and pools `Pooled (a; b)`.
                if t.contains(" × ") || t.contains("; ") || t.starts_with("Pooled (") {
                    self.error(
                        target,
                        format!(
                            "category `{t}` of attribute `{}` holds ` × `, `; ` or starts with `Pooled (`, which name crossed and pooled groups",
                            a.name.get_ref()
                        ),
                        Some("rename the category".into()),
                    );
                }
                if t != UNKNOWN {
                    if let Some(cats) = standard.categories() {
                        if !cats.contains(&t.as_str()) {
                            self.error(
                                target,
                                format!(
                                    "`{t}` is not a `{}` category (attribute `{}`, code `{code}`)",
                                    standard.name(),
                                    a.name.get_ref()
                                ),
                                Some(format!(
                                    "expected one of {}, or `Unknown`",
                                    backticked(cats)
                                )),
                            );
                        }
                    }
                }
                map.insert(code.clone(), t.clone());
            }
            if map.is_empty() {
                self.error(
                    &a.name,
                    format!("attribute `{}` has an empty `map`", a.name.get_ref()),
                    Some(
                        "map each site code to a category, e.g. map = { \"W\" = \"White\" }".into(),
                    ),
                );
            }
            let groups: Vec<String> = match standard.categories() {
                Some(cats) => cats
                    .iter()
                    .filter(|c| map.values().any(|t| t == *c))
                    .map(|c| c.to_string())
                    .collect(),
                None => {
                    let mut g: Vec<String> = Vec::new();
                    for t in map.values() {
                        if t != UNKNOWN && !g.contains(t) {
                            g.push(t.clone());
                        }
                    }
                    g.sort();
                    g
                }
            };
            let groups = match &a.order {
                Some(order) => self.ordered_groups(a.name.get_ref(), order, groups),
                None => groups,
            };
            (Coding::Map { map, missing }, groups)
        };
        if groups.len() > MAX_GROUPS {
            self.error(
                &a.name,
                format!(
                    "attribute `{}` defines {} groups; at most {MAX_GROUPS}",
                    a.name.get_ref(),
                    groups.len()
                ),
                Some("group codes into the categories a report can show (every group gets nine rates, comparisons and plots)".into()),
            );
        }
        let reference = a.reference.get_ref().clone();
        if !groups.contains(&reference) {
            self.error(
                &a.reference,
                format!(
                    "reference group `{reference}` of attribute `{}` is not one of its groups",
                    a.name.get_ref()
                ),
                Some(format!("expected one of {}", backticked(&groups))),
            );
        }
        groups.push(UNKNOWN.to_string());
        let class = match &a.class {
            Some(c) => match record::ProtectedClass::parse(c.get_ref()) {
                Some(x) => Some(x),
                None => {
                    self.error(
                        c,
                        format!("unknown protected class `{}`", c.get_ref()),
                        Some("expected one of `race`, `color`, `national_origin`, `sex`, `age`, `disability`".into()),
                    );
                    None
                }
            },
            None => standard.class(),
        };
        Some(Attribute {
            name: a.name.into_inner(),
            column: a.column.into_inner(),
            class,
            ordered: standard == Standard::AgeYears || a.order.is_some(),
            standard,
            coding,
            groups,
            reference,
        })
    }

    /// The groups in the protocol's `order`, which must name each mapped group once.
    fn ordered_groups(
        &mut self,
        name: &str,
        order: &Spanned<Vec<String>>,
        groups: Vec<String>,
    ) -> Vec<String> {
        let listed: BTreeSet<&String> = order.get_ref().iter().collect();
        let unlisted: Vec<&String> = groups.iter().filter(|g| !listed.contains(g)).collect();
        let unknown: Vec<&String> = order
            .get_ref()
            .iter()
            .filter(|o| !groups.contains(o))
            .collect();
        if listed.len() != order.get_ref().len() || !unlisted.is_empty() || !unknown.is_empty() {
            self.error(
                order,
                format!("`order` of attribute `{name}` must list each of its groups once"),
                Some(format!(
                    "groups not listed: {}; listed but not a group: {}{}",
                    if unlisted.is_empty() {
                        "none".into()
                    } else {
                        backticked(&unlisted)
                    },
                    if unknown.is_empty() {
                        "none".into()
                    } else {
                        backticked(&unknown)
                    },
                    if listed.len() != order.get_ref().len() {
                        "; a group is listed twice"
                    } else {
                        ""
                    }
                )),
            );
            return groups;
        }
        order.get_ref().clone()
    }

    fn crossed(
        &mut self,
        c: raw::RawCrossed,
        attributes: &[Attribute],
        seen: &mut BTreeSet<String>,
    ) -> Option<Crossed> {
        if !seen.insert(c.name.get_ref().clone()) {
            self.error(
                &c.name,
                format!("`{}` is already the name of an attribute", c.name.get_ref()),
                None,
            );
            return None;
        }
        let names = c.attributes.get_ref();
        if names.len() < 2 {
            self.error(
                &c.attributes,
                "a crossed attribute needs at least two attributes",
                None,
            );
            return None;
        }
        let mut idx = Vec::new();
        for n in names {
            match attributes.iter().position(|a| &a.name == n) {
                Some(i) if !idx.contains(&i) => idx.push(i),
                Some(_) => self.error(
                    &c.attributes,
                    format!("attribute `{n}` is crossed with itself"),
                    None,
                ),
                None => self.error(
                    &c.attributes,
                    format!(
                        "crossed attribute `{}` names unknown attribute `{n}`",
                        c.name.get_ref()
                    ),
                    Some(format!(
                        "expected one of {}",
                        backticked(
                            &attributes
                                .iter()
                                .map(|a| a.name.as_str())
                                .collect::<Vec<_>>()
                        )
                    )),
                ),
            }
        }
        if idx.len() != names.len() {
            return None;
        }
        let reference = match &c.reference {
            None => idx
                .iter()
                .map(|&i| attributes[i].reference.clone())
                .collect(),
            Some(r) => {
                let r_list = r.get_ref();
                if r_list.len() != idx.len() {
                    self.error(
                        r,
                        format!(
                            "`reference` needs one group per crossed attribute ({})",
                            idx.len()
                        ),
                        None,
                    );
                    return None;
                }
                for (label, &i) in r_list.iter().zip(&idx) {
                    if !attributes[i].groups.contains(label) || label == UNKNOWN {
                        self.error(
                            r,
                            format!(
                                "`{label}` is not a group of attribute `{}`",
                                attributes[i].name
                            ),
                            Some(format!(
                                "expected one of {}",
                                backticked(&attributes[i].groups)
                            )),
                        );
                    }
                }
                r_list.clone()
            }
        };
        Some(Crossed {
            name: c.name.into_inner(),
            attributes: idx,
            reference,
        })
    }

    /// The option named by a key's value, or an error listing the choices.
    fn choose<T: Copy>(
        &mut self,
        value: &Option<Spanned<String>>,
        what: &str,
        options: &[(&str, T)],
    ) -> Option<T> {
        let v = value.as_ref()?;
        match options.iter().find(|(name, _)| name == v.get_ref()) {
            Some((_, choice)) => Some(*choice),
            None => {
                let names: Vec<&str> = options.iter().map(|o| o.0).collect();
                self.error(
                    v,
                    format!("unknown {what} `{}`", v.get_ref()),
                    Some(format!("expected one of {}", backticked(&names))),
                );
                None
            }
        }
    }

    fn analysis(&mut self, raw: Option<raw::RawAnalysis>) -> Analysis {
        let mut a = Analysis {
            metrics: vec![Metric::SelectionRate, Metric::Tpr, Metric::Fpr, Metric::Ppv],
            confidence_level: 0.95,
            alpha: 0.05,
            correction: Correction::Holm,
            rate_interval: RateInterval::Wilson,
            ratio_interval: RatioInterval::Katz,
            difference_interval: DifferenceInterval::Newcombe,
            power: 0.8,
            min_cell_size: 11,
            seed: 1557,
            bootstrap_replicates: 2000,
            legacy_rules: false,
            governing_criterion: None,
        };
        let Some(raw) = raw else { return a };
        a.governing_criterion = self.choose(
            &raw.governing_criterion,
            "governing criterion",
            &Criterion::ALL,
        );
        if let Some(b) = &raw.bootstrap_replicates {
            let v = *b.get_ref();
            if !(200..=100_000).contains(&v) {
                self.error(
                    b,
                    format!(
                        "`bootstrap_replicates` is {v}; expected 200 to 100,000 (2,000 is usual)"
                    ),
                    None,
                );
            } else {
                a.bootstrap_replicates = v as usize;
            }
        }
        if let Some(v) = self.choose(
            &raw.rate_interval,
            "rate interval",
            &[
                ("wilson", RateInterval::Wilson),
                ("clopper_pearson", RateInterval::ClopperPearson),
                ("jeffreys", RateInterval::Jeffreys),
            ],
        ) {
            a.rate_interval = v;
        }
        if let Some(v) = self.choose(
            &raw.ratio_interval,
            "ratio interval",
            &[
                ("katz", RatioInterval::Katz),
                ("koopman", RatioInterval::Koopman),
            ],
        ) {
            a.ratio_interval = v;
        }
        if let Some(v) = self.choose(
            &raw.difference_interval,
            "difference interval",
            &[
                ("newcombe", DifferenceInterval::Newcombe),
                ("agresti_caffo", DifferenceInterval::AgrestiCaffo),
            ],
        ) {
            a.difference_interval = v;
        }
        if let Some(ms) = raw.metrics {
            let mut metrics = Vec::new();
            for m in &ms {
                match Metric::parse(m.get_ref()) {
                    Some(metric) if !metrics.contains(&metric) => metrics.push(metric),
                    Some(_) => {
                        self.error(m, format!("metric `{}` is listed twice", m.get_ref()), None)
                    }
                    None => self.error(
                        m,
                        format!("unknown metric `{}`", m.get_ref()),
                        Some(format!(
                            "expected one of {}",
                            backticked(&Metric::ALL.map(Metric::name))
                        )),
                    ),
                }
            }
            if ms.is_empty() {
                self.error_nowhere(
                    "`analysis.metrics` is empty: nothing would be compared",
                    Some("e.g. metrics = [\"selection_rate\", \"tpr\"]".into()),
                );
            }
            a.metrics = metrics;
        }
        if let Some(c) = raw.confidence_level {
            let v = *c.get_ref();
            if !(v > 0.5 && v < 1.0) {
                self.error(
                    &c,
                    format!("`confidence_level` is {v}; expected a number in (0.5, 1), e.g. 0.95"),
                    None,
                );
            } else {
                a.confidence_level = v;
            }
        }
        if let Some(al) = raw.alpha {
            let v = *al.get_ref();
            if !(v > 0.0 && v < 0.5) {
                self.error(
                    &al,
                    format!("`alpha` is {v}; expected a number in (0, 0.5), e.g. 0.05"),
                    None,
                );
            } else {
                a.alpha = v;
            }
        }
        if let Some(v) = self.choose(
            &raw.correction,
            "correction",
            &[
                ("holm", Correction::Holm),
                ("bonferroni", Correction::Bonferroni),
                ("benjamini_hochberg", Correction::BenjaminiHochberg),
                ("bh", Correction::BenjaminiHochberg),
            ],
        ) {
            a.correction = v;
        }
        if let Some(p) = raw.power {
            let v = *p.get_ref();
            if !(v > 0.0 && v < 1.0) {
                self.error(
                    &p,
                    format!("`power` is {v}; expected a number in (0, 1), e.g. 0.8"),
                    None,
                );
            } else {
                a.power = v;
            }
        }
        if let Some(m) = raw.min_cell_size {
            let v = *m.get_ref();
            if v < 1 {
                self.error(
                    &m,
                    format!(
                        "`min_cell_size` is {v}; expected a positive whole number (CMS uses 11)"
                    ),
                    None,
                );
            } else {
                a.min_cell_size = v as u64;
            }
        }
        if let Some(s) = raw.seed {
            let v = *s.get_ref();
            if v < 0 {
                self.error(&s, "`seed` must not be negative", None);
            } else {
                a.seed = v as u64;
            }
        }
        if a.confidence_level < 1.0 - 2.0 * a.alpha - 1e-12 {
            self.error_nowhere(
                format!("`confidence_level` {} is below 1 − 2·alpha = {}: a pass would rest on too weak an interval", a.confidence_level, 1.0 - 2.0 * a.alpha),
                Some("use confidence_level = 0.95 with alpha = 0.05".into()),
            );
        }
        a
    }

    fn scores(&mut self, raw: raw::RawScores, columns: &Columns) -> ScoreAnalysis {
        let mut out = ScoreAnalysis {
            scale: ScoreScale::Probability,
            metrics: vec![],
            reliability_bins: 10,
            thresholds: vec![],
            top_percent: vec![],
            equal_score_bins: 10,
            bin_width: None,
        };
        if let Some(v) = self.choose(
            &raw.scale,
            "score scale",
            &[
                ("probability", ScoreScale::Probability),
                ("arbitrary", ScoreScale::Arbitrary),
            ],
        ) {
            out.scale = v;
        }
        if columns.score.is_none() {
            self.error_nowhere(
                "[scores] needs `columns.score`",
                Some("name the column holding the tool's risk score".into()),
            );
        }
        if columns.count.is_some() {
            self.error_nowhere(
                "[scores] cannot run with a frequency column (`columns.count`): it carries no scores",
                Some("submit the rows, or a counts submission of format `counts/1` (`s1557 counts`, `s1557 sql`; docs/counts.md), which carries the scores in bins".into()),
            );
        }
        match raw.metrics {
            Some(ms) => {
                for m in &ms {
                    match ScoreMetric::ALL
                        .into_iter()
                        .find(|x| x.name() == m.get_ref())
                    {
                        Some(x) if out.metrics.contains(&x) => self.error(
                            m,
                            format!("score metric `{}` is listed twice", m.get_ref()),
                            None,
                        ),
                        Some(x) => out.metrics.push(x),
                        None => self.error(
                            m,
                            format!("unknown score metric `{}`", m.get_ref()),
                            Some(format!(
                                "expected one of {}",
                                backticked(&ScoreMetric::ALL.map(ScoreMetric::name))
                            )),
                        ),
                    }
                    let x = ScoreMetric::ALL
                        .into_iter()
                        .find(|x| x.name() == m.get_ref());
                    if x == Some(ScoreMetric::Calibration) && out.scale == ScoreScale::Arbitrary {
                        self.error(
                            m,
                            "calibration needs probabilities; this score's scale is `arbitrary`",
                            Some("drop `calibration`, or set `scale = \"probability\"`".into()),
                        );
                    }
                    if x == Some(ScoreMetric::NeedAtEqualScore) && columns.need.is_none() {
                        self.error(
                            m,
                            "`need_at_equal_score` needs `columns.need`, the measure of need",
                            Some("e.g. need = \"active_chronic_conditions\"".into()),
                        );
                    }
                }
            }
            None => {
                out.metrics = vec![ScoreMetric::Auroc, ScoreMetric::AveragePrecision];
                if out.scale == ScoreScale::Probability {
                    out.metrics.push(ScoreMetric::Calibration);
                }
                if columns.need.is_some() {
                    out.metrics.push(ScoreMetric::NeedAtEqualScore);
                }
            }
        }
        if let Some(b) = &raw.reliability_bins {
            let v = *b.get_ref();
            if !out.wants(ScoreMetric::Calibration) {
                self.error(
                    b,
                    "`reliability_bins` only applies with `calibration` in `[scores].metrics`",
                    None,
                );
            }
            if !(2..=100).contains(&v) {
                self.error(
                    b,
                    format!("`reliability_bins` is {v}; expected 2 to 100 (10 is usual)"),
                    None,
                );
            } else {
                out.reliability_bins = v as usize;
            }
        }
        if let Some(b) = &raw.equal_score_bins {
            let v = *b.get_ref();
            if !(1..=100).contains(&v) {
                self.error(
                    b,
                    format!("`equal_score_bins` is {v}; expected 1 to 100 (10: deciles)"),
                    None,
                );
            } else {
                out.equal_score_bins = v as usize;
            }
        }
        if let Some(t) = &raw.thresholds {
            for &v in t.get_ref() {
                if !v.is_finite()
                    || (out.scale == ScoreScale::Probability && !(0.0..=1.0).contains(&v))
                {
                    self.error(t, format!("threshold {v} is not a score: expected a number in [0, 1] for a probability"), None);
                }
            }
            out.thresholds = t.get_ref().clone();
        }
        if let Some(t) = &raw.top_percent {
            for &v in t.get_ref() {
                if !(v > 0.0 && v < 100.0) {
                    self.error(
                        t,
                        format!("top_percent {v} is not a percentage in (0, 100)"),
                        Some("e.g. top_percent = [3] selects the top 3% of scores".into()),
                    );
                }
            }
            out.top_percent = t.get_ref().clone();
        }
        if out.scale == ScoreScale::Probability {
            out.bin_width = Some(DEFAULT_BIN_WIDTH);
        }
        if let Some(w) = &raw.bin_width {
            let v = *w.get_ref();
            if !(v.is_finite() && v > 0.0) {
                self.error(
                    w,
                    format!("`bin_width` is {v}; expected a positive number"),
                    Some("e.g. 0.001 for a probability, 1 for a whole-number score".into()),
                );
            } else if out.scale == ScoreScale::Probability && v > 0.1 {
                self.error(
                    w,
                    format!(
                        "`bin_width` {v} is too coarse for a probability; expected at most 0.1"
                    ),
                    Some(
                        "0.001 (the default) keeps every reported figure at the report's precision"
                            .into(),
                    ),
                );
            } else {
                out.bin_width = Some(v);
            }
        }
        if columns.need.is_some() && !out.wants(ScoreMetric::NeedAtEqualScore) {
            self.error_nowhere(
                "`columns.need` is named but `[scores].metrics` does not list `need_at_equal_score`",
                None,
            );
        }
        out
    }

    fn triggers(
        &mut self,
        raw: Vec<raw::RawTrigger>,
        analysis: &Analysis,
        scores: Option<&ScoreAnalysis>,
        attribute_names: &BTreeSet<String>,
    ) -> Vec<Trigger> {
        let mut out = Vec::new();
        let mut ids = BTreeSet::new();
        for t in raw {
            let before = self.diags.len();
            if !ids.insert(t.id.get_ref().clone()) {
                self.error(
                    &t.id,
                    format!("trigger id `{}` is used twice", t.id.get_ref()),
                    None,
                );
            }
            let metric = TriggerMetric::parse(t.metric.get_ref());
            let mut names: Vec<&str> = Metric::ALL.map(Metric::name).to_vec();
            names.extend(TriggerMetric::SCORE_NAMES);
            match metric {
                None => self.error(
                    &t.metric,
                    format!(
                        "unknown metric `{}` in trigger `{}`",
                        t.metric.get_ref(),
                        t.id.get_ref()
                    ),
                    Some(format!("expected one of {}", backticked(&names))),
                ),
                Some(TriggerMetric::Rate(m)) if !analysis.metrics.contains(&m) => self.error(
                    &t.metric,
                    format!(
                        "trigger `{}` uses metric `{}`, which `analysis.metrics` does not compare",
                        t.id.get_ref(),
                        m.name()
                    ),
                    Some(format!("add `{}` to `analysis.metrics`", m.name())),
                ),
                Some(m) => {
                    if let Some(sm) = m.score_metric() {
                        if !scores.is_some_and(|s| s.wants(sm)) {
                            self.error(
                                &t.metric,
                                format!(
                                    "trigger `{}` uses `{}`, which needs `{}` in `[scores].metrics`",
                                    t.id.get_ref(),
                                    m.name(),
                                    sm.name()
                                ),
                                None,
                            );
                        }
                    }
                }
            }
            let mut attributes = Vec::new();
            for a in t.attributes.iter().flatten() {
                if !attribute_names.contains(a.get_ref()) {
                    self.error(
                        a,
                        format!(
                            "trigger `{}` names unknown attribute `{}`",
                            t.id.get_ref(),
                            a.get_ref()
                        ),
                        Some(format!(
                            "expected one of {}",
                            backticked(&attribute_names.iter().collect::<Vec<_>>())
                        )),
                    );
                }
                attributes.push(a.get_ref().clone());
            }
            let ratio = t
                .ratio
                .as_ref()
                .and_then(|b| self.band(b, "ratio", true, false));
            if let (Some(TriggerMetric::Auroc), Some(b)) = (metric, &t.ratio) {
                self.error(
                    b,
                    format!(
                        "trigger `{}`: AUROC is compared as a difference; a `ratio` band does not apply",
                        t.id.get_ref()
                    ),
                    Some("e.g. difference = { min = -0.05, max = 0.05 }".into()),
                );
            }
            // Need is in its own units (conditions, say): its difference band is not bounded by 1.
            let unbounded = metric == Some(TriggerMetric::NeedAtEqualScore);
            let difference = t
                .difference
                .as_ref()
                .and_then(|b| self.band(b, "difference", false, unbounded));
            if t.ratio.is_none() && t.difference.is_none() {
                self.error(
                    &t.id,
                    format!(
                        "trigger `{}` has neither a `ratio` nor a `difference` band",
                        t.id.get_ref()
                    ),
                    Some("e.g. ratio = { min = 0.8, max = 1.25 }".into()),
                );
            }
            let severity = match t.severity.get_ref().as_str() {
                "remediate" => Severity::Remediate,
                "monitor" => Severity::Monitor,
                other => {
                    self.error(
                        &t.severity,
                        format!("unknown severity `{other}`"),
                        Some("expected one of `remediate`, `monitor`".into()),
                    );
                    Severity::Monitor
                }
            };
            let direction = match &t.direction {
                None => metric.map_or(Direction::Both, Direction::default_for),
                Some(d) => match d.get_ref().as_str() {
                    "lower" => Direction::Lower,
                    "higher" => Direction::Higher,
                    "both" => Direction::Both,
                    other => {
                        self.error(
                            d,
                            format!("unknown direction `{other}`"),
                            Some("expected one of `lower` (a lower value harms the group), `higher`, `both`".into()),
                        );
                        Direction::Both
                    }
                },
            };
            let open = |b: Option<Band>| b.map(|b| direction.judge(b));
            if self.diags.len() == before
                && [open(ratio), open(difference)]
                    .iter()
                    .flatten()
                    .any(|b| b.min.is_none() && b.max.is_none())
            {
                self.error(
                    &t.id,
                    format!(
                        "trigger `{}`: a band has no edge on the {} side, the side that harms",
                        t.id.get_ref(),
                        direction.name()
                    ),
                    Some(
                        "give the band a `min` for direction = \"lower\", a `max` for \"higher\""
                            .into(),
                    ),
                );
            }
            if self.diags.len() == before {
                if let Some(metric) = metric {
                    out.push(Trigger {
                        id: t.id.into_inner(),
                        metric,
                        attributes,
                        ratio,
                        difference,
                        severity,
                        action: t.action,
                        direction,
                    });
                }
            }
        }
        out
    }

    fn band(
        &mut self,
        b: &Spanned<raw::RawBand>,
        what: &str,
        ratio: bool,
        unbounded: bool,
    ) -> Option<Band> {
        let r = b.get_ref();
        if r.min.is_none() && r.max.is_none() {
            self.error(
                b,
                format!("the `{what}` band needs `min`, `max` or both"),
                None,
            );
            return None;
        }
        if r.min.is_some_and(|v| !v.is_finite()) || r.max.is_some_and(|v| !v.is_finite()) {
            self.error(b, format!("the `{what}` band's bounds must be finite numbers; leave a side out to leave it open"), None);
            return None;
        }
        if let (Some(lo), Some(hi)) = (r.min, r.max) {
            if lo >= hi {
                self.error(
                    b,
                    format!("the `{what}` band has min {lo} at or above max {hi}"),
                    None,
                );
                return None;
            }
        }
        if ratio {
            if r.min.is_some_and(|m| !(m > 0.0 && m < 1.0)) || r.max.is_some_and(|m| m <= 1.0) {
                self.error(
                    b,
                    "a `ratio` band must hold 1: `min` in (0, 1) and `max` above 1",
                    Some("e.g. the four-fifths rule: ratio = { min = 0.8, max = 1.25 }".into()),
                );
                return None;
            }
        } else if unbounded {
            if r.min.is_some_and(|m| m >= 0.0) || r.max.is_some_and(|m| m <= 0.0) {
                self.error(
                    b,
                    "a `difference` band must hold 0: `min` below 0 and `max` above 0",
                    Some("e.g. difference = { min = -0.5, max = 0.5 }".into()),
                );
                return None;
            }
        } else if r.min.is_some_and(|m| !(-1.0..0.0).contains(&m))
            || r.max.is_some_and(|m| !(m > 0.0 && m <= 1.0))
        {
            self.error(
                b,
                "a `difference` band must hold 0: `min` in [-1, 0) and `max` in (0, 1]",
                Some("e.g. difference = { min = -0.05, max = 0.05 }".into()),
            );
            return None;
        }
        Some(Band {
            min: r.min,
            max: r.max,
        })
    }
}

fn backticked<S: AsRef<str>>(items: &[S]) -> String {
    items
        .iter()
        .map(|s| format!("`{}`", s.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        let t = "a = 1\nbb = 2\n";
        assert_eq!(line_col(t, 0), (1, 1));
        assert_eq!(line_col(t, 6), (2, 1));
        assert_eq!(line_col(t, 9), (2, 4));
    }

    #[test]
    fn band_contains_is_inclusive() {
        let b = Band {
            min: Some(0.8),
            max: None,
        };
        assert!(b.contains(0.8));
        assert!(b.contains(5.0));
        assert!(!b.contains(0.79));
    }
}
