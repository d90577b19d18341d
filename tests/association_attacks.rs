//! A client association against replayed, duplicated, reordered, forged and
//! truncated packets, forged and genuine kisses, authentication failures and
//! every header test: nothing but a genuine reply yields a sample, and every
//! drop is counted.

mod association_common;

use association_common::*;
use sundial::association::{
    Association, AssociationConfig, AssociationState, PollConfig, Rejection,
};
use sundial::auth::{AuthError, KeyId};
use sundial::time::{NtpDuration, NtpTimestamp, PollInterval};
use sundial::wire::{KissCode, LeapIndicator, NtpPacket};

fn client() -> Association {
    Association::new(AssociationConfig::client(addr(1)), T0, 0)
}

fn keyed(id: u32) -> Association {
    Association::new(
        AssociationConfig::client(addr(1)).with_key(KeyId(id)),
        T0,
        0,
    )
}

/// Overwrites the 8-byte field at `at` (origin 24, receive 32, transmit 40).
fn set_ts(bytes: &mut [u8], at: usize, ts: NtpTimestamp) {
    bytes[at..at + 8].copy_from_slice(&ts.to_bits().to_be_bytes());
}

fn ts(bytes: &[u8], at: usize) -> NtpTimestamp {
    NtpTimestamp::from_bits(u64::from_be_bytes(bytes[at..at + 8].try_into().unwrap()))
}

#[test]
fn genuine_reply_is_accepted_once() {
    let mut d = Direct::new(client());
    let (_, reply, at) = d.exchange();
    let reply = reply.unwrap();
    let u = d
        .feed(&reply, at)
        .unwrap()
        .expect("first sample updates the filter");
    assert!((u.filter.offset - us(250)).abs() <= us(1));
    // Replayed / duplicated.
    assert_eq!(d.feed(&reply, at + us(5)), Err(Rejection::Duplicate));
    assert_eq!(d.client.counters().duplicate, 1);
    assert_eq!(d.client.counters().samples, 1);
}

#[test]
fn request_cookie_is_random_and_not_our_clock() {
    let mut d = Direct::new(client());
    let (a, _, _) = d.exchange();
    let (b, _, _) = d.exchange();
    let (xa, xb) = (ts(&a, 40), ts(&b, 40));
    assert_ne!(xa, xb);
    // Neither is the real send time (the chance of a random value landing
    // within a second of it is 2^-32).
    for x in [xa, xb] {
        let diff = (x.resolve(d.now) - d.now).abs();
        assert!(diff > NtpDuration::ONE_SECOND, "{x}");
    }
    // Client requests say nothing about us: stratum, precision, root delay and
    // dispersion, refid, reference/origin/receive timestamps are all zero.
    assert_eq!(a[1], 0);
    assert!(a[3..40].iter().all(|b| *b == 0));
}

#[test]
fn reordered_and_stale_replies_are_bogus() {
    let mut d = Direct::new(client());
    let (_, old, at_old) = d.exchange();
    let (_, new, at_new) = d.exchange();
    // The older reply arrives late: it answers a request that is no longer ours.
    assert_eq!(
        d.feed(&old.unwrap(), at_old.max(at_new)),
        Err(Rejection::Bogus)
    );
    assert!(d.feed(&new.unwrap(), at_new).is_ok());
    assert_eq!(d.client.counters().bogus, 1);
}

#[test]
fn forged_replies_are_bogus() {
    let mut d = Direct::new(client());
    let (_, reply, at) = d.exchange();
    let reply = reply.unwrap();
    // Wrong origin.
    let mut f = reply.clone();
    set_ts(&mut f, 24, NtpTimestamp::from_bits(0x1234_5678_9abc_def0));
    assert_eq!(d.feed(&f, at), Err(Rejection::Bogus));
    // Zero origin.
    let mut f = reply.clone();
    set_ts(&mut f, 24, NtpTimestamp::ZERO);
    assert_eq!(d.feed(&f, at), Err(Rejection::Bogus));
    // Genuine reply still accepted; a second, different reply with the right
    // origin afterwards is not (the cookie is used up).
    assert!(d.feed(&reply, at).is_ok());
    let mut f = reply.clone();
    set_ts(
        &mut f,
        40,
        ts(&reply, 40)
            .resolve(at)
            .saturating_add(us(3))
            .to_timestamp(),
    );
    assert_eq!(d.feed(&f, at), Err(Rejection::Bogus));
    assert_eq!(d.client.counters().bogus, 3);
    assert_eq!(d.client.counters().samples, 1);
}

#[test]
fn unsolicited_reply_is_bogus() {
    let mut d = Direct::new(client());
    let (_, reply, at) = d.exchange();
    let mut other = Direct::new(client());
    assert_eq!(other.feed(&reply.unwrap(), at), Err(Rejection::Bogus));
}

