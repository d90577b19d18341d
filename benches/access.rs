//! Cost of access control per request: restrict lookup plus rate limiting.

use core::net::{IpAddr, SocketAddr};
use criterion::{Criterion, black_box, criterion_group, criterion_main};
use sundial::access::{Access, RateLimiter, RateParams, Request, RequestKind, RestrictFlags};
use sundial::{NtpDuration, NtpTime};

fn bench(c: &mut Criterion) {
    let t0 = NtpTime::from_parts(3_970_000_000, 0);
    let mut limiter = RateLimiter::<1024>::new(RateParams::default(), 1);
    let mut i = 0u32;
    c.bench_function("ratelimit check (new addresses, full table)", |b| {
        b.iter(|| {
            i = i.wrapping_add(1);
            let now = t0 + NtpDuration::from_micros(i64::from(i));
            black_box(limiter.check(IpAddr::from(i.to_be_bytes()), now, true))
        })
    });
    let mut access: Access<32, 1024> = Access::new(RateParams::default(), 2);
    for k in 0..30u8 {
        access
            .restrict
            .add_prefix(IpAddr::from([10, k, 0, 0]), 16, RestrictFlags::NOQUERY)
            .unwrap();
    }
    access
        .restrict
        .set_default(None, RestrictFlags::LIMITED | RestrictFlags::KOD);
    let req = Request {
        kind: RequestKind::Client,
        version: 4,
        authenticated: false,
    };
    let mut j = 0u32;
    c.bench_function("access check (30 restrict entries, limited kod)", |b| {
        b.iter(|| {
            j = j.wrapping_add(1);
            let from = SocketAddr::new(IpAddr::from((j % 4096).to_be_bytes()), 123);
            let now = t0 + NtpDuration::from_millis(i64::from(j));
            black_box(access.check(from, now, req))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
