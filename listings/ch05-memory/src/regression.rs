//! Fitting a straight line through measured points.

// ANCHOR: fit
/// A line `y = slope * x + intercept` fitted by least squares.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fit {
    /// What one more unit of `x` adds to `y`: bytes per thread, say.
    pub slope: f64,
    /// `y` at `x = 0`: what the process holds before any unit exists.
    pub intercept: f64,
    /// Share of the variation in `y` the line explains, 1 for a perfect fit.
    pub r_squared: f64,
}

/// Least-squares line through `points` of `[x, y]`; `None` with fewer than
/// two distinct `x`.
pub fn least_squares(points: &[[f64; 2]]) -> Option<Fit> {
    let n = points.len() as f64;
    let mean_x = points.iter().map(|p| p[0]).sum::<f64>() / n;
    let mean_y = points.iter().map(|p| p[1]).sum::<f64>() / n;
    let (mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0);
    for [x, y] in points {
        sxx += (x - mean_x) * (x - mean_x);
        sxy += (x - mean_x) * (y - mean_y);
        syy += (y - mean_y) * (y - mean_y);
    }
    if points.len() < 2 || sxx == 0.0 {
        return None;
    }
    let slope = sxy / sxx;
    let r_squared = if syy == 0.0 {
        1.0
    } else {
        sxy * sxy / (sxx * syy)
    };
    Some(Fit {
        slope,
        intercept: mean_y - slope * mean_x,
        r_squared,
    })
}
// ANCHOR_END: fit

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_on_a_line_give_that_line_exactly() {
        let points: Vec<[f64; 2]> = [250.0, 500.0, 1000.0, 2000.0]
            .iter()
            .map(|&x| [x, 8192.0 * x + 3_000_000.0])
            .collect();
        let fit = least_squares(&points).unwrap();
        assert_eq!(fit.slope, 8192.0);
        assert_eq!(fit.intercept, 3_000_000.0);
        assert_eq!(fit.r_squared, 1.0);
    }

    #[test]
    fn noise_that_cancels_out_leaves_the_line_alone() {
        // y = 2x + 1 pushed by +1, -1, -1, +1: no trend in the noise.
        let points = [[0.0, 2.0], [1.0, 2.0], [2.0, 4.0], [3.0, 8.0]];
        let fit = least_squares(&points).unwrap();
        assert_eq!((fit.slope, fit.intercept), (2.0, 1.0));
        assert_eq!(fit.r_squared, 100.0 / 120.0);
    }

    #[test]
    fn a_flat_line_has_zero_slope() {
        let fit = least_squares(&[[1.0, 5.0], [2.0, 5.0], [3.0, 5.0]]).unwrap();
        assert_eq!((fit.slope, fit.intercept), (0.0, 5.0));
    }

    #[test]
    fn two_points_are_enough_for_their_line() {
        let fit = least_squares(&[[1.0, 3.0], [3.0, 7.0]]).unwrap();
        assert_eq!((fit.slope, fit.intercept, fit.r_squared), (2.0, 1.0, 1.0));
    }

    #[test]
    fn one_x_is_not_enough_for_a_line() {
        assert_eq!(least_squares(&[]), None);
        assert_eq!(least_squares(&[[1.0, 2.0]]), None);
        assert_eq!(least_squares(&[[1.0, 2.0], [1.0, 3.0]]), None);
    }
}
