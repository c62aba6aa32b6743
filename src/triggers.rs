//! Trigger rules: from a comparison and the protocol's triggers to a status per finding.
//!
//! For each trigger that applies to a comparison (same metric, and the attribute if the trigger
//! names any), in the trigger's direction of harm (its band is open on the side that does not
//! harm), the rules below run in order and the first that holds decides:
//!
//! 1. `min_cell_size`: the group's or the reference's denominator is under the protocol's
//!    minimum → `insufficient_data`.
//! 2. `beyond_threshold_significant`: the point estimate (ratio or difference) lies outside the
//!    trigger's band and significant → the trigger's severity (`remediate` or `monitor`); the
//!    trigger fires and its action is recorded. A remediate trigger judges significance by the
//!    p-value corrected within its family (the attribute × metric, `metrics::Family`), a monitor
//!    trigger by the raw p.
//! 3. `beyond_threshold_not_significant`: outside the band but not significant → `monitor`.
//! 4. `equivalence`: the whole confidence interval lies inside the band → `pass`, whatever the
//!    power: with a 95% interval, two one-sided tests at 2.5% each show the disparity is inside
//!    the band. A pass needs no multiplicity correction: each is an intersection–union test.
//! 5. `inconclusive`: the interval leaves out no disparity (a ratio of 1, a difference of 0) and
//!    crosses an edge of the band → `monitor`.
//! 6. `too_wide`: otherwise, the interval holds both no disparity and a disparity beyond the
//!    edge → `insufficient_data`: too wide to judge.
//!
//! Power is for planning (the detectable disparities, the cases needed): after the data, the
//! interval says all power could. Artifacts of schemas before 1.4.0 were judged with a power
//! rule before rule 4 (`underpowered`), rule 5 for any interval crossing an edge and one
//! correction family for the run; `verify` recomputes them so (`Analysis::legacy_rules`).
//!
//! A comparison's status is the most serious of its triggers' (remediate > monitor >
//! insufficient_data > pass), and `not_assessed` when no trigger applies. So `pass` always means
//! the data shows the disparity is inside the tolerance band, never merely "not significant".

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::metrics::scores::ScoreComparison;
use crate::metrics::{Comparison, Estimate};
use crate::protocol::{Analysis, Band, Severity, Trigger};
use crate::stats::{dist, power};

/// The status of a finding.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    NotAssessed,
    Pass,
    InsufficientData,
    Monitor,
    Remediate,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::NotAssessed => "not_assessed",
            Status::Pass => "pass",
            Status::InsufficientData => "insufficient_data",
            Status::Monitor => "monitor",
            Status::Remediate => "remediate",
        }
    }
}

/// The rule that decided a finding's status (written in snake case in the artifact).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// A denominator under the protocol's minimum cell size.
    MinCellSize,
    /// Beyond the band and significant after the correction: the trigger's severity.
    BeyondThresholdSignificant,
    /// Beyond the band, not significant.
    BeyondThresholdNotSignificant,
    /// Too little power at the band's edge to judge (schemas before 1.4.0 only).
    Underpowered,
    /// The whole interval inside the band.
    Equivalence,
    /// The interval excludes no disparity and crosses an edge of the band (before schema
    /// 1.4.0: any interval crossing an edge).
    Inconclusive,
    /// The interval holds both no disparity and a disparity beyond the band's edge: too wide to
    /// judge.
    TooWide,
    /// No trigger covers the comparison.
    NoTrigger,
    /// No estimate (a score comparison: see its test's reason), or no interval to judge by.
    Undefined,
}

impl Rule {
    /// The rule's name as the artifact writes it.
    pub fn name(self) -> &'static str {
        match self {
            Rule::MinCellSize => "min_cell_size",
            Rule::BeyondThresholdSignificant => "beyond_threshold_significant",
            Rule::BeyondThresholdNotSignificant => "beyond_threshold_not_significant",
            Rule::Underpowered => "underpowered",
            Rule::Equivalence => "equivalence",
            Rule::Inconclusive => "inconclusive",
            Rule::TooWide => "too_wide",
            Rule::NoTrigger => "no_trigger",
            Rule::Undefined => "undefined",
        }
    }
}

