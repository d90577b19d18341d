//! The clock discipline: turns system offset measurements into
//! [`ClockAdjustment`]s — step or slew, frequency, leap seconds — and says
//! how often the sources should be polled.
//!
//! # Algorithm
//! Not the RFC 5905 PLL/FLL, but a better estimator for the same inputs:
//! - every correction we make is remembered ([`steer`]), so measurements are
//!   taken back to the *free frame* of the unsteered oscillator, where the
//!   state does not move when we steer;
//! - a two-state Kalman filter ([`kalman`]) tracks phase and frequency there;
//!   each exchange is weighted by its delay (offset error is bounded by half
//!   the delay excess over the path minimum: variance `excess²/12`, plus a
//!   floor from the delay statistics in [`noise`]), plus the source's own
//!   error estimate (its dispersion: a reference clock has no delay, but a
//!   serial sentence is ms-noisy and a PPS edge is not); the frequency wander
//!   intensity is learnt from the innovations;
//! - the phase to steer to comes from the *delay envelope* ([`envelope`]) of
//!   recent exchanges projected along the filter's frequency: the tightest
//!   one-way bound from each side;
//! - the phase error is removed by a temporary extra frequency for a known
//!   time (at most `max_slew`), then the plain drift correction is restored;
//!   so every adjustment is exactly "step" and/or "set frequency";
//! - the poll interval follows the learnt wander against the network noise
//!   ([`poll`]).
//!
//! Steps: an offset above `step_threshold` (128 ms) is stepped at once if it
//! is the first measurement, otherwise only after it persisted `stepout`
//! (900 s; before that it is a spike and ignored). Above `panic_threshold`
//! (1000 s) nothing is done and [`Event::PanicThresholdExceeded`] is
//! queued, unless `allow_first_big_step` (`-g`) and nothing was adjusted yet.
//! `step_threshold: None` never steps (`ntpd -x`): everything is slewed.
//!
//! # API (what `system` does)
//! ```text
//! let mut d = Discipline::new(DisciplineConfig::DEFAULT, saved_drift);   // Option<Frequency>
//! d.handle_timeout(now)          // once at start: returns the restored frequency, if any
//! d.set_leap(li)                 // whenever the selected sources' leap indicator changes
//! d.update(now, &Measurement{..})   // for every new system offset (see Measurement)
//! d.handle_timeout(now)          // when now >= d.next_timeout()
//!   -> Option<ClockAdjustment>   // each of the three may return one: apply it
//! d.poll_interval()              // the system poll (log2 s) associations should use
//! d.frequency()                  // the drift to persist (ppm)
//! d.poll_event()                 // steps, panics, leap seconds
//! ```
//! All times are *local* clock readings. After the caller applies an
//! adjustment with a non-zero `step`, every local deadline the caller keeps
//! (association poll timers, ...) must be moved by the same `step` so that
//! intervals do not jump; the discipline shifts its own. Measurements taken
//! before a step are ignored.
//!
//! Owns: the clock state machine and estimator. Must not know about packets,
//! associations or selection. No floats, no panics, saturating fixed point:
//! times, phases and frequencies in `i64` (2^-32 s, 2^-48), variances in
//! `i128`, products of either through the 256-bit arithmetic of `wide`.

mod config;
mod envelope;
mod kalman;
mod leap;
mod noise;
mod poll;
mod steer;
mod wander;
mod wide;

pub use config::DisciplineConfig;

use crate::adjust::{ClockAdjustment, LeapPending};
use crate::event::{Event, EventQueue};
use crate::int128::Sat128;
use crate::int128::div_i128;
use crate::sample::Sample;
use crate::time::{Frequency, NtpDuration, NtpTime, PollInterval, saturate};
use crate::wire::LeapIndicator;
use envelope::Envelope;
use kalman::Kalman;
use noise::Noise;
use poll::PollControl;
use steer::Steer;
use wide::{Sat64, isqrt, mul_div, mul_div64, square};

