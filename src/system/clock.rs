//! The clock side of the system process: after an association's filter
//! produced a new output, run selection over all associations, hand the
//! result to the discipline, and bring the system variables up to date
//! (RFC 5905 §11.2 `clock_select` and §11.2.3 `clock_update`).

use crate::association::AssociationMode;
use crate::control::ClockSource;
use crate::discipline::{DisciplineState, Measurement};
use crate::event::Event;
use crate::refclock::id::{DRIVER_LOCAL, DRIVER_PARSE, DRIVER_PPS};
use crate::sample::Sample;
use crate::select::{Candidate, CandidateFlags, Selection, Selector, Tally};
use crate::server::{STRATUM_UNSYNCHRONIZED, refid_for_address};
use crate::time::{NtpDuration, NtpTime};
use crate::wire::LeapIndicator;

use super::Ntp;

/// Survivors within this of each other always count as agreeing (2^-32 s):
/// differences below it are within what the discipline's weighting handles.
pub const AGREEMENT_FLOOR: NtpDuration = NtpDuration::from_millis(1);

use super::slot::Source;

impl<const A: usize, const K: usize, const R: usize, const C: usize> Ntp<A, K, R, C> {
    /// Selection, then (if the system peer has a sample the discipline has not
    /// seen) a discipline update, then the system variables.
    pub(crate) fn clock_update(&mut self, now: NtpTime) {
        if !self.kernel_pll() {
            let mark = self.discipline.correction_mark(now);
            for slot in self.slots.iter_mut() {
                slot.note_mark(mark);
            }
        }
        let mut candidates: heapless::Vec<Candidate, A> = heapless::Vec::new();
        for (index, slot) in self.slots.iter_mut().enumerate() {
            let Some(update) = slot.update else {
                slot.tally = Tally::Reject;
                continue;
            };
            if slot
                .network()
                .is_some_and(|a| a.config().mode == AssociationMode::BroadcastServer)
            {
                slot.tally = Tally::Reject;
                continue;
            }
            let mut flags = slot.flags;
            if slot.is_reachable() {
                flags |= CandidateFlags::REACHABLE;
            }
            if let Source::Refclock(r) = &slot.source {
                let Some(driver) = self.drivers.iter().find(|d| d.id() == r.id()) else {
                    continue;
                };
                let status = driver.status(now);
                if status.fallback_only {
                    flags |= CandidateFlags::LOCAL_CLOCK;
                }
                if status.pps {
                    flags |= CandidateFlags::PPS;
                }
                // Past its trust time the driver no longer vouches for the
                // samples still in the filter: not a candidate (else it is
                // selected again at each poll, only to be dropped as lost).
                if !status.sync.is_usable() {
                    flags |= CandidateFlags::UNSYNCHRONIZED;
                }
            }
            if update.remote.leap == LeapIndicator::Unsynchronized {
                flags |= CandidateFlags::UNSYNCHRONIZED;
            }
            let f = update.filter;
            // Dispersion and jitter as the filter has them now: a filter run
            // that produced no new update (a stale best sample) still
            // refreshed them (RFC 5905 clock_filter), while `update` keeps
            // the values of its last update (e.g. an iburst-era ε of ~2 s).
            let (dispersion, jitter) = match slot.network() {
                Some(a) => (a.filter().dispersion_at(now), a.filter().jitter()),
                None => (f.dispersion_at(now), f.jitter),
            };
            let candidate = Candidate {
                id: index,
                offset: present_offset(&self.discipline, slot, &f, now),
                delay: f.delay,
                dispersion,
                jitter,
                root_delay: update.remote.root_delay,
                root_dispersion: update.remote.root_dispersion,
                stratum: update.remote.stratum,
                poll: slot.poll_interval(now),
                flags,
                tally: slot.tally,
            };
            // Capacity equals the slot count, so this always fits.
            let _ = candidates.push(candidate);
        }
        let selector = Selector::<A>::new(self.config.select);
        let result = selector.select(&mut candidates);
        for c in &candidates {
            if let Some(slot) = self.slots.get_mut(c.id) {
                slot.tally = c.tally;
            }
        }
        let mut selection = result.ok();
        if selection.is_some_and(|s| !self.startup_quorum(&s)) {
            // Too few of the configured sources are in yet: hold off, so an
            // early falseticker cannot win before the majority has answered.
            for slot in self.slots.iter_mut() {
                if matches!(slot.tally, Tally::SystemPeer | Tally::PpsPeer) {
                    slot.tally = Tally::Candidate;
                }
            }
            selection = None;
        }
        let was_synchronized = self.sys.is_synchronized();
        self.feed_discipline(now, selection.as_ref());
        let Some(selection) = selection else {
            if self.system_peer.take().is_some() {
                self.emit(Event::SyncLost);
            }
            self.refresh_system_variables(now);
            return;
        };
        let Some(slot) = self.slots.get(selection.system_peer_id) else {
            return;
        };
        let Some(update) = slot.update else {
            return;
        };
        let id = slot.id;
        let peer_poll = slot.poll_interval(now);
        // The peer dispersion as the filter has it now (the update may be
        // from the iburst era, when most stages were still empty).
        let peer_dispersion = match &slot.source {
            Source::Network(a) => a.filter().dispersion_at(now),
            Source::Refclock(r) => r.filter().dispersion_at(now),
        };
        let source = match &slot.source {
            Source::Network(_) => ClockSource::Ntp,
            Source::Refclock(r) => match self
                .drivers
                .iter()
                .find(|d| d.id() == r.id())
                .map(|d| d.id().driver)
            {
                Some(DRIVER_LOCAL) => ClockSource::Local,
                Some(DRIVER_PPS) => ClockSource::Pps,
                // DCF77 / PZF receivers are long-wave radio; GPS is a satellite (UHF).
                Some(DRIVER_PARSE) if update.remote.reference_id.to_bytes().starts_with(b"DCF") => {
                    ClockSource::LfRadio
                }
                // Meinberg (type 8) and NMEA (type 20): the only other drivers.
                Some(_) => ClockSource::UhfRadio,
                None => ClockSource::Unspecified,
            },
        };
        let source = if selection.pps {
            ClockSource::Pps
        } else {
            source
        };
        let refid = match &slot.source {
            Source::Network(a) if update.remote.stratum != 0 => {
                refid_for_address(a.config().remote.ip())
            }
            _ => update.remote.reference_id,
        };
        if self.system_peer != Some(id) {
            self.system_peer = Some(id);
            self.emit(Event::SystemPeerChanged { id });
        }
        if update.remote.leap != LeapIndicator::Unsynchronized {
            self.discipline.set_leap(update.remote.leap);
        }
        // System variables follow the system peer (RFC 5905 clock_update).
        let stratum = update
            .remote
            .stratum
            .saturating_add(1)
            .min(STRATUM_UNSYNCHRONIZED);
        self.sys.stratum = stratum;
        self.sys.refid = refid;
        self.sys.source = source;
        self.sys.peer = id.0;
        // The measured values (offset, jitter, root delay and dispersion)
        // and the reference time move only with a filter output newer than
        // the last one used: never the same sample twice, also when a
        // reselection (refreshed dispersion, another system peer) runs
        // without new data (RFC 5905 clock_update, ntpd's sys_epoch).
        let epoch = update.filter.sample_time;
        if self.sys_epoch.is_none_or(|used| epoch > used) {
            self.sys_epoch = Some(epoch);
            self.sys.reference_time = Some(now);
            self.sys.root_delay = update.remote.root_delay + update.filter.delay;
            self.sys.root_dispersion = update.remote.root_dispersion
                + peer_dispersion
                + selection.jitter
                + selection.offset.abs();
            self.held_dispersion = self.sys.root_dispersion;
            self.sys.offset = selection.offset;
            self.sys.system_jitter = selection.jitter;
            // One clock update: ntpd's clk_wander follows the frequency
            // from one to the next.
            self.stability.update(self.discipline.frequency());
            self.sys.clock_wander = self.stability.wander();
            self.offer_kernel_update(selection.offset, selection.jitter, peer_poll, epoch);
        }
        self.sys.leap = if self.discipline.state() == DisciplineState::Tracking {
            match update.remote.leap {
                LeapIndicator::Unsynchronized => LeapIndicator::NoWarning,
                leap => leap,
            }
        } else {
            LeapIndicator::Unsynchronized
        };
        if self.sys.is_synchronized() {
            self.synchronized_once = true;
        }
        if self.sys.is_synchronized() && !was_synchronized {
            self.emit(Event::Synchronized { stratum });
        }
        self.refresh_system_variables(now);
    }

