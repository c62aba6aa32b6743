//! Sufficient statistics: the seam between the data and everything after it.
//!
//! One pass over the rows (or a vendor's counts submission) yields, for every attribute and every
//! group, the four confusion counts of decision × outcome. Every count-based metric, interval,
//! test and power figure is a function of these counts alone, so the artifact carries them and
//! anyone can recompute its numbers.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Confusion counts of one group: decision (flagged or not) × true outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Confusion {
    /// Flagged, outcome positive.
    pub tp: u64,
    /// Flagged, outcome negative.
    pub fp: u64,
    /// Not flagged, outcome positive.
    #[serde(rename = "fn")]
    pub fn_: u64,
    /// Not flagged, outcome negative.
    pub tn: u64,
}

impl Confusion {
    pub fn n(&self) -> u64 {
        self.tp + self.fp + self.fn_ + self.tn
    }

    /// Whether any of the four counts is small: between 1 and `min_cell − 1`.
    pub fn has_small_cell(&self, min_cell: u64) -> bool {
        [self.tp, self.fp, self.fn_, self.tn]
            .into_iter()
            .any(|x| x > 0 && x < min_cell)
    }

    /// The counts as `[tp, fp, fn, tn]`.
    pub fn cells(&self) -> [u64; 4] {
        [self.tp, self.fp, self.fn_, self.tn]
    }

    /// Add `count` cases with the given decision and outcome.
    pub fn add(&mut self, decision: bool, outcome: bool, count: u64) {
        match (decision, outcome) {
            (true, true) => self.tp += count,
            (true, false) => self.fp += count,
            (false, true) => self.fn_ += count,
            (false, false) => self.tn += count,
        }
    }
}

/// Sums of survey weights per confusion cell, and of their squares (for Kish's effective
/// sample size), in the order tp, fp, fn, tn.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WeightSums {
    pub sum: [f64; 4],
    pub sum_sq: [f64; 4],
}

impl WeightSums {
    /// Add the weights of cases with the given decision and outcome.
    pub fn add(&mut self, decision: bool, outcome: bool, sum: f64, sum_sq: f64) {
        let i = match (decision, outcome) {
            (true, true) => 0,
            (true, false) => 1,
            (false, true) => 2,
            (false, false) => 3,
        };
        self.sum[i] += sum;
        self.sum_sq[i] += sum_sq;
    }
}

/// One group's counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GroupCounts {
    pub group: String,
    pub counts: Confusion,
    /// Survey-weight sums, when the protocol names a weight column.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub weights: Option<WeightSums>,
}

/// The groups of one attribute (or crossed attribute) with their counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AttributeCounts {
    pub attribute: String,
    /// The component attributes when this is a crossed attribute (race × sex); empty otherwise.
    pub crossed: Vec<String>,
    pub reference_group: String,
    /// Whether the groups have a natural order (age bands).
    pub ordered: bool,
    pub groups: Vec<GroupCounts>,
    /// The moments of the groups' cluster totals, when the protocol names `columns.cluster`
    /// (schema 1.6.0): the comparisons then take design-based variances.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub design: Option<AttributeDesign>,
}

/// Per stratum, the moments of each group's cluster totals: what a design-based (Taylor
/// linearised) variance of a rate, and of its gap from the reference group, needs. A cluster's
/// totals `T` are its cases' counts (or, with `columns.weight`, sums of weights) in the four
/// confusion cells, in the order tp, fp, fn, tn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AttributeDesign {
    /// Every stratum (one, `all`, without `columns.strata`) with its number of clusters over all
    /// groups.
    pub strata: Vec<StratumSize>,
    /// Each group's moments, in the order of `groups`.
    pub groups: Vec<GroupDesign>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct StratumSize {
    pub stratum: String,
    pub clusters: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GroupDesign {
    pub group: String,
    /// One entry per stratum in which the group has cases.
    pub strata: Vec<ClusterMoments>,
}

/// One group's moments in one stratum, over the stratum's clusters `c`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ClusterMoments {
    /// The stratum, as an index into [`AttributeDesign::strata`].
    pub stratum: usize,
    /// `Σ_c T_c`.
    pub sum: [f64; 4],
    /// `Σ_c T_c T_cᵀ`.
    pub cross: [[f64; 4]; 4],
    /// `Σ_c T_c R_cᵀ`, with `R_c` the reference group's totals in the same cluster.
    pub with_reference: [[f64; 4]; 4],
}

impl AttributeDesign {
    /// A group's moments (none when it has no case).
    pub fn group(&self, name: &str) -> Option<&GroupDesign> {
        self.groups.iter().find(|g| g.group == name)
    }
}

#[cfg(test)]
mod tests {
    use super::Confusion;

