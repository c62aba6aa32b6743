//! Quarter over quarter: the example's second quarter, generated with its disparities reduced,
//! against the shipped artifact of the first; the trend verifies against the earlier artifact
//! and a changed protocol is flagged.

use std::path::PathBuf;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn s1557() -> Command {
    Command::cargo_bin("s1557").unwrap()
}

#[test]
fn the_second_quarter_shows_the_disparity_reduced() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let q2 = d.join("q2.csv");
    s1557()
        .args(["generate", "--seed", "1558", "--disparity", "0.3", "--out"])
        .arg(&q2)
        .assert()
        .success();
    let previous = root().join("reports/example/artifact.json");
    s1557()
        .arg("run")
        .arg(root().join("protocols/example.toml"))
        .arg("--data")
        .arg(&q2)
        .args(["--as-of", "2026-12-31", "--previous"])
        .arg(&previous)
        .arg("--out")
        .arg(d.join("q2"))
        .assert()
        .code(predicate::in_iter([0, 1]));
    let a: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("q2/artifact.json")).unwrap())
            .unwrap();
    let t = &a["trend"];
    assert_eq!(t["previous"]["as_of"], "2026-09-30");
    assert_eq!(t["previous"]["protocol_changed"], false);
    let f = t["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "race/Black or African American/tpr")
        .unwrap();
    assert_eq!(f["previous_status"], "remediate");
    assert_ne!(f["status"], "remediate");
    assert_eq!(f["verdict"], "better");
    let ci = &f["change"]["ci"];
    assert!(ci["low"].as_f64().unwrap() > 0.1, "{f}");
    assert!(f["p_value"].as_f64().unwrap() < 1e-6);
    // The change is the difference now minus then.
    let (now, then) = (
        f["difference"].as_f64().unwrap(),
        f["previous_difference"].as_f64().unwrap(),
    );
    assert!((f["change"]["value"].as_f64().unwrap() - (now - then)).abs() < 1e-12);
    let md = std::fs::read_to_string(d.join("q2/report.md")).unwrap();
    assert!(md.contains("## Since the last test (2026-09-30)"));
    assert!(md.contains(
        "| race/Black or African American/tpr | remediate → monitor | -28.6 pts → -7.3 pts |"
    ));
    // The trend verifies against the earlier artifact, and not against another.
    s1557()
        .arg("verify")
        .arg(d.join("q2/artifact.json"))
        .arg("--previous")
        .arg(&previous)
        .assert()
        .success();
    s1557()
        .arg("verify")
        .arg(d.join("q2/artifact.json"))
        .arg("--previous")
        .arg(d.join("q2/artifact.json"))
        .assert()
        .code(4)
        .stdout(predicate::str::contains("trend.previous.sha256: stated"));
}

#[test]
fn a_protocol_changed_between_quarters_is_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("protocols/example.toml"))
        .unwrap()
        .replace("min_cell_size = 11", "min_cell_size = 20")
        .replace(
            "../datasets/example.csv",
            root().join("datasets/example.csv").to_str().unwrap(),
        );
    let p = dir.path().join("changed.toml");
    std::fs::write(&p, text).unwrap();
    s1557()
        .arg("run")
        .arg(&p)
        .arg("--previous")
        .arg(root().join("reports/example/artifact.json"))
        .arg("--out")
        .arg(dir.path().join("out"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "the previous artifact was made under another protocol",
        ));
    let a: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out/artifact.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(a["trend"]["previous"]["protocol_changed"], true);
    let md = std::fs::read_to_string(dir.path().join("out/report.md")).unwrap();
    assert!(md.contains("**The protocol changed**"));
}
