//! Mode 6 status words (RFC 9327 §B, ntpd's encoding, which ntpq decodes).
//!
//! Owns the 16-bit system status word (leap, clock source, event counter,
//! last event) and peer status word (configured / authentication /
//! reachable / broadcast bits, selection code, event counter, last event),
//! plus the small event log that feeds the counters. It does not decide
//! which events happen: the system and associations report them.

use crate::wire::LeapIndicator;

/// Where the system clock's time comes from (system status bits 13–8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[repr(u8)]
pub enum ClockSource {
    /// Unspecified or unknown (also: not synchronized).
    #[default]
    Unspecified = 0,
    /// Calibrated atomic clock / PPS.
    Pps = 1,
    /// VLF or LF radio (e.g. DCF77, WWVB).
    LfRadio = 2,
    /// HF radio (e.g. WWV).
    HfRadio = 3,
    /// UHF satellite (e.g. GPS).
    UhfRadio = 4,
    /// Local clock / local net (ntpd shows "local").
    Local = 5,
    /// NTP over UDP.
    Ntp = 6,
    /// TIME protocol over UDP.
    UdpTime = 7,
    /// Eyeball and wristwatch (manually set).
    Wristwatch = 8,
    /// Telephone modem.
    Modem = 9,
}

/// System events (system status bits 3–0), ntpd's codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[repr(u8)]
pub enum SystemEvent {
    /// No event yet.
    #[default]
    Unspecified = 0,
    /// Frequency not set from a drift file.
    FreqNotSet = 1,
    /// Frequency set from a drift file.
    FreqSet = 2,
    /// A spike was detected (offset above the step threshold, waiting).
    SpikeDetect = 3,
    /// Initial frequency training mode.
    FreqMode = 4,
    /// The clock became synchronized.
    ClockSync = 5,
    /// The daemon (core) was restarted.
    Restart = 6,
    /// The panic threshold was exceeded; no adjustment made.
    PanicStop = 7,
    /// No system peer any more.
    NoSystemPeer = 8,
    /// A leap second was armed.
    LeapArmed = 9,
    /// A leap second was disarmed.
    LeapDisarmed = 10,
    /// A leap second happened.
    LeapEvent = 11,
    /// The clock was stepped.
    ClockStep = 12,
    /// Kernel discipline state changed.
    Kernel = 13,
    /// TAI offset changed.
    Tai = 14,
    /// Leap second information is stale.
    StaleLeap = 15,
}

/// Peer events (peer status bits 3–0), ntpd's codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[repr(u8)]
pub enum PeerEvent {
    /// No event yet.
    #[default]
    Unspecified = 0,
    /// Association mobilized.
    Mobilize = 1,
    /// Association demobilized.
    Demobilize = 2,
    /// Server became unreachable.
    Unreachable = 3,
    /// Server became reachable.
    Reachable = 4,
    /// Association restarted.
    Restart = 5,
    /// No reply (after a burst).
    NoReply = 6,
    /// Rate exceeded (a RATE kiss was received).
    Rate = 7,
    /// Access denied (DENY/RSTR kiss).
    Deny = 8,
    /// Leap second armed by the server's LI bits.
    LeapArmed = 9,
    /// This peer became the system peer.
    SysPeer = 10,
    /// Reference clock event.
    Clock = 11,
    /// Authentication failure.
    BadAuth = 12,
    /// Popcorn spike suppressed.
    Popcorn = 13,
    /// Entered interleaved mode.
    Interleave = 14,
    /// Interleave error.
    InterleaveError = 15,
}

/// How the selection algorithm rated a peer (peer status bits 10–8), the
/// code ntpq turns into the tally character of `ntpq -p`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[repr(u8)]
pub enum PeerSelection {
    /// Rejected (` `): unreachable, unsynchronized or failed sanity checks.
    #[default]
    Reject = 0,
    /// Falseticker (`x`): outside the intersection.
    Falseticker = 1,
    /// Excess (`.`): beyond the candidate limit.
    Excess = 2,
    /// Outlier (`-`): discarded by clustering.
    Outlier = 3,
    /// Candidate (`+`): survivor, used in combining.
    Candidate = 4,
    /// Backup (`#`): survivor beyond the combine limit.
    Backup = 5,
    /// System peer (`*`).
    SystemPeer = 6,
    /// PPS peer (`o`).
    PpsPeer = 7,
}

