//! The [`Association`] value: one remote's on-wire state, filter, reach and
//! poll timer, plus the read-only views of it. Sending lives in `transmit.rs`,
//! receiving in `receive.rs`.

use crate::sample::Sample;
use crate::time::{NtpDuration, NtpTime, NtpTimestamp};

use super::config::{AssociationConfig, AssociationMode};
use super::filter::{ClockFilter, NSTAGE};
use super::peer::{AssociationState, PeerVariables, RemoteHeader, root_distance};
use super::poll::PollTimer;
use super::reach::Reach;
use super::status::{Counters, Rejection};

/// Packets in a broadcast client's calibration volley (client-mode exchanges
/// before it goes listen-only).
pub const CALIBRATION_VOLLEY: u8 = 4;

/// One-way delay a broadcast client falls back to when calibration gets no
/// answer (the server refuses client mode), 4 ms (ntpd's `broadcastdelay`
/// default).
pub const DEFAULT_BROADCAST_DELAY: NtpDuration = NtpDuration::from_millis(4);

/// A client request in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(crate) struct Pending {
    /// The transmit timestamp we sent: a random cookie in client mode, the
    /// real send time in symmetric mode. A basic reply echoes it as origin.
    pub cookie: NtpTimestamp,
    /// Our real local send time (t1).
    pub sent: NtpTime,
    /// Interleaved request: the receive field we sent (our t4 of the previous
    /// reply); an interleaved reply echoes it as origin.
    pub interleaved_origin: Option<NtpTimestamp>,
    /// Whether a reply to it was already accepted (then nothing else may be).
    pub answered: bool,
}

/// The last completed client exchange, kept for interleaved mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(crate) struct Previous {
    /// Our send time of that request.
    pub t1: NtpTime,
    /// The server's receive timestamp of that request (t2).
    pub remote_rx: NtpTimestamp,
    /// Our receive time of that reply (t4).
    pub t4: NtpTime,
}

/// One association: the per-remote half of RFC 5905, sans-IO.
///
/// See the [module docs](super) for the call sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Association {
    pub(crate) config: AssociationConfig,
    pub(crate) state: AssociationState,
    pub(crate) filter: ClockFilter,
    pub(crate) reach: Reach,
    pub(crate) timer: PollTimer,
    pub(crate) remote: RemoteHeader,
    pub(crate) counters: Counters,
    pub(crate) last_rejection: Option<Rejection>,
    pub(crate) authenticated: bool,
    /// Our last request / packet sent.
    pub(crate) pending: Option<Pending>,
    /// Interleaved client mode: the previous exchange.
    pub(crate) previous: Option<Previous>,
    /// Transmit timestamp of the last packet accepted from the remote (RFC
    /// 5905 `org`): duplicate detection, and the origin we echo in symmetric mode.
    pub(crate) org: NtpTimestamp,
    /// Receive timestamp of that packet (with `org`: duplicate detection that
    /// also works for interleaved replies, which repeat a transmit timestamp).
    pub(crate) org_rx: NtpTimestamp,
    /// Our receive time of that packet (RFC 5905 `rec`).
    pub(crate) rec: NtpTime,
    /// Broadcast client: the one-way delay in use, 2^-32 s.
    pub(crate) one_way: Option<NtpDuration>,
    /// Broadcast client: calibration exchanges still to make.
    pub(crate) calibration_left: u8,
}

