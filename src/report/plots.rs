//! Drawing the report's figures with `plotters`: SVG for report.html, PNG for slides. The text is
//! measured (and, in PNGs, drawn) with an embedded subset of DejaVu Sans, so no system font is
//! needed and the same inputs give the same bytes. Status is shown by marker shape and a letter as
//! well as colour, for greyscale printing and colour-blind readers.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::figures::{Forest, Heat, NeedPlot, Panel, Reliability, Roc, Row, Scale};
use crate::triggers::Status;

pub(crate) type Res = Result<(), Box<dyn std::error::Error>>;

static FONT: &[u8] = include_bytes!("../../assets/DejaVuSans-subset.ttf");

fn fonts() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // The font is part of the binary: a failure here is a build defect, seen by every test.
        let ok = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT).is_ok();
        assert!(ok, "the embedded font does not load");
    });
}

pub(crate) const INK: RGBColor = RGBColor(30, 30, 30);
pub(crate) const GREY: RGBColor = RGBColor(120, 120, 120);
pub(crate) const BAND: RGBColor = RGBColor(200, 225, 200);

/// A status's colour (Okabe–Ito-like, distinct in greyscale by marker).
pub(crate) fn colour(s: Option<Status>) -> RGBColor {
    match s {
        Some(Status::Remediate) => RGBColor(178, 24, 43),
        Some(Status::Monitor) => RGBColor(213, 94, 0),
        Some(Status::Pass) => RGBColor(0, 114, 60),
        Some(Status::InsufficientData) | Some(Status::NotAssessed) => GREY,
        None => RGBColor(0, 90, 160),
    }
}

/// The letter a heat-map cell carries with its colour.
pub fn letter(s: Option<Status>) -> &'static str {
    match s {
        Some(Status::Remediate) => "R",
        Some(Status::Monitor) => "M",
        Some(Status::Pass) => "P",
        Some(Status::InsufficientData) => "?",
        Some(Status::NotAssessed) | None => "",
    }
}

/// An SVG drawing of `size` by `draw`.
pub(crate) fn svg(
    size: (u32, u32),
    draw: impl Fn(&DrawingArea<SVGBackend, Shift>) -> Res,
) -> String {
    fonts();
    let mut s = String::new();
    {
        let root = SVGBackend::with_string(&mut s, size).into_drawing_area();
        // Drawing into a string fails only on a font error, which `fonts` rules out.
        let _ = draw(&root).and_then(|_| root.present().map_err(Into::into));
    }
    s
}

/// A PNG of `size` by `draw`.
pub(crate) fn png(
    size: (u32, u32),
    draw: impl Fn(&DrawingArea<BitMapBackend, Shift>) -> Res,
) -> Vec<u8> {
    fonts();
    let (w, h) = size;
    let mut px = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut px, size).into_drawing_area();
        let _ = draw(&root).and_then(|_| root.present().map_err(Into::into));
    }
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let written = enc
        .write_header()
        .and_then(|mut wr| wr.write_image_data(&px).and_then(|_| wr.finish()));
    if written.is_err() {
        return Vec::new();
    }
    out
}

const LABEL_W: i32 = 250;
const PANEL_W: i32 = 230;
const ROW_H: i32 = 22;
const TOP: i32 = 44;
const BOTTOM: i32 = 36;

fn forest_size(f: &Forest) -> (u32, u32) {
    let rows = f.panels.first().map_or(0, |p| p.rows.len()) as i32;
    (
        (LABEL_W + PANEL_W * f.panels.len() as i32) as u32,
        (TOP + rows * ROW_H + BOTTOM) as u32,
    )
}

pub fn forest_svg(f: &Forest) -> String {
    svg(forest_size(f), |root| draw_forest(root, f))
}

pub fn forest_png(f: &Forest) -> Vec<u8> {
    png(forest_size(f), |root| draw_forest(root, f))
}

pub(crate) fn text_style(size: f64, c: RGBColor, h: HPos) -> TextStyle<'static> {
    ("sans-serif", size)
        .into_font()
        .color(&c)
        .pos(Pos::new(h, VPos::Center))
}

