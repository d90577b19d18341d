//! Behaviour tests for the reference clock drivers through the common [`Refclock`] API:
//! GPS + PPS stratum-1 path, type 22 numbered by a prefer peer, loss of signal, Meinberg
//! trust time, rejection counters.

use sundial::refclock::calendar::{Date, SECONDS_PER_DAY};
use sundial::refclock::nmea;
use sundial::refclock::nmea_clock::NmeaCounters;
use sundial::refclock::{Driver, Fudge, FudgeFlags, Refclock, RefclockId, SyncState};
use sundial::time::{NtpDuration, NtpTime};

/// 2026-11-21T00:00:00Z.
fn day0() -> NtpTime {
    NtpTime::from_parts(
        Date::new(2026, 11, 21).unwrap().days_since_ntp_epoch() * SECONDS_PER_DAY,
        0,
    )
}

/// A deterministic pseudo-random sequence in [-1, 1) scaled by `amp`.
struct Lcg(u64);
impl Lcg {
    fn jitter(&mut self, amp: NtpDuration) -> NtpDuration {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let unit = ((self.0 >> 33) as i64) - (1 << 30); // [-2^30, 2^30)
        NtpDuration::from_bits(((i128::from(amp.to_bits()) * i128::from(unit)) >> 30) as i64)
    }
}

fn rmc_for(true_second: NtpTime) -> String {
    let secs = true_second.seconds();
    let d = Date::from_days_since_ntp_epoch(secs.div_euclid(SECONDS_PER_DAY)).unwrap();
    let tod = secs.rem_euclid(SECONDS_PER_DAY);
    let body = format!(
        "GNRMC,{:02}{:02}{:02}.00,A,4717.11437,N,00833.91522,E,0.004,77.52,{:02}{:02}{:02},,,A,V",
        tod / 3600,
        tod / 60 % 60,
        tod % 60,
        d.day,
        d.month,
        d.year % 100
    );
    format!("${body}*{:02X}\r\n", nmea::checksum(body.as_bytes()))
}

/// Runs `seconds` of a GPS receiver against a local clock that is `clock_error` ahead of true
/// time: PPS edges with ±1 µs jitter, RMC ending 100 ms ± 10 ms after the second.
fn run_gps(
    clock: &mut Refclock,
    start: i64,
    seconds: i64,
    clock_error: NtpDuration,
    rng: &mut Lcg,
) {
    for k in start..start + seconds {
        let true_second = day0() + NtpDuration::from_seconds(k);
        let edge = true_second + clock_error + rng.jitter(NtpDuration::from_micros(1));
        clock.handle_pps(edge, None);
        let latency = NtpDuration::from_millis(100) + rng.jitter(NtpDuration::from_millis(10));
        let line = rmc_for(true_second);
        let (a, b) = line.as_bytes().split_at(20);
        let end = true_second + clock_error + latency;
        // Two chunks; the first one's last byte arrived earlier (4800 bit/s: ~2.08 ms per byte).
        clock.handle_serial(a, end - NtpDuration::from_micros(2083 * b.len() as i64));
        clock.handle_serial(b, end);
    }
}

#[test]
fn gps_with_attached_pps_gives_microsecond_samples() {
    let fudge = Fudge {
        time2: NtpDuration::from_millis(100),
        flags: FudgeFlags::FLAG1,
        ..Fudge::NONE
    };
    let mut gps = Refclock::new(RefclockId::new(20, 0), 1, fudge).unwrap();
    let clock_error = NtpDuration::from_micros(3_217);
    let mut rng = Lcg(7);
    run_gps(&mut gps, 0, 16, clock_error, &mut rng);
    let now = day0() + NtpDuration::from_seconds(16);
    let status = gps.status(now);
    assert_eq!(status.sync, SyncState::Synchronized);
    assert_eq!(
        (status.stratum, status.refid, status.precision),
        (0, *b"GPS\0", -20)
    );
    let sample = gps.poll(now).expect("sample");
    let err = sample.offset + clock_error;
    assert!(
        err.abs() < NtpDuration::from_micros(1),
        "offset error {err}"
    );
    assert!(
        sample.dispersion < NtpDuration::from_micros(4),
        "{}",
        sample.dispersion
    );
    let pps = gps.attached_pps().unwrap().counters();
    assert_eq!((pps.edges, pps.unnumbered, pps.accepted), (16, 1, 15));
    let Driver::Nmea(nmea) = gps.driver() else {
        panic!()
    };
    assert_eq!(nmea.counters().accepted, 16);
    // Nothing new since the poll.
    assert!(gps.poll(now).is_none());
}

