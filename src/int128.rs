//! The core's 128-bit integer operations that are kept out of line.
//!
//! A 32-bit core does 128-bit arithmetic in many instructions: every
//! `i128`/`u128` `/` or `%` — even by a constant like 3, and at opt-level
//! "z" even a signed one by 4 — is either expanded in place into a
//! bit-by-bit loop of about 700 bytes of Thumb code (opt-level "s") or a
//! call to `__divti3`/`__udivti3`, which brings compiler-builtins' 1.3 KB
//! `u128_div_rem` into the image (opt-level "z"); a checked multiply is
//! ~400 bytes, a saturating add ~40, a compare-and-select 40-100. The discipline, selection, refclock fit and time conversions use
//! them in dozens of places; routing them through the functions here leaves
//! one copy in a firmware image. On 64-bit hosts the division is the same
//! plus a call and the rest stays inline. Results are exactly those of the
//! `core` operations they wrap (proptests below); nothing here panics.

/// Saturating `i128` arithmetic: `core`'s `saturating_*`, out of line on
/// 32-bit targets.
pub(crate) trait Sat128 {
    /// `self + o`, saturating.
    fn sat_add(self, o: Self) -> Self;
    /// `self - o`, saturating.
    fn sat_sub(self, o: Self) -> Self;
    /// `self * o`, saturating.
    fn sat_mul(self, o: Self) -> Self;
    /// `self.max(lo)`.
    fn at_least(self, lo: Self) -> Self;
    /// `self.min(hi)`.
    fn at_most(self, hi: Self) -> Self;
    /// `self.max(1)`: a divisor or variance that must be positive.
    fn positive(self) -> Self;
    /// `self.max(lo).min(hi)`: `clamp` without its `lo <= hi` assertion
    /// (a panic path); the same as `clamp` whenever `lo <= hi`.
    fn within(self, lo: Self, hi: Self) -> Self;
}

impl Sat128 for i128 {
    #[cfg_attr(target_pointer_width = "32", inline(never))]
    fn sat_add(self, o: i128) -> i128 {
        self.saturating_add(o)
    }

    #[cfg_attr(target_pointer_width = "32", inline(never))]
    fn sat_sub(self, o: i128) -> i128 {
        self.saturating_sub(o)
    }

    #[cfg_attr(target_pointer_width = "32", inline(never))]
    fn sat_mul(self, o: i128) -> i128 {
        // One 128-bit multiply in the image: the checked one.
        match checked_mul_i128(self, o) {
            Some(p) => p,
            None if (self < 0) != (o < 0) => i128::MIN,
            None => i128::MAX,
        }
    }

    // A 128-bit compare and select is some 40-90 bytes of Thumb code
    // inline; the discipline has dozens.
    #[cfg_attr(target_pointer_width = "32", inline(never))]
    fn at_least(self, lo: i128) -> i128 {
        if self < lo { lo } else { self }
    }

    #[cfg_attr(target_pointer_width = "32", inline(never))]
    fn at_most(self, hi: i128) -> i128 {
        if self > hi { hi } else { self }
    }

    #[cfg_attr(target_pointer_width = "32", inline(never))]
    fn positive(self) -> i128 {
        if self < 1 { 1 } else { self }
    }

    #[cfg_attr(target_pointer_width = "32", inline(never))]
    fn within(self, lo: i128, hi: i128) -> i128 {
        self.at_least(lo).at_most(hi)
    }
}

/// `a * b`, or `None` on overflow (as [`i128::checked_mul`]). On 32-bit
/// targets out of line and through [`mul_wide`], which the discipline's
/// 256-bit arithmetic needs anyway (LLVM's overflow-checked multiply is
/// another 400 bytes).
#[cfg_attr(target_pointer_width = "32", inline(never))]
pub(crate) fn checked_mul_i128(a: i128, b: i128) -> Option<i128> {
    #[cfg(target_pointer_width = "32")]
    return checked_mul_wide(a, b);
    #[cfg(not(target_pointer_width = "32"))]
    return a.checked_mul(b);
}

