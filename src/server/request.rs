//! A client (mode 3) or symmetric-active (mode 1) request, as the server
//! accepts it: parsed, size-checked, and its MAC checked.
//!
//! Owns the decision "answer, or stay silent" as far as the packet itself
//! goes: too short or malformed, not a request, crypto-NAK, or a MAC that
//! does not verify with a trusted key all mean silence (no crypto-NAK is
//! ever sent, like ntpd and chrony). Access control is not here.

use crate::auth::{AuthError, KeyId, KeyTable};
use crate::wire::{self, HeaderRepr, Mode, NtpPacket};

/// Why a request gets no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ServerRequestError {
    /// Not a well-formed NTP packet, e.g. shorter than the 48-byte header
    /// (answering it would amplify).
    Malformed(wire::Error),
    /// Not mode 1 or 3.
    NotARequest,
    /// A MAC that is not from a trusted key or does not verify, or a
    /// crypto-NAK: silence.
    BadAuthentication(AuthError),
    /// The output buffer is shorter than `MAX_SERVER_PACKET_LEN` (a caller bug).
    BufferTooSmall,
}

/// An accepted request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientRequest {
    /// The request's header.
    pub header: HeaderRepr,
    /// Size of the request datagram, bytes.
    pub len: usize,
    /// The trusted key the request was authenticated with.
    pub key: Option<KeyId>,
}

impl ClientRequest {
    /// Parses and authenticates a request (header, NTPv4 extension fields
    /// and MAC as `wire::NtpPacket` splits them; extension fields are
    /// covered by the MAC but otherwise ignored).
    pub fn parse<const N: usize>(
        bytes: &[u8],
        keys: &KeyTable<N>,
    ) -> Result<Self, ServerRequestError> {
        let packet = NtpPacket::parse(bytes).map_err(ServerRequestError::Malformed)?;
        Self::from_packet(&packet, bytes, keys)
    }

    /// Accepts a request already parsed into `packet` from the datagram
    /// `bytes` (its MAC input comes from there): checks the mode and the MAC.
    /// For a caller that parsed the packet to sort it (the system's receive
    /// path), so a request is parsed once.
    pub fn from_packet<const N: usize>(
        packet: &NtpPacket<'_>,
        bytes: &[u8],
        keys: &KeyTable<N>,
    ) -> Result<Self, ServerRequestError> {
        let header = packet.header;
        if header.mode != Mode::Client && header.mode != Mode::SymmetricActive {
            return Err(ServerRequestError::NotARequest);
        }
        let key = match packet.mac {
            None => None,
            Some(mac) if mac.is_crypto_nak() => {
                return Err(ServerRequestError::BadAuthentication(AuthError::CryptoNak));
            }
            Some(mac) => Some(
                keys.verify(packet.mac_input(bytes), KeyId(mac.key_id), mac.digest)
                    .map_err(ServerRequestError::BadAuthentication)?,
            ),
        };
        Ok(ClientRequest {
            header,
            len: bytes.len(),
            key,
        })
    }

    /// The mode of our reply: server (4) to a client, symmetric passive (2)
    /// to a symmetric-active peer.
    pub fn reply_mode(&self) -> Mode {
        if self.header.mode == Mode::SymmetricActive {
            Mode::SymmetricPassive
        } else {
            Mode::Server
        }
    }
}
