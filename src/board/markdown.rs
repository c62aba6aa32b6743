//! board.md and board.csv.

use std::fmt::Write;

use crate::protocol::record::ProtectedClass;
use crate::report::markdown::esc;
use crate::report::view::status_mark;

use super::view::{self, Cell};
use super::{Board, SignState};

pub fn cell_text(c: &Cell) -> String {
    match c {
        Cell::Tested {
            status,
            trend,
            withheld,
        } => {
            let mut s = status_mark(*status).to_string();
            if let Some(t) = trend {
                let _ = write!(s, " {}", t.mark());
            }
            if *withheld {
                s.push_str(" (numbers withheld)");
            }
            s
        }
        Cell::NotTested { status, .. } => esc(&status.replace('_', " ")),
        Cell::NoArtifact => "no test".into(),
        Cell::NotTestable => "not testable".into(),
    }
}

pub fn class_name(c: ProtectedClass) -> String {
    c.name().replace('_', " ")
}

pub fn markdown(b: &Board) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "# Decision-support tools and Section 1557: board report, {}\n\n{} · as of {} · inventory `{}` · every figure from the artifacts listed under Sources, small cells suppressed\n",
        b.quarter,
        esc(&b.organisation),
        b.as_of,
        esc(&b.inventory_file)
    );
    for (v, what) in view::tiles(b) {
        let _ = writeln!(o, "- **{v}** {what}");
    }
    let _ = writeln!(o, "\n{}\n", esc(&view::summary(b).join(" ")));
    grid(&mut o, b);
    changes(&mut o, b);
    actions(&mut o, b);
    series(&mut o, b);
    gaps(&mut o, b);
    signoffs(&mut o, b);
    sources(&mut o, b);
    o
}

fn grid(o: &mut String, b: &Board) {
    let srcs = view::sources(b);
    let rows = view::rows(b, &srcs);
    o.push_str("## Status by tool and protected class\n\nEach cell: the most serious status of the class's findings this quarter, and the change since the tool's previous test (↑ worse, ↓ better, → same; ≠ changed to or from too few to judge, neither better nor worse).\n\n| tool | ");
    for c in ProtectedClass::ALL {
        let _ = write!(o, "{} | ", class_name(c));
    }
    o.push_str("\n|---|");
    o.push_str(&"---|".repeat(ProtectedClass::ALL.len()));
    o.push('\n');
    for r in &rows {
        let _ = write!(o, "| **{}** | ", esc(&r.t.tool.name));
        for c in &r.cells {
            let _ = write!(o, "{} | ", cell_text(c));
        }
        o.push('\n');
    }
    o.push_str("\n### Testing, sign-off and human oversight\n\n| tool | owner | last tested | next due | sign-off | verification | source | human oversight |\n|---|---|---|---|---|---|---|---|\n");
    for r in &rows {
        let _ = writeln!(
            o,
            "| **{}** | {} | {} | {}{} | {} | {} | {} | {} |",
            esc(&r.t.tool.name),
            esc(&r.t.tool.owner),
            r.last_tested.as_deref().unwrap_or("never"),
            r.next_due.as_deref().unwrap_or("now"),
            if r.overdue { " **overdue**" } else { "" },
            r.signed,
            r.verified,
            r.source.as_deref().unwrap_or("—"),
            esc(&r.checkpoint)
        );
    }
    o.push('\n');
}

/// How many changes of each kind the board lists by name; the rest are counted.
pub const LISTED: usize = 6;

fn changes(o: &mut String, b: &Board) {
    let ch = view::changes(b);
    o.push_str("## Since the previous test\n\n");
    for (title, list) in view::change_groups(&ch) {
        let _ = writeln!(
            o,
            "**{title}:**{}\n",
            if list.is_empty() { " none" } else { "" }
        );
        for c in list.iter().take(LISTED) {
            let _ = writeln!(o, "- {}", esc(&view::change_text(c)));
        }
        if list.len() > LISTED {
            let _ = writeln!(
                o,
                "- and {} more (each tool's report lists them)",
                list.len() - LISTED
            );
        }
        if !list.is_empty() {
            o.push('\n');
        }
    }
}