    /// Until the clock has been synchronised once, a selection counts only
    /// if more than half of the configured network sources took part in it
    /// (entered the intersection). Right after start the sources become fit
    /// one by one as their filters fill; the first one fit would otherwise
    /// steer alone — and if it is a falseticker, the clock runs off before
    /// the majority can outvote it. One or two servers, or any reference
    /// clock, are not held back.
    fn startup_quorum(&self, selection: &Selection) -> bool {
        if self.synchronized_once {
            return true;
        }
        let mut voters = 0usize;
        for slot in &self.slots {
            match &slot.source {
                Source::Network(a)
                    if !slot.flags.contains(CandidateFlags::NOSELECT)
                        && !matches!(a.config().mode, AssociationMode::BroadcastServer) =>
                {
                    voters += 1;
                }
                Source::Network(_) => {}
                // A reference clock is its own authority.
                Source::Refclock(_) => return true,
            }
        }
        voters < 3 || selection.candidates * 2 > voters
    }

    /// Hands the discipline every exchange it has not seen from every
    /// source that survived selection (`*`, `+`; only the PPS source while
    /// it is in charge, `o`), newest sample first in time order. The
    /// discipline weights each by its own delay, so the survivors' raw
    /// exchanges carry more information than one combined offset per poll.
    /// A lone source (the only one configured) is used before selection can
    /// vouch for it: there is nobody to vote with, and waiting for its
    /// filter dispersion to fall under `maxdist` only delays the first
    /// correction.
    fn feed_discipline(&mut self, now: NtpTime, selection: Option<&Selection>) {
        let pps_only = selection.is_some_and(|s| s.pps);
        let lone = self.slots.len() == 1 && selection.is_none();
        let agree = self.agreeing_survivors(selection, now);
        let mut fresh: heapless::Vec<Sample, A> = heapless::Vec::new();
        for (index, slot) in self.slots.iter_mut().enumerate() {
            if !lone && !agree.get(index).copied().unwrap_or(false) {
                continue;
            }
            // Tallies from a failed selection may still say `+`: only a
            // successful one vouches for its survivors.
            let wanted = match slot.tally {
                _ if lone => slot.is_usable_alone(),
                Tally::PpsPeer => selection.is_some(),
                Tally::SystemPeer | Tally::Candidate => selection.is_some() && !pps_only,
                _ => false,
            };
            if !wanted {
                continue;
            }
            let Some(sample) = slot.newest_sample().filter(|s| !s.is_dummy()) else {
                continue;
            };
            if slot.fed.is_some_and(|t| sample.time <= t) {
                continue;
            }
            slot.fed = Some(sample.time);
            let _ = fresh.push(sample);
        }
        crate::sort::sort_by_key(&mut fresh, |s| s.time);
        for sample in fresh.iter() {
            if let Some(adj) = self.discipline.update(now, &Measurement::from(*sample)) {
                let step = adj.is_step();
                self.set_adjustment(adj);
                if step {
                    // The rest were measured in the old timescale.
                    break;
                }
            }
        }
        self.drain_discipline_events();
    }

