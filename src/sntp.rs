//! A one-shot SNTP query (RFC 4330 §5, RFC 5905 §8 client side) without
//! associations: build one 48-byte client request, check the one reply
//! against it, compute offset θ and delay δ. The job the `sntpc` crate does,
//! for firmware that sets its clock once at boot or now and then and needs
//! no clock filter, selection or discipline.
//!
//! Owns: the request bytes, the reply checks (length, version, mode 4,
//! origin match, kiss-o'-death, leap indicator, stratum, zero timestamps,
//! time order) and the offset/delay arithmetic (through
//! [`Exchange`](crate::association::onwire::Exchange)). It reads the header
//! through the zero-copy [`Packet`] view only, so nothing of the extension
//! field, MAC or association machinery is linked into a firmware that uses
//! just this module.
//!
//! ```text
//! let query = Query::new(t1, cookie);         // t1 = local time at send
//! let len = query.emit(&mut buf)?;            // send buf[..len] to port 123
//! let reply = query.process(&rx_bytes, t4)?;  // t4 = local time at receive
//! clock.step(reply.offset);
//! ```
//!
//! The core never reads a clock or randomness: `t1`, `t4` and the cookie
//! come from the caller. The cookie goes in the request's transmit field
//! instead of `t1` (RFC 9109-style data minimisation: the request reveals
//! nothing of our clock, and an off-path attacker must guess 64 bits to
//! forge a reply). Without an entropy source, pass
//! `t1.to_timestamp().to_bits()` (classic SNTP).

use crate::association::onwire::Exchange;
use crate::time::{NtpDuration, NtpShort, NtpTime, NtpTimestamp};
use crate::wire::{HEADER_LEN, KissCode, LeapIndicator, Mode, Packet, RefId};

/// Bytes of a request written by [`Query::emit`].
pub const REQUEST_LEN: usize = HEADER_LEN;

/// NTP version written in requests (replies of versions 1–4 are accepted
/// when their mode is 4).
pub const VERSION: u8 = 4;

/// Why a reply was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SntpError {
    /// The output buffer is shorter than [`REQUEST_LEN`] bytes.
    BufferTooSmall,
    /// The reply is shorter than a 48-byte header.
    Truncated,
    /// Version 0 or 5–7.
    UnsupportedVersion(u8),
    /// Not a server reply (mode 4); carries the mode bits.
    NotServerMode(u8),
    /// The origin timestamp does not echo our request's transmit field: a
    /// stale, duplicated or forged reply.
    OriginMismatch,
    /// A kiss-o'-death (stratum 0): the server asks us to back off (`RATE`),
    /// go away (`DENY`, `RSTR`) or names another code; carries the
    /// reference id's 4 bytes.
    KissOfDeath([u8; 4]),
    /// Leap indicator 3 (the server's clock is not synchronised).
    Unsynchronized,
    /// Stratum 16 or above (not synchronised) .
    BadStratum(u8),
    /// The server's receive or transmit timestamp is zero.
    ZeroTimestamp,
    /// The reply arrived before the request left (t4 < t1), or the server
    /// transmitted before it received (t3 < t2).
    TimeOrder,
}

impl SntpError {
    /// The kiss code of a [`SntpError::KissOfDeath`], if it is a known one.
    pub fn kiss_code(&self) -> Option<KissCode> {
        match *self {
            SntpError::KissOfDeath(bytes) => RefId::from_bytes(bytes).kiss_code(),
            _ => None,
        }
    }
}

