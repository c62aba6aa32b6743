//! The one pass over the rows, through polars: a grouped count over the distinct values of every
//! column the protocol uses. Everything after this works on the (small) grouped table.
//! This is the only module of the crate that imports polars; its API moves between versions, so
//! the churn stays here.

use std::path::Path;
use std::sync::Arc;

use polars::prelude::*;

use crate::protocol::Format;

/// What the scan needs to know: the columns and how the decision is formed.
pub struct ScanSpec<'a> {
    pub path: &'a Path,
    pub format: Format,
    pub null_values: &'a [String],
    /// Repeated column names the protocol picks by position: `(name, k)` reads the name's k-th
    /// repeat (polars names it `name_duplicated_{k-1}`) as `name`.
    pub picks: &'a [(String, usize)],
    /// Columns read as text and grouped on (attributes, and the decision when it is a column).
    pub key_columns: Vec<String>,
    pub decision: Option<String>,
    /// `(column, threshold)`: the decision is `score >= threshold`.
    pub score: Option<(String, Option<f64>)>,
    pub outcome: String,
    /// The outcome is `outcome >= t` of a numeric column.
    pub outcome_at_least: Option<f64>,
    pub count: Option<String>,
    pub weight: Option<String>,
    /// Whether the score must be a probability (checked in [0, 1]); else it must be finite.
    pub score_probability: bool,
    /// Keep every row's score in its cell (for discrimination and calibration).
    pub keep_scores: bool,
    /// Keep every row's value of this column beside its score (the measure of need).
    pub need: Option<String>,
    /// Read a counts submission's score table (the `s1557_score_*` columns) per cell.
    pub score_table: bool,
    /// The score table also carries need (the `s1557_need_*` columns).
    pub table_need: bool,
}

/// One row of a counts submission's score table: the cases of one cell whose scores fall in one
/// bin (`bin` missing: the cell's unscored cases).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TableRow {
    pub bin: Option<f64>,
    pub n: f64,
    pub sum: f64,
    pub min: f64,
    pub max: f64,
    /// Cases with a need, and the sum and sum of squares of their need (a table with need).
    pub need: Option<(f64, f64, f64)>,
}

/// The largest magnitude of a need value: doubles count whole units exactly up to here, and sums
/// of squares of a quarter's needs stay finite.
pub const NEED_LIMIT: f64 = 1e15;

/// One cell of the grouped table: the raw texts of the key columns and how many cases carry them.
#[derive(Debug, Clone)]
pub struct RawCell {
    pub keys: Vec<Option<String>>,
    pub decision: Option<String>,
    pub outcome: Option<String>,
    pub count: f64,
    /// Rows in this cell whose score lies outside [0, 1] (a probability) or is not finite.
    pub score_out_of_range: u64,
    /// Rows whose need is not finite or beyond ±10^15 ([`NEED_LIMIT`]).
    pub need_out_of_range: u64,
    /// The scores of the cell's rows (NaN: missing), when kept; in no particular order.
    pub scores: Vec<f64>,
    /// The measure of need of the same rows, aligned with `scores` (NaN: missing), when kept.
    pub needs: Vec<f64>,
    /// Rows in this cell with no score.
    pub score_missing: u64,
    /// Rows whose count is negative, missing or not a whole number (counts submissions).
    pub bad_counts: u64,
    /// Sum of the weights and of their squares (when a weight column is named).
    pub weight_sum: f64,
    pub weight_sq_sum: f64,
    /// Rows whose weight is missing, negative or not finite.
    pub bad_weights: u64,
    /// The cell's score table rows (a counts submission with scores), in no particular order.
    pub table: Vec<TableRow>,
}

/// The column names of a data file (after polars' header parsing).
pub fn header(path: &Path, format: Format, null_values: &[String]) -> PolarsResult<Vec<String>> {
    let mut lf = frame(path, format, null_values, &[], &[], &[])?;
    let schema = lf.collect_schema()?;
    Ok(schema.iter_names().map(|n| n.to_string()).collect())
}

