//! Exact `a * b / c` for `i128` operands through a 256-bit intermediate.
//!
//! The discipline's estimator keeps variances of phase (2^-64 s²) and
//! frequency (2^-96) side by side; their products need more than 128 bits
//! before the division brings them back. This module owns only that piece of
//! arithmetic: it saturates instead of overflowing and never panics.

use crate::int128::mul_wide;
use crate::time::saturate;

/// `a * b / c`, truncated toward zero, computed without intermediate
/// overflow. Saturates to `i128::MAX` / `i128::MIN` when the quotient does
/// not fit, and when `c == 0` (sign of `a * b`, zero if that is zero).
pub(crate) fn mul_div(a: i128, b: i128, c: i128) -> i128 {
    let negative = (a < 0) ^ (b < 0) ^ (c < 0);
    let (hi, lo) = mul_wide(a.unsigned_abs(), b.unsigned_abs());
    if hi == 0 && lo == 0 {
        return 0;
    }
    signed(
        div_wide(hi, lo, c.unsigned_abs()).unwrap_or(u128::MAX),
        negative,
    )
}

/// `a * b >> shift` (`shift` < 127), truncated toward zero, saturating:
/// exactly `mul_div(a, b, 1 << shift)`, with a shift for the division.
/// Out of line: it is called from some thirty places.
#[inline(never)]
pub(crate) fn mul_shr(a: i128, b: i128, shift: u32) -> i128 {
    let s = shift.min(126);
    let negative = (a < 0) ^ (b < 0);
    let (hi, lo) = mul_wide(a.unsigned_abs(), b.unsigned_abs());
    // The quotient fits 128 bits iff hi < 2^s (as div_wide's hi < d), that
    // is iff hi has at most s significant bits.
    let q = if 128 - hi.leading_zeros() > s {
        u128::MAX
    } else {
        // hi < 2^s: `(hi << 1) << (127 - s)` is hi << (128 - s) for s ≥ 1
        // and 0 for s = 0, with no shift by 128.
        (lo >> s) | ((hi << 1) << (127 - s))
    };
    signed(q, negative)
}

/// [`mul_div`] of 64-bit operands, saturated to `i64`: the discipline's
/// times, phases and frequencies are 64-bit, their products are not. Out of
/// line: the 128-bit arguments are marshalled here once.
#[inline(never)]
pub(crate) fn mul_div64(a: i64, b: i64, c: i64) -> i64 {
    saturate(mul_div(i128::from(a), i128::from(b), i128::from(c)))
}

/// [`mul_shr`] of 64-bit operands, saturated to `i64`.
#[inline(never)]
pub(crate) fn mul_shr64(a: i64, b: i64, shift: u32) -> i64 {
    saturate(mul_shr(i128::from(a), i128::from(b), shift))
}

/// `v²`, exactly (at most 2^126). Out of line: an inline 128-bit multiply
/// is ~150 bytes of Thumb.
#[cfg_attr(target_pointer_width = "32", inline(never))]
pub(crate) fn square(v: i64) -> i128 {
    let m = u128::from(v.unsigned_abs());
    // m ≤ 2^63: m² ≤ 2^126 fits.
    (m * m) as i128
}

/// Saturating `i64` addition and subtraction, out of line on 32-bit
/// targets (inline, each is ~30 bytes of Thumb; the discipline has dozens).
pub(crate) trait Sat64 {
    /// `self + o`, saturating.
    fn sat_add(self, o: Self) -> Self;
    /// `self - o`, saturating.
    fn sat_sub(self, o: Self) -> Self;
}

impl Sat64 for i64 {
    #[cfg_attr(target_pointer_width = "32", inline(never))]
    fn sat_add(self, o: i64) -> i64 {
        self.saturating_add(o)
    }

    #[cfg_attr(target_pointer_width = "32", inline(never))]
    fn sat_sub(self, o: i64) -> i64 {
        self.saturating_sub(o)
    }
}

/// The magnitude `q` with its sign, saturated to the `i128` range.
fn signed(q: u128, negative: bool) -> i128 {
    if negative {
        if q > i128::MAX as u128 {
            i128::MIN
        } else {
            -(q as i128)
        }
    } else if q > i128::MAX as u128 {
        i128::MAX
    } else {
        q as i128
    }
}

