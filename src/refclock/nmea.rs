//! NMEA 0183 sentence parser for the time-bearing sentences (driver type 20).
//!
//! Owns: checksum verification, the address field (any two-letter talker: `GP`, `GN`, `GL`,
//! `GA`, `BD`, `GB`, `GQ`, …), and the decoding of `RMC`, `GGA`, `GLL` and `ZDA` into a UTC date
//! and time of day with the receiver's own validity verdict honoured. Stateless: the driver
//! ([`super::nmea_clock`]) adds timestamps, mode bits, counters and the Sample.
//!
//! Validity rules (a sentence that fails them is [`NmeaError::NoFix`]):
//! - `RMC`: status field must be `A`; the NMEA 2.3 mode indicator, when present, must not be
//!   `N` (not valid).
//! - `GGA`: fix quality must be 1..=5 (GPS, DGPS, PPS, RTK, float RTK); 0 (invalid),
//!   6 (estimated / dead reckoning), 7 (manual) and 8 (simulation) are refused.
//! - `GLL`: status must be `A`, and the mode indicator, when present, not `N`.
//! - `ZDA`: has no validity field; an empty time field is treated as "no fix". Receivers that
//!   send ZDA from their RTC before the first fix are believed — select ZDA only for receivers
//!   that do not, or pair it with PPS.
//!
//! Two-digit years (`RMC`) are expanded with a window (see
//! [`calendar::DEFAULT_YEAR_WINDOW_START`]); `ZDA` carries four digits. `GGA` and `GLL` carry
//! no date at all: the driver numbers their day from its own clock.

use core::fmt;

use super::calendar::{self, Date, TimeOfDay};

/// Longest sentence the driver buffers, `$` to LF inclusive. NMEA 0183 allows 82 characters;
/// many receivers exceed that for talker-specific sentences, so there is headroom.
pub const MAX_SENTENCE_LEN: usize = 128;

/// Most fields looked at in one sentence (RMC in NMEA 4.1 has 13 after the address).
const MAX_FIELDS: usize = 20;

/// The time-bearing sentence types this parser decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SentenceKind {
    /// Recommended minimum data: time, status, date (two-digit year).
    Rmc,
    /// Fix data: time and fix quality, no date.
    Gga,
    /// Geographic position: time and status, no date.
    Gll,
    /// Time and date (four-digit year).
    Zda,
}

impl SentenceKind {
    /// The ntpd `mode` bit that selects this sentence (bit 0 RMC, 1 GGA, 2 GLL, 3 ZDA).
    pub const fn mode_bit(self) -> u32 {
        match self {
            SentenceKind::Rmc => 1 << 0,
            SentenceKind::Gga => 1 << 1,
            SentenceKind::Gll => 1 << 2,
            SentenceKind::Zda => 1 << 3,
        }
    }

    fn from_formatter(f: &[u8]) -> Option<Self> {
        match f {
            b"RMC" => Some(SentenceKind::Rmc),
            b"GGA" => Some(SentenceKind::Gga),
            b"GLL" => Some(SentenceKind::Gll),
            b"ZDA" => Some(SentenceKind::Zda),
            _ => None,
        }
    }
}

/// A decoded, valid time sentence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct NmeaTime {
    /// Talker identifier, e.g. `*b"GN"`.
    pub talker: [u8; 2],
    /// Which sentence it was.
    pub kind: SentenceKind,
    /// UTC time of day of the fix (the second the sentence describes).
    pub time: TimeOfDay,
    /// UTC date, when the sentence carries one (RMC, ZDA).
    pub date: Option<Date>,
}

