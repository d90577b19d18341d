//! # sundial
//!
//! An embeddable `no_std`, no-alloc, sans-IO implementation of the Network Time Protocol
//! (NTPv4, RFC 5905; speaks to v1–v3 peers too).
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
pub mod discipline;
pub mod event;
pub mod io;
pub mod refclock;
pub mod rng;
pub mod sample;
pub mod select;
pub mod server;
pub mod system;
pub mod time;
pub mod wire;

pub use time::{Frequency, NtpDuration, NtpShort, NtpTime, NtpTimestamp, PollInterval};
