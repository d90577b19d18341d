//! A thin NTP daemon around the sans-IO core: one thread, one `ppoll(2)` wait with the core's
//! timeout, UDP over IPv4 and IPv6 with kernel receive timestamps, the real clock through
//! `clock_adjtime` or a virtual clock that never touches the system clock.
//!
//! ```text
//! cargo run --release --example ntpd -- -c /etc/ntp.conf                  # real clock (root)
//! cargo run --example ntpd -- -c ntp.conf --virtual-clock --port 12400   # dry run
//! cargo run --example ntpd -- --check-config /etc/ntp.conf
//! ```
//! Options: `-c FILE`, `--check-config FILE`, `-g` (allow the first big step), `-x` (slew only),
//! `-q` (set the clock once and exit), `--port N` (default 123), `--listen ADDR` (repeatable;
//! default: the config's `interface listen` addresses, else 0.0.0.0 and ::),
//! `--virtual-clock [--virtual-offset S] [--virtual-freq PPM]`, `--server ADDR:PORT` and
//! `--peer ADDR:PORT` (extra associations with a port, iburst), `--key ID` for those,
//! `--minpoll N`/`--maxpoll N` for those, `--status-interval S` (print a status line),
//! `--duration S` (exit after S seconds), `--coalesce-us N` (server receive coalescing under
//! load, longest wait in µs; default 200, 0 = off; see `host::coalesce`), `-v` (debug logging).

mod host;

use std::net::SocketAddr;
use std::os::fd::{AsRawFd, RawFd};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use host::args::{Args, die};
use host::clock::{HostClock, RealClock, VirtualClock, system_now};
use host::coalesce::Coalescer;
use host::net::{Batch, NtpSocket, RxStamp};
use host::setup::{Core, Overrides};
use host::stats::{StatsFile, loopstats_line, peerstats_line};
use sundial::system::{Transmit, TransmitKind};
use sundial::time::{Frequency, NtpDuration, NtpTime};

const USAGE: &str = "usage: ntpd [-c FILE] [--check-config FILE] [-g] [-x] [-q] [--port N] [--listen ADDR]... \
[--virtual-clock [--virtual-offset S] [--virtual-freq PPM]] [--server ADDR:PORT]... [--peer ADDR:PORT]... \
[--key ID] [--minpoll N] [--maxpoll N] [--status-interval S] [--duration S] [--coalesce-us N] [-v]";

/// Largest datagram the daemon handles (header, extensions, MAC; mode 6 fragments).
const BUF: usize = 1280;
/// Datagrams per `recvmmsg`.
const RX_BATCH: usize = 32;
/// Replies per `sendmmsg`, each group with its own transmit timestamp.
const SEND_GROUP: usize = 4;
/// Receive buffer per socket, bytes: a few thousand requests of slack while the loop is not
/// scheduled (the kernel's default holds about 300).
const RCVBUF: usize = 4 << 20;
/// Longest time between two looks at the core's events and samples.
const LOG_EVERY: Duration = Duration::from_millis(100);
/// Drift file write interval.
const DRIFT_EVERY: Duration = Duration::from_secs(3600);
/// Default longest wait letting client requests gather under load (`--coalesce-us`), µs.
const COALESCE_US: u64 = 200;
/// Upper bound for `--coalesce-us`, µs.
const COALESCE_MAX_US: u64 = 1000;

struct Opts {
    config: Option<PathBuf>,
    check_only: bool,
    overrides: Overrides,
    once: bool,
    port: u16,
    listen: Vec<std::net::IpAddr>,
    virtual_clock: bool,
    virtual_offset: NtpDuration,
    virtual_freq: Frequency,
    status_interval: Option<f64>,
    duration: Option<f64>,
    coalesce: Duration,
    verbose: bool,
}

