//! Associations: one per remote, the per-peer half of RFC 5905.
//!
//! Owns the clock filter ([`filter`]), the reachability register ([`reach`]) and
//! the poll timer ([`poll`]).

pub mod filter;
pub mod poll;
pub mod reach;

pub use filter::{ClockFilter, FilterOutcome, FilterOutput};
pub use poll::{PollConfig, PollEvent, PollTimer};
pub use reach::Reach;
