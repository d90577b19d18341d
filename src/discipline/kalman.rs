//! The two-state estimator behind the discipline: phase and frequency of the
//! free-running oscillator against the reference, as a Kalman filter in
//! fixed point with a process noise (frequency wander) it learns itself.
//!
//! State, in the *free frame* (our clock with every correction we ever made
//! taken back out, so the state does not move when we steer):
//! - `x`: reference time − free-running clock, in 2^-32 s ("ticks");
//! - `b`: dx/dt, in 2^-48 (dimensionless; 1 ppb ≈ 281 475);
//! - covariance `p00` (ticks², i.e. 2^-64 s²), `p01` (2^-80 s), `p11` (2^-96);
//! - `q`: frequency random-walk intensity, 2^-96 per second.
//!
//! `q` is measured, not guessed: each measurement checked against the
//! prediction of a posterior from hours ago ([`History`]) gives an unbiased
//! sample `(e² − v)/(Δ³/3)` (e the error, v its variance without wander, Δ
//! the baseline), and `q` is their running mean (at least [`Q_MIN`]). Over a
//! one-poll baseline the wander hides under the measurement noise; over
//! hours it does not. Owns only this arithmetic; knows nothing about clocks
//! or packets.

use super::wander::{Check, History, Snapshot, grown_phase_variance};
use super::wide::{Sat64, mul_div, mul_shr, mul_shr64, square};
use crate::int128::Sat128;
use crate::int128::div_i128;
use crate::time::saturate;

/// (1e-11)² · 2^96: smallest wander intensity (1e-11 /√s random walk).
const Q_MIN: i128 = 7_922_816;
/// (1e-6)² · 2^96: largest wander intensity.
const Q_MAX: i128 = 79_228_162_514_264_337;
/// (1e-9)² · 2^96: starting wander intensity (a decent crystal).
const Q_INIT: i128 = 79_228_162_514;
/// Upper bound of the frequency variance: (1000 ppm)² in 2^-96.
const P11_MAX: i128 = 79_228_162_514_264_337_593_543;
/// Upper bound of the phase variance: (10^4 s)² in ticks².
const P00_MAX: i128 = 1_844_674_407_370_955_161_600_000_000;
/// Time constant of the wander's running mean, ticks (16 snapshot gaps):
/// samples taken in quick succession share their baseline and count for
/// the time between them, not one each.
const Q_AVERAGE: i128 = 16 * SNAPSHOT_GAP;
/// What the starting value [`Q_INIT`] is worth in the running mean, ticks
/// of samples (two snapshot gaps): the first hours of samples replace it.
const Q_PRIOR: i128 = SNAPSHOT_GAP / 4;
/// A single wander sample counts for at most this many times the current
/// estimate (or [`Q_INIT`]): one wild exchange must not set the poll.
const Q_SAMPLE_CAP: i128 = 8;
/// Smallest gap between the posteriors the wander check keeps: 1024 s in
/// ticks, so its baseline is hours at every poll interval.
const SNAPSHOT_GAP: i128 = 1024 << 32;

/// `v` bounded to a phase variance, 1..=[`P00_MAX`] ticks². Out of line
/// (as [`frequency_bound`]): a 128-bit clamp inline is ~100 bytes of Thumb.
#[cfg_attr(target_pointer_width = "32", inline(never))]
fn phase_bound(v: i128) -> i128 {
    v.within(1, P00_MAX)
}

/// `v` bounded to a frequency variance, 1..=[`P11_MAX`] (2^-96).
#[cfg_attr(target_pointer_width = "32", inline(never))]
fn frequency_bound(v: i128) -> i128 {
    v.within(1, P11_MAX)
}

/// The filter state; see the module docs for units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Kalman {
    /// Free-frame time of the state, ticks.
    pub t: i64,
    /// Phase, ticks.
    pub x: i64,
    /// Frequency, 2^-48.
    pub b: i64,
    p00: i128,
    p01: i128,
    p11: i128,
    q: i128,
    /// Running mean of the wander samples (may go below zero), 2^-96/s.
    q_mean: i128,
    /// Free time of the last wander sample, ticks.
    q_at: Option<i64>,
    /// Time the running mean has averaged over (up to [`Q_AVERAGE`]),
    /// starting from the prior's worth [`Q_PRIOR`], ticks.
    q_span: i128,
    history: History,
}

/// What one measurement did to the filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Innovation {
    /// Measurement minus prediction, ticks.
    pub value: i64,
    /// Its predicted variance, ticks².
    pub variance: i128,
}

impl Kalman {
    /// A filter that has seen one measurement `z` (ticks) of variance `r`
    /// (ticks²) at free time `t`, with prior frequency `b` (2^-48) of
    /// variance `p11` (2^-96). Out of line: the discipline starts a filter
    /// in two places and the value is large (the history ring).
    #[inline(never)]
    pub fn new(t: i64, z: i64, r: i128, b: i64, p11: i128) -> Kalman {
        Kalman {
            t,
            x: z,
            b,
            p00: phase_bound(r),
            p01: 0,
            p11: frequency_bound(p11),
            q: Q_INIT,
            q_mean: Q_INIT,
            q_at: None,
            q_span: Q_PRIOR,
            history: History::new(),
        }
    }

