//! Builds the core ([`Ntp`]) for the daemon: `Ntp::from_config` (in `src/system`) does the
//! ntp.conf mapping; here only what is host-specific: the keys file is read, host names go to
//! the system resolver, and command-line associations with explicit ports are added.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

use sundial::association::{AssociationConfig, PollConfig};
use sundial::auth::KeyId;
use sundial::config::{AddressFamily, DefaultConfig, HostName};
use sundial::select::CandidateFlags;
use sundial::system::{Ntp, StartOptions};
use sundial::time::{NtpTime, PollInterval};

/// The core as the daemon holds it: up to 16 associations (4 of them
/// reference clocks) and 16 keys.
pub type Core = Ntp<16, 16, 4>;

/// Command-line settings beyond the config file.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// `-g`, `-x` and the drift value.
    pub start: StartOptions,
    /// Extra client associations with their ports (`--server ADDR:PORT`).
    pub servers: Vec<SocketAddr>,
    /// Extra symmetric active associations (`--peer ADDR:PORT`).
    pub peers: Vec<SocketAddr>,
    /// Key for the command-line associations (also trusted).
    pub key: Option<u32>,
    /// minpoll / maxpoll (log2 s) for the command-line associations.
    pub minpoll: Option<i8>,
    /// See `minpoll`.
    pub maxpoll: Option<i8>,
}

/// (machine, "sysname/release") from uname(2), as ntpd reports `processor` and `system`.
fn uname() -> Option<(String, String)> {
    // SAFETY: utsname is plain data; uname fills it.
    let u = unsafe {
        let mut u: libc::utsname = std::mem::zeroed();
        if libc::uname(&mut u) != 0 {
            return None;
        }
        u
    };
    let text = |f: &[libc::c_char]| {
        let bytes: Vec<u8> = f
            .iter()
            .take_while(|c| **c != 0)
            .map(|c| *c as u8)
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    Some((
        text(&u.machine),
        format!("{}/{}", text(&u.sysname), text(&u.release)),
    ))
}

fn resolve(name: &HostName, family: Option<AddressFamily>) -> Option<IpAddr> {
    (name.as_str(), 123)
        .to_socket_addrs()
        .ok()?
        .map(|sa| sa.ip())
        .find(|ip| match family {
            Some(AddressFamily::V4) => ip.is_ipv4(),
            Some(AddressFamily::V6) => ip.is_ipv6(),
            None => true,
        })
}

/// The core as built, with what the daemon must know about the configuration.
pub struct Built {
    /// The core.
    pub ntp: Core,
    /// Warnings to log.
    pub warnings: Vec<String>,
    /// `enable kernel`: hand the clock to the kernel PLL.
    pub kernel_discipline: bool,
}

/// Builds the core at local time `now` from `conf` and the keys file text.
pub fn build(
    conf: &DefaultConfig,
    keys_text: Option<&str>,
    o: &Overrides,
    now: NtpTime,
    seed: [u8; 16],
) -> Result<Built, String> {
    let mut warnings = Vec::new();
    let keys = match keys_text {
        Some(text) => {
            let parsed =
                sundial::config::parse_keys::<16>(text).map_err(|e| format!("keys file: {e}"))?;
            for w in parsed.warnings.as_slice() {
                warnings.push(format!("keys file: {w}"));
            }
            Some(parsed.keys)
        }
        None => None,
    };
    let (mut ntp, report) = Core::from_config(conf, keys.as_ref(), o.start, now, seed, resolve)
        .map_err(|e| e.to_string())?;
    for name in &report.unresolved {
        warnings.push(format!("{name}: could not resolve; association left out"));
    }
    if report.orphan_ignored {
        warnings.push("tos orphan is not implemented; use the local clock driver".into());
    }
    if report.tinker_ignored {
        warnings.push("tinker allan/huffpuff/dispersion are not used".into());
    }
    if let Some(id) = o.key {
        ntp.keys_mut().set_trusted(KeyId(id), true);
    }
    if let Some((machine, system)) = uname() {
        // Once per process: leaking two short strings is what gives them 'static lifetime.
        ntp.set_identity(
            Box::leak(machine.into_boxed_str()),
            Box::leak(system.into_boxed_str()),
        );
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
            poll.minpoll = PollInterval::from_log2(p);
        }
        if let Some(p) = o.maxpoll {
            poll.maxpoll = PollInterval::from_log2(p);
        }
        cfg.poll = poll;
        ntp.add_association(cfg, CandidateFlags::empty(), now)
            .map_err(|e| format!("association {addr}: {e:?}"))?;
    }
    Ok(Built {
        ntp,
        warnings,
        kernel_discipline: report.kernel_discipline,
    })
}
