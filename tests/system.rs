//! The whole core, two instances talking over an in-memory network: a server
//! synchronised to its local clock driver and a client that starts off by a
//! known offset. Time is simulated; no clock is read or set.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use sundial::association::AssociationConfig;
use sundial::config::Fudge;
use sundial::event::Event;
use sundial::refclock::{Refclock, RefclockId};
use sundial::select::{CandidateFlags, Tally};
use sundial::system::{KernelPllUpdate, MAX_PACKET_LEN, Ntp, SystemConfig, TransmitKind};
use sundial::wire::LeapIndicator;
use sundial::{NtpDuration, NtpTime};

const SERVER: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 123);
const CLIENT: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 123);

/// A node: an `Ntp` core and its clock, `local = true + offset`, where the
/// offset drifts at `freq_error + correction` (seconds per second).
struct Node {
    ntp: Ntp<4, 4>,
    addr: SocketAddr,
    offset_ns: f64,
    freq_error: f64,
    correction: f64,
    steps: Vec<f64>,
    events: Vec<Event>,
    /// `Some`: the clock is disciplined by an emulated Linux kernel PLL fed
    /// from `poll_kernel_update` (the core's frequency and slews unused).
    kernel: Option<KernelPll>,
    kernel_updates: Vec<KernelPllUpdate>,
    /// Each change of the reference time (the daemon writes a loopstats line
    /// on it): the new reference time, system offset, and the sample time of
    /// the system peer's filter output at that moment.
    reference_changes: Vec<(NtpTime, NtpDuration, Option<NtpTime>)>,
}

/// Linux's PLL (kernel/time/ntp.c, `STA_PLL | STA_NANO`), continuous in
/// time: each second it slews 2^-(2 + tc) of the remaining offset; each
/// update adds offset · secs / 2^(2·(4 + tc)) to the frequency.
#[derive(Default)]
struct KernelPll {
    freq: f64,
    remaining_ns: f64,
    time_constant: i32,
    last_update_s: Option<f64>,
}

impl KernelPll {
    /// Phase slewed over `dt_ns` (taken from `remaining_ns`).
    fn slew(&mut self, dt_ns: f64) -> f64 {
        let per_second = 1.0 - 2f64.powi(-(2 + self.time_constant));
        let left = self.remaining_ns * per_second.powf(dt_ns / 1e9);
        let applied = self.remaining_ns - left;
        self.remaining_ns = left;
        applied
    }

    fn update(&mut self, u: &KernelPllUpdate, true_ns: f64) {
        let now_s = (true_ns / 1e9).floor();
        let tc = i32::from(u.time_constant);
        let secs = self
            .last_update_s
            .map_or(0.0, |t| (now_s - t).min(2f64.powi(3 + tc)));
        self.last_update_s = Some(now_s);
        let offset = u.offset.as_nanos() as f64;
        self.freq += offset * secs / 2f64.powi(2 * (4 + tc)) * 1e-9;
        self.freq = self.freq.clamp(-500e-6, 500e-6);
        self.remaining_ns = offset;
        self.time_constant = tc;
    }
}

fn ntp_time(ns: f64) -> NtpTime {
    let base = 3_990_000_000i64;
    let secs = (ns / 1e9).floor();
    let frac = ((ns / 1e9 - secs) * 4_294_967_296.0) as u32;
    NtpTime::from_parts(base + secs as i64, frac)
}

impl Node {
    fn local(&self, true_ns: f64) -> NtpTime {
        ntp_time(true_ns + self.offset_ns)
    }

    fn advance(&mut self, dt_ns: f64) {
        self.offset_ns += dt_ns * (self.freq_error + self.correction);
        if let Some(k) = &mut self.kernel {
            self.offset_ns += k.slew(dt_ns) + dt_ns * k.freq;
        }
    }