#[test]
fn nmea_alone_is_millisecond_class() {
    let fudge = Fudge {
        time2: NtpDuration::from_millis(100),
        ..Fudge::NONE
    };
    let mut gps = Refclock::new(RefclockId::new(20, 1), 0, fudge).unwrap();
    let clock_error = NtpDuration::from_millis(-42);
    run_gps(&mut gps, 0, 32, clock_error, &mut Lcg(1));
    let now = day0() + NtpDuration::from_seconds(32);
    assert_eq!(gps.status(now).precision, -9);
    let s = gps.poll(now).unwrap();
    let err = s.offset + clock_error;
    assert!(err.abs() < NtpDuration::from_millis(5), "{err}");
}

#[test]
fn pps_type22_numbered_by_prefer_peer() {
    let mut pps = Refclock::new(RefclockId::new(22, 0), 0, Fudge::NONE).unwrap();
    assert!(pps.needs_numbering());
    let clock_error = NtpDuration::from_micros(-250);
    let mut rng = Lcg(3);
    for k in 0..20 {
        let edge = day0()
            + NtpDuration::from_seconds(k)
            + clock_error
            + rng.jitter(NtpDuration::from_micros(1));
        // The prefer peer (a network server) sees our clock 250 µs behind give or take 5 ms.
        let prefer = NtpDuration::from_micros(250) + rng.jitter(NtpDuration::from_millis(5));
        pps.handle_pps(edge, Some(prefer));
    }
    let now = day0() + NtpDuration::from_seconds(20);
    let st = pps.status(now);
    assert_eq!(
        (st.refid, st.precision, st.sync),
        (*b"PPS\0", -20, SyncState::Synchronized)
    );
    let s = pps.poll(now).unwrap();
    assert!((s.offset + clock_error).abs() < NtpDuration::from_micros(1));
    // Without a prefer peer close enough, edges are not numbered.
    pps.handle_pps(now + clock_error, Some(NtpDuration::from_millis(130)));
    pps.handle_pps(now + NtpDuration::from_seconds(1) + clock_error, None);
    assert!(pps.poll(now + NtpDuration::from_seconds(2)).is_none());
    let Driver::Pps(p) = pps.driver() else {
        panic!()
    };
    assert_eq!(
        (p.counters().prefer_too_far, p.counters().unnumbered),
        (1, 1)
    );
}

#[test]
fn gps_loss_turns_unsynchronized() {
    let mut gps = Refclock::new(RefclockId::new(20, 0), 0, Fudge::NONE).unwrap();
    run_gps(&mut gps, 0, 5, NtpDuration::ZERO, &mut Lcg(9));
    let t = |s| day0() + NtpDuration::from_seconds(s);
    assert_eq!(gps.status(t(5)).sync, SyncState::Synchronized);
    // Receiver loses its fix: RMC with status V.
    gps.handle_serial(b"$GNRMC,,V,,,,,,,,,,N,V*37\r\n", t(6));
    let Driver::Nmea(n) = gps.driver() else {
        panic!()
    };
    assert_eq!(n.counters().no_fix, 1);
    assert_eq!(gps.status(t(15)).sync, SyncState::Unsynchronized);
    assert!(gps.poll(t(15)).is_none());
}

#[test]
fn gps_trust_time_holdover_then_unsynchronized() {
    let mut gps = Refclock::new(RefclockId::new(20, 0), 0, Fudge::NONE).unwrap();
    gps.set_trust_time(NtpDuration::from_seconds(3600));
    run_gps(&mut gps, 0, 5, NtpDuration::ZERO, &mut Lcg(5));
    let t = |s| day0() + NtpDuration::from_seconds(s);
    assert!(gps.poll(t(5)).is_some());
    // Signal lost at t(5): believed (holdover) for one hour after the last fix, no samples.
    let st = gps.status(t(1800));
    assert!(matches!(st.sync, SyncState::Holdover { .. }), "{st:?}");
    assert!(gps.poll(t(1800)).is_none());
    assert_eq!(gps.status(t(3605)).sync, SyncState::Unsynchronized);
}

