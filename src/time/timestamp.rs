//! Instants: [`NtpTimestamp`], the era-less 64-bit wire value, and
//! [`NtpTime`], the era-aware instant the core computes with.
//!
//! Owns the NTP prime epoch (1900-01-01T00:00:00 UTC), eras of 2^32 s,
//! resolving a wire timestamp to an era, and the Unix conversions.
//! Leap seconds are not modelled here: like NTP and Unix time, a day is
//! always 86 400 s.

use core::cmp::Ordering;
use core::fmt;
use core::ops::{Add, AddAssign, Sub, SubAssign};

use super::NtpDuration;
use super::duration::saturate;

/// Seconds from 1900-01-01 (NTP prime epoch) to 1970-01-01 (Unix epoch).
pub const UNIX_EPOCH_OFFSET_SECONDS: i64 = 2_208_988_800;

/// 2^32: seconds per NTP era, also units of 2^-32 s per second.
const ERA_SECONDS: i64 = 1 << 32;

/// A 64-bit NTP timestamp as carried on the wire: 32 bits of seconds and 32
/// bits of fraction (2^-32 s), with no era. All-zero means "unknown / not
/// set". Use [`NtpTimestamp::resolve`] to turn it into an [`NtpTime`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct NtpTimestamp(u64);

impl NtpTimestamp {
    /// The all-zero timestamp: "unknown / not set" on the wire.
    pub const ZERO: NtpTimestamp = NtpTimestamp(0);

    /// From the raw 64-bit value (seconds in the high 32 bits, 2^-32 s in the low).
    pub const fn from_bits(bits: u64) -> NtpTimestamp {
        NtpTimestamp(bits)
    }

    /// The raw 64-bit value (seconds in the high 32 bits, 2^-32 s in the low).
    pub const fn to_bits(self) -> u64 {
        self.0
    }

    /// From seconds within the era and the fraction (2^-32 s).
    pub const fn from_parts(seconds: u32, fraction: u32) -> NtpTimestamp {
        NtpTimestamp(((seconds as u64) << 32) | fraction as u64)
    }

    /// Seconds within the era (the high 32 bits).
    pub const fn seconds(self) -> u32 {
        (self.0 >> 32) as u32
    }

    /// The fraction of a second, in 2^-32 s (the low 32 bits).
    pub const fn fraction(self) -> u32 {
        self.0 as u32
    }

    /// True for the all-zero "unknown" value.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// The era-aware instant this timestamp stands for, taking the era that
    /// puts it within [−2^31 s, 2^31 s) of `near` (usually the local clock).
    /// Saturates at the ends of [`NtpTime`]'s range.
    // Out of line on 32-bit targets: ~24 bytes, used in 7 places.
    #[cfg_attr(target_pointer_width = "32", inline(never))]
    pub const fn resolve(self, near: NtpTime) -> NtpTime {
        let diff = self.0.wrapping_sub(near.to_timestamp().0) as i64;
        near.saturating_add(NtpDuration::from_bits(diff))
    }
}

impl fmt::Display for NtpTimestamp {
    /// `seconds.fraction` in hex, as ntpq prints timestamps (`e7a1b2c3.12345678`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:08x}.{:08x}", self.seconds(), self.fraction())
    }
}

/// An era-aware instant: whole seconds since 1900-01-01T00:00:00 UTC as an
/// `i64` (negative before 1900; era 1 begins at 2^32 s, 2036-02-07T06:28:16
/// UTC) plus a fraction in 2^-32 s. Ordered, hashable, `Copy`.
///
/// Arithmetic saturates at [`NtpTime::MIN`] / [`NtpTime::MAX`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct NtpTime {
    // Ordered by seconds, then fraction (see the `Ord` impl).
    seconds: i64,
    fraction: u32,
}

impl NtpTime {
    /// The NTP prime epoch, 1900-01-01T00:00:00 UTC (era 0, second 0).
    pub const EPOCH_1900: NtpTime = NtpTime {
        seconds: 0,
        fraction: 0,
    };
    /// The Unix epoch, 1970-01-01T00:00:00 UTC.
    pub const UNIX_EPOCH: NtpTime = NtpTime {
        seconds: UNIX_EPOCH_OFFSET_SECONDS,
        fraction: 0,
    };
    /// Start of era 1, 2036-02-07T06:28:16 UTC.
    pub const ERA_1: NtpTime = NtpTime {
        seconds: ERA_SECONDS,
        fraction: 0,
    };
    /// The earliest representable instant.
    pub const MIN: NtpTime = NtpTime {
        seconds: i64::MIN,
        fraction: 0,
    };
    /// The latest representable instant.
    pub const MAX: NtpTime = NtpTime {
        seconds: i64::MAX,
        fraction: u32::MAX,
    };

    /// From seconds since 1900-01-01 (negative before) and a fraction in 2^-32 s.
    pub const fn from_parts(seconds: i64, fraction: u32) -> NtpTime {
        NtpTime { seconds, fraction }
    }