    fn apply_adjustments(&mut self, true_ns: f64) {
        while let Some(adj) = self.ntp.poll_adjustment() {
            let step = adj.step.as_nanos() as f64;
            if step != 0.0 {
                self.offset_ns += step;
                self.steps.push(step);
            }
            if self.kernel.is_none() {
                self.correction = adj.frequency.as_ppb() as f64 * 1e-9;
            }
            let now = self.local(true_ns);
            self.ntp.adjustment_applied(adj, now);
        }
        while let Some(u) = self.ntp.poll_kernel_update() {
            if let Some(k) = &mut self.kernel {
                k.update(&u, true_ns);
            }
            self.kernel_updates.push(u);
        }
        while let Some(e) = self.ntp.poll_event() {
            self.events.push(e);
        }
        let sys = *self.ntp.system_variables();
        if let Some(reference) = sys.reference_time
            && self.reference_changes.last().map(|c| c.0) != Some(reference)
        {
            let peer_sample = self
                .ntp
                .associations()
                .find(|a| a.id().0 == sys.peer)
                .and_then(|a| a.update())
                .map(|u| u.filter.sample_time);
            self.reference_changes
                .push((reference, sys.offset, peer_sample));
        }
    }
}

struct Packet {
    arrive_ns: f64,
    to: SocketAddr,
    from: SocketAddr,
    bytes: Vec<u8>,
}

/// Runs the two nodes for `seconds` of simulated time, one-way delay
/// `delay_ns` in each direction, returning them.
fn run(server: Node, client: Node, seconds: f64, delay_ns: f64) -> (Node, Node) {
    run_with_delays(server, client, seconds, |_| delay_ns)
}

/// [`run`] with the one-way delay of the n-th datagram sent given by `delay`.
fn run_with_delays(
    mut server: Node,
    mut client: Node,
    seconds: f64,
    mut delay: impl FnMut(usize) -> f64,
) -> (Node, Node) {
    let mut sent = 0usize;
    let mut delay_ns = move || {
        sent += 1;
        delay(sent)
    };
    let mut in_flight: Vec<Packet> = Vec::new();
    let mut t = 0.0f64;
    let end = seconds * 1e9;
    let mut buf = [0u8; MAX_PACKET_LEN];
    while t < end {
        for node in [&mut server, &mut client] {
            let now = node.local(t);
            node.ntp.handle_timeout(now);
            while let Some(tx) = node.ntp.poll_transmit(now, &mut buf) {
                in_flight.push(Packet {
                    arrive_ns: t + delay_ns(),
                    to: tx.to,
                    from: node.addr,
                    bytes: buf[..tx.len].to_vec(),
                });
            }
            node.apply_adjustments(t);
        }
        // Deliver what arrives now.
        let mut i = 0;
        while i < in_flight.len() {
            if in_flight[i].arrive_ns <= t {
                let p = in_flight.swap_remove(i);
                let node = if p.to == SERVER {
                    &mut server
                } else {
                    &mut client
                };
                let now = node.local(t);
                let mut out = [0u8; MAX_PACKET_LEN];
                if let Some(tx) = node.ntp.handle_packet(now, p.from, &p.bytes, now, &mut out) {
                    if tx.stamp_at_send {
                        node.ntp.stamp_transmit(&tx, &mut out, node.local(t));
                    }
                    in_flight.push(Packet {
                        arrive_ns: t + delay_ns(),
                        to: tx.to,
                        from: node.addr,
                        bytes: out[..tx.len].to_vec(),
                    });
                }
                node.apply_adjustments(t);
            } else {
                i += 1;
            }
        }
        // Next moment something happens (at most 1 s ahead, so drift is smooth).
        let mut next = t + 1e9;
        for node in [&server, &client] {
            let wake = node.ntp.poll_timeout();
            let now = node.local(t);
            let dt = (wake - now).as_nanos() as f64;
            next = next.min(t + dt.max(1_000.0));
        }
        for p in &in_flight {
            next = next.min(p.arrive_ns.max(t + 1.0));
        }
        let dt = next - t;
        server.advance(dt);
        client.advance(dt);
        t = next;
    }
    (server, client)
}

