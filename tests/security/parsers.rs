//! Parser regressions: the inputs behind ntpd's buffer and number-parsing
//! CVEs, against our parsers (every one of which also has a fuzz target):
//! mode 6 requests and replies, reference clock time codes, keys and
//! configuration files, decimal numbers.

use sundial::config::{parse, parse_key_line, parse_keys};
use sundial::control::{ControlRequest, MAX_REPLY_LEN, RequestError};
use sundial::refclock::nmea::{self, NmeaError};
use sundial::refclock::{Driver, Fudge, Refclock, RefclockId, meinberg};
use sundial::system::MAX_PACKET_LEN;
use sundial::time::{NtpDuration, NtpTime};
use sundial::wire::ControlRepr;

use super::harness::*;

/// Sends `req` to a fresh core (after its amplification budget is spent, so
/// replies are held to the request size) and returns what it sent.
fn ask(req: &[u8]) -> Vec<Vec<u8>> {
    let mut ntp = core(21);
    for i in 0..64u8 {
        exchange_all(
            &mut ntp,
            std::net::SocketAddr::from(([203, 0, 113, i], 1)),
            &control(2, 0, b""),
            T0,
        );
    }
    let out = exchange_all(&mut ntp, VICTIM, req, T0);
    for reply in &out {
        assert!(reply.len() <= MAX_REPLY_LEN && reply.len() <= MAX_PACKET_LEN);
        assert!(
            reply.len() <= req.len(),
            "{} bytes for {}",
            reply.len(),
            req.len()
        );
        assert!(ControlRepr::parse(reply).is_ok(), "our reply parses");
    }
    out
}

/// A mode 6 request whose count field says `count`, followed by `data`.
fn with_count(opcode: u8, count: u16, data: &[u8]) -> Vec<u8> {
    let mut b = control(opcode, 0, data);
    b[10..12].copy_from_slice(&count.to_be_bytes());
    b
}

#[test]
fn cve_2014_9295_2017_6458_2018_7182_control_message_buffers() {
    // Count fields that lie about the data that follows: more than is there,
    // the largest possible, odd, past one fragment.
    for (count, len) in [
        (4u16, 0usize),
        (0xffff, 8),
        (469, 100),
        (500, 500),
        (3, 1),
        (1, 0),
    ] {
        let req = with_count(2, count, &vec![b'a'; len]);
        ask(&req);
        let _ = ControlRequest::parse(&req, None);
    }
    // ctl_getitem-style item lists: empty names, leading '=', runs of
    // separators, names without values, names longer than any we know,
    // bytes that are not text.
    let long_name = "x".repeat(400);
    let items: [&[u8]; 8] = [
        b"=",
        b"==,=,,=,=value",
        b",,,,,,,,,,,,,,,,",
        b"srcadr=,=srcadr,srcadr",
        long_name.as_bytes(),
        b"\0\0\0\0",
        b"\xff\xfe,srcadr\xff,\xc3",
        b"leap=\"unterminated",
    ];
    for data in items {
        let req = control(2, 0, data);
        let parsed = ControlRequest::parse(&req, None).unwrap();
        assert!(
            parsed
                .variable_names()
                .all(|n| !n.is_empty() && !n.contains('='))
        );
        ask(&req);
    }
    // An unknown name is an error reply (5), not a buffer overrun.
    let out = ask(&control(2, 0, long_name.as_bytes()));
    assert_eq!(control_error(&out[0]), Some(5));
    // Non-zero offsets, the more bit, the response and error bits: not
    // requests, never answered.
    let mut fragment = control(2, 0, b"srcadr");
    fragment[9] = 1;
    let mut more = control(2, 0, b"srcadr");
    more[1] |= 0x20;
    let mut response = control(2, 0, b"srcadr");
    response[1] |= 0x80;
    for req in [fragment, more, response] {
        assert_eq!(
            ControlRequest::parse(&req, None),
            Err(RequestError::NotARequest)
        );
        assert!(ask(&req).is_empty());
    }
}

