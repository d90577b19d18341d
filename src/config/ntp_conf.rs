//! The ntp.conf parser: one line at a time into a [`Config`].
//!
//! Owns [`Parser`] (feed lines, e.g. from a [`LineReader`](super::LineReader) while a file is
//! read in chunks), [`parse`] (a whole file held in memory) and [`Parsed`] (the configuration
//! plus warnings). Directive words are case-sensitive, as in ntpd.
//!
//! Decisions:
//! * `manycastserver` and `multicastclient` are parsed (their addresses must be valid) and then
//!   ignored with a warning: manycast is not implemented, and the rest of the file is still
//!   useful (a firmware image with a fallback server keeps working).
//! * The ntpd 3 directives `resolver`, `authenticate`, `monitor` and `authdelay` are accepted
//!   with an "obsolete" warning; their arguments are not checked. So are `mru`, `rlimit`,
//!   `qos` and `saveconfigdir`, which tune ntpd's own process.
//! * ntpd directives for features we do not have (`includefile`, Autokey's `crypto`,
//!   `manycastclient`, `trap`, `leapsmearinterval`, ...) are errors that say "not supported",
//!   so a configuration never silently loses something it relies on.
//! * ntpsec's `refclock NAME ...` becomes a `server 127.127.T.U` association plus a `fudge`;
//!   its `path`/`ppspath` go where ntpd 4.2.8's `device ... timedata/ppsdata` go.
//! * A list that is full is an error ([`ErrorKind::TooMany`]), never silently cut.

use super::address::Address;
use super::association::{Association, AssociationKind};
use super::capacities::{MAX_FILEGENS, MAX_INTERFACE_RULES, MAX_LOGCONFIG, MAX_SETVARS, PATH_LEN};
use super::device::parse_device;
use super::error::{Error, ErrorKind, Snippet, Warning, WarningKind, Warnings};
use super::flags::parse_flags;
use super::interface::InterfaceRule;
use super::keys::parse_key_id;
use super::lexer::{Cursor, Token};
use super::logging::{FileGen, LogConfigItem, parse_stats};
use super::model::{Config, Path};
use super::refclock::{Fudge, parse_fudge, parse_refclock};
use super::restrict::Restrict;
use super::setvar::SetVar;
use super::value::{at_least_one, bounded, end_of_line, int, required, seconds_in};
use crate::auth::KeyId;
use crate::time::NtpDuration;

/// A parsed file: the configuration and what was accepted with a warning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed<const S: usize, const R: usize, const K: usize> {
    /// The configuration.
    pub config: Config<S, R, K>,
    /// Warnings with their lines.
    pub warnings: Warnings,
}

impl<const S: usize, const R: usize, const K: usize> core::fmt::Display for Parsed<S, R, K> {
    /// The configuration as ntp.conf text, then each warning as a `# warning:` comment line
    /// (so the output still parses), then how many warnings did not fit.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Display::fmt(&self.config, f)?;
        for w in self.warnings.as_slice() {
            writeln!(f, "# {w}")?;
        }
        if self.warnings.dropped() > 0 {
            writeln!(f, "# ... and {} more warnings", self.warnings.dropped())?;
        }
        Ok(())
    }
}

/// Line-by-line ntp.conf parser with capacities `S`, `R`, `K` (see [`Config`]).
#[derive(Clone, Debug, Default)]
pub struct Parser<const S: usize, const R: usize, const K: usize> {
    config: Config<S, R, K>,
    warnings: Warnings,
    line: u32,
    /// (line, column) of each association, for the cross-checks in `finish`.
    association_at: heapless::Vec<(u32, u32), S>,
    /// (line, column) where each fudge entry was first written.
    fudge_at: heapless::Vec<(u32, u32), S>,
}

/// chrony.conf directives, to explain why a chrony file does not load.
const CHRONY_WORDS: [&str; 28] = [
    "allow",
    "deny",
    "bindaddress",
    "bindcmdaddress",
    "cmdallow",
    "cmddeny",
    "cmdport",
    "port",
    "local",
    "keyfile",
    "makestep",
    "rtcsync",
    "pidfile",
    "logdir",
    "log",
    "maxupdateskew",
    "hwtimestamp",
    "leapsectz",
    "ratelimit",
    "clientloglimit",
    "dumpdir",
    "initstepslew",
    "maxdistance",
    "minsources",
    "ntsdumpdir",
    "sourcedir",
    "confdir",
    "lock_all",
];

