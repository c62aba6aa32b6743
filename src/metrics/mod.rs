//! Group metrics and comparisons from sufficient statistics: per-group rates with intervals,
//! each group against its attribute's reference group (ratio, difference, test, power), the
//! omnibus test per attribute and metric, and the multiplicity correction across the run.
//! Uses `stats` for every number; knows nothing of files or triggers.

pub mod base_rates;
pub mod design;
pub mod range;
pub mod scores;
pub mod shrinkage;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::protocol::{
    Analysis, Correction, DifferenceInterval, Metric, RateInterval, RatioInterval, ScoreAnalysis,
};
use crate::stats::{
    self, bootstrap, contingency, multiplicity, power, proportion, two_sample, Undefined,
};
use crate::suffstats::{AttributeCounts, Confusion, StratifiedCounts, SufficientStats};

/// A two-sided confidence interval and the method that made it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Interval {
    pub level: f64,
    pub low: f64,
    pub high: f64,
    pub method: Method,
}

/// The method that made an interval (written in snake case in the artifact; docs/methods.md
/// gives each one's formula and reference).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Wilson score interval for a rate.
    Wilson,
    /// Clopper–Pearson exact interval for a rate.
    ClopperPearson,
    /// Jeffreys interval for a rate (Brown, Cai & DasGupta boundary rule).
    Jeffreys,
    /// Newcombe's hybrid score interval for a difference of rates.
    NewcombeHybridScore,
    /// Agresti–Caffo interval for a difference of rates.
    AgrestiCaffo,
    /// Koopman's score interval for a ratio of rates.
    KoopmanScore,
    /// Katz's log interval for a ratio of rates.
    KatzLog,
    /// Woolf's logit interval for an odds ratio.
    WoolfLogit,
    /// Woolf's logit interval with 0.5 added to every cell (an empty cell).
    WoolfLogitHaldane,
    /// Robins–Breslow–Greenland interval for the Mantel–Haenszel odds ratio.
    MantelHaenszelRbg,
    /// Seeded bootstrap, percentile interval.
    BootstrapPercentile,
    /// Seeded bootstrap, bias-corrected and accelerated interval.
    BootstrapBca,
    /// Wilson interval on Kish's effective sample size (survey weights).
    WilsonKish,
    /// Interval for O/E from the log-binomial standard error.
    LogBinomial,
    /// Wald interval.
    Wald,
    /// Student's t interval for a mean.
    StudentT,
    /// DeLong's interval for an AUROC or an AUROC difference.
    Delong,
    /// Boyd et al.'s logit interval for average precision.
    BoydLogit,
    /// Wald interval on the log scale.
    WaldLog,
    /// Wald interval with the delta method's standard error.
    WaldDelta,
    /// Wald interval for the standardized difference of need.
    StandardizedWald,
    /// Wald interval on the log scale for the standardized ratio of need.
    StandardizedWaldLog,
    /// Welch's interval for a difference of means.
    Welch,
    /// Equal-tailed interval of a beta posterior (empirical-Bayes shrinkage).
    BetaPosterior,
    /// Wilson's interval on the design's effective sample size `n / design effect` (at most n).
    WilsonDesign,
    /// The range of rates across groups from Bonferroni-simultaneous pairwise intervals
    /// (Newcombe's for differences, Koopman's for the lowest-to-highest ratio).
    SimultaneousPairwise,
    /// Newcombe's interval on the design's effective counts of group and reference.
    NewcombeDesign,
    /// Koopman's interval on the design's effective counts of group and reference.
    KoopmanDesign,
}

/// A point estimate with its interval, or the reason it does not exist. Never NaN.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Estimate {
    Value { value: f64, ci: Interval },
    Undefined { reason: String },
}

impl Estimate {
    fn undefined(u: Undefined) -> Estimate {
        Estimate::Undefined {
            reason: u.0.to_string(),
        }
    }

    /// A value with its interval by `method`, or the reason it does not exist.
    pub fn from_result(
        r: Result<(f64, stats::Ci), Undefined>,
        level: f64,
        method: Method,
    ) -> Estimate {
        match r {
            Ok((value, ci)) => Estimate::Value {
                value,
                ci: interval(ci, level, method),
            },
            Err(u) => Estimate::undefined(u),
        }
    }

    pub fn value(&self) -> Option<f64> {
        match self {
            Estimate::Value { value, .. } => Some(*value),
            Estimate::Undefined { .. } => None,
        }
    }

    pub fn ci(&self) -> Option<&Interval> {
        match self {
            Estimate::Value { ci, .. } => Some(ci),
            Estimate::Undefined { .. } => None,
        }
    }
}

/// Numerator and denominator of a metric from a group's confusion counts.
pub fn fraction(metric: Metric, c: &Confusion) -> (u64, u64) {
    let n = c.n();
    match metric {
        Metric::Prevalence => (c.tp + c.fn_, n),
        Metric::SelectionRate => (c.tp + c.fp, n),
        Metric::Tpr => (c.tp, c.tp + c.fn_),
        Metric::Fpr => (c.fp, c.fp + c.tn),
        Metric::Fnr => (c.fn_, c.tp + c.fn_),
        Metric::Tnr => (c.tn, c.fp + c.tn),
        Metric::Ppv => (c.tp, c.tp + c.fp),
        Metric::Npv => (c.tn, c.tn + c.fn_),
        Metric::Accuracy => (c.tp + c.tn, n),
    }
}

