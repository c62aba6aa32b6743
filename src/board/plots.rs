//! The board's small multiples: per tool, each key finding over the quarters (estimate and 95%
//! interval against the reference, the tolerance band shaded, the status by colour and letter).

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::report::figures::Scale;
use crate::report::plots::{colour, letter, shorten, svg, Res, BAND, GREY, INK};

use super::view::Series;
use super::Quarter;

const W: u32 = 260;
const H: u32 = 190;

/// One tool's series side by side, as SVG.
pub fn tool_svg(series: &[&Series], quarters: &[Quarter]) -> String {
    let n = series.len().max(1) as u32;
    svg((W * n, H), |root| {
        root.fill(&WHITE)?;
        let panels = root.split_evenly((1, series.len().max(1)));
        for (p, s) in panels.iter().zip(series) {
            draw(p, s, quarters)?;
        }
        Ok(())
    })
}

fn range(s: &Series) -> (f64, f64) {
    let mut lo = f64::MAX;
    let mut hi = f64::MIN;
    for (_, v, _) in &s.points {
        if let Some((_, l, h)) = v {
            lo = lo.min(*l);
            hi = hi.max(*h);
        }
    }
    let centre = if s.scale == Scale::Ratio { 1.0 } else { 0.0 };
    for x in [Some(centre), s.band.0, s.band.1].into_iter().flatten() {
        lo = lo.min(x);
        hi = hi.max(x);
    }
    match s.scale {
        Scale::Ratio => (lo.max(1e-3) / 1.15, hi * 1.15),
        Scale::Difference => {
            let pad = (hi - lo).max(1e-9) * 0.08;
            (lo - pad, hi + pad)
        }
    }
}

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, s: &Series, quarters: &[Quarter]) -> Res
where
    DB::ErrorType: 'static,
{
    let (lo, hi) = range(s);
    let n = quarters.len() as f64;
    // Ratios on a log axis: ln of the value, labelled back in the value.
    let t = |v: f64| if s.scale == Scale::Ratio { v.ln() } else { v };
    let (tl, th) = (t(lo), t(hi));
    let mut chart = ChartBuilder::on(root)
        .caption(shorten(&s.short, 40), ("sans-serif", 11))
        .margin(6)
        .x_label_area_size(20)
        .y_label_area_size(38)
        .build_cartesian_2d(-0.5f64..(n - 0.5), tl..th)?;
    let ratio = s.scale == Scale::Ratio;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(WHITE)
        .x_labels(quarters.len().max(1))
        .x_label_formatter(&|x| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < quarters.len() {
                quarters[i as usize].to_string()
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|y| {
            if ratio {
                format!("{:.2}", y.exp())
            } else {
                format!("{y:.1}")
            }
        })
        .label_style(("sans-serif", 9))
        .draw()?;
    let (bl, bh) = (s.band.0.map_or(tl, t), s.band.1.map_or(th, t));
    chart.draw_series(std::iter::once(Rectangle::new(
        [(-0.5, bl.max(tl)), (n - 0.5, bh.min(th))],
        BAND.filled(),
    )))?;
    // No disparity: a ratio of 1 (ln 1 = 0) or a difference of 0.
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(-0.5, 0.0), (n - 0.5, 0.0)],
        GREY.stroke_width(1),
    )))?;
    draw_points(&mut chart, s, quarters, t, (tl + th) / 2.0)
}

type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Each quarter's estimate and interval, its status letter, and a line through the estimates.
fn draw_points<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    s: &Series,
    quarters: &[Quarter],
    t: impl Fn(f64) -> f64,
    middle: f64,
) -> Res
where
    DB::ErrorType: 'static,
{
    let mut line = Vec::new();
    for (q, v, st) in &s.points {
        let Some(x) = quarters.iter().position(|x| x == q) else {
            continue;
        };
        let x = x as f64;
        let c = colour(Some(*st));
        match v {
            Some((e, l, h)) => {
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(x, t(*l)), (x, t(*h))],
                    c.stroke_width(2),
                )))?;
                chart.draw_series(std::iter::once(Circle::new((x, t(*e)), 4, c.filled())))?;
                chart.draw_series(std::iter::once(Text::new(
                    letter(Some(*st)).to_string(),
                    (x + 0.08, t(*e)),
                    ("sans-serif", 10).into_font().color(&INK),
                )))?;
                line.push((x, t(*e)));
            }
            None => {
                chart.draw_series(std::iter::once(Text::new(
                    format!("withheld {}", letter(Some(*st))),
                    (x - 0.2, middle),
                    ("sans-serif", 9).into_font().color(&GREY),
                )))?;
            }
        }
    }
    chart.draw_series(std::iter::once(PathElement::new(
        line,
        GREY.stroke_width(1),
    )))?;
    Ok(())
}
