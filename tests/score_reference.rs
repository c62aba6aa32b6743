//! The score statistics against reference values recorded by
//! `tests/reference/make_score_reference.py` (committed, with its output
//! `tests/reference/scores.json`): scipy 1.14 for the t and Welch intervals and tests,
//! scikit-learn 1.5 for the reliability bins and average precision, and independent numpy code
//! for the formulas no library carries (standardized difference, O/E interval, AP interval,
//! top-k cut-off, equal-score bins). AUROC, DeLong and the logistic recalibration are in
//! `stats_reference.rs`.
//!
//! Tolerance policy as there: `|ours − reference| ≤ 1e-9 · max(|ours|, |reference|) + 1e-15`.

mod common;

use common::{close, f};
use s1557::metrics::scores::{equal_score_bin, top_cutoff};
use s1557::stats::{calibration, means};
use serde_json::Value;

const REF: &str = include_str!("reference/scores.json");

fn cases(name: &str) -> Vec<Value> {
    common::cases(REF, name, 100)
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("a list")
        .iter()
        .map(|x| x.as_f64().expect("a number"))
        .collect()
}

fn bools(v: &Value) -> Vec<bool> {
    v.as_array()
        .expect("a list")
        .iter()
        .map(|x| x.as_f64().expect("0 or 1") != 0.0)
        .collect()
}

#[test]
fn t_interval_matches_scipy() {
    for c in cases("t_interval") {
        let s = means::summary(&floats(&c["x"]));
        let ci = means::mean_ci(&s, f(&c, "level")).expect("n >= 2");
        close(ci.low, f(&c, "low"), "t interval low");
        close(ci.high, f(&c, "high"), "t interval high");
    }
}

#[test]
fn welch_matches_scipy() {
    for c in cases("welch") {
        let g = means::summary(&floats(&c["g"]));
        let r = means::summary(&floats(&c["r"]));
        let w = means::welch(&g, &r, f(&c, "level")).expect("defined");
        close(w.difference, f(&c, "difference"), "welch difference");
        close(w.t, f(&c, "t"), "welch t");
        close(w.df, f(&c, "df"), "welch df");
        close(w.p_value, f(&c, "p_value"), "welch p");
        close(w.ci.low, f(&c, "low"), "welch low");
        close(w.ci.high, f(&c, "high"), "welch high");
    }
}

#[test]
fn standardized_difference_matches_the_independent_implementation() {
    for c in cases("standardized") {
        let strata: Vec<(means::Summary, means::Summary)> = c["strata"]
            .as_array()
            .expect("strata")
            .iter()
            .map(|s| {
                (
                    means::summary(&floats(&s[0])),
                    means::summary(&floats(&s[1])),
                )
            })
            .collect();
        let s = means::standardized_difference(&strata).expect("defined");
        close(s.difference, f(&c, "difference"), "difference");
        close(s.se, f(&c, "se"), "se");
        close(s.z, f(&c, "z"), "z");
        close(s.p_value, f(&c, "p_value"), "p");
        close(s.group_mean, f(&c, "group_mean"), "group mean");
        close(s.reference_mean, f(&c, "reference_mean"), "reference mean");
        assert_eq!(s.strata as u64, c["strata_used"].as_u64().unwrap());
        assert_eq!(s.group_n as u64, c["group_n"].as_u64().unwrap());
        match (s.ratio, c["ratio"].as_f64()) {
            (Some((r, se)), Some(rr)) => {
                close(r, rr, "ratio");
                close(se, f(&c, "se_log_ratio"), "se log ratio");
            }
            (None, None) => {}
            (ours, theirs) => panic!("ratio: ours {ours:?}, reference {theirs:?}"),
        }
    }
    assert!(means::standardized_difference(&[]).is_err());
}

#[test]
fn observed_expected_matches_the_independent_implementation() {
    for c in cases("observed_expected") {
        let (r, ci, se) = calibration::observed_expected(
            f(&c, "observed"),
            f(&c, "expected"),
            f(&c, "n"),
            f(&c, "level"),
        )
        .expect("defined");
        close(r, f(&c, "ratio"), "O/E");
        close(ci.low, f(&c, "low"), "O/E low");
        close(ci.high, f(&c, "high"), "O/E high");
        close(se, f(&c, "se_log"), "O/E se");
    }
    assert!(calibration::observed_expected(0.0, 1.0, 10.0, 0.95).is_err());
    assert!(calibration::observed_expected(10.0, 1.0, 10.0, 0.95).is_err());
}

#[test]
fn reliability_bins_match_sklearn_calibration_curve() {
    for c in cases("reliability") {
        let scores = floats(&c["scores"]);
        let outcomes = bools(&c["outcomes"]);
        let b = calibration::reliability(&scores, &outcomes, c["bins"].as_u64().unwrap() as usize);
        let counts: Vec<u64> = b.iter().map(|x| x.n).collect();
        let expected: Vec<u64> = c["counts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap())
            .collect();
        assert_eq!(counts, expected, "bin counts");
        // sklearn lists the non-empty bins only.
        let full: Vec<&calibration::ReliabilityBin> = b.iter().filter(|x| x.n > 0).collect();
        let (t, p) = (floats(&c["prob_true"]), floats(&c["prob_pred"]));
        assert_eq!(full.len(), t.len());
        for (i, x) in full.iter().enumerate() {
            close(x.events as f64 / x.n as f64, t[i], "prob_true");
            close(x.mean_score, p[i], "prob_pred");
        }
        close(
            calibration::expected_calibration_error(&b).unwrap(),
            f(&c, "ece"),
            "ECE",
        );
    }
}

#[test]
fn average_precision_and_its_interval_match() {
    for c in cases("average_precision_interval") {
        let scores = floats(&c["scores"]);
        let outcomes = bools(&c["outcomes"]);
        let positives = outcomes.iter().filter(|&&y| y).count() as u64;
        let ap = calibration::average_precision(&scores, &outcomes).unwrap();
        close(ap, f(&c, "ap"), "AP");
        let ci = calibration::average_precision_ci(ap, positives, f(&c, "level"))
            .unwrap_or_else(|e| panic!("{e} for ap {ap} ({c})"));
        close(ci.low, f(&c, "low"), "AP low");
        close(ci.high, f(&c, "high"), "AP high");
    }
}

#[test]
fn top_cutoff_matches_the_independent_implementation() {
    for c in cases("top_cutoff") {
        let mut v = floats(&c["values"]);
        v.sort_by(f64::total_cmp);
        let cut = top_cutoff(&v, f(&c, "percent")).unwrap();
        assert_eq!(cut, f(&c, "cutoff"), "cut-off of {c}");
        let selected = v.iter().filter(|&&x| x >= cut).count() as u64;
        assert_eq!(selected, c["selected"].as_u64().unwrap());
    }
}

#[test]
fn equal_score_bins_match_the_independent_implementation() {
    for c in cases("need_bins") {
        let scores = floats(&c["scores"]);
        let mut sorted = scores.clone();
        sorted.sort_by(f64::total_cmp);
        let bins = c["bins"].as_u64().unwrap() as usize;
        let ours: Vec<u64> = scores
            .iter()
            .map(|&s| equal_score_bin(&sorted, bins, s) as u64)
            .collect();
        let theirs: Vec<u64> = c["bin_of"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap())
            .collect();
        assert_eq!(ours, theirs);
    }
}
