//! Reading the data a protocol names: CSV or Parquet rows, or a counts submission (rows with a
//! frequency column). Checks that every named column exists, refuses direct identifiers, makes
//! the one pass ([`scan`]) and codes the groups ([`coding`]) into [`SufficientStats`].
//! Touches the protocol, nothing downstream.

pub mod coding;
pub mod counts;
pub mod design;
pub mod phi;
pub mod scan;
pub mod shape;

use std::path::{Path, PathBuf};

use crate::protocol::{Diagnostic, Format, Protocol};
use crate::suffstats::{Evidence, Source, SufficientStats};

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

/// The columns a run reads from a file with this header: the protocol's own, or a counts
/// submission's (format `counts/1`), each with the protocol key it comes from.
fn wanted_columns(protocol: &Protocol, counts_file: bool) -> Vec<(&'static str, String)> {
    if counts_file {
        return counts::columns(protocol)
            .into_iter()
            .map(|c| ("", c))
            .collect();
    }
    let c = &protocol.columns;
    let mut wanted: Vec<(&str, String)> = Vec::new();
    let named = [
        ("columns.decision", &c.decision),
        ("columns.score", &c.score),
        ("columns.outcome", &Some(c.outcome.clone())),
        ("columns.count", &c.count),
        ("columns.weight", &c.weight),
        ("columns.need", &c.need),
        ("columns.cluster", &c.cluster),
        ("columns.strata", &c.strata),
    ];
    for (key, v) in named {
        if let Some(v) = v {
            wanted.push((key, v.clone()));
        }
    }
    for a in &protocol.attributes {
        wanted.push(("attributes.column", a.column.clone()));
    }
    for e in &protocol.data.exclude {
        wanted.push(("data.exclude", e.column.clone()));
    }
    wanted
}

/// What a counts submission cannot carry under this protocol (format `counts/1`).
fn counts_file_problems(protocol: &Protocol, path: &Path) -> Vec<Diagnostic> {
    counts::cannot_carry(protocol)
        .into_iter()
        .map(|(what, hint)| diag(path, None, what.to_string(), Some(hint.to_string())))
        .collect()
}

/// A CSV header's names as written (polars renames a repeated name, so it is read here).
fn csv_header(path: &Path) -> Option<Vec<String>> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(path)
        .ok()?;
    let first = r.records().next()?.ok()?;
    Some(first.iter().map(str::to_string).collect())
}

/// A name the run reads that heads two or more columns: which one is meant cannot be told.
fn duplicated_columns(protocol: &Protocol, path: &Path, counts_file: bool) -> Vec<Diagnostic> {
    let Some(names) = csv_header(path) else {
        return Vec::new();
    };
    let wanted = wanted_columns(protocol, counts_file);
    let mut out = Vec::new();
    for (name, &p) in &protocol.data.pick {
        let at: Vec<usize> = (0..names.len()).filter(|&i| &names[i] == name).collect();
        if !at.is_empty() && !at.contains(&(p - 1)) {
            out.push(diag(
                path,
                Some(1),
                format!(
                    "`data.pick` reads column {p} as `{name}`, but `{name}` is column {}",
                    at.iter()
                        .map(|i| (i + 1).to_string())
                        .collect::<Vec<_>>()
                        .join(" and ")
                ),
                None,
            ));
        }
    }
    for (key, name) in &wanted {
        let at: Vec<usize> = (0..names.len()).filter(|&i| &names[i] == name).collect();
        if at.len() > 1
            && !protocol.data.pick.contains_key(name)
            && !out
                .iter()
                .any(|d: &Diagnostic| d.message.contains(&format!("`{name}`")))
        {
            let places = at
                .iter()
                .map(|i| (i + 1).to_string())
                .collect::<Vec<_>>()
                .join(" and ");
            out.push(diag(
                path,
                Some(1),
                format!(
                    "columns {places} are both named `{name}`, which the run reads{}: which one is meant cannot be told",
                    if key.is_empty() { String::new() } else { format!(" (`{key}`)") }
                ),
                Some(format!("rename or drop one of them in the data, or pick one by position: `[data.pick]` `{name} = {}`", at[0] + 1)),
            ));
        }
    }
    out
}

