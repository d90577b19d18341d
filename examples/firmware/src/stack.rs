//! Stack painting: measures the deepest the stack went.
//!
//! [`paint`] fills the free RAM between the end of the statics (`__sheap`,
//! from cortex-m-rt's linker script) and a little below the current stack
//! pointer with a pattern; [`high_water`] later finds the lowest word that no
//! longer holds it. The stack grows down from `_stack_start`, so everything
//! from there to the top was used at some point: that is the worst case
//! over what ran in between (interrupts included), not a static bound.

use core::ptr::{read_volatile, write_volatile};

const PAINT: u32 = 0xC0FF_EE55;
/// Bytes below the stack pointer left alone for `paint`'s own frame.
const MARGIN: usize = 256;

unsafe extern "C" {
    static __sheap: u32;
    static _stack_start: u32;
}

fn bottom() -> usize {
    (&raw const __sheap as usize + 3) & !3
}

fn top() -> usize {
    &raw const _stack_start as usize
}

/// Bytes of RAM the stack may use (from the statics' end to the top).
pub fn available() -> usize {
    top().saturating_sub(bottom())
}

/// Fills the unused stack with the pattern. Call once, early, from a
/// shallow frame.
#[inline(never)]
pub fn paint() {
    let sp = cortex_m::register::msp::read() as usize;
    let end = sp.saturating_sub(MARGIN);
    let mut p = bottom();
    while p < end {
        // SAFETY: [__sheap, sp - MARGIN) is RAM no static and no live frame uses.
        unsafe { write_volatile(p as *mut u32, PAINT) };
        p += 4;
    }
}

/// Bytes of stack used at the deepest point since [`paint`].
#[inline(never)]
pub fn high_water() -> usize {
    let mut p = bottom();
    let top = top();
    // SAFETY: reads of RAM between the statics and the stack top.
    while p < top && unsafe { read_volatile(p as *const u32) } == PAINT {
        p += 4;
    }
    top - p
}