fn parse_args() -> Opts {
    let mut o = Opts {
        config: None,
        check_only: false,
        overrides: Overrides::default(),
        once: false,
        port: 123,
        listen: Vec::new(),
        virtual_clock: false,
        virtual_offset: NtpDuration::ZERO,
        virtual_freq: Frequency::ZERO,
        status_interval: None,
        duration: None,
        coalesce: Duration::from_micros(COALESCE_US),
        verbose: false,
    };
    let mut a = Args::from_env();
    while let Some(arg) = a.next_arg() {
        match arg.as_str() {
            "-c" => o.config = Some(a.value::<String>(&arg).into()),
            "--check-config" => {
                o.config = Some(a.value::<String>(&arg).into());
                o.check_only = true;
            }
            "-g" => o.overrides.start.allow_first_big_step = true,
            "-x" => o.overrides.start.never_step = true,
            "-q" => o.once = true,
            "-n" => {} // always in the foreground
            "--port" | "-p" => o.port = a.value(&arg),
            "--listen" => o.listen.push(a.value(&arg)),
            "--virtual-clock" => o.virtual_clock = true,
            "--virtual-offset" => {
                let s: String = a.value(&arg);
                o.virtual_offset = NtpDuration::parse_decimal_seconds(&s)
                    .unwrap_or_else(|e| die(&format!("--virtual-offset {s}: {e}")));
                o.virtual_clock = true;
            }
            "--virtual-freq" => {
                let s: String = a.value(&arg);
                o.virtual_freq = Frequency::parse_decimal_ppm(&s)
                    .unwrap_or_else(|e| die(&format!("--virtual-freq {s}: {e}")));
                o.virtual_clock = true;
            }
            "--server" => o.overrides.servers.push(a.value(&arg)),
            "--peer" => o.overrides.peers.push(a.value(&arg)),
            "--key" => o.overrides.key = Some(a.value(&arg)),
            "--minpoll" => o.overrides.minpoll = Some(a.value(&arg)),
            "--maxpoll" => o.overrides.maxpoll = Some(a.value(&arg)),
            "--status-interval" => o.status_interval = Some(a.value(&arg)),
            "--duration" => o.duration = Some(a.value(&arg)),
            "--coalesce-us" => {
                let us: u64 = a.value(&arg);
                if us > COALESCE_MAX_US {
                    die(&format!("--coalesce-us {us}: at most {COALESCE_MAX_US}"));
                }
                o.coalesce = Duration::from_micros(us);
            }
            "-v" => o.verbose = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            _ => die(&format!("unknown argument {arg}\n{USAGE}")),
        }
    }
    o
}

fn seed() -> [u8; 16] {
    let mut s = [0u8; 16];
    if let Ok(bytes) = std::fs::read("/proc/sys/kernel/random/uuid") {
        for (i, b) in bytes.iter().enumerate() {
            s[i % 16] ^= b.wrapping_mul(31).wrapping_add(i as u8);
        }
    }
    let t = system_now().to_timestamp().to_bits().to_le_bytes();
    for (i, b) in t.iter().enumerate() {
        s[i] ^= b;
    }
    s[15] ^= std::process::id() as u8;
    s
}

/// The running daemon: the core, its clock, its sockets and its files.
struct Daemon<C: HostClock> {
    ntp: Core,
    clock: C,
    socks: Vec<NtpSocket>,
    fds: Vec<RawFd>,
    drift: Option<PathBuf>,
    loopstats: Option<StatsFile>,
    peerstats: Option<StatsFile>,
    last_reference: Option<NtpTime>,
    last_rec: Vec<(u16, u64)>,
    stamps: [u64; 2],
    /// Report the virtual clock's true error (its offset from the system clock).
    is_virtual: bool,
    /// The replies of the batch being answered (reused: no allocation per batch).
    replies: Vec<Transmit>,
    /// Something other than a plain server reply happened since the last `log_events`.
    dirty: bool,
    /// Reference clock serial ports and PPS sources.
    refclocks: host::refclocks::Refclocks,
}

