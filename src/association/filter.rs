//! The RFC 5905 §10 clock filter: the last eight samples of one remote, the
//! minimum-delay pick, and the peer offset, delay, dispersion and jitter.
//!
//! Owns the 8-stage shift register and the statistics over it. Exact fixed-point
//! arithmetic on [`NtpDuration`] (2^-32 s); no floats. Knows nothing about
//! packets: it is fed [`Sample`]s by the on-wire code or by a reference clock.
//!
//! Rules (RFC 5905 §10 and ntpd's behaviour):
//! - each stage's dispersion grows at [`PHI_PPM`] (15 ppm) from the time its
//!   sample was taken, up to [`Sample::MAX_DISPERSION`] (16 s), where the stage
//!   stops counting;
//! - the valid stage with the smallest delay wins (ties: the newer one);
//! - peer dispersion ε = Σ εᵢ / 2^(i+1) over the stages sorted by delay;
//! - peer jitter ψ = √(Σ (θᵢ − θ₀)² / (m − 1)) over the m valid stages, never
//!   below the system precision;
//! - popcorn spikes: a best offset that differs from the last one by more than
//!   [`SGATE`]·ψ (ψ before this sample) within two poll intervals of the last
//!   update is suppressed, once [`POPCORN_MIN_SAMPLES`] stages are valid;
//! - a sample is used at most once and never one older than the last used.

use crate::sample::Sample;
use crate::time::{NtpDuration, NtpTime, PollInterval};

/// Valid stages needed before the popcorn suppressor acts (half the register:
/// before that ψ says too little; ntpd gets the same effect by requiring the peer
/// dispersion to be below the distance limit).
pub const POPCORN_MIN_SAMPLES: usize = 4;

/// Number of filter stages (RFC 5905 NSTAGE).
pub const NSTAGE: usize = 8;

/// Frequency tolerance Φ in ppm (RFC 5905 PHI = 15e-6 s/s): how fast an old
/// sample's dispersion grows.
pub const PHI_PPM: i64 = 15;

/// Popcorn spike gate: a jump of more than `SGATE` × jitter is a spike (ntpd CLOCK_SGATE).
pub const SGATE: i64 = 3;

/// The dispersion that accumulates over `elapsed` at Φ = 15 ppm, in 2^-32 s
/// (zero for negative spans, saturating).
pub fn phi_dispersion(elapsed: NtpDuration) -> NtpDuration {
    if elapsed.is_negative() {
        return NtpDuration::ZERO;
    }
    elapsed
        .mul_div(PHI_PPM, 1_000_000)
        .unwrap_or(NtpDuration::MAX)
}

/// What the filter currently says about its remote (the RFC 5905 peer
/// variables θ, δ, ε, ψ).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct FilterOutput {
    /// Peer offset θ in 2^-32 s (add to our clock to get the remote's).
    pub offset: NtpDuration,
    /// Peer round-trip delay δ in 2^-32 s.
    pub delay: NtpDuration,
    /// Peer dispersion ε in 2^-32 s, as of `updated`.
    pub dispersion: NtpDuration,
    /// Peer jitter ψ in 2^-32 s (RMS of offset differences).
    pub jitter: NtpDuration,
    /// Local time the chosen sample was taken (its t4).
    pub sample_time: NtpTime,
    /// Local time the filter ran; `dispersion` grows at Φ from here.
    pub updated: NtpTime,
}

impl FilterOutput {
    /// Peer dispersion grown at Φ up to `now`, in 2^-32 s (capped at 16 s).
    pub fn dispersion_at(&self, now: NtpTime) -> NtpDuration {
        let d = self.dispersion + phi_dispersion(now - self.updated);
        d.min(Sample::MAX_DISPERSION)
    }
}

/// What one call to [`ClockFilter::add`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum FilterOutcome {
    /// A fresh best sample: the peer variables changed; hand them to selection.
    Updated(FilterOutput),
    /// The best sample is a popcorn spike: peer offset and delay were kept.
    Spike,
    /// The best sample was already used (or is older than the last used one).
    Stale,
    /// No stage holds a valid sample (all dummies or aged out).
    NoValidSample,
}

