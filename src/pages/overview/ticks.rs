//! Where a chart's axes are labelled: value ticks at round steps from zero to
//! the chart's top, and time ticks at round times of the operator's clock.
//! Pure, so the browser's time zone comes in as a function.

/// Value ticks from zero to `top`: the smallest 1-2-5 step that gives at
/// most five intervals, so a short chart keeps its labels apart.
pub fn value_ticks(top: f64) -> Vec<f64> {
    let step = nice_step(top / 5.0);
    let intervals = (top / step).round() as u32;
    (0..=intervals).map(|i| f64::from(i) * step).collect()
}

/// The smallest 1, 2 or 5 times a power of ten (of any sign) at or above `v`.
fn nice_step(v: f64) -> f64 {
    if v <= 0.0 {
        return 1.0;
    }
    let mut power = 1.0;
    while power > v {
        power /= 10.0;
    }
    while power * 10.0 <= v {
        power *= 10.0;
    }
    // A hair of tolerance: 0.1 * 2 must count as reaching 0.2.
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|s| *s >= v * (1.0 - 1e-9))
        .unwrap_or(10.0 * power)
}

/// The spacings of time ticks, in seconds: round to a clock's eye.
const TIME_STEPS: [i64; 11] = [
    60,
    2 * 60,
    5 * 60,
    10 * 60,
    15 * 60,
    30 * 60,
    3600,
    2 * 3600,
    4 * 3600,
    6 * 3600,
    12 * 3600,
];

/// At most this many intervals between time ticks, so "12:05" labels never
/// touch on a phone.
const MAX_TIME_INTERVALS: i64 = 6;

/// Times within `from..=to` that fall on a round local time (every 10 minutes
/// for an hour, every hour for six), as Unix seconds. `offset_minutes` gives
/// the operator's offset from UTC at a moment, so a daylight-saving change in
/// the range moves the ticks with the clock on the wall.
pub fn time_ticks(from: i64, to: i64, offset_minutes: impl Fn(i64) -> i64) -> Vec<i64> {
    let span = (to - from).max(1);
    let step = TIME_STEPS
        .into_iter()
        .find(|s| span / s <= MAX_TIME_INTERVALS)
        .unwrap_or(TIME_STEPS[TIME_STEPS.len() - 1]);
    let first_local = (from + offset_minutes(from) * 60).div_euclid(step) * step;
    let mut ticks = Vec::new();
    let mut local = first_local;
    loop {
        // The offset at the instant this local time names: two guesses settle it
        // except in the hour a change skips or repeats.
        let guess = local - offset_minutes(local - offset_minutes(from) * 60) * 60;
        let at = local - offset_minutes(guess) * 60;
        if at > to {
            break;
        }
        if at >= from && ticks.last() != Some(&at) {
            ticks.push(at);
        }
        local += step;
    }
    ticks
}

/// "12:05": a tick's time on the operator's clock.
pub fn clock(unix_secs: i64, offset_minutes: i64) -> String {
    let secs = (unix_secs + offset_minutes * 60).rem_euclid(86_400);
    format!("{:02}:{:02}", secs / 3600, secs % 3600 / 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::format::decimal;

    fn labels(top: f64) -> Vec<String> {
        value_ticks(top).into_iter().map(decimal).collect()
    }

    #[test]
    fn value_ticks_are_round_and_few() {
        assert_eq!(labels(1.0), ["0", "0.2", "0.4", "0.6", "0.8", "1"]);
        assert_eq!(labels(2.0), ["0", "0.5", "1", "1.5", "2"]);
        assert_eq!(value_ticks(5.0), [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(value_ticks(10.0), [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(value_ticks(20.0), [0.0, 5.0, 10.0, 15.0, 20.0]);
        assert_eq!(value_ticks(500.0), [0.0, 100.0, 200.0, 300.0, 400.0, 500.0]);
        assert_eq!(value_ticks(1000.0).len(), 6);
    }

    #[test]
    fn every_top_the_charts_use_gets_two_to_five_intervals_ending_at_the_top() {
        for exp in -2..7 {
            for m in [1.0, 2.0, 5.0] {
                let top = m * 10f64.powi(exp);
                let ticks = value_ticks(top);
                assert!((3..=6).contains(&ticks.len()), "{top}: {ticks:?}");
                assert!((ticks[ticks.len() - 1] - top).abs() < top * 1e-9, "{top}");
            }
        }
    }

    const UTC: fn(i64) -> i64 = |_| 0;
    // 2026-12-07 12:03:20 UTC.
    const NOON: i64 = 1_796_644_800 + 200;

    fn clocks(ticks: &[i64], offset: i64) -> Vec<String> {
        ticks.iter().map(|&t| clock(t, offset)).collect()
    }

    #[test]
    fn an_hour_is_ticked_every_ten_minutes_at_round_times() {
        let ticks = time_ticks(NOON, NOON + 3600, UTC);
        assert_eq!(
            clocks(&ticks, 0),
            ["12:10", "12:20", "12:30", "12:40", "12:50", "13:00"]
        );
    }

    #[test]
    fn each_range_gets_its_own_step() {
        let minutes = |span: i64| {
            let t = time_ticks(NOON, NOON + span, UTC);
            (t[1] - t[0]) / 60
        };
        assert_eq!(minutes(600), 2);
        assert_eq!(minutes(3600), 10);
        assert_eq!(minutes(6 * 3600), 60);
        assert_eq!(minutes(24 * 3600), 240);
    }

    #[test]
    fn ticks_fall_on_the_operators_round_times_not_utcs() {
        // Half an hour off UTC (India): 12:03 UTC is 17:33 there.
        let ist = |_| 330;
        let ticks = time_ticks(NOON, NOON + 6 * 3600, ist);
        assert_eq!(clocks(&ticks, 330)[0], "18:00");
        assert_eq!(clock(ticks[0], 0), "12:30");
    }

    #[test]
    fn a_daylight_saving_change_keeps_the_ticks_on_the_wall_clock() {
        // Clocks go forward by an hour at 14:00 UTC, from UTC+1 to UTC+2.
        let change = NOON - 200 + 2 * 3600;
        let zone = move |t: i64| if t < change { 60 } else { 120 };
        let ticks = time_ticks(NOON, NOON + 6 * 3600, zone);
        let shown: Vec<String> = ticks.iter().map(|&t| clock(t, zone(t))).collect();
        // 15:00 local is never on the wall: the hour is skipped, every tick is round.
        assert_eq!(
            shown,
            ["14:00", "16:00", "17:00", "18:00", "19:00", "20:00"]
        );
        assert!(ticks.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn the_clock_wraps_at_midnight() {
        assert_eq!(clock(NOON - 200 + 12 * 3600, 0), "00:00");
        assert_eq!(clock(NOON - 200, -13 * 60), "23:00");
    }
}
