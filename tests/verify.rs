//! `s1557 verify`: the shipped example verifies; an artifact edited in any one place (a p-value,
//! a count, a status, the protocol hash, a removed comparison) is rejected, naming the place; an
//! artifact of an unsupported schema version cannot be read.

mod common;
use common::{read_json, root, s1557};

use predicates::prelude::*;
use serde_json::Value;

const EXIT_UNVERIFIED: i32 = 4;

fn shipped() -> Value {
    let p = root().join("reports/example/artifact.json");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// Write `a` and run `verify` on it.
fn verify(a: &Value, extra: &[&str]) -> assert_cmd::assert::Assert {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("artifact.json");
    std::fs::write(&p, serde_json::to_string_pretty(a).unwrap()).unwrap();
    s1557().arg("verify").arg(&p).args(extra).assert()
}

fn comparison<'a>(a: &'a mut Value, id: &str) -> &'a mut Value {
    a["comparisons"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no comparison {id}"))
}

#[test]
fn the_shipped_example_verifies() {
    s1557()
        .arg("verify")
        .arg(root().join("reports/example/artifact.json"))
        .assert()
        .success()
        .stdout(predicate::str::contains("verified:"))
        .stderr(predicate::str::contains("score estimates"));
    // With the clinic's protocol and the data, the scores are recomputed too.
    s1557()
        .arg("verify")
        .arg(root().join("reports/example/artifact.json"))
        .arg("--protocol")
        .arg(root().join("protocols/example.toml"))
        .arg("--data")
        .arg(root().join("datasets/example.csv"))
        .assert()
        .success()
        .stderr(predicate::str::contains("score estimates").not());
}

#[test]
fn an_edited_p_value_is_named() {
    let mut a = shipped();
    let p = &mut comparison(&mut a, "race/Asian/tpr")["test"]["p_value"];
    *p = Value::from(p.as_f64().unwrap() * 1.0001);
    verify(&a, &[])
        .code(EXIT_UNVERIFIED)
        .stdout(
            predicate::str::contains("1 difference").and(predicate::str::contains(
                "comparisons[race/Asian/tpr].test.p_value: stated",
            )),
        );
}

#[test]
fn an_edited_count_is_named() {
    let mut a = shipped();
    let g = &mut a["sufficient_statistics"][0]["groups"][1]["counts"]["tp"];
    *g = Value::from(g.as_u64().unwrap() + 1);
    verify(&a, &[])
        .code(EXIT_UNVERIFIED)
        .stdout(predicate::str::contains(
            "sufficient_statistics[race]: stated 30001 cases, recomputed 30000 cases (data.cases)",
        ));
}

#[test]
fn an_edited_status_is_named_with_the_summary() {
    let mut a = shipped();
    let s = &mut comparison(&mut a, "race/Black or African American/tpr")["assessment"]["status"];
    assert_eq!(*s, "remediate");
    *s = Value::from("pass");
    verify(&a, &[]).code(EXIT_UNVERIFIED).stdout(
        predicate::str::contains(
            "comparisons[race/Black or African American/tpr].assessment.status: stated \"pass\", recomputed \"remediate\"",
        )
        .and(predicate::str::contains("summary.remediate: stated 8, recomputed 7 (the artifact's own findings)")),
    );
}

#[test]
fn a_swapped_protocol_hash_is_named() {
    let mut a = shipped();
    a["protocol"]["sha256"] = Value::from("0".repeat(64));
    verify(&a, &[]).code(EXIT_UNVERIFIED).stdout(
        predicate::str::contains("protocol.sha256: stated 0000")
            .and(predicate::str::contains("protocol.text")),
    );
    // Against the clinic's own protocol: a different protocol is named as such.
    let other = root().join("protocols/nhanes_diabetes.toml");
    verify(&shipped(), &["--protocol", other.to_str().unwrap()])
        .code(EXIT_UNVERIFIED)
        .stdout(predicate::str::contains("(the protocol given)"));
}

#[test]
fn a_removed_comparison_is_named() {
    let mut a = shipped();
    a["comparisons"]
        .as_array_mut()
        .unwrap()
        .retain(|c| c["id"] != "sex/Female/fpr");
    verify(&a, &[])
        .code(EXIT_UNVERIFIED)
        .stdout(predicate::str::contains(
            "comparisons[sex/Female/fpr]: stated (missing), recomputed present",
        ));
}

