//! What the board shows, decided once for board.md, board.html and board.csv.

use std::collections::BTreeSet;

use chrono::NaiveDate;

use crate::artifact::actions::ActionStatus;
use crate::artifact::shared::SharedFinding;
use crate::protocol::record::ProtectedClass;
use crate::report::figures::{scale_of, trigger_for, triple, Scale};
use crate::triggers::Status;

use super::{Board, Quarter, Run, SignState, ToolRuns};

/// How a class stands for a tool in a quarter.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Tested: the most serious status of its findings, the change since the tool's previous
    /// artifact, and whether any finding at that status has its numbers withheld.
    Tested {
        status: Status,
        trend: Option<Trend>,
        withheld: bool,
    },
    /// The artifact says it was not tested, or does not apply, and why.
    NotTested { status: String, reason: String },
    /// No artifact for the quarter.
    NoArtifact,
    /// The tool cannot be tested against outcomes.
    NotTestable,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Trend {
    Worse,
    Better,
    Same,
    /// To or from too few to judge (or not assessed): neither better nor worse.
    Changed,
}

impl Trend {
    pub fn mark(self) -> &'static str {
        match self {
            Trend::Worse => "↑ worse",
            Trend::Better => "↓ better",
            Trend::Same => "→ same",
            Trend::Changed => "≠ changed",
        }
    }
}

/// The class's cell for one artifact (and the tool's previous one, for the trend).
pub fn cell(run: &Run, previous: Option<&Run>, class: ProtectedClass) -> Cell {
    let Some(cov) = run
        .artifact
        .record
        .coverage
        .iter()
        .find(|c| c.class == class)
    else {
        return Cell::NotTested {
            status: "not_recorded".into(),
            reason: "the artifact does not record this class".into(),
        };
    };
    if cov.status != "tested" {
        return Cell::NotTested {
            status: cov.status.clone(),
            reason: cov
                .reason
                .clone()
                .unwrap_or_else(|| "no reason recorded".into()),
        };
    }
    let (status, withheld) = worst(run, &cov.attributes);
    let trend = previous.and_then(|p| match cell(p, None, class) {
        Cell::Tested { status: then, .. } => Some(trend(then, status)),
        _ => None,
    });
    Cell::Tested {
        status,
        trend,
        withheld,
    }
}

/// A status's change: worse or better only between judged statuses (pass, monitor, remediate);
/// to or from too few to judge it is a change, not an improvement.
pub fn trend(then: Status, now: Status) -> Trend {
    let judged = |s: Status| matches!(s, Status::Pass | Status::Monitor | Status::Remediate);
    if then == now {
        Trend::Same
    } else if !judged(then) || !judged(now) {
        Trend::Changed
    } else if now > then {
        Trend::Worse
    } else {
        Trend::Better
    }
}

/// The most serious status among the findings on `attributes`, and whether one at that status
/// is withheld.
fn worst(run: &Run, attributes: &[String]) -> (Status, bool) {
    let on: Vec<&SharedFinding> = run
        .shared
        .findings
        .iter()
        .filter(|f| attributes.contains(&f.attribute))
        .collect();
    let status = on
        .iter()
        .map(|f| f.status)
        .max()
        .unwrap_or(Status::NotAssessed);
    let withheld = on.iter().any(|f| f.status == status && f.numbers.is_none());
    (status, withheld)
}

/// A tool's row of the status grid.
pub struct Row<'a> {
    pub t: &'a ToolRuns,
    pub run: Option<&'a Run>,
    pub cells: Vec<Cell>,
    pub last_tested: Option<String>,
    pub next_due: Option<String>,
    pub overdue: bool,
    pub signed: String,
    pub verified: String,
    pub checkpoint: String,
    /// The reference of its artifact in the sources list (`A3`).
    pub source: Option<String>,
}

pub fn rows<'a>(b: &'a Board, sources: &[&Run]) -> Vec<Row<'a>> {
    b.tools.iter().map(|t| row(b, t, sources)).collect()
}

