//! Reference clock device paths: ntpd 4.2.8's `device 127.127.T.U [timedata PATH] [ppsdata
//! PATH]` and ntpsec's `refclock NAME ... path PATH ppspath PATH`.
//!
//! Owns [`DevicePaths`] (the overrides, packed into one fixed buffer so a firmware config does
//! not pay for four full-length paths) and [`DeviceRole`]. Without an override a host opens the
//! driver's default device (`crate::refclock::device`); this module only records the file.

use core::fmt;

use super::address::{Address, RefclockId};
use super::capacities::{DEVICE_TEXT_LEN, MAX_DEVICE_PATHS};
use super::error::{Error, ErrorKind, Snippet};
use super::lexer::{Cursor, Token};
use super::value::{required, write_word};

/// What a device path carries for a reference clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum DeviceRole {
    /// The time code (serial port): ntpd's `timedata`, ntpsec's `path`.
    TimeData,
    /// The PPS signal (RFC 2783 device): ntpd's `ppsdata`, ntpsec's `ppspath`.
    PpsData,
}

impl DeviceRole {
    /// The ntpd `device` option word.
    pub fn word(self) -> &'static str {
        match self {
            DeviceRole::TimeData => "timedata",
            DeviceRole::PpsData => "ppsdata",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Entry {
    clock: RefclockId,
    role: DeviceRole,
    start: u16,
    len: u16,
}

/// The device path overrides of a configuration: at most [`MAX_DEVICE_PATHS`] paths of
/// [`DEVICE_TEXT_LEN`] bytes in total. A later line for the same clock and role replaces the
/// earlier path.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct DevicePaths {
    text: heapless::String<DEVICE_TEXT_LEN>,
    entries: heapless::Vec<Entry, MAX_DEVICE_PATHS>,
}

/// The override table is full (too many paths, or too many bytes of paths).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DevicePathsFull;

/// The canonical order of overrides: by driver, unit, then time data before PPS.
fn order_key(clock: RefclockId, role: DeviceRole) -> (u8, u8, u8) {
    let r = match role {
        DeviceRole::TimeData => 0,
        DeviceRole::PpsData => 1,
    };
    (clock.driver, clock.unit, r)
}

impl DevicePaths {
    /// No overrides.
    pub const fn new() -> Self {
        DevicePaths {
            text: heapless::String::new(),
            entries: heapless::Vec::new(),
        }
    }

    /// The path configured for `clock` in `role`, if any.
    pub fn get(&self, clock: RefclockId, role: DeviceRole) -> Option<&str> {
        let e = self
            .entries
            .iter()
            .find(|e| e.clock == clock && e.role == role)?;
        self.text_of(e)
    }

    fn text_of(&self, e: &Entry) -> Option<&str> {
        let start = usize::from(e.start);
        self.text.get(start..start.checked_add(usize::from(e.len))?)
    }

    /// Sets the path of `clock` in `role` (replacing an earlier one). On error nothing changes.
    pub fn set(
        &mut self,
        clock: RefclockId,
        role: DeviceRole,
        path: &str,
    ) -> Result<(), DevicePathsFull> {
        // Rebuild without the old entry so replaced text does not hold space, in (clock, role)
        // order: the same overrides then have one layout whatever order the lines came in, so
        // a configuration equals the one parsed back from its emitted text.
        let mut next = DevicePaths::new();
        let mut last: Option<(u8, u8, u8)> = None;
        loop {
            let mut best: Option<(RefclockId, DeviceRole, &str)> = None;
            let candidates = self
                .iter()
                .filter(|&(c, r, _)| (c, r) != (clock, role))
                .chain(core::iter::once((clock, role, path)));
            for (c, r, p) in candidates {
                let k = order_key(c, r);
                if last.is_some_and(|l| k <= l) {
                    continue;
                }
                if best.is_none_or(|(bc, br, _)| k < order_key(bc, br)) {
                    best = Some((c, r, p));
                }
            }
            let Some((c, r, p)) = best else { break };
            next.push(c, r, p)?;
            last = Some(order_key(c, r));
        }
        *self = next;
        Ok(())
    }

    fn push(
        &mut self,
        clock: RefclockId,
        role: DeviceRole,
        path: &str,
    ) -> Result<(), DevicePathsFull> {
        let start = u16::try_from(self.text.len()).map_err(|_| DevicePathsFull)?;
        let len = u16::try_from(path.len()).map_err(|_| DevicePathsFull)?;
        if self.entries.is_full() {
            return Err(DevicePathsFull);
        }
        self.text.push_str(path).map_err(|_| DevicePathsFull)?;
        self.entries
            .push(Entry {
                clock,
                role,
                start,
                len,
            })
            .map_err(|_| DevicePathsFull)
    }

