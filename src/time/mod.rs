//! Time types shared by the whole crate, the ground floor: it imports
//! nothing else from sundial.
//!
//! - [`NtpDuration`]: signed span / offset in 2^-32 s (saturating).
//! - [`NtpTimestamp`]: the era-less 64-bit wire timestamp (32.32 s).
//! - [`NtpTime`]: era-aware instant, seconds since 1900 (`i64`) + 2^-32 s.
//! - [`NtpShort`]: unsigned 16.16 s (root delay / dispersion on the wire).
//! - [`PollInterval`]: poll exponent in log2 s.
//! - [`Frequency`]: fractional frequency offset in 2^-32 ppm.
//!
//! No floating point, no panics: every operation is exact or saturates.

pub(crate) mod decimal;
mod duration;
mod frequency;
mod poll;
mod short;
mod timestamp;

pub use decimal::ParseDecimalError;
pub use duration::NtpDuration;
pub(crate) use duration::saturate;
pub use frequency::Frequency;
pub use poll::PollInterval;
pub use short::NtpShort;
pub use timestamp::{NtpTime, NtpTimestamp, UNIX_EPOCH_OFFSET_SECONDS};
