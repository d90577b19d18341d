//! Shared test harness for the association tests: a deterministic in-memory
//! network of nodes with their own clock offsets, a small reference server
//! (basic and interleaved, optional MACs and kisses), and helpers.
#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use sundial::association::{Association, PeerUpdate, Rejection, SystemSnapshot};
use sundial::association::{may_mobilize_passive, packet_key};
use sundial::auth::{Algorithm, Key, KeyId, KeyTable};
use sundial::time::{NtpDuration, NtpShort, NtpTime, NtpTimestamp, PollInterval};
use sundial::wire::{
    HEADER_LEN, HeaderRepr, KissCode, LeapIndicator, Mode, NtpPacket, Packet, RefId,
};

/// 2026-11-21 00:00:00 UTC as true time.
pub const T0: NtpTime = NtpTime::from_parts(4_004_208_000, 0);

pub fn us(n: i64) -> NtpDuration {
    NtpDuration::from_micros(n)
}

pub fn addr(i: u8) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, i)), 123)
}

/// Deterministic PRNG (splitmix64).
#[derive(Clone)]
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, max) for a non-negative duration.
    pub fn below(&mut self, max: NtpDuration) -> NtpDuration {
        let m = max.to_bits();
        if m <= 0 {
            return NtpDuration::ZERO;
        }
        NtpDuration::from_bits((self.next() % m as u64) as i64)
    }
}

/// The shared test keys (`shared/vectors/ntp.keys`: 1 MD5, 2 SHA1, 3 AES-128-CMAC).
pub fn test_keys() -> KeyTable<4> {
    let mut t = KeyTable::new();
    t.insert(Key::new(KeyId(1), Algorithm::Md5, b"secret").unwrap(), true)
        .unwrap();
    let sha1: Vec<u8> = (1..=20).collect();
    t.insert(Key::new(KeyId(2), Algorithm::Sha1, &sha1).unwrap(), true)
        .unwrap();
    let aes: Vec<u8> = (0..16).collect();
    t.insert(
        Key::new(KeyId(3), Algorithm::Aes128Cmac, &aes).unwrap(),
        true,
    )
    .unwrap();
    t
}

/// A synchronised stratum-1 system snapshot at local time `now`.
pub fn synced_sys(now: NtpTime, stratum: u8) -> SystemSnapshot {
    SystemSnapshot {
        leap: LeapIndicator::NoWarning,
        stratum,
        precision: -24,
        root_delay: NtpDuration::ZERO,
        root_dispersion: us(100),
        reference_id: RefId::from_bytes(*b"GPS\0"),
        reference_time: (now - NtpDuration::from_seconds(10)).to_timestamp(),
        ..SystemSnapshot::unsynchronized(-24)
    }
}

/// A minimal reference server for tests: basic and (optionally) interleaved
/// client/server mode for a single client, MACs with the request's key, and
/// injected kisses or header values.
pub struct TestServer {
    pub stratum: u8,
    pub leap: LeapIndicator,
    pub precision: i8,
    pub root_delay: NtpDuration,
    pub root_dispersion: NtpDuration,
    /// Overrides the reference time (else 10 s before the reply).
    pub reference_time: Option<NtpTimestamp>,
    pub keys: KeyTable<4>,
    pub interleaved: bool,
    pub kiss: Option<KissCode>,
    /// Zero the transmit timestamp (broken server).
    pub zero_transmit: bool,
    /// How much earlier than the real send time a basic reply's transmit
    /// timestamp is taken (a software server stamps before sending); the
    /// precise time saved for interleaved replies is exact.
    pub early_stamp: NtpDuration,
    /// Saved for interleaved mode: our receive and (precise) transmit of the
    /// last exchange, server-local.
    last_rx: NtpTimestamp,
    last_tx: NtpTimestamp,
    pub interleaved_replies: u32,
    pub replies: u32,
}

