//! Properties every run must keep, on seeded random protocols and data (no Python, no network):
//! the row order does not change the artifact; rows and the counts made from them give the same
//! decision metrics; every interval holds its estimate; a corrected p is never below its raw p;
//! no NaN or infinity reaches an output.

mod common;

use common::{read_json, s1557};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;
use std::path::Path;

/// A random protocol and its rows: 2–5 groups of very different sizes (some under the minimum
/// cell), rates from 0 to 1 (some groups with no events), and optionally a probability score.
fn case(seed: u64, scores: bool) -> (String, Vec<String>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let k = rng.random_range(2..=5usize);
    let labels = ["A", "B", "C", "D", "E"];
    let mut rows = Vec::new();
    for (g, label) in labels.iter().take(k).enumerate() {
        let n = if g == 0 {
            rng.random_range(200..1500)
        } else {
            rng.random_range(0..600)
        };
        let base: f64 = if rng.random_bool(0.15) {
            0.0
        } else {
            rng.random_range(0.0..1.0)
        };
        let flag: f64 = rng.random_range(0.0..1.0);
        for _ in 0..n {
            let outcome = rng.random_bool(base);
            let score: f64 =
                (if outcome { 0.3 } else { 0.0 } + rng.random_range(0.0..0.7f64)).min(1.0);
            let flagged = rng.random_bool(flag);
            let sex = if rng.random_bool(0.5) { "F" } else { "M" };
            let s = if scores {
                format!(",{score:.4}")
            } else {
                String::new()
            };
            rows.push(format!(
                "{label},{sex},{},{}{s}",
                u8::from(flagged),
                u8::from(outcome)
            ));
        }
    }
    let map: Vec<String> = labels
        .iter()
        .take(k)
        .map(|l| format!("\"{l}\" = \"{l}\""))
        .collect();
    let min_cell = [1, 5, 11][rng.random_range(0..3)];
    let correction = ["holm", "bonferroni", "benjamini_hochberg"][rng.random_range(0..3)];
    let score_parts = if scores {
        (
            "score = \"score\"\n",
            "[scores]\nmetrics = [\"auroc\", \"calibration\"]\n",
        )
    } else {
        ("", "")
    };
    let protocol = format!(
        r#"protocol_version = "1.0.0"
name = "property"
[tool]
name = "t"
vendor = "v"
version = "1"
intended_use = "property checks"
decision_type = "binary"
[data]
path = "data.csv"
[columns]
decision = "flagged"
outcome = "outcome"
{}
[[attributes]]
name = "group"
column = "g"
standard = "custom"
reference = "A"
map = {{ {} }}
[[attributes]]
name = "sex"
column = "sex"
standard = "sex"
reference = "Male"
map = {{ "F" = "Female", "M" = "Male" }}
[analysis]
metrics = ["selection_rate", "tpr", "fpr", "ppv"]
min_cell_size = {min_cell}
correction = "{correction}"
{}
[[triggers]]
id = "gap"
metric = "selection_rate"
difference = {{ min = -0.05, max = 0.05 }}
severity = "remediate"
action = "review"
"#,
        score_parts.0,
        map.join(", "),
        score_parts.1
    );
    (protocol, rows)
}

fn header(scores: bool) -> &'static str {
    if scores {
        "g,sex,flagged,outcome,score\n"
    } else {
        "g,sex,flagged,outcome\n"
    }
}

fn run(dir: &Path, data: &Path, out: &str) -> Value {
    let out = dir.join(out);
    s1557()
        .arg("run")
        .arg(dir.join("p.toml"))
        .arg("--data")
        .arg(data)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(predicates::ord::lt(2));
    for f in ["report.md", "metrics.csv"] {
        let text = std::fs::read_to_string(out.join(f)).unwrap();
        let words = text.split(|c: char| c.is_whitespace() || "|,;()[]%–".contains(c));
        for w in words {
            let w = w.trim_start_matches(['+', '-']).to_ascii_lowercase();
            assert!(
                !["nan", "inf", "infinity"].contains(&w.as_str()),
                "`{w}` in {f}"
            );
        }
    }
    read_json(&out.join("artifact.json"))
}

