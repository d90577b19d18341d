//! Mode 6 responder against the ntpq ↔ ntpsec captures (c1, c3, c4 in
//! `shared/vectors`): the same requests must get replies that ntpq reads
//! the same way.

use core::net::SocketAddr;

use sundial::auth::{Algorithm, Key, KeyId};
use sundial::control::{
    ClockSource, ClockVariables, ControlContext, ControlPolicy, ControlReply, ControlRequest,
    EventLog, MAX_REPLY_LEN, PeerSelection, PeerSource, PeerStatus, PeerVariables, RequestError,
};
use sundial::server::SystemVariables;
use sundial::wire::{ControlRepr, LeapIndicator, Opcode, RefId};
use sundial::{Frequency, NtpDuration, NtpTime, NtpTimestamp, PollInterval};

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// ntpsec's state in the c1 capture.
fn c1_system() -> SystemVariables {
    SystemVariables {
        leap: LeapIndicator::NoWarning,
        stratum: 11,
        precision: -24,
        root_delay: NtpDuration::ZERO,
        root_dispersion: NtpDuration::from_micros(10_146),
        refid: RefId::from_bytes([127, 127, 1, 0]),
        reference_time: Some(NtpTime::from_parts(0xeeac_0165, 0x918f_1514)),
        poll: PollInterval::from_log2(3),
        time_constant: 3,
        min_time_constant: 0,
        offset: NtpDuration::ZERO,
        system_jitter: NtpDuration::ZERO,
        frequency: Frequency::from_ppm(0),
        clock_jitter: NtpDuration::from_nanos(33),
        clock_wander: Frequency::from_ppm(0),
        peer: 17767,
        source: ClockSource::Local,
        events: EventLog { count: 1, last: 4 },
        processor: "x86_64",
        system: "Linux/6.18.44-fc-v669",
        version: "ntpd ntpsec-1.2.2",
    }
}

const C1_NOW: NtpTime = NtpTime::from_parts(0xeeac_0167, 0x9ec9_4bd8);

/// The local-clock association of the c3/c4 captures.
fn c4_peer() -> PeerVariables<'static> {
    PeerVariables {
        association_id: 17767,
        status: PeerStatus {
            configured: true,
            reachable: true,
            selection: PeerSelection::SystemPeer,
            events: EventLog { count: 1, last: 10 },
            ..PeerStatus::default()
        },
        source: "127.127.1.0:123".parse().unwrap(),
        destination: Some("127.0.0.1:123".parse().unwrap()),
        host_name: Some("LOCAL(0)"),
        is_refclock: true,
        leap: LeapIndicator::NoWarning,
        stratum: 10,
        precision: -24,
        root_delay: NtpDuration::ZERO,
        root_dispersion: NtpDuration::from_millis(10),
        refid: RefId::from_bytes(*b"LOCL"),
        reference_time: NtpTimestamp::ZERO,
        received: NtpTimestamp::from_bits(0xeeac_016d_918f_92dd),
        transmitted: NtpTimestamp::from_bits(0xeeac_016d_918f_6797),
        reach: 0xff,
        unreach: 0,
        host_mode: 3,
        peer_mode: 4,
        host_poll: 3,
        peer_poll: 3,
        headway: 0,
        flash: 0,
        key_id: 0,
        offset: NtpDuration::ZERO,
        delay: NtpDuration::ZERO,
        dispersion: NtpDuration::from_nanos(115_781),
        jitter: NtpDuration::ZERO,
        filter_delay: [NtpDuration::ZERO; 8],
        filter_offset: [NtpDuration::ZERO; 8],
        filter_dispersion: core::array::from_fn(|i| NtpDuration::from_micros(120 * i as i64)),
    }
}

const OPEN: ControlPolicy = ControlPolicy {
    noquery: false,
    may_amplify: true,
};

/// All fragments of the reply to `request`.
fn answer(request: &[u8], peers: &[PeerVariables<'_>], policy: ControlPolicy) -> Vec<Vec<u8>> {
    let sys = c1_system();
    let req = ControlRequest::parse(request, None).expect("request accepted");
    let ctx = ControlContext {
        system: &sys,
        peers,
        now: C1_NOW,
        control_key: None,
    };
    let mut out = Vec::new();
    if let Some(mut reply) = ControlReply::new(req, policy) {
        let mut buf = [0u8; MAX_REPLY_LEN];
        while let Some(n) = reply.next_fragment(&ctx, &mut buf) {
            out.push(buf[..n].to_vec());
            assert!(out.len() < 100, "reply does not end");
        }
    }
    out
}

/// Reassembled data text of a fragmented reply (checks offsets and M bits).
fn reassemble(frags: &[Vec<u8>]) -> String {
    let mut data = Vec::new();
    for (i, f) in frags.iter().enumerate() {
        let h = ControlRepr::parse(f).unwrap();
        assert!(h.response && !h.error);
        assert_eq!(h.more, i + 1 < frags.len(), "M bit of fragment {i}");
        assert_eq!(usize::from(h.offset), data.len(), "offset of fragment {i}");
        assert_eq!(f.len() % 4, 0);
        data.extend_from_slice(h.data);
    }
    String::from_utf8(data).unwrap()
}

/// `name=value` pairs of a data text, as ntpq splits them.
fn pairs(text: &str) -> Vec<(String, String)> {
    text.split(',')
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| match s.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (s.to_string(), String::new()),
        })
        .collect()
}

