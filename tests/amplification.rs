//! No amplification: for unauthenticated requests of every mode (0–7),
//! every version, several sizes, and every mode 6 opcode, the server and
//! the mode 6 responder together never send more bytes than they received,
//! when the caller does not allow larger replies (`may_amplify = false`);
//! and the whole core (`Ntp`) under every `restrict` setting once its
//! global budget of oversize mode 6 replies is spent.

use core::net::SocketAddr;

use proptest::prelude::*;
use sundial::auth::KeyTable;
use sundial::control::{
    ControlContext, ControlPolicy, ControlReply, ControlRequest, EventLog, MAX_REPLY_LEN,
    PeerSelection, PeerStatus, PeerVariables,
};
use sundial::server::{MAX_SERVER_PACKET_LEN, Server, SystemVariables};
use sundial::wire::{LeapIndicator, Mode, RefId, peek_mode};
use sundial::{NtpDuration, NtpTime, NtpTimestamp};

fn peer(id: u16) -> PeerVariables<'static> {
    PeerVariables {
        association_id: id,
        status: PeerStatus {
            reachable: true,
            selection: PeerSelection::Candidate,
            events: EventLog::default(),
            ..PeerStatus::default()
        },
        source: SocketAddr::from(([192, 0, 2, id as u8], 123)),
        destination: None,
        host_name: Some("a-rather-long-host-name.example.org"),
        is_refclock: false,
        leap: LeapIndicator::NoWarning,
        stratum: 2,
        precision: -20,
        root_delay: NtpDuration::from_millis(12),
        root_dispersion: NtpDuration::from_millis(20),
        refid: RefId::from_bytes([192, 0, 2, 200]),
        reference_time: NtpTimestamp::from_bits(0xeeac_0000_0000_0000),
        received: NtpTimestamp::from_bits(0xeeac_0001_0000_0000),
        transmitted: NtpTimestamp::from_bits(0xeeac_0001_0000_0000),
        reach: 0xff,
        unreach: 0,
        host_mode: 3,
        peer_mode: 4,
        host_poll: 6,
        peer_poll: 6,
        headway: 0,
        flash: 0,
        key_id: 0,
        offset: NtpDuration::from_micros(-123),
        delay: NtpDuration::from_micros(4567),
        dispersion: NtpDuration::from_micros(890),
        jitter: NtpDuration::from_micros(12),
        filter_delay: [NtpDuration::from_micros(4567); 8],
        filter_offset: [NtpDuration::from_micros(-123); 8],
        filter_dispersion: [NtpDuration::from_micros(890); 8],
    }
}

/// What a daemon does with one datagram: serve modes 1/3, answer mode 6
/// (unauthorised querier), drop the rest. Returns the bytes sent.
fn dispatch(
    server: &mut Server<8>,
    ctx: &ControlContext<'_, [PeerVariables<'_>]>,
    bytes: &[u8],
) -> usize {
    let from: SocketAddr = "198.51.100.7:40000".parse().unwrap();
    let rx = NtpTime::from_parts(0xeeac_0002, 0);
    match peek_mode(bytes) {
        Ok(Mode::Control) => {
            let Ok(req) = ControlRequest::parse(bytes, None) else {
                return 0;
            };
            let policy = ControlPolicy {
                noquery: false,
                may_amplify: false,
            };
            let Some(mut reply) = ControlReply::new(req, policy) else {
                return 0;
            };
            let mut buf = [0u8; MAX_REPLY_LEN];
            let mut sent = 0;
            while let Some(n) = reply.next_fragment(ctx, &mut buf) {
                sent += n;
            }
            sent
        }
        Ok(_) => {
            let mut buf = [0u8; MAX_SERVER_PACKET_LEN];
            server
                .reply(bytes, from, rx, ctx.system, &KeyTable::<1>::new(), &mut buf)
                .map_or(0, |p| p.len)
        }
        Err(_) => 0,
    }
}

fn system() -> SystemVariables {
    SystemVariables {
        leap: LeapIndicator::NoWarning,
        stratum: 2,
        peer: 1,
        processor: "x86_64",
        system: "Linux/6.1.0-something-long",
        ..SystemVariables::UNSYNCHRONIZED
    }
}