/// (hi:lo) / d for a 256-bit dividend; `None` if `d == 0` or the quotient
/// needs more than 128 bits.
fn div_wide(hi: u128, lo: u128, d: u128) -> Option<u128> {
    if d == 0 || hi >= d {
        return None;
    }
    if hi == 0 {
        return crate::int128::checked_div_u128(lo, d);
    }
    // Restoring long division, one quotient bit per step. The remainder stays
    // below `d`; `carry` holds the bit shifted out of it. `x` shifts the
    // dividend's low half out at the top while the quotient bits come in
    // at the bottom: after 128 steps it is the quotient.
    let mut rem = hi;
    let mut x = lo;
    for _ in 0..128 {
        let carry = rem >> 127;
        rem = (rem << 1) | (x >> 127);
        x <<= 1;
        if carry == 1 || rem >= d {
            rem = rem.wrapping_sub(d);
            x |= 1;
        }
    }
    Some(x)
}

/// Integer square root of a non-negative `i128` (floor); negative input gives 0.
pub(crate) fn isqrt(v: i128) -> i128 {
    crate::isqrt::isqrt_i128(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_values_match_plain_arithmetic() {
        for &(a, b, c) in &[
            (7i128, 9i128, 4i128),
            (-7, 9, 4),
            (7, -9, -4),
            (0, 5, 3),
            (1 << 60, 1 << 60, 1 << 70),
        ] {
            assert_eq!(mul_div(a, b, c), a * b / c);
        }
    }

    #[test]
    fn wide_products_divide_back() {
        let a = (1i128 << 100) + 12345;
        let b = (1i128 << 90) + 777;
        assert_eq!(mul_div(a, b, b), a);
        assert_eq!(mul_div(a, -b, a), -b);
        assert_eq!(mul_shr(1i128 << 120, 1i128 << 100, 100), 1i128 << 120);
    }

    proptest::proptest! {
        #[test]
        fn shift_is_the_division_by_a_power_of_two(
            a in proptest::prelude::any::<i128>(),
            b in proptest::prelude::any::<i128>(),
            small in -(1i128 << 70)..(1i128 << 70),
            shift in 0u32..140,
        ) {
            let div = |a, b| mul_div(a, b, 1i128 << shift.min(126));
            proptest::prop_assert_eq!(mul_shr(a, b, shift), div(a, b));
            proptest::prop_assert_eq!(mul_shr(small, b, shift), div(small, b));
            proptest::prop_assert_eq!(mul_shr(small, small, shift), div(small, small));
            let (a64, b64, s64) = (a as i64, b as i64, small as i64);
            proptest::prop_assert_eq!(square(a64), i128::from(a64) * i128::from(a64));
            proptest::prop_assert_eq!(a64.sat_add(b64), a64.saturating_add(b64));
            proptest::prop_assert_eq!(a64.sat_sub(s64), a64.saturating_sub(s64));
            proptest::prop_assert_eq!(mul_shr64(a64, b64, shift), saturate(mul_shr(a64.into(), b64.into(), shift)));
            proptest::prop_assert_eq!(mul_div64(a64, s64, b64), saturate(mul_div(a64.into(), s64.into(), b64.into())));
        }
    }

    proptest::proptest! {
        /// q = mul_div(a, b, c) is the floor: q·c ≤ a·b < (q + 1)·c, checked
        /// with 256-bit products (independent of the long division).
        #[test]
        fn quotient_is_the_floor(
            a in 0..i128::MAX,
            b in 0..i128::MAX,
            c in 1..i128::MAX,
            (ka, kb, kc) in (0u32..127, 0u32..127, 0u32..127),
        ) {
            let (a, b, c) = (a >> ka, b >> kb, (c >> kc).max(1));
            let q = mul_div(a, b, c);
            let ab = mul_wide(a as u128, b as u128);
            if q < i128::MAX {
                let q = q as u128;
                proptest::prop_assert!(mul_wide(q, c as u128) <= ab);
                proptest::prop_assert!(mul_wide(q + 1, c as u128) > ab);
            } else {
                proptest::prop_assert!(mul_wide(i128::MAX as u128, c as u128) <= ab);
            }
        }
    }

    #[test]
    fn saturates() {
        assert_eq!(mul_div(i128::MAX, i128::MAX, 1), i128::MAX);
        assert_eq!(mul_div(i128::MAX, -2, 1), i128::MIN);
        assert_eq!(mul_div(5, 5, 0), i128::MAX);
        assert_eq!(mul_div(i128::MIN, i128::MIN, i128::MIN), i128::MIN);
    }

    #[test]
    fn square_roots() {
        for v in [
            0i128,
            1,
            2,
            3,
            4,
            15,
            16,
            17,
            1 << 100,
            (1 << 126) + 5,
            i128::MAX,
        ] {
            let r = isqrt(v);
            assert!(r * r <= v);
            assert!((r + 1).checked_mul(r + 1).is_none_or(|s| s > v));
        }
        assert_eq!(isqrt(-4), 0);
    }
}
