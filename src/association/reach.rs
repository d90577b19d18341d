//! The 8-bit reachability register of one association (RFC 5905 §13).
//!
//! Shifted left at every poll; bit 0 set when a valid reply arrives. Shown in
//! octal (`377` = the last eight polls answered), as `ntpq` does.

use core::fmt;

/// Reachability register: bit *i* set = the poll *i* polls ago was answered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Reach(u8);

impl Reach {
    /// Nothing heard yet.
    pub const NEVER: Reach = Reach(0);

    /// From the raw register bits.
    pub const fn from_bits(bits: u8) -> Reach {
        Reach(bits)
    }

    /// The raw register bits.
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// A poll is being sent: shift the register left by one.
    pub fn poll_sent(&mut self) {
        self.0 <<= 1;
    }

    /// A valid reply arrived: set bit 0.
    pub fn reply_received(&mut self) {
        self.0 |= 1;
    }

    /// Whether any of the last eight polls was answered.
    pub const fn is_reachable(self) -> bool {
        self.0 != 0
    }

    /// Whether none of the last three polls was answered (RFC 5905: shift a
    /// dummy sample into the clock filter).
    pub const fn missed_last_three(self) -> bool {
        self.0 & 0b111 == 0
    }

    /// How many of the last eight polls were answered.
    pub const fn count(self) -> u32 {
        self.0.count_ones()
    }
}

impl fmt::Display for Reach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:03o}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn shifts_and_displays_in_octal() {
        let mut r = Reach::NEVER;
        assert_eq!(r.to_string(), "000");
        for _ in 0..8 {
            r.poll_sent();
            r.reply_received();
        }
        assert_eq!(r.to_string(), "377");
        assert!(!r.missed_last_three());
        r.poll_sent();
        assert_eq!(r.to_string(), "376");
        r.poll_sent();
        r.poll_sent();
        assert!(r.missed_last_three());
        assert!(r.is_reachable());
        for _ in 0..5 {
            r.poll_sent();
        }
        assert!(!r.is_reachable());
        assert_eq!(Reach::from_bits(0o17).count(), 4);
    }
}
