//! Which rates shared outputs may show, decided count by count: a group with one small cell (a
//! count from 1 to the minimum less one: three false positives) keeps every rate that does not
//! give that cell away, so the finding that matters (its missed cases) keeps its numbers.
//!
//! Every rate shows a numerator and a denominator, each a sum of the group's four cells (tp, fp,
//! fn, tn), and a group (plain, crossed, or pooled) is a union of the cells of the joint table of
//! the attributes. What a reader can derive from what is shown is the linear span of those sums,
//! with the totals of every cell (the report states the cases and the tool's overall rates). A
//! rate is shown when adding its two sums to the span leaves every sensitive count outside it; a
//! sensitive count is any union of one attribute's groups (a crossed attribute's: along one margin
//! value) on any set of cells whose value is from 1 to the minimum less one. Rates are offered in
//! order of importance (the reference groups, the findings to remediate, to monitor, the compared
//! metrics, the pools, the rest), so what is withheld is the least needed. Arithmetic is exact
//! (modulo a large prime). Attributes meet only in their totals (the rows and columns of a
//! two-way table span nothing of one margin but its total), so each cluster of attributes linked by
//! a crossed attribute is decided on its own.

use std::collections::BTreeSet;

use crate::artifact::Artifact;
use crate::metrics::metric_cells;
use crate::protocol::Metric;
use crate::triggers::Status;

const P: u64 = (1 << 61) - 1;

fn mulmod(a: u64, b: u64) -> u64 {
    ((a as u128 * b as u128) % P as u128) as u64
}

fn inverse(a: u64) -> u64 {
    let (mut r, mut b, mut e) = (1u64, a, P - 2);
    while e > 0 {
        if e & 1 == 1 {
            r = mulmod(r, b);
        }
        b = mulmod(b, b);
        e >>= 1;
    }
    r
}

/// `v − f·row` in place.
fn eliminate(v: &mut [u64], f: u64, row: &[u64]) {
    for (x, r) in v.iter_mut().zip(row) {
        if *r != 0 {
            *x = (*x + P - mulmod(f, *r)) % P;
        }
    }
}

/// Rows in echelon form, each normalised at its pivot; a vector reduced by them in order has
/// zeros in every pivot column.
#[derive(Default, Clone)]
struct Echelon {
    rows: Vec<(usize, Vec<u64>)>,
}

impl Echelon {
    fn reduce(&self, v: &mut [u64]) {
        for (c, row) in &self.rows {
            let f = v[*c];
            if f != 0 {
                eliminate(v, f, row);
            }
        }
    }

    /// The new rows `vs` add to the span (each reduced, normalised), without adding them.
    fn new_rows(&self, vs: &[Vec<u64>]) -> Vec<(usize, Vec<u64>)> {
        let mut added: Vec<(usize, Vec<u64>)> = Vec::new();
        for v in vs {
            let mut v = v.clone();
            self.reduce(&mut v);
            for (c, row) in &added {
                let f = v[*c];
                if f != 0 {
                    eliminate(&mut v, f, row);
                }
            }
            if let Some(c) = v.iter().position(|&x| x != 0) {
                let k = inverse(v[c]);
                added.push((c, v.iter().map(|&x| mulmod(x, k)).collect()));
            }
        }
        added
    }
}

/// Attributes linked by crossing, with the joint table of their groups as atoms.
struct Cluster {
    plain: Vec<String>,
    levels: Vec<Vec<String>>,
    span: Echelon,
    /// Sensitive counts, each reduced by the span so far: one that reaches zero is derivable.
    targets: Vec<Vec<u64>>,
}

/// Which groups of each plain attribute of a cluster a selection covers (`None`: all).
type Selection = Vec<Option<BTreeSet<usize>>>;

impl Cluster {
    fn atoms(&self) -> usize {
        self.levels.iter().map(Vec::len).product()
    }

    fn tuple(&self, mut i: usize) -> Vec<usize> {
        let mut t = vec![0; self.levels.len()];
        for k in (0..self.levels.len()).rev() {
            t[k] = i % self.levels[k].len();
            i /= self.levels[k].len();
        }
        t
    }

    fn vector(&self, sel: &Selection, cells: &[usize]) -> Vec<u64> {
        let mut v = vec![0; self.atoms() * 4];
        for i in 0..self.atoms() {
            let t = self.tuple(i);
            if sel
                .iter()
                .zip(&t)
                .all(|(s, x)| s.as_ref().is_none_or(|s| s.contains(x)))
            {
                for &c in cells {
                    v[i * 4 + c] = 1;
                }
            }
        }
        v
    }

