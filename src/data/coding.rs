//! Group coding: from the raw texts of the grouped table to per-group confusion counts.
//! Missing values go to an explicit `Unknown` group; a value the protocol does not map is an
//! error naming the value, the column and how many rows carry it.

use std::collections::BTreeMap;

use crate::suffstats::WeightSums;

use super::scan::RawCell;
use crate::protocol::{Attribute, Coding, Protocol, UNKNOWN};
use crate::suffstats::{
    AttributeCounts, AurocBound, Confusion, GroupCounts, ScoreSample, ScoreTable, ScoredCell,
    StratifiedCounts, StratumCounts, SufficientStats,
};

/// One coded cell: each attribute's group index, the decision, the outcome, the count, and the
/// sums of the weights and of their squares.
type Coded = (Vec<usize>, bool, bool, u64, f64, f64);

/// A value that could not be coded: which column, which text (`None`: missing), how many rows,
/// and what was expected.
#[derive(Debug, Clone, PartialEq)]
pub struct CodingProblem {
    pub column: String,
    pub value: Option<String>,
    pub rows: u64,
    pub message: String,
    pub hint: Option<String>,
    /// Whether the first row carrying `value` in `column` names the problem's place.
    pub locate: bool,
}

/// The group index of a raw value under an attribute's coding, or why it has none.
/// The first `[[data.exclude]]` rule that leaves this cell's rows out (a counts submission
/// carries no exclusion column: its maker applied the rules).
pub(super) fn excluded_by(
    protocol: &Protocol,
    key_columns: &[String],
    cell: &RawCell,
) -> Option<usize> {
    protocol.data.exclude.iter().position(|e| {
        key_columns
            .iter()
            .position(|k| k == &e.column)
            .and_then(|k| cell.keys.get(k)?.as_deref())
            .is_some_and(|v| e.values.iter().any(|x| x.trim() == v.trim()))
    })
}

pub(super) fn code_value(
    attr: &Attribute,
    null_values: &[String],
    value: Option<&str>,
) -> Result<usize, (String, Option<String>)> {
    let unknown = attr.groups.len() - 1;
    let v = match value {
        None => return Ok(unknown),
        Some(v) if v.trim().is_empty() || null_values.iter().any(|n| n == v) => return Ok(unknown),
        Some(v) => v,
    };
    match &attr.coding {
        Coding::Map { map, missing } => {
            if missing.contains(v) {
                return Ok(unknown);
            }
            match map.get(v) {
                Some(target) if target == UNKNOWN => Ok(unknown),
                Some(target) => Ok(attr
                    .groups
                    .iter()
                    .position(|g| g == target)
                    .unwrap_or(unknown)),
                None => Err(match super::phi::shown(v) {
                    Some(s) => (
                        format!("value {s} is not in the map of attribute `{}`", attr.name),
                        Some(format!(
                            "add it to `map` as {s} = \"<one of the standard's categories>\", or to `missing`"
                        )),
                    ),
                    None => (
                        format!(
                            "a value not shown here (it could identify someone) is not in the map of attribute `{}`",
                            attr.name
                        ),
                        Some("look at the line named; add the code to `map` or to `missing`".into()),
                    ),
                }),
            }
        }
        Coding::AgeYears { bounds, missing } => {
            if missing.contains(v) {
                return Ok(unknown);
            }
            let Ok(years) = v.trim().parse::<f64>() else {
                return Err((
                    format!(
                        "age {} is not a number of years",
                        super::phi::shown(v).unwrap_or_else(|| "(a value not shown)".into())
                    ),
                    Some("list codes for missing ages in `missing`".into()),
                ));
            };
            if !years.is_finite() {
                return Err((
                    format!(
                        "age {} is not a number of years",
                        super::phi::shown(v).unwrap_or_else(|| "(a value not shown)".into())
                    ),
                    Some("list codes for missing ages in `missing`".into()),
                ));
            }
            if years < bounds[0] as f64 {
                return Err((
                    format!(
                        "age {} is below the first band, which starts at {}",
                        super::phi::shown(v).unwrap_or_else(|| "(a value not shown)".into()),
                        bounds[0]
                    ),
                    Some(
                        "lower the first bound in `bands`, or exclude these rows before the run"
                            .into(),
                    ),
                ));
            }
            let floor = years.floor() as i64;
            Ok(bounds.iter().rposition(|&b| floor >= b).unwrap_or(0))
        }
    }
}

