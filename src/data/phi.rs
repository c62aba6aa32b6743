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

/// The smallest sample of non-missing values a column is judged on by value.
const MIN_VALUES: usize = 5;

fn digits(s: &str) -> usize {
    s.chars().filter(char::is_ascii_digit).count()
}

fn is_email(v: &str) -> bool {
    let mut parts = v.split('@');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(local), Some(domain), None) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !v.contains(char::is_whitespace)
        }
        _ => false,
    }
}

fn is_ssn(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 11
        && b[3] == b'-'
        && b[6] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 3 || i == 6 || c.is_ascii_digit())
}

/// A North American number grouped 3-3-4 (with an optional leading 1): `(555) 010-1234`,
/// `555.010.1234`, `+1 555 010 1234`. Other groupings (an NDC drug code, 4-4-2) are not.
fn is_phone(v: &str) -> bool {
    let allowed = v
        .chars()
        .all(|c| c.is_ascii_digit() || "()-. +".contains(c));
    let groups: Vec<usize> = v
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .map(str::len)
        .collect();
    allowed && (groups == [3, 3, 4] || groups == [1, 3, 3, 4]) && v.parse::<f64>().is_err()
}

/// A date finer than the year: `2026-03-14` or `2026/03/14` (also the start of a timestamp),
/// `3/14/2026` (with or without a time), `14-Mar-2026`, or a month `2026-03`.
fn is_full_date(v: &str) -> bool {
    let first = v.split([' ', 'T']).next().unwrap_or(v);
    if first != v && is_full_date(first) {
        return true;
    }
    let dashed = v.replacen('/', "-", 2);
    let v = dashed.as_str();
    let b = v.as_bytes();
    let month = b.len() == 7
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && (1900..=2100).contains(&v[..4].parse::<u32>().unwrap_or(0))
        && (1..=12).contains(&v[5..7].parse::<u32>().unwrap_or(0));
    let named: Vec<&str> = v.split('-').collect();
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let day_month = named.len() == 3
        && (1..=2).contains(&named[0].len())
        && named[0].chars().all(|c| c.is_ascii_digit())
        && MONTHS.contains(&named[1].to_ascii_lowercase().as_str())
        && matches!(named[2].len(), 2 | 4)
        && named[2].chars().all(|c| c.is_ascii_digit());
    month || day_month || is_day_date(v)
}

/// `2026-03-14` (the start of a longer text too) or `3-14-2026` (slashes made dashes).
fn is_day_date(v: &str) -> bool {
    let b = v.as_bytes();
    let iso = b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[7] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[8..10].iter().all(u8::is_ascii_digit)
        && (1..=12).contains(&v[5..7].parse::<u32>().unwrap_or(0))
        && (1..=31).contains(&v[8..10].parse::<u32>().unwrap_or(0));
    let parts: Vec<&str> = v.split('-').collect();
    let us = parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        && (1..=12).contains(&parts[0].parse::<u32>().unwrap_or(0))
        && (1..=31).contains(&parts[1].parse::<u32>().unwrap_or(0))
        && matches!(parts[2].len(), 2 | 4);
    iso || us
}

fn is_url(v: &str) -> bool {
    let l = v.to_ascii_lowercase();
    l.starts_with("http://") || l.starts_with("https://") || l.starts_with("www.")
}

fn is_ip(v: &str) -> bool {
    let parts: Vec<&str> = v.split('.').collect();
    parts.len() == 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 3 && p.parse::<u16>().is_ok_and(|n| n <= 255))
}

fn is_zip(v: &str) -> bool {
    let b = v.as_bytes();
    (b.len() == 5 && b.iter().all(u8::is_ascii_digit))
        || (b.len() == 10 && b[5] == b'-' && digits(v) == 9)
}

/// Two or three capitalised (or upper-case) words of letters, `Last, First` too: `Aisha Chen`,
/// `Mary-Jo O'Neil`, `McDonald Ross`, `CHEN, AISHA`.
fn is_person_name(v: &str) -> bool {
    let words: Vec<&str> = v.split_whitespace().collect();
    (2..=3).contains(&words.len())
        && words.iter().enumerate().all(|(i, w)| {
            let w = if i == 0 {
                w.strip_suffix(',').unwrap_or(w)
            } else {
                w
            };
            w.chars().count() >= 2
                && w.chars().next().is_some_and(char::is_uppercase)
                && w.chars()
                    .all(|x| x.is_alphabetic() || x == '\'' || x == '-')
        })
}

