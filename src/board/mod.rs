//! The board roll-up: every decision-support tool of the clinic's inventory, one quarter, from
//! the tools' artifacts (never rows). Each artifact is read and verified as `s1557 verify` does
//! (recomputed from its own sufficient statistics), its sign-off and actions log checked to bind
//! to it, and its findings taken as shared outputs show them (small cells suppressed). `view`
//! decides what the board shows; `markdown`, `html` and `csv` render it.

pub mod inventory;
mod markdown;
mod page;
mod plots;
pub mod view;

use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};

use crate::artifact::actions::Action;
use crate::artifact::shared::Shared;
use crate::artifact::signoff::SignOff;
use crate::artifact::Artifact;

pub use markdown::{csv, markdown};
pub use page::html;

/// A calendar quarter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Quarter {
    pub year: i32,
    pub q: u32,
}

impl Quarter {
    pub fn of(d: NaiveDate) -> Quarter {
        Quarter {
            year: d.year(),
            q: d.month0() / 3 + 1,
        }
    }

    /// `2026-Q4`.
    pub fn parse(s: &str) -> Option<Quarter> {
        let (y, q) = s.split_once("-Q")?;
        let q: u32 = q.parse().ok()?;
        (1..=4).contains(&q).then_some(Quarter {
            year: y.parse().ok()?,
            q,
        })
    }
}

impl std::fmt::Display for Quarter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-Q{}", self.year, self.q)
    }
}

/// Where a sign-off stands.
#[derive(Debug, Clone)]
pub enum SignState {
    Signed(SignOff),
    /// A sign-off is there but does not bind to this artifact (it was made for other bytes).
    Unbound(SignOff),
    /// What lies beside the artifact cannot be read.
    Unreadable(String),
    Missing,
}

/// One artifact as the board reads it.
pub struct Run {
    pub path: PathBuf,
    pub sha256: String,
    pub artifact: Artifact,
    pub shared: Shared,
    /// The quarter of the data's period (its end; else the run's date).
    pub quarter: Quarter,
    pub period_end: NaiveDate,
    /// Differences between what the artifact states and its recomputation (0: verified).
    pub differences: usize,
    pub signoff: SignState,
    /// The actions recorded against this artifact (only a log that binds to it).
    pub actions: Vec<Action>,
    /// Why the actions log beside it was not taken (it does not bind, or cannot be read).
    pub actions_unbound: Option<String>,
}

/// One tool of the inventory and its artifacts, oldest quarter first.
pub struct ToolRuns {
    pub tool: inventory::Tool,
    pub runs: Vec<Run>,
}

/// Everything the board is made from.
pub struct Board {
    pub inventory_file: String,
    pub organisation: String,
    pub as_of: NaiveDate,
    pub quarter: Quarter,
    pub tools: Vec<ToolRuns>,
    /// Artifacts of tools the inventory does not list.
    pub strays: Vec<Run>,
    /// Problems with the inputs the board shows rather than stops on: an artifact that cannot be
    /// read, a second artifact for one tool and quarter, the same bytes given twice.
    pub problems: Vec<(String, String)>,
}

/// Days after a period ends by which its test is due.
pub const GRACE_DAYS: u64 = 30;

/// Read the inventory and every artifact (a file, or a folder searched for `artifact.json`).
pub fn collect(
    inventory_path: &Path,
    sources: &[PathBuf],
    as_of: NaiveDate,
    quarter: Option<Quarter>,
) -> Result<Board, String> {
    let inv = inventory::read(inventory_path)?;
    let mut files = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for s in sources {
        let before = files.len();
        let again = fs_err::canonicalize(s).is_ok_and(|r| seen.contains(&r));
        find_artifacts(s, &mut files, &mut seen)?;
        if files.len() == before && !again {
            return Err(format!("{}: no artifact.json found", s.display()));
        }
    }
    let mut problems = Vec::new();
    let mut runs: Vec<Run> = Vec::new();
    for f in &files {
        match read_run(f) {
            Ok(r) => match runs.iter().find(|x| x.sha256 == r.sha256) {
                Some(x) => problems.push((
                    f.display().to_string(),
                    format!("the same bytes as {}: read once", x.path.display()),
                )),
                None => runs.push(r),
            },
            Err(e) => problems.push((f.display().to_string(), format!("cannot be read: {e}"))),
        }
    }
    let quarter = quarter
        .or_else(|| runs.iter().map(|r| r.quarter).max())
        .unwrap_or_else(|| Quarter::of(as_of));
    let mut tools: Vec<ToolRuns> = inv
        .tools
        .iter()
        .map(|t| ToolRuns {
            tool: t.clone(),
            runs: Vec::new(),
        })
        .collect();
    let mut strays = Vec::new();
    for r in runs {
        match tools
            .iter_mut()
            .find(|t| t.tool.name == r.artifact.tool.name)
        {
            Some(t) => t.runs.push(r),
            None => strays.push(r),
        }
    }
    for t in &mut tools {
        problems.extend(one_per_quarter(t));
    }
    Ok(Board {
        inventory_file: crate::assemble::file_name(inventory_path),
        organisation: inv.organisation,
        as_of,
        quarter,
        tools,
        strays,
        problems,
    })
}