/// Whether the protocol declares this column (by polars' name) a key the site has hashed
/// (`columns.cluster`) or accepts it (`[[data.accept]]`). A picked repeat
/// (`name_duplicated_{k-1}`) is judged under its name; the column of that name it was picked over
/// is judged as any other.
fn declared(protocol: &Protocol, picks: &[(String, usize)], column: &str) -> bool {
    let picked = picks
        .iter()
        .find_map(|(n, k)| (scan::polars_name(n, *k) == column).then_some(n.as_str()));
    let passed_over = picks.iter().any(|(n, k)| *k > 0 && n == column);
    let name = match (picked, passed_over) {
        (Some(n), _) => n,
        (None, true) => return false,
        (None, false) => column,
    };
    protocol.columns.cluster.as_deref() == Some(name)
        || protocol.data.accept.iter().any(|a| a.column == name)
}

/// The repeated names `data.pick` picks, as `(name, k)`: the k-th repeat (0 for the first
/// column of the name). Only for a CSV file with the name repeated (Parquet cannot repeat one).
fn picked_repeats(protocol: &Protocol, path: &Path) -> Vec<(String, usize)> {
    let csv = format_of(path, protocol.data.format) == Format::Csv;
    let Some(names) = csv_header(path).filter(|_| csv && !protocol.data.pick.is_empty()) else {
        return Vec::new();
    };
    protocol
        .data
        .pick
        .iter()
        .filter_map(|(name, &p)| {
            let at: Vec<usize> = (0..names.len()).filter(|&i| &names[i] == name).collect();
            let k = at.iter().position(|&i| i + 1 == p)?;
            Some((name.clone(), k))
        })
        .collect()
}

/// Rows the de-identification guard looks at, from the top of the file.
const SAMPLE_ROWS: u32 = 2_000;

/// Columns whose values look like direct identifiers (e-mail addresses, Social Security numbers,
/// dates finer than the year, …), except the protocol's declared cluster key and the columns it
/// accepts with a reason. The messages name the column and the kind, never a value.
fn identifiers_by_value(
    protocol: &Protocol,
    path: &Path,
    format: Format,
    (header, picks): (&[String], &[(String, usize)]),
) -> Vec<Diagnostic> {
    // Values that cannot be read cannot be checked: the file is refused, never passed unseen.
    let sample = match scan::sample(
        path,
        format,
        &protocol.data.null_values,
        header,
        SAMPLE_ROWS,
    ) {
        Ok(s) => s,
        Err(e) => {
            // A ragged row is the likelier cause in a CSV file, and has a line to show.
            if let (Format::Csv, Ok((_, Some(r)))) = (format, hash_and_shape(path, true)) {
                return ragged_row(path, r).0;
            }
            return vec![diag(
                path,
                None,
                format!(
                    "cannot read the values to check them for identifiers: {}",
                    without_values(&e.to_string())
                ),
                Some("save the file as UTF-8 CSV or as Parquet with plain columns".into()),
            )];
        }
    };
    let c = &protocol.columns;
    let measures = [&c.score, &c.need, &c.weight, &c.count];
    let mut out = Vec::new();
    for (i, (name, values)) in header.iter().zip(&sample).enumerate() {
        // The counts format's own columns are counts and sums, not identifiers.
        let exempt = declared(protocol, picks, name) || name.starts_with("s1557_");
        if exempt {
            continue;
        }
        let Some(values) = values else {
            out.push(diag(
                path,
                None,
                format!("column `{name}` holds lists or records, whose values cannot be checked for identifiers"),
                Some(format!("drop it from the extract, or accept it in the protocol: [[data.accept]] column = \"{name}\", reason = \"…\"")),
            ));
            continue;
        };
        let measure = measures.iter().any(|m| m.as_deref() == Some(name.as_str()))
            || (c.outcome == *name && c.outcome_at_least.is_some());
        let refs: Vec<&str> = values.iter().map(String::as_str).collect();
        if let Some(kind) = phi::value_reason(name, &refs, measure) {
            out.push(Diagnostic {
                file: path.to_path_buf(),
                line: None,
                column: Some(i + 1),
                message: format!("column `{name}` holds {kind}, a direct identifier; s1557 takes de-identified data only"),
                hint: Some(format!("drop the column (HIPAA Safe Harbor, 45 CFR 164.514(b)(2)); if it is not an identifier (a key the site has hashed), accept it in the protocol: [[data.accept]] column = \"{name}\", reason = \"…\"")),
            });
        }
    }
    out
}

