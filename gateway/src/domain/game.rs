//! The simulated tick engine. Ticks are computed lazily from elapsed time, so
//! the model is exact regardless of how often it is observed, and a capacity
//! limit lets tests simulate an engine that falls behind.
//!
//! Game time passes one second per tick from a known point, the start date at tick 0 until a
//! snapshot is restored or a test sets the counter; the counter itself is a `BIGINT` in Galaxy's
//! schema and may exceed what a browser's JSON numbers hold exactly.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use time::OffsetDateTime;

/// Ticks observed over this window give the measured `actual_rate`.
const RATE_WINDOW: Duration = Duration::from_secs(5);

/// The largest tick a `BIGINT` holds.
pub const MAX_TICK: u64 = i64::MAX as u64;

/// The range of game times RFC 3339 can write (four-digit years).
const FIRST_TIME: OffsetDateTime = time::macros::datetime!(0000-01-01 00:00:00 UTC);
const LAST_TIME: OffsetDateTime = time::macros::datetime!(9999-12-31 23:59:59 UTC);

#[derive(Debug, Clone)]
pub struct Game {
    /// A tick and its game time, from which one second passes per tick.
    epoch: (u64, OffsetDateTime),
    tick: u64,
    /// Fraction of a tick already due but not yet whole.
    partial: f64,
    /// Ticks that were due but the engine had no capacity for.
    backlog: f64,
    paused: bool,
    last_update: Instant,
    /// Ticks per second the engine can perform; `None` is unlimited.
    capacity: Option<f64>,
    samples: VecDeque<(Instant, u64)>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GameStatus {
    pub tick: u64,
    pub game_time: OffsetDateTime,
    pub tick_rate: f64,
    pub actual_rate: f64,
    pub paused: bool,
    pub ticks_behind: u64,
}

impl Game {
    pub fn new(start_date: OffsetDateTime, now: Instant) -> Self {
        let mut samples = VecDeque::new();
        samples.push_back((now, 0));
        Self {
            epoch: (0, start_date),
            tick: 0,
            partial: 0.0,
            backlog: 0.0,
            paused: false,
            last_update: now,
            capacity: None,
            samples,
        }
    }

    /// Brings the tick count up to `now` at the given rate.
    pub fn advance(&mut self, now: Instant, tick_rate: f64) {
        let elapsed = now
            .saturating_duration_since(self.last_update)
            .as_secs_f64();
        self.last_update = now;
        if self.paused || elapsed <= 0.0 {
            return;
        }
        let due = self.backlog + elapsed * tick_rate;
        let possible = self.capacity.map_or(f64::INFINITY, |c| c * elapsed);
        let done = due.min(possible);
        self.backlog = due - done;
        self.partial += done;
        let whole = self.partial.floor();
        self.tick = self.tick.saturating_add(whole as u64).min(MAX_TICK);
        self.partial -= whole;
        self.record_sample(now);
    }

    fn record_sample(&mut self, now: Instant) {
        self.samples.push_back((now, self.tick));
        while self.samples.len() > 2
            && now.saturating_duration_since(self.samples[1].0) >= RATE_WINDOW
        {
            self.samples.pop_front();
        }
    }

    fn reset_samples(&mut self, now: Instant) {
        self.samples.clear();
        self.samples.push_back((now, self.tick));
    }

    pub fn pause(&mut self, now: Instant, tick_rate: f64) {
        self.advance(now, tick_rate);
        self.paused = true;
        self.backlog = 0.0;
        self.partial = 0.0;
        self.reset_samples(now);
    }

    pub fn resume(&mut self, now: Instant) {
        if self.paused {
            self.paused = false;
            self.last_update = now;
            self.reset_samples(now);
        }
    }

    /// Moves the world back to a snapshot's tick and game time.
    pub fn restore(&mut self, now: Instant, tick: u64, game_time: OffsetDateTime) {
        self.epoch = (tick, game_time);
        self.tick = tick;
        self.partial = 0.0;
        self.backlog = 0.0;
        self.last_update = now;
        self.reset_samples(now);
    }

    /// Sets the tick counter (a dev control), as if the engine had long been running; game
    /// time goes on from where it is.
    pub fn set_tick(&mut self, now: Instant, tick_rate: f64, tick: u64) {
        self.advance(now, tick_rate);
        let game_time = self.game_time_at(self.tick);
        self.tick = tick.min(MAX_TICK);
        self.epoch = (self.tick, game_time);
        self.partial = 0.0;
        self.reset_samples(now);
    }

    pub fn set_capacity(&mut self, now: Instant, tick_rate: f64, capacity: Option<f64>) {
        self.advance(now, tick_rate);
        self.capacity = capacity;
    }

    /// Ticks per second the engine can perform; `None` is unlimited.
    pub fn capacity(&self) -> Option<f64> {
        self.capacity
    }

    pub fn tick(&self) -> u64 {
        self.tick
    }

    pub fn paused(&self) -> bool {
        self.paused
    }

    /// Clamped to years 0 to 9999, which a tick counter set far ahead could otherwise leave.
    pub fn game_time_at(&self, tick: u64) -> OffsetDateTime {
        let (epoch_tick, epoch_time) = self.epoch;
        let seconds = i128::from(tick) - i128::from(epoch_tick);
        let offset = i64::try_from(seconds)
            .ok()
            .and_then(|s| epoch_time.checked_add(time::Duration::seconds(s)));
        match offset {
            Some(t) => t.clamp(FIRST_TIME, LAST_TIME),
            None if seconds > 0 => LAST_TIME,
            None => FIRST_TIME,
        }
    }

