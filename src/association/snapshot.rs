//! [`SystemSnapshot`]: the system variables an association needs — what our
//! outgoing packets carry about us, and the limits incoming packets are tested
//! against. The system fills it from its own state; associations only read it.

use crate::time::{NtpDuration, NtpTimestamp, PollInterval};
use crate::wire::{LeapIndicator, RefId};

/// Default root distance limit, 1.5 s (ntpd `tos maxdist`).
pub const DEFAULT_MAX_DISTANCE: NtpDuration = NtpDuration::from_millis(1_500);

/// Default stratum limit: remotes at stratum 16 or above are unusable (RFC 5905 MAXSTRAT).
pub const DEFAULT_MAX_STRATUM: u8 = 16;

/// The system variables as the associations see them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SystemSnapshot {
    /// Our leap indicator (Unsynchronized until the clock is set).
    pub leap: LeapIndicator,
    /// Our stratum (16 = unsynchronized).
    pub stratum: u8,
    /// Our clock precision, log2 s (e.g. -20 ≈ 1 µs).
    pub precision: i8,
    /// Our root delay, 2^-32 s.
    pub root_delay: NtpDuration,
    /// Our root dispersion, 2^-32 s.
    pub root_dispersion: NtpDuration,
    /// Our reference id (the system peer's address or refclock name).
    pub reference_id: RefId,
    /// When our clock was last updated (wire format; zero = never).
    pub reference_time: NtpTimestamp,
    /// The system poll exponent from the discipline, log2 s.
    pub poll: PollInterval,
    /// Root distance limit: remotes whose root delay / 2 + root dispersion
    /// reaches it are rejected, 2^-32 s (default 1.5 s).
    pub max_distance: NtpDuration,
    /// Stratum limit: remotes at this stratum or above are rejected (default 16).
    pub max_stratum: u8,
}

impl SystemSnapshot {
    /// A system that has never been synchronised, with the given precision
    /// (log2 s): LI = 3, stratum 16, refid `INIT`, default limits.
    pub const fn unsynchronized(precision: i8) -> Self {
        SystemSnapshot {
            leap: LeapIndicator::Unsynchronized,
            stratum: 16,
            precision,
            root_delay: NtpDuration::ZERO,
            root_dispersion: NtpDuration::ZERO,
            reference_id: RefId::from_bytes(*b"INIT"),
            reference_time: NtpTimestamp::ZERO,
            poll: PollInterval::DEFAULT_MIN,
            max_distance: DEFAULT_MAX_DISTANCE,
            max_stratum: DEFAULT_MAX_STRATUM,
        }
    }
}

impl Default for SystemSnapshot {
    /// [`SystemSnapshot::unsynchronized`] with precision -20 (≈ 1 µs).
    fn default() -> Self {
        Self::unsynchronized(-20)
    }
}
