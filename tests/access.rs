//! Behaviour of access control (`sundial::access`): the restrict table, the
//! per-request decisions, and the rate limiter under floods.

use core::net::{IpAddr, SocketAddr};
use sundial::NtpTime;
use sundial::access::{
    Access, AddressFamily, Decision, RateDecision, RateLimiter, RateParams, Request, RequestKind,
    RestrictFlags as F, RestrictList,
};
use sundial::wire::KissCode as Kiss;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn sa(s: &str) -> SocketAddr {
    SocketAddr::new(ip(s), 40_000)
}

fn t(ms: i64) -> NtpTime {
    // 2026-ish, plus milliseconds.
    NtpTime::from_parts(3_970_000_000 + ms.div_euclid(1000), 0)
        + sundial::NtpDuration::from_millis(ms.rem_euclid(1000))
}

fn req(kind: RequestKind) -> Request {
    Request {
        kind,
        version: 4,
        authenticated: false,
    }
}

fn flags(words: &str) -> F {
    words
        .split_whitespace()
        .map(|w| match w {
            "ignore" => F::IGNORE,
            "kod" => F::KOD,
            "limited" => F::LIMITED,
            "nomodify" => F::NOMODIFY,
            "nopeer" => F::NOPEER,
            "noquery" => F::NOQUERY,
            "noserve" => F::NOSERVE,
            "notrap" => F::NOTRAP,
            "notrust" => F::NOTRUST,
            "ntpport" => F::NTPPORT,
            "version" => F::VERSION,
            _ => panic!("{w}"),
        })
        .fold(F::empty(), |a, b| a | b)
}

fn table() -> RestrictList<16> {
    let mut l = RestrictList::new();
    l.set_default(None, flags("kod limited nomodify notrap nopeer noquery"));
    l.set_default(
        Some(AddressFamily::V6),
        flags("kod limited nomodify notrap nopeer"),
    );
    l.add_prefix(ip("127.0.0.1"), 32, F::empty()).unwrap();
    l.add_prefix(ip("::1"), 128, F::empty()).unwrap();
    l.add_masked(
        ip("192.168.0.0"),
        ip("255.255.0.0"),
        flags("nomodify notrap"),
    )
    .unwrap();
    l.add_prefix(ip("192.168.7.0"), 24, flags("ignore"))
        .unwrap();
    l.add_prefix(ip("192.168.7.5"), 32, F::empty()).unwrap();
    l.add_prefix(ip("10.0.0.0"), 8, flags("noserve kod"))
        .unwrap();
    l.add_prefix(ip("2001:db8::"), 32, flags("notrust"))
        .unwrap();
    l.add_prefix(ip("2001:db8:1::"), 48, flags("version"))
        .unwrap();
    l.add_prefix(ip("198.51.100.0"), 24, flags("ntpport noquery"))
        .unwrap();
    l.add_masked(ip("0.0.0.5"), ip("0.0.0.255"), flags("nopeer"))
        .unwrap();
    l
}

#[test]
fn restrict_matching_table() {
    let l = table();
    let v4_default = flags("kod limited nomodify notrap nopeer noquery");
    let v6_default = flags("kod limited nomodify notrap nopeer");
    let cases: &[(&str, u16, F)] = &[
        ("127.0.0.1", 5000, F::empty()),
        ("127.0.0.2", 5000, v4_default),
        ("::1", 5000, F::empty()),
        ("::2", 5000, v6_default),
        ("203.0.113.9", 123, v4_default),
        ("192.168.1.1", 5000, flags("nomodify notrap")),
        ("192.168.7.9", 5000, flags("ignore")),
        ("192.168.7.5", 5000, F::empty()),
        ("10.200.3.4", 5000, flags("noserve kod")),
        ("2001:db8:5::1", 5000, flags("notrust")),
        ("2001:db8:1::1", 5000, flags("version")),
        ("2001:db9::1", 5000, v6_default),
        ("198.51.100.7", 123, flags("ntpport noquery")),
        ("198.51.100.7", 5000, v4_default),
        // Non-contiguous mask: any a.b.c.5 not matched by a bigger mask.
        ("203.0.113.5", 5000, flags("nopeer")),
        // A bigger mask wins over it (192.168/16 beats 0.0.0.5/0.0.0.255).
        ("192.168.9.5", 5000, flags("nomodify notrap")),
        // The /32 host entry beats both /24 and the odd mask.
        ("192.168.7.5", 123, F::empty()),
        // IPv4-mapped IPv6 is matched as IPv4.
        ("::ffff:10.1.1.1", 5000, flags("noserve kod")),
    ];
    for (addr, port, want) in cases {
        let got = l.lookup(SocketAddr::new(ip(addr), *port));
        assert_eq!(got, *want, "{addr} port {port}");
    }
}

