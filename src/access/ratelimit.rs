//! Per-client rate limiting in fixed memory (ntpd's `limited` / `kod` with
//! `discard average A minimum M`), built to survive address floods.
//!
//! This file owns the client table and the two global token buckets; it does
//! not know about `restrict` (see [`super`]). Time comes in as [`NtpTime`];
//! internally it is 1/16 s ticks in a wrapping `u32` (gaps longer than
//! 2^31 ticks, about 4 years, or backwards jumps count as "long ago").
//!
//! # Per-client rule (ntpd's semantics)
//! Each client has a leaky-bucket score in seconds. Every packet first drains
//! the score by the time since the client's previous packet. The packet is
//! *limited* if it came sooner than `minimum` after the previous one (guard
//! time, default 2 s) or if adding `2^average` (default 8 s) would push the
//! score above `burst · 2^average` (default 8 · 8 s = 64 s); otherwise it is
//! accepted and the score grows by `2^average`. So a client may burst
//! (`iburst`: 8 packets 2 s apart) and then must average one packet per
//! `2^average` s. A limited packet is dropped, or answered with a RATE
//! kiss-o'-death if the caller asks for `kod`, at most once per offending
//! streak (until the client's next accepted packet) and within a global
//! budget of `kod_per_second`.
//!
//! # Table and eviction (the flood bound)
//! `N` slots of 16 bytes, organised as `N / 8` sets of 8 ways. A client's set
//! is chosen by SipHash-2-4 (`siphash`) of its address, keyed with caller entropy, so a
//! flooder cannot aim at the set of a given victim; the slot keeps only the
//! 64-bit keyed hash, not the address. A slot is *probation* when created and
//! becomes *established* at the client's second accepted packet. A new
//! address takes, in this order: a free way; else the probation entry idle
//! longest; else an established entry idle at least `stale_after` (default
//! 2048 s, twice the longest default poll). Otherwise it is not recorded and
//! is served from a global overflow bucket (`overflow_per_second`).
//!
//! Bound: an established client that sends at least once per `stale_after`
//! is never evicted, whatever the number of other addresses: a flood of
//! spoofed sources only churns probation entries, or, once every way of a
//! set is established and active, falls to the overflow bucket whose total
//! service rate is fixed. What a flood can deny is the *recording* of new
//! clients (they are then still served, from the overflow budget); what it
//! cannot do is reset an established client's state or evict it.
//! A spoofer who forges the address of a real client can of course spend
//! that client's allowance; no address-based limiter can prevent that.

use core::net::IpAddr;

use crate::counter::bump;
use crate::time::NtpTime;

use super::restrict::{ip_key, prefix_mask};

/// Ways per set.
const WAYS: usize = 8;
/// Internal time resolution: ticks per second.
const TICKS_PER_SECOND: u32 = 16;
/// Gaps at or above this many ticks count as "long ago".
const LONG_AGO: u32 = 1 << 31;

const USED: u8 = 1;
const ESTABLISHED: u8 = 2;
const KOD_SENT: u8 = 4;

/// Rate-limiting parameters (`discard` and friends). Defaults are ntpd's
/// where ntpd has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RateParams {
    /// `discard average`: minimum average packet spacing, log2 s
    /// (default 3 = 8 s; values above 16 are treated as 16).
    pub average_log2: u8,
    /// `discard minimum`: guard time between two packets, seconds (default 2).
    pub minimum: u16,
    /// Packets a client may send at guard spacing before the average applies
    /// (default 8, ntpd's).
    pub burst: u8,
    /// Idle seconds after which an established client's slot may be reused
    /// (default 2048).
    pub stale_after: u32,
    /// Global RATE/DENY kiss-o'-death budget, per second (default 1, ntpd's).
    pub kod_per_second: u16,
    /// Requests per second served, all together, for clients the table had no
    /// room to record (default 1000).
    pub overflow_per_second: u16,
    /// IPv6 clients are counted per prefix of this many bits (default 128:
    /// per address, as ntpd; 64 makes a host that rotates through its /64
    /// count as one client).
    pub ipv6_prefix: u8,
}

impl RateParams {
    /// The defaults.
    pub const DEFAULT: RateParams = RateParams {
        average_log2: 3,
        minimum: 2,
        burst: 8,
        stale_after: 2048,
        kod_per_second: 1,
        overflow_per_second: 1000,
        ipv6_prefix: 128,
    };
}

