//! Building server packets: replies (mode 3 → 4, mode 1 → 2), kiss-o'-death
//! packets, the broadcast packet (mode 5), and the late transmit stamp.
//!
//! Owns the field-by-field content of what the server sends. Values come
//! from [`SystemVariables`]; the transmit timestamp is written as late as
//! possible by the driver through [`stamp_transmit`], which also recomputes
//! the MAC. Unauthenticated packets are exactly 48 bytes, never more than
//! the request.

use crate::auth::{Key, KeyId};
use crate::server::SystemVariables;
use crate::server::request::ClientRequest;
use crate::server::system_variables::STRATUM_UNSYNCHRONIZED;
use crate::time::{NtpDuration, NtpShort, NtpTime, NtpTimestamp};
use crate::wire::{HEADER_LEN, HeaderRepr, KissCode, LeapIndicator, Mode, Packet, RefId};

/// Largest packet the server builds: header + key ID + 20-byte digest.
pub const MAX_SERVER_PACKET_LEN: usize = HEADER_LEN + 4 + 20;

/// A packet built into the caller's buffer, waiting to be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuiltPacket {
    /// Length of the packet, bytes.
    pub len: usize,
    /// Whether the driver should overwrite the transmit timestamp at send
    /// time with [`stamp_transmit`] (false in interleaved replies, whose
    /// transmit field is already the precise time of an earlier reply, and
    /// in kiss-o'-death packets).
    pub stamp_at_send: bool,
    /// The receive timestamp in the packet (0 for broadcasts): the key for
    /// reporting the precise transmit time to the interleave table.
    pub receive: NtpTimestamp,
    /// The key the packet is signed with (pass that key to
    /// [`stamp_transmit`]), `None` if unsigned.
    pub key: Option<KeyId>,
}

/// Dispersion growth rate PHI, 15 ppm (RFC 5905).
const PHI_PPM: i64 = 15;

/// Root dispersion grown by PHI (15 ppm) × time since the reference time,
/// as chrony advertises it. Replies carry `sys.root_dispersion` as is (as
/// ntpd and RFC 5905's `fast_xmit` do); the system may store this value
/// there when it wants growing dispersion (e.g. after losing its sources).
pub fn root_dispersion_at(sys: &SystemVariables, now: NtpTime) -> NtpDuration {
    let age = sys.reference_time.map_or(NtpDuration::ZERO, |r| now - r);
    let growth = age.mul_div(PHI_PPM, 1_000_000).unwrap_or(NtpDuration::MAX);
    sys.root_dispersion
        + if growth.is_negative() {
            NtpDuration::ZERO
        } else {
            growth
        }
}

/// The header fields every server packet takes from the system variables:
/// leap, stratum, precision, root delay / dispersion, refid, reference time.
///
/// While unsynchronized (LI = 3) the stratum is 16, RFC 5905's
/// "unsynchronized" (ntpsec keeps its last stratum, capture b0; clients
/// reject LI = 3 either way); the refid stays what the system says (`INIT`
/// before the first synchronization).
fn system_header(sys: &SystemVariables, version: u8, mode: Mode) -> HeaderRepr {
    let stratum = if sys.leap == LeapIndicator::Unsynchronized {
        STRATUM_UNSYNCHRONIZED
    } else {
        sys.stratum.min(STRATUM_UNSYNCHRONIZED)
    };
    HeaderRepr {
        leap: sys.leap,
        version,
        mode,
        stratum,
        poll: sys.poll,
        precision: sys.precision,
        root_delay: NtpShort::from_duration_saturating(sys.root_delay),
        root_dispersion: NtpShort::from_duration_saturating(sys.root_dispersion),
        ref_id: sys.refid,
        reference_timestamp: sys
            .reference_time
            .map_or(NtpTimestamp::ZERO, NtpTime::to_timestamp),
        origin_timestamp: NtpTimestamp::ZERO,
        receive_timestamp: NtpTimestamp::ZERO,
        transmit_timestamp: NtpTimestamp::ZERO,
    }
}

/// Writes `header` to `out[..48]` and signs it with `key`; returns the length.
fn emit(header: &HeaderRepr, key: Option<&Key>, out: &mut [u8]) -> Option<usize> {
    header.emit(&mut Packet::new_unchecked(out.get_mut(..HEADER_LEN)?));
    sign(out, key)
}