#[test]
fn truncated_packets_never_reach_the_association() {
    let mut d = Direct::new(keyed(1));
    let (_, reply, at) = d.exchange();
    let reply = reply.unwrap();
    assert_eq!(reply.len(), 68);
    for n in 0..48 {
        assert!(NtpPacket::parse(&reply[..n]).is_err(), "{n}");
    }
    // A truncated MAC does not parse either…
    for n in 53..68 {
        assert!(NtpPacket::parse(&reply[..n]).is_err(), "{n}");
    }
    // …and the header alone (MAC stripped) is refused by a keyed association.
    assert_eq!(
        d.feed(&reply[..48], at),
        Err(Rejection::Auth(AuthError::Missing))
    );
    assert!(d.feed(&reply, at).is_ok());
}

#[test]
fn keyed_association_rejects_bad_macs_and_crypto_naks() {
    for id in 1..=3 {
        let mut d = Direct::new(keyed(id));
        let (req, reply, at) = d.exchange();
        assert!(req.len() > 48, "request signed with key {id}");
        let reply = reply.unwrap();
        // Flip a bit in the header: MAC no longer matches.
        let mut f = reply.clone();
        f[45] ^= 1;
        assert_eq!(
            d.feed(&f, at),
            Err(Rejection::Auth(AuthError::BadMac(KeyId(id))))
        );
        // Flip a bit in the digest.
        let mut f = reply.clone();
        let last = f.len() - 1;
        f[last] ^= 0x80;
        assert_eq!(
            d.feed(&f, at),
            Err(Rejection::Auth(AuthError::BadMac(KeyId(id))))
        );
        // Crypto-NAK: key id alone.
        let mut nak = reply[..48].to_vec();
        nak.extend_from_slice(&[0, 0, 0, 0]);
        assert_eq!(d.feed(&nak, at), Err(Rejection::Auth(AuthError::CryptoNak)));
        // Signed with another trusted key than the association's.
        let other = if id == 1 { 2 } else { 1 };
        let mut f = reply[..48].to_vec();
        f.resize(72, 0);
        let n = d
            .keys
            .trusted(KeyId(other))
            .unwrap()
            .sign(&mut f, 48)
            .unwrap();
        assert_eq!(
            d.feed(&f[..n], at),
            Err(Rejection::Auth(AuthError::WrongKey(KeyId(other))))
        );
        assert_eq!(d.client.counters().auth_failed, 4);
        // The genuine reply still works afterwards.
        assert!(d.feed(&reply, at).is_ok(), "key {id}");
        assert!(d.client.peer_variables(at).authenticated);
    }
}

#[test]
fn unkeyed_association_drops_unverifiable_macs() {
    let mut d = Direct::new(client());
    let (_, reply, at) = d.exchange();
    let mut f = reply.unwrap();
    f.extend_from_slice(&[0, 0, 0, 9]);
    f.extend_from_slice(&[0u8; 16]);
    assert_eq!(
        d.feed(&f, at),
        Err(Rejection::Auth(AuthError::UnknownKey(KeyId(9))))
    );
}

#[test]
fn genuine_rate_kiss_backs_off() {
    let mut d = Direct::new(client());
    d.round().unwrap();
    let before = d.client.peer_variables(d.now).hpoll;
    d.server.kiss = Some(KissCode::Rate);
    let r = d.round();
    assert_eq!(r, Err(Rejection::Kiss(KissCode::Rate.to_ref_id())));
    let v = d.client.peer_variables(d.now);
    assert!(v.hpoll > before, "{:?} -> {:?}", before, v.hpoll);
    assert_eq!(v.counters.kiss_rate, 1);
    assert_eq!(d.client.state(), AssociationState::Active);
    assert!(d.client.next_timeout() - d.now >= v.hpoll.as_duration());
}

#[test]
fn genuine_deny_stops_the_association() {
    for code in [KissCode::Deny, KissCode::Rstr] {
        let mut d = Direct::new(client());
        d.server.kiss = Some(code);
        assert_eq!(d.round(), Err(Rejection::Kiss(code.to_ref_id())));
        assert_eq!(d.client.state(), AssociationState::Denied);
        assert_eq!(d.client.next_timeout(), sundial::time::NtpTime::MAX);
        let mut buf = [0u8; 128];
        let later = d.now + NtpDuration::from_seconds(10_000);
        assert_eq!(
            d.client.poll_transmit(later, 1, &d.sys, &d.keys, &mut buf),
            None
        );
    }
}

#[test]
fn forged_kisses_change_nothing() {
    for code in [KissCode::Rate, KissCode::Deny, KissCode::Rstr] {
        let mut d = Direct::new(client());
        d.round().unwrap();
        let before = d.client.peer_variables(d.now);
        d.server.kiss = Some(code);
        let (_, kod, at) = d.exchange();
        let mut forged = kod.unwrap();
        // An off-path attacker does not know the cookie.
        set_ts(
            &mut forged,
            24,
            NtpTimestamp::from_bits(0xdead_beef_0000_0001),
        );
        assert_eq!(d.feed(&forged, at), Err(Rejection::Bogus));
        let after = d.client.peer_variables(at);
        assert_eq!(d.client.state(), AssociationState::Active);
        assert_eq!(after.hpoll, before.hpoll);
        assert_eq!(after.counters.kiss_rate + after.counters.kiss_deny, 0);
    }
}

