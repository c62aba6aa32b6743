//! Score metrics by group, from the kept scores ([`ScoreSample`]): discrimination (AUROC with
//! DeLong's interval, average precision), calibration (observed/expected, calibration-in-the-large,
//! slope, Brier score, reliability bins, expected calibration error), operating points (fixed
//! thresholds and top-k% rules) and the measure of need at equal score — the check for bias in
//! the choice of label. Each group is compared with its attribute's reference group on AUROC,
//! O/E and need at equal score; those comparisons join the run's correction family.
//! Uses `stats` for every number; knows nothing of files or triggers.

use rayon::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{interval, rate, Estimate, Method};
use crate::protocol::{Analysis, ScoreAnalysis, ScoreMetric, ScoreScale};
use crate::stats::means::Running;
use crate::stats::{auroc, calibration, dist, grouped, means, Ci, Undefined};
use crate::suffstats::{AttributeCounts, ScoreSample, ScoreTable};

/// Everything computed from the scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ScoreResults {
    /// `probability` or `arbitrary`.
    pub scale: String,
    /// Cases with a score (the score analyses' denominator) and without one (left out).
    pub scored: u64,
    pub unscored: u64,
    /// Upper edge of each equal-score bin (the highest score in it), lowest bin first, when need
    /// is compared at equal score; `None` for a bin that heavy ties left empty.
    pub equal_score_bins: Vec<Option<f64>>,
    pub attributes: Vec<ScoreAttribute>,
    pub operating_points: Vec<OperatingPoint>,
    pub comparisons: Vec<ScoreComparison>,
    /// How finely the scores are known, when they come from a counts submission's score table.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub source: Option<ScoreSource>,
    /// The score's calibration over every case (probability scores).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub overall_calibration: Option<OverallCalibration>,
}

/// The score's logistic calibration over every scored case. A slope far from 1 means the score's
/// spread is wrong for everyone: groups with different case mix (more high-risk patients, say)
/// then get different O/E ratios from that alone, so O/E gaps mix miscalibration by group with
/// case mix; the calibration lines' test and slopes by group separate the two.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OverallCalibration {
    pub slope: Estimate,
    pub calibration_in_the_large: Estimate,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ScoreAttribute {
    pub attribute: String,
    pub reference_group: String,
    pub groups: Vec<ScoreGroup>,
}

/// One group's score metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ScoreGroup {
    pub group: String,
    pub is_reference: bool,
    /// Cases with a score, and how many of them had the outcome.
    pub n: u64,
    pub positives: u64,
    pub unscored: u64,
    /// AUROC (Mann–Whitney, ties half) with DeLong's interval.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub auroc: Option<Estimate>,
    /// Average precision with Boyd et al.'s logit interval.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub average_precision: Option<Estimate>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub calibration: Option<Calibration>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub need: Option<Need>,
}

/// Calibration of a probability score within one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Calibration {
    pub observed: u64,
    pub expected: f64,
    /// Observed/expected ratio: above 1, the score under-predicts the outcome in this group.
    pub observed_expected: Estimate,
    /// Calibration-in-the-large: intercept with the logit score as offset (0 is ideal).
    pub calibration_in_the_large: Estimate,
    /// Calibration slope of the logistic recalibration (1 is ideal; under 1, too extreme).
    pub slope: Estimate,
    pub brier: f64,
    pub expected_calibration_error: Option<f64>,
    /// Integrated calibration index under the group's logistic calibration curve:
    /// `mean |expit(a + b·logit p) − p|` (absent without a fit).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub integrated_calibration_index: Option<f64>,
    /// The group's calibration line against the reference's (absent for the reference).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub versus_reference: Option<CalibrationVersus>,
    pub bins: Vec<ReliabilityBin>,
}

/// A group's calibration against the reference group's: the likelihood-ratio test that the two
/// share one logistic calibration line (intercept and slope, 2 degrees of freedom; descriptive,
/// outside the correction families), and the differences in calibration-in-the-large and in
/// slope with Wald intervals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CalibrationVersus {
    pub lr_statistic: f64,
    pub p_value: f64,
    pub citl_difference: Estimate,
    pub slope_difference: Estimate,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ReliabilityBin {
    pub low: f64,
    pub high: f64,
    pub n: u64,
    pub events: u64,
    pub mean_score: Option<f64>,
    pub observed_rate: Estimate,
}

/// The measure of need in one group: overall, and by equal-score bin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Need {
    /// Cases with a value of the measure (a missing value leaves the case out of this analysis).
    pub n: u64,
    pub missing: u64,
    pub mean: Estimate,
    pub bins: Vec<NeedBin>,
}

/// Mean need within one equal-score bin, and the difference from the reference group there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct NeedBin {
    /// 1 = lowest scores.
    pub bin: usize,
    pub n: u64,
    pub mean: Estimate,
    /// Welch's difference from the reference group in the same bin (not for the reference).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub difference: Option<Estimate>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub p_value: Option<f64>,
}

/// A selection rule applied to every group: `score >= threshold`, or the top k% of scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OperatingPoint {
    /// `threshold` or `top_percent`.
    pub rule: String,
    /// The threshold, or the percentage selected.
    pub value: f64,
    /// The score cut-off applied (the threshold, or the score of the last case in the top k%).
    pub cutoff: f64,
    pub selected: u64,
    /// For a top-k% rule with a measure of need: the same share selected by need instead (ties at
    /// the cut-off included), and the cut-off on need.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub need_cutoff: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub need_selected: Option<u64>,
    pub attributes: Vec<OperatingAttribute>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OperatingAttribute {
    pub attribute: String,
    pub groups: Vec<OperatingGroup>,
}

