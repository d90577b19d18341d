//! One source slot of the system: a network association or a reference
//! clock, plus what the system keeps about it (its id, selection flags and
//! last tally, and the filter output waiting for selection).

use crate::association::filter::NSTAGE;
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
    /// For the samples in the filter (a ring, oldest overwritten): local
    /// time and the discipline's correction mark then, to bring an older
    /// filter output into the clock's present frame (see
    /// `Discipline::moved_since`).
    marks: [(NtpTime, i64); NSTAGE],
    /// Where the next mark goes in `marks`.
    next_mark: usize,
    /// The mark of the filter output's sample, which may outlive its stage.
    output_mark: (NtpTime, i64),
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
            marks: [(NtpTime::MIN, 0); NSTAGE],
            next_mark: 0,
            output_mark: (NtpTime::MIN, 0),
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
    // Out of line on 32-bit targets: a match over both sources, used in
    // four places.
    #[cfg_attr(target_pointer_width = "32", inline(never))]
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
    // Out of line on 32-bit targets: returns a 40-byte sample, in two places.
    #[cfg_attr(target_pointer_width = "32", inline(never))]
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
        self.marks = [(NtpTime::MIN, 0); NSTAGE];
        self.output_mark = (NtpTime::MIN, 0);
    }

    /// Records `mark` (the discipline's correction mark now) for the newest
    /// sample in the filter, if it has none yet.
    /// Also keeps the mark of the filter output's sample.
    pub(crate) fn note_mark(&mut self, mark: i64) {
        let last = (self.next_mark + NSTAGE - 1) % NSTAGE;
        if let Some(sample) = self.newest_sample().filter(|s| !s.is_dummy())
            && self.marks.get(last).is_none_or(|m| m.0 != sample.time)
        {
            // A ring, not a shift: shifting links memmove on a Cortex-M.
            if let Some(m) = self.marks.get_mut(self.next_mark) {
                *m = (sample.time, mark);
            }
            self.next_mark = (self.next_mark + 1) % NSTAGE;
        }
        if let Some(time) = self.update.map(|u| u.filter.sample_time)
            && let Some(mark) = self.marks.iter().find(|m| m.0 == time).map(|m| m.1)
        {
            self.output_mark = (time, mark);
        }
    }

    /// The correction mark recorded for the sample taken at `time`.
    pub(crate) fn mark_at(&self, time: NtpTime) -> Option<i64> {
        if self.output_mark.0 == time {
            return Some(self.output_mark.1);
        }
        self.marks.iter().find(|m| m.0 == time).map(|m| m.1)
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
