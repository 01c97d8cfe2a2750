//! Charts drawn from a registry `[[chart]]` and the measurements, as SVG text.
//!
//! Drawn with plotters' SVG backend: without its `ttf` feature plotters
//! estimates text sizes itself and writes `<text>` elements that the browser
//! sets in its own sans-serif, so no system font is needed and the same input
//! always gives the same bytes. A white background keeps the chart readable
//! in mdBook's dark themes.

use std::collections::BTreeMap;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::measurements::{Measurements, Unit, Value};
use crate::registry::{self, Chart, ChartKind};
use crate::units::format_value;

pub const WIDTH: u32 = 720;
pub const HEIGHT: u32 = 420;

const FONT: &str = "sans-serif";

/// Okabe–Ito colours: distinguishable with the common colour-vision deficiencies.
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

/// The chart as a complete SVG document.
pub fn render(chart: &Chart, measurements: &Measurements) -> Result<String, String> {
    let fail = |message: String| {
        format!(
            "chart `{}` ({}): {message}",
            chart.id,
            registry::location(chart.line)
        )
    };
    match chart.kind {
        ChartKind::Lines => {
            let (lines, unit) = lines(chart, measurements).map_err(fail)?;
            draw_lines(chart, &lines, unit).map_err(fail)
        }
        ChartKind::Bars => {
            let (bars, unit) = bars(chart, measurements).map_err(fail)?;
            draw_bars(chart, &bars, unit).map_err(fail)
        }
    }
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

/// The powers of ten around `min..=max`, so log axes start and end on a decade.
fn decades(min: f64, max: f64) -> (f64, f64) {
    let low = 10f64.powf(min.log10().floor());
    let high = 10f64.powf(max.log10().ceil());
    if high > low {
        (low, high)
    } else {
        (low, low * 10.0)
    }
}

/// What drawing on plotters' SVG backend can fail with.
type DrawError = Box<dyn std::error::Error>;

/// A `width` x `height` SVG document: a white page with the chart's title,
/// the rest of it drawn by `draw` on the area under the title.
fn svg(
    chart: &Chart,
    (width, height): (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), DrawError>,
) -> Result<String, String> {
    let mut svg = String::new();
    let drawn = (|| -> Result<(), DrawError> {
        let root =
            SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE)?;
        draw(&root.titled(&chart.title, (FONT, 22))?)?;
        root.present()?;
        Ok(())
    })();
    drawn.map_err(|e| e.to_string())?;
    Ok(svg)
}

fn draw_lines(chart: &Chart, lines: &[Line], unit: Unit) -> Result<String, String> {
    let all = || lines.iter().flat_map(|line| line.points.iter());
    let (x_low, x_high) = decades(
        all().map(|p| p.0).fold(f64::INFINITY, f64::min),
        all().map(|p| p.0).fold(0.0, f64::max),
    );
    let (y_low, y_high) = decades(
        all().map(|p| p.1).fold(f64::INFINITY, f64::min),
        all().map(|p| p.1).fold(0.0, f64::max),
    );
    let legend_width = label_width(lines.iter().map(|l| l.label.as_str())) + 40;
    svg(chart, (WIDTH, HEIGHT), |titled| {
        let (plot_area, legend_area) =
            titled.split_horizontally(WIDTH - legend_width);
        let mut plot = ChartBuilder::on(&plot_area)
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(84)
            .build_cartesian_2d(
                (x_low..x_high).log_scale(),
                (y_low..y_high).log_scale(),
            )?;
        let x_desc = chart.x_label.clone().unwrap_or_default();
        plot.configure_mesh()
            .x_desc(x_desc)
            .y_desc(&chart.y_label)
            .x_label_formatter(&|x| compact_count(*x))
            .y_label_formatter(&|y| format_value(*y, unit))
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 15))
            .light_line_style(WHITE.mix(0.0))
            .bold_line_style(BLACK.mix(0.12))
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
        // Align the legend with the top of the plot.
        let plot_top = plot.plotting_area().get_pixel_range().1.start;
        let top = plot_top - legend_area.get_pixel_range().1.start;
        draw_legend(&legend_area, lines.iter().map(|l| l.label.as_str()), top)
    })
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

