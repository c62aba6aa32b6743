//! Which groups shared outputs withhold, decided from an artifact alone: the report and the
//! trend against an earlier artifact both follow it.

use std::collections::{BTreeMap, BTreeSet};

use crate::artifact::Artifact;

/// The groups withheld in shared outputs, decided once from the artifact's sufficient
/// statistics. A group is withheld when one of its cells is small; when that leaves exactly one
/// group of an attribute withheld, the smallest other group is withheld too (complementary
/// suppression), so the withheld group's size cannot be had by subtracting the others from the
/// total. Every rate of a group is a ratio of sums of its four cells, so withholding only the
/// metrics built on a small cell would let the others give it away (FPR 40/495 and selection
/// 43/500 reveal 3 true positives).
pub struct Suppression {
    hidden: BTreeSet<(String, String)>,
    /// Groups shown inside a pool instead of on their own: (attribute, group) → the pool's label.
    pooled: BTreeMap<(String, String), String>,
    /// Groups withheld for a small cell of their own (the others protect another group).
    small: BTreeSet<(String, String)>,
    /// Attributes with at least one withheld group.
    touched: BTreeSet<String>,
    /// Groups withheld in the risk-score section's group tables and comparisons.
    score_hidden: BTreeSet<(String, String)>,
    /// Groups withheld in each operating point's table, in the artifact's order.
    operating_hidden: Vec<BTreeSet<(String, String)>>,
}

impl Suppression {
    pub fn from_artifact(a: &Artifact) -> Suppression {
        let min_cell = a.suppression.min_cell_size;
        let mut hidden = BTreeSet::new();
        let mut touched = BTreeSet::new();
        let mut pooled = BTreeMap::new();
        let mut small = BTreeSet::new();
        if !a.suppression.applied {
            return Suppression {
                hidden,
                pooled,
                small,
                touched,
                score_hidden: BTreeSet::new(),
                operating_hidden: vec![],
            };
        }
        for attr in &a.sufficient_statistics {
            for g in attr
                .groups
                .iter()
                .filter(|g| g.counts.has_small_cell(min_cell))
            {
                small.insert((attr.attribute.clone(), g.group.clone()));
            }
            // Pooled: the members are shown inside their pool, which the artifact made safe.
            let pools: Vec<&crate::pooling::Pool> = a
                .pools
                .iter()
                .filter(|p| p.attribute == attr.attribute)
                .collect();
            if !pools.is_empty() {
                touched.insert(attr.attribute.clone());
                for p in pools {
                    for m in &p.members {
                        hidden.insert((attr.attribute.clone(), m.clone()));
                        pooled.insert((attr.attribute.clone(), m.clone()), p.group.clone());
                    }
                }
                continue;
            }
            // A crossed group is part of its marginal groups, which are shown: one withheld
            // crossed cell could be had by subtraction (Black × Male = Black − Black × Female).
            // So a crossed attribute with any small group is withheld whole.
            if !attr.crossed.is_empty()
                && attr
                    .groups
                    .iter()
                    .any(|g| g.counts.has_small_cell(min_cell))
            {
                touched.insert(attr.attribute.clone());
                for g in &attr.groups {
                    hidden.insert((attr.attribute.clone(), g.group.clone()));
                }
                continue;
            }
            let small_groups: Vec<&str> = attr
                .groups
                .iter()
                .filter(|g| g.counts.has_small_cell(min_cell))
                .map(|g| g.group.as_str())
                .collect();
            let mut withheld: Vec<&str> = small_groups.clone();
            if small_groups.len() == 1 {
                let extra = attr
                    .groups
                    .iter()
                    .filter(|g| !small_groups.contains(&g.group.as_str()) && g.counts.n() > 0)
                    .min_by_key(|g| (g.group == attr.reference_group, g.counts.n()));
                if let Some(g) = extra {
                    withheld.push(g.group.as_str());
                }
            }
            if !withheld.is_empty() {
                touched.insert(attr.attribute.clone());
            }
            for g in withheld {
                hidden.insert((attr.attribute.clone(), g.to_string()));
            }
        }
        let score_hidden = score_withheld(a, &hidden);
        let operating_hidden = operating_withheld(a, &hidden);
        Suppression {
            hidden,
            pooled,
            small,
            touched,
            score_hidden,
            operating_hidden,
        }
    }

