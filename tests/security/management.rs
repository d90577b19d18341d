//! The server and management side: mode 7 (monlist), mode 6 amplification
//! and disclosure, rate limiting turned against others, remote configuration.

use std::net::SocketAddr;

use sundial::access::RestrictFlags;
use sundial::association::AssociationConfig;
use sundial::auth::KeyId;
use sundial::select::CandidateFlags;
use sundial::system::{AMPLIFICATION_BURST, AMPLIFICATION_PER_SECOND, SystemConfig};
use sundial::time::{NtpDuration, NtpTime, NtpTimestamp};
use sundial::wire::{KissCode, Mode};

use super::harness::*;

/// A core with eight client associations (large mode 6 replies) and a
/// control key.
fn busy_server(seed: u8) -> Core {
    let mut ntp = core_with(
        SystemConfig {
            control_key: Some(KeyId(1)),
            ..SystemConfig::default()
        },
        seed,
    );
    for i in 0..8u8 {
        let remote = SocketAddr::from(([10, 0, 1, i], 123));
        ntp.add_association(
            AssociationConfig::client(remote),
            CandidateFlags::empty(),
            T0,
        )
        .unwrap();
    }
    ntp
}

fn client_request(at: NtpTime) -> Vec<u8> {
    emit(&header(Mode::Client, NtpTimestamp::ZERO, at.to_timestamp()))
}

fn bytes(v: &[Vec<u8>]) -> usize {
    v.iter().map(Vec::len).sum()
}

#[test]
fn cve_2013_5211_mode_7_monlist_is_ignored() {
    // ntpdc's MON_GETLIST_1 (implementation 3, request 42), short and padded.
    let mut monlist = vec![0x17, 0x00, 0x03, 0x2a];
    monlist.resize(48, 0);
    let mut padded = monlist.clone();
    padded.resize(192, 0);
    for (name, flags) in restrict_settings() {
        let mut ntp = busy_server(1);
        ntp.access_mut().restrict.set_default(None, flags);
        for v in 1..=7u8 {
            for pkt in [&monlist, &padded] {
                let mut p = pkt.clone();
                p[0] = (p[0] & 0xc7) | (v << 3);
                assert!(exchange_all(&mut ntp, VICTIM, &p, T0).is_empty(), "{name}");
            }
        }
        assert_eq!(ntp.counters().mode7, 14, "{name}");
    }
}