/// 2^-32 s per second.
const SEC: i64 = 1 << 32;
/// 1 µs in 2^-32 s.
const US: i64 = 4_295;
/// Measurement noise floor (timestamping), 1 µs, as a variance in ticks².
const R_FLOOR: i128 = (US * US) as i128;
/// Initial frequency variance without a saved drift: (100 ppm)², 2^-96.
const P11_UNKNOWN: i128 = 792_281_625_142_643_375_935;
/// Initial frequency variance with a saved drift: (1 ppm)², 2^-96.
const P11_SAVED: i128 = 79_228_162_514_264_337;
/// Innovations beyond this many standard deviations are outliers.
const GATE_SIGMAS: i128 = 10;
/// Offset above which slews get proportionally shorter, 100 µs in 2^-32 s.
const SLEW_KNEE: i64 = 100 * US;
/// Consecutive outliers after which the estimator restarts its phase.
const GATE_RESET: u8 = 4;

/// One system offset measurement: what selection and combining produced
/// from the sources (or one source's newest sample).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Measurement {
    /// Offset θ, 2^-32 s: add to our clock to get the reference's
    /// (positive = we are behind).
    pub offset: NtpDuration,
    /// Round-trip delay δ of the exchange behind `offset`, 2^-32 s (0 for a
    /// reference clock). The discipline weights by it: feed each *new*
    /// exchange of the system peer, not the same one twice.
    pub delay: NtpDuration,
    /// Local time the offset was measured (t4), era-aware.
    pub time: NtpTime,
    /// The source's own error estimate of `offset` (its sample dispersion
    /// ε), 2^-32 s, taken as a standard deviation: a reference clock's
    /// precision plus its residual jitter (milliseconds for a serial
    /// sentence alone, a microsecond with PPS). Zero if unknown. The delay
    /// says nothing about a reference clock's error (it is 0), so without
    /// this an NMEA sample would be weighted like a PPS edge.
    pub dispersion: NtpDuration,
}

impl From<Sample> for Measurement {
    fn from(s: Sample) -> Measurement {
        Measurement {
            offset: s.offset,
            delay: s.delay,
            time: s.time,
            dispersion: s.dispersion,
        }
    }
}

/// Where the discipline stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum DisciplineState {
    /// No measurement used yet.
    Unset,
    /// Tracking the sources.
    Tracking,
    /// The offset is above the step threshold, waiting out `stepout`.
    Spike,
    /// The offset is above the panic threshold; not adjusting.
    Panic,
}

/// The clock discipline; see the module docs. About 2.7 KiB (x86-64 and
/// Cortex-M alike: mostly the rings of 32 exchanges and 64 delays, and the
/// 8 posteriors of the wander check).
#[derive(Debug, Clone)]
pub struct Discipline {
    config: DisciplineConfig,
    epoch: Option<NtpTime>,
    state: DisciplineState,
    kalman: Option<Kalman>,
    envelope: Envelope,
    noise: Noise,
    steer: Steer,
    /// Drift correction, 2^-48.
    base: i64,
    saved: bool,
    /// End of the current slew, local ticks.
    slew_end: Option<i64>,
    /// Local tick the newest rate adjustment was emitted at, until the
    /// caller reports it applied.
    emitted_at: Option<i64>,
    spike_since: Option<i64>,
    gated: u8,
    poll: PollControl,
    leap_warning: LeapIndicator,
    leap_armed: LeapPending,
    /// UTC day number the leap is armed for.
    leap_day: i64,
    adjusted: bool,
    last_offset: NtpDuration,
    /// Sum of the leap-second steps put into the correction history,
    /// ticks (wrapping): they move the clock and the reference alike.
    leaps: i64,
    events: EventQueue<4>,
}

/// ppm (2^-32 ppm bits) to 2^-48. Out of line: five callers.
#[inline(never)]
fn slope_of(f: Frequency) -> i64 {
    mul_div64(f.to_bits(), 1 << 16, 1_000_000)
}

/// 2^-48 to ppm (2^-32 ppm bits), saturating.
#[inline(never)]
fn frequency_of(slope: i64) -> Frequency {
    Frequency::from_bits(mul_div64(slope, 1_000_000, 1 << 16))
}

fn duration_of(ticks: i64) -> NtpDuration {
    NtpDuration::from_bits(ticks)
}

