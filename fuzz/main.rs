//! A stable-toolchain fuzz driver (no nightly, no sanitizer build): seeded mutation of real
//! inputs and `arbitrary`-built protocols, each execution under `catch_unwind` with a watchdog
//! for hangs. A panic or a hang saves the input under `fuzz/crashes/` and counts as a failure.
//!
//! ```text
//! cargo run --profile fuzz --features fuzz --bin s1557-fuzz -- TARGET EXECUTIONS [SEED]
//! ```
//!
//! Targets:
//! - `protocol`: protocol text (the shipped protocols, mutated) → parse and validate, then the
//!   SQL query and the counts shape of every protocol that validates;
//! - `structured`: protocols built by `arbitrary` (attributes, maps, bands, order, values,
//!   exclusions, triggers, analysis settings) → the same;
//! - `artifact`: artifact JSON (a small run's artifact, mutated) → read, and written back;
//! - `cells`: CSV bytes → the row-width checker, and every cell through the identifier checks;
//! - `counts`: confusion counts built by `arbitrary` (0 to 2^53, empty and one-sided groups) →
//!   every statistic, comparison, test, correction and status of a run;
//! - `csv`: a CSV file (rows of a small protocol, mutated) → the whole loader (polars scan,
//!   identifiers, coding) and the run.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arbitrary::{Arbitrary, Unstructured};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// One target: an input's bytes in, a panic out when something breaks.
type Target<'a> = dyn Fn(&[u8]) + 'a;

/// A trigger built from fuzz bytes: metric, ratio band, difference band, remediate or monitor.
type TriggerSpec = (u8, Option<(f64, f64)>, Option<(f64, f64)>, bool);

/// One execution longer than this is a hang.
const HANG: Duration = Duration::from_secs(20);

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(target), Some(n)) = (args.get(1), args.get(2).and_then(|n| n.parse::<u64>().ok()))
    else {
        eprintln!(
            "usage: s1557-fuzz protocol|structured|artifact|cells|counts|csv EXECUTIONS [SEED]"
        );
        std::process::exit(2);
    };
    let seed = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1557);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let work = tempfile::tempdir().expect("a temporary folder");
    let seeds = seeds(target, &root, work.path());
    let run: Box<Target<'_>> = match target.as_str() {
        "protocol" | "structured" => {
            Box::new(|b: &[u8]| protocol_target(b, target == "structured"))
        }
        "artifact" => Box::new(artifact_target),
        "cells" => Box::new(cells_target),
        "counts" => Box::new(counts_target),
        "csv" => {
            let dir = work.path().to_path_buf();
            Box::new(move |b: &[u8]| csv_target(b, &dir))
        }
        other => {
            eprintln!("unknown target `{other}`");
            std::process::exit(2);
        }
    };
    // S1557_FUZZ_TRACE=FILE writes each input to FILE before it runs (an abort, which no hook
    // sees, then leaves its input there) and keeps the panic messages.
    let trace = std::env::var_os("S1557_FUZZ_TRACE").map(PathBuf::from);
    let current = Arc::new(Mutex::new(Vec::<u8>::new()));
    // The hook saves the input of every panic, including one that aborts instead of unwinding
    // (polars' unsafe-precondition checks); with S1557_FUZZ_TRACE the messages are kept too.
    {
        let (current, root, target, quiet) = (
            current.clone(),
            root.clone(),
            target.clone(),
            trace.is_none(),
        );
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if let Ok(input) = current.try_lock() {
                save(&root, &target, "panic", &input);
            }
            if !quiet {
                default(info);
            }
        }));
    }
    let started = Arc::new(AtomicU64::new(0));
    watchdog(
        target.clone(),
        root.clone(),
        current.clone(),
        started.clone(),
    );
    let clock = Instant::now();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut crashes = 0u64;
    for i in 0..n {
        let input =
            if target == "protocol" || target == "artifact" || target == "csv" || target == "cells"
            {
                mutate(&mut rng, &seeds)
            } else {
                (0..rng.random_range(16..512))
                    .map(|_| rng.random())
                    .collect()
            };
        if let Some(t) = &trace {
            let _ = std::fs::write(t, &input);
        }
        *current.lock().unwrap() = input.clone();
        started.store(clock.elapsed().as_millis() as u64 + 1, Ordering::SeqCst);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&input)));
        started.store(0, Ordering::SeqCst);
        if result.is_err() {
            crashes += 1;
        }
        if (i + 1) % 100_000 == 0 {
            eprintln!(
                "{target}: {} executions, {crashes} crashes, {:.0} s",
                i + 1,
                clock.elapsed().as_secs_f64()
            );
        }
    }
    let secs = clock.elapsed().as_secs_f64();
    println!(
        "{target}: {n} executions in {secs:.0} s ({:.0}/s), {crashes} crashes, seed {seed}",
        n as f64 / secs
    );
    std::process::exit(i32::from(crashes > 0));
}

