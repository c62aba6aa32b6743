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
    attacker::leaks(&artifact, &csv, min)
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
