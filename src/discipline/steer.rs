//! The correction history: how far our steering has moved the clock away
//! from where the free-running oscillator would be.
//!
//! `A(t)` is the total correction at local time `t` (2^-32 s): every step
//! plus the integral of every frequency correction we set. `local = free +
//! A`, so subtracting `A` turns a measurement against our steered clock into
//! one against the free-running oscillator (the *free frame*), where the
//! estimator's state does not move when we steer. Owns a short list of
//! segments (start, A at start, rate); times are ticks (2^-32 s) relative to
//! the discipline's epoch, rates 2^-48.

use super::wide::{Sat64, mul_div64};

/// The correction a rate `rate` (2^-48) builds up over `local` ticks of
/// *local* time. A frequency correction scales the oscillator (local runs
/// `1 + rate` times as fast as free), so per local tick the correction grows
/// by `rate / (1 + rate)`, not `rate`: at a 5 % slew the difference is
/// 0.25 % of the elapsed time. Out of line: ~150 bytes, four callers.
#[inline(never)]
fn integrate(rate: i64, local: i64) -> i64 {
    let one: i64 = 1 << 48;
    mul_div64(rate, local, one.sat_add(rate).max(1))
}

/// Segments remembered (how stale a measurement may be: a few adjustments).
const CAPACITY: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Segment {
    /// Local time the segment starts, ticks.
    start: i64,
    /// Correction at `start`, ticks.
    at_start: i64,
    /// Frequency correction in force, 2^-48.
    rate: i64,
}

/// The history of corrections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Steer {
    segments: [Segment; CAPACITY],
    head: usize,
    len: usize,
    /// Local time right after the last step (or leap): earlier times are in
    /// another timescale and cannot be mapped.
    last_break: i64,
}

impl Steer {
    /// No correction yet, from local time `start` (the oscillator runs free).
    pub const fn new(start: i64) -> Steer {
        let s = Segment {
            start,
            at_start: 0,
            rate: 0,
        };
        Steer {
            segments: [s; CAPACITY],
            head: 0,
            len: 1,
            last_break: i64::MIN,
        }
    }

    // Out of line: the fallback copy is ~80 bytes at each of four callers.
    #[inline(never)]
    fn newest(&self) -> Segment {
        self.segments.get(self.head).copied().unwrap_or(Segment {
            start: 0,
            at_start: 0,
            rate: 0,
        })
    }

    /// The rate in force now, 2^-48.
    pub fn rate(&self) -> i64 {
        self.newest().rate
    }

    /// `A(t)`, ticks; `None` if `t` predates the history or the last step.
    pub fn correction_at(&self, t: i64) -> Option<i64> {
        if t < self.last_break {
            return None;
        }
        for k in 0..self.len {
            let i = (self.head + CAPACITY - k) % CAPACITY;
            let s = self.segments.get(i)?;
            if t >= s.start || k + 1 == self.len {
                if t < s.start {
                    return None;
                }
                return Some(s.at_start.sat_add(integrate(s.rate, t.sat_sub(s.start))));
            }
        }
        None
    }

    /// From local time `t` on, the clock runs with correction `rate`.
    pub fn set_rate(&mut self, t: i64, rate: i64) {
        let at = self.correction_at(t).unwrap_or_else(|| self.extrapolate(t));
        self.push(Segment {
            start: t,
            at_start: at,
            rate,
        });
    }

    /// At local time `t` (before the jump) the clock jumps by `step` ticks
    /// and then runs with `rate`. Times before the jump become unmappable.
    pub fn step(&mut self, t: i64, step: i64, rate: i64) {
        let at = self.correction_at(t).unwrap_or_else(|| self.extrapolate(t));
        let start = t.sat_add(step);
        self.push(Segment {
            start,
            at_start: at.sat_add(step),
            rate,
        });
        self.last_break = start;
    }

    /// The newest segment, set at local time `emitted` with `rate`, really
    /// began at `applied` (the caller applied the adjustment late): until
    /// then the segment before it stayed in force. Returns false (and
    /// changes nothing) if the newest segment is not that one or `applied`
    /// is not after `emitted`, or no older segment carries the gap.
    pub fn delay_newest(&mut self, emitted: i64, rate: i64, applied: i64) -> bool {
        let newest = self.newest();
        if newest.start != emitted || newest.rate != rate || applied <= emitted || self.len < 2 {
            return false;
        }
        let prev_index = (self.head + CAPACITY - 1) % CAPACITY;
        let Some(prev) = self.segments.get(prev_index).copied() else {
            return false;
        };
        if prev.start > emitted || newest.start < self.last_break {
            return false;
        }
        let at = prev
            .at_start
            .sat_add(integrate(prev.rate, applied.sat_sub(prev.start)));
        if let Some(slot) = self.segments.get_mut(self.head) {
            slot.start = applied;
            slot.at_start = at;
        }
        true
    }

    fn extrapolate(&self, t: i64) -> i64 {
        let s = self.newest();
        s.at_start.sat_add(integrate(s.rate, t.sat_sub(s.start)))
    }

    fn push(&mut self, s: Segment) {
        self.head = (self.head + 1) % CAPACITY;
        if let Some(slot) = self.segments.get_mut(self.head) {
            *slot = s;
        }
        self.len = (self.len + 1).min(CAPACITY);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: i64 = 1 << 32;
    const PPM: i64 = 281_474_977;

    #[test]
    fn integrates_rates_and_steps() {
        let mut s = Steer::new(0);
        assert_eq!(s.correction_at(10 * SEC), Some(0));
        s.set_rate(100 * SEC, 1000 * PPM); // 1 ms/s
        let a = s.correction_at(101 * SEC).unwrap();
        assert!((a - SEC / 1001).abs() < 10, "{a}");
        s.step(200 * SEC, SEC / 2, 0);
        assert_eq!(s.correction_at(150 * SEC), None);
        let a = s.correction_at(300 * SEC).unwrap();
        assert!((a - SEC * 100 / 1001 - SEC / 2).abs() < 1000, "{a}");
        assert_eq!(s.rate(), 0);
    }

    #[test]
    fn a_late_segment_starts_when_applied() {
        let mut s = Steer::new(0);
        s.set_rate(10 * SEC, 1000 * PPM);
        assert!(!s.delay_newest(9 * SEC, 1000 * PPM, 11 * SEC));
        assert!(!s.delay_newest(10 * SEC, 999 * PPM, 11 * SEC));
        assert!(s.delay_newest(10 * SEC, 1000 * PPM, 11 * SEC));
        // Nothing moved before 11 s; 1 ms/s after.
        assert_eq!(s.correction_at(11 * SEC), Some(0));
        let a = s.correction_at(12 * SEC).unwrap();
        assert!((a - SEC / 1001).abs() < 10, "{a}");
    }

    #[test]
    fn old_segments_still_map() {
        let mut s = Steer::new(0);
        s.set_rate(10 * SEC, PPM);
        s.set_rate(20 * SEC, 0);
        let a = s.correction_at(15 * SEC).unwrap();
        assert!((a - 5 * SEC / 1_000_000).abs() < 10);
        assert_eq!(s.correction_at(-SEC), None);
    }
}