const OBSOLETE: [&str; 4] = ["resolver", "authenticate", "monitor", "authdelay"];

/// ntpd directives that tune ntpd's own process; accepted with a warning, no effect here.
const PROCESS_TUNING: [&str; 4] = ["mru", "rlimit", "qos", "saveconfigdir"];

/// ntpd directives this implementation does not provide: an error saying so.
const UNSUPPORTED: [(&str, &str); 11] = [
    ("includefile", "including other files"),
    ("crypto", "Autokey"),
    ("revoke", "Autokey"),
    ("automax", "Autokey"),
    ("ident", "Autokey"),
    ("manycastclient", "manycast"),
    ("trap", "mode 6 traps"),
    ("leapsmearinterval", "leap smearing"),
    ("phone", "the modem reference clock"),
    ("unpeer", "run-time reconfiguration"),
    ("ntpsigndsocket", "MS-SNTP signing"),
];

fn too_many(what: &'static str, capacity: usize, column: u32) -> Error {
    Error::at(column, ErrorKind::TooMany { what, capacity })
}

fn path(cursor: &mut Cursor<'_>, directive: &'static str) -> Result<Path, Error> {
    let t = required(cursor, directive, "a file path")?;
    let p = bounded::<PATH_LEN>(&t, "path")?;
    end_of_line(cursor, directive)?;
    Ok(p)
}

fn key_id(cursor: &mut Cursor<'_>, directive: &'static str) -> Result<KeyId, Error> {
    let t = required(cursor, directive, "a key id (1..65535)")?;
    let k = parse_key_id(&t, directive)?;
    end_of_line(cursor, directive)?;
    Ok(k)
}

/// Copies the `Some` fields of `new` over `old`.
fn merge_fudge(old: &mut Fudge, new: &Fudge) {
    old.time1 = new.time1.or(old.time1);
    old.time2 = new.time2.or(old.time2);
    old.stratum = new.stratum.or(old.stratum);
    old.refid = new.refid.or(old.refid);
    for (o, n) in old.flags.iter_mut().zip(new.flags) {
        *o = n.or(*o);
    }
}

impl<const S: usize, const R: usize, const K: usize> Parser<S, R, K> {
    /// A parser before line 1.
    pub fn new() -> Self {
        Parser {
            config: Config::default(),
            warnings: Warnings::new(),
            line: 0,
            association_at: heapless::Vec::new(),
            fudge_at: heapless::Vec::new(),
        }
    }

    /// Number of lines fed so far.
    pub fn line(&self) -> u32 {
        self.line
    }

    /// The configuration so far.
    pub fn config(&self) -> &Config<S, R, K> {
        &self.config
    }

    /// The configuration and warnings.
    ///
    /// Cross-checks add warnings (after the per-line ones): an association using a key that
    /// `trustedkey` does not list (its packets would never authenticate), and a `fudge` for a
    /// reference clock that no `server` line configures.
    pub fn finish(mut self) -> Parsed<S, R, K> {
        let c = &self.config;
        for (a, &(line, column)) in c.associations.iter().zip(&self.association_at) {
            if let Some(key) = a.options.key {
                if !c.trusted_keys.contains(&key) {
                    let kind = WarningKind::UntrustedKey { key: key.0 };
                    self.warnings.push(Warning { line, column, kind });
                }
            }
        }
        for (f, &(line, column)) in c.fudges.iter().zip(&self.fudge_at) {
            let used = c
                .associations
                .iter()
                .any(|a| a.address == Address::Refclock(f.clock));
            if !used {
                let kind = WarningKind::FudgeWithoutServer { clock: f.clock };
                self.warnings.push(Warning { line, column, kind });
            }
        }
        Parsed {
            config: self.config,
            warnings: self.warnings,
        }
    }

    /// Parses the next line (without its line break). After an error the configuration holds
    /// everything before the bad line; callers normally stop.
    pub fn feed_line(&mut self, line: &str) -> Result<(), Error> {
        self.line = self.line.saturating_add(1);
        let n = self.line;
        self.directive(line).map_err(|e| e.on_line(n))
    }

    fn warn(&mut self, column: u32, kind: WarningKind) {
        self.warnings.push(Warning {
            line: self.line,
            column,
            kind,
        });
    }

