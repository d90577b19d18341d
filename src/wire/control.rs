//! Mode 6 control messages (RFC 9327, RFC 1305 appendix B), as ntpq speaks
//! them: the 12-byte header view [`ControlPacket`], the borrowed repr
//! [`ControlRepr`] (flags, opcode, sequence, status, association id,
//! offset, data, optional MAC) with `parse` / `emit`.
//!
//! Layout: data follows the header (`count` bytes), then padding to a
//! 4-byte boundary, or to an 8-byte boundary when a MAC follows (as ntpd
//! and ntpq pad authenticated messages), then the MAC. Padding is normally
//! zero, but ntpsec pads text responses with `\r\n`: non-zero padding is
//! kept in the repr so it re-emits byte for byte.
//! What the status word and data mean is `control`'s (the responder's) job.

use core::fmt;

use super::bytes::{read_u8, read_u16, write, write_u8, zero};
use super::header::{LeapIndicator, Mode, check_version};
use super::mac::Mac;
use super::{Error, Result};

/// Byte ranges of the control header.
mod field {
    use core::ops::Range;
    pub const LI_VN_MODE: usize = 0;
    pub const FLAGS_OPCODE: usize = 1;
    pub const SEQUENCE: Range<usize> = 2..4;
    pub const STATUS: Range<usize> = 4..6;
    pub const ASSOCIATION: Range<usize> = 6..8;
    pub const OFFSET: Range<usize> = 8..10;
    pub const COUNT: Range<usize> = 10..12;
}

/// Length of the control message header, in bytes.
pub const CONTROL_HEADER_LEN: usize = 12;

const RESPONSE: u8 = 0x80;
const ERROR: u8 = 0x40;
const MORE: u8 = 0x20;
const OPCODE_MASK: u8 = 0x1f;

/// The operation of a control message (5 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Opcode {
    /// 1: read status (system, or the association list).
    ReadStatus,
    /// 2: read variables.
    ReadVariables,
    /// 3: write variables.
    WriteVariables,
    /// 4: read clock variables.
    ReadClock,
    /// 5: write clock variables.
    WriteClock,
    /// 6: set trap address.
    SetTrap,
    /// 7: asynchronous message.
    AsyncMessage,
    /// 8: runtime configuration.
    Configure,
    /// 9: save configuration.
    SaveConfig,
    /// 10: read MRU list.
    ReadMru,
    /// 11: read ordered list.
    ReadOrderedList,
    /// 12: request nonce.
    RequestNonce,
    /// 31: unset trap.
    UnsetTrap,
    /// Any other 5-bit value (0, 13–30).
    Other(u8),
}

impl Opcode {
    /// From the 5-bit field (higher bits ignored).
    pub const fn from_bits(bits: u8) -> Opcode {
        match bits & OPCODE_MASK {
            1 => Opcode::ReadStatus,
            2 => Opcode::ReadVariables,
            3 => Opcode::WriteVariables,
            4 => Opcode::ReadClock,
            5 => Opcode::WriteClock,
            6 => Opcode::SetTrap,
            7 => Opcode::AsyncMessage,
            8 => Opcode::Configure,
            9 => Opcode::SaveConfig,
            10 => Opcode::ReadMru,
            11 => Opcode::ReadOrderedList,
            12 => Opcode::RequestNonce,
            31 => Opcode::UnsetTrap,
            other => Opcode::Other(other),
        }
    }

    /// The 5-bit field value.
    pub const fn to_bits(self) -> u8 {
        match self {
            Opcode::ReadStatus => 1,
            Opcode::ReadVariables => 2,
            Opcode::WriteVariables => 3,
            Opcode::ReadClock => 4,
            Opcode::WriteClock => 5,
            Opcode::SetTrap => 6,
            Opcode::AsyncMessage => 7,
            Opcode::Configure => 8,
            Opcode::SaveConfig => 9,
            Opcode::ReadMru => 10,
            Opcode::ReadOrderedList => 11,
            Opcode::RequestNonce => 12,
            Opcode::UnsetTrap => 31,
            Opcode::Other(b) => b & OPCODE_MASK,
        }
    }

