//! Whom a finding disadvantages, in words, and about how many of the group's patients: the
//! difference from the reference's rate applied to the group's own denominator (the group's
//! cases with the outcome for TPR, say), with the difference's interval carried over. Stated for
//! a finding beyond its trigger's band on the side that harms the group; a finding inside the
//! band, or on the side that does not harm, states none.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::metrics::{Comparison, Estimate, Interval};
use crate::protocol::{Direction, Metric};

/// The disadvantage a finding shows for its group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Harm {
    /// Whom it disadvantages and how, in words.
    pub statement: String,
    /// The group's patients affected beyond the reference's rate (missed cases, extra false
    /// alarms, fewer selected…), with the interval of the difference applied to the group's
    /// denominator.
    pub patients: Estimate,
}

/// The harm of a rate comparison judged in `direction`, or `None` when its point estimate lies on
/// the side that does not harm (or it has none).
pub fn of_comparison(c: &Comparison, direction: Direction) -> Option<Harm> {
    let Estimate::Value { value: d, ci } = &c.difference else {
        return None;
    };
    // Where the trigger judges both sides, a rate whose higher value is better (TPR, TNR, PPV,
    // NPV, accuracy) harms by its lower side and FPR or FNR by its higher; a selection rate or a
    // prevalence by the side it lies on.
    let lower = match (direction, c.metric) {
        (Direction::Lower, _) => true,
        (Direction::Higher, _) => false,
        (
            Direction::Both,
            Metric::Tpr | Metric::Tnr | Metric::Ppv | Metric::Npv | Metric::Accuracy,
        ) => true,
        (Direction::Both, Metric::Fpr | Metric::Fnr) => false,
        (Direction::Both, _) => *d < 0.0,
    };
    let harmful = if lower { *d < 0.0 } else { *d > 0.0 };
    if !harmful {
        return None;
    }
    let n = c.denominator as f64;
    // Oriented so that more patients harmed is positive.
    let (value, low, high) = if lower {
        (-d * n, -ci.high * n, -ci.low * n)
    } else {
        (d * n, ci.low * n, ci.high * n)
    };
    let patients = Estimate::Value {
        value,
        ci: Interval {
            level: ci.level,
            low,
            high,
            method: ci.method,
        },
    };
    Some(Harm {
        statement: statement(c, lower, value),
        patients,
    })
}

fn statement(c: &Comparison, lower: bool, patients: f64) -> String {
    let (g, r) = (&c.group, &c.reference_group);
    let about = format!("about {patients:.0}");
    match (c.metric, lower) {
        (Metric::Tpr, true) | (Metric::Fnr, false) => format!(
            "{g} patients who had the outcome were flagged less often than {r} patients: {about} more of their cases missed"
        ),
        (Metric::Fpr, false) | (Metric::Tnr, true) => format!(
            "{g} patients without the outcome were flagged more often than {r} patients: {about} more false alarms"
        ),
        (Metric::SelectionRate, true) => format!(
            "{g} patients were selected less often than {r} patients: {about} fewer selected"
        ),
        (Metric::SelectionRate, false) => format!(
            "{g} patients were selected more often than {r} patients: {about} more selected"
        ),
        (Metric::Ppv, true) => format!(
            "flags of {g} patients were right less often than those of {r} patients: {about} more flags without the outcome"
        ),
        (Metric::Npv, true) => format!(
            "{g} patients left unflagged had the outcome more often than {r} patients: {about} more missed"
        ),
        (m, _) => format!(
            "{} is {} for {g} patients than for {r} patients: {about} patients at the reference's rate",
            m.label(),
            if lower { "lower" } else { "higher" }
        ),
    }
}