fn server_node() -> Node {
    let t0 = ntp_time(0.0);
    let mut ntp = Ntp::new(SystemConfig::default(), t0, [1; 16]);
    let id = RefclockId::new(1, 0);
    let mut fudge = Fudge::new(id);
    fudge.stratum = Some(10);
    let clock = Refclock::new(id, 0, (&fudge).into()).expect("local clock driver");
    ntp.add_refclock(clock, None, CandidateFlags::empty(), t0)
        .expect("slot");
    Node {
        ntp,
        addr: SERVER,
        offset_ns: 0.0,
        freq_error: 0.0,
        correction: 0.0,
        steps: Vec::new(),
        events: Vec::new(),
        kernel: None,
        kernel_updates: Vec::new(),
        reference_changes: Vec::new(),
    }
}

fn client_node(offset_ns: f64, config: SystemConfig) -> Node {
    let t0 = ntp_time(offset_ns);
    let mut ntp = Ntp::new(config, t0, [2; 16]);
    let mut assoc = AssociationConfig::client(SERVER);
    assoc.poll.iburst = true;
    ntp.add_association(assoc, CandidateFlags::empty(), t0)
        .expect("slot");
    Node {
        ntp,
        addr: CLIENT,
        offset_ns,
        freq_error: 10e-6,
        correction: 0.0,
        steps: Vec::new(),
        events: Vec::new(),
        kernel: None,
        kernel_updates: Vec::new(),
        reference_changes: Vec::new(),
    }
}

#[test]
fn server_synchronises_to_its_local_clock() {
    let (server, _) = run(
        server_node(),
        client_node(0.0, SystemConfig::default()),
        120.0,
        1e5,
    );
    let sys = server.ntp.system_variables();
    assert_eq!(sys.stratum, 11, "local clock at stratum 10 → server at 11");
    assert_ne!(sys.leap, LeapIndicator::Unsynchronized);
    let peer = server.ntp.associations().next().expect("the refclock");
    assert_eq!(peer.tally(), Tally::SystemPeer);
    // What `ntpq -c rv` shows in the system status word.
    assert_eq!(sys.source, sundial::control::ClockSource::Local);
    assert_eq!(
        sys.events.last,
        sundial::control::SystemEvent::ClockSync as u8
    );
    assert!(sys.events.count >= 3, "restart, freq_not_set, clock_sync");
}

#[test]
fn client_converges_to_server_from_10ms() {
    let (_, client) = run(
        server_node(),
        client_node(10e6, SystemConfig::default()),
        600.0,
        1e5,
    );
    let sys = client.ntp.system_variables();
    assert_eq!(sys.stratum, 12, "server at 11 → client at 12");
    assert!(
        client.offset_ns.abs() < 1e6,
        "client still {} ns off after 10 min",
        client.offset_ns
    );
    let peer = client.ntp.associations().next().expect("the server");
    assert_eq!(peer.tally(), Tally::SystemPeer);
    assert_eq!(sys.source, sundial::control::ClockSource::Ntp);
    // Root dispersion follows the filter as it is now, not the iburst era.
    assert!(
        sys.root_dispersion < NtpDuration::from_millis(100),
        "root dispersion {}",
        sys.root_dispersion
    );
    assert!(
        client
            .events
            .iter()
            .any(|e| matches!(e, Event::Synchronized { .. }))
    );
}