/// `a * b` or `None` on overflow, from the 256-bit product.
#[cfg_attr(not(target_pointer_width = "32"), allow(dead_code))]
fn checked_mul_wide(a: i128, b: i128) -> Option<i128> {
    let (hi, lo) = mul_wide(a.unsigned_abs(), b.unsigned_abs());
    if hi != 0 {
        None
    } else if (a < 0) != (b < 0) {
        // -2^127 is the one magnitude above i128::MAX that fits: `as`
        // wraps it to i128::MIN, which negates to itself.
        (lo <= 1 << 127).then(|| (lo as i128).wrapping_neg())
    } else {
        i128::try_from(lo).ok()
    }
}

/// Full 256-bit product of two `u128`, as (high, low) halves. Out of line:
/// the discipline's `mul_div` and `mul_shr` and [`checked_mul_i128`] share it.
#[inline(never)]
pub(crate) fn mul_wide(a: u128, b: u128) -> (u128, u128) {
    const MASK: u128 = u64::MAX as u128;
    let (a1, a0) = (a >> 64, a & MASK);
    let (b1, b0) = (b >> 64, b & MASK);
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    // Middle column: at most three 64-bit quantities, fits in u128 with room.
    let mid = (p00 >> 64) + (p01 & MASK) + (p10 & MASK);
    let lo = (p00 & MASK) | (mid << 64);
    let hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    (hi, lo)
}

/// `a / b`, or `None` if `b == 0` (as [`u128::checked_div`]).
#[inline(never)]
pub(crate) const fn checked_div_u128(a: u128, b: u128) -> Option<u128> {
    #[cfg(target_pointer_width = "32")]
    return shift_subtract(a, b);
    #[cfg(not(target_pointer_width = "32"))]
    return a.checked_div(b);
}

/// `a / b` (`None` if `b == 0`) by shift and subtract: what 32-bit targets
/// use, a fifth of the size of LLVM's expansion (which is the same kind of
/// loop). Quotients of 64-bit values use the 64-bit division.
#[cfg_attr(not(target_pointer_width = "32"), allow(dead_code))]
const fn shift_subtract(a: u128, b: u128) -> Option<u128> {
    if b == 0 {
        return None;
    }
    if a < b {
        return Some(0);
    }
    if a <= u64::MAX as u128 {
        // 0 < b ≤ a < 2^64 (checked: `/` would be a panic path).
        return match (a as u64).checked_div(b as u64) {
            Some(q) => Some(q as u128),
            None => None,
        };
    }
    // a ≥ b > 0: align b's top bit with a's, then one quotient bit per step.
    let shift = b.leading_zeros() - a.leading_zeros();
    let mut d = b << shift;
    let mut r = a;
    let mut q: u128 = 0;
    let mut i = 0;
    while i <= shift {
        q <<= 1;
        if r >= d {
            r -= d;
            q |= 1;
        }
        d >>= 1;
        i += 1;
    }
    Some(q)
}

/// `a / b` truncated toward zero, or `None` if `b == 0` or the quotient
/// does not fit (`i128::MIN / -1`): the same as [`i128::checked_div`].
#[inline(never)]
pub(crate) const fn checked_div_i128(a: i128, b: i128) -> Option<i128> {
    let Some(q) = checked_div_u128(a.unsigned_abs(), b.unsigned_abs()) else {
        return None;
    };
    if (a < 0) != (b < 0) {
        // q ≤ 2^127; `q as i128` wraps 2^127 to i128::MIN, whose negation
        // is itself: the right quotient.
        Some((q as i128).wrapping_neg())
    } else if q > i128::MAX as u128 {
        None
    } else {
        Some(q as i128)
    }
}

/// `a / b` truncated toward zero, for divisors the caller knows are not 0
/// (constants, counts ≥ 1). A zero divisor gives 0 and `i128::MIN / -1`
/// gives `i128::MAX` instead of a panic.
pub(crate) const fn div_i128(a: i128, b: i128) -> i128 {
    match checked_div_i128(a, b) {
        Some(q) => q,
        None if b == 0 => 0,
        None => i128::MAX,
    }
}

