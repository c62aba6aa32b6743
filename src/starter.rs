//! `s1557 init`: a starter protocol from a data file's columns and values. It guesses each
//! column's role and each code's category, lists the values it found, and marks with `EDIT` what
//! a person must decide; a guess it cannot make is written as `"EDIT ME"`, which `validate`
//! rejects until someone chooses.

use std::fmt::Write;

use crate::data::scan::ColumnProfile;
use crate::protocol::{DEFAULT_NEGATIVE, DEFAULT_POSITIVE};

const EDIT_ME: &str = "EDIT ME";

fn q(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The words of a column name, split at separators and at camel case (`HeartDisease` →
/// `heart`, `disease`; `AgeCategory` → `age`, `category`).
fn tokens(name: &str) -> Vec<String> {
    let mut spaced = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if c.is_ascii_uppercase() && prev_lower {
            spaced.push(' ');
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        spaced.push(c);
    }
    spaced
        .to_ascii_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

fn is_binary(p: &ColumnProfile) -> bool {
    let vals: Vec<&str> = p.top.iter().filter_map(|(v, _)| v.as_deref()).collect();
    !vals.is_empty()
        && p.distinct <= 3
        && vals.iter().all(|v| {
            DEFAULT_POSITIVE
                .iter()
                .chain(DEFAULT_NEGATIVE.iter())
                .any(|k| k.eq_ignore_ascii_case(v))
        })
}

fn is_probability(p: &ColumnProfile) -> bool {
    matches!(p.numeric_range, Some((lo, hi)) if lo >= 0.0 && hi <= 1.0) && p.distinct > 3
}

#[derive(Clone, Copy, PartialEq)]
enum Role {
    Race,
    Ethnicity,
    Sex,
    Age,
    /// Age written as text bands (`18-24`, `80 or older`, `[0-10)`).
    AgeBands,
    Disability,
    Decision,
    Score,
    Outcome,
}

fn guess_role(p: &ColumnProfile) -> Option<Role> {
    let t = tokens(&p.name);
    let has = |w: &[&str]| t.iter().any(|x| w.iter().any(|k| x.starts_with(k)));
    if has(&["race"]) {
        return Some(Role::Race);
    }
    if has(&["ethnic", "hispanic"]) {
        return Some(Role::Ethnicity);
    }
    if has(&["sex", "gender"]) {
        return Some(Role::Sex);
    }
    if t.iter().any(|x| x == "age" || x.starts_with("ridage")) {
        if p.numeric_range.is_some() {
            return Some(Role::Age);
        }
        // Text bands: every value seen (not only the most frequent), and few enough to be groups.
        if p.distinct <= p.top.len() && p.distinct <= 30 {
            return Some(Role::AgeBands);
        }
    }
    // The disability questions of the ACS and BRFSS: difficulty walking, hearing, seeing, …
    let difficulty = t.iter().any(|x| x == "diff" || x.starts_with("difficult"))
        && has(&[
            "walk", "hear", "see", "vision", "remember", "cogn", "dress", "errand", "amb",
        ]);
    let sensory = t
        .iter()
        .any(|x| ["deaf", "deafness", "blind", "blindness"].contains(&x.as_str()));
    if has(&["disab"]) || sensory || difficulty {
        return Some(Role::Disability);
    }
    if has(&["score", "prob", "risk", "pred"]) && is_probability(p) {
        return Some(Role::Score);
    }
    if has(&[
        "flag", "decision", "alert", "selected", "enrolled", "referred",
    ]) && is_binary(p)
    {
        return Some(Role::Decision);
    }
    if has(&[
        "outcome", "label", "target", "actual", "event", "readmit", "died", "death", "disease",
        "diagnos",
    ]) && is_binary(p)
    {
        return Some(Role::Outcome);
    }
    None
}

fn guess_category(role: Role, v: &str) -> Option<&'static str> {
    let l = v.trim().to_ascii_lowercase();
    let any = |w: &[&str]| w.contains(&l.as_str());
    let unknown = [
        "unknown",
        "unk",
        "u",
        "declined",
        "refused",
        "not reported",
        "missing",
        "?",
        "unknown/invalid",
    ];
    if any(&unknown) {
        return Some("Unknown");
    }
    match role {
        Role::Race => Some(match () {
            _ if any(&["w", "white", "caucasian"]) => "White",
            _ if any(&[
                "b",
                "black",
                "african american",
                "african-american",
                "black or african american",
            ]) =>
            {
                "Black or African American"
            }
            _ if any(&["a", "asian"]) => "Asian",
            _ if any(&[
                "i",
                "aian",
                "american indian",
                "native american",
                "american indian or alaska native",
            ]) =>
            {
                "American Indian or Alaska Native"
            }
            _ if any(&[
                "p",
                "nhpi",
                "pacific islander",
                "native hawaiian",
                "native hawaiian or other pacific islander",
            ]) =>
            {
                "Native Hawaiian or Other Pacific Islander"
            }
            _ if any(&[
                "m",
                "multi",
                "multiracial",
                "two or more",
                "more than one race",
            ]) =>
            {
                "More than one race"
            }
            _ if any(&["h", "hispanic", "latino", "hispanic or latino"]) => "Hispanic or Latino",
            _ if any(&["mena", "middle eastern", "middle eastern or north african"]) => {
                "Middle Eastern or North African"
            }
            _ => return None,
        }),
        Role::Ethnicity => Some(match () {
            _ if any(&[
                "h",
                "y",
                "yes",
                "1",
                "hispanic",
                "latino",
                "hispanic or latino",
            ]) =>
            {
                "Hispanic or Latino"
            }
            _ if any(&[
                "n",
                "no",
                "0",
                "non-hispanic",
                "not hispanic",
                "not hispanic or latino",
            ]) =>
            {
                "Not Hispanic or Latino"
            }
            _ => return None,
        }),
        Role::Sex => Some(match () {
            _ if any(&["f", "female", "woman", "women"]) => "Female",
            _ if any(&["m", "male", "man", "men"]) => "Male",
            _ if any(&["o", "other", "x"]) => "Other",
            _ => return None,
        }),
        Role::Disability => Some(match () {
            _ if any(&["y", "yes", "1", "true", "disability", "disabled"]) => "Disability",
            _ if any(&["n", "no", "0", "false", "none", "no disability"]) => "No disability",
            _ => return None,
        }),
        _ => None,
    }
}

fn values_comment(p: &ColumnProfile) -> String {
    if let (Some((lo, hi)), true) = (p.numeric_range, p.distinct > 12) {
        return format!(
            "# values found in `{}`: numbers from {lo} to {hi}, {} distinct\n",
            p.name, p.distinct
        );
    }
    let shown: Vec<String> = p
        .top
        .iter()
        .map(|(v, n)| format!("{} ({n})", v.as_deref().map_or("<missing>".to_string(), q)))
        .collect();
    let more = if p.distinct > p.top.len() {
        format!(", … {} distinct in all", p.distinct)
    } else {
        String::new()
    };
    format!(
        "# values found in `{}`: {}{more}\n",
        p.name,
        shown.join(", ")
    )
}

/// The text of a starter protocol for a data file at `data_path` (as the protocol should name it).
pub fn starter_protocol(data_path: &str, profiles: &[ColumnProfile]) -> String {
    let mut o = String::new();
    o.push_str("# s1557 protocol: a starter written by `s1557 init`.\n# Check every line marked EDIT, then run `s1557 validate` on this file.\n\n");
    o.push_str("protocol_version = \"0.1.0\"\nname = \"EDIT: protocol name\"\n\n");
    o.push_str("[tool]\nname = \"EDIT: tool name\"\nvendor = \"EDIT: vendor\"\nversion = \"EDIT: version\"\nintended_use = \"EDIT: what the tool is for and who it decides about\"\n");
    let roles: Vec<(Option<Role>, &ColumnProfile)> =
        profiles.iter().map(|p| (guess_role(p), p)).collect();
    let find = |r: Role| roles.iter().find(|(x, _)| *x == Some(r)).map(|(_, p)| *p);
    // One age attribute: years when a numeric age column exists, else the text bands.
    let find = |r: Role| match r {
        Role::AgeBands if find(Role::Age).is_some() => None,
        _ => find(r),
    };
    let decision = find(Role::Decision);
    let score = find(Role::Score);
    let outcome = find(Role::Outcome);
    let decision_type = if decision.is_none() && score.is_some() {
        "score_threshold"
    } else {
        "binary"
    };
    let _ = writeln!(
        o,
        "decision_type = {}  # EDIT: `binary` (a yes/no column) or `score_threshold`\n",
        q(decision_type)
    );
    let _ = writeln!(o, "[data]\npath = {}\n", q(data_path));
    o.push_str("[columns]\n");
    match decision {
        Some(p) => {
            let _ = writeln!(
                o,
                "decision = {}  # EDIT: guessed from its name",
                q(&p.name)
            );
        }
        None => o.push_str("# decision = \"EDIT: the tool's yes/no column\"\n"),
    }
    match score {
        Some(p) => {
            let _ = writeln!(o, "score = {}  # EDIT: guessed from its name", q(&p.name));
            if decision.is_none() {
                o.push_str("threshold = 0.5  # EDIT: the score at or above which the tool flags a patient\n");
            }
        }
        None => o.push_str("# score = \"EDIT: the risk score column, if any\"\n"),
    }
    match outcome {
        Some(p) => {
            let _ = writeln!(o, "outcome = {}  # EDIT: guessed from its name", q(&p.name));
        }
        None => {
            let _ = writeln!(o, "outcome = {}", q("EDIT: the true outcome column"));
        }
    }
    o.push('\n');

    for (role, name, standard, reference) in [
        (Role::Race, "race", "omb_race_1997", "White"),
        (
            Role::Ethnicity,
            "ethnicity",
            "omb_ethnicity_1997",
            "Not Hispanic or Latino",
        ),
        (Role::Sex, "sex", "sex", "Male"),
        (Role::Age, "age", "age_years", "45-64"),
        (Role::AgeBands, "age", "custom", ""),
        (
            Role::Disability,
            "disability",
            "disability",
            "No disability",
        ),
    ] {
        let Some(p) = find(role) else {
            // Age is one attribute, in years or in text bands: say once that none was found.
            if role == Role::AgeBands || (role == Role::Age && find(Role::AgeBands).is_some()) {
                continue;
            }
            let _ = writeln!(o, "# EDIT: no column for {name} was recognised; add an [[attributes]] table if the data has one\n");
            continue;
        };
        o.push_str(&values_comment(p));
        o.push_str("[[attributes]]\n");
        let _ = writeln!(
            o,
            "name = {}\ncolumn = {}  # EDIT: guessed from its name",
            q(name),
            q(&p.name)
        );
        if role == Role::AgeBands {
            age_bands(&mut o, p);
            continue;
        }
        if role == Role::Age {
            let _ = writeln!(o, "standard = \"age_years\"\nbands = [18, 30, 45, 65, 75, 90]  # EDIT: lower bounds; the last band is 90+\nreference = {}\n", q(reference));
            continue;
        }
        let guesses: Vec<(String, &'static str)> = p
            .top
            .iter()
            .filter_map(|(v, _)| v.as_ref())
            .map(|v| (v.clone(), guess_category(role, v).unwrap_or(EDIT_ME)))
            .collect();
        let standard = if role == Role::Race
            && guesses
                .iter()
                .any(|(_, g)| *g == "Hispanic or Latino" || *g == "Middle Eastern or North African")
        {
            "omb_race_ethnicity_2024"
        } else {
            standard
        };
        let _ = writeln!(
            o,
            "standard = {}\nreference = {}  # EDIT: the comparison group",
            q(standard),
            q(reference)
        );
        o.push_str("# EDIT: each code's category is a guess; check every one\nmap = { ");
        o.push_str(
            &guesses
                .iter()
                .map(|(v, g)| format!("{} = {}", q(v), q(g)))
                .collect::<Vec<_>>()
                .join(", "),
        );
        o.push_str(" }\n");
        if p.distinct > p.top.len() {
            let _ = writeln!(
                o,
                "# EDIT: only the {} most frequent values are mapped; map the rest too",
                p.top.len()
            );
        }
        o.push('\n');
    }
    o.push_str("[analysis]\nmetrics = [\"selection_rate\", \"tpr\", \"fpr\", \"ppv\"]\nconfidence_level = 0.95\nalpha = 0.05\ncorrection = \"holm\"\npower = 0.8\nmin_cell_size = 11\nseed = 1557\n\n");
    o.push_str("[[triggers]]\nid = \"selection-rate-four-fifths\"\nmetric = \"selection_rate\"\nratio = { min = 0.8, max = 1.25 }\n# EDIT: which side harms the group: \"lower\" when selection is a benefit (outreach, a\n# program), \"higher\" when it is a burden (a denial, an extra test); \"both\" when either does\ndirection = \"both\"\nseverity = \"remediate\"\naction = \"EDIT: who reviews the tool with the vendor, and by when\"\n\n");
    o.push_str("[[triggers]]\nid = \"missed-cases\"\nmetric = \"tpr\"\n# A lower TPR misses the group's cases; a higher one does not harm it.\ndifference = { min = -0.05 }\nseverity = \"remediate\"\naction = \"EDIT: what the practice does when the tool misses more cases in one group\"\n");
    o.push_str(RECORD_TEMPLATE);
    o
}

/// The oversight record's sections, to fill in (docs/record.md maps each to 45 CFR 92.210).
const RECORD_TEMPLATE: &str = r#"
# The oversight record of 45 CFR 92.210 (docs/record.md). Leave a line out rather than guess:
# the artifact and the report say "not recorded" for it.
[record.tool]
developer = "EDIT: who built the tool"
contact = "EDIT: the developer's contact for safety questions"
regulatory_status = "EDIT: e.g. FDA-cleared (510(k) number), or non-device clinical decision support"
# deployed_since = "YYYY-MM-DD"  # EDIT
decision_informed = "EDIT: the decision the tool informs"
acted_on_by = "EDIT: who acts on its output"
intended_population = "EDIT: the patients it is meant for"
intended_users = "EDIT: who uses it"
out_of_scope_uses = ["EDIT: uses the developer rules out"]
known_limitations = ["EDIT: what the model card or vendor says it does poorly"]
local_customisation = "EDIT: cut-offs or inputs changed locally, or none"

# Each input of the tool that measures a protected class or stands in for one (ZIP code,
# language, payer, prior cost…). class: race, color, national_origin, sex, age or disability.
# learned_from: vendor_documentation, model_card, source_attributes or local_review.
# [[record.inputs]]
# name = "age"  # EDIT: the input's name
# class = "age"
# proxy = false
# learned_from = "vendor_documentation"
# learned_on = "YYYY-MM-DD"

[record.inventory]
# reviewed_on = "YYYY-MM-DD"  # EDIT
# next_review = "YYYY-MM-DD"  # EDIT

# Classes no attribute tests, and why: status not_tested (the data could not) or not_applicable.
[record.coverage]
color = { status = "not_tested", reason = "EDIT: why" }

[record.oversight]
checkpoint = "EDIT: who reviews the tool's output before it is acted on"
override_record = "EDIT: how an override is recorded"
owner = "EDIT: who owns the tool"
cadence = "quarterly"
# next_test_due = "YYYY-MM-DD"  # EDIT

[record.submission]
submitted_by = "clinic"  # clinic, vendor or independent_auditor
data_description = "EDIT: the extract: which patients, which period, from where"

[record.approval]
approved_by = "EDIT: who approved this protocol"
# approved_on = "YYYY-MM-DD"  # EDIT
"#;

/// The first whole number in a band's label (`80 or older` → 80, `[0-10)` → 0), and whether the
/// label is an open lower band (`Less than 25`, `<25`, `under 25`), which comes first.
fn band_key(label: &str) -> (bool, i64) {
    let l = label.to_ascii_lowercase();
    let below = l.contains("less") || l.contains("under") || l.contains('<');
    let digits: String = l
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .collect();
    (!below, digits.parse().unwrap_or(i64::MAX))
}

/// An `[[attributes]]` table for age written as text bands: a `custom` attribute of class age
/// with its bands in order (so the trend test applies).
fn age_bands(o: &mut String, p: &ColumnProfile) {
    let mut labels: Vec<String> = p
        .top
        .iter()
        .filter_map(|(v, _)| v.clone())
        .filter(|v| guess_category(Role::AgeBands, v) != Some("Unknown"))
        .collect();
    labels.sort_by_key(|l| band_key(l));
    let missing: Vec<String> = p
        .top
        .iter()
        .filter_map(|(v, _)| v.clone())
        .filter(|v| guess_category(Role::AgeBands, v) == Some("Unknown"))
        .collect();
    let reference = labels.get(labels.len() / 2).cloned().unwrap_or_default();
    let list = |v: &[String]| v.iter().map(|x| q(x)).collect::<Vec<_>>().join(", ");
    let _ = writeln!(
        o,
        "standard = \"custom\"\nclass = \"age\"\nreference = {}  # EDIT: the comparison group",
        q(&reference)
    );
    let _ = writeln!(
        o,
        "order = [{}]  # EDIT: guessed order of the bands; check it",
        list(&labels)
    );
    if !missing.is_empty() {
        let _ = writeln!(
            o,
            "missing = [{}]  # EDIT: guessed to mean not recorded",
            list(&missing)
        );
    }
    o.push('\n');
}
