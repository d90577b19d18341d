//! The board around the core: the hardware a GPS + PPS stratum-1 server has,
//! and the drivers that connect it to sundial's traits, as a real board
//! would have them.
//!
//! - [`Timer`]: a free-running 32-bit counter clocked at a nominal
//!   [`TIMER_HZ`] by the board's crystal. The crystal's true rate belongs to
//!   the world (QEMU has no crystal worth disciplining), so the world drives
//!   the counter from true time with a frequency error it chooses.
//! - [`SoftClock`]: the disciplined clock on that counter — the counter
//!   extended to 64 bits in software, a base (counter value, local time) and
//!   a per-tick increment trimmed in ppb fixed point — implementing
//!   [`sundial::io::Clock`]. Steps move the base; frequency changes rebase
//!   and change the increment; an armed leap second is applied at midnight.
//! - [`Uart`]: the GPS receiver's serial line, a 16-byte receive FIFO read
//!   through `embedded_io::{Read, ReadReady}`.
//! - [`PpsCapture`]: the timer's input-capture channel wired to the PPS pin:
//!   the counter value is latched by hardware on the edge and converted to
//!   local time when polled ([`sundial::refclock::input::PpsInput`]).
//! - [`Nic`]: an Ethernet MAC whose receive descriptors carry the counter
//!   value latched at the frame's arrival ([`sundial::io::Network`]).
//!
//! Everything here is deterministic integer arithmetic, so the host replay
//! (tests/firmware_replay.rs) computes bit for bit what the Cortex-M does.

use core::cell::Cell;
use core::convert::Infallible;
use core::net::SocketAddr;

use sundial::adjust::{ClockAdjustment, LeapPending};
use sundial::io::{Clock, Network, Received};
use sundial::refclock::input::PpsInput;
use sundial::{NtpDuration, NtpTime};

/// Nominal counter rate, Hz (one tick is 62.5 ns).
pub const TIMER_HZ: i64 = 16_000_000;
/// Nominal tick length, 2^-32 ns (62.5 ns, exact).
const NOMINAL_INCREMENT: i64 = (1_000_000_000i64 << 32) / TIMER_HZ;
const NS_PER_S: i128 = 1_000_000_000;
/// Parts per 10^12: the unit of the crystal error.
const PPT: i128 = 1_000_000_000_000;

/// The hardware counter and, on the world's side, the crystal that clocks it.
pub struct Timer {
    /// True time since power-on, ns (the world's; the board never reads it).
    true_ns: Cell<i64>,
    /// Ticks since power-on (the register is the low 32 bits).
    ticks: Cell<u64>,
    /// Fraction of a tick carried over, in units of 1/(10^9 · 10^12) tick.
    remainder: Cell<i128>,
    /// Crystal frequency error, parts per 10^12 (positive: the counter runs fast).
    error_ppt: Cell<i64>,
}

impl Timer {
    /// A counter at zero at power-on, its crystal off by `error_ppt` (10^-12).
    pub const fn new(error_ppt: i64) -> Self {
        Timer {
            true_ns: Cell::new(0),
            ticks: Cell::new(0),
            remainder: Cell::new(0),
            error_ppt: Cell::new(error_ppt),
        }
    }

    /// World: true time moves on to `true_ns` (ns since power-on; never back).
    pub fn advance_to(&self, true_ns: i64) {
        let dt = true_ns - self.true_ns.get();
        if dt <= 0 {
            return;
        }
        let rate = PPT + i128::from(self.error_ppt.get());
        let n = i128::from(dt) * i128::from(TIMER_HZ) * rate + self.remainder.get();
        let unit = NS_PER_S * PPT;
        self.ticks
            .set(self.ticks.get().wrapping_add((n / unit) as u64));
        self.remainder.set(n % unit);
        self.true_ns.set(true_ns);
    }

    /// World: the crystal's error changes (temperature), parts per 10^12.
    pub fn set_error_ppt(&self, error_ppt: i64) {
        self.error_ppt.set(error_ppt);
    }

