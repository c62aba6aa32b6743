//! `report.md`: what a practice manager reads. Findings to act on first, then the groups of each
//! attribute, then the methods, the suppression policy and the sign-off block.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::csv_out::STATUS_ORDER;
use super::Suppression;
use crate::artifact::{Artifact, Finding};
use crate::metrics::{Estimate, OmnibusResult};
use crate::protocol::Metric;
use crate::triggers::Status;

fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

fn rate_ci(e: &Estimate) -> String {
    match e {
        Estimate::Value { value, ci } => {
            format!("{} ({}–{})", pct(*value), pct(ci.low), pct(ci.high))
        }
        Estimate::Undefined { reason } => format!("— ({reason})"),
    }
}

fn ratio_ci(e: &Estimate) -> String {
    match e {
        Estimate::Value { value, ci } => format!("{value:.2} ({:.2}–{:.2})", ci.low, ci.high),
        Estimate::Undefined { reason } => format!("— ({reason})"),
    }
}

fn diff_ci(e: &Estimate) -> String {
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

/// `12.3% (45/366)`, or `— (0/0)`.
fn rate_of(num: u64, den: u64) -> String {
    if den == 0 {
        return "— (0/0)".into();
    }
    format!("{} ({num}/{den})", pct(num as f64 / den as f64))
}

fn p_text(p: Option<f64>) -> String {
    match p {
        None => "—".into(),
        Some(p) if p < 0.0001 => "< 0.0001".into(),
        Some(p) => format!("{p:.4}"),
    }
}

fn status_label(s: Status) -> &'static str {
    match s {
        Status::Remediate => "REMEDIATE",
        Status::Monitor => "MONITOR",
        Status::InsufficientData => "INSUFFICIENT DATA",
        Status::Pass => "PASS",
        Status::NotAssessed => "NOT ASSESSED",
    }
}

fn metric_label(m: &str) -> String {
    Metric::parse(m).map_or_else(|| m.to_string(), |x| x.label().to_string())
}

fn esc(s: &str) -> String {
    s.replace('|', "\\|")
}

fn findings_table(
    out: &mut String,
    findings: &[&Finding],
    a: &Artifact,
    sup: &Suppression,
    with_action: bool,
) {
    let actions: BTreeMap<(&str, &str), &str> = a
        .triggers_fired
        .iter()
        .map(|t| {
            (
                (t.comparison.as_str(), t.trigger.as_str()),
                t.action.as_str(),
            )
        })
        .collect();
    out.push_str("| attribute | group (vs reference) | metric | group rate | reference rate | ratio (CI) | difference (CI) | adjusted p | why |");
    if with_action {
        out.push_str(" action |");
    }
    out.push('\n');
    out.push_str("|---|---|---|---|---|---|---|---|---|");
    if with_action {
        out.push_str("---|");
    }
    out.push('\n');
    for f in findings {
        let c = &f.comparison;
        // A suppressed finding's explanation would reveal its numbers: give the rule only.
        let why = f
            .assessment
            .verdicts
            .iter()
            .filter(|v| v.status == f.assessment.status)
            .map(|v| {
                if sup.comparison(&f.comparison) {
                    format!("{}: {}", v.trigger, v.rule.replace('_', " "))
                } else {
                    format!("{}: {}", v.trigger, v.explanation)
                }
            })
            .collect::<Vec<_>>()
            .join("; ");
        let (g, r, ratio, diff, p) = if sup.comparison(&f.comparison) {
            let s = "suppressed".to_string();
            (s.clone(), s.clone(), s.clone(), s, "—".to_string())
        } else {
            let g = rate_of(c.numerator, c.denominator);
            let r = rate_of(c.reference_numerator, c.reference_denominator);
            (
                g,
                r,
                ratio_ci(&c.ratio),
                diff_ci(&c.difference),
                p_text(c.p_adjusted),
            )
        };
        let _ = write!(
            out,
            "| {} | {} (vs {}) | {} | {} | {} | {} | {} | {} | {} |",
            esc(&c.attribute),
            esc(&c.group),
            esc(&c.reference_group),
            metric_label(&c.metric),
            g,
            r,
            ratio,
            diff,
            p,
            esc(&why)
        );
        if with_action {
            let acts: Vec<&str> = f
                .assessment
                .verdicts
                .iter()
                .filter(|v| v.fired)
                .filter_map(|v| actions.get(&(c.id.as_str(), v.trigger.as_str())).copied())
                .collect();
            let _ = write!(out, " {} |", esc(&acts.join(" ")));
        }
        out.push('\n');
    }
    out.push('\n');
}