#[test]
fn cve_2016_9310_mode_6_replies_are_bounded_and_disclose_no_clients() {
    let mut ntp = busy_server(2);
    // Serve the victim first: its address is something to leak.
    assert_eq!(
        exchange_all(&mut ntp, VICTIM, &client_request(T0), T0).len(),
        1
    );
    // A flood of 12-byte queries from spoofed sources, 50 a second for 10 s.
    let seconds = 10;
    let (mut oversize, mut received, mut sent) = (0u32, 0usize, 0usize);
    for s in 0..seconds {
        for i in 0..50u8 {
            let now = T0 + secs(s) + NtpDuration::from_millis(20 * i64::from(i));
            let from = SocketAddr::from(([203, 0, 113, i], 40_000));
            let req = control(if i % 2 == 0 { 2 } else { 1 }, 0, b"");
            let out = exchange_all(&mut ntp, from, &req, now);
            received += req.len();
            sent += bytes(&out);
            if bytes(&out) > req.len() {
                oversize += 1;
            }
        }
    }
    let budget = AMPLIFICATION_BURST + AMPLIFICATION_PER_SECOND * seconds as u32;
    assert!(oversize > 0, "ntpq -p must work for someone");
    assert!(
        oversize <= budget,
        "{oversize} oversize replies, budget {budget}"
    );
    // Once the budget is spent, nobody unauthenticated gets more than he sent.
    let now = T0 + secs(seconds - 1) + NtpDuration::from_millis(999);
    for opcode in 0..32u8 {
        let req = control(opcode, 0, b"");
        assert!(bytes(&exchange_all(&mut ntp, VICTIM, &req, now)) <= req.len());
    }
    // The control key holder always gets the whole answer.
    let signed = sign_control(&control(2, 0, b""), 1);
    let out = exchange_all(&mut ntp, VICTIM, &signed, now);
    assert_eq!(control_error(&out[0]), None);
    assert!(bytes(&out) > 5 * signed.len(), "{}", bytes(&out));
    let _ = (received, sent);
    // Nothing any opcode answers names a client we served (no MRU list):
    // not even to the control key holder.
    let ids: Vec<u16> = ntp.associations().map(|v| v.id().0).collect();
    let text = VICTIM.ip().to_string();
    for opcode in 0..32u8 {
        for assoc in [0].into_iter().chain(ids.iter().copied()).chain([999]) {
            for data in [&b""[..], b"addr.0,last.0,mru,reslist", b"nonce=1, frags=32"] {
                let req = sign_control(&control(opcode, assoc, data), 1);
                for reply in exchange_all(&mut ntp, VICTIM, &req, now) {
                    let hay = String::from_utf8_lossy(&reply);
                    assert!(!hay.contains(&text), "opcode {opcode}: {hay}");
                    assert!(!reply.windows(4).any(|w| w == [198, 51, 100, 9]));
                }
            }
        }
    }
    // Traps (ntpd's 9310 reflection vector): a trap request, even signed,
    // registers nothing; events afterwards send nothing to the requester.
    for req in [control(6, 0, b""), sign_control(&control(6, 0, b""), 1)] {
        for reply in exchange_all(&mut ntp, VICTIM, &req, now) {
            assert_eq!(control_error(&reply), Some(1));
        }
    }
    ntp.remove_association(sundial::event::AssociationId(ids[0]))
        .unwrap();
    let extra = SocketAddr::from(([10, 0, 2, 1], 123));
    ntp.add_association(
        AssociationConfig::client(extra),
        CandidateFlags::empty(),
        now,
    )
    .unwrap();
    let mut buf = [0u8; sundial::system::MAX_PACKET_LEN];
    let mut polls = 0;
    for s in 0..120 {
        let t = now + secs(s);
        ntp.handle_timeout(t);
        while let Some(tx) = ntp.poll_transmit(t, &mut buf) {
            assert_ne!(tx.to.ip(), VICTIM.ip(), "{tx:?}");
            polls += 1;
        }
    }
    assert!(polls >= 8, "{polls}");
    for opcode in [10, 11] {
        let out = exchange_all(
            &mut ntp,
            VICTIM,
            &sign_control(&control(opcode, 0, b""), 1),
            now,
        );
        assert_eq!(
            control_error(&out[0]),
            Some(3),
            "mrulist/ordlist: bad opcode"
        );
    }
}

#[test]
fn cve_2016_7426_rate_limits_cannot_be_turned_against_others() {
    // 1. Spoofed requests "from" our upstream server do not make us drop the
    //    server's replies (only requests are rate limited).
    let mut b = Bench::client(AssociationConfig::client(SERVER));
    b.ntp
        .access_mut()
        .restrict
        .set_default(None, RestrictFlags::LIMITED | RestrictFlags::KOD);
    assert!(b.round());
    let (_, reply, at) = b.exchange();
    for i in 0..1000 {
        let t = at - NtpDuration::from_millis(1000 - i);
        exchange_all(&mut b.ntp, SERVER, &client_request(t), t);
    }
    b.deliver(SERVER, &reply, at);
    assert_eq!(b.assoc().counters().samples, 2);
    assert!(b.round());

    // 2. Spoofed requests "from" a client spend only that client's
    //    allowance: it gets at most one kiss per offending streak and is
    //    served again once the flood stops.
    let mut ntp = core(3);
    ntp.access_mut()
        .restrict
        .set_default(None, RestrictFlags::LIMITED | RestrictFlags::KOD);
    let mut kisses = 0;
    let mut replies = 0;
    for i in 0..1000 {
        let t = T0 + NtpDuration::from_millis(10 * i);
        for out in exchange_all(&mut ntp, VICTIM, &client_request(t), t) {
            if out[1] == 0 && out[12..16] == KissCode::Rate.to_ref_id().to_bytes() {
                kisses += 1;
            } else {
                replies += 1;
            }
        }
    }
    assert!(replies <= 8, "{replies} replies during the flood");
    assert!(kisses <= 2, "{kisses} kisses for one streak");
    // The real client polls every 64 s after the flood (10 s long).
    let mut served_after = None;
    for k in 1..=4 {
        let t = T0 + secs(10 + 64 * k);
        let out = exchange_all(&mut ntp, VICTIM, &client_request(t), t);
        if out.len() == 1 && out[0][1] != 0 {
            served_after = Some(k);
            break;
        }
    }
    assert_eq!(
        served_after,
        Some(1),
        "the victim is served at its next poll"
    );
    // Other clients are never affected by the flood on the victim's address.
    let other = SocketAddr::from(([198, 51, 100, 10], 123));
    let out = exchange_all(&mut ntp, other, &client_request(T0 + secs(5)), T0 + secs(5));
    assert_eq!(out.len(), 1);
}

