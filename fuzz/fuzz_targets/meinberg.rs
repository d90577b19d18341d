//! Fuzz the Meinberg standard time string path: bytes through the STX/ETX assembler into the
//! parser. A string that parses must describe a real date whose weekday matches.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sundial::refclock::calendar::DEFAULT_YEAR_WINDOW_START;
use sundial::refclock::meinberg;
use sundial::refclock::sentence::{Framing, SentenceAssembler};

fuzz_target!(|data: &[u8]| {
    let _ = meinberg::parse(data, DEFAULT_YEAR_WINDOW_START);
    let mut asm = SentenceAssembler::<usize, 40>::new(Framing::StxEtx);
    for (i, &b) in data.iter().enumerate() {
        if let Some(s) = asm.push(b, i) {
            if let Ok(t) = meinberg::parse(s.bytes, DEFAULT_YEAR_WINDOW_START) {
                assert_eq!(t.weekday, t.local_date.iso_weekday());
                let _ = t.utc_ntp_seconds();
            }
        }
    }
});