#[test]
fn malformed_sentences_are_counted() {
    let mut gps = Refclock::new(RefclockId::new(20, 0), 0, Fudge::NONE).unwrap();
    let t = day0() + NtpDuration::from_seconds(1);
    let good = rmc_for(day0());
    let mut bad_sum = good.clone().into_bytes();
    let n = bad_sum.len();
    bad_sum[n - 3] = if bad_sum[n - 3] == b'0' { b'1' } else { b'0' };
    let mut stream = Vec::new();
    stream.extend_from_slice(&bad_sum);
    stream.extend_from_slice(&good.as_bytes()[..30]); // truncated, then a new sentence starts
    stream.extend_from_slice(b"$GPZDA,120000,31,02,2026,00,00*4A\r\n"); // checksum ok? counted either way
    stream.extend_from_slice(b"\xff\x00garbage\r\n");
    stream.extend_from_slice(b"$GPGSV,1,1,00*79\r\n");
    gps.handle_serial(&stream, t);
    let Driver::Nmea(n) = gps.driver() else {
        panic!()
    };
    let c: NmeaCounters = n.counters();
    assert_eq!(c.accepted, 0);
    assert_eq!(
        c.bad_checksum + c.bad_date + c.unsupported,
        c.received,
        "{c:?}"
    );
    assert!(c.bad_checksum >= 1);
    assert_eq!(n.assembler_counters().restarted, 1);
    let zda = "GPZDA,120000,31,02,2026,00,00";
    let line = format!("${zda}*{:02X}\r\n", nmea::checksum(zda.as_bytes()));
    gps.handle_serial(line.as_bytes(), t);
    let Driver::Nmea(n) = gps.driver() else {
        panic!()
    };
    assert_eq!(n.counters().bad_date, 1);
}

#[test]
fn meinberg_ocxo_trust_time_is_four_days() {
    let mut dcf = Refclock::new(RefclockId::new(8, 0), 1, Fudge::NONE).unwrap();
    let st = dcf.status(day0());
    assert_eq!((st.refid, st.sync), (*b"DCFp", SyncState::Unsynchronized));
    let t = |s: i64| day0() + NtpDuration::from_seconds(s);
    dcf.handle_serial(b"\x02D:21.11.26;T:6;U:01.00.00;    \x03", t(0));
    assert_eq!(dcf.status(t(0)).sync, SyncState::Synchronized);
    assert!(dcf.poll(t(1)).is_some());
    // Signal lost; the receiver keeps sending on its OCXO ('*').
    let free = b"\x02D:22.11.26;T:7;U:01.00.00; *  \x03";
    dcf.handle_serial(free, t(86_400));
    assert!(matches!(
        dcf.status(t(86_400)).sync,
        SyncState::Holdover { .. }
    ));
    assert!(dcf.poll(t(86_401)).is_some());
    let four_days = 4 * 86_400;
    assert!(matches!(
        dcf.status(t(four_days)).sync,
        SyncState::Holdover { .. }
    ));
    assert_eq!(dcf.status(t(four_days + 1)).sync, SyncState::Unsynchronized);
    dcf.handle_serial(b"\x02D:25.11.26;T:3;U:01.00.01; *  \x03", t(four_days + 1));
    assert!(dcf.poll(t(four_days + 2)).is_none());
}

#[test]
fn meinberg_gps_with_pps_mode_135() {
    use sundial::refclock::meinberg_clock::MeinbergMode;
    // mode 7 + 128: GPS16x with PPS; fudge time2 (flag1 = 0) is the PPS offset.
    let fudge = Fudge {
        time2: NtpDuration::from_micros(2),
        ..Fudge::NONE
    };
    let mut gps = Refclock::new(RefclockId::new(8, 0), 135, fudge).unwrap();
    let m = MeinbergMode::Gps;
    let char_time = m.serial_settings().char_time();
    let clock_error = NtpDuration::from_millis(7);
    let mut rng = Lcg(11);
    for k in 0..10i64 {
        let true_second = day0() + NtpDuration::from_seconds(3600 + k); // 01:00:00 UTC onwards
        gps.handle_pps(
            true_second + clock_error + rng.jitter(NtpDuration::from_nanos(300)),
            None,
        );
        let s = format!("\x02D:21.11.26;T:6;U:01.00.{k:02};  U \x03");
        let etx = true_second + clock_error + m.base_delay() + char_time.saturating_mul(31);
        gps.handle_serial(s.as_bytes(), etx);
    }
    let now = day0() + NtpDuration::from_seconds(3610);
    let st = gps.status(now);
    assert_eq!(
        (st.refid, st.precision, st.sync),
        (*b"GPS\0", -20, SyncState::Synchronized)
    );
    let sample = gps.poll(now).unwrap();
    let err = sample.offset + clock_error - NtpDuration::from_micros(2);
    assert!(err.abs() < NtpDuration::from_micros(1), "{err}");
}
