//! The size build of an SNTP-style client: the core's client machinery
//! without the system around it — one [`Association`] (poll timer with
//! iburst and backoff, the RFC 5905 packet tests, kiss-o'-death, reach,
//! the 8-stage clock filter) to one upstream server, and the firmware steps
//! its clock by each filter output (RFC 4330 style: no selection, no
//! discipline, no server, no keys).
//!
//! Datagrams, timer reads and entropy are opaque values (`black_box`), so
//! the compiler keeps every path the core can take on them; the build is
//! measured, not run.
#![no_std]
#![no_main]

use core::hint::black_box;
use core::net::{IpAddr, Ipv4Addr, SocketAddr};
use core::panic::PanicInfo;

use cortex_m_rt::entry;
use sundial::NtpTime;
use sundial::association::{Association, AssociationConfig, SystemSnapshot};
use sundial::auth::KeyTable;
use sundial::wire::NtpPacket;

const SERVER: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), 123);

fn now() -> NtpTime {
    let (secs, frac) = black_box((3_972_672_000i64, 0u32));
    NtpTime::from_parts(secs, frac)
}

#[entry]
fn main() -> ! {
    let mut config = AssociationConfig::client(SERVER);
    config.poll.iburst = true;
    let mut server = Association::new(config, now(), black_box(0x5eed));
    let sys = SystemSnapshot::unsynchronized(-20);
    let keys: KeyTable<0> = KeyTable::new();
    let mut buf = [0u8; 48];
    loop {
        let t = now();
        if server.next_timeout() <= t
            && let Some(len) = server.poll_transmit(t, black_box(0x1234), &sys, &keys, &mut buf)
        {
            // Send buf[..len] to SERVER.
            black_box((SERVER, buf.get(..len)));
            server.transmit_completed(now());
        }
        // A datagram from SERVER (length and bytes opaque).
        let len = black_box(48usize).min(buf.len());
        black_box(&mut buf);
        let rx = buf.get(..len).unwrap_or(&[]);
        let t4 = now();
        if let Ok(packet) = NtpPacket::parse(rx)
            && let Ok(Some(update)) = server.handle_packet(t4, &packet, rx, &sys, &keys)
        {
            // The clock driver steps by the filtered offset.
            let step = update.filter.offset;
            black_box(step);
            server.clock_stepped(step);
        }
        cortex_m::asm::wfi();
    }
}

#[panic_handler]
fn panic(_: &PanicInfo) -> ! {
    loop {
        cortex_m::asm::wfi();
    }
}