/// One trigger's verdict on one comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TriggerVerdict {
    pub trigger: String,
    pub status: Status,
    /// The rule that decided (see the module docs).
    pub rule: Rule,
    pub explanation: String,
    /// Power to detect a disparity at the band's nearest edge (the smallest over the edges).
    pub power_at_threshold: Option<f64>,
    /// Whether the trigger fired (rule 2): its action applies.
    pub fired: bool,
}

/// The assessment of one comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Assessment {
    pub status: Status,
    /// The rule of the deciding trigger (`no_trigger` when none applies).
    pub rule: Rule,
    pub verdicts: Vec<TriggerVerdict>,
    /// Whom the finding disadvantages and about how many of the group's patients, in the
    /// deciding trigger's direction; absent when the estimate lies on the side that does not
    /// harm, or for a comparison no trigger judges.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub harm: Option<crate::harm::Harm>,
}

fn outside(band: &Band, value: f64) -> bool {
    !band.contains(value)
}

fn ci_inside(band: &Band, e: &Estimate) -> Option<bool> {
    let ci = e.ci()?;
    Some(band.contains(ci.low) && band.contains(ci.high))
}

/// Rates at the band's edges for the power check: the group rate a disparity at each edge means.
fn edge_rates(t: &Trigger, p0: f64) -> Vec<f64> {
    let mut out = Vec::new();
    if let Some(r) = t.judged_ratio() {
        out.extend([r.min, r.max].into_iter().flatten().map(|k| k * p0));
    }
    if let Some(d) = t.judged_difference() {
        out.extend([d.min, d.max].into_iter().flatten().map(|k| p0 + k));
    }
    // An edge that lies outside [0, 1], or at the reference rate itself, cannot be reached.
    out.retain(|p| (0.0..=1.0).contains(p) && *p != p0);
    out
}

/// An `insufficient_data` verdict decided before the estimates are judged.
fn insufficient(t: &Trigger, rule: Rule, explanation: String) -> TriggerVerdict {
    TriggerVerdict {
        trigger: t.id.clone(),
        status: Status::InsufficientData,
        rule,
        explanation,
        power_at_threshold: None,
        fired: false,
    }
}

/// A comparison as the trigger rules after the minimum-size rule see it.
struct Judged<'a> {
    ratio: &'a Estimate,
    difference: &'a Estimate,
    /// Whether the point estimate lies outside a band of the trigger.
    beyond: bool,
    p_adjusted: Option<f64>,
    /// Power to detect a disparity at the band's nearest edge (`None`: no reachable edge).
    power_at_threshold: Option<f64>,
    /// The corrected level that power is judged at.
    power_alpha: f64,
    /// What the explanation calls a gap at the edge: `disparity` or `difference`.
    noun: &'static str,
}

