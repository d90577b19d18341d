//! Serial ports for reference clocks: open, termios line set-up, non-blocking reads.
//!
//! Through `libc` directly: the examples already depend on it, and the half-dozen calls needed
//! (open, tcgetattr, cfmakeraw, cfsetspeed, tcsetattr, read, poll) do not justify a serial
//! crate. The port implements `embedded_io::{Read, ReadReady}`, so the daemon reads it with
//! the same `sundial::refclock::input::read_timestamped` the firmware uses on its UART: the
//! clock is read right after each `read(2)`.
//!
//! A path that is not a terminal (a FIFO, for tests and for relays such as `socat`) is read
//! as is, without line settings.

use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, RawFd};

use sundial::refclock::input::SerialSettings;

/// An open serial port (or FIFO) in non-blocking mode.
#[derive(Debug)]
pub struct SerialPort {
    file: File,
    /// Whether the line settings were applied (false for FIFOs and other non-terminals).
    pub is_tty: bool,
}

/// The termios speed constant for `baud`.
fn speed(baud: u32) -> Option<libc::speed_t> {
    Some(match baud {
        1200 => libc::B1200,
        2400 => libc::B2400,
        4800 => libc::B4800,
        9600 => libc::B9600,
        19200 => libc::B19200,
        38400 => libc::B38400,
        57600 => libc::B57600,
        115200 => libc::B115200,
        230400 => libc::B230400,
        _ => return None,
    })
}

/// "4800 8N1", "9600 7E2": the line settings as ntpd documents them.
pub fn describe(s: &SerialSettings) -> String {
    format!(
        "{} {}{}{}",
        s.baud,
        s.data_bits,
        if s.parity { 'E' } else { 'N' },
        s.stop_bits
    )
}

impl SerialPort {
    /// Opens `path` read/write, non-blocking, not as the controlling terminal, and sets the
    /// line to `settings` (raw mode, receiver on, modem lines ignored, even parity when
    /// `settings.parity`).
    pub fn open(path: &str, settings: SerialSettings) -> io::Result<SerialPort> {
        let c = CString::new(path).map_err(|_| io::Error::other("path contains a NUL byte"))?;
        let flags = libc::O_RDWR | libc::O_NOCTTY | libc::O_NONBLOCK | libc::O_CLOEXEC;
        // SAFETY: c is a NUL-terminated string that outlives the call.
        let fd = unsafe { libc::open(c.as_ptr(), flags) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: fd was just opened and is owned by nobody else.
        let file = unsafe { File::from_raw_fd(fd) };
        let is_tty = configure(fd, settings)?;
        Ok(SerialPort { file, is_tty })
    }

    /// Reads what is there without blocking: `Ok(0)` when nothing is; end of file (the far
    /// end of a pty or a USB adapter went away) is an error, so the caller closes the port
    /// instead of being woken for it forever.
    pub fn read_nonblocking(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        // SAFETY: buf is a live, writable buffer of buf.len() bytes.
        let n = unsafe { libc::read(self.fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n > 0 {
            return Ok(n as usize);
        }
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "end of file: the line hung up",
            ));
        }
        let e = io::Error::last_os_error();
        match e.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted => Ok(0),
            _ => Err(e),
        }
    }

    fn fd(&self) -> RawFd {
        self.file.as_raw_fd()
    }
}

impl AsRawFd for SerialPort {
    fn as_raw_fd(&self) -> RawFd {
        self.fd()
    }
}

/// Applies `s` if `fd` is a terminal; `Ok(false)` if it is not one.
fn configure(fd: RawFd, s: SerialSettings) -> io::Result<bool> {
    // SAFETY: termios is plain data; tcgetattr fills it.
    let mut t: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: fd is open; t is a valid termios.
    if unsafe { libc::tcgetattr(fd, &mut t) } != 0 {
        let e = io::Error::last_os_error();
        return if e.raw_os_error() == Some(libc::ENOTTY) || e.raw_os_error() == Some(libc::EINVAL) {
            Ok(false)
        } else {
            Err(e)
        };
    }
    let baud = speed(s.baud).ok_or_else(|| io::Error::other(format!("{} bit/s", s.baud)))?;
    // SAFETY: t is a valid termios.
    unsafe { libc::cfmakeraw(&mut t) };
    t.c_cflag &= !(libc::CSIZE | libc::PARENB | libc::PARODD | libc::CSTOPB | libc::CRTSCTS);
    t.c_cflag |= libc::CLOCAL | libc::CREAD;
    t.c_cflag |= if s.data_bits == 7 {
        libc::CS7
    } else {
        libc::CS8
    };
    if s.parity {
        // Even parity (PARODD clear); check it on input.
        t.c_cflag |= libc::PARENB;
        t.c_iflag |= libc::INPCK;
    }
    if s.stop_bits == 2 {
        t.c_cflag |= libc::CSTOPB;
    }
    // Non-blocking reads return what is there.
    t.c_cc[libc::VMIN] = 0;
    t.c_cc[libc::VTIME] = 0;
    // SAFETY: t is a valid termios; fd is open.
    unsafe {
        if libc::cfsetispeed(&mut t, baud) != 0 || libc::cfsetospeed(&mut t, baud) != 0 {
            return Err(io::Error::last_os_error());
        }
        if libc::tcsetattr(fd, libc::TCSANOW, &t) != 0 {
            return Err(io::Error::last_os_error());
        }
        // Bytes that waited in the buffer before we opened carry no usable arrival time.
        libc::tcflush(fd, libc::TCIFLUSH);
    }
    Ok(true)
}

