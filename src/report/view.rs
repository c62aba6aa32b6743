//! The first screen of a report, decided once: what the tool is, the result in one sentence,
//! the findings to act on grouped by the group they affect, the status of every group on every
//! metric, and which classes of Section 1557 were tested. `report.md` and `report.html` both
//! render this view, so the choice of what to show first is made here only.

use std::collections::BTreeMap;

use super::markdown::{
    diff_ci, harm_text, metric_label, num_ci, rate_of, ratio_ci, score_metric_label, withheld_text,
};
use super::{Beside, Suppression};
use crate::artifact::Artifact;
use crate::metrics::scores::ScoreComparisonMetric;
use crate::triggers::{Assessment, Status};

/// The report's first screen.
pub struct View {
    pub title: String,
    /// Small cells are shown: not for sharing.
    pub internal: bool,
    /// Label and value of the facts a reader needs first (tool, period, sign-off, next test).
    pub facts: Vec<(String, String)>,
    pub signed_off: bool,
    pub overall: Status,
    /// The result in plain words.
    pub headline: String,
    /// Findings to remediate or monitor, grouped by the group they affect; groups with a finding
    /// to remediate first.
    pub act: Vec<Affected>,
    pub grid: Vec<GridTable>,
    pub coverage: Vec<CoverageRow>,
    /// Findings by status, in the report's order.
    pub counts: Vec<(Status, usize)>,
    /// The rate findings too few to judge, with the cases it would take.
    pub too_few: Vec<TooFew>,
}

/// A rate finding with too few cases to judge, and what judging it would take.
pub struct TooFew {
    pub attribute: String,
    pub group: String,
    pub metric: String,
    /// The cases the rate is over (patients with the outcome for TPR…), when shown.
    pub has: Option<u64>,
    /// The cases that would give the target power at the band's edge, at the corrected level.
    pub needs: Option<u64>,
}

impl TooFew {
    /// Quarters like this one to pool for the cases needed (the reference kept at this quarter's
    /// size, so an upper bound); none where the cases now are withheld.
    pub fn quarters(&self) -> Option<u64> {
        match (self.has, self.needs) {
            (Some(h), Some(n)) if h > 0 => Some(n.div_ceil(h).max(1)),
            _ => None,
        }
    }
}

/// One affected group and its findings to act on.
pub struct Affected {
    pub attribute: String,
    pub group: String,
    pub items: Vec<ActItem>,
}

/// One finding to act on, in words and numbers.
pub struct ActItem {
    pub id: String,
    pub status: Status,
    pub metric: String,
    /// Whom it disadvantages and how many patients, with the interval; `None` inside the band
    /// or on the side that does not harm.
    pub harm: Option<String>,
    /// The group's and the reference's values, or what is shown instead when withheld.
    pub group_value: String,
    pub reference: String,
    pub reference_value: String,
    pub ratio: String,
    pub difference: String,
    pub actions: Vec<String>,
    pub owner: String,
    pub due: String,
    /// The change since the earlier artifact, in words.
    pub trend: Option<String>,
    /// Patients affected (point estimate), for ordering.
    pub patients: f64,
}

/// The status of every group of one attribute on every compared metric.
pub struct GridTable {
    pub attribute: String,
    pub reference: String,
    pub metrics: Vec<String>,
    /// The attribute's pooled groups, by label.
    pub pools: Vec<String>,
    /// Group, and per metric its status (`None`: not compared).
    pub rows: Vec<(String, Vec<Option<Status>>)>,
}

/// One class of Section 1557: tested or not, and by what.
pub struct CoverageRow {
    pub class: String,
    pub status: String,
    pub detail: String,
}

/// A status as a symbol and a word, readable without colour.
pub fn status_mark(s: Status) -> &'static str {
    match s {
        Status::Remediate => "✖ remediate",
        Status::Monitor => "▲ monitor",
        Status::InsufficientData => "? too few to judge",
        Status::Pass => "✔ pass",
        Status::NotAssessed => "– not assessed",
    }
}

