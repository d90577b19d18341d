//! Configuration: ntp.conf and keys files parsed into typed values, in `no_std` without
//! allocation, with errors that name the line, the column and the word.
//!
//! This module owns the file formats only: it turns text into [`Config`] / [`ParsedKeys`] and back.
//! It does not resolve host names, open files, or apply anything; the modules that act on a
//! setting (`association`, `access`, `discipline`, ...) read it from here. It imports only
//! [`crate::time`] and, for key values, [`crate::auth`] (which never imports `config`).
//!
//! ```
//! use sundial::config::{parse, SmallConfig};
//! let text = "server 192.0.2.1 iburst\ndriftfile /var/lib/ntp/ntp.drift\n";
//! let parsed = parse::<8, 16, 8>(text).unwrap();
//! let config: SmallConfig = parsed.config;
//! assert_eq!(config.associations.len(), 1);
//!
//! let err = parse::<8, 16, 8>("server 192.0.2.1 maxpoll 18\n").unwrap_err();
//! assert_eq!(err.to_string(), "line 1, column 26: `maxpoll 18` is out of range 3..17");
//! ```
//!
//! ## What is read
//!
//! | directive | stored in | notes |
//! |---|---|---|
//! | `server` `peer` `pool` `broadcast` ADDR options | [`Config::associations`] | `-4`/`-6`; options `key` `version` `minpoll` `maxpoll` `mode`/`subtype` `ttl` `iburst` `burst` `prefer` `noselect` `true` `preempt` `xleave` |
//! | `refclock NAME [unit N] ...` (ntpsec) | association + [`Config::fudges`] (+ [`Config::devices`]) | `path`/`ppspath` kept; NMEA `baud` becomes `mode` speed bits |
//! | `fudge 127.127.T.U` `time1` `time2` `stratum` `refid` `flag1..4` | [`Config::fudges`] | repeated lines merge |
//! | `device 127.127.T.U [timedata PATH] [ppsdata PATH]` (ntpd 4.2.8) | [`Config::devices`] | at most 4 paths |
//! | `restrict [-4\|-6] default\|source\|ADDR [mask M]\|ADDR/LEN flags` | [`Config::restrictions`] | all ntpd 4.2.8 flags; no host names |
//! | `discard` `average` `minimum` `monitor` | [`Config::discard`] | |
//! | `driftfile` `leapfile` `keys` `logfile` `statsdir` PATH | `Option<Path>` fields | quoted paths may hold spaces |
//! | `trustedkey` `requestkey` `controlkey` | key id fields | 1..65535 |
//! | `broadcastclient [yes\|no]`, `broadcastdelay S` | [`Config::broadcast_client`], [`Config::broadcast_delay`] | |
//! | `tinker` `step` `panic` `stepout` `dispersion` `allan` `freq` `huffpuff` | [`Tinker`] | seconds / ppm |
//! | `tos` `minsane` `minclock` `maxclock` `orphan` `orphanwait` `mindist` `maxdist` | [`Tos`] | |
//! | `precision N` | [`Config::precision`] | log2 s, -32..0 |
//! | `logconfig` `statistics` `filegen` | [`Config::logconfig`], [`Config::statistics`], [`Config::filegens`] | |
//! | `setvar NAME = VALUE [default]` | [`Config::setvars`] | |
//! | `enable` / `disable` | [`Config::enable`], [`Config::disable`] | |
//! | `interface` / `nic` `listen\|ignore\|drop` TARGET | [`Config::interfaces`] | |
//! | `manycastserver`, `multicastclient` | — | checked, then ignored with a warning |
//! | `resolver` `authenticate` `monitor` `authdelay` (ntpd 3), `mru` `rlimit` `qos` `saveconfigdir` | — | warning |
//! | `includefile`, Autokey, `manycastclient`, `trap`, `leapsmearinterval`, NTS options ... | — | error: not supported |
//!
//! Anything else is an error naming line, column and word (with a hint for chrony.conf words).
//! Keys files: see [`parse_keys`].
//!
//! Firmware that reads the file in chunks feeds a [`LineReader`] into a [`Parser`]:
//!
//! ```
//! use sundial::config::{LineReader, Parser};
//! let mut reader = LineReader::<128>::new();
//! let mut parser = Parser::<4, 4, 4>::new();
//! for chunk in [&b"serv"[..], b"er 10.0.0.1\npeer 10.0", b".0.2\n"] {
//!     reader.push(chunk, |line| parser.feed_line(line)).unwrap();
//! }
//! reader.finish(|line| parser.feed_line(line)).unwrap();
//! assert_eq!(parser.finish().config.associations.len(), 2);
//! ```

mod address;
mod association;
pub mod capacities;
mod device;
mod emit;
mod error;
mod flags;
mod interface;
mod keys;
mod lexer;
mod lines;
mod logging;
mod model;
mod ntp_conf;
mod refclock;
mod restrict;
mod setvar;
mod tuning;
mod value;

pub use address::{Address, AddressFamily, HostName, RefclockId};
pub use association::{Association, AssociationFlags, AssociationKind, AssociationOptions};
pub use device::{DevicePaths, DevicePathsFull, DeviceRole};
pub use error::{Error, ErrorKind, Snippet, Warning, WarningKind, Warnings};
pub use flags::SystemFlags;
pub use interface::{InterfaceAction, InterfaceRule, InterfaceTarget};
pub use keys::{KeyLine, KeysParser, ParsedKeys, parse_key_line, parse_keys};
pub use lexer::{Cursor, Token};
pub use lines::LineReader;
pub use logging::{
    FileGen, FileGenType, LogClass, LogConfigItem, LogOp, LogType, StatsKind, StatsKinds,
};
pub use model::{Config, DefaultConfig, Path, SmallConfig};
pub use ntp_conf::{Parsed, Parser, parse};
pub use refclock::{Fudge, RefId, driver_name};
pub use restrict::{Discard, Restrict, RestrictFlags, RestrictTarget};
pub use setvar::SetVar;
pub use tuning::{Tinker, Tos};
