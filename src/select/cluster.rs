//! The clustering algorithm (RFC 5905 §11.2.2, ntpd's weighting): while
//! more than `minclock` truechimers remain, find the one whose selection
//! jitter times root distance is largest and vote it off, unless its
//! selection jitter is already no larger than the smallest peer jitter
//! (removing it would not help) or it is immune (`true` or `prefer`).
//!
//! This file owns the pruning loop and the [`Member`] record that clustering
//! and combining share; it does not decide who enters (see [`super`]).
//! Arithmetic is in 2^-32 s integers; squares are taken in `u128` after
//! clamping differences to ±2^47 units (±32768 s), so nothing overflows.

use crate::int128::div_u128;

/// One truechimer as clustering and combining see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Member {
    /// Index of the candidate in the caller's slice.
    pub index: usize,
    /// Peer offset θ (2^-32 s).
    pub offset: i64,
    /// Root distance λ, at least 1 (2^-32 s).
    pub distance: i64,
    /// Peer jitter ψ, at least 0 (2^-32 s).
    pub jitter: i64,
    /// Never voted off (`true` or `prefer`).
    pub immune: bool,
}

/// Largest offset difference squared here (2^-32 s), ±32768 s.
const DIFF_CLAMP: i64 = 1 << 47;

/// `|a − b|` clamped to [`DIFF_CLAMP`], in 2^-32 s. Out of line on 32-bit
/// targets: 64-bit saturation and clamping, in the loops of both files.
#[cfg_attr(target_pointer_width = "32", inline(never))]
pub(crate) fn clamped_diff(a: i64, b: i64) -> u64 {
    a.saturating_sub(b)
        .clamp(-DIFF_CLAMP, DIFF_CLAMP)
        .unsigned_abs()
}

/// Integer square root (floor) of a `u128` (always fits a `u64`).
pub(crate) fn isqrt(v: u128) -> u64 {
    crate::isqrt::isqrt_u128(v)
}

/// Selection jitter of `members[i]` against the others: the RMS of the
/// offset differences, `sqrt(Σ_j (θ_j − θ_i)² / (n − 1))`, in 2^-32 s.
/// 0 for a single member.
fn selection_jitter(members: &[Member], i: usize) -> u64 {
    let Some(me) = members.get(i) else { return 0 };
    let n = members.len();
    if n < 2 {
        return 0;
    }
    let mut sum: u128 = 0;
    for other in members {
        let d = u128::from(clamped_diff(other.offset, me.offset));
        sum = sum.saturating_add(d * d);
    }
    isqrt(div_u128(sum, n as u128 - 1))
}

/// Prunes `members` down to at least `max(minclock, 1)` entries. Removed
/// members are rotated to the tail in removal order (the first removed is
/// last); the order of the kept prefix is preserved. Returns how many are
/// kept.
pub(crate) fn cluster(members: &mut [Member], minclock: usize) -> usize {
    let mut n = members.len();
    let floor = minclock.max(1);
    while n > floor {
        let live = members.get(..n).unwrap_or(&[]);
        let mut worst = 0usize;
        let mut worst_metric: u128 = 0;
        let mut worst_jitter: u64 = 0;
        let mut min_peer_jitter = u64::MAX;
        for (i, m) in live.iter().enumerate() {
            let sj = selection_jitter(live, i);
            let metric = u128::from(sj) * u128::from(m.distance.max(1).unsigned_abs());
            if i == 0 || metric > worst_metric {
                worst = i;
                worst_metric = metric;
                worst_jitter = sj;
            }
            min_peer_jitter = min_peer_jitter.min(m.jitter.max(0).unsigned_abs());
        }
        let immune = live.get(worst).is_some_and(|m| m.immune);
        if worst_jitter <= min_peer_jitter || immune {
            break;
        }
        // Move the worst to the end of the live part (what `rotate_left(1)`
        // of the tail does), element by element: the general rotation links
        // memmove, about 2 KB on a Cortex-M3, for a handful of moves.
        if let Some(tail) = members.get_mut(worst..)
            && let Some(&first) = tail.first()
        {
            let mut carry = first;
            for m in tail.iter_mut().rev() {
                core::mem::swap(m, &mut carry);
            }
        }
        n -= 1;
    }
    n
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A non-immune member (also used by the combine tests).
    pub(crate) fn m(index: usize, offset: i64, distance: i64, jitter: i64) -> Member {
        Member {
            index,
            offset,
            distance,
            jitter,
            immune: false,
        }
    }

    #[test]
    fn isqrt_is_floor_root() {
        for v in [
            0u128,
            1,
            2,
            3,
            4,
            15,
            16,
            17,
            99,
            100,
            1 << 64,
            (1 << 64) - 1,
        ] {
            let r = u128::from(isqrt(v));
            assert!(r * r <= v && (r + 1) * (r + 1) > v, "{v}");
        }
        assert_eq!(isqrt(u128::MAX), u64::MAX);
    }

    #[test]
    fn removes_the_outlier_first() {
        let mut ms = [
            m(0, 0, 100, 1),
            m(1, 10, 100, 1),
            m(2, 5, 100, 1),
            m(3, 10_000, 100, 1),
        ];
        let kept = cluster(&mut ms, 3);
        assert_eq!(kept, 3);
        assert_eq!(ms[3].index, 3);
        assert_eq!([ms[0].index, ms[1].index, ms[2].index], [0, 1, 2]);
    }

    #[test]
    fn stops_when_jitter_is_already_small() {
        // Selection jitter ≈ 10, peer jitter 1000: pruning would not help.
        let mut ms = [
            m(0, 0, 100, 1000),
            m(1, 10, 100, 1000),
            m(2, 20, 100, 1000),
            m(3, 30, 100, 1000),
        ];
        assert_eq!(cluster(&mut ms, 1), 4);
    }

    #[test]
    fn immune_member_stops_pruning() {
        let mut ms = [m(0, 0, 100, 1), m(1, 1, 100, 1), m(2, 1_000_000, 100, 1)];
        ms[2].immune = true;
        assert_eq!(cluster(&mut ms, 1), 3);
    }

    #[test]
    fn never_below_one() {
        let mut ms = [m(0, 0, 100, 0), m(1, 1 << 40, 100, 0)];
        assert_eq!(cluster(&mut ms, 0), 1);
    }
}