fn binary(value: Option<&str>, positive: &[String], negative: &[String]) -> Option<bool> {
    let v = value?.trim();
    if positive.iter().any(|p| p.eq_ignore_ascii_case(v)) {
        Some(true)
    } else if negative.iter().any(|n| n.eq_ignore_ascii_case(v)) {
        Some(false)
    } else {
        None
    }
}

/// How the decision and the outcome of the grouped table are read.
#[derive(Debug, Clone)]
pub struct Reading {
    /// The column named in messages about the decision.
    pub decision_column: String,
    /// The column named in messages about the outcome.
    pub outcome_column: String,
    /// The decision was formed by the scan (`score >= threshold`): `true`/`false` texts, and a
    /// missing score leaves it undefined.
    pub decision_from_score: bool,
    /// The decision is already coded `true`/`false` (a counts submission).
    pub decision_coded: bool,
    /// The outcome is coded `true`/`false` (by the scan's `outcome_at_least`, or in a counts
    /// submission).
    pub outcome_coded: bool,
    /// The input is a counts submission (`s1557 counts`, `s1557 sql`): decision and outcome
    /// coded `true`/`false`, scores (if any) as a binned table.
    pub counts_file: bool,
}

impl Reading {
    /// How a protocol's own columns are read (one row a case, or its `columns.count`).
    pub fn of_protocol(protocol: &Protocol) -> Reading {
        let c = &protocol.columns;
        Reading {
            decision_column: c
                .decision
                .clone()
                .or_else(|| c.score.clone())
                .unwrap_or_default(),
            outcome_column: c.outcome.clone(),
            decision_from_score: c.decision.is_none(),
            decision_coded: c.decision.is_none(),
            outcome_coded: c.outcome_at_least.is_some(),
            counts_file: false,
        }
    }

    /// The decision and outcome of one cell, `None` where they cannot be read.
    pub fn booleans(&self, protocol: &Protocol, cell: &RawCell) -> (Option<bool>, Option<bool>) {
        let read = |coded: bool, v: Option<&str>, values: &crate::protocol::YesNo| {
            if coded {
                match v.map(str::trim) {
                    Some(t) if t.eq_ignore_ascii_case("true") => Some(true),
                    Some(t) if t.eq_ignore_ascii_case("false") => Some(false),
                    _ => None,
                }
            } else {
                binary(v, &values.positive, &values.negative)
            }
        };
        (
            read(
                self.decision_coded,
                cell.decision.as_deref(),
                &protocol.decision_values,
            ),
            read(
                self.outcome_coded,
                cell.outcome.as_deref(),
                &protocol.outcome_values,
            ),
        )
    }
}

/// The most cases a run takes: 2^53, below which every count is exact as a double and no sum of
/// cells can wrap.
pub const MAX_CASES: u64 = 1 << 53;

