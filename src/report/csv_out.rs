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

/// A comparison's fields of a row.
struct Compared<'a> {
    ratio: &'a Estimate,
    difference: &'a Estimate,
    test: &'static str,
    p_value: Option<f64>,
    p_adjusted: Option<f64>,
}

/// The last ten columns of a row: the comparison (empty when there is none or it is withheld)
/// and the status (kept when withheld).
fn finish_row(row: &mut Vec<String>, comparison: Option<(Compared, Status)>, hidden: bool) {
    match &comparison {
        Some((c, _)) if !hidden => {
            row.extend(est(c.ratio));
            row.extend(est(c.difference));
            row.push(c.test.to_string());
            row.push(num(c.p_value));
            row.push(num(c.p_adjusted));
        }
        _ => row.extend(std::iter::repeat_n(String::new(), 9)),
    }
    row.push(
        comparison
            .map(|(_, s)| s.name().to_string())
            .unwrap_or_default(),
    );
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
                let id = crate::metrics::comparison_id(&attr.attribute, &g.group, m.metric.name());
                let finding = findings.get(id.as_str());
                let hidden = !sup.metric(&attr.attribute, &g.group, m.metric)
                    || finding.is_some_and(|f| sup.comparison(&f.comparison));
                let mut row: Vec<String> = vec![
                    attr.attribute.clone(),
                    g.group.clone(),
                    m.metric.to_string(),
                ];
                if hidden {
                    row.extend(std::iter::repeat_n(String::new(), 5));
                } else {
                    row.push(m.numerator.to_string());
                    row.push(m.denominator.to_string());
                    row.extend(est(&m.estimate));
                }
                row.push(attr.reference_group.clone());
                let comparison = finding.map(|f| {
                    let c = &f.comparison;
                    let fields = Compared {
                        ratio: &c.ratio,
                        difference: &c.difference,
                        test: c.test.name(),
                        p_value: c.test.p_value(),
                        p_adjusted: c.p_adjusted,
                    };
                    (fields, f.assessment.status)
                });
                finish_row(&mut row, comparison, hidden);
                let _ = w.write_record(row.iter().map(|c| cell(c)));
            }
        }
        for p in sup.pools(a, &attr.attribute) {
            pool_rows(&mut w, p, &attr.reference_group, &sup);
        }
    }
    if let Some(sc) = &a.scores {
        score_rows(&mut w, sc, &sup);
    }
    let _ = w.flush();
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// A pool's rows: its rates and its comparisons with raw p-values; no adjusted p and no status
/// (pools are descriptive, outside the correction family).
fn pool_rows(
    w: &mut csv::Writer<Vec<u8>>,
    p: &crate::pooling::Pool,
    reference: &str,
    sup: &super::Suppression,
) {
    for m in &p.result.metrics {
        let mut row: Vec<String> = vec![p.attribute.clone(), p.group.clone(), m.metric.to_string()];
        if sup.metric(&p.attribute, &p.group, m.metric) {
            row.push(m.numerator.to_string());
            row.push(m.denominator.to_string());
            row.extend(est(&m.estimate));
        } else {
            row.extend(std::iter::repeat_n(String::new(), 5));
        }
        row.push(reference.to_string());
        match p
            .comparisons
            .iter()
            .find(|c| c.metric == m.metric && !sup.comparison(c))
        {
            Some(c) => {
                row.extend(est(&c.ratio));
                row.extend(est(&c.difference));
                row.push(c.test.name().to_string());
                row.push(num(c.test.p_value()));
                row.push(String::new());
            }
            None => row.extend(std::iter::repeat_n(String::new(), 9)),
        }
        row.push(String::new());
        let _ = w.write_record(row.iter().map(|c| cell(c)));
    }
}

/// Statuses in the order reports list them.
pub const STATUS_ORDER: [Status; 5] = [
    Status::Remediate,
    Status::Monitor,
    Status::InsufficientData,
    Status::Pass,
    Status::NotAssessed,
];

