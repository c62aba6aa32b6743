//! The report's reading of small crossed groups: each crossed group's raw rate beside its rate
//! shrunk toward the attribute's (empirical Bayes). Rows whose raw rate shared outputs withhold
//! are withheld here too (the shrunk rate and the prior would give the count back).

use std::fmt::Write;

use super::markdown::{esc, metric_label, rate_ci};
use super::Suppression;
use crate::artifact::Artifact;
use crate::metrics::Estimate;

/// Groups with fewer cases than this (the rate's denominator) are the ones the section lists.
const SMALL: u64 = 100;

pub(super) fn section(o: &mut String, a: &Artifact, sup: &Suppression) {
    let rows: Vec<_> = a
        .shrunk
        .iter()
        .flat_map(|s| s.groups.iter().map(move |g| (s, g)))
        // Chosen from what shared outputs show: a withheld group is not listed (its size is).
        .filter(|(s, g)| {
            g.denominator > 0
                && g.denominator < SMALL
                && sup.metric(&s.attribute, &g.group, s.metric)
        })
        .collect();
    if rows.is_empty() {
        return;
    }
    o.push_str("## Small crossed groups, read with shrinkage\n\n");
    let _ = writeln!(o, "A crossed group with under {SMALL} cases has a rate that swings with a handful of patients. Beside each such raw rate is the rate shrunk toward its attribute's (empirical Bayes: a beta prior fitted to all the attribute's groups by the beta-binomial method of moments; posterior mean and equal-tailed interval). The shrunk rate is a reading aid: statuses, tests and the audited numbers are the raw ones. Where the groups vary no more than sampling explains, every group shrinks to the attribute's rate. Groups whose rates shared outputs withhold are not listed.\n");
    o.push_str("| attribute | group | metric | raw rate | shrunk rate (interval) | attribute's rate |\n|---|---|---|---|---|---|\n");
    for (s, g) in rows {
        let shrunk = match &g.shrunk {
            Estimate::Value { .. } => rate_ci(&g.shrunk),
            Estimate::Undefined { .. } => format!("{:.1}% (pooled fully)", 100.0 * s.prior_mean),
        };
        let _ = writeln!(
            o,
            "| {} | {} | {} | {:.1}% | {shrunk} | {:.1}% |",
            esc(&s.attribute),
            esc(&g.group),
            metric_label(&s.metric),
            100.0 * g.numerator as f64 / g.denominator as f64,
            100.0 * s.prior_mean
        );
    }
    o.push('\n');
}
