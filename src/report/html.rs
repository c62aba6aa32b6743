//! `report.html`: the report as a practice manager reads it on screen or on paper. One file, no
//! script, no network: inline CSS, inline SVG figures. The first screen renders the same view as
//! report.md; the figures follow; the detailed tables are report.md's own, converted, so the two
//! never disagree. Every string from the protocol or the data is escaped.

use std::fmt::Write;

use super::figures;
use super::plots;
use super::view::{status_mark, ActItem, View};
use super::{Beside, Suppression};
use crate::artifact::Artifact;
use crate::triggers::Status;

/// Escape text for HTML (and XML: the file is also well-formed XML).
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

pub(crate) const CSS: &str = include_str!("report.css");

fn class(s: Status) -> &'static str {
    match s {
        Status::Remediate => "remediate",
        Status::Monitor => "monitor",
        Status::InsufficientData => "insufficient",
        Status::Pass => "pass",
        Status::NotAssessed => "na",
    }
}

fn badge(s: Status) -> String {
    format!(
        "<span class=\"badge {}\">{}</span>",
        class(s),
        status_mark(s)
    )
}

/// The report as one HTML document.
pub fn html(a: &Artifact, beside: &Beside) -> String {
    let v = super::view::build(a, beside);
    let sup = Suppression::from_artifact(a);
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\" />\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\" />\n<title>{}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n",
        esc(&v.title)
    );
    header(&mut o, &v);
    act(&mut o, &v);
    grid(&mut o, &v);
    coverage(&mut o, &v);
    too_few(&mut o, &v);
    figures_section(&mut o, a, &sup);
    help(&mut o);
    details(&mut o, a, beside);
    o.push_str("</body>\n</html>\n");
    o
}

fn header(o: &mut String, v: &View) {
    let _ = writeln!(o, "<header>\n<h1>{}</h1>", esc(&v.title));
    if v.internal {
        o.push_str("<p class=\"internal\">Internal: small cells are not suppressed in this report. Do not share it outside the organisation.</p>\n");
    }
    let _ = writeln!(
        o,
        "<p class=\"result\">{} {}</p>\n<table class=\"facts\">",
        badge(v.overall),
        esc(&v.headline)
    );
    for (k, x) in &v.facts {
        let _ = writeln!(
            o,
            "<tr><th scope=\"row\">{}</th><td>{}</td></tr>",
            esc(k),
            esc(x)
        );
    }
    o.push_str("</table>\n<p class=\"counts\">");
    let parts: Vec<String> = v
        .counts
        .iter()
        .map(|(s, n)| format!("{} {n}", badge(*s)))
        .collect();
    o.push_str(&parts.join(" "));
    o.push_str("</p>\n</header>\n");
}

fn act(o: &mut String, v: &View) {
    o.push_str("<section id=\"act\">\n<h2>Findings to act on</h2>\n");
    if v.act.is_empty() {
        o.push_str("<p>None: no finding needs remediation or monitoring.</p>\n</section>\n");
        return;
    }
    o.push_str("<table class=\"act\">\n<tr><th>status</th><th>metric</th><th>what it means</th><th>group</th><th>reference</th><th>difference (95% CI)</th><th>action, owner, due</th></tr>\n");
    for g in &v.act {
        let _ = writeln!(
            o,
            "<tr class=\"affected\"><th colspan=\"7\">{} <span class=\"attr\">({})</span></th></tr>",
            esc(&g.group),
            esc(&g.attribute)
        );
        for i in &g.items {
            item(o, i);
        }
    }
    o.push_str("</table>\n</section>\n");
}

