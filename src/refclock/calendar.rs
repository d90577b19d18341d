//! Civil (proleptic Gregorian) calendar arithmetic for the time-code parsers.
//!
//! Owns: validation of the date and time-of-day fields that receivers send, the two-digit-year
//! window, and the conversion of a UTC civil time to seconds since the NTP epoch
//! (1900-01-01T00:00:00 UTC). It knows nothing about receivers, timestamps or eras.
//!
//! All arithmetic is on small, already validated numbers: years are limited to
//! [`MIN_YEAR`]..=[`MAX_YEAR`], so nothing here can overflow.

/// Earliest year a receiver may report (the GPS epoch, 1980-01-06, lies in it).
pub const MIN_YEAR: u16 = 1980;
/// Latest year a receiver may report. Later dates are rejected as implausible.
pub const MAX_YEAR: u16 = 2399;

/// Default first year of the two-digit-year window: `yy` maps into
/// `DEFAULT_YEAR_WINDOW_START ..= DEFAULT_YEAR_WINDOW_START + 99`, i.e. 80..99 → 1980..1999 and
/// 00..79 → 2000..2079. 1980 is the GPS epoch: no GPS receiver reports an earlier year.
/// Deployments that outlive 2079 pass a later window start to the drivers.
pub const DEFAULT_YEAR_WINDOW_START: u16 = 1980;

/// Seconds per day.
pub const SECONDS_PER_DAY: i64 = 86_400;

/// Days from 0000-03-01 (proleptic Gregorian) to 1900-01-01.
const DAYS_TO_NTP_EPOCH: i64 = 693_901;

/// A calendar date (proleptic Gregorian).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Date {
    /// Full year, [`MIN_YEAR`]..=[`MAX_YEAR`].
    pub year: u16,
    /// Month, 1..=12.
    pub month: u8,
    /// Day of month, 1..=28/29/30/31.
    pub day: u8,
}

/// A time of day as a receiver reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TimeOfDay {
    /// Hour, 0..=23.
    pub hour: u8,
    /// Minute, 0..=59.
    pub minute: u8,
    /// Second, 0..=60 (60 only during an inserted leap second).
    pub second: u8,
    /// Fraction of the second in nanoseconds, 0..=999_999_999.
    pub nanos: u32,
}

/// The reason a date or time of day is not a real one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum CalendarError {
    /// Year outside [`MIN_YEAR`]..=[`MAX_YEAR`].
    Year,
    /// Month outside 1..=12.
    Month,
    /// Day 0 or past the end of the month.
    Day,
    /// Hour, minute, second or fraction out of range.
    Time,
}

/// Whether `year` is a Gregorian leap year.
pub const fn is_leap_year(year: u16) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Number of days in `month` (1..=12) of `year`; 0 for an invalid month.
pub const fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Expands a two-digit year `yy` (0..=99) into the century window that starts at
/// `window_start` (see [`DEFAULT_YEAR_WINDOW_START`]). Returns `None` for `yy > 99`.
pub fn expand_two_digit_year(yy: u8, window_start: u16) -> Option<u16> {
    if yy > 99 {
        return None;
    }
    let base = window_start % 100;
    let century = window_start - base;
    let yy = u16::from(yy);
    let year = if yy >= base {
        century.checked_add(yy)?
    } else {
        century.checked_add(100)?.checked_add(yy)?
    };
    Some(year)
}

impl Date {
    /// Builds a date after checking every field.
    pub fn new(year: u16, month: u8, day: u8) -> Result<Self, CalendarError> {
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
            return Err(CalendarError::Year);
        }
        if !(1..=12).contains(&month) {
            return Err(CalendarError::Month);
        }
        if day == 0 || day > days_in_month(year, month) {
            return Err(CalendarError::Day);
        }
        Ok(Self { year, month, day })
    }

    /// Days since 1900-01-01 (day 0). Assumes a validated date.
    pub fn days_since_ntp_epoch(self) -> i64 {
        // Shift the year to start in March so the leap day is the last day of the year.
        let (y, m) = if self.month <= 2 {
            (i64::from(self.year) - 1, i64::from(self.month) + 9)
        } else {
            (i64::from(self.year), i64::from(self.month) - 3)
        };
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let doy = (153 * m + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - DAYS_TO_NTP_EPOCH
    }

    /// The date `days` days after 1900-01-01 (negative: before), or `None` when it falls
    /// outside [`MIN_YEAR`]..=[`MAX_YEAR`].
    pub fn from_days_since_ntp_epoch(days: i64) -> Option<Self> {
        let z = days.checked_add(DAYS_TO_NTP_EPOCH)?;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = era.checked_mul(400)?.checked_add(yoe)? + i64::from(month <= 2);
        let year = u16::try_from(year).ok()?;
        Self::new(year, u8::try_from(month).ok()?, u8::try_from(day).ok()?).ok()
    }

    /// ISO weekday: 1 = Monday … 7 = Sunday.
    pub fn iso_weekday(self) -> u8 {
        // 1900-01-01 was a Monday.
        let w = self.days_since_ntp_epoch().rem_euclid(7);
        // w is 0..=6, so this cannot truncate.
        (w as u8) + 1
    }
}

impl TimeOfDay {
    /// Builds a time of day after checking every field (second 60 is allowed).
    pub fn new(hour: u8, minute: u8, second: u8, nanos: u32) -> Result<Self, CalendarError> {
        if hour > 23 || minute > 59 || second > 60 || nanos > 999_999_999 {
            return Err(CalendarError::Time);
        }
        Ok(Self {
            hour,
            minute,
            second,
            nanos,
        })
    }

