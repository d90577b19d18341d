//! Fuzz an association with a stream of arbitrary packets, polls and replays.
//! It must never panic, and whenever it accepts a packet (Ok), that packet must
//! pass the tests independently re-checked here: right mode, non-zero transmit
//! timestamp, origin matching our latest request, synchronised remote below the
//! stratum and distance limits, and a valid MAC under the association's key.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sundial::association::{Association, AssociationConfig, SystemSnapshot};
use sundial::auth::{Algorithm, Key, KeyId, KeyTable};
use sundial::time::{NtpDuration, NtpTime, NtpTimestamp};
use sundial::wire::{HEADER_LEN, LeapIndicator, Mode, NtpPacket};

const T0: NtpTime = NtpTime::from_parts(4_004_208_000, 0);

fn keys() -> KeyTable<2> {
    let mut t = KeyTable::new();
    let _ = t.insert(Key::new(KeyId(1), Algorithm::Md5, b"secret").unwrap(), true);
    let _ = t.insert(
        Key::new(KeyId(3), Algorithm::Aes128Cmac, &[7; 16]).unwrap(),
        true,
    );
    t
}

struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(*b)
    }
    fn take(&mut self, n: usize) -> &[u8] {
        let n = n.min(self.0.len());
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        a
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let Some(sel) = input.byte() else { return };
    let remote = "10.0.0.1:123".parse().unwrap();
    let mut cfg = match sel % 5 {
        0 => AssociationConfig::client(remote),
        1 => AssociationConfig::client(remote).with_key(KeyId(1)),
        2 => AssociationConfig::client(remote).with_interleaved(true),
        3 => AssociationConfig::symmetric_active(remote),
        _ => AssociationConfig::broadcast_client(remote, Some(NtpDuration::from_micros(100))),
    };
    cfg.poll.iburst = sel & 0x80 != 0;
    let keyed = cfg.key;
    let keys = keys();
    let sys = SystemSnapshot::default();
    let mut a = Association::new(cfg, T0, u64::from(sel));
    let mut now = T0;
    let mut counter = 0u64;
    // What we sent last: (transmit, receive) fields.
    let mut sent: Option<(NtpTimestamp, NtpTimestamp)> = None;
    let mut last_fed: Vec<u8> = Vec::new();

    while let Some(op) = input.byte() {
        let mut pkt: Vec<u8> = match op % 4 {
            0 => {
                now = now + NtpDuration::from_millis(i64::from(op) * 300);
                counter = counter.wrapping_add(0x9e37_79b9_7f4a_7c15);
                let mut buf = [0u8; 128];
                if let Some(n) = a.poll_transmit(now, counter, &sys, &keys, &mut buf) {
                    let p = NtpPacket::parse(&buf[..n]).expect("we emit valid packets");
                    sent = Some((p.header.transmit_timestamp, p.header.receive_timestamp));
                }
                continue;
            }
            1 => {
                let n = usize::from(input.byte().unwrap_or(0)) % 96;
                input.take(n).to_vec()
            }
            2 => {
                // Reply-shaped: arbitrary header with our cookie as origin, signed
                // with the association's key if the op says so.
                let mut p = input.take(HEADER_LEN).to_vec();
                p.resize(HEADER_LEN, 0);
                if let Some((xmt, rec)) = sent {
                    let o = if op & 0x10 != 0 { rec } else { xmt };
                    p[24..32].copy_from_slice(&o.to_bits().to_be_bytes());
                }
                if op & 0x20 != 0 {
                    let id = if op & 0x40 != 0 { KeyId(3) } else { KeyId(1) };
                    p.resize(HEADER_LEN + 24, 0);
                    let n = keys.get(id).unwrap().sign(&mut p, HEADER_LEN).unwrap();
                    p.truncate(n);
                }
                p
            }
            _ => last_fed.clone(),
        };
        if op & 0x08 != 0 && !pkt.is_empty() {
            // Flip one bit somewhere.
            let i = usize::from(op) % pkt.len();
            pkt[i] ^= 1 << (op % 8);
        }
        let Ok(p) = NtpPacket::parse(&pkt) else {
            continue;
        };
        let rx = now + NtpDuration::from_micros(i64::from(op));
        let result = a.handle_packet(rx, &p, &pkt, &sys, &keys);
        last_fed = pkt.clone();
        if result.is_err() {
            continue;
        }
        // Accepted: re-check the tests independently.
        let h = p.header;
        assert!(!h.transmit_timestamp.is_zero());
        assert!(h.leap != LeapIndicator::Unsynchronized);
        assert!((1..16).contains(&h.stratum));
        let distance = h.root_delay.to_duration().shift(-1) + h.root_dispersion.to_duration();
        assert!(distance < sys.max_distance);
        match sel % 5 {
            0..=2 => {
                assert_eq!(h.mode, Mode::Server);
                let (xmt, rec) = sent.expect("a reply needs a request");
                assert!(h.origin_timestamp == xmt || (sel % 5 == 2 && h.origin_timestamp == rec));
            }
            3 => {
                assert!(matches!(
                    h.mode,
                    Mode::SymmetricActive | Mode::SymmetricPassive
                ));
                let (xmt, _) = sent.expect("a symmetric sample needs our packet");
                assert_eq!(h.origin_timestamp, xmt);
            }
            _ => assert_eq!(h.mode, Mode::Broadcast),
        }
        if let Some(id) = keyed {
            let mac = p
                .mac
                .expect("keyed association accepted a packet without MAC");
            assert_eq!(mac.key_id, id.0);
            assert!(keys.verify(p.mac_input(&pkt), id, mac.digest).is_ok());
        }
    }
});
