//! Writing time codes: NMEA sentences and Meinberg standard time strings.
//!
//! Owns: the inverse of the parsers, for simulators, firmware demos and round-trip tests. The
//! output is what a receiver with a fix sends (status valid, fix quality 1), with empty
//! position fields: the parsers and real NTP drivers need only the time. No allocation: the
//! text goes into the caller's buffer.

use core::fmt::{self, Write};

use super::calendar::{Date, TimeOfDay};
use super::meinberg::{MeinbergTime, STRING_LEN, Zone};
use super::nmea::{SentenceKind, checksum};
use super::sentence::{ETX, STX};

/// The output buffer is too small, or a value cannot be written in the format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct EmitError;

impl fmt::Display for EmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("time code does not fit the buffer or the format")
    }
}

#[cfg(feature = "std")]
impl std::error::Error for EmitError {}

/// A `fmt::Write` over a byte slice that fails instead of truncating.
struct Cursor<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl Write for Cursor<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(fmt::Error)?;
        let dst = self.buf.get_mut(self.len..end).ok_or(fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Writes a `$ttXXX,…*hh\r\n` sentence of `kind` from talker `talker` for UTC `date` and
/// `time`, with `fraction_digits` (0..=9) digits of the second's fraction. Returns its length
/// in bytes. RMC writes a two-digit year; GGA and GLL carry no date.
pub fn nmea_sentence(
    kind: SentenceKind,
    talker: [u8; 2],
    date: Date,
    time: TimeOfDay,
    fraction_digits: u8,
    out: &mut [u8],
) -> Result<usize, EmitError> {
    if fraction_digits > 9 || !talker.iter().all(u8::is_ascii_uppercase) {
        return Err(EmitError);
    }
    let mut w = Cursor { buf: out, len: 0 };
    let t = core::str::from_utf8(&talker).map_err(|_| EmitError)?;
    let (h, m, s) = (time.hour, time.minute, time.second);
    let mut write = || -> fmt::Result {
        let hms = |w: &mut Cursor<'_>| -> fmt::Result {
            write!(w, "{h:02}{m:02}{s:02}")?;
            if fraction_digits > 0 {
                let scale = 10u32.pow(9 - u32::from(fraction_digits));
                write!(
                    w,
                    ".{:0width$}",
                    time.nanos / scale,
                    width = usize::from(fraction_digits)
                )?;
            }
            Ok(())
        };
        write!(w, "${t}")?;
        match kind {
            SentenceKind::Rmc => {
                w.write_str("RMC,")?;
                hms(&mut w)?;
                write!(
                    w,
                    ",A,,,,,,,{:02}{:02}{:02},,,A",
                    date.day,
                    date.month,
                    date.year % 100
                )?;
            }
            SentenceKind::Gga => {
                w.write_str("GGA,")?;
                hms(&mut w)?;
                w.write_str(",,,,,1,08,1.0,,M,,M,,")?;
            }
            SentenceKind::Gll => {
                w.write_str("GLL,,,,,")?;
                hms(&mut w)?;
                w.write_str(",A,A")?;
            }
            SentenceKind::Zda => {
                w.write_str("ZDA,")?;
                hms(&mut w)?;
                write!(
                    w,
                    ",{:02},{:02},{:04},00,00",
                    date.day, date.month, date.year
                )?;
            }
        }
        let sum = checksum(w.buf.get(1..w.len).ok_or(fmt::Error)?);
        write!(w, "*{sum:02X}\r\n")
    };
    write().map_err(|_| EmitError)?;
    Ok(w.len)
}

/// Writes the 32-byte Meinberg standard time string for `t` (its local date and time, zone
/// and status).
pub fn meinberg_string(t: &MeinbergTime, out: &mut [u8; STRING_LEN]) -> Result<(), EmitError> {
    let d = t.local_date;
    let c = t.local_time;
    let st = t.status;
    let u = if st.not_synchronized { '#' } else { ' ' };
    let v = if st.free_running { '*' } else { ' ' };
    let x = match t.zone {
        Zone::Utc => 'U',
        Zone::Cet => ' ',
        Zone::Cest => 'S',
    };
    let y = match (st.leap_announcement, st.dst_announcement) {
        (true, _) => 'A',
        (false, true) => '!',
        (false, false) => ' ',
    };
    if c.nanos != 0 || !(1..=7).contains(&t.weekday) {
        return Err(EmitError);
    }
    let mut w = Cursor { buf: out, len: 0 };
    write!(
        w,
        "{}D:{:02}.{:02}.{:02};T:{};U:{:02}.{:02}.{:02};{u}{v}{x}{y}{}",
        STX as char,
        d.day,
        d.month,
        d.year % 100,
        t.weekday,
        c.hour,
        c.minute,
        c.second,
        ETX as char
    )
    .map_err(|_| EmitError)?;
    if w.len == STRING_LEN {
        Ok(())
    } else {
        Err(EmitError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::refclock::calendar::DEFAULT_YEAR_WINDOW_START as W;
    use crate::refclock::meinberg::{self, MeinbergStatus};
    use crate::refclock::nmea;

    #[test]
    fn nmea_round_trip() {
        let date = Date::new(2026, 11, 21).unwrap();
        let time = TimeOfDay::new(12, 34, 56, 250_000_000).unwrap();
        let mut buf = [0u8; 96];
        for kind in [
            SentenceKind::Rmc,
            SentenceKind::Gga,
            SentenceKind::Gll,
            SentenceKind::Zda,
        ] {
            let n = nmea_sentence(kind, *b"GN", date, time, 2, &mut buf).unwrap();
            let p = nmea::parse(&buf[..n], W).unwrap();
            assert_eq!((p.kind, p.time), (kind, time));
        }
        assert_eq!(
            nmea_sentence(SentenceKind::Rmc, *b"GN", date, time, 2, &mut buf[..20]),
            Err(EmitError)
        );
        assert_eq!(
            nmea_sentence(SentenceKind::Rmc, *b"gn", date, time, 2, &mut buf),
            Err(EmitError)
        );
    }

    #[test]
    fn meinberg_round_trip() {
        let t = MeinbergTime {
            local_date: Date::new(2026, 11, 21).unwrap(),
            local_time: TimeOfDay::new(13, 45, 7, 0).unwrap(),
            weekday: 6,
            zone: Zone::Cet,
            status: MeinbergStatus {
                not_synchronized: false,
                free_running: true,
                dst_announcement: false,
                leap_announcement: true,
            },
        };
        let mut out = [0u8; STRING_LEN];
        meinberg_string(&t, &mut out).unwrap();
        assert_eq!(&out, b"\x02D:21.11.26;T:6;U:13.45.07; * A\x03");
        assert_eq!(meinberg::parse(&out, W), Ok(t));
    }
}
