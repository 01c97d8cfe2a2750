//! Charts drawn from a registry `[[chart]]` and the measurements, as SVG text,
//! with the sentence and the `alt` text that say what each chart compares.
//!
//! Drawn with plotters' SVG backend: without its `ttf` feature plotters
//! estimates text sizes itself and writes `<text>` elements that the browser
//! sets in its own sans-serif, so no system font is needed and the same input
//! always gives the same bytes. Text and rules are drawn in `currentColor` on
//! a transparent page, so the chart takes the text colour of whichever mdBook
//! theme shows it (theme/charts.css); the SVG scales with the page
//! (`width="100%"` and a viewBox) and its smallest text, [`TEXT_SIZE`] at
//! [`WIDTH`], stays above 9 px on a 400 px phone screen.

use std::collections::BTreeMap;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::measurements::{Measurements, Unit, Value};
use crate::registry::{self, Chart, ChartKind};
use crate::units::{format_ratio, format_value};

/// The chart's width in SVG units, and the most CSS pixels it takes.
pub const WIDTH: u32 = 560;
/// The plot of a `lines` chart (its legend goes below).
const PLOT_HEIGHT: u32 = 340;
const PAD: i32 = 12;
/// Font sizes in SVG units: about 0.66 of this at a 400 px wide phone.
pub const TEXT_SIZE: u32 = 15;
const TITLE_SIZE: u32 = 19;
/// A bar is never drawn shorter than this (SVG units), so none is invisible.
pub const MIN_BAR: f64 = 4.0;
const BAR_HEIGHT: i32 = 16;
/// Room right of the longest bar for its printed value.
const VALUE_ROOM: i32 = 78;

const FONT: &str = "sans-serif";

/// plotters' SVG backend writes a font size of the requested one over 1.24
/// (plotters-svg-0.3.7/src/svg.rs:410): ask for this to get `size`.
fn font(size: u32) -> (&'static str, f64) {
    (FONT, f64::from(size) * 1.24)
}

/// Okabe–Ito colours: distinguishable with the common colour-vision
/// deficiencies, and readable on both light and dark backgrounds.
const PALETTE: [RGBColor; 6] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
];

/// One line of a `lines` chart: (parameter, value) points in x order.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub label: String,
    pub points: Vec<(f64, f64)>,
}

/// The chart as an SVG document that fills the width it is given.
pub fn render(chart: &Chart, measurements: &Measurements) -> Result<String, String> {
    let fail = |message: String| {
        format!(
            "chart `{}` ({}): {message}",
            chart.id,
            registry::location(chart.line)
        )
    };
    let svg = match chart.kind {
        ChartKind::Lines => {
            let (lines, unit) = lines(chart, measurements).map_err(fail)?;
            draw_lines(chart, &lines, unit).map_err(fail)?
        }
        ChartKind::Bars => {
            let (bars, unit) = bars(chart, measurements).map_err(fail)?;
            draw_bars(chart, &bars, unit).map_err(fail)?
        }
    };
    Ok(themeable(&svg))
}

/// The points of each series: ids `<prefix><number>`, or the raw `points` of
/// the measurement named by the prefix itself (a probe's fitted value).
pub fn lines(
    chart: &Chart,
    measurements: &Measurements,
) -> Result<(Vec<Line>, Unit), String> {
    let mut units = Units::default();
    let mut lines = Vec::new();
    for series in &chart.series {
        let mut points = Vec::new();
        for (id, value) in measurements.values.range(series.prefix.clone()..) {
            let Some(parameter) = id.strip_prefix(&series.prefix) else {
                break;
            };
            // The prefix may name a probe's value itself: its points come below.
            if parameter.is_empty() {
                continue;
            }
            let x: f64 = parameter.parse().map_err(|_| {
                format!("`{id}` has no numeric parameter after `{}`", series.prefix)
            })?;
            units.add(id, value)?;
            let y = if chart.per_unit {
                value.value / x
            } else {
                value.value
            };
            points.push((x, y));
        }
        let whole = measurements.values.get(series.prefix.trim_end_matches('/'));
        if let (true, Some(value)) = (points.is_empty(), whole) {
            units.add(&series.prefix, value)?;
            points = value.points.iter().map(|[x, y]| (*x, *y)).collect();
            if chart.per_unit {
                points.iter_mut().for_each(|(x, y)| *y /= *x);
            }
        }
        if points.is_empty() {
            return Err(format!(
                "series `{}` has nothing to draw: no measurement id starts with `{}`",
                series.label, series.prefix
            ));
        }
        if let Some((x, y)) = points.iter().find(|(x, y)| *x <= 0.0 || *y <= 0.0) {
            return Err(format!(
                "series `{}` has the point ({x}, {y}), which a log-log chart cannot show",
                series.label
            ));
        }
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        lines.push(Line {
            label: series.label.clone(),
            points,
        });
    }
    Ok((lines, units.unit()))
}

