//! Authentication: missing and short MACs, crypto-NAKs, demobilisation by
//! bad packets, the constant-time compare, ephemeral (passive) peers, and
//! interleaved-mode resets by unauthenticated packets.

use std::net::SocketAddr;

use proptest::prelude::*;
use sundial::access::RestrictFlags;
use sundial::association::{
    Association, AssociationConfig, AssociationState, PollConfig, Rejection,
};
use sundial::auth::{Algorithm, AuthError, Key, KeyId, MAX_DIGEST_LEN, ct_eq};
use sundial::config::Fudge;
use sundial::refclock::{Refclock, RefclockId};
use sundial::select::CandidateFlags;
use sundial::system::{MAX_PACKET_LEN, Source, SystemConfig, TransmitKind};
use sundial::time::{NtpTime, NtpTimestamp, PollInterval};
use sundial::wire::{HEADER_LEN, Mode};

use super::harness::*;

fn keyed(id: u32) -> Bench {
    Bench::client(AssociationConfig::client(SERVER).with_key(KeyId(id)))
}

/// The network association with remote `remote`, if any.
fn find(ntp: &Core, remote: SocketAddr) -> Option<Association> {
    ntp.associations().find_map(|v| match v.source() {
        Source::Network(a) if a.config().remote == remote => Some(a.clone()),
        _ => None,
    })
}

/// A mode 1 packet as a peer starts a conversation with.
fn peer_hello(at: NtpTime) -> Vec<u8> {
    emit(&header(
        Mode::SymmetricActive,
        NtpTimestamp::ZERO,
        at.to_timestamp(),
    ))
}

#[test]
fn cve_2015_1798_missing_or_short_mac_is_never_accepted() {
    for id in 1..=3u32 {
        let mut b = keyed(id);
        let (req, reply, at) = b.exchange();
        assert!(req.len() > HEADER_LEN && reply.len() > HEADER_LEN);
        // No MAC; key id and a digest cut short (every length); key id only.
        b.deliver(SERVER, &reply[..HEADER_LEN], at);
        assert_eq!(
            b.assoc().peer_variables(at).last_rejection,
            Some(Rejection::Auth(AuthError::Missing))
        );
        for len in HEADER_LEN + 4..reply.len() {
            b.deliver(SERVER, &reply[..len], at);
        }
        // A digest of another algorithm's length under our key id.
        let mut long = reply.clone();
        long.extend_from_slice(&[0u8; 4]);
        b.deliver(SERVER, &long, at);
        let c = b.assoc().counters();
        assert_eq!(c.samples, 0, "key {id}");
        assert!(c.auth_failed >= 2, "key {id}: {c:?}");
        b.deliver(SERVER, &reply, at);
        assert_eq!(b.assoc().counters().samples, 1, "key {id}");
        assert!(b.assoc().peer_variables(at).authenticated);
    }
    // The server side: a request with a short MAC gets no reply at all, so
    // nothing unauthenticated goes out as if it were authenticated.
    let mut ntp = core(5);
    let req = sign(
        &emit(&header(
            Mode::Client,
            NtpTimestamp::ZERO,
            (T0 + secs(1)).to_timestamp(),
        )),
        2,
    );
    for len in HEADER_LEN + 5..req.len() {
        assert!(exchange_all(&mut ntp, VICTIM, &req[..len], T0 + secs(1)).is_empty());
    }
    let signed = exchange_all(&mut ntp, VICTIM, &req, T0 + secs(1));
    assert_eq!(signed.len(), 1);
    assert_eq!(
        signed[0].len(),
        req.len(),
        "signed reply to a signed request"
    );
}

#[test]
fn cve_2015_7871_crypto_nak_is_never_accepted() {
    // A keyed and an unkeyed client association: a crypto-NAK with the right
    // cookie is still refused.
    for config in [
        AssociationConfig::client(SERVER).with_key(KeyId(1)),
        AssociationConfig::client(SERVER),
    ] {
        let mut b = Bench::client(config);
        let (_, reply, at) = b.exchange();
        let mut nak = reply[..HEADER_LEN].to_vec();
        nak.extend_from_slice(&[0, 0, 0, 0]);
        assert_eq!(b.deliver(SERVER, &nak, at), None);
        assert_eq!(
            b.assoc().peer_variables(at).last_rejection,
            Some(Rejection::Auth(AuthError::CryptoNak))
        );
        assert_eq!(b.assoc().state(), AssociationState::Active);
        b.deliver(SERVER, &reply, at);
        assert_eq!(b.assoc().counters().samples, 1);
    }
    // A crypto-NAK from an unknown peer mobilises nothing and is not answered,
    // even where unauthenticated peering is allowed.
    for allow in [false, true] {
        let mut ntp = core_with(
            SystemConfig {
                allow_unauthenticated_peers: allow,
                ..SystemConfig::default()
            },
            6,
        );
        let mut nak = peer_hello(T0 + secs(1));
        nak.extend_from_slice(&1u32.to_be_bytes());
        assert!(exchange_all(&mut ntp, PEER, &nak, T0 + secs(1)).is_empty());
        assert!(find(&ntp, PEER).is_none());
    }
}

