//! [`NtpDuration`]: a signed span of time (offset, delay, dispersion, jitter)
//! counted in 2^-32 s. Owns its arithmetic (saturating) and its decimal text
//! forms; knows nothing about instants or the wire.

use core::fmt;
use core::ops::{Add, AddAssign, Neg, Sub, SubAssign};

use super::decimal::{self, ParseDecimalError};
use crate::int128::div_i128;

/// 2^32: units of 2^-32 s per second.
const UNITS_PER_SECOND: i128 = 1 << 32;

/// Clamps an `i128` count of 2^-32 s into the `i64` range.
///
/// Out of line on 32-bit targets: the 128-bit compares and selects are
/// ~60 bytes of Thumb code, and the core clamps in some 40 places.
#[cfg_attr(target_pointer_width = "32", inline(never))]
pub(crate) const fn saturate(bits: i128) -> i64 {
    if bits > i64::MAX as i128 {
        i64::MAX
    } else if bits < i64::MIN as i128 {
        i64::MIN
    } else {
        bits as i64
    }
}

/// `value * num / den` in `i128`, rounded to nearest (ties away from zero).
/// `den` must be positive; callers pass constants.
pub(crate) const fn mul_div_round(value: i128, num: i128, den: i128) -> i128 {
    let p = value * num;
    if p >= 0 {
        div_i128(p + den / 2, den)
    } else {
        div_i128(p - den / 2, den)
    }
}

/// A signed duration or clock offset, as a count of 2^-32 s (≈ 233 ps)
/// in an `i64`: the range is about ±68 years (±2^31 s).
///
/// All arithmetic saturates at [`NtpDuration::MIN`] / [`NtpDuration::MAX`]
/// instead of wrapping or panicking. Sign convention for offsets is the
/// caller's (see `sample::Sample`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct NtpDuration(i64);

impl NtpDuration {
    /// Zero seconds.
    pub const ZERO: NtpDuration = NtpDuration(0);
    /// The longest positive duration: 2^31 s − 2^-32 s (≈ 68 years).
    pub const MAX: NtpDuration = NtpDuration(i64::MAX);
    /// The most negative duration: −2^31 s.
    pub const MIN: NtpDuration = NtpDuration(i64::MIN);
    /// One second (2^32 units of 2^-32 s).
    pub const ONE_SECOND: NtpDuration = NtpDuration(1 << 32);
    /// The smallest positive step: 2^-32 s.
    pub const RESOLUTION: NtpDuration = NtpDuration(1);

    /// From a raw count of 2^-32 s.
    pub const fn from_bits(bits: i64) -> NtpDuration {
        NtpDuration(bits)
    }

    /// The raw count of 2^-32 s.
    pub const fn to_bits(self) -> i64 {
        self.0
    }

    /// From whole seconds (saturating outside ±2^31 s).
    pub const fn from_seconds(secs: i64) -> NtpDuration {
        NtpDuration(saturate(secs as i128 * UNITS_PER_SECOND))
    }

    /// From whole seconds `secs` plus `frac` × 2^-32 s (the fraction is always
    /// positive: −1.25 s is `from_seconds_frac(-2, 0xC000_0000)`). Saturating.
    pub const fn from_seconds_frac(secs: i64, frac: u32) -> NtpDuration {
        NtpDuration(saturate(secs as i128 * UNITS_PER_SECOND + frac as i128))
    }

    /// From milliseconds, rounded to the nearest 2^-32 s (saturating).
    pub const fn from_millis(ms: i64) -> NtpDuration {
        NtpDuration(saturate(mul_div_round(ms as i128, UNITS_PER_SECOND, 1_000)))
    }

    /// From microseconds, rounded to the nearest 2^-32 s (saturating).
    pub const fn from_micros(us: i64) -> NtpDuration {
        NtpDuration(saturate(mul_div_round(
            us as i128,
            UNITS_PER_SECOND,
            1_000_000,
        )))
    }

