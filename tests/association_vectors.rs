//! Real packets from chrony 4.3 and ntpsec 1.2.2 (`shared/vectors`, copied here
//! as hex) fed to sundial associations whose cookies / transmit times are set
//! to what the captured peer sent: replies are accepted (with MACs for keys
//! 1–3), ntpsec's RATE kiss backs off, an unsynchronised ntpsec is refused,
//! and in symmetric mode our packet is byte-identical to chrony's.

mod association_common;

use association_common::*;
use sundial::association::{Association, AssociationConfig, PollConfig, Rejection, SystemSnapshot};
use sundial::auth::KeyId;
use sundial::time::{NtpDuration, NtpShort, NtpTime, NtpTimestamp, PollInterval};
use sundial::wire::{KissCode, LeapIndicator, NtpPacket, RefId};

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn time(bits: u64) -> NtpTime {
    NtpTimestamp::from_bits(bits).resolve(T0)
}

fn field(p: &[u8], at: usize) -> u64 {
    u64::from_be_bytes(p[at..at + 8].try_into().unwrap())
}

/// Sends one request at local time `sent` whose cookie is `cookie` (given as
/// the entropy), then feeds `reply` received at `rx`.
fn query(
    a: &mut Association,
    cookie: u64,
    sent: NtpTime,
    reply: &[u8],
    rx: NtpTime,
) -> Result<Option<sundial::association::PeerUpdate>, Rejection> {
    let sys = SystemSnapshot::unsynchronized(-24);
    let keys = test_keys();
    let mut buf = [0u8; 128];
    let n = a
        .poll_transmit(sent, cookie, &sys, &keys, &mut buf)
        .expect("poll due");
    assert_eq!(field(&buf[..n], 40), cookie);
    let pkt = NtpPacket::parse(reply).unwrap();
    a.handle_packet(rx, &pkt, reply, &sys, &keys)
}

#[test]
fn chrony_server_reply_to_a_random_cookie() {
    // a1 frames 1/2: chrony's client cookie f6de…, far from the real time.
    let reply = hex(
        "240106e600000000000000007f7f0101eeabfff019ab72a8f6dea5fa99b8e1b1eeac001cad9cf405eeac001cada18216",
    );
    let t2 = time(0xeeac001cad9cf405);
    let sent = t2 - us(40);
    let rx = time(0xeeac001cada18216) + us(40);
    let mut a = Association::new(AssociationConfig::client(addr(1)), sent, 0);
    let u = query(&mut a, 0xf6dea5fa99b8e1b1, sent, &reply, rx)
        .unwrap()
        .expect("accepted");
    assert!(u.filter.offset.abs() < us(5), "{}", u.filter.offset);
    assert_eq!(u.remote.stratum, 1);
    assert_eq!(u.remote.reference_id, RefId::from_u32(0x7f7f_0101));
}

#[test]
fn chrony_authenticated_replies_with_each_key() {
    // d1 frames 2, 4, 6: replies with MD5, SHA1, AES-128-CMAC.
    let replies = [
        (
            1,
            0xeeac0035da7fb000u64,
            "240100e600000000000000007f7f0101eeac002d6be53079eeac0035da7fb000eeac0035da8c5e99eeac0035db7b132600000001ac4010d9331b563e4a1f08008f938c64",
        ),
        (
            2,
            0xeeac0035ed213000,
            "240100e600000000000000007f7f0101eeac002d6be53079eeac0035ed213000eeac0035ed351f3beeac0035ed3ca2c80000000273eebc1d955a0cc1306855a90b5234f58c42fb88",
        ),
        (
            3,
            0xeeac0035f8eb6800,
            "240100e600000000000000007f7f0101eeac002d6be53079eeac0035f8eb6800eeac0035f9199231eeac0035f91d90ea00000003ba7d42dd7790d40c38c65545dbfd3e95",
        ),
    ];
    for (id, cookie, reply) in replies {
        let reply = hex(reply);
        let sent = time(cookie);
        let rx = time(field(&reply, 40)) + us(30);
        let cfg = AssociationConfig::client(addr(1)).with_key(KeyId(id));
        let mut a = Association::new(cfg, sent, 0);
        let r = query(&mut a, cookie, sent, &reply, rx);
        assert!(matches!(r, Ok(Some(_))), "key {id}: {r:?}");
        assert!(a.peer_variables(rx).authenticated);
        // The same reply to an association with another key is refused.
        let other = if id == 1 { 2 } else { 1 };
        let cfg = AssociationConfig::client(addr(1)).with_key(KeyId(other));
        let mut b = Association::new(cfg, sent, 0);
        assert!(matches!(
            query(&mut b, cookie, sent, &reply, rx),
            Err(Rejection::Auth(_))
        ));
    }
}

