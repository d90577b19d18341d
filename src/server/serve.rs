//! [`Server`]: answers NTP requests, in basic or interleaved mode.
//!
//! Owns the per-request flow after access control said "serve": accept the
//! request (size, mode, MAC), pick basic or interleaved mode, build the
//! reply, and remember what interleaved mode needs. The caller (the system)
//! asks `access` first and uses [`Server::kod`] or silence when told to.

use core::net::SocketAddr;

use crate::auth::KeyTable;
use crate::server::SystemVariables;
use crate::server::interleave::InterleaveTable;
use crate::server::reply::{BuiltPacket, MAX_SERVER_PACKET_LEN, build_kod, build_reply};
use crate::server::request::{ClientRequest, ServerRequestError};
use crate::time::{NtpTime, NtpTimestamp};
use crate::wire::{KissCode, Mode};

/// The NTP server; `N` = interleaved-mode table entries (32 bytes each;
/// 0 disables interleaved mode).
#[derive(Debug, Clone, Default)]
pub struct Server<const N: usize> {
    interleave: InterleaveTable<N>,
}

impl<const N: usize> Server<N> {
    /// A server with an empty interleave table.
    // Out of line: the table is built straight into the caller's value.
    #[inline(never)]
    pub const fn new() -> Self {
        Server {
            interleave: InterleaveTable::new(),
        }
    }

    /// Answers the request `bytes` from `from`, received at `rx_time`
    /// (the best receive timestamp available), into `out` (at least
    /// `MAX_SERVER_PACKET_LEN` bytes).
    ///
    /// Authenticated requests (MAC with a trusted key of `keys`) get a reply
    /// signed with the same key; a bad MAC gets silence (the error).
    /// A client request whose origin field names our previous reply to it
    /// gets an interleaved reply (chrony `xleave`), otherwise a basic one.
    ///
    /// If `stamp_at_send` is set in the result, call
    /// `server::stamp_transmit` right before sending; afterwards report the
    /// precise transmit time with [`Server::transmitted`].
    pub fn reply<const K: usize>(
        &mut self,
        bytes: &[u8],
        from: SocketAddr,
        rx_time: NtpTime,
        sys: &SystemVariables,
        keys: &KeyTable<K>,
        out: &mut [u8],
    ) -> Result<BuiltPacket, ServerRequestError> {
        let req = ClientRequest::parse(bytes, keys)?;
        self.reply_to(&req, from, rx_time, sys, keys, out)
    }

    /// [`reply`](Self::reply) for a request already accepted with
    /// [`ClientRequest::parse`] or [`ClientRequest::from_packet`] (whose
    /// `keys` must be the table it was authenticated with).
    pub fn reply_to<const K: usize>(
        &mut self,
        req: &ClientRequest,
        from: SocketAddr,
        rx_time: NtpTime,
        sys: &SystemVariables,
        keys: &KeyTable<K>,
        out: &mut [u8],
    ) -> Result<BuiltPacket, ServerRequestError> {
        if out.len() < MAX_SERVER_PACKET_LEN {
            return Err(ServerRequestError::BufferTooSmall);
        }
        let key = req.key.and_then(|id| keys.trusted(id));
        let h = &req.header;
        let previous = if h.mode == Mode::Client && h.origin_timestamp != h.transmit_timestamp {
            self.interleave.previous_transmit(from, h.origin_timestamp)
        } else {
            None
        };
        let built = build_reply(req, sys, rx_time, previous, key, out)
            .ok_or(ServerRequestError::BufferTooSmall)?;
        if N > 0 && req.header.mode == Mode::Client {
            self.interleave.record_reply(from, built.receive);
        }
        Ok(built)
    }

    /// Answers the request `bytes` with a kiss-o'-death `code` (when access
    /// control says so). Requests with a bad MAC still get silence.
    pub fn kod<const K: usize>(
        &self,
        bytes: &[u8],
        code: KissCode,
        keys: &KeyTable<K>,
        out: &mut [u8],
    ) -> Result<BuiltPacket, ServerRequestError> {
        let req = ClientRequest::parse(bytes, keys)?;
        self.kod_to(&req, code, out)
    }

    /// [`kod`](Self::kod) for a request already accepted.
    pub fn kod_to(
        &self,
        req: &ClientRequest,
        code: KissCode,
        out: &mut [u8],
    ) -> Result<BuiltPacket, ServerRequestError> {
        build_kod(req, code, out).ok_or(ServerRequestError::BufferTooSmall)
    }

    /// Reports the precise time the reply to `to` carrying receive
    /// timestamp `receive` (from [`BuiltPacket::receive`]) left the host,
    /// for the next interleaved reply.
    pub fn transmitted(&mut self, to: SocketAddr, receive: NtpTimestamp, tx_time: NtpTime) {
        self.interleave
            .record_transmit(to, receive, tx_time.to_timestamp());
    }
}
