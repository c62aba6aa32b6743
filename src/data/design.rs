//! The clusters' moments (protocol `columns.cluster`, optionally `columns.strata`): from a grouped
//! table whose keys end with the stratum and the cluster, each group's per-stratum sums of its
//! cluster totals, of their outer products, and of their products with the reference group's
//! totals in the same cluster ([`AttributeDesign`]). Nothing else of a cluster is kept.

use std::collections::{BTreeMap, BTreeSet};

use super::coding::{code_value, CodingProblem, Reading};
use super::scan::RawCell;
use crate::protocol::Protocol;
use crate::suffstats::{AttributeDesign, ClusterMoments, GroupDesign, StratumSize};

/// One coded cell of the clustered table.
struct Row<'a> {
    stratum: &'a str,
    cluster: &'a str,
    /// The group of each plain attribute.
    groups: Vec<usize>,
    /// The confusion cell (0–3: tp, fp, fn, tn).
    cell: usize,
    /// Cases, or their summed weights.
    value: f64,
}

/// An attribute's groups as keys into the plain attributes' groups (one index for a plain
/// attribute, one per component for a crossed one), its reference key and its labels.
struct Spec {
    parts: Vec<usize>,
    reference: Vec<usize>,
}

fn specs(protocol: &Protocol) -> Vec<Spec> {
    let position = |ai: usize, label: &str| {
        protocol.attributes[ai]
            .groups
            .iter()
            .position(|g| g == label)
            .unwrap_or(0)
    };
    let plain = protocol.attributes.iter().enumerate().map(|(ai, a)| Spec {
        parts: vec![ai],
        reference: vec![position(ai, &a.reference)],
    });
    let crossed = protocol.crossed.iter().map(|x| Spec {
        parts: x.attributes.clone(),
        reference: x
            .attributes
            .iter()
            .zip(&x.reference)
            .map(|(&ai, r)| position(ai, r))
            .collect(),
    });
    plain.chain(crossed).collect()
}

fn label(protocol: &Protocol, spec: &Spec, key: &[usize]) -> String {
    key.iter()
        .zip(&spec.parts)
        .map(|(&g, &ai)| protocol.attributes[ai].groups[g].as_str())
        .collect::<Vec<_>>()
        .join(" × ")
}

fn problem(column: &str, rows: u64, message: String, hint: &str) -> CodingProblem {
    CodingProblem {
        column: column.to_string(),
        value: None,
        rows,
        message,
        hint: Some(hint.to_string()),
        locate: false,
    }
}

/// The problems of rows without a cluster or a stratum.
fn missing(protocol: &Protocol, no_cluster: u64, no_stratum: u64) -> Vec<CodingProblem> {
    let mut problems = Vec::new();
    if let (true, Some(c)) = (no_cluster > 0, &protocol.columns.cluster) {
        problems.push(problem(
            c,
            no_cluster,
            format!("column `{c}` has missing cluster keys"),
            "every row needs its cluster (the patient key, or the survey's primary sampling unit)",
        ));
    }
    if let (true, Some(c)) = (no_stratum > 0, &protocol.columns.strata) {
        problems.push(problem(
            c,
            no_stratum,
            format!("column `{c}` has missing strata"),
            "every row needs its stratum",
        ));
    }
    problems
}

