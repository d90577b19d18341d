//! Building a running [`Ntp`] from a parsed ntp.conf ([`Config`]) and keys
//! file: what every driver (daemon, firmware) would otherwise write again.
//!
//! The core resolves no names: the caller passes a resolver for host names
//! (the daemon uses the system resolver; firmware may have none and return
//! `None`). Settings the core does not act on are reported, not silently
//! dropped.

use core::net::{IpAddr, SocketAddr};

use crate::access::{RestrictError, RestrictList};
use crate::association::{AssociationConfig, PollConfig};
use crate::auth::KeyTable;
use crate::config::{
    Address, AddressFamily, AssociationFlags, AssociationKind, Config, HostName, SystemFlags,
};
use crate::discipline::DisciplineConfig;
use crate::refclock::{Refclock, RefclockError};
use crate::select::{CandidateFlags, SelectParams};
use crate::time::{NtpDuration, NtpTime};

use super::{Ntp, SystemConfig, SystemError};

/// The NTP port.
pub const NTP_PORT: u16 = 123;

/// Switches from the command line that shape the configuration (ntpd's
/// `-g`, `-x`) and the drift value read from the drift file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StartOptions {
    /// `-g`: allow the first adjustment to step beyond the panic threshold.
    pub allow_first_big_step: bool,
    /// `-x`: never step; slew every offset.
    pub never_step: bool,
    /// The frequency (ppm) read from the drift file, if any.
    pub saved_frequency: Option<crate::time::Frequency>,
}

/// Why a configuration could not be applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ApplyError {
    /// Too many associations for the core's capacity, or a duplicate.
    System(SystemError),
    /// A `restrict` line does not fit or is malformed.
    Restrict(RestrictError),
    /// A reference clock driver or mode is not supported.
    Refclock(RefclockError),
    /// The keys do not fit in the key table.
    TooManyKeys,
}

impl core::fmt::Display for ApplyError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ApplyError::System(e) => write!(f, "{e}"),
            ApplyError::Restrict(e) => write!(f, "restrict: {e:?}"),
            ApplyError::Refclock(e) => write!(f, "{e}"),
            ApplyError::TooManyKeys => f.write_str("too many keys for the key table"),
        }
    }
}

/// What applying a configuration did not do, for the caller to log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplyReport {
    /// Host names the resolver could not resolve (their associations are
    /// missing; try again later).
    pub unresolved: heapless::Vec<HostName, 8>,
    /// `tos orphan` is set: orphan mode is not implemented; use the local
    /// clock driver (127.127.1.0) at a high stratum instead.
    pub orphan_ignored: bool,
    /// `tinker allan`, `huffpuff` or `dispersion` were set: the estimator
    /// does not use them.
    pub tinker_ignored: bool,
    /// `enable kernel`: the host may hand the clock to the kernel PLL.
    pub kernel_discipline: bool,
    /// `disable ntp`: the clock must not be adjusted (the caller must not
    /// apply adjustments).
    pub ntp_disabled: bool,
}

/// The system-wide settings an ntp.conf asks for.
pub fn system_config<const S: usize, const R: usize, const K: usize>(
    config: &Config<S, R, K>,
    options: StartOptions,
) -> SystemConfig {
    let defaults = SelectParams::DEFAULT;
    let tos = &config.tos;
    let select = SelectParams {
        minsane: tos.minsane.unwrap_or(defaults.minsane),
        minclock: tos.minclock.unwrap_or(defaults.minclock),
        maxclock: tos.maxclock.unwrap_or(defaults.maxclock),
        mindist: tos.mindist.unwrap_or(defaults.mindist),
        maxdist: tos.maxdist.unwrap_or(defaults.maxdist),
        ..defaults
    };
    let d = DisciplineConfig::DEFAULT;
    let t = &config.tinker;
    // ntpd: `tinker step 0` / `panic 0` disable the step / panic check.
    let nonzero = |v: NtpDuration| (v != NtpDuration::ZERO).then_some(v);
    let step_threshold = if options.never_step {
        None
    } else {
        t.step.map_or(d.step_threshold, nonzero)
    };
    let discipline = DisciplineConfig {
        step_threshold,
        panic_threshold: t.panic.map_or(d.panic_threshold, nonzero),
        allow_first_big_step: options.allow_first_big_step,
        stepout: t.stepout.unwrap_or(d.stepout),
        ..d
    };
    let disabled = |f: SystemFlags| config.disable.contains(f);
    SystemConfig {
        precision: config
            .precision
            .unwrap_or(SystemConfig::default().precision),
        select,
        discipline,
        saved_frequency: options.saved_frequency.or(t.freq),
        allow_unauthenticated_peers: disabled(SystemFlags::AUTH),
        broadcast_client: config.broadcast_client.unwrap_or(false)
            || config.enable.contains(SystemFlags::BCLIENT),
        broadcast_delay: config.broadcast_delay,
        control_key: config.control_key,
        rate_limit: crate::access::RateParams::from_config(&config.discard),
        ..SystemConfig::default()
    }
}

