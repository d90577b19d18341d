//! Access control lines: `restrict [-4|-6] default|source|ADDR [mask M] flags...`, and the
//! rate limits of `restrict ... limited`: `discard [average A] [minimum M] [monitor P]`.
//!
//! Owns [`Restrict`], [`RestrictTarget`], [`RestrictFlags`] (every ntpd 4.2.8 flag) and
//! [`Discard`].
//! Matching packets against the list is `crate::access`'s job, not this module's.
//! Host names are refused (ntpd resolves them once at start; we have no resolver), and
//! `ADDR/PREFIX` is accepted as a shorthand for `ADDR mask M`.

use core::fmt;
use core::net::IpAddr;

use bitflags::bitflags;

use super::address::{AddressFamily, mask_from_prefix, parse_ip};
use super::error::{Error, ErrorKind, Snippet};
use super::lexer::Cursor;
use super::value::{at_least_one, int, required};

bitflags! {
    /// The flags of a `restrict` line (ntpd 4.2.8 names).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct RestrictFlags: u32 {
        /// `flake`: drop 10% of packets (testing).
        const FLAKE = 1 << 0;
        /// `ignore`: drop every packet.
        const IGNORE = 1 << 1;
        /// `kod`: send a RATE kiss-o'-death when `limited` triggers.
        const KOD = 1 << 2;
        /// `limited`: rate-limit clients (see `discard`).
        const LIMITED = 1 << 3;
        /// `lowpriotrap`: traps from here are low priority.
        const LOWPRIOTRAP = 1 << 4;
        /// `mssntp`: Microsoft MS-SNTP signing.
        const MSSNTP = 1 << 5;
        /// `noepeer`: no ephemeral symmetric associations (unauthenticated).
        const NOEPEER = 1 << 6;
        /// `nomodify`: no run-time configuration changes (mode 6/7 writes).
        const NOMODIFY = 1 << 7;
        /// `nomrulist`: no MRU list queries.
        const NOMRULIST = 1 << 8;
        /// `nopeer`: no new symmetric associations.
        const NOPEER = 1 << 9;
        /// `noquery`: no mode 6/7 queries at all.
        const NOQUERY = 1 << 10;
        /// `noserve`: no time service (queries still allowed).
        const NOSERVE = 1 << 11;
        /// `notrap`: no mode 6 trap service.
        const NOTRAP = 1 << 12;
        /// `notrust`: only authenticated (trusted-key) packets are believed.
        const NOTRUST = 1 << 13;
        /// `ntpport`: matches only packets from source port 123.
        const NTPPORT = 1 << 14;
        /// `version`: only the current NTP version.
        const VERSION = 1 << 15;
    }
}

/// Flag words in the order they are written back.
const FLAG_WORDS: [(&str, RestrictFlags); 16] = [
    ("flake", RestrictFlags::FLAKE),
    ("ignore", RestrictFlags::IGNORE),
    ("kod", RestrictFlags::KOD),
    ("limited", RestrictFlags::LIMITED),
    ("lowpriotrap", RestrictFlags::LOWPRIOTRAP),
    ("mssntp", RestrictFlags::MSSNTP),
    ("noepeer", RestrictFlags::NOEPEER),
    ("nomodify", RestrictFlags::NOMODIFY),
    ("nomrulist", RestrictFlags::NOMRULIST),
    ("nopeer", RestrictFlags::NOPEER),
    ("noquery", RestrictFlags::NOQUERY),
    ("noserve", RestrictFlags::NOSERVE),
    ("notrap", RestrictFlags::NOTRAP),
    ("notrust", RestrictFlags::NOTRUST),
    ("ntpport", RestrictFlags::NTPPORT),
    ("version", RestrictFlags::VERSION),
];

/// What a `restrict` line applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RestrictTarget {
    /// `default` (with `-4`/`-6`: only that family).
    Default(Option<AddressFamily>),
    /// `source`: every address an association is made with (`pool` servers).
    Source,
    /// An address, with `mask` (all ones if `None`: a single host).
    Address {
        /// Network address.
        address: IpAddr,
        /// Mask, same family as `address`.
        mask: Option<IpAddr>,
    },
}

