//! Protocols that say what users mean: a decision read from a category list with its own yes/no
//! lists, rows left out by a stated rule and counted, ordered text bands with the trend test,
//! and OMB's "Some Other Race".

mod common;

use common::{read_json, s1557};
use predicates::prelude::*;
use serde_json::Value;
use std::path::Path;

const HEAD: &str = r#"protocol_version = "1.0.0"
name = "meaning"
[tool]
name = "t"
vendor = "v"
version = "1"
intended_use = "test"
decision_type = "binary"
[data]
path = "data.csv"
"#;

const ATTRIBUTES: &str = r#"
[[attributes]]
name = "race"
column = "race"
standard = "omb_race_1997"
reference = "White"
map = { "W" = "White", "B" = "Black or African American", "O" = "Some Other Race" }

[[attributes]]
name = "age"
column = "age"
standard = "custom"
class = "age"
reference = "40-64"
order = ["Less than 40", "40-64", "65 or older"]

[analysis]
metrics = ["selection_rate", "tpr"]
min_cell_size = 1
"#;

/// 300 rows: self-rated health (the decision is Fair or Poor), heart disease Yes/No, race, a
/// text age band, and gender with three `Unknown/Invalid` rows.
fn data() -> String {
    let health = ["Excellent", "Very good", "Good", "Fair", "Poor"];
    let ages = ["Less than 40", "40-64", "65 or older"];
    let mut s = String::from("health,heart,race,age,gender\n");
    for i in 0..300usize {
        let gender = if i % 100 == 7 {
            "Unknown/Invalid"
        } else {
            ["F", "M"][i % 2]
        };
        s += &format!(
            "{},{},{},{},{gender}\n",
            health[(i * 7 + i / 3) % 5],
            if (i * 11) % 9 < 2 { "Yes" } else { "No" },
            ["W", "B", "O", "W"][i % 4],
            ages[(i / 5) % 3],
        );
    }
    s
}

/// `s1557 run` (with `--data` when given) into `out`, which exits 0 or 1 (findings or none).
fn run_to(protocol: &Path, data: Option<&Path>, out: &Path) {
    let mut c = s1557();
    c.arg("run").arg(protocol);
    if let Some(d) = data {
        c.arg("--data").arg(d);
    }
    c.arg("--out")
        .arg(out)
        .assert()
        .code(predicate::in_iter([0, 1]));
}

/// `s1557 counts` of `protocol`'s rows into `out`.
fn counts_to(protocol: &Path, out: &Path) {
    s1557()
        .arg("counts")
        .arg(protocol)
        .arg("--out")
        .arg(out)
        .assert()
        .success();
}

fn setup(protocol: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("data.csv"), data()).unwrap();
    let p = dir.path().join("p.toml");
    std::fs::write(&p, protocol).unwrap();
    (dir, p)
}

const COLUMNS: &str = r#"[columns]
decision = "health"
outcome = "heart"
[values.decision]
positive = ["Fair", "Poor"]
negative = ["Excellent", "Very good", "Good"]
[values.outcome]
positive = ["Yes"]
negative = ["No"]
"#;

const EXCLUDE: &str = r#"[[data.exclude]]
column = "gender"
values = ["Unknown/Invalid"]
reason = "gender not recorded validly"
"#;

/// Each group's selected and total cases, counted here from the rows the protocol keeps.
fn expected(excluding: bool) -> std::collections::BTreeMap<(String, String), (u64, u64)> {
    let mut m = std::collections::BTreeMap::new();
    for line in data().lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if excluding && f[4] == "Unknown/Invalid" {
            continue;
        }
        let race = match f[2] {
            "W" => "White",
            "B" => "Black or African American",
            _ => "Some Other Race",
        };
        let selected = u64::from(f[0] == "Fair" || f[0] == "Poor");
        for key in [("race", race), ("age", f[3])] {
            let e = m
                .entry((key.0.to_string(), key.1.to_string()))
                .or_insert((0, 0));
            e.0 += selected;
            e.1 += 1;
        }
    }
    m
}

fn observed(artifact: &Value) -> std::collections::BTreeMap<(String, String), (u64, u64)> {
    let mut m = std::collections::BTreeMap::new();
    for a in artifact["sufficient_statistics"].as_array().unwrap() {
        for g in a["groups"].as_array().unwrap() {
            let c = &g["counts"];
            let n = ["tp", "fp", "fn", "tn"].map(|k| c[k].as_u64().unwrap());
            m.insert(
                (
                    a["attribute"].as_str().unwrap().to_string(),
                    g["group"].as_str().unwrap().to_string(),
                ),
                (n[0] + n[1], n.iter().sum()),
            );
        }
    }
    m
}

