//! A simulated client host: the real core pieces — [`Association`]s with
//! their clock filters, the [`Selector`] and the [`Discipline`] — wired
//! together the way the system is, steering a simulated [`Oscillator`].
//!
//! This is the simulator's own small "system": it feeds the discipline every
//! new exchange of every selection survivor (offset and delay of the newest
//! sample, not the min-delay filter pick: the discipline weights by delay).

use crate::adjust::ClockAdjustment;
use crate::association::{Association, AssociationConfig, PollConfig, SystemSnapshot};
use crate::auth::KeyTable;
use crate::discipline::{Discipline, DisciplineConfig, Measurement};
use crate::select::{Candidate, CandidateFlags, SelectParams, Selector, Tally};
use crate::sim::client::SimClient;
use crate::sim::oscillator::Oscillator;
use crate::sim::rng::Rng;
use crate::sim::server::{from_ntp_time, to_ntp_time};
use crate::time::{NtpDuration, NtpTime};
use crate::wire::{LeapIndicator, NtpPacket};
use core::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::prelude::rust_2024::*;
use std::{format, vec};

/// Most servers a simulated client uses.
pub const MAX_SERVERS: usize = 8;

/// One simulated client.
#[derive(Debug)]
pub struct Node {
    /// Its clock.
    pub osc: Oscillator,
    assocs: Vec<Association>,
    tallies: Vec<Tally>,
    fed: Vec<Option<NtpTime>>,
    discipline: Discipline,
    selector: Selector<MAX_SERVERS>,
    snapshot: SystemSnapshot,
    keys: KeyTable<1>,
    entropy: Rng,
    /// Requests sent.
    pub packets: u64,
    /// Per server: (first send, last send, count), true time s.
    sends: Vec<(f64, f64, u64)>,
    /// Log lines: (true time s, message).
    pub log: Vec<(f64, String)>,
    /// The system peer's index, if any.
    pub system_peer: Option<usize>,
    /// Longest poll interval the discipline asked for so far (log2 s).
    pub max_poll: i8,
    /// Every change of system peer: (local NTP s, new peer, tallies then).
    pub peer_changes: Vec<(f64, Option<usize>, Vec<Tally>)>,
}

/// The address the simulator gives server `i`.
pub fn server_addr(i: usize) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, (i + 1) as u8)), 123)
}

impl Node {
    /// A client with `servers` associations polled per `poll`, disciplined per `config`.
    pub fn new(
        osc: Oscillator,
        servers: usize,
        poll: PollConfig,
        config: DisciplineConfig,
        seed: u64,
    ) -> Node {
        let mut entropy = Rng::new(seed, 0xC11E);
        let now = to_ntp_time(osc.local_ntp());
        let assocs = (0..servers.min(MAX_SERVERS))
            .map(|i| {
                let cfg = AssociationConfig {
                    poll,
                    ..AssociationConfig::client(server_addr(i))
                };
                Association::new(cfg, now, entropy.next_u64())
            })
            .collect::<Vec<_>>();
        let n = assocs.len();
        let mut snapshot = SystemSnapshot::unsynchronized(-24);
        snapshot.poll = config.minpoll;
        Node {
            osc,
            assocs,
            tallies: vec![Tally::Reject; n],
            fed: vec![None; n],
            discipline: Discipline::new(config, None),
            selector: Selector::new(SelectParams::DEFAULT),
            snapshot,
            keys: KeyTable::new(),
            entropy,
            packets: 0,
            sends: vec![(0.0, 0.0, 0); n],
            log: Vec::new(),
            system_peer: None,
            peer_changes: Vec::new(),
            max_poll: i8::MIN,
        }
    }

    /// The local clock reading now.
    pub fn now(&self) -> NtpTime {
        to_ntp_time(self.osc.local_ntp())
    }

    /// The discipline (read-only).
    pub fn discipline(&self) -> &Discipline {
        &self.discipline
    }

    /// Tally of server `i` from the last selection.
    pub fn tally(&self, i: usize) -> Tally {
        self.tallies.get(i).copied().unwrap_or_default()
    }

    /// When the node next wants to run (local time).
    pub fn next_wake(&self) -> NtpTime {
        let mut t = self
            .assocs
            .iter()
            .map(|a| a.next_timeout())
            .min()
            .unwrap_or(NtpTime::MAX);
        if let Some(d) = self.discipline.next_timeout() {
            t = t.min(d);
        }
        t
    }

    /// Mean interval between requests to one server, s.
    pub fn mean_poll(&self) -> f64 {
        let (span, gaps) = self
            .sends
            .iter()
            .filter(|s| s.2 > 1)
            .fold((0.0, 0u64), |(span, gaps), s| {
                (span + s.1 - s.0, gaps + s.2 - 1)
            });
        if gaps == 0 {
            f64::NAN
        } else {
            span / gaps as f64
        }
    }

    /// Timer work at true time `tau`: returns requests to send (server index, bytes).
    pub fn on_timer(&mut self, tau: f64) -> Vec<(usize, Vec<u8>)> {
        let now = self.now();
        if let Some(adj) = self.discipline.handle_timeout(now) {
            self.apply(tau, &adj);
        }
        self.drain_events(tau);
        let now = self.now();
        let mut out = Vec::new();
        for (i, a) in self.assocs.iter_mut().enumerate() {
            let mut buf = [0u8; 128];
            if let Some(len) = a.poll_transmit(
                now,
                self.entropy.next_u64(),
                &self.snapshot,
                &self.keys,
                &mut buf,
            ) {
                out.push((i, buf[..len].to_vec()));
                self.packets += 1;
                let s = &mut self.sends[i];
                if s.2 == 0 {
                    s.0 = tau;
                }
                s.1 = tau;
                s.2 += 1;
            }
        }
        out
    }

