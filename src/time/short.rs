//! [`NtpShort`]: the unsigned 16.16 "short format" of root delay and root
//! dispersion in the NTP header. Owns conversion to and from [`NtpDuration`].

use core::fmt;

use super::NtpDuration;

/// An unsigned 16.16 fixed-point number of seconds (resolution 2^-16 s ≈
/// 15.3 µs, range 0 to 65536 s − 2^-16 s), as carried in the root delay and
/// root dispersion header fields.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct NtpShort(u32);

impl NtpShort {
    /// Zero seconds.
    pub const ZERO: NtpShort = NtpShort(0);
    /// The largest value: 65536 s − 2^-16 s.
    pub const MAX: NtpShort = NtpShort(u32::MAX);

    /// From the raw 32-bit wire value (seconds in the high 16 bits, 2^-16 s in the low).
    pub const fn from_bits(bits: u32) -> NtpShort {
        NtpShort(bits)
    }

    /// The raw 32-bit wire value.
    pub const fn to_bits(self) -> u32 {
        self.0
    }

    /// Whole seconds (the high 16 bits).
    pub const fn seconds(self) -> u16 {
        (self.0 >> 16) as u16
    }

    /// The fraction of a second in 2^-16 s (the low 16 bits).
    pub const fn fraction(self) -> u16 {
        self.0 as u16
    }

    /// As a duration (exact: 2^-16 s is a multiple of 2^-32 s).
    pub const fn to_duration(self) -> NtpDuration {
        NtpDuration::from_bits((self.0 as i64) << 16)
    }

    /// From a duration, rounded to the nearest 2^-16 s; negative durations
    /// give zero and ones of 65536 s or more give [`NtpShort::MAX`].
    // Out of line on 32-bit targets: every reply header converts two.
    #[cfg_attr(target_pointer_width = "32", inline(never))]
    pub const fn from_duration_saturating(d: NtpDuration) -> NtpShort {
        let bits = d.to_bits();
        if bits <= 0 {
            return NtpShort::ZERO;
        }
        // bits > 0, so adding half a step cannot overflow below i64::MAX >> 1.
        let rounded = (bits >> 16) + ((bits >> 15) & 1);
        if rounded > u32::MAX as i64 {
            NtpShort::MAX
        } else {
            NtpShort(rounded as u32)
        }
    }
}

impl fmt::Display for NtpShort {
    /// Seconds with 6 decimals, e.g. `0.015625`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.to_duration().fmt_decimals(6, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions() {
        let s = NtpShort::from_bits(0x0001_8000);
        assert_eq!(s.seconds(), 1);
        assert_eq!(s.fraction(), 0x8000);
        assert_eq!(s.to_duration(), NtpDuration::from_millis(1500));
        assert_eq!(NtpShort::from_duration_saturating(s.to_duration()), s);
        assert_eq!(
            NtpShort::from_duration_saturating(-NtpDuration::ONE_SECOND),
            NtpShort::ZERO
        );
        assert_eq!(
            NtpShort::from_duration_saturating(NtpDuration::from_seconds(70_000)),
            NtpShort::MAX
        );
        assert_eq!(
            NtpShort::from_duration_saturating(NtpDuration::MAX),
            NtpShort::MAX
        );
        // Rounds to nearest 2^-16 s.
        assert_eq!(
            NtpShort::from_duration_saturating(NtpDuration::from_bits(0x8000)).to_bits(),
            1
        );
        assert_eq!(
            NtpShort::from_duration_saturating(NtpDuration::from_bits(0x7fff)).to_bits(),
            0
        );
    }
}