/// One metric of one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MetricValue {
    pub metric: Metric,
    pub numerator: u64,
    pub denominator: u64,
    pub estimate: Estimate,
    /// The survey-weighted rate, when the protocol names a weight column.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub weighted: Option<WeightedRate>,
    /// The rate under the protocol's design (`columns.cluster`): its design-based standard error
    /// and design effect (schema 1.6.0).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub design: Option<design::DesignRate>,
}

/// A survey-weighted rate `Σw(numerator) / Σw(denominator)` with Wilson's interval on Kish's
/// effective sample size `n_eff = (Σw)² / Σw²` of the denominator's cases. The design effect of
/// unequal weights is `n / n_eff`; clustering and stratification of the survey are not modelled,
/// so the interval is narrower than a full design-based one where those matter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WeightedRate {
    pub estimate: Estimate,
    pub effective_n: f64,
    pub design_effect: f64,
}

/// The confusion cells (tp, fp, fn, tn as 0–3) of a metric's numerator and denominator.
pub fn metric_cells(metric: Metric) -> (&'static [usize], &'static [usize]) {
    match metric {
        Metric::Prevalence => (&[0, 2], &[0, 1, 2, 3]),
        Metric::SelectionRate => (&[0, 1], &[0, 1, 2, 3]),
        Metric::Tpr => (&[0], &[0, 2]),
        Metric::Fpr => (&[1], &[1, 3]),
        Metric::Fnr => (&[2], &[0, 2]),
        Metric::Tnr => (&[3], &[1, 3]),
        Metric::Ppv => (&[0], &[0, 1]),
        Metric::Npv => (&[3], &[2, 3]),
        Metric::Accuracy => (&[0, 3], &[0, 1, 2, 3]),
    }
}

fn weighted_rate(
    metric: Metric,
    w: &crate::suffstats::WeightSums,
    den_count: u64,
    level: f64,
) -> WeightedRate {
    let (num, den) = metric_cells(metric);
    let sum = |cells: &[usize], v: &[f64; 4]| cells.iter().map(|&i| v[i]).sum::<f64>();
    let (wn, wd, wd2) = (sum(num, &w.sum), sum(den, &w.sum), sum(den, &w.sum_sq));
    if wd <= 0.0 || wd2 <= 0.0 {
        return WeightedRate {
            estimate: Estimate::Undefined {
                reason: "weighted denominator is zero".into(),
            },
            effective_n: 0.0,
            design_effect: 0.0,
        };
    }
    let p = wn / wd;
    let n_eff = wd * wd / wd2;
    if !(p.is_finite() && n_eff.is_finite() && n_eff > 0.0) {
        return WeightedRate {
            estimate: Estimate::Undefined {
                reason: "weights out of numeric range".into(),
            },
            effective_n: 0.0,
            design_effect: 0.0,
        };
    }
    let estimate = Estimate::from_result(
        proportion::wilson_real(p * n_eff, n_eff, level).map(|ci| (p, ci)),
        level,
        Method::WilsonKish,
    );
    WeightedRate {
        estimate,
        effective_n: n_eff,
        design_effect: den_count as f64 / n_eff,
    }
}

/// One group's counts and metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GroupResult {
    pub group: String,
    pub n: u64,
    pub is_reference: bool,
    pub metrics: Vec<MetricValue>,
}

/// The test across all groups of an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OmnibusTest {
    /// Pearson's chi-square on the k×2 table of groups.
    PearsonChiSquare,
    /// The Cochran–Armitage test for a trend along ordered groups.
    CochranArmitageTrend,
}

/// Pearson chi-square across all groups of an attribute for one metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Omnibus {
    pub metric: Metric,
    pub test: OmnibusTest,
    pub result: OmnibusResult,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OmnibusResult {
    Value {
        statistic: f64,
        df: f64,
        p_value: f64,
        groups: usize,
        min_expected: f64,
        /// Present when an expected count is under 5 and the chi-square approximation is doubtful.
        warning: Option<String>,
    },
    /// Cochran–Armitage trend test across ordered groups (scores 0, 1, … in their order).
    Trend {
        /// z statistic: positive when the rate rises along the order.
        statistic: f64,
        p_value: f64,
        groups: usize,
    },
    Undefined {
        reason: String,
    },
}

/// A gap across all the groups of an attribute, with seeded bootstrap intervals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CompositeGap {
    /// `demographic_parity_difference` (selection rate, max − min), `demographic_parity_ratio`
    /// (min ÷ max), `equal_opportunity_difference` (TPR), `equalized_odds_difference` (the
    /// larger of the TPR and FPR ranges), `predictive_parity_difference` (PPV).
    pub gap: String,
    /// The groups it spans: all but Unknown and those with a cell under the minimum size.
    pub groups: Vec<String>,
    /// The gap with its bootstrap percentile interval.
    pub estimate: Estimate,
    /// The bias-corrected and accelerated bootstrap interval, where it exists.
    pub bca: Option<Interval>,
    pub replicates: usize,
    /// The interval from simultaneous pairwise intervals (Bonferroni over the pairs), which keeps
    /// its coverage when groups tie at the extreme (schema 1.6.0).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub simultaneous: Option<Interval>,
}