fn row<'a>(b: &Board, t: &'a ToolRuns, sources: &[&Run]) -> Row<'a> {
    let run = t.at(b.quarter);
    let cells = ProtectedClass::ALL
        .into_iter()
        .map(|c| match (t.tool.testable, run) {
            (_, Some(r)) => cell(r, t.before(b.quarter), c),
            (false, None) => Cell::NotTestable,
            (true, None) => Cell::NoArtifact,
        })
        .collect();
    let checkpoint = t
        .last(b.quarter)
        .and_then(|r| r.artifact.record.oversight.checkpoint.clone())
        .or_else(|| t.tool.checkpoint.clone())
        .unwrap_or_else(|| "not recorded".into());
    Row {
        t,
        run,
        cells,
        last_tested: t.last(b.quarter).map(|r| r.quarter.to_string()),
        next_due: match (t.tool.testable, t.next_due(b.quarter)) {
            (false, _) => Some("—".into()),
            (true, d) => d.map(|d| d.to_string()),
        },
        overdue: t.overdue(b.quarter, b.as_of),
        signed: run.map_or_else(|| "—".into(), |r| sign_text(&r.signoff)),
        verified: run.map_or_else(|| "—".into(), verified_text),
        checkpoint,
        source: run.map(|r| source_ref(sources, r)),
    }
}

pub fn sign_text(s: &SignState) -> String {
    match s {
        SignState::Signed(s) => format!("signed {} ({})", s.date, decision(s.decision)),
        SignState::Unbound(_) => "sign-off does not bind to the artifact".into(),
        SignState::Unreadable(e) => format!("sign-off or actions log {e}"),
        SignState::Missing => "not signed off".into(),
    }
}

pub fn decision(d: crate::artifact::signoff::Decision) -> &'static str {
    use crate::artifact::signoff::Decision;
    match d {
        Decision::Accept => "accept",
        Decision::AcceptWithActions => "accept with actions",
        Decision::Suspend => "suspend",
    }
}

pub fn verified_text(r: &Run) -> String {
    match r.differences {
        0 => "verified".into(),
        n => format!("NOT VERIFIED ({n} differences)"),
    }
}

/// Every artifact the board reads, in the order of the inventory, oldest quarter first; then the
/// artifacts of tools not in the inventory.
pub fn sources(b: &Board) -> Vec<&Run> {
    b.tools
        .iter()
        .flat_map(|t| t.runs.iter())
        .chain(b.strays.iter())
        .filter(|r| r.quarter <= b.quarter)
        .collect()
}

pub fn source_ref(sources: &[&Run], r: &Run) -> String {
    let i = sources
        .iter()
        .position(|s| std::ptr::eq(*s, r))
        .unwrap_or(0);
    format!("A{}", i + 1)
}

/// A metric's name in words.
pub fn metric_words(name: &str) -> String {
    match crate::protocol::Metric::parse(name) {
        Some(m) => m.label().to_string(),
        None => match name {
            "auroc" => "AUROC".into(),
            "oe_ratio" => "Observed/expected (calibration)".into(),
            "citl" => "Calibration-in-the-large".into(),
            "need_at_equal_score" => "Need at equal score".into(),
            other => other.replace('_', " "),
        },
    }
}

/// A metric's abbreviation for a small panel.
fn metric_short(name: &str) -> String {
    match name {
        "tpr" | "fpr" | "fnr" | "tnr" | "ppv" | "npv" => name.to_uppercase(),
        "oe_ratio" => "O/E".into(),
        "auroc" => "AUROC".into(),
        other => other.replace('_', " "),
    }
}

/// A finding whose status changed across the serious line since the tool's previous artifact.
pub struct Change<'a> {
    pub tool: &'a str,
    pub then: Status,
    pub now: &'a SharedFinding,
}

/// Findings whose status crossed a line since the tool's previous artifact: into remediate,
/// into monitor (from pass or too few), and out of remediate or monitor.
#[derive(Default)]
pub struct Changes<'a> {
    pub to_remediate: Vec<Change<'a>>,
    pub to_monitor: Vec<Change<'a>>,
    pub left: Vec<Change<'a>>,
    /// From monitor or remediate to too few to judge: no longer flagged, not shown better.
    pub unjudged: Vec<Change<'a>>,
}

pub fn changes(b: &Board) -> Changes<'_> {
    let mut out = Changes::default();
    for t in &b.tools {
        let (Some(now), Some(then)) = (t.at(b.quarter), t.before(b.quarter)) else {
            continue;
        };
        for f in &now.shared.findings {
            let Some(p) = then.shared.findings.iter().find(|p| p.id == f.id) else {
                continue;
            };
            let c = Change {
                tool: &t.tool.name,
                then: p.status,
                now: f,
            };
            if f.status > p.status && f.status == Status::Remediate {
                out.to_remediate.push(c);
            } else if f.status > p.status && f.status == Status::Monitor {
                out.to_monitor.push(c);
            } else if p.status >= Status::Monitor && f.status != p.status {
                match trend(p.status, f.status) {
                    Trend::Better => out.left.push(c),
                    _ => out.unjudged.push(c),
                }
            }
        }
    }
    out
}