/// One group at an operating point. Rates carry their numerator and denominator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OperatingGroup {
    pub group: String,
    pub n: u64,
    pub selected: u64,
    /// The confusion counts of the rule's decision against the outcome.
    pub counts: crate::suffstats::Confusion,
    pub selection_rate: Estimate,
    pub tpr: Estimate,
    pub fpr: Estimate,
    pub ppv: Estimate,
    /// The group's share of everyone selected.
    pub share_of_selected: Estimate,
    /// Under the need rule (top-k% by need): selected, and share of everyone selected.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub need_selected: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub share_of_need_selected: Option<Estimate>,
    /// With a measure of need: the mean need of the group's selected cases (Student's t
    /// interval). Beside the reference group's, it shows whether one group's selected patients
    /// are sicker (Obermeyer et al. 2019 at the 97th percentile); it also reflects how far above
    /// the cut-off each group's scores lie, so it is read with need at equal score.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub need_among_selected: Option<Estimate>,
    /// The difference from the reference group's mean need among its selected (Welch's interval)
    /// with Welch's p-value (descriptive: outside the correction family).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub need_among_selected_difference: Option<Estimate>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub need_among_selected_p: Option<f64>,
}

/// The test behind a score comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ScoreTest {
    /// DeLong's z for two independent AUROCs.
    Delong {
        statistic: f64,
        p_value: f64,
    },
    /// Wald z on the log of the ratio of the two O/E ratios.
    WaldLogRatio {
        statistic: f64,
        p_value: f64,
    },
    /// z on the standardized difference of mean need across equal-score bins.
    StandardizedZ {
        statistic: f64,
        p_value: f64,
    },
    Undefined {
        reason: String,
    },
}

impl ScoreTest {
    pub fn p_value(&self) -> Option<f64> {
        match self {
            ScoreTest::Delong { p_value, .. }
            | ScoreTest::WaldLogRatio { p_value, .. }
            | ScoreTest::StandardizedZ { p_value, .. } => Some(*p_value),
            ScoreTest::Undefined { .. } => None,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            ScoreTest::Delong { .. } => "delong",
            ScoreTest::WaldLogRatio { .. } => "wald_log_ratio",
            ScoreTest::StandardizedZ { .. } => "standardized_z",
            ScoreTest::Undefined { .. } => "",
        }
    }
}

/// What size of difference the data could detect, from the comparison's standard error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ScoreDetectable {
    /// The protocol's alpha divided by the size of the correction family.
    pub alpha: f64,
    pub power: f64,
    /// `(z_{1−α/2} + z_power)·SE` of the difference.
    pub difference: Option<f64>,
    /// The same on the ratio scale, `exp(±(z_{1−α/2} + z_power)·SE(log ratio))`.
    pub ratio_down: Option<f64>,
    pub ratio_up: Option<f64>,
}

/// A group compared with its reference on a score metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ScoreComparison {
    /// `attribute/group/metric`, unique in the run.
    pub id: String,
    pub attribute: String,
    pub group: String,
    pub reference_group: String,
    pub metric: ScoreComparisonMetric,
    /// The cases the comparison rests on, for the minimum-size rule: the smaller of positives and
    /// negatives (AUROC), the events (O/E), the cases with need in bins shared with the reference.
    pub n: u64,
    pub reference_n: u64,
    /// The group's and the reference's values (for need: the means standardized to the group's
    /// score distribution).
    pub value: Option<f64>,
    pub reference_value: Option<f64>,
    pub difference: Estimate,
    pub ratio: Estimate,
    pub se_difference: Option<f64>,
    pub se_log_ratio: Option<f64>,
    pub test: ScoreTest,
    pub p_adjusted: Option<f64>,
    pub detectable: ScoreDetectable,
}

/// Every scored case once, in ascending score order (ties: by cell, then by need), with its
/// outcome, its cell of the grouped table and its need. Built from the sample's cells by one
/// sort; every per-group statistic is then a linear sweep, all groups of an attribute at once.
struct Rows {
    scores: Vec<f64>,
    outcomes: Vec<bool>,
    cells: Vec<u32>,
    /// Empty without a measure of need.
    needs: Vec<f64>,
}

impl Rows {
    fn new(sample: &ScoreSample) -> Rows {
        let mut keys: Vec<(f64, u32, u32)> = sample
            .cells
            .iter()
            .enumerate()
            .flat_map(|(c, cell)| {
                cell.scores
                    .iter()
                    .enumerate()
                    .map(move |(i, &s)| (s, c as u32, i as u32))
            })
            .collect();
        // Keys are unique (cell, position), so the order is total and the same on every run.
        keys.par_sort_unstable_by(|x, y| {
            x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2))
        });
        let with_need = sample.cells.iter().any(|c| !c.needs.is_empty());
        Rows {
            scores: keys.iter().map(|k| k.0).collect(),
            outcomes: keys
                .iter()
                .map(|k| sample.cells[k.1 as usize].outcome)
                .collect(),
            cells: keys.iter().map(|k| k.1).collect(),
            needs: if with_need {
                keys.iter()
                    .map(|k| sample.cells[k.1 as usize].needs[k.2 as usize])
                    .collect()
            } else {
                vec![]
            },
        }
    }

    /// Each case's group under attribute `ai` (`groups` where the cell has none).
    fn groups(&self, sample: &ScoreSample, ai: usize, groups: usize) -> Vec<u32> {
        let member = &sample.membership[ai];
        self.cells
            .iter()
            .map(|&c| member[c as usize].min(groups) as u32)
            .collect()
    }
}