    /// World: true time, ns since power-on.
    pub fn true_ns(&self) -> i64 {
        self.true_ns.get()
    }

    /// The counter register.
    pub fn read(&self) -> u32 {
        self.ticks.get() as u32
    }
}

/// The board's disciplined clock: local time = base time + (counter − base
/// counter) × increment.
pub struct SoftClock<'t> {
    timer: &'t Timer,
    /// The last counter value read, extended to 64 bits.
    last: Cell<u64>,
    base_count: Cell<u64>,
    base_time: Cell<NtpTime>,
    /// Length of one tick, 2^-32 ns (nominal × (1 + trim)).
    increment: Cell<i64>,
    /// Frequency trim, 2^-32 ppb.
    trim: Cell<i64>,
    /// Local time of an armed leap second and the step it makes there.
    leap: Cell<Option<(NtpTime, NtpDuration)>>,
}

impl<'t> SoftClock<'t> {
    /// The clock on `timer`, reading `now` at the counter's current value
    /// (from the RTC at power-on).
    pub fn new(timer: &'t Timer, now: NtpTime) -> Self {
        let count = u64::from(timer.read());
        SoftClock {
            timer,
            last: Cell::new(count),
            base_count: Cell::new(count),
            base_time: Cell::new(now),
            increment: Cell::new(NOMINAL_INCREMENT),
            trim: Cell::new(0),
            leap: Cell::new(None),
        }
    }

    /// A 32-bit counter value, extended to 64 bits around the last reading
    /// (valid within ±2^31 ticks, 134 s: the main loop reads the clock at
    /// least every second).
    fn extend(&self, raw: u32) -> u64 {
        let last = self.last.get();
        let delta = i64::from(raw.wrapping_sub(last as u32) as i32);
        last.wrapping_add(delta as u64)
    }

    /// Local time at extended counter value `count`.
    fn time_at(&self, count: u64) -> NtpTime {
        let ticks = count.wrapping_sub(self.base_count.get()) as i64;
        let scaled = i128::from(ticks) * i128::from(self.increment.get());
        let bits = scaled.div_euclid(NS_PER_S);
        self.base_time.get() + NtpDuration::from_bits(bits as i64)
    }

    /// Local time of a latched 32-bit counter value (capture, receive stamp).
    pub fn time_of(&self, raw: u32) -> NtpTime {
        self.time_at(self.extend(raw))
    }

    /// Reads the counter and returns local time.
    pub fn read(&self) -> NtpTime {
        let count = self.extend(self.timer.read());
        self.last.set(count);
        let mut now = self.time_at(count);
        if let Some((at, step)) = self.leap.get()
            && now >= at
        {
            self.base_time.set(self.base_time.get() + step);
            self.leap.set(None);
            now += step;
        }
        now
    }

    /// The frequency trim in force, 2^-32 ppb.
    pub fn trim(&self) -> i64 {
        self.trim.get()
    }
}

impl Clock for &SoftClock<'_> {
    type Error = Infallible;

    fn now(&mut self) -> NtpTime {
        self.read()
    }

    fn apply(&mut self, adjustment: &ClockAdjustment) -> Result<(), Infallible> {
        let now = self.read();
        self.base_count.set(self.last.get());
        self.base_time.set(now + adjustment.step);
        // 2^-32 ppm → 2^-32 ppb, then the tick length it gives.
        let trim = adjustment.frequency.to_bits().saturating_mul(1000);
        self.trim.set(trim);
        let delta = i128::from(NOMINAL_INCREMENT) * i128::from(trim) / (NS_PER_S << 32);
        self.increment.set(NOMINAL_INCREMENT + delta as i64);
        let after = now + adjustment.step;
        let midnight = NtpTime::from_parts((after.seconds().div_euclid(86_400) + 1) * 86_400, 0);
        self.leap.set(match adjustment.leap {
            LeapPending::None => None,
            // 23:59:60 repeats the last second's readings; a deleted 23:59:59 is skipped.
            LeapPending::Insert => Some((midnight, -NtpDuration::ONE_SECOND)),
            LeapPending::Delete => {
                Some((midnight - NtpDuration::ONE_SECOND, NtpDuration::ONE_SECOND))
            }
        });
        Ok(())
    }
}

