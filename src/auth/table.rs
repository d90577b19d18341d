//! A fixed-capacity table of keys with `trustedkey` flags, and packet verification.

use core::fmt;

use super::{AuthError, Key, KeyId, MAX_DIGEST_LEN};

/// The key table is full: no room for another key id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TableFullError;

impl fmt::Display for TableFullError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("key table full")
    }
}

#[cfg(feature = "std")]
impl std::error::Error for TableFullError {}

#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
struct Entry {
    key: Key,
    trusted: bool,
}

/// Up to `N` symmetric keys, each with a trusted flag (ntpd's `trustedkey`).
///
/// Only trusted keys authenticate packets. Lookup is a linear scan (N is small).
#[derive(Debug, Clone)]
pub struct KeyTable<const N: usize> {
    entries: [Option<Entry>; N],
}

impl<const N: usize> Default for KeyTable<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> KeyTable<N> {
    /// An empty table.
    pub const fn new() -> Self {
        KeyTable {
            entries: [const { None }; N],
        }
    }

    /// Adds `key`, or replaces the key with the same id, with the given trusted flag.
    pub fn insert(&mut self, key: Key, trusted: bool) -> Result<(), TableFullError> {
        let id = key.id();
        let slot = match self.position(id) {
            Some(i) => self.entries.get_mut(i),
            None => self.entries.iter_mut().find(|e| e.is_none()),
        };
        match slot {
            Some(slot) => {
                *slot = Some(Entry { key, trusted });
                Ok(())
            }
            None => Err(TableFullError),
        }
    }

    /// Removes the key with this id; returns it if it was there.
    pub fn remove(&mut self, id: KeyId) -> Option<Key> {
        let i = self.position(id)?;
        self.entries.get_mut(i)?.take().map(|e| e.key)
    }

    /// Sets the trusted flag of key `id`; returns `false` if there is no such key.
    pub fn set_trusted(&mut self, id: KeyId, trusted: bool) -> bool {
        match self.entry_mut(id) {
            Some(e) => {
                e.trusted = trusted;
                true
            }
            None => false,
        }
    }

    /// The key with this id, trusted or not.
    pub fn get(&self, id: KeyId) -> Option<&Key> {
        self.entry(id).map(|e| &e.key)
    }

    /// The key with this id if it is trusted (the only keys that may sign or verify).
    // Out of line on 32-bit targets: a table scan, used in three places.
    #[cfg_attr(target_pointer_width = "32", inline(never))]
    pub fn trusted(&self, id: KeyId) -> Option<&Key> {
        self.entry(id).filter(|e| e.trusted).map(|e| &e.key)
    }

    /// Whether key `id` exists and is trusted.
    pub fn is_trusted(&self, id: KeyId) -> bool {
        self.trusted(id).is_some()
    }

    /// Number of keys in the table.
    pub fn len(&self) -> usize {
        self.entries.iter().flatten().count()
    }

