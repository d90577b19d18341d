//! How ntpd prints each kind of value in a mode 6 variable list.
//!
//! Owns the value formats ntpq parses: durations in milliseconds with a
//! fixed number of decimals (`rootdelay=0.000`, `offset=-0.123456`),
//! frequencies in ppm (`frequency=12.345678`), timestamps in hex
//! (`reftime=0xeeac0165.918f1514`), reference IDs (`refid=127.127.1.0` or
//! `refid=GPS`), quoted strings and hex flags. Each format is a small
//! `Display` adapter; none allocates or uses floating point.

use core::fmt;
use core::net::IpAddr;

use crate::time::{Frequency, NtpDuration, NtpTimestamp};
use crate::wire::RefId;

/// A duration printed in milliseconds with `decimals` fraction digits,
/// rounded to nearest (ntpd: `%.3f` for root delay/dispersion, `%.6f` for
/// offset, delay, dispersion and jitters, `%.2f` for filter arrays).
///
/// Magnitudes beyond ±2.1·10^6 s print saturated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Millis(pub NtpDuration, pub u8);

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = NtpDuration::from_bits(self.0.to_bits().saturating_mul(1000));
        write!(f, "{:.*}", usize::from(self.1), ms)
    }
}

/// A frequency offset printed in ppm with 6 decimals (ntpsec's
/// `frequency=`, `clk_wander=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ppm(pub Frequency);

impl fmt::Display for Ppm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.6}", self.0)
    }
}

/// A wire timestamp printed as `0x` + 8 hex digits + `.` + 8 hex digits,
/// lower case (`reftime=0xeeac0165.918f1514`; zero prints as
/// `0x00000000.00000000`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HexTimestamp(pub NtpTimestamp);

impl fmt::Display for HexTimestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:08x}.{:08x}", self.0.seconds(), self.0.fraction())
    }
}

/// An integer printed in hex with a `0x` prefix and no padding
/// (`reach=0xff`, `flash=0x0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hex(pub u32);

impl fmt::Display for Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

/// A reference ID as ntpd prints it: a dotted quad when it is an address
/// (a server of stratum 2–15 names its upstream's IPv4 address or an IPv6
/// hash, and ntpd's own local refclock pseudo-addresses such as
/// `127.127.1.0`), otherwise up to four ASCII characters with trailing
/// NULs dropped and unprintable bytes shown as `.` (`GPS`, `LOCL`, `INIT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefIdText {
    /// The four refid bytes, network order.
    pub bytes: [u8; 4],
    /// Print as a dotted quad instead of ASCII.
    pub as_address: bool,
}

impl RefIdText {
    /// The format ntpd picks: ASCII for stratum 0/1, 16 (kiss codes) and
    /// reference clocks, an address otherwise.
    pub fn for_stratum(id: RefId, stratum: u8, is_refclock: bool) -> Self {
        let as_address = !is_refclock && (2..16).contains(&stratum);
        RefIdText {
            bytes: id.to_bytes(),
            as_address,
        }
    }
}

impl fmt::Display for RefIdText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d] = self.bytes;
        if self.as_address {
            return write!(f, "{a}.{b}.{c}.{d}");
        }
        let len = self
            .bytes
            .iter()
            .rposition(|&x| x != 0)
            .map_or(0, |i| i + 1);
        for &x in self.bytes.iter().take(len) {
            let ch = if x.is_ascii_graphic() {
                char::from(x)
            } else {
                '.'
            };
            fmt::Write::write_char(f, ch)?;
        }
        Ok(())
    }
}

/// An IP address as ntpq shows it: dotted quad, or IPv6 in RFC 5952 form
/// (lower-case hex, the longest run of two or more zero groups as `::`,
/// IPv4-mapped as `::ffff:a.b.c.d`) — the same text as `core`'s `Display`,
/// without its code (1.8 KB and a few panic paths on Cortex-M).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Address(pub IpAddr);

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v6 = match self.0 {
            IpAddr::V4(a) => {
                let [a, b, c, d] = a.octets();
                return write!(f, "{a}.{b}.{c}.{d}");
            }
            IpAddr::V6(v6) => v6,
        };
        let g = v6.segments();
        if let [0, 0, 0, 0, 0, 0xffff, hi, lo] = g {
            let [a, b] = hi.to_be_bytes();
            let [c, d] = lo.to_be_bytes();
            return write!(f, "::ffff:{a}.{b}.{c}.{d}");
        }
        // The longest run of zero groups (the first of equal ones), if ≥ 2.
        let (mut best, mut best_len, mut run) = (0usize, 0usize, 0usize);
        for (i, &x) in g.iter().enumerate() {
            run = if x == 0 { run + 1 } else { 0 };
            if run > best_len {
                best_len = run;
                best = i + 1 - run;
            }
        }
        let skip = if best_len >= 2 {
            best..best + best_len
        } else {
            0..0
        };
        let mut first = true;
        for (i, &x) in g.iter().enumerate() {
            if skip.contains(&i) {
                if i == skip.start {
                    f.write_str("::")?;
                    first = true;
                }
                continue;
            }
            if !first {
                f.write_str(":")?;
            }
            write!(f, "{x:x}")?;
            first = false;
        }
        Ok(())
    }
}