/// The equal-score bin (0-based) of score `s` among `sorted` (ascending, all scores):
/// `min(B − 1, ⌊B·(number of scores strictly below s)/N⌋)`.
pub fn equal_score_bin(sorted: &[f64], bins: usize, s: f64) -> usize {
    let below = sorted.partition_point(|&x| x < s);
    (((below as u128 * bins as u128) / sorted.len().max(1) as u128) as usize).min(bins - 1)
}

/// The equal-score bin of every case of `sorted` (ascending), in one pass over its tie blocks.
fn bins_of(sorted: &[f64], bins: usize) -> Vec<u16> {
    let n = sorted.len().max(1) as u128;
    let mut out = Vec::with_capacity(sorted.len());
    let mut start = 0;
    for i in 0..sorted.len() {
        if sorted[i] != sorted[start] {
            start = i;
        }
        out.push((((start as u128 * bins as u128) / n) as usize).min(bins - 1) as u16);
    }
    out
}

/// The cut-off that selects the top `percent`% of `sorted` (ascending; ties at the cut-off
/// included): the value of the ⌊percent/100·N⌋-th highest (at least the highest).
pub fn top_cutoff(sorted: &[f64], percent: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    // percent·N first: exact for whole percentages (0.29·100 would floor to 28).
    let k = ((percent * sorted.len() as f64 / 100.0).floor() as usize).clamp(1, sorted.len());
    Some(sorted[sorted.len() - k])
}

struct GroupStats {
    group: ScoreGroup,
    auroc: Option<auroc::Auroc>,
    /// (observed, expected, n) for O/E comparisons.
    oe: Option<(f64, f64, f64)>,
    need_bins: Vec<means::Summary>,
}