impl<C: HostClock> Daemon<C> {
    /// The socket to send to `to` from: the first of the same address family.
    fn socket_for(&self, to: SocketAddr) -> Option<&NtpSocket> {
        self.socks
            .iter()
            .find(|s| s.local_addr().is_ipv4() == to.is_ipv4())
    }

    fn apply_adjustments(&mut self) -> bool {
        let mut stepped = false;
        while let Some(adj) = self.ntp.poll_adjustment() {
            if let Err(e) = self.clock.apply(&adj) {
                log::error!("cannot adjust the {} clock: {e}", self.clock.name());
            }
            if adj.is_step() {
                log::warn!("clock stepped by {} s", adj.step);
                stepped = true;
            } else {
                log::debug!(
                    "frequency {} ppm{}",
                    adj.frequency,
                    if adj.slew_until.is_some() {
                        " (slewing)"
                    } else {
                        ""
                    }
                );
            }
            self.ntp.adjustment_applied(adj, self.clock.now());
        }
        // Under `enable kernel` each new sample of the system peer goes to the kernel PLL.
        while let Some(u) = self.ntp.poll_kernel_update() {
            if !self.clock.kernel_pll() {
                continue;
            }
            match self.clock.kernel_update(&u) {
                Ok(()) => log::debug!(
                    "kernel PLL: offset {} s, time constant {}",
                    u.offset,
                    u.time_constant
                ),
                Err(e) => log::error!("kernel PLL update: {e}"),
            }
        }
        stepped
    }

    fn send_polls(&mut self, buf: &mut [u8; BUF]) {
        loop {
            let now = self.clock.now();
            let Some(tx) = self.ntp.poll_transmit(now, buf) else {
                break;
            };
            let Some(sock) = self.socket_for(tx.to) else {
                log::warn!("no socket for {}", tx.to);
                continue;
            };
            let t = self.clock.now();
            self.ntp.stamp_transmit(&tx, buf, t);
            match sock.send_to(&buf[..tx.len], tx.to) {
                Ok(_) => self.ntp.transmitted(&tx, t),
                Err(e) => log::warn!("send to {}: {e}", tx.to),
            }
        }
    }

    /// Receives everything waiting on socket `i` and answers what needs an answer, in batches:
    /// one `recvmmsg`, the core on each datagram, one `sendmmsg` for the replies. Returns the
    /// number of datagrams received.
    fn receive(&mut self, i: usize, rx: &mut Batch, tx: &mut Batch) -> usize {
        let mut total = 0;
        loop {
            let n = match self.socks[i].recv_batch(rx) {
                Ok(n) => n,
                Err(e) => {
                    log::warn!("receive: {e}");
                    return total;
                }
            };
            total += n;
            if n == 0 {
                return total;
            }
            // One reading of our clock per batch for the core's `now` (rate limits, timers);
            // each datagram keeps its own kernel receive timestamp.
            let now = self.clock.now();
            // What went into each reply slot, to stamp it and report its send time (the
            // server's interleaved mode needs the transmit time of the previous reply).
            self.replies.clear();
            for s in rx.slots.iter().take(n) {
                let Some(from) = s.peer else { continue };
                self.stamps[usize::from(s.stamp == RxStamp::Kernel)] += 1;
                let Some(out) = tx.slots.get_mut(self.replies.len()) else {
                    break;
                };
                let rx_time = self.clock.map_system(s.rx_time);
                match self
                    .ntp
                    .handle_packet(now, from, &s.buf[..s.len], rx_time, &mut out.buf)
                {
                    Some(t) => {
                        // Anything but a plain reply may have changed what we log.
                        self.dirty |= t.kind != TransmitKind::Reply;
                        out.len = t.len;
                        out.peer = Some(t.to);
                        self.replies.push(t);
                    }
                    None => self.dirty = true,
                }
            }
            // The replies go out in groups of SEND_GROUP, each group stamped right before its
            // own `sendmmsg`: a reply leaves at most SEND_GROUP - 1 others' send time after its
            // transmit timestamp (one stamp for 32 replies was up to ~100 µs early on loopback
            // for the last of them, an error of half that in its client's offset).
            let count = self.replies.len();
            let mut start = 0;
            while start < count {
                let end = (start + SEND_GROUP).min(count);
                let stamp = self.clock.now();
                let group = self.replies.get(start..end).unwrap_or_default();
                for (t, out) in group.iter().zip(tx.slots.iter_mut().skip(start)) {
                    self.ntp.stamp_transmit(t, &mut out.buf, stamp);
                }
                match self.socks[i].send_slots(tx, start, end) {
                    Ok(k) => {
                        // Without SO_TIMESTAMPING the stamp taken right before the send is
                        // the best transmit time we have.
                        for t in group.iter().take(k) {
                            self.ntp.transmitted(t, stamp);
                        }
                        if k < end - start {
                            log::debug!("socket full: {} replies dropped", count - start - k);
                            break;
                        }
                    }
                    Err(e) => {
                        log::warn!("send replies: {e}");
                        break;
                    }
                }
                start = end;
            }
            if n < rx.capacity() {
                return total;
            }
        }
    }