impl Discipline {
    /// A discipline with `config`, starting from a persisted drift `saved`
    /// (ppm, as [`frequency`](Self::frequency) returned it) if there is one.
    pub fn new(config: DisciplineConfig, saved: Option<Frequency>) -> Discipline {
        let tol = config.frequency_tolerance.abs();
        let base = saved.map_or(0, |f| slope_of(f.clamp(-tol, tol)));
        Discipline {
            config,
            epoch: None,
            state: DisciplineState::Unset,
            kalman: None,
            envelope: Envelope::new(),
            noise: Noise::new(),
            steer: Steer::new(0),
            base,
            saved: saved.is_some(),
            slew_end: None,
            emitted_at: None,
            spike_since: None,
            gated: 0,
            poll: PollControl::new(config.minpoll),
            leap_warning: LeapIndicator::NoWarning,
            leap_armed: LeapPending::None,
            leap_day: 0,
            adjusted: false,
            last_offset: NtpDuration::ZERO,
            leaps: 0,
            events: EventQueue::default(),
        }
    }

    /// The state machine's state.
    pub fn state(&self) -> DisciplineState {
        self.state
    }

    /// The drift correction in force (ppm): the value to persist.
    pub fn frequency(&self) -> Frequency {
        frequency_of(self.base)
    }

    /// The poll interval sources should use now (log2 s).
    pub fn poll_interval(&self) -> PollInterval {
        self.poll.poll
    }

    /// The last estimated clock offset (2^-32 s, positive = we were behind)
    /// before it was corrected.
    pub fn offset(&self) -> NtpDuration {
        self.last_offset
    }

    /// Estimated standard deviation of the phase (2^-32 s), or `None`
    /// before the first measurement.
    pub fn phase_uncertainty(&self) -> Option<NtpDuration> {
        self.kalman
            .as_ref()
            .map(|k| duration_of(saturate(isqrt(k.phase_variance()))))
    }

