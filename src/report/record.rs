//! The report's record section: the tool's facts, the inventory of its inputs, the coverage of
//! the six classes of Section 1557, the oversight and the approval, each part the protocol leaves
//! empty shown as "not recorded".

use std::fmt::Write;

use crate::artifact::{Artifact, RecordInfo};

const NOT_RECORDED: &str = "*not recorded*";

/// A value fit for one table cell: pipes escaped, line breaks as spaces.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn or_not(v: &Option<String>) -> String {
    v.as_deref().map_or(NOT_RECORDED.to_string(), cell)
}

fn list(v: &Option<Vec<String>>) -> String {
    match v {
        Some(items) if !items.is_empty() => cell(&items.join("; ")),
        _ => NOT_RECORDED.to_string(),
    }
}

/// The facts and oversight as one two-column table.
fn facts(o: &mut String, r: &RecordInfo) {
    let t = &r.tool;
    let submitted = r.submission.submitted_by.map(|s| {
        serde_json::to_value(s)
            .ok()
            .and_then(|v| v.as_str().map(|x| x.replace('_', " ")))
            .unwrap_or_default()
    });
    let rows: [(&str, String); 20] = [
        ("developer", or_not(&t.developer)),
        ("contact", or_not(&t.contact)),
        ("regulatory status", or_not(&t.regulatory_status)),
        ("deployed since", or_not(&t.deployed_since)),
        ("decision it informs", or_not(&t.decision_informed)),
        ("who acts on it", or_not(&t.acted_on_by)),
        ("intended population", or_not(&t.intended_population)),
        ("intended users", or_not(&t.intended_users)),
        ("out-of-scope uses", list(&t.out_of_scope_uses)),
        ("known limitations", list(&t.known_limitations)),
        ("local customisation", or_not(&t.local_customisation)),
        ("human checkpoint", or_not(&r.oversight.checkpoint)),
        ("overrides recorded", or_not(&r.oversight.override_record)),
        ("owner", or_not(&r.oversight.owner)),
        ("test cadence", or_not(&r.oversight.cadence)),
        ("next test due", or_not(&r.oversight.next_test_due)),
        ("submitted by", or_not(&submitted)),
        (
            "data described by the submitter",
            or_not(&r.submission.data_description),
        ),
        ("protocol approved by", or_not(&r.approval.approved_by)),
        ("protocol approved on", or_not(&r.approval.approved_on)),
    ];
    o.push_str("| | |\n|---|---|\n");
    for (k, v) in rows {
        let _ = writeln!(o, "| {k} | {v} |");
    }
    o.push('\n');
}

/// The inputs that measure a protected class or stand in for one, and when they were reviewed.
fn inventory(o: &mut String, r: &RecordInfo) {
    let _ = writeln!(
        o,
        "Inputs that measure a protected class or stand in for one (92.210(b)); inventory reviewed {}, next review {}.\n",
        or_not(&r.inventory.reviewed_on),
        or_not(&r.inventory.next_review)
    );
    if r.inputs.is_empty() {
        let _ = writeln!(o, "{NOT_RECORDED}\n");
        return;
    }
    o.push_str(
        "| input | class | measures or stands in | learned from | on |\n|---|---|---|---|---|\n",
    );
    for i in &r.inputs {
        let from = serde_json::to_value(i.learned_from)
            .ok()
            .and_then(|v| v.as_str().map(|x| x.replace('_', " ")))
            .unwrap_or_default();
        let _ = writeln!(
            o,
            "| {} | {} | {} | {from} | {} |",
            cell(&i.name),
            i.class.name().replace('_', " "),
            if i.proxy { "a proxy" } else { "measures it" },
            i.learned_on
        );
    }
    o.push('\n');
}

/// Which of the six classes were tested, with which attributes, or why not.
fn coverage(o: &mut String, r: &RecordInfo) {
    o.push_str("| class | tested? | attributes or reason |\n|---|---|---|\n");
    for c in &r.coverage {
        let detail = match (c.attributes.is_empty(), &c.reason) {
            (false, _) => c.attributes.join(", "),
            (true, Some(why)) => cell(why),
            (true, None) => NOT_RECORDED.to_string(),
        };
        let _ = writeln!(
            o,
            "| {} | {} | {detail} |",
            c.class.name().replace('_', " "),
            c.status.replace('_', " ")
        );
    }
    o.push('\n');
}

/// The record section of report.md.
pub(super) fn section(o: &mut String, a: &Artifact) {
    let r = &a.record;
    o.push_str("## The tool and its oversight (45 CFR 92.210)\n\n");
    facts(o, r);
    inventory(o, r);
    o.push_str("Protected classes of Section 1557 and this test:\n\n");
    coverage(o, r);
    if !r.not_recorded.is_empty() {
        let _ = writeln!(
            o,
            "Not recorded in the protocol: {}.\n",
            r.not_recorded
                .iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
}
