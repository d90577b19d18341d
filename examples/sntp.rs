//! One-shot NTP query, like `ntpdate -q` / `ntpdig`: offset, delay, stratum and refid of one or
//! more servers. It never sets the clock.
//!
//! ```text
//! cargo run --example sntp -- [-p PORT] [-c SAMPLES] [-d] [--trace] [-k KEYFILE -a KEYID]
//!                             [--json] [--virtual-offset S] SERVER...
//! ```
//! * `-d` prints every exchange (all header fields, the four timestamps, where the receive
//!   timestamp came from) and the filter (per-sample delay and offset, the sample chosen: the one
//!   with the lowest delay, as ntpdate does);
//! * `--trace` follows the reference ids back towards the primary source, like `ntptrace`
//!   (later hops use port 123, since a refid carries no port);
//! * `-k FILE -a ID` signs requests with key ID from an ntpd/chrony keys file and accepts only
//!   replies carrying a valid MAC with that key;
//! * `--virtual-offset S` pretends the local clock is S seconds ahead (for tests).

mod host;

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use host::args::{Args, die};
use host::clock::{HostClock, VirtualClock};
use host::net::{NtpSocket, RxStamp, wait_readable};
use sundial::auth::{KeyId, KeyTable};
use sundial::time::{Frequency, NtpDuration, NtpTime, PollInterval};
use sundial::wire::{HeaderRepr, LeapIndicator, Mode, NtpPacket, Packet, RefId};

const USAGE: &str = "usage: sntp [-p PORT] [-c SAMPLES] [-i INTERVAL_S] [-t TIMEOUT_S] [-d] [--trace] \
[-k KEYFILE -a KEYID] [-o VERSION] [--json] [--virtual-offset S] SERVER...";

struct Opts {
    servers: Vec<String>,
    port: u16,
    samples: u32,
    interval: f64,
    timeout: f64,
    detail: bool,
    trace: bool,
    keyfile: Option<PathBuf>,
    keyid: Option<u32>,
    version: u8,
    json: bool,
    virtual_offset: NtpDuration,
}

fn parse_args() -> Opts {
    let mut o = Opts {
        servers: Vec::new(),
        port: 123,
        samples: 4,
        interval: 0.25,
        timeout: 1.0,
        detail: false,
        trace: false,
        keyfile: None,
        keyid: None,
        version: 4,
        json: false,
        virtual_offset: NtpDuration::ZERO,
    };
    let mut a = Args::from_env();
    while let Some(arg) = a.next_arg() {
        match arg.as_str() {
            "-p" | "--port" => o.port = a.value(&arg),
            "-c" | "--samples" => o.samples = a.value::<u32>(&arg).clamp(1, 16),
            "-i" | "--interval" => o.interval = a.value::<f64>(&arg).clamp(0.0, 60.0),
            "-t" | "--timeout" => o.timeout = a.value::<f64>(&arg).clamp(0.01, 60.0),
            "-d" | "--detail" => o.detail = true,
            "--trace" => o.trace = true,
            "-k" | "--keyfile" => o.keyfile = Some(a.value::<String>(&arg).into()),
            "-a" | "--keyid" => o.keyid = Some(a.value(&arg)),
            "-o" | "--version" => o.version = a.value::<u8>(&arg).clamp(1, 4),
            "--json" => o.json = true,
            "--virtual-offset" => {
                let s: String = a.value(&arg);
                o.virtual_offset = NtpDuration::parse_decimal_seconds(&s)
                    .unwrap_or_else(|e| die(&format!("--virtual-offset {s}: {e}")));
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            s if s.starts_with('-') => die(&format!("unknown option {s}\n{USAGE}")),
            _ => o.servers.push(arg),
        }
    }
    if o.servers.is_empty() {
        die(USAGE);
    }
    if o.keyfile.is_some() != o.keyid.is_some() {
        die("-k KEYFILE and -a KEYID go together");
    }
    o
}

/// Resolves `host`, `host:port`, `[v6]:port` or a bare IPv6 address.
fn resolve(server: &str, port: u16) -> Result<SocketAddr, String> {
    if let Ok(ip) = server.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, port));
    }
    if let Ok(sa) = server.parse::<SocketAddr>() {
        return Ok(sa);
    }
    let with_port = if server.contains(':') {
        server.to_string()
    } else {
        format!("{server}:{port}")
    };
    with_port
        .to_socket_addrs()
        .map_err(|e| format!("{server}: {e}"))?
        .next()
        .ok_or_else(|| format!("{server}: no address"))
}