/// Size of the UART's receive FIFO, bytes.
pub const UART_FIFO: usize = 16;

/// The GPS receiver's serial line: a receive FIFO the world fills and the
/// firmware drains.
#[derive(Default)]
pub struct Uart {
    fifo: [u8; UART_FIFO],
    head: usize,
    len: usize,
    /// Bytes lost because the FIFO was full (overrun errors).
    pub overruns: u32,
}

impl Uart {
    /// World: a character arrived on the line.
    pub fn receive(&mut self, byte: u8) {
        if self.len == UART_FIFO {
            self.overruns += 1;
            return;
        }
        if let Some(slot) = self.fifo.get_mut((self.head + self.len) % UART_FIFO) {
            *slot = byte;
            self.len += 1;
        }
    }
}

impl embedded_io::ErrorType for Uart {
    type Error = Infallible;
}

impl embedded_io::Read for Uart {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
        let mut n = 0;
        for dst in buf.iter_mut() {
            if self.len == 0 {
                break;
            }
            *dst = self.fifo.get(self.head).copied().unwrap_or(0);
            self.head = (self.head + 1) % UART_FIFO;
            self.len -= 1;
            n += 1;
        }
        Ok(n)
    }
}

impl embedded_io::ReadReady for Uart {
    fn read_ready(&mut self) -> Result<bool, Infallible> {
        Ok(self.len > 0)
    }
}

/// The timer's input-capture channel on the PPS pin.
pub struct PpsCapture<'c, 't> {
    clock: &'c SoftClock<'t>,
    latched: Option<u32>,
    /// Edges lost because the previous capture was not read yet.
    pub overcaptures: u32,
}

impl<'c, 't> PpsCapture<'c, 't> {
    /// The capture channel; edges are converted with `clock`.
    pub fn new(clock: &'c SoftClock<'t>) -> Self {
        PpsCapture {
            clock,
            latched: None,
            overcaptures: 0,
        }
    }

    /// Hardware: an edge on the pin latches the counter.
    pub fn edge(&mut self, counter: u32) {
        if self.latched.replace(counter).is_some() {
            self.overcaptures += 1;
        }
    }
}

impl PpsInput for PpsCapture<'_, '_> {
    type Error = Infallible;

    fn poll_edge(&mut self) -> nb::Result<NtpTime, Infallible> {
        match self.latched.take() {
            Some(raw) => Ok(self.clock.time_of(raw)),
            None => Err(nb::Error::WouldBlock),
        }
    }
}

/// Largest frame payload the modelled MAC keeps, bytes (NTP without
/// extensions; longer frames are truncated and dropped by the core).
pub const FRAME: usize = 96;
/// Descriptors in each of the receive and transmit rings.
pub const RING: usize = 4;

/// One frame in a descriptor ring.
#[derive(Clone, Copy)]
pub struct Frame {
    /// The peer (sender on receive, destination on transmit).
    pub peer: SocketAddr,
    /// Payload length, bytes.
    pub len: usize,
    /// Payload.
    pub bytes: [u8; FRAME],
    /// Counter value latched at arrival (receive) or at the send call (transmit).
    pub stamp: u32,
}

impl Frame {
    /// The payload.
    pub fn payload(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }
}

/// A FIFO ring of frames.
pub struct Ring {
    slots: [Option<Frame>; RING],
    head: usize,
}

impl Ring {
    const fn new() -> Self {
        Ring {
            slots: [None; RING],
            head: 0,
        }
    }

    /// Queues `frame`; false if the ring is full.
    pub fn push(&mut self, frame: Frame) -> bool {
        for i in 0..RING {
            if let Some(slot) = self.slots.get_mut((self.head + i) % RING)
                && slot.is_none()
            {
                *slot = Some(frame);
                return true;
            }
        }
        false
    }

    /// The oldest frame.
    pub fn pop(&mut self) -> Option<Frame> {
        let frame = self.slots.get_mut(self.head)?.take()?;
        self.head = (self.head + 1) % RING;
        Some(frame)
    }
}

