//! Clustered and survey designs (`columns.cluster`, `columns.strata`) through the whole run: the
//! scan, the moments, the comparisons and statuses, verify, and the errors.

mod common;

use std::path::Path;

use assert_cmd::Command;
use common::{close, read_json, root};
use predicates::prelude::*;
use serde_json::Value;

/// The binary, run from the project's folder (the shipped protocols name paths from it).
fn s1557() -> Command {
    let mut c = common::s1557();
    c.current_dir(root());
    c
}

/// A protocol over `data.csv` with race codes W/B/A, and `extra` lines in [columns].
fn protocol(extra: &str) -> String {
    format!(
        r#"protocol_version = "1.0.0"
name = "design-test"
[tool]
name = "t"
vendor = "v"
version = "1"
intended_use = "test"
decision_type = "binary"
[data]
path = "data.csv"
[columns]
decision = "flagged"
outcome = "outcome"
{extra}
[[attributes]]
name = "race"
column = "race"
standard = "omb_race_1997"
reference = "White"
map = {{ "W" = "White", "B" = "Black or African American", "A" = "Asian" }}
[analysis]
metrics = ["selection_rate", "tpr", "fpr"]
min_cell_size = 1
[[triggers]]
id = "tpr"
metric = "tpr"
difference = {{ min = -0.10 }}
severity = "remediate"
action = "review"
"#
    )
}

fn run(dir: &Path, protocol_text: &str, data: &str) -> Value {
    std::fs::write(dir.join("p.toml"), protocol_text).unwrap();
    std::fs::write(dir.join("data.csv"), data).unwrap();
    let out = dir.join("out");
    let _ = std::fs::remove_dir_all(&out);
    s1557()
        .arg("run")
        .arg(dir.join("p.toml"))
        .arg("--out")
        .arg(&out)
        .args(["--as-of", "2026-12-01"])
        .assert()
        .code(predicate::in_iter([0, 1]));
    read_json(&out.join("artifact.json"))
}

fn comparison<'a>(a: &'a Value, id: &str) -> &'a Value {
    a["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no comparison {id}"))
}

/// 400 patients, each on one row (`copies` = 1) or on several identical rows.
fn patients(copies: usize) -> String {
    let mut s = String::from("pid,race,flagged,outcome\n");
    let mut x: u64 = 7;
    for pid in 0..400 {
        // A small linear congruential generator: the same rows on every run, no dependency.
        let mut next = || {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) % 100
        };
        let race = ["W", "W", "B", "A"][(next() % 4) as usize];
        let outcome = u8::from(next() < 30);
        let flagged = u8::from(next() < if outcome == 1 { 60 } else { 25 });
        for _ in 0..copies {
            s.push_str(&format!("p{pid},{race},{flagged},{outcome}\n"));
        }
    }
    s
}

#[test]
fn copies_of_a_patients_row_count_once_under_the_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let with = protocol(r#"cluster = "pid""#);
    let once = run(dir.path(), &with, &patients(1));
    let thrice = run(dir.path(), &with, &patients(3));
    assert_eq!(thrice["data"]["design"]["clusters"], 400);
    for id in [
        "race/Black or African American/tpr",
        "race/Asian/selection_rate",
        "race/Asian/fpr",
    ] {
        let (a, b) = (comparison(&once, id), comparison(&thrice, id));
        assert_eq!(
            b["denominator"].as_u64().unwrap(),
            3 * a["denominator"].as_u64().unwrap()
        );
        for part in ["low", "high"] {
            close(
                b["difference"]["ci"][part].as_f64().unwrap(),
                a["difference"]["ci"][part].as_f64().unwrap(),
                id,
            );
        }
        close(
            b["test"]["p_value"].as_f64().unwrap(),
            a["test"]["p_value"].as_f64().unwrap(),
            id,
        );
        assert_eq!(b["difference"]["ci"]["method"], "newcombe_design");
        assert_eq!(b["test"]["kind"], "design_z");
        // About 3 (each patient's three rows agree), a little more for the finite factor.
        let deff = b["design"]["design_effect"].as_f64().unwrap();
        assert!((3.0..3.02).contains(&deff), "{id}: design effect {deff}");
    }
    // verify recomputes from the moments, and checks them against the counts.
    let artifact = dir.path().join("out/artifact.json");
    s1557().arg("verify").arg(&artifact).assert().success();
    let mut tampered = thrice.clone();
    tampered["sufficient_statistics"][0]["design"]["groups"][0]["strata"][0]["sum"][0] =
        Value::from(1.0);
    std::fs::write(&artifact, serde_json::to_string(&tampered).unwrap()).unwrap();
    s1557()
        .arg("verify")
        .arg(&artifact)
        .assert()
        .code(4)
        .stdout(predicate::str::contains(
            "sufficient_statistics[race].design",
        ));
    let mut dropped = thrice.clone();
    dropped["sufficient_statistics"][0]
        .as_object_mut()
        .unwrap()
        .remove("design");
    std::fs::write(&artifact, serde_json::to_string(&dropped).unwrap()).unwrap();
    s1557().arg("verify").arg(&artifact).assert().code(4);
    // Without the cluster, the copies pass for three times the patients: a narrower interval.
    let naive = run(dir.path(), &protocol(""), &patients(3));
    let id = "race/Black or African American/tpr";
    let width = |a: &Value| {
        let ci = &comparison(a, id)["difference"]["ci"];
        ci["high"].as_f64().unwrap() - ci["low"].as_f64().unwrap()
    };
    assert!(
        width(&naive) < 0.65 * width(&thrice),
        "{} vs {}",
        width(&naive),
        width(&thrice)
    );
    assert!(naive["data"]["design"].is_null());
    let report = std::fs::read_to_string(dir.path().join("out/report.md")).unwrap();
    assert!(report.contains("each row is taken as one patient"));
}