    /// The next queued event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop()
    }

    /// When [`handle_timeout`](Self::handle_timeout) wants to run next
    /// (local time), if at all: end of a slew, midnight with a leap pending.
    pub fn next_timeout(&self) -> Option<NtpTime> {
        let epoch = self.epoch?;
        let slew = self.slew_end.map(|t| epoch + duration_of(t));
        // With a leap second announced or armed: wake at the next UTC
        // midnight (local time) to arm it on a month's last day, or to
        // retire it once the clock has passed it.
        let leap = (self.leap_armed != LeapPending::None || self.leap_warning_pending())
            .then(|| NtpTime::from_parts(self.leap_day.sat_add(1).saturating_mul(leap::DAY), 0));
        match (slew, leap) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The reference changed (a different system peer): the phase learnt
    /// from the old one is dropped, the frequency is kept. Call before the
    /// first [`update`](Self::update) from the new one.
    pub fn source_changed(&mut self) {
        if let Some(k) = self.kalman.as_mut() {
            k.forget_phase();
        }
        self.envelope.clear();
        self.noise = Noise::new();
        self.gated = 0;
    }

    /// A mark of how far our corrections (slews, drift correction; not leap
    /// seconds) have moved the clock by local time `now`: 2^-32 s, wrapping.
    /// Take one when a source's sample arrives, and hand it to
    /// [`moved_since`](Self::moved_since) later.
    #[inline(never)]
    pub fn correction_mark(&self, now: NtpTime) -> i64 {
        // Nothing corrected before the first adjustment (no epoch yet), nor
        // is anything known before the last step (the caller forgets its
        // marks then).
        let a = self.epoch.map_or(0, |epoch| {
            let t = now.duration_since(epoch).to_bits();
            self.steer.correction_at(t).unwrap_or(0)
        });
        a.wrapping_sub(self.leaps)
    }

    /// How far our steering has moved the clock between local time `at`
    /// (with its [`correction_mark`](Self::correction_mark) `mark`) and
    /// `now`, beyond the drift correction in force now (2^-32 s): subtract
    /// it from an offset measured at `at` to get that offset as of `now`.
    /// Older offsets in the sources' clock filters are otherwise still in
    /// the clock's old frame: after the first correction (a 10 ms offset is
    /// slewed in a fraction of a second) the minimum-delay sample may be
    /// one from before it, and selection would compare sources 10 ms apart
    /// that agree.
    #[inline(never)]
    pub fn moved_since(&self, at: NtpTime, mark: i64, now: NtpTime) -> NtpDuration {
        let dt = now.duration_since(at).to_bits();
        let drift = wide::mul_shr64(self.base, dt, 48);
        let moved = self.correction_mark(now).wrapping_sub(mark).sat_sub(drift);
        duration_of(moved)
    }

    /// The leap indicator of the selected sources (RFC 5905 system leap).
    pub fn set_leap(&mut self, leap: LeapIndicator) {
        self.leap_warning = leap;
    }

    /// Records that the caller applied `adj` at local time `now` (after the
    /// step, if any). Optional: without it the discipline assumes every
    /// adjustment was applied when it was returned.
    ///
    /// A frequency applied later than it was returned changed the clock
    /// later: the correction history is rewritten from `now`, and a slew in
    /// it is extended by the same delay, so it still removes the whole
    /// phase error (a 50 ms slew at 50 000 ppm applied 50 ms late would
    /// otherwise stop 2.5 ms short, and the next measurement would read
    /// that residual as a frequency error).
    pub fn adjustment_applied(&mut self, adj: &ClockAdjustment, now: NtpTime) {
        let t = self.ticks(now);
        let emitted = self.emitted_at.take();
        if adj.is_step() {
            return;
        }
        let rate = slope_of(adj.frequency);
        match emitted {
            Some(e) if self.steer.delay_newest(e, rate, t) => {
                if adj.slew_until.is_some()
                    && let Some(end) = self.slew_end.as_mut()
                {
                    *end = end.sat_add(t.sat_sub(e));
                }
            }
            Some(e) if e >= t => {}
            _ => self.steer.set_rate(t, rate),
        }
    }

    fn ticks(&mut self, now: NtpTime) -> i64 {
        let epoch = *self.epoch.get_or_insert(now);
        now.duration_since(epoch).to_bits()
    }

    fn leap_warning_pending(&self) -> bool {
        matches!(
            self.leap_warning,
            LeapIndicator::AddSecond | LeapIndicator::DelSecond
        )
    }

    fn push_event(&mut self, e: Event) {
        self.events.push(e);
    }

    fn adjustment(&self, step: i64, rate: i64, slew_until: Option<i64>) -> ClockAdjustment {
        let epoch = self.epoch.unwrap_or(NtpTime::EPOCH_1900);
        ClockAdjustment {
            step: duration_of(step),
            frequency: ClockAdjustment::clamp_frequency(frequency_of(rate)),
            slew_until: slew_until.map(|t| epoch + duration_of(t)),
            leap: self.leap_armed,
        }
    }

    /// Sets the clock running at `rate` from local tick `t` and returns that.
    fn emit_rate(&mut self, t: i64, rate: i64, slew_until: Option<i64>) -> ClockAdjustment {
        let adj = self.adjustment(0, rate, slew_until);
        // Record what the clock will really do (the clamped value).
        self.steer.set_rate(t, slope_of(adj.frequency));
        self.emitted_at = Some(t);
        self.adjusted = true;
        adj
    }

    /// Timer work: end of a slew, leap-second arming and its passing, and the
    /// restored drift at start. Call when `now >= next_timeout()` (harmless
    /// at any other time).
    pub fn handle_timeout(&mut self, now: NtpTime) -> Option<ClockAdjustment> {
        let first = self.epoch.is_none();
        let t = self.ticks(now);
        let mut emit = first && self.saved && self.base != 0;
        if self.slew_end.is_some_and(|end| t >= end) {
            self.slew_end = None;
            emit = true;
        }
        emit |= self.leap_check(now, t);
        if emit {
            let rate = if self.slew_end.is_some() {
                self.steer.rate()
            } else {
                self.base
            };
            let until = self.slew_end;
            return Some(self.emit_rate(t, rate, until));
        }
        None
    }

    /// Arms, disarms and retires leap seconds; true if the clock must hear.
    #[inline(never)]
    fn leap_check(&mut self, now: NtpTime, t: i64) -> bool {
        let secs = now.seconds();
        let day = leap::day_of(secs);
        if self.leap_armed != LeapPending::None {
            if day > self.leap_day {
                // The end of the armed day passed: the clock inserted or
                // deleted the second, and so did the reference timescale.
                let delta = if self.leap_armed == LeapPending::Insert {
                    -SEC
                } else {
                    SEC
                };
                let leap = if self.leap_armed == LeapPending::Insert {
                    LeapIndicator::AddSecond
                } else {
                    LeapIndicator::DelSecond
                };
                // Local reading of the midnight that passed, then of the jump
                // (insert: at midnight back by 1 s; delete: at 23:59:59 on by 1 s).
                // secs - day·DAY, in 0..DAY: times 2^32 it stays below 2^49.
                let into_day = secs.rem_euclid(leap::DAY) * SEC + i64::from(now.fraction());
                let midnight = t.sat_sub(into_day);
                let jump_at = if delta < 0 {
                    midnight
                } else {
                    midnight.sat_sub(SEC)
                };
                self.steer.step(jump_at, delta, self.steer.rate());
                self.leaps = self.leaps.wrapping_add(delta);
                if let Some(k) = self.kalman.as_mut() {
                    k.shift(delta);
                }
                self.envelope.shift(delta);
                self.leap_armed = LeapPending::None;
                self.leap_warning = LeapIndicator::NoWarning;
                self.push_event(Event::LeapApplied { leap });
                return true;
            }
            if !self.leap_warning_pending() {
                self.leap_armed = LeapPending::None;
                return true;
            }
            return false;
        }
        self.leap_day = day;
        let want = match self.leap_warning {
            LeapIndicator::AddSecond => LeapPending::Insert,
            LeapIndicator::DelSecond => LeapPending::Delete,
            _ => return false,
        };
        if leap::is_last_day_of_month(day) {
            self.leap_armed = want;
            self.push_event(Event::LeapArmed {
                leap: self.leap_warning,
            });
            return true;
        }
        false
    }

    /// Folds in one system offset measurement taken at `m.time` (≤ `now`).
    /// Returns the adjustment to apply now, if any.
    pub fn update(&mut self, now: NtpTime, m: &Measurement) -> Option<ClockAdjustment> {
        let t_now = self.ticks(now);
        let t_s = self.ticks(m.time).min(t_now);
        let a_s = self.steer.correction_at(t_s)?;
        let a_now = self.steer.correction_at(t_now)?;
        let theta = m.offset.to_bits();
        let delay = m.delay.to_bits().max(0);
        let dispersion = m.dispersion.to_bits().max(0);
        // The offset now, had nothing but our own corrections changed since.
        let theta_now = theta.sat_sub(a_now.sat_sub(a_s));
        let magnitude = theta_now.saturating_abs();
        let leap_changed = self.leap_check(now, t_now);

        if let Some(panic) = self.config.panic_threshold {
            let big_step_ok = self.config.allow_first_big_step && !self.adjusted;
            if magnitude > panic.to_bits() && !big_step_ok {
                if self.state != DisciplineState::Panic {
                    self.push_event(Event::PanicThresholdExceeded {
                        offset: duration_of(theta_now),
                    });
                }
                self.state = DisciplineState::Panic;
                return None;
            }
        }
        if self.state == DisciplineState::Panic {
            self.state = if self.kalman.is_some() {
                DisciplineState::Tracking
            } else {
                DisciplineState::Unset
            };
        }
        self.noise.push(delay);

        if let Some(threshold) = self.config.step_threshold {
            if magnitude > threshold.to_bits() {
                let now_ok = self.state == DisciplineState::Unset;
                let waited = self
                    .spike_since
                    .is_some_and(|since| t_now.sat_sub(since) >= self.config.stepout.to_bits());
                if !now_ok && !waited {
                    if self.spike_since.is_none() {
                        self.spike_since = Some(t_now);
                    }
                    self.state = DisciplineState::Spike;
                    return None;
                }
                return Some(self.step(
                    t_now,
                    theta_now,
                    theta.sat_add(a_s),
                    t_s.sat_sub(a_s),
                    delay,
                    dispersion,
                ));
            }
        }
        self.spike_since = None;
        self.state = DisciplineState::Tracking;
        match self.track(
            t_now,
            a_now,
            theta.sat_add(a_s),
            t_s.sat_sub(a_s),
            delay,
            dispersion,
        ) {
            Some(adj) => Some(adj),
            None if leap_changed => Some(self.emit_rate(t_now, self.steer.rate(), self.slew_end)),
            None => None,
        }
    }

    /// The variance (ticks²) to assign to an exchange with delay `delay`
    /// and source error estimate `dispersion` (ticks, a standard deviation).
    #[inline(never)]
    fn measurement_variance(&self, delay: i64, dispersion: i64) -> i128 {
        // All four are 0..=i64::MAX: their squares are exact (square).
        let min = self.noise.min();
        let excess = delay.saturating_sub(min).max(0);
        let floor = self.noise.mean_excess();
        let n = self.noise.count().clamp(1, noise::CAPACITY);
        // Offset error given the delay excess e is uniform on ±e/2
        // (variance e²/12); the floor covers the error of the minimum as an
        // estimate of the base delay, and while few delays are known the
        // base itself may be anywhere down to 0 (±δ/2): min²/(3n²).
        let base_unknown = div_i128(square(min), (n * n * 3) as i128);
        R_FLOOR
            // `>> 2`, not `/ 4` (the same for a square): at opt-level "z"
            // LLVM makes a 128-bit `/` a call to __divti3, 1.4 KB with
            // compiler-builtins' u128_div_rem.
            .sat_add(div_i128(square(excess).sat_add(square(floor) >> 2), 12))
            .sat_add(base_unknown)
            .sat_add(square(dispersion))
    }

    #[inline(never)]
    fn step(
        &mut self,
        t_now: i64,
        offset: i64,
        z: i64,
        t_free: i64,
        delay: i64,
        dispersion: i64,
    ) -> ClockAdjustment {
        let r = self.measurement_variance(delay, dispersion);
        let rate = self.base;
        match self.kalman.as_mut() {
            None => {
                self.start_filter(t_free, z, r);
            }
            Some(k) => {
                k.reset_phase(t_free, z, r);
                self.envelope.clear();
            }
        }
        self.envelope.push(t_free, z, delay);
        self.steer.step(t_now, offset, rate);
        self.emitted_at = None;
        self.slew_end = None;
        self.spike_since = None;
        self.gated = 0;
        self.state = DisciplineState::Tracking;
        self.poll.reset(self.config.minpoll);
        self.adjusted = true;
        self.last_offset = duration_of(offset);
        self.push_event(Event::ClockStepped {
            offset: duration_of(offset),
        });
        self.adjustment(offset, rate, None)
    }

    /// Starts the filter at the first measurement `z` (variance `r`) at
    /// free time `t`, from the drift correction in force. Out of line: two
    /// callers.
    #[inline(never)]
    fn start_filter(&mut self, t: i64, z: i64, r: i128) -> &mut Kalman {
        let p11 = if self.saved { P11_SAVED } else { P11_UNKNOWN };
        self.kalman.insert(Kalman::new(t, z, r, self.base, p11))
    }

    #[inline(never)]
    fn track(
        &mut self,
        t_now: i64,
        a_now: i64,
        z: i64,
        t_free: i64,
        delay: i64,
        dispersion: i64,
    ) -> Option<ClockAdjustment> {
        let r = self.measurement_variance(delay, dispersion);
        let noise = self.noise.mean_excess();
        let kalman = match self.kalman.as_mut() {
            None => self.start_filter(t_free, z, r),
            Some(k) => {
                k.predict(t_free);
                let inn = k.innovation(z, r);
                let limit = isqrt(inn.variance)
                    .sat_mul(GATE_SIGMAS)
                    .at_least(4 * i128::from(noise));
                if i128::from(inn.value.saturating_abs()) > limit {
                    self.gated += 1;
                    if self.gated < GATE_RESET {
                        return None;
                    }
                    k.reset_phase(t_free, z, r);
                    self.envelope.clear();
                    self.poll.reset(self.config.minpoll);
                } else {
                    k.update(z, r);
                }
                self.gated = 0;
                k
            }
        };
        let (b, p11, q) = (kalman.b, kalman.frequency_variance(), kalman.wander());
        self.envelope.push(t_free, z, delay);

        // Phase now from the envelope, over a span the frequency supports.
        let free_now = t_now.sat_sub(a_now);
        let poll = self.poll.poll;
        let count = poll::window_count(poll);
        let span = poll
            .as_duration()
            .saturating_mul(count as i64 * 2 - 1)
            .to_bits()
            / 2;
        let sigma_b = isqrt(p11).positive();
        let trusted = saturate(mul_div(i128::from(noise), 1 << 48, sigma_b));
        let phase = self
            .envelope
            .midpoint(free_now, b, count, span.min(trusted))?;
        let offset = phase.sat_sub(a_now);
        self.last_offset = duration_of(offset);

        // Drift correction, then a slew to remove the offset.
        let tol = slope_of(self.config.frequency_tolerance.abs());
        // `within`, not clamp: clamp asserts -tol <= tol, a panic path.
        self.base = b.max(-tol).min(tol);
        let max_slew = slope_of(self.config.max_slew.abs()).max(1);
        // Small corrections are spread over 1/16 of the poll interval (gentle
        // on the frequency); beyond 100 µs the time shrinks in proportion,
        // down to what `max_slew` allows (10 ms goes in 0.2 s at 50 000 ppm).
        let gentle = (poll.as_duration().to_bits() / 16).max(SEC);
        let magnitude = offset.saturating_abs().max(1);
        let gentle = if magnitude > SLEW_KNEE {
            mul_div64(gentle, SLEW_KNEE, magnitude)
        } else {
            gentle
        };
        // A correction f runs the clock at 1 + f times the oscillator, so over
        // `time` of local time it moves the clock by f/(1 + f) of it, not f:
        // f = offset / (time - offset). (Slewing 50 ms at -5 % as
        // offset / time would move it 52.6 ms.) The extra `magnitude` keeps
        // f within `max_slew` for positive offsets.
        let time = mul_div64(magnitude, 1 << 48, max_slew)
            .sat_add(magnitude)
            .max(gentle)
            .max(SEC / 1000);
        let slew = mul_div64(offset, 1 << 48, time.sat_sub(offset).max(1));
        let until = t_now.sat_add(time);
        self.slew_end = Some(until);

        let target = poll::target(q, p11, noise, self.config.minpoll, self.config.maxpoll);
        self.poll.steer(target);
        Some(self.emit_rate(t_now, self.base.sat_add(slew), Some(until)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: i64) -> NtpTime {
        NtpTime::from_parts(3_900_000_000 + secs, 0)
    }

    fn m(offset_us: i64, at: i64) -> Measurement {
        Measurement {
            offset: NtpDuration::from_micros(offset_us),
            delay: NtpDuration::from_micros(300),
            time: t(at),
            dispersion: NtpDuration::ZERO,
        }
    }

    #[test]
    fn size_is_modest() {
        // Rings of 32 exchanges, 64 delays and 8 posteriors dominate; see
        // the type docs.
        assert!(
            core::mem::size_of::<Discipline>() <= 2816,
            "{}",
            core::mem::size_of::<Discipline>()
        );
    }

    #[test]
    fn restores_saved_drift_at_start() {
        let mut d = Discipline::new(DisciplineConfig::DEFAULT, Some(Frequency::from_ppm(-12)));
        let adj = d.handle_timeout(t(0)).unwrap();
        assert_eq!(adj.frequency.as_ppb(), -12_000);
        assert!(!adj.is_step());
        assert_eq!(d.frequency().as_ppb(), -12_000);
    }

    #[test]
    fn first_big_offset_steps_later_ones_wait_for_stepout() {
        let mut d = Discipline::new(DisciplineConfig::DEFAULT, None);
        let adj = d.update(t(0), &m(500_000, 0)).unwrap();
        assert_eq!(adj.step, NtpDuration::from_micros(500_000));
        assert_eq!(
            d.poll_event(),
            Some(Event::ClockStepped { offset: adj.step })
        );
        // Synchronised; now a 300 ms offset is a spike until stepout passes.
        assert!(d.update(t(64), &m(10, 64)).is_some());
        assert_eq!(d.update(t(128), &m(300_000, 128)), None);
        assert_eq!(d.state(), DisciplineState::Spike);
        assert_eq!(d.update(t(600), &m(300_000, 600)), None);
        let adj = d.update(t(1100), &m(300_000, 1100)).unwrap();
        assert!(adj.is_step());
        assert_eq!(d.state(), DisciplineState::Tracking);
    }

    #[test]
    fn panic_threshold_refuses_unless_first_step_allowed() {
        let mut d = Discipline::new(DisciplineConfig::DEFAULT, None);
        assert_eq!(d.update(t(0), &m(-2_000_000_000, 0)), None);
        assert_eq!(d.state(), DisciplineState::Panic);
        assert!(matches!(
            d.poll_event(),
            Some(Event::PanicThresholdExceeded { .. })
        ));
        let g = DisciplineConfig {
            allow_first_big_step: true,
            ..DisciplineConfig::DEFAULT
        };
        let mut d = Discipline::new(g, None);
        assert!(d.update(t(0), &m(-2_000_000_000, 0)).unwrap().is_step());
    }

    #[test]
    fn small_offsets_slew_as_timed_frequency() {
        let mut d = Discipline::new(DisciplineConfig::DEFAULT, None);
        let adj = d.update(t(0), &m(1_000, 0)).unwrap();
        assert!(!adj.is_step());
        assert!(adj.frequency > Frequency::ZERO);
        let end = adj.slew_until.unwrap();
        assert_eq!(d.next_timeout(), Some(end));
        let back = d.handle_timeout(end).unwrap();
        assert_eq!(back.slew_until, None);
        assert_eq!(back.frequency, d.frequency());
    }

    #[test]
    fn moved_since_tells_how_far_a_slew_took_the_clock() {
        let mut d = Discipline::new(DisciplineConfig::DEFAULT, None);
        // Marks before the first adjustment: nothing moved yet.
        let mark = d.correction_mark(t(0));
        assert_eq!(d.moved_since(t(0), mark, t(0)), NtpDuration::ZERO);
        // 10 ms ahead: slewed back within a second; an offset measured
        // before the slew (-10 ms) is about zero in the present frame.
        let adj = d.update(t(0), &m(-10_000, 0)).unwrap();
        let end = adj.slew_until.unwrap();
        assert!(end < t(1));
        let _ = d.handle_timeout(end);
        let moved = d.moved_since(t(0), mark, t(30));
        let left = NtpDuration::from_micros(-10_000) - moved;
        assert!(left.abs() < NtpDuration::from_micros(2), "{left}");
        // A mark taken after the slew: nothing moved since (the drift
        // correction in force is not a move).
        let later = d.correction_mark(t(5));
        let moved = d.moved_since(t(5), later, t(30));
        assert!(moved.abs() < NtpDuration::from_micros(1), "{moved}");
    }

    /// A clock that applies the slew `late` after it was returned and its
    /// end `late_end` after: the true offset after a 50 ms slew (local
    /// minus true), and the offset and frequency the discipline estimates
    /// from the next measurement (of that residual).
    fn slew_applied_late(
        late: NtpDuration,
        late_end: NtpDuration,
    ) -> (NtpDuration, NtpDuration, Frequency) {
        // A correction f makes the clock run 1 + f times the oscillator:
        // over a local interval it gains f/(1 + f) of it.
        let gained = |f: Frequency, local: NtpDuration| {
            let ppb = i128::from(f.as_ppb());
            let bits = i128::from(local.to_bits()) * ppb / (1_000_000_000 + ppb);
            NtpDuration::from_bits(bits as i64)
        };
        let mut d = Discipline::new(DisciplineConfig::DEFAULT, None);
        // Local clock 50 ms ahead (θ = -50 ms), oscillator exact.
        let mut ahead = NtpDuration::from_millis(50);
        let mut now = t(0);
        let mut rate = Frequency::ZERO;
        let mut adj = d.update(now, &m(-50_000, 0)).unwrap();
        let mut delay = late;
        loop {
            // The old rate runs until the caller gets round to it.
            ahead += gained(rate, delay);
            now += delay;
            rate = adj.frequency;
            d.adjustment_applied(&adj, now);
            let Some(end) = d.next_timeout() else { break };
            ahead += gained(rate, end - now);
            now = end;
            adj = d.handle_timeout(now).unwrap();
            delay = late_end;
        }
        let residual = ahead;
        let later = now + NtpDuration::from_seconds(8);
        let meas = Measurement {
            offset: -residual,
            delay: NtpDuration::from_micros(300),
            dispersion: NtpDuration::ZERO,
            time: later,
        };
        let _ = d.update(later, &meas);
        (residual, d.offset(), d.frequency())
    }

    #[test]
    fn a_slew_applied_late_still_removes_the_offset() {
        let ms = NtpDuration::from_millis;
        for late_ms in [0, 50, 100] {
            // Started late, it still lasts as long as it must.
            let (residual, estimate, freq) = slew_applied_late(ms(late_ms), ms(0));
            assert!(
                residual.abs() < NtpDuration::from_micros(5),
                "{late_ms} ms late: {residual} s left"
            );
            assert!(estimate.abs() < NtpDuration::from_micros(5), "{estimate}");
            assert!(freq.abs() < Frequency::from_ppm(1), "{freq} ppm");
            // Also ended late, it overshoots by the slew rate times the
            // delay; the discipline knows what the clock did, so that is an
            // offset to it, not a frequency error.
            let (residual, estimate, freq) = slew_applied_late(ms(late_ms), ms(late_ms));
            assert!(
                (residual + estimate).abs() < NtpDuration::from_micros(5),
                "{late_ms} ms late: {residual} s left, estimated {estimate} s"
            );
            assert!(freq.abs() < Frequency::from_ppm(1), "{freq} ppm");
        }
    }
}