    /// The name ntpq and Wireshark use ("READSTAT", "READVAR", ...).
    pub const fn name(self) -> &'static str {
        match self {
            Opcode::ReadStatus => "READSTAT",
            Opcode::ReadVariables => "READVAR",
            Opcode::WriteVariables => "WRITEVAR",
            Opcode::ReadClock => "READCLOCK",
            Opcode::WriteClock => "WRITECLOCK",
            Opcode::SetTrap => "SETTRAP",
            Opcode::AsyncMessage => "ASYNCMSG",
            Opcode::Configure => "CONFIGURE",
            Opcode::SaveConfig => "SAVECONFIG",
            Opcode::ReadMru => "READ_MRU",
            Opcode::ReadOrderedList => "READ_ORDLIST_A",
            Opcode::RequestNonce => "REQ_NONCE",
            Opcode::UnsetTrap => "UNSETTRAP",
            Opcode::Other(_) => "UNKNOWN",
        }
    }
}

impl fmt::Display for Opcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A zero-copy view of a mode 6 message.
#[derive(Debug, Clone, Copy)]
pub struct ControlPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> ControlPacket<T> {
    /// Wraps a buffer without checking it (getters read 0 past the end).
    pub const fn new_unchecked(buffer: T) -> ControlPacket<T> {
        ControlPacket { buffer }
    }