impl RateParams {
    /// The parameters of a parsed `discard` line (missing options keep the
    /// defaults; `monitor` has no counterpart here).
    pub fn from_config(discard: &crate::config::Discard) -> RateParams {
        let d = RateParams::DEFAULT;
        RateParams {
            average_log2: discard.average.unwrap_or(d.average_log2),
            minimum: discard.minimum.unwrap_or(d.minimum),
            ..d
        }
    }
}

impl Default for RateParams {
    fn default() -> RateParams {
        RateParams::DEFAULT
    }
}

/// The limiter's verdict on one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum RateDecision {
    /// Within limits: serve.
    Accept,
    /// Over the limit: drop silently.
    Limited,
    /// Over the limit and a kiss-o'-death (RATE) may be sent.
    LimitedKod,
}

/// Counters since creation (saturating).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RateStats {
    /// Requests accepted.
    pub accepted: u32,
    /// Requests limited (dropped or answered with a KoD).
    pub limited: u32,
    /// Kiss-o'-death packets allowed.
    pub kods: u32,
    /// Requests from clients that could not be recorded (table full of
    /// active established clients in that set).
    pub untracked: u32,
    /// Slots reused for a new client.
    pub evictions: u32,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Slot {
    /// Keyed hash of the address in the high 61 bits, `USED | ESTABLISHED |
    /// KOD_SENT` in the low 3.
    tag_state: u64,
    /// Time of the last packet (ticks, wrapping).
    last: u32,
    /// Leaky-bucket level (ticks).
    score: u32,
}

/// The low bits of [`Slot::tag_state`] that hold the state.
const STATE_BITS: u64 = 7;

impl Slot {
    /// A free slot (all zero: the table starts as a `memset`).
    const EMPTY: Slot = Slot {
        tag_state: 0,
        last: 0,
        score: 0,
    };

    fn state(&self) -> u8 {
        (self.tag_state & STATE_BITS) as u8
    }

    fn set_state(&mut self, state: u8) {
        self.tag_state = (self.tag_state & !STATE_BITS) | (u64::from(state) & STATE_BITS);
    }

    fn holds(&self, tag: u64) -> bool {
        self.state() & USED != 0 && self.tag_state & !STATE_BITS == tag
    }
}

/// A token bucket in 1/16 token units, refilled at `rate` tokens per second.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Bucket {
    sixteenths: u32,
    last: u32,
}

impl Bucket {
    fn take(&mut self, now: u32, rate: u16) -> bool {
        let cap = u32::from(rate.max(1)).saturating_mul(TICKS_PER_SECOND);
        let gained = elapsed(now, self.last).saturating_mul(u32::from(rate));
        self.sixteenths = self.sixteenths.saturating_add(gained).min(cap);
        self.last = now;
        if self.sixteenths >= TICKS_PER_SECOND {
            self.sixteenths -= TICKS_PER_SECOND;
            true
        } else {
            false
        }
    }
}

/// Ticks from `then` to `now`, "long ago" for gaps ≥ 2^31 ticks or going
/// backwards.
fn elapsed(now: u32, then: u32) -> u32 {
    let d = now.wrapping_sub(then);
    if d >= LONG_AGO { LONG_AGO } else { d }
}

/// `t` as wrapping 1/16 s ticks.
fn ticks(t: NtpTime) -> u32 {
    let secs = t.seconds() as u64; // wrapping on purpose
    secs.wrapping_mul(u64::from(TICKS_PER_SECOND))
        .wrapping_add(u64::from(t.fraction() >> 28)) as u32
}

/// The rate limiter: `N` client slots (use a multiple of 8), 16 bytes each.
#[derive(Debug, Clone)]
pub struct RateLimiter<const N: usize> {
    params: RateParams,
    k0: u64,
    k1: u64,
    slots: [Slot; N],
    kod_bucket: Bucket,
    overflow_bucket: Bucket,
    stats: RateStats,
}

impl<const N: usize> RateLimiter<N> {
    /// An empty limiter. `entropy` keys the address hash; give it a fresh
    /// random value at start (a predictable key lets a flooder aim at one set).
    #[inline(never)]
    pub fn new(params: RateParams, entropy: u64) -> Self {
        RateLimiter {
            params,
            k0: entropy,
            k1: entropy.rotate_left(29) ^ 0x6a09_e667_f3bc_c908,
            // One constant array (all zero): a memset straight into the value
            // being built; `[Slot::EMPTY; N]` would be filled slot by slot in
            // a temporary on the stack (4 KB for 256 clients) and copied.
            slots: const { [Slot::EMPTY; N] },
            kod_bucket: Bucket::default(),
            overflow_bucket: Bucket {
                sixteenths: u32::MAX,
                last: 0,
            },
            stats: RateStats::default(),
        }
    }

