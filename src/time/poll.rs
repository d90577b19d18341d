//! [`PollInterval`]: the poll exponent (log2 s) used in the header's poll
//! field and by the association's poll timer.

use core::fmt;

use super::NtpDuration;

/// A poll interval as a base-2 exponent of seconds (`6` means 64 s). The wire
/// carries any `i8`; the configured range is normally `MIN..=MAX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PollInterval(i8);

impl PollInterval {
    /// Smallest configurable poll exponent: 3 (8 s).
    pub const MIN: PollInterval = PollInterval(3);
    /// Largest configurable poll exponent: 17 (131 072 s ≈ 36 h).
    pub const MAX: PollInterval = PollInterval(17);
    /// Default `minpoll`: 6 (64 s).
    pub const DEFAULT_MIN: PollInterval = PollInterval(6);
    /// Default `maxpoll`: 10 (1024 s).
    pub const DEFAULT_MAX: PollInterval = PollInterval(10);

    /// From an exponent in log2 s.
    pub const fn from_log2(log2: i8) -> PollInterval {
        PollInterval(log2)
    }

    /// The exponent in log2 s.
    pub const fn log2(self) -> i8 {
        self.0
    }

    /// The interval as a duration: 2^log2 s (exact down to 2^-32 s, zero below
    /// that; saturating at [`NtpDuration::MAX`] from 2^31 s).
    // Out of line on 32-bit targets: a variable 64-bit shift with
    // saturation.
    #[cfg_attr(target_pointer_width = "32", inline(never))]
    pub const fn as_duration(self) -> NtpDuration {
        NtpDuration::ONE_SECOND.shift(self.0 as i32)
    }

    /// The interval in whole seconds: 2^log2 for 0..=63, 0 for negative
    /// exponents (use `as_duration` for those), `u64::MAX` beyond 63.
    pub const fn as_seconds(self) -> u64 {
        if self.0 < 0 {
            0
        } else if self.0 > 63 {
            u64::MAX
        } else {
            1u64 << self.0
        }
    }

    /// This exponent limited to `min..=max` (never panics: if `min > max`, `max` wins).
    pub const fn clamp(self, min: PollInterval, max: PollInterval) -> PollInterval {
        if self.0 > max.0 {
            max
        } else if self.0 < min.0 {
            min
        } else {
            self
        }
    }

    /// One step longer (×2), saturating at `i8::MAX`.
    pub const fn inc(self) -> PollInterval {
        PollInterval(self.0.saturating_add(1))
    }

    /// One step shorter (÷2), saturating at `i8::MIN`.
    pub const fn dec(self) -> PollInterval {
        PollInterval(self.0.saturating_sub(1))
    }
}

impl Default for PollInterval {
    /// [`PollInterval::DEFAULT_MIN`] (64 s).
    fn default() -> PollInterval {
        PollInterval::DEFAULT_MIN
    }
}

impl fmt::Display for PollInterval {
    /// The exponent, as ntpq shows the poll field's log2 (e.g. `6`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        assert_eq!(PollInterval::DEFAULT_MIN.as_seconds(), 64);
        assert_eq!(PollInterval::from_log2(-2).as_seconds(), 0);
        assert_eq!(
            PollInterval::from_log2(-2).as_duration(),
            NtpDuration::from_millis(250)
        );
        assert_eq!(
            PollInterval::from_log2(-40).as_duration(),
            NtpDuration::ZERO
        );
        assert_eq!(PollInterval::from_log2(40).as_duration(), NtpDuration::MAX);
        assert_eq!(PollInterval::from_log2(127).as_seconds(), u64::MAX);
        assert_eq!(
            PollInterval::from_log2(20).clamp(PollInterval::MIN, PollInterval::MAX),
            PollInterval::MAX
        );
        assert_eq!(
            PollInterval::from_log2(1).clamp(PollInterval::MIN, PollInterval::MAX),
            PollInterval::MIN
        );
        assert_eq!(
            PollInterval::from_log2(5).clamp(PollInterval::MAX, PollInterval::MIN),
            PollInterval::MIN
        );
        assert_eq!(PollInterval::from_log2(127).inc().log2(), 127);
    }
}
