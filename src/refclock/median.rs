//! The reference clock combiner: many per-second offsets in, one sample per poll out.
//!
//! Owns: [`OffsetAccumulator`], which collects the (local time, offset) pairs a driver
//! measures between two polls (one per sentence or PPS edge) and combines them.
//!
//! While our clock still has a frequency error the offsets ramp across the window
//! (20 ppm × 64 s = 1.3 ms), so a plain average would lag by half the window. The combiner
//! therefore fits a least-squares line through the pairs, trims outliers by their residual
//! with ntpd's rule (repeatedly drop whichever extreme lies further from the median until
//! 60 % remain), refits the survivors, and reports the fitted offset *at the newest time*;
//! the RMS residual of the survivors is the jitter. Integer arithmetic only (i128); if the
//! numbers are too large for that, it falls back to the trimmed mean without a slope.

use crate::int128::{Sat128, checked_div_i128, checked_mul_i128, div_i128};
use crate::sample::Sample;
use crate::time::{NtpDuration, NtpTime};

/// Collects up to `N` (time, offset) pairs between polls (`N` ≤ 255). When full, neighbours
/// are merged pairwise (mean time, mean offset), so the window keeps its whole span at half
/// the resolution: 16 pairs serve a 64 s poll of per-second offsets about as well as 64 (the
/// line fit loses little to averaging neighbours), in a quarter of the memory.
#[derive(Clone, Debug)]
pub struct OffsetAccumulator<const N: usize> {
    /// Offsets, 2^-32 s.
    offsets: [i64; N],
    /// Local times relative to `base`, 2^-32 s.
    times: [i64; N],
    len: usize,
    base: Option<NtpTime>,
    last_time: Option<NtpTime>,
}