    /// The status as of the last `advance`.
    pub fn status(&self, tick_rate: f64) -> GameStatus {
        GameStatus {
            tick: self.tick,
            game_time: self.game_time_at(self.tick),
            tick_rate,
            actual_rate: self.actual_rate(tick_rate),
            paused: self.paused,
            ticks_behind: self.backlog.floor() as u64,
        }
    }

    fn actual_rate(&self, tick_rate: f64) -> f64 {
        if self.paused {
            return 0.0;
        }
        let (first, last) = (self.samples.front(), self.samples.back());
        match (first, last) {
            (Some(&(t0, n0)), Some(&(t1, n1)))
                if t1.duration_since(t0) >= Duration::from_secs(1) =>
            {
                let rate = n1.saturating_sub(n0) as f64 / t1.duration_since(t0).as_secs_f64();
                (rate * 100.0).round() / 100.0
            }
            // Not enough history yet: report what the engine is able to do.
            _ => self.capacity.map_or(tick_rate, |c| c.min(tick_rate)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn game() -> (Game, Instant) {
        let now = Instant::now();
        (Game::new(datetime!(2000-01-01 12:00:00 UTC), now), now)
    }

    #[test]
    fn ticks_follow_the_rate_and_game_time_follows_ticks() {
        let (mut g, t0) = game();
        g.advance(t0 + Duration::from_secs(10), 2.0);
        let s = g.status(2.0);
        assert_eq!(s.tick, 20);
        assert_eq!(s.game_time, datetime!(2000-01-01 12:00:20 UTC));
        assert_eq!(s.actual_rate, 2.0);
        assert_eq!(s.ticks_behind, 0);
    }

    #[test]
    fn fractional_rates_accumulate() {
        let (mut g, t0) = game();
        for i in 1..=10 {
            g.advance(t0 + Duration::from_secs(i), 0.5);
        }
        assert_eq!(g.tick(), 5);
    }

    #[test]
    fn pause_stops_time_and_resume_does_not_catch_up() {
        let (mut g, t0) = game();
        g.advance(t0 + Duration::from_secs(3), 1.0);
        g.pause(t0 + Duration::from_secs(3), 1.0);
        g.advance(t0 + Duration::from_secs(100), 1.0);
        assert_eq!(g.tick(), 3);
        assert_eq!(g.status(1.0).actual_rate, 0.0);
        g.resume(t0 + Duration::from_secs(100));
        g.advance(t0 + Duration::from_secs(102), 1.0);
        assert_eq!(g.tick(), 5);
    }

    #[test]
    fn limited_capacity_builds_a_backlog() {
        let (mut g, t0) = game();
        g.set_capacity(t0, 10.0, Some(4.0));
        g.advance(t0 + Duration::from_secs(2), 10.0);
        let s = g.status(10.0);
        assert_eq!(s.tick, 8);
        assert_eq!(s.ticks_behind, 12);
        assert_eq!(s.actual_rate, 4.0);
    }

    #[test]
    fn restore_moves_tick_and_time_back() {
        let (mut g, t0) = game();
        g.advance(t0 + Duration::from_secs(50), 1.0);
        g.restore(
            t0 + Duration::from_secs(50),
            7,
            datetime!(2000-01-01 12:00:07 UTC),
        );
        assert_eq!(g.tick(), 7);
        assert_eq!(g.status(1.0).game_time, datetime!(2000-01-01 12:00:07 UTC));
        g.advance(t0 + Duration::from_secs(53), 1.0);
        assert_eq!(g.status(1.0).game_time, datetime!(2000-01-01 12:00:10 UTC));
    }

    #[test]
    fn a_set_tick_counter_goes_on_ticking_beyond_two_to_the_53() {
        let (mut g, t0) = game();
        g.advance(t0 + Duration::from_secs(5), 1.0);
        let big = (1u64 << 53) + 1;
        g.set_tick(t0 + Duration::from_secs(5), 1.0, big);
        assert_eq!(g.tick(), big);
        assert_eq!(
            g.status(1.0).game_time,
            datetime!(2000-01-01 12:00:05 UTC),
            "game time goes on from where it was"
        );
        g.advance(t0 + Duration::from_secs(7), 1.0);
        assert_eq!(g.tick(), big + 2);
        assert_eq!(g.status(1.0).actual_rate, 1.0);
    }

    #[test]
    fn the_counter_stops_at_the_bigint_maximum_and_game_time_at_year_9999() {
        let (mut g, t0) = game();
        g.set_tick(t0, 100.0, u64::MAX);
        assert_eq!(g.tick(), MAX_TICK);
        g.advance(t0 + Duration::from_secs(10), 100.0);
        assert_eq!(g.tick(), MAX_TICK);
        assert_eq!(g.game_time_at(0), FIRST_TIME);
        assert_eq!(g.game_time_at(MAX_TICK), datetime!(2000-01-01 12:00:00 UTC));
        let (g, _) = game();
        assert_eq!(g.game_time_at(MAX_TICK), LAST_TIME);
    }
}