    /// loopstats on every clock update (a new reference time: the system peer had a new
    /// sample), peerstats on every new filter output; logs events.
    fn log_events(&mut self) {
        while let Some(ev) = self.ntp.poll_event() {
            log::info!("{ev}");
        }
        let now = self.clock.now();
        let sys = *self.ntp.system_variables();
        if sys.reference_time.is_some() && sys.reference_time != self.last_reference {
            self.last_reference = sys.reference_time;
            if let Some(f) = &mut self.loopstats {
                let line = loopstats_line(
                    now,
                    sys.offset,
                    sys.frequency,
                    sys.clock_jitter,
                    sys.clock_wander,
                    sys.poll.log2(),
                );
                let _ = f.line(&line);
            }
        }
        let mut updates = Vec::new();
        for a in self.ntp.associations() {
            // One line per new clock-filter output (network peers and
            // reference clocks alike), as ntpd's record_peer_stats.
            let Some(update) = a.update() else { continue };
            let f = update.filter;
            let rec = f.sample_time.to_timestamp().to_bits();
            let id = a.id().0;
            match self.last_rec.iter_mut().find(|(i, _)| *i == id) {
                Some((_, r)) if *r == rec => continue,
                Some((_, r)) => *r = rec,
                None => self.last_rec.push((id, rec)),
            }
            let (address, reachable) = match a.source() {
                sundial::system::Source::Network(n) => {
                    (n.config().remote.ip(), n.reach().is_reachable())
                }
                sundial::system::Source::Refclock(r) => {
                    (r.id().to_ipv4().into(), r.reach().is_reachable())
                }
            };
            // ntpd's peer status word: configured, reachable, selection code.
            let status = 0x8000
                | if reachable { 0x1000 } else { 0 }
                | (u16::from(a.tally().code() & 7) << 8);
            updates.push(peerstats_line(
                now,
                address,
                status,
                f.offset,
                f.delay,
                f.dispersion,
                f.jitter,
            ));
        }
        if let Some(f) = &mut self.peerstats {
            for l in updates {
                let _ = f.line(&l);
            }
        }
    }

    fn status_line(&self) -> String {
        let sys = self.ntp.system_variables();
        let stamps = if self.stamps[1] > 0 || self.stamps[0] == 0 {
            RxStamp::Kernel
        } else {
            RxStamp::AfterRecv
        };
        let mut s = format!(
            "status: stratum {} leap {:?} offset {} freq {} ppm jitter {} poll {} peer {} clock {} discipline {} rx {} ({} kernel / {} late)",
            sys.stratum,
            sys.leap,
            sys.offset,
            self.clock.frequency(),
            sys.system_jitter,
            sys.poll.log2(),
            sys.peer,
            self.clock.name(),
            self.clock.discipline_name(),
            stamps.name(),
            self.stamps[1],
            self.stamps[0],
        );
        if self.is_virtual {
            s.push_str(&format!(" true_offset {}", self.clock.now() - system_now()));
        }
        s
    }

