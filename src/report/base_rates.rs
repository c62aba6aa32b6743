//! The report's base-rate section: prevalence by group, each selection-rate gap split into the
//! part that follows the base rate and the part due to the tool, the excess missed cases, the
//! criterion the protocol says governs, and what outcome-based metrics cannot see.

use std::fmt::Write;

use super::markdown::{diff_ci, esc};
use super::Suppression;
use crate::artifact::Artifact;
use crate::metrics::base_rates::{BaseRateAttribute, BaseRateGroup};
use crate::metrics::Estimate;
use crate::protocol::{Criterion, Metric};

/// What each criterion asks, in a sentence.
fn criterion_text(c: Criterion) -> &'static str {
    match c {
        Criterion::ErrorRates => "equal error rates (true- and false-positive rates): among patients who have the outcome, and among those who do not, every group is selected alike — the criterion for who gets an intervention",
        Criterion::Calibration => "calibration (equal predictive values): a flag or a risk number means the same risk in every group — the criterion for whether clinicians can trust the number",
        Criterion::Selection => "equal selection rates: every group is selected alike whatever its outcomes — rarely right when need differs between groups",
    }
}

pub(super) fn section(o: &mut String, a: &Artifact, sup: &Suppression) {
    let Some(br) = &a.base_rates else { return };
    o.push_str("## Base rates: what follows from prevalence, and what the tool adds\n\n");
    o.push_str("When groups have the outcome at different rates, a tool that treats every patient alike still selects them at different rates. Each selection-rate gap below is split exactly into the part that follows the base rate — the gap the group would have if the tool treated its patients with and without the outcome as it treats the reference group's, (prevalence gap) × (reference TPR − reference FPR) — and the part due to the tool, the group's own error rates against the reference's weighted by its case mix. Excess missed cases are the group's patients with the outcome whom the tool missed beyond the reference group's miss rate (negative: fewer missed). Intervals: delta method (Wald) for the parts, Newcombe's for the miss-rate difference scaled by the group's cases with the outcome; descriptive, with no status of their own.\n\n");
    match br.governing_criterion {
        Some(c) => {
            let _ = writeln!(o, "The protocol names the criterion that governs this tool's use: **{}**. Gaps on the other criteria are shown for context: when prevalence differs they can follow from the base rates rather than from the tool.\n", criterion_text(c));
        }
        None => o.push_str("The protocol does not name the criterion that governs this tool's use (`[analysis] governing_criterion`: `error_rates`, `calibration` or `selection`); when prevalence differs, the three cannot all hold, so read each gap with the use in mind.\n\n"),
    }
    let need = a.scores.as_ref().is_some_and(|s| {
        s.attributes
            .iter()
            .flat_map(|x| &x.groups)
            .any(|g| g.need.is_some())
    });
    o.push_str("Outcome-based metrics cannot see bias in the choice of the outcome itself: if the recorded outcome stands in for need (costs or visits for illness, say), a group with less access shows less of it at the same need. A measure of need beside the score is the check: ");
    o.push_str(if need {
        "this run has one (need at equal score and among the selected, in the score section).\n\n"
    } else {
        "this run has none, so a biased label would not show here.\n\n"
    });
    o.push_str("| attribute | group (vs reference) | prevalence: group / reference | selection-rate gap (CI) | follows the base rate (CI) | due to the tool (CI) | excess missed cases (CI) |\n|---|---|---|---|---|---|---|\n");
    for x in &br.attributes {
        for g in &x.groups {
            row(o, a, sup, x, g);
        }
    }
    o.push('\n');
    four_fifths(o, br, sup);
}

/// Each group's selection rate over the highest group's, the four-fifths rule's comparison.
fn four_fifths(o: &mut String, br: &crate::metrics::base_rates::BaseRates, sup: &Suppression) {
    if br.attributes.iter().all(|x| x.impact_ratios.is_empty()) {
        return;
    }
    o.push_str("### The four-fifths rule: against the highest selection rate

The rule of thumb of the EEOC's Uniform Guidelines (29 CFR 1607.4(D)) compares each group's selection rate with the highest group's, whichever group the protocol takes as reference: an impact ratio under 0.8 is evidence of adverse impact, and the interval (Koopman's score interval, which leaves out 1 exactly when the pooled z-test finds a difference) says how firmly. The highest is taken among groups of at least the minimum cell size, Unknown left out; a small group can be highest by chance, which the intervals show. Descriptive; the protocol's triggers judge against its reference.\n\n| attribute | group | impact ratio (CI) | vs |\n|---|---|---|---|\n");
    for x in &br.attributes {
        let Some(top) = &x.highest_selection else {
            continue;
        };
        if !sup.metric(&x.attribute, top, Metric::SelectionRate) {
            // Naming a withheld group as the highest would tell of its count.
            let _ = writeln!(
                o,
                "| {} | every group | withheld: the highest rate's group has a withheld rate | |",
                esc(&x.attribute)
            );
            continue;
        }
        for r in &x.impact_ratios {
            let hidden = !sup.metric(&x.attribute, &r.group, Metric::SelectionRate);
            let shown = if hidden {
                "withheld".to_string()
            } else {
                super::markdown::ratio_ci(&r.ratio)
            };
            let _ = writeln!(
                o,
                "| {} | {} | {shown} | {} |",
                esc(&x.attribute),
                esc(&r.group),
                esc(top)
            );
        }
    }
    o.push('\n');
}

fn prevalence(a: &Artifact, attribute: &str, group: &str) -> String {
    a.sufficient_statistics
        .iter()
        .find(|s| s.attribute == attribute)
        .and_then(|s| s.groups.iter().find(|g| g.group == group))
        .map_or("—".into(), |g| {
            let n = g.counts.n();
            if n == 0 {
                "—".into()
            } else {
                format!(
                    "{:.1}%",
                    100.0 * (g.counts.tp + g.counts.fn_) as f64 / n as f64
                )
            }
        })
}

fn row(o: &mut String, a: &Artifact, sup: &Suppression, x: &BaseRateAttribute, g: &BaseRateGroup) {
    let label = format!("{} (vs {})", esc(&g.group), esc(&x.reference_group));
    // Every number of the row is a function of the prevalence, selection rate, TPR and FPR of
    // the group and the reference (the excess missed: of the group's cases with the outcome and
    // the two TPRs), so it is shown only where shared outputs show all of those.
    let hidden = [&g.group, &x.reference_group].iter().any(|name| {
        [
            Metric::Prevalence,
            Metric::SelectionRate,
            Metric::Tpr,
            Metric::Fpr,
        ]
        .iter()
        .any(|&m| !sup.metric(&x.attribute, name, m))
    });
    if hidden {
        let _ = writeln!(
            o,
            "| {} | {label} | withheld (small cells here or in the reference) | | | | |",
            esc(&x.attribute)
        );
        return;
    }
    let excess = match &g.excess_missed {
        Estimate::Value { value, ci } => {
            format!("{value:+.1} ({:+.1} to {:+.1})", ci.low, ci.high)
        }
        Estimate::Undefined { reason } => format!("— ({})", esc(reason)),
    };
    let _ = writeln!(
        o,
        "| {} | {label} | {} / {} | {} | {} | {} | {excess} |",
        esc(&x.attribute),
        prevalence(a, &x.attribute, &g.group),
        prevalence(a, &x.attribute, &x.reference_group),
        diff_ci(&g.selection_gap),
        diff_ci(&g.follows_base_rate),
        diff_ci(&g.due_to_tool),
    );
}
