//! The reference clock median filter: many per-second offsets in, one sample per poll out.
//!
//! Owns: [`OffsetAccumulator`], which collects the offsets a driver measures between two
//! polls (one per sentence or PPS edge) and combines them the way ntpd's refclock code does:
//! sort, repeatedly drop whichever extreme lies further from the median until 60 % remain,
//! then average. The RMS deviation of the survivors is the jitter. Integer arithmetic only.

use crate::sample::Sample;
use crate::time::{NtpDuration, NtpTime};

/// Collects up to `N` offsets between polls. When full, new offsets replace the oldest half
/// (the filter keeps working on the freshest data even if nobody polls).
#[derive(Clone, Debug)]
pub struct OffsetAccumulator<const N: usize> {
    offsets: [i64; N],
    len: usize,
    last_time: Option<NtpTime>,
}

/// One combined measurement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Combined {
    /// Trimmed mean offset, 2^-32 s.
    pub offset: NtpDuration,
    /// RMS deviation of the kept offsets from their mean, 2^-32 s.
    pub jitter: NtpDuration,
    /// Offsets collected.
    pub collected: usize,
    /// Offsets kept after trimming.
    pub kept: usize,
    /// Local time of the newest offset.
    pub time: NtpTime,
}

impl Combined {
    /// The Sample a reference clock hands on: zero delay, dispersion = 2^`precision` s plus the
    /// jitter.
    pub fn to_sample(self, precision: i8) -> Sample {
        Sample {
            offset: self.offset,
            delay: NtpDuration::ZERO,
            dispersion: precision_duration(precision) + self.jitter,
            time: self.time,
        }
    }
}

/// 2^`log2` seconds as a duration (saturating; `log2` ≤ −32 gives one unit).
pub fn precision_duration(log2: i8) -> NtpDuration {
    NtpDuration::ONE_SECOND
        .shift(i32::from(log2))
        .max(NtpDuration::RESOLUTION)
}

impl<const N: usize> Default for OffsetAccumulator<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> OffsetAccumulator<N> {
    /// An empty accumulator.
    pub const fn new() -> Self {
        Self {
            offsets: [0; N],
            len: 0,
            last_time: None,
        }
    }

    /// Offsets waiting.
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing is waiting.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Drops everything collected.
    pub fn clear(&mut self) {
        self.len = 0;
        self.last_time = None;
    }

    /// Adds one offset measured at local time `time`.
    pub fn push(&mut self, offset: NtpDuration, time: NtpTime) {
        if self.len >= N {
            // Keep the newer half.
            let half = N / 2;
            self.offsets.copy_within(half.., 0);
            self.len = N - half;
        }
        if let Some(slot) = self.offsets.get_mut(self.len) {
            *slot = offset.to_bits();
            self.len += 1;
            self.last_time = Some(time);
        }
    }

    /// Combines and clears what was collected; `None` when empty.
    pub fn take(&mut self) -> Option<Combined> {
        let time = self.last_time?;
        let collected = self.len;
        let values = self.offsets.get_mut(..collected)?;
        values.sort_unstable();
        let keep = collected - collected * 4 / 10;
        let (mut lo, mut hi) = (0usize, collected);
        while hi - lo > keep.max(1) {
            let mid = *values.get((lo + hi) / 2)?;
            let low = *values.get(lo)?;
            let high = *values.get(hi - 1)?;
            // Drop the extreme that lies further from the median.
            if i128::from(high) - i128::from(mid) < i128::from(mid) - i128::from(low) {
                lo += 1;
            } else {
                hi -= 1;
            }
        }
        let kept_values = values.get(lo..hi)?;
        let kept = kept_values.len();
        let n = i128::try_from(kept).ok()?.max(1);
        let sum: i128 = kept_values.iter().map(|&v| i128::from(v)).sum();
        let mean = sum / n;
        let var: i128 = kept_values
            .iter()
            .map(|&v| {
                let d = i128::from(v) - mean;
                d.saturating_mul(d)
            })
            .fold(0i128, i128::saturating_add)
            / n;
        self.clear();
        Some(Combined {
            offset: NtpDuration::from_bits(i64::try_from(mean).ok()?),
            jitter: NtpDuration::from_bits(i64::try_from(isqrt(var)).unwrap_or(i64::MAX)),
            collected,
            kept,
            time,
        })
    }
}

/// Integer square root (floor) of a non-negative `i128`.
fn isqrt(v: i128) -> i128 {
    if v <= 0 {
        return 0;
    }
    let mut x = v;
    let mut y = (x + 1) / 2;
    while y < x {
        x = y;
        y = (x + v / x) / 2;
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> NtpTime {
        NtpTime::from_parts(3_900_000_000 + s, 0)
    }

    #[test]
    fn trims_outliers_and_averages() {
        let mut acc = OffsetAccumulator::<16>::new();
        for (i, us) in [10, 12, 11, 9, 10, 500, -400, 10, 11, 9].iter().enumerate() {
            acc.push(NtpDuration::from_micros(*us), t(i as i64));
        }
        let c = acc.take().unwrap();
        assert_eq!((c.collected, c.kept), (10, 6));
        assert!((c.offset.as_nanos() - 10_000).abs() < 1_000, "{}", c.offset);
        assert!(c.jitter < NtpDuration::from_micros(2));
        assert_eq!(c.time, t(9));
        assert!(acc.take().is_none());
    }

    #[test]
    fn overflow_keeps_newest() {
        let mut acc = OffsetAccumulator::<4>::new();
        for i in 0..9 {
            acc.push(NtpDuration::from_millis(i), t(i));
        }
        assert_eq!(acc.len(), 3);
        let c = acc.take().unwrap();
        assert_eq!(c.time, t(8));
        assert!(c.offset >= NtpDuration::from_millis(6));
    }

    #[test]
    fn single_and_sqrt() {
        let mut acc = OffsetAccumulator::<4>::new();
        acc.push(NtpDuration::from_micros(-3), t(0));
        let c = acc.take().unwrap();
        assert_eq!(
            (c.offset, c.jitter, c.kept),
            (NtpDuration::from_micros(-3), NtpDuration::ZERO, 1)
        );
        assert_eq!(isqrt(99), 9);
        assert_eq!(isqrt(100), 10);
        assert_eq!(isqrt(i128::from(i64::MAX)), 3_037_000_499);
        assert_eq!(precision_duration(-20), NtpDuration::from_bits(1 << 12));
    }
}
