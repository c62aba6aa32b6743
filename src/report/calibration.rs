//! The report's calibration lines: whether the score's overall spread is right (its slope over
//! every case), and each group's calibration line against the reference's — the
//! likelihood-ratio test that they are one line, the differences in calibration-in-the-large and
//! slope, and each group's integrated calibration index.

use std::fmt::Write;

use super::markdown::{esc, num_ci, p_text};
use super::Suppression;
use crate::artifact::ScoreSection;
use crate::metrics::Estimate;

/// A slope this far from 1 (with its interval leaving out 1) makes O/E gaps mix case mix in.
const SLOPE_WARNING: f64 = 0.2;

fn overall(o: &mut String, sc: &ScoreSection) {
    let Some(c) = &sc.overall_calibration else {
        return;
    };
    let _ = write!(
        o,
        "Over every scored case the calibration slope is {} and calibration-in-the-large {}. ",
        num_ci(&c.slope, 2),
        num_ci(&c.calibration_in_the_large, 2)
    );
    let text = match &c.slope {
        Estimate::Value { value, ci }
            if (value - 1.0).abs() >= SLOPE_WARNING && (ci.low > 1.0 || ci.high < 1.0) =>
        {
            "**The slope is far from 1: the score's spread is wrong for everyone, so groups with more high- or low-risk patients get different O/E ratios from their case mix alone. Read the O/E gaps with the calibration lines below, which compare intercept and slope.**\n\n"
        }
        Estimate::Value { ci, .. }
            if ci.low >= 1.0 - SLOPE_WARNING && ci.high <= 1.0 + SLOPE_WARNING =>
        {
            "The slope's interval lies within 0.2 of 1, so O/E gaps between groups are not case mix acting on a wrongly spread score.\n\n"
        }
        Estimate::Value { .. } => {
            "The slope is neither shown far from 1 nor shown near it: read the O/E gaps with the calibration lines below.\n\n"
        }
        Estimate::Undefined { .. } => {
            "With no overall slope, read the O/E gaps with the calibration lines below.\n\n"
        }
    };
    o.push_str(text);
}

pub(super) fn section(o: &mut String, sc: &ScoreSection, sup: &Suppression) {
    let rows: Vec<_> = sc
        .attributes
        .iter()
        .flat_map(|x| x.groups.iter().map(move |g| (x, g)))
        .filter_map(|(x, g)| Some((x, g, g.calibration.as_ref()?)))
        .collect();
    if rows.is_empty() {
        return;
    }
    o.push_str("### Calibration lines by group\n\n");
    overall(o, sc);
    o.push_str("Each group's logistic calibration line (`logit P(outcome) = a + b·logit score`) against the reference group's: the likelihood-ratio test that the two are one line (χ², 2 degrees of freedom; descriptive, not corrected), the differences in calibration-in-the-large and in slope (Wald intervals), and the integrated calibration index (ICI: the mean distance between the score and the group's calibration curve, here the logistic one).\n\n");
    o.push_str("| attribute | group | ICI | calibration-in-the-large vs reference (CI) | slope vs reference (CI) | χ² (2 df) | p |\n|---|---|---|---|---|---|---|\n");
    for (x, g, c) in rows {
        let reference = x
            .groups
            .iter()
            .find(|r| r.is_reference)
            .map(|r| r.group.as_str());
        let hidden = sup.score_group(&x.attribute, &g.group)
            || reference.is_some_and(|r| sup.score_group(&x.attribute, r));
        if hidden {
            let _ = writeln!(
                o,
                "| {} | {} | withheld | | | | |",
                esc(&x.attribute),
                esc(&g.group)
            );
            continue;
        }
        let ici = c
            .integrated_calibration_index
            .map_or("—".into(), |v| format!("{v:.4}"));
        let (citl, slope, chi, p) = match &c.versus_reference {
            Some(v) => (
                num_ci(&v.citl_difference, 2),
                num_ci(&v.slope_difference, 2),
                format!("{:.2}", v.lr_statistic),
                p_text(Some(v.p_value)),
            ),
            None if g.is_reference => (
                "reference".into(),
                String::new(),
                String::new(),
                String::new(),
            ),
            None => ("—".into(), "—".into(), "—".into(), "—".into()),
        };
        let _ = writeln!(
            o,
            "| {} | {} | {ici} | {citl} | {slope} | {chi} | {p} |",
            esc(&x.attribute),
            esc(&g.group)
        );
    }
    o.push('\n');
}