impl TestServer {
    pub fn new() -> Self {
        TestServer {
            stratum: 1,
            leap: LeapIndicator::NoWarning,
            precision: -24,
            root_delay: NtpDuration::ZERO,
            root_dispersion: us(50),
            reference_time: None,
            keys: test_keys(),
            interleaved: false,
            kiss: None,
            zero_transmit: false,
            early_stamp: NtpDuration::ZERO,
            last_rx: NtpTimestamp::ZERO,
            last_tx: NtpTimestamp::ZERO,
            interleaved_replies: 0,
            replies: 0,
        }
    }

    /// Answers a mode 3 request received at server-local `rx`, to be sent at
    /// server-local `tx`. `None` = silence (bad MAC, not a request).
    pub fn respond(
        &mut self,
        req: &[u8],
        rx: NtpTime,
        tx: NtpTime,
        out: &mut [u8],
    ) -> Option<usize> {
        let p = NtpPacket::parse(req).ok()?;
        if p.header.mode != Mode::Client {
            return None;
        }
        let key = match packet_key(&p, req, &self.keys) {
            Ok(k) => k,
            Err(_) => return None, // never a crypto-NAK
        };
        let q = p.header;
        let rx_ts = rx.to_timestamp();
        let tx_ts = tx.to_timestamp();
        let interleaved = self.interleaved
            && !q.origin_timestamp.is_zero()
            && q.origin_timestamp == self.last_rx
            && q.origin_timestamp != q.transmit_timestamp;
        let (origin, transmit) = if interleaved {
            self.interleaved_replies += 1;
            (q.receive_timestamp, self.last_tx)
        } else {
            (q.transmit_timestamp, (tx - self.early_stamp).to_timestamp())
        };
        self.last_rx = rx_ts;
        self.last_tx = tx_ts;
        let mut h = HeaderRepr {
            leap: self.leap,
            version: q.version,
            mode: Mode::Server,
            stratum: self.stratum,
            poll: q.poll,
            precision: self.precision,
            root_delay: NtpShort::from_duration_saturating(self.root_delay),
            root_dispersion: NtpShort::from_duration_saturating(self.root_dispersion),
            ref_id: RefId::from_bytes(*b"GPS\0"),
            reference_timestamp: self
                .reference_time
                .unwrap_or((tx - NtpDuration::from_seconds(10)).to_timestamp()),
            origin_timestamp: origin,
            receive_timestamp: rx_ts,
            transmit_timestamp: if self.zero_transmit {
                NtpTimestamp::ZERO
            } else {
                transmit
            },
        };
        if let Some(k) = self.kiss {
            // As ntpsec's kisses (f3): LI 3, stratum 0, code, timestamps echoed.
            h = HeaderRepr {
                leap: LeapIndicator::Unsynchronized,
                stratum: 0,
                poll: PollInterval::from_log2(0),
                precision: 0,
                root_delay: NtpShort::ZERO,
                root_dispersion: NtpShort::ZERO,
                ref_id: k.to_ref_id(),
                reference_timestamp: NtpTimestamp::ZERO,
                receive_timestamp: q.transmit_timestamp,
                transmit_timestamp: q.transmit_timestamp,
                ..h
            };
        }
        let head = out.get_mut(..HEADER_LEN)?;
        h.emit(&mut Packet::new_unchecked(head));
        self.replies += 1;
        match key {
            Some(id) => self.keys.trusted(id)?.sign(out, HEADER_LEN),
            None => Some(HEADER_LEN),
        }
    }
}

/// One node of the in-memory network: a clock offset from true time, an
/// optional association, an optional server role.
pub struct Node {
    pub addr: SocketAddr,
    /// Local clock = true time + offset.
    pub offset: NtpDuration,
    pub assoc: Option<Association>,
    pub server: Option<TestServer>,
    pub sys: SystemSnapshot,
    pub keys: KeyTable<4>,
    /// Mobilise a symmetric passive association for unknown mode 1 packets.
    pub accept_passive: bool,
    pub require_auth: bool,
    pub updates: Vec<PeerUpdate>,
    pub rejections: Vec<Rejection>,
    /// Versions of the packets this node sent.
    pub sent_versions: Vec<u8>,
}

