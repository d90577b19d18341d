//! The receiving side of an association: [`Association::handle_packet`] runs
//! the RFC 5905 packet tests in order (mode, authentication, duplicate, bogus
//! origin, timestamps, kiss-o'-death, synchronisation, stratum, root distance),
//! turns a packet that passes them into a [`Sample`] and feeds the clock filter.
//!
//! Order matters for safety: a kiss-o'-death is only acted on after its origin
//! matched our latest request and (for keyed associations) its MAC verified,
//! so a forged or replayed kiss changes nothing.

use crate::auth::{AuthError, KeyId, KeyTable};
use crate::sample::Sample;
use crate::time::{NtpDuration, NtpTime, NtpTimestamp};
use crate::wire::{HeaderRepr, LeapIndicator, Mode, NtpPacket};

use super::config::AssociationMode;
use super::filter::FilterOutcome;
use super::kod::{KissAction, kiss_action};
use super::machine::{Association, Previous};
use super::onwire::{Exchange, broadcast_sample, precision_duration};
use super::peer::{AssociationState, PeerUpdate, RemoteHeader};
use super::snapshot::SystemSnapshot;
use super::status::Rejection;
use super::transmit::mix;

/// Which on-wire protocol a packet belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A mode 4 reply to our mode 3 request.
    Reply,
    /// A mode 1/2 packet between symmetric peers.
    Symmetric,
    /// A mode 5 broadcast.
    Broadcast,
}

impl Association {
    /// Processes one packet from this association's remote, received at local
    /// time `rx_time` (t4; the best receive timestamp the driver has).
    ///
    /// `packet` is the parsed datagram `raw` (the MAC covers the bytes before
    /// it). `sys` supplies our precision and the limits;
    /// `keys` verifies MACs.
    ///
    /// Returns `Ok(Some(update))` when the clock filter produced a new output
    /// (hand it to selection), `Ok(None)` when the packet was good but the filter
    /// kept its output (an older sample is better, a popcorn spike, or a
    /// broadcast client still calibrating), and `Err(rejection)` when a test
    /// failed — the packet is dropped silently and counted.
    pub fn handle_packet<const K: usize>(
        &mut self,
        rx_time: NtpTime,
        packet: &NtpPacket<'_>,
        raw: &[u8],
        sys: &SystemSnapshot,
        keys: &KeyTable<K>,
    ) -> Result<Option<PeerUpdate>, Rejection> {
        self.counters.received = self.counters.received.saturating_add(1);
        let result = self.receive(rx_time, packet, raw, sys, keys);
        match result {
            Ok(_) => self.counters.samples = self.counters.samples.saturating_add(1),
            Err(r) => {
                self.counters.count(r);
                self.last_rejection = Some(r);
            }
        }
        result
    }