/// Save a failing input as `fuzz/crashes/TARGET-KIND-HASH`.
fn save(root: &Path, target: &str, kind: &str, input: &[u8]) {
    let dir = root.join("fuzz/crashes");
    let _ = std::fs::create_dir_all(&dir);
    let name = format!(
        "{target}-{kind}-{}",
        &s1557::protocol::sha256_hex(input)[..16]
    );
    let _ = std::fs::write(dir.join(&name), input);
    let _ = writeln!(std::io::stderr(), "{kind}: saved fuzz/crashes/{name}");
}

/// A thread that ends the process when one execution runs past [`HANG`], saving its input.
fn watchdog(target: String, root: PathBuf, current: Arc<Mutex<Vec<u8>>>, started: Arc<AtomicU64>) {
    let clock = Instant::now();
    std::thread::spawn(move || loop {
        std::thread::sleep(Duration::from_secs(1));
        let s = started.load(Ordering::SeqCst);
        let now = clock.elapsed().as_millis() as u64;
        if s != 0 && now.saturating_sub(s) > HANG.as_millis() as u64 {
            // The execution may still hold the lock; read what is there without waiting long.
            let input = current.try_lock().map(|g| g.clone()).unwrap_or_default();
            save(&root, &target, "hang", &input);
            std::process::exit(3);
        }
    });
}

/// The inputs mutation starts from.
fn seeds(target: &str, root: &Path, work: &Path) -> Vec<Vec<u8>> {
    match target {
        "protocol" => std::fs::read_dir(root.join("protocols"))
            .expect("protocols/")
            .filter_map(|e| std::fs::read(e.ok()?.path()).ok())
            .collect(),
        "artifact" => vec![small_artifact(work).into_bytes()],
        "cells" | "csv" => vec![
            CSV.as_bytes().to_vec(),
            "g,flagged,outcome\n\"M\",\"1\",\"0\"\r\nF,0,1\r\n"
                .as_bytes()
                .to_vec(),
            "g,flagged,outcome\nM,yes,no\nF,,1\n\"F, x\",1,0\n"
                .as_bytes()
                .to_vec(),
        ],
        _ => Vec::new(),
    }
}

/// Byte-level mutations: flips, inserts, deletions, duplications, splices between seeds, and
/// tokens that have broken parsers before (huge numbers, NaN, quotes, line breaks, separators).
fn mutate(rng: &mut ChaCha8Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    const TOKENS: [&str; 16] = [
        "1e308",
        "-1",
        "NaN",
        "inf",
        "\"",
        "\n",
        "\r",
        ",",
        "=",
        "[",
        "]",
        "{",
        "}",
        "9007199254740993",
        "\u{0}",
        "Unknown",
    ];
    let mut b = seeds[rng.random_range(0..seeds.len())].clone();
    for _ in 0..rng.random_range(1..8) {
        let at = if b.is_empty() {
            0
        } else {
            rng.random_range(0..b.len())
        };
        match rng.random_range(0..6) {
            0 if !b.is_empty() => b[at] ^= 1 << rng.random_range(0..8),
            1 => b.insert(at, rng.random()),
            2 if !b.is_empty() => {
                let end = (at + rng.random_range(1..32)).min(b.len());
                b.drain(at..end);
            }
            3 if !b.is_empty() => {
                let end = (at + rng.random_range(1..64)).min(b.len());
                let piece = b[at..end].to_vec();
                let to = rng.random_range(0..=b.len());
                b.splice(to..to, piece);
            }
            4 => {
                let other = &seeds[rng.random_range(0..seeds.len())];
                if !other.is_empty() {
                    let from = rng.random_range(0..other.len());
                    let end = (from + rng.random_range(1..256)).min(other.len());
                    b.splice(at..at, other[from..end].iter().copied());
                }
            }
            _ => {
                let t = TOKENS[rng.random_range(0..TOKENS.len())];
                b.splice(at..at, t.bytes());
            }
        }
    }
    b
}

