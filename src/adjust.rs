//! [`ClockAdjustment`]: the one value the core hands to whoever owns the clock.
//!
//! The core never touches a clock. When the discipline wants the clock
//! changed it emits a `ClockAdjustment`; the caller applies it (daemon:
//! `clock_adjtime`; firmware: timer reload; simulator: oscillator model) and
//! reports back with `adjustment_applied`. Every adjustment is built from the
//! two operations *any* clock can do exactly:
//!
//! 1. **step**: add a signed amount to the clock reading, once, now;
//! 2. **set frequency**: from now on, run the clock faster (positive) or slower
//!    (negative) than its free-running rate by an absolute correction in ppm.
//!
//! There is no "slew by X" request whose execution depends on a kernel's
//! private slew rate: a phase correction is expressed as a temporary
//! frequency for a known duration. The core asks again (its own timer) when
//! that duration is over, and then emits the plain frequency. So the daemon,
//! the firmware and the simulator all move the clock identically.
//!
//! Owns: the adjustment value and its limits. Must not know how a particular
//! clock implements them.

use crate::time::{Frequency, NtpDuration, NtpTime};

/// Largest absolute frequency correction the core ever asks for, in ppm:
/// 500 ppm of drift compensation plus at most 50 000 ppm of temporary slew.
/// On Linux this is within the `ADJ_TICK` (±10 % of the tick, in 100 ppm
/// steps at `USER_HZ` 100) plus `ADJ_FREQUENCY` (±500 ppm, 2^-16 ppm
/// resolution) range: set `tick = 10000 + f / 100` (µs) and put the
/// remainder into `freq`.
pub const MAX_FREQUENCY_PPM: i64 = 50_500;

/// A leap second the caller's clock should insert or delete at the end of
/// the current UTC day (the Linux `STA_INS` / `STA_DEL` kernel flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum LeapPending {
    /// No leap second armed (clear any armed one).
    #[default]
    None,
    /// Insert 23:59:60 at the end of this UTC day (the day has 86 401 s).
    Insert,
    /// Skip 23:59:59 at the end of this UTC day (the day has 86 399 s).
    Delete,
}

/// What the caller must do to its clock, in this order: step by
/// [`step`](Self::step), then set the frequency correction to
/// [`frequency`](Self::frequency), then arm [`leap`](Self::leap).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ClockAdjustment {
    /// Add this to the clock reading now (2^-32 s; positive = set the clock
    /// forward). [`NtpDuration::ZERO`] means no step.
    pub step: NtpDuration,
    /// The absolute frequency correction to run with from now on (ppm,
    /// positive = the clock gains time), replacing the previous one. Within
    /// ±[`MAX_FREQUENCY_PPM`].
    pub frequency: Frequency,
    /// Until when `frequency` includes a temporary phase slew (local time),
    /// `None` if it is the plain drift correction. Informational: the core
    /// emits the next adjustment itself at that time.
    pub slew_until: Option<NtpTime>,
    /// Leap second state to arm (or clear) in the clock.
    pub leap: LeapPending,
}

impl ClockAdjustment {
    /// Only a frequency change: no step, no slew, no leap.
    pub const fn frequency(frequency: Frequency) -> ClockAdjustment {
        ClockAdjustment {
            step: NtpDuration::ZERO,
            frequency,
            slew_until: None,
            leap: LeapPending::None,
        }
    }

    /// True if this adjustment steps the clock.
    pub const fn is_step(&self) -> bool {
        self.step.to_bits() != 0
    }

    /// `frequency` limited to ±[`MAX_FREQUENCY_PPM`].
    pub const fn clamp_frequency(frequency: Frequency) -> Frequency {
        frequency.clamp(
            Frequency::from_ppm(-MAX_FREQUENCY_PPM),
            Frequency::from_ppm(MAX_FREQUENCY_PPM),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frequency_only() {
        let a = ClockAdjustment::frequency(Frequency::from_ppm(12));
        assert!(!a.is_step());
        assert_eq!(a.leap, LeapPending::None);
        assert_eq!(a.frequency.as_ppb(), 12_000);
    }

    #[test]
    fn clamps_to_the_documented_range() {
        let f = ClockAdjustment::clamp_frequency(Frequency::from_ppm(1_000_000));
        assert_eq!(f, Frequency::from_ppm(MAX_FREQUENCY_PPM));
        let f = ClockAdjustment::clamp_frequency(Frequency::from_ppm(-1_000_000));
        assert_eq!(f, Frequency::from_ppm(-MAX_FREQUENCY_PPM));
    }
}
