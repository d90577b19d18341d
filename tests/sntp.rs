//! The one-shot SNTP query (`sundial::sntp`) against real servers' replies
//! (chrony 4.3 and ntpsec 1.2.2, from `shared/vectors`, copied here as hex),
//! against the core's own server, and on arbitrary bytes.

use core::net::SocketAddr;

use proptest::prelude::*;
use sundial::refclock::{Fudge, Refclock, RefclockId};
use sundial::select::CandidateFlags;
use sundial::sntp::{Query, SntpError};
use sundial::system::{MAX_PACKET_LEN, Ntp, SystemConfig};
use sundial::time::{NtpDuration, NtpTime, NtpTimestamp};
use sundial::wire::{KissCode, LeapIndicator, RefId};

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// 2026-11-21, near the captures.
const NEAR: NtpTime = NtpTime::from_parts(4_004_249_600, 0);

fn time(bits: u64) -> NtpTime {
    NtpTimestamp::from_bits(bits).resolve(NEAR)
}

/// The transmit field of a captured request (our cookie, as ntpdig sent it).
fn transmit(p: &[u8]) -> u64 {
    u64::from_be_bytes(p[40..48].try_into().unwrap())
}

#[test]
fn chrony_reply_to_ntpdig() {
    // a2 frames 1-2: ntpdig's request, chronyd's reply (stratum 1, refid 127.127.1.1).
    let request = hex(
        "e3000000000000000000000000000000000000000000000000000000000000000000000000000000eeac002ecdf54000",
    );
    let reply = hex(
        "240100e600000000000000007f7f0101eeac002d6be53079eeac002ecdf54000eeac002ecdf9a7f1eeac002ecdfeddde",
    );
    let cookie = transmit(&request);
    // ntpdig sent its clock reading as the cookie; t4 100 µs after the server's t3.
    let query = Query::new(time(cookie), cookie);
    let t4 = time(0xeeac002ecdfeddde) + NtpDuration::from_micros(100);
    let out = query.process(&reply, t4).unwrap();
    assert_eq!(out.stratum, 1);
    assert_eq!(out.leap, LeapIndicator::NoWarning);
    assert_eq!(out.ref_id, RefId::from_bytes([0x7f, 0x7f, 1, 1]));
    assert_eq!(out.precision, -26);
    assert_eq!(out.server_time, time(0xeeac002ecdfeddde));
    // Same host: offset and delay are what the four stamps say, to the 2^-32 s.
    let (t1, t2, t3) = (
        time(cookie),
        time(0xeeac002ecdf9a7f1),
        time(0xeeac002ecdfeddde),
    );
    assert_eq!(
        out.offset.to_bits(),
        (((t2 - t1) + (t3 - t4)).to_bits()) >> 1
    );
    assert_eq!(out.delay, (t4 - t1) - (t3 - t2));
    assert!(out.delay < NtpDuration::from_millis(1));
    // The request we would send carries the same cookie.
    let mut ours = [0u8; 48];
    query.emit(&mut ours).unwrap();
    assert_eq!(transmit(&ours), cookie);
    assert_eq!(ours[0], 0x23);

    // The next exchange's reply does not answer this query.
    let later = hex(
        "240100e600000000000000007f7f0101eeac002d6be53079eeac002edd748000eeac002edd872961eeac002edd8b144a",
    );
    assert_eq!(query.process(&later, t4), Err(SntpError::OriginMismatch));
}

#[test]
fn ntpsec_unsynchronized_and_rate_kiss() {
    // b0: ntpsec before it synchronised (LI 3, stratum 11).
    let cookie = 0xeeac011511427800;
    let reply = hex(
        "e40b00e800000000000002977f7f0100eeac01131f282ac3eeac011511427800eeac01151147ed4eeeac01151150611e",
    );
    let q = Query::new(time(cookie), cookie);
    assert_eq!(
        q.process(&reply, time(0xeeac01151150611e)),
        Err(SntpError::Unsynchronized)
    );
    // f3 frame 4: ntpsec's RATE kiss-o'-death.
    let cookie = 0xeeac02814eebc000;
    let kiss = hex(
        "e40000000000000000000000524154450000000000000000eeac02814eebc000eeac02814eebc000eeac02814eebc000",
    );
    let q = Query::new(time(cookie), cookie);
    let err = q.process(&kiss, time(cookie)).unwrap_err();
    assert_eq!(err, SntpError::KissOfDeath(*b"RATE"));
    assert_eq!(err.kiss_code(), Some(KissCode::Rate));
}

