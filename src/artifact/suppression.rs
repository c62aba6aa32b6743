//! What shared outputs withhold, decided from an artifact alone: the report, the CSV, the
//! figures, shared.json and the trend against an earlier artifact all follow it.
//!
//! Rates are decided count by count (`disclosure`): a group's rate is shown unless showing it
//! would let a reader derive a count from 1 to the minimum less one. A group's number of cases
//! shows where one of its shown rates has all its cases as denominator. The score section and the
//! operating points, whose counts are not the confusion cells, withhold whole groups
//! (`withhold`).

use std::collections::{BTreeMap, BTreeSet};

use crate::artifact::Artifact;
use crate::disclosure::Disclosure;
use crate::protocol::Metric;

pub struct Suppression {
    /// Groups whose number of cases is withheld.
    hidden: BTreeSet<(String, String)>,
    /// The rates shown; `None` when nothing is withheld (an internal report).
    disclosure: Option<Disclosure>,
    /// Each pool's members: (attribute, member) → the pool's label.
    pooled: BTreeMap<(String, String), String>,
    /// Groups with a small cell of their own.
    small: BTreeSet<(String, String)>,
    /// Attributes with at least one withheld rate.
    touched: BTreeSet<String>,
    /// Groups withheld in the risk-score section's group tables and comparisons.
    score_hidden: BTreeSet<(String, String)>,
    /// Groups withheld in each operating point's table, in the artifact's order.
    operating_hidden: Vec<BTreeSet<(String, String)>>,
    /// Ids of the adjusted (stratified) comparisons withheld.
    stratified_hidden: BTreeSet<String>,
}

impl Suppression {
    pub fn from_artifact(a: &Artifact) -> Suppression {
        let min_cell = a.suppression.min_cell_size;
        let mut out = Suppression {
            hidden: BTreeSet::new(),
            disclosure: None,
            pooled: BTreeMap::new(),
            small: BTreeSet::new(),
            touched: BTreeSet::new(),
            score_hidden: BTreeSet::new(),
            operating_hidden: vec![],
            stratified_hidden: BTreeSet::new(),
        };
        if !a.suppression.applied {
            return out;
        }
        let d = crate::disclosure::decide(a);
        for attr in &a.sufficient_statistics {
            for g in &attr.groups {
                let key = (attr.attribute.clone(), g.group.clone());
                if g.counts.has_small_cell(min_cell) {
                    out.small.insert(key.clone());
                }
                if Metric::ALL
                    .iter()
                    .any(|&m| !d.shows(&attr.attribute, &g.group, m))
                {
                    out.touched.insert(attr.attribute.clone());
                }
                if !d.shows_n(&attr.attribute, &g.group) {
                    out.hidden.insert(key);
                }
            }
        }
        for p in &a.pools {
            if !d.shows_n(&p.attribute, &p.group) {
                out.hidden.insert((p.attribute.clone(), p.group.clone()));
            }
            for m in &p.members {
                out.pooled
                    .insert((p.attribute.clone(), m.clone()), p.group.clone());
            }
        }
        // The score section shows each group's cases and cases with the outcome (the prevalence's
        // sums); an operating point that is the tool's own decision shows its rates again.
        let mut no_prevalence = BTreeSet::new();
        let mut some_rate = BTreeSet::new();
        for attr in &a.sufficient_statistics {
            for g in &attr.groups {
                let key = (attr.attribute.clone(), g.group.clone());
                if !d.shows(&attr.attribute, &g.group, Metric::Prevalence) {
                    no_prevalence.insert(key.clone());
                }
                if Metric::ALL
                    .iter()
                    .any(|&m| !d.shows(&attr.attribute, &g.group, m))
                {
                    some_rate.insert(key);
                }
            }
        }
        out.score_hidden = score_withheld(a, &no_prevalence);
        out.operating_hidden = operating_withheld(a, &no_prevalence, &some_rate);
        out.stratified_hidden = stratified_withheld(a, &d);
        out.disclosure = Some(d);
        out
    }

    /// Whether a group's rate on `metric` is shown (a group, crossed group or pool label).
    pub fn metric(&self, attribute: &str, group: &str, metric: Metric) -> bool {
        self.disclosure
            .as_ref()
            .is_none_or(|d| d.shows(attribute, group, metric))
    }

