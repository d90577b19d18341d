//! A simulated GPS receiver: what its serial line and PPS pin deliver in
//! true time.
//!
//! Every true second `k` (UTC = `start_ntp + k`) the receiver
//! - raises a PPS edge at `k + N(0, pps_jitter)` (normal, σ = 1 µs by
//!   default), while it has a fix;
//! - ends an `$GPRMC` sentence naming second `k` on the serial line at
//!   `k + latency + U(−spread, +spread)` (uniform, 100 ms ± 10 ms by
//!   default). Without a fix the sentence has status `V` (no fix) and no
//!   position, as real receivers send it.
//!
//! Signal loss is a list of true-time windows `[from, until)` during which
//! the receiver has no fix. Times are seconds of true time (`f64`).

use std::format;
use std::prelude::rust_2024::*;

use crate::refclock::calendar::Date;
use crate::sim::rng::Rng;

/// How the receiver behaves.
#[derive(Debug, Clone, PartialEq)]
pub struct GpsReceiver {
    /// Mean delay from the second to the end of its sentence, s.
    pub latency: f64,
    /// Half-width of the uniform spread of that delay, s.
    pub latency_spread: f64,
    /// Standard deviation of the PPS edge about the true second, s.
    pub pps_jitter: f64,
    /// True-time windows `[from, until)` without a fix, s.
    pub loss: Vec<(f64, f64)>,
}

/// What the receiver does in one true second.
#[derive(Debug, Clone, PartialEq)]
pub struct GpsSecond {
    /// True time of the PPS edge, if one is raised.
    pub pps: Option<f64>,
    /// True time the last byte of the sentence arrives.
    pub serial_at: f64,
    /// The sentence (with CR LF).
    pub sentence: Vec<u8>,
}

impl Default for GpsReceiver {
    fn default() -> GpsReceiver {
        GpsReceiver {
            latency: 100e-3,
            latency_spread: 10e-3,
            pps_jitter: 1e-6,
            loss: Vec::new(),
        }
    }
}

impl GpsReceiver {
    /// True if the receiver has a fix at true time `tau`.
    pub fn has_fix(&self, tau: f64) -> bool {
        !self
            .loss
            .iter()
            .any(|&(from, until)| (from..until).contains(&tau))
    }

    /// The edge and sentence of true second `k`; UTC reads `start_ntp`
    /// (NTP seconds, whole) at true time 0.
    pub fn second(&self, k: u64, start_ntp: i64, rng: &mut Rng) -> GpsSecond {
        let tau = k as f64;
        let fix = self.has_fix(tau);
        let pps = fix.then(|| tau + self.pps_jitter * rng.normal());
        let spread = self.latency_spread * (2.0 * rng.uniform() - 1.0);
        GpsSecond {
            pps,
            serial_at: tau + self.latency + spread,
            sentence: rmc(start_ntp + k as i64, fix).into_bytes(),
        }
    }
}

/// An `$GPRMC` sentence for UTC second `ntp_seconds` (NTP era 0 seconds),
/// valid (`A`, with a position) or without fix (`V`, empty position).
pub fn rmc(ntp_seconds: i64, fix: bool) -> String {
    let date = Date::from_days_since_ntp_epoch(ntp_seconds.div_euclid(86_400)).unwrap_or(Date {
        year: 2000,
        month: 1,
        day: 1,
    });
    let tod = ntp_seconds.rem_euclid(86_400);
    let (status, position, mode) = if fix {
        ("A", "4807.038,N,01131.000,E,000.0,000.0", "A")
    } else {
        ("V", ",,,,,", "N")
    };
    let body = format!(
        "GPRMC,{:02}{:02}{:02}.00,{status},{position},{:02}{:02}{:02},,,{mode}",
        tod / 3600,
        tod / 60 % 60,
        tod % 60,
        date.day,
        date.month,
        date.year % 100
    );
    let checksum = body.bytes().fold(0u8, |a, b| a ^ b);
    format!("${body}*{checksum:02X}\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::refclock::nmea::{self, NmeaError};
    use crate::sim::scenario::START_2016_12_31_NOON;

    #[test]
    fn sentences_parse() {
        let start = START_2016_12_31_NOON as i64;
        let good = rmc(start + 1, true);
        assert!(good.starts_with("$GPRMC,120001.00,A,"), "{good}");
        let t = nmea::parse(good.as_bytes(), 2000).unwrap();
        assert!(t.date.is_some());
        let bad = rmc(start, false);
        assert_eq!(
            nmea::parse(bad.as_bytes(), 2000).err(),
            Some(NmeaError::NoFix)
        );
    }

    #[test]
    fn edges_latency_and_loss() {
        let gps = GpsReceiver {
            loss: vec![(10.0, 20.0)],
            ..GpsReceiver::default()
        };
        let mut rng = Rng::new(1, 0);
        let s = gps.second(5, 0, &mut rng);
        let edge = s.pps.unwrap();
        assert!((edge - 5.0).abs() < 10e-6);
        assert!((s.serial_at - 5.1).abs() <= 0.010 + 1e-12);
        let lost = gps.second(10, 0, &mut rng);
        assert!(lost.pps.is_none() && gps.has_fix(20.0) && !gps.has_fix(19.5));
    }
}
