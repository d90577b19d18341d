//! Property tests for the wire format: `parse(emit(r)) == r` for the header,
//! extension fields, MACs, whole packets and mode 6 messages, and for any
//! bytes that parse, `emit(parse(b)) == b`.

use proptest::collection::vec;
use proptest::prelude::*;
use sundial::time::{NtpShort, NtpTimestamp, PollInterval};
use sundial::wire::{
    ControlRepr, Error, ExtensionField, ExtensionWriter, Extensions, HeaderRepr, LeapIndicator,
    Mac, Mode, NtpPacket, Opcode, Packet, RefId,
};

fn header() -> impl Strategy<Value = HeaderRepr> {
    (
        (
            0u8..4,
            1u8..=4,
            0u8..=5,
            any::<u8>(),
            any::<i8>(),
            any::<i8>(),
        ),
        (any::<u32>(), any::<u32>(), any::<u32>()),
        (any::<u64>(), any::<u64>(), any::<u64>(), any::<u64>()),
    )
        .prop_map(
            |((li, version, mode, stratum, poll, precision), (rd, rdisp, id), (a, b, c, d))| {
                HeaderRepr {
                    leap: LeapIndicator::from_bits(li),
                    version,
                    mode: if version == 1 {
                        Mode::Reserved
                    } else {
                        Mode::from_bits(mode)
                    },
                    stratum,
                    poll: PollInterval::from_log2(poll),
                    precision,
                    root_delay: NtpShort::from_bits(rd),
                    root_dispersion: NtpShort::from_bits(rdisp),
                    ref_id: RefId::from_u32(id),
                    reference_timestamp: NtpTimestamp::from_bits(a),
                    origin_timestamp: NtpTimestamp::from_bits(b),
                    receive_timestamp: NtpTimestamp::from_bits(c),
                    transmit_timestamp: NtpTimestamp::from_bits(d),
                }
            },
        )
}

/// (key id, digest) with a legal digest length.
fn mac_parts() -> impl Strategy<Value = (u32, Vec<u8>)> {
    (
        any::<u32>(),
        prop_oneof![Just(0usize), Just(16), Just(20), Just(32)],
    )
        .prop_flat_map(|(k, n)| (Just(k), vec(any::<u8>(), n)))
}

/// (type, value) pairs for extension fields.
fn fields() -> impl Strategy<Value = Vec<(u16, Vec<u8>, usize)>> {
    vec(
        (
            any::<u16>(),
            vec(any::<u8>(), 0..40),
            prop_oneof![Just(16usize), Just(28), Just(40)],
        ),
        0..4,
    )
}