#[test]
fn an_edited_score_p_value_moves_the_family() {
    // Score estimates are taken as stated without the data, but their adjusted p-values are
    // recomputed: an edited adjusted p is caught.
    let mut a = shipped();
    let c = a["scores"]["comparisons"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|c| c["p_adjusted"].as_f64().is_some_and(|p| p < 1.0))
        .unwrap();
    c["p_adjusted"] = Value::from(1.0);
    verify(&a, &[])
        .code(EXIT_UNVERIFIED)
        .stdout(predicate::str::contains("].p_adjusted: stated 1.0"));
}

#[test]
fn an_unsupported_schema_version_cannot_be_read() {
    let mut a = shipped();
    a["schema_version"] = Value::from("9.0.0");
    verify(&a, &[]).code(2).stderr(predicate::str::contains(
        "has schema version `9.0.0`; this build reads 1.1.0, 1.2.0, 1.3.0, 1.4.0, 1.5.0, 1.6.0, 1.7.0",
    ));
    let mut b = shipped();
    b.as_object_mut().unwrap().remove("summary");
    verify(&b, &[]).code(2).stderr(
        predicate::str::contains("does not follow the artifact schema 1.7.0")
            .and(predicate::str::contains("missing field `summary`")),
    );
}

#[test]
fn reading_an_artifact_and_writing_it_back_gives_the_same_bytes() {
    let p = root().join("reports/example/artifact.json");
    let (a, _) = s1557::artifact::read(&p).unwrap();
    assert_eq!(
        s1557::artifact::to_json(&a),
        std::fs::read_to_string(&p).unwrap()
    );
}

#[test]
fn a_group_name_with_a_slash_keeps_its_comparisons_and_verifies() {
    // OMB SPD 15 (2024) names a category "Multiracial and/or Multiethnic".
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("race,flag,event\n");
    for (race, flag, event, n) in [
        ("W", 1, 1, 300),
        ("W", 0, 1, 100),
        ("W", 1, 0, 200),
        ("W", 0, 0, 1400),
        ("M", 1, 1, 40),
        ("M", 0, 1, 60),
        ("M", 1, 0, 30),
        ("M", 0, 0, 370),
    ] {
        for _ in 0..n {
            csv += &format!("{race},{flag},{event}\n");
        }
    }
    std::fs::write(dir.path().join("data.csv"), csv).unwrap();
    let protocol = dir.path().join("p.toml");
    std::fs::write(
        &protocol,
        r#"protocol_version = "1.0.0"
name = "slash"
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
name = "race"
column = "race"
standard = "omb_race_ethnicity_2024"
reference = "White"
map = { "W" = "White", "M" = "Multiracial and/or Multiethnic" }
[analysis]
metrics = ["tpr"]
[[triggers]]
id = "missed"
metric = "tpr"
difference = { min = -0.1, max = 0.1 }
severity = "remediate"
action = "act"
"#,
    )
    .unwrap();
    let out = dir.path().join("out");
    s1557()
        .arg("run")
        .arg(&protocol)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(1);
    let a: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("artifact.json")).unwrap()).unwrap();
    let ids: Vec<&str> = a["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["race/Multiracial and%2For Multiethnic/tpr"]);
    assert_eq!(
        a["comparisons"][0]["group"],
        "Multiracial and/or Multiethnic"
    );
    assert_eq!(a["comparisons"][0]["assessment"]["status"], "remediate");
    let csv = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    assert!(
        csv.lines().any(
            |l| l.starts_with("race,Multiracial and/or Multiethnic,tpr,")
                && l.contains("remediate")
        ),
        "{csv}"
    );
    s1557()
        .arg("verify")
        .arg(out.join("artifact.json"))
        .assert()
        .success();
}

#[test]
fn the_vendor_flow_runs_from_the_shipped_example() {
    // Vendor: rows → counts (Parquet) → artifact. Clinic: verify against its own protocol, and
    // with the counts file, scores included. A counts file other than the one the artifact was
    // made from is named.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let protocol = root().join("protocols/example.toml");
    s1557()
        .arg("counts")
        .arg(&protocol)
        .arg("--out")
        .arg(d.join("counts.parquet"))
        .assert()
        .success();
    s1557()
        .arg("run")
        .arg(&protocol)
        .arg("--data")
        .arg(d.join("counts.parquet"))
        .arg("--out")
        .arg(d.join("vendor"))
        .assert()
        .code(1);
    let artifact = d.join("vendor/artifact.json");
    s1557()
        .arg("verify")
        .arg(&artifact)
        .arg("--protocol")
        .arg(&protocol)
        .assert()
        .success();
    s1557()
        .arg("verify")
        .arg(&artifact)
        .arg("--data")
        .arg(d.join("counts.parquet"))
        .assert()
        .success()
        .stderr(predicate::str::contains("score estimates").not());
    s1557()
        .arg("counts")
        .arg(&protocol)
        .arg("--out")
        .arg(d.join("counts.csv"))
        .assert()
        .success();
    s1557()
        .arg("verify")
        .arg(&artifact)
        .arg("--data")
        .arg(d.join("counts.csv"))
        .assert()
        .code(EXIT_UNVERIFIED)
        .stdout(predicate::str::contains("data.sha256: stated"));
}

