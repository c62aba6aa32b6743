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
    /// An actions log is beside it but does not bind.
    pub actions_unbound: bool,
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
    for s in sources {
        find_artifacts(s, &mut files)?;
    }
    files.sort();
    files.dedup();
    let mut runs = Vec::new();
    for f in &files {
        runs.push(read_run(f)?);
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
        t.runs.sort_by(|a, b| {
            (a.quarter, &a.artifact.run.as_of).cmp(&(b.quarter, &b.artifact.run.as_of))
        });
    }
    Ok(Board {
        inventory_file: crate::assemble::file_name(inventory_path),
        organisation: inv.organisation,
        as_of,
        quarter,
        tools,
        strays,
    })
}

fn find_artifacts(p: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    if p.is_file() {
        out.push(p.to_path_buf());
        return Ok(());
    }
    if !p.is_dir() {
        return Err(format!("{}: no such artifact or folder", p.display()));
    }
    let mut entries: Vec<PathBuf> = fs_err::read_dir(p)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for e in entries {
        if e.is_dir() {
            find_artifacts(&e, out)?;
        } else if e.file_name().is_some_and(|n| n == "artifact.json") {
            out.push(e);
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
                Ok(p) => crate::verify::verify(&a, &json, &p, None, None)
                    .mismatches
                    .len(),
                Err(_) => 1,
            }
        }
        None => 1,
    };
    let beside = crate::artifact::beside::read(path, &a, None)?;
    let signoff = match beside.signoff {
        Some(f) if f.binds() => SignState::Signed(f.value),
        Some(f) => SignState::Unbound(f.value),
        None => SignState::Missing,
    };
    let (actions, actions_unbound) = match beside.actions {
        Some(f) if f.binds() => (f.value.actions, false),
        Some(_) => (Vec::new(), true),
        None => (Vec::new(), false),
    };
    let date = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
    let period_end = a
        .data
        .period_end
        .as_deref()
        .and_then(date)
        .or_else(|| date(a.run.as_of.get(..10).unwrap_or("")))
        .ok_or_else(|| {
            format!(
                "{}: neither data.period_end nor run.as_of is a date",
                path.display()
            )
        })?;
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
