//! The report's section on the trend: each finding whose status or size moved since the earlier
//! artifact, with the change and its interval. Withheld groups stay withheld.

use std::fmt::Write;

use super::Suppression;
use crate::artifact::trend::FindingTrend;
use crate::artifact::Artifact;
use crate::metrics::Estimate;

fn pts(v: Option<f64>) -> String {
    v.map_or("—".into(), |d| format!("{:+.1} pts", d * 100.0))
}

fn change(e: &Estimate) -> String {
    match e {
        Estimate::Value { value, ci } => format!(
            "{:+.1} pts ({:+.1} to {:+.1})",
            value * 100.0,
            ci.low * 100.0,
            ci.high * 100.0
        ),
        Estimate::Undefined { reason } => format!("— ({reason})"),
    }
}

/// The trend section of report.md, when the run was compared with an earlier artifact.
pub(super) fn section(o: &mut String, a: &Artifact, sup: &Suppression) {
    let Some(t) = &a.trend else { return };
    let p = &t.previous;
    let _ = writeln!(
        o,
        "## Since the last test ({})\n\nEach finding against the same finding of the artifact of {} (`{}`{}). The change is the difference from the reference now minus then, with a Wald interval for two independent periods; p-values are not corrected. `worse`: significantly toward the side that harms the group and now on it; `better`: significantly away from a harmful side.\n",
        p.as_of,
        p.as_of,
        p.file,
        // The earlier artifact holds every count: its hash would confirm a guess of a withheld
        // one, so shared reports leave it to artifact.json.
        if a.suppression.applied {
            String::new()
        } else {
            format!(", sha256 {}…", &p.sha256[..p.sha256.len().min(12)])
        }
    );
    if p.protocol_changed {
        let _ = writeln!(
            o,
            "**The protocol changed** since then (then version {}, sha256 {}…): compare with care.\n",
            p.protocol_version,
            &p.protocol_sha256[..p.protocol_sha256.len().min(12)]
        );
    }
    let moved: Vec<&FindingTrend> = t
        .findings
        .iter()
        .filter(|f| f.verdict != "unchanged" || f.status != f.previous_status)
        .collect();
    if moved.is_empty() {
        o.push_str("No finding changed its status or moved significantly.\n\n");
        return;
    }
    o.push_str("| finding | status then → now | difference then → now | change (CI) | p | verdict |\n|---|---|---|---|---|---|\n");
    for f in moved {
        let hidden = a
            .comparisons
            .iter()
            .find(|c| c.comparison.id == f.id)
            .is_none_or(|c| sup.comparison(&c.comparison))
            || f.withheld_then;
        let (diffs, ch, pv) = if hidden {
            (
                "withheld".to_string(),
                "withheld".to_string(),
                "—".to_string(),
            )
        } else {
            (
                format!("{} → {}", pts(f.previous_difference), pts(f.difference)),
                change(&f.change),
                f.p_value.map_or("—".into(), |p| {
                    if p < 1e-4 {
                        "< 0.0001".into()
                    } else {
                        format!("{p:.4}")
                    }
                }),
            )
        };
        let _ = writeln!(
            o,
            "| {} | {} → {} | {diffs} | {ch} | {pv} | {} |",
            f.id.replace('|', "\\|"),
            f.previous_status.name(),
            f.status.name(),
            f.verdict
        );
    }
    o.push('\n');
    if !t.fired_on_worsening.is_empty() {
        o.push_str(
            "Triggers that apply to a finding that got worse, and the actions they call for:\n\n",
        );
        for f in &t.fired_on_worsening {
            let _ = writeln!(
                o,
                "- `{}` on {}: {}",
                f.trigger,
                f.comparison,
                f.action.replace('\n', " ")
            );
        }
        o.push('\n');
    }
}
