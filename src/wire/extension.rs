//! NTPv4 extension fields (RFC 7822): a borrowed iterator over the fields
//! after the header, the [`ExtensionField`] repr, and [`ExtensionWriter`]
//! that lays fields out in a caller's buffer.
//!
//! Wire form: field type (16 bits), length (16 bits, whole field in bytes,
//! header included), value, zero padding. The length is at least 16 and a
//! multiple of 4. Telling fields from a trailing MAC is `wire::packet`'s job.

use super::bytes::{read_u16, write, zero};
use super::{Error, Result};

/// Smallest legal extension field, in bytes (RFC 7822 §3).
pub const MIN_EXTENSION_LEN: usize = 16;
/// Smallest extension field that may end a packet without a MAC, in bytes (RFC 7822 §7.5).
pub const MIN_LAST_EXTENSION_LEN: usize = 28;
/// Extension field header (type + length), in bytes.
const FIELD_HEADER_LEN: usize = 4;

/// One extension field, borrowing its value from the packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ExtensionField<'a> {
    /// The field type (RFC 7822 / IANA "NTP Extension Field Types").
    pub field_type: u16,
    /// Everything after the 4-byte field header, padding included (so the
    /// length is a multiple of 4 and at least 12).
    pub body: &'a [u8],
}

impl<'a> ExtensionField<'a> {
    /// Parses the field at the start of `bytes`, returning it and the rest.
    pub fn parse(bytes: &'a [u8]) -> Result<(ExtensionField<'a>, &'a [u8])> {
        if bytes.len() < FIELD_HEADER_LEN {
            return Err(Error::Truncated);
        }
        let field_type = read_u16(bytes, 0..2);
        let length = read_u16(bytes, 2..4);
        let len = usize::from(length);
        if len < MIN_EXTENSION_LEN || len % 4 != 0 || len > bytes.len() {
            return Err(Error::BadExtensionLength(length));
        }
        let (field, rest) = bytes.split_at(len);
        let body = field.get(FIELD_HEADER_LEN..).unwrap_or(&[]);
        Ok((ExtensionField { field_type, body }, rest))
    }

    /// Bytes `emit` writes: 4 + body length.
    pub const fn buffer_len(&self) -> usize {
        FIELD_HEADER_LEN.saturating_add(self.body.len())
    }

    /// Writes the field at the start of `buf`, returning the bytes written.
    /// The body must already be padded: its length a multiple of 4, at least
    /// 12 and at most 65531 (else `BadExtensionLength`).
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        let len = self.buffer_len();
        let length = u16::try_from(len).map_err(|_| Error::BadExtensionLength(u16::MAX))?;
        if len < MIN_EXTENSION_LEN || len % 4 != 0 {
            return Err(Error::BadExtensionLength(length));
        }
        if buf.len() < len {
            return Err(Error::BufferTooSmall);
        }
        write(buf, 0..2, &self.field_type.to_be_bytes());
        write(buf, 2..4, &length.to_be_bytes());
        write(buf, FIELD_HEADER_LEN..len, self.body);
        Ok(len)
    }
}

/// Iterates over the extension fields in a byte region (borrowed, no
/// allocation). Yields `Err` once on a malformed field, then stops.
#[derive(Debug, Clone)]
pub struct Extensions<'a> {
    rest: &'a [u8],
}

impl<'a> Extensions<'a> {
    /// Iterates over `region`, which must hold only extension fields.
    pub const fn new(region: &'a [u8]) -> Extensions<'a> {
        Extensions { rest: region }
    }

    /// Checks every field of `region`: `Ok` with the number of fields.
    pub fn validate(region: &'a [u8]) -> Result<usize> {
        Extensions::new(region).try_fold(0usize, |n, f| f.map(|_| n.saturating_add(1)))
    }
}

impl<'a> Iterator for Extensions<'a> {
    type Item = Result<ExtensionField<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        match ExtensionField::parse(self.rest) {
            Ok((field, rest)) => {
                self.rest = rest;
                Some(Ok(field))
            }
            Err(e) => {
                self.rest = &[];
                Some(Err(e))
            }
        }
    }
}