    /// Phase variance, ticks².
    pub fn phase_variance(&self) -> i128 {
        self.p00
    }

    /// Frequency variance, 2^-96.
    pub fn frequency_variance(&self) -> i128 {
        self.p11
    }

    /// Wander intensity, 2^-96 per second.
    pub fn wander(&self) -> i128 {
        self.q
    }

    /// Restarts the phase at measurement `z` (variance `r`) at time `t`,
    /// keeping the frequency but widening its variance by 4.
    pub fn reset_phase(&mut self, t: i64, z: i64, r: i128) {
        self.t = t;
        self.x = z;
        self.p00 = phase_bound(r);
        self.p01 = 0;
        self.p11 = frequency_bound(self.p11.sat_mul(4));
        self.history.clear();
        // The model just failed (or the timescale jumped) and the long
        // baselines are gone: assume at least a crystal's wander until new
        // ones measure it.
        if self.q_mean < Q_INIT {
            self.q_mean = Q_INIT;
            self.q = Q_INIT;
            self.q_span = Q_PRIOR;
        }
    }

    /// Forgets the phase (next measurement sets it), keeping the frequency.
    pub fn forget_phase(&mut self) {
        self.p00 = P00_MAX;
        self.p01 = 0;
        self.history.clear();
    }

    /// Shifts the phase by `delta` ticks (the reference timescale jumped).
    pub fn shift(&mut self, delta: i64) {
        self.x = self.x.sat_add(delta);
        self.history.shift(delta);
    }

    /// Moves the state forward to free time `t` (never backward).
    #[inline(never)]
    pub fn predict(&mut self, t: i64) {
        let dt = t.sat_sub(self.t);
        if dt <= 0 {
            return;
        }
        self.x = self.x.sat_add(mul_shr64(self.b, dt, 48));
        let dt = i128::from(dt);
        // dt² and dt³ in 2^-32 s² / 2^-32 s³.
        let (spread, dt2) = grown_phase_variance(dt, self.p00, self.p01, self.p11);
        let dt3 = mul_shr(dt2, dt, 32);
        let p00 = spread.sat_add(div_i128(mul_shr(self.q, dt3, 64), 3));
        let p01 = self
            .p01
            .sat_add(mul_shr(dt, self.p11, 48))
            // q·dt²/2: `>> 48` then `/ 2` is one `>> 49` (truncations
            // toward zero compose; q < 2^57 and dt² < 2^94 never saturate).
            .sat_add(mul_shr(self.q, dt2, 49));
        let p11 = self.p11.sat_add(mul_shr(self.q, dt, 32));
        self.p00 = phase_bound(p00);
        self.p11 = frequency_bound(p11);
        self.p01 = p01;
        self.t = t;
    }

    /// The innovation a measurement `z` with variance `r` would have now.
    pub fn innovation(&self, z: i64, r: i128) -> Innovation {
        Innovation {
            value: z.sat_sub(self.x),
            variance: self.p00.sat_add(r.positive()),
        }
    }

    /// Folds in measurement `z` (ticks) of variance `r` (ticks²), taken at
    /// the state's time (call [`predict`](Self::predict) first).
    pub fn update(&mut self, z: i64, r: i128) -> Innovation {
        let r = r.positive();
        let inn = self.innovation(z, r);
        let check = self.history.check(self.t, z, r);
        let s = inn.variance;
        let value = i128::from(inn.value);
        self.x = self.x.sat_add(saturate(mul_div(self.p00, value, s)));
        self.b = self.b.sat_add(saturate(mul_div(self.p01, value, s)));
        let p00 = mul_div(self.p00, r, s);
        let p01 = mul_div(self.p01, r, s);
        let p11 = self.p11.sat_sub(mul_div(self.p01, self.p01, s));
        self.p00 = phase_bound(p00);
        self.p01 = p01;
        self.p11 = frequency_bound(p11);
        if let Some(c) = check {
            self.adapt(c);
        }
        self.history.remember(
            Snapshot::new(self.t, self.x, self.b, [self.p00, self.p01, self.p11]),
            SNAPSHOT_GAP as i64,
        );
        inn
    }