    /// Add `vs` whatever they expose (counts a reader knows anyway); targets they expose are
    /// dropped, as nothing shown later can hide them again.
    fn force_add(&mut self, vs: &[Vec<u64>]) {
        let rows = self.span.new_rows(vs);
        for t in &mut self.targets {
            for (c, row) in &rows {
                let f = t[*c];
                if f != 0 {
                    eliminate(t, f, row);
                }
            }
        }
        self.targets.retain(|t| t.iter().any(|&x| x != 0));
        self.span.rows.extend(rows);
    }

    /// Add `vs` when no target becomes derivable; whether they were added.
    fn try_add(&mut self, vs: &[Vec<u64>]) -> bool {
        let rows = self.span.new_rows(vs);
        if rows.is_empty() {
            return true;
        }
        let exposes = self.targets.iter().any(|t| {
            let mut t = t.clone();
            for (c, row) in &rows {
                let f = t[*c];
                if f != 0 {
                    eliminate(&mut t, f, row);
                }
            }
            t.iter().all(|&x| x == 0)
        });
        if exposes {
            return false;
        }
        for t in &mut self.targets {
            for (c, row) in &rows {
                let f = t[*c];
                if f != 0 {
                    eliminate(t, f, row);
                }
            }
        }
        self.span.rows.extend(rows);
        true
    }
}

/// The rates shared outputs show: (attribute, group, metric), the group a plain, crossed or
/// pooled group's label.
#[derive(Debug, Default, Clone)]
pub struct Disclosure {
    shown: BTreeSet<(String, String, Metric)>,
}

impl Disclosure {
    pub fn shows(&self, attribute: &str, group: &str, metric: Metric) -> bool {
        self.shown
            .contains(&(attribute.to_string(), group.to_string(), metric))
    }

    /// Whether a group's number of cases is shown (its selection rate's denominator).
    pub fn shows_n(&self, attribute: &str, group: &str) -> bool {
        self.shows(attribute, group, Metric::SelectionRate)
            || self.shows(attribute, group, Metric::Prevalence)
            || self.shows(attribute, group, Metric::Accuracy)
    }
}

/// One attribute's groups with their cells, and the plain attributes it crosses.
struct Attr<'a> {
    name: &'a str,
    plain: Vec<&'a str>,
    groups: Vec<(&'a str, [u64; 4])>,
}

fn attrs(a: &Artifact) -> Vec<Attr<'_>> {
    a.sufficient_statistics
        .iter()
        .map(|s| Attr {
            name: &s.attribute,
            plain: if s.crossed.is_empty() {
                vec![s.attribute.as_str()]
            } else {
                s.crossed.iter().map(String::as_str).collect()
            },
            groups: s
                .groups
                .iter()
                .map(|g| (g.group.as_str(), g.counts.cells()))
                .collect(),
        })
        .collect()
}

fn clusters(attrs: &[Attr]) -> Vec<Cluster> {
    let mut sets: Vec<Vec<&str>> = Vec::new();
    for a in attrs {
        let mut merged = a.plain.clone();
        sets.retain(|c| {
            let linked = c.iter().any(|x| a.plain.contains(x));
            if linked {
                merged.extend(c.iter().copied());
            }
            !linked
        });
        merged.sort();
        merged.dedup();
        sets.push(merged);
    }
    sets.into_iter()
        .map(|plain| Cluster {
            levels: plain
                .iter()
                .map(|p| {
                    attrs
                        .iter()
                        .find(|a| a.name == *p)
                        .map(|a| a.groups.iter().map(|g| g.0.to_string()).collect())
                        .unwrap_or_default()
                })
                .collect(),
            plain: plain.into_iter().map(str::to_string).collect(),
            span: Echelon::default(),
            targets: Vec::new(),
        })
        .collect()
}

/// The selection a group label of attribute `a` stands for (a pool: its members).
fn selection(cl: &Cluster, a: &Attr, label: &str, members: Option<&[String]>) -> Option<Selection> {
    // A cluster with an attribute of no groups has no atoms: nothing in it can be checked.
    if cl.atoms() == 0 {
        return None;
    }
    let mut sel: Selection = vec![None; cl.plain.len()];
    let labels: Vec<String> = match members {
        Some(m) => m.to_vec(),
        None => vec![label.to_string()],
    };
    let mut tuples = BTreeSet::new();
    for l in labels {
        let parts: Vec<&str> = if a.plain.len() == 1 {
            vec![l.as_str()]
        } else {
            l.split(" × ").collect()
        };
        if parts.len() != a.plain.len() {
            return None;
        }
        let mut tuple = Vec::new();
        for (p, part) in a.plain.iter().zip(parts) {
            let k = cl.plain.iter().position(|x| x == p)?;
            let i = cl.levels[k].iter().position(|g| g == part)?;
            sel[k].get_or_insert_with(BTreeSet::new).insert(i);
            tuple.push(i);
        }
        tuples.insert(tuple);
    }
    // A pool of crossed groups is a union of tuples, not always a product: only a pool whose
    // members fill the product of their values (as pools along one attribute, the others fixed,
    // do) is the selection; any other cannot be represented here and is not shown.
    let product: usize = sel.iter().flatten().map(BTreeSet::len).product();
    (product == tuples.len()).then_some(sel)
}

