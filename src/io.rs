//! The thin traits that connect the core to a world — a [`Clock`] it
//! disciplines and a [`Network`] it talks through — and [`pump`], the small
//! loop body every driver would otherwise write again: drain the network
//! into the core, send what it wants sent, apply what it wants applied, and
//! say when to come back.
//!
//! Serial reference clocks and PPS edges have their input traits in
//! [`crate::refclock::input`]; feed what they deliver to
//! [`Ntp::handle_serial`] and [`Ntp::handle_pps`].
//!
//! Everything here is `nb`-style: a driver that would block returns
//! `nb::Error::WouldBlock` and `pump` moves on. A firmware main loop is
//! `loop { let wake = pump(&mut ntp, &mut clock, &mut net, &mut buf)?; sleep_until(wake) }`.

use core::net::SocketAddr;

use crate::adjust::ClockAdjustment;
use crate::system::{MAX_PACKET_LEN, Ntp};
use crate::time::NtpTime;

/// The clock the core disciplines.
pub trait Clock {
    /// The error an adjustment can fail with.
    type Error: core::fmt::Debug;

    /// The current local time (the disciplined clock), era-aware.
    fn now(&mut self) -> NtpTime;

    /// Applies `adjustment`: step by `step`, then run at `frequency` (ppm,
    /// absolute), then arm `leap`. See [`ClockAdjustment`].
    fn apply(&mut self, adjustment: &ClockAdjustment) -> Result<(), Self::Error>;
}

/// A datagram received, with its best receive timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    /// Bytes written into the buffer.
    pub len: usize,
    /// Who sent it.
    pub from: SocketAddr,
    /// Local time it arrived (hardware/kernel stamp if the platform has one).
    pub rx_time: NtpTime,
}

/// A UDP-like datagram service on the NTP port.
pub trait Network {
    /// The error sending or receiving can fail with.
    type Error: core::fmt::Debug;

    /// Receives one datagram into `buf`, or `WouldBlock` if none is waiting.
    fn receive(&mut self, buf: &mut [u8]) -> nb::Result<Received, Self::Error>;

    /// Sends `bytes` to `to`; `WouldBlock` if the queue is full (the core's
    /// packet is dropped then, as a lost datagram would be).
    fn send(&mut self, to: SocketAddr, bytes: &[u8]) -> nb::Result<(), Self::Error>;
}

/// Why [`pump`] stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PumpError<C, N> {
    /// The clock refused an adjustment.
    Clock(C),
    /// The network failed (not `WouldBlock`).
    Network(N),
}

/// Most datagrams handled in one call, so a flood cannot starve the timers.
pub const PUMP_BATCH: usize = 64;

/// One turn of a driver's loop: receive up to [`PUMP_BATCH`] datagrams,
/// answer them, run the timers, send the polls that are due, apply any clock
/// adjustment. Returns the local time to call again (earlier is fine, e.g.
/// when a datagram arrives).
pub fn pump<
    C: Clock,
    N: Network,
    const A: usize,
    const K: usize,
    const R: usize,
    const L: usize,
>(
    ntp: &mut Ntp<A, K, R, L>,
    clock: &mut C,
    net: &mut N,
) -> Result<NtpTime, PumpError<C::Error, N::Error>> {
    let mut rx = [0u8; MAX_PACKET_LEN];
    let mut tx = [0u8; MAX_PACKET_LEN];
    for _ in 0..PUMP_BATCH {
        let got = match net.receive(&mut rx) {
            Ok(got) => got,
            Err(nb::Error::WouldBlock) => break,
            Err(nb::Error::Other(e)) => return Err(PumpError::Network(e)),
        };
        let bytes = rx.get(..got.len).unwrap_or(&[]);
        let now = clock.now();
        if let Some(reply) = ntp.handle_packet(now, got.from, bytes, got.rx_time, &mut tx) {
            if reply.stamp_at_send {
                let t = clock.now();
                ntp.stamp_transmit(&reply, &mut tx, t);
            }
            send(net, reply.to, tx.get(..reply.len).unwrap_or(&[]))?;
        }
        apply(ntp, clock)?;
    }
    let now = clock.now();
    if ntp.poll_timeout() <= now {
        ntp.handle_timeout(now);
    }
    while let Some(out) = ntp.poll_transmit(now, &mut tx) {
        if out.stamp_at_send {
            let t = clock.now();
            ntp.stamp_transmit(&out, &mut tx, t);
        }
        send(net, out.to, tx.get(..out.len).unwrap_or(&[]))?;
    }
    apply(ntp, clock)?;
    Ok(ntp.poll_timeout())
}

fn send<C, N: Network>(
    net: &mut N,
    to: SocketAddr,
    bytes: &[u8],
) -> Result<(), PumpError<C, N::Error>> {
    match net.send(to, bytes) {
        Ok(()) | Err(nb::Error::WouldBlock) => Ok(()),
        Err(nb::Error::Other(e)) => Err(PumpError::Network(e)),
    }
}

fn apply<C: Clock, N, const A: usize, const K: usize, const R: usize, const L: usize>(
    ntp: &mut Ntp<A, K, R, L>,
    clock: &mut C,
) -> Result<(), PumpError<C::Error, N>> {
    while let Some(adj) = ntp.poll_adjustment() {
        clock.apply(&adj).map_err(PumpError::Clock)?;
        let now = clock.now();
        ntp.adjustment_applied(adj, now);
    }
    Ok(())
}
