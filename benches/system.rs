//! The whole core on the server path: one client request through
//! `Ntp::handle_packet` (parse, restrict + rate limit, reply, stamp), ns per
//! request — the core's share of a daemon's per-request CPU.

use core::net::{IpAddr, Ipv4Addr, SocketAddr};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use sundial::refclock::{Fudge, Refclock, RefclockId};
use sundial::select::CandidateFlags;
use sundial::system::{MAX_PACKET_LEN, Ntp, SystemConfig};
use sundial::{NtpDuration, NtpTime};

fn synchronized_server() -> (Ntp<4, 4>, NtpTime) {
    let mut t = NtpTime::from_unix(1_800_000_000, 0);
    let mut ntp: Ntp<4, 4> = Ntp::new(SystemConfig::default(), t, [5; 16]);
    let clock = Refclock::new(RefclockId::new(1, 0), 0, Fudge::NONE).expect("local");
    ntp.add_refclock(clock, None, CandidateFlags::empty(), t)
        .expect("slot");
    let mut buf = [0u8; MAX_PACKET_LEN];
    for _ in 0..120 {
        ntp.handle_timeout(t);
        while ntp.poll_transmit(t, &mut buf).is_some() {}
        while let Some(adj) = ntp.poll_adjustment() {
            ntp.adjustment_applied(adj, t);
        }
        t += NtpDuration::from_seconds(1);
    }
    assert!(ntp.system_variables().stratum < 16, "server synchronised");
    (ntp, t)
}

fn bench(c: &mut Criterion) {
    let (mut ntp, t) = synchronized_server();
    let mut request = [0u8; 48];
    request[0] = 0x23;
    request[40..48].copy_from_slice(&0x1234_5678_9abc_def0u64.to_be_bytes());
    let mut out = [0u8; MAX_PACKET_LEN];
    let mut client = 0u32;
    c.bench_function(
        "system: client request -> reply (handle_packet + stamp)",
        |b| {
            b.iter(|| {
                // Many clients, as a busy server sees them.
                client = client.wrapping_add(1);
                let from = SocketAddr::new(
                    IpAddr::V4(Ipv4Addr::from(0x0a00_0000 | (client & 0xffff))),
                    123,
                );
                let tx = ntp.handle_packet(t, from, black_box(&request), t, &mut out);
                if let Some(tx) = tx {
                    ntp.stamp_transmit(&tx, &mut out, t);
                }
                black_box(&out);
            })
        },
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