/// Whether a column's name suggests a number that identifies a record (`encounter_id`,
/// `patient_nbr`, `acct_no`): a column of whole-dollar charges may also be nearly all distinct.
fn looks_like_an_id(name: &str) -> bool {
    let tokens: Vec<&str> = name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|t| !t.is_empty())
        .collect();
    let words = [
        "id", "nbr", "num", "no", "number", "mrn", "acct", "account", "key", "record",
    ];
    tokens.iter().any(|t| words.contains(t)) || name.ends_with("id")
}

/// A record or account number: no spaces or decimal point, five digits or more.
fn is_record_number(v: &str) -> bool {
    digits(v) >= 5
        && !v.contains(['.', ' '])
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Why a column's values look like a direct identifier, judged on a sample of its non-missing
/// values: most of them shaped like one kind (e-mail addresses, Social Security numbers, …), or
/// nearly all distinct record numbers, or person names (many different ones). `measure` columns (a score, a need, a
/// weight, a count) are numbers that may all differ and are not judged as record numbers.
/// Never returns the values: a message names the column and the kind only.
pub fn value_reason(column: &str, values: &[&str], measure: bool) -> Option<&'static str> {
    let values: Vec<&str> = values
        .iter()
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .collect();
    if values.len() < MIN_VALUES {
        return None;
    }
    let most = |f: fn(&str) -> bool| {
        let hits = values.iter().filter(|v| f(v)).count();
        hits >= MIN_VALUES && 2 * hits >= values.len()
    };
    let distinct = |f: fn(&str) -> bool| {
        let hit: Vec<&str> = values.iter().copied().filter(|v| f(v)).collect();
        let unique: std::collections::BTreeSet<&str> = hit.iter().copied().collect();
        // Many different values (a category of two-word labels has a handful).
        hit.len() >= MIN_VALUES && 2 * hit.len() >= values.len() && 2 * unique.len() >= hit.len()
    };
    let name = column.to_ascii_lowercase();
    if most(is_email) {
        Some("e-mail addresses")
    } else if most(is_ssn) {
        Some("Social Security numbers (ddd-dd-dddd)")
    } else if most(is_full_date) {
        Some("dates finer than the year (a day or a time)")
    } else if most(is_url) {
        Some("web addresses")
    } else if most(is_ip) {
        Some("IP addresses")
    } else if most(is_phone) {
        Some("telephone or fax numbers")
    } else if (name.contains("zip") || name.contains("postal")) && most(is_zip) {
        Some("ZIP codes of more than three digits")
    } else if distinct(is_person_name) {
        Some("person names")
    } else if !measure
        && looks_like_an_id(&name)
        && values.len() >= 100
        && most(is_record_number)
        && {
            let unique: std::collections::BTreeSet<&&str> = values.iter().collect();
            unique.len() * 10 >= values.len() * 9
        }
    {
        Some("record or account numbers (nearly every value distinct)")
    } else {
        None
    }
}

#[cfg(test)]
mod value_tests {
    use super::value_reason;

