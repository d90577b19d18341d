//! The poll timer of one association (RFC 5905 §13 poll process): when to send
//! next, `burst` / `iburst` volleys, randomised spacing, back-off while the
//! remote is unreachable and after a RATE kiss-o'-death.
//!
//! Owns the host poll exponent (hpoll), the peer poll exponent (ppoll, from the
//! remote's packets), the next send time, the burst counter and the unreach
//! counter. Randomness comes in from the caller; the timer never reads a clock.

use crate::time::{NtpDuration, NtpTime, PollInterval};

use super::reach::Reach;

/// Packets in a `burst` / `iburst` volley, including the first (RFC 5905 BCOUNT).
pub const BURST_COUNT: u8 = 8;

/// Spacing between the packets of a volley, 2 s (RFC 5905 BTIME).
pub const BURST_SPACING: NtpDuration = NtpDuration::from_seconds(2);

/// Unanswered polls after which the poll interval starts backing off and an
/// ephemeral association may be demobilised (ntpd NTP_UNREACH).
pub const UNREACH_LIMIT: u8 = 10;

/// Poll settings of one association (from `server … minpoll N maxpoll M burst iburst`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PollConfig {
    /// Smallest poll exponent, log2 s (default 6 = 64 s).
    pub minpoll: PollInterval,
    /// Largest poll exponent, log2 s (default 10 = 1024 s).
    pub maxpoll: PollInterval,
    /// Send a volley of [`BURST_COUNT`] packets at each poll while reachable.
    pub burst: bool,
    /// Send a volley while unreachable (fast first synchronisation).
    pub iburst: bool,
}

impl PollConfig {
    /// minpoll 6 (64 s), maxpoll 10 (1024 s), no burst, no iburst.
    pub const DEFAULT: PollConfig = PollConfig {
        minpoll: PollInterval::DEFAULT_MIN,
        maxpoll: PollInterval::DEFAULT_MAX,
        burst: false,
        iburst: false,
    };
}

impl Default for PollConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// What a poll decided, besides "send a packet".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PollEvent {
    /// The last three polls went unanswered: shift a dummy sample into the filter.
    pub shift_dummy: bool,
    /// The remote has been unreachable for [`UNREACH_LIMIT`] polls (an ephemeral
    /// association should be demobilised).
    pub unreachable: bool,
}

/// The poll timer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PollTimer {
    config: PollConfig,
    hpoll: PollInterval,
    ppoll: PollInterval,
    /// Lowest poll exponent in use: minpoll, raised by RATE kisses.
    floor: PollInterval,
    next: NtpTime,
    last_sent: NtpTime,
    burst_left: u8,
    unreach: u8,
}

impl PollTimer {
    /// A timer whose first poll is due at `now` plus a random 0–1 s taken from
    /// `entropy` (so associations started together do not send in lockstep).
    pub fn new(config: PollConfig, now: NtpTime, entropy: u64) -> Self {
        let minpoll = config.minpoll;
        let first = now + NtpDuration::from_bits(i64::from(entropy as u32));
        PollTimer {
            config,
            hpoll: minpoll,
            ppoll: config.maxpoll,
            floor: minpoll,
            next: first,
            last_sent: now,
            burst_left: 0,
            unreach: 0,
        }
    }

    /// The configuration this timer runs with.
    pub fn config(&self) -> PollConfig {
        self.config
    }

    /// Local time the next poll is due.
    pub fn next_poll(&self) -> NtpTime {
        self.next
    }

    /// Whether a poll is due at `now`.
    pub fn is_due(&self, now: NtpTime) -> bool {
        now >= self.next
    }

    /// Host poll exponent hpoll, log2 s.
    pub fn hpoll(&self) -> PollInterval {
        self.hpoll
    }

    /// Peer poll exponent ppoll (as the remote last announced it), log2 s.
    pub fn ppoll(&self) -> PollInterval {
        self.ppoll
    }

