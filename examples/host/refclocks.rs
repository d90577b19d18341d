//! The daemon's reference clocks on a Linux host: for every `127.127.T.U` clock the core holds,
//! the serial port with its time code and the PPS source, opened the ntpd way and read from
//! the daemon's `poll(2)` loop.
//!
//! Which files and which line settings come from the core (`sundial::refclock::device`,
//! `Refclock::serial_settings`, `Refclock::pps_edge`); this module only does the system calls:
//! * serial bytes: the port's descriptor is in the loop's `poll(2)` set; when it is readable
//!   the bytes are read with `read_timestamped` (clock read right after `read(2)`) and given
//!   to `Ntp::handle_serial`;
//! * PPS: fetched every [`PPS_FETCH_EVERY`] (kernel edges carry their own interrupt
//!   timestamps, so this only has to beat the next pulse), mapped from the system clock onto
//!   the daemon's clock and given to `Ntp::handle_pps`;
//! * a device that is missing or fails is logged and tried again every [`REOPEN_EVERY`]
//!   (a USB receiver plugged in later, a relay restarted); the clock is unreachable meanwhile.

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::time::{Duration, Instant};

use sundial::config::{Address, DefaultConfig, DevicePaths};
use sundial::refclock::device::{pps_candidates, time_code_device};
use sundial::refclock::input::{Edge, SerialSettings, read_timestamped};
use sundial::refclock::{Fudge, FudgeFlags, Refclock, RefclockId};
use sundial::system::Source;
use sundial::time::NtpTime;

use super::clock::HostClock;
use super::pps::PpsSource;
use super::serial::{SerialPort, describe};
use super::setup::Core;

/// How often PPS sources are asked for new edges.
pub const PPS_FETCH_EVERY: Duration = Duration::from_millis(100);
/// How often a missing or failed device is tried again.
pub const REOPEN_EVERY: Duration = Duration::from_secs(10);

#[derive(Debug)]
struct SerialLine {
    path: String,
    settings: SerialSettings,
    port: Option<SerialPort>,
    /// Bytes read since the device was opened (the first ones are logged).
    bytes: u64,
    retry_at: Instant,
    /// The last open error, so a device that stays missing is reported once.
    last_error: Option<String>,
}

#[derive(Debug)]
struct PpsLine {
    candidates: Vec<String>,
    edge: Edge,
    source: Option<PpsSource>,
    /// Edges fetched since the source was opened (the first one is logged).
    edges: u64,
    retry_at: Instant,
    last_error: Option<String>,
    /// `fudge flag3`: hand the PPS to the kernel's hardpps discipline; `hardpps_tried` once
    /// per opened source.
    hardpps: bool,
    hardpps_tried: bool,
}

#[derive(Debug)]
struct HostRefclock {
    id: RefclockId,
    serial: Option<SerialLine>,
    pps: Option<PpsLine>,
}

/// All reference clock devices of the daemon.
#[derive(Debug, Default)]
pub struct Refclocks {
    clocks: Vec<HostRefclock>,
    /// Readiness of the open serial ports from the last wait, in `clocks` order.
    ready: Vec<bool>,
    last_pps_fetch: Option<Instant>,
    edges: Vec<NtpTime>,
}

fn report(id: RefclockId, what: &str, last: &mut Option<String>, e: String) {
    if last.as_deref() != Some(e.as_str()) {
        log::warn!("refclock {id}: {what}: {e} (trying again every {REOPEN_EVERY:?})");
        *last = Some(e);
    }
}

impl SerialLine {
    fn try_open(&mut self, id: RefclockId, now: Instant) {
        self.retry_at = now + REOPEN_EVERY;
        match SerialPort::open(&self.path, self.settings) {
            Ok(p) => {
                log::info!(
                    "refclock {id}: time code from {} ({})",
                    self.path,
                    if p.is_tty {
                        describe(&self.settings)
                    } else {
                        "not a terminal: no line settings".into()
                    }
                );
                self.port = Some(p);
                self.bytes = 0;
                self.last_error = None;
            }
            Err(e) => report(id, &self.path, &mut self.last_error, e.to_string()),
        }
    }
}

