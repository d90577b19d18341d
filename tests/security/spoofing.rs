//! Off-path spoofing: forged kisses, zero and wrong origins, packets that
//! would reschedule polls, predictable cookies, refclock pseudo addresses,
//! and root distance.

use proptest::prelude::*;
use sundial::association::{
    AssociationConfig, AssociationState, PeerVariables, Rejection, root_distance,
};
use sundial::auth::KeyId;
use sundial::refclock::{Refclock, RefclockId};
use sundial::select::{Candidate, CandidateFlags};
use sundial::system::MAX_PACKET_LEN;
use sundial::time::{NtpDuration, NtpTime, NtpTimestamp, PollInterval};
use sundial::wire::{KissCode, LeapIndicator, Mode, RefId};

use super::harness::*;

fn client() -> Bench {
    Bench::client(AssociationConfig::client(SERVER))
}

/// Everything about the association an off-path packet must leave alone
/// (counters aside, which count the drop).
fn state(v: &PeerVariables) -> impl PartialEq + std::fmt::Debug + use<> {
    (
        v.state,
        v.remote_header,
        v.reach,
        v.hpoll,
        v.ppoll,
        (v.offset, v.delay, v.dispersion, v.jitter),
        v.filter,
        (v.org, v.rec, v.xmt),
        v.next_poll,
    )
}

/// Forgeries that answer an outstanding request but not with its cookie.
fn wrong_origins(current: NtpTimestamp, previous: NtpTimestamp, now: NtpTime) -> [NtpTimestamp; 6] {
    [
        NtpTimestamp::ZERO,
        previous,
        NtpTimestamp::from_bits(current.to_bits() ^ 1),
        NtpTimestamp::from_bits(current.to_bits().wrapping_add(1 << 32)),
        now.to_timestamp(),
        NtpTimestamp::from_bits(0x0123_4567_89ab_cdef),
    ]
}

#[test]
fn cve_2015_7704_7705_spoofed_kiss_o_death_is_ignored() {
    for code in [KissCode::Rate, KissCode::Deny, KissCode::Rstr] {
        let mut b = client();
        let (first, reply, at) = b.exchange();
        b.deliver(SERVER, &reply, at);
        let (req, reply, at) = b.exchange();
        let before = state(&b.assoc().peer_variables(at));
        let wake = b.assoc().next_timeout();
        for origin in wrong_origins(ts(&req, TRANSMIT), ts(&first, TRANSMIT), at) {
            assert_eq!(b.deliver(SERVER, &kiss(code, origin), at), None);
        }
        let v = b.assoc().peer_variables(at);
        assert_eq!(state(&v), before, "{code:?}");
        assert_eq!(b.assoc().next_timeout(), wake);
        assert_eq!(v.counters.kiss_rate + v.counters.kiss_deny, 0);
        assert_eq!(v.counters.bogus + v.counters.invalid_timestamps, 6);
        // The real reply is still welcome…
        b.deliver(SERVER, &reply, at);
        assert_eq!(b.assoc().counters().samples, 2);
        // …and a genuine kiss (right cookie) is obeyed: the test can fail.
        let (req, _, at) = b.exchange();
        let hpoll = b.assoc().peer_variables(at).hpoll;
        b.deliver(SERVER, &kiss(code, ts(&req, TRANSMIT)), at);
        let v = b.assoc().peer_variables(at);
        if code == KissCode::Rate {
            assert_eq!(v.counters.kiss_rate, 1);
            assert!(v.hpoll > hpoll, "backed off");
        } else {
            assert_eq!(v.state, AssociationState::Denied);
        }
    }
}

#[test]
fn cve_2015_8138_2016_7431_zero_origin_is_rejected() {
    let mut b = client();
    assert!(b.round());
    let (_, reply, at) = b.exchange();
    // The reply with its origin zeroed, and with every timestamp but the
    // transmit timestamp zeroed (ntpd's 7431 regression).
    let mut zero_origin = reply.clone();
    set_ts(&mut zero_origin, ORIGIN, NtpTimestamp::ZERO);
    let mut bare = zero_origin.clone();
    set_ts(&mut bare, RECEIVE, NtpTimestamp::ZERO);
    for forged in [&zero_origin, &bare] {
        b.deliver(SERVER, forged, at);
        assert_eq!(b.assoc().counters().samples, 1);
        assert_eq!(
            b.assoc().peer_variables(at).last_rejection,
            Some(Rejection::Bogus)
        );
    }
    b.deliver(SERVER, &reply, at);
    assert_eq!(b.assoc().counters().samples, 2);
}

