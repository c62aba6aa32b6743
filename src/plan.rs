//! Planning, before the data: what a protocol could judge at a clinic's expected size. For every
//! group and every rate a trigger judges, the cases the rate would be over in a quarter of
//! `patients` patients (the group's share and case mix taken from earlier counts), the smallest
//! gap the comparison could detect with the protocol's power (at the correction family's level),
//! the cases at which a group with no gap would pass (its interval inside the band, with that
//! power), and how many quarters must be pooled to reach them. Power plans; it decides nothing:
//! the interval decides a status (`triggers`).

use std::fmt::Write;

use crate::metrics::{self, Plan};
use crate::protocol::{Direction, Metric, Protocol, Severity, Trigger, TriggerMetric};
use crate::stats::power;
use crate::suffstats::{AttributeCounts, Confusion};

/// One group × judged rate at the planned size.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub attribute: String,
    pub group: String,
    pub trigger: String,
    pub metric: crate::protocol::Metric,
    /// The group's share of all patients in the source counts.
    pub share: f64,
    /// The cases the rate is over in one quarter at the planned size (group, reference).
    pub per_quarter: u64,
    pub reference_per_quarter: u64,
    pub reference_rate: f64,
    /// The family's significance level (alpha / family size for a remediate trigger).
    pub alpha: f64,
    /// The smallest detectable gap (proportion) on the harmful side(s): below, above.
    pub detectable_down: Option<f64>,
    pub detectable_up: Option<f64>,
    /// The cases the rate must be over for a group with no gap to pass with the target power.
    pub needed: Option<u64>,
    /// The fewest quarters (up to [`MAX_QUARTERS`]) whose pooled cases, group and reference
    /// together, would let a group with no gap pass; `None` beyond.
    pub quarters: Option<u64>,
}

/// Quarters looked at for pooling: ten years.
pub const MAX_QUARTERS: u64 = 40;

/// Counts scaled from the source's `total` patients to `patients`, cell by cell (rounded).
fn scaled(c: &Confusion, total: u64, patients: u64) -> Confusion {
    let f = |x: u64| ((x as f64) * patients as f64 / total as f64).round() as u64;
    Confusion {
        tp: f(c.tp),
        fp: f(c.fp),
        fn_: f(c.fn_),
        tn: f(c.tn),
    }
}

/// The band's edge on the harmful side as the group's rate (`below`: the lower side).
fn edge_rate(t: &Trigger, p0: f64, below: bool) -> Option<f64> {
    let (band, ratio) = match (t.judged_ratio(), t.judged_difference()) {
        (Some(r), _) => (r, true),
        (None, Some(d)) => (d, false),
        _ => return None,
    };
    let edge = if below { band.min } else { band.max }?;
    let p1 = if ratio { p0 * edge } else { p0 + edge };
    (p1 > 0.0 && p1 < 1.0).then_some(p1)
}

/// The level a comparison of `metric` on `attribute` is judged at: alpha divided by its family's
/// size when any remediate trigger judges that attribute × metric (as the run corrects it),
/// alpha otherwise.
fn family_alpha(protocol: &Protocol, fam: &Plan, attribute: &str, metric: Metric) -> f64 {
    let a = &protocol.analysis;
    let in_family = protocol
        .triggers
        .iter()
        .any(|t| t.severity == Severity::Remediate && t.applies_to(attribute, metric.name()));
    let size = fam
        .groups
        .get(attribute)
        .map_or(1, |n| n.saturating_sub(1).max(1));
    if in_family {
        a.alpha / size as f64
    } else {
        a.alpha
    }
}

/// The harmful sides of a trigger: `true` for the lower side.
fn sides(t: &Trigger) -> &'static [bool] {
    match t.direction {
        Direction::Lower => &[true],
        Direction::Higher => &[false],
        Direction::Both => &[true, false],
    }
}

/// The cases a group's rate must be over, beside a reference of `reference` cases at rate `p0`,
/// for a group with no gap to pass with the target power (the larger side's; the minimum cell
/// size at least); `None` when no size would do.
fn needed(protocol: &Protocol, t: &Trigger, p0: f64, reference: u64) -> Option<u64> {
    let a = &protocol.analysis;
    if reference < a.min_cell_size {
        return None;
    }
    let mut most = Some(a.min_cell_size);
    for &below in sides(t) {
        if let Some(p1) = edge_rate(t, p0, below) {
            let k =
                power::required_group_size(p1, p0, reference, 1.0 - a.confidence_level, a.power);
            most = most.zip(k).map(|(m, k)| m.max(k));
        }
    }
    most
}

/// The fewest quarters (up to [`MAX_QUARTERS`]) whose pooled cases, group and reference growing
/// together, reach the cases needed.
fn quarters(protocol: &Protocol, t: &Trigger, p0: f64, n1: u64, n0: u64) -> Option<u64> {
    (n1 > 0)
        .then(|| {
            (1..=MAX_QUARTERS)
                .find(|&q| needed(protocol, t, p0, q * n0).is_some_and(|k| k <= q * n1))
        })
        .flatten()
}