fn protocol_target(bytes: &[u8], structured: bool) {
    let text = if structured {
        match Spec::arbitrary(&mut Unstructured::new(bytes)) {
            Ok(spec) => spec.render(),
            Err(_) => return,
        }
    } else {
        String::from_utf8_lossy(bytes).into_owned()
    };
    if let Ok(p) = s1557::protocol::parse(&text, Path::new("fuzz.toml")) {
        let _ = s1557::sql::query(&p, s1557::sql::Dialect::Duckdb, "t");
        let _ = s1557::data::counts::shape(&p);
    }
}

fn artifact_target(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    if let Ok((a, _)) = s1557::artifact::parse(&text, "fuzz.json".into()) {
        let _ = s1557::artifact::to_json(&a);
    }
}

fn cells_target(bytes: &[u8]) {
    let mut shape = s1557::data::shape::Shape::new();
    shape.feed(bytes);
    let _ = shape.finish();
    let text = String::from_utf8_lossy(bytes);
    let cells: Vec<&str> = text.split([',', '\n']).collect();
    for c in &cells {
        let _ = s1557::data::phi::shown(c);
    }
    let _ = s1557::data::phi::value_reason("x", &cells, false);
    let _ = s1557::data::phi::value_reason("patient_id", &cells, false);
}

const CSV: &str = "g,flagged,outcome\nM,1,0\nF,0,1\nM,0,0\nF,1,1\nM,1,1\nF,0,0\n";

const SMALL: &str = r#"protocol_version = "1.0.0"
name = "fuzz"
[tool]
name = "t"
vendor = "v"
version = "1"
intended_use = "fuzz"
decision_type = "binary"
[data]
path = "data.csv"
[columns]
decision = "flagged"
outcome = "outcome"
[[attributes]]
name = "sex"
column = "g"
standard = "sex"
reference = "Male"
map = { "M" = "Male", "F" = "Female" }
missing = ["U"]
[analysis]
metrics = ["selection_rate", "tpr"]
min_cell_size = 1
bootstrap_replicates = 200
[[triggers]]
id = "gap"
metric = "selection_rate"
difference = { min = -0.05, max = 0.05 }
severity = "remediate"
action = "review"
"#;

fn small_protocol(dir: &Path) -> s1557::protocol::Protocol {
    s1557::protocol::parse(SMALL, &dir.join("p.toml")).expect("the small protocol")
}

fn context() -> s1557::artifact::RunContext {
    s1557::artifact::RunContext {
        as_of: chrono::NaiveDate::from_ymd_opt(2026, 12, 1).expect("a date"),
        suppress: true,
        previous: None,
        earlier: Vec::new(),
    }
}

/// The artifact of the small protocol on a few hundred rows.
fn small_artifact(dir: &Path) -> String {
    let mut csv = String::from("g,flagged,outcome\n");
    for i in 0..300u32 {
        csv += &format!(
            "{},{},{}\n",
            ["M", "F", "U"][(i % 3) as usize],
            i % 2,
            u32::from(i % 5 < 2)
        );
    }
    std::fs::write(dir.join("data.csv"), csv).expect("write");
    let p = small_protocol(dir);
    let loaded = s1557::data::load(&p, None).expect("the small data");
    s1557::artifact::to_json(&s1557::assemble::assemble(&p, &loaded, &context()))
}

fn csv_target(bytes: &[u8], dir: &Path) {
    let data = dir.join("data.csv");
    if std::fs::write(&data, bytes).is_err() {
        return;
    }
    let p = small_protocol(dir);
    if let Ok(loaded) = s1557::data::load(&p, Some(&data)) {
        let _ = s1557::assemble::assemble(&p, &loaded, &context());
    }
}

/// Confusion counts of two to six groups, each count anywhere from 0 to 2^53.
#[derive(Arbitrary, Debug)]
struct Counts {
    groups: Vec<(u8, [u64; 4])>,
    ordered: bool,
}