proptest! {
    #[test]
    fn header_round_trip(h in header()) {
        let mut buf = [0u8; 48];
        h.emit(&mut Packet::new_unchecked(&mut buf[..]));
        let parsed = HeaderRepr::parse(&Packet::new_checked(&buf[..]).unwrap());
        prop_assert_eq!(parsed, Ok(h));
        prop_assert_eq!(h.check(), Ok(()));
    }

    #[test]
    fn mac_round_trip((key_id, digest) in mac_parts()) {
        let mac = Mac { key_id, digest: &digest };
        let mut buf = [0u8; 64];
        let n = mac.emit(&mut buf).unwrap();
        prop_assert_eq!(n, mac.buffer_len());
        prop_assert_eq!(Mac::parse(&buf[..n]), Ok(mac));
    }

    #[test]
    fn extensions_round_trip(fs in fields()) {
        let mut buf = [0u8; 512];
        let mut w = ExtensionWriter::new(&mut buf);
        for (t, value, min) in &fs {
            w.push_padded(*t, value, *min).unwrap();
        }
        let region = w.finish();
        let parsed: Vec<ExtensionField<'_>> = Extensions::new(region).collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(parsed.len(), fs.len());
        let mut again = [0u8; 512];
        let mut at = 0;
        for (f, (t, value, min)) in parsed.iter().zip(&fs) {
            prop_assert_eq!(f.field_type, *t);
            prop_assert_eq!(&f.body[..value.len()], &value[..]);
            prop_assert!(f.body[value.len()..].iter().all(|&b| b == 0));
            prop_assert!(f.buffer_len() >= *min && f.buffer_len() % 4 == 0);
            at += f.emit(&mut again[at..]).unwrap();
        }
        prop_assert_eq!(&again[..at], region);
    }

    #[test]
    fn packet_round_trip(h in header(), fs in fields(), mac in proptest::option::of(mac_parts())) {
        let mut ext = [0u8; 512];
        let mut w = ExtensionWriter::new(&mut ext);
        if h.version == 4 {
            for (t, value, min) in &fs {
                w.push_padded(*t, value, *min).unwrap();
            }
        }
        let extensions = w.finish();
        let mac = mac.as_ref().map(|(key_id, d)| Mac { key_id: *key_id, digest: d });
        let p = NtpPacket { header: h, extensions, mac };
        let mut buf = [0u8; 1024];
        match p.emit(&mut buf) {
            Ok(n) => {
                prop_assert_eq!(n, p.buffer_len());
                prop_assert_eq!(NtpPacket::parse(&buf[..n]), Ok(p));
            }
            // Only layouts a receiver would read differently are refused.
            Err(e) => prop_assert_eq!(e, Error::AmbiguousTrailer),
        }
    }

    #[test]
    fn control_round_trip(
        (li, version, flags, opcode) in (0u8..4, 2u8..=4, 0u8..8, 0u8..32),
        (sequence, status, association_id, offset) in (any::<u16>(), any::<u16>(), any::<u16>(), any::<u16>()),
        data in vec(any::<u8>(), 0..600),
        mac in proptest::option::of(mac_parts()),
    ) {
        let r = ControlRepr {
            leap: LeapIndicator::from_bits(li),
            version,
            response: flags & 4 != 0,
            error: flags & 2 != 0,
            more: flags & 1 != 0,
            opcode: Opcode::from_bits(opcode),
            sequence,
            status,
            association_id,
            offset,
            data: &data,
            padding: &[],
            mac: mac.as_ref().map(|(key_id, d)| Mac { key_id: *key_id, digest: d }),
        };
        let mut buf = [0u8; 1024];
        let n = r.emit(&mut buf).unwrap();
        prop_assert_eq!(n, r.buffer_len());
        prop_assert_eq!(n % 4, 0);
        prop_assert_eq!(ControlRepr::parse(&buf[..n]), Ok(r));
    }

    #[test]
    fn any_bytes_parse_then_emit_identically(bytes in vec(any::<u8>(), 0..160)) {
        let mut out = [0u8; 256];
        if let Ok(p) = NtpPacket::parse(&bytes) {
            let n = p.emit(&mut out).unwrap();
            prop_assert_eq!(&out[..n], &bytes[..]);
        }
        if let Ok(c) = ControlRepr::parse(&bytes) {
            let n = c.emit(&mut out).unwrap();
            prop_assert_eq!(&out[..n], &bytes[..]);
        }
    }

    #[test]
    fn ntp_shaped_bytes_parse_then_emit_identically(
        first in any::<u8>(),
        rest in vec(any::<u8>(), 47),
        tail in prop_oneof![
            vec(any::<u8>(), 0..80),
            (12u16..40).prop_flat_map(|words| vec(any::<u8>(), usize::from(words) * 4 - 4)
                .prop_map(move |mut v| { let mut t = vec![0, 1, 0, (words * 4) as u8]; t.append(&mut v); t })),
        ],
    ) {
        let mut bytes = vec![first];
        bytes.extend(rest);
        bytes.extend(tail);
        let mut out = [0u8; 256];
        if let Ok(p) = NtpPacket::parse(&bytes) {
            let n = p.emit(&mut out).unwrap();
            prop_assert_eq!(&out[..n], &bytes[..]);
        }
    }
}
