//! No amplification: for unauthenticated requests of every mode (0–7),
//! every version, several sizes, and every mode 6 opcode, the server and
//! the mode 6 responder together never send more bytes than they received,
//! when the caller does not allow larger replies (`may_amplify = false`).

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