/// A core that mobilised an ephemeral (symmetric passive) association for
/// PEER from an authenticated mode 1 packet.
fn with_passive_peer() -> Core {
    let mut ntp = core(7);
    let hello = sign(&peer_hello(T0 + secs(1)), 1);
    exchange_all(&mut ntp, PEER, &hello, T0 + secs(1));
    let a = find(&ntp, PEER).expect("mobilised by an authenticated packet");
    assert!(a.config().ephemeral);
    assert_eq!(a.config().key, Some(KeyId(1)));
    ntp
}

#[test]
fn cve_2016_1547_4953_bad_packets_do_not_demobilize_ephemeral_associations() {
    let mut ntp = with_passive_peer();
    let at = T0 + secs(2);
    let good = sign(&peer_hello(at), 1);
    let mut bad_mac = good.clone();
    *bad_mac.last_mut().unwrap() ^= 1;
    let mut nak = peer_hello(at);
    nak.extend_from_slice(&1u32.to_be_bytes());
    let other_key = sign(&peer_hello(at), 2);
    let untrusted = sign(&peer_hello(at), 4);
    let unsigned = peer_hello(at);
    for _ in 0..50 {
        for pkt in [&bad_mac, &nak, &other_key, &untrusted, &unsigned] {
            for sent in exchange_all(&mut ntp, PEER, pkt, at) {
                // Never a crypto-NAK back.
                assert_ne!(sent.len(), HEADER_LEN + 4);
            }
        }
        ntp.handle_timeout(at);
    }
    let a = find(&ntp, PEER).expect("still mobilised");
    assert_eq!(a.state(), AssociationState::Active);
    assert!(!a.should_demobilize());
    assert_eq!(a.counters().auth_failed, 250);
}

#[test]
fn cve_2016_1550_mac_compare_is_constant_time() {
    // The digest check of every verifier is `Key::verify`, and that is the
    // branch-free compare of src/auth/ct.rs.
    let key_rs = include_str!("../../src/auth/key.rs");
    let verify = key_rs
        .split("pub fn verify(")
        .nth(1)
        .and_then(|s| s.split("\n    }\n").next())
        .expect("Key::verify exists");
    assert!(verify.contains("ct_eq("), "{verify}");
    assert!(!verify.contains("=="), "{verify}");
    let table_rs = include_str!("../../src/auth/table.rs");
    assert!(table_rs.contains("entry.key.verify(data, digest)"));
    let ct_rs = include_str!("../../src/auth/ct.rs");
    assert!(ct_rs.contains("fold(0u8, |acc, (x, y)| acc | (x ^ y))"));
    assert!(ct_rs.contains("black_box"));
    // No digest is compared any other way anywhere in the core.
    for (name, text) in [
        (
            "association/receive.rs",
            include_str!("../../src/association/receive.rs"),
        ),
        (
            "association/mobilize.rs",
            include_str!("../../src/association/mobilize.rs"),
        ),
        (
            "server/request.rs",
            include_str!("../../src/server/request.rs"),
        ),
        (
            "control/request.rs",
            include_str!("../../src/control/request.rs"),
        ),
        ("auth/table.rs", table_rs),
    ] {
        for line in text.lines() {
            // The operands right next to every `==` / `!=`.
            for op in ["==", "!="] {
                let parts: Vec<&str> = line.split(op).collect();
                for pair in parts.windows(2) {
                    let left = pair[0].split_whitespace().last().unwrap_or("");
                    let right = pair[1].split_whitespace().next().unwrap_or("");
                    let digest = |s: &str| s.contains("digest") && !s.contains("len");
                    assert!(!digest(left) && !digest(right), "{name}: {line}");
                }
            }
        }
        assert!(text.contains("verify("), "{name} verifies through the key");
    }
}

