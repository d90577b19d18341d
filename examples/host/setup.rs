//! Builds the core ([`Ntp`]) from a parsed ntp.conf: system settings, keys, restrictions,
//! associations and reference clocks.
//!
//! Almost nothing here is host-specific (only reading the keys file and resolving host names):
//! a second adapter (firmware with a config blob) would need the same mapping, so it is a
//! candidate to move into `src/` (e.g. `system::from_config`).

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

use sundial::association::{AssociationConfig, AssociationMode, PollConfig};
use sundial::auth::KeyId;
use sundial::config::{Address, AddressFamily, AssociationFlags, AssociationKind, DefaultConfig};
use sundial::refclock::Refclock;
use sundial::select::CandidateFlags;
use sundial::system::{Ntp, SystemConfig};
use sundial::time::{Frequency, NtpTime};

/// The core as the daemon holds it: up to 16 associations and 16 keys.
pub type Core = Ntp<16, 16>;

/// Command-line settings that change how the configuration is applied.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// `-g`: allow the first step, however big.
    pub allow_big_first_step: bool,
    /// `-x`: never step (slew only, as far as the discipline allows).
    pub slew_only: bool,
    /// Drift file value read at start (ppm).
    pub saved_frequency: Option<Frequency>,
    /// Extra client associations from the command line, with their ports (`--server`).
    pub servers: Vec<SocketAddr>,
    /// Extra symmetric active associations (`--peer`).
    pub peers: Vec<SocketAddr>,
    /// Key for the command-line associations.
    pub key: Option<u32>,
    /// minpoll / maxpoll (log2 s) for the command-line associations.
    pub minpoll: Option<i8>,
    /// See `minpoll`.
    pub maxpoll: Option<i8>,
}

/// The system settings the config asks for.
pub fn system_config(conf: &DefaultConfig, o: &Overrides) -> SystemConfig {
    let mut s = SystemConfig::default();
    if let Some(p) = conf.precision {
        s.precision = p;
    }
    let tos = &conf.tos;
    if let Some(v) = tos.minsane {
        s.select.minsane = v;
    }
    if let Some(v) = tos.minclock {
        s.select.minclock = v;
    }
    if let Some(v) = tos.maxclock {
        s.select.maxclock = v;
    }
    if let Some(v) = tos.mindist {
        s.select.mindist = v;
    }
    if let Some(v) = tos.maxdist {
        s.select.maxdist = v;
    }
    let t = &conf.tinker;
    if let Some(v) = t.step {
        s.discipline.step_threshold = (v.to_bits() > 0).then_some(v);
    }
    if let Some(v) = t.panic {
        s.discipline.panic_threshold = (v.to_bits() > 0).then_some(v);
    }
    if let Some(v) = t.stepout {
        s.discipline.stepout = v;
    }
    if o.allow_big_first_step {
        s.discipline.allow_first_big_step = true;
    }
    if o.slew_only {
        s.discipline.step_threshold = None;
    }
    s.saved_frequency = o.saved_frequency.or(t.freq);
    s.control_key = conf.control_key;
    s.broadcast_client = conf.broadcast_client.unwrap_or(false);
    s.broadcast_delay = conf.broadcast_delay;
    s
}

fn resolve(addr: &Address, family: Option<AddressFamily>) -> Result<IpAddr, String> {
    match addr {
        Address::Ip(ip) => Ok(*ip),
        Address::Host(name) => (name.as_str(), 123)
            .to_socket_addrs()
            .map_err(|e| format!("{name}: {e}"))?
            .map(|sa| sa.ip())
            .find(|ip| match family {
                Some(AddressFamily::V4) => ip.is_ipv4(),
                Some(AddressFamily::V6) => ip.is_ipv6(),
                None => true,
            })
            .ok_or_else(|| format!("{name}: no address")),
        Address::Refclock(id) => Err(format!("reference clock {id:?} is not a network address")),
    }
}

fn candidate_flags(f: AssociationFlags) -> CandidateFlags {
    let mut c = CandidateFlags::empty();
    if f.contains(AssociationFlags::PREFER) {
        c |= CandidateFlags::PREFER;
    }
    if f.contains(AssociationFlags::NOSELECT) {
        c |= CandidateFlags::NOSELECT;
    }
    if f.contains(AssociationFlags::TRUE) {
        c |= CandidateFlags::TRUE;
    }
    c
}

