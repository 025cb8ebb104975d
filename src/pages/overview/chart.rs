//! The geometry of the overview's charts: buckets of the gateway's history to
//! SVG path data. Pure, and in integers on a fixed canvas the SVG stretches, so
//! no float formatter reaches the bundle.

use std::fmt::Write;

use crate::infra::api::types::{Bucket, Stat};

/// The canvas, in SVG user units; the `<svg>` scales it to its box.
pub const WIDTH: i64 = 1000;
pub const HEIGHT: i64 = 100;

/// The smallest 1, 2 or 5 times a power of ten at or above `v` (at least 1),
/// so a chart's top reads as a round figure.
pub fn nice_ceiling(v: f64) -> f64 {
    let mut step = 1.0;
    loop {
        for m in [1.0, 2.0, 5.0] {
            if v <= m * step {
                return m * step;
            }
        }
        step *= 10.0;
    }
}

/// Where a range of time and a range of values land on the canvas.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    pub from: i64,
    pub to: i64,
    pub bucket: i64,
    /// The value at the top edge.
    pub top: f64,
}

impl Frame {
    /// A frame whose top clears the highest maximum of the `series` given.
    pub fn new(from: i64, to: i64, bucket: i64, buckets: &[Bucket], series: &[usize]) -> Self {
        let highest = buckets
            .iter()
            .flat_map(|b| series.iter().map(|&i| b.stats[i].max))
            .fold(0.0, f64::max);
        Self {
            from,
            to: to.max(from + 1),
            bucket: bucket.max(1),
            top: nice_ceiling(highest),
        }
    }

    pub fn x(&self, t: i64) -> i64 {
        (t.clamp(self.from, self.to) - self.from) * WIDTH / (self.to - self.from)
    }

    /// A bucket is drawn at its middle.
    pub fn x_of(&self, b: &Bucket) -> i64 {
        self.x(b.at + self.bucket / 2)
    }

    pub fn y(&self, v: f64) -> i64 {
        let ratio = (v / self.top).clamp(0.0, 1.0);
        HEIGHT - (ratio * HEIGHT as f64).round() as i64
    }