/// The kinds of change with their titles, in the order the board lists them.
pub fn change_groups<'a, 'b>(ch: &'b Changes<'a>) -> [(&'static str, &'b Vec<Change<'a>>); 4] {
    [
        ("Moved to remediate", &ch.to_remediate),
        ("Moved to monitor", &ch.to_monitor),
        ("Less serious than before", &ch.left),
        (
            "From monitor or remediate to too few to judge",
            &ch.unjudged,
        ),
    ]
}

pub fn change_text(c: &Change) -> String {
    format!(
        "{}: {} vs {}, {}: {} → {}",
        c.tool,
        c.now.group,
        c.now.reference_group,
        metric_words(&c.now.metric),
        crate::report::view::status_mark(c.then),
        crate::report::view::status_mark(c.now.status)
    )
}

/// An action not yet done, from any artifact of a tool.
pub struct OpenAction<'a> {
    pub tool: &'a str,
    pub quarter: Quarter,
    /// The artifact whose actions log records it.
    pub run: &'a Run,
    pub action: &'a crate::artifact::actions::Action,
    pub overdue: bool,
}

pub fn open_actions(b: &Board) -> Vec<OpenAction<'_>> {
    let mut out: Vec<OpenAction> = Vec::new();
    for t in &b.tools {
        for r in t.runs.iter().filter(|r| r.quarter <= b.quarter) {
            for a in r.actions.iter().filter(|a| a.status != ActionStatus::Done) {
                out.push(OpenAction {
                    tool: &t.tool.name,
                    quarter: r.quarter,
                    run: r,
                    action: a,
                    overdue: NaiveDate::parse_from_str(&a.due, "%Y-%m-%d")
                        .map_or(true, |d| d < b.as_of),
                });
            }
        }
    }
    out.sort_by(|x, y| x.action.due.cmp(&y.action.due));
    out
}

/// This quarter's findings to remediate with no action open or in progress on them.
pub fn unacted(b: &Board) -> Vec<(&str, &SharedFinding)> {
    let mut out = Vec::new();
    for t in &b.tools {
        let Some(now) = t.at(b.quarter) else { continue };
        let acted: BTreeSet<&str> = t
            .runs
            .iter()
            .filter(|r| r.quarter <= b.quarter)
            .flat_map(|r| r.actions.iter())
            .filter(|a| matches!(a.status, ActionStatus::Open | ActionStatus::InProgress))
            .map(|a| a.finding.as_str())
            .collect();
        for f in &now.shared.findings {
            if f.status == Status::Remediate && !acted.contains(f.id.as_str()) {
                out.push((t.tool.name.as_str(), f));
            }
        }
    }
    out
}

/// One finding of a tool over its quarters, on the measure and band of the trigger that judges
/// it.
pub struct Series {
    pub tool: String,
    pub label: String,
    /// The label for a small panel: the group and the metric's abbreviation.
    pub short: String,
    pub scale: Scale,
    /// A difference of rates, in percentage points.
    pub points_unit: bool,
    pub band: (Option<f64>, Option<f64>),
    pub points: Vec<Point>,
}

/// Quarter, estimate with interval (`None`: withheld or not estimated), status.
pub type Point = (Quarter, Option<(f64, f64, f64)>, Status);

/// The key findings of each tool over its quarters: those to remediate in any quarter shown,
/// else those to monitor this quarter; at most `MAX_SERIES` a tool.
pub fn series(b: &Board) -> Vec<Series> {
    const MAX_SERIES: usize = 4;
    let mut out = Vec::new();
    for t in &b.tools {
        let runs: Vec<&Run> = t.runs.iter().filter(|r| r.quarter <= b.quarter).collect();
        let Some(now) = t.at(b.quarter) else { continue };
        let key = |s: Status| {
            runs.iter()
                .flat_map(|r| r.shared.findings.iter())
                .filter(move |f| f.status == s)
                .map(|f| f.id.clone())
        };
        // This quarter's findings to remediate first, then earlier quarters'.
        let mut ids: Vec<String> = now
            .shared
            .findings
            .iter()
            .filter(|f| f.status == Status::Remediate)
            .map(|f| f.id.clone())
            .chain(key(Status::Remediate))
            .collect();
        if ids.is_empty() {
            ids = now
                .shared
                .findings
                .iter()
                .filter(|f| f.status == Status::Monitor)
                .map(|f| f.id.clone())
                .collect();
        }
        let mut seen = BTreeSet::new();
        ids.retain(|i| seen.insert(i.clone()));
        for id in ids.into_iter().take(MAX_SERIES) {
            out.extend(one_series(&t.tool.name, &runs, &id));
        }
    }
    out
}