    /// Seconds since midnight (a leap second 60 counts as 86_400 at 23:59:60).
    pub fn seconds_of_day(self) -> i64 {
        i64::from(self.hour) * 3600 + i64::from(self.minute) * 60 + i64::from(self.second)
    }

    /// Whether this is an inserted leap second (`second == 60`).
    pub fn is_leap_second(self) -> bool {
        self.second == 60
    }
}

/// Seconds since the NTP epoch (1900-01-01T00:00:00 UTC) of `date` at `time` (UTC),
/// counting days of exactly 86 400 s as NTP does. The fraction is `time.nanos`.
pub fn ntp_seconds(date: Date, time: TimeOfDay) -> i64 {
    date.days_since_ntp_epoch() * SECONDS_PER_DAY + time.seconds_of_day()
}

/// The UTC date and time of day (whole seconds) of `seconds` since the NTP epoch, or `None`
/// outside [`MIN_YEAR`]..=[`MAX_YEAR`]. Inverse of [`ntp_seconds`] (never yields second 60).
pub fn civil_from_ntp_seconds(seconds: i64) -> Option<(Date, TimeOfDay)> {
    let date = Date::from_days_since_ntp_epoch(seconds.div_euclid(SECONDS_PER_DAY))?;
    let tod = seconds.rem_euclid(SECONDS_PER_DAY);
    let part = |v: i64| u8::try_from(v).ok();
    let time = TimeOfDay::new(part(tod / 3600)?, part(tod / 60 % 60)?, part(tod % 60)?, 0).ok()?;
    Some((date, time))
}

/// Parses exactly `N` ASCII decimal digits (`N` ≤ 9) into a number.
pub(crate) fn parse_digits<const N: usize>(bytes: &[u8]) -> Option<u32> {
    let digits: &[u8; N] = bytes.try_into().ok()?;
    let mut value: u32 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value.checked_mul(10)?.checked_add(u32::from(b - b'0'))?;
    }
    Some(value)
}

/// Parses two ASCII digits into a `u8`.
pub(crate) fn parse_two(bytes: &[u8]) -> Option<u8> {
    parse_digits::<2>(bytes).and_then(|v| u8::try_from(v).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_and_known_days() {
        assert_eq!(
            Date::new(1980, 1, 6).unwrap().days_since_ntp_epoch(),
            29_224
        );
        // 1970-01-01 would be day 25567; 2000-01-01 is 36524 days after 1900-01-01.
        assert_eq!(
            Date::new(2000, 1, 1).unwrap().days_since_ntp_epoch(),
            36_524
        );
        // 2036-02-07 is NTP era 1 start: 2^32 s / 86400 = 49710.27 days.
        assert_eq!(
            Date::new(2036, 2, 7).unwrap().days_since_ntp_epoch(),
            49_710
        );
    }

    #[test]
    fn round_trip_days() {
        for days in (29_224..182_000).step_by(37) {
            let d = Date::from_days_since_ntp_epoch(days).unwrap();
            assert_eq!(d.days_since_ntp_epoch(), days);
        }
    }

    #[test]
    fn weekday() {
        // 2026-11-21 is a Saturday.
        assert_eq!(Date::new(2026, 11, 21).unwrap().iso_weekday(), 6);
        assert_eq!(Date::new(2000, 1, 1).unwrap().iso_weekday(), 6);
    }

    #[test]
    fn leap_years_and_month_lengths() {
        assert!(is_leap_year(2000));
        assert!(!is_leap_year(2100));
        assert!(is_leap_year(2024));
        assert_eq!(Date::new(2024, 2, 29).map(|d| d.day), Ok(29));
        assert_eq!(Date::new(2023, 2, 29), Err(CalendarError::Day));
        assert_eq!(Date::new(2023, 4, 31), Err(CalendarError::Day));
        assert_eq!(Date::new(2023, 13, 1), Err(CalendarError::Month));
        assert_eq!(Date::new(1979, 12, 31), Err(CalendarError::Year));
    }

    #[test]
    fn two_digit_years() {
        assert_eq!(expand_two_digit_year(80, 1980), Some(1980));
        assert_eq!(expand_two_digit_year(99, 1980), Some(1999));
        assert_eq!(expand_two_digit_year(0, 1980), Some(2000));
        assert_eq!(expand_two_digit_year(79, 1980), Some(2079));
        assert_eq!(expand_two_digit_year(25, 2026), Some(2125));
        assert_eq!(expand_two_digit_year(26, 2026), Some(2026));
        assert_eq!(expand_two_digit_year(100, 1980), None);
    }

    #[test]
    fn time_of_day_limits() {
        assert!(TimeOfDay::new(23, 59, 60, 0).unwrap().is_leap_second());
        assert_eq!(TimeOfDay::new(24, 0, 0, 0), Err(CalendarError::Time));
        assert_eq!(TimeOfDay::new(0, 60, 0, 0), Err(CalendarError::Time));
        assert_eq!(TimeOfDay::new(0, 0, 61, 0), Err(CalendarError::Time));
        assert_eq!(
            TimeOfDay::new(0, 0, 0, 1_000_000_000),
            Err(CalendarError::Time)
        );
    }

    #[test]
    fn civil_round_trip() {
        for secs in (2_524_608_000i64..2_600_000_000).step_by(86_399 * 3 + 17) {
            let (d, t) = civil_from_ntp_seconds(secs).unwrap();
            assert_eq!(ntp_seconds(d, t), secs);
        }
        assert_eq!(civil_from_ntp_seconds(0), None);
    }

    #[test]
    fn digits() {
        assert_eq!(parse_two(b"07"), Some(7));
        assert_eq!(parse_two(b"7"), None);
        assert_eq!(parse_two(b"a7"), None);
        assert_eq!(parse_digits::<4>(b"2026"), Some(2026));
    }
}