/// One completed client/server exchange.
#[derive(Clone, Copy)]
struct Exchange {
    header: HeaderRepr,
    t1: NtpTime,
    t2: NtpTime,
    t3: NtpTime,
    t4: NtpTime,
    offset: NtpDuration,
    delay: NtpDuration,
    stamp: RxStamp,
    key: Option<KeyId>,
}

impl Exchange {
    /// Root synchronization distance: root dispersion + root delay / 2 (s).
    fn synch_distance(&self) -> NtpDuration {
        self.header.root_dispersion.to_duration() + self.header.root_delay.to_duration().shift(-1)
    }
}

struct Client<'a> {
    clock: &'a VirtualClock,
    keys: Option<(KeyTable<16>, KeyId)>,
    version: u8,
    timeout: Duration,
    detail: bool,
}

impl Client<'_> {
    /// Sends one request to `to` and waits for its reply.
    fn exchange(&self, to: SocketAddr) -> Result<Exchange, String> {
        let local: SocketAddr = if to.is_ipv4() {
            ([0, 0, 0, 0], 0).into()
        } else {
            "[::]:0".parse().map_err(|_| "addr")?
        };
        let sock = NtpSocket::bind(local).map_err(|e| format!("bind: {e}"))?;
        let mut buf = [0u8; 1024];
        let t1 = self.clock.now();
        let request = HeaderRepr {
            leap: LeapIndicator::NoWarning,
            version: self.version,
            mode: if self.version == 1 {
                Mode::Reserved
            } else {
                Mode::Client
            },
            stratum: 0,
            poll: PollInterval::from_log2(6),
            precision: -20,
            root_delay: Default::default(),
            root_dispersion: Default::default(),
            ref_id: RefId::ZERO,
            reference_timestamp: Default::default(),
            origin_timestamp: Default::default(),
            receive_timestamp: Default::default(),
            transmit_timestamp: t1.to_timestamp(),
        };
        request.emit(&mut Packet::new_unchecked(&mut buf[..48]));
        let mut len = 48;
        if let Some((table, id)) = &self.keys {
            let key = table.get(*id).ok_or("key vanished")?;
            len = key.sign(&mut buf, 48).ok_or("MAC does not fit")?;
        }
        if self.detail {
            println!(
                "transmit({to}) {len} bytes, transmit timestamp {} ({})",
                t1.to_timestamp(),
                host::date::utc(t1)
            );
        }
        sock.send_to(&buf[..len], to)
            .map_err(|e| format!("send to {to}: {e}"))?;
        let deadline = Instant::now() + self.timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(format!("{to}: no reply within {:?}", self.timeout));
            }
            wait_readable(&[sock.as_raw_fd()], Some(left)).map_err(|e| format!("poll: {e}"))?;
            let Some(rx) = sock.recv(&mut buf).map_err(|e| format!("recv: {e}"))? else {
                continue;
            };
            if rx.from != to {
                continue;
            }
            let bytes = &buf[..rx.len];
            let packet = match NtpPacket::parse(bytes) {
                Ok(p) => p,
                Err(e) => {
                    if self.detail {
                        println!(
                            "receive({to}) {} bytes: undecodable ({e:?}), ignored",
                            rx.len
                        );
                    }
                    continue;
                }
            };
            let h = packet.header;
            if h.origin_timestamp != request.transmit_timestamp {
                if self.detail {
                    println!(
                        "receive({to}) origin {} does not match our transmit, ignored",
                        h.origin_timestamp
                    );
                }
                continue;
            }
            let t4 = self.clock.map_system(rx.rx_time);
            let t2 = h.receive_timestamp.resolve(t1);
            let t3 = h.transmit_timestamp.resolve(t1);
            let offset = ((t2 - t1) + (t3 - t4)).shift(-1);
            let delay = (t4 - t1) - (t3 - t2);
            let mut key = None;
            if let Some((table, id)) = &self.keys {
                let data = packet.mac_input(bytes);
                let Some(mac) = packet.mac else {
                    return Err(format!("{to}: reply has no MAC (key {id} required)"));
                };
                match table.verify(data, KeyId(mac.key_id), mac.digest) {
                    Ok(k) if k == *id => key = Some(k),
                    Ok(k) => return Err(format!("{to}: reply signed with key {k}, not {id}")),
                    Err(e) => return Err(format!("{to}: reply MAC rejected: {e:?}")),
                }
            }
            let x = Exchange {
                header: h,
                t1,
                t2,
                t3,
                t4,
                offset,
                delay,
                stamp: rx.stamp,
                key,
            };
            if self.detail {
                print_exchange(to, rx.len, &x);
            }
            if let Some(code) = h.kiss_code() {
                return Err(format!("{to}: kiss-o'-death {code}"));
            }
            if h.stratum == 0 {
                return Err(format!(
                    "{to}: stratum 0 (kiss-o'-death {})",
                    h.ref_id.display(0)
                ));
            }
            if h.mode != Mode::Server && h.mode != Mode::SymmetricPassive {
                return Err(format!(
                    "{to}: reply mode {} is not a server's",
                    h.mode.name()
                ));
            }
            if h.leap == LeapIndicator::Unsynchronized || h.stratum >= 16 {
                return Err(format!(
                    "{to}: server is not synchronized (leap {:?}, stratum {})",
                    h.leap, h.stratum
                ));
            }
            if h.transmit_timestamp.is_zero() {
                return Err(format!("{to}: reply has no transmit timestamp"));
            }
            return Ok(x);
        }
    }

    /// `samples` exchanges `interval` apart; returns all good ones and the errors.
    fn query(&self, to: SocketAddr, samples: u32, interval: f64) -> (Vec<Exchange>, Vec<String>) {
        let mut good = Vec::new();
        let mut errors = Vec::new();
        for i in 0..samples {
            if i > 0 {
                std::thread::sleep(Duration::from_secs_f64(interval));
            }
            match self.exchange(to) {
                Ok(x) => good.push(x),
                Err(e) => {
                    let kod = e.contains("kiss-o'-death");
                    errors.push(e);
                    if kod {
                        break; // a KoD means stop asking
                    }
                }
            }
        }
        (good, errors)
    }
}

