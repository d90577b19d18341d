//! The size and stack build of the full GPS+PPS stratum-1 server: one
//! `Ntp<5, 2, 1, 64>` with the NMEA receiver (PPS attached) as preferred refclock,
//! 4 network sources, 8 `restrict` entries, one MD5 key, serving LAN
//! clients. Built two ways (the size report's two server rows): by default as
//! a firmware engineer would (sundial without mode 6, SHA-1 and AES-CMAC), and
//! with `--features full` (everything: mode 6 queries are answered too).
//!
//! The world around it is as small as possible (its code counts in the size
//! report): a true time, the board's oscillator (20 ppm off), `$GPRMC`
//! sentences with a PPS edge each second, 4 upstream servers answering each
//! poll 25 ms later with the true time, and a client request every 2 s
//! (checked with [`sundial::sntp`]), a mode 6 read now and then, a request
//! from an `ignore`d network. The core lives in `main`'s frame, built
//! straight into it. The stack is painted before the run; at the
//! end it prints the high-water mark and exits 0 over semihosting only if
//! the board reached stratum 1 on its GPS receiver and answered its
//! clients, and answered the mode 6 reads if and only if built `full`.
#![no_std]
#![no_main]

#[path = "../stack.rs"]
mod stack;

use core::net::{IpAddr, Ipv4Addr, SocketAddr};
use core::panic::PanicInfo;

use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprintln};
use sundial::access::RestrictFlags;
use sundial::adjust::ClockAdjustment;
use sundial::association::AssociationConfig;
use sundial::auth::{Algorithm, Key, KeyId};
use sundial::refclock::{Fudge, FudgeFlags, Refclock, RefclockId};
use sundial::select::CandidateFlags;
use sundial::sntp::Query;
use sundial::system::{MAX_PACKET_LEN, Ntp, SystemConfig};
use sundial::wire::{LeapIndicator, Mode, Packet, RefId};
use sundial::{NtpDuration, NtpTime};

/// GPS + 4 network sources, 2 keys, 1 refclock driver, a rate limiter
/// tracking 64 clients (a LAN's worth; the daemon's default is 256).
type Board = Ntp<5, 2, 1, CLIENTS>;
const CLIENTS: usize = 64;

const GPS: RefclockId = RefclockId::new(20, 0);
/// 2025-11-21 00:00:00 UTC in NTP seconds.
const START: i64 = 3_972_672_000;
const RUN_SECONDS: i64 = 20 * 60;
const NS: i64 = 1_000_000_000;
const TICK_NS: i64 = 50_000_000;

const fn v4(a: u8, b: u8, c: u8, d: u8, port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(a, b, c, d)), port)
}

const UPSTREAM: [SocketAddr; 4] = [
    v4(192, 0, 2, 1, 123),
    v4(192, 0, 2, 2, 123),
    v4(198, 51, 100, 3, 123),
    v4(203, 0, 113, 4, 123),
];
const CLIENT: SocketAddr = v4(10, 0, 1, 20, 40123);
const ADMIN: SocketAddr = v4(10, 0, 0, 2, 40124);
const BLOCKED: SocketAddr = v4(192, 168, 7, 7, 123);

/// The board's oscillator: local = true + offset; the offset drifts at
/// `error + correction` (parts per 10^12).
struct Oscillator {
    offset_ns: i64,
    remainder: i64,
    error_ppt: i64,
    correction_ppt: i64,
}

impl Oscillator {
    fn local(&self, true_ns: i64) -> NtpTime {
        NtpTime::from_parts(START, 0) + NtpDuration::from_nanos(true_ns + self.offset_ns)
    }

    fn advance(&mut self, dt_ns: i64) {
        // 64 bits suffice: a 50 ms step at up to ±500 ppm (5 * 10^8 ppt) is
        // 2.5 * 10^16, far inside i64 (128-bit division would cost ~1 KB here).
        let drift = dt_ns
            .saturating_mul(self.error_ppt + self.correction_ppt)
            .saturating_add(self.remainder);
        self.offset_ns += drift / 1_000_000_000_000;
        self.remainder = drift % 1_000_000_000_000;
    }

