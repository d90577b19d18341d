//! Symmetric-key authentication (RFC 5905 §7.3, RFC 8573): keys, the key table,
//! computing and verifying the MAC trailer of NTP packets.
//!
//! Owns: [`KeyId`], [`Algorithm`], [`Key`] (key material in a fixed buffer),
//! [`KeyTable`] (fixed capacity, with trusted flags), MAC computation over the
//! packet bytes that precede the MAC, and constant-time digest comparison.
//!
//! Does not own: finding the MAC trailer inside a packet (that is `wire`), parsing
//! keys files (that is `config`), or deciding what an association does with an
//! unauthenticated packet (that is `association`). Nothing here ever produces a
//! crypto-NAK: a bad or unknown key is reported to the caller, who stays silent.
//!
//! Digests, as ntpd, ntpsec and chrony compute them (they interoperate):
//! - MD5: `MD5(key ‖ packet)`, 16 bytes.
//! - SHA1: `SHA1(key ‖ packet)`, 20 bytes.
//! - AES-128-CMAC (RFC 8573): `CMAC-AES-128(key, packet)`, 16 bytes; the key is
//!   exactly 16 bytes.
//!
//! On the wire a MAC is the 4-byte big-endian key id followed by the digest.

mod algorithm;
#[cfg(feature = "cmac")]
mod cmac;
mod ct;
mod error;
mod key;
mod key_id;
mod table;

pub use algorithm::Algorithm;
pub use ct::ct_eq;
pub use error::{AuthError, KeyError};
pub use key::{Key, MAX_DIGEST_LEN, MAX_KEY_LEN, MAX_MAC_LEN};
pub use key_id::KeyId;
pub use table::{KeyTable, TableFullError};