/// An attribute's groups and omnibus tests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AttributeResult {
    pub attribute: String,
    pub crossed: Vec<String>,
    pub reference_group: String,
    pub ordered: bool,
    pub groups: Vec<GroupResult>,
    pub omnibus: Vec<Omnibus>,
    pub composite: Vec<CompositeGap>,
}

/// The test comparing a group with its reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TestResult {
    /// Fisher's exact test, two-sided (an expected cell was under 5).
    FisherExact {
        p_value: f64,
    },
    /// Pooled two-proportion z-test, two-sided.
    PooledZ {
        statistic: f64,
        p_value: f64,
    },
    /// The pooled two-proportion z-test on the design's effective counts (protocol
    /// `columns.cluster`), two-sided.
    DesignZ {
        statistic: f64,
        p_value: f64,
    },
    Undefined {
        reason: String,
    },
}

impl TestResult {
    pub fn p_value(&self) -> Option<f64> {
        match self {
            TestResult::FisherExact { p_value }
            | TestResult::PooledZ { p_value, .. }
            | TestResult::DesignZ { p_value, .. } => Some(*p_value),
            TestResult::Undefined { .. } => None,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            TestResult::FisherExact { .. } => "fisher_exact",
            TestResult::PooledZ { .. } => "pooled_z",
            TestResult::DesignZ { .. } => "design_z",
            TestResult::Undefined { .. } => "",
        }
    }
}

/// What size of disparity the group sizes could detect at the run's alpha and target power.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Detectable {
    /// The level power is judged at: the protocol's alpha divided by the size of the
    /// comparison's correction family (the strictest step of Holm, Bonferroni and
    /// Benjamini–Hochberg); alpha outside a family.
    pub alpha: f64,
    pub power: f64,
    /// Smallest detectable rise of the group's rate above the reference rate (absolute), if any.
    pub difference_up: Option<f64>,
    /// Smallest detectable fall below the reference rate (absolute), if any.
    pub difference_down: Option<f64>,
    /// The same as ratios to the reference rate (`None` when the reference rate is 0).
    pub ratio_up: Option<f64>,
    pub ratio_down: Option<f64>,
}

/// A group compared with its attribute's reference group on one metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Comparison {
    /// `attribute/group/metric`, unique in the run.
    pub id: String,
    pub attribute: String,
    pub group: String,
    pub reference_group: String,
    pub metric: Metric,
    pub numerator: u64,
    pub denominator: u64,
    pub reference_numerator: u64,
    pub reference_denominator: u64,
    pub ratio: Estimate,
    pub difference: Estimate,
    /// Odds ratio with Woolf's logit interval (0.5 added to every cell when one is empty).
    pub odds_ratio: Estimate,
    pub test: TestResult,
    /// Adjusted for multiple comparisons across the run's family (`correction`); `None` when the
    /// test is undefined.
    pub p_adjusted: Option<f64>,
    pub detectable: Detectable,
    /// The design behind the difference, ratio and test (protocol `columns.cluster`; schema
    /// 1.6.0).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub design: Option<design::DesignComparison>,
}

/// A group compared with its reference on one metric, adjusted for the strata of a second
/// attribute: the Cochran–Mantel–Haenszel test and the Mantel–Haenszel odds ratio. A supporting
/// analysis: reported with its raw p-value, outside the correction family and the triggers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StratifiedComparison {
    /// `attribute/group/metric|by`, unique in the run.
    pub id: String,
    pub attribute: String,
    pub by: String,
    pub group: String,
    pub reference_group: String,
    pub metric: Metric,
    /// Strata with two or more cases in the group and reference together.
    pub strata: usize,
    pub odds_ratio: Estimate,
    pub test: StratifiedTest,
}

/// The Cochran–Mantel–Haenszel test (no continuity correction).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StratifiedTest {
    CochranMantelHaenszel { statistic: f64, p_value: f64 },
    Undefined { reason: String },
}

/// Everything computed from the sufficient statistics.
#[derive(Debug, Clone, PartialEq)]
pub struct Results {
    pub attributes: Vec<AttributeResult>,
    pub comparisons: Vec<Comparison>,
    pub stratified: Vec<StratifiedComparison>,
    /// How many comparisons entered a correction family.
    pub family_size: usize,
    /// The correction families (none under the rules before schema 1.4.0: one for the run).
    pub families: Vec<Family>,
    /// Score metrics and comparisons, when the protocol asks for them.
    pub scores: Option<scores::ScoreResults>,
}

fn interval(ci: stats::Ci, level: f64, method: Method) -> Interval {
    Interval {
        level,
        low: ci.low,
        high: ci.high,
        method,
    }
}