proptest! {
    /// The constant-time routines give the right answers.
    #[test]
    fn constant_time_compare_is_correct(
        a in proptest::collection::vec(any::<u8>(), 0..24),
        b in proptest::collection::vec(any::<u8>(), 0..24),
        data in proptest::collection::vec(any::<u8>(), 0..100),
        flip in 0usize..20,
        bit in 0u8..8,
        alg in 0u8..3,
    ) {
        prop_assert_eq!(ct_eq(&a, &b), a == b);
        prop_assert!(ct_eq(&a, &a.clone()));
        let (algorithm, secret): (Algorithm, &[u8]) = match alg {
            0 => (Algorithm::Md5, b"secret"),
            1 => (Algorithm::Sha1, b"another secret"),
            _ => (Algorithm::Aes128Cmac, b"0123456789abcdef"),
        };
        let key = Key::new(KeyId(9), algorithm, secret).unwrap();
        let mut digest = [0u8; MAX_DIGEST_LEN];
        let n = key.digest(&data, &mut digest);
        prop_assert!(key.verify(&data, &digest[..n]));
        let mut wrong = digest;
        wrong[flip % n] ^= 1 << bit;
        prop_assert!(!key.verify(&data, &wrong[..n]));
        prop_assert!(!key.verify(&data, &digest[..n - 1]));
    }
}

#[test]
fn cve_2015_1799_2018_7170_ephemeral_peers_need_authentication() {
    let at = T0 + secs(1);
    // Unauthenticated, or signed with an untrusted or unknown key: no association.
    let mut ntp = core(8);
    let unknown = {
        let mut p = peer_hello(at);
        p.extend_from_slice(&77u32.to_be_bytes());
        p.extend_from_slice(&[0u8; 16]);
        p
    };
    for pkt in [peer_hello(at), sign(&peer_hello(at), 4), unknown] {
        for reply in exchange_all(&mut ntp, PEER, &pkt, at) {
            // At most a stateless mode 2 answer of the request's size.
            assert!(reply.len() <= pkt.len());
            assert_eq!(reply[0] & 7, 2);
        }
        assert!(find(&ntp, PEER).is_none());
    }
    // `restrict … noepeer`: not even an authenticated one.
    let mut ntp = core(8);
    ntp.access_mut()
        .restrict
        .set_default(None, RestrictFlags::NOEPEER);
    exchange_all(&mut ntp, PEER, &sign(&peer_hello(at), 1), at);
    assert!(find(&ntp, PEER).is_none());
    // Sybil: many key holders fill at most the free slots; the configured
    // association keeps working.
    let mut b = Bench::client(AssociationConfig::client(SERVER));
    assert!(b.round());
    for i in 0..40u8 {
        let from: SocketAddr = SocketAddr::from(([203, 0, 113, i], 123));
        exchange_all(&mut b.ntp, from, &sign(&peer_hello(b.now), 1), b.now);
    }
    assert_eq!(b.ntp.associations().count(), 8);
    assert!(b.round());
    // A configured keyed peer ignores unauthenticated packets from its address.
    let mut b = Bench::client(AssociationConfig::symmetric_active(PEER).with_key(KeyId(2)));
    let sent = b.request();
    let before = b.assoc().peer_variables(b.now);
    let mut forged = peer_hello(b.now);
    set_ts(&mut forged, ORIGIN, ts(&sent, TRANSMIT));
    b.deliver(PEER, &forged, b.now);
    let after = b.assoc().peer_variables(b.now);
    assert_eq!(
        (after.org, after.rec, after.reach),
        (before.org, before.rec, before.reach)
    );
    assert_eq!(
        after.last_rejection,
        Some(Rejection::Auth(AuthError::Missing))
    );
}

