//! One symmetric key: id, algorithm and secret material, and the MACs it makes.

use core::fmt;

use crate::hash::md5::Md5;
#[cfg(feature = "sha1")]
use crate::hash::sha1::Sha1;

use super::{Algorithm, KeyError, KeyId, ct_eq};

/// Longest key material a [`Key`] holds, in bytes (40 hex digits of SHA1 keys and
/// the 20-character ASCII keys of ntpd both fit).
pub const MAX_KEY_LEN: usize = 32;

/// Longest digest any [`Algorithm`] produces, in bytes (SHA1).
pub const MAX_DIGEST_LEN: usize = 20;

/// Longest MAC trailer sundial emits or accepts, in bytes (4-byte key id + digest).
pub const MAX_MAC_LEN: usize = 4 + MAX_DIGEST_LEN;

/// A symmetric key: its id, algorithm and secret bytes (in a fixed buffer).
///
/// `Debug` never prints the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Key {
    id: KeyId,
    algorithm: Algorithm,
    material: [u8; MAX_KEY_LEN],
    len: u8,
}

impl Key {
    /// Makes a key from raw secret bytes (already decoded from ASCII or hex by the
    /// keys-file parser).
    ///
    /// Fails if the algorithm is not built in ([`Algorithm::is_built`]), the
    /// material is empty, longer than [`MAX_KEY_LEN`], or not exactly 16
    /// bytes for [`Algorithm::Aes128Cmac`].
    pub fn new(id: KeyId, algorithm: Algorithm, material: &[u8]) -> Result<Self, KeyError> {
        if !algorithm.is_built() {
            return Err(KeyError::NotBuilt(algorithm));
        }
        if material.is_empty() {
            return Err(KeyError::Empty);
        }
        if algorithm == Algorithm::Aes128Cmac && material.len() != 16 {
            return Err(KeyError::WrongLengthForAes128);
        }
        let len = u8::try_from(material.len()).map_err(|_| KeyError::TooLong)?;
        let mut buf = [0u8; MAX_KEY_LEN];
        buf.get_mut(..material.len())
            .ok_or(KeyError::TooLong)?
            .copy_from_slice(material);
        Ok(Key {
            id,
            algorithm,
            material: buf,
            len,
        })
    }

    /// This key's id.
    pub const fn id(&self) -> KeyId {
        self.id
    }

    /// This key's MAC algorithm.
    pub const fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Length of this key's MAC trailer on the wire, in bytes (key id + digest).
    pub const fn mac_len(&self) -> usize {
        self.algorithm.mac_len()
    }

    fn secret(&self) -> &[u8] {
        self.material
            .get(..usize::from(self.len))
            .unwrap_or(&self.material)
    }

    /// Computes the digest of `data` (the packet bytes that precede the MAC) into
    /// `out` and returns the digest's length in bytes
    /// ([`Algorithm::digest_len`]).
    pub fn digest(&self, data: &[u8], out: &mut [u8; MAX_DIGEST_LEN]) -> usize {
        let n = self.algorithm.digest_len();
        match self.algorithm {
            Algorithm::Md5 => copy_prefix(out, &Md5::digest(&[self.secret(), data])),
            #[cfg(feature = "sha1")]
            Algorithm::Sha1 => copy_prefix(out, &Sha1::digest(&[self.secret(), data])),
            #[cfg(feature = "cmac")]
            Algorithm::Aes128Cmac => {
                // `new` guarantees 16 bytes, so this cannot fail; fall back to an
                // all-zero digest (which then never verifies) rather than panic.
                match <&[u8; 16]>::try_from(self.secret()) {
                    Ok(k) => copy_prefix(out, &super::cmac::aes128_cmac(k, data)),
                    Err(_) => *out = [0; MAX_DIGEST_LEN],
                }
            }
            // `new` refuses keys of algorithms not built in, so there are none;
            // were there one, its all-zero digest would not verify (`verify`
            // checks `is_built` first).
            #[cfg(not(all(feature = "sha1", feature = "cmac")))]
            _ => *out = [0; MAX_DIGEST_LEN],
        }
        n
    }

    /// Checks `digest` against the digest of `data`, in constant time.
    pub fn verify(&self, data: &[u8], digest: &[u8]) -> bool {
        if !self.algorithm.is_built() {
            return false;
        }
        let mut buf = [0u8; MAX_DIGEST_LEN];
        let n = self.digest(data, &mut buf);
        ct_eq(buf.get(..n).unwrap_or(&buf), digest)
    }