/// The first `rows` rows of every column as text (missing values left out), for the
/// de-identification guard's look at the values. A nested column (a Parquet list or struct)
/// has no text form: `None`.
pub fn sample(
    path: &Path,
    format: Format,
    null_values: &[String],
    header: &[String],
    rows: u32,
) -> PolarsResult<Vec<Option<Vec<String>>>> {
    let lf = match format {
        // Every column read as text, as written.
        Format::Csv => {
            let nulls: Vec<PlSmallStr> = null_values.iter().map(|s| s.as_str().into()).collect();
            LazyCsvReader::new(PlRefPath::new(path.to_string_lossy().as_ref()))
                .with_has_header(true)
                .with_infer_schema_length(Some(0))
                .with_null_values(if nulls.is_empty() {
                    None
                } else {
                    Some(NullValues::AllColumns(nulls))
                })
                .finish()?
        }
        Format::Parquet => frame(path, format, null_values, &[], &[], &[])?,
    };
    let mut lf = lf;
    let schema = lf.collect_schema()?;
    let nested = |c: &str| schema.get(c).is_some_and(DataType::is_nested);
    let exprs: Vec<Expr> = header
        .iter()
        .filter(|c| !nested(c))
        .map(|c| col(c.as_str()).cast(DataType::String))
        .collect();
    let df = lf.limit(rows).select(exprs).collect()?;
    let mut read = df.columns().iter();
    header
        .iter()
        .map(|c| {
            if nested(c) {
                return Ok(None);
            }
            let Some(column) = read.next() else {
                return Ok(None);
            };
            Ok(Some(
                column.str()?.iter().flatten().map(str::to_string).collect(),
            ))
        })
        .collect()
}

fn frame(
    path: &Path,
    format: Format,
    null_values: &[String],
    text_columns: &[String],
    float_columns: &[&str],
    picks: &[(String, usize)],
) -> PolarsResult<LazyFrame> {
    let p = PlRefPath::new(path.to_string_lossy().as_ref());
    // A picked repeat is read under its polars name with the type asked of the name.
    let repeat = |name: &str| {
        picks
            .iter()
            .find(|(n, k)| n == name && *k > 0)
            .map(|(n, k)| polars_name(n, *k))
    };
    match format {
        Format::Csv => {
            let mut overwrite = Schema::default();
            for c in text_columns {
                let c = repeat(c).unwrap_or_else(|| c.clone());
                overwrite.with_column(c.as_str().into(), DataType::String);
            }
            for f in float_columns {
                let f = repeat(f).unwrap_or_else(|| f.to_string());
                overwrite.with_column(f.as_str().into(), DataType::Float64);
            }
            let nulls: Vec<PlSmallStr> = null_values.iter().map(|s| s.as_str().into()).collect();
            LazyCsvReader::new(p)
                .with_has_header(true)
                .with_infer_schema_length(Some(10_000))
                .with_dtype_overwrite(if overwrite.is_empty() {
                    None
                } else {
                    Some(Arc::new(overwrite))
                })
                .with_null_values(if nulls.is_empty() {
                    None
                } else {
                    Some(NullValues::AllColumns(nulls))
                })
                .finish()
                .map(|lf| {
                    picks.iter().fold(lf, |lf, (name, _)| match repeat(name) {
                        Some(r) => lf.drop(cols([name.as_str()])).rename(
                            [r.as_str()],
                            [name.as_str()],
                            true,
                        ),
                        None => lf,
                    })
                })
        }
        Format::Parquet => LazyFrame::scan_parquet(p, ScanArgsParquet::default()),
    }
}

/// The name polars gives the k-th repeat of a CSV column name (0: the first, its own name).
pub fn polars_name(name: &str, k: usize) -> String {
    match k {
        0 => name.to_string(),
        k => format!("{name}_duplicated_{}", k - 1),
    }
}