    /// From nanoseconds, rounded to the nearest 2^-32 s.
    pub const fn from_nanos(ns: i64) -> NtpDuration {
        NtpDuration(saturate(mul_div_round(
            ns as i128,
            UNITS_PER_SECOND,
            1_000_000_000,
        )))
    }

    /// Whole seconds, rounded toward −∞ (so `fraction()` is never negative).
    pub const fn seconds(self) -> i64 {
        self.0 >> 32
    }

    /// The part below one second, in 2^-32 s, always counted upward from
    /// [`seconds()`](Self::seconds).
    pub const fn fraction(self) -> u32 {
        (self.0 & 0xffff_ffff) as u32
    }

    /// In nanoseconds, rounded to nearest.
    pub const fn as_nanos(self) -> i64 {
        // |bits| * 10^9 / 2^32 < 2^63 * 0.233: always fits.
        mul_div_round(self.0 as i128, 1_000_000_000, UNITS_PER_SECOND) as i64
    }

    /// In microseconds, rounded to nearest.
    pub const fn as_micros(self) -> i64 {
        mul_div_round(self.0 as i128, 1_000_000, UNITS_PER_SECOND) as i64
    }

    /// In milliseconds, rounded to nearest.
    pub const fn as_millis(self) -> i64 {
        mul_div_round(self.0 as i128, 1_000, UNITS_PER_SECOND) as i64
    }

    /// In whole seconds, rounded to nearest (ties away from zero).
    pub const fn as_seconds_rounded(self) -> i64 {
        mul_div_round(self.0 as i128, 1, UNITS_PER_SECOND) as i64
    }

    /// Absolute value (saturating: `MIN.abs() == MAX`).
    #[cfg_attr(target_pointer_width = "32", inline(never))]
    pub const fn abs(self) -> NtpDuration {
        NtpDuration(self.0.saturating_abs())
    }

    /// −1, 0 or 1 (unitless).
    pub const fn signum(self) -> i64 {
        self.0.signum()
    }

    /// True for a negative duration.
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// Saturating sum.
    // Out of line on 32-bit targets (also `saturating_sub`, `abs`): ~24
    // bytes each inline, used in ~50 places.
    #[cfg_attr(target_pointer_width = "32", inline(never))]
    pub const fn saturating_add(self, rhs: NtpDuration) -> NtpDuration {
        NtpDuration(self.0.saturating_add(rhs.0))
    }

    /// Saturating difference.
    #[cfg_attr(target_pointer_width = "32", inline(never))]
    pub const fn saturating_sub(self, rhs: NtpDuration) -> NtpDuration {
        NtpDuration(self.0.saturating_sub(rhs.0))
    }

    /// Multiplied by a unitless integer (saturating).
    // Out of line on 32-bit targets: an overflow-checked 64-bit multiply
    // is ~70 bytes of Thumb code (~0.4 KB saved in the server firmware).
    #[cfg_attr(target_pointer_width = "32", inline(never))]
    pub const fn saturating_mul(self, factor: i64) -> NtpDuration {
        NtpDuration(self.0.saturating_mul(factor))
    }

    /// Divided by a unitless integer, truncating toward zero; `None` if
    /// `divisor` is 0 (and saturating for `MIN / -1`).
    pub const fn checked_div(self, divisor: i64) -> Option<NtpDuration> {
        if divisor == 0 {
            None
        } else {
            // Only i64::MIN / -1 overflows: it saturates to MAX.
            Some(NtpDuration(match self.0.checked_div(divisor) {
                Some(q) => q,
                None => i64::MAX,
            }))
        }
    }

