//! The sending side of the system: [`Transmit`] (what the driver sends and
//! how), [`Ntp::poll_transmit`] (association polls and the rest of a mode 6
//! reply), and the after-send calls that make timestamps precise
//! ([`Ntp::stamp_transmit`], [`Ntp::transmitted`]).

use core::net::SocketAddr;

#[cfg(feature = "control")]
use crate::access::RequestKind;
use crate::auth::KeyId;
#[cfg(feature = "control")]
use crate::control::{ControlContext, ControlRequest, PeerSource};
use crate::event::{AssociationId, Event};
use crate::server::{BuiltPacket, stamp_transmit};
use crate::time::{NtpTime, NtpTimestamp};
#[cfg(feature = "control")]
use crate::wire::Opcode;

use super::Ntp;
#[cfg(feature = "control")]
use super::peers::PeerTable;
use super::slot::Source;

/// What a [`Transmit`] carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TransmitKind {
    /// A poll of one of our associations (request, symmetric or broadcast packet).
    Poll(AssociationId),
    /// A server reply.
    Reply,
    /// A kiss-o'-death.
    KissOfDeath,
    /// A mode 6 reply fragment.
    Control,
}

/// A datagram the driver should send: `len` bytes at the start of the
/// buffer that was passed in, to `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Transmit {
    /// Destination.
    #[cfg_attr(feature = "defmt", defmt(Debug2Format))]
    pub to: SocketAddr,
    /// Length of the datagram, bytes.
    pub len: usize,
    /// What it is.
    pub kind: TransmitKind,
    /// The transmit timestamp should be written as late as possible: call
    /// [`Ntp::stamp_transmit`] right before the send call.
    pub stamp_at_send: bool,
    /// Key the packet is signed with (re-signed after stamping).
    pub(crate) key: Option<KeyId>,
    /// Receive timestamp of a reply (interleaved mode bookkeeping).
    pub(crate) receive: NtpTimestamp,
}

impl Transmit {
    /// A server reply or kiss as the server built it; a signed reply keeps
    /// its key so a late transmit stamp re-signs with it.
    pub(crate) fn reply(to: SocketAddr, built: BuiltPacket, kind: TransmitKind) -> Transmit {
        Transmit {
            to,
            len: built.len,
            kind,
            stamp_at_send: built.stamp_at_send,
            key: built.key,
            receive: built.receive,
        }
    }
}

/// Access control's name for a mode 6 request.
#[cfg(feature = "control")]
pub(crate) fn control_kind(request: &ControlRequest) -> RequestKind {
    match request.opcode {
        Opcode::ReadStatus | Opcode::ReadVariables | Opcode::ReadClock => RequestKind::ControlRead,
        Opcode::SetTrap | Opcode::AsyncMessage | Opcode::UnsetTrap => RequestKind::ControlTrap,
        Opcode::ReadMru => RequestKind::ControlMruList,
        _ => RequestKind::ControlWrite,
    }
}

