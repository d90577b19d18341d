//! Nanoseconds per processed packet in an association: a full client exchange
//! (poll_transmit + parse + handle_packet of the reply), the same with an MD5
//! MAC on both packets, and the cheap path of a rejected (bogus) reply.
//! Also prints `size_of::<Association>()`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use sundial::association::{Association, AssociationConfig, SystemSnapshot};
use sundial::auth::{Algorithm, Key, KeyId, KeyTable};
use sundial::time::{NtpDuration, NtpShort, NtpTime, PollInterval};
use sundial::wire::{HEADER_LEN, HeaderRepr, LeapIndicator, Mode, NtpPacket, Packet, RefId};

const T0: NtpTime = NtpTime::from_parts(4_004_208_000, 0);

fn keys() -> KeyTable<4> {
    let mut t = KeyTable::new();
    t.insert(Key::new(KeyId(1), Algorithm::Md5, b"secret").unwrap(), true)
        .unwrap();
    t
}

/// A server reply to `req` (server clock 250 µs ahead, 50 µs each way).
fn reply(req: &[u8], sent: NtpTime, keys: &KeyTable<4>, out: &mut [u8; 128]) -> usize {
    let q = NtpPacket::parse(req).unwrap().header;
    let rx = sent + NtpDuration::from_micros(300);
    let h = HeaderRepr {
        leap: LeapIndicator::NoWarning,
        version: 4,
        mode: Mode::Server,
        stratum: 1,
        poll: q.poll,
        precision: -24,
        root_delay: NtpShort::ZERO,
        root_dispersion: NtpShort::from_bits(50),
        ref_id: RefId::from_bytes(*b"GPS\0"),
        reference_timestamp: (rx - NtpDuration::from_seconds(5)).to_timestamp(),
        origin_timestamp: q.transmit_timestamp,
        receive_timestamp: rx.to_timestamp(),
        transmit_timestamp: (rx + NtpDuration::from_micros(5)).to_timestamp(),
    };
    h.emit(&mut Packet::new_unchecked(&mut out[..HEADER_LEN]));
    if req.len() > HEADER_LEN {
        keys.trusted(KeyId(1))
            .unwrap()
            .sign(out, HEADER_LEN)
            .unwrap()
    } else {
        HEADER_LEN
    }
}

fn exchange_bench(c: &mut Criterion, name: &str, config: AssociationConfig) {
    let keys = keys();
    let sys = SystemSnapshot::default();
    let poll = sundial::association::PollConfig {
        minpoll: PollInterval::from_log2(4),
        maxpoll: PollInterval::from_log2(4),
        burst: false,
        iburst: false,
    };
    let mut a = Association::new(config.with_poll(poll), T0, 0);
    let mut entropy = 1u64;
    c.bench_function(name, |b| {
        b.iter(|| {
            let now = a.next_timeout();
            entropy = entropy
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            let mut buf = [0u8; 128];
            let n = a
                .poll_transmit(now, entropy, &sys, &keys, &mut buf)
                .unwrap();
            let mut out = [0u8; 128];
            let m = reply(&buf[..n], now, &keys, &mut out);
            let p = NtpPacket::parse(&out[..m]).unwrap();
            let r = a.handle_packet(
                now + NtpDuration::from_micros(110),
                &p,
                &out[..m],
                &sys,
                &keys,
            );
            black_box(r).unwrap();
        })
    });
}

fn benches(c: &mut Criterion) {
    println!(
        "size_of::<Association>() = {} bytes",
        core::mem::size_of::<Association>()
    );
    let remote = "10.0.0.1:123".parse().unwrap();
    exchange_bench(
        c,
        "client exchange (transmit + receive)",
        AssociationConfig::client(remote),
    );
    exchange_bench(
        c,
        "client exchange, MD5 both ways",
        AssociationConfig::client(remote).with_key(KeyId(1)),
    );

    // A reply that fails the origin check: the cost of dropping junk.
    let keys = keys();
    let sys = SystemSnapshot::default();
    let mut a = Association::new(AssociationConfig::client(remote), T0, 0);
    let mut buf = [0u8; 128];
    let n = a.poll_transmit(T0, 42, &sys, &keys, &mut buf).unwrap();
    let mut out = [0u8; 128];
    let m = reply(&buf[..n], T0, &keys, &mut out);
    out[24] ^= 1;
    let bytes = out[..m].to_vec();
    c.bench_function("bogus reply (parse + reject)", |b| {
        b.iter(|| {
            let p = NtpPacket::parse(black_box(&bytes)).unwrap();
            black_box(a.handle_packet(T0, &p, &bytes, &sys, &keys)).unwrap_err();
        })
    });
}

criterion_group!(association, benches);
criterion_main!(association);