/// A rate with its interval by the chosen method.
pub fn rate(num: u64, den: u64, level: f64, method: RateInterval) -> Estimate {
    let (result, name) = match method {
        RateInterval::Wilson => (proportion::wilson(num, den, level), Method::Wilson),
        RateInterval::ClopperPearson => (
            proportion::clopper_pearson(num, den, level),
            Method::ClopperPearson,
        ),
        RateInterval::Jeffreys => (proportion::jeffreys(num, den, level), Method::Jeffreys),
    };
    Estimate::from_result(result.map(|ci| (num as f64 / den as f64, ci)), level, name)
}

fn group_result(
    g: &crate::suffstats::GroupCounts,
    reference: &str,
    level: f64,
    method: RateInterval,
) -> GroupResult {
    group_rates(
        &g.group,
        &g.counts,
        g.weights.as_ref(),
        g.group == reference,
        level,
        method,
    )
}

/// A group's nine rates with their intervals, from its counts (and weight sums, if any).
pub fn group_result_of(
    group: &str,
    counts: &Confusion,
    weights: Option<&crate::suffstats::WeightSums>,
    is_reference: bool,
    analysis: &Analysis,
) -> GroupResult {
    group_rates(
        group,
        counts,
        weights,
        is_reference,
        analysis.confidence_level,
        analysis.rate_interval,
    )
}

fn group_rates(
    group: &str,
    counts: &Confusion,
    weights: Option<&crate::suffstats::WeightSums>,
    is_reference: bool,
    level: f64,
    method: RateInterval,
) -> GroupResult {
    GroupResult {
        group: group.to_string(),
        n: counts.n(),
        is_reference,
        metrics: Metric::ALL
            .iter()
            .map(|&m| {
                let (num, den) = fraction(m, counts);
                MetricValue {
                    metric: m,
                    numerator: num,
                    denominator: den,
                    estimate: rate(num, den, level, method),
                    weighted: weights.map(|w| weighted_rate(m, w, den, level)),
                    design: None,
                }
            })
            .collect(),
    }
}

fn omnibus(a: &AttributeCounts, metric: Metric) -> Omnibus {
    let rows: Vec<(u64, u64)> = a
        .groups
        .iter()
        .map(|g| fraction(metric, &g.counts))
        .collect();
    let result = match contingency::chi_square_kx2(&rows) {
        Ok(c) => OmnibusResult::Value {
            statistic: c.statistic,
            df: c.df,
            p_value: c.p_value,
            groups: rows.iter().filter(|r| r.1 > 0).count(),
            min_expected: c.min_expected,
            warning: (c.min_expected < 5.0).then(|| {
                format!(
                    "an expected count is {:.2}, under 5: the chi-square approximation is doubtful",
                    c.min_expected
                )
            }),
        },
        Err(u) => OmnibusResult::Undefined {
            reason: u.0.to_string(),
        },
    };
    Omnibus {
        metric,
        test: OmnibusTest::PearsonChiSquare,
        result,
    }
}

/// Cochran–Armitage trend test for an ordered attribute (age bands), Unknown left out.
fn trend(a: &AttributeCounts, metric: Metric) -> Omnibus {
    let rows: Vec<(u64, u64)> = a
        .groups
        .iter()
        .filter(|g| g.group != crate::protocol::UNKNOWN)
        .map(|g| fraction(metric, &g.counts))
        .collect();
    let result = match contingency::cochran_armitage(&rows) {
        Ok(t) => OmnibusResult::Trend {
            statistic: t.statistic,
            p_value: t.p_value,
            groups: rows.iter().filter(|r| r.1 > 0).count(),
        },
        Err(u) => OmnibusResult::Undefined {
            reason: u.0.to_string(),
        },
    };
    Omnibus {
        metric,
        test: OmnibusTest::CochranArmitageTrend,
        result,
    }
}

/// Compare one group with the reference on one metric (without the multiplicity correction).
pub fn compare(
    attribute: &str,
    group: &str,
    reference: &str,
    metric: Metric,
    g: &Confusion,
    r: &Confusion,
    analysis: &Analysis,
) -> Comparison {
    let level = analysis.confidence_level;
    let (x1, n1) = fraction(metric, g);
    let (x0, n0) = fraction(metric, r);
    let ratio = ratio_estimate(x1, n1, x0, n0, level, analysis.ratio_interval);
    let (diff_result, diff_name) = match analysis.difference_interval {
        DifferenceInterval::Newcombe => (
            two_sample::newcombe_diff(x1, n1, x0, n0, level),
            Method::NewcombeHybridScore,
        ),
        DifferenceInterval::AgrestiCaffo => (
            two_sample::agresti_caffo_diff(x1, n1, x0, n0, level),
            Method::AgrestiCaffo,
        ),
    };
    let difference = Estimate::from_result(diff_result, level, diff_name);
    let odds_ratio = match two_sample::odds_ratio(x1, n1, x0, n0, level) {
        Ok(r) => Estimate::Value {
            value: r.ratio,
            ci: interval(
                r.ci,
                level,
                if r.corrected {
                    Method::WoolfLogitHaldane
                } else {
                    Method::WoolfLogit
                },
            ),
        },
        Err(u) => Estimate::undefined(u),
    };
    let test = match two_sample::compare_test(x1, n1, x0, n0) {
        Ok((two_sample::TestKind::FisherExact, _, p)) => TestResult::FisherExact { p_value: p },
        Ok((two_sample::TestKind::PooledZ, z, p)) => TestResult::PooledZ {
            statistic: z.unwrap_or(0.0),
            p_value: p,
        },
        Err(u) => TestResult::Undefined {
            reason: u.0.to_string(),
        },
    };
    Comparison {
        id: comparison_id(attribute, group, metric.name()),
        attribute: attribute.to_string(),
        group: group.to_string(),
        reference_group: reference.to_string(),
        metric,
        numerator: x1,
        denominator: n1,
        reference_numerator: x0,
        reference_denominator: n0,
        ratio,
        difference,
        odds_ratio,
        test,
        p_adjusted: None,
        detectable: detectable(x0, n0, n1, analysis.alpha, analysis.power),
        design: None,
    }
}

