//! `s1557 board`: the shipped example board is current, well-formed and self-contained; an
//! overdue tool, an unverified artifact, a missing or unbound sign-off, a worsened finding, a tool
//! with no artifact and an artifact of a tool not in the inventory each show as they should.

mod common;

use std::path::Path;

use common::{root, s1557};

const RUNS: &str = "reports/board/runs";

fn board_args() -> Vec<&'static str> {
    vec![
        "board",
        "--inventory",
        "protocols/inventory.toml",
        "reports/example",
        "reports/example-q2",
        RUNS,
        "--as-of",
        "2027-01-20",
        "--out",
    ]
}

#[test]
fn the_shipped_board_is_current() {
    let out = tempfile::tempdir().unwrap();
    s1557()
        .current_dir(root())
        .args(board_args())
        .arg(out.path())
        .assert()
        .success();
    for f in ["board.md", "board.html", "board.csv"] {
        let fresh = std::fs::read(out.path().join(f)).unwrap();
        let shipped = std::fs::read(root().join("reports/board").join(f)).unwrap();
        assert!(
            fresh == shipped,
            "reports/board/{f} is not what tools/board-example.sh's board command writes: run it"
        );
    }
    let html = std::fs::read_to_string(out.path().join("board.html")).unwrap();
    let mut r = quick_xml::Reader::from_str(&html);
    r.config_mut().check_end_names = true;
    let mut svgs = 0;
    loop {
        match r.read_event() {
            Ok(quick_xml::events::Event::Start(e)) if e.name().as_ref() == b"svg" => svgs += 1,
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!(
                "board.html is not well-formed at {}: {e}",
                r.buffer_position()
            ),
        }
    }
    assert_eq!(svgs, 3, "one figure of key findings per tested tool");
    for banned in ["<script", "src=\"http", "href=\"http", "@import", "url("] {
        assert!(!html.contains(banned), "board.html holds {banned}");
    }
    for id in [
        "grid", "changes", "actions", "trends", "gaps", "signoffs", "sources",
    ] {
        assert!(
            html.contains(&format!("<section id=\"{id}\">")),
            "no section {id}"
        );
    }
    // Every artifact is named by its full SHA-256 in the sources.
    let md = std::fs::read_to_string(out.path().join("board.md")).unwrap();
    for dir in ["reports/example", "reports/example-q2"] {
        let bytes = std::fs::read(root().join(dir).join("artifact.json")).unwrap();
        assert!(
            md.contains(&s1557::protocol::sha256_hex(&bytes)),
            "{dir} not traced"
        );
    }
}

/// Copy an artifact into `to`, with what lies beside it or not.
fn copy(from: &str, to: &Path, beside: bool) {
    std::fs::create_dir_all(to).unwrap();
    let from = root().join(from);
    let mut names = vec!["artifact.json"];
    if beside {
        names.extend(["attestation.json", "actions.json"]);
    }
    for n in names {
        if from.join(n).is_file() {
            std::fs::copy(from.join(n), to.join(n)).unwrap();
        }
    }
}

const INVENTORY: &str = r#"format = "s1557-inventory/1"
organisation = "Test clinic"

[[tools]]
name = "HomeAssist referral score"
owner = "Post-acute"
protected_inputs = true

[[tools]]
name = "Care-management enrolment flag"
owner = "Care management"
protected_inputs = true

[[tools]]
name = "Sepsis alert"
owner = "Nursing"
protected_inputs = true
"#;

/// A tool's row of the status grid and of the testing table, joined.
fn row(md: &str, tool: &str) -> String {
    let rows: Vec<&str> = md
        .lines()
        .filter(|l| l.starts_with(&format!("| **{tool}**")))
        .collect();
    assert_eq!(rows.len(), 2, "no grid rows for {tool}:\n{md}");
    rows.join("\n")
}

#[test]
fn overdue_unverified_unsigned_worse_and_untested_each_show() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    std::fs::write(p.join("tools.toml"), INVENTORY).unwrap();
    copy(
        &format!("{RUNS}/homecare-referral/2026-q3"),
        &p.join("h3"),
        true,
    );
    // Q4 without its attestation.json: a missing sign-off.
    copy(
        &format!("{RUNS}/homecare-referral/2026-q4"),
        &p.join("h4"),
        false,
    );
    // The care tool's only artifact is Q3, with one count changed: it cannot verify.
    copy(
        &format!("{RUNS}/care-enrolment/2026-q3"),
        &p.join("c3"),
        false,
    );
    let file = p.join("c3/artifact.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let n = v["comparisons"][0]["numerator"].as_u64().unwrap();
    v["comparisons"][0]["numerator"] = (n + 1).into();
    std::fs::write(&file, serde_json::to_string_pretty(&v).unwrap()).unwrap();

    s1557()
        .current_dir(p)
        .args(["board", "--inventory", "tools.toml", "h3", "h4", "c3"])
        .args(["--as-of", "2027-03-15", "--out", "out"])
        .assert()
        .code(4);
    let md = std::fs::read_to_string(p.join("out/board.md")).unwrap();
    let home = row(&md, "HomeAssist referral score");
    assert!(home.contains("not signed off"), "{home}");
    assert!(home.contains("✖ remediate ↑ worse"), "{home}");
    assert!(md.contains("HomeAssist referral score: 75-89 vs 45-64, True positive rate (sensitivity): ✔ pass → ✖ remediate"));
    // Q3 ended 2026-09-30: the next test was due 2027-01-30, before 2027-03-15.
    let care = row(&md, "Care-management enrolment flag");
    assert!(care.contains("2026-Q3 | 2027-01-30 **overdue**"), "{care}");
    assert!(care.contains("no test"), "{care}");
    assert!(md.contains("| Care-management enrolment flag | test overdue | next test was due 2027-01-30; last tested 2026-Q3 |"));
    assert!(md.contains("| `c3/artifact.json` |"));
    let unverified = md
        .lines()
        .find(|l| l.contains("`c3/artifact.json`"))
        .unwrap();
    assert!(unverified.contains("NOT VERIFIED"), "{unverified}");
    assert!(md.contains("- **1** artifacts that do not verify"));
    let sepsis = row(&md, "Sepsis alert");
    assert!(sepsis.contains("| never | now **overdue** |"), "{sepsis}");
    assert!(md.contains(
        "| Sepsis alert | test overdue | no artifact of this tool up to 2026-Q4 was given to the board |"
    ));
    let csv = std::fs::read_to_string(p.join("out/board.csv")).unwrap();
    assert!(csv.contains("2026-Q4,Sepsis alert,,Nursing,race,no_test,"));
    assert!(csv.contains("2026-Q4,HomeAssist referral score,,Post-acute,age,remediate,worse,"));
    assert!(md.contains("In 2026-Q4, 1 of the 3 tools that can be tested against outcomes were tested (Care-management enrolment flag and Sepsis alert not)."));
}