    /// Appends this key's MAC trailer (key id, then digest of `buf[..data_len]`)
    /// at `buf[data_len..]` and returns the total packet length in bytes.
    ///
    /// Returns `None` if `buf` is too short for `data_len` plus the trailer.
    pub fn sign(&self, buf: &mut [u8], data_len: usize) -> Option<usize> {
        let total = data_len.checked_add(self.mac_len())?;
        let (data, rest) = buf.get_mut(..total)?.split_at_mut(data_len);
        let mut digest = [0u8; MAX_DIGEST_LEN];
        let n = self.digest(data, &mut digest);
        let (id, dig) = rest.split_at_mut_checked(4)?;
        for (d, s) in id.iter_mut().zip(self.id.to_be_bytes()) {
            *d = s;
        }
        for (d, s) in dig.iter_mut().zip(digest.get(..n)?) {
            *d = *s;
        }
        Some(total)
    }
}

fn copy_prefix(out: &mut [u8; MAX_DIGEST_LEN], src: &[u8]) {
    for (o, s) in out.iter_mut().zip(src) {
        *o = *s;
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("id", &self.id)
            .field("algorithm", &self.algorithm)
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Key {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "Key {{ id: {}, algorithm: {} }}",
            self.id,
            self.algorithm
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_material() {
        assert_eq!(
            Key::new(KeyId(1), Algorithm::Md5, b""),
            Err(KeyError::Empty)
        );
        assert_eq!(
            Key::new(KeyId(1), Algorithm::Md5, &[1; MAX_KEY_LEN + 1]),
            Err(KeyError::TooLong)
        );
        #[cfg(feature = "cmac")]
        assert_eq!(
            Key::new(KeyId(1), Algorithm::Aes128Cmac, &[1; 15]),
            Err(KeyError::WrongLengthForAes128)
        );
        assert!(Key::new(KeyId(1), Algorithm::Md5, &[1; MAX_KEY_LEN]).is_ok());
    }

    #[test]
    fn algorithms_not_built_are_refused() {
        for (alg, built) in [
            (Algorithm::Sha1, cfg!(feature = "sha1")),
            (Algorithm::Aes128Cmac, cfg!(feature = "cmac")),
        ] {
            assert_eq!(alg.is_built(), built);
            let made = Key::new(KeyId(1), alg, &[1; 16]);
            if built {
                assert!(made.is_ok());
            } else {
                assert_eq!(made, Err(KeyError::NotBuilt(alg)));
                let text = std::format!("{}", KeyError::NotBuilt(alg));
                assert!(text.contains(alg.feature().unwrap()), "{text}");
            }
        }
    }

    #[test]
    fn md5_is_digest_of_key_then_data() {
        // MD5("secret" ‖ "abc") computed independently (the md-5 crate).
        let k = Key::new(KeyId(1), Algorithm::Md5, b"secret").unwrap();
        let mut out = [0; MAX_DIGEST_LEN];
        let n = k.digest(b"abc", &mut out);
        let want = <::md5::Md5 as ::md5::Digest>::digest(b"secretabc");
        assert_eq!(&out[..n], want.as_slice());
    }

    #[test]
    #[cfg(feature = "cmac")]
    fn aes_cmac_rfc4493_example() {
        // RFC 4493 §4, example 2: 16-byte message.
        let key = [
            0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf,
            0x4f, 0x3c,
        ];
        let msg = [
            0x6b, 0xc1, 0xbe, 0xe2, 0x2e, 0x40, 0x9f, 0x96, 0xe9, 0x3d, 0x7e, 0x11, 0x73, 0x93,
            0x17, 0x2a,
        ];
        let tag = [
            0x07, 0x0a, 0x16, 0xb4, 0x6b, 0x4d, 0x41, 0x44, 0xf7, 0x9b, 0xdd, 0x9d, 0xd0, 0x4a,
            0x28, 0x7c,
        ];
        let k = Key::new(KeyId(3), Algorithm::Aes128Cmac, &key).unwrap();
        assert!(k.verify(&msg, &tag));
    }

    #[test]
    #[cfg(feature = "sha1")]
    fn sign_then_verify() {
        let k = Key::new(KeyId(7), Algorithm::Sha1, b"0123456789").unwrap();
        let mut buf = [0u8; 48 + 24];
        buf[..48].fill(0xa5);
        assert_eq!(k.sign(&mut buf, 48), Some(72));
        assert_eq!(&buf[48..52], &[0, 0, 0, 7]);
        assert!(k.verify(&buf[..48], &buf[52..72]));
        assert_eq!(k.sign(&mut buf[..71], 48), None);
    }

    #[test]
    fn debug_hides_secret() {
        let k = Key::new(KeyId(1), Algorithm::Md5, b"hunter2").unwrap();
        let s = std::format!("{k:?}");
        assert!(!s.contains("hunter2") && !s.contains("104"));
    }
}
