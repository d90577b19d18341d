//! The NTP wire format, smoltcp style: zero-copy views (`Packet<T>`) that
//! check lengths once, and owned or borrowed reprs with `parse` / `emit`.
//! Stateless; never panics, never allocates. Imports only `time`.
//!
//! - [`header`]: the 48-byte header, [`LeapIndicator`], [`Mode`].
//! - [`refid`]: reference ids and [`KissCode`]s.
//! - [`extension`]: RFC 7822 extension fields (iterator and writer).
//! - [`mac`]: the MAC trailer and the extension-field-vs-MAC rule.
//! - [`packet`]: a whole mode 0–5 packet, [`NtpPacket`].
//! - [`control`]: mode 6 control messages, [`ControlRepr`].

mod bytes;
pub mod control;
mod error;
pub mod extension;
pub mod header;
pub mod mac;
pub mod packet;
pub mod refid;

pub use control::{CONTROL_HEADER_LEN, ControlPacket, ControlRepr, Opcode};
pub use error::{Error, Result};
pub use extension::{ExtensionField, ExtensionWriter, Extensions};
pub use header::{HEADER_LEN, HeaderRepr, LeapIndicator, Mode, Packet};
pub use mac::{Mac, split_trailer};
pub use packet::NtpPacket;
pub use refid::{KissCode, RefId};

/// The mode of a datagram from its first byte (`Truncated` if empty), to
/// choose between [`NtpPacket`] and [`ControlRepr`].
pub fn peek_mode(bytes: &[u8]) -> Result<Mode> {
    bytes
        .first()
        .map(|b| Mode::from_bits(*b))
        .ok_or(Error::Truncated)
}
