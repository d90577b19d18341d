//! The 48-byte NTP header (RFC 5905 §7.3, RFC 1305 for v1–v3): the zero-copy
//! [`Packet`] view with getters and setters, the owned [`HeaderRepr`], and
//! the small enums of its first byte ([`LeapIndicator`], [`Mode`]).
//!
//! Version rules: 1–4 are accepted, 0 and 5–7 are [`Error::UnsupportedVersion`].
//! NTPv1 (RFC 1059) has no mode field: those three bits must be zero, and the
//! receiver infers the mode from the source port ([`Mode::infer_v1`]). Modes
//! 6 (control) and 7 (private) do not use this layout; see `wire::control`.

use core::fmt;

use super::bytes::{read_u8, read_u32, read_u64, write, write_u8};
use super::{Error, RefId, Result};
use crate::time::{NtpShort, NtpTimestamp, PollInterval};

/// Byte ranges of the header fields.
mod field {
    use core::ops::Range;
    pub const LI_VN_MODE: usize = 0;
    pub const STRATUM: usize = 1;
    pub const POLL: usize = 2;
    pub const PRECISION: usize = 3;
    pub const ROOT_DELAY: Range<usize> = 4..8;
    pub const ROOT_DISPERSION: Range<usize> = 8..12;
    pub const REF_ID: Range<usize> = 12..16;
    pub const REFERENCE: Range<usize> = 16..24;
    pub const ORIGIN: Range<usize> = 24..32;
    pub const RECEIVE: Range<usize> = 32..40;
    pub const TRANSMIT: Range<usize> = 40..48;
}

/// Length of the fixed NTP header, in bytes.
pub const HEADER_LEN: usize = 48;

/// The leap indicator: a warning of a leap second at the end of the current
/// UTC day, or "clock not synchronized".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum LeapIndicator {
    /// No leap second pending.
    #[default]
    NoWarning,
    /// The last minute of the day has 61 s.
    AddSecond,
    /// The last minute of the day has 59 s.
    DelSecond,
    /// Clock not synchronized (alarm).
    Unsynchronized,
}

impl LeapIndicator {
    /// From the 2-bit field value (higher bits ignored).
    pub const fn from_bits(bits: u8) -> LeapIndicator {
        match bits & 3 {
            0 => LeapIndicator::NoWarning,
            1 => LeapIndicator::AddSecond,
            2 => LeapIndicator::DelSecond,
            _ => LeapIndicator::Unsynchronized,
        }
    }

    /// The 2-bit field value.
    pub const fn to_bits(self) -> u8 {
        self as u8
    }
}

/// The association mode (RFC 5905 Figure 10). All eight values exist; which
/// are valid depends on the message type and version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Mode {
    /// 0: reserved (and the only value in NTPv1, which has no mode field).
    Reserved,
    /// 1: symmetric active.
    SymmetricActive,
    /// 2: symmetric passive.
    SymmetricPassive,
    /// 3: client.
    Client,
    /// 4: server.
    Server,
    /// 5: broadcast.
    Broadcast,
    /// 6: NTP control message (`wire::control`).
    Control,
    /// 7: reserved for private use (ntpdc).
    Private,
}

impl Mode {
    /// From the 3-bit field value (higher bits ignored).
    pub const fn from_bits(bits: u8) -> Mode {
        match bits & 7 {
            0 => Mode::Reserved,
            1 => Mode::SymmetricActive,
            2 => Mode::SymmetricPassive,
            3 => Mode::Client,
            4 => Mode::Server,
            5 => Mode::Broadcast,
            6 => Mode::Control,
            _ => Mode::Private,
        }
    }

    /// The 3-bit field value.
    pub const fn to_bits(self) -> u8 {
        self as u8
    }

    /// The mode of an NTPv1 packet, which has no mode field (RFC 1305
    /// §3.3): symmetric active if it came from port 123, else client.
    pub const fn infer_v1(source_port: u16) -> Mode {
        if source_port == 123 {
            Mode::SymmetricActive
        } else {
            Mode::Client
        }
    }

