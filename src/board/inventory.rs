//! The clinic's inventory of decision-support tools (`s1557-inventory/1`, TOML): every tool the
//! board must hear about, whether or not it was tested. docs/board.md documents the format.

use std::path::Path;

use serde::Deserialize;

pub const FORMAT: &str = "s1557-inventory/1";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inventory {
    pub format: String,
    pub organisation: String,
    pub tools: Vec<Tool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tool {
    /// The tool's name as its protocol's `[tool] name` gives it (and so its artifacts).
    pub name: String,
    pub vendor: Option<String>,
    /// Who answers for the tool.
    pub owner: String,
    /// What kind of tool it is, in a few words (`binary flag`, `risk score`…).
    pub kind: Option<String>,
    /// Whether an input measures a protected class or stands in for one.
    pub protected_inputs: bool,
    /// Whether it can be tested against outcomes (an AI scribe may not).
    #[serde(default = "yes")]
    pub testable: bool,
    pub why_not_testable: Option<String>,
    /// Months between tests.
    #[serde(default = "quarterly")]
    pub cadence_months: u32,
    /// The human-oversight checkpoint, for a tool without an artifact to state it.
    pub checkpoint: Option<String>,
}

fn yes() -> bool {
    true
}

fn quarterly() -> u32 {
    3
}

/// Read and check an inventory: a message names the file, the line and column, and what was
/// expected.
pub fn read(path: &Path) -> Result<Inventory, String> {
    let file = path.display();
    let text = fs_err::read_to_string(path).map_err(|e| e.to_string())?;
    let inv: Inventory = toml::from_str(&text).map_err(|e| {
        let at = e
            .span()
            .map(|s| {
                let (l, c) = crate::protocol::line_col(&text, s.start);
                format!(":{l}:{c}")
            })
            .unwrap_or_default();
        format!("{file}{at}: {}", e.message().trim_end())
    })?;
    check(&inv).map_err(|m| format!("{file}: {m}"))?;
    Ok(inv)
}

fn check(inv: &Inventory) -> Result<(), String> {
    if inv.format != FORMAT {
        return Err(format!(
            "format `{}` is not `{FORMAT}`",
            inv.format.escape_debug()
        ));
    }
    if inv.tools.is_empty() {
        return Err("no [[tools]]: the inventory lists every decision-support tool".into());
    }
    for (i, t) in inv.tools.iter().enumerate() {
        let at = format!("tools[{i}] (`{}`)", t.name.escape_debug());
        if t.name.trim().is_empty() || t.owner.trim().is_empty() {
            return Err(format!("{at}: `name` and `owner` must not be empty"));
        }
        if inv.tools[..i].iter().any(|u| u.name == t.name) {
            return Err(format!("{at}: the name is listed twice"));
        }
        if !t.testable
            && t.why_not_testable
                .as_deref()
                .is_none_or(|w| w.trim().is_empty())
        {
            return Err(format!(
                "{at}: `testable = false` needs `why_not_testable`, the reason the board reads"
            ));
        }
        if !(1..=24).contains(&t.cadence_months) {
            return Err(format!(
                "{at}: `cadence_months` is {}; expected 1 to 24",
                t.cadence_months
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<(), String> {
        let inv: Inventory = toml::from_str(s).map_err(|e| e.to_string())?;
        check(&inv)
    }

    const ONE: &str = "format = \"s1557-inventory/1\"\norganisation = \"C\"\n[[tools]]\nname = \"T\"\nowner = \"O\"\nprotected_inputs = true\n";

    #[test]
    fn a_tool_that_cannot_be_tested_says_why() {
        assert!(parse(ONE).is_ok());
        let e = parse(&format!("{ONE}testable = false\n")).unwrap_err();
        assert!(e.contains("why_not_testable"), "{e}");
        assert!(parse(&format!(
            "{ONE}testable = false\nwhy_not_testable = \"no outcome\"\n"
        ))
        .is_ok());
    }

    #[test]
    fn names_are_unique_and_cadence_sane() {
        let twice =
            format!("{ONE}[[tools]]\nname = \"T\"\nowner = \"P\"\nprotected_inputs = false\n");
        assert!(parse(&twice).unwrap_err().contains("listed twice"));
        let e = parse(&format!("{ONE}cadence_months = 0\n")).unwrap_err();
        assert!(e.contains("expected 1 to 24"), "{e}");
        let e = parse(&ONE.replace("inventory/1", "inventory/2")).unwrap_err();
        assert!(e.contains("is not `s1557-inventory/1`"), "{e}");
    }
}
