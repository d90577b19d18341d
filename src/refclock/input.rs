//! Input traits and adapters: how serial bytes and PPS edges reach the reference clocks.
//!
//! Owns: the [`TimestampSource`] trait (the caller's clock, read only by adapters, never by
//! the core), the [`PpsInput`] edge trait (`nb` polling), the [`PinPps`] adapter for boards
//! whose PPS pin has no capture hardware, the non-blocking serial read helper
//! [`read_timestamped`] over `embedded_io::{Read, ReadReady}`, and [`SerialSettings`] with
//! the character time used to date each byte of a received chunk.
//!
//! Typical firmware loop:
//!
//! ```ignore
//! match read_timestamped(&mut uart, &mut clock, &mut buf) {
//!     Ok((n, rx_time)) => ntp.handle_serial(id, &buf[..n], rx_time),
//!     Err(nb::Error::WouldBlock) => {}
//!     Err(nb::Error::Other(e)) => log_uart_error(e),
//! }
//! if let Ok(edge) = pps.poll_edge() { ntp.handle_pps(id, edge); }
//! ```

use embedded_hal::digital::InputPin;
use embedded_io::{Read, ReadReady};

use super::fudge::{Fudge, FudgeFlags};
use crate::time::{NtpDuration, NtpTime};

/// The caller's clock, read by input adapters to timestamp bytes and edges. The best source
/// is a free-running hardware counter converted to NTP time by the host.
pub trait TimestampSource {
    /// The current local time.
    fn now(&mut self) -> NtpTime;
}

impl<F: FnMut() -> NtpTime> TimestampSource for F {
    fn now(&mut self) -> NtpTime {
        self()
    }
}

/// A source of PPS edge timestamps, polled without blocking.
///
/// Implement it over timer input capture (best: the timestamp is latched by hardware), a
/// kernel PPS device, or use [`PinPps`] for a plain GPIO.
pub trait PpsInput {
    /// Error of the underlying hardware.
    type Error;

    /// The local time of the next captured edge, `WouldBlock` if none is pending.
    fn poll_edge(&mut self) -> nb::Result<NtpTime, Self::Error>;
}

/// Which PPS edge marks the second.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Edge {
    /// Rising edge (PPSAPI "assert"), the default.
    #[default]
    Assert,
    /// Falling edge (PPSAPI "clear"), `fudge flag2 1`.
    Clear,
}

impl Edge {
    /// The edge selected by `fudge flag2`.
    pub fn from_fudge(fudge: &Fudge) -> Self {
        if fudge.has(FudgeFlags::FLAG2) {
            Edge::Clear
        } else {
            Edge::Assert
        }
    }
}

/// PPS from a GPIO without capture hardware: polls the pin level and timestamps a
/// transition with the caller's [`TimestampSource`] when it sees one.
///
/// The timestamp is late by up to one polling period plus the interrupt/loop latency, so the
/// precision is that of the polling loop (call it from a tight loop or a pin-change
/// interrupt). The first poll only learns the level and never reports an edge.
#[derive(Debug)]
pub struct PinPps<P, S> {
    pin: P,
    source: S,
    edge: Edge,
    last_high: Option<bool>,
}

impl<P: InputPin, S: TimestampSource> PinPps<P, S> {
    /// Watches `pin` for `edge`, timestamping with `source`.
    pub fn new(pin: P, source: S, edge: Edge) -> Self {
        Self {
            pin,
            source,
            edge,
            last_high: None,
        }
    }

    /// Gives the pin and source back.
    pub fn release(self) -> (P, S) {
        (self.pin, self.source)
    }
}

impl<P: InputPin, S: TimestampSource> PpsInput for PinPps<P, S> {
    type Error = P::Error;

    fn poll_edge(&mut self) -> nb::Result<NtpTime, Self::Error> {
        let high = self.pin.is_high()?;
        let now = self.source.now();
        let previous = self.last_high.replace(high);
        match (previous, high, self.edge) {
            (Some(false), true, Edge::Assert) | (Some(true), false, Edge::Clear) => Ok(now),
            _ => Err(nb::Error::WouldBlock),
        }
    }
}

/// Reads whatever the serial port has ready, without blocking, and returns the byte count
/// with the local time right after the read (the receive time of the last byte, as far as
/// software can tell). `WouldBlock` when nothing is ready.
pub fn read_timestamped<R, S>(
    reader: &mut R,
    clock: &mut S,
    buf: &mut [u8],
) -> nb::Result<(usize, NtpTime), R::Error>
where
    R: Read + ReadReady,
    S: TimestampSource,
{
    if buf.is_empty() || !reader.read_ready()? {
        return Err(nb::Error::WouldBlock);
    }
    let n = reader.read(buf)?;
    let now = clock.now();
    if n == 0 {
        return Err(nb::Error::WouldBlock);
    }
    Ok((n, now))
}

