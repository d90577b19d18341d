//! Boundary and malformed inputs give typed errors: truncation, versions 0
//! and 5–7, bad extension lengths, MAC-vs-extension ambiguity, bad MAC
//! lengths, mode 6 count and trailer errors.

use sundial::wire::{ControlRepr, Error, ExtensionWriter, Extensions, Mac, NtpPacket};

/// A v4 client request header (48 bytes).
fn request() -> Vec<u8> {
    let mut b = vec![0u8; 48];
    b[0] = 0x23;
    b
}

fn with_tail(tail: &[u8]) -> Vec<u8> {
    let mut b = request();
    b.extend_from_slice(tail);
    b
}

/// An extension field header of `len` bytes, then zeros.
fn field(len: u16) -> Vec<u8> {
    let mut f = vec![0u8; usize::from(len).max(4)];
    f[0..2].copy_from_slice(&0x0104u16.to_be_bytes());
    f[2..4].copy_from_slice(&len.to_be_bytes());
    f
}

#[test]
fn truncated() {
    for n in 0..48 {
        assert_eq!(
            NtpPacket::parse(&request()[..n]),
            Err(Error::Truncated),
            "len {n}"
        );
    }
    for n in 0..12 {
        assert_eq!(ControlRepr::parse(&[0x16; 12][..n]), Err(Error::Truncated));
    }
}

#[test]
fn versions_0_and_5_to_7() {
    for v in [0u8, 5, 6, 7] {
        let mut b = request();
        b[0] = (v << 3) | 3;
        assert_eq!(NtpPacket::parse(&b), Err(Error::UnsupportedVersion(v)));
        let mut c = [0u8; 12];
        c[0] = (v << 3) | 6;
        assert_eq!(ControlRepr::parse(&c), Err(Error::UnsupportedVersion(v)));
    }
    for v in 1u8..=4 {
        let mut b = request();
        b[0] = (v << 3) | if v == 1 { 0 } else { 3 };
        assert!(NtpPacket::parse(&b).is_ok(), "v{v}");
    }
}

#[test]
fn modes_6_and_7_are_not_48_byte_headers() {
    let mut b = request();
    b[0] = 0x26;
    assert_eq!(NtpPacket::parse(&b), Err(Error::BadMode(6)));
    b[0] = 0x27;
    assert_eq!(NtpPacket::parse(&b), Err(Error::BadMode(7)));
    assert_eq!(ControlRepr::parse(&request()[..12]), Err(Error::BadMode(3)));
}

#[test]
fn bad_extension_lengths() {
    // Below 16, not a multiple of 4, past the end.
    for len in [0u16, 4, 12, 15, 30, 33] {
        let mut tail = field(len);
        tail.resize(32, 0);
        assert!(
            matches!(
                NtpPacket::parse(&with_tail(&tail)),
                Err(Error::BadExtensionLength(_))
            ),
            "len {len}"
        );
    }
    let mut tail = field(64);
    tail.truncate(40);
    assert_eq!(
        NtpPacket::parse(&with_tail(&tail)),
        Err(Error::BadExtensionLength(64))
    );
    // Fewer than 16 bytes that are no MAC.
    for n in [1usize, 2, 3, 5, 8, 12, 15] {
        assert_eq!(
            NtpPacket::parse(&with_tail(&vec![0; n])),
            Err(Error::BadTrailer(n))
        );
    }
    // The writer refuses fields over 65535 bytes and full buffers.
    let mut big = vec![0u8; 70_000];
    let mut w = ExtensionWriter::new(&mut big);
    assert!(matches!(
        w.push(1, &[0; 65_533]),
        Err(Error::BadExtensionLength(_))
    ));
    assert_eq!(w.len(), 0);
    assert!(Extensions::validate(&field(12)).is_err());
}