    /// Which survivors agree with the largest group of survivors, judged by
    /// their own error bounds (half the delay, twice the jitter, at least
    /// [`AGREEMENT_FLOOR`]) rather than by the root distance: right after
    /// start every root distance is near a second (empty filter stages), so
    /// intersection and clustering keep a source 50 ms off among the
    /// survivors, and feeding its exchanges would pull the clock away.
    /// Without a majority group nothing is fed but a `prefer` system peer.
    fn agreeing_survivors(&self, selection: Option<&Selection>, now: NtpTime) -> [bool; A] {
        let mut agree = [false; A];
        let Some(selection) = selection else {
            return agree;
        };
        let mut members: heapless::Vec<(usize, NtpDuration, NtpDuration), A> = heapless::Vec::new();
        for (index, slot) in self.slots.iter().enumerate() {
            if !matches!(
                slot.tally,
                Tally::SystemPeer | Tally::Candidate | Tally::PpsPeer
            ) {
                continue;
            }
            let Some(update) = slot.update else {
                continue;
            };
            let f = update.filter;
            let bound = (f.delay.shift(-1) + f.jitter.saturating_mul(2)).max(AGREEMENT_FLOOR);
            let offset = present_offset(&self.discipline, slot, &f, now);
            let _ = members.push((index, offset, bound));
        }
        let agrees = |a: &(usize, NtpDuration, NtpDuration),
                      b: &(usize, NtpDuration, NtpDuration)| {
            (a.1 - b.1).abs() <= a.2 + b.2
        };
        let mut best: Option<(usize, usize)> = None; // (member position, group size)
        for (i, m) in members.iter().enumerate() {
            let count = members.iter().filter(|o| agrees(m, o)).count();
            let is_peer = m.0 == selection.system_peer_id;
            let better = match best {
                None => true,
                Some((_, c)) => count > c || (count == c && is_peer),
            };
            if better {
                best = Some((i, count));
            }
        }
        match best.and_then(|(i, count)| members.get(i).map(|m| (*m, count))) {
            Some((center, count)) if count * 2 > members.len() => {
                for m in &members {
                    if agrees(&center, m) {
                        if let Some(a) = agree.get_mut(m.0) {
                            *a = true;
                        }
                    }
                }
            }
            // One survivor alone is its own majority.
            Some((center, _)) if members.len() == 1 => {
                if let Some(a) = agree.get_mut(center.0) {
                    *a = true;
                }
            }
            // No group holds a majority: steer by nothing but a `prefer`
            // system peer (the operator vouches for it), else wait.
            _ => {
                let prefer = self
                    .slots
                    .get(selection.system_peer_id)
                    .is_some_and(|s| s.flags.contains(CandidateFlags::PREFER));
                if let Some(a) = agree.get_mut(selection.system_peer_id).filter(|_| prefer) {
                    *a = true;
                }
            }
        }
        agree
    }

