//! Reference clock calibration: `fudge 127.127.T.U ...` (ntpd) and ntpsec's
//! `refclock NAME [unit N] ...` (which is a `server` line plus a `fudge` line in one).
//!
//! Owns [`Fudge`], [`RefId`] and the ntpsec driver-name table. The drivers themselves live in
//! `crate::refclock`; this module only records what the file says.

use core::fmt;

use super::address::{Address, RefclockId};
use super::association::{Association, AssociationKind, AssociationOptions};
use super::device::{DevicePaths, DeviceRole};
use super::error::{Error, ErrorKind, Snippet};
use super::lexer::{Cursor, Token};
use super::value::{int, required, seconds_in, write_seconds_options};
use crate::time::NtpDuration;

/// A reference identifier of 1..4 printable ASCII characters (`GPS`, `DCF`, `PPS`, `LOCL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RefId([u8; 4]);

impl RefId {
    /// `None` unless `text` is 1..4 printable ASCII characters other than `#` and `"`.
    pub fn new(text: &str) -> Option<RefId> {
        let b = text.as_bytes();
        if b.is_empty()
            || b.len() > 4
            || !b
                .iter()
                .all(|c| c.is_ascii_graphic() && *c != b'#' && *c != b'"')
        {
            return None;
        }
        let mut out = [0u8; 4];
        for (o, c) in out.iter_mut().zip(b) {
            *o = *c;
        }
        Some(RefId(out))
    }

    /// The four bytes as sent in the reference ID field (unused bytes are 0).
    pub fn to_bytes(self) -> [u8; 4] {
        self.0
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        let len = self.0.iter().position(|&c| c == 0).unwrap_or(4);
        self.0
            .get(..len)
            .and_then(|b| core::str::from_utf8(b).ok())
            .unwrap_or("")
    }
}

impl fmt::Display for RefId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Calibration of one reference clock; `None` means "driver default".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Fudge {
    /// Which clock.
    pub clock: RefclockId,
    /// `time1`: offset added to the clock's time (2^-32 s; for PPS/serial delay compensation).
    pub time1: Option<NtpDuration>,
    /// `time2`: driver-specific second offset (2^-32 s).
    pub time2: Option<NtpDuration>,
    /// `stratum`: stratum advertised when this clock is the source, 0..15.
    pub stratum: Option<u8>,
    /// `refid`: reference ID advertised when this clock is the source.
    pub refid: Option<RefId>,
    /// `flag1`..`flag4`: driver-specific switches.
    pub flags: [Option<bool>; 4],
}

impl Fudge {
    /// No calibration for `clock`.
    pub fn new(clock: RefclockId) -> Self {
        Fudge {
            clock,
            time1: None,
            time2: None,
            stratum: None,
            refid: None,
            flags: [None; 4],
        }
    }