/// Where the cost of the core's work is measured: the firmware reads a
/// cycle counter, the host does nothing.
pub trait Meter {
    /// Work on something starts now.
    fn begin(&mut self);
    /// The work begun last ends now; `what` names it.
    fn end(&mut self, what: Cost);
}

impl<M: Meter + ?Sized> Meter for &mut M {
    fn begin(&mut self) {
        (**self).begin();
    }

    fn end(&mut self, what: Cost) {
        (**self).end(what);
    }
}

/// What a [`Meter`] measured.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Cost {
    /// A client request: from its arrival in software to the reply handed to the MAC.
    Reply,
    /// A datagram that gets no reply (a server's answer to the board's poll):
    /// from its arrival in software until the firmware asks for the next one.
    Processed,
    /// One chunk of serial bytes through `handle_serial`.
    Serial,
    /// One PPS edge through `handle_pps`.
    Pps,
}

/// The Ethernet MAC: receive ring with arrival stamps, transmit ring.
pub struct Nic<'c, 't, M> {
    clock: &'c SoftClock<'t>,
    /// Frames arrived, not yet read by the firmware (the world fills it).
    pub rx: Ring,
    /// Frames sent, not yet on the wire (the world drains it).
    pub tx: Ring,
    /// Frames dropped because a ring was full.
    pub dropped: u32,
    meter: M,
    /// Sender of the request being answered (for the meter).
    answering: Option<SocketAddr>,
}

impl<'c, 't, M: Meter> Nic<'c, 't, M> {
    /// A MAC stamping with `clock`, metering replies with `meter`.
    pub fn new(clock: &'c SoftClock<'t>, meter: M) -> Self {
        Nic {
            clock,
            rx: Ring::new(),
            tx: Ring::new(),
            dropped: 0,
            meter,
            answering: None,
        }
    }

    /// World: a frame from `from` arrives now (counter value `stamp`).
    pub fn arrive(&mut self, from: SocketAddr, payload: &[u8], stamp: u32) {
        let mut frame = Frame {
            peer: from,
            len: payload.len().min(FRAME),
            bytes: [0; FRAME],
            stamp,
        };
        if let Some(dst) = frame.bytes.get_mut(..frame.len) {
            dst.copy_from_slice(payload.get(..frame.len).unwrap_or(&[]));
        }
        if !self.rx.push(frame) {
            self.dropped += 1;
        }
    }

    /// The meter, for the main loop's own measurements.
    pub fn meter(&mut self) -> &mut M {
        &mut self.meter
    }
}

impl<M: Meter> Network for Nic<'_, '_, M> {
    type Error = Infallible;

    fn receive(&mut self, buf: &mut [u8]) -> nb::Result<Received, Infallible> {
        if self.answering.take().is_some() {
            self.meter.end(Cost::Processed);
        }
        let frame = self.rx.pop().ok_or(nb::Error::WouldBlock)?;
        let len = frame.len.min(buf.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(..len), frame.bytes.get(..len)) {
            dst.copy_from_slice(src);
        }
        let received = Received {
            len,
            from: frame.peer,
            rx_time: self.clock.time_of(frame.stamp),
        };
        self.answering = Some(frame.peer);
        self.meter.begin();
        Ok(received)
    }

    fn send(&mut self, to: SocketAddr, bytes: &[u8]) -> nb::Result<(), Infallible> {
        if self.answering.take() == Some(to) {
            self.meter.end(Cost::Reply);
        }
        let mut frame = Frame {
            peer: to,
            len: bytes.len().min(FRAME),
            bytes: [0; FRAME],
            stamp: self.clock.timer.read(),
        };
        if let Some(dst) = frame.bytes.get_mut(..frame.len) {
            dst.copy_from_slice(bytes.get(..frame.len).unwrap_or(&[]));
        }
        if self.tx.push(frame) {
            Ok(())
        } else {
            self.dropped += 1;
            Err(nb::Error::WouldBlock)
        }
    }
}