/// The (label, value) of each bar, in registry order.
pub fn bars(
    chart: &Chart,
    measurements: &Measurements,
) -> Result<(Vec<(String, f64)>, Unit), String> {
    let mut units = Units::default();
    let mut bars = Vec::new();
    for bar in &chart.bars {
        let value = measurements.values.get(&bar.measurement).ok_or_else(|| {
            format!(
                "bar `{}` needs the measurement `{}`, which is missing",
                bar.label, bar.measurement
            )
        })?;
        units.add(&bar.measurement, value)?;
        bars.push((bar.label.clone(), value.value));
    }
    Ok((bars, units.unit()))
}

/// Checks that a chart compares like with like.
#[derive(Default)]
struct Units(BTreeMap<String, Unit>);

impl Units {
    fn add(&mut self, id: &str, value: &Value) -> Result<(), String> {
        if let Some((other, unit)) =
            self.0.iter().find(|(_, unit)| **unit != value.unit)
        {
            return Err(format!(
                "`{id}` is in {:?} but `{other}` is in {unit:?}: one chart, one unit",
                value.unit
            ));
        }
        self.0.insert(id.to_string(), value.unit);
        Ok(())
    }

    fn unit(&self) -> Unit {
        self.0.values().next().copied().unwrap_or(Unit::Count)
    }
}

/// Whether values need a log axis: when the largest is more than ten times
/// the smallest, a linear axis would draw the smallest as a sliver (or not
/// at all). Decided from the data, so a new measurement cannot make a bar
/// vanish; a value at or below zero forces a linear axis.
pub fn log_axis(values: &[f64]) -> bool {
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(0.0, f64::max);
    min > 0.0 && max > 10.0 * min
}

/// The powers of the unit's base (1024's family for bytes, ten otherwise)
/// used for log axes, so ticks read `1 KiB`, `1 MiB`, never `9.54 MiB`.
fn log_base(unit: Unit) -> f64 {
    if unit == Unit::Bytes { 2.0 } else { 10.0 }
}

/// A value axis: where a value lies on it, from 0 (left) to 1 (right).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Axis {
    pub log: bool,
    pub low: f64,
    pub high: f64,
    base: f64,
}

impl Axis {
    /// The axis for bars of `values`: log when [`log_axis`] says so, starting
    /// at least a factor of two below the smallest value so its bar has length.
    pub fn for_bars(values: &[f64], unit: Unit) -> Axis {
        let max = values.iter().copied().fold(0.0, f64::max);
        let base = log_base(unit);
        if log_axis(values) {
            let min = values.iter().copied().fold(f64::INFINITY, f64::min);
            let low = base.powf((min / 2.0).log(base).floor());
            // Just past the largest value, so the longest bar spans the plot.
            let high = max * 1.1;
            Axis {
                log: true,
                low,
                high,
                base,
            }
        } else {
            let step = linear_step(max, unit);
            let high = if max > 0.0 {
                (max / step).ceil() * step
            } else {
                1.0
            };
            Axis {
                log: false,
                low: 0.0,
                high,
                base,
            }
        }
    }

    pub fn position(&self, value: f64) -> f64 {
        let at = if self.log {
            (value.ln() - self.low.ln()) / (self.high.ln() - self.low.ln())
        } else {
            (value - self.low) / (self.high - self.low)
        };
        if at.is_finite() {
            at.clamp(0.0, 1.0)
        } else {
            0.0
        }
    }

    /// At most seven round values along the axis.
    fn ticks(&self, unit: Unit) -> Vec<f64> {
        if self.log {
            let first = self.low.log(self.base).round() as i32;
            let last = self.high.log(self.base).floor() as i32;
            let steps: &[i32] = if self.base == 2.0 {
                &[1, 2, 5, 10, 20, 30]
            } else {
                &[1, 2, 3, 5, 10]
            };
            let step = steps
                .iter()
                .copied()
                .find(|s| (last - first) / s < 7)
                .unwrap_or(10);
            (first..=last)
                .filter(|e| e.rem_euclid(step) == 0)
                .map(|e| self.base.powi(e))
                .collect()
        } else {
            let step = linear_step(self.high, unit);
            let count = (self.high / step).round() as usize;
            (0..=count).map(|i| i as f64 * step).collect()
        }
    }
}

