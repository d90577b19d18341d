//! Poll-interval adaptation: how often the sources need to be asked.
//!
//! The rule is an error budget: poll as slowly as possible while the phase
//! error the clock can build up unobserved between two exchanges stays well
//! below what the network lets us resolve anyway. With wander intensity `q`
//! (the estimator's frequency random walk, measured over hours by the
//! kalman module) and remaining frequency uncertainty `σ_f`, the phase
//! error grows over an interval `T` with variance `q·t³/3 + σ_f²·t²`;
//! averaged over the interval (the offset is sampled all the time, not only
//! at its end) that is `q·T³/12 + σ_f²·T²/3`. The network's resolution: with
//! `m` the mean round-trip queueing delay, the one-way mean is `m/2` and the
//! delay envelope of [`CAPACITY`] exchanges pins the phase to about
//! `m/2/CAPACITY`; the budget is half of that, `m/128`. The target is the
//! largest `T` in `minpoll..=maxpoll` within it: a quiet oscillator (tiny
//! `q`, converged `σ_f`) goes to maxpoll; a 1e-9 crystal on a LAN polls at
//! about a minute, where its accuracy is. A longer interval is adopted after
//! [`UP_AFTER`] consecutive updates agree, a shorter one after
//! [`DOWN_AFTER`]. Also: how many exchanges the phase estimate may span at
//! a given poll (fewer at long intervals, where the wander between
//! exchanges is larger: `n ∝ T^-0.6` balances 1/n envelope noise against
//! the T^1.5 growth of the wander).

use super::envelope::CAPACITY;
use super::wide::{mul_shr, square};
use crate::int128::Sat128;
use crate::int128::div_i128;
use crate::time::PollInterval;

/// The phase budget per interval is the mean round-trip queueing delay
/// divided by this: one-way mean (`/2`) over the envelope's [`CAPACITY`]
/// exchanges, halved.
const BUDGET_DIVISOR: i64 = 2 * CAPACITY as i64 * 2;

/// Consecutive "poll longer" verdicts needed before the interval doubles.
pub(crate) const UP_AFTER: u8 = 4;
/// Consecutive "poll shorter" verdicts needed before the interval drops.
pub(crate) const DOWN_AFTER: u8 = 2;

/// Exchanges the phase estimate uses at poll exponent `poll` (log2 s).
pub(crate) fn window_count(poll: PollInterval) -> usize {
    match poll.log2() {
        i8::MIN..=4 => 32,
        5 => 24,
        6 => 16,
        7 => 11,
        8 => 7,
        9 => 5,
        10 => 3,
        _ => 2,
    }
}

/// The longest interval in `min..=max` (log2 s) whose mean-square unobserved
/// phase error stays within the budget set by `noise`, the mean round-trip
/// queueing delay (ticks). `q` in 2^-96/s, `p11` in 2^-96.
pub(crate) fn target(
    q: i128,
    p11: i128,
    noise: i64,
    min: PollInterval,
    max: PollInterval,
) -> PollInterval {
    let limit = square(noise / BUDGET_DIVISOR);
    let lo = min.log2().clamp(0, 17);
    let hi = max.log2().clamp(lo, 17);
    let mut p = hi;
    while p > lo {
        // T = 2^p s (p in 1..=17): T³ = 2^3p, T² = 2^2p.
        let e = p as u32;
        // q·T³/12 and p11·T²/3 (2^-96 s²) to ticks² (2^-64 s²): >> 32.
        let wander = div_i128(mul_shr(q, 1 << (3 * e), 32), 12);
        let freq = div_i128(mul_shr(p11, 1 << (2 * e), 32), 3);
        if wander.sat_add(freq) <= limit {
            break;
        }
        p -= 1;
    }
    PollInterval::from_log2(p)
}

/// The poll interval with its hysteresis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PollControl {
    /// The interval in force.
    pub poll: PollInterval,
    up: u8,
    down: u8,
}

impl PollControl {
    /// Starting at `poll`.
    pub const fn new(poll: PollInterval) -> PollControl {
        PollControl {
            poll,
            up: 0,
            down: 0,
        }
    }

    /// Moves toward `target`: one step up after [`UP_AFTER`] agreeing
    /// verdicts, straight down to it after [`DOWN_AFTER`].
    pub fn steer(&mut self, target: PollInterval) {
        if target > self.poll {
            self.down = 0;
            self.up += 1;
            if self.up >= UP_AFTER {
                self.poll = self.poll.inc();
                self.up = 0;
            }
        } else if target < self.poll {
            self.up = 0;
            self.down += 1;
            if self.down >= DOWN_AFTER {
                self.poll = target;
                self.down = 0;
            }
        } else {
            self.up = 0;
            self.down = 0;
        }
    }

    /// Back to `poll` (after a step or a reset).
    pub fn reset(&mut self, poll: PollInterval) {
        self.poll = poll;
        self.up = 0;
        self.down = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const Q_1E9: i128 = 79_228_162_514; // (1e-9)² 2^96
    const US: i64 = 4_295;

    #[test]
    fn quiet_lan_goes_to_maxpoll_and_wander_does_not() {
        let min = PollInterval::from_log2(6);
        let max = PollInterval::from_log2(10);
        let lan = 200 * US; // mean round-trip queueing delay: budget ~1.6 µs
        // A quiet oscillator with a converged frequency: maxpoll.
        assert_eq!(target(Q_1E9 / 10_000, 0, lan, min, max).log2(), 10);
        // (1e-9)²/s alone allows 256 s (RMS 1.2 µs), not 512 s (3.4 µs).
        assert_eq!(target(Q_1E9, 0, lan, min, max).log2(), 8);
        // With the frequency uncertainty that wander leaves (30 ppb): 64 s.
        let p11 = (30 * 281_475i128).pow(2); // (30 ppb)² in 2^-96
        assert_eq!(target(Q_1E9, p11, lan, min, max).log2(), 6);
        // The same crystal on a WAN (10× the noise) may poll longer.
        assert!(target(Q_1E9, p11, 10 * lan, min, max).log2() > 6);
        assert_eq!(target(i128::MAX, i128::MAX, 0, min, max).log2(), 6);
    }

    #[test]
    fn hysteresis() {
        let mut p = PollControl::new(PollInterval::from_log2(6));
        let ten = PollInterval::from_log2(10);
        for _ in 0..UP_AFTER - 1 {
            p.steer(ten);
        }
        assert_eq!(p.poll.log2(), 6);
        p.steer(ten);
        assert_eq!(p.poll.log2(), 7);
        p.steer(PollInterval::from_log2(6));
        assert_eq!(p.poll.log2(), 7);
        p.steer(PollInterval::from_log2(6));
        assert_eq!(p.poll.log2(), 6);
    }

    #[test]
    fn window_shrinks_with_poll() {
        assert!(
            window_count(PollInterval::from_log2(6)) > window_count(PollInterval::from_log2(10))
        );
    }
}