fn print_exchange(to: SocketAddr, len: usize, x: &Exchange) {
    let h = &x.header;
    println!(
        "receive({to}) {len} bytes{}",
        x.key
            .map(|k| format!(", MAC ok (key {k})"))
            .unwrap_or_default()
    );
    println!(
        "  leap {:?}, version {}, mode {}, stratum {}, poll {}, precision {}",
        h.leap,
        h.version,
        h.mode.name(),
        h.stratum,
        h.poll.log2(),
        h.precision
    );
    println!(
        "  root delay {:.6}, root dispersion {:.6}, refid {}",
        h.root_delay.to_duration(),
        h.root_dispersion.to_duration(),
        h.ref_id.display(h.stratum)
    );
    let r = h.reference_timestamp.resolve(x.t1);
    println!(
        "  reference time:  {}  {}",
        h.reference_timestamp,
        host::date::utc(r)
    );
    println!(
        "  originate (t1):  {}  {}",
        h.origin_timestamp,
        host::date::utc(x.t1)
    );
    println!(
        "  receive (t2):    {}  {}",
        h.receive_timestamp,
        host::date::utc(x.t2)
    );
    println!(
        "  transmit (t3):   {}  {}",
        h.transmit_timestamp,
        host::date::utc(x.t3)
    );
    println!(
        "  arrived (t4):    {}  {}  [{}]",
        x.t4.to_timestamp(),
        host::date::utc(x.t4),
        x.stamp.name()
    );
    let off = if x.offset.is_negative() {
        format!("{:.9}", x.offset)
    } else {
        format!("+{:.9}", x.offset)
    };
    println!("  offset {off}, delay {:.9}", x.delay);
}

/// The sample with the lowest delay (ntpdate's choice), and the jitter of the others' offsets
/// around it (RMS, s).
fn filter(samples: &[Exchange]) -> Option<(Exchange, f64)> {
    let best = *samples.iter().min_by_key(|x| x.delay)?;
    let n = samples.len() as f64;
    let jitter = (samples
        .iter()
        .map(|x| {
            let d = (x.offset - best.offset).to_bits() as f64 / 4_294_967_296.0;
            d * d
        })
        .sum::<f64>()
        / n.max(1.0))
    .sqrt();
    Some((best, jitter))
}

/// Seconds with 6 decimals and an explicit sign, as ntpdate prints offsets.
fn sign(d: NtpDuration) -> String {
    if d.is_negative() {
        format!("{d:.6}")
    } else {
        format!("+{d:.6}")
    }
}