/// Builds the reply to `req` into `out` (at least [`MAX_SERVER_PACKET_LEN`]
/// bytes): mode 4 to a client, mode 2 to a symmetric-active peer; version
/// and poll mirrored; origin = the request's transmit timestamp, receive =
/// `rx_time`, transmit = `rx_time` until [`stamp_transmit`] overwrites it.
///
/// Interleaved: with `previous_transmit` = the precise transmit time of our
/// previous reply to this client (see `InterleaveTable`), origin = the
/// request's receive field and transmit = `previous_transmit`.
///
/// Signed with `key` (which must be the request's key) if given.
pub fn build_reply(
    req: &ClientRequest,
    sys: &SystemVariables,
    rx_time: NtpTime,
    previous_transmit: Option<NtpTimestamp>,
    key: Option<&Key>,
    out: &mut [u8],
) -> Option<BuiltPacket> {
    let receive = rx_time.to_timestamp();
    let mut h = system_header(sys, req.header.version, req.reply_mode());
    h.poll = req.header.poll;
    h.receive_timestamp = receive;
    match previous_transmit {
        Some(tx) => {
            h.origin_timestamp = req.header.receive_timestamp;
            h.transmit_timestamp = tx;
        }
        None => {
            h.origin_timestamp = req.header.transmit_timestamp;
            h.transmit_timestamp = receive;
        }
    }
    let len = emit(&h, key, out)?;
    Some(BuiltPacket {
        len,
        stamp_at_send: previous_transmit.is_none(),
        receive,
        key: key.map(Key::id),
    })
}

/// Builds a kiss-o'-death reply to `req`, laid out as ntpsec's RATE kiss
/// (capture f3): LI = 3, stratum 0, refid = the kiss code, poll mirrored,
/// precision, root delay/dispersion and reference time 0, origin, receive
/// and transmit all = the request's transmit timestamp. Never signed, never
/// stamped at send time; 48 bytes.
pub fn build_kod(req: &ClientRequest, code: KissCode, out: &mut [u8]) -> Option<BuiltPacket> {
    let t = req.header.transmit_timestamp;
    let h = HeaderRepr {
        leap: LeapIndicator::Unsynchronized,
        version: req.header.version,
        mode: req.reply_mode(),
        stratum: 0,
        poll: req.header.poll,
        precision: 0,
        root_delay: NtpShort::ZERO,
        root_dispersion: NtpShort::ZERO,
        ref_id: code.to_ref_id(),
        reference_timestamp: NtpTimestamp::ZERO,
        origin_timestamp: t,
        receive_timestamp: t,
        transmit_timestamp: t,
    };
    let len = emit(&h, None, out)?;
    Some(BuiltPacket {
        len,
        stamp_at_send: false,
        receive: t,
        key: None,
    })
}

/// Builds a broadcast packet (mode 5, version 4) at local time `now`:
/// poll = the system poll, origin and receive 0, transmit = `now` until
/// stamped at send time; signed with `key` if given.
pub fn build_broadcast(
    sys: &SystemVariables,
    now: NtpTime,
    key: Option<&Key>,
    out: &mut [u8],
) -> Option<BuiltPacket> {
    let mut h = system_header(sys, 4, Mode::Broadcast);
    h.transmit_timestamp = now.to_timestamp();
    let len = emit(&h, key, out)?;
    Some(BuiltPacket {
        len,
        stamp_at_send: true,
        receive: NtpTimestamp::ZERO,
        key: key.map(Key::id),
    })
}

/// Appends the MAC over the 48-byte header if `key` is given; returns the length.
fn sign(out: &mut [u8], key: Option<&Key>) -> Option<usize> {
    match key {
        Some(k) => k.sign(out, HEADER_LEN),
        None => Some(HEADER_LEN),
    }
}

/// Writes the transmit timestamp `tx` into a packet built by this module
/// (`packet` = the whole packet as built) just before it is sent, and
/// recomputes the MAC with `key` (the key it was built with). Returns the
/// packet length.
pub fn stamp_transmit(packet: &mut [u8], tx: NtpTime, key: Option<&Key>) -> Option<usize> {
    Packet::new_unchecked(packet.get_mut(..HEADER_LEN)?).set_transmit_timestamp(tx.to_timestamp());
    sign(packet, key)
}

/// The refid a server of stratum > 1 shows for its upstream `peer`
/// address (IPv4 address, or the first 4 bytes of the MD5 of an IPv6
/// address), for the system to fill [`SystemVariables::refid`].
pub fn refid_for_address(peer: core::net::IpAddr) -> RefId {
    match peer {
        core::net::IpAddr::V4(a) => RefId::from_ipv4(a),
        core::net::IpAddr::V6(a) => RefId::from_ipv6(&a),
    }
}
