//! Design-based (clustered, stratified, weighted) variances against samplics' Taylor
//! linearisation, recorded by `tests/reference/make_design_reference.py` from the rows of 200
//! drawn designs (`tests/reference/design.json`). The test rebuilds the per-stratum moments from
//! each cluster's cell totals, as the scan does, and compares to 1e-9.

mod common;

use common::{close, f};
use s1557::metrics::metric_cells;
use s1557::protocol::Metric;
use s1557::stats::design::{self, StratumTerms};
use serde_json::Value;

const REF: &str = include_str!("reference/design.json");

fn totals(v: &Value) -> [f64; 4] {
    let a = v.as_array().expect("four totals");
    [0, 1, 2, 3].map(|i| a[i].as_f64().expect("a number"))
}

fn outer(x: &[f64; 4], y: &[f64; 4], into: &mut [[f64; 4]; 4]) {
    for i in 0..4 {
        for j in 0..4 {
            into[i][j] += x[i] * y[j];
        }
    }
}

/// The strata's moments from the clusters' totals.
fn strata(c: &Value) -> Vec<StratumTerms> {
    let mut s: Vec<StratumTerms> = c["strata"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| StratumTerms {
            clusters: n.as_u64().unwrap(),
            ..Default::default()
        })
        .collect();
    for k in c["clusters"].as_array().unwrap() {
        let h = k["stratum"].as_u64().unwrap() as usize;
        let (g, r) = (totals(&k["g"]), totals(&k["r"]));
        let t = &mut s[h];
        for i in 0..4 {
            t.g_sum[i] += g[i];
            t.r_sum[i] += r[i];
        }
        outer(&g, &g, &mut t.g_cross);
        outer(&r, &r, &mut t.r_cross);
        outer(&g, &r, &mut t.gr_cross);
    }
    s
}

fn metric(c: &Value) -> Metric {
    serde_json::from_value(c["metric"].clone()).expect("a metric name")
}

fn cases() -> Vec<Value> {
    let v: Value = serde_json::from_str(REF).unwrap();
    let cases = v["cases"].as_array().unwrap().clone();
    assert_eq!(cases.len(), 200);
    cases
}

#[test]
fn group_rates_and_variances_match_samplics() {
    for c in cases() {
        let s = strata(&c);
        let (num, den) = metric_cells(metric(&c));
        let (p, v) = design::rate(&s, num, den).unwrap();
        close(p, f(&c, "rate"), "rate");
        close(v, f(&c, "var"), &format!("variance {}", c["metric"]));
        // The reference group's, by swapping the roles.
        let swapped: Vec<StratumTerms> = s
            .iter()
            .map(|t| StratumTerms {
                g_sum: t.r_sum,
                g_cross: t.r_cross,
                ..*t
            })
            .collect();
        let (pr, vr) = design::rate(&swapped, num, den).unwrap();
        close(pr, f(&c, "reference_rate"), "reference rate");
        close(vr, f(&c, "reference_var"), "reference variance");
    }
}

#[test]
fn gaps_intervals_and_p_values_match_samplics_and_scipy() {
    let (mut intervals, mut ratios) = (0, 0);
    for c in cases() {
        let s = strata(&c);
        let (num, den) = metric_cells(metric(&c));
        let level = f(&c, "level");
        let df = design::degrees_of_freedom(&s);
        assert_eq!(df, f(&c, "df"));
        let d = design::difference(&s, num, den).unwrap();
        close(d.estimate, f(&c, "difference"), "difference");
        close(d.se * d.se, f(&c, "var_difference"), "difference variance");
        if let Some(ci) = c.get("ci_difference") {
            let (got, _, p) = design::t_interval(&d, df, level).unwrap();
            close(got.low, ci[0].as_f64().unwrap(), "difference low");
            close(got.high, ci[1].as_f64().unwrap(), "difference high");
            close(p, f(&c, "p_difference"), "p");
            intervals += 1;
        }
        if let Some(ci) = c.get("ci_ratio") {
            let r = design::log_ratio(&s, num, den).unwrap();
            close(r.se * r.se, f(&c, "var_log_ratio"), "log ratio variance");
            let (got, _, _) = design::t_interval(&r, df, level).unwrap();
            close(got.low.exp(), ci[0].as_f64().unwrap(), "ratio low");
            close(got.high.exp(), ci[1].as_f64().unwrap(), "ratio high");
            ratios += 1;
        }
    }
    assert!(intervals > 190 && ratios > 190, "{intervals} {ratios}");
}