/// Check that the file exists and has every column the run reads, and none that looks like a
/// direct identifier. Returns the header and whether the file is a counts submission.
pub fn check_columns(
    protocol: &Protocol,
    path: &Path,
    format: Format,
) -> Result<(Vec<String>, bool), DataError> {
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
    if format == Format::Csv && cr_only(path) {
        return Err(DataError(vec![diag(
            path,
            None,
            "the file's lines end in a carriage return only (classic Mac OS), so it reads as one line".into(),
            Some("save it with LF or CRLF line endings".into()),
        )]));
    }
    if let Some(line) = (format == Format::Csv)
        .then(|| shape::lone_quote_at_end(path))
        .flatten()
    {
        return Err(DataError(vec![diag(
            path,
            Some(line as usize),
            format!("line {line} ends the file with a lone quote (`\"` with nothing after it), which the CSV reader cannot take safely"),
            Some("close or remove the quote, and end the file with a line break; the file may be cut short".into()),
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
    let counts_file = counts::is_counts_header(&header);
    let mut problems = if counts_file {
        counts_file_problems(protocol, path)
    } else {
        Vec::new()
    };
    let picks = picked_repeats(protocol, path);
    for (i, c) in header.iter().enumerate() {
        // The cluster column is named by the protocol as a key the site has hashed.
        let declared_key = declared(protocol, &picks, c);
        if let Some(why) = phi::identifier_reason(c).filter(|_| !declared_key) {
            problems.push(Diagnostic {
                file: path.to_path_buf(),
                line: (format == Format::Csv).then_some(1),
                column: Some(i + 1),
                message: format!("column `{c}` looks like {why}, a direct identifier; s1557 takes de-identified data only"),
                hint: Some("drop the column before the run (HIPAA Safe Harbor, 45 CFR 164.514(b)(2))".into()),
            });
        }
    }
    if format == Format::Csv {
        problems.extend(duplicated_columns(protocol, path, counts_file));
    }
    if problems.is_empty() {
        problems.extend(identifiers_by_value(
            protocol,
            path,
            format,
            (&header, &picks),
        ));
    }
    let wanted = wanted_columns(protocol, counts_file);
    // A file holding none of the columns is not the extract (a protocol's `data.path` may name
    // any file): its first line is not printed back.
    let hint = if wanted.iter().any(|(_, c)| header.contains(c)) {
        columns_hint(&header)
    } else {
        "the file holds none of the columns the protocol reads: check that `data.path` (or --data) names the extract; its first line is not shown".into()
    };
    for (key, c) in wanted {
        if !header.contains(&c) {
            problems.push(diag(
                path,
                None,
                if counts_file {
                    format!("column `{c}` of the counts format `{}` is not in the data (docs/counts.md)", counts::FORMAT)
                } else {
                    format!("column `{c}` (from `{key}` in the protocol) is not in the data")
                },
                Some(hint.clone()),
            ));
        }
    }
    if problems.is_empty() {
        Ok((header, counts_file))
    } else {
        Err(DataError(problems))
    }
}

/// Hex SHA-256 of a file, streamed (memory stays flat whatever the file's size).
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    Ok(hash_and_shape(path, false)?.0)
}

/// The file's SHA-256 and, for a CSV file, its first ragged row (see [`shape`]), in one read.
fn hash_and_shape(
    path: &Path,
    csv: bool,
) -> std::io::Result<(String, Option<(shape::Ragged, usize)>)> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let mut hasher = Sha256::new();
    let mut rows = shape::Shape::new();
    let mut file = fs_err::File::open(path)?;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        if csv {
            rows.feed(&buf[..n]);
        }
    }
    let hex = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok((hex, if csv { rows.finish() } else { None }))
}

/// A row whose field count differs from the header's, as an error at its line.
fn ragged_row(path: &Path, ((line, fields), width): (shape::Ragged, usize)) -> DataError {
    DataError(vec![diag(
        path,
        Some(line as usize),
        format!("line {line} has {fields} fields; the header has {width}"),
        Some("every row needs one field per column (a comma inside a value needs quotes)".into()),
    )])
}

/// The scanned data: the grouped table's cells and how to read them.
struct Scanned {
    path: PathBuf,
    /// The repeated column names the protocol picks by position (`data.pick`).
    picks: Vec<(String, usize)>,
    format: Format,
    sha256: String,
    key_columns: Vec<String>,
    cells: Vec<scan::RawCell>,
    reading: coding::Reading,
}

/// The scan of one run: the protocol's columns, or a counts submission's.
fn scan_spec<'a>(
    protocol: &'a Protocol,
    (path, picks): (&'a Path, &'a [(String, usize)]),
    format: Format,
    key_columns: &[String],
    counts_file: bool,
) -> scan::ScanSpec<'a> {
    let c = &protocol.columns;
    let score_probability = protocol
        .scores
        .as_ref()
        .is_none_or(|s| s.scale == crate::protocol::ScoreScale::Probability);
    if counts_file {
        let mut keys = key_columns.to_vec();
        keys.push(counts::FORMAT_COLUMN.into());
        keys.push(counts::SHAPE_COLUMN.into());
        return scan::ScanSpec {
            path,
            format,
            null_values: &protocol.data.null_values,
            picks,
            key_columns: keys,
            decision: Some(counts::DECISION.into()),
            score: None,
            outcome: counts::OUTCOME.into(),
            outcome_at_least: None,
            count: Some(counts::N.into()),
            weight: None,
            score_probability,
            keep_scores: false,
            need: None,
            score_table: protocol.scores.is_some(),
            table_need: counts::with_need(protocol),
        };
    }
    scan::ScanSpec {
        path,
        format,
        null_values: &protocol.data.null_values,
        picks,
        key_columns: key_columns.to_vec(),
        decision: c.decision.clone(),
        score: c.score.clone().map(|s| (s, c.threshold)),
        outcome: c.outcome.clone(),
        outcome_at_least: c.outcome_at_least,
        count: c.count.clone(),
        weight: c.weight.clone(),
        score_probability,
        keep_scores: protocol.scores.is_some(),
        need: c.need.clone(),
        score_table: false,
        table_need: false,
    }
}