/// Code the grouped table into sufficient statistics, or list every value that could not be coded.
///
/// `key_columns` names the columns of `cells[i].keys` in order; `decision_column` and
/// `outcome_column` are the names used in messages.
pub fn code(
    protocol: &Protocol,
    key_columns: &[String],
    cells: &[RawCell],
    reading: &Reading,
) -> Result<SufficientStats, Vec<CodingProblem>> {
    let decision_column = reading.decision_column.as_str();
    let mut problems: BTreeMap<(String, Option<String>), CodingProblem> = BTreeMap::new();
    let mut note = |column: &str,
                    value: Option<&str>,
                    rows: u64,
                    message: String,
                    hint: Option<String>,
                    locate: bool| {
        problems
            .entry((column.to_string(), value.map(str::to_string)))
            .or_insert_with(|| CodingProblem {
                column: column.to_string(),
                value: value.map(str::to_string),
                rows: 0,
                message,
                hint,
                locate,
            })
            .rows += rows;
    };
    let attr_key: Vec<usize> = protocol
        .attributes
        .iter()
        .map(|a| key_columns.iter().position(|k| k == &a.column).unwrap_or(0))
        .collect();
    let null_values = &protocol.data.null_values;

    // Per cell: the group index of each attribute, the decision and the outcome.
    let mut coded: Vec<Coded> = Vec::with_capacity(cells.len());
    // The cell of `cells` behind each entry of `coded`.
    let mut coded_cell: Vec<usize> = Vec::with_capacity(cells.len());
    let mut cases: u64 = 0;
    let mut excluded = vec![0u64; protocol.data.exclude.len()];
    for (ci, cell) in cells.iter().enumerate() {
        let count = cell.count.max(0.0).round() as u64;
        let rows = count.max(1);
        let rule = (!reading.counts_file)
            .then(|| excluded_by(protocol, key_columns, cell))
            .flatten();
        if let Some(rule) = rule {
            excluded[rule] = excluded[rule].saturating_add(count);
            continue;
        }
        if cell.bad_counts > 0 {
            let c = if reading.counts_file {
                super::counts::N
            } else {
                protocol.columns.count.as_deref().unwrap_or("count")
            };
            note(
                c,
                None,
                cell.bad_counts,
                format!("column `{c}` has counts that are missing, negative or not whole numbers"),
                None,
                false,
            );
        }
        if cell.bad_weights > 0 {
            let c = protocol.columns.weight.as_deref().unwrap_or("weight");
            note(
                c,
                None,
                cell.bad_weights,
                format!("column `{c}` has weights that are missing, negative or not finite"),
                None,
                false,
            );
        }
        if cell.need_out_of_range > 0 {
            let c = protocol.columns.need.as_deref().unwrap_or("need");
            note(
                c,
                None,
                cell.need_out_of_range,
                format!("column `{c}` has values that are not finite or beyond ±10^15"),
                Some("a measure of need is a count or an amount (chronic conditions, cost); check the column".into()),
                false,
            );
        }
        if cell.score_out_of_range > 0 {
            let c = protocol.columns.score.as_deref().unwrap_or("score");
            note(
                c,
                None,
                cell.score_out_of_range,
                if protocol
                    .scores
                    .as_ref()
                    .is_some_and(|s| s.scale == crate::protocol::ScoreScale::Arbitrary)
                {
                    format!("column `{c}` has scores that are not finite numbers")
                } else {
                    format!("column `{c}` has scores outside [0, 1]")
                },
                Some("scores must be probabilities; rescale them, or set `scale = \"arbitrary\"` in [scores] for a ranking score".into()),
                false,
            );
        }
        if reading.counts_file && protocol.scores.is_some() {
            let probability = protocol
                .scores
                .as_ref()
                .is_some_and(|s| s.scale == crate::protocol::ScoreScale::Probability);
            let width = protocol
                .scores
                .as_ref()
                .and_then(|s| s.bin_width)
                .unwrap_or(1.0);
            if let Some(msg) = super::counts::table_problem(&cell.table, width, probability) {
                let c = super::counts::SCORE_BIN;
                // Keyed by the message, so each kind of problem is listed on its own.
                note(
                    c,
                    Some(&msg),
                    rows,
                    format!("score table: {msg}"),
                    Some("see docs/counts.md".into()),
                    false,
                );
            }
        }
        // A missing score only matters when the decision is formed from it.
        if cell.score_missing > 0 && reading.decision_from_score {
            let c = protocol.columns.score.as_deref().unwrap_or("score");
            note(
                c,
                None,
                cell.score_missing,
                format!("column `{c}` has missing scores; the decision cannot be formed"),
                None,
                false,
            );
            continue;
        }
        let mut idx = Vec::with_capacity(protocol.attributes.len());
        let mut ok = true;
        for (a, &k) in protocol.attributes.iter().zip(&attr_key) {
            match code_value(a, null_values, cell.keys[k].as_deref()) {
                Ok(i) => idx.push(i),
                Err((msg, hint)) => {
                    note(&a.column, cell.keys[k].as_deref(), rows, msg, hint, true);
                    ok = false;
                }
            }
        }
        let (d, o) = reading.booleans(protocol, cell);
        let hint = |values: &crate::protocol::YesNo, table: &str| {
            if reading.counts_file {
                "a counts submission codes it `true` or `false` (see docs/counts.md)".to_string()
            } else {
                format!(
                    "expected one of {} (positive) or {} (negative); set {table} to map other codes",
                    values.positive.join(", "),
                    values.negative.join(", ")
                )
            }
        };
        if d.is_none() {
            let what = match cell.decision.as_deref() {
                None => format!("column `{decision_column}` has missing decisions"),
                Some(v) => match super::phi::shown(v) {
                    Some(s) => format!("decision {s} in column `{decision_column}` is not a yes/no value"),
                    None => format!("column `{decision_column}` has a decision that is not a yes/no value (not shown: it could identify someone)"),
                },
            };
            note(
                decision_column,
                cell.decision.as_deref(),
                rows,
                what,
                Some(hint(&protocol.decision_values, "[values.decision]")),
                !reading.decision_from_score,
            );
            ok = false;
        }
        let oc = &reading.outcome_column;
        if o.is_none() {
            let what = match cell.outcome.as_deref() {
                None => format!("column `{oc}` has missing outcomes"),
                Some(v) => match super::phi::shown(v) {
                    Some(s) => format!("outcome {s} in column `{oc}` is not a yes/no value"),
                    None => format!("column `{oc}` has an outcome that is not a yes/no value (not shown: it could identify someone)"),
                },
            };
            note(
                oc,
                cell.outcome.as_deref(),
                rows,
                what,
                Some(hint(&protocol.outcome_values, "[values.outcome]")),
                true,
            );
            ok = false;
        }
        if ok {
            if let (Some(d), Some(o)) = (d, o) {
                cases = cases.saturating_add(count);
                coded.push((idx, d, o, count, cell.weight_sum, cell.weight_sq_sum));
                coded_cell.push(ci);
            }
        }
    }
    // Counts are summed as doubles by the scan and as u64 after it: beyond 2^53 neither is
    // exact, and sums of cells could wrap.
    if cases > MAX_CASES {
        let c = if reading.counts_file {
            super::counts::N
        } else {
            protocol.columns.count.as_deref().unwrap_or("count")
        };
        note(
            c,
            None,
            0,
            format!("the counts add up to more than 2^53 ({MAX_CASES}) cases, beyond what s1557 counts exactly"),
            Some("check the count column (a quarter of a large health system is under 10^9 cases)".into()),
            false,
        );
    }
    if !problems.is_empty() {
        return Err(problems.into_values().collect());
    }

    let mut attributes = plain_attributes(protocol, &coded);
    attributes.extend(crossed_attributes(protocol, &coded));
    let scores = protocol
        .scores
        .is_some()
        .then(|| score_sample(protocol, cells, &coded, &coded_cell, &attributes, reading));
    let stratified = stratified_counts(protocol, &coded);
    Ok(SufficientStats {
        cases,
        attributes,
        stratified,
        scores,
        excluded: (!reading.counts_file).then_some(excluded),
    })
}

