//! The counts query of `s1557 sql` on real engines: DuckDB and Spark SQL (pyspark in local mode),
//! over the shipped example and, when `../shared/datasets` is present, the Obermeyer replica and
//! a de-identified COMPAS extract. Each engine's result must equal `s1557 counts` (every count
//! exactly; score sums to 1e-12 relative, as engines add in their own order), and `s1557 run` must
//! read it.
//!
//! The engines come from a Python environment: `S1557_PYTHON` names its interpreter, else
//! `target/engines-venv/bin/python` (what `.ci/run` installs). Without one the test says so and
//! passes, unless `S1557_REQUIRE_ENGINES=1` (set by `.ci/run`), when it fails.

use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::Command as Cmd;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn s1557() -> Cmd {
    Cmd::cargo_bin("s1557").unwrap()
}

/// The Python with duckdb and pyspark, or `None` (a failure when engines are required).
fn engines_python() -> Option<PathBuf> {
    let py = std::env::var_os("S1557_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/engines-venv/bin/python"));
    let ok = Command::new(&py)
        .args(["-c", "import duckdb, pyspark"])
        .status()
        .is_ok_and(|s| s.success());
    let required = std::env::var("S1557_REQUIRE_ENGINES").is_ok_and(|v| v == "1");
    match (ok, required) {
        (true, _) => Some(py),
        (false, true) => panic!(
            "S1557_REQUIRE_ENGINES=1 but `{}` cannot import duckdb and pyspark",
            py.display()
        ),
        (false, false) => {
            eprintln!("skipped: no Python with duckdb and pyspark (see .ci/run)");
            None
        }
    }
}

fn shared(rel: &str) -> Option<PathBuf> {
    let p = root().join("../shared/datasets").join(rel);
    p.is_file().then_some(p)
}

/// A CSV file as its header and rows of texts.
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

/// Compare an engine's counts with `s1557 counts`: the same columns, the same rows (keyed by
/// every text column and the bin), the same counts, minima and maxima, and sums within 1e-12.
fn assert_same_counts(ours: &Path, theirs: &Path, what: &str) {
    let (h1, r1) = read_csv(ours);
    let (h2, r2) = read_csv(theirs);
    assert_eq!(h1, h2, "{what}: columns differ");
    let col = |n: &str| h1.iter().position(|h| h == n);
    let numeric: Vec<usize> = [
        "s1557_n",
        "s1557_score_sum",
        "s1557_score_min",
        "s1557_score_max",
        "s1557_need_n",
        "s1557_need_sum",
        "s1557_need_sumsq",
    ]
    .iter()
    .filter_map(|n| col(n))
    .collect();
    let key = |r: &Vec<String>| -> Vec<String> {
        r.iter()
            .enumerate()
            .filter(|(i, _)| !numeric.contains(i))
            .map(|(_, v)| v.clone())
            .collect()
    };
    let mut a: Vec<&Vec<String>> = r1.iter().collect();
    let mut b: Vec<&Vec<String>> = r2.iter().collect();
    a.sort_by_key(|r| key(r));
    b.sort_by_key(|r| key(r));
    assert_eq!(a.len(), b.len(), "{what}: row counts differ");
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(key(x), key(y), "{what}: rows differ");
        for &i in &numeric {
            let (u, v) = (&x[i], &y[i]);
            let summed = ["s1557_score_sum", "s1557_need_sum", "s1557_need_sumsq"];
            if summed.contains(&h1[i].as_str()) && !u.is_empty() {
                let (p, q): (f64, f64) = (u.parse().unwrap(), v.parse().unwrap());
                assert!(
                    (p - q).abs() <= 1e-12 * p.abs().max(1.0),
                    "{what}: {} {p} vs {q} in {x:?}",
                    h1[i]
                );
            } else if h1[i] == "s1557_n" || h1[i] == "s1557_need_n" {
                assert_eq!(
                    u.parse::<u64>().ok(),
                    v.parse::<u64>().ok(),
                    "{what}: count in {x:?}"
                );
            } else {
                assert_eq!(
                    u.parse::<f64>().ok(),
                    v.parse::<f64>().ok(),
                    "{what}: {} in {x:?}",
                    h1[i]
                );
            }
        }
    }
}

/// One data set and its protocol.
struct Case {
    name: &'static str,
    protocol: PathBuf,
    data: PathBuf,
    /// For bad data: what `s1557 counts` and `s1557 run` on the engine's result must say.
    refused: Option<&'static str>,
}