/// A 4-bit event counter and the last event code, as both status words
/// carry them. The counter saturates at 15; reading the status with an
/// authenticated request may reset it (ntpd does; we leave that to the caller).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct EventLog {
    /// Events recorded since the last reset, 0–15 (saturating).
    pub count: u8,
    /// Code of the last event, 0–15.
    pub last: u8,
}

impl EventLog {
    /// Records an event by its 4-bit code.
    pub fn record(&mut self, code: u8) {
        self.count = self.count.saturating_add(1).min(15);
        self.last = code & 0x0f;
    }

    /// The low byte of a status word: counter in bits 7–4, code in bits 3–0.
    pub const fn bits(self) -> u8 {
        ((self.count & 0x0f) << 4) | (self.last & 0x0f)
    }
}

/// The system status word sent with system READVAR/READSTAT replies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SystemStatus {
    /// Leap indicator (bits 15–14).
    pub leap: LeapIndicator,
    /// Clock source (bits 13–8).
    pub source: ClockSource,
    /// Event counter and last event code (bits 7–0; see [`SystemEvent`]).
    pub events: EventLog,
}

impl SystemStatus {
    /// The encoded 16-bit word (`0x0514` = no leap, local source, 1 event,
    /// last event freq_mode).
    pub const fn to_bits(self) -> u16 {
        ((self.leap.to_bits() as u16) << 14)
            | (((self.source as u16) & 0x3f) << 8)
            | self.events.bits() as u16
    }
}

/// The peer status word sent with peer READVAR/READSTAT replies and in the
/// association list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PeerStatus {
    /// Configured (persistent) association (bit 15).
    pub configured: bool,
    /// Authentication enabled for this association (bit 14).
    pub auth_enabled: bool,
    /// The last packets authenticated correctly (bit 13).
    pub authentic: bool,
    /// Reach register non-zero (bit 12).
    pub reachable: bool,
    /// Broadcast association (bit 11).
    pub broadcast: bool,
    /// Selection code (bits 10–8).
    pub selection: PeerSelection,
    /// Event counter and last event code (bits 7–0; see [`PeerEvent`]).
    pub events: EventLog,
}

impl PeerStatus {
    /// The encoded 16-bit word (`0x961a` = configured, reachable, system
    /// peer, 1 event, last event sys_peer).
    pub const fn to_bits(self) -> u16 {
        let mut hi: u16 = self.selection as u16 & 0x07;
        if self.configured {
            hi |= 0x80;
        }
        if self.auth_enabled {
            hi |= 0x40;
        }
        if self.authentic {
            hi |= 0x20;
        }
        if self.reachable {
            hi |= 0x10;
        }
        if self.broadcast {
            hi |= 0x08;
        }
        (hi << 8) | self.events.bits() as u16
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_word_matches_c1() {
        let mut events = EventLog::default();
        events.record(SystemEvent::FreqMode as u8);
        let s = SystemStatus {
            leap: LeapIndicator::NoWarning,
            source: ClockSource::Local,
            events,
        };
        assert_eq!(s.to_bits(), 0x0514);
        let u = SystemStatus {
            leap: LeapIndicator::Unsynchronized,
            ..s
        };
        assert_eq!(u.to_bits(), 0xc514);
    }

    #[test]
    fn peer_word_matches_c3() {
        let mut events = EventLog::default();
        events.record(PeerEvent::SysPeer as u8);
        let p = PeerStatus {
            configured: true,
            reachable: true,
            selection: PeerSelection::SystemPeer,
            events,
            ..PeerStatus::default()
        };
        assert_eq!(p.to_bits(), 0x961a);
    }

    #[test]
    fn counter_saturates() {
        let mut e = EventLog::default();
        for _ in 0..40 {
            e.record(0x1f);
        }
        assert_eq!(e.bits(), 0xff);
    }
}
