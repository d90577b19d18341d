//! Typed errors for keys and MAC verification.

use core::fmt;

use super::{Algorithm, KeyId};

/// Why key material was refused by [`Key::new`](super::Key::new).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum KeyError {
    /// No key bytes at all.
    Empty,
    /// More key bytes than [`MAX_KEY_LEN`](super::MAX_KEY_LEN).
    TooLong,
    /// AES-128-CMAC needs exactly 16 key bytes.
    WrongLengthForAes128,
    /// The algorithm is compiled out of this build (its cargo feature,
    /// [`Algorithm::feature`], is off): such a key could never make or check a MAC.
    NotBuilt(Algorithm),
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyError::Empty => "empty key",
            KeyError::TooLong => "key too long",
            KeyError::WrongLengthForAes128 => "AES-128-CMAC key must be 16 bytes",
            KeyError::NotBuilt(a) => {
                return write!(
                    f,
                    "{a} is not built in (cargo feature `{}` is off)",
                    a.feature().unwrap_or("?")
                );
            }
        })
    }
}

/// Why a packet's MAC did not authenticate it.
///
/// Every variant means "drop the packet silently": none of them is ever answered
/// with a crypto-NAK.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum AuthError {
    /// The key id is not in the key table.
    UnknownKey(KeyId),
    /// The key exists but is not marked trusted.
    UntrustedKey(KeyId),
    /// The digest length does not match the key's algorithm.
    BadLength(KeyId),
    /// The digest does not match (wrong key, or the packet was modified).
    BadMac(KeyId),
    /// The trailer is a crypto-NAK (key id only, or key id 0 with no digest).
    CryptoNak,
    /// The packet carries no MAC but the association requires one.
    Missing,
    /// The MAC uses another key than the one configured for the association.
    WrongKey(KeyId),
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthError::UnknownKey(id) => write!(f, "unknown key {id}"),
            AuthError::UntrustedKey(id) => write!(f, "untrusted key {id}"),
            AuthError::BadLength(id) => write!(f, "wrong digest length for key {id}"),
            AuthError::BadMac(id) => write!(f, "bad MAC with key {id}"),
            AuthError::CryptoNak => f.write_str("crypto-NAK"),
            AuthError::Missing => f.write_str("MAC missing"),
            AuthError::WrongKey(id) => write!(f, "MAC with key {id}, not the association's"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for KeyError {}

#[cfg(feature = "std")]
impl std::error::Error for AuthError {}
