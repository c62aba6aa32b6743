//! The report's section on the pooled quarters: how the statuses read on up to four quarters
//! pooled, the findings whose pooled status differs from this quarter's, and the findings with a
//! CUSUM alarm or a slope that leaves out no change. Rows whose pooled counts, or the earlier
//! quarters' share of them, would give a small cell away are withheld.

use std::fmt::Write;

use super::markdown::{diff_ci, esc, status_label};
use super::Suppression;
use crate::artifact::rolling::{RollingFinding, CUSUM_H, CUSUM_K};
use crate::artifact::{Artifact, Finding};
use crate::metrics::Estimate;
use crate::triggers::Status;

/// Whether a count is one shared outputs may show (0, or at least the minimum).
fn shown(k: u64, min: u64) -> bool {
    k == 0 || k >= min
}

/// Whether the pooled row can be shown: its own counts and the earlier quarters' part of them
/// (the pool less this quarter) give no count from 1 to the minimum less one.
fn showable(r: &RollingFinding, f: &Finding, sup: &Suppression, a: &Artifact) -> bool {
    if !a.suppression.applied {
        return true;
    }
    if sup.comparison(&f.comparison) || r.withheld_then {
        return false;
    }
    let min = a.suppression.min_cell_size;
    let c = &f.comparison;
    let pooled = [
        r.numerator,
        r.denominator - r.numerator,
        r.reference_numerator,
        r.reference_denominator - r.reference_numerator,
    ];
    let now = [
        c.numerator,
        c.denominator - c.numerator,
        c.reference_numerator,
        c.reference_denominator - c.reference_numerator,
    ];
    pooled
        .iter()
        .zip(now)
        .all(|(&p, n)| shown(p, min) && shown(p.saturating_sub(n), min))
}

fn slope_text(e: &Estimate) -> String {
    match e {
        Estimate::Value { .. } => format!("{} a quarter", diff_ci(e)),
        Estimate::Undefined { .. } => "—".into(),
    }
}

fn moved(r: &RollingFinding) -> bool {
    let slope_clear = match &r.slope {
        Estimate::Value { ci, .. } => ci.low > 0.0 || ci.high < 0.0,
        Estimate::Undefined { .. } => false,
    };
    r.status != r.quarterly_status || r.cusum.iter().any(|c| c.alarm) || slope_clear
}

pub(super) fn section(o: &mut String, a: &Artifact, sup: &Suppression) {
    let Some(r) = &a.rolling else { return };
    let _ = writeln!(o, "## Over {} quarters pooled\n", r.quarters.len());
    let periods: Vec<String> = r
        .quarters
        .iter()
        .map(|q| match (&q.period_start, &q.period_end) {
            (Some(s), Some(e)) => format!("{s} to {e} ({} cases)", q.cases),
            _ => format!("`{}` ({} cases)", q.file, q.cases),
        })
        .collect();
    let _ = writeln!(o, "Each finding judged again on the counts of {} pooled ({} cases in all), by the same triggers, correction families and status rules: a group too small to judge in one quarter may be judged on the pool. The slope is the change in the gap per quarter across them (weighted least squares, Wald interval); the CUSUM adds, each quarter, the gap on the harmful side less {CUSUM_K} of the band's edge in standard errors, never below 0, carried from quarter to quarter, and alarms at {CUSUM_H}. Supporting analyses: the quarterly status stands as the finding's status. Rate findings only: the score findings need every case's score, which an artifact does not keep.\n", periods.join("; "), r.cases);
    for l in &r.left_out {
        let _ = writeln!(o, "- Not pooled: `{}`: {}.", esc(&l.file), l.reason);
    }
    if !r.left_out.is_empty() {
        o.push('\n');
    }
    let tally = |pick: fn(&RollingFinding) -> Status| {
        [
            Status::Remediate,
            Status::Monitor,
            Status::InsufficientData,
            Status::Pass,
        ]
        .map(|s| r.findings.iter().filter(|f| pick(f) == s).count())
    };
    let (now, pooled) = (tally(|f| f.quarterly_status), tally(|f| f.status));
    let _ = writeln!(o, "| | remediate | monitor | too few to judge | pass |\n|---|---|---|---|---|\n| this quarter | {} | {} | {} | {} |\n| pooled | {} | {} | {} | {} |\n", now[0], now[1], now[2], now[3], pooled[0], pooled[1], pooled[2], pooled[3]);
    let rows: Vec<(&RollingFinding, &Finding)> = r
        .findings
        .iter()
        .filter(|x| moved(x))
        .filter_map(|x| Some((x, a.comparisons.iter().find(|f| f.comparison.id == x.id)?)))
        .collect();
    if rows.is_empty() {
        o.push_str("Every finding reads the same pooled as this quarter, with no CUSUM alarm and no clear slope.\n\n");
        return;
    }
    o.push_str("| finding | this quarter | pooled | pooled gap (CI) | slope (CI) | CUSUM |\n|---|---|---|---|---|---|\n");
    for (x, f) in rows {
        let cusum: Vec<String> = x
            .cusum
            .iter()
            .map(|c| {
                format!(
                    "{} {:.1}{}",
                    c.side,
                    c.value,
                    if c.alarm { " ALARM" } else { "" }
                )
            })
            .collect();
        if !showable(x, f, sup, a) {
            let _ = writeln!(
                o,
                "| {} | {} | withheld (small cells) | | | |",
                esc(&x.id),
                status_label(x.quarterly_status)
            );
            continue;
        }
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} |",
            esc(&x.id),
            status_label(x.quarterly_status),
            status_label(x.status),
            diff_ci(&x.difference),
            slope_text(&x.slope),
            cusum.join("; ")
        );
    }
    o.push('\n');
}