/// The harm of a score comparison beyond its band, in words: a score comparison counts no
/// patients, so `patients` says so. `None` on the side that does not harm.
pub fn of_score(c: &crate::metrics::scores::ScoreComparison, direction: Direction) -> Option<Harm> {
    use crate::metrics::scores::ScoreComparisonMetric as M;
    let d = c.difference.value().or(c.ratio.value().map(|r| r - 1.0))?;
    let lower = match (direction, c.metric) {
        (Direction::Lower, _) => true,
        (Direction::Higher, _) => false,
        (Direction::Both, M::Auroc) => true,
        (Direction::Both, M::NeedAtEqualScore) => false,
        (Direction::Both, M::OeRatio) => d < 0.0,
    };
    if (lower && d >= 0.0) || (!lower && d <= 0.0) {
        return None;
    }
    let (g, r) = (&c.group, &c.reference_group);
    let num = |v: Option<f64>| v.map_or("—".to_string(), |x| format!("{x:.3}"));
    let statement = match (c.metric, lower) {
        (M::Auroc, _) => format!(
            "the score ranks {g} patients' outcomes less well than {r} patients' (AUROC {} against {})",
            num(c.value),
            num(c.reference_value)
        ),
        (M::OeRatio, false) => format!(
            "{g} patients had more outcomes than the score expected, beside {r} patients (O/E {} against {}): their risk is under-predicted",
            num(c.value),
            num(c.reference_value)
        ),
        (M::OeRatio, true) => format!(
            "{g} patients had fewer outcomes than the score expected, beside {r} patients (O/E {} against {}): their risk is over-predicted",
            num(c.value),
            num(c.reference_value)
        ),
        (M::NeedAtEqualScore, _) => format!(
            "{g} patients were sicker than {r} patients at the same score (mean need {} against {}): the score under-ranks their need",
            num(c.value),
            num(c.reference_value)
        ),
    };
    Some(Harm {
        statement,
        patients: Estimate::Undefined {
            reason: "a comparison of the score counts no patients".into(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Method;
    use crate::protocol::Metric;

    fn comparison(metric: Metric, d: f64, (lo, hi): (f64, f64), den: u64) -> Comparison {
        let value = |v: f64| Estimate::Value {
            value: v,
            ci: Interval {
                level: 0.95,
                low: lo,
                high: hi,
                method: Method::NewcombeHybridScore,
            },
        };
        Comparison {
            id: "race/B/tpr".into(),
            attribute: "race".into(),
            group: "Black".into(),
            reference_group: "White".into(),
            metric,
            numerator: 0,
            denominator: den,
            reference_numerator: 0,
            reference_denominator: 0,
            ratio: Estimate::Undefined { reason: "x".into() },
            difference: value(d),
            odds_ratio: Estimate::Undefined { reason: "x".into() },
            test: crate::metrics::TestResult::Undefined { reason: "x".into() },
            p_adjusted: None,
            detectable: crate::metrics::Detectable {
                alpha: 0.05,
                power: 0.8,
                difference_up: None,
                difference_down: None,
                ratio_up: None,
                ratio_down: None,
            },
            design: None,
        }
    }

    #[test]
    fn a_lower_tpr_counts_the_group_cases_missed() {
        // 400 cases with the outcome, TPR 12 points below the reference (5 to 19).
        let c = comparison(Metric::Tpr, -0.12, (-0.19, -0.05), 400);
        let h = of_comparison(&c, Direction::Lower).unwrap();
        assert!(h.statement.contains("about 48 more of their cases missed"));
        let Estimate::Value { value, ci } = h.patients else {
            panic!("no estimate")
        };
        assert!((value - 48.0).abs() < 1e-9);
        assert!((ci.low - 20.0).abs() < 1e-9 && (ci.high - 76.0).abs() < 1e-9);
        // The same gap on the side that does not harm states no harm.
        let c = comparison(Metric::Tpr, 0.12, (0.05, 0.19), 400);
        assert!(of_comparison(&c, Direction::Lower).is_none());
        // Judged on both sides, a higher TPR still harms no one; a higher selection rate of a
        // burden does.
        assert!(of_comparison(&c, Direction::Both).is_none());
        let c = comparison(Metric::SelectionRate, 0.12, (0.05, 0.19), 400);
        let h = of_comparison(&c, Direction::Both).unwrap();
        assert!(h.statement.contains("selected more often"));
    }
}