/// The score metrics of every group of one attribute.
#[allow(clippy::too_many_arguments)]
fn attribute_stats(
    rows: &Rows,
    logits: &[f64],
    bin_of: &[u16],
    group: &[u32],
    a: &AttributeCounts,
    unscored: &[u64],
    sa: &ScoreAnalysis,
    level: f64,
) -> Vec<GroupStats> {
    let k = a.groups.len();
    let (mut n, mut positives) = (vec![0u64; k], vec![0u64; k]);
    for (&y, &g) in rows.outcomes.iter().zip(group) {
        if (g as usize) < k {
            n[g as usize] += 1;
            positives[g as usize] += u64::from(y);
        }
    }
    let au = sa
        .wants(ScoreMetric::Auroc)
        .then(|| grouped::auroc(&rows.scores, &rows.outcomes, group, k));
    let ap = sa
        .wants(ScoreMetric::AveragePrecision)
        .then(|| grouped::average_precision(&rows.scores, &rows.outcomes, group, k));
    let calibrate = sa.wants(ScoreMetric::Calibration) && sa.scale == ScoreScale::Probability;
    let (recal, citl) = if calibrate {
        (
            grouped::logistic_recalibration(logits, &rows.outcomes, group, k),
            grouped::calibration_in_the_large(logits, &rows.outcomes, group, k),
        )
    } else {
        (vec![], vec![])
    };
    let ri = a.groups.iter().position(|g| g.group == a.reference_group);
    let (versus, ici) = if calibrate {
        (
            calibration_versus(logits, &rows.outcomes, group, &recal, &citl, (ri, level)),
            grouped::integrated_calibration_index(logits, &rows.scores, group, &recal),
        )
    } else {
        (vec![], vec![])
    };
    // Sums for O/E and Brier, and the reliability bins, per group.
    let (mut expected, mut brier) = (vec![0.0f64; k], vec![0.0f64; k]);
    let mut rel = vec![calibration::ReliabilityTable::new(sa.reliability_bins); k];
    if calibrate {
        for ((&p, &y), &g) in rows.scores.iter().zip(&rows.outcomes).zip(group) {
            let g = g as usize;
            if g >= k {
                continue;
            }
            expected[g] += p;
            brier[g] += (p - f64::from(u8::from(y))).powi(2);
            rel[g].add(p, y);
        }
    }
    // Need: overall and by equal-score bin.
    let want_need = sa.wants(ScoreMetric::NeedAtEqualScore);
    let nb = sa.equal_score_bins;
    let (mut need_all, mut need_bin) = (
        vec![Running::default(); k],
        vec![vec![Running::default(); nb]; k],
    );
    let mut need_missing = vec![0u64; k];
    if want_need {
        for ((&v, &b), &g) in rows.needs.iter().zip(bin_of).zip(group) {
            let g = g as usize;
            if g >= k {
                continue;
            }
            if v.is_finite() {
                need_all[g].push(v);
                need_bin[g][b as usize].push(v);
            } else {
                need_missing[g] += 1;
            }
        }
    }
    let wald = |v: f64, se: f64| (v, Ci::wald(v, se, level));
    (0..k)
        .map(|g| {
            let name = &a.groups[g].group;
            // A DeLong variance of 0 (perfect separation, or one score for everyone) is no
            // measure of uncertainty: such an AUROC gets no interval and no comparison.
            let auroc_result = au.as_ref().map(|r| {
                r[g].and_then(|x| {
                    if x.variance > 0.0 {
                        Ok(x)
                    } else {
                        Err(Undefined(
                            "DeLong variance is zero (perfect separation or a single score): no interval",
                        ))
                    }
                })
            });
            let bins = rel[g].bins();
            let cal = (calibrate && n[g] > 0).then(|| Calibration {
                observed: positives[g],
                expected: expected[g],
                observed_expected: Estimate::from_result(
                    calibration::observed_expected(
                        positives[g] as f64,
                        expected[g],
                        n[g] as f64,
                        level,
                    )
                    .map(|(r, ci, _)| (r, ci)),
                    level,
                    Method::LogBinomial,
                ),
                calibration_in_the_large: Estimate::from_result(
                    citl[g].map(|(a, se)| wald(a, se)),
                    level,
                    Method::Wald,
                ),
                slope: Estimate::from_result(recal[g].map(|r| wald(r.slope, r.se_slope)), level, Method::Wald),
                brier: brier[g] / n[g] as f64,
                expected_calibration_error: calibration::expected_calibration_error(&bins).ok(),
                integrated_calibration_index: ici.get(g).copied().flatten(),
                versus_reference: versus.get(g).cloned().flatten(),
                bins: bins
                    .iter()
                    .map(|b| ReliabilityBin {
                        low: b.low,
                        high: b.high,
                        n: b.n,
                        events: b.events,
                        mean_score: (b.n > 0).then_some(b.mean_score),
                        observed_rate: rate(
                            b.events,
                            b.n,
                            level,
                            crate::protocol::RateInterval::Wilson,
                        ),
                    })
                    .collect(),
            });
            let need_bins: Vec<means::Summary> = if want_need {
                need_bin[g].iter().map(Running::summary).collect()
            } else {
                vec![]
            };
            let need = want_need.then(|| {
                let overall = need_all[g].summary();
                Need {
                    n: overall.n as u64,
                    missing: need_missing[g],
                    mean: Estimate::from_result(
                        means::mean_ci(&overall, level).map(|ci| (overall.mean, ci)),
                        level,
                        Method::StudentT,
                    ),
                    bins: need_bins
                        .iter()
                        .enumerate()
                        .map(|(i, s)| NeedBin {
                            bin: i + 1,
                            n: s.n as u64,
                            mean: Estimate::from_result(
                                means::mean_ci(s, level).map(|ci| (s.mean, ci)),
                                level,
                                Method::StudentT,
                            ),
                            difference: None,
                            p_value: None,
                        })
                        .collect(),
                }
            });
            GroupStats {
                group: ScoreGroup {
                    group: name.clone(),
                    is_reference: *name == a.reference_group,
                    n: n[g],
                    positives: positives[g],
                    unscored: unscored[g],
                    auroc: auroc_result.map(|r| {
                        Estimate::from_result(
                            r.map(|x| (x.auc, auroc::auroc_ci(&x, level))),
                            level,
                            Method::Delong,
                        )
                    }),
                    average_precision: ap.as_ref().map(|r| {
                        Estimate::from_result(
                            r[g].and_then(|v| {
                                calibration::average_precision_ci(v, positives[g], level)
                                    .map(|ci| (v, ci))
                            }),
                            level,
                            Method::BoydLogit,
                        )
                    }),
                    calibration: cal,
                    need,
                },
                auroc: auroc_result.and_then(Result::ok),
                oe: (calibrate && n[g] > 0)
                    .then(|| (positives[g] as f64, expected[g], n[g] as f64)),
                need_bins,
            }
        })
        .collect()
}

fn undefined(reason: &str) -> Estimate {
    Estimate::Undefined {
        reason: reason.to_string(),
    }
}

/// What a score comparison compares (written by its [`ScoreComparisonMetric::name`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScoreComparisonMetric {
    /// The AUROC difference (DeLong's test for independent groups).
    Auroc,
    /// The ratio of observed/expected outcomes.
    OeRatio,
    /// The group's need against the reference's at equal score.
    NeedAtEqualScore,
}

impl ScoreComparisonMetric {
    pub fn name(self) -> &'static str {
        match self {
            ScoreComparisonMetric::Auroc => "auroc",
            ScoreComparisonMetric::OeRatio => "oe_ratio",
            ScoreComparisonMetric::NeedAtEqualScore => "need_at_equal_score",
        }
    }

    /// A plain-language label for reports.
    pub fn label(self) -> &'static str {
        match self {
            ScoreComparisonMetric::Auroc => "AUROC (discrimination of the outcome)",
            ScoreComparisonMetric::OeRatio => "Observed/expected outcomes (calibration)",
            ScoreComparisonMetric::NeedAtEqualScore => "Need at equal score",
        }
    }
}

impl std::fmt::Display for ScoreComparisonMetric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

fn comparison_shell(
    attr: &str,
    group: &str,
    reference: &str,
    metric: ScoreComparisonMetric,
) -> ScoreComparison {
    ScoreComparison {
        id: super::comparison_id(attr, group, metric.name()),
        attribute: attr.to_string(),
        group: group.to_string(),
        reference_group: reference.to_string(),
        metric,
        n: 0,
        reference_n: 0,
        value: None,
        reference_value: None,
        difference: undefined("not computed"),
        ratio: undefined("not used for this metric"),
        se_difference: None,
        se_log_ratio: None,
        test: ScoreTest::Undefined {
            reason: "not computed".into(),
        },
        p_adjusted: None,
        detectable: ScoreDetectable {
            alpha: 0.0,
            power: 0.0,
            difference: None,
            ratio_down: None,
            ratio_up: None,
        },
    }
}