/// Run the grouped count. Returns the cells of the table.
pub fn grouped_counts(spec: &ScanSpec) -> PolarsResult<Vec<RawCell>> {
    let mut text_columns = spec.key_columns.clone();
    if let Some(d) = &spec.decision {
        text_columns.push(d.clone());
    }
    if spec.outcome_at_least.is_none() {
        text_columns.push(spec.outcome.clone());
    }
    text_columns.sort();
    text_columns.dedup();
    let score_col = spec.score.as_ref().map(|(c, _)| c.as_str());
    // Numeric columns read as floats throughout (not as integers inferred from the first rows).
    let numeric_outcome = spec.outcome_at_least.map(|_| spec.outcome.as_str());
    let mut floats: Vec<&str> = [
        score_col,
        spec.weight.as_deref(),
        spec.count.as_deref(),
        spec.need.as_deref(),
        numeric_outcome,
    ]
    .into_iter()
    .flatten()
    .collect();
    if spec.score_table {
        use super::counts::{SCORE_BIN, SCORE_MAX, SCORE_MIN, SCORE_SUM};
        floats.extend([SCORE_BIN, SCORE_SUM, SCORE_MIN, SCORE_MAX]);
    }
    if spec.table_need {
        use super::counts::{NEED_N, NEED_SUM, NEED_SUMSQ};
        floats.extend([NEED_N, NEED_SUM, NEED_SUMSQ]);
    }
    let lf = frame(
        spec.path,
        spec.format,
        spec.null_values,
        &text_columns,
        &floats,
        spec.picks,
    )?;

    let mut keys: Vec<Expr> = spec
        .key_columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            col(c.as_str())
                .cast(DataType::String)
                .alias(format!("__k{i}"))
        })
        .collect();
    let decision = match (&spec.decision, &spec.score) {
        (Some(d), _) => col(d.as_str()).cast(DataType::String),
        (None, Some((s, Some(t)))) => col(s.as_str())
            .cast(DataType::Float64)
            .gt_eq(lit(*t))
            .cast(DataType::String),
        _ => lit(NULL).cast(DataType::String),
    };
    keys.push(decision.alias("__decision"));
    let outcome = match spec.outcome_at_least {
        // NaN compares above every number in polars: NaN and infinities become missing outcomes
        // (an error naming the column), not positive ones.
        Some(t) => {
            let v = col(spec.outcome.as_str()).cast(DataType::Float64);
            when(v.clone().gt(lit(f64::MAX)).or(v.clone().lt(lit(f64::MIN))))
                .then(lit(NULL).cast(DataType::Boolean))
                .otherwise(v.gt_eq(lit(t)))
                .cast(DataType::String)
        }
        None => col(spec.outcome.as_str()).cast(DataType::String),
    };
    keys.push(outcome.alias("__outcome"));

    let mut aggs = vec![];
    match &spec.count {
        Some(c) => {
            let v = col(c.as_str()).cast(DataType::Float64);
            aggs.push(v.clone().fill_null(lit(0.0)).sum().alias("__n"));
            // Missing, negative, not whole, NaN, infinite or beyond 2^53 (where f64 stops counting
            // exactly). NaN and infinities cast to a null whole part, so the test is null for
            // them: null counts as bad.
            let whole = v.clone().cast(DataType::Int64).cast(DataType::Float64);
            let bad = v
                .clone()
                .is_null()
                .or(v.clone().lt(lit(0.0)))
                .or(v.clone().gt(lit(9_007_199_254_740_992.0)))
                .or(v.clone().neq(whole))
                .fill_null(lit(true));
            aggs.push(bad.cast(DataType::UInt64).sum().alias("__bad_counts"));
        }
        None => {
            aggs.push(len().cast(DataType::Float64).alias("__n"));
            aggs.push(lit(0u64).first().alias("__bad_counts"));
        }
    }
    match &spec.weight {
        Some(w) => {
            let v = col(w.as_str()).cast(DataType::Float64);
            // The weights themselves, summed after the scan in a fixed order: polars' parallel
            // sums add partial sums in whatever order its threads finish, which moves the last
            // bits from run to run.
            aggs.push(v.clone().fill_null(lit(0.0)).implode(false).alias("__w"));
            // NaN compares above every number in polars, so the upper bound also rules out NaN;
            // 1e100 keeps the squares finite.
            let good = v.clone().gt_eq(lit(0.0)).and(v.lt(lit(1e100)));
            aggs.push(
                good.not()
                    .fill_null(lit(true))
                    .cast(DataType::UInt64)
                    .sum()
                    .alias("__bad_w"),
            );
        }
        None => {
            aggs.push(lit(0u64).first().alias("__bad_w"));
        }
    }
    match score_col {
        Some(s) => {
            let v = col(s).cast(DataType::Float64);
            // NaN compares above every number in polars: both checks rule it out.
            let (lo, hi) = if spec.score_probability {
                (0.0, 1.0)
            } else {
                (f64::MIN, f64::MAX)
            };
            aggs.push(
                v.clone()
                    .lt(lit(lo))
                    .or(v.clone().gt(lit(hi)))
                    .cast(DataType::UInt64)
                    .sum()
                    .alias("__score_bad"),
            );
            if spec.keep_scores {
                let sv = v.clone().fill_null(lit(f64::NAN));
                match &spec.need {
                    // One list of (score, need) pairs, so the two stay aligned row by row.
                    Some(n) => aggs.push(
                        as_struct(vec![
                            sv.alias("s"),
                            col(n.as_str())
                                .cast(DataType::Float64)
                                .fill_null(lit(f64::NAN))
                                .alias("v"),
                        ])
                        .implode(false)
                        .alias("__scores"),
                    ),
                    None => aggs.push(sv.implode(false).alias("__scores")),
                }
            }
            aggs.push(
                v.is_null()
                    .cast(DataType::UInt64)
                    .sum()
                    .alias("__score_null"),
            );
        }
        None => {
            aggs.push(lit(0u64).first().alias("__score_bad"));
            aggs.push(lit(0u64).first().alias("__score_null"));
        }
    }

    match spec.need.as_deref().filter(|_| spec.keep_scores) {
        // NaN compares above every number in polars, so it counts as out of range.
        Some(n) => {
            let v = col(n).cast(DataType::Float64);
            aggs.push(
                v.clone()
                    .gt(lit(NEED_LIMIT))
                    .or(v.lt(lit(-NEED_LIMIT)))
                    .cast(DataType::UInt64)
                    .sum()
                    .alias("__need_bad"),
            )
        }
        None => aggs.push(lit(0u64).first().alias("__need_bad")),
    }
    if spec.score_table {
        use super::counts::{SCORE_BIN, SCORE_MAX, SCORE_MIN, SCORE_SUM};
        let f = |c: &str| col(c).cast(DataType::Float64);
        let mut fields = vec![
            f(SCORE_BIN).alias("b"),
            f(spec.count.as_deref().unwrap_or_default()).alias("n"),
            f(SCORE_SUM).alias("s"),
            f(SCORE_MIN).alias("lo"),
            f(SCORE_MAX).alias("hi"),
        ];
        if spec.table_need {
            use super::counts::{NEED_N, NEED_SUM, NEED_SUMSQ};
            fields.push(f(NEED_N).alias("k"));
            fields.push(f(NEED_SUM).alias("ns"));
            fields.push(f(NEED_SUMSQ).alias("ns2"));
        }
        aggs.push(as_struct(fields).implode(false).alias("__table"));
    }

    let df = lf
        .group_by(keys)
        .agg(aggs)
        .collect_with_engine(Engine::Streaming)?
        .unwrap_single();

    let height = df.height();
    let text = |name: &str| -> PolarsResult<Vec<Option<String>>> {
        let c = df.column(name)?.cast(&DataType::String)?;
        Ok(c.str()?.iter().map(|v| v.map(str::to_string)).collect())
    };
    let float = |name: &str| -> PolarsResult<Vec<f64>> {
        let c = df.column(name)?.cast(&DataType::Float64)?;
        Ok(c.f64()?.iter().map(|v| v.unwrap_or(0.0)).collect())
    };
    let key_values: Vec<Vec<Option<String>>> = (0..spec.key_columns.len())
        .map(|i| text(&format!("__k{i}")))
        .collect::<PolarsResult<_>>()?;
    let decisions = text("__decision")?;
    let outcomes = text("__outcome")?;
    let counts = float("__n")?;
    let bad_counts = float("__bad_counts")?;
    let score_bad = float("__score_bad")?;
    let need_bad = float("__need_bad")?;
    let score_null = float("__score_null")?;
    let (w, w2) = if spec.weight.is_some() {
        weight_sums(&df)?
    } else {
        (vec![0.0; height], vec![0.0; height])
    };
    let bad_w = float("__bad_w")?;
    let (scores, needs) = if spec.keep_scores && score_col.is_some() {
        kept_scores(&df, spec.need.is_some())?
    } else {
        (vec![vec![]; height], vec![vec![]; height])
    };
    let mut scores = scores.into_iter();
    let mut needs = needs.into_iter();
    let mut tables = if spec.score_table {
        table_rows(&df)?
    } else {
        vec![vec![]; height]
    }
    .into_iter();

    // The grouped table comes in no fixed order; sums over its cells (weights, scores) depend on
    // order, so the cells are sorted by their texts and the same input gives the same bytes.
    let mut cells: Vec<RawCell> = (0..height)
        .map(|r| RawCell {
            keys: key_values.iter().map(|k| k[r].clone()).collect(),
            decision: decisions[r].clone(),
            outcome: outcomes[r].clone(),
            count: counts[r],
            score_out_of_range: score_bad[r] as u64,
            need_out_of_range: need_bad[r] as u64,
            score_missing: score_null[r] as u64,
            scores: scores.next().unwrap_or_default(),
            needs: needs.next().unwrap_or_default(),
            bad_counts: bad_counts[r] as u64,
            weight_sum: w[r],
            weight_sq_sum: w2[r],
            bad_weights: bad_w[r] as u64,
            table: tables.next().unwrap_or_default(),
        })
        .collect();
    cells.sort_by(|x, y| {
        (&x.keys, &x.decision, &x.outcome).cmp(&(&y.keys, &y.decision, &y.outcome))
    });
    Ok(cells)
}