/// Each plain attribute's groups with their counts (`Unknown` only when some case has it).
fn plain_attributes(protocol: &Protocol, coded: &[Coded]) -> Vec<AttributeCounts> {
    let mut attributes = Vec::new();
    for (ai, a) in protocol.attributes.iter().enumerate() {
        let mut counts = vec![Confusion::default(); a.groups.len()];
        let mut weights = vec![WeightSums::default(); a.groups.len()];
        for (idx, d, o, n, w, w2) in coded {
            counts[idx[ai]].add(*d, *o, *n);
            weights[idx[ai]].add(*d, *o, *w, *w2);
        }
        let weighted = protocol.columns.weight.is_some();
        let unknown = a.groups.len() - 1;
        let groups = a
            .groups
            .iter()
            .zip(counts.into_iter().zip(weights))
            .enumerate()
            .filter(|(i, (_, (c, _)))| *i != unknown || c.n() > 0)
            .map(|(_, (g, (c, w)))| GroupCounts {
                group: g.clone(),
                counts: c,
                weights: weighted.then_some(w),
            })
            .collect();
        attributes.push(AttributeCounts {
            design: None,
            attribute: a.name.clone(),
            crossed: vec![],
            reference_group: a.reference.clone(),
            ordered: a.ordered,
            groups,
        });
    }
    attributes
}

