//! Fuzz the keys-file parser line by line and as a whole file. Every key it accepts is
//! usable: it signs a packet, and its id is in ntpd's range.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sundial::config::{KeyLine, parse_key_line, parse_keys};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    for line in text.lines() {
        if let Ok(Some(KeyLine::Key(key))) = parse_key_line(line) {
            assert!((1..=65535).contains(&key.id().0));
            let mut buf = [0u8; 48 + 4 + 20];
            assert!(key.sign(&mut buf, 48).is_some());
        }
    }
    if let Ok(parsed) = parse_keys::<8>(text) {
        assert!(parsed.keys.len() <= 8);
    }
});
