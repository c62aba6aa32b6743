//! Simulation checks of the statistics (not part of `cargo test`; they take a minute):
//!
//! ```sh
//! cargo run --release --example simulate
//! cargo run --release --example simulate -- status   # the status rules' section alone
//! ```
//!
//! - Wilson 95% interval coverage over a grid of n and p;
//! - Holm's family-wise error rate under the null (every group equal to the reference);
//! - the power function against simulated power of the test the harness uses;
//! - coverage of the bootstrap percentile and BCa intervals of a gap with a known true value;
//! - DeLong's AUROC variance against the variance of a case bootstrap;
//! - the size of DeLong's test for two independent groups with equal AUROCs;
//! - coverage of the observed/expected interval for a calibrated score;
//! - coverage and size of the need-at-equal-score comparison (standardized over score deciles);
//! - the status rules' operating characteristics: how often a group's TPR finding passes, is
//!   monitored, remediated or too few to judge, with no disparity, at the band's edge and at twice
//!   it, for 2,000 to 30,000 patients;
//! - the family-wise error of the example's correction families (`-- families`): how often a
//!   family with no disparity anywhere has a significant adjusted p, a finding to remediate or
//!   one to monitor;
//! - the CUSUM's run length (`-- cusum`): quarters to the first alarm with no gap, half the
//!   band's edge, the edge and twice it.
//!
//! Seeded (ChaCha8), so the figures are the same on every run.

use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::Normal;
use rand_distr::{Beta, Poisson};
use rand_distr::{Binomial, Distribution};
use s1557::metrics::scores::equal_score_bin;
use s1557::stats::{
    auroc, bootstrap, calibration, dist, means, multiplicity, power, proportion, two_sample,
};

fn draw(rng: &mut ChaCha8Rng, n: u64, p: f64) -> u64 {
    Binomial::new(n, p).expect("valid binomial").sample(rng)
}