impl Node {
    pub fn new(i: u8, offset: NtpDuration) -> Self {
        Node {
            addr: addr(i),
            offset,
            assoc: None,
            server: None,
            sys: synced_sys(T0 + offset, 2),
            keys: test_keys(),
            accept_passive: false,
            require_auth: true,
            updates: Vec::new(),
            rejections: Vec::new(),
            sent_versions: Vec::new(),
        }
    }

    pub fn local(&self, true_time: NtpTime) -> NtpTime {
        true_time + self.offset
    }
}

/// Decides whether to drop a packet (from node, to node, bytes).
pub type DropRule = Box<dyn FnMut(usize, usize, &[u8]) -> bool>;

struct InFlight {
    at: NtpTime,
    from: usize,
    to: usize,
    bytes: Vec<u8>,
}

/// Deterministic discrete-event network: each packet takes
/// `base + uniform(0, jitter)` one way.
pub struct Sim {
    pub now: NtpTime,
    pub nodes: Vec<Node>,
    pub base: NtpDuration,
    pub jitter: NtpDuration,
    /// Server processing time between receive and transmit.
    pub processing: NtpDuration,
    pub rng: Rng,
    queue: Vec<InFlight>,
    /// Drop every packet for which this returns true (from, to, bytes).
    pub drop_if: Option<DropRule>,
}

impl Sim {
    pub fn new(nodes: Vec<Node>, base: NtpDuration, jitter: NtpDuration, seed: u64) -> Self {
        Sim {
            now: T0,
            nodes,
            base,
            jitter,
            processing: us(10),
            rng: Rng(seed),
            queue: Vec::new(),
            drop_if: None,
        }
    }

    fn index_of(&self, a: SocketAddr) -> Option<usize> {
        self.nodes.iter().position(|n| n.addr == a)
    }

    fn send(&mut self, from: usize, to: usize, at: NtpTime, bytes: Vec<u8>) {
        if let Some(f) = self.drop_if.as_mut() {
            if f(from, to, &bytes) {
                return;
            }
        }
        let d = self.base + self.rng.below(self.jitter);
        self.queue.push(InFlight {
            at: at + d,
            from,
            to,
            bytes,
        });
    }

    /// True time of the next event.
    fn next_event(&self) -> Option<NtpTime> {
        let polls = self.nodes.iter().filter_map(|n| {
            let a = n.assoc.as_ref()?;
            let t = a.next_timeout();
            (t != NtpTime::MAX).then(|| t - n.offset)
        });
        let packets = self.queue.iter().map(|p| p.at);
        polls.chain(packets).min()
    }

    /// Runs events until true time `end`.
    pub fn run_until(&mut self, end: NtpTime) {
        while let Some(t) = self.next_event() {
            if t > end {
                break;
            }
            self.now = t;
            self.poll_all();
            self.deliver_due();
        }
        self.now = end;
    }

    fn poll_all(&mut self) {
        for i in 0..self.nodes.len() {
            let entropy = self.rng.next();
            let now = self.nodes[i].local(self.now);
            let n = &mut self.nodes[i];
            let Some(a) = n.assoc.as_mut() else { continue };
            let mut buf = [0u8; 128];
            if let Some(len) = a.poll_transmit(now, entropy, &n.sys, &n.keys, &mut buf) {
                let to = a.config().remote;
                n.sent_versions.push(buf[0] >> 3 & 7);
                if let Some(j) = self.index_of(to) {
                    let t = self.now;
                    self.send(i, j, t, buf[..len].to_vec());
                }
            }
        }
    }

    fn deliver_due(&mut self) {
        loop {
            let Some(k) = self
                .queue
                .iter()
                .enumerate()
                .filter(|(_, p)| p.at <= self.now)
                .min_by_key(|(_, p)| p.at)
                .map(|(k, _)| k)
            else {
                return;
            };
            let p = self.queue.swap_remove(k);
            self.deliver(p);
        }
    }

