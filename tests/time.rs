//! Property tests for the time types: Unix round trips, the era pivot,
//! decimal text round trips and saturating arithmetic.

use proptest::prelude::*;
use sundial::time::{
    Frequency, NtpDuration, NtpShort, NtpTime, NtpTimestamp, UNIX_EPOCH_OFFSET_SECONDS,
};

/// 2036-02-07T06:28:16Z in Unix seconds: the start of NTP era 1.
const ERA1_UNIX: i64 = 2_085_978_496;

fn any_time() -> impl Strategy<Value = NtpTime> {
    // ±2^40 s around 1900 covers ±35 000 years, far from saturation.
    (-(1i64 << 40)..(1i64 << 40), any::<u32>()).prop_map(|(s, f)| NtpTime::from_parts(s, f))
}

proptest! {
    #[test]
    fn unix_round_trip(secs in -(1i64 << 40)..(1i64 << 40), nanos in 0u32..1_000_000_000) {
        let t = NtpTime::from_unix(secs, nanos);
        prop_assert_eq!(t.to_unix(), (secs, nanos));
        prop_assert_eq!(t.seconds(), secs + UNIX_EPOCH_OFFSET_SECONDS);
    }

    #[test]
    fn unix_to_ntp_close(t in any_time()) {
        let (s, n) = t.to_unix();
        prop_assert!(n < 1_000_000_000);
        let back = NtpTime::from_unix(s, n);
        // Half a nanosecond is at most 3 units of 2^-32 s.
        prop_assert!((back - t).abs() <= NtpDuration::from_bits(3));
    }

    #[test]
    fn resolve_recovers_nearby_time(t in any_time(), delta in -(1i64 << 31)..(1i64 << 31)) {
        let near = t + NtpDuration::from_seconds(delta);
        let resolved = t.to_timestamp().resolve(near);
        // Strictly inside ±2^31 s the era is unambiguous.
        if delta.abs() < (1i64 << 31) - 1 {
            prop_assert_eq!(resolved, t);
        }
        prop_assert_eq!(resolved.to_timestamp(), t.to_timestamp());
    }

    #[test]
    fn resolve_lands_within_half_era(ts in any::<u64>(), near in any_time()) {
        let r = NtpTimestamp::from_bits(ts).resolve(near);
        prop_assert_eq!(r.to_timestamp().to_bits(), ts);
        let d = r - near;
        prop_assert!(d >= NtpDuration::from_seconds(-(1 << 31)));
        prop_assert!(d < NtpDuration::from_seconds(1 << 31));
    }

    #[test]
    fn era_pivot_2036(offset in -(1i64 << 30)..(1i64 << 30), nanos in 0u32..1_000_000_000,
                      skew in -(1i64 << 30)..(1i64 << 30)) {
        let unix = ERA1_UNIX + offset;
        let t = NtpTime::from_unix(unix, nanos);
        prop_assert_eq!(t.era(), if offset >= 0 { 1 } else { 0 });
        let ts = t.to_timestamp();
        // Wire seconds wrap to small numbers after the pivot.
        if offset >= 0 {
            prop_assert_eq!(i64::from(ts.seconds()), offset);
        }
        let near = NtpTime::from_unix(unix + skew, 0);
        let r = ts.resolve(near);
        prop_assert_eq!(r, t);
        prop_assert_eq!(r.to_unix(), (unix, nanos));
    }

    #[test]
    fn before_1968_and_1900(unix in -(5i64 << 32)..-(1i64 << 31), nanos in 0u32..1_000_000_000) {
        let t = NtpTime::from_unix(unix, nanos);
        prop_assert_eq!(t.to_unix(), (unix, nanos));
        prop_assert_eq!(t.era(), (unix + UNIX_EPOCH_OFFSET_SECONDS).div_euclid(1 << 32) as i32);
        prop_assert_eq!(t.to_timestamp().resolve(t + NtpDuration::from_seconds(1000)), t);
    }

    #[test]
    fn time_difference_round_trip(a in any_time(), d in any::<i64>()) {
        let d = NtpDuration::from_bits(d);
        let b = a + d;
        prop_assert_eq!(b - a, d);
        prop_assert_eq!(b - d, a);
    }

    #[test]
    fn duration_ops_saturate(a in any::<i64>(), b in any::<i64>()) {
        let (x, y) = (NtpDuration::from_bits(a), NtpDuration::from_bits(b));
        prop_assert_eq!((x + y).to_bits(), a.saturating_add(b));
        prop_assert_eq!((x - y).to_bits(), a.saturating_sub(b));
        prop_assert_eq!((-x).to_bits(), a.saturating_neg());
        prop_assert_eq!(x.saturating_mul(b).to_bits(), a.saturating_mul(b));
    }

    #[test]
    fn duration_text_round_trip(bits in any::<i64>()) {
        let d = NtpDuration::from_bits(bits);
        // 10 decimals resolve 2^-32 s (≈ 2.3e-10) unambiguously.
        let text = format!("{d:.10}");
        prop_assert_eq!(NtpDuration::parse_decimal_seconds(&text), Ok(d));
        let nine = format!("{d}");
        let back = NtpDuration::parse_decimal_seconds(&nine).unwrap();
        prop_assert!((back - d).abs() <= NtpDuration::from_nanos(1));
    }

    #[test]
    fn duration_nanos_round_trip(ns in -2_147_483_647_000_000_000i64..2_147_483_647_000_000_000) {
        prop_assert_eq!(NtpDuration::from_nanos(ns).as_nanos(), ns);
        let us = ns >> 10;
        prop_assert_eq!(NtpDuration::from_micros(us).as_micros(), us);
        let ms = ns >> 20;
        prop_assert_eq!(NtpDuration::from_millis(ms).as_millis(), ms);
    }

    #[test]
    fn parse_integers_exact(secs in -(1i64 << 31)..(1i64 << 31)) {
        prop_assert_eq!(
            NtpDuration::parse_decimal_seconds(&secs.to_string()),
            Ok(NtpDuration::from_seconds(secs))
        );
    }

    #[test]
    fn parse_never_panics(s in "[-+0-9.]{0,40}") {
        let _ = NtpDuration::parse_decimal_seconds(&s);
        let _ = Frequency::parse_decimal_ppm(&s);
    }

    #[test]
    fn short_round_trip(bits in any::<u32>()) {
        let s = NtpShort::from_bits(bits);
        prop_assert_eq!(NtpShort::from_duration_saturating(s.to_duration()), s);
    }

    #[test]
    fn frequency_round_trips(ppb in -(1i64 << 40)..(1i64 << 40), t in -(1i64 << 40)..(1i64 << 40)) {
        prop_assert_eq!(Frequency::from_ppb(ppb).as_ppb(), ppb);
        prop_assert_eq!(Frequency::from_timex_freq(t).to_timex_freq(), t);
        let f = Frequency::from_ppb(ppb);
        let text = format!("{f:.10}");
        prop_assert_eq!(Frequency::parse_decimal_ppm(&text), Ok(f));
    }
}
