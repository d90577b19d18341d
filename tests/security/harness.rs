//! The attack bench: the real core (`Ntp`) under test, an honest upstream
//! server built from the crate's own `Server`, and helpers to forge packets.
#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use sundial::association::{Association, AssociationConfig};
use sundial::auth::{Algorithm, Key, KeyId, KeyTable};
use sundial::event::AssociationId;
use sundial::select::CandidateFlags;
use sundial::server::{MAX_SERVER_PACKET_LEN, Server, SystemVariables, stamp_transmit};
use sundial::system::{MAX_PACKET_LEN, Ntp, Source, SystemConfig, Transmit, TransmitKind};
use sundial::time::{NtpDuration, NtpShort, NtpTime, NtpTimestamp, PollInterval};
use sundial::wire::{HEADER_LEN, HeaderRepr, KissCode, LeapIndicator, Mode, Packet, RefId};

/// 2026-11-21 00:00:00 UTC.
pub const T0: NtpTime = NtpTime::from_parts(4_004_208_000, 0);

const fn v4(a: u8, b: u8, c: u8, d: u8) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(a, b, c, d)), 123)
}

/// The honest upstream server of the client under attack.
pub const SERVER: SocketAddr = v4(10, 0, 0, 1);
/// The core under test, when someone talks to it.
pub const HOST: SocketAddr = v4(10, 0, 0, 2);
/// A symmetric peer.
pub const PEER: SocketAddr = v4(10, 0, 0, 3);
/// A client of the core under test.
pub const VICTIM: SocketAddr = v4(198, 51, 100, 9);

pub type Core = Ntp<8, 4>;

pub fn us(n: i64) -> NtpDuration {
    NtpDuration::from_micros(n)
}

pub fn secs(n: i64) -> NtpDuration {
    NtpDuration::from_seconds(n)
}

/// The association tests' harness (for its keys).
#[path = "../association_common/mod.rs"]
mod association_common;

/// The test keys: 1 MD5, 2 SHA1, 3 AES-128-CMAC (trusted, the association
/// tests' keys), 4 MD5 (not trusted).
pub fn keys() -> KeyTable<4> {
    let mut t = association_common::test_keys();
    t.insert(Key::new(KeyId(4), Algorithm::Md5, b"stale").unwrap(), false)
        .unwrap();
    t
}

/// A core with the test keys and `config`, seeded with `seed`.
pub fn core_with(config: SystemConfig, seed: u8) -> Core {
    let mut ntp = Core::new(config, T0, [seed; 16]);
    for (k, trusted) in keys().iter() {
        ntp.keys_mut().insert(k.clone(), trusted).unwrap();
    }
    ntp
}

pub fn core(seed: u8) -> Core {
    core_with(SystemConfig::default(), seed)
}

/// Signs `bytes` (a bare header or any prefix) with trusted key `id`.
pub fn sign(bytes: &[u8], id: u32) -> Vec<u8> {
    let keys = keys();
    let key = keys.get(KeyId(id)).unwrap();
    let mut out = bytes.to_vec();
    out.resize(bytes.len() + key.mac_len(), 0);
    let n = key.sign(&mut out, bytes.len()).unwrap();
    out.truncate(n);
    out
}

/// A synchronised stratum-1 server's variables.
pub fn synced(now: NtpTime) -> SystemVariables {
    SystemVariables {
        leap: LeapIndicator::NoWarning,
        stratum: 1,
        precision: -20,
        refid: RefId::from_bytes(*b"GPS\0"),
        reference_time: Some(now - secs(8)),
        root_dispersion: us(100),
        poll: PollInterval::from_log2(6),
        ..SystemVariables::UNSYNCHRONIZED
    }
}

/// A forged or hand-made header with sane server values.
pub fn header(mode: Mode, origin: NtpTimestamp, xmt: NtpTimestamp) -> HeaderRepr {
    HeaderRepr {
        leap: LeapIndicator::NoWarning,
        version: 4,
        mode,
        stratum: 1,
        poll: PollInterval::from_log2(6),
        precision: -20,
        root_delay: NtpShort::ZERO,
        root_dispersion: NtpShort::from_duration_saturating(us(100)),
        ref_id: RefId::from_bytes(*b"GPS\0"),
        reference_timestamp: NtpTimestamp::from_bits(xmt.to_bits().wrapping_sub(8 << 32)),
        origin_timestamp: origin,
        receive_timestamp: xmt,
        transmit_timestamp: xmt,
    }
}

pub fn emit(h: &HeaderRepr) -> Vec<u8> {
    let mut b = vec![0u8; HEADER_LEN];
    h.emit(&mut Packet::new_unchecked(&mut b[..]));
    b
}