/// The ratio with its interval: Katz's log interval, or Koopman's score interval where a cell
/// of the 2×2 table is empty (a rate of 0 or 100%), where the log interval collapses (12/12
/// against 200/200 would give [1, 1]).
pub fn ratio_estimate(
    x1: u64,
    n1: u64,
    x0: u64,
    n0: u64,
    level: f64,
    method: RatioInterval,
) -> Estimate {
    let empty_cell = x1 == 0 || x1 == n1 || x0 == n0;
    let (result, method) = if empty_cell || method == RatioInterval::Koopman {
        (
            two_sample::koopman_ratio(x1, n1, x0, n0, level),
            Method::KoopmanScore,
        )
    } else {
        (
            two_sample::katz_ratio(x1, n1, x0, n0, level),
            Method::KatzLog,
        )
    };
    Estimate::from_result(result.map(|rc| (rc.ratio, rc.ci)), level, method)
}

/// The smallest disparities the group sizes could detect at `alpha` with `power`.
pub fn detectable(x0: u64, n0: u64, n1: u64, alpha: f64, target: f64) -> Detectable {
    let p0 = if n0 > 0 { x0 as f64 / n0 as f64 } else { 0.0 };
    let mdd = |upward| {
        if n0 > 0 {
            power::minimum_detectable_difference(p0, n1, n0, alpha, target, upward)
        } else {
            None
        }
    };
    let (up, down) = (mdd(true), mdd(false));
    let as_ratio = |d: Option<f64>, sign: f64| {
        if p0 > 0.0 {
            d.map(|d| (p0 + sign * d) / p0)
        } else {
            None
        }
    };
    Detectable {
        alpha,
        power: target,
        difference_up: up,
        difference_down: down,
        ratio_up: as_ratio(up, 1.0),
        ratio_down: as_ratio(down, -1.0),
    }
}

/// Adjust p-values for multiple comparisons.
pub fn adjust(p: &[f64], correction: Correction) -> Vec<f64> {
    match correction {
        Correction::Holm => multiplicity::holm(p),
        Correction::Bonferroni => multiplicity::bonferroni(p),
        Correction::BenjaminiHochberg => multiplicity::benjamini_hochberg(p),
    }
}

/// The rates of the groups with a non-zero denominator; `None` with fewer than two.
fn rates(g: &[[u64; 4]], num: fn(&[u64; 4]) -> u64, den: fn(&[u64; 4]) -> u64) -> Option<Vec<f64>> {
    let r: Vec<f64> = g
        .iter()
        .filter(|c| den(c) > 0)
        .map(|c| num(c) as f64 / den(c) as f64)
        .collect();
    (r.len() >= 2).then_some(r)
}

fn range(v: &[f64]) -> f64 {
    v.iter().cloned().fold(f64::MIN, f64::max) - v.iter().cloned().fold(f64::MAX, f64::min)
}

fn selection(g: &[[u64; 4]]) -> Option<Vec<f64>> {
    rates(g, |c| c[0] + c[1], |c| c.iter().sum())
}
fn tprs(g: &[[u64; 4]]) -> Option<Vec<f64>> {
    rates(g, |c| c[0], |c| c[0] + c[2])
}
fn fprs(g: &[[u64; 4]]) -> Option<Vec<f64>> {
    rates(g, |c| c[1], |c| c[1] + c[3])
}
fn ppvs(g: &[[u64; 4]]) -> Option<Vec<f64>> {
    rates(g, |c| c[0], |c| c[0] + c[1])
}