fn counts_target(bytes: &[u8]) {
    let Ok(c) = Counts::arbitrary(&mut Unstructured::new(bytes)) else {
        return;
    };
    if c.groups.len() < 2 {
        return;
    }
    let limit = 1u64 << 53;
    let mut groups = Vec::new();
    let mut total = 0u64;
    for (i, (scale, n)) in c.groups.iter().take(6).enumerate() {
        // Mostly small counts, sometimes huge: the scale byte picks how many bits a count keeps.
        let bits = u32::from(*scale % 54);
        let m = |x: u64| if bits == 0 { 0 } else { x % (1u64 << bits) };
        let counts = s1557::suffstats::Confusion {
            tp: m(n[0]),
            fp: m(n[1]),
            fn_: m(n[2]),
            tn: m(n[3]),
        };
        total = total.saturating_add(counts.tp + counts.fp + counts.fn_ + counts.tn);
        groups.push(s1557::suffstats::GroupCounts {
            group: format!("G{i}"),
            counts,
            weights: None,
        });
    }
    if total > limit {
        return; // refused by the loaders: beyond 2^53 cases
    }
    let labels: Vec<String> = groups.iter().map(|g| g.group.clone()).collect();
    let map: Vec<String> = labels
        .iter()
        .map(|l| format!("\"{l}\" = \"{l}\""))
        .collect();
    let order = if c.ordered {
        format!(
            "order = [{}]\n",
            labels
                .iter()
                .map(|l| format!("\"{l}\""))
                .collect::<Vec<_>>()
                .join(", ")
        )
    } else {
        String::new()
    };
    let text = SMALL.replace(
        "standard = \"sex\"\nreference = \"Male\"\nmap = { \"M\" = \"Male\", \"F\" = \"Female\" }\nmissing = [\"U\"]",
        &format!("standard = \"custom\"\nreference = \"G0\"\nmap = {{ {} }}\n{order}", map.join(", ")),
    );
    let Ok(p) = s1557::protocol::parse(&text, Path::new("fuzz.toml")) else {
        panic!("the counts protocol does not validate");
    };
    let stats = s1557::suffstats::SufficientStats {
        cases: total,
        attributes: vec![s1557::suffstats::AttributeCounts {
            attribute: "sex".into(),
            crossed: Vec::new(),
            reference_group: "G0".into(),
            ordered: c.ordered,
            groups,
            design: None,
        }],
        stratified: Vec::new(),
        scores: None,
        excluded: None,
    };
    let evidence = s1557::suffstats::Evidence {
        source: s1557::suffstats::Source {
            file: "fuzz".into(),
            sha256: String::new(),
            format: "csv".into(),
            input: "counts".into(),
        },
        stats,
    };
    let a = s1557::assemble::assemble(&p, &evidence, &context());
    // NaN as text (in a message, say); serde writes a non-finite number as null.
    let json = s1557::artifact::to_json(&a);
    assert!(
        !json.is_empty() && !json.contains("NaN"),
        "NaN in the artifact"
    );
}

/// A protocol built from fuzz bytes: the parts a user writes, each possibly odd.
#[derive(Arbitrary, Debug)]
struct Spec {
    decision_type: bool,
    threshold: f64,
    attributes: Vec<AttrSpec>,
    metrics: Vec<u8>,
    min_cell: i64,
    alpha: f64,
    level: f64,
    correction: u8,
    bootstrap: i64,
    positive: Option<Vec<String>>,
    decision_values: Option<(Vec<String>, Vec<String>)>,
    exclude: Vec<(String, Vec<String>, String)>,
    triggers: Vec<TriggerSpec>,
    scores: Option<(bool, Vec<u8>, i64, Vec<f64>)>,
}

#[derive(Arbitrary, Debug)]
struct AttrSpec {
    name: String,
    column: String,
    standard: u8,
    reference: String,
    map: Vec<(String, String)>,
    missing: Vec<String>,
    bands: Option<Vec<i64>>,
    order: Option<Vec<String>>,
}

fn s(x: &str) -> String {
    toml::Value::String(x.to_string()).to_string()
}

fn list(v: &[String]) -> String {
    format!(
        "[{}]",
        v.iter().map(|x| s(x)).collect::<Vec<_>>().join(", ")
    )
}