/// The report's first screen from an artifact and what lies beside it.
pub fn build(a: &Artifact, beside: &Beside) -> View {
    let sup = Suppression::from_artifact(a);
    let act = affected(a, beside, &sup);
    let counts: Vec<(Status, usize)> = super::csv_out::STATUS_ORDER
        .iter()
        .map(|&s| (s, count(a, s)))
        .collect();
    View {
        title: format!("Bias test: {} {}", a.tool.name, a.tool.version),
        internal: !a.suppression.applied,
        facts: facts(a, beside),
        signed_off: beside.signoff.is_some(),
        overall: a.summary.overall,
        headline: headline(a, &act),
        grid: grid(a, &sup),
        coverage: coverage(a),
        counts,
        too_few: too_few(a, &sup),
        act,
    }
}

fn count(a: &Artifact, s: Status) -> usize {
    match s {
        Status::Remediate => a.summary.remediate,
        Status::Monitor => a.summary.monitor,
        Status::InsufficientData => a.summary.insufficient_data,
        Status::Pass => a.summary.pass,
        Status::NotAssessed => a.summary.not_assessed,
    }
}

fn facts(a: &Artifact, beside: &Beside) -> Vec<(String, String)> {
    let period = match (&a.data.period_start, &a.data.period_end) {
        (Some(s), Some(e)) => format!("{s} to {e}"),
        _ => "not stated".into(),
    };
    let signoff = match &beside.signoff {
        Some(s) => format!(
            "{} by {} ({}) on {}",
            super::markdown::label(&s.decision),
            s.reviewer,
            s.role,
            s.date
        ),
        None => "not signed off".into(),
    };
    let o = &a.record.oversight;
    vec![
        (
            "Tool".into(),
            format!("{} {} by {}", a.tool.name, a.tool.version, a.tool.vendor),
        ),
        ("Used for".into(), a.tool.intended_use.clone()),
        (
            "Period".into(),
            format!("{period} ({} patients)", a.data.cases),
        ),
        ("Overall".into(), overall(a)),
        ("Sign-off".into(), signoff),
        (
            "Next test due".into(),
            o.next_test_due
                .clone()
                .unwrap_or_else(|| "not recorded".into()),
        ),
        (
            "Owner".into(),
            o.owner.clone().unwrap_or_else(|| "not recorded".into()),
        ),
    ]
}

/// The tool's overall performance in words, from the counts of every case (summed over the first
/// attribute's groups, which hold every case).
pub fn overall(a: &Artifact) -> String {
    let Some(x) = a.sufficient_statistics.first() else {
        return "no cases".into();
    };
    let mut t = [0u64; 4];
    for g in &x.groups {
        for (s, c) in t.iter_mut().zip(g.counts.cells()) {
            *s += c;
        }
    }
    let [tp, fp, fn_, tn] = t;
    let pct = |num: u64, den: u64| {
        if den == 0 {
            "—".to_string()
        } else {
            format!("{:.1}%", 100.0 * num as f64 / den as f64)
        }
    };
    format!(
        "selects {} of patients; of those with the outcome ({} of patients), selects {} (TPR); of those without, {} (FPR); a selection is right {} of the time (PPV)",
        pct(tp + fp, tp + fp + fn_ + tn),
        pct(tp + fn_, tp + fp + fn_ + tn),
        pct(tp, tp + fn_),
        pct(fp, fp + tn),
        pct(tp, tp + fp)
    )
}