/// A round step for a linear axis up to `max`: 1, 2 or 5 times a power of
/// ten, or for bytes a power of two.
fn linear_step(max: f64, unit: Unit) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let raw = max / 5.0;
    if unit == Unit::Bytes {
        return 2f64.powf(raw.log2().ceil());
    }
    let power = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * power)
        .find(|step| *step >= raw)
        .unwrap_or(10.0 * power)
}

/// The powers of `base` around `min..=max`, so log axes start and end on one.
fn bounds(min: f64, max: f64, base: f64) -> (f64, f64) {
    let low = base.powf(min.log(base).floor());
    let high = base.powf(max.log(base).ceil());
    if high > low {
        (low, high)
    } else {
        (low, low * base)
    }
}

/// The sentence under the chart: the registry's `caption` with its fields
/// filled, or the largest and smallest values the chart draws.
pub fn caption(
    chart: &Chart,
    measurements: &Measurements,
) -> Result<String, String> {
    let fail = |message: String| {
        format!(
            "chart `{}` ({}): {message}",
            chart.id,
            registry::location(chart.line)
        )
    };
    if let Some(template) = &chart.caption {
        return fill(template, measurements).map_err(fail);
    }
    let quoted = |label: &str| format!("“{label}”");
    match chart.kind {
        ChartKind::Bars => {
            let (bars, unit) = bars(chart, measurements).map_err(fail)?;
            let (Some(big), Some(small)) = (
                bars.iter().max_by(|a, b| a.1.total_cmp(&b.1)),
                bars.iter().min_by(|a, b| a.1.total_cmp(&b.1)),
            ) else {
                return Ok(String::new());
            };
            Ok(format!(
                "Largest: {}, {}, which is {} the smallest, {}, {}.",
                quoted(&big.0),
                format_value(big.1, unit),
                format_ratio(big.1 / small.1),
                quoted(&small.0),
                format_value(small.1, unit)
            ))
        }
        ChartKind::Lines => {
            let (lines, unit) = lines(chart, measurements).map_err(fail)?;
            // The largest parameter every line has a point at, else each one's last.
            let common = lines
                .iter()
                .map(|l| l.points.iter().map(|p| p.0).collect::<Vec<_>>())
                .reduce(|a, b| a.into_iter().filter(|x| b.contains(x)).collect())
                .and_then(|xs| xs.into_iter().reduce(f64::max));
            let at: Vec<(&str, f64)> = lines
                .iter()
                .filter_map(|l| {
                    let point = match common {
                        Some(x) => l.points.iter().find(|p| p.0 == x),
                        None => l.points.last(),
                    };
                    point.map(|p| (l.label.as_str(), p.1))
                })
                .collect();
            let (Some(big), Some(small)) = (
                at.iter().max_by(|a, b| a.1.total_cmp(&b.1)),
                at.iter().min_by(|a, b| a.1.total_cmp(&b.1)),
            ) else {
                return Ok(String::new());
            };
            let place = match common {
                Some(x) => format!(
                    "At {} {}",
                    compact_count(x),
                    chart.x_label.as_deref().unwrap_or("on the x axis")
                ),
                None => "At each line's last point".to_string(),
            };
            Ok(format!(
                "{place}, {} is highest at {}, {} {}, lowest at {}.",
                quoted(big.0),
                format_value(big.1, unit),
                format_ratio(big.1 / small.1),
                quoted(small.0),
                format_value(small.1, unit)
            ))
        }
    }
}

