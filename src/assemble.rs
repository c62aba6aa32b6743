//! From evidence to artifact: the one function that turns a protocol, the evidence (source and
//! sufficient statistics) and the run's context into the oversight artifact. It computes the
//! metrics, judges every finding by the protocol's triggers, and fills the artifact's record;
//! `run` and `verify` both go through it, so a verified artifact is one this function would write.

use crate::artifact::*;
use crate::metrics::{self, scores::ScoreResults, Results};
use crate::protocol::{DecisionType, DifferenceInterval, Protocol, RateInterval, RatioInterval};
use crate::suffstats::Evidence;
use crate::triggers::{self, Assessment, Status};

/// The artifact of a run: every metric computed from the evidence.
pub fn assemble(protocol: &Protocol, evidence: &Evidence, ctx: &RunContext) -> Artifact {
    let results = metrics::compute(
        &evidence.stats,
        &protocol.analysis,
        protocol.scores.as_ref(),
        &metrics::Plan::of(protocol),
    );
    build(protocol, evidence, results, ctx)
}

/// The artifact from the evidence's counts and score results given as they are (an artifact's
/// own, when it is verified without its scores): everything else recomputed.
pub fn assemble_with_scores(
    protocol: &Protocol,
    evidence: &Evidence,
    scores: Option<ScoreResults>,
    ctx: &RunContext,
) -> Artifact {
    let results = metrics::compute_with_scores(
        &evidence.stats,
        &protocol.analysis,
        scores,
        &metrics::Plan::of(protocol),
    );
    build(protocol, evidence, results, ctx)
}

