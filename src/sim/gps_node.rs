//! A simulated GPS stratum-1 server: one [`Ntp`] with the NMEA reference
//! clock `127.127.20.0` (`mode 1` = RMC at 4800 bit/s, `fudge time2 0.1`
//! = serial delay, `flag1 1` = PPS attached, `prefer`) on a simulated
//! [`Oscillator`], fed serial bytes and PPS edges with local timestamps and
//! answering client requests — the firmware board's loop, in true time.

use std::format;
use std::prelude::rust_2024::*;

use crate::discipline::DisciplineConfig;
use crate::refclock::{Fudge, FudgeFlags, Refclock, RefclockId};
use crate::select::CandidateFlags;
use crate::sim::oscillator::Oscillator;
use crate::sim::server::to_ntp_time;
use crate::system::{MAX_PACKET_LEN, Ntp, SystemConfig};
use crate::time::{NtpDuration, NtpTime};
use crate::wire::LeapIndicator;
use core::net::SocketAddr;

/// The receiver's pseudo address, 127.127.20.0.
pub const GPS_CLOCK: RefclockId = RefclockId::new(20, 0);

/// The GPS server host.
pub struct GpsNode {
    /// Its clock.
    pub osc: Oscillator,
    /// The core.
    pub ntp: Ntp<2, 1>,
    /// Log lines: (true time s, message).
    pub log: Vec<(f64, String)>,
    /// Requests answered.
    pub replies: u64,
    /// UTC at true time 0, NTP seconds.
    start_ntp: f64,
}

impl GpsNode {
    /// A server on `osc` (whose UTC reads `start_ntp` NTP seconds at true
    /// time 0) whose receiver is believed `trust` after losing
    /// its fix (`None`: the driver's default, 10 s), disciplined per `config`.
    pub fn new(
        osc: Oscillator,
        start_ntp: f64,
        trust: Option<NtpDuration>,
        config: DisciplineConfig,
        seed: u64,
    ) -> GpsNode {
        let now = to_ntp_time(osc.local_ntp());
        let mut key = [0u8; 16];
        key[..8].copy_from_slice(&seed.to_le_bytes());
        key[8..].copy_from_slice(&(!seed).to_le_bytes());
        let sc = SystemConfig {
            discipline: config,
            ..SystemConfig::default()
        };
        let mut ntp = Ntp::new(sc, now, key);
        let fudge = Fudge {
            time2: NtpDuration::from_millis(100),
            flags: FudgeFlags::FLAG1,
            ..Fudge::NONE
        };
        if let Ok(mut gps) = Refclock::new(GPS_CLOCK, 1, fudge) {
            if let Some(t) = trust {
                gps.set_trust_time(t);
            }
            let _ = ntp.add_refclock(gps, None, CandidateFlags::PREFER, now);
        }
        let mut node = GpsNode {
            osc,
            ntp,
            log: Vec::new(),
            replies: 0,
            start_ntp,
        };
        node.settle(0.0);
        node
    }

    /// The local clock reading at true time `tau` (the oscillator must be
    /// there), to 2^-32 s: computed from the whole start second plus the
    /// small part, because an `f64` of NTP seconds only resolves ~0.5 µs.
    fn now_at(&self, tau: f64) -> NtpTime {
        let whole = self.start_ntp.floor();
        let rest = (self.start_ntp - whole) + tau + self.osc.phase();
        NtpTime::from_parts(whole as i64, 0)
            + NtpDuration::from_bits((rest * 4_294_967_296.0).round() as i64)
    }

    /// When it next wants to run (local time).
    pub fn next_wake(&self) -> NtpTime {
        self.ntp.poll_timeout()
    }

    /// A PPS edge was captured now (the oscillator is at the edge's true time).
    pub fn pps(&mut self, tau: f64) {
        let now = self.now_at(tau);
        self.ntp.handle_pps(GPS_CLOCK, now);
        self.settle(tau);
    }

    /// A sentence's last byte arrived now.
    pub fn serial(&mut self, tau: f64, bytes: &[u8]) {
        let now = self.now_at(tau);
        self.ntp.handle_serial(GPS_CLOCK, bytes, now);
        self.settle(tau);
    }

    /// Timer work now.
    pub fn timer(&mut self, tau: f64) {
        let now = self.now_at(tau);
        self.ntp.handle_timeout(now);
        self.settle(tau);
        let mut buf = [0u8; MAX_PACKET_LEN];
        // Reference clock polls run here and may produce an adjustment.
        while self.ntp.poll_transmit(now, &mut buf).is_some() {}
        self.settle(tau);
    }

    /// A request from `from` arrived now; the reply, stamped as it leaves.
    pub fn request(&mut self, tau: f64, from: SocketAddr, bytes: &[u8]) -> Option<Vec<u8>> {
        let now = self.now_at(tau);
        let mut out = [0u8; MAX_PACKET_LEN];
        let tx = self.ntp.handle_packet(now, from, bytes, now, &mut out);
        self.settle(tau);
        let tx = tx?;
        if tx.stamp_at_send {
            self.ntp.stamp_transmit(&tx, &mut out, now);
        }
        self.replies += 1;
        out.get(..tx.len).map(<[u8]>::to_vec)
    }

    /// Stratum it advertises now (16 when unsynchronised).
    pub fn stratum(&self) -> u8 {
        let sys = self.ntp.system_variables();
        if sys.leap == LeapIndicator::Unsynchronized {
            16
        } else {
            sys.stratum
        }
    }

    /// Root dispersion it advertises now, s.
    pub fn root_dispersion(&self) -> f64 {
        self.ntp.system_variables().root_dispersion.to_bits() as f64 / 4_294_967_296.0
    }

    /// Applies adjustments and drains events.
    fn settle(&mut self, tau: f64) {
        while let Some(adj) = self.ntp.poll_adjustment() {
            self.osc.apply(&adj);
            let now = self.now_at(tau);
            self.ntp.adjustment_applied(adj, now);
        }
        while let Some(e) = self.ntp.poll_event() {
            self.log.push((tau, format!("{e}")));
        }
    }
}
