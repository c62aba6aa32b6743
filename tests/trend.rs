//! Quarter over quarter: the example's second quarter, generated with its disparities reduced,
//! against the shipped artifact of the first; the trend verifies against the earlier artifact
//! and a changed protocol is flagged.

mod common;
use common::{root, s1557};

use predicates::prelude::*;
use serde_json::Value;

/// A later quarter of the example (`generate --seed --disparity`) run against the shipped first
/// quarter, into `d/q`; its artifact.
fn quarter(d: &std::path::Path, seed: &str, disparity: &str) -> Value {
    s1557()
        .args([
            "generate",
            "--seed",
            seed,
            "--disparity",
            disparity,
            "--out",
        ])
        .arg(d.join("q.csv"))
        .assert()
        .success();
    s1557()
        .arg("run")
        .arg(root().join("protocols/example.toml"))
        .arg("--data")
        .arg(d.join("q.csv"))
        .args(["--as-of", "2026-12-31", "--previous"])
        .arg(root().join("reports/example/artifact.json"))
        .arg("--out")
        .arg(d.join("q"))
        .assert()
        .code(predicate::in_iter([0, 1]));
    serde_json::from_str(&std::fs::read_to_string(d.join("q/artifact.json")).unwrap()).unwrap()
}

#[test]
fn the_second_quarter_shows_the_disparity_reduced() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let previous = root().join("reports/example/artifact.json");
    let a = quarter(d, "1558", "0.3");
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
    let md = std::fs::read_to_string(d.join("q/report.md")).unwrap();
    assert!(md.contains("## Since the last test (2026-09-30)"));
    assert!(md.contains(
        "| race/Black or African American/tpr | remediate → monitor | -28.6 pts → -7.3 pts |"
    ));
    // The trend verifies against the earlier artifact, and not against another.
    s1557()
        .arg("verify")
        .arg(d.join("q/artifact.json"))
        .arg("--previous")
        .arg(&previous)
        .assert()
        .success();
    s1557()
        .arg("verify")
        .arg(d.join("q/artifact.json"))
        .arg("--previous")
        .arg(d.join("q/artifact.json"))
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

#[test]
fn a_trend_edited_on_its_current_side_does_not_verify_and_a_downgrade_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    s1557()
        .arg("run")
        .arg(root().join("protocols/example.toml"))
        .arg("--previous")
        .arg(root().join("reports/example/artifact.json"))
        .arg("--out")
        .arg(d.join("q"))
        .assert()
        .code(1);
    let path = d.join("q/artifact.json");
    let mut a: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    // The same data as the earlier artifact: nothing moved, and no change is significant.
    assert!(a["trend"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["verdict"] == "unchanged" && f["status"] == f["previous_status"]));
    let f = a["trend"]["findings"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|f| f["id"] == "race/Black or African American/tpr")
        .unwrap();
    f["status"] = Value::from("pass");
    let edited = d.join("edited.json");
    std::fs::write(&edited, serde_json::to_string_pretty(&a).unwrap()).unwrap();
    s1557()
        .arg("verify")
        .arg(&edited)
        .assert()
        .code(4)
        .stdout(predicate::str::contains(
            "trend.findings[race/Black or African American/tpr].status: stated pass, recomputed remediate",
        ));
    // A 1.2.0 artifact relabelled 1.1.0 cannot pass under the old rule with today's protocol.
    let mut b: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("reports/example/artifact.json")).unwrap(),
    )
    .unwrap();
    b["schema_version"] = Value::from("1.1.0");
    let old = d.join("old.json");
    std::fs::write(&old, serde_json::to_string_pretty(&b).unwrap()).unwrap();
    s1557()
        .arg("verify")
        .arg(&old)
        .arg("--protocol")
        .arg(root().join("protocols/example.toml"))
        .assert()
        .code(4)
        .stdout(predicate::str::contains("schema_version: stated 1.1.0"));
}

#[test]
fn a_group_withheld_last_quarter_stays_withheld_in_the_trend() {
    // A small first quarter withholds groups with small cells; this quarter's report must not
    // print their earlier numbers in the trend.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    s1557()
        .args(["generate", "--rows", "6000", "--seed", "7", "--out"])
        .arg(d.join("small.csv"))
        .assert()
        .success();
    s1557()
        .arg("run")
        .arg(root().join("protocols/example.toml"))
        .arg("--data")
        .arg(d.join("small.csv"))
        .arg("--out")
        .arg(d.join("small"))
        .assert()
        .code(predicate::in_iter([0, 1]));
    s1557()
        .arg("run")
        .arg(root().join("protocols/example.toml"))
        .arg("--previous")
        .arg(d.join("small/artifact.json"))
        .arg("--out")
        .arg(d.join("now"))
        .assert()
        .code(1);
    let a: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("now/artifact.json")).unwrap())
            .unwrap();
    let withheld: Vec<&str> = a["trend"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["withheld_then"] == true)
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert!(!withheld.is_empty(), "the small quarter withheld no group");
    let md = std::fs::read_to_string(d.join("now/report.md")).unwrap();
    for id in withheld {
        for line in md.lines().filter(|l| l.starts_with(&format!("| {id} |"))) {
            assert!(line.contains("withheld"), "{line}");
            assert!(!line.contains(" pts"), "{line}");
        }
    }
}