/// Lays extension fields out one after another in a caller's buffer,
/// padding each value with zeros to a multiple of 4 and to the 16-byte minimum.
#[derive(Debug)]
pub struct ExtensionWriter<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl<'b> ExtensionWriter<'b> {
    /// Starts writing at the start of `buf`.
    pub fn new(buf: &'b mut [u8]) -> ExtensionWriter<'b> {
        ExtensionWriter { buf, len: 0 }
    }

    /// Appends a field of `field_type` carrying `value`, padded with zeros;
    /// `min_len` (bytes, e.g. [`MIN_LAST_EXTENSION_LEN`] for a last field
    /// with no MAC) raises the padded size. Nothing is written on error.
    pub fn push_padded(&mut self, field_type: u16, value: &[u8], min_len: usize) -> Result<()> {
        let unpadded = FIELD_HEADER_LEN.saturating_add(value.len());
        let len = unpadded
            .max(min_len)
            .max(MIN_EXTENSION_LEN)
            .saturating_add(3)
            & !3;
        let length = u16::try_from(len).map_err(|_| Error::BadExtensionLength(u16::MAX))?;
        let end = self.len.checked_add(len).ok_or(Error::BufferTooSmall)?;
        let field = self
            .buf
            .get_mut(self.len..end)
            .ok_or(Error::BufferTooSmall)?;
        write(field, 0..2, &field_type.to_be_bytes());
        write(field, 2..4, &length.to_be_bytes());
        write(field, FIELD_HEADER_LEN..unpadded, value);
        zero(field, unpadded..len);
        self.len = end;
        Ok(())
    }

    /// Appends a field with the RFC 7822 minimum size (16 bytes).
    pub fn push(&mut self, field_type: u16, value: &[u8]) -> Result<()> {
        self.push_padded(field_type, value, MIN_EXTENSION_LEN)
    }

    /// Bytes written so far.
    pub const fn len(&self) -> usize {
        self.len
    }

    /// True if nothing was written.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Ends writing; the written region, ready for `NtpPacket::extensions`.
    pub fn finish(self) -> &'b [u8] {
        let len = self.len;
        let buf: &'b [u8] = self.buf;
        buf.get(..len).unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_then_iterate() {
        let mut buf = [0xffu8; 64];
        let mut w = ExtensionWriter::new(&mut buf);
        w.push(0x0104, b"abc").unwrap();
        w.push_padded(0x0204, &[1; 13], MIN_LAST_EXTENSION_LEN)
            .unwrap();
        assert_eq!(w.len(), 16 + 28);
        let region = w.finish();
        let fields: std::vec::Vec<_> = Extensions::new(region).collect();
        assert_eq!(fields.len(), 2);
        let a = fields[0].unwrap();
        assert_eq!(a.field_type, 0x0104);
        assert_eq!(&a.body[..4], b"abc\0");
        assert_eq!(a.body.len(), 12);
        assert_eq!(fields[1].unwrap().body.len(), 24);
        assert_eq!(Extensions::validate(region), Ok(2));
    }

    #[test]
    fn bad_lengths() {
        let mut b = [0u8; 16];
        b[3] = 12;
        assert_eq!(
            ExtensionField::parse(&b).err(),
            Some(Error::BadExtensionLength(12))
        );
        b[3] = 18;
        assert_eq!(
            ExtensionField::parse(&b).err(),
            Some(Error::BadExtensionLength(18))
        );
        b[3] = 20;
        assert_eq!(
            ExtensionField::parse(&b).err(),
            Some(Error::BadExtensionLength(20))
        );
        assert_eq!(ExtensionField::parse(&b[..3]).err(), Some(Error::Truncated));
        let mut it = Extensions::new(&b);
        assert!(matches!(it.next(), Some(Err(_))));
        assert!(it.next().is_none());
        let mut small = [0u8; 15];
        assert_eq!(
            ExtensionWriter::new(&mut small).push(1, b""),
            Err(Error::BufferTooSmall)
        );
        let f = ExtensionField {
            field_type: 1,
            body: &[0; 10],
        };
        assert_eq!(f.emit(&mut [0u8; 32]), Err(Error::BadExtensionLength(14)));
    }
}