fn compare_auroc(c: &mut ScoreComparison, g: &GroupStats, r: &GroupStats, level: f64) {
    let limit = |s: &ScoreGroup| s.positives.min(s.n - s.positives);
    c.n = limit(&g.group);
    c.reference_n = limit(&r.group);
    let (Some(ga), Some(ra)) = (g.auroc, r.auroc) else {
        let reason = "an AUROC has no interval (needs two positive and two negative cases, and scores that do not separate them perfectly)";
        c.difference = undefined(reason);
        c.test = ScoreTest::Undefined {
            reason: reason.into(),
        };
        return;
    };
    c.value = Some(ga.auc);
    c.reference_value = Some(ra.auc);
    let se = (ga.variance + ra.variance).sqrt();
    let d = ga.auc - ra.auc;
    c.se_difference = Some(se);
    match auroc::delong_independent(&ga, &ra) {
        Ok((z, p)) => {
            c.difference = Estimate::Value {
                value: d,
                ci: interval(Ci::wald(d, se, level), level, Method::Delong),
            };
            c.test = ScoreTest::Delong {
                statistic: z,
                p_value: p,
            };
        }
        Err(u) => {
            c.difference = undefined(u.0);
            c.test = ScoreTest::Undefined {
                reason: u.0.to_string(),
            };
        }
    }
}

fn compare_oe(c: &mut ScoreComparison, g: &GroupStats, r: &GroupStats, level: f64) {
    let (Some((og, eg, ng)), Some((or, er, nr))) = (g.oe, r.oe) else {
        return;
    };
    c.n = og as u64;
    c.reference_n = or as u64;
    let (gr, rr) = (
        calibration::observed_expected(og, eg, ng, level),
        calibration::observed_expected(or, er, nr, level),
    );
    let ((vg, _, sg), (vr, _, sr)) = match (gr, rr) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(u), _) | (_, Err(u)) => {
            c.difference = undefined(u.0);
            c.ratio = undefined(u.0);
            c.test = ScoreTest::Undefined {
                reason: format!("an O/E ratio is undefined: {}", u.0),
            };
            return;
        }
    };
    c.value = Some(vg);
    c.reference_value = Some(vr);
    let se_log = (sg * sg + sr * sr).sqrt();
    let ratio = vg / vr;
    let z = ratio.ln() / se_log;
    c.se_log_ratio = Some(se_log);
    c.ratio = Estimate::Value {
        value: ratio,
        ci: interval(Ci::wald_log(ratio, se_log, level), level, Method::WaldLog),
    };
    // Delta method: SE(O/E) = O/E · SE(log O/E).
    let se_d = ((vg * sg).powi(2) + (vr * sr).powi(2)).sqrt();
    c.se_difference = Some(se_d);
    c.difference = Estimate::Value {
        value: vg - vr,
        ci: interval(Ci::wald(vg - vr, se_d, level), level, Method::WaldDelta),
    };
    c.test = ScoreTest::WaldLogRatio {
        statistic: z,
        p_value: dist::normal_two_sided_p(z),
    };
}

fn compare_need(c: &mut ScoreComparison, g: &GroupStats, r: &GroupStats, level: f64) {
    let strata: Vec<(means::Summary, means::Summary)> = g
        .need_bins
        .iter()
        .copied()
        .zip(r.need_bins.iter().copied())
        .collect();
    c.reference_n = strata
        .iter()
        .filter(|(a, b)| a.n >= 2 && b.n >= 2)
        .map(|(_, b)| b.n as u64)
        .sum();
    match means::standardized_difference(&strata) {
        Ok(s) => {
            c.n = s.group_n as u64;
            c.value = Some(s.group_mean);
            c.reference_value = Some(s.reference_mean);
            c.se_difference = Some(s.se);
            c.difference = Estimate::Value {
                value: s.difference,
                ci: interval(
                    Ci::wald(s.difference, s.se, level),
                    level,
                    Method::StandardizedWald,
                ),
            };
            if let Some((ratio, se_log)) = s.ratio {
                c.se_log_ratio = Some(se_log);
                c.ratio = Estimate::Value {
                    value: ratio,
                    ci: interval(
                        Ci::wald_log(ratio, se_log, level),
                        level,
                        Method::StandardizedWaldLog,
                    ),
                };
            } else {
                c.ratio = undefined("a standardized mean is not positive");
            }
            c.test = ScoreTest::StandardizedZ {
                statistic: s.z,
                p_value: s.p_value,
            };
        }
        Err(u) => {
            c.difference = undefined(u.0);
            c.ratio = undefined(u.0);
            c.test = ScoreTest::Undefined {
                reason: u.0.to_string(),
            };
        }
    }
}

/// The detectable differences of a comparison at `alpha` (already divided by the family size).
pub fn detectable(c: &ScoreComparison, alpha: f64, power: f64) -> ScoreDetectable {
    let k = dist::normal_quantile(1.0 - alpha / 2.0) + dist::normal_quantile(power);
    ScoreDetectable {
        alpha,
        power,
        difference: c.se_difference.map(|se| k * se),
        ratio_down: c.se_log_ratio.map(|se| (-k * se).exp()),
        ratio_up: c.se_log_ratio.map(|se| (k * se).exp()),
    }
}

