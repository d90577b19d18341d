//! Fuzz the server: arbitrary datagrams through `Server::reply` and
//! `Server::kod`. Nothing may panic; an unsigned reply is never larger than
//! the request, and what is sent parses back as a mode 2/4 packet.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sundial::NtpTime;
use sundial::auth::{Algorithm, Key, KeyId, KeyTable};
use sundial::server::{MAX_SERVER_PACKET_LEN, Server, SystemVariables, stamp_transmit};
use sundial::wire::{KissCode, NtpPacket};

fuzz_target!(|data: &[u8]| {
    let mut keys = KeyTable::<2>::new();
    if let Ok(k) = Key::new(KeyId(1), Algorithm::Md5, b"secret") {
        let _ = keys.insert(k, true);
    }
    let sys = SystemVariables::default();
    let from = core::net::SocketAddr::from(([192, 0, 2, 1], 123));
    let mut server = Server::<4>::new();
    let mut buf = [0u8; MAX_SERVER_PACKET_LEN];
    let rx = NtpTime::from_parts(0xeeac_0000, 0);
    for _ in 0..2 {
        if let Ok(p) = server.reply(data, from, rx, &sys, &keys, &mut buf) {
            assert!(p.len <= data.len());
            let key = p.key.and_then(|id| keys.trusted(id));
            assert_eq!(stamp_transmit(&mut buf[..p.len], rx, key), Some(p.len));
            assert!(NtpPacket::parse(&buf[..p.len]).is_ok());
            server.transmitted(from, p.receive, rx);
        }
    }
    if let Ok(p) = server.kod(data, KissCode::Rate, &keys, &mut buf) {
        assert_eq!(p.len, 48);
        assert!(p.len <= data.len());
    }
});
