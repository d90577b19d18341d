//! The size baseline: a firmware that does nothing (reset handler, vector
//! table, an idle loop). `.ci/firmware-size.sh` subtracts its flash and RAM
//! from the `sntp_query` build to get what the one-shot query adds, the way
//! sntpc's footprint is quoted.
#![no_std]
#![no_main]

use core::hint::black_box;
use core::panic::PanicInfo;

use cortex_m_rt::entry;

#[entry]
fn main() -> ! {
    loop {
        // The same opaque "network" the query build uses, without the query.
        black_box([0u8; 48]);
        cortex_m::asm::wfi();
    }
}

#[panic_handler]
fn panic(_: &PanicInfo) -> ! {
    loop {
        cortex_m::asm::wfi();
    }
}
