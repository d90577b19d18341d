//! [`Frequency`]: a fractional frequency offset (clock drift or correction)
//! in parts per million, fixed point. Owns the ppm/ppb/timex conversions and
//! the phase a frequency accumulates over an interval.

use core::fmt;
use core::ops::{Add, AddAssign, Neg, Sub, SubAssign};

use super::NtpDuration;
use super::decimal::{self, ParseDecimalError};
use super::duration::{mul_div_round, saturate};

/// 2^32: units of 2^-32 ppm per ppm.
const UNITS_PER_PPM: i128 = 1 << 32;

/// A fractional frequency offset, as an `i64` count of 2^-32 ppm (range about
/// ±2.1 × 10^9 ppm, far beyond any real clock). Positive means the clock runs
/// fast (it gains time). All arithmetic saturates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Frequency(i64);

impl Frequency {
    /// Zero ppm.
    pub const ZERO: Frequency = Frequency(0);
    /// The largest representable frequency offset.
    pub const MAX: Frequency = Frequency(i64::MAX);
    /// The most negative representable frequency offset.
    pub const MIN: Frequency = Frequency(i64::MIN);

    /// From a raw count of 2^-32 ppm.
    pub const fn from_bits(bits: i64) -> Frequency {
        Frequency(bits)
    }

    /// The raw count of 2^-32 ppm.
    pub const fn to_bits(self) -> i64 {
        self.0
    }

    /// From whole ppm (saturating).
    pub const fn from_ppm(ppm: i64) -> Frequency {
        Frequency(saturate(ppm as i128 * UNITS_PER_PPM))
    }

    /// From parts per billion (10^-3 ppm), rounded to nearest 2^-32 ppm.
    pub const fn from_ppb(ppb: i64) -> Frequency {
        Frequency(saturate(mul_div_round(ppb as i128, UNITS_PER_PPM, 1_000)))
    }

    /// In parts per billion, rounded to nearest.
    pub const fn as_ppb(self) -> i64 {
        mul_div_round(self.0 as i128, 1_000, UNITS_PER_PPM) as i64
    }

    /// In whole ppm, rounded to nearest.
    pub const fn as_ppm_rounded(self) -> i64 {
        mul_div_round(self.0 as i128, 1, UNITS_PER_PPM) as i64
    }

    /// In Linux `timex.freq` units (ADJ_FREQUENCY: ppm × 2^16), rounded to nearest.
    pub const fn to_timex_freq(self) -> i64 {
        mul_div_round(self.0 as i128, 1, 1 << 16) as i64
    }

    /// From Linux `timex.freq` units (ppm × 2^16), exact unless it saturates.
    pub const fn from_timex_freq(freq: i64) -> Frequency {
        Frequency(saturate((freq as i128) << 16))
    }

    /// The phase (time error) this frequency offset accumulates over the
    /// interval `d`: `d × ppm × 10^-6`, rounded to nearest 2^-32 s, saturating.
    pub const fn offset_over(self, d: NtpDuration) -> NtpDuration {
        // |d| < 2^63 and |self| < 2^63: the product fits in i128.
        let p = d.to_bits() as i128 * self.0 as i128;
        NtpDuration::from_bits(saturate(mul_div_round(p, 1, UNITS_PER_PPM * 1_000_000)))
    }

    /// The frequency that accumulates `offset` over `interval`
    /// (`offset / interval` in ppm), rounded to nearest; `None` if the
    /// interval is zero. Saturating.
    pub const fn from_offset_over(offset: NtpDuration, interval: NtpDuration) -> Option<Frequency> {
        let den = interval.to_bits() as i128;
        if den == 0 {
            return None;
        }
        // |offset| * 10^6 * 2^32 < 2^63 * 2^20 * 2^32 = 2^115: fits.
        let num = offset.to_bits() as i128 * 1_000_000 * UNITS_PER_PPM;
        let (num, den) = if den < 0 { (-num, -den) } else { (num, den) };
        Some(Frequency(saturate(mul_div_round(num, 1, den))))
    }

    /// Absolute value (saturating).
    // Out of line on 32-bit targets, like `NtpDuration::abs`.
    #[cfg_attr(target_pointer_width = "32", inline(never))]
    pub const fn abs(self) -> Frequency {
        Frequency(self.0.saturating_abs())
    }