fn headline(a: &Artifact, act: &[Affected]) -> String {
    let (r, m) = (a.summary.remediate, a.summary.monitor);
    if act.is_empty() {
        return format!(
            "No finding calls for action: {} passed (the whole interval inside the tolerance band) and {} had too few patients to judge.",
            a.summary.pass, a.summary.insufficient_data
        );
    }
    let groups: Vec<&str> = act.iter().map(|g| g.group.as_str()).collect();
    let shown = groups.len().min(3);
    let more = if groups.len() > shown {
        format!(" and {} more", groups.len() - shown)
    } else {
        String::new()
    };
    let mut s = format!(
        "{r} finding{} call{} for remediation and {m} for monitoring, affecting {}{more}.",
        if r == 1 { "" } else { "s" },
        if r == 1 { "s" } else { "" },
        groups[..shown].join("; ")
    );
    // The largest harm among the findings to remediate (else among all to act on).
    let items = || {
        act.iter()
            .flat_map(|g| &g.items)
            .filter(|i| i.harm.is_some())
    };
    let top = items()
        .filter(|i| i.status == Status::Remediate)
        .max_by(|x, y| x.patients.total_cmp(&y.patients))
        .or_else(|| items().max_by(|x, y| x.patients.total_cmp(&y.patients)));
    if let Some(h) = top.and_then(|i| i.harm.as_ref()) {
        s.push_str(&format!(" The largest: {h}."));
    }
    s
}

/// The actions, owner and due date the actions log (else the record) gives a finding.
fn action_fields(a: &Artifact, beside: &Beside, id: &str) -> (Vec<String>, String, String) {
    let mut actions: Vec<String> = a
        .triggers_fired
        .iter()
        .chain(a.trend.iter().flat_map(|t| &t.fired_on_worsening))
        .filter(|f| f.comparison == id)
        .map(|f| f.action.clone())
        .filter(|x| !x.is_empty())
        .collect();
    actions.dedup();
    let logged = beside
        .actions
        .as_ref()
        .and_then(|l| l.actions.iter().rev().find(|x| x.finding == id));
    match logged {
        Some(x) => {
            actions.push(format!(
                "Taken: {} ({})",
                x.taken,
                super::markdown::label(&x.status)
            ));
            (actions, x.owner.clone(), x.due.clone())
        }
        None => (
            actions,
            a.record
                .oversight
                .owner
                .clone()
                .unwrap_or_else(|| "not assigned".into()),
            "not set".into(),
        ),
    }
}

fn trend_text(a: &Artifact, id: &str) -> Option<String> {
    let t = a.trend.as_ref()?;
    let f = t.findings.iter().find(|f| f.id == id)?;
    let word = match f.verdict.as_str() {
        "worse" => "worse",
        "better" => "better",
        "changed" => "changed",
        _ => "no significant change",
    };
    Some(format!(
        "{word} since {} (then {})",
        t.previous.as_of,
        status_mark(f.previous_status)
    ))
}

fn acts(s: &Assessment, worse: bool) -> bool {
    matches!(s.status, Status::Remediate | Status::Monitor) || worse
}

