//! The discipline after a step: the step sample is a reference clock's
//! serial sentence (milliseconds of error, which its dispersion says), no
//! measurement follows for minutes (the sources' filters refill), then PPS
//! edges arrive. Tracking must still learn the oscillator's frequency: the
//! step sample's error must not be taken for a frequency error the filter is
//! then sure of.
//!
//! A small exact model of the local clock (no network): the oscillator runs
//! `OSC_PPB` fast and the discipline's adjustments are applied as returned.

use sundial::adjust::ClockAdjustment;
use sundial::discipline::{Discipline, DisciplineConfig, Measurement};
use sundial::time::{NtpDuration, NtpTime};

/// The oscillator's frequency error, ppb (the board's crystal).
const OSC_PPB: i128 = 23_400;
/// Picoseconds per second.
const PS: i128 = 1_000_000_000_000;

/// True time and the local clock's error against it, in picoseconds.
struct Clock {
    true_ps: i128,
    err_ps: i128,
    /// The frequency correction in force, 2^-32 ppm.
    correction: i128,
}

impl Clock {
    fn local(&self) -> NtpTime {
        let t = self.true_ps + self.err_ps;
        NtpTime::from_parts(3_972_672_000, 0)
            + NtpDuration::from_nanos(i64::try_from(t / 1000).unwrap())
    }

    /// Runs for `ps` picoseconds of true time.
    fn run(&mut self, ps: i128) {
        // (oscillator + correction) in 2^-32 ppm, times the interval.
        let rate = (OSC_PPB << 32) / 1000 + self.correction;
        self.err_ps += ps * rate / ((1i128 << 32) * 1_000_000);
        self.true_ps += ps;
    }

    fn apply(&mut self, adj: &ClockAdjustment) {
        self.err_ps += i128::from(adj.step.as_nanos()) * 1000;
        self.correction = i128::from(adj.frequency.to_bits());
    }

    /// Runs to true time `until_ps`, serving the discipline's timeouts.
    fn run_to(&mut self, d: &mut Discipline, until_ps: i128) {
        while self.true_ps < until_ps {
            let mut next = until_ps;
            if let Some(wake) = d.next_timeout() {
                let in_ps = i128::from((wake - self.local()).as_nanos()) * 1000;
                next = next.min(self.true_ps + in_ps.max(1000));
            }
            self.run(next - self.true_ps);
            if d.next_timeout().is_some_and(|w| w <= self.local()) {
                if let Some(adj) = d.handle_timeout(self.local()) {
                    self.apply(&adj);
                }
            }
        }
    }

    /// A measurement of the true offset with `error_ns` added, claiming
    /// `dispersion_ns`.
    fn measure(&self, error_ns: i64, dispersion_ns: i64) -> Measurement {
        let offset = i64::try_from(-self.err_ps / 1000).unwrap() + error_ns;
        Measurement {
            offset: NtpDuration::from_nanos(offset),
            delay: NtpDuration::ZERO,
            time: self.local(),
            dispersion: NtpDuration::from_nanos(dispersion_ns),
        }
    }
}

#[test]
fn step_then_long_gap_then_tracking_still_corrects_the_frequency() {
    let mut d = Discipline::new(DisciplineConfig::DEFAULT, None);
    let mut clock = Clock {
        true_ps: 0,
        err_ps: 250 * PS / 1000,
        correction: 0,
    };
    // The first fix: an NMEA sample 3.2 ms late (its jitter says 2.5 ms).
    let m = clock.measure(-3_200_000, 2_500_000);
    let adj = d.update(clock.local(), &m).expect("a step");
    assert!(adj.is_step());
    clock.apply(&adj);
    // The filters refill: nothing for 268 s.
    let mut t = 268 * PS;
    clock.run_to(&mut d, t);
    // Then a PPS edge (±20 ns, dispersion 1 µs) every 16 s for 10 min:
    // from the fourth on, the frequency must be right and the clock within
    // a few µs. (Taking the step sample for exact, the filter believed a
    // 12 ppm error to 10 ppb and kept the clock 0.2–0.8 ms off for minutes.)
    for i in 0..40 {
        let jitter = [-20, 5, 20, -5][i % 4];
        let m = clock.measure(jitter, 1_000);
        if let Some(adj) = d.update(clock.local(), &m) {
            assert!(!adj.is_step(), "no second step");
            clock.apply(&adj);
        }
        t += 16 * PS;
        clock.run_to(&mut d, t);
        if i < 4 {
            continue;
        }
        let trim_ppb = d.frequency().as_ppb();
        assert!(
            (i128::from(trim_ppb) + OSC_PPB).abs() < 200,
            "poll {i}: frequency {trim_ppb} ppb, the oscillator needs {} ppb",
            -OSC_PPB
        );
        let off_ns = clock.err_ps / 1000;
        assert!(off_ns.abs() < 5_000, "poll {i}: clock {off_ns} ns off");
    }
}
