//! The GPS scenarios of issue 6: a stratum-1 server ([`GpsNode`]: NMEA +
//! attached PPS from a [`GpsReceiver`]) and its LAN clients (each a
//! [`SystemNode`] with one `server` line to it, iburst), all running the
//! real core, in one event loop over true time.
//!
//! - `gps-pps`: 24 h, warm-up 7200 s; every clock (server and clients)
//!   starts 10 ms off at +10 ppm with a 1e-9 frequency walk; LAN paths each
//!   way 100 µs + Exp(100 µs); the receiver sends RMC 100 ms ± 10 ms
//!   (uniform) after each second and a PPS edge with 1 µs (σ, normal)
//!   jitter.
//! - `gps-loss`: the same with the signal lost for 6 h in the middle of the
//!   run (RMC status V, no PPS); the receiver is trusted 1 h after its
//!   last fix (holdover), then the server must say it is unsynchronised.
//!
//! Besides the usual per-node [`Summary`], the run records the server's
//! stratum and root dispersion every minute, and when it started and
//! stopped advertising itself unsynchronised.

use std::prelude::rust_2024::*;
use std::vec;

use crate::association::PollConfig;
use crate::discipline::DisciplineConfig;
use crate::sim::SimClient;
use crate::sim::gps::GpsReceiver;
use crate::sim::gps_node::GpsNode;
use crate::sim::metrics::{Metrics, Summary};
use crate::sim::network::{Link, Path};
use crate::sim::oscillator::Oscillator;
use crate::sim::rng::Rng;
use crate::sim::scenario::START_2016_12_31_NOON;
use crate::sim::server::from_ntp_time;
use crate::sim::system_node::SystemNode;
use crate::sim::world::RunOptions;
use crate::time::{NtpDuration, NtpTime, PollInterval};
use core::net::{IpAddr, Ipv4Addr, SocketAddr};

/// The scenario names [`GpsScenario::named`] knows.
pub const GPS_NAMES: [&str; 2] = ["gps-pps", "gps-loss"];

/// A GPS server and its LAN clients.
#[derive(Debug, Clone, PartialEq)]
pub struct GpsScenario {
    /// Its name.
    pub name: String,
    /// The receiver (its `loss` is filled from `loss_seconds` at run time).
    pub receiver: GpsReceiver,
    /// Length of the signal loss centred in the run, s (0: none).
    pub loss_seconds: f64,
    /// How long the receiver is believed after losing its fix.
    pub trust: Option<NtpDuration>,
    /// Each client's link to the server.
    pub lan: Link,
    /// Frequency random-walk step per second, every clock (s/s).
    pub walk: f64,
    /// Initial clock offset of every node, s (local − true).
    pub initial_offset: f64,
    /// Initial frequency error of every node, s/s.
    pub initial_frequency: f64,
    /// Run length, s.
    pub duration: f64,
    /// Warm-up before metrics count, s.
    pub warmup: f64,
    /// UTC (NTP seconds, whole) at the start.
    pub start_ntp: f64,
}

impl GpsScenario {
    /// The scenario called `name`, or `None`.
    pub fn named(name: &str) -> Option<GpsScenario> {
        let base = GpsScenario {
            name: name.to_string(),
            receiver: GpsReceiver::default(),
            loss_seconds: 0.0,
            trust: Some(NtpDuration::from_seconds(3_600)),
            lan: Link::symmetric(Path::new(100e-6, 100e-6)),
            walk: 1e-9,
            initial_offset: 10e-3,
            initial_frequency: 10e-6,
            duration: 86_400.0,
            warmup: 7_200.0,
            start_ntp: START_2016_12_31_NOON,
        };
        match name {
            "gps-pps" => Some(base),
            "gps-loss" => Some(GpsScenario {
                loss_seconds: 6.0 * 3_600.0,
                ..base
            }),
            _ => None,
        }
    }
}

/// The server's state at one moment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ServerPoint {
    /// True time, s.
    pub tau: f64,
    /// Advertised stratum (16 = unsynchronised).
    pub stratum: u8,
    /// Advertised root dispersion, s.
    pub root_dispersion: f64,
    /// Offset to true time, s.
    pub offset: f64,
}

/// What a GPS run produced.
pub struct GpsRun {
    /// The server's summary.
    pub server: Summary,
    /// The server at the end.
    pub server_node: GpsNode,
    /// Its offset trace (for plots).
    pub server_metrics: Metrics,
    /// Its stratum, root dispersion and offset every 60 s.
    pub series: Vec<ServerPoint>,
    /// Largest advertised stratum after the warm-up.
    pub max_stratum: u8,
    /// The loss window `[from, until)`, true time s, if any.
    pub loss: Option<(f64, f64)>,
    /// First time after the loss began that the server advertised
    /// unsynchronised, true time s.
    pub unsync_at: Option<f64>,
    /// First time after the loss ended that it was synchronised again.
    pub resync_at: Option<f64>,
    /// Each client: summary, metrics, node.
    pub clients: Vec<(Summary, Metrics, SystemNode)>,
}

/// The address the server sees client `i` at.
pub fn client_addr(i: usize) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 1, (i + 1) as u8)), 123)
}

enum Ev {
    /// Metric sample and scheduling of the next receiver second.
    Tick(u64),
    Pps,
    Serial(Vec<u8>),
    /// A datagram for the server (`true`) or client `usize`.
    Packet(usize, bool, Vec<u8>),
}

fn wake_tau(tau: f64, osc: &Oscillator, wake: NtpTime) -> f64 {
    let rate = 1.0 + osc.frequency_error();
    tau + ((from_ntp_time(wake) - osc.local_ntp()) / rate).max(1e-6)
}

