//! Pure statistical functions: distributions, intervals, tests, multiplicity corrections and
//! power. Nothing here knows about protocols, data or artifacts; every function takes counts or
//! numbers and returns numbers, or [`Undefined`] with the reason when the quantity does not exist
//! for its input (a zero denominator, say). Nothing here returns NaN.
//!
//! Each function documents its formula, its reference implementation and its edge cases; the
//! tests in `tests/stats_reference.rs` compare them with values recorded from scipy and
//! statsmodels by `tests/reference/make_reference.py`.

pub mod auroc;
pub mod base_rate;
pub mod bootstrap;
pub mod calibration;
pub mod contingency;
pub mod design;
pub mod dist;
pub mod grouped;
pub mod means;
pub mod multiplicity;
pub mod power;
pub mod proportion;
pub mod shrinkage;
pub mod special;
pub mod two_sample;

/// Why a statistic has no value for the given input. The reason is written into the artifact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Undefined(pub &'static str);

impl std::fmt::Display for Undefined {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// A two-sided confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ci {
    pub low: f64,
    pub high: f64,
}

impl Ci {
    /// Wald's interval `v ± z·se` at confidence `level`.
    pub fn wald(v: f64, se: f64, level: f64) -> Ci {
        let z = dist::z_for_level(level);
        Ci {
            low: v - z * se,
            high: v + z * se,
        }
    }

    /// Wald's interval on the log scale, `ratio · exp(±z·se_log)`, at confidence `level`.
    pub fn wald_log(ratio: f64, se_log: f64, level: f64) -> Ci {
        let z = dist::z_for_level(level);
        Ci {
            low: ratio * (-z * se_log).exp(),
            high: ratio * (z * se_log).exp(),
        }
    }
}