fn one_series(tool: &str, runs: &[&Run], id: &str) -> Option<Series> {
    let first = runs
        .iter()
        .find_map(|r| r.shared.findings.iter().find(|f| f.id == id))?;
    let last = runs.last()?;
    let trig = trigger_for(&last.artifact, &first.metric, &first.attribute)?;
    let (scale, band) = scale_of(trig);
    let points = runs
        .iter()
        .filter_map(|r| {
            let f = r.shared.findings.iter().find(|f| f.id == id)?;
            let e = f.numbers.as_ref().map(|n| match scale {
                Scale::Ratio => &n.ratio,
                Scale::Difference => &n.difference,
            });
            let points = crate::protocol::Metric::parse(&f.metric).is_some();
            Some((
                r.quarter,
                e.and_then(|e| triple(e, scale, points)),
                f.status,
            ))
        })
        .collect();
    let band =
        if scale == Scale::Difference && crate::protocol::Metric::parse(&first.metric).is_some() {
            (band.0.map(|x| x * 100.0), band.1.map(|x| x * 100.0))
        } else {
            band
        };
    Some(Series {
        points_unit: scale == Scale::Difference
            && crate::protocol::Metric::parse(&first.metric).is_some(),
        tool: tool.to_string(),
        short: format!("{}: {}", first.group, metric_short(&first.metric)),
        label: format!(
            "{} vs {}: {}",
            first.group,
            first.reference_group,
            metric_words(&first.metric)
        ),
        scale,
        band,
        points,
    })
}

/// A gap in coverage, in words: what is missing and why.
pub struct Gap {
    pub tool: String,
    pub what: String,
    pub why: String,
}

pub fn gaps(b: &Board) -> Vec<Gap> {
    let mut out: Vec<Gap> = b.tools.iter().flat_map(|t| tool_gaps(b, t)).collect();
    for (file, why) in &b.problems {
        out.push(Gap {
            tool: file.clone(),
            what: "input set aside".into(),
            why: why.clone(),
        });
    }
    for r in &b.strays {
        out.push(Gap {
            tool: r.artifact.tool.name.clone(),
            what: "not in the inventory".into(),
            why: format!(
                "an artifact names this tool ({}); add it to {}",
                r.path.display(),
                b.inventory_file
            ),
        });
    }
    out
}

fn tool_gaps(b: &Board, t: &ToolRuns) -> Vec<Gap> {
    let gap = |what: String, why: String| Gap {
        tool: t.tool.name.clone(),
        what,
        why,
    };
    let mut out = Vec::new();
    for r in t.runs.iter().filter(|r| r.quarter <= b.quarter) {
        if let Some(why) = &r.actions_unbound {
            out.push(gap(
                format!("actions log of {} not taken", r.quarter),
                format!("actions.json beside {} {why}", r.path.display()),
            ));
        }
    }
    if !t.tool.testable {
        let why = t.tool.why_not_testable.clone().unwrap_or_default();
        out.push(match t.at(b.quarter) {
            None => gap("cannot be tested against outcomes".into(), why),
            Some(r) => gap(
                "inventory and artifact disagree".into(),
                format!(
                    "the inventory says it cannot be tested ({why}), but {} tests it",
                    r.path.display()
                ),
            ),
        });
        return out;
    }
    if t.overdue(b.quarter, b.as_of) {
        let why = match (t.next_due(b.quarter), t.last(b.quarter)) {
            (Some(d), Some(r)) => format!("next test was due {d}; last tested {}", r.quarter),
            _ => format!(
                "no artifact of this tool up to {} was given to the board",
                b.quarter
            ),
        };
        out.push(gap("test overdue".into(), why));
    }
    if let Some(r) = t.at(b.quarter) {
        for c in r
            .artifact
            .record
            .coverage
            .iter()
            .filter(|c| c.status != "tested")
        {
            out.push(gap(
                format!(
                    "{} {}",
                    c.class.name().replace('_', " "),
                    c.status.replace('_', " ")
                ),
                c.reason
                    .clone()
                    .unwrap_or_else(|| "no reason recorded".into()),
            ));
        }
    }
    out
}

