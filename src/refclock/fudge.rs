//! `fudge` settings: the per-clock calibration and overrides of ntpd's `fudge` command.
//!
//! Owns: the [`Fudge`] value and its flags. What each field means depends on the driver; the
//! table below is the contract the drivers implement (and matches ntpd's driver pages):
//!
//! | field   | local (1)         | parse/Meinberg (8)                                   | NMEA (20)                 | PPS (22)                     |
//! |---------|-------------------|------------------------------------------------------|---------------------------|------------------------------|
//! | time1   | offset added      | time-code offset (added to the string's offset)      | PPS offset (attached PPS) | PPS offset                   |
//! | time2   | unused¹           | flag1=0: PPS offset; flag1=1: trust time (s)          | serial end-of-line delay  | unused                       |
//! | stratum | stratum (def. 5)  | stratum (default 0)                                  | stratum (default 0)       | stratum (default 0)          |
//! | refid   | default `LCL`     | default `DCFp`/`DCFa`/`GPS` by mode                  | default `GPS`             | default `PPS`                |
//! | flag1   | —                 | time2 is the trust time                              | use the attached PPS      | —                            |
//! | flag2   | —                 | PPS on the clear (falling) edge                      | PPS on the clear edge     | capture the clear edge       |
//! | flag3   | —                 | kernel PPS discipline²                               | kernel PPS discipline²    | kernel PPS discipline²       |
//! | flag4   | —                 | delete (not insert) an announced leap second         | obscure position³         | record every edge³           |
//!
//! ¹ ntpd uses it as a frequency offset in ppm; we have no use for it in a sans-IO core.
//! ² There is no kernel here: the flag is reported through
//!   [`RefclockStatus::kernel_pps`](super::status::RefclockStatus::kernel_pps) so a host that
//!   has a kernel PPS discipline may hand the edges to it; the core's own discipline is used
//!   regardless.
//! ³ Monitoring only; this crate keeps no position and writes no clockstats file, so the flag
//!   is stored and reported, nothing more.
//!
//! Edge selection (flag2) happens where edges are captured: the input adapter in
//! [`super::input`] is configured from it.
//!
//! The stratum is the reference clock's own (0 for a real time source, as in ntpd); a server
//! synchronised to it advertises this plus one.

use bitflags::bitflags;

use crate::time::NtpDuration;

bitflags! {
    /// `fudge … flag1 … flag4` (see the module table for the per-driver meaning).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
    pub struct FudgeFlags: u8 {
        /// `flag1 1`.
        const FLAG1 = 1 << 0;
        /// `flag2 1`.
        const FLAG2 = 1 << 1;
        /// `flag3 1`.
        const FLAG3 = 1 << 2;
        /// `flag4 1`.
        const FLAG4 = 1 << 3;
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for FudgeFlags {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "FudgeFlags({=u8:#x})", self.bits())
    }
}

/// The `fudge` line of one reference clock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Fudge {
    /// `time1`, seconds in 2^-32 s units (meaning per driver: see the module table).
    pub time1: NtpDuration,
    /// `time2`, seconds in 2^-32 s units (meaning per driver: see the module table).
    pub time2: NtpDuration,
    /// `stratum N` (0..=15): overrides the driver's stratum.
    pub stratum: Option<u8>,
    /// `refid XXXX`: overrides the driver's reference identifier (ASCII, NUL padded).
    pub refid: Option<[u8; 4]>,
    /// `flag1` … `flag4`.
    pub flags: FudgeFlags,
}

impl Fudge {
    /// No fudge at all (all defaults).
    pub const NONE: Fudge = Fudge {
        time1: NtpDuration::ZERO,
        time2: NtpDuration::ZERO,
        stratum: None,
        refid: None,
        flags: FudgeFlags::empty(),
    };

    /// The stratum to report: the fudged one (clamped to 15) or `default`.
    pub fn stratum_or(&self, default: u8) -> u8 {
        self.stratum.unwrap_or(default).min(15)
    }

    /// The refid to report: the fudged one or `default`.
    pub fn refid_or(&self, default: [u8; 4]) -> [u8; 4] {
        self.refid.unwrap_or(default)
    }

    /// Whether `flag` is set.
    pub fn has(&self, flag: FudgeFlags) -> bool {
        self.flags.contains(flag)
    }
}

impl From<&crate::config::Fudge> for Fudge {
    /// The runtime fudge for a parsed `fudge` line (unset values take the defaults).
    fn from(c: &crate::config::Fudge) -> Self {
        let mut flags = FudgeFlags::empty();
        for (set, flag) in c.flags.iter().zip([
            FudgeFlags::FLAG1,
            FudgeFlags::FLAG2,
            FudgeFlags::FLAG3,
            FudgeFlags::FLAG4,
        ]) {
            flags.set(flag, *set == Some(true));
        }
        Fudge {
            time1: c.time1.unwrap_or(NtpDuration::ZERO),
            time2: c.time2.unwrap_or(NtpDuration::ZERO),
            stratum: c.stratum,
            refid: c.refid.map(crate::config::RefId::to_bytes),
            flags,
        }
    }
}

/// Builds a NUL-padded refid from up to four ASCII bytes (longer input is truncated).
pub fn refid(text: &[u8]) -> [u8; 4] {
    let mut out = [0u8; 4];
    for (slot, &b) in out.iter_mut().zip(text) {
        *slot = b;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let f = Fudge::NONE;
        assert_eq!(f.stratum_or(0), 0);
        assert_eq!(f.refid_or(refid(b"GPS")), *b"GPS\0");
        let f = Fudge {
            stratum: Some(20),
            refid: Some(refid(b"GNSS")),
            ..Fudge::NONE
        };
        assert_eq!(f.stratum_or(0), 15);
        assert_eq!(f.refid_or(refid(b"GPS")), *b"GNSS");
        assert_eq!(refid(b"TOOLONG"), *b"TOOL");
        let f = Fudge {
            flags: FudgeFlags::FLAG1 | FudgeFlags::FLAG4,
            ..Fudge::NONE
        };
        assert!(f.has(FudgeFlags::FLAG1) && !f.has(FudgeFlags::FLAG2));
    }

    #[test]
    fn from_config() {
        let mut c = crate::config::Fudge::new(crate::config::RefclockId {
            driver: 20,
            unit: 0,
        });
        c.time2 = Some(NtpDuration::from_millis(350));
        c.flags = [Some(true), Some(false), None, Some(true)];
        c.refid = crate::config::RefId::new("GNSS");
        let f = Fudge::from(&c);
        assert_eq!(f.time2, NtpDuration::from_millis(350));
        assert_eq!(f.time1, NtpDuration::ZERO);
        assert_eq!(f.flags, FudgeFlags::FLAG1 | FudgeFlags::FLAG4);
        assert_eq!(f.refid, Some(*b"GNSS"));
    }
}
