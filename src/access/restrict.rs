//! The `restrict` list: address/mask entries with ntpd's restriction flags,
//! looked up by a packet's source address. The most specific match wins:
//! the entry with the largest mask (numerically, so for ordinary masks the
//! longest prefix); for equal masks an `ntpport` entry beats one without.
//! IPv4 and IPv6 have separate defaults (`restrict default` sets both,
//! `restrict -4 default` / `-6 default` one). IPv4-mapped IPv6 sources
//! (`::ffff:a.b.c.d`) are matched as IPv4.
//!
//! This file owns the table and the match; what the flags mean for a given
//! request is decided in [`super`]. Fixed capacity `N`, no allocation. The
//! flags type is the config parser's ([`RestrictFlags`], every ntpd 4.2.8
//! flag); `flake` (drop 10 % for testing) and `mssntp` have no effect here.

use core::net::{IpAddr, SocketAddr};

pub use crate::config::{AddressFamily, RestrictFlags};
use crate::config::{Restrict, RestrictTarget};

/// Why an entry could not be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum RestrictError {
    /// The table holds `N` entries already.
    Full,
    /// Address and mask are of different families (IPv4 vs IPv6).
    FamilyMismatch,
    /// Prefix length above 32 (IPv4) or 128 (IPv6).
    PrefixTooLong,
}

impl core::fmt::Display for RestrictError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            RestrictError::Full => "restrict list is full",
            RestrictError::FamilyMismatch => "address and mask are of different families",
            RestrictError::PrefixTooLong => "prefix length too long for the address family",
        })
    }
}

/// One `restrict ADDRESS mask MASK FLAGS` entry. Addresses and masks are
/// kept as 128-bit values; an IPv4 entry uses the low 32 bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestrictEntry {
    /// True for an IPv6 entry.
    pub v6: bool,
    /// The address, already ANDed with the mask.
    pub addr: u128,
    /// The mask (need not be contiguous, as in ntpd).
    pub mask: u128,
    /// The flags (with [`RestrictFlags::NTPPORT`] as a match condition).
    pub flags: RestrictFlags,
}

impl RestrictEntry {
    fn matches(&self, v6: bool, addr: u128, port: u16) -> bool {
        self.v6 == v6
            && addr & self.mask == self.addr
            && (!self.flags.contains(RestrictFlags::NTPPORT) || port == 123)
    }

    /// Specificity: bigger mask first, then `ntpport` entries.
    fn rank(&self) -> (u128, bool) {
        (self.mask, self.flags.contains(RestrictFlags::NTPPORT))
    }
}

/// Splits an address into (is IPv6, value), treating IPv4-mapped IPv6 as IPv4.
pub(crate) fn ip_key(ip: IpAddr) -> (bool, u128) {
    match ip.to_canonical() {
        IpAddr::V4(a) => (false, u128::from(u32::from(a))),
        IpAddr::V6(a) => (true, u128::from(a)),
    }
}

/// The mask of a `len`-bit prefix, as [`ip_key`] values; an error if `len`
/// is longer than the address. Out of line: 128-bit shifts are ~140 bytes
/// of Thumb code.
#[inline(never)]
pub(crate) fn prefix_mask(v6: bool, len: u8) -> Result<u128, RestrictError> {
    let bits = if v6 { 128u32 } else { 32 };
    let len = u32::from(len);
    if len > bits {
        return Err(RestrictError::PrefixTooLong);
    }
    let all: u128 = if v6 { u128::MAX } else { u128::from(u32::MAX) };
    Ok(all.checked_shl(bits - len).map_or(0, |m| m & all))
}

/// The restriction table: up to `N` address/mask entries plus the two
/// defaults. Default flags are [`RestrictFlags::NOMODIFY`] for both
/// families (mode 6 writes refused unless configured otherwise).
#[derive(Debug, Clone)]
pub struct RestrictList<const N: usize> {
    default_v4: RestrictFlags,
    default_v6: RestrictFlags,
    entries: heapless::Vec<RestrictEntry, N>,
}

impl<const N: usize> Default for RestrictList<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> RestrictList<N> {
    /// An empty list with `nomodify` defaults.
    pub const fn new() -> Self {
        RestrictList {
            default_v4: RestrictFlags::NOMODIFY,
            default_v6: RestrictFlags::NOMODIFY,
            entries: heapless::Vec::new(),
        }
    }

    /// `restrict [-4|-6] default FLAGS`: replaces the default flags of one
    /// family, or of both for `None`.
    pub fn set_default(&mut self, family: Option<AddressFamily>, flags: RestrictFlags) {
        if family != Some(AddressFamily::V6) {
            self.default_v4 = flags;
        }
        if family != Some(AddressFamily::V4) {
            self.default_v6 = flags;
        }
    }

    /// The default flags for IPv4 (`false`) or IPv6 (`true`).
    pub fn default_flags(&self, v6: bool) -> RestrictFlags {
        if v6 { self.default_v6 } else { self.default_v4 }
    }

    /// `restrict ADDRESS/LEN FLAGS`. A prefix of 0 is a second default.
    pub fn add_prefix(
        &mut self,
        addr: IpAddr,
        prefix_len: u8,
        flags: RestrictFlags,
    ) -> Result<(), RestrictError> {
        let (v6, value) = ip_key(addr);
        let mask = prefix_mask(v6, prefix_len)?;
        self.insert(v6, value, mask, flags)
    }