/// The findings to act on, grouped by affected group.
fn affected(a: &Artifact, beside: &Beside, sup: &Suppression) -> Vec<Affected> {
    let worse: Vec<&str> = a
        .trend
        .iter()
        .flat_map(|t| &t.fired_on_worsening)
        .map(|f| f.comparison.as_str())
        .collect();
    let mut groups: BTreeMap<(String, String), Vec<ActItem>> = BTreeMap::new();
    for f in &a.comparisons {
        let c = &f.comparison;
        if !acts(&f.assessment, worse.contains(&c.id.as_str())) {
            continue;
        }
        let hidden = sup.comparison(c);
        let (actions, owner, due) = action_fields(a, beside, &c.id);
        let withheld = || withheld_text(a, sup, c);
        let item = ActItem {
            id: c.id.clone(),
            status: f.assessment.status,
            metric: metric_label(&c.metric).to_string(),
            harm: f
                .assessment
                .harm
                .as_ref()
                .filter(|_| !hidden)
                .map(harm_text),
            group_value: if hidden {
                withheld()
            } else {
                rate_of(c.numerator, c.denominator)
            },
            reference: c.reference_group.clone(),
            reference_value: if hidden {
                "—".into()
            } else {
                rate_of(c.reference_numerator, c.reference_denominator)
            },
            ratio: if hidden {
                "—".into()
            } else {
                ratio_ci(&c.ratio)
            },
            difference: if hidden {
                "—".into()
            } else {
                diff_ci(&c.difference)
            },
            actions,
            owner,
            due,
            trend: trend_text(a, &c.id),
            patients: patients(f.assessment.harm.as_ref()),
        };
        groups
            .entry((c.attribute.clone(), c.group.clone()))
            .or_default()
            .push(item);
    }
    for f in a.scores.iter().flat_map(|s| &s.comparisons) {
        let c = &f.comparison;
        if !acts(&f.assessment, worse.contains(&c.id.as_str())) {
            continue;
        }
        let hidden = sup.score_group(&c.attribute, &c.group)
            || sup.score_group(&c.attribute, &c.reference_group);
        let digits = if c.metric == ScoreComparisonMetric::Auroc {
            3
        } else {
            2
        };
        let v = |x: Option<f64>| x.map_or("—".to_string(), |x| format!("{x:.digits$}"));
        let (actions, owner, due) = action_fields(a, beside, &c.id);
        let item = ActItem {
            id: c.id.clone(),
            status: f.assessment.status,
            metric: score_metric_label(&c.metric).to_string(),
            harm: f
                .assessment
                .harm
                .as_ref()
                .filter(|_| !hidden)
                .map(harm_text),
            group_value: if hidden {
                "withheld: a count under the minimum".into()
            } else {
                v(c.value)
            },
            reference: c.reference_group.clone(),
            reference_value: if hidden {
                "—".into()
            } else {
                v(c.reference_value)
            },
            ratio: if hidden || c.metric == ScoreComparisonMetric::Auroc {
                "—".into()
            } else {
                ratio_ci(&c.ratio)
            },
            difference: if hidden {
                "—".into()
            } else {
                num_ci(&c.difference, digits)
            },
            actions,
            owner,
            due,
            trend: trend_text(a, &c.id),
            patients: patients(f.assessment.harm.as_ref()),
        };
        groups
            .entry((c.attribute.clone(), c.group.clone()))
            .or_default()
            .push(item);
    }
    order(a, groups)
}

fn patients(h: Option<&crate::harm::Harm>) -> f64 {
    h.and_then(|h| h.patients.value()).unwrap_or(0.0)
}

/// Groups with a finding to remediate first, then by the most patients affected; within a group
/// remediate before monitor; ties in the artifact's order of attributes.
fn order(a: &Artifact, groups: BTreeMap<(String, String), Vec<ActItem>>) -> Vec<Affected> {
    let rank = |attr: &str| {
        a.attributes
            .iter()
            .position(|x| x.attribute == attr)
            .unwrap_or(usize::MAX)
    };
    let mut out: Vec<Affected> = groups
        .into_iter()
        .map(|((attribute, group), mut items)| {
            items.sort_by_key(|i| i.status != Status::Remediate);
            Affected {
                attribute,
                group,
                items,
            }
        })
        .collect();
    let key = |g: &Affected| {
        let remediate = g.items.iter().any(|i| i.status == Status::Remediate);
        let most = g.items.iter().map(|i| i.patients).fold(0.0, f64::max);
        (!remediate, -most, rank(&g.attribute))
    };
    out.sort_by(|x, y| {
        let (kx, ky) = (key(x), key(y));
        kx.0.cmp(&ky.0)
            .then(kx.1.total_cmp(&ky.1))
            .then(kx.2.cmp(&ky.2))
    });
    out
}

/// Every attribute's groups × compared metrics (rates, then score metrics), by status.
fn grid(a: &Artifact, sup: &Suppression) -> Vec<GridTable> {
    let mut out = Vec::new();
    for attr in &a.attributes {
        let mut metrics: Vec<String> = Vec::new();
        let mut status: BTreeMap<(String, String), Status> = BTreeMap::new();
        for f in a
            .comparisons
            .iter()
            .filter(|f| f.comparison.attribute == attr.attribute)
        {
            let m = metric_label(&f.comparison.metric).to_string();
            if !metrics.contains(&m) {
                metrics.push(m.clone());
            }
            status.insert((f.comparison.group.clone(), m), f.assessment.status);
        }
        for f in a
            .scores
            .iter()
            .flat_map(|s| &s.comparisons)
            .filter(|f| f.comparison.attribute == attr.attribute)
        {
            let m = score_metric_label(&f.comparison.metric).to_string();
            if !metrics.contains(&m) {
                metrics.push(m.clone());
            }
            status.insert((f.comparison.group.clone(), m), f.assessment.status);
        }
        let rows = attr
            .groups
            .iter()
            .filter(|g| !g.is_reference)
            .map(|g| {
                let cells = metrics
                    .iter()
                    .map(|m| status.get(&(g.group.clone(), m.clone())).copied())
                    .collect();
                (g.group.clone(), cells)
            })
            .collect();
        out.push(GridTable {
            attribute: attr.attribute.clone(),
            reference: attr.reference_group.clone(),
            metrics,
            pools: sup
                .pools(a, &attr.attribute)
                .iter()
                .map(|p| p.group.clone())
                .collect(),
            rows,
        });
    }
    out
}

