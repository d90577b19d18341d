//! `enable` / `disable`: the system switches.
//!
//! Owns [`SystemFlags`] and its word table. [`Config`](super::Config) keeps two sets (what was
//! enabled, what was disabled) so that defaults stay with the code that applies them.

use core::fmt;

use bitflags::bitflags;

use super::error::{Error, ErrorKind, Snippet};
use super::lexer::Cursor;

bitflags! {
    /// Switches of `enable` / `disable`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct SystemFlags: u16 {
        /// `auth`: require authentication for new symmetric and broadcast associations.
        const AUTH = 1 << 0;
        /// `bclient`: listen for broadcast servers (like `broadcastclient`).
        const BCLIENT = 1 << 1;
        /// `calibrate`: reference clock calibration.
        const CALIBRATE = 1 << 2;
        /// `kernel`: use the kernel PLL/FLL discipline.
        const KERNEL = 1 << 3;
        /// `mode7`: answer ntpdc (mode 7) queries.
        const MODE7 = 1 << 4;
        /// `monitor`: keep the MRU list of clients.
        const MONITOR = 1 << 5;
        /// `ntp`: discipline the clock at all.
        const NTP = 1 << 6;
        /// `stats`: write statistics files.
        const STATS = 1 << 7;
        /// `peer_clear_digest_early`.
        const PEER_CLEAR_DIGEST_EARLY = 1 << 8;
        /// `unpeer_crypto_early`.
        const UNPEER_CRYPTO_EARLY = 1 << 9;
        /// `unpeer_crypto_nak_early`.
        const UNPEER_CRYPTO_NAK_EARLY = 1 << 10;
        /// `unpeer_digest_early`.
        const UNPEER_DIGEST_EARLY = 1 << 11;
    }
}

const WORDS: [(&str, SystemFlags); 12] = [
    ("auth", SystemFlags::AUTH),
    ("bclient", SystemFlags::BCLIENT),
    ("calibrate", SystemFlags::CALIBRATE),
    ("kernel", SystemFlags::KERNEL),
    ("mode7", SystemFlags::MODE7),
    ("monitor", SystemFlags::MONITOR),
    ("ntp", SystemFlags::NTP),
    ("stats", SystemFlags::STATS),
    (
        "peer_clear_digest_early",
        SystemFlags::PEER_CLEAR_DIGEST_EARLY,
    ),
    ("unpeer_crypto_early", SystemFlags::UNPEER_CRYPTO_EARLY),
    (
        "unpeer_crypto_nak_early",
        SystemFlags::UNPEER_CRYPTO_NAK_EARLY,
    ),
    ("unpeer_digest_early", SystemFlags::UNPEER_DIGEST_EARLY),
];

/// Parses the switch words of an `enable` or `disable` line (at least one).
pub(crate) fn parse_flags(
    directive: &'static str,
    cursor: &mut Cursor<'_>,
) -> Result<SystemFlags, Error> {
    let mut flags = SystemFlags::empty();
    let end = cursor.end_column();
    while let Some(word) = cursor.next_token()? {
        let f = WORDS
            .iter()
            .find(|(w, _)| *w == word.text)
            .map(|(_, f)| *f)
            .ok_or_else(|| {
                Error::at(
                    word.column,
                    ErrorKind::UnknownOption {
                        directive,
                        word: Snippet::new(word.text),
                    },
                )
            })?;
        flags |= f;
    }
    if flags.is_empty() {
        return Err(Error::at(
            end,
            ErrorKind::MissingArgument {
                directive,
                what: "a switch (auth, kernel, ntp, ...)",
            },
        ));
    }
    Ok(flags)
}

/// Writes `directive a b c` (without newline) if any flag is set.
pub fn write_flags(directive: &str, flags: SystemFlags, w: &mut dyn fmt::Write) -> fmt::Result {
    if flags.is_empty() {
        return Ok(());
    }
    w.write_str(directive)?;
    for (word, f) in WORDS {
        if flags.contains(f) {
            write!(w, " {word}")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::{String, ToString};

    #[test]
    fn words() {
        let f = parse_flags("disable", &mut Cursor::new("kernel monitor")).unwrap();
        assert_eq!(f, SystemFlags::KERNEL | SystemFlags::MONITOR);
        let mut s = String::new();
        write_flags("disable", f, &mut s).unwrap();
        assert_eq!(s, "disable kernel monitor");
        let e = parse_flags("enable", &mut Cursor::new("kernal")).unwrap_err();
        assert_eq!(e.kind.to_string(), "`kernal` is not an option of `enable`");
        assert!(parse_flags("enable", &mut Cursor::new("")).is_err());
    }
}
