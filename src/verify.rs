//! `s1557 verify`: check a submitted artifact by recomputing it. The artifact's own sufficient
//! statistics (or the data file it names, when given) go through the same assembly as `run`;
//! every estimate, interval, test, adjusted p, detectable difference, status, trigger fired and
//! the summary must equal what the artifact states (numbers to 1e-12 relative). Each mismatch is
//! named by its path, with the stated and the recomputed value.

use serde_json::Value;

use crate::artifact::{Artifact, RunContext};
use crate::assemble;
use crate::metrics::scores::ScoreResults;
use crate::protocol::Protocol;
use crate::suffstats::{Evidence, Source, SufficientStats};
use crate::triggers::Status;

/// Relative tolerance for numbers: what the artifact states and what is recomputed may differ by
/// the last bits of a double, no more.
pub const TOLERANCE: f64 = 1e-12;

/// One difference between the artifact and its recomputation.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    /// Where, e.g. `comparisons[race/Asian/tpr].test.p_value`.
    pub path: String,
    pub stated: String,
    pub recomputed: String,
}

/// The outcome of a verification.
#[derive(Debug, Clone, Default)]
pub struct Verification {
    pub mismatches: Vec<Mismatch>,
    /// What was taken as stated rather than recomputed, and other facts the reader should know.
    pub notes: Vec<String>,
}

/// The evidence an artifact carries: its source block and its sufficient statistics.
pub fn evidence_of(a: &Artifact) -> Evidence {
    Evidence {
        source: Source {
            file: a.data.file.clone(),
            sha256: a.data.sha256.clone(),
            format: a.data.format.clone(),
            input: a.data.input.clone(),
        },
        stats: SufficientStats {
            cases: a.data.cases,
            attributes: a.sufficient_statistics.clone(),
            stratified: a.stratified_statistics.clone(),
            scores: None,
            excluded: (!a.data.excluded.is_empty())
                .then(|| a.data.excluded.iter().map(|e| e.rows).collect())
                .flatten(),
        },
    }
}

/// The score results an artifact states, as the assembly takes them.
fn stated_scores(a: &Artifact) -> Option<ScoreResults> {
    a.scores.as_ref().map(|s| ScoreResults {
        scale: s.scale.clone(),
        scored: s.scored,
        unscored: s.unscored,
        equal_score_bins: s.equal_score_bins.clone(),
        attributes: s.attributes.clone(),
        operating_points: s.operating_points.clone(),
        // Ids are derived from the names (an artifact of schema 1.1.0 wrote them unescaped).
        comparisons: s
            .comparisons
            .iter()
            .map(|f| {
                let mut c = f.comparison.clone();
                c.id = crate::metrics::comparison_id(&c.attribute, &c.group, c.metric.name());
                c
            })
            .collect(),
        source: s.source.clone(),
        overall_calibration: s.overall_calibration.clone(),
    })
}

fn mismatch(path: &str, stated: impl ToString, recomputed: impl ToString) -> Mismatch {
    Mismatch {
        path: path.to_string(),
        stated: stated.to_string(),
        recomputed: recomputed.to_string(),
    }
}

