//! What the report's plots show, decided from the artifact and its suppression: per attribute a
//! forest plot (each group against the reference, on the measure and band of the trigger that
//! judges it), per crossed attribute a grid of the differences, and per attribute the reliability
//! of the risk score, its ROC curves through the operating points and the need at equal score. `plots` draws them; nothing withheld from the tables reaches a plot.

use crate::artifact::{Artifact, TriggerInfo};
use crate::metrics::{Comparison, Estimate};
use crate::triggers::Status;

use super::Suppression;

/// How a panel's axis reads.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Scale {
    /// A ratio to the reference, on a log axis around 1.
    Ratio,
    /// A difference from the reference (points for rates), on a linear axis around 0.
    Difference,
}

/// One group's row of a panel.
#[derive(Clone, Debug)]
pub struct Row {
    pub label: String,
    /// Estimate and interval, when shown.
    pub value: Option<(f64, f64, f64)>,
    /// The finding's status; `None` for a pool (descriptive).
    pub status: Option<Status>,
    /// What stands in the row without a value: `withheld`, `not compared`…
    pub note: &'static str,
}

/// One metric of a forest plot.
#[derive(Clone, Debug)]
pub struct Panel {
    pub title: String,
    pub scale: Scale,
    pub band: (Option<f64>, Option<f64>),
    pub rows: Vec<Row>,
}

/// An attribute's forest plot: one panel per judged metric, the same groups in each (the
/// decision's rates in one plot, the risk score's measures in another).
#[derive(Clone, Debug)]
pub struct Forest {
    pub attribute: String,
    /// `decision` or `score`.
    pub part: &'static str,
    pub reference: String,
    pub panels: Vec<Panel>,
}

/// The trigger that judges a metric for an attribute, if any.
pub(crate) fn trigger_for<'a>(
    a: &'a Artifact,
    metric: &str,
    attribute: &str,
) -> Option<&'a TriggerInfo> {
    a.triggers.iter().find(|t| {
        t.metric == metric
            && (t.attributes.is_empty() || t.attributes.iter().any(|x| x == attribute))
    })
}

/// A panel's scale and band from its trigger: the ratio where the trigger bands the ratio.
pub(crate) fn scale_of(t: &TriggerInfo) -> (Scale, (Option<f64>, Option<f64>)) {
    match (&t.ratio, &t.difference) {
        (Some(r), _) => (Scale::Ratio, (r.min, r.max)),
        (None, Some(d)) => (Scale::Difference, (d.min, d.max)),
        (None, None) => (Scale::Ratio, (None, None)),
    }
}

pub(crate) fn triple(e: &Estimate, scale: Scale, points: bool) -> Option<(f64, f64, f64)> {
    let Estimate::Value { value, ci } = e else {
        return None;
    };
    let k = if points && scale == Scale::Difference {
        100.0
    } else {
        1.0
    };
    Some((value * k, ci.low * k, ci.high * k))
}

fn rate_row(c: &Comparison, scale: Scale, status: Option<Status>) -> Row {
    let e = if scale == Scale::Ratio {
        &c.ratio
    } else {
        &c.difference
    };
    Row {
        label: c.group.clone(),
        value: triple(e, scale, true),
        status,
        note: "no estimate",
    }
}

/// The rows every panel of an attribute's plot has, in order: the groups shown on their own
/// (not the reference), then the pools.
fn row_labels(a: &Artifact, sup: &Suppression, attribute: &str) -> Vec<String> {
    let mut out: Vec<String> = a
        .attributes
        .iter()
        .filter(|x| x.attribute == attribute)
        .flat_map(|x| &x.groups)
        .filter(|g| !g.is_reference)
        .map(|g| g.group.clone())
        .collect();
    out.extend(sup.pools(a, attribute).iter().map(|p| p.group.clone()));
    out
}

/// Rows in the order of `labels`, a missing one marked `note`.
fn align(labels: &[String], rows: Vec<Row>, note: &'static str) -> Vec<Row> {
    labels
        .iter()
        .map(|l| {
            rows.iter().find(|r| r.label == *l).cloned().unwrap_or(Row {
                label: l.clone(),
                value: None,
                status: None,
                note,
            })
        })
        .collect()
}

