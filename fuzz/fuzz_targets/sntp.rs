//! The one-shot SNTP query (`sntp::Query`): arbitrary replies, send and
//! receive times. Never panics; a reply it accepts passed every check,
//! re-verified here on the raw bytes: version 1–4, mode 4, origin equal to
//! the request's cookie, stratum 1–15, leap indicator not 3, non-zero server
//! stamps; and the measurement is consistent (delay ≥ 0, offset and delay
//! from the era-resolved timestamps).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sundial::sntp::{Query, REQUEST_LEN};
use sundial::time::{NtpDuration, NtpTime, NtpTimestamp};

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    for (o, i) in w.iter_mut().zip(at..) {
        *o = b.get(i).copied().unwrap_or(0);
    }
    u64::from_be_bytes(w)
}

fuzz_target!(|data: &[u8]| {
    // [flags][t1: i64 s offset from 2026][cookie: u64][rtt: u16 ms][reply...]
    let [flags, rest @ ..] = data else { return };
    if rest.len() < 18 {
        return;
    }
    let t1 =
        NtpTime::from_unix(1_780_000_000, 0) + NtpDuration::from_bits(u64_at(rest, 0) as i64 >> 8);
    let cookie = u64_at(rest, 8);
    let rtt = NtpDuration::from_millis(i64::from(u16::from_be_bytes([rest[16], rest[17]])));
    let mut reply = rest[18..].to_vec();
    let query = Query::new(t1, cookie);
    let mut req = [0u8; REQUEST_LEN];
    assert_eq!(query.emit(&mut req), Ok(REQUEST_LEN));
    assert_eq!(req[0] & 7, 3, "a client request");
    let sent_cookie = u64_at(&req, 40);
    assert_ne!(sent_cookie, 0);
    if flags & 1 != 0 && reply.len() >= 32 {
        // Echo the cookie so the later checks are reached.
        reply[24..32].copy_from_slice(&sent_cookie.to_be_bytes());
    }
    if flags & 2 != 0 && reply.len() >= 48 {
        // Server stamps near t1 (the captured ones are from another day).
        let t2 = (t1 + rtt.shift(-1)).to_timestamp().to_bits();
        reply[32..40].copy_from_slice(&t2.to_be_bytes());
        reply[40..48].copy_from_slice(&t2.wrapping_add(u64::from(flags >> 2)).to_be_bytes());
    }
    let t4 = t1 + rtt;
    let Ok(r) = query.process(&reply, t4) else {
        return;
    };
    assert!(reply.len() >= 48);
    let version = (reply[0] >> 3) & 7;
    assert!((1..=4).contains(&version));
    assert_eq!(reply[0] & 7, 4, "mode 4");
    assert_ne!(reply[0] >> 6, 3, "leap 3 accepted");
    assert_eq!(u64_at(&reply, 24), sent_cookie, "origin is our cookie");
    assert!((1..=15).contains(&reply[1]));
    assert_eq!(r.stratum, reply[1]);
    let (t2, t3) = (u64_at(&reply, 32), u64_at(&reply, 40));
    assert!(t2 != 0 && t3 != 0);
    assert!(r.delay >= NtpDuration::ZERO);
    assert_eq!(r.server_time.to_timestamp(), NtpTimestamp::from_bits(t3));
    let t2 = NtpTimestamp::from_bits(t2).resolve(t1);
    let t3 = r.server_time;
    assert!(t3 >= t2 && t4 >= t1);
    let offset = ((t2 - t1) + (t3 - t4)).shift(-1);
    assert!(
        (r.offset - offset).abs() <= NtpDuration::from_bits(1),
        "{r:?} vs {offset:?}"
    );
});