    /// Reads one fudge option starting at `word`; `Ok(false)` if it is not one.
    pub(crate) fn parse_one(
        &mut self,
        word: &Token<'_>,
        cursor: &mut Cursor<'_>,
    ) -> Result<bool, Error> {
        let day = NtpDuration::from_seconds(86_400);
        match word.text {
            "time1" | "time2" => {
                let option = if word.text == "time1" {
                    "time1"
                } else {
                    "time2"
                };
                let t = required(cursor, option, "an offset in seconds")?;
                let v = Some(seconds_in(&t, option, -day, day, "-86400..86400")?);
                if option == "time1" {
                    self.time1 = v;
                } else {
                    self.time2 = v;
                }
            }
            "stratum" => {
                let t = required(cursor, "stratum", "a stratum (0..15)")?;
                self.stratum = Some(int(&t, "stratum", 0, 15, "0..15")?);
            }
            "refid" => {
                let t = required(cursor, "refid", "1 to 4 characters")?;
                self.refid = Some(RefId::new(t.text).ok_or_else(|| {
                    Error::at(
                        t.column,
                        ErrorKind::OutOfRange {
                            option: "refid",
                            word: Snippet::new(t.text),
                            range: "of 1..4 printable characters",
                        },
                    )
                })?);
            }
            "flag1" | "flag2" | "flag3" | "flag4" => {
                let (option, i) = match word.text {
                    "flag1" => ("flag1", 0),
                    "flag2" => ("flag2", 1),
                    "flag3" => ("flag3", 2),
                    _ => ("flag4", 3),
                };
                let t = required(cursor, option, "0 or 1")?;
                let v: u8 = int(&t, option, 0, 1, "0..1")?;
                if let Some(slot) = self.flags.get_mut(i) {
                    *slot = Some(v == 1);
                }
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// True if nothing is set (no line needs to be written).
    pub fn is_empty(&self) -> bool {
        *self == Fudge::new(self.clock)
    }

    /// Writes the `fudge` line (without newline).
    pub fn write_to(&self, w: &mut dyn fmt::Write) -> fmt::Result {
        write!(w, "fudge {}", self.clock)?;
        write_seconds_options(w, &[("time1", self.time1), ("time2", self.time2)])?;
        if let Some(s) = self.stratum {
            write!(w, " stratum {s}")?;
        }
        if let Some(r) = self.refid {
            write!(w, " refid {r}")?;
        }
        for (i, flag) in self.flags.iter().enumerate() {
            if let Some(on) = flag {
                write!(w, " flag{} {}", i.saturating_add(1), u8::from(*on))?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Fudge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_to(f)
    }
}

/// Parses the rest of a `fudge` line.
pub(crate) fn parse_fudge(cursor: &mut Cursor<'_>) -> Result<Fudge, Error> {
    let t = required(cursor, "fudge", "a reference clock address (127.127.T.U)")?;
    let clock = match Address::parse(&t, "fudge")? {
        Address::Refclock(id) => id,
        _ => {
            return Err(Error::at(
                t.column,
                ErrorKind::InvalidAddress {
                    directive: "fudge",
                    word: Snippet::new(t.text),
                },
            ));
        }
    };
    let mut fudge = Fudge::new(clock);
    while let Some(word) = cursor.next_token()? {
        if !fudge.parse_one(&word, cursor)? {
            return Err(Error::at(
                word.column,
                ErrorKind::UnknownOption {
                    directive: "fudge",
                    word: Snippet::new(word.text),
                },
            ));
        }
    }
    Ok(fudge)
}

/// The NMEA driver's type number.
const NMEA_DRIVER: u8 = 20;
/// The NMEA driver's line speed bits in `mode` (ntpd's driver 20 documentation).
const NMEA_SPEED_MASK: u32 = 0x70;
/// ntpsec `baud` values and the NMEA `mode` bits that select them.
const NMEA_SPEEDS: [(&str, u32); 6] = [
    ("4800", 0x00),
    ("9600", 0x10),
    ("19200", 0x20),
    ("38400", 0x30),
    ("57600", 0x40),
    ("115200", 0x50),
];

/// ntpsec driver names and their ntpd type numbers.
const DRIVERS: [(&str, u8); 17] = [
    ("local", 1),
    ("spectracom", 4),
    ("truetime", 5),
    ("generic", 8),
    ("arbiter", 11),
    ("modem", 18),
    ("nmea", 20),
    ("pps", 22),
    ("hpgps", 26),
    ("shm", 28),
    ("trimble", 29),
    ("oncore", 30),
    ("jupiter", 31),
    ("jjy", 40),
    ("zyfer", 42),
    ("neoclock", 44),
    ("gpsd", 46),
];

/// The ntpsec name of a driver type, if it has one.
pub fn driver_name(driver: u8) -> Option<&'static str> {
    DRIVERS.iter().find(|(_, d)| *d == driver).map(|(n, _)| *n)
}

/// Parses the rest of an ntpsec `refclock` line into the association and its fudge; its
/// `path`/`ppspath` go into `devices` (only if the whole line parses).
pub(crate) fn parse_refclock(
    cursor: &mut Cursor<'_>,
    devices: &mut DevicePaths,
) -> Result<(Association, Fudge), Error> {
    let t = required(
        cursor,
        "refclock",
        "a driver name (local, nmea, pps, shm, ...)",
    )?;
    let driver = DRIVERS
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(t.text))
        .map(|(_, d)| *d)
        .ok_or_else(|| {
            Error::at(
                t.column,
                ErrorKind::UnknownOption {
                    directive: "refclock",
                    word: Snippet::new(t.text),
                },
            )
        })?;
    let mut unit = 0u8;
    let mut options = AssociationOptions::default();
    let mut fudge = Fudge::new(RefclockId { driver, unit: 0 });
    let mut paths: [Option<Token<'_>>; 2] = [None, None];
    let mut baud = None;
    while let Some(word) = cursor.next_token()? {
        if word.text == "unit" {
            let u = required(cursor, "unit", "a unit number (0..255)")?;
            unit = int(&u, "unit", 0, 255, "0..255")?;
        } else if word.text == "path" {
            paths[0] = Some(required(cursor, "path", "a device path")?);
        } else if word.text == "ppspath" {
            paths[1] = Some(required(cursor, "ppspath", "a device path")?);
        } else if word.text == "baud" {
            let b = required(cursor, "baud", "a line speed (4800 .. 115200)")?;
            if driver != NMEA_DRIVER {
                return Err(Error::at(
                    word.column,
                    ErrorKind::Unsupported {
                        what: "`baud` for this driver (its `mode` sets the line)",
                        word: Snippet::new(word.text),
                    },
                ));
            }
            let speed = NMEA_SPEEDS
                .iter()
                .find(|(text, _)| *text == b.text)
                .map(|(_, bits)| *bits)
                .ok_or_else(|| {
                    Error::at(
                        b.column,
                        ErrorKind::OutOfRange {
                            option: "baud",
                            word: Snippet::new(b.text),
                            range: "4800, 9600, 19200, 38400, 57600, 115200",
                        },
                    )
                })?;
            baud = Some(speed);
        } else if !options.parse_one(&word, cursor)? && !fudge.parse_one(&word, cursor)? {
            return Err(Error::at(
                word.column,
                ErrorKind::UnknownOption {
                    directive: "refclock",
                    word: Snippet::new(word.text),
                },
            ));
        }
    }
    if let Some(bits) = baud {
        // ntpsec's `baud` is the NMEA driver's speed bits of ntpd's `mode`.
        options.mode = Some((options.mode.unwrap_or(0) & !NMEA_SPEED_MASK) | bits);
    }
    options.check(t.column)?;
    let clock = RefclockId { driver, unit };
    fudge.clock = clock;
    let mut next = devices.clone();
    for (role, path) in [DeviceRole::TimeData, DeviceRole::PpsData]
        .into_iter()
        .zip(&paths)
    {
        if let Some(p) = path {
            next.set_from(clock, role, p)?;
        }
    }
    *devices = next;
    let association = Association {
        kind: AssociationKind::Server,
        family: None,
        address: Address::Refclock(clock),
        options,
    };
    Ok((association, fudge))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::{String, ToString};

    #[test]
    fn fudge_line_round_trip() {
        let f = parse_fudge(&mut Cursor::new(
            "127.127.1.0 stratum 12 time1 0.0042 refid LOCL flag3 1",
        ))
        .unwrap();
        assert_eq!(f.clock, RefclockId { driver: 1, unit: 0 });
        assert_eq!(f.stratum, Some(12));
        assert_eq!(
            f.time1,
            Some(NtpDuration::parse_decimal_seconds("0.0042").unwrap())
        );
        assert_eq!(f.refid.map(|r| r.to_bytes()), Some(*b"LOCL"));
        assert_eq!(f.flags, [None, None, Some(true), None]);
        let mut s = String::new();
        f.write_to(&mut s).unwrap();
        assert_eq!(
            s,
            "fudge 127.127.1.0 time1 0.0042 stratum 12 refid LOCL flag3 1"
        );
    }

    #[test]
    fn fudge_errors() {
        let e = parse_fudge(&mut Cursor::new("10.0.0.1 stratum 1")).unwrap_err();
        assert!(matches!(e.kind, ErrorKind::InvalidAddress { .. }));
        let e = parse_fudge(&mut Cursor::new("127.127.1.0 stratum 16")).unwrap_err();
        assert_eq!(e.kind.to_string(), "`stratum 16` is out of range 0..15");
        let e = parse_fudge(&mut Cursor::new("127.127.1.0 refid TOOLONG")).unwrap_err();
        assert_eq!(e.column, 19);
    }

    #[test]
    fn ntpsec_refclock() {
        let mut d = DevicePaths::new();
        let (a, f) = parse_refclock(
            &mut Cursor::new("local stratum 10 minpoll 3 maxpoll 3"),
            &mut d,
        )
        .unwrap();
        assert_eq!(
            a.address,
            Address::Refclock(RefclockId { driver: 1, unit: 0 })
        );
        assert_eq!(a.options.minpoll.map(|p| p.log2()), Some(3));
        assert_eq!(f.stratum, Some(10));
        let (a, _) = parse_refclock(&mut Cursor::new("nmea unit 1 prefer"), &mut d).unwrap();
        assert_eq!(
            a.address,
            Address::Refclock(RefclockId {
                driver: 20,
                unit: 1
            })
        );
        assert_eq!(driver_name(20), Some("nmea"));
        assert!(d.is_empty());
    }

    #[test]
    fn ntpsec_paths() {
        let mut d = DevicePaths::new();
        let (a, _) = parse_refclock(
            &mut Cursor::new("nmea unit 2 path /dev/ttyAMA0 ppspath /dev/pps0 mode 16"),
            &mut d,
        )
        .unwrap();
        let id = RefclockId {
            driver: 20,
            unit: 2,
        };
        assert_eq!(a.options.mode, Some(16));
        assert_eq!(d.get(id, DeviceRole::TimeData), Some("/dev/ttyAMA0"));
        assert_eq!(d.get(id, DeviceRole::PpsData), Some("/dev/pps0"));
        let before = d.clone();
        let e = parse_refclock(
            &mut Cursor::new("pps unit 1 ppspath /dev/pps1 bogus"),
            &mut d,
        )
        .unwrap_err();
        assert!(matches!(e.kind, ErrorKind::UnknownOption { .. }));
        let e = parse_refclock(&mut Cursor::new("generic baud 9600"), &mut d).unwrap_err();
        assert!(matches!(e.kind, ErrorKind::Unsupported { .. }));
        let e = parse_refclock(&mut Cursor::new("nmea baud 9601"), &mut d).unwrap_err();
        assert!(matches!(e.kind, ErrorKind::OutOfRange { .. }));
        assert_eq!(d, before);
        // ntpsec's baud becomes ntpd's speed bits, whichever comes first.
        let mut mode = |line: &str| {
            parse_refclock(&mut Cursor::new(line), &mut d)
                .unwrap()
                .0
                .options
                .mode
        };
        assert_eq!(mode("nmea baud 9600"), Some(0x10));
        assert_eq!(mode("nmea mode 1 baud 38400"), Some(0x31));
        assert_eq!(mode("nmea baud 115200 mode 40"), Some(0x58));
        assert_eq!(mode("nmea mode 40 baud 4800"), Some(8));
    }
}