#[test]
fn a_decision_from_a_category_list_with_its_own_yes_no_lists() {
    let (dir, p) = setup(&format!("{HEAD}{COLUMNS}{ATTRIBUTES}"));
    let out = dir.path().join("out");
    run_to(&p, None, &out);
    let a = read_json(&out.join("artifact.json"));
    assert_eq!(observed(&a), expected(false));
    // Under one shared list, `Fair` is neither yes nor no: the error names the decision's table.
    let shared = COLUMNS.replace("[values.decision]", "[values]").replace(
        "[values.outcome]\npositive = [\"Yes\"]\nnegative = [\"No\"]\n",
        "",
    );
    std::fs::write(
        &p,
        format!(
            "{HEAD}{}{ATTRIBUTES}",
            shared.replace("\"Fair\", \"Poor\"", "\"Poor\"")
        ),
    )
    .unwrap();
    s1557()
        .arg("run")
        .arg(&p)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("decision `Fair` in column `health` is not a yes/no value")
                .and(predicate::str::contains(
                    "set [values.decision] to map other codes",
                )),
        );
    // One text in both lists of a column is refused.
    let both = COLUMNS.replace("negative = [\"No\"]", "negative = [\"No\", \"yes\"]");
    std::fs::write(&p, format!("{HEAD}{both}{ATTRIBUTES}")).unwrap();
    s1557()
        .arg("validate")
        .arg(&p)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "value `Yes` is listed as both positive and negative in [values.outcome]",
        ));
}

#[test]
fn rows_excluded_by_a_stated_rule_are_counted_and_verified() {
    let protocol = format!("{HEAD}{EXCLUDE}{COLUMNS}{ATTRIBUTES}");
    let (dir, p) = setup(&protocol);
    let out = dir.path().join("out");
    run_to(&p, None, &out);
    let a = read_json(&out.join("artifact.json"));
    assert_eq!(a["data"]["cases"], 297);
    let e = &a["data"]["excluded"][0];
    assert_eq!(e["column"], "gender");
    assert_eq!(e["rows"], 3);
    assert_eq!(e["reason"], "gender not recorded validly");
    assert_eq!(observed(&a), expected(true));
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        report.contains(
            "| Excluded | 3 cases with `gender` `Unknown/Invalid`: gender not recorded validly |"
        ),
        "{report}"
    );
    s1557()
        .arg("verify")
        .arg(out.join("artifact.json"))
        .assert()
        .success();
    // Tampering with the count is caught when the data are at hand.
    let text = std::fs::read_to_string(out.join("artifact.json")).unwrap();
    let tampered = dir.path().join("tampered.json");
    std::fs::write(&tampered, text.replacen("\"rows\": 3", "\"rows\": 0", 1)).unwrap();
    let data = dir.path().join("data.csv");
    s1557()
        .arg("verify")
        .arg(out.join("artifact.json"))
        .arg("--data")
        .arg(&data)
        .assert()
        .success();
    s1557()
        .arg("verify")
        .arg(&tampered)
        .arg("--data")
        .arg(&data)
        .assert()
        .failure();
    // The counts made under the protocol carry the rule in their shape; run takes them, and
    // the decision counts are the rows' own.
    let counts = dir.path().join("counts.csv");
    counts_to(&p, &counts);
    let from_counts = dir.path().join("from-counts");
    run_to(&p, Some(&counts), &from_counts);
    let b = read_json(&from_counts.join("artifact.json"));
    assert_eq!(observed(&b), expected(true));
    assert!(b["data"]["excluded"][0]["rows"].is_null());
    // A counts file made without the rule is refused under it.
    let plain = dir.path().join("plain.toml");
    std::fs::write(&plain, format!("{HEAD}{COLUMNS}{ATTRIBUTES}")).unwrap();
    let other = dir.path().join("other.csv");
    counts_to(&plain, &other);
    s1557()
        .arg("run")
        .arg(&p)
        .arg("--data")
        .arg(&other)
        .arg("--out")
        .arg(dir.path().join("x"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "made under a protocol that reads the rows differently",
        ));
    // The SQL leaves the rows out too.
    let sql = s1557()
        .args(["sql", "--dialect", "duckdb"])
        .arg(&p)
        .output()
        .unwrap();
    let sql = String::from_utf8(sql.stdout).unwrap();
    assert!(
        sql.contains("WHERE NOT COALESCE(TRIM(\"gender\") IN ('Unknown/Invalid'), FALSE)"),
        "{sql}"
    );
    // A rule without a reason is refused.
    std::fs::write(
        &p,
        protocol.replace("reason = \"gender not recorded validly\"", "reason = \" \""),
    )
    .unwrap();
    s1557()
        .arg("validate")
        .arg(&p)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "`data.exclude` on column `gender` gives no reason",
        ));
}