    fn write_drift(&self) {
        if let Some(p) = &self.drift {
            match host::drift::write(p, self.clock.frequency()) {
                Ok(()) => log::info!(
                    "drift {} ppm written to {}",
                    self.clock.frequency(),
                    p.display()
                ),
                Err(e) => log::warn!("drift file {}: {e}", p.display()),
            }
        }
    }

    fn run(&mut self, o: &Opts) -> i32 {
        let mut buf = [0u8; BUF];
        let mut rx = Batch::new(RX_BATCH);
        let mut tx = Batch::new(RX_BATCH);
        let started = Instant::now();
        let mut last_log = Instant::now();
        let mut last_drift = Instant::now();
        let mut last_status = Instant::now();
        // Coalescing only where every receive time is the kernel's: with a clock read after
        // the receive call the gathering wait would be measurement error.
        let coalesce = if self.socks.iter().all(|s| s.kernel_timestamps()) {
            o.coalesce
        } else {
            if !o.coalesce.is_zero() {
                log::info!("no kernel receive timestamps: receive coalescing off");
            }
            Duration::ZERO
        };
        let mut gather = Coalescer::new(coalesce, RX_BATCH, Instant::now());
        loop {
            if let Some(sig) = host::signal::stop_requested() {
                log::info!("signal {sig}: exiting");
                self.write_drift();
                return 0;
            }
            if o.duration
                .is_some_and(|d| started.elapsed().as_secs_f64() >= d)
            {
                self.write_drift();
                return 0;
            }
            let mut stepped = self.apply_adjustments();
            self.send_polls(&mut buf);
            // Polling folds reference clock samples in: apply what that produced now, not after
            // the wait below (a slew applied late is late for everything measured meanwhile).
            stepped |= self.apply_adjustments();
            if o.once && (stepped || self.ntp.system_variables().stratum < 16) {
                log::info!("clock set (-q): exiting");
                self.write_drift();
                return 0;
            }
            // Under a flood of client requests nothing but the server's state changes: look for
            // new samples and events after timers, other packets and reference clock input,
            // and at least every 100 ms.
            if self.dirty || last_log.elapsed() >= LOG_EVERY {
                self.dirty = false;
                last_log = Instant::now();
                self.log_events();
            }
            if let Some(every) = o.status_interval {
                if last_status.elapsed().as_secs_f64() >= every {
                    last_status = Instant::now();
                    println!("{}", self.status_line());
                }
            }
            if last_drift.elapsed() >= DRIFT_EVERY {
                last_drift = Instant::now();
                self.write_drift();
            }
            let wake = self.ntp.poll_timeout();
            let now = self.clock.now();
            let until = (wake - now).max(NtpDuration::ZERO);
            // Wake at least once a second for signals, status lines and the duration limit.
            let wait = Duration::from_nanos(until.as_nanos().clamp(0, 1_000_000_000) as u64);
            let wait = self.refclocks.cap_wait(wait);
            // Under load, sleep a short while deaf to the sockets (serial ports still wake us:
            // their bytes are stamped after the read), then take what gathered.
            let pause = gather.wait().min(wait);
            let ready = if pause.is_zero() {
                self.refclocks.wait_readable(&self.fds, Some(wait))
            } else {
                // Then which sockets have something: one socket is simply read (an empty
                // `recvmmsg` costs what a poll would), several are polled without waiting.
                self.refclocks
                    .wait_readable(&[], Some(pause))
                    .and_then(|_| match self.fds.len() {
                        1 => Ok(vec![true]),
                        _ => host::net::wait_readable(&self.fds, Some(Duration::ZERO)),
                    })
            };
            let ready = match ready {
                Ok(r) => r,
                Err(e) => {
                    log::error!("poll: {e}");
                    return 1;
                }
            };
            self.refclocks.service(&mut self.ntp, &self.clock);
            let mut received = 0;
            for (i, r) in ready.iter().enumerate() {
                if *r {
                    received += self.receive(i, &mut rx, &mut tx);
                }
            }
            gather.record(received, Instant::now());
            let now = self.clock.now();
            if now >= self.ntp.poll_timeout() {
                self.ntp.handle_timeout(now);
                self.dirty = true;
            }
        }
    }
}

