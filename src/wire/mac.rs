//! The legacy MAC trailer (RFC 5905 §7.3, RFC 1305 appendix C): a 32-bit key
//! id followed by a digest, and the 4-byte crypto-NAK (key id alone). Also
//! the RFC 7822 §7.5 rule that splits what follows the header into extension
//! fields and a MAC ([`split_trailer`]).
//!
//! Accepted digest lengths: 16 (MD5, AES-128-CMAC), 20 (SHA-1; the "24-byte
//! form" of the whole trailer) and 32 (SHA-256, as ntpsec's ntpdig sends).

use super::bytes::{read_u16, read_u32, write};
use super::extension::MIN_EXTENSION_LEN;
use super::{Error, Result};

/// Key id length, in bytes.
pub const KEY_ID_LEN: usize = 4;
/// Digest lengths a MAC may carry, in bytes.
pub const DIGEST_LENS: [usize; 3] = [16, 20, 32];
/// Trailer lengths that are always a MAC in NTPv4 (crypto-NAK, MD5/CMAC, SHA-1), bytes.
const ALWAYS_MAC_LENS: [usize; 3] = [4, 20, 24];

/// A MAC trailer borrowing its digest from the packet. An empty digest is a
/// crypto-NAK (the server could not authenticate the request).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Mac<'a> {
    /// The key id (RFC 5905 keys are 32 bits; 0 in a crypto-NAK).
    pub key_id: u32,
    /// The digest: 0 (crypto-NAK), 16, 20 or 32 bytes.
    pub digest: &'a [u8],
}

impl<'a> Mac<'a> {
    /// True if `len` (whole trailer, bytes) is a MAC length: 4 + 0/16/20/32.
    pub fn is_valid_len(len: usize) -> bool {
        len == KEY_ID_LEN || DIGEST_LENS.iter().any(|d| KEY_ID_LEN + d == len)
    }

    /// Parses `bytes` as exactly one MAC.
    pub fn parse(bytes: &'a [u8]) -> Result<Mac<'a>> {
        if bytes.len() < KEY_ID_LEN {
            return Err(Error::Truncated);
        }
        if !Mac::is_valid_len(bytes.len()) {
            return Err(Error::BadMacLength(bytes.len() - KEY_ID_LEN));
        }
        Ok(Mac {
            key_id: read_u32(bytes, 0..KEY_ID_LEN),
            digest: bytes.get(KEY_ID_LEN..).unwrap_or(&[]),
        })
    }

    /// True for the 4-byte crypto-NAK.
    pub const fn is_crypto_nak(&self) -> bool {
        self.digest.is_empty()
    }

    /// Bytes `emit` writes: 4 + digest length.
    pub const fn buffer_len(&self) -> usize {
        KEY_ID_LEN.saturating_add(self.digest.len())
    }

    /// Writes the MAC at the start of `buf`; returns the bytes written.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        let len = self.buffer_len();
        if !Mac::is_valid_len(len) {
            return Err(Error::BadMacLength(self.digest.len()));
        }
        if buf.len() < len {
            return Err(Error::BufferTooSmall);
        }
        write(buf, 0..KEY_ID_LEN, &self.key_id.to_be_bytes());
        write(buf, KEY_ID_LEN..len, self.digest);
        Ok(len)
    }
}