/// Each crossed attribute's groups (race × sex) with their counts; the reference cell always.
fn crossed_attributes(protocol: &Protocol, coded: &[Coded]) -> Vec<AttributeCounts> {
    let mut attributes = Vec::new();
    for x in &protocol.crossed {
        let mut cells: BTreeMap<Vec<usize>, Confusion> = BTreeMap::new();
        let ref_idx: Vec<usize> = x
            .attributes
            .iter()
            .zip(&x.reference)
            .map(|(&ai, r)| {
                protocol.attributes[ai]
                    .groups
                    .iter()
                    .position(|g| g == r)
                    .unwrap_or(0)
            })
            .collect();
        cells.entry(ref_idx.clone()).or_default();
        let mut weights: BTreeMap<Vec<usize>, WeightSums> = BTreeMap::new();
        for (idx, d, o, n, w, w2) in coded {
            let key: Vec<usize> = x.attributes.iter().map(|&ai| idx[ai]).collect();
            cells.entry(key.clone()).or_default().add(*d, *o, *n);
            weights.entry(key).or_default().add(*d, *o, *w, *w2);
        }
        let weighted = protocol.columns.weight.is_some();
        let label = |key: &[usize]| -> String {
            key.iter()
                .zip(&x.attributes)
                .map(|(&g, &ai)| protocol.attributes[ai].groups[g].as_str())
                .collect::<Vec<_>>()
                .join(" × ")
        };
        attributes.push(AttributeCounts {
            design: None,
            attribute: x.name.clone(),
            crossed: x
                .attributes
                .iter()
                .map(|&ai| protocol.attributes[ai].name.clone())
                .collect(),
            reference_group: label(&ref_idx),
            ordered: false,
            groups: cells
                .iter()
                .filter(|(k, c)| c.n() > 0 || **k == ref_idx)
                .map(|(k, c)| GroupCounts {
                    group: label(k),
                    counts: *c,
                    weights: weighted.then(|| weights.get(k).copied().unwrap_or_default()),
                })
                .collect(),
        });
    }
    attributes
}

/// Each stratified table: an attribute's groups by the strata of a second attribute.
fn stratified_counts(protocol: &Protocol, coded: &[Coded]) -> Vec<StratifiedCounts> {
    let mut stratified = Vec::new();
    for x in &protocol.stratified {
        let (a, b) = (
            &protocol.attributes[x.attribute],
            &protocol.attributes[x.by],
        );
        let mut cells: BTreeMap<(usize, usize), Confusion> = BTreeMap::new();
        for (idx, d, o, n, ..) in coded {
            cells
                .entry((idx[x.attribute], idx[x.by]))
                .or_default()
                .add(*d, *o, *n);
        }
        stratified.push(StratifiedCounts {
            attribute: a.name.clone(),
            by: b.name.clone(),
            reference_group: a.reference.clone(),
            cells: cells
                .into_iter()
                .map(|((g, k), counts)| StratumCounts {
                    group: a.groups[g].clone(),
                    stratum: b.groups[k].clone(),
                    counts,
                })
                .collect(),
        });
    }
    stratified
}

/// Move the kept scores into a [`ScoreSample`]: finite scores only (with their needs), and each
/// cell's group under every attribute and crossed attribute, in the order of `attributes`.
fn score_sample(
    protocol: &Protocol,
    cells: &[RawCell],
    coded: &[Coded],
    coded_cell: &[usize],
    attributes: &[AttributeCounts],
    reading: &Reading,
) -> ScoreSample {
    // The scan returns the cells sorted; the rows within a cell come in no fixed order, and
    // sums over floats depend on order, so they are sorted (by score, then need) here.
    let mut sample = ScoreSample::default();
    for (k, &ci) in coded_cell.iter().enumerate() {
        let raw = &cells[ci];
        if reading.counts_file {
            let (scores, needs, unscored) = super::counts::expand(&raw.table);
            sample.cells.push(ScoredCell {
                outcome: coded[k].2,
                scores,
                needs,
                unscored,
            });
            continue;
        }
        let with_need = !raw.needs.is_empty();
        let mut pairs: Vec<(f64, f64)> = Vec::with_capacity(raw.scores.len());
        let mut unscored = 0;
        for (i, &s) in raw.scores.iter().enumerate() {
            if s.is_finite() {
                pairs.push((s, if with_need { raw.needs[i] } else { 0.0 }));
            } else {
                unscored += 1;
            }
        }
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
        sample.cells.push(ScoredCell {
            outcome: coded[k].2,
            scores: pairs.iter().map(|p| p.0).collect(),
            needs: if with_need {
                pairs.iter().map(|p| p.1).collect()
            } else {
                vec![]
            },
            unscored,
        });
    }
    let position = |a: &AttributeCounts, label: &str| {
        a.groups
            .iter()
            .position(|g| g.group == label)
            .unwrap_or(usize::MAX)
    };
    let n_plain = protocol.attributes.len();
    for (ai, a) in attributes.iter().enumerate() {
        let member = coded
            .iter()
            .map(|(idx, ..)| {
                if ai < n_plain {
                    position(a, &protocol.attributes[ai].groups[idx[ai]])
                } else {
                    let x = &protocol.crossed[ai - n_plain];
                    let label = x
                        .attributes
                        .iter()
                        .map(|&k| protocol.attributes[k].groups[idx[k]].as_str())
                        .collect::<Vec<_>>()
                        .join(" × ");
                    position(a, &label)
                }
            })
            .collect();
        sample.membership.push(member);
    }
    if reading.counts_file {
        sample.table = Some(score_table(
            protocol,
            cells,
            coded,
            coded_cell,
            attributes,
            &sample.membership,
        ));
    }
    sample
}