    /// The poll exponent actually used for spacing: max(min(ppoll, hpoll),
    /// minpoll), where minpoll is raised by RATE kisses.
    pub fn effective_poll(&self) -> PollInterval {
        self.ppoll.min(self.hpoll).max(self.floor)
    }

    /// The lowest poll exponent currently allowed: minpoll, or higher after a
    /// RATE kiss-o'-death.
    pub fn poll_floor(&self) -> PollInterval {
        self.floor
    }

    /// Consecutive polls without any reply.
    pub fn unreach(&self) -> u8 {
        self.unreach
    }

    /// Packets of the current volley still to send (0 = no volley running).
    pub fn burst_left(&self) -> u8 {
        self.burst_left
    }

    /// Records the poll exponent the remote announced in a valid packet.
    pub fn set_peer_poll(&mut self, ppoll: PollInterval) {
        self.ppoll = ppoll;
    }

    /// Sets the host poll exponent (the system poll, from the discipline),
    /// clamped to minpoll..=maxpoll. Takes effect from the next scheduling.
    pub fn set_host_poll(&mut self, hpoll: PollInterval) {
        self.hpoll = hpoll.clamp(self.floor, self.config.maxpoll);
    }

    /// Runs one poll at `now` (call when [`is_due`](Self::is_due)): updates
    /// `reach`, starts or continues a volley, backs off while unreachable and
    /// schedules the next poll. The caller then sends one packet.
    ///
    /// `system_poll` (log2 s) is the system poll interval; `fit` says whether
    /// the remote currently passes the selection's fitness tests (`burst` only
    /// runs for fit remotes); `entropy` randomises the spacing.
    pub fn poll(
        &mut self,
        now: NtpTime,
        reach: &mut Reach,
        system_poll: PollInterval,
        fit: bool,
        entropy: u64,
    ) -> PollEvent {
        let mut event = PollEvent::default();
        if self.burst_left > 0 {
            self.burst_left -= 1;
        } else {
            reach.poll_sent();
            event.shift_dummy = reach.missed_last_three();
            if reach.is_reachable() {
                self.unreach = 0;
                self.set_host_poll(system_poll);
                if self.config.burst && fit {
                    self.burst_left = BURST_COUNT - 1;
                }
            } else {
                if self.config.iburst && self.unreach == 0 {
                    self.burst_left = BURST_COUNT - 1;
                } else if self.unreach >= UNREACH_LIMIT {
                    self.hpoll = self.hpoll.inc().clamp(self.floor, self.config.maxpoll);
                }
                self.unreach = self.unreach.saturating_add(1);
                event.unreachable = self.unreach > UNREACH_LIMIT;
            }
        }
        self.last_sent = now;
        self.schedule(now, entropy);
        event
    }

    /// Runs one poll of a broadcast server at `now`: no reach, no bursts, just
    /// the next send at the system poll interval (clamped to minpoll..=maxpoll).
    pub fn poll_broadcast(&mut self, now: NtpTime, system_poll: PollInterval, entropy: u64) {
        self.set_host_poll(system_poll);
        self.burst_left = 0;
        self.last_sent = now;
        self.schedule(now, entropy);
    }

    /// A RATE kiss-o'-death arrived: end any volley, lengthen the poll interval
    /// by one step (and at least to the `ppoll` the remote announced), never
    /// poll faster than that again (the floor stays raised), and push the next
    /// poll out accordingly.
    pub fn rate_limited(&mut self, now: NtpTime, announced: PollInterval, entropy: u64) {
        self.burst_left = 0;
        let longer = if announced > self.hpoll {
            announced
        } else {
            self.hpoll.inc()
        };
        self.hpoll = longer.clamp(self.config.minpoll, self.config.maxpoll);
        self.floor = self.floor.max(self.hpoll);
        // The remote asked us to slow down: its (effective) poll is at least ours.
        if self.hpoll > self.ppoll {
            self.ppoll = self.hpoll;
        }
        self.last_sent = now;
        self.schedule(now, entropy);
    }

