//! The MAC algorithms sundial speaks, and their digest sizes.

use core::fmt;

/// A MAC algorithm for NTP symmetric-key authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Algorithm {
    /// `MD5(key ‖ packet)`, 16-byte digest (RFC 5905 legacy; still the most common).
    Md5,
    /// `SHA1(key ‖ packet)`, 20-byte digest (ntpd / chrony "SHA1").
    Sha1,
    /// CMAC with AES-128 (RFC 8573), 16-byte digest; the key is exactly 16 bytes.
    Aes128Cmac,
}

impl Algorithm {
    /// Length of this algorithm's digest on the wire, in bytes (without the key id).
    pub const fn digest_len(self) -> usize {
        match self {
            Algorithm::Md5 | Algorithm::Aes128Cmac => 16,
            Algorithm::Sha1 => 20,
        }
    }

    /// Length of a whole MAC trailer (4-byte key id + digest), in bytes.
    pub const fn mac_len(self) -> usize {
        4 + self.digest_len()
    }

    /// Whether this build implements the algorithm: MD5 always, SHA-1 with the
    /// `sha1` feature, AES-128-CMAC with the `cmac` feature (both on by
    /// default). A [`Key`](super::Key) of an algorithm that is not built is
    /// refused with [`KeyError::NotBuilt`](super::KeyError::NotBuilt).
    pub const fn is_built(self) -> bool {
        match self {
            Algorithm::Md5 => true,
            Algorithm::Sha1 => cfg!(feature = "sha1"),
            Algorithm::Aes128Cmac => cfg!(feature = "cmac"),
        }
    }

    /// The cargo feature that builds this algorithm (`None` for MD5, always built).
    pub const fn feature(self) -> Option<&'static str> {
        match self {
            Algorithm::Md5 => None,
            Algorithm::Sha1 => Some("sha1"),
            Algorithm::Aes128Cmac => Some("cmac"),
        }
    }

    /// The name ntpsec's keys file and `ntpq` use ("md5", "sha1", "aes-128").
    pub const fn name(self) -> &'static str {
        match self {
            Algorithm::Md5 => "md5",
            Algorithm::Sha1 => "sha1",
            Algorithm::Aes128Cmac => "aes-128",
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths() {
        assert_eq!(Algorithm::Md5.mac_len(), 20);
        assert_eq!(Algorithm::Sha1.mac_len(), 24);
        assert_eq!(Algorithm::Aes128Cmac.mac_len(), 20);
    }
}
