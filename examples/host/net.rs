//! UDP for the examples: IPv4/IPv6 sockets with kernel receive timestamps (`SO_TIMESTAMPNS`),
//! single and batched (`recvmmsg`/`sendmmsg`) receive and send, and a `ppoll(2)` wait.
//!
//! Receive times are system-clock (CLOCK_REALTIME) instants as [`NtpTime`]; when the kernel
//! attaches no timestamp the system clock is read right after the receive call instead, and
//! [`RxStamp`] says which one a packet got.

use std::io;
use std::mem;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6, UdpSocket};
use std::os::fd::{AsRawFd, FromRawFd, RawFd};
use std::time::Duration;

use sundial::time::NtpTime;

use super::clock::system_now;

/// Bytes per datagram slot: a header, extension fields and a MAC, or a mode 6 message, fit.
pub const SLOT: usize = 1280;
/// Room for control messages (one timespec) per datagram.
const CMSG_SPACE: usize = 64;

/// Where a receive timestamp came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RxStamp {
    /// The kernel's `SCM_TIMESTAMPNS` (taken when the packet arrived).
    Kernel,
    /// The system clock read right after the receive call returned (later, noisier).
    AfterRecv,
}

impl RxStamp {
    /// A word for status output.
    pub fn name(self) -> &'static str {
        match self {
            RxStamp::Kernel => "kernel SO_TIMESTAMPNS",
            RxStamp::AfterRecv => "clock read after recv",
        }
    }
}

/// One received datagram's metadata.
#[derive(Clone, Copy, Debug)]
pub struct Received {
    /// Bytes received (truncated to the buffer size).
    pub len: usize,
    /// The sender.
    pub from: SocketAddr,
    /// System-clock time of arrival.
    pub rx_time: NtpTime,
    /// How `rx_time` was taken.
    pub stamp: RxStamp,
}

/// A non-blocking UDP socket asking the kernel for receive timestamps.
pub struct NtpSocket {
    sock: UdpSocket,
    local: SocketAddr,
    kernel_ts: bool,
}

fn cvt(rc: libc::c_int) -> io::Result<libc::c_int> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc)
    }
}

fn setsockopt_int(
    fd: RawFd,
    level: libc::c_int,
    name: libc::c_int,
    value: libc::c_int,
) -> io::Result<()> {
    // SAFETY: passes a pointer to a live c_int and its size.
    cvt(unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (&value as *const libc::c_int).cast(),
            mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    })
    .map(drop)
}

/// Encodes `addr` as a sockaddr; returns the storage and its length.
pub fn to_sockaddr(addr: SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: sockaddr_storage is plain data; zero is valid.
    let mut ss: libc::sockaddr_storage = unsafe { mem::zeroed() };
    let len = match addr {
        SocketAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: a.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from_ne_bytes(a.ip().octets()),
                },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in.
            unsafe { std::ptr::write((&mut ss as *mut libc::sockaddr_storage).cast(), sin) };
            mem::size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(a) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: a.port().to_be(),
                sin6_flowinfo: a.flowinfo(),
                sin6_addr: libc::in6_addr {
                    s6_addr: a.ip().octets(),
                },
                sin6_scope_id: a.scope_id(),
            };
            // SAFETY: as above, for sockaddr_in6.
            unsafe { std::ptr::write((&mut ss as *mut libc::sockaddr_storage).cast(), sin6) };
            mem::size_of::<libc::sockaddr_in6>()
        }
    };
    (ss, len as libc::socklen_t)
}

/// Decodes a sockaddr filled in by the kernel.
pub fn from_sockaddr(ss: &libc::sockaddr_storage) -> Option<SocketAddr> {
    match libc::c_int::from(ss.ss_family) {
        libc::AF_INET => {
            // SAFETY: the family says the storage holds a sockaddr_in.
            let sin: &libc::sockaddr_in = unsafe { &*(ss as *const libc::sockaddr_storage).cast() };
            let ip = Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes());
            Some(SocketAddr::V4(SocketAddrV4::new(
                ip,
                u16::from_be(sin.sin_port),
            )))
        }
        libc::AF_INET6 => {
            // SAFETY: the family says the storage holds a sockaddr_in6.
            let sin6: &libc::sockaddr_in6 =
                unsafe { &*(ss as *const libc::sockaddr_storage).cast() };
            let ip = Ipv6Addr::from(sin6.sin6_addr.s6_addr);
            Some(SocketAddr::V6(SocketAddrV6::new(
                ip,
                u16::from_be(sin6.sin6_port),
                sin6.sin6_flowinfo,
                sin6.sin6_scope_id,
            )))
        }
        _ => None,
    }
}

