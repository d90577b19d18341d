//! [`SystemConfig`]: the system-wide settings (`tos`, `tinker`, `enable` /
//! `disable`, the drift value) the core starts with.

use crate::access::RateParams;
use crate::discipline::DisciplineConfig;
use crate::select::SelectParams;
use crate::time::Frequency;

/// System-wide settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SystemConfig {
    /// Precision of the local clock, log2 s (ntpd measures it; firmware knows
    /// it from its timer: -20 ≈ 1 µs, -24 ≈ 60 ns).
    pub precision: i8,
    /// Selection parameters (`tos minsane minclock maxclock mindist maxdist`).
    pub select: SelectParams,
    /// Clock discipline parameters (`tinker`, step/panic thresholds, `-g`, `-x`).
    pub discipline: DisciplineConfig,
    /// A frequency correction saved earlier (drift file), ppm.
    pub saved_frequency: Option<Frequency>,
    /// Rate limits for `restrict … limited` (`discard average/minimum`).
    pub rate_limit: RateParams,
    /// Whether unauthenticated mode 1 packets may mobilise a symmetric passive
    /// association (ntpd `disable auth`); default false.
    pub allow_unauthenticated_peers: bool,
    /// Whether mode 5 packets mobilise broadcast client associations
    /// (`broadcastclient`).
    pub broadcast_client: bool,
    /// One-way delay assumed for broadcast servers (`broadcastdelay`, 2^-32 s);
    /// `None` = measure it with a client volley first.
    pub broadcast_delay: Option<crate::time::NtpDuration>,
    /// Serve time to clients (mode 3 → 4). Default true.
    pub serve: bool,
    /// Key id of the mode 6 `controlkey`, if any.
    pub control_key: Option<crate::auth::KeyId>,
}

impl Default for SystemConfig {
    fn default() -> Self {
        SystemConfig {
            precision: -20,
            select: SelectParams::DEFAULT,
            discipline: DisciplineConfig::default(),
            saved_frequency: None,
            rate_limit: RateParams::default(),
            allow_unauthenticated_peers: false,
            broadcast_client: false,
            broadcast_delay: None,
            serve: true,
            control_key: None,
        }
    }
}