/// Rules 2 to 6 (see the module docs), shared by the rate and the score comparisons.
fn decide(t: &Trigger, analysis: &Analysis, j: Judged) -> TriggerVerdict {
    let verdict =
        |status, rule: Rule, explanation: String, power_at_threshold, fired| TriggerVerdict {
            trigger: t.id.clone(),
            status,
            rule,
            explanation,
            power_at_threshold,
            fired,
        };
    let (ratio, diff) = (j.ratio.value(), j.difference.value());
    let describe = || {
        let mut parts = Vec::new();
        if let Some(v) = ratio {
            parts.push(format!("ratio {v:.3}"));
        }
        if let Some(v) = diff {
            parts.push(format!("difference {v:+.3}"));
        }
        parts.join(", ")
    };
    let power_at_threshold = j.power_at_threshold;
    if j.beyond {
        let significant = j.p_adjusted.is_some_and(|p| p < analysis.alpha);
        // A monitor trigger judges by the raw p (since schema 1.4.0): say which p it is.
        let which = if analysis.legacy_rules || t.severity == Severity::Remediate {
            "adjusted p"
        } else {
            "p"
        };
        let p_text = j.p_adjusted.map_or("no p-value".to_string(), |p| {
            if p < 1e-4 {
                format!("{which} < 0.0001")
            } else {
                format!("{which} = {p:.4}")
            }
        });
        return if significant {
            let status = match t.severity {
                Severity::Remediate => Status::Remediate,
                Severity::Monitor => Status::Monitor,
            };
            verdict(
                status,
                Rule::BeyondThresholdSignificant,
                format!(
                    "{} is outside the band and significant ({p_text}; alpha {})",
                    describe(),
                    analysis.alpha
                ),
                power_at_threshold,
                true,
            )
        } else {
            verdict(
                Status::Monitor,
                Rule::BeyondThresholdNotSignificant,
                format!(
                    "{} is outside the band but not significant ({p_text})",
                    describe()
                ),
                power_at_threshold,
                false,
            )
        };
    }
    // Before schema 1.4.0 the power at the band's edge vetoed what the interval shows. No
    // reachable edge (outside [0, 1], or a zero reference rate on a ratio band): no power rule.
    if let Some(pw) = power_at_threshold.filter(|_| analysis.legacy_rules) {
        if pw < analysis.power {
            let text = format!(
                "power to detect a {} at the band's edge is {pw:.3} (at alpha {:.2e}, the corrected level), under the target {}",
                j.noun, j.power_alpha, analysis.power
            );
            return verdict(
                Status::InsufficientData,
                Rule::Underpowered,
                text,
                Some(pw),
                false,
            );
        }
    }
    let ratio_ok = t.judged_ratio().map(|b| ci_inside(&b, j.ratio));
    let diff_ok = t.judged_difference().map(|b| ci_inside(&b, j.difference));
    let all_inside = [ratio_ok, diff_ok]
        .into_iter()
        .flatten()
        .all(|x| x == Some(true));
    if all_inside {
        verdict(
            Status::Pass,
            Rule::Equivalence,
            format!(
                "the {:.0}% interval lies inside the band ({}){}{}",
                analysis.confidence_level * 100.0,
                describe(),
                if analysis.legacy_rules {
                    String::new()
                } else {
                    format!(
                        ": equivalent within the band (two one-sided tests at {}% each)",
                        // Rounded to what a level is written with: 0.95 gives 2.5, not 2.500…2.
                        ((1.0 - analysis.confidence_level) / 2.0 * 1e6).round() / 1e4
                    )
                },
                match t.direction {
                    crate::protocol::Direction::Both => String::new(),
                    d => format!(
                        "; only a {} value than the reference's harms the group",
                        d.name()
                    ),
                }
            ),
            power_at_threshold,
            false,
        )
    } else if analysis.legacy_rules {
        verdict(
            Status::Monitor,
            Rule::Inconclusive,
            format!("the interval crosses an edge of the band ({})", describe()),
            power_at_threshold,
            false,
        )
    } else {
        let (rule, status, text) = match reading(t, &j) {
            Reading::TooWide => (
                Rule::TooWide,
                Status::InsufficientData,
                "the interval is too wide to judge: it holds both no disparity and a disparity beyond the band's edge",
            ),
            Reading::Crosses => (
                Rule::Inconclusive,
                Status::Monitor,
                "the interval excludes no disparity and crosses an edge of the band",
            ),
            Reading::NoInterval => (
                Rule::Undefined,
                Status::InsufficientData,
                "there is no interval to judge by (a rate of 0 in the reference makes the ratio undefined)",
            ),
        };
        verdict(
            status,
            rule,
            format!("{text} ({})", describe()),
            power_at_threshold,
            false,
        )
    }
}

/// What the intervals of a comparison neither beyond its band nor inside it show.
enum Reading {
    /// Some measure's interval holds both no disparity and a value beyond its band's edge.
    TooWide,
    /// Every measure's interval that leaves the band leaves out no disparity: a disparity is
    /// there, its size not yet placed.
    Crosses,
    /// A banded measure has no interval, and no other shows either of the above.
    NoInterval,
}

/// Read each measure the trigger bands by its own interval and band (a ratio's null is 1, a
/// difference's 0).
fn reading(t: &Trigger, j: &Judged) -> Reading {
    let measures = [
        t.judged_ratio().map(|b| (b, j.ratio, 1.0)),
        t.judged_difference().map(|b| (b, j.difference, 0.0)),
    ];
    let (mut crosses, mut missing) = (false, false);
    for (band, e, null) in measures.into_iter().flatten() {
        let Some(ci) = e.ci() else {
            missing = true;
            continue;
        };
        let inside = band.contains(ci.low) && band.contains(ci.high);
        let holds_null = ci.low <= null && null <= ci.high;
        if !inside && holds_null {
            return Reading::TooWide;
        }
        crosses |= !inside;
    }
    if crosses || !missing {
        Reading::Crosses
    } else {
        Reading::NoInterval
    }
}

