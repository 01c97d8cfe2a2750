//! Charts: SVG drawn from the registry's `[[chart]]` entries.

mod common;

use booktools::chart::{self, Axis, Line};
use booktools::measurements::{Measurements, Unit};
use booktools::registry::Registry;
use common::{CLAIMS, measurements_json};

fn fixture() -> (Registry, Measurements) {
    let registry = Registry::parse(CLAIMS).unwrap();
    let measurements = serde_json::from_str(&measurements_json(31_234.0)).unwrap();
    (registry, measurements)
}

#[test]
fn the_same_input_draws_the_same_bytes() {
    let (registry, measurements) = fixture();
    for chart in &registry.charts {
        let first = chart::render(chart, &measurements).unwrap();
        let second = chart::render(chart, &measurements).unwrap();
        assert_eq!(first, second, "chart {}", chart.id);
    }
}

#[test]
fn a_line_chart_has_its_title_series_and_takes_the_page_colours() {
    let (registry, measurements) = fixture();
    let svg =
        chart::render(registry.chart("scale-cost").unwrap(), &measurements).unwrap();
    // It fills the page's width (up to its own), keeping its proportions.
    assert!(
        svg.starts_with(
            "<svg class=\"measured-chart\" width=\"100%\" style=\"max-width: 560px; height: auto\" viewBox=\"0 0 560 "
        ),
        "{svg}"
    );
    assert!(svg.trim_end().ends_with("</svg>"));
    // No white page and no black ink: text and rules take the theme's colour.
    assert!(
        !svg.contains("#FFFFFF") && !svg.contains("#000000"),
        "{svg}"
    );
    assert!(svg.contains(r#"fill="currentColor""#), "{svg}");
    // A blank line would end the HTML block in the middle of the chart.
    assert!(!svg.contains("\n\n"));
    for text in [
        "Spawn cost per unit",
        "threads",
        "tasks",
        "time per unit (log scale)",
        "units (log scale)",
        "100k",
    ] {
        assert!(
            svg.contains(&format!("\n{text}\n")),
            "no text {text:?} in {svg}"
        );
    }
    // One line per series, and its sample in the legend.
    for colour in ["#0072B2", "#D55E00"] {
        let line = format!(
            r#"<polyline fill="none" opacity="1" stroke="{colour}" stroke-width="2""#
        );
        assert_eq!(svg.matches(&line).count(), 1, "{colour} in {svg}");
    }
    assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
}

/// Every font size the SVG asks for, in SVG units.
fn font_sizes(svg: &str) -> Vec<f64> {
    svg.split("font-size=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().parse().unwrap())
        .collect()
}

/// At a 400 px wide phone the chart is about 360 px wide: its smallest text
/// must still be 9 px there.
#[test]
fn text_stays_readable_at_phone_width() {
    let (registry, measurements) = fixture();
    for chart in &registry.charts {
        let svg = chart::render(chart, &measurements).unwrap();
        let smallest = font_sizes(&svg).into_iter().fold(f64::INFINITY, f64::min);
        let at_phone = smallest * 360.0 / f64::from(chart::WIDTH);
        assert!(
            at_phone >= 9.0,
            "chart {}: {smallest} gives {at_phone} px",
            chart.id
        );
    }
}

#[test]
fn lines_take_the_numeric_parameter_as_x_and_divide_per_unit() {
    let (registry, measurements) = fixture();
    let (lines, unit) =
        chart::lines(registry.chart("scale-cost").unwrap(), &measurements).unwrap();
    assert_eq!(unit, Unit::Ns);
    assert_eq!(
        lines[0],
        Line {
            label: "threads".into(),
            // 30 µs per thread at every count; ids sort as text, points by x.
            points: vec![
                (1.0, 30_000.0),
                (10.0, 30_000.0),
                (100.0, 30_000.0),
                (1000.0, 30_000.0)
            ],
        }
    );
    assert_eq!(lines[1].points[0], (1.0, 2400.0));
    assert_eq!(lines[1].points[5], (100_000.0, 400.02));
}

#[test]
fn a_bar_chart_labels_each_bar_and_prints_its_value() {
    let (registry, measurements) = fixture();
    let svg =
        chart::render(registry.chart("spawn-bars").unwrap(), &measurements).unwrap();
    for text in [
        "Spawn &amp; join",
        "thread",
        "task",
        "31.2 µs",
        "372 ns",
        // 31.2 µs against 372 ns: more than ten times, so a log axis.
        "median time (log scale)",
    ] {
        assert!(
            svg.contains(&format!("\n{text}\n")),
            "no text {text:?} in {svg}"
        );
    }
    // Two bars, in the first two palette colours.
    assert!(
        svg.contains(r##"fill="#0072B2""##) && svg.contains(r##"fill="#D55E00""##),
        "{svg}"
    );
}

/// The widths of the bars an SVG draws, top to bottom.
fn bar_widths(svg: &str) -> Vec<f64> {
    svg.lines()
        .filter(|l| l.starts_with("<rect ") && l.contains(r##"fill="#"##))
        .map(|l| {
            l.split("width=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect()
}

#[test]
fn a_log_axis_is_chosen_when_values_span_more_than_ten_times() {
    assert!(!chart::log_axis(&[1.0, 10.0]));
    assert!(chart::log_axis(&[1.0, 10.5]));
    assert!(chart::log_axis(&[372.0, 31_234.0]));
    assert!(
        !chart::log_axis(&[0.0, 31_234.0]),
        "zero cannot be on a log axis"
    );
    assert!(!chart::log_axis(&[5.0]));
    let axis = Axis::for_bars(&[372.0, 31_234.0], Unit::Ns);
    assert!(axis.log);
    // The axis starts below half the smallest value, so its bar has length.
    assert!(
        axis.low <= 372.0 / 2.0 && axis.position(372.0) > 0.1,
        "{axis:?}"
    );
    assert!(!Axis::for_bars(&[3200.0, 31_234.0], Unit::Ns).log);
}

/// With ratio 84, a linear axis would draw the task's bar about 5 px long
/// of 470; on the log axis it is a visible fraction of the thread's.
#[test]
fn the_smallest_bar_is_drawn_at_a_visible_length() {
    let (registry, mut measurements) = fixture();
    let chart = registry.chart("spawn-bars").unwrap();
    let widths = bar_widths(&chart::render(chart, &measurements).unwrap());
    assert_eq!(widths.len(), 2);
    assert!(widths[1] >= widths[0] / 5.0, "{widths:?}");
    // Even a value of zero (which forces a linear axis) leaves a mark.
    measurements.values.get_mut("spawn/task").unwrap().value = 0.0;
    let svg = chart::render(chart, &measurements).unwrap();
    assert!(!svg.contains("(log scale)"), "{svg}");
    let widths = bar_widths(&svg);
    assert!(widths[1] >= chart::MIN_BAR, "{widths:?}");
}

#[test]
fn a_caption_template_is_filled_from_the_measurements() {
    let (_, measurements) = fixture();
    assert_eq!(
        chart::fill(
            "A thread takes {value spawn/thread}, {ratio spawn/thread spawn/task} a task's {value spawn/task}.",
            &measurements
        )
        .unwrap(),
        "A thread takes 31.2 µs, 84× a task's 372 ns."
    );
    let error =
        chart::fill("{ratio spawn/thread memory/task}", &measurements).unwrap_err();
    assert!(error.contains("divides Ns by Bytes"), "{error}");
    let error = chart::fill("{value spawn/thred}", &measurements).unwrap_err();
    assert!(error.contains("`spawn/thred`, which is missing"), "{error}");
    let error = chart::fill("{mean spawn/task}", &measurements).unwrap_err();
    assert!(
        error.contains("neither {value ID} nor {ratio A B}"),
        "{error}"
    );
    let error = chart::fill("{value spawn/task", &measurements).unwrap_err();
    assert!(error.contains("unclosed"), "{error}");
}

#[test]
fn without_a_template_the_caption_compares_largest_and_smallest() {
    let (registry, measurements) = fixture();
    let bars = registry.chart("spawn-bars").unwrap();
    assert_eq!(
        chart::caption(bars, &measurements).unwrap(),
        "Largest: “thread”, 31.2 µs, which is 84× the smallest, “task”, 372 ns."
    );
    // Lines compare where all have a point: threads stop at 1000.
    let lines = registry.chart("scale-cost").unwrap();
    assert_eq!(
        chart::caption(lines, &measurements).unwrap(),
        "At 1k units, “threads” is highest at 30 µs, 75× “tasks”, lowest at 402 ns."
    );
    assert_eq!(
        chart::alt(bars, &measurements).unwrap(),
        "Bar chart of median time, log scale. thread: 31.2 µs; task: 372 ns."
    );
    assert_eq!(
        chart::alt(lines, &measurements).unwrap(),
        "Line chart of time per unit against units, both on log scales. \
         threads: 30 µs at 1, 30 µs at 1k; tasks: 2.4 µs at 1, 400 ns at 100k."
    );
}

#[test]
fn a_series_without_measurements_names_the_chart_and_its_line() {
    let (registry, mut measurements) = fixture();
    measurements
        .values
        .retain(|id, _| !id.starts_with("scale/tasks/"));
    let error = chart::render(registry.chart("scale-cost").unwrap(), &measurements)
        .unwrap_err();
    assert!(
        error.starts_with("chart `scale-cost` (measurements/claims.toml:37): series `tasks` has nothing to draw: no measurement id starts with `scale/tasks/`"),
        "{error}"
    );
}

#[test]
fn a_chart_mixing_units_is_refused() {
    let (registry, mut measurements) = fixture();
    measurements.values.get_mut("spawn/task").unwrap().unit = Unit::Bytes;
    let error = chart::render(registry.chart("spawn-bars").unwrap(), &measurements)
        .unwrap_err();
    assert!(error.contains("one chart, one unit"), "{error}");
}

#[test]
fn a_missing_bar_names_its_measurement() {
    let (registry, mut measurements) = fixture();
    measurements.values.remove("spawn/task");
    let error = chart::render(registry.chart("spawn-bars").unwrap(), &measurements)
        .unwrap_err();
    assert!(
        error.contains(
            "bar `task` needs the measurement `spawn/task`, which is missing"
        ),
        "{error}"
    );
}

/// A probe's fitted value carries the raw points behind it; a series whose
/// prefix names that value draws those points (the value's own id, with no
/// parameter after the prefix, is not a point).
#[test]
fn a_series_naming_a_probe_value_draws_its_raw_points() {
    let registry = Registry::parse(
        r#"
[[source]]
id = "memory"
kind = "probe"
package = "p"
target = "t"

[[chart]]
id = "resident"
title = "Resident memory"
kind = "lines"
y_label = "bytes"
series = [{ label = "threads", prefix = "memory/thread_resident" }]
"#,
    )
    .unwrap();
    let measurements: Measurements = serde_json::from_str(
        r#"{
  "provenance": { "date": "d", "mode": "full", "cpu": "c", "cores": 2, "kernel": "k",
                  "rustc": "r", "crates": {} },
  "values": {
    "memory/thread_resident": { "unit": "bytes", "value": 10000.0,
                                "points": [[500.0, 6000000.0], [250.0, 3500000.0]] },
    "memory/thread_reserved": { "unit": "bytes", "value": 2000000.0 }
  }
}"#,
    )
    .unwrap();
    let (lines, unit) =
        chart::lines(registry.chart("resident").unwrap(), &measurements).unwrap();
    assert_eq!(unit, Unit::Bytes);
    assert_eq!(
        lines[0].points,
        vec![(250.0, 3_500_000.0), (500.0, 6_000_000.0)]
    );
}

#[test]
fn a_registry_caption_is_the_template_filled_and_a_bad_one_names_its_chart() {
    let (_, measurements) = fixture();
    let registry = |caption: &str| {
        Registry::parse(&format!(
            r#"
[[chart]]
id = "spawn"
title = "Spawn"
kind = "bars"
y_label = "median time"
caption = "{caption}"
bars = [{{ label = "thread", measurement = "spawn/thread" }}]
"#
        ))
        .unwrap()
    };
    let good = registry("A thread: {value spawn/thread}.");
    assert_eq!(
        chart::caption(good.chart("spawn").unwrap(), &measurements).unwrap(),
        "A thread: 31.2 µs."
    );
    let bad = registry("{ratio spawn/thread spawn/tusk}");
    let error =
        chart::caption(bad.chart("spawn").unwrap(), &measurements).unwrap_err();
    assert!(
        error.starts_with("chart `spawn` (measurements/claims.toml:3): the caption needs the measurement `spawn/tusk`"),
        "{error}"
    );
}

/// Lines whose values stay within ten times of each other get a linear y
/// axis from zero; x (parameters in decades) stays log.
#[test]
fn a_line_chart_is_linear_in_y_when_its_values_span_ten_times_or_less() {
    let (registry, mut measurements) = fixture();
    let chart = registry.chart("scale-cost").unwrap();
    for (id, value) in measurements.values.iter_mut() {
        if let Some(n) = id.strip_prefix("scale/tasks/") {
            value.value = n.parse::<f64>().unwrap() * 10_000.0;
        }
    }
    let svg = chart::render(chart, &measurements).unwrap();
    assert!(svg.contains("\ntime per unit\n"), "{svg}");
    assert!(!svg.contains("time per unit (log scale)"), "{svg}");
    assert!(svg.contains("\nunits (log scale)\n"), "{svg}");
    assert!(
        svg.contains("\n0 ns\n"),
        "a linear axis starts at zero: {svg}"
    );
    assert!(chart::alt(chart, &measurements).unwrap().starts_with(
        "Line chart of time per unit against units, units on a log scale."
    ),);
}