#[test]
fn kernel_pll_gets_each_sample_once_and_disciplines_the_clock() {
    let mut client = client_node(10e6, SystemConfig::default());
    client.kernel = Some(KernelPll::default());
    client.ntp.set_kernel_pll(true);
    let (_, client) = run(server_node(), client, 3600.0, 1e5);
    let updates = &client.kernel_updates;
    // Polls every 64 s; an update only when the filter picks a newer sample.
    assert!(updates.len() >= 10, "{} kernel updates", updates.len());
    assert!(
        updates
            .windows(2)
            .all(|w| w[1].sample_time > w[0].sample_time),
        "one update per new sample, in order"
    );
    assert!(
        updates
            .iter()
            .all(|u| u.offset.abs() < NtpDuration::from_millis(128))
    );
    assert!(client.steps.is_empty(), "10 ms is slewed, not stepped");
    let sys = client.ntp.system_variables();
    assert_eq!(sys.stratum, 12, "synchronised: server at 11 → client at 12");
    assert_ne!(sys.leap, LeapIndicator::Unsynchronized);
    // The emulated kernel alone took out 10 ms and 10 ppm.
    assert!(
        client.offset_ns.abs() < 1e6,
        "still {} ns off after an hour",
        client.offset_ns
    );
    let k = client.kernel.as_ref().expect("kernel");
    assert!(
        (k.freq + 10e-6).abs() < 2e-6,
        "kernel frequency {} ppm",
        k.freq * 1e6
    );
}

#[test]
fn system_variables_move_only_with_a_new_system_peer_sample() {
    // Delays that vary from exchange to exchange: the clock filter keeps its
    // lowest-delay sample for several polls, so many replies bring no new
    // filter output and only refresh dispersion and reselect.
    let (_, client) = run_with_delays(
        server_node(),
        client_node(2e6, SystemConfig::default()),
        3600.0,
        |n| 1e5 + ((n * 7919) % 23) as f64 * 40e3,
    );
    let replies = client.ntp.counters().received;
    let changes = &client.reference_changes;
    assert!(
        changes.len() >= 5,
        "{} reference time changes, {replies} replies: {changes:?}",
        changes.len()
    );
    // As ntpd's clock_update: each change of the reference time (one
    // loopstats line) comes with a newer filter output of the system peer.
    let mut last_sample = None;
    for (reference, _, sample) in changes {
        let sample =
            sample.unwrap_or_else(|| panic!("reference time {reference:?} without a sample"));
        assert!(
            last_sample.is_none_or(|l| sample > l),
            "reference time moved to {reference:?} with the sample of {sample:?} used already: {changes:?}"
        );
        last_sample = Some(sample);
    }
    assert!(
        (changes.len() as u64) * 3 < replies * 2,
        "{} changes for {replies} replies: reselections without new data moved the reference time",
        changes.len()
    );
    // The system offset is the new sample's, not a repeat of the last one.
    assert!(
        changes.windows(2).all(|w| w[0].1 != w[1].1),
        "system offset repeated: {changes:?}"
    );
}

#[test]
fn clock_wander_is_the_rms_frequency_change_per_update() {
    let (_, mut client) = run_with_delays(
        server_node(),
        client_node(2e6, SystemConfig::default()),
        3600.0,
        |n| 1e5 + ((n * 7919) % 23) as f64 * 40e3,
    );
    let sys = *client.ntp.system_variables();
    // The client took out 10 ppm: its frequency moved from update to
    // update, and the RMS of those moves is what ntpd calls clk_wander.
    assert!(
        sys.clock_wander > sundial::Frequency::ZERO
            && sys.clock_wander < sundial::Frequency::from_ppm(5),
        "clk_wander {} ppm",
        sys.clock_wander
    );
    let text = mode6_read(&mut client, 0, "clk_wander");
    let value: f64 = text
        .trim()
        .strip_prefix("clk_wander=")
        .unwrap_or_else(|| panic!("{text:?}"))
        .parse()
        .expect("a number");
    let ppm = sys.clock_wander.as_ppb() as f64 / 1e3;
    assert!(
        value > 0.0 && (value - ppm).abs() < 0.002,
        "{text:?} vs {ppm} ppm"
    );
}

