//! Sentence assembly: serial bytes with receive timestamps in, complete sentences out.
//!
//! Owns: framing of a byte stream into sentences (`$ … \n` for NMEA, `STX … ETX` for the
//! Meinberg standard time string), the bounded buffer, resynchronisation after garbage or
//! overlong lines, and the receive timestamps of the first and the last byte of each sentence.
//! It does not look inside a sentence; the parsers do that.
//!
//! The timestamp type `T` is whatever the caller uses (the drivers use
//! [`NtpTime`](crate::time::NtpTime)); the assembler only copies it.

use crate::counter::bump;

/// How sentences start and end on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Framing {
    /// NMEA 0183: starts with `$`, ends with LF (the CR before it is kept in the sentence and
    /// stripped by the parser). Only printable ASCII and CR may occur inside.
    Nmea,
    /// STX (0x02) … ETX (0x03), as the Meinberg standard time string. Only printable ASCII may
    /// occur inside; CR/LF between sentences are ignored.
    StxEtx,
}

/// ASCII start of text.
pub const STX: u8 = 0x02;
/// ASCII end of text.
pub const ETX: u8 = 0x03;

impl Framing {
    const fn start(self) -> u8 {
        match self {
            Framing::Nmea => b'$',
            Framing::StxEtx => STX,
        }
    }

    const fn end(self) -> u8 {
        match self {
            Framing::Nmea => b'\n',
            Framing::StxEtx => ETX,
        }
    }

    /// Bytes allowed between start and end.
    const fn allowed_inside(self, b: u8) -> bool {
        matches!(b, 0x20..=0x7e) || (matches!(self, Framing::Nmea) && b == b'\r')
    }
}

/// A complete sentence, borrowed from the assembler until the next byte is pushed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sentence<'a, T> {
    /// The sentence from its start byte to its end byte, both included.
    pub bytes: &'a [u8],
    /// Receive time of the start byte.
    pub start_time: T,
    /// Receive time of the end byte (the "end of line" timestamp ntpd uses).
    pub end_time: T,
}

/// Counters kept by the assembler (all saturating).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct AssemblerCounters {
    /// Complete sentences delivered.
    pub sentences: u32,
    /// Partial sentences dropped because a new start byte arrived before the end byte.
    pub restarted: u32,
    /// Sentences dropped because they did not fit the buffer.
    pub overlong: u32,
    /// Partial sentences dropped because of a byte that may not occur inside a sentence.
    pub garbage: u32,
    /// Bytes skipped while hunting for a start byte.
    pub skipped_bytes: u32,
}

/// Frames a byte stream into sentences of at most `N` bytes (start and end byte included).
///
/// Push bytes one at a time with their receive time; a complete sentence is returned when its
/// end byte arrives. Anything that is not a well-formed frame is dropped and counted, and the
/// assembler hunts for the next start byte, so garbage never wedges it.
#[derive(Clone, Debug)]
pub struct SentenceAssembler<T, const N: usize> {
    framing: Framing,
    buf: [u8; N],
    len: usize,
    start_time: Option<T>,
    counters: AssemblerCounters,
}

impl<T: Copy, const N: usize> SentenceAssembler<T, N> {
    /// An empty assembler for `framing`.
    pub const fn new(framing: Framing) -> Self {
        Self {
            framing,
            buf: [0; N],
            len: 0,
            start_time: None,
            counters: ZERO_COUNTERS,
        }
    }

    /// The framing this assembler uses.
    pub const fn framing(&self) -> Framing {
        self.framing
    }

    /// Counters since creation.
    pub const fn counters(&self) -> AssemblerCounters {
        self.counters
    }

    /// Drops any partial sentence (for example after a serial overrun).
    pub fn reset(&mut self) {
        self.len = 0;
        self.start_time = None;
    }

    /// Whether a sentence is being collected.
    pub fn in_sentence(&self) -> bool {
        self.start_time.is_some()
    }

