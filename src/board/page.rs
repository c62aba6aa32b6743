//! board.html: the board packet, self-contained (inline CSS and SVG, no script, no network),
//! printable, status in symbols and words as well as colour. The same view as board.md.

use std::fmt::Write;

use crate::protocol::record::ProtectedClass;
use crate::report::html::{esc, CSS};
use crate::triggers::Status;

use super::markdown::{band_text, cell_text, class_name, quarters, status_words, LISTED};
use super::view::{self, Cell};
use super::{Board, SignState};

const BOARD_CSS: &str = ".tiles { display: flex; flex-wrap: wrap; gap: 0.5rem; margin: 0.6rem 0; }
.tile { border: 1.5px solid #444; border-radius: 4px; padding: 0.3rem 0.6rem; min-width: 9rem; }
.tile b { display: block; font-size: 1.35rem; }
td.overdue, span.overdue { font-weight: bold; color: #b2182b; }
td.gap { background: #fff; color: #555; font-style: italic; }
.bad { font-weight: bold; color: #b2182b; }
#sources code { word-break: break-all; font-size: 0.75rem; }
table.board td { white-space: normal; min-width: 6.5rem; }
table.board small { color: #444; }
@media print { table { break-inside: avoid; } h3, .attr { break-after: avoid; } }
";

pub fn html(b: &Board) -> String {
    let mut o = String::new();
    let title = format!(
        "Decision-support tools and Section 1557: board report, {}",
        b.quarter
    );
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\" />\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\" />\n<title>{}</title>\n<style>\n{CSS}{BOARD_CSS}</style>\n</head>\n<body>\n<header>\n<h1>{}</h1>\n<p>{} · as of {} · inventory <code>{}</code> · every figure from the artifacts listed under Sources, small cells suppressed</p>\n<div class=\"tiles\">",
        esc(&title),
        esc(&title),
        esc(&b.organisation),
        b.as_of,
        esc(&b.inventory_file)
    );
    for (v, what) in view::tiles(b) {
        let _ = write!(
            o,
            "<div class=\"tile\"><b>{}</b>{}</div>",
            esc(&v),
            esc(&what)
        );
    }
    let _ = writeln!(
        o,
        "</div>\n<p class=\"result\">{}</p>\n</header>",
        esc(&view::summary(b).join(" "))
    );
    grid(&mut o, b);
    changes(&mut o, b);
    actions(&mut o, b);
    series(&mut o, b);
    gaps(&mut o, b);
    signoffs(&mut o, b);
    sources(&mut o, b);
    o.push_str("</body>\n</html>\n");
    o
}

fn cell_td(c: &Cell) -> String {
    let (class, body) = match c {
        Cell::Tested {
            status,
            trend,
            withheld,
        } => {
            let class = match status {
                Status::Remediate => "remediate",
                Status::Monitor => "monitor",
                Status::InsufficientData => "insufficient",
                Status::Pass => "pass",
                Status::NotAssessed => "na",
            };
            let mut body = format!("<b>{}</b>", esc(crate::report::view::status_mark(*status)));
            if let Some(t) = trend {
                let _ = write!(body, "<br />{}", t.mark());
            }
            if *withheld {
                body.push_str("<br /><small>numbers withheld</small>");
            }
            (class, body)
        }
        other => ("gap", esc(&cell_text(other))),
    };
    format!("<td class=\"{class}\">{body}</td>")
}

fn grid(o: &mut String, b: &Board) {
    let srcs = view::sources(b);
    let rows = view::rows(b, &srcs);
    o.push_str("<section id=\"grid\">\n<h2>Status by tool and protected class</h2>\n<p>Each cell: the most serious status of the class's findings this quarter (✖ remediate, ▲ monitor, ? too few to judge, ✔ pass), and the change since the tool's previous test (↑ worse, ↓ better, → same; ≠ changed to or from too few to judge, neither better nor worse).</p>\n<table class=\"grid board\">\n<tr><th>tool</th>");
    for c in ProtectedClass::ALL {
        let _ = write!(o, "<th>{}</th>", esc(&class_name(c)));
    }
    o.push_str("</tr>\n");
    for r in &rows {
        let _ = write!(
            o,
            "<tr><th>{}<br /><span class=\"attr\">{}</span></th>",
            esc(&r.t.tool.name),
            esc(r.t.tool.kind.as_deref().unwrap_or("decision support"))
        );
        for c in &r.cells {
            o.push_str(&cell_td(c));
        }
        o.push_str("</tr>\n");
    }
    o.push_str("</table>\n<h3>Testing, sign-off and human oversight</h3>\n<table>\n<tr><th>tool</th><th>owner</th><th>last tested</th><th>next due</th><th>sign-off</th><th>verification</th><th>source</th><th>human oversight</th></tr>\n");
    for r in &rows {
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td{}>{}{}</td><td>{}</td><td{}>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&r.t.tool.name),
            esc(&r.t.tool.owner),
            r.last_tested.as_deref().unwrap_or("never"),
            if r.overdue { " class=\"overdue\"" } else { "" },
            r.next_due.as_deref().unwrap_or("now"),
            if r.overdue { " overdue" } else { "" },
            esc(&r.signed),
            if r.verified.starts_with("NOT") { " class=\"bad\"" } else { "" },
            esc(&r.verified),
            r.source.as_deref().unwrap_or("—"),
            esc(&r.checkpoint)
        );
    }
    o.push_str("</table>\n</section>\n");
}

fn changes(o: &mut String, b: &Board) {
    let ch = view::changes(b);
    o.push_str("<section id=\"changes\">\n<h2>Since the previous test</h2>\n");
    for (title, list) in view::change_groups(&ch) {
        let _ = writeln!(o, "<h3>{title}: {}</h3>", list.len());
        if list.is_empty() {
            continue;
        }
        o.push_str("<ul>");
        for c in list.iter().take(LISTED) {
            let _ = write!(o, "<li>{}</li>", esc(&view::change_text(c)));
        }
        if list.len() > LISTED {
            let _ = write!(
                o,
                "<li>and {} more (each tool's report lists them)</li>",
                list.len() - LISTED
            );
        }
        o.push_str("</ul>\n");
    }
    o.push_str("</section>\n");
}

fn actions(o: &mut String, b: &Board) {
    let open = view::open_actions(b);
    o.push_str("<section id=\"actions\">\n<h2>Open actions</h2>\n");
    if open.is_empty() {
        o.push_str("<p>None.</p>\n");
    } else {
        o.push_str("<table>\n<tr><th>tool</th><th>finding</th><th>action</th><th>owner</th><th>due</th><th>status</th><th>source</th></tr>\n");
        let srcs = view::sources(b);
        for a in &open {
            let _ = writeln!(
                o,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td{}>{}{}</td><td>{}</td><td>{}</td></tr>",
                esc(a.tool),
                esc(&a.action.finding),
                esc(&a.action.taken),
                esc(&a.action.owner),
                if a.overdue { " class=\"overdue\"" } else { "" },
                esc(&a.action.due),
                if a.overdue { " overdue" } else { "" },
                status_words(a.action.status),
                view::source_ref(&srcs, a.run)
            );
        }
        o.push_str("</table>\n");
    }
    let un = view::unacted(b);
    if !un.is_empty() {
        o.push_str("<h3>Findings to remediate with no action open</h3>\n<ul>");
        for (tool, f) in un {
            let _ = write!(
                o,
                "<li><b>{}</b>: {} vs {}, {}</li>",
                esc(tool),
                esc(&f.group),
                esc(&f.reference_group),
                esc(&view::metric_words(&f.metric))
            );
        }
        o.push_str("</ul>\n");
    }
    o.push_str("</section>\n");
}

fn series(o: &mut String, b: &Board) {
    let all = view::series(b);
    if all.is_empty() {
        return;
    }
    let qs = quarters(&all);
    o.push_str("<section id=\"trends\">\n<h2>Key findings over the quarters</h2>\n<p>Each tool's findings to remediate (in any quarter), or else to monitor: the dot is the estimate against the reference group, the line its 95% interval, the shaded band the protocol's tolerance; the letter is the status (R remediate, M monitor, ? too few to judge, P pass).</p>\n");
    for t in &b.tools {
        let mine: Vec<&view::Series> = all.iter().filter(|s| s.tool == t.tool.name).collect();
        if mine.is_empty() {
            continue;
        }
        let _ = write!(o, "<h3>{}</h3>\n<p class=\"attr\">", esc(&t.tool.name));
        let bands: Vec<String> = mine
            .iter()
            .map(|s| format!("{}: {}", s.label, band_text(s)))
            .collect();
        let srcs = view::sources(b);
        let refs: Vec<String> = t
            .runs
            .iter()
            .filter(|r| r.quarter <= b.quarter)
            .map(|r| format!("{} {}", r.quarter, view::source_ref(&srcs, r)))
            .collect();
        let _ = writeln!(
            o,
            "{}. From {}.</p>",
            esc(&bands.join("; ")),
            refs.join(", ")
        );
        let svg = super::plots::tool_svg(&mine, &qs);
        let svg = svg.find("<svg").map_or(svg.as_str(), |i| &svg[i..]);
        let _ = writeln!(o, "<figure>{svg}</figure>");
    }
    o.push_str("</section>\n");
}

fn gaps(o: &mut String, b: &Board) {
    o.push_str("<section id=\"gaps\">\n<h2>Coverage gaps</h2>\n");
    let g = view::gaps(b);
    if g.is_empty() {
        o.push_str("<p>None: every tool tested on every class, on time.</p>\n</section>\n");
        return;
    }
    o.push_str("<table>\n<tr><th>tool</th><th>gap</th><th>why</th></tr>\n");
    for x in g {
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&x.tool),
            esc(&x.what),
            esc(&x.why)
        );
    }
    o.push_str("</table>\n</section>\n");
}