#[test]
fn ordered_text_bands_get_the_trend_test_and_some_other_race_is_a_group() {
    let (dir, p) = setup(&format!("{HEAD}{COLUMNS}{ATTRIBUTES}"));
    let out = dir.path().join("out");
    run_to(&p, None, &out);
    let a = read_json(&out.join("artifact.json"));
    let age = a["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["attribute"] == "age")
        .unwrap();
    let groups: Vec<&str> = age["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["group"].as_str().unwrap())
        .collect();
    assert_eq!(groups, ["Less than 40", "40-64", "65 or older"]);
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        report.contains("trend along the order"),
        "the trend test is reported"
    );
    assert!(
        report.contains("### Some Other Race (race)") || report.contains("| Some Other Race |")
    );
    // An order that misses a group, or names one that is not, is refused.
    let bad = format!("{HEAD}{COLUMNS}{ATTRIBUTES}").replace(
        "order = [\"Less than 40\", \"40-64\", \"65 or older\"]",
        "order = [\"Less than 40\", \"40-64\", \"65+\"]\nmap = { \"Less than 40\" = \"Less than 40\", \"40-64\" = \"40-64\", \"65 or older\" = \"65 or older\" }",
    );
    std::fs::write(&p, bad).unwrap();
    s1557().arg("validate").arg(&p).assert().code(2).stderr(
        predicate::str::contains("`order` of attribute `age` must list each of its groups once")
            .and(predicate::str::contains(
                "groups not listed: `65 or older`; listed but not a group: `65+`",
            )),
    );
}

/// The shipped BRFSS protocol on the real survey (skipped where ../shared is absent): the
/// decision from GenHealth, text age bands in order, DiffWalking, and `Other` race as Some
/// Other Race; every group's counts equal a count made here from the CSV.
#[test]
fn brfss_heart2020_as_a_new_user_writes_it() {
    let csv = common::root().join("../shared/datasets/brfss_heart2020/heart_2020_cleaned.csv");
    if !csv.exists() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_to(Path::new("protocols/brfss_heart2020.toml"), None, &out);
    let a = read_json(&out.join("artifact.json"));
    assert_eq!(a["data"]["cases"], 319_795);
    let mut r = csv::Reader::from_path(&csv).unwrap();
    let h = r.headers().unwrap().clone();
    let at = |n: &str| h.iter().position(|x| x == n).unwrap();
    let (gh, hd, race, age, walk) = (
        at("GenHealth"),
        at("HeartDisease"),
        at("Race"),
        at("AgeCategory"),
        at("DiffWalking"),
    );
    let mut want = std::collections::BTreeMap::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        let d = matches!(&rec[gh], "Fair" | "Poor");
        let o = &rec[hd] == "Yes";
        let race = match &rec[race] {
            "White" => "White",
            "Black" => "Black or African American",
            "Asian" => "Asian",
            "American Indian/Alaskan Native" => "American Indian or Alaska Native",
            "Hispanic" => "Hispanic or Latino",
            _ => "Some Other Race",
        };
        let walk = if &rec[walk] == "Yes" {
            "Disability"
        } else {
            "No disability"
        };
        for key in [("race", race), ("age", &rec[age]), ("disability", walk)] {
            let e = want
                .entry((key.0.to_string(), key.1.to_string()))
                .or_insert([0u64; 4]);
            e[usize::from(!d) * 2 + usize::from(!o)] += 1;
        }
    }
    let mut got = std::collections::BTreeMap::new();
    for x in a["sufficient_statistics"].as_array().unwrap() {
        if x["attribute"] == "sex" {
            continue;
        }
        for g in x["groups"].as_array().unwrap() {
            let c = &g["counts"];
            got.insert(
                (
                    x["attribute"].as_str().unwrap().to_string(),
                    g["group"].as_str().unwrap().to_string(),
                ),
                ["tp", "fp", "fn", "tn"].map(|k| c[k].as_u64().unwrap()),
            );
        }
    }
    assert_eq!(got, want);
    let age = a["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["attribute"] == "age")
        .unwrap();
    assert_eq!(age["groups"][0]["group"], "18-24");
    assert_eq!(age["groups"][12]["group"], "80 or older");
}

/// A rule on an age column whose value equals a band's lower bound leaves out those rows only:
/// the counts made under the rule (keyed by band) are not excluded again. Blank values, values
/// read as missing, and `order` labels read as missing are refused.
#[test]
fn exclusion_rules_act_once_and_cannot_match_nothing() {
    let protocol = format!(
        r#"{HEAD}[[data.exclude]]
column = "age"
values = ["0"]
reason = "newborn records are audited separately"
[columns]
decision = "flag"
outcome = "out"
[[attributes]]
name = "age"
column = "age"
standard = "age_years"
bands = [0, 18]
reference = "18+"
[analysis]
metrics = ["selection_rate"]
min_cell_size = 1
"#
    );
    let mut data = String::from("age,flag,out\n");
    for i in 0..120u32 {
        data += &format!("{},{},{}\n", i % 30, i % 2, u32::from(i % 3 == 0));
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("data.csv"), &data).unwrap();
    let p = dir.path().join("p.toml");
    std::fs::write(&p, &protocol).unwrap();
    let rows = dir.path().join("rows");
    run_to(&p, None, &rows);
    let counts = dir.path().join("counts.csv");
    counts_to(&p, &counts);
    let from_counts = dir.path().join("from-counts");
    run_to(&p, Some(&counts), &from_counts);
    let (a, b) = (
        read_json(&rows.join("artifact.json")),
        read_json(&from_counts.join("artifact.json")),
    );
    assert_eq!(a["data"]["excluded"][0]["rows"], 4);
    assert_eq!(a["data"]["cases"], 116);
    assert_eq!(a["sufficient_statistics"], b["sufficient_statistics"]);
    for (value, what) in [("\" \"", "` `"), ("\"NA\"", "`NA`")] {
        std::fs::write(
            &p,
            protocol.replace("values = [\"0\"]", &format!("values = [{value}]")),
        )
        .unwrap();
        s1557()
            .arg("validate")
            .arg(&p)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(format!(
                "`data.exclude` on column `age` lists {what}, which is read as missing"
            )));
    }
    std::fs::write(
        &p,
        format!("{HEAD}{COLUMNS}{ATTRIBUTES}")
            .replace("\"65 or older\"]", "\"65 or older\", \"NA\"]"),
    )
    .unwrap();
    s1557()
        .arg("validate")
        .arg(&p)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "label `NA` in `order` of attribute `age` is read as missing",
        ));
}