/// Verify `stated` (its JSON exactly as written: `json`) under `protocol`. With `data`, the
/// evidence is recomputed from the data file (whose SHA-256 must match); without it, from the
/// artifact's own sufficient statistics, the score estimates taken as stated.
pub fn verify(
    stated: &Artifact,
    json: &Value,
    protocol: &Protocol,
    data: Option<Evidence>,
    (previous, earlier): (
        Option<crate::artifact::PreviousArtifact>,
        Vec<crate::artifact::PreviousArtifact>,
    ),
) -> Verification {
    let mut out = Verification::default();
    if protocol.sha256 != stated.protocol.sha256 {
        out.mismatches.push(mismatch(
            "protocol.sha256",
            &stated.protocol.sha256,
            format!("{} (the protocol given)", protocol.sha256),
        ));
    }
    if let Some(text) = &stated.protocol.text {
        let h = crate::protocol::sha256_hex(text.as_bytes());
        if h != stated.protocol.sha256 {
            out.mismatches.push(mismatch(
                "protocol.text",
                format!("text hashing to {h}"),
                format!("text hashing to {}", stated.protocol.sha256),
            ));
        }
    }
    out.mismatches.extend(consistency(stated));
    out.mismatches.extend(design_consistency(stated));
    let provenance = if data.is_some() {
        "the data period, run.as_of, suppression.applied and the attestation"
    } else {
        "the data block (file, SHA-256, format, input, period), run.as_of, suppression.applied and the attestation"
    };
    out.notes.push(format!(
        "taken as stated, being provenance rather than results: {provenance}"
    ));
    out.mismatches.extend(summary_of_stated(stated));
    let Ok(as_of) = chrono::NaiveDate::parse_from_str(&stated.run.as_of, "%Y-%m-%d") else {
        out.mismatches.push(mismatch(
            "run.as_of",
            &stated.run.as_of,
            "a date, YYYY-MM-DD",
        ));
        return out;
    };
    let ctx = RunContext {
        as_of,
        suppress: stated.suppression.applied,
        previous: None,
        earlier,
    };
    let given_previous = previous.is_some();
    let ctx = RunContext { previous, ..ctx };
    if let (Some(t), Some(p)) = (&stated.trend, &ctx.previous) {
        if t.previous.sha256 != p.sha256 {
            out.mismatches.push(mismatch(
                "trend.previous.sha256",
                &t.previous.sha256,
                format!("{} (the previous artifact given)", p.sha256),
            ));
        }
    }
    // Schema 1.1.0 judged every band on both sides: recompute it under that rule.
    let legacy = stated.schema_version == "1.1.0";
    if legacy {
        // A protocol with keys 1.1.0 could not read cannot have made a 1.1.0 artifact.
        let newer = protocol.text.lines().map(str::trim_start).find(|l| {
            l.starts_with("direction") || l.starts_with("[record") || l.starts_with("[[record")
        });
        if let Some(line) = newer {
            out.mismatches.push(mismatch(
                "schema_version",
                "1.1.0",
                format!("1.2.0 or later: the protocol has `{line}`, which schema 1.1.0's s1557 could not read"),
            ));
        }
        out.notes
            .push("verified under schema 1.1.0's rule: every band judged on both sides".into());
    }
    // Schemas before 1.4.0 corrected the run as one family and let power veto the interval.
    let old_rules = ["1.1.0", "1.2.0", "1.3.0"].contains(&stated.schema_version.as_str());
    if old_rules {
        out.notes.push(format!(
            "verified under schema {}'s status rules: one correction family for the run, and power at the band's edge judged before the interval (1.4.0 lets the interval decide)",
            stated.schema_version
        ));
    }
    // The run's period (`run --period`) orders the pooled quarters: recompute under it.
    let mut p = protocol.clone();
    let date = |d: &Option<String>| {
        d.as_deref()
            .and_then(|s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
    };
    p.data.period_start = date(&stated.data.period_start).or(p.data.period_start);
    p.data.period_end = date(&stated.data.period_end).or(p.data.period_end);
    if legacy {
        for t in &mut p.triggers {
            t.direction = crate::protocol::Direction::Both;
        }
    }
    p.analysis.legacy_rules = old_rules;
    if p.columns.cluster.is_some() != stated.data.design.is_some() {
        out.mismatches.push(mismatch(
            "data.design",
            if stated.data.design.is_some() {
                "present"
            } else {
                "absent"
            },
            "the protocol's `columns.cluster` says otherwise",
        ));
    }
    let protocol = &p;
    let mut recomputed = match data {
        Some(ev) => {
            if ev.source.sha256 != stated.data.sha256 {
                out.mismatches.push(mismatch(
                    "data.sha256",
                    &stated.data.sha256,
                    format!("{} (the data given)", ev.source.sha256),
                ));
            }
            assemble::assemble(protocol, &ev, &ctx)
        }
        None => {
            if stated.scores.is_some() {
                out.notes.push("score estimates (discrimination, calibration, operating points) and scores.source are taken as stated: the artifact does not carry the scores; their adjusted p-values, detectable differences and statuses are recomputed. Pass --data with the data file to recompute them too".into());
            }
            let ev = evidence_of(stated);
            assemble::assemble_with_scores(protocol, &ev, stated_scores(stated), &ctx)
        }
    };
    // Provenance the recomputation cannot know: taken from the artifact.
    if recomputed.generator != stated.generator {
        out.notes.push(format!(
            "written by {} {}, recomputed by {} {}",
            stated.generator.name,
            stated.generator.version,
            recomputed.generator.name,
            recomputed.generator.version
        ));
    }
    recomputed.generator = stated.generator.clone();
    // A different protocol hash is reported above, with which protocol was given.
    recomputed.protocol.sha256 = stated.protocol.sha256.clone();
    recomputed.protocol.file = stated.protocol.file.clone();
    recomputed.data.file = stated.data.file.clone();
    // The period is the run's (`run --period`), not a result.
    recomputed.data.period_start = stated.data.period_start.clone();
    recomputed.data.period_end = stated.data.period_end.clone();
    // A different data hash is reported above, with which data was given.
    recomputed.data.sha256 = stated.data.sha256.clone();
    // File names are provenance (as the trend's): the hashes bind the quarters.
    if let (Some(r), Some(st)) = (recomputed.rolling.as_mut(), stated.rolling.as_ref()) {
        for (q, sq) in r.quarters.iter_mut().zip(&st.quarters) {
            q.file = sq.file.clone();
        }
        for (l, sl) in r.left_out.iter_mut().zip(&st.left_out) {
            l.file = sl.file.clone();
        }
    }
    // The pooled quarters' last is this run, whose data block is provenance too.
    if let Some(q) = recomputed
        .rolling
        .as_mut()
        .and_then(|r| r.quarters.last_mut())
    {
        q.file = stated.data.file.clone();
        q.period_start = stated.data.period_start.clone();
        q.period_end = stated.data.period_end.clone();
        q.data_sha256 = stated.data.sha256.clone();
    }
    recomputed.attestation = stated.attestation.clone();
    match (&stated.trend, given_previous) {
        (Some(t), false) => {
            out.notes.push("the trend's earlier side is taken as stated (its current side is checked against the findings): pass --previous with the earlier artifact to recompute it".into());
            out.mismatches.extend(trend_consistency(t, stated));
            recomputed.trend = stated.trend.clone();
        }
        (Some(t), true) => {
            // Named above when they differ; the file name is provenance.
            if let Some(r) = recomputed.trend.as_mut() {
                r.previous.sha256 = t.previous.sha256.clone();
                r.previous.file = t.previous.file.clone();
            }
        }
        _ => {}
    }
    if stated.rolling.is_some() && !given_previous {
        out.notes.push("the pooled quarters are taken as stated: pass every --previous artifact they pooled to recompute them".into());
        recomputed.rolling = stated.rolling.clone();
    }
    if stated.schema_version != recomputed.schema_version {
        recomputed.schema_version = stated.schema_version.clone();
        recomputed.protocol.text = stated.protocol.text.clone();
        // Pools came with schema 1.3.0.
        if ["1.1.0", "1.2.0"].contains(&stated.schema_version.as_str()) {
            recomputed.pools.clear();
        }
        // Base rates, the pooled quarters and the need among the selected came with 1.5.0; the
        // design (`columns.cluster`) with 1.6.0, and only a protocol that names one has it.
        if stated.schema_version != "1.5.0" {
            clear_1_5_parts(&mut recomputed);
        }
        // The composite gaps' simultaneous intervals came with 1.6.0.
        recomputed
            .attributes
            .iter_mut()
            .flat_map(|x| x.composite.iter_mut())
            .for_each(|g| g.simultaneous = None);
    }
    let fresh = serde_json::to_value(&recomputed).unwrap_or(Value::Null);
    let mut found = Vec::new();
    if legacy {
        let mut fresh = fresh;
        without_1_2_fields(&mut fresh);
        diff("", &modern_ids(json), &fresh, &mut found);
    } else {
        diff("", json, &fresh, &mut found);
    }
    // A place already named by the checks above is not named twice.
    found.retain(|m| !out.mismatches.iter().any(|x| x.path == m.path));
    out.mismatches.extend(found);
    out
}

/// The counts against each other: every attribute (plain or crossed) holds the same cases in
/// the same four cells, and each stratified table adds up to its attribute's groups.
fn consistency(a: &Artifact) -> Vec<Mismatch> {
    let mut out = Vec::new();
    let total = |groups: &mut dyn Iterator<Item = &crate::suffstats::Confusion>| {
        groups.fold([0u64; 4], |mut t, c| {
            for (x, y) in t.iter_mut().zip(c.cells()) {
                *x += y;
            }
            t
        })
    };
    let mut first: Option<[u64; 4]> = None;
    for s in &a.sufficient_statistics {
        let t = total(&mut s.groups.iter().map(|g| &g.counts));
        let n: u64 = t.iter().sum();
        if n != a.data.cases {
            out.push(mismatch(
                &format!("sufficient_statistics[{}]", s.attribute),
                format!("{n} cases"),
                format!("{} cases (data.cases)", a.data.cases),
            ));
        } else if first.is_some_and(|f| f != t) {
            out.push(mismatch(
                &format!("sufficient_statistics[{}]", s.attribute),
                format!("tp, fp, fn, tn totals {t:?}"),
                format!("{:?} (the first attribute's)", first.unwrap_or_default()),
            ));
        }
        first.get_or_insert(t);
    }
    for x in &a.stratified_statistics {
        let Some(attr) = a
            .sufficient_statistics
            .iter()
            .find(|s| s.attribute == x.attribute)
        else {
            continue;
        };
        for g in &attr.groups {
            let t = total(
                &mut x
                    .cells
                    .iter()
                    .filter(|c| c.group == g.group)
                    .map(|c| &c.counts),
            );
            if t != g.counts.cells() {
                out.push(mismatch(
                    &format!(
                        "stratified_statistics[{} by {}][{}]",
                        x.attribute, x.by, g.group
                    ),
                    format!("{t:?} over the strata"),
                    format!("{:?} (the group's counts)", g.counts.cells()),
                ));
            }
        }
    }
    out
}

/// A recomputed artifact without what schema 1.2.0 added (the record, each trigger's direction,
/// each finding's harm, the protocol text, the score source), to compare with one of 1.1.0.
fn without_1_2_fields(v: &mut Value) {
    if let Some(o) = v.as_object_mut() {
        o.remove("record");
    }
    if let Some(p) = v.get_mut("protocol").and_then(Value::as_object_mut) {
        p.remove("text");
    }
    for t in v
        .get_mut("triggers")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        if let Some(o) = t.as_object_mut() {
            o.remove("direction");
        }
    }
    let strip_harm = |list: Option<&mut Value>| {
        for c in list.and_then(Value::as_array_mut).into_iter().flatten() {
            if let Some(a) = c.get_mut("assessment").and_then(Value::as_object_mut) {
                a.remove("harm");
            }
        }
    };
    strip_harm(v.get_mut("comparisons"));
    strip_harm(v.get_mut("scores").and_then(|s| s.get_mut("comparisons")));
    if let Some(s) = v.get_mut("scores").and_then(Value::as_object_mut) {
        s.remove("source");
    }
}