impl core::fmt::Display for SntpError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SntpError::BufferTooSmall => f.write_str("buffer shorter than 48 bytes"),
            SntpError::Truncated => f.write_str("reply shorter than 48 bytes"),
            SntpError::UnsupportedVersion(v) => write!(f, "unsupported version {v}"),
            SntpError::NotServerMode(m) => write!(f, "mode {m}, not a server reply"),
            SntpError::OriginMismatch => f.write_str("origin does not match the request"),
            SntpError::KissOfDeath(_) => f.write_str("kiss-o'-death"),
            SntpError::Unsynchronized => f.write_str("server unsynchronised (leap 3)"),
            SntpError::BadStratum(s) => write!(f, "stratum {s}"),
            SntpError::ZeroTimestamp => f.write_str("zero server timestamp"),
            SntpError::TimeOrder => f.write_str("timestamps out of order"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for SntpError {}

/// An accepted reply: the measurement and what the server said about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SntpReply {
    /// Clock offset θ = ((t2 − t1) + (t3 − t4)) / 2 (positive: our clock is
    /// behind the server's), 2^-32 s.
    pub offset: NtpDuration,
    /// Round-trip delay δ = (t4 − t1) − (t3 − t2), 2^-32 s (never negative).
    pub delay: NtpDuration,
    /// The server's transmit time t3, era-resolved near t1.
    pub server_time: NtpTime,
    /// The server's leap indicator (a leap second announced for the end of
    /// the month, or none).
    pub leap: LeapIndicator,
    /// The server's stratum, 1–15.
    pub stratum: u8,
    /// The server's precision, log2 s.
    pub precision: i8,
    /// The server's root delay, 16.16 s.
    pub root_delay: NtpShort,
    /// The server's root dispersion, 16.16 s.
    pub root_dispersion: NtpShort,
    /// The server's reference id (`GPS`, an IPv4 address, …).
    pub ref_id: RefId,
    /// The server's poll field, log2 s (an upper bound on how often it
    /// wants to be asked).
    pub poll: i8,
}

/// One outstanding request: what was sent and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Query {
    /// Local time the request is sent.
    t1: NtpTime,
    /// The transmit field sent (a cookie the reply must echo).
    cookie: NtpTimestamp,
}

impl Query {
    /// A query sent at local time `t1` whose request carries `cookie` (64
    /// bits of caller entropy, or `t1.to_timestamp().to_bits()`) in its
    /// transmit field. A zero cookie is replaced by 1: a zero transmit field
    /// means "unset" on the wire.
    pub const fn new(t1: NtpTime, cookie: u64) -> Query {
        let cookie = if cookie == 0 { 1 } else { cookie };
        Query {
            t1,
            cookie: NtpTimestamp::from_bits(cookie),
        }
    }

    /// Local send time t1 given to [`Query::new`].
    pub const fn sent_at(&self) -> NtpTime {
        self.t1
    }

    /// Writes the 48-byte client request (version 4, mode 3, leap 0, all
    /// other fields zero but the transmit cookie) to the start of `buf`;
    /// returns its length, [`REQUEST_LEN`].
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, SntpError> {
        let out = buf
            .get_mut(..REQUEST_LEN)
            .ok_or(SntpError::BufferTooSmall)?;
        out.fill(0);
        let mut packet = Packet::new_unchecked(out);
        packet.set_leap_version_mode(LeapIndicator::NoWarning, VERSION, Mode::Client);
        packet.set_transmit_timestamp(self.cookie);
        Ok(REQUEST_LEN)
    }