#[test]
fn a_sign_off_binds_to_its_artifact() {
    let dir = tempfile::tempdir().unwrap();
    let art = dir.path().join("artifact.json");
    std::fs::copy(root().join("reports/example/artifact.json"), &art).unwrap();
    let attest = |extra: &[&str]| {
        s1557()
            .arg("attest")
            .arg(&art)
            .args([
                "--reviewer",
                "Dana Ortiz",
                "--role",
                "Compliance officer",
                "--decision",
                "accept-with-actions",
                "--rationale",
                "Vendor recalibration requested for the missed readmissions",
                "--date",
                "2026-10-15",
            ])
            .args(extra)
            .assert()
    };
    attest(&[]).success().stdout(predicate::str::contains(
        "signed: Dana Ortiz (Compliance officer) accepted with actions",
    ));
    let s: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("attestation.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(s["decision"], "accept_with_actions");
    assert_eq!(s["artifact"]["overall"], "remediate");
    // Signing changes no byte of the artifact.
    assert_eq!(
        std::fs::read(&art).unwrap(),
        std::fs::read(root().join("reports/example/artifact.json")).unwrap()
    );
    s1557()
        .arg("verify")
        .arg(&art)
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "signed off by Dana Ortiz (Compliance officer) on 2026-10-15: accept_with_actions",
        ));
    attest(&[])
        .code(2)
        .stderr(predicate::str::contains("pass --replace"));
    attest(&["--replace"]).success();
    // The artifact rewritten (the same content in other bytes): the sign-off no longer binds.
    let a: Value = serde_json::from_str(&std::fs::read_to_string(&art).unwrap()).unwrap();
    std::fs::write(&art, serde_json::to_string(&a).unwrap()).unwrap();
    s1557()
        .arg("verify")
        .arg(&art)
        .assert()
        .code(EXIT_UNVERIFIED)
        .stdout(predicate::str::contains(
            "attestation.json: artifact.sha256: stated",
        ));
    // An artifact that does not verify cannot be signed.
    let mut b = a.clone();
    b["summary"]["pass"] = Value::from(99);
    std::fs::write(&art, serde_json::to_string_pretty(&b).unwrap()).unwrap();
    attest(&["--replace"])
        .code(EXIT_UNVERIFIED)
        .stdout(predicate::str::contains("not signed"));
}

#[test]
fn an_artifact_of_schema_1_1_0_verifies_under_its_own_rules() {
    // Schema 1.1.0 had no record, no direction of harm (every band judged on both sides), no
    // harm statements and no protocol text, and judged statuses by the rules before 1.4.0. The
    // 1.3.0 fixture (made under those status rules, by a protocol whose bands are one-sided on
    // the side that harms, so they judge the same on both sides), written as 1.1.0 wrote it,
    // verifies against its protocol without the record and the `direction` lines.
    let dir = tempfile::tempdir().unwrap();
    let full = std::fs::read_to_string(root().join("protocols/care-enrolment.toml")).unwrap();
    let text: String = full[..full.find("# The oversight record").unwrap()]
        .lines()
        .filter(|l| !l.starts_with("direction = "))
        .map(|l| format!("{l}\n"))
        .collect();
    let protocol = dir.path().join("both.toml");
    std::fs::write(&protocol, &text).unwrap();
    let mut a = read_json(&root().join("tests/fixtures/artifact-1.3.0.json"));
    let o = a.as_object_mut().unwrap();
    o.remove("record");
    o.remove("pools");
    o["schema_version"] = Value::from("1.1.0");
    o["protocol"].as_object_mut().unwrap().remove("text");
    o["protocol"]["sha256"] = Value::from(s1557::protocol::sha256_hex(text.as_bytes()));
    for t in o["triggers"].as_array_mut().unwrap() {
        t.as_object_mut().unwrap().remove("direction");
    }
    // 1.1.0 had no harm statements, and its explanations did not name the side that harms.
    let strip = |list: &mut Value| {
        for c in list.as_array_mut().unwrap() {
            c["assessment"].as_object_mut().unwrap().remove("harm");
            for v in c["assessment"]["verdicts"].as_array_mut().unwrap() {
                let e = v["explanation"].as_str().unwrap().to_string();
                if let Some(i) = e.find("; only a ") {
                    v["explanation"] = Value::from(&e[..i]);
                }
            }
        }
    };
    strip(&mut o["comparisons"]);
    verify(&a, &["--protocol", protocol.to_str().unwrap()])
        .success()
        .stdout(predicate::str::contains("verified:"));
    // Without the protocol, a 1.1.0 artifact (no embedded text) cannot be verified.
    verify(&a, &[]).code(2).stderr(predicate::str::contains(
        "carries no protocol text: pass --protocol",
    ));
}