#[test]
fn bytes_sent_never_exceed_bytes_received() {
    let sys = system();
    let peers: Vec<PeerVariables<'static>> = (1..=40).map(peer).collect();
    let ctx = ControlContext {
        system: &sys,
        peers: &peers[..],
        now: NtpTime::from_parts(0xeeac_0002, 0),
        control_key: None,
    };
    let mut server = Server::<8>::new();
    let (mut received, mut sent, mut answered) = (0usize, 0usize, 0usize);
    let mut check = |bytes: &[u8]| {
        let n = dispatch(&mut server, &ctx, bytes);
        assert!(
            n <= bytes.len(),
            "{n} bytes sent for {} received: {:02x?}",
            bytes.len(),
            &bytes[..bytes.len().min(16)]
        );
        received += bytes.len();
        sent += n;
        answered += usize::from(n > 0);
    };
    // Every first byte (LI, version, mode) with sizes around the thresholds.
    for first in 0..=255u8 {
        for len in [1, 12, 16, 47, 48, 52, 68, 72, 200] {
            let mut b = vec![0u8; len];
            b[0] = first;
            check(&b);
        }
    }
    // Every mode 6 opcode and association (system, known, unknown), with and
    // without a variable list, for versions 2–4.
    for version in 2..=4u8 {
        for opcode in 0..32u8 {
            for assoc in [0u16, 1, 40, 999] {
                let mut b = vec![(version << 3) | 6, opcode, 0, 1, 0, 0];
                b.extend_from_slice(&assoc.to_be_bytes());
                b.extend_from_slice(&[0, 0, 0, 0]);
                check(&b);
                let list = b"srcadr,filtdelay,filtoffset";
                b[11] = list.len() as u8;
                b.extend_from_slice(list);
                check(&b);
            }
        }
    }
    assert!(
        answered > 500,
        "the test must exercise replies ({answered})"
    );
    assert!(
        sent <= received,
        "{sent} bytes sent for {received} received"
    );
}

proptest! {
    /// Arbitrary datagrams (half of them forced to mode 6) never panic the
    /// server or the responder and never get more bytes back than they had.
    #[test]
    fn random_datagrams_never_amplify(mut bytes in proptest::collection::vec(any::<u8>(), 0..600), control: bool) {
        if control {
            if let Some(b) = bytes.first_mut() {
                *b = (*b & 0xf8) | 6;
            }
        }
        let sys = system();
        let peers: Vec<PeerVariables<'static>> = (1..=20).map(peer).collect();
        let ctx = ControlContext { system: &sys, peers: &peers[..], now: NtpTime::from_parts(0xeeac_0002, 0), control_key: None };
        let mut server = Server::<8>::new();
        let sent = dispatch(&mut server, &ctx, &bytes);
        prop_assert!(sent <= bytes.len());
    }
}

/// The shared attack bench of the security suite (the core, keys, restrict
/// settings, packet builders).
#[path = "security/harness.rs"]
mod harness;

/// Every kind of request a daemon can receive, unauthenticated: each mode
/// (0–7) and version (0–7) as a bare header, with extension fields, with a
/// MAC that does not verify, as a crypto-NAK, cut short; mode 6 with every
/// opcode for the system, a known and an unknown association, with and
/// without data, with MACs that do not verify; mode 7 as ntpdc sends it.
fn request_kinds(assoc_ids: &[u16]) -> Vec<(String, Vec<u8>)> {
    let mut kinds = Vec::new();
    let at = harness::T0 + harness::secs(1);
    for version in 0..=7u8 {
        for mode in 0..=7u8 {
            let mut h = harness::emit(&harness::header(
                sundial::wire::Mode::Client,
                NtpTimestamp::ZERO,
                at.to_timestamp(),
            ));
            h[0] = (version << 3) | mode;
            let mut ext16 = h.clone();
            ext16.extend_from_slice(&[0x01, 0x04, 0, 16]);
            ext16.extend_from_slice(&[0xab; 12]);
            let mut ext28 = h.clone();
            ext28.extend_from_slice(&[0x02, 0x04, 0, 28]);
            ext28.extend_from_slice(&[0xcd; 24]);
            let bad_md5 = [&h[..], &1u32.to_be_bytes(), &[0x5a; 16]].concat();
            let bad_sha1 = [&h[..], &2u32.to_be_bytes(), &[0x5a; 20]].concat();
            let unknown_key = [&h[..], &99u32.to_be_bytes(), &[0x5a; 16]].concat();
            let nak = [&h[..], &[0u8; 4]].concat();
            let ext_and_mac = [&ext28[..], &3u32.to_be_bytes(), &[0x5a; 16]].concat();
            for (what, bytes) in [
                ("header", h.clone()),
                ("ext16", ext16),
                ("ext28", ext28),
                ("bad md5", bad_md5),
                ("bad sha1", bad_sha1),
                ("unknown key", unknown_key),
                ("crypto-nak", nak),
                ("ext+mac", ext_and_mac),
                ("short", h[..47].to_vec()),
                ("tiny", h[..8].to_vec()),
            ] {
                kinds.push((format!("v{version} mode {mode} {what}"), bytes));
            }
        }
    }
    let ids: Vec<u16> = [0]
        .into_iter()
        .chain(assoc_ids.iter().copied())
        .chain([999])
        .collect();
    for version in 2..=4u8 {
        for opcode in 0..32u8 {
            for &assoc in &ids {
                for data in [
                    &b""[..],
                    b"srcadr,filtdelay,filtoffset",
                    b"nonce=1, frags=32, limit=9999",
                ] {
                    let mut b = harness::control(opcode, assoc, data);
                    b[0] = (version << 3) | 6;
                    // The same with a MAC that does not verify (the control
                    // key's id, a wrong digest) and with an unknown key id.
                    let mut bad = harness::sign_control(&b, 1);
                    *bad.last_mut().unwrap() ^= 1;
                    let mut unknown = harness::sign_control(&b, 2);
                    let at = unknown.len() - 24;
                    unknown[at..at + 4].copy_from_slice(&77u32.to_be_bytes());
                    let name = format!("v{version} mode 6 op {opcode} assoc {assoc} {data:?}");
                    kinds.push((format!("{name} bad mac"), bad));
                    kinds.push((format!("{name} unknown key"), unknown));
                    kinds.push((name, b));
                }
            }
        }
    }
    for v in 1..=4u8 {
        let mut monlist = vec![(v << 3) | 7, 0x00, 0x03, 0x2a];
        monlist.resize(48, 0);
        kinds.push((format!("v{v} mode 7 monlist"), monlist.clone()));
        monlist.resize(192, 0);
        kinds.push((format!("v{v} mode 7 monlist padded"), monlist));
    }
    kinds
}

