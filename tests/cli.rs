//! End-to-end tests of the `s1557` command: the happy path on the shipped example, the shipped
//! reports kept current, every class of bad input with its message and exit code, and the
//! pitfalls of other fairness toolkits that s1557 must not repeat.

mod attacker;
mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

const EXIT_REMEDIATE: i32 = 1;
const EXIT_INPUT: i32 = 2;
const EXIT_FAILURE: i32 = 3;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn s1557() -> Command {
    let mut c = Command::cargo_bin("s1557").expect("binary builds");
    c.current_dir(root());
    c
}

fn read_json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).expect("artifact written"))
        .expect("artifact is JSON")
}

fn finding<'a>(a: &'a Value, id: &str) -> &'a Value {
    a["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no comparison {id}"))
}

/// A small protocol over `data.csv` in the same folder; `extra` is appended.
fn protocol_text(extra: &str) -> String {
    format!(
        r#"protocol_version = "1.0.0"
name = "test"

[tool]
name = "Test tool"
vendor = "Test vendor"
version = "1"
intended_use = "testing"
decision_type = "binary"

[data]
path = "data.csv"

[columns]
decision = "flag"
outcome = "event"

[[attributes]]
name = "race"
column = "race"
standard = "omb_race_1997"
reference = "White"
map = {{ "W" = "White", "B" = "Black or African American" }}
{extra}"#
    )
}

fn setup(protocol: &str, data: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.toml"), protocol).unwrap();
    std::fs::write(dir.path().join("data.csv"), data).unwrap();
    dir
}

/// Rows `race,flag,event` repeated: `(race, flag, event, count)`.
fn rows(cells: &[(&str, u8, u8, usize)]) -> String {
    let mut s = String::from("race,flag,event\n");
    for (r, f, e, n) in cells {
        for _ in 0..*n {
            s.push_str(&format!("{r},{f},{e}\n"));
        }
    }
    s
}

