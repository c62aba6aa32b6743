//! Pooling small groups for shared outputs: the groups of an attribute with a small cell (a count
//! from 1 to the minimum cell size less one) are shown as one stated group, `Pooled (a; b)`, whose
//! every cell is 0 or at least the minimum, so the other groups keep their numbers.
//!
//! The pool is decided from the counts alone, once, and recorded in the artifact with its rates
//! and its comparisons with the reference (descriptive: outside the correction family and the
//! triggers; each member keeps its own status). Shared outputs show the pool's rates beside its
//! members' where `disclosure` finds they give no small count away. Rules:
//! - a plain attribute pools its small groups other than the reference; while the pool has one
//!   member, or a small cell of its own, the next smallest group joins (a single pooled group would
//!   be the group itself, and the pool's counts are the total less the groups shown);
//! - a crossed attribute `A × B` pools along `A`: the values of `A` pooled in `A`'s own table, and
//!   every value with a small crossed cell, form one set pooled within each value of `B`
//!   (`Pooled (a; b) × Female`), grown the same way, so no crossed cell differs from its margin by
//!   a shown count;
//! - where no pool satisfies the rule (the reference has a small cell, a crossed attribute of three
//!   attributes, too few groups), the attribute gets no pool.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::metrics::{self, Comparison, GroupResult};
use crate::protocol::Analysis;
use crate::suffstats::{AttributeCounts, Confusion};

/// One pooled group of an attribute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Pool {
    pub attribute: String,
    /// The label shared outputs show: `Pooled (a; b)`, or `Pooled (a; b) × Female` in a crossed
    /// attribute.
    pub group: String,
    /// The groups it holds, in the attribute's order.
    pub members: Vec<String>,
    pub counts: Confusion,
    /// The pooled group's rates.
    pub result: GroupResult,
    /// The pooled group against the attribute's reference on each compared metric, with raw
    /// p-values (descriptive: no status, outside the correction family).
    pub comparisons: Vec<Comparison>,
}

/// The label of a pool of `members` (values of one plain attribute).
pub fn label(members: &[&str]) -> String {
    format!("Pooled ({})", members.join("; "))
}

/// The pools of every attribute, in the artifact's order of attributes.
pub fn pools(attributes: &[AttributeCounts], analysis: &Analysis) -> Vec<Pool> {
    let min = analysis.min_cell_size;
    let mut out = Vec::new();
    for attr in attributes {
        let sets: Vec<(String, Vec<String>)> = match attr.crossed.as_slice() {
            [] => plain_pool(attr, min)
                .map(|m| {
                    let refs: Vec<&str> = m.iter().map(String::as_str).collect();
                    vec![(label(&refs), m)]
                })
                .unwrap_or_default(),
            [a, _] => {
                let margin = attributes
                    .iter()
                    .find(|x| x.attribute == *a)
                    .and_then(|x| plain_pool(x, min))
                    .unwrap_or_default();
                crossed_pools(attr, &margin, min).unwrap_or_default()
            }
            _ => vec![],
        };
        for (group, members) in sets {
            out.push(pool(attr, group, members, analysis));
        }
    }
    out
}

fn small(c: &Confusion, min: u64) -> bool {
    c.has_small_cell(min)
}

fn sum<'a>(it: impl Iterator<Item = &'a Confusion>) -> Confusion {
    it.fold(Confusion::default(), |mut s, c| {
        s.tp += c.tp;
        s.fp += c.fp;
        s.fn_ += c.fn_;
        s.tn += c.tn;
        s
    })
}

