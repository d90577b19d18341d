//! [`Sample`]: one clean offset/delay measurement of a remote clock, the value
//! that associations (from packets) and reference clocks (from serial/PPS) hand
//! to the clock filter and selection.
//!
//! A plain value type on a low floor: it imports only `time`, and nothing here
//! knows where a sample came from.

use crate::time::{NtpDuration, NtpTime};

/// One measurement of a remote clock against ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Sample {
    /// Clock offset θ in 2^-32 s: add it to our clock to get the remote's time
    /// (positive = we are behind).
    pub offset: NtpDuration,
    /// Round-trip delay δ in 2^-32 s (for a reference clock: its path delay, often 0).
    pub delay: NtpDuration,
    /// Dispersion ε in 2^-32 s: the error bound of this measurement when it was
    /// taken (precisions plus frequency tolerance over the exchange).
    pub dispersion: NtpDuration,
    /// Local time the sample was taken (t4, the receive time), era-aware.
    pub time: NtpTime,
}

impl Sample {
    /// The largest dispersion (and the delay of a dummy sample), 16 s (RFC 5905 MAXDISP).
    pub const MAX_DISPERSION: NtpDuration = NtpDuration::from_seconds(16);

    /// The placeholder RFC 5905 shifts into the clock filter when a remote has
    /// not answered the last three polls: offset 0, delay and dispersion
    /// [`Sample::MAX_DISPERSION`].
    pub const fn dummy(time: NtpTime) -> Sample {
        Sample {
            offset: NtpDuration::ZERO,
            delay: Sample::MAX_DISPERSION,
            dispersion: Sample::MAX_DISPERSION,
            time,
        }
    }

    /// Whether this is (or is as bad as) a dummy: dispersion at or above
    /// [`Sample::MAX_DISPERSION`].
    pub fn is_dummy(&self) -> bool {
        self.dispersion >= Sample::MAX_DISPERSION
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dummy_is_dummy() {
        let t = NtpTime::from_parts(3_900_000_000, 0);
        assert!(Sample::dummy(t).is_dummy());
        let s = Sample {
            offset: NtpDuration::from_micros(5),
            delay: NtpDuration::from_micros(100),
            dispersion: NtpDuration::from_micros(20),
            time: t,
        };
        assert!(!s.is_dummy());
    }
}