/// Finds an `SCM_TIMESTAMPNS` in a received message's control data.
fn kernel_stamp(msg: &libc::msghdr) -> Option<NtpTime> {
    // SAFETY: msg was filled by recvmsg/recvmmsg with msg_control pointing at our buffer and
    // msg_controllen set by the kernel; the CMSG_* macros walk inside it.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(msg);
        while !cmsg.is_null() {
            if (*cmsg).cmsg_level == libc::SOL_SOCKET && (*cmsg).cmsg_type == libc::SCM_TIMESTAMPNS
            {
                let ts: libc::timespec = std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast());
                return Some(NtpTime::from_unix(ts.tv_sec as i64, ts.tv_nsec as u32));
            }
            cmsg = libc::CMSG_NXTHDR(msg, cmsg);
        }
    }
    None
}

impl NtpSocket {
    /// Binds a non-blocking UDP socket to `addr` (IPv6 sockets are v6-only) and asks for kernel
    /// receive timestamps; if the kernel refuses, receive times fall back to [`RxStamp::AfterRecv`].
    pub fn bind(addr: SocketAddr) -> io::Result<NtpSocket> {
        let family = if addr.is_ipv4() {
            libc::AF_INET
        } else {
            libc::AF_INET6
        };
        // SAFETY: plain socket(2) call; the fd is owned by the UdpSocket below.
        let fd = cvt(unsafe {
            libc::socket(
                family,
                libc::SOCK_DGRAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                0,
            )
        })?;
        // SAFETY: fd is a fresh socket we own.
        let sock = unsafe { UdpSocket::from_raw_fd(fd) };
        if addr.is_ipv6() {
            setsockopt_int(fd, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY, 1)?;
        }
        let (ss, len) = to_sockaddr(addr);
        // SAFETY: ss/len describe a valid sockaddr.
        cvt(unsafe { libc::bind(fd, (&ss as *const libc::sockaddr_storage).cast(), len) })?;
        let kernel_ts = setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_TIMESTAMPNS, 1).is_ok();
        let local = sock.local_addr()?;
        Ok(NtpSocket {
            sock,
            local,
            kernel_ts,
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Whether the kernel agreed to timestamp received packets.
    pub fn kernel_timestamps(&self) -> bool {
        self.kernel_ts
    }

    /// The std socket (e.g. for `connect`).
    pub fn std(&self) -> &UdpSocket {
        &self.sock
    }

    /// Receives one datagram into `buf`; `Ok(None)` when none is waiting.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<Option<Received>> {
        // SAFETY: all-zero is valid for these plain C structs.
        let mut ss: libc::sockaddr_storage = unsafe { mem::zeroed() };
        let mut cbuf = [0u64; CMSG_SPACE / 8];
        let mut iov = libc::iovec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: buf.len(),
        };
        // SAFETY: as above.
        let mut msg: libc::msghdr = unsafe { mem::zeroed() };
        msg.msg_name = (&mut ss as *mut libc::sockaddr_storage).cast();
        msg.msg_namelen = mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = cbuf.as_mut_ptr().cast();
        msg.msg_controllen = CMSG_SPACE as _;
        // SAFETY: msg points at live buffers for the duration of the call.
        let n = unsafe { libc::recvmsg(self.sock.as_raw_fd(), &mut msg, 0) };
        let after = system_now();
        if n < 0 {
            let e = io::Error::last_os_error();
            return match e.kind() {
                io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted => Ok(None),
                _ => Err(e),
            };
        }
        let Some(from) = from_sockaddr(&ss) else {
            return Ok(None);
        };
        let (rx_time, stamp) = match kernel_stamp(&msg) {
            Some(t) => (t, RxStamp::Kernel),
            None => (after, RxStamp::AfterRecv),
        };
        Ok(Some(Received {
            len: (n as usize).min(buf.len()),
            from,
            rx_time,
            stamp,
        }))
    }

