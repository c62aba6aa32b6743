//! The report's section on the pooled quarters: how the statuses read on up to four quarters
//! pooled, the findings whose pooled status differs from this quarter's, and the findings with a
//! CUSUM alarm or a slope that leaves out no change. Rows whose pooled counts, or the earlier
//! quarters' share of them, would give a small cell away are withheld.

use std::fmt::Write;

use super::markdown::{diff_ci, esc, status_label};
use super::Suppression;
use crate::artifact::rolling::{shown, RollingFinding, CUSUM_H, CUSUM_K};
use crate::artifact::{Artifact, Finding};
use crate::metrics::Estimate;
use crate::triggers::Status;

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
    if r.quarters.len() < 2 {
        o.push_str(
            "## Over quarters pooled\n\nNo earlier quarter could be pooled with this one:\n\n",
        );
        for l in &r.left_out {
            let _ = writeln!(o, "- `{}`: {}.", esc(&l.file), l.reason);
        }
        o.push('\n');
        return;
    }
    let _ = writeln!(o, "## Over {} quarters pooled\n", r.quarters.len());
    let periods: Vec<String> = r
        .quarters
        .iter()
        .map(|q| match (&q.period_start, &q.period_end) {
            (Some(s), Some(e)) => format!("{s} to {e} ({} cases)", q.cases),
            _ => format!("`{}` ({} cases)", q.file, q.cases),
        })
        .collect();
    let _ = writeln!(o, "Each finding judged again on the counts of {} pooled ({} cases in all), by the same triggers, correction families and status rules: a group too small to judge in one quarter may be judged on the pool. The slope is the change in the gap per quarter across them (weighted least squares over the quarters' end dates, Wald interval, widened when the quarters scatter more than sampling explains); the CUSUM adds, each quarter, the gap on the harmful side less {CUSUM_K} of the band's edge in standard errors, never below 0, carried from quarter to quarter, and alarms at {CUSUM_H}. Supporting analyses: the quarterly status stands as the finding's status. Rate findings only: the score findings need every case's score, which an artifact does not keep.\n", periods.join("; "), r.cases);
    for l in &r.left_out {
        let _ = writeln!(o, "- Not pooled: `{}`: {}.", esc(&l.file), l.reason);
    }
    if !r.left_out.is_empty() {
        o.push('\n');
    }
    let rows: Vec<(&RollingFinding, bool)> = r
        .findings
        .iter()
        .filter_map(|x| {
            let f = a.comparisons.iter().find(|f| f.comparison.id == x.id)?;
            Some((x, showable(x, f, sup, a)))
        })
        .collect();
    tally(o, &rows);
    // Withheld rows are listed whatever they show (whether one moved would tell of its counts).
    let listed: Vec<&(&RollingFinding, bool)> =
        rows.iter().filter(|(x, ok)| !ok || moved(x)).collect();
    if listed.is_empty() {
        o.push_str("Every finding reads the same pooled as this quarter, with no CUSUM alarm and no clear slope.\n\n");
        return;
    }
    o.push_str("| finding | this quarter | pooled | pooled gap (CI) | slope (CI) | CUSUM |\n|---|---|---|---|---|---|\n");
    for (x, ok) in listed {
        table_row(o, x, *ok);
    }
    o.push('\n');
}

/// The statuses this quarter and pooled; pooled rows that are withheld counted apart.
fn tally(o: &mut String, rows: &[(&RollingFinding, bool)]) {
    let order = [
        Status::Remediate,
        Status::Monitor,
        Status::InsufficientData,
        Status::Pass,
    ];
    let now = order.map(|s| rows.iter().filter(|(x, _)| x.quarterly_status == s).count());
    let pooled = order.map(|s| rows.iter().filter(|(x, ok)| *ok && x.status == s).count());
    let withheld = rows.iter().filter(|(_, ok)| !ok).count();
    let _ = writeln!(
        o,
        "| | remediate | monitor | too few to judge | pass | withheld |\n|---|---|---|---|---|---|\n| this quarter | {} | {} | {} | {} | |\n| pooled | {} | {} | {} | {} | {withheld} |\n",
        now[0], now[1], now[2], now[3], pooled[0], pooled[1], pooled[2], pooled[3]
    );
}

fn table_row(o: &mut String, x: &RollingFinding, ok: bool) {
    if !ok {
        let _ = writeln!(
            o,
            "| {} | {} | withheld (small cells) | | | |",
            esc(&x.id),
            status_label(x.quarterly_status)
        );
        return;
    }
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
