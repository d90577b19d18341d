//! The receiving side of the system: [`Ntp::handle_packet`] sorts a datagram
//! by mode and source — time for one of our associations, a request to
//! serve, a mode 6 query — asks access control, and hands it on.

use core::net::SocketAddr;

use crate::access::{Decision, Request, RequestKind};
use crate::association::{
    AssociationConfig, AssociationMode, PollConfig, Rejection, may_mobilize_broadcast_client,
    may_mobilize_passive, packet_key,
};
#[cfg(feature = "control")]
use crate::control::{ControlPolicy, ControlReply, ControlRequest};
use crate::counter::bump_u64;
use crate::event::Event;
use crate::select::CandidateFlags;
use crate::server::ClientRequest;
use crate::time::NtpTime;
use crate::wire::{self, KissCode, Mode, NtpPacket};

use super::Ntp;
use super::slot::Source;
use super::transmit::{Transmit, TransmitKind};

impl<const A: usize, const K: usize, const R: usize, const C: usize> Ntp<A, K, R, C> {
    /// A datagram `bytes` arrived from `from`, received at local time
    /// `rx_time` (the best receive timestamp the driver has: kernel, NIC or
    /// capture; else the clock read right after the receive call). `now` is
    /// the local time of this call.
    ///
    /// If the datagram calls for an immediate answer (a server reply, a
    /// kiss-o'-death, the first fragment of a mode 6 reply), it is written to
    /// `out` (at least [`MAX_PACKET_LEN`](super::MAX_PACKET_LEN) bytes) and
    /// described by the returned [`Transmit`]; send it (stamping it first if
    /// it asks so). Everything else comes out of
    /// [`poll_transmit`](Self::poll_transmit) and
    /// [`poll_adjustment`](Self::poll_adjustment).
    pub fn handle_packet(
        &mut self,
        now: NtpTime,
        from: SocketAddr,
        bytes: &[u8],
        rx_time: NtpTime,
        out: &mut [u8],
    ) -> Option<Transmit> {
        bump_u64(&mut self.counters.received);
        if is_refclock_address(from) {
            bump_u64(&mut self.counters.restricted);
            return None;
        }
        let Ok(mode) = wire::peek_mode(bytes) else {
            bump_u64(&mut self.counters.malformed);
            return None;
        };
        match mode {
            #[cfg(feature = "control")]
            Mode::Control => self.handle_control(now, from, bytes, out),
            // No mode 6 responder in this build: treated as `noquery` for all.
            #[cfg(not(feature = "control"))]
            Mode::Control => {
                bump_u64(&mut self.counters.restricted);
                None
            }
            Mode::Private => {
                bump_u64(&mut self.counters.mode7);
                None
            }
            _ => self.handle_time_packet(now, from, bytes, rx_time, out),
        }
    }

    fn handle_time_packet(
        &mut self,
        now: NtpTime,
        from: SocketAddr,
        bytes: &[u8],
        rx_time: NtpTime,
        out: &mut [u8],
    ) -> Option<Transmit> {
        let Ok(packet) = NtpPacket::parse(bytes) else {
            bump_u64(&mut self.counters.malformed);
            return None;
        };
        let mode = packet.header.mode;
        if mode == Mode::Client {
            return self.serve(now, from, &packet, bytes, rx_time, out);
        }
        if let Some(index) = self.find_slot(from, mode) {
            // `notrust` needs to know whether the MAC verifies with a
            // trusted key, not just whether there is one.
            let authenticated = packet.mac.is_some()
                && matches!(packet_key(&packet, bytes, &self.keys), Ok(Some(_)));
            let request = Request {
                kind: RequestKind::Response,
                version: packet.header.version,
                authenticated,
            };
            if self.access.check(from, now, request).decision == Decision::Drop {
                bump_u64(&mut self.counters.restricted);
                return None;
            }
            self.deliver(index, now, &packet, bytes, rx_time);
            return None;
        }
        match mode {
            Mode::SymmetricActive => self.unknown_peer(now, from, &packet, bytes, rx_time, out),
            Mode::Broadcast => {
                self.unknown_broadcast(now, from, &packet, bytes, rx_time);
                None
            }
            _ => {
                bump_u64(&mut self.counters.no_association);
                None
            }
        }
    }

    /// The slot whose remote is `from` and whose mode pairs with a packet of
    /// `mode`.
    fn find_slot(&self, from: SocketAddr, mode: Mode) -> Option<usize> {
        self.slots.iter().position(|s| {
            let Some(a) = s.network() else {
                return false;
            };
            let c = a.config();
            let pairs = match c.mode {
                AssociationMode::Client => mode == Mode::Server,
                AssociationMode::SymmetricActive | AssociationMode::SymmetricPassive => {
                    matches!(mode, Mode::SymmetricActive | Mode::SymmetricPassive)
                }
                // A calibrating broadcast client hears mode 4 replies too.
                AssociationMode::BroadcastClient => matches!(mode, Mode::Broadcast | Mode::Server),
                AssociationMode::BroadcastServer => false,
            };
            // Broadcasts come from the server's own port; others must match exactly.
            pairs
                && if c.mode == AssociationMode::BroadcastClient {
                    c.remote.ip() == from.ip()
                } else {
                    c.remote == from
                }
        })
    }

