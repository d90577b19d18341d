//! The core's one integer square root (floor), for jitters and standard
//! deviations computed from sums of squares.
//!
//! One routine instead of three (the clock filter and selection used
//! `core`'s `u128::isqrt`, the discipline and the refclock median had their
//! own): on Cortex-M each 128-bit copy costs 0.5–2 KB of flash. Newton's
//! iteration from a power of two above the root; the divisions are checked,
//! so there is no panic path.

use crate::int128::div_u128;

/// ⌊√v⌋ (always fits a `u64`).
pub(crate) fn isqrt_u128(v: u128) -> u64 {
    if v < 2 {
        return v as u64;
    }
    let bits = 128 - v.leading_zeros();
    let mut x: u128 = 1u128 << bits.div_ceil(2);
    loop {
        let y = (x + div_u128(v, x)) >> 1;
        if y >= x {
            return u64::try_from(x).unwrap_or(u64::MAX);
        }
        x = y;
    }
}

/// ⌊√v⌋ of a signed value; 0 for v ≤ 0.
pub(crate) fn isqrt_i128(v: i128) -> i128 {
    if v <= 0 {
        0
    } else {
        i128::from(isqrt_u128(v.unsigned_abs()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn edges() {
        assert_eq!(isqrt_u128(0), 0);
        assert_eq!(isqrt_u128(1), 1);
        assert_eq!(isqrt_u128(2), 1);
        assert_eq!(isqrt_u128(3), 1);
        assert_eq!(isqrt_u128(4), 2);
        assert_eq!(isqrt_u128(99), 9);
        assert_eq!(isqrt_u128(100), 10);
        assert_eq!(isqrt_u128(u128::MAX), u64::MAX);
        assert_eq!(
            isqrt_u128(u128::from(u64::MAX) * u128::from(u64::MAX)),
            u64::MAX
        );
        assert_eq!(isqrt_i128(-4), 0);
        assert_eq!(isqrt_i128(i128::from(i64::MAX)), 3_037_000_499);
        assert_eq!(isqrt_i128(i128::MAX), 13_043_817_825_332_782_212);
    }

    proptest! {
        #[test]
        fn matches_core(v in any::<u128>(), small in any::<u64>()) {
            prop_assert_eq!(u128::from(isqrt_u128(v)), v.isqrt());
            let s = u128::from(small);
            prop_assert_eq!(u128::from(isqrt_u128(s)), s.isqrt());
        }
    }
}