/// The members of a plain attribute's pool, in the attribute's order; `None` when nothing needs
/// pooling or no pool satisfies the rule.
fn plain_pool(attr: &AttributeCounts, min: u64) -> Option<Vec<String>> {
    let reference = attr.groups.iter().find(|g| g.group == attr.reference_group);
    if reference.is_none_or(|r| small(&r.counts, min)) {
        return None;
    }
    // Unknown is never pooled with real categories: a pool of them would compare nothing.
    let candidates: Vec<&crate::suffstats::GroupCounts> = attr
        .groups
        .iter()
        .filter(|g| {
            g.group != attr.reference_group
                && g.group != crate::protocol::UNKNOWN
                && g.counts.n() > 0
        })
        .collect();
    let mut pool: Vec<&str> = candidates
        .iter()
        .filter(|g| small(&g.counts, min))
        .map(|g| g.group.as_str())
        .collect();
    if pool.is_empty() {
        return None;
    }
    let cells = |pool: &[&str]| {
        sum(candidates
            .iter()
            .filter(|g| pool.contains(&g.group.as_str()))
            .map(|g| &g.counts))
    };
    while pool.len() < 2 || small(&cells(&pool), min) {
        let next = candidates
            .iter()
            .filter(|g| !pool.contains(&g.group.as_str()))
            .min_by_key(|g| g.counts.n())?;
        pool.push(&next.group);
    }
    Some(in_order(
        attr.groups.iter().map(|g| g.group.as_str()),
        &pool,
    ))
}

fn in_order<'a>(order: impl Iterator<Item = &'a str>, set: &[&str]) -> Vec<String> {
    order
        .filter(|g| set.contains(g))
        .map(str::to_string)
        .collect()
}

/// The pools of a crossed attribute `A × B`, one per value of `B`: the values of `A` in `margin`
/// (A's own pool) and those with a small crossed cell, grown until every pooled cell is 0 or at
/// least `min`.
fn crossed_pools(
    attr: &AttributeCounts,
    margin: &[String],
    min: u64,
) -> Option<Vec<(String, Vec<String>)>> {
    // Each crossed group as (a, b, counts), in the attribute's order.
    let cells: Vec<(&str, &str, &Confusion)> = attr
        .groups
        .iter()
        .map(|g| {
            let (a, b) = g.group.split_once(" × ")?;
            Some((a, b, &g.counts))
        })
        .collect::<Option<_>>()?;
    let (ref_a, _) = attr.reference_group.split_once(" × ")?;
    let mut a_values: Vec<&str> = Vec::new();
    let mut b_values: Vec<&str> = Vec::new();
    for (a, b, _) in &cells {
        if !a_values.contains(a) {
            a_values.push(a);
        }
        if !b_values.contains(b) {
            b_values.push(b);
        }
    }
    if cells.iter().any(|(a, _, c)| *a == ref_a && small(c, min)) {
        return None;
    }
    let mut pool: Vec<&str> = a_values
        .iter()
        .copied()
        .filter(|a| *a != crate::protocol::UNKNOWN)
        .filter(|a| {
            *a != ref_a
                && (margin.iter().any(|m| m == a)
                    || cells.iter().any(|(x, _, c)| x == a && small(c, min)))
        })
        .collect();
    if pool.is_empty() {
        return None;
    }
    let n_of = |a: &str| {
        cells
            .iter()
            .filter(|(x, ..)| *x == a)
            .map(|(.., c)| c.n())
            .sum::<u64>()
    };
    let pooled = |pool: &[&str], b: &str| {
        sum(cells
            .iter()
            .filter(|(x, y, _)| *y == b && pool.contains(x))
            .map(|(.., c)| *c))
    };
    while pool.len() < 2 || b_values.iter().any(|b| small(&pooled(&pool, b), min)) {
        let next = a_values
            .iter()
            .copied()
            .filter(|a| {
                *a != ref_a && *a != crate::protocol::UNKNOWN && !pool.contains(a) && n_of(a) > 0
            })
            .min_by_key(|a| n_of(a))?;
        pool.push(next);
    }
    let members = in_order(a_values.iter().copied(), &pool);
    let refs: Vec<&str> = members.iter().map(String::as_str).collect();
    Some(
        b_values
            .iter()
            .map(|b| {
                let group = format!("{} × {b}", label(&refs));
                let m = members.iter().map(|a| format!("{a} × {b}")).collect();
                (group, m)
            })
            .collect(),
    )
}