#[test]
fn an_action_round_trips_and_is_verified() {
    let dir = tempfile::tempdir().unwrap();
    let art = dir.path().join("artifact.json");
    std::fs::copy(root().join("reports/example/artifact.json"), &art).unwrap();
    let id = "race/Black or African American/tpr";
    s1557()
        .arg("action")
        .arg(&art)
        .args(["--finding", id, "--taken", "Vendor asked to recalibrate"])
        .args(["--owner", "Director of Quality", "--due", "2026-11-15"])
        .args(["--date", "2026-10-16"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "recorded: `race/Black or African American/tpr` open",
        ));
    s1557()
        .arg("action")
        .arg(&art)
        .args([
            "--finding",
            id,
            "--status",
            "done",
            "--evidence",
            "gap closed to -7 pts",
        ])
        .args(["--date", "2027-01-20"])
        .assert()
        .success();
    let log: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("actions.json")).unwrap())
            .unwrap();
    let a = &log["actions"][0];
    assert_eq!(a["finding_status"], "remediate");
    assert_eq!(a["status"], "done");
    assert_eq!(a["opened"], "2026-10-16");
    assert_eq!(a["history"].as_array().unwrap().len(), 2);
    s1557()
        .arg("verify")
        .arg(&art)
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "actions: 1 recorded (0 open, 0 in progress, 1 done",
        ));
    // An action on a finding the artifact does not have is refused, and named by verify.
    s1557()
        .arg("action")
        .arg(&art)
        .args([
            "--finding",
            "race/Nobody/tpr",
            "--taken",
            "x",
            "--owner",
            "y",
            "--due",
            "2027-01-01",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "the artifact has no finding `race/Nobody/tpr`",
        ));
    let edited = std::fs::read_to_string(dir.path().join("actions.json"))
        .unwrap()
        .replace(id, "race/Nobody/tpr");
    std::fs::write(dir.path().join("actions.json"), edited).unwrap();
    s1557()
        .arg("verify")
        .arg(&art)
        .assert()
        .code(EXIT_UNVERIFIED)
        .stdout(predicate::str::contains(
            "actions.json: actions[race/Nobody/tpr]",
        ));
}

#[test]
fn report_renders_an_artifact_with_its_sign_off_and_actions() {
    let dir = tempfile::tempdir().unwrap();
    // The shipped artifact renders the shipped report, byte for byte.
    s1557()
        .arg("report")
        .arg(root().join("reports/example/artifact.json"))
        .arg("--out")
        .arg(dir.path())
        .assert()
        .success();
    assert_eq!(
        std::fs::read(dir.path().join("report.md")).unwrap(),
        std::fs::read(root().join("reports/example/report.md")).unwrap()
    );
    let art = dir.path().join("artifact.json");
    std::fs::copy(root().join("reports/example/artifact.json"), &art).unwrap();
    s1557()
        .arg("action")
        .arg(&art)
        .args([
            "--finding",
            "age/75-89/tpr",
            "--taken",
            "Review unflagged discharges of patients aged 75-89",
        ])
        .args([
            "--owner",
            "Nurse manager",
            "--due",
            "2026-11-30",
            "--date",
            "2026-10-16",
        ])
        .assert()
        .success();
    s1557()
        .arg("attest")
        .arg(&art)
        .args(["--reviewer", "Dana Ortiz", "--role", "Compliance officer"])
        .args([
            "--decision",
            "accept-with-actions",
            "--rationale",
            "Actions opened.",
        ])
        .args(["--date", "2026-10-16"])
        .assert()
        .success();
    s1557()
        .arg("report")
        .arg(&art)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "with the sign-off and the actions log",
        ));
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    assert!(md.contains("| age/75-89/tpr | open | Review unflagged discharges of patients aged 75-89 | Nurse manager | 2026-10-16 | 2026-11-30 | — |"));
    assert!(md.contains(
        "Signed off by **Dana Ortiz** (Compliance officer) on 2026-10-16: **accept with actions**."
    ));
}

