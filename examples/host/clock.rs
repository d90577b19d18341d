//! Clocks for the examples: the system clock read-only, a virtual clock that never touches the
//! system clock (tests, dry runs), and the real clock disciplined through `clock_adjtime(2)`.
//!
//! Receive timestamps from the kernel are system-clock (CLOCK_REALTIME) instants; a clock maps
//! them onto its own timescale with [`HostClock::map_system`].

use std::io;
use std::time::{SystemTime, UNIX_EPOCH};

use sundial::time::{Frequency, NtpDuration, NtpTime};

/// Largest slew rate of the virtual clock and of `adjtime`-style kernel slews (ppm).
pub const SLEW_RATE_PPM: i64 = 500;

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
    /// Slews the clock by `offset`, at most [`SLEW_RATE_PPM`]; replaces an unfinished slew.
    fn slew(&mut self, offset: NtpDuration) -> io::Result<()>;
    /// Sets the frequency correction.
    fn set_frequency(&mut self, freq: Frequency) -> io::Result<()>;
    /// The frequency correction in force.
    fn frequency(&self) -> Frequency;
    /// One word for status output: "virtual" or "system".
    fn name(&self) -> &'static str;
}

/// A clock that runs on the system clock's seconds with its own offset and frequency error and
/// takes corrections (step, slew, frequency) without ever touching the system clock.
///
/// Its time at system instant `t` is `base + (t - anchor) + (error + correction) over
/// (t - anchor) + slew applied so far`, re-anchored on every correction.
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
    /// Slew still to apply from `anchor` on (seconds, signed).
    slew_left: NtpDuration,
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
            slew_left: NtpDuration::ZERO,
        }
    }

    /// Virtual time at system instant `t`, and the slew already applied by then.
    fn at(&self, t: NtpTime) -> (NtpTime, NtpDuration) {
        let elapsed = t - self.anchor;
        let rate = self.error + self.correction;
        let max_slew = Frequency::from_ppm(SLEW_RATE_PPM).offset_over(elapsed.abs());
        let slewed = if self.slew_left.abs() <= max_slew {
            self.slew_left
        } else if self.slew_left.is_negative() {
            -max_slew
        } else {
            max_slew
        };
        (
            self.base + elapsed + rate.offset_over(elapsed) + slewed,
            slewed,
        )
    }

    /// Folds everything up to now into the anchor, so a parameter can change.
    fn reanchor(&mut self) {
        let now = system_now();
        let (base, slewed) = self.at(now);
        self.anchor = now;
        self.base = base;
        self.slew_left -= slewed;
    }

    /// How far this clock is from the system clock now (positive = ahead).
    pub fn offset_from_system(&self) -> NtpDuration {
        let now = system_now();
        self.at(now).0 - now
    }
}

impl HostClock for VirtualClock {
    fn now(&self) -> NtpTime {
        self.at(system_now()).0
    }

    fn map_system(&self, system: NtpTime) -> NtpTime {
        self.at(system).0
    }

    fn step(&mut self, by: NtpDuration) -> io::Result<()> {
        self.reanchor();
        self.base += by;
        Ok(())
    }

    fn slew(&mut self, offset: NtpDuration) -> io::Result<()> {
        self.reanchor();
        self.slew_left = offset;
        Ok(())
    }

    fn set_frequency(&mut self, freq: Frequency) -> io::Result<()> {
        self.reanchor();
        self.correction = freq;
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
        Ok(RealClock {
            freq: Frequency::from_timex_freq(tx.freq),
        })
    }

    /// Uses `ADJ_TICK` to shorten or lengthen the kernel tick (`tick_us`, nominally
    /// 1_000_000 / USER_HZ µs) for slews faster than 500 ppm; each µs is 100 ppm at USER_HZ=100.
    pub fn set_tick(&mut self, tick_us: i64) -> io::Result<()> {
        let mut tx = zero_timex();
        tx.modes = libc::ADJ_TICK;
        tx.tick = tick_us as libc::c_long;
        adjtime(&mut tx)
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

    fn slew(&mut self, offset: NtpDuration) -> io::Result<()> {
        // adjtime(3)-style single-shot slew at 500 ppm, in microseconds; replaces an unfinished one.
        let mut tx = zero_timex();
        tx.modes = libc::ADJ_OFFSET_SINGLESHOT;
        tx.offset = offset.as_micros().clamp(-2_000_000_000, 2_000_000_000) as libc::c_long;
        adjtime(&mut tx)
    }

    fn set_frequency(&mut self, freq: Frequency) -> io::Result<()> {
        let mut tx = zero_timex();
        tx.modes = libc::ADJ_FREQUENCY;
        // The kernel accepts ±500 ppm (in ppm * 2^16).
        let limit = 500i64 << 16;
        tx.freq = freq.to_timex_freq().clamp(-limit, limit) as libc::c_long;
        adjtime(&mut tx)?;
        self.freq = freq;
        Ok(())
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
    fn virtual_clock_frequency_and_slew_rate() {
        let c = VirtualClock::new(NtpDuration::ZERO, Frequency::from_ppm(100));
        let t0 = c.anchor;
        let t = t0 + NtpDuration::from_seconds(10);
        // 100 ppm over 10 s = 1 ms
        assert_eq!(c.map_system(t) - t, NtpDuration::from_millis(1));
        let mut c = VirtualClock::new(NtpDuration::ZERO, Frequency::ZERO);
        c.slew_left = NtpDuration::from_millis(-10);
        let t = c.anchor + NtpDuration::from_seconds(4);
        // 500 ppm over 4 s = 2 ms of the 10 ms slew
        assert_eq!(c.map_system(t) - t, NtpDuration::from_millis(-2));
        let t = c.anchor + NtpDuration::from_seconds(100);
        assert_eq!(c.map_system(t) - t, NtpDuration::from_millis(-10));
    }
}
