//! The sign-off: a reviewer's decision on an artifact, kept in its own file beside it
//! (`attestation.json`) and bound to the artifact's SHA-256, so signing changes no computed byte
//! and a sign-off cannot be moved to another artifact unnoticed. `s1557 attest` writes it;
//! `verify` checks the binding. It is not a cryptographic signature: who signed is as true as
//! the file; keep it where the clinic keeps its records.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Artifact;

/// Version of the sign-off file's layout.
pub const SIGNOFF_VERSION: &str = "1.0.0";

/// The file name of a sign-off beside its artifact.
pub const FILE: &str = "attestation.json";

/// What the reviewer decided about the tool after reading the findings.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Keep using the tool as it is.
    Accept,
    /// Keep using the tool while the actions the findings call for are taken.
    AcceptWithActions,
    /// Stop using the tool for the decision it informs until the findings are resolved.
    Suspend,
}

/// The artifact a sign-off is bound to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Bound {
    /// The artifact's file name when signed.
    pub file: String,
    /// SHA-256 of the artifact's bytes.
    pub sha256: String,
    pub tool: String,
    pub protocol_sha256: String,
    pub as_of: String,
    /// The findings' overall status when signed.
    pub overall: String,
}

/// A reviewer's sign-off of one artifact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SignOff {
    pub schema_version: String,
    pub artifact: Bound,
    pub statement: String,
    pub reviewer: String,
    pub role: String,
    pub decision: Decision,
    pub rationale: String,
    /// The date of the sign-off (YYYY-MM-DD).
    pub date: String,
}

/// Why a sign-off does not hold.
#[derive(Debug, Clone, PartialEq)]
pub struct Unbound {
    pub field: &'static str,
    pub stated: String,
    pub actual: String,
}

/// The sign-off of `artifact` (whose file bytes hash to `sha256`).
pub fn sign(
    artifact: &Artifact,
    file: &str,
    sha256: &str,
    who: (&str, &str),
    decision: Decision,
    rationale: &str,
    date: chrono::NaiveDate,
) -> SignOff {
    SignOff {
        schema_version: SIGNOFF_VERSION.into(),
        artifact: Bound {
            file: file.into(),
            sha256: sha256.into(),
            tool: artifact.tool.name.clone(),
            protocol_sha256: artifact.protocol.sha256.clone(),
            as_of: artifact.run.as_of.clone(),
            overall: artifact.summary.overall.name().into(),
        },
        statement: artifact.attestation.statement.clone(),
        reviewer: who.0.into(),
        role: who.1.into(),
        decision,
        rationale: rationale.into(),
        date: date.to_string(),
    }
}

/// Whether `s` binds to the artifact whose bytes hash to `sha256`: every field of its binding
/// that differs, empty when it holds.
pub fn check(s: &SignOff, artifact: &Artifact, sha256: &str) -> Vec<Unbound> {
    let a = &s.artifact;
    [
        ("artifact.sha256", &a.sha256, sha256.to_string()),
        ("artifact.tool", &a.tool, artifact.tool.name.clone()),
        (
            "artifact.protocol_sha256",
            &a.protocol_sha256,
            artifact.protocol.sha256.clone(),
        ),
        ("artifact.as_of", &a.as_of, artifact.run.as_of.clone()),
        (
            "artifact.overall",
            &a.overall,
            artifact.summary.overall.name().to_string(),
        ),
    ]
    .into_iter()
    .chain([
        (
            "statement",
            &s.statement,
            artifact.attestation.statement.clone(),
        ),
        (
            "date",
            &s.date,
            if chrono::NaiveDate::parse_from_str(&s.date, "%Y-%m-%d").is_ok() {
                s.date.clone()
            } else {
                "a date, YYYY-MM-DD".into()
            },
        ),
    ])
    .filter(|(_, stated, actual)| *stated != actual)
    .map(|(field, stated, actual)| Unbound {
        field,
        stated: stated.clone(),
        actual,
    })
    .collect()
}

/// The sign-off as pretty JSON with a final newline.
pub fn to_json(s: &SignOff) -> String {
    let mut out = serde_json::to_string_pretty(s).unwrap_or_default();
    out.push('\n');
    out
}

/// Read a sign-off file, or say why it cannot be read (naming the file, line and column).
pub fn read(path: &std::path::Path) -> Result<SignOff, String> {
    let text = fs_err::read_to_string(path).map_err(|e| e.to_string())?;
    serde_json::from_str(&text).map_err(|e| {
        format!(
            "`{}` is not a sign-off of version {SIGNOFF_VERSION} (line {}, column {}): {e}",
            path.display(),
            e.line(),
            e.column()
        )
    })
}
