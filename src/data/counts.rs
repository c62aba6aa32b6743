//! The counts submission, format `counts/1`: the sufficient statistics of a run as a small
//! table a vendor or a SQL engine can produce without sharing rows (docs/counts.md).
//!
//! One row per combination of the protocol's attribute columns (raw site codes, mapped by `run`
//! as for rows), the decision and the outcome (coded `true`/`false`), and, when the protocol has
//! `[scores]`, the score bin `floor(score × (1 / bin_width))` (missing: no score). Each row carries its
//! case count and, with a score, the sum, minimum and maximum of its scores. A bin whose minimum
//! equals its maximum holds one score value exactly; the others are resolved to their mean.

use std::collections::BTreeMap;

use crate::protocol::Protocol;

use super::coding::Reading;
use super::scan::RawCell;

/// The column naming the format and its version; every row holds [`FORMAT`].
pub const FORMAT_COLUMN: &str = "s1557_format";
/// The format and version this build reads and writes.
pub const FORMAT: &str = "counts/1";
/// What the protocol reads from the rows to make the table, as 16 hex digits of a SHA-256:
/// every row holds [`shape`] of the protocol it was made with, and `run` refuses counts made
/// under a protocol that reads the rows differently.
pub const SHAPE_COLUMN: &str = "s1557_shape";
/// Cases in the row.
pub const N: &str = "s1557_n";
/// The decision, `true` or `false`.
pub const DECISION: &str = "s1557_decision";
/// The outcome, `true` or `false`.
pub const OUTCOME: &str = "s1557_outcome";
/// The score bin, `floor(score × (1 / bin_width))`; missing for cases without a score.
pub const SCORE_BIN: &str = "s1557_score_bin";
/// Sum, minimum and maximum of the row's scores.
pub const SCORE_SUM: &str = "s1557_score_sum";
pub const SCORE_MIN: &str = "s1557_score_min";
pub const SCORE_MAX: &str = "s1557_score_max";
/// Cases of the row with a measure of need, and the sum and sum of squares of their need
/// (with `columns.need`; missing when the bin is).
pub const NEED_N: &str = "s1557_need_n";
pub const NEED_SUM: &str = "s1557_need_sum";
pub const NEED_SUMSQ: &str = "s1557_need_sumsq";

/// What a counts submission cannot carry under this protocol: `(problem, hint)` for each.
pub fn cannot_carry(protocol: &Protocol) -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    if protocol.columns.weight.is_some() {
        out.push((
            "a counts submission (format `counts/1`) carries no survey weights, and the protocol names `columns.weight`",
            "run the protocol on the rows, or drop `columns.weight`",
        ));
    }
    if protocol.columns.cluster.is_some() {
        out.push((
            "a counts submission (format `counts/1`) carries no clusters, and the protocol names `columns.cluster`",
            "run the protocol on the rows, or drop `columns.cluster` (the statuses then assume one row per patient)",
        ));
    }
    if protocol
        .scores
        .as_ref()
        .is_some_and(|s| s.bin_width.is_none())
    {
        out.push((
            "the score's scale is `arbitrary` and [scores] sets no `bin_width`, so a counts submission cannot carry it",
            "set `bin_width` in [scores] (1 for a whole-number score such as deciles)",
        ));
    }
    out
}

/// Whether a header is a counts submission's.
pub fn is_counts_header(header: &[String]) -> bool {
    header.iter().any(|h| h == N)
}

/// The columns a counts submission for `protocol` has, in order: the format, the attribute
/// columns (sorted, once each), decision, outcome, then the score columns when `[scores]` asks
/// and the need columns with `columns.need`.
pub fn columns(protocol: &Protocol) -> Vec<String> {
    header(
        &attribute_columns(protocol),
        protocol.scores.is_some(),
        with_need(protocol),
    )
}

/// Whether the counts carry a measure of need: with `[scores]` and `columns.need`.
pub fn with_need(protocol: &Protocol) -> bool {
    protocol.scores.is_some() && protocol.columns.need.is_some()
}