    /// The system variables that follow the discipline (poll, frequency,
    /// jitter, wander) and the loss of synchronisation when no source has
    /// been usable for too long.
    pub(crate) fn refresh_system_variables(&mut self, now: NtpTime) {
        super::follow_discipline(&mut self.sys, &self.discipline);
        if !self.sys.is_synchronized() {
            return;
        }
        let refclock_lost = self.last_peer_refclock_lost(now);
        if refclock_lost {
            self.system_peer = None;
        }
        if self.system_peer.is_none() {
            // Free-running: the root dispersion we advertise grows by PHI
            // from the last update (RFC 5905), and once the root distance
            // passes maxdist nobody should trust us (ntpd's behaviour after
            // losing every source). A reference clock past its trust time
            // is not believed at all: unsynchronised at once.
            let age = self
                .sys
                .reference_time
                .map_or(NtpDuration::MAX, |t| now.duration_since(t));
            let grown = crate::association::filter::phi_dispersion(age);
            self.sys.root_dispersion = self.held_dispersion + grown;
            let distance = self.sys.root_delay.shift(-1) + self.sys.root_dispersion;
            if refclock_lost || distance >= self.config.select.maxdist {
                self.sys.leap = LeapIndicator::Unsynchronized;
                self.sys.stratum = STRATUM_UNSYNCHRONIZED;
                self.emit(Event::SyncLost);
            }
        }
    }

    /// Whether the source we last synchronised to is a reference clock
    /// whose driver no longer vouches for its time (no fix and the trust
    /// time ran out, or never synchronised).
    fn last_peer_refclock_lost(&self, now: NtpTime) -> bool {
        self.slots.iter().any(|s| {
            s.id.0 == self.sys.peer
                && matches!(&s.source, Source::Refclock(r)
                    if !self.refclock_driver(r.id()).is_some_and(|d| d.status(now).sync.is_usable()))
        })
    }
}

/// A filter output's offset brought to the clock's frame at `now`: minus
/// how far our own corrections moved the clock since its sample was taken
/// (beyond the drift correction). A clock filter keeps the minimum-delay
/// sample of the last eight, which may predate a large slew: right after
/// start the first correction removes the initial offset in a fraction of
/// a second, and sources still reporting a sample from before it would
/// look that far from the ones already past it (selection then found no
/// majority for minutes while the clock ran on an unconverged frequency).
/// Unchanged if the sample's mark is unknown. Out of line: two callers.
#[inline(never)]
fn present_offset(
    discipline: &crate::discipline::Discipline,
    slot: &super::slot::Slot,
    f: &crate::association::FilterOutput,
    now: NtpTime,
) -> NtpDuration {
    slot.mark_at(f.sample_time).map_or(f.offset, |mark| {
        f.offset - discipline.moved_since(f.sample_time, mark, now)
    })
}
