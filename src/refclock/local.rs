//! The undisciplined local clock (driver type 1, `127.127.1.U`, refid `LCL`).
//!
//! Owns: the samples and status of the clock of last resort. It lets an isolated network
//! synchronise to one machine: every poll it reports that our clock agrees with itself
//! (offset `fudge time1`, normally zero). It is never preferred over a real source: its
//! status carries [`RefclockStatus::fallback_only`](super::status::RefclockStatus), which the
//! selection must honour by using it only when no other source survives (ntpd disables the
//! driver as soon as another source is operating).
//!
//! Stratum: `fudge stratum N` if given; otherwise in the SCO variant (selected here with
//! `mode 1`; ntpd made it a build option) the unit number U is the stratum; otherwise 5
//! (ntpd's documented default, chosen to lose against any likely real source).

use super::fudge::Fudge;
use super::median::precision_duration;
use crate::sample::Sample;
use crate::time::{NtpDuration, NtpTime};

/// Precision claimed for the local clock, log2 s (as ntpd).
pub const LOCAL_PRECISION: i8 = -7;
/// Default refid.
pub const LOCAL_REFID: [u8; 4] = *b"LCL\0";
/// Default stratum.
pub const LOCAL_DEFAULT_STRATUM: u8 = 5;

/// The local clock driver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct LocalClock {
    stratum: u8,
    offset: NtpDuration,
    refid: [u8; 4],
}

impl LocalClock {
    /// A local clock for unit `unit`; `sco` selects the SCO variant (unit = stratum).
    pub fn new(unit: u8, sco: bool, fudge: &Fudge) -> Self {
        let default = if sco {
            unit.min(15)
        } else {
            LOCAL_DEFAULT_STRATUM
        };
        Self {
            stratum: fudge.stratum_or(default),
            offset: fudge.time1,
            refid: fudge.refid_or(LOCAL_REFID),
        }
    }

    /// The stratum it runs at.
    pub const fn stratum(&self) -> u8 {
        self.stratum
    }

    /// The refid it reports.
    pub const fn refid(&self) -> [u8; 4] {
        self.refid
    }

    /// The sample for a poll at local time `now`: offset `time1`, no delay, dispersion of
    /// its precision.
    pub fn sample(&self, now: NtpTime) -> Sample {
        Sample {
            offset: self.offset,
            delay: NtpDuration::ZERO,
            dispersion: precision_duration(LOCAL_PRECISION),
            time: now,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stratum_sources() {
        assert_eq!(LocalClock::new(10, false, &Fudge::NONE).stratum(), 5);
        assert_eq!(LocalClock::new(10, true, &Fudge::NONE).stratum(), 10);
        let f = Fudge {
            stratum: Some(8),
            ..Fudge::NONE
        };
        assert_eq!(LocalClock::new(10, true, &f).stratum(), 8);
        let now = NtpTime::from_parts(3_900_000_000, 0);
        let s = LocalClock::new(0, false, &Fudge::NONE).sample(now);
        assert_eq!((s.offset, s.time), (NtpDuration::ZERO, now));
    }
}