fn main() {
    let mut o = parse_args();
    let text = match &o.config {
        Some(p) => {
            std::fs::read_to_string(p).unwrap_or_else(|e| die(&format!("{}: {e}", p.display())))
        }
        None => String::new(),
    };
    let parsed = sundial::config::parse::<16, 32, 16>(&text).unwrap_or_else(|e| {
        eprintln!(
            "{}: {e}",
            o.config
                .as_ref()
                .map_or("(no config)".into(), |p| p.display().to_string())
        );
        std::process::exit(1)
    });
    let conf = parsed.config;
    if o.check_only {
        for w in parsed.warnings.as_slice().iter() {
            println!("warning: {w}");
        }
        let mut out = String::new();
        let _ = conf.write_to(&mut out);
        print!("{out}");
        for line in host::refclocks::plan(&conf) {
            println!("{line}");
        }
        println!("# configuration OK");
        return;
    }
    let level = if o.verbose {
        log::LevelFilter::Debug
    } else {
        log::LevelFilter::Info
    };
    let logfile = conf.logfile.as_ref().map(|p| PathBuf::from(p.as_str()));
    host::logger::init(level, logfile.as_deref()).unwrap_or_else(|e| die(&format!("logfile: {e}")));
    for w in parsed.warnings.as_slice().iter() {
        log::warn!("config: {w}");
    }
    let drift = conf.driftfile.as_ref().map(|p| PathBuf::from(p.as_str()));
    if let Some(p) = &drift {
        match host::drift::read(p) {
            Ok(Some(f)) => {
                log::info!("drift file {}: {f} ppm", p.display());
                o.overrides.start.saved_frequency = Some(f);
            }
            Ok(None) => log::info!("drift file {} not there yet", p.display()),
            Err(e) => log::warn!("drift file: {e}"),
        }
    }
    let keys_text = conf.keys_file.as_ref().map(|p| {
        std::fs::read_to_string(p.as_str())
            .unwrap_or_else(|e| die(&format!("keys file {}: {e}", p.as_str())))
    });
    if let Err(e) = host::signal::install() {
        die(&format!("signals: {e}"));
    }
    // Sockets: --listen, else the config's `interface listen ADDR`, else the wildcards.
    let mut listen = std::mem::take(&mut o.listen);
    if listen.is_empty() {
        for rule in conf.interfaces.iter() {
            if let (
                sundial::config::InterfaceAction::Listen,
                sundial::config::InterfaceTarget::Address(a, None),
            ) = (&rule.action, &rule.target)
            {
                listen.push(*a);
            }
        }
    }
    if listen.is_empty() {
        listen.push([0, 0, 0, 0].into());
        listen.push(std::net::IpAddr::from([0u16; 8]));
    }
    let socks: Vec<NtpSocket> = listen
        .iter()
        .filter_map(|ip| match NtpSocket::bind(SocketAddr::new(*ip, o.port)) {
            Ok(s) => {
                let rcvbuf = s.set_receive_buffer(RCVBUF).unwrap_or(0);
                log::info!(
                    "listening on {} ({}, receive buffer {} kB)",
                    s.local_addr(),
                    if s.kernel_timestamps() {
                        "kernel receive timestamps"
                    } else {
                        "clock read after receive"
                    },
                    rcvbuf / 1024
                );
                Some(s)
            }
            Err(e) => {
                log::warn!("cannot listen on {ip}:{}: {e}", o.port);
                None
            }
        })
        .collect();
    if socks.is_empty() {
        die("no socket to listen on");
    }
    let statsdir = conf.statsdir.as_ref().map(|p| PathBuf::from(p.as_str()));
    let open_stats = |on: bool, name: &str| -> Option<StatsFile> {
        let dir = statsdir.as_ref()?;
        if !on {
            return None;
        }
        StatsFile::open(dir, name)
            .map_err(|e| log::warn!("{name}: {e}"))
            .ok()
    };
    let loopstats = open_stats(
        conf.statistics
            .contains(sundial::config::StatsKinds::LOOPSTATS),
        "loopstats",
    );
    let peerstats = open_stats(
        conf.statistics
            .contains(sundial::config::StatsKinds::PEERSTATS),
        "peerstats",
    );
    let io = Io {
        socks,
        drift,
        loopstats,
        peerstats,
    };
    let keys = keys_text.as_deref();
    let code = if o.virtual_clock {
        let clock = VirtualClock::new(o.virtual_offset, o.virtual_freq);
        log::info!(
            "virtual clock: {} s off, oscillator {} ppm (the system clock is not touched)",
            o.virtual_offset,
            o.virtual_freq
        );
        start(clock, &o, &conf, keys, io, true)
    } else {
        let clock = RealClock::new().unwrap_or_else(|e| die(&format!("real clock: {e}")));
        log::info!(
            "disciplining the system clock (current correction {} ppm)",
            clock.frequency()
        );
        start(clock, &o, &conf, keys, io, false)
    };
    std::process::exit(code);
}