impl Spec {
    fn render(&self) -> String {
        const METRICS: [&str; 9] = [
            "selection_rate",
            "tpr",
            "fpr",
            "fnr",
            "tnr",
            "ppv",
            "npv",
            "accuracy",
            "prevalence",
        ];
        const STANDARDS: [&str; 8] = [
            "omb_race_1997",
            "omb_ethnicity_1997",
            "omb_race_ethnicity_2024",
            "sex",
            "disability",
            "age_years",
            "custom",
            "other",
        ];
        let mut t = String::from("protocol_version = \"1.0.0\"\nname = \"f\"\n[tool]\nname = \"t\"\nvendor = \"v\"\nversion = \"1\"\nintended_use = \"u\"\n");
        t += &format!(
            "decision_type = {}\n[data]\npath = \"d.csv\"\n",
            s(if self.decision_type {
                "binary"
            } else {
                "score_threshold"
            })
        );
        for (c, v, r) in self.exclude.iter().take(3) {
            t += &format!(
                "[[data.exclude]]\ncolumn = {}\nvalues = {}\nreason = {}\n",
                s(c),
                list(v),
                s(r)
            );
        }
        t += "[columns]\noutcome = \"o\"\n";
        if self.decision_type {
            t += "decision = \"d\"\n";
        } else {
            t += &format!(
                "score = \"s\"\nthreshold = {}\n",
                toml::Value::Float(self.threshold)
            );
        }
        if let Some(p) = &self.positive {
            t += &format!("[values]\npositive = {}\n", list(p));
        }
        if let Some((p, n)) = &self.decision_values {
            t += &format!(
                "[values.decision]\npositive = {}\nnegative = {}\n",
                list(p),
                list(n)
            );
        }
        for a in self.attributes.iter().take(4) {
            t += &format!(
                "[[attributes]]\nname = {}\ncolumn = {}\nstandard = {}\nreference = {}\n",
                s(&a.name),
                s(&a.column),
                s(STANDARDS[usize::from(a.standard) % 8]),
                s(&a.reference)
            );
            if !a.map.is_empty() {
                let m: Vec<String> = a
                    .map
                    .iter()
                    .take(12)
                    .map(|(k, v)| format!("{} = {}", s(k), s(v)))
                    .collect();
                t += &format!("map = {{ {} }}\n", m.join(", "));
            }
            if !a.missing.is_empty() {
                t += &format!("missing = {}\n", list(&a.missing));
            }
            if let Some(b) = &a.bands {
                t += &format!(
                    "bands = [{}]\n",
                    b.iter()
                        .take(8)
                        .map(i64::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            if let Some(o) = &a.order {
                t += &format!("order = {}\n", list(o));
            }
        }
        let metrics: Vec<String> = self
            .metrics
            .iter()
            .take(9)
            .map(|m| METRICS[usize::from(*m) % 9].to_string())
            .collect();
        t += &format!(
            "[analysis]\nmetrics = {}\nmin_cell_size = {}\nalpha = {}\nconfidence_level = {}\ncorrection = {}\nbootstrap_replicates = {}\n",
            list(&metrics),
            self.min_cell,
            toml::Value::Float(self.alpha),
            toml::Value::Float(self.level),
            s(["holm", "bonferroni", "benjamini_hochberg", "none"][usize::from(self.correction) % 4]),
            self.bootstrap
        );
        if let Some((arbitrary, m, bins, th)) = &self.scores {
            let sm: Vec<String> = m
                .iter()
                .take(4)
                .map(|x| {
                    ["auroc", "calibration", "average_precision", "brier"][usize::from(*x) % 4]
                        .to_string()
                })
                .collect();
            t += &format!(
                "[scores]\nscale = {}\nmetrics = {}\nreliability_bins = {bins}\nthresholds = [{}]\n",
                s(if *arbitrary { "arbitrary" } else { "probability" }),
                list(&sm),
                th.iter().take(4).map(|x| toml::Value::Float(*x).to_string()).collect::<Vec<_>>().join(", ")
            );
        }
        for (i, (m, ratio, diff, remediate)) in self.triggers.iter().take(4).enumerate() {
            t += &format!(
                "[[triggers]]\nid = \"t{i}\"\nmetric = {}\n",
                s(METRICS[usize::from(*m) % 9])
            );
            if let Some((lo, hi)) = ratio {
                t += &format!(
                    "ratio = {{ min = {}, max = {} }}\n",
                    toml::Value::Float(*lo),
                    toml::Value::Float(*hi)
                );
            }
            if let Some((lo, hi)) = diff {
                t += &format!(
                    "difference = {{ min = {}, max = {} }}\n",
                    toml::Value::Float(*lo),
                    toml::Value::Float(*hi)
                );
            }
            t += &format!(
                "severity = {}\naction = \"a\"\n",
                s(if *remediate { "remediate" } else { "monitor" })
            );
        }
        t
    }
}
