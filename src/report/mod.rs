//! Human and spreadsheet views of an artifact: `report.md` and `metrics.csv`. They are rendered
//! from the artifact alone, so a vendor's submitted artifact renders the same way as a local
//! run. Small cells are suppressed here (the artifact keeps every count).

mod csv_out;
mod markdown;

pub use csv_out::metrics_csv;
pub use markdown::markdown;

use std::collections::BTreeSet;

use crate::artifact::Artifact;
use crate::suffstats::Confusion;

/// Whether a count must be withheld in shared outputs: between 1 and `min_cell − 1`.
pub fn small(x: u64, min_cell: u64) -> bool {
    x > 0 && x < min_cell
}

/// Whether a group must be withheld because of its own counts: any of its four confusion cells
/// is small. Every rate of a group is a ratio of sums of these cells, so withholding only the
/// metrics built on a small cell would let the others give it away (FPR 40/495 and selection
/// 43/500 reveal 3 true positives).
pub fn group_small(c: &Confusion, min_cell: u64) -> bool {
    c.has_small_cell(min_cell)
}

/// The groups withheld in shared outputs, decided once from the artifact's sufficient
/// statistics. A group is withheld when one of its cells is small; when that leaves exactly one
/// group of an attribute withheld, the smallest other group is withheld too (complementary
/// suppression), so the withheld group's size cannot be had by subtracting the others from the
/// total.
pub struct Suppression {
    pub min_cell: u64,
    hidden: BTreeSet<(String, String)>,
    /// Attributes with at least one withheld group.
    touched: BTreeSet<String>,
}

impl Suppression {
    pub fn from_artifact(a: &Artifact) -> Suppression {
        let min_cell = a.suppression.min_cell_size;
        let mut hidden = BTreeSet::new();
        let mut touched = BTreeSet::new();
        if !a.suppression.applied {
            return Suppression {
                min_cell,
                hidden,
                touched,
            };
        }
        for attr in &a.sufficient_statistics {
            // A crossed group is part of its marginal groups, which are shown: one withheld
            // crossed cell could be had by subtraction (Black × Male = Black − Black × Female).
            // So a crossed attribute with any small group is withheld whole.
            if !attr.crossed.is_empty()
                && attr.groups.iter().any(|g| group_small(&g.counts, min_cell))
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
                .filter(|g| group_small(&g.counts, min_cell))
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
        Suppression {
            min_cell,
            hidden,
            touched,
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_cell_withholds_the_whole_group() {
        let c = |tp, fp, fn_, tn| Confusion { tp, fp, fn_, tn };
        assert!(!group_small(&c(0, 0, 0, 0), 11));
        assert!(!group_small(&c(0, 40, 0, 455), 11));
        assert!(group_small(&c(3, 40, 2, 455), 11));
        assert!(!group_small(&c(11, 12, 13, 14), 11));
    }
}
