//! One source slot of the system: a network association or a reference
//! clock, plus what the system keeps about it (its id, selection flags and
//! last tally, and the filter output waiting for selection).

use crate::association::{Association, PeerUpdate, PeerVariables};
use crate::event::AssociationId;
use crate::sample::Sample;
use crate::select::{CandidateFlags, Tally};
use crate::time::{NtpDuration, NtpTime, PollInterval};

use super::refclock_source::RefclockSource;

/// Where a slot's samples come from.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum Source {
    /// A remote reached over the network (`server`, `peer`, broadcast).
    Network(Association),
    /// A reference clock (`server 127.127.T.U`).
    Refclock(RefclockSource),
}

/// A source and the system's bookkeeping for it.
#[derive(Debug, Clone)]
pub(crate) struct Slot {
    pub(crate) id: AssociationId,
    pub(crate) source: Source,
    /// Configured selection flags (`prefer`, `noselect`, `true`).
    pub(crate) flags: CandidateFlags,
    /// The tally from the last selection.
    pub(crate) tally: Tally,
    /// The latest filter output (None until the first, and after a step).
    pub(crate) update: Option<PeerUpdate>,
    /// Whether the remote answered recently (for reachability events).
    pub(crate) was_reachable: bool,
    /// Local time of the newest sample given to the discipline.
    pub(crate) fed: Option<NtpTime>,
}

impl Slot {
    pub(crate) fn new(id: AssociationId, source: Source, flags: CandidateFlags) -> Slot {
        Slot {
            id,
            source,
            flags,
            tally: Tally::Reject,
            update: None,
            was_reachable: false,
            fed: None,
        }
    }

    pub(crate) fn view(&self) -> AssociationView<'_> {
        AssociationView { slot: self }
    }

    /// The network association, if this is one.
    pub(crate) fn network(&self) -> Option<&Association> {
        match &self.source {
            Source::Network(a) => Some(a),
            Source::Refclock(_) => None,
        }
    }

    /// Whether the last polls were answered.
    pub(crate) fn is_reachable(&self) -> bool {
        match &self.source {
            Source::Network(a) => a.reach().is_reachable() && !a.should_demobilize(),
            Source::Refclock(r) => r.reach().is_reachable(),
        }
    }

    /// Local time this slot next wants a timeout.
    pub(crate) fn next_timeout(&self) -> NtpTime {
        match &self.source {
            Source::Network(a) => a.next_timeout(),
            Source::Refclock(r) => r.next_poll(),
        }
    }

    /// The host poll interval, log2 s.
    pub(crate) fn poll_interval(&self, now: NtpTime) -> PollInterval {
        match &self.source {
            Source::Network(a) => a.peer_variables(now).hpoll,
            Source::Refclock(r) => r.poll_interval(),
        }
    }

    /// The newest sample in the clock filter (the last exchange).
    pub(crate) fn newest_sample(&self) -> Option<Sample> {
        let stages = match &self.source {
            Source::Network(a) => a.filter().stages(),
            Source::Refclock(r) => r.filter().stages(),
        };
        stages.first().copied()
    }

    /// Whether this source could steer the clock on its own: reachable,
    /// and its remote says it is synchronised.
    pub(crate) fn is_usable_alone(&self) -> bool {
        self.is_reachable()
            && self.flags.intersection(CandidateFlags::NOSELECT).is_empty()
            && self.update.is_some_and(|u| {
                u.remote.leap != crate::wire::LeapIndicator::Unsynchronized && u.remote.stratum < 16
            })
    }

    /// Our clock was stepped by `step`.
    pub(crate) fn clock_stepped(&mut self, step: NtpDuration) {
        match &mut self.source {
            Source::Network(a) => a.clock_stepped(step),
            Source::Refclock(r) => r.clock_stepped(step),
        }
        self.update = None;
        self.fed = None;
    }
}

/// A read-only look at one source, for status displays (`ntpq -p`) and
/// mode 6.
#[derive(Debug, Clone, Copy)]
pub struct AssociationView<'a> {
    slot: &'a Slot,
}

impl<'a> AssociationView<'a> {
    /// The association id (ntpq `assid`).
    pub fn id(&self) -> AssociationId {
        self.slot.id
    }

    /// The source: a network association or a reference clock.
    pub fn source(&self) -> &'a Source {
        &self.slot.source
    }

    /// The selection tally code from the last selection.
    pub fn tally(&self) -> Tally {
        self.slot.tally
    }

    /// The configured selection flags.
    pub fn flags(&self) -> CandidateFlags {
        self.slot.flags
    }

    /// The latest filter output and remote header given to selection.
    pub fn update(&self) -> Option<PeerUpdate> {
        self.slot.update
    }

    /// The peer variables at local time `now` (network associations only).
    pub fn peer_variables(&self, now: NtpTime) -> Option<PeerVariables> {
        self.slot.network().map(|a| a.peer_variables(now))
    }
}