    /// Whether a group's row is withheld in the table of operating point `op`.
    pub fn operating_group(&self, op: usize, attribute: &str, group: &str) -> bool {
        self.operating_hidden
            .get(op)
            .is_some_and(|h| h.contains(&(attribute.to_string(), group.to_string())))
    }

    /// Whether a group's numbers are withheld in the risk-score section.
    pub fn score_group(&self, attribute: &str, group: &str) -> bool {
        self.score_hidden
            .contains(&(attribute.to_string(), group.to_string()))
    }

    /// Whether a group's counts, rates and comparisons are withheld.
    pub fn group(&self, attribute: &str, group: &str) -> bool {
        self.hidden
            .contains(&(attribute.to_string(), group.to_string()))
    }

    /// Whether a comparison's numbers are withheld: its group or its reference is.
    pub fn comparison(&self, c: &crate::metrics::Comparison) -> bool {
        self.group(&c.attribute, &c.group) || self.group(&c.attribute, &c.reference_group)
    }

    /// The pool a group is shown in, when it is pooled.
    pub fn pool_of(&self, attribute: &str, group: &str) -> Option<&str> {
        self.pooled
            .get(&(attribute.to_string(), group.to_string()))
            .map(String::as_str)
    }

    /// Why a withheld group is withheld, in words for the reader; `None` when it is shown.
    pub fn reason(&self, attribute: &str, group: &str, min_cell: u64) -> Option<String> {
        let key = (attribute.to_string(), group.to_string());
        if let Some(p) = self.pooled.get(&key) {
            Some(format!("in {p}"))
        } else if !self.hidden.contains(&key) {
            None
        } else if self.small.contains(&key) {
            Some(format!("withheld: a count under {min_cell}"))
        } else {
            Some("withheld to protect another group".to_string())
        }
    }

    /// The pools shared outputs show for an attribute (none for an internal report).
    pub fn pools<'a>(&self, a: &'a Artifact, attribute: &str) -> Vec<&'a crate::pooling::Pool> {
        if !a.suppression.applied {
            return vec![];
        }
        a.pools
            .iter()
            .filter(|p| p.attribute == attribute)
            .collect()
    }

    /// Whether an attribute has any withheld group (its omnibus details are then withheld too).
    pub fn attribute(&self, attribute: &str) -> bool {
        self.touched.contains(attribute)
    }
}

/// Groups withheld together in a table of the score section: a pool, or one group.
struct Unit<'a> {
    groups: Vec<&'a str>,
    n: u64,
    is_reference: bool,
    /// The table's counts, summed over the groups.
    counts: Vec<u64>,
    /// Withheld elsewhere, or with a small count here.
    sensitive: bool,
    pool: bool,
}

fn add_counts(s: &mut Vec<u64>, v: &[u64]) {
    if s.len() < v.len() {
        s.resize(v.len(), 0);
    }
    for (x, y) in s.iter_mut().zip(v) {
        *x += y;
    }
}

/// The units of one attribute in one table: each pool of the attribute, then every other group.
fn units<'a>(
    a: &Artifact,
    hidden: &BTreeSet<(String, String)>,
    attribute: &str,
    groups: &[(&'a str, u64, bool)],
    counts: &impl Fn(&str) -> Vec<u64>,
) -> Vec<Unit<'a>> {
    let min = a.suppression.min_cell_size;
    let small = |v: &[u64]| v.iter().any(|&k| k > 0 && k < min);
    let mut out: Vec<Unit> = Vec::new();
    for p in a.pools.iter().filter(|p| p.attribute == attribute) {
        let members: Vec<(&str, u64, bool)> = groups
            .iter()
            .copied()
            .filter(|(g, ..)| p.members.iter().any(|m| m == g))
            .collect();
        let mut sum = Vec::new();
        for (g, ..) in &members {
            add_counts(&mut sum, &counts(g));
        }
        out.push(Unit {
            groups: members.iter().map(|m| m.0).collect(),
            n: members.iter().map(|m| m.1).sum(),
            is_reference: false,
            sensitive: small(&sum),
            counts: sum,
            pool: true,
        });
    }
    for &(g, n, is_reference) in groups {
        if out.iter().any(|u| u.groups.contains(&g)) {
            continue;
        }
        let c = counts(g);
        out.push(Unit {
            groups: vec![g],
            n,
            is_reference,
            sensitive: small(&c) || hidden.contains(&(attribute.to_string(), g.to_string())),
            counts: c,
            pool: false,
        });
    }
    out
}