/// A string value in double quotes (`version="sundial 0.1.0"`). Quotes,
/// backslashes, commas and unprintable characters inside are replaced by
/// `?` so the value cannot break ntpq's parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quoted<'a>(pub &'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        for ch in self.0.chars() {
            let ok = (ch == ' ' || ch.is_ascii_graphic()) && !matches!(ch, '"' | '\\' | ',');
            fmt::Write::write_char(f, if ok { ch } else { '?' })?;
        }
        f.write_str("\"")
    }
}

/// A filter register (delays, offsets or dispersions, most recent first)
/// printed as ntpd does: each value in milliseconds with 2 decimals, each
/// preceded by a space (`filtdelay= 0.12 0.13 ...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FilterArray<'a>(pub &'a [NtpDuration]);

impl fmt::Display for FilterArray<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for &v in self.0 {
            write!(f, " {}", Millis(v, 2))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;

    #[test]
    fn millis() {
        assert_eq!(format!("{}", Millis(NtpDuration::ZERO, 3)), "0.000");
        assert_eq!(
            format!("{}", Millis(NtpDuration::from_micros(10_146), 3)),
            "10.146"
        );
        assert_eq!(
            format!("{}", Millis(NtpDuration::from_nanos(-123_456), 6)),
            "-0.123456"
        );
        assert_eq!(
            format!("{}", Millis(NtpDuration::from_micros(115_781), 6)),
            "115.781000"
        );
        assert_eq!(
            format!("{}", Millis(NtpDuration::from_micros(1_235), 2)),
            "1.24"
        );
    }

    #[test]
    fn ppm() {
        assert_eq!(format!("{}", Ppm(Frequency::from_ppm(0))), "0.000000");
        assert_eq!(
            format!("{}", Ppm(Frequency::from_ppb(-12_345))),
            "-12.345000"
        );
    }

    #[test]
    fn timestamps_and_hex() {
        let ts = NtpTimestamp::from_bits(0xeeac_0165_918f_1514);
        assert_eq!(format!("{}", HexTimestamp(ts)), "0xeeac0165.918f1514");
        assert_eq!(
            format!("{}", HexTimestamp(NtpTimestamp::ZERO)),
            "0x00000000.00000000"
        );
        assert_eq!(format!("{}", Hex(0xff)), "0xff");
        assert_eq!(format!("{}", Hex(0)), "0x0");
    }

    #[test]
    fn refids() {
        assert_eq!(
            format!(
                "{}",
                RefIdText::for_stratum(RefId::from_bytes(*b"GPS\0"), 1, false)
            ),
            "GPS"
        );
        assert_eq!(
            format!(
                "{}",
                RefIdText::for_stratum(RefId::from_bytes(*b"LOCL"), 10, true)
            ),
            "LOCL"
        );
        assert_eq!(
            format!(
                "{}",
                RefIdText::for_stratum(RefId::from_bytes([127, 127, 1, 0]), 11, false)
            ),
            "127.127.1.0"
        );
        assert_eq!(
            format!(
                "{}",
                RefIdText::for_stratum(RefId::from_bytes(*b"IN\x01T"), 16, false)
            ),
            "IN.T"
        );
    }

    #[test]
    fn quoted_and_arrays() {
        assert_eq!(format!("{}", Quoted("x86_64")), "\"x86_64\"");
        assert_eq!(format!("{}", Quoted("a\"b,c\r")), "\"a?b?c?\"");
        let f = [
            NtpDuration::ZERO,
            NtpDuration::from_micros(120),
            NtpDuration::from_micros(240),
        ];
        assert_eq!(format!("{}", FilterArray(&f)), " 0.00 0.12 0.24");
    }

    #[test]
    fn addresses_print_like_core() {
        use std::net::{IpAddr, Ipv6Addr};
        let cases = [
            "0.0.0.0",
            "192.0.2.1",
            "255.255.255.255",
            "::",
            "::1",
            "1::",
            "2001:db8::1",
            "2001:db8:0:0:1:0:0:1",
            "2001:0:0:1:0:0:0:1",
            "fe80::1:2:3:4",
            "1:2:3:4:5:6:7:8",
            "0:1:0:1:0:1:0:1",
            "::ffff:192.0.2.1",
            "::192.0.2.1",
            "1:0:2:0:0:3:0:0",
        ];
        for c in cases {
            let ip: IpAddr = c.parse().unwrap();
            assert_eq!(format!("{}", Address(ip)), format!("{ip}"), "{c}");
        }
        // Every pattern of zero / non-zero groups.
        for mask in 0u32..256 {
            let g: [u16; 8] = core::array::from_fn(|i| {
                if mask >> i & 1 == 1 {
                    0xab0 + i as u16
                } else {
                    0
                }
            });
            let ip = IpAddr::V6(Ipv6Addr::from(g));
            assert_eq!(format!("{}", Address(ip)), format!("{ip}"), "{g:?}");
        }
    }
}