#[test]
fn mac_versus_extension() {
    // 20 and 24 trailing bytes are a MAC, even when they look like a field.
    for n in [20u16, 24] {
        let b = with_tail(&field(n));
        let p = NtpPacket::parse(&b).unwrap();
        assert_eq!(p.mac.unwrap().digest.len(), usize::from(n) - 4);
        assert!(p.extensions.is_empty());
    }
    // 4 bytes: crypto-NAK.
    let b = with_tail(&[0, 0, 0, 0]);
    let p = NtpPacket::parse(&b).unwrap();
    assert!(p.mac.unwrap().is_crypto_nak());
    // 16-byte field + 20-byte MAC; 28-byte field alone; 16 + 28 fields.
    let mut t = field(16);
    t.extend([0, 0, 0, 7]);
    t.extend([0xab; 16]);
    let b = with_tail(&t);
    let p = NtpPacket::parse(&b).unwrap();
    assert_eq!((p.extensions.len(), p.mac.unwrap().key_id), (16, 7));
    let b = with_tail(&field(28));
    let p = NtpPacket::parse(&b).unwrap();
    assert_eq!((p.extensions.len(), p.mac), (28, None));
    let mut t = field(16);
    t.extend(field(28));
    assert_eq!(
        NtpPacket::parse(&with_tail(&t))
            .unwrap()
            .extensions()
            .count(),
        2
    );
    // A 36-byte trailer whose key id is no field header: SHA-256 MAC.
    let mut t = vec![0, 0, 0, 4];
    t.extend([0x11; 32]);
    let b = with_tail(&t);
    let p = NtpPacket::parse(&b).unwrap();
    assert_eq!(p.mac.unwrap().digest.len(), 32);
    // Emitting a layout that reads back differently is refused.
    let header = NtpPacket::parse(&request()).unwrap().header;
    let f24 = field(24);
    let p = NtpPacket {
        header,
        extensions: &f24,
        mac: None,
    };
    assert_eq!(p.emit(&mut [0u8; 128]), Err(Error::AmbiguousTrailer));
    let p = NtpPacket {
        header,
        extensions: &[],
        mac: Some(Mac {
            key_id: 0x24,
            digest: &[0; 32],
        }),
    };
    assert_eq!(p.emit(&mut [0u8; 128]), Err(Error::AmbiguousTrailer));
    // Extension fields are NTPv4 only.
    let mut b = with_tail(&field(28));
    b[0] = 0x1b;
    assert_eq!(NtpPacket::parse(&b), Err(Error::ExtensionsNotAllowed));
}

#[test]
fn bad_mac_lengths() {
    assert_eq!(Mac::parse(&[0; 12]), Err(Error::BadMacLength(8)));
    assert_eq!(Mac::parse(&[0; 2]), Err(Error::Truncated));
    let mut b = request();
    b[0] = 0x1b; // v3
    b.extend([0u8; 12]);
    assert_eq!(NtpPacket::parse(&b), Err(Error::BadTrailer(12)));
    let header = NtpPacket::parse(&request()).unwrap().header;
    let p = NtpPacket {
        header,
        extensions: &[],
        mac: Some(Mac {
            key_id: 1,
            digest: &[0; 17],
        }),
    };
    assert_eq!(p.emit(&mut [0u8; 128]), Err(Error::BadMacLength(17)));
}

#[test]
fn control_errors() {
    // count past the end
    let mut m = vec![0x16u8, 0x81, 0, 1, 0, 0, 0, 0, 0, 0, 0x01, 0x00];
    m.extend([0u8; 100]);
    assert_eq!(ControlRepr::parse(&m), Err(Error::BadCount(256)));
    // count 0, 2 stray bytes (neither padding nor MAC)
    let m = [0x16u8, 0x81, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2];
    assert_eq!(ControlRepr::parse(&m), Err(Error::BadTrailer(2)));
    // count 0, 20-byte MAC after 8-byte alignment (12 -> 16).
    let mut m = vec![0x16u8, 0x81, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    m.extend([0, 0, 0, 5]);
    m.extend([0xcd; 16]);
    let c = ControlRepr::parse(&m).unwrap();
    assert_eq!(c.mac.unwrap().key_id, 5);
    let mut out = [0u8; 64];
    assert_eq!(c.emit(&mut out), Ok(m.len()));
    assert_eq!(&out[..m.len()], &m[..]);
    assert_eq!(c.emit(&mut out[..m.len() - 1]), Err(Error::BufferTooSmall));
}