/// The protocol's reading of the rows, hashed, in three parts `base.score.need` (8 hex digits
/// each, `-` for a part the protocol has not): the base is the attribute columns and their age
/// bands, the null values, how the decision and outcome are formed (columns, yes/no values,
/// threshold, outcome cut) and the frequency column; the score part its column, scale and bin
/// width; the need part its column. Lists are compared as sets (sorted; yes/no values without
/// case, as they are read). The maps from codes to groups, the analysis and the triggers are not
/// part of it: they act on the counts, so protocols differing only there share their counts.
pub fn shape(protocol: &Protocol) -> String {
    use sha2::{Digest, Sha256};
    let part = |text: String| -> String {
        let digest = Sha256::digest(text.as_bytes());
        digest[..4].iter().map(|b| format!("{b:02x}")).collect()
    };
    let set = |v: &[String], lower: bool| -> Vec<String> {
        let mut v: Vec<String> = v
            .iter()
            .map(|x| {
                if lower {
                    x.to_ascii_lowercase()
                } else {
                    x.clone()
                }
            })
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let c = &protocol.columns;
    let mut base = format!("{FORMAT}\nkeys={:?}\n", attribute_columns(protocol));
    for k in attribute_columns(protocol) {
        if let Some((bounds, missing)) = age_bands(protocol, &k) {
            base += &format!("age {k:?}={bounds:?} missing={missing:?}\n");
        }
    }
    let probability = protocol
        .scores
        .as_ref()
        .is_none_or(|sa| sa.scale == crate::protocol::ScoreScale::Probability);
    base += &format!(
        "nulls={:?}\ndecision={:?} {:?} threshold={:?} probability={probability}\noutcome={:?} at_least={:?}\nvalues={:?} {:?}\ncount={:?}\n",
        set(&protocol.data.null_values, false),
        protocol.tool.decision_type == crate::protocol::DecisionType::Binary,
        c.decision.as_ref().or(c.score.as_ref()),
        c.threshold,
        c.outcome,
        c.outcome_at_least,
        set(&protocol.decision_values.positive, true),
        set(&protocol.decision_values.negative, true),
        c.count,
    );
    for e in &protocol.data.exclude {
        base += &format!("exclude={:?} {:?}\n", e.column, e.values);
    }
    // Separate outcome lists are part of the shape; one shared list keeps the earlier shape.
    let (d, o) = (&protocol.decision_values, &protocol.outcome_values);
    if set(&o.positive, true) != set(&d.positive, true)
        || set(&o.negative, true) != set(&d.negative, true)
    {
        base += &format!(
            "outcome_values={:?} {:?}\n",
            set(&protocol.outcome_values.positive, true),
            set(&protocol.outcome_values.negative, true),
        );
    }
    let score = protocol.scores.as_ref().map_or("-".to_string(), |sa| {
        part(format!(
            "score={:?} probability={probability} width={:?}",
            c.score, sa.bin_width
        ))
    });
    let need = if with_need(protocol) {
        part(format!("need={:?}", c.need))
    } else {
        "-".to_string()
    };
    format!("{}.{score}.{need}", part(base))
}

/// Whether counts of shape `file` serve a protocol of shape `protocol`: the same base, and the
/// same score and need parts where the protocol has them (counts that carry a score serve a
/// protocol that compares only the decision).
pub fn shape_serves(file: &str, protocol: &str) -> bool {
    let (f, p): (Vec<&str>, Vec<&str>) = (file.split('.').collect(), protocol.split('.').collect());
    f.len() == 3
        && p.len() == 3
        && f[0] == p[0]
        && (p[1] == "-" || f[1] == p[1])
        && (p[2] == "-" || f[2] == p[2])
}

fn header(keys: &[String], with_scores: bool, with_need: bool) -> Vec<String> {
    let mut out = vec![FORMAT_COLUMN.to_string(), SHAPE_COLUMN.to_string()];
    out.extend(keys.iter().cloned());
    out.extend([DECISION, OUTCOME].map(String::from));
    if with_scores {
        out.push(SCORE_BIN.into());
    }
    out.push(N.into());
    if with_scores {
        out.extend([SCORE_SUM, SCORE_MIN, SCORE_MAX].map(String::from));
    }
    if with_need {
        out.extend([NEED_N, NEED_SUM, NEED_SUMSQ].map(String::from));
    }
    out
}

/// The protocol's attribute columns, sorted, once each (the grouping keys).
pub fn attribute_columns(protocol: &Protocol) -> Vec<String> {
    let mut keys: Vec<String> = protocol
        .attributes
        .iter()
        .map(|a| a.column.clone())
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// How a counts submission's decision and outcome are read.
pub fn reading() -> Reading {
    Reading {
        decision_column: DECISION.into(),
        outcome_column: OUTCOME.into(),
        decision_from_score: false,
        decision_coded: true,
        outcome_coded: true,
        counts_file: true,
    }
}

/// One row of a counts submission.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub keys: Vec<Option<String>>,
    pub decision: bool,
    pub outcome: bool,
    pub bin: Option<i64>,
    pub n: u64,
    /// Sum, minimum and maximum of the scores (`None` without a score).
    pub score: Option<(f64, f64, f64)>,
    /// Cases with a need, and the sum and sum of squares of their need (`None` without a score
    /// or without a measure of need).
    pub need: Option<(u64, f64, f64)>,
}

/// The table of a counts submission, its rows sorted.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub key_columns: Vec<String>,
    /// The protocol's [`shape`], written in every row.
    pub shape: String,
    pub with_scores: bool,
    pub with_need: bool,
    pub rows: Vec<Row>,
}