/// A caption template's fields: `{value ID}` and `{ratio A B}`.
pub fn fill(template: &str, measurements: &Measurements) -> Result<String, String> {
    let get = |id: &str| {
        measurements.values.get(id).ok_or_else(|| {
            format!("the caption needs the measurement `{id}`, which is missing")
        })
    };
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').ok_or_else(|| {
            format!("the caption has an unclosed field: `{}`", &rest[start..])
        })? + start;
        let field: Vec<&str> = rest[start + 1..end].split_whitespace().collect();
        match field.as_slice() {
            ["value", id] => {
                let v = get(id)?;
                out.push_str(&format_value(v.value, v.unit));
            }
            ["ratio", a, b] => {
                let (a, b) = (get(a)?, get(b)?);
                if a.unit != b.unit {
                    return Err(format!(
                        "the caption's `{}` divides {:?} by {:?}",
                        &rest[start..=end],
                        a.unit,
                        b.unit
                    ));
                }
                out.push_str(&format_ratio(a.value / b.value));
            }
            _ => {
                return Err(format!(
                    "the caption's field `{}` is neither {{value ID}} nor {{ratio A B}}",
                    &rest[start..=end]
                ));
            }
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The chart in words, for its `alt` text: what is compared and every value.
pub fn alt(chart: &Chart, measurements: &Measurements) -> Result<String, String> {
    match chart.kind {
        ChartKind::Bars => {
            let (bars, unit) = bars(chart, measurements)?;
            let values: Vec<f64> = bars.iter().map(|b| b.1).collect();
            let scale = if log_axis(&values) { ", log scale" } else { "" };
            let each: Vec<String> = bars
                .iter()
                .map(|(label, v)| format!("{label}: {}", format_value(*v, unit)))
                .collect();
            Ok(format!(
                "Bar chart of {}{scale}. {}.",
                chart.y_label,
                each.join("; ")
            ))
        }
        ChartKind::Lines => {
            let (lines, unit) = lines(chart, measurements)?;
            let x = chart.x_label.as_deref().unwrap_or("x");
            let each: Vec<String> = lines
                .iter()
                .map(|l| {
                    let (first, last) = (l.points[0], l.points[l.points.len() - 1]);
                    format!(
                        "{}: {} at {}, {} at {}",
                        l.label,
                        format_value(first.1, unit),
                        compact_count(first.0),
                        format_value(last.1, unit),
                        compact_count(last.0)
                    )
                })
                .collect();
            let ys: Vec<f64> = lines
                .iter()
                .flat_map(|l| l.points.iter().map(|p| p.1))
                .collect();
            let scales = if log_axis(&ys) {
                "both on log scales".to_string()
            } else {
                format!("{x} on a log scale")
            };
            Ok(format!(
                "Line chart of {} against {x}, {scales}. {}.",
                chart.y_label,
                each.join("; ")
            ))
        }
    }
}

/// Black text and rules become `currentColor` on a transparent page, and the
/// document fills its container's width; blank lines (from empty labels),
/// which would end an HTML block in Markdown, are dropped.
fn themeable(svg: &str) -> String {
    let mut out = String::with_capacity(svg.len());
    for line in svg.lines().filter(|l| !l.trim().is_empty()) {
        if line.starts_with("<rect x=\"0\" y=\"0\"")
            && line.contains("fill=\"#FFFFFF\"")
        {
            continue;
        }
        let line = if let Some(rest) = line.strip_prefix("<svg width=\"") {
            // `<svg width="W" height="H" viewBox=...`: keep the viewBox only.
            let view = rest.find("viewBox").map_or("", |at| &rest[at..]);
            format!(
                "<svg class=\"measured-chart\" width=\"100%\" style=\"max-width: {WIDTH}px; height: auto\" {view}"
            )
        } else {
            line.replace("\"#000000\"", "\"currentColor\"")
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// What drawing on plotters' SVG backend can fail with.
type DrawError = Box<dyn std::error::Error>;

/// Breaks `text` into lines of at most `chars` characters, at spaces.
fn wrap(text: &str, chars: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(line)
                if line.chars().count() + 1 + word.chars().count() <= chars =>
            {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    lines
}

/// Characters of `size` px text that fit in `pixels` (a generous estimate of
/// a sans-serif's average width: the browser chooses the font).
fn fitting(pixels: i32, size: u32) -> usize {
    (pixels as f64 / (size as f64 * 0.58)) as usize
}

fn title_lines(chart: &Chart) -> Vec<String> {
    wrap(&chart.title, fitting(WIDTH as i32 - 2 * PAD, TITLE_SIZE))
}

fn text_style(size: u32, h: HPos, v: VPos) -> TextStyle<'static> {
    TextStyle::from(font(size).into_font()).pos(Pos::new(h, v))
}

/// A `WIDTH` x `height` SVG document; `draw` gets the whole page, in pixels,
/// with the title already drawn and the y where the title ends.
fn svg(
    chart: &Chart,
    height: u32,
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>, i32) -> Result<(), DrawError>,
) -> Result<String, String> {
    let mut svg = String::new();
    let drawn = (|| -> Result<(), DrawError> {
        let root =
            SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut y = PAD;
        for line in title_lines(chart) {
            let style = text_style(TITLE_SIZE, HPos::Left, VPos::Top);
            root.draw(&Text::new(line, (PAD, y), style))?;
            y += TITLE_SIZE as i32 + 6;
        }
        draw(&root, y + 6)?;
        root.present()?;
        Ok(())
    })();
    drawn.map_err(|e| e.to_string())?;
    Ok(svg)
}

fn draw_lines(chart: &Chart, lines: &[Line], unit: Unit) -> Result<String, String> {
    let all = || lines.iter().flat_map(|line| line.points.iter());
    let (x_low, x_high) = bounds(
        all().map(|p| p.0).fold(f64::INFINITY, f64::min),
        all().map(|p| p.0).fold(0.0, f64::max),
        10.0,
    );
    let base = log_base(unit);
    let ys: Vec<f64> = all().map(|p| p.1).collect();
    // Parameters go up in decades: x is always log; y only when it spans
    // more than ten times (requests per second do not).
    let y_log = log_axis(&ys);
    let y_max = ys.iter().copied().fold(0.0, f64::max);
    let (y_low, y_high) = if y_log {
        bounds(
            ys.iter().copied().fold(f64::INFINITY, f64::min),
            y_max,
            base,
        )
    } else {
        let step = linear_step(y_max, unit);
        (0.0, (y_max * 1.05 / step).ceil() * step)
    };
    let legend_chars = fitting(WIDTH as i32 - 2 * PAD - 34, TEXT_SIZE);
    let legend: Vec<Vec<String>> =
        lines.iter().map(|l| wrap(&l.label, legend_chars)).collect();
    let row = TEXT_SIZE as i32 + 7;
    let legend_height: i32 = legend.iter().map(|l| l.len() as i32 * row + 4).sum();
    let top = PAD + title_lines(chart).len() as i32 * (TITLE_SIZE as i32 + 6) + 6;
    let height = top + PLOT_HEIGHT as i32 + legend_height + PAD;
    svg(chart, height as u32, |root, top| {
        let plot_area = root.margin(top, 0, 0, 0);
        let (plot_area, legend_area) = plot_area.split_vertically(PLOT_HEIGHT);
        let y_desc = if y_log {
            format!("{} (log scale)", chart.y_label)
        } else {
            chart.y_label.clone()
        };
        // The same drawing on either y axis (plotters gives them different types).
        macro_rules! plot_on {
            ($y:expr) => {{
                let mut plot = ChartBuilder::on(&plot_area)
                    .margin_left(4)
                    .margin_right(20)
                    .margin_top(4)
                    .x_label_area_size(52)
                    .y_label_area_size(86)
                    .build_cartesian_2d((x_low..x_high).log_scale(), $y)?;
                let x_desc = chart.x_label.clone().unwrap_or_default();
                plot.configure_mesh()
                    .x_desc(format!("{x_desc} (log scale)"))
                    .y_desc(y_desc.clone())
                    .x_label_formatter(&|x| compact_count(*x))
                    .y_label_formatter(&|y| tick_label(*y, unit))
                    .x_labels(7)
                    .y_labels(6)
                    .label_style(font(TEXT_SIZE))
                    .axis_desc_style(font(TEXT_SIZE))
                    .light_line_style(WHITE.mix(0.0))
                    .bold_line_style(BLACK.mix(0.15))
                    .axis_style(BLACK.mix(0.6))
                    .draw()?;
                for (line, color) in lines.iter().zip(PALETTE.iter().cycle()) {
                    plot.draw_series(LineSeries::new(
                        line.points.clone(),
                        color.stroke_width(2),
                    ))?;
                    plot.draw_series(
                        line.points
                            .iter()
                            .map(|p| Circle::new(*p, 3, color.filled())),
                    )?;
                }
            }};
        }
        if y_log {
            plot_on!((y_low..y_high).log_scale().base(base));
        } else {
            plot_on!(y_low..y_high);
        }
        draw_legend(&legend_area, &legend, row)
    })
}

/// A value on an axis: a count as `150k`, anything else with its unit.
fn tick_label(value: f64, unit: Unit) -> String {
    if unit == Unit::Count {
        compact_count(value)
    } else {
        format_value(value, unit)
    }
}

/// A parameter on a log axis: `1`, `10`, `100`, `1k`, `10k`, `1M`.
fn compact_count(value: f64) -> String {
    let (scaled, suffix) = match value.abs() {
        v if v >= 1e9 => (value / 1e9, "G"),
        v if v >= 1e6 => (value / 1e6, "M"),
        v if v >= 1e3 => (value / 1e3, "k"),
        _ => (value, ""),
    };
    format!("{}{suffix}", crate::units::significant(scaled, 3))
}

/// The legend under the plot, where it can never hide a line.
fn draw_legend(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    labels: &[Vec<String>],
    row: i32,
) -> Result<(), DrawError> {
    let mut y = 4 + row / 2;
    for (label, color) in labels.iter().zip(PALETTE.iter().cycle()) {
        let sample =
            PathElement::new(vec![(PAD, y), (PAD + 24, y)], color.stroke_width(3));
        area.draw(&sample)?;
        area.draw(&Circle::new((PAD + 12, y), 3, color.filled()))?;
        for line in label {
            let style = text_style(TEXT_SIZE, HPos::Left, VPos::Center);
            area.draw(&Text::new(line.clone(), (PAD + 32, y), style))?;
            y += row;
        }
        y += 4;
    }
    Ok(())
}

/// Horizontal bars, first at the top, each under its label (so long labels
/// fit a phone's width) with its value printed at its end; the value axis is
/// log when the values span more than ten times.
fn draw_bars(
    chart: &Chart,
    bars: &[(String, f64)],
    unit: Unit,
) -> Result<String, String> {
    let values: Vec<f64> = bars.iter().map(|b| b.1).collect();
    let axis = Axis::for_bars(&values, unit);
    let left = PAD;
    let right = WIDTH as i32 - PAD - VALUE_ROOM;
    let length = (right - left) as f64;
    let label_chars = fitting(WIDTH as i32 - 2 * PAD, TEXT_SIZE);
    let labels: Vec<Vec<String>> =
        bars.iter().map(|b| wrap(&b.0, label_chars)).collect();
    let line = TEXT_SIZE as i32 + 5;
    let gap = 12;
    let rows: i32 = labels
        .iter()
        .map(|l| l.len() as i32 * line + BAR_HEIGHT + gap)
        .sum();
    let top = PAD + title_lines(chart).len() as i32 * (TITLE_SIZE as i32 + 6) + 6;
    let height = top + rows + 4 + line + line + 6 + PAD;
    svg(chart, height as u32, |root, top| {
        let bottom = top + rows;
        // Grid lines and tick labels first, so bars and values lie over them.
        let rule = BLACK.mix(0.15);
        let tick_style = text_style(TEXT_SIZE, HPos::Center, VPos::Top);
        for tick in axis.ticks(unit) {
            let x = left + (axis.position(tick) * length).round() as i32;
            root.draw(&PathElement::new(vec![(x, top), (x, bottom)], rule))?;
            let style = if x - left < 30 {
                text_style(TEXT_SIZE, HPos::Left, VPos::Top)
            } else {
                tick_style.clone()
            };
            root.draw(&Text::new(tick_label(tick, unit), (x, bottom + 4), style))?;
        }
        root.draw(&PathElement::new(
            vec![(left, top), (left, bottom)],
            BLACK.mix(0.6),
        ))?;
        let scale = if axis.log { " (log scale)" } else { "" };
        root.draw(&Text::new(
            format!("{}{scale}", chart.y_label),
            ((left + right) / 2, bottom + 4 + line + 6),
            tick_style.clone(),
        ))?;
        let mut y = top;
        for (i, ((_, value), label)) in bars.iter().zip(&labels).enumerate() {
            for text in label {
                let style = text_style(TEXT_SIZE, HPos::Left, VPos::Top);
                root.draw(&Text::new(text.clone(), (left + 4, y + 2), style))?;
                y += line;
            }
            let end = (axis.position(*value) * length).max(MIN_BAR);
            let end = left + end.round() as i32;
            let color = PALETTE[i % PALETTE.len()];
            root.draw(&Rectangle::new(
                [(left, y), (end, y + BAR_HEIGHT)],
                color.filled(),
            ))?;
            let style = text_style(TEXT_SIZE, HPos::Left, VPos::Center);
            root.draw(&Text::new(
                format_value(*value, unit),
                (end + 6, y + BAR_HEIGHT / 2),
                style,
            ))?;
            y += BAR_HEIGHT + gap;
        }
        Ok(())
    })
}