impl Association {
    /// A new association at local time `now`. `entropy` (random bits from the
    /// caller) spreads the first poll over the next second.
    ///
    /// A broadcast client without a configured delay starts by calibrating
    /// (client-mode volley to the server); with one it only listens.
    pub fn new(config: AssociationConfig, now: NtpTime, entropy: u64) -> Self {
        let mut config = config;
        if !(1..=4).contains(&config.version) {
            config.version = 4;
        }
        if config.mode != AssociationMode::Client {
            config.interleaved = false;
        }
        if config.mode == AssociationMode::BroadcastClient && config.broadcast_delay.is_none() {
            // Calibrate with a quick volley (2 s spacing), not one poll apart.
            config.poll.iburst = true;
        }
        let (state, one_way, calibration_left) = match (config.mode, config.broadcast_delay) {
            (AssociationMode::BroadcastClient, Some(d)) => (AssociationState::Active, Some(d), 0),
            (AssociationMode::BroadcastClient, None) => {
                (AssociationState::Calibrating, None, CALIBRATION_VOLLEY)
            }
            _ => (AssociationState::Active, None, 0),
        };
        Association {
            config,
            state,
            filter: ClockFilter::new(),
            reach: Reach::NEVER,
            timer: PollTimer::new(config.poll, now, entropy),
            remote: RemoteHeader::UNKNOWN,
            counters: Counters::default(),
            last_rejection: None,
            authenticated: false,
            pending: None,
            previous: None,
            org: NtpTimestamp::ZERO,
            org_rx: NtpTimestamp::ZERO,
            rec: now,
            one_way,
            calibration_left,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &AssociationConfig {
        &self.config
    }

    /// Working, calibrating, denied, or to be demobilised.
    pub fn state(&self) -> AssociationState {
        self.state
    }

    /// Whether the system should remove this association (an ephemeral one that
    /// went unreachable).
    pub fn should_demobilize(&self) -> bool {
        self.state == AssociationState::Demobilize
    }

    /// The clock filter (stages and output).
    pub fn filter(&self) -> &ClockFilter {
        &self.filter
    }

    /// The reach register.
    pub fn reach(&self) -> Reach {
        self.reach
    }

    /// Packet counters.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// What the remote said about itself last.
    pub fn remote_header(&self) -> &RemoteHeader {
        &self.remote
    }

    /// The one-way delay a broadcast client uses (configured or measured), 2^-32 s.
    pub fn broadcast_delay(&self) -> Option<NtpDuration> {
        self.one_way
    }

    /// Local time at which [`poll_transmit`](Self::poll_transmit) next wants to
    /// run ([`NtpTime::MAX`] if stopped). A listen-only broadcast client sends
    /// nothing then, but ages its reach register and filter.
    pub fn next_timeout(&self) -> NtpTime {
        match self.state {
            AssociationState::Denied | AssociationState::Demobilize => NtpTime::MAX,
            _ => self.timer.next_poll(),
        }
    }

    /// The root distance λ of this remote at `now`, 2^-32 s (16 s if there is no
    /// filter output yet).
    pub fn root_distance(&self, now: NtpTime) -> NtpDuration {
        match self.filter.output() {
            Some(o) => root_distance(
                self.remote.root_delay,
                self.remote.root_dispersion,
                o.delay,
                self.filter.dispersion_at(now),
                self.filter.jitter(),
            ),
            None => Sample::MAX_DISPERSION,
        }
    }

    /// The driver learnt the real transmit time of our last packet (e.g. a
    /// kernel or NIC transmit timestamp): use it as t1 instead of the time
    /// `poll_transmit` was called.
    pub fn transmit_completed(&mut self, actual: NtpTime) {
        if let Some(p) = self.pending.as_mut() {
            if !p.answered {
                p.sent = actual;
            }
        }
    }

    /// Our clock was stepped by `step` (2^-32 s): every sample and exchange in
    /// flight is in the old timescale, so they are dropped; the poll timer keeps
    /// its spacing.
    pub fn clock_stepped(&mut self, step: NtpDuration) {
        self.filter.clear();
        self.pending = None;
        self.previous = None;
        self.rec += step;
        self.timer.shift(step);
        self.timer.restart_burst();
    }

    /// The peer variables at local time `now` (what `ntpq` shows).
    pub fn peer_variables(&self, now: NtpTime) -> PeerVariables {
        let out = self.filter.output();
        let mut filter_dispersion = [NtpDuration::ZERO; NSTAGE];
        for (d, s) in filter_dispersion.iter_mut().zip(self.filter.stages()) {
            *d = ClockFilter::stage_dispersion(s, now);
        }
        PeerVariables {
            remote: self.config.remote,
            mode: self.config.mode,
            version: self.config.version,
            key: self.config.key,
            authenticated: self.authenticated,
            state: self.state,
            remote_header: self.remote,
            reach: self.reach,
            unreach: self.timer.unreach(),
            hpoll: self.timer.hpoll(),
            ppoll: self.timer.ppoll(),
            offset: out.map_or(NtpDuration::ZERO, |o| o.offset),
            delay: out.map_or(NtpDuration::ZERO, |o| o.delay),
            dispersion: self.filter.dispersion_at(now),
            jitter: self.filter.jitter(),
            root_distance: self.root_distance(now),
            update_time: out.map(|o| o.sample_time),
            filter: *self.filter.stages(),
            filter_dispersion,
            org: self.org,
            rec: self.rec.to_timestamp(),
            xmt: self.pending.map_or(NtpTimestamp::ZERO, |p| p.cookie),
            next_poll: self.next_timeout(),
            last_rejection: self.last_rejection,
            counters: self.counters,
        }
    }
}