    #[test]
    fn a_small_cell_is_one_to_min_minus_one() {
        let c = |tp, fp, fn_, tn| Confusion { tp, fp, fn_, tn };
        assert!(!c(0, 0, 0, 0).has_small_cell(11));
        assert!(!c(0, 40, 0, 455).has_small_cell(11));
        assert!(c(3, 40, 2, 455).has_small_cell(11));
        assert!(!c(11, 12, 13, 14).has_small_cell(11));
    }
}

/// One group's counts within one stratum of a second attribute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StratumCounts {
    pub group: String,
    pub stratum: String,
    pub counts: Confusion,
}

/// An attribute's groups split by the strata of a second attribute (race by age band).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StratifiedCounts {
    pub attribute: String,
    pub by: String,
    pub reference_group: String,
    pub cells: Vec<StratumCounts>,
}

/// Where a run's evidence came from: the data file's name, SHA-256 and format, and whether it
/// held rows or counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Source {
    /// The data file's name.
    pub file: String,
    pub sha256: String,
    /// `csv` or `parquet`.
    pub format: String,
    /// `rows` (one row a case) or `counts` (a frequency column or a counts submission).
    pub input: String,
}

/// What a run knows of its data: where it came from and its sufficient statistics. Nothing after
/// this touches the data.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    pub source: Source,
    pub stats: SufficientStats,
}

/// Everything the statistics need from the data.
#[derive(Debug, Clone, PartialEq)]
pub struct SufficientStats {
    /// Cases represented (the sum of the counts when the input is a counts submission).
    pub cases: u64,
    pub attributes: Vec<AttributeCounts>,
    pub stratified: Vec<StratifiedCounts>,
    /// The rows' scores, when the protocol asks for score analyses.
    pub scores: Option<ScoreSample>,
    /// Cases each `[[data.exclude]]` rule left out, in the protocol's order (`None`: a counts
    /// submission, made with the rules applied, does not say).
    pub excluded: Option<Vec<u64>>,
}

/// The scores, kept per cell of the grouped table (from rows, each case's score; from a counts
/// submission's score table, each case at its bin's value, with `table` saying how fine that
/// is). Discrimination, calibration and need at equal score take every case's score, not only
/// the confusion counts. The scores are held once; `membership` says which group of each attribute a
/// cell belongs to, so each group's scores are gathered when its turn comes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScoreSample {
    pub cells: Vec<ScoredCell>,
    /// For each entry of [`SufficientStats::attributes`], in order: each cell's group, as an index
    /// into that attribute's `groups`.
    pub membership: Vec<Vec<usize>>,
    /// How finely the scores are known, when they come from a counts submission's score table.
    pub table: Option<ScoreTable>,
}

/// How a counts submission's score table resolves the scores. A bin whose cases all share one
/// score (its minimum equals its maximum) holds that score exactly; the cases of any other bin
/// take the bin's mean score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ScoreTable {
    /// The counts format, `counts/1`.
    pub format: String,
    /// The protocol's `[scores].bin_width`: a score falls in bin `floor(score × (1 / bin_width))`.
    pub bin_width: f64,
    /// Rows of the table with a score.
    pub rows: u64,
    /// Rows whose scores are not all equal (minimum below maximum).
    pub rows_with_spread: u64,
    /// The largest maximum − minimum of any row.
    pub max_spread: f64,
    /// Whether the table carries need (count, sum and sum of squares per row).
    pub with_need: bool,
    /// Per attribute and group: a bound on |AUROC from the table − AUROC from the rows|, the
    /// share of (outcome, no outcome) case pairs of the group whose two scores share a bin that
    /// does not hold one score value (0: exact).
    pub auroc_bounds: Vec<AurocBound>,
}

impl ScoreTable {
    /// The table bin of a score: `floor(score × (1 / bin_width))`, in doubles (the counts
    /// format's rule).
    pub fn bin_of(&self, score: f64) -> i64 {
        score_bin(score, self.bin_width)
    }
}

/// The bin of a score at a bin width: `floor(score × (1 / width))`, in doubles. Multiplying by
/// 1000 places a score of 0.043 in bin 43 where dividing by 0.001 gives 42.99999999999999 (bin
/// 42): of the 1,001 scores 0.000, 0.001, …, 1.000, division misplaces 126 and multiplication none.
pub fn score_bin(score: f64, width: f64) -> i64 {
    (score * (1.0 / width)).floor() as i64
}

/// The bound on one group's AUROC error from binning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AurocBound {
    pub attribute: String,
    pub group: String,
    pub bound: f64,
}

/// The scores of one cell (one combination of attribute values, decision and outcome).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScoredCell {
    pub outcome: bool,
    /// Finite scores of the cell's rows, in no particular order.
    pub scores: Vec<f64>,
    /// The measure of need of the same rows (NaN where missing); empty without a need column.
    pub needs: Vec<f64>,
    /// Rows of the cell without a score, left out of the score analyses.
    pub unscored: u64,
}