const CELL_SETS: usize = 15;

fn cell_set(m: usize) -> Vec<usize> {
    (0..4).filter(|i| m & (1 << i) != 0).collect()
}

/// The sensitive counts of one attribute: unions of its groups (a crossed one's along one margin
/// value) on sets of cells, valued from 1 to `min − 1`.
fn targets(cl: &Cluster, a: &Attr, min: u64) -> Vec<Vec<u64>> {
    let idx: Vec<usize> = a
        .plain
        .iter()
        .filter_map(|p| cl.plain.iter().position(|x| x == p))
        .collect();
    let mut out = Vec::new();
    for &kj in &idx {
        let n = cl.levels[kj].len();
        let others: Vec<usize> = idx.iter().copied().filter(|&x| x != kj).collect();
        let combos: usize = others.iter().map(|&o| cl.levels[o].len()).product();
        for combo in 0..combos {
            let mut rest = combo;
            let mut base: Selection = vec![None; cl.plain.len()];
            for &o in &others {
                let l = cl.levels[o].len();
                base[o] = Some(BTreeSet::from([rest % l]));
                rest /= l;
            }
            for set in subsets(n) {
                let mut sel = base.clone();
                sel[kj] = Some(set);
                for m in 1..=CELL_SETS {
                    let cells = cell_set(m);
                    let v = value(cl, a, &idx, &sel, &cells);
                    if v > 0 && v < min {
                        out.push(cl.vector(&sel, &cells));
                    }
                }
            }
        }
    }
    out
}

/// The unions of `n` groups a reader could form: every one up to 12 groups; beyond, every set of
/// one or two groups and its complement (2^n sets would not finish).
fn subsets(n: usize) -> Vec<BTreeSet<usize>> {
    if n <= 12 {
        return (1..(1u32 << n))
            .map(|m| (0..n).filter(|i| m & (1 << i) != 0).collect())
            .collect();
    }
    let mut out: Vec<BTreeSet<usize>> = Vec::new();
    for i in 0..n {
        for j in i..n {
            let s: BTreeSet<usize> = [i, j].into_iter().collect();
            let c: BTreeSet<usize> = (0..n).filter(|k| !s.contains(k)).collect();
            out.push(s);
            if !c.is_empty() {
                out.push(c);
            }
        }
    }
    out.push((0..n).collect());
    out
}

/// The true count of a selection, from the attribute's own groups.
fn value(cl: &Cluster, a: &Attr, idx: &[usize], sel: &Selection, cells: &[usize]) -> u64 {
    let mut total = 0;
    for (label, c) in &a.groups {
        let parts: Vec<&str> = if idx.len() == 1 {
            vec![label]
        } else {
            label.split(" × ").collect()
        };
        let inside = idx.iter().zip(&parts).all(|(&k, part)| {
            let i = cl.levels[k].iter().position(|g| g == part);
            match (&sel[k], i) {
                (None, _) => true,
                (Some(s), Some(i)) => s.contains(&i),
                (Some(_), None) => false,
            }
        });
        if inside {
            total += cells.iter().map(|&i| c[i]).sum::<u64>();
        }
    }
    total
}

/// A rate offered for showing: attribute, group label, metric, and a pool's members.
struct Offer<'a> {
    attribute: &'a str,
    group: String,
    metric: Metric,
    members: Option<&'a [String]>,
}

/// The rates in order of importance.
fn offers(a: &Artifact) -> Vec<Offer<'_>> {
    let status = |attr: &str, group: &str, m: Metric| {
        a.comparisons
            .iter()
            .find(|f| {
                f.comparison.attribute == attr
                    && f.comparison.group == group
                    && f.comparison.metric == m
            })
            .map(|f| f.assessment.status)
    };
    let compared: Vec<Metric> =
        a.comparisons
            .iter()
            .map(|f| f.comparison.metric)
            .fold(Vec::new(), |mut v, m| {
                if !v.contains(&m) {
                    v.push(m);
                }
                v
            });
    // The prevalence ranks with the compared metrics: the score section and the base rates rest
    // on it.
    let key = |m: Metric| compared.contains(&m) || m == Metric::Prevalence;
    let rank = |attr: &str, group: &str, m: Metric, reference: bool| -> u8 {
        if reference && key(m) {
            return 0;
        }
        match status(attr, group, m) {
            Some(Status::Remediate) => 1,
            Some(Status::Monitor) => 2,
            Some(_) => 3,
            None if key(m) => 3,
            None if reference => 4,
            None => 6,
        }
    };
    let mut out: Vec<(u8, Offer)> = Vec::new();
    for x in &a.attributes {
        for g in &x.groups {
            for m in Metric::ALL {
                out.push((
                    rank(&x.attribute, &g.group, m, g.is_reference),
                    Offer {
                        attribute: &x.attribute,
                        group: g.group.clone(),
                        metric: m,
                        members: None,
                    },
                ));
            }
        }
    }
    for p in &a.pools {
        for m in Metric::ALL {
            out.push((
                if key(m) { 5 } else { 7 },
                Offer {
                    attribute: &p.attribute,
                    group: p.group.clone(),
                    metric: m,
                    members: Some(&p.members),
                },
            ));
        }
    }
    // Stable: within a rank, the artifact's order.
    out.sort_by_key(|(r, _)| *r);
    out.into_iter().map(|(_, o)| o).collect()
}

