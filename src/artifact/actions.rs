//! The actions log: for each finding acted on, the action taken, its owner, when it was opened
//! and is due, its status, and the evidence of its effect, with every update kept. It lives in
//! `actions.json` beside the artifact whose findings it answers, bound to that artifact's
//! SHA-256 like the sign-off; `s1557 action` writes it and `verify` checks it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Artifact;

/// Version of the log's layout.
pub const ACTIONS_VERSION: &str = "1.0.0";

/// The file name of the log beside its artifact.
pub const FILE: &str = "actions.json";

/// Where an action stands.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    Open,
    InProgress,
    /// Done, and the evidence shows it worked.
    Done,
    /// Done, and the evidence shows it did not work: a new action is due.
    NotEffective,
}

/// One state of an action, as recorded on a date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Update {
    /// YYYY-MM-DD.
    pub date: String,
    pub status: ActionStatus,
    /// What was done or seen, in a sentence.
    pub note: Option<String>,
}

/// The action taken on one finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Action {
    /// The finding's id in the artifact (`attribute/group/metric`).
    pub finding: String,
    /// The finding's status when the action was opened.
    pub finding_status: String,
    pub taken: String,
    pub owner: String,
    /// YYYY-MM-DD.
    pub opened: String,
    /// YYYY-MM-DD.
    pub due: String,
    pub status: ActionStatus,
    /// The evidence of effect, when there is some.
    pub evidence: Option<String>,
    /// Every update, oldest first.
    pub history: Vec<Update>,
}

/// The actions on one artifact's findings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ActionsLog {
    pub schema_version: String,
    /// The artifact's file name and the SHA-256 of its bytes.
    pub artifact_file: String,
    pub artifact_sha256: String,
    pub tool: String,
    pub actions: Vec<Action>,
}

/// What one `s1557 action` says about a finding.
pub struct Entry<'a> {
    pub finding: &'a str,
    pub taken: Option<&'a str>,
    pub owner: Option<&'a str>,
    pub due: Option<chrono::NaiveDate>,
    pub status: ActionStatus,
    pub evidence: Option<&'a str>,
    pub date: chrono::NaiveDate,
}

/// The status of finding `id` in the artifact, if it has that finding.
pub fn finding_status(a: &Artifact, id: &str) -> Option<String> {
    a.comparisons
        .iter()
        .find(|f| f.comparison.id == id)
        .map(|f| f.assessment.status.name().to_string())
        .or_else(|| {
            a.scores.as_ref().and_then(|s| {
                s.comparisons
                    .iter()
                    .find(|f| f.comparison.id == id)
                    .map(|f| f.assessment.status.name().to_string())
            })
        })
}

/// The log with `e` applied: a new action (taken, owner and due needed), or an update of the
/// finding's action (any of them may change; the history keeps each state).
pub fn apply(mut log: ActionsLog, a: &Artifact, e: &Entry) -> Result<ActionsLog, String> {
    let status = finding_status(a, e.finding).ok_or_else(|| {
        format!(
            "the artifact has no finding `{}` (ids are `attribute/group/metric`, as in artifact.json's comparisons)",
            e.finding
        )
    })?;
    let update = Update {
        date: e.date.to_string(),
        status: e.status,
        note: e.evidence.map(str::to_string),
    };
    match log.actions.iter_mut().find(|x| x.finding == e.finding) {
        Some(x) => {
            if let Some(t) = e.taken {
                x.taken = t.into();
            }
            if let Some(o) = e.owner {
                x.owner = o.into();
            }
            if let Some(d) = e.due {
                x.due = d.to_string();
            }
            if e.evidence.is_some() {
                x.evidence = e.evidence.map(str::to_string);
            }
            x.status = e.status;
            x.history.push(update);
        }
        None => {
            let (Some(taken), Some(owner), Some(due)) = (e.taken, e.owner, e.due) else {
                return Err(format!(
                    "a new action on `{}` needs --taken, --owner and --due",
                    e.finding
                ));
            };
            log.actions.push(Action {
                finding: e.finding.into(),
                finding_status: status,
                taken: taken.into(),
                owner: owner.into(),
                opened: e.date.to_string(),
                due: due.to_string(),
                status: e.status,
                evidence: e.evidence.map(str::to_string),
                history: vec![update],
            });
        }
    }
    Ok(log)
}

/// An empty log for the artifact.
pub fn new_log(a: &Artifact, file: &str, sha256: &str) -> ActionsLog {
    ActionsLog {
        schema_version: ACTIONS_VERSION.into(),
        artifact_file: file.into(),
        artifact_sha256: sha256.into(),
        tool: a.tool.name.clone(),
        actions: vec![],
    }
}

/// What does not hold in a log against its artifact: `(place, stated, actual)`.
pub fn check(log: &ActionsLog, a: &Artifact, sha256: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    if log.artifact_sha256 != sha256 {
        out.push((
            "artifact_sha256".into(),
            log.artifact_sha256.clone(),
            sha256.to_string(),
        ));
    }
    for x in &log.actions {
        if finding_status(a, &x.finding).is_none() {
            out.push((
                format!("actions[{}]", x.finding),
                "a finding of the artifact".into(),
                "no such finding".into(),
            ));
        }
    }
    out
}

/// Read a log, or say why it cannot be read (naming the file, line and column).
pub fn read(path: &std::path::Path) -> Result<ActionsLog, String> {
    let text = fs_err::read_to_string(path).map_err(|e| e.to_string())?;
    serde_json::from_str(&text).map_err(|e| {
        format!(
            "`{}` is not an actions log of version {ACTIONS_VERSION} (line {}, column {}): {e}",
            path.display(),
            e.line(),
            e.column()
        )
    })
}

/// The log as pretty JSON with a final newline.
pub fn to_json(log: &ActionsLog) -> String {
    let mut out = serde_json::to_string_pretty(log).unwrap_or_default();
    out.push('\n');
    out
}
