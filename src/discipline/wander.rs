//! The long-baseline check of the estimator's wander intensity `q`.
//!
//! One exchange's innovation says little about `q` when the clock is quiet:
//! over one poll interval `T` the wander adds `q·T³/3` to the predicted
//! variance, far below the measurement noise `r`, so an innovation that is
//! too small or too large is the network's doing, not the oscillator's, and
//! a quiet oscillator's `q` would stay wherever it started. Over a baseline
//! of several polls `Δ` the wander term `q·Δ³/3` grows with the cube while
//! `r` stays put, so predictions made that long ago and checked against
//! today's measurement do resolve `q`: if the oscillator wanders less than
//! assumed, those old predictions come true far more often than their
//! variance says, and `q` comes down until the term is no longer visible
//! above the noise — which is exactly the point below which the poll rule
//! no longer cares.
//!
//! Owns a ring of [`HISTORY`] snapshots of the filter's posterior (phase,
//! frequency, covariance; units as in the kalman module, stored in `i64`,
//! saturating) taken at least a minimum gap apart, and the prediction of
//! the oldest one to a later time.

use super::wide::{Sat64, mul_shr, mul_shr64};
use crate::int128::Sat128;
use crate::int128::div_i128;

/// Snapshots remembered; the check uses the oldest.
pub(crate) const HISTORY: usize = 8;

use crate::time::saturate as sat64;

/// The posterior of the filter at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Snapshot {
    /// Free time, ticks.
    pub t: i64,
    /// Phase, ticks.
    pub x: i64,
    /// Frequency, 2^-48.
    pub b: i64,
    /// Phase variance, ticks².
    pub p00: i64,
    /// Covariance, 2^-80 s.
    pub p01: i64,
    /// Frequency variance, 2^-96.
    pub p11: i64,
}

impl Snapshot {
    /// A snapshot of the given state (saturated to `i64`).
    pub fn new(t: i64, x: i64, b: i64, p: [i128; 3]) -> Snapshot {
        let [p00, p01, p11] = p;
        Snapshot {
            t,
            x,
            b,
            p00: sat64(p00),
            p01: sat64(p01),
            p11: sat64(p11),
        }
    }

    fn saturated(&self) -> bool {
        [self.p00, self.p01, self.p11]
            .iter()
            .any(|&v| v == i64::MAX || v == i64::MIN)
    }
}

/// Old posteriors to check today's measurements against.
/// The phase variance (ticks²) a posterior with covariance `p00` (ticks²),
/// `p01` (2^-80 s), `p11` (2^-96) grows to over `dt` ticks without wander,
/// `p00 + 2·dt·p01 + dt²·p11`, and dt² (2^-32 s²). The filter's prediction
/// and the wander check share it (out of line: ~350 bytes on Cortex-M).
#[inline(never)]
pub(crate) fn grown_phase_variance(dt: i128, p00: i128, p01: i128, p11: i128) -> (i128, i128) {
    let dt2 = mul_shr(dt, dt, 32);
    let spread = p00
        .sat_add(twice(mul_shr(dt, p01, 48)))
        .sat_add(mul_shr(dt2, p11, 64));
    (spread, dt2)
}

/// `2·v`, saturating (as `v.sat_mul(2)`, without the multiply).
fn twice(v: i128) -> i128 {
    v.sat_add(v)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct History {
    snaps: [Snapshot; HISTORY],
    /// Index of the newest.
    head: usize,
    len: usize,
}

/// One long-baseline prediction checked against a measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Check {
    /// Measurement minus the old prediction, ticks.
    pub value: i64,
    /// Predicted variance of `value` without the wander, ticks².
    pub base: i128,
    /// Baseline cubed over three, 2^-32 s³: times `q` (2^-96/s) and
    /// `>> 64`, the wander's share of the variance in ticks².
    pub cube: i128,
}

