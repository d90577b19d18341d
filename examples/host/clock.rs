//! Clocks for the examples: the system clock read-only, a virtual clock that never touches the
//! system clock (tests, dry runs), and the real clock disciplined through `clock_adjtime(2)`.
//!
//! Receive timestamps from the kernel are system-clock (CLOCK_REALTIME) instants; a clock maps
//! them onto its own timescale with [`HostClock::map_system`].
//!
//! Either the core disciplines the clock (its frequency, with phase corrections as temporary
//! frequency) or, with `enable kernel`, the kernel PLL does: then only steps and leap seconds
//! of the core's adjustments are applied and each `sundial::system::KernelPllUpdate` goes to
//! the kernel (`ADJ_OFFSET` with `STA_PLL | STA_NANO`). The virtual clock emulates Linux's PLL
//! for that, so the mode can be tested without touching the system clock.

use std::collections::VecDeque;
use std::io;
use std::time::{SystemTime, UNIX_EPOCH};

use sundial::adjust::{ClockAdjustment, LeapPending};
use sundial::system::KernelPllUpdate;
use sundial::time::{Frequency, NtpDuration, NtpTime};

/// The system clock now (CLOCK_REALTIME), read only.
pub fn system_now() -> NtpTime {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => NtpTime::from_unix(d.as_secs() as i64, d.subsec_nanos()),
        Err(e) => {
            let d = e.duration();
            NtpTime::UNIX_EPOCH - NtpDuration::from_nanos(d.as_nanos().min(i64::MAX as u128) as i64)
        }
    }
}

/// What a daemon needs from its clock. Offsets: seconds as [`NtpDuration`]; frequency: ppm as
/// [`Frequency`] (positive = the clock is made to run faster).
pub trait HostClock {
    /// The clock's time now.
    fn now(&self) -> NtpTime;
    /// Maps a system-clock instant (e.g. a kernel receive timestamp) onto this clock.
    fn map_system(&self, system: NtpTime) -> NtpTime;
    /// Steps the clock by `by` at once.
    fn step(&mut self, by: NtpDuration) -> io::Result<()>;
    /// Sets the absolute frequency correction (up to ±`sundial::adjust::MAX_FREQUENCY_PPM`).
    fn set_frequency(&mut self, freq: Frequency) -> io::Result<()>;
    /// Arms (or clears) a leap second at the end of the UTC day.
    fn set_leap(&mut self, leap: LeapPending) -> io::Result<()>;
    /// Applies a core [`ClockAdjustment`]: step, then frequency, then leap. Under the kernel
    /// PLL the frequency (and the slews in it) is the kernel's business and left alone.
    fn apply(&mut self, adj: &ClockAdjustment) -> io::Result<()> {
        if adj.is_step() {
            self.step(adj.step)?;
        }
        if !self.kernel_pll() {
            self.set_frequency(adj.frequency)?;
        }
        self.set_leap(adj.leap)
    }
    /// Hands the clock's phase and frequency to the kernel PLL (`enable kernel`), starting at
    /// frequency `freq` (e.g. the drift file's).
    fn enable_kernel_pll(&mut self, freq: Frequency) -> io::Result<()>;
    /// Whether the kernel PLL disciplines this clock.
    fn kernel_pll(&self) -> bool;
    /// Passes one clock update to the kernel PLL.
    fn kernel_update(&mut self, update: &KernelPllUpdate) -> io::Result<()>;
    /// Which discipline is in charge, for status output.
    fn discipline_name(&self) -> &'static str {
        if self.kernel_pll() {
            "kernel PLL"
        } else {
            "sundial"
        }
    }
    /// `fudge flag3` (hardpps): lets the kernel discipline the clock from a PPS that `bind`
    /// binds to it (`STA_PPSTIME | STA_PPSFREQ` on top of the kernel PLL), as ntpd does. Only
    /// the real clock under `enable kernel` can; otherwise `bind` is not called and the error
    /// says why (the PPS then disciplines the clock through the core, in user space).
    fn enable_hardpps(&self, bind: &mut dyn FnMut() -> io::Result<()>) -> io::Result<()> {
        let _ = bind;
        Err(io::Error::other(
            "the virtual clock has no kernel PPS discipline",
        ))
    }
    /// The frequency correction in force.
    fn frequency(&self) -> Frequency;
    /// One word for status output: "virtual" or "system".
    fn name(&self) -> &'static str;
}