/// Each cell's sum of weights and of their squares, over the weights sorted (so the sums do not
/// depend on the order the rows arrived in).
fn weight_sums(df: &DataFrame) -> PolarsResult<(Vec<f64>, Vec<f64>)> {
    let lists = df.column("__w")?.as_materialized_series().list()?.clone();
    let (mut sums, mut squares) = (Vec::with_capacity(lists.len()), Vec::new());
    for cell in lists.series_iter() {
        let mut v: Vec<f64> = match cell {
            Some(c) => c
                .cast(&DataType::Float64)?
                .f64()?
                .iter()
                .map(|x| x.unwrap_or(0.0))
                .collect(),
            None => vec![],
        };
        v.sort_by(f64::total_cmp);
        sums.push(v.iter().sum());
        squares.push(v.iter().map(|x| x * x).sum());
    }
    Ok((sums, squares))
}

/// The score table rows of each cell of the grouped table (missing numbers as NaN, a missing
/// bin as `None`).
fn table_rows(df: &DataFrame) -> PolarsResult<Vec<Vec<TableRow>>> {
    let lists = df
        .column("__table")?
        .as_materialized_series()
        .list()?
        .clone();
    let values = |s: &Series| -> PolarsResult<Vec<Option<f64>>> {
        let f = s.cast(&DataType::Float64)?;
        Ok(f.f64()?.iter().collect())
    };
    let mut out = Vec::with_capacity(lists.len());
    for cell in lists.series_iter() {
        let Some(cell) = cell else {
            out.push(vec![]);
            continue;
        };
        let fields = cell.struct_()?.fields_as_series();
        let cols: Vec<Vec<Option<f64>>> = fields.iter().map(values).collect::<PolarsResult<_>>()?;
        let nan = |v: Option<f64>| v.unwrap_or(f64::NAN);
        out.push(
            (0..cell.len())
                .map(|i| TableRow {
                    bin: cols[0][i],
                    n: nan(cols[1][i]),
                    sum: nan(cols[2][i]),
                    min: nan(cols[3][i]),
                    max: nan(cols[4][i]),
                    // A row without a bin has no need; a scored row with a missing `s1557_need_n`
                    // is an error caught by the format's checks (NaN is not a whole number).
                    need: (cols.len() > 5 && cols[0][i].is_some())
                        .then(|| (nan(cols[5][i]), nan(cols[6][i]), nan(cols[7][i]))),
                })
                .collect(),
        );
    }
    Ok(out)
}