    // Out of line on 32-bit targets (20 bytes less at opt-level "z").
    #[cfg_attr(target_pointer_width = "32", inline(never))]
    fn receive<const K: usize>(
        &mut self,
        rx_time: NtpTime,
        packet: &NtpPacket<'_>,
        raw: &[u8],
        sys: &SystemSnapshot,
        keys: &KeyTable<K>,
    ) -> Result<Option<PeerUpdate>, Rejection> {
        let h = &packet.header;
        if matches!(
            self.state,
            AssociationState::Denied | AssociationState::Demobilize
        ) {
            return Err(Rejection::Stopped);
        }
        let kind = match (self.config.mode, h.mode) {
            (AssociationMode::Client | AssociationMode::BroadcastClient, Mode::Server) => {
                Kind::Reply
            }
            (
                AssociationMode::SymmetricActive | AssociationMode::SymmetricPassive,
                Mode::SymmetricActive | Mode::SymmetricPassive,
            ) => Kind::Symmetric,
            (AssociationMode::BroadcastClient, Mode::Broadcast) => Kind::Broadcast,
            _ => return Err(Rejection::ModeMismatch),
        };
        let authenticated = self
            .check_auth(packet, raw, keys)
            .map_err(Rejection::Auth)?;

        // TEST1 / TEST3: a transmit timestamp we have seen, or none at all.
        let xmt = h.transmit_timestamp;
        if xmt.is_zero() {
            return Err(Rejection::InvalidTimestamps);
        }
        // Both timestamps must repeat: an interleaved reply legitimately carries
        // the transmit timestamp of the reply before it.
        if xmt == self.org && h.receive_timestamp == self.org_rx {
            return Err(Rejection::Duplicate);
        }

        // TEST2: the origin must answer our latest packet.
        let sample = match kind {
            Kind::Reply => {
                let Some(p) = self.pending.filter(|p| !p.answered) else {
                    return Err(Rejection::Bogus);
                };
                let origin = h.origin_timestamp;
                let interleaved = if origin == p.cookie {
                    false
                } else if p.interleaved_origin == Some(origin) && self.previous.is_some() {
                    true
                } else {
                    return Err(Rejection::Bogus);
                };
                // The reply answers our request: nothing else may now.
                self.consume_pending();
                self.org = xmt;
                self.org_rx = h.receive_timestamp;
                self.rec = rx_time;
                self.remote = remote_header(h);
                self.authenticated = authenticated;
                if h.receive_timestamp.is_zero() {
                    return Err(Rejection::InvalidTimestamps);
                }
                self.kiss(h, rx_time, p.cookie.to_bits())?;
                let exchange = match (interleaved, self.previous) {
                    (true, Some(prev)) => {
                        Exchange::new(prev.t1, prev.remote_rx, h.transmit_timestamp, prev.t4)
                    }
                    _ => Exchange::new(p.sent, h.receive_timestamp, h.transmit_timestamp, rx_time),
                };
                // This exchange is the one the next interleaved request names.
                self.previous = Some(Previous {
                    t1: p.sent,
                    remote_rx: h.receive_timestamp,
                    t4: rx_time,
                });
                header_tests(h, rx_time, sys)?;
                exchange.sample(h.precision, sys.precision)?
            }
            Kind::Symmetric => {
                let origin = h.origin_timestamp;
                let answers = self
                    .pending
                    .filter(|p| !p.answered && !origin.is_zero() && p.cookie == origin);
                // An authentic packet older than the last one taken is a
                // replay: taking its transmit time would make our next packet
                // unanswerable, and replaying one recorded packet over and
                // over would starve the peer (a CVE-2015-1799-class DoS).
                // While the peer is unreachable the window is open again, so
                // a peer that stepped its clock back is heard after 8 polls.
                if authenticated && self.reach.is_reachable() && self.is_replay(xmt, rx_time) {
                    return Err(Rejection::Duplicate);
                }
                // RFC 5905: remember the remote's transmit time and our receive
                // time even if the packet does not answer ours, so our next
                // packet answers it.
                self.org = xmt;
                self.org_rx = h.receive_timestamp;
                self.rec = rx_time;
                if origin.is_zero() || h.receive_timestamp.is_zero() {
                    return Err(Rejection::InvalidTimestamps);
                }
                let Some(p) = answers else {
                    return Err(Rejection::Bogus);
                };
                self.consume_pending();
                self.remote = remote_header(h);
                self.authenticated = authenticated;
                self.kiss(h, rx_time, p.cookie.to_bits())?;
                header_tests(h, rx_time, sys)?;
                Exchange::new(p.sent, h.receive_timestamp, h.transmit_timestamp, rx_time)
                    .sample(h.precision, sys.precision)?
            }
            Kind::Broadcast => {
                // Replay protection: a broadcast must be newer than the last
                // packet taken from this server. Checked after the MAC, so an
                // unauthenticated packet cannot move the window and lock the
                // real broadcasts out (CVE-2016-7427).
                if self.is_replay(xmt, rx_time) {
                    return Err(Rejection::Duplicate);
                }
                self.org = xmt;
                self.org_rx = h.receive_timestamp;
                self.rec = rx_time;
                self.remote = remote_header(h);
                self.authenticated = authenticated;
                header_tests(h, rx_time, sys)?;
                match self.one_way {
                    Some(d) => broadcast_sample(xmt, rx_time, d, h.precision, sys.precision),
                    // Still measuring the delay: the broadcast only counts as heard.
                    None => {
                        self.reach.reply_received();
                        return Ok(None);
                    }
                }
            }
        };
        Ok(self.accept(sample, h, rx_time, sys))
    }

    /// Whether transmit timestamp `xmt` (received at `rx_time`) is no newer
    /// than that of the last packet taken from the remote: a replay.
    fn is_replay(&self, xmt: NtpTimestamp, rx_time: NtpTime) -> bool {
        !self.org.is_zero() && xmt.resolve(rx_time) <= self.org.resolve(rx_time)
    }

