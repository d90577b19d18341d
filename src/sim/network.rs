//! The simulated network between one client and one server: per-direction
//! delay `base + Exp(mean)`, drawn independently for every packet, loss,
//! duplicates, and outages (the link is up only for a window of every
//! period). Times in seconds of true time.

use crate::sim::rng::Rng;
use std::prelude::rust_2024::*;
use std::vec;

/// One direction of a path.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Path {
    /// Fixed part of the one-way delay, s.
    pub base: f64,
    /// Mean of the exponential (queueing) part, s.
    pub exp_mean: f64,
}

impl Path {
    /// A path with `base` s fixed delay plus Exp(`exp_mean` s).
    pub const fn new(base: f64, exp_mean: f64) -> Path {
        Path { base, exp_mean }
    }

    /// One packet's delay, s.
    pub fn delay(&self, rng: &mut Rng) -> f64 {
        self.base + rng.exp(self.exp_mean)
    }
}

/// When the link carries packets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Availability {
    /// Always up.
    Always,
    /// Up during the first `up` seconds of every `period` seconds.
    Window {
        /// Length of the cycle, s.
        period: f64,
        /// Time up at the start of each cycle, s.
        up: f64,
    },
    /// Down from `from` to `until` (true time, s).
    Outage {
        /// Start, s.
        from: f64,
        /// End, s.
        until: f64,
    },
}

impl Availability {
    /// True if a packet sent at `tau` can get through.
    pub fn is_up(&self, tau: f64) -> bool {
        match *self {
            Availability::Always => true,
            Availability::Window { period, up } => tau.rem_euclid(period) < up,
            Availability::Outage { from, until } => !(from..until).contains(&tau),
        }
    }
}

/// A client–server link in both directions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Link {
    /// Client to server.
    pub up: Path,
    /// Server to client.
    pub down: Path,
    /// Probability a packet is lost, per direction.
    pub loss: f64,
    /// Probability a packet is delivered twice (the copy with its own delay).
    pub duplicate: f64,
    /// When the link works.
    pub availability: Availability,
}

impl Link {
    /// A symmetric, lossless, always-up link.
    pub const fn symmetric(path: Path) -> Link {
        Link {
            up: path,
            down: path,
            loss: 0.0,
            duplicate: 0.0,
            availability: Availability::Always,
        }
    }

    /// Delivery delays (s) for a packet sent at `tau` in one direction: none
    /// if lost or the link is down, two if duplicated.
    pub fn transit(&self, tau: f64, upward: bool, rng: &mut Rng) -> Vec<f64> {
        let path = if upward { self.up } else { self.down };
        if !self.availability.is_up(tau) || rng.chance(self.loss) {
            return Vec::new();
        }
        let mut out = vec![path.delay(rng)];
        if rng.chance(self.duplicate) {
            out.push(path.delay(rng));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_and_windows() {
        let mut rng = Rng::new(3, 0);
        let link = Link::symmetric(Path::new(1e-3, 1e-3));
        let d = link.transit(0.0, true, &mut rng);
        assert_eq!(d.len(), 1);
        assert!(d[0] >= 1e-3);
        let w = Availability::Window {
            period: 86_400.0,
            up: 1_800.0,
        };
        assert!(w.is_up(10.0) && !w.is_up(1_800.0) && w.is_up(86_401.0));
        let lossy = Link { loss: 1.0, ..link };
        assert!(lossy.transit(0.0, false, &mut rng).is_empty());
    }
}
