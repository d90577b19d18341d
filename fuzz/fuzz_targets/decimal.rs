//! Decimal text → 32.32 fixed point (`NtpDuration::parse_decimal_seconds`,
//! `Frequency::parse_decimal_ppm`, used by the config parser, drift files and
//! the sntp example). Never panics; whatever parses equals an independent
//! exact reference (decimal digit arithmetic, rounding half away from zero),
//! and what `Display` prints parses back to within its 1 ns / 0.001 ppm.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sundial::time::{Frequency, NtpDuration, ParseDecimalError};

/// round(|text| * 2^32) ties away from zero, signed; `None` if not of the form
/// `[+-]digits[.digits]` with at least one digit, or the integer part ≥ 2^63.
fn reference(text: &str) -> Option<i128> {
    let (neg, body) = match text.as_bytes() {
        [b'-', r @ ..] => (true, r),
        [b'+', r @ ..] => (false, r),
        r => (false, r),
    };
    let (int, frac): (&[u8], &[u8]) = match body.iter().position(|&b| b == b'.') {
        Some(i) => (&body[..i], &body[i + 1..]),
        None => (body, &[]),
    };
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.iter().chain(frac).all(u8::is_ascii_digit) {
        return None;
    }
    let mut whole: u128 = 0;
    for &d in int {
        whole = whole.checked_mul(10)?.checked_add(u128::from(d - b'0'))?;
        if whole >= 1 << 63 {
            return None;
        }
    }
    // frac * 2^32 by schoolbook multiplication of the digit string.
    let mut digits: Vec<u64> = frac.iter().map(|&d| u64::from(d - b'0')).collect();
    let mut carry: u64 = 0;
    for d in digits.iter_mut().rev() {
        let v = *d * (1 << 32) + carry;
        *d = v % 10;
        carry = v / 10;
    }
    let round_up = digits.first().is_some_and(|&d| d >= 5);
    let mag = (whole << 32) + u128::from(carry) + u128::from(round_up);
    let mag = i128::try_from(mag).ok()?;
    Some(if neg { -mag } else { mag })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    let want = reference(text);
    let fits = want.and_then(|v| i64::try_from(v).ok());

    let d = NtpDuration::parse_decimal_seconds(text);
    let f = Frequency::parse_decimal_ppm(text);
    match (fits, want) {
        (Some(v), _) => {
            assert_eq!(d.map(NtpDuration::to_bits), Ok(v), "{text:?}");
            assert_eq!(f.map(Frequency::to_bits), Ok(v), "{text:?}");
        }
        (None, Some(_)) => {
            assert_eq!(d, Err(ParseDecimalError::OutOfRange), "{text:?}");
            assert_eq!(f, Err(ParseDecimalError::OutOfRange), "{text:?}");
        }
        (None, None) => {
            assert!(d.is_err(), "{text:?} parsed as {d:?}");
            assert!(f.is_err(), "{text:?} parsed as {f:?}");
        }
    }

    // Display → parse: within half a printed unit plus half a 2^-32 step.
    if let Ok(d) = d {
        let shown = d.to_string();
        match NtpDuration::parse_decimal_seconds(&shown) {
            Ok(back) => {
                let err = (i128::from(back.to_bits()) - i128::from(d.to_bits())).abs();
                assert!(err <= 3, "{text:?} → {shown} → {back:?}");
            }
            // Rounded to the nanosecond, the extremes print one step past the range.
            Err(e) => {
                assert_eq!(e, ParseDecimalError::OutOfRange);
                assert!(
                    d.to_bits().unsigned_abs() > (1 << 63) - 4,
                    "{text:?} → {shown}"
                );
            }
        }
    }
    if let Ok(f) = f {
        let shown = f.to_string();
        let half_step = (1u64 << 32) / 2000 + 1;
        match Frequency::parse_decimal_ppm(&shown) {
            Ok(back) => {
                let err = (i128::from(back.to_bits()) - i128::from(f.to_bits())).abs();
                assert!(
                    err <= i128::from(half_step),
                    "{text:?} → {shown} → {back:?}"
                );
            }
            Err(e) => {
                assert_eq!(e, ParseDecimalError::OutOfRange);
                assert!(
                    f.to_bits().unsigned_abs() > (1 << 63) - half_step,
                    "{text:?} → {shown}"
                );
            }
        }
    }
});