impl<const A: usize, const KEYS: usize, const DRV: usize, const C: usize> Ntp<A, KEYS, DRV, C> {
    /// A core built from `config` (ntp.conf) and `keys` (the keys file's
    /// table, all keys; `trustedkey` lines mark the trusted ones) at local
    /// time `now`, keyed by 16 bytes of entropy. `resolve` turns host names
    /// into addresses (`None`: unresolved, reported).
    pub fn from_config<const S: usize, const R: usize, const K: usize, const KT: usize>(
        config: &Config<S, R, K>,
        keys: Option<&KeyTable<KT>>,
        options: StartOptions,
        now: NtpTime,
        seed: [u8; 16],
        mut resolve: impl FnMut(&HostName, Option<AddressFamily>) -> Option<IpAddr>,
    ) -> Result<(Self, ApplyReport), ApplyError> {
        let mut ntp = Ntp::new(system_config(config, options), now, seed);
        let mut report = ApplyReport {
            orphan_ignored: config.tos.orphan.is_some_and(|o| o < 16),
            tinker_ignored: config.tinker.allan.is_some()
                || config.tinker.huffpuff.is_some()
                || config.tinker.dispersion.is_some(),
            kernel_discipline: config.enable.contains(SystemFlags::KERNEL)
                && !config.disable.contains(SystemFlags::KERNEL),
            ntp_disabled: config.disable.contains(SystemFlags::NTP),
            ..ApplyReport::default()
        };
        if let Some(table) = keys {
            for (key, _) in table.iter() {
                let trusted = config.trusted_keys.contains(&key.id());
                ntp.keys
                    .insert(key.clone(), trusted)
                    .map_err(|_| ApplyError::TooManyKeys)?;
            }
        }
        let (list, source_flags) =
            RestrictList::from_config(&config.restrictions).map_err(ApplyError::Restrict)?;
        ntp.access.restrict = list;
        for line in &config.associations {
            let opts = &line.options;
            let flags = selection_flags(opts.flags);
            let poll = poll_config(opts);
            let ip = match &line.address {
                Address::Refclock(id) => {
                    let fudge = config
                        .fudge(*id)
                        .map_or(crate::refclock::Fudge::NONE, Into::into);
                    let clock = Refclock::new(*id, opts.mode.unwrap_or(0), fudge)
                        .map_err(ApplyError::Refclock)?;
                    let refclock_poll =
                        (opts.minpoll.is_some() || opts.maxpoll.is_some()).then_some(poll);
                    ntp.add_refclock(clock, refclock_poll, flags, now)
                        .map_err(ApplyError::System)?;
                    continue;
                }
                Address::Ip(ip) => *ip,
                Address::Host(name) => match resolve(name, line.family) {
                    Some(ip) => ip,
                    None => {
                        let _ = report.unresolved.push(name.clone());
                        continue;
                    }
                },
            };
            let remote = SocketAddr::new(ip, NTP_PORT);
            let mut assoc = match line.kind {
                AssociationKind::Server | AssociationKind::Pool => {
                    AssociationConfig::client(remote)
                }
                AssociationKind::Peer => AssociationConfig::symmetric_active(remote),
                AssociationKind::Broadcast => AssociationConfig::broadcast_server(remote),
            };
            assoc.key = opts.key;
            assoc.poll = poll;
            assoc.interleaved = opts.flags.contains(AssociationFlags::XLEAVE);
            if let Some(v) = opts.version {
                assoc = assoc.with_version(v);
            }
            ntp.add_association(assoc, flags, now)
                .map_err(ApplyError::System)?;
            if let Some(extra) = source_flags {
                // `restrict source`: a host entry for each association's address.
                let len = if ip.is_ipv6() { 128 } else { 32 };
                ntp.access
                    .restrict
                    .add_prefix(ip, len, extra)
                    .map_err(ApplyError::Restrict)?;
            }
        }
        Ok((ntp, report))
    }
}

fn selection_flags(flags: AssociationFlags) -> CandidateFlags {
    let mut out = CandidateFlags::empty();
    if flags.contains(AssociationFlags::PREFER) {
        out |= CandidateFlags::PREFER;
    }
    if flags.contains(AssociationFlags::NOSELECT) {
        out |= CandidateFlags::NOSELECT;
    }
    if flags.contains(AssociationFlags::TRUE) {
        out |= CandidateFlags::TRUE;
    }
    out
}

fn poll_config(opts: &crate::config::AssociationOptions) -> PollConfig {
    let d = PollConfig::DEFAULT;
    let minpoll = opts.minpoll.unwrap_or(d.minpoll);
    let maxpoll = opts.maxpoll.unwrap_or(d.maxpoll.max(minpoll));
    PollConfig {
        minpoll,
        maxpoll: if maxpoll < minpoll { minpoll } else { maxpoll },
        burst: opts.flags.contains(AssociationFlags::BURST),
        iburst: opts.flags.contains(AssociationFlags::IBURST),
    }
}