    /// Runs of buckets without a gap between them (a gateway restart leaves one);
    /// lines and bands break at a gap rather than bridging it.
    pub fn runs<'a>(&self, buckets: &'a [Bucket]) -> Vec<&'a [Bucket]> {
        let mut runs = Vec::new();
        let mut start = 0;
        for i in 1..=buckets.len() {
            if i == buckets.len() || buckets[i].at - buckets[i - 1].at > self.bucket {
                if i > start {
                    runs.push(&buckets[start..i]);
                }
                start = i;
            }
        }
        runs
    }

    /// The line through one figure of each bucket (`pick`: its min, avg or max).
    pub fn line(&self, buckets: &[Bucket], series: usize, pick: fn(&Stat) -> f64) -> String {
        let mut d = String::new();
        for run in self.runs(buckets) {
            for (i, b) in run.iter().enumerate() {
                let (x, y) = (self.x_of(b), self.y(pick(&b.stats[series])));
                let _ = write!(d, "{}{x},{y}", if i == 0 { 'M' } else { 'L' });
            }
            if run.len() == 1 {
                // A lone bucket still shows, as a short dash.
                d.push_str("h4");
            }
        }
        d
    }

    /// The area between each bucket's minimum and maximum: where the figure was.
    pub fn band(&self, buckets: &[Bucket], series: usize) -> String {
        let mut d = String::new();
        for run in self.runs(buckets) {
            for (i, b) in run.iter().enumerate() {
                let (x, y) = (self.x_of(b), self.y(b.stats[series].max));
                let _ = write!(d, "{}{x},{y}", if i == 0 { 'M' } else { 'L' });
            }
            for b in run.iter().rev() {
                let _ = write!(d, "L{},{}", self.x_of(b), self.y(b.stats[series].min));
            }
            d.push('Z');
        }
        d
    }

    /// The time the game was paused, as full-height blocks.
    pub fn paused(&self, buckets: &[Bucket]) -> String {
        let mut d = String::new();
        for b in buckets.iter().filter(|b| b.paused) {
            let (x0, x1) = (self.x(b.at), self.x(b.at + self.bucket));
            let _ = write!(d, "M{x0},0H{x1}V{HEIGHT}H{x0}Z");
        }
        d
    }

    /// Gridlines: one across the chart at each value, one down it at each time.
    pub fn grid(&self, values: &[f64], times: &[i64]) -> String {
        let mut d = String::new();
        for &v in values {
            let _ = write!(d, "M0,{}H{WIDTH}", self.y(v));
        }
        for &t in times {
            d.push_str(&self.rule(t));
        }
        d
    }

    /// The full-width band of values from `low` to `high` (a threshold's zone);
    /// nothing when it lies above the chart's top.
    pub fn zone(&self, low: f64, high: f64) -> String {
        if low >= self.top {
            return String::new();
        }
        let (y0, y1) = (self.y(low), self.y(high));
        format!("M0,{y1}H{WIDTH}V{y0}H0Z")
    }

    /// The area from zero up to `factor` times one figure of each bucket's
    /// average: below 90 % of the configured rate, say, where that rate changes.
    pub fn under(&self, buckets: &[Bucket], series: usize, factor: f64) -> String {
        let mut d = String::new();
        for run in self.runs(buckets) {
            let (first, last) = (self.x_of(&run[0]), self.x_of(&run[run.len() - 1]));
            let _ = write!(d, "M{first},{HEIGHT}");
            for b in run {
                let _ = write!(
                    d,
                    "L{},{}",
                    self.x_of(b),
                    self.y(b.stats[series].avg * factor)
                );
            }
            let _ = write!(d, "L{last},{HEIGHT}Z");
        }
        d
    }

    /// A vertical rule at `t`.
    pub fn rule(&self, t: i64) -> String {
        format!("M{},0V{HEIGHT}", self.x(t))
    }

    /// The bucket nearest to a point `fraction` of the way across the chart.
    pub fn nearest(&self, buckets: &[Bucket], fraction: f64) -> Option<usize> {
        let x = (fraction.clamp(0.0, 1.0) * WIDTH as f64) as i64;
        (0..buckets.len()).min_by_key(|&i| (self.x_of(&buckets[i]) - x).abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket(at: i64, avg: f64, min: f64, max: f64, paused: bool) -> Bucket {
        let stat = Stat { min, avg, max };
        Bucket {
            at,
            paused,
            stats: [stat; 5],
        }
    }

    #[test]
    fn the_top_is_a_round_figure_above_the_highest_value() {
        let tops: Vec<f64> = [0.0, 0.5, 1.0, 1.01, 3.0, 7.0, 10.0, 11.0, 450.0]
            .into_iter()
            .map(nice_ceiling)
            .collect();
        assert_eq!(tops, [1.0, 1.0, 1.0, 2.0, 5.0, 10.0, 10.0, 20.0, 500.0]);
    }

    #[test]
    fn a_spike_sets_the_scale_and_shows_in_the_band() {
        let buckets = [
            bucket(0, 1.0, 1.0, 1.0, false),
            bucket(10, 2.0, 1.0, 40.0, false),
        ];
        let frame = Frame::new(0, 20, 10, &buckets, &[0]);
        assert_eq!(frame.top, 50.0, "the spike's maximum, not the averages");
        assert_eq!(frame.band(&buckets, 0), "M250,98L750,20L750,98L250,98Z");
        assert_eq!(frame.line(&buckets, 0, |s| s.avg), "M250,98L750,96");
    }

    #[test]
    fn lines_break_at_gaps_and_a_lone_bucket_shows() {
        let buckets = [
            bucket(0, 1.0, 1.0, 1.0, false),
            bucket(10, 1.0, 1.0, 1.0, false),
            bucket(60, 1.0, 1.0, 1.0, true),
        ];
        let frame = Frame::new(0, 100, 10, &buckets, &[0]);
        assert_eq!(frame.runs(&buckets).len(), 2);
        assert_eq!(frame.line(&buckets, 0, |s| s.avg), "M50,0L150,0M650,0h4");
        assert_eq!(frame.paused(&buckets), "M600,0H700V100H600Z");
    }

    #[test]
    fn times_outside_the_range_stay_on_the_canvas() {
        let frame = Frame::new(100, 200, 10, &[], &[0]);
        assert_eq!((frame.x(0), frame.x(150), frame.x(900)), (0, 500, WIDTH));
        assert_eq!(frame.rule(150), "M500,0V100");
        assert_eq!(
            (frame.y(-3.0), frame.y(7.0)),
            (HEIGHT, 0),
            "values clamp too"
        );
    }

    #[test]
    fn gridlines_cross_at_each_value_and_time() {
        let frame = Frame::new(0, 100, 10, &[bucket(0, 1.0, 1.0, 2.0, false)], &[0]);
        assert_eq!(frame.top, 2.0);
        assert_eq!(
            frame.grid(&[0.0, 1.0, 2.0], &[50]),
            "M0,100H1000M0,50H1000M0,0H1000M500,0V100"
        );
    }

    #[test]
    fn threshold_zones_are_clipped_to_the_chart() {
        let frame = Frame::new(0, 100, 10, &[bucket(0, 1.0, 1.0, 10.0, false)], &[0]);
        assert_eq!(frame.zone(1.0, 5.0), "M0,50H1000V90H0Z");
        assert_eq!(frame.zone(5.0, f64::INFINITY), "M0,0H1000V50H0Z");
        assert_eq!(frame.zone(10.0, 20.0), "", "above the top: not drawn");
    }

    #[test]
    fn the_area_under_a_fraction_follows_the_figure_and_breaks_at_gaps() {
        let buckets = [
            bucket(0, 10.0, 10.0, 10.0, false),
            bucket(10, 5.0, 5.0, 5.0, false),
            bucket(60, 10.0, 10.0, 10.0, false),
        ];
        let frame = Frame::new(0, 100, 10, &buckets, &[0]);
        assert_eq!(
            frame.under(&buckets, 0, 0.9),
            "M50,100L50,10L150,55L150,100ZM650,100L650,10L650,100Z"
        );
    }

    #[test]
    fn the_pointer_picks_the_nearest_bucket() {
        let buckets = [
            bucket(0, 1.0, 1.0, 1.0, false),
            bucket(50, 1.0, 1.0, 1.0, false),
        ];
        let frame = Frame::new(0, 100, 10, &buckets, &[0]);
        assert_eq!(frame.nearest(&buckets, 0.0), Some(0));
        assert_eq!(frame.nearest(&buckets, 0.6), Some(1));
        assert_eq!(frame.nearest(&[], 0.5), None);
    }
}