#[test]
fn cve_2016_9042_bogus_origins_do_not_block_the_real_reply() {
    let mut b = client();
    assert!(b.round());
    let (req, reply, at) = b.exchange();
    let cookie = ts(&req, TRANSMIT);
    // A flood of forgeries, each with a different wrong origin.
    for i in 0..500u64 {
        let origin = NtpTimestamp::from_bits(cookie.to_bits() ^ (i + 1).wrapping_mul(0x9e37_79b9));
        let mut f = reply.clone();
        set_ts(&mut f, ORIGIN, origin);
        b.deliver(SERVER, &f, at);
    }
    assert_eq!(b.assoc().counters().bogus, 500);
    b.deliver(SERVER, &reply, at);
    assert_eq!(b.assoc().counters().samples, 2);
}

#[test]
fn cve_2016_4954_spoofed_server_packet_updates_no_peer_state() {
    let mut b = client();
    assert!(b.round());
    let (req, reply, at) = b.exchange();
    let before = state(&b.assoc().peer_variables(at));
    // A different server's view of the world, with a wrong origin.
    let mut h = header(
        Mode::Server,
        NtpTimestamp::from_bits(ts(&req, TRANSMIT).to_bits() ^ 0xff00),
        (at + secs(3600)).to_timestamp(),
    );
    h.stratum = 2;
    h.leap = LeapIndicator::AddSecond;
    h.poll = PollInterval::from_log2(17);
    h.ref_id = RefId::from_bytes([192, 0, 2, 66]);
    b.deliver(SERVER, &emit(&h), at);
    assert_eq!(state(&b.assoc().peer_variables(at)), before);
    b.deliver(SERVER, &reply, at);
    let v = b.assoc().peer_variables(at);
    assert_eq!(v.remote_header.stratum, 1);
    assert_eq!(v.remote_header.leap, LeapIndicator::NoWarning);
}

#[test]
fn cve_2020_11868_spoofed_reply_does_not_reschedule_polls() {
    let mut b = client();
    assert!(b.round());
    let (req, reply, at) = b.exchange();
    let planned = b.assoc().next_timeout();
    let sent = b.assoc().counters().sent;
    let reach = b.assoc().reach();
    let mut f = reply.clone();
    set_ts(
        &mut f,
        ORIGIN,
        NtpTimestamp::from_bits(ts(&req, TRANSMIT).to_bits() ^ 4),
    );
    for _ in 0..10 {
        b.deliver(SERVER, &f, at);
    }
    assert_eq!(b.assoc().next_timeout(), planned);
    assert_eq!(b.assoc().counters().sent, sent);
    assert_eq!(b.assoc().reach(), reach);
    // The real reply then still synchronises, and the next poll goes out on time.
    b.deliver(SERVER, &reply, at);
    assert_eq!(b.assoc().counters().samples, 2);
    let next = b.assoc().next_timeout();
    b.request();
    assert_eq!(b.now, next);
}

#[test]
fn cve_2020_13817_transmit_timestamps_are_unpredictable() {
    // Client mode: the transmit timestamp is a 64-bit random cookie, not the
    // clock, and differs between cores and between requests.
    let mut seen = Vec::new();
    for seed in 1..=4u8 {
        let mut b = Bench::new(core(seed), AssociationConfig::client(SERVER));
        for _ in 0..4 {
            let req = b.request();
            let x = ts(&req, TRANSMIT);
            assert!(
                (x.resolve(b.now) - b.now).abs() > secs(1),
                "{x} at {}",
                b.now
            );
            seen.push(x.to_bits());
            let reply = b.up.answer(&req, HOST, b.now + b.delay).unwrap();
            let at = b.now + b.delay + b.delay;
            b.deliver(SERVER, &reply, at);
        }
    }
    let mut unique = seen.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), seen.len());

    // Symmetric mode: the peer uses our transmit timestamp as its t3, so it
    // is the clock, but the bits below our precision (2^-20 s) are random.
    let below_precision = (1u64 << 12) - 1;
    let mut low_bits = Vec::new();
    let mut b = Bench::new(core(9), AssociationConfig::symmetric_active(PEER));
    for _ in 0..16 {
        let pkt = b.request();
        let x = ts(&pkt, TRANSMIT);
        let err = (x.resolve(b.now) - b.now).abs();
        assert!(err < NtpDuration::from_nanos(1_000), "{err}");
        low_bits.push((x.to_bits() ^ b.now.to_timestamp().to_bits()) & below_precision);
    }
    let mut unique = low_bits.clone();
    unique.sort_unstable();
    unique.dedup();
    assert!(unique.len() >= 12, "low bits are not random: {low_bits:x?}");
}

