//! Human and spreadsheet views of an artifact: `report.md` and `metrics.csv`. They are rendered
//! from the artifact alone, so a vendor's submitted artifact renders the same way as a local
//! run. Small cells are suppressed here (the artifact keeps every count).

mod csv_out;
mod markdown;

pub use csv_out::metrics_csv;
pub use markdown::markdown;

/// Whether a group-metric cell must be withheld in shared outputs: its numerator, its
/// denominator or their difference is between 1 and `min_cell − 1`.
pub fn suppressed(numerator: u64, denominator: u64, min_cell: u64) -> bool {
    let small = |x: u64| x > 0 && x < min_cell;
    small(numerator) || small(denominator) || small(denominator.saturating_sub(numerator))
}

#[cfg(test)]
mod tests {
    use super::suppressed;

    #[test]
    fn suppresses_small_nonzero_cells_only() {
        assert!(!suppressed(0, 0, 11));
        assert!(!suppressed(0, 100, 11));
        assert!(suppressed(3, 100, 11));
        assert!(suppressed(95, 100, 11));
        assert!(suppressed(0, 7, 11));
        assert!(!suppressed(11, 22, 11));
    }
}
