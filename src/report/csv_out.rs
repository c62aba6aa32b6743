//! `metrics.csv`: one row per (attribute, group, metric), for spreadsheets and the board roll-up.

use std::collections::BTreeMap;

use crate::artifact::{Artifact, Finding};
use crate::metrics::Estimate;
use crate::triggers::Status;

/// The columns of `metrics.csv`, in order.
pub const COLUMNS: [&str; 19] = [
    "attribute",
    "group",
    "metric",
    "numerator",
    "denominator",
    "value",
    "ci_low",
    "ci_high",
    "reference_group",
    "ratio",
    "ratio_ci_low",
    "ratio_ci_high",
    "difference",
    "difference_ci_low",
    "difference_ci_high",
    "test",
    "p_value",
    "p_adjusted",
    "status",
];

fn num(v: Option<f64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

fn est(e: &Estimate) -> [String; 3] {
    match e {
        Estimate::Value { value, ci } => {
            [value.to_string(), ci.low.to_string(), ci.high.to_string()]
        }
        Estimate::Undefined { .. } => Default::default(),
    }
}

/// Render `metrics.csv`. Withheld groups (see [`super::Suppression`]) have their counts, values
/// and comparison fields left empty; the status stays.
pub fn metrics_csv(a: &Artifact) -> String {
    let findings: BTreeMap<&str, &Finding> = a
        .comparisons
        .iter()
        .map(|f| (f.comparison.id.as_str(), f))
        .collect();
    let sup = super::Suppression::from_artifact(a);
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let _ = w.write_record(COLUMNS);
    for attr in &a.attributes {
        for g in &attr.groups {
            for m in &g.metrics {
                let id = format!("{}/{}/{}", attr.attribute, g.group, m.metric);
                let finding = findings.get(id.as_str());
                let hidden = sup.group(&attr.attribute, &g.group)
                    || finding.is_some_and(|f| sup.comparison(&f.comparison));
                let mut row: Vec<String> =
                    vec![attr.attribute.clone(), g.group.clone(), m.metric.clone()];
                if hidden {
                    row.extend(std::iter::repeat_n(String::new(), 5));
                } else {
                    row.push(m.numerator.to_string());
                    row.push(m.denominator.to_string());
                    row.extend(est(&m.estimate));
                }
                row.push(attr.reference_group.clone());
                match finding {
                    Some(f) if !hidden => {
                        let c = &f.comparison;
                        row.extend(est(&c.ratio));
                        row.extend(est(&c.difference));
                        row.push(c.test.name().to_string());
                        row.push(num(c.test.p_value()));
                        row.push(num(c.p_adjusted));
                    }
                    _ => row.extend(std::iter::repeat_n(String::new(), 9)),
                }
                row.push(
                    finding
                        .map(|f| f.assessment.status.name().to_string())
                        .unwrap_or_default(),
                );
                let _ = w.write_record(&row);
            }
        }
    }
    let _ = w.flush();
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// Statuses in the order reports list them.
pub const STATUS_ORDER: [Status; 5] = [
    Status::Remediate,
    Status::Monitor,
    Status::InsufficientData,
    Status::Pass,
    Status::NotAssessed,
];