fn main() {
    let mut rng = ChaCha8Rng::seed_from_u64(1557);
    // `-- status`: the status rules' section alone.
    if std::env::args().any(|a| a == "status") {
        operating_characteristics(&mut rng);
        return;
    }
    if std::env::args().any(|a| a == "families") {
        family_error(&mut rng);
        return;
    }
    if std::env::args().any(|a| a == "cusum") {
        cusum_run_length(&mut rng);
        return;
    }

    println!("## Wilson 95% coverage (20,000 draws a cell)\n");
    let ps = [0.02, 0.05, 0.1, 0.3, 0.5];
    print!("| n |");
    for p in ps {
        print!(" p = {p} |");
    }
    println!("\n|---|---|---|---|---|---|");
    let mut all = Vec::new();
    for n in [20u64, 50, 100, 300, 1000, 5000] {
        print!("| {n} |");
        for p in ps {
            let reps = 20_000;
            let hits = (0..reps)
                .filter(|_| {
                    let x = draw(&mut rng, n, p);
                    let ci = proportion::wilson(x, n, 0.95).expect("n > 0");
                    ci.low <= p && p <= ci.high
                })
                .count();
            let cov = hits as f64 / reps as f64;
            all.push(cov);
            print!(" {:.2}% |", cov * 100.0);
        }
        println!();
    }
    let mean = all.iter().sum::<f64>() / all.len() as f64;
    let min = all.iter().cloned().fold(1.0, f64::min);
    println!(
        "\nmean coverage {:.2}%, lowest cell {:.2}%\n",
        mean * 100.0,
        min * 100.0
    );

    println!("## Holm family-wise error under the null (alpha 0.05, 4,000 families each)\n");
    println!("| groups | n per group | rate | FWER |\n|---|---|---|---|");
    for (m, n, p) in [
        (4usize, 200u64, 0.1),
        (8, 500, 0.3),
        (20, 100, 0.2),
        (40, 1000, 0.05),
    ] {
        let reps = 4_000;
        let mut errors = 0;
        for _ in 0..reps {
            let x0 = draw(&mut rng, n, p);
            let pv: Vec<f64> = (0..m)
                .filter_map(|_| {
                    let x1 = draw(&mut rng, n, p);
                    two_sample::compare_test(x1, n, x0, n).ok().map(|t| t.2)
                })
                .collect();
            if multiplicity::holm(&pv).iter().any(|&q| q < 0.05) {
                errors += 1;
            }
        }
        println!(
            "| {m} | {n} | {p} | {:.2}% |",
            errors as f64 / reps as f64 * 100.0
        );
    }

    println!("\n## Power: formula against simulation (alpha 0.05, 10,000 draws each)\n");
    println!(
        "| p0 | p1 | n1 | n0 | formula | simulated | gap (points) |\n|---|---|---|---|---|---|---|"
    );
    for (p0, p1, n1, n0) in [
        (0.8, 0.7, 300u64, 3000u64),
        (0.2, 0.14, 800, 8000),
        (0.5, 0.45, 1500, 1500),
        (0.1, 0.15, 1000, 5000),
        (0.3, 0.2, 200, 400),
    ] {
        let reps = 10_000;
        let hits = (0..reps)
            .filter(|_| {
                let (x1, x0) = (draw(&mut rng, n1, p1), draw(&mut rng, n0, p0));
                two_sample::compare_test(x1, n1, x0, n0).is_ok_and(|t| t.2 < 0.05)
            })
            .count();
        let sim = hits as f64 / reps as f64;
        let formula = power::two_proportion_power(p1, p0, n1, n0, 0.05);
        println!(
            "| {p0} | {p1} | {n1} | {n0} | {:.1}% | {:.1}% | {:+.1} |",
            formula * 100.0,
            sim * 100.0,
            (formula - sim) * 100.0
        );
    }

    println!("\n## Bootstrap 95% intervals of a TPR gap (true gap 0.10; 1,000 data sets, 1,000 resamples each)\n");
    println!("| positives per group | percentile coverage | BCa coverage |\n|---|---|---|");
    for n in [100u64, 300, 1000] {
        let (mut pct, mut bca, mut sims) = (0, 0, 0);
        for s in 0..1000u64 {
            let tp1 = draw(&mut rng, n, 0.8);
            let tp0 = draw(&mut rng, n, 0.7);
            let groups = [[tp1, 0, n - tp1, 0], [tp0, 0, n - tp0, 0]];
            let gap = |g: &[bootstrap::Cells]| -> Option<f64> {
                let r: Vec<f64> = g
                    .iter()
                    .map(|c| c[0] as f64 / (c[0] + c[2]) as f64)
                    .collect();
                Some(r[0] - r[1])
            };
            if let Ok(b) = bootstrap::bootstrap(&groups, gap, 1000, s, 0.95) {
                sims += 1;
                pct += usize::from(b.percentile.low <= 0.1 && 0.1 <= b.percentile.high);
                bca += usize::from(b.bca.is_some_and(|c| c.low <= 0.1 && 0.1 <= c.high));
            }
        }
        println!(
            "| {n} | {:.1}% | {:.1}% |",
            pct as f64 / sims as f64 * 100.0,
            bca as f64 / sims as f64 * 100.0
        );
    }

    println!("\n## DeLong variance of the AUROC against a case bootstrap (2,000 resamples)\n");
    println!("| positives | negatives | AUROC | DeLong SE | bootstrap SE | ratio |\n|---|---|---|---|---|---|");
    for (m, n, shift) in [(50usize, 200usize, 1.0), (200, 800, 0.5), (500, 500, 1.5)] {
        let pos_dist = Normal::new(shift, 1.0).expect("valid");
        let neg_dist = Normal::new(0.0, 1.0).expect("valid");
        let pos: Vec<f64> = (0..m).map(|_| pos_dist.sample(&mut rng)).collect();
        let neg: Vec<f64> = (0..n).map(|_| neg_dist.sample(&mut rng)).collect();
        let a = auroc::auroc(&pos, &neg).expect("defined");
        let reps: Vec<f64> = (0..2000)
            .map(|_| {
                let p: Vec<f64> = (0..m).map(|_| pos[rng.random_range(0..m)]).collect();
                let q: Vec<f64> = (0..n).map(|_| neg[rng.random_range(0..n)]).collect();
                auroc::auroc(&p, &q).expect("defined").auc
            })
            .collect();
        let mean = reps.iter().sum::<f64>() / reps.len() as f64;
        let sd =
            (reps.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (reps.len() - 1) as f64).sqrt();
        println!(
            "| {m} | {n} | {:.3} | {:.4} | {:.4} | {:.2} |",
            a.auc,
            a.variance.sqrt(),
            sd,
            a.variance.sqrt() / sd
        );
    }

    println!("\n## DeLong's test for two independent groups with equal AUROCs (alpha 0.05, 4,000 pairs each)\n");
    println!("| group positives/negatives | reference positives/negatives | rejection rate |\n|---|---|---|");
    for (m1, n1, m0, n0) in [
        (20usize, 80usize, 200usize, 800usize),
        (60, 240, 600, 2400),
        (300, 300, 300, 300),
    ] {
        let pos_dist = Normal::new(1.0, 1.0).expect("valid");
        let neg_dist = Normal::new(0.0, 1.0).expect("valid");
        let sample = |m: usize, n: usize, rng: &mut ChaCha8Rng| {
            let p: Vec<f64> = (0..m).map(|_| pos_dist.sample(rng)).collect();
            let q: Vec<f64> = (0..n).map(|_| neg_dist.sample(rng)).collect();
            auroc::auroc(&p, &q).expect("defined")
        };
        let sims = 4000;
        let rejected = (0..sims)
            .filter(|_| {
                let g = sample(m1, n1, &mut rng);
                let r = sample(m0, n0, &mut rng);
                auroc::delong_independent(&g, &r).expect("defined").1 < 0.05
            })
            .count();
        println!(
            "| {m1}/{n1} | {m0}/{n0} | {:.1}% |",
            rejected as f64 / sims as f64 * 100.0
        );
    }

    println!("\n## Observed/expected 95% interval for a calibrated score (scores Beta(a, b), outcomes drawn from them; 4,000 groups each)\n");
    println!("| cases | mean score | coverage of O/E = 1 |\n|---|---|---|");
    for (n, a, b) in [
        (200usize, 2.0, 8.0),
        (1000, 2.0, 8.0),
        (5000, 1.0, 19.0),
        (500, 5.0, 5.0),
    ] {
        let beta = Beta::new(a, b).expect("valid");
        let sims = 4000;
        let covered = (0..sims)
            .filter(|_| {
                let mut observed = 0.0;
                let mut expected = 0.0;
                for _ in 0..n {
                    let p: f64 = beta.sample(&mut rng);
                    expected += p;
                    if rng.random_bool(p) {
                        observed += 1.0;
                    }
                }
                match calibration::observed_expected(observed, expected, n as f64, 0.95) {
                    Ok((_, ci, _)) => ci.low <= 1.0 && 1.0 <= ci.high,
                    Err(_) => false,
                }
            })
            .count();
        println!(
            "| {n} | {:.2} | {:.1}% |",
            a / (a + b),
            covered as f64 / sims as f64 * 100.0
        );
    }

    println!("\n## Need at equal score: standardized difference over score deciles (2,000 data sets each)\n");
    println!("Scores uniform in both groups; need ~ Poisson(1 + 4·decile/10 + δ·[group]), so the true difference at equal score is δ.\n");
    println!("| group cases | reference cases | δ | mean estimate | 95% coverage | rejection rate (alpha 0.05) |\n|---|---|---|---|---|---|");
    for (ng, nr, delta) in [
        (150usize, 1500usize, 0.0),
        (150, 1500, 0.5),
        (1000, 8000, 0.0),
        (1000, 8000, 0.3),
    ] {
        let sims = 2000;
        let (mut covered, mut rejected, mut total) = (0usize, 0usize, 0.0);
        for _ in 0..sims {
            let mut rows: Vec<(f64, f64, bool)> = Vec::with_capacity(ng + nr);
            for i in 0..ng + nr {
                let u: f64 = rng.random();
                let in_group = i < ng;
                let lambda =
                    1.0 + 4.0 * (u * 10.0).floor() / 10.0 + if in_group { delta } else { 0.0 };
                let need = Poisson::new(lambda).expect("valid").sample(&mut rng);
                rows.push((u, need, in_group));
            }
            let mut sorted: Vec<f64> = rows.iter().map(|r| r.0).collect();
            sorted.sort_by(f64::total_cmp);
            let mut g = vec![Vec::new(); 10];
            let mut r = vec![Vec::new(); 10];
            for &(u, v, in_group) in &rows {
                let b = equal_score_bin(&sorted, 10, u);
                if in_group {
                    g[b].push(v)
                } else {
                    r[b].push(v)
                }
            }
            let strata: Vec<(means::Summary, means::Summary)> = (0..10)
                .map(|b| (means::summary(&g[b]), means::summary(&r[b])))
                .collect();
            let s = means::standardized_difference(&strata).expect("defined");
            let z = dist::z_for_level(0.95);
            total += s.difference;
            if (s.difference - z * s.se..=s.difference + z * s.se).contains(&delta) {
                covered += 1;
            }
            if s.p_value < 0.05 {
                rejected += 1;
            }
        }
        println!(
            "| {ng} | {nr} | {delta} | {:.3} | {:.1}% | {:.1}% |",
            total / sims as f64,
            covered as f64 / sims as f64 * 100.0,
            rejected as f64 / sims as f64 * 100.0
        );
    }
    operating_characteristics(&mut rng);
    family_error(&mut rng);
    cusum_run_length(&mut rng);
}

