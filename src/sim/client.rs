//! [`SimClient`]: what the event loop needs from a simulated client host
//! (the whole core in [`crate::sim::system_node`]; a test may plug in
//! another), and the send statistics every client keeps.

use std::prelude::rust_2024::*;

use crate::sim::oscillator::Oscillator;
use crate::time::NtpTime;

/// A simulated client host.
pub trait SimClient {
    /// Its clock.
    fn osc(&self) -> &Oscillator;
    /// Its clock, to advance.
    fn osc_mut(&mut self) -> &mut Oscillator;
    /// When it next wants to run (local time).
    fn next_wake(&self) -> NtpTime;
    /// Timer work at true time `tau`: requests to send (server index, bytes).
    fn on_timer(&mut self, tau: f64) -> Vec<(usize, Vec<u8>)>;
    /// A reply from server `server` arrived at true time `tau`.
    fn on_reply(&mut self, tau: f64, server: usize, bytes: &[u8]);
    /// Requests sent so far.
    fn packets(&self) -> u64;
    /// Mean interval between requests to one server, s.
    fn mean_poll(&self) -> f64;
    /// Log lines so far: (true time s, message).
    fn log(&self) -> &[(f64, String)];
}

/// Send statistics shared by the client kinds: per server (first send,
/// last send, count), true time s.
#[derive(Debug, Clone, Default)]
pub struct SendLog {
    sends: Vec<(f64, f64, u64)>,
    /// Requests sent.
    pub packets: u64,
}

impl SendLog {
    /// For `servers` servers.
    pub fn new(servers: usize) -> SendLog {
        SendLog {
            sends: std::vec![(0.0, 0.0, 0); servers],
            packets: 0,
        }
    }

    /// A request to `server` left at `tau`.
    pub fn sent(&mut self, server: usize, tau: f64) {
        self.packets += 1;
        if let Some(s) = self.sends.get_mut(server) {
            if s.2 == 0 {
                s.0 = tau;
            }
            s.1 = tau;
            s.2 += 1;
        }
    }

    /// Mean interval between requests to one server, s (NaN if none).
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
}