fn draw_forest<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, f: &Forest) -> Res
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let head = text_style(13.0, INK, HPos::Left);
    root.draw(&Text::new(
        format!(
            "{}, {}: each group against {}",
            f.attribute,
            if f.part == "score" {
                "risk score"
            } else {
                "decision"
            },
            f.reference
        ),
        (8, 14),
        head,
    ))?;
    let Some(first) = f.panels.first() else {
        return Ok(());
    };
    let label = text_style(11.0, INK, HPos::Right);
    for (i, r) in first.rows.iter().enumerate() {
        let y = TOP + i as i32 * ROW_H + ROW_H / 2;
        root.draw(&Text::new(
            shorten(&r.label, 40),
            (LABEL_W - 8, y),
            label.clone(),
        ))?;
    }
    for (k, p) in f.panels.iter().enumerate() {
        draw_panel(root, p, LABEL_W + k as i32 * PANEL_W)?;
    }
    Ok(())
}

/// `s` in at most `n` characters: cut in the middle, keeping a crossed label's last part
/// (`Pooled (Ameri… × Female`), so two labels that differ at the end stay apart.
pub(crate) fn shorten(s: &str, n: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= n {
        return s.to_string();
    }
    let tail = s
        .rfind(" × ")
        .map_or(0, |i| s[i..].chars().count())
        .min(n / 2);
    let head: String = chars[..n - 1 - tail].iter().collect();
    let end: String = chars[chars.len() - tail..].iter().collect();
    format!("{head}…{end}")
}

/// A panel's axis: its range and the map from values to pixels.
struct Axis {
    scale: Scale,
    lo: f64,
    hi: f64,
    x0: i32,
    width: i32,
}

impl Axis {
    fn new(p: &Panel, x0: i32) -> Axis {
        let centre = if p.scale == Scale::Ratio { 1.0 } else { 0.0 };
        let mut vals = vec![centre];
        vals.extend(p.band.0);
        vals.extend(p.band.1);
        for r in &p.rows {
            if let Some((v, l, h)) = r.value {
                vals.extend([v, l, h]);
            }
        }
        let (clo, chi) = if p.scale == Scale::Ratio {
            (0.1, 10.0)
        } else {
            (-100.0, 100.0)
        };
        let vals: Vec<f64> = vals
            .into_iter()
            .filter(|v| v.is_finite())
            .map(|v| v.clamp(clo, chi))
            .collect();
        let lo = vals.iter().cloned().fold(f64::MAX, f64::min);
        let hi = vals.iter().cloned().fold(f64::MIN, f64::max);
        let (lo, hi) = if p.scale == Scale::Ratio {
            let (a, b) = (lo.ln(), hi.ln());
            let pad = ((b - a) * 0.08).max(0.05);
            ((a - pad).exp(), (b + pad).exp())
        } else {
            let pad = ((hi - lo) * 0.08).max(0.5);
            (lo - pad, hi + pad)
        };
        Axis {
            scale: p.scale,
            lo,
            hi,
            x0: x0 + 14,
            width: PANEL_W - 28,
        }
    }

    fn t(&self, v: f64) -> f64 {
        if self.scale == Scale::Ratio {
            v.max(1e-9).ln()
        } else {
            v
        }
    }

    fn x(&self, v: f64) -> i32 {
        let v = v.clamp(self.lo, self.hi);
        let f = (self.t(v) - self.t(self.lo)) / (self.t(self.hi) - self.t(self.lo));
        self.x0 + (f * self.width as f64).round() as i32
    }

    fn ticks(&self) -> Vec<f64> {
        if self.scale == Scale::Ratio {
            [0.1, 0.2, 0.5, 0.8, 1.0, 1.25, 2.0, 5.0, 10.0]
                .into_iter()
                .filter(|v| *v >= self.lo && *v <= self.hi)
                .collect()
        } else {
            let raw = (self.hi - self.lo) / 4.0;
            let mag = 10f64.powf(raw.log10().floor());
            let step = [1.0, 2.0, 5.0, 10.0]
                .into_iter()
                .map(|m| m * mag)
                .find(|s| *s >= raw)
                .unwrap_or(10.0 * mag);
            let start = (self.lo / step).ceil() as i64;
            let end = (self.hi / step).floor() as i64;
            (start..=end).map(|i| i as f64 * step).collect()
        }
    }
}