    /// Whole seconds since 1900-01-01T00:00:00 UTC (rounded toward −∞).
    pub const fn seconds(self) -> i64 {
        self.seconds
    }

    /// The fraction of a second, in 2^-32 s, counted upward from `seconds()`.
    pub const fn fraction(self) -> u32 {
        self.fraction
    }

    /// The NTP era: 0 for 1900..2036, 1 from 2036-02-07T06:28:16, −1 before
    /// 1900 (saturating at the `i32` range).
    pub const fn era(self) -> i32 {
        let era = self.seconds.div_euclid(ERA_SECONDS);
        if era > i32::MAX as i64 {
            i32::MAX
        } else if era < i32::MIN as i64 {
            i32::MIN
        } else {
            era as i32
        }
    }

    /// The wire timestamp: this instant with the era dropped.
    pub const fn to_timestamp(self) -> NtpTimestamp {
        NtpTimestamp::from_parts(self.seconds.rem_euclid(ERA_SECONDS) as u32, self.fraction)
    }

    /// From Unix time: `secs` since 1970-01-01T00:00:00 UTC (negative before)
    /// and `nanos` (nanoseconds; values ≥ 10^9 carry into seconds). The
    /// fraction is rounded to the nearest 2^-32 s, so `to_unix` gives the
    /// same pair back. Saturates at the ends of the range.
    pub const fn from_unix(secs: i64, nanos: u32) -> NtpTime {
        let carry = (nanos / 1_000_000_000) as i64;
        let nanos = (nanos % 1_000_000_000) as u64;
        // nanos < 10^9 so the rounded fraction is at most 2^32 - 4: no carry.
        let fraction = ((nanos << 32) + 500_000_000) / 1_000_000_000;
        let seconds = secs
            .saturating_add(UNIX_EPOCH_OFFSET_SECONDS)
            .saturating_add(carry);
        NtpTime {
            seconds,
            fraction: fraction as u32,
        }
    }

    /// To Unix time: (seconds since 1970-01-01T00:00:00 UTC, nanoseconds
    /// below 10^9), the fraction rounded to the nearest nanosecond.
    /// Saturates at the ends of the range.
    pub const fn to_unix(self) -> (i64, u32) {
        let mut nanos = ((self.fraction as u64 * 1_000_000_000) + (1 << 31)) >> 32;
        let mut seconds = self.seconds.saturating_sub(UNIX_EPOCH_OFFSET_SECONDS);
        if nanos >= 1_000_000_000 {
            // seconds <= i64::MAX - UNIX_EPOCH_OFFSET_SECONDS: room to carry.
            nanos -= 1_000_000_000;
            seconds = seconds.saturating_add(1);
        }
        (seconds, nanos as u32)
    }

    /// This instant as a count of 2^-32 s since 1900 (96 significant bits).
    const fn to_units(self) -> i128 {
        ((self.seconds as i128) << 32) | self.fraction as i128
    }

    /// From a count of 2^-32 s since 1900, saturating at `MIN` / `MAX`.
    // Out of line on 32-bit targets: shared by `saturating_add` and
    // `saturating_sub`.
    #[cfg_attr(target_pointer_width = "32", inline(never))]
    const fn from_units(units: i128) -> NtpTime {
        let seconds = units >> 32;
        if seconds > i64::MAX as i128 {
            NtpTime::MAX
        } else if seconds < i64::MIN as i128 {
            NtpTime::MIN
        } else {
            NtpTime {
                seconds: seconds as i64,
                fraction: units as u32,
            }
        }
    }

    /// `self + d`, saturating.
    // Out of line on 32-bit targets (here and below): each is ~100 bytes of
    // 128-bit Thumb code, used in dozens of places.
    #[cfg_attr(target_pointer_width = "32", inline(never))]
    pub const fn saturating_add(self, d: NtpDuration) -> NtpTime {
        NtpTime::from_units(self.to_units() + d.to_bits() as i128)
    }

    /// `self - d`, saturating.
    #[cfg_attr(target_pointer_width = "32", inline(never))]
    pub const fn saturating_sub(self, d: NtpDuration) -> NtpTime {
        NtpTime::from_units(self.to_units() - d.to_bits() as i128)
    }

    /// `self - earlier` as a duration, saturating at ±68 years.
    #[cfg_attr(target_pointer_width = "32", inline(never))]
    pub const fn duration_since(self, earlier: NtpTime) -> NtpDuration {
        NtpDuration::from_bits(saturate(self.to_units() - earlier.to_units()))
    }
}

impl Ord for NtpTime {
    /// Earlier is less: seconds first, then the fraction. Out of line on
    /// 32-bit targets, where comparing instants is ~20 bytes in ~30 places.
    #[cfg_attr(target_pointer_width = "32", inline(never))]
    fn cmp(&self, other: &NtpTime) -> Ordering {
        match self.seconds.cmp(&other.seconds) {
            Ordering::Equal => self.fraction.cmp(&other.fraction),
            o => o,
        }
    }
}

