//! How the mode 6 responder sees the associations: [`PeerTable`] turns each
//! slot's association state into the record `ntpq` reads (peer status word
//! with the selection code, peer variables, filter registers).

use core::net::{IpAddr, SocketAddr};

use crate::association::{Association, AssociationMode, ClockFilter, Rejection, RemoteHeader};
use crate::control::{EventLog, PeerSelection, PeerStatus, PeerVariables};
use crate::refclock::Refclock;
use crate::sample::Sample;
use crate::select::Tally;
use crate::time::{NtpDuration, NtpTime, NtpTimestamp};

use super::refclock_source::RefclockSource;
use super::slot::{Slot, Source};

/// The associations at one moment, as mode 6 shows them.
pub(crate) struct PeerTable<'a> {
    pub(crate) slots: &'a [Slot],
    /// The reference clock drivers.
    pub(crate) drivers: &'a [Refclock],
    pub(crate) now: NtpTime,
}

/// The peer status word's selection code for a tally.
pub(crate) fn selection_code(tally: Tally) -> PeerSelection {
    match tally {
        Tally::Reject => PeerSelection::Reject,
        Tally::Falseticker => PeerSelection::Falseticker,
        Tally::Excess => PeerSelection::Excess,
        Tally::Outlier => PeerSelection::Outlier,
        Tally::Candidate => PeerSelection::Candidate,
        Tally::Backup => PeerSelection::Backup,
        Tally::SystemPeer => PeerSelection::SystemPeer,
        Tally::PpsPeer => PeerSelection::PpsPeer,
    }
}

/// NTP mode number of our side of an association (ntpq `hmode`).
fn host_mode(mode: AssociationMode) -> u8 {
    match mode {
        AssociationMode::SymmetricActive => 1,
        AssociationMode::SymmetricPassive => 2,
        AssociationMode::Client => 3,
        AssociationMode::BroadcastServer => 5,
        AssociationMode::BroadcastClient => 6,
    }
}

/// ntpd's flash bits for the last failed packet test (TEST1..TEST13).
fn flash_bits(rejection: Option<Rejection>) -> u16 {
    match rejection {
        None => 0,
        Some(Rejection::Duplicate) => 0x0001,
        Some(Rejection::Bogus) => 0x0002,
        Some(Rejection::InvalidTimestamps) => 0x0008,
        Some(Rejection::Auth(_)) => 0x0010,
        Some(Rejection::Unsynchronized) => 0x0020,
        Some(Rejection::StratumTooHigh) => 0x0040,
        Some(Rejection::RootDistance) => 0x0100,
        Some(Rejection::Kiss(_)) => 0x0400,
        Some(Rejection::ModeMismatch) | Some(Rejection::Stopped) => 0x0800,
    }
}

impl PeerTable<'_> {
    pub(crate) fn render(&self, slot: &Slot) -> PeerVariables<'static> {
        match &slot.source {
            Source::Network(assoc) => self.render_network(slot, assoc),
            Source::Refclock(clock) => self.render_refclock(slot, clock),
        }
    }

    fn render_network(&self, slot: &Slot, assoc: &Association) -> PeerVariables<'static> {
        let v = assoc.peer_variables(self.now);
        let (filter_delay, filter_offset) = registers(&v.filter);
        let config = assoc.config();
        PeerVariables {
            association_id: slot.id.0,
            status: PeerStatus {
                configured: !config.ephemeral,
                auth_enabled: config.key.is_some(),
                authentic: v.authenticated,
                reachable: v.reach.is_reachable(),
                broadcast: matches!(
                    config.mode,
                    AssociationMode::BroadcastClient | AssociationMode::BroadcastServer
                ),
                selection: selection_code(slot.tally),
                events: EventLog::default(),
            },
            source: v.remote,
            destination: None,
            host_name: None,
            is_refclock: false,
            leap: v.remote_header.leap,
            stratum: v.remote_header.stratum,
            precision: v.remote_header.precision,
            root_delay: v.remote_header.root_delay,
            root_dispersion: v.remote_header.root_dispersion,
            refid: v.remote_header.reference_id,
            reference_time: v.remote_header.reference_time,
            received: v.rec,
            transmitted: v.xmt,
            reach: v.reach.bits(),
            unreach: u32::from(v.unreach),
            host_mode: host_mode(config.mode),
            peer_mode: 0,
            host_poll: v.hpoll.log2(),
            peer_poll: v.ppoll.log2(),
            headway: 0,
            flash: flash_bits(v.last_rejection),
            key_id: config.key.map_or(0, |k| k.0),
            offset: v.offset,
            delay: v.delay,
            dispersion: v.dispersion,
            jitter: v.jitter,
            filter_delay,
            filter_offset,
            filter_dispersion: v.filter_dispersion,
        }
    }

    fn render_refclock(&self, slot: &Slot, clock: &RefclockSource) -> PeerVariables<'static> {
        let header = self
            .drivers
            .iter()
            .find(|d| d.id() == clock.id())
            .map_or(RemoteHeader::UNKNOWN, |d| clock.remote_header(d, self.now));
        let filter = clock.filter();
        let out = filter.output();
        let (filter_delay, filter_offset) = registers(filter.stages());
        let mut filter_dispersion = [NtpDuration::ZERO; 8];
        for (d, s) in filter_dispersion.iter_mut().zip(filter.stages()) {
            *d = ClockFilter::stage_dispersion(s, self.now);
        }
        let poll = clock.poll_interval().log2();
        PeerVariables {
            association_id: slot.id.0,
            status: PeerStatus {
                configured: true,
                auth_enabled: false,
                authentic: false,
                reachable: clock.reach().is_reachable(),
                broadcast: false,
                selection: selection_code(slot.tally),
                events: EventLog::default(),
            },
            source: SocketAddr::new(IpAddr::V4(clock.id().to_ipv4()), 123),
            destination: None,
            host_name: None,
            is_refclock: true,
            leap: header.leap,
            stratum: header.stratum,
            precision: header.precision,
            root_delay: NtpDuration::ZERO,
            root_dispersion: NtpDuration::ZERO,
            refid: header.reference_id,
            reference_time: header.reference_time,
            received: header.reference_time,
            transmitted: NtpTimestamp::ZERO,
            reach: clock.reach().bits(),
            unreach: 0,
            host_mode: 3,
            peer_mode: 4,
            host_poll: poll,
            peer_poll: poll,
            headway: 0,
            flash: 0,
            key_id: 0,
            offset: out.map_or(NtpDuration::ZERO, |o| o.offset),
            delay: out.map_or(NtpDuration::ZERO, |o| o.delay),
            dispersion: filter.dispersion_at(self.now),
            jitter: filter.jitter(),
            filter_delay,
            filter_offset,
            filter_dispersion,
        }
    }
}

/// The filter register as ntpq's filtdelay / filtoffset rows.
fn registers(stages: &[Sample; 8]) -> ([NtpDuration; 8], [NtpDuration; 8]) {
    let mut delay = [NtpDuration::ZERO; 8];
    let mut offset = [NtpDuration::ZERO; 8];
    for ((d, o), s) in delay.iter_mut().zip(offset.iter_mut()).zip(stages) {
        *d = s.delay;
        *o = s.offset;
    }
    (delay, offset)
}
