//! Memory for interleaved server mode: which receive timestamp we gave each
//! client, and the precise transmit time of that reply.
//!
//! Interleaved mode (as chrony's `xleave` client uses it): a client sends,
//! in its request's origin field, the receive timestamp of our previous
//! reply to it. If we still know that reply, we answer with origin = the
//! request's receive field (the client's cookie), receive = now, and
//! transmit = the precise (e.g. kernel) transmit time of that previous
//! reply, which we could not know when we sent it.
//!
//! Bounded memory: a fixed table of `N` entries keyed by client IP address
//! and receive timestamp. The port is not part of the key: chrony sends each
//! request from a new source port. One entry per IP address (a newer reply
//! replaces the older, so clients behind one NAT address interleave only
//! while they take turns); a new address takes the slots round robin (FIFO
//! eviction). A flood of addresses only pushes clients back to basic mode,
//! never to a wrong timestamp: a hit needs both the address and the 64-bit
//! receive timestamp to match.

use core::net::{IpAddr, SocketAddr};

use crate::time::NtpTimestamp;

/// One remembered reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    client: IpAddr,
    /// The receive timestamp we put in the reply (our request rx time).
    receive: NtpTimestamp,
    /// The precise transmit time of that reply, once the driver reports it.
    transmit: Option<NtpTimestamp>,
}

/// Fixed-capacity table for interleaved server mode (see module docs).
/// `N` entries of 56 bytes each (64-bit targets).
#[derive(Debug, Clone)]
pub struct InterleaveTable<const N: usize> {
    entries: [Option<Entry>; N],
    /// Next slot a new address takes.
    next: usize,
}

impl<const N: usize> Default for InterleaveTable<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> InterleaveTable<N> {
    /// An empty table.
    pub const fn new() -> Self {
        InterleaveTable {
            entries: [None; N],
            next: 0,
        }
    }

    /// Remembers that we answered `client` with receive timestamp `receive`
    /// (transmit time not known yet).
    pub fn record_reply(&mut self, client: SocketAddr, receive: NtpTimestamp) {
        let client = client.ip();
        let entry = Some(Entry {
            client,
            receive,
            transmit: None,
        });
        if let Some(slot) = self
            .entries
            .iter_mut()
            .find(|e| e.is_some_and(|e| e.client == client))
        {
            *slot = entry;
            return;
        }
        if let Some(slot) = self.entries.get_mut(self.next) {
            *slot = entry;
        }
        self.next = if self.next + 1 >= N { 0 } else { self.next + 1 };
    }

    /// Records the precise transmit time of the reply to `client` that
    /// carried receive timestamp `receive`. Ignored if forgotten meanwhile,
    /// and when `transmit == receive` (a reply never stamped at send time:
    /// a basic client echoing that transmit as its origin would otherwise
    /// look interleaved).
    pub fn record_transmit(
        &mut self,
        client: SocketAddr,
        receive: NtpTimestamp,
        transmit: NtpTimestamp,
    ) {
        if transmit == receive {
            return;
        }
        if let Some(Some(e)) = self
            .entries
            .iter_mut()
            .find(|e| e.is_some_and(|e| e.client == client.ip() && e.receive == receive))
        {
            e.transmit = Some(transmit);
        }
    }

    /// The precise transmit time of our reply to `client` that carried
    /// receive timestamp `receive`, if known.
    pub fn previous_transmit(
        &self,
        client: SocketAddr,
        receive: NtpTimestamp,
    ) -> Option<NtpTimestamp> {
        if receive.is_zero() {
            return None;
        }
        self.entries
            .iter()
            .flatten()
            .find(|e| e.client == client.ip() && e.receive == receive)
            .and_then(|e| e.transmit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(i: u16) -> SocketAddr {
        SocketAddr::from(([192, 0, 2, i as u8], 1000 + i))
    }

    #[test]
    fn remembers_and_evicts_round_robin() {
        let mut t = InterleaveTable::<4>::new();
        let rx = NtpTimestamp::from_bits(0x1_0000_0000);
        let tx = NtpTimestamp::from_bits(0x1_0000_1000);
        t.record_reply(addr(0), rx);
        assert_eq!(
            t.previous_transmit(addr(0), rx),
            None,
            "transmit not known yet"
        );
        t.record_transmit(addr(0), rx, tx);
        assert_eq!(t.previous_transmit(addr(0), rx), Some(tx));
        assert_eq!(t.previous_transmit(addr(1), rx), None, "other address");
        let other_port = SocketAddr::from(([192, 0, 2, 0], 5555));
        assert_eq!(
            t.previous_transmit(other_port, rx),
            Some(tx),
            "chrony changes ports"
        );
        assert_eq!(t.previous_transmit(addr(0), tx), None, "other timestamp");
        // The same client replaces its entry in place.
        t.record_reply(addr(0), tx);
        assert_eq!(t.previous_transmit(addr(0), rx), None);
        for i in 1..=4 {
            t.record_reply(addr(i), rx);
        }
        assert!(
            t.entries.iter().flatten().all(|e| e.client != addr(0).ip()),
            "evicted"
        );
    }
}