fn unreadable(path: &Path, e: impl std::fmt::Display) -> DataError {
    DataError(vec![diag(
        path,
        None,
        format!("cannot read the data: {}", without_values(&e.to_string())),
        None,
    )])
}

/// A reader's message with every backticked cell value replaced (polars quotes the value it
/// could not parse: ``could not parse `Aisha Chen` as dtype `f64` ``), and cut to 300 characters.
/// Type names stay.
fn without_values(message: &str) -> String {
    // The reader's first line says what went wrong; the rest is advice about its own options.
    let message = message.lines().next().unwrap_or(message);
    let mut out = String::new();
    for (i, part) in message.split('`').enumerate() {
        let quoted = i % 2 == 1;
        let kept = !quoted || ["f64", "i64", "str", "bool", "String"].contains(&part);
        match (quoted, kept) {
            (true, true) => out.push_str(&format!("`{part}`")),
            (true, false) => out.push_str("a value"),
            (false, _) => out.push_str(part),
        }
    }
    bounded(out)
}

/// Check the columns, then make the one pass (hashing the file on one thread while polars scans
/// it on the others).
fn scan_data(protocol: &Protocol, data_override: Option<&Path>) -> Result<Scanned, DataError> {
    let path = data_override
        .map(Path::to_path_buf)
        .unwrap_or_else(|| protocol.data.path.clone());
    let format = format_of(&path, protocol.data.format);
    let (_, counts_file) = check_columns(protocol, &path, format)?;
    // Rows are also grouped by the columns of `[[data.exclude]]`; a counts submission was made
    // with the exclusions applied (they are part of its shape).
    let mut key_columns = counts::attribute_columns(protocol);
    if !counts_file {
        key_columns.extend(protocol.data.exclude.iter().map(|e| e.column.clone()));
        key_columns.sort();
        key_columns.dedup();
    }
    let picks = picked_repeats(protocol, &path);
    let spec = scan_spec(protocol, (&path, &picks), format, &key_columns, counts_file);
    let (hash, cells) = std::thread::scope(|s| {
        let h = s.spawn(|| hash_and_shape(&path, format == Format::Csv));
        let cells = scan::grouped_counts(&spec);
        (h.join(), cells)
    });
    let (sha256, ragged) = match hash {
        Ok(Ok(h)) => h,
        Ok(Err(e)) => return Err(unreadable(&path, e)),
        Err(_) => return Err(unreadable(&path, "hashing failed")),
    };
    if let Some(r) = ragged {
        return Err(ragged_row(&path, r));
    }
    let cells = cells.map_err(|e| unreadable(&path, e))?;
    if counts_file {
        let k = key_columns.len();
        let bad: u64 = cells
            .iter()
            .filter(|c| c.keys[k].as_deref() != Some(counts::FORMAT))
            .map(|c| c.count.max(1.0) as u64)
            .sum();
        if bad > 0 {
            return Err(DataError(vec![diag(
                &path,
                None,
                format!(
                    "column `{}` must hold `{}` in every row ({bad} cases in other rows)",
                    counts::FORMAT_COLUMN,
                    counts::FORMAT
                ),
                Some(
                    "this build reads counts submissions of format `counts/1` (docs/counts.md)"
                        .into(),
                ),
            )]));
        }
    }
    if counts_file {
        let expected = counts::shape(protocol);
        let k = key_columns.len() + 1;
        let other: std::collections::BTreeSet<&str> = cells
            .iter()
            .filter_map(|c| c.keys[k].as_deref())
            .filter(|s| !counts::shape_serves(s, &expected))
            .collect();
        let missing = cells.iter().any(|c| c.keys[k].is_none());
        if !other.is_empty() || missing {
            return Err(DataError(vec![diag(
                &path,
                None,
                format!(
                    "the counts were made under a protocol that reads the rows differently: column `{}` holds {}, this protocol's is `{expected}`",
                    counts::SHAPE_COLUMN,
                    if other.is_empty() { "missing values".to_string() } else { other.iter().take(5).map(|s| phi::shown(s).unwrap_or_else(|| "(a value not shown)".into())).collect::<Vec<_>>().join(", ") }
                ),
                Some("the attribute columns, age bands, null values, yes/no values, threshold, outcome cut, score or need column, scale or bin width differ: make the counts again with this protocol (`s1557 counts` or `s1557 sql`)".into()),
            )]));
        }
    }
    let reading = if counts_file {
        counts::reading()
    } else {
        coding::Reading::of_protocol(protocol)
    };
    Ok(Scanned {
        path,
        picks,
        format,
        sha256,
        key_columns,
        cells,
        reading,
    })
}