fn actions(o: &mut String, b: &Board) {
    let open = view::open_actions(b);
    o.push_str("## Open actions\n\n");
    if open.is_empty() {
        o.push_str("None.\n\n");
    } else {
        o.push_str(
            "| tool | finding | action | owner | due | status | source |\n|---|---|---|---|---|---|---|\n",
        );
        let srcs = view::sources(b);
        for a in &open {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {}{} | {} | {} |",
                esc(a.tool),
                esc(&a.action.finding),
                esc(&a.action.taken),
                esc(&a.action.owner),
                esc(&a.action.due),
                if a.overdue { " **overdue**" } else { "" },
                status_words(a.action.status),
                view::source_ref(&srcs, a.run)
            );
        }
        o.push('\n');
    }
    let un = view::unacted(b);
    if !un.is_empty() {
        o.push_str("**Findings to remediate with no action open:**\n\n");
        for (tool, f) in un {
            let _ = writeln!(
                o,
                "- {}: {} vs {}, {}",
                esc(tool),
                esc(&f.group),
                esc(&f.reference_group),
                view::metric_words(&f.metric)
            );
        }
        o.push('\n');
    }
}

pub fn status_words(s: crate::artifact::actions::ActionStatus) -> &'static str {
    use crate::artifact::actions::ActionStatus;
    match s {
        ActionStatus::Open => "open",
        ActionStatus::InProgress => "in progress",
        ActionStatus::Done => "done",
        ActionStatus::NotEffective => "not effective",
    }
}

fn series(o: &mut String, b: &Board) {
    let all = view::series(b);
    if all.is_empty() {
        return;
    }
    o.push_str("## Key findings over the quarters\n\nEach tool's findings to remediate (in any quarter), or else to monitor: the estimate against the reference with its 95% interval, quarter by quarter, from the artifacts named under Sources.\n\n| tool | finding | band | ");
    let quarters = quarters(&all);
    for q in &quarters {
        let _ = write!(o, "{q} | ");
    }
    o.push_str("sources |\n|---|---|---|");
    o.push_str(&"---|".repeat(quarters.len() + 1));
    o.push('\n');
    let srcs = view::sources(b);
    for s in &all {
        let _ = write!(
            o,
            "| {} | {} | {} | ",
            esc(&s.tool),
            esc(&s.label),
            band_text(s)
        );
        for q in &quarters {
            let v = s.points.iter().find(|p| p.0 == *q);
            let _ = write!(
                o,
                "{} | ",
                match v {
                    Some((_, Some((e, l, h)), st)) =>
                        format!("{e:.2} ({l:.2} to {h:.2}) {}", status_mark(*st)),
                    Some((_, None, st)) => format!("withheld {}", status_mark(*st)),
                    None => "—".into(),
                }
            );
        }
        let refs: Vec<String> = b
            .tools
            .iter()
            .filter(|t| t.tool.name == s.tool)
            .flat_map(|t| t.runs.iter().filter(|r| r.quarter <= b.quarter))
            .map(|r| view::source_ref(&srcs, r))
            .collect();
        let _ = writeln!(o, "{} |", refs.join(", "));
    }
    o.push('\n');
}

pub fn quarters(all: &[view::Series]) -> Vec<super::Quarter> {
    let mut q: Vec<super::Quarter> = all
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .collect();
    q.sort();
    q.dedup();
    q
}

pub fn band_text(s: &view::Series) -> String {
    let what = match s.scale {
        crate::report::figures::Scale::Ratio => "ratio",
        crate::report::figures::Scale::Difference => "difference",
    };
    let unit = if s.points_unit { " points" } else { "" };
    match s.band {
        (Some(l), Some(h)) => format!("{what} {l} to {h}{unit}"),
        (Some(l), None) => format!("{what} ≥ {l}{unit}"),
        (None, Some(h)) => format!("{what} ≤ {h}{unit}"),
        (None, None) => what.to_string(),
    }
}

fn gaps(o: &mut String, b: &Board) {
    o.push_str("## Coverage gaps\n\n");
    let g = view::gaps(b);
    if g.is_empty() {
        o.push_str("None: every tool tested on every class, on time.\n\n");
        return;
    }
    o.push_str("| tool | gap | why |\n|---|---|---|\n");
    for x in g {
        let _ = writeln!(
            o,
            "| {} | {} | {} |",
            esc(&x.tool),
            esc(&x.what),
            esc(&x.why)
        );
    }
    o.push('\n');
}