#[test]
fn a_weighted_stratified_survey_matches_samplics() {
    let v: Value = serde_json::from_str(include_str!("reference/design.json")).unwrap();
    let case = &v["rows_case"];
    let mut data = String::from("stratum,psu,race,flagged,outcome,w\n");
    for r in case["rows"].as_array().unwrap() {
        let r = r.as_array().unwrap();
        data.push_str(&format!(
            "{},{},{},{},{},{}\n",
            r[0].as_str().unwrap(),
            r[1].as_str().unwrap(),
            r[2].as_str().unwrap(),
            r[3],
            r[4],
            r[5]
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let a = run(
        dir.path(),
        &protocol("weight = \"w\"\ncluster = \"psu\"\nstrata = \"stratum\""),
        &data,
    );
    assert_eq!(a["data"]["design"]["strata"], 3);
    let code = |g: &str| match g {
        "White" => "W",
        "Black or African American" => "B",
        _ => "A",
    };
    let mut checked = 0;
    for g in a["attributes"][0]["groups"].as_array().unwrap() {
        for m in g["metrics"].as_array().unwrap() {
            let key = format!(
                "{}/{}",
                code(g["group"].as_str().unwrap()),
                m["metric"].as_str().unwrap()
            );
            if let Some(e) = case["expected"].get(&key) {
                let d = &m["design"];
                close(
                    d["estimate"]["value"].as_f64().unwrap(),
                    e["rate"].as_f64().unwrap(),
                    &key,
                );
                close(
                    d["standard_error"].as_f64().unwrap(),
                    e["se"].as_f64().unwrap(),
                    &key,
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 9);
    // verify recomputes every design-based figure from the artifact's moments.
    s1557()
        .arg("verify")
        .arg(dir.path().join("out/artifact.json"))
        .assert()
        .success();
}

#[test]
fn design_problems_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let mut data = patients(1);
    data.push_str(",W,1,1\n");
    std::fs::write(dir.path().join("p.toml"), protocol(r#"cluster = "pid""#)).unwrap();
    std::fs::write(dir.path().join("data.csv"), &data).unwrap();
    s1557()
        .arg("run")
        .arg(dir.path().join("p.toml"))
        .arg("--out")
        .arg(dir.path().join("out"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "column `pid` has missing cluster keys (1 row",
        ));
    // A stratum with one cluster.
    let mut data = String::from("st,pid,race,flagged,outcome\n");
    for (st, pid) in [("a", "1"), ("a", "2"), ("b", "3")] {
        data.push_str(&format!("{st},{pid},W,1,1\n{st},{pid},B,0,1\n"));
    }
    std::fs::write(dir.path().join("data.csv"), &data).unwrap();
    std::fs::write(
        dir.path().join("p.toml"),
        protocol("cluster = \"pid\"\nstrata = \"st\""),
    )
    .unwrap();
    s1557()
        .arg("run")
        .arg(dir.path().join("p.toml"))
        .arg("--out")
        .arg(dir.path().join("out"))
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("1 stratum (of 2) has a single cluster")
                .and(predicate::str::contains("`b`")),
        );
    // Strata without clusters.
    std::fs::write(dir.path().join("p.toml"), protocol(r#"strata = "st""#)).unwrap();
    s1557()
        .arg("validate")
        .arg(dir.path().join("p.toml"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "`columns.strata` needs `columns.cluster`",
        ));
}

#[test]
fn real_data_diabetes130_clusters_by_patient_as_samplics_and_statsmodels() {
    let data = root().join("../shared/datasets/diabetes130/diabetic_data.csv");
    if !data.is_file() {
        eprintln!("skipped: ../shared/datasets/diabetes130 is not present");
        return;
    }
    let out = tempfile::tempdir().unwrap();
    s1557()
        .args(["run", "protocols/diabetes130.toml", "--out"])
        .arg(out.path())
        .args(["--as-of", "2026-12-01"])
        .assert()
        .code(predicate::in_iter([0, 1]));
    let a = read_json(&out.path().join("artifact.json"));
    assert_eq!(a["data"]["design"]["clusters"], 71518);
    let r: Value = serde_json::from_str(include_str!("reference/diabetes130_design.json")).unwrap();
    let mut checked = 0;
    for c in a["comparisons"].as_array().unwrap() {
        let Some(e) = r["comparisons"].get(c["id"].as_str().unwrap()) else {
            assert_eq!(c["difference"]["kind"], "undefined");
            continue;
        };
        let f = |v: &Value| v.as_f64().unwrap();
        let id = c["id"].as_str().unwrap();
        close(f(&c["difference"]["value"]), f(&e["difference"]), id);
        close(f(&c["difference"]["ci"]["low"]), f(&e["low"]), id);
        close(f(&c["difference"]["ci"]["high"]), f(&e["high"]), id);
        close(f(&c["test"]["statistic"]), f(&e["z"]), id);
        close(f(&c["test"]["p_value"]), f(&e["p"]), id);
        close(f(&c["design"]["difference_se"]), f(&e["difference_se"]), id);
        checked += 1;
    }
    assert_eq!(checked, 55);
}
