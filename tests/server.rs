//! Server replies against captured exchanges (shared/vectors a1, b0, b1,
//! d1, f3): given the server's state and timestamps from the capture, our
//! reply must be the captured reply, byte for byte (MACs included).

use core::net::SocketAddr;

use sundial::auth::{Algorithm, AuthError, Key, KeyId, KeyTable};
use sundial::server::{
    MAX_SERVER_PACKET_LEN, Server, ServerRequestError, SystemVariables, build_broadcast,
    stamp_transmit,
};
use sundial::wire::{HeaderRepr, KissCode, LeapIndicator, Mode, Packet, RefId};
use sundial::{NtpDuration, NtpShort, NtpTime, NtpTimestamp, PollInterval};

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn header(bytes: &[u8]) -> HeaderRepr {
    HeaderRepr::parse(&Packet::new_checked(bytes).unwrap()).unwrap()
}

/// A 48-byte client request with the given poll and timestamps.
fn request(poll: i8, origin: u64, receive: u64, transmit: u64) -> [u8; 48] {
    let mut b = [0u8; 48];
    let mut p = Packet::new_unchecked(&mut b[..]);
    p.set_leap_version_mode(LeapIndicator::NoWarning, 4, Mode::Client);
    p.set_poll(PollInterval::from_log2(poll));
    p.set_origin_timestamp(NtpTimestamp::from_bits(origin));
    p.set_receive_timestamp(NtpTimestamp::from_bits(receive));
    p.set_transmit_timestamp(NtpTimestamp::from_bits(transmit));
    b
}

fn time(bits: u64) -> NtpTime {
    NtpTimestamp::from_bits(bits).resolve(NtpTime::from_parts(0xeeac_0000, 0))
}

fn client() -> SocketAddr {
    "127.0.0.1:48918".parse().unwrap()
}

/// chronyd as a local stratum-1 server (a1, a2, d1).
fn chrony_system() -> SystemVariables {
    SystemVariables {
        leap: LeapIndicator::NoWarning,
        stratum: 1,
        precision: -26,
        refid: RefId::from_bytes([127, 127, 1, 1]),
        reference_time: Some(time(0xeeab_fff0_19ab_72a8)),
        ..SystemVariables::UNSYNCHRONIZED
    }
}