    /// The parameters in force.
    pub fn params(&self) -> &RateParams {
        &self.params
    }

    /// Replaces the parameters (recorded clients are kept).
    pub fn set_params(&mut self, params: RateParams) {
        self.params = params;
    }

    /// The counters.
    pub fn stats(&self) -> RateStats {
        self.stats
    }

    fn hash(&self, ip: IpAddr) -> u64 {
        let (v6, value) = ip_key(ip);
        let value = if v6 {
            value & prefix_mask(true, self.params.ipv6_prefix.min(128)).unwrap_or(u128::MAX)
        } else {
            value
        };
        super::siphash::siphash24_u128_u8(self.k0, self.k1, value, u8::from(v6))
    }

    /// The ways of the set for `tag`.
    fn set_range(tag: u64) -> core::ops::Range<usize> {
        let ways = WAYS.min(N);
        let sets = N.checked_div(ways).unwrap_or(0).max(1);
        // Use the high half of the hash for the set, the whole for the tag.
        let set = usize::try_from((tag >> 32) % sets as u64).unwrap_or(0);
        let start = set.saturating_mul(ways);
        start..start.saturating_add(ways).min(N)
    }

    /// True if `ip` currently has a slot (for tests and diagnostics).
    pub fn is_recorded(&self, ip: IpAddr) -> bool {
        let tag = self.hash(ip) & !STATE_BITS;
        self.slots
            .get(Self::set_range(tag))
            .is_some_and(|ways| ways.iter().any(|s| s.holds(tag)))
    }

    /// Number of recorded clients.
    pub fn len(&self) -> usize {
        self.slots.iter().filter(|s| s.state() & USED != 0).count()
    }

    /// True if no client is recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Accounts one request from `ip` at `now`. `kod` says whether the caller
    /// would answer a limited request with a kiss-o'-death (`restrict kod`).
    // Out of line on 32-bit targets: inlined into `Access::check` it costs
    // 68 bytes more at opt-level "z".
    #[cfg_attr(target_pointer_width = "32", inline(never))]
    pub fn check(&mut self, ip: IpAddr, now: NtpTime, kod: bool) -> RateDecision {
        let now = ticks(now);
        let p = self.params;
        let avg = TICKS_PER_SECOND << u32::from(p.average_log2.min(16));
        let limit = avg.saturating_mul(u32::from(p.burst.max(1)));
        let guard = u32::from(p.minimum).saturating_mul(TICKS_PER_SECOND);
        let stale = p.stale_after.saturating_mul(TICKS_PER_SECOND);
        let tag = self.hash(ip) & !STATE_BITS;
        let range = Self::set_range(tag);
        let Some(ways) = self.slots.get_mut(range) else {
            return RateDecision::Accept;
        };

        if let Some(slot) = ways.iter_mut().find(|s| s.holds(tag)) {
            let gap = elapsed(now, slot.last);
            slot.last = now;
            let drained = slot.score.saturating_sub(gap);
            if gap < guard || drained.saturating_add(avg) > limit {
                slot.score = drained;
                bump(&mut self.stats.limited);
                let send = kod
                    && slot.state() & KOD_SENT == 0
                    && self.kod_bucket.take(now, p.kod_per_second);
                if send {
                    slot.set_state(slot.state() | KOD_SENT);
                    bump(&mut self.stats.kods);
                    return RateDecision::LimitedKod;
                }
                return RateDecision::Limited;
            }
            slot.score = drained.saturating_add(avg);
            slot.set_state((slot.state() | ESTABLISHED) & !KOD_SENT);
            bump(&mut self.stats.accepted);
            return RateDecision::Accept;
        }

        // A new address: find it a way, or serve it from the overflow budget.
        let mut victim: Option<(usize, u8, u32)> = None; // (way, class, idle)
        for (i, s) in ways.iter().enumerate() {
            let idle = elapsed(now, s.last);
            let class = if s.state() & USED == 0 {
                0
            } else if s.state() & ESTABLISHED == 0 {
                1
            } else if idle >= stale {
                2
            } else {
                continue;
            };
            let better = match victim {
                None => true,
                Some((_, c, d)) => class < c || (class == c && idle > d),
            };
            if better {
                victim = Some((i, class, idle));
            }
        }
        match victim.and_then(|(i, class, _)| ways.get_mut(i).map(|s| (s, class))) {
            Some((slot, class)) => {
                if class != 0 {
                    bump(&mut self.stats.evictions);
                }
                *slot = Slot {
                    tag_state: tag | u64::from(USED),
                    last: now,
                    score: avg,
                };
                bump(&mut self.stats.accepted);
                RateDecision::Accept
            }
            None => {
                bump(&mut self.stats.untracked);
                if self.overflow_bucket.take(now, p.overflow_per_second) {
                    bump(&mut self.stats.accepted);
                    RateDecision::Accept
                } else {
                    bump(&mut self.stats.limited);
                    RateDecision::Limited
                }
            }
        }
    }

