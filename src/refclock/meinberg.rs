//! Meinberg standard time string parser (driver type 8, the parse driver's Meinberg modes).
//!
//! Owns: decoding the 32-character string
//!
//! ```text
//! <STX>D:dd.mm.yy;T:w;U:hh.mm.ss;uvxy<ETX>
//! ```
//!
//! into a UTC date and time plus the receiver status. Layout and status characters as in
//! Meinberg's receiver manuals and ntpd's `clk_meinberg.c`:
//!
//! | pos | char | meaning |
//! |-----|------|---------|
//! | `u` | `#`  | GPS: running free; PZF: time frame not synchronised; DCF77: not synchronised since reset |
//! | `v` | `*`  | GPS: position not yet verified; PZF/DCF77: running on the crystal (no signal) |
//! | `x` | `U` / ` ` / `S` | time zone: UTC / CET (UTC+1) / CEST (UTC+2, daylight saving) |
//! | `y` | `!` / `A` / ` ` | in the hour before it: DST change announced / leap second insertion announced / nothing |
//!
//! `w` is the day of week, 1 = Monday … 7 = Sunday (0 is also accepted for Sunday, as some
//! older firmware sends); it must agree with the date. `ss` is 60 during an inserted leap
//! second. The STX is sent at the second change: the string describes the second that begins
//! at the start of its STX. Stateless: [`super::meinberg_clock`] keeps the trust time.

use core::fmt;

use super::calendar::{self, Date, TimeOfDay};
use super::sentence::{ETX, STX};

/// Length of the string, STX and ETX included (bytes).
pub const STRING_LEN: usize = 32;

/// Fixed characters of the template and their positions (STX at 0).
const TEMPLATE: [(usize, u8); 13] = [
    (1, b'D'),
    (2, b':'),
    (5, b'.'),
    (8, b'.'),
    (11, b';'),
    (12, b'T'),
    (13, b':'),
    (15, b';'),
    (16, b'U'),
    (17, b':'),
    (20, b'.'),
    (23, b'.'),
    (26, b';'),
];

/// The time zone a string is expressed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Zone {
    /// `U`: UTC.
    Utc,
    /// ` `: Central European Time, UTC+1 h.
    Cet,
    /// `S`: Central European Summer Time, UTC+2 h.
    Cest,
}

impl Zone {
    /// Offset of the local time from UTC in seconds (local = UTC + offset).
    pub const fn utc_offset_seconds(self) -> i64 {
        match self {
            Zone::Utc => 0,
            Zone::Cet => 3600,
            Zone::Cest => 7200,
        }
    }
}

/// Receiver status decoded from the `uvxy` characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MeinbergStatus {
    /// `u == '#'`: not synchronised (GPS free running, PZF frame lost, DCF77 not since reset).
    pub not_synchronized: bool,
    /// `v == '*'`: running on the crystal (PZF/DCF77) or position not verified (GPS).
    pub free_running: bool,
    /// `y == '!'`: a daylight saving change happens at the end of this hour.
    pub dst_announcement: bool,
    /// `y == 'A'`: a leap second is inserted at the end of this hour (UTC month end).
    pub leap_announcement: bool,
}

impl MeinbergStatus {
    /// Fully synchronised: neither `#` nor `*`.
    pub const fn is_synchronized(self) -> bool {
        !self.not_synchronized && !self.free_running
    }
}

/// A decoded time string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MeinbergTime {
    /// Date as sent (in `zone`).
    pub local_date: Date,
    /// Time of day as sent (in `zone`).
    pub local_time: TimeOfDay,
    /// Day of week as sent, 1 = Monday … 7 = Sunday.
    pub weekday: u8,
    /// Time zone of the date and time.
    pub zone: Zone,
    /// Receiver status.
    pub status: MeinbergStatus,
}

impl MeinbergTime {
    /// Seconds since the NTP epoch (1900-01-01 UTC) of the second this string marks,
    /// converted to UTC. During a leap second (`ss == 60`) this equals the following
    /// second's value; drivers skip those strings.
    pub fn utc_ntp_seconds(&self) -> i64 {
        calendar::ntp_seconds(self.local_date, self.local_time) - self.zone.utc_offset_seconds()
    }
}

/// Why a string was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum MeinbergError {
    /// Not exactly [`STRING_LEN`] bytes from STX to ETX.
    Length,
    /// STX, ETX or one of the fixed characters (`D:`, `.`, `;T:`, …) is wrong.
    Framing,
    /// A digit position holds something else.
    Digit,
    /// Not a real date.
    BadDate,
    /// Not a real time of day.
    BadTime,
    /// The day of week is out of range or disagrees with the date.
    BadWeekday,
    /// A status character is not one of the documented values.
    BadStatus,
}

impl fmt::Display for MeinbergError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MeinbergError::Length => "Meinberg: wrong string length",
            MeinbergError::Framing => "Meinberg: wrong framing characters",
            MeinbergError::Digit => "Meinberg: non-digit in a numeric field",
            MeinbergError::BadDate => "Meinberg: invalid date",
            MeinbergError::BadTime => "Meinberg: invalid time",
            MeinbergError::BadWeekday => "Meinberg: day of week disagrees with date",
            MeinbergError::BadStatus => "Meinberg: unknown status character",
        })
    }
}

#[cfg(feature = "std")]
impl std::error::Error for MeinbergError {}

fn two(s: &[u8; STRING_LEN], at: usize) -> Result<u8, MeinbergError> {
    s.get(at..at + 2)
        .and_then(calendar::parse_two)
        .ok_or(MeinbergError::Digit)
}