#[test]
fn default_scopes_are_separate() {
    let mut l = RestrictList::<2>::new();
    assert_eq!(l.lookup(sa("192.0.2.1")), F::NOMODIFY);
    assert_eq!(l.lookup(sa("2001:db8::1")), F::NOMODIFY);
    l.set_default(Some(AddressFamily::V4), F::IGNORE);
    assert_eq!(l.lookup(sa("192.0.2.1")), F::IGNORE);
    assert_eq!(l.lookup(sa("2001:db8::1")), F::NOMODIFY);
    l.set_default(None, F::NOQUERY);
    assert_eq!(l.lookup(sa("192.0.2.1")), F::NOQUERY);
    assert_eq!(l.lookup(sa("2001:db8::1")), F::NOQUERY);
}

#[test]
fn decisions_follow_ntpd_flags() {
    let mut a: Access<16, 64> = Access::new(RateParams::default(), 7);
    a.restrict = table();
    let now = t(0);
    let mut check = |addr: &str, r: Request| a.check(sa(addr), now, r).decision;
    use RequestKind as K;
    let auth = |kind| Request {
        kind,
        version: 4,
        authenticated: true,
    };
    // Mode 7 is always ignored, even from localhost.
    assert_eq!(check("127.0.0.1", req(K::Private)), Decision::Drop);
    // Localhost: everything, but writes need authentication.
    assert_eq!(check("127.0.0.1", req(K::ControlWrite)), Decision::Refuse);
    assert_eq!(check("127.0.0.1", auth(K::ControlWrite)), Decision::Serve);
    assert_eq!(check("127.0.0.1", req(K::SymmetricActive)), Decision::Serve);
    // Default v4: time yes, queries no, peers stateless, broadcast ignored.
    assert_eq!(check("203.0.113.9", req(K::Client)), Decision::Serve);
    assert_eq!(check("203.0.113.9", req(K::ControlRead)), Decision::Drop);
    assert_eq!(
        check("203.0.113.10", req(K::SymmetricActive)),
        Decision::ServeStateless
    );
    assert_eq!(
        check("203.0.113.11", auth(K::SymmetricActive)),
        Decision::Serve
    );
    assert_eq!(check("203.0.113.12", req(K::Broadcast)), Decision::Drop);
    assert_eq!(check("203.0.113.13", req(K::Response)), Decision::Serve);
    // Default v6 allows queries but not writes (nomodify), nor traps.
    assert_eq!(check("2001:db9::1", req(K::ControlRead)), Decision::Serve);
    assert_eq!(
        check("2001:db9::1", auth(K::ControlWrite)),
        Decision::Refuse
    );
    assert_eq!(check("2001:db9::1", req(K::ControlTrap)), Decision::Refuse);
    // 192.168/16 nomodify notrap: MRU list fine, trap refused.
    assert_eq!(
        check("192.168.1.1", req(K::ControlMruList)),
        Decision::Serve
    );
    assert_eq!(check("192.168.1.1", req(K::ControlTrap)), Decision::Refuse);
    // ignore drops even queries; the host entry inside is open.
    assert_eq!(check("192.168.7.9", req(K::ControlRead)), Decision::Drop);
    assert_eq!(check("192.168.7.9", req(K::Client)), Decision::Drop);
    assert_eq!(check("192.168.7.5", req(K::Client)), Decision::Serve);
    // noserve kod: a DENY kiss (budget: one per second), queries still answered.
    assert_eq!(check("10.1.1.1", req(K::Client)), Decision::Kod(Kiss::Deny));
    assert_eq!(check("10.1.1.2", req(K::Client)), Decision::Drop);
    assert_eq!(check("10.1.1.1", req(K::ControlRead)), Decision::Serve);
    assert_eq!(check("10.1.1.1", req(K::Response)), Decision::Drop);
    // notrust: only authenticated time packets.
    assert_eq!(check("2001:db8:5::1", req(K::Client)), Decision::Drop);
    assert_eq!(check("2001:db8:5::1", auth(K::Client)), Decision::Serve);
    assert_eq!(check("2001:db8:5::1", req(K::Response)), Decision::Drop);
    // version: only NTPv4 time packets (ntpq's mode 6 uses version 2).
    let v3 = Request {
        kind: K::Client,
        version: 3,
        authenticated: false,
    };
    assert_eq!(check("2001:db8:1::1", v3), Decision::Drop);
    assert_eq!(check("2001:db8:1::1", req(K::Client)), Decision::Serve);
    let q2 = Request {
        kind: K::ControlRead,
        version: 2,
        authenticated: false,
    };
    assert_eq!(check("2001:db8:1::1", q2), Decision::Serve);
}

