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
//! while they take turns).
//!
//! Every request touches the table, so a lookup must not scan it: the
//! table is two-way set associative. A hash of the address picks a pair of
//! entries; the address lives in one of them or nowhere. A new address
//! takes a free entry of its pair, else evicts one of the two (alternating).
//! A flood of addresses only pushes clients back to basic mode, never to a
//! wrong timestamp: a hit needs both the address and the 64-bit receive
//! timestamp to match.

use core::net::{IpAddr, SocketAddr};

use crate::time::NtpTimestamp;

/// One remembered reply; `receive` zero = a free entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    /// The client's address as 128 bits (IPv4 as its IPv4-mapped IPv6 form).
    client: u128,
    /// The receive timestamp we put in the reply (our request rx time).
    receive: NtpTimestamp,
    /// The precise transmit time of that reply once the driver reports it;
    /// zero while unknown.
    transmit: NtpTimestamp,
}

const FREE: Entry = Entry {
    client: 0,
    receive: NtpTimestamp::ZERO,
    transmit: NtpTimestamp::ZERO,
};

/// Entries per set.
const WAYS: usize = 2;

/// The table's key of a client: its IP address as 128 bits (the port is
/// not part of it). Out of line on 32-bit targets: used in three places.
#[cfg_attr(target_pointer_width = "32", inline(never))]
fn key(client: SocketAddr) -> u128 {
    match client.ip() {
        IpAddr::V4(a) => u128::from(a.to_ipv6_mapped()),
        IpAddr::V6(a) => u128::from(a),
    }
}

/// Fixed-capacity table for interleaved server mode (see module docs).
/// `N` entries of 32 bytes each (0 disables it; an odd last entry is unused).
#[derive(Debug, Clone)]
pub struct InterleaveTable<const N: usize> {
    entries: [Entry; N],
    /// Which way of a full set the next new address evicts.
    victim: usize,
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
            // One constant array: a memset into the caller's value, not a
            // temporary filled entry by entry and copied (see RateLimiter::new).
            entries: const { [FREE; N] },
            victim: 0,
        }
    }

    /// The set (up to two entries) where `client` may live.
    fn set(&self, client: u128) -> &[Entry] {
        let index = Self::set_start(client);
        self.entries
            .get(index..)
            .unwrap_or(&[])
            .get(..WAYS.min(N))
            .unwrap_or(&[])
    }

    fn set_mut(&mut self, client: u128) -> &mut [Entry] {
        let index = Self::set_start(client);
        let set = self.entries.get_mut(index..).unwrap_or(&mut []);
        let len = set.len().min(WAYS);
        set.get_mut(..len).unwrap_or(&mut [])
    }

    /// Index of the first entry of `client`'s set.
    // Out of line on 32-bit targets: a 64-bit multiply and remainder, used
    // by both `set` and `set_mut`.
    #[cfg_attr(target_pointer_width = "32", inline(never))]
    fn set_start(client: u128) -> usize {
        let sets = N / WAYS;
        if sets <= 1 {
            return 0;
        }
        // Fold to 64 bits, then a multiplicative hash (the top bits mix all).
        let folded = (client as u64) ^ ((client >> 64) as u64);
        let h = folded.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
        // `sets` fits in u64 and the remainder is below it: both casts are exact.
        (h % sets as u64) as usize * WAYS
    }

    /// Remembers that we answered `client` with receive timestamp `receive`
    /// (transmit time not known yet).
    pub fn record_reply(&mut self, client: SocketAddr, receive: NtpTimestamp) {
        let client = key(client);
        let entry = Entry {
            client,
            receive,
            transmit: NtpTimestamp::ZERO,
        };
        let victim = self.victim;
        let set = self.set_mut(client);
        let same = set
            .iter()
            .position(|e| e.client == client && !e.receive.is_zero());
        let free = set.iter().position(|e| e.receive.is_zero());
        let evicted = same.is_none() && free.is_none();
        let way = same.or(free).unwrap_or(victim % WAYS);
        if let Some(slot) = set.get_mut(way) {
            *slot = entry;
        }
        if evicted {
            self.victim = self.victim.wrapping_add(1);
        }
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
        if transmit == receive || receive.is_zero() {
            return;
        }
        let client = key(client);
        if let Some(e) = self
            .set_mut(client)
            .iter_mut()
            .find(|e| e.client == client && e.receive == receive)
        {
            e.transmit = transmit;
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
        let client = key(client);
        self.set(client)
            .iter()
            .find(|e| e.client == client && e.receive == receive)
            .map(|e| e.transmit)
            .filter(|t| !t.is_zero())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(i: u16) -> SocketAddr {
        SocketAddr::from(([192, 0, 2, i as u8], 1000 + i))
    }

    #[test]
    fn remembers_and_evicts() {
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
        // A flood of other addresses evicts it.
        for i in 1..=64 {
            t.record_reply(addr(i), rx);
        }
        assert!(
            t.entries.iter().all(|e| e.client != key(addr(0))),
            "evicted"
        );
    }

    #[test]
    fn every_address_finds_its_entry_until_its_set_overflows() {
        let mut t = InterleaveTable::<64>::new();
        let rx = |i: u32| NtpTimestamp::from_bits(0x1_0000_0000 + u64::from(i));
        let tx = |i: u32| NtpTimestamp::from_bits(0x2_0000_0000 + u64::from(i));
        let ip = |i: u32| SocketAddr::from((core::net::Ipv4Addr::from(0x0a00_0000 + i), 123));
        // 20 clients fit in 32 sets of two (unless three hash to one set).
        for i in 0..20 {
            t.record_reply(ip(i), rx(i));
            t.record_transmit(ip(i), rx(i), tx(i));
        }
        let found = (0..20)
            .filter(|&i| t.previous_transmit(ip(i), rx(i)) == Some(tx(i)))
            .count();
        assert!(found >= 18, "{found} of 20 remembered");
        // Never a wrong answer: other timestamps, other addresses.
        for i in 0..20 {
            assert_eq!(t.previous_transmit(ip(i), rx(i + 1)), None);
            assert_eq!(t.previous_transmit(ip(i + 100), rx(i)), None);
        }
        // IPv6 and IPv4 keep apart; a table of 0 or 1 entries works.
        let v6 = SocketAddr::from(([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1], 123));
        t.record_reply(v6, rx(7));
        t.record_transmit(v6, rx(7), tx(9));
        assert_eq!(t.previous_transmit(v6, rx(7)), Some(tx(9)));
        let mut none = InterleaveTable::<0>::new();
        none.record_reply(ip(1), rx(1));
        none.record_transmit(ip(1), rx(1), tx(1));
        assert_eq!(none.previous_transmit(ip(1), rx(1)), None);
        let mut one = InterleaveTable::<1>::new();
        one.record_reply(ip(1), rx(1));
        one.record_transmit(ip(1), rx(1), tx(1));
        assert_eq!(one.previous_transmit(ip(1), rx(1)), Some(tx(1)));
        one.record_reply(ip(2), rx(2));
        assert_eq!(one.previous_transmit(ip(1), rx(1)), None);
    }
}