    /// `self * num / den` with a 128-bit intermediate, rounded to nearest and
    /// saturating; `None` if `den` is 0. Use for gains like 3/4 or 1/(2^n).
    pub const fn mul_div(self, num: i64, den: i64) -> Option<NtpDuration> {
        if den == 0 {
            return None;
        }
        let p = self.0 as i128 * num as i128;
        let d = den as i128;
        let mut q = div_i128(p, d);
        // |q·d| ≤ |p|: no overflow.
        let r = p - q * d;
        if 2 * r.abs() >= d.abs() {
            q += if (p < 0) != (d < 0) { -1 } else { 1 };
        }
        Some(NtpDuration(saturate(q)))
    }

    /// Multiplied by 2^`shift` (saturating) for positive `shift`, divided by
    /// 2^−`shift` (rounding toward −∞, an arithmetic shift) for negative.
    pub const fn shift(self, shift: i32) -> NtpDuration {
        if shift >= 0 {
            if shift >= 64 {
                if self.0 == 0 {
                    NtpDuration(0)
                } else if self.0 > 0 {
                    NtpDuration::MAX
                } else {
                    NtpDuration::MIN
                }
            } else {
                let wide = (self.0 as i128) << shift;
                NtpDuration(saturate(wide))
            }
        } else {
            let s = shift.unsigned_abs();
            if s >= 64 {
                NtpDuration(if self.0 < 0 { -1 } else { 0 })
            } else {
                NtpDuration(self.0 >> s)
            }
        }
    }

    /// Parses a decimal number of seconds such as `"0.0500"`, `"-1.5"` or
    /// `"128"` (optional sign, digits, optional `.` and digits; no exponent),
    /// rounded to the nearest 2^-32 s. Errors instead of saturating.
    pub fn parse_decimal_seconds(text: &str) -> Result<NtpDuration, ParseDecimalError> {
        let units = decimal::parse_fixed32(text)?;
        i64::try_from(units)
            .map(NtpDuration)
            .map_err(|_| ParseDecimalError::OutOfRange)
    }
}

impl Add for NtpDuration {
    type Output = NtpDuration;
    /// Saturating sum.
    fn add(self, rhs: NtpDuration) -> NtpDuration {
        self.saturating_add(rhs)
    }
}

impl Sub for NtpDuration {
    type Output = NtpDuration;
    /// Saturating difference.
    fn sub(self, rhs: NtpDuration) -> NtpDuration {
        self.saturating_sub(rhs)
    }
}

impl AddAssign for NtpDuration {
    fn add_assign(&mut self, rhs: NtpDuration) {
        *self = *self + rhs;
    }
}

impl SubAssign for NtpDuration {
    fn sub_assign(&mut self, rhs: NtpDuration) {
        *self = *self - rhs;
    }
}

impl Neg for NtpDuration {
    type Output = NtpDuration;
    /// Saturating negation (`-MIN == MAX`).
    fn neg(self) -> NtpDuration {
        NtpDuration(self.0.saturating_neg())
    }
}

impl NtpDuration {
    /// Writes seconds with `decimals` fraction digits (at most 18).
    pub(crate) fn fmt_decimals(self, decimals: u32, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        decimal::fmt_fixed32(i128::from(self.0), decimals, f)
    }
}

