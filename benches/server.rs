//! ns per server reply: parse a client request, build the reply, stamp the
//! transmit time (basic mode; with and without an MD5 MAC), and a mode 6
//! READVAR of the system variables.

use core::net::SocketAddr;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use sundial::NtpTime;
use sundial::auth::{Algorithm, Key, KeyId, KeyTable};
use sundial::control::{
    ControlContext, ControlPolicy, ControlReply, ControlRequest, MAX_REPLY_LEN, PeerVariables,
};
use sundial::server::{MAX_SERVER_PACKET_LEN, Server, SystemVariables, stamp_transmit};
use sundial::wire::{LeapIndicator, RefId};

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn bench(c: &mut Criterion) {
    let sys = SystemVariables {
        leap: LeapIndicator::NoWarning,
        stratum: 1,
        precision: -26,
        refid: RefId::from_bytes(*b"GPS\0"),
        reference_time: Some(NtpTime::from_parts(0xeeab_fff0, 0x19ab_72a8)),
        ..SystemVariables::UNSYNCHRONIZED
    };
    let from: SocketAddr = "127.0.0.1:48918".parse().unwrap();
    let rx = NtpTime::from_parts(0xeeac_001c, 0xad9c_f405);
    let tx = NtpTime::from_parts(0xeeac_001c, 0xada1_8216);
    let plain = hex(
        "23000620000000000000000000000000000000000000000000000000000000000000000000000000f6dea5fa99b8e1b1",
    );
    let signed = hex(
        "e3000000000000000000000000000000000000000000000000000000000000000000000000000000eeac0035da7fb00000000001cca4e8e5546df3cc4259b3384276d336",
    );
    let mut keys = KeyTable::<4>::new();
    keys.insert(Key::new(KeyId(1), Algorithm::Md5, b"secret").unwrap(), true)
        .unwrap();
    let key = keys.trusted(KeyId(1));
    let mut server = Server::<64>::new();
    let mut buf = [0u8; MAX_SERVER_PACKET_LEN];

    c.bench_function("server_reply_basic", |b| {
        b.iter(|| {
            let p = server
                .reply(black_box(&plain), from, rx, &sys, &keys, &mut buf)
                .unwrap();
            stamp_transmit(&mut buf[..p.len], tx, None).unwrap();
            black_box(buf[47])
        })
    });
    c.bench_function("server_reply_md5", |b| {
        b.iter(|| {
            let p = server
                .reply(black_box(&signed), from, rx, &sys, &keys, &mut buf)
                .unwrap();
            stamp_transmit(&mut buf[..p.len], tx, key).unwrap();
            black_box(buf[67])
        })
    });
    let peers: [PeerVariables<'_>; 0] = [];
    let ctx = ControlContext {
        system: &sys,
        peers: &peers[..],
        now: tx,
        control_key: None,
    };
    let rv = hex("d60200010000000000000000");
    let mut out = [0u8; MAX_REPLY_LEN];
    c.bench_function("mode6_readvar_system", |b| {
        b.iter(|| {
            let req = ControlRequest::parse(black_box(&rv), None).unwrap();
            let mut reply = ControlReply::new(
                req,
                ControlPolicy {
                    noquery: false,
                    may_amplify: true,
                },
            )
            .unwrap();
            let mut n = 0;
            while let Some(len) = reply.next_fragment(&ctx, &mut out) {
                n += len;
            }
            black_box(n)
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