/// The forest plots of every attribute with a judged metric.
pub fn forests(a: &Artifact, sup: &Suppression) -> Vec<Forest> {
    let mut out = Vec::new();
    for attr in &a.attributes {
        for (part, panels) in [
            ("decision", rate_panels(a, sup, &attr.attribute)),
            ("score", score_panels(a, sup, &attr.attribute)),
        ] {
            if !panels.is_empty() {
                out.push(Forest {
                    attribute: attr.attribute.clone(),
                    part,
                    reference: attr.reference_group.clone(),
                    panels,
                });
            }
        }
    }
    out
}

fn rate_panels(a: &Artifact, sup: &Suppression, attribute: &str) -> Vec<Panel> {
    let mut metrics = Vec::new();
    for f in a
        .comparisons
        .iter()
        .filter(|f| f.comparison.attribute == attribute)
    {
        if !metrics.contains(&f.comparison.metric) {
            metrics.push(f.comparison.metric);
        }
    }
    metrics
        .into_iter()
        .filter_map(|m| {
            let t = trigger_for(a, m.name(), attribute)?;
            let (scale, band) = scale_of(t);
            let mut rows: Vec<Row> = a
                .comparisons
                .iter()
                .filter(|f| f.comparison.attribute == attribute && f.comparison.metric == m)
                .map(|f| {
                    let mut r = rate_row(&f.comparison, scale, Some(f.assessment.status));
                    if sup.comparison(&f.comparison) {
                        r.value = None;
                        r.note = "withheld";
                    }
                    r
                })
                .collect();
            for p in sup.pools(a, attribute) {
                if let Some(c) = p.comparisons.iter().find(|c| c.metric == m) {
                    let mut r = rate_row(c, scale, None);
                    if sup.comparison(c) {
                        r.value = None;
                        r.note = "withheld";
                    }
                    rows.push(r);
                }
            }
            Some(Panel {
                title: m.label().to_string(),
                scale,
                band,
                rows: align(&row_labels(a, sup, attribute), rows, "not compared"),
            })
        })
        .collect()
}

fn score_panels(a: &Artifact, sup: &Suppression, attribute: &str) -> Vec<Panel> {
    let Some(sc) = &a.scores else { return vec![] };
    let mut metrics = Vec::new();
    for f in sc
        .comparisons
        .iter()
        .filter(|f| f.comparison.attribute == attribute)
    {
        if !metrics.contains(&f.comparison.metric) {
            metrics.push(f.comparison.metric);
        }
    }
    metrics
        .into_iter()
        .filter_map(|m| {
            let t = trigger_for(a, m.name(), attribute)?;
            let (scale, band) = scale_of(t);
            let rows = sc
                .comparisons
                .iter()
                .filter(|f| f.comparison.attribute == attribute && f.comparison.metric == m)
                .map(|f| {
                    let c = &f.comparison;
                    let hidden = sup.score_group(attribute, &c.group)
                        || sup.score_group(attribute, &c.reference_group);
                    let e = if scale == Scale::Ratio {
                        &c.ratio
                    } else {
                        &c.difference
                    };
                    Row {
                        label: c.group.clone(),
                        value: if hidden {
                            None
                        } else {
                            triple(e, scale, false)
                        },
                        status: Some(f.assessment.status),
                        note: if hidden { "withheld" } else { "no estimate" },
                    }
                })
                .collect();
            Some(Panel {
                title: m.label().to_string(),
                scale,
                band,
                rows: align(
                    &row_labels(a, sup, attribute),
                    rows,
                    "not computed for a pool",
                ),
            })
        })
        .collect()
}

/// A crossed attribute's differences on one metric: rows the first attribute's values, columns
/// the second's.
#[derive(Clone, Debug)]
pub struct Heat {
    pub attribute: String,
    pub metric: String,
    pub reference: String,
    pub rows: Vec<String>,
    pub cols: Vec<String>,
    /// Per cell: the text shown and the status (`None`: no finding, the reference, or pooled).
    pub cells: Vec<Vec<(String, Option<Status>)>>,
}

