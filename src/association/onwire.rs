//! The on-wire arithmetic (RFC 5905 §8): from the four timestamps of one
//! exchange to a [`Sample`] — offset θ, delay δ and dispersion ε.
//!
//! Owns only arithmetic on already-validated timestamps: which four timestamps
//! belong together (basic, interleaved, symmetric, broadcast) is decided by the
//! receive path. Wire timestamps are era-less; they are resolved into the era of
//! the nearest local time before any subtraction.

use crate::sample::Sample;
use crate::time::{NtpDuration, NtpTime, NtpTimestamp};

use super::filter::phi_dispersion;

/// 2^`log2` seconds as a duration (a precision field), in 2^-32 s.
#[cfg_attr(target_pointer_width = "32", inline(never))]
pub fn precision_duration(log2: i8) -> NtpDuration {
    NtpDuration::ONE_SECOND.shift(i32::from(log2))
}

/// Why an exchange's timestamps cannot give a sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ExchangeError {
    /// Our receive time is before our send time (t4 < t1).
    LocalOrder,
    /// The remote transmitted before it received (t3 < t2).
    RemoteOrder,
}

/// The four timestamps of one client/server or symmetric exchange, all
/// era-resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Exchange {
    /// t1: our send time (local clock).
    pub t1: NtpTime,
    /// t2: the remote's receive time (remote clock).
    pub t2: NtpTime,
    /// t3: the remote's transmit time (remote clock).
    pub t3: NtpTime,
    /// t4: our receive time (local clock).
    pub t4: NtpTime,
}

impl Exchange {
    /// Builds an exchange from our local send/receive times and the remote's wire
    /// timestamps, resolving the remote ones into the era nearest `t1`.
    pub fn new(t1: NtpTime, t2: NtpTimestamp, t3: NtpTimestamp, t4: NtpTime) -> Self {
        Exchange {
            t1,
            t2: t2.resolve(t1),
            t3: t3.resolve(t1),
            t4,
        }
    }

    /// Clock offset θ = ((t2 − t1) + (t3 − t4)) / 2, in 2^-32 s.
    pub fn offset(&self) -> NtpDuration {
        ((self.t2 - self.t1) + (self.t3 - self.t4)).shift(-1)
    }

    /// Round-trip delay δ = (t4 − t1) − (t3 − t2), in 2^-32 s.
    pub fn delay(&self) -> NtpDuration {
        (self.t4 - self.t1) - (self.t3 - self.t2)
    }

    /// The sample of this exchange: θ, δ (never below our precision), and
    /// ε = 2^remote_precision + 2^local_precision + Φ·(t4 − t1); taken at t4.
    pub fn sample(
        &self,
        remote_precision: i8,
        local_precision: i8,
    ) -> Result<Sample, ExchangeError> {
        if self.t4 < self.t1 {
            return Err(ExchangeError::LocalOrder);
        }
        if self.t3 < self.t2 {
            return Err(ExchangeError::RemoteOrder);
        }
        let local = precision_duration(local_precision);
        let dispersion =
            precision_duration(remote_precision) + local + phi_dispersion(self.t4 - self.t1);
        Ok(Sample {
            offset: self.offset(),
            delay: self.delay().max(local),
            dispersion,
            time: self.t4,
        })
    }
}

/// The sample of one broadcast packet: the server's transmit time `t3`, our
/// receive time `t4` and the calibrated one-way delay, in 2^-32 s.
///
/// θ = t3 + one_way − t4, δ = 2·one_way, ε = 2^remote_precision + 2^local_precision.
pub fn broadcast_sample(
    t3: NtpTimestamp,
    t4: NtpTime,
    one_way: NtpDuration,
    remote_precision: i8,
    local_precision: i8,
) -> Sample {
    let t3 = t3.resolve(t4);
    let local = precision_duration(local_precision);
    Sample {
        offset: (t3 - t4) + one_way,
        delay: one_way.saturating_mul(2).max(local),
        dispersion: precision_duration(remote_precision) + local,
        time: t4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: NtpTime = NtpTime::from_parts(3_900_000_000, 0);

    fn us(n: i64) -> NtpDuration {
        NtpDuration::from_micros(n)
    }

    /// Equal within 2^-31 s (micro-second constants are rounded to 2^-32 s).
    fn close(a: NtpDuration, b: NtpDuration) -> bool {
        (a - b).abs() <= NtpDuration::from_bits(2)
    }

    #[test]
    fn symmetric_paths_give_exact_offset() {
        // Remote is 1 ms ahead; 50 µs each way; 10 µs processing.
        let t1 = T;
        let t2 = T + us(1_000 + 50);
        let t3 = t2 + us(10);
        let t4 = t1 + us(50 + 10 + 50);
        let x = Exchange::new(t1, t2.to_timestamp(), t3.to_timestamp(), t4);
        assert!(close(x.offset(), us(1_000)));
        assert!(close(x.delay(), us(100)));
        let s = x.sample(-20, -20).unwrap();
        assert!(close(s.offset, us(1_000)));
        assert_eq!(s.time, t4);
        assert!(s.dispersion > precision_duration(-19));
    }

    #[test]
    fn resolves_eras_across_2036() {
        let t1 = NtpTime::ERA_1 - NtpDuration::from_millis(1);
        let t2 = NtpTime::ERA_1 + NtpDuration::from_millis(2);
        let x = Exchange::new(t1, t2.to_timestamp(), t2.to_timestamp(), t1 + us(10));
        assert_eq!(x.t2, t2);
        assert!(x.offset() > NtpDuration::from_millis(2));
    }

    #[test]
    fn rejects_reversed_timestamps() {
        let x = Exchange::new(T, T.to_timestamp(), T.to_timestamp(), T - us(1));
        assert_eq!(x.sample(-20, -20), Err(ExchangeError::LocalOrder));
        let x = Exchange::new(T, (T + us(5)).to_timestamp(), T.to_timestamp(), T + us(9));
        assert_eq!(x.sample(-20, -20), Err(ExchangeError::RemoteOrder));
    }

    #[test]
    fn delay_floor_is_local_precision() {
        let x = Exchange::new(T, T.to_timestamp(), T.to_timestamp(), T);
        assert_eq!(x.sample(-20, -10).unwrap().delay, precision_duration(-10));
    }

    #[test]
    fn broadcast_offset_uses_one_way_delay() {
        let t3 = T + us(500);
        let t4 = T + us(200);
        let s = broadcast_sample(t3.to_timestamp(), t4, us(100), -20, -20);
        assert!(close(s.offset, us(400)));
        assert!(close(s.delay, us(200)));
    }
}