/// Evaluate one trigger on one comparison.
pub fn evaluate(t: &Trigger, c: &Comparison, analysis: &Analysis) -> TriggerVerdict {
    let min = analysis.min_cell_size;
    if c.denominator < min || c.reference_denominator < min {
        return insufficient(
            t,
            Rule::MinCellSize,
            format!(
                "denominators {} (group) and {} (reference); the minimum is {min}",
                c.denominator, c.reference_denominator
            ),
        );
    }
    let ratio = c.ratio.value();
    let diff = c.difference.value();
    // A zero reference rate with events in the group is an infinite ratio: beyond any upper edge.
    let infinite_ratio = c.reference_numerator == 0 && c.numerator > 0;
    let beyond_ratio = match (t.judged_ratio(), ratio) {
        (Some(b), Some(v)) => outside(&b, v),
        (Some(b), None) => infinite_ratio && b.max.is_some(),
        _ => false,
    };
    let beyond_diff = matches!((t.judged_difference(), diff), (Some(b), Some(v)) if outside(&b, v));
    let p0 = if c.reference_denominator > 0 {
        c.reference_numerator as f64 / c.reference_denominator as f64
    } else {
        0.0
    };
    let power_at_threshold = edge_rates(t, p0)
        .into_iter()
        .map(|p1| {
            power::two_proportion_power(
                p1,
                p0,
                c.denominator,
                c.reference_denominator,
                c.detectable.alpha,
            )
        })
        .reduce(f64::min);
    decide(
        t,
        analysis,
        Judged {
            ratio: &c.ratio,
            difference: &c.difference,
            beyond: beyond_ratio || beyond_diff,
            p_adjusted: judging_p(t, analysis, c.p_adjusted, c.test.p_value()),
            power_at_threshold,
            power_alpha: c.detectable.alpha,
            noun: "disparity",
        },
    )
}

/// The p-value a trigger judges significance by: a remediate trigger's is corrected within its
/// family; a monitor trigger's is the raw p (before schema 1.4.0, the run's corrected p for both).
fn judging_p(
    t: &Trigger,
    analysis: &Analysis,
    adjusted: Option<f64>,
    raw: Option<f64>,
) -> Option<f64> {
    if analysis.legacy_rules || t.severity == Severity::Remediate {
        adjusted
    } else {
        raw
    }
}

/// Assess a comparison against every trigger that applies to it.
pub fn assess(c: &Comparison, triggers: &[Trigger], analysis: &Analysis) -> Assessment {
    let verdicts: Vec<TriggerVerdict> = triggers
        .iter()
        .filter(|t| t.applies_to(&c.attribute, c.metric.name()))
        .map(|t| evaluate(t, c, analysis))
        .collect();
    let mut a = worst(verdicts);
    a.harm = deciding(&a, triggers)
        .filter(|_| beyond(&a))
        .and_then(|t| crate::harm::of_comparison(c, t.direction));
    a
}

fn worst(verdicts: Vec<TriggerVerdict>) -> Assessment {
    match verdicts.iter().max_by_key(|v| v.status) {
        None => Assessment {
            status: Status::NotAssessed,
            rule: Rule::NoTrigger,
            verdicts,
            harm: None,
        },
        Some(worst) => Assessment {
            status: worst.status,
            rule: worst.rule,
            verdicts,
            harm: None,
        },
    }
}

/// Power of a two-sided z-test at `alpha` to detect a true difference `d` with standard error `se`.
fn z_power(d: f64, se: f64, alpha: f64) -> f64 {
    let z = dist::normal_quantile(1.0 - alpha / 2.0);
    let shift = d.abs() / se;
    dist::normal_cdf(shift - z) + dist::normal_cdf(-shift - z)
}