    /// Whether the table holds no keys.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// All keys with their trusted flags, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = (&Key, bool)> {
        self.entries.iter().flatten().map(|e| (&e.key, e.trusted))
    }

    /// Verifies a MAC: `data` is the packet bytes before the MAC, `key_id` and
    /// `digest` come from the trailer.
    ///
    /// Succeeds with the key id only for a trusted key, a digest of the right
    /// length, and a matching digest (compared in constant time).
    pub fn verify(&self, data: &[u8], key_id: KeyId, digest: &[u8]) -> Result<KeyId, AuthError> {
        let entry = self.entry(key_id).ok_or(AuthError::UnknownKey(key_id))?;
        if !entry.trusted {
            return Err(AuthError::UntrustedKey(key_id));
        }
        if digest.len() != entry.key.algorithm().digest_len() || digest.len() > MAX_DIGEST_LEN {
            return Err(AuthError::BadLength(key_id));
        }
        if entry.key.verify(data, digest) {
            Ok(key_id)
        } else {
            Err(AuthError::BadMac(key_id))
        }
    }

    /// Verifies a raw MAC trailer (`key id ‖ digest`, as it follows the packet
    /// data) against `data`.
    ///
    /// A 4-byte trailer (key id alone) is a crypto-NAK and is reported as
    /// [`AuthError::CryptoNak`]; shorter trailers are [`AuthError::Missing`].
    pub fn verify_trailer(&self, data: &[u8], trailer: &[u8]) -> Result<KeyId, AuthError> {
        match trailer {
            [] | [_] | [_, _] | [_, _, _] => Err(AuthError::Missing),
            [_, _, _, _] => Err(AuthError::CryptoNak),
            [a, b, c, d, digest @ ..] => {
                self.verify(data, KeyId::from_be_bytes([*a, *b, *c, *d]), digest)
            }
        }
    }

    fn position(&self, id: KeyId) -> Option<usize> {
        self.entries
            .iter()
            .position(|e| e.as_ref().is_some_and(|e| e.key.id() == id))
    }

    fn entry(&self, id: KeyId) -> Option<&Entry> {
        self.entries.iter().flatten().find(|e| e.key.id() == id)
    }

    fn entry_mut(&mut self, id: KeyId) -> Option<&mut Entry> {
        self.entries.iter_mut().flatten().find(|e| e.key.id() == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Algorithm;

    fn table() -> KeyTable<2> {
        let mut t = KeyTable::new();
        t.insert(Key::new(KeyId(1), Algorithm::Md5, b"secret").unwrap(), true)
            .unwrap();
        t.insert(Key::new(KeyId(2), Algorithm::Md5, b"other").unwrap(), false)
            .unwrap();
        t
    }

    #[test]
    fn capacity_and_replace() {
        let mut t = table();
        assert_eq!(t.len(), 2);
        let k3 = Key::new(KeyId(3), Algorithm::Md5, b"x").unwrap();
        assert_eq!(t.insert(k3, true), Err(TableFullError));
        // Replacing an existing id needs no new slot.
        let k1 = Key::new(KeyId(1), Algorithm::Md5, b"new").unwrap();
        assert_eq!(t.insert(k1.clone(), false), Ok(()));
        assert_eq!(t.get(KeyId(1)), Some(&k1));
        assert!(!t.is_trusted(KeyId(1)));
        assert!(t.set_trusted(KeyId(1), true));
        assert!(!t.set_trusted(KeyId(9), true));
        assert!(t.remove(KeyId(2)).is_some());
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn verify_outcomes() {
        let t = table();
        let k1 = t.get(KeyId(1)).unwrap().clone();
        let mut pkt = [0x11u8; 48 + 20];
        let n = k1.sign(&mut pkt, 48).unwrap();
        assert_eq!(t.verify_trailer(&pkt[..48], &pkt[48..n]), Ok(KeyId(1)));
        // Flip one bit in the data.
        let mut bad = pkt;
        bad[5] ^= 1;
        assert_eq!(
            t.verify_trailer(&bad[..48], &bad[48..n]),
            Err(AuthError::BadMac(KeyId(1)))
        );
        // Flip one bit in the digest.
        let mut bad = pkt;
        bad[60] ^= 0x80;
        assert_eq!(
            t.verify_trailer(&bad[..48], &bad[48..n]),
            Err(AuthError::BadMac(KeyId(1)))
        );
        // Truncated digest.
        assert_eq!(
            t.verify_trailer(&pkt[..48], &pkt[48..n - 1]),
            Err(AuthError::BadLength(KeyId(1)))
        );
        assert_eq!(
            t.verify_trailer(&pkt[..48], &pkt[48..52]),
            Err(AuthError::CryptoNak)
        );
        assert_eq!(t.verify_trailer(&pkt[..48], &[]), Err(AuthError::Missing));
        assert_eq!(
            t.verify(&pkt[..48], KeyId(2), &[0; 20]),
            Err(AuthError::UntrustedKey(KeyId(2)))
        );
        assert_eq!(
            t.verify(&pkt[..48], KeyId(5), &[0; 16]),
            Err(AuthError::UnknownKey(KeyId(5)))
        );
    }
}