impl fmt::Display for NtpDuration {
    /// Seconds with 9 decimals, e.g. `-0.000123457` (a precision such as
    /// `{:.3}` overrides the 9).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let decimals = f.precision().map_or(9, |p| p.min(18) as u32);
        self.fmt_decimals(decimals, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;

    #[test]
    fn constructors() {
        assert_eq!(NtpDuration::from_seconds(1), NtpDuration::ONE_SECOND);
        assert_eq!(NtpDuration::from_millis(500).to_bits(), 1 << 31);
        assert_eq!(NtpDuration::from_micros(-250_000).to_bits(), -(1 << 30));
        assert_eq!(NtpDuration::from_nanos(1).to_bits(), 4);
        assert_eq!(NtpDuration::from_seconds(i64::MAX), NtpDuration::MAX);
        assert_eq!(NtpDuration::from_seconds(i64::MIN), NtpDuration::MIN);
        assert_eq!(
            NtpDuration::from_seconds_frac(-2, 0xC000_0000).as_millis(),
            -1250
        );
        assert_eq!(NtpDuration::from_nanos(-1_500_000_000).seconds(), -2);
        assert_eq!(NtpDuration::from_nanos(-1_500_000_000).fraction(), 1 << 31);
    }

    #[test]
    fn nanos_round_trip_near_zero() {
        for ns in -2000..2000 {
            assert_eq!(NtpDuration::from_nanos(ns).as_nanos(), ns);
        }
    }

    #[test]
    fn saturating_ops() {
        let d = NtpDuration::MAX;
        assert_eq!(d + NtpDuration::ONE_SECOND, NtpDuration::MAX);
        assert_eq!(NtpDuration::MIN - NtpDuration::ONE_SECOND, NtpDuration::MIN);
        assert_eq!(-NtpDuration::MIN, NtpDuration::MAX);
        assert_eq!(NtpDuration::MIN.abs(), NtpDuration::MAX);
        assert_eq!(NtpDuration::MAX.saturating_mul(2), NtpDuration::MAX);
        assert_eq!(NtpDuration::ONE_SECOND.checked_div(0), None);
        assert_eq!(NtpDuration::MIN.checked_div(-1), Some(NtpDuration::MAX));
        assert_eq!(NtpDuration::ONE_SECOND.shift(-1).as_millis(), 500);
        assert_eq!(NtpDuration::ONE_SECOND.shift(40), NtpDuration::MAX);
        assert_eq!(NtpDuration::from_bits(-1).shift(100), NtpDuration::MIN);
        assert_eq!(NtpDuration::from_bits(-1).shift(-100).to_bits(), -1);
    }

    #[test]
    fn mul_div_rounds() {
        let d = NtpDuration::from_bits(10);
        assert_eq!(d.mul_div(1, 4), Some(NtpDuration::from_bits(3)));
        assert_eq!((-d).mul_div(1, 4), Some(NtpDuration::from_bits(-3)));
        assert_eq!(d.mul_div(-1, 4), Some(NtpDuration::from_bits(-3)));
        assert_eq!(d.mul_div(1, -4), Some(NtpDuration::from_bits(-3)));
        assert_eq!((-d).mul_div(-1, 4), Some(NtpDuration::from_bits(3)));
        assert_eq!(d.mul_div(1, 0), None);
        assert_eq!(NtpDuration::MAX.mul_div(3, 2), Some(NtpDuration::MAX));
    }

    #[test]
    fn display() {
        assert_eq!(
            format!("{}", NtpDuration::from_nanos(-123_457)),
            "-0.000123457"
        );
        assert_eq!(
            format!("{}", NtpDuration::from_seconds(128)),
            "128.000000000"
        );
        assert_eq!(format!("{:.3}", NtpDuration::from_millis(-1500)), "-1.500");
        assert_eq!(format!("{}", NtpDuration::ZERO), "0.000000000");
        assert_eq!(format!("{}", NtpDuration::from_bits(-1)), "0.000000000");
        assert_eq!(format!("{}", NtpDuration::MIN), "-2147483648.000000000");
    }

    #[test]
    fn parse() {
        let p = NtpDuration::parse_decimal_seconds;
        assert_eq!(p("128"), Ok(NtpDuration::from_seconds(128)));
        assert_eq!(p("-1.5"), Ok(NtpDuration::from_millis(-1500)));
        assert_eq!(p("0.0500"), Ok(NtpDuration::from_millis(50)));
        assert_eq!(p("2147483648"), Err(ParseDecimalError::OutOfRange));
        assert_eq!(p("-2147483648"), Ok(NtpDuration::MIN));
        assert_eq!(p("abc"), Err(ParseDecimalError::InvalidCharacter));
        assert_eq!(p(""), Err(ParseDecimalError::Empty));
    }
}
