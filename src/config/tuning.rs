//! Clock discipline and selection tuning: `tinker ...` and `tos ...`.
//!
//! Owns [`Tinker`] and [`Tos`]: typed values with units, `None` meaning "keep the default".
//! What the values do is decided in `crate::discipline` and `crate::select`.

use core::fmt;

use super::error::{Error, ErrorKind, Snippet};
use super::lexer::Cursor;
use super::value::{
    at_least_one, int, ppm_in, required, seconds_in, write_ppm, write_seconds_options,
};
use crate::time::{Frequency, NtpDuration};

/// `tinker` values (ntpd's default after each field).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Tinker {
    /// `step`: offsets above this are stepped, not slewed (2^-32 s; 0 = never step); ntpd default: 0.128 s.
    pub step: Option<NtpDuration>,
    /// `panic`: offsets above this stop the daemon (2^-32 s; 0 = no limit); ntpd default: 1000 s.
    pub panic: Option<NtpDuration>,
    /// `stepout`: how long an offset must persist before a step (2^-32 s); ntpd default: 900 s.
    pub stepout: Option<NtpDuration>,
    /// `dispersion`: dispersion growth rate (ppm, i.e. µs per s); ntpd default: 15 ppm.
    pub dispersion: Option<Frequency>,
    /// `allan`: Allan intercept, where PLL hands over to FLL (2^-32 s); ntpd default: 1500 s.
    pub allan: Option<NtpDuration>,
    /// `freq`: initial frequency offset (ppm); ntpd default: from the drift file, else 0.
    pub freq: Option<Frequency>,
    /// `huffpuff`: window of the huff-n'-puff filter (2^-32 s; 0 = off); ntpd default: 0.
    pub huffpuff: Option<NtpDuration>,
}

/// `tos` values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Tos {
    /// `minsane`: truechimers needed before the clock is disciplined; ntpd default: 1.
    pub minsane: Option<u8>,
    /// `minclock`: survivors kept by the cluster algorithm; ntpd default: 3.
    pub minclock: Option<u8>,
    /// `maxclock`: most associations (pool servers are added up to this); ntpd default: 10.
    pub maxclock: Option<u8>,
    /// `orphan`: stratum of orphan mode, 1..16 (16 = off); ntpd default: off.
    pub orphan: Option<u8>,
    /// `orphanwait`: delay before orphan mode starts (2^-32 s); ntpd default: 300 s.
    pub orphanwait: Option<NtpDuration>,
    /// `mindist`: minimum distance threshold of the intersection (2^-32 s); ntpd default: 0.001 s.
    pub mindist: Option<NtpDuration>,
    /// `maxdist`: largest root distance of a selectable source (2^-32 s); ntpd default: 1.5 s.
    pub maxdist: Option<NtpDuration>,
}

fn unknown(directive: &'static str, word: &super::lexer::Token<'_>) -> Error {
    Error::at(
        word.column,
        ErrorKind::UnknownOption {
            directive,
            word: Snippet::new(word.text),
        },
    )
}

impl Tinker {
    /// Parses the rest of a `tinker` line into `self` (later lines override earlier ones).
    pub(crate) fn parse_into(&mut self, cursor: &mut Cursor<'_>) -> Result<(), Error> {
        let s = NtpDuration::from_seconds;
        let mut any = false;
        while let Some(word) = cursor.next_token()? {
            any = true;
            let (option, min, max, range): (&'static str, _, _, &'static str) = match word.text {
                "step" => ("step", s(0), s(86_400), "0..86400"),
                "panic" => ("panic", s(0), s(1_000_000), "0..1000000"),
                "stepout" => ("stepout", s(0), s(86_400), "0..86400"),
                "allan" => ("allan", s(0), s(1_000_000), "0..1000000"),
                "huffpuff" => ("huffpuff", s(0), s(86_400), "0..86400"),
                "dispersion" | "freq" => {
                    let (option, min, max, range) = if word.text == "freq" {
                        (
                            "freq",
                            Frequency::from_ppm(-500),
                            Frequency::from_ppm(500),
                            "-500..500",
                        )
                    } else {
                        (
                            "dispersion",
                            Frequency::from_ppm(0),
                            Frequency::from_ppm(1000),
                            "0..1000",
                        )
                    };
                    let t = required(cursor, option, "a number in ppm")?;
                    let v = Some(ppm_in(&t, option, min, max, range)?);
                    if option == "freq" {
                        self.freq = v;
                    } else {
                        self.dispersion = v;
                    }
                    continue;
                }
                _ => return Err(unknown("tinker", &word)),
            };
            let t = required(cursor, option, "a number of seconds")?;
            let v = Some(seconds_in(&t, option, min, max, range)?);
            match option {
                "step" => self.step = v,
                "panic" => self.panic = v,
                "stepout" => self.stepout = v,
                "allan" => self.allan = v,
                _ => self.huffpuff = v,
            }
        }
        at_least_one(any, cursor, "tinker", "at least one option")
    }

    /// True if nothing is set.
    pub fn is_empty(&self) -> bool {
        *self == Tinker::default()
    }

