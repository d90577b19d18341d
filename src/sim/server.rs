//! Simulated NTP servers: they answer real NTP requests (parsed and built
//! with [`crate::wire`]) from a clock that is UTC plus a fault: perfect, a
//! fixed-offset falseticker, one that steps, one that dies. They announce a
//! leap second when the scenario has one.

use crate::sim::Leap;
use crate::time::{NtpShort, NtpTime, PollInterval};
use crate::wire::{HeaderRepr, LeapIndicator, Mode, Packet, RefId};
use std::prelude::rust_2024::*;

/// What is wrong with a server's clock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fault {
    /// Exactly UTC.
    Perfect,
    /// Always this many seconds ahead of UTC (negative: behind).
    Offset(f64),
    /// Exactly UTC until true time `at` (s), then `by` seconds off.
    Step {
        /// When, s of true time.
        at: f64,
        /// By how much, s.
        by: f64,
    },
    /// Exactly UTC until true time `at` (s), then silent forever.
    Dies {
        /// When, s of true time.
        at: f64,
    },
}

/// A simulated server.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Server {
    /// Its fault.
    pub fault: Fault,
    /// Stratum it claims.
    pub stratum: u8,
}

impl Server {
    /// A perfect stratum-1 server.
    pub const fn perfect() -> Server {
        Server {
            fault: Fault::Perfect,
            stratum: 1,
        }
    }

    /// A stratum-1 server with `fault`.
    pub const fn with_fault(fault: Fault) -> Server {
        Server { fault, stratum: 1 }
    }

    /// The server's clock error against UTC at true time `tau`, s; `None`
    /// if it does not answer then.
    pub fn error_at(&self, tau: f64) -> Option<f64> {
        match self.fault {
            Fault::Perfect => Some(0.0),
            Fault::Offset(o) => Some(o),
            Fault::Step { at, by } => Some(if tau >= at { by } else { 0.0 }),
            Fault::Dies { at } => (tau < at).then_some(0.0),
        }
    }

    /// Answers `request` received at true time `tau`, when UTC reads
    /// `utc_ntp` (NTP s); the answer leaves at the same instant. `None` if
    /// the server is dead or the request is not a client request.
    pub fn respond(&self, request: &[u8], tau: f64, utc_ntp: f64, leap: &Leap) -> Option<[u8; 48]> {
        let error = self.error_at(tau)?;
        let packet = Packet::new_checked(request).ok()?;
        let req = HeaderRepr::parse(&packet).ok()?;
        if req.mode != Mode::Client {
            return None;
        }
        let now = to_ntp_time(utc_ntp + error);
        let li = if leap.announced(tau) {
            LeapIndicator::AddSecond
        } else {
            LeapIndicator::NoWarning
        };
        let reply = HeaderRepr {
            leap: li,
            version: req.version,
            mode: Mode::Server,
            stratum: self.stratum,
            poll: req.poll.clamp(PollInterval::MIN, PollInterval::MAX),
            precision: -24,
            root_delay: NtpShort::from_bits(0),
            root_dispersion: NtpShort::from_bits(16),
            ref_id: RefId::from_bytes(*b"SIM\0"),
            reference_timestamp: to_ntp_time(utc_ntp + error - 8.0).to_timestamp(),
            origin_timestamp: req.transmit_timestamp,
            receive_timestamp: now.to_timestamp(),
            transmit_timestamp: now.to_timestamp(),
        };
        let mut buf = [0u8; 48];
        reply.emit(&mut Packet::new_unchecked(&mut buf[..]));
        Some(buf)
    }
}

/// NTP seconds (f64) to an era-aware [`NtpTime`], rounded to 2^-32 s.
pub fn to_ntp_time(ntp_seconds: f64) -> NtpTime {
    let secs = ntp_seconds.floor();
    let frac = ((ntp_seconds - secs) * 4_294_967_296.0).round();
    if frac >= 4_294_967_296.0 {
        NtpTime::from_parts(secs as i64 + 1, 0)
    } else {
        NtpTime::from_parts(secs as i64, frac as u32)
    }
}

/// An [`NtpTime`] to NTP seconds (f64).
pub fn from_ntp_time(t: NtpTime) -> f64 {
    t.seconds() as f64 + f64::from(t.fraction()) / 4_294_967_296.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_conversions_round_trip() {
        let x = 3_900_000_000.123_456_7;
        assert!((from_ntp_time(to_ntp_time(x)) - x).abs() < 1e-6);
    }

    #[test]
    fn faults() {
        assert_eq!(
            Server::with_fault(Fault::Dies { at: 5.0 }).error_at(6.0),
            None
        );
        assert_eq!(
            Server::with_fault(Fault::Step { at: 5.0, by: 1.0 }).error_at(6.0),
            Some(1.0)
        );
        assert_eq!(
            Server::with_fault(Fault::Offset(0.05)).error_at(0.0),
            Some(0.05)
        );
    }
}
