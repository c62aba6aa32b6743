//! The counts submission (format `counts/1`): rows and counts give the same artifact apart from
//! the source block (exactly for everything the counts decide and for a discrete score; within
//! the stated bounds for a continuous one), and a malformed counts file is refused clearly.

mod common;
use common::{read_json, root, s1557};

use std::path::Path;

use predicates::prelude::*;
use serde_json::Value;

/// `s1557 counts` then `s1557 run` on the counts and on the rows; both artifacts.
fn rows_and_counts(protocol: &Path, data: Option<&Path>, counts_name: &str) -> (Value, Value) {
    let dir = tempfile::tempdir().unwrap();
    let counts = dir.path().join(counts_name);
    let mut c = s1557();
    c.arg("counts").arg(protocol).arg("--out").arg(&counts);
    if let Some(d) = data {
        c.arg("--data").arg(d);
    }
    c.assert()
        .success()
        .stdout(predicate::str::contains("of format `counts/1`"));
    let run = |data: Option<&Path>, out: &Path| {
        let mut c = s1557();
        c.arg("run").arg(protocol).arg("--out").arg(out);
        if let Some(d) = data {
            c.arg("--data").arg(d);
        }
        c.assert().code(predicate::in_iter([0, 1]));
        read_json(&out.join("artifact.json"))
    };
    let from_rows = run(data, &dir.path().join("rows"));
    let from_counts = run(Some(&counts), &dir.path().join("counts"));
    (from_rows, from_counts)
}

/// Both artifacts without the blocks that differ by design: the data source and the statement
/// of the score table's resolution.
fn without_source(mut a: Value) -> Value {
    a.as_object_mut().unwrap().remove("data");
    if let Some(s) = a.get_mut("scores").and_then(Value::as_object_mut) {
        s.remove("source");
    }
    a
}

