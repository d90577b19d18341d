//! A whole NTP packet of modes 0–5: header, NTPv4 extension fields and an
//! optional MAC, as the borrowed repr [`NtpPacket`] with `parse` / `emit`.
//! Mode 6 lives in `wire::control`; mode 7 is not decoded.

use super::extension::{ExtensionField, Extensions};
use super::header::{HEADER_LEN, HeaderRepr, Packet};
use super::mac::{Mac, split_trailer};
use super::{Error, Result};

/// A parsed NTP packet borrowing its extension fields and MAC from the
/// datagram. Build one (with [`ExtensionWriter`](super::ExtensionWriter) for
/// the fields) and `emit` it to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct NtpPacket<'a> {
    /// The 48-byte header.
    pub header: HeaderRepr,
    /// The extension field region (zero or more whole fields; NTPv4 only).
    pub extensions: &'a [u8],
    /// The MAC trailer, if any.
    pub mac: Option<Mac<'a>>,
}

impl<'a> NtpPacket<'a> {
    /// A packet with only a header.
    pub const fn new(header: HeaderRepr) -> NtpPacket<'a> {
        NtpPacket {
            header,
            extensions: &[],
            mac: None,
        }
    }

    /// Parses a datagram: header (version 1–4, mode 0–5), then extension
    /// fields and MAC per [`split_trailer`].
    pub fn parse(bytes: &'a [u8]) -> Result<NtpPacket<'a>> {
        let view = Packet::new_checked(bytes)?;
        let header = HeaderRepr::parse(&view)?;
        let trailer = bytes.get(HEADER_LEN..).unwrap_or(&[]);
        let (extensions, mac) = split_trailer(header.version, trailer)?;
        Ok(NtpPacket {
            header,
            extensions,
            mac,
        })
    }

    /// The extension fields (every item is `Ok` for a parsed packet).
    pub fn extensions(&self) -> Extensions<'a> {
        Extensions::new(self.extensions)
    }

    /// The first extension field of `field_type`, if present and well formed.
    pub fn extension(&self, field_type: u16) -> Option<ExtensionField<'a>> {
        self.extensions()
            .filter_map(|f| f.ok())
            .find(|f| f.field_type == field_type)
    }

    /// Bytes `emit` writes.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN
            .saturating_add(self.extensions.len())
            .saturating_add(self.mac.map_or(0, |m| m.buffer_len()))
    }

    /// The bytes a MAC covers: header and extension fields (RFC 5905 §7.3).
    /// `buf` is an emitted packet.
    pub fn mac_input<'b>(&self, buf: &'b [u8]) -> &'b [u8] {
        buf.get(..HEADER_LEN.saturating_add(self.extensions.len()))
            .unwrap_or(buf)
    }

    /// Writes the packet to the start of `buf`, returning its length. Fails
    /// if `buf` is too small, the header is invalid, extension fields appear
    /// in a v1–v3 packet or are malformed, or the layout would parse back
    /// differently (`AmbiguousTrailer`: e.g. a last extension field of 20 or
    /// 24 bytes with no MAC, or a SHA-256 MAC whose key id reads as a field
    /// header).
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        self.header.check()?;
        if self.header.version < 4 && !self.extensions.is_empty() {
            return Err(Error::ExtensionsNotAllowed);
        }
        Extensions::validate(self.extensions)?;
        let len = self.buffer_len();
        let out = buf.get_mut(..len).ok_or(Error::BufferTooSmall)?;
        let (head, trailer) = out.split_at_mut(HEADER_LEN);
        self.header.emit(&mut Packet::new_unchecked(head));
        let (ext_out, mac_out) = trailer.split_at_mut(self.extensions.len());
        ext_out.copy_from_slice(self.extensions);
        if let Some(mac) = &self.mac {
            mac.emit(mac_out)?;
        }
        // Read our own trailer back the way a receiver will.
        let (ext_back, mac_back) =
            split_trailer(self.header.version, trailer).map_err(|_| Error::AmbiguousTrailer)?;
        if ext_back.len() != self.extensions.len() || mac_back != self.mac {
            return Err(Error::AmbiguousTrailer);
        }
        Ok(len)
    }
}

impl core::fmt::Display for NtpPacket<'_> {
    /// The header, then `ext=N` and `mac=KEYID/LEN` when present.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}", self.header)?;
        let fields = self.extensions().count();
        if fields > 0 {
            write!(f, " ext={fields}")?;
        }
        if let Some(mac) = &self.mac {
            write!(f, " mac={}/{}", mac.key_id, mac.digest.len())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> std::vec::Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn md5_request_round_trip() {
        let bytes = hex(concat!(
            "e3000000000000000000000000000000000000000000000000000000000000000000",
            "000000000000eeac0035da7fb00000000001cca4e8e5546df3cc4259b3384276d336"
        ));
        let p = NtpPacket::parse(&bytes).unwrap();
        assert_eq!(p.mac.unwrap().key_id, 1);
        assert_eq!(p.mac.unwrap().digest.len(), 16);
        assert!(p.extensions.is_empty());
        let mut out = [0u8; 128];
        let n = p.emit(&mut out).unwrap();
        assert_eq!(&out[..n], &bytes[..]);
        assert_eq!(p.mac_input(&out[..n]).len(), 48);
        let text = std::format!("{p}");
        assert!(text.starts_with("NTPv4 client li=3 stratum=0"), "{text}");
        assert!(text.ends_with(" mac=1/16"), "{text}");
    }
}
