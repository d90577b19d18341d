//! The clock side of the system process: after an association's filter
//! produced a new output, run selection over all associations, hand the
//! result to the discipline, and bring the system variables up to date
//! (RFC 5905 §11.2 `clock_select` and §11.2.3 `clock_update`).

use crate::association::AssociationMode;
use crate::control::ClockSource;
use crate::discipline::{DisciplineState, Measurement};
use crate::event::Event;
use crate::refclock::Driver;
use crate::sample::Sample;
use crate::select::{Candidate, CandidateFlags, Selection, Selector, Tally};
use crate::server::{STRATUM_UNSYNCHRONIZED, refid_for_address};
use crate::time::{NtpDuration, NtpTime};
use crate::wire::LeapIndicator;

use super::Ntp;
use super::slot::Source;

impl<const A: usize, const K: usize> Ntp<A, K> {
    /// Selection, then (if the system peer has a sample the discipline has not
    /// seen) a discipline update, then the system variables.
    pub(crate) fn clock_update(&mut self, now: NtpTime) {
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
                let status = r.driver().status(now);
                if status.fallback_only {
                    flags |= CandidateFlags::LOCAL_CLOCK;
                }
                if status.pps {
                    flags |= CandidateFlags::PPS;
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
                offset: f.offset,
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
        let selection = result.ok();
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
        // The peer dispersion as the filter has it now (the update may be
        // from the iburst era, when most stages were still empty).
        let peer_dispersion = match &slot.source {
            Source::Network(a) => a.filter().dispersion_at(now),
            Source::Refclock(r) => r.filter().dispersion_at(now),
        };
        let source = match &slot.source {
            Source::Network(_) => ClockSource::Ntp,
            Source::Refclock(r) => match r.driver().driver() {
                Driver::Local(_) => ClockSource::Local,
                Driver::Pps(_) => ClockSource::Pps,
                // DCF77 / PZF receivers are long-wave radio; GPS is a satellite (UHF).
                Driver::Meinberg(_)
                    if update.remote.reference_id.to_bytes().starts_with(b"DCF") =>
                {
                    ClockSource::LfRadio
                }
                Driver::Meinberg(_) | Driver::Nmea(_) => ClockSource::UhfRadio,
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
        self.sys.reference_time = Some(now);
        self.sys.root_delay = update.remote.root_delay + update.filter.delay;
        self.sys.root_dispersion = update.remote.root_dispersion
            + peer_dispersion
            + selection.jitter
            + selection.offset.abs();
        self.sys.source = source;
        self.sys.offset = selection.offset;
        self.sys.system_jitter = selection.jitter;
        self.sys.peer = id.0;
        self.sys.leap = if self.discipline.state() == DisciplineState::Tracking {
            match update.remote.leap {
                LeapIndicator::Unsynchronized => LeapIndicator::NoWarning,
                leap => leap,
            }
        } else {
            LeapIndicator::Unsynchronized
        };
        if self.sys.is_synchronized() && !was_synchronized {
            self.emit(Event::Synchronized { stratum });
        }
        self.refresh_system_variables(now);
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
        let mut fresh: heapless::Vec<Sample, A> = heapless::Vec::new();
        for slot in self.slots.iter_mut() {
            let wanted = match slot.tally {
                Tally::PpsPeer => true,
                Tally::SystemPeer | Tally::Candidate => !pps_only,
                _ => lone && slot.is_usable_alone(),
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
        fresh.sort_unstable_by_key(|s| s.time);
        for sample in fresh {
            if let Some(adj) = self.discipline.update(now, &Measurement::from(sample)) {
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

    /// The system variables that follow the discipline (poll, frequency,
    /// jitter, wander) and the loss of synchronisation when no source has
    /// been usable for too long.
    pub(crate) fn refresh_system_variables(&mut self, now: NtpTime) {
        self.sys.poll = self.discipline.poll_interval();
        self.sys.frequency = self.discipline.frequency();
        self.sys.clock_jitter = self
            .discipline
            .phase_uncertainty()
            .unwrap_or(NtpDuration::ZERO);
        self.sys.time_constant = self.sys.poll.log2();
        if self.system_peer.is_none() && self.sys.is_synchronized() {
            // Free-running: once the root distance passes maxdist nobody
            // should trust us (ntpd's behaviour after losing every source).
            let age = self
                .sys
                .reference_time
                .map_or(NtpDuration::MAX, |t| now.duration_since(t));
            let grown = crate::association::filter::phi_dispersion(age);
            let distance = self.sys.root_delay.shift(-1) + self.sys.root_dispersion + grown;
            if distance >= self.config.select.maxdist {
                self.sys.leap = LeapIndicator::Unsynchronized;
                self.sys.stratum = STRATUM_UNSYNCHRONIZED;
                self.emit(Event::SyncLost);
            }
        }
    }
}
