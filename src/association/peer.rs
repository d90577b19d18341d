//! What an association tells the rest of the system: [`PeerUpdate`] (a fresh
//! filter output for selection) and [`PeerVariables`] (everything `ntpq` shows
//! about one peer), and the root distance both are judged by.

use core::net::SocketAddr;

use crate::auth::KeyId;
use crate::sample::Sample;
use crate::time::{NtpDuration, NtpTime, NtpTimestamp, PollInterval};
use crate::wire::{LeapIndicator, RefId};

use super::config::AssociationMode;
use super::filter::{FilterOutput, NSTAGE};
use super::reach::Reach;
use super::status::{Counters, Rejection};

/// Smallest root delay + delay used in the root distance, 10 ms (RFC 5905 MINDISP).
pub const MIN_DISPERSION: NtpDuration = NtpDuration::from_millis(10);

/// Root distance λ = max(MINDISP, Δ + δ) / 2 + E + ε + ψ, in 2^-32 s, where Δ/E
/// are the remote's root delay/dispersion and δ/ε/ψ our peer delay, dispersion
/// (already grown to now) and jitter (RFC 5905 §11.2.1).
pub fn root_distance(
    root_delay: NtpDuration,
    root_dispersion: NtpDuration,
    delay: NtpDuration,
    dispersion: NtpDuration,
    jitter: NtpDuration,
) -> NtpDuration {
    (root_delay + delay).max(MIN_DISPERSION).shift(-1) + root_dispersion + dispersion + jitter
}

/// What the remote said about itself in its last valid packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RemoteHeader {
    /// Its leap indicator.
    pub leap: LeapIndicator,
    /// Its stratum.
    pub stratum: u8,
    /// Its precision, log2 s.
    pub precision: i8,
    /// Its root delay, 2^-32 s.
    pub root_delay: NtpDuration,
    /// Its root dispersion, 2^-32 s.
    pub root_dispersion: NtpDuration,
    /// Its reference id.
    pub reference_id: RefId,
    /// Its reference time (wire format).
    pub reference_time: NtpTimestamp,
    /// The NTP version it spoke.
    pub version: u8,
}

impl RemoteHeader {
    /// Before anything was heard: LI = 3, stratum 16.
    pub const UNKNOWN: RemoteHeader = RemoteHeader {
        leap: LeapIndicator::Unsynchronized,
        stratum: 16,
        precision: 0,
        root_delay: NtpDuration::ZERO,
        root_dispersion: NtpDuration::ZERO,
        reference_id: RefId::ZERO,
        reference_time: NtpTimestamp::ZERO,
        version: 0,
    };
}

/// A fresh clock-filter output, returned by `Association::handle_packet` when
/// the peer variables changed: the input to selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PeerUpdate {
    /// Peer offset, delay, dispersion, jitter and their times.
    pub filter: FilterOutput,
    /// The remote's header values from the packet that produced it.
    pub remote: RemoteHeader,
}

impl PeerUpdate {
    /// The root distance λ at local time `now`, 2^-32 s.
    pub fn root_distance(&self, now: NtpTime) -> NtpDuration {
        root_distance(
            self.remote.root_delay,
            self.remote.root_dispersion,
            self.filter.delay,
            self.filter.dispersion_at(now),
            self.filter.jitter,
        )
    }
}

/// Whether an association is working or has been stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum AssociationState {
    /// Polling / listening normally.
    Active,
    /// Broadcast client measuring the delay with a client-mode volley.
    Calibrating,
    /// Stopped by a DENY / RSTR kiss from the remote.
    Denied,
    /// An ephemeral association that has been unreachable for too long: the
    /// system should remove it.
    Demobilize,
}

/// The peer variables of one association, as `ntpq -p` / `ntpq -c rv` show them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PeerVariables {
    /// The remote's address.
    #[cfg_attr(feature = "defmt", defmt(Debug2Format))]
    pub remote: SocketAddr,
    /// Our association mode (hmode).
    pub mode: AssociationMode,
    /// The version we send.
    pub version: u8,
    /// The association key, if any.
    pub key: Option<KeyId>,
    /// Whether the last accepted packet was authenticated.
    pub authenticated: bool,
    /// Working, denied, or to be demobilised.
    pub state: AssociationState,
    /// The remote's own header values.
    pub remote_header: RemoteHeader,
    /// Reach register (display in octal).
    pub reach: Reach,
    /// Consecutive unanswered polls.
    pub unreach: u8,
    /// Host poll exponent, log2 s.
    pub hpoll: PollInterval,
    /// Peer poll exponent, log2 s.
    pub ppoll: PollInterval,
    /// Peer offset θ, 2^-32 s (zero before the first sample).
    pub offset: NtpDuration,
    /// Peer delay δ, 2^-32 s.
    pub delay: NtpDuration,
    /// Peer dispersion ε grown to the query time, 2^-32 s.
    pub dispersion: NtpDuration,
    /// Peer jitter ψ, 2^-32 s.
    pub jitter: NtpDuration,
    /// Root distance λ at the query time, 2^-32 s.
    pub root_distance: NtpDuration,
    /// Local time of the sample behind the current offset, if any.
    pub update_time: Option<NtpTime>,
    /// Clock filter stages, newest first (filtoffset / filtdelay; dummies have
    /// delay 16 s).
    pub filter: [Sample; NSTAGE],
    /// Filter stage dispersions grown to the query time (filtdisp), 2^-32 s.
    pub filter_dispersion: [NtpDuration; NSTAGE],
    /// Origin timestamp of the last packet we sent (ntpq `org` is the remote's
    /// transmit we echo): the remote's last transmit timestamp.
    pub org: NtpTimestamp,
    /// Our receive time of the last accepted packet (ntpq `rec`).
    pub rec: NtpTimestamp,
    /// Transmit timestamp of our last packet (ntpq `xmt`; a random cookie in
    /// client mode).
    pub xmt: NtpTimestamp,
    /// Local time the next poll is due.
    pub next_poll: NtpTime,
    /// The last test a packet failed, if any (ntpq `flash`).
    pub last_rejection: Option<Rejection>,
    /// Packet counters.
    pub counters: Counters,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_distance_floor_and_sum() {
        let ms = NtpDuration::from_millis;
        // Δ + δ below MINDISP: 5 ms floor; + E 1 ms + ε 2 ms + ψ 3 ms.
        assert_eq!(
            root_distance(ms(1), ms(1), ms(1), ms(2), ms(3)),
            ms(5) + ms(6)
        );
        assert_eq!(root_distance(ms(20), ms(0), ms(40), ms(0), ms(0)), ms(30));
    }
}
