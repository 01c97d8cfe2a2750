//! How measured figures are printed: values with units, ratios, thresholds.
//!
//! The book and the command-line tools share these so a figure reads the same
//! everywhere.

use crate::measurements::Unit;

/// `value` scaled to the largest unit it reaches, with 3 significant digits
/// and no trailing zeros: `31.2 µs`, `450 ns`, `9.63 KiB`, `128 B`; a count
/// is a plain number, grouped: `1 000`, `2.5`; a rate is one per second:
/// `95 600/s`.
pub fn format_value(value: f64, unit: Unit) -> String {
    let (scales, next_at): (&[(f64, &str)], f64) = match unit {
        Unit::Ns => (&[(1.0, "ns"), (1e3, "µs"), (1e6, "ms"), (1e9, "s")], 1000.0),
        Unit::Bytes => (
            &[
                (1.0, "B"),
                (1024.0, "KiB"),
                (1024.0 * 1024.0, "MiB"),
                (1024.0 * 1024.0 * 1024.0, "GiB"),
            ],
            1024.0,
        ),
        Unit::Count => return format_count(value),
        Unit::PerSecond => return format!("{}/s", format_count(value)),
    };
    let mut index = scales
        .iter()
        .rposition(|(scale, _)| value.abs() >= *scale)
        .unwrap_or(0);
    // Rounding can reach the next unit: 999.7 ns prints as 1 µs, not 1000 ns.
    while index + 1 < scales.len()
        && round_significant(value / scales[index].0, 3).abs() >= next_at
    {
        index += 1;
    }
    let (scale, name) = scales[index];
    let scaled = value / scale;
    // Whole bytes and nanoseconds need no decimals (1023 B, not 1020 B).
    let number = if index == 0 && scaled.abs() >= 100.0 {
        format!("{scaled:.0}")
    } else {
        significant(scaled, 3)
    };
    format!("{number} {name}")
}

/// A count: whole numbers as they are, others with 3 significant digits;
/// from 1000 on the thousands are grouped by a no-break space, as the book
/// writes `10 000` and as `{{#const}}` prints integers.
fn format_count(value: f64) -> String {
    let text = if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        significant(value, 3)
    };
    match text.parse::<i128>() {
        Ok(whole) => crate::preprocess::constants::group(whole),
        Err(_) => text,
    }
}

/// A measured ratio for the book: 2 significant digits below 10 (`4.2×`),
/// a whole number from 10 on (`84×`).
pub fn format_ratio(ratio: f64) -> String {
    if round_significant(ratio, 2) >= 10.0 {
        format!("{ratio:.0}×")
    } else {
        format!("{}×", significant(ratio, 2))
    }
}

/// A claim's threshold as written in the registry: `20×`, `2.5×`.
pub fn format_threshold(at_least: f64) -> String {
    format!("{}×", shortest(at_least))
}

/// A ratio for terminal output, in ASCII: `84.1x`.
pub fn format_ratio_ascii(ratio: f64) -> String {
    format!("{}x", significant(ratio, 3))
}

/// A threshold for terminal output, in ASCII: `20x`.
pub fn format_threshold_ascii(at_least: f64) -> String {
    format!("{}x", shortest(at_least))
}

/// The shortest form of a number as written by hand: `20`, `2.5`.
fn shortest(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        format!("{value}")
    }
}

/// `value` with `digits` significant digits, trailing zeros dropped. Digits
/// left of the decimal point are never rounded away (12345 stays 12345).
pub fn significant(value: f64, digits: i32) -> String {
    if value == 0.0 || !value.is_finite() {
        return format!("{value}");
    }
    let magnitude = value.abs().log10().floor() as i32;
    let decimals = (digits - 1 - magnitude).max(0) as usize;
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

fn round_significant(value: f64, digits: i32) -> f64 {
    significant(value, digits).parse().unwrap_or(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nanoseconds_scale_to_the_largest_unit_reached() {
        assert_eq!(format_value(31_234.0, Unit::Ns), "31.2 µs");
        assert_eq!(format_value(2_520.4, Unit::Ns), "2.52 µs");
        assert_eq!(format_value(450.2, Unit::Ns), "450 ns");
        assert_eq!(format_value(3.456, Unit::Ns), "3.46 ns");
        assert_eq!(format_value(0.5, Unit::Ns), "0.5 ns");
        assert_eq!(format_value(1_000_000.0, Unit::Ns), "1 ms");
        assert_eq!(format_value(2.5e9, Unit::Ns), "2.5 s");
        assert_eq!(format_value(125e9, Unit::Ns), "125 s");
    }

    #[test]
    fn rounding_up_moves_to_the_next_unit() {
        assert_eq!(format_value(999.7, Unit::Ns), "1 µs");
        assert_eq!(format_value(999_600.0, Unit::Ns), "1 ms");
        assert_eq!(format_value(1023.7, Unit::Bytes), "1 KiB");
    }

    #[test]
    fn bytes_use_binary_units() {
        assert_eq!(format_value(128.0, Unit::Bytes), "128 B");
        assert_eq!(format_value(1023.0, Unit::Bytes), "1023 B");
        assert_eq!(format_value(9.6 * 1024.0, Unit::Bytes), "9.6 KiB");
        assert_eq!(format_value(9_863.0, Unit::Bytes), "9.63 KiB");
        assert_eq!(format_value(8.0 * 1024.0 * 1024.0, Unit::Bytes), "8 MiB");
    }

    #[test]
    fn counts_are_plain_numbers() {
        assert_eq!(format_value(999.0, Unit::Count), "999");
        assert_eq!(format_value(1000.0, Unit::Count), "1\u{a0}000");
        assert_eq!(format_value(10_002.0, Unit::Count), "10\u{a0}002");
        assert_eq!(format_value(2.5, Unit::Count), "2.5");
        assert_eq!(format_value(1.23456, Unit::Count), "1.23");
        assert_eq!(format_value(95600.0, Unit::PerSecond), "95\u{a0}600/s");
        assert_eq!(format_value(-4321.0, Unit::Count), "-4\u{a0}321");
    }

    #[test]
    fn ratios_have_two_significant_digits_below_ten() {
        assert_eq!(format_ratio(84.1), "84×");
        assert_eq!(format_ratio(4.234), "4.2×");
        assert_eq!(format_ratio(9.96), "10×");
        assert_eq!(format_ratio(113.4), "113×");
        assert_eq!(format_ratio(3.0), "3×");
        assert_eq!(format_ratio(0.456), "0.46×");
    }

    #[test]
    fn thresholds_print_as_written() {
        assert_eq!(format_threshold(20.0), "20×");
        assert_eq!(format_threshold(2.5), "2.5×");
        assert_eq!(format_threshold_ascii(20.0), "20x");
        assert_eq!(format_ratio_ascii(84.123), "84.1x");
        assert_eq!(format_ratio_ascii(12.345), "12.3x");
    }
}
