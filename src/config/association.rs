//! The association directives `server`, `peer`, `pool`, `broadcast` and their options.
//!
//! Owns [`Association`], [`AssociationKind`], [`AssociationOptions`] and [`AssociationFlags`]:
//! parsing the words after the directive and writing them back. Reference clocks use `server`
//! with a `127.127.T.U` address; their calibration lives in [`Fudge`](super::Fudge).

use core::fmt;

use bitflags::bitflags;

use super::address::{Address, AddressFamily};
use super::error::{Error, ErrorKind, Snippet};
use super::keys::parse_key_id;
use super::lexer::Cursor;
use super::value::{int, required};
use crate::auth::KeyId;
use crate::time::PollInterval;

/// What kind of association a line asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum AssociationKind {
    /// `server`: client mode (3) to a server, or a reference clock.
    Server,
    /// `peer`: symmetric active mode (1).
    Peer,
    /// `pool`: client mode to every address a name resolves to (up to `maxclock`).
    Pool,
    /// `broadcast`: broadcast server mode (5) to this (broadcast or multicast) address.
    Broadcast,
}

impl AssociationKind {
    /// The directive word.
    pub fn directive(self) -> &'static str {
        match self {
            AssociationKind::Server => "server",
            AssociationKind::Peer => "peer",
            AssociationKind::Pool => "pool",
            AssociationKind::Broadcast => "broadcast",
        }
    }
}

bitflags! {
    /// The flag options of an association line.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct AssociationFlags: u8 {
        /// `iburst`: a burst of 8 packets while unreachable (fast start).
        const IBURST = 1 << 0;
        /// `burst`: a burst of 8 packets at every poll while reachable.
        const BURST = 1 << 1;
        /// `prefer`: preferred source in selection.
        const PREFER = 1 << 2;
        /// `noselect`: polled and shown, never selected.
        const NOSELECT = 1 << 3;
        /// `true`: always survives the intersection (truechimer by decree).
        const TRUE = 1 << 4;
        /// `preempt`: may be dropped when not useful (default for `pool`).
        const PREEMPT = 1 << 5;
        /// `xleave`: interleaved mode.
        const XLEAVE = 1 << 6;
    }
}

/// Option words that are plain flags, in the order they are written back.
const FLAG_WORDS: [(&str, AssociationFlags); 7] = [
    ("iburst", AssociationFlags::IBURST),
    ("burst", AssociationFlags::BURST),
    ("prefer", AssociationFlags::PREFER),
    ("noselect", AssociationFlags::NOSELECT),
    ("true", AssociationFlags::TRUE),
    ("preempt", AssociationFlags::PREEMPT),
    ("xleave", AssociationFlags::XLEAVE),
];

/// Options of an association line; `None` means "not written, use the default".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct AssociationOptions {
    /// `key N`: authenticate with this symmetric key.
    pub key: Option<KeyId>,
    /// `version N`: NTP version to send, 1..4.
    pub version: Option<u8>,
    /// `minpoll N`: log2 s, 3..17.
    pub minpoll: Option<PollInterval>,
    /// `maxpoll N`: log2 s, 3..17.
    pub maxpoll: Option<PollInterval>,
    /// `mode N`: driver-specific mode of a reference clock (ntpsec calls it `subtype`).
    pub mode: Option<u32>,
    /// `ttl N`: IP time-to-live for `broadcast` (hops, 1..255; 0 allowed as "default").
    pub ttl: Option<u8>,
    /// Flag options.
    pub flags: AssociationFlags,
}

/// One `server` / `peer` / `pool` / `broadcast` line.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Association {
    /// Which directive.
    pub kind: AssociationKind,
    /// `-4` / `-6` before the address, if written.
    pub family: Option<AddressFamily>,
    /// The remote (or the reference clock).
    pub address: Address,
    /// The options.
    pub options: AssociationOptions,
}

