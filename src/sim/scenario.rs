//! The named scenarios of the simulator (issue 5). All: 24 h, warm-up
//! 7200 s, clients start 10 ms off with +10 ppm frequency error plus a
//! random walk, delays independent per packet.

use crate::sim::network::{Availability, Link, Path};
use crate::sim::server::{Fault, Server};
use std::prelude::rust_2024::*;
use std::vec;

/// A leap second in the run: announced from `announce` (true time, s)
/// and inserted at the UTC midnight at true time `at`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Leap {
    /// When servers start announcing it, s of true time (None: no leap).
    pub announce: Option<f64>,
    /// The true time of the midnight at which it is inserted, s.
    pub at: f64,
}

impl Leap {
    /// True if servers announce the leap at true time `tau`.
    pub fn announced(&self, tau: f64) -> bool {
        self.announce.is_some_and(|a| tau >= a && tau < self.at)
    }

    /// Leap seconds UTC inserted by true time `tau`.
    pub fn inserted(&self, tau: f64) -> i32 {
        i32::from(self.announce.is_some() && tau >= self.at)
    }
}

/// Everything that defines one simulated world.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Its name.
    pub name: String,
    /// Servers and the link to each.
    pub servers: Vec<(Server, Link)>,
    /// Frequency random-walk step per second (s/s).
    pub walk: f64,
    /// Initial clock offset, s (local − true).
    pub initial_offset: f64,
    /// Initial frequency error, s/s.
    pub initial_frequency: f64,
    /// Run length, s.
    pub duration: f64,
    /// Warm-up before metrics count, s.
    pub warmup: f64,
    /// UTC (NTP seconds) at the start.
    pub start_ntp: f64,
    /// Leap second, if any.
    pub leap: Leap,
}

/// NTP seconds of 2016-12-31T12:00:00Z (a leap second followed 12 h later).
pub const START_2016_12_31_NOON: f64 = 3_692_217_600.0 - 43_200.0;

/// The scenario names [`Scenario::named`] knows.
pub const NAMES: [&str; 8] = [
    "lan",
    "wan",
    "wan-wander",
    "wan-asym",
    "falseticker",
    "outage",
    "server-step",
    "leap",
];

impl Scenario {
    fn base(name: &str, servers: Vec<(Server, Link)>, walk: f64) -> Scenario {
        Scenario {
            name: name.to_string(),
            servers,
            walk,
            initial_offset: 10e-3,
            initial_frequency: 10e-6,
            duration: 86_400.0,
            warmup: 7_200.0,
            start_ntp: START_2016_12_31_NOON,
            leap: Leap::default(),
        }
    }

    /// The scenario called `name`, or `None`.
    pub fn named(name: &str) -> Option<Scenario> {
        let lan = Link::symmetric(Path::new(100e-6, 100e-6));
        let wan = Link::symmetric(Path::new(1e-3, 1e-3));
        let perfect = Server::perfect();
        Some(match name {
            "lan" => Scenario::base(name, vec![(perfect, lan)], 1e-9),
            "wan" => Scenario::base(name, vec![(perfect, wan)], 1e-9),
            "wan-wander" => Scenario::base(name, vec![(perfect, wan)], 1e-8),
            "wan-asym" => {
                let link = Link {
                    up: Path::new(1.5e-3, 1e-3),
                    down: Path::new(0.5e-3, 1e-3),
                    ..wan
                };
                Scenario::base(name, vec![(perfect, link)], 1e-9)
            }
            "falseticker" => {
                let bad = Server::with_fault(Fault::Offset(50e-3));
                Scenario::base(
                    name,
                    vec![(perfect, lan), (perfect, lan), (perfect, lan), (bad, lan)],
                    1e-9,
                )
            }
            "outage" => {
                let link = Link {
                    availability: Availability::Window {
                        period: 86_400.0,
                        up: 1_800.0,
                    },
                    ..lan
                };
                Scenario::base(name, vec![(perfect, link)], 1e-9)
            }
            "server-step" => {
                let step = Server::with_fault(Fault::Step {
                    at: 3.0 * 3_600.0,
                    by: 1.0,
                });
                Scenario::base(
                    name,
                    vec![(perfect, lan), (perfect, lan), (step, lan)],
                    1e-9,
                )
            }
            "leap" => {
                let mut s = Scenario::base(name, vec![(perfect, lan)], 1e-9);
                s.leap = Leap {
                    announce: Some(0.0),
                    at: 43_200.0,
                };
                s
            }
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_resolves() {
        for n in NAMES {
            assert!(Scenario::named(n).is_some(), "{n}");
        }
        assert!(Scenario::named("nope").is_none());
        let leap = Scenario::named("leap").unwrap().leap;
        assert!(leap.announced(10.0) && !leap.announced(43_200.0));
        assert_eq!(leap.inserted(43_200.0), 1);
    }
}