/// A decision made from a 1–10 score (`score >= 5`, COMPAS's "medium or high"), with more
/// operating points asked for: the correction family holds the trigger's comparisons only, so
/// asking for other thresholds never weakens the test of the decision in use.
#[test]
fn a_threshold_on_a_decile_score_does_not_enlarge_the_family() {
    let mut data = String::from("g,decile,recid\n");
    for i in 0..400u32 {
        let g = ["A", "B", "C"][(i % 3) as usize];
        data += &format!(
            "{g},{},{}\n",
            1 + (i * 7 + i / 3) % 10,
            u32::from((i * 5) % 7 < 3)
        );
    }
    let protocol = |thresholds: &str| {
        format!(
            r#"{HEAD}[columns]
score = "decile"
threshold = 5
outcome = "recid"
[[attributes]]
name = "group"
column = "g"
standard = "custom"
reference = "A"
map = {{ "A" = "A", "B" = "B", "C" = "C" }}
[analysis]
metrics = ["selection_rate", "fpr", "fnr"]
min_cell_size = 1
[scores]
scale = "arbitrary"
bin_width = 1
metrics = ["auroc"]
thresholds = [{thresholds}]
[[triggers]]
id = "fpr"
metric = "fpr"
difference = {{ min = -0.05, max = 0.05 }}
severity = "remediate"
action = "review"
"#
        )
        .replace(
            "decision_type = \"binary\"",
            "decision_type = \"score_threshold\"",
        )
    };
    let mut seen = Vec::new();
    for thresholds in ["7", "3, 6, 7, 8, 9"] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("data.csv"), &data).unwrap();
        let p = dir.path().join("p.toml");
        std::fs::write(&p, protocol(thresholds)).unwrap();
        let out = dir.path().join("out");
        run_to(&p, None, &out);
        let a = read_json(&out.join("artifact.json"));
        // B, C and Unknown against A: the family is fixed by the protocol's groups.
        assert_eq!(a["run"]["family_size"], 3);
        let fpr: Vec<Value> = a["comparisons"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["metric"] == "fpr")
            .map(|c| c["p_adjusted"].clone())
            .collect();
        seen.push(fpr);
    }
    assert_eq!(
        seen[0], seen[1],
        "the corrected p-values do not depend on the thresholds asked"
    );
}