#[test]
fn cve_2016_7433_root_distance_includes_dispersion_and_jitter() {
    // An upstream whose offset swings by ±2 ms: the peer jitter is large.
    let mut b = client();
    for i in 0..12 {
        b.up.offset = us(300 + if i % 2 == 0 { 2_000 } else { -2_000 });
        b.round();
    }
    let now = b.now;
    let v = b.assoc().peer_variables(now);
    assert!(v.jitter > NtpDuration::from_millis(1), "{}", v.jitter);
    let rh = v.remote_header;
    let with = root_distance(
        rh.root_delay,
        rh.root_dispersion,
        v.delay,
        v.dispersion,
        v.jitter,
    );
    let without = root_distance(
        rh.root_delay,
        rh.root_dispersion,
        v.delay,
        v.dispersion,
        NtpDuration::ZERO,
    );
    assert_eq!(with - without, v.jitter);
    // ntpd's 7433 fix: the peer dispersion ε is in it too.
    let no_dispersion = root_distance(
        rh.root_delay,
        rh.root_dispersion,
        v.delay,
        NtpDuration::ZERO,
        v.jitter,
    );
    assert!(v.dispersion > NtpDuration::ZERO);
    assert_eq!(with - no_dispersion, v.dispersion);
    assert_eq!(v.root_distance, with);
    // What we advertise downstream: E + ε + system jitter + |θ| (RFC 5905).
    let sys = b.ntp.system_variables();
    assert_eq!(sys.peer, b.id.0, "synchronised to the upstream");
    assert!(sys.system_jitter > NtpDuration::ZERO);
    assert!(sys.root_dispersion >= rh.root_dispersion + sys.system_jitter);
    assert_eq!(b.assoc().root_distance(now), with);
    // What selection sees for the source includes the jitter too.
    let update = b.ntp.association(b.id).unwrap().update().unwrap();
    assert_eq!(
        update.root_distance(now),
        root_distance(
            update.remote.root_delay,
            update.remote.root_dispersion,
            update.filter.delay,
            update.filter.dispersion_at(now),
            update.filter.jitter,
        )
    );
    assert!(update.root_distance(now) > update.filter.jitter);
    let c = |jitter| Candidate {
        jitter,
        dispersion: NtpDuration::from_millis(3),
        ..Candidate::new(0, NtpDuration::ZERO)
    };
    let mindist = NtpDuration::from_millis(1);
    assert_eq!(
        c(NtpDuration::from_millis(7)).root_distance(mindist)
            - c(NtpDuration::ZERO).root_distance(mindist),
        NtpDuration::from_millis(7)
    );
}

#[test]
fn cve_2016_1551_packets_from_refclock_addresses_are_refused() {
    let mut ntp = core(3);
    let id = RefclockId::new(1, 0);
    let clock = Refclock::new(id, 0, sundial::refclock::Fudge::NONE).unwrap();
    ntp.add_refclock(clock, None, CandidateFlags::empty(), T0)
        .unwrap();
    let spoofed = std::net::SocketAddr::new(id.to_ipv4().into(), 123);
    let other = "127.127.20.0:123".parse().unwrap();
    let request = emit(&header(
        Mode::Client,
        NtpTimestamp::ZERO,
        (T0 + secs(1)).to_timestamp(),
    ));
    let mut symmetric = header(
        Mode::SymmetricActive,
        NtpTimestamp::ZERO,
        (T0 + secs(1)).to_timestamp(),
    );
    symmetric.stratum = 1;
    let symmetric = sign(&emit(&symmetric), 1);
    let reply = emit(&header(Mode::Server, NtpTimestamp::ZERO, T0.to_timestamp()));
    let readvar = control(2, 0, b"");
    let before = ntp.associations().count();
    let received = ntp.counters().received;
    for from in [spoofed, other] {
        for pkt in [&request, &symmetric, &reply, &readvar] {
            assert!(exchange_all(&mut ntp, from, pkt, T0 + secs(2)).is_empty());
        }
    }
    assert_eq!(ntp.associations().count(), before);
    assert_eq!(ntp.counters().received, received + 8);
    assert_eq!(ntp.counters().replies + ntp.counters().control, 0);
    // The same request from a real address is served: the test can fail.
    assert_eq!(
        exchange_all(&mut ntp, VICTIM, &request, T0 + secs(3)).len(),
        1
    );
    let _ = MAX_PACKET_LEN;
}