/// COMPAS as a site would stage it: only the columns the protocol uses (the file's identifiers
/// and its second `decile_score` column left out).
fn compas_case(dir: &Path) -> Option<Case> {
    let src = shared("compas/compas-scores-two-years.csv")?;
    let (header, rows) = read_csv(&src);
    let keep = ["race", "sex", "age", "decile_score", "two_year_recid"];
    let idx: Vec<usize> = keep
        .iter()
        .map(|k| header.iter().position(|h| h == k).unwrap())
        .collect();
    let data = dir.join("compas.csv");
    let mut w = csv::Writer::from_path(&data).unwrap();
    w.write_record(keep).unwrap();
    for r in &rows {
        w.write_record(idx.iter().map(|&i| r[i].as_str())).unwrap();
    }
    w.flush().unwrap();
    let protocol = dir.join("compas.toml");
    std::fs::write(
        &protocol,
        r#"protocol_version = "1.0.0"
name = "compas-engines"

[tool]
name = "COMPAS recidivism decile score"
vendor = "Northpointe"
version = "2013"
intended_use = "Pretrial risk of recidivism (a public benchmark, not a clinical tool)"
decision_type = "score_threshold"

[data]
path = "compas.csv"

[columns]
score = "decile_score"
threshold = 5
outcome = "two_year_recid"

[[attributes]]
name = "race"
column = "race"
standard = "custom"
reference = "Caucasian"
map = { "African-American" = "African-American", "Caucasian" = "Caucasian", "Hispanic" = "Hispanic", "Asian" = "Asian", "Native American" = "Native American", "Other" = "Other" }

[[attributes]]
name = "sex"
column = "sex"
standard = "sex"
reference = "Male"
map = { "Male" = "Male", "Female" = "Female" }

[[attributes]]
name = "age"
column = "age"
standard = "age_years"
bands = [18, 25, 45]
reference = "25-44"

[analysis]
metrics = ["selection_rate", "tpr", "fpr", "ppv"]

[scores]
scale = "arbitrary"
metrics = ["auroc", "average_precision"]
bin_width = 1
thresholds = [5, 8]
top_percent = [20]
"#,
    )
    .unwrap();
    Some(Case {
        name: "compas",
        protocol,
        data,
        refused: None,
    })
}

/// The Obermeyer protocol with a bin width for its cost score, reading the shared file.
fn obermeyer_case(dir: &Path) -> Option<Case> {
    let data = shared("obermeyer/model_lasso_predictors.csv")?;
    let text = std::fs::read_to_string(root().join("protocols/obermeyer.toml"))
        .unwrap()
        .replace(
            "path = \"../../shared/datasets/obermeyer/model_lasso_predictors.csv\"",
            &format!("path = {:?}", data.display().to_string()),
        )
        .replace(
            "scale = \"arbitrary\"",
            "scale = \"arbitrary\"\nbin_width = 0.001",
        );
    let protocol = dir.join("obermeyer.toml");
    std::fs::write(&protocol, text).unwrap();
    Some(Case {
        name: "obermeyer",
        protocol,
        data,
        refused: None,
    })
}

/// Awkward but valid rows: two age attributes on one column (bands [18, 65] and [18, 45, 65,
/// 90]), ages with decimals and a missing code, the protocol's null values, yes/no codes in
/// mixed case with spaces, an outcome cut from a number, and rows without a score (a decision
/// from a score threshold is COMPAS's case).
fn awkward_case(dir: &Path) -> Case {
    let mut csv = String::from("age,sex,flag,score,cost\n");
    for i in 0..3000u32 {
        let age = match i % 11 {
            0 => "NA".to_string(),
            1 => "unknown".to_string(),
            2 => format!("{}.5", 18 + i % 80),
            _ => (18 + (i * 7) % 85).to_string(),
        };
        let sex = ["F", "M", " f", "", "null"][(i % 5) as usize];
        let score = if i % 13 == 0 {
            String::new()
        } else {
            format!("{:.4}", f64::from((i * 37) % 1000) / 1000.0)
        };
        let cost = f64::from((i * 53) % 997) * 40.0 + 0.5;
        let flag = ["Yes", " no", "Y", "N", "TRUE", "0"][((i * 3 + i / 7) % 6) as usize];
        csv += &format!("{age},{sex},{flag},{score},{cost}\n");
    }
    let data = dir.join("awkward.csv");
    std::fs::write(&data, csv).unwrap();
    let protocol = dir.join("awkward.toml");
    std::fs::write(
        &protocol,
        r#"protocol_version = "1.0.0"
name = "awkward"

[tool]
name = "Awkward"
vendor = "Test"
version = "1"
intended_use = "engine checks"
decision_type = "binary"

[data]
path = "awkward.csv"

[[data.exclude]]
column = "flag"
values = ["TRUE"]
reason = "engine check: rows left out by a stated rule"

[columns]
decision = "flag"
score = "score"
outcome = "cost"
outcome_at_least = 20000

[[attributes]]
name = "age_coarse"
column = "age"
standard = "age_years"
bands = [18, 65]
reference = "18-64"
missing = ["unknown"]

[[attributes]]
name = "age"
column = "age"
standard = "age_years"
bands = [18, 45, 65, 90]
reference = "45-64"
missing = ["unknown"]

[[attributes]]
name = "sex"
column = "sex"
standard = "sex"
reference = "Male"
map = { "F" = "Female", "M" = "Male", " f" = "Female" }

[scores]
metrics = ["auroc", "calibration"]
"#,
    )
    .unwrap();
    Case {
        name: "awkward",
        protocol,
        data,
        refused: None,
    }
}