/// A path's file name (the whole path when it has none), as artifacts record files.
pub fn file_name(p: &std::path::Path) -> String {
    p.file_name().map_or_else(
        || p.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Assemble the artifact from the run's parts, judging every finding by the protocol's triggers.
pub fn build(
    protocol: &Protocol,
    evidence: &Evidence,
    results: Results,
    ctx: &RunContext,
) -> Artifact {
    let a = &protocol.analysis;
    let comparisons: Vec<Finding> = results
        .comparisons
        .into_iter()
        .map(|c| Finding {
            assessment: triggers::assess(&c, &protocol.triggers, a),
            comparison: c,
        })
        .collect();
    let scores = results.scores.map(|r| score_section(protocol, r));
    let score_findings: &[ScoreFinding] = scores.as_ref().map_or(&[], |s| &s.comparisons);
    let judged: Vec<(&Assessment, &String)> = comparisons
        .iter()
        .map(|f| (&f.assessment, &f.comparison.id))
        .chain(
            score_findings
                .iter()
                .map(|f| (&f.assessment, &f.comparison.id)),
        )
        .collect();
    let mut artifact = Artifact {
        schema_version: SCHEMA_VERSION.to_string(),
        generator: Generator {
            name: "s1557".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        tool: tool_info(protocol),
        protocol: ProtocolInfo {
            name: protocol.name.clone(),
            version: protocol.protocol_version.clone(),
            file: file_name(&protocol.source),
            sha256: protocol.sha256.clone(),
            text: Some(protocol.text.clone()),
        },
        data: DataInfo {
            file: evidence.source.file.clone(),
            sha256: evidence.source.sha256.clone(),
            format: evidence.source.format.clone(),
            input: evidence.source.input.clone(),
            cases: evidence.stats.cases,
            period_start: protocol.data.period_start.map(|d| d.to_string()),
            period_end: protocol.data.period_end.map(|d| d.to_string()),
            design: design_info(protocol, &evidence.stats),
            accepted_columns: protocol.data.accept.clone(),
            excluded: protocol
                .data
                .exclude
                .iter()
                .enumerate()
                .map(|(i, rule)| crate::artifact::ExcludedRows {
                    rule: rule.clone(),
                    rows: evidence
                        .stats
                        .excluded
                        .as_ref()
                        .and_then(|e| e.get(i).copied()),
                })
                .collect(),
        },
        record: record(protocol),
        run: RunInfo {
            as_of: ctx.as_of.to_string(),
            seed: a.seed,
            confidence_level: a.confidence_level,
            alpha: a.alpha,
            correction: a.correction.name().into(),
            power_target: a.power,
            min_cell_size: a.min_cell_size,
            family_size: results.family_size,
            families: results.families,
        },
        summary: summary(judged.iter().map(|(x, _)| x.status)),
        triggers_fired: fired(protocol, &judged),
        attributes: results.attributes,
        comparisons,
        stratified: results.stratified,
        triggers: protocol.triggers.iter().map(trigger_info).collect(),
        sufficient_statistics: evidence.stats.attributes.clone(),
        stratified_statistics: evidence.stats.stratified.clone(),
        pools: crate::pooling::pools(&evidence.stats.attributes, a),
        base_rates: Some(crate::metrics::base_rates::compute(
            &evidence.stats.attributes,
            (a.confidence_level, a.min_cell_size),
            a.governing_criterion,
        )),
        shrunk: crate::metrics::shrinkage::compute(&evidence.stats.attributes, a),
        scores,
        suppression: suppression(a.min_cell_size, ctx.suppress),
        methods: design_methods(methods(a), protocol),
        attestation: Attestation {
            statement:
                "I have reviewed these findings and the actions they call for under 45 CFR 92.210."
                    .into(),
            reviewer: None,
            role: None,
            date: None,
            decision: None,
        },
        trend: None,
        rolling: None,
    };
    if let Some(p) = &ctx.previous {
        artifact.trend = Some(trend::compare(&artifact, &p.artifact, &p.file, &p.sha256));
    }
    let earlier: Vec<&PreviousArtifact> = ctx.previous.iter().chain(&ctx.earlier).collect();
    if !earlier.is_empty() {
        artifact.rolling = rolling::compute(protocol, &artifact, &earlier);
    }
    artifact
}

/// The protocol's record, with each class's coverage: tested by the attributes that serve it
/// (and the crossed attributes built on them), else as the record says, else not recorded.
pub fn record(protocol: &Protocol) -> RecordInfo {
    let r = &protocol.record;
    let coverage = crate::protocol::record::ProtectedClass::ALL
        .into_iter()
        .map(|class| {
            let plain: Vec<usize> = (0..protocol.attributes.len())
                .filter(|&i| protocol.attributes[i].class == Some(class))
                .collect();
            let mut attributes: Vec<String> = plain
                .iter()
                .map(|&i| protocol.attributes[i].name.clone())
                .collect();
            attributes.extend(
                protocol
                    .crossed
                    .iter()
                    .filter(|x| x.attributes.iter().any(|i| plain.contains(i)))
                    .map(|x| x.name.clone()),
            );
            let (status, reason) = match (attributes.is_empty(), r.coverage.get(&class)) {
                (false, _) => ("tested".to_string(), None),
                (true, Some(u)) => (
                    serde_json::to_value(u.status)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default(),
                    Some(u.reason.clone()),
                ),
                (true, None) => ("not_recorded".to_string(), None),
            };
            Coverage {
                class,
                status,
                attributes,
                reason,
            }
        })
        .collect::<Vec<_>>();
    let mut not_recorded = r.not_recorded();
    not_recorded.extend(
        coverage
            .iter()
            .filter(|c| c.status == "not_recorded")
            .map(|c| format!("coverage.{}", c.class.name())),
    );
    RecordInfo {
        tool: r.tool.clone(),
        inputs: r.inputs.clone(),
        inventory: r.inventory.clone(),
        coverage,
        oversight: r.oversight.clone(),
        submission: r.submission.clone(),
        approval: r.approval.clone(),
        not_recorded,
    }
}

/// The score results with each comparison judged by the protocol's triggers.
fn score_section(protocol: &Protocol, r: ScoreResults) -> ScoreSection {
    ScoreSection {
        scale: r.scale,
        scored: r.scored,
        unscored: r.unscored,
        equal_score_bins: r.equal_score_bins,
        attributes: r.attributes,
        operating_points: r.operating_points,
        source: r.source,
        overall_calibration: r.overall_calibration,
        comparisons: r
            .comparisons
            .into_iter()
            .map(|c| ScoreFinding {
                assessment: triggers::assess_score(&c, &protocol.triggers, &protocol.analysis),
                comparison: c,
            })
            .collect(),
    }
}

/// The count of findings by status, and the most serious.
fn summary(statuses: impl Iterator<Item = Status>) -> Summary {
    let statuses: Vec<Status> = statuses.collect();
    let count = |s: Status| statuses.iter().filter(|&&x| x == s).count();
    Summary {
        overall: statuses
            .iter()
            .copied()
            .max()
            .unwrap_or(Status::NotAssessed),
        remediate: count(Status::Remediate),
        monitor: count(Status::Monitor),
        insufficient_data: count(Status::InsufficientData),
        pass: count(Status::Pass),
        not_assessed: count(Status::NotAssessed),
    }
}

/// Every trigger that fired, on which comparison, with its action.
fn fired(protocol: &Protocol, judged: &[(&Assessment, &String)]) -> Vec<Fired> {
    judged
        .iter()
        .flat_map(|(assessment, id)| {
            assessment
                .verdicts
                .iter()
                .filter(|v| v.fired)
                .map(|v| Fired {
                    trigger: v.trigger.clone(),
                    comparison: (*id).clone(),
                    status: v.status,
                    action: protocol
                        .triggers
                        .iter()
                        .find(|t| t.id == v.trigger)
                        .map(|t| t.action.clone())
                        .unwrap_or_default(),
                })
        })
        .collect()
}

fn tool_info(protocol: &Protocol) -> ToolInfo {
    let decision_rule = match (protocol.tool.decision_type, &protocol.columns.decision) {
        (DecisionType::Binary, Some(d)) => format!("column `{d}`"),
        _ => format!(
            "`{}` >= {}",
            protocol.columns.score.as_deref().unwrap_or(""),
            protocol.columns.threshold.unwrap_or(0.5)
        ),
    };
    ToolInfo {
        name: protocol.tool.name.clone(),
        vendor: protocol.tool.vendor.clone(),
        version: protocol.tool.version.clone(),
        intended_use: protocol.tool.intended_use.clone(),
        decision_type: match protocol.tool.decision_type {
            DecisionType::Binary => "binary".into(),
            DecisionType::ScoreThreshold => "score_threshold".into(),
        },
        decision_rule,
    }
}

fn trigger_info(t: &crate::protocol::Trigger) -> TriggerInfo {
    let band = |b: &Option<crate::protocol::Band>| {
        b.map(|b| BandInfo {
            min: b.min,
            max: b.max,
        })
    };
    TriggerInfo {
        id: t.id.clone(),
        metric: t.metric.name().into(),
        attributes: t.attributes.clone(),
        ratio: band(&t.ratio),
        difference: band(&t.difference),
        severity: t.severity.name().into(),
        action: t.action.clone(),
        direction: t.direction.name().into(),
    }
}

fn suppression(min_cell_size: u64, applied: bool) -> Suppression {
    Suppression {
        applied,
        min_cell_size,
        rule: format!(
            "in shared outputs a group is withheld (its counts, rates, intervals, comparisons and detectable differences) when any of its four confusion counts is between 1 and {}; when that leaves one group of an attribute withheld, the smallest other group is withheld too; omnibus details are withheld for an attribute with a withheld group; statuses are kept",
            min_cell_size.saturating_sub(1)
        ),
        applies_to: vec!["report.md".into(), "metrics.csv".into()],
        note: "artifact.json keeps every count so the numbers can be verified; share it only under the data's own agreement".into(),
    }
}

fn methods(a: &crate::protocol::Analysis) -> Methods {
    Methods {
        rate_interval: match a.rate_interval {
            RateInterval::Wilson => "Wilson score",
            RateInterval::ClopperPearson => "Clopper–Pearson (exact, central)",
            RateInterval::Jeffreys => "Jeffreys (Brown, Cai & DasGupta boundary rule)",
        }
        .into(),
        ratio_interval: match a.ratio_interval {
            RatioInterval::Katz => "Katz log; Koopman score where a cell of the 2×2 table is empty",
            RatioInterval::Koopman => "Koopman score",
        }
        .into(),
        difference_interval: match a.difference_interval {
            DifferenceInterval::Newcombe => "Newcombe hybrid score (method 10)",
            DifferenceInterval::AgrestiCaffo => "Agresti–Caffo (one success and one failure added per group)",
        }
        .into(),
        test: "Fisher's exact (two-sided, as scipy) when an expected cell is under 5, else the pooled two-proportion z-test".into(),
        omnibus: "Pearson chi-square on the k×2 table of groups (no continuity correction); for ordered attributes also the Cochran–Armitage trend test".into(),
        correction: if a.legacy_rules {
            format!("{} across all comparisons of the run", a.correction.name())
        } else {
            format!("{} within each attribute × metric a remediate trigger judges (every group the protocol defines a member; a missing p counts as 1); comparisons only monitor triggers judge are not adjusted; a pass is per comparison, its two one-sided tests an intersection–union test, not corrected across groups", a.correction.name())
        },
        power: if a.legacy_rules {
            "normal approximation, pooled null and unpooled alternative variance (Fleiss, Levin & Paik 2003), at alpha divided by the number of comparisons".into()
        } else {
            "normal approximation, pooled null and unpooled alternative variance (Fleiss, Levin & Paik 2003), at alpha divided by the size of the comparison's correction family (alpha outside a family); for planning only".into()
        },
    }
}

/// The design the comparisons account for, from the protocol and the first attribute's strata.
fn design_info(
    protocol: &Protocol,
    stats: &crate::suffstats::SufficientStats,
) -> Option<crate::artifact::DesignInfo> {
    let cluster = protocol.columns.cluster.clone()?;
    let strata = &stats.attributes.first()?.design.as_ref()?.strata;
    Some(crate::artifact::DesignInfo {
        cluster_column: cluster,
        strata_column: protocol.columns.strata.clone(),
        clusters: strata.iter().map(|s| s.clusters).sum(),
        strata: strata.len() as u64,
        weighted: protocol.columns.weight.is_some(),
    })
}

/// Under a design (`columns.cluster`) the comparisons take these methods, whatever the protocol's
/// interval choices.
fn design_methods(mut m: Methods, protocol: &Protocol) -> Methods {
    if protocol.columns.cluster.is_some() {
        m.ratio_interval = "Koopman's score interval on the design's effective counts (cases over the design effect, Korn–Graubard degrees-of-freedom factor)".into();
        m.difference_interval =
            "Newcombe's hybrid score interval on the design's effective counts".into();
        m.test = "pooled two-proportion z-test on the design's effective counts".into();
    }
    m
}
