//! Over quarters: each finding judged on the counts of up to four quarters pooled (this run and
//! up to three earlier artifacts under the same protocol), beside its quarterly status; the
//! trend of its difference across those quarters (a weighted least-squares slope with its
//! interval); and a one-sided CUSUM in the direction that harms the group, carried from the most
//! recent earlier artifact. Small groups that one quarter cannot judge are judged on the pool,
//! by the same status rules, correction families and triggers.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Artifact, PreviousArtifact};
use crate::metrics::{self, Estimate, Interval, Method};
use crate::protocol::{Direction, Protocol};
use crate::stats::dist;
use crate::suffstats::{AttributeCounts, SufficientStats};
use crate::triggers::{self, Status};

/// Quarters pooled at most, this run's included.
pub const MAX_QUARTERS: usize = 4;
/// The CUSUM's reference value, as a share of the band's edge: it drifts up only while the gap
/// is beyond half the edge.
pub const CUSUM_K: f64 = 0.5;
/// The CUSUM's decision limit, in standard errors.
pub const CUSUM_H: f64 = 4.0;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Rolling {
    /// The quarters pooled, oldest first; the last is this run.
    pub quarters: Vec<Quarter>,
    /// Earlier artifacts given but not pooled, and why.
    pub left_out: Vec<LeftOut>,
    /// Cases pooled.
    pub cases: u64,
    pub findings: Vec<RollingFinding>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Quarter {
    /// The earlier artifact's file, or this run's data file.
    pub file: String,
    /// The earlier artifact's SHA-256 (none for this run).
    pub artifact_sha256: Option<String>,
    pub data_sha256: String,
    pub period_start: Option<String>,
    pub period_end: Option<String>,
    pub cases: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LeftOut {
    pub file: String,
    pub sha256: String,
    pub reason: String,
}

/// One finding over the pooled quarters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RollingFinding {
    pub id: String,
    /// The pooled counts of the group and of the reference.
    pub numerator: u64,
    pub denominator: u64,
    pub reference_numerator: u64,
    pub reference_denominator: u64,
    pub difference: Estimate,
    pub ratio: Estimate,
    pub p_value: Option<f64>,
    pub p_adjusted: Option<f64>,
    /// The status on the pooled counts, by the protocol's rules.
    pub status: Status,
    /// This run's own status, for comparison.
    pub quarterly_status: Status,
    /// The change in the difference per quarter across the pooled quarters (weighted least
    /// squares, each quarter weighted by the inverse of its variance; Wald interval); undefined
    /// with fewer than three quarters judged.
    pub slope: Estimate,
    /// The one-sided CUSUMs on the harmful side(s).
    pub cusum: Vec<Cusum>,
    /// An earlier quarter's shared outputs withheld the group or its reference: the pool, less
    /// this quarter, would give its counts away, so shared outputs withhold this row.
    pub withheld_then: bool,
}

/// `S = max(0, S_before + (gap on the harmful side − K·edge) / SE)`, started at 0 and carried
/// from the most recent earlier artifact; an alarm at `S ≥ H`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Cusum {
    /// `lower` or `higher`: the side that harms.
    pub side: String,
    pub value: f64,
    pub alarm: bool,
}

/// The earlier artifacts to pool: same protocol, other data, at most three, latest first.
fn chosen<'a>(
    current: &Artifact,
    earlier: &'a [&'a PreviousArtifact],
) -> (Vec<&'a PreviousArtifact>, Vec<LeftOut>) {
    let mut sorted: Vec<&PreviousArtifact> = earlier.to_vec();
    sorted.sort_by(|a, b| {
        b.artifact
            .data
            .period_end
            .cmp(&a.artifact.data.period_end)
            .then(b.artifact.run.as_of.cmp(&a.artifact.run.as_of))
    });
    let (mut keep, mut left) = (Vec::new(), Vec::new());
    for p in sorted {
        let reason = if p.artifact.protocol.sha256 != current.protocol.sha256 {
            Some("made under another protocol")
        } else if p.artifact.data.sha256 == current.data.sha256
            || keep
                .iter()
                .any(|k: &&PreviousArtifact| k.artifact.data.sha256 == p.artifact.data.sha256)
        {
            Some("the same data as a quarter already pooled")
        } else if keep.len() + 1 >= MAX_QUARTERS {
            Some("beyond the four quarters pooled")
        } else {
            None
        };
        match reason {
            Some(r) => left.push(LeftOut {
                file: p.file.clone(),
                sha256: p.sha256.clone(),
                reason: r.into(),
            }),
            None => keep.push(p),
        }
    }
    keep.reverse();
    (keep, left)
}

