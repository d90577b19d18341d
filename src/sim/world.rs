//! The event loop of one simulated client: true time advances from event to
//! event (packet arrivals, the client's timers, the once-a-second metric
//! sample); the oscillator integrates its phase between them. Clients are
//! independent (servers are stateless), so each runs on its own.

use crate::association::PollConfig;
use crate::discipline::DisciplineConfig;
use crate::sim::client::SimClient;
use crate::sim::metrics::{Metrics, Summary};
use crate::sim::oscillator::Oscillator;
use crate::sim::rng::Rng;
use crate::sim::scenario::Scenario;
use crate::sim::server::from_ntp_time;
use crate::sim::system_node::SystemNode;
use crate::time::PollInterval;
use std::prelude::rust_2024::*;

/// How to run a scenario.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunOptions {
    /// `Some(n)`: minpoll = maxpoll = n; `None`: minpoll 6, maxpoll 10.
    pub poll: Option<i8>,
    /// Seed of everything random.
    pub seed: u64,
    /// Override of the scenario's length, s.
    pub duration: Option<f64>,
    /// Override of the scenario's warm-up, s.
    pub warmup: Option<f64>,
    /// Keep every n-th second of offset for plots (0: none).
    pub trace_every: u64,
    /// Discipline settings (poll limits are overwritten from `poll`).
    pub discipline: DisciplineConfig,
}

impl Default for RunOptions {
    fn default() -> RunOptions {
        RunOptions {
            poll: None,
            seed: 1,
            duration: None,
            warmup: None,
            trace_every: 0,
            discipline: DisciplineConfig::DEFAULT,
        }
    }
}

/// What a client run produced.
pub struct ClientRun<C = SystemNode> {
    /// The metrics summary.
    pub summary: Summary,
    /// The raw metrics (trace for plots).
    pub metrics: Metrics,
    /// The node at the end (for tests: tallies, log, clock).
    pub node: C,
}

struct Flight {
    arrive: f64,
    server: usize,
    to_server: bool,
    bytes: Vec<u8>,
}

/// Runs client number `client` of `scenario` on the whole core, the `Ntp`
/// value ([`SystemNode`]).
pub fn run_client(scenario: &Scenario, opts: &RunOptions, client: u64) -> ClientRun<SystemNode> {
    run_with(scenario, opts, client, SystemNode::new)
}

/// Runs client number `client` of `scenario` on the node `make` builds
/// from (clock, server count, poll settings, discipline settings, seed).
pub fn run_with<C: SimClient>(
    scenario: &Scenario,
    opts: &RunOptions,
    client: u64,
    make: impl FnOnce(Oscillator, usize, PollConfig, DisciplineConfig, u64) -> C,
) -> ClientRun<C> {
    let duration = opts.duration.unwrap_or(scenario.duration);
    let warmup = opts.warmup.unwrap_or(scenario.warmup);
    let mut rng = Rng::new(opts.seed, client.wrapping_mul(2).wrapping_add(1));
    let (minpoll, maxpoll) = match opts.poll {
        Some(p) => (PollInterval::from_log2(p), PollInterval::from_log2(p)),
        None => (PollInterval::DEFAULT_MIN, PollInterval::DEFAULT_MAX),
    };
    let poll = PollConfig {
        minpoll,
        maxpoll,
        burst: false,
        iburst: true,
    };
    let config = DisciplineConfig {
        minpoll,
        maxpoll,
        ..opts.discipline
    };
    let osc = Oscillator::new(
        scenario.initial_offset,
        scenario.initial_frequency,
        scenario.walk,
        scenario.start_ntp,
    );
    let mut node = make(
        osc,
        scenario.servers.len(),
        poll,
        config,
        opts.seed ^ client.wrapping_mul(0x9E37),
    );
    let mut metrics = Metrics::new(warmup, opts.trace_every);
    let mut flights: Vec<Flight> = Vec::new();
    let mut tau = 0.0f64;
    // Metric samples fall mid-second, away from leap-second boundaries.
    let mut next_second = 0.5f64;
    let mut last_continuous = scenario.initial_offset;
    let utc = |tau: f64| scenario.start_ntp + tau - f64::from(scenario.leap.inserted(tau));

    loop {
        let wake_local = from_ntp_time(node.next_wake());
        let rate = 1.0 + node.osc().frequency_error();
        let wake = tau + ((wake_local - node.osc().local_ntp()) / rate).max(1e-6);
        let (fi, flight_at) = flights.iter().enumerate().map(|(i, f)| (i, f.arrive)).fold(
            (usize::MAX, f64::INFINITY),
            |acc, x| {
                if x.1 < acc.1 { x } else { acc }
            },
        );
        let t = wake.min(flight_at).min(next_second);
        if t > duration {
            break;
        }
        node.osc_mut().advance(t, &mut rng);
        tau = t;
        let offset = node.osc().phase() + f64::from(scenario.leap.inserted(tau));
        metrics.observe(tau, offset);
        if t == flight_at {
            let f = flights.swap_remove(fi);
            let Some((server, link)) = scenario.servers.get(f.server) else {
                continue;
            };
            if f.to_server {
                if let Some(reply) = server.respond(&f.bytes, tau, utc(tau), &scenario.leap) {
                    for d in link.transit(tau, false, &mut rng) {
                        flights.push(Flight {
                            arrive: tau + d,
                            server: f.server,
                            to_server: false,
                            bytes: reply.to_vec(),
                        });
                    }
                }
            } else {
                node.on_reply(tau, f.server, &f.bytes);
            }
        } else if t == next_second {
            let continuous = node.osc().phase() - node.osc().jumps();
            metrics.second(tau, offset, continuous - last_continuous);
            last_continuous = continuous;
            next_second += 1.0;
        } else {
            for (server, bytes) in node.on_timer(tau) {
                if let Some((_, link)) = scenario.servers.get(server) {
                    for d in link.transit(tau, true, &mut rng) {
                        flights.push(Flight {
                            arrive: tau + d,
                            server,
                            to_server: true,
                            bytes: bytes.clone(),
                        });
                    }
                }
            }
        }
    }
    let summary = metrics.summary(node.packets(), node.mean_poll());
    ClientRun {
        summary,
        metrics,
        node,
    }
}