/// How the status rules behave: the share of pass, monitor, remediate and too few to judge for
/// one group's TPR against the reference's (0.85), under the example's remediate trigger (a TPR
/// more than 10 points lower harms), in a race × TPR family of six (the five other groups at no
/// disparity, the focal group's size), at three clinic sizes, with no disparity, a disparity at
/// the band's edge and twice it. Sizes: 15% with the outcome; the reference group 58% of
/// patients, the focal group 13%.
fn operating_characteristics(rng: &mut ChaCha8Rng) {
    use s1557::metrics::compare;
    use s1557::protocol::Metric;
    use s1557::suffstats::Confusion;
    use s1557::triggers::{evaluate, Status};
    let (analysis, trigger) = example_rules();
    let tpr = |tp: u64, pos: u64| Confusion {
        tp,
        fp: 0,
        fn_: pos - tp,
        tn: 0,
    };
    println!("\n## Status rules: operating characteristics (TPR 0.85 in the reference; band: 10 points lower; Holm in a family of 6; 2,000 data sets a cell)\n");
    println!("| patients | group / reference positives | true gap | pass | monitor | remediate | too few to judge |\n|---|---|---|---|---|---|---|");
    for patients in [2_000f64, 10_000.0, 30_000.0] {
        let n0 = (patients * 0.15 * 0.58).round() as u64;
        let n1 = (patients * 0.15 * 0.13).round() as u64;
        for gap in [0.0, -0.10, -0.20] {
            let mut counts = [0usize; 4];
            let reps = 2_000;
            for _ in 0..reps {
                let r = tpr(draw(rng, n0, 0.85), n0);
                let g = tpr(draw(rng, n1, 0.85 + gap), n1);
                let mut c = compare("race", "G", "R", Metric::Tpr, &g, &r, &analysis);
                let mut family = vec![c.test.p_value().unwrap_or(1.0)];
                for _ in 0..5 {
                    let other = tpr(draw(rng, n1, 0.85), n1);
                    let o = compare("race", "O", "R", Metric::Tpr, &other, &r, &analysis);
                    family.push(o.test.p_value().unwrap_or(1.0));
                }
                c.p_adjusted = Some(multiplicity::holm(&family)[0]);
                let k = match evaluate(&trigger, &c, &analysis).status {
                    Status::Pass => 0,
                    Status::Monitor => 1,
                    Status::Remediate => 2,
                    _ => 3,
                };
                counts[k] += 1;
            }
            let pct = |k: usize| counts[k] as f64 / reps as f64 * 100.0;
            println!(
                "| {patients} | {n1} / {n0} | {:+.0} points | {:.1}% | {:.1}% | {:.1}% | {:.1}% |",
                gap * 100.0,
                pct(0),
                pct(1),
                pct(2),
                pct(3)
            );
        }
    }
}