/// Runs `scenario` with `clients` clients.
pub fn run_gps(scenario: &GpsScenario, opts: &RunOptions, clients: usize) -> GpsRun {
    let duration = opts.duration.unwrap_or(scenario.duration);
    let warmup = opts.warmup.unwrap_or(scenario.warmup);
    let mut receiver = scenario.receiver.clone();
    let loss = (scenario.loss_seconds > 0.0).then(|| {
        let from = ((duration - scenario.loss_seconds) / 2.0).max(0.0).floor();
        (from, from + scenario.loss_seconds)
    });
    receiver.loss.extend(loss);
    let mut net_rng = Rng::new(opts.seed, 0x6E7);
    let mut gps_rng = Rng::new(opts.seed, 0x695);
    let mut osc_rngs: Vec<Rng> = (0..=clients as u64)
        .map(|i| Rng::new(opts.seed, 0x05C0 + i))
        .collect();
    let osc = || {
        Oscillator::new(
            scenario.initial_offset,
            scenario.initial_frequency,
            scenario.walk,
            scenario.start_ntp,
        )
    };
    let server = GpsNode::new(
        osc(),
        scenario.start_ntp,
        scenario.trust,
        DisciplineConfig::DEFAULT,
        opts.seed ^ 0x6_0000,
    );
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
    let mut nodes: Vec<SystemNode> = (0..clients)
        .map(|i| {
            SystemNode::new(
                osc(),
                1,
                poll,
                config,
                opts.seed ^ ((i as u64 + 1) * 0x9E37),
            )
        })
        .collect();
    let mut metrics: Vec<Metrics> = (0..=clients)
        .map(|_| Metrics::new(warmup, opts.trace_every))
        .collect();
    let mut last_continuous = vec![scenario.initial_offset; clients + 1];
    let mut events: Vec<(f64, Ev)> = vec![(0.5, Ev::Tick(0))];
    let start = scenario.start_ntp as i64;
    let mut run = GpsRun {
        server: Summary::default(),
        server_node: server,
        server_metrics: Metrics::default(),
        series: Vec::new(),
        max_stratum: 0,
        loss,
        unsync_at: None,
        resync_at: None,
        clients: Vec::new(),
    };
    let server = &mut run.server_node;
    let mut tau = 0.0f64;
    loop {
        let mut t = wake_tau(tau, &server.osc, server.next_wake());
        let mut who = None;
        for (i, n) in nodes.iter().enumerate() {
            let w = wake_tau(tau, n.osc(), n.next_wake());
            if w < t {
                (t, who) = (w, Some(i));
            }
        }
        let next_ev = events
            .iter()
            .enumerate()
            .min_by(|a, b| a.1.0.total_cmp(&b.1.0))
            .map(|(i, e)| (i, e.0));
        let ev = match next_ev {
            Some((i, at)) if at <= t => {
                t = at;
                Some(i)
            }
            _ => None,
        };
        if t > duration {
            break;
        }
        tau = t;
        server.osc.advance(t, &mut osc_rngs[0]);
        for (n, r) in nodes.iter_mut().zip(osc_rngs.iter_mut().skip(1)) {
            n.osc_mut().advance(t, r);
        }
        let Some(i) = ev else {
            match who {
                None => server.timer(t),
                Some(c) => {
                    for (_, bytes) in nodes[c].on_timer(t) {
                        for d in scenario.lan.transit(t, true, &mut net_rng) {
                            events.push((t + d, Ev::Packet(c, true, bytes.clone())));
                        }
                    }
                }
            }
            continue;
        };
        match events.swap_remove(i).1 {
            Ev::Tick(k) => {
                for (j, m) in metrics.iter_mut().enumerate() {
                    let osc = if j == 0 {
                        &server.osc
                    } else {
                        nodes[j - 1].osc()
                    };
                    let continuous = osc.phase() - osc.jumps();
                    m.observe(t, osc.phase());
                    m.second(t, osc.phase(), continuous - last_continuous[j]);
                    last_continuous[j] = continuous;
                }
                let stratum = server.stratum();
                if t >= warmup {
                    run.max_stratum = run.max_stratum.max(stratum);
                }
                if let Some((from, until)) = loss {
                    if t >= from && stratum == 16 && run.unsync_at.is_none() {
                        run.unsync_at = Some(t);
                    }
                    if t >= until && stratum < 16 && run.resync_at.is_none() {
                        run.resync_at = Some(t);
                    }
                }
                if k % 60 == 0 {
                    run.series.push(ServerPoint {
                        tau: t,
                        stratum,
                        root_dispersion: server.root_dispersion(),
                        offset: server.osc.phase(),
                    });
                }
                let second = receiver.second(k + 1, start, &mut gps_rng);
                if let Some(edge) = second.pps {
                    events.push((edge, Ev::Pps));
                }
                events.push((second.serial_at, Ev::Serial(second.sentence)));
                events.push((t + 1.0, Ev::Tick(k + 1)));
            }
            Ev::Pps => server.pps(t),
            Ev::Serial(bytes) => server.serial(t, &bytes),
            Ev::Packet(c, true, bytes) => {
                if let Some(reply) = server.request(t, client_addr(c), &bytes) {
                    for d in scenario.lan.transit(t, false, &mut net_rng) {
                        events.push((t + d, Ev::Packet(c, false, reply.clone())));
                    }
                }
            }
            Ev::Packet(c, false, bytes) => nodes[c].on_reply(t, 0, &bytes),
        }
    }
    let mut metrics = metrics.into_iter();
    if let Some(m) = metrics.next() {
        run.server = m.summary(run.server_node.replies, f64::NAN);
        run.server_metrics = m;
    }
    for (n, m) in nodes.into_iter().zip(metrics) {
        let s = m.summary(n.packets(), n.mean_poll());
        run.clients.push((s, m, n));
    }
    run
}
