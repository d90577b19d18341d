//! Tally codes: the verdict the selection pass gives every candidate, as
//! `ntpq -p` prints it in the first column and as mode 6 peer status words
//! carry it (the 3-bit "selection" field, RFC 9327 / ntpd `CTL_PST_SEL_*`).
//!
//! This file owns only the enum and its two encodings; the rules that assign
//! a tally live in the other files of [`crate::select`].

/// What the selection pass decided about one candidate.
///
/// Ordered from worst to best, in the order of the mode 6 selection code
/// (0..=7), so `a < b` means "b got further through selection than a".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Tally {
    /// `' '`: rejected before selection: unreachable, `noselect`, unsynchronized,
    /// stratum out of range, root distance too large, timing loop, or an unused
    /// local clock.
    #[default]
    Reject,
    /// `'x'`: falseticker: its correctness interval misses the intersection
    /// of the majority.
    Falseticker,
    /// `'.'`: excess: not examined because the caller passed more candidates
    /// than the selector's capacity (table overflow).
    Excess,
    /// `'-'`: outlier: a truechimer discarded by the clustering algorithm.
    Outlier,
    /// `'+'`: candidate: a survivor, included in the combined offset.
    Candidate,
    /// `'#'`: backup: a truechimer beyond `maxclock` (ranked by synchronization
    /// distance), kept in reserve, not clustered or combined.
    Backup,
    /// `'*'`: the system peer.
    SystemPeer,
    /// `'o'`: the PPS peer: the system peer is a PPS source disciplined
    /// by a `prefer` peer that numbers the seconds.
    PpsPeer,
}

impl Tally {
    /// The character `ntpq -p` prints before the remote's name.
    pub const fn as_char(self) -> char {
        match self {
            Tally::Reject => ' ',
            Tally::Falseticker => 'x',
            Tally::Excess => '.',
            Tally::Outlier => '-',
            Tally::Candidate => '+',
            Tally::Backup => '#',
            Tally::SystemPeer => '*',
            Tally::PpsPeer => 'o',
        }
    }

    /// The 3-bit selection code of a mode 6 peer status word (0..=7; ntpd's
    /// `CTL_PST_SEL_REJECT` .. `CTL_PST_SEL_PPS`).
    pub const fn code(self) -> u8 {
        match self {
            Tally::Reject => 0,
            Tally::Falseticker => 1,
            Tally::Excess => 2,
            Tally::Outlier => 3,
            Tally::Candidate => 4,
            Tally::Backup => 5,
            Tally::SystemPeer => 6,
            Tally::PpsPeer => 7,
        }
    }

    /// Inverse of [`Tally::code`]; only the low 3 bits of `code` are used.
    pub const fn from_code(code: u8) -> Tally {
        match code & 0x7 {
            0 => Tally::Reject,
            1 => Tally::Falseticker,
            2 => Tally::Excess,
            3 => Tally::Outlier,
            4 => Tally::Candidate,
            5 => Tally::Backup,
            6 => Tally::SystemPeer,
            _ => Tally::PpsPeer,
        }
    }

    /// Inverse of [`Tally::as_char`]; `None` for any other character.
    pub const fn from_char(c: char) -> Option<Tally> {
        Some(match c {
            ' ' => Tally::Reject,
            'x' => Tally::Falseticker,
            '.' => Tally::Excess,
            '-' => Tally::Outlier,
            '+' => Tally::Candidate,
            '#' => Tally::Backup,
            '*' => Tally::SystemPeer,
            'o' => Tally::PpsPeer,
            _ => return None,
        })
    }

    /// True for the tallies of sources that contribute time right now
    /// (`+`, `*`, `o`).
    pub const fn is_survivor(self) -> bool {
        matches!(self, Tally::Candidate | Tally::SystemPeer | Tally::PpsPeer)
    }
}

impl core::fmt::Display for Tally {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        use core::fmt::Write;
        f.write_char(self.as_char())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ntpq_characters_and_codes_round_trip() {
        let all = " x.-+#*o";
        for (code, c) in all.chars().enumerate() {
            let t = Tally::from_code(code as u8);
            assert_eq!(t.as_char(), c);
            assert_eq!(t.code() as usize, code);
            assert_eq!(Tally::from_char(c), Some(t));
        }
        assert_eq!(Tally::from_char('?'), None);
        assert_eq!(Tally::default(), Tally::Reject);
    }
}