fn draw_panel<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, p: &Panel, x0: i32) -> Res
where
    DB::ErrorType: 'static,
{
    let ax = Axis::new(p, x0);
    let n = p.rows.len() as i32;
    let (y0, y1) = (TOP, TOP + n * ROW_H);
    let title = text_style(11.0, INK, HPos::Center);
    root.draw(&Text::new(
        shorten(&p.title, 34),
        (x0 + PANEL_W / 2, TOP - 12),
        title,
    ))?;
    let (bl, bh) = (
        p.band.0.map_or(ax.lo, |v| v.max(ax.lo)),
        p.band.1.map_or(ax.hi, |v| v.min(ax.hi)),
    );
    root.draw(&Rectangle::new(
        [(ax.x(bl), y0), (ax.x(bh), y1)],
        BAND.filled(),
    ))?;
    let centre = if p.scale == Scale::Ratio { 1.0 } else { 0.0 };
    root.draw(&PathElement::new(
        vec![(ax.x(centre), y0), (ax.x(centre), y1)],
        INK.stroke_width(1),
    ))?;
    root.draw(&PathElement::new(
        vec![(ax.x0, y1), (ax.x0 + ax.width, y1)],
        GREY.stroke_width(1),
    ))?;
    let tick = text_style(10.0, GREY, HPos::Center);
    for t in ax.ticks() {
        let x = ax.x(t);
        root.draw(&PathElement::new(
            vec![(x, y1), (x, y1 + 4)],
            GREY.stroke_width(1),
        ))?;
        let s = if p.scale == Scale::Ratio {
            format!("{t}")
        } else {
            format!("{t:+}")
        };
        root.draw(&Text::new(s, (x, y1 + 13), tick.clone()))?;
    }
    let unit = match p.scale {
        Scale::Ratio => "ratio (log scale)",
        Scale::Difference => "difference",
    };
    root.draw(&Text::new(
        unit,
        (x0 + PANEL_W / 2, y1 + 27),
        text_style(10.0, GREY, HPos::Center),
    ))?;
    for (i, r) in p.rows.iter().enumerate() {
        draw_row(root, &ax, r, TOP + i as i32 * ROW_H + ROW_H / 2)?;
    }
    Ok(())
}

fn draw_row<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, ax: &Axis, r: &Row, y: i32) -> Res
where
    DB::ErrorType: 'static,
{
    let Some((v, l, h)) = r.value else {
        let t = text_style(10.0, GREY, HPos::Center);
        root.draw(&Text::new(r.note, (ax.x0 + ax.width / 2, y), t))?;
        return Ok(());
    };
    let c = colour(r.status);
    root.draw(&PathElement::new(
        vec![(ax.x(l), y), (ax.x(h), y)],
        c.stroke_width(2),
    ))?;
    let x = ax.x(v);
    match r.status {
        Some(Status::Remediate) => root.draw(&Rectangle::new(
            [(x - 4, y - 4), (x + 4, y + 4)],
            c.filled(),
        ))?,
        Some(Status::Monitor) => root.draw(&TriangleMarker::new((x, y), 6, c.filled()))?,
        Some(Status::Pass) => root.draw(&Circle::new((x, y), 4, c.filled()))?,
        Some(_) => root.draw(&Circle::new((x, y), 4, c.stroke_width(2)))?,
        None => root.draw(&Polygon::new(
            vec![(x, y - 5), (x + 5, y), (x, y + 5), (x - 5, y)],
            c.stroke_width(2),
        ))?,
    }
    Ok(())
}

const CELL_W: i32 = 92;
const CELL_H: i32 = 26;
const HEAT_LEFT: i32 = 260;

fn heat_title(h: &Heat) -> String {
    format!(
        "{}: {} (difference in points against {})",
        h.attribute, h.metric, h.reference
    )
}