/// Ids as this build writes them (`/` and `%` escaped within each part), for an artifact of
/// schema 1.1.0, which wrote the parts as they are.
fn modern_ids(json: &Value) -> Value {
    let mut v = json.clone();
    let mut renamed = std::collections::BTreeMap::new();
    let mut fix = |list: Option<&mut Value>| {
        for c in list.and_then(Value::as_array_mut).into_iter().flatten() {
            let part = |k: &str| {
                c.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            let id =
                crate::metrics::comparison_id(&part("attribute"), &part("group"), &part("metric"));
            if let Some(old) = c.get("id").and_then(Value::as_str) {
                renamed.insert(old.to_string(), id.clone());
            }
            c["id"] = Value::from(id);
        }
    };
    fix(v.get_mut("comparisons"));
    fix(v.get_mut("scores").and_then(|s| s.get_mut("comparisons")));
    for f in v
        .get_mut("triggers_fired")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        if let Some(new) = f
            .get("comparison")
            .and_then(Value::as_str)
            .and_then(|c| renamed.get(c))
        {
            f["comparison"] = Value::from(new.clone());
        }
    }
    v
}

/// The trend's current side against the artifact's findings: every finding is in the trend or
/// named new, with the status and difference the findings state.
fn trend_consistency(t: &crate::artifact::trend::Trend, a: &Artifact) -> Vec<Mismatch> {
    let mut out = Vec::new();
    for f in &a.comparisons {
        let id = &f.comparison.id;
        match t.findings.iter().find(|x| &x.id == id) {
            Some(x) => {
                if x.status != f.assessment.status {
                    out.push(mismatch(
                        &format!("trend.findings[{id}].status"),
                        x.status.name(),
                        f.assessment.status.name(),
                    ));
                }
                let agree = match (x.difference, f.comparison.difference.value()) {
                    (Some(u), Some(v)) => {
                        u == v || (u - v).abs() <= TOLERANCE * u.abs().max(v.abs())
                    }
                    (u, v) => u.is_none() && v.is_none(),
                };
                if !agree {
                    out.push(mismatch(
                        &format!("trend.findings[{id}].difference"),
                        format!("{:?}", x.difference),
                        format!("{:?}", f.comparison.difference.value()),
                    ));
                }
            }
            None if !t.new_findings.contains(id) => out.push(mismatch(
                &format!("trend.findings[{id}]"),
                "(missing)",
                "a finding of the artifact",
            )),
            None => {}
        }
    }
    for x in &t.findings {
        if !a.comparisons.iter().any(|f| f.comparison.id == x.id) {
            out.push(mismatch(
                &format!("trend.findings[{}]", x.id),
                "present",
                "(no such finding in the artifact)",
            ));
        }
    }
    out
}