/// The heat maps of the crossed attributes, one per compared metric.
pub fn heats(a: &Artifact, sup: &Suppression) -> Vec<Heat> {
    let mut out = Vec::new();
    for attr in a.attributes.iter().filter(|x| x.crossed.len() == 2) {
        let split = |g: &str| {
            g.split_once(" × ")
                .map(|(x, y)| (x.to_string(), y.to_string()))
        };
        let mut rows: Vec<String> = Vec::new();
        let mut cols: Vec<String> = Vec::new();
        for g in &attr.groups {
            if let Some((x, y)) = split(&g.group) {
                if !rows.contains(&x) {
                    rows.push(x);
                }
                if !cols.contains(&y) {
                    cols.push(y);
                }
            }
        }
        let mut metrics = Vec::new();
        for f in a
            .comparisons
            .iter()
            .filter(|f| f.comparison.attribute == attr.attribute)
        {
            if !metrics.contains(&f.comparison.metric) {
                metrics.push(f.comparison.metric);
            }
        }
        for m in metrics {
            let cell = |r: &str, c: &str| -> (String, Option<Status>) {
                let g = format!("{r} × {c}");
                if g == attr.reference_group {
                    return ("reference".into(), None);
                }
                let f = a.comparisons.iter().find(|f| {
                    f.comparison.attribute == attr.attribute
                        && f.comparison.group == g
                        && f.comparison.metric == m
                });
                match f {
                    Some(f) if sup.comparison(&f.comparison) => {
                        ("withheld".into(), Some(f.assessment.status))
                    }
                    Some(f) => (
                        match &f.comparison.difference {
                            Estimate::Value { value, .. } => format!("{:+.1}", value * 100.0),
                            Estimate::Undefined { .. } => "—".into(),
                        },
                        Some(f.assessment.status),
                    ),
                    None => ("—".into(), None),
                }
            };
            out.push(Heat {
                attribute: attr.attribute.clone(),
                metric: m.label().to_string(),
                reference: attr.reference_group.clone(),
                cells: rows
                    .iter()
                    .map(|r| cols.iter().map(|c| cell(r, c)).collect())
                    .collect(),
                rows: rows.clone(),
                cols: cols.clone(),
            });
        }
    }
    out
}

/// One attribute's reliability curves: per shown group, the bins' mean score and observed rate.
#[derive(Clone, Debug)]
pub struct Reliability {
    pub attribute: String,
    pub curves: Vec<(String, Vec<(f64, f64)>)>,
}

/// The reliability curves of every attribute of the score section (probability scores only),
/// without withheld groups or bins with a small count.
pub fn reliability(a: &Artifact, sup: &Suppression) -> Vec<Reliability> {
    let Some(sc) = &a.scores else { return vec![] };
    if sc.scale != "probability" {
        return vec![];
    }
    let min = a.suppression.min_cell_size;
    let small = |k: u64| a.suppression.applied && k > 0 && k < min;
    sc.attributes
        .iter()
        .filter(|x| {
            a.attributes
                .iter()
                .any(|y| y.attribute == x.attribute && y.crossed.is_empty())
        })
        .map(|x| Reliability {
            attribute: x.attribute.clone(),
            curves: x
                .groups
                .iter()
                .filter(|g| !sup.score_group(&x.attribute, &g.group))
                .filter_map(|g| {
                    let bins = &g.calibration.as_ref()?.bins;
                    let pts = bins
                        .iter()
                        .filter(|b| b.n > 0 && !small(b.events) && !small(b.n - b.events))
                        .filter_map(|b| Some((b.mean_score?, b.observed_rate.value()?)))
                        .collect::<Vec<_>>();
                    (!pts.is_empty()).then(|| (g.group.clone(), pts))
                })
                .collect(),
        })
        .collect()
}

/// One attribute's ROC curves as far as the protocol's operating points trace them: per shown
/// group, its (false-positive rate, true-positive rate) at each cut-off whose row is shown, joined
/// from (0, 0) to (1, 1), with its AUROC when shown. An empirical curve through every score
/// would give away its first steps (counts of one or two patients), so the curve goes only
/// through the rows the operating-point tables show.
#[derive(Clone, Debug)]
pub struct Roc {
    pub attribute: String,
    /// The operating points, in words (`score ≥ 0.3`, `top 10%`).
    pub cutoffs: Vec<String>,
    pub curves: Vec<RocCurve>,
}

/// A group, its AUROC (when shown) and its points from (0, 0) to (1, 1).
pub type RocCurve = (String, Option<f64>, Vec<(f64, f64)>);

