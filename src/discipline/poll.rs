//! Poll-interval adaptation: how often the sources need to be asked.
//!
//! The rule: poll as slowly as possible while the error the clock's own
//! wander can build up over one interval stays small against the network's
//! noise. With wander intensity `q` (the estimator's frequency random walk)
//! and remaining frequency uncertainty `σ_f`, the phase that can accumulate
//! unobserved over an interval `T` has variance `q·T³/3 + σ_f²·T²`; the
//! target is the largest `T` in `minpoll..=maxpoll` for which that stays
//! below (`m`/4)², `m` being the mean one-way queueing delay. A longer
//! interval is adopted after [`UP_AFTER`] consecutive updates agree, a
//! shorter one after [`DOWN_AFTER`]. Also: how many exchanges the phase estimate may
//! span at a given poll (fewer at long intervals, where the wander between
//! exchanges is larger: `n ∝ T^-0.6` balances 1/n envelope noise against the
//! T^1.5 growth of the wander).

use super::wide::mul_shr;
use crate::time::PollInterval;

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

/// The longest interval in `min..=max` (log2 s) whose unobserved wander stays
/// below a quarter of `noise` (ticks). `q` in 2^-96/s, `p11` in 2^-96.
pub(crate) fn target(
    q: i128,
    p11: i128,
    noise: i64,
    min: PollInterval,
    max: PollInterval,
) -> PollInterval {
    let limit = i128::from(noise / 4).pow(2);
    let lo = min.log2().clamp(0, 17);
    let hi = max.log2().clamp(lo, 17);
    let mut p = hi;
    while p > lo {
        let secs: i128 = 1 << p;
        // q·T³/3 (2^-96 s²) and p11·T² (2^-96 s²) to ticks² (2^-64 s²): >> 32.
        let wander = mul_shr(q, secs * secs * secs, 32) / 3;
        let freq = mul_shr(p11, secs * secs, 32);
        if wander.saturating_add(freq) <= limit {
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
        assert_eq!(target(Q_1E9, 0, 100 * US, min, max).log2(), 10);
        assert_eq!(target(Q_1E9 * 100, 0, 100 * US, min, max).log2(), 8);
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