/// Why a sentence was not used. Every variant maps to one driver counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum NmeaError {
    /// Does not start with `$`, contains non-printable bytes, or the address is not
    /// two letters of talker plus three of sentence formatter.
    Framing,
    /// No `*hh` checksum (we require it; a bit error in the time must not pass).
    MissingChecksum,
    /// The checksum digits are not two hex digits.
    BadChecksumDigits,
    /// The XOR checksum does not match.
    BadChecksum {
        /// XOR of the bytes between `$` and `*`.
        computed: u8,
        /// The value after `*`.
        received: u8,
    },
    /// A well-formed sentence that carries no time we use (GSV, proprietary `$P…`, …).
    Unsupported,
    /// The receiver marks the data invalid (no fix, status `V`, quality 0, …).
    NoFix,
    /// A field we need is missing.
    MissingField,
    /// The time-of-day field is malformed or out of range.
    BadTime,
    /// The date field(s) are malformed or not a real date.
    BadDate,
}

impl fmt::Display for NmeaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NmeaError::Framing => f.write_str("NMEA: bad framing or address"),
            NmeaError::MissingChecksum => f.write_str("NMEA: missing checksum"),
            NmeaError::BadChecksumDigits => f.write_str("NMEA: malformed checksum"),
            NmeaError::BadChecksum { computed, received } => write!(
                f,
                "NMEA: checksum mismatch (computed {computed:02X}, received {received:02X})"
            ),
            NmeaError::Unsupported => f.write_str("NMEA: sentence carries no usable time"),
            NmeaError::NoFix => f.write_str("NMEA: receiver reports no valid fix"),
            NmeaError::MissingField => f.write_str("NMEA: required field missing"),
            NmeaError::BadTime => f.write_str("NMEA: invalid time of day"),
            NmeaError::BadDate => f.write_str("NMEA: invalid date"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for NmeaError {}

/// XOR of all bytes of `body` (the bytes between `$` and `*`).
pub fn checksum(body: &[u8]) -> u8 {
    body.iter().fold(0, |acc, b| acc ^ b)
}

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    }
}

/// Strips trailing CR/LF.
fn trim_line_end(mut s: &[u8]) -> &[u8] {
    while let [rest @ .., b'\r' | b'\n'] = s {
        s = rest;
    }
    s
}

/// Checks framing and checksum; returns the body between `$` and `*`.
fn verify(sentence: &[u8]) -> Result<&[u8], NmeaError> {
    let line = trim_line_end(sentence);
    let Some((b'$', rest)) = line.split_first() else {
        return Err(NmeaError::Framing);
    };
    if !rest.iter().all(|&b| matches!(b, 0x20..=0x7e)) {
        return Err(NmeaError::Framing);
    }
    let Some(star) = rest.iter().rposition(|&b| b == b'*') else {
        return Err(NmeaError::MissingChecksum);
    };
    let body = rest.get(..star).ok_or(NmeaError::MissingChecksum)?;
    let received = match rest.get(star + 1..) {
        Some([hi, lo]) => match (hex_digit(*hi), hex_digit(*lo)) {
            (Some(h), Some(l)) => (h << 4) | l,
            _ => return Err(NmeaError::BadChecksumDigits),
        },
        _ => return Err(NmeaError::BadChecksumDigits),
    };
    let computed = checksum(body);
    if computed != received {
        return Err(NmeaError::BadChecksum { computed, received });
    }
    Ok(body)
}

/// Splits a body into at most [`MAX_FIELDS`] comma-separated fields; missing ones are empty.
fn fields(body: &[u8]) -> [&[u8]; MAX_FIELDS] {
    let mut out: [&[u8]; MAX_FIELDS] = [&[]; MAX_FIELDS];
    for (slot, field) in out.iter_mut().zip(body.split(|&b| b == b',')) {
        *slot = field;
    }
    out
}

fn field<'a>(fields: &[&'a [u8]; MAX_FIELDS], i: usize) -> &'a [u8] {
    fields.get(i).copied().unwrap_or(&[])
}

