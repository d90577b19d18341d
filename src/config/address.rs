//! Addresses as written in ntp.conf: IPv4/IPv6 literals, host names and the reference clock
//! pseudo addresses `127.127.T.U` (driver type T, unit U).
//!
//! Owns [`Address`], [`HostName`], [`RefclockId`], [`AddressFamily`] and the mask helpers used
//! by `restrict`. Resolving host names is the caller's job (the core has no DNS).

use core::fmt;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::capacities::HOSTNAME_LEN;
use super::error::{Error, ErrorKind, Snippet};
use super::lexer::Token;

/// A host name (at most [`HOSTNAME_LEN`] bytes), checked for DNS syntax, not resolved.
pub type HostName = heapless::String<HOSTNAME_LEN>;

/// A reference clock pseudo address `127.127.T.U`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RefclockId {
    /// Driver type T (ntpd numbering: 1 local clock, 8 PARSE/Meinberg, 20 NMEA, 22 PPS, 28 SHM...).
    pub driver: u8,
    /// Unit number U (which instance of the driver; selects the device, e.g. `/dev/refclock-0`).
    pub unit: u8,
}

impl RefclockId {
    /// The pseudo address as an IPv4 address.
    pub const fn ip(self) -> Ipv4Addr {
        Ipv4Addr::new(127, 127, self.driver, self.unit)
    }
}

impl fmt::Display for RefclockId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "127.127.{}.{}", self.driver, self.unit)
    }
}

/// Where an association points.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Address {
    /// A numeric IPv4 or IPv6 address.
    Ip(IpAddr),
    /// A name to be resolved by the caller.
    Host(HostName),
    /// A reference clock.
    Refclock(RefclockId),
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Ip(ip) => write!(f, "{ip}"),
            Address::Host(h) => f.write_str(h),
            Address::Refclock(r) => write!(f, "{r}"),
        }
    }
}

/// The `-4` / `-6` qualifier: resolve a host name (or apply `restrict default`) to one family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum AddressFamily {
    /// `-4`: IPv4 only.
    V4,
    /// `-6`: IPv6 only.
    V6,
}

impl AddressFamily {
    /// Recognizes `-4` and `-6`.
    pub fn from_word(word: &str) -> Option<Self> {
        match word {
            "-4" => Some(AddressFamily::V4),
            "-6" => Some(AddressFamily::V6),
            _ => None,
        }
    }

    /// `-4` or `-6`.
    pub fn as_str(self) -> &'static str {
        match self {
            AddressFamily::V4 => "-4",
            AddressFamily::V6 => "-6",
        }
    }
}

/// Parses an IP literal; IPv6 may be written in brackets (`[::1]`).
pub fn parse_ip(word: &str) -> Option<IpAddr> {
    let inner = word.strip_prefix('[').and_then(|w| w.strip_suffix(']'));
    match inner {
        Some(v6) => v6.parse::<Ipv6Addr>().ok().map(IpAddr::V6),
        None => word.parse::<IpAddr>().ok(),
    }
}

/// True if `name` is a syntactically valid host name: dot-separated labels of 1..63 letters,
/// digits, `-` or `_`, no label starting or ending with `-`, and a last label that is not all
/// digits (that would be a mistyped IPv4 address). One trailing dot (a fully qualified name)
/// is allowed.
pub fn is_host_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.is_empty() {
        return false;
    }
    let mut last_all_digits = false;
    for label in name.split('.') {
        let bytes = label.as_bytes();
        let ok_chars = bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_');
        if bytes.is_empty()
            || bytes.len() > 63
            || !ok_chars
            || bytes.first() == Some(&b'-')
            || bytes.last() == Some(&b'-')
        {
            return false;
        }
        last_all_digits = bytes.iter().all(u8::is_ascii_digit);
    }
    !last_all_digits
}