    /// Sends one datagram.
    pub fn send_to(&self, buf: &[u8], to: SocketAddr) -> io::Result<usize> {
        self.sock.send_to(buf, to)
    }

    /// Receives up to `batch.capacity()` datagrams with one `recvmmsg`; returns how many
    /// (0 when none is waiting). Their data and metadata are in `batch`; each keeps its own
    /// kernel receive timestamp (one `SCM_TIMESTAMPNS` per message).
    pub fn recv_batch(&self, batch: &mut Batch) -> io::Result<usize> {
        let n = batch.slots.len();
        batch.point_headers(0, n, true);
        // SAFETY: every header points into `batch` (slots, iovecs), alive and not moved
        // during the call.
        let rc = unsafe {
            libc::recvmmsg(
                self.sock.as_raw_fd(),
                batch.hdrs.as_mut_ptr(),
                n as libc::c_uint,
                0,
                std::ptr::null_mut(),
            )
        };
        let after = system_now();
        if rc < 0 {
            let e = io::Error::last_os_error();
            return match e.kind() {
                io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted => Ok(0),
                _ => Err(e),
            };
        }
        let got = rc as usize;
        for (s, h) in batch.slots.iter_mut().zip(batch.hdrs.iter()).take(got) {
            s.len = (h.msg_len as usize).min(SLOT);
            let (t, st) = match kernel_stamp(&h.msg_hdr) {
                Some(t) => (t, RxStamp::Kernel),
                None => (after, RxStamp::AfterRecv),
            };
            s.rx_time = t;
            s.stamp = st;
            s.peer = from_sockaddr(&s.addr);
        }
        batch.filled = got;
        Ok(got)
    }

    /// Sends `batch.slots[..count]` (each `buf[..len]` to `peer`) with `sendmmsg`; returns how
    /// many the kernel took (a short count means the socket buffer is full).
    pub fn send_batch(&self, batch: &mut Batch, count: usize) -> io::Result<usize> {
        self.send_slots(batch, 0, count)
    }

    /// Sends `batch.slots[start..end]` like [`NtpSocket::send_batch`]; returns how many of
    /// them the kernel took.
    pub fn send_slots(&self, batch: &mut Batch, start: usize, end: usize) -> io::Result<usize> {
        let end = end.min(batch.slots.len());
        let start = start.min(end);
        let count = end - start;
        for s in batch.slots.iter_mut().skip(start).take(count) {
            let peer = s
                .peer
                .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "slot without peer"))?;
            let (ss, len) = to_sockaddr(peer);
            s.addr = ss;
            s.addr_len = len;
        }
        batch.point_headers(start, end, false);
        let mut sent = 0;
        while sent < count {
            // The system call itself, not the C library's function: musl's `sendmmsg` on 64-bit
            // targets is a loop of `sendmsg` calls (it cannot pass its msghdr layout through),
            // which loses the batching. Our headers start zeroed, so their padding is zero and
            // the kernel reads them as its own layout.
            // SAFETY: headers point into `batch` (slots, iovecs), alive and not moved during
            // the call; `start + sent < end <= hdrs.len()`.
            let rc = unsafe {
                libc::syscall(
                    libc::SYS_sendmmsg,
                    self.sock.as_raw_fd(),
                    batch.hdrs.as_mut_ptr().add(start + sent),
                    (count - sent) as libc::c_uint,
                    0 as libc::c_int,
                )
            };
            if rc < 0 {
                let e = io::Error::last_os_error();
                match e.kind() {
                    io::ErrorKind::Interrupted => continue,
                    io::ErrorKind::WouldBlock if sent > 0 => break,
                    io::ErrorKind::WouldBlock => return Ok(0),
                    _ if sent > 0 => break,
                    _ => return Err(e),
                }
            }
            if rc == 0 {
                break;
            }
            sent += rc as usize;
        }
        Ok(sent)
    }

    /// Asks for a receive buffer of `bytes` (a busy server absorbs scheduling delays instead
    /// of dropping requests): `SO_RCVBUFFORCE` when privileged, else `SO_RCVBUF` (capped by
    /// `net.core.rmem_max`). Returns the size the kernel granted (it doubles the request for
    /// its bookkeeping).
    pub fn set_receive_buffer(&self, bytes: usize) -> io::Result<usize> {
        let fd = self.sock.as_raw_fd();
        let want = bytes.min(i32::MAX as usize) as libc::c_int;
        if setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, want).is_err() {
            setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_RCVBUF, want)?;
        }
        let mut got: libc::c_int = 0;
        let mut len = mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: passes a pointer to a live c_int and its size.
        cvt(unsafe {
            libc::getsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_RCVBUF,
                (&mut got as *mut libc::c_int).cast(),
                &mut len,
            )
        })?;
        Ok(got.max(0) as usize)
    }
}

