//! Human and spreadsheet views of an artifact: `report.md` and `metrics.csv`. They are rendered
//! from the artifact alone, so a vendor's submitted artifact renders the same way as a local
//! run. Small cells are suppressed here (the artifact keeps every count).

mod csv_out;
mod markdown;
mod record;
mod trend;
pub mod view;

pub use csv_out::metrics_csv;
pub use markdown::{markdown, markdown_with};

/// What lies beside an artifact and belongs in its report: the reviewer's sign-off and the
/// actions log, each already checked to bind to the artifact.
#[derive(Default)]
pub struct Beside {
    pub signoff: Option<crate::artifact::signoff::SignOff>,
    pub actions: Option<crate::artifact::actions::ActionsLog>,
}

pub use crate::artifact::suppression::Suppression;
