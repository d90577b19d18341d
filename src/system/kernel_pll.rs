//! Handing the clock to a host kernel's PLL (ntp.conf `enable kernel`):
//! what the kernel is told at each clock update.
//!
//! Kernels with the "nanokernel" clock model (Linux, FreeBSD, NetBSD:
//! `ntp_adjtime(2)`, Linux `clock_adjtime(2)`) can discipline the clock
//! themselves: given the clock's offset at each update they slew the phase
//! away with a time constant and steer the frequency (a type II PLL). A host
//! that uses it applies the core's steps and leap seconds but neither its
//! frequency nor its slews, and passes each [`KernelPllUpdate`] from
//! [`Ntp::poll_kernel_update`] to the kernel instead
//! (`ADJ_OFFSET | ADJ_TIMECONST | ADJ_STATUS` with `STA_PLL | STA_NANO`).
//!
//! There is one update per new sample of the system peer, never two for
//! the same measurement: the kernel starts slewing the offset at once, so a
//! repeated offset would be corrected twice. Offsets the core is about to
//! step away (beyond the step threshold) are not passed on.

use crate::time::{NtpDuration, NtpTime, PollInterval};

use super::Ntp;

/// Largest offset a kernel PLL accepts (`MAXPHASE`), 2^-32 s: 0.5 s.
pub const MAX_PHASE: NtpDuration = NtpDuration::from_millis(500);
/// Largest PLL time constant (`MAXTC`), log2 s.
pub const MAX_TIME_CONSTANT: i8 = 10;

/// One clock update for a kernel PLL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct KernelPllUpdate {
    /// The clock's offset to remove, 2^-32 s (positive: the clock is behind
    /// and the kernel adds time), within ±[`MAX_PHASE`].
    pub offset: NtpDuration,
    /// PLL time constant, log2 s: the system peer's poll exponent (how often
    /// updates come) limited to 0..=[`MAX_TIME_CONSTANT`], as ntpd passes its
    /// poll with `STA_NANO`; Linux then slews 2^-(2 + constant) of the
    /// remaining offset each second.
    pub time_constant: i8,
    /// Estimated error (the system jitter), 2^-32 s; `esterror` in µs.
    pub estimated_error: NtpDuration,
    /// Maximum error (root delay / 2 + root dispersion), 2^-32 s;
    /// `maxerror` in µs.
    pub maximum_error: NtpDuration,
    /// Local time of the sample the offset comes from (its t4).
    pub sample_time: NtpTime,
}

impl KernelPllUpdate {
    /// An update from the combined `offset` (2^-32 s), the system peer's `poll`,
    /// `jitter`, root delay and dispersion (2^-32 s) of the sample taken at
    /// `sample_time`, limited to what a kernel accepts.
    pub fn new(
        offset: NtpDuration,
        poll: PollInterval,
        jitter: NtpDuration,
        root_delay: NtpDuration,
        root_dispersion: NtpDuration,
        sample_time: NtpTime,
    ) -> KernelPllUpdate {
        KernelPllUpdate {
            offset: offset.max(-MAX_PHASE).min(MAX_PHASE),
            time_constant: poll.log2().clamp(0, MAX_TIME_CONSTANT),
            estimated_error: jitter.abs(),
            maximum_error: root_delay.abs().shift(-1) + root_dispersion.abs(),
            sample_time,
        }
    }
}

impl<const A: usize, const K: usize, const R: usize, const C: usize> Ntp<A, K, R, C> {
    /// The update for a kernel PLL from the newest sample of the system peer,
    /// if there is one not handed out yet (see the module docs). Only for a
    /// host that lets the kernel discipline the clock; others ignore it.
    pub fn poll_kernel_update(&mut self) -> Option<KernelPllUpdate> {
        self.kernel_update.take()
    }

    /// The host lets a kernel PLL discipline the clock (`on`) or applies the
    /// core's adjustments itself (the default). Under a kernel PLL the
    /// core's frequency and slews are not applied, so selection compares
    /// the sources' offsets as measured instead of taking them to the
    /// present through the discipline's corrections.
    pub fn set_kernel_pll(&mut self, on: bool) {
        self.kernel_pll = on;
    }

    /// Whether [`set_kernel_pll`](Self::set_kernel_pll) said a kernel PLL
    /// disciplines the clock.
    pub(crate) fn kernel_pll(&self) -> bool {
        self.kernel_pll
    }

    /// Called by the clock update with the combined offset and jitter of
    /// the selection whose system peer (polling at `poll`) took its sample at
    /// `sample_time`: records a kernel update if that sample is new and its
    /// offset within the step threshold.
    pub(crate) fn offer_kernel_update(
        &mut self,
        offset: NtpDuration,
        jitter: NtpDuration,
        poll: PollInterval,
        sample_time: NtpTime,
    ) {
        if self.kernel_sample.is_some_and(|t| sample_time <= t) {
            return;
        }
        if self
            .config
            .discipline
            .step_threshold
            .is_some_and(|step| offset.abs() >= step)
        {
            return;
        }
        self.kernel_sample = Some(sample_time);
        self.kernel_update = Some(KernelPllUpdate::new(
            offset,
            poll,
            jitter,
            self.sys.root_delay,
            self.sys.root_dispersion,
            sample_time,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_to_what_a_kernel_takes() {
        let t = NtpTime::from_unix(1_800_000_000, 0);
        let u = KernelPllUpdate::new(
            NtpDuration::from_seconds(3),
            PollInterval::from_log2(17),
            NtpDuration::from_micros(-20),
            NtpDuration::from_millis(10),
            NtpDuration::from_millis(1),
            t,
        );
        assert_eq!(u.offset, MAX_PHASE);
        assert_eq!(u.time_constant, MAX_TIME_CONSTANT);
        assert_eq!(u.estimated_error, NtpDuration::from_micros(20));
        assert_eq!(u.maximum_error.as_micros(), 6000);
        let u = KernelPllUpdate::new(
            NtpDuration::from_micros(-250),
            PollInterval::from_log2(-3),
            NtpDuration::ZERO,
            NtpDuration::ZERO,
            NtpDuration::ZERO,
            t,
        );
        assert_eq!(u.offset, NtpDuration::from_micros(-250));
        assert_eq!(u.time_constant, 0);
    }
}
