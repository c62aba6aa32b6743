//! The statistics against reference values recorded from scipy 1.14 and statsmodels 0.14 by
//! `tests/reference/make_reference.py` (committed, with its output `tests/reference/stats.json`).
//!
//! Tolerance policy: `|ours − reference| ≤ 1e-9 · max(|ours|, |reference|) + 1e-15`, relative
//! agreement to nine digits with an absolute floor for values that are zero up to rounding.

mod common;

use common::{close, f, u};
use s1557::stats::{contingency, multiplicity, power, proportion, two_sample};
use serde_json::Value;

const REF: &str = include_str!("reference/stats.json");

fn cases(name: &str) -> Vec<Value> {
    common::cases(REF, name, 150)
}

#[test]
fn wilson_matches_statsmodels() {
    for c in cases("wilson") {
        let ci =
            proportion::wilson(u(&c, "x"), u(&c, "n"), f(&c, "level")).expect("defined for n > 0");
        close(ci.low, f(&c, "low"), &format!("wilson low {c}"));
        close(ci.high, f(&c, "high"), &format!("wilson high {c}"));
        assert!(
            ci.low <= u(&c, "x") as f64 / u(&c, "n") as f64
                && ci.high >= u(&c, "x") as f64 / u(&c, "n") as f64
        );
    }
    assert!(proportion::wilson(0, 0, 0.95).is_err());
}

#[test]
fn katz_ratio_matches_statsmodels() {
    for c in cases("katz_ratio") {
        let r = two_sample::katz_ratio(
            u(&c, "x1"),
            u(&c, "n1"),
            u(&c, "x0"),
            u(&c, "n0"),
            f(&c, "level"),
        )
        .expect("defined");
        close(r.ratio, f(&c, "ratio"), &format!("ratio {c}"));
        close(r.ci.low, f(&c, "low"), &format!("katz low {c}"));
        close(r.ci.high, f(&c, "high"), &format!("katz high {c}"));
        assert_eq!(r.corrected, c["corrected"].as_bool().unwrap_or(false));
    }
    assert!(
        two_sample::katz_ratio(5, 10, 0, 10, 0.95).is_err(),
        "reference rate zero"
    );
}

#[test]
fn newcombe_matches_statsmodels() {
    for c in cases("newcombe_diff") {
        let (d, ci) = two_sample::newcombe_diff(
            u(&c, "x1"),
            u(&c, "n1"),
            u(&c, "x0"),
            u(&c, "n0"),
            f(&c, "level"),
        )
        .expect("defined");
        close(d, f(&c, "diff"), &format!("diff {c}"));
        close(ci.low, f(&c, "low"), &format!("newcombe low {c}"));
        close(ci.high, f(&c, "high"), &format!("newcombe high {c}"));
    }
}

#[test]
fn pooled_z_matches_statsmodels() {
    for c in cases("pooled_z") {
        let (z, p) = two_sample::pooled_z_test(u(&c, "x1"), u(&c, "n1"), u(&c, "x0"), u(&c, "n0"))
            .expect("defined");
        close(z, f(&c, "z"), &format!("z {c}"));
        close(p, f(&c, "p"), &format!("p {c}"));
    }
    assert!(
        two_sample::pooled_z_test(0, 10, 0, 10).is_err(),
        "no events: no variance"
    );
}

#[test]
fn fisher_exact_matches_scipy() {
    for c in cases("fisher_exact") {
        let p = two_sample::fisher_exact(u(&c, "a"), u(&c, "b"), u(&c, "c"), u(&c, "d"));
        close(p, f(&c, "p"), &format!("fisher {c}"));
    }
}