/// One `restrict` line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Restrict {
    /// Whom it matches.
    pub target: RestrictTarget,
    /// What is restricted (empty: unrestricted).
    pub flags: RestrictFlags,
}

fn same_family(a: IpAddr, b: IpAddr) -> bool {
    a.is_ipv4() == b.is_ipv4()
}

impl Restrict {
    /// Parses the rest of a `restrict` line.
    pub(crate) fn parse(cursor: &mut Cursor<'_>) -> Result<Self, Error> {
        let mut t = required(cursor, "restrict", "`default`, `source` or an address")?;
        let family = AddressFamily::from_word(t.text);
        if family.is_some() {
            t = required(cursor, "restrict", "`default`, `source` or an address")?;
        }
        let bad_address = |word: &str, column| {
            Error::at(
                column,
                ErrorKind::InvalidAddress {
                    directive: "restrict",
                    word: Snippet::new(word),
                },
            )
        };
        let mut target = match t.text {
            "default" => RestrictTarget::Default(family),
            "source" => RestrictTarget::Source,
            text => {
                let (addr_text, prefix) = match text.split_once('/') {
                    Some((a, p)) => (a, Some(p)),
                    None => (text, None),
                };
                let Some(address) = parse_ip(addr_text) else {
                    if super::address::is_host_name(text) {
                        return Err(Error::at(
                            t.column,
                            ErrorKind::Unsupported {
                                what: "a host name in `restrict` (write the address)",
                                word: Snippet::new(text),
                            },
                        ));
                    }
                    return Err(bad_address(text, t.column));
                };
                let mask = match prefix {
                    None => None,
                    Some(p) => {
                        let max = if address.is_ipv4() { 32 } else { 128 };
                        let pt = super::lexer::Token { text: p, ..t };
                        let range = if address.is_ipv4() { "0..32" } else { "0..128" };
                        let bits: u8 = int(&pt, "prefix length", 0, max, range)?;
                        mask_from_prefix(address, bits)
                    }
                };
                RestrictTarget::Address { address, mask }
            }
        };
        let mut flags = RestrictFlags::empty();
        while let Some(word) = cursor.next_token()? {
            if word.text == "mask" {
                let m = required(cursor, "mask", "an address mask")?;
                let RestrictTarget::Address { address, mask } = &mut target else {
                    return Err(Error::at(
                        word.column,
                        ErrorKind::UnexpectedArgument {
                            directive: "restrict",
                            word: Snippet::new("mask"),
                        },
                    ));
                };
                match parse_ip(m.text) {
                    Some(ip) if same_family(ip, *address) => *mask = Some(ip),
                    _ => return Err(bad_address(m.text, m.column)),
                }
            } else if let Some(&(_, f)) = FLAG_WORDS.iter().find(|(w, _)| *w == word.text) {
                flags |= f;
            } else {
                return Err(Error::at(
                    word.column,
                    ErrorKind::UnknownOption {
                        directive: "restrict",
                        word: Snippet::new(word.text),
                    },
                ));
            }
        }
        Ok(Restrict { target, flags })
    }