/// `a / b` for a divisor the caller knows is not 0; 0 if it is.
pub(crate) const fn div_u128(a: u128, b: u128) -> u128 {
    match checked_div_u128(a, b) {
        Some(q) => q,
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn edges() {
        assert_eq!(checked_div_i128(i128::MIN, -1), None);
        assert_eq!(checked_div_i128(i128::MIN, 1), Some(i128::MIN));
        assert_eq!(checked_div_i128(i128::MIN, 2), Some(i128::MIN / 2));
        assert_eq!(checked_div_i128(i128::MAX, -1), Some(-i128::MAX));
        assert_eq!(checked_div_i128(-7, 2), Some(-3));
        assert_eq!(checked_div_i128(7, -2), Some(-3));
        assert_eq!(checked_div_i128(-7, -2), Some(3));
        assert_eq!(checked_div_i128(5, 0), None);
        assert_eq!(div_i128(5, 0), 0);
        assert_eq!(div_i128(i128::MIN, -1), i128::MAX);
        assert_eq!(div_u128(5, 0), 0);
        assert_eq!(checked_div_u128(u128::MAX, 3), Some(u128::MAX / 3));
        for (a, b) in [
            (u128::MAX, 1),
            (u128::MAX, u128::MAX),
            (1 << 127, 1 << 63),
            (1 << 64, 3),
        ] {
            assert_eq!(shift_subtract(a, b), Some(a / b));
        }
        assert_eq!(shift_subtract(1, 0), None);
        assert_eq!(checked_mul_wide(i128::MIN, 1), Some(i128::MIN));
        assert_eq!(checked_mul_wide(1 << 126, -2), Some(i128::MIN));
        assert_eq!(checked_mul_wide(1 << 126, 2), None);
        assert_eq!(checked_mul_wide(i128::MIN, -1), None);
        assert_eq!(checked_mul_wide(-5, 0), Some(0));
    }

    proptest! {
        #[test]
        fn matches_the_operators(a in any::<i128>(), b in any::<i128>(), small in -1000i128..1000) {
            prop_assert_eq!(checked_div_i128(a, b), a.checked_div(b));
            prop_assert_eq!(checked_div_i128(a, small), a.checked_div(small));
            prop_assert_eq!(checked_div_i128(small, b), small.checked_div(b));
            prop_assert_eq!(checked_div_u128(a as u128, b as u128), (a as u128).checked_div(b as u128));
            let (ua, ub, us) = (a as u128, b as u128, small.unsigned_abs());
            prop_assert_eq!(shift_subtract(ua, ub), ua.checked_div(ub));
            prop_assert_eq!(shift_subtract(ua, us), ua.checked_div(us));
            prop_assert_eq!(shift_subtract(ua >> 40, ub >> 90), (ua >> 40).checked_div(ub >> 90));
            prop_assert_eq!(shift_subtract(ua >> 64, ub >> 100), (ua >> 64).checked_div(ub >> 100));
            prop_assert_eq!(shift_subtract(us, ub >> 120), us.checked_div(ub >> 120));
            prop_assert_eq!(checked_mul_i128(a, small), a.checked_mul(small));
            prop_assert_eq!(checked_mul_wide(a, b), a.checked_mul(b));
            prop_assert_eq!(checked_mul_wide(a, small), a.checked_mul(small));
            prop_assert_eq!(checked_mul_wide(a >> 64, b >> 63), (a >> 64).checked_mul(b >> 63));
            prop_assert_eq!(checked_mul_wide(small, b >> 70), small.checked_mul(b >> 70));
            prop_assert_eq!(checked_mul_i128(a >> 64, b >> 63), (a >> 64).checked_mul(b >> 63));
            prop_assert_eq!(a.sat_add(b), a.saturating_add(b));
            prop_assert_eq!(a.sat_sub(b), a.saturating_sub(b));
            prop_assert_eq!(a.sat_mul(b), a.saturating_mul(b));
            prop_assert_eq!((a >> 64).sat_mul(b >> 63), (a >> 64).saturating_mul(b >> 63));
            prop_assert_eq!(a.at_least(b), a.max(b));
            prop_assert_eq!(a.at_most(b), a.min(b));
            prop_assert_eq!(a.positive(), a.max(1));
            prop_assert_eq!(small.positive(), small.max(1));
            let (lo, hi) = (a.min(b), a.max(b));
            prop_assert_eq!(small.within(lo, hi), small.clamp(lo, hi));
            prop_assert_eq!((a >> 1).within(-small.abs(), small.abs()), (a >> 1).clamp(-small.abs(), small.abs()));
        }
    }
}