/// Pixels for the longest label at 14 px (a generous estimate: the browser
/// chooses the font).
fn label_width<'a>(labels: impl Iterator<Item = &'a str>) -> u32 {
    let longest = labels.map(|l| l.chars().count()).max().unwrap_or(0) as u32;
    (longest * 15 / 2).clamp(60, WIDTH / 3)
}

/// The legend beside the plot, where it can never hide a line.
fn draw_legend<'a>(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    labels: impl Iterator<Item = &'a str>,
    top: i32,
) -> Result<(), DrawError> {
    for ((i, label), color) in labels.enumerate().zip(PALETTE.iter().cycle()) {
        let y = top + 8 + 24 * i as i32;
        let sample = PathElement::new(vec![(4, y), (28, y)], color.stroke_width(3));
        area.draw(&sample)?;
        area.draw(&Circle::new((16, y), 3, color.filled()))?;
        let style =
            TextStyle::from((FONT, 14)).pos(Pos::new(HPos::Left, VPos::Center));
        area.draw(&Text::new(label.to_string(), (34, y), style))?;
    }
    Ok(())
}

/// Horizontal bars, first at the top, so long labels fit; each bar's value
/// is printed at its end.
fn draw_bars(
    chart: &Chart,
    bars: &[(String, f64)],
    unit: Unit,
) -> Result<String, String> {
    let max = bars.iter().map(|b| b.1).fold(0.0, f64::max);
    // Room right of the longest bar for its value.
    let x_high = if max > 0.0 { max * 1.2 } else { 1.0 };
    let last = bars.len().saturating_sub(1);
    // Segment `i` (counted from the bottom) shows bar `last - i`.
    let bar_at = |segment: usize| bars.get(last.checked_sub(segment)?);
    // A few bars need less height than a full chart.
    let height = (130 + 60 * bars.len() as u32).min(HEIGHT);
    svg(chart, (WIDTH, height), |titled| {
        let mut plot = ChartBuilder::on(titled)
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(label_width(bars.iter().map(|b| b.0.as_str())) + 16)
            .build_cartesian_2d(0.0..x_high, (0..last).into_segmented())?;
        let label_of = |segment: &SegmentValue<usize>| match segment {
            SegmentValue::CenterOf(i) => {
                bar_at(*i).map(|b| b.0.clone()).unwrap_or_default()
            }
            _ => String::new(),
        };
        plot.configure_mesh()
            .disable_y_mesh()
            .x_desc(&chart.y_label)
            .y_desc(chart.x_label.clone().unwrap_or_default())
            .x_label_formatter(&|x| format_value(*x, unit))
            .y_label_formatter(&label_of)
            .y_labels(bars.len())
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 15))
            .light_line_style(WHITE.mix(0.0))
            .bold_line_style(BLACK.mix(0.12))
            .draw()?;
        let value_style =
            TextStyle::from((FONT, 14)).pos(Pos::new(HPos::Left, VPos::Center));
        for segment in 0..=last {
            let Some((_, value)) = bar_at(segment) else {
                continue;
            };
            let color = PALETTE[(last - segment) % PALETTE.len()];
            let mut bar = Rectangle::new(
                [
                    (0.0, SegmentValue::Exact(segment)),
                    (*value, SegmentValue::Exact(segment + 1)),
                ],
                color.filled(),
            );
            bar.set_margin(8, 8, 0, 0);
            plot.draw_series(std::iter::once(bar))?;
            let label = EmptyElement::at((*value, SegmentValue::CenterOf(segment)))
                + Text::new(format_value(*value, unit), (6, 0), value_style.clone());
            plot.draw_series(std::iter::once(label))?;
        }
        Ok(())
    })
}