impl AsRawFd for NtpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.sock.as_raw_fd()
    }
}

/// One datagram buffer of a [`Batch`].
pub struct Slot {
    /// The datagram bytes (`buf[..len]`).
    pub buf: [u8; SLOT],
    /// Valid bytes in `buf`.
    pub len: usize,
    /// Sender (after receive) or destination (before send).
    pub peer: Option<SocketAddr>,
    /// System-clock time of arrival (after receive).
    pub rx_time: NtpTime,
    /// How `rx_time` was taken.
    pub stamp: RxStamp,
    addr: libc::sockaddr_storage,
    addr_len: libc::socklen_t,
    cmsg: [u64; CMSG_SPACE / 8],
}

/// Buffers for `recvmmsg` / `sendmmsg`, allocated once: the slots and the kernel's message
/// headers and iovecs pointing into them (re-pointed before each call, so moving a `Batch`
/// between calls is fine).
pub struct Batch {
    /// The datagram slots.
    pub slots: Vec<Slot>,
    /// How many slots the last `recv_batch` filled.
    pub filled: usize,
    hdrs: Vec<libc::mmsghdr>,
    iovs: Vec<libc::iovec>,
}

impl Batch {
    /// `n` empty slots.
    pub fn new(n: usize) -> Batch {
        let slots = (0..n)
            .map(|_| Slot {
                buf: [0; SLOT],
                len: 0,
                peer: None,
                rx_time: NtpTime::UNIX_EPOCH,
                stamp: RxStamp::AfterRecv,
                // SAFETY: all-zero is valid for sockaddr_storage.
                addr: unsafe { mem::zeroed() },
                addr_len: 0,
                cmsg: [0; CMSG_SPACE / 8],
            })
            .collect();
        let iovs = (0..n)
            .map(|_| libc::iovec {
                iov_base: std::ptr::null_mut(),
                iov_len: 0,
            })
            .collect();
        // SAFETY: all-zero is valid for mmsghdr (null pointers, zero lengths).
        let hdrs = (0..n).map(|_| unsafe { mem::zeroed() }).collect();
        Batch {
            slots,
            filled: 0,
            hdrs,
            iovs,
        }
    }

    /// Number of slots.
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// Points headers `start..end` at their slots: for a receive, whole buffers, the
    /// address storage and the control buffer; for a send, `buf[..len]` to `addr`.
    fn point_headers(&mut self, start: usize, end: usize, receive: bool) {
        let parts = self
            .slots
            .iter_mut()
            .zip(self.iovs.iter_mut())
            .zip(self.hdrs.iter_mut())
            .take(end)
            .skip(start);
        for ((s, iov), h) in parts {
            iov.iov_base = s.buf.as_mut_ptr().cast();
            iov.iov_len = if receive { SLOT } else { s.len.min(SLOT) };
            h.msg_len = 0;
            let m = &mut h.msg_hdr;
            m.msg_name = (&mut s.addr as *mut libc::sockaddr_storage).cast();
            m.msg_iov = iov;
            m.msg_iovlen = 1;
            m.msg_flags = 0;
            if receive {
                m.msg_namelen = mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
                m.msg_control = s.cmsg.as_mut_ptr().cast();
                m.msg_controllen = CMSG_SPACE as _;
            } else {
                m.msg_namelen = s.addr_len;
                m.msg_control = std::ptr::null_mut();
                m.msg_controllen = 0;
            }
        }
    }
}