/// Render `report.md` from an artifact.
pub fn markdown(a: &Artifact) -> String {
    let mut o = String::new();
    let min = a.suppression.min_cell_size;
    let sup = Suppression::from_artifact(a);
    let _ = writeln!(o, "# Bias test: {} {}\n", a.tool.name, a.tool.version);
    let _ = writeln!(
        o,
        "Section 1557 (45 CFR 92.210) oversight report, produced by {} {}.\n",
        a.generator.name, a.generator.version
    );
    if !a.suppression.applied {
        o.push_str("**Internal: small cells are not suppressed in this report. Do not share it outside the organisation.**\n\n");
    }
    o.push_str("| | |\n|---|---|\n");
    let _ = writeln!(
        o,
        "| Tool | {} {} by {} |",
        esc(&a.tool.name),
        esc(&a.tool.version),
        esc(&a.tool.vendor)
    );
    let _ = writeln!(o, "| Intended use | {} |", esc(&a.tool.intended_use));
    let _ = writeln!(
        o,
        "| Decision | {} ({}) |",
        a.tool.decision_type,
        esc(&a.tool.decision_rule)
    );
    let _ = writeln!(
        o,
        "| Protocol | {} v{} (`{}`, sha256 `{}`) |",
        esc(&a.protocol.name),
        a.protocol.version,
        a.protocol.file,
        &a.protocol.sha256[..16.min(a.protocol.sha256.len())]
    );
    let period = match (&a.data.period_start, &a.data.period_end) {
        (Some(s), Some(e)) => format!(", {s} to {e}"),
        _ => String::new(),
    };
    let _ = writeln!(
        o,
        "| Data | `{}` ({} {}, {} cases{period}; sha256 `{}`) |",
        a.data.file,
        a.data.format,
        a.data.input,
        a.data.cases,
        &a.data.sha256[..16.min(a.data.sha256.len())]
    );
    let _ = writeln!(o, "| As of | {} |", a.run.as_of);
    let _ = writeln!(
        o,
        "| Settings | {:.0}% intervals, alpha {}, {} correction over {} comparisons, power target {}, minimum cell {} |\n",
        a.run.confidence_level * 100.0,
        a.run.alpha,
        a.run.correction,
        a.run.family_size,
        a.run.power_target,
        a.run.min_cell_size
    );

    let _ = writeln!(o, "## Summary\n");
    let _ = writeln!(o, "**Overall: {}**\n", status_label(a.summary.overall));
    o.push_str("| status | findings | meaning |\n|---|---|---|\n");
    for (s, n, meaning) in [
        (
            Status::Remediate,
            a.summary.remediate,
            "beyond the protocol's threshold and significant after correction: act",
        ),
        (
            Status::Monitor,
            a.summary.monitor,
            "beyond the threshold but not significant, or not yet clear: watch next quarter",
        ),
        (
            Status::InsufficientData,
            a.summary.insufficient_data,
            "too few cases, or too little power to see a disparity of the threshold's size",
        ),
        (
            Status::Pass,
            a.summary.pass,
            "the whole interval lies inside the tolerance band: no meaningful disparity",
        ),
        (
            Status::NotAssessed,
            a.summary.not_assessed,
            "no trigger covers this comparison",
        ),
    ] {
        let _ = writeln!(o, "| {} | {n} | {meaning} |", status_label(s));
    }
    o.push('\n');

    o.push_str("## Findings to act on\n\n");
    let by = |s: Status| -> Vec<&Finding> {
        a.comparisons
            .iter()
            .filter(|f| f.assessment.status == s)
            .collect()
    };
    let remediate = by(Status::Remediate);
    let monitor = by(Status::Monitor);
    if remediate.is_empty() && monitor.is_empty() {
        o.push_str("None: no finding needs remediation or monitoring.\n\n");
    }
    if !remediate.is_empty() {
        o.push_str("### Remediate\n\n");
        findings_table(&mut o, &remediate, a, &sup, true);
    }
    if !monitor.is_empty() {
        o.push_str("### Monitor\n\n");
        findings_table(&mut o, &monitor, a, &sup, true);
    }
    let insufficient = by(Status::InsufficientData);
    if !insufficient.is_empty() {
        o.push_str("## Insufficient data\n\nThe data could not have shown a disparity of the threshold's size here, so these are not passes.\n\n");
        findings_table(&mut o, &insufficient, a, &sup, false);
    }
    let pass = by(Status::Pass);
    if !pass.is_empty() {
        o.push_str("## Passed\n\nThe interval lies inside the tolerance band.\n\n");
        findings_table(&mut o, &pass, a, &sup, false);
    }

    o.push_str("## Groups by attribute\n\n");
    let compared: Vec<&str> = {
        let mut v: Vec<&str> = Vec::new();
        for f in &a.comparisons {
            if !v.contains(&f.comparison.metric.as_str()) {
                v.push(f.comparison.metric.as_str());
            }
        }
        v
    };
    let shown: Vec<&str> = std::iter::once("prevalence")
        .chain(compared.iter().copied().filter(|m| *m != "prevalence"))
        .collect();
    for attr in &a.attributes {
        let _ = writeln!(
            o,
            "### {} (reference: {})\n",
            attr.attribute, attr.reference_group
        );
        let _ = write!(o, "| group | n |");
        for m in &shown {
            let _ = write!(o, " {} |", metric_label(m));
        }
        o.push_str("\n|---|---|");
        for _ in &shown {
            o.push_str("---|");
        }
        o.push('\n');
        for g in &attr.groups {
            let mark = if g.is_reference { " (reference)" } else { "" };
            let hidden = sup.group(&attr.attribute, &g.group);
            let n = if hidden {
                "withheld".to_string()
            } else {
                g.n.to_string()
            };
            let _ = write!(o, "| {}{mark} | {n} |", esc(&g.group));
            for m in &shown {
                match g.metrics.iter().find(|v| v.metric == *m) {
                    Some(_) if hidden => {
                        let _ = write!(o, " suppressed |");
                    }
                    Some(v) => {
                        let _ = write!(o, " {} |", rate_ci(&v.estimate));
                    }
                    None => o.push_str(" |"),
                }
            }
            o.push('\n');
        }
        o.push('\n');
        let weighted: Vec<&crate::metrics::GroupResult> = attr
            .groups
            .iter()
            .filter(|g| g.metrics.iter().any(|m| m.weighted.is_some()))
            .collect();
        if !weighted.is_empty() {
            o.push_str("Survey-weighted rates (Wilson interval on Kish's effective sample size; design effect of unequal weights in brackets):\n\n");
            let _ = write!(o, "| group |");
            for m in &shown {
                let _ = write!(o, " {} |", metric_label(m));
            }
            o.push_str("\n|---|");
            for _ in &shown {
                o.push_str("---|");
            }
            o.push('\n');
            for g in weighted {
                let hidden = sup.group(&attr.attribute, &g.group);
                let _ = write!(o, "| {} |", esc(&g.group));
                for m in &shown {
                    match g
                        .metrics
                        .iter()
                        .find(|v| v.metric == *m)
                        .and_then(|v| v.weighted.as_ref())
                    {
                        Some(_) if hidden => o.push_str(" suppressed |"),
                        Some(w) => {
                            let _ =
                                write!(o, " {} [{:.2}] |", rate_ci(&w.estimate), w.design_effect);
                        }
                        None => o.push_str(" |"),
                    }
                }
                o.push('\n');
            }
            o.push('\n');
        }
        let mut lines = Vec::new();
        for om in &attr.omnibus {
            match &om.result {
                OmnibusResult::Value {
                    statistic,
                    df,
                    p_value,
                    groups,
                    warning,
                    ..
                } => {
                    let w = warning
                        .as_ref()
                        .map(|w| format!(" — {w}"))
                        .unwrap_or_default();
                    let p = match p_text(Some(*p_value)) {
                        t if t.starts_with('<') => format!("p {t}"),
                        t => format!("p = {t}"),
                    };
                    // The statistic and the smallest expected count could give away a withheld
                    // group's size: with one withheld, only the conclusion is shown.
                    if sup.attribute(&attr.attribute) {
                        let verdict = if *p_value < a.run.alpha {
                            "differ"
                        } else {
                            "no evidence the groups differ"
                        };
                        lines.push(format!("- {}: {verdict} (p {} {}; details withheld with the suppressed groups)", metric_label(&om.metric), if *p_value < a.run.alpha { "<" } else { "≥" }, a.run.alpha));
                    } else {
                        lines.push(format!(
                            "- {}: χ² = {statistic:.2}, df = {df}, {p} across {groups} groups{w}",
                            metric_label(&om.metric),
                        ));
                    }
                }
                OmnibusResult::Trend {
                    statistic,
                    p_value,
                    groups,
                } => {
                    let p = match p_text(Some(*p_value)) {
                        t if t.starts_with('<') => format!("p {t}"),
                        t => format!("p = {t}"),
                    };
                    let direction = if *statistic > 0.0 {
                        "rising"
                    } else {
                        "falling"
                    };
                    if sup.attribute(&attr.attribute) {
                        let verdict = if *p_value < a.run.alpha {
                            "a trend"
                        } else {
                            "no evidence of a trend"
                        };
                        lines.push(format!("- {} along the order: {verdict} (details withheld with the suppressed groups)", metric_label(&om.metric)));
                        continue;
                    }
                    lines.push(format!(
                        "- {} trend along the order ({direction}): Cochran–Armitage z = {statistic:.2}, {p} across {groups} groups",
                        metric_label(&om.metric)
                    ));
                }
                OmnibusResult::Undefined { reason } => lines.push(format!(
                    "- {}: not computed ({reason})",
                    metric_label(&om.metric)
                )),
            }
        }
        for gap in &attr.composite {
            // A gap and its interval can give away a withheld group's rate.
            if sup.attribute(&attr.attribute)
                || gap.groups.iter().any(|g| sup.group(&attr.attribute, g))
            {
                lines.push(format!(
                    "- {}: withheld with the suppressed groups",
                    gap.gap.replace('_', " ")
                ));
                continue;
            }
            let text = match (&gap.estimate, &gap.bca) {
                (Estimate::Value { value, ci }, bca) => {
                    let b = bca
                        .as_ref()
                        .map(|b| format!("; BCa {:.3} to {:.3}", b.low, b.high))
                        .unwrap_or_default();
                    format!(
                        "{value:.3} (bootstrap {:.3} to {:.3}{b}; {} resamples, {} groups)",
                        ci.low,
                        ci.high,
                        gap.replicates,
                        gap.groups.len()
                    )
                }
                (Estimate::Undefined { reason }, _) => format!("not computed ({reason})"),
            };
            lines.push(format!("- {}: {text}", gap.gap.replace('_', " ")));
        }
        if !lines.is_empty() {
            o.push_str("Across all groups (Pearson chi-square; for ordered groups the trend test; unadjusted; and the gaps between the groups without small cells):\n\n");
            o.push_str(&lines.join("\n"));
            o.push_str("\n\n");
        }
    }

    o.push_str("## Comparisons\n\nEvery group against its reference, with the status from the protocol's triggers.\n\n");
    o.push_str("| attribute | group | metric | ratio (CI) | difference (CI) | test | p | adjusted p | smallest detectable difference | status |\n|---|---|---|---|---|---|---|---|---|---|\n");
    for s in STATUS_ORDER {
        for f in a.comparisons.iter().filter(|f| f.assessment.status == s) {
            let c = &f.comparison;
            let detect = match (c.detectable.difference_down, c.detectable.difference_up) {
                (Some(d), Some(u)) => format!("−{:.1} / +{:.1} pts", d * 100.0, u * 100.0),
                (Some(d), None) => format!("−{:.1} pts", d * 100.0),
                (None, Some(u)) => format!("+{:.1} pts", u * 100.0),
                (None, None) => "none".into(),
            };
            if sup.comparison(&f.comparison) {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | suppressed | suppressed | — | — | — | withheld | {} |",
                    esc(&c.attribute),
                    esc(&c.group),
                    c.metric,
                    s.name()
                );
            } else {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} | {} | {} | {} | {} | {detect} | {} |",
                    esc(&c.attribute),
                    esc(&c.group),
                    c.metric,
                    ratio_ci(&c.ratio),
                    diff_ci(&c.difference),
                    c.test.name(),
                    p_text(c.test.p_value()),
                    p_text(c.p_adjusted),
                    s.name()
                );
            }
        }
    }
    o.push('\n');

    if !a.stratified.is_empty() {
        o.push_str("## Adjusted comparisons\n\nEach group against its reference within the strata of a second attribute (Cochran–Mantel–Haenszel; Mantel–Haenszel odds ratio). Supporting evidence: raw p-values, no trigger applies.\n\n");
        o.push_str("| attribute | group (vs reference) | adjusted for | metric | strata | odds ratio (CI) | p |\n|---|---|---|---|---|---|---|\n");
        for x in &a.stratified {
            let withheld =
                sup.group(&x.attribute, &x.group) || sup.group(&x.attribute, &x.reference_group);
            let (or, p) = if withheld {
                ("suppressed".to_string(), "—".to_string())
            } else {
                let p = match &x.test {
                    crate::metrics::StratifiedTest::CochranMantelHaenszel { p_value, .. } => {
                        p_text(Some(*p_value))
                    }
                    crate::metrics::StratifiedTest::Undefined { reason } => format!("— ({reason})"),
                };
                (ratio_ci(&x.odds_ratio), p)
            };
            let _ = writeln!(
                o,
                "| {} | {} (vs {}) | {} | {} | {} | {or} | {p} |",
                esc(&x.attribute),
                esc(&x.group),
                esc(&x.reference_group),
                esc(&x.by),
                x.metric,
                x.strata
            );
        }
        o.push('\n');
    }

    o.push_str("## Triggers\n\n| id | metric | attributes | ratio band | difference band | severity | action |\n|---|---|---|---|---|---|---|\n");
    let band = |b: &Option<crate::artifact::BandInfo>| match b {
        None => "—".to_string(),
        Some(b) => format!(
            "{} to {}",
            b.min.map_or("−∞".into(), |v| v.to_string()),
            b.max.map_or("∞".into(), |v| v.to_string())
        ),
    };
    for t in &a.triggers {
        let attrs = if t.attributes.is_empty() {
            "all".to_string()
        } else {
            t.attributes.join(", ")
        };
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {} |",
            t.id,
            t.metric,
            esc(&attrs),
            band(&t.ratio),
            band(&t.difference),
            t.severity,
            esc(&t.action)
        );
    }
    o.push('\n');

    o.push_str("## Methods\n\n");
    let m = &a.methods;
    for (k, v) in [
        ("Rate intervals", &m.rate_interval),
        ("Ratio intervals", &m.ratio_interval),
        ("Difference intervals", &m.difference_interval),
        ("Group vs reference test", &m.test),
        ("Across all groups", &m.omnibus),
        ("Multiple comparisons", &m.correction),
        ("Power", &m.power),
    ] {
        let _ = writeln!(o, "- {k}: {v}");
    }
    o.push_str("\nStatus rules, in order: too few cases → insufficient data; beyond the band and significant → the trigger's severity; beyond but not significant → monitor; too little power → insufficient data; interval inside the band → pass; otherwise monitor.\n\n");

    o.push_str("## Suppression\n\n");
    if !a.suppression.applied {
        o.push_str("Not applied: this is an internal report (`--no-suppress`).\n\n");
    }
    let _ = writeln!(
        o,
        "Cells under {min} are withheld in this report and in metrics.csv: {}.\n",
        a.suppression.rule
    );

    o.push_str("## Attestation\n\n");
    let _ = writeln!(o, "{}\n", a.attestation.statement);
    o.push_str("Reviewer: ____________________  Role: ____________________  Date: __________\n\nDecision: ______________________________________________\n");
    o
}