/// Reduce the scanned rows (each cell with its kept scores) to the counts table. The cells
/// must have been coded without problems (`coding::code`), so every decision and outcome reads.
pub fn table(
    protocol: &Protocol,
    key_columns: &[String],
    cells: &[RawCell],
    reading: &Reading,
) -> Table {
    let width = protocol.scores.as_ref().and_then(|s| s.bin_width);
    let with_scores = protocol.scores.is_some();
    let with_need = with_need(protocol);
    type Key = (Vec<Option<String>>, bool, bool, Option<i64>);
    // Per row: cases, their scores, their (finite) needs.
    let mut acc: BTreeMap<Key, (u64, Vec<f64>, Vec<f64>)> = BTreeMap::new();
    // The rows were also grouped by the exclusion columns, which the counts do not carry.
    let keep: Vec<usize> = attribute_columns(protocol)
        .iter()
        .filter_map(|a| key_columns.iter().position(|k| k == a))
        .collect();
    for cell in cells {
        if super::coding::excluded_by(protocol, key_columns, cell).is_some() {
            continue;
        }
        let (Some(d), Some(o)) = reading.booleans(protocol, cell) else {
            continue;
        };
        let all = banded_keys(protocol, key_columns, &cell.keys);
        let keys: Vec<Option<String>> = keep.iter().map(|&i| all[i].clone()).collect();
        let key = |bin| (keys.clone(), d, o, bin);
        match (with_scores, width) {
            (true, Some(w)) => {
                for (i, &s) in cell.scores.iter().enumerate() {
                    let bin = s.is_finite().then(|| bin_of(s, w));
                    let e = acc.entry(key(bin)).or_default();
                    e.0 += 1;
                    if bin.is_some() {
                        e.1.push(s);
                        match cell.needs.get(i) {
                            Some(&v) if v.is_finite() => e.2.push(v),
                            _ => {}
                        }
                    }
                }
            }
            _ => acc.entry(key(None)).or_default().0 += cell.count.max(0.0).round() as u64,
        }
    }
    let rows = acc
        .into_iter()
        .map(
            |((keys, decision, outcome, bin), (n, mut scores, mut needs))| {
                // Sorted before summing, so the sums do not depend on the order rows arrived in.
                scores.sort_by(f64::total_cmp);
                needs.sort_by(f64::total_cmp);
                let need = (with_need && bin.is_some()).then(|| {
                    (
                        needs.len() as u64,
                        needs.iter().sum(),
                        needs.iter().map(|v| v * v).sum(),
                    )
                });
                let score = bin.map(|_| {
                    (
                        scores.iter().sum(),
                        scores.first().copied().unwrap_or(f64::NAN),
                        scores.last().copied().unwrap_or(f64::NAN),
                    )
                });
                Row {
                    keys,
                    decision,
                    outcome,
                    bin,
                    n,
                    score,
                    need,
                }
            },
        )
        .collect();
    Table {
        key_columns: attribute_columns(protocol),
        shape: shape(protocol),
        with_scores,
        with_need,
        rows,
    }
}

