//! Helpers shared by the test files: reading reference fixtures and the tolerance policy.
#![allow(dead_code)] // each test file uses its own subset

use serde_json::Value;

/// The cases of section `name` of a fixture file's JSON text; at least `min` of them.
pub fn cases(json: &str, name: &str, min: usize) -> Vec<Value> {
    let v: Value = serde_json::from_str(json).expect("the fixture parses");
    let list = v[name]
        .as_array()
        .unwrap_or_else(|| panic!("no cases for {name}"))
        .clone();
    assert!(list.len() >= min, "{name}: only {} cases", list.len());
    list
}

/// Field `k` of a case as a number.
pub fn f(v: &Value, k: &str) -> f64 {
    v[k].as_f64()
        .unwrap_or_else(|| panic!("{k} is not a number in {v}"))
}

/// Field `k` of a case as a count.
pub fn u(v: &Value, k: &str) -> u64 {
    v[k].as_u64()
        .unwrap_or_else(|| panic!("{k} is not a count in {v}"))
}

/// The tolerance policy: `|ours − reference| ≤ 1e-9 · max(|ours|, |reference|) + 1e-15`,
/// relative agreement to nine digits with an absolute floor for values that are zero up to
/// rounding.
#[track_caller]
pub fn close(ours: f64, reference: f64, what: &str) {
    let tol = 1e-9 * ours.abs().max(reference.abs()) + 1e-15;
    assert!(
        (ours - reference).abs() <= tol,
        "{what}: ours {ours:e}, reference {reference:e}, |diff| {:e}",
        (ours - reference).abs()
    );
}

/// The project's folder.
pub fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `s1557` binary, ready to take arguments.
pub fn s1557() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("s1557").unwrap()
}

/// A JSON file's value.
pub fn read_json(p: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}