/// The stated summary against the stated findings (an artifact edited in one place only).
fn summary_of_stated(a: &Artifact) -> Vec<Mismatch> {
    let statuses: Vec<Status> = a
        .comparisons
        .iter()
        .map(|f| f.assessment.status)
        .chain(
            a.scores
                .iter()
                .flat_map(|s| s.comparisons.iter().map(|f| f.assessment.status)),
        )
        .collect();
    let count = |s: Status| statuses.iter().filter(|&&x| x == s).count();
    let s = &a.summary;
    [
        ("remediate", s.remediate, count(Status::Remediate)),
        ("monitor", s.monitor, count(Status::Monitor)),
        (
            "insufficient_data",
            s.insufficient_data,
            count(Status::InsufficientData),
        ),
        ("pass", s.pass, count(Status::Pass)),
        ("not_assessed", s.not_assessed, count(Status::NotAssessed)),
    ]
    .into_iter()
    .filter(|(_, stated, found)| stated != found)
    .map(|(name, stated, found)| {
        mismatch(
            &format!("summary.{name}"),
            stated,
            format!("{found} (the artifact's own findings)"),
        )
    })
    .collect()
}

/// How an element of an array is named in a path: its `id`, else the values of the fields that
/// identify it (attribute, group, stratum, metric, rule, value, trigger, comparison), else its
/// index.
fn label(v: &Value, index: usize) -> String {
    if let Some(id) = v.get("id").and_then(Value::as_str) {
        return id.to_string();
    }
    let parts: Vec<String> = [
        "attribute",
        "group",
        "stratum",
        "metric",
        "rule",
        "value",
        "trigger",
        "comparison",
        "analysis",
    ]
    .iter()
    .filter_map(|k| match v.get(*k) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
    .collect();
    if parts.is_empty() {
        index.to_string()
    } else {
        parts.join(" · ")
    }
}

fn numbers_agree(a: &serde_json::Number, b: &serde_json::Number) -> bool {
    match (a.as_u64(), b.as_u64()) {
        (Some(x), Some(y)) => x == y,
        _ => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => x == y || (x - y).abs() <= TOLERANCE * x.abs().max(y.abs()),
            _ => false,
        },
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 120 {
        format!("{}…", s.chars().take(120).collect::<String>())
    } else {
        s
    }
}

/// Compare `stated` with `fresh`, naming every difference by its path.
fn diff(path: &str, stated: &Value, fresh: &Value, out: &mut Vec<Mismatch>) {
    let at = |k: &str| {
        if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        }
    };
    match (stated, fresh) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, va) in a {
                match b.get(k) {
                    Some(vb) => diff(&at(k), va, vb, out),
                    None => out.push(mismatch(
                        &at(k),
                        short(va),
                        "(not in a recomputed artifact)",
                    )),
                }
            }
            for (k, vb) in b {
                if !a.contains_key(k) {
                    out.push(mismatch(&at(k), "(missing)", short(vb)));
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            let la: Vec<String> = a.iter().enumerate().map(|(i, v)| label(v, i)).collect();
            let lb: Vec<String> = b.iter().enumerate().map(|(i, v)| label(v, i)).collect();
            let unique = |l: &[String]| {
                let mut s = l.to_vec();
                s.sort();
                s.dedup();
                s.len() == l.len()
            };
            if !(unique(&la) && unique(&lb)) {
                // No stable names: compare by position.
                for (i, (x, y)) in a.iter().zip(b).enumerate() {
                    diff(&format!("{path}[{i}]"), x, y, out);
                }
                if a.len() != b.len() {
                    out.push(mismatch(
                        path,
                        format!("{} entries", a.len()),
                        format!("{} entries", b.len()),
                    ));
                }
                return;
            }
            for (x, l) in a.iter().zip(&la) {
                let p = format!("{path}[{l}]");
                match lb.iter().position(|m| m == l) {
                    Some(j) => diff(&p, x, &b[j], out),
                    None => out.push(mismatch(&p, "present", "(not in the recomputed artifact)")),
                }
            }
            for l in &lb {
                if !la.contains(l) {
                    out.push(mismatch(&format!("{path}[{l}]"), "(missing)", "present"));
                }
            }
        }
        (Value::Number(x), Value::Number(y)) if numbers_agree(x, y) => {}
        (x, y) if x == y => {}
        (x, y) => out.push(mismatch(path, short(x), short(y))),
    }
}