/// The counts of several quarters added group by group (the current quarter's order, groups
/// met only earlier appended).
fn pooled_counts(all: &[&Artifact]) -> SufficientStats {
    let mut attributes: Vec<AttributeCounts> = Vec::new();
    for a in all.iter().rev() {
        for x in &a.sufficient_statistics {
            let Some(t) = attributes.iter_mut().find(|t| t.attribute == x.attribute) else {
                let mut x = x.clone();
                x.groups.iter_mut().for_each(|g| g.weights = None);
                attributes.push(x);
                continue;
            };
            for g in &x.groups {
                match t.groups.iter_mut().find(|h| h.group == g.group) {
                    Some(h) => {
                        for (c, d) in [
                            (&mut h.counts.tp, g.counts.tp),
                            (&mut h.counts.fp, g.counts.fp),
                            (&mut h.counts.fn_, g.counts.fn_),
                            (&mut h.counts.tn, g.counts.tn),
                        ] {
                            *c = c.saturating_add(d);
                        }
                    }
                    None => {
                        let mut g = g.clone();
                        g.weights = None;
                        t.groups.push(g);
                    }
                }
            }
        }
    }
    SufficientStats {
        cases: all.iter().map(|a| a.data.cases).sum(),
        attributes,
        stratified: Vec::new(),
        scores: None,
    }
}

/// Weighted least-squares slope of `(t, d, var)` points over `t`, with its Wald interval.
pub fn slope(points: &[(f64, f64, f64)], level: f64) -> Estimate {
    let usable: Vec<&(f64, f64, f64)> = points.iter().filter(|p| p.2 > 0.0).collect();
    if usable.len() < 3 {
        return Estimate::Undefined {
            reason: "needs three quarters with the group judged".into(),
        };
    }
    let w: f64 = usable.iter().map(|p| 1.0 / p.2).sum();
    let t_bar = usable.iter().map(|p| p.0 / p.2).sum::<f64>() / w;
    let d_bar = usable.iter().map(|p| p.1 / p.2).sum::<f64>() / w;
    let sxx: f64 = usable.iter().map(|p| (p.0 - t_bar).powi(2) / p.2).sum();
    let sxy: f64 = usable
        .iter()
        .map(|p| (p.0 - t_bar) * (p.1 - d_bar) / p.2)
        .sum();
    let b = sxy / sxx;
    let se = (1.0 / sxx).sqrt();
    Estimate::Value {
        value: b,
        ci: Interval {
            level,
            low: b - dist::z_for_level(level) * se,
            high: b + dist::z_for_level(level) * se,
            method: Method::Wald,
        },
    }
}

/// The band's edge on `side` in difference units (a ratio edge at the reference rate `p0`).
fn edge(t: &crate::protocol::Trigger, lower: bool, p0: f64) -> Option<f64> {
    let d = t
        .judged_difference()
        .and_then(|b| if lower { b.min } else { b.max });
    let r = t
        .judged_ratio()
        .and_then(|b| if lower { b.min } else { b.max });
    d.map(f64::abs)
        .or(r.map(|r| (p0 * (r - 1.0)).abs()))
        .filter(|e| *e > 0.0)
}

/// The CUSUMs of one finding: each harmful side of the first trigger judging it. Carried from
/// `before` (the most recent earlier artifact's rolling finding) when it has one; otherwise run
/// from 0 over the earlier quarters' gaps (`history`, oldest first). `now`: this quarter's gap
/// and its variance.
fn cusums(
    protocol: &Protocol,
    f: &super::Finding,
    history: &[Option<(f64, f64)>],
    now: Option<(f64, f64)>,
    before: Option<&RollingFinding>,
) -> Vec<Cusum> {
    let c = &f.comparison;
    let Some(t) = protocol
        .triggers
        .iter()
        .find(|t| t.applies_to(&c.attribute, c.metric.name()))
    else {
        return Vec::new();
    };
    let p0 = c.reference_numerator as f64 / c.reference_denominator.max(1) as f64;
    let sides: &[bool] = match t.direction {
        Direction::Lower => &[true],
        Direction::Higher => &[false],
        Direction::Both => &[true, false],
    };
    sides
        .iter()
        .filter_map(|&lower| {
            let e = edge(t, lower, p0)?;
            let name = if lower { "lower" } else { "higher" };
            let step = |s: f64, m: &Option<(f64, f64)>| match *m {
                Some((d, v)) if v > 0.0 => {
                    let harm = if lower { -d } else { d };
                    (s + (harm - CUSUM_K * e) / v.sqrt()).max(0.0)
                }
                _ => s,
            };
            let carried = before.and_then(|b| b.cusum.iter().find(|x| x.side == name));
            let prior = match carried {
                Some(x) => x.value,
                None => history.iter().fold(0.0, step),
            };
            let value = step(prior, &now);
            Some(Cusum {
                side: name.into(),
                value,
                alarm: value >= CUSUM_H,
            })
        })
        .collect()
}