/// Evaluate one trigger on a score comparison (AUROC, O/E, need at equal score), by the same
/// rules as the rate comparisons. The power rule uses the comparison's standard error: the power
/// of its z-test to detect a difference at the band's edge (on the log scale for a ratio band).
pub fn evaluate_score(t: &Trigger, c: &ScoreComparison, analysis: &Analysis) -> TriggerVerdict {
    let min = analysis.min_cell_size;
    if c.n < min || c.reference_n < min {
        return insufficient(
            t,
            Rule::MinCellSize,
            format!(
                "the comparison rests on {} (group) and {} (reference) cases; the minimum is {min}",
                c.n, c.reference_n
            ),
        );
    }
    let (ratio, diff) = (c.ratio.value(), c.difference.value());
    if ratio.is_none() && diff.is_none() {
        return insufficient(
            t,
            Rule::Undefined,
            "the comparison has no estimate (see its test's reason)".into(),
        );
    }
    let beyond_ratio = matches!((t.judged_ratio(), ratio), (Some(b), Some(v)) if outside(&b, v));
    let beyond_diff = matches!((t.judged_difference(), diff), (Some(b), Some(v)) if outside(&b, v));
    let alpha_power = c.detectable.alpha;
    let mut powers = Vec::new();
    if let (Some(b), Some(se)) = (t.judged_ratio(), c.se_log_ratio) {
        powers.extend(
            [b.min, b.max]
                .into_iter()
                .flatten()
                .map(|k| z_power(k.ln(), se, alpha_power)),
        );
    }
    if let (Some(b), Some(se)) = (t.judged_difference(), c.se_difference) {
        powers.extend(
            [b.min, b.max]
                .into_iter()
                .flatten()
                .map(|d| z_power(d, se, alpha_power)),
        );
    }
    let power_at_threshold = powers.into_iter().reduce(f64::min);
    decide(
        t,
        analysis,
        Judged {
            ratio: &c.ratio,
            difference: &c.difference,
            beyond: beyond_ratio || beyond_diff,
            p_adjusted: judging_p(t, analysis, c.p_adjusted, c.test.p_value()),
            power_at_threshold,
            power_alpha: alpha_power,
            noun: "difference",
        },
    )
}

/// Assess a score comparison against every trigger that applies to it.
pub fn assess_score(c: &ScoreComparison, triggers: &[Trigger], analysis: &Analysis) -> Assessment {
    let mut a = worst(
        triggers
            .iter()
            .filter(|t| t.applies_to(&c.attribute, c.metric.name()))
            .map(|t| evaluate_score(t, c, analysis))
            .collect(),
    );
    a.harm = deciding(&a, triggers)
        .filter(|_| beyond(&a))
        .and_then(|t| crate::harm::of_score(c, t.direction));
    a
}

/// The trigger whose verdict decided an assessment.
fn deciding<'t>(a: &Assessment, triggers: &'t [Trigger]) -> Option<&'t Trigger> {
    a.verdicts
        .iter()
        .find(|v| v.status == a.status)
        .and_then(|v| triggers.iter().find(|t| t.id == v.trigger))
}