    /// Multiplied by a unitless integer (saturating).
    pub const fn saturating_mul(self, factor: i64) -> Frequency {
        Frequency(self.0.saturating_mul(factor))
    }

    /// Multiplied by 2^`shift` (saturating) or, for negative `shift`, divided
    /// by 2^−`shift` (arithmetic shift, rounding toward −∞).
    pub const fn shift(self, shift: i32) -> Frequency {
        Frequency(NtpDuration::from_bits(self.0).shift(shift).to_bits())
    }

    /// Limited to `min..=max` (never panics: if `min > max`, `max` wins).
    pub const fn clamp(self, min: Frequency, max: Frequency) -> Frequency {
        if self.0 > max.0 {
            max
        } else if self.0 < min.0 {
            min
        } else {
            self
        }
    }

    /// Parses a decimal number of ppm such as `"-12.345"` (drift files),
    /// rounded to the nearest 2^-32 ppm.
    pub fn parse_decimal_ppm(text: &str) -> Result<Frequency, ParseDecimalError> {
        let units = decimal::parse_fixed32(text)?;
        i64::try_from(units)
            .map(Frequency)
            .map_err(|_| ParseDecimalError::OutOfRange)
    }
}

impl Add for Frequency {
    type Output = Frequency;
    /// Saturating sum.
    fn add(self, rhs: Frequency) -> Frequency {
        Frequency(self.0.saturating_add(rhs.0))
    }
}

impl Sub for Frequency {
    type Output = Frequency;
    /// Saturating difference.
    fn sub(self, rhs: Frequency) -> Frequency {
        Frequency(self.0.saturating_sub(rhs.0))
    }
}

impl AddAssign for Frequency {
    fn add_assign(&mut self, rhs: Frequency) {
        *self = *self + rhs;
    }
}

impl SubAssign for Frequency {
    fn sub_assign(&mut self, rhs: Frequency) {
        *self = *self - rhs;
    }
}

impl Neg for Frequency {
    type Output = Frequency;
    /// Saturating negation.
    fn neg(self) -> Frequency {
        Frequency(self.0.saturating_neg())
    }
}

impl fmt::Display for Frequency {
    /// ppm with 3 decimals, e.g. `-12.345` (a precision overrides the 3).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let decimals = f.precision().map_or(3, |p| p.min(18) as u32);
        decimal::fmt_fixed32(i128::from(self.0), decimals, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;

    #[test]
    fn conversions() {
        assert_eq!(Frequency::from_ppm(1).as_ppb(), 1000);
        assert_eq!(Frequency::from_ppb(-12_345).as_ppb(), -12_345);
        assert_eq!(Frequency::from_ppm(500).to_timex_freq(), 500 << 16);
        assert_eq!(
            Frequency::from_timex_freq(-(3 << 16)),
            Frequency::from_ppm(-3)
        );
        assert_eq!(Frequency::from_ppm(i64::MAX), Frequency::MAX);
        assert_eq!(format!("{}", Frequency::from_ppb(-12_345)), "-12.345");
        assert_eq!(
            Frequency::parse_decimal_ppm("-12.345"),
            Ok(Frequency::from_ppb(-12_345))
        );
    }

    #[test]
    fn phase_over_interval() {
        // 10 ppm over 1000 s is 10 ms.
        let f = Frequency::from_ppm(10);
        assert_eq!(
            f.offset_over(NtpDuration::from_seconds(1000)),
            NtpDuration::from_millis(10)
        );
        assert_eq!(
            (-f).offset_over(NtpDuration::from_seconds(1000)),
            NtpDuration::from_millis(-10)
        );
        assert_eq!(
            Frequency::from_offset_over(
                NtpDuration::ONE_SECOND,
                NtpDuration::from_seconds(-100_000)
            ),
            Some(-f)
        );
        assert_eq!(
            Frequency::from_offset_over(NtpDuration::ONE_SECOND, NtpDuration::ZERO),
            None
        );
        assert_eq!(
            Frequency::MAX.offset_over(NtpDuration::MAX),
            NtpDuration::MAX
        );
    }
}
