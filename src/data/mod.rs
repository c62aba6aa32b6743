//! Reading the data a protocol names: CSV or Parquet rows, or a counts submission (rows with a
//! frequency column). Checks that every named column exists, refuses direct identifiers, makes
//! the one pass ([`scan`]) and codes the groups ([`coding`]) into [`SufficientStats`].
//! Touches the protocol, nothing downstream.

pub mod coding;
pub mod phi;
pub mod scan;

use std::path::{Path, PathBuf};

use crate::protocol::{Diagnostic, Format, Protocol};
use crate::suffstats::SufficientStats;

/// Every problem found in the data.
#[derive(Debug, thiserror::Error)]
#[error("{}", render(.0))]
pub struct DataError(pub Vec<Diagnostic>);

fn render(diags: &[Diagnostic]) -> String {
    diags
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The data of one run, reduced to its sufficient statistics.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub path: PathBuf,
    pub format: Format,
    pub sha256: String,
    /// Whether the input was a counts submission (a frequency column) rather than one row a case.
    pub counts_input: bool,
    pub stats: SufficientStats,
}

/// The format of a data file: the protocol's, else by extension (`.parquet`, `.pq`), else CSV.
pub fn format_of(path: &Path, declared: Option<Format>) -> Format {
    declared.unwrap_or_else(|| {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
        {
            Some(e) if e == "parquet" || e == "pq" => Format::Parquet,
            _ => Format::Csv,
        }
    })
}

fn diag(file: &Path, line: Option<usize>, message: String, hint: Option<String>) -> Diagnostic {
    Diagnostic {
        file: file.to_path_buf(),
        line,
        column: None,
        message,
        hint,
    }
}