/// The analysis and the remediate TPR trigger of the example (10 points lower harms).
fn example_rules() -> (s1557::protocol::Analysis, s1557::protocol::Trigger) {
    use s1557::protocol::{
        Analysis, Band, Correction, DifferenceInterval, Direction, Metric, RateInterval,
        RatioInterval, Severity, Trigger, TriggerMetric,
    };
    let analysis = Analysis {
        metrics: vec![Metric::Tpr],
        confidence_level: 0.95,
        alpha: 0.05,
        correction: Correction::Holm,
        rate_interval: RateInterval::Wilson,
        ratio_interval: RatioInterval::Katz,
        difference_interval: DifferenceInterval::Newcombe,
        power: 0.8,
        min_cell_size: 11,
        seed: 1,
        bootstrap_replicates: 200,
        legacy_rules: false,
        governing_criterion: None,
    };
    let trigger = Trigger {
        id: "missed".into(),
        metric: TriggerMetric::Rate(Metric::Tpr),
        attributes: vec![],
        ratio: None,
        difference: Some(Band {
            min: Some(-0.10),
            max: None,
        }),
        severity: Severity::Remediate,
        action: "act".into(),
        direction: Direction::Lower,
    };
    (analysis, trigger)
}

/// Family-wise error of the example's families with no disparity anywhere: every group's TPR
/// 0.85 like the reference's, the groups' shares of the example (race: six groups besides the
/// reference; race × sex: fifteen; sex: one), 10,000 patients, 15% with the outcome. The share
/// of families with any adjusted p under 0.05, any finding to remediate, any to monitor.
fn family_error(rng: &mut ChaCha8Rng) {
    use s1557::metrics::compare;
    use s1557::protocol::Metric;
    use s1557::suffstats::Confusion;
    use s1557::triggers::{evaluate, Status};
    let (analysis, trigger) = example_rules();
    let tpr = |tp: u64, pos: u64| Confusion {
        tp,
        fp: 0,
        fn_: pos - tp,
        tn: 0,
    };
    println!("\n## Family-wise error with no disparity (TPR 0.85 everywhere; 10,000 patients, 15% with the outcome; Holm; 4,000 families each)\n");
    println!("| family | comparisons | reference positives | any adjusted p < 0.05 | any remediate | any monitor |\n|---|---|---|---|---|---|");
    let families: [(&str, f64, &[f64]); 3] = [
        ("sex", 0.47, &[0.53]),
        ("race", 0.58, &[0.014, 0.079, 0.204, 0.003, 0.041, 0.079]),
        (
            "race × sex",
            0.2715,
            &[
                0.007, 0.007, 0.042, 0.037, 0.109, 0.095, 0.0015, 0.0015, 0.307, 0.021, 0.020,
                0.042, 0.037, 0.0015, 0.0015,
            ],
        ),
    ];
    for (name, ref_share, shares) in families {
        let n0 = (10_000.0 * 0.15 * ref_share).round() as u64;
        let (mut sig, mut rem, mut mon) = (0, 0, 0);
        let reps = 4_000;
        for _ in 0..reps {
            let r = tpr(draw(rng, n0, 0.85), n0);
            let mut cs: Vec<_> = shares
                .iter()
                .map(|sh| {
                    let n1 = ((10_000.0 * 0.15 * sh).round() as u64).max(1);
                    let g = tpr(draw(rng, n1, 0.85), n1);
                    compare("a", "G", "R", Metric::Tpr, &g, &r, &analysis)
                })
                .collect();
            let p: Vec<f64> = cs.iter().map(|c| c.test.p_value().unwrap_or(1.0)).collect();
            for (c, q) in cs.iter_mut().zip(multiplicity::holm(&p)) {
                c.p_adjusted = Some(q);
            }
            sig += usize::from(cs.iter().any(|c| c.p_adjusted.is_some_and(|q| q < 0.05)));
            let st: Vec<Status> = cs
                .iter()
                .map(|c| evaluate(&trigger, c, &analysis).status)
                .collect();
            rem += usize::from(st.contains(&Status::Remediate));
            mon += usize::from(st.contains(&Status::Monitor));
        }
        let pct = |k: usize| k as f64 / reps as f64 * 100.0;
        println!(
            "| {name} | {} | {n0} | {:.2}% | {:.2}% | {:.2}% |",
            shares.len(),
            pct(sig),
            pct(rem),
            pct(mon)
        );
    }
}

