//! Access control for incoming packets: the `restrict` list
//! ([`RestrictList`]) and per-client rate limiting ([`RateLimiter`]),
//! combined into one decision per packet by [`Access::check`].
//!
//! This module owns only the decision. It does not parse packets, build
//! replies, or verify MACs: the caller says what kind of request arrived and
//! whether it was authenticated, and acts on the [`Decision`].
//!
//! Order of the rules (ntpd's, for the flags ntpd has):
//! 1. mode 7 (private) → drop, always; `ignore` → drop;
//! 2. mode 6: `noquery` → drop; writes need authentication and no
//!    `nomodify`, traps need no `notrap`, the MRU list needs no `nomrulist`,
//!    else [`Decision::Refuse`] (a permission error reply);
//! 3. time packets: `noserve` → drop (a DENY kiss for requests with `kod`);
//!    `version` → drop unless NTPv4; `notrust` → drop unless authenticated;
//! 4. `limited` on client and symmetric-active requests → the rate limiter:
//!    over the limit drop, or a RATE kiss with `kod` (KoDs rate limited);
//! 5. association mobilization: `nopeer` (unauthenticated) or `noepeer`
//!    turn a symmetric-active request into a stateless reply and forbid
//!    broadcast-client mobilization.

//! ```
//! use core::net::SocketAddr;
//! use sundial::NtpTime;
//! use sundial::access::{Access, Decision, RateParams, Request, RequestKind, RestrictFlags};
//!
//! let mut access: Access<16, 64> = Access::new(RateParams::default(), 0x5eed);
//! access
//!     .restrict
//!     .set_default(None, RestrictFlags::LIMITED | RestrictFlags::KOD | RestrictFlags::NOQUERY);
//! let from: SocketAddr = "192.0.2.7:40000".parse().unwrap();
//! let now = NtpTime::from_parts(3_990_000_000, 0);
//! let ask = |kind| Request { kind, version: 4, authenticated: false };
//! assert_eq!(access.check(from, now, ask(RequestKind::Client)).decision, Decision::Serve);
//! assert_eq!(access.check(from, now, ask(RequestKind::ControlRead)).decision, Decision::Drop);
//! assert_eq!(access.check(from, now, ask(RequestKind::Private)).decision, Decision::Drop);
//! ```

mod ratelimit;
mod restrict;
mod siphash;

pub use ratelimit::{RateDecision, RateLimiter, RateParams, RateStats};
pub use restrict::{AddressFamily, RestrictEntry, RestrictError, RestrictFlags, RestrictList};

use core::net::SocketAddr;

use crate::time::NtpTime;
use crate::wire::KissCode;

/// What kind of packet arrived, as far as access control cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum RequestKind {
    /// Mode 3: a client asks for time.
    Client,
    /// Mode 1 from a host we have no association with (would mobilize a
    /// passive association).
    SymmetricActive,
    /// Mode 5 from a broadcast server we have no association with (would
    /// mobilize a broadcast client association).
    Broadcast,
    /// Mode 2, 4 or 5 for an association we already have (time for us).
    Response,
    /// Mode 6 read request (READSTAT, READVAR, READCLOCK, ...).
    ControlRead,
    /// Mode 6 write or configuration request.
    ControlWrite,
    /// Mode 6 trap request (SETTRAP, ...).
    ControlTrap,
    /// Mode 6 MRU list request.
    ControlMruList,
    /// Mode 7 (ntpdc private): always ignored.
    Private,
}

impl RequestKind {
    fn is_control(self) -> bool {
        matches!(
            self,
            RequestKind::ControlRead
                | RequestKind::ControlWrite
                | RequestKind::ControlTrap
                | RequestKind::ControlMruList
        )
    }
}

/// A request as access control sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Request {
    /// What it asks for.
    pub kind: RequestKind,
    /// NTP version number from the header (1..=7).
    pub version: u8,
    /// The packet carried a MAC that verified with a trusted key (for mode 6
    /// writes: the `controlkey`).
    pub authenticated: bool,
}