    fn apply(&mut self, adj: &ClockAdjustment) {
        self.offset_ns += adj.step.as_nanos();
        self.correction_ppt = ((i128::from(adj.frequency.to_bits()) * 1_000_000) >> 32) as i64;
    }
}

fn true_time(true_ns: i64) -> NtpTime {
    NtpTime::from_parts(START, 0) + NtpDuration::from_nanos(true_ns)
}

/// `$GPRMC` for true second `second` of 2025-11-21, with its checksum.
fn rmc(second: i64, out: &mut [u8; 80]) -> usize {
    let tod = second % 86_400;
    let mut text = *b"$GPRMC,hhmmss.00,A,4807.038,N,01131.000,E,000.0,000.0,211125,,,A*cc\r\n";
    for (i, v) in [(7, tod / 3600), (9, tod / 60 % 60), (11, tod % 60)] {
        if let Some(d) = text.get_mut(i..i + 2) {
            d.copy_from_slice(&[b'0' + (v / 10) as u8, b'0' + (v % 10) as u8]);
        }
    }
    let star = text.len() - 5;
    let sum = text
        .get(1..star)
        .unwrap_or(&[])
        .iter()
        .fold(0, |a, b| a ^ b);
    let hex = |n: u8| {
        b"0123456789ABCDEF"
            .get(usize::from(n & 15))
            .copied()
            .unwrap_or(b'0')
    };
    if let Some(d) = text.get_mut(star + 1..star + 3) {
        d.copy_from_slice(&[hex(sum >> 4), hex(sum)]);
    }
    let n = text.len().min(out.len());
    out.get_mut(..n)
        .unwrap_or(&mut [])
        .copy_from_slice(text.get(..n).unwrap_or(&[]));
    n
}

/// An upstream server's answer to `request`, received at true time `t`.
fn upstream_reply(request: &[u8], t: NtpTime, out: &mut [u8; 48]) -> bool {
    let Ok(req) = Packet::new_checked(request) else {
        return false;
    };
    if req.mode() != Mode::Client {
        return false;
    }
    let origin = req.transmit_timestamp();
    let mut p = Packet::new_unchecked(&mut out[..]);
    p.set_leap_version_mode(LeapIndicator::NoWarning, 4, Mode::Server);
    p.set_stratum(2);
    p.set_poll(req.poll());
    p.set_precision(-20);
    p.set_ref_id(RefId::from_bytes([192, 0, 2, 99]));
    p.set_reference_timestamp(t.to_timestamp());
    p.set_origin_timestamp(origin);
    p.set_receive_timestamp(t.to_timestamp());
    p.set_transmit_timestamp((t + NtpDuration::from_micros(20)).to_timestamp());
    true
}

/// `restrict ... nomodify notrap`.
const QUIET: RestrictFlags = RestrictFlags::NOMODIFY.union(RestrictFlags::NOTRAP);
/// The default line's and the upstream servers' flags besides `kod limited`.
const UPSTREAM_FLAGS: RestrictFlags = QUIET.union(RestrictFlags::NOQUERY);
/// The 8 `restrict` entries: address, prefix length, flags.
const RESTRICT: [([u8; 4], u8, RestrictFlags); 8] = [
    ([10, 0, 0, 0], 8, QUIET),
    ([10, 0, 0, 2], 32, RestrictFlags::NOMODIFY),
    ([192, 168, 0, 0], 16, RestrictFlags::IGNORE),
    (
        [172, 16, 0, 0],
        12,
        RestrictFlags::KOD.union(RestrictFlags::NOSERVE),
    ),
    ([192, 0, 2, 1], 32, UPSTREAM_FLAGS),
    ([192, 0, 2, 2], 32, UPSTREAM_FLAGS),
    ([198, 51, 100, 3], 32, UPSTREAM_FLAGS),
    ([203, 0, 113, 4], 32, UPSTREAM_FLAGS),
];

/// A mode 6 READVAR request for the system variables (sequence 1).
const READVAR: [u8; 12] = [0x16, 0x02, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];