    /// `restrict ADDRESS mask MASK FLAGS` (ntpd form; the mask need not be
    /// contiguous). Without a mask ntpd means a host entry: use
    /// [`RestrictList::add_prefix`] with 32 or 128.
    pub fn add_masked(
        &mut self,
        addr: IpAddr,
        mask: IpAddr,
        flags: RestrictFlags,
    ) -> Result<(), RestrictError> {
        let (v6, value) = ip_key(addr);
        // The mask is not canonicalized: an IPv6 mask stays IPv6.
        let (mv6, mask) = match mask {
            IpAddr::V4(m) => (false, u128::from(u32::from(m))),
            IpAddr::V6(m) => (true, u128::from(m)),
        };
        if v6 != mv6 {
            return Err(RestrictError::FamilyMismatch);
        }
        self.insert(v6, value, mask, flags)
    }

    /// Builds the list from parsed `restrict` lines, in file order.
    /// `restrict source` lines are not address entries: their flags are
    /// returned for the caller to apply with [`RestrictList::add_prefix`]
    /// to each association's address (host entry) as it is made.
    pub fn from_config(lines: &[Restrict]) -> Result<(Self, Option<RestrictFlags>), RestrictError> {
        let mut list = Self::new();
        let mut source = None;
        for line in lines {
            match line.target {
                RestrictTarget::Default(family) => list.set_default(family, line.flags),
                RestrictTarget::Source => source = Some(line.flags),
                RestrictTarget::Address {
                    address,
                    mask: Some(mask),
                } => list.add_masked(address, mask, line.flags)?,
                RestrictTarget::Address {
                    address,
                    mask: None,
                } => {
                    let len = if ip_key(address).0 { 128 } else { 32 };
                    list.add_prefix(address, len, line.flags)?;
                }
            }
        }
        Ok((list, source))
    }

    /// Adds an entry; an existing identical address/mask/`ntpport` entry
    /// gets the new flags ORed in, as ntpd does.
    fn insert(
        &mut self,
        v6: bool,
        addr: u128,
        mask: u128,
        flags: RestrictFlags,
    ) -> Result<(), RestrictError> {
        let addr = addr & mask;
        let port_only = flags.contains(RestrictFlags::NTPPORT);
        if let Some(e) = self.entries.iter_mut().find(|e| {
            e.v6 == v6
                && e.addr == addr
                && e.mask == mask
                && e.flags.contains(RestrictFlags::NTPPORT) == port_only
        }) {
            e.flags |= flags;
            return Ok(());
        }
        self.entries
            .push(RestrictEntry {
                v6,
                addr,
                mask,
                flags,
            })
            .map_err(|_| RestrictError::Full)
    }

    /// Removes every entry (defaults stay).
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// The entries, in insertion order.
    pub fn entries(&self) -> &[RestrictEntry] {
        &self.entries
    }

    /// The flags that apply to a packet from `from`: the most specific
    /// matching entry's, else the family's default. The `NTPPORT` bit of
    /// the result only tells that an `ntpport` entry matched.
    pub fn lookup(&self, from: SocketAddr) -> RestrictFlags {
        let (v6, value) = ip_key(from.ip());
        let port = from.port();
        // The best-ranked match; on equal rank the later entry (as
        // `max_by_key` would pick). A plain loop: on a 32-bit core the
        // iterator chain over 128-bit keys costs twice the code.
        let mut best: Option<&RestrictEntry> = None;
        for e in self.entries.iter() {
            if e.matches(v6, value, port) && best.is_none_or(|b| e.rank() >= b.rank()) {
                best = Some(e);
            }
        }
        best.map_or(self.default_flags(v6), |e| e.flags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::net::{Ipv4Addr, Ipv6Addr};

    fn sa(s: &str, port: u16) -> SocketAddr {
        SocketAddr::new(s.parse().unwrap(), port)
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn prefix_masks() {
        assert_eq!(prefix_mask(false, 0), Ok(0));
        assert_eq!(prefix_mask(false, 24), Ok(0xffff_ff00));
        assert_eq!(prefix_mask(false, 32), Ok(0xffff_ffff));
        assert_eq!(prefix_mask(false, 33), Err(RestrictError::PrefixTooLong));
        assert_eq!(prefix_mask(true, 128), Ok(u128::MAX));
        assert_eq!(prefix_mask(true, 64), Ok(u128::MAX << 64));
        assert_eq!(prefix_mask(true, 129), Err(RestrictError::PrefixTooLong));
    }

    #[test]
    fn mapped_v4_matches_v4_entry() {
        let mut l = RestrictList::<4>::new();
        l.add_prefix(ip("10.0.0.0"), 8, RestrictFlags::IGNORE)
            .unwrap();
        let mapped = SocketAddr::new(
            IpAddr::V6(Ipv4Addr::new(10, 1, 2, 3).to_ipv6_mapped()),
            5000,
        );
        assert_eq!(l.lookup(mapped), RestrictFlags::IGNORE);
        assert_eq!(
            l.lookup(SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), 1)),
            RestrictFlags::NOMODIFY
        );
    }

    #[test]
    fn full_and_family_errors() {
        let mut l = RestrictList::<1>::new();
        l.add_prefix(ip("10.0.0.0"), 8, RestrictFlags::KOD).unwrap();
        // Same entry again: flags merge, no new slot.
        l.add_prefix(ip("10.9.9.9"), 8, RestrictFlags::LIMITED)
            .unwrap();
        assert_eq!(
            l.lookup(sa("10.1.1.1", 1)),
            RestrictFlags::KOD | RestrictFlags::LIMITED
        );
        assert_eq!(
            l.add_prefix(ip("11.0.0.0"), 8, RestrictFlags::KOD),
            Err(RestrictError::Full)
        );
        assert_eq!(
            l.add_masked(ip("11.0.0.0"), ip("ffff::"), RestrictFlags::KOD),
            Err(RestrictError::FamilyMismatch)
        );
    }
}