/// Serial line settings a driver expects (the host configures the UART from them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SerialSettings {
    /// Bits per second.
    pub baud: u32,
    /// Data bits per character (7 or 8).
    pub data_bits: u8,
    /// Whether a parity bit is sent.
    pub parity: bool,
    /// Stop bits (1 or 2).
    pub stop_bits: u8,
}

impl SerialSettings {
    /// 4800 8N1 (NMEA default).
    pub const NMEA_4800: SerialSettings = SerialSettings::n81(4800);

    /// 8 data bits, no parity, 1 stop bit at `baud`.
    pub const fn n81(baud: u32) -> Self {
        Self {
            baud,
            data_bits: 8,
            parity: false,
            stop_bits: 1,
        }
    }

    /// Bits on the wire per character (start + data + parity + stop).
    pub const fn bits_per_char(&self) -> u32 {
        1 + self.data_bits as u32 + self.parity as u32 + self.stop_bits as u32
    }

    /// Time one character occupies on the line, 2^-32 s (zero for a zero baud rate).
    pub fn char_time(&self) -> NtpDuration {
        NtpDuration::ONE_SECOND
            .mul_div(i64::from(self.bits_per_char()), i64::from(self.baud))
            .unwrap_or(NtpDuration::ZERO)
    }
}

/// Receive time of byte `index` of a `len`-byte chunk whose last byte arrived at `last`,
/// assuming back-to-back characters of `char_time` each.
pub fn byte_time(last: NtpTime, index: usize, len: usize, char_time: NtpDuration) -> NtpTime {
    let behind = len.saturating_sub(index).saturating_sub(1);
    last - char_time.saturating_mul(i64::try_from(behind).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::convert::Infallible;
    use embedded_hal::digital::ErrorType;

    struct Levels<'a>(&'a [bool]);
    impl ErrorType for Levels<'_> {
        type Error = Infallible;
    }
    impl InputPin for Levels<'_> {
        fn is_high(&mut self) -> Result<bool, Infallible> {
            let (first, rest) = self.0.split_first().unwrap();
            self.0 = rest;
            Ok(*first)
        }
        fn is_low(&mut self) -> Result<bool, Infallible> {
            self.is_high().map(|h| !h)
        }
    }

    fn clock() -> impl FnMut() -> NtpTime {
        let mut s = 3_900_000_000i64;
        move || {
            s += 1;
            NtpTime::from_parts(s, 0)
        }
    }

    #[test]
    fn pin_edges() {
        let levels = [true, false, true, true, false, true];
        let mut pps = PinPps::new(Levels(&levels), clock(), Edge::Assert);
        let got: std::vec::Vec<_> = (0..levels.len())
            .filter_map(|_| pps.poll_edge().ok())
            .collect();
        assert_eq!(
            got,
            [
                NtpTime::from_parts(3_900_000_003, 0),
                NtpTime::from_parts(3_900_000_006, 0)
            ]
        );
        let mut pps = PinPps::new(Levels(&levels), clock(), Edge::Clear);
        let n = (0..levels.len())
            .filter(|_| pps.poll_edge().is_ok())
            .count();
        assert_eq!(n, 2);
    }

    struct Port<'a>(&'a [u8]);
    impl embedded_io::ErrorType for Port<'_> {
        type Error = Infallible;
    }
    impl Read for Port<'_> {
        fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
            let n = buf.len().min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
    impl ReadReady for Port<'_> {
        fn read_ready(&mut self) -> Result<bool, Infallible> {
            Ok(!self.0.is_empty())
        }
    }

    #[test]
    fn serial_reads() {
        let mut port = Port(b"$GPZDA");
        let mut c = clock();
        let mut buf = [0u8; 4];
        assert_eq!(
            read_timestamped(&mut port, &mut c, &mut buf),
            Ok((4, NtpTime::from_parts(3_900_000_001, 0)))
        );
        assert_eq!(
            read_timestamped(&mut port, &mut c, &mut buf).map(|r| r.0),
            Ok(2)
        );
        assert_eq!(
            read_timestamped(&mut port, &mut c, &mut buf),
            Err(nb::Error::WouldBlock)
        );
    }

    #[test]
    fn char_times() {
        // 9600 7E2: 11 bits → 1.1458 ms.
        let s = SerialSettings {
            baud: 9600,
            data_bits: 7,
            parity: true,
            stop_bits: 2,
        };
        assert_eq!(s.char_time().as_micros(), 1146);
        assert_eq!(SerialSettings::NMEA_4800.char_time().as_micros(), 2083);
        let last = NtpTime::from_parts(3_900_000_000, 0);
        let ct = NtpDuration::from_millis(1);
        assert_eq!(byte_time(last, 9, 10, ct), last);
        assert_eq!(byte_time(last, 0, 10, ct), last - ct.saturating_mul(9));
        assert_eq!(byte_time(last, 20, 10, ct), last);
    }
}