#[test]
fn the_example_as_counts_decides_every_count_identically() {
    let (rows, counts) = rows_and_counts(&root().join("protocols/example.toml"), None, "c.parquet");
    assert_eq!(rows["data"]["input"], "rows");
    assert_eq!(counts["data"]["input"], "counts");
    assert_eq!(counts["data"]["format"], "parquet");
    assert_eq!(counts["data"]["cases"], rows["data"]["cases"]);
    for part in [
        "attributes",
        "comparisons",
        "stratified",
        "sufficient_statistics",
        "stratified_statistics",
        "summary",
        "triggers_fired",
    ] {
        assert_eq!(rows[part], counts[part], "`{part}` differs");
    }
    // The operating points at thresholds on the bins' edges (0.3, 0.5) are exact.
    let rule = |a: &Value, r: &str| -> Vec<Value> {
        a["scores"]["operating_points"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["rule"] == r)
            .cloned()
            .collect()
    };
    assert_eq!(rule(&rows, "threshold"), rule(&counts, "threshold"));
    let source = &counts["scores"]["source"];
    let exact: Vec<&str> = source["exact"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(exact.contains(&"oe_ratio") && exact.contains(&"threshold 0.3"));
    assert!(source["table"]["rows_with_spread"].as_u64().unwrap() > 0);
    // Each group's AUROC from the table is within the group's stated bound, and O/E agrees to
    // rounding (the sums travel).
    let bounds = source["table"]["auroc_bounds"].as_array().unwrap();
    let mut checked = 0;
    for (ra, ca) in rows["scores"]["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .zip(counts["scores"]["attributes"].as_array().unwrap())
    {
        for (rg, cg) in ra["groups"]
            .as_array()
            .unwrap()
            .iter()
            .zip(ca["groups"].as_array().unwrap())
        {
            let bound = bounds
                .iter()
                .find(|b| b["attribute"] == ra["attribute"] && b["group"] == rg["group"])
                .map(|b| b["bound"].as_f64().unwrap())
                .unwrap();
            if let (Some(x), Some(y)) =
                (rg["auroc"]["value"].as_f64(), cg["auroc"]["value"].as_f64())
            {
                assert!(
                    (x - y).abs() <= bound,
                    "{} {}: AUROC {x} vs {y}, bound {bound}",
                    ra["attribute"],
                    rg["group"]
                );
                assert!(bound < 0.01, "bound {bound} is loose");
                checked += 1;
            }
            if let (Some(x), Some(y)) = (
                rg["calibration"]["oe"]["value"].as_f64(),
                cg["calibration"]["oe"]["value"].as_f64(),
            ) {
                assert!((x - y).abs() <= 1e-12 * x.abs(), "O/E {x} vs {y}");
            }
        }
    }
    assert!(checked > 20, "only {checked} AUROCs compared");
}

#[test]
fn a_discrete_score_gives_the_same_artifact_from_counts() {
    // A decile score with bin width 1: every bin holds one value, so every score analysis is
    // exact and the whole artifact matches the rows' apart from the source block.
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("race,flag,event,decile\n");
    for i in 0..2000u32 {
        let race = ["W", "B", "A", ""][(i % 4) as usize];
        let decile = 1 + (i * 7 + i / 13) % 10;
        let event = u32::from((i * 31 + decile * 17) % 23 < decile + 3);
        let flag = u32::from(decile >= 6);
        csv += &format!("{race},{flag},{event},{decile}\n");
    }
    std::fs::write(dir.path().join("data.csv"), csv).unwrap();
    let protocol = dir.path().join("p.toml");
    std::fs::write(
        &protocol,
        r#"protocol_version = "1.0.0"
name = "deciles"
[tool]
name = "Decile tool"
vendor = "Test"
version = "1"
intended_use = "test"
decision_type = "binary"
[data]
path = "data.csv"
[columns]
decision = "flag"
score = "decile"
outcome = "event"
[[attributes]]
name = "race"
column = "race"
standard = "omb_race_1997"
reference = "White"
map = { "W" = "White", "B" = "Black or African American", "A" = "Asian" }
[scores]
scale = "arbitrary"
metrics = ["auroc", "average_precision"]
bin_width = 1
thresholds = [6, 8]
top_percent = [20]
[[triggers]]
id = "gap"
metric = "auroc"
difference = { min = -0.05, max = 0.05 }
severity = "monitor"
action = "check"
"#,
    )
    .unwrap();
    let (rows, counts) = rows_and_counts(&protocol, None, "c.csv");
    let source = &counts["scores"]["source"];
    assert_eq!(source["table"]["rows_with_spread"], 0);
    assert!(source["binned"].as_array().unwrap().is_empty());
    assert!(source["table"]["auroc_bounds"]
        .as_array()
        .unwrap()
        .iter()
        .all(|b| b["bound"] == 0.0));
    assert_eq!(without_source(rows), without_source(counts));
}

/// A counts file for the minimal protocol below, and the protocol. Each data row of `counts`
/// starts with its format, after which the protocol's shape is put in (the header names it).
fn counts_setup(counts: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("p.toml"),
        r#"protocol_version = "1.0.0"
name = "counts-checks"
[tool]
name = "Flag"
vendor = "Test"
version = "1"
intended_use = "test"
decision_type = "binary"
[data]
path = "counts.csv"
[columns]
decision = "flag"
score = "risk"
outcome = "event"
[[attributes]]
name = "sex"
column = "sex"
standard = "sex"
reference = "Male"
map = { "F" = "Female", "M" = "Male" }
[scores]
metrics = ["auroc"]
"#,
    )
    .unwrap();
    let p = s1557::protocol::load(&dir.path().join("p.toml")).unwrap();
    let shape = s1557::data::counts::shape(&p);
    let text: Vec<String> = counts
        .lines()
        .enumerate()
        .map(|(i, l)| match l.split_once(',') {
            Some((format, rest)) if i > 0 => format!("{format},{shape},{rest}"),
            _ => l.to_string(),
        })
        .collect();
    std::fs::write(dir.path().join("counts.csv"), text.join("\n") + "\n").unwrap();
    dir
}

const HEADER: &str = "s1557_format,s1557_shape,sex,s1557_decision,s1557_outcome,s1557_score_bin,s1557_n,s1557_score_sum,s1557_score_min,s1557_score_max\n";

fn run_counts(dir: &tempfile::TempDir) -> assert_cmd::assert::Assert {
    s1557()
        .arg("run")
        .arg(dir.path().join("p.toml"))
        .arg("--out")
        .arg(dir.path().join("out"))
        .assert()
}

#[test]
fn a_counts_file_of_another_format_is_refused() {
    let dir = counts_setup(&format!(
        "{HEADER}counts/2,F,true,true,300,20,6.1,0.3,0.309\ncounts/1,M,false,false,100,30,3.1,0.1,0.109\n"
    ));
    run_counts(&dir).code(2).stderr(predicate::str::contains(
        "column `s1557_format` must hold `counts/1` in every row (20 cases in other rows)",
    ));
    assert!(!dir.path().join("out").exists());
}

#[test]
fn a_counts_file_binned_by_division_is_refused() {
    // 0.043 is bin 43 by the format's rule (× 1000); dividing by 0.001 gives bin 42.
    let dir = counts_setup(&format!(
        "{HEADER}counts/1,F,true,true,42,20,0.86,0.043,0.043\ncounts/1,M,false,false,100,30,3.01,0.1,0.1009\n"
    ));
    run_counts(&dir).code(2).stderr(
        predicate::str::contains("score table: scores outside their row's bin")
            .and(predicate::str::contains("floor(score × 1000)"))
            .and(predicate::str::contains("(20 rows)")),
    );
}

#[test]
fn a_counts_file_with_bad_counts_and_codes_names_the_columns() {
    let dir = counts_setup(&format!(
        "{HEADER}counts/1,F,yes,true,300,20,6.1,0.3,0.309\ncounts/1,M,false,false,100,-3,3.1,0.1,0.109\ncounts/1,F,false,true,100,5,0.6,0.2,0.1\n"
    ));
    run_counts(&dir).code(2).stderr(
        predicate::str::contains("decision `yes` in column `s1557_decision` is not a yes/no value")
            .and(predicate::str::contains(
                "a counts submission codes it `true` or `false`",
            ))
            .and(predicate::str::contains(
                "column `s1557_n` has counts that are missing, negative or not whole numbers",
            ))
            .and(predicate::str::contains(
                "`s1557_score_min` is above `s1557_score_max`",
            )),
    );
}

#[test]
fn a_counts_file_without_its_score_columns_is_refused() {
    let dir = counts_setup(
        "s1557_format,s1557_shape,sex,s1557_decision,s1557_outcome,s1557_n\ncounts/1,F,true,true,20\n",
    );
    run_counts(&dir).code(2).stderr(predicate::str::contains(
        "column `s1557_score_bin` of the counts format `counts/1` is not in the data",
    ));
}

#[test]
fn counts_refuses_a_counts_file_and_an_unbinnable_score() {
    let dir = counts_setup(&format!(
        "{HEADER}counts/1,F,true,true,300,20,6.1,0.3,0.309\n"
    ));
    s1557()
        .arg("counts")
        .arg(dir.path().join("p.toml"))
        .arg("--out")
        .arg(dir.path().join("again.csv"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already a counts submission"));
    let text = std::fs::read_to_string(dir.path().join("p.toml"))
        .unwrap()
        .replace("[scores]\n", "[scores]\nscale = \"arbitrary\"\n");
    std::fs::write(dir.path().join("p.toml"), text).unwrap();
    s1557()
        .arg("sql")
        .arg(dir.path().join("p.toml"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("sets no `bin_width`"));
    // Survey weights cannot travel either: the query is refused as `counts` is.
    let text = std::fs::read_to_string(dir.path().join("p.toml"))
        .unwrap()
        .replace("scale = \"arbitrary\"\n", "")
        .replace(
            "outcome = \"event\"\n",
            "outcome = \"event\"\nweight = \"w\"\n",
        );
    std::fs::write(dir.path().join("p.toml"), text).unwrap();
    s1557()
        .arg("sql")
        .arg(dir.path().join("p.toml"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("carries no survey weights"));
}

#[test]
fn the_query_names_its_format_protocol_and_columns() {
    for dialect in ["ansi", "spark", "duckdb", "postgres"] {
        let out = s1557()
            .args([
                "sql",
                "--dialect",
                dialect,
                "--table",
                "clinic.readmissions",
            ])
            .arg(root().join("protocols/example.toml"))
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let q = String::from_utf8(out).unwrap();
        assert!(q.contains("format counts/1, for protocol `readmission-outreach-quarterly`"));
        assert!(q.contains("FROM clinic.readmissions"));
        for c in [
            "AS s1557_format",
            "AS s1557_shape",
            "AS s1557_decision",
            "AS s1557_outcome",
            "AS s1557_score_bin",
            "AS s1557_n",
            "AS s1557_score_sum",
            "AS s1557_score_min",
            "AS s1557_score_max",
        ] {
            assert!(q.contains(c), "{dialect}: no `{c}`");
        }
        // Ages leave the query as their band's lower bound only.
        assert!(
            q.contains("THEN '90'") && q.contains("THEN '18'"),
            "{dialect}"
        );
    }
}

/// Every number in `a` and `b` agrees to `tol` relative; everything else is equal.
fn assert_close(a: &Value, b: &Value, tol: f64, path: &str) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            assert_eq!(x.len(), y.len(), "{path}: fields differ");
            for (k, v) in x {
                assert_close(v, &y[k], tol, &format!("{path}.{k}"));
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{path}: lengths differ");
            for (i, (u, v)) in x.iter().zip(y).enumerate() {
                assert_close(u, v, tol, &format!("{path}[{i}]"));
            }
        }
        (Value::Number(x), Value::Number(y)) => {
            let (u, v) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!(
                (u - v).abs() <= tol * u.abs().max(v.abs()),
                "{path}: {u} vs {v}"
            );
        }
        _ => assert_eq!(a, b, "{path}"),
    }
}

#[test]
fn need_at_equal_score_travels_with_the_counts() {
    // counts/1 carries each row's need as a count, sum and sum of squares: need at equal score
    // from the counts equals the rows' to rounding, and the top k% by need is stated unavailable.
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("race,flag,event,decile,need\n");
    for i in 0..1200u32 {
        let race = ["W", "B"][(i % 2) as usize];
        let decile = 1 + (i * 7 + i / 13) % 10;
        let event = u32::from((i * 31 + decile * 17) % 23 < decile + 3);
        let need = if i % 17 == 0 {
            String::new()
        } else {
            ((i % 5) + (i % 2) * (decile % 3)).to_string()
        };
        csv += &format!(
            "{race},{},{event},{decile},{need}\n",
            u32::from(decile >= 6)
        );
    }
    std::fs::write(dir.path().join("data.csv"), csv).unwrap();
    let protocol = dir.path().join("p.toml");
    std::fs::write(&protocol, NEED_PROTOCOL).unwrap();
    let (rows, counts) = rows_and_counts(&protocol, None, "c.parquet");
    let source = &counts["scores"]["source"];
    assert!(source["exact"]
        .as_array()
        .unwrap()
        .contains(&Value::from("need_at_equal_score")));
    assert_eq!(
        source["unavailable"][0],
        "top_percent by need: the table carries each row's need as a count, sum and sum of squares, not each case's"
    );
    assert_eq!(rows["summary"], counts["summary"]);
    let need = |a: &Value| -> Vec<Value> {
        a["scores"]["comparisons"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["metric"] == "need_at_equal_score")
            .cloned()
            .collect()
    };
    assert_eq!(need(&rows).len(), 1);
    assert_close(
        &Value::from(need(&rows)),
        &Value::from(need(&counts)),
        1e-9,
        "need comparisons",
    );
    for (ra, ca) in rows["scores"]["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .zip(counts["scores"]["attributes"].as_array().unwrap())
    {
        for (rg, cg) in ra["groups"]
            .as_array()
            .unwrap()
            .iter()
            .zip(ca["groups"].as_array().unwrap())
        {
            assert_close(&rg["need"], &cg["need"], 1e-9, "group need");
        }
    }
}

#[test]
fn counts_made_under_another_reading_of_the_rows_are_refused() {
    // The same counts, checked against a protocol whose null values differ: the rows would have
    // been read differently, so the counts do not belong to it.
    let dir = counts_setup(&format!(
        "{HEADER}counts/1,F,true,true,300,20,6.01,0.3,0.3009\ncounts/1,M,false,false,100,30,3.01,0.1,0.1009\n"
    ));
    run_counts(&dir).success();
    let p = dir.path().join("p.toml");
    let text = std::fs::read_to_string(&p)
        .unwrap()
        .replace("[data]\n", "[data]\nnull_values = [\"NA\", \"-\"]\n");
    std::fs::write(&p, text).unwrap();
    run_counts(&dir).code(2).stderr(
        predicate::str::contains(
            "the counts were made under a protocol that reads the rows differently",
        )
        .and(predicate::str::contains(
            "make the counts again with this protocol",
        )),
    );
}

#[test]
fn counts_with_scores_serve_a_protocol_that_compares_only_the_decision() {
    let dir = counts_setup(&format!(
        "{HEADER}counts/1,F,true,true,300,20,6.01,0.3,0.3009\ncounts/1,M,false,false,100,30,3.01,0.1,0.1009\n"
    ));
    let p = dir.path().join("p.toml");
    let text = std::fs::read_to_string(&p)
        .unwrap()
        .replace("[scores]\nmetrics = [\"auroc\"]\n", "");
    std::fs::write(&p, text).unwrap();
    run_counts(&dir)
        .success()
        .stdout(predicate::str::contains("50 cases"));
}

/// A decile score with a measure of need and a trigger on need at equal score.
const NEED_PROTOCOL: &str = r#"protocol_version = "1.0.0"
name = "need"
[tool]
name = "Decile tool"
vendor = "Test"
version = "1"
intended_use = "test"
decision_type = "binary"
[data]
path = "data.csv"
[columns]
decision = "flag"
score = "decile"
outcome = "event"
need = "need"
[[attributes]]
name = "race"
column = "race"
standard = "omb_race_1997"
reference = "White"
map = { "W" = "White", "B" = "Black or African American" }
[scores]
scale = "arbitrary"
metrics = ["auroc", "need_at_equal_score"]
bin_width = 1
top_percent = [20]
equal_score_bins = 5
[[triggers]]
id = "sicker"
metric = "need_at_equal_score"
ratio = { min = 0.9, max = 1.1 }
severity = "remediate"
action = "act"
"#;

#[test]
fn a_need_trigger_without_scored_cases_is_insufficient_data_not_silent() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("race,flag,event,decile,need\n");
    for i in 0..400u32 {
        csv += &format!(
            "{},{},{},,{}\n",
            ["W", "B"][(i % 2) as usize],
            i % 3 % 2,
            i % 5 % 2,
            i % 4
        );
    }
    std::fs::write(dir.path().join("data.csv"), csv).unwrap();
    std::fs::write(dir.path().join("p.toml"), NEED_PROTOCOL).unwrap();
    s1557()
        .arg("run")
        .arg(dir.path().join("p.toml"))
        .arg("--out")
        .arg(dir.path().join("out"))
        .assert()
        .success();
    let a = read_json(&dir.path().join("out/artifact.json"));
    let need: Vec<&Value> = a["scores"]["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["metric"] == "need_at_equal_score")
        .collect();
    assert_eq!(need.len(), 1);
    assert_eq!(need[0]["assessment"]["status"], "insufficient_data");
    assert_eq!(need[0]["difference"]["kind"], "undefined");
}