/// A daemon-like core: eight associations (large mode 6 replies), a
/// control key, broadcast client mobilisation on, and `flags` as its
/// default restriction.
fn daemon(flags: sundial::access::RestrictFlags, seed: u8) -> harness::Core {
    let mut ntp = harness::core_with(
        sundial::system::SystemConfig {
            control_key: Some(sundial::auth::KeyId(1)),
            broadcast_client: true,
            ..sundial::system::SystemConfig::default()
        },
        seed,
    );
    for i in 0..8u8 {
        ntp.add_association(
            sundial::association::AssociationConfig::client(SocketAddr::from(([10, 0, 1, i], 123))),
            sundial::select::CandidateFlags::empty(),
            harness::T0,
        )
        .unwrap();
    }
    ntp.access_mut().restrict.set_default(None, flags);
    ntp
}

/// The real core, every request kind × every `restrict` setting: once the
/// global budget of oversize mode 6 replies (`AMPLIFICATION_BURST` at once)
/// is spent, no unauthenticated request gets more bytes back than it had,
/// in all datagrams it causes together; before that, at most the budget's
/// worth of replies are larger.
#[test]
fn every_request_kind_under_every_restrict_setting() {
    use sundial::system::AMPLIFICATION_BURST;
    let mut answered_total = 0;
    for (name, flags) in harness::restrict_settings() {
        let mut ntp = daemon(flags, 3);
        let ids: Vec<u16> = ntp.associations().map(|v| v.id().0).collect();
        let now = harness::T0 + harness::secs(1);
        // Spend the budget (what a flood does first).
        let mut oversize = 0;
        for i in 0..64u8 {
            let req = harness::control(2, 0, b"");
            let from = SocketAddr::from(([192, 0, 2, i], 40_000));
            let sent: usize = harness::exchange_all(&mut ntp, from, &req, now)
                .iter()
                .map(Vec::len)
                .sum();
            oversize += u32::from(sent > req.len());
        }
        assert!(oversize <= AMPLIFICATION_BURST, "{name}: {oversize}");
        let (mut answered, mut received, mut sent_total) = (0, 0, 0);
        for (k, (what, req)) in request_kinds(&ids).into_iter().enumerate() {
            // A new source each time, so rate limiting does not hide replies.
            let from = SocketAddr::from(([203, 0, (k >> 8) as u8, k as u8], 40_000));
            let out = harness::exchange_all(&mut ntp, from, &req, now);
            let sent: usize = out.iter().map(Vec::len).sum();
            assert!(
                sent <= req.len(),
                "{name}: {what}: {sent} bytes sent for {}",
                req.len()
            );
            answered += usize::from(!out.is_empty());
            received += req.len();
            sent_total += sent;
        }
        assert!(sent_total <= received);
        if flags.is_empty() {
            assert!(
                answered > 1000,
                "{name}: the test must exercise replies ({answered})"
            );
        }
        answered_total += answered;
    }
    assert!(answered_total > 5000, "{answered_total}");
}

proptest! {
    /// Random datagrams with random restrictions into the real core, after
    /// the budget is spent: never more bytes out than in.
    #[test]
    fn random_datagrams_into_the_core_never_amplify(
        datagrams in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..600), 1..8),
        flags in any::<u16>(),
        control: bool,
    ) {
        let flags = sundial::access::RestrictFlags::from_bits_truncate(u32::from(flags))
            - sundial::access::RestrictFlags::NTPPORT;
        let mut ntp = daemon(flags, 4);
        let now = harness::T0 + harness::secs(1);
        for i in 0..64u8 {
            let from = SocketAddr::from(([192, 0, 2, i], 40_000));
            harness::exchange_all(&mut ntp, from, &harness::control(2, 0, b""), now);
        }
        for mut bytes in datagrams {
            if control {
                if let Some(b) = bytes.first_mut() {
                    *b = (*b & 0xf8) | 6;
                }
            }
            let out = harness::exchange_all(&mut ntp, harness::VICTIM, &bytes, now);
            let sent: usize = out.iter().map(Vec::len).sum();
            prop_assert!(sent <= bytes.len(), "{} for {}", sent, bytes.len());
        }
    }
}