/// The multiplier of a bin width: a score's bin is `floor(score × multiplier)`
/// ([`crate::suffstats::score_bin`]).
pub fn multiplier(width: f64) -> f64 {
    1.0 / width
}

/// The age bands of a column: the union of the lower bounds of every `age_years` attribute on
/// it (so each attribute's band is a union of these), and the union of their missing codes.
/// `None` when no age attribute reads the column.
pub fn age_bands(
    protocol: &Protocol,
    column: &str,
) -> Option<(Vec<i64>, std::collections::BTreeSet<String>)> {
    let mut bounds = Vec::new();
    let mut missing = std::collections::BTreeSet::new();
    for a in protocol.attributes.iter().filter(|a| a.column == column) {
        if let crate::protocol::Coding::AgeYears {
            bounds: b,
            missing: m,
        } = &a.coding
        {
            bounds.extend(b.iter().copied());
            missing.extend(m.iter().cloned());
        }
    }
    bounds.sort_unstable();
    bounds.dedup();
    (!bounds.is_empty()).then_some((bounds, missing))
}

/// The codes that the mapped attributes on a column know: their map's keys and missing codes.
pub fn mapped_codes(protocol: &Protocol, column: &str) -> Vec<String> {
    let mut known = std::collections::BTreeSet::new();
    for a in protocol.attributes.iter().filter(|a| a.column == column) {
        if let crate::protocol::Coding::Map { map, missing } = &a.coding {
            known.extend(map.keys().cloned());
            known.extend(missing.iter().cloned());
        }
    }
    known.into_iter().collect()
}

/// The cell's keys with blank texts missing (as the query writes them) and every age in years
/// replaced by the lower bound of its band, so a counts
/// submission shows no age beyond its band (HIPAA Safe Harbor top-codes 90 and over) and `run`
/// codes it to the same band of every age attribute. Missing, non-numeric and too-low ages are
/// kept as they are (`run` names them, as for rows).
fn banded_keys(
    protocol: &Protocol,
    key_columns: &[String],
    keys: &[Option<String>],
) -> Vec<Option<String>> {
    let mut out: Vec<Option<String>> = keys
        .iter()
        .map(|k| k.clone().filter(|v| !v.trim().is_empty()))
        .collect();
    for (i, column) in key_columns.iter().enumerate() {
        let Some((bounds, missing)) = age_bands(protocol, column) else {
            continue;
        };
        let Some(v) = keys[i].as_deref() else {
            continue;
        };
        if missing.contains(v) || protocol.data.null_values.iter().any(|n| n == v) {
            continue;
        }
        match v.trim().parse::<f64>() {
            Ok(years) if years.is_finite() && years >= bounds[0] as f64 => {
                let floor = years.floor() as i64;
                if let Some(b) = bounds.iter().rev().find(|&&b| floor >= b) {
                    out[i] = Some(b.to_string());
                }
            }
            _ => {}
        }
    }
    out
}

/// The bin of a score: `floor(score × (1 / width))`, in doubles, as the SQL query computes it.
pub fn bin_of(score: f64, width: f64) -> i64 {
    crate::suffstats::score_bin(score, width)
}

