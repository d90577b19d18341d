//! [`Event`]: what happened inside the core that a person (or a log) should
//! hear about — steps, refusals, synchronisation changes, peer reachability,
//! kiss-o'-death packets, leap seconds.
//!
//! The core queues events in a small bounded buffer; the caller drains it with
//! `Ntp::poll_event` and logs them however it likes. When the buffer is full
//! the oldest event is dropped and counted, never the core's work. `Display`
//! gives the message in words close to ntpd's.

use core::fmt;
use core::net::SocketAddr;

use crate::time::{Frequency, NtpDuration};
use crate::wire::{KissCode, LeapIndicator};

/// A handle for one association, as ntpq shows it (`assid`), unique while the
/// core runs; never 0 (0 means "the system" in mode 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct AssociationId(pub u16);

impl fmt::Display for AssociationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Something the core did or saw that is worth a log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Event {
    /// The clock was stepped by this offset (2^-32 s, positive = forward).
    ClockStepped {
        /// The step, 2^-32 s.
        offset: NtpDuration,
    },
    /// The measured offset exceeds the panic threshold and no big step is
    /// allowed: the core refuses to adjust the clock.
    PanicThresholdExceeded {
        /// The offset that was refused (positive = our clock is slow), 2^-32 s.
        offset: NtpDuration,
    },
    /// The frequency correction was set (ppm), e.g. restored from a drift file.
    FrequencySet {
        /// The new frequency correction.
        frequency: Frequency,
    },
    /// The system is synchronised to a source at this stratum (ours is one more).
    Synchronized {
        /// Our new stratum.
        stratum: u8,
    },
    /// No usable source is left: the system no longer claims synchronisation.
    SyncLost,
    /// A different association became the system peer.
    SystemPeerChanged {
        /// The new system peer.
        id: AssociationId,
    },
    /// An association heard from its remote for the first time, or again.
    PeerReachable {
        /// The association.
        id: AssociationId,
    },
    /// An association's remote stopped answering.
    PeerUnreachable {
        /// The association.
        id: AssociationId,
    },
    /// A kiss-o'-death from the remote was accepted (its origin matched).
    KissOfDeath {
        /// The association.
        id: AssociationId,
        /// The kiss code.
        code: KissCode,
    },
    /// An association was created (configured, or mobilised by a packet).
    AssociationMobilized {
        /// The association.
        id: AssociationId,
        /// Its remote.
        #[cfg_attr(feature = "defmt", defmt(Debug2Format))]
        remote: SocketAddr,
    },
    /// An association was removed (ephemeral and unreachable, or denied).
    AssociationDemobilized {
        /// The association.
        id: AssociationId,
    },
    /// A leap second is pending at the end of the current UTC day.
    LeapArmed {
        /// Insert or delete.
        leap: LeapIndicator,
    },
    /// The pending leap second was applied at the end of the day.
    LeapApplied {
        /// Insert or delete.
        leap: LeapIndicator,
    },
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Event::ClockStepped { offset } => write!(f, "clock stepped by {offset} s"),
            Event::PanicThresholdExceeded { offset } => {
                // offset > 0: the remote is ahead, so our clock is slow.
                let dir = if offset.is_negative() { "fast" } else { "slow" };
                write!(
                    f,
                    "clock appears to be {} s {dir}, not adjusting (panic threshold exceeded; allow a first step with -g)",
                    offset.abs()
                )
            }
            Event::FrequencySet { frequency } => write!(f, "frequency set to {frequency} ppm"),
            Event::Synchronized { stratum } => write!(f, "synchronized, stratum {stratum}"),
            Event::SyncLost => write!(f, "no selectable sources: clock unsynchronized"),
            Event::SystemPeerChanged { id } => write!(f, "system peer is association {id}"),
            Event::PeerReachable { id } => write!(f, "association {id} reachable"),
            Event::PeerUnreachable { id } => write!(f, "association {id} unreachable"),
            Event::KissOfDeath { id, code } => {
                write!(f, "association {id} received kiss code {code}")
            }
            Event::AssociationMobilized { id, remote } => {
                write!(f, "association {id} mobilized for {remote}")
            }
            Event::AssociationDemobilized { id } => write!(f, "association {id} demobilized"),
            Event::LeapArmed { leap } => write!(f, "leap second armed: {leap:?} at end of day"),
            Event::LeapApplied { leap } => write!(f, "leap second applied: {leap:?}"),
        }
    }
}

/// A bounded FIFO of events that drops the oldest when full.
#[derive(Debug, Clone)]
pub struct EventQueue<const N: usize> {
    queue: heapless::Deque<Event, N>,
    dropped: u32,
}

impl<const N: usize> Default for EventQueue<N> {
    fn default() -> Self {
        EventQueue {
            queue: heapless::Deque::new(),
            dropped: 0,
        }
    }
}

impl<const N: usize> EventQueue<N> {
    /// Queues an event; when full, the oldest one is dropped and counted.
    pub fn push(&mut self, event: Event) {
        if self.queue.is_full() {
            let _ = self.queue.pop_front();
            self.dropped = self.dropped.saturating_add(1);
        }
        let _ = self.queue.push_back(event);
    }

    /// The oldest queued event.
    pub fn pop(&mut self) -> Option<Event> {
        self.queue.pop_front()
    }

    /// Events dropped because nobody drained the queue in time.
    pub fn dropped(&self) -> u32 {
        self.dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn queue_drops_oldest_when_full() {
        let mut q = EventQueue::<2>::default();
        q.push(Event::SyncLost);
        q.push(Event::Synchronized { stratum: 2 });
        q.push(Event::Synchronized { stratum: 3 });
        assert_eq!(q.dropped(), 1);
        assert_eq!(q.pop(), Some(Event::Synchronized { stratum: 2 }));
        assert_eq!(q.pop(), Some(Event::Synchronized { stratum: 3 }));
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn panic_message_says_direction() {
        let slow = Event::PanicThresholdExceeded {
            offset: NtpDuration::from_seconds(2000),
        };
        assert!(
            slow.to_string()
                .starts_with("clock appears to be 2000.000000000 s slow")
        );
        let fast = Event::PanicThresholdExceeded {
            offset: NtpDuration::from_seconds(-2000),
        };
        assert!(fast.to_string().contains("s fast, not adjusting"));
    }
}