/// The logistic calibration of every case together.
fn overall_calibration(logits: &[f64], outcomes: &[bool], level: f64) -> OverallCalibration {
    let everyone = vec![0u32; logits.len()];
    let wald = |r: Result<(f64, f64), Undefined>| {
        Estimate::from_result(
            r.map(|(v, se)| (v, Ci::wald(v, se, level))),
            level,
            Method::Wald,
        )
    };
    let recal = grouped::logistic_recalibration(logits, outcomes, &everyone, 1);
    let citl = grouped::calibration_in_the_large(logits, outcomes, &everyone, 1);
    OverallCalibration {
        slope: wald(recal[0].map(|r| (r.slope, r.se_slope))),
        calibration_in_the_large: wald(citl[0]),
    }
}

/// A group's fit, or why it has none.
type Fitted<T> = Result<T, Undefined>;

/// Each group's calibration line against the reference's (none for the reference, or without
/// both fits and the pooled one).
fn calibration_versus(
    logits: &[f64],
    outcomes: &[bool],
    group: &[u32],
    recal: &[Fitted<calibration::Recalibration>],
    citl: &[Fitted<(f64, f64)>],
    (ri, level): (Option<usize>, f64),
) -> Vec<Option<CalibrationVersus>> {
    let Some(ri) = ri else {
        return vec![None; recal.len()];
    };
    let paired = grouped::paired_recalibration(logits, outcomes, group, recal.len(), ri);
    let wald = |v: f64, se: f64| Estimate::Value {
        value: v,
        ci: interval(Ci::wald(v, se, level), level, Method::Wald),
    };
    (0..recal.len())
        .map(|g| {
            let (Ok(fg), Ok(fr), Ok(fp)) = (&recal[g], &recal[ri], &paired[g]) else {
                return None;
            };
            let v = grouped::calibration_versus(fg, fr, fp);
            let citl_difference = match (citl[g], citl[ri]) {
                (Ok((a, sa)), Ok((b, sb))) => wald(a - b, sa.hypot(sb)),
                _ => undefined("calibration-in-the-large is undefined in a group"),
            };
            Some(CalibrationVersus {
                lr_statistic: v.statistic,
                p_value: v.p_value,
                citl_difference,
                slope_difference: wald(v.slope_difference, v.se_slope_difference),
            })
        })
        .collect()
}

/// Each group at an operating point: the cases at or above `cutoff` (a suffix of the ascending
/// rows) are selected; with a need rule, also the cases whose need is at or above its cut-off.
#[allow(clippy::too_many_arguments)]
fn operating_groups(
    rows: &Rows,
    group: &[u32],
    a: &AttributeCounts,
    cutoff: f64,
    total_selected: u64,
    need_rule: Option<(f64, u64)>,
    level: f64,
) -> Vec<OperatingGroup> {
    let k = a.groups.len();
    let first = rows.scores.partition_point(|&s| s < cutoff);
    let mut conf = vec![crate::suffstats::Confusion::default(); k];
    let mut by_need = vec![0u64; k];
    let mut need_selected = vec![Running::default(); k];
    for (i, (&y, &g)) in rows.outcomes.iter().zip(group).enumerate() {
        let g = g as usize;
        if g >= k {
            continue;
        }
        conf[g].add(i >= first, y, 1);
        if i >= first && !rows.needs.is_empty() && rows.needs[i].is_finite() {
            need_selected[g].push(rows.needs[i]);
        }
        if let Some((nc, _)) = need_rule {
            let v = rows.needs[i];
            if v.is_finite() && v >= nc {
                by_need[g] += 1;
            }
        }
    }
    let w = crate::protocol::RateInterval::Wilson;
    let mut out: Vec<OperatingGroup> = (0..k)
        .map(|g| {
            let c = conf[g];
            let selected = c.tp + c.fp;
            OperatingGroup {
                group: a.groups[g].group.clone(),
                n: c.n(),
                selected,
                counts: c,
                selection_rate: rate(selected, c.n(), level, w),
                tpr: rate(c.tp, c.tp + c.fn_, level, w),
                fpr: rate(c.fp, c.fp + c.tn, level, w),
                ppv: rate(c.tp, selected, level, w),
                share_of_selected: rate(selected, total_selected, level, w),
                need_selected: need_rule.map(|_| by_need[g]),
                share_of_need_selected: need_rule
                    .map(|(_, total)| rate(by_need[g], total, level, w)),
                need_among_selected: None,
                need_among_selected_difference: None,
                need_among_selected_p: None,
            }
        })
        .collect();
    if !rows.needs.is_empty() {
        need_at_selection(&mut out, &need_selected, a, level);
    }
    out
}

/// The mean need among each group's selected cases, and its difference from the reference
/// group's (Welch), at one operating point.
fn need_at_selection(
    out: &mut [OperatingGroup],
    need_selected: &[Running],
    a: &AttributeCounts,
    level: f64,
) {
    let summaries: Vec<means::Summary> = need_selected.iter().map(Running::summary).collect();
    let ri = a.groups.iter().position(|g| g.group == a.reference_group);
    for (g, s) in out.iter_mut().zip(&summaries) {
        g.need_among_selected = Some(Estimate::from_result(
            means::mean_ci(s, level).map(|ci| (s.mean, ci)),
            level,
            Method::StudentT,
        ));
    }
    let Some(ri) = ri else { return };
    for (gi, g) in out.iter_mut().enumerate().filter(|(gi, _)| *gi != ri) {
        match means::welch(&summaries[gi], &summaries[ri], level) {
            Ok(w) => {
                g.need_among_selected_difference = Some(Estimate::Value {
                    value: w.difference,
                    ci: interval(w.ci, level, Method::Welch),
                });
                g.need_among_selected_p = Some(w.p_value);
            }
            Err(u) => g.need_among_selected_difference = Some(undefined(u.0)),
        }
    }
}