#[test]
fn example_run_finds_the_injected_disparities() {
    let out = tempfile::tempdir().unwrap();
    s1557()
        .args(["run", "protocols/example.toml", "--out"])
        .arg(out.path())
        .assert()
        .code(EXIT_REMEDIATE)
        .stdout(predicate::str::contains("remediate"));
    let a = read_json(&out.path().join("artifact.json"));
    assert_eq!(a["schema_version"], "1.7.0");
    assert_eq!(a["data"]["cases"], 30000);
    assert_eq!(a["summary"]["overall"], "remediate");
    // Injected: Black patients' readmissions are missed more often.
    let black_tpr = finding(&a, "race/Black or African American/tpr");
    assert_eq!(black_tpr["assessment"]["status"], "remediate");
    assert_eq!(
        black_tpr["assessment"]["rule"],
        "beyond_threshold_significant"
    );
    assert!(black_tpr["difference"]["value"].as_f64().unwrap() < -0.2);
    // Injected: a smaller shortfall at ages 75-89.
    assert_eq!(
        finding(&a, "age/75-89/tpr")["assessment"]["status"],
        "remediate"
    );
    // Sex has no effect: the interval lies inside the band.
    let female = finding(&a, "sex/Female/tpr");
    assert_eq!(female["assessment"]["status"], "pass");
    assert_eq!(female["assessment"]["rule"], "equivalence");
    // A 0.4% group is too small to judge, and is never called a pass.
    assert_eq!(
        finding(&a, "race/Native Hawaiian or Other Pacific Islander/tpr")["assessment"]["status"],
        "insufficient_data"
    );
    // Missing race codes form an explicit Unknown group, and the groups add up to every case.
    let race = a["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["attribute"] == "race")
        .unwrap();
    let groups = race["groups"].as_array().unwrap();
    assert_eq!(groups.last().unwrap()["group"], "Unknown");
    assert_eq!(
        groups.iter().map(|g| g["n"].as_u64().unwrap()).sum::<u64>(),
        30000
    );
    // The fired trigger carries its action.
    assert!(a["triggers_fired"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["comparison"] == "race/Black or African American/tpr"
            && t["trigger"] == "missed-readmissions"
            && t["action"].as_str().unwrap().contains("recalibration")));
    let md = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    let act = md.find("## Findings to act on").unwrap();
    let groups_at = md.find("## Groups by attribute").unwrap();
    assert!(act < groups_at, "findings come first");
    assert!(md[act..groups_at].contains("Black or African American"));
}

#[test]
fn shipped_reports_are_current() {
    let out = tempfile::tempdir().unwrap();
    s1557()
        .args(["run", "protocols/example.toml", "--out"])
        .arg(out.path())
        .assert()
        .code(EXIT_REMEDIATE);
    same_files(
        out.path(),
        &root().join("reports/example"),
        "the README's main command",
    );
}

/// Every file the run wrote (figures included) is in `shipped`, byte for byte, and `shipped` holds
/// no other output but the rendered first page.
fn same_files(fresh: &std::path::Path, shipped: &std::path::Path, command: &str) {
    let list = |d: &std::path::Path| -> Vec<String> {
        let mut v = Vec::new();
        for e in std::fs::read_dir(d).unwrap() {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            if e.file_type().unwrap().is_dir() {
                for f in std::fs::read_dir(e.path()).unwrap() {
                    v.push(format!(
                        "{name}/{}",
                        f.unwrap().file_name().to_string_lossy()
                    ));
                }
            } else if name != "report-first-page.png" {
                v.push(name);
            }
        }
        v.sort();
        v
    };
    assert_eq!(
        list(fresh),
        list(shipped),
        "{}: files differ",
        shipped.display()
    );
    for f in list(fresh) {
        assert!(
            std::fs::read(fresh.join(&f)).unwrap() == std::fs::read(shipped.join(&f)).unwrap(),
            "{}/{f} is stale: rerun {command}",
            shipped.display()
        );
    }
}

#[test]
fn the_shipped_second_quarter_is_current() {
    // The README's quarter-over-quarter example: its data is the generator's, and its reports
    // are what the README's command writes.
    let out = tempfile::tempdir().unwrap();
    let data = out.path().join("example-q2.csv");
    s1557()
        .args(["generate", "--seed", "1558", "--disparity", "0.3", "--out"])
        .arg(&data)
        .assert()
        .success();
    assert!(
        std::fs::read(&data).unwrap()
            == std::fs::read(root().join("datasets/example-q2.csv")).unwrap_or_default(),
        "datasets/example-q2.csv is stale: rerun the README's generate command"
    );
    s1557()
        .args([
            "run",
            "protocols/example.toml",
            "--data",
            "datasets/example-q2.csv",
            "--period",
            "2026-10-01..2026-12-31",
            "--previous",
            "reports/example/artifact.json",
            "--out",
        ])
        .arg(out.path().join("q2"))
        .assert()
        .code(EXIT_REMEDIATE);
    same_files(
        &out.path().join("q2"),
        &root().join("reports/example-q2"),
        "the README's quarter-over-quarter command",
    );
}

#[test]
fn same_inputs_give_the_same_bytes() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for d in [&a, &b] {
        s1557()
            .args(["run", "protocols/example.toml", "--out"])
            .arg(d.path())
            .assert()
            .code(EXIT_REMEDIATE);
    }
    for f in ["artifact.json", "metrics.csv", "report.md"] {
        assert_eq!(
            std::fs::read(a.path().join(f)).unwrap(),
            std::fs::read(b.path().join(f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn the_example_data_is_what_the_generator_makes() {
    let out = tempfile::tempdir().unwrap();
    let p = out.path().join("example.csv");
    s1557()
        .args(["generate", "--rows", "30000", "--seed", "1557", "--out"])
        .arg(&p)
        .assert()
        .success();
    assert!(
        std::fs::read(&p).unwrap() == std::fs::read(root().join("datasets/example.csv")).unwrap(),
        "datasets/example.csv differs from the generator's output"
    );
}

#[test]
fn metrics_csv_has_the_documented_columns() {
    let out = tempfile::tempdir().unwrap();
    s1557()
        .args(["run", "protocols/example.toml", "--out"])
        .arg(out.path())
        .assert()
        .code(EXIT_REMEDIATE);
    let csv = std::fs::read_to_string(out.path().join("metrics.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "attribute,group,metric,numerator,denominator,value,ci_low,ci_high,reference_group,ratio,ratio_ci_low,ratio_ci_high,difference,difference_ci_low,difference_ci_high,test,p_value,p_adjusted,status"
    );
    let reference_row = lines
        .clone()
        .find(|l| l.starts_with("race,White,tpr,"))
        .unwrap();
    assert!(
        reference_row.ends_with(",White,,,,,,,,,,"),
        "reference group has empty comparison fields: {reference_row}"
    );
    let black = lines
        .clone()
        .find(|l| l.starts_with("race,Black or African American,tpr,"))
        .unwrap();
    assert!(black.ends_with(",remediate"));
    assert!(black.contains(",pooled_z,"));
    // The 0.4% group's small cells are suppressed, its status kept.
    let nhpi = lines
        .clone()
        .find(|l| l.starts_with("race,Native Hawaiian or Other Pacific Islander,tpr,"))
        .unwrap();
    assert!(
        nhpi.starts_with("race,Native Hawaiian or Other Pacific Islander,tpr,,,,,,White,"),
        "{nhpi}"
    );
    assert!(nhpi.ends_with(",insufficient_data"));
}

#[test]
fn schema_describes_the_artifact() {
    let out = s1557()
        .arg("schema")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let schema: Value = serde_json::from_slice(&out).unwrap();
    let props = schema["properties"].as_object().unwrap();
    for key in [
        "schema_version",
        "tool",
        "protocol",
        "data",
        "run",
        "summary",
        "attributes",
        "comparisons",
        "triggers_fired",
        "sufficient_statistics",
        "suppression",
        "attestation",
    ] {
        assert!(props.contains_key(key), "schema lacks {key}");
    }
    let required: Vec<&str> = schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(required.contains(&"comparisons"));
}

#[test]
fn validate_accepts_the_example() {
    s1557()
        .args(["validate", "protocols/example.toml"])
        .assert()
        .success()
        .stdout(predicate::str::contains("30000 cases"));
}

#[test]
fn init_writes_a_starter_that_validates() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("starter.toml");
    s1557()
        .args(["init", "--data", "datasets/example.csv", "--out"])
        .arg(&p)
        .assert()
        .success();
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(
        text.contains("column = \"race\"")
            && text.contains("standard = \"age_years\"")
            && text.contains("decision = \"flagged\"")
    );
    assert!(text.contains("\"B\" = \"Black or African American\""));
    s1557().arg("validate").arg(&p).assert().success();
}

/// `init` on the shape of BRFSS's columns: a Yes/No outcome named `HeartDisease`, text age bands
/// named `AgeCategory` (ordered, class age), `DiffWalking` as disability, `?` as not recorded;
/// every guess is marked EDIT, and the starter validates once the reference is chosen.
#[test]
fn init_recognises_camel_case_columns_text_age_bands_and_question_marks() {
    let mut data = String::from("HeartDisease,GenHealth,AgeCategory,DiffWalking,Sex,Race\n");
    let ages = ["18-24", "80 or older", "25-29", "Less than 18", "?"];
    for i in 0..60 {
        data += &format!(
            "{},{},{},{},{},{}\n",
            ["Yes", "No", "No"][i % 3],
            ["Good", "Poor"][i % 2],
            ages[i % 5],
            ["No", "Yes"][i % 2],
            ["Female", "Male"][i % 2],
            ["White", "Black", "?"][i % 3]
        );
    }
    let dir = setup("", &data);
    let out = s1557()
        .args(["init", "--data"])
        .arg(dir.path().join("data.csv"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    for expected in [
        "outcome = \"HeartDisease\"  # EDIT: guessed from its name",
        "column = \"AgeCategory\"  # EDIT: guessed from its name",
        "class = \"age\"",
        "order = [\"Less than 18\", \"18-24\", \"25-29\", \"80 or older\"]  # EDIT",
        "missing = [\"?\"]",
        "column = \"DiffWalking\"",
        "\"Yes\" = \"Disability\"",
        "\"?\" = \"Unknown\"",
        "# EDIT: each code's category is a guess; check every one",
    ] {
        assert!(text.contains(expected), "`{expected}` missing from\n{text}");
    }
}

#[test]
fn init_marks_codes_it_cannot_guess() {
    let dir = setup("", "race,flag,event\nW,1,0\nQ7,0,1\n");
    let out = s1557()
        .args(["init", "--data"])
        .arg(dir.path().join("data.csv"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("\"Q7\" = \"EDIT ME\""), "{text}");
}

#[test]
fn parquet_input_gives_the_same_results_as_csv() {
    let dir = tempfile::tempdir().unwrap();
    let pq = dir.path().join("example.parquet");
    s1557()
        .args(["generate", "--rows", "30000", "--out"])
        .arg(&pq)
        .assert()
        .success();
    let (a, b) = (dir.path().join("csv"), dir.path().join("pq"));
    s1557()
        .args(["run", "protocols/example.toml", "--out"])
        .arg(&a)
        .assert()
        .code(EXIT_REMEDIATE);
    s1557()
        .args(["run", "protocols/example.toml", "--data"])
        .arg(&pq)
        .arg("--out")
        .arg(&b)
        .assert()
        .code(EXIT_REMEDIATE);
    assert_eq!(
        std::fs::read(a.join("metrics.csv")).unwrap(),
        std::fs::read(b.join("metrics.csv")).unwrap()
    );
}

#[test]
fn counts_submission_gives_the_same_results_as_rows() {
    let cells = [
        ("W", 1, 1, 40),
        ("W", 0, 1, 10),
        ("W", 1, 0, 15),
        ("W", 0, 0, 135),
        ("B", 1, 1, 20),
        ("B", 0, 1, 20),
        ("B", 1, 0, 6),
        ("B", 0, 0, 54),
        ("", 1, 1, 3),
        ("", 0, 0, 9),
    ];
    let rows_dir = setup(&protocol_text(""), &rows(&cells));
    let mut counts = String::from("race,flag,event,n\n");
    for (r, f, e, n) in cells {
        counts.push_str(&format!("{r},{f},{e},{n}\n"));
    }
    let counts_dir = setup(
        &protocol_text("").replace("outcome = \"event\"", "outcome = \"event\"\ncount = \"n\""),
        &counts,
    );
    for d in [&rows_dir, &counts_dir] {
        s1557()
            .arg("run")
            .arg(d.path().join("p.toml"))
            .arg("--out")
            .arg(d.path().join("out"))
            .arg("--as-of")
            .arg("2026-01-01")
            .assert()
            .success();
    }
    let a = read_json(&rows_dir.path().join("out/artifact.json"));
    let b = read_json(&counts_dir.path().join("out/artifact.json"));
    assert_eq!(b["data"]["input"], "counts");
    assert_eq!(a["data"]["cases"], 312);
    assert_eq!(a["comparisons"], b["comparisons"]);
    assert_eq!(a["sufficient_statistics"], b["sufficient_statistics"]);
}

// ---- bad input: every error class, with its message and exit code ----

#[test]
fn toml_syntax_error_names_line_and_column() {
    let dir = setup("protocol_version = \"1\"\nname = \n", "race,flag,event\n");
    s1557()
        .arg("run")
        .arg(dir.path().join("p.toml"))
        .assert()
        .code(EXIT_INPUT)
        .stderr(predicate::str::is_match(r"p\.toml:2:\d+: ").unwrap());
}

#[test]
fn unknown_key_is_refused_with_its_place() {
    let dir = setup(
        &protocol_text("").replace("[columns]", "[columns]\ndecisoin = \"flag\""),
        "race,flag,event\n",
    );
    s1557()
        .arg("validate")
        .arg(dir.path().join("p.toml"))
        .assert()
        .code(EXIT_INPUT)
        .stderr(
            predicate::str::contains("unknown field `decisoin`")
                .and(predicate::str::contains("p.toml:15:1")),
        );
}

#[test]
fn every_protocol_problem_is_reported_at_once() {
    let text = protocol_text("\n[analysis]\nmetrics = [\"tpr\", \"recall\"]\nalpha = 1.5\n")
        .replace("reference = \"White\"", "reference = \"Whte\"");
    let dir = setup(&text, "race,flag,event\n");
    let assert = s1557()
        .arg("validate")
        .arg(dir.path().join("p.toml"))
        .assert()
        .code(EXIT_INPUT);
    let err = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(
        err.contains("reference group `Whte` of attribute `race` is not one of its groups"),
        "{err}"
    );
    assert!(err.contains("p.toml:22:13"), "{err}");
    assert!(
        err.contains("unknown metric `recall`") && err.contains("expected one of `prevalence`"),
        "{err}"
    );
    assert!(err.contains("`alpha` is 1.5"), "{err}");
}

#[test]
fn trigger_on_an_uncompared_metric_is_an_error() {
    let dir = setup(&protocol_text("\n[[triggers]]\nid = \"t\"\nmetric = \"npv\"\nratio = { min = 0.8 }\nseverity = \"remediate\"\naction = \"a\"\n"), "race,flag,event\n");
    s1557()
        .arg("validate")
        .arg(dir.path().join("p.toml"))
        .assert()
        .code(EXIT_INPUT)
        .stderr(predicate::str::contains(
            "which `analysis.metrics` does not compare",
        ));
}

#[test]
fn missing_data_file_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.toml"), protocol_text("")).unwrap();
    s1557()
        .arg("run")
        .arg(dir.path().join("p.toml"))
        .assert()
        .code(EXIT_INPUT)
        .stderr(predicate::str::contains("data file not found"));
}

#[test]
fn missing_protocol_file_is_an_input_error() {
    s1557()
        .args(["run", "protocols/nope.toml"])
        .assert()
        .code(EXIT_INPUT)
        .stderr(predicate::str::contains(
            "cannot read protocol `protocols/nope.toml`",
        ));
}

#[test]
fn missing_column_is_named() {
    let dir = setup(&protocol_text(""), "race,flag,outcome\nW,1,0\n");
    s1557()
        .arg("run")
        .arg(dir.path().join("p.toml"))
        .assert()
        .code(EXIT_INPUT)
        .stderr(predicate::str::contains(
            "column `event` (from `columns.outcome` in the protocol) is not in the data",
        ));
}

/// A `data.path` naming a file that holds none of the protocol's columns (another file on the
/// machine) is refused without printing that file's first line.
#[test]
fn a_data_path_to_another_file_does_not_print_its_first_line() {
    let dir = setup(&protocol_text(""), "race,flag,outcome\nW,1,0\n");
    let other = dir.path().join("secret.txt");
    std::fs::write(&other, "root:x:0:0:root:/root:/bin/bash\nline two\n").unwrap();
    s1557()
        .arg("run")
        .arg(dir.path().join("p.toml"))
        .arg("--data")
        .arg(&other)
        .assert()
        .code(EXIT_INPUT)
        .stderr(
            predicate::str::contains("holds none of the columns the protocol reads")
                .and(predicate::str::contains("root:x").not()),
        );
}

#[test]
fn direct_identifiers_are_refused() {
    let dir = setup(
        &protocol_text(""),
        "race,flag,event,patient_name,dob\nW,1,0,x,y\n",
    );
    s1557()
        .arg("run")
        .arg(dir.path().join("p.toml"))
        .assert()
        .code(EXIT_INPUT)
        .stderr(
            predicate::str::contains(
                "data.csv:1:4: column `patient_name` looks like a person's name",
            )
            .and(predicate::str::contains(
                "column `dob` looks like a date of birth",
            )),
        );
}

#[test]
fn unmapped_value_names_value_column_count_and_line() {
    let dir = setup(
        &protocol_text(""),
        "race,flag,event\nW,1,0\nX,0,0\nB,1,1\nX,1,1\n",
    );
    s1557()
        .arg("run")
        .arg(dir.path().join("p.toml"))
        .assert()
        .code(EXIT_INPUT)
        .stderr(predicate::str::contains(
            "data.csv:3: value `X` is not in the map of attribute `race` (2 rows, first at line 3)",
        ));
}

#[test]
fn bad_decision_value_is_an_error() {
    let dir = setup(&protocol_text(""), "race,flag,event\nW,maybe,0\nW,1,0\n");
    s1557()
        .arg("run")
        .arg(dir.path().join("p.toml"))
        .assert()
        .code(EXIT_INPUT)
        .stderr(predicate::str::contains(
            "decision `maybe` in column `flag` is not a yes/no value (1 row, first at line 2)",
        ));
}

#[test]
fn missing_outcome_is_an_error() {
    let dir = setup(&protocol_text(""), "race,flag,event\nW,1,\nW,1,0\n");
    s1557()
        .arg("run")
        .arg(dir.path().join("p.toml"))
        .assert()
        .code(EXIT_INPUT)
        .stderr(predicate::str::contains(
            "column `event` has missing outcomes (1 row, first at line 2)",
        ));
}

#[test]
fn scores_outside_the_unit_interval_are_refused() {
    let text = protocol_text("")
        .replace(
            "decision_type = \"binary\"",
            "decision_type = \"score_threshold\"",
        )
        .replace("decision = \"flag\"", "score = \"flag\"\nthreshold = 0.5");
    let dir = setup(&text, "race,flag,event\nW,0.3,0\nW,1.7,1\n");
    s1557()
        .arg("run")
        .arg(dir.path().join("p.toml"))
        .assert()
        .code(EXIT_INPUT)
        .stderr(predicate::str::contains(
            "column `flag` has scores outside [0, 1] (1 row)",
        ));
}

#[test]
fn bad_as_of_is_an_input_error() {
    s1557()
        .args(["run", "protocols/example.toml", "--as-of", "last tuesday"])
        .assert()
        .code(EXIT_INPUT)
        .stderr(predicate::str::contains(
            "--as-of `last tuesday` is not a date",
        ));
}

#[test]
fn unwritable_output_fails_without_partial_files() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "x").unwrap();
    s1557()
        .args(["run", "protocols/example.toml", "--out"])
        .arg(blocker.join("out"))
        .assert()
        .code(EXIT_FAILURE)
        .stderr(predicate::str::contains("cannot write"));
}

#[test]
fn bad_data_leaves_no_output_behind() {
    let dir = setup(&protocol_text(""), "race,flag,event\nX,1,0\n");
    let out = dir.path().join("out");
    s1557()
        .arg("run")
        .arg(dir.path().join("p.toml"))
        .arg("--out")
        .arg(&out)
        .assert()
        .code(EXIT_INPUT);
    assert!(!out.exists());
}

#[test]
fn unknown_command_is_a_usage_error() {
    s1557().arg("frobnicate").assert().code(EXIT_INPUT);
}

// ---- what other toolkits get wrong ----

#[test]
fn pitfalls_of_peer_toolkits_are_avoided() {
    // W: 200 cases; B: 100; 5 with no race, none flagged and no events.
    let cells = [
        ("W", 1, 1, 40),
        ("W", 0, 1, 10),
        ("W", 1, 0, 15),
        ("W", 0, 0, 135),
        ("B", 0, 1, 40),
        ("B", 0, 0, 60),
        ("", 0, 0, 5),
    ];
    let dir = setup(
        &protocol_text("\n[analysis]\nmetrics = [\"selection_rate\", \"fpr\", \"ppv\"]\n"),
        &rows(&cells),
    );
    s1557()
        .arg("run")
        .arg(dir.path().join("p.toml"))
        .arg("--out")
        .arg(dir.path().join("out"))
        .arg("--as-of")
        .arg("2026-01-01")
        .assert()
        .success();
    let a = read_json(&dir.path().join("out/artifact.json"));
    let race = &a["attributes"][0];
    // Rows with a missing attribute are kept, as Unknown (Aequitas drops them).
    let unknown = race["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["group"] == "Unknown")
        .expect("Unknown group");
    assert_eq!(unknown["n"], 5);
    // A 5-person group with no events gets a real interval, not [0, 0] (Fairlearn's bootstrap).
    let sel = unknown["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == "selection_rate")
        .unwrap();
    assert_eq!(sel["estimate"]["value"], 0.0);
    assert!(sel["estimate"]["ci"]["high"].as_f64().unwrap() > 0.4);
    // A division by zero is undefined with its reason, never filled in (Aequitas uses 10.0).
    let ppv = finding(&a, "race/Black or African American/ppv");
    assert_eq!(ppv["ratio"]["kind"], "undefined");
    assert_eq!(ppv["ratio"]["reason"], "denominator is zero");
    // The FPR comparison uses FPR's own denominators, the outcome-negative cases (Aequitas tests
    // FDR on predicted positives); rates use group totals, not overall ones (AI Verify).
    let fpr = finding(&a, "race/Black or African American/fpr");
    assert_eq!(
        (fpr["numerator"].as_u64(), fpr["denominator"].as_u64()),
        (Some(0), Some(60))
    );
    assert_eq!(
        (
            fpr["reference_numerator"].as_u64(),
            fpr["reference_denominator"].as_u64()
        ),
        (Some(15), Some(150))
    );
    // No trigger judges these comparisons: none is in a correction family, and each adjusted p
    // is its raw p.
    assert_eq!(a["run"]["family_size"], 0);
    assert!(a["run"].get("families").is_none());
    for c in a["comparisons"].as_array().unwrap() {
        assert_eq!(c["p_adjusted"], c["test"]["p_value"]);
    }
    for c in a["comparisons"].as_array().unwrap() {
        if let (Some(p), Some(adj)) = (c["test"]["p_value"].as_f64(), c["p_adjusted"].as_f64()) {
            assert!(adj >= p);
        }
    }
    // No NaN anywhere: undefined values are explicit.
    let text = std::fs::read_to_string(dir.path().join("out/artifact.json")).unwrap();
    assert!(!text.contains("NaN") && !text.contains("null,\n      \"ci\""));
}

// ---- real data, when ../shared/datasets is present ----

fn shared(rel: &str) -> Option<PathBuf> {
    let p = root().join("../shared/datasets").join(rel);
    p.is_file().then_some(p)
}

#[test]
fn real_data_nhanes_diabetes_counts_match_pandas() {
    let Some(_) = shared("nhanes_diabetes/diabetes_data_with_risk.csv") else {
        eprintln!("skipped: ../shared/datasets/nhanes_diabetes is not present");
        return;
    };
    let out = tempfile::tempdir().unwrap();
    s1557()
        .args(["run", "protocols/nhanes_diabetes.toml", "--out"])
        .arg(out.path())
        .arg("--as-of")
        .arg("2026-11-01")
        .assert()
        .code(predicate::in_iter([0, EXIT_REMEDIATE]));
    let a = read_json(&out.path().join("artifact.json"));
    assert_eq!(a["data"]["cases"], 18427);
    // Weighted sums and scores over thousands of rows a cell: the same bytes on a second run.
    let again = tempfile::tempdir().unwrap();
    s1557()
        .args([
            "run",
            "protocols/nhanes_diabetes.toml",
            "--as-of",
            "2026-11-01",
            "--out",
        ])
        .arg(again.path())
        .assert()
        .code(predicate::in_iter([0, EXIT_REMEDIATE]));
    for f in ["artifact.json", "metrics.csv", "report.md"] {
        assert_eq!(
            std::fs::read(out.path().join(f)).unwrap(),
            std::fs::read(again.path().join(f)).unwrap(),
            "{f} differs between two runs"
        );
    }
    let expected: Value =
        serde_json::from_str(include_str!("reference/nhanes_diabetes_counts.json")).unwrap();
    for attr in a["sufficient_statistics"].as_array().unwrap() {
        let name = attr["attribute"].as_str().unwrap();
        for g in attr["groups"].as_array().unwrap() {
            let want = &expected[name][g["group"].as_str().unwrap()];
            assert_eq!(&g["counts"], want, "{name}/{}", g["group"]);
        }
    }
    // Survey-weighted screening rates: equal to pandas' to 1e-9, and to SOURCE.md's published
    // weighted figures (race-blind, 1.5% threshold) to their 0.1%.
    let published = [
        ("Asian", 0.755),
        ("White", 0.844),
        ("Black or African American", 0.827),
        ("Hispanic or Latino", 0.826),
    ];
    let race = a["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["attribute"] == "race")
        .unwrap();
    for g in race["groups"].as_array().unwrap() {
        let name = g["group"].as_str().unwrap();
        let sel = g["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["metric"] == "selection_rate")
            .unwrap();
        let w = &sel["weighted"];
        let want = &expected["weighted_race_selection"][name];
        let (ours, theirs) = (
            w["estimate"]["value"].as_f64().unwrap(),
            want["selection_rate"].as_f64().unwrap(),
        );
        assert!(
            (ours - theirs).abs() <= 1e-9 * theirs,
            "{name}: {ours} vs pandas {theirs}"
        );
        let (n_ours, n_theirs) = (
            w["effective_n"].as_f64().unwrap(),
            want["effective_n"].as_f64().unwrap(),
        );
        assert!(
            (n_ours - n_theirs).abs() <= 1e-9 * n_theirs,
            "{name}: n_eff {n_ours} vs {n_theirs}"
        );
        if let Some((_, p)) = published.iter().find(|(n, _)| *n == name) {
            assert!(
                (ours - p).abs() <= 0.00051,
                "{name}: {ours} vs published {p}"
            );
        }
    }
}

#[test]
fn real_data_compas_is_refused_for_its_identifiers() {
    let Some(csv) = shared("compas/compas-scores-two-years.csv") else {
        eprintln!("skipped: ../shared/datasets/compas is not present");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let text = protocol_text("")
        .replace(
            "path = \"data.csv\"",
            &format!("path = {:?}", csv.display().to_string()),
        )
        .replace("decision = \"flag\"", "decision = \"is_recid\"")
        .replace("outcome = \"event\"", "outcome = \"two_year_recid\"");
    std::fs::write(dir.path().join("p.toml"), text).unwrap();
    s1557()
        .arg("validate")
        .arg(dir.path().join("p.toml"))
        .assert()
        .code(EXIT_INPUT)
        .stderr(
            predicate::str::contains("column `name` looks like a person's name").and(
                predicate::str::contains("column `dob` looks like a date of birth"),
            ),
        );
}

#[test]
fn published_schema_is_current() {
    let out = s1557()
        .arg("schema")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let published = std::fs::read(root().join("docs/artifact.schema.json")).unwrap_or_default();
    assert!(out == published, "docs/artifact.schema.json is stale: run `cargo run --quiet -- schema > docs/artifact.schema.json`");
}

// ---- regressions found in review ----

#[test]
fn a_group_with_a_small_cell_keeps_only_rates_that_do_not_give_it_away() {
    // B: tp=3 fn=2 fp=40 tn=455. Its selection rate (43/500) or its FPR (40/495) alone gives
    // nothing away, but the two together give the 3 true positives: one of them stays, the
    // other goes, and so does whatever else would let the 3 or the 2 be worked out (the
    // attacker of tests/attacker checks every derivation).
    let cells = [
        ("W", 1, 1, 400),
        ("W", 0, 1, 100),
        ("W", 1, 0, 300),
        ("W", 0, 0, 4200),
        ("B", 1, 1, 3),
        ("B", 0, 1, 2),
        ("B", 1, 0, 40),
        ("B", 0, 0, 455),
        ("", 1, 1, 20),
        ("", 0, 1, 20),
        ("", 1, 0, 20),
        ("", 0, 0, 140),
    ];
    let dir = setup(&protocol_text(""), &rows(&cells));
    s1557()
        .arg("run")
        .arg(dir.path().join("p.toml"))
        .arg("--out")
        .arg(dir.path().join("out"))
        .arg("--as-of")
        .arg("2026-01-01")
        .assert()
        .success();
    let csv = std::fs::read_to_string(dir.path().join("out/metrics.csv")).unwrap();
    let md = std::fs::read_to_string(dir.path().join("out/report.md")).unwrap();
    let shown = |n: &str, d: &str| {
        csv.contains(&format!(",{n},{d},")) || md.contains(&format!("({n}/{d})"))
    };
    assert!(shown("40", "495") || shown("43", "500"), "B keeps a rate");
    assert!(
        !(shown("40", "495") && shown("43", "500")),
        "the outputs give away B's counts"
    );
    let artifact = read_json(&dir.path().join("out/artifact.json"));
    let leaks = attacker::leaks(&artifact, &csv, 11);
    assert!(leaks.is_empty(), "{leaks:#?}");
}

#[test]
fn counts_that_are_nan_or_infinite_are_refused() {
    let text =
        protocol_text("").replace("outcome = \"event\"", "outcome = \"event\"\ncount = \"n\"");
    let dir = setup(
        &text,
        "race,flag,event,n\nW,1,1,5\nW,1,1,NaN\nB,0,0,inf\nB,1,0,3\n",
    );
    s1557()
        .arg("run")
        .arg(dir.path().join("p.toml"))
        .assert()
        .code(EXIT_INPUT)
        .stderr(predicate::str::contains(
            "column `n` has counts that are missing, negative or not whole numbers (2 rows)",
        ));
}

#[test]
fn a_mapped_code_that_is_also_a_null_value_is_an_error() {
    let text = protocol_text("").replace(
        "\"B\" = \"Black or African American\"",
        "\"B\" = \"Black or African American\", \"NA\" = \"Asian\"",
    );
    let dir = setup(&text, "race,flag,event\n");
    s1557()
        .arg("validate")
        .arg(dir.path().join("p.toml"))
        .assert()
        .code(EXIT_INPUT)
        .stderr(predicate::str::contains(
            "code `NA` of attribute `race` is read as missing before the map applies",
        ));
}

#[test]
fn score_threshold_works_with_custom_outcome_values() {
    let text = protocol_text("\n[values]\npositive = [\"Readmitted\"]\nnegative = [\"Home\"]\n")
        .replace(
            "decision_type = \"binary\"",
            "decision_type = \"score_threshold\"",
        )
        .replace("decision = \"flag\"", "score = \"flag\"\nthreshold = 0.5");
    let dir = setup(
        &text,
        "race,flag,event\nW,0.7,Readmitted\nW,0.2,Home\nB,0.9,Home\nB,0.1,Readmitted\n",
    );
    s1557()
        .arg("run")
        .arg(dir.path().join("p.toml"))
        .arg("--out")
        .arg(dir.path().join("out"))
        .arg("--as-of")
        .arg("2026-01-01")
        .assert()
        .success();
}

#[test]
fn score_threshold_with_a_decision_column_is_an_error() {
    let text = protocol_text("")
        .replace(
            "decision_type = \"binary\"",
            "decision_type = \"score_threshold\"",
        )
        .replace(
            "decision = \"flag\"",
            "decision = \"flag\"\nscore = \"s\"\nthreshold = 0.5",
        );
    let dir = setup(&text, "race,flag,event,s\n");
    s1557()
        .arg("validate")
        .arg(dir.path().join("p.toml"))
        .assert()
        .code(EXIT_INPUT)
        .stderr(predicate::str::contains(
            "`columns.decision` would be ignored",
        ));
}

#[test]
fn a_nan_band_edge_is_an_error() {
    let dir = setup(&protocol_text("\n[[triggers]]\nid = \"t\"\nmetric = \"tpr\"\nratio = { min = 0.8, max = nan }\nseverity = \"remediate\"\naction = \"a\"\n"), "race,flag,event\n");
    s1557()
        .arg("validate")
        .arg(dir.path().join("p.toml"))
        .assert()
        .code(EXIT_INPUT)
        .stderr(predicate::str::contains("bounds must be finite numbers"));
}

#[test]
fn empty_metrics_and_weak_intervals_are_errors() {
    let dir = setup(
        &protocol_text("\n[analysis]\nmetrics = []\nconfidence_level = 0.6\n"),
        "race,flag,event\n",
    );
    s1557()
        .arg("validate")
        .arg(dir.path().join("p.toml"))
        .assert()
        .code(EXIT_INPUT)
        .stderr(predicate::str::contains("`analysis.metrics` is empty").and(
            predicate::str::contains("`confidence_level` 0.6 is below 1 − 2·alpha"),
        ));
}

#[test]
fn interval_methods_are_chosen_by_the_protocol() {
    let cells = [
        ("W", 1, 1, 40),
        ("W", 0, 1, 10),
        ("W", 1, 0, 15),
        ("W", 0, 0, 135),
        ("B", 1, 1, 20),
        ("B", 0, 1, 20),
        ("B", 1, 0, 16),
        ("B", 0, 0, 54),
    ];
    let extra = "\n[analysis]\nmetrics = [\"tpr\"]\nrate_interval = \"clopper_pearson\"\nratio_interval = \"koopman\"\ndifference_interval = \"agresti_caffo\"\n";
    let dir = setup(&protocol_text(extra), &rows(&cells));
    s1557()
        .arg("run")
        .arg(dir.path().join("p.toml"))
        .arg("--out")
        .arg(dir.path().join("out"))
        .arg("--as-of")
        .arg("2026-01-01")
        .assert()
        .success();
    let a = read_json(&dir.path().join("out/artifact.json"));
    let g = &a["attributes"][0]["groups"][0];
    assert_eq!(
        g["metrics"][0]["estimate"]["ci"]["method"],
        "clopper_pearson"
    );
    let c = finding(&a, "race/Black or African American/tpr");
    assert_eq!(c["ratio"]["ci"]["method"], "koopman_score");
    assert_eq!(c["difference"]["ci"]["method"], "agresti_caffo");
    assert_eq!(c["odds_ratio"]["ci"]["method"], "woolf_logit");
    let bad = setup(
        &protocol_text("\n[analysis]\nrate_interval = \"wald\"\n"),
        "race,flag,event\n",
    );
    s1557()
        .arg("validate")
        .arg(bad.path().join("p.toml"))
        .assert()
        .code(EXIT_INPUT)
        .stderr(
            predicate::str::contains("unknown rate interval `wald`")
                .and(predicate::str::contains("`clopper_pearson`")),
        );
}

#[test]
fn ordered_attributes_get_a_trend_test() {
    let out = tempfile::tempdir().unwrap();
    s1557()
        .args(["run", "protocols/example.toml", "--out"])
        .arg(out.path())
        .assert()
        .code(EXIT_REMEDIATE);
    let a = read_json(&out.path().join("artifact.json"));
    let age = a["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["attribute"] == "age")
        .unwrap();
    let trend = age["omnibus"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["test"] == "cochran_armitage_trend" && o["metric"] == "tpr")
        .expect("trend test on age");
    assert_eq!(trend["result"]["kind"], "trend");
    assert_eq!(trend["result"]["groups"], 5);
    let race = a["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["attribute"] == "race")
        .unwrap();
    assert!(race["omnibus"]
        .as_array()
        .unwrap()
        .iter()
        .all(|o| o["test"] != "cochran_armitage_trend"));
}

#[test]
fn stratified_comparisons_adjust_for_a_second_attribute() {
    let out = tempfile::tempdir().unwrap();
    s1557()
        .args(["run", "protocols/example.toml", "--out"])
        .arg(out.path())
        .assert()
        .code(EXIT_REMEDIATE);
    let a = read_json(&out.path().join("artifact.json"));
    let x = a["stratified"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == "race/Black or African American/tpr|age")
        .expect("race by age");
    assert_eq!(x["strata"], 5);
    assert_eq!(x["test"]["kind"], "cochran_mantel_haenszel");
    assert!(
        x["test"]["p_value"].as_f64().unwrap() < 1e-6,
        "the injected gap holds within age bands"
    );
    assert!(x["odds_ratio"]["value"].as_f64().unwrap() < 0.5);
    // The counts behind it are in the artifact, so anyone can recompute it.
    let cells = a["stratified_statistics"][0]["cells"].as_array().unwrap();
    let total: u64 = cells
        .iter()
        .map(|c| {
            ["tp", "fp", "fn", "tn"]
                .iter()
                .map(|k| c["counts"][k].as_u64().unwrap())
                .sum::<u64>()
        })
        .sum();
    assert_eq!(total, 30000);
    let bad = setup(
        &protocol_text("\n[[stratified]]\nattribute = \"race\"\nby = \"age\"\n"),
        "race,flag,event\n",
    );
    s1557()
        .arg("validate")
        .arg(bad.path().join("p.toml"))
        .assert()
        .code(EXIT_INPUT)
        .stderr(predicate::str::contains(
            "`stratified` names unknown attribute `age`",
        ));
}

#[test]
fn composite_gaps_come_with_seeded_bootstrap_intervals() {
    let out = tempfile::tempdir().unwrap();
    s1557()
        .args(["run", "protocols/example.toml", "--out"])
        .arg(out.path())
        .assert()
        .code(EXIT_REMEDIATE);
    let a = read_json(&out.path().join("artifact.json"));
    let race = a["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["attribute"] == "race")
        .unwrap();
    let gap = race["composite"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["gap"] == "equal_opportunity_difference")
        .unwrap();
    // The point estimate is the TPR range over the groups it names (no Unknown, no small cells).
    let names: Vec<&str> = gap["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        !names.contains(&"Unknown")
            && !names.contains(&"Native Hawaiian or Other Pacific Islander")
    );
    let tpr: Vec<f64> = race["groups"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| names.contains(&g["group"].as_str().unwrap()))
        .map(|g| {
            g["metrics"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["metric"] == "tpr")
                .unwrap()["estimate"]["value"]
                .as_f64()
                .unwrap()
        })
        .collect();
    let range =
        tpr.iter().cloned().fold(f64::MIN, f64::max) - tpr.iter().cloned().fold(f64::MAX, f64::min);
    assert!((gap["estimate"]["value"].as_f64().unwrap() - range).abs() < 1e-15);
    let ci = &gap["estimate"]["ci"];
    assert_eq!(ci["method"], "bootstrap_percentile");
    assert!(ci["low"].as_f64().unwrap() < range && range < ci["high"].as_f64().unwrap());
    assert_eq!(gap["bca"]["method"], "bootstrap_bca");
    assert_eq!(gap["replicates"], 2000);
}

fn walk<'a>(v: &'a Value, path: String, out: &mut Vec<(String, &'a Value)>) {
    match v {
        Value::Object(m) => m
            .iter()
            .for_each(|(k, x)| walk(x, format!("{path}.{k}"), out)),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, x)| walk(x, format!("{path}[{i}]"), out)),
        _ => out.push((path, v)),
    }
}

#[test]
fn degenerate_groups_give_defined_results_never_nan() {
    // W: ordinary. B: one person. A: every case an event and flagged. M: no events, none flagged.
    let cells = [
        ("W", 1, 1, 40),
        ("W", 0, 1, 10),
        ("W", 1, 0, 15),
        ("W", 0, 0, 135),
        ("B", 1, 0, 1),
        ("A", 1, 1, 12),
        ("M", 0, 0, 30),
    ];
    let text = protocol_text("\n[[triggers]]\nid = \"t\"\nmetric = \"tpr\"\nratio = { min = 0.8, max = 1.25 }\ndifference = { min = -0.1, max = 0.1 }\nseverity = \"remediate\"\naction = \"a\"\n")
        .replace("map = { \"W\" = \"White\", \"B\" = \"Black or African American\" }", "map = { \"W\" = \"White\", \"B\" = \"Black or African American\", \"A\" = \"Asian\", \"M\" = \"More than one race\" }");
    let dir = setup(&text, &rows(&cells));
    s1557()
        .arg("run")
        .arg(dir.path().join("p.toml"))
        .arg("--out")
        .arg(dir.path().join("out"))
        .arg("--as-of")
        .arg("2026-01-01")
        .assert()
        .success();
    let a = read_json(&dir.path().join("out/artifact.json"));
    let mut leaves = Vec::new();
    walk(&a, String::new(), &mut leaves);
    for (path, v) in &leaves {
        let key = path.rsplit('.').next().unwrap_or("");
        if ["value", "low", "high", "p_value", "statistic"].contains(&key) {
            assert!(v.is_number(), "{path} is {v}, not a number");
        }
    }
    // Every undefined value says why.
    for (path, v) in &leaves {
        if path.ends_with(".kind") && *v == "undefined" {
            let reason_path = format!("{}.reason", path.trim_end_matches(".kind"));
            assert!(
                leaves
                    .iter()
                    .any(|(p, r)| *p == reason_path && r.as_str().is_some_and(|s| !s.is_empty())),
                "{path} has no reason"
            );
        }
    }
    // The 1-person group is judged insufficient, never a pass.
    assert_eq!(
        finding(&a, "race/Black or African American/tpr")["assessment"]["status"],
        "insufficient_data"
    );
    assert_eq!(
        finding(&a, "race/More than one race/tpr")["ratio"]["reason"],
        "denominator is zero"
    );
}

#[test]
fn no_suppress_writes_an_internal_report_with_every_number() {
    let out = tempfile::tempdir().unwrap();
    s1557()
        .args(["run", "protocols/example.toml", "--no-suppress", "--out"])
        .arg(out.path())
        .assert()
        .code(EXIT_REMEDIATE);
    let a = read_json(&out.path().join("artifact.json"));
    assert_eq!(a["suppression"]["applied"], false);
    let csv = std::fs::read_to_string(out.path().join("metrics.csv")).unwrap();
    let nhpi = csv
        .lines()
        .find(|l| l.starts_with("race,Native Hawaiian or Other Pacific Islander,tpr,"))
        .unwrap();
    assert!(
        !nhpi.starts_with("race,Native Hawaiian or Other Pacific Islander,tpr,,"),
        "{nhpi}"
    );
    let md = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    assert!(md.contains("Do not share it outside the organisation"));
}

#[test]
fn weights_cannot_be_combined_with_counts() {
    let text = protocol_text("").replace(
        "outcome = \"event\"",
        "outcome = \"event\"\ncount = \"n\"\nweight = \"w\"",
    );
    let dir = setup(&text, "race,flag,event,n,w\n");
    s1557()
        .arg("validate")
        .arg(dir.path().join("p.toml"))
        .assert()
        .code(EXIT_INPUT)
        .stderr(predicate::str::contains(
            "`columns.weight` cannot be combined with `columns.count`",
        ));
}

#[test]
fn a_crossed_attribute_keeps_its_large_groups_numbers_and_states_its_pools() {
    // The example's small race groups pool within each sex; Black × Female keeps its numbers.
    let out = tempfile::tempdir().unwrap();
    s1557()
        .args(["run", "protocols/example.toml", "--out"])
        .arg(out.path())
        .assert()
        .code(EXIT_REMEDIATE);
    let csv = std::fs::read_to_string(out.path().join("metrics.csv")).unwrap();
    let row = |group: &str, metric: &str| -> Vec<String> {
        let mut r = csv::Reader::from_reader(csv.as_bytes());
        r.records()
            .map(|x| x.unwrap())
            .find(|x| &x[0] == "race_x_sex" && &x[1] == group && &x[2] == metric)
            .unwrap_or_else(|| panic!("no row for {group} {metric}"))
            .iter()
            .map(str::to_string)
            .collect()
    };
    let black = row("Black or African American × Female", "tpr");
    assert_eq!((black[3].as_str(), black[4].as_str()), ("270", "450"));
    assert_eq!(black[18], "remediate");
    // A member of the pool: counts withheld, status kept.
    let member = row("Native Hawaiian or Other Pacific Islander × Male", "tpr");
    assert_eq!(member[3], "");
    assert_eq!(member[18], "insufficient_data");
    // The pool: its counts and comparison, no status.
    // The pool's rows are there, with no status; its rates show where they give nothing away.
    let pooled = row(
        "Pooled (American Indian or Alaska Native; Native Hawaiian or Other Pacific Islander; More than one race) × Female",
        "npv",
    );
    assert_eq!((pooled[3].as_str(), pooled[4].as_str()), ("694", "710"));
    assert_eq!(pooled[18], "");
    let a = read_json(&out.path().join("artifact.json"));
    let pools = a["pools"].as_array().unwrap();
    assert_eq!(pools.len(), 3, "race, and race × sex within each sex");
}

/// The artifact's score comparison with this id.
fn score_finding<'a>(a: &'a Value, id: &str) -> &'a Value {
    a["scores"]["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no score comparison {id}"))
}

#[test]
fn real_data_obermeyer_flags_need_at_equal_score_and_reproduces_table_2() {
    let Some(data) = shared("obermeyer/model_lasso_predictors.csv") else {
        eprintln!("skipped: ../shared/datasets/obermeyer is not present");
        return;
    };
    let out = tempfile::tempdir().unwrap();
    s1557()
        .args([
            "run",
            "protocols/obermeyer.toml",
            "--as-of",
            "2026-11-01",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .code(EXIT_REMEDIATE);
    let a = read_json(&out.path().join("artifact.json"));
    let want: Value =
        serde_json::from_str(include_str!("reference/obermeyer_reference.json")).unwrap();
    assert_eq!(a["data"]["cases"], 16099);
    const BLACK: &str = "Black or African American";
    // Counts: equal to pandas'. Observed enrolment: 33 of 147 enrollees are Black, the authors'
    // Table 3 "Observed program enrollment" 0.224.
    let race = &a["sufficient_statistics"][0];
    for g in race["groups"].as_array().unwrap() {
        assert_eq!(g["counts"], want["counts"][g["group"].as_str().unwrap()]);
    }
    let enrolled =
        |g: &Value| g["counts"]["tp"].as_u64().unwrap() + g["counts"]["fp"].as_u64().unwrap();
    let groups = race["groups"].as_array().unwrap();
    let black = groups.iter().find(|g| g["group"] == BLACK).unwrap();
    let share = enrolled(black) as f64 / groups.iter().map(enrolled).sum::<u64>() as f64;
    assert_eq!((share * 1000.0).round() / 1000.0, 0.224);

    // Discrimination by group: scikit-learn's AUROC and average precision.
    let s = &a["scores"];
    for g in s["attributes"][0]["groups"].as_array().unwrap() {
        let name = g["group"].as_str().unwrap();
        common::close(
            g["auroc"]["value"].as_f64().unwrap(),
            want["auroc"][name].as_f64().unwrap(),
            "auroc",
        );
        common::close(
            g["average_precision"]["value"].as_f64().unwrap(),
            want["average_precision"][name].as_f64().unwrap(),
            "average precision",
        );
        // Mean need by equal-score bin: pandas on the same bin rule.
        for (ours, theirs) in g["need"]["bins"]
            .as_array()
            .unwrap()
            .iter()
            .zip(want["need_bins"][name].as_array().unwrap())
        {
            assert_eq!(ours["n"], theirs["n"]);
            common::close(
                ours["mean"]["value"].as_f64().unwrap(),
                theirs["mean"].as_f64().unwrap(),
                "bin mean",
            );
        }
    }
    // At equal score Black patients carry more chronic illness: the finding that exposes the
    // label (cost) as a biased proxy for need. Flagged remediate by the protocol's trigger.
    let need = score_finding(&a, &format!("race/{BLACK}/need_at_equal_score"));
    let w = &want["need_at_equal_score"];
    common::close(
        need["difference"]["value"].as_f64().unwrap(),
        w["difference"].as_f64().unwrap(),
        "need difference",
    );
    common::close(
        need["se_difference"].as_f64().unwrap(),
        w["se"].as_f64().unwrap(),
        "need se",
    );
    common::close(
        need["ratio"]["value"].as_f64().unwrap(),
        w["ratio"].as_f64().unwrap(),
        "need ratio",
    );
    common::close(
        need["se_log_ratio"].as_f64().unwrap(),
        w["se_log_ratio"].as_f64().unwrap(),
        "need se log ratio",
    );
    common::close(
        need["test"]["p_value"].as_f64().unwrap(),
        w["p_value"].as_f64().unwrap(),
        "need p",
    );
    assert_eq!(need["assessment"]["status"], "remediate");
    assert!(a["triggers_fired"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["trigger"] == "sicker-at-equal-score"));
    // In every score decile the Black patients' mean need is above the White patients'.
    let bins = |name: &str| -> Vec<f64> {
        s["attributes"][0]["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["group"] == name)
            .unwrap()["need"]["bins"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["mean"]["value"].as_f64().unwrap())
            .collect()
    };
    assert!(bins(BLACK).iter().zip(bins("White")).all(|(b, w)| *b > w));

    // Top 3% of the deployed score: 95 of 482 are Black (19.7%); by need instead, 166 of 718
    // (ties at the cut-off of 6 conditions included).
    let top3 = s["operating_points"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["rule"] == "top_percent" && o["value"] == 3.0)
        .unwrap();
    assert_eq!(top3["selected"], 482);
    let g = top3["attributes"][0]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["group"] == BLACK)
        .unwrap();
    assert_eq!(g["selected"], want["top_share"]["risk_score_t"]["black"]);
    assert_eq!(g["need_selected"], want["need_top_share"]["black"]);
    assert_eq!(top3["need_selected"], want["need_top_share"]["selected"]);

    // Need among the selected, at the full cohort's 97th percentile of the score (the protocol's
    // threshold) and at the holdout's top 3%: Black patients selected carry 6.24 chronic
    // conditions against 4.95 for White patients (+1.29, Welch p 0.0004; SOURCE.md's figure).
    for (rule, key) in [("threshold", "threshold"), ("top_percent", "top_percent")] {
        let w = &want["need_among_selected"][key];
        let op = s["operating_points"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["rule"] == rule && o["cutoff"].as_f64() == w["cutoff"].as_f64())
            .unwrap_or_else(|| panic!("an operating point at {}", w["cutoff"]));
        for g in op["attributes"][0]["groups"].as_array().unwrap() {
            let name = g["group"].as_str().unwrap();
            let mean = &g["need_among_selected"];
            let theirs = &w["groups"][name];
            common::close(
                mean["value"].as_f64().unwrap(),
                theirs["mean"].as_f64().unwrap(),
                "mean need of the selected",
            );
            common::close(
                mean["ci"]["low"].as_f64().unwrap(),
                theirs["low"].as_f64().unwrap(),
                "its low",
            );
            common::close(
                mean["ci"]["high"].as_f64().unwrap(),
                theirs["high"].as_f64().unwrap(),
                "its high",
            );
            if name == BLACK {
                let d = &g["need_among_selected_difference"];
                let wd = &w["difference"];
                common::close(
                    d["value"].as_f64().unwrap(),
                    wd["value"].as_f64().unwrap(),
                    "difference",
                );
                common::close(
                    d["ci"]["low"].as_f64().unwrap(),
                    wd["low"].as_f64().unwrap(),
                    "difference low",
                );
                common::close(
                    d["ci"]["high"].as_f64().unwrap(),
                    wd["high"].as_f64().unwrap(),
                    "difference high",
                );
                common::close(
                    g["need_among_selected_p"].as_f64().unwrap(),
                    wd["p_value"].as_f64().unwrap(),
                    "Welch p",
                );
            } else {
                assert!(
                    g.get("need_among_selected_difference").is_none(),
                    "the reference has no difference"
                );
            }
        }
    }

    // The authors' Table 2 (synthetic holdout): the share of Black patients in the top 3% of each
    // of their three predictions, run through the same protocol with the score column swapped.
    let text = std::fs::read_to_string(root().join("protocols/obermeyer.toml")).unwrap();
    for (column, published) in [
        ("log_cost_t_hat", 0.19294605809128632),
        ("log_cost_avoidable_t_hat", 0.25933609958506226),
        ("gagne_sum_t_hat", 0.2842323651452282),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("p.toml");
        std::fs::write(
            &p,
            text.replace("score = \"risk_score_t\"", &format!("score = \"{column}\"")),
        )
        .unwrap();
        s1557()
            .arg("run")
            .arg(&p)
            .arg("--data")
            .arg(&data)
            .arg("--out")
            .arg(dir.path().join("o"))
            .assert()
            .code(predicate::in_iter([0, EXIT_REMEDIATE]));
        let b = read_json(&dir.path().join("o/artifact.json"));
        let top = b["scores"]["operating_points"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["rule"] == "top_percent" && o["value"] == 3.0)
            .unwrap();
        let g = top["attributes"][0]["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["group"] == BLACK)
            .unwrap();
        let share = g["share_of_selected"]["value"].as_f64().unwrap();
        common::close(share, published, column);
    }
}

/// `protocol_text` with a score column `s` and `extra` appended.
fn score_protocol(extra: &str) -> String {
    protocol_text(extra).replace("outcome = \"event\"", "outcome = \"event\"\nscore = \"s\"")
}

#[test]
fn score_protocol_problems_are_reported_at_once() {
    let text = score_protocol(
        "\n[scores]\nscale = \"arbitrary\"\nmetrics = [\"calibration\", \"need_at_equal_score\", \"roc\"]\nreliability_bins = 1\ntop_percent = [0, 150]\n",
    );
    let dir = setup(&text, "race,flag,event,s\n");
    let assert = s1557()
        .arg("validate")
        .arg(dir.path().join("p.toml"))
        .assert()
        .code(EXIT_INPUT);
    let err = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    for want in [
        "calibration needs probabilities; this score's scale is `arbitrary`",
        "`need_at_equal_score` needs `columns.need`",
        "unknown score metric `roc`",
        "`reliability_bins` is 1",
        "top_percent 0 is not a percentage",
        "top_percent 150 is not a percentage",
    ] {
        assert!(err.contains(want), "missing `{want}` in:\n{err}");
    }
    // Each with its place in the file.
    assert!(err.contains("p.toml:28:12"), "{err}");
}

#[test]
fn score_triggers_need_their_score_metric_and_scores_need_rows() {
    let trigger = "\n[[triggers]]\nid = \"t\"\nmetric = \"oe_ratio\"\nratio = { min = 0.8, max = 1.25 }\nseverity = \"remediate\"\naction = \"a\"\n";
    let dir = setup(&score_protocol(trigger), "race,flag,event,s\n");
    s1557()
        .arg("validate")
        .arg(dir.path().join("p.toml"))
        .assert()
        .code(EXIT_INPUT)
        .stderr(predicate::str::contains(
            "trigger `t` uses `oe_ratio`, which needs `calibration` in `[scores].metrics`",
        ));
    let counts = score_protocol("\n[scores]\nmetrics = [\"auroc\"]\n")
        .replace("score = \"s\"", "score = \"s\"\ncount = \"n\"");
    let dir = setup(&counts, "race,flag,event,s,n\n");
    s1557()
        .arg("validate")
        .arg(dir.path().join("p.toml"))
        .assert()
        .code(EXIT_INPUT)
        .stderr(predicate::str::contains(
            "[scores] cannot run with a frequency column (`columns.count`): it carries no scores",
        ));
    let need = protocol_text("").replace(
        "outcome = \"event\"",
        "outcome = \"event\"\nneed = \"conditions\"",
    );
    let dir = setup(&need, "race,flag,event,conditions\n");
    s1557()
        .arg("validate")
        .arg(dir.path().join("p.toml"))
        .assert()
        .code(EXIT_INPUT)
        .stderr(predicate::str::contains(
            "the protocol has no [scores] section",
        ));
}

#[test]
fn score_metrics_by_hand_and_unscored_rows_counted() {
    // White: positives 0.9, 0.8; negatives 0.1, 0.2, 0.85 → AUROC (1 + 2/3)/2 = 5/6.
    // Black: positives 0.7, 0.7; negatives 0.7, 0.1 → AUROC (0.75 + 0.75)/2 = 0.75 (a tie is half).
    // One White row has no score: counted in the decision's counts, left out of the scores.
    let data = "race,flag,event,s,cost\n\
        W,1,1,0.9,50\nW,1,1,0.8,70\nW,0,0,0.1,5\nW,0,0,0.2,8\nW,1,0,0.85,60\nW,0,0,,1\n\
        B,1,1,0.7,45\nB,1,1,0.7,80\nB,0,0,0.7,10\nB,0,0,0.1,2\n";
    let text = score_protocol(
        "\n[scores]\nmetrics = [\"auroc\", \"average_precision\", \"calibration\"]\nthresholds = [0.75]\ntop_percent = [30]\n\n[[triggers]]\nid = \"gap\"\nmetric = \"auroc\"\ndifference = { min = -0.05, max = 0.05 }\nseverity = \"remediate\"\naction = \"a\"\n",
    );
    let dir = setup(&text, data);
    s1557()
        .arg("run")
        .arg(dir.path().join("p.toml"))
        .arg("--out")
        .arg(dir.path().join("out"))
        .assert()
        .code(0);
    let a = read_json(&dir.path().join("out/artifact.json"));
    assert_eq!(a["data"]["cases"], 10);
    let s = &a["scores"];
    assert_eq!(s["scored"], 9);
    assert_eq!(s["unscored"], 1);
    let group = |name: &str| {
        s["attributes"][0]["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["group"] == name)
            .unwrap()
            .clone()
    };
    let (w, b) = (group("White"), group("Black or African American"));
    assert_eq!(w["n"], 5);
    assert_eq!(w["unscored"], 1);
    common::close(
        w["auroc"]["value"].as_f64().unwrap(),
        5.0 / 6.0,
        "white auroc",
    );
    common::close(b["auroc"]["value"].as_f64().unwrap(), 0.75, "black auroc");
    // Average precision, White: 0.9 (tp), 0.85 (fp), 0.8 (tp) → ½·1 + ½·⅔ = 5/6.
    common::close(
        w["average_precision"]["value"].as_f64().unwrap(),
        5.0 / 6.0,
        "white AP",
    );
    // O/E: 2 events over Σp = 2.85 expected.
    common::close(
        w["calibration"]["expected"].as_f64().unwrap(),
        2.85,
        "expected",
    );
    // Operating point 0.75: White selects 0.9, 0.85, 0.8 (3 of 5); Black none of 4.
    let op = &s["operating_points"][0];
    assert_eq!(op["selected"], 3);
    // Top 30% of 9 scores: ⌊2.7⌋ = 2 highest (0.9, 0.85).
    let top = &s["operating_points"][1];
    assert_eq!(top["rule"], "top_percent");
    assert_eq!(top["cutoff"], 0.85);
    assert_eq!(top["selected"], 2);
    // Two and two cases: far too few to judge a 0.05 AUROC gap — never a pass.
    let c = score_finding(&a, "race/Black or African American/auroc");
    assert_eq!(c["assessment"]["status"], "insufficient_data");
    assert_eq!(c["assessment"]["rule"], "min_cell_size");
    // Shared outputs withhold the score section's small counts: no operating-point row, no AUROC
    // and no counts of scored cases for these groups.
    let report = std::fs::read_to_string(dir.path().join("out/report.md")).unwrap();
    let section = &report[report.find("## Risk score").unwrap()..];
    assert!(section.contains("| race | White | withheld |"), "{section}");
    assert!(!section.contains("0.833"), "{section}");
    let csv = std::fs::read_to_string(dir.path().join("out/metrics.csv")).unwrap();
    let auroc_row = csv
        .lines()
        .find(|l| l.starts_with("race,White,auroc,"))
        .unwrap();
    assert!(
        auroc_row.starts_with("race,White,auroc,,,,,,White,"),
        "{auroc_row}"
    );
    // Internal reports show them.
    s1557()
        .arg("run")
        .arg(dir.path().join("p.toml"))
        .arg("--no-suppress")
        .arg("--out")
        .arg(dir.path().join("internal"))
        .assert()
        .code(0);
    let report = std::fs::read_to_string(dir.path().join("internal/report.md")).unwrap();
    assert!(report.contains("0.833 (") && !report.contains("| race | White | withheld |"));
}

#[test]
fn a_numeric_outcome_is_cut_at_outcome_at_least() {
    let text = protocol_text("").replace(
        "outcome = \"event\"",
        "outcome = \"cost\"\noutcome_at_least = 50",
    );
    let data = "race,flag,cost\nW,1,50\nW,1,49.5\nW,0,70\nB,0,10\nB,1,51\n";
    let dir = setup(&text, data);
    s1557()
        .arg("run")
        .arg(dir.path().join("p.toml"))
        .arg("--out")
        .arg(dir.path().join("out"))
        .assert()
        .code(0);
    let a = read_json(&dir.path().join("out/artifact.json"));
    let w = &a["sufficient_statistics"][0]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["group"] == "White")
        .unwrap()["counts"];
    // 50 (flagged) and 70 (not) reach 50; 49.5 (flagged) does not.
    assert_eq!(w, &serde_json::json!({"tp": 1, "fp": 1, "fn": 1, "tn": 0}));
    // NaN is a missing outcome, not a high one.
    let dir = setup(&text, &format!("{data}B,0,NaN\n"));
    s1557()
        .arg("run")
        .arg(dir.path().join("p.toml"))
        .arg("--out")
        .arg(dir.path().join("out"))
        .assert()
        .code(EXIT_INPUT)
        .stderr(predicate::str::contains(
            "column `cost` has missing outcomes",
        ));
}

#[test]
fn an_auroc_trigger_takes_a_difference_band_only() {
    let text = score_protocol(
        "\n[scores]\nmetrics = [\"auroc\"]\n\n[[triggers]]\nid = \"t\"\nmetric = \"auroc\"\nratio = { min = 0.9, max = 1.1 }\nseverity = \"monitor\"\naction = \"a\"\n",
    );
    let dir = setup(&text, "race,flag,event,s\n");
    s1557()
        .arg("validate")
        .arg(dir.path().join("p.toml"))
        .assert()
        .code(EXIT_INPUT)
        .stderr(predicate::str::contains("a `ratio` band does not apply"));
}

#[test]
fn a_category_that_would_read_as_a_crossed_or_pooled_group_is_refused() {
    for bad in [
        "Black; African American",
        "Black × African American",
        "Pooled (x)",
    ] {
        let text = protocol_text("").replace(
            "\"B\" = \"Black or African American\"",
            &format!("\"B\" = \"{bad}\""),
        );
        let dir = setup(&text, "race,flag,event\nW,1,1\n");
        s1557()
            .arg("run")
            .arg(dir.path().join("p.toml"))
            .assert()
            .code(EXIT_INPUT)
            .stderr(predicate::str::contains(
                "which name crossed and pooled groups",
            ));
    }
}

#[test]
fn correction_families_are_the_protocols_attribute_by_metric_under_remediate_triggers() {
    // The shipped example: the remediate triggers judge TPR and O/E, so each attribute has a
    // family on each; the selection rate, FPR and PPV (monitor triggers only) keep their raw p.
    let a = read_json(&root().join("reports/example/artifact.json"));
    let families = a["run"]["families"].as_array().unwrap();
    let fam = |attr: &str, m: &str| {
        families
            .iter()
            .find(|f| f["attribute"] == attr && f["metric"] == m)
            .map(|f| f["size"].as_u64().unwrap())
    };
    assert_eq!(
        fam("race", "tpr"),
        Some(6),
        "every race but the reference, Unknown included"
    );
    assert_eq!(fam("race", "oe_ratio"), Some(6));
    assert_eq!(fam("race", "selection_rate"), None);
    assert_eq!(families.len(), 12);
    let sizes: u64 = families.iter().map(|f| f["size"].as_u64().unwrap()).sum();
    assert_eq!(a["run"]["family_size"].as_u64(), Some(sizes));
    // Holm within race × TPR, recomputed here: sorted p, running maximum of (m − i)·p.
    let tpr: Vec<&Value> = a["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["attribute"] == "race" && c["metric"] == "tpr")
        .collect();
    let mut p: Vec<(f64, f64)> = tpr
        .iter()
        .map(|c| {
            (
                c["test"]["p_value"].as_f64().unwrap_or(1.0),
                c["p_adjusted"].as_f64().unwrap_or(f64::NAN),
            )
        })
        .collect();
    p.sort_by(|x, y| x.0.total_cmp(&y.0));
    let m = p.len() as f64;
    let mut running: f64 = 0.0;
    for (i, (raw, adjusted)) in p.iter().enumerate() {
        running = running.max(((m - i as f64) * raw).min(1.0));
        if adjusted.is_finite() {
            assert!(
                (running - adjusted).abs() < 1e-12,
                "{raw}: {running} vs {adjusted}"
            );
        }
    }
    for c in a["comparisons"].as_array().unwrap() {
        if c["metric"] == "selection_rate" {
            assert_eq!(c["p_adjusted"], c["test"]["p_value"]);
            assert_eq!(c["detectable"]["alpha"], 0.05);
        }
    }
}

#[test]
fn plan_at_the_source_size_gives_the_runs_detectable_gaps_and_pooling_at_a_small_clinic() {
    let artifact = root().join("reports/example/artifact.json");
    let a = read_json(&artifact);
    let plan = |patients: &str| {
        let out = s1557()
            .args([
                "plan",
                "protocols/example.toml",
                "--patients",
                patients,
                "--from",
            ])
            .arg(&artifact)
            .assert()
            .success();
        String::from_utf8(out.get_output().stdout.clone()).unwrap()
    };
    // At the source's own size the planned sizes are the run's, so the detectable gaps are the
    // artifact's (a remediate trigger's family level).
    let same = plan("30000");
    let c = finding(&a, "race/Black or African American/tpr");
    let down = c["detectable"]["difference_down"].as_f64().unwrap();
    let row = same
        .lines()
        .find(|l| l.starts_with("| race | Black or African American |") && l.contains("| tpr |"))
        .unwrap();
    assert!(
        row.contains(&format!(
            "| {} ({}) |",
            c["denominator"], c["reference_denominator"]
        )),
        "{row}"
    );
    assert!(row.contains(&format!("| −{:.1} |", down * 100.0)), "{row}");
    assert!(row.ends_with("| 1 |"), "one quarter judges it: {row}");
    // A clinic of 2,000 patients a quarter must pool for its small groups.
    let small = plan("2000");
    let row = small
        .lines()
        .find(|l| l.starts_with("| race | Asian |") && l.contains("| tpr |"))
        .unwrap();
    let quarters: u64 = row.rsplit('|').nth(1).unwrap().trim().parse().unwrap();
    assert!((2..=40).contains(&quarters), "{row}");
    assert!(
        small.contains("| over 40 |"),
        "the smallest crossed groups cannot be judged"
    );
    // Counts from another protocol's artifact are named as such.
    s1557()
        .args([
            "plan",
            "protocols/care-enrolment.toml",
            "--patients",
            "1000",
            "--from",
        ])
        .arg(&artifact)
        .assert()
        .success()
        .stderr(predicate::str::contains("was made under another protocol"));
    s1557()
        .args(["plan", "protocols/example.toml", "--patients", "0"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--patients must be at least 1"));
}

#[test]
fn the_base_rate_section_shows_large_groups_and_withholds_small_ones() {
    let md = std::fs::read_to_string(root().join("reports/example/report.md")).unwrap();
    let section = &md[md.find("## Base rates").expect("the section")..];
    let row = |start: &str| {
        section
            .lines()
            .find(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("no row {start}"))
    };
    let black = row("| race | Black or African American (vs White) |");
    assert!(
        black.contains(" pts (") && !black.contains("withheld"),
        "{black}"
    );
    // The American Indian or Alaska Native group's TPR is withheld for a small cell: its excess
    // missed cases would give the count away.
    let small = row("| race | American Indian or Alaska Native (vs White) |");
    assert!(
        small.contains("withheld") && !small.contains(" pts"),
        "{small}"
    );
}

#[test]
fn the_four_fifths_comparison_is_against_the_highest_selection_rate() {
    let a = read_json(&root().join("reports/example/artifact.json"));
    let race = a["base_rates"]["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["attribute"] == "race")
        .unwrap();
    let counts = a["sufficient_statistics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["attribute"] == "race")
        .unwrap()["groups"]
        .as_array()
        .unwrap()
        .clone();
    let rate = |name: &str| {
        let c = &counts.iter().find(|g| g["group"] == name).unwrap()["counts"];
        let n = ["tp", "fp", "fn", "tn"]
            .iter()
            .map(|k| c[k].as_u64().unwrap())
            .sum::<u64>();
        (c["tp"].as_u64().unwrap() + c["fp"].as_u64().unwrap()) as f64 / n as f64
    };
    let top = race["highest_selection"].as_str().unwrap();
    assert_ne!(top, "Unknown");
    let highest = counts
        .iter()
        .map(|g| g["group"].as_str().unwrap())
        .filter(|g| *g != "Unknown")
        .map(rate)
        .fold(0.0, f64::max);
    assert_eq!(rate(top), highest);
    let black = race["impact_ratios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["group"] == "Black or African American")
        .unwrap();
    common::close(
        black["ratio"]["value"].as_f64().unwrap(),
        rate("Black or African American") / highest,
        "impact ratio",
    );
    assert!(black["ratio"]["ci"]["high"].as_f64().unwrap() < 0.8);
    assert_eq!(black["ratio"]["ci"]["method"], "koopman_score");
}
