//! The attacker of the small-cell rule: from every count a shared output shows, derive every
//! count it can by sums and differences, and list those from 1 to the minimum cell size less one.
//!
//! What the attacker reads:
//! - `metrics.csv`: each row's numerator and denominator are sums of a group's confusion cells
//!   (tp, fp, fn, tn), fixed by the metric (selection rate: tp+fp over n, and so on);
//! - the number of cases the report states (the grand total);
//! - `report.md`: every fraction `(a/b)` it prints must be one `metrics.csv` shows, so the report
//!   reveals nothing the CSV does not (checked by [`fractions_in_csv`]).
//!
//! The model. A group of a plain attribute is a union of the cells of the joint table of all
//! attributes; a crossed group (`race × sex`) is a union too, and a pooled group (`Pooled (a; b)`)
//! the union of its members. Attributes linked by a crossed attribute form one cluster whose atoms
//! are the crossed cells; facts about unlinked clusters meet only in their totals (rows and columns
//! of a two-way table span nothing of one margin but its total), so each cluster is solved apart,
//! with every total any cluster yields shared among all. A count is derivable when its indicator
//! lies in the span of the known facts (exact arithmetic modulo a large prime). The targets are
//! every union of groups of an attribute (of a crossed attribute: every union along one margin
//! value) times every non-empty set of the four cells.

#![allow(dead_code)] // each test file uses its own subset

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

const P: u64 = (1 << 61) - 1;

fn mulmod(a: u64, b: u64) -> u64 {
    ((a as u128 * b as u128) % P as u128) as u64
}

fn inv(a: u64) -> u64 {
    // Fermat: a^(P-2).
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

/// Row-reduced facts: pivot column → normalised row.
#[derive(Default, Clone)]
struct Span {
    pivots: BTreeMap<usize, Vec<u64>>,
}

impl Span {
    fn reduce(&self, mut v: Vec<u64>) -> Vec<u64> {
        for (&c, row) in &self.pivots {
            let f = v[c];
            if f != 0 {
                for (x, r) in v.iter_mut().zip(row) {
                    *x = (*x + P - mulmod(f, *r)) % P;
                }
            }
        }
        v
    }

    fn add(&mut self, v: Vec<u64>) {
        let v = self.reduce(v);
        let Some(c) = v.iter().position(|&x| x != 0) else {
            return;
        };
        let k = inv(v[c]);
        let row: Vec<u64> = v.iter().map(|&x| mulmod(x, k)).collect();
        for other in self.pivots.values_mut() {
            let f = other[c];
            if f != 0 {
                for (x, r) in other.iter_mut().zip(&row) {
                    *x = (*x + P - mulmod(f, *r)) % P;
                }
            }
        }
        self.pivots.insert(c, row);
    }

    fn contains(&self, v: &[u64]) -> bool {
        self.reduce(v.to_vec()).iter().all(|&x| x == 0)
    }
}

/// One attribute as the full artifact has it.
struct Attr {
    name: String,
    /// The plain attributes it crosses (empty for a plain one).
    crossed: Vec<String>,
    /// Each group with its four cells.
    groups: Vec<(String, [u64; 4])>,
}

/// A cluster of attributes linked by crossing: its atoms are tuples of the plain attributes'
/// groups.
struct Cluster {
    plain: Vec<String>,
    /// For each plain attribute its groups.
    levels: Vec<Vec<String>>,
    span: Span,
}

impl Cluster {
    fn atoms(&self) -> usize {
        self.levels.iter().map(|l| l.len()).product()
    }

    /// Atom index → the group of each plain attribute.
    fn tuple(&self, mut i: usize) -> Vec<usize> {
        let mut t = vec![0; self.levels.len()];
        for k in (0..self.levels.len()).rev() {
            t[k] = i % self.levels[k].len();
            i /= self.levels[k].len();
        }
        t
    }

    /// The indicator over atoms × 4 cells of `cells` for the atoms where `member` holds.
    fn vector(&self, member: impl Fn(&[usize]) -> bool, cells: &[usize]) -> Vec<u64> {
        let mut v = vec![0; self.atoms() * 4];
        for i in 0..self.atoms() {
            if member(&self.tuple(i)) {
                for &c in cells {
                    v[i * 4 + c] = 1;
                }
            }
        }
        v
    }
}

/// The four cells behind a metric's numerator and denominator, as in `metrics::metric_cells`.
fn metric_cells(metric: &str) -> Option<(&'static [usize], &'static [usize])> {
    Some(match metric {
        "prevalence" => (&[0, 2], &[0, 1, 2, 3]),
        "selection_rate" => (&[0, 1], &[0, 1, 2, 3]),
        "tpr" => (&[0], &[0, 2]),
        "fpr" => (&[1], &[1, 3]),
        "fnr" => (&[2], &[0, 2]),
        "tnr" => (&[3], &[1, 3]),
        "ppv" => (&[0], &[0, 1]),
        "npv" => (&[3], &[2, 3]),
        "accuracy" => (&[0, 3], &[0, 1, 2, 3]),
        _ => return None,
    })
}

/// The members a shown group label stands for: itself, or a pooled group's members.
fn members(label: &str) -> Vec<String> {
    match label
        .strip_prefix("Pooled (")
        .and_then(|s| s.strip_suffix(')'))
    {
        Some(list) => list.split("; ").map(str::to_string).collect(),
        None => vec![label.to_string()],
    }
}

fn attrs(artifact: &Value) -> Vec<Attr> {
    artifact["sufficient_statistics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| Attr {
            name: s["attribute"].as_str().unwrap().to_string(),
            crossed: s["crossed"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_str().unwrap().to_string())
                .collect(),
            groups: s["groups"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| {
                    let c = &g["counts"];
                    let k = |f: &str| c[f].as_u64().unwrap();
                    (
                        g["group"].as_str().unwrap().to_string(),
                        [k("tp"), k("fp"), k("fn"), k("tn")],
                    )
                })
                .collect(),
        })
        .collect()
}