/// The composite gaps of an attribute, each with bootstrap intervals.
fn composite(a: &AttributeCounts, analysis: &Analysis, seed: u64) -> Vec<CompositeGap> {
    let kept: Vec<&crate::suffstats::GroupCounts> = a
        .groups
        .iter()
        .filter(|g| {
            g.group != crate::protocol::UNKNOWN
                && g.counts.n() > 0
                && !g.counts.has_small_cell(analysis.min_cell_size)
        })
        .collect();
    let cells: Vec<[u64; 4]> = kept.iter().map(|g| g.counts.cells()).collect();
    type Gap = fn(&[[u64; 4]]) -> Option<f64>;
    let gaps: [(&str, Gap); 5] = [
        ("demographic_parity_difference", |g| {
            selection(g).map(|r| range(&r))
        }),
        ("demographic_parity_ratio", |g| {
            selection(g).and_then(|r| {
                let max = r.iter().cloned().fold(f64::MIN, f64::max);
                (max > 0.0).then(|| r.iter().cloned().fold(f64::MAX, f64::min) / max)
            })
        }),
        ("equal_opportunity_difference", |g| {
            tprs(g).map(|r| range(&r))
        }),
        ("equalized_odds_difference", |g| {
            Some(range(&tprs(g)?).max(range(&fprs(g)?)))
        }),
        ("predictive_parity_difference", |g| {
            ppvs(g).map(|r| range(&r))
        }),
    ];
    let level = analysis.confidence_level;
    gaps.iter()
        .enumerate()
        .map(|(i, (name, f))| {
            let result = if cells.len() < 2 {
                Err(Undefined("fewer than two groups without small cells"))
            } else {
                bootstrap::bootstrap(
                    &cells,
                    f,
                    analysis.bootstrap_replicates,
                    seed.wrapping_add(i as u64),
                    level,
                )
            };
            let (estimate, bca, replicates) = match result {
                Ok(b) => (
                    Estimate::Value {
                        value: b.estimate,
                        ci: interval(b.percentile, level, Method::BootstrapPercentile),
                    },
                    b.bca.map(|ci| interval(ci, level, Method::BootstrapBca)),
                    b.replicates,
                ),
                Err(u) => (Estimate::undefined(u), None, 0),
            };
            let counts: Vec<Confusion> = kept.iter().map(|g| g.counts).collect();
            let simultaneous = match i {
                0 => range::range_interval(&counts, &[Metric::SelectionRate], level),
                1 => range::ratio_interval(&counts, level),
                2 => range::range_interval(&counts, &[Metric::Tpr], level),
                3 => range::range_interval(&counts, &[Metric::Tpr, Metric::Fpr], level),
                _ => range::range_interval(&counts, &[Metric::Ppv], level),
            };
            CompositeGap {
                gap: name.to_string(),
                groups: kept.iter().map(|g| g.group.clone()).collect(),
                estimate,
                bca,
                replicates,
                simultaneous: simultaneous
                    .map(|ci| interval(ci, level, Method::SimultaneousPairwise)),
            }
        })
        .collect()
}