    /// Writes the line (without newline).
    pub fn write_to(&self, w: &mut dyn fmt::Write) -> fmt::Result {
        w.write_str("restrict")?;
        match self.target {
            RestrictTarget::Default(None) => w.write_str(" default")?,
            RestrictTarget::Default(Some(f)) => write!(w, " {} default", f.as_str())?,
            RestrictTarget::Source => w.write_str(" source")?,
            RestrictTarget::Address { address, mask } => {
                write!(w, " {address}")?;
                if let Some(m) = mask {
                    write!(w, " mask {m}")?;
                }
            }
        }
        for (word, flag) in FLAG_WORDS {
            if self.flags.contains(flag) {
                write!(w, " {word}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Restrict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_to(f)
    }
}

/// `discard` values: the rate limits applied to `restrict ... limited` clients.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Discard {
    /// `average`: minimum average spacing of a client's packets, log2 s, 0..16; ntpd default: 3 = 8 s.
    pub average: Option<u8>,
    /// `minimum`: minimum spacing of any two packets from a client, s, 0..3600; ntpd default: 2 s.
    pub minimum: Option<u16>,
    /// `monitor`: discard probability parameter of the MRU monitor, 0..100000; ntpd default: 3000.
    pub monitor: Option<u32>,
}

impl Discard {
    /// Parses the rest of a `discard` line into `self`.
    pub(crate) fn parse_into(&mut self, cursor: &mut Cursor<'_>) -> Result<(), Error> {
        let mut any = false;
        while let Some(word) = cursor.next_token()? {
            any = true;
            match word.text {
                "average" => {
                    let t = required(cursor, "average", "a spacing in log2 s (0..16)")?;
                    self.average = Some(int(&t, "average", 0, 16, "0..16")?);
                }
                "minimum" => {
                    let t = required(cursor, "minimum", "a spacing in seconds (0..3600)")?;
                    self.minimum = Some(int(&t, "minimum", 0, 3600, "0..3600")?);
                }
                "monitor" => {
                    let t = required(cursor, "monitor", "a number (0..100000)")?;
                    self.monitor = Some(int(&t, "monitor", 0, 100_000, "0..100000")?);
                }
                _ => {
                    return Err(Error::at(
                        word.column,
                        ErrorKind::UnknownOption {
                            directive: "discard",
                            word: Snippet::new(word.text),
                        },
                    ));
                }
            }
        }
        at_least_one(any, cursor, "discard", "at least one option")
    }

    /// Writes one `discard` line (without newline) if anything is set.
    pub fn write_to(&self, w: &mut dyn fmt::Write) -> fmt::Result {
        if *self == Discard::default() {
            return Ok(());
        }
        w.write_str("discard")?;
        if let Some(v) = self.average {
            write!(w, " average {v}")?;
        }
        if let Some(v) = self.minimum {
            write!(w, " minimum {v}")?;
        }
        if let Some(v) = self.monitor {
            write!(w, " monitor {v}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::net::Ipv4Addr;
    use std::string::{String, ToString};

    fn parse(rest: &str) -> Result<Restrict, Error> {
        Restrict::parse(&mut Cursor::new(rest))
    }

    #[test]
    fn default_and_networks() {
        let r = parse("default notrust nomodify").unwrap();
        assert_eq!(r.target, RestrictTarget::Default(None));
        assert_eq!(r.flags, RestrictFlags::NOTRUST | RestrictFlags::NOMODIFY);
        let r = parse("10.0.0.0 mask 255.255.0.0 nomodify").unwrap();
        assert_eq!(
            r.target,
            RestrictTarget::Address {
                address: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 0)),
                mask: Some(IpAddr::V4(Ipv4Addr::new(255, 255, 0, 0))),
            }
        );
        assert_eq!(parse("10.0.0.0/16 nomodify").unwrap(), r);
        let mut s = String::new();
        r.write_to(&mut s).unwrap();
        assert_eq!(s, "restrict 10.0.0.0 mask 255.255.0.0 nomodify");
        assert_eq!(
            parse("-6 default kod").unwrap().target,
            RestrictTarget::Default(Some(AddressFamily::V6))
        );
    }

    #[test]
    fn errors() {
        let e = parse("default nomodfy").unwrap_err();
        assert_eq!(
            (e.column, e.kind.to_string()),
            (9, "`nomodfy` is not an option of `restrict`".into())
        );
        let e = parse("10.0.0.0 mask ::ffff").unwrap_err();
        assert!(matches!(e.kind, ErrorKind::InvalidAddress { .. }));
        let e = parse("time.example.org").unwrap_err();
        assert!(matches!(e.kind, ErrorKind::Unsupported { .. }));
        let mut d = Discard::default();
        d.parse_into(&mut Cursor::new("average 4 minimum 2"))
            .unwrap();
        assert_eq!((d.average, d.minimum, d.monitor), (Some(4), Some(2), None));
        let e = Discard::default()
            .parse_into(&mut Cursor::new("average 17"))
            .unwrap_err();
        assert_eq!(e.kind.to_string(), "`average 17` is out of range 0..16");
        let e = parse("10.0.0.0/33").unwrap_err();
        assert_eq!(
            e.kind.to_string(),
            "`prefix length 33` is out of range 0..32"
        );
    }
}
