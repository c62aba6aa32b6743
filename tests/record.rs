//! The oversight record (`[record]`): carried into the artifact and report.md, every empty part
//! named as not recorded, the coverage of the six classes worked out from the attributes, and
//! bad entries refused with their place.

mod common;
use common::{read_json, root, s1557};

use predicates::prelude::*;
use serde_json::Value;

/// A minimal protocol with `extra` appended, on a small data set with a language column.
fn setup(extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("sex,language,flag,event\n");
    for i in 0..400u32 {
        let sex = ["F", "M"][(i % 2) as usize];
        let lang = ["en", "es"][(i / 2 % 2) as usize];
        csv += &format!("{sex},{lang},{},{}\n", i % 3 % 2, i % 5 % 2);
    }
    std::fs::write(dir.path().join("data.csv"), csv).unwrap();
    let protocol = format!(
        r#"protocol_version = "1.0.0"
name = "record"
[tool]
name = "Flag"
vendor = "Test"
version = "1"
intended_use = "test"
decision_type = "binary"
[data]
path = "data.csv"
[columns]
decision = "flag"
outcome = "event"
[[attributes]]
name = "sex"
column = "sex"
standard = "sex"
reference = "Male"
map = {{ "F" = "Female", "M" = "Male" }}
{extra}"#
    );
    std::fs::write(dir.path().join("p.toml"), protocol).unwrap();
    dir
}

fn run(dir: &tempfile::TempDir) -> Value {
    s1557()
        .arg("run")
        .arg(dir.path().join("p.toml"))
        .arg("--out")
        .arg(dir.path().join("out"))
        .assert()
        .success();
    read_json(&dir.path().join("out/artifact.json"))
}

#[test]
fn the_example_carries_a_complete_record() {
    let a = read_json(&root().join("reports/example/artifact.json"));
    let r = &a["record"];
    assert_eq!(r["not_recorded"], serde_json::json!([]));
    assert_eq!(r["inputs"].as_array().unwrap().len(), 3);
    let status: Vec<(&str, &str)> = r["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["class"].as_str().unwrap(), c["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        status,
        [
            ("race", "tested"),
            ("color", "not_tested"),
            ("national_origin", "tested"),
            ("sex", "tested"),
            ("age", "tested"),
            ("disability", "tested"),
        ]
    );
    let md = std::fs::read_to_string(root().join("reports/example/report.md")).unwrap();
    assert!(md.contains("## The tool and its oversight (45 CFR 92.210)"));
    assert!(md.contains("| color | not tested | the extract records no skin tone"));
    assert!(md.contains("| prior_admissions_12m | race | a proxy | local review | 2026-06-02 |"));
}

#[test]
fn a_protocol_without_a_record_still_runs_and_says_not_recorded() {
    let dir = setup("");
    s1557()
        .arg("validate")
        .arg(dir.path().join("p.toml"))
        .assert()
        .success()
        .stderr(
            predicate::str::contains("does not record `record.approval.approved_by`")
                .and(predicate::str::contains("`record.coverage.race`")),
        );
    let a = run(&dir);
    let missing: Vec<&str> = a["record"]["not_recorded"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for part in [
        "tool.developer",
        "inputs",
        "oversight.checkpoint",
        "coverage.color",
    ] {
        assert!(missing.contains(&part), "{part} not listed: {missing:?}");
    }
    assert!(!missing.contains(&"coverage.sex"), "sex is tested");
    let md = std::fs::read_to_string(dir.path().join("out/report.md")).unwrap();
    assert!(md.contains("| developer | *not recorded* |"));
    assert!(md.contains("Not recorded in the protocol:"));
}

#[test]
fn a_custom_attribute_names_the_class_it_serves() {
    let dir = setup(
        r#"[[attributes]]
name = "language"
column = "language"
standard = "custom"
class = "national_origin"
reference = "English"
map = { "en" = "English", "es" = "Spanish" }

[record.coverage]
race = { status = "not_tested", reason = "no race in the extract" }
"#,
    );
    let a = run(&dir);
    let cov = &a["record"]["coverage"];
    let class = |name: &str| {
        cov.as_array()
            .unwrap()
            .iter()
            .find(|c| c["class"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(class("national_origin")["status"], "tested");
    assert_eq!(
        class("national_origin")["attributes"],
        serde_json::json!(["language"])
    );
    assert_eq!(class("race")["status"], "not_tested");
    assert_eq!(class("race")["reason"], "no race in the extract");
    assert_eq!(class("disability")["status"], "not_recorded");
}

#[test]
fn bad_record_entries_are_refused_with_their_place() {
    let dir = setup("[record.approval]\napproved_on = \"15 June 2026\"\n");
    s1557()
        .arg("validate")
        .arg(dir.path().join("p.toml"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "`record.approval.approved_on` is `15 June 2026`, not a date",
        ));
    let dir = setup("[record.tool]\ndevelopr = \"x\"\n");
    s1557()
        .arg("validate")
        .arg(dir.path().join("p.toml"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("developr"));
    let dir = setup(
        "[[record.inputs]]\nname = \"zip\"\nclass = \"income\"\nlearned_from = \"local_review\"\nlearned_on = \"2026-01-01\"\n",
    );
    s1557()
        .arg("validate")
        .arg(dir.path().join("p.toml"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("income"));
}

#[test]
fn findings_beyond_the_band_say_whom_they_disadvantage() {
    let a = read_json(&root().join("reports/example/artifact.json"));
    let find = |list: &Value, id: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap()
            .clone()
    };
    // A rate finding: the group's cases missed beyond the reference's rate, with an interval.
    let tpr = find(&a["comparisons"], "race/Black or African American/tpr");
    let h = &tpr["assessment"]["harm"];
    assert!(h["statement"]
        .as_str()
        .unwrap()
        .contains("more of their cases missed"));
    let (v, lo, hi) = (
        h["patients"]["value"].as_f64().unwrap(),
        h["patients"]["ci"]["low"].as_f64().unwrap(),
        h["patients"]["ci"]["high"].as_f64().unwrap(),
    );
    let d = tpr["difference"]["value"].as_f64().unwrap();
    let n = tpr["denominator"].as_f64().unwrap();
    assert!((v + d * n).abs() < 1e-9 && lo < v && v < hi);
    // A finding inside its band states no harm.
    let pass = find(&a["comparisons"], "sex/Female/tpr");
    assert_eq!(pass["assessment"]["status"], "pass");
    assert!(pass["assessment"].get("harm").is_none());
    // A score finding beyond its band says it in words (it counts no patients).
    let oe = a["scores"]["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["metric"] == "oe_ratio" && c["assessment"]["status"] == "remediate")
        .unwrap()
        .clone();
    assert!(oe["assessment"]["harm"]["statement"]
        .as_str()
        .unwrap()
        .contains("their risk is under-predicted"));
    assert_eq!(oe["assessment"]["harm"]["patients"]["kind"], "undefined");
}