/// The resolution of a counts submission's score table, with each group's bound on its AUROC
/// error: the share of its (outcome, no outcome) case pairs whose scores share a bin holding
/// more than one score value. Pairs in different bins are ordered as the scores are; pairs in a
/// bin of one value are ties either way.
fn score_table(
    protocol: &Protocol,
    cells: &[RawCell],
    coded: &[Coded],
    coded_cell: &[usize],
    attributes: &[AttributeCounts],
    membership: &[Vec<usize>],
) -> ScoreTable {
    // Per (attribute, group, bin): cases with and without the outcome, lowest and highest score.
    type BinStats = (u64, u64, f64, f64);
    let mut bins: BTreeMap<(usize, usize, i64), BinStats> = BTreeMap::new();
    let (mut rows, mut spread, mut max_spread) = (0u64, 0u64, 0.0f64);
    for (k, &ci) in coded_cell.iter().enumerate() {
        let outcome = coded[k].2;
        for r in &cells[ci].table {
            let Some(b) = r.bin else { continue };
            rows += 1;
            if r.min < r.max {
                spread += 1;
                max_spread = max_spread.max(r.max - r.min);
            }
            let n = r.n.max(0.0) as u64;
            for (ai, m) in membership.iter().enumerate() {
                let e = bins.entry((ai, m[k], b as i64)).or_insert((
                    0,
                    0,
                    f64::INFINITY,
                    f64::NEG_INFINITY,
                ));
                if outcome {
                    e.0 += n;
                } else {
                    e.1 += n;
                }
                e.2 = e.2.min(r.min);
                e.3 = e.3.max(r.max);
            }
        }
    }
    // Per (attribute, group): all pairs, and pairs in a bin of more than one value.
    let mut pairs: BTreeMap<(usize, usize), (u64, u64, f64)> = BTreeMap::new();
    for (&(ai, g, _), &(p, n, lo, hi)) in &bins {
        let e = pairs.entry((ai, g)).or_insert((0, 0, 0.0));
        e.0 += p;
        e.1 += n;
        if lo < hi {
            e.2 += p as f64 * n as f64;
        }
    }
    let auroc_bounds = pairs
        .into_iter()
        .filter(|((ai, g), _)| *g < attributes[*ai].groups.len())
        .map(|((ai, g), (p, n, mixed))| AurocBound {
            attribute: attributes[ai].attribute.clone(),
            group: attributes[ai].groups[g].group.clone(),
            bound: if p == 0 || n == 0 {
                0.0
            } else {
                mixed / (p as f64 * n as f64)
            },
        })
        .collect();
    ScoreTable {
        format: super::counts::FORMAT.into(),
        bin_width: protocol
            .scores
            .as_ref()
            .and_then(|s| s.bin_width)
            .unwrap_or(f64::NAN),
        rows,
        rows_with_spread: spread,
        max_spread,
        with_need: super::counts::with_need(protocol),
        auroc_bounds,
    }
}
