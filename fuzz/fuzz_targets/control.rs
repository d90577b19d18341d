//! Mode 6 control messages: parse never panics, and whatever parses
//! re-emits byte for byte and parses to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sundial::wire::ControlRepr;

fuzz_target!(|data: &[u8]| {
    let Ok(message) = ControlRepr::parse(data) else {
        return;
    };
    let mut out = vec![0u8; message.buffer_len()];
    let n = message.emit(&mut out).expect("a parsed message emits");
    assert_eq!(&out[..n], data, "re-emit differs");
    assert_eq!(
        ControlRepr::parse(&out[..n]),
        Ok(message),
        "re-parse differs"
    );
});
