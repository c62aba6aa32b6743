//! Plain-language help for the reader who is not a statistician: what each status and each metric
//! means, and why some fairness criteria cannot all hold at once. Rendered in report.md and
//! report.html alike.

/// What each status means and what to do about it.
pub const STATUSES: [(&str, &str); 5] = [
    (
        "✖ remediate",
        "The gap between this group and the reference is wider than the protocol tolerates, and too large to be chance even after allowing for the many comparisons made. Act: the action and its owner are listed with the finding.",
    ),
    (
        "▲ monitor",
        "The gap is beyond the tolerance but could still be chance, or the range of likely values reaches past the tolerance. Watch it next quarter; some protocols name an action for it.",
    ),
    (
        "? too few to judge",
        "Too few patients in the group, or the range of likely values is so wide that it holds both no gap and a gap past the tolerance. This is not a pass: it says the data cannot tell.",
    ),
    (
        "✔ pass",
        "The whole range of likely values (the 95% interval) lies inside the tolerance band: any gap is small enough to accept.",
    ),
    (
        "– not assessed",
        "No trigger of the protocol covers this metric for this attribute: the numbers are reported, not judged.",
    ),
];

/// What each metric measures, in words.
pub const METRICS: [(&str, &str); 9] = [
    ("Selection rate", "Of all the group's patients, the share the tool flagged."),
    ("True positive rate (sensitivity)", "Of the group's patients who went on to have the outcome, the share the tool flagged. A lower rate means more of their cases were missed."),
    ("False positive rate", "Of the group's patients who did not have the outcome, the share the tool flagged anyway: false alarms."),
    ("False negative rate", "Of the group's patients who had the outcome, the share the tool missed."),
    ("Positive predictive value", "Of the group's flagged patients, the share who had the outcome: how often a flag was right."),
    ("Negative predictive value", "Of the group's unflagged patients, the share who did not have the outcome."),
    ("Prevalence", "The share of the group's patients who had the outcome: the base rate the tool works against."),
    ("AUROC", "How well the risk score ranks the group's patients who had the outcome above those who did not (0.5 is chance, 1 is perfect)."),
    ("Observed/expected outcomes (calibration)", "The outcomes the group had divided by the outcomes the score predicted. Above 1, the score under-states the group's risk; below 1, it over-states it."),
];

/// Why equal error rates and equal calibration cannot all hold when base rates differ.
pub const TRADE_OFF: &str = "When two groups have the outcome at different rates (different prevalence), no imperfect tool can give them equal false-positive rates, equal false-negative rates and equal positive predictive values all at once (Chouldechova 2017; Kleinberg et al. 2016): a group's false-positive rate is fixed by the other three, as its prevalence ÷ (1 − prevalence) × (1 − PPV) ÷ PPV × (1 − false-negative rate), so with equal PPV and equal missed-case rates, the group with more outcomes must have more false alarms. The protocol therefore names which gaps matter for this tool's use; a gap on another metric can be the arithmetic consequence of different base rates rather than of the tool. Outcome-based metrics also cannot see bias in the outcome itself: if the recorded outcome is a proxy (costs for need, say), a measure of need beside it is the check.";
