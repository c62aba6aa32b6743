//! `report.md`: what a practice manager reads. Findings to act on first, then the groups of each
//! attribute, then the methods, the suppression policy and the sign-off block.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::csv_out::STATUS_ORDER;
use super::Suppression;
use crate::artifact::{Artifact, Finding, ScoreFinding, ScoreSection};
use crate::metrics::scores::ScoreComparisonMetric;
use crate::metrics::{Estimate, OmnibusResult};
use crate::protocol::Metric;
use crate::triggers::Status;

pub(super) fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

pub(super) fn rate_ci(e: &Estimate) -> String {
    match e {
        Estimate::Value { value, ci } => {
            format!("{} ({}–{})", pct(*value), pct(ci.low), pct(ci.high))
        }
        Estimate::Undefined { reason } => format!("— ({reason})"),
    }
}

pub(super) fn ratio_ci(e: &Estimate) -> String {
    match e {
        Estimate::Value { value, ci } => format!("{value:.2} ({:.2}–{:.2})", ci.low, ci.high),
        Estimate::Undefined { reason } => format!("— ({reason})"),
    }
}

pub(super) fn diff_ci(e: &Estimate) -> String {
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
pub(super) fn rate_of(num: u64, den: u64) -> String {
    if den == 0 {
        return "— (0/0)".into();
    }
    format!("{} ({num}/{den})", pct(num as f64 / den as f64))
}

pub(super) fn p_text(p: Option<f64>) -> String {
    match p {
        None => "—".into(),
        Some(p) if p < 0.0001 => "< 0.0001".into(),
        Some(p) => format!("{p:.4}"),
    }
}

pub(super) fn status_label(s: Status) -> &'static str {
    match s {
        Status::Remediate => "REMEDIATE",
        Status::Monitor => "MONITOR",
        Status::InsufficientData => "INSUFFICIENT DATA",
        Status::Pass => "PASS",
        Status::NotAssessed => "NOT ASSESSED",
    }
}

pub(super) fn metric_label(m: &Metric) -> &'static str {
    m.label()
}

/// A protocol or data string fit for a Markdown table cell: no line breaks, and the characters
/// that would make a link, an image or raw HTML escaped.
pub(crate) fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '|' | '[' | ']' | '<' | '>' | '\\' => {
                o.push('\\');
                o.push(ch);
            }
            '\n' | '\r' => o.push(' '),
            c => o.push(c),
        }
    }
    o
}

/// A finding's harm in words, with the interval of the patients affected.
pub(super) fn harm_text(h: &crate::harm::Harm) -> String {
    match &h.patients {
        Estimate::Value { ci, .. } => format!(
            "{} ({:.0}% interval {:.0} to {:.0})",
            h.statement,
            ci.level * 100.0,
            ci.low,
            ci.high
        ),
        Estimate::Undefined { .. } => h.statement.clone(),
    }
}

/// What a withheld finding shows for the rule that decided it.
pub(super) const WHY_WITHHELD: &str = "the reason is withheld with the numbers";