/// What to do with the packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Decision {
    /// Ignore it: no reply, no state change.
    Drop,
    /// Process it normally (answer, mobilize, or use its time).
    Serve,
    /// Answer it (mode 1 → 2) but mobilize no association.
    ServeStateless,
    /// Mode 6 only: answer with a permission error and no data.
    Refuse,
    /// Answer with a kiss-o'-death carrying this code (`RATE` or `DENY`).
    Kod(KissCode),
}

/// The decision and the flags it was taken from (the control responder
/// needs e.g. `lowpriotrap`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    /// What to do.
    pub decision: Decision,
    /// The restriction flags that matched the source.
    pub flags: RestrictFlags,
}

/// The `restrict` list (`R` entries) and the rate limiter (`N` slots).
#[derive(Debug, Clone)]
pub struct Access<const R: usize, const N: usize> {
    /// The restriction table.
    pub restrict: RestrictList<R>,
    /// The rate limiter.
    pub limiter: RateLimiter<N>,
}

impl<const R: usize, const N: usize> Access<R, N> {
    /// An empty restrict list (defaults `nomodify`) and an empty limiter keyed
    /// with `entropy`.
    // Out of line, like the limiter's: each builds its value straight into
    // the caller's (an `Ntp` under construction), with no copy on the stack.
    #[inline(never)]
    pub fn new(params: RateParams, entropy: u64) -> Self {
        Access {
            restrict: RestrictList::new(),
            limiter: RateLimiter::new(params, entropy),
        }
    }

    /// Decides what to do with `request` from `from` arriving at `now`.
    pub fn check(&mut self, from: SocketAddr, now: NtpTime, request: Request) -> Verdict {
        let flags = self.restrict.lookup(from);
        let decision = self.decide(from, now, request, flags);
        Verdict { decision, flags }
    }

    fn decide(
        &mut self,
        from: SocketAddr,
        now: NtpTime,
        request: Request,
        flags: RestrictFlags,
    ) -> Decision {
        use RequestKind as K;
        let kind = request.kind;
        if kind == K::Private || flags.contains(RestrictFlags::IGNORE) {
            return Decision::Drop;
        }
        if kind.is_control() {
            if flags.contains(RestrictFlags::NOQUERY) {
                return Decision::Drop;
            }
            let refused = match kind {
                K::ControlWrite => {
                    flags.contains(RestrictFlags::NOMODIFY) || !request.authenticated
                }
                K::ControlTrap => flags.contains(RestrictFlags::NOTRAP),
                K::ControlMruList => flags.contains(RestrictFlags::NOMRULIST),
                _ => false,
            };
            return if refused {
                Decision::Refuse
            } else {
                Decision::Serve
            };
        }
        let is_request = matches!(kind, K::Client | K::SymmetricActive);
        if flags.contains(RestrictFlags::NOSERVE) {
            if is_request && flags.contains(RestrictFlags::KOD) && self.limiter.allow_kod(now) {
                return Decision::Kod(KissCode::Deny);
            }
            return Decision::Drop;
        }
        if flags.contains(RestrictFlags::VERSION) && request.version != 4 {
            return Decision::Drop;
        }
        if flags.contains(RestrictFlags::NOTRUST) && !request.authenticated {
            return Decision::Drop;
        }
        if is_request && flags.contains(RestrictFlags::LIMITED) {
            let kod = flags.contains(RestrictFlags::KOD);
            match self.limiter.check(from.ip(), now, kod) {
                RateDecision::Accept => {}
                RateDecision::Limited => return Decision::Drop,
                RateDecision::LimitedKod => return Decision::Kod(KissCode::Rate),
            }
        }
        let may_mobilize = !flags.contains(RestrictFlags::NOEPEER)
            && (request.authenticated || !flags.contains(RestrictFlags::NOPEER));
        match kind {
            K::SymmetricActive if !may_mobilize => Decision::ServeStateless,
            K::Broadcast if flags.contains(RestrictFlags::NOPEER) && !request.authenticated => {
                Decision::Drop
            }
            _ => Decision::Serve,
        }
    }
}