    /// A reply from server `i` arrived at true time `tau`.
    pub fn on_reply(&mut self, tau: f64, i: usize, bytes: &[u8]) {
        let rx = self.now();
        let Ok(packet) = NtpPacket::parse(bytes) else {
            return;
        };
        let Some(a) = self.assocs.get_mut(i) else {
            return;
        };
        if let Err(r) = a.handle_packet(rx, &packet, bytes, &self.snapshot, &self.keys) {
            self.log
                .push((tau, format!("server {i}: reply rejected: {r:?}")));
            return;
        }
        self.select(rx);
        // A lone server needs no vote: use it from its first sample instead
        // of waiting until its filter dispersion passes the distance limit.
        // Every survivor's exchanges steer (they all passed intersection and
        // clustering); the discipline weights each by its delay.
        let lone = self.assocs.len() == 1 && self.system_peer.is_none();
        let survivor = matches!(self.tally(i), Tally::SystemPeer | Tally::Candidate);
        if !survivor && !lone {
            return;
        }
        let Some(a) = self.assocs.get(i) else { return };
        let newest = a.filter().stages()[0];
        if newest.is_dummy() || self.fed[i] == Some(newest.time) {
            return;
        }
        self.fed[i] = Some(newest.time);
        self.discipline.set_leap(match a.remote_header().leap {
            LeapIndicator::Unsynchronized => LeapIndicator::NoWarning,
            li => li,
        });
        let stratum = a.remote_header().stratum.saturating_add(1);
        if let Some(adj) = self.discipline.update(rx, &Measurement::from(newest)) {
            self.apply(tau, &adj);
            self.snapshot.leap = LeapIndicator::NoWarning;
            self.snapshot.stratum = stratum;
        }
        self.snapshot.poll = self.discipline.poll_interval();
        self.max_poll = self.max_poll.max(self.snapshot.poll.log2());
        self.drain_events(tau);
    }

    fn select(&mut self, now: NtpTime) {
        let mut cands: Vec<Candidate> = Vec::new();
        for (i, a) in self.assocs.iter().enumerate() {
            let Some(f) = a.filter().output() else {
                continue;
            };
            let h = a.remote_header();
            let mut flags = CandidateFlags::empty();
            if a.reach().is_reachable() {
                flags |= CandidateFlags::REACHABLE;
            }
            if h.leap == LeapIndicator::Unsynchronized {
                flags |= CandidateFlags::UNSYNCHRONIZED;
            }
            cands.push(Candidate {
                id: i,
                offset: f.offset,
                delay: f.delay,
                dispersion: f.dispersion_at(now),
                jitter: f.jitter,
                root_delay: h.root_delay,
                root_dispersion: h.root_dispersion,
                stratum: h.stratum,
                poll: self.snapshot.poll,
                flags,
                tally: self.tallies[i],
            });
        }
        for t in self.tallies.iter_mut() {
            *t = Tally::Reject;
        }
        let result = self.selector.select(&mut cands);
        for c in &cands {
            self.tallies[c.id] = c.tally;
        }
        let peer = result.ok().map(|s| s.system_peer_id);
        if peer != self.system_peer {
            self.peer_changes
                .push((from_ntp_time(now), peer, self.tallies.clone()));
        }
        self.system_peer = peer;
    }

    fn apply(&mut self, tau: f64, adj: &ClockAdjustment) {
        self.osc.apply(adj);
        if adj.is_step() {
            for a in &mut self.assocs {
                a.clock_stepped(adj.step);
            }
            self.fed.iter_mut().for_each(|f| *f = None);
            self.log.push((tau, format!("step {} s", adj.step)));
        }
    }

    fn drain_events(&mut self, tau: f64) {
        while let Some(e) = self.discipline.poll_event() {
            self.log.push((tau, e.to_string()));
        }
    }

    /// Local NTP seconds of `t`.
    pub fn seconds(t: NtpTime) -> f64 {
        from_ntp_time(t)
    }

    /// Frequency the discipline would persist, ppm (for reports).
    pub fn drift_ppm(&self) -> f64 {
        self.discipline.frequency().to_bits() as f64 / 4_294_967_296.0
    }

    /// The last offset estimate of the discipline.
    pub fn last_offset(&self) -> NtpDuration {
        self.discipline.offset()
    }
}

impl SimClient for Node {
    fn osc(&self) -> &Oscillator {
        &self.osc
    }

    fn osc_mut(&mut self) -> &mut Oscillator {
        &mut self.osc
    }

    fn next_wake(&self) -> NtpTime {
        Node::next_wake(self)
    }

    fn on_timer(&mut self, tau: f64) -> Vec<(usize, Vec<u8>)> {
        Node::on_timer(self, tau)
    }

    fn on_reply(&mut self, tau: f64, server: usize, bytes: &[u8]) {
        Node::on_reply(self, tau, server, bytes)
    }

    fn packets(&self) -> u64 {
        self.packets
    }

    fn mean_poll(&self) -> f64 {
        Node::mean_poll(self)
    }

    fn log(&self) -> &[(f64, String)] {
        &self.log
    }
}
