//! The MACs captured between ntpdig and chronyd (`shared/vectors/d1_*.json`)
//! verify with the shared test keys (`ntp.keys`: 1 MD5 "secret", 2 SHA1, 3
//! AES-128-CMAC); a wrong key or a flipped bit fails.
//!
//! The packets are copied here as hex so the test does not depend on files
//! outside the repository.

use sundial::auth::{Algorithm, AuthError, Key, KeyId, KeyTable};

/// d1 frames 1-6 (`payload_hex`): requests and replies with keys 1, 2, 3.
const D1: &[(&str, u32)] = &[
    (
        "e3000000000000000000000000000000000000000000000000000000000000000000000000000000eeac0035da7fb00000000001cca4e8e5546df3cc4259b3384276d336",
        1,
    ),
    (
        "240100e600000000000000007f7f0101eeac002d6be53079eeac0035da7fb000eeac0035da8c5e99eeac0035db7b132600000001ac4010d9331b563e4a1f08008f938c64",
        1,
    ),
    (
        "e3000000000000000000000000000000000000000000000000000000000000000000000000000000eeac0035ed21300000000002be6462789fd7943b7363604adc63864f48fdf681",
        2,
    ),
    (
        "240100e600000000000000007f7f0101eeac002d6be53079eeac0035ed213000eeac0035ed351f3beeac0035ed3ca2c80000000273eebc1d955a0cc1306855a90b5234f58c42fb88",
        2,
    ),
    (
        "e3000000000000000000000000000000000000000000000000000000000000000000000000000000eeac0035f8eb680000000003dba7cbb116b95633510e4ac83277dedf",
        3,
    ),
    (
        "240100e600000000000000007f7f0101eeac002d6be53079eeac0035f8eb6800eeac0035f9199231eeac0035f91d90ea00000003ba7d42dd7790d40c38c65545dbfd3e95",
        3,
    ),
];

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn keys() -> KeyTable<4> {
    let mut t = KeyTable::new();
    t.insert(Key::new(KeyId(1), Algorithm::Md5, b"secret").unwrap(), true)
        .unwrap();
    t.insert(
        Key::new(
            KeyId(2),
            Algorithm::Sha1,
            &hex("0102030405060708090a0b0c0d0e0f1011121314"),
        )
        .unwrap(),
        true,
    )
    .unwrap();
    t.insert(
        Key::new(
            KeyId(3),
            Algorithm::Aes128Cmac,
            &hex("000102030405060708090a0b0c0d0e0f"),
        )
        .unwrap(),
        true,
    )
    .unwrap();
    t
}

#[test]
fn captured_macs_verify() {
    let t = keys();
    for (payload, id) in D1 {
        let p = hex(payload);
        let (data, trailer) = p.split_at(48);
        assert_eq!(t.verify_trailer(data, trailer), Ok(KeyId(*id)), "{payload}");
    }
}

#[test]
fn we_compute_the_same_macs() {
    let t = keys();
    for (payload, id) in D1 {
        let p = hex(payload);
        let key = t.trusted(KeyId(*id)).unwrap();
        let mut buf = [0u8; 72];
        buf[..48].copy_from_slice(&p[..48]);
        let n = key.sign(&mut buf, 48).unwrap();
        assert_eq!(&buf[..n], &p[..], "key {id}");
    }
}

#[test]
fn flipped_bits_fail() {
    let t = keys();
    for (payload, id) in D1 {
        let p = hex(payload);
        for bit in 0..p.len() * 8 {
            // Flipping a key-id bit gives an unknown key (or another key: bad
            // length / bad MAC); flipping any other bit gives a bad MAC.
            let mut q = p.clone();
            q[bit / 8] ^= 1 << (bit % 8);
            let (data, trailer) = q.split_at(48);
            assert!(
                t.verify_trailer(data, trailer).is_err(),
                "key {id} bit {bit}"
            );
        }
    }
}

#[test]
fn wrong_key_fails() {
    let mut t = keys();
    t.insert(Key::new(KeyId(1), Algorithm::Md5, b"Secret").unwrap(), true)
        .unwrap();
    t.insert(
        Key::new(KeyId(3), Algorithm::Aes128Cmac, &[0u8; 16]).unwrap(),
        true,
    )
    .unwrap();
    for (payload, id) in D1.iter().filter(|(_, id)| *id != 2) {
        let p = hex(payload);
        let (data, trailer) = p.split_at(48);
        assert_eq!(
            t.verify_trailer(data, trailer),
            Err(AuthError::BadMac(KeyId(*id)))
        );
    }
    // The same key id under another algorithm: digest length mismatch (SHA1
    // trailer, MD5 key).
    t.insert(Key::new(KeyId(2), Algorithm::Md5, b"x").unwrap(), true)
        .unwrap();
    let p = hex(D1[2].0);
    assert_eq!(
        t.verify_trailer(&p[..48], &p[48..]),
        Err(AuthError::BadLength(KeyId(2)))
    );
}

#[test]
fn untrusted_and_unknown_keys_fail() {
    let mut t = keys();
    t.set_trusted(KeyId(1), false);
    let p = hex(D1[0].0);
    assert_eq!(
        t.verify_trailer(&p[..48], &p[48..]),
        Err(AuthError::UntrustedKey(KeyId(1)))
    );
    t.remove(KeyId(1));
    assert_eq!(
        t.verify_trailer(&p[..48], &p[48..]),
        Err(AuthError::UnknownKey(KeyId(1)))
    );
}