#[test]
fn noepeer_blocks_even_authenticated_peers() {
    let mut a: Access<4, 8> = Access::new(RateParams::default(), 1);
    a.restrict.set_default(None, F::NOEPEER);
    let r = Request {
        kind: RequestKind::SymmetricActive,
        version: 4,
        authenticated: true,
    };
    assert_eq!(
        a.check(sa("192.0.2.1"), t(0), r).decision,
        Decision::ServeStateless
    );
}

#[test]
fn limited_client_gets_rate_kiss_once_per_streak() {
    let mut a: Access<4, 64> = Access::new(RateParams::default(), 3);
    a.restrict.set_default(None, flags("limited kod"));
    let c = sa("192.0.2.44");
    let mut d = |ms: i64| a.check(c, t(ms), req(RequestKind::Client)).decision;
    assert_eq!(d(0), Decision::Serve);
    assert_eq!(d(1_000), Decision::Kod(Kiss::Rate));
    assert_eq!(d(2_000), Decision::Drop);
    assert_eq!(d(3_000), Decision::Drop);
    // It backs off: served again, and a new streak earns one new kiss.
    assert_eq!(d(60_000), Decision::Serve);
    assert_eq!(d(60_500), Decision::Kod(Kiss::Rate));
    assert_eq!(d(61_000), Decision::Drop);
}

#[test]
fn limited_without_kod_just_drops() {
    let mut l = RateLimiter::<64>::new(RateParams::default(), 9);
    let c = ip("192.0.2.1");
    assert_eq!(l.check(c, t(0), false), RateDecision::Accept);
    assert_eq!(l.check(c, t(500), false), RateDecision::Limited);
}

#[test]
fn iburst_then_average_is_served() {
    let mut l = RateLimiter::<64>::new(RateParams::default(), 9);
    let c = ip("192.0.2.1");
    // ntpd's iburst: 8 packets 2 s apart, then every 8 s for an hour.
    for i in 0..8 {
        assert_eq!(l.check(c, t(i * 2_000), true), RateDecision::Accept, "{i}");
    }
    for i in 0..450 {
        let now = 14_000 + 8_000 * (i + 1);
        assert_eq!(l.check(c, t(now), true), RateDecision::Accept, "{i}");
    }
    // A client that keeps polling every 2 s is cut after the burst.
    let d = ip("192.0.2.2");
    let served = (0..100)
        .filter(|i| l.check(d, t(i * 2_000), false) == RateDecision::Accept)
        .count();
    // 200 s at one per 8 s on average plus the 64 s burst allowance.
    assert!((25..=34).contains(&served), "{served}");
}

#[test]
fn global_kod_budget() {
    let mut l = RateLimiter::<1024>::new(RateParams::default(), 5);
    let clients: Vec<IpAddr> = (0..200u32)
        .map(|i| IpAddr::from((0x0a00_0000 + i).to_be_bytes()))
        .collect();
    for c in &clients {
        l.check(*c, t(0), true);
    }
    let kods = clients
        .iter()
        .filter(|c| l.check(**c, t(100), true) == RateDecision::LimitedKod)
        .count();
    // One second's budget (1 KoD/s) is all that is available.
    assert!(kods <= 1, "{kods}");
    let kods_later = clients
        .iter()
        .filter(|c| l.check(**c, t(1_200), true) == RateDecision::LimitedKod)
        .count();
    assert_eq!(kods_later, 1);
}

fn flood_addr(i: u32) -> IpAddr {
    // Distinct addresses across v4 and v6.
    if i % 2 == 0 {
        IpAddr::from((0x6400_0000u32 + i).to_be_bytes())
    } else {
        let mut b = [0u8; 16];
        b[0] = 0x20;
        b[1] = 0x01;
        b[12..].copy_from_slice(&i.to_be_bytes());
        IpAddr::from(b)
    }
}

