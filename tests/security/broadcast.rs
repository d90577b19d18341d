//! Broadcast clients: replayed broadcasts, poll-interval poisoning and
//! interleaved broadcast.

use sundial::association::{AssociationConfig, Rejection};
use sundial::auth::{AuthError, KeyId};
use sundial::server::{MAX_SERVER_PACKET_LEN, build_broadcast};
use sundial::time::{NtpDuration, NtpTime, NtpTimestamp, PollInterval};
use sundial::wire::{HEADER_LEN, Packet};

use super::harness::*;

/// A broadcast client of SERVER with a configured one-way delay equal to
/// the bench's network delay.
fn listener(key: Option<u32>) -> Bench {
    let mut config = AssociationConfig::broadcast_client(SERVER, Some(us(50)));
    if let Some(k) = key {
        config = config.with_key(KeyId(k));
    }
    Bench::client(config)
}

/// The broadcast SERVER sends so that it arrives at client-local `at`.
fn broadcast(b: &Bench, at: NtpTime, key: Option<u32>) -> Vec<u8> {
    let keys = keys();
    let key = key.and_then(|id| keys.trusted(KeyId(id)));
    let sent = at - b.delay + b.up.offset;
    let mut out = [0u8; MAX_SERVER_PACKET_LEN];
    let built = build_broadcast(&synced(sent), sent, key, &mut out).unwrap();
    out[..built.len].to_vec()
}

fn samples(b: &Bench) -> u32 {
    b.assoc().counters().samples
}

fn last_rejection(b: &Bench) -> Option<Rejection> {
    b.assoc().peer_variables(b.now).last_rejection
}

#[test]
fn cve_2016_7427_broadcast_replays_are_rejected_and_cannot_be_poisoned() {
    for key in [Some(1), None] {
        let mut b = listener(key);
        let t = T0 + secs(10);
        let b1 = broadcast(&b, t, key);
        let b2 = broadcast(&b, t + secs(64), key);
        b.deliver(SERVER, &b1, t);
        b.deliver(SERVER, &b2, t + secs(64));
        assert_eq!(samples(&b), 2, "{key:?}");
        // Replays of both, later.
        b.deliver(SERVER, &b1, t + secs(70));
        assert_eq!(samples(&b), 2, "old broadcast replayed ({key:?})");
        assert_eq!(last_rejection(&b), Some(Rejection::Duplicate));
        b.deliver(SERVER, &b2, t + secs(71));
        assert_eq!(samples(&b), 2);
        if key.is_some() {
            // An unauthenticated broadcast from the future does not move the
            // replay window (ntpd 7427): it is refused before any state change.
            let future = broadcast(&b, t + secs(100_000), None);
            b.deliver(SERVER, &future, t + secs(72));
            assert_eq!(
                last_rejection(&b),
                Some(Rejection::Auth(AuthError::Missing))
            );
        }
        let b3 = broadcast(&b, t + secs(128), key);
        b.deliver(SERVER, &b3, t + secs(128));
        assert_eq!(samples(&b), 3, "{key:?}");
    }
}

#[test]
fn cve_2016_7428_broadcast_poll_cannot_be_poisoned() {
    let mut b = listener(Some(1));
    let t = T0 + secs(10);
    b.deliver(SERVER, &broadcast(&b, t, Some(1)), t);
    let ppoll = b.assoc().peer_variables(t).ppoll;
    // A flood of unauthenticated broadcasts with extreme poll fields.
    for i in 0..100 {
        let at = t + NtpDuration::from_millis(10 * i + 1);
        let mut f = broadcast(&b, at, None);
        Packet::new_unchecked(&mut f[..HEADER_LEN])
            .set_poll(PollInterval::from_log2(if i % 2 == 0 { 3 } else { 17 }));
        b.deliver(SERVER, &f, at);
    }
    assert_eq!(b.assoc().peer_variables(t + secs(1)).ppoll, ppoll);
    assert_eq!(b.assoc().counters().auth_failed, 100);
    // Genuine broadcasts, even much closer together than the poll interval,
    // are still accepted: there is no interval check to poison.
    b.deliver(SERVER, &broadcast(&b, t + secs(2), Some(1)), t + secs(2));
    b.deliver(SERVER, &broadcast(&b, t + secs(3), Some(1)), t + secs(3));
    assert_eq!(samples(&b), 3);
}

#[test]
fn cve_2016_4956_broadcast_clients_never_switch_to_interleaved() {
    let mut b = listener(Some(1));
    let t = T0 + secs(10);
    // Unauthenticated packets in interleaved-broadcast form are refused.
    let mut f = broadcast(&b, t, None);
    set_ts(&mut f, ORIGIN, (t - secs(64)).to_timestamp());
    b.deliver(SERVER, &f, t);
    assert_eq!(
        last_rejection(&b),
        Some(Rejection::Auth(AuthError::Missing))
    );
    // Even an authenticated broadcast with an origin is used as a basic
    // broadcast: θ = t3 + one-way delay − t4, whatever the origin says.
    for (i, origin) in [
        NtpTimestamp::ZERO,
        (t - secs(64)).to_timestamp(),
        NtpTimestamp::from_bits(0x1234_5678_9abc_def0),
    ]
    .into_iter()
    .enumerate()
    {
        let at = t + secs(64 * i as i64);
        let mut p = broadcast(&b, at, None);
        set_ts(&mut p, ORIGIN, origin);
        let p = sign(&p, 1);
        b.deliver(SERVER, &p, at);
        let newest = b.assoc().filter().stages()[0];
        assert_eq!(newest.time, at);
        assert!(
            (newest.offset - b.up.offset).abs() <= NtpDuration::from_bits(2),
            "{} with origin {origin}",
            newest.offset
        );
    }
    assert_eq!(samples(&b), 3);
}
