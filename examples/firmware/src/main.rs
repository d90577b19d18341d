//! A GPS + PPS stratum-1 NTP server board, as Cortex-M firmware.
//!
//! The core (`sundial`, default features off, `defmt` on) runs as on a real
//! board: its clock is a 16 MHz hardware counter with a software frequency
//! trim ([`board::SoftClock`]), the GPS's NMEA sentences come through a UART
//! FIFO read with `embedded_io`, PPS edges through a timer input-capture
//! channel, and NTP clients through an Ethernet MAC with receive stamps — all
//! pumped by `sundial::io::pump`. Under QEMU the world around the board (true
//! time, the crystal, the receiver, the LAN clients) is the scripted trace of
//! [`scenario`], which the host replays bit for bit in
//! tests/firmware_replay.rs.
//!
//! Output goes over semihosting: progress, the instruction counts of the
//! core's work on this CPU (SysTick under `-icount shift=0`, calibrated
//! against a loop of known length: QEMU 7.2 does not model the DWT, its
//! CYCCNT reads 0), the stack high-water mark, the digest and PASS/FAIL; the
//! exit status is 0 only if every check passed.
//!
//! Run (from examples/firmware; needs `qemu-system-arm`):
//! `cargo run --release --target thumbv7m-none-eabi` (Cortex-M3, lm3s6965evb) or
//! `cargo run --release --target thumbv7em-none-eabihf` (Cortex-M4F, mps2-an386).
#![no_std]
#![no_main]

mod board;
mod scenario;
mod stack;

use core::panic::PanicInfo;

use cortex_m::peripheral::SYST;
use cortex_m::peripheral::syst::SystClkSource;
use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprintln};

use board::{Cost, Meter};
use scenario::Board;

/// SysTick is a 24-bit down-counter.
const SYST_MASK: u32 = 0x00FF_FFFF;
/// Iterations of the calibration loop (two instructions each).
const CALIBRATION_LOOPS: u32 = 200_000;

/// Measures the core's work with SysTick.
struct SysTickMeter {
    start: u32,
    /// Per [`Cost`]: count, total and largest SysTick ticks.
    stats: [(u32, u64, u32); 4],
}

impl SysTickMeter {
    fn slot(what: Cost) -> usize {
        match what {
            Cost::Reply => 0,
            Cost::Processed => 1,
            Cost::Serial => 2,
            Cost::Pps => 3,
        }
    }
}

impl Meter for SysTickMeter {
    fn begin(&mut self) {
        self.start = SYST::get_current();
    }

    fn end(&mut self, what: Cost) {
        let ticks = self.start.wrapping_sub(SYST::get_current()) & SYST_MASK;
        if let Some((n, total, max)) = self.stats.get_mut(Self::slot(what)) {
            *n += 1;
            *total += u64::from(ticks);
            *max = (*max).max(ticks);
        }
    }
}

/// Instructions per 1024 SysTick ticks: times a loop of known length.
fn calibrate() -> u64 {
    let start = SYST::get_current();
    let mut n = CALIBRATION_LOOPS;
    // SAFETY: a register-only countdown loop; touches no memory.
    unsafe {
        core::arch::asm!("2:", "subs {0}, #1", "bne 2b", inout(reg) n, options(nomem, nostack));
    }
    let _ = n;
    let ticks = u64::from(start.wrapping_sub(SYST::get_current()) & SYST_MASK).max(1);
    u64::from(2 * CALIBRATION_LOOPS) * 1024 / ticks
}

#[entry]
fn main() -> ! {
    stack::paint();
    let Some(mut cp) = cortex_m::Peripherals::take() else {
        fail("peripherals")
    };
    cp.SYST.set_clock_source(SystClkSource::Core);
    cp.SYST.set_reload(SYST_MASK);
    cp.SYST.clear_current();
    cp.SYST.enable_counter();
    let per_1024 = calibrate();

    // The core (14 KB) lives in this frame: `Ntp::new` builds it straight
    // into it, whereas a static would take a copy on the stack on the way
    // (LLVM writes a call's result in place only into a stack slot).
    let script = &scenario::BOARD_SCRIPT;
    let mut core = scenario::new_core(script);
    let ntp = &mut core;
    if !scenario::configure(ntp, script) {
        fail("refclock");
    }
    hprintln!(
        "sundial firmware: GPS+PPS stratum-1 board, {} simulated s; core state {} bytes",
        scenario::END_AT,
        core::mem::size_of::<Board>()
    );
    let mut meter = SysTickMeter {
        start: 0,
        stats: [(0, 0, 0); 4],
    };
    let outcome = scenario::run(script, ntp, &mut meter, &mut |line| hprintln!("{}", line));

    hprintln!(
        "instructions on this core (QEMU -icount; SysTick calibrated {} insn/1024 ticks):",
        per_1024
    );
    for (name, what) in [
        ("client request -> reply (receive to send)", Cost::Reply),
        (
            "upstream server reply, processed as a client",
            Cost::Processed,
        ),
        ("NMEA serial chunk (handle_serial)", Cost::Serial),
        ("PPS edge (handle_pps)", Cost::Pps),
    ] {
        if let Some(&(n, total, max)) = meter.stats.get(SysTickMeter::slot(what)) {
            let avg = total * per_1024 / 1024 / u64::from(n.max(1));
            let max = u64::from(max) * per_1024 / 1024;
            hprintln!("  {}: {} avg, {} max over {}", name, avg, max, n);
        }
    }
    hprintln!(
        "stack used: {} of {} bytes",
        stack::high_water(),
        stack::available()
    );
    hprintln!(
        "checks: {} passed, {} failed; {} replies",
        outcome.passed,
        outcome.failed,
        outcome.replies
    );
    hprintln!("digest {:016x}", outcome.digest);
    if outcome.failed == 0 && outcome.passed > 0 {
        hprintln!("PASS");
        debug::exit(debug::EXIT_SUCCESS);
    } else {
        hprintln!("FAIL");
        debug::exit(debug::EXIT_FAILURE);
    }
    loop {
        cortex_m::asm::wfi();
    }
}

fn fail(what: &'static str) -> ! {
    // Raw bytes: `{}` on a str would link core's padding code and its panics.
    if let Ok(mut out) = cortex_m_semihosting::hio::hstdout() {
        let _ = out.write_all(b"setup failed: ");
        let _ = out.write_all(what.as_bytes());
        let _ = out.write_all(b"\n");
    }
    debug::exit(debug::EXIT_FAILURE);
    loop {
        cortex_m::asm::wfi();
    }
}

#[panic_handler]
fn panic(_: &PanicInfo) -> ! {
    hprintln!("panic");
    debug::exit(debug::EXIT_FAILURE);
    loop {
        cortex_m::asm::wfi();
    }
}