/// Every group against the reference on every compared metric, adjusted for the strata.
fn stratified(x: &StratifiedCounts, analysis: &Analysis) -> Vec<StratifiedComparison> {
    let mut groups: Vec<&str> = Vec::new();
    let mut strata: Vec<&str> = Vec::new();
    for c in &x.cells {
        if !groups.contains(&c.group.as_str()) {
            groups.push(&c.group);
        }
        if !strata.contains(&c.stratum.as_str()) {
            strata.push(&c.stratum);
        }
    }
    let counts = |g: &str, k: &str| {
        x.cells
            .iter()
            .find(|c| c.group == g && c.stratum == k)
            .map(|c| c.counts)
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    for &m in &analysis.metrics {
        for &g in groups.iter().filter(|g| **g != x.reference_group) {
            let tables: Vec<[u64; 4]> = strata
                .iter()
                .map(|&k| {
                    let (x1, n1) = fraction(m, &counts(g, k));
                    let (x0, n0) = fraction(m, &counts(&x.reference_group, k));
                    [x1, n1 - x1, x0, n0 - x0]
                })
                .collect();
            let (strata_used, odds_ratio, test) =
                match contingency::cochran_mantel_haenszel(&tables, analysis.confidence_level) {
                    Ok(r) => (
                        r.strata,
                        Estimate::from_result(
                            r.odds_ratio,
                            analysis.confidence_level,
                            Method::MantelHaenszelRbg,
                        ),
                        StratifiedTest::CochranMantelHaenszel {
                            statistic: r.statistic,
                            p_value: r.p_value,
                        },
                    ),
                    Err(u) => (
                        0,
                        Estimate::undefined(u),
                        StratifiedTest::Undefined {
                            reason: u.0.to_string(),
                        },
                    ),
                };
            out.push(StratifiedComparison {
                id: format!("{}/{g}/{}|{}", x.attribute, m.name(), x.by),
                attribute: x.attribute.clone(),
                by: x.by.clone(),
                group: g.to_string(),
                reference_group: x.reference_group.clone(),
                metric: m,
                strata: strata_used,
                odds_ratio,
                test,
            });
        }
    }
    out
}

/// The id of a comparison: `attribute/group/metric`, each part with `%` written `%25` and `/`
/// written `%2F`, so the id splits on `/` into its three parts whatever the names hold (OMB 2024's
/// "Multiracial and/or Multiethnic"). Names without `/` or `%` are unchanged.
pub fn comparison_id(attribute: &str, group: &str, metric: &str) -> String {
    let part = |s: &str| s.replace('%', "%25").replace('/', "%2F");
    format!("{}/{}/{}", part(attribute), part(group), part(metric))
}

/// Compute every group metric, comparison and omnibus test, and the score analyses the protocol
/// asks for, all corrected as one family.
pub fn compute(
    stats: &SufficientStats,
    analysis: &Analysis,
    score_analysis: Option<&ScoreAnalysis>,
    plan: &Plan,
) -> Results {
    let scores = match (score_analysis, &stats.scores) {
        (Some(sa), Some(sample)) => Some(scores::compute(sample, &stats.attributes, sa, analysis)),
        _ => None,
    };
    compute_with_scores(stats, analysis, scores, plan)
}

/// Compute everything the counts give, and correct it together with `scores`: the score
/// analyses computed from the scores, or (when verifying an artifact, which carries no scores)
/// as the artifact states them. The score comparisons' adjusted p-values and detectable
/// differences are recomputed here either way.
pub fn compute_with_scores(
    stats: &SufficientStats,
    analysis: &Analysis,
    mut score_results: Option<scores::ScoreResults>,
    plan: &Plan,
) -> Results {
    let mut attributes = Vec::new();
    let mut comparisons = Vec::new();
    for (ai, a) in stats.attributes.iter().enumerate() {
        // One seed stream per attribute and gap, derived from the protocol's seed.
        let composite = composite(
            a,
            analysis,
            analysis
                .seed
                .wrapping_mul(1_000_003)
                .wrapping_add(16 * ai as u64),
        );
        let mut groups: Vec<GroupResult> = a
            .groups
            .iter()
            .map(|g| {
                group_result(
                    g,
                    &a.reference_group,
                    analysis.confidence_level,
                    analysis.rate_interval,
                )
            })
            .collect();
        if let Some(d) = &a.design {
            design::rates(&mut groups, d, analysis.confidence_level);
        }
        let mut omni: Vec<Omnibus> = analysis.metrics.iter().map(|&m| omnibus(a, m)).collect();
        if a.ordered {
            omni.extend(analysis.metrics.iter().map(|&m| trend(a, m)));
        }
        let reference = a
            .groups
            .iter()
            .find(|g| g.group == a.reference_group)
            .map(|g| g.counts)
            .unwrap_or_default();
        for &m in &analysis.metrics {
            for g in a.groups.iter().filter(|g| g.group != a.reference_group) {
                let mut c = compare(
                    &a.attribute,
                    &g.group,
                    &a.reference_group,
                    m,
                    &g.counts,
                    &reference,
                    analysis,
                );
                if let Some(d) = &a.design {
                    design::compare(&mut c, d, analysis.confidence_level);
                }
                comparisons.push(c);
            }
        }
        attributes.push(AttributeResult {
            attribute: a.attribute.clone(),
            crossed: a.crossed.clone(),
            reference_group: a.reference_group.clone(),
            ordered: a.ordered,
            groups,
            omnibus: omni,
            composite,
        });
    }
    let (family_size, families) = if analysis.legacy_rules {
        (
            correct_run(&mut comparisons, score_results.as_mut(), analysis),
            Vec::new(),
        )
    } else {
        correct_families(&mut comparisons, score_results.as_mut(), analysis, plan)
    };
    Results {
        attributes,
        comparisons,
        stratified: stats
            .stratified
            .iter()
            .flat_map(|x| stratified(x, analysis))
            .collect(),
        family_size,
        families,
        scores: score_results,
    }
}

/// What fixes the correction families: the protocol's triggers, and how many groups it defines
/// for each attribute (a plain one: its categories or bands and Unknown; a crossed one: the
/// product of its attributes'), whether or not the data has them.
pub struct Plan<'a> {
    pub triggers: &'a [crate::protocol::Trigger],
    pub groups: std::collections::BTreeMap<String, usize>,
}

impl<'a> Plan<'a> {
    pub fn of(p: &'a crate::protocol::Protocol) -> Plan<'a> {
        let mut groups: std::collections::BTreeMap<String, usize> = p
            .attributes
            .iter()
            .map(|a| (a.name.clone(), a.groups.len()))
            .collect();
        for x in &p.crossed {
            let n = x
                .attributes
                .iter()
                .map(|&i| p.attributes[i].groups.len())
                .product();
            groups.insert(x.name.clone(), n);
        }
        Plan {
            triggers: &p.triggers,
            groups,
        }
    }
}

/// A correction family: the comparisons of one attribute on one metric that a remediate trigger
/// judges, every group the protocol defines for the attribute a member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Family {
    pub attribute: String,
    pub metric: String,
    /// `holm`, `bonferroni` or `benjamini_hochberg`.
    pub correction: String,
    pub size: usize,
}

/// A comparison of the run: a rate comparison or a score comparison, by index.
#[derive(Clone, Copy)]
enum Slot {
    Rate(usize),
    Score(usize),
}

