//! The synthetic example data set: outputs of a fictional 30-day readmission outreach flag, with
//! disparities injected on purpose so the shipped protocol has something to find. Deterministic
//! for a seed (ChaCha8); nothing here is real patient data.
//!
//! Each row is one discharge. The outcome (`readmitted_30d`) depends on age and disability. The
//! tool's `risk_score` is a noisy logistic function of the outcome; the patient is
//! `flagged` for outreach when the score, rounded to four decimals, is at least 0.5. The
//! readmission rate rises with age and with disability, so selection rates differ by need even
//! where the tool is fair. Injected:
//!
//! - Black patients' scores are pulled down by 0.9 on the logit scale, so the tool misses more of
//!   their readmissions (lower TPR and selection rate): a disparity to remediate.
//! - Patients aged 75–89 have scores pulled down by 0.4: a smaller disparity.
//! - Sex has no effect: female and male patients should pass.
//! - Native Hawaiian or Other Pacific Islander patients are rare (0.4%): too few to judge.
//! - About 8% of race codes and 4–5% of other attributes are missing: the Unknown groups.

use std::io::{BufWriter, Write};
use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

fn pick<'a>(rng: &mut ChaCha8Rng, options: &[(&'a str, f64)]) -> &'a str {
    let u: f64 = rng.random();
    let mut acc = 0.0;
    for (v, p) in options {
        acc += p;
        if u < acc {
            return v;
        }
    }
    options.last().map_or("", |o| o.0)
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Write `rows` rows of the example data set to `out`, atomically: Parquet when the name ends in
/// `.parquet`, else CSV.
/// `disparity` scales the injected score shifts (1: as shipped; 0: none), so a later quarter
/// can be made with the disparity reduced.
pub fn write_example(out: &Path, rows: u64, seed: u64, disparity: f64) -> std::io::Result<()> {
    if crate::data::format_of(out, None) == crate::protocol::Format::Parquet {
        let dir = tempfile::tempdir()?;
        let csv = dir.path().join("example.csv");
        write_example(&csv, rows, seed, disparity)?;
        let staged = dir.path().join("example.parquet");
        crate::data::scan::csv_to_parquet(&csv, &staged).map_err(std::io::Error::other)?;
        let bytes = fs_err::read(&staged)?;
        return crate::artifact::write::write_file(out, &bytes);
    }
    let dir = match out.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    fs_err::create_dir_all(dir)?;
    let name = out
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("example");
    // A shared lock on the folder, as every single-file write takes (see `artifact::write`).
    let _lock = crate::artifact::write::lock(dir, true)?;
    let tmp = crate::artifact::write::Staged::new(dir, name)?;
    {
        let mut w = BufWriter::with_capacity(1 << 20, &tmp.file);
        write_rows(&mut w, rows, seed, disparity)?;
        w.flush()?;
    }
    tmp.persist(out)?;
    Ok(())
}

/// Write the rows (with header) to any writer.
pub fn write_rows<W: Write>(
    w: &mut W,
    rows: u64,
    seed: u64,
    disparity: f64,
) -> std::io::Result<()> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    writeln!(
        w,
        "race,ethnicity,sex,age,disability,risk_score,flagged,readmitted_30d"
    )?;
    for _ in 0..rows {
        let race = pick(
            &mut rng,
            &[
                ("W", 0.58),
                ("B", 0.20),
                ("A", 0.08),
                ("M", 0.04),
                ("I", 0.015),
                ("P", 0.004),
                ("", 0.081),
            ],
        );
        let ethnicity = pick(&mut rng, &[("H", 0.18), ("N", 0.78), ("", 0.04)]);
        let sex = pick(&mut rng, &[("F", 0.53), ("M", 0.47)]);
        let z: f64 = StandardNormal.sample(&mut rng);
        let age_draw = 62.0 + 16.0 * z;
        let age = age_draw.round().clamp(18.0, 104.0) as i64;
        let disability = pick(&mut rng, &[("Y", 0.15), ("N", 0.80), ("", 0.05)]);
        let dis = if disability == "Y" { 1.0 } else { 0.0 };
        let p_out = logistic(-1.9 + 0.01 * (age as f64 - 60.0) + 0.3 * dis);
        let outcome = rng.random::<f64>() < p_out;
        let noise: f64 = StandardNormal.sample(&mut rng);
        let mut logit = -1.2 + 2.4 * f64::from(u8::from(outcome)) + 0.9 * noise;
        if race == "B" {
            logit -= 0.9 * disparity;
        }
        if (75..90).contains(&age) {
            logit -= 0.4 * disparity;
        }
        let score = (logistic(logit) * 10_000.0).round() / 10_000.0;
        let flagged = u8::from(score >= 0.5);
        writeln!(
            w,
            "{race},{ethnicity},{sex},{age},{disability},{score:.4},{flagged},{}",
            u8::from(outcome)
        )?;
    }
    Ok(())
}