#[test]
fn chi_square_matches_scipy() {
    for c in cases("chi_square_kx2") {
        let rows: Vec<(u64, u64)> = c["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r[0].as_u64().unwrap(), r[1].as_u64().unwrap()))
            .collect();
        let r = contingency::chi_square_kx2(&rows).expect("defined");
        close(r.statistic, f(&c, "statistic"), &format!("chi2 {c}"));
        close(r.df, f(&c, "df"), "df");
        close(r.p_value, f(&c, "p"), &format!("chi2 p {c}"));
        close(r.min_expected, f(&c, "min_expected"), "min expected");
    }
}

#[test]
fn corrections_match_statsmodels() {
    for c in cases("adjust") {
        let p: Vec<f64> = c["p"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        for (key, ours) in [
            ("holm", multiplicity::holm(&p)),
            ("bonferroni", multiplicity::bonferroni(&p)),
            ("bh", multiplicity::benjamini_hochberg(&p)),
        ] {
            let reference: Vec<f64> = c[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            assert_eq!(ours.len(), reference.len());
            for (i, (o, r)) in ours.iter().zip(&reference).enumerate() {
                close(*o, *r, &format!("{key}[{i}]"));
                assert!(*o >= p[i] - 1e-15, "{key}: adjusted p below raw p");
            }
        }
    }
}

#[test]
fn power_matches_independent_formula() {
    for c in cases("power") {
        let pw = power::two_proportion_power(
            f(&c, "p1"),
            f(&c, "p0"),
            u(&c, "n1"),
            u(&c, "n0"),
            f(&c, "alpha"),
        );
        close(pw, f(&c, "power"), &format!("power {c}"));
    }
}

#[test]
fn minimum_detectable_difference_reaches_the_target_power() {
    for (p0, n1, n0) in [
        (0.2, 500, 5000),
        (0.5, 100, 100),
        (0.05, 2000, 20000),
        (0.9, 300, 3000),
    ] {
        for upward in [true, false] {
            let d = power::minimum_detectable_difference(p0, n1, n0, 0.05, 0.8, upward)
                .expect("reachable");
            let p1 = if upward { p0 + d } else { p0 - d };
            let at = power::two_proportion_power(p1, p0, n1, n0, 0.05);
            assert!((at - 0.8).abs() < 1e-6, "power at the MDD is {at}");
            let smaller = if upward { p0 + d * 0.9 } else { p0 - d * 0.9 };
            assert!(power::two_proportion_power(smaller, p0, n1, n0, 0.05) < 0.8);
        }
    }
    assert_eq!(
        power::minimum_detectable_difference(0.5, 3, 3, 0.05, 0.8, true),
        None,
        "n = 3 cannot reach 80% power"
    );
}

fn check_interval_cases(
    name: &str,
    method: fn(u64, u64, f64) -> Result<s1557::stats::Ci, s1557::stats::Undefined>,
) {
    for c in cases(name) {
        let (x, n) = (u(&c, "x"), u(&c, "n"));
        let ci = method(x, n, f(&c, "level")).expect("defined for n > 0");
        close(ci.low, f(&c, "low"), &format!("{name} low {c}"));
        close(ci.high, f(&c, "high"), &format!("{name} high {c}"));
        let p = x as f64 / n as f64;
        assert!(
            ci.low <= p && p <= ci.high,
            "{name}: interval excludes the estimate {c}"
        );
    }
}

#[test]
fn clopper_pearson_matches_statsmodels() {
    check_interval_cases("clopper_pearson", proportion::clopper_pearson);
}

#[test]
fn jeffreys_matches_statsmodels() {
    check_interval_cases("jeffreys", proportion::jeffreys);
}

#[test]
fn agresti_caffo_matches_statsmodels() {
    for c in cases("agresti_caffo_diff") {
        let (d, ci) = two_sample::agresti_caffo_diff(
            u(&c, "x1"),
            u(&c, "n1"),
            u(&c, "x0"),
            u(&c, "n0"),
            f(&c, "level"),
        )
        .expect("defined");
        close(d, f(&c, "diff"), "diff");
        close(ci.low, f(&c, "low"), &format!("agresti-caffo low {c}"));
        close(ci.high, f(&c, "high"), &format!("agresti-caffo high {c}"));
    }
}

#[test]
fn koopman_matches_statsmodels() {
    for c in cases("koopman_ratio") {
        let r = two_sample::koopman_ratio(
            u(&c, "x1"),
            u(&c, "n1"),
            u(&c, "x0"),
            u(&c, "n0"),
            f(&c, "level"),
        )
        .expect("defined");
        close(r.ratio, f(&c, "ratio"), "ratio");
        close(r.ci.low, f(&c, "low"), &format!("koopman low {c}"));
        close(r.ci.high, f(&c, "high"), &format!("koopman high {c}"));
    }
    // Where the reference's root search fails, the interval still holds the estimate.
    for (x1, n1, x0, n0) in [
        (8, 8, 24, 24),
        (1, 7, 5, 5),
        (0, 50, 10, 40),
        (160, 160, 2, 2),
    ] {
        let r = two_sample::koopman_ratio(x1, n1, x0, n0, 0.95).expect("defined");
        assert!(
            r.ci.low <= r.ratio && r.ratio <= r.ci.high && r.ci.high.is_finite(),
            "{x1}/{n1} vs {x0}/{n0}: {r:?}"
        );
    }
}

#[test]
fn odds_ratio_matches_statsmodels() {
    for c in cases("odds_ratio") {
        let r = two_sample::odds_ratio(
            u(&c, "x1"),
            u(&c, "n1"),
            u(&c, "x0"),
            u(&c, "n0"),
            f(&c, "level"),
        )
        .expect("defined");
        close(r.ratio, f(&c, "or"), &format!("or {c}"));
        close(r.ci.low, f(&c, "low"), &format!("or low {c}"));
        close(r.ci.high, f(&c, "high"), &format!("or high {c}"));
        assert_eq!(r.corrected, c["corrected"].as_bool().unwrap_or(false));
    }
}

#[test]
fn cochran_armitage_matches_formula() {
    for c in cases("cochran_armitage") {
        let rows: Vec<(u64, u64)> = c["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r[0].as_u64().unwrap(), r[1].as_u64().unwrap()))
            .collect();
        let t = contingency::cochran_armitage(&rows).expect("defined");
        close(t.statistic, f(&c, "z"), &format!("trend z {c}"));
        close(t.p_value, f(&c, "p"), &format!("trend p {c}"));
    }
}

#[test]
fn cochran_mantel_haenszel_matches_statsmodels() {
    for c in cases("cochran_mantel_haenszel") {
        let tables: Vec<[u64; 4]> = c["tables"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                let v: Vec<u64> = t
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_u64().unwrap())
                    .collect();
                [v[0], v[1], v[2], v[3]]
            })
            .collect();
        let r = contingency::cochran_mantel_haenszel(&tables, f(&c, "level")).expect("defined");
        close(r.statistic, f(&c, "statistic"), &format!("cmh {c}"));
        close(r.p_value, f(&c, "p"), &format!("cmh p {c}"));
        match (r.odds_ratio, c.get("or")) {
            (Ok((or, ci)), Some(_)) => {
                close(or, f(&c, "or"), "mh odds ratio");
                close(ci.low, f(&c, "or_low"), &format!("rbg low {c}"));
                close(ci.high, f(&c, "or_high"), &format!("rbg high {c}"));
            }
            (Err(_), None) => {}
            (ours, _) => panic!("odds ratio defined differently: {ours:?} for {c}"),
        }
    }
}

#[test]
fn auroc_matches_sklearn_and_delong_variance_its_definition() {
    use s1557::stats::auroc;
    for c in cases("auroc") {
        let list = |k: &str| -> Vec<f64> {
            c[k].as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect()
        };
        let a = auroc::auroc(&list("pos"), &list("neg")).expect("defined");
        close(a.auc, f(&c, "auc"), "auroc");
        close(a.variance, f(&c, "variance"), "delong variance");
    }
}

#[test]
fn calibration_matches_statsmodels_and_sklearn() {
    use s1557::stats::calibration;
    for c in cases("calibration") {
        let scores: Vec<f64> = c["scores"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let outcomes: Vec<bool> = c["outcomes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_bool().unwrap())
            .collect();
        let r = calibration::logistic_recalibration(&scores, &outcomes).expect("converges");
        close(r.intercept, f(&c, "intercept"), "intercept");
        close(r.slope, f(&c, "slope"), "slope");
        close(r.se_intercept, f(&c, "se_intercept"), "se intercept");
        close(r.se_slope, f(&c, "se_slope"), "se slope");
        let (a, se) = calibration::calibration_in_the_large(&scores, &outcomes).expect("converges");
        close(a, f(&c, "citl"), "citl");
        close(se, f(&c, "se_citl"), "se citl");
        close(
            calibration::brier(&scores, &outcomes).unwrap(),
            f(&c, "brier"),
            "brier",
        );
        close(
            calibration::average_precision(&scores, &outcomes).unwrap(),
            f(&c, "average_precision"),
            "average precision",
        );
    }
}

/// Fits a plain Newton iteration from intercept 0 and slope 1 fails on (177 of the 200 slopes and
/// 145 of the calibration-in-the-large fits; `tests/reference/make_fit_reference.py`): squeezed
/// scores with recalibration slopes up to 23 and scores far off the event rate. The damped fit
/// converges on each and agrees with statsmodels (slope) and scipy's root (calibration-in-the-large).
#[test]
fn hard_calibration_fits_converge_and_match_statsmodels() {
    use s1557::stats::calibration;
    let cases = common::cases(include_str!("reference/fits.json"), "hard_calibration", 200);
    let mut steep = 0;
    for c in &cases {
        let scores: Vec<f64> = c["scores"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let outcomes: Vec<bool> = c["outcomes"]
            .as_str()
            .unwrap()
            .bytes()
            .map(|b| b == b'1')
            .collect();
        let r = calibration::logistic_recalibration(&scores, &outcomes).expect("converges");
        close(r.intercept, f(c, "intercept"), "intercept");
        close(r.slope, f(c, "slope"), "slope");
        close(r.se_intercept, f(c, "se_intercept"), "se intercept");
        close(r.se_slope, f(c, "se_slope"), "se slope");
        let (a, se) = calibration::calibration_in_the_large(&scores, &outcomes).expect("converges");
        close(a, f(c, "citl"), "citl");
        close(se, f(c, "se_citl"), "se citl");
        steep += usize::from(r.slope > 7.0);
    }
    assert!(steep >= 20, "the cases include steep slopes: {steep}");
}

/// The split of a selection-rate gap into the part that follows the base rate and the part due to
/// the tool, with delta-method standard errors, and excess missed cases with Newcombe's interval
/// scaled (`tests/reference/make_base_rate_reference.py`: complex-step gradients, statsmodels).
#[test]
fn base_rate_split_matches_the_complex_step_delta_method() {
    use s1557::stats::base_rate;
    let cases = common::cases(include_str!("reference/base_rate.json"), "split", 200);
    let cells = |v: &Value| -> [u64; 4] {
        let a = v.as_array().unwrap();
        std::array::from_fn(|i| a[i].as_u64().unwrap())
    };
    for c in &cases {
        let (g, r) = (cells(&c["g"]), cells(&c["r"]));
        let s = base_rate::split(&g, &r).expect("defined");
        close(s.gap, f(c, "gap"), "gap");
        close(s.base_rate, f(c, "base_rate"), "base-rate part");
        close(s.tool, f(c, "tool"), "tool part");
        close(s.se_gap, f(c, "se_gap"), "se gap");
        close(s.se_base_rate, f(c, "se_base_rate"), "se base-rate part");
        close(s.se_tool, f(c, "se_tool"), "se tool part");
        match base_rate::excess_missed(&g, &r, f(c, "level")) {
            Ok((v, ci)) => {
                close(v, f(c, "excess_missed"), "excess missed");
                close(ci.low, f(c, "excess_low"), "excess low");
                close(ci.high, f(c, "excess_high"), "excess high");
            }
            Err(_) => assert!(c.get("excess_missed").is_none(), "{c}"),
        }
    }
    assert!(base_rate::split(&[1, 1, 1, 1], &[0, 5, 0, 5]).is_err());
}

/// The slope of a gap across quarters: statsmodels' WLS with the variances as known.
#[test]
fn quarterly_slope_matches_statsmodels_wls() {
    use s1557::artifact::rolling::slope;
    use s1557::metrics::Estimate;
    let cases = common::cases(include_str!("reference/fits.json"), "wls_slope", 200);
    let floats = |v: &Value| -> Vec<f64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    for c in &cases {
        let (d, v) = (floats(&c["d"]), floats(&c["v"]));
        let points: Vec<(f64, f64, f64)> = d
            .iter()
            .zip(&v)
            .enumerate()
            .map(|(t, (&d, &v))| (t as f64, d, v))
            .collect();
        let Estimate::Value { value, ci } = slope(&points, f(c, "level")) else {
            panic!("defined for three quarters or more");
        };
        close(value, f(c, "slope"), "slope");
        close(ci.low, f(c, "low"), "slope low");
        close(ci.high, f(c, "high"), "slope high");
    }
    assert!(matches!(
        slope(&[(0.0, 0.1, 0.01), (1.0, 0.2, 0.01)], 0.95),
        Estimate::Undefined { .. }
    ));
}

/// Two groups' calibration lines: the likelihood-ratio test against one shared line (2 df), the
/// slope difference, and each group's integrated calibration index under its logistic curve,
/// against statsmodels (`tests/reference/make_fit_reference.py`).
#[test]
fn calibration_lines_compared_as_statsmodels() {
    use s1557::stats::{calibration, grouped};
    let cases = common::cases(include_str!("reference/fits.json"), "calibration_lr", 200);
    for c in &cases {
        let scores: Vec<f64> = c["scores"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let bits =
            |k: &str| -> Vec<u8> { c[k].as_str().unwrap().bytes().map(|b| b - b'0').collect() };
        let outcomes: Vec<bool> = bits("outcomes").iter().map(|&b| b == 1).collect();
        let group: Vec<u32> = bits("groups").iter().map(|&b| u32::from(b)).collect();
        let x: Vec<f64> = scores.iter().map(|&p| calibration::logit(p)).collect();
        let fits = grouped::logistic_recalibration(&x, &outcomes, &group, 2);
        let pooled = grouped::paired_recalibration(&x, &outcomes, &group, 2, 0);
        let v = grouped::calibration_versus(
            fits[1].as_ref().unwrap(),
            fits[0].as_ref().unwrap(),
            pooled[1].as_ref().unwrap(),
        );
        // The statistic is a difference of log-likelihoods of a few hundred: agreement to 1e-9
        // of the larger log-likelihood, and the p-value at the same precision.
        let scale = fits[0].as_ref().unwrap().log_likelihood.abs();
        assert!(
            (v.statistic - f(c, "statistic")).abs() <= 1e-9 * scale,
            "statistic {} vs {}",
            v.statistic,
            f(c, "statistic")
        );
        assert!((v.p_value - f(c, "p_value")).abs() <= 1e-9, "p");
        close(
            v.slope_difference,
            f(c, "slope_difference"),
            "slope difference",
        );
        close(v.se_slope_difference, f(c, "se_slope_difference"), "its se");
        let ici = grouped::integrated_calibration_index(&x, &scores, &group, &fits);
        for (g, want) in c["ici"].as_array().unwrap().iter().enumerate() {
            close(ici[g].unwrap(), want.as_f64().unwrap(), "ICI");
        }
        assert!(pooled[0].is_err(), "the reference has no pair");
    }
}

/// Empirical-Bayes shrinkage: the beta-binomial moment prior and each group's posterior mean and
/// interval (scipy's beta quantiles; `tests/reference/make_shrinkage_reference.py`).
#[test]
fn shrinkage_matches_the_moment_prior_and_scipy_beta() {
    use s1557::stats::shrinkage;
    let cases = common::cases(include_str!("reference/shrinkage.json"), "shrinkage", 200);
    let ints = |v: &Value| -> Vec<u64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap())
            .collect()
    };
    let mut pooled_fully = 0;
    for c in &cases {
        let (x, n) = (ints(&c["x"]), ints(&c["n"]));
        let groups: Vec<(u64, u64)> = x.iter().copied().zip(n.iter().copied()).collect();
        let prior = shrinkage::prior(&groups).expect("defined");
        close(prior.mean, f(c, "prior_mean"), "prior mean");
        close(prior.between_variance, f(c, "tau2"), "tau2");
        pooled_fully += usize::from(prior.strength.is_none());
        for ((&xi, &ni), want) in x.iter().zip(&n).zip(c["groups"].as_array().unwrap()) {
            let (mean, ci) = shrinkage::shrunk(xi, ni, &prior, f(c, "level"));
            close(mean, f(want, "mean"), "posterior mean");
            match ci {
                Some(ci) => {
                    close(ci.low, f(want, "low"), "posterior low");
                    close(ci.high, f(want, "high"), "posterior high");
                }
                None => assert!(want.get("low").is_none()),
            }
        }
    }
    assert!(pooled_fully > 0 && pooled_fully < cases.len());
}