/// The score metrics: per group AUROC, average precision, calibration and mean need, and the
/// score comparisons (`auroc`, `oe_ratio`, `need_at_equal_score`) with their statuses.
fn score_rows(
    w: &mut csv::Writer<Vec<u8>>,
    sc: &crate::artifact::ScoreSection,
    sup: &super::Suppression,
) {
    let findings: BTreeMap<&str, &crate::artifact::ScoreFinding> = sc
        .comparisons
        .iter()
        .map(|f| (f.comparison.id.as_str(), f))
        .collect();
    for attr in &sc.attributes {
        for g in &attr.groups {
            let hidden = sup.score_group(&attr.attribute, &g.group)
                || sup.score_group(&attr.attribute, &attr.reference_group);
            // (metric, numerator, denominator, estimate with interval, or a plain value)
            type Row<'a> = (&'a str, u64, u64, Option<&'a Estimate>, Option<f64>);
            let mut rows: Vec<Row> = Vec::new();
            if let Some(e) = &g.auroc {
                rows.push(("auroc", g.positives, g.n, Some(e), None));
            }
            if let Some(e) = &g.average_precision {
                rows.push(("average_precision", g.positives, g.n, Some(e), None));
            }
            if let Some(c) = &g.calibration {
                rows.push((
                    "oe_ratio",
                    c.observed,
                    g.n,
                    Some(&c.observed_expected),
                    None,
                ));
                rows.push((
                    "calibration_in_the_large",
                    c.observed,
                    g.n,
                    Some(&c.calibration_in_the_large),
                    None,
                ));
                rows.push(("calibration_slope", c.observed, g.n, Some(&c.slope), None));
                rows.push(("brier", c.observed, g.n, None, Some(c.brier)));
                rows.push((
                    "expected_calibration_error",
                    c.observed,
                    g.n,
                    None,
                    c.expected_calibration_error,
                ));
            }
            if let Some(nd) = &g.need {
                rows.push(("need_mean", 0, nd.n, Some(&nd.mean), None));
                rows.push(("need_at_equal_score", 0, nd.n, None, None));
            }
            for (metric, num_, den, e, plain) in rows {
                let id = crate::metrics::comparison_id(&attr.attribute, &g.group, metric);
                let finding = findings.get(id.as_str());
                let mut row: Vec<String> =
                    vec![attr.attribute.clone(), g.group.clone(), metric.to_string()];
                if hidden {
                    row.extend(std::iter::repeat_n(String::new(), 5));
                } else {
                    row.push(if metric.starts_with("need") {
                        String::new()
                    } else {
                        num_.to_string()
                    });
                    row.push(den.to_string());
                    match (e, plain, finding) {
                        (Some(e), _, _) => row.extend(est(e)),
                        (None, Some(v), _) => {
                            row.extend([v.to_string(), String::new(), String::new()])
                        }
                        // Need at equal score: the group's mean standardized to its own bins.
                        (None, None, Some(f)) => {
                            row.extend([num(f.comparison.value), String::new(), String::new()])
                        }
                        _ => row.extend(std::iter::repeat_n(String::new(), 3)),
                    }
                }
                row.push(attr.reference_group.clone());
                let comparison = finding.map(|f| {
                    let c = &f.comparison;
                    let fields = Compared {
                        ratio: &c.ratio,
                        difference: &c.difference,
                        test: c.test.name(),
                        p_value: c.test.p_value(),
                        p_adjusted: c.p_adjusted,
                    };
                    (fields, f.assessment.status)
                });
                finish_row(&mut row, comparison, hidden);
                let _ = w.write_record(row.iter().map(|c| cell(c)));
            }
        }
    }
}

/// A cell a spreadsheet will not run as a formula: text starting with `=`, `+`, `-`, `@`, a tab
/// or a carriage return (a group label `=HYPERLINK(…)`) gets a leading `'`; numbers stay as
/// they are.
pub fn cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) && s.parse::<f64>().is_err() {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod cell_tests {
    use super::cell;

    #[test]
    fn formulas_are_neutralised_and_numbers_kept() {
        assert_eq!(
            cell("=HYPERLINK(\"http://x\")"),
            "'=HYPERLINK(\"http://x\")"
        );
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("-0.125"), "-0.125");
        assert_eq!(cell("-1+1"), "'-1+1");
        assert_eq!(cell("White"), "White");
    }
}