/// Check that the file exists and has every column the protocol names, and none that looks like
/// a direct identifier. Returns the header.
pub fn check_columns(
    protocol: &Protocol,
    path: &Path,
    format: Format,
) -> Result<Vec<String>, DataError> {
    if !path.is_file() {
        return Err(DataError(vec![diag(
            path,
            None,
            "data file not found".into(),
            Some(format!(
                "the protocol's `data.path` is `{}`, relative to the protocol; or pass --data",
                protocol.data.path_as_written
            )),
        )]));
    }
    let header = scan::header(path, format, &protocol.data.null_values).map_err(|e| {
        DataError(vec![diag(
            path,
            None,
            format!("cannot read the data: {e}"),
            None,
        )])
    })?;
    let mut problems = Vec::new();
    for (i, c) in header.iter().enumerate() {
        if let Some(why) = phi::identifier_reason(c) {
            problems.push(Diagnostic {
                file: path.to_path_buf(),
                line: (format == Format::Csv).then_some(1),
                column: Some(i + 1),
                message: format!("column `{c}` looks like {why}, a direct identifier; s1557 takes de-identified data only"),
                hint: Some("drop the column before the run (HIPAA Safe Harbor, 45 CFR 164.514(b)(2))".into()),
            });
        }
    }
    let mut wanted: Vec<(&str, String)> = Vec::new();
    if let Some(d) = &protocol.columns.decision {
        wanted.push(("columns.decision", d.clone()));
    }
    if let Some(s) = &protocol.columns.score {
        wanted.push(("columns.score", s.clone()));
    }
    wanted.push(("columns.outcome", protocol.columns.outcome.clone()));
    if let Some(c) = &protocol.columns.count {
        wanted.push(("columns.count", c.clone()));
    }
    if let Some(w) = &protocol.columns.weight {
        wanted.push(("columns.weight", w.clone()));
    }
    if let Some(n) = &protocol.columns.need {
        wanted.push(("columns.need", n.clone()));
    }
    for a in &protocol.attributes {
        wanted.push(("attributes.column", a.column.clone()));
    }
    for (key, c) in wanted {
        if !header.contains(&c) {
            problems.push(diag(
                path,
                None,
                format!("column `{c}` (from `{key}` in the protocol) is not in the data"),
                Some(format!(
                    "the columns are: {}",
                    header
                        .iter()
                        .map(|h| format!("`{h}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            ));
        }
    }
    if problems.is_empty() {
        Ok(header)
    } else {
        Err(DataError(problems))
    }
}

/// Hex SHA-256 of a file, streamed (memory stays flat whatever the file's size).
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    let mut file = fs_err::File::open(path)?;
    std::io::copy(&mut file, &mut hasher)?;
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Read the data in one pass and reduce it to sufficient statistics. `data_override` replaces the
/// protocol's `data.path` (a vendor running a clinic's protocol on its own extract).
pub fn load(protocol: &Protocol, data_override: Option<&Path>) -> Result<Loaded, DataError> {
    let path = data_override
        .map(Path::to_path_buf)
        .unwrap_or_else(|| protocol.data.path.clone());
    let format = format_of(&path, protocol.data.format);
    check_columns(protocol, &path, format)?;

    let mut key_columns: Vec<String> = protocol
        .attributes
        .iter()
        .map(|a| a.column.clone())
        .collect();
    key_columns.sort();
    key_columns.dedup();
    let spec = scan::ScanSpec {
        path: &path,
        format,
        null_values: &protocol.data.null_values,
        key_columns: key_columns.clone(),
        decision: protocol.columns.decision.clone(),
        score: protocol
            .columns
            .score
            .clone()
            .map(|s| (s, protocol.columns.threshold)),
        outcome: protocol.columns.outcome.clone(),
        outcome_at_least: protocol.columns.outcome_at_least,
        count: protocol.columns.count.clone(),
        weight: protocol.columns.weight.clone(),
        score_probability: protocol
            .scores
            .as_ref()
            .is_none_or(|s| s.scale == crate::protocol::ScoreScale::Probability),
        keep_scores: protocol.scores.is_some(),
        need: protocol.columns.need.clone(),
    };
    // Hash the file on one thread while polars scans it on the others.
    let (hash, cells) = std::thread::scope(|s| {
        let h = s.spawn(|| sha256_file(&path));
        let cells = scan::grouped_counts(&spec);
        (h.join(), cells)
    });
    let sha256 = match hash {
        Ok(Ok(h)) => h,
        Ok(Err(e)) => {
            return Err(DataError(vec![diag(
                &path,
                None,
                format!("cannot read the data: {e}"),
                None,
            )]))
        }
        Err(_) => {
            return Err(DataError(vec![diag(
                &path,
                None,
                "hashing the data failed".into(),
                None,
            )]))
        }
    };
    let cells = cells.map_err(|e| {
        DataError(vec![diag(
            &path,
            None,
            format!("cannot read the data: {e}"),
            None,
        )])
    })?;

    let decision_column = protocol
        .columns
        .decision
        .clone()
        .or_else(|| protocol.columns.score.clone())
        .unwrap_or_default();
    let stats =
        coding::code(protocol, &key_columns, &cells, &decision_column).map_err(|problems| {
            DataError(
                problems
                    .into_iter()
                    .map(|p| {
                        let line = if format == Format::Csv && p.locate {
                            scan::first_line_with(
                                &path,
                                format,
                                &protocol.data.null_values,
                                &p.column,
                                p.value.as_deref(),
                            )
                        } else {
                            None
                        };
                        let rows = if p.rows == 1 {
                            "1 row".to_string()
                        } else {
                            format!("{} rows", p.rows)
                        };
                        let first = line
                            .map(|l| format!(", first at line {l}"))
                            .unwrap_or_default();
                        diag(
                            &path,
                            line.map(|l| l as usize),
                            format!("{} ({rows}{first})", p.message),
                            p.hint,
                        )
                    })
                    .collect(),
            )
        })?;
    if stats.cases == 0 {
        return Err(DataError(vec![diag(
            &path,
            None,
            "the data has no rows".into(),
            None,
        )]));
    }
    Ok(Loaded {
        path,
        format,
        sha256,
        counts_input: protocol.columns.count.is_some(),
        stats,
    })
}
