//! The simulated local clock: a free-running oscillator with an initial
//! phase and frequency error and a frequency random walk (one normal step
//! per simulated second), which applies the core's [`ClockAdjustment`]s
//! exactly: steps, absolute frequency corrections, and armed leap seconds
//! (inserted/deleted when its own reading crosses a UTC midnight, as the
//! Linux kernel does).
//!
//! Time here is *true* time `tau`, seconds since the start of the run, as
//! `f64`; the clock's error is `phase` = local − UTC (s).

use crate::adjust::{ClockAdjustment, LeapPending};
use crate::sim::rng::Rng;
use std::prelude::rust_2024::*;

/// The oscillator and the corrections applied to it.
#[derive(Debug, Clone)]
pub struct Oscillator {
    /// True time the state refers to, s.
    tau: f64,
    /// Local reading − UTC reading, s (before UTC's own leap seconds).
    phase: f64,
    /// Natural fractional frequency error (s/s, positive = fast).
    natural: f64,
    /// Applied frequency correction (s/s).
    correction: f64,
    /// Random-walk step per second (s/s).
    walk: f64,
    /// NTP seconds (UTC) at tau = 0.
    start_ntp: f64,
    leap: LeapPending,
    /// Leap seconds applied so far (+1 per insert, −1 per delete).
    leaps_applied: i32,
    /// Local reading (NTP s) right after the last leap second was applied.
    last_leap_at: Option<f64>,
    /// Sum of all jumps of the reading (steps and leap seconds), s.
    jumps: f64,
}

impl Oscillator {
    /// A clock `phase` s off (local − true) running `natural` fast (s/s,
    /// e.g. 10e-6), wandering by N(0, `walk`) each second; UTC reads
    /// `start_ntp` (NTP seconds) at tau = 0.
    pub fn new(phase: f64, natural: f64, walk: f64, start_ntp: f64) -> Oscillator {
        Oscillator {
            tau: 0.0,
            phase,
            natural,
            correction: 0.0,
            walk,
            start_ntp,
            leap: LeapPending::None,
            leaps_applied: 0,
            last_leap_at: None,
            jumps: 0.0,
        }
    }

    /// Runs the clock forward to true time `tau` (never backward), drawing
    /// the frequency walk at every whole second crossed.
    pub fn advance(&mut self, tau: f64, rng: &mut Rng) {
        while self.tau < tau {
            let next_second = self.tau.floor() + 1.0;
            let until = next_second.min(tau);
            let before = self.local_ntp();
            // The correction scales the oscillator, as the kernel's does:
            // local rate = (1 + natural)(1 + correction).
            self.phase += self.frequency_error() * (until - self.tau);
            self.tau = until;
            self.maybe_leap(before);
            if until == next_second && self.walk > 0.0 {
                self.natural += self.walk * rng.normal();
            }
        }
    }

    fn maybe_leap(&mut self, before: f64) {
        if self.leap == LeapPending::None {
            return;
        }
        let after = self.local_ntp();
        let midnight = ((before / 86_400.0).floor() + 1.0) * 86_400.0;
        match self.leap {
            LeapPending::Insert if after >= midnight => {
                self.phase -= 1.0;
                self.jumps -= 1.0;
                self.leaps_applied += 1;
                self.leap = LeapPending::None;
                self.last_leap_at = Some(self.local_ntp());
            }
            LeapPending::Delete if after >= midnight - 1.0 => {
                self.phase += 1.0;
                self.jumps += 1.0;
                self.leaps_applied -= 1;
                self.leap = LeapPending::None;
                self.last_leap_at = Some(self.local_ntp());
            }
            _ => {}
        }
    }

    /// The local clock reading at the current tau, NTP seconds.
    pub fn local_ntp(&self) -> f64 {
        self.start_ntp + self.tau + self.phase
    }

    /// Local − UTC-without-leaps, s, at the current tau.
    pub fn phase(&self) -> f64 {
        self.phase
    }

    /// Leap seconds this clock applied (inserts positive).
    pub fn leaps_applied(&self) -> i32 {
        self.leaps_applied
    }

    /// Local reading (NTP s) right after the last applied leap second.
    pub fn last_leap_at(&self) -> Option<f64> {
        self.last_leap_at
    }

    /// Sum of all jumps of the reading so far (steps, leap seconds), s.
    pub fn jumps(&self) -> f64 {
        self.jumps
    }

    /// The clock's total frequency error now, s/s: (1 + natural)(1 + correction) − 1.
    pub fn frequency_error(&self) -> f64 {
        self.natural + self.correction + self.natural * self.correction
    }

    /// Applies what the core asked for, now.
    pub fn apply(&mut self, adj: &ClockAdjustment) {
        let step = adj.step.to_bits() as f64 / 4_294_967_296.0;
        self.phase += step;
        self.jumps += step;
        self.correction = adj.frequency.to_bits() as f64 / 4_294_967_296.0 * 1e-6;
        self.leap = adj.leap;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{Frequency, NtpDuration};

    #[test]
    fn drifts_and_corrects() {
        let mut rng = Rng::new(1, 0);
        let mut o = Oscillator::new(0.0, 10e-6, 0.0, 0.0);
        o.advance(100.0, &mut rng);
        assert!((o.phase() - 1e-3).abs() < 1e-12);
        let mut adj = ClockAdjustment::frequency(Frequency::from_ppm(-10));
        adj.step = NtpDuration::from_millis(-1);
        o.apply(&adj);
        o.advance(200.0, &mut rng);
        assert!(o.phase().abs() < 2e-8, "{}", o.phase());
    }

    #[test]
    fn inserts_a_leap_second_at_midnight() {
        let mut rng = Rng::new(1, 0);
        let mut o = Oscillator::new(0.0, 0.0, 0.0, 86_400.0 - 10.0);
        let mut adj = ClockAdjustment::frequency(Frequency::ZERO);
        adj.leap = LeapPending::Insert;
        o.apply(&adj);
        o.advance(9.5, &mut rng);
        assert_eq!(o.leaps_applied(), 0);
        o.advance(10.5, &mut rng);
        assert_eq!(o.leaps_applied(), 1);
        assert!((o.local_ntp() - (86_400.0 - 0.5)).abs() < 1e-9);
    }
}