#[test]
fn cve_2018_7185_2016_1548_unauthenticated_packets_cannot_reset_or_switch_interleave() {
    // Keyed interleaved client: an unauthenticated "reset" (zero origin) or
    // a packet with an interleaved-looking origin changes nothing.
    let mut b = Bench::client(
        AssociationConfig::client(SERVER)
            .with_key(KeyId(1))
            .with_interleaved(true),
    );
    for _ in 0..4 {
        assert!(b.round());
    }
    let (req, reply, at) = b.exchange();
    let before = b.assoc().peer_variables(at);
    for origin in [NtpTimestamp::ZERO, ts(&req, ORIGIN), ts(&req, RECEIVE)] {
        let mut f = reply[..HEADER_LEN].to_vec();
        set_ts(&mut f, ORIGIN, origin);
        b.deliver(SERVER, &f, at);
        assert_eq!(
            b.assoc().peer_variables(at).last_rejection,
            Some(Rejection::Auth(AuthError::Missing))
        );
    }
    let after = b.assoc().peer_variables(at);
    assert_eq!(
        (after.org, after.rec, after.filter),
        (before.org, before.rec, before.filter)
    );
    b.deliver(SERVER, &reply, at);
    assert_eq!(b.assoc().counters().samples, 5);

    // Basic client: a reply in interleaved form (origin = the previous
    // reply's receive timestamp, which an on-path attacker saw) is bogus: an
    // attacker cannot switch the association into interleaved mode.
    let mut b = Bench::client(AssociationConfig::client(SERVER));
    let (_, first, at) = b.exchange();
    b.deliver(SERVER, &first, at);
    let (_, reply, at) = b.exchange();
    let mut f = reply.clone();
    set_ts(&mut f, ORIGIN, ts(&first, RECEIVE));
    b.deliver(SERVER, &f, at);
    assert_eq!(
        b.assoc().peer_variables(at).last_rejection,
        Some(Rejection::Bogus)
    );
    b.deliver(SERVER, &reply, at);
    assert_eq!(b.assoc().counters().samples, 2);

    // Server side: requests spoofed with an interleaved client's address
    // only push it back to basic replies for an exchange, never to a wrong
    // timestamp, and it keeps taking samples.
    let mut b = Bench::client(AssociationConfig::client(SERVER).with_interleaved(true));
    let mut interleaved = 0;
    for round in 0..12 {
        if round % 3 == 2 {
            for i in 0..5u64 {
                let mut forged = emit(&header(
                    Mode::Client,
                    NtpTimestamp::from_bits(0x1111 * (i + 1)),
                    (b.now + secs(1)).to_timestamp(),
                ));
                forged[1] = 0;
                b.up.answer(&forged, HOST, b.now + secs(1));
            }
        }
        let (req, reply, at) = b.exchange();
        let answer = ts(&req, RECEIVE);
        interleaved += usize::from(!answer.is_zero() && ts(&reply, ORIGIN) == answer);
        b.deliver(SERVER, &reply, at);
        assert_eq!(b.assoc().counters().samples, round + 1);
        let offset = b.assoc().filter().stages()[0].offset;
        assert!(
            (offset - b.up.offset).abs() < us(5),
            "round {round}: {offset}"
        );
    }
    // Interleaved replies except right after each spoof (and the first).
    assert!(interleaved >= 6, "{interleaved}");
}

/// Two cores as symmetric peers (keyed with `key`, if any): A at HOST, a
/// stratum 10 server on its local clock, and B at PEER, which learns time
/// from it. From `attack_at` seconds on, `attack` runs every step with B and
/// the first packet A ever sent B. Returns the sample counts of (A, B) when
/// the attack starts and at the end, and their bogus counts at the end.
fn symmetric_pair(
    seconds: i64,
    attack_at: i64,
    key: Option<u32>,
    mut attack: impl FnMut(&mut Bench, &mut Bench, NtpTime, &[u8]),
) -> [(u32, u32); 3] {
    let mut host = core(11);
    let id = RefclockId::new(1, 0);
    let mut fudge = Fudge::new(id);
    fudge.stratum = Some(10);
    host.add_refclock(
        Refclock::new(id, 0, (&fudge).into()).unwrap(),
        None,
        CandidateFlags::empty(),
        T0,
    )
    .unwrap();
    // Polls pinned to 64 s, so the counts below do not depend on how the
    // discipline adapts the poll interval.
    let poll = PollConfig {
        minpoll: PollInterval::from_log2(6),
        maxpoll: PollInterval::from_log2(6),
        burst: false,
        iburst: false,
    };
    let config = |remote| {
        let c = AssociationConfig::symmetric_active(remote).with_poll(poll);
        key.map_or(c, |k| c.with_key(KeyId(k)))
    };
    let mut a = Bench::new(host, config(PEER));
    let mut b = Bench::new(core(12), config(HOST));
    let mut in_flight: Vec<(NtpTime, bool, Vec<u8>)> = Vec::new();
    let mut recorded: Option<Vec<u8>> = None;
    let mut now = T0;
    let end = T0 + secs(seconds);
    let mut at_attack = None;
    let mut buf = [0u8; MAX_PACKET_LEN];
    while now < end {
        if now >= T0 + secs(attack_at) {
            at_attack.get_or_insert((a.assoc().counters().samples, b.assoc().counters().samples));
            attack(&mut a, &mut b, now, recorded.as_deref().unwrap_or(&[]));
        }
        for (side, node) in [(true, &mut a), (false, &mut b)] {
            node.ntp.handle_timeout(now);
            while let Some(tx) = node.ntp.poll_transmit(now, &mut buf) {
                if matches!(tx.kind, TransmitKind::Poll(_) | TransmitKind::Reply) {
                    let bytes = buf[..tx.len].to_vec();
                    if side && recorded.is_none() {
                        recorded = Some(bytes.clone());
                    }
                    in_flight.push((now + us(50), !side, bytes));
                }
            }
        }
        let (due, later): (Vec<_>, Vec<_>) = in_flight.into_iter().partition(|p| p.0 <= now);
        in_flight = later;
        for (_, to_a, bytes) in due {
            let (node, from) = if to_a { (&mut a, PEER) } else { (&mut b, HOST) };
            if let Some(reply) = node.deliver(from, &bytes, now) {
                in_flight.push((now + us(50), !to_a, reply));
            }
        }
        let next = [a.ntp.poll_timeout(), b.ntp.poll_timeout()]
            .into_iter()
            .chain(in_flight.iter().map(|p| p.0))
            .min()
            .unwrap();
        now = next.max(now + us(1)).min(now + secs(1));
    }
    [
        at_attack.unwrap_or_default(),
        (a.assoc().counters().samples, b.assoc().counters().samples),
        (a.assoc().counters().bogus, b.assoc().counters().bogus),
    ]
}