/// What a withheld comparison shows instead of its numbers: the pool its group is in, or why it
/// is withheld.
pub(super) fn withheld_text(
    a: &Artifact,
    sup: &Suppression,
    c: &crate::metrics::Comparison,
) -> String {
    let min = a.suppression.min_cell_size;
    if !sup.metric(&c.attribute, &c.group, c.metric) {
        sup.reason(&c.attribute, &c.group, min)
    } else {
        format!(
            "reference {}",
            sup.reason(&c.attribute, &c.reference_group, min)
        )
    }
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
    out.push_str("| attribute | group (vs reference) | metric | group rate | reference rate | ratio (CI) | difference (CI) | family p | why |");
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
        // A suppressed finding's explanation, or even the rule that decided it (a cell under the
        // minimum, say), would narrow its withheld numbers down: give the trigger only.
        let why = f
            .assessment
            .verdicts
            .iter()
            .filter(|v| v.status == f.assessment.status)
            .map(|v| {
                if sup.comparison(&f.comparison) {
                    format!("{}: {WHY_WITHHELD}", v.trigger)
                } else {
                    format!("{}: {}", v.trigger, v.explanation)
                }
            })
            .collect::<Vec<_>>()
            .join("; ");
        let why = match (&f.assessment.harm, sup.comparison(&f.comparison)) {
            (Some(h), false) => format!("{why}. {}", harm_text(h)),
            _ => why,
        };
        let (g, r, ratio, diff, p) = if sup.comparison(&f.comparison) {
            let s = withheld_text(a, sup, c);
            (s, "—".into(), "—".into(), "—".into(), "—".to_string())
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

/// The first screen: the result, the findings to act on by affected group, the status grid and
/// the classes tested.
fn first_screen(o: &mut String, v: &super::view::View) {
    let _ = writeln!(o, "# {}\n", esc(&v.title));
    if v.internal {
        o.push_str("**Internal: small cells are not suppressed in this report. Do not share it outside the organisation.**\n\n");
    }
    let _ = writeln!(
        o,
        "**Result: {}.** {}\n",
        status_label(v.overall),
        esc(&v.headline)
    );
    o.push_str("| | |\n|---|---|\n");
    for (k, x) in &v.facts {
        let _ = writeln!(o, "| {k} | {} |", esc(x));
    }
    o.push('\n');
    o.push_str("## Findings to act on\n\n");
    if v.act.is_empty() {
        o.push_str("None: no finding needs remediation or monitoring.\n\n");
    }
    for g in &v.act {
        let _ = writeln!(o, "### {} ({})\n", esc(&g.group), esc(&g.attribute));
        for i in &g.items {
            act_item(o, i);
        }
        o.push('\n');
    }
    status_grid(o, v);
    too_few_md(o, v);
}

/// The findings too few to judge, with the cases judging them would take.
fn too_few_md(o: &mut String, v: &super::view::View) {
    if v.too_few.is_empty() {
        return;
    }
    o.push_str("## Too few to judge: what it would take\n\nThe cases a rate is over (all patients for the selection rate, patients with the outcome for the TPR…) at which a group with no gap would be shown inside the band (a pass) with the protocol's power: the power of the one-sided test at the interval's level (2.5% a side for a 95% interval) at the band's edge. Pooling quarters under the same protocol adds cases: the last column is how many quarters like this one would (at most; the reference grows too).\n\n| group | metric | cases now | cases needed | quarters to pool |\n|---|---|---|---|---|\n");
    for t in &v.too_few {
        let _ = writeln!(
            o,
            "| {} ({}) | {} | {} | {} | {} |",
            esc(&t.group),
            esc(&t.attribute),
            t.metric,
            t.has.map_or("withheld".to_string(), |n| n.to_string()),
            t.needs.map_or(
                "not reachable with this reference".to_string(),
                |n| format!("about {n}")
            ),
            t.quarters().map_or("—".to_string(), |q| q.to_string())
        );
    }
    o.push('\n');
}

fn act_item(o: &mut String, i: &super::view::ActItem) {
    let _ = write!(
        o,
        "- **{}: {}**. ",
        super::view::status_mark(i.status),
        i.metric
    );
    if let Some(h) = &i.harm {
        let _ = write!(o, "{}. ", esc(h));
    }
    let _ = write!(
        o,
        "Group {} against {} {}; ratio {}, difference {}.",
        esc(&i.group_value),
        esc(&i.reference),
        esc(&i.reference_value),
        i.ratio,
        i.difference
    );
    if let Some(t) = &i.trend {
        let _ = write!(o, " Trend: {t}.");
    }
    for x in &i.actions {
        let _ = write!(o, " Action: {}.", esc(x).trim_end_matches('.'));
    }
    let _ = writeln!(o, " Owner: {}; due: {}.", esc(&i.owner), esc(&i.due));
}

fn status_grid(o: &mut String, v: &super::view::View) {
    o.push_str("## Status by group and metric\n\n");
    o.push_str("✖ remediate · ▲ monitor · ? too few to judge · ✔ pass · – not assessed\n\n");
    for t in &v.grid {
        let _ = write!(
            o,
            "**{}** (against {})\n\n| group |",
            esc(&t.attribute),
            esc(&t.reference)
        );
        for m in &t.metrics {
            let _ = write!(o, " {m} |");
        }
        o.push_str("\n|---|");
        for _ in &t.metrics {
            o.push_str("---|");
        }
        o.push('\n');
        for (g, cells) in &t.rows {
            let _ = write!(o, "| {} |", esc(g));
            for c in cells {
                let _ = write!(o, " {} |", c.map_or("", super::view::status_mark));
            }
            o.push('\n');
        }
        o.push('\n');
        for p in &t.pools {
            let _ = writeln!(o, "Small groups are also shown together as *{}* in the detailed tables, where that gives no small count away.\n", esc(p));
        }
    }
    o.push_str(
        "## Classes of Section 1557 tested\n\n| class | tested | by or why not |\n|---|---|---|\n",
    );
    for c in &v.coverage {
        let _ = writeln!(o, "| {} | {} | {} |", c.class, c.status, esc(&c.detail));
    }
    o.push('\n');
}

/// Plain-language help for the statuses and metrics.
fn help_section(o: &mut String) {
    o.push_str("## How to read this report\n\n");
    for (k, x) in super::help::STATUSES
        .iter()
        .chain(super::help::METRICS.iter())
    {
        let _ = writeln!(o, "- **{k}**: {x}");
    }
    let _ = writeln!(o, "\n{}\n", super::help::TRADE_OFF);
}

/// Render `report.md` from an artifact.
pub fn markdown(a: &Artifact) -> String {
    markdown_with(a, &super::Beside::default())
}

/// The report with what lies beside the artifact: its sign-off and its actions log.
pub fn markdown_with(a: &Artifact, beside: &super::Beside) -> String {
    let mut o = String::new();
    let view = super::view::build(a, beside);
    first_screen(&mut o, &view);
    help_section(&mut o);
    o.push_str(&details(a, beside));
    o
}

/// The report after its first screen and help: about the test, the detailed findings, the
/// record, the groups, the comparisons, the score section, the methods and the sign-off.
pub(super) fn details(a: &Artifact, beside: &super::Beside) -> String {
    let mut o = String::new();
    let sup = Suppression::from_artifact(a);
    about(&mut o, a);
    summary(&mut o, a);
    findings_in_detail(&mut o, a, &sup);
    super::trend::section(&mut o, a, &sup);
    super::rolling::section(&mut o, a, &sup);
    super::record::section(&mut o, a);
    groups_by_attribute(&mut o, a, &sup);
    comparisons(&mut o, a, &sup);
    super::base_rates::section(&mut o, a, &sup);
    super::shrinkage::section(&mut o, a, &sup);
    adjusted_comparisons(&mut o, a, &sup);
    if let Some(sc) = &a.scores {
        score_section(&mut o, a, sc, &sup);
        super::calibration::section(&mut o, sc, &sup);
    }
    record_of_run(&mut o, a, beside);
    o
}

/// About this test: the tool, the protocol, the data and the settings, with their hashes.
fn about(o: &mut String, a: &Artifact) {
    let _ = writeln!(
        o,
        "## About this test\n\nSection 1557 (45 CFR 92.210) oversight report, produced by {} {}.\n",
        a.generator.name, a.generator.version
    );
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
    for e in &a.data.excluded {
        let rows = e
            .rows
            .map_or("the counts were made without the".into(), |n| {
                format!("{n} {} with", if n == 1 { "case" } else { "cases" })
            });
        let values: Vec<String> = e
            .rule
            .values
            .iter()
            .map(|v| format!("`{}`", esc(v)))
            .collect();
        let _ = writeln!(
            o,
            "| Excluded | {rows} `{}` {}: {} |",
            esc(&e.rule.column),
            values.join(" or "),
            esc(&e.rule.reason)
        );
    }
    let _ = writeln!(o, "| As of | {} |", a.run.as_of);
    let _ = writeln!(
        o,
        "| Settings | {:.0}% intervals, alpha {}, {}, power target {} (for planning), minimum cell {} |\n",
        a.run.confidence_level * 100.0,
        a.run.alpha,
        if a.run.families.is_empty() {
            format!("{} correction over {} comparisons", a.run.correction, a.run.family_size)
        } else {
            format!(
                "{} correction within {} families of {} comparisons (each attribute × metric a remediate trigger judges); \"family p\" is a comparison's p corrected within its family, and its raw p outside every family",
                a.run.correction,
                a.run.families.len(),
                a.run.family_size
            )
        },
        a.run.power_target,
        a.run.min_cell_size
    );
}

/// The findings by status, with what each status means.
fn summary(o: &mut String, a: &Artifact) {
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
}

/// Every finding, by status, with its numbers and the rule that decided it.
fn findings_in_detail(o: &mut String, a: &Artifact, sup: &Suppression) {
    o.push_str("## Findings in detail\n\n");
    let by = |s: Status| -> Vec<&Finding> {
        a.comparisons
            .iter()
            .filter(|f| f.assessment.status == s)
            .collect()
    };
    let remediate = by(Status::Remediate);
    let monitor = by(Status::Monitor);
    let score_act: Vec<&ScoreFinding> = a
        .scores
        .iter()
        .flat_map(|s| &s.comparisons)
        .filter(|f| matches!(f.assessment.status, Status::Remediate | Status::Monitor))
        .collect();
    if remediate.is_empty() && monitor.is_empty() && score_act.is_empty() {
        o.push_str("None: no finding needs remediation or monitoring.\n\n");
    }

    if !remediate.is_empty() {
        o.push_str("### Remediate\n\n");
        findings_table(o, &remediate, a, sup, true);
    }
    if !monitor.is_empty() {
        o.push_str("### Monitor\n\n");
        findings_table(o, &monitor, a, sup, true);
    }
    if !score_act.is_empty() {
        o.push_str("### Risk score\n\n");
        score_findings_table(o, &score_act, a, sup, true);
    }
    let insufficient = by(Status::InsufficientData);
    if !insufficient.is_empty() {
        o.push_str("## Insufficient data\n\nA group or reference with fewer cases than the minimum, or an interval too wide to judge (it holds both no disparity and a disparity beyond the band's edge; the \"why\" column says which): these are not passes. \"Too few to judge\" above gives the cases that would settle each.\n\n");
        findings_table(o, &insufficient, a, sup, false);
    }
    let pass = by(Status::Pass);
    if !pass.is_empty() {
        o.push_str("## Passed\n\nThe interval lies inside the tolerance band.\n\n");
        findings_table(o, &pass, a, sup, false);
    }
}

/// The status rules the artifact was judged by: the interval decides from schema 1.4.0 on; before,
/// a power rule came first.
fn status_rules(schema: &str) -> &'static str {
    if ["1.1.0", "1.2.0", "1.3.0"].contains(&schema) {
        "\nStatus rules, in order: too few cases → insufficient data; beyond the band and significant → the trigger's severity; beyond but not significant → monitor; too little power → insufficient data; interval inside the band → pass; otherwise monitor.\n\n"
    } else {
        "\nStatus rules, in order: a cell under the minimum → insufficient data; beyond the band and significant (after correction, for a remediate trigger) → the trigger's severity; beyond the band but not significant → monitor; the whole interval inside the band → pass, whatever the power (two one-sided tests, each at half the interval's error rate); the interval excludes no disparity and crosses the band's edge → monitor; otherwise (it holds both no disparity and a disparity beyond the edge) → insufficient data, too wide to judge.\n\n"
    }
}

/// What the intervals assume of the rows: the protocol's clusters, or one row a patient.
fn design_line(o: &mut String, a: &Artifact) {
    match &a.data.design {
        Some(d) => {
            let strata = match &d.strata_column {
                Some(c) => format!(" within {} strata of `{}`", d.strata, esc(c)),
                None => String::new(),
            };
            let weighted = if d.weighted { ", with the survey weights" } else { "" };
            let scores = if a.scores.is_some() { " The score analyses (discrimination, calibration) do not account for the clusters." } else { "" };
            let _ = writeln!(o, "- Clusters: the rows come in {} clusters of `{}`{strata}{weighted}. Each rate's variance is Taylor-linearised over the clusters; each comparison's interval and test use each side's effective counts (cases divided by the design effect, never more than the cases): Newcombe's interval for the difference, Koopman's for the ratio, the pooled z-test.{scores}", d.clusters, esc(&d.cluster_column));
        }
        None if a.data.input == "counts" => o.push_str("- Clusters: a counts submission carries none, so each case is taken as one patient.\n"),
        None => o.push_str("- Clusters: none named, so each row is taken as one patient. Several rows of one patient (repeat encounters) make the intervals too narrow; the protocol's `columns.cluster` names the patient key (hashed by the site).\n"),
    }
}

/// A table of each group's rates beside the counts' (survey-weighted, or under the design), with
/// their design effects; withheld where the group's rate is.
fn side_rates(
    o: &mut String,
    attr: &crate::metrics::AttributeResult,
    shown: &[Metric],
    sup: &Suppression,
    title: &str,
    pick: impl Fn(&crate::metrics::MetricValue) -> Option<(&Estimate, f64)>,
) {
    let groups: Vec<&crate::metrics::GroupResult> = attr
        .groups
        .iter()
        .filter(|g| g.metrics.iter().any(|m| pick(m).is_some()))
        .collect();
    if groups.is_empty() {
        return;
    }
    let _ = write!(o, "{title}\n\n| group |");
    for m in shown {
        let _ = write!(o, " {} |", metric_label(m));
    }
    o.push_str("\n|---|");
    for _ in shown {
        o.push_str("---|");
    }
    o.push('\n');
    for g in groups {
        let _ = write!(o, "| {} |", esc(&g.group));
        for m in shown {
            match g.metrics.iter().find(|v| v.metric == *m).and_then(&pick) {
                Some(_) if !sup.metric(&attr.attribute, &g.group, *m) => o.push_str(" withheld |"),
                Some((e, deff)) => {
                    let _ = write!(o, " {} [{deff:.2}] |", rate_ci(e));
                }
                None => o.push_str(" |"),
            }
        }
        o.push('\n');
    }
    o.push('\n');
}

/// Each attribute's groups: counts, rates, survey-weighted rates, omnibus tests and gaps.
fn groups_by_attribute(o: &mut String, a: &Artifact, sup: &Suppression) {
    o.push_str("## Groups by attribute\n\n");
    let compared: Vec<Metric> = {
        let mut v: Vec<Metric> = Vec::new();
        for f in &a.comparisons {
            if !v.contains(&f.comparison.metric) {
                v.push(f.comparison.metric);
            }
        }
        v
    };
    let shown: Vec<Metric> = std::iter::once(Metric::Prevalence)
        .chain(
            compared
                .iter()
                .copied()
                .filter(|m| *m != Metric::Prevalence),
        )
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
            let n = if sup.group(&attr.attribute, &g.group) {
                "withheld".to_string()
            } else {
                g.n.to_string()
            };
            let _ = write!(o, "| {}{mark} | {} |", esc(&g.group), esc(&n));
            for m in &shown {
                match g.metrics.iter().find(|v| v.metric == *m) {
                    Some(_) if !sup.metric(&attr.attribute, &g.group, *m) => {
                        let _ = write!(o, " — |");
                    }
                    Some(v) => {
                        let _ = write!(o, " {} |", rate_ci(&v.estimate));
                    }
                    None => o.push_str(" |"),
                }
            }
            o.push('\n');
        }
        for p in sup.pools(a, &attr.attribute) {
            let n = if sup.group(&attr.attribute, &p.group) {
                "withheld".to_string()
            } else {
                p.result.n.to_string()
            };
            let _ = write!(o, "| {} | {n} |", esc(&p.group));
            for m in &shown {
                match p.result.metrics.iter().find(|v| v.metric == *m) {
                    Some(_) if !sup.metric(&attr.attribute, &p.group, *m) => o.push_str(" — |"),
                    Some(v) => {
                        let _ = write!(o, " {} |", rate_ci(&v.estimate));
                    }
                    None => o.push_str(" |"),
                }
            }
            o.push('\n');
        }
        o.push('\n');
        side_rates(o, attr, &shown, sup, "Survey-weighted rates (Wilson interval on Kish's effective sample size; design effect of unequal weights in brackets):", |v| v.weighted.as_ref().map(|w| (&w.estimate, w.design_effect)));
        side_rates(o, attr, &shown, sup, "Rates under the design (Taylor-linearised over the clusters; Wilson interval on the effective sample size; design effect in brackets):", |v| v.design.as_ref().map(|w| (&w.estimate, w.design_effect)));
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
                    let s = gap
                        .simultaneous
                        .as_ref()
                        .map(|s| format!("simultaneous pairwise {:.3} to {:.3}; ", s.low, s.high))
                        .unwrap_or_default();
                    format!(
                        "{value:.3} ({s}bootstrap {:.3} to {:.3}{b}; {} resamples, {} groups)",
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
}

/// Every comparison with its test, raw and adjusted p and detectable difference.
fn comparisons(o: &mut String, a: &Artifact, sup: &Suppression) {
    o.push_str("## Comparisons\n\nEvery group against its reference, with the status from the protocol's triggers.\n\n");
    o.push_str("| attribute | group | metric | ratio (CI) | difference (CI) | test | p | family p | smallest detectable difference | status |\n|---|---|---|---|---|---|---|---|---|---|\n");
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
                    "| {} | {} | {} | {} | — | — | — | — | — | {} |",
                    esc(&c.attribute),
                    esc(&c.group),
                    c.metric,
                    esc(&withheld_text(a, sup, c)),
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
    pooled_comparisons(o, a, sup);
}

/// The comparisons adjusted for a second attribute (Cochran–Mantel–Haenszel).
fn adjusted_comparisons(o: &mut String, a: &Artifact, sup: &Suppression) {
    if !a.stratified.is_empty() {
        o.push_str("## Adjusted comparisons\n\nEach group against its reference within the strata of a second attribute (Cochran–Mantel–Haenszel; Mantel–Haenszel odds ratio). Supporting evidence: raw p-values, no trigger applies.\n\n");
        o.push_str("| attribute | group (vs reference) | adjusted for | metric | strata | odds ratio (CI) | p |\n|---|---|---|---|---|---|---|\n");
        for x in &a.stratified {
            let withheld = sup.stratified(x);
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
}

/// The triggers, the methods, the suppression, the actions and the sign-off.
fn record_of_run(o: &mut String, a: &Artifact, beside: &super::Beside) {
    let min = a.suppression.min_cell_size;
    o.push_str("## Triggers\n\n| id | metric | attributes | ratio band | difference band | side that harms | severity | action |\n|---|---|---|---|---|---|---|---|\n");
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
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            t.id,
            t.metric,
            esc(&attrs),
            band(&t.ratio),
            band(&t.difference),
            t.direction,
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
    design_line(o, a);
    o.push_str(status_rules(&a.schema_version));

    o.push_str("## Suppression\n\n");
    if !a.suppression.applied {
        o.push_str("Not applied: this is an internal report (`--no-suppress`).\n\n");
    }
    let _ = writeln!(
        o,
        "Cells under {min} are withheld in this report and in metrics.csv: {}.\n",
        a.suppression.rule
    );

    if let Some(log) = &beside.actions {
        actions_section(o, log);
    }
    o.push_str("## Attestation\n\n");
    let _ = writeln!(o, "{}\n", a.attestation.statement);
    match &beside.signoff {
        Some(s) => {
            let _ = writeln!(
                o,
                "Signed off by **{}** ({}) on {}: **{}**. {}\n\nThe sign-off is `attestation.json`, bound to this artifact's SHA-256{}.",
                s.reviewer,
                s.role,
                s.date,
                label(&s.decision),
                s.rationale,
                // The artifact holds every count: in a shared report its hash would confirm a
                // guess of a withheld one.
                if a.suppression.applied {
                    String::new()
                } else {
                    format!(" ({}…)", &s.artifact.sha256[..s.artifact.sha256.len().min(12)])
                }
            );
        }
        None => o.push_str("Reviewer: ____________________  Role: ____________________  Date: __________\n\nDecision: ______________________________________________\n"),
    }
}

/// A snake-case value written in words.
/// The pooled groups against their references: descriptive, with raw p-values, outside the
/// correction family; each member keeps its own status in the tables above.
fn pooled_comparisons(o: &mut String, a: &Artifact, sup: &Suppression) {
    let pools: Vec<&crate::pooling::Pool> = a
        .attributes
        .iter()
        .flat_map(|x| sup.pools(a, &x.attribute))
        .collect();
    if pools.is_empty() {
        return;
    }
    let _ = writeln!(
        o,
        "### Pooled groups\n\nGroups with a count under {} are shown pooled, so no small count can be worked out from this report; the pools are compared descriptively (raw p-values, no status). Each member keeps its own status above.\n",
        a.suppression.min_cell_size
    );
    o.push_str("| attribute | group (vs reference) | metric | group rate | reference rate | ratio (CI) | difference (CI) | p |\n|---|---|---|---|---|---|---|---|\n");
    for p in pools {
        for c in p.comparisons.iter().filter(|c| !sup.comparison(c)) {
            let _ = writeln!(
                o,
                "| {} | {} (vs {}) | {} | {} | {} | {} | {} | {} |",
                esc(&c.attribute),
                esc(&c.group),
                esc(&c.reference_group),
                metric_label(&c.metric),
                rate_of(c.numerator, c.denominator),
                rate_of(c.reference_numerator, c.reference_denominator),
                ratio_ci(&c.ratio),
                diff_ci(&c.difference),
                p_text(c.test.p_value())
            );
        }
    }
    o.push('\n');
}

pub(super) fn label<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|x| x.as_str().map(|s| s.replace('_', " ")))
        .unwrap_or_default()
}

/// The actions taken on the findings, from the actions log beside the artifact.
fn actions_section(o: &mut String, log: &crate::artifact::actions::ActionsLog) {
    o.push_str("## Actions taken\n\n| finding | status | action | owner | opened | due | evidence of effect |\n|---|---|---|---|---|---|---|\n");
    for x in &log.actions {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {} |",
            esc(&x.finding),
            label(&x.status),
            esc(&x.taken),
            esc(&x.owner),
            x.opened,
            x.due,
            x.evidence.as_deref().map_or("—".to_string(), esc)
        );
    }
    o.push('\n');
}