/// Which plain-attribute groups (per plain attribute of the cluster) a shown label of attribute
/// `a` covers; `None` when the label is not one the model knows.
fn label_member(cl: &Cluster, a: &Attr, label: &str) -> Option<Vec<Option<BTreeSet<usize>>>> {
    let plain: Vec<String> = if a.crossed.is_empty() {
        vec![a.name.clone()]
    } else {
        a.crossed.clone()
    };
    let parts: Vec<&str> = if plain.len() == 1 {
        vec![label]
    } else {
        label.split(" × ").collect()
    };
    if parts.len() != plain.len() {
        return None;
    }
    let mut sel = vec![None; cl.plain.len()];
    for (p, part) in plain.iter().zip(parts) {
        let k = cl.plain.iter().position(|x| x == p)?;
        let mut set = BTreeSet::new();
        for m in members(part) {
            set.insert(cl.levels[k].iter().position(|g| *g == m)?);
        }
        sel[k] = Some(set);
    }
    Some(sel)
}

fn in_selection(sel: &[Option<BTreeSet<usize>>], t: &[usize]) -> bool {
    sel.iter()
        .zip(t)
        .all(|(s, i)| s.as_ref().is_none_or(|s| s.contains(i)))
}

/// A count a shared output gives away.
#[derive(Debug)]
pub struct Leak {
    pub attribute: String,
    pub groups: Vec<String>,
    pub cells: Vec<&'static str>,
    pub value: u64,
}

const CELL_NAMES: [&str; 4] = ["tp", "fp", "fn", "tn"];

/// The groups whose operating-point row `report_md` shows for an operating point that selects
/// exactly as the tool's decision (its row's selected count and rates then give the group's four
/// cells), as (attribute, group) rows of a CSV the attacker reads like metrics.csv.
pub fn decision_rows_of_operating_points(artifact: &Value, report_md: &str) -> String {
    let mut out = String::from("attribute,group,metric,numerator,denominator\n");
    let Some(ops) = artifact["scores"]["operating_points"].as_array() else {
        return out;
    };
    let Some(section) = report_md.find("### Operating points") else {
        return out;
    };
    let decision = |attr: &str, group: &str| -> Option<Value> {
        artifact["sufficient_statistics"]
            .as_array()?
            .iter()
            .find(|s| s["attribute"] == attr)?["groups"]
            .as_array()?
            .iter()
            .find(|g| g["group"] == group)
            .map(|g| g["counts"].clone())
    };
    // Each operating point's table follows its bold title, in the artifact's order.
    let text = &report_md[section..];
    let mut op = None::<usize>;
    for line in text.lines() {
        if line.starts_with("**") {
            op = Some(op.map_or(0, |i| i + 1));
            continue;
        }
        if line.starts_with("## ") {
            break;
        }
        let cells: Vec<&str> = line
            .split(" | ")
            .map(|c| c.trim_matches(|ch| ch == '|' || ch == ' '))
            .collect();
        let (Some(i), true) = (op, cells.len() > 3) else {
            continue;
        };
        if cells[2].parse::<u64>().is_err() {
            continue;
        }
        let (attr, group) = (cells[0], cells[1]);
        let Some(g) = ops[i]["attributes"]
            .as_array()
            .and_then(|x| x.iter().find(|x| x["attribute"] == attr))
            .and_then(|x| x["groups"].as_array())
            .and_then(|gs| gs.iter().find(|g| g["group"] == group))
        else {
            continue;
        };
        if decision(attr, group).as_ref() == Some(&g["counts"]) {
            // The row pins every cell: tp (TPR × positives), fp, fn, tn.
            for m in ["tpr", "fpr", "fnr", "tnr"] {
                out.push_str(&format!("\"{attr}\",\"{group}\",{m},1,1\n"));
            }
        }
    }
    out
}

