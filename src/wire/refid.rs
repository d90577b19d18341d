//! The 32-bit reference identifier in all its forms: kiss codes (stratum 0),
//! 4-character source ids (stratum 1: `GPS`, `PPS`, `DCFa`, `LOCL`), IPv4
//! addresses and IPv6 address hashes (stratum 2+), and the text form ntpq
//! shows. The raw bytes are kept; meaning depends on the header's stratum.

use core::fmt;
use core::net::{Ipv4Addr, Ipv6Addr};

use crate::hash::md5::Md5;

/// A reference identifier: 4 raw bytes whose meaning depends on the stratum
/// of the packet that carries it (see [`RefId::display`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RefId([u8; 4]);

impl RefId {
    /// All zeros: "no reference" (e.g. in client requests).
    pub const ZERO: RefId = RefId([0; 4]);

    /// From the 4 wire bytes.
    pub const fn from_bytes(bytes: [u8; 4]) -> RefId {
        RefId(bytes)
    }

    /// The 4 wire bytes.
    pub const fn to_bytes(self) -> [u8; 4] {
        self.0
    }

    /// From the big-endian 32-bit wire value.
    pub const fn from_u32(value: u32) -> RefId {
        RefId(value.to_be_bytes())
    }

    /// The big-endian 32-bit wire value.
    pub const fn to_u32(self) -> u32 {
        u32::from_be_bytes(self.0)
    }

    /// An IPv4 upstream's address (stratum 2+ with an IPv4 server).
    pub const fn from_ipv4(addr: Ipv4Addr) -> RefId {
        RefId(addr.octets())
    }

    /// The bytes read as an IPv4 address (always possible; only meaningful
    /// at stratum 2+).
    pub const fn to_ipv4(self) -> Ipv4Addr {
        let [a, b, c, d] = self.0;
        Ipv4Addr::new(a, b, c, d)
    }

    /// An IPv6 upstream's reference id: the first 4 bytes of the MD5 digest
    /// of its 16-byte address (RFC 5905 §7.3).
    pub fn from_ipv6(addr: &Ipv6Addr) -> RefId {
        let digest = Md5::digest(&[&addr.octets()]);
        let mut out = [0u8; 4];
        for (o, d) in out.iter_mut().zip(digest.iter()) {
            *o = *d;
        }
        RefId(out)
    }

    /// An ASCII id of 1–4 characters, NUL-padded on the right (`"GPS"` →
    /// `GPS\0`). `None` if empty, longer than 4, or not printable ASCII.
    pub fn from_ascii(text: &str) -> Option<RefId> {
        let bytes = text.as_bytes();
        if bytes.is_empty() || bytes.len() > 4 || !bytes.iter().all(|b| (0x20..=0x7e).contains(b)) {
            return None;
        }
        let mut out = [0u8; 4];
        for (o, b) in out.iter_mut().zip(bytes) {
            *o = *b;
        }
        Some(RefId(out))
    }

    /// The ASCII text if the bytes are 1–4 printable ASCII characters followed
    /// only by NULs (how kiss codes and stratum-1 ids look).
    pub fn as_ascii(&self) -> Option<&str> {
        let len = self.0.iter().position(|&b| b == 0).unwrap_or(4);
        let (text, rest) = self.0.split_at(len);
        if text.is_empty()
            || rest.iter().any(|&b| b != 0)
            || !text.iter().all(|&b| (0x20..=0x7e).contains(&b))
        {
            return None;
        }
        core::str::from_utf8(text).ok()
    }

    /// The kiss code these bytes spell, if any (only meaningful at stratum 0).
    pub fn kiss_code(self) -> Option<KissCode> {
        KissCode::from_ref_id(self)
    }

    /// The text form ntpq shows for this id in a packet of `stratum`:
    /// stratum 0 with ASCII → the kiss code bare (`RATE`); stratum 1 or 16
    /// with ASCII → dotted (`.GPS.`, `.INIT.`); everything else → dotted
    /// quad (`127.127.1.0`, also for IPv6 hashes).
    pub const fn display(self, stratum: u8) -> RefIdDisplay {
        RefIdDisplay { id: self, stratum }
    }
}

/// Formats a [`RefId`] as ntpq does, given the stratum (see [`RefId::display`]).
#[derive(Debug, Clone, Copy)]
pub struct RefIdDisplay {
    id: RefId,
    stratum: u8,
}

impl fmt::Display for RefIdDisplay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.stratum, self.id.as_ascii()) {
            (0, Some(text)) => f.write_str(text),
            (1 | 16, Some(text)) => write!(f, ".{text}."),
            _ => write!(f, "{}", self.id.to_ipv4()),
        }
    }
}

/// A 4-letter code as the big-endian word of its bytes (0 if not 4 bytes:
/// compile time only, every code is 4 letters).
const fn code_word(text: &str) -> u32 {
    match text.as_bytes() {
        [a, b, c, d] => u32::from_be_bytes([*a, *b, *c, *d]),
        _ => 0,
    }
}

