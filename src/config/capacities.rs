//! Fixed capacities of the configuration types (bytes or entries).
//!
//! The per-deployment capacities (servers, restrict entries, trusted keys) are const generics
//! of [`Config`](super::Config); the small ones below are the same for every build. Input that
//! does not fit is a typed error ([`ErrorKind::TooLong`](super::ErrorKind::TooLong) or
//! [`ErrorKind::TooMany`](super::ErrorKind::TooMany)), never silently cut.

/// Host names (`server`, `peer`, `pool`): bytes. RFC 1035 allows 253; real NTP servers are short.
pub const HOSTNAME_LEN: usize = 64;
/// File paths (`driftfile`, `keys`, `logfile`, `statsdir`): bytes.
pub const PATH_LEN: usize = 96;
/// File names in `filegen ... file NAME`: bytes.
pub const FILEGEN_NAME_LEN: usize = 32;
/// `filegen` lines.
pub const MAX_FILEGENS: usize = 8;
/// `setvar` lines.
pub const MAX_SETVARS: usize = 4;
/// `setvar` variable names: bytes.
pub const SETVAR_NAME_LEN: usize = 16;
/// `setvar` values: bytes.
pub const SETVAR_VALUE_LEN: usize = 48;
/// `logconfig` items over the whole file.
pub const MAX_LOGCONFIG: usize = 8;
/// `interface` / `nic` rules.
pub const MAX_INTERFACE_RULES: usize = 4;
/// Interface names in `interface listen eth0`: bytes.
pub const INTERFACE_NAME_LEN: usize = 16;
/// Reference clock device path overrides (`device`, ntpsec `path`/`ppspath`): paths.
pub const MAX_DEVICE_PATHS: usize = 4;
/// Reference clock device path overrides: bytes of all paths together.
pub const DEVICE_TEXT_LEN: usize = 160;
/// Warnings kept per parsed file (further ones are only counted).
pub const MAX_WARNINGS: usize = 8;
/// Input words quoted in error messages: bytes.
pub const SNIPPET_LEN: usize = 32;