    fn deliver(&mut self, p: InFlight) {
        let from_addr = self.nodes[p.from].addr;
        let Ok(pkt) = NtpPacket::parse(&p.bytes) else {
            return;
        };
        let rx = self.nodes[p.to].local(p.at);
        // Server role answers client requests.
        if pkt.header.mode == Mode::Client {
            let tx_true = p.at + self.processing;
            let node = &mut self.nodes[p.to];
            let tx = node.local(tx_true);
            if let Some(server) = node.server.as_mut() {
                let mut out = [0u8; 128];
                if let Some(n) = server.respond(&p.bytes, rx, tx, &mut out) {
                    self.send(p.to, p.from, tx_true, out[..n].to_vec());
                }
            }
            return;
        }
        let node = &mut self.nodes[p.to];
        let matches = node
            .assoc
            .as_ref()
            .is_some_and(|a| a.config().remote == from_addr);
        if !matches && node.assoc.is_none() && node.accept_passive {
            let key = packet_key(&pkt, &p.bytes, &node.keys).ok().flatten();
            if may_mobilize_passive(&pkt, key, true, node.require_auth) {
                node.assoc = Some(Association::passive(
                    from_addr,
                    &pkt,
                    key,
                    Default::default(),
                    rx,
                    0,
                ));
            } else {
                return;
            }
        } else if !matches {
            return;
        }
        let Some(a) = node.assoc.as_mut() else { return };
        match a.handle_packet(rx, &pkt, &p.bytes, &node.sys, &node.keys) {
            Ok(Some(u)) => node.updates.push(u),
            Ok(None) => {}
            Err(r) => node.rejections.push(r),
        }
    }
}

/// A direct client ↔ TestServer exchange without the event loop, for attack
/// tests: returns the request bytes and the reply bytes (if any); the caller
/// feeds the reply (or a modified one) to the association.
pub struct Direct {
    pub client: Association,
    pub server: TestServer,
    pub sys: SystemSnapshot,
    pub keys: KeyTable<4>,
    /// Local (client) time.
    pub now: NtpTime,
    pub server_offset: NtpDuration,
    pub one_way: NtpDuration,
    pub rng: Rng,
}

impl Direct {
    pub fn new(client: Association) -> Self {
        Direct {
            client,
            server: TestServer::new(),
            sys: SystemSnapshot::unsynchronized(-24),
            keys: test_keys(),
            now: T0,
            server_offset: us(250),
            one_way: us(50),
            rng: Rng(7),
        }
    }

    /// Advances to the next poll, sends, lets the server answer; returns
    /// (request, reply, reply arrival local time).
    pub fn exchange(&mut self) -> (Vec<u8>, Option<Vec<u8>>, NtpTime) {
        self.now = self.client.next_timeout().max(self.now);
        let mut buf = [0u8; 128];
        let e = self.rng.next();
        let n = self
            .client
            .poll_transmit(self.now, e, &self.sys, &self.keys, &mut buf)
            .expect("a poll is due");
        let req = buf[..n].to_vec();
        let srx = self.now + self.one_way + self.server_offset;
        let stx = srx + us(10);
        let mut out = [0u8; 128];
        let reply = self
            .server
            .respond(&req, srx, stx, &mut out)
            .map(|m| out[..m].to_vec());
        let arrival = self.now + self.one_way + us(10) + self.one_way;
        (req, reply, arrival)
    }

    /// Feeds bytes to the client at local time `at`.
    pub fn feed(&mut self, bytes: &[u8], at: NtpTime) -> Result<Option<PeerUpdate>, Rejection> {
        let pkt = NtpPacket::parse(bytes).expect("test packets parse");
        self.client
            .handle_packet(at, &pkt, bytes, &self.sys, &self.keys)
    }

    /// One full round: exchange and feed the reply; the result of the feed.
    pub fn round(&mut self) -> Result<Option<PeerUpdate>, Rejection> {
        let (_, reply, at) = self.exchange();
        let reply = reply.expect("server answered");
        self.now = at;
        self.feed(&reply, at)
    }
}