pub(super) fn num_ci(e: &Estimate, digits: usize) -> String {
    match e {
        Estimate::Value { value, ci } => format!(
            "{value:.digits$} ({:.digits$} to {:.digits$})",
            ci.low, ci.high
        ),
        Estimate::Undefined { reason } => format!("— ({reason})"),
    }
}

pub(super) fn score_metric_label(m: &ScoreComparisonMetric) -> &'static str {
    m.label()
}

fn score_findings_table(
    out: &mut String,
    findings: &[&ScoreFinding],
    a: &Artifact,
    sup: &Suppression,
    with_action: bool,
) {
    out.push_str("| attribute | group (vs reference) | metric | group | reference | ratio (CI) | difference (CI) | family p | why |");
    if with_action {
        out.push_str(" action |");
    }
    out.push_str("\n|---|---|---|---|---|---|---|---|---|");
    if with_action {
        out.push_str("---|");
    }
    out.push('\n');
    for f in findings {
        let c = &f.comparison;
        let hidden = sup.score_group(&c.attribute, &c.group)
            || sup.score_group(&c.attribute, &c.reference_group);
        let why = f
            .assessment
            .verdicts
            .iter()
            .filter(|v| v.status == f.assessment.status)
            .map(|v| {
                if hidden {
                    format!("{}: {WHY_WITHHELD}", v.trigger)
                } else {
                    format!("{}: {}", v.trigger, v.explanation)
                }
            })
            .collect::<Vec<_>>()
            .join("; ");
        let why = match (&f.assessment.harm, hidden) {
            (Some(h), false) => format!("{why}. {}", harm_text(h)),
            _ => why,
        };
        let digits = if c.metric == ScoreComparisonMetric::Auroc {
            3
        } else {
            2
        };
        let v = |x: Option<f64>| x.map_or("—".to_string(), |x| format!("{x:.digits$}"));
        let cells = if hidden {
            [
                "suppressed".to_string(),
                "suppressed".into(),
                "suppressed".into(),
                "suppressed".into(),
                "—".into(),
            ]
        } else {
            [
                v(c.value),
                v(c.reference_value),
                if c.metric == ScoreComparisonMetric::Auroc {
                    "—".into()
                } else {
                    ratio_ci(&c.ratio)
                },
                num_ci(&c.difference, digits),
                p_text(c.p_adjusted),
            ]
        };
        let _ = write!(
            out,
            "| {} | {} (vs {}) | {} | {} | {} | {} | {} | {} | {} |",
            esc(&c.attribute),
            esc(&c.group),
            esc(&c.reference_group),
            score_metric_label(&c.metric),
            cells[0],
            cells[1],
            cells[2],
            cells[3],
            cells[4],
            esc(&why)
        );
        if with_action {
            let actions: Vec<&str> = a
                .triggers_fired
                .iter()
                .filter(|t| t.comparison == c.id)
                .map(|t| t.action.as_str())
                .collect();
            let _ = write!(out, " {} |", esc(&actions.join("; ")));
        }
        out.push('\n');
    }
    out.push('\n');
}