impl PartialOrd for NtpTime {
    fn partial_cmp(&self, other: &NtpTime) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Sub for NtpTime {
    type Output = NtpDuration;
    /// The span from `rhs` to `self` (saturating at ±68 years).
    fn sub(self, rhs: NtpTime) -> NtpDuration {
        self.duration_since(rhs)
    }
}

impl Add<NtpDuration> for NtpTime {
    type Output = NtpTime;
    /// Saturating.
    fn add(self, rhs: NtpDuration) -> NtpTime {
        self.saturating_add(rhs)
    }
}

impl Sub<NtpDuration> for NtpTime {
    type Output = NtpTime;
    /// Saturating.
    fn sub(self, rhs: NtpDuration) -> NtpTime {
        self.saturating_sub(rhs)
    }
}

impl AddAssign<NtpDuration> for NtpTime {
    fn add_assign(&mut self, rhs: NtpDuration) {
        *self = *self + rhs;
    }
}

impl SubAssign<NtpDuration> for NtpTime {
    fn sub_assign(&mut self, rhs: NtpDuration) {
        *self = *self - rhs;
    }
}

impl fmt::Display for NtpTime {
    /// Seconds since 1900 with 9 decimals, e.g. `3913056000.500000000`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        super::decimal::fmt_fixed32(self.to_units(), 9, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_epoch() {
        assert_eq!(NtpTime::from_unix(0, 0), NtpTime::UNIX_EPOCH);
        assert_eq!(NtpTime::UNIX_EPOCH.to_unix(), (0, 0));
        assert_eq!(
            NtpTime::EPOCH_1900.to_unix(),
            (-UNIX_EPOCH_OFFSET_SECONDS, 0)
        );
    }

    #[test]
    fn era_pivot_2036() {
        // 2036-02-07T06:28:16Z is Unix 2085978496.
        let pivot = NtpTime::from_unix(2_085_978_496, 0);
        assert_eq!(pivot, NtpTime::ERA_1);
        assert_eq!(pivot.era(), 1);
        assert_eq!(pivot.to_timestamp(), NtpTimestamp::ZERO);
        let before = pivot - NtpDuration::from_bits(1);
        assert_eq!(before.era(), 0);
        assert_eq!(before.to_timestamp().to_bits(), u64::MAX);
        // A timestamp just after the wrap, seen from just before it.
        let ts = NtpTimestamp::from_parts(5, 0);
        assert_eq!(ts.resolve(before), pivot + NtpDuration::from_seconds(5));
        // And just before the wrap, seen from after it.
        let ts = NtpTimestamp::from_parts(u32::MAX, 0);
        assert_eq!(ts.resolve(pivot + NtpDuration::from_seconds(10)).era(), 0);
    }

    #[test]
    fn before_1900_and_1968() {
        // 1968-01-20T03:14:08Z: second 2^31 of era 0, the old signed pivot.
        let t = NtpTime::from_parts(1 << 31, 0);
        assert_eq!(t.to_unix(), ((1 << 31) - UNIX_EPOCH_OFFSET_SECONDS, 0));
        let old = NtpTime::from_unix(-2_300_000_000, 0); // ~1897
        assert_eq!(old.era(), -1);
        assert!(old.seconds() < 0);
        assert_eq!(old.to_timestamp().resolve(NtpTime::EPOCH_1900), old);
    }

    #[test]
    fn saturates() {
        assert_eq!(NtpTime::MAX + NtpDuration::ONE_SECOND, NtpTime::MAX);
        assert_eq!(NtpTime::MIN - NtpDuration::ONE_SECOND, NtpTime::MIN);
        assert_eq!(NtpTime::MAX - NtpTime::MIN, NtpDuration::MAX);
        assert_eq!(NtpTime::MIN - NtpTime::MAX, NtpDuration::MIN);
        assert_eq!(
            NtpTime::MAX.to_unix(),
            (i64::MAX - UNIX_EPOCH_OFFSET_SECONDS + 1, 0)
        );
        assert_eq!(NtpTime::MIN.to_unix(), (i64::MIN, 0));
        assert_eq!(NtpTime::from_unix(i64::MAX, 0).seconds(), i64::MAX);
        assert_eq!(
            NtpTimestamp::from_parts(0, 0).resolve(NtpTime::MAX),
            NtpTime::MAX
        );
    }

    #[test]
    fn nanos_carry() {
        assert_eq!(
            NtpTime::from_unix(0, 1_500_000_000).to_unix(),
            (1, 500_000_000)
        );
        let t = NtpTime::from_parts(100, u32::MAX);
        assert_eq!(t.to_unix(), (100 - UNIX_EPOCH_OFFSET_SECONDS + 1, 0));
    }
}