fn signoffs(o: &mut String, b: &Board) {
    let _ = writeln!(o, "## Sign-offs ({})\n\n| tool | reviewer | role | date | decision | rationale |\n|---|---|---|---|---|---|", b.quarter);
    for t in &b.tools {
        let Some(r) = t.at(b.quarter) else { continue };
        match &r.signoff {
            SignState::Signed(s) => {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} | {} | {} |",
                    esc(&t.tool.name),
                    esc(&s.reviewer),
                    esc(&s.role),
                    s.date,
                    view::decision(s.decision),
                    esc(&s.rationale)
                );
            }
            other => {
                let _ = writeln!(
                    o,
                    "| {} | {} | | | | |",
                    esc(&t.tool.name),
                    view::sign_text(other)
                );
            }
        }
    }
    o.push('\n');
}

fn sources(o: &mut String, b: &Board) {
    o.push_str("## Sources\n\nEach artifact read, recomputed from its own sufficient statistics (as `s1557 verify` does), with its SHA-256.\n\n| ref | tool | quarter | artifact | SHA-256 | protocol | cases | verification |\n|---|---|---|---|---|---|---|---|\n");
    let srcs = view::sources(b);
    for r in &srcs {
        let a = &r.artifact;
        let _ = writeln!(
            o,
            "| {} | {} | {} | `{}` | `{}` | {} {} | {} | {} |",
            view::source_ref(&srcs, r),
            esc(&a.tool.name),
            r.quarter,
            esc(&r.path.display().to_string()),
            r.sha256,
            esc(&a.protocol.name),
            esc(&a.protocol.version),
            a.data.cases,
            view::verified_text(r)
        );
    }
}

/// board.csv: one row per tool × protected class × quarter.
pub fn csv(b: &Board) -> String {
    const HEADER: [&str; 15] = [
        "quarter",
        "tool",
        "vendor",
        "owner",
        "class",
        "status",
        "trend",
        "withheld",
        "protocol",
        "protocol_version",
        "protocol_sha256",
        "artifact",
        "artifact_sha256",
        "verified",
        "signed_off",
    ];
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let _ = w.write_record(HEADER);
    for t in &b.tools {
        for row in csv_rows(b, t) {
            let _ = w.write_record(row.iter().map(|s| safe(s)));
        }
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// A tool's rows: one per class and quarter tested, or one per class when never tested.
fn csv_rows(b: &Board, t: &super::ToolRuns) -> Vec<[String; 15]> {
    let runs: Vec<&super::Run> = t.runs.iter().filter(|r| r.quarter <= b.quarter).collect();
    let who = [
        t.tool.name.clone(),
        t.tool.vendor.clone().unwrap_or_default(),
        t.tool.owner.clone(),
    ];
    let mut out = Vec::new();
    for c in ProtectedClass::ALL {
        for (i, r) in runs.iter().enumerate() {
            let (status, trend, withheld) =
                csv_cell(view::cell(r, i.checked_sub(1).map(|j| runs[j]), c));
            let a = &r.artifact;
            out.push([
                r.quarter.to_string(),
                who[0].clone(),
                who[1].clone(),
                who[2].clone(),
                c.name().to_string(),
                status,
                trend.to_string(),
                withheld.to_string(),
                a.protocol.name.clone(),
                a.protocol.version.clone(),
                a.protocol.sha256.clone(),
                r.path.display().to_string(),
                r.sha256.clone(),
                (r.differences == 0).to_string(),
                matches!(r.signoff, SignState::Signed(_)).to_string(),
            ]);
        }
        // A tool without an artifact this quarter keeps its row: it cannot disappear.
        if t.at(b.quarter).is_none() {
            let status = if t.tool.testable {
                "no_test"
            } else {
                "not_testable"
            };
            let mut row: [String; 15] = Default::default();
            row[0] = b.quarter.to_string();
            row[1..4].clone_from_slice(&who);
            row[4] = c.name().to_string();
            row[5] = status.to_string();
            out.push(row);
        }
    }
    out
}

/// A cell's status, trend and withheld flag as board.csv writes them.
fn csv_cell(c: Cell) -> (String, &'static str, &'static str) {
    match c {
        Cell::Tested {
            status,
            trend,
            withheld,
        } => (
            status.name().to_string(),
            trend.map_or("", |t| match t {
                view::Trend::Worse => "worse",
                view::Trend::Better => "better",
                view::Trend::Same => "same",
                view::Trend::Changed => "changed",
            }),
            if withheld { "true" } else { "false" },
        ),
        Cell::NotTested { status, .. } => (status, "", ""),
        Cell::NoArtifact | Cell::NotTestable => (String::new(), "", ""),
    }
}

/// A cell a spreadsheet will not read as a formula.
fn safe(s: &str) -> String {
    crate::report::csv_out::cell(s)
}