    /// Spends one token of the global kiss-o'-death budget (for DENY kisses
    /// that are not tied to a recorded client). False: send nothing.
    pub fn allow_kod(&mut self, now: NtpTime) -> bool {
        let ok = self.kod_bucket.take(ticks(now), self.params.kod_per_second);
        if ok {
            bump(&mut self.stats.kods);
        }
        ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_is_16_bytes() {
        assert_eq!(core::mem::size_of::<Slot>(), 16);
    }

    #[test]
    fn ticks_and_elapsed() {
        let t = NtpTime::from_parts(100, 1 << 31);
        assert_eq!(ticks(t), 1608);
        assert_eq!(elapsed(10, 5), 5);
        assert_eq!(elapsed(5, 10), LONG_AGO);
        assert_eq!(elapsed(3, u32::MAX), 4);
    }

    #[test]
    fn bucket_refills_at_rate() {
        let mut b = Bucket::default();
        assert!(!b.take(0, 1));
        assert!(b.take(16, 1));
        assert!(!b.take(20, 1));
        assert!(b.take(40, 1));
        // Capacity is one second's worth.
        assert!(b.take(10_000, 1));
        assert!(!b.take(10_000, 1));
    }

    #[test]
    fn ipv6_prefix_aggregates() {
        let now = NtpTime::from_parts(4_000_000_000, 0);
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2::2".parse().unwrap();
        let mut per_host = RateLimiter::<64>::new(RateParams::DEFAULT, 1);
        assert_eq!(per_host.check(a, now, false), RateDecision::Accept);
        assert_eq!(per_host.check(b, now, false), RateDecision::Accept);
        let params = RateParams {
            ipv6_prefix: 64,
            ..RateParams::DEFAULT
        };
        let mut per_net = RateLimiter::<64>::new(params, 1);
        assert_eq!(per_net.check(a, now, false), RateDecision::Accept);
        assert_eq!(per_net.check(b, now, false), RateDecision::Limited);
        assert!(per_net.is_recorded(b));
    }

    #[test]
    fn long_average_works() {
        let params = RateParams {
            average_log2: 16,
            minimum: 3600,
            ..RateParams::DEFAULT
        };
        let mut l = RateLimiter::<8>::new(params, 3);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let at = |s: i64| NtpTime::from_parts(4_000_000_000 + s, 0);
        for k in 0..10 {
            assert_eq!(l.check(ip, at(k * 65_536), false), RateDecision::Accept);
        }
        assert_eq!(
            l.check(ip, at(9 * 65_536 + 3_000), false),
            RateDecision::Limited
        );
    }

    #[test]
    fn tiny_capacities_do_not_panic() {
        let now = NtpTime::from_parts(1000, 0);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let mut z = RateLimiter::<0>::new(RateParams::DEFAULT, 1);
        assert_eq!(z.check(ip, now, true), RateDecision::Accept);
        let mut one = RateLimiter::<1>::new(RateParams::DEFAULT, 1);
        assert_eq!(one.check(ip, now, true), RateDecision::Accept);
        assert!(one.is_recorded(ip));
        let mut odd = RateLimiter::<13>::new(RateParams::DEFAULT, 1);
        for i in 0..100u32 {
            let a = IpAddr::from(i.to_be_bytes());
            let _ = odd.check(a, now, false);
        }
        assert!(odd.len() <= 13);
    }
}
