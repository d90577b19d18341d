//! PPS edges for reference clocks: the Linux kernel PPS API (RFC 2783 over `/dev/ppsN`
//! ioctls) and, for tests and relays, a stream of edge timestamps from a FIFO or file.
//!
//! Kernel PPS: the edge is timestamped by the kernel in the interrupt (CLOCK_REALTIME), so the
//! daemon only has to fetch it before the next pulse: [`PpsSource::fetch`] asks with a zero
//! timeout (`PPS_FETCH`) and reports an edge when the sequence number of the wanted edge
//! moved. `PPS_SETPARAMS` (capture the wanted edge) needs CAP_SYS_TIME; without it the device's
//! own capture mode is used if it already captures that edge (Linux PPS clients capture
//! assert by default).
//!
//! Stream: one edge per line as Unix time `SECONDS.FRACTION` (`1700000000.000000123`, system
//! clock); blank lines and `#` comments are skipped. A FIFO or a growing file are read like
//! `tail -f`. This is how the tests feed a fake PPS, and how a user can relay edges from
//! another program.
//!
//! The ioctl numbers are the generic Linux encoding (x86, ARM, AArch64, RISC-V).

use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, RawFd};

use sundial::refclock::input::Edge;
use sundial::time::NtpTime;

// RFC 2783 / linux/pps.h.
const PPS_API_VERS_1: libc::c_int = 1;
const PPS_CAPTUREASSERT: libc::c_int = 0x01;
const PPS_CAPTURECLEAR: libc::c_int = 0x02;
const PPS_TSFMT_TSPEC: libc::c_int = 0x1000;
/// `pps_ktime.flags`: the time is not valid (as a fetch timeout: wait forever).
const PPS_TIME_INVALID: u32 = 1;

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
struct PpsKtime {
    sec: i64,
    nsec: i32,
    flags: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
struct PpsKinfo {
    assert_sequence: u32,
    clear_sequence: u32,
    assert_tu: PpsKtime,
    clear_tu: PpsKtime,
    current_mode: libc::c_int,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
struct PpsKparams {
    api_version: libc::c_int,
    mode: libc::c_int,
    assert_off_tu: PpsKtime,
    clear_off_tu: PpsKtime,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
struct PpsFdata {
    info: PpsKinfo,
    timeout: PpsKtime,
}

/// `_IOC(dir, 'p', nr, sizeof(void *))`: linux/pps.h declares its ioctls with pointer types.
const fn ioc(dir: u64, nr: u64) -> u64 {
    (dir << 30) | ((std::mem::size_of::<*const u8>() as u64) << 16) | ((b'p' as u64) << 8) | nr
}
const IOC_WRITE: u64 = 1;
const IOC_READ: u64 = 2;
const PPS_GETPARAMS: u64 = ioc(IOC_READ, 0xa1);
const PPS_SETPARAMS: u64 = ioc(IOC_WRITE, 0xa2);
const PPS_GETCAP: u64 = ioc(IOC_READ, 0xa3);
const PPS_FETCH: u64 = ioc(IOC_READ | IOC_WRITE, 0xa4);
const PPS_KC_BIND: u64 = ioc(IOC_WRITE, 0xa5);
/// The kernel consumer of `PPS_KC_BIND`: the hardpps discipline.
const PPS_KC_HARDPPS: libc::c_int = 0;

/// `struct pps_bind_args` (linux/pps.h).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
struct PpsBindArgs {
    tsformat: libc::c_int,
    edge: libc::c_int,
    consumer: libc::c_int,
}

/// A kernel PPS device (`/dev/ppsN`).
#[derive(Debug)]
pub struct KernelPps {
    file: File,
    edge: Edge,
    last_sequence: Option<u32>,
}

/// Edges from a FIFO or file, one `SECONDS.FRACTION` line each.
#[derive(Debug)]
pub struct PpsStream {
    file: File,
    partial: Vec<u8>,
    /// Lines that did not parse (reported once each).
    pub bad_lines: u64,
}

/// Where a reference clock's PPS edges come from.
#[derive(Debug)]
pub enum PpsSource {
    /// RFC 2783 through the kernel.
    Kernel(KernelPps),
    /// A timestamp stream (tests, relays).
    Stream(PpsStream),
}

fn ioctl<T>(fd: RawFd, request: u64, arg: &mut T) -> io::Result<()> {
    // SAFETY: `arg` is a live, writable value of the type the request expects (checked by
    // the callers against linux/pps.h).
    let rc = unsafe { libc::ioctl(fd, request as _, arg as *mut T) };
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

impl PpsSource {
    /// Opens `path` for `edge`: a kernel PPS device if it answers `PPS_GETCAP`, a timestamp
    /// stream if it is a FIFO or a regular file, otherwise an error that says why (a serial
    /// port needs the kernel's PPS line discipline, which makes a `/dev/ppsN`).
    pub fn open(path: &str, edge: Edge) -> io::Result<PpsSource> {
        let c = CString::new(path).map_err(|_| io::Error::other("path contains a NUL byte"))?;
        // O_RDWR: a FIFO opened so never reports end of file while no writer is there.
        let flags = libc::O_RDWR | libc::O_NOCTTY | libc::O_NONBLOCK | libc::O_CLOEXEC;
        // SAFETY: c is a NUL-terminated string that outlives the call.
        let mut fd = unsafe { libc::open(c.as_ptr(), flags) };
        if fd < 0 {
            // A read-only file (a captured stream) is fine for reading.
            // SAFETY: as above.
            fd = unsafe {
                libc::open(
                    c.as_ptr(),
                    libc::O_RDONLY | libc::O_NONBLOCK | libc::O_CLOEXEC,
                )
            };
        }
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: fd was just opened and is owned by nobody else.
        let file = unsafe { File::from_raw_fd(fd) };
        let kind = file.metadata()?.file_type();
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() || kind.is_file() {
            return Ok(PpsSource::Stream(PpsStream {
                file,
                partial: Vec::new(),
                bad_lines: 0,
            }));
        }
        let mut caps: libc::c_int = 0;
        if let Err(e) = ioctl(fd, PPS_GETCAP, &mut caps) {
            // SAFETY: isatty only inspects the descriptor.
            let tty = unsafe { libc::isatty(fd) } == 1;
            return Err(if tty {
                io::Error::other(format!(
                    "{path} is a serial port, not a PPS device: attach the PPS line discipline \
                     (`ldattach 18 {path}`, 18 = N_PPS) and use the /dev/ppsN it creates"
                ))
            } else {
                io::Error::other(format!("{path} is not an RFC 2783 PPS device ({e})"))
            });
        }
        let want = match edge {
            Edge::Assert => PPS_CAPTUREASSERT,
            Edge::Clear => PPS_CAPTURECLEAR,
        };
        if caps & want == 0 {
            return Err(io::Error::other(format!(
                "{path} cannot capture the {edge:?} edge (capabilities {caps:#x})"
            )));
        }
        let mut params = PpsKparams::default();
        ioctl(fd, PPS_GETPARAMS, &mut params)?;
        if params.mode & want == 0 {
            let mut set = params;
            set.api_version = PPS_API_VERS_1;
            set.mode =
                (params.mode & !(PPS_CAPTUREASSERT | PPS_CAPTURECLEAR)) | want | PPS_TSFMT_TSPEC;
            set.mode &= caps;
            ioctl(fd, PPS_SETPARAMS, &mut set).map_err(|e| {
                io::Error::other(format!(
                    "{path}: cannot switch capture to the {edge:?} edge ({e}; it needs CAP_SYS_TIME)"
                ))
            })?;
        }
        Ok(PpsSource::Kernel(KernelPps {
            file,
            edge,
            last_sequence: None,
        }))
    }

    /// Binds the captured edge to the kernel's hardpps discipline (RFC 2783
    /// `time_pps_kcbind`, Linux `PPS_KC_BIND`; needs CAP_SYS_TIME and a kernel built with
    /// CONFIG_NTP_PPS). Only a kernel PPS device can: a stream says so.
    pub fn bind_hardpps(&self) -> io::Result<()> {
        let PpsSource::Kernel(k) = self else {
            return Err(io::Error::other(
                "the PPS is a timestamp stream, not a kernel PPS device",
            ));
        };
        let mut args = PpsBindArgs {
            tsformat: PPS_TSFMT_TSPEC,
            edge: match k.edge {
                Edge::Assert => PPS_CAPTUREASSERT,
                Edge::Clear => PPS_CAPTURECLEAR,
            },
            consumer: PPS_KC_HARDPPS,
        };
        ioctl(k.file.as_raw_fd(), PPS_KC_BIND, &mut args)
            .map_err(|e| io::Error::other(format!("PPS_KC_BIND: {e}")))
    }

    /// "kernel PPS" or "timestamp stream", for the log.
    pub fn kind(&self) -> &'static str {
        match self {
            PpsSource::Kernel(_) => "kernel PPS (RFC 2783)",
            PpsSource::Stream(_) => "timestamp stream",
        }
    }

    /// New edges since the last call, as system-clock (CLOCK_REALTIME) instants; never blocks.
    pub fn fetch(&mut self, out: &mut Vec<NtpTime>) -> io::Result<()> {
        match self {
            PpsSource::Kernel(k) => k.fetch(out),
            PpsSource::Stream(s) => s.fetch(out),
        }
    }
}

impl KernelPps {
    fn fetch(&mut self, out: &mut Vec<NtpTime>) -> io::Result<()> {
        let mut data = PpsFdata::default();
        // Zero timeout, valid: return at once with the latest edges.
        data.timeout.flags &= !PPS_TIME_INVALID;
        ioctl(self.file.as_raw_fd(), PPS_FETCH, &mut data)?;
        let (seq, t) = match self.edge {
            Edge::Assert => (data.info.assert_sequence, data.info.assert_tu),
            Edge::Clear => (data.info.clear_sequence, data.info.clear_tu),
        };
        let first = self.last_sequence.is_none();
        if self.last_sequence.replace(seq) == Some(seq) || first {
            // Nothing new (or the first look: that edge may be old).
            return Ok(());
        }
        if t.sec > 0 && (0..1_000_000_000).contains(&t.nsec) {
            out.push(NtpTime::from_unix(t.sec, t.nsec as u32));
        }
        Ok(())
    }
}

/// Parses `SECONDS.FRACTION` (Unix time) into the system-clock instant.
pub fn parse_edge(line: &str) -> Option<NtpTime> {
    let (secs, frac) = line.split_once('.').unwrap_or((line, ""));
    let secs: i64 = secs.parse().ok()?;
    if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut nanos: u32 = 0;
    for i in 0..9 {
        let digit = frac.as_bytes().get(i).map_or(0, |b| u32::from(b - b'0'));
        nanos = nanos * 10 + digit;
    }
    Some(NtpTime::from_unix(secs, nanos))
}

impl PpsStream {
    fn fetch(&mut self, out: &mut Vec<NtpTime>) -> io::Result<()> {
        let mut buf = [0u8; 512];
        loop {
            // SAFETY: buf is a live, writable buffer of its length.
            let n =
                unsafe { libc::read(self.file.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            if n < 0 {
                let e = io::Error::last_os_error();
                return match e.kind() {
                    io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted => Ok(()),
                    _ => Err(e),
                };
            }
            if n == 0 {
                return Ok(());
            }
            self.partial.extend_from_slice(&buf[..n as usize]);
            while let Some(end) = self.partial.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.partial.drain(..=end).collect();
                let text = String::from_utf8_lossy(&line);
                let text = text.split('#').next().unwrap_or("").trim();
                if text.is_empty() {
                    continue;
                }
                match parse_edge(text) {
                    Some(t) => out.push(t),
                    None => {
                        self.bad_lines += 1;
                        log::warn!("PPS stream: not `SECONDS.FRACTION`: {text:?}");
                    }
                }
            }
            if self.partial.len() > 4096 {
                // No line end in 4 KiB: not a timestamp stream.
                self.partial.clear();
                self.bad_lines += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_match_linux_pps_h() {
        assert_eq!(std::mem::size_of::<PpsKtime>(), 16);
        assert_eq!(std::mem::size_of::<PpsKinfo>(), 48);
        assert_eq!(std::mem::size_of::<PpsFdata>(), 64);
        assert_eq!(std::mem::size_of::<PpsKparams>(), 40);
        #[cfg(target_pointer_width = "64")]
        {
            // The values pps-tools' timepps.h uses on x86-64 / AArch64.
            assert_eq!(PPS_GETPARAMS, 0x800870a1);
            assert_eq!(PPS_SETPARAMS, 0x400870a2);
            assert_eq!(PPS_GETCAP, 0x800870a3);
            assert_eq!(PPS_FETCH, 0xc00870a4);
            assert_eq!(PPS_KC_BIND, 0x400870a5);
        }
        assert_eq!(std::mem::size_of::<PpsBindArgs>(), 12);
    }

    #[test]
    fn edge_lines() {
        assert_eq!(
            parse_edge("1700000000.5").map(|t| t.to_unix()),
            Some((1_700_000_000, 500_000_000))
        );
        assert_eq!(
            parse_edge("1700000001.000000123").map(|t| t.to_unix()),
            Some((1_700_000_001, 123))
        );
        assert_eq!(
            parse_edge("1700000002").map(|t| t.to_unix()),
            Some((1_700_000_002, 0))
        );
        assert_eq!(parse_edge("17.0000000001"), None);
        assert_eq!(parse_edge("x.5"), None);
        assert_eq!(parse_edge("5.-1"), None);
    }

    #[test]
    fn not_a_pps_device_says_why() {
        let e = PpsSource::open("/dev/null", Edge::Assert).unwrap_err();
        assert!(e.to_string().contains("not an RFC 2783 PPS device"), "{e}");
        // A serial port: the PPS line discipline is what makes a PPS device of it.
        let (m, path) = crate::host::serial::tests::pty();
        let e = PpsSource::open(&path, Edge::Assert).unwrap_err();
        assert!(e.to_string().contains("ldattach 18"), "{e}");
        drop(m);
        assert!(PpsSource::open("/nonexistent/pps0", Edge::Assert).is_err());
    }

    #[test]
    fn stream_from_file() {
        let dir = std::env::temp_dir().join(format!("sundial-pps-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("edges");
        std::fs::write(&path, "# fake PPS\n1700000000.0\n\nbad\n1700000001.000001").unwrap();
        let mut src = PpsSource::open(path.to_str().unwrap(), Edge::Assert).unwrap();
        assert_eq!(src.kind(), "timestamp stream");
        let mut out = Vec::new();
        src.fetch(&mut out).unwrap();
        assert_eq!(out.len(), 1, "the last line has no end yet");
        // tail -f: the rest of the line arrives later.
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(b"\n").unwrap();
        src.fetch(&mut out).unwrap();
        assert_eq!(
            out.iter().map(|t| t.to_unix()).collect::<Vec<_>>(),
            [(1_700_000_000, 0), (1_700_000_001, 1000)]
        );
        let PpsSource::Stream(s) = &src else {
            panic!("stream")
        };
        assert_eq!(s.bad_lines, 1);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