    /// A packet passed every test: count it as heard and run the filter.
    fn accept(
        &mut self,
        sample: Sample,
        h: &HeaderRepr,
        rx_time: NtpTime,
        sys: &SystemSnapshot,
    ) -> Option<PeerUpdate> {
        self.reach.reply_received();
        self.timer.set_peer_poll(h.poll);
        let outcome = self.filter.add(
            sample,
            rx_time,
            precision_duration(sys.precision),
            self.timer.effective_poll(),
        );
        if self.state == AssociationState::Calibrating && self.calibration_left == 0 {
            self.finish_calibration();
        }
        match outcome {
            FilterOutcome::Updated(filter) => Some(PeerUpdate {
                filter,
                remote: self.remote,
            }),
            FilterOutcome::Spike => {
                self.counters.spikes = self.counters.spikes.saturating_add(1);
                None
            }
            FilterOutcome::Stale | FilterOutcome::NoValidSample => {
                self.counters.stale = self.counters.stale.saturating_add(1);
                None
            }
        }
    }

    fn consume_pending(&mut self) {
        if let Some(p) = self.pending.as_mut() {
            p.answered = true;
        }
    }

    /// Kiss-o'-death (stratum 0 with a known kiss code): act on RATE / DENY /
    /// RSTR, then drop. Other stratum-0 packets fall through to the
    /// synchronisation test.
    fn kiss(&mut self, h: &HeaderRepr, now: NtpTime, entropy: u64) -> Result<(), Rejection> {
        if h.kiss_code().is_none() {
            return Ok(());
        }
        match kiss_action(h.ref_id) {
            KissAction::BackOff => self.timer.rate_limited(now, h.poll, mix(entropy)),
            KissAction::Stop => self.state = AssociationState::Denied,
            KissAction::Ignore => {}
        }
        Err(Rejection::Kiss(h.ref_id))
    }

    /// TEST5: a keyed association accepts only packets with a valid MAC under
    /// its key; any association drops a packet whose MAC does not verify.
    /// Returns whether the packet was authenticated.
    fn check_auth<const K: usize>(
        &self,
        packet: &NtpPacket<'_>,
        raw: &[u8],
        keys: &KeyTable<K>,
    ) -> Result<bool, AuthError> {
        let Some(m) = packet.mac else {
            return match self.config.key {
                Some(_) => Err(AuthError::Missing),
                None => Ok(false),
            };
        };
        if m.is_crypto_nak() {
            return Err(AuthError::CryptoNak);
        }
        let id = KeyId(m.key_id);
        if self.config.key.is_some_and(|k| k != id) {
            return Err(AuthError::WrongKey(id));
        }
        keys.verify(packet.mac_input(raw), id, m.digest)
            .map(|_| true)
    }
}

fn remote_header(h: &HeaderRepr) -> RemoteHeader {
    RemoteHeader {
        leap: h.leap,
        // Stratum 0 on the wire means "unspecified": 16 internally.
        stratum: if h.stratum == 0 { 16 } else { h.stratum },
        precision: h.precision,
        root_delay: h.root_delay.to_duration(),
        root_dispersion: h.root_dispersion.to_duration(),
        reference_id: h.ref_id,
        reference_time: h.reference_timestamp,
        version: h.version,
    }
}

/// TEST6–TEST8 (ntpd numbering differs): the remote must be synchronised,
/// below the stratum limit, within the root distance limit, and its reference
/// time must not be after its transmit time.
fn header_tests(h: &HeaderRepr, rx_time: NtpTime, sys: &SystemSnapshot) -> Result<(), Rejection> {
    if h.leap == LeapIndicator::Unsynchronized
        || h.stratum == 0
        || h.stratum >= 16
        || h.reference_timestamp.is_zero()
    {
        return Err(Rejection::Unsynchronized);
    }
    if h.stratum >= sys.max_stratum {
        return Err(Rejection::StratumTooHigh);
    }
    // The reference time cannot be later than the packet's newest timestamp
    // (an interleaved reply's transmit timestamp belongs to the previous
    // exchange, so the receive timestamp may be the newer one).
    let newest = h
        .transmit_timestamp
        .resolve(rx_time)
        .max(h.receive_timestamp.resolve(rx_time));
    if h.reference_timestamp.resolve(rx_time) > newest {
        return Err(Rejection::InvalidTimestamps);
    }
    let distance: NtpDuration =
        h.root_delay.to_duration().shift(-1) + h.root_dispersion.to_duration();
    if distance >= sys.max_distance {
        return Err(Rejection::RootDistance);
    }
    Ok(())
}
