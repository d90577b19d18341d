//! Delay statistics: how noisy the network path is.
//!
//! Keeps the last [`CAPACITY`] round-trip delays and derives the minimum (the
//! best estimate of the base delay) and the mean excess over it (twice the
//! mean one-way queueing delay). The measurement variance the estimator
//! assigns to an exchange, and the poll interval, come from these. Units:
//! 2^-32 s.

/// Delays remembered.
use crate::int128::div_i128;

pub(crate) const CAPACITY: usize = 64;

/// Smallest noise scale assumed, 1 µs in 2^-32 s.
const FLOOR: i64 = 4_295;

/// Ring of recent round-trip delays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Noise {
    delay: [i64; CAPACITY],
    /// Where the next delay goes.
    head: usize,
    len: usize,
}

impl Noise {
    /// Nothing seen yet.
    pub const fn new() -> Noise {
        Noise {
            delay: [0; CAPACITY],
            head: 0,
            len: 0,
        }
    }

    /// Remembers one round-trip delay (negative counts as 0).
    pub fn push(&mut self, delay: i64) {
        if let Some(d) = self.delay.get_mut(self.head) {
            *d = delay.max(0);
        }
        self.head = (self.head + 1) % CAPACITY;
        self.len = (self.len + 1).min(CAPACITY);
    }

    fn values(&self) -> &[i64] {
        self.delay.get(..self.len).unwrap_or(&[])
    }

    /// Number of delays remembered (at most [`CAPACITY`]).
    pub fn count(&self) -> usize {
        self.len
    }

    /// Smallest remembered delay (0 if none).
    pub fn min(&self) -> i64 {
        self.values().iter().copied().min().unwrap_or(0)
    }

    /// Mean excess of the delays over their minimum, never below 1 µs.
    pub fn mean_excess(&self) -> i64 {
        let v = self.values();
        let n = v.len() as i128;
        if n == 0 {
            return FLOOR;
        }
        let min = i128::from(self.min());
        let sum: i128 = v.iter().map(|&d| i128::from(d) - min).sum();
        (div_i128(sum, n) as i64).max(FLOOR)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_and_mean_excess() {
        let mut n = Noise::new();
        assert_eq!(n.mean_excess(), FLOOR);
        for d in [300_000, 100_000, 200_000] {
            n.push(d);
        }
        assert_eq!(n.min(), 100_000);
        assert_eq!(n.mean_excess(), 100_000);
        for _ in 0..CAPACITY {
            n.push(500_000);
        }
        assert_eq!(n.min(), 500_000);
        assert_eq!(n.mean_excess(), FLOOR);
    }
}
