//! Which groups shared outputs withhold, decided from an artifact alone: the report and the
//! trend against an earlier artifact both follow it.

use std::collections::BTreeSet;

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
        if !a.suppression.applied {
            return Suppression {
                hidden,
                touched,
                score_hidden: BTreeSet::new(),
                operating_hidden: vec![],
            };
        }
        for attr in &a.sufficient_statistics {
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

    /// Whether an attribute has any withheld group (its omnibus details are then withheld too).
    pub fn attribute(&self, attribute: &str) -> bool {
        self.touched.contains(attribute)
    }
}

/// A group withheld where `flagged` holds for it (or it is withheld in the rest of the report);
/// when that leaves one group of an attribute withheld, the smallest other is withheld too; a
/// crossed attribute with a withheld group is withheld whole.
fn withhold(
    a: &Artifact,
    hidden: &BTreeSet<(String, String)>,
    attribute: &str,
    groups: &[(&str, u64, bool)],
    flagged: impl Fn(&str) -> bool,
    out: &mut BTreeSet<(String, String)>,
) {
    let crossed = a
        .sufficient_statistics
        .iter()
        .any(|s| s.attribute == attribute && !s.crossed.is_empty());
    let mut withheld: Vec<&str> = groups
        .iter()
        .filter(|(g, ..)| hidden.contains(&(attribute.to_string(), g.to_string())) || flagged(g))
        .map(|(g, ..)| *g)
        .collect();
    if crossed && !withheld.is_empty() {
        withheld = groups.iter().map(|(g, ..)| *g).collect();
    } else if withheld.len() == 1 {
        let extra = groups
            .iter()
            .filter(|(g, n, _)| !withheld.contains(g) && *n > 0)
            .min_by_key(|(_, n, is_reference)| (*is_reference, *n));
        if let Some((g, ..)) = extra {
            withheld.push(g);
        }
    }
    for g in withheld {
        out.insert((attribute.to_string(), g.to_string()));
    }
}

/// The groups withheld in the risk-score section's group tables and comparisons: withheld in the
/// rest of the report, or with a score-section count between 1 and the minimum cell size less
/// one (cases with and without the outcome, unscored cases, cases without need, cases per
/// equal-score bin).
fn score_withheld(a: &Artifact, hidden: &BTreeSet<(String, String)>) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    let Some(sc) = &a.scores else { return out };
    let min = a.suppression.min_cell_size;
    let small = |k: u64| k > 0 && k < min;
    for x in &sc.attributes {
        let groups: Vec<(&str, u64, bool)> = x
            .groups
            .iter()
            .map(|g| (g.group.as_str(), g.n, g.is_reference))
            .collect();
        let flagged = |name: &str| {
            x.groups.iter().filter(|g| g.group == name).any(|g| {
                let mut counts = vec![g.positives, g.n - g.positives, g.unscored];
                if let Some(need) = &g.need {
                    counts.push(need.missing);
                    counts.extend(need.bins.iter().map(|b| b.n));
                }
                counts.into_iter().any(small)
            })
        };
        withhold(a, hidden, &x.attribute, &groups, flagged, &mut out);
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
    let min = a.suppression.min_cell_size;
    let small = |k: u64| k > 0 && k < min;
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
                let flagged = |name: &str| {
                    x.groups.iter().filter(|g| g.group == name).any(|g| {
                        g.counts
                            .cells()
                            .into_iter()
                            .chain(g.need_selected)
                            .any(small)
                    })
                };
                withhold(a, hidden, &x.attribute, &groups, flagged, &mut out);
            }
            out
        })
        .collect()
}
