//! The querying side of mode 6 (what the ntpq example runs on): a stream of
//! datagrams through `ControlRepr::parse` into `ResponseAssembler`, then the
//! reassembled data (and the raw input) through the variable-list and
//! association-list readers and the value parsers.
//!
//! Checked against a shadow model: the assembler completes exactly when the
//! fragments it took cover `0..end` with nothing missing, its data is the
//! bytes those fragments carried, and a refused fragment changes nothing.
//! Variable names are non-empty printable ASCII; the integer and hex readers
//! agree with `str::parse` / `from_str_radix`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sundial::control::client::{
    self, Assembly, ResponseAssembler, ResponseError, Variable, Variables,
};
use sundial::wire::{ControlRepr, Opcode};

const SEQUENCE: u16 = 0x1234;
const OPCODE: Opcode = Opcode::ReadVariables;

fn check_variables(data: &[u8]) {
    let mut items = 0usize;
    for item in Variables::new(data) {
        items += 1;
        assert!(items <= data.len(), "more items than bytes");
        let Ok(v) = item else { continue };
        assert!(!v.name.is_empty());
        assert!(
            v.name
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'=')
        );
        check_value(&v);
    }
}

fn check_value(v: &Variable<'_>) {
    let text = core::str::from_utf8(v.value).ok();
    if let Ok(n) = v.integer() {
        assert_eq!(text.and_then(|t| t.parse::<i64>().ok()), Some(n));
    } else if let Some(t) = text {
        // std reads exactly the same syntax and range.
        if let Ok(n) = t.parse::<i64>() {
            panic!("integer() refused {t:?} that std reads as {n}");
        }
    }
    if let Ok(n) = v.hex() {
        let t = text.expect("hex digits are ASCII");
        assert_eq!(
            u32::from_str_radix(t.trim_start_matches("0x"), 16).ok(),
            Some(n)
        );
    }
    if let Ok(ts) = v.timestamp() {
        let t = text.expect("timestamps are ASCII");
        let (s, f) = t.trim_start_matches("0x").split_once('.').expect("a dot");
        assert_eq!(u32::from_str_radix(s, 16).ok(), Some(ts.seconds()));
        assert_eq!(u32::from_str_radix(f, 16).ok(), Some(ts.fraction()));
    }
    let _ = v.millis();
}

fuzz_target!(|data: &[u8]| {
    // The raw input as a variable list and an association list.
    check_variables(data);
    if let Ok(list) = client::associations(data) {
        assert_eq!(list.count(), data.len() / 4);
    }

    // Records: [flags][len: u16 BE][bytes; len]. flags & 1: make it a response to
    // our request (response bit, sequence, opcode) so reassembly is explored.
    let mut storage = [0u8; 2048];
    let cap = storage.len();
    let mut asm = ResponseAssembler::new(&mut storage, OPCODE, SEQUENCE);
    let mut shadow: Vec<Option<u8>> = vec![None; cap];
    let mut end: Option<usize> = None;
    let mut rest = data;
    while let [flags, hi, lo, tail @ ..] = rest {
        let len = usize::from(u16::from_be_bytes([*hi, *lo])).min(tail.len());
        let (bytes, next) = tail.split_at(len);
        rest = next;
        let mut dgram = bytes.to_vec();
        if flags & 1 != 0 && dgram.len() >= 12 {
            dgram[0] = (dgram[0] & 0xc0) | (2 << 3) | 6;
            dgram[1] = (dgram[1] & 0x60) | 0x80 | 2; // keep error/more, set response, READVAR
            dgram[2..4].copy_from_slice(&SEQUENCE.to_be_bytes());
            if flags & 2 != 0 {
                dgram[1] &= !0x40; // no error bit
            }
            if flags & 4 != 0 {
                // Offset and count from the flags, so fragments line up often.
                let count = usize::from(flags >> 3) * 4;
                let off = usize::from(dgram[9] & 0x7) * 64;
                dgram[8..10].copy_from_slice(&(off as u16).to_be_bytes());
                dgram[10..12].copy_from_slice(&(count as u16).to_be_bytes());
                dgram.resize(12 + count, b'a');
            }
        }
        let Ok(frag) = ControlRepr::parse(&dgram) else {
            continue;
        };
        let before_data = asm.data().map(<[u8]>::to_vec);
        let before_status = asm.status();
        match asm.push(&frag) {
            Ok(state) => {
                let start = usize::from(frag.offset);
                for (i, &b) in frag.data.iter().enumerate() {
                    let slot = &mut shadow[start + i];
                    // A repeat carries the same range; the first bytes stay.
                    if slot.is_none() {
                        *slot = Some(b);
                    }
                }
                if !frag.more {
                    let e = start + frag.data.len();
                    assert!(end.is_none_or(|k| k == e));
                    end = Some(e);
                }
                let whole = end.filter(|&e| shadow[..e].iter().all(Option::is_some));
                match (state, whole) {
                    (Assembly::Complete(n), Some(e)) => {
                        assert_eq!(n, e);
                        assert!(shadow[e..].iter().all(Option::is_none), "data past the end");
                        let got = asm.data().expect("complete has data");
                        let want: Vec<u8> = shadow[..e].iter().map(|b| b.unwrap()).collect();
                        assert_eq!(got, &want[..]);
                        check_variables(got);
                        if let Ok(list) = client::associations(got) {
                            assert_eq!(list.count(), got.len() / 4);
                        }
                    }
                    (Assembly::Waiting, None) => assert!(asm.data().is_none()),
                    (s, w) => panic!("assembler says {s:?}, model says {w:?}"),
                }
            }
            Err(e) => {
                if e == ResponseError::NotOurs {
                    assert!(!frag.response || frag.sequence != SEQUENCE || frag.opcode != OPCODE);
                }
                assert_eq!(
                    asm.data().map(<[u8]>::to_vec),
                    before_data,
                    "refusal changed data"
                );
                assert_eq!(asm.status(), before_status);
            }
        }
    }
});