#[test]
fn flood_of_distinct_addresses_does_not_hurt_a_steady_client() {
    let mut l = RateLimiter::<1024>::new(RateParams::default(), 0x1234_5678_9abc_def0);
    let steady = ip("192.0.2.10");
    let abuser = ip("192.0.2.66");
    // Both become established before the flood.
    for ms in [0, 8_000, 16_000] {
        assert_eq!(l.check(steady, t(ms), true), RateDecision::Accept);
        assert_eq!(l.check(abuser, t(ms), true), RateDecision::Accept);
    }
    // Flood: 10^5 distinct spoofed sources at 1000 per second (100 s), each
    // sending twice 3 s apart (enough to become established themselves).
    // Meanwhile the steady client polls every 8 s (the average limit) and
    // the abuser every second.
    let start = 20_000i64;
    let mut steady_ok = 0;
    let mut steady_total = 0;
    let mut abuser_ok = 0;
    for k in 0..103_000i64 {
        let now = start + k; // 1 ms apart
        if k < 100_000 {
            l.check(flood_addr(k as u32), t(now), true);
        }
        if k >= 3_000 {
            l.check(flood_addr((k - 3_000) as u32), t(now), true);
        }
        if k % 8_000 == 0 {
            steady_total += 1;
            if l.check(steady, t(now), true) == RateDecision::Accept {
                steady_ok += 1;
            }
            assert!(l.is_recorded(steady), "steady evicted at {k}");
        }
        if k % 1_000 == 500 && l.check(abuser, t(now), true) == RateDecision::Accept {
            abuser_ok += 1;
        }
    }
    assert_eq!(steady_ok, steady_total);
    assert!(steady_total >= 12);
    // The abuser's state survived the flood: limited throughout, it got at most
    // a handful of replies (its leftover burst).
    assert!(l.is_recorded(abuser));
    assert!(abuser_ok <= 8, "{abuser_ok}");
    // The flood only churned probation slots: nobody was left unrecorded.
    let s = l.stats();
    assert!(s.evictions > 90_000 && s.untracked == 0, "{s:?}");
    assert_eq!(
        l.check(ip("192.0.2.99"), t(start + 104_000), true),
        RateDecision::Accept
    );
    assert_eq!(
        l.check(steady, t(start + 104_000), true),
        RateDecision::Accept
    );
}

#[test]
fn flood_that_establishes_itself_cannot_evict_active_clients() {
    // The attacker paces the flood so that its spoofed sources become
    // established: batches of 256 addresses, each address sending twice,
    // 2.5 s apart; 10^5 addresses in ~1000 s. The table fills with them.
    let mut l = RateLimiter::<1024>::new(RateParams::default(), 42);
    let steady = ip("2001:db8::10");
    assert_eq!(l.check(steady, t(0), true), RateDecision::Accept);
    assert_eq!(l.check(steady, t(8_000), true), RateDecision::Accept);
    let mut now = 10_000i64;
    let mut next_poll = 16_000i64;
    let (mut polls, mut served) = (0, 0);
    let mut addr = 0u32;
    while addr < 100_000 {
        let batch: Vec<u32> = (addr..(addr + 256).min(100_000)).collect();
        addr += 256;
        for round in 0..2 {
            for (j, a) in batch.iter().enumerate() {
                let at = now + round * 2_500 + j as i64;
                l.check(flood_addr(*a), t(at), true);
                if at >= next_poll {
                    polls += 1;
                    if l.check(steady, t(at), true) == RateDecision::Accept {
                        served += 1;
                    }
                    next_poll += 8_000;
                }
            }
        }
        now += 5_000;
    }
    assert_eq!(served, polls);
    assert!(polls > 100, "{polls}");
    assert!(l.is_recorded(steady));
    let s = l.stats();
    assert!(s.untracked > 0, "{s:?}");
    // A newcomer now finds every way of its set held by an active
    // established client (or not): either way it is served.
    let newcomer = ip("192.0.2.200");
    assert_eq!(l.check(newcomer, t(now), true), RateDecision::Accept);
}

#[test]
fn stale_established_entries_are_reused() {
    let mut l = RateLimiter::<8>::new(RateParams::default(), 1);
    for i in 0..8u32 {
        let a = flood_addr(i);
        l.check(a, t(0), false);
        l.check(a, t(10_000), false);
    }
    assert_eq!(l.len(), 8);
    // Full of active established clients: a newcomer is not recorded.
    l.check(ip("192.0.2.1"), t(20_000), false);
    assert!(!l.is_recorded(ip("192.0.2.1")));
    // After stale_after (2048 s) of silence they may be replaced.
    l.check(ip("192.0.2.1"), t(10_000 + 2_048_000), false);
    assert!(l.is_recorded(ip("192.0.2.1")));
}

