//! The oversight record a protocol carries (`[record]`), what 45 CFR 92.210(b) and (c) ask a
//! clinic to show: the tool's facts, the inventory of its inputs that measure a protected class
//! or stand in for one, which of the six classes of Section 1557 were tested, the human
//! oversight of the tool, who submits, and who approved the protocol. Every part is optional: a
//! protocol without them still runs, and the artifact names each part as not recorded.
//! docs/record.md maps each field to the rule's text.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The classes Section 1557 protects (45 CFR 92.101), and a proxy for one of them.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ProtectedClass {
    Race,
    Color,
    NationalOrigin,
    Sex,
    Age,
    Disability,
}

impl ProtectedClass {
    pub const ALL: [ProtectedClass; 6] = [
        ProtectedClass::Race,
        ProtectedClass::Color,
        ProtectedClass::NationalOrigin,
        ProtectedClass::Sex,
        ProtectedClass::Age,
        ProtectedClass::Disability,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ProtectedClass::Race => "race",
            ProtectedClass::Color => "color",
            ProtectedClass::NationalOrigin => "national_origin",
            ProtectedClass::Sex => "sex",
            ProtectedClass::Age => "age",
            ProtectedClass::Disability => "disability",
        }
    }

    pub fn parse(s: &str) -> Option<ProtectedClass> {
        ProtectedClass::ALL.into_iter().find(|c| c.name() == s)
    }
}

/// The record as the protocol writes it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Record {
    #[serde(default)]
    pub tool: ToolFacts,
    /// The tool's inputs that measure a protected class or are a known proxy for one.
    #[serde(default)]
    pub inputs: Vec<Input>,
    #[serde(default)]
    pub inventory: Inventory,
    /// The classes not tested, each with why (tested classes come from the attributes).
    #[serde(default)]
    pub coverage: std::collections::BTreeMap<ProtectedClass, Untested>,
    #[serde(default)]
    pub oversight: Oversight,
    #[serde(default)]
    pub submission: Submission,
    #[serde(default)]
    pub approval: Approval,
}

/// What the clinic knows of the tool.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ToolFacts {
    pub developer: Option<String>,
    pub contact: Option<String>,
    /// E.g. "FDA-cleared (510(k) K123456)", "non-device clinical decision support".
    pub regulatory_status: Option<String>,
    /// YYYY-MM-DD.
    pub deployed_since: Option<String>,
    /// The decision the tool informs.
    pub decision_informed: Option<String>,
    /// Who acts on the tool's output.
    pub acted_on_by: Option<String>,
    pub intended_population: Option<String>,
    pub intended_users: Option<String>,
    pub out_of_scope_uses: Option<Vec<String>>,
    pub known_limitations: Option<Vec<String>>,
    pub local_customisation: Option<String>,
}

/// One input of the tool that measures a protected class or stands in for one (92.210(b)).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    pub name: String,
    /// The class it measures, or stands in for when `proxy` is true.
    pub class: ProtectedClass,
    /// A known proxy (ZIP code, language, payer, prior cost…) rather than the class itself.
    #[serde(default)]
    pub proxy: bool,
    /// How this was learned.
    pub learned_from: LearnedFrom,
    /// YYYY-MM-DD.
    pub learned_on: String,
}

/// How an input's link to a protected class was learned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LearnedFrom {
    VendorDocumentation,
    ModelCard,
    SourceAttributes,
    LocalReview,
}

/// When the inventory of inputs was made and is next due.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Inventory {
    /// YYYY-MM-DD.
    pub reviewed_on: Option<String>,
    /// YYYY-MM-DD.
    pub next_review: Option<String>,
}

/// A class not tested, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Untested {
    pub status: UntestedStatus,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UntestedStatus {
    /// The class bears on the tool but the data could not test it.
    NotTested,
    /// The class does not bear on the tool (no input measures it or stands in for it).
    NotApplicable,
}

/// The human oversight of the tool and its testing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Oversight {
    /// Who reviews the tool's output before it is acted on, and how.
    pub checkpoint: Option<String>,
    /// How an override of the tool is recorded.
    pub override_record: Option<String>,
    /// Who owns the tool at the clinic.
    pub owner: Option<String>,
    /// How often the tool is tested (e.g. "quarterly").
    pub cadence: Option<String>,
    /// YYYY-MM-DD.
    pub next_test_due: Option<String>,
}

/// Who submits the evidence.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Submission {
    pub submitted_by: Option<Submitter>,
    /// For a vendor or an auditor: their description of the data.
    pub data_description: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Submitter {
    Clinic,
    Vendor,
    IndependentAuditor,
}

/// Who approved the protocol, and when.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    pub approved_by: Option<String>,
    /// YYYY-MM-DD.
    pub approved_on: Option<String>,
}

impl Record {
    /// The dotted names of the parts left empty, for the artifact and `validate`'s warnings.
    pub fn not_recorded(&self) -> Vec<String> {
        let value = serde_json::to_value(self).unwrap_or_default();
        let mut out = Vec::new();
        for (section, fields) in value.as_object().into_iter().flatten() {
            match fields {
                serde_json::Value::Object(f) if section != "coverage" => {
                    for (k, v) in f {
                        if v.is_null() || v.as_array().is_some_and(Vec::is_empty) {
                            out.push(format!("{section}.{k}"));
                        }
                    }
                }
                serde_json::Value::Array(a) if a.is_empty() => out.push(section.clone()),
                _ => {}
            }
        }
        out
    }

    /// Dates that are not YYYY-MM-DD: `(field, value)`.
    pub fn bad_dates(&self) -> Vec<(String, String)> {
        let mut dates: Vec<(String, &Option<String>)> = vec![
            ("tool.deployed_since".into(), &self.tool.deployed_since),
            ("inventory.reviewed_on".into(), &self.inventory.reviewed_on),
            ("inventory.next_review".into(), &self.inventory.next_review),
            (
                "oversight.next_test_due".into(),
                &self.oversight.next_test_due,
            ),
            ("approval.approved_on".into(), &self.approval.approved_on),
        ];
        let learned: Vec<(String, Option<String>)> = self
            .inputs
            .iter()
            .map(|i| {
                (
                    format!("inputs[{}].learned_on", i.name),
                    Some(i.learned_on.clone()),
                )
            })
            .collect();
        dates.extend(learned.iter().map(|(k, v)| (k.clone(), v)));
        dates
            .into_iter()
            .filter_map(|(k, v)| {
                let v = v.as_ref()?;
                chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
                    .is_err()
                    .then(|| (k, v.clone()))
            })
            .collect()
    }
}