/// Code the scanned cells, or turn every coding problem into a diagnostic naming the file, the
/// column, the rows and (for CSV) the first line.
fn code_scanned(protocol: &Protocol, s: &Scanned) -> Result<SufficientStats, DataError> {
    coding::code(protocol, &s.key_columns, &s.cells, &s.reading)
        .map_err(|problems| coding_error(protocol, s, problems))
}

fn coding_error(
    protocol: &Protocol,
    s: &Scanned,
    problems: Vec<coding::CodingProblem>,
) -> DataError {
    let total = problems.len();
    let rest_rows: u64 = problems.iter().skip(MAX_LISTED).map(|p| p.rows).sum();
    let mut diags: Vec<Diagnostic> = problems
        .into_iter()
        .take(MAX_LISTED)
        .map(|p| coding_diag(protocol, s, p))
        .collect();
    if total > MAX_LISTED {
        diags.push(diag(
            &s.path,
            None,
            format!(
                "… and {} more problems like these ({rest_rows} rows)",
                total - MAX_LISTED
            ),
            Some(format!(
                "a run lists the first {MAX_LISTED}; fix them and run again"
            )),
        ));
    }
    DataError(diags)
}

/// The most coding problems an error lists (each may re-read the file for its first line).
const MAX_LISTED: usize = 20;

/// The longest message an error prints for one problem (a 200 MB cell is not echoed).
const MAX_MESSAGE: usize = 300;

fn bounded(message: String) -> String {
    match message.char_indices().nth(MAX_MESSAGE) {
        Some((i, _)) => format!("{}…", &message[..i]),
        None => message,
    }
}