    /// Every override as (clock, role, path), by driver, unit, then time data before PPS.
    pub fn iter(&self) -> impl Iterator<Item = (RefclockId, DeviceRole, &str)> + '_ {
        self.entries
            .iter()
            .filter_map(|e| Some((e.clock, e.role, self.text_of(e)?)))
    }

    /// True if there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Writes one ntpd `device` line per clock (each ending in a newline).
    pub fn write_lines(&self, w: &mut dyn fmt::Write) -> fmt::Result {
        for (i, e) in self.entries.iter().enumerate() {
            let earlier = self.entries.get(..i).unwrap_or(&[]);
            if earlier.iter().any(|o| o.clock == e.clock) {
                continue;
            }
            write!(w, "device {}", e.clock)?;
            for role in [DeviceRole::TimeData, DeviceRole::PpsData] {
                if let Some(p) = self.get(e.clock, role) {
                    write!(w, " {} ", role.word())?;
                    write_word(w, p)?;
                }
            }
            w.write_char('\n')?;
        }
        Ok(())
    }

    /// Records `path` from `token`, or the typed error for a full table / an empty path.
    pub(crate) fn set_from(
        &mut self,
        clock: RefclockId,
        role: DeviceRole,
        token: &Token<'_>,
    ) -> Result<(), Error> {
        if token.text.is_empty() {
            return Err(Error::at(
                token.column,
                ErrorKind::OutOfRange {
                    option: role.word(),
                    word: Snippet::new(token.text),
                    range: "of non-empty paths",
                },
            ));
        }
        self.set(clock, role, token.text).map_err(|_| {
            Error::at(
                token.column,
                ErrorKind::TooMany {
                    what: "device paths (at most 4, 160 bytes in all)",
                    capacity: MAX_DEVICE_PATHS,
                },
            )
        })
    }
}

