//! Behaviour tests for the NMEA and Meinberg time-code parsers: sentences as real receivers
//! send them, property tests (generate → parse → equal; mutate → error, never a panic).

use proptest::prelude::*;
use sundial::refclock::calendar::{DEFAULT_YEAR_WINDOW_START as W, Date, TimeOfDay};
use sundial::refclock::emit;
use sundial::refclock::meinberg::{self, MeinbergError, MeinbergStatus, MeinbergTime, Zone};
use sundial::refclock::nmea::{self, NmeaError, SentenceKind};
use sundial::refclock::sentence::{Framing, SentenceAssembler};

fn date(y: u16, m: u8, d: u8) -> Date {
    Date::new(y, m, d).unwrap()
}

fn tod(h: u8, m: u8, s: u8, ns: u32) -> TimeOfDay {
    TimeOfDay::new(h, m, s, ns).unwrap()
}

#[test]
fn receivers_that_have_a_fix() {
    use SentenceKind::*;
    type Case = (&'static str, [u8; 2], SentenceKind, TimeOfDay, Option<Date>);
    let cases: &[Case] = &[
        // u-blox M8/F9, NMEA 4.10 (GN talker, nav status field).
        (
            "$GNRMC,083559.00,A,4717.11437,N,00833.91522,E,0.004,77.52,091202,,,A,V*33\r\n",
            *b"GN",
            Rmc,
            tod(8, 35, 59, 0),
            Some(date(2002, 12, 9)),
        ),
        (
            "$GNGGA,092725.00,4717.11399,N,00833.91590,E,1,08,1.01,499.6,M,48.0,M,,*45\r\n",
            *b"GN",
            Gga,
            tod(9, 27, 25, 0),
            None,
        ),
        (
            "$GNZDA,082710.00,16,09,2002,00,00*7A\r\n",
            *b"GN",
            Zda,
            tod(8, 27, 10, 0),
            Some(date(2002, 9, 16)),
        ),
        (
            "$GNGLL,4717.11364,N,00833.91565,E,092321.00,A,A*7E\r\n",
            *b"GN",
            Gll,
            tod(9, 23, 21, 0),
            None,
        ),
        // SiRF (NMEA 2.3 mode indicator, millisecond fractions).
        (
            "$GPRMC,161229.487,A,3723.2475,N,12158.3416,W,0.13,309.62,120598,,,A*7D\r\n",
            *b"GP",
            Rmc,
            tod(16, 12, 29, 487_000_000),
            Some(date(1998, 5, 12)),
        ),
        (
            "$GPGGA,002153.000,3342.6618,N,11751.3858,W,1,10,1.2,27.0,M,-34.2,M,,0000*5E\r\n",
            *b"GP",
            Gga,
            tod(0, 21, 53, 0),
            None,
        ),
        // Garmin GPS 18x LVC.
        (
            "$GPRMC,212116,A,3726.0785,N,12212.2605,W,000.0,242.9,201125,013.9,E,A*04\r\n",
            *b"GP",
            Rmc,
            tod(21, 21, 16, 0),
            Some(date(2025, 11, 20)),
        ),
        // MTK / Quectel.
        (
            "$GPRMC,064951.000,A,2307.1256,N,12016.4438,E,0.03,165.48,260406,3.05,W,A*2C\r\n",
            *b"GP",
            Rmc,
            tod(6, 49, 51, 0),
            Some(date(2006, 4, 26)),
        ),
        // Trimble ZDA without fraction.
        (
            "$GPZDA,181813,14,10,2003,00,00*4F\r\n",
            *b"GP",
            Zda,
            tod(18, 18, 13, 0),
            Some(date(2003, 10, 14)),
        ),
        // GLONASS, Galileo and BeiDou talkers.
        (
            "$GLGLL,5109.0262317,N,11401.8407304,W,202725.00,A,D*65\r\n",
            *b"GL",
            Gll,
            tod(20, 27, 25, 0),
            None,
        ),
        (
            "$GAZDA,235959.50,31,12,2025,00,00*77\r\n",
            *b"GA",
            Zda,
            tod(23, 59, 59, 500_000_000),
            Some(date(2025, 12, 31)),
        ),
        (
            "$BDRMC,120000.000,A,3958.0000,N,11620.0000,E,0.00,0.00,010126,,,A*7B\r\n",
            *b"BD",
            Rmc,
            tod(12, 0, 0, 0),
            Some(date(2026, 1, 1)),
        ),
    ];
    for (s, talker, kind, time, d) in cases {
        let t = nmea::parse(s.as_bytes(), W).unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!(
            (t.talker, t.kind, t.time, t.date),
            (*talker, *kind, *time, *d),
            "{s}"
        );
    }
}

#[test]
fn receivers_without_fix_and_other_sentences() {
    let cases: &[(&str, NmeaError)] = &[
        ("$GNRMC,,V,,,,,,,,,,N,V*37", NmeaError::NoFix),
        ("$GNGGA,,,,,,0,00,99.99,,,,,,*56", NmeaError::NoFix),
        (
            "$GPRMC,225446,V,4916.45,N,12311.12,W,000.5,054.7,191194,020.3,E*7F",
            NmeaError::NoFix,
        ),
        (
            "$GPGGA,120000.00,4807.038,N,01131.000,E,6,05,1.5,545.4,M,46.9,M,,*60",
            NmeaError::NoFix,
        ),
        (
            "$GPGSV,3,1,11,10,63,137,17,07,61,098,15,05,59,290,20,08,54,157,30*70",
            NmeaError::Unsupported,
        ),
        (
            "$PUBX,04,073731.00,091202,113851.00,1196,15D,1930035,-2660.664,43*71",
            NmeaError::Unsupported,
        ),
        // Bad checksum (last digit changed).
        (
            "$GPZDA,181813,14,10,2003,00,00*4E",
            NmeaError::BadChecksum {
                computed: 0x4f,
                received: 0x4e,
            },
        ),
        // Truncated in the middle: checksum lost.
        ("$GPZDA,181813,14,10,20", NmeaError::MissingChecksum),
        (
            "$GPZDA,181813,14,10,2003,00,00*4",
            NmeaError::BadChecksumDigits,
        ),
    ];
    for (s, want) in cases {
        assert_eq!(nmea::parse(s.as_bytes(), W), Err(*want), "{s}");
    }
}

fn with_checksum(body: &str) -> String {
    format!("${body}*{:02X}\r\n", nmea::checksum(body.as_bytes()))
}

#[test]
fn invalid_dates_and_times_are_rejected() {
    for body in [
        "GPRMC,120000,A,,,,,,,310226,,", // 31 Feb
        "GPRMC,120000,A,,,,,,,290225,,", // 29 Feb in a common year
        "GPRMC,120000,A,,,,,,,001326,,", // month 13, day 0
        "GPZDA,120000,32,01,2026,00,00", // day 32
        "GPZDA,120000,01,01,1979,00,00", // before GPS
        "GPZDA,120000,01,01,26,00,00",   // two-digit year in ZDA
    ] {
        assert_eq!(
            nmea::parse(with_checksum(body).as_bytes(), W),
            Err(NmeaError::BadDate),
            "{body}"
        );
    }
    for body in [
        "GPRMC,246000,A,,,,,,,010126,,",
        "GPGGA,12000,,,,,1,",
        "GPZDA,12:00:00,01,01,2026,,",
    ] {
        assert_eq!(
            nmea::parse(with_checksum(body).as_bytes(), W),
            Err(NmeaError::BadTime),
            "{body}"
        );
    }
    assert_eq!(
        nmea::parse(with_checksum("GPRMC,120000,A,,,,,,,,,").as_bytes(), W),
        Err(NmeaError::MissingField)
    );
}

#[test]
fn assembler_feeds_parser() {
    let stream = b"\x00\xff$GPGSV,1*00\r\n$GNZDA,082710.00,16,09,2002,00,00*7A\r\n$GNRMC,,V,";
    let mut asm = SentenceAssembler::<u64, { nmea::MAX_SENTENCE_LEN }>::new(Framing::Nmea);
    let mut got = Vec::new();
    for (i, &b) in stream.iter().enumerate() {
        if let Some(s) = asm.push(b, i as u64) {
            got.push((nmea::parse(s.bytes, W).map(|t| t.kind), s.end_time));
        }
    }
    assert_eq!(got.len(), 2);
    assert!(got[0].0.is_err());
    assert_eq!(got[1], (Ok(SentenceKind::Zda), 52));
}

#[test]
fn meinberg_strings() {
    // GPS receiver in UTC, synchronised, leap second announced.
    let t = meinberg::parse(b"\x02D:30.06.15;T:2;U:23.10.00;  UA\x03", W).unwrap();
    assert!(t.status.is_synchronized() && t.status.leap_announcement);
    assert_eq!(t.zone, Zone::Utc);
    // DCF77 C51 after reset, CEST.
    let t = meinberg::parse(b"\x02D:01.07.26;T:3;U:14.00.00;# S \x03", W).unwrap();
    assert!(t.status.not_synchronized && !t.status.free_running);
    let day = date(2026, 7, 1).days_since_ntp_epoch();
    assert_eq!(t.utc_ntp_seconds(), day * 86_400 + 12 * 3600);
    // New Year in CET is still the old year in UTC.
    let t = meinberg::parse(b"\x02D:01.01.27;T:5;U:00.30.00;    \x03", W).unwrap();
    assert_eq!(
        t.utc_ntp_seconds(),
        date(2026, 12, 31).days_since_ntp_epoch() * 86_400 + 23 * 3600 + 1800
    );
    assert_eq!(
        meinberg::parse(b"\x02D:01.01.27;T:5;U:00.30.00;    ", W),
        Err(MeinbergError::Length)
    );
}

fn arb_talker() -> impl Strategy<Value = [u8; 2]> {
    prop_oneof![
        Just(*b"GP"),
        Just(*b"GN"),
        Just(*b"GL"),
        Just(*b"GA"),
        Just(*b"BD"),
        Just(*b"GB"),
        Just(*b"GQ"),
        // Any first letter but P (`$P…` is a proprietary sentence).
        (
            (b'A'..=b'Z').prop_filter("proprietary", |a| *a != b'P'),
            b'A'..=b'Z'
        )
            .prop_map(|(a, b)| [a, b]),
    ]
}

fn arb_date() -> impl Strategy<Value = Date> {
    (1980u16..=2079, 1u8..=12, 1u8..=31).prop_map(|(y, m, d)| {
        Date::new(
            y,
            m,
            d.min(sundial::refclock::calendar::days_in_month(y, m)),
        )
        .unwrap()
    })
}

/// A time with `digits` fraction digits (0 = no dot).
fn arb_time() -> impl Strategy<Value = (TimeOfDay, usize)> {
    (0u8..24, 0u8..60, 0u8..=60, 0usize..=6)
        .prop_flat_map(|(h, m, s, digits)| {
            (Just((h, m, s, digits)), 0u32..10u32.pow(digits as u32))
        })
        .prop_map(|((h, m, s, digits), frac)| {
            let nanos = frac * 10u32.pow(9 - digits as u32);
            (TimeOfDay::new(h, m, s, nanos).unwrap(), digits)
        })
}

fn fmt_time(t: TimeOfDay, digits: usize) -> String {
    let mut s = format!("{:02}{:02}{:02}", t.hour, t.minute, t.second);
    if digits > 0 {
        let frac = format!("{:09}", t.nanos);
        s.push('.');
        s.push_str(&frac[..digits]);
    }
    s
}

fn build(kind: SentenceKind, talker: [u8; 2], t: TimeOfDay, digits: usize, d: Date) -> String {
    let talker = std::str::from_utf8(&talker).unwrap();
    let time = fmt_time(t, digits);
    let body = match kind {
        SentenceKind::Rmc => format!(
            "{talker}RMC,{time},A,4807.038,N,01131.000,E,022.4,084.4,{:02}{:02}{:02},003.1,W,A",
            d.day,
            d.month,
            d.year % 100
        ),
        SentenceKind::Gga => {
            format!("{talker}GGA,{time},4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,")
        }
        SentenceKind::Gll => format!("{talker}GLL,4807.038,N,01131.000,E,{time},A,A"),
        SentenceKind::Zda => format!(
            "{talker}ZDA,{time},{:02},{:02},{:04},00,00",
            d.day, d.month, d.year
        ),
    };
    with_checksum(&body)
}

fn arb_kind() -> impl Strategy<Value = SentenceKind> {
    prop_oneof![
        Just(SentenceKind::Rmc),
        Just(SentenceKind::Gga),
        Just(SentenceKind::Gll),
        Just(SentenceKind::Zda)
    ]
}

proptest! {
    #[test]
    fn nmea_generated_sentences_parse_back(
        kind in arb_kind(), talker in arb_talker(), (t, digits) in arb_time(), d in arb_date()
    ) {
        let s = build(kind, talker, t, digits, d);
        let parsed = nmea::parse(s.as_bytes(), W).unwrap();
        prop_assert_eq!(parsed.kind, kind);
        prop_assert_eq!(parsed.talker, talker);
        prop_assert_eq!(parsed.time, t);
        let want_date = matches!(kind, SentenceKind::Rmc | SentenceKind::Zda).then_some(d);
        prop_assert_eq!(parsed.date, want_date);
    }

    #[test]
    fn nmea_body_mutation_is_rejected(
        kind in arb_kind(), talker in arb_talker(), (t, digits) in arb_time(), d in arb_date(),
        pos in any::<prop::sample::Index>(), byte in any::<u8>()
    ) {
        let mut s = build(kind, talker, t, digits, d).into_bytes();
        let star = s.iter().rposition(|&b| b == b'*').unwrap();
        let i = 1 + pos.index(star - 1);
        prop_assume!(s[i] != byte && byte != b'*');
        s[i] = byte;
        prop_assert!(nmea::parse(&s, W).is_err());
    }

    #[test]
    fn nmea_arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..160)) {
        let _ = nmea::parse(&bytes, W);
    }

    #[test]
    fn nmea_truncation_is_rejected(
        kind in arb_kind(), talker in arb_talker(), (t, digits) in arb_time(), d in arb_date(),
        cut in any::<prop::sample::Index>()
    ) {
        let s = build(kind, talker, t, digits, d).into_bytes();
        let end = s.len() - 2; // without CR LF
        let cut = cut.index(end);
        prop_assert!(nmea::parse(&s[..cut], W).is_err());
    }

    #[test]
    fn meinberg_generated_strings_parse_back(
        d in arb_date(), h in 0u8..24, m in 0u8..60, sec in 0u8..=60,
        u in any::<bool>(), v in any::<bool>(), x in 0usize..3, y in 0usize..3
    ) {
        let zone = [b'U', b' ', b'S'][x];
        let ann = [b' ', b'!', b'A'][y];
        let s = format!(
            "\x02D:{:02}.{:02}.{:02};T:{};U:{:02}.{:02}.{:02};{}{}{}{}\x03",
            d.day, d.month, d.year % 100, d.iso_weekday(), h, m, sec,
            if u { '#' } else { ' ' }, if v { '*' } else { ' ' }, zone as char, ann as char
        );
        let p = meinberg::parse(s.as_bytes(), W).unwrap();
        prop_assert_eq!(p.local_date, d);
        prop_assert_eq!(p.local_time, TimeOfDay::new(h, m, sec, 0).unwrap());
        prop_assert_eq!(p.status.not_synchronized, u);
        prop_assert_eq!(p.status.free_running, v);
        prop_assert_eq!(p.status.leap_announcement, ann == b'A');
        prop_assert_eq!(p.status.dst_announcement, ann == b'!');
        let want_zone = [Zone::Utc, Zone::Cet, Zone::Cest][x];
        prop_assert_eq!(p.zone, want_zone);
    }

    #[test]
    fn meinberg_mutation_never_panics(
        d in arb_date(), pos in 0usize..32, byte in any::<u8>()
    ) {
        let s = format!(
            "\x02D:{:02}.{:02}.{:02};T:{};U:12.00.00;    \x03",
            d.day, d.month, d.year % 100, d.iso_weekday()
        );
        let mut s = s.into_bytes();
        let fixed = !matches!(pos, 3 | 4 | 6 | 7 | 9 | 10 | 14 | 18 | 19 | 21 | 22 | 24 | 25 | 27..=30);
        let old = s[pos];
        s[pos] = byte;
        let r = meinberg::parse(&s, W);
        if fixed && byte != old {
            prop_assert!(r.is_err());
        }
    }

    #[test]
    fn nmea_emit_parse_round_trip(
        kind in arb_kind(), talker in arb_talker(), (t, digits) in arb_time(), d in arb_date()
    ) {
        let mut buf = [0u8; nmea::MAX_SENTENCE_LEN];
        let n = emit::nmea_sentence(kind, talker, d, t, digits as u8, &mut buf).unwrap();
        let p = nmea::parse(&buf[..n], W).unwrap();
        prop_assert_eq!((p.kind, p.talker, p.time), (kind, talker, t));
        let want_date = matches!(kind, SentenceKind::Rmc | SentenceKind::Zda).then_some(d);
        prop_assert_eq!(p.date, want_date);
    }

    #[test]
    fn meinberg_emit_parse_round_trip(
        d in arb_date(), h in 0u8..24, m in 0u8..60, sec in 0u8..=60,
        u in any::<bool>(), v in any::<bool>(), x in 0usize..3, y in 0usize..3
    ) {
        let t = MeinbergTime {
            local_date: d,
            local_time: TimeOfDay::new(h, m, sec, 0).unwrap(),
            weekday: d.iso_weekday(),
            zone: [Zone::Utc, Zone::Cet, Zone::Cest][x],
            status: MeinbergStatus {
                not_synchronized: u,
                free_running: v,
                dst_announcement: y == 1,
                leap_announcement: y == 2,
            },
        };
        let mut out = [0u8; meinberg::STRING_LEN];
        emit::meinberg_string(&t, &mut out).unwrap();
        prop_assert_eq!(meinberg::parse(&out, W), Ok(t));
    }

    #[test]
    fn meinberg_arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..40)) {
        let _ = meinberg::parse(&bytes, W);
    }
}