fn json_escape(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

fn main() {
    let o = parse_args();
    let clock = VirtualClock::new(o.virtual_offset, Frequency::ZERO);
    let keys = match (&o.keyfile, o.keyid) {
        (Some(path), Some(id)) => {
            let text = std::fs::read_to_string(path)
                .unwrap_or_else(|e| die(&format!("{}: {e}", path.display())));
            let mut parsed = sundial::config::parse_keys::<16>(&text)
                .unwrap_or_else(|e| die(&format!("{}: {e}", path.display())));
            let id = KeyId(id);
            if parsed.apply_trusted(&[id]).is_some() {
                die(&format!("{}: no usable key {id}", path.display()));
            }
            Some((parsed.keys, id))
        }
        _ => None,
    };
    let client = Client {
        clock: &clock,
        keys,
        version: o.version,
        timeout: Duration::from_secs_f64(o.timeout),
        detail: o.detail,
    };
    let mut failures = 0;
    for server in &o.servers {
        let to = match resolve(server, o.port) {
            Ok(a) => a,
            Err(e) => {
                eprintln!("sntp: {e}");
                failures += 1;
                continue;
            }
        };
        if o.trace {
            failures += trace(&client, to, &o);
            continue;
        }
        let (samples, errors) = client.query(to, o.samples, o.interval);
        for e in &errors {
            eprintln!("sntp: {e}");
        }
        let Some((best, jitter)) = filter(&samples) else {
            failures += 1;
            if o.json {
                let why = errors.last().cloned().unwrap_or_default();
                println!("{{\"server\":\"{to}\",\"error\":{}}}", json_escape(&why));
            } else {
                println!("server {to}: no usable reply");
            }
            continue;
        };
        if o.detail {
            let cols = |f: &dyn Fn(&Exchange) -> String| {
                samples.iter().map(f).collect::<Vec<_>>().join(" ")
            };
            println!("filter delay:  {}", cols(&|x| format!("{:.6}", x.delay)));
            println!("filter offset: {}", cols(&|x| sign(x.offset)));
            println!(
                "chosen: delay {:.6}, offset {}, jitter {jitter:.6}",
                best.delay,
                sign(best.offset)
            );
        }
        let h = best.header;
        let refid = h.ref_id.display(h.stratum).to_string();
        if o.json {
            println!(
                "{{\"server\":\"{to}\",\"stratum\":{},\"refid\":{},\"leap\":{},\"version\":{},\"offset\":\"{:.9}\",\
\"delay\":\"{:.9}\",\"jitter\":{jitter:.9},\"root_delay\":\"{:.9}\",\"root_dispersion\":\"{:.9}\",\"samples\":{},\
\"rx_timestamps\":\"{}\",\"key\":{}}}",
                h.stratum,
                json_escape(&refid),
                h.leap.to_bits(),
                h.version,
                best.offset,
                best.delay,
                h.root_delay.to_duration(),
                h.root_dispersion.to_duration(),
                samples.len(),
                best.stamp.name(),
                best.key.map_or("null".to_string(), |k| k.to_string()),
            );
        } else {
            println!(
                "server {to}, stratum {}, refid {refid}, offset {}, delay {:.6}",
                h.stratum,
                sign(best.offset),
                best.delay
            );
            println!(
                "{} sntp: server {to} offset {} sec (the clock was not changed)",
                host::date::utc(clock.now()),
                sign(best.offset)
            );
        }
    }
    std::process::exit(if failures == 0 { 0 } else { 1 });
}

/// Follows reference ids from `start` towards the primary source; returns 1 on failure.
fn trace(client: &Client<'_>, start: SocketAddr, o: &Opts) -> i32 {
    let mut seen = HashSet::new();
    let mut to = start;
    for _ in 0..16 {
        if !seen.insert(to) {
            println!("{to}: loop in the reference chain");
            return 0;
        }
        let (samples, errors) = client.query(to, o.samples.min(2), o.interval);
        let Some((x, _)) = filter(&samples) else {
            println!("{to}: {}", errors.last().map_or("no reply", String::as_str));
            return 1;
        };
        let h = x.header;
        println!(
            "{to}: stratum {}, offset {}, synch distance {:.6}, refid {}",
            h.stratum,
            sign(x.offset),
            x.synch_distance(),
            h.ref_id.display(h.stratum)
        );
        if h.stratum <= 1 || h.ref_id.as_ascii().is_some() {
            return 0;
        }
        // Stratum 2+ refids of IPv4 peers are their address; IPv6 peers' are a hash, and
        // 127.127.t.u is a reference clock: stop there.
        let ip = h.ref_id.to_ipv4();
        if ip.is_unspecified() || ip.octets()[..2] == [127, 127] {
            println!("  (refid {ip} is a reference clock or unknown: end of chain)");
            return 0;
        }
        to = SocketAddr::new(IpAddr::V4(ip), 123);
    }
    0
}