struct Pending {
    /// True time the datagram reaches the board.
    at: i64,
    from: SocketAddr,
    len: usize,
    bytes: [u8; 48],
}

/// Configures the core as the board's ntp.conf would.
#[inline(never)]
fn setup(board: &mut Board, t0: NtpTime) {
    let fudge = Fudge {
        time2: NtpDuration::from_millis(100),
        flags: FudgeFlags::FLAG1,
        ..Fudge::NONE
    };
    let gps = Refclock::new(GPS, 1, fudge).unwrap_or_else(|_| fail("NMEA driver"));
    if board
        .add_refclock(gps, None, CandidateFlags::PREFER, t0)
        .is_err()
    {
        fail("refclock slot");
    }
    for remote in UPSTREAM {
        let mut config = AssociationConfig::client(remote);
        config.poll.iburst = true;
        if board
            .add_association(config, CandidateFlags::empty(), t0)
            .is_err()
        {
            fail("association slot");
        }
    }
    let key = Key::new(KeyId(1), Algorithm::Md5, b"sundial-board").unwrap_or_else(|_| fail("key"));
    if board.keys_mut().insert(key, true).is_err() {
        fail("key slot");
    }
    let r = &mut board.access_mut().restrict;
    r.set_default(
        None,
        RestrictFlags::KOD | RestrictFlags::LIMITED | UPSTREAM_FLAGS,
    );
    // From a table in flash: built in code, the 8 entries cost ~120 B more.
    for &(addr, len, flags) in RESTRICT.iter() {
        if r.add_prefix(IpAddr::V4(Ipv4Addr::from(addr)), len, flags)
            .is_err()
        {
            fail("restrict entry");
        }
    }
}

#[entry]
fn main() -> ! {
    let osc = Oscillator {
        offset_ns: 3_000_000,
        remainder: 0,
        error_ppt: 20_000_000,
        correction_ppt: 0,
    };
    // Two marks: building and configuring the core, and running it (painted
    // again after setup). The core lives in this frame (`main` never
    // returns), so both include it: `Ntp::new` builds it straight into this
    // variable, whereas moving it into a static (`cortex_m::singleton!`)
    // would first build it on the stack and copy it, one more core's worth
    // of RAM at the deepest point.
    stack::paint();
    let t0 = osc.local(0);
    let mut core = Board::new(
        SystemConfig {
            precision: -22,
            ..SystemConfig::default()
        },
        t0,
        [0x42; 16],
    );
    setup(&mut core, t0);
    let setup_stack = stack::high_water();
    stack::paint();
    run(&mut core, osc, setup_stack)
}