/// Parses the rest of an ntpd `device 127.127.T.U [timedata PATH] [ppsdata PATH]` line into
/// `devices`.
pub(crate) fn parse_device(
    cursor: &mut Cursor<'_>,
    devices: &mut DevicePaths,
) -> Result<(), Error> {
    let t = required(cursor, "device", "a reference clock address (127.127.T.U)")?;
    let clock = match Address::parse(&t, "device")? {
        Address::Refclock(id) => id,
        _ => {
            return Err(Error::at(
                t.column,
                ErrorKind::InvalidAddress {
                    directive: "device",
                    word: Snippet::new(t.text),
                },
            ));
        }
    };
    // Collect first so a bad word later on the line leaves `devices` unchanged.
    let mut next = devices.clone();
    let mut any = false;
    while let Some(word) = cursor.next_token()? {
        let role = match word.text {
            "timedata" => DeviceRole::TimeData,
            "ppsdata" => DeviceRole::PpsData,
            _ => {
                return Err(Error::at(
                    word.column,
                    ErrorKind::UnknownOption {
                        directive: "device",
                        word: Snippet::new(word.text),
                    },
                ));
            }
        };
        let p = required(cursor, role.word(), "a device path")?;
        next.set_from(clock, role, &p)?;
        any = true;
    }
    if !any {
        return Err(Error::at(
            cursor.end_column(),
            ErrorKind::MissingArgument {
                directive: "device",
                what: "`timedata PATH` or `ppsdata PATH`",
            },
        ));
    }
    *devices = next;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::String;

    const GPS: RefclockId = RefclockId {
        driver: 20,
        unit: 0,
    };
    const PPS: RefclockId = RefclockId {
        driver: 22,
        unit: 1,
    };

    #[test]
    fn set_get_replace() {
        let mut d = DevicePaths::new();
        assert!(d.is_empty());
        d.set(GPS, DeviceRole::TimeData, "/dev/ttyAMA0").unwrap();
        d.set(GPS, DeviceRole::PpsData, "/dev/pps0").unwrap();
        d.set(PPS, DeviceRole::PpsData, "/dev/pps1").unwrap();
        d.set(GPS, DeviceRole::TimeData, "/dev/ttyS1").unwrap();
        assert_eq!(d.get(GPS, DeviceRole::TimeData), Some("/dev/ttyS1"));
        assert_eq!(d.get(GPS, DeviceRole::PpsData), Some("/dev/pps0"));
        assert_eq!(d.get(PPS, DeviceRole::PpsData), Some("/dev/pps1"));
        assert_eq!(d.get(PPS, DeviceRole::TimeData), None);
        // The replaced path's bytes were given back.
        assert_eq!(d.text.len(), "/dev/pps0/dev/pps1/dev/ttyS1".len());
        let mut s = String::new();
        d.write_lines(&mut s).unwrap();
        assert_eq!(
            s,
            "device 127.127.20.0 timedata /dev/ttyS1 ppsdata /dev/pps0\n\
             device 127.127.22.1 ppsdata /dev/pps1\n"
        );
    }

    #[test]
    fn order_of_the_lines_does_not_matter() {
        let mut a = DevicePaths::new();
        a.set(GPS, DeviceRole::PpsData, "/dev/pps1").unwrap();
        a.set(GPS, DeviceRole::TimeData, "/dev/ttyAMA0").unwrap();
        a.set(PPS, DeviceRole::PpsData, "/dev/pps0").unwrap();
        let mut b = DevicePaths::new();
        b.set(PPS, DeviceRole::PpsData, "/dev/pps0").unwrap();
        b.set(GPS, DeviceRole::TimeData, "/dev/ttyS0").unwrap();
        b.set(GPS, DeviceRole::TimeData, "/dev/ttyAMA0").unwrap();
        b.set(GPS, DeviceRole::PpsData, "/dev/pps1").unwrap();
        assert_eq!(a, b);
        let order: std::vec::Vec<_> = a.iter().map(|(c, r, _)| (c, r)).collect();
        assert_eq!(
            order,
            [
                (GPS, DeviceRole::TimeData),
                (GPS, DeviceRole::PpsData),
                (PPS, DeviceRole::PpsData)
            ]
        );
    }

    #[test]
    fn full_table_changes_nothing() {
        let mut d = DevicePaths::new();
        let long = "/dev/serial/by-id/usb-u-blox_AG_-_www.u-blox.com_u-blox_GNSS_receiver-if00";
        d.set(GPS, DeviceRole::TimeData, long).unwrap();
        d.set(GPS, DeviceRole::PpsData, long).unwrap();
        let before = d.clone();
        assert_eq!(d.set(PPS, DeviceRole::PpsData, long), Err(DevicePathsFull));
        assert_eq!(d, before);
        for unit in 0..2 {
            let id = RefclockId { driver: 8, unit };
            d.set(id, DeviceRole::TimeData, "/dev/x").unwrap();
        }
        assert_eq!(
            d.set(PPS, DeviceRole::TimeData, "/dev/y"),
            Err(DevicePathsFull)
        );
        assert_eq!(d.iter().count(), MAX_DEVICE_PATHS);
    }

    #[test]
    fn device_lines() {
        let mut d = DevicePaths::new();
        parse_device(
            &mut Cursor::new("127.127.8.0 timedata /dev/ttyS0 ppsdata \"/dev/my pps\""),
            &mut d,
        )
        .unwrap();
        let id = RefclockId { driver: 8, unit: 0 };
        assert_eq!(d.get(id, DeviceRole::TimeData), Some("/dev/ttyS0"));
        assert_eq!(d.get(id, DeviceRole::PpsData), Some("/dev/my pps"));
        let mut s = String::new();
        d.write_lines(&mut s).unwrap();
        assert_eq!(
            s,
            "device 127.127.8.0 timedata /dev/ttyS0 ppsdata \"/dev/my pps\"\n"
        );

        let before = d.clone();
        let e = parse_device(&mut Cursor::new("10.0.0.1 timedata /dev/x"), &mut d).unwrap_err();
        assert!(matches!(e.kind, ErrorKind::InvalidAddress { .. }));
        let e = parse_device(&mut Cursor::new("127.127.20.0"), &mut d).unwrap_err();
        assert!(matches!(e.kind, ErrorKind::MissingArgument { .. }));
        let e = parse_device(
            &mut Cursor::new("127.127.20.0 timedata /dev/gps baud 9600"),
            &mut d,
        )
        .unwrap_err();
        assert!(matches!(e.kind, ErrorKind::UnknownOption { .. }));
        assert_eq!(e.column, 32);
        let e = parse_device(&mut Cursor::new("127.127.20.0 ppsdata"), &mut d).unwrap_err();
        assert!(matches!(e.kind, ErrorKind::MissingArgument { .. }));
        assert_eq!(d, before, "a bad line changes nothing");
    }
}