fn coverage(a: &Artifact) -> Vec<CoverageRow> {
    a.record
        .coverage
        .iter()
        .map(|c| CoverageRow {
            class: super::markdown::label(&c.class),
            status: c.status.replace('_', " "),
            detail: if c.attributes.is_empty() {
                c.reason.clone().unwrap_or_default()
            } else {
                c.attributes.join(", ")
            },
        })
        .collect()
}

/// The band's edge on the side that harms the group (the trigger's direction; for `both`, the
/// side the estimate lies on, else the side the band bounds), as the group's rate it stands for.
fn edge_rate(t: &crate::artifact::TriggerInfo, p0: f64, below: bool) -> Option<f64> {
    let (band, scale): (&crate::artifact::BandInfo, fn(f64, f64) -> f64) =
        match (&t.ratio, &t.difference) {
            (Some(r), _) => (r, |p0, e| p0 * e),
            (None, Some(d)) => (d, |p0, e| p0 + e),
            _ => return None,
        };
    let lower = match t.direction.as_str() {
        "lower" => true,
        "higher" => false,
        _ => below,
    };
    let edge = if lower {
        band.min.or(band.max)
    } else {
        band.max.or(band.min)
    };
    edge.map(|e| scale(p0, e)).filter(|p| *p > 0.0 && *p < 1.0)
}

/// The findings too few to judge, with the cases that would judge them: the group size at which
/// a group with no gap would be shown inside the band (its interval inside, a pass) with the
/// protocol's power, that is the power of the one-sided test at the interval's level (2.5% a side
/// for 95%) at the band's edge on the harmful side, by the trigger that decided the finding.
fn too_few(a: &Artifact, sup: &Suppression) -> Vec<TooFew> {
    a.comparisons
        .iter()
        .filter(|f| f.assessment.status == Status::InsufficientData)
        .map(|f| {
            let c = &f.comparison;
            let p0 = if c.reference_denominator > 0 {
                c.reference_numerator as f64 / c.reference_denominator as f64
            } else {
                0.0
            };
            let hidden = sup.comparison(c);
            let trigger = f
                .assessment
                .verdicts
                .iter()
                .find(|v| v.status == f.assessment.status)
                .and_then(|v| a.triggers.iter().find(|t| t.id == v.trigger));
            let needs_at = |below: bool| {
                trigger
                    .and_then(|t| edge_rate(t, p0, below))
                    .and_then(|p1| {
                        crate::stats::power::required_group_size(
                            p1,
                            p0,
                            c.reference_denominator,
                            1.0 - a.run.confidence_level,
                            a.run.power_target,
                        )
                    })
            };
            // A withheld comparison must not tell which side of the reference its group lies
            // on, nor anything of a withheld reference: the larger of the two sides' needs, and
            // none when the reference's own numbers are withheld.
            let needs = if !hidden {
                needs_at(c.difference.value().is_some_and(|d| d < 0.0))
            } else if sup.metric(&c.attribute, &c.reference_group, c.metric) {
                needs_at(true).max(needs_at(false))
            } else {
                None
            };
            TooFew {
                attribute: c.attribute.clone(),
                group: c.group.clone(),
                metric: metric_label(&c.metric).to_string(),
                has: (!hidden).then_some(c.denominator),
                needs,
            }
        })
        .collect()
}
