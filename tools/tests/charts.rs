//! Charts: SVG drawn from the registry's `[[chart]]` entries.

mod common;

use booktools::chart::{self, Line};
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
fn a_line_chart_has_its_title_series_and_a_white_background() {
    let (registry, measurements) = fixture();
    let svg =
        chart::render(registry.chart("scale-cost").unwrap(), &measurements).unwrap();
    assert!(
        svg.starts_with("<svg width=\"720\" height=\"420\" viewBox=\"0 0 720 420\"")
    );
    assert!(svg.trim_end().ends_with("</svg>"));
    assert!(svg.contains(
        r##"<rect x="0" y="0" width="720" height="420" opacity="1" fill="#FFFFFF""##
    ));
    for text in [
        "Spawn cost per unit",
        "threads",
        "tasks",
        "time per unit",
        "units",
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
        "median time",
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