#[test]
fn c1_readvar_system_is_byte_identical() {
    let request = hex("d60200010000000000000000");
    let expected = hex(
        "1682000105140000000001656c6561703d302c207374726174756d3d31312c20707265636973696f6e3d2d32342c20726f6f7464656c61793d302e3030302c20726f6f74646973703d31302e3134362c0d0a72656669643d3132372e3132372e312e302c2072656674696d653d307865656163303136352e39313866313531342c2074633d332c20706565723d31373736372c0d0a6f66667365743d302e3030303030302c206672657175656e63793d302e3030303030302c207379735f6a69747465723d302e3030303030302c0d0a636c6b5f6a69747465723d302e3030303033332c20636c6f636b3d307865656163303136372e39656339346264382c2070726f636573736f723d227838365f3634222c0d0a73797374656d3d224c696e75782f362e31382e34342d66632d76363639222c2076657273696f6e3d226e747064206e74707365632d312e322e32222c0d0a636c6b5f77616e6465723d302e3030303030302c206d696e74633d300d0a000000",
    );
    let frags = answer(&request, &[], OPEN);
    assert_eq!(frags.len(), 1);
    assert_eq!(frags[0], expected);
}

#[test]
fn c3_readstat_is_byte_identical() {
    let frags = answer(&hex("d60100010000000000000000"), &[c4_peer()], OPEN);
    assert_eq!(frags, vec![hex("1681000105140000000000044567961a")]);
}

#[test]
fn c4_peer_readvar_fragments_like_ntpsec() {
    let frags = answer(&hex("d60200020000456700000000"), &[c4_peer()], OPEN);
    assert_eq!(frags.len(), 2, "670-odd bytes need two fragments");
    let h0 = ControlRepr::parse(&frags[0]).unwrap();
    assert_eq!(
        (
            h0.data.len(),
            h0.more,
            h0.status,
            h0.association_id,
            h0.sequence
        ),
        (468, true, 0x961a, 17767, 2)
    );
    assert_eq!(frags[0].len(), 480);
    let text = reassemble(&frags);
    assert!(text.ends_with("\r\n"));
    for line in text.split("\r\n") {
        assert!(line.len() < 72 + 16, "line too long: {line:?}");
    }
    let got = pairs(&text);
    let get = |k: &str| got.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    // The values ntpq -p and ntpq -c "rv 17767" read, as ntpsec sent them.
    for (k, v) in [
        ("srcadr", "127.127.1.0"),
        ("srcport", "123"),
        ("dstadr", "127.0.0.1"),
        ("dstport", "123"),
        ("leap", "0"),
        ("hmode", "3"),
        ("stratum", "10"),
        ("ppoll", "3"),
        ("hpoll", "3"),
        ("precision", "-24"),
        ("rootdelay", "0.000"),
        ("rootdisp", "10.000"),
        ("refid", "LOCL"),
        ("reftime", "0x00000000.00000000"),
        ("rec", "0xeeac016d.918f92dd"),
        ("xmt", "0xeeac016d.918f6797"),
        ("reach", "0xff"),
        ("unreach", "0"),
        ("delay", "0.000000"),
        ("offset", "0.000000"),
        ("jitter", "0.000000"),
        ("dispersion", "0.115781"),
        ("keyid", "0"),
        ("pmode", "4"),
        ("flash", "0x0"),
        ("headway", "0"),
        ("srchost", "\"LOCAL(0)\""),
        ("filtdelay", " 0.00 0.00 0.00 0.00 0.00 0.00 0.00 0.00"),
        ("filtdisp", " 0.00 0.12 0.24 0.36 0.48 0.60 0.72 0.84"),
    ] {
        assert_eq!(get(k), Some(v), "{k}");
    }
}

#[test]
fn requested_variables_only() {
    let mut req = hex("d60200030000000000000011");
    req.extend_from_slice(b"stratum, offset\r\n");
    let frags = answer(&req, &[], OPEN);
    assert_eq!(reassemble(&frags), "stratum=11, offset=0.000000\r\n");

    let mut bad = hex("d6020004000000000000000a");
    bad.extend_from_slice(b"nosuchvar\0\0");
    let frags = answer(&bad, &[], OPEN);
    let h = ControlRepr::parse(&frags[0]).unwrap();
    assert!(h.error && h.response);
    assert_eq!(h.status >> 8, 5, "unknown variable");
}

