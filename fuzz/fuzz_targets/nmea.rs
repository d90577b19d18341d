//! Fuzz the NMEA path: arbitrary bytes through the sentence assembler into the parser.
//! A sentence that parses must satisfy the parser's own invariants.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sundial::refclock::calendar::DEFAULT_YEAR_WINDOW_START;
use sundial::refclock::nmea::{self, MAX_SENTENCE_LEN};
use sundial::refclock::sentence::{Framing, SentenceAssembler};

fuzz_target!(|data: &[u8]| {
    let _ = nmea::parse(data, DEFAULT_YEAR_WINDOW_START);
    let mut asm = SentenceAssembler::<usize, MAX_SENTENCE_LEN>::new(Framing::Nmea);
    for (i, &b) in data.iter().enumerate() {
        if let Some(s) = asm.push(b, i) {
            assert!(s.start_time <= s.end_time);
            assert!(s.bytes.len() <= MAX_SENTENCE_LEN);
            if let Ok(t) = nmea::parse(s.bytes, DEFAULT_YEAR_WINDOW_START) {
                assert!(t.time.hour < 24 && t.time.minute < 60 && t.time.second <= 60);
                assert!(t.time.nanos < 1_000_000_000);
            }
        }
    }
});