/// A kiss-o'-death as a server sends it, answering `origin`.
pub fn kiss(code: KissCode, origin: NtpTimestamp) -> Vec<u8> {
    emit(&HeaderRepr {
        leap: LeapIndicator::Unsynchronized,
        stratum: 0,
        ref_id: code.to_ref_id(),
        reference_timestamp: NtpTimestamp::ZERO,
        receive_timestamp: origin,
        ..header(Mode::Server, origin, origin)
    })
}

pub fn ts(bytes: &[u8], at: usize) -> NtpTimestamp {
    NtpTimestamp::from_bits(u64::from_be_bytes(bytes[at..at + 8].try_into().unwrap()))
}

pub fn set_ts(bytes: &mut [u8], at: usize, t: NtpTimestamp) {
    bytes[at..at + 8].copy_from_slice(&t.to_bits().to_be_bytes());
}

/// Byte offsets of the timestamps in a header.
pub const ORIGIN: usize = 24;
pub const RECEIVE: usize = 32;
pub const TRANSMIT: usize = 40;

/// An honest server (the crate's own `Server`), `offset` ahead of the
/// client's clock.
pub struct Upstream {
    pub server: Server<8>,
    pub sys: SystemVariables,
    pub keys: KeyTable<4>,
    pub offset: NtpDuration,
}

impl Upstream {
    pub fn new() -> Self {
        Upstream {
            server: Server::new(),
            sys: synced(T0),
            keys: keys(),
            offset: us(300),
        }
    }

    /// Answers `req` from `from` arriving at client-local `at`; the reply
    /// leaves 10 µs later.
    pub fn answer(&mut self, req: &[u8], from: SocketAddr, at: NtpTime) -> Option<Vec<u8>> {
        let rx = at + self.offset;
        self.sys.reference_time = Some(rx - secs(8));
        let mut out = [0u8; MAX_SERVER_PACKET_LEN];
        let built = self
            .server
            .reply(req, from, rx, &self.sys, &self.keys, &mut out)
            .ok()?;
        let mut bytes = out[..built.len].to_vec();
        if built.stamp_at_send {
            let key = built.key.and_then(|id| self.keys.trusted(id));
            stamp_transmit(&mut bytes, rx + us(10), key)?;
        }
        // The precise send time, for the next interleaved reply.
        self.server.transmitted(from, built.receive, rx + us(10));
        Some(bytes)
    }
}

/// The core under test with one association to `SERVER` (or a peer) and the
/// honest upstream; time advances as the core asks.
pub struct Bench {
    pub ntp: Core,
    pub up: Upstream,
    pub id: AssociationId,
    pub now: NtpTime,
    /// One-way network delay.
    pub delay: NtpDuration,
}

impl Bench {
    pub fn new(ntp: Core, config: AssociationConfig) -> Self {
        let mut ntp = ntp;
        let id = ntp
            .add_association(config, CandidateFlags::empty(), T0)
            .unwrap();
        Bench {
            ntp,
            up: Upstream::new(),
            id,
            now: T0,
            delay: us(50),
        }
    }

    pub fn client(config: AssociationConfig) -> Self {
        Self::new(core(1), config)
    }

    pub fn assoc(&self) -> &Association {
        assoc(&self.ntp, self.id)
    }

    /// Runs the core until its association sends; returns the packet.
    pub fn request(&mut self) -> Vec<u8> {
        for _ in 0..10_000 {
            let wake = self.ntp.poll_timeout();
            if wake > self.now {
                self.now = wake;
            }
            self.ntp.handle_timeout(self.now);
            let mut buf = [0u8; MAX_PACKET_LEN];
            while let Some(tx) = self.ntp.poll_transmit(self.now, &mut buf) {
                if tx.kind == TransmitKind::Poll(self.id) {
                    return buf[..tx.len].to_vec();
                }
            }
            self.apply();
        }
        panic!("the association never polled");
    }

    /// Applies whatever adjustment the core asks for (the bench's clock is
    /// ideal; only the bookkeeping matters).
    pub fn apply(&mut self) {
        while let Some(adj) = self.ntp.poll_adjustment() {
            self.ntp.adjustment_applied(adj, self.now);
        }
    }

    /// A request and the honest reply; the reply's arrival time.
    pub fn exchange(&mut self) -> (Vec<u8>, Vec<u8>, NtpTime) {
        let req = self.request();
        let to = self.assoc().config().remote;
        let _ = to;
        let reply = self
            .up
            .answer(&req, HOST, self.now + self.delay)
            .expect("upstream answers");
        let at = self.now + self.delay + us(10) + self.delay;
        (req, reply, at)
    }