fn signoffs(o: &mut String, b: &Board) {
    let _ = write!(o, "<section id=\"signoffs\">\n<h2>Sign-offs ({})</h2>\n<table>\n<tr><th>tool</th><th>reviewer</th><th>role</th><th>date</th><th>decision</th><th>rationale</th></tr>\n", b.quarter);
    for t in &b.tools {
        let Some(r) = t.at(b.quarter) else { continue };
        match &r.signoff {
            SignState::Signed(s) => {
                let _ = writeln!(
                    o,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&t.tool.name),
                    esc(&s.reviewer),
                    esc(&s.role),
                    esc(&s.date),
                    view::decision(s.decision),
                    esc(&s.rationale)
                );
            }
            other => {
                let _ = writeln!(
                    o,
                    "<tr><td>{}</td><td colspan=\"5\" class=\"bad\">{}</td></tr>",
                    esc(&t.tool.name),
                    esc(&view::sign_text(other))
                );
            }
        }
    }
    o.push_str("</table>\n</section>\n");
}

fn sources(o: &mut String, b: &Board) {
    o.push_str("<section id=\"sources\">\n<h2>Sources</h2>\n<p>Each artifact read, recomputed from its own sufficient statistics (as <code>s1557 verify</code> does), with its SHA-256.</p>\n<table>\n<tr><th>ref</th><th>tool</th><th>quarter</th><th>artifact</th><th>SHA-256</th><th>protocol</th><th>cases</th><th>verification</th></tr>\n");
    let srcs = view::sources(b);
    for r in &srcs {
        let a = &r.artifact;
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td><code>{}</code></td><td>{} {}</td><td>{}</td><td{}>{}</td></tr>",
            view::source_ref(&srcs, r),
            esc(&a.tool.name),
            r.quarter,
            esc(&r.path.display().to_string()),
            r.sha256,
            esc(&a.protocol.name),
            esc(&a.protocol.version),
            a.data.cases,
            if r.differences > 0 { " class=\"bad\"" } else { "" },
            esc(&view::verified_text(r))
        );
    }
    o.push_str("</table>\n</section>\n");
}
