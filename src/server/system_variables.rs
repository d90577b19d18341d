//! [`SystemVariables`]: what this node says about its own clock.
//!
//! Owns the plain record the system (lead's `system.rs`) keeps up to date
//! from selection and discipline, and that the server (replies, broadcast)
//! and the mode 6 responder read. It computes nothing itself.

use crate::control::status::{ClockSource, EventLog, SystemStatus};
use crate::time::{Frequency, NtpDuration, NtpTime, PollInterval};
use crate::wire::{LeapIndicator, RefId};

/// The stratum that means "unsynchronized" (RFC 5905).
pub const STRATUM_UNSYNCHRONIZED: u8 = 16;

/// The system variables (RFC 5905 §11.1 plus ntpd's mode 6 extras).
///
/// One instance lives in the system; replies and mode 6 read it. Values
/// are what goes on the wire and to `ntpq -c rv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SystemVariables {
    /// Leap indicator; `Unsynchronized` until the clock is synchronized.
    pub leap: LeapIndicator,
    /// Stratum, 1–15 when synchronized, 16 ([`STRATUM_UNSYNCHRONIZED`]) when not.
    pub stratum: u8,
    /// Precision of the system clock, log2 s (e.g. -24 ≈ 60 ns).
    pub precision: i8,
    /// Total round-trip delay to the primary reference (root delay), s.
    pub root_delay: NtpDuration,
    /// Total dispersion to the primary reference (root dispersion), s.
    pub root_dispersion: NtpDuration,
    /// Reference ID, network order: kiss/clock code (`GPS\0`, `INIT`) at
    /// stratum 1 or when unsynchronized, the upstream's IPv4 address or
    /// IPv6 hash otherwise.
    pub refid: RefId,
    /// When the clock was last set or corrected; `None` if never.
    pub reference_time: Option<NtpTime>,
    /// System poll interval (broadcast interval), log2 s.
    pub poll: PollInterval,
    /// Clock discipline time constant (`tc`), log2 s.
    pub time_constant: i8,
    /// Minimum time constant (`mintc`), log2 s.
    pub min_time_constant: i8,
    /// Combined offset of the survivors relative to us (`offset`), s.
    pub offset: NtpDuration,
    /// Jitter of the combined survivors (`sys_jitter`), s.
    pub system_jitter: NtpDuration,
    /// Frequency correction applied to the local clock (`frequency`).
    pub frequency: Frequency,
    /// Jitter of the clock discipline's offsets (`clk_jitter`), s.
    pub clock_jitter: NtpDuration,
    /// Wander: RMS of frequency changes (`clk_wander`).
    pub clock_wander: Frequency,
    /// Association ID of the system peer (`peer`), 0 when none.
    pub peer: u16,
    /// Kind of source the clock follows (system status word).
    pub source: ClockSource,
    /// System event counter and last event (system status word).
    pub events: EventLog,
    /// Processor name (`processor`, e.g. `"x86_64"`, `"cortex-m4"`).
    pub processor: &'static str,
    /// Operating system (`system`, e.g. `"Linux/6.1.0"`, `"bare metal"`).
    pub system: &'static str,
    /// Software version (`version`).
    pub version: &'static str,
}

impl SystemVariables {
    /// A node that has never been synchronized: LI = 3, stratum 16, refid
    /// `INIT`, no reference time, everything else zero.
    pub const UNSYNCHRONIZED: SystemVariables = SystemVariables {
        leap: LeapIndicator::Unsynchronized,
        stratum: STRATUM_UNSYNCHRONIZED,
        precision: -20,
        root_delay: NtpDuration::ZERO,
        root_dispersion: NtpDuration::ZERO,
        refid: RefId::from_bytes(*b"INIT"),
        reference_time: None,
        poll: PollInterval::DEFAULT_MIN,
        time_constant: 0,
        min_time_constant: 0,
        offset: NtpDuration::ZERO,
        system_jitter: NtpDuration::ZERO,
        frequency: Frequency::from_bits(0),
        clock_jitter: NtpDuration::ZERO,
        clock_wander: Frequency::from_bits(0),
        peer: 0,
        source: ClockSource::Unspecified,
        events: EventLog { count: 0, last: 0 },
        processor: "unknown",
        system: "unknown",
        version: concat!("sundial ", env!("CARGO_PKG_VERSION")),
    };

    /// Whether the clock counts as synchronized (LI ≠ 3 and stratum < 16).
    pub fn is_synchronized(&self) -> bool {
        self.leap != LeapIndicator::Unsynchronized && self.stratum < STRATUM_UNSYNCHRONIZED
    }

    /// The system status word for mode 6 replies.
    pub fn status(&self) -> SystemStatus {
        SystemStatus {
            leap: self.leap,
            source: self.source,
            events: self.events,
        }
    }
}

impl Default for SystemVariables {
    fn default() -> Self {
        SystemVariables::UNSYNCHRONIZED
    }
}