    fn check(values: &[&str]) -> Option<&'static str> {
        value_reason("x1", values, false)
    }

    fn as_refs(v: &[String]) -> Vec<&str> {
        v.iter().map(String::as_str).collect()
    }

    #[test]
    fn identifiers_are_found_by_their_values() {
        let many = |f: &dyn Fn(usize) -> String| (0..150).map(f).collect::<Vec<String>>();
        let ssn = many(&|i| format!("{:03}-{:02}-{:04}", 100 + i, 10 + i % 80, 1000 + i));
        assert!(check(&as_refs(&ssn))
            .unwrap()
            .starts_with("Social Security"));
        let mail = many(&|i| format!("p{i}@example.org"));
        assert_eq!(check(&as_refs(&mail)), Some("e-mail addresses"));
        let dates = many(&|i| format!("2026-{:02}-{:02}", 1 + i % 12, 1 + i % 28));
        assert!(check(&as_refs(&dates)).unwrap().starts_with("dates"));
        let stamps = many(&|i| format!("2013-08-{:02} 06:03:42", 1 + i % 28));
        assert!(check(&as_refs(&stamps)).unwrap().starts_with("dates"));
        let us = many(&|i| format!("{}/{}/1961", 1 + i % 12, 1 + i % 28));
        assert!(check(&as_refs(&us)).unwrap().starts_with("dates"));
        let ids = many(&|i| format!("{}", 8_222_157 + 7 * i));
        assert!(value_reason("patient_nbr", &as_refs(&ids), false)
            .unwrap()
            .starts_with("record"));
        // A measure, or a column not named like an identifier (whole-dollar charges), is not.
        assert_eq!(value_reason("patient_nbr", &as_refs(&ids), true), None);
        assert_eq!(check(&as_refs(&ids)), None);
        for shape in [
            |i: usize| format!("{}/{}/2026 6:{:02}", 1 + i % 12, 1 + i % 28, i % 60),
            |i: usize| format!("2026/{:02}/{:02}", 1 + i % 12, 1 + i % 28),
            |i: usize| format!("{}-Mar-2026", 1 + i % 28),
            |i: usize| format!("20{:02}-{:02}", 10 + i % 15, 1 + i % 12),
        ] {
            let v = many(&shape);
            assert!(
                check(&as_refs(&v)).unwrap().starts_with("dates"),
                "{}",
                v[0]
            );
        }
        let upper = many(&|i| {
            format!(
                "{}, {}",
                ["CHEN", "DIAZ", "EVANS"][i % 3],
                ["AISHA", "BO", "CARL", "DEE", "ELI"][i % 5]
            ) + &"A".repeat(i / 15)
        });
        assert_eq!(check(&as_refs(&upper)), Some("person names"));
        // An NDC drug code (4-4-2) is not a telephone number.
        let ndc = many(&|i| format!("0002-{:04}-{:02}", 3000 + i, i % 90));
        assert_eq!(check(&as_refs(&ndc)), None);
        // Four names repeated over 150 values: a category, not people.
        let names =
            many(&|i| ["Aisha Chen", "Bo Diaz", "Carl Evans", "Dee Ford"][i % 4].to_string());
        assert_eq!(check(&as_refs(&names)), None);
        let real = [
            "Aisha Chen",
            "Bo Diaz",
            "Carl Evans",
            "Dee Ford",
            "Eli Gray",
            "Fay Hunt",
            "Gus Ives",
        ];
        assert_eq!(check(&real), Some("person names"));
        let phones = many(&|i| format!("(555) 010-{:04}", i));
        assert!(check(&as_refs(&phones)).unwrap().starts_with("telephone"));
    }

    #[test]
    fn ordinary_columns_pass() {
        let scores: Vec<String> = (0..300)
            .map(|i| format!("0.{:06}", i * 3331 % 1_000_000))
            .collect();
        let refs: Vec<&str> = scores.iter().map(String::as_str).collect();
        assert_eq!(check(&refs), None);
        let races = [
            "White",
            "Black or African American",
            "Asian",
            "Native Hawaiian",
            "White",
        ];
        assert_eq!(check(&races), None);
        let years = ["1961", "1975", "1980", "1990", "2001", "1999"];
        assert_eq!(check(&years), None);
        let ages = ["[70-80)", "[60-70)", "[50-60)", "[80-90)", "[40-50)"];
        assert_eq!(check(&ages), None);
        let zips_elsewhere = ["12345", "23456", "34567", "45678", "56789"];
        assert_eq!(check(&zips_elsewhere), None);
        assert!(value_reason("zip", &zips_elsewhere, false).is_some());
    }
}

/// A cell value as an error message may show it: in backticks when it looks like a code (short,
/// and not shaped like a name, a date, a number of five digits or more, an e-mail, web or IP
/// address, a telephone or Social Security number), else `None`: the message then names the
/// column and the row, not the value.
pub fn shown(v: &str) -> Option<String> {
    let t = v.trim();
    let identifying = is_email(t)
        || is_ssn(t)
        || is_full_date(t)
        || is_url(t)
        || is_ip(t)
        || is_phone(t)
        || is_person_name(t)
        || digits(t) >= 6;
    (t.chars().count() <= 32 && !identifying).then(|| format!("`{}`", v.escape_debug()))
}

#[cfg(test)]
mod shown_tests {
    use super::shown;

    #[test]
    fn codes_are_shown_and_identifiers_are_not() {
        assert_eq!(shown("W").as_deref(), Some("`W`"));
        assert_eq!(shown("Caucasian").as_deref(), Some("`Caucasian`"));
        assert_eq!(shown("[70-80)").as_deref(), Some("`[70-80)`"));
        for v in [
            "Aisha Chen",
            "john.smith@example.org",
            "123-45-6789",
            "2013-08-14",
            "8222157",
        ] {
            assert_eq!(shown(v), None, "{v}");
        }
        assert_eq!(shown(&"x".repeat(40)), None);
    }
}
