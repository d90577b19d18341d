//! A GPS + PPS stratum-1 NTP server board, as Cortex-M4F firmware.
//!
//! The board runs the sundial core exactly as a real one would: NMEA
//! sentences from a GPS receiver on a UART (refclock 127.127.20.0, `mode 1`
//! = RMC, `fudge flag1 1` = a PPS edge attached), and one LAN client that
//! synchronises to the board over NTP. Under QEMU there is no GPS, no crystal
//! worth disciplining and no Ethernet, so this file also models them: a true
//! time, the board's oscillator (20 ppm off), the receiver (a sentence ~100 ms
//! after each second, a PPS edge on the second with ±1 µs of jitter), and a
//! 100 µs LAN. Everything the core sees arrives through its sans-IO API with
//! local timestamps, as it would from a timer-capture input and a UART.
//!
//! After 60 simulated minutes it prints the board's and the client's state
//! over semihosting and exits with success only if the board is stratum 1
//! within 20 µs RMS of true time and the client stratum 2 within 200 µs RMS
//! over the last 20 minutes.
//!
//! Run: `cd examples/firmware && cargo run --release` (needs
//! `rustup target add thumbv7em-none-eabihf` and `qemu-system-arm`).
#![no_std]
#![no_main]

use core::net::{IpAddr, Ipv4Addr, SocketAddr};
use core::panic::PanicInfo;

use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprintln};
use sundial::adjust::ClockAdjustment;
use sundial::association::AssociationConfig;
use sundial::refclock::calendar::Date;
use sundial::refclock::{Fudge, FudgeFlags, Refclock, RefclockId};
use sundial::select::CandidateFlags;
use sundial::system::{MAX_PACKET_LEN, Ntp, SystemConfig};
use sundial::{NtpDuration, NtpTime};

const BOARD: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 123);
const CLIENT: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 123);
const GPS: RefclockId = RefclockId::new(20, 0);
/// True time at the start: 2026-11-21 00:00:00 UTC, as NTP seconds.
const START_SECONDS: i64 = 3_972_672_000;
const RUN_SECONDS: i64 = 60 * 60;
/// Accuracy is measured after this warm-up.
const WARMUP_SECONDS: i64 = 40 * 60;
const NS: i64 = 1_000_000_000;

/// A small deterministic generator for the modelled noise.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform in -range..=range.
    fn jitter(&mut self, range: i64) -> i64 {
        (self.next() % (2 * range as u64 + 1)) as i64 - range
    }
}

/// A modelled oscillator: local = true + offset, the offset drifting at
/// `error + correction` (parts per 10^12, so slews are exact enough).
struct Oscillator {
    offset_ns: i64,
    remainder: i64,
    error_ppt: i64,
    correction_ppt: i64,
}

impl Oscillator {
    fn local(&self, true_ns: i64) -> NtpTime {
        let ns = true_ns + self.offset_ns;
        NtpTime::from_parts(START_SECONDS, 0) + NtpDuration::from_nanos(ns)
    }

    fn advance(&mut self, dt_ns: i64) {
        let drift =
            dt_ns as i128 * (self.error_ppt + self.correction_ppt) as i128 + self.remainder as i128;
        self.offset_ns += (drift / 1_000_000_000_000) as i64;
        self.remainder = (drift % 1_000_000_000_000) as i64;
    }

    fn apply(&mut self, adj: &ClockAdjustment) {
        self.offset_ns += adj.step.as_nanos();
        // Frequency in 2^-32 ppm → parts per 10^12.
        self.correction_ppt = ((adj.frequency.to_bits() as i128 * 1_000_000) >> 32) as i64;
    }
}

/// An `$GPRMC` sentence for true second `second` (NTP seconds).
fn rmc(second: i64, out: &mut [u8; 96]) -> usize {
    let date = Date::from_days_since_ntp_epoch(second.div_euclid(86_400)).unwrap_or(Date {
        year: 2026,
        month: 1,
        day: 1,
    });
    let tod = second.rem_euclid(86_400);
    let mut w = Writer { buf: out, len: 0 };
    let _ = core::fmt::write(
        &mut w,
        format_args!(
            "$GPRMC,{:02}{:02}{:02}.00,A,4807.038,N,01131.000,E,000.0,000.0,{:02}{:02}{:02},,,A*",
            tod / 3600,
            tod / 60 % 60,
            tod % 60,
            date.day,
            date.month,
            date.year % 100
        ),
    );
    let body = w.buf.get(1..w.len.saturating_sub(1)).unwrap_or(&[]);
    let checksum = body.iter().fold(0u8, |a, b| a ^ b);
    let _ = core::fmt::write(&mut w, format_args!("{checksum:02X}\r\n"));
    w.len
}

struct Writer<'a> {
    buf: &'a mut [u8; 96],
    len: usize,
}

