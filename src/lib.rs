//! # sundial
//!
//! An embeddable `no_std`, no-alloc, sans-IO implementation of the Network Time Protocol
//! (NTPv4, RFC 5905; speaks to v1–v3 peers too).
//!
//! The core is a pure function of its inputs. It never reads a clock, never touches a socket
//! or a pin, never allocates and never panics: packets, serial bytes and PPS edges go in with
//! the local time they happened; packets to send, clock adjustments and the next wake-up time
//! come out as values you poll for. The same code runs in a Cortex-M firmware, in a std
//! daemon and in the deterministic simulator.
//!
//! ## The path of a packet, by file name
//!
//! | floor | module | owns |
//! | --- | --- | --- |
//! | 1 | [`time`] | era-aware 64-bit timestamps, 2^-32 s durations, poll exponents, ppm |
//! | 2 | [`wire`] | the packet: header, refid/kiss codes, extension fields, MAC trailer, mode 6 |
//! | 2 | [`config`] | ntp.conf and keys files → typed values, errors with line and column |
//! | 3 | [`auth`] | keys, MD5 / SHA-1 / AES-128-CMAC MACs, constant-time compare |
//! | 4 | [`sample`], [`adjust`], [`event`], [`rng`] | small shared values |
//! | 5 | [`association`] | one remote: on-wire protocol per mode, packet tests, KoD, reach, poll, clock filter |
//! | 5 | [`refclock`] | local clock, NMEA, Meinberg, PPS drivers → samples |
//! | 5 | [`sntp`] | a one-shot client query without associations (request, reply checks, θ/δ) |
//! | 6 | [`select`] | intersection, clustering, combining, tally codes |
//! | 7 | [`discipline`] | the clock estimator: step / slew / frequency, poll interval, leap |
//! | 8 | [`access`], [`server`], [`control`] | restrict + rate limits, replies, mode 6 responder |
//! | 9 | [`system`] | [`system::Ntp`]: owns all of the above, the sans-IO API |
//! | 10 | [`io`] | `Clock` / `Network` traits and `pump()`, the loop a driver runs |
//!
//! A datagram enters [`system::Ntp::handle_packet`] (`system/receive.rs`), goes to its
//! association (`association/receive.rs`: tests, then `filter.rs`), then selection
//! (`system/clock.rs` → [`select`]), then the [`discipline`], and leaves as a
//! [`adjust::ClockAdjustment`] from [`system::Ntp::poll_adjustment`].
//!
//! ## Example: a client and a server in memory
//!
//! ```
//! use core::net::SocketAddr;
//! use sundial::association::AssociationConfig;
//! use sundial::refclock::{Fudge, Refclock, RefclockId};
//! use sundial::select::CandidateFlags;
//! use sundial::system::{MAX_PACKET_LEN, Ntp, SystemConfig};
//! use sundial::{NtpDuration, NtpTime};
//!
//! let server_addr: SocketAddr = "192.0.2.1:123".parse().unwrap();
//! let t0 = NtpTime::from_unix(1_800_000_000, 0);
//! // A server disciplined by its local clock driver (127.127.1.0) at stratum 5.
//! let mut server: Ntp<4, 4> = Ntp::new(SystemConfig::default(), t0, [1; 16]);
//! let local = Refclock::new(RefclockId::new(1, 0), 0, Fudge { stratum: Some(5), ..Fudge::NONE }).unwrap();
//! server.add_refclock(local, None, CandidateFlags::empty(), t0).unwrap();
//! // A client of it.
//! let mut client: Ntp<4, 4> = Ntp::new(SystemConfig::default(), t0, [2; 16]);
//! let mut cfg = AssociationConfig::client(server_addr);
//! cfg.poll.iburst = true;
//! client.add_association(cfg, CandidateFlags::empty(), t0).unwrap();
//!
//! let (mut request, mut reply) = ([0u8; MAX_PACKET_LEN], [0u8; MAX_PACKET_LEN]);
//! for second in 0..120 {
//!     let now = t0 + NtpDuration::from_seconds(second);
//!     server.handle_timeout(now);
//!     while server.poll_transmit(now, &mut request).is_some() {}
//!     client.handle_timeout(now);
//!     while let Some(tx) = client.poll_transmit(now, &mut request) {
//!         let from: SocketAddr = "192.0.2.2:123".parse().unwrap();
//!         if let Some(r) = server.handle_packet(now, from, &request[..tx.len], now, &mut reply) {
//!             client.handle_packet(now, server_addr, &reply[..r.len], now, &mut request);
//!         }
//!     }
//!     while let Some(adj) = client.poll_adjustment() {
//!         client.adjustment_applied(adj, now); // a real driver applies it to its clock first
//!     }
//! }
//! assert_eq!(client.system_variables().stratum, 7);
//! ```
//!
//! ## Features
//!
//! `std` (std error impls), `defmt` (`defmt::Format` on public types), `log` (log events),
//! `sim` (the simulator; std, floats allowed there because it models the world).
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(any(feature = "std", test))]
extern crate std;

pub mod access;
pub mod adjust;
pub mod association;
pub mod auth;
pub mod config;
pub mod control;
mod counter;
pub mod discipline;
pub mod event;
mod hash;
mod int128;
pub mod io;
mod isqrt;
pub mod refclock;
pub mod rng;
pub mod sample;
pub mod select;
pub mod server;
#[cfg(feature = "sim")]
pub mod sim;
pub mod sntp;
mod sort;
pub mod system;
pub mod time;
pub mod wire;

pub use time::{Frequency, NtpDuration, NtpShort, NtpTime, NtpTimestamp, PollInterval};