#[test]
fn ntpsec_rate_kiss_backs_off_and_normal_reply_is_used() {
    // f3 frames 1/2: a normal reply from ntpsec (stratum 11).
    let reply = hex(
        "240b00e8000000000000f2987f7f0100eeac027c944ac0f5eeac028131247000eeac0281312965d1eeac0281312fa5d9",
    );
    let sent = time(0xeeac028131247000);
    let rx = time(0xeeac0281312fa5d9) + us(30);
    let cfg = AssociationConfig::client(addr(1));
    let mut a = Association::new(cfg, sent, 0);
    assert!(matches!(
        query(&mut a, 0xeeac028131247000, sent, &reply, rx),
        Ok(Some(_))
    ));
    let hpoll = a.peer_variables(rx).hpoll;

    // Frames 3/4: the next request gets RATE.
    let kod = hex(
        "e40000000000000000000000524154450000000000000000eeac02814eebc000eeac02814eebc000eeac02814eebc000",
    );
    let sent = a.next_timeout();
    let r = query(&mut a, 0xeeac02814eebc000, sent, &kod, sent + us(100));
    assert_eq!(r, Err(Rejection::Kiss(KissCode::Rate.to_ref_id())));
    let v = a.peer_variables(sent);
    assert!(v.hpoll > hpoll);
    assert_eq!(v.counters.kiss_rate, 1);

    // Replayed against the next request: a duplicate, no action.
    let sent = a.next_timeout();
    let r = query(&mut a, 0x0123_4567_89ab_cdef, sent, &kod, sent + us(100));
    assert_eq!(r, Err(Rejection::Duplicate));
    // Forged with other timestamps (the attacker cannot know the cookie): bogus.
    let mut forged = kod.clone();
    for at in [24, 32, 40] {
        forged[at..at + 8].copy_from_slice(&0x1111_2222_3333_4444u64.to_be_bytes());
    }
    let p = NtpPacket::parse(&forged).unwrap();
    let r = a.handle_packet(
        sent + us(200),
        &p,
        &forged,
        &SystemSnapshot::default(),
        &test_keys(),
    );
    assert_eq!(r, Err(Rejection::Bogus));
    assert_eq!(a.peer_variables(sent).hpoll, v.hpoll);
    assert_eq!(a.counters().kiss_rate, 1);
}

#[test]
fn ntpsec_unsynchronized_reply_is_refused() {
    // b0: LI = 3, stratum 11.
    let reply = hex(
        "e40b00e800000000000002977f7f0100eeac01131f282ac3eeac011511427800eeac01151147ed4eeeac01151150611e",
    );
    let sent = time(0xeeac011511427800);
    let rx = time(0xeeac01151150611e) + us(30);
    let mut a = Association::new(AssociationConfig::client(addr(1)), sent, 0);
    let r = query(&mut a, 0xeeac011511427800, sent, &reply, rx);
    assert_eq!(r, Err(Rejection::Unsynchronized));
    assert_eq!(a.counters().unsynchronized, 1);
    assert_eq!(a.remote_header().leap, LeapIndicator::Unsynchronized);
}

#[test]
fn symmetric_exchange_with_chrony_is_byte_identical() {
    // e1: we play chronyd C (stratum 2, refid 127.127.1.1, precision -26,
    // poll 0) against chronyd D.
    let f7 = hex(
        "e10000e60001000000010000000000000000000000000000eeac021e0e0dc4b1eeac021e0e1004c4eeac021f005b0a15",
    );
    let f8 = hex(
        "210200e600000000000000007f7f0101eeac021a4f3abd5eeeac021f005b0a15eeac021f005d19bceeac021f0e57b845",
    );
    let f9 = hex(
        "210300e600000003000000227f000001eeac021e1b096b0deeac021f0e57b845eeac021f0e58e0a6eeac022000de527c",
    );
    let f10_receive = time(0xeeac022000e215c1);

    let sys = SystemSnapshot {
        leap: LeapIndicator::NoWarning,
        stratum: 2,
        precision: -26,
        root_delay: NtpShort::ZERO.to_duration(),
        root_dispersion: NtpDuration::ZERO,
        reference_id: RefId::from_u32(0x7f7f_0101),
        reference_time: NtpTimestamp::from_bits(0xeeac021a4f3abd5e),
        poll: PollInterval::from_log2(0),
        ..SystemSnapshot::unsynchronized(-26)
    };
    let keys = test_keys();
    let poll = PollConfig {
        minpoll: PollInterval::from_log2(0),
        maxpoll: PollInterval::from_log2(0),
        burst: false,
        iburst: false,
    };
    let rx7 = time(field(&f8, 32)); // C's receive time of frame 7, as frame 8 reports it
    let cfg = AssociationConfig::symmetric_active(addr(2)).with_poll(poll);
    let mut a = Association::new(cfg, rx7 - NtpDuration::from_seconds(2), 0);

    // Frame 7 answers a packet we never sent: bogus, but its transmit time
    // and our receive time are kept for our reply (RFC 5905 org/rec).
    let p7 = NtpPacket::parse(&f7).unwrap();
    assert_eq!(
        a.handle_packet(rx7, &p7, &f7, &sys, &keys),
        Err(Rejection::Bogus)
    );

    // Frame 8: our packet, sent at chrony's transmit time, is chrony's packet.
    // The bits below the precision (2^-26 s: the low 6 bits) are random in
    // both implementations (CVE-2020-13817): give ours chrony's (0x05).
    let t8 = time(field(&f8, 40));
    let mut buf = [0u8; 128];
    let n = a
        .poll_transmit(t8, 0x05, &sys, &keys, &mut buf)
        .expect("due");
    assert_eq!(&buf[..n], &f8[..]);

    // Frame 9 answers it: a sample (both chronyds ran on one host: θ ≈ 0).
    let p9 = NtpPacket::parse(&f9).unwrap();
    let u = a
        .handle_packet(f10_receive, &p9, &f9, &sys, &keys)
        .unwrap()
        .expect("sample");
    assert!(
        u.filter.offset.abs() < NtpDuration::from_millis(1),
        "{}",
        u.filter.offset
    );
    assert!(
        u.filter.delay < NtpDuration::from_millis(1),
        "{}",
        u.filter.delay
    );
    assert_eq!(u.remote.stratum, 3);
}