    /// Feeds one byte received at `rx_time`; returns the sentence it completes, if any.
    pub fn push(&mut self, byte: u8, rx_time: T) -> Option<Sentence<'_, T>> {
        let framing = self.framing;
        if byte == framing.start() {
            if self.start_time.is_some() {
                bump(&mut self.counters.restarted);
            }
            self.begin(byte, rx_time);
            return None;
        }
        let start_time = match self.start_time {
            Some(t) => t,
            None => {
                bump(&mut self.counters.skipped_bytes);
                return None;
            }
        };
        if byte == framing.end() {
            let Some(slot) = self.buf.get_mut(self.len) else {
                bump(&mut self.counters.overlong);
                self.reset();
                return None;
            };
            *slot = byte;
            let len = self.len + 1;
            self.reset();
            bump(&mut self.counters.sentences);
            return Some(Sentence {
                bytes: self.buf.get(..len).unwrap_or(&[]),
                start_time,
                end_time: rx_time,
            });
        }
        if !framing.allowed_inside(byte) {
            bump(&mut self.counters.garbage);
            self.reset();
            return None;
        }
        match self.buf.get_mut(self.len) {
            Some(slot) => {
                *slot = byte;
                self.len += 1;
            }
            None => {
                bump(&mut self.counters.overlong);
                self.reset();
            }
        }
        None
    }

    fn begin(&mut self, byte: u8, rx_time: T) {
        self.reset();
        if let Some(slot) = self.buf.get_mut(0) {
            *slot = byte;
            self.len = 1;
            self.start_time = Some(rx_time);
        } else {
            bump(&mut self.counters.overlong);
        }
    }
}

const ZERO_COUNTERS: AssemblerCounters = AssemblerCounters {
    sentences: 0,
    restarted: 0,
    overlong: 0,
    garbage: 0,
    skipped_bytes: 0,
};

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn collect<const N: usize>(
        asm: &mut SentenceAssembler<u32, N>,
        input: &[u8],
    ) -> Vec<(Vec<u8>, u32, u32)> {
        let mut out = Vec::new();
        for (i, &b) in input.iter().enumerate() {
            if let Some(s) = asm.push(b, i as u32) {
                out.push((s.bytes.to_vec(), s.start_time, s.end_time));
            }
        }
        out
    }

    #[test]
    fn nmea_lines_with_timestamps() {
        let mut asm = SentenceAssembler::<u32, 96>::new(Framing::Nmea);
        let input = b"junk$GPZDA,1*00\r\n$GPRMC\r\n";
        let out = collect(&mut asm, input);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].0, b"$GPZDA,1*00\r\n");
        assert_eq!((out[0].1, out[0].2), (4, 16));
        assert_eq!(out[1].0, b"$GPRMC\r\n");
        assert_eq!(asm.counters().skipped_bytes, 4);
        assert_eq!(asm.counters().sentences, 2);
    }

    #[test]
    fn restart_garbage_and_overlong() {
        let mut asm = SentenceAssembler::<u32, 8>::new(Framing::Nmea);
        let out = collect(&mut asm, b"$AB$CD\n$A\x00B\n$0123456789\n$OK\n");
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].0, b"$CD\n");
        assert_eq!(out[1].0, b"$OK\n");
        let c = asm.counters();
        assert_eq!((c.restarted, c.garbage, c.overlong), (1, 1, 1));
    }

    #[test]
    fn stx_etx() {
        let mut asm = SentenceAssembler::<u32, 40>::new(Framing::StxEtx);
        let out = collect(&mut asm, b"\r\n\x02D:01\x03\r\n\x02x\ny\x03\x02ok\x03");
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].0, b"\x02D:01\x03");
        assert_eq!(out[1].0, b"\x02ok\x03");
        assert_eq!(asm.counters().garbage, 1);
    }

    #[test]
    fn exact_capacity_fits() {
        let mut asm = SentenceAssembler::<u32, 4>::new(Framing::Nmea);
        assert_eq!(collect(&mut asm, b"$AB\n$ABC\n").len(), 1);
        assert_eq!(asm.counters().overlong, 1);
    }
}
