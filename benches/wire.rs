//! Parse and emit cost per packet, on packets captured from chrony/ntpsec:
//! a plain 48-byte server reply, an MD5-authenticated request (68 bytes)
//! and a 372-byte mode 6 READVAR response.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sundial::wire::{ControlRepr, NtpPacket};

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

const SERVER_REPLY: &str = concat!(
    "240100e600000000000000007f7f0101eeac002d6be53079eeac0035da7fb000",
    "eeac0035da8c5e99eeac0035db7b1326"
);
const MD5_REQUEST: &str = concat!(
    "e3000000000000000000000000000000000000000000000000000000000000000000",
    "000000000000eeac0035da7fb00000000001cca4e8e5546df3cc4259b3384276d336"
);

fn readvar_response() -> Vec<u8> {
    // 12-byte header, 357 bytes of text, 3 bytes of padding.
    let mut b = hex("16820002061400000000016500");
    b.truncate(12);
    b.extend(std::iter::repeat_n(b'x', 357));
    b.extend([0, 0, 0]);
    b
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("wire");
    g.throughput(Throughput::Elements(1));
    for (name, bytes) in [
        ("server48", hex(SERVER_REPLY)),
        ("md5_68", hex(MD5_REQUEST)),
    ] {
        g.bench_function(format!("parse/{name}"), |b| {
            b.iter(|| NtpPacket::parse(black_box(&bytes)).unwrap())
        });
        let packet = NtpPacket::parse(&bytes).unwrap();
        let mut out = [0u8; 128];
        g.bench_function(format!("emit/{name}"), |b| {
            b.iter(|| black_box(&packet).emit(black_box(&mut out)).unwrap())
        });
    }
    let bytes = readvar_response();
    g.bench_function("parse/control372", |b| {
        b.iter(|| ControlRepr::parse(black_box(&bytes)).unwrap())
    });
    let message = ControlRepr::parse(&bytes).unwrap();
    let mut out = [0u8; 512];
    g.bench_function("emit/control372", |b| {
        b.iter(|| black_box(&message).emit(black_box(&mut out)).unwrap())
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
