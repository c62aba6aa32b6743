//! `s1557 sql`: one query that computes a protocol's counts submission (format `counts/1`,
//! docs/counts.md) inside a site's own engine, from a table with the protocol's columns. Its
//! result has exactly the columns `s1557 counts` writes and the same rows, so it can be saved
//! and given to `s1557 run`. Pure text: reads the protocol, touches nothing else.
//!
//! The query mirrors the rows path: the protocol's null values and empty texts are missing,
//! ages become the lower bound of their band, the decision and outcome are coded `true`/`false`
//! by the protocol's values, and the score's bin is `floor(score × (1 / bin_width))` in doubles.
//! A query cannot stop on a bad value: what the rows path refuses, the query writes as missing or
//! as a marker (never the value itself), and `run` refuses that.

use crate::data::counts;
use crate::protocol::{DecisionType, Protocol, YesNo};

/// The SQL dialects the query is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Dialect {
    Ansi,
    Spark,
    Duckdb,
    Postgres,
}

impl Dialect {
    fn ident(self, name: &str) -> String {
        match self {
            Dialect::Spark => format!("`{}`", name.replace('`', "``")),
            _ => format!("\"{}\"", name.replace('"', "\"\"")),
        }
    }

    fn text(self) -> &'static str {
        match self {
            Dialect::Spark => "STRING",
            Dialect::Postgres => "TEXT",
            Dialect::Ansi | Dialect::Duckdb => "VARCHAR",
        }
    }

    fn double(self) -> &'static str {
        match self {
            Dialect::Spark | Dialect::Duckdb => "DOUBLE",
            Dialect::Ansi | Dialect::Postgres => "DOUBLE PRECISION",
        }
    }

    /// A string literal (Spark also reads backslash escapes).
    fn lit(self, s: &str) -> String {
        let s = s.replace('\'', "''");
        match self {
            Dialect::Spark => format!("'{}'", s.replace('\\', "\\\\")),
            _ => format!("'{s}'"),
        }
    }

    /// A number as a double, written so every engine reads the same double.
    fn number(self, x: f64) -> String {
        format!("CAST({} AS {})", self.lit(&format!("{x:?}")), self.double())
    }

    /// Cast text to a double; a lenient cast where the engine has one (a non-number is missing,
    /// and `run` then names it).
    fn to_double(self, e: &str) -> String {
        match self {
            Dialect::Spark | Dialect::Duckdb => format!("TRY_CAST({e} AS {})", self.double()),
            _ => format!("CAST({e} AS {})", self.double()),
        }
    }

    fn list(self, values: &[String]) -> String {
        values
            .iter()
            .map(|v| self.lit(v))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A column already read as text by the query's first step.
fn text(d: Dialect, _protocol: &Protocol, column: &str) -> String {
    d.ident(column)
}

/// A column as text with the protocol's null values (and the empty text) missing.
fn read_text(d: Dialect, protocol: &Protocol, column: &str) -> String {
    let x = format!("CAST({} AS {})", d.ident(column), d.text());
    let mut nulls = protocol.data.null_values.clone();
    nulls.push(String::new());
    format!(
        "CASE WHEN {x} IN ({}) OR TRIM({x}) = '' THEN NULL ELSE {x} END",
        d.list(&nulls)
    )
}

/// What the query writes for a value the rows path would refuse, instead of the value itself: the
/// counts are shared, and a stray value (a name, a date) must not travel in them. `run` then
/// refuses the row, naming the column.
const NOT_YES_NO: &str = "(withheld: not yes/no)";
const NOT_AN_AGE: &str = "(withheld: not a number)";
const NOT_IN_MAP: &str = "(withheld: not in the map)";

/// A yes/no column coded `true`/`false` by the protocol's values; any other value is written as
/// [`NOT_YES_NO`].
fn yes_no(d: Dialect, protocol: &Protocol, column: &str, values: &YesNo) -> String {
    let x = text(d, protocol, column);
    let lower =
        |v: &[String]| -> Vec<String> { v.iter().map(|s| s.to_ascii_lowercase()).collect() };
    let t = format!("LOWER(TRIM({x}))");
    format!(
        "CASE WHEN {t} IN ({}) THEN 'true' WHEN {t} IN ({}) THEN 'false' WHEN {x} IS NULL THEN NULL ELSE {} END",
        d.list(&lower(&values.positive)),
        d.list(&lower(&values.negative)),
        d.lit(NOT_YES_NO)
    )
}

/// `column >= t` coded `true`/`false`, missing where the column is not a number.
/// `column >= t` coded `true`/`false`; missing (so `run` refuses it) where the column is not a
/// number in `[lo, hi]`. NaN sorts above every number in these engines, so the upper bound also
/// rules it out.
fn at_least(d: Dialect, protocol: &Protocol, column: &str, t: f64, (lo, hi): (f64, f64)) -> String {
    let v = d.to_double(&text(d, protocol, column));
    let (t, lo, hi) = (d.number(t), d.number(lo), d.number(hi));
    format!(
        "CASE WHEN {v} >= {t} AND {v} <= {hi} THEN 'true' WHEN {v} < {t} AND {v} >= {lo} THEN 'false' END"
    )
}

/// The finite doubles.
const FINITE: (f64, f64) = (f64::MIN, f64::MAX);

/// `v` when it is a finite number, else missing.
fn finite(d: Dialect, v: &str) -> String {
    let (lo, hi) = (d.number(FINITE.0), d.number(FINITE.1));
    format!("CASE WHEN {v} >= {lo} AND {v} <= {hi} THEN {v} END")
}

/// An attribute's column: its text, or for ages in years the lower bound of the band.
fn key(d: Dialect, protocol: &Protocol, column: &str) -> String {
    let x = text(d, protocol, column);
    let Some((bounds, missing)) = counts::age_bands(protocol, column) else {
        // A code no attribute on the column maps or lists as missing is written as a marker.
        let known = counts::mapped_codes(protocol, column);
        let keep = if known.is_empty() {
            String::new()
        } else {
            format!(" WHEN {x} IN ({}) THEN {x}", d.list(&known))
        };
        return format!(
            "CASE WHEN {x} IS NULL THEN NULL{keep} ELSE {} END",
            d.lit(NOT_IN_MAP)
        );
    };
    let v = d.to_double(&x);
    let mut s = String::from("CASE");
    if !missing.is_empty() {
        let m: Vec<String> = missing.iter().cloned().collect();
        s += &format!(" WHEN {x} IN ({}) THEN {x}", d.list(&m));
    }
    let v = finite(d, &v);
    for b in bounds.iter().rev() {
        s += &format!(
            " WHEN {v} >= {} THEN {}",
            d.number(*b as f64),
            d.lit(&b.to_string())
        );
    }
    // A number below the first band passes (run names it); anything else that is not an age is
    // not written as it is.
    s + &format!(
        " WHEN {v} IS NOT NULL THEN {x} WHEN {x} IS NULL THEN NULL ELSE {} END",
        d.lit(NOT_AN_AGE)
    )
}

/// The query computing the counts submission of `protocol` from `table`.
pub fn query(protocol: &Protocol, d: Dialect, table: &str) -> String {
    let c = &protocol.columns;
    let keys = counts::attribute_columns(protocol);
    let mut inner: Vec<String> = keys
        .iter()
        .map(|k| format!("{} AS {}", key(d, protocol, k), d.ident(k)))
        .collect();
    let decision = match (protocol.tool.decision_type, &c.decision, &c.score) {
        (DecisionType::Binary, Some(col), _) => yes_no(d, protocol, col, &protocol.decision_values),
        (_, _, Some(s)) => {
            let probability = protocol
                .scores
                .as_ref()
                .is_none_or(|sa| sa.scale == crate::protocol::ScoreScale::Probability);
            let range = if probability { (0.0, 1.0) } else { FINITE };
            at_least(d, protocol, s, c.threshold.unwrap_or(0.5), range)
        }
        _ => "NULL".into(),
    };
    inner.push(format!("{decision} AS {}", counts::DECISION));
    let outcome = match c.outcome_at_least {
        Some(t) => at_least(d, protocol, &c.outcome, t, FINITE),
        None => yes_no(d, protocol, &c.outcome, &protocol.outcome_values),
    };
    inner.push(format!("{outcome} AS {}", counts::OUTCOME));
    let n = match &c.count {
        // Missing when any of the group's counts is not a whole number in [0, 2^53], so `run`
        // refuses the group as it refuses such a count in the rows.
        Some(_) => format!(
            "CASE WHEN SUM(CASE WHEN s1557_count >= 0 AND s1557_count <= {} AND s1557_count = FLOOR(s1557_count) THEN 0 ELSE 1 END) > 0 THEN NULL ELSE SUM(CAST(s1557_count AS BIGINT)) END",
            d.number(9_007_199_254_740_992.0)
        ),
        None => "COUNT(*)".into(),
    };
    let mut group: Vec<String> = keys.iter().map(|k| d.ident(k)).collect();
    group.extend([counts::DECISION, counts::OUTCOME].map(String::from));
    let mut outer = vec![
        format!("{} AS {}", d.lit(counts::FORMAT), counts::FORMAT_COLUMN),
        format!(
            "{} AS {}",
            d.lit(&counts::shape(protocol)),
            counts::SHAPE_COLUMN
        ),
    ];
    outer.extend(group.iter().cloned());
    match (&protocol.scores, &c.score) {
        (Some(sa), Some(score)) => {
            let k = counts::multiplier(sa.bin_width.unwrap_or(1.0));
            // A score that is not a finite number counts as no score.
            let s = finite(d, &d.to_double(&text(d, protocol, score)));
            inner.push(format!("{s} AS s1557_s"));
            inner.push(format!(
                "CAST(FLOOR({s} * {}) AS BIGINT) AS {}",
                d.number(k),
                counts::SCORE_BIN
            ));
            group.push(counts::SCORE_BIN.into());
            outer.push(counts::SCORE_BIN.into());
            outer.push(format!("{n} AS {}", counts::N));
            outer.push(format!("SUM(s1557_s) AS {}", counts::SCORE_SUM));
            outer.push(format!("MIN(s1557_s) AS {}", counts::SCORE_MIN));
            outer.push(format!("MAX(s1557_s) AS {}", counts::SCORE_MAX));
            if let (true, Some(need)) = (counts::with_need(protocol), &c.need) {
                let v = finite(d, &d.to_double(&text(d, protocol, need)));
                inner.push(format!("{v} AS s1557_v"));
                let scored = |e: &str| {
                    format!(
                        "CASE WHEN {} IS NULL THEN NULL ELSE {e} END",
                        counts::SCORE_BIN
                    )
                };
                outer.push(format!(
                    "{} AS {}",
                    scored("COUNT(s1557_v)"),
                    counts::NEED_N
                ));
                outer.push(format!(
                    "{} AS {}",
                    scored("SUM(s1557_v)"),
                    counts::NEED_SUM
                ));
                outer.push(format!(
                    "{} AS {}",
                    scored("SUM(s1557_v * s1557_v)"),
                    counts::NEED_SUMSQ
                ));
            }
        }
        _ => outer.push(format!("{n} AS {}", counts::N)),
    }
    // The first step reads every column the protocol uses as text, once.
    let mut used: Vec<&String> = keys.iter().collect();
    used.extend([&c.decision, &c.score].into_iter().flatten());
    if counts::with_need(protocol) {
        used.extend(c.need.as_ref());
    }
    used.push(&c.outcome);
    used.extend(protocol.data.exclude.iter().map(|e| &e.column));
    used.sort();
    used.dedup();
    let mut first: Vec<String> = used
        .iter()
        .map(|u| format!("{} AS {}", read_text(d, protocol, u), d.ident(u)))
        .collect();
    if let Some(col) = &c.count {
        let v = format!("CAST({} AS {})", d.ident(col), d.text());
        first.push(format!("{} AS s1557_count", d.to_double(&v)));
    }
    if c.count.is_some() {
        inner.push("s1557_count".into());
    }
    // Rows a `[[data.exclude]]` rule leaves out never reach the counts.
    let kept: Vec<String> = protocol
        .data
        .exclude
        .iter()
        .map(|e| {
            let values: Vec<String> = e.values.iter().map(|v| v.trim().to_string()).collect();
            format!(
                "NOT COALESCE(TRIM({}) IN ({}), FALSE)",
                d.ident(&e.column),
                d.list(&values)
            )
        })
        .collect();
    let filter = if kept.is_empty() {
        String::new()
    } else {
        format!("\n  WHERE {}", kept.join("\n    AND "))
    };
    let indent = |v: &[String]| v.join(",\n    ");
    format!(
        "-- s1557 counts submission, format {}, for protocol `{}` version {} (sha256 {}).\n-- Save the result as CSV or Parquet and run: s1557 run PROTOCOL --data FILE\nWITH s1557_text AS (\n  SELECT\n    {}\n  FROM {}\n), s1557_coded AS (\n  SELECT\n    {}\n  FROM s1557_text{}\n)\nSELECT\n    {}\nFROM s1557_coded\nGROUP BY\n    {}\n",
        counts::FORMAT,
        protocol.name,
        protocol.protocol_version,
        protocol.sha256,
        indent(&first),
        table,
        indent(&inner),
        filter,
        indent(&outer),
        indent(&group),
    )
}