#[test]
fn unauthenticated_kiss_to_keyed_association_is_ignored() {
    let mut d = Direct::new(keyed(1));
    d.server.kiss = Some(KissCode::Deny);
    let (_, kod, at) = d.exchange();
    // Strip the MAC: an on-path attacker who saw the cookie but has no key.
    let kod = kod.unwrap();
    assert_eq!(
        d.feed(&kod[..48], at),
        Err(Rejection::Auth(AuthError::Missing))
    );
    assert_eq!(d.client.state(), AssociationState::Active);
}

#[test]
fn header_tests_are_each_counted() {
    type Tweak = fn(&mut Direct);
    let cases: [(Tweak, Rejection); 7] = [
        (
            |d| d.server.leap = LeapIndicator::Unsynchronized,
            Rejection::Unsynchronized,
        ),
        (|d| d.server.stratum = 16, Rejection::Unsynchronized),
        (|d| d.server.stratum = 0, Rejection::Unsynchronized),
        (
            |d| {
                d.server.stratum = 5;
                d.sys.max_stratum = 5;
            },
            Rejection::StratumTooHigh,
        ),
        (
            |d| d.server.root_dispersion = NtpDuration::from_seconds(2),
            Rejection::RootDistance,
        ),
        (
            |d| {
                d.server.reference_time =
                    Some((T0 + NtpDuration::from_seconds(3600)).to_timestamp())
            },
            Rejection::InvalidTimestamps,
        ),
        (
            |d| d.server.zero_transmit = true,
            Rejection::InvalidTimestamps,
        ),
    ];
    for (tweak, expect) in cases {
        let mut d = Direct::new(client());
        tweak(&mut d);
        assert_eq!(d.round(), Err(expect));
        let c = d.client.counters();
        assert_eq!(c.rejected(), 1);
        assert_eq!(c.samples, 0);
        assert!(d.client.filter().output().is_none());
        assert_eq!(d.client.peer_variables(d.now).last_rejection, Some(expect));
    }
}

#[test]
fn wrong_mode_is_rejected() {
    let mut d = Direct::new(client());
    let (req, _, at) = d.exchange();
    // Our own request reflected back (mode 3 to a client association).
    assert_eq!(d.feed(&req, at), Err(Rejection::ModeMismatch));
    let mut f = req.clone();
    f[0] = (f[0] & !7) | 5;
    assert_eq!(d.feed(&f, at), Err(Rejection::ModeMismatch));
}

#[test]
fn silent_server_makes_an_ephemeral_association_demobilize() {
    let cfg = AssociationConfig {
        ephemeral: true,
        poll: PollConfig {
            minpoll: PollInterval::from_log2(4),
            maxpoll: PollInterval::from_log2(6),
            burst: false,
            iburst: false,
        },
        ..AssociationConfig::client(addr(1))
    };
    let mut d = Direct::new(Association::new(cfg, T0, 0));
    d.round().unwrap();
    assert!(d.client.reach().is_reachable());
    let mut buf = [0u8; 128];
    let mut polls = 0;
    while !d.client.should_demobilize() && polls < 100 {
        d.now = d.client.next_timeout();
        let _ = d
            .client
            .poll_transmit(d.now, polls, &d.sys, &d.keys, &mut buf);
        polls += 1;
    }
    assert!(d.client.should_demobilize(), "after {polls} polls");
    assert_eq!(d.client.reach().bits(), 0);
    // Dummies pushed into the filter: the stages are now mostly 16 s.
    let dummies = d
        .client
        .filter()
        .stages()
        .iter()
        .filter(|s| s.is_dummy())
        .count();
    assert!(dummies >= 7, "{dummies}");
}

#[test]
fn clock_step_clears_the_filter_and_pending_request() {
    let mut d = Direct::new(client());
    d.round().unwrap();
    let (_, reply, at) = d.exchange();
    d.client.clock_stepped(NtpDuration::from_seconds(1));
    assert!(d.client.filter().output().is_none());
    assert_eq!(d.feed(&reply.unwrap(), at), Err(Rejection::Bogus));
}

#[test]
fn transmit_completed_replaces_the_send_time() {
    // The driver learns the packet really left 200 µs after poll_transmit.
    let mut d = Direct::new(client());
    let late = us(200);
    d.now = d.client.next_timeout();
    let mut buf = [0u8; 128];
    let n = d
        .client
        .poll_transmit(d.now, 5, &d.sys, &d.keys, &mut buf)
        .unwrap();
    let real_send = d.now + late;
    d.client.transmit_completed(real_send);
    let srx = real_send + d.one_way + d.server_offset;
    let mut out = [0u8; 128];
    let m = d
        .server
        .respond(&buf[..n], srx, srx + us(10), &mut out)
        .unwrap();
    let at = real_send + d.one_way + us(10) + d.one_way;
    let u = d.feed(&out[..m], at).unwrap().unwrap();
    assert!(
        (u.filter.offset - d.server_offset).abs() <= us(1),
        "{}",
        u.filter.offset
    );
    assert!(
        (u.filter.delay - us(100)).abs() <= us(1),
        "{}",
        u.filter.delay
    );
}