/// The 8-stage clock filter of one association or reference clock.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ClockFilter {
    /// Newest first.
    stages: [Sample; NSTAGE],
    /// The last accepted output (peer offset and delay live here).
    output: Option<FilterOutput>,
    /// Dispersion and jitter as of the last run (even if it was not accepted).
    dispersion: NtpDuration,
    jitter: NtpDuration,
    last_run: NtpTime,
}

impl Default for ClockFilter {
    fn default() -> Self {
        Self::new()
    }
}

impl ClockFilter {
    /// An empty filter: every stage a dummy, no output yet.
    pub const fn new() -> Self {
        ClockFilter {
            stages: [Sample::dummy(NtpTime::MIN); NSTAGE],
            output: None,
            dispersion: Sample::MAX_DISPERSION,
            jitter: NtpDuration::ZERO,
            last_run: NtpTime::MIN,
        }
    }

    /// Forgets every sample (after a clock step, or when the association restarts).
    pub fn clear(&mut self) {
        *self = Self::new();
    }

    /// The last accepted output, if any sample was ever accepted.
    pub fn output(&self) -> Option<FilterOutput> {
        self.output
    }

    /// Peer dispersion ε in 2^-32 s grown at Φ to `now` (16 s if never run).
    pub fn dispersion_at(&self, now: NtpTime) -> NtpDuration {
        (self.dispersion + phi_dispersion(now - self.last_run)).min(Sample::MAX_DISPERSION)
    }

    /// Peer jitter ψ in 2^-32 s as of the last run.
    pub fn jitter(&self) -> NtpDuration {
        self.jitter
    }

    /// The stages, newest first (what `ntpq` shows as filtdelay / filtoffset /
    /// filtdisp); dummies are included.
    pub fn stages(&self) -> &[Sample; NSTAGE] {
        &self.stages
    }

    /// A stage's dispersion grown at Φ from its sample time to `now`, capped at
    /// 16 s, in 2^-32 s.
    pub fn stage_dispersion(stage: &Sample, now: NtpTime) -> NtpDuration {
        (stage.dispersion + phi_dispersion(now - stage.time)).min(Sample::MAX_DISPERSION)
    }

    /// Shifts `sample` in and re-runs the filter at local time `now`.
    ///
    /// `precision` (2^-32 s) is the system precision, the floor for jitter;
    /// `poll` is the association's current poll interval (the popcorn window is
    /// two of them).
    pub fn add(
        &mut self,
        sample: Sample,
        now: NtpTime,
        precision: NtpDuration,
        poll: PollInterval,
    ) -> FilterOutcome {
        // Shift the register by one, newest first, the oldest dropping out.
        // Element by element: `rotate_right` links memmove and the general
        // rotation (about 2 KB on a Cortex-M3) for 8 moves.
        let mut carry = sample;
        for stage in self.stages.iter_mut() {
            core::mem::swap(stage, &mut carry);
        }
        self.run(now, precision, poll)
    }