/// The ROC curves through the operating points of every plain attribute of the score section.
pub fn roc(a: &Artifact, sup: &Suppression) -> Vec<Roc> {
    let Some(sc) = &a.scores else { return vec![] };
    if sc.operating_points.is_empty() {
        return vec![];
    }
    let cutoffs = sc
        .operating_points
        .iter()
        .map(|op| match op.rule.as_str() {
            "threshold" => format!("score ≥ {}", op.value),
            _ => format!("top {}%", op.value),
        })
        .collect();
    sc.attributes
        .iter()
        .filter(|x| {
            a.attributes
                .iter()
                .any(|y| y.attribute == x.attribute && y.crossed.is_empty())
        })
        .filter_map(|x| {
            let curves: Vec<RocCurve> = x
                .groups
                .iter()
                .filter_map(|g| {
                    let mut pts = roc_points(a, sup, &x.attribute, &g.group);
                    if pts.is_empty() {
                        return None;
                    }
                    pts.push((0.0, 0.0));
                    pts.push((1.0, 1.0));
                    pts.sort_by(|p, q| p.0.total_cmp(&q.0).then(p.1.total_cmp(&q.1)));
                    let auc = (!sup.score_group(&x.attribute, &g.group))
                        .then(|| g.auroc.as_ref().and_then(Estimate::value))
                        .flatten();
                    Some((g.group.clone(), auc, pts))
                })
                .collect();
            (!curves.is_empty()).then(|| Roc {
                attribute: x.attribute.clone(),
                cutoffs: Vec::clone(&cutoffs),
                curves,
            })
        })
        .collect()
}

/// A group's (FPR, TPR) at each operating point whose row is shown.
fn roc_points(a: &Artifact, sup: &Suppression, attribute: &str, group: &str) -> Vec<(f64, f64)> {
    let Some(sc) = &a.scores else { return vec![] };
    sc.operating_points
        .iter()
        .enumerate()
        .filter(|(i, _)| !sup.operating_group(*i, attribute, group))
        .filter_map(|(_, op)| {
            let g = op
                .attributes
                .iter()
                .find(|x| x.attribute == attribute)?
                .groups
                .iter()
                .find(|g| g.group == group)?;
            let [tp, fp, fn_, tn] = g.counts.cells();
            (tp + fn_ > 0 && fp + tn > 0)
                .then(|| (fp as f64 / (fp + tn) as f64, tp as f64 / (tp + fn_) as f64))
        })
        .collect()
}

/// A point of a need curve: bin, mean, interval low, interval high.
pub type NeedPoint = (f64, f64, f64, f64);

/// One attribute's mean need by equal-score bin, per shown group: at equal scores, a group with
/// more need is one the score under-serves.
#[derive(Clone, Debug)]
pub struct NeedPlot {
    pub attribute: String,
    pub bins: usize,
    /// Group and its points (bin, mean, interval low, interval high).
    pub curves: Vec<(String, Vec<NeedPoint>)>,
}

/// The need-at-equal-score plots of every plain attribute with a measure of need, without withheld
/// groups.
pub fn need(a: &Artifact, sup: &Suppression) -> Vec<NeedPlot> {
    let Some(sc) = &a.scores else { return vec![] };
    sc.attributes
        .iter()
        .filter(|x| {
            a.attributes
                .iter()
                .any(|y| y.attribute == x.attribute && y.crossed.is_empty())
        })
        .filter_map(|x| {
            let curves: Vec<(String, Vec<NeedPoint>)> = x
                .groups
                .iter()
                .filter(|g| !sup.score_group(&x.attribute, &g.group))
                .filter_map(|g| {
                    let pts: Vec<NeedPoint> = g
                        .need
                        .as_ref()?
                        .bins
                        .iter()
                        .filter_map(|b| match &b.mean {
                            Estimate::Value { value, ci } => {
                                Some((b.bin as f64, *value, ci.low, ci.high))
                            }
                            Estimate::Undefined { .. } => None,
                        })
                        .collect();
                    (!pts.is_empty()).then(|| (g.group.clone(), pts))
                })
                .collect();
            let bins = curves
                .iter()
                .flat_map(|(_, p)| p.iter().map(|q| q.0 as usize))
                .max()
                .unwrap_or(1);
            (!curves.is_empty()).then(|| NeedPlot {
                attribute: x.attribute.clone(),
                bins,
                curves,
            })
        })
        .collect()
}
