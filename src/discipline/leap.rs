//! Calendar questions for leap seconds: which UTC day an NTP time falls on
//! and whether it is the last day of its month (leap seconds happen only at
//! the end of a month's last day; the kernel inserts or deletes at the end
//! of the day it is armed in). The calendar itself is
//! [`crate::refclock::calendar`]'s. Seconds are NTP seconds since 1900-01-01.

use crate::refclock::calendar::{Date, days_in_month};

/// Seconds per day.
pub(crate) const DAY: i64 = 86_400;

/// The UTC day number (days since 1900-01-01) of NTP second `secs`.
pub(crate) fn day_of(secs: i64) -> i64 {
    secs.div_euclid(DAY)
}

/// True if day number `day` is the last day of its month (false outside
/// the calendar's 1980–2399 range).
pub(crate) fn is_last_day_of_month(day: i64) -> bool {
    Date::from_days_since_ntp_epoch(day).is_some_and(|d| d.day == days_in_month(d.year, d.month))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// NTP seconds of 2017-01-01T00:00:00Z (Unix 1483228800).
    const NTP_2017: i64 = 1_483_228_800 + 2_208_988_800;

    #[test]
    fn month_ends() {
        assert!(is_last_day_of_month(day_of(NTP_2017 - 1)));
        assert!(!is_last_day_of_month(day_of(NTP_2017)));
        // 2016 is a leap year: Feb 29 is the last day, Feb 28 is not.
        let feb28 = day_of(NTP_2017) - 366 + 58;
        assert!(!is_last_day_of_month(feb28));
        assert!(is_last_day_of_month(feb28 + 1));
        assert!(!is_last_day_of_month(0));
    }
}