/// The table as CSV text: the header of [`columns`], missing values empty, numbers in their
/// shortest round-trip form.
pub fn to_csv(t: &Table) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(vec![]);
    let header = header(&t.key_columns, t.with_scores, t.with_need);
    w.write_record(&header)?;
    for r in &t.rows {
        let mut rec: Vec<String> = vec![FORMAT.into(), t.shape.clone()];
        rec.extend(r.keys.iter().map(|k| k.clone().unwrap_or_default()));
        rec.push(r.decision.to_string());
        rec.push(r.outcome.to_string());
        if t.with_scores {
            rec.push(r.bin.map(|b| b.to_string()).unwrap_or_default());
        }
        rec.push(r.n.to_string());
        if t.with_scores {
            match r.score {
                Some((s, lo, hi)) => rec.extend([s, lo, hi].map(|x| x.to_string())),
                None => rec.extend([String::new(), String::new(), String::new()]),
            }
        }
        if t.with_need {
            match r.need {
                Some((k, s, s2)) => rec.extend([k.to_string(), s.to_string(), s2.to_string()]),
                None => rec.extend([String::new(), String::new(), String::new()]),
            }
        }
        w.write_record(&rec)?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

/// The table as a Parquet file's bytes: key columns as text, the bin as a 64-bit integer, the
/// count as a 64-bit integer, the score sums as doubles.
pub fn to_parquet(t: &Table) -> Result<Vec<u8>, String> {
    use super::scan::OutColumn;
    let n = t.rows.len();
    let mut cols = vec![
        OutColumn::Text(FORMAT_COLUMN.into(), vec![Some(FORMAT.to_string()); n]),
        OutColumn::Text(SHAPE_COLUMN.into(), vec![Some(t.shape.clone()); n]),
    ];
    for (i, k) in t.key_columns.iter().enumerate() {
        cols.push(OutColumn::Text(
            k.clone(),
            t.rows.iter().map(|r| r.keys[i].clone()).collect(),
        ));
    }
    let flag = |f: fn(&Row) -> bool| t.rows.iter().map(|r| Some(f(r).to_string())).collect();
    cols.push(OutColumn::Text(DECISION.into(), flag(|r| r.decision)));
    cols.push(OutColumn::Text(OUTCOME.into(), flag(|r| r.outcome)));
    if t.with_scores {
        cols.push(OutColumn::Int(
            SCORE_BIN.into(),
            t.rows.iter().map(|r| r.bin).collect(),
        ));
    }
    cols.push(OutColumn::Int(
        N.into(),
        t.rows.iter().map(|r| Some(r.n as i64)).collect(),
    ));
    if t.with_scores {
        let part = |f: fn((f64, f64, f64)) -> f64| -> Vec<Option<f64>> {
            t.rows.iter().map(|r| r.score.map(f)).collect()
        };
        cols.push(OutColumn::Float(SCORE_SUM.into(), part(|s| s.0)));
        cols.push(OutColumn::Float(SCORE_MIN.into(), part(|s| s.1)));
        cols.push(OutColumn::Float(SCORE_MAX.into(), part(|s| s.2)));
    }
    if t.with_need {
        cols.push(OutColumn::Int(
            NEED_N.into(),
            t.rows.iter().map(|r| r.need.map(|x| x.0 as i64)).collect(),
        ));
        let part = |f: fn((u64, f64, f64)) -> f64| -> Vec<Option<f64>> {
            t.rows.iter().map(|r| r.need.map(f)).collect()
        };
        cols.push(OutColumn::Float(NEED_SUM.into(), part(|x| x.1)));
        cols.push(OutColumn::Float(NEED_SUMSQ.into(), part(|x| x.2)));
    }
    super::scan::parquet_bytes(cols).map_err(|e| e.to_string())
}

/// What is wrong with a cell's score table rows, if anything: a score missing beside its bin, a
/// minimum above the maximum, a mean outside them, scores in another bin than the row's, or
/// scores that are not probabilities on a probability scale.
pub fn table_problem(
    rows: &[super::scan::TableRow],
    width: f64,
    probability: bool,
) -> Option<String> {
    for r in rows {
        let Some(bin) = r.bin else { continue };
        if !(r.sum.is_finite() && r.min.is_finite() && r.max.is_finite()) {
            return Some(format!(
                "a row with a `{SCORE_BIN}` has no finite `{SCORE_SUM}`, `{SCORE_MIN}` or `{SCORE_MAX}`"
            ));
        }
        if r.min > r.max {
            return Some(format!("`{SCORE_MIN}` is above `{SCORE_MAX}`"));
        }
        let mean = r.sum / r.n;
        let slack = 1e-9 * r.max.abs().max(r.min.abs()).max(1.0);
        if r.n > 0.0 && !(mean >= r.min - slack && mean <= r.max + slack) {
            return Some(format!(
                "`{SCORE_SUM}` / `{N}` lies outside [`{SCORE_MIN}`, `{SCORE_MAX}`]"
            ));
        }
        if probability && (r.min < 0.0 || r.max > 1.0) {
            return Some("scores outside [0, 1] on a probability scale".into());
        }
        if let Some((k, sum, sumsq)) = r.need {
            let whole = k >= 0.0 && k <= r.n && k.fract() == 0.0;
            let moments = k == 0.0
                || (sum.is_finite() && sumsq.is_finite() && sumsq * k >= sum * sum * (1.0 - 1e-9));
            if !(whole && moments) {
                return Some(format!(
                    "`{NEED_N}` must be a whole number up to `{N}`, with a finite `{NEED_SUM}` and a `{NEED_SUMSQ}` at least `{NEED_SUM}`² / `{NEED_N}`"
                ));
            }
        }
        if bin != bin_of(r.min, width) as f64 || bin != bin_of(r.max, width) as f64 {
            return Some(format!(
                "scores outside their row's bin: `{SCORE_BIN}` must be floor(score × {}), from the protocol's `bin_width` {width}",
                multiplier(width)
            ));
        }
    }
    None
}

/// A cell's cases with a score, each at its bin's value (the one score of a bin whose minimum
/// equals its maximum, else the bin's mean), with their needs when the table carries them,
/// sorted by score then need; and its cases without a score.
pub fn expand(rows: &[super::scan::TableRow]) -> (Vec<f64>, Vec<f64>, u64) {
    let with_need = rows.iter().any(|r| r.need.is_some());
    let mut pairs: Vec<(f64, f64)> = Vec::new();
    let mut unscored = 0u64;
    for r in rows {
        let n = r.n.max(0.0) as usize;
        if r.bin.is_none() {
            unscored += n as u64;
            continue;
        }
        let v = if r.min == r.max {
            r.min
        } else {
            (r.sum / r.n).clamp(r.min, r.max)
        };
        let needs = match r.need {
            Some((k, sum, sumsq)) => needs_with_moments(n, k.max(0.0) as usize, sum, sumsq),
            None => vec![f64::NAN; n],
        };
        pairs.extend(needs.into_iter().map(|x| (v, x)));
    }
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let scores = pairs.iter().map(|p| p.0).collect();
    let needs = if with_need {
        pairs.iter().map(|p| p.1).collect()
    } else {
        vec![]
    };
    (scores, needs, unscored)
}

/// `n` values of need whose `k` finite ones have the given sum and sum of squares (the rest
/// missing): every statistic of need at equal score is a function of a group's count, sum and
/// sum of squares within each equal-score bin, so these stand in for the cases' own needs.
/// `k` odd: one at the mean and the rest at mean ± d·√(k/(k−1)); `k` even: half at mean ± d, where
/// d² is the variance with divisor k.
pub fn needs_with_moments(n: usize, k: usize, sum: f64, sumsq: f64) -> Vec<f64> {
    let k = k.min(n);
    let mut out = Vec::with_capacity(n);
    if k > 0 {
        let mean = sum / k as f64;
        let var = (sumsq / k as f64 - mean * mean).max(0.0);
        let d = if k % 2 == 1 {
            out.push(mean);
            if k > 1 {
                (var * k as f64 / (k - 1) as f64).sqrt()
            } else {
                0.0
            }
        } else {
            var.sqrt()
        };
        for _ in 0..k / 2 {
            out.push(mean + d);
            out.push(mean - d);
        }
    }
    out.resize(n, f64::NAN);
    out
}