/// The risk-score section: findings, discrimination and calibration by group, need at equal
/// score by bin, and the operating points. Withheld groups show no numbers.
/// How finely a counts submission's score table knows the scores: what is exact, binned, absent.
fn score_source(o: &mut String, src: &crate::metrics::scores::ScoreSource) {
    let t = &src.table;
    let _ = writeln!(
        o,
        "The scores come from a counts submission (format `{}`): scores in bins of width {}, in {} rows of which {} hold more than one score value.\n",
        t.format, t.bin_width, t.rows, t.rows_with_spread
    );
    if !src.exact.is_empty() {
        let _ = writeln!(o, "- Exact as from the rows: {}.", src.exact.join(", "));
    }
    for b in &src.binned {
        let _ = writeln!(o, "- At the bins' resolution: {}: {}.", b.analysis, b.bound);
    }
    if let Some(worst) = t
        .auroc_bounds
        .iter()
        .max_by(|x, y| x.bound.total_cmp(&y.bound))
        .filter(|b| b.bound > 0.0)
    {
        let _ = writeln!(
            o,
            "- AUROC is within {:.1e} of the rows' value for every group (the widest bound: {}, {}).",
            worst.bound, worst.attribute, worst.group
        );
    }
    for u in &src.unavailable {
        let _ = writeln!(o, "- Not available from this submission: {u}.");
    }
    o.push('\n');
}