#[test]
fn against_the_core_server() {
    // A stratum-1 core (local clock driver as its reference) answers a query.
    let t0 = NEAR;
    let mut server: Ntp<1, 1> = Ntp::new(SystemConfig::default(), t0, [3; 16]);
    let local = Refclock::new(RefclockId::new(1, 0), 0, Fudge::NONE).unwrap();
    server
        .add_refclock(local, None, CandidateFlags::PREFER, t0)
        .unwrap();
    let mut now = t0;
    for _ in 0..120 {
        now += NtpDuration::from_seconds(1);
        server.handle_timeout(now);
        let mut out = [0u8; MAX_PACKET_LEN];
        while server.poll_transmit(now, &mut out).is_some() {}
        while let Some(adj) = server.poll_adjustment() {
            server.adjustment_applied(adj, now);
        }
    }
    assert!(server.system_variables().stratum < 16);
    let client: SocketAddr = "192.0.2.7:40000".parse().unwrap();
    // The client's clock is 2.5 s behind; 3 ms each way.
    let behind = NtpDuration::from_millis(2500);
    let q = Query::new(now - behind, 0xfeed_beef);
    let mut req = [0u8; 48];
    q.emit(&mut req).unwrap();
    let arrive = now + NtpDuration::from_millis(3);
    let mut buf = [0u8; MAX_PACKET_LEN];
    let tx = server
        .handle_packet(arrive, client, &req, arrive, &mut buf)
        .expect("a reply");
    let t4 = arrive + NtpDuration::from_millis(3) - behind;
    let out = q.process(&buf[..tx.len], t4).unwrap();
    assert_eq!(out.stratum, server.system_variables().stratum);
    let err = (out.offset - behind).abs();
    assert!(err < NtpDuration::from_micros(1), "offset {}", out.offset);
    assert!((out.delay - NtpDuration::from_millis(6)).abs() < NtpDuration::from_micros(1));
}

proptest! {
    /// Any bytes: no panic, and an accepted reply satisfies every check.
    #[test]
    fn arbitrary_replies(
        bytes in proptest::collection::vec(any::<u8>(), 0..80),
        cookie in any::<u64>(),
        t1 in any::<u32>(),
        rtt in 0u32..1_000_000,
    ) {
        let q = Query::new(NtpTime::from_parts(i64::from(t1) + (1 << 32), 0), cookie);
        let t4 = q.sent_at() + NtpDuration::from_micros(i64::from(rtt));
        if let Ok(r) = q.process(&bytes, t4) {
            prop_assert!(bytes.len() >= 48);
            prop_assert_eq!(bytes[0] & 7, 4);
            prop_assert_eq!(transmit_at(&bytes, 24), cookie.max(1));
            prop_assert!((1..=15).contains(&r.stratum));
            prop_assert!(r.leap != LeapIndicator::Unsynchronized);
            prop_assert!(r.delay >= NtpDuration::ZERO);
        }
    }

    /// A well-formed reply echoing the cookie is accepted, and θ and δ are
    /// the four-timestamp formulas.
    #[test]
    fn echoed_replies(cookie in any::<u64>(), off_ms in -100_000i64..100_000, d1 in 0i64..5000, d2 in 0i64..5000, hold in 0i64..1000) {
        let t1 = NEAR;
        let q = Query::new(t1, cookie);
        let mut req = [0u8; 48];
        q.emit(&mut req).unwrap();
        let t2 = t1 + NtpDuration::from_millis(off_ms + d1);
        let t3 = t2 + NtpDuration::from_micros(hold);
        let t4 = t1 + NtpDuration::from_millis(d1 + d2) + NtpDuration::from_micros(hold);
        let mut reply = [0u8; 48];
        reply[0] = 0x24;
        reply[1] = 2;
        reply[24..32].copy_from_slice(&req[40..48]);
        reply[32..40].copy_from_slice(&t2.to_timestamp().to_bits().to_be_bytes());
        reply[40..48].copy_from_slice(&t3.to_timestamp().to_bits().to_be_bytes());
        let r = q.process(&reply, t4).unwrap();
        prop_assert_eq!(r.delay, ((t4 - t1) - (t3 - t2)).max(NtpDuration::ZERO));
        prop_assert_eq!(r.offset.to_bits(), ((t2 - t1) + (t3 - t4)).to_bits() >> 1);
    }
}

fn transmit_at(p: &[u8], at: usize) -> u64 {
    u64::from_be_bytes(p[at..at + 8].try_into().unwrap())
}