/// Parses `hhmmss[.f…]`; up to nine fraction digits are used, more are checked and ignored.
pub(crate) fn parse_time(f: &[u8]) -> Result<TimeOfDay, NmeaError> {
    if f.is_empty() {
        return Err(NmeaError::MissingField);
    }
    let (hms, frac) = match f.iter().position(|&b| b == b'.') {
        Some(dot) => (f.get(..dot).unwrap_or(&[]), f.get(dot + 1..).unwrap_or(&[])),
        None => (f, &[][..]),
    };
    let [h1, h2, m1, m2, s1, s2] = hms else {
        return Err(NmeaError::BadTime);
    };
    let hour = calendar::parse_two(&[*h1, *h2]).ok_or(NmeaError::BadTime)?;
    let minute = calendar::parse_two(&[*m1, *m2]).ok_or(NmeaError::BadTime)?;
    let second = calendar::parse_two(&[*s1, *s2]).ok_or(NmeaError::BadTime)?;
    let mut nanos: u32 = 0;
    let mut scale: u32 = 100_000_000;
    for &b in frac {
        if !b.is_ascii_digit() {
            return Err(NmeaError::BadTime);
        }
        nanos = nanos.saturating_add(u32::from(b - b'0').saturating_mul(scale));
        scale /= 10;
    }
    TimeOfDay::new(hour, minute, second, nanos).map_err(|_| NmeaError::BadTime)
}

/// Parses an RMC `ddmmyy` date with the two-digit-year window starting at `window_start`.
fn parse_ddmmyy(f: &[u8], window_start: u16) -> Result<Date, NmeaError> {
    if f.is_empty() {
        return Err(NmeaError::MissingField);
    }
    let [d1, d2, m1, m2, y1, y2] = f else {
        return Err(NmeaError::BadDate);
    };
    let day = calendar::parse_two(&[*d1, *d2]).ok_or(NmeaError::BadDate)?;
    let month = calendar::parse_two(&[*m1, *m2]).ok_or(NmeaError::BadDate)?;
    let yy = calendar::parse_two(&[*y1, *y2]).ok_or(NmeaError::BadDate)?;
    let year = calendar::expand_two_digit_year(yy, window_start).ok_or(NmeaError::BadDate)?;
    Date::new(year, month, day).map_err(|_| NmeaError::BadDate)
}

/// Parses ZDA's `dd,mm,yyyy` fields.
fn parse_zda_date(day: &[u8], month: &[u8], year: &[u8]) -> Result<Date, NmeaError> {
    if day.is_empty() || month.is_empty() || year.is_empty() {
        return Err(NmeaError::MissingField);
    }
    let day = calendar::parse_two(day).ok_or(NmeaError::BadDate)?;
    let month = calendar::parse_two(month).ok_or(NmeaError::BadDate)?;
    let year = calendar::parse_digits::<4>(year)
        .and_then(|y| u16::try_from(y).ok())
        .ok_or(NmeaError::BadDate)?;
    Date::new(year, month, day).map_err(|_| NmeaError::BadDate)
}

/// Status `A` and a mode indicator that is absent or not `N`.
fn status_ok(status: &[u8], mode: &[u8]) -> bool {
    status == b"A" && mode != b"N"
}

