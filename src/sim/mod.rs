//! The deterministic simulator (feature `sim`, std; floats allowed: it models
//! the world, not the core). It drives the real core — the `Ntp` value with
//! its associations, clock filter, selection and discipline — against
//! simulated oscillators, networks and servers, and measures the result
//! against true time.
//!
//! - [`rng`]: seeded xoshiro256** (uniform, exponential, normal);
//! - [`oscillator`]: the client clock (offset, frequency, random walk;
//!   applies `ClockAdjustment`s, leap seconds);
//! - [`network`]: per-direction `base + Exp(mean)` delays, loss, duplicates,
//!   outages;
//! - [`server`]: servers answering real NTP packets (perfect, falseticker,
//!   stepping, dying);
//! - [`scenario`]: the named worlds of issue 5;
//! - [`gps`], [`gps_node`], [`gps_world`], [`gps_report`]: the GPS stratum-1 server, its
//!   receiver and LAN clients (issue 6: `gps-pps`, `gps-loss`);
//! - [`system_node`]: a client host running the whole core (`Ntp`) through
//!   its sans-IO API, as the daemon and firmware do;
//! - [`client`]: the trait the event loop drives a client host through;
//! - [`world`]: the event loop;
//! - [`metrics`] and [`plot`]: numbers and an SVG.
//!
//! ```text
//! let scenario = Scenario::named("lan").unwrap();
//! let run = run_client(&scenario, &RunOptions { poll: Some(6), ..RunOptions::default() }, 0);
//! println!("{}", run.summary.to_json(0));
//! ```

pub mod client;
pub mod gps;
pub mod gps_node;
pub mod gps_report;
pub mod gps_world;
pub mod metrics;
pub mod network;
pub mod oscillator;
pub mod plot;
pub mod rng;
pub mod scenario;
pub mod server;
pub mod system_node;
pub mod world;

pub use client::SimClient;
pub use metrics::{Metrics, Summary};
pub use scenario::{Leap, Scenario};
pub use world::{ClientRun, RunOptions, run_client, run_with};
