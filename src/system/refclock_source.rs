//! [`RefclockSource`]: a reference clock as a source of the system — the
//! same clock filter, reach register and poll timer a network association
//! has, so its samples enter selection exactly like a peer's. Its driver
//! ([`Refclock`]) lives in the system's driver slots and is handed in where
//! needed ([`crate::system::Ntp::refclock_driver`] reads it).

use crate::association::{
    ClockFilter, FilterOutcome, PeerUpdate, PollConfig, PollTimer, Reach, RemoteHeader,
};
use crate::refclock::{LeapAnnouncement, Refclock, RefclockId, RefclockStatus, SyncState};
use crate::sample::Sample;
use crate::time::{NtpDuration, NtpTime, NtpTimestamp, PollInterval};
use crate::wire::{LeapIndicator, RefId};

/// Reference clocks are polled every 16 s by default (ntpd's `minpoll 4`
/// for refclocks), at most every 64 s, with a fast volley while they are
/// not yet reachable so the filter fills in seconds, not minutes.
pub const REFCLOCK_POLL: PollConfig = PollConfig {
    minpoll: PollInterval::from_log2(4),
    maxpoll: PollInterval::from_log2(6),
    burst: false,
    iburst: true,
};

/// A reference clock's filter and timers (its driver is kept apart).
#[derive(Debug, Clone)]
pub struct RefclockSource {
    pub(crate) id: RefclockId,
    pub(crate) filter: ClockFilter,
    pub(crate) reach: Reach,
    pub(crate) timer: PollTimer,
    /// Local time of the last sample taken from the driver.
    pub(crate) last_sample: Option<NtpTime>,
}

impl RefclockSource {
    pub(crate) fn new(id: RefclockId, poll: PollConfig, now: NtpTime, entropy: u64) -> Self {
        RefclockSource {
            id,
            filter: ClockFilter::new(),
            reach: Reach::NEVER,
            timer: PollTimer::new(poll, now, entropy),
            last_sample: None,
        }
    }

    /// The pseudo address `127.127.T.U`.
    pub fn id(&self) -> RefclockId {
        self.id
    }

    /// The reach register.
    pub fn reach(&self) -> Reach {
        self.reach
    }

    /// The clock filter.
    pub fn filter(&self) -> &ClockFilter {
        &self.filter
    }

    /// The current poll interval, log2 s.
    pub fn poll_interval(&self) -> PollInterval {
        self.timer.hpoll()
    }

    /// Local time of the next poll.
    pub fn next_poll(&self) -> NtpTime {
        self.timer.next_poll()
    }

    /// The header values a server synchronised to this clock (driven by
    /// `driver`) would send.
    pub fn remote_header(&self, driver: &Refclock, now: NtpTime) -> RemoteHeader {
        header_of(&driver.status(now), self.last_sample)
    }

    /// Runs a due poll at `now`: takes the combined sample of `driver` (if
    /// it has one and is usable) into the filter. Returns a new filter
    /// output for selection, if any.
    pub(crate) fn poll(
        &mut self,
        driver: &mut Refclock,
        now: NtpTime,
        system_poll: PollInterval,
        precision: NtpDuration,
        entropy: u64,
    ) -> Option<PeerUpdate> {
        let event = self
            .timer
            .poll(now, &mut self.reach, system_poll, true, entropy);
        if event.shift_dummy {
            let _ = self
                .filter
                .add(Sample::dummy(now), now, precision, self.timer.hpoll());
        }
        let status = driver.status(now);
        let sample = driver.poll(now)?;
        if status.sync == SyncState::Unsynchronized {
            return None;
        }
        self.reach.reply_received();
        self.last_sample = Some(sample.time);
        match self.filter.add(sample, now, precision, self.timer.hpoll()) {
            FilterOutcome::Updated(filter) => Some(PeerUpdate {
                filter,
                remote: header_of(&status, self.last_sample),
            }),
            _ => None,
        }
    }

    /// The local clock was stepped: samples in the old timescale are void
    /// (the caller tells the driver too).
    pub(crate) fn clock_stepped(&mut self, step: NtpDuration) {
        self.filter.clear();
        self.timer.shift(step);
        self.last_sample = None;
    }
}

/// What a reference clock says about itself, in the form selection and the
/// system variables use for network peers.
fn header_of(status: &RefclockStatus, last_sample: Option<NtpTime>) -> RemoteHeader {
    let leap = match status.sync {
        SyncState::Unsynchronized => LeapIndicator::Unsynchronized,
        _ => match status.leap {
            LeapAnnouncement::None => LeapIndicator::NoWarning,
            LeapAnnouncement::Insert => LeapIndicator::AddSecond,
            LeapAnnouncement::Delete => LeapIndicator::DelSecond,
        },
    };
    RemoteHeader {
        leap,
        stratum: status.stratum,
        precision: status.precision,
        root_delay: NtpDuration::ZERO,
        root_dispersion: NtpDuration::ZERO,
        reference_id: RefId::from_bytes(status.refid),
        reference_time: last_sample.map_or(NtpTimestamp::ZERO, NtpTime::to_timestamp),
        version: 4,
    }
}