    fn add_association(&mut self, a: Association, column: u32) -> Result<(), Error> {
        let full = || {
            too_many(
                "associations (server, peer, pool, broadcast, refclock)",
                S,
                column,
            )
        };
        self.config.associations.push(a).map_err(|_| full())?;
        self.association_at
            .push((self.line, column))
            .map_err(|_| full())
    }

    fn add_fudge(&mut self, f: Fudge, column: u32) -> Result<(), Error> {
        if let Some(old) = self.config.fudges.iter_mut().find(|o| o.clock == f.clock) {
            merge_fudge(old, &f);
            return Ok(());
        }
        let full = || too_many("fudge entries", S, column);
        self.config.fudges.push(f).map_err(|_| full())?;
        self.fudge_at.push((self.line, column)).map_err(|_| full())
    }

    fn directive(&mut self, line: &str) -> Result<(), Error> {
        let mut cursor = Cursor::new(line);
        let Some(word) = cursor.next_token()? else {
            return Ok(());
        };
        let col = word.column;
        let c = &mut cursor;
        match word.text {
            "server" | "peer" | "pool" | "broadcast" => {
                let kind = match word.text {
                    "server" => AssociationKind::Server,
                    "peer" => AssociationKind::Peer,
                    "pool" => AssociationKind::Pool,
                    _ => AssociationKind::Broadcast,
                };
                let a = Association::parse(kind, c)?;
                self.add_association(a, col)?;
            }
            "refclock" => {
                let (a, f) = parse_refclock(c, &mut self.config.devices)?;
                self.add_association(a, col)?;
                if !f.is_empty() {
                    self.add_fudge(f, col)?;
                }
            }
            "fudge" => {
                let f = parse_fudge(c)?;
                self.add_fudge(f, col)?;
            }
            "device" => parse_device(c, &mut self.config.devices)?,
            "manycastserver" | "multicastclient" => {
                let directive = if word.text == "manycastserver" {
                    "manycastserver"
                } else {
                    "multicastclient"
                };
                let mut count = 0u32;
                while let Some(t) = c.next_token()? {
                    Address::parse(&t, directive)?;
                    count = count.saturating_add(1);
                }
                if count == 0 && directive == "manycastserver" {
                    return Err(Error::at(
                        c.end_column(),
                        ErrorKind::MissingArgument {
                            directive,
                            what: "an address",
                        },
                    ));
                }
                let reason = "manycast and multicast client modes are not supported";
                self.warn(col, WarningKind::Ignored { directive, reason });
            }
            "broadcastclient" => {
                self.config.broadcast_client = Some(match c.next_token()? {
                    None => true,
                    Some(Token { text: "yes", .. }) => true,
                    Some(Token { text: "no", .. }) => false,
                    Some(t) => {
                        return Err(Error::at(
                            t.column,
                            ErrorKind::UnknownOption {
                                directive: "broadcastclient",
                                word: Snippet::new(t.text),
                            },
                        ));
                    }
                });
                end_of_line(c, "broadcastclient")?;
            }
            "broadcastdelay" => {
                let t = required(c, "broadcastdelay", "a delay in seconds")?;
                let d = seconds_in(
                    &t,
                    "broadcastdelay",
                    NtpDuration::ZERO,
                    NtpDuration::ONE_SECOND,
                    "0..1",
                )?;
                self.config.broadcast_delay = Some(d);
                end_of_line(c, "broadcastdelay")?;
            }
            "driftfile" => self.config.driftfile = Some(path(c, "driftfile")?),
            "keys" => self.config.keys_file = Some(path(c, "keys")?),
            "logfile" => self.config.logfile = Some(path(c, "logfile")?),
            "statsdir" => self.config.statsdir = Some(path(c, "statsdir")?),
            "restrict" => {
                let r = Restrict::parse(c)?;
                self.config
                    .restrictions
                    .push(r)
                    .map_err(|_| too_many("restrict entries", R, col))?;
            }
            "trustedkey" => {
                let mut any = false;
                while let Some(t) = c.next_token()? {
                    let k = parse_key_id(&t, "trustedkey")?;
                    any = true;
                    if !self.config.trusted_keys.contains(&k) {
                        self.config
                            .trusted_keys
                            .push(k)
                            .map_err(|_| too_many("trusted keys", K, t.column))?;
                    }
                }
                at_least_one(any, c, "trustedkey", "a key id (1..65535)")?;
            }
            "requestkey" => self.config.request_key = Some(key_id(c, "requestkey")?),
            "controlkey" => self.config.control_key = Some(key_id(c, "controlkey")?),
            "tinker" => self.config.tinker.parse_into(c)?,
            "tos" => self.config.tos.parse_into(c)?,
            "precision" => {
                let t = required(c, "precision", "a precision in log2 s (-32..0)")?;
                self.config.precision = Some(int(&t, "precision", -32, 0, "-32..0")?);
                end_of_line(c, "precision")?;
            }
            "logconfig" => {
                let mut any = false;
                while let Some(t) = c.next_token()? {
                    let item = LogConfigItem::parse(&t)?;
                    any = true;
                    self.config
                        .logconfig
                        .push(item)
                        .map_err(|_| too_many("logconfig items", MAX_LOGCONFIG, t.column))?;
                }
                at_least_one(any, c, "logconfig", "a keyword such as `all`")?;
            }
            "statistics" => {
                let mut any = false;
                while let Some(t) = c.next_token()? {
                    self.config.statistics |= parse_stats(&t, "statistics")?;
                    any = true;
                }
                at_least_one(any, c, "statistics", "a statistics name")?;
            }
            "filegen" => {
                let g = FileGen::parse(c)?;
                if let Some(old) = self.config.filegens.iter_mut().find(|o| o.stats == g.stats) {
                    old.file = g.file.or(old.file.take());
                    old.kind = g.kind.or(old.kind);
                    old.link = g.link.or(old.link);
                    old.enable = g.enable.or(old.enable);
                } else {
                    self.config
                        .filegens
                        .push(g)
                        .map_err(|_| too_many("filegen lines", MAX_FILEGENS, col))?;
                }
            }
            "setvar" => {
                let v = SetVar::parse(c)?;
                if let Some(old) = self.config.setvars.iter_mut().find(|o| o.name == v.name) {
                    *old = v;
                } else {
                    self.config
                        .setvars
                        .push(v)
                        .map_err(|_| too_many("setvar lines", MAX_SETVARS, col))?;
                }
            }
            "enable" => {
                let f = parse_flags("enable", c)?;
                self.config.enable |= f;
                self.config.disable &= !f;
            }
            "disable" => {
                let f = parse_flags("disable", c)?;
                self.config.disable |= f;
                self.config.enable &= !f;
            }
            "interface" | "nic" => {
                let r = InterfaceRule::parse(c)?;
                self.config
                    .interfaces
                    .push(r)
                    .map_err(|_| too_many("interface rules", MAX_INTERFACE_RULES, col))?;
            }
            "leapfile" => self.config.leapfile = Some(path(c, "leapfile")?),
            "discard" => self.config.discard.parse_into(c)?,
            w if OBSOLETE.contains(&w) => {
                let directive = OBSOLETE
                    .iter()
                    .find(|o| **o == w)
                    .copied()
                    .unwrap_or("obsolete");
                self.warn(col, WarningKind::Obsolete { directive });
            }
            w if PROCESS_TUNING.contains(&w) => {
                let directive = PROCESS_TUNING
                    .iter()
                    .find(|o| **o == w)
                    .copied()
                    .unwrap_or("?");
                let reason = "it tunes ntpd's own process";
                self.warn(col, WarningKind::Ignored { directive, reason });
            }
            w if UNSUPPORTED.iter().any(|(d, _)| *d == w) => {
                let what = UNSUPPORTED
                    .iter()
                    .find(|(d, _)| *d == w)
                    .map_or("this", |(_, r)| *r);
                return Err(Error::at(
                    col,
                    ErrorKind::Unsupported {
                        what,
                        word: Snippet::new(w),
                    },
                ));
            }
            w => {
                let hint = CHRONY_WORDS
                    .contains(&w)
                    .then_some("a chrony.conf directive; sundial reads ntpd's ntp.conf syntax");
                return Err(Error::at(
                    col,
                    ErrorKind::UnknownDirective {
                        word: Snippet::new(w),
                        hint,
                    },
                ));
            }
        }
        Ok(())
    }
}

/// Parses a whole ntp.conf held in memory.
pub fn parse<const S: usize, const R: usize, const K: usize>(
    text: &str,
) -> Result<Parsed<S, R, K>, Error> {
    let mut parser = Parser::<S, R, K>::new();
    for line in text.lines() {
        parser.feed_line(line)?;
    }
    Ok(parser.finish())
}