    /// Lower-case name as Wireshark and ntpq print it ("client", "server"...).
    pub const fn name(self) -> &'static str {
        match self {
            Mode::Reserved => "reserved",
            Mode::SymmetricActive => "symmetric active",
            Mode::SymmetricPassive => "symmetric passive",
            Mode::Client => "client",
            Mode::Server => "server",
            Mode::Broadcast => "broadcast",
            Mode::Control => "control",
            Mode::Private => "private",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Checks a version number: 1–4 pass, anything else is an error.
pub(crate) const fn check_version(version: u8) -> Result<u8> {
    match version {
        1..=4 => Ok(version),
        v => Err(Error::UnsupportedVersion(v)),
    }
}

/// Checks the mode against the 48-byte layout and the version: modes 6 and
/// 7 have their own layouts, and version 1 has no mode bits.
const fn check_mode(version: u8, mode: Mode) -> Result<()> {
    match (version, mode) {
        (_, Mode::Control | Mode::Private) => Err(Error::BadMode(mode.to_bits())),
        (1, m) if !matches!(m, Mode::Reserved) => Err(Error::BadMode(m.to_bits())),
        _ => Ok(()),
    }
}

/// A zero-copy view of a 48-byte NTP header at the start of a buffer.
#[derive(Debug, Clone, Copy)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps a buffer without checking its length (getters then read 0 for
    /// missing bytes and setters ignore them; nothing panics).
    pub const fn new_unchecked(buffer: T) -> Packet<T> {
        Packet { buffer }
    }

    /// Wraps a buffer of at least [`HEADER_LEN`] bytes.
    pub fn new_checked(buffer: T) -> Result<Packet<T>> {
        let packet = Packet::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// `Err(Truncated)` if the buffer is shorter than the header.
    pub fn check_len(&self) -> Result<()> {
        if self.buffer.as_ref().len() < HEADER_LEN {
            Err(Error::Truncated)
        } else {
            Ok(())
        }
    }

    /// The wrapped buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    fn buf(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    /// Leap indicator (bits 0–1).
    pub fn leap(&self) -> LeapIndicator {
        LeapIndicator::from_bits(read_u8(self.buf(), field::LI_VN_MODE) >> 6)
    }

    /// Version number (bits 2–4), unvalidated (0–7).
    pub fn version(&self) -> u8 {
        (read_u8(self.buf(), field::LI_VN_MODE) >> 3) & 7
    }

    /// Mode (bits 5–7).
    pub fn mode(&self) -> Mode {
        Mode::from_bits(read_u8(self.buf(), field::LI_VN_MODE))
    }

    /// Stratum (0 = unspecified / kiss-o'-death, 1 = primary, 2–15 secondary, 16 unsynchronized).
    pub fn stratum(&self) -> u8 {
        read_u8(self.buf(), field::STRATUM)
    }

    /// Poll interval, log2 s.
    pub fn poll(&self) -> PollInterval {
        PollInterval::from_log2(read_u8(self.buf(), field::POLL) as i8)
    }

    /// Clock precision, log2 s (e.g. −20 ≈ 1 µs).
    pub fn precision(&self) -> i8 {
        read_u8(self.buf(), field::PRECISION) as i8
    }

    /// Root delay, 16.16 s.
    pub fn root_delay(&self) -> NtpShort {
        NtpShort::from_bits(read_u32(self.buf(), field::ROOT_DELAY))
    }

    /// Root dispersion, 16.16 s.
    pub fn root_dispersion(&self) -> NtpShort {
        NtpShort::from_bits(read_u32(self.buf(), field::ROOT_DISPERSION))
    }

    /// Reference id (interpretation depends on the stratum).
    pub fn ref_id(&self) -> RefId {
        RefId::from_u32(read_u32(self.buf(), field::REF_ID))
    }

    /// Reference timestamp: when the server's clock was last set (32.32 s).
    pub fn reference_timestamp(&self) -> NtpTimestamp {
        NtpTimestamp::from_bits(read_u64(self.buf(), field::REFERENCE))
    }

    /// Origin timestamp: the request's transmit time, echoed (32.32 s).
    pub fn origin_timestamp(&self) -> NtpTimestamp {
        NtpTimestamp::from_bits(read_u64(self.buf(), field::ORIGIN))
    }

    /// Receive timestamp: when the request arrived at the server (32.32 s).
    pub fn receive_timestamp(&self) -> NtpTimestamp {
        NtpTimestamp::from_bits(read_u64(self.buf(), field::RECEIVE))
    }

    /// Transmit timestamp: when this packet left its sender (32.32 s).
    pub fn transmit_timestamp(&self) -> NtpTimestamp {
        NtpTimestamp::from_bits(read_u64(self.buf(), field::TRANSMIT))
    }

    /// The bytes after the header (extension fields and/or MAC).
    pub fn trailer(&self) -> &[u8] {
        self.buf().get(HEADER_LEN..).unwrap_or(&[])
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    fn buf_mut(&mut self) -> &mut [u8] {
        self.buffer.as_mut()
    }

    /// Sets leap indicator, version (low 3 bits) and mode in the first byte.
    pub fn set_leap_version_mode(&mut self, leap: LeapIndicator, version: u8, mode: Mode) {
        let byte = (leap.to_bits() << 6) | ((version & 7) << 3) | mode.to_bits();
        write_u8(self.buf_mut(), field::LI_VN_MODE, byte);
    }

    /// Sets the stratum.
    pub fn set_stratum(&mut self, stratum: u8) {
        write_u8(self.buf_mut(), field::STRATUM, stratum);
    }

    /// Sets the poll interval (log2 s).
    pub fn set_poll(&mut self, poll: PollInterval) {
        write_u8(self.buf_mut(), field::POLL, poll.log2() as u8);
    }

    /// Sets the precision (log2 s).
    pub fn set_precision(&mut self, precision: i8) {
        write_u8(self.buf_mut(), field::PRECISION, precision as u8);
    }

    /// Sets the root delay (16.16 s).
    pub fn set_root_delay(&mut self, value: NtpShort) {
        write(
            self.buf_mut(),
            field::ROOT_DELAY,
            &value.to_bits().to_be_bytes(),
        );
    }

    /// Sets the root dispersion (16.16 s).
    pub fn set_root_dispersion(&mut self, value: NtpShort) {
        write(
            self.buf_mut(),
            field::ROOT_DISPERSION,
            &value.to_bits().to_be_bytes(),
        );
    }

    /// Sets the reference id.
    pub fn set_ref_id(&mut self, id: RefId) {
        write(self.buf_mut(), field::REF_ID, &id.to_bytes());
    }

    /// Sets the reference timestamp (32.32 s).
    pub fn set_reference_timestamp(&mut self, ts: NtpTimestamp) {
        write(
            self.buf_mut(),
            field::REFERENCE,
            &ts.to_bits().to_be_bytes(),
        );
    }

    /// Sets the origin timestamp (32.32 s).
    pub fn set_origin_timestamp(&mut self, ts: NtpTimestamp) {
        write(self.buf_mut(), field::ORIGIN, &ts.to_bits().to_be_bytes());
    }

    /// Sets the receive timestamp (32.32 s).
    pub fn set_receive_timestamp(&mut self, ts: NtpTimestamp) {
        write(self.buf_mut(), field::RECEIVE, &ts.to_bits().to_be_bytes());
    }

    /// Sets the transmit timestamp (32.32 s). A driver may patch this just
    /// before sending, as late as possible.
    pub fn set_transmit_timestamp(&mut self, ts: NtpTimestamp) {
        write(self.buf_mut(), field::TRANSMIT, &ts.to_bits().to_be_bytes());
    }
}

/// The owned, validated contents of a 48-byte NTP header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct HeaderRepr {
    /// Leap warning / unsynchronized alarm.
    pub leap: LeapIndicator,
    /// Version number, 1–4.
    pub version: u8,
    /// Association mode, 0–5 (always `Reserved` for version 1).
    pub mode: Mode,
    /// Stratum (0 = kiss-o'-death / unspecified, 1 primary, 2–15, 16 unsynchronized).
    pub stratum: u8,
    /// Poll interval, log2 s.
    pub poll: PollInterval,
    /// Precision of the sender's clock, log2 s.
    pub precision: i8,
    /// Total round-trip delay to the reference clock, 16.16 s.
    pub root_delay: NtpShort,
    /// Total dispersion to the reference clock, 16.16 s.
    pub root_dispersion: NtpShort,
    /// Reference id (kiss code at stratum 0).
    pub ref_id: RefId,
    /// When the sender's clock was last set or corrected, 32.32 s.
    pub reference_timestamp: NtpTimestamp,
    /// Transmit time of the packet this answers, echoed, 32.32 s.
    pub origin_timestamp: NtpTimestamp,
    /// When the packet this answers arrived, 32.32 s.
    pub receive_timestamp: NtpTimestamp,
    /// When this packet left, 32.32 s.
    pub transmit_timestamp: NtpTimestamp,
}

impl HeaderRepr {
    /// Parses and validates a header view: version 1–4, mode 0–5, and no mode
    /// bits in version 1.
    pub fn parse<T: AsRef<[u8]>>(packet: &Packet<T>) -> Result<HeaderRepr> {
        packet.check_len()?;
        let version = check_version(packet.version())?;
        let mode = packet.mode();
        check_mode(version, mode)?;
        Ok(HeaderRepr {
            leap: packet.leap(),
            version,
            mode,
            stratum: packet.stratum(),
            poll: packet.poll(),
            precision: packet.precision(),
            root_delay: packet.root_delay(),
            root_dispersion: packet.root_dispersion(),
            ref_id: packet.ref_id(),
            reference_timestamp: packet.reference_timestamp(),
            origin_timestamp: packet.origin_timestamp(),
            receive_timestamp: packet.receive_timestamp(),
            transmit_timestamp: packet.transmit_timestamp(),
        })
    }

    /// Bytes `emit` writes: always [`HEADER_LEN`].
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes every field into the view (the caller sized it; a short buffer
    /// is written only as far as it goes, without panicking).
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Packet<T>) {
        packet.set_leap_version_mode(self.leap, self.version, self.mode);
        packet.set_stratum(self.stratum);
        packet.set_poll(self.poll);
        packet.set_precision(self.precision);
        packet.set_root_delay(self.root_delay);
        packet.set_root_dispersion(self.root_dispersion);
        packet.set_ref_id(self.ref_id);
        packet.set_reference_timestamp(self.reference_timestamp);
        packet.set_origin_timestamp(self.origin_timestamp);
        packet.set_receive_timestamp(self.receive_timestamp);
        packet.set_transmit_timestamp(self.transmit_timestamp);
    }

    /// Checks that this repr would parse back to itself: version 1–4, mode
    /// 0–5, and mode 0 in version 1.
    pub fn check(&self) -> Result<()> {
        check_mode(check_version(self.version)?, self.mode)
    }

    /// The kiss code, if this is a kiss-o'-death packet (stratum 0 with a
    /// known code in the reference id).
    pub fn kiss_code(&self) -> Option<super::KissCode> {
        if self.stratum == 0 {
            self.ref_id.kiss_code()
        } else {
            None
        }
    }
}

impl fmt::Display for HeaderRepr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "NTPv{} {} li={} stratum={} poll={} precision={} refid={} xmt={}",
            self.version,
            self.mode,
            self.leap.to_bits(),
            self.stratum,
            self.poll,
            self.precision,
            self.ref_id.display(self.stratum),
            self.transmit_timestamp
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVER: [u8; 48] = [
        0x24, 0x01, 0x00, 0xe6, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 0x7f, 0x01, 0x01, 0xee, 0xac, 0x00,
        0x2d, 0x6b, 0xe5, 0x30, 0x79, 0xee, 0xac, 0x00, 0x35, 0xda, 0x7f, 0xb0, 0x00, 0xee, 0xac,
        0x00, 0x35, 0xda, 0x8c, 0x5e, 0x99, 0xee, 0xac, 0x00, 0x35, 0xdb, 0x7b, 0x13, 0x26,
    ];

    #[test]
    fn parse_emit_server_reply() {
        let repr = HeaderRepr::parse(&Packet::new_checked(&SERVER[..]).unwrap()).unwrap();
        assert_eq!(repr.version, 4);
        assert_eq!(repr.mode, Mode::Server);
        assert_eq!(repr.stratum, 1);
        assert_eq!(repr.precision, -26);
        assert_eq!(repr.transmit_timestamp.seconds(), 4_004_249_653);
        let mut out = [0u8; 48];
        repr.emit(&mut Packet::new_unchecked(&mut out[..]));
        assert_eq!(out, SERVER);
        assert_eq!(repr.check(), Ok(()));
    }

    #[test]
    fn version_and_mode_rules() {
        let mut b = SERVER;
        for v in [0u8, 5, 6, 7] {
            b[0] = (v << 3) | 4;
            assert_eq!(
                HeaderRepr::parse(&Packet::new_unchecked(&b[..])),
                Err(Error::UnsupportedVersion(v))
            );
        }
        b[0] = (1 << 3) | 3; // v1 with a mode
        assert_eq!(
            HeaderRepr::parse(&Packet::new_unchecked(&b[..])),
            Err(Error::BadMode(3))
        );
        b[0] = 1 << 3; // v1, no mode
        assert_eq!(
            HeaderRepr::parse(&Packet::new_unchecked(&b[..]))
                .unwrap()
                .mode,
            Mode::Reserved
        );
        b[0] = (4 << 3) | 6;
        assert_eq!(
            HeaderRepr::parse(&Packet::new_unchecked(&b[..])),
            Err(Error::BadMode(6))
        );
        assert_eq!(Packet::new_checked(&b[..47]).err(), Some(Error::Truncated));
        assert_eq!(Mode::infer_v1(123), Mode::SymmetricActive);
        assert_eq!(Mode::infer_v1(40000), Mode::Client);
    }

    #[test]
    fn unchecked_short_view_never_panics() {
        let p = Packet::new_unchecked(&[0x23u8][..]);
        assert_eq!(p.transmit_timestamp(), NtpTimestamp::ZERO);
        let mut small = [0u8; 3];
        let mut p = Packet::new_unchecked(&mut small[..]);
        p.set_transmit_timestamp(NtpTimestamp::from_bits(7));
        p.set_stratum(2);
        assert_eq!(small, [0, 2, 0]);
    }
}