    /// Writes one `tinker` line (without newline) if anything is set.
    pub fn write_to(&self, w: &mut dyn fmt::Write) -> fmt::Result {
        if self.is_empty() {
            return Ok(());
        }
        w.write_str("tinker")?;
        write_seconds_options(
            w,
            &[
                ("step", self.step),
                ("panic", self.panic),
                ("stepout", self.stepout),
                ("allan", self.allan),
                ("huffpuff", self.huffpuff),
            ],
        )?;
        for (name, v) in [("dispersion", self.dispersion), ("freq", self.freq)] {
            if let Some(v) = v {
                write!(w, " {name} ")?;
                write_ppm(w, v)?;
            }
        }
        Ok(())
    }
}

impl Tos {
    /// Parses the rest of a `tos` line into `self`.
    pub(crate) fn parse_into(&mut self, cursor: &mut Cursor<'_>) -> Result<(), Error> {
        let mut any = false;
        while let Some(word) = cursor.next_token()? {
            any = true;
            match word.text {
                "minsane" | "minclock" | "maxclock" | "orphan" => {
                    let (option, min, max, range, slot) = match word.text {
                        "minsane" => ("minsane", 1, 16, "1..16", &mut self.minsane),
                        "minclock" => ("minclock", 1, 64, "1..64", &mut self.minclock),
                        "maxclock" => ("maxclock", 1, 64, "1..64", &mut self.maxclock),
                        _ => ("orphan", 1, 16, "1..16", &mut self.orphan),
                    };
                    let t = required(cursor, option, "a whole number")?;
                    *slot = Some(int(&t, option, min, max, range)?);
                }
                "orphanwait" | "mindist" | "maxdist" => {
                    let s = NtpDuration::from_seconds;
                    let (option, max, range, slot) = match word.text {
                        "orphanwait" => ("orphanwait", s(86_400), "0..86400", &mut self.orphanwait),
                        "mindist" => ("mindist", s(16), "0..16", &mut self.mindist),
                        _ => ("maxdist", s(16), "0..16", &mut self.maxdist),
                    };
                    let t = required(cursor, option, "a number of seconds")?;
                    *slot = Some(seconds_in(&t, option, NtpDuration::ZERO, max, range)?);
                }
                _ => return Err(unknown("tos", &word)),
            }
        }
        at_least_one(any, cursor, "tos", "at least one option")
    }

    /// True if nothing is set.
    pub fn is_empty(&self) -> bool {
        *self == Tos::default()
    }

    /// Writes one `tos` line (without newline) if anything is set.
    pub fn write_to(&self, w: &mut dyn fmt::Write) -> fmt::Result {
        if self.is_empty() {
            return Ok(());
        }
        w.write_str("tos")?;
        let ints = [
            ("minsane", self.minsane),
            ("minclock", self.minclock),
            ("maxclock", self.maxclock),
            ("orphan", self.orphan),
        ];
        for (name, v) in ints {
            if let Some(v) = v {
                write!(w, " {name} {v}")?;
            }
        }
        write_seconds_options(
            w,
            &[
                ("orphanwait", self.orphanwait),
                ("mindist", self.mindist),
                ("maxdist", self.maxdist),
            ],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::{String, ToString};

    #[test]
    fn tinker_values_and_units() {
        let mut t = Tinker::default();
        t.parse_into(&mut Cursor::new(
            "panic 0 step 0.5 freq -12.5 dispersion 15",
        ))
        .unwrap();
        assert_eq!(t.panic, Some(NtpDuration::ZERO));
        assert_eq!(t.step, Some(NtpDuration::from_millis(500)));
        assert_eq!(t.freq, Some(Frequency::from_ppb(-12_500)));
        assert_eq!(t.dispersion, Some(Frequency::from_ppm(15)));
        let mut s = String::new();
        t.write_to(&mut s).unwrap();
        assert_eq!(s, "tinker step 0.5 panic 0 dispersion 15 freq -12.5");
        let e = Tinker::default()
            .parse_into(&mut Cursor::new("freq 600"))
            .unwrap_err();
        assert_eq!(e.kind.to_string(), "`freq 600` is out of range -500..500");
        let e = Tinker::default()
            .parse_into(&mut Cursor::new("stpe 1"))
            .unwrap_err();
        assert_eq!(e.kind.to_string(), "`stpe` is not an option of `tinker`");
    }

    #[test]
    fn tos_values() {
        let mut t = Tos::default();
        t.parse_into(&mut Cursor::new("orphanwait 1 minsane 2 maxdist 1.5"))
            .unwrap();
        assert_eq!(t.orphanwait, Some(NtpDuration::ONE_SECOND));
        assert_eq!(t.minsane, Some(2));
        assert_eq!(t.maxdist, Some(NtpDuration::from_millis(1500)));
        let e = Tos::default()
            .parse_into(&mut Cursor::new("orphan 17"))
            .unwrap_err();
        assert_eq!(e.kind.to_string(), "`orphan 17` is out of range 1..16");
    }
}