impl PpsLine {
    fn try_open(&mut self, id: RefclockId, now: Instant) {
        self.retry_at = now + REOPEN_EVERY;
        let mut errors = Vec::new();
        for path in &self.candidates {
            match PpsSource::open(path, self.edge) {
                Ok(s) => {
                    log::info!(
                        "refclock {id}: PPS from {path} ({}, {:?} edge)",
                        s.kind(),
                        self.edge
                    );
                    self.source = Some(s);
                    self.hardpps_tried = false;
                    self.edges = 0;
                    self.last_error = None;
                    return;
                }
                Err(e) => errors.push(format!("{path}: {e}")),
            }
        }
        report(id, "PPS", &mut self.last_error, errors.join("; "));
    }
}

/// What the daemon will open for each reference clock of `conf`, one `# refclock ...` comment
/// line each (for `--check-config`: check the devices before starting on a board).
pub fn plan(conf: &DefaultConfig) -> Vec<String> {
    let mut lines = Vec::new();
    for a in conf.associations.iter() {
        let Address::Refclock(id) = a.address else {
            continue;
        };
        let fudge = conf.fudge(id).map_or(Fudge::NONE, Into::into);
        let clock = match Refclock::new(id, a.options.mode.unwrap_or(0), fudge) {
            Ok(c) => c,
            Err(e) => {
                lines.push(format!("# refclock {id}: {e}"));
                continue;
            }
        };
        let mut parts = Vec::new();
        if let (Some(dev), Some(line)) =
            (time_code_device(id, &conf.devices), clock.serial_settings())
        {
            parts.push(format!("time code from {dev} at {}", describe(&line)));
        }
        if let Some(edge) = clock.pps_edge() {
            let names: Vec<String> = pps_candidates(id, &conf.devices)
                .iter()
                .flatten()
                .map(|d| d.to_string())
                .collect();
            parts.push(format!(
                "PPS ({edge:?} edge) from {}",
                names.join(", else ")
            ));
        }
        if parts.is_empty() {
            parts.push("no device".into());
        }
        lines.push(format!("# refclock {id}: {}", parts.join("; ")));
    }
    lines
}

impl Refclocks {
    /// Opens the devices of every reference clock in `ntp`, with the configuration's path
    /// overrides. Devices that cannot be opened now are retried later.
    pub fn open(ntp: &Core, devices: &DevicePaths) -> Refclocks {
        let now = Instant::now();
        let mut clocks = Vec::new();
        for a in ntp.associations() {
            let Source::Refclock(r) = a.source() else {
                continue;
            };
            let Some(driver) = ntp.refclock_driver(r.id()) else {
                continue;
            };
            let id = driver.id();
            let serial = match (time_code_device(id, devices), driver.serial_settings()) {
                (Some(path), Some(settings)) => Some(SerialLine {
                    path: path.to_string(),
                    settings,
                    port: None,
                    bytes: 0,
                    retry_at: now,
                    last_error: None,
                }),
                _ => None,
            };
            let pps = driver.pps_edge().map(|edge| PpsLine {
                candidates: pps_candidates(id, devices)
                    .iter()
                    .flatten()
                    .map(|d| d.to_string())
                    .collect(),
                edge,
                source: None,
                edges: 0,
                retry_at: now,
                last_error: None,
                hardpps: driver.fudge().has(FudgeFlags::FLAG3),
                hardpps_tried: false,
            });
            let mut c = HostRefclock { id, serial, pps };
            if let Some(s) = &mut c.serial {
                s.try_open(id, now);
            }
            if let Some(p) = &mut c.pps {
                p.try_open(id, now);
            }
            if c.serial.is_some() || c.pps.is_some() {
                clocks.push(c);
            }
        }
        Refclocks {
            clocks,
            ..Refclocks::default()
        }
    }

    /// True if no clock has a device.
    pub fn is_empty(&self) -> bool {
        self.clocks.is_empty()
    }