#[test]
fn an_unbound_sign_off_and_a_tool_not_in_the_inventory_show() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    std::fs::write(
        p.join("tools.toml"),
        &INVENTORY[..INVENTORY.find("\n[[tools]]\nname = \"Care").unwrap()],
    )
    .unwrap();
    copy(
        &format!("{RUNS}/homecare-referral/2026-q4"),
        &p.join("h4"),
        false,
    );
    // The Q3 sign-off beside the Q4 artifact: made for other bytes.
    std::fs::copy(
        root()
            .join(RUNS)
            .join("homecare-referral/2026-q3/attestation.json"),
        p.join("h4/attestation.json"),
    )
    .unwrap();
    copy("reports/example", &p.join("rw"), false);
    s1557()
        .current_dir(p)
        .args(["board", "--inventory", "tools.toml", "h4", "rw"])
        .args(["--as-of", "2027-01-20", "--out", "out"])
        .assert()
        .success();
    let md = std::fs::read_to_string(p.join("out/board.md")).unwrap();
    assert!(
        row(&md, "HomeAssist referral score").contains("sign-off does not bind to the artifact")
    );
    assert!(md.contains("| ReadmitWatch outreach flag | not in the inventory |"));
}

#[test]
fn a_bad_inventory_is_refused_with_its_file_and_reason() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    std::fs::write(
        p.join("tools.toml"),
        INVENTORY.replace(
            "owner = \"Nursing\"",
            "owner = \"Nursing\"\ntestable = false",
        ),
    )
    .unwrap();
    let out = s1557()
        .current_dir(p)
        .args(["board", "--inventory", "tools.toml", "."])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(out).unwrap();
    assert!(
        err.contains(
            "tools.toml: tools[2] (`Sepsis alert`): `testable = false` needs `why_not_testable`"
        ),
        "{err}"
    );
    std::fs::write(
        p.join("tools.toml"),
        INVENTORY.replace(
            "protected_inputs = true\n\n[[tools]]\nname = \"Care",
            "protected_inputs = \"yes\"\n\n[[tools]]\nname = \"Care",
        ),
    )
    .unwrap();
    let out = s1557()
        .current_dir(p)
        .args(["board", "--inventory", "tools.toml", "."])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(out).unwrap();
    assert!(err.contains("tools.toml:7:20"), "{err}");
}

#[test]
fn bad_inputs_are_shown_on_the_board_not_fatal_and_folders_are_read_once() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    std::fs::write(p.join("tools.toml"), INVENTORY).unwrap();
    let runs = p.join("runs");
    copy(
        &format!("{RUNS}/homecare-referral/2026-q3"),
        &runs.join("h3"),
        true,
    );
    // The same bytes again, under another name.
    copy(
        &format!("{RUNS}/homecare-referral/2026-q3"),
        &runs.join("h3-copy"),
        false,
    );
    copy(
        &format!("{RUNS}/homecare-referral/2026-q4"),
        &runs.join("h4"),
        false,
    );
    // The Q3 actions log beside the Q4 artifact: it does not bind.
    std::fs::copy(runs.join("h3/actions.json"), runs.join("h4/actions.json")).unwrap();
    std::fs::create_dir_all(runs.join("bad")).unwrap();
    std::fs::write(runs.join("bad/artifact.json"), "{").unwrap();
    // A link back up the tree: followed once.
    #[cfg(unix)]
    std::os::unix::fs::symlink("..", runs.join("h3/up")).unwrap();
    s1557()
        .current_dir(p)
        .args(["board", "--inventory", "tools.toml", "runs", "runs"])
        .args(["--as-of", "2027-01-20", "--out", "out"])
        .timeout(std::time::Duration::from_secs(120))
        .assert()
        .code(4);
    let md = std::fs::read_to_string(p.join("out/board.md")).unwrap();
    assert!(
        md.contains("| runs/bad/artifact.json | input set aside | cannot be read:"),
        "{md}"
    );
    assert!(md.contains("| runs/h3-copy/artifact.json | input set aside | the same bytes as runs/h3/artifact.json: read once |"), "{md}");
    assert!(md.contains("| HomeAssist referral score | actions log of 2026-Q4 not taken | actions.json beside runs/h4/artifact.json does not bind to the artifact |"), "{md}");
    // Two artifacts in the sources, each once; the Q3 action is still open.
    assert_eq!(
        md.matches("| HomeAssist referral score | 2026-Q").count(),
        2,
        "{md}"
    );
    assert_eq!(
        md.matches("race/Black or African American/tpr | Asked HomeAssist")
            .count(),
        1
    );
}