/// A pool's counts, rates and comparisons.
fn pool(attr: &AttributeCounts, group: String, members: Vec<String>, a: &Analysis) -> Pool {
    let counts = sum(attr
        .groups
        .iter()
        .filter(|g| members.contains(&g.group))
        .map(|g| &g.counts));
    let reference = attr
        .groups
        .iter()
        .find(|g| g.group == attr.reference_group)
        .map(|g| g.counts)
        .unwrap_or_default();
    let result = metrics::group_result_of(&group, &counts, None, false, a);
    let comparisons = a
        .metrics
        .iter()
        .map(|&m| {
            metrics::compare(
                &attr.attribute,
                &group,
                &attr.reference_group,
                m,
                &counts,
                &reference,
                a,
            )
        })
        .collect();
    Pool {
        attribute: attr.attribute.clone(),
        group,
        members,
        counts,
        result,
        comparisons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suffstats::GroupCounts;

    fn c(tp: u64, fp: u64, fn_: u64, tn: u64) -> Confusion {
        Confusion { tp, fp, fn_, tn }
    }

    fn attr(groups: &[(&str, Confusion)], reference: &str) -> AttributeCounts {
        AttributeCounts {
            design: None,
            attribute: "race".into(),
            crossed: vec![],
            reference_group: reference.into(),
            ordered: false,
            groups: groups
                .iter()
                .map(|(g, c)| GroupCounts {
                    group: g.to_string(),
                    counts: *c,
                    weights: None,
                })
                .collect(),
        }
    }

    #[test]
    fn a_pool_grows_until_its_own_cells_are_not_small() {
        // The example's race: AIAN (fn 8) and NHPI (fn 1) pool to fn 9, still small; More than
        // one race (the smallest other group) joins.
        let a = attr(
            &[
                ("AIAN", c(52, 35, 8, 327)),
                ("Asian", c(293, 182, 44, 1852)),
                ("NHPI", c(18, 8, 1, 76)),
                ("White", c(2124, 1211, 294, 13754)),
                ("Multi", c(163, 81, 20, 971)),
            ],
            "White",
        );
        assert_eq!(
            plain_pool(&a, 11).unwrap(),
            ["AIAN", "NHPI", "Multi"].map(String::from)
        );
    }

    #[test]
    fn one_small_group_pools_with_the_next_smallest() {
        let a = attr(
            &[
                ("A", c(50, 50, 50, 50)),
                ("B", c(5, 50, 50, 50)),
                ("C", c(30, 30, 30, 30)),
                ("D", c(400, 400, 400, 400)),
            ],
            "A",
        );
        assert_eq!(plain_pool(&a, 11).unwrap(), ["B", "C"].map(String::from));
    }

    #[test]
    fn no_pool_when_nothing_is_small_the_reference_is_small_or_the_pool_cannot_grow() {
        let fine = attr(&[("A", c(50, 50, 50, 50)), ("B", c(0, 50, 50, 50))], "A");
        assert!(plain_pool(&fine, 11).is_none());
        let small_ref = attr(&[("A", c(5, 50, 50, 50)), ("B", c(3, 50, 50, 50))], "A");
        assert!(plain_pool(&small_ref, 11).is_none());
        let stuck = attr(
            &[
                ("A", c(50, 50, 50, 50)),
                ("B", c(3, 50, 50, 50)),
                ("C", c(4, 50, 50, 50)),
            ],
            "A",
        );
        assert!(plain_pool(&stuck, 11).is_none());
    }

    #[test]
    fn a_crossed_attribute_pools_along_its_first_attribute_within_each_value_of_the_second() {
        let mut x = attr(
            &[
                ("W × F", c(100, 100, 100, 100)),
                ("W × M", c(100, 100, 100, 100)),
                ("B × F", c(100, 100, 100, 100)),
                ("B × M", c(100, 100, 100, 100)),
                ("I × F", c(20, 20, 5, 20)),
                ("I × M", c(20, 20, 20, 20)),
                ("P × F", c(20, 20, 20, 20)),
                ("P × M", c(20, 20, 2, 20)),
            ],
            "W × M",
        );
        x.crossed = vec!["race".into(), "sex".into()];
        let pools = crossed_pools(&x, &[], 11).unwrap();
        assert_eq!(
            pools,
            vec![
                (
                    "Pooled (I; P) × F".to_string(),
                    vec!["I × F".to_string(), "P × F".to_string()]
                ),
                (
                    "Pooled (I; P) × M".to_string(),
                    vec!["I × M".to_string(), "P × M".to_string()]
                ),
            ]
        );
        // The margin's pool joins the crossed one even where its crossed cells are large.
        let pools = crossed_pools(&x, &["B".to_string()], 11).unwrap();
        assert_eq!(pools[0].0, "Pooled (B; I; P) × F");
    }
}
