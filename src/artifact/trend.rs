//! Quarter over quarter: each finding against the same finding of an earlier artifact. The
//! change in the difference from the reference (and in the log ratio) with a Wald interval and
//! test for two independent quarters, the earlier status, and whether the change is for the
//! worse in the direction that harms the group. A supporting analysis: raw p-values, outside the
//! correction family and the triggers.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Artifact, Finding};
use crate::metrics::{Estimate, Interval, Method};
use crate::stats::dist;
use crate::triggers::Status;

/// The earlier artifact and how each finding moved since.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Trend {
    pub previous: Previous,
    pub findings: Vec<FindingTrend>,
    /// Findings of this run with no counterpart in the earlier artifact (new groups).
    pub new_findings: Vec<String>,
    /// The triggers that apply to a finding that got worse, with their actions: a worsening
    /// calls for the trigger's action even while the finding stays inside its band.
    pub fired_on_worsening: Vec<super::Fired>,
}

/// The earlier artifact a run is compared with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Previous {
    pub file: String,
    pub sha256: String,
    pub as_of: String,
    pub protocol_version: String,
    pub protocol_sha256: String,
    /// The protocol changed between the two runs: compare with care.
    pub protocol_changed: bool,
}

/// One finding now and in the earlier artifact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FindingTrend {
    pub id: String,
    pub previous_status: Status,
    pub status: Status,
    pub previous_difference: Option<f64>,
    pub difference: Option<f64>,
    /// Difference now − difference then, with its Wald interval.
    pub change: Estimate,
    /// Log ratio now − log ratio then (Katz's variances), with its Wald interval.
    pub change_log_ratio: Estimate,
    /// Two-sided test of no change in the difference (raw, not corrected).
    pub p_value: Option<f64>,
    /// `worse` or `better` (a significant change toward or away from the side that harms the
    /// group), `changed` (significant, where both sides harm) or `unchanged`.
    pub verdict: String,
    /// The group or its reference was withheld in the earlier artifact's shared outputs (a small
    /// cell, or complementary suppression): shared outputs withhold this row's numbers too.
    pub withheld_then: bool,
}

/// An estimate and its variance, when defined.
type Moment = Option<(f64, f64)>;

/// A rate's difference from the reference, its Wald variance, and the log ratio with Katz's
/// variance, from a finding's counts.
/// Undefined when either denominator is under `min` (too few to judge a change). The variance
/// of the difference takes each rate as (x + 1)/(n + 2) (Agresti–Caffo), so a group with no
/// events or all events does not count as known without error.
pub(super) fn moments(f: &Finding, min: u64) -> (Moment, Moment) {
    let c = &f.comparison;
    if c.denominator < min.max(1) || c.reference_denominator < min.max(1) {
        return (None, None);
    }
    let (x1, n1, x0, n0) = (
        c.numerator as f64,
        c.denominator as f64,
        c.reference_numerator as f64,
        c.reference_denominator as f64,
    );
    let (p1, p0) = (x1 / n1, x0 / n0);
    let (q1, q0) = ((x1 + 1.0) / (n1 + 2.0), (x0 + 1.0) / (n0 + 2.0));
    let diff = Some((p1 - p0, q1 * (1.0 - q1) / n1 + q0 * (1.0 - q0) / n0));
    let log_ratio =
        (x1 > 0.0 && x0 > 0.0).then(|| ((p1 / p0).ln(), 1.0 / x1 - 1.0 / n1 + 1.0 / x0 - 1.0 / n0));
    (diff, log_ratio)
}

/// The change between two independent estimates with their variances, as an estimate with a
/// Wald interval, and its two-sided p-value.
fn change(
    now: Option<(f64, f64)>,
    then: Option<(f64, f64)>,
    level: f64,
) -> (Estimate, Option<f64>) {
    let undefined = |reason: &str| Estimate::Undefined {
        reason: reason.into(),
    };
    let (Some((a, va)), Some((b, vb))) = (now, then) else {
        return (undefined("too few cases in one of the two periods"), None);
    };
    let se = (va + vb).sqrt();
    if !(se > 0.0 && se.is_finite()) {
        return (undefined("no variance in either quarter"), None);
    }
    let z = dist::normal_quantile(1.0 - (1.0 - level) / 2.0);
    let d = a - b;
    let p = 2.0 * dist::normal_cdf(-(d / se).abs());
    (
        Estimate::Value {
            value: d,
            ci: Interval {
                level,
                low: d - z * se,
                high: d + z * se,
                method: Method::Wald,
            },
        },
        Some(p),
    )
}