/// Keep one artifact per quarter, the latest run (by its date, then its path); say which were
/// set aside.
fn one_per_quarter(t: &mut ToolRuns) -> Vec<(String, String)> {
    t.runs.sort_by(|a, b| {
        (a.quarter, &a.artifact.run.as_of, &a.path).cmp(&(
            b.quarter,
            &b.artifact.run.as_of,
            &b.path,
        ))
    });
    let mut kept: Vec<Run> = Vec::new();
    let mut out = Vec::new();
    for r in t.runs.drain(..) {
        if let Some(last) = kept.last_mut().filter(|k| k.quarter == r.quarter) {
            out.push((
                last.path.display().to_string(),
                format!(
                    "a second artifact of {} for {}: {} (a later run) is used",
                    t.tool.name,
                    r.quarter,
                    r.path.display()
                ),
            ));
            *last = r;
        } else {
            kept.push(r);
        }
    }
    t.runs = kept;
    out
}

/// The artifacts under `p`, each folder visited once (a symbolic link back up the tree is not
/// followed twice).
fn find_artifacts(
    p: &Path,
    out: &mut Vec<PathBuf>,
    seen: &mut std::collections::BTreeSet<PathBuf>,
) -> Result<(), String> {
    let real = fs_err::canonicalize(p)
        .map_err(|_| format!("{}: no such artifact or folder", p.display()))?;
    if !seen.insert(real.clone()) {
        return Ok(());
    }
    if real.is_file() {
        out.push(p.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = fs_err::read_dir(p)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for e in entries {
        if e.is_dir() || e.file_name().is_some_and(|n| n == "artifact.json") {
            find_artifacts(&e, out, seen)?;
        }
    }
    Ok(())
}

/// Read one artifact, verify it from its own sufficient statistics under the protocol it
/// embeds, and check what lies beside it.
fn read_run(path: &Path) -> Result<Run, String> {
    let (a, json) = crate::artifact::read(path).map_err(|e| e.to_string())?;
    let bytes = fs_err::read(path).map_err(|e| e.to_string())?;
    let sha256 = crate::protocol::sha256_hex(&bytes);
    let differences = match &a.protocol.text {
        Some(text) => {
            let at = path.with_file_name(&a.protocol.file);
            match crate::protocol::parse(text, &at) {
                Ok(p) => crate::verify::verify(&a, &json, &p, None, (None, Vec::new()))
                    .mismatches
                    .len(),
                Err(_) => 1,
            }
        }
        None => 1,
    };
    let (signoff, actions, actions_unbound) = beside(path, &a);
    let date = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
    let period_end = a
        .data
        .period_end
        .as_deref()
        .and_then(date)
        .or_else(|| date(a.run.as_of.get(..10).unwrap_or("")))
        .ok_or_else(|| "neither data.period_end nor run.as_of is a date".to_string())?;
    Ok(Run {
        path: path.to_path_buf(),
        sha256,
        shared: crate::artifact::shared::shared(&a),
        quarter: Quarter::of(period_end),
        period_end,
        artifact: a,
        differences,
        signoff,
        actions,
        actions_unbound,
    })
}

/// The sign-off and the actions of an artifact; a file beside it that cannot be read or does
/// not bind is shown as such, never taken.
fn beside(path: &Path, a: &Artifact) -> (SignState, Vec<Action>, Option<String>) {
    let found = match crate::artifact::beside::read(path, a, None) {
        Ok(f) => f,
        Err(e) => {
            let e = format!("cannot be read: {e}");
            return (SignState::Unreadable(e.clone()), Vec::new(), Some(e));
        }
    };
    let signoff = match found.signoff {
        Some(f) if f.binds() => SignState::Signed(f.value),
        Some(f) => SignState::Unbound(f.value),
        None => SignState::Missing,
    };
    let (actions, unbound) = match found.actions {
        Some(f) if f.binds() => (f.value.actions, None),
        Some(_) => (
            Vec::new(),
            Some("does not bind to the artifact".to_string()),
        ),
        None => (Vec::new(), None),
    };
    (signoff, actions, unbound)
}

impl ToolRuns {
    /// The tool's artifact for quarter `q` (the latest run, if several).
    pub fn at(&self, q: Quarter) -> Option<&Run> {
        self.runs.iter().rev().find(|r| r.quarter == q)
    }

    /// Its latest artifact before quarter `q`.
    pub fn before(&self, q: Quarter) -> Option<&Run> {
        self.runs.iter().rev().find(|r| r.quarter < q)
    }

    /// Its latest artifact up to quarter `q`.
    pub fn last(&self, q: Quarter) -> Option<&Run> {
        self.runs.iter().rev().find(|r| r.quarter <= q)
    }

    /// When its next test is due: the end of the month the cadence after the last tested
    /// period's end falls in (a quarter after 2026-09-30 is 2026-12-31), plus the days to run the
    /// test.
    pub fn next_due(&self, q: Quarter) -> Option<NaiveDate> {
        let r = self.last(q)?;
        let next_month = r
            .period_end
            .with_day(1)?
            .checked_add_months(chrono::Months::new(1))?;
        next_month
            .checked_add_months(chrono::Months::new(self.tool.cadence_months))?
            .pred_opt()?
            .checked_add_days(chrono::Days::new(GRACE_DAYS))
    }

    /// Whether a testable tool has never been tested, or its next test is past due.
    pub fn overdue(&self, q: Quarter, as_of: NaiveDate) -> bool {
        self.tool.testable && self.next_due(q).is_none_or(|d| d < as_of)
    }
}