#[test]
fn cve_2018_7184_symmetric_association_recovers_from_a_bad_packet() {
    let mut done = false;
    let spoof = |a: &mut Bench, _: &mut Bench, now: NtpTime, _: &[u8]| {
        if std::mem::replace(&mut done, true) {
            return;
        }
        let origins = [
            NtpTimestamp::ZERO,
            NtpTimestamp::from_bits(0x5555_0000_1234_5678),
        ];
        for (i, origin) in origins.into_iter().enumerate() {
            let mut p = peer_hello(now);
            set_ts(&mut p, ORIGIN, origin);
            set_ts(
                &mut p,
                TRANSMIT,
                (now + secs(100 + i as i64)).to_timestamp(),
            );
            exchange_all(&mut a.ntp, PEER, &p, now);
        }
    };
    let [(a0, b0), (a1, b1), (bogus_a, _)] = symmetric_pair(2400, 1200, None, spoof);
    assert!(b0 >= 3, "the pair works before the spoof: {a0} {b0}");
    assert!(bogus_a >= 1, "the spoof reached A");
    assert!(b1 >= b0 + 4, "B recovered: {b0} → {b1}");
    assert!(a1 >= a0 + 4, "A recovered: {a0} → {a1}");
}

#[test]
fn cve_2015_1799_replayed_authentic_packets_cannot_starve_a_keyed_peer() {
    // An attacker who once saw A's first signed packet replays it to B every
    // second. Without replay protection B's origin field always names that
    // old packet, so A rejects everything B sends and never takes a sample.
    let replay = |_: &mut Bench, b: &mut Bench, now: NtpTime, old: &[u8]| {
        assert!(old.len() > HEADER_LEN, "a signed packet");
        b.deliver(HOST, old, now);
    };
    let [(a0, b0), (a1, b1), _] = symmetric_pair(2400, 1200, Some(1), replay);
    assert!(a0 >= 3 && b0 >= 3, "the keyed pair works: {a0} {b0}");
    assert!(a1 >= a0 + 8, "A keeps taking samples: {a0} → {a1}");
    assert!(b1 >= b0 + 8, "B keeps taking samples: {b0} → {b1}");
}

#[test]
fn replay_window_reopens_for_a_peer_that_stepped_back() {
    let mut b = Bench::client(AssociationConfig::symmetric_active(PEER).with_key(KeyId(1)));
    let sent = b.request();
    let signed = |origin: NtpTimestamp, xmt: NtpTime| {
        sign(
            &emit(&header(Mode::SymmetricActive, origin, xmt.to_timestamp())),
            1,
        )
    };
    let x = b.now + us(300);
    b.deliver(PEER, &signed(ts(&sent, TRANSMIT), x), b.now + us(100));
    assert!(b.assoc().reach().is_reachable());
    assert_eq!(b.assoc().counters().samples, 1);
    // The peer steps back 100 s: refused as a replay while reachable…
    let back = signed(NtpTimestamp::ZERO, x - secs(100));
    b.deliver(PEER, &back, b.now + us(200));
    assert_eq!(
        b.assoc().peer_variables(b.now).last_rejection,
        Some(Rejection::Duplicate)
    );
    // …and heard again once the reach register has emptied.
    while b.assoc().reach().is_reachable() {
        b.request();
    }
    let later = signed(NtpTimestamp::ZERO, x - secs(90));
    b.deliver(PEER, &later, b.now);
    let v = b.assoc().peer_variables(b.now);
    assert_ne!(v.last_rejection, Some(Rejection::Duplicate));
    assert_eq!(v.org, (x - secs(90)).to_timestamp());
}