/// Up to five datagrams of 48–88 random bytes, each with a random mode.
fn junk() -> impl Strategy<Value = Vec<Vec<u8>>> {
    let datagram =
        (proptest::collection::vec(any::<u8>(), 48..88), 0u8..8).prop_map(|(mut p, mode)| {
            p[0] = (p[0] & 0xf8) | mode;
            p
        });
    proptest::collection::vec(datagram, 1..6)
}

proptest! {
    /// Any packets an off-path attacker sends from the server's address
    /// (anything at all, except the cookie it cannot know) leave the client
    /// association exactly as it was, and the real reply still counts.
    #[test]
    fn off_path_packets_never_change_a_client(packets in junk()) {
        let mut b = client();
        prop_assert!(b.round());
        let (req, reply, at) = b.exchange();
        let cookie = ts(&req, TRANSMIT);
        let before = state(&b.assoc().peer_variables(at));
        for p in packets.iter().filter(|p| ts(p, ORIGIN) != cookie) {
            b.deliver(SERVER, p, at);
        }
        prop_assert_eq!(state(&b.assoc().peer_variables(at)), before);
        prop_assert_eq!(b.assoc().counters().samples, 1);
        b.deliver(SERVER, &reply, at);
        prop_assert_eq!(b.assoc().counters().samples, 2);
    }

    /// A keyed symmetric association: nothing without a valid MAC from its
    /// key, whatever else the packet says (even our origin), changes its state.
    #[test]
    fn unauthenticated_packets_never_change_a_keyed_peer(packets in junk()) {
        let mut b = Bench::client(AssociationConfig::symmetric_active(PEER).with_key(KeyId(3)));
        let sent = b.request();
        let before = state(&b.assoc().peer_variables(b.now));
        for mut p in packets {
            set_ts(&mut p, ORIGIN, ts(&sent, TRANSMIT));
            b.deliver(PEER, &p, b.now);
        }
        prop_assert_eq!(state(&b.assoc().peer_variables(b.now)), before);
    }
}

#[test]
fn one_shot_sntp_query_refuses_the_same_forgeries() {
    use sundial::sntp::{Query, SntpError};
    let t1 = T0 + secs(5);
    let query = Query::new(t1, 0x1234_5678_9abc_def0);
    let mut req = [0u8; 48];
    query.emit(&mut req).unwrap();
    let cookie = ts(&req, TRANSMIT);
    assert!(
        (cookie.resolve(t1) - t1).abs() > secs(1),
        "a cookie, not the clock"
    );
    let reply = Upstream::new().answer(&req, HOST, t1 + us(50)).unwrap();
    let at = t1 + us(110);
    for origin in wrong_origins(cookie, NtpTimestamp::from_bits(1), t1) {
        for code in [KissCode::Rate, KissCode::Deny] {
            assert_eq!(
                query.process(&kiss(code, origin), at),
                Err(SntpError::OriginMismatch)
            );
        }
        let mut f = reply.clone();
        set_ts(&mut f, ORIGIN, origin);
        assert_eq!(query.process(&f, at), Err(SntpError::OriginMismatch));
    }
    // The genuine kiss is reported, the genuine reply measured.
    assert_eq!(
        query
            .process(&kiss(KissCode::Deny, cookie), at)
            .unwrap_err()
            .kiss_code(),
        Some(KissCode::Deny)
    );
    let r = query.process(&reply, at).unwrap();
    assert!((r.offset - us(300)).abs() < us(1), "{}", r.offset);
}
