//! The one error type of the wire layer. Every parser in `wire` returns it;
//! each variant says what was wrong with the bytes, never panics.

use core::fmt;

/// Why bytes could not be parsed as (or emitted into) an NTP message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error {
    /// Fewer bytes than the fixed part of the message needs.
    Truncated,
    /// The output buffer is smaller than `buffer_len()`.
    BufferTooSmall,
    /// Version number 0 or 5–7 (only 1–4 exist).
    UnsupportedVersion(u8),
    /// The mode is not allowed here: a mode field in an NTPv1 packet (which
    /// has none), mode 6/7 given to the 48-byte header parser, or a non-control
    /// mode given to the control parser.
    BadMode(u8),
    /// Bytes follow the header in a way no rule explains: not an extension
    /// field, not a MAC (carries the length of the unexplained trailer).
    BadTrailer(usize),
    /// An extension field's length is below 16, not a multiple of 4, or runs
    /// past the end of the packet.
    BadExtensionLength(u16),
    /// Extension fields in a packet of version 1–3 (they are NTPv4 only).
    ExtensionsNotAllowed,
    /// The layout would be read back differently: an extension field where a
    /// MAC is expected (20 or 24 bytes left), or a MAC key id that reads as an
    /// extension field header.
    AmbiguousTrailer,
    /// A MAC whose digest is not 16, 20 or 32 bytes (or, in a 4-byte crypto-NAK, 0).
    BadMacLength(usize),
    /// A mode 6 message whose count runs past the end of the datagram.
    BadCount(u16),
    /// Mode 6 padding given to `emit` with the wrong length.
    BadPadding,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Truncated => f.write_str("truncated packet"),
            Error::BufferTooSmall => f.write_str("output buffer too small"),
            Error::UnsupportedVersion(v) => write!(f, "unsupported NTP version {v}"),
            Error::BadMode(m) => write!(f, "mode {m} not allowed here"),
            Error::BadTrailer(n) => write!(f, "{n} unexplained bytes after header"),
            Error::BadExtensionLength(n) => write!(f, "bad extension field length {n}"),
            Error::ExtensionsNotAllowed => f.write_str("extension fields need NTPv4"),
            Error::AmbiguousTrailer => f.write_str("extension field / MAC ambiguity"),
            Error::BadMacLength(n) => write!(f, "bad MAC digest length {n}"),
            Error::BadCount(n) => write!(f, "mode 6 count {n} past end of packet"),
            Error::BadPadding => f.write_str("bad padding length"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}

/// Result alias for the wire layer.
pub type Result<T> = core::result::Result<T, Error>;