/// A clock that runs on the system clock's seconds with its own offset and frequency error and
/// takes corrections (step, frequency) without ever touching the system clock.
///
/// Its time at system instant `t` is `base + (t - anchor) + (error + correction) over
/// (t - anchor)`, re-anchored on every correction. Leap seconds are recorded, not applied.
#[derive(Clone, Debug)]
pub struct VirtualClock {
    /// System instant of the last re-anchoring.
    anchor: NtpTime,
    /// Virtual time at `anchor`.
    base: NtpTime,
    /// The oscillator's own frequency error (ppm, `--virtual-freq`).
    error: Frequency,
    /// The correction set through [`HostClock::set_frequency`].
    correction: Frequency,
    /// The leap second armed last.
    pub leap: LeapPending,
    /// The emulated kernel PLL, once enabled.
    pll: Option<EmulatedPll>,
    /// The segments before the current one, oldest first: (system anchor, virtual time there,
    /// correction, PLL), so a past system instant maps with the rate in force then.
    past: VecDeque<Segment>,
}

/// One stretch of a [`VirtualClock`]'s parameters, from system instant `anchor` on.
#[derive(Clone, Debug)]
struct Segment {
    anchor: NtpTime,
    base: NtpTime,
    correction: Frequency,
    pll: Option<EmulatedPll>,
}

/// Segments kept for mapping past instants: a slew start and end, a few PLL updates.
const PAST_SEGMENTS: usize = 16;

/// Linux's kernel PLL (kernel/time/ntp.c with `STA_PLL | STA_NANO`) as the virtual clock
/// emulates it, continuous in time: each second the kernel slews 2^-(2 + tc) of the remaining
/// offset; each update adds offset · secs / 2^(2·(4 + tc)) to the frequency (secs since the
/// previous update, at most 2^(3 + tc)) and replaces the remaining offset.
#[derive(Clone, Debug, Default)]
struct EmulatedPll {
    /// Frequency the PLL adds, ppm.
    freq_ppm: f64,
    /// Offset still to slew at the clock's anchor, ns.
    remaining_ns: f64,
    time_constant: i32,
    /// System instant of the previous update.
    last_update: Option<NtpTime>,
}

/// Largest PLL frequency, ppm (`MAXFREQ`).
const PLL_MAX_FREQ_PPM: f64 = 500.0;

impl EmulatedPll {
    /// Fraction of the remaining offset slewed after `secs` seconds.
    fn slewed(&self, secs: f64) -> f64 {
        let keep_per_second = 1.0 - 2f64.powi(-(2 + self.time_constant));
        1.0 - keep_per_second.powf(secs.max(0.0))
    }

    fn frequency(&self) -> Frequency {
        Frequency::from_bits((self.freq_ppm * 4_294_967_296.0) as i64)
    }
}

impl VirtualClock {
    /// A virtual clock `offset` ahead of the system clock whose oscillator runs `error` fast.
    pub fn new(offset: NtpDuration, error: Frequency) -> VirtualClock {
        let anchor = system_now();
        VirtualClock {
            anchor,
            base: anchor + offset,
            error,
            correction: Frequency::ZERO,
            leap: LeapPending::None,
            pll: None,
            past: VecDeque::new(),
        }
    }

    /// Virtual time at system instant `t`, with the parameters in force now.
    fn at(&self, t: NtpTime) -> NtpTime {
        self.at_in(
            t,
            self.anchor,
            self.base,
            self.correction,
            self.pll.as_ref(),
        )
    }

    /// Virtual time at system instant `t` for a segment starting at `anchor`.
    fn at_in(
        &self,
        t: NtpTime,
        anchor: NtpTime,
        base: NtpTime,
        correction: Frequency,
        pll: Option<&EmulatedPll>,
    ) -> NtpTime {
        let elapsed = t - anchor;
        let mut rate = self.error + correction;
        let mut slewed = NtpDuration::ZERO;
        if let Some(p) = pll {
            rate += p.frequency();
            let secs = elapsed.as_nanos() as f64 / 1e9;
            slewed = NtpDuration::from_nanos((p.remaining_ns * p.slewed(secs)) as i64);
        }
        base + elapsed + rate.offset_over(elapsed) + slewed
    }

    /// Folds everything up to now into the anchor, so a parameter can change.
    fn reanchor(&mut self) {
        let now = system_now();
        if self.past.len() == PAST_SEGMENTS {
            self.past.pop_front();
        }
        self.past.push_back(Segment {
            anchor: self.anchor,
            base: self.base,
            correction: self.correction,
            pll: self.pll.clone(),
        });
        self.base = self.at(now);
        if let Some(p) = &mut self.pll {
            let secs = (now - self.anchor).as_nanos() as f64 / 1e9;
            p.remaining_ns *= 1.0 - p.slewed(secs);
        }
        self.anchor = now;
    }