/// Every group × judged rate of the protocol at `patients` patients a quarter, from `source`
/// (counts of an earlier quarter or a sample: shares and case mix).
pub fn plan(protocol: &Protocol, source: &[AttributeCounts], patients: u64) -> Vec<Row> {
    let fam = Plan::of(protocol);
    let mut out = Vec::new();
    for x in source {
        let total: u64 = x.groups.iter().map(|g| g.counts.n()).sum();
        let Some(r) = x.groups.iter().find(|g| g.group == x.reference_group) else {
            continue;
        };
        if total == 0 {
            continue;
        }
        let rc = scaled(&r.counts, total, patients);
        for t in &protocol.triggers {
            let TriggerMetric::Rate(m) = t.metric else {
                continue;
            };
            if t.applies_to(&x.attribute, m.name()) {
                let alpha = family_alpha(protocol, &fam, &x.attribute, m);
                for g in x.groups.iter().filter(|g| g.group != x.reference_group) {
                    let gc = scaled(&g.counts, total, patients);
                    let share = g.counts.n() as f64 / total as f64;
                    out.push(row(protocol, t, x, m, alpha, (&gc, &rc), (&g.group, share)));
                }
            }
        }
    }
    out
}

/// One group's row: `counts` are the group's and the reference's at the planned size.
fn row(
    protocol: &Protocol,
    t: &Trigger,
    x: &AttributeCounts,
    m: Metric,
    alpha: f64,
    (gc, rc): (&Confusion, &Confusion),
    (group, share): (&str, f64),
) -> Row {
    let a = &protocol.analysis;
    let (x0, n0) = metrics::fraction(m, rc);
    let p0 = if n0 > 0 { x0 as f64 / n0 as f64 } else { 0.0 };
    let (_, n1) = metrics::fraction(m, gc);
    let d = metrics::detectable(x0, n0, n1, alpha, a.power);
    Row {
        attribute: x.attribute.clone(),
        group: group.to_string(),
        trigger: t.id.clone(),
        metric: m,
        share,
        per_quarter: n1,
        reference_per_quarter: n0,
        reference_rate: p0,
        alpha,
        detectable_down: d
            .difference_down
            .filter(|_| t.direction != Direction::Higher),
        detectable_up: d.difference_up.filter(|_| t.direction != Direction::Lower),
        needed: needed(protocol, t, p0, n0),
        quarters: quarters(protocol, t, p0, n1, n0),
    }
}

fn pts(d: Option<f64>, sign: char) -> String {
    d.map_or(String::new(), |d| format!("{sign}{:.1}", d * 100.0))
}

/// The plan as Markdown: a heading, how to read it, and one table.
pub fn markdown(protocol: &Protocol, source: &str, patients: u64, rows: &[Row]) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "# Plan: {} under protocol {} {}\n",
        protocol.tool.name, protocol.name, protocol.protocol_version
    );
    let _ = writeln!(o, "At {patients} patients a quarter, with each group's share and case mix as in {source}. For every group and every rate a trigger judges: the cases the rate is over in one quarter (all patients for the selection rate, patients with the outcome for the TPR, …), the smallest gap from the reference that the comparison would detect with {:.0}% power at the family's level (alpha {} divided by the family's size for a remediate trigger), the cases at which a group with no gap would be shown inside the band (a pass: the one-sided test at the interval's level, {:.1}% a side; never under the minimum cell size), and the fewest quarters whose pooled cases (group and reference together) would reach them. Power plans; the interval decides each status. `never`: no number of the group's cases would do beside one quarter's reference; `over 40`: ten years of quarters would not do (`run --previous` pools up to four quarters; beyond that, pool the data itself); `—`: the group is absent from the source.\n", 100.0 * protocol.analysis.power, protocol.analysis.alpha, 50.0 * (1.0 - protocol.analysis.confidence_level));
    o.push_str("| attribute | group | share | trigger | metric | cases a quarter (reference) | reference rate | detectable gap (pts) | cases needed to pass, beside one quarter's reference | quarters to pool |\n|---|---|---|---|---|---|---|---|---|---|\n");
    for r in rows {
        let detect = [pts(r.detectable_down, '−'), pts(r.detectable_up, '+')]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" / ");
        let _ = writeln!(
            o,
            "| {} | {} | {:.1}% | {} | {} | {} ({}) | {:.1}% | {} | {} | {} |",
            crate::report::markdown::esc(&r.attribute),
            crate::report::markdown::esc(&r.group),
            100.0 * r.share,
            crate::report::markdown::esc(&r.trigger),
            r.metric.name(),
            r.per_quarter,
            r.reference_per_quarter,
            100.0 * r.reference_rate,
            if detect.is_empty() {
                "none".into()
            } else {
                detect
            },
            r.needed.map_or("never".into(), |k| k.to_string()),
            match r.quarters {
                Some(q) => q.to_string(),
                None if r.per_quarter == 0 => "—".into(),
                None => format!("over {MAX_QUARTERS}"),
            },
        );
    }
    o
}