#[test]
fn cve_2015_7703_no_remote_configuration() {
    let writes: [(u8, &[u8]); 6] = [
        (3, b"leap=1, stratum=1"),         // write variables
        (5, b"refid=XXXX"),                // write clock variables
        (6, b""),                          // set trap
        (8, b"server 203.0.113.5 iburst"), // configure
        (9, b"/etc/ntp.conf"),             // save configuration
        (31, b""),                         // unset trap
    ];
    for (name, flags) in restrict_settings() {
        let mut ntp = busy_server(4);
        ntp.access_mut().restrict.set_default(None, flags);
        let sys = *ntp.system_variables();
        let config = *ntp.config();
        let associations = ntp.associations().count();
        for (opcode, data) in writes {
            for signed in [false, true] {
                let mut req = control(opcode, 0, data);
                if signed {
                    req = sign_control(&req, 1);
                }
                let out = exchange_all(&mut ntp, VICTIM, &req, T0 + secs(1));
                for reply in &out {
                    // An error (permission, or restricted), never data.
                    assert!(
                        matches!(control_error(reply), Some(1) | Some(7)),
                        "{name}: opcode {opcode} signed {signed}: {reply:02x?}"
                    );
                }
                if !signed {
                    assert!(bytes(&out) <= req.len());
                }
            }
        }
        let after = ntp.system_variables();
        assert_eq!(
            (after.leap, after.stratum, after.refid),
            (sys.leap, sys.stratum, sys.refid)
        );
        assert_eq!(*ntp.config(), config, "{name}");
        assert_eq!(ntp.associations().count(), associations, "{name}");
        assert_eq!(ntp.keys().len(), 4);
    }
}

#[test]
fn cve_2009_3563_no_reply_loops_between_two_servers() {
    // An attacker sends A one packet "from" B (both serve time, answer mode
    // 6, and have B/A as symmetric peers): whatever A answers, B must not
    // answer again, or the two would ping-pong forever.
    let mut pkts = Vec::new();
    for mode in 0..=7u8 {
        let mut p = client_request(T0);
        p[0] = (4 << 3) | mode;
        pkts.push(p.clone());
        pkts.push(sign(&p, 1));
    }
    for opcode in 0..32u8 {
        pkts.push(control(opcode, 0, b""));
        let mut error_reply = control(opcode, 0, b"");
        error_reply[1] |= 0xc0;
        pkts.push(error_reply);
    }
    pkts.push(kiss(KissCode::Rate, NtpTimestamp::ZERO));
    let mut answered = 0;
    for (k, first) in pkts.iter().enumerate() {
        let config = SystemConfig {
            control_key: Some(KeyId(1)),
            ..SystemConfig::default()
        };
        let mut a = core_with(config, 30);
        let mut b = core_with(config, 31);
        for (ntp, other) in [(&mut a, PEER), (&mut b, HOST)] {
            ntp.add_association(
                AssociationConfig::symmetric_active(other),
                CandidateFlags::empty(),
                T0,
            )
            .unwrap();
        }
        let now = T0 + secs(1);
        let mut in_flight = vec![(true, first.clone())];
        let mut hops = 0;
        while let Some((to_a, bytes)) = in_flight.pop() {
            let (ntp, from) = if to_a { (&mut a, PEER) } else { (&mut b, HOST) };
            for out in exchange_all(ntp, from, &bytes, now) {
                in_flight.push((!to_a, out));
            }
            hops += 1;
            // The packet to A, and at most A's answers to B.
            assert!(hops <= 2, "packet {k} ({:02x?}) bounces", &first[..4]);
        }
        answered += usize::from(hops == 2);
    }
    assert!(answered >= 20, "A answered {answered} of them");
}
