//! Selection inside the whole core: one client with four servers on an
//! in-memory LAN (100 µs each way), one server 500 ms off (the servers' root
//! dispersion is ~0.2 s, so a smaller lie would still intersect). Checks the
//! tally codes `ntpq -p` would show and that the client follows the majority.
//! Time is simulated; no clock is read or set.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use sundial::NtpTime;
use sundial::association::AssociationConfig;
use sundial::config::Fudge;
use sundial::refclock::{Refclock, RefclockId};
use sundial::select::{CandidateFlags, Tally};
use sundial::system::{MAX_PACKET_LEN, Ntp, SystemConfig};

fn addr(host: u8) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, host)), 123)
}

fn ntp_time(ns: f64) -> NtpTime {
    let base = 3_990_000_000i64;
    let secs = (ns / 1e9).floor();
    let frac = ((ns / 1e9 - secs) * 4_294_967_296.0) as u32;
    NtpTime::from_parts(base + secs as i64, frac)
}

/// A node: a core and its clock, `local = true + offset_ns`; the offset
/// drifts at `freq_error + correction` (s/s).
struct Node {
    ntp: Ntp<4, 4>,
    addr: SocketAddr,
    offset_ns: f64,
    freq_error: f64,
    correction: f64,
}

impl Node {
    fn local(&self, true_ns: f64) -> NtpTime {
        ntp_time(true_ns + self.offset_ns)
    }

    fn apply(&mut self, true_ns: f64) {
        while let Some(adj) = self.ntp.poll_adjustment() {
            self.offset_ns += adj.step.as_nanos() as f64;
            self.correction = adj.frequency.as_ppb() as f64 * 1e-9;
            let now = self.local(true_ns);
            self.ntp.adjustment_applied(adj, now);
        }
        while self.ntp.poll_event().is_some() {}
    }
}

/// A server disciplined to its own local clock driver, `offset_ns` off true time.
fn server(host: u8, offset_ns: f64) -> Node {
    let t0 = ntp_time(offset_ns);
    let mut ntp = Ntp::new(SystemConfig::default(), t0, [host; 16]);
    let id = RefclockId::new(1, 0);
    let mut fudge = Fudge::new(id);
    fudge.stratum = Some(1);
    let clock = Refclock::new(id, 0, (&fudge).into()).expect("local clock driver");
    ntp.add_refclock(clock, None, CandidateFlags::empty(), t0)
        .expect("slot");
    Node {
        ntp,
        addr: addr(host),
        offset_ns,
        freq_error: 0.0,
        correction: 0.0,
    }
}

fn client(flags: [CandidateFlags; 4]) -> Node {
    let t0 = ntp_time(5e6);
    let mut ntp = Ntp::new(SystemConfig::default(), t0, [99; 16]);
    for (host, f) in (1..=4).zip(flags) {
        let mut assoc = AssociationConfig::client(addr(host));
        assoc.poll.iburst = true;
        ntp.add_association(assoc, f, t0).expect("slot");
    }
    Node {
        ntp,
        addr: addr(100),
        offset_ns: 5e6,
        freq_error: 5e-6,
        correction: 0.0,
    }
}

struct Packet {
    arrive_ns: f64,
    to: SocketAddr,
    from: SocketAddr,
    bytes: Vec<u8>,
}

fn run(nodes: &mut [Node], seconds: f64, delay_ns: f64) {
    let mut in_flight: Vec<Packet> = Vec::new();
    let mut t = 0.0f64;
    let mut buf = [0u8; MAX_PACKET_LEN];
    while t < seconds * 1e9 {
        for node in nodes.iter_mut() {
            let now = node.local(t);
            node.ntp.handle_timeout(now);
            while let Some(tx) = node.ntp.poll_transmit(now, &mut buf) {
                in_flight.push(Packet {
                    arrive_ns: t + delay_ns,
                    to: tx.to,
                    from: node.addr,
                    bytes: buf[..tx.len].to_vec(),
                });
            }
            node.apply(t);
        }
        let mut i = 0;
        while i < in_flight.len() {
            if in_flight[i].arrive_ns > t {
                i += 1;
                continue;
            }
            let p = in_flight.swap_remove(i);
            let Some(node) = nodes.iter_mut().find(|n| n.addr == p.to) else {
                continue;
            };
            let now = node.local(t);
            let mut out = [0u8; MAX_PACKET_LEN];
            if let Some(tx) = node.ntp.handle_packet(now, p.from, &p.bytes, now, &mut out) {
                if tx.stamp_at_send {
                    node.ntp.stamp_transmit(&tx, &mut out, node.local(t));
                }
                in_flight.push(Packet {
                    arrive_ns: t + delay_ns,
                    to: tx.to,
                    from: node.addr,
                    bytes: out[..tx.len].to_vec(),
                });
            }
            node.apply(t);
        }
        let mut next = t + 1e9;
        for node in nodes.iter() {
            let dt = (node.ntp.poll_timeout() - node.local(t)).as_nanos() as f64;
            next = next.min(t + dt.max(1_000.0));
        }
        for p in &in_flight {
            next = next.min(p.arrive_ns.max(t + 1.0));
        }
        let dt = next - t;
        for node in nodes.iter_mut() {
            node.offset_ns += dt * (node.freq_error + node.correction);
        }
        t = next;
    }
}

fn tallies(node: &Node) -> String {
    node.ntp
        .associations()
        .map(|a| a.tally().as_char())
        .collect()
}

fn network(flags: [CandidateFlags; 4]) -> Vec<Node> {
    vec![
        client(flags),
        server(1, 0.0),
        server(2, 500e6), // the falseticker
        server(3, 0.0),
        server(4, 0.0),
    ]
}

#[test]
fn falseticker_is_flagged_and_never_selected() {
    let mut nodes = network([CandidateFlags::empty(); 4]);
    run(&mut nodes, 300.0, 1e5);
    let t = tallies(&nodes[0]);
    assert_eq!(t.chars().nth(1), Some('x'), "{t}");
    assert_eq!(t.matches('*').count(), 1, "{t}");
    // Started 5 ms off; pulled towards the majority, not the 500 ms liar.
    assert!(
        nodes[0].offset_ns.abs() < 5e6,
        "client {} ns off",
        nodes[0].offset_ns
    );
}

#[test]
fn prefer_and_noselect_end_to_end() {
    let mut flags = [CandidateFlags::empty(); 4];
    flags[2] = CandidateFlags::PREFER;
    flags[3] = CandidateFlags::NOSELECT;
    let mut nodes = network(flags);
    run(&mut nodes, 300.0, 1e5);
    let t = tallies(&nodes[0]);
    assert_eq!(t.chars().nth(1), Some('x'), "{t}");
    assert_eq!(t.chars().nth(2), Some('*'), "{t}");
    assert_eq!(t.chars().nth(3), Some(' '), "{t}");
    let peers: Vec<Tally> = nodes[0].ntp.associations().map(|a| a.tally()).collect();
    assert_eq!(peers[0], Tally::Candidate);
}