/// Parses one string `<STX>…<ETX>` (exactly [`STRING_LEN`] bytes); two-digit years are
/// expanded into the window starting at `year_window_start`.
pub fn parse(bytes: &[u8], year_window_start: u16) -> Result<MeinbergTime, MeinbergError> {
    let s: &[u8; STRING_LEN] = bytes.try_into().map_err(|_| MeinbergError::Length)?;
    let [STX, .., ETX] = *s else {
        return Err(MeinbergError::Framing);
    };
    for (at, want) in TEMPLATE {
        if s.get(at) != Some(&want) {
            return Err(MeinbergError::Framing);
        }
    }
    let day = two(s, 3)?;
    let month = two(s, 6)?;
    let yy = two(s, 9)?;
    let weekday = match s.get(14) {
        Some(&b) if b.is_ascii_digit() => b - b'0',
        _ => return Err(MeinbergError::Digit),
    };
    let hour = two(s, 18)?;
    let minute = two(s, 21)?;
    let second = two(s, 24)?;
    let [.., u, v, x, y, _etx] = *s;
    let status = MeinbergStatus {
        not_synchronized: match u {
            b'#' => true,
            b' ' => false,
            _ => return Err(MeinbergError::BadStatus),
        },
        free_running: match v {
            b'*' => true,
            b' ' => false,
            _ => return Err(MeinbergError::BadStatus),
        },
        dst_announcement: y == b'!',
        leap_announcement: y == b'A',
    };
    if !matches!(y, b'!' | b'A' | b' ') {
        return Err(MeinbergError::BadStatus);
    }
    let zone = match x {
        b'U' => Zone::Utc,
        b' ' => Zone::Cet,
        b'S' => Zone::Cest,
        _ => return Err(MeinbergError::BadStatus),
    };
    let year =
        calendar::expand_two_digit_year(yy, year_window_start).ok_or(MeinbergError::BadDate)?;
    let local_date = Date::new(year, month, day).map_err(|_| MeinbergError::BadDate)?;
    let local_time = TimeOfDay::new(hour, minute, second, 0).map_err(|_| MeinbergError::BadTime)?;
    let weekday = if weekday == 0 { 7 } else { weekday };
    if weekday > 7 || weekday != local_date.iso_weekday() {
        return Err(MeinbergError::BadWeekday);
    }
    Ok(MeinbergTime {
        local_date,
        local_time,
        weekday,
        zone,
        status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use calendar::DEFAULT_YEAR_WINDOW_START as W;

    #[test]
    fn standard_string_cet() {
        // Saturday 21 Nov 2026, 13:45:07 CET, synchronised.
        let s = b"\x02D:21.11.26;T:6;U:13.45.07;    \x03";
        let t = parse(s, W).unwrap();
        assert_eq!(t.local_date, Date::new(2026, 11, 21).unwrap());
        assert_eq!(t.local_time, TimeOfDay::new(13, 45, 7, 0).unwrap());
        assert_eq!(t.zone, Zone::Cet);
        assert!(t.status.is_synchronized());
        let utc = Date::new(2026, 11, 21).unwrap().days_since_ntp_epoch() * 86_400
            + 12 * 3600
            + 45 * 60
            + 7;
        assert_eq!(t.utc_ntp_seconds(), utc);
    }

    #[test]
    fn status_characters() {
        let t = parse(b"\x02D:30.06.15;T:2;U:23.59.60;#*UA\x03", W).unwrap();
        assert!(t.status.not_synchronized && t.status.free_running && t.status.leap_announcement);
        assert!(t.local_time.is_leap_second());
        assert_eq!(t.zone, Zone::Utc);
        let t = parse(b"\x02D:29.03.26;T:7;U:01.59.00;  S!\x03", W);
        assert_eq!(
            t.map(|t| (t.zone, t.status.dst_announcement)),
            Ok((Zone::Cest, true))
        );
        // Sunday as 0.
        assert!(parse(b"\x02D:29.03.26;T:0;U:01.59.00;  S!\x03", W).is_ok());
    }

    #[test]
    fn rejects() {
        assert_eq!(
            parse(b"\x02D:21.11.26;T:6;U:13.45.07;   \x03", W),
            Err(MeinbergError::Length)
        );
        assert_eq!(
            parse(b"\x02D:21.11.26;T:6;U:13:45:07;    \x03", W),
            Err(MeinbergError::Framing)
        );
        assert_eq!(
            parse(b"\x02D:21.11.26;T:5;U:13.45.07;    \x03", W),
            Err(MeinbergError::BadWeekday)
        );
        assert_eq!(
            parse(b"\x02D:31.11.26;T:1;U:13.45.07;    \x03", W),
            Err(MeinbergError::BadDate)
        );
        assert_eq!(
            parse(b"\x02D:21.11.26;T:6;U:24.45.07;    \x03", W),
            Err(MeinbergError::BadTime)
        );
        assert_eq!(
            parse(b"\x02D:21.11.26;T:6;U:13.45.07;X   \x03", W),
            Err(MeinbergError::BadStatus)
        );
        assert_eq!(
            parse(b"\x02D:2x.11.26;T:6;U:13.45.07;    \x03", W),
            Err(MeinbergError::Digit)
        );
        assert_eq!(
            parse(b"\x01D:21.11.26;T:6;U:13.45.07;    \x03", W),
            Err(MeinbergError::Framing)
        );
    }
}