fn heat_size(h: &Heat) -> (u32, u32) {
    let title = 16 + 7 * heat_title(h).chars().count() as i32;
    (
        (HEAT_LEFT + CELL_W * h.cols.len() as i32 + 10).max(title) as u32,
        (50 + CELL_H * h.rows.len() as i32 + 30) as u32,
    )
}

pub fn heat_svg(h: &Heat) -> String {
    svg(heat_size(h), |root| draw_heat(root, h))
}

pub fn heat_png(h: &Heat) -> Vec<u8> {
    png(heat_size(h), |root| draw_heat(root, h))
}

fn tint(s: Option<Status>) -> RGBColor {
    match s {
        Some(Status::Remediate) => RGBColor(244, 165, 130),
        Some(Status::Monitor) => RGBColor(253, 219, 199),
        Some(Status::Pass) => RGBColor(217, 240, 211),
        Some(_) => RGBColor(235, 235, 235),
        None => WHITE,
    }
}

fn draw_heat<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, h: &Heat) -> Res
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    root.draw(&Text::new(
        heat_title(h),
        (8, 14),
        text_style(13.0, INK, HPos::Left),
    ))?;
    let top = 50;
    let centre = text_style(11.0, INK, HPos::Center);
    for (j, c) in h.cols.iter().enumerate() {
        let x = HEAT_LEFT + j as i32 * CELL_W + CELL_W / 2;
        root.draw(&Text::new(shorten(c, 14), (x, top - 10), centre.clone()))?;
    }
    for (i, r) in h.rows.iter().enumerate() {
        let y = top + i as i32 * CELL_H;
        root.draw(&Text::new(
            shorten(r, 40),
            (HEAT_LEFT - 8, y + CELL_H / 2),
            text_style(11.0, INK, HPos::Right),
        ))?;
        for (j, (text, status)) in h.cells[i].iter().enumerate() {
            let x = HEAT_LEFT + j as i32 * CELL_W;
            root.draw(&Rectangle::new(
                [(x, y), (x + CELL_W, y + CELL_H)],
                tint(*status).filled(),
            ))?;
            root.draw(&Rectangle::new(
                [(x, y), (x + CELL_W, y + CELL_H)],
                WHITE.stroke_width(2),
            ))?;
            let t = format!("{text} {}", letter(*status));
            root.draw(&Text::new(
                t.trim().to_string(),
                (x + CELL_W / 2, y + CELL_H / 2),
                centre.clone(),
            ))?;
        }
    }
    let y = top + h.rows.len() as i32 * CELL_H + 16;
    root.draw(&Text::new(
        "R remediate · M monitor · P pass · ? too few to judge",
        (8, y),
        text_style(10.0, GREY, HPos::Left),
    ))?;
    Ok(())
}

const OKABE_ITO: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(230, 159, 0),
    RGBColor(0, 0, 0),
    RGBColor(240, 228, 66),
];

pub fn reliability_svg(r: &Reliability) -> String {
    svg((460, 400), |root| draw_reliability(root, r))
}

pub fn reliability_png(r: &Reliability) -> Vec<u8> {
    png((460, 400), |root| draw_reliability(root, r))
}

fn draw_reliability<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, r: &Reliability) -> Res
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(root)
        .caption(
            format!("{}: observed against predicted", r.attribute),
            ("sans-serif", 13),
        )
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(40)
        .build_cartesian_2d(0f64..1f64, 0f64..1f64)?;
    chart
        .configure_mesh()
        .x_desc("mean predicted risk")
        .y_desc("observed rate")
        .label_style(("sans-serif", 10))
        .light_line_style(WHITE)
        .draw()?;
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(0.0, 0.0), (1.0, 1.0)],
        GREY.stroke_width(1),
    )))?;
    for (k, (group, pts)) in r.curves.iter().enumerate() {
        let c = OKABE_ITO[k % OKABE_ITO.len()];
        chart
            .draw_series(LineSeries::new(pts.iter().copied(), c.stroke_width(2)).point_size(3))?
            .label(shorten(group, 30))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], c.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(("sans-serif", 10))
        .background_style(WHITE.mix(0.85))
        .border_style(GREY)
        .draw()?;
    Ok(())
}

