//! The whole core under arbitrary input: a synchronised server with one
//! upstream association takes a stream of datagrams (from its upstream or
//! from anyone), timer runs and applied adjustments. It must never panic,
//! never answer an unauthenticated NTP request with more bytes than it
//! received, and never write past the length it reports.
#![no_main]

use core::net::{IpAddr, Ipv4Addr, SocketAddr};
use libfuzzer_sys::fuzz_target;
use sundial::association::AssociationConfig;
use sundial::auth::{Algorithm, Key, KeyId};
use sundial::refclock::{Fudge, Refclock, RefclockId};
use sundial::select::CandidateFlags;
use sundial::system::{MAX_PACKET_LEN, Ntp, SystemConfig};
use sundial::{NtpDuration, NtpTime};

const UPSTREAM: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 123);

fuzz_target!(|data: &[u8]| {
    let mut now = NtpTime::from_unix(1_800_000_000, 0);
    let mut ntp: Ntp<4, 2> = Ntp::new(SystemConfig::default(), now, [9; 16]);
    if let Ok(key) = Key::new(KeyId(1), Algorithm::Md5, b"secret") {
        let _ = ntp.keys_mut().insert(key, true);
    }
    let local = Refclock::new(RefclockId::new(1, 0), 0, Fudge::NONE);
    if let Ok(local) = local {
        let _ = ntp.add_refclock(local, None, CandidateFlags::empty(), now);
    }
    let _ = ntp.add_association(
        AssociationConfig::client(UPSTREAM),
        CandidateFlags::empty(),
        now,
    );
    let mut out = [0u8; MAX_PACKET_LEN];
    let mut rest = data;
    // Each record: [source][seconds to advance][len][bytes; len].
    while let [source, advance, len, tail @ ..] = rest {
        let len = usize::from(*len).min(tail.len());
        let (bytes, next) = tail.split_at(len);
        rest = next;
        now = now + NtpDuration::from_millis(i64::from(*advance) * 250);
        let from = if source & 1 == 0 {
            UPSTREAM
        } else {
            SocketAddr::new(
                IpAddr::V4(Ipv4Addr::new(192, 0, 2, *source)),
                123 + u16::from(*source),
            )
        };
        if let Some(tx) = ntp.handle_packet(now, from, bytes, now, &mut out) {
            assert!(tx.len <= out.len());
            let mode = bytes.first().map_or(0, |b| b & 7);
            if mode != 6 {
                assert!(tx.len <= bytes.len(), "NTP reply larger than its request");
            }
            if tx.stamp_at_send {
                ntp.stamp_transmit(&tx, &mut out, now);
            }
        }
        ntp.handle_timeout(now);
        while let Some(tx) = ntp.poll_transmit(now, &mut out) {
            assert!(tx.len <= out.len());
        }
        while let Some(adj) = ntp.poll_adjustment() {
            now = now + adj.step;
            ntp.adjustment_applied(adj, now);
        }
        while ntp.poll_event().is_some() {}
    }
});