    /// Hands a packet to the association in `index` and runs the clock
    /// update if it produced a new filter output.
    fn deliver(
        &mut self,
        index: usize,
        now: NtpTime,
        packet: &NtpPacket<'_>,
        bytes: &[u8],
        rx_time: NtpTime,
    ) {
        let snapshot = self.snapshot();
        let Some(slot) = self.slots.get_mut(index) else {
            return;
        };
        let Source::Network(assoc) = &mut slot.source else {
            return;
        };
        let result = assoc.handle_packet(rx_time, packet, bytes, &snapshot, &self.keys);
        let id = slot.id;
        let reachable = slot.is_reachable();
        if reachable && !slot.was_reachable {
            slot.was_reachable = true;
            // A peer event: the queue only, not the system status word.
            self.events.push(Event::PeerReachable { id });
        }
        match result {
            Ok(Some(update)) => {
                slot.update = Some(update);
                self.clock_update(now);
            }
            // No new best sample, but the filter refreshed ε and ψ: reselect
            // with them (after iburst the best sample can stay the same for
            // up to 8 polls on a quiet network).
            Ok(None) => self.clock_update(now),
            Err(Rejection::Kiss(refid)) => {
                if let Some(code) = KissCode::from_ref_id(refid) {
                    self.emit(Event::KissOfDeath { id, code });
                }
                // A DENY/RSTR stops the association; reselect without it.
                self.clock_update(now);
            }
            Err(_) => {}
        }
    }

    /// A mode 1 packet from a host we have no association with: mobilise a
    /// symmetric passive association if allowed, else answer statelessly
    /// (mode 2) as ntpd does, or drop.
    fn unknown_peer(
        &mut self,
        now: NtpTime,
        from: SocketAddr,
        packet: &NtpPacket<'_>,
        bytes: &[u8],
        rx_time: NtpTime,
        out: &mut [u8],
    ) -> Option<Transmit> {
        let key = packet_key(packet, bytes, &self.keys);
        let Ok(key) = key else {
            // Bad or unknown MAC: silence, never a crypto-NAK.
            bump_u64(&mut self.counters.restricted);
            return None;
        };
        let request = Request {
            kind: RequestKind::SymmetricActive,
            version: packet.header.version,
            authenticated: key.is_some(),
        };
        let verdict = self.access.check(from, now, request);
        let mobilize = verdict.decision == Decision::Serve
            && may_mobilize_passive(packet, key, true, !self.config.allow_unauthenticated_peers);
        if mobilize {
            let mut config = AssociationConfig::symmetric_active(from);
            config.mode = AssociationMode::SymmetricPassive;
            config.ephemeral = true;
            config.key = key;
            config.version = packet.header.version;
            config.poll = PollConfig::DEFAULT;
            if let Ok(id) = self.add_association(config, CandidateFlags::empty(), now) {
                if let Some(index) = self.slots.iter().position(|s| s.id == id) {
                    self.deliver(index, now, packet, bytes, rx_time);
                }
                return None;
            }
        }
        // Not mobilised: a stateless symmetric passive reply, like a server.
        match verdict.decision {
            Decision::Drop | Decision::Refuse => {
                bump_u64(&mut self.counters.restricted);
                None
            }
            _ => self.answer(verdict.decision, from, packet, bytes, rx_time, out),
        }
    }

    /// A mode 5 packet from a server we have no association with: mobilise a
    /// broadcast client if `broadcastclient` is on and access allows it.
    fn unknown_broadcast(
        &mut self,
        now: NtpTime,
        from: SocketAddr,
        packet: &NtpPacket<'_>,
        bytes: &[u8],
        rx_time: NtpTime,
    ) {
        let Ok(key) = packet_key(packet, bytes, &self.keys) else {
            return;
        };
        let request = Request {
            kind: RequestKind::Broadcast,
            version: packet.header.version,
            authenticated: key.is_some(),
        };
        let allowed = self.access.check(from, now, request).decision == Decision::Serve;
        if !may_mobilize_broadcast_client(
            packet,
            key,
            self.config.broadcast_client,
            allowed,
            !self.config.allow_unauthenticated_peers,
        ) {
            bump_u64(&mut self.counters.no_association);
            return;
        }
        let mut config = AssociationConfig::broadcast_client(from, self.config.broadcast_delay);
        config.key = key;
        if let Ok(id) = self.add_association(config, CandidateFlags::empty(), now) {
            if let Some(index) = self.slots.iter().position(|s| s.id == id) {
                self.deliver(index, now, packet, bytes, rx_time);
            }
        }
    }

