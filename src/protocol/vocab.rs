//! Standard category sets a site's codes are mapped to.
//!
//! - `omb_race_1997`: the OMB 1997 minimum race categories (ethnicity asked separately).
//! - `omb_ethnicity_1997`: the OMB 1997 ethnicity question.
//! - `omb_race_ethnicity_2024`: OMB SPD 15 (2024), one combined question with Middle Eastern or
//!   North African and Hispanic or Latino as categories.
//! - `sex`: sex as recorded.
//! - `disability`: disability yes/no.
//! - `age_years`: age in years, cut into bands (`bands`), top-coded at 90+ (HIPAA Safe Harbor).
//! - `custom`: any labels the protocol's map names (functional disability domains, language, …).
//!
//! The OMB race sets also take "Some Other Race", the Census Bureau's category beside OMB's
//! minimum ones (BRFSS's `Other`): a reported race that is none of them is a group of its own,
//! not missing.
//!
//! `Unknown` belongs to every set: it is the group of missing values.

/// The label of the group of rows whose attribute is missing.
pub const UNKNOWN: &str = "Unknown";

/// A category standard an attribute is coded to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standard {
    OmbRace1997,
    OmbEthnicity1997,
    OmbRaceEthnicity2024,
    Sex,
    Disability,
    AgeYears,
    Custom,
}

impl Standard {
    /// The protected class a standard's categories record (OMB ethnicity, Hispanic or Latino
    /// origin, serves national origin); `None` for a custom attribute.
    pub fn class(self) -> Option<super::record::ProtectedClass> {
        use super::record::ProtectedClass as C;
        match self {
            Standard::OmbRace1997 | Standard::OmbRaceEthnicity2024 => Some(C::Race),
            Standard::OmbEthnicity1997 => Some(C::NationalOrigin),
            Standard::Sex => Some(C::Sex),
            Standard::Disability => Some(C::Disability),
            Standard::AgeYears => Some(C::Age),
            Standard::Custom => None,
        }
    }

    pub const NAMES: [&'static str; 7] = [
        "omb_race_1997",
        "omb_ethnicity_1997",
        "omb_race_ethnicity_2024",
        "sex",
        "disability",
        "age_years",
        "custom",
    ];

    pub fn parse(s: &str) -> Option<Standard> {
        Some(match s {
            "omb_race_1997" => Standard::OmbRace1997,
            "omb_ethnicity_1997" => Standard::OmbEthnicity1997,
            "omb_race_ethnicity_2024" => Standard::OmbRaceEthnicity2024,
            "sex" => Standard::Sex,
            "disability" => Standard::Disability,
            "age_years" => Standard::AgeYears,
            "custom" => Standard::Custom,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Standard::OmbRace1997 => "omb_race_1997",
            Standard::OmbEthnicity1997 => "omb_ethnicity_1997",
            Standard::OmbRaceEthnicity2024 => "omb_race_ethnicity_2024",
            Standard::Sex => "sex",
            Standard::Disability => "disability",
            Standard::AgeYears => "age_years",
            Standard::Custom => "custom",
        }
    }

    /// The categories of a fixed standard in their reporting order; `None` for `custom` and
    /// `age_years`, whose groups come from the protocol.
    pub fn categories(self) -> Option<&'static [&'static str]> {
        Some(match self {
            Standard::OmbRace1997 => &[
                "American Indian or Alaska Native",
                "Asian",
                "Black or African American",
                "Native Hawaiian or Other Pacific Islander",
                "White",
                "More than one race",
                "Some Other Race",
            ],
            Standard::OmbEthnicity1997 => &["Hispanic or Latino", "Not Hispanic or Latino"],
            Standard::OmbRaceEthnicity2024 => &[
                "American Indian or Alaska Native",
                "Asian",
                "Black or African American",
                "Hispanic or Latino",
                "Middle Eastern or North African",
                "Native Hawaiian or Other Pacific Islander",
                "White",
                "Multiracial and/or Multiethnic",
                "Some Other Race",
            ],
            Standard::Sex => &["Female", "Male", "Other"],
            Standard::Disability => &["Disability", "No disability"],
            Standard::AgeYears | Standard::Custom => return None,
        })
    }
}

/// Labels for age bands from their lower bounds: `[18, 45, 65, 90]` gives
/// `18-44`, `45-64`, `65-89`, `90+`.
pub fn age_band_labels(bounds: &[i64]) -> Vec<String> {
    bounds
        .iter()
        .enumerate()
        .map(|(i, lo)| match bounds.get(i + 1) {
            Some(next) => format!("{lo}-{}", next - 1),
            None => format!("{lo}+"),
        })
        .collect()
}