#[test]
fn a_reference_clock_is_named_as_ntpq_shows_it() {
    let (mut server, _) = run(
        server_node(),
        client_node(0.0, SystemConfig::default()),
        60.0,
        1e5,
    );
    let id = server
        .ntp
        .associations()
        .next()
        .expect("the refclock")
        .id()
        .0;
    let text = mode6_read(&mut server, id, "srcadr,srchost");
    assert_eq!(text.trim_end(), "srcadr=127.127.1.0, srchost=\"LOCAL(0)\"");
    // A full listing (ntpq -p reads that) has it too.
    let all = mode6_read(&mut server, id, "");
    assert!(all.contains("srchost=\"LOCAL(0)\""), "{all}");
}

#[test]
fn client_steps_half_a_second() {
    let (_, client) = run(
        server_node(),
        client_node(-0.5e9, SystemConfig::default()),
        300.0,
        1e5,
    );
    assert_eq!(client.steps.len(), 1, "one step: {:?}", client.steps);
    assert!((client.steps[0] - 0.5e9).abs() < 1e6);
    assert!(
        client.offset_ns.abs() < 1e6,
        "offset {} ns",
        client.offset_ns
    );
}

#[test]
fn client_refuses_2000_seconds_without_g() {
    let (_, client) = run(
        server_node(),
        client_node(2000e9, SystemConfig::default()),
        120.0,
        1e5,
    );
    assert!(client.steps.is_empty());
    assert!(
        client
            .events
            .iter()
            .any(|e| matches!(e, Event::PanicThresholdExceeded { .. })),
        "{:?}",
        client.events
    );
    let mut config = SystemConfig::default();
    config.discipline.allow_first_big_step = true;
    let (_, client) = run(server_node(), client_node(2000e9, config), 300.0, 1e5);
    assert_eq!(client.steps.len(), 1, "{:?}", client.steps);
    assert!(
        client.offset_ns.abs() < 1e6,
        "offset {} ns, steps {:?}, events {:?}",
        client.offset_ns,
        client.steps,
        client.events
    );
}

#[test]
fn server_replies_mirror_the_request() {
    let mut server = server_node();
    let t0 = ntp_time(0.0);
    let mut buf = [0u8; MAX_PACKET_LEN];
    // A v3 client request (ntpdate style).
    let mut req = [0u8; 48];
    req[0] = 0x1b; // LI 0, VN 3, mode 3
    req[2] = 6;
    req[40..48].copy_from_slice(&0xeeac_0035_da7f_b000u64.to_be_bytes());
    let tx = server
        .ntp
        .handle_packet(t0, CLIENT, &req, t0, &mut buf)
        .expect("a reply");
    assert_eq!(tx.kind, TransmitKind::Reply);
    assert_eq!(tx.len, 48);
    assert_eq!(buf[0] & 0x3f, 0x1c, "VN 3, mode 4");
    assert_eq!(buf[2], 6, "poll echoed");
    assert_eq!(&buf[24..32], &req[40..48], "origin = client's transmit");
    // Unsynchronised so far: LI = 3.
    assert_eq!(buf[0] >> 6, 3);
    let _ = NtpDuration::ZERO;
}

/// Reads mode 6 variables `names` (comma separated) of association `assoc`
/// (0: the system) from `node` as ntpq would, through the core's responder;
/// the reply's text.
fn mode6_read(node: &mut Node, assoc: u16, names: &str) -> String {
    let mut req = vec![0x16, 0x02, 0, 1, 0, 0];
    req.extend_from_slice(&assoc.to_be_bytes());
    req.extend_from_slice(&[0, 0]);
    req.extend_from_slice(&(names.len() as u16).to_be_bytes());
    req.extend_from_slice(names.as_bytes());
    while req.len() % 4 != 0 {
        req.push(0);
    }
    let now = node.local(0.0);
    let from = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 40123);
    let mut out = [0u8; MAX_PACKET_LEN];
    let tx = node
        .ntp
        .handle_packet(now, from, &req, now, &mut out)
        .expect("a mode 6 reply");
    let mut text = String::new();
    let mut fragment = Some(tx.len);
    while let Some(len) = fragment {
        let count = usize::from(u16::from_be_bytes([out[10], out[11]]));
        assert!(len >= 12 + count);
        text.push_str(&String::from_utf8_lossy(&out[12..12 + count]));
        let more = out[1] & 0x20 != 0;
        fragment = more
            .then(|| node.ntp.poll_transmit(now, &mut out))
            .flatten()
            .map(|tx| tx.len);
    }
    text
}

