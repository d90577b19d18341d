//! The phase estimate from the *delay envelope* of recent exchanges.
//!
//! Each client/server exchange bounds the offset from both sides: with
//! offset θ and round-trip delay δ, the reference was at most θ + δ/2 ahead
//! of us when the request arrived (the request cannot have taken negative
//! time) and at least θ − δ/2 when the reply left. The tightest bound from
//! each side comes from the exchange whose *one-way* delay in that direction
//! was smallest, and these are rarely the same exchange. Projected along the
//! estimated frequency to the present, the midpoint of the tightest upper and
//! lower bound is the phase estimate: its error shrinks like 1/n in the number
//! of exchanges (not 1/√n as an average does) and it does not need the base
//! delay. Asymmetry of the base delays is invisible here, as everywhere.
//!
//! Owns a ring of the last [`CAPACITY`] exchanges in the free frame (see the
//! kalman module): free time, upper bound `u = x + δ/2` and `v = δ/2 − x`, all
//! in 2^-32 s as `i64` relative to the discipline's epoch.

use super::wide::{Sat64, mul_shr64};

/// Exchanges remembered.
pub(crate) const CAPACITY: usize = 32;

/// The ring of recent exchanges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Envelope {
    time: [i64; CAPACITY],
    upper: [i64; CAPACITY],
    lower: [i64; CAPACITY],
    /// Index of the newest entry.
    head: usize,
    len: usize,
}

impl Envelope {
    /// An empty ring.
    pub const fn new() -> Envelope {
        Envelope {
            time: [0; CAPACITY],
            upper: [0; CAPACITY],
            lower: [0; CAPACITY],
            head: 0,
            len: 0,
        }
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// Remembers an exchange at free time `t` with free-frame offset `x`
    /// and round-trip delay `delay` (all ticks).
    pub fn push(&mut self, t: i64, x: i64, delay: i64) {
        let half = delay.max(0) / 2;
        self.head = (self.head + 1) % CAPACITY;
        if let (Some(tt), Some(u), Some(v)) = (
            self.time.get_mut(self.head),
            self.upper.get_mut(self.head),
            self.lower.get_mut(self.head),
        ) {
            *tt = t;
            *u = x.sat_add(half);
            *v = half.sat_sub(x);
        }
        self.len = (self.len + 1).min(CAPACITY);
    }

    /// Shifts every remembered offset by `delta` ticks.
    pub fn shift(&mut self, delta: i64) {
        for i in 0..CAPACITY {
            if let (Some(u), Some(v)) = (self.upper.get_mut(i), self.lower.get_mut(i)) {
                *u = u.sat_add(delta);
                *v = v.sat_sub(delta);
            }
        }
    }

    /// Number of exchanges remembered.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.len
    }

    /// The phase (free frame, ticks) at free time `now`, from at most
    /// `max_count` newest exchanges no older than `max_age` ticks (the newest
    /// is always used), projected with frequency `b` (2^-48). `None` if empty.
    pub fn midpoint(&self, now: i64, b: i64, max_count: usize, max_age: i64) -> Option<i64> {
        if self.len == 0 {
            return None;
        }
        let mut hi = i64::MAX;
        let mut lo = i64::MIN;
        for k in 0..self.len.min(max_count.max(1)) {
            let i = (self.head + CAPACITY - k) % CAPACITY;
            let (Some(&t), Some(&u), Some(&v)) =
                (self.time.get(i), self.upper.get(i), self.lower.get(i))
            else {
                break;
            };
            let tau = t.sat_sub(now);
            if k > 0 && tau.saturating_neg() > max_age {
                break;
            }
            let drift = mul_shr64(b, tau, 48);
            hi = hi.min(u.sat_sub(drift));
            lo = lo.max(v.sat_add(drift).saturating_neg());
        }
        Some(hi / 2 + lo / 2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: i64 = 1 << 32;
    const US: i64 = 4295;

    #[test]
    fn picks_the_best_bound_from_each_side() {
        let mut e = Envelope::new();
        // True offset 0; first exchange fast up / slow down, second the reverse.
        // offset = (up - down)/2, delay = up + down.
        e.push(0, (10 - 300) * US / 2, 310 * US);
        e.push(64 * SEC, (300 - 10) * US / 2, 310 * US);
        let a = e.midpoint(64 * SEC, 0, 32, 1000 * SEC).unwrap();
        assert!(a.abs() < US, "{a}");
        // Only the newest one: its midpoint is its own offset.
        let a = e.midpoint(64 * SEC, 0, 1, 1000 * SEC).unwrap();
        assert_eq!(a, 145 * US);
    }

    #[test]
    fn projects_along_the_frequency_and_honours_age() {
        let mut e = Envelope::new();
        let b: i64 = 281_474_977 * 10; // 10 ppm
        for i in 0..40i64 {
            let t = i * 16 * SEC;
            e.push(t, mul_shr64(b, t, 48), 200 * US);
        }
        assert_eq!(e.len(), CAPACITY);
        let now = 39 * 16 * SEC;
        let a = e.midpoint(now, b, 32, 100 * SEC).unwrap();
        assert!((a - mul_shr64(b, now, 48)).abs() < US);
        e.clear();
        assert_eq!(e.midpoint(now, b, 32, SEC), None);
    }
}