/// An I/O error as `embedded_io` wants it.
#[derive(Debug)]
pub struct SerialError(pub io::Error);

impl embedded_io::Error for SerialError {
    fn kind(&self) -> embedded_io::ErrorKind {
        embedded_io::ErrorKind::Other
    }
}

impl embedded_io::ErrorType for SerialPort {
    type Error = SerialError;
}

impl embedded_io::Read for SerialPort {
    /// Never blocks (the port is non-blocking): call it when [`embedded_io::ReadReady`] says
    /// so; `Ok(0)` if the bytes were gone after all.
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, SerialError> {
        self.read_nonblocking(buf).map_err(SerialError)
    }
}

impl embedded_io::ReadReady for SerialPort {
    fn read_ready(&mut self) -> Result<bool, SerialError> {
        let mut p = libc::pollfd {
            fd: self.fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one live pollfd; zero timeout.
        let rc = unsafe { libc::poll(&mut p, 1, 0) };
        if rc < 0 {
            return Err(SerialError(io::Error::last_os_error()));
        }
        if p.revents & (libc::POLLERR | libc::POLLHUP | libc::POLLNVAL) != 0
            && p.revents & libc::POLLIN == 0
        {
            return Err(SerialError(io::Error::other("the line hung up")));
        }
        Ok(p.revents & libc::POLLIN != 0)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A new pseudo-terminal: its master side and the path of its slave side.
    pub(crate) fn pty() -> (File, String) {
        // SAFETY: plain libc calls on a descriptor owned here; the buffer is live and sized.
        unsafe {
            let m = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
            assert!(m >= 0);
            assert_eq!(libc::grantpt(m), 0);
            assert_eq!(libc::unlockpt(m), 0);
            let mut name = [0 as libc::c_char; 128];
            assert_eq!(libc::ptsname_r(m, name.as_mut_ptr(), name.len()), 0);
            let path = std::ffi::CStr::from_ptr(name.as_ptr())
                .to_string_lossy()
                .into_owned();
            (File::from_raw_fd(m), path)
        }
    }

    #[test]
    fn line_names() {
        let meinberg = SerialSettings {
            baud: 9600,
            data_bits: 7,
            parity: true,
            stop_bits: 2,
        };
        assert_eq!(describe(&meinberg), "9600 7E2");
        assert_eq!(describe(&SerialSettings::NMEA_4800), "4800 8N1");
        assert!(speed(4800).is_some() && speed(4801).is_none());
    }

    /// A pseudo-terminal stands in for the UART: the line settings land in its termios (except
    /// data bits and parity, which a pty does not keep) and bytes written on the master side
    /// come out of `read_timestamped`.
    #[test]
    fn pty_line_settings_and_reads() {
        use sundial::refclock::input::read_timestamped;
        use sundial::time::NtpTime;
        let (master, path) = pty();
        let meinberg = SerialSettings {
            baud: 9600,
            data_bits: 7,
            parity: true,
            stop_bits: 2,
        };
        let mut port = SerialPort::open(&path, meinberg).unwrap();
        assert!(port.is_tty);
        // SAFETY: termios is plain data; the descriptor is open.
        let t = unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            assert_eq!(libc::tcgetattr(port.as_raw_fd(), &mut t), 0);
            t
        };
        // A pty forces 8 data bits without parity (Linux pty_set_termios); the rest stays.
        assert_ne!(t.c_cflag & libc::CSTOPB, 0);
        assert_ne!(t.c_iflag & libc::INPCK, 0);
        assert_ne!(t.c_cflag & libc::CREAD, 0);
        assert_eq!(t.c_lflag & libc::ICANON, 0);
        // SAFETY: as above.
        assert_eq!(unsafe { libc::cfgetispeed(&t) }, libc::B9600);
        let mut stamp = || NtpTime::from_parts(3_900_000_000, 7);
        let mut buf = [0u8; 64];
        assert!(matches!(
            read_timestamped(&mut port, &mut stamp, &mut buf),
            Err(nb::Error::WouldBlock)
        ));
        use std::io::Write;
        (&master)
            .write_all(b"\x02D:21.11.26;T:6;U:15.40.00;    \x03")
            .unwrap();
        let mut got = Vec::new();
        for _ in 0..100 {
            match read_timestamped(&mut port, &mut stamp, &mut buf) {
                Ok((n, t)) => {
                    assert_eq!(t, NtpTime::from_parts(3_900_000_000, 7));
                    got.extend_from_slice(&buf[..n]);
                }
                Err(nb::Error::WouldBlock) if got.len() == 32 => break,
                Err(nb::Error::WouldBlock) => {
                    std::thread::sleep(std::time::Duration::from_millis(5))
                }
                Err(nb::Error::Other(e)) => panic!("{:?}", e.0),
            }
        }
        assert_eq!(got, b"\x02D:21.11.26;T:6;U:15.40.00;    \x03");
        // The far end goes away: the port reports it instead of looking idle forever.
        drop(master);
        assert!(matches!(
            read_timestamped(&mut port, &mut stamp, &mut buf),
            Err(nb::Error::Other(_))
        ));
    }
}