fn load(name: &str) -> sundial::config::DefaultConfig {
    let path = format!("{}/tests/data/conf/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("test config");
    sundial::config::parse::<16, 32, 16>(&text)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .config
}

#[test]
fn builds_from_the_meinberg_configuration() {
    use sundial::system::{Source, StartOptions};
    let config = load("meinberg-gps-dcf77.conf");
    let t0 = ntp_time(0.0);
    let (ntp, report) = Ntp::<8, 4, 3>::from_config::<16, 32, 16, 4>(
        &config,
        None,
        StartOptions::default(),
        t0,
        [3; 16],
        |_, _| None,
    )
    .expect("applies");
    assert!(report.unresolved.is_empty());
    let clocks: Vec<_> = ntp
        .associations()
        .filter_map(|a| match a.source() {
            Source::Refclock(r) => Some((r.id().to_string(), a.flags())),
            Source::Network(_) => None,
        })
        .collect();
    assert_eq!(
        clocks,
        vec![
            ("127.127.8.0".to_string(), CandidateFlags::PREFER),
            ("127.127.8.1".to_string(), CandidateFlags::NOSELECT),
            ("127.127.1.0".to_string(), CandidateFlags::empty()),
        ]
    );
    // Each refclock's driver sits in one of the R = 3 driver slots.
    for id in ["127.127.8.0", "127.127.8.1", "127.127.1.0"] {
        let ip: std::net::Ipv4Addr = id.parse().unwrap();
        let clock = sundial::refclock::RefclockId::from_ipv4(ip).expect("a refclock address");
        assert_eq!(ntp.refclock_driver(clock).map(|d| d.id()), Some(clock));
    }
    // A fourth does not fit: a clear error, nothing held is lost.
    let mut ntp = ntp;
    let extra = sundial::refclock::Refclock::new(
        sundial::refclock::RefclockId::new(1, 1),
        0,
        sundial::refclock::Fudge::NONE,
    )
    .unwrap();
    assert_eq!(
        ntp.add_refclock(extra, None, CandidateFlags::empty(), t0),
        Err(sundial::system::SystemError::TooManyRefclocks)
    );
    assert_eq!(ntp.associations().count(), 3);
}

#[test]
fn builds_from_the_stratum2_configuration_with_a_resolver() {
    use sundial::system::{Source, StartOptions};
    let config = load("stratum2-peers.conf");
    let t0 = ntp_time(0.0);
    let mut asked = Vec::new();
    let result = Ntp::<16, 4>::from_config::<16, 32, 16, 4>(
        &config,
        None,
        StartOptions {
            never_step: true,
            ..StartOptions::default()
        },
        t0,
        [3; 16],
        |name, _| {
            asked.push(name.to_string());
            Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, asked.len() as u8)))
        },
    );
    let (ntp, report) = result.expect("applies");
    assert!(report.unresolved.is_empty());
    assert_eq!(
        ntp.config().discipline.step_threshold,
        None,
        "-x: never step"
    );
    assert_eq!(ntp.config().control_key, config.control_key);
    let modes: Vec<_> = ntp
        .associations()
        .filter_map(|a| match a.source() {
            Source::Network(n) => Some(n.config().mode),
            Source::Refclock(_) => None,
        })
        .collect();
    let peers = modes
        .iter()
        .filter(|m| **m == sundial::association::AssociationMode::SymmetricActive)
        .count();
    assert_eq!(peers, 4, "{modes:?}");
    assert!(modes.contains(&sundial::association::AssociationMode::BroadcastServer));
}