    /// How far this clock is from the system clock now (positive = ahead).
    pub fn offset_from_system(&self) -> NtpDuration {
        let now = system_now();
        self.at(now) - now
    }
}

impl HostClock for VirtualClock {
    fn now(&self) -> NtpTime {
        self.at(system_now())
    }

    /// Maps with the segment in force at `system`: a kernel receive stamp or a PPS edge read
    /// some time after it happened, across a change of frequency (a 5 % slew starting 100 ms
    /// after the edge would move it 5 ms otherwise), maps to where the clock really was.
    /// Instants before a step map in the stepped timescale (the step is added), as the core
    /// expects of stamps it is given after the step.
    fn map_system(&self, system: NtpTime) -> NtpTime {
        if system >= self.anchor {
            return self.at(system);
        }
        let mut step = NtpDuration::ZERO;
        let mut next_anchor = self.anchor;
        let mut next_base = self.base;
        for (i, s) in self.past.iter().enumerate().rev() {
            // A step shows as the next segment starting elsewhere than this one ends.
            let end = self.at_in(next_anchor, s.anchor, s.base, s.correction, s.pll.as_ref());
            step += next_base - end;
            // Before the oldest segment kept: its parameters are the best guess.
            if system >= s.anchor || i == 0 {
                return self.at_in(system, s.anchor, s.base, s.correction, s.pll.as_ref()) + step;
            }
            next_anchor = s.anchor;
            next_base = s.base;
        }
        self.at(system)
    }

    fn step(&mut self, by: NtpDuration) -> io::Result<()> {
        self.reanchor();
        self.base += by;
        Ok(())
    }

    fn set_frequency(&mut self, freq: Frequency) -> io::Result<()> {
        self.reanchor();
        self.correction = ClockAdjustment::clamp_frequency(freq);
        Ok(())
    }

    fn set_leap(&mut self, leap: LeapPending) -> io::Result<()> {
        self.leap = leap;
        Ok(())
    }

    fn frequency(&self) -> Frequency {
        match &self.pll {
            Some(p) => p.frequency(),
            None => self.correction,
        }
    }

    fn name(&self) -> &'static str {
        "virtual"
    }

    fn enable_kernel_pll(&mut self, freq: Frequency) -> io::Result<()> {
        self.reanchor();
        self.correction = Frequency::ZERO;
        self.pll = Some(EmulatedPll {
            freq_ppm: (freq.as_ppb() as f64 / 1000.0).clamp(-PLL_MAX_FREQ_PPM, PLL_MAX_FREQ_PPM),
            ..EmulatedPll::default()
        });
        Ok(())
    }

    fn kernel_pll(&self) -> bool {
        self.pll.is_some()
    }

    fn kernel_update(&mut self, u: &KernelPllUpdate) -> io::Result<()> {
        self.reanchor();
        let now = self.anchor;
        let Some(p) = &mut self.pll else {
            return Err(io::Error::other("kernel PLL not enabled"));
        };
        let tc = i32::from(u.time_constant);
        let secs = p.last_update.map_or(0.0, |t| {
            ((now - t).as_nanos() as f64 / 1e9)
                .floor()
                .min(2f64.powi(3 + tc))
        });
        p.last_update = Some(now);
        let offset_ns = u.offset.as_nanos() as f64;
        p.freq_ppm = (p.freq_ppm + offset_ns * secs / 2f64.powi(2 * (4 + tc)) / 1000.0)
            .clamp(-PLL_MAX_FREQ_PPM, PLL_MAX_FREQ_PPM);
        p.remaining_ns = offset_ns;
        p.time_constant = tc;
        Ok(())
    }
}

/// The real system clock, disciplined with `clock_adjtime(CLOCK_REALTIME, ...)`.
///
/// Constructing it is refused when the environment variable `CI` or `SUNDIAL_NO_REAL_CLOCK` is
/// set: tests and CI must never change the system clock.
#[derive(Debug)]
pub struct RealClock {
    freq: Frequency,
    /// Nominal kernel tick (µs): 1_000_000 / USER_HZ.
    nominal_tick: i64,
    /// The kernel PLL disciplines the clock (`enable kernel`).
    kernel: bool,
}

