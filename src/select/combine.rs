//! The combining algorithm (RFC 5905 §11.2.3): the system offset is the
//! average of the survivors' offsets weighted by 1/λ (root distance), and
//! the system jitter combines the system peer's own jitter with the
//! weighted RMS spread of the survivors around the system peer:
//! `ϑ = sqrt(ψ_sys² + Σ w_i (θ_i − θ_sys)² / Σ w_i)`.
//!
//! This file owns only that arithmetic. Integer form: weights are
//! `2^60 / λ` (λ in 2^-32 s), normalised to sum to 2^32 before they
//! multiply offsets taken relative to the system peer and clamped to
//! ±32768 s, so every intermediate fits a 128-bit integer.

use super::cluster::{Member, clamped_diff, isqrt};
use crate::int128::checked_div_u128;

/// Combined offset and jitter, both in 2^-32 s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Combined {
    /// Weighted offset (2^-32 s).
    pub offset: i64,
    /// System jitter (2^-32 s), ≥ 0.
    pub jitter: i64,
}

/// Weight of one member, `2^60 / λ`, in [1, 2^60]. Out of line on 32-bit
/// targets (a 64-bit division; both loops use it).
#[cfg_attr(target_pointer_width = "32", inline(never))]
fn weight(m: &Member) -> u64 {
    let d = m.distance.max(1).unsigned_abs();
    (1u64 << 60).checked_div(d).unwrap_or(0).max(1)
}

/// Combines `members` around the system peer `sys` (which need not be in
/// `members`). With no members the result is the system peer's own offset
/// and jitter.
///
/// No step below can overflow, so none saturates (bounds in 2^-32 s): a
/// weight is at most 2^60, so `total` < 2^124 for any slice; a normalised
/// weight `w` is at most 2^32 and they sum to at most 2^32; `d` ≤ 2^47.
/// Hence `w·d` ≤ 2^79, |Σ ±w·d| ≤ 2^79 and Σ w·d² ≤ 2^126.
pub(crate) fn combine(members: &[Member], sys: &Member) -> Combined {
    let total: u128 = members.iter().map(|m| u128::from(weight(m))).sum();
    let mut sum_offset: i128 = 0;
    let mut sum_square: u128 = 0;
    for m in members {
        // Normalised weight, ≤ 2^32 (weight(m) ≤ total); Σ ≤ 2^32.
        let Some(w) = checked_div_u128(u128::from(weight(m)) << 32, total) else {
            break;
        };
        let d = clamped_diff(m.offset, sys.offset);
        let wd = (w as u64 as u128) * u128::from(d);
        if m.offset >= sys.offset {
            sum_offset += wd as i128;
        } else {
            sum_offset -= wd as i128;
        }
        sum_square += wd * u128::from(d);
    }
    // Round the mean offset to nearest (2^-32 s); |mean| ≤ 2^47.
    let mean = ((sum_offset + (1 << 31)) >> 32) as i64;
    let offset = sys.offset.saturating_add(mean);
    // < 2^94 + 2^126: no overflow.
    let spread_sq = sum_square >> 32;
    let own = u128::from(sys.jitter.max(0).unsigned_abs());
    let jitter = isqrt(spread_sq + own * own);
    Combined {
        offset,
        jitter: i64::try_from(jitter).unwrap_or(i64::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::super::cluster::tests::m;
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn equal_weights_average() {
        let ms = [m(0, 100, 1000, 0), m(1, 200, 1000, 0), m(2, 300, 1000, 0)];
        let c = combine(&ms, &ms[0]);
        assert_eq!(c.offset, 200);
        // Spread around the system peer: sqrt((0 + 100² + 200²)/3) = 129.09
        assert_eq!(c.jitter, 129);
    }

    #[test]
    fn closer_source_weighs_more() {
        // λ 1000 vs 3000: weights 3:1 -> (3*0 + 1*400)/4 = 100
        let ms = [m(0, 0, 1000, 0), m(1, 400, 3000, 0)];
        let c = combine(&ms, &ms[0]);
        assert!((c.offset - 100).abs() <= 1, "{}", c.offset);
    }

    #[test]
    fn lone_system_peer() {
        let sys = m(0, -5_000, 1 << 32, 77);
        let c = combine(&[sys], &sys);
        assert_eq!((c.offset, c.jitter), (-5_000, 77));
        let c = combine(&[], &sys);
        assert_eq!((c.offset, c.jitter), (-5_000, 77));
    }

    #[test]
    fn extremes_do_not_overflow() {
        let ms = [
            m(0, i64::MAX, 1, i64::MAX),
            m(1, i64::MIN, i64::MAX, 0),
            m(2, 0, 1, 0),
        ];
        let c = combine(&ms, &ms[1]);
        assert!(c.jitter >= 0);
    }

    /// The saturating 128-bit form this file used before its bounds were
    /// proven (see [`combine`]): the results must be the same.
    fn reference(members: &[Member], sys: &Member) -> Combined {
        let weight = |m: &Member| {
            let d = u128::from(m.distance.max(1).unsigned_abs());
            ((1u128 << 60) / d).max(1)
        };
        let total: u128 = members
            .iter()
            .fold(0u128, |acc, m| acc.saturating_add(weight(m)));
        let mut sum_offset: i128 = 0;
        let mut sum_square: u128 = 0;
        for m in members {
            let Some(w) = ((weight(m)) << 32).checked_div(total) else {
                break;
            };
            let d = clamped_diff(m.offset, sys.offset);
            let signed = if m.offset >= sys.offset {
                i128::from(d)
            } else {
                -i128::from(d)
            };
            sum_offset = sum_offset.saturating_add(signed.saturating_mul(w as i128));
            sum_square = sum_square.saturating_add(w.saturating_mul(u128::from(d) * u128::from(d)));
        }
        let mean = sum_offset.saturating_add(1 << 31) >> 32;
        let offset = sys
            .offset
            .saturating_add(i64::try_from(mean).unwrap_or(if mean < 0 {
                i64::MIN
            } else {
                i64::MAX
            }));
        let own = u128::from(sys.jitter.max(0).unsigned_abs());
        let jitter = isqrt((sum_square >> 32).saturating_add(own.saturating_mul(own)));
        Combined {
            offset,
            jitter: i64::try_from(jitter).unwrap_or(i64::MAX),
        }
    }

    fn member() -> impl Strategy<Value = Member> {
        let value = prop_oneof![any::<i64>(), -(1i64 << 40)..(1i64 << 40), -3i64..3];
        (value.clone(), value.clone(), value).prop_map(|(o, d, j)| m(0, o, d, j))
    }

    proptest! {
        #[test]
        fn same_as_the_saturating_form(
            ms in proptest::collection::vec(member(), 0..12),
            sys in member(),
            pick in any::<usize>(),
        ) {
            // The system peer is one of the members, or (a prefer peer) not.
            let sys = ms.get(pick % (ms.len() + 1)).copied().unwrap_or(sys);
            prop_assert_eq!(combine(&ms, &sys), reference(&ms, &sys));
        }
    }
}