fn coding_diag(protocol: &Protocol, s: &Scanned, p: coding::CodingProblem) -> Diagnostic {
    let line = if s.format == Format::Csv && p.locate {
        scan::first_line_with(
            &s.path,
            s.format,
            (&protocol.data.null_values, &s.picks),
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
    let message = bounded(p.message);
    diag(
        &s.path,
        line.map(|l| l as usize),
        // A problem of the whole file (rows 0) has no rows to count.
        if p.rows == 0 {
            message
        } else {
            format!("{message} ({rows}{first})")
        },
        p.hint.map(bounded),
    )
}

/// With `columns.cluster`, a second grouped pass keyed also by the stratum and the cluster, and
/// each attribute's design moments attached to its counts.
fn attach_design(
    protocol: &Protocol,
    s: &Scanned,
    stats: &mut SufficientStats,
) -> Result<(), DataError> {
    let Some(cluster) = &protocol.columns.cluster else {
        return Ok(());
    };
    let mut keys = s.key_columns.clone();
    keys.extend(protocol.columns.strata.iter().cloned());
    keys.push(cluster.clone());
    let mut spec = scan_spec(protocol, (&s.path, &s.picks), s.format, &keys, false);
    (spec.keep_scores, spec.need) = (false, None);
    let cells = scan::grouped_counts(&spec).map_err(|e| unreadable(&s.path, e))?;
    let designs = design::moments(protocol, &s.key_columns, &cells, &s.reading)
        .map_err(|p| coding_error(protocol, s, p))?;
    for (a, mut d) in stats.attributes.iter_mut().zip(designs) {
        // The groups in the order of the counts, and only those the counts have.
        let order =
            |g: &crate::suffstats::GroupDesign| a.groups.iter().position(|x| x.group == g.group);
        d.groups.retain(|g| order(g).is_some());
        d.groups.sort_by_key(|g| order(g));
        a.design = Some(d);
    }
    Ok(())
}

/// Read the data in one pass and reduce it to sufficient statistics. `data_override` replaces the
/// protocol's `data.path` (a vendor running a clinic's protocol on its own extract). The data may
/// be rows (one a case, or with the protocol's `columns.count`) or a counts submission.
pub fn load(protocol: &Protocol, data_override: Option<&Path>) -> Result<Evidence, DataError> {
    let scanned = scan_data(protocol, data_override)?;
    let mut stats = code_scanned(protocol, &scanned)?;
    if !scanned.reading.counts_file {
        attach_design(protocol, &scanned, &mut stats)?;
    }
    if stats.cases == 0 {
        return Err(DataError(vec![diag(
            &scanned.path,
            None,
            "the data has no rows".into(),
            None,
        )]));
    }
    let counts_input = scanned.reading.counts_file || protocol.columns.count.is_some();
    Ok(evidence(&scanned, counts_input, stats))
}

fn evidence(s: &Scanned, counts_input: bool, stats: SufficientStats) -> Evidence {
    Evidence {
        source: Source {
            file: s.path.file_name().map_or_else(
                || s.path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            ),
            sha256: s.sha256.clone(),
            format: match s.format {
                Format::Csv => "csv".into(),
                Format::Parquet => "parquet".into(),
            },
            input: if counts_input { "counts" } else { "rows" }.into(),
        },
        stats,
    }
}

/// Read the rows in one pass, check them as `load` does, and reduce them to a counts submission
/// (format `counts/1`, docs/counts.md).
pub fn counts_table(
    protocol: &Protocol,
    data_override: Option<&Path>,
) -> Result<(counts::Table, Evidence), DataError> {
    let scanned = scan_data(protocol, data_override)?;
    if scanned.reading.counts_file {
        return Err(DataError(vec![diag(
            &scanned.path,
            None,
            "the data is already a counts submission".into(),
            Some(
                "give `s1557 counts` the rows; `s1557 run` reads a counts submission as it is"
                    .into(),
            ),
        )]));
    }
    let problems = counts_file_problems(protocol, &scanned.path);
    if !problems.is_empty() {
        return Err(DataError(problems));
    }
    let stats = code_scanned(protocol, &scanned)?;
    let table = counts::table(
        protocol,
        &scanned.key_columns,
        &scanned.cells,
        &scanned.reading,
    );
    let counts_input = protocol.columns.count.is_some();
    Ok((table, evidence(&scanned, counts_input, stats)))
}

/// The file's column names for a hint, bounded: at most 30 names of at most 40 characters (a
/// path to some other file, or a CR-only file read as one huge header, is not printed whole).
fn columns_hint(header: &[String]) -> String {
    let names: Vec<String> = header
        .iter()
        .take(30)
        .map(|h| match h.char_indices().nth(40) {
            Some((i, _)) => format!("`{}…`", &h[..i]),
            None => format!("`{h}`"),
        })
        .collect();
    let more = header.len().saturating_sub(30);
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    format!("the columns are: {}{more}", names.join(", "))
}

/// Whether the start of a file has carriage returns and no line feed.
fn cr_only(path: &Path) -> bool {
    use std::io::Read;
    let mut head = Vec::with_capacity(1 << 16);
    let read = std::fs::File::open(path).and_then(|f| f.take(1 << 16).read_to_end(&mut head));
    read.is_ok() && head.contains(&b'\r') && !head.contains(&b'\n')
}