/// The coded cells, or the clusters and strata that are missing. Cells the main pass could not
/// code (it has reported them) are skipped.
fn rows<'a>(
    protocol: &Protocol,
    key_columns: &[String],
    cells: &'a [RawCell],
    reading: &Reading,
) -> Result<Vec<Row<'a>>, Vec<CodingProblem>> {
    let attr_key: Vec<usize> = protocol
        .attributes
        .iter()
        .map(|a| key_columns.iter().position(|k| k == &a.column).unwrap_or(0))
        .collect();
    let n = key_columns.len();
    let with_strata = protocol.columns.strata.is_some();
    let weighted = protocol.columns.weight.is_some();
    let (mut no_cluster, mut no_stratum) = (0u64, 0u64);
    let mut out = Vec::with_capacity(cells.len());
    for cell in cells {
        if super::coding::excluded_by(protocol, key_columns, cell).is_some() {
            continue;
        }
        let (Some(d), Some(o)) = reading.booleans(protocol, cell) else {
            continue;
        };
        let groups: Option<Vec<usize>> = protocol
            .attributes
            .iter()
            .zip(&attr_key)
            .map(|(a, &k)| code_value(a, &protocol.data.null_values, cell.keys[k].as_deref()).ok())
            .collect();
        let Some(groups) = groups else { continue };
        let rows = cell.count.max(1.0) as u64;
        let stratum = if with_strata {
            cell.keys[n].as_deref()
        } else {
            Some("all")
        };
        let cluster = cell.keys[n + usize::from(with_strata)].as_deref();
        match (stratum, cluster) {
            (None, _) => no_stratum += rows,
            (_, None) => no_cluster += rows,
            (Some(stratum), Some(cluster)) => out.push(Row {
                stratum,
                cluster,
                groups,
                cell: usize::from(!d) * 2 + usize::from(!o),
                value: if weighted {
                    cell.weight_sum
                } else {
                    cell.count
                },
            }),
        }
    }
    let problems = missing(protocol, no_cluster, no_stratum);
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// The strata with their clusters, or a problem for each stratum with a single cluster.
fn strata(protocol: &Protocol, rows: &[Row]) -> Result<Vec<StratumSize>, Vec<CodingProblem>> {
    let mut clusters: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for r in rows {
        clusters.entry(r.stratum).or_default().insert(r.cluster);
    }
    let sizes: Vec<StratumSize> = clusters
        .into_iter()
        .map(|(s, c)| StratumSize {
            stratum: s.to_string(),
            clusters: c.len() as u64,
        })
        .collect();
    let single: Vec<&str> = sizes
        .iter()
        .filter(|s| s.clusters < 2)
        .map(|s| s.stratum.as_str())
        .collect();
    if single.is_empty() {
        return Ok(sizes);
    }
    let column = protocol
        .columns
        .strata
        .clone()
        .or_else(|| protocol.columns.cluster.clone())
        .unwrap_or_default();
    Err(vec![problem(
        &column,
        0,
        format!(
            "{} stratum (of {}) has a single cluster, so its variance cannot be estimated: {}",
            single.len(),
            sizes.len(),
            single.iter().take(5).map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
        ),
        "collapse each such stratum into a neighbouring one in the data (the usual survey practice)",
    )])
}

fn add_outer(into: &mut [[f64; 4]; 4], x: &[f64; 4], y: &[f64; 4]) {
    for i in 0..4 {
        for j in 0..4 {
            into[i][j] += x[i] * y[j];
        }
    }
}

/// Each attribute's design moments (plain attributes, then crossed ones, as
/// [`crate::suffstats::SufficientStats::attributes`]).
pub fn moments(
    protocol: &Protocol,
    key_columns: &[String],
    cells: &[RawCell],
    reading: &Reading,
) -> Result<Vec<AttributeDesign>, Vec<CodingProblem>> {
    let mut rows = rows(protocol, key_columns, cells, reading)?;
    let sizes = strata(protocol, &rows)?;
    let stratum_index: BTreeMap<&str, usize> = sizes
        .iter()
        .enumerate()
        .map(|(i, s)| (s.stratum.as_str(), i))
        .collect();
    rows.sort_by(|a, b| (a.stratum, a.cluster).cmp(&(b.stratum, b.cluster)));
    let specs = specs(protocol);
    let mut acc: Vec<BTreeMap<(Vec<usize>, usize), ClusterMoments>> =
        vec![BTreeMap::new(); specs.len()];
    for cluster in rows.chunk_by(|a, b| (a.stratum, a.cluster) == (b.stratum, b.cluster)) {
        let h = stratum_index[cluster[0].stratum];
        for (spec, acc) in specs.iter().zip(&mut acc) {
            let mut totals: BTreeMap<Vec<usize>, [f64; 4]> = BTreeMap::new();
            for r in cluster {
                let key: Vec<usize> = spec.parts.iter().map(|&ai| r.groups[ai]).collect();
                totals.entry(key).or_default()[r.cell] += r.value;
            }
            let reference = totals.get(&spec.reference).copied();
            for (key, t) in totals {
                let m = acc.entry((key, h)).or_insert_with(|| ClusterMoments {
                    stratum: h,
                    ..Default::default()
                });
                for (s, v) in m.sum.iter_mut().zip(t) {
                    *s += v;
                }
                add_outer(&mut m.cross, &t, &t);
                if let Some(r) = &reference {
                    add_outer(&mut m.with_reference, &t, r);
                }
            }
        }
    }
    Ok(specs
        .iter()
        .zip(acc)
        .map(|(spec, acc)| {
            let mut groups: BTreeMap<Vec<usize>, Vec<ClusterMoments>> = BTreeMap::new();
            for ((key, _), m) in acc {
                groups.entry(key).or_default().push(m);
            }
            AttributeDesign {
                strata: sizes.clone(),
                groups: groups
                    .into_iter()
                    .map(|(key, strata)| GroupDesign {
                        group: label(protocol, spec, &key),
                        strata,
                    })
                    .collect(),
            }
        })
        .collect())
}