/// The board's headline figures: value and what it counts.
pub fn tiles(b: &Board) -> Vec<(String, String)> {
    let testable = b
        .tools
        .iter()
        .filter(|t| t.tool.testable || t.at(b.quarter).is_some())
        .count();
    let tested = b.tools.iter().filter(|t| t.at(b.quarter).is_some()).count();
    let remediate = b
        .tools
        .iter()
        .filter(|t| {
            t.at(b.quarter)
                .is_some_and(|r| r.shared.summary.overall == Status::Remediate)
        })
        .count();
    let open = open_actions(b);
    let overdue = open.iter().filter(|a| a.overdue).count();
    let signed = b
        .tools
        .iter()
        .filter(|t| {
            t.at(b.quarter)
                .is_some_and(|r| matches!(r.signoff, SignState::Signed(_)))
        })
        .count();
    let unverified = sources(b).iter().filter(|r| r.differences > 0).count();
    vec![
        (b.tools.len().to_string(), "tools in the inventory".into()),
        (
            format!("{tested} of {testable}"),
            format!("testable tools tested in {}", b.quarter),
        ),
        (
            remediate.to_string(),
            "tools with findings to remediate".into(),
        ),
        (
            format!("{} ({overdue} overdue)", open.len()),
            "actions open".into(),
        ),
        (
            format!("{signed} of {tested}"),
            "tested tools signed off".into(),
        ),
        (
            unverified.to_string(),
            "artifacts that do not verify".into(),
        ),
    ]
}

/// Three sentences: coverage, findings, follow-through.
pub fn summary(b: &Board) -> Vec<String> {
    vec![
        coverage_sentence(b),
        findings_sentence(b),
        follow_sentence(b),
    ]
}

/// The names of the tools for which `f` holds.
fn names(b: &Board, f: impl Fn(&ToolRuns) -> bool) -> Vec<String> {
    b.tools
        .iter()
        .filter(|t| f(t))
        .map(|t| t.tool.name.clone())
        .collect()
}

fn coverage_sentence(b: &Board) -> String {
    let q = b.quarter;
    let untested = names(b, |t| t.tool.testable && t.at(q).is_none());
    let untestable = names(b, |t| !t.tool.testable && t.at(q).is_none());
    let testable = b.tools.len() - untestable.len();
    let mut s = format!(
        "In {q}, {} of the {testable} tools that can be tested against outcomes were tested",
        testable - untested.len()
    );
    if !untested.is_empty() {
        s += &format!(" ({} not)", list(&untested));
    }
    if !untestable.is_empty() {
        s += &format!(
            "; {} cannot be, and is overseen by its checkpoint instead",
            list(&untestable)
        );
    }
    s + "."
}

fn findings_sentence(b: &Board) -> String {
    let rem = names(b, |t| {
        t.at(b.quarter)
            .is_some_and(|r| r.shared.summary.overall == Status::Remediate)
    });
    let ch = changes(b);
    let moved = format!(
        "since the previous test {} finding{} moved to remediate and {} to monitor",
        ch.to_remediate.len(),
        if ch.to_remediate.len() == 1 { "" } else { "s" },
        ch.to_monitor.len()
    );
    if rem.is_empty() {
        format!("No tool has a finding to remediate; {moved}.")
    } else {
        format!(
            "{} {} findings to remediate; {moved}.",
            list(&rem),
            if rem.len() == 1 { "has" } else { "have" }
        )
    }
}

fn follow_sentence(b: &Board) -> String {
    let open = open_actions(b);
    let unsigned = names(b, |t| {
        t.at(b.quarter)
            .is_some_and(|r| !matches!(r.signoff, SignState::Signed(_)))
    });
    let mut s = format!(
        "{} action{} open, {} past due",
        open.len(),
        if open.len() == 1 { " is" } else { "s are" },
        open.iter().filter(|a| a.overdue).count()
    );
    s += &if unsigned.is_empty() {
        "; every tested tool is signed off.".to_string()
    } else {
        format!("; not signed off: {}.", list(&unsigned))
    };
    s
}

fn list(v: &[String]) -> String {
    match v {
        [] => String::new(),
        [a] => a.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}
