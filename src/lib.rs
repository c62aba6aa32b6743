//! s1557: bias testing of clinical decision-support tools under 45 CFR 92.210 (Section 1557).
//!
//! The data flow, one module a stage:
//!
//! ```text
//! protocol ─┐
//!           ├─► data ─► suffstats ─► metrics ─► triggers ─► artifact ─► report
//! rows ─────┘   (one     (per-group    (rates,     (status     (JSON,      (Markdown,
//!                pass)    confusion)    tests)      per finding) schema)    CSV)
//! ```
//!
//! `stats` holds the pure statistics every stage after `suffstats` uses; `cli` wires the stages
//! to commands; `generate` makes the shipped example data.

pub mod artifact;
pub mod assemble;
pub mod board;
pub mod cli;
pub mod data;
pub mod disclosure;
pub mod generate;
pub mod harm;
pub mod metrics;
pub mod plan;
pub mod pooling;
pub mod protocol;
pub mod report;
pub mod sql;
pub mod starter;
pub mod stats;
pub mod suffstats;
pub mod triggers;
pub mod verify;