/// Whether the deciding rule put the finding beyond its band.
fn beyond(a: &Assessment) -> bool {
    matches!(
        a.rule,
        Rule::BeyondThresholdSignificant | Rule::BeyondThresholdNotSignificant
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::compare;
    use crate::protocol::{Correction, Metric, TriggerMetric};
    use crate::suffstats::Confusion;

    pub(super) fn analysis() -> Analysis {
        Analysis {
            metrics: vec![Metric::Tpr],
            confidence_level: 0.95,
            alpha: 0.05,
            correction: Correction::Holm,
            rate_interval: crate::protocol::RateInterval::Wilson,
            ratio_interval: crate::protocol::RatioInterval::Katz,
            difference_interval: crate::protocol::DifferenceInterval::Newcombe,
            power: 0.8,
            min_cell_size: 11,
            seed: 1,
            bootstrap_replicates: 200,
            legacy_rules: false,
            governing_criterion: None,
        }
    }

    /// The rules of schemas before 1.4.0.
    pub(super) fn legacy() -> Analysis {
        Analysis {
            legacy_rules: true,
            governing_criterion: None,
            ..analysis()
        }
    }

    fn trigger(severity: Severity) -> Trigger {
        Trigger {
            id: "t".into(),
            metric: TriggerMetric::Rate(Metric::Tpr),
            attributes: vec![],
            ratio: None,
            difference: Some(Band {
                min: Some(-0.1),
                max: Some(0.1),
            }),
            severity,
            action: "act".into(),
            direction: crate::protocol::Direction::Both,
        }
    }

    #[test]
    fn a_finding_on_the_side_that_does_not_harm_is_not_remediated() {
        use crate::protocol::Direction;
        // The group's TPR is 30 points above the reference's: beyond a two-sided band, but a
        // higher TPR misses fewer of its cases.
        let c = tpr(900, 1000, 600, 1000);
        let mut t = trigger(Severity::Remediate);
        assert_eq!(evaluate(&t, &c, &analysis()).status, Status::Remediate);
        t.direction = Direction::Lower;
        let v = evaluate(&t, &c, &analysis());
        assert_eq!((v.status, v.rule), (Status::Pass, Rule::Equivalence));
        assert!(v
            .explanation
            .contains("only a lower value than the reference's harms"));
        // A TPR 30 points below is beyond the band on the side that harms.
        let c = tpr(600, 1000, 900, 1000);
        assert_eq!(evaluate(&t, &c, &analysis()).status, Status::Remediate);
        assert_eq!(
            Direction::default_for(TriggerMetric::Rate(Metric::Fpr)),
            Direction::Higher
        );
        assert_eq!(
            Direction::default_for(TriggerMetric::Rate(Metric::SelectionRate)),
            Direction::Both
        );
    }

    /// A TPR comparison: `tp` of `pos` positives in the group, `rtp` of `rpos` in the reference.
    pub(super) fn tpr(tp: u64, pos: u64, rtp: u64, rpos: u64) -> Comparison {
        let g = Confusion {
            tp,
            fp: 0,
            fn_: pos - tp,
            tn: 0,
        };
        let r = Confusion {
            tp: rtp,
            fp: 0,
            fn_: rpos - rtp,
            tn: 0,
        };
        let mut c = compare("race", "B", "W", Metric::Tpr, &g, &r, &analysis());
        c.p_adjusted = c.test.p_value();
        c
    }

    fn status(c: &Comparison, severity: Severity) -> (Status, Rule) {
        let v = evaluate(&trigger(severity), c, &analysis());
        (v.status, v.rule)
    }

    #[test]
    fn small_cells_are_insufficient_data() {
        assert_eq!(
            status(&tpr(2, 10, 800, 1000), Severity::Remediate),
            (Status::InsufficientData, Rule::MinCellSize)
        );
    }

    #[test]
    fn beyond_and_significant_takes_the_severity() {
        let c = tpr(500, 1000, 800, 1000);
        assert_eq!(
            status(&c, Severity::Remediate),
            (Status::Remediate, Rule::BeyondThresholdSignificant)
        );
        assert_eq!(
            status(&c, Severity::Monitor),
            (Status::Monitor, Rule::BeyondThresholdSignificant)
        );
        assert!(evaluate(&trigger(Severity::Remediate), &c, &analysis()).fired);
    }

    #[test]
    fn beyond_but_not_significant_is_monitor() {
        let c = tpr(9, 15, 12, 15);
        assert_eq!(
            status(&c, Severity::Remediate),
            (Status::Monitor, Rule::BeyondThresholdNotSignificant)
        );
        assert!(!evaluate(&trigger(Severity::Remediate), &c, &analysis()).fired);
    }

    #[test]
    fn an_interval_too_wide_to_judge_is_insufficient_data_never_a_pass() {
        // Equal rates in small groups: nothing beyond the band, but the interval (about ±0.17)
        // holds both no gap and a gap past the ±0.10 band.
        let c = tpr(32, 40, 32, 40);
        let v = evaluate(&trigger(Severity::Remediate), &c, &analysis());
        assert_eq!(
            (v.status, v.rule),
            (Status::InsufficientData, Rule::TooWide)
        );
        assert!(
            v.explanation.contains("too wide to judge"),
            "{}",
            v.explanation
        );
        // Before schema 1.4.0 the power rule decided first.
        let v = evaluate(&trigger(Severity::Remediate), &c, &legacy());
        assert_eq!(
            (v.status, v.rule),
            (Status::InsufficientData, Rule::Underpowered)
        );
    }

    #[test]
    fn a_monitor_trigger_judges_by_the_raw_p_and_a_remediate_trigger_by_its_family() {
        // 50% against 80% is beyond a ±0.10 band with a tiny raw p; say its family's correction
        // took it to 0.2.
        let mut c = tpr(500, 1000, 800, 1000);
        c.p_adjusted = Some(0.2);
        let remediate = evaluate(&trigger(Severity::Remediate), &c, &analysis());
        assert_eq!(
            (remediate.status, remediate.rule),
            (Status::Monitor, Rule::BeyondThresholdNotSignificant)
        );
        let monitor = evaluate(&trigger(Severity::Monitor), &c, &analysis());
        assert_eq!(
            (monitor.status, monitor.rule, monitor.fired),
            (Status::Monitor, Rule::BeyondThresholdSignificant, true)
        );
        // Before 1.4.0 both judged by the run's corrected p.
        let old = evaluate(&trigger(Severity::Monitor), &c, &legacy());
        assert_eq!(old.rule, Rule::BeyondThresholdNotSignificant);
    }

    #[test]
    fn interval_inside_the_band_is_a_pass() {
        let c = tpr(8000, 10000, 8010, 10000);
        assert_eq!(
            status(&c, Severity::Remediate),
            (Status::Pass, Rule::Equivalence)
        );
    }

    #[test]
    fn interval_straddling_an_edge_is_inconclusive() {
        // A 9-point gap with enough power: inside the band by the point estimate, not by the interval.
        let c = tpr(710, 1000, 800, 1000);
        assert_eq!(
            status(&c, Severity::Remediate),
            (Status::Monitor, Rule::Inconclusive)
        );
    }

    #[test]
    fn the_most_serious_trigger_decides() {
        let c = tpr(500, 1000, 800, 1000);
        let mut lenient = trigger(Severity::Remediate);
        lenient.id = "lenient".into();
        lenient.difference = Some(Band {
            min: Some(-0.5),
            max: Some(0.5),
        });
        let a = assess(&c, &[lenient, trigger(Severity::Remediate)], &analysis());
        assert_eq!(a.status, Status::Remediate);
        assert_eq!(a.verdicts.len(), 2);
        let none = assess(&c, &[], &analysis());
        assert_eq!(none.status, Status::NotAssessed);
    }
}

#[cfg(test)]
mod regressions {
    use super::tests::{analysis, tpr};
    use super::*;
    use crate::protocol::{Metric, TriggerMetric};

    fn ratio_trigger() -> Trigger {
        Trigger {
            id: "r".into(),
            metric: TriggerMetric::Rate(Metric::Tpr),
            attributes: vec![],
            ratio: Some(Band {
                min: Some(0.8),
                max: Some(1.25),
            }),
            difference: None,
            severity: Severity::Remediate,
            action: "act".into(),
            direction: crate::protocol::Direction::Both,
        }
    }

    #[test]
    fn katz_collapse_at_100_percent_does_not_pass_a_12_person_group() {
        // Katz's log interval for 12/12 against 200/200 is [1, 1]; a true ratio of 0.76 fits the
        // data (Wilson's lower bound for 12/12 is 0.758), so this must not be a pass.
        let c = tpr(12, 12, 200, 200);
        let ci = c.ratio.ci().expect("defined");
        assert!(ci.low < 0.8, "interval {ci:?} must reach below the band");
        assert_ne!(
            evaluate(&ratio_trigger(), &c, &analysis()).status,
            Status::Pass
        );
    }

    #[test]
    fn zero_reference_rate_with_events_is_beyond_any_upper_edge() {
        // FPR-like: 30/100 against 0/500. The ratio is infinite, not "underpowered".
        let c = tpr(30, 100, 0, 500);
        let v = evaluate(&ratio_trigger(), &c, &analysis());
        assert_eq!(
            (v.status, v.rule),
            (Status::Remediate, Rule::BeyondThresholdSignificant)
        );
    }

    #[test]
    fn one_sided_band_with_an_unreachable_edge_can_pass() {
        // Reference rate 0.9 and a band of ratio ≤ 1.25: the edge (1.125) is above 1, so the
        // power rule cannot apply; equal rates in large groups pass.
        let mut t = ratio_trigger();
        t.ratio = Some(Band {
            min: None,
            max: Some(1.25),
        });
        let c = tpr(90_000, 100_000, 90_000, 100_000);
        assert_eq!(evaluate(&t, &c, &analysis()).status, Status::Pass);
    }

    #[test]
    fn an_interval_inside_the_band_passes_whatever_the_power() {
        // Reference rate 0.2, 300 per group, band ±0.10: power 0.81 at alpha 0.05 but 0.34 at
        // 0.05/40. Before schema 1.4.0, in a family of 40 comparisons, that made it insufficient
        // data; the interval (about ±0.064) lies inside the band, so it passes now.
        let mut c = tpr(60, 300, 60, 300);
        c.detectable = crate::metrics::detectable(60, 300, 300, 0.05 / 40.0, 0.8);
        let t = Trigger {
            id: "d".into(),
            metric: TriggerMetric::Rate(Metric::Tpr),
            attributes: vec![],
            ratio: None,
            difference: Some(Band {
                min: Some(-0.1),
                max: Some(0.1),
            }),
            severity: Severity::Remediate,
            action: "act".into(),
            direction: crate::protocol::Direction::Both,
        };
        let v = evaluate(&t, &c, &super::tests::legacy());
        assert_eq!(
            (v.status, v.rule),
            (Status::InsufficientData, Rule::Underpowered)
        );
        let v = evaluate(&t, &c, &analysis());
        assert_eq!((v.status, v.rule), (Status::Pass, Rule::Equivalence));
        assert!(
            v.explanation.contains("two one-sided tests at 2.5% each"),
            "{}",
            v.explanation
        );
    }

    #[test]
    fn each_measure_is_read_against_its_own_band() {
        // Ratio ≥ 0.8 and difference ≥ −0.10 (lower harms): 237/1464 against 100/500. The ratio's
        // interval leaves out 1 and crosses 0.8; the difference's lies inside its band. No
        // interval holds both no disparity and a value past its edge: monitor, not too wide.
        let t = Trigger {
            difference: Some(Band {
                min: Some(-0.10),
                max: None,
            }),
            ratio: Some(Band {
                min: Some(0.8),
                max: None,
            }),
            direction: crate::protocol::Direction::Lower,
            ..ratio_trigger()
        };
        let c = tpr(237, 1464, 100, 500);
        let v = evaluate(&t, &c, &analysis());
        assert_eq!(
            (v.status, v.rule),
            (Status::Monitor, Rule::Inconclusive),
            "{}",
            v.explanation
        );
    }

    #[test]
    fn a_ratio_without_an_interval_is_undefined_not_too_wide() {
        // 0 of 5,000 against 0 of 5,000 on a ratio band: no ratio, no interval.
        let c = tpr(0, 5000, 0, 5000);
        let v = evaluate(&ratio_trigger(), &c, &analysis());
        assert_eq!(
            (v.status, v.rule),
            (Status::InsufficientData, Rule::Undefined)
        );
        assert!(
            v.explanation.contains("no interval to judge by"),
            "{}",
            v.explanation
        );
    }

    #[test]
    fn an_interval_that_leaves_out_no_disparity_and_crosses_the_edge_is_monitor() {
        // The O/E of the 90+ band in the example: 1.10 to 1.41 against a band of ratio ≤ 1.25
        // is a disparity whose size the data cannot yet place: monitor, not too few to judge.
        let t = Trigger {
            ratio: Some(Band {
                min: None,
                max: Some(1.25),
            }),
            ..ratio_trigger()
        };
        // 120 of 500 against 1000 of 5000: ratio 1.2, interval about 1.02 to 1.42.
        let c = tpr(120, 500, 1000, 5000);
        let ci = c.ratio.ci().unwrap();
        assert!(ci.low > 1.0 && ci.high > 1.25, "{ci:?}");
        let v = evaluate(&t, &c, &analysis());
        assert_eq!((v.status, v.rule), (Status::Monitor, Rule::Inconclusive));
    }
}