#[test]
fn errors_for_unknown_association_and_opcode() {
    let frags = answer(&hex("d60200050000000900000000"), &[c4_peer()], OPEN);
    let h = ControlRepr::parse(&frags[0]).unwrap();
    assert!(h.error);
    assert_eq!(h.status >> 8, 4);
    let frags = answer(&hex("d61e00060000000000000000"), &[], OPEN);
    let h = ControlRepr::parse(&frags[0]).unwrap();
    assert!(h.error);
    assert_eq!(
        (h.status >> 8, h.opcode, h.sequence),
        (3, Opcode::from_bits(0x1e), 6)
    );
    assert_eq!(frags[0].len(), 12);
}

#[test]
fn noquery_and_non_requests_get_silence() {
    let frags = answer(
        &hex("d60200010000000000000000"),
        &[],
        ControlPolicy {
            noquery: true,
            may_amplify: true,
        },
    );
    assert!(frags.is_empty());
    // A response (R bit) is never answered.
    assert_eq!(
        ControlRequest::parse(&hex("d68200010000000000000000"), None),
        Err(RequestError::NotARequest)
    );
    // Found by fuzzing: a datagram shorter than the header is never padded
    // into one (even an error reply would then amplify it).
    for short in [
        "d602",
        "de0900000000000000",
        "de000000000000000000",
        "d602000100000000000000",
    ] {
        assert!(
            matches!(
                ControlRequest::parse(&hex(short), None),
                Err(RequestError::Malformed(_))
            ),
            "{short}"
        );
    }
}

#[test]
fn large_replies_only_to_allowed_queriers() {
    let closed = ControlPolicy {
        noquery: false,
        may_amplify: false,
    };
    let frags = answer(&hex("d60200010000000000000000"), &[], closed);
    assert_eq!(frags.len(), 1);
    assert_eq!(frags[0].len(), 12);
    let h = ControlRepr::parse(&frags[0]).unwrap();
    assert!(h.error);
    assert_eq!(h.status >> 8, 1, "permission");
    // A small reply fits the budget: READSTAT with one association is 16
    // bytes, so a 16-byte request gets it.
    let frags = answer(
        &hex("d6010001000000000000000400000000"),
        &[c4_peer()],
        closed,
    );
    assert_eq!(frags, vec![hex("1681000105140000000000044567961a")]);
}

#[test]
fn readstat_association_lists_are_fragmented() {
    let mut peers = Vec::new();
    for i in 0..200u16 {
        let mut p = c4_peer();
        p.association_id = 1000 + i;
        peers.push(p);
    }
    let frags = answer(&hex("d60100010000000000000000"), &peers, OPEN);
    assert_eq!(frags.len(), 2);
    let mut data = Vec::new();
    for f in &frags {
        let h = ControlRepr::parse(f).unwrap();
        data.extend_from_slice(h.data);
    }
    assert_eq!(data.len(), 800);
    assert_eq!(&data[796..], &[0x04, 0xaf, 0x96, 0x1a]);
}

#[test]
fn peers_source_addresses_v6() {
    let mut p = c4_peer();
    p.source = SocketAddr::from(([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1], 123));
    p.is_refclock = false;
    p.stratum = 2;
    p.refid = RefId::from_bytes([192, 0, 2, 1]);
    p.host_name = None;
    let mut req = hex("d60200020000456700000017");
    req.extend_from_slice(b"srcadr,refid,srchost\0\0\0\0\0\0\0");
    req.truncate(12 + 0x17);
    let frags = answer(&req, &[p], OPEN);
    let h = ControlRepr::parse(&frags[0]).unwrap();
    assert!(h.error, "srchost unknown without a name");
    let mut req = hex("d6020002000045670000000c");
    req.extend_from_slice(b"srcadr,refid");
    let frags = answer(&req, &[p], OPEN);
    assert_eq!(
        reassemble(&frags),
        "srcadr=2001:db8::1, refid=192.0.2.1\r\n"
    );
}

/// One refclock association (the c4 peer) with driver variables.
struct WithClock(PeerVariables<'static>);

impl PeerSource for WithClock {
    fn peer_count(&self) -> usize {
        1
    }
    fn peer(&self, index: usize) -> Option<PeerVariables<'_>> {
        (index == 0).then_some(self.0)
    }
    fn clock(&self, index: usize) -> Option<ClockVariables<'_>> {
        (index == 0).then_some(ClockVariables {
            driver_type: 20,
            timecode: "$GPRMC,113919,A,4807.038,N,01131.000,E,0.0,0.0,211126,,,A*6C",
            polls: 12,
            no_reply: 1,
            bad_format: 0,
            bad_data: 2,
            fudge_time1: NtpDuration::from_micros(-1_500),
            fudge_time2: NtpDuration::ZERO,
            stratum: 0,
            refid: RefId::from_bytes(*b"GPS\0"),
            flags: 0,
            device: "NMEA GPS",
        })
    }
}