/// The scenario, then the report and the exit. Out of line: this frame's
/// buffers sit near the stack pointer, not beyond the core in `main`'s.
#[inline(never)]
fn run(board: &mut Board, mut osc: Oscillator, setup_stack: usize) -> ! {
    let mut inbox: [Option<Pending>; 8] = [const { None }; 8];
    let mut buf = [0u8; MAX_PACKET_LEN];
    let mut sentence = [0u8; 80];
    let mut jitter: u32 = 0x1234_5678;
    let (mut answered, mut last_stratum, mut last_refid) = (0u32, 0u8, RefId::ZERO);
    let mut mode6_replies = 0u32;
    let mut query: Option<Query> = None;
    let mut t: i64 = 0;
    while t < RUN_SECONDS * NS {
        let now = osc.local(t);
        if t % NS == 0 {
            // PPS on the second (±0.5 µs), the sentence naming it 100 ms later.
            jitter ^= jitter << 13;
            jitter ^= jitter >> 17;
            jitter ^= jitter << 5;
            board.handle_pps(GPS, osc.local(t + i64::from(jitter % 1000) - 500));
        }
        if t % NS == 100_000_000 {
            let n = rmc(START + t / NS, &mut sentence);
            board.handle_serial(GPS, sentence.get(..n).unwrap_or(&[]), now);
        }
        if t % (2 * NS) == 0 {
            // A LAN client asks; every 64 s also a mode 6 read and a request
            // from an ignored network.
            let q = Query::new(now, (t as u64) | 1);
            let mut req = [0u8; 48];
            if q.emit(&mut req).is_ok() {
                push(&mut inbox, t + 1_000_000, CLIENT, &req);
                query = Some(q);
            }
            if t % (64 * NS) == 0 {
                push(&mut inbox, t + 1_000_000, ADMIN, &READVAR);
                push(&mut inbox, t + 1_000_000, BLOCKED, &req);
            }
        }
        // Datagrams due now.
        for slot in inbox.iter_mut() {
            let Some(d) = slot.take_if(|d| d.at <= t) else {
                continue;
            };
            let bytes = d.bytes.get(..d.len).unwrap_or(&[]);
            let Some(tx) = board.handle_packet(now, d.from, bytes, now, &mut buf) else {
                continue;
            };
            if tx.stamp_at_send {
                board.stamp_transmit(&tx, &mut buf, now);
            }
            board.transmitted(&tx, now);
            if d.from == ADMIN {
                mode6_replies += 1;
            }
            if d.from == CLIENT
                && let Some(q) = query.take()
            {
                // The client receives the reply 1 ms later, on the true timescale.
                let reply = buf.get(..tx.len).unwrap_or(&[]);
                if let Ok(r) = q.process(reply, now + NtpDuration::from_millis(1)) {
                    answered += 1;
                    last_stratum = r.stratum;
                    last_refid = r.ref_id;
                }
            }
        }
        if board.poll_timeout() <= now {
            board.handle_timeout(now);
        }
        while let Some(tx) = board.poll_transmit(now, &mut buf) {
            let mut reply = [0u8; 48];
            let request = buf.get(..tx.len).unwrap_or(&[]);
            if UPSTREAM.contains(&tx.to)
                && upstream_reply(request, true_time(t + 25_000_000), &mut reply)
            {
                push(&mut inbox, t + TICK_NS, tx.to, &reply);
            }
        }
        while let Some(adj) = board.poll_adjustment() {
            osc.apply(&adj);
            board.adjustment_applied(adj, osc.local(t));
        }
        while board.poll_event().is_some() {}
        osc.advance(TICK_NS);
        t += TICK_NS;
    }

    let used = stack::high_water();

    let sys = board.system_variables();
    let ok = sys.stratum == 1
        && [*b"GPS\0", *b"PPS\0"].contains(&sys.refid.to_bytes())
        && last_stratum == 1
        && last_refid == sys.refid
        && answered > RUN_SECONDS as u32 / 4
        && (mode6_replies > 0) == cfg!(feature = "full");
    report(
        board,
        &osc,
        [answered, last_stratum.into(), mode6_replies],
        used,
        setup_stack,
    );
    if ok {
        hprintln!("PASS");
        debug::exit(debug::EXIT_SUCCESS);
    } else {
        hprintln!("FAIL");
        debug::exit(debug::EXIT_FAILURE);
    }
    loop {
        cortex_m::asm::wfi();
    }
}