impl History {
    /// Nothing remembered.
    pub const fn new() -> History {
        History {
            snaps: [Snapshot {
                t: 0,
                x: 0,
                b: 0,
                p00: 0,
                p01: 0,
                p11: 0,
            }; HISTORY],
            head: 0,
            len: 0,
        }
    }

    /// Forgets everything (the phase restarted).
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// The reference timescale jumped by `delta` ticks.
    pub fn shift(&mut self, delta: i64) {
        for s in self.snaps.iter_mut() {
            s.x = s.x.sat_add(delta);
        }
    }

    /// Remembers `s` if it is at least `gap` ticks after the newest
    /// snapshot (so that several sources feeding one poll do not shorten
    /// the baseline) and its covariance fits in `i64`.
    #[inline(never)]
    pub fn remember(&mut self, s: Snapshot, gap: i64) {
        if s.saturated() {
            // Too uncertain to predict anything (the first seconds).
            return;
        }
        if self.len > 0 {
            let newest = self.snaps.get(self.head).map_or(i64::MIN, |n| n.t);
            if s.t.sat_sub(newest) < gap {
                return;
            }
        }
        self.head = (self.head + 1) % HISTORY;
        if let Some(slot) = self.snaps.get_mut(self.head) {
            *slot = s;
        }
        self.len = (self.len + 1).min(HISTORY);
    }

    /// The oldest snapshot's prediction checked against measurement `z`
    /// (variance `r`) at free time `t`, once there are two (a baseline of
    /// at least one gap; shorter baselines say less, and the caller weighs
    /// them by how much).
    pub fn check(&self, t: i64, z: i64, r: i128) -> Option<Check> {
        if self.len < 2 {
            return None;
        }
        let oldest = self
            .snaps
            .get((self.head + HISTORY + 1 - self.len) % HISTORY)?;
        let dt = t.sat_sub(oldest.t);
        if dt <= 0 {
            return None;
        }
        let predicted = oldest.x.sat_add(mul_shr64(oldest.b, dt, 48));
        let dt = i128::from(dt);
        let (spread, dt2) = grown_phase_variance(
            dt,
            i128::from(oldest.p00),
            i128::from(oldest.p01),
            i128::from(oldest.p11),
        );
        let dt3 = mul_shr(dt2, dt, 32);
        let base = spread.sat_add(r.positive());
        Some(Check {
            value: z.sat_sub(predicted),
            base: base.positive(),
            cube: div_i128(dt3, 3),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: i64 = 1 << 32;

    #[test]
    fn checks_the_oldest_and_honours_the_gap() {
        let mut h = History::new();
        let p = [1 << 20, 0, 1 << 10];
        assert_eq!(h.check(0, 0, 1), None);
        h.remember(Snapshot::new(0, 100, 0, p), 32 * SEC);
        // One snapshot is no baseline yet.
        assert_eq!(h.check(64 * SEC, 0, 1), None);
        for i in 1..2 * HISTORY as i64 {
            h.remember(Snapshot::new(i * 64 * SEC, 100, 0, p), 32 * SEC);
            // Too close to the newest: ignored.
            h.remember(Snapshot::new(i * 64 * SEC + SEC, 999, 0, p), 32 * SEC);
        }
        // Saturated covariance: not remembered.
        h.remember(Snapshot::new(99 * 64 * SEC, 0, 0, [i128::MAX; 3]), 0);
        // The oldest kept: HISTORY - 1 snapshots before the newest.
        let now = 2 * HISTORY as i64 * 64 * SEC;
        let c = h.check(now, 130, 1 << 20).unwrap();
        assert_eq!(c.value, 30);
        let dt = HISTORY as i64 * 64;
        assert_eq!(c.cube, i128::from(dt * dt * dt * SEC / 3));
        assert!(c.base >= 2 << 20);
        h.shift(-30);
        assert_eq!(h.check(now, 130, 1).unwrap().value, 60);
        h.clear();
        assert_eq!(h.check(now, 0, 1), None);
    }
}