/// Builds the core at local time `now`: keys (`keys_text` is the keys file, if any), restrict
/// list, associations and local reference clocks. Returns the core and warnings.
pub fn build(
    conf: &DefaultConfig,
    keys_text: Option<&str>,
    o: &Overrides,
    now: NtpTime,
    seed: [u8; 16],
) -> Result<(Core, Vec<String>), String> {
    let mut warnings = Vec::new();
    let mut ntp = Core::new(system_config(conf, o), now, seed);
    if let Some(text) = keys_text {
        let parsed =
            sundial::config::parse_keys::<16>(text).map_err(|e| format!("keys file: {e}"))?;
        for w in parsed.warnings.as_slice().iter() {
            warnings.push(format!("keys file: {w}"));
        }
        for (key, _) in parsed.keys.iter() {
            let trusted =
                conf.trusted_keys.contains(&key.id()) || o.key.map(KeyId) == Some(key.id());
            ntp.keys_mut()
                .insert(key.clone(), trusted)
                .map_err(|_| "too many keys".to_string())?;
        }
    }
    let (list, source) = sundial::access::RestrictList::from_config(&conf.restrictions)
        .map_err(|e| format!("restrict: {e:?}"))?;
    ntp.access_mut().restrict = list;
    let add =
        |ntp: &mut Core, cfg: AssociationConfig, flags: CandidateFlags| -> Result<(), String> {
            if let Some(src) = source {
                let host_prefix = if cfg.remote.is_ipv4() { 32 } else { 128 };
                let _ = ntp
                    .access_mut()
                    .restrict
                    .add_prefix(cfg.remote.ip(), host_prefix, src);
            }
            ntp.add_association(cfg, flags, now)
                .map(drop)
                .map_err(|e| format!("association {}: {e:?}", cfg.remote))
        };
    for a in conf.associations.iter() {
        if let Address::Refclock(id) = a.address {
            let fudge: sundial::refclock::Fudge =
                conf.fudge(id).map(Into::into).unwrap_or_default();
            match Refclock::new(id, a.options.mode.unwrap_or(0), fudge) {
                Ok(driver) if driver.serial_settings().is_none() && driver.pps_edge().is_none() => {
                    ntp.add_refclock(driver, None, candidate_flags(a.options.flags), now)
                        .map_err(|e| format!("refclock {id:?}: {e:?}"))?;
                }
                Ok(_) => warnings.push(format!(
                    "refclock {}: needs a device; not supported by this daemon",
                    a.address
                )),
                Err(e) => warnings.push(format!("refclock {}: {e:?}", a.address)),
            }
            continue;
        }
        let ip = match resolve(&a.address, a.family) {
            Ok(ip) => ip,
            Err(e) => {
                warnings.push(e);
                continue;
            }
        };
        let remote = SocketAddr::new(ip, 123);
        let mut cfg = match a.kind {
            AssociationKind::Server | AssociationKind::Pool => AssociationConfig::client(remote),
            AssociationKind::Peer => AssociationConfig::symmetric_active(remote),
            AssociationKind::Broadcast => AssociationConfig::broadcast_server(remote),
        };
        let opts = &a.options;
        cfg.version = opts.version.unwrap_or(4);
        cfg.key = opts.key;
        let mut poll = PollConfig::DEFAULT;
        if let Some(p) = opts.minpoll {
            poll.minpoll = p;
        }
        if let Some(p) = opts.maxpoll {
            poll.maxpoll = p;
        }
        poll.burst = opts.flags.contains(AssociationFlags::BURST);
        poll.iburst = opts.flags.contains(AssociationFlags::IBURST);
        cfg.poll = poll;
        cfg.interleaved =
            opts.flags.contains(AssociationFlags::XLEAVE) && cfg.mode == AssociationMode::Client;
        add(&mut ntp, cfg, candidate_flags(opts.flags))?;
    }
    let cli = o
        .servers
        .iter()
        .map(|a| (a, false))
        .chain(o.peers.iter().map(|a| (a, true)));
    for (addr, peer) in cli {
        let mut cfg = if peer {
            AssociationConfig::symmetric_active(*addr)
        } else {
            AssociationConfig::client(*addr)
        };
        cfg.key = o.key.map(KeyId);
        let mut poll = PollConfig::DEFAULT;
        poll.iburst = true;
        if let Some(p) = o.minpoll {
            poll.minpoll = sundial::time::PollInterval::from_log2(p);
        }
        if let Some(p) = o.maxpoll {
            poll.maxpoll = sundial::time::PollInterval::from_log2(p);
        }
        cfg.poll = poll;
        add(&mut ntp, cfg, CandidateFlags::empty())?;
    }
    Ok((ntp, warnings))
}