impl core::fmt::Write for Writer<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let end = self.len + s.len();
        let dst = self.buf.get_mut(self.len..end).ok_or(core::fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// A datagram on the modelled LAN.
#[derive(Clone, Copy)]
struct Datagram {
    arrive_ns: i64,
    to_board: bool,
    len: usize,
    bytes: [u8; MAX_PACKET_LEN],
}

/// Applies every pending adjustment of `ntp` to `osc`.
fn settle<const A: usize, const K: usize>(ntp: &mut Ntp<A, K>, osc: &mut Oscillator, true_ns: i64) {
    while let Some(adj) = ntp.poll_adjustment() {
        osc.apply(&adj);
        ntp.adjustment_applied(adj, osc.local(true_ns));
    }
    while ntp.poll_event().is_some() {}
}

#[entry]
fn main() -> ! {
    let mut rng = XorShift(0x5eed_1234_abcd_ef01);
    let mut board_osc = Oscillator {
        offset_ns: 3_000_000,
        remainder: 0,
        error_ppt: 20_000_000,
        correction_ppt: 0,
    };
    let mut client_osc = Oscillator {
        offset_ns: -10_000_000,
        remainder: 0,
        error_ppt: -10_000_000,
        correction_ppt: 0,
    };

    // The board: GPS (RMC) with its PPS attached, preferred.
    let t0 = board_osc.local(0);
    let mut board: Ntp<2, 1> = Ntp::new(
        SystemConfig {
            precision: -22,
            ..SystemConfig::default()
        },
        t0,
        [0x42; 16],
    );
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
    // The LAN client.
    let c0 = client_osc.local(0);
    let mut client: Ntp<1, 1> = Ntp::new(SystemConfig::default(), c0, [0x17; 16]);
    let mut config = AssociationConfig::client(BOARD);
    config.poll.iburst = true;
    config.poll.minpoll = sundial::PollInterval::from_log2(4);
    config.poll.maxpoll = sundial::PollInterval::from_log2(4);
    if client
        .add_association(config, CandidateFlags::empty(), c0)
        .is_err()
    {
        fail("association slot");
    }

    let mut lan: [Option<Datagram>; 4] = [None; 4];
    let mut buf = [0u8; MAX_PACKET_LEN];
    let mut sentence = [0u8; 96];
    let mut t: i64 = 0;
    let mut next_second: i64 = NS;
    let mut sentence_due: Option<(i64, i64)> = None;
    let (mut sum_sq_board, mut sum_sq_client, mut samples) = (0i128, 0i128, 0i128);

    while t < RUN_SECONDS * NS {
        // The receiver: PPS edge on the second, the sentence naming it ~100 ms later.
        if t >= next_second {
            let edge = board_osc.local(next_second + rng.jitter(1_000));
            board.handle_pps(GPS, edge);
            sentence_due = Some((
                next_second + 100_000_000 + rng.jitter(10_000_000),
                next_second / NS,
            ));
            next_second += NS;
            if (next_second / NS) % 600 == 0 {
                hprintln!(
                    "t = {:>4} s: board {:>9} ns (stratum {}), client {:>9} ns (stratum {})",
                    next_second / NS,
                    board_osc.offset_ns,
                    board.system_variables().stratum,
                    client_osc.offset_ns,
                    client.system_variables().stratum
                );
            }
            if t > WARMUP_SECONDS * NS {
                let b = i128::from(board_osc.offset_ns);
                let c = i128::from(client_osc.offset_ns);
                sum_sq_board += b * b;
                sum_sq_client += c * c;
                samples += 1;
            }
        }
        if let Some((due, second)) = sentence_due
            && t >= due
        {
            let n = rmc(START_SECONDS + second, &mut sentence);
            board.handle_serial(GPS, sentence.get(..n).unwrap_or(&[]), board_osc.local(t));
            sentence_due = None;
        }
        // The LAN.
        for i in 0..lan.len() {
            let Some(d) = lan.get_mut(i).and_then(|s| s.take_if(|d| d.arrive_ns <= t)) else {
                continue;
            };
            let bytes = d.bytes.get(..d.len).unwrap_or(&[]);
            let (node, osc, from) = if d.to_board {
                (&mut board as &mut dyn Node, &mut board_osc, CLIENT)
            } else {
                (&mut client as &mut dyn Node, &mut client_osc, BOARD)
            };
            let now = osc.local(t);
            if let Some(reply) = node.packet(now, from, bytes, &mut buf) {
                send(
                    &mut lan,
                    !d.to_board,
                    t + 100_000,
                    buf.get(..reply).unwrap_or(&[]),
                );
            }
        }
        // Timers and polls.
        for (is_board, node, osc) in [
            (true, &mut board as &mut dyn Node, &mut board_osc),
            (false, &mut client as &mut dyn Node, &mut client_osc),
        ] {
            let now = osc.local(t);
            node.tick(now);
            while let Some(len) = node.transmit(now, &mut buf) {
                send(
                    &mut lan,
                    !is_board,
                    t + 100_000,
                    buf.get(..len).unwrap_or(&[]),
                );
            }
        }
        settle(&mut board, &mut board_osc, t);
        settle(&mut client, &mut client_osc, t);

        // Sleep until the next thing happens (at most 100 ms, so drift stays smooth).
        let mut next = (t + 100_000_000).min(next_second);
        if let Some((due, _)) = sentence_due {
            next = next.min(due);
        }
        for d in lan.iter().flatten() {
            next = next.min(d.arrive_ns);
        }
        for (wake, osc) in [
            (board.poll_timeout(), &board_osc),
            (client.poll_timeout(), &client_osc),
        ] {
            let dt = (wake - osc.local(t)).as_nanos();
            next = next.min(t + dt.max(1_000));
        }
        let dt = (next - t).max(1);
        board_osc.advance(dt);
        client_osc.advance(dt);
        t += dt;
    }

    let rms = |sum: i128| isqrt(sum / samples.max(1));
    let board_rms = rms(sum_sq_board);
    let client_rms = rms(sum_sq_client);
    let bs = board.system_variables().stratum;
    let cs = client.system_variables().stratum;
    hprintln!(
        "sundial firmware: GPS+PPS stratum-1 board under QEMU, {} simulated minutes",
        RUN_SECONDS / 60
    );
    hprintln!(
        "board:  stratum {}, offset now {} ns, RMS {} ns over the last {} min",
        bs,
        board_osc.offset_ns,
        board_rms,
        (RUN_SECONDS - WARMUP_SECONDS) / 60
    );
    hprintln!(
        "client: stratum {}, offset now {} ns, RMS {} ns over the last {} min",
        cs,
        client_osc.offset_ns,
        client_rms,
        (RUN_SECONDS - WARMUP_SECONDS) / 60
    );
    hprintln!(
        "core state: Ntp<2,1> {} bytes, Ntp<1,1> {} bytes",
        core::mem::size_of::<Ntp<2, 1>>(),
        core::mem::size_of::<Ntp<1, 1>>()
    );
    if bs == 1 && board_rms < 20_000 && cs == 2 && client_rms < 200_000 {
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

/// The two cores behind one face, so the loop above treats them alike.
trait Node {
    fn packet(
        &mut self,
        now: NtpTime,
        from: SocketAddr,
        bytes: &[u8],
        out: &mut [u8],
    ) -> Option<usize>;
    fn tick(&mut self, now: NtpTime);
    fn transmit(&mut self, now: NtpTime, buf: &mut [u8]) -> Option<usize>;
}

impl<const A: usize, const K: usize> Node for Ntp<A, K> {
    fn packet(
        &mut self,
        now: NtpTime,
        from: SocketAddr,
        bytes: &[u8],
        out: &mut [u8],
    ) -> Option<usize> {
        let tx = self.handle_packet(now, from, bytes, now, out)?;
        if tx.stamp_at_send {
            self.stamp_transmit(&tx, out, now);
        }
        Some(tx.len)
    }

    fn tick(&mut self, now: NtpTime) {
        if self.poll_timeout() <= now {
            self.handle_timeout(now);
        }
    }

    fn transmit(&mut self, now: NtpTime, buf: &mut [u8]) -> Option<usize> {
        self.poll_transmit(now, buf).map(|tx| tx.len)
    }
}

fn send(lan: &mut [Option<Datagram>; 4], to_board: bool, arrive_ns: i64, bytes: &[u8]) {
    if let Some(slot) = lan.iter_mut().find(|s| s.is_none()) {
        let mut d = Datagram {
            arrive_ns,
            to_board,
            len: bytes.len(),
            bytes: [0; MAX_PACKET_LEN],
        };
        if let Some(dst) = d.bytes.get_mut(..bytes.len()) {
            dst.copy_from_slice(bytes);
            *slot = Some(d);
        }
    }
}

fn isqrt(v: i128) -> i128 {
    if v <= 0 {
        return 0;
    }
    let mut x = v;
    let mut y = (x + 1) / 2;
    while y < x {
        x = y;
        y = (x + v / x) / 2;
    }
    x
}

fn fail(what: &str) -> ! {
    hprintln!("setup failed: {}", what);
    debug::exit(debug::EXIT_FAILURE);
    loop {
        cortex_m::asm::wfi();
    }
}

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    hprintln!("panic: {}", info);
    debug::exit(debug::EXIT_FAILURE);
    loop {
        cortex_m::asm::wfi();
    }
}
