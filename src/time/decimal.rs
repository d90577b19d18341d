//! Decimal text to and from 32.32 fixed point, shared by the time types.
//!
//! Owns exact decimal parsing (no floats) into a count of 2^-32 units, and
//! decimal formatting of such counts. Knows nothing about what the unit is
//! (seconds, ppm): callers give it meaning.

use crate::int128::div_u128;
use core::fmt;

/// Why a decimal string could not be turned into a fixed-point value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ParseDecimalError {
    /// The string had no digits at all (empty, only a sign, or only a dot).
    Empty,
    /// A character other than an optional leading sign, digits and one `.`.
    InvalidCharacter,
    /// The value does not fit the target type's range.
    OutOfRange,
}

impl fmt::Display for ParseDecimalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ParseDecimalError::Empty => "no digits in decimal number",
            ParseDecimalError::InvalidCharacter => "invalid character in decimal number",
            ParseDecimalError::OutOfRange => "decimal number out of range",
        })
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ParseDecimalError {}

/// Fraction digits that decide the rounding. Every tie between two 2^-32
/// steps is an odd multiple of 2^-33, which has exactly 33 fraction digits;
/// digits after the 33rd can never move a value across a rounding boundary.
const MAX_FRAC_DIGITS: u32 = 33;

/// Parses `[+-]digits[.digits]` (either side of the dot may be empty, not both)
/// into a count of 2^-32 units, rounded to the nearest unit (ties away from zero).
///
/// Returns `OutOfRange` if the magnitude is not below 2^95 units.
pub(crate) fn parse_fixed32(text: &str) -> Result<i128, ParseDecimalError> {
    let bytes = text.as_bytes();
    let (negative, rest) = match bytes {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        rest => (false, rest),
    };
    let mut int: u128 = 0;
    let mut frac: u128 = 0;
    let mut frac_digits: u32 = 0;
    let mut seen_dot = false;
    let mut digits = 0usize;
    for &b in rest {
        match b {
            b'.' if !seen_dot => seen_dot = true,
            b'0'..=b'9' => {
                let d = u128::from(b - b'0');
                digits = digits.saturating_add(1);
                if seen_dot {
                    if frac_digits < MAX_FRAC_DIGITS {
                        frac = frac * 10 + d;
                        frac_digits += 1;
                    }
                } else {
                    int = int
                        .checked_mul(10)
                        .and_then(|v| v.checked_add(d))
                        .filter(|v| *v < (1u128 << 63))
                        .ok_or(ParseDecimalError::OutOfRange)?;
                }
            }
            _ => return Err(ParseDecimalError::InvalidCharacter),
        }
    }
    if digits == 0 {
        return Err(ParseDecimalError::Empty);
    }
    // frac / 10^n in units of 2^-33 is frac * 2^(33-n) / 5^n; with n <= 33
    // the numerator is below 5^33 * 2^33 < 2^110. `halves` = floor(2 * units).
    let halves = div_u128(frac << (33 - frac_digits), 5u128.pow(frac_digits));
    // Round half away from zero (the sign is applied afterwards).
    let units = (halves + 1) >> 1;
    let magnitude = (int << 32) + units;
    if magnitude >= (1u128 << 95) {
        return Err(ParseDecimalError::OutOfRange);
    }
    // magnitude < 2^95, so the cast is lossless.
    let value = magnitude as i128;
    Ok(if negative { -value } else { value })
}

/// Writes `units` (a count of 2^-32) as a decimal with exactly `decimals`
/// fraction digits (at most 18), rounded to nearest, ties away from zero.
/// Every caller passes |units| ≤ 2^95 (an `NtpTime`, or an `i64` count):
/// the integer part fits a `u64` (it saturates beyond), so no 128-bit
/// formatting code is linked (1.5 KB on Cortex-M).
pub(crate) fn fmt_fixed32(units: i128, decimals: u32, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let decimals = decimals.min(18);
    let scale = 10u64.pow(decimals);
    let magnitude = units.unsigned_abs();
    let mut int = u64::try_from(magnitude >> 32).unwrap_or(u64::MAX);
    let frac = (magnitude & 0xffff_ffff) as u64;
    // frac < 2^32 and scale <= 10^18 < 2^60: the product fits in u128.
    let mut scaled = ((u128::from(frac) * u128::from(scale) + (1u128 << 31)) >> 32) as u64;
    if scaled >= scale {
        scaled -= scale;
        int = int.saturating_add(1);
    }
    let sign = if units < 0 && (int != 0 || scaled != 0) {
        "-"
    } else {
        ""
    };
    if decimals == 0 {
        write!(f, "{sign}{int}")
    } else {
        write!(f, "{sign}{int}.{scaled:0width$}", width = decimals as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_simple_values() {
        assert_eq!(parse_fixed32("128"), Ok(128 << 32));
        assert_eq!(parse_fixed32("-1.5"), Ok(-(3 << 31)));
        assert_eq!(parse_fixed32("+.5"), Ok(1 << 31));
        assert_eq!(parse_fixed32("2."), Ok(2 << 32));
        assert_eq!(parse_fixed32("0.0500"), Ok(214_748_365));
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!(parse_fixed32(""), Err(ParseDecimalError::Empty));
        assert_eq!(parse_fixed32("-"), Err(ParseDecimalError::Empty));
        assert_eq!(parse_fixed32("."), Err(ParseDecimalError::Empty));
        assert_eq!(
            parse_fixed32("1.2.3"),
            Err(ParseDecimalError::InvalidCharacter)
        );
        assert_eq!(
            parse_fixed32("1e3"),
            Err(ParseDecimalError::InvalidCharacter)
        );
        assert_eq!(
            parse_fixed32(" 1"),
            Err(ParseDecimalError::InvalidCharacter)
        );
        assert_eq!(
            parse_fixed32("--1"),
            Err(ParseDecimalError::InvalidCharacter)
        );
        assert_eq!(
            parse_fixed32("99999999999999999999999"),
            Err(ParseDecimalError::OutOfRange)
        );
    }

    #[test]
    fn long_fractions_round_correctly() {
        // 2^-33 = 0.000000000116415321826934814453125 exactly: a tie, rounds up.
        assert_eq!(parse_fixed32("0.000000000116415321826934814453125"), Ok(1));
        assert_eq!(parse_fixed32("0.000000000116415321826934814453124"), Ok(0));
        assert_eq!(
            parse_fixed32("-0.000000000116415321826934814453125"),
            Ok(-1)
        );
        assert_eq!(
            parse_fixed32("0.9999999999999999999999999999999"),
            Ok(1 << 32)
        );
    }
}