fn item(o: &mut String, i: &ActItem) {
    let mut todo: Vec<String> = i.actions.iter().map(|x| esc(x)).collect();
    todo.push(format!(
        "<em>Owner:</em> {}; <em>due:</em> {}",
        esc(&i.owner),
        esc(&i.due)
    ));
    if let Some(t) = &i.trend {
        todo.push(format!("<em>Trend:</em> {}", esc(t)));
    }
    let _ = writeln!(
        o,
        "<tr class=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}<br />{}</td><td>{}<br /><small>ratio {}</small></td><td>{}</td></tr>",
        class(i.status),
        badge(i.status),
        esc(&i.metric),
        i.harm.as_deref().map(esc).unwrap_or_default(),
        esc(&i.group_value),
        esc(&i.reference),
        esc(&i.reference_value),
        esc(&i.difference),
        esc(&i.ratio),
        todo.join("<br />")
    );
}

fn grid(o: &mut String, v: &View) {
    o.push_str("<section id=\"grid\">\n<h2>Status by group and metric</h2>\n<p class=\"legend\">");
    for s in [
        Status::Remediate,
        Status::Monitor,
        Status::InsufficientData,
        Status::Pass,
    ] {
        let _ = write!(o, "{} ", badge(s));
    }
    o.push_str("</p>\n");
    for t in &v.grid {
        let _ = write!(
            o,
            "<table class=\"grid\"><caption>{} (against {})</caption><tr><th>group</th>",
            esc(&t.attribute),
            esc(&t.reference)
        );
        for m in &t.metrics {
            let _ = write!(o, "<th>{}</th>", esc(m));
        }
        o.push_str("</tr>\n");
        for (g, cells) in &t.rows {
            let _ = write!(o, "<tr><th scope=\"row\">{}</th>", esc(g));
            for c in cells {
                match c {
                    Some(s) => {
                        let _ = write!(o, "<td class=\"{}\">{}</td>", class(*s), status_mark(*s));
                    }
                    None => o.push_str("<td></td>"),
                }
            }
            o.push_str("</tr>\n");
        }
        o.push_str("</table>\n");
        for p in &t.pools {
            let _ = writeln!(
                o,
                "<p class=\"note\">Small groups are also shown together as <em>{}</em> in the detailed tables, where that gives no small count away.</p>",
                esc(p)
            );
        }
    }
    o.push_str("</section>\n");
}

fn coverage(o: &mut String, v: &View) {
    o.push_str("<section id=\"coverage\">\n<h2>Classes of Section 1557 tested</h2>\n<table><tr><th>class</th><th>tested</th><th>by or why not</th></tr>\n");
    for c in &v.coverage {
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&c.class),
            esc(&c.status),
            esc(&c.detail)
        );
    }
    o.push_str("</table>\n</section>\n");
}

fn too_few(o: &mut String, v: &View) {
    if v.too_few.is_empty() {
        return;
    }
    o.push_str("<section id=\"too-few\">\n<h2>Too few to judge: what it would take</h2>\n<p>The cases a rate is over (all patients for the selection rate, patients with the outcome for the TPR…) at which a group with no gap would be shown inside the band (a pass) with the protocol's power: the power of the one-sided test at the interval's level (2.5% a side for a 95% interval) at the band's edge. Pooling quarters under the same protocol adds cases: the last column is how many quarters like this one would (at most; the reference grows too).</p>\n<table><tr><th>group</th><th>metric</th><th>cases now</th><th>cases needed</th><th>quarters to pool</th></tr>\n");
    for t in &v.too_few {
        let _ = writeln!(
            o,
            "<tr><td>{} <span class=\"attr\">({})</span></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&t.group),
            esc(&t.attribute),
            esc(&t.metric),
            t.has.map_or("withheld".to_string(), |n| n.to_string()),
            t.needs
                .map_or("not reachable with this reference".to_string(), |n| format!("about {n}")),
            t.quarters().map_or("—".to_string(), |q| q.to_string())
        );
    }
    o.push_str("</table>\n</section>\n");
}

/// An SVG from plotters, without an XML declaration, to sit inside the page.
fn inline_svg(s: &str) -> &str {
    match s.find("<svg") {
        Some(i) => &s[i..],
        None => s,
    }
}