impl RealClock {
    /// Opens the real clock; reads the kernel's current frequency correction.
    pub fn new() -> io::Result<RealClock> {
        if std::env::var_os("CI").is_some() || std::env::var_os("SUNDIAL_NO_REAL_CLOCK").is_some() {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "the real clock is disabled here (CI or SUNDIAL_NO_REAL_CLOCK is set); use --virtual-clock",
            ));
        }
        let mut tx = zero_timex();
        adjtime(&mut tx)?;
        // SAFETY: sysconf has no preconditions.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1);
        let nominal_tick = 1_000_000 / i64::from(hz as i32);
        let ppm_per_tick_us = 1_000_000 / nominal_tick;
        let tick_part = (i64::from(tx.tick as i32) - nominal_tick) * ppm_per_tick_us;
        Ok(RealClock {
            freq: Frequency::from_timex_freq(tx.freq) + Frequency::from_ppm(tick_part),
            nominal_tick,
            kernel: false,
        })
    }
}

fn zero_timex() -> libc::timex {
    // SAFETY: timex is a plain C struct of integers; all-zero is a valid value (modes = 0 reads).
    unsafe { std::mem::zeroed() }
}

fn adjtime(tx: &mut libc::timex) -> io::Result<()> {
    // SAFETY: `tx` is a valid, exclusive timex for the duration of the call.
    let rc = unsafe { libc::clock_adjtime(libc::CLOCK_REALTIME, tx) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

impl HostClock for RealClock {
    fn now(&self) -> NtpTime {
        system_now()
    }

    fn map_system(&self, system: NtpTime) -> NtpTime {
        system
    }

    fn step(&mut self, by: NtpDuration) -> io::Result<()> {
        let mut tx = zero_timex();
        tx.modes = libc::ADJ_SETOFFSET | libc::ADJ_NANO;
        // timeval with tv_usec in nanoseconds (ADJ_NANO); tv_usec must be in 0..1e9.
        let ns = by.as_nanos();
        tx.time.tv_sec = ns.div_euclid(1_000_000_000) as _;
        tx.time.tv_usec = ns.rem_euclid(1_000_000_000) as _;
        adjtime(&mut tx)
    }

    fn set_frequency(&mut self, freq: Frequency) -> io::Result<()> {
        // Beyond ±500 ppm (ADJ_FREQUENCY's range) the kernel tick carries whole steps of
        // 1_000_000 / nominal_tick ppm (100 ppm at USER_HZ 100); ADJ_FREQUENCY the rest.
        let freq = ClockAdjustment::clamp_frequency(freq);
        let ppm_per_tick_us = 1_000_000 / self.nominal_tick;
        let whole_ppm = freq.as_ppb() / 1000;
        let tick_steps = if whole_ppm.abs() > 400 {
            whole_ppm / ppm_per_tick_us
        } else {
            0
        };
        let rest = freq - Frequency::from_ppm(tick_steps * ppm_per_tick_us);
        let mut tx = zero_timex();
        tx.modes = libc::ADJ_FREQUENCY | libc::ADJ_TICK;
        tx.tick = (self.nominal_tick + tick_steps) as libc::c_long;
        let limit = 500i64 << 16;
        tx.freq = rest.to_timex_freq().clamp(-limit, limit) as libc::c_long;
        adjtime(&mut tx)?;
        self.freq = freq;
        Ok(())
    }

    fn set_leap(&mut self, leap: LeapPending) -> io::Result<()> {
        let mut tx = zero_timex();
        adjtime(&mut tx)?;
        let mut status = tx.status & !(libc::STA_INS | libc::STA_DEL);
        match leap {
            LeapPending::None => {}
            LeapPending::Insert => status |= libc::STA_INS,
            LeapPending::Delete => status |= libc::STA_DEL,
        }
        let mut tx = zero_timex();
        tx.modes = libc::ADJ_STATUS;
        tx.status = status;
        adjtime(&mut tx)
    }

    fn frequency(&self) -> Frequency {
        if self.kernel {
            // The PLL moves it: read it back.
            let mut tx = zero_timex();
            if adjtime(&mut tx).is_ok() {
                return Frequency::from_timex_freq(tx.freq);
            }
        }
        self.freq
    }

    fn name(&self) -> &'static str {
        "system"
    }

    fn enable_kernel_pll(&mut self, freq: Frequency) -> io::Result<()> {
        let mut tx = zero_timex();
        adjtime(&mut tx)?;
        // PLL in nanoseconds; no FLL, no PPS discipline; keep an armed leap second.
        let keep = tx.status & (libc::STA_INS | libc::STA_DEL);
        let mut tx = zero_timex();
        tx.modes = libc::ADJ_STATUS | libc::ADJ_FREQUENCY | libc::ADJ_TICK | libc::ADJ_NANO;
        tx.status = keep | libc::STA_PLL | libc::STA_NANO | libc::STA_UNSYNC;
        tx.tick = self.nominal_tick as libc::c_long;
        let limit = 500i64 << 16;
        tx.freq = freq.to_timex_freq().clamp(-limit, limit) as libc::c_long;
        adjtime(&mut tx)?;
        self.kernel = true;
        self.freq = Frequency::from_timex_freq(tx.freq);
        Ok(())
    }

    fn kernel_pll(&self) -> bool {
        self.kernel
    }

    fn enable_hardpps(&self, bind: &mut dyn FnMut() -> io::Result<()>) -> io::Result<()> {
        if !self.kernel {
            return Err(io::Error::other(
                "hardpps works with the kernel PLL only (`enable kernel`)",
            ));
        }
        bind()?;
        let mut tx = zero_timex();
        adjtime(&mut tx)?;
        let status = tx.status | libc::STA_PPSTIME | libc::STA_PPSFREQ;
        let mut tx = zero_timex();
        tx.modes = libc::ADJ_STATUS;
        tx.status = status;
        adjtime(&mut tx)
    }

    fn kernel_update(&mut self, u: &KernelPllUpdate) -> io::Result<()> {
        let mut tx = zero_timex();
        adjtime(&mut tx)?;
        // An armed leap second and a hardpps discipline (flag3) stay.
        let keep =
            tx.status & (libc::STA_INS | libc::STA_DEL | libc::STA_PPSTIME | libc::STA_PPSFREQ);
        let mut tx = zero_timex();
        tx.modes = libc::ADJ_OFFSET
            | libc::ADJ_TIMECONST
            | libc::ADJ_STATUS
            | libc::ADJ_ESTERROR
            | libc::ADJ_MAXERROR
            | libc::ADJ_NANO;
        // Synchronised from now on (STA_UNSYNC cleared): the kernel tells others so.
        tx.status = keep | libc::STA_PLL | libc::STA_NANO;
        tx.offset = u.offset.as_nanos() as libc::c_long;
        tx.constant = libc::c_long::from(u.time_constant);
        tx.esterror = u.estimated_error.as_micros() as libc::c_long;
        tx.maxerror = u.maximum_error.as_micros() as libc::c_long;
        adjtime(&mut tx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_clock_offset_and_step() {
        let mut c = VirtualClock::new(NtpDuration::from_millis(50), Frequency::ZERO);
        let off = c.offset_from_system();
        assert!((off - NtpDuration::from_millis(50)).abs() < NtpDuration::from_micros(10));
        c.step(NtpDuration::from_millis(-50)).unwrap();
        assert!(c.offset_from_system().abs() < NtpDuration::from_micros(10));
    }

    #[test]
    fn virtual_clock_maps_past_instants_with_their_rate() {
        let mut c = VirtualClock::new(NtpDuration::ZERO, Frequency::ZERO);
        let before = c.anchor - NtpDuration::from_millis(100);
        let was = c.map_system(before);
        // A 5 % slew starts now: an instant 100 ms ago still maps where it was.
        c.set_frequency(Frequency::from_ppm(-50_000)).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        c.set_frequency(Frequency::ZERO).unwrap();
        assert_eq!(c.map_system(before), was);
        // An instant inside the slew ran at -5 %.
        let first = c.past[1].anchor;
        let mid = first + NtpDuration::from_millis(10);
        let expect = c.past[1].base + NtpDuration::from_micros(9_500);
        assert!((c.map_system(mid) - expect).abs() < NtpDuration::from_nanos(2));
        // After a step, old instants map in the new timescale.
        c.step(NtpDuration::from_millis(7)).unwrap();
        let d = c.map_system(before) - was;
        assert!(
            (d - NtpDuration::from_millis(7)).abs() < NtpDuration::from_nanos(2),
            "{d}"
        );
    }

    #[test]
    fn virtual_clock_frequency_and_adjustment() {
        let mut c = VirtualClock::new(NtpDuration::ZERO, Frequency::from_ppm(100));
        let t0 = c.anchor;
        let t = t0 + NtpDuration::from_seconds(10);
        // 100 ppm over 10 s = 1 ms
        assert_eq!(c.map_system(t) - t, NtpDuration::from_millis(1));
        // A correction of -100 ppm cancels the error from the re-anchoring on.
        c.apply(&ClockAdjustment::frequency(Frequency::from_ppm(-100)))
            .unwrap();
        let (a, b) = (c.anchor, c.base);
        let t = a + NtpDuration::from_seconds(1000);
        assert_eq!(c.map_system(t), b + NtpDuration::from_seconds(1000));
        assert_eq!(c.frequency(), Frequency::from_ppm(-100));
    }
}