/// The awkward rows with values the rows path refuses: an age of NaN and an infinite cost. The
/// query cannot stop on them, so it leaves them missing, and `run` refuses its result.
fn refused_case(dir: &Path, awkward: &Case) -> Case {
    let mut csv = std::fs::read_to_string(&awkward.data).unwrap();
    csv += "NaN,F,Y,0.5,100\n40,M,Y,0.2,inf\n40,Jane Roe,Y,0.2,100\n";
    let data = dir.join("refused.csv");
    std::fs::write(&data, csv).unwrap();
    let protocol = dir.join("refused.toml");
    let text = std::fs::read_to_string(&awkward.protocol)
        .unwrap()
        .replace("awkward.csv", "refused.csv");
    std::fs::write(&protocol, text).unwrap();
    Case {
        name: "refused",
        protocol,
        data,
        refused: Some("has missing outcomes"),
    }
}

fn artifact_without_source(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("artifact.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v.as_object_mut().unwrap().remove("data");
    v
}

#[test]
fn the_counts_query_gives_the_same_counts_on_duckdb_and_spark() {
    let Some(py) = engines_python() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut cases = vec![Case {
        name: "example",
        protocol: root().join("protocols/example.toml"),
        data: root().join("datasets/example.csv"),
        refused: None,
    }];
    let awkward = awkward_case(d);
    cases.push(refused_case(d, &awkward));
    cases.push(awkward);
    cases.extend(obermeyer_case(d));
    cases.extend(compas_case(d));
    let mut jobs = serde_json::Map::new();
    for engine in ["duckdb", "spark"] {
        let mut list = vec![];
        for c in &cases {
            let sql = d.join(format!("{}-{engine}.sql", c.name));
            let out = s1557()
                .args(["sql", "--dialect", engine])
                .arg(&c.protocol)
                .output()
                .unwrap();
            assert!(out.status.success(), "{}: sql failed", c.name);
            std::fs::write(&sql, &out.stdout).unwrap();
            list.push(serde_json::json!({
                "data": c.data,
                "sql": sql,
                "out": d.join(format!("{}-{engine}.csv", c.name)),
            }));
        }
        let file = d.join(format!("{engine}-jobs.json"));
        std::fs::write(&file, serde_json::to_string(&list).unwrap()).unwrap();
        jobs.insert(engine.into(), file.to_string_lossy().into());
    }
    for c in &cases {
        let made = s1557()
            .arg("counts")
            .arg(&c.protocol)
            .arg("--data")
            .arg(&c.data)
            .arg("--out")
            .arg(d.join(format!("{}-s1557.csv", c.name)))
            .assert();
        match c.refused {
            None => made.success(),
            Some(_) => made.code(2),
        };
    }
    for (engine, file) in &jobs {
        let status = Command::new(&py)
            .arg(root().join("tests/engines/run_query.py"))
            .arg(engine)
            .arg(file.as_str().unwrap())
            .status()
            .unwrap();
        assert!(status.success(), "{engine}: the query failed");
    }
    for c in cases.iter().filter(|c| c.refused.is_some()) {
        for engine in ["duckdb", "spark"] {
            s1557()
                .arg("run")
                .arg(&c.protocol)
                .arg("--data")
                .arg(d.join(format!("{}-{engine}.csv", c.name)))
                .arg("--out")
                .arg(d.join(format!("{}-run-{engine}", c.name)))
                .assert()
                .code(2)
                .stderr(predicates::str::contains(c.refused.unwrap_or_default()));
            let shared =
                std::fs::read_to_string(d.join(format!("{}-{engine}.csv", c.name))).unwrap();
            assert!(
                !shared.contains("Jane Roe") && shared.contains("(withheld: not in the map)"),
                "{engine}: a value the protocol cannot code travelled in the counts"
            );
        }
    }
    for c in cases.iter().filter(|c| c.refused.is_none()) {
        let ours = d.join(format!("{}-s1557.csv", c.name));
        let from_ours = d.join(format!("{}-run-s1557", c.name));
        s1557()
            .arg("run")
            .arg(&c.protocol)
            .arg("--data")
            .arg(&ours)
            .arg("--out")
            .arg(&from_ours)
            .assert()
            .code(predicates::ord::le(1));
        let expected = artifact_without_source(&from_ours);
        for engine in ["duckdb", "spark"] {
            let theirs = d.join(format!("{}-{engine}.csv", c.name));
            assert_same_counts(&ours, &theirs, &format!("{} on {engine}", c.name));
            let out = d.join(format!("{}-run-{engine}", c.name));
            s1557()
                .arg("run")
                .arg(&c.protocol)
                .arg("--data")
                .arg(&theirs)
                .arg("--out")
                .arg(&out)
                .assert()
                .code(predicates::ord::le(1));
            // Everything the counts decide is identical; scores may move within their bound
            // where an engine's sums differ in the last bit (checked in tests/counts.rs).
            let got = artifact_without_source(&out);
            for part in [
                "attributes",
                "comparisons",
                "stratified",
                "sufficient_statistics",
                "summary",
            ] {
                assert_eq!(
                    got[part], expected[part],
                    "{} on {engine}: `{part}` differs",
                    c.name
                );
            }
        }
    }
}