    /// A client request (`packet`, parsed from `bytes`): access control,
    /// then a reply or a kiss.
    fn serve(
        &mut self,
        now: NtpTime,
        from: SocketAddr,
        packet: &NtpPacket<'_>,
        bytes: &[u8],
        rx_time: NtpTime,
        out: &mut [u8],
    ) -> Option<Transmit> {
        if !self.config.serve {
            return None;
        }
        let request = Request {
            kind: RequestKind::Client,
            version: packet.header.version,
            // The MAC is verified after access control (a restricted
            // client costs no digest); `notrust` needs to know whether
            // there is one — a bad one then gets silence from the server.
            authenticated: packet.mac.is_some(),
        };
        let verdict = self.access.check(from, now, request);
        match verdict.decision {
            Decision::Drop | Decision::Refuse => {
                bump_u64(&mut self.counters.restricted);
                None
            }
            decision => self.answer(decision, from, packet, bytes, rx_time, out),
        }
    }

    /// Builds a reply (or a kiss) for a request access control let through;
    /// `packet` is the request as parsed from `bytes` (parsed once, here
    /// only its MAC is checked).
    fn answer(
        &mut self,
        decision: Decision,
        from: SocketAddr,
        packet: &NtpPacket<'_>,
        bytes: &[u8],
        rx_time: NtpTime,
        out: &mut [u8],
    ) -> Option<Transmit> {
        let req = ClientRequest::from_packet(packet, bytes, &self.keys).ok()?;
        if let Decision::Kod(code) = decision {
            let built = self.server.kod_to(&req, code, out).ok()?;
            bump_u64(&mut self.counters.kod_sent);
            return Some(Transmit::reply(from, built, TransmitKind::KissOfDeath));
        }
        let built = self
            .server
            .reply_to(&req, from, rx_time, &self.sys, &self.keys, out)
            .ok()?;
        bump_u64(&mut self.counters.replies);
        Some(Transmit::reply(from, built, TransmitKind::Reply))
    }

    /// A mode 6 request: access control, then the first fragment of the reply
    /// (later fragments come from `poll_transmit`).
    #[cfg(feature = "control")]
    fn handle_control(
        &mut self,
        now: NtpTime,
        from: SocketAddr,
        bytes: &[u8],
        out: &mut [u8],
    ) -> Option<Transmit> {
        let control_key = self.config.control_key.and_then(|id| self.keys.trusted(id));
        let Ok(request) = ControlRequest::parse(bytes, control_key) else {
            bump_u64(&mut self.counters.malformed);
            return None;
        };
        let kind = super::transmit::control_kind(&request);
        let verdict = self.access.check(
            from,
            now,
            Request {
                kind,
                version: request.version,
                authenticated: request.is_authenticated(),
            },
        );
        let policy = match verdict.decision {
            Decision::Serve | Decision::ServeStateless => ControlPolicy {
                noquery: false,
                // Authenticated queriers may get more bytes than they sent;
                // others only within the global amplification budget.
                may_amplify: request.is_authenticated() || self.amplification.take(now),
            },
            // Writes are refused by the responder itself (it implements none);
            // what access refuses gets an error reply no larger than the request.
            Decision::Refuse => ControlPolicy {
                noquery: false,
                may_amplify: false,
            },
            Decision::Drop | Decision::Kod(_) => {
                bump_u64(&mut self.counters.restricted);
                return None;
            }
        };
        let reply = ControlReply::new(request, policy)?;
        bump_u64(&mut self.counters.control);
        self.control = Some((from, reply));
        self.next_control_fragment(now, out)
    }
}

/// Whether `from` is a reference clock pseudo address (127.127.0.0/16, also
/// IPv4-mapped). No real host sends from there: such a packet is forged to
/// pose as a reference clock (CVE-2016-1551) and is dropped.
fn is_refclock_address(from: SocketAddr) -> bool {
    match from.ip().to_canonical() {
        core::net::IpAddr::V4(a) => matches!(a.octets(), [127, 127, _, _]),
        core::net::IpAddr::V6(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Ntp, SystemConfig};
    use crate::time::NtpTime;

    #[test]
    fn mode6_answered_only_with_the_control_feature() {
        let now = NtpTime::from_parts(3_900_000_000, 0);
        let mut ntp: Ntp<1, 1, 1, 4> = Ntp::new(SystemConfig::default(), now, [7; 16]);
        // READVAR of the system variables, sequence 1, from a LAN address.
        let request = [0x16, 0x02, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
        let from = core::net::SocketAddr::from(([10, 0, 0, 2], 40000));
        let mut out = [0u8; super::super::MAX_PACKET_LEN];
        let tx = ntp.handle_packet(now, from, &request, now, &mut out);
        if cfg!(feature = "control") {
            assert!(tx.is_some_and(|t| t.len > 12));
            assert_eq!(ntp.counters().control, 1);
        } else {
            // Compiled out: dropped like a `noquery` request.
            assert!(tx.is_none());
            assert_eq!(ntp.counters().control, 0);
            assert_eq!(ntp.counters().restricted, 1);
        }
    }
}
