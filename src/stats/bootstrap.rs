//! Seeded bootstrap intervals for statistics of several groups' confusion counts.
//!
//! A statistic that depends on the counts only (a gap between the groups' rates) is resampled by
//! drawing each group's four counts from a multinomial with the group's own proportions and
//! size — the same as resampling rows within each group, at a cost independent of the number of
//! rows. Replicate `r` uses ChaCha8 stream `r` of the seed, so the result is the same on any
//! number of threads. Intervals: percentile, and BCa (Efron 1987) with the acceleration from the
//! jackknife over single cases, computed per distinct case type with its multiplicity.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Binomial, Distribution};
use rayon::prelude::*;

use super::{dist, Ci, Undefined};

/// Counts of one group: `[tp, fp, fn, tn]`.
pub type Cells = [u64; 4];

/// A bootstrap result: the estimate and its percentile and BCa intervals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BootstrapCi {
    pub estimate: f64,
    pub percentile: Ci,
    /// `None` when the acceleration or the bias correction is not finite (a degenerate
    /// bootstrap distribution).
    pub bca: Option<Ci>,
    /// Replicates in which the statistic was defined.
    pub replicates: usize,
}

fn multinomial(rng: &mut ChaCha8Rng, cells: &Cells) -> Cells {
    let n: u64 = cells.iter().sum();
    let mut out = [0u64; 4];
    let (mut left_n, mut left_p) = (n, n as f64);
    for i in 0..4 {
        if left_n == 0 || left_p <= 0.0 {
            break;
        }
        let k = cells[i] as f64;
        out[i] = if i == 3 || k >= left_p {
            left_n
        } else {
            Binomial::new(left_n, (k / left_p).clamp(0.0, 1.0)).map_or(0, |b| b.sample(rng))
        };
        left_n -= out[i];
        left_p -= k;
    }
    out
}

/// Linear-interpolated quantile of sorted values (numpy's default, "type 7").
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Bootstrap `statistic` over `groups` with `replicates` resamples from `seed`.
///
/// Undefined when the statistic is undefined on the data, or in more than 10% of resamples.
pub fn bootstrap<F>(
    groups: &[Cells],
    statistic: F,
    replicates: usize,
    seed: u64,
    level: f64,
) -> Result<BootstrapCi, Undefined>
where
    F: Fn(&[Cells]) -> Option<f64> + Sync,
{
    let estimate = statistic(groups).ok_or(Undefined("the statistic is undefined on the data"))?;
    let mut theta: Vec<f64> = (0..replicates as u64)
        .into_par_iter()
        .filter_map(|r| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(r);
            let sample: Vec<Cells> = groups.iter().map(|g| multinomial(&mut rng, g)).collect();
            statistic(&sample)
        })
        .collect();
    if theta.len() * 10 < replicates * 9 || theta.is_empty() {
        return Err(Undefined(
            "the statistic is undefined in more than 10% of resamples",
        ));
    }
    theta.sort_by(f64::total_cmp);
    let tail = (1.0 - level) / 2.0;
    let percentile = Ci {
        low: quantile(&theta, tail),
        high: quantile(&theta, 1.0 - tail),
    };

    // BCa: bias correction from the share of replicates below the estimate, acceleration from
    // the jackknife (leave one case out; cases of the same group and cell are alike).
    let below = theta.iter().filter(|&&t| t < estimate).count() as f64 / theta.len() as f64;
    let z0 = dist::normal_quantile(below);
    let mut jack: Vec<(f64, f64)> = Vec::new();
    for (g, cells) in groups.iter().enumerate() {
        for c in 0..4 {
            if cells[c] == 0 {
                continue;
            }
            let mut less = groups.to_vec();
            less[g][c] -= 1;
            if let Some(t) = statistic(&less) {
                jack.push((t, cells[c] as f64));
            }
        }
    }
    let w: f64 = jack.iter().map(|j| j.1).sum();
    let mean = jack.iter().map(|(t, k)| t * k).sum::<f64>() / w;
    let num: f64 = jack.iter().map(|(t, k)| k * (mean - t).powi(3)).sum();
    let den: f64 = jack.iter().map(|(t, k)| k * (mean - t).powi(2)).sum();
    let a = num / (6.0 * den.powf(1.5));
    let za = dist::normal_quantile(tail);
    let (d_lo, d_hi) = (1.0 - a * (z0 + za), 1.0 - a * (z0 - za));
    let adjust = |z: f64, d: f64| dist::normal_cdf(z0 + (z0 + z) / d);
    let (q_lo, q_hi) = (adjust(za, d_lo), adjust(-za, d_hi));
    // BCa is withheld where its correction breaks down: the estimate in a tail of the bootstrap
    // distribution (a gap near zero: max − min of rates is biased upwards), a non-positive
    // denominator, inverted quantiles, or an interval that misses the estimate.
    let bca = (z0.is_finite()
        && a.is_finite()
        && (tail..=1.0 - tail).contains(&below)
        && d_lo > 0.0
        && d_hi > 0.0
        && q_lo.is_finite()
        && q_hi.is_finite()
        && q_lo < q_hi)
        .then(|| Ci {
            low: quantile(&theta, q_lo),
            high: quantile(&theta, q_hi),
        })
        .filter(|ci| ci.low <= estimate && estimate <= ci.high);
    Ok(BootstrapCi {
        estimate,
        percentile,
        bca,
        replicates: theta.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate_gap(g: &[Cells]) -> Option<f64> {
        let r: Vec<f64> = g
            .iter()
            .map(|c| (c[0] + c[1]) as f64 / c.iter().sum::<u64>() as f64)
            .collect();
        Some(
            r.iter().cloned().fold(f64::MIN, f64::max) - r.iter().cloned().fold(f64::MAX, f64::min),
        )
    }

    #[test]
    fn multinomial_keeps_the_group_size() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..100 {
            let s = multinomial(&mut rng, &[5, 0, 17, 300]);
            assert_eq!(s.iter().sum::<u64>(), 322);
            assert_eq!(s[1], 0, "an empty cell stays empty");
        }
    }

    #[test]
    fn same_seed_same_interval_and_the_interval_holds_the_estimate() {
        let g = [[30, 20, 10, 140], [10, 30, 10, 150]];
        let a = bootstrap(&g, rate_gap, 2000, 7, 0.95).unwrap();
        let b = bootstrap(&g, rate_gap, 2000, 7, 0.95).unwrap();
        assert_eq!(a, b);
        assert!(a.percentile.low <= a.estimate && a.estimate <= a.percentile.high);
        let bca = a.bca.unwrap();
        assert!(bca.low < bca.high);
    }
}
