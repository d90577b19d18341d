//! A simulated client host running the whole core: one [`Ntp`] value fed
//! through its sans-IO API (`handle_packet`, `handle_timeout`,
//! `poll_transmit`, `poll_adjustment` / `adjustment_applied`,
//! `poll_timeout`) exactly as the daemon and firmware drive it, steering a
//! simulated [`Oscillator`].

use std::prelude::rust_2024::*;
use std::{format, vec};

use crate::association::{AssociationConfig, PollConfig};
use crate::discipline::DisciplineConfig;
use crate::select::{CandidateFlags, Tally};
use crate::sim::client::{SendLog, SimClient};
use crate::sim::oscillator::Oscillator;
use crate::sim::rng::Rng;
use crate::sim::server::to_ntp_time;
use crate::system::{MAX_PACKET_LEN, Ntp, Source, SystemConfig};
use crate::time::NtpTime;
use core::net::{IpAddr, Ipv4Addr, SocketAddr};

/// The address the simulator gives server `i`.
pub fn server_addr(i: usize) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, (i + 1) as u8)), 123)
}

/// One simulated client running [`Ntp`].
pub struct SystemNode {
    /// Its clock.
    pub osc: Oscillator,
    /// The core.
    pub ntp: Ntp<8, 1>,
    sends: SendLog,
    /// Log lines: (true time s, message).
    pub log: Vec<(f64, String)>,
    /// Longest system poll seen (log2 s).
    pub max_poll: i8,
    /// Server index that was system peer, per change: (true time s, index).
    pub peer_changes: Vec<(f64, Option<usize>)>,
}

impl SystemNode {
    /// A client with `servers` associations polled per `poll`, disciplined per `config`.
    pub fn new(
        osc: Oscillator,
        servers: usize,
        poll: PollConfig,
        config: DisciplineConfig,
        seed: u64,
    ) -> SystemNode {
        let now = to_ntp_time(osc.local_ntp());
        let mut rng = Rng::new(seed, 0x5E5);
        let mut key = [0u8; 16];
        key[..8].copy_from_slice(&rng.next_u64().to_le_bytes());
        key[8..].copy_from_slice(&rng.next_u64().to_le_bytes());
        let sc = SystemConfig {
            discipline: config,
            serve: false,
            ..SystemConfig::default()
        };
        let mut ntp = Ntp::new(sc, now, key);
        for i in 0..servers.min(8) {
            let cfg = AssociationConfig {
                poll,
                ..AssociationConfig::client(server_addr(i))
            };
            let _ = ntp.add_association(cfg, CandidateFlags::empty(), now);
        }
        let mut node = SystemNode {
            osc,
            ntp,
            sends: SendLog::new(servers),
            log: Vec::new(),
            max_poll: i8::MIN,
            peer_changes: Vec::new(),
        };
        node.settle(0.0);
        node
    }

    fn now(&self) -> NtpTime {
        to_ntp_time(self.osc.local_ntp())
    }

    /// The server index of an association's remote.
    fn index_of(addr: SocketAddr) -> Option<usize> {
        (0..8).find(|&i| server_addr(i) == addr)
    }

    /// Server index of the current system peer.
    pub fn system_peer(&self) -> Option<usize> {
        let id = self.ntp.system_peer()?;
        let view = self.ntp.association(id)?;
        match view.source() {
            Source::Network(a) => Self::index_of(a.config().remote),
            _ => None,
        }
    }

    /// The tally of server `i`.
    pub fn tally(&self, i: usize) -> Tally {
        for view in self.ntp.associations() {
            if let Source::Network(a) = view.source() {
                if Self::index_of(a.config().remote) == Some(i) {
                    return view.tally();
                }
            }
        }
        Tally::Reject
    }

    /// Applies adjustments, drains events, notes poll and peer changes.
    fn settle(&mut self, tau: f64) {
        while let Some(adj) = self.ntp.poll_adjustment() {
            self.osc.apply(&adj);
            let now = self.now();
            self.ntp.adjustment_applied(adj, now);
        }
        while let Some(e) = self.ntp.poll_event() {
            self.log.push((tau, format!("{e}")));
        }
        self.max_poll = self.max_poll.max(self.ntp.system_variables().poll.log2());
        let peer = self.system_peer();
        if self.peer_changes.last().map(|p| p.1) != Some(peer) {
            self.peer_changes.push((tau, peer));
        }
    }
}

impl SimClient for SystemNode {
    fn osc(&self) -> &Oscillator {
        &self.osc
    }

    fn osc_mut(&mut self) -> &mut Oscillator {
        &mut self.osc
    }

    fn next_wake(&self) -> NtpTime {
        self.ntp.poll_timeout()
    }

    fn on_timer(&mut self, tau: f64) -> Vec<(usize, Vec<u8>)> {
        let now = self.now();
        self.ntp.handle_timeout(now);
        self.settle(tau);
        let now = self.now();
        let mut out = Vec::new();
        let mut buf = vec![0u8; MAX_PACKET_LEN];
        while let Some(tx) = self.ntp.poll_transmit(now, &mut buf) {
            if tx.stamp_at_send {
                self.ntp.stamp_transmit(&tx, &mut buf, now);
            }
            if let Some(i) = Self::index_of(tx.to) {
                self.sends.sent(i, tau);
                out.push((i, buf[..tx.len].to_vec()));
            }
        }
        out
    }

    fn on_reply(&mut self, tau: f64, server: usize, bytes: &[u8]) {
        let now = self.now();
        let mut out = vec![0u8; MAX_PACKET_LEN];
        let _ = self
            .ntp
            .handle_packet(now, server_addr(server), bytes, now, &mut out);
        self.settle(tau);
    }

    fn packets(&self) -> u64 {
        self.sends.packets
    }

    fn mean_poll(&self) -> f64 {
        self.sends.mean_poll()
    }

    fn log(&self) -> &[(f64, String)] {
        &self.log
    }
}