    /// Delivers `bytes` from `from` at local time `at`; what the core sends back.
    pub fn deliver(&mut self, from: SocketAddr, bytes: &[u8], at: NtpTime) -> Option<Vec<u8>> {
        self.now = self.now.max(at);
        let mut out = [0u8; MAX_PACKET_LEN];
        let tx = self.ntp.handle_packet(at, from, bytes, at, &mut out);
        self.apply();
        tx.map(|t| out[..t.len].to_vec())
    }

    /// One honest round; returns whether the association took a sample.
    pub fn round(&mut self) -> bool {
        let before = self.assoc().counters().samples;
        let (_, reply, at) = self.exchange();
        self.deliver(SERVER, &reply, at);
        self.assoc().counters().samples > before
    }
}

/// The network association `id` of `ntp`.
pub fn assoc<const A: usize, const K: usize>(ntp: &Ntp<A, K>, id: AssociationId) -> &Association {
    match ntp.association(id).expect("association exists").source() {
        Source::Network(a) => a,
        Source::Refclock(_) => panic!("not a network association"),
    }
}

/// Hands `bytes` to `ntp` and collects everything it sends in answer
/// (the immediate datagram and any further mode 6 fragments).
pub fn exchange_all<const A: usize, const K: usize>(
    ntp: &mut Ntp<A, K>,
    from: SocketAddr,
    bytes: &[u8],
    now: NtpTime,
) -> Vec<Vec<u8>> {
    let mut sent = Vec::new();
    let mut out = [0u8; MAX_PACKET_LEN];
    if let Some(tx) = ntp.handle_packet(now, from, bytes, now, &mut out) {
        assert_eq!(tx.to, from, "replies go to the sender");
        sent.push(out[..tx.len].to_vec());
    }
    while let Some(tx) = ntp.poll_transmit(now, &mut out) {
        if is_reply(&tx) {
            assert_eq!(tx.to, from, "replies go to the sender");
            sent.push(out[..tx.len].to_vec());
        }
    }
    sent
}

fn is_reply(tx: &Transmit) -> bool {
    matches!(
        tx.kind,
        TransmitKind::Reply | TransmitKind::KissOfDeath | TransmitKind::Control
    )
}

/// A mode 6 request: version 2, `opcode`, association `assoc`, `data`.
pub fn control(opcode: u8, assoc: u16, data: &[u8]) -> Vec<u8> {
    let mut b = vec![(2 << 3) | 6, opcode & 0x1f, 0, 7, 0, 0];
    b.extend_from_slice(&assoc.to_be_bytes());
    b.extend_from_slice(&[0, 0]);
    b.extend_from_slice(&(data.len() as u16).to_be_bytes());
    b.extend_from_slice(data);
    while b.len() % 4 != 0 {
        b.push(0);
    }
    b
}

/// Signs a mode 6 request the way ntpq does (data padded to 8 bytes, then
/// key id and digest).
pub fn sign_control(req: &[u8], id: u32) -> Vec<u8> {
    let mut b = req.to_vec();
    while b.len() % 8 != 0 {
        b.push(0);
    }
    sign(&b, id)
}

/// A mode 6 reply's error bit and error code (None for a data reply).
pub fn control_error(reply: &[u8]) -> Option<u8> {
    (reply[1] & 0x40 != 0).then_some(reply[4])
}

/// Every `restrict` setting worth telling apart, as default flags.
pub fn restrict_settings() -> Vec<(&'static str, sundial::access::RestrictFlags)> {
    use sundial::access::RestrictFlags as F;
    vec![
        ("default (nomodify)", F::NOMODIFY),
        ("nothing", F::empty()),
        ("noquery", F::NOQUERY),
        ("nomodify", F::NOMODIFY),
        ("limited", F::LIMITED),
        ("limited kod", F::LIMITED | F::KOD),
        ("kod", F::KOD),
        ("ignore", F::IGNORE),
        ("noserve", F::NOSERVE),
        ("noserve kod", F::NOSERVE | F::KOD),
        ("notrap", F::NOTRAP),
        ("lowpriotrap", F::LOWPRIOTRAP),
        ("nopeer", F::NOPEER),
        ("noepeer", F::NOEPEER),
        ("notrust", F::NOTRUST),
        ("version", F::VERSION),
        ("nomrulist", F::NOMRULIST),
        ("flake mssntp", F::FLAKE | F::MSSNTP),
        ("all of them", F::all() - F::NTPPORT),
    ]
}