    /// Whether an adjusted comparison is withheld: its rates are, or a stratum's cell is small
    /// (the interval of the Mantel–Haenszel odds ratio would give it away).
    pub fn stratified(&self, x: &crate::metrics::StratifiedComparison) -> bool {
        self.stratified_hidden.contains(&x.id)
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

    /// Whether a group's number of cases is withheld.
    pub fn group(&self, attribute: &str, group: &str) -> bool {
        self.hidden
            .contains(&(attribute.to_string(), group.to_string()))
    }

    /// Whether a comparison's numbers are withheld: the group's or the reference's rate is.
    pub fn comparison(&self, c: &crate::metrics::Comparison) -> bool {
        !self.metric(&c.attribute, &c.group, c.metric)
            || !self.metric(&c.attribute, &c.reference_group, c.metric)
    }

    /// Why a group's withheld numbers are withheld, in words for the reader.
    pub fn reason(&self, attribute: &str, group: &str, min_cell: u64) -> String {
        let key = (attribute.to_string(), group.to_string());
        let pool = self
            .pooled
            .get(&key)
            .map(|p| format!("; see {p}"))
            .unwrap_or_default();
        if self.small.contains(&key) {
            format!("withheld: a count under {min_cell}{pool}")
        } else {
            format!("withheld to protect another group's count{pool}")
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

/// Groups withheld together in a table of the score section: a crossed attribute's pool, or one
/// group.
struct Unit<'a> {
    groups: Vec<&'a str>,
    n: u64,
    is_reference: bool,
    /// The table's counts, summed over the groups.
    counts: Vec<u64>,
    /// With a small count in this table.
    sensitive: bool,
    /// Withheld whatever its counts: a pool, or a group whose counts the main tables withhold
    /// (the table would show them again).
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
    let crossed = a
        .sufficient_statistics
        .iter()
        .any(|s| s.attribute == attribute && !s.crossed.is_empty());
    let mut out: Vec<Unit> = Vec::new();
    // A crossed attribute's pools are withheld as units, so its other groups need not be.
    for p in a
        .pools
        .iter()
        .filter(|p| crossed && p.attribute == attribute)
    {
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
            sensitive: small(&c),
            counts: c,
            pool: hidden.contains(&(attribute.to_string(), g.to_string())),
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

/// Whether an operating point selects exactly as the tool's decision does, in every group.
fn is_the_decision(a: &Artifact, op: &crate::metrics::scores::OperatingPoint) -> bool {
    op.attributes.iter().all(|x| {
        x.groups.iter().all(|g| {
            a.sufficient_statistics
                .iter()
                .find(|s| s.attribute == x.attribute)
                .and_then(|s| s.groups.iter().find(|y| y.group == g.group))
                .is_some_and(|y| y.counts == g.counts)
        })
    })
}

/// The adjusted comparisons withheld: the group's or the reference's rate on the metric is, or
/// one of their strata's counts (events or non-events) is from 1 to the minimum less one.
fn stratified_withheld(a: &Artifact, d: &crate::disclosure::Disclosure) -> BTreeSet<String> {
    let min = a.suppression.min_cell_size;
    let small = |k: u64| k > 0 && k < min;
    let mut out = BTreeSet::new();
    for x in &a.stratified {
        let rates = !d.shows(&x.attribute, &x.group, x.metric)
            || !d.shows(&x.attribute, &x.reference_group, x.metric);
        let cells = a
            .stratified_statistics
            .iter()
            .filter(|s| s.attribute == x.attribute && s.by == x.by)
            .flat_map(|s| &s.cells)
            .filter(|c| c.group == x.group || c.group == x.reference_group)
            .any(|c| {
                let (num, den) = crate::metrics::fraction(x.metric, &c.counts);
                small(num) || small(den - num)
            });
        if rates || cells {
            out.insert(x.id.clone());
        }
    }
    out
}

/// The groups withheld in each operating point's table: a confusion count of the rule's decision
/// (or the count selected by need) between 1 and the minimum cell size less one.
fn operating_withheld(
    a: &Artifact,
    no_prevalence: &BTreeSet<(String, String)>,
    some_rate: &BTreeSet<(String, String)>,
) -> Vec<BTreeSet<(String, String)>> {
    let Some(sc) = &a.scores else { return vec![] };
    let mut done: Vec<BTreeSet<(String, String)>> = Vec::new();
    for op in &sc.operating_points {
        let mut out = BTreeSet::new();
        let hidden = if is_the_decision(a, op) {
            some_rate
        } else {
            no_prevalence
        };
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
                let Some(g) = x.groups.iter().find(|g| g.group == name) else {
                    return vec![];
                };
                let mut v: Vec<u64> = g
                    .counts
                    .cells()
                    .into_iter()
                    .chain(g.need_selected)
                    .collect();
                // Two cut-offs shown for the same group give the patients between them.
                let key = (x.attribute.clone(), name.to_string());
                for (i, withheld) in done.iter().enumerate() {
                    if withheld.contains(&key) {
                        continue;
                    }
                    if let Some(h) = earlier_cells(sc, i, &x.attribute, name) {
                        v.extend(abs_diff(&h, &g.counts.cells()));
                    }
                }
                if let Some(d) = decision_cells(a, &x.attribute, name) {
                    v.extend(abs_diff(&d, &g.counts.cells()));
                }
                v
            };
            withhold(a, hidden, &x.attribute, &groups, counts, &mut out);
        }
        done.push(out.clone());
    }
    done
}

fn abs_diff(x: &[u64; 4], y: &[u64; 4]) -> Vec<u64> {
    x.iter().zip(y).map(|(a, b)| a.abs_diff(*b)).collect()
}

/// A group's cells at an earlier operating point.
fn earlier_cells(
    sc: &crate::artifact::ScoreSection,
    i: usize,
    attribute: &str,
    group: &str,
) -> Option<[u64; 4]> {
    sc.operating_points[i]
        .attributes
        .iter()
        .find(|x| x.attribute == attribute)?
        .groups
        .iter()
        .find(|g| g.group == group)
        .map(|g| g.counts.cells())
}

/// A group's cells under the tool's own decision.
fn decision_cells(a: &Artifact, attribute: &str, group: &str) -> Option<[u64; 4]> {
    a.sufficient_statistics
        .iter()
        .find(|s| s.attribute == attribute)?
        .groups
        .iter()
        .find(|g| g.group == group)
        .map(|g| g.counts.cells())
}