/// Run length of the CUSUM (`artifact::rolling`: K = 0.5 of the band's edge, H = 4 standard
/// errors) on one group's TPR gap, a quarter at a time, for a group with 195 patients with the
/// outcome a quarter against a reference with 870 (a 10,000-patient clinic; band 10 points). The
/// mean and median quarters to the first alarm, and the share alarmed within four and within
/// forty quarters (10,000 runs, each stopped at 400 quarters).
fn cusum_run_length(rng: &mut ChaCha8Rng) {
    use s1557::artifact::rolling::{cusum_step, CUSUM_H};
    let (n1, n0) = (195u64, 870u64);
    println!("\n## CUSUM run length (TPR 0.85 in the reference; 195 / 870 with the outcome a quarter; edge 10 points; 10,000 runs)\n");
    println!("| true gap | mean quarters to alarm | median | alarmed within 4 quarters | within 40 |\n|---|---|---|---|---|");
    for gap in [0.0, -0.05, -0.10, -0.20] {
        let reps = 10_000;
        let mut lengths: Vec<u32> = (0..reps)
            .map(|_| {
                let mut s = 0.0;
                for q in 1..=400u32 {
                    let (x1, x0) = (draw(rng, n1, 0.85 + gap), draw(rng, n0, 0.85));
                    let (p1, p0) = (x1 as f64 / n1 as f64, x0 as f64 / n0 as f64);
                    // The trend's variance: Agresti–Caffo adjusted proportions.
                    let (q1, q0) = (
                        (x1 as f64 + 1.0) / (n1 as f64 + 2.0),
                        (x0 as f64 + 1.0) / (n0 as f64 + 2.0),
                    );
                    let se = (q1 * (1.0 - q1) / n1 as f64 + q0 * (1.0 - q0) / n0 as f64).sqrt();
                    s = cusum_step(s, p0 - p1, 0.10, se);
                    if s >= CUSUM_H {
                        return q;
                    }
                }
                401
            })
            .collect();
        lengths.sort_unstable();
        let mean = lengths.iter().map(|&l| f64::from(l)).sum::<f64>() / reps as f64;
        let within =
            |k: u32| lengths.iter().filter(|&&l| l <= k).count() as f64 / reps as f64 * 100.0;
        let median = lengths[reps / 2];
        let shown = |l: f64| {
            if l > 400.0 {
                "over 400".to_string()
            } else {
                format!("{l:.1}")
            }
        };
        println!(
            "| {:+.0} points | {} | {} | {:.1}% | {:.1}% |",
            gap * 100.0,
            shown(mean),
            shown(f64::from(median)),
            within(4),
            within(40)
        );
    }
}