/// The kept scores (and needs) of each cell of the grouped table.
type Kept = (Vec<Vec<f64>>, Vec<Vec<f64>>);

fn kept_scores(df: &DataFrame, with_need: bool) -> PolarsResult<Kept> {
    let lists = df
        .column("__scores")?
        .as_materialized_series()
        .list()?
        .clone();
    let values = |s: &Series| -> PolarsResult<Vec<f64>> {
        let f = s.cast(&DataType::Float64)?;
        Ok(f.f64()?.iter().map(|v| v.unwrap_or(f64::NAN)).collect())
    };
    let (mut scores, mut needs) = (Vec::with_capacity(lists.len()), Vec::new());
    for cell in lists.series_iter() {
        let Some(cell) = cell else {
            scores.push(vec![]);
            needs.push(vec![]);
            continue;
        };
        if with_need {
            let fields = cell.struct_()?.fields_as_series();
            scores.push(values(&fields[0])?);
            needs.push(values(&fields[1])?);
        } else {
            scores.push(values(&cell)?);
            needs.push(vec![]);
        }
    }
    Ok((scores, needs))
}

/// The 1-based data line (header = line 1) of the first row whose `column` holds `value`
/// (`None`: a missing cell), for error messages. CSV only; `None` when not found.
pub fn first_line_with(
    path: &Path,
    format: Format,
    (null_values, picks): (&[String], &[(String, usize)]),
    column: &str,
    value: Option<&str>,
) -> Option<u64> {
    let lf = frame(path, format, null_values, &[column.to_string()], &[], picks).ok()?;
    let c = col(column).cast(DataType::String);
    let cond = match value {
        Some(v) => c.eq(lit(v)),
        None => c.is_null(),
    };
    let df = lf
        .with_row_index("__row", None)
        .filter(cond)
        .select([col("__row")])
        .limit(1)
        .collect()
        .ok()?;
    if df.height() == 0 {
        return None;
    }
    let row = df.column("__row").ok()?.cast(&DataType::UInt64).ok()?;
    let idx = row.u64().ok()?.get(0)?;
    Some(idx + 2)
}