/// The rolling section of `current` over the earlier artifacts given (`None` when none can be
/// pooled).
pub fn compute(
    protocol: &Protocol,
    current: &Artifact,
    earlier: &[&PreviousArtifact],
) -> Option<Rolling> {
    let (kept, left_out) = chosen(current, earlier);
    if kept.is_empty() && left_out.is_empty() {
        return None;
    }
    let mut all: Vec<&Artifact> = kept.iter().map(|p| &p.artifact).collect();
    all.push(current);
    let stats = pooled_counts(&all);
    let a = &protocol.analysis;
    let results = metrics::compute_with_scores(&stats, a, None, &metrics::Plan::of(protocol));
    let min = current.run.min_cell_size;
    let before = kept.last().and_then(|p| p.artifact.rolling.as_ref());
    let withheld: Vec<super::suppression::Suppression> = kept
        .iter()
        .map(|p| super::suppression::Suppression::from_artifact(&p.artifact))
        .collect();
    let findings = current
        .comparisons
        .iter()
        .filter_map(|f| {
            let pooled = results
                .comparisons
                .iter()
                .find(|c| c.id == f.comparison.id)?;
            let assessment = triggers::assess(pooled, &protocol.triggers, a);
            // This finding's gap and variance in each quarter, oldest first (this run last).
            let moments: Vec<Option<(f64, f64)>> = all
                .iter()
                .map(|x| {
                    let g = x
                        .comparisons
                        .iter()
                        .find(|g| g.comparison.id == f.comparison.id)?;
                    super::trend::moments(g, min).0
                })
                .collect();
            let points: Vec<(f64, f64, f64)> = moments
                .iter()
                .enumerate()
                .filter_map(|(t, m)| m.map(|(d, v)| (t as f64, d, v)))
                .collect();
            let (now, history) = moments.split_last().expect("this run is the last quarter");
            let previous = before.and_then(|b| b.findings.iter().find(|r| r.id == f.comparison.id));
            Some(RollingFinding {
                id: f.comparison.id.clone(),
                numerator: pooled.numerator,
                denominator: pooled.denominator,
                reference_numerator: pooled.reference_numerator,
                reference_denominator: pooled.reference_denominator,
                difference: pooled.difference.clone(),
                ratio: pooled.ratio.clone(),
                p_value: pooled.test.p_value(),
                p_adjusted: pooled.p_adjusted,
                status: assessment.status,
                quarterly_status: f.assessment.status,
                slope: slope(&points, a.confidence_level),
                cusum: cusums(protocol, f, history, *now, previous),
                withheld_then: kept.iter().zip(&withheld).any(|(p, sup)| {
                    p.artifact
                        .comparisons
                        .iter()
                        .find(|g| g.comparison.id == f.comparison.id)
                        .is_none_or(|g| sup.comparison(&g.comparison))
                }),
            })
        })
        .collect();
    let quarter = |x: &Artifact, file: &str, sha: Option<&String>| Quarter {
        file: file.into(),
        artifact_sha256: sha.cloned(),
        data_sha256: x.data.sha256.clone(),
        period_start: x.data.period_start.clone(),
        period_end: x.data.period_end.clone(),
        cases: x.data.cases,
    };
    let mut quarters: Vec<Quarter> = kept
        .iter()
        .map(|p| quarter(&p.artifact, &p.file, Some(&p.sha256)))
        .collect();
    quarters.push(quarter(current, &current.data.file, None));
    Some(Rolling {
        quarters,
        left_out,
        cases: stats.cases,
        findings,
    })
}