    /// Pushes the next poll to `at` if that is later than the current schedule
    /// (used by passive and broadcast associations that answer rather than poll).
    pub fn defer_until(&mut self, at: NtpTime) {
        if at > self.next {
            self.next = at;
        }
    }

    /// The local clock was stepped by `step`: move the schedule with it so the
    /// real spacing between polls does not change.
    pub fn shift(&mut self, step: NtpDuration) {
        self.next += step;
        self.last_sent += step;
    }

    /// The local clock was stepped (after [`shift`](Self::shift)): with
    /// `iburst`, a reachable remote gets a volley again, as ntpd's cleared
    /// associations do, so the emptied clock filter refills in seconds
    /// rather than in polls. The volley starts [`BURST_SPACING`] after the
    /// last packet (at once if that has passed).
    pub fn restart_burst(&mut self) {
        if self.config.iburst && self.unreach == 0 && self.burst_left == 0 {
            self.burst_left = BURST_COUNT - 1;
            self.next = self.next.min(self.last_sent + BURST_SPACING);
        }
    }

    fn schedule(&mut self, now: NtpTime, entropy: u64) {
        if self.burst_left > 0 {
            self.next = now + BURST_SPACING;
            return;
        }
        // Interval 2^poll × (4096 + r) / 4096, r in 0..256 (up to +6.2 %), as ntpd.
        let base = self.effective_poll().as_duration();
        let r = i64::try_from(entropy & 0xff).unwrap_or(0);
        let spread = base.mul_div(r, 4096).unwrap_or(NtpDuration::ZERO);
        self.next = self.last_sent + base + spread;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: NtpTime = NtpTime::from_parts(3_900_000_000, 0);

    fn secs(d: NtpDuration) -> i64 {
        d.as_seconds_rounded()
    }

    #[test]
    fn first_poll_within_a_second() {
        let t = PollTimer::new(PollConfig::default(), T0, 0xdead_beef_0000_8000);
        assert!(t.next_poll() >= T0 && t.next_poll() - T0 < NtpDuration::ONE_SECOND);
        assert!(!t.is_due(T0) || t.next_poll() == T0);
    }

    #[test]
    fn polls_at_minpoll_with_small_random_spread() {
        let mut t = PollTimer::new(PollConfig::default(), T0, 0);
        let mut reach = Reach::NEVER;
        t.poll(T0, &mut reach, PollInterval::from_log2(6), true, 0);
        assert_eq!(t.next_poll() - T0, NtpDuration::from_seconds(64));
        reach.reply_received();
        t.poll(
            t.next_poll(),
            &mut reach,
            PollInterval::from_log2(6),
            true,
            0xff,
        );
        let gap = t.next_poll() - (T0 + NtpDuration::from_seconds(64));
        assert!(gap > NtpDuration::from_seconds(64) && gap < NtpDuration::from_seconds(69));
    }

    #[test]
    fn iburst_sends_a_volley_when_unreachable() {
        let cfg = PollConfig {
            iburst: true,
            ..PollConfig::default()
        };
        let mut t = PollTimer::new(cfg, T0, 0);
        let mut reach = Reach::NEVER;
        let mut now = T0;
        let mut sent = 0;
        // Eight packets 2 s apart, then back to 64 s.
        loop {
            t.poll(now, &mut reach, PollInterval::from_log2(6), true, 0);
            sent += 1;
            let gap = t.next_poll() - now;
            now = t.next_poll();
            if secs(gap) != 2 {
                assert_eq!(secs(gap), 64);
                break;
            }
        }
        assert_eq!(sent, BURST_COUNT);
    }

    #[test]
    fn iburst_volley_again_after_a_step() {
        let cfg = PollConfig {
            iburst: true,
            ..PollConfig::default()
        };
        let mut t = PollTimer::new(cfg, T0, 0);
        let mut reach = Reach::NEVER;
        let mut now = T0;
        // Reachable and past the first volley: polls 64 s apart.
        for _ in 0..12 {
            now = t.next_poll();
            let _ = t.poll(now, &mut reach, PollInterval::from_log2(6), true, 0);
            reach.reply_received();
        }
        assert_eq!(t.burst_left(), 0);
        let regular = t.next_poll();
        assert!(regular - now >= NtpDuration::from_seconds(64));
        t.shift(NtpDuration::from_millis(300));
        t.restart_burst();
        assert_eq!(
            t.next_poll(),
            now + NtpDuration::from_millis(300) + BURST_SPACING
        );
        assert_eq!(t.burst_left(), BURST_COUNT - 1);
        // Without iburst nothing changes.
        let mut t = PollTimer::new(PollConfig::default(), T0, 0);
        let _ = t.poll(T0, &mut reach, PollInterval::from_log2(6), true, 0);
        let next = t.next_poll();
        t.restart_burst();
        assert_eq!((t.next_poll(), t.burst_left()), (next, 0));
    }

    #[test]
    fn burst_only_when_reachable_and_fit() {
        let cfg = PollConfig {
            burst: true,
            ..PollConfig::default()
        };
        let mut t = PollTimer::new(cfg, T0, 0);
        let mut reach = Reach::NEVER;
        t.poll(T0, &mut reach, PollInterval::from_log2(6), true, 0);
        assert_eq!(t.burst_left(), 0);
        reach.reply_received();
        t.poll(T0, &mut reach, PollInterval::from_log2(6), false, 0);
        assert_eq!(t.burst_left(), 0);
        reach.reply_received();
        t.poll(T0, &mut reach, PollInterval::from_log2(6), true, 0);
        assert_eq!(t.burst_left(), BURST_COUNT - 1);
    }

    #[test]
    fn unreachable_backs_off_to_maxpoll() {
        let mut t = PollTimer::new(PollConfig::default(), T0, 0);
        let mut reach = Reach::NEVER;
        let mut now = T0;
        let mut demob_at = None;
        for i in 0..40 {
            let ev = t.poll(now, &mut reach, PollInterval::from_log2(6), true, 0);
            if ev.unreachable && demob_at.is_none() {
                demob_at = Some(i);
            }
            now = t.next_poll();
        }
        assert_eq!(demob_at, Some(UNREACH_LIMIT));
        assert_eq!(t.hpoll(), PollInterval::DEFAULT_MAX);
        assert_eq!(secs(t.next_poll() - now), 0);
    }

    #[test]
    fn host_poll_follows_system_poll_within_bounds() {
        let mut t = PollTimer::new(PollConfig::default(), T0, 0);
        let mut reach = Reach::from_bits(1);
        t.poll(T0, &mut reach, PollInterval::from_log2(8), true, 0);
        assert_eq!(t.hpoll(), PollInterval::from_log2(8));
        reach.reply_received();
        t.poll(T0, &mut reach, PollInterval::from_log2(15), true, 0);
        assert_eq!(t.hpoll(), PollInterval::DEFAULT_MAX);
        // A remote announcing a shorter poll (symmetric peer) wins, floored at minpoll.
        t.set_peer_poll(PollInterval::from_log2(4));
        assert_eq!(t.effective_poll(), PollInterval::DEFAULT_MIN);
        t.set_peer_poll(PollInterval::from_log2(7));
        assert_eq!(t.effective_poll(), PollInterval::from_log2(7));
    }

    #[test]
    fn rate_kod_backs_off() {
        let cfg = PollConfig {
            iburst: true,
            ..PollConfig::default()
        };
        let mut t = PollTimer::new(cfg, T0, 0);
        let mut reach = Reach::NEVER;
        t.poll(T0, &mut reach, PollInterval::from_log2(6), true, 0);
        assert!(t.burst_left() > 0);
        t.rate_limited(T0, PollInterval::from_log2(0), 0);
        assert_eq!(t.burst_left(), 0);
        assert_eq!(t.hpoll(), PollInterval::from_log2(7));
        t.rate_limited(T0, PollInterval::from_log2(9), 0);
        assert_eq!(t.hpoll(), PollInterval::from_log2(9));
        assert_eq!(secs(t.next_poll() - T0), 512);
    }
}