/// Parses one sentence (`$` … `*hh`, trailing CR/LF optional). `year_window_start` is the
/// first year of the two-digit-year window used for RMC dates.
pub fn parse(sentence: &[u8], year_window_start: u16) -> Result<NmeaTime, NmeaError> {
    let body = verify(sentence)?;
    let f = fields(body);
    let address = field(&f, 0);
    if address.first() == Some(&b'P') {
        // Proprietary sentence ($P + manufacturer): well formed, not ours.
        return Err(NmeaError::Unsupported);
    }
    let [t1, t2, formatter @ ..] = address else {
        return Err(NmeaError::Framing);
    };
    if !t1.is_ascii_uppercase()
        || !(t2.is_ascii_uppercase() || t2.is_ascii_digit())
        || formatter.len() != 3
        || !formatter.iter().all(u8::is_ascii_uppercase)
    {
        return Err(NmeaError::Framing);
    }
    let kind = SentenceKind::from_formatter(formatter).ok_or(NmeaError::Unsupported)?;
    let talker = [*t1, *t2];
    let (time_field, date) = match kind {
        SentenceKind::Rmc => {
            if !status_ok(field(&f, 2), field(&f, 12)) {
                return Err(NmeaError::NoFix);
            }
            let time = field(&f, 1);
            let date = parse_ddmmyy(field(&f, 9), year_window_start);
            (time, Some(date))
        }
        SentenceKind::Gga => {
            if !matches!(field(&f, 6), b"1" | b"2" | b"3" | b"4" | b"5") {
                return Err(NmeaError::NoFix);
            }
            (field(&f, 1), None)
        }
        SentenceKind::Gll => {
            if !status_ok(field(&f, 6), field(&f, 7)) {
                return Err(NmeaError::NoFix);
            }
            (field(&f, 5), None)
        }
        SentenceKind::Zda => {
            if field(&f, 1).is_empty() {
                return Err(NmeaError::NoFix);
            }
            let date = parse_zda_date(field(&f, 2), field(&f, 3), field(&f, 4));
            (field(&f, 1), Some(date))
        }
    };
    let time = parse_time(time_field)?;
    let date = date.transpose()?;
    Ok(NmeaTime {
        talker,
        kind,
        time,
        date,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use calendar::DEFAULT_YEAR_WINDOW_START as W;

    #[test]
    fn rmc_ublox() {
        let s = b"$GNRMC,123519.00,A,4807.03800,N,01131.00000,E,0.022,,211126,,,A,V*11\r\n";
        let t = parse(s, W);
        // Checksum in the literal above is deliberately not precomputed; fix it up.
        let body = &s[1..s.len() - 5];
        let mut fixed = std::vec::Vec::from(&s[..s.len() - 4]);
        fixed.extend_from_slice(std::format!("{:02X}\r\n", checksum(body)).as_bytes());
        assert!(matches!(t, Err(NmeaError::BadChecksum { .. })));
        let t = parse(&fixed, W).unwrap();
        assert_eq!(t.talker, *b"GN");
        assert_eq!(t.kind, SentenceKind::Rmc);
        assert_eq!(t.time, TimeOfDay::new(12, 35, 19, 0).unwrap());
        assert_eq!(t.date, Some(Date::new(2026, 11, 21).unwrap()));
    }

    #[test]
    fn classic_examples() {
        // Widely published example sentences with their published checksums.
        let gga = b"$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47";
        let t = parse(gga, W).unwrap();
        assert_eq!((t.kind, t.date), (SentenceKind::Gga, None));
        assert_eq!(t.time.seconds_of_day(), 12 * 3600 + 35 * 60 + 19);
        let rmc = b"$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A";
        let t = parse(rmc, W).unwrap();
        assert_eq!(t.date, Some(Date::new(1994, 3, 23).unwrap()));
        let zda = b"$GPZDA,201530.00,04,07,2002,00,00*60";
        let t = parse(zda, W).unwrap();
        assert_eq!(t.date, Some(Date::new(2002, 7, 4).unwrap()));
        assert_eq!(t.time, TimeOfDay::new(20, 15, 30, 0).unwrap());
    }

    #[test]
    fn fraction_digits() {
        assert_eq!(parse_time(b"000000.5").unwrap().nanos, 500_000_000);
        assert_eq!(
            parse_time(b"000000.123456789123").unwrap().nanos,
            123_456_789
        );
        assert_eq!(parse_time(b"000000.").unwrap().nanos, 0);
        assert_eq!(parse_time(b"00000").unwrap_err(), NmeaError::BadTime);
        assert_eq!(parse_time(b"000000.1x").unwrap_err(), NmeaError::BadTime);
        assert_eq!(parse_time(b"240000").unwrap_err(), NmeaError::BadTime);
    }

    #[test]
    fn framing_errors() {
        assert_eq!(parse(b"GPRMC*00", W), Err(NmeaError::Framing));
        assert_eq!(parse(b"$GPRMC,1,2", W), Err(NmeaError::MissingChecksum));
        assert_eq!(parse(b"$GPRMC*G0", W), Err(NmeaError::BadChecksumDigits));
        assert_eq!(parse(b"$GPRMC*0", W), Err(NmeaError::BadChecksumDigits));
        assert_eq!(parse(b"$", W), Err(NmeaError::MissingChecksum));
        assert_eq!(parse(b"", W), Err(NmeaError::Framing));
    }
}