/// Every `{value, ci: {low, high}}` holds its value, every comparison's corrected p is at least
/// its raw p, and no number is missing where a value is stated. Returns how many were checked.
fn check(x: &Value, path: &str, checked: &mut usize) {
    match x {
        Value::Object(m) => {
            if let (Some(v), Some(ci)) = (m.get("value").and_then(Value::as_f64), m.get("ci")) {
                if let (Some(lo), Some(hi)) = (ci["low"].as_f64(), ci["high"].as_f64()) {
                    assert!(
                        lo <= v + 1e-12 && v <= hi + 1e-12,
                        "{path}: {v} not in [{lo}, {hi}]"
                    );
                    *checked += 1;
                }
            }
            if let (Some(adj), Some(raw)) = (
                m.get("p_adjusted").and_then(Value::as_f64),
                m.get("test").and_then(|t| t["p_value"].as_f64()),
            ) {
                assert!(adj >= raw, "{path}: corrected p {adj} below raw p {raw}");
                assert!((0.0..=1.0).contains(&adj), "{path}: p {adj}");
                *checked += 1;
            }
            for (k, v) in m {
                check(v, &format!("{path}/{k}"), checked);
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                check(v, &format!("{path}/{i}"), checked);
            }
        }
        _ => {}
    }
}

/// The first path where two JSON values differ, if any.
fn first_difference(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter().find_map(|k| {
                first_difference(
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                    &format!("{path}/{k}"),
                )
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (p, q))| first_difference(p, q, &format!("{path}/{i}"))),
        _ => (a != b).then(|| format!("{path}: {a} vs {b}")),
    }
}

/// The artifact without what names the data file (its name and the hash of its bytes).
fn without_file(mut a: Value) -> Value {
    a["data"]["sha256"] = Value::Null;
    a["data"]["file"] = Value::Null;
    a
}

#[test]
fn row_order_does_not_change_the_artifact_and_every_interval_holds_its_estimate() {
    for seed in 0..6u64 {
        let scores = seed % 2 == 1;
        let (protocol, mut rows) = case(seed, scores);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("p.toml"), &protocol).unwrap();
        let write = |name: &str, rows: &[String]| {
            let p = dir.path().join(name);
            std::fs::write(&p, format!("{}{}\n", header(scores), rows.join("\n"))).unwrap();
            p
        };
        let first = run(dir.path(), &write("a.csv", &rows), "a");
        rows.shuffle(&mut ChaCha8Rng::seed_from_u64(seed + 100));
        let second = run(dir.path(), &write("b.csv", &rows), "b");
        let diff = first_difference(&without_file(first.clone()), &without_file(second), "");
        assert_eq!(diff, None, "seed {seed}");
        let mut checked = 0;
        check(&first, "", &mut checked);
        assert!(checked > 20, "seed {seed}: only {checked} checked");
    }
}

#[test]
fn rows_and_the_counts_made_from_them_give_the_same_decision_metrics() {
    for seed in 10..16u64 {
        let (protocol, rows) = case(seed, false);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("p.toml"), &protocol).unwrap();
        let data = dir.path().join("data.csv");
        std::fs::write(&data, format!("{}{}\n", header(false), rows.join("\n"))).unwrap();
        let from_rows = run(dir.path(), &data, "rows");
        let counts = dir.path().join("counts.csv");
        s1557()
            .arg("counts")
            .arg(dir.path().join("p.toml"))
            .arg("--out")
            .arg(&counts)
            .assert()
            .success();
        let from_counts = run(dir.path(), &counts, "counts");
        for part in [
            "attributes",
            "comparisons",
            "sufficient_statistics",
            "summary",
            "triggers_fired",
        ] {
            let diff = first_difference(&from_rows[part], &from_counts[part], part);
            assert_eq!(diff, None, "seed {seed}");
        }
    }
}
