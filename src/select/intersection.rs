//! The intersection algorithm (RFC 5905 §11.2.1, in the form ntpd 4.2.8
//! uses): find the smallest number of falsetickers `f` (with `2f < n`) such
//! that some interval `[low, high]` is covered by the correctness intervals of
//! at least `n − f` candidates. Candidates whose interval overlaps
//! `[low, high]` are truechimers; the rest are falsetickers.
//!
//! This file owns only the arithmetic on intervals; which candidates enter,
//! and what `true` sources do, is decided in [`super`].
//!
//! Tie rule: intervals are closed, so two intervals that touch at one point
//! both cover it. `low` is the smallest interval endpoint covered by
//! `n − f` intervals and `high` the largest; RFC 5905's scan over sorted
//! endpoints computes the same points without the sort's tie ambiguity.
//! Cost O(n²) time, two `[u16; N]` scratch arrays on the stack.

/// A correctness interval `[lo, hi]`, in 2^-32 s (raw [`crate::NtpDuration`]
/// bits): the candidate's offset ± its root distance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Interval {
    /// Lower end, offset − λ (2^-32 s).
    pub lo: i64,
    /// Upper end, offset + λ (2^-32 s).
    pub hi: i64,
}

impl Interval {
    /// True if the closed intervals `self` and `[low, high]` share a point.
    pub fn overlaps(&self, low: i64, high: i64) -> bool {
        self.hi >= low && self.lo <= high
    }

    fn covers(&self, point: i64) -> bool {
        self.lo <= point && point <= self.hi
    }
}

/// The result of a successful intersection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Intersection {
    /// Lower end of the intersection interval (2^-32 s).
    pub low: i64,
    /// Upper end of the intersection interval (2^-32 s).
    pub high: i64,
    /// How many falsetickers had to be allowed to find it.
    pub falsetickers: usize,
}

/// Runs the intersection over at most `N` intervals (extra ones are ignored).
/// `None` if no majority (more than half) of the intervals share a point.
pub(crate) fn intersect<const N: usize>(intervals: &[Interval]) -> Option<Intersection> {
    let intervals = intervals.get(..N).unwrap_or(intervals);
    let n = intervals.len();
    // Coverage (how many intervals contain the point) at every endpoint.
    let mut cover_lo = [0u16; N];
    let mut cover_hi = [0u16; N];
    for ((iv, clo), chi) in intervals
        .iter()
        .zip(cover_lo.iter_mut())
        .zip(cover_hi.iter_mut())
    {
        let mut lo_count = 0u16;
        let mut hi_count = 0u16;
        for other in intervals {
            lo_count = lo_count.saturating_add(u16::from(other.covers(iv.lo)));
            hi_count = hi_count.saturating_add(u16::from(other.covers(iv.hi)));
        }
        *clo = lo_count;
        *chi = hi_count;
    }
    let mut allow = 0usize;
    while allow.saturating_mul(2) < n {
        let need = n.saturating_sub(allow);
        let mut low: Option<i64> = None;
        let mut high: Option<i64> = None;
        for ((iv, &clo), &chi) in intervals.iter().zip(cover_lo.iter()).zip(cover_hi.iter()) {
            if usize::from(clo) >= need {
                low = Some(low.map_or(iv.lo, |l| l.min(iv.lo)));
            }
            if usize::from(chi) >= need {
                high = Some(high.map_or(iv.hi, |h| h.max(iv.hi)));
            }
        }
        if let (Some(low), Some(high)) = (low, high) {
            if low <= high {
                return Some(Intersection {
                    low,
                    high,
                    falsetickers: allow,
                });
            }
        }
        allow += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iv(lo: i64, hi: i64) -> Interval {
        Interval { lo, hi }
    }

    #[test]
    fn all_agree_no_falsetickers() {
        let r = intersect::<8>(&[iv(0, 10), iv(2, 12), iv(4, 14)]).unwrap();
        assert_eq!((r.low, r.high, r.falsetickers), (4, 10, 0));
    }

    #[test]
    fn one_falseticker_among_four() {
        let ivs = [iv(0, 10), iv(1, 11), iv(2, 12), iv(100, 110)];
        let r = intersect::<8>(&ivs).unwrap();
        assert_eq!((r.low, r.high, r.falsetickers), (2, 10, 1));
        assert!(!ivs[3].overlaps(r.low, r.high));
    }

    #[test]
    fn two_against_two_has_no_majority() {
        let ivs = [iv(0, 10), iv(1, 11), iv(100, 110), iv(101, 111)];
        assert_eq!(intersect::<8>(&ivs), None);
    }

    #[test]
    fn touching_intervals_share_the_point() {
        let r = intersect::<4>(&[iv(0, 5), iv(5, 9)]).unwrap();
        assert_eq!((r.low, r.high), (5, 5));
    }

    #[test]
    fn empty_and_single() {
        assert_eq!(intersect::<4>(&[]), None);
        let r = intersect::<4>(&[iv(-3, 3)]).unwrap();
        assert_eq!((r.low, r.high, r.falsetickers), (-3, 3, 0));
    }

    #[test]
    fn capacity_truncates() {
        // Only the first two are seen; they disagree, so no majority.
        let ivs = [iv(0, 1), iv(5, 6), iv(5, 6)];
        assert_eq!(intersect::<2>(&ivs), None);
    }
}