/// Splits the bytes after a 48-byte header into (extension field region, MAC).
///
/// Versions 1–3 have no extension fields: the trailer is empty or one MAC.
/// For version 4, walking from the front, with `rem` bytes left:
/// 0 → done; 4, 20 or 24 → a MAC (RFC 7822 §7.5: no extension field can
/// end there); a valid extension field header → skip the field; otherwise a
/// MAC if `rem` is a MAC length (36: SHA-256), else an error.
pub fn split_trailer(version: u8, trailer: &[u8]) -> Result<(&[u8], Option<Mac<'_>>)> {
    if version < 4 {
        if trailer.is_empty() {
            return Ok((trailer, None));
        }
        return match Mac::parse(trailer) {
            Ok(mac) => Ok((&[], Some(mac))),
            Err(_) if is_extension_at(trailer) => Err(Error::ExtensionsNotAllowed),
            Err(_) => Err(Error::BadTrailer(trailer.len())),
        };
    }
    let mut offset = 0usize;
    loop {
        let rest = trailer.get(offset..).unwrap_or(&[]);
        let (fields, _) = trailer.split_at(offset.min(trailer.len()));
        let rem = rest.len();
        if rem == 0 {
            return Ok((fields, None));
        }
        if ALWAYS_MAC_LENS.contains(&rem) {
            return Ok((fields, Some(Mac::parse(rest)?)));
        }
        if is_extension_at(rest) {
            offset = offset.saturating_add(usize::from(read_u16(rest, 2..4)));
            continue;
        }
        if Mac::is_valid_len(rem) {
            return Ok((fields, Some(Mac::parse(rest)?)));
        }
        return Err(if rem < MIN_EXTENSION_LEN {
            Error::BadTrailer(rem)
        } else {
            Error::BadExtensionLength(read_u16(rest, 2..4))
        });
    }
}

/// True if `bytes` starts with a well-formed extension field header whose
/// field fits in `bytes`.
fn is_extension_at(bytes: &[u8]) -> bool {
    let len = usize::from(read_u16(bytes, 2..4));
    bytes.len() >= MIN_EXTENSION_LEN
        && len >= MIN_EXTENSION_LEN
        && len % 4 == 0
        && len <= bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mac_forms() {
        let mut b = [0u8; 36];
        b[3] = 4;
        let m = Mac::parse(&b).unwrap();
        assert_eq!((m.key_id, m.digest.len()), (4, 32));
        assert_eq!(Mac::parse(&b[..20]).unwrap().digest.len(), 16);
        assert_eq!(Mac::parse(&b[..24]).unwrap().digest.len(), 20);
        assert!(Mac::parse(&b[..4]).unwrap().is_crypto_nak());
        assert_eq!(Mac::parse(&b[..12]), Err(Error::BadMacLength(8)));
        assert_eq!(Mac::parse(&b[..3]), Err(Error::Truncated));
        let bad = Mac {
            key_id: 1,
            digest: &[0; 7],
        };
        assert_eq!(bad.emit(&mut [0; 64]), Err(Error::BadMacLength(7)));
    }

    #[test]
    fn split_rules() {
        // A 16-byte extension field then a 20-byte MAC.
        let mut t = [0u8; 36];
        t[3] = 16;
        t[19] = 9;
        let (ef, mac) = split_trailer(4, &t).unwrap();
        assert_eq!(ef.len(), 16);
        assert_eq!(mac.unwrap().key_id, 9);
        // Same bytes in v3: extension fields are not allowed, but 36 bytes
        // also form a SHA-256 MAC, which v3 accepts.
        assert_eq!(split_trailer(3, &t).unwrap().1.unwrap().digest.len(), 32);
        // A lone 28-byte extension field.
        let mut t = [0u8; 28];
        t[3] = 28;
        assert_eq!(split_trailer(4, &t).unwrap(), (&t[..], None));
        assert_eq!(split_trailer(3, &t), Err(Error::ExtensionsNotAllowed));
        // 20 bytes are a MAC even if they look like an extension field.
        let mut t = [0u8; 20];
        t[3] = 20;
        assert_eq!(split_trailer(4, &t).unwrap().1.unwrap().key_id, 20);
        // Garbage lengths.
        assert_eq!(split_trailer(4, &[0; 8]), Err(Error::BadTrailer(8)));
        assert_eq!(
            split_trailer(4, &[0; 30]),
            Err(Error::BadExtensionLength(0))
        );
        assert_eq!(split_trailer(2, &[0; 8]), Err(Error::BadTrailer(8)));
    }
}
