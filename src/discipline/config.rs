//! [`DisciplineConfig`]: the discipline's tunables (ntpd's `tinker` values
//! and command-line switches).

use crate::time::{Frequency, NtpDuration, PollInterval};

/// How the clock discipline may move the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DisciplineConfig {
    /// Offsets above this are stepped (after [`stepout`](Self::stepout) once
    /// synchronised); `None` never steps and slews everything (`ntpd -x`).
    /// Default 128 ms (2^-32 s).
    pub step_threshold: Option<NtpDuration>,
    /// Offsets above this are refused with a panic event; `None` disables
    /// the check. Default 1000 s.
    pub panic_threshold: Option<NtpDuration>,
    /// Allow one step beyond the panic threshold at start (`ntpd -g`).
    pub allow_first_big_step: bool,
    /// How long an offset above the step threshold must persist before it
    /// is stepped (ignored as a spike until then). Default 900 s.
    pub stepout: NtpDuration,
    /// Largest drift correction, ppm. Default 500 ppm.
    pub frequency_tolerance: Frequency,
    /// Largest temporary slew on top of the drift correction, ppm. Default
    /// 50 000 ppm (together at most [`crate::adjust::MAX_FREQUENCY_PPM`]).
    pub max_slew: Frequency,
    /// Shortest poll interval (log2 s). Default 6.
    pub minpoll: PollInterval,
    /// Longest poll interval (log2 s). Default 10.
    pub maxpoll: PollInterval,
}

impl DisciplineConfig {
    /// ntpd's defaults.
    pub const DEFAULT: DisciplineConfig = DisciplineConfig {
        step_threshold: Some(NtpDuration::from_millis(128)),
        panic_threshold: Some(NtpDuration::from_seconds(1000)),
        allow_first_big_step: false,
        stepout: NtpDuration::from_seconds(900),
        frequency_tolerance: Frequency::from_ppm(500),
        max_slew: Frequency::from_ppm(50_000),
        minpoll: PollInterval::DEFAULT_MIN,
        maxpoll: PollInterval::DEFAULT_MAX,
    };
}

impl Default for DisciplineConfig {
    fn default() -> DisciplineConfig {
        DisciplineConfig::DEFAULT
    }
}
