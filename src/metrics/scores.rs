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

use super::{interval, rate, Estimate};
use crate::protocol::{Analysis, ScoreAnalysis, ScoreMetric, ScoreScale};
use crate::stats::{auroc, calibration, dist, means, Ci, Undefined};
use crate::suffstats::{AttributeCounts, ScoreSample};

/// Everything computed from the scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ScoreResults {
    /// `probability` or `arbitrary`.
    pub scale: String,
    /// Cases with a score (the score analyses' denominator) and without one (left out).
    pub scored: u64,
    pub unscored: u64,
    /// Upper edges of the equal-score bins (quantiles of all scores), lowest bin first, when need
    /// is compared at equal score.
    pub equal_score_bins: Vec<f64>,
    pub attributes: Vec<ScoreAttribute>,
    pub operating_points: Vec<OperatingPoint>,
    pub comparisons: Vec<ScoreComparison>,
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
    pub bins: Vec<ReliabilityBin>,
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
    /// `auroc`, `oe_ratio` or `need_at_equal_score`.
    pub metric: String,
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

/// One group's cases: scores, outcomes, needs.
#[derive(Default)]
struct GroupRows {
    scores: Vec<f64>,
    outcomes: Vec<bool>,
    needs: Vec<f64>,
    unscored: u64,
}

fn gather(sample: &ScoreSample, ai: usize, groups: usize) -> Vec<GroupRows> {
    let mut out: Vec<GroupRows> = (0..groups).map(|_| GroupRows::default()).collect();
    for (cell, &g) in sample.cells.iter().zip(&sample.membership[ai]) {
        let Some(rows) = out.get_mut(g) else { continue };
        rows.scores.extend_from_slice(&cell.scores);
        rows.outcomes
            .extend(std::iter::repeat_n(cell.outcome, cell.scores.len()));
        rows.needs.extend_from_slice(&cell.needs);
        rows.unscored += cell.unscored;
    }
    out
}

fn estimate(r: Result<(f64, Ci), Undefined>, level: f64, method: &str) -> Estimate {
    match r {
        Ok((v, ci)) => Estimate::Value {
            value: v,
            ci: interval(ci, level, method),
        },
        Err(u) => Estimate::Undefined {
            reason: u.0.to_string(),
        },
    }
}

/// The equal-score bin of each score: `⌊B·(number of scores strictly below)/N⌋`, so ties share
/// a bin and bins hold equal shares of the cases.
struct ScoreBins {
    sorted: Vec<f64>,
    bins: usize,
}

impl ScoreBins {
    fn bin(&self, s: f64) -> usize {
        equal_score_bin(&self.sorted, self.bins, s)
    }

    /// The highest score of each bin.
    fn upper_edges(&self) -> Vec<f64> {
        let mut edges = vec![f64::NAN; self.bins];
        for &s in &self.sorted {
            edges[self.bin(s).min(self.bins - 1)] = s;
        }
        edges.into_iter().filter(|e| !e.is_nan()).collect()
    }
}

/// The equal-score bin (0-based) of score `s` among `sorted` (ascending, all scores):
/// `min(B − 1, ⌊B·(number of scores strictly below s)/N⌋)`.
pub fn equal_score_bin(sorted: &[f64], bins: usize, s: f64) -> usize {
    let below = sorted.partition_point(|&x| x < s);
    (((below as u128 * bins as u128) / sorted.len().max(1) as u128) as usize).min(bins - 1)
}

/// The cut-off that selects the top `percent`% of `sorted_desc` (ties at the cut-off included):
/// the value of the ⌊percent/100·N⌋-th highest (at least the highest).
pub fn top_cutoff(sorted_desc: &[f64], percent: f64) -> Option<f64> {
    if sorted_desc.is_empty() {
        return None;
    }
    // percent·N first: exact for whole percentages (0.29·100 would floor to 28).
    let k = ((percent * sorted_desc.len() as f64 / 100.0).floor() as usize).max(1);
    Some(sorted_desc[k.min(sorted_desc.len()) - 1])
}