/// Compute every score metric and comparison (p-values not yet adjusted).
pub fn compute(
    sample: &ScoreSample,
    attributes: &[AttributeCounts],
    sa: &ScoreAnalysis,
    analysis: &Analysis,
) -> ScoreResults {
    let level = analysis.confidence_level;
    let rows = Rows::new(sample);
    let unscored: u64 = sample.cells.iter().map(|c| c.unscored).sum();
    let want_need = sa.wants(ScoreMetric::NeedAtEqualScore);
    let bin_of = match (want_need, &sample.table) {
        (false, _) => vec![],
        (true, None) => bins_of(&rows.scores, sa.equal_score_bins),
        // From a score table, the cases of one table bin stand at their rows' means, which
        // differ from row to row: the equal-score bins are cut on the table bin itself, so a
        // table bin never straddles two equal-score bins.
        (true, Some(t)) => {
            let table_bin: Vec<f64> = rows.scores.iter().map(|&s| t.bin_of(s) as f64).collect();
            bins_of(&table_bin, sa.equal_score_bins)
        }
    };
    let logits: Vec<f64> =
        if sa.wants(ScoreMetric::Calibration) && sa.scale == ScoreScale::Probability {
            rows.scores.iter().map(|&p| calibration::logit(p)).collect()
        } else {
            vec![]
        };
    let mut needs_sorted: Vec<f64> = if want_need {
        rows.needs
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .collect()
    } else {
        vec![]
    };
    needs_sorted.par_sort_unstable_by(f64::total_cmp);

    // The rules: thresholds, then top-k%: (rule, value, score cut-off, need cut-off).
    let mut rules: Vec<(String, f64, f64, Option<f64>)> = sa
        .thresholds
        .iter()
        .map(|&t| ("threshold".to_string(), t, t, None))
        .collect();
    for &k in &sa.top_percent {
        if let Some(cut) = top_cutoff(&rows.scores, k) {
            // A score table carries each row's need as moments, not each case's need: the top
            // k% by need is not defined from it.
            let need_cut = if want_need && sample.table.is_none() {
                top_cutoff(&needs_sorted, k)
            } else {
                None
            };
            rules.push(("top_percent".to_string(), k, cut, need_cut));
        }
    }
    let mut operating: Vec<OperatingPoint> = rules
        .iter()
        .map(|(rule, value, cutoff, need_cut)| OperatingPoint {
            rule: rule.clone(),
            value: *value,
            cutoff: *cutoff,
            selected: (rows.scores.len() - rows.scores.partition_point(|&s| s < *cutoff)) as u64,
            need_cutoff: *need_cut,
            need_selected: need_cut
                .map(|nc| (needs_sorted.len() - needs_sorted.partition_point(|&v| v < nc)) as u64),
            attributes: vec![],
        })
        .collect();

    // Every attribute in parallel: its groups' statistics and its rows at each operating point.
    type PerAttribute = (Vec<GroupStats>, Vec<Vec<OperatingGroup>>);
    let per_attribute: Vec<PerAttribute> = attributes
        .par_iter()
        .enumerate()
        .map(|(ai, a)| {
            let group = rows.groups(sample, ai, a.groups.len());
            let mut unscored = vec![0u64; a.groups.len()];
            for (cell, &g) in sample.cells.iter().zip(&sample.membership[ai]) {
                if let Some(u) = unscored.get_mut(g) {
                    *u += cell.unscored;
                }
            }
            let stats = attribute_stats(&rows, &logits, &bin_of, &group, a, &unscored, sa, level);
            let ops = operating
                .iter()
                .map(|op| {
                    let need_rule = op.need_cutoff.zip(op.need_selected);
                    operating_groups(&rows, &group, a, op.cutoff, op.selected, need_rule, level)
                })
                .collect();
            (stats, ops)
        })
        .collect();

    let mut out_attributes = Vec::new();
    let mut comparisons = Vec::new();
    for (a, (stats, ops)) in attributes.iter().zip(per_attribute) {
        for (op, groups) in operating.iter_mut().zip(ops) {
            op.attributes.push(OperatingAttribute {
                attribute: a.attribute.clone(),
                groups,
            });
        }
        let ri = a.groups.iter().position(|g| g.group == a.reference_group);
        let mut groups: Vec<ScoreGroup> = stats.iter().map(|s| s.group.clone()).collect();
        if let Some(ri) = ri {
            let r = &stats[ri];
            for (gi, g) in stats.iter().enumerate() {
                if gi == ri {
                    continue;
                }
                // Need by bin: Welch's difference from the reference in the same bin.
                if let Some(need) = groups[gi].need.as_mut() {
                    for (b, nb) in need.bins.iter_mut().enumerate() {
                        if let Ok(w) = means::welch(&g.need_bins[b], &r.need_bins[b], level) {
                            nb.difference = Some(Estimate::Value {
                                value: w.difference,
                                ci: interval(w.ci, level, Method::Welch),
                            });
                            nb.p_value = Some(w.p_value);
                        }
                    }
                }
                let name = &g.group.group;
                if sa.wants(ScoreMetric::Auroc) {
                    let mut c = comparison_shell(
                        &a.attribute,
                        name,
                        &a.reference_group,
                        ScoreComparisonMetric::Auroc,
                    );
                    compare_auroc(&mut c, g, r, level);
                    comparisons.push(c);
                }
                if sa.wants(ScoreMetric::Calibration) && sa.scale == ScoreScale::Probability {
                    let mut c = comparison_shell(
                        &a.attribute,
                        name,
                        &a.reference_group,
                        ScoreComparisonMetric::OeRatio,
                    );
                    compare_oe(&mut c, g, r, level);
                    comparisons.push(c);
                }
                if want_need {
                    let mut c = comparison_shell(
                        &a.attribute,
                        name,
                        &a.reference_group,
                        ScoreComparisonMetric::NeedAtEqualScore,
                    );
                    compare_need(&mut c, g, r, level);
                    comparisons.push(c);
                }
            }
        }
        out_attributes.push(ScoreAttribute {
            attribute: a.attribute.clone(),
            reference_group: a.reference_group.clone(),
            groups: std::mem::take(&mut groups),
        });
    }
    // The upper score edge of each equal-score bin.
    let mut edges: Vec<Option<f64>> = Vec::new();
    if want_need {
        let mut last = vec![f64::NAN; sa.equal_score_bins];
        for (&s, &b) in rows.scores.iter().zip(&bin_of) {
            last[b as usize] = s;
        }
        edges = last
            .into_iter()
            .map(|e| (!e.is_nan()).then_some(e))
            .collect();
    }
    ScoreResults {
        scale: match sa.scale {
            ScoreScale::Probability => "probability".into(),
            ScoreScale::Arbitrary => "arbitrary".into(),
        },
        scored: rows.scores.len() as u64,
        unscored,
        equal_score_bins: edges,
        attributes: out_attributes,
        operating_points: operating,
        comparisons,
        source: sample.table.as_ref().map(|t| source(t, sa)),
        overall_calibration: (!logits.is_empty())
            .then(|| overall_calibration(&logits, &rows.outcomes, level)),
    }
}

