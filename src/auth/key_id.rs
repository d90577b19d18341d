//! The 32-bit key identifier that starts an NTP MAC trailer.

use core::fmt;

/// A symmetric key identifier (RFC 5905: 32 bits, big-endian on the wire).
///
/// ntpd reserves 0 for "no key" and limits configured keys to 1..=65534; chrony
/// accepts any 32-bit value. This type accepts every value; policy lives in
/// `config`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct KeyId(pub u32);

impl KeyId {
    /// The key id as it appears on the wire (4 bytes, big-endian).
    pub const fn to_be_bytes(self) -> [u8; 4] {
        self.0.to_be_bytes()
    }

    /// Reads a key id from its 4 wire bytes (big-endian).
    pub const fn from_be_bytes(bytes: [u8; 4]) -> Self {
        KeyId(u32::from_be_bytes(bytes))
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_bytes_round_trip() {
        let id = KeyId(0x0102_0304);
        assert_eq!(id.to_be_bytes(), [1, 2, 3, 4]);
        assert_eq!(KeyId::from_be_bytes([1, 2, 3, 4]), id);
    }
}
