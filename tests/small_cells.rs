//! Small cells in shared outputs: the attacker of `tests/attacker` derives every count it can from
//! what `metrics.csv`, `report.md` and `report.html` show, and finds none from 1 to the minimum cell size less one.

mod attacker;
mod common;

use common::{read_json, root, s1557};

/// The attacker's findings on one run's outputs, with the report's fractions checked against the
/// CSV.
fn attack(dir: &std::path::Path) -> Vec<attacker::Leak> {
    let artifact = read_json(&dir.join("artifact.json"));
    let csv = std::fs::read_to_string(dir.join("metrics.csv")).unwrap();
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    let extra = attacker::fractions_in_csv(&md, &csv);
    assert!(
        extra.is_empty(),
        "report.md shows fractions metrics.csv does not: {extra:?}"
    );
    let min = artifact["suppression"]["min_cell_size"].as_u64().unwrap();
    // The operating point that is the tool's own decision shows each group's four cells again.
    let ops = attacker::decision_rows_of_operating_points(&artifact, &md);
    let mut all = csv.clone();
    for line in ops.lines().skip(1) {
        all.push_str(line);
        all.push_str(&",".repeat(14));
        all.push('\n');
    }
    attacker::leaks(&artifact, &all, min)
}

/// shared.json's counts as metrics.csv rows (attribute, group, metric, numerator, denominator), for
/// the attacker: each finding's group and reference, and each pool's rates.
fn shared_as_csv(shared: &serde_json::Value) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["attribute", "group", "metric", "numerator", "denominator"])
        .unwrap();
    for f in shared["findings"].as_array().unwrap() {
        let Some(c) = f["numbers"]["counts"].as_array() else {
            continue;
        };
        let k = |i: usize| c[i].as_u64().unwrap().to_string();
        let (a, m) = (
            f["attribute"].as_str().unwrap(),
            f["metric"].as_str().unwrap(),
        );
        w.write_record([a, f["group"].as_str().unwrap(), m, &k(0), &k(1)])
            .unwrap();
        w.write_record([a, f["reference_group"].as_str().unwrap(), m, &k(2), &k(3)])
            .unwrap();
    }
    for p in shared["pools"].as_array().unwrap() {
        for m in p["rates"].as_array().unwrap() {
            w.write_record([
                p["attribute"].as_str().unwrap(),
                p["group"].as_str().unwrap(),
                m["metric"].as_str().unwrap(),
                &m["numerator"].to_string(),
                &m["denominator"].to_string(),
            ])
            .unwrap();
        }
    }
    String::from_utf8(w.into_inner().unwrap()).unwrap()
}

#[test]
fn the_shareable_artifact_gives_no_small_count_even_from_an_internal_run() {
    // An internal run shows every count in its own reports; shared.json made from its artifact
    // is suppressed all the same.
    let dir = tempfile::tempdir().unwrap();
    s1557()
        .current_dir(root())
        .args(["run", "protocols/example.toml", "--no-suppress", "--out"])
        .arg(dir.path())
        .assert()
        .code(predicates::ord::le(1));
    s1557()
        .arg("report")
        .arg(dir.path().join("artifact.json"))
        .arg("--shareable")
        .assert()
        .success();
    let shared = read_json(&dir.path().join("shared.json"));
    assert_eq!(shared["format"], "s1557-shared/1");
    // No hash of the full artifact: it would confirm guesses of the withheld counts.
    assert!(shared.get("artifact_sha256").is_none());
    let artifact = read_json(&dir.path().join("artifact.json"));
    let leaks = attacker::leaks(&artifact, &shared_as_csv(&shared), 11);
    assert!(leaks.is_empty(), "{leaks:#?}");
    // Withheld findings say why; the pooled members' statuses stay.
    let nhpi = shared["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "race/Native Hawaiian or Other Pacific Islander/tpr")
        .unwrap();
    assert!(nhpi["numbers"].is_null());
    assert!(
        nhpi["withheld"]
            .as_str()
            .unwrap()
            .starts_with("withheld: a count under 11; see Pooled ("),
        "{nhpi}"
    );
    assert_eq!(nhpi["status"], "insufficient_data");
}

#[test]
fn the_attacker_finds_the_leak_of_an_unprotected_report() {
    // The check can fail: with suppression off, every small cell is there to be read.
    let dir = tempfile::tempdir().unwrap();
    s1557()
        .current_dir(root())
        .args(["run", "protocols/example.toml", "--no-suppress", "--out"])
        .arg(dir.path())
        .assert()
        .code(predicates::ord::le(1));
    let leaks = attack(dir.path());
    assert!(
        leaks.iter().any(|l| l.attribute == "race"
            && l.groups == ["race: Native Hawaiian or Other Pacific Islander"]
            && l.cells == ["fn"]
            && l.value == 1),
        "{leaks:?}"
    );
}

#[test]
fn the_attacker_reads_the_operating_point_that_is_the_decision() {
    // The example's cut-off of 0.5 is the flag itself: its table's rows are read as the groups'
    // four cells (so the check above is not vacuous).
    let dir = root().join("reports/example");
    let artifact = read_json(&dir.join("artifact.json"));
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    let rows = attacker::decision_rows_of_operating_points(&artifact, &md);
    assert!(
        rows.contains("\"race\",\"Black or African American\",tpr"),
        "{rows}"
    );
    assert!(
        !rows.contains("Native Hawaiian"),
        "a withheld row was read: {rows}"
    );
}

#[test]
fn no_count_from_1_to_10_can_be_derived_from_the_shipped_example() {
    let leaks = attack(&root().join("reports/example"));
    assert!(
        leaks.is_empty(),
        "{} derivable small counts: {leaks:#?}",
        leaks.len()
    );
}

#[test]
fn no_count_from_1_to_10_can_be_derived_from_a_small_clinic() {
    // 1,500 patients: many groups and crossed cells are small.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("small.csv");
    s1557()
        .args(["generate", "--rows", "1500", "--seed", "7", "--out"])
        .arg(&data)
        .assert()
        .success();
    let out = dir.path().join("out");
    s1557()
        .current_dir(root())
        .args(["run", "protocols/example.toml", "--data"])
        .arg(&data)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(predicates::ord::le(1));
    let leaks = attack(&out);
    assert!(
        leaks.is_empty(),
        "{} derivable small counts: {leaks:#?}",
        leaks.len()
    );
}