/// The parts that came with schema 1.5.0, cleared for an artifact of an earlier schema.
fn clear_1_5_parts(a: &mut Artifact) {
    a.base_rates = None;
    a.shrunk.clear();
    a.rolling = None;
    if let Some(sc) = a.scores.as_mut() {
        sc.overall_calibration = None;
        for c in sc
            .attributes
            .iter_mut()
            .flat_map(|x| x.groups.iter_mut())
            .filter_map(|g| g.calibration.as_mut())
        {
            c.integrated_calibration_index = None;
            c.versus_reference = None;
        }
        for g in sc
            .operating_points
            .iter_mut()
            .flat_map(|op| op.attributes.iter_mut())
            .flat_map(|x| x.groups.iter_mut())
        {
            g.need_among_selected = None;
            g.need_among_selected_difference = None;
            g.need_among_selected_p = None;
        }
    }
}

/// The design moments against the artifact: present for every attribute exactly when the data
/// names a design, the same strata everywhere with the stated clusters, stratum indices in range,
/// and (unweighted) each group's cluster totals adding up to its counts.
fn design_consistency(a: &Artifact) -> Vec<Mismatch> {
    let mut out = Vec::new();
    for s in &a.sufficient_statistics {
        let path = format!("sufficient_statistics[{}].design", s.attribute);
        let (info, d) = match (&a.data.design, &s.design) {
            (None, None) => continue,
            (Some(i), Some(d)) => (i, d),
            (i, _) => {
                let absent = if i.is_some() { "absent" } else { "present" };
                out.push(mismatch(&path, absent, "as data.design says"));
                continue;
            }
        };
        let clusters: u64 = d.strata.iter().map(|x| x.clusters).sum();
        if clusters != info.clusters || d.strata.len() as u64 != info.strata {
            out.push(mismatch(
                &path,
                format!("{clusters} clusters in {} strata", d.strata.len()),
                format!("{} in {} (data.design)", info.clusters, info.strata),
            ));
        }
        for g in &d.groups {
            if g.strata.iter().any(|m| m.stratum >= d.strata.len()) {
                out.push(mismatch(
                    &format!("{path}[{}]", g.group),
                    "a stratum out of range",
                    "one of the strata",
                ));
            }
            let counts = s
                .groups
                .iter()
                .find(|c| c.group == g.group)
                .map(|c| c.counts.cells());
            let mut sum = [0.0; 4];
            for m in &g.strata {
                for (x, y) in sum.iter_mut().zip(m.sum) {
                    *x += y;
                }
            }
            if !info.weighted && counts.map(|c| c.map(|x| x as f64)) != Some(sum) {
                out.push(mismatch(
                    &format!("{path}[{}].sum", g.group),
                    format!("{sum:?}"),
                    format!("{counts:?} (the group's counts)"),
                ));
            }
        }
    }
    out
}