    fn run(&mut self, now: NtpTime, precision: NtpDuration, poll: PollInterval) -> FilterOutcome {
        // Each stage with its dispersion grown to now, sorted: valid stages
        // first, then by delay, ties newest first (the stage index breaks them,
        // so the order is fully determined).
        let mut sorted: [(usize, Sample, NtpDuration); NSTAGE] = core::array::from_fn(|i| {
            let s = self.stages.get(i).copied().unwrap_or(Sample::dummy(now));
            (i, s, Self::stage_dispersion(&s, now))
        });
        let valid = |d: NtpDuration| d < Sample::MAX_DISPERSION;
        crate::sort::sort_by_key(&mut sorted, |&(i, s, d)| (!valid(d), s.delay, i));
        let m = sorted.iter().filter(|(_, _, d)| valid(*d)).count();

        // ε = Σ εᵢ / 2^(i+1), accumulated from the worst stage up.
        let mut dispersion = NtpDuration::ZERO;
        for (_, _, d) in sorted.iter().rev() {
            dispersion = (dispersion + *d).shift(-1);
        }
        self.dispersion = dispersion;
        self.last_run = now;
        let Some(&(_, best, _)) = sorted.first().filter(|_| m > 0) else {
            return FilterOutcome::NoValidSample;
        };

        // ψ = √(Σ (θᵢ − θ₀)² / (m − 1)), in 2^-32 s (squares in 2^-64 s²).
        let mut sum: u128 = 0;
        for (_, s, _) in sorted.iter().take(m).skip(1) {
            let diff = s.offset.to_bits().abs_diff(best.offset.to_bits());
            sum = sum.saturating_add(u128::from(diff) * u128::from(diff));
        }
        let divisor = u128::try_from(m.saturating_sub(1).max(1)).unwrap_or(1);
        let root = crate::isqrt::isqrt_u128(crate::int128::div_u128(sum, divisor));
        let jitter = NtpDuration::from_bits(i64::try_from(root).unwrap_or(i64::MAX));
        let previous_jitter = self.jitter;
        self.jitter = jitter.max(precision);

        // A sample is used once, and never one older than the last used.
        if let Some(prev) = self.output {
            if best.time <= prev.sample_time {
                return FilterOutcome::Stale;
            }
            // Popcorn spike: a jump beyond SGATE·ψ soon after the last update. ψ is
            // the jitter before this sample (the new one already contains the
            // jump); a suppressed spike leaves ψ as it was.
            let jump = (best.offset - prev.offset).abs();
            let window = poll.as_duration().saturating_mul(2);
            if m >= POPCORN_MIN_SAMPLES
                && jump > previous_jitter.saturating_mul(SGATE)
                && best.time - prev.sample_time < window
            {
                self.jitter = previous_jitter;
                return FilterOutcome::Spike;
            }
        }
        let out = FilterOutput {
            offset: best.offset,
            delay: best.delay,
            dispersion: self.dispersion,
            jitter: self.jitter,
            sample_time: best.time,
            updated: now,
        };
        self.output = Some(out);
        FilterOutcome::Updated(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: NtpTime = NtpTime::from_parts(3_900_000_000, 0);
    const POLL: PollInterval = PollInterval::from_log2(6);

    fn prec() -> NtpDuration {
        NtpDuration::from_bits(1 << 12) // 2^-20 s ≈ 0.95 µs
    }

    fn at(secs: i64) -> NtpTime {
        T0 + NtpDuration::from_seconds(secs)
    }

    fn sample(secs: i64, offset_us: i64, delay_us: i64) -> Sample {
        Sample {
            offset: NtpDuration::from_micros(offset_us),
            delay: NtpDuration::from_micros(delay_us),
            dispersion: NtpDuration::from_micros(10),
            time: at(secs),
        }
    }

    #[test]
    fn phi_is_15_ppm() {
        assert_eq!(
            phi_dispersion(NtpDuration::from_seconds(1_000_000)),
            NtpDuration::from_seconds(15)
        );
        assert_eq!(
            phi_dispersion(NtpDuration::from_seconds(-5)),
            NtpDuration::ZERO
        );
    }

    #[test]
    fn first_sample_is_used() {
        let mut f = ClockFilter::new();
        let out = match f.add(sample(0, 100, 500), at(0), prec(), POLL) {
            FilterOutcome::Updated(o) => o,
            other => panic!("{other:?}"),
        };
        assert_eq!(out.offset, NtpDuration::from_micros(100));
        assert_eq!(out.delay, NtpDuration::from_micros(500));
        assert_eq!(out.jitter, prec());
        // ε = 10 µs / 2 + 7 × 16 s weighted: (1/4 + … + 1/256) × 16 s.
        let expect = NtpDuration::from_micros(10).shift(-1)
            + NtpDuration::from_seconds(16).mul_div(127, 256).unwrap();
        let diff = (out.dispersion - expect).abs();
        assert!(
            diff <= NtpDuration::from_bits(8),
            "{} vs {}",
            out.dispersion,
            expect
        );
    }

    #[test]
    fn minimum_delay_wins() {
        let mut f = ClockFilter::new();
        f.add(sample(0, 100, 500), at(0), prec(), POLL);
        f.add(sample(64, 50, 200), at(64), prec(), POLL);
        // Larger delay: the 200 µs sample (already used) stays best → stale.
        assert_eq!(
            f.add(sample(128, 400, 900), at(128), prec(), POLL),
            FilterOutcome::Stale
        );
        assert_eq!(f.output().unwrap().offset, NtpDuration::from_micros(50));
        // A smaller delay wins.
        match f.add(sample(192, 60, 150), at(192), prec(), POLL) {
            FilterOutcome::Updated(o) => assert_eq!(o.offset, NtpDuration::from_micros(60)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn jitter_is_rms_of_differences() {
        let mut f = ClockFilter::new();
        // Best (delay 100) offset 0; others +3 µs and -4 µs: RMS = √((9+16)/2) µs.
        f.add(sample(0, 3, 300), at(0), prec(), POLL);
        f.add(sample(1, -4, 300), at(1), prec(), POLL);
        f.add(sample(2, 0, 100), at(2), prec(), POLL);
        let expect = NtpDuration::from_nanos(3536); // √12.5 µs = 3.5355 µs
        let diff = (f.jitter() - expect).abs();
        assert!(diff < NtpDuration::from_nanos(2), "{}", f.jitter());
    }

    #[test]
    fn popcorn_spike_is_suppressed_then_accepted_later() {
        let mut f = ClockFilter::new();
        for i in 0..4 {
            f.add(
                sample(i * 64, 10 + i, 1000 - i * 10),
                at(i * 64),
                prec(),
                POLL,
            );
        }
        // A 10 ms jump with a smaller delay, one poll later: spike.
        assert_eq!(
            f.add(sample(256, 10_000, 100), at(256), prec(), POLL),
            FilterOutcome::Spike
        );
        assert_eq!(f.output().unwrap().offset, NtpDuration::from_micros(13));
        // More than two polls after the last update it is accepted.
        match f.add(sample(400, 10_000, 100), at(400), prec(), POLL) {
            FilterOutcome::Updated(o) => {
                assert_eq!(o.offset, NtpDuration::from_micros(10_000))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn dummies_and_aging() {
        let mut f = ClockFilter::new();
        assert_eq!(
            f.add(Sample::dummy(at(0)), at(0), prec(), POLL),
            FilterOutcome::NoValidSample
        );
        f.add(sample(0, 5, 100), at(0), prec(), POLL);
        // A 16 s dispersion is reached after ~1.07e6 s at 15 ppm: the sample ages out.
        let late = at(1_100_000);
        assert_eq!(
            f.add(Sample::dummy(late), late, prec(), POLL),
            FilterOutcome::NoValidSample
        );
        // Every stage at 16 s: ε = 16 s × (1 − 2^-8).
        let all_max = Sample::MAX_DISPERSION.mul_div(255, 256).unwrap();
        assert_eq!(f.dispersion_at(late), all_max);
        // Aged stage dispersion: 10 µs + 15 ppm × 1000 s = 15.01 ms.
        let s = sample(0, 0, 0);
        assert_eq!(
            ClockFilter::stage_dispersion(&s, at(1000)),
            NtpDuration::from_micros(15_010)
        );
    }

    #[test]
    fn older_sample_never_replaces_newer() {
        let mut f = ClockFilter::new();
        f.add(sample(100, 5, 300), at(100), prec(), POLL);
        // A sample taken earlier (e.g. a delayed reply processed late) with a
        // smaller delay is not used.
        assert_eq!(
            f.add(sample(50, 7, 100), at(101), prec(), POLL),
            FilterOutcome::Stale
        );
        assert_eq!(f.output().unwrap().offset, NtpDuration::from_micros(5));
    }

    #[test]
    fn extreme_values_do_not_overflow() {
        let mut f = ClockFilter::new();
        let big = Sample {
            offset: NtpDuration::MAX,
            delay: NtpDuration::ZERO,
            dispersion: NtpDuration::ZERO,
            time: NtpTime::MAX,
        };
        let small = Sample {
            offset: NtpDuration::MIN,
            delay: NtpDuration::ZERO,
            dispersion: NtpDuration::ZERO,
            time: NtpTime::MAX,
        };
        f.add(big, NtpTime::MAX, prec(), POLL);
        f.add(small, NtpTime::MAX, prec(), POLL);
        f.add(
            big,
            NtpTime::MIN,
            NtpDuration::MAX,
            PollInterval::from_log2(i8::MAX),
        );
        assert!(f.jitter() >= NtpDuration::ZERO);
    }
}