impl Address {
    /// Parses the address word of `server`, `peer`, `fudge`, ... (`directive` is for messages).
    pub fn parse(token: &Token<'_>, directive: &'static str) -> Result<Self, Error> {
        let word = token.text;
        if let Some(ip) = parse_ip(word) {
            return Ok(match ip {
                IpAddr::V4(v4) => match v4.octets() {
                    [127, 127, driver, unit] => Address::Refclock(RefclockId { driver, unit }),
                    _ => Address::Ip(ip),
                },
                IpAddr::V6(_) => Address::Ip(ip),
            });
        }
        if let Some((ip, _scope)) = word.split_once('%') {
            if parse_ip(ip).is_some_and(|a| a.is_ipv6()) {
                return Err(Error::at(
                    token.column,
                    ErrorKind::Unsupported {
                        what: "an IPv6 scope id (`%interface`)",
                        word: Snippet::new(word),
                    },
                ));
            }
        }
        if !is_host_name(word) {
            return Err(Error::at(
                token.column,
                ErrorKind::InvalidAddress {
                    directive,
                    word: Snippet::new(word),
                },
            ));
        }
        let host = HostName::try_from(word).map_err(|_| {
            Error::at(
                token.column,
                ErrorKind::TooLong {
                    what: "host name",
                    word: Snippet::new(word),
                    max: HOSTNAME_LEN,
                },
            )
        })?;
        Ok(Address::Host(host))
    }
}

/// The mask with the `prefix` leading bits set, in the family of `like`; `None` if `prefix` is
/// longer than the address.
pub fn mask_from_prefix(like: IpAddr, prefix: u8) -> Option<IpAddr> {
    match like {
        IpAddr::V4(_) => {
            let bits = u32::MAX
                .checked_shl(32u32.checked_sub(u32::from(prefix))?)
                .unwrap_or(0);
            Some(IpAddr::V4(Ipv4Addr::from(bits)))
        }
        IpAddr::V6(_) => {
            let bits = u128::MAX
                .checked_shl(128u32.checked_sub(u32::from(prefix))?)
                .unwrap_or(0);
            Some(IpAddr::V6(Ipv6Addr::from(bits)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tok(text: &str) -> Token<'_> {
        Token {
            text,
            column: 8,
            quoted: false,
        }
    }

    #[test]
    fn literals_and_pseudo_addresses() {
        assert_eq!(
            Address::parse(&tok("10.0.246.255"), "broadcast").unwrap(),
            Address::Ip(IpAddr::V4(Ipv4Addr::new(10, 0, 246, 255)))
        );
        assert_eq!(
            Address::parse(&tok("127.127.8.0"), "server").unwrap(),
            Address::Refclock(RefclockId { driver: 8, unit: 0 })
        );
        assert_eq!(
            Address::parse(&tok("2001:db8::1"), "server").unwrap(),
            Address::Ip("2001:db8::1".parse().unwrap())
        );
        assert_eq!(
            Address::parse(&tok("[::1]"), "server").unwrap(),
            Address::Ip(IpAddr::V6(Ipv6Addr::LOCALHOST))
        );
        assert_eq!(
            RefclockId {
                driver: 20,
                unit: 1
            }
            .ip(),
            Ipv4Addr::new(127, 127, 20, 1)
        );
    }

    #[test]
    fn host_names() {
        match Address::parse(&tok("0.debian.pool.ntp.org"), "pool").unwrap() {
            Address::Host(h) => assert_eq!(h.as_str(), "0.debian.pool.ntp.org"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            Address::parse(&tok("ntp.example.org."), "server"),
            Ok(Address::Host(_))
        ));
        let e = Address::parse(&tok("fe80::1%eth0"), "server").unwrap_err();
        assert!(matches!(e.kind, ErrorKind::Unsupported { .. }));
        for bad in [
            "10.0.0.256",
            "1.2.3",
            "-a.example",
            "a..b",
            "a b",
            "ntp!",
            "a.b-",
        ] {
            let e = Address::parse(&tok(bad), "server").unwrap_err();
            assert!(matches!(e.kind, ErrorKind::InvalidAddress { .. }), "{bad}");
            assert_eq!(e.column, 8);
        }
        let long = "a".repeat(60) + ".example.org";
        let e = Address::parse(&tok(&long), "server").unwrap_err();
        assert!(matches!(
            e.kind,
            ErrorKind::TooLong {
                max: HOSTNAME_LEN,
                ..
            }
        ));
    }

    #[test]
    fn masks() {
        let v4 = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
        assert_eq!(
            mask_from_prefix(v4, 24),
            Some(IpAddr::V4(Ipv4Addr::new(255, 255, 255, 0)))
        );
        assert_eq!(
            mask_from_prefix(v4, 0),
            Some(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
        );
        assert_eq!(mask_from_prefix(v4, 33), None);
        let v6 = IpAddr::V6(Ipv6Addr::UNSPECIFIED);
        assert_eq!(
            mask_from_prefix(v6, 64),
            Some("ffff:ffff:ffff:ffff::".parse().unwrap())
        );
    }
}