#[test]
fn cve_2015_7855_long_mode_6_data_is_refused() {
    // ntpd asserted on long data naming an address; we answer "bad format".
    let mut data = b"addr=".to_vec();
    data.extend(std::iter::repeat_n(b'1', 1200));
    let req = control(2, 0, &data);
    let parsed = ControlRequest::parse(&req, None);
    match parsed {
        Ok(p) => assert!(p.bad_format),
        Err(e) => assert!(matches!(e, RequestError::Malformed(_)), "{e:?}"),
    }
    for reply in ask(&req) {
        assert_eq!(control_error(&reply), Some(2));
    }
    // Exactly one fragment's worth is fine.
    let req = control(2, 0, &[b','; 468]);
    assert!(!ControlRequest::parse(&req, None).unwrap().bad_format);
}

#[test]
fn cve_2016_7434_malformed_mrulist_requests() {
    for data in [
        &b""[..],
        b"nonce",
        b"nonce=, frags=",
        b"nonce=0123456789abcdef, frags=99999999999999999999, limit=-1",
        b"mincount=18446744073709551616, laddr=[::1]:123, resall=0x",
        b"last.0=0x,addr.0=,last.99999999=1",
    ] {
        let out = ask(&control(10, 0, data));
        assert_eq!(out.len(), 1);
        assert_eq!(control_error(&out[0]), Some(3), "no MRU list: bad opcode");
    }
}

#[test]
fn cve_2015_7852_hostile_mode_6_replies_are_refused_by_the_reply_parser() {
    use sundial::control::client::{
        Assembly, MAX_FRAGMENTS, ResponseAssembler, ResponseError, Variables,
    };
    use sundial::wire::Opcode;
    // What a malicious server could send a querier (ntpq): count fields
    // beyond the datagram or a fragment; the wire parser refuses or bounds them.
    let mut reply = control(2, 0, b"version=\"x\"");
    reply[1] |= 0x80;
    assert!(ControlRepr::parse(&reply).is_ok());
    for (count, offset) in [(0xffffu16, 0u16), (500, 0), (12, 0xfff0), (469, 0)] {
        let mut r = reply.clone();
        r[8..10].copy_from_slice(&offset.to_be_bytes());
        r[10..12].copy_from_slice(&count.to_be_bytes());
        if let Ok(p) = ControlRepr::parse(&r) {
            assert!(p.data.len() <= r.len() && p.data.len() == usize::from(count));
        }
    }
    for n in 0..reply.len() {
        let _ = ControlRepr::parse(&reply[..n]);
    }
    // Reassembly: a fragment far past the buffer, too many fragments.
    let fragment = |offset: u16, data: &'static [u8], more: bool| ControlRepr {
        leap: sundial::wire::LeapIndicator::NoWarning,
        version: 2,
        response: true,
        error: false,
        more,
        opcode: Opcode::ReadVariables,
        sequence: 7,
        status: 0,
        association_id: 0,
        offset,
        data,
        padding: &[],
        mac: None,
    };
    let mut small = [0u8; 64];
    let mut asm = ResponseAssembler::new(&mut small, Opcode::ReadVariables, 7);
    assert_eq!(
        asm.push(&fragment(0xfff0, b"aaaa", true)),
        Err(ResponseError::TooLong(0xfff4))
    );
    // (Overlaps, contradicting ends and repeats: the unit tests of
    // src/control/client.rs, `refusals_keep_what_is_held`.)
    let mut big = [0u8; 4096];
    let mut asm = ResponseAssembler::new(&mut big, Opcode::ReadVariables, 7);
    for i in 0..=MAX_FRAGMENTS as u16 {
        let r = asm.push(&fragment(i * 8, b"x=1,", true));
        if usize::from(i) < MAX_FRAGMENTS {
            assert_eq!(r, Ok(Assembly::Waiting));
        } else {
            assert_eq!(r, Err(ResponseError::TooManyFragments));
        }
    }
    // Value text (atoascii's job in ntpq): unterminated quotes, empty and
    // huge names and values, numbers out of every range.
    let long = format!("x={}", "9".repeat(10_000));
    for data in [
        &b"a=\"unterminated"[..],
        b"=,==,=1",
        b",,,,",
        b"\x00\xff\xfe=\x01",
        long.as_bytes(),
        b"t=0x.,u=0xffffffffff.0,v=-99999999999999999999,w=1e9,z=-",
    ] {
        for v in Variables::new(data).flatten() {
            let _ = (
                v.timestamp(),
                v.hex(),
                v.integer(),
                v.millis(),
                v.value_str(),
            );
            assert!(!v.name.is_empty());
        }
    }
    let huge = Variables::find(long.as_bytes(), "x").unwrap();
    assert!(huge.integer().is_err() && huge.millis().is_err());
    let odd = Variables::find(b"u=0xffffffffff.0", "u").unwrap();
    assert!(odd.timestamp().is_err());
    assert!(sundial::control::client::associations(&[0; 7]).is_err());
}