macro_rules! kiss_codes {
    ($($(#[$doc:meta])* $name:ident = $text:literal,)*) => {
        /// The kiss-o'-death codes carried in the reference id of a stratum-0
        /// packet (RFC 5905 §7.4, plus ntpd's and RFC 8915's additions).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[cfg_attr(feature = "defmt", derive(defmt::Format))]
        pub enum KissCode {
            $($(#[$doc])* $name,)*
        }

        impl KissCode {
            /// Every known code.
            pub const ALL: &'static [KissCode] = &[$(KissCode::$name,)*];

            /// The 4-letter code as text (`"RATE"`).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(KissCode::$name => $text,)*
                }
            }

            /// The code spelled by a reference id, if it is a known one.
            pub fn from_ref_id(id: RefId) -> Option<KissCode> {
                // A table of the codes as big-endian words, in `ALL`'s order:
                // one compare loop instead of a chain of byte compares.
                const WORDS: &[u32] = &[$(code_word($text),)*];
                let word = id.to_u32();
                let at = WORDS.iter().position(|w| *w == word)?;
                KissCode::ALL.get(at).copied()
            }
        }
    };
}

kiss_codes! {
    /// The association belongs to a unicast (anycast) server.
    Acst = "ACST",
    /// Server authentication failed.
    Auth = "AUTH",
    /// Autokey sequence failed.
    Auto = "AUTO",
    /// The association belongs to a broadcast server.
    Bcst = "BCST",
    /// Cryptographic authentication or identification failed.
    Cryp = "CRYP",
    /// Access denied by remote server: stop sending.
    Deny = "DENY",
    /// Lost peer in symmetric mode.
    Drop = "DROP",
    /// Access denied due to local policy: stop sending.
    Rstr = "RSTR",
    /// The association has not yet synchronized for the first time.
    Init = "INIT",
    /// The association belongs to a dynamically discovered server.
    Mcst = "MCST",
    /// No key found (not installed or not trusted).
    Nkey = "NKEY",
    /// NTS negative acknowledgement (RFC 8915): the cookie was not accepted.
    Ntsn = "NTSN",
    /// Rate exceeded: reduce the polling rate.
    Rate = "RATE",
    /// Alteration of association from a remote host running ntpdc.
    Rmot = "RMOT",
    /// A step change in system time has occurred, not yet verified.
    Step = "STEP",
    /// Interface change (ntpd's "XFAC").
    Xfac = "XFAC",
}

impl KissCode {
    /// This code as a reference id (`RATE` → bytes `b"RATE"`).
    pub const fn to_ref_id(self) -> RefId {
        let b = self.as_str().as_bytes();
        match b {
            [a, b, c, d] => RefId::from_bytes([*a, *b, *c, *d]),
            _ => RefId::ZERO,
        }
    }

    /// True for the codes after which a client must stop using the server
    /// (DENY, RSTR) per RFC 5905 §7.4.
    pub const fn is_deny(self) -> bool {
        matches!(self, KissCode::Deny | KissCode::Rstr)
    }
}

impl fmt::Display for KissCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;

    #[test]
    fn text_forms() {
        let gps = RefId::from_ascii("GPS").unwrap();
        assert_eq!(gps.to_bytes(), *b"GPS\0");
        assert_eq!(format!("{}", gps.display(1)), ".GPS.");
        assert_eq!(
            format!("{}", RefId::from_ascii("DCFa").unwrap().display(1)),
            ".DCFa."
        );
        assert_eq!(format!("{}", KissCode::Rate.to_ref_id().display(0)), "RATE");
        assert_eq!(
            format!("{}", RefId::from_u32(0x7f7f_0101).display(1)),
            "127.127.1.1"
        );
        assert_eq!(
            format!("{}", RefId::from_u32(0x7f00_0001).display(2)),
            "127.0.0.1"
        );
        assert_eq!(format!("{}", RefId::ZERO.display(0)), "0.0.0.0");
        assert_eq!(RefId::from_ascii(""), None);
        assert_eq!(RefId::from_ascii("TOOLONG"), None);
        assert_eq!(RefId::from_bytes(*b"G\0S\0").as_ascii(), None);
    }

    #[test]
    fn kiss_codes_round_trip() {
        for &k in KissCode::ALL {
            assert_eq!(k.to_ref_id().kiss_code(), Some(k));
        }
        assert_eq!(RefId::from_ascii("GPS").unwrap().kiss_code(), None);
        assert!(KissCode::Deny.is_deny());
    }

    #[test]
    fn ipv6_hash() {
        // MD5 of the 16 bytes of ::1 is cf404dc806178c245b5b4fe2531e6d8c.
        let id = RefId::from_ipv6(&Ipv6Addr::LOCALHOST);
        assert_eq!(id.to_bytes(), [0xcf, 0x40, 0x4d, 0xc8]);
        assert_eq!(format!("{}", id.display(2)), "207.64.77.200");
    }
}