/// Prints the outcome and where the RAM goes, without `core::fmt` (see
/// [`Line`]); out of line, so its buffers do not count in `main`'s stack.
#[inline(never)]
fn report(board: &Board, osc: &Oscillator, counts: [u32; 3], used: usize, setup_stack: usize) {
    let [answered, last_stratum, mode6_replies] = counts;
    let sys = board.system_variables();
    let refid = sys.refid.to_bytes();
    Line::new()
        .s(if cfg!(feature = "full") {
            "server (full): stratum "
        } else {
            "server: stratum "
        })
        .n(sys.stratum.into())
        .s(" refid [")
        .n(refid[0].into())
        .s(", ")
        .n(refid[1].into())
        .s(", ")
        .n(refid[2].into())
        .s(", ")
        .n(refid[3].into())
        .s("], offset ")
        .n(osc.offset_ns)
        .s(" ns, ")
        .n(answered.into())
        .s(" client replies checked (last: stratum ")
        .n(last_stratum.into())
        .s("), ")
        .n(mode6_replies.into())
        .s(" mode 6 replies; Ntp<5, 2, 1, 64> ")
        .n(core::mem::size_of::<Board>() as i64)
        .s(" bytes")
        .emit();
    // Where the static RAM goes (sizes on this target).
    {
        use core::mem::size_of;
        use sundial::system::{INTERLEAVE_ENTRIES, RESTRICT_ENTRIES};
        #[cfg(feature = "full")]
        let mode6 = size_of::<sundial::control::ControlReply>();
        #[cfg(not(feature = "full"))]
        let mode6 = 0;
        Line::new()
            .s("RAM: source slot ")
            .n(size_of::<sundial::system::Source>() as i64)
            .s(" (Association ")
            .n(size_of::<sundial::association::Association>() as i64)
            .s(", RefclockSource ")
            .n(size_of::<sundial::system::RefclockSource>() as i64)
            .s(") x5, access ")
            .n(size_of::<sundial::access::Access<RESTRICT_ENTRIES, CLIENTS>>() as i64)
            .s(", server ")
            .n(size_of::<sundial::server::Server<INTERLEAVE_ENTRIES>>() as i64)
            .s(", discipline ")
            .n(size_of::<sundial::discipline::Discipline>() as i64)
            .s(", mode 6 reply ")
            .n(mode6 as i64)
            .s(", keys ")
            .n(size_of::<sundial::auth::KeyTable<2>>() as i64)
            .emit();
    }
    Line::new()
        .s("stack high-water: ")
        .n(used as i64)
        .s(" bytes running, ")
        .n(setup_stack as i64)
        .s(" bytes in setup (of ")
        .n(stack::available() as i64)
        .s(" free)")
        .emit();
}

fn push(inbox: &mut [Option<Pending>; 8], at: i64, from: SocketAddr, bytes: &[u8]) {
    let mut d = Pending {
        at,
        from,
        len: bytes.len().min(48),
        bytes: [0; 48],
    };
    if let (Some(dst), Some(src)) = (d.bytes.get_mut(..d.len), bytes.get(..d.len)) {
        dst.copy_from_slice(src);
    }
    if let Some(slot) = inbox.iter_mut().find(|s| s.is_none()) {
        *slot = Some(d);
    }
}

#[inline(never)]
#[cold]
fn fail(what: &str) -> ! {
    Line::new().s("setup failed: ").s(what).emit();
    debug::exit(debug::EXIT_FAILURE);
    loop {
        cortex_m::asm::wfi();
    }
}

/// One line of output over semihosting, composed without `core::fmt`: its
/// integer and padding machinery is about 3 KB, more than this whole harness
/// needs (a real board logs through defmt, which formats on the host).
struct Line {
    buf: [u8; 200],
    len: usize,
}

impl Line {
    fn new() -> Line {
        Line {
            buf: [0; 200],
            len: 0,
        }
    }

    fn s(&mut self, text: &str) -> &mut Line {
        self.bytes(text.as_bytes())
    }

    fn bytes(&mut self, bytes: &[u8]) -> &mut Line {
        for &b in bytes {
            if let Some(slot) = self.buf.get_mut(self.len) {
                *slot = b;
                self.len += 1;
            }
        }
        self
    }

    /// `v` in decimal.
    fn n(&mut self, v: i64) -> &mut Line {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        let mut m = v.unsigned_abs();
        loop {
            at -= 1;
            if let Some(d) = digits.get_mut(at) {
                *d = b'0' + (m % 10) as u8;
            }
            m /= 10;
            if m == 0 || at == 0 {
                break;
            }
        }
        if v < 0 {
            self.s("-");
        }
        self.bytes(digits.get(at..).unwrap_or(&[]))
    }

    fn emit(&mut self) {
        if let Ok(mut out) = cortex_m_semihosting::hio::hstdout() {
            let _ = out.write_all(self.buf.get(..self.len).unwrap_or(&[]));
            let _ = out.write_all(b"\n");
        }
    }
}

#[panic_handler]
fn panic(_: &PanicInfo) -> ! {
    debug::exit(debug::EXIT_FAILURE);
    loop {
        cortex_m::asm::wfi();
    }
}