    fn serial_fds(&self) -> impl Iterator<Item = RawFd> + '_ {
        self.clocks
            .iter()
            .filter_map(|c| c.serial.as_ref()?.port.as_ref().map(|p| p.as_raw_fd()))
    }

    /// The loop's wait, shortened so PPS sources are fetched in time and missing devices are
    /// retried.
    pub fn cap_wait(&self, wait: Duration) -> Duration {
        if self.clocks.iter().any(|c| c.pps.is_some()) {
            wait.min(PPS_FETCH_EVERY)
        } else {
            wait
        }
    }

    /// `poll(2)` on the sockets `socket_fds` and the open serial ports; returns the sockets'
    /// readiness (the ports' is kept for [`Refclocks::service`]). A port that hung up counts
    /// as ready, so its error is seen and it is closed instead of waking the loop forever.
    pub fn wait_readable(
        &mut self,
        socket_fds: &[RawFd],
        timeout: Option<Duration>,
    ) -> io::Result<Vec<bool>> {
        if self.clocks.is_empty() {
            return super::net::wait_readable(socket_fds, timeout);
        }
        let mut pfds: Vec<libc::pollfd> = socket_fds
            .iter()
            .copied()
            .chain(self.serial_fds())
            .map(|fd| libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            })
            .collect();
        // An interrupted wait leaves every revents at zero: nothing ready.
        super::net::poll_fds(&mut pfds, timeout)?;
        let mut ready: Vec<bool> = pfds
            .iter()
            .map(|p| p.revents & (libc::POLLIN | libc::POLLERR | libc::POLLHUP) != 0)
            .collect();
        self.ready = ready.split_off(socket_fds.len());
        Ok(ready)
    }

    /// Reads the ready serial ports, fetches PPS edges when due and reopens missing devices;
    /// everything goes to `ntp` in `clock`'s time.
    pub fn service<C: HostClock>(&mut self, ntp: &mut Core, clock: &C) {
        let now = Instant::now();
        let mut buf = [0u8; 512];
        let mut k = 0;
        for c in &mut self.clocks {
            let Some(line) = &mut c.serial else { continue };
            let Some(port) = &mut line.port else {
                if now >= line.retry_at {
                    line.try_open(c.id, now);
                }
                continue;
            };
            let ready = self.ready.get(k).copied().unwrap_or(false);
            k += 1;
            if !ready {
                continue;
            }
            let mut stamp = || clock.now();
            loop {
                match read_timestamped(port, &mut stamp, &mut buf) {
                    Ok((n, rx_time)) => {
                        if line.bytes == 0 {
                            log::info!(
                                "refclock {}: first bytes from {}: {:?}",
                                c.id,
                                line.path,
                                String::from_utf8_lossy(&buf[..n.min(40)])
                            );
                        }
                        line.bytes += n as u64;
                        ntp.handle_serial(c.id, &buf[..n], rx_time);
                    }
                    Err(nb::Error::WouldBlock) => break,
                    Err(nb::Error::Other(e)) => {
                        log::warn!("refclock {}: {}: {}; closing it", c.id, line.path, e.0);
                        line.port = None;
                        line.retry_at = now + REOPEN_EVERY;
                        break;
                    }
                }
            }
        }
        self.ready.clear();
        for c in &mut self.clocks {
            let Some(line) = &mut c.pps else { continue };
            let Some(source) = line.source.as_ref().filter(|_| line.hardpps) else {
                continue;
            };
            if line.hardpps_tried {
                continue;
            }
            line.hardpps_tried = true;
            match clock.enable_hardpps(&mut || source.bind_hardpps()) {
                Ok(()) => log::info!(
                    "refclock {}: hardpps (fudge flag3): the kernel disciplines the clock from this PPS",
                    c.id
                ),
                Err(e) => log::warn!(
                    "refclock {}: fudge flag3 (hardpps) not available: {e}; the PPS disciplines the clock in user space",
                    c.id
                ),
            }
        }
        if self
            .last_pps_fetch
            .is_some_and(|t| now.duration_since(t) < PPS_FETCH_EVERY)
        {
            return;
        }
        self.last_pps_fetch = Some(now);
        for c in &mut self.clocks {
            let Some(line) = &mut c.pps else { continue };
            let Some(source) = &mut line.source else {
                if now >= line.retry_at {
                    line.try_open(c.id, now);
                }
                continue;
            };
            self.edges.clear();
            if let Err(e) = source.fetch(&mut self.edges) {
                log::warn!("refclock {}: PPS: {e}; closing it", c.id);
                line.source = None;
                line.retry_at = now + REOPEN_EVERY;
            }
            for edge in self.edges.drain(..) {
                if line.edges == 0 {
                    let (s, ns) = edge.to_unix();
                    log::info!(
                        "refclock {}: first PPS edge at {s}.{ns:09} (system clock)",
                        c.id
                    );
                }
                line.edges += 1;
                ntp.handle_pps(c.id, clock.map_system(edge));
            }
        }
    }
}