impl AssociationOptions {
    /// Tries to read one option starting with `word` (already taken from `cursor`);
    /// `Ok(false)` if `word` is not an association option.
    pub(crate) fn parse_one(
        &mut self,
        word: &super::lexer::Token<'_>,
        cursor: &mut Cursor<'_>,
    ) -> Result<bool, Error> {
        if let Some(&(_, flag)) = FLAG_WORDS.iter().find(|(w, _)| *w == word.text) {
            self.flags |= flag;
            return Ok(true);
        }
        let (min, max) = (
            i64::from(PollInterval::MIN.log2()),
            i64::from(PollInterval::MAX.log2()),
        );
        match word.text {
            "key" => {
                let t = required(cursor, "key", "a key id (1..65535)")?;
                self.key = Some(parse_key_id(&t, "key")?);
            }
            "version" => {
                let t = required(cursor, "version", "a version number (1..4)")?;
                self.version = Some(int(&t, "version", 1, 4, "1..4")?);
            }
            "minpoll" => {
                let t = required(cursor, "minpoll", "a poll exponent in log2 s (3..17)")?;
                self.minpoll = Some(PollInterval::from_log2(int(
                    &t, "minpoll", min, max, "3..17",
                )?));
            }
            "maxpoll" => {
                let t = required(cursor, "maxpoll", "a poll exponent in log2 s (3..17)")?;
                self.maxpoll = Some(PollInterval::from_log2(int(
                    &t, "maxpoll", min, max, "3..17",
                )?));
            }
            "mode" | "subtype" => {
                let t = required(cursor, "mode", "a mode number")?;
                self.mode = Some(int(&t, "mode", 0, i64::from(u32::MAX), "0..4294967295")?);
            }
            "ttl" => {
                let t = required(cursor, "ttl", "a hop count (0..255)")?;
                self.ttl = Some(int(&t, "ttl", 0, 255, "0..255")?);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Errors if both polls are given and `minpoll > maxpoll` (`column` points at the line).
    pub(crate) fn check(&self, column: u32) -> Result<(), Error> {
        if let (Some(min), Some(max)) = (self.minpoll, self.maxpoll) {
            if min > max {
                return Err(Error::at(
                    column,
                    ErrorKind::MinpollAboveMaxpoll {
                        minpoll: min.log2(),
                        maxpoll: max.log2(),
                    },
                ));
            }
        }
        Ok(())
    }

    /// Writes the options, each preceded by a space.
    pub fn write_to(&self, w: &mut dyn fmt::Write) -> fmt::Result {
        for (word, flag) in FLAG_WORDS {
            if self.flags.contains(flag) {
                write!(w, " {word}")?;
            }
        }
        if let Some(k) = self.key {
            write!(w, " key {k}")?;
        }
        if let Some(v) = self.version {
            write!(w, " version {v}")?;
        }
        if let Some(p) = self.minpoll {
            write!(w, " minpoll {}", p.log2())?;
        }
        if let Some(p) = self.maxpoll {
            write!(w, " maxpoll {}", p.log2())?;
        }
        if let Some(m) = self.mode {
            write!(w, " mode {m}")?;
        }
        if let Some(t) = self.ttl {
            write!(w, " ttl {t}")?;
        }
        Ok(())
    }
}

impl Association {
    /// Parses the rest of a `server`/`peer`/`pool`/`broadcast` line.
    pub(crate) fn parse(kind: AssociationKind, cursor: &mut Cursor<'_>) -> Result<Self, Error> {
        let directive = kind.directive();
        let mut token = required(cursor, directive, "an address")?;
        let family = AddressFamily::from_word(token.text);
        if family.is_some() {
            token = required(cursor, directive, "an address")?;
        }
        let address = Address::parse(&token, directive)?;
        let mut options = AssociationOptions::default();
        while let Some(word) = cursor.next_token()? {
            if !options.parse_one(&word, cursor)? {
                let unsupported = match word.text {
                    "autokey" => Some("Autokey"),
                    "nts" | "ask" | "require" | "noval" | "ca" | "cert" | "aead" => {
                        Some("Network Time Security (NTS)")
                    }
                    "port" => Some("a server port other than 123"),
                    _ => None,
                };
                let kind = if let Some(what) = unsupported {
                    ErrorKind::Unsupported {
                        what,
                        word: Snippet::new(word.text),
                    }
                } else {
                    ErrorKind::UnknownOption {
                        directive,
                        word: Snippet::new(word.text),
                    }
                };
                return Err(Error::at(word.column, kind));
            }
        }
        options.check(token.column)?;
        Ok(Association {
            kind,
            family,
            address,
            options,
        })
    }

    /// Writes the line (without newline).
    pub fn write_to(&self, w: &mut dyn fmt::Write) -> fmt::Result {
        w.write_str(self.kind.directive())?;
        if let Some(f) = self.family {
            write!(w, " {}", f.as_str())?;
        }
        write!(w, " {}", self.address)?;
        self.options.write_to(w)
    }
}

impl fmt::Display for Association {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_to(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::{String, ToString};

    fn parse(kind: AssociationKind, rest: &str) -> Result<Association, Error> {
        Association::parse(kind, &mut Cursor::new(rest))
    }

    #[test]
    fn server_with_options() {
        let a = parse(
            AssociationKind::Server,
            "-4 ntp1.example.org iburst key 3 minpoll 4 maxpoll 6",
        )
        .unwrap();
        assert_eq!(a.family, Some(AddressFamily::V4));
        assert_eq!(a.options.key, Some(KeyId(3)));
        assert_eq!(a.options.minpoll, Some(PollInterval::from_log2(4)));
        assert_eq!(a.options.maxpoll, Some(PollInterval::from_log2(6)));
        assert!(a.options.flags.contains(AssociationFlags::IBURST));
        let mut s = String::new();
        a.write_to(&mut s).unwrap();
        assert_eq!(
            s,
            "server -4 ntp1.example.org iburst key 3 minpoll 4 maxpoll 6"
        );
    }

    #[test]
    fn option_errors_name_the_word() {
        let e = parse(AssociationKind::Server, "10.0.0.1 maxpoll 18").unwrap_err();
        assert_eq!(e.column, 18);
        assert_eq!(e.kind.to_string(), "`maxpoll 18` is out of range 3..17");
        let e = parse(AssociationKind::Peer, "10.0.0.1 ibrust").unwrap_err();
        assert_eq!(e.kind.to_string(), "`ibrust` is not an option of `peer`");
        let e = parse(AssociationKind::Server, "10.0.0.1 minpoll").unwrap_err();
        assert_eq!(
            (e.column, e.kind.to_string()),
            (
                17,
                "`minpoll` needs a poll exponent in log2 s (3..17)".to_string()
            )
        );
        let e = parse(AssociationKind::Server, "10.0.0.1 minpoll 10 maxpoll 6").unwrap_err();
        assert_eq!(
            e.kind,
            ErrorKind::MinpollAboveMaxpoll {
                minpoll: 10,
                maxpoll: 6
            }
        );
        let e = parse(AssociationKind::Server, "").unwrap_err();
        assert_eq!(e.kind.to_string(), "`server` needs an address");
    }
}