#[test]
fn limiter_size_for_default_capacity() {
    let size = core::mem::size_of::<RateLimiter<1024>>();
    println!("size_of::<RateLimiter<1024>>() = {size} bytes");
    assert!(size <= 1024 * 16 + 128, "{size}");
    let size = core::mem::size_of::<Access<32, 1024>>();
    println!("size_of::<Access<32, 1024>>() = {size} bytes");
}

#[test]
fn list_from_parsed_ntp_conf() {
    let text = "\
restrict default kod limited nomodify notrap nopeer noquery
restrict -6 default kod limited nomodify notrap nopeer
restrict source nomodify notrap
restrict 127.0.0.1
restrict ::1
restrict 192.168.0.0 mask 255.255.0.0 nomodify notrap
restrict 10.0.0.0/8 noserve kod
discard average 5 minimum 4
";
    let parsed = sundial::config::parse::<4, 16, 4>(text).unwrap();
    let (list, source) = RestrictList::<16>::from_config(&parsed.config.restrictions).unwrap();
    assert_eq!(source, Some(flags("nomodify notrap")));
    let rate = RateParams::from_config(&parsed.config.discard);
    assert_eq!((rate.average_log2, rate.minimum), (5, 4));
    assert_eq!(rate.burst, RateParams::DEFAULT.burst);
    assert_eq!(list.lookup(sa("127.0.0.1")), F::empty());
    assert_eq!(list.lookup(sa("::1")), F::empty());
    assert_eq!(list.lookup(sa("192.168.3.3")), flags("nomodify notrap"));
    assert_eq!(list.lookup(sa("10.3.3.3")), flags("noserve kod"));
    assert_eq!(
        list.lookup(sa("203.0.113.1")),
        flags("kod limited nomodify notrap nopeer noquery")
    );
    assert_eq!(
        list.lookup(sa("2001:db8::1")),
        flags("kod limited nomodify notrap nopeer")
    );
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn limiter_never_panics_and_stays_bounded(
            ops in prop::collection::vec((any::<u8>(), any::<i64>(), any::<bool>()), 0..300),
            avg in any::<u8>(), min in any::<u16>(), burst in any::<u8>(),
            stale in any::<u32>(), kps in any::<u16>(), ops_ps in any::<u16>(), v6p in any::<u8>(),
        ) {
            let params = RateParams {
                average_log2: avg, minimum: min, burst, stale_after: stale,
                kod_per_second: kps, overflow_per_second: ops_ps, ipv6_prefix: v6p,
            };
            let mut l = RateLimiter::<16>::new(params, 99);
            for (who, when, kod) in ops {
                let a = IpAddr::from([10, 0, 0, who]);
                let now = NtpTime::from_parts(when >> 8, (when as u32) << 24);
                let _ = l.check(a, now, kod);
                prop_assert!(l.len() <= 16);
            }
        }

        #[test]
        fn lookup_is_the_most_specific_match(
            entries in prop::collection::vec((any::<u32>(), 0u8..=32, any::<u16>()), 0..12),
            probe in any::<u32>(),
        ) {
            let mut l = RestrictList::<12>::new();
            for (a, len, f) in &entries {
                let f = F::from_bits_truncate(u32::from(*f)) - F::NTPPORT;
                l.add_prefix(IpAddr::from(a.to_be_bytes()), *len, f).unwrap();
            }
            let got = l.lookup(SocketAddr::new(IpAddr::from(probe.to_be_bytes()), 1));
            // Reference: the longest matching prefix, flags ORed over equal entries.
            let mask = |len: u8| u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
            let best = entries.iter().filter(|(a, len, _)| probe & mask(*len) == a & mask(*len))
                .map(|(_, len, _)| *len).max();
            let want = match best {
                None => F::NOMODIFY,
                Some(b) => entries.iter()
                    .filter(|(a, len, _)| *len == b && probe & mask(b) == a & mask(b))
                    .fold(F::empty(), |acc, (_, _, f)| acc | (F::from_bits_truncate(u32::from(*f)) - F::NTPPORT)),
            };
            prop_assert_eq!(got, want);
        }
    }
}

#[test]
fn system_config_applies_discard() {
    let parsed =
        sundial::config::parse::<4, 4, 4>("server 192.0.2.1\ndiscard average 4 minimum 1\n")
            .unwrap();
    let sys = sundial::system::system_config(&parsed.config, Default::default());
    assert_eq!(
        (sys.rate_limit.average_log2, sys.rate_limit.minimum),
        (4, 1)
    );
}