#[test]
fn readclock_lists_driver_variables() {
    let sys = c1_system();
    let peers = WithClock(c4_peer());
    let ctx = ControlContext {
        system: &sys,
        peers: &peers,
        now: C1_NOW,
        control_key: None,
    };
    let mut buf = [0u8; MAX_REPLY_LEN];
    // Association 0 = the system peer (17767), which is a clock.
    for req in ["d60400070000000000000000", "d60400070000456700000000"] {
        let req = ControlRequest::parse(&hex(req), None).unwrap();
        let mut reply = ControlReply::new(req, OPEN).unwrap();
        let n = reply.next_fragment(&ctx, &mut buf).unwrap();
        let r = ControlRepr::parse(&buf[..n]).unwrap();
        assert!(!r.error && !r.more);
        let text = std::str::from_utf8(r.data).unwrap();
        assert!(
            text.starts_with("type=20,\r\ntimecode=\"$GPRMC?113919?A?"),
            "{text}"
        );
        assert!(
            text.contains("poll=12, noreply=1, badformat=0, baddata=2, fudgetime1=-1.500,\r\n"),
            "{text}"
        );
        assert!(
            text.contains("refid=GPS, flags=0x0, device=\"NMEA GPS\"\r\n"),
            "{text}"
        );
        assert!(reply.next_fragment(&ctx, &mut buf).is_none());
    }
    // A peer that is not a clock: bad association.
    let ctx = ControlContext {
        system: &sys,
        peers: &[c4_peer()][..],
        now: C1_NOW,
        control_key: None,
    };
    let req = ControlRequest::parse(&hex("d60400070000456700000000"), None).unwrap();
    let n = ControlReply::new(req, OPEN)
        .unwrap()
        .next_fragment(&ctx, &mut buf)
        .unwrap();
    let r = ControlRepr::parse(&buf[..n]).unwrap();
    assert!(r.error);
    assert_eq!(r.status >> 8, 4);
}

#[test]
fn controlkey_authenticated_requests_get_signed_replies() {
    let key1 = Key::new(KeyId(1), Algorithm::Md5, b"secret").unwrap();
    let key2 = Key::new(KeyId(2), Algorithm::Sha1, b"01234567890123456789").unwrap();
    // READVAR assoc 0, no data: header padded to 8 bytes, then key ID + digest.
    let mut req = [0u8; 64];
    req[..12].copy_from_slice(&hex("d60200080000000000000000"));
    let n = key1.sign(&mut req, 16).unwrap();
    let signed = &req[..n];
    assert_eq!(n, 36);

    let parsed = ControlRequest::parse(signed, Some(&key1)).unwrap();
    assert_eq!(parsed.key, Some(KeyId(1)));
    // Not the control key, or no control key: silence.
    assert_eq!(
        ControlRequest::parse(signed, Some(&key2)),
        Err(RequestError::BadAuthentication)
    );
    assert_eq!(
        ControlRequest::parse(signed, None),
        Err(RequestError::BadAuthentication)
    );
    let mut tampered = signed.to_vec();
    tampered[20] ^= 0x80;
    assert_eq!(
        ControlRequest::parse(&tampered, Some(&key1)),
        Err(RequestError::BadAuthentication)
    );

    // Authenticated: the full reply although the policy allows no amplification,
    // every fragment signed with the control key over header + data + padding.
    let sys = c1_system();
    let ctx = ControlContext {
        system: &sys,
        peers: &[c4_peer()][..],
        now: C1_NOW,
        control_key: Some(&key1),
    };
    let closed = ControlPolicy {
        noquery: false,
        may_amplify: false,
    };
    let mut reply = ControlReply::new(parsed, closed).unwrap();
    let mut buf = [0u8; MAX_REPLY_LEN];
    let n = reply.next_fragment(&ctx, &mut buf).unwrap();
    assert!(reply.next_fragment(&ctx, &mut buf[..]).is_none());
    let r = ControlRepr::parse(&buf[..n]).unwrap();
    assert!(!r.error);
    assert_eq!(r.data.len(), 357);
    let mac = r.mac.expect("signed reply");
    assert_eq!(mac.key_id, 1);
    assert_eq!(r.mac_offset() % 8, 0);
    assert!(key1.verify(&buf[..r.mac_offset()], mac.digest));
}