struct GroupStats {
    group: ScoreGroup,
    auroc: Option<auroc::Auroc>,
    /// (observed, expected, n) for O/E comparisons.
    oe: Option<(f64, f64, f64)>,
    need_bins: Vec<means::Summary>,
}

fn group_stats(
    name: &str,
    is_reference: bool,
    rows: &GroupRows,
    sa: &ScoreAnalysis,
    level: f64,
    bins: Option<&ScoreBins>,
) -> GroupStats {
    let n = rows.scores.len() as u64;
    let positives = rows.outcomes.iter().filter(|&&y| y).count() as u64;
    let mut a = None;
    let auroc_est = sa.wants(ScoreMetric::Auroc).then(|| {
        let pos: Vec<f64> = rows
            .scores
            .iter()
            .zip(&rows.outcomes)
            .filter(|(_, &y)| y)
            .map(|(&s, _)| s)
            .collect();
        let neg: Vec<f64> = rows
            .scores
            .iter()
            .zip(&rows.outcomes)
            .filter(|(_, &y)| !y)
            .map(|(&s, _)| s)
            .collect();
        let r = auroc::auroc(&pos, &neg);
        a = r.ok();
        estimate(
            r.map(|x| (x.auc, auroc::auroc_ci(&x, level))),
            level,
            "delong",
        )
    });
    let ap = sa.wants(ScoreMetric::AveragePrecision).then(|| {
        estimate(
            calibration::average_precision(&rows.scores, &rows.outcomes).and_then(|ap| {
                calibration::average_precision_ci(ap, positives, level).map(|ci| (ap, ci))
            }),
            level,
            "boyd_logit",
        )
    });
    let mut oe = None;
    let cal = (sa.wants(ScoreMetric::Calibration) && sa.scale == ScoreScale::Probability && n > 0)
        .then(|| {
            let expected: f64 = rows.scores.iter().sum();
            let observed = positives as f64;
            oe = Some((observed, expected, n as f64));
            let z = dist::z_for_level(level);
            let wald = |v: f64, se: f64| {
                (
                    v,
                    Ci {
                        low: v - z * se,
                        high: v + z * se,
                    },
                )
            };
            let recal = calibration::logistic_recalibration(&rows.scores, &rows.outcomes);
            let reliability =
                calibration::reliability(&rows.scores, &rows.outcomes, sa.reliability_bins);
            Calibration {
                observed: positives,
                expected,
                observed_expected: estimate(
                    calibration::observed_expected(observed, expected, n as f64, level)
                        .map(|(r, ci, _)| (r, ci)),
                    level,
                    "log_binomial",
                ),
                calibration_in_the_large: estimate(
                    calibration::calibration_in_the_large(&rows.scores, &rows.outcomes)
                        .map(|(a, se)| wald(a, se)),
                    level,
                    "wald",
                ),
                slope: estimate(recal.map(|r| wald(r.slope, r.se_slope)), level, "wald"),
                brier: calibration::brier(&rows.scores, &rows.outcomes).unwrap_or(0.0),
                expected_calibration_error: calibration::expected_calibration_error(&reliability)
                    .ok(),
                bins: reliability
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
            }
        });
    let mut need_bins = Vec::new();
    let need = bins.map(|bins| {
        let mut per_bin: Vec<Vec<f64>> = vec![Vec::new(); bins.bins];
        let mut all = Vec::new();
        let mut missing = 0u64;
        for (&s, &v) in rows.scores.iter().zip(&rows.needs) {
            if v.is_finite() {
                per_bin[bins.bin(s).min(bins.bins - 1)].push(v);
                all.push(v);
            } else {
                missing += 1;
            }
        }
        let overall = means::summary(&all);
        need_bins = per_bin.iter().map(|v| means::summary(v)).collect();
        Need {
            n: all.len() as u64,
            missing,
            mean: estimate(
                means::mean_ci(&overall, level).map(|ci| (overall.mean, ci)),
                level,
                "student_t",
            ),
            bins: need_bins
                .iter()
                .enumerate()
                .map(|(i, s)| NeedBin {
                    bin: i + 1,
                    n: s.n as u64,
                    mean: estimate(
                        means::mean_ci(s, level).map(|ci| (s.mean, ci)),
                        level,
                        "student_t",
                    ),
                    difference: None,
                    p_value: None,
                })
                .collect(),
        }
    });
    GroupStats {
        group: ScoreGroup {
            group: name.to_string(),
            is_reference,
            n,
            positives,
            unscored: rows.unscored,
            auroc: auroc_est,
            average_precision: ap,
            calibration: cal,
            need,
        },
        auroc: a,
        oe,
        need_bins,
    }
}

