//! Big-endian field access on byte slices that cannot panic: reads out of
//! range give 0, writes out of range do nothing. Views check lengths once in
//! `new_checked`, so these fallbacks only matter for unchecked views.

use core::ops::Range;

/// Reads one byte at `at` (0 if out of range).
pub(crate) fn read_u8(buf: &[u8], at: usize) -> u8 {
    buf.get(at).copied().unwrap_or(0)
}

/// Reads a big-endian `u16` from `range` (0 if out of range).
pub(crate) fn read_u16(buf: &[u8], range: Range<usize>) -> u16 {
    buf.get(range)
        .and_then(|s| s.try_into().ok())
        .map_or(0, u16::from_be_bytes)
}

/// Reads a big-endian `u32` from `range` (0 if out of range).
pub(crate) fn read_u32(buf: &[u8], range: Range<usize>) -> u32 {
    buf.get(range)
        .and_then(|s| s.try_into().ok())
        .map_or(0, u32::from_be_bytes)
}

/// Reads a big-endian `u64` from `range` (0 if out of range).
pub(crate) fn read_u64(buf: &[u8], range: Range<usize>) -> u64 {
    buf.get(range)
        .and_then(|s| s.try_into().ok())
        .map_or(0, u64::from_be_bytes)
}

/// Writes `bytes` at `range` if the range is in bounds and the lengths agree.
pub(crate) fn write(buf: &mut [u8], range: Range<usize>, bytes: &[u8]) {
    if let Some(dst) = buf.get_mut(range) {
        if dst.len() == bytes.len() {
            dst.copy_from_slice(bytes);
        }
    }
}

/// Writes one byte at `at` if in range.
pub(crate) fn write_u8(buf: &mut [u8], at: usize, value: u8) {
    if let Some(b) = buf.get_mut(at) {
        *b = value;
    }
}

/// Zeroes `range` (as much of it as is in bounds).
pub(crate) fn zero(buf: &mut [u8], range: Range<usize>) {
    let end = range.end.min(buf.len());
    if let Some(dst) = buf.get_mut(range.start.min(end)..end) {
        dst.fill(0);
    }
}