/// Which score analyses a counts submission's score table gives exactly, which at the table's
/// resolution (with a bound where one is known), and which it cannot give.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ScoreSource {
    pub table: ScoreTable,
    pub exact: Vec<String>,
    pub binned: Vec<BinnedAnalysis>,
    pub unavailable: Vec<String>,
}

/// An analysis computed at the table's resolution, and how far it can be from the rows' value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BinnedAnalysis {
    pub analysis: String,
    pub bound: String,
}

/// State what a score table resolves: every analysis is exact when each row holds one score
/// value; otherwise AUROC is within each group's bound, Brier understates by at most a quarter of
/// the largest spread squared, O/E stays exact (the sums travel), reliability bins are exact where
/// the table's bins nest in them, and the rest are at the bin resolution.
pub fn source(table: &ScoreTable, sa: &ScoreAnalysis) -> ScoreSource {
    let single = table.rows_with_spread == 0;
    let (mut exact, mut binned) = (vec![], vec![]);
    let mut put = |name: String, ok: bool, bound: String| {
        if ok {
            exact.push(name);
        } else {
            binned.push(BinnedAnalysis {
                analysis: name,
                bound,
            });
        }
    };
    let k = 1.0 / table.bin_width;
    let no_bound = || "no closed bound".to_string();
    let side = |what: &str| format!("only the cases in the bin holding {what} can change side");
    if sa.wants(ScoreMetric::Auroc) {
        put(
            "auroc".into(),
            single,
            "within each group's `auroc_bounds` entry".into(),
        );
    }
    if sa.wants(ScoreMetric::AveragePrecision) {
        put("average_precision".into(), single, no_bound());
    }
    if sa.wants(ScoreMetric::Calibration) {
        put("oe_ratio".into(), true, String::new());
        put(
            "brier".into(),
            single,
            format!(
                "at most {:.2e} below the rows'",
                table.max_spread.powi(2) / 4.0
            ),
        );
        let nested = (k / sa.reliability_bins as f64).fract() == 0.0;
        let coarse = format!(
            "bins of {} do not nest in the reliability bins",
            table.bin_width
        );
        put("reliability_bins".into(), single || nested, coarse.clone());
        put("ece".into(), single || nested, coarse);
        for m in ["calibration_in_the_large", "calibration_slope"] {
            put(m.into(), single, no_bound());
        }
    }
    for &t in &sa.thresholds {
        let on_edge = (t * k).fract() == 0.0;
        put(
            format!("threshold {t}"),
            single || on_edge,
            side(&t.to_string()),
        );
    }
    for &p in &sa.top_percent {
        put(format!("top_percent {p}"), single, side("the cut-off"));
    }
    let mut unavailable = vec![];
    if sa.wants(ScoreMetric::NeedAtEqualScore) {
        if table.with_need {
            put(
                "need_at_equal_score".into(),
                single,
                "the equal-score bins are cut between the table's bins".into(),
            );
            if !sa.top_percent.is_empty() {
                unavailable.push("top_percent by need: the table carries each row's need as a count, sum and sum of squares, not each case's".into());
            }
        } else {
            unavailable.push("need_at_equal_score: the counts carry no measure of need".into());
        }
    }
    ScoreSource {
        table: table.clone(),
        exact,
        binned,
        unavailable,
    }
}
