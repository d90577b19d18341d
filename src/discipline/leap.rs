//! Calendar arithmetic for leap seconds: which UTC day an NTP time falls on
//! and whether it is the last day of its month (leap seconds happen only at
//! the end of a month's last day; the kernel inserts or deletes at the end
//! of the day it is armed in). Integer-only civil calendar (proleptic
//! Gregorian), no tables. Seconds are NTP seconds since 1900-01-01.

/// Seconds per day.
pub(crate) const DAY: i64 = 86_400;

/// Days from 0000-03-01 to 1900-01-01 in the proleptic Gregorian calendar.
const DAYS_0000_03_01_TO_1900: i64 = 693_901;

/// The UTC day number (days since 1900-01-01) of NTP second `secs`.
pub(crate) fn day_of(secs: i64) -> i64 {
    secs.div_euclid(DAY)
}

/// (year, month 1..=12, day 1..=31) of day number `day` (days since 1900-01-01).
pub(crate) fn civil(day: i64) -> (i64, u32, u32) {
    // Howard Hinnant's days-to-civil, with the era counted from 0000-03-01.
    let z = day.saturating_add(DAYS_0000_03_01_TO_1900);
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe.saturating_add(era.saturating_mul(400)) + i64::from(m <= 2);
    (y, m, d)
}

/// True if day number `day` is the last day of its month.
pub(crate) fn is_last_day_of_month(day: i64) -> bool {
    let (_, m, _) = civil(day);
    let (_, m_next, _) = civil(day.saturating_add(1));
    m != m_next
}

#[cfg(test)]
mod tests {
    use super::*;

    /// NTP seconds of 2017-01-01T00:00:00Z (Unix 1483228800).
    const NTP_2017: i64 = 1_483_228_800 + 2_208_988_800;

    #[test]
    fn known_dates() {
        assert_eq!(civil(0), (1900, 1, 1));
        assert_eq!(civil(day_of(NTP_2017)), (2017, 1, 1));
        assert_eq!(civil(day_of(NTP_2017 - 1)), (2016, 12, 31));
        assert_eq!(civil(day_of(NTP_2017) + 59), (2017, 3, 1));
        assert_eq!(civil(-1), (1899, 12, 31));
    }

    #[test]
    fn month_ends() {
        assert!(is_last_day_of_month(day_of(NTP_2017 - 1)));
        assert!(!is_last_day_of_month(day_of(NTP_2017)));
        // 2016 is a leap year: Feb 29 is the last day, Feb 28 is not.
        let feb28 = day_of(NTP_2017) - 366 + 58;
        assert_eq!(civil(feb28), (2016, 2, 28));
        assert!(!is_last_day_of_month(feb28));
        assert!(is_last_day_of_month(feb28 + 1));
    }
}
