//! Clocks for the examples: the system clock read-only, a virtual clock that never touches the
//! system clock (tests, dry runs), and the real clock disciplined through `clock_adjtime(2)`.
//!
//! Receive timestamps from the kernel are system-clock (CLOCK_REALTIME) instants; a clock maps
//! them onto its own timescale with [`HostClock::map_system`].

use std::io;
use std::time::{SystemTime, UNIX_EPOCH};

use sundial::adjust::{ClockAdjustment, LeapPending};
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
    /// Applies a core [`ClockAdjustment`]: step, then frequency, then leap.
    fn apply(&mut self, adj: &ClockAdjustment) -> io::Result<()> {
        if adj.is_step() {
            self.step(adj.step)?;
        }
        self.set_frequency(adj.frequency)?;
        self.set_leap(adj.leap)
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
        }
    }

    /// Virtual time at system instant `t`.
    fn at(&self, t: NtpTime) -> NtpTime {
        let elapsed = t - self.anchor;
        let rate = self.error + self.correction;
        self.base + elapsed + rate.offset_over(elapsed)
    }

    /// Folds everything up to now into the anchor, so a parameter can change.
    fn reanchor(&mut self) {
        let now = system_now();
        self.base = self.at(now);
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

    fn map_system(&self, system: NtpTime) -> NtpTime {
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
        self.correction
    }

    fn name(&self) -> &'static str {
        "virtual"
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
        tx.time.tv_sec = ns.div_euclid(1_000_000_000) as libc::time_t;
        tx.time.tv_usec = ns.rem_euclid(1_000_000_000) as libc::suseconds_t;
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
        self.freq
    }

    fn name(&self) -> &'static str {
        "system"
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