fn figures_section(o: &mut String, a: &Artifact, sup: &Suppression) {
    o.push_str("<section id=\"figures\">\n<h2>Each group against its reference</h2>\n<p>Each row is a group; the dot is its ratio or difference to the reference group, the line its 95% interval, the shaded band the protocol's tolerance. Marker: ■ remediate, ▲ monitor, ● pass, ○ too few to judge, ◇ a pooled group (descriptive).</p>\n");
    for f in figures::forests(a, sup) {
        let _ = writeln!(o, "<figure>{}</figure>", inline_svg(&plots::forest_svg(&f)));
    }
    let heats = figures::heats(a, sup);
    if !heats.is_empty() {
        o.push_str("<h2>Intersectional groups</h2>\n<p>Each cell is the group's difference from the reference in percentage points, with its status letter.</p>\n");
        for h in heats {
            let _ = writeln!(o, "<figure>{}</figure>", inline_svg(&plots::heat_svg(&h)));
        }
    }
    let rel = figures::reliability(a, sup);
    if !rel.is_empty() {
        o.push_str("<h2>Is the risk score right for each group?</h2>\n<p>Observed outcome rate against the score's predicted risk, by group; on the diagonal the score is right. Bins with a count under the minimum are left out.</p>\n<div class=\"row\">");
        for r in rel {
            let _ = write!(
                o,
                "<figure>{}</figure>",
                inline_svg(&plots::reliability_svg(&r))
            );
        }
        o.push_str("</div>\n");
    }
    let roc = figures::roc(a, sup);
    if !roc.is_empty() {
        o.push_str("<h2>Does the score rank each group's patients as well?</h2>\n<p>True-positive rate (share of patients with the outcome flagged) against false-positive rate (share without it flagged), by group, at the protocol's operating points, joined from no one flagged to everyone flagged; the higher and further left, the better the score separates. The AUROC in the legend is the area under each group's full curve. The curve goes only through the cut-offs the tables show: an empirical curve through every score would give away counts of a patient or two.</p>\n<div class=\"row\">");
        for r in roc {
            let _ = write!(o, "<figure>{}</figure>", inline_svg(&plots::roc_svg(&r)));
        }
        o.push_str("</div>\n");
    }
    let need = figures::need(a, sup);
    if !need.is_empty() {
        o.push_str("<h2>Need at equal score</h2>\n<p>Mean need (the protocol's measure, with its 95% interval) in each equal-score bin, by group. At the same score, a group with more need is one the score under-serves: its risk is under-stated.</p>\n<div class=\"row\">");
        for n in need {
            let _ = write!(o, "<figure>{}</figure>", inline_svg(&plots::need_svg(&n)));
        }
        o.push_str("</div>\n");
    }
    o.push_str("</section>\n");
}

fn help(o: &mut String) {
    o.push_str("<section id=\"help\">\n<h2>How to read this report</h2>\n<dl>");
    for (k, x) in super::help::STATUSES
        .iter()
        .chain(super::help::METRICS.iter())
    {
        let _ = write!(o, "<dt>{}</dt><dd>{}</dd>", esc(k), esc(x));
    }
    let _ = write!(
        o,
        "</dl>\n<p>{}</p>\n</section>\n",
        esc(super::help::TRADE_OFF)
    );
}

/// The detailed sections of report.md (from "About this test" on), as HTML. Raw HTML in the
/// Markdown (there is none by design; a protocol string could hold some) is shown as text.
fn details(o: &mut String, a: &Artifact, beside: &Beside) {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    let md = super::markdown::details(a, beside);
    // Raw HTML, links and images from a protocol or data string become text: the page fetches
    // nothing and runs nothing.
    let parser = Parser::new_ext(&md, Options::ENABLE_TABLES).filter_map(|e| match e {
        Event::Html(t) | Event::InlineHtml(t) => Some(Event::Text(t)),
        Event::Start(Tag::Link { .. } | Tag::Image { .. })
        | Event::End(TagEnd::Link | TagEnd::Image) => None,
        e => Some(e),
    });
    o.push_str("<section id=\"details\">\n");
    pulldown_cmark::html::push_html(o, parser);
    o.push_str("</section>\n");
}