    /// Wraps a buffer holding at least the 12-byte header and `count` data bytes.
    pub fn new_checked(buffer: T) -> Result<ControlPacket<T>> {
        let p = ControlPacket::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// `Truncated` if shorter than the header, `BadCount` if the data runs past the end.
    pub fn check_len(&self) -> Result<()> {
        let len = self.buffer.as_ref().len();
        if len < CONTROL_HEADER_LEN {
            return Err(Error::Truncated);
        }
        if CONTROL_HEADER_LEN + usize::from(self.count()) > len {
            return Err(Error::BadCount(self.count()));
        }
        Ok(())
    }

    fn buf(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    /// Leap indicator bits (ntpq sets 3 in requests).
    pub fn leap(&self) -> LeapIndicator {
        LeapIndicator::from_bits(read_u8(self.buf(), field::LI_VN_MODE) >> 6)
    }

    /// Version number, unvalidated.
    pub fn version(&self) -> u8 {
        (read_u8(self.buf(), field::LI_VN_MODE) >> 3) & 7
    }

    /// Mode (6 for a control message).
    pub fn mode(&self) -> Mode {
        Mode::from_bits(read_u8(self.buf(), field::LI_VN_MODE))
    }

    /// R bit: this is a response.
    pub fn response(&self) -> bool {
        read_u8(self.buf(), field::FLAGS_OPCODE) & RESPONSE != 0
    }

    /// E bit: the response reports an error (code in the status high byte).
    pub fn error(&self) -> bool {
        read_u8(self.buf(), field::FLAGS_OPCODE) & ERROR != 0
    }

    /// M bit: more fragments follow.
    pub fn more(&self) -> bool {
        read_u8(self.buf(), field::FLAGS_OPCODE) & MORE != 0
    }

    /// The operation.
    pub fn opcode(&self) -> Opcode {
        Opcode::from_bits(read_u8(self.buf(), field::FLAGS_OPCODE))
    }

    /// Sequence number, echoed in responses.
    pub fn sequence(&self) -> u16 {
        read_u16(self.buf(), field::SEQUENCE)
    }

    /// Status word (system or peer status, or error code).
    pub fn status(&self) -> u16 {
        read_u16(self.buf(), field::STATUS)
    }

    /// Association id (0 = the system).
    pub fn association_id(&self) -> u16 {
        read_u16(self.buf(), field::ASSOCIATION)
    }

    /// Byte offset of this fragment's data in the whole response.
    pub fn offset(&self) -> u16 {
        read_u16(self.buf(), field::OFFSET)
    }

    /// Data bytes in this fragment.
    pub fn count(&self) -> u16 {
        read_u16(self.buf(), field::COUNT)
    }

    /// The data (`count` bytes after the header; as much as is present).
    pub fn data(&self) -> &[u8] {
        let end = (CONTROL_HEADER_LEN + usize::from(self.count())).min(self.buf().len());
        self.buf()
            .get(CONTROL_HEADER_LEN.min(end)..end)
            .unwrap_or(&[])
    }
}

/// A parsed mode 6 message borrowing its data and MAC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ControlRepr<'a> {
    /// Leap indicator bits as sent (ntpq sends 3, ntpd answers its own).
    pub leap: LeapIndicator,
    /// Version, 2–4 (v1 has no mode field, so cannot say "mode 6").
    pub version: u8,
    /// R bit: a response.
    pub response: bool,
    /// E bit: an error response.
    pub error: bool,
    /// M bit: more fragments follow.
    pub more: bool,
    /// The operation.
    pub opcode: Opcode,
    /// Sequence number.
    pub sequence: u16,
    /// Status word.
    pub status: u16,
    /// Association id (0 = system).
    pub association_id: u16,
    /// Offset of this fragment's data in the whole response, bytes.
    pub offset: u16,
    /// The data; its length is the count field (at most 65535).
    pub data: &'a [u8],
    /// The padding after the data as received if any byte of it is
    /// non-zero; empty means zero padding (what `emit` writes for empty).
    pub padding: &'a [u8],
    /// The MAC, if the message is authenticated.
    pub mac: Option<Mac<'a>>,
}

/// Rounds `n` up to a multiple of `to` (a power of two).
const fn align(n: usize, to: usize) -> usize {
    n.saturating_add(to - 1) & !(to - 1)
}

impl<'a> ControlRepr<'a> {
    /// Parses a whole mode 6 datagram.
    pub fn parse(bytes: &'a [u8]) -> Result<ControlRepr<'a>> {
        let view = ControlPacket::new_checked(bytes)?;
        let version = check_version(view.version())?;
        if view.mode() != Mode::Control || version == 1 {
            return Err(Error::BadMode(view.mode().to_bits()));
        }
        let data_end = CONTROL_HEADER_LEN + usize::from(view.count());
        let rest = bytes.get(data_end..).unwrap_or(&[]);
        let pad4 = align(data_end, 4) - data_end;
        let mac = if rest.len() == pad4 {
            None
        } else {
            let pad8 = align(data_end, 8) - data_end;
            let mac_bytes = rest.get(pad8..).ok_or(Error::BadTrailer(rest.len()))?;
            Some(Mac::parse(mac_bytes).map_err(|_| Error::BadTrailer(rest.len()))?)
        };
        let pad = if mac.is_some() {
            align(data_end, 8) - data_end
        } else {
            pad4
        };
        let padding = rest.get(..pad).ok_or(Error::BadTrailer(rest.len()))?;
        let padding = if padding.iter().all(|&b| b == 0) {
            &[]
        } else {
            padding
        };
        Ok(ControlRepr {
            leap: view.leap(),
            version,
            response: view.response(),
            error: view.error(),
            more: view.more(),
            opcode: view.opcode(),
            sequence: view.sequence(),
            status: view.status(),
            association_id: view.association_id(),
            offset: view.offset(),
            data: bytes.get(CONTROL_HEADER_LEN..data_end).unwrap_or(&[]),
            padding,
            mac,
        })
    }

    /// Where the MAC starts (= length of header, data and padding), bytes.
    pub fn mac_offset(&self) -> usize {
        let end = CONTROL_HEADER_LEN.saturating_add(self.data.len());
        align(end, if self.mac.is_some() { 8 } else { 4 })
    }

    /// Bytes `emit` writes.
    pub fn buffer_len(&self) -> usize {
        self.mac_offset()
            .saturating_add(self.mac.map_or(0, |m| m.buffer_len()))
    }

    /// Writes the message to the start of `buf`, returning its length.
    /// `BadPadding` if `padding` is neither empty nor exactly the padding length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        check_version(self.version)?;
        if self.version == 1 {
            return Err(Error::BadMode(Mode::Control.to_bits()));
        }
        let count = u16::try_from(self.data.len()).map_err(|_| Error::BadCount(u16::MAX))?;
        let len = self.buffer_len();
        let out = buf.get_mut(..len).ok_or(Error::BufferTooSmall)?;
        let first = (self.leap.to_bits() << 6) | (self.version << 3) | Mode::Control.to_bits();
        write_u8(out, field::LI_VN_MODE, first);
        let flags = (if self.response { RESPONSE } else { 0 })
            | (if self.error { ERROR } else { 0 })
            | (if self.more { MORE } else { 0 })
            | self.opcode.to_bits();
        write_u8(out, field::FLAGS_OPCODE, flags);
        write(out, field::SEQUENCE, &self.sequence.to_be_bytes());
        write(out, field::STATUS, &self.status.to_be_bytes());
        write(out, field::ASSOCIATION, &self.association_id.to_be_bytes());
        write(out, field::OFFSET, &self.offset.to_be_bytes());
        write(out, field::COUNT, &count.to_be_bytes());
        let data_end = CONTROL_HEADER_LEN + self.data.len();
        write(out, CONTROL_HEADER_LEN..data_end, self.data);
        let mac_at = self.mac_offset();
        match self.padding.len() {
            0 => zero(out, data_end..mac_at),
            n if n == mac_at - data_end => write(out, data_end..mac_at, self.padding),
            _ => return Err(Error::BadPadding),
        }
        if let Some(mac) = &self.mac {
            mac.emit(out.get_mut(mac_at..).unwrap_or(&mut []))?;
        }
        Ok(len)
    }
}

impl fmt::Display for ControlRepr<'_> {
    /// e.g. `mode6 v2 READSTAT resp seq=1 status=0x0514 assoc=0 offset=0 count=4`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "mode6 v{} {}", self.version, self.opcode)?;
        for (set, name) in [
            (self.response, " resp"),
            (self.error, " err"),
            (self.more, " more"),
        ] {
            if set {
                f.write_str(name)?;
            }
        }
        write!(
            f,
            " seq={} status={:#06x} assoc={} offset={} count={}",
            self.sequence,
            self.status,
            self.association_id,
            self.offset,
            self.data.len()
        )?;
        if let Some(mac) = &self.mac {
            write!(f, " mac={}/{}", mac.key_id, mac.digest.len())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readstat_request_and_reply() {
        let req = [0xd6, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0];
        let r = ControlRepr::parse(&req).unwrap();
        assert_eq!(
            (r.version, r.opcode, r.sequence),
            (2, Opcode::ReadStatus, 1)
        );
        assert_eq!(r.leap, LeapIndicator::Unsynchronized);
        assert!(!r.response);
        let mut out = [0u8; 64];
        let n = r.emit(&mut out).unwrap();
        assert_eq!(&out[..n], &req);

        let reply = [
            0x16, 0x81, 0, 1, 0x05, 0x14, 0, 0, 0, 0, 0, 4, 0x45, 0x67, 0x96, 0x1a,
        ];
        let r = ControlRepr::parse(&reply).unwrap();
        assert!(r.response);
        assert_eq!(r.status, 0x0514);
        assert_eq!(r.data, &[0x45, 0x67, 0x96, 0x1a]);
        assert_eq!(
            std::format!("{r}"),
            "mode6 v2 READSTAT resp seq=1 status=0x0514 assoc=0 offset=0 count=4"
        );
        let n = r.emit(&mut out).unwrap();
        assert_eq!(&out[..n], &reply);
    }

    #[test]
    fn padding_and_mac() {
        let r = ControlRepr {
            leap: LeapIndicator::NoWarning,
            version: 2,
            response: true,
            error: false,
            more: true,
            opcode: Opcode::ReadVariables,
            sequence: 7,
            status: 0x0618,
            association_id: 3,
            offset: 0,
            data: b"abcde",
            padding: &[],
            mac: Some(Mac {
                key_id: 1,
                digest: &[0xaa; 16],
            }),
        };
        let mut out = [0u8; 128];
        let n = r.emit(&mut out).unwrap();
        assert_eq!(n, 24 + 20);
        assert_eq!(ControlRepr::parse(&out[..n]), Ok(r));
        let plain = ControlRepr { mac: None, ..r };
        let n = plain.emit(&mut out).unwrap();
        assert_eq!(n, 20);
        assert_eq!(ControlRepr::parse(&out[..n]), Ok(plain));
        out[18] = b'\r';
        let odd = ControlRepr::parse(&out[..n]).unwrap();
        assert_eq!(odd.padding, &[0, b'\r', 0]);
        let mut again = [0u8; 64];
        assert_eq!(odd.emit(&mut again), Ok(n));
        assert_eq!(again[..n], out[..n]);
        let wrong = ControlRepr {
            padding: b"\r\n",
            ..plain
        };
        assert_eq!(wrong.emit(&mut again), Err(Error::BadPadding));
    }

    #[test]
    fn malformed() {
        let mut m = [0x16u8, 0x81, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9, 1, 2, 3, 4];
        assert_eq!(ControlRepr::parse(&m), Err(Error::BadCount(9)));
        m[11] = 0;
        m[0] = 0x14; // mode 4
        assert_eq!(ControlRepr::parse(&m[..12]), Err(Error::BadMode(4)));
        m[0] = 0x0e; // v1 mode 6
        assert_eq!(ControlRepr::parse(&m[..12]), Err(Error::BadMode(6)));
        m[0] = 0x2e; // v5
        assert_eq!(
            ControlRepr::parse(&m[..12]),
            Err(Error::UnsupportedVersion(5))
        );
        assert_eq!(ControlRepr::parse(&m[..11]), Err(Error::Truncated));
        m[0] = 0x16;
        assert_eq!(ControlRepr::parse(&m[..14]), Err(Error::BadTrailer(2)));
    }
}