/// `ppoll(2)` on `pfds` for at most `timeout` (`None`: forever), with the timeout to the
/// nanosecond (plain `poll(2)` rounds to whole milliseconds, too coarse for the server's short
/// receive coalescing waits). Returns the number of ready entries; 0 on timeout or when a
/// signal interrupted the wait.
pub fn poll_fds(pfds: &mut [libc::pollfd], timeout: Option<Duration>) -> io::Result<usize> {
    let ts = timeout.map(|d| libc::timespec {
        tv_sec: d.as_secs().min(i32::MAX as u64) as _,
        tv_nsec: d.subsec_nanos() as libc::c_long,
    });
    let tsp = ts
        .as_ref()
        .map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: pfds is a live array of pollfd of the given length (none when empty: a pure
    // wait); tsp is null or points at `ts`, alive for the call; no signal mask change.
    let rc = unsafe {
        libc::ppoll(
            pfds.as_mut_ptr(),
            pfds.len() as libc::nfds_t,
            tsp,
            std::ptr::null(),
        )
    };
    if rc < 0 {
        let e = io::Error::last_os_error();
        if e.kind() == io::ErrorKind::Interrupted {
            return Ok(0);
        }
        return Err(e);
    }
    Ok(rc as usize)
}

/// Waits until one of `fds` is readable or `timeout` passes (`None`: forever). Returns which are
/// readable; all false on timeout or when a signal interrupted the wait.
pub fn wait_readable(fds: &[RawFd], timeout: Option<Duration>) -> io::Result<Vec<bool>> {
    let mut pfds: Vec<libc::pollfd> = fds
        .iter()
        .map(|&fd| libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    poll_fds(&mut pfds, timeout)?;
    Ok(pfds
        .iter()
        .map(|p| p.revents & (libc::POLLIN | libc::POLLERR) != 0)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_kernel_timestamps_v4_v6_and_batches() {
        for local in ["127.0.0.1:0", "[::1]:0"] {
            let Ok(a) = NtpSocket::bind(local.parse().unwrap()) else {
                eprintln!("skip {local}: cannot bind");
                continue;
            };
            let b = NtpSocket::bind(local.parse().unwrap()).unwrap();
            let before = system_now();
            b.send_to(&[1, 2, 3], a.local_addr()).unwrap();
            let ready = wait_readable(&[a.as_raw_fd()], Some(Duration::from_secs(2))).unwrap();
            assert!(ready[0]);
            let mut buf = [0u8; 64];
            let r = a.recv(&mut buf).unwrap().unwrap();
            assert_eq!(&buf[..r.len], &[1, 2, 3]);
            assert_eq!(r.from, b.local_addr());
            assert!(r.rx_time >= before - sundial::time::NtpDuration::from_millis(1));
            if a.kernel_timestamps() {
                assert_eq!(r.stamp, RxStamp::Kernel);
            }
            // batch: 5 datagrams out with sendmmsg, in with recvmmsg
            let mut out = Batch::new(8);
            for (i, s) in out.slots.iter_mut().take(5).enumerate() {
                s.buf[0] = i as u8;
                s.len = 1;
                s.peer = Some(a.local_addr());
            }
            assert_eq!(b.send_batch(&mut out, 5).unwrap(), 5);
            let mut inb = Batch::new(8);
            let mut got = 0;
            while got < 5 {
                wait_readable(&[a.as_raw_fd()], Some(Duration::from_secs(2))).unwrap();
                let n = a.recv_batch(&mut inb).unwrap();
                for s in inb.slots.iter().take(n) {
                    assert_eq!(s.buf[0] as usize, got);
                    assert_eq!(s.peer, Some(b.local_addr()));
                    got += 1;
                }
            }
            assert!(a.recv(&mut buf).unwrap().is_none());
        }
    }
}
