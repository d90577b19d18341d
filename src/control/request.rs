//! An accepted mode 6 request: parsed, size-checked and authenticated.
//!
//! Owns the decision whether a mode 6 datagram is a request we answer at
//! all (silently dropping responses, fragments and junk), the copy of its
//! variable list, and the check of its MAC against the `controlkey`. It
//! does not build replies.

use heapless::Vec;

use crate::auth::{Key, KeyId};
use crate::wire::{CONTROL_HEADER_LEN, ControlRepr, Opcode};

/// Most data bytes one mode 6 fragment carries (RFC 9327; ntpd's limit).
pub const MAX_FRAGMENT_DATA: usize = 468;

/// Why a mode 6 datagram gets no answer at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum RequestError {
    /// Not a well-formed mode 6 message (see `wire::ControlRepr::parse`).
    Malformed(crate::wire::Error),
    /// The response, error or more bit is set, or the offset is non-zero:
    /// not a request we answer.
    NotARequest,
    /// A MAC is present but does not verify with the control key (or there
    /// is no control key): silence, like ntpd and chrony.
    BadAuthentication,
}

/// A mode 6 request the responder will answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlRequest {
    /// Version number of the request (mirrored in the reply).
    pub version: u8,
    /// Operation.
    pub opcode: Opcode,
    /// Sequence number (mirrored).
    pub sequence: u16,
    /// Association ID asked about, 0 for the system.
    pub association_id: u16,
    /// The request's data (a variable list), cut to one fragment.
    pub data: Vec<u8, MAX_FRAGMENT_DATA>,
    /// Whether the variable list is longer than one fragment (answered
    /// with a format error).
    pub bad_format: bool,
    /// The key the request was authenticated with, if it carried a valid MAC.
    pub key: Option<KeyId>,
    /// Size of the request datagram, bytes (the amplification budget).
    pub request_len: usize,
}

impl ControlRequest {
    /// Parses a mode 6 datagram. `control_key` is the `controlkey`, the
    /// only key mode 6 MACs are checked against; a request with a MAC that
    /// does not verify is dropped.
    ///
    /// The MAC, as ntpq sends it, follows header + data padded to a
    /// multiple of 8 bytes: key ID (4 bytes) and digest.
    ///
    /// Unlike replies, requests may omit the padding of their data to a
    /// multiple of 4 bytes (ntpd accepts that too).
    pub fn parse(bytes: &[u8], control_key: Option<&Key>) -> Result<Self, RequestError> {
        let mut padded = [0u8; CONTROL_HEADER_LEN + MAX_FRAGMENT_DATA];
        let repr = match ControlRepr::parse(bytes) {
            Ok(repr) => repr,
            Err(e) => {
                // Retry once with zero padding appended, if it fits one fragment.
                let n = bytes.len();
                // Never for less than a header: even an error reply would
                // then be larger than the request.
                let fits = n > CONTROL_HEADER_LEN && n % 4 != 0 && (n + 3) & !3 <= padded.len();
                let Some(dst) = padded.get_mut(..n).filter(|_| fits) else {
                    return Err(RequestError::Malformed(e));
                };
                dst.copy_from_slice(bytes);
                let repr = ControlRepr::parse(padded.get(..(n + 3) & !3).unwrap_or(&[]));
                repr.map_err(|_| RequestError::Malformed(e))?
            }
        };
        if repr.response || repr.error || repr.more || repr.offset != 0 {
            return Err(RequestError::NotARequest);
        }
        let bad_format = repr.data.len() > MAX_FRAGMENT_DATA;
        let mut data = Vec::new();
        let take = repr.data.len().min(MAX_FRAGMENT_DATA);
        let _ = data.extend_from_slice(repr.data.get(..take).unwrap_or(&[]));
        let key = match repr.mac {
            None => None,
            Some(mac) => {
                let signed = bytes.get(..repr.mac_offset()).unwrap_or(&[]);
                match control_key {
                    Some(k) if k.id() == KeyId(mac.key_id) && k.verify(signed, mac.digest) => {
                        Some(k.id())
                    }
                    _ => return Err(RequestError::BadAuthentication),
                }
            }
        };
        Ok(ControlRequest {
            version: repr.version,
            opcode: repr.opcode,
            sequence: repr.sequence,
            association_id: repr.association_id,
            data,
            bad_format,
            key,
            request_len: bytes.len(),
        })
    }

    /// Whether the request was authenticated with the control key.
    pub fn is_authenticated(&self) -> bool {
        self.key.is_some()
    }

    /// The variable names asked for, in order (empty: "all"). Values
    /// (`name=value`) and surrounding white space are ignored.
    pub fn variable_names(&self) -> impl Iterator<Item = &str> {
        self.data
            .split(|&b| b == b',')
            .filter_map(|item| {
                let name = item.split(|&b| b == b'=').next().unwrap_or(&[]);
                core::str::from_utf8(name).ok()
            })
            .map(|s| s.trim_matches(|c: char| c.is_ascii_whitespace() || c == '\0'))
            .filter(|s| !s.is_empty())
    }
}
