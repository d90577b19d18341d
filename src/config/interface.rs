//! `interface` / `nic` rules: which local addresses to listen on.
//!
//! Owns [`InterfaceRule`], [`InterfaceAction`] and [`InterfaceTarget`]. Binding sockets is the
//! host's job; firmware usually has one interface and ignores these.

use core::fmt;
use core::net::IpAddr;

use super::address::parse_ip;
use super::capacities::INTERFACE_NAME_LEN;
use super::error::{Error, ErrorKind, Snippet};
use super::lexer::{Cursor, Token};
use super::value::{bounded, int, required};

/// What to do with matching interfaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InterfaceAction {
    /// `listen`: open a socket.
    Listen,
    /// `ignore`: do not open a socket.
    Ignore,
    /// `drop`: open it but drop everything received.
    Drop,
}

/// Which interfaces a rule matches.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum InterfaceTarget {
    /// `all`.
    All,
    /// `ipv4`.
    Ipv4,
    /// `ipv6`.
    Ipv6,
    /// `wildcard`: the 0.0.0.0 / :: sockets.
    Wildcard,
    /// An address, optionally with a prefix length (`10.0.0.0/8`).
    Address(IpAddr, Option<u8>),
    /// An interface name (`eth0`).
    Name(heapless::String<INTERFACE_NAME_LEN>),
}

/// One `interface` (or `nic`) line.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct InterfaceRule {
    /// What to do.
    pub action: InterfaceAction,
    /// To what.
    pub target: InterfaceTarget,
}

fn is_name(word: &str) -> bool {
    !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b':' | b'@'))
}

fn parse_target(t: &Token<'_>) -> Result<InterfaceTarget, Error> {
    Ok(match t.text {
        "all" => InterfaceTarget::All,
        "ipv4" => InterfaceTarget::Ipv4,
        "ipv6" => InterfaceTarget::Ipv6,
        "wildcard" => InterfaceTarget::Wildcard,
        text => {
            let (a, p) = match text.split_once('/') {
                Some((a, p)) => (a, Some(p)),
                None => (text, None),
            };
            match parse_ip(a) {
                Some(ip) => {
                    let prefix = match p {
                        None => None,
                        Some(p) => {
                            let (max, range) = if ip.is_ipv4() {
                                (32, "0..32")
                            } else {
                                (128, "0..128")
                            };
                            Some(int(
                                &Token { text: p, ..*t },
                                "prefix length",
                                0,
                                max,
                                range,
                            )?)
                        }
                    };
                    InterfaceTarget::Address(ip, prefix)
                }
                None if p.is_none() && is_name(text) => {
                    InterfaceTarget::Name(bounded(t, "interface name")?)
                }
                None => {
                    return Err(Error::at(
                        t.column,
                        ErrorKind::InvalidAddress {
                            directive: "interface",
                            word: Snippet::new(text),
                        },
                    ));
                }
            }
        }
    })
}

impl InterfaceRule {
    /// Parses the rest of an `interface` line.
    pub(crate) fn parse(cursor: &mut Cursor<'_>) -> Result<Self, Error> {
        let a = required(cursor, "interface", "listen, ignore or drop")?;
        let action = match a.text {
            "listen" => InterfaceAction::Listen,
            "ignore" => InterfaceAction::Ignore,
            "drop" => InterfaceAction::Drop,
            _ => {
                return Err(Error::at(
                    a.column,
                    ErrorKind::UnknownOption {
                        directive: "interface",
                        word: Snippet::new(a.text),
                    },
                ));
            }
        };
        let t = required(
            cursor,
            "interface",
            "all, ipv4, ipv6, wildcard, a name or an address",
        )?;
        let target = parse_target(&t)?;
        super::value::end_of_line(cursor, "interface")?;
        Ok(InterfaceRule { action, target })
    }

    /// Writes the line (without newline).
    pub fn write_to(&self, w: &mut dyn fmt::Write) -> fmt::Result {
        let action = match self.action {
            InterfaceAction::Listen => "listen",
            InterfaceAction::Ignore => "ignore",
            InterfaceAction::Drop => "drop",
        };
        write!(w, "interface {action} ")?;
        match &self.target {
            InterfaceTarget::All => w.write_str("all"),
            InterfaceTarget::Ipv4 => w.write_str("ipv4"),
            InterfaceTarget::Ipv6 => w.write_str("ipv6"),
            InterfaceTarget::Wildcard => w.write_str("wildcard"),
            InterfaceTarget::Address(ip, None) => write!(w, "{ip}"),
            InterfaceTarget::Address(ip, Some(p)) => write!(w, "{ip}/{p}"),
            InterfaceTarget::Name(n) => w.write_str(n),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::String;

    #[test]
    fn rules() {
        let r = InterfaceRule::parse(&mut Cursor::new("ignore all")).unwrap();
        assert_eq!(
            (r.action, r.target),
            (InterfaceAction::Ignore, InterfaceTarget::All)
        );
        let r = InterfaceRule::parse(&mut Cursor::new("listen ::1")).unwrap();
        assert_eq!(
            r.target,
            InterfaceTarget::Address("::1".parse().unwrap(), None)
        );
        let r = InterfaceRule::parse(&mut Cursor::new("listen eth0")).unwrap();
        let mut s = String::new();
        r.write_to(&mut s).unwrap();
        assert_eq!(s, "interface listen eth0");
        assert!(InterfaceRule::parse(&mut Cursor::new("listen")).is_err());
        assert!(InterfaceRule::parse(&mut Cursor::new("open all")).is_err());
    }
}
