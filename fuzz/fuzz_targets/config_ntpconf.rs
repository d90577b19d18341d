//! Fuzz the ntp.conf parser: arbitrary bytes fed in chunks through the LineReader.
//! Anything that parses must emit text that parses back to the same configuration,
//! and feeding the same text whole must give the same answer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sundial::config::{LineReader, Parser, parse};

fuzz_target!(|data: &[u8]| {
    let mut reader = LineReader::<256>::new();
    let mut parser = Parser::<8, 8, 8>::new();
    // Chunk sizes from the first byte, so the fuzzer explores line splits too.
    let chunk = usize::from(data.first().copied().unwrap_or(1)).max(1);
    let mut result = Ok(());
    for c in data.chunks(chunk) {
        result = reader.push(c, |line| parser.feed_line(line));
        if result.is_err() {
            break;
        }
    }
    if result.is_ok() {
        result = reader.finish(|line| parser.feed_line(line));
    }
    if result.is_err() {
        return;
    }
    let parsed = parser.finish();
    if let Ok(text) = core::str::from_utf8(data) {
        if text.lines().all(|l| l.len() <= 256) {
            let whole =
                parse::<8, 8, 8>(text).expect("chunked parse succeeded, whole parse must too");
            assert_eq!(whole, parsed);
        }
    }
    let emitted = parsed.config.to_string();
    let again = parse::<8, 8, 8>(&emitted).expect("emitted configuration must parse");
    assert_eq!(again.config, parsed.config, "emitted:\n{emitted}");
});