/// Decide which rates shared outputs show.
pub fn decide(a: &Artifact) -> Disclosure {
    let min = a.suppression.min_cell_size;
    let attrs = attrs(a);
    let mut cls = clusters(&attrs);
    for cl in cls.iter_mut() {
        let mut t = Vec::new();
        for x in attrs
            .iter()
            .filter(|x| x.plain.iter().all(|p| cl.plain.iter().any(|q| q == p)))
        {
            t.extend(targets(cl, x, min));
        }
        cl.targets = t;
        // Every cell's total is known: the report states the cases and the overall rates.
        let all: Selection = vec![None; cl.plain.len()];
        let totals: Vec<Vec<u64>> = (0..4).map(|c| cl.vector(&all, &[c])).collect();
        cl.force_add(&totals);
    }
    let mut shown = BTreeSet::new();
    for o in offers(a) {
        let Some(x) = attrs.iter().find(|x| x.name == o.attribute) else {
            continue;
        };
        let Some(k) = cls
            .iter()
            .position(|c| c.plain.iter().any(|p| p == x.plain[0]))
        else {
            continue;
        };
        let Some(sel) = selection(&cls[k], x, &o.group, o.members) else {
            continue;
        };
        let (num, den) = metric_cells(o.metric);
        let vs = [cls[k].vector(&sel, num), cls[k].vector(&sel, den)];
        if cls[k].try_add(&vs) {
            shown.insert((o.attribute.to_string(), o.group, o.metric));
        }
    }
    Disclosure { shown }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crossed<'a>(groups: &[&'a str]) -> Attr<'a> {
        Attr {
            name: "race × sex",
            plain: vec!["race", "sex"],
            groups: groups.iter().map(|g| (*g, [1, 1, 1, 1])).collect(),
        }
    }

    fn plain<'a>(name: &'a str, groups: &[&'a str]) -> Attr<'a> {
        Attr {
            name,
            plain: vec![name],
            groups: groups.iter().map(|g| (*g, [1, 1, 1, 1])).collect(),
        }
    }

    #[test]
    fn a_pool_of_crossed_groups_that_is_not_a_product_is_not_a_selection() {
        let attrs = [plain("race", &["A", "B"]), plain("sex", &["F", "M"])];
        let cl = &clusters(&[
            attrs[0].clone_ref(),
            attrs[1].clone_ref(),
            crossed(&["A × F", "A × M", "B × F", "B × M"]),
        ])[0];
        let x = crossed(&["A × F", "A × M", "B × F", "B × M"]);
        // Along one attribute, the other fixed: a product of {A, B} × {F}.
        let along = ["A × F".to_string(), "B × F".to_string()];
        let sel = selection(cl, &x, "Pooled", Some(&along)).expect("a product");
        let k_sex = cl.plain.iter().position(|p| p == "sex").unwrap();
        assert_eq!(sel[k_sex].as_ref().map(BTreeSet::len), Some(1));
        // Two members differing on both attributes: their product would hold A × M and B × F too.
        let diagonal = ["A × F".to_string(), "B × M".to_string()];
        assert!(selection(cl, &x, "Pooled", Some(&diagonal)).is_none());
    }

    #[test]
    fn a_cluster_with_an_attribute_of_no_groups_selects_nothing() {
        let x = crossed(&["A × F"]);
        // `sex` has no plain attribute in the artifact: its level list is empty.
        let cl = &clusters(&[plain("race", &["A"]), x.clone_ref()])[0];
        assert_eq!(cl.atoms(), 0);
        assert!(selection(cl, &x, "A × F", None).is_none());
    }

    impl Attr<'_> {
        fn clone_ref(&self) -> Self {
            Attr {
                name: self.name,
                plain: self.plain.clone(),
                groups: self.groups.clone(),
            }
        }
    }
}