/// A summary of one column for `s1557 init`: its dtype and most frequent values.
pub struct ColumnProfile {
    pub name: String,
    pub dtype: String,
    pub distinct: usize,
    /// Up to `limit` most frequent values with their counts, most frequent first
    /// (`None`: a missing cell).
    pub top: Vec<(Option<String>, u64)>,
    pub numeric_range: Option<(f64, f64)>,
}

/// Profile every column of a data file (one grouped count per column).
pub fn profile(
    path: &Path,
    format: Format,
    null_values: &[String],
    limit: usize,
) -> PolarsResult<Vec<ColumnProfile>> {
    // A file ending in a lone quote makes the polars reader index out of bounds.
    if let Some(line) = (format == Format::Csv)
        .then(|| super::shape::lone_quote_at_end(path))
        .flatten()
    {
        polars_bail!(ComputeError: "line {line} ends the file with a lone quote (`\"` with nothing after it)");
    }
    let df = frame(path, format, null_values, &[], &[], &[])?.collect()?;
    let mut out = Vec::new();
    for c in df.columns() {
        let name = c.name().to_string();
        let dtype = c.dtype().to_string();
        let numeric = c.dtype().is_primitive_numeric();
        let counts = df
            .clone()
            .lazy()
            .group_by([col(name.as_str()).cast(DataType::String).alias("__v")])
            .agg([len().cast(DataType::UInt64).alias("__n")])
            .sort(
                ["__n", "__v"],
                SortMultipleOptions::default().with_order_descending_multi([true, false]),
            )
            .collect()?;
        let distinct = counts.height();
        let values = counts.column("__v")?.str()?.clone();
        let ns = counts.column("__n")?.u64()?.clone();
        let top = values
            .iter()
            .zip(ns.iter())
            .take(limit)
            .map(|(v, n)| (v.map(str::to_string), n.unwrap_or(0)))
            .collect();
        let numeric_range = if numeric {
            let f = c.cast(&DataType::Float64)?;
            let f = f.f64()?;
            match (f.min(), f.max()) {
                (Some(lo), Some(hi)) => Some((lo, hi)),
                _ => None,
            }
        } else {
            None
        };
        out.push(ColumnProfile {
            name,
            dtype,
            distinct,
            top,
            numeric_range,
        });
    }
    Ok(out)
}

/// Convert a CSV file to Parquet (for `s1557 generate --out FILE.parquet` and benchmarks).
pub fn csv_to_parquet(csv: &Path, parquet: &Path) -> PolarsResult<()> {
    let mut df = frame(csv, Format::Csv, &[], &[], &[], &[])?.collect()?;
    let file = std::fs::File::create(parquet)?;
    ParquetWriter::new(file).finish(&mut df)?;
    Ok(())
}

/// A column of a table to write: its name and values.
pub enum OutColumn {
    Text(String, Vec<Option<String>>),
    Int(String, Vec<Option<i64>>),
    Float(String, Vec<Option<f64>>),
}

/// Write a table of columns as a Parquet file's bytes.
pub fn parquet_bytes(columns: Vec<OutColumn>) -> PolarsResult<Vec<u8>> {
    let cols: Vec<Column> = columns
        .into_iter()
        .map(|c| match c {
            OutColumn::Text(n, v) => Column::new(n.as_str().into(), v),
            OutColumn::Int(n, v) => Column::new(n.as_str().into(), v),
            OutColumn::Float(n, v) => Column::new(n.as_str().into(), v),
        })
        .collect();
    let mut df = DataFrame::new_infer_height(cols)?;
    let mut buf = Vec::new();
    ParquetWriter::new(&mut buf).finish(&mut df)?;
    Ok(buf)
}
