//! Shared std code for the examples (`ntpd`, `sntp`, `ntpq`, `loadgen`): the host side of a
//! sans-IO core. Everything here is Linux-specific glue that a daemon author writes once —
//! sockets with kernel receive timestamps and batched I/O, a `poll(2)` wait, clocks (a virtual
//! one for tests and dry runs, the real one through `clock_adjtime`), the drift file, signals and
//! ntpd-style statistics lines; reference clock devices (serial ports, kernel PPS). Protocol logic does not belong here: it lives in `src/`.
//!
//! Each example includes this module with `mod host;`; not every example uses every part.
#![allow(dead_code)]

pub mod args;
pub mod clock;
pub mod coalesce;
pub mod date;
pub mod drift;
pub mod logger;
pub mod net;
pub mod pps;
pub mod refclocks;
pub mod serial;
pub mod setup;
pub mod signal;
pub mod stats;
