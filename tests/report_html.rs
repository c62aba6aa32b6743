//! report.html: well-formed (it parses as XML, so as HTML5 too), self-contained, with the
//! sections a reader needs, every figure well-formed SVG, every protocol string escaped, and the
//! same bytes when `s1557 report` renders it again.

mod common;

use common::{root, s1557};
use quick_xml::events::Event;

/// Parse `text` as XML, failing on any error (unclosed or mismatched tags, bad entities).
fn well_formed(text: &str, what: &str) -> usize {
    let mut r = quick_xml::Reader::from_str(text);
    r.config_mut().check_end_names = true;
    let (mut depth, mut elements) = (0i64, 0usize);
    loop {
        match r.read_event() {
            Ok(Event::Start(_)) => {
                depth += 1;
                elements += 1;
            }
            Ok(Event::Empty(_)) => elements += 1,
            Ok(Event::End(_)) => depth -= 1,
            Ok(Event::Text(t)) => {
                t.decode()
                    .unwrap_or_else(|e| panic!("{what}: bad text: {e}"));
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("{what}: not well-formed at {}: {e}", r.buffer_position()),
        }
    }
    assert_eq!(depth, 0, "{what}: unclosed elements");
    elements
}

fn run_example(out: &std::path::Path) {
    s1557()
        .current_dir(root())
        .args(["run", "protocols/example.toml", "--out"])
        .arg(out)
        .assert()
        .code(1);
}

#[test]
fn the_report_is_well_formed_self_contained_and_complete() {
    let dir = tempfile::tempdir().unwrap();
    run_example(dir.path());
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(well_formed(&html, "report.html") > 1000);
    for id in ["act", "grid", "coverage", "figures", "help", "details"] {
        assert!(
            html.contains(&format!("<section id=\"{id}\">")),
            "no section {id}"
        );
    }
    // No script, no network: nothing is fetched.
    for banned in ["<script", "src=\"http", "href=\"http", "@import", "url("] {
        assert!(!html.contains(banned), "report.html holds {banned}");
    }
    // The first screen: the result, then the findings to act on, before the grid.
    let result = html.find("class=\"result\"").unwrap();
    let act = html.find("<section id=\"act\">").unwrap();
    let grid = html.find("<section id=\"grid\">").unwrap();
    assert!(result < act && act < grid);
    assert!(html[act..grid].contains("about 254 more of their cases missed"));
    // Every figure is well-formed SVG on its own.
    let mut svgs = 0;
    let mut rest = html.as_str();
    while let Some(i) = rest.find("<svg") {
        let end = rest[i..].find("</svg>").unwrap() + i + "</svg>".len();
        well_formed(&rest[i..end], "an inline SVG");
        svgs += 1;
        rest = &rest[end..];
    }
    assert!(svgs >= 15, "{svgs} figures");
    // The help a non-statistician needs, with the trade-off between criteria.
    assert!(html.contains("no imperfect tool can give them equal false-positive rates"));
    // PNG copies of the figures, for slides.
    let figures: Vec<_> = std::fs::read_dir(dir.path().join("figures"))
        .unwrap()
        .collect();
    assert_eq!(figures.len(), svgs);
    let png = std::fs::read(dir.path().join("figures/forest-race-decision.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
}

#[test]
fn strings_from_the_protocol_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("protocols/example.toml"))
        .unwrap()
        .replace(
            "name = \"ReadmitWatch outreach flag\"",
            "name = \"Flag <script>alert(1)</script> & <b>co</b> ![x](http://198.51.100.1/b.png) [a](javascript:alert(1))\"",
        )
        .replace(
            "../datasets/example.csv",
            &root().join("datasets/example.csv").display().to_string(),
        );
    let protocol = dir.path().join("p.toml");
    std::fs::write(&protocol, text).unwrap();
    let out = dir.path().join("out");
    s1557()
        .arg("run")
        .arg(&protocol)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(1);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        !html.contains("<script") && !html.contains("<b>co"),
        "a protocol string got through"
    );
    assert!(
        !html.contains("<img") && !html.contains("href=") && !html.contains("src="),
        "a link or an image in a protocol string became live"
    );
    assert!(html.contains("Flag &lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;co&lt;/b&gt;"));
    well_formed(&html, "report.html with markup in the tool's name");
}

#[test]
fn report_renders_the_same_bytes_again() {
    let dir = tempfile::tempdir().unwrap();
    run_example(dir.path());
    let again = dir.path().join("again");
    s1557()
        .arg("report")
        .arg(dir.path().join("artifact.json"))
        .arg("--out")
        .arg(&again)
        .assert()
        .success();
    let mut files = vec![
        "report.html".to_string(),
        "report.md".into(),
        "metrics.csv".into(),
    ];
    for e in std::fs::read_dir(dir.path().join("figures")).unwrap() {
        files.push(format!(
            "figures/{}",
            e.unwrap().file_name().to_string_lossy()
        ));
    }
    assert!(files.len() > 10);
    for f in files {
        let x = std::fs::read(dir.path().join(&f)).unwrap();
        let y = std::fs::read(again.join(&f)).unwrap_or_default();
        assert!(x == y, "{f} differs when rendered again");
    }
}

#[test]
fn too_few_to_judge_says_how_many_cases_judging_would_take() {
    // The group size at which the test at the interval's level (0.05 two-sided: 2.5% a side)
    // reaches power 0.8 at the band's edge, against the reference as measured: what a group
    // with no gap needs to be shown inside the band. Found by a plain linear search over n with
    // the same normal approximation in Python: 816 for the selection rate at 0.8 × 20.01%
    // against 8,184 White male patients; 104 for a TPR 10 points under 87.84% against 2,418.
    // Quarters to pool: 816 / 201, rounded up.
    let md = std::fs::read_to_string(root().join("reports/example/report.md")).unwrap();
    assert!(md.contains(
        "| American Indian or Alaska Native × Male (race_x_sex) | Selection rate (flagged) | 201 | about 816 | 5 |"
    ), "{md}");
    assert!(md.contains(
        "| American Indian or Alaska Native (race) | True positive rate (sensitivity) | withheld | about 104 | — |"
    ));
    let html = std::fs::read_to_string(root().join("reports/example/report.html")).unwrap();
    assert!(html.contains("<section id=\"too-few\">"));
}
