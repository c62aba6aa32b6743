//! The de-identification guard: refuse data whose column names look like direct identifiers
//! (HIPAA Safe Harbor, 45 CFR 164.514(b)(2)). It reads names only, never values.

/// Why a column name looks like a direct identifier, or `None`.
pub fn identifier_reason(column: &str) -> Option<&'static str> {
    let norm: String = column
        .trim()
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let tokens: Vec<&str> = norm.split('_').filter(|t| !t.is_empty()).collect();
    let joined = tokens.concat();
    let has = |t: &str| tokens.contains(&t);
    let last = tokens.last().copied().unwrap_or("");

    const NAME_ALONE: [&str; 8] = [
        "name",
        "names",
        "first",
        "last",
        "surname",
        "firstname",
        "lastname",
        "fullname",
    ];
    const NAME_OWNERS: [&str; 9] = [
        "patient", "first", "last", "full", "middle", "given", "family", "member", "pt",
    ];
    if NAME_ALONE.contains(&joined.as_str())
        || (last == "name" && tokens.len() >= 2 && NAME_OWNERS.contains(&tokens[tokens.len() - 2]))
        || [
            "patientname",
            "middlename",
            "givenname",
            "familyname",
            "membername",
        ]
        .contains(&joined.as_str())
    {
        return Some("a person's name");
    }
    if has("mrn") || joined.contains("medicalrecord") || joined == "medrecno" {
        return Some("a medical record number");
    }
    if has("ssn") || joined.contains("socialsecurity") {
        return Some("a Social Security number");
    }
    if tokens.iter().any(|t| t.contains("phone")) || has("fax") || has("tel") {
        return Some("a telephone or fax number");
    }
    if tokens.iter().any(|t| t.contains("email")) || joined.contains("email") {
        return Some("an email address");
    }
    if tokens
        .iter()
        .any(|t| t.starts_with("address") || *t == "addr" || *t == "street")
    {
        return Some("a street address");
    }
    if has("dob")
        || joined.contains("dateofbirth")
        || joined.contains("birthdate")
        || joined == "birthday"
    {
        return Some("a date of birth");
    }
    if ["zip", "zipcode", "zip5", "postalcode", "postcode"].contains(&joined.as_str()) {
        return Some("a 5-digit ZIP code (Safe Harbor allows the first 3 digits only)");
    }
    if last == "date" || last == "datetime" || last == "timestamp" {
        return Some("a full date (Safe Harbor allows the year only)");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::identifier_reason;

    #[test]
    fn refuses_direct_identifiers() {
        for c in [
            "name",
            "Patient Name",
            "first",
            "last",
            "MRN",
            "patient_mrn",
            "SSN",
            "phone",
            "home_phone",
            "Email",
            "e-mail",
            "address",
            "street_address",
            "dob",
            "DateOfBirth",
            "birth_date",
            "zip",
            "ZIP_CODE",
            "admission_date",
        ] {
            assert!(identifier_reason(c).is_some(), "{c} should be refused");
        }
    }

    #[test]
    fn accepts_protected_attributes_and_codes() {
        for c in [
            "race",
            "race_name",
            "ethnicity",
            "sex",
            "gender",
            "age",
            "age_years",
            "disability",
            "zip3",
            "score",
            "risk_score",
            "flagged",
            "outcome",
            "readmit_30d",
            "tool_name",
            "seqn",
            "wtmec8yr",
        ] {
            assert_eq!(identifier_reason(c), None, "{c} should be accepted");
        }
    }
}