/// The daemon's sockets and files, opened before the clock is chosen.
struct Io {
    socks: Vec<NtpSocket>,
    drift: Option<PathBuf>,
    loopstats: Option<StatsFile>,
    peerstats: Option<StatsFile>,
}

fn start<C: HostClock + Send>(
    clock: C,
    o: &Opts,
    conf: &sundial::config::DefaultConfig,
    keys_text: Option<&str>,
    io: Io,
    is_virtual: bool,
) -> i32 {
    // The core is assembled by value (tens of kB, moved a few times): do that on a short-lived
    // thread, whose stack goes back to the system when it ends, so the main thread's stack —
    // resident for the daemon's lifetime — stays small (idle RSS).
    let mut d = std::thread::scope(|s| {
        s.spawn(move || build(clock, o, conf, keys_text, io, is_virtual))
            .join()
    })
    .unwrap_or_else(|_| die("setup failed"));
    d.run(o)
}

/// The daemon with its core on the heap.
fn build<C: HostClock>(
    clock: C,
    o: &Opts,
    conf: &sundial::config::DefaultConfig,
    keys_text: Option<&str>,
    io: Io,
    is_virtual: bool,
) -> Box<Daemon<C>> {
    let mut clock = clock;
    let built = host::setup::build(conf, keys_text, &o.overrides, clock.now(), seed())
        .unwrap_or_else(|e| die(&format!("configuration: {e}")));
    for w in &built.warnings {
        log::warn!("{w}");
    }
    let mut ntp = built.ntp;
    if built.kernel_discipline {
        let start = o
            .overrides
            .start
            .saved_frequency
            .unwrap_or_else(|| clock.frequency());
        match clock.enable_kernel_pll(start) {
            Ok(()) => {
                ntp.set_kernel_pll(true);
                log::info!(
                    "enable kernel: the kernel PLL disciplines the {} clock (from {} ppm)",
                    clock.name(),
                    start
                )
            }
            Err(e) => log::warn!("enable kernel: {e}; the daemon disciplines the clock itself"),
        }
    }
    let Io {
        socks,
        drift,
        loopstats,
        peerstats,
    } = io;
    let fds = socks.iter().map(|s| s.as_raw_fd()).collect();
    let refclocks = host::refclocks::Refclocks::open(&ntp, &conf.devices);
    Box::new(Daemon {
        ntp,
        clock,
        socks,
        fds,
        drift,
        loopstats,
        peerstats,
        last_reference: None,
        last_rec: Vec::new(),
        stamps: [0; 2],
        is_virtual,
        refclocks,
        replies: Vec::with_capacity(RX_BATCH),
        dirty: true,
    })
}