/// The groups of one table of the score section withheld: each pool of the attribute is one unit
/// (its members never show there, as its rates cannot be pooled), every other group a unit of
/// its own, withheld when withheld in the rest of the report or when one of its `counts` is
/// small. A crossed attribute with a sensitive unit is withheld whole; otherwise units join the
/// withheld, smallest first, while the withheld are one sensitive unit or add up to a small count
/// (the total less the shown would give it).
fn withhold(
    a: &Artifact,
    hidden: &BTreeSet<(String, String)>,
    attribute: &str,
    groups: &[(&str, u64, bool)],
    counts: impl Fn(&str) -> Vec<u64>,
    out: &mut BTreeSet<(String, String)>,
) {
    let min = a.suppression.min_cell_size;
    let small = |v: &[u64]| v.iter().any(|&k| k > 0 && k < min);
    let crossed = a
        .sufficient_statistics
        .iter()
        .any(|s| s.attribute == attribute && !s.crossed.is_empty());
    let units = units(a, hidden, attribute, groups, &counts);
    let mut withheld: Vec<usize> = (0..units.len())
        .filter(|&i| units[i].pool || units[i].sensitive)
        .collect();
    if crossed && withheld.iter().any(|&i| units[i].sensitive) {
        withheld = (0..units.len()).collect();
    }
    loop {
        let mut sum = Vec::new();
        for &i in &withheld {
            add_counts(&mut sum, &units[i].counts);
        }
        let lone = withheld.len() == 1 && units[withheld[0]].sensitive;
        if !(lone || small(&sum)) {
            break;
        }
        let next = (0..units.len())
            .filter(|i| !withheld.contains(i) && units[*i].n > 0)
            .min_by_key(|&i| (units[i].is_reference, units[i].n));
        match next {
            Some(i) => withheld.push(i),
            None => break,
        }
    }
    for i in withheld {
        for g in &units[i].groups {
            out.insert((attribute.to_string(), g.to_string()));
        }
    }
}

/// The groups withheld in the risk-score section's group tables and comparisons: withheld in the
/// rest of the report, or with a score-section count between 1 and the minimum cell size less
/// one (cases with and without the outcome, unscored cases, cases without need, cases per
/// equal-score bin).
fn score_withheld(a: &Artifact, hidden: &BTreeSet<(String, String)>) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    let Some(sc) = &a.scores else { return out };
    for x in &sc.attributes {
        let groups: Vec<(&str, u64, bool)> = x
            .groups
            .iter()
            .map(|g| (g.group.as_str(), g.n, g.is_reference))
            .collect();
        let counts = |name: &str| {
            x.groups
                .iter()
                .find(|g| g.group == name)
                .map(|g| {
                    let mut counts = vec![g.positives, g.n - g.positives, g.unscored];
                    if let Some(need) = &g.need {
                        counts.push(need.missing);
                        counts.extend(need.bins.iter().map(|b| b.n));
                    }
                    counts
                })
                .unwrap_or_default()
        };
        withhold(a, hidden, &x.attribute, &groups, counts, &mut out);
    }
    out
}

/// The groups withheld in each operating point's table: a confusion count of the rule's decision
/// (or the count selected by need) between 1 and the minimum cell size less one.
fn operating_withheld(
    a: &Artifact,
    hidden: &BTreeSet<(String, String)>,
) -> Vec<BTreeSet<(String, String)>> {
    let Some(sc) = &a.scores else { return vec![] };
    sc.operating_points
        .iter()
        .map(|op| {
            let mut out = BTreeSet::new();
            for x in &op.attributes {
                let reference = sc
                    .attributes
                    .iter()
                    .find(|s| s.attribute == x.attribute)
                    .map(|s| s.reference_group.as_str())
                    .unwrap_or("");
                let groups: Vec<(&str, u64, bool)> = x
                    .groups
                    .iter()
                    .map(|g| (g.group.as_str(), g.n, g.group == reference))
                    .collect();
                let counts = |name: &str| {
                    x.groups
                        .iter()
                        .find(|g| g.group == name)
                        .map(|g| {
                            g.counts
                                .cells()
                                .into_iter()
                                .chain(g.need_selected)
                                .collect()
                        })
                        .unwrap_or_default()
                };
                withhold(a, hidden, &x.attribute, &groups, counts, &mut out);
            }
            out
        })
        .collect()
}