/// Which way a significant change went, in the deciding trigger's direction of harm: `worse`
/// when it moved toward the side that harms and now lies there, `better` when it moved away from
/// a harmful side it lay on, `changed` otherwise (a move on the harmless side, or where both
/// sides harm).
fn verdict(
    current: &Artifact,
    f: &Finding,
    change: f64,
    then: Option<f64>,
    significant: bool,
) -> String {
    if !significant {
        return "unchanged".into();
    }
    let direction = f
        .assessment
        .verdicts
        .iter()
        .find(|v| v.status == f.assessment.status)
        .and_then(|v| current.triggers.iter().find(|t| t.id == v.trigger))
        .map_or("both", |t| t.direction.as_str());
    let harmful = match direction {
        "lower" => -1.0,
        "higher" => 1.0,
        _ => return "changed".into(),
    };
    let now = f.comparison.difference.value().unwrap_or(0.0);
    let then = then.unwrap_or(0.0);
    if harmful * change > 0.0 && harmful * now > 0.0 {
        "worse".into()
    } else if harmful * change < 0.0 && harmful * then > 0.0 {
        "better".into()
    } else {
        "changed".into()
    }
}

/// Each finding of `current` against the same finding of `previous` (whose file is `file` and
/// whose bytes hash to `sha256`).
pub fn compare(current: &Artifact, previous: &Artifact, file: &str, sha256: &str) -> Trend {
    let level = current.run.confidence_level;
    let alpha = current.run.alpha;
    let mut findings = Vec::new();
    let mut new_findings = Vec::new();
    // The groups the earlier artifact's shared outputs withheld (by its own suppression rule).
    let withheld_then = super::suppression::Suppression::from_artifact(previous);
    for f in &current.comparisons {
        let Some(p) = previous
            .comparisons
            .iter()
            .find(|p| p.comparison.id == f.comparison.id)
        else {
            new_findings.push(f.comparison.id.clone());
            continue;
        };
        let min = current.run.min_cell_size;
        let (now_d, now_lr) = moments(f, min);
        let (then_d, then_lr) = moments(p, min);
        let small_then = withheld_then.comparison(&p.comparison);
        let (change_d, p_value) = change(now_d, then_d, level);
        let (change_lr, _) = change(now_lr, then_lr, level);
        let significant = p_value.is_some_and(|x| x < alpha);
        let d = change_d.value().unwrap_or(0.0);
        findings.push(FindingTrend {
            id: f.comparison.id.clone(),
            previous_status: p.assessment.status,
            status: f.assessment.status,
            previous_difference: p.comparison.difference.value(),
            difference: f.comparison.difference.value(),
            change: change_d,
            change_log_ratio: change_lr,
            p_value,
            verdict: verdict(current, f, d, p.comparison.difference.value(), significant),
            withheld_then: small_then,
        });
    }
    let fired_on_worsening = findings
        .iter()
        .filter(|f| f.verdict == "worse")
        .flat_map(|f| {
            let finding = current.comparisons.iter().find(|c| c.comparison.id == f.id);
            finding
                .into_iter()
                .flat_map(|c| c.assessment.verdicts.iter())
                .filter_map(|v| current.triggers.iter().find(|t| t.id == v.trigger))
                .map(|t| super::Fired {
                    trigger: t.id.clone(),
                    comparison: f.id.clone(),
                    status: f.status,
                    action: t.action.clone(),
                })
                .collect::<Vec<_>>()
        })
        .collect();
    Trend {
        fired_on_worsening,
        previous: Previous {
            file: file.into(),
            sha256: sha256.into(),
            as_of: previous.run.as_of.clone(),
            protocol_version: previous.protocol.version.clone(),
            protocol_sha256: previous.protocol.sha256.clone(),
            protocol_changed: previous.protocol.sha256 != current.protocol.sha256,
        },
        findings,
        new_findings,
    }
}