fn nmea_sentence(body: &str) -> Vec<u8> {
    format!("${body}*{:02X}\r\n", nmea::checksum(body.as_bytes())).into_bytes()
}

#[test]
fn cve_2015_7853_2017_6462_2023_26555_refclock_input_is_bounded() {
    let rmc = |time: &str, date: &str| {
        nmea_sentence(&format!(
            "GPRMC,{time},A,4717.11437,N,00833.91522,E,0.004,77.52,{date},,,A"
        ))
    };
    // Huge and malformed numbers in checksummed sentences: typed errors.
    let huge = "9".repeat(300);
    let cases: Vec<(Vec<u8>, NmeaError)> = vec![
        (rmc(&huge, "091202"), NmeaError::BadTime),
        (rmc("083559.00", &huge), NmeaError::BadDate),
        (rmc("99999999999999999999.99", "091202"), NmeaError::BadTime),
        (rmc("-83559.00", "091202"), NmeaError::BadTime),
        (rmc("083559.00", "999999"), NmeaError::BadDate),
        (rmc("246060.00", "091202"), NmeaError::BadTime),
    ];
    for (s, expected) in &cases {
        let line = &s[..s.len() - 2];
        assert_eq!(
            nmea::parse(line, 2000).err(),
            Some(*expected),
            "{}",
            String::from_utf8_lossy(line)
        );
    }
    // Too many fraction digits: the time to the nanosecond, never an overrun.
    let many = rmc("083559.000000000000000000001", "091202");
    let t = nmea::parse(&many[..many.len() - 2], 2000).unwrap();
    assert_eq!(
        t.time,
        sundial::refclock::calendar::TimeOfDay::new(8, 35, 59, 0).unwrap()
    );
    // A GPS on a serial line that babbles: a long run without a line end,
    // every byte value, then the same huge sentences; a good sentence
    // afterwards still gives the time.
    let mut gps = Refclock::new(RefclockId::new(20, 0), 0, Fudge::NONE).unwrap();
    let t = T0 + secs(1);
    let mut junk = vec![b'$'];
    junk.extend(std::iter::repeat_n(b'7', 100_000));
    gps.handle_serial(&junk, t);
    gps.handle_serial(&(0..=255u8).collect::<Vec<_>>(), t);
    for (s, _) in &cases {
        gps.handle_serial(s, t);
    }
    assert!(gps.poll(t).is_none());
    // Then the receiver recovers: the time codes of 00:00:02…05 on the day
    // of T0, each read 80 ms after its second.
    let mut at = t;
    for second in 2..6 {
        at = NtpTime::from_parts(T0.seconds() + second, 0) + NtpDuration::from_millis(80);
        let line = rmc(&format!("0000{second:02}.00"), "211126");
        gps.handle_serial(b"\r\n", at);
        gps.handle_serial(&line, at);
    }
    let sample = gps.poll(at).expect("a sample after the garbage");
    assert!((sample.offset + NtpDuration::from_millis(80)).abs() < NtpDuration::from_millis(1));
    let Driver::Nmea(n) = gps.driver() else {
        panic!("an NMEA driver")
    };
    assert!(n.counters().accepted >= 1, "{:?}", n.counters());
    // Meinberg: every length around the fixed 32 bytes, huge digit runs.
    for len in 0..80 {
        let mut s = vec![b'9'; len];
        if let Some(first) = s.first_mut() {
            *first = 2;
        }
        if let Some(end) = s.last_mut() {
            *end = 3;
        }
        assert!(meinberg::parse(&s, 2000).is_err());
    }
    let mut clock = Refclock::new(RefclockId::new(8, 0), 0, Fudge::NONE).unwrap();
    clock.handle_serial(&vec![2u8; 50_000], t);
    clock.handle_serial(&[b'9'; 50_000], t);
    assert!(clock.poll(t).is_none());
}

