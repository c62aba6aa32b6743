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

/// Why an earlier artifact is not pooled with `current` beside the quarters already `kept`
/// (latest first), if it is not: another protocol, no period to order it by, a period that does
/// not end before this run's (and every kept quarter's) start, the same data, or too many.
fn left_out_reason(
    current: &Artifact,
    p: &PreviousArtifact,
    kept: &[&PreviousArtifact],
) -> Option<&'static str> {
    let (d, now) = (&p.artifact.data, &current.data);
    let earliest_start = kept
        .last()
        .map_or(&now.period_start, |k| &k.artifact.data.period_start);
    if p.artifact.protocol.sha256 != current.protocol.sha256 {
        Some("made under another protocol")
    } else if d.period_end.is_none() || earliest_start.is_none() {
        Some("no data period to order the quarters by (run --period)")
    } else if d.period_end.as_deref() >= earliest_start.as_deref() {
        Some("its period does not end before the later quarters' start (a later or overlapping quarter)")
    } else if d.sha256 == now.sha256 || kept.iter().any(|k| k.artifact.data.sha256 == d.sha256) {
        Some("the same data as a quarter already pooled")
    } else if kept.len() + 1 >= MAX_QUARTERS {
        Some("beyond the four quarters pooled")
    } else {
        None
    }
}

/// The earlier artifacts to pool (oldest first) and those left out, with why.
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
        match left_out_reason(current, p, &keep) {
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

/// A period's end in quarters (days since 1970-01-01 over 91.3125), the slope's time axis.
fn quarter_index(period_end: Option<&str>) -> Option<f64> {
    let d = chrono::NaiveDate::parse_from_str(period_end?, "%Y-%m-%d").ok()?;
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?;
    Some((d - epoch).num_days() as f64 / 91.3125)
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
                // Clusters do not pool across quarters (patients recur): the pool is on counts.
                x.design = None;
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
        excluded: None,
    }
}

/// Weighted least-squares slope of `(t, d, var)` points over `t`, each weighted by `1/var`, with
/// its Wald interval. The variance is the fixed-scale one, `1/Σw(t − t̄)²`, widened by the
/// weighted residual scatter when the quarters vary more than sampling explains
/// (`× max(1, χ²_w/(k − 2))`, as a quasi-likelihood scale never under 1). Undefined with fewer than
/// three quarters.
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
    if sxx.is_nan() || sxx <= 0.0 {
        return Estimate::Undefined {
            reason: "the quarters end on the same day".into(),
        };
    }
    let b = sxy / sxx;
    let chi2: f64 = usable
        .iter()
        .map(|p| (p.1 - d_bar - b * (p.0 - t_bar)).powi(2) / p.2)
        .sum();
    let scale = (chi2 / (usable.len() - 2) as f64).max(1.0);
    let se = (scale / sxx).sqrt();
    let z = dist::z_for_level(level);
    Estimate::Value {
        value: b,
        ci: Interval {
            level,
            low: b - z * se,
            high: b + z * se,
            method: Method::Wald,
        },
    }
}

/// The tightest edge on the harmful side (`lower`) among the triggers judging the finding, in
/// difference units (a ratio edge at the quarter's reference rate `p0`).
fn edge(protocol: &Protocol, c: &crate::metrics::Comparison, lower: bool, p0: f64) -> Option<f64> {
    let harms = |d: Direction| d == Direction::Both || (d == Direction::Lower) == lower;
    protocol
        .triggers
        .iter()
        .filter(|t| t.applies_to(&c.attribute, c.metric.name()) && harms(t.direction))
        .flat_map(|t| {
            let side = |b: crate::protocol::Band| if lower { b.min } else { b.max };
            let d = t.judged_difference().and_then(side).map(f64::abs);
            let r = t
                .judged_ratio()
                .and_then(side)
                .map(|r| (p0 * (r - 1.0)).abs());
            [d, r]
        })
        .flatten()
        .filter(|e| *e > 0.0)
        .min_by(f64::total_cmp)
}

/// One quarter's CUSUM step: `max(0, s + (harm − K·edge)/se)`, `harm` the gap toward the side
/// that harms (positive when it harms).
pub fn cusum_step(s: f64, harm: f64, edge: f64, se: f64) -> f64 {
    (s + (harm - CUSUM_K * edge) / se).max(0.0)
}

/// One quarter of a finding: its gap, the gap's variance and the reference rate.
type Moment = Option<(f64, f64, f64)>;

fn moment(f: &super::Finding, min: u64) -> Moment {
    let c = &f.comparison;
    let (d, v) = super::trend::moments(f, min).0?;
    Some((
        d,
        v,
        c.reference_numerator as f64 / c.reference_denominator as f64,
    ))
}

/// The CUSUMs of one finding on each harmful side. Carried from `before` (the most recent
/// earlier artifact's rolling finding) when it has one; otherwise run from 0 over the earlier
/// quarters (`history`, oldest first). A quarter too small to judge leaves the sum as it was.
fn cusums(
    protocol: &Protocol,
    f: &super::Finding,
    history: &[Moment],
    now: Moment,
    before: Option<&RollingFinding>,
) -> Vec<Cusum> {
    let c = &f.comparison;
    [true, false]
        .into_iter()
        .filter_map(|lower| {
            let step = |s: f64, m: &Moment| match *m {
                Some((d, v, p0)) if v > 0.0 => match edge(protocol, c, lower, p0) {
                    Some(e) => cusum_step(s, if lower { -d } else { d }, e, v.sqrt()),
                    None => s,
                },
                _ => s,
            };
            // A side no trigger bounds has no CUSUM.
            let p0 = now.map_or(0.0, |m| m.2);
            edge(protocol, c, lower, p0).or_else(|| edge(protocol, c, lower, 0.5))?;
            let name = if lower { "lower" } else { "higher" };
            let carried = before.and_then(|b| b.cusum.iter().find(|x| x.side == name));
            let prior = carried.map_or_else(|| history.iter().fold(0.0, step), |x| x.value);
            let value = step(prior, &now);
            Some(Cusum {
                side: name.into(),
                value,
                alarm: value >= CUSUM_H,
            })
        })
        .collect()
}

