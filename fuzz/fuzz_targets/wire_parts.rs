//! The pieces of an NTP packet on their own: the trailer after the header
//! (extension fields and MAC, `split_trailer`, per version), single extension
//! fields and MACs (parse/emit round trips), and the reference id in every
//! form (ASCII, kiss codes, text for each stratum).
#![no_main]

use std::fmt::Write;

use libfuzzer_sys::fuzz_target;
use sundial::wire::{ExtensionField, Extensions, KissCode, Mac, RefId, split_trailer};

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };

    // Trailer split: the parts put back together are the input.
    let version = sel % 8;
    if let Ok((fields, mac)) = split_trailer(version, rest) {
        let mac_len = mac.map_or(0, |m| m.buffer_len());
        assert_eq!(fields.len() + mac_len, rest.len());
        assert_eq!(fields, &rest[..fields.len()]);
        if version < 4 {
            assert!(fields.is_empty());
        }
        let n = Extensions::validate(fields).expect("fields region holds only fields");
        assert_eq!(Extensions::new(fields).count(), n);
        if let Some(m) = mac {
            assert!(Mac::is_valid_len(m.buffer_len()));
            let mut out = vec![0u8; m.buffer_len()];
            assert_eq!(m.emit(&mut out), Ok(out.len()));
            assert_eq!(&out[..], &rest[fields.len()..]);
        }
    }

    // One extension field: parse, emit the same bytes, parse the same field.
    if let Ok((field, after)) = ExtensionField::parse(rest) {
        let used = rest.len() - after.len();
        assert_eq!(field.buffer_len(), used);
        let mut out = vec![0u8; used];
        assert_eq!(field.emit(&mut out), Ok(used));
        assert_eq!(&out[..], &rest[..used]);
        assert_eq!(ExtensionField::parse(&out).map(|(f, _)| f), Ok(field));
    }
    // The iterator stops after its first error.
    let mut saw_error = false;
    for f in Extensions::new(rest) {
        assert!(!saw_error, "item after an error");
        saw_error = f.is_err();
    }

    // One MAC.
    if let Ok(mac) = Mac::parse(rest) {
        let mut out = vec![0u8; mac.buffer_len()];
        assert_eq!(mac.emit(&mut out), Ok(rest.len()));
        assert_eq!(&out[..], rest);
        assert_eq!(mac.is_crypto_nak(), rest.len() == 4);
    }

    // Reference ids: every 4-byte window.
    let mut text = String::new();
    for w in rest.windows(4).take(16) {
        let id = RefId::from_bytes([w[0], w[1], w[2], w[3]]);
        assert_eq!(RefId::from_u32(id.to_u32()), id);
        if let Some(ascii) = id.as_ascii() {
            assert_eq!(RefId::from_ascii(ascii), Some(id));
        }
        if let Some(code) = id.kiss_code() {
            assert_eq!(code.to_ref_id(), id);
            assert_eq!(KissCode::from_ref_id(id), Some(code));
            let _ = code.is_deny();
            text.clear();
            write!(text, "{code}").unwrap();
        }
        for stratum in [0, 1, 2, 15, 16, sel] {
            text.clear();
            write!(text, "{}", id.display(stratum)).unwrap();
            assert!(!text.is_empty() && text.len() <= 15, "{text:?}");
        }
    }
});