fn undefined(reason: &str) -> Estimate {
    Estimate::Undefined {
        reason: reason.to_string(),
    }
}

fn comparison_shell(attr: &str, group: &str, reference: &str, metric: &str) -> ScoreComparison {
    ScoreComparison {
        id: format!("{attr}/{group}/{metric}"),
        attribute: attr.to_string(),
        group: group.to_string(),
        reference_group: reference.to_string(),
        metric: metric.to_string(),
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

fn z_interval(v: f64, se: f64, level: f64) -> Ci {
    let z = dist::z_for_level(level);
    Ci {
        low: v - z * se,
        high: v + z * se,
    }
}

fn compare_auroc(c: &mut ScoreComparison, g: &GroupStats, r: &GroupStats, level: f64) {
    let limit = |s: &ScoreGroup| s.positives.min(s.n - s.positives);
    c.n = limit(&g.group);
    c.reference_n = limit(&r.group);
    let (Some(ga), Some(ra)) = (g.auroc, r.auroc) else {
        let reason = "an AUROC is undefined (needs two positive and two negative cases)";
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
                ci: interval(z_interval(d, se, level), level, "delong"),
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
    let zc = dist::z_for_level(level);
    c.se_log_ratio = Some(se_log);
    c.ratio = Estimate::Value {
        value: ratio,
        ci: interval(
            Ci {
                low: ratio * (-zc * se_log).exp(),
                high: ratio * (zc * se_log).exp(),
            },
            level,
            "wald_log",
        ),
    };
    // Delta method: SE(O/E) = O/E · SE(log O/E).
    let se_d = ((vg * sg).powi(2) + (vr * sr).powi(2)).sqrt();
    c.se_difference = Some(se_d);
    c.difference = Estimate::Value {
        value: vg - vr,
        ci: interval(z_interval(vg - vr, se_d, level), level, "wald_delta"),
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
                    z_interval(s.difference, s.se, level),
                    level,
                    "standardized_wald",
                ),
            };
            if let Some((ratio, se_log)) = s.ratio {
                let zc = dist::z_for_level(level);
                c.se_log_ratio = Some(se_log);
                c.ratio = Estimate::Value {
                    value: ratio,
                    ci: interval(
                        Ci {
                            low: ratio * (-zc * se_log).exp(),
                            high: ratio * (zc * se_log).exp(),
                        },
                        level,
                        "standardized_wald_log",
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

fn operating_group(
    name: &str,
    rows: &GroupRows,
    cutoff: f64,
    total_selected: u64,
    need_rule: Option<(f64, u64)>,
    level: f64,
) -> OperatingGroup {
    let mut c = crate::suffstats::Confusion::default();
    for (&s, &y) in rows.scores.iter().zip(&rows.outcomes) {
        c.add(s >= cutoff, y, 1);
    }
    let w = crate::protocol::RateInterval::Wilson;
    let selected = c.tp + c.fp;
    let (need_selected, share_need) = match need_rule {
        Some((nc, total)) => {
            let k = rows
                .needs
                .iter()
                .filter(|v| v.is_finite() && **v >= nc)
                .count() as u64;
            (Some(k), Some(rate(k, total, level, w)))
        }
        None => (None, None),
    };
    OperatingGroup {
        group: name.to_string(),
        n: c.n(),
        selected,
        selection_rate: rate(selected, c.n(), level, w),
        tpr: rate(c.tp, c.tp + c.fn_, level, w),
        fpr: rate(c.fp, c.fp + c.tn, level, w),
        ppv: rate(c.tp, selected, level, w),
        share_of_selected: rate(selected, total_selected, level, w),
        need_selected,
        share_of_need_selected: share_need,
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
    let mut all: Vec<f64> = sample
        .cells
        .iter()
        .flat_map(|c| c.scores.iter().copied())
        .collect();
    all.sort_by(f64::total_cmp);
    let unscored: u64 = sample.cells.iter().map(|c| c.unscored).sum();
    let want_need = sa.wants(ScoreMetric::NeedAtEqualScore);
    let bins = (want_need && !all.is_empty()).then(|| ScoreBins {
        sorted: all.clone(),
        bins: sa.equal_score_bins,
    });
    let mut all_needs: Vec<f64> = if want_need {
        sample
            .cells
            .iter()
            .flat_map(|c| c.needs.iter().copied())
            .filter(|v| v.is_finite())
            .collect()
    } else {
        vec![]
    };
    all_needs.sort_by(|a, b| b.total_cmp(a));
    let desc: Vec<f64> = all.iter().rev().copied().collect();

    // The rules: thresholds, then top-k%.
    let mut rules: Vec<(String, f64, f64, Option<f64>)> = sa
        .thresholds
        .iter()
        .map(|&t| ("threshold".to_string(), t, t, None))
        .collect();
    for &k in &sa.top_percent {
        if let Some(cut) = top_cutoff(&desc, k) {
            let need_cut = if want_need {
                top_cutoff(&all_needs, k)
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
            selected: desc.partition_point(|&s| s >= *cutoff) as u64,
            need_cutoff: *need_cut,
            need_selected: need_cut.map(|nc| all_needs.partition_point(|&v| v >= nc) as u64),
            attributes: vec![],
        })
        .collect();

    let mut out_attributes = Vec::new();
    let mut comparisons = Vec::new();
    for (ai, a) in attributes.iter().enumerate() {
        let rows = gather(sample, ai, a.groups.len());
        let stats: Vec<GroupStats> = rows
            .par_iter()
            .zip(a.groups.par_iter())
            .map(|(r, g)| {
                group_stats(
                    &g.group,
                    g.group == a.reference_group,
                    r,
                    sa,
                    level,
                    bins.as_ref(),
                )
            })
            .collect();
        for op in operating.iter_mut() {
            let need_rule = op.need_cutoff.zip(op.need_selected);
            op.attributes.push(OperatingAttribute {
                attribute: a.attribute.clone(),
                groups: rows
                    .iter()
                    .zip(&a.groups)
                    .map(|(r, g)| {
                        operating_group(&g.group, r, op.cutoff, op.selected, need_rule, level)
                    })
                    .collect(),
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
                                ci: interval(w.ci, level, "welch"),
                            });
                            nb.p_value = Some(w.p_value);
                        }
                    }
                }
                let name = &g.group.group;
                if sa.wants(ScoreMetric::Auroc) {
                    let mut c = comparison_shell(&a.attribute, name, &a.reference_group, "auroc");
                    compare_auroc(&mut c, g, r, level);
                    comparisons.push(c);
                }
                if sa.wants(ScoreMetric::Calibration) && sa.scale == ScoreScale::Probability {
                    let mut c =
                        comparison_shell(&a.attribute, name, &a.reference_group, "oe_ratio");
                    compare_oe(&mut c, g, r, level);
                    comparisons.push(c);
                }
                if want_need {
                    let mut c = comparison_shell(
                        &a.attribute,
                        name,
                        &a.reference_group,
                        "need_at_equal_score",
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
    ScoreResults {
        scale: match sa.scale {
            ScoreScale::Probability => "probability".into(),
            ScoreScale::Arbitrary => "arbitrary".into(),
        },
        scored: all.len() as u64,
        unscored,
        equal_score_bins: bins.map(|b| b.upper_edges()).unwrap_or_default(),
        attributes: out_attributes,
        operating_points: operating,
        comparisons,
    }
}
