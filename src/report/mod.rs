//! Human and spreadsheet views of an artifact: `report.md` and `metrics.csv`. They are rendered
//! from the artifact alone, so a vendor's submitted artifact renders the same way as a local
//! run. Small cells are suppressed here (the artifact keeps every count).

mod base_rates;
mod calibration;
pub(crate) mod csv_out;
pub mod figures;
mod help;
pub(crate) mod html;
pub(crate) mod markdown;
pub mod plots;
mod record;
mod rolling;
mod shrinkage;
mod trend;
pub mod view;
pub use html::html;

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

/// The human outputs of an artifact, by file name: report.md, metrics.csv, report.html and the
/// figures as PNG files for slides (`figures/…`). `run` and `report` both write these, so a
/// re-rendered report is byte-identical to the run's.
pub fn human_files(a: &crate::artifact::Artifact, beside: &Beside) -> Vec<(String, Vec<u8>)> {
    let sup = Suppression::from_artifact(a);
    let mut out = vec![
        (
            "report.md".to_string(),
            markdown_with(a, beside).into_bytes(),
        ),
        ("metrics.csv".to_string(), metrics_csv(a).into_bytes()),
        ("report.html".to_string(), html(a, beside).into_bytes()),
    ];
    for f in figures::forests(a, &sup) {
        let name = format!("figures/forest-{}-{}.png", slug(&f.attribute), f.part);
        out.push((name, plots::forest_png(&f)));
    }
    for h in figures::heats(a, &sup) {
        let name = format!(
            "figures/heat-{}-{}.png",
            slug(&h.attribute),
            slug(&h.metric)
        );
        out.push((name, plots::heat_png(&h)));
    }
    for r in figures::reliability(a, &sup) {
        out.push((
            format!("figures/reliability-{}.png", slug(&r.attribute)),
            plots::reliability_png(&r),
        ));
    }
    for r in figures::roc(a, &sup) {
        out.push((
            format!("figures/roc-{}.png", slug(&r.attribute)),
            plots::roc_png(&r),
        ));
    }
    for n in figures::need(a, &sup) {
        out.push((
            format!("figures/need-{}.png", slug(&n.attribute)),
            plots::need_png(&n),
        ));
    }
    out
}

/// A name fit for a file: letters, digits, `-` and `_`; anything else becomes `-`.
fn slug(s: &str) -> String {
    let t: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let mut out = String::new();
    for c in t.chars() {
        if !(c == '-' && out.ends_with('-')) {
            out.push(c);
        }
    }
    out.trim_matches('-').to_string()
}