#[test]
fn cve_2015_7854_long_keys_are_refused() {
    for line in [
        format!("1 MD5 {}", "p".repeat(21)),
        format!("1 MD5 {}", "p".repeat(10_000)),
        format!("1 SHA1 {}", "a".repeat(41)),
        format!("1 AES128CMAC {}", "0".repeat(33)),
        "4294967296 MD5 secret".to_string(),
        "99999999999999999999999 MD5 secret".to_string(),
        "-1 MD5 secret".to_string(),
        "0 MD5 secret".to_string(),
        format!("1 {} secret", "M".repeat(1000)),
    ] {
        assert!(parse_key_line(&line).is_err(), "{line:.60}");
    }
    // The longest ASCII key ntpd accepts (20 characters) still works.
    assert!(parse_key_line(&format!("1 MD5 {}", "p".repeat(20))).is_ok());
    let mut file = String::new();
    for _ in 0..10_000 {
        file.push_str("1 MD5 secret\n");
    }
    let _ = parse_keys::<4>(&file);
}

#[test]
fn cve_2023_26551_to_26554_number_parsing() {
    let long_fraction = format!("0.{}", "9".repeat(1000));
    let long_integer = "9".repeat(1000);
    for text in [
        "",
        "-",
        "+",
        ".",
        "-.",
        "1.",
        ".5",
        "1..2",
        "1e9",
        "0x10",
        "--1",
        "+-1",
        " 1",
        "1 ",
        "١",
        "99999999999999999999",
        "-99999999999999999999.5",
        "2147483648",
        "-2147483649",
        long_fraction.as_str(),
        long_integer.as_str(),
    ] {
        // Never a panic; where it parses, the value is what the text says.
        if let Ok(d) = NtpDuration::parse_decimal_seconds(text) {
            assert!(d.abs() <= secs(1 << 31), "{text:.40} → {d}");
        }
    }
    assert_eq!(
        NtpDuration::parse_decimal_seconds("-2.5"),
        Ok(-NtpDuration::from_millis(2500))
    );
    assert!(NtpDuration::parse_decimal_seconds(&long_integer).is_err());
    assert!(NtpDuration::parse_decimal_seconds("99999999999999999999").is_err());
    // The same numbers in configuration files: typed errors with the line.
    for line in [
        format!("tinker step {long_integer}"),
        "tinker step 1e400".to_string(),
        "tos maxdist 99999999999999999999999999".to_string(),
        "fudge 127.127.1.0 time1 -99999999999999999999999".to_string(),
        "server 192.0.2.1 minpoll 99999999999999".to_string(),
        "server 192.0.2.1 key 99999999999999999999".to_string(),
        "discard average 99999999999 minimum -1".to_string(),
        format!("server {}", "1.".repeat(500)),
        "restrict 192.0.2.0 mask 255.255.255.256".to_string(),
        "server 127.127.99999.0".to_string(),
    ] {
        let text = format!("server 192.0.2.9\n{line}\n");
        let e = parse::<4, 4, 4>(&text).expect_err(&line);
        assert_eq!(e.line, 2, "{line:.60}: {e}");
    }
}

#[test]
fn cve_2016_9312_2017_6464_oversized_datagrams_and_refclock_modes() {
    // Datagrams up to 64 KiB of every mode: no panic, no reply above the request.
    for mode in 0..=7u8 {
        for len in [49, 1_000, 1_500, 9_000, 65_507] {
            let mut p = vec![0x5a; len];
            p[0] = (4 << 3) | mode;
            let mut ntp = core(22);
            for reply in exchange_all(&mut ntp, VICTIM, &p, T0) {
                assert!(reply.len() <= MAX_PACKET_LEN.min(len));
            }
        }
    }
    // A reference clock `mode` of any size: a driver or a typed error (as
    // ntpd, the parse driver reads the low 7 bits and the PPS bit 128), in
    // the driver and in the configuration file.
    for driver in [1, 8, 20, 22] {
        for mode in (0..1024).chain([u32::MAX - 1, u32::MAX]) {
            let _ = Refclock::new(RefclockId::new(driver, 0), mode, Fudge::NONE);
        }
    }
    for mode in [3, 99, 127, 65_535, u32::MAX] {
        assert!(
            Refclock::new(RefclockId::new(8, 0), mode, Fudge::NONE).is_err(),
            "{mode}"
        );
    }
    for line in [
        "server 127.127.20.0 mode 99999999999999999999",
        "server 127.127.20.0 mode -1",
    ] {
        let e = parse::<4, 4, 4>(&format!("server 192.0.2.9\n{line}\n")).expect_err(line);
        assert_eq!(e.line, 2, "{line}: {e}");
    }
}