    /// Checks `reply` (the datagram's bytes; a trailer after the header is
    /// ignored) against this query and, received at local time `t4`,
    /// returns the measurement. Checks in order: length, version, mode 4,
    /// origin = our cookie, kiss-o'-death (stratum 0), stratum ≤ 15, leap
    /// indicator ≠ 3, non-zero server timestamps, t1 ≤ t4 and t2 ≤ t3.
    pub fn process(&self, reply: &[u8], t4: NtpTime) -> Result<SntpReply, SntpError> {
        let packet = Packet::new_checked(reply).map_err(|_| SntpError::Truncated)?;
        let version = packet.version();
        if !(1..=4).contains(&version) {
            return Err(SntpError::UnsupportedVersion(version));
        }
        let mode = packet.mode();
        if mode != Mode::Server {
            return Err(SntpError::NotServerMode(mode.to_bits()));
        }
        if packet.origin_timestamp() != self.cookie {
            return Err(SntpError::OriginMismatch);
        }
        let stratum = packet.stratum();
        let ref_id = packet.ref_id();
        if stratum == 0 {
            return Err(SntpError::KissOfDeath(ref_id.to_bytes()));
        }
        if stratum > 15 {
            return Err(SntpError::BadStratum(stratum));
        }
        let leap = packet.leap();
        if leap == LeapIndicator::Unsynchronized {
            return Err(SntpError::Unsynchronized);
        }
        let (t2, t3) = (packet.receive_timestamp(), packet.transmit_timestamp());
        if t2.is_zero() || t3.is_zero() {
            return Err(SntpError::ZeroTimestamp);
        }
        let exchange = Exchange::new(self.t1, t2, t3, t4);
        if exchange.t4 < exchange.t1 || exchange.t3 < exchange.t2 {
            return Err(SntpError::TimeOrder);
        }
        let delay = exchange.delay();
        Ok(SntpReply {
            offset: exchange.offset(),
            delay: if delay < NtpDuration::ZERO {
                NtpDuration::ZERO
            } else {
                delay
            },
            server_time: exchange.t3,
            leap,
            stratum,
            precision: packet.precision(),
            root_delay: packet.root_delay(),
            root_dispersion: packet.root_dispersion(),
            ref_id,
            poll: packet.poll().log2(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: i64, millis: i64) -> NtpTime {
        NtpTime::from_parts(3_900_000_000 + secs, 0) + NtpDuration::from_millis(millis)
    }

    /// A server reply to `request` with receive/transmit stamps `t2`/`t3`.
    fn reply(request: &[u8], t2: NtpTime, t3: NtpTime) -> [u8; 48] {
        let req = Packet::new_checked(request).unwrap();
        let mut out = [0u8; 48];
        let mut p = Packet::new_unchecked(&mut out[..]);
        p.set_leap_version_mode(LeapIndicator::NoWarning, 4, Mode::Server);
        p.set_stratum(1);
        p.set_precision(-20);
        p.set_ref_id(RefId::from_bytes(*b"GPS\0"));
        p.set_origin_timestamp(req.transmit_timestamp());
        p.set_receive_timestamp(t2.to_timestamp());
        p.set_transmit_timestamp(t3.to_timestamp());
        out
    }

    /// Equal to within 2^-30 s (the millisecond stamps round to 2^-32 s).
    fn close(a: NtpDuration, b: NtpDuration) -> bool {
        (a - b).abs() <= NtpDuration::from_bits(4)
    }

    fn exchange(query: &Query, t2: NtpTime, t3: NtpTime) -> [u8; 48] {
        let mut buf = [0u8; 64];
        let n = query.emit(&mut buf).unwrap();
        reply(&buf[..n], t2, t3)
    }

    #[test]
    fn request_is_a_minimal_v4_client_packet() {
        let q = Query::new(t(0, 0), 0x0123_4567_89ab_cdef);
        let mut buf = [0xffu8; 50];
        assert_eq!(q.emit(&mut buf), Ok(48));
        assert_eq!(buf[0], 0x23); // LI 0, VN 4, mode 3
        assert!(buf[1..40].iter().all(|&b| b == 0));
        assert_eq!(buf[40..48], 0x0123_4567_89ab_cdefu64.to_be_bytes());
        assert_eq!(buf[48..], [0xff, 0xff]);
        assert_eq!(q.emit(&mut [0u8; 47]), Err(SntpError::BufferTooSmall));
        // A zero cookie would read as "unset".
        let mut buf = [0u8; 48];
        Query::new(t(0, 0), 0).emit(&mut buf).unwrap();
        assert_eq!(buf[47], 1);
    }

    #[test]
    fn offset_and_delay() {
        // Server 1 s ahead; 20 ms each way; 2 ms in the server.
        let q = Query::new(t(0, 0), 77);
        let r = exchange(&q, t(1, 20), t(1, 22));
        let out = q.process(&r, t(0, 42)).unwrap();
        assert!(close(out.offset, NtpDuration::from_seconds(1)));
        assert!(close(out.delay, NtpDuration::from_millis(40)));
        assert_eq!(out.stratum, 1);
        assert_eq!(out.precision, -20);
        assert_eq!(out.ref_id, RefId::from_bytes(*b"GPS\0"));
        assert_eq!(out.server_time, t(1, 22));
        // Server behind.
        let r = exchange(&q, t(-5, 10), t(-5, 10));
        let out = q.process(&r, t(0, 20)).unwrap();
        assert!(close(out.offset, NtpDuration::from_seconds(-5)));
        assert!(close(out.delay, NtpDuration::from_millis(20)));
    }

    #[test]
    fn era_boundary() {
        // t1 just before the 2036 rollover, the server's stamps just after.
        let t1 = NtpTime::from_parts((1i64 << 32) - 1, 0);
        let q = Query::new(t1, 5);
        let t2 = t1 + NtpDuration::from_seconds(2);
        let r = exchange(&q, t2, t2);
        let out = q.process(&r, t1).unwrap();
        assert_eq!(out.offset, NtpDuration::from_seconds(2));
        assert_eq!(out.server_time, t2);
    }

    #[test]
    fn rejections() {
        let q = Query::new(t(0, 0), 99);
        let good = exchange(&q, t(0, 5), t(0, 6));
        let t4 = t(0, 10);
        assert!(q.process(&good, t4).is_ok());
        // A trailer (extension fields, MAC) is ignored.
        let mut long = [0u8; 68];
        long[..48].copy_from_slice(&good);
        assert!(q.process(&long, t4).is_ok());

        let check = |edit: &dyn Fn(&mut [u8; 48]), want: SntpError| {
            let mut r = good;
            edit(&mut r);
            assert_eq!(q.process(&r, t4), Err(want));
        };
        assert_eq!(q.process(&good[..47], t4), Err(SntpError::Truncated));
        check(&|r| r[0] = 0x04, SntpError::UnsupportedVersion(0));
        check(&|r| r[0] = 0x3c, SntpError::UnsupportedVersion(7));
        check(&|r| r[0] = 0x23, SntpError::NotServerMode(3));
        check(&|r| r[0] = 0x25, SntpError::NotServerMode(5));
        check(&|r| r[31] ^= 1, SntpError::OriginMismatch);
        check(
            &|r| {
                r[1] = 0;
                r[12..16].copy_from_slice(b"RATE");
            },
            SntpError::KissOfDeath(*b"RATE"),
        );
        check(&|r| r[1] = 16, SntpError::BadStratum(16));
        check(&|r| r[0] = 0xe4, SntpError::Unsynchronized);
        check(&|r| r[32..40].fill(0), SntpError::ZeroTimestamp);
        check(&|r| r[40..48].fill(0), SntpError::ZeroTimestamp);
        // t3 < t2.
        check(
            &|r| r[32..40].copy_from_slice(&t(0, 7).to_timestamp().to_bits().to_be_bytes()),
            SntpError::TimeOrder,
        );
        // t4 < t1.
        assert_eq!(q.process(&good, t(-1, 0)), Err(SntpError::TimeOrder));
        // Version 3 server replies are fine, and leap warnings are passed on.
        let mut v3 = good;
        v3[0] = 0x5c; // LI 1, VN 3, mode 4
        let out = q.process(&v3, t4).unwrap();
        assert_eq!(out.leap, LeapIndicator::AddSecond);
        assert_eq!(
            SntpError::KissOfDeath(*b"RATE").kiss_code(),
            Some(KissCode::Rate)
        );
    }

    #[test]
    fn negative_delay_is_clamped() {
        // The server says it held the request longer than our round trip.
        let q = Query::new(t(0, 0), 3);
        let r = exchange(&q, t(0, 1), t(0, 30));
        let out = q.process(&r, t(0, 10)).unwrap();
        assert_eq!(out.delay, NtpDuration::ZERO);
    }
}
