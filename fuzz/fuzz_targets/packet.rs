//! NTP packet (header + extension fields + MAC): parse never panics, and
//! whatever parses re-emits byte for byte and parses to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sundial::wire::{Extensions, NtpPacket};

fuzz_target!(|data: &[u8]| {
    let Ok(packet) = NtpPacket::parse(data) else {
        return;
    };
    // Every field of a parsed packet is well formed.
    assert!(Extensions::validate(packet.extensions).is_ok());
    let mut out = vec![0u8; packet.buffer_len()];
    let n = packet.emit(&mut out).expect("a parsed packet emits");
    assert_eq!(&out[..n], data, "re-emit differs");
    assert_eq!(NtpPacket::parse(&out[..n]), Ok(packet), "re-parse differs");
});