#[test]
fn a_finding_that_got_worse_calls_for_its_trigger_action() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let a = quarter(d, "1559", "1.6");
    let fired = a["trend"]["fired_on_worsening"].as_array().unwrap();
    assert!(fired.iter().any(|f| f["trigger"] == "missed-readmissions"
        && f["comparison"] == "race/Black or African American/tpr"));
    let md = std::fs::read_to_string(d.join("q/report.md")).unwrap();
    assert!(md
        .contains("- `missed-readmissions` on race/Black or African American/tpr: Ask the vendor"));
}

/// A third quarter run against the shipped second and first: each finding pooled over the three,
/// its slope, and a CUSUM carried from the second quarter's artifact.
#[test]
fn three_quarters_pool_with_a_slope_and_a_carried_cusum() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    s1557()
        .args(["generate", "--seed", "3", "--out"])
        .arg(d.join("q3.csv"))
        .assert()
        .success();
    let q1 = root().join("reports/example/artifact.json");
    let q2 = root().join("reports/example-q2/artifact.json");
    let run = |out: &str, previous: &[&std::path::Path]| -> Value {
        let mut c = s1557();
        c.arg("run")
            .arg(root().join("protocols/example.toml"))
            .arg("--data")
            .arg(d.join("q3.csv"))
            .args(["--period", "2027-01-01..2027-03-31", "--out"])
            .arg(d.join(out));
        for p in previous {
            c.arg("--previous").arg(p);
        }
        c.assert().code(predicate::in_iter([0, 1]));
        serde_json::from_str(&std::fs::read_to_string(d.join(out).join("artifact.json")).unwrap())
            .unwrap()
    };
    // Given in any order: the latest is the trend's, all are pooled, oldest first.
    let three = run("three", &[&q1, &q2]);
    let r = &three["rolling"];
    let periods: Vec<&str> = r["quarters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["period_end"].as_str().unwrap())
        .collect();
    assert_eq!(periods, ["2026-09-30", "2026-12-31", "2027-03-31"]);
    assert_eq!(three["trend"]["previous"]["as_of"], "2026-12-31");
    let read = |p: &std::path::Path| -> Value {
        serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
    };
    let (a1, a2) = (read(&q1), read(&q2));
    let id = "race/Black or African American/tpr";
    let of = |a: &Value, k: &str| -> u64 {
        a["comparisons"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap()[k]
            .as_u64()
            .unwrap()
    };
    let pooled = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap();
    for k in [
        "numerator",
        "denominator",
        "reference_numerator",
        "reference_denominator",
    ] {
        assert_eq!(
            pooled[k].as_u64().unwrap(),
            of(&a1, k) + of(&a2, k) + of(&three, k),
            "{k}"
        );
    }
    assert_eq!(
        pooled["slope"]["kind"], "value",
        "three quarters give a slope"
    );
    assert_eq!(pooled["status"], "remediate", "the pooled gap is judged");
    // The CUSUM continues the second quarter's (which started over the first): the same with or
    // without the first quarter given.
    let two = run("two", &[&q2]);
    let cusum = |a: &Value| {
        a["rolling"]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == id)
            .unwrap()["cusum"]
            .clone()
    };
    assert_eq!(cusum(&two), cusum(&three));
    let before = cusum(&a2)[0]["value"].as_f64().unwrap();
    let now = cusum(&three)[0]["value"].as_f64().unwrap();
    assert!(
        now > before,
        "a gap past half the band adds: {before} -> {now}"
    );
    assert_eq!(two["rolling"]["quarters"].as_array().unwrap().len(), 2);
    // Verified with the earlier artifacts; taken as stated without them.
    s1557()
        .arg("verify")
        .arg(d.join("three/artifact.json"))
        .arg("--previous")
        .arg(&q1)
        .arg("--previous")
        .arg(&q2)
        .assert()
        .success();
    s1557()
        .arg("verify")
        .arg(d.join("three/artifact.json"))
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "pooled quarters are taken as stated",
        ));
    let mut tampered = three.clone();
    let n = tampered["rolling"]["findings"][0]["numerator"]
        .as_u64()
        .unwrap();
    tampered["rolling"]["findings"][0]["numerator"] = Value::from(n + 1);
    let t = d.join("tampered.json");
    std::fs::write(&t, serde_json::to_string_pretty(&tampered).unwrap()).unwrap();
    s1557()
        .arg("verify")
        .arg(&t)
        .arg("--previous")
        .arg(&q1)
        .arg("--previous")
        .arg(&q2)
        .assert()
        .code(4)
        .stdout(predicate::str::contains("rolling"));
}