/// ntpsec with the local clock driver at stratum 11 (b1, f3).
fn ntpsec_system(root_dispersion: u32, reftime: u64) -> SystemVariables {
    SystemVariables {
        leap: LeapIndicator::NoWarning,
        stratum: 11,
        precision: -24,
        root_dispersion: NtpShort::from_bits(root_dispersion).to_duration(),
        refid: RefId::from_bytes([127, 127, 1, 0]),
        reference_time: Some(time(reftime)),
        ..SystemVariables::UNSYNCHRONIZED
    }
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

/// Serves `request` received at `rx`, stamps `tx` at send time, returns the packet.
fn serve(
    sys: &SystemVariables,
    request: &str,
    rx: u64,
    tx: u64,
    keys: &KeyTable<4>,
) -> Result<Vec<u8>, ServerRequestError> {
    let mut server = Server::<8>::new();
    let mut buf = [0u8; MAX_SERVER_PACKET_LEN];
    let req = hex(request);
    let built = server.reply(&req, client(), time(rx), sys, keys, &mut buf)?;
    assert!(built.stamp_at_send);
    let key = req
        .get(48..52)
        .and_then(|id| keys.trusted(KeyId(u32::from_be_bytes(id.try_into().ok()?))));
    let n = stamp_transmit(&mut buf[..built.len], time(tx), key).unwrap();
    assert_eq!(n, built.len);
    assert!(built.len <= req.len() || key.is_some(), "amplification");
    Ok(buf[..n].to_vec())
}

#[test]
fn a1_chrony_server_replies_are_reproduced() {
    let sys = chrony_system();
    for (req, reply) in [
        (
            "23000620000000000000000000000000000000000000000000000000000000000000000000000000f6dea5fa99b8e1b1",
            "240106e600000000000000007f7f0101eeabfff019ab72a8f6dea5fa99b8e1b1eeac001cad9cf405eeac001cada18216",
        ),
        (
            "230006200000000000000000000000000000000000000000000000000000000000000000000000007e81d7aa30d9f267",
            "240106e600000000000000007f7f0101eeabfff019ab72a87e81d7aa30d9f267eeac001eb34ecdbbeeac001eb3524e9c",
        ),
        (
            "230006200000000000000000000000000000000000000000000000000000000000000000000000000921a78429ae1c76",
            "240106e600000000000000007f7f0101eeabfff019ab72a80921a78429ae1c76eeac0020b59a15b1eeac0020b59d267e",
        ),
    ] {
        let expected = hex(reply);
        let h = header(&expected);
        let got = serve(
            &sys,
            req,
            h.receive_timestamp.to_bits(),
            h.transmit_timestamp.to_bits(),
            &KeyTable::new(),
        )
        .unwrap();
        assert_eq!(header(&got), h);
        assert_eq!(got, expected);
    }
}

#[test]
fn b1_ntpsec_server_replies_are_reproduced() {
    for (req, reply) in [
        (
            "e3000000000000000000000000000000000000000000000000000000000000000000000000000000eeac013f7c0a7000",
            "240b00e800000000000072967f7f0100eeac013d9190901eeeac013f7c0a7000eeac013f7c0ea3d7eeac013f7c13f591",
        ),
        (
            "e3000000000000000000000000000000000000000000000000000000000000000000000000000000eeac013f9d63d000",
            "240b00e800000000000072977f7f0100eeac013d9190901eeeac013f9d63d000eeac013f9d688796eeac013f9d700269",
        ),
    ] {
        let expected = hex(reply);
        let h = header(&expected);
        let sys = ntpsec_system(h.root_dispersion.to_bits(), h.reference_timestamp.to_bits());
        let got = serve(
            &sys,
            req,
            h.receive_timestamp.to_bits(),
            h.transmit_timestamp.to_bits(),
            &KeyTable::new(),
        )
        .unwrap();
        assert_eq!(got, expected);
    }
}

#[test]
fn b2_version_and_poll_are_mirrored() {
    // chrony client (poll 6) -> ntpsec: reply poll 6.
    let expected = hex(
        "240b06e8000000000000729a7f7f0100eeac013d9190901e19f8489e8d6522faeeac01435068a710eeac014350703713",
    );
    let h = header(&expected);
    let sys = ntpsec_system(h.root_dispersion.to_bits(), h.reference_timestamp.to_bits());
    let req = "2300062000000000000000000000000000000000000000000000000000000000000000000000000019f8489e8d6522fa";
    let got = serve(
        &sys,
        req,
        h.receive_timestamp.to_bits(),
        h.transmit_timestamp.to_bits(),
        &KeyTable::new(),
    )
    .unwrap();
    assert_eq!(got, expected);
    // An NTPv3 request gets an NTPv3 reply.
    let mut v3 = hex(req);
    v3[0] = 0x1b;
    let v3 = v3.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let got = serve(
        &sys,
        &v3,
        h.receive_timestamp.to_bits(),
        h.transmit_timestamp.to_bits(),
        &KeyTable::new(),
    )
    .unwrap();
    assert_eq!(got[0], 0x1c);
}

#[test]
fn b0_unsynchronized_reply() {
    // ntpsec keeps stratum 11 with LI=3; we send LI=3 with stratum 16
    // (RFC 5905 "unsynchronized"); clients reject both.
    let sys = SystemVariables {
        leap: LeapIndicator::Unsynchronized,
        ..ntpsec_system(0x297, 0xeeac_0113_1f28_2ac3)
    };
    let req = "e3000000000000000000000000000000000000000000000000000000000000000000000000000000eeac011511427800";
    let got = serve(
        &sys,
        req,
        0xeeac_0115_1147_ed4e,
        0xeeac_0115_1150_611e,
        &KeyTable::new(),
    )
    .unwrap();
    let h = header(&got);
    assert_eq!(
        (h.leap, h.version, h.mode, h.stratum),
        (LeapIndicator::Unsynchronized, 4, Mode::Server, 16)
    );
    assert_eq!(
        h.origin_timestamp,
        NtpTimestamp::from_bits(0xeeac_0115_1142_7800)
    );
    assert_eq!(
        h.receive_timestamp,
        NtpTimestamp::from_bits(0xeeac_0115_1147_ed4e)
    );
    // A node that never synchronized: refid INIT, reference time 0.
    let got = serve(
        &SystemVariables::UNSYNCHRONIZED,
        req,
        0xeeac_0115_1147_ed4e,
        0xeeac_0115_1150_611e,
        &KeyTable::new(),
    )
    .unwrap();
    let h = header(&got);
    assert_eq!(
        (
            h.leap.to_bits(),
            h.stratum,
            h.ref_id.to_bytes(),
            h.reference_timestamp
        ),
        (3, 16, *b"INIT", NtpTimestamp::ZERO)
    );
}

#[test]
fn f3_rate_kod_is_reproduced() {
    let server = Server::<0>::new();
    let req = hex(
        "e3000000000000000000000000000000000000000000000000000000000000000000000000000000eeac02814eebc000",
    );
    let mut buf = [0u8; MAX_SERVER_PACKET_LEN];
    let built = server
        .kod(&req, KissCode::Rate, &KeyTable::<1>::new(), &mut buf)
        .unwrap();
    assert!(!built.stamp_at_send);
    assert_eq!(
        buf[..built.len],
        hex(
            "e40000000000000000000000524154450000000000000000eeac02814eebc000eeac02814eebc000eeac02814eebc000"
        )
    );
    let built = server
        .kod(&req, KissCode::Deny, &KeyTable::<1>::new(), &mut buf)
        .unwrap();
    assert_eq!(&buf[12..16], b"DENY");
    assert_eq!(built.len, 48);
}

#[test]
fn d1_authenticated_replies_are_reproduced() {
    let keys = keys();
    let sys = SystemVariables {
        reference_time: Some(time(0xeeac_002d_6be5_3079)),
        ..chrony_system()
    };
    for (req, reply) in [
        (
            "e3000000000000000000000000000000000000000000000000000000000000000000000000000000eeac0035da7fb00000000001cca4e8e5546df3cc4259b3384276d336",
            "240100e600000000000000007f7f0101eeac002d6be53079eeac0035da7fb000eeac0035da8c5e99eeac0035db7b132600000001ac4010d9331b563e4a1f08008f938c64",
        ),
        (
            "e3000000000000000000000000000000000000000000000000000000000000000000000000000000eeac0035ed21300000000002be6462789fd7943b7363604adc63864f48fdf681",
            "240100e600000000000000007f7f0101eeac002d6be53079eeac0035ed213000eeac0035ed351f3beeac0035ed3ca2c80000000273eebc1d955a0cc1306855a90b5234f58c42fb88",
        ),
        (
            "e3000000000000000000000000000000000000000000000000000000000000000000000000000000eeac0035f8eb680000000003dba7cbb116b95633510e4ac83277dedf",
            "240100e600000000000000007f7f0101eeac002d6be53079eeac0035f8eb6800eeac0035f9199231eeac0035f91d90ea00000003ba7d42dd7790d40c38c65545dbfd3e95",
        ),
    ] {
        let expected = hex(reply);
        let h = header(&expected);
        let got = serve(
            &sys,
            req,
            h.receive_timestamp.to_bits(),
            h.transmit_timestamp.to_bits(),
            &keys,
        )
        .unwrap();
        assert_eq!(got, expected);
    }
    // SHA256 (key 4) is not in our table: silence, as chrony.
    let sha256 = "e3000000000000000000000000000000000000000000000000000000000000000000000000000000eeac00360505080000000004c1b6b1f2d237718818dc301abd6f01c3dadaeb1bfac86d4177c104c12ac30044";
    assert!(
        serve(
            &sys,
            sha256,
            0xeeac_0036_0000_0000,
            0xeeac_0036_0000_0001,
            &keys
        )
        .is_err()
    );
}

#[test]
fn bad_and_unknown_keys_get_silence() {
    let keys = keys();
    let sys = chrony_system();
    let good = "e3000000000000000000000000000000000000000000000000000000000000000000000000000000eeac0035da7fb00000000001cca4e8e5546df3cc4259b3384276d336";
    let mut bad = hex(good);
    *bad.last_mut().unwrap() ^= 1;
    let mut server = Server::<4>::new();
    let mut buf = [0u8; MAX_SERVER_PACKET_LEN];
    assert!(matches!(
        server.reply(
            &bad,
            client(),
            time(0xeeac_0036_0000_0000),
            &sys,
            &keys,
            &mut buf
        ),
        Err(ServerRequestError::BadAuthentication(AuthError::BadMac(
            KeyId(1)
        )))
    ));
    let mut unknown = hex(good);
    unknown[51] = 9;
    assert!(
        server
            .reply(
                &unknown,
                client(),
                time(0xeeac_0036_0000_0000),
                &sys,
                &keys,
                &mut buf
            )
            .is_err()
    );
    // A crypto-NAK (key ID 0 alone) is not answered either.
    let nak = &hex(good)[..52];
    assert!(
        server
            .reply(
                nak,
                client(),
                time(0xeeac_0036_0000_0000),
                &sys,
                &keys,
                &mut buf
            )
            .is_err()
    );
    // Untrusted key: silence.
    let mut keys = keys;
    keys.set_trusted(KeyId(1), false);
    assert!(
        server
            .reply(
                &hex(good),
                client(),
                time(0xeeac_0036_0000_0000),
                &sys,
                &keys,
                &mut buf
            )
            .is_err()
    );
}

#[test]
fn only_client_and_symmetric_active_requests_are_answered() {
    let sys = chrony_system();
    let mut server = Server::<4>::new();
    let mut buf = [0u8; MAX_SERVER_PACKET_LEN];
    let mut req = [0u8; 48];
    for mode in 0..8u8 {
        req[0] = (4 << 3) | mode;
        let r = server.reply(
            &req,
            client(),
            time(0xeeac_0036_0000_0000),
            &sys,
            &KeyTable::<1>::new(),
            &mut buf,
        );
        match mode {
            1 => assert_eq!(r.map(|_| buf[0] & 7), Ok(2), "symmetric passive reply"),
            3 => assert_eq!(r.map(|_| buf[0] & 7), Ok(4)),
            6 | 7 => assert!(matches!(r, Err(ServerRequestError::Malformed(_)))),
            _ => assert_eq!(r, Err(ServerRequestError::NotARequest)),
        }
    }
    req[0] = 0x23;
    assert_eq!(
        server.reply(
            &req[..47],
            client(),
            time(0),
            &sys,
            &KeyTable::<1>::new(),
            &mut buf
        ),
        Err(ServerRequestError::Malformed(
            sundial::wire::Error::Truncated
        ))
    );
}

#[test]
fn interleaved_exchange_like_chrony_xleave() {
    let sys = chrony_system();
    let keys = KeyTable::<1>::new();
    let mut server = Server::<16>::new();
    let mut buf = [0u8; MAX_SERVER_PACKET_LEN];
    let other: SocketAddr = "192.0.2.9:48918".parse().unwrap();

    // 1. Basic request: origin 0, transmit = cookie.
    let cookie1 = 0x1111_2222_3333_4444;
    let bytes = request(6, 0, 0, cookie1);
    let rx1 = time(0xeeac_1000_0000_0000);
    let r1 = server
        .reply(&bytes, client(), rx1, &sys, &keys, &mut buf)
        .unwrap();
    assert!(r1.stamp_at_send);
    let tx1_sent = time(0xeeac_1000_0010_0000);
    stamp_transmit(&mut buf[..r1.len], tx1_sent, None).unwrap();
    let h1 = header(&buf);
    assert_eq!(h1.origin_timestamp.to_bits(), cookie1);
    assert_eq!(h1.receive_timestamp, rx1.to_timestamp());
    assert_eq!(h1.transmit_timestamp, tx1_sent.to_timestamp());
    // The driver learns the precise (kernel) transmit time afterwards.
    let tx1_precise = time(0xeeac_1000_0011_0000);
    server.transmitted(client(), r1.receive, tx1_precise);

    // 2. Interleaved request: origin = our receive timestamp, receive = the
    //    client's cookie (its T4), transmit = a new cookie.
    let (cookie_rx, cookie2) = (0x5555_6666_7777_8888, 0x9999_aaaa_bbbb_cccc);
    let bytes = request(6, h1.receive_timestamp.to_bits(), cookie_rx, cookie2);
    let rx2 = time(0xeeac_1002_0000_0000);
    let r2 = server
        .reply(&bytes, client(), rx2, &sys, &keys, &mut buf)
        .unwrap();
    assert!(!r2.stamp_at_send, "transmit already final");
    let h2 = header(&buf);
    assert_eq!(
        h2.origin_timestamp.to_bits(),
        cookie_rx,
        "origin = request's receive cookie"
    );
    assert_eq!(h2.receive_timestamp, rx2.to_timestamp());
    assert_eq!(
        h2.transmit_timestamp,
        tx1_precise.to_timestamp(),
        "previous reply's precise time"
    );

    // 3. Another IP address using the same origin gets a basic reply.
    let r3 = server
        .reply(&bytes, other, rx2, &sys, &keys, &mut buf)
        .unwrap();
    assert!(r3.stamp_at_send);
    assert_eq!(header(&buf).origin_timestamp.to_bits(), cookie2);

    // 4. An origin we do not know gets a basic reply.
    server.transmitted(client(), r2.receive, time(0xeeac_1002_0001_0000));
    let bytes = request(6, 0xdead_beef, cookie_rx, cookie2);
    server
        .reply(&bytes, client(), rx2, &sys, &keys, &mut buf)
        .unwrap();
    assert_eq!(header(&buf).origin_timestamp.to_bits(), cookie2);

    // 5. Interleaved again, from the reply of step 2 (its precise time reported).
    let bytes = request(6, r2.receive.to_bits(), cookie_rx, cookie2);
    // Step 4 replaced the client's entry: basic mode, no stale timestamp.
    let r5 = server
        .reply(&bytes, client(), rx2, &sys, &keys, &mut buf)
        .unwrap();
    assert!(r5.stamp_at_send);
}

#[test]
fn broadcast_packet() {
    let keys = keys();
    let sys = SystemVariables {
        poll: PollInterval::from_log2(6),
        root_delay: NtpDuration::from_millis(2),
        ..chrony_system()
    };
    let mut buf = [0u8; MAX_SERVER_PACKET_LEN];
    let now = time(0xeeac_2000_0000_0000);
    let built = build_broadcast(&sys, now, keys.trusted(KeyId(1)), &mut buf).unwrap();
    assert_eq!(built.len, 68);
    let h = header(&buf);
    assert_eq!(
        (
            h.leap.to_bits(),
            h.version,
            h.mode,
            h.stratum,
            h.poll.log2(),
            h.precision
        ),
        (0, 4, Mode::Broadcast, 1, 6, -26)
    );
    assert_eq!(
        (h.origin_timestamp, h.receive_timestamp),
        (NtpTimestamp::ZERO, NtpTimestamp::ZERO)
    );
    assert_eq!(
        h.root_delay.to_bits(),
        NtpShort::from_duration_saturating(NtpDuration::from_millis(2)).to_bits()
    );
    let later = time(0xeeac_2000_0100_0000);
    stamp_transmit(&mut buf[..built.len], later, keys.trusted(KeyId(1))).unwrap();
    assert_eq!(header(&buf).transmit_timestamp, later.to_timestamp());
    assert_eq!(
        keys.verify_trailer(&buf[..48], &buf[48..68]),
        Ok(KeyId(1)),
        "MAC recomputed"
    );
    let unsigned = build_broadcast(&sys, now, None, &mut buf).unwrap();
    assert_eq!(unsigned.len, 48);
}
