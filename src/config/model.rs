//! The typed configuration: [`Config`] and its default-capacity aliases.
//!
//! Owns the field layout only. Parsing is in [`ntp_conf`](super::ntp_conf), writing back in
//! [`emit`](super::emit). Every list has an explicit capacity; `None` / empty means "not in
//! the file, use the default of the module that applies it".

use super::association::Association;
use super::capacities::{MAX_FILEGENS, MAX_INTERFACE_RULES, MAX_LOGCONFIG, MAX_SETVARS, PATH_LEN};
use super::device::DevicePaths;
use super::flags::SystemFlags;
use super::interface::InterfaceRule;
use super::logging::{FileGen, LogConfigItem, StatsKinds};
use super::refclock::Fudge;
use super::restrict::{Discard, Restrict};
use super::setvar::SetVar;
use super::tuning::{Tinker, Tos};
use crate::auth::KeyId;
use crate::time::NtpDuration;

/// A file path (at most [`PATH_LEN`] bytes).
pub type Path = heapless::String<PATH_LEN>;

/// A parsed ntp.conf.
///
/// Capacities: `S` associations (`server`, `peer`, `pool`, `broadcast`, reference clocks; also
/// the number of `fudge` entries), `R` `restrict` lines, `K` trusted key ids.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Config<const S: usize, const R: usize, const K: usize> {
    /// Associations in file order.
    pub associations: heapless::Vec<Association, S>,
    /// Reference clock calibrations, one per clock (later lines update earlier ones).
    pub fudges: heapless::Vec<Fudge, S>,
    /// Reference clock device paths (`device`, ntpsec `path`/`ppspath`); without one a host
    /// opens the driver's default device.
    pub devices: DevicePaths,
    /// `restrict` lines in file order.
    pub restrictions: heapless::Vec<Restrict, R>,
    /// `discard`: rate limits for `restrict ... limited`.
    pub discard: Discard,
    /// `interface` / `nic` rules in file order.
    pub interfaces: heapless::Vec<InterfaceRule, MAX_INTERFACE_RULES>,
    /// `driftfile`: where the frequency offset (ppm) is kept across restarts.
    pub driftfile: Option<Path>,
    /// `leapfile`: path of the leap seconds list (NIST/IERS `leap-seconds.list` format).
    pub leapfile: Option<Path>,
    /// `keys`: path of the keys file.
    pub keys_file: Option<Path>,
    /// `trustedkey`: key ids that may authenticate time sources.
    pub trusted_keys: heapless::Vec<KeyId, K>,
    /// `requestkey`: key for mode 7 (ntpdc) requests.
    pub request_key: Option<KeyId>,
    /// `controlkey`: key for mode 6 (ntpq) write requests.
    pub control_key: Option<KeyId>,
    /// `broadcastclient [yes|no]`.
    pub broadcast_client: Option<bool>,
    /// `broadcastdelay`: assumed one-way delay to broadcast servers (2^-32 s).
    pub broadcast_delay: Option<NtpDuration>,
    /// `tinker`.
    pub tinker: Tinker,
    /// `tos`.
    pub tos: Tos,
    /// `precision`: system precision override, log2 s (e.g. -6 ≈ 15.6 ms).
    pub precision: Option<i8>,
    /// `logfile`.
    pub logfile: Option<Path>,
    /// `logconfig` items in file order.
    pub logconfig: heapless::Vec<LogConfigItem, MAX_LOGCONFIG>,
    /// `statsdir`.
    pub statsdir: Option<Path>,
    /// `statistics`.
    pub statistics: StatsKinds,
    /// `filegen` lines, one per statistics kind.
    pub filegens: heapless::Vec<FileGen, MAX_FILEGENS>,
    /// `setvar` lines.
    pub setvars: heapless::Vec<SetVar, MAX_SETVARS>,
    /// Switches turned on by `enable`.
    pub enable: super::flags::SystemFlags,
    /// Switches turned off by `disable` (a later line wins over an earlier `enable`).
    pub disable: SystemFlags,
}

impl<const S: usize, const R: usize, const K: usize> Default for Config<S, R, K> {
    fn default() -> Self {
        Config {
            associations: heapless::Vec::new(),
            fudges: heapless::Vec::new(),
            devices: DevicePaths::new(),
            restrictions: heapless::Vec::new(),
            discard: Discard::default(),
            interfaces: heapless::Vec::new(),
            driftfile: None,
            leapfile: None,
            keys_file: None,
            trusted_keys: heapless::Vec::new(),
            request_key: None,
            control_key: None,
            broadcast_client: None,
            broadcast_delay: None,
            tinker: Tinker::default(),
            tos: Tos::default(),
            precision: None,
            logfile: None,
            logconfig: heapless::Vec::new(),
            statsdir: None,
            statistics: StatsKinds::empty(),
            filegens: heapless::Vec::new(),
            setvars: heapless::Vec::new(),
            enable: SystemFlags::empty(),
            disable: SystemFlags::empty(),
        }
    }
}

impl<const S: usize, const R: usize, const K: usize> Config<S, R, K> {
    /// The calibration of a reference clock, if the file has one.
    pub fn fudge(&self, clock: super::address::RefclockId) -> Option<&Fudge> {
        self.fudges.iter().find(|f| f.clock == clock)
    }
}

/// Capacities for a host daemon: 16 associations, 32 restrict lines, 16 trusted keys.
pub type DefaultConfig = Config<16, 32, 16>;

/// Capacities for firmware: 8 associations, 16 restrict lines, 8 trusted keys.
pub type SmallConfig = Config<8, 16, 8>;
