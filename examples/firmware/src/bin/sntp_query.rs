//! The one-shot SNTP query path alone ([`sundial::sntp`]): build a request
//! from the send time, check the reply, compute offset and delay. The
//! "network" and the timer are opaque values (`black_box`), so the compiler
//! keeps every check and nothing folds away; `.ci/firmware-size.sh` reports
//! this build minus `empty` (the job the `sntpc` crate does: 3.6 KB on
//! thumbv7m, 4.0 KB on thumbv6m for sntpc 0.11).
#![no_std]
#![no_main]

use core::hint::black_box;
use core::panic::PanicInfo;

use cortex_m_rt::entry;
use sundial::NtpTime;
use sundial::sntp::Query;

#[entry]
fn main() -> ! {
    loop {
        // Local time at send (a timer read) and 64 bits of entropy.
        let (secs, frac, cookie) = black_box((3_972_672_000i64, 0u32, 0x5eed_u64));
        let query = Query::new(NtpTime::from_parts(secs, frac), cookie);
        let mut buf = [0u8; 48];
        if query.emit(&mut buf).is_ok() {
            // Send, then receive into the same buffer.
            black_box(&mut buf);
            let t4 = NtpTime::from_parts(black_box(secs), black_box(frac));
            match query.process(&buf, t4) {
                Ok(reply) => {
                    black_box((reply.offset, reply.delay, reply.leap, reply.stratum));
                }
                Err(e) => {
                    black_box(e);
                }
            }
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