pub fn roc_svg(r: &Roc) -> String {
    svg((460, 420), |root| draw_roc(root, r))
}

pub fn roc_png(r: &Roc) -> Vec<u8> {
    png((460, 420), |root| draw_roc(root, r))
}

fn draw_roc<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, r: &Roc) -> Res
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let (top, bottom) = root.split_vertically(400);
    let mut chart = ChartBuilder::on(&top)
        .caption(
            format!("{}: ROC through the operating points", r.attribute),
            ("sans-serif", 13),
        )
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(40)
        .build_cartesian_2d(0f64..1f64, 0f64..1f64)?;
    chart
        .configure_mesh()
        .x_desc("false-positive rate")
        .y_desc("true-positive rate")
        .label_style(("sans-serif", 10))
        .light_line_style(WHITE)
        .draw()?;
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(0.0, 0.0), (1.0, 1.0)],
        GREY.stroke_width(1),
    )))?;
    for (k, (group, auc, pts)) in r.curves.iter().enumerate() {
        let c = OKABE_ITO[k % OKABE_ITO.len()];
        let label = match auc {
            Some(v) => format!("{} (AUROC {v:.3})", shorten(group, 26)),
            None => shorten(group, 30),
        };
        chart
            .draw_series(LineSeries::new(pts.iter().copied(), c.stroke_width(2)).point_size(3))?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], c.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .label_font(("sans-serif", 10))
        .background_style(WHITE.mix(0.85))
        .border_style(GREY)
        .draw()?;
    bottom.draw(&Text::new(
        format!("points: {}", r.cutoffs.join(", ")),
        (10, 10),
        text_style(10.0, BLACK, HPos::Left),
    ))?;
    Ok(())
}

pub fn need_svg(n: &NeedPlot) -> String {
    svg((520, 400), |root| draw_need(root, n))
}

pub fn need_png(n: &NeedPlot) -> Vec<u8> {
    png((520, 400), |root| draw_need(root, n))
}

fn draw_need<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, n: &NeedPlot) -> Res
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let pts = n.curves.iter().flat_map(|(_, p)| p);
    let lo = pts.clone().map(|p| p.2).fold(f64::MAX, f64::min);
    let hi = pts.map(|p| p.3).fold(f64::MIN, f64::max);
    // An axis over a non-finite span never finishes its tick marks: no plot rather than a hang.
    if !((hi - lo) * 1.1).is_finite() {
        return Ok(());
    }
    let pad = ((hi - lo) * 0.05).max(1e-9);
    let mut chart = ChartBuilder::on(root)
        .caption(
            format!("{}: mean need at equal score", n.attribute),
            ("sans-serif", 13),
        )
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(45)
        .build_cartesian_2d(0.5f64..(n.bins as f64 + 0.5), (lo - pad)..(hi + pad))?;
    chart
        .configure_mesh()
        .x_desc("equal-score bin (1 = lowest scores)")
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_desc("mean need")
        .label_style(("sans-serif", 10))
        .light_line_style(WHITE)
        .draw()?;
    let k = n.curves.len() as f64;
    for (i, (group, p)) in n.curves.iter().enumerate() {
        let c = OKABE_ITO[i % OKABE_ITO.len()];
        // Groups side by side within a bin, so their intervals do not hide each other.
        let dx = (i as f64 - (k - 1.0) / 2.0) * 0.08;
        chart.draw_series(p.iter().map(|&(b, _, l, h)| {
            PathElement::new(vec![(b + dx, l), (b + dx, h)], c.stroke_width(1))
        }))?;
        chart
            .draw_series(
                LineSeries::new(p.iter().map(|&(b, m, _, _)| (b + dx, m)), c.stroke_width(2))
                    .point_size(3),
            )?
            .label(shorten(group, 30))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], c.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(("sans-serif", 10))
        .background_style(WHITE.mix(0.85))
        .border_style(GREY)
        .draw()?;
    Ok(())
}
