//! What a reference clock tells the system besides its samples: synchronisation state,
//! holdover and trust time, leap announcement, stratum, refid and precision.
//!
//! Owns: [`RefclockStatus`], [`SyncState`], [`LeapAnnouncement`] and the [`Holdover`]
//! tracker every driver uses to turn "when did the receiver last say it was synchronised"
//! into a state at a given `now`.

use crate::time::{NtpDuration, NtpTime};

/// How far the receiver can be believed right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SyncState {
    /// Receiving and synchronised to its signal (GPS fix, DCF77 lock, PPS edges numbered).
    Synchronized,
    /// The receiver lost its signal but is still believed until `until` (local time): the
    /// trust time of its oscillator has not run out.
    Holdover {
        /// Local time at which the trust time expires.
        until: NtpTime,
    },
    /// Not believed: never synchronised, trust time expired, or no data.
    Unsynchronized,
}

impl SyncState {
    /// Whether samples from this clock may be used (synchronised or in holdover).
    pub const fn is_usable(self) -> bool {
        !matches!(self, SyncState::Unsynchronized)
    }
}

/// A leap second the receiver announces for the end of the current UTC month/day.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum LeapAnnouncement {
    /// Nothing announced.
    #[default]
    None,
    /// A second is inserted (the last minute has 61 s).
    Insert,
    /// A second is deleted (the last minute has 59 s).
    Delete,
}

/// The status of one reference clock at some `now`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RefclockStatus {
    /// Synchronisation / holdover state.
    pub sync: SyncState,
    /// Leap second announced by the receiver.
    pub leap: LeapAnnouncement,
    /// The clock's own stratum (0 for a real time source; the server advertises it + 1).
    pub stratum: u8,
    /// Reference identifier, ASCII NUL-padded (`GPS`, `PPS`, `DCFa`, `LCL`, …).
    pub refid: [u8; 4],
    /// Precision, log2 seconds (−20 ≈ 1 µs).
    pub precision: i8,
    /// Only to be used when no real source is available (the local clock driver; selection
    /// flag `LOCAL_CLOCK`).
    pub fallback_only: bool,
    /// A PPS source that needs a prefer peer to number its seconds (type 22; selection flag
    /// `PPS`, tally `o` when used). An attached PPS numbers itself and is not flagged.
    pub pps: bool,
    /// `fudge flag3`: the host may hand PPS edges to a kernel PPS discipline.
    pub kernel_pps: bool,
    /// Local time of the last sample this clock produced, if any.
    pub last_sample: Option<NtpTime>,
}

/// Tracks the last time a receiver reported itself synchronised, and derives the
/// [`SyncState`] from it.
///
/// - Synchronised: a synchronised report arrived within `stale_after` of `now`.
/// - Holdover: the last synchronised report is older than that but younger than
///   `trust` (the receiver is still believed, e.g. a Meinberg OCXO for four days).
/// - Unsynchronised otherwise, or when no synchronised report was ever seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Holdover {
    /// Trust time after the last synchronised report, 2^-32 s.
    pub trust: NtpDuration,
    /// How long without any synchronised report before the clock counts as lost, 2^-32 s.
    pub stale_after: NtpDuration,
    last_sync: Option<NtpTime>,
}

impl Holdover {
    /// A tracker with the given trust time and staleness limit.
    pub const fn new(trust: NtpDuration, stale_after: NtpDuration) -> Self {
        Self {
            trust,
            stale_after,
            last_sync: None,
        }
    }

    /// The receiver said it is synchronised at local time `at`.
    pub fn synchronized_at(&mut self, at: NtpTime) {
        if self.last_sync.is_none_or(|t| at > t) {
            self.last_sync = Some(at);
        }
    }

    /// Changes the trust time (never below the staleness limit), 2^-32 s.
    pub fn set_trust(&mut self, trust: NtpDuration) {
        self.trust = trust.max(self.stale_after);
    }

    /// The receiver reported a restart / loss of its state: forget the last sync.
    pub fn forget(&mut self) {
        self.last_sync = None;
    }

    /// Local time of the last synchronised report.
    pub const fn last_sync(&self) -> Option<NtpTime> {
        self.last_sync
    }

    /// Local time after which [`state`](Self::state) is `Unsynchronized`
    /// (the last synchronised report plus the trust time), `None` if never
    /// synchronised. A host that wants to announce the loss on time wakes
    /// just after it.
    pub fn expires(&self) -> Option<NtpTime> {
        self.last_sync
            .map(|last| last + self.trust.max(self.stale_after))
    }

    /// The state at local time `now`.
    pub fn state(&self, now: NtpTime) -> SyncState {
        let Some(last) = self.last_sync else {
            return SyncState::Unsynchronized;
        };
        let age = now - last;
        if age <= self.stale_after {
            SyncState::Synchronized
        } else if age <= self.trust {
            SyncState::Holdover {
                until: last + self.trust,
            }
        } else {
            SyncState::Unsynchronized
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holdover_runs_out() {
        let t0 = NtpTime::from_parts(3_900_000_000, 0);
        let mut h = Holdover::new(
            NtpDuration::from_seconds(1800),
            NtpDuration::from_seconds(10),
        );
        assert_eq!(h.state(t0), SyncState::Unsynchronized);
        h.synchronized_at(t0);
        assert_eq!(
            h.state(t0 + NtpDuration::from_seconds(10)),
            SyncState::Synchronized
        );
        let until = t0 + NtpDuration::from_seconds(1800);
        assert_eq!(
            h.state(t0 + NtpDuration::from_seconds(11)),
            SyncState::Holdover { until }
        );
        assert!(h.state(until).is_usable());
        assert_eq!(h.expires(), Some(until));
        assert_eq!(
            h.state(until + NtpDuration::RESOLUTION),
            SyncState::Unsynchronized
        );
        h.forget();
        assert_eq!(h.state(t0), SyncState::Unsynchronized);
        assert_eq!(h.expires(), None);
        // Without a trust time the staleness limit is the expiry.
        let mut h = Holdover::new(NtpDuration::ZERO, NtpDuration::from_seconds(10));
        h.synchronized_at(t0);
        assert_eq!(h.expires(), Some(t0 + NtpDuration::from_seconds(10)));
    }
}