/// One combined measurement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Combined {
    /// Offset of the fitted line at [`Combined::time`], 2^-32 s.
    pub offset: NtpDuration,
    /// RMS residual of the kept offsets about the fitted line, 2^-32 s.
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
    /// jitter, at most [`Sample::MAX_DISPERSION`] (16 s: offsets scattered over hours, as
    /// after clock steps or a receiver sending garbage dates, give a sample the filter treats
    /// as unusable, not one outside the range every sample keeps to).
    pub fn to_sample(self, precision: i8) -> Sample {
        Sample {
            offset: self.offset,
            delay: NtpDuration::ZERO,
            dispersion: (precision_duration(precision) + self.jitter).min(Sample::MAX_DISPERSION),
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

/// A least-squares line through some of the points: `y = y_mean + (t − t_mean)·sxy/sxx`.
#[derive(Clone, Copy, Debug)]
struct Line {
    t_mean: i128,
    y_mean: i128,
    sxy: i128,
    sxx: i128,
}

impl Line {
    /// The line's value at `t` (`None` on overflow).
    fn at(&self, t: i128) -> Option<i128> {
        if self.sxx == 0 {
            return Some(self.y_mean);
        }
        let dy = checked_mul_i128(t.checked_sub(self.t_mean)?, self.sxy)?;
        let dy = checked_div_i128(dy, self.sxx)?;
        self.y_mean.checked_add(dy)
    }

    fn flat(y_mean: i128) -> Self {
        Line {
            t_mean: 0,
            y_mean,
            sxy: 0,
            sxx: 0,
        }
    }
}

impl<const N: usize> OffsetAccumulator<N> {
    const FITS_U8: () = assert!(N <= 255, "OffsetAccumulator holds at most 255 pairs");

    /// An empty accumulator.
    pub const fn new() -> Self {
        #[allow(clippy::let_unit_value)]
        let () = Self::FITS_U8;
        Self {
            offsets: [0; N],
            times: [0; N],
            len: 0,
            base: None,
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
        self.base = None;
        self.last_time = None;
    }

    /// Adds one offset measured at local time `time`.
    pub fn push(&mut self, offset: NtpDuration, time: NtpTime) {
        if self.len >= N {
            // Merge neighbours pairwise (mean time, mean offset).
            let half = N / 2;
            for k in 0..half {
                let (Some(&t0), Some(&t1), Some(&o0), Some(&o1)) = (
                    self.times.get(2 * k),
                    self.times.get(2 * k + 1),
                    self.offsets.get(2 * k),
                    self.offsets.get(2 * k + 1),
                ) else {
                    break;
                };
                if let (Some(t), Some(o)) = (self.times.get_mut(k), self.offsets.get_mut(k)) {
                    *t = t0 / 2 + t1 / 2;
                    *o = o0 / 2 + o1 / 2;
                }
            }
            self.len = half;
        }
        let base = *self.base.get_or_insert(time);
        let (Some(o), Some(t)) = (self.offsets.get_mut(self.len), self.times.get_mut(self.len))
        else {
            return;
        };
        *o = offset.to_bits();
        *t = (time - base).to_bits();
        self.len += 1;
        self.last_time = Some(time);
    }

    /// The points with indices in `idx`, as i128 pairs.
    fn point(&self, i: u8) -> Option<(i128, i128)> {
        let i = usize::from(i);
        Some((
            i128::from(*self.times.get(i)?),
            i128::from(*self.offsets.get(i)?),
        ))
    }

    /// Least-squares line through the points `idx`; flat (mean only) if a sum overflows.
    fn fit(&self, idx: &[u8]) -> Option<Line> {
        let n = i128::try_from(idx.len()).ok().filter(|&n| n > 0)?;
        let (mut st, mut sy) = (0i128, 0i128);
        for &i in idx {
            let (t, y) = self.point(i)?;
            st += t;
            sy += y;
        }
        let (t_mean, y_mean) = (div_i128(st, n), div_i128(sy, n));
        let mut sums = Some((0i128, 0i128));
        for &i in idx {
            let (t, y) = self.point(i)?;
            let (dt, dy) = (t - t_mean, y - y_mean);
            sums = sums.and_then(|(sxx, sxy)| {
                Some((
                    sxx.checked_add(checked_mul_i128(dt, dt)?)?,
                    sxy.checked_add(checked_mul_i128(dt, dy)?)?,
                ))
            });
        }
        Some(match sums {
            Some((sxx, sxy)) => Line {
                t_mean,
                y_mean,
                sxy,
                sxx,
            },
            None => Line::flat(y_mean),
        })
    }

    /// Residual of point `i` about `line`, saturated into i64.
    fn residual(&self, line: &Line, i: u8) -> Option<i64> {
        let (t, y) = self.point(i)?;
        let r = match line.at(t) {
            Some(p) => y - p,
            None => y - line.y_mean,
        };
        Some(i64::try_from(r).unwrap_or(if r < 0 { i64::MIN } else { i64::MAX }))
    }

    /// Combines and clears what was collected; `None` when empty.
    pub fn take(&mut self) -> Option<Combined> {
        let time = self.last_time?;
        let base = self.base?;
        let collected = self.len;
        let mut idx = [0u8; N];
        for (k, slot) in idx.iter_mut().enumerate().take(collected) {
            *slot = u8::try_from(k).ok()?;
        }
        let idx = idx.get_mut(..collected)?;
        let first = self.fit(idx)?;
        let mut residuals = [0i64; N];
        for (r, &i) in residuals.iter_mut().zip(idx.iter()) {
            *r = self.residual(&first, i)?;
        }
        crate::sort::sort_by_key(idx, |&i| {
            residuals.get(usize::from(i)).copied().unwrap_or(0)
        });
        let res = |i: u8| i128::from(residuals.get(usize::from(i)).copied().unwrap_or(0));
        let keep = (collected - collected * 4 / 10).max(1);
        let (mut lo, mut hi) = (0usize, collected);
        while hi - lo > keep {
            let mid = res(*idx.get((lo + hi) / 2)?);
            let low = res(*idx.get(lo)?);
            let high = res(*idx.get(hi - 1)?);
            if high - mid < mid - low {
                lo += 1;
            } else {
                hi -= 1;
            }
        }
        let kept_idx = idx.get(lo..hi)?;
        let line = self.fit(kept_idx)?;
        let t_last = i128::from((time - base).to_bits());
        let offset = line.at(t_last).unwrap_or(line.y_mean);
        let k = i128::try_from(kept_idx.len()).ok()?.max(1);
        let mut var = 0i128;
        for &i in kept_idx {
            let r = i128::from(self.residual(&line, i)?);
            var = var.sat_add(r.sat_mul(r));
        }
        self.clear();
        Some(Combined {
            offset: NtpDuration::from_bits(i64::try_from(offset).ok()?),
            jitter: NtpDuration::from_bits(
                i64::try_from(isqrt(div_i128(var, k))).unwrap_or(i64::MAX),
            ),
            collected,
            kept: kept_idx.len(),
            time,
        })
    }
}

/// Integer square root (floor) of a non-negative `i128`.
fn isqrt(v: i128) -> i128 {
    crate::isqrt::isqrt_i128(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> NtpTime {
        NtpTime::from_parts(3_900_000_000 + s, 0)
    }

    #[test]
    fn sample_dispersion_stays_within_maxdisp() {
        // Found by the refclock_stream fuzz target: a Meinberg clock fed strings whose times
        // jumped by an hour gave a sample with 4999 s of dispersion.
        let c = Combined {
            offset: NtpDuration::from_seconds(-4647),
            jitter: NtpDuration::from_seconds(4999),
            collected: 4,
            kept: 3,
            time: t(0),
        };
        assert_eq!(c.to_sample(-20).dispersion, Sample::MAX_DISPERSION);
        let calm = Combined {
            jitter: NtpDuration::from_micros(3),
            ..c
        };
        assert_eq!(
            calm.to_sample(-20).dispersion,
            precision_duration(-20) + NtpDuration::from_micros(3)
        );
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

    /// 64 s of per-second offsets falling 20 µs per second (our clock runs 20 ppm fast)
    /// plus ±1 µs noise, through an accumulator of `N`; also the slope (ppb) of the line
    /// fitted through all the points it holds.
    fn ramp<const N: usize>() -> (Combined, i128) {
        let mut acc = OffsetAccumulator::<N>::new();
        let mut seed = 12345u64;
        for s in 0..64 {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
            let noise = ((seed >> 40) % 2001) as i64 - 1000; // ±1000 ns
            acc.push(
                NtpDuration::from_micros(300 - 20 * s) + NtpDuration::from_nanos(noise),
                t(s),
            );
        }
        let all: std::vec::Vec<u8> = (0..acc.len() as u8).collect();
        let line = acc.fit(&all).unwrap();
        (acc.take().unwrap(), line.sxy * 1_000_000_000 / line.sxx)
    }

    #[test]
    fn ramp_is_detrended() {
        // 64 slots hold every offset; 16 merge neighbours and keep the whole span.
        for (c, slope_ppb) in [ramp::<64>(), ramp::<16>()] {
            let err = c.offset - NtpDuration::from_micros(300 - 20 * 63);
            assert!(err.abs() < NtpDuration::from_micros(1), "error {err}");
            assert!(
                c.jitter < NtpDuration::from_micros(1),
                "jitter {}",
                c.jitter
            );
            assert!((slope_ppb + 20_000).abs() < 200, "slope {slope_ppb}");
            assert_eq!(c.time, t(63));
        }
        // Merged points still span the window: the slope is that of all 64 s.
        assert_eq!(ramp::<16>().0.collected, 16);
    }

    #[test]
    fn huge_offsets_do_not_overflow() {
        let mut acc = OffsetAccumulator::<8>::new();
        acc.push(NtpDuration::MAX, t(0));
        acc.push(NtpDuration::MIN, t(1));
        acc.push(NtpDuration::MAX, t(2));
        let _ = acc.take();
        acc.push(NtpDuration::MIN, t(0));
        acc.push(NtpDuration::MIN, NtpTime::MAX);
        let _ = acc.take();
    }

    #[test]
    fn overflow_merges_and_keeps_the_newest_time() {
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
