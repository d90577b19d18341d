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
//! `q` is adapted from the normalised innovations (their running mean should
//! be 1): too large → more wander than assumed → `q` doubles; too small → `q`
//! halves. Owns only this arithmetic; knows nothing about clocks or packets.

use super::wide::{mul_div, mul_shr};

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
/// 1.0 in the 2^-16 fixed point of the normalised innovation average.
const NIS_ONE: i64 = 1 << 16;
/// Updates before the wander intensity starts adapting.
const ADAPT_AFTER: u16 = 8;

/// The filter state; see the module docs for units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Kalman {
    /// Free-frame time of the state, ticks.
    pub t: i128,
    /// Phase, ticks.
    pub x: i128,
    /// Frequency, 2^-48.
    pub b: i128,
    p00: i128,
    p01: i128,
    p11: i128,
    q: i128,
    nis: i64,
    updates: u16,
}

/// What one measurement did to the filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Innovation {
    /// Measurement minus prediction, ticks.
    pub value: i128,
    /// Its predicted variance, ticks².
    pub variance: i128,
}

impl Kalman {
    /// A filter that has seen one measurement `z` (ticks) of variance `r`
    /// (ticks²) at free time `t`, with prior frequency `b` (2^-48) of
    /// variance `p11` (2^-96).
    pub fn new(t: i128, z: i128, r: i128, b: i128, p11: i128) -> Kalman {
        Kalman {
            t,
            x: z,
            b,
            p00: r.clamp(1, P00_MAX),
            p01: 0,
            p11: p11.clamp(1, P11_MAX),
            q: Q_INIT,
            nis: NIS_ONE,
            updates: 0,
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
    pub fn reset_phase(&mut self, t: i128, z: i128, r: i128) {
        self.t = t;
        self.x = z;
        self.p00 = r.clamp(1, P00_MAX);
        self.p01 = 0;
        self.p11 = self.p11.saturating_mul(4).clamp(1, P11_MAX);
        self.nis = NIS_ONE;
    }

    /// Forgets the phase (next measurement sets it), keeping the frequency.
    pub fn forget_phase(&mut self) {
        self.p00 = P00_MAX;
        self.p01 = 0;
    }

    /// Shifts the phase by `delta` ticks (the reference timescale jumped).
    pub fn shift(&mut self, delta: i128) {
        self.x = self.x.saturating_add(delta);
    }

    /// Moves the state forward to free time `t` (never backward).
    pub fn predict(&mut self, t: i128) {
        let dt = t.saturating_sub(self.t);
        if dt <= 0 {
            return;
        }
        self.x = self.x.saturating_add(mul_shr(self.b, dt, 48));
        // dt² and dt³ in 2^-32 s² / 2^-32 s³.
        let dt2 = mul_shr(dt, dt, 32);
        let dt3 = mul_shr(dt2, dt, 32);
        let p00 = self
            .p00
            .saturating_add(mul_shr(dt, self.p01, 48).saturating_mul(2))
            .saturating_add(mul_shr(dt2, self.p11, 64))
            .saturating_add(mul_shr(self.q, dt3, 64) / 3);
        let p01 = self
            .p01
            .saturating_add(mul_shr(dt, self.p11, 48))
            .saturating_add(mul_shr(self.q, dt2, 48) / 2);
        let p11 = self.p11.saturating_add(mul_shr(self.q, dt, 32));
        self.p00 = p00.clamp(1, P00_MAX);
        self.p11 = p11.clamp(1, P11_MAX);
        self.p01 = p01;
        self.t = t;
    }

    /// The innovation a measurement `z` with variance `r` would have now.
    pub fn innovation(&self, z: i128, r: i128) -> Innovation {
        Innovation {
            value: z.saturating_sub(self.x),
            variance: self.p00.saturating_add(r.max(1)),
        }
    }

    /// Folds in measurement `z` (ticks) of variance `r` (ticks²), taken at
    /// the state's time (call [`predict`](Self::predict) first).
    pub fn update(&mut self, z: i128, r: i128) -> Innovation {
        let r = r.max(1);
        let inn = self.innovation(z, r);
        let s = inn.variance;
        self.x = self.x.saturating_add(mul_div(self.p00, inn.value, s));
        self.b = self.b.saturating_add(mul_div(self.p01, inn.value, s));
        let p00 = mul_div(self.p00, r, s);
        let p01 = mul_div(self.p01, r, s);
        let p11 = self.p11.saturating_sub(mul_div(self.p01, self.p01, s));
        self.p00 = p00.clamp(1, P00_MAX);
        self.p01 = p01;
        self.p11 = p11.clamp(1, P11_MAX);
        self.adapt(inn);
        inn
    }

    /// Adjusts the wander intensity from the normalised innovation.
    fn adapt(&mut self, inn: Innovation) {
        self.updates = self.updates.saturating_add(1);
        let nis = mul_div(
            inn.value.saturating_mul(i128::from(NIS_ONE)),
            inn.value,
            inn.variance,
        )
        .clamp(0, 100 * i128::from(NIS_ONE)) as i64;
        self.nis += (nis - self.nis) / 16;
        if self.updates < ADAPT_AFTER {
            return;
        }
        if self.nis > 2 * NIS_ONE {
            self.q = self.q.saturating_mul(2).min(Q_MAX);
            self.nis = NIS_ONE;
        } else if self.nis < NIS_ONE / 2 {
            self.q = (self.q / 2).max(Q_MIN);
            self.nis = NIS_ONE;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: i128 = 1 << 32;
    const PPM: i128 = 281_474_977; // 2^48 / 1e6, rounded

    #[test]
    fn learns_a_constant_frequency() {
        // x = 10 ppm · t, noiseless measurements every 64 s.
        let mut k = Kalman::new(0, 0, 1 << 40, 0, 792_281_625_142_643_375_935); // (100 ppm)²
        for i in 1..40 {
            let t = i * 64 * SEC;
            k.predict(t);
            k.update(mul_shr(10 * PPM, t, 48), 1 << 40);
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
        let mut k = Kalman::new(
            i128::MIN / 4,
            i128::MAX / 4,
            i128::MAX,
            i128::MIN,
            i128::MAX,
        );
        k.predict(i128::MAX / 4);
        k.update(i128::MIN / 4, i128::MAX);
        k.update(0, 0);
        assert!(k.phase_variance() >= 1);
    }
}