/// Every count from 1 to `min_cell − 1` derivable from `metrics_csv` and the total number of
/// cases, with `artifact` (the full one, every count) giving the true values.
pub fn leaks(artifact: &Value, metrics_csv: &str, min_cell: u64) -> Vec<Leak> {
    let attrs = attrs(artifact);
    // Clusters: union of plain attributes linked by crossed ones.
    let mut clusters: Vec<Vec<String>> = Vec::new();
    for a in &attrs {
        let plain: Vec<String> = if a.crossed.is_empty() {
            vec![a.name.clone()]
        } else {
            a.crossed.clone()
        };
        let mut merged: Vec<String> = plain.clone();
        clusters.retain(|c| {
            if c.iter().any(|x| plain.contains(x)) {
                merged.extend(c.iter().cloned());
                false
            } else {
                true
            }
        });
        merged.sort();
        merged.dedup();
        clusters.push(merged);
    }
    let find = |name: &str| attrs.iter().find(|a| a.name == name).unwrap();
    let mut cls: Vec<Cluster> = clusters
        .into_iter()
        .map(|plain| Cluster {
            levels: plain
                .iter()
                .map(|p| find(p).groups.iter().map(|g| g.0.clone()).collect())
                .collect(),
            plain,
            span: Span::default(),
        })
        .collect();
    let cluster_of = |a: &Attr, cls: &[Cluster]| -> usize {
        let p = a.crossed.first().unwrap_or(&a.name);
        cls.iter().position(|c| c.plain.contains(p)).unwrap()
    };

    // Facts from metrics.csv.
    let mut rdr = csv::Reader::from_reader(metrics_csv.as_bytes());
    let head = rdr.headers().unwrap().clone();
    let col = |n: &str| head.iter().position(|h| h == n).unwrap();
    let (ca, cg, cm, cn) = (
        col("attribute"),
        col("group"),
        col("metric"),
        col("numerator"),
    );
    // The score rows (AUROC, average precision) show each group's cases with the outcome over its
    // cases: the prevalence's sums, when every case has a score.
    let all_scored = artifact["scores"]["unscored"].as_u64() == Some(0);
    for rec in rdr.records() {
        let rec = rec.unwrap();
        let Some(a) = attrs.iter().find(|a| a.name == rec[ca]) else {
            continue;
        };
        let metric = match &rec[cm] {
            "auroc" | "average_precision" if all_scored => "prevalence",
            m => m,
        };
        let Some((num, den)) = metric_cells(metric) else {
            continue;
        };
        if rec[cn].is_empty() {
            continue;
        }
        let k = cluster_of(a, &cls);
        let sel = label_member(&cls[k], a, &rec[cg]).unwrap_or_else(|| {
            panic!(
                "metrics.csv shows a group the attacker cannot place: {}",
                &rec[cg]
            )
        });
        for cells in [num, den] {
            let v = cls[k].vector(|t| in_selection(&sel, t), cells);
            cls[k].span.add(v);
        }
    }
    // The grand total every report states, and any total one cluster yields, known to all.
    let subsets: Vec<Vec<usize>> = (1..16u32)
        .map(|m| (0..4).filter(|i| m & (1 << i) != 0).collect())
        .collect();
    let mut totals: BTreeSet<Vec<usize>> = BTreeSet::from([vec![0, 1, 2, 3]]);
    loop {
        for c in cls.iter_mut() {
            for t in &totals {
                let v = c.vector(|_| true, t);
                c.span.add(v);
            }
        }
        let before = totals.len();
        for c in &cls {
            for s in &subsets {
                if c.span.contains(&c.vector(|_| true, s)) {
                    totals.insert(s.clone());
                }
            }
        }
        if totals.len() == before {
            break;
        }
    }

    // Targets: unions of one attribute's groups (crossed: along one margin value) × cell sets.
    let mut out = Vec::new();
    for a in &attrs {
        let k = cluster_of(a, &cls);
        let cl = &cls[k];
        let plain: Vec<String> = if a.crossed.is_empty() {
            vec![a.name.clone()]
        } else {
            a.crossed.clone()
        };
        let idx: Vec<usize> = plain
            .iter()
            .map(|p| cl.plain.iter().position(|x| x == p).unwrap())
            .collect();
        let mut selections: Vec<Vec<Option<BTreeSet<usize>>>> = Vec::new();
        for (j, &kj) in idx.iter().enumerate() {
            let n = cl.levels[kj].len();
            assert!(
                n <= 16,
                "attribute {} has too many groups to enumerate",
                plain[j]
            );
            // Fix every other plain attribute of this one at each of its values.
            let others: Vec<usize> = idx.iter().copied().filter(|&x| x != kj).collect();
            let combos: usize = others.iter().map(|&o| cl.levels[o].len()).product();
            for combo in 0..combos {
                let mut rest = combo;
                let mut base = vec![None; cl.plain.len()];
                for &o in &others {
                    let l = cl.levels[o].len();
                    base[o] = Some(BTreeSet::from([rest % l]));
                    rest /= l;
                }
                for mask in 1..(1u32 << n) {
                    let mut sel = base.clone();
                    sel[kj] = Some((0..n).filter(|i| mask & (1 << i) != 0).collect());
                    selections.push(sel);
                }
            }
        }
        for sel in selections {
            for s in &subsets {
                let v = cl.vector(|t| in_selection(&sel, t), s);
                if !cl.span.contains(&v) {
                    continue;
                }
                let value = true_value(a, cl, &idx, &sel, s);
                if value > 0 && value < min_cell {
                    out.push(Leak {
                        attribute: a.name.clone(),
                        groups: describe(cl, &sel),
                        cells: s.iter().map(|&c| CELL_NAMES[c]).collect(),
                        value,
                    });
                }
            }
        }
    }
    out
}