    /// Folds one long-baseline wander sample into the estimate.
    fn adapt(&mut self, c: Check) {
        // (e² − v) ticks² over Δ³/3 (2^-32 s³): << 64 gives 2^-96/s.
        let excess = square(c.value).sat_sub(c.base);
        let cap = self.q.at_least(Q_INIT).sat_mul(Q_SAMPLE_CAP);
        // `within`, not clamp: cap > 0, but clamp's assert would be a panic
        // path the compiler cannot see through the out-of-line multiply.
        let sample = mul_div(excess, 1 << 64, c.cube.positive()).within(-cap, cap);
        // A check whose variance is mostly the old posterior's and the
        // measurement's own (a short or early baseline) says little about
        // the wander: weight by the share a decent crystal's wander would
        // have in it, squared (the sample's variance goes as its inverse).
        let wander = mul_shr(Q_INIT, c.cube, 64).positive();
        let share = mul_div(wander, 1 << 16, wander.sat_add(c.base));
        let since = self
            .q_at
            .map_or(SNAPSHOT_GAP, |at| i128::from(self.t.sat_sub(at)))
            .within(0, Q_AVERAGE / 2);
        let since = mul_shr(mul_shr(since, share, 16), share, 16);
        self.q_at = Some(self.t);
        self.q_span = self.q_span.sat_add(since).at_most(Q_AVERAGE);
        self.q_mean = self.q_mean.sat_add(mul_div(
            sample.sat_sub(self.q_mean),
            since,
            self.q_span.positive(),
        ));
        self.q = self.q_mean.within(Q_MIN, Q_MAX);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: i64 = 1 << 32;
    const PPM: i64 = 281_474_977; // 2^48 / 1e6, rounded

    #[test]
    fn learns_a_constant_frequency() {
        // x = 10 ppm · t, noiseless measurements every 64 s.
        let mut k = Kalman::new(0, 0, 1 << 40, 0, 792_281_625_142_643_375_935); // (100 ppm)²
        for i in 1..40 {
            let t = i * 64 * SEC;
            k.predict(t);
            k.update(mul_shr64(10 * PPM, t, 48), 1 << 40);
        }
        let err_ppb = (k.b - 10 * PPM) * 1000 / PPM;
        assert!(err_ppb.abs() < 5, "frequency error {err_ppb} ppb");
    }

    #[test]
    fn prediction_grows_variance() {
        let mut k = Kalman::new(0, 0, 1 << 30, 0, 1 << 60);
        let before = k.phase_variance();
        k.predict(1024 * SEC);
        assert!(k.phase_variance() > before);
        k.predict(0); // never backward
        assert_eq!(k.t, 1024 * SEC);
    }

    #[test]
    fn extreme_inputs_do_not_panic() {
        let mut k = Kalman::new(i64::MIN / 4, i64::MAX / 4, i128::MAX, i64::MIN, i128::MAX);
        k.predict(i64::MAX / 4);
        k.update(i64::MIN / 4, i128::MAX);
        k.update(0, 0);
        assert!(k.phase_variance() >= 1);
    }

    /// A small deterministic generator: uniform in [-1, 1) as 2^-31 units.
    fn uniform(state: &mut u64) -> i64 {
        *state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        i64::from((*state >> 32) as u32 as i32)
    }

    /// Runs 40 h of 64 s exchanges with ±30 µs uniform noise against an
    /// oscillator whose frequency walks by `walk` (2^-48 per √s); returns q.
    fn learnt_wander(walk: i64) -> i128 {
        let us = SEC / 1_000_000;
        let r = i128::from((30 * us).pow(2) / 3);
        let mut k = Kalman::new(0, 0, r, 0, 1 << 60);
        let (mut x, mut b, mut rng) = (0i64, 0i64, 7u64);
        for i in 1..2250 {
            // Frequency steps of walk·8 (√64 s) as a sum of uniforms (σ 1).
            let step: i64 = (0..3).map(|_| uniform(&mut rng)).sum::<i64>();
            b += walk * 8 * step / (1 << 31);
            x += mul_shr64(b, 64 * SEC, 48);
            k.predict(i * 64 * SEC);
            k.update(x + 30 * us * uniform(&mut rng) / (1 << 31), r);
        }
        k.wander()
    }

    #[test]
    #[cfg_attr(miri, ignore)] // 6750 filter steps of 128-bit arithmetic: minutes in the interpreter
    fn measures_the_wander_over_hours() {
        // 1e-9 /√s in 2^-48: 281 475.
        let q = learnt_wander(281_475);
        assert!(q > Q_INIT / 3 && q < Q_INIT * 3, "{q} vs {Q_INIT}");
        let q = learnt_wander(10 * 281_475);
        assert!(q > Q_INIT * 30 && q < Q_INIT * 300, "{q}");
        // A quiet oscillator: the wander falls far below a crystal's.
        let q = learnt_wander(0);
        assert!(q < Q_INIT / 100, "{q}");
    }

    #[test]
    fn a_phase_reset_assumes_a_crystals_wander_again() {
        let mut k = Kalman::new(0, 0, 1 << 40, 0, 1 << 60);
        k.q_mean = Q_MIN;
        k.q = Q_MIN;
        k.reset_phase(SEC, 0, 1 << 40);
        assert_eq!(k.wander(), Q_INIT);
        // A measured larger wander is kept.
        k.q_mean = 4 * Q_INIT;
        k.q = 4 * Q_INIT;
        k.reset_phase(2 * SEC, 0, 1 << 40);
        assert_eq!(k.wander(), 4 * Q_INIT);
    }
}