/// Whether a count is one shared outputs may show (0, or at least `min`).
pub fn shown(k: u64, min: u64) -> bool {
    k == 0 || k >= min
}

/// Whether an earlier quarter's shared outputs withheld the finding, or its own counts hold a
/// small one (whatever its own run's suppression), so the pool less the rest would give it away.
fn withheld_then(kept: &[&PreviousArtifact], id: &str, min: u64) -> bool {
    kept.iter().any(|p| {
        let sup = super::suppression::Suppression::from_artifact(&p.artifact);
        let Some(g) = p
            .artifact
            .comparisons
            .iter()
            .find(|g| g.comparison.id == id)
        else {
            return true;
        };
        let c = &g.comparison;
        sup.comparison(c)
            || ![
                c.numerator,
                c.denominator - c.numerator,
                c.reference_numerator,
                c.reference_denominator - c.reference_numerator,
            ]
            .iter()
            .all(|&k| shown(k, min))
    })
}

/// One finding over the pooled quarters (`all`, oldest first, this run last).
fn finding(
    protocol: &Protocol,
    f: &super::Finding,
    pooled: &crate::metrics::Comparison,
    all: &[&Artifact],
    kept: &[&PreviousArtifact],
    before: Option<&Rolling>,
) -> RollingFinding {
    let min = protocol.analysis.min_cell_size;
    let id = &f.comparison.id;
    let moments: Vec<Moment> = all
        .iter()
        .map(|x| moment(x.comparisons.iter().find(|g| &g.comparison.id == id)?, min))
        .collect();
    let points: Vec<(f64, f64, f64)> = all
        .iter()
        .zip(&moments)
        .filter_map(|(x, m)| {
            let t = quarter_index(x.data.period_end.as_deref())?;
            m.map(|(d, v, _)| (t, d, v))
        })
        .collect();
    let (now, history) = moments.split_last().expect("this run is the last quarter");
    let previous = before.and_then(|b| b.findings.iter().find(|r| &r.id == id));
    RollingFinding {
        id: id.clone(),
        numerator: pooled.numerator,
        denominator: pooled.denominator,
        reference_numerator: pooled.reference_numerator,
        reference_denominator: pooled.reference_denominator,
        difference: pooled.difference.clone(),
        ratio: pooled.ratio.clone(),
        p_value: pooled.test.p_value(),
        p_adjusted: pooled.p_adjusted,
        status: triggers::assess(pooled, &protocol.triggers, &protocol.analysis).status,
        quarterly_status: f.assessment.status,
        slope: slope(&points, protocol.analysis.confidence_level),
        cusum: cusums(protocol, f, history, *now, previous),
        withheld_then: withheld_then(kept, id, min),
    }
}

/// The quarters pooled, oldest first, this run last.
fn quarters(kept: &[&PreviousArtifact], current: &Artifact) -> Vec<Quarter> {
    let quarter = |x: &Artifact, file: &str, sha: Option<&String>| Quarter {
        file: file.into(),
        artifact_sha256: sha.cloned(),
        data_sha256: x.data.sha256.clone(),
        period_start: x.data.period_start.clone(),
        period_end: x.data.period_end.clone(),
        cases: x.data.cases,
    };
    let mut out: Vec<Quarter> = kept
        .iter()
        .map(|p| quarter(&p.artifact, &p.file, Some(&p.sha256)))
        .collect();
    out.push(quarter(current, &current.data.file, None));
    out
}

/// The rolling section of `current` over the earlier artifacts given (`None` when none was
/// given).
pub fn compute(
    protocol: &Protocol,
    current: &Artifact,
    earlier: &[&PreviousArtifact],
) -> Option<Rolling> {
    let (kept, left_out) = chosen(current, earlier);
    if kept.is_empty() {
        // Nothing to pool: the section says which artifacts were given and why none was pooled.
        return (!left_out.is_empty()).then(|| Rolling {
            quarters: quarters(&kept, current),
            left_out,
            cases: current.data.cases,
            findings: Vec::new(),
        });
    }
    let mut all: Vec<&Artifact> = kept.iter().map(|p| &p.artifact).collect();
    all.push(current);
    let stats = pooled_counts(&all);
    let plan = metrics::Plan::of(protocol);
    let results = metrics::compute_with_scores(&stats, &protocol.analysis, None, &plan);
    let before = kept.last().and_then(|p| p.artifact.rolling.as_ref());
    let findings = current
        .comparisons
        .iter()
        .filter_map(|f| {
            let pooled = results
                .comparisons
                .iter()
                .find(|c| c.id == f.comparison.id)?;
            Some(finding(protocol, f, pooled, &all, &kept, before))
        })
        .collect();
    Some(Rolling {
        quarters: quarters(&kept, current),
        left_out,
        cases: stats.cases,
        findings,
    })
}