fn score_section(o: &mut String, a: &Artifact, sc: &ScoreSection, sup: &Suppression) {
    let min = a.suppression.min_cell_size;
    o.push_str("## Risk score\n\n");
    let _ = writeln!(
        o,
        "Scale: {}. Cases with a score: {}; without one (left out of this section): {}.\n",
        if sc.scale == "probability" {
            "a probability"
        } else {
            "a ranking score (not a probability: calibration does not apply)"
        },
        sc.scored,
        sc.unscored
    );
    if let Some(src) = &sc.source {
        score_source(o, src);
    }
    if !sc.comparisons.is_empty() {
        o.push_str("### Score comparisons\n\nEach group against its reference; the p-values are corrected with the rest of the run.\n\n");
        let all: Vec<&ScoreFinding> = STATUS_ORDER
            .iter()
            .flat_map(|s| {
                sc.comparisons
                    .iter()
                    .filter(move |f| f.assessment.status == *s)
            })
            .collect();
        score_findings_table(o, &all, a, sup, false);
        o.push_str("| attribute | group | metric | smallest detectable difference | status |\n|---|---|---|---|---|\n");
        for f in &all {
            let c = &f.comparison;
            let hidden = sup.score_group(&c.attribute, &c.group)
                || sup.score_group(&c.attribute, &c.reference_group);
            let d = match (hidden, c.detectable.difference) {
                (true, _) => "withheld".to_string(),
                (false, Some(d)) => format!("±{d:.3}"),
                (false, None) => "none".into(),
            };
            let _ = writeln!(
                o,
                "| {} | {} | {} | {d} | {} |",
                esc(&c.attribute),
                esc(&c.group),
                c.metric,
                f.assessment.status.name()
            );
        }
        o.push('\n');
    }
    let any = |f: &dyn Fn(&crate::metrics::scores::ScoreGroup) -> bool| {
        sc.attributes.iter().flat_map(|x| &x.groups).any(f)
    };
    if any(&|g| g.auroc.is_some() || g.calibration.is_some() || g.average_precision.is_some()) {
        o.push_str("### Discrimination and calibration by group\n\n");
        o.push_str("AUROC: the chance that a case with the outcome scores above one without it (0.5 = chance; DeLong interval). Average precision: the area under the precision–recall curve. O/E: observed over expected outcomes (above 1: the score under-predicts in this group). Calibration-in-the-large: 0 is ideal. Slope: 1 is ideal; under 1, the scores are too extreme.\n\n");
        o.push_str("| attribute | group | cases | with outcome | AUROC (CI) | average precision (CI) | O/E (CI) | calibration-in-the-large (CI) | slope (CI) | Brier | ECE |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
        for x in &sc.attributes {
            for g in &x.groups {
                if sup.score_group(&x.attribute, &g.group) {
                    let _ = writeln!(o, "| {} | {} | suppressed | suppressed | suppressed | suppressed | suppressed | suppressed | suppressed | — | — |", esc(&x.attribute), esc(&g.group));
                    continue;
                }
                let opt = |e: &Option<Estimate>, d: usize| {
                    e.as_ref().map_or("—".to_string(), |e| num_ci(e, d))
                };
                let (oe, citl, slope, brier, ece) = match &g.calibration {
                    Some(c) => (
                        num_ci(&c.observed_expected, 2),
                        num_ci(&c.calibration_in_the_large, 2),
                        num_ci(&c.slope, 2),
                        format!("{:.4}", c.brier),
                        c.expected_calibration_error
                            .map_or("—".into(), |e| format!("{e:.4}")),
                    ),
                    None => ("—".into(), "—".into(), "—".into(), "—".into(), "—".into()),
                };
                let _ = writeln!(
                    o,
                    "| {} | {}{} | {} | {} | {} | {} | {oe} | {citl} | {slope} | {brier} | {ece} |",
                    esc(&x.attribute),
                    esc(&g.group),
                    if g.is_reference { " (reference)" } else { "" },
                    g.n,
                    g.positives,
                    opt(&g.auroc, 3),
                    opt(&g.average_precision, 3),
                );
            }
        }
        o.push('\n');
        // Reliability: observed against predicted by score bin, for the groups shown.
        let mut rel = String::new();
        for x in &sc.attributes {
            for g in &x.groups {
                let Some(c) = &g.calibration else { continue };
                if sup.score_group(&x.attribute, &g.group) {
                    continue;
                }
                let cells: Vec<String> = c
                    .bins
                    .iter()
                    .filter(|b| b.n > 0)
                    .map(|b| {
                        let small = |k: u64| k > 0 && k < min;
                        if small(b.n) || small(b.events) || small(b.n - b.events) {
                            format!("{:.1}–{:.1}: withheld", b.low, b.high)
                        } else {
                            format!(
                                "{:.1}–{:.1}: {} observed vs {} predicted",
                                b.low,
                                b.high,
                                pct(b.events as f64 / b.n as f64),
                                pct(b.mean_score.unwrap_or(0.0))
                            )
                        }
                    })
                    .collect();
                let _ = writeln!(
                    rel,
                    "- {} / {}: {}",
                    esc(&x.attribute),
                    esc(&g.group),
                    cells.join("; ")
                );
            }
        }
        if !rel.is_empty() {
            let _ = writeln!(
                o,
                "Reliability by score bin (bins with a count under {min} withheld):\n\n{rel}"
            );
        }
    }
    if any(&|g| g.need.is_some()) {
        o.push_str("### Need at equal score\n\n");
        o.push_str("Mean of the measure of need within equal-score bins (bin 1 = lowest scores; each bin holds about the same number of cases, fewer where ties or a counts submission's score bins keep cases together). If one group is sicker than the reference at the same score, the score under-ranks that group's need: the label the score was trained on is a biased proxy for need.\n\n");
        if !sc.equal_score_bins.is_empty() {
            let edges: Vec<String> = sc
                .equal_score_bins
                .iter()
                .map(|e| e.map_or("— (empty)".into(), |e| format!("{e:.4}")))
                .collect();
            let _ = writeln!(o, "Upper score edge of each bin: {}.\n", edges.join(", "));
        }
        for x in &sc.attributes {
            let shown: Vec<&crate::metrics::scores::ScoreGroup> = x
                .groups
                .iter()
                .filter(|g| g.need.is_some() && !sup.score_group(&x.attribute, &g.group))
                .collect();
            if shown.is_empty() {
                continue;
            }
            let _ = writeln!(o, "**{}** (reference {}): mean need (95% CI) [cases]; for other groups, the difference from the reference in the same bin.\n", esc(&x.attribute), esc(&x.reference_group));
            o.push_str("| bin |");
            for g in &shown {
                let _ = write!(o, " {} |", esc(&g.group));
            }
            o.push_str("\n|---|");
            for _ in &shown {
                o.push_str("---|");
            }
            o.push('\n');
            let bins = shown[0].need.as_ref().map_or(0, |n| n.bins.len());
            for b in 0..bins {
                let _ = write!(o, "| {} |", b + 1);
                for g in &shown {
                    let nb = &g.need.as_ref().expect("need").bins[b];
                    if nb.n > 0 && nb.n < min {
                        o.push_str(" withheld |");
                        continue;
                    }
                    let mean = match &nb.mean {
                        Estimate::Value { value, ci } => {
                            format!("{value:.2} ({:.2}–{:.2})", ci.low, ci.high)
                        }
                        Estimate::Undefined { .. } => "—".into(),
                    };
                    let diff = match &nb.difference {
                        Some(Estimate::Value { value, .. }) => format!("; {value:+.2}"),
                        _ => String::new(),
                    };
                    let _ = write!(o, " {mean} [{}]{diff} |", nb.n);
                }
                o.push('\n');
            }
            o.push('\n');
        }
    }
    operating_points(o, a, sc, sup);
}

/// The operating points: what each other cut-off would select, by group.
fn operating_points(o: &mut String, a: &Artifact, sc: &ScoreSection, sup: &Suppression) {
    if sc.operating_points.is_empty() {
        return;
    }
    o.push_str("### Operating points: what another cut-off would change\n\nAnalysis for the quality committee, not a recommendation: the selection each rule would make, overall and by group (Wilson intervals), beside the tool's own decision. Group-specific cut-offs would treat patients differently by a protected characteristic and are not what this table proposes. For a top-k% rule with a measure of need, 'share selected by need' is each group's share of those selected by need instead (the top k% of need, ties included). With a measure of need, the last two columns give the mean need of each group's selected patients (Student's t interval) and its difference from the reference group's selected (Welch's interval and p, descriptive): a positive difference says the group's selected patients are sicker on average; it also reflects how far above the cut-off each group's scores lie, so read it with need at equal score.\n\n");
    let current = a
        .sufficient_statistics
        .first()
        .map(|x| {
            x.groups
                .iter()
                .map(|g| g.counts.tp + g.counts.fp)
                .sum::<u64>()
        })
        .unwrap_or(0);
    for (oi, op) in sc.operating_points.iter().enumerate() {
        let title = if op.rule == "threshold" {
            format!("Score at or above {}", op.value)
        } else {
            format!(
                "Top {}% of scores (score at or above {:.4})",
                op.value, op.cutoff
            )
        };
        // Counts of patients, like cells: none from 1 to the minimum less one is printed.
        let min = a.suppression.min_cell_size as i64;
        let count = |k: i64| {
            if a.suppression.applied && k.abs() > 0 && k.abs() < min {
                format!("{}fewer than {min}", if k < 0 { "−" } else { "+" })
            } else {
                format!("{k:+}")
            }
        };
        let _ = writeln!(
            o,
            "**{title}**: {} selected, {} patients against the tool's decision ({} selected).\n",
            count(op.selected as i64).trim_start_matches('+'),
            count(op.selected as i64 - current as i64),
            count(current as i64).trim_start_matches('+')
        );
        let with_need = op
            .attributes
            .iter()
            .flat_map(|x| &x.groups)
            .any(|g| g.need_among_selected.is_some());
        o.push_str("| attribute | group | selected | selection rate (CI) | TPR (CI) | FPR (CI) | PPV (CI) | share of selected (CI) | share selected by need (CI) |");
        o.push_str(if with_need {
            " mean need of the selected (CI) | vs reference (CI) |\n|---|---|---|---|---|---|---|---|---|---|---|\n"
        } else {
            "\n|---|---|---|---|---|---|---|---|---|\n"
        });
        for x in &op.attributes {
            for g in &x.groups {
                if sup.operating_group(oi, &x.attribute, &g.group) {
                    let _ = writeln!(
                        o,
                        "| {} | {} | withheld | | | | | | |",
                        esc(&x.attribute),
                        esc(&g.group)
                    );
                    continue;
                }
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                    esc(&x.attribute),
                    esc(&g.group),
                    g.selected,
                    rate_ci(&g.selection_rate),
                    rate_ci(&g.tpr),
                    rate_ci(&g.fpr),
                    rate_ci(&g.ppv),
                    rate_ci(&g.share_of_selected),
                    g.share_of_need_selected
                        .as_ref()
                        .map_or("—".into(), rate_ci)
                );
                if with_need {
                    o.pop();
                    let _ = writeln!(o, " {} |", need_at_selection_cells(g));
                }
            }
        }
        o.push('\n');
    }
}

/// The mean need of a group's selected patients at an operating point, and its difference from
/// the reference group's, as two table cells.
fn need_at_selection_cells(g: &crate::metrics::scores::OperatingGroup) -> String {
    let mean = match &g.need_among_selected {
        Some(Estimate::Value { value, ci }) => {
            format!("{value:.2} ({:.2} to {:.2})", ci.low, ci.high)
        }
        // The reason (too few values) would tell a count: none is given.
        Some(Estimate::Undefined { .. }) | None => "—".into(),
    };
    let diff = match (&g.need_among_selected_difference, g.need_among_selected_p) {
        (Some(Estimate::Value { value, ci }), p) => format!(
            "{value:+.2} ({:+.2} to {:+.2}), p {}",
            ci.low,
            ci.high,
            p_text(p)
        ),
        (Some(Estimate::Undefined { .. }), _) => "—".into(),
        (None, _) => "reference".into(),
    };
    format!("{mean} | {diff}")
}