/// Correct each family a remediate trigger defines: per attribute × metric, every comparison of
/// it a member, a missing p counting as 1, so the family is the protocol's and not the data's.
/// The comparisons no remediate trigger judges keep their raw p (`p_adjusted` is the raw p) and
/// their detectable differences are at alpha. A member's are at alpha / size, the level of the
/// correction's strictest step. Returns the members in all and the families.
fn correct_families(
    comparisons: &mut [Comparison],
    mut scores: Option<&mut scores::ScoreResults>,
    analysis: &Analysis,
    plan: &Plan,
) -> (usize, Vec<Family>) {
    let judged = |attr: &str, metric: &str| {
        plan.triggers.iter().any(|t| {
            t.severity == crate::protocol::Severity::Remediate && t.applies_to(attr, metric)
        })
    };
    let mut families: Vec<(Family, Vec<Slot>)> = Vec::new();
    let mut join = |attr: &str, metric: &str, slot: Slot| match families
        .iter_mut()
        .find(|(f, _)| f.attribute == attr && f.metric == metric)
    {
        Some((_, v)) => v.push(slot),
        None => families.push((
            Family {
                attribute: attr.to_string(),
                metric: metric.to_string(),
                correction: analysis.correction.name().to_string(),
                size: 0,
            },
            vec![slot],
        )),
    };
    for (i, c) in comparisons.iter_mut().enumerate() {
        if judged(&c.attribute, c.metric.name()) {
            join(&c.attribute, c.metric.name(), Slot::Rate(i));
        } else {
            c.p_adjusted = c.test.p_value();
            c.detectable = detectable(
                c.reference_numerator,
                c.reference_denominator,
                c.denominator,
                analysis.alpha,
                analysis.power,
            );
        }
    }
    if let Some(s) = scores.as_deref_mut() {
        for (i, c) in s.comparisons.iter_mut().enumerate() {
            if judged(&c.attribute, c.metric.name()) {
                join(&c.attribute, c.metric.name(), Slot::Score(i));
            } else {
                c.p_adjusted = c.test.p_value();
                c.detectable = scores::detectable(c, analysis.alpha, analysis.power);
            }
        }
    }
    let mut out = Vec::new();
    for (mut f, slots) in families {
        // The groups the protocol defines but the data lacks are members too, with p = 1.
        let defined = plan
            .groups
            .get(&f.attribute)
            .map_or(0, |n| n.saturating_sub(1));
        f.size = slots.len().max(defined);
        let found: Vec<Option<f64>> = slots
            .iter()
            .map(|&s| match s {
                Slot::Rate(i) => comparisons[i].test.p_value(),
                Slot::Score(i) => scores
                    .as_deref()
                    .and_then(|x| x.comparisons[i].test.p_value()),
            })
            .collect();
        let mut raw: Vec<f64> = found.iter().map(|p| p.unwrap_or(1.0)).collect();
        raw.resize(f.size, 1.0);
        let adjusted = adjust(&raw, analysis.correction);
        let alpha = analysis.alpha / f.size as f64;
        for ((&slot, adj), had) in slots.iter().zip(adjusted).zip(&found) {
            let p = had.map(|_| adj);
            match slot {
                Slot::Rate(i) => {
                    let c = &mut comparisons[i];
                    c.p_adjusted = p;
                    c.detectable = detectable(
                        c.reference_numerator,
                        c.reference_denominator,
                        c.denominator,
                        alpha,
                        analysis.power,
                    );
                }
                Slot::Score(i) => {
                    if let Some(s) = scores.as_deref_mut() {
                        let c = &mut s.comparisons[i];
                        c.p_adjusted = p;
                        c.detectable = scores::detectable(c, alpha, analysis.power);
                    }
                }
            }
        }
        out.push(f);
    }
    (out.iter().map(|f| f.size).sum(), out)
}

/// The correction of schemas before 1.4.0: every comparison with a p-value in one family, the
/// rate comparisons then the score comparisons; power judged at alpha over the family's size.
fn correct_run(
    comparisons: &mut [Comparison],
    score_results: Option<&mut scores::ScoreResults>,
    analysis: &Analysis,
) -> usize {
    let score_p: Vec<Option<f64>> = score_results
        .as_ref()
        .map(|s| s.comparisons.iter().map(|c| c.test.p_value()).collect())
        .unwrap_or_default();
    let with_p: Vec<usize> = (0..comparisons.len())
        .filter(|&i| comparisons[i].test.p_value().is_some())
        .collect();
    let mut raw: Vec<f64> = with_p
        .iter()
        .filter_map(|&i| comparisons[i].test.p_value())
        .collect();
    raw.extend(score_p.iter().flatten());
    let family = raw.len();
    let adjusted = adjust(&raw, analysis.correction);
    let alpha_power = analysis.alpha / family.max(1) as f64;
    for c in comparisons.iter_mut() {
        c.detectable = detectable(
            c.reference_numerator,
            c.reference_denominator,
            c.denominator,
            alpha_power,
            analysis.power,
        );
    }
    let mut adjusted = adjusted.into_iter();
    for &i in &with_p {
        comparisons[i].p_adjusted = adjusted.next();
    }
    if let Some(s) = score_results {
        for c in &mut s.comparisons {
            if c.test.p_value().is_some() {
                c.p_adjusted = adjusted.next();
            }
            c.detectable = scores::detectable(c, alpha_power, analysis.power);
        }
    }
    family
}

#[cfg(test)]
mod id_tests {
    use super::comparison_id;

    #[test]
    fn ids_split_into_three_parts_whatever_the_names() {
        let id = comparison_id("race", "Multiracial and/or Multiethnic", "tpr");
        assert_eq!(id, "race/Multiracial and%2For Multiethnic/tpr");
        assert_eq!(id.split('/').count(), 3);
        assert_eq!(comparison_id("a%b", "W", "ppv"), "a%25b/W/ppv");
        assert_eq!(comparison_id("race", "White", "tpr"), "race/White/tpr");
    }
}