/// The true count of a selection from the full artifact: the attribute's own groups (a crossed
/// attribute's groups are the tuples of its plain attributes' groups).
fn true_value(
    a: &Attr,
    cl: &Cluster,
    idx: &[usize],
    sel: &[Option<BTreeSet<usize>>],
    cells: &[usize],
) -> u64 {
    let mut total = 0;
    for (label, c) in &a.groups {
        let parts: Vec<&str> = if idx.len() == 1 {
            vec![label.as_str()]
        } else {
            label.split(" × ").collect()
        };
        let inside = idx.iter().zip(&parts).all(|(&k, part)| {
            let i = cl.levels[k].iter().position(|g| g == part).unwrap();
            sel[k].as_ref().is_none_or(|s| s.contains(&i))
        });
        if inside {
            total += cells.iter().map(|&i| c[i]).sum::<u64>();
        }
    }
    total
}

fn describe(cl: &Cluster, sel: &[Option<BTreeSet<usize>>]) -> Vec<String> {
    sel.iter()
        .enumerate()
        .filter_map(|(k, s)| {
            s.as_ref().map(|s| {
                let names: Vec<&str> = s.iter().map(|&i| cl.levels[k][i].as_str()).collect();
                format!("{}: {}", cl.plain[k], names.join(" + "))
            })
        })
        .collect()
}

/// The fractions `(a/b)` of `report_md` that `metrics_csv` does not show as a numerator and
/// denominator: counts the report would reveal beyond the CSV.
pub fn fractions_in_csv(report_md: &str, metrics_csv: &str) -> Vec<String> {
    let mut rdr = csv::Reader::from_reader(metrics_csv.as_bytes());
    let head = rdr.headers().unwrap().clone();
    let cn = head.iter().position(|h| h == "numerator").unwrap();
    let cd = head.iter().position(|h| h == "denominator").unwrap();
    let shown: BTreeSet<(String, String)> = rdr
        .records()
        .map(|r| r.unwrap())
        .filter(|r| !r[cn].is_empty())
        .map(|r| (r[cn].to_string(), r[cd].to_string()))
        .collect();
    let mut missing = Vec::new();
    let mut i = 0;
    while let Some(off) = report_md[i..].find('(') {
        let start = i + off + 1;
        let end = report_md[start..].find(')').map(|e| start + e);
        i = start;
        let Some(end) = end else { break };
        let inner = &report_md[start..end];
        if let Some((x, y)) = inner.split_once('/') {
            if !x.is_empty()
                && !y.is_empty()
                && x.bytes().all(|b| b.is_ascii_digit())
                && y.bytes().all(|b| b.is_ascii_digit())
                && !shown.contains(&(x.to_string(), y.to_string()))
            {
                missing.push(inner.to_string());
            }
        }
    }
    missing
}