impl<const A: usize, const K: usize, const R: usize, const C: usize> Ntp<A, K, R, C> {
    /// The next datagram to send at local time `now`, written into `buf` (at
    /// least [`MAX_PACKET_LEN`](super::MAX_PACKET_LEN) bytes): the rest of a
    /// mode 6 reply, then every association poll that is due. Call until it
    /// returns `None`.
    pub fn poll_transmit(&mut self, now: NtpTime, buf: &mut [u8]) -> Option<Transmit> {
        #[cfg(feature = "control")]
        if let Some(tx) = self.next_control_fragment(now, buf) {
            return Some(tx);
        }
        let snapshot = self.snapshot();
        let mut reselect = false;
        let mut result = None;
        let precision = crate::time::NtpDuration::ONE_SECOND.shift(i32::from(self.sys.precision));
        for slot in self.slots.iter_mut() {
            if slot.next_timeout() > now {
                continue;
            }
            let entropy = self.rng.next_u64();
            let sent = match &mut slot.source {
                Source::Network(assoc) => assoc
                    .poll_transmit(now, entropy, &snapshot, &self.keys, buf)
                    .map(|len| (len, assoc.config().remote, assoc.config().key)),
                Source::Refclock(clock) => {
                    let driver = self.drivers.iter_mut().find(|d| d.id() == clock.id());
                    let update =
                        driver.and_then(|d| clock.poll(d, now, snapshot.poll, precision, entropy));
                    if let Some(update) = update {
                        slot.update = Some(update);
                        reselect = true;
                    }
                    None
                }
            };
            // A poll ages the reach register: note a source that went silent
            // or came back.
            let reachable = slot.is_reachable();
            if slot.was_reachable != reachable {
                slot.was_reachable = reachable;
                // A peer event: the queue only, not the system status word.
                self.events.push(if reachable {
                    Event::PeerReachable { id: slot.id }
                } else {
                    Event::PeerUnreachable { id: slot.id }
                });
                reselect = true;
            }
            if let Some((len, to, key)) = sent {
                result = Some(Transmit {
                    to,
                    len,
                    kind: TransmitKind::Poll(slot.id),
                    stamp_at_send: false,
                    key,
                    receive: NtpTimestamp::ZERO,
                });
                break;
            }
        }
        if reselect {
            self.clock_update(now);
        }
        result
    }

    /// Writes the transmit timestamp `tx_time` (local time, as late before
    /// the send call as the driver can) into the datagram of `transmit`, and
    /// re-signs it. Only for transmits with `stamp_at_send`.
    pub fn stamp_transmit(&self, transmit: &Transmit, buf: &mut [u8], tx_time: NtpTime) {
        if !transmit.stamp_at_send {
            return;
        }
        let key = transmit.key.and_then(|id| self.keys.trusted(id));
        if let Some(packet) = buf.get_mut(..transmit.len) {
            let _ = stamp_transmit(packet, tx_time, key);
        }
    }

    /// The driver learnt when `transmit` actually left (a kernel or NIC
    /// transmit timestamp, local time): interleaved modes use it.
    pub fn transmitted(&mut self, transmit: &Transmit, tx_time: NtpTime) {
        match transmit.kind {
            TransmitKind::Poll(id) => {
                if let Some(Source::Network(assoc)) = self
                    .slots
                    .iter_mut()
                    .find(|s| s.id == id)
                    .map(|s| &mut s.source)
                {
                    assoc.transmit_completed(tx_time);
                }
            }
            TransmitKind::Reply => self
                .server
                .transmitted(transmit.to, transmit.receive, tx_time),
            TransmitKind::KissOfDeath | TransmitKind::Control => {}
        }
    }

    /// The next fragment of the mode 6 reply in progress, if any.
    #[cfg(feature = "control")]
    pub(crate) fn next_control_fragment(
        &mut self,
        now: NtpTime,
        buf: &mut [u8],
    ) -> Option<Transmit> {
        let (to, mut reply) = self.control.take()?;
        let peers = PeerTable {
            slots: &self.slots,
            drivers: &self.drivers,
            now,
        };
        let ctx = ControlContext {
            system: &self.sys,
            peers: &peers,
            now,
            control_key: self.config.control_key.and_then(|id| self.keys.trusted(id)),
        };
        let len = reply.next_fragment(&ctx, buf)?;
        self.control = Some((to, reply));
        Some(Transmit {
            to,
            len,
            kind: TransmitKind::Control,
            stamp_at_send: false,
            key: None,
            receive: NtpTimestamp::ZERO,
        })
    }
}

// The mode 6 responder sees the associations through this table.
#[cfg(feature = "control")]
impl PeerSource for PeerTable<'_> {
    fn peer_count(&self) -> usize {
        self.slots.len()
    }

    fn peer(&self, index: usize) -> Option<crate::control::PeerVariables<'_>> {
        self.slots.get(index).map(|s| self.render(s))
    }
}