#[test]
fn an_artifact_of_schema_1_3_0_verifies_under_its_own_status_rules() {
    // Written by the build before 1.4.0 (the care-management flag of the board example, 2026-Q3):
    // one correction family for the run, and power judged before the interval.
    let fixture = root().join("tests/fixtures/artifact-1.3.0.json");
    let old: Value = serde_json::from_str(&std::fs::read_to_string(&fixture).unwrap()).unwrap();
    assert_eq!(old["schema_version"], "1.3.0");
    verify(&old, &[]).success().stderr(predicate::str::contains(
        "verified under schema 1.3.0's status rules",
    ));
    // A status it states is checked under those rules.
    let mut tampered = old.clone();
    tampered["summary"]["pass"] = Value::from(7);
    verify(&tampered, &[])
        .code(4)
        .stdout(predicate::str::contains(
            "summary.pass: stated 7, recomputed 6",
        ));
    // The same data under the current rules (the shipped board example's run): the findings
    // power vetoed are judged by their intervals; no finding to remediate is lost.
    let now = read_json(&root().join("reports/board/runs/care-enrolment/2026-q3/artifact.json"));
    assert_eq!(now["schema_version"], "1.7.0");
    assert_eq!(now["data"]["sha256"], old["data"]["sha256"]);
    let n = |a: &Value, k: &str| a["summary"][k].as_u64().unwrap();
    assert_eq!(
        (
            n(&old, "remediate"),
            n(&old, "pass"),
            n(&old, "insufficient_data")
        ),
        (1, 6, 45)
    );
    assert!(n(&now, "pass") > 6 && n(&now, "insufficient_data") < 45);
    let remediate = |a: &Value| -> Vec<String> {
        a["comparisons"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["assessment"]["status"] == "remediate")
            .map(|f| f["id"].as_str().unwrap().to_string())
            .collect()
    };
    let kept = remediate(&now);
    for id in remediate(&old) {
        assert!(kept.contains(&id), "{id} no longer remediate");
    }
}

#[test]
fn base_rates_and_shrinkage_are_verified_and_an_artifact_of_schema_1_4_0_reads_without_them() {
    let a = read_json(&root().join("reports/example/artifact.json"));
    assert_eq!(a["schema_version"], "1.7.0");
    // A changed split is named.
    let mut tampered = a.clone();
    tampered["base_rates"]["attributes"][0]["groups"][0]["due_to_tool"]["value"] = Value::from(0.5);
    verify(&tampered, &[])
        .code(4)
        .stdout(predicate::str::contains("base_rates"));
    // Schema 1.5.0 had no design; an artifact without one reads as it is.
    // Nor the composite gaps' simultaneous intervals.
    let mut v15 = a.clone();
    v15["schema_version"] = Value::from("1.5.0");
    verify(&v15, &[]).code(4);
    for x in v15["attributes"].as_array_mut().unwrap() {
        for g in x["composite"].as_array_mut().unwrap() {
            g.as_object_mut().unwrap().remove("simultaneous");
        }
    }
    verify(&v15, &[]).success();
    // Schema 1.4.0 had no base rates: the same artifact without them verifies under 1.4.0.
    let mut old = v15.clone();
    old["schema_version"] = Value::from("1.4.0");
    old.as_object_mut().unwrap().remove("base_rates");
    old.as_object_mut().unwrap().remove("shrunk");
    // Nor the overall calibration and the calibration lines by group.
    old["scores"]
        .as_object_mut()
        .unwrap()
        .remove("overall_calibration");
    for x in old["scores"]["attributes"].as_array_mut().unwrap() {
        for g in x["groups"].as_array_mut().unwrap() {
            if let Some(c) = g.get_mut("calibration").and_then(|c| c.as_object_mut()) {
                c.remove("integrated_calibration_index");
                c.remove("versus_reference");
            }
        }
    }
    verify(&old, &[])
        .success()
        .stdout(predicate::str::contains("verified:"));
    // A changed shrunk rate is named.
    let mut shrunk = a.clone();
    shrunk["shrunk"][0]["prior_mean"] = Value::from(0.5);
    verify(&shrunk, &[])
        .code(4)
        .stdout(predicate::str::contains("shrunk"));
    // A 1.5.0 artifact without them does not.
    let mut missing = a.clone();
    missing.as_object_mut().unwrap().remove("base_rates");
    verify(&missing, &[])
        .code(4)
        .stdout(predicate::str::contains("base_rates"));
}
