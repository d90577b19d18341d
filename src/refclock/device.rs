//! Which devices a host opens for a reference clock, the ntpd way.
//!
//! Owns the default device names of each driver and their combination with the
//! configuration's overrides ([`DevicePaths`]: ntpd 4.2.8 `device ... timedata/ppsdata`,
//! ntpsec `path`/`ppspath`). The line settings come from [`Refclock::serial_settings`] and the
//! PPS edge from [`Refclock::pps_edge`]; this module only names files. No I/O.
//!
//! | driver | time code | PPS (tried in order) |
//! |---|---|---|
//! | 8 parse (Meinberg) | `/dev/refclock-U` | `/dev/refclockpps-U`, `/dev/refclock-U` (with `mode` + 128) |
//! | 20 NMEA | `/dev/gpsU` | `/dev/gpsppsU`, `/dev/gpsU` (with `fudge flag1 1`) |
//! | 22 PPS | — | `/dev/ppsU` |
//! | 1 local | — | — |
//!
//! An override replaces the whole list for its role. On Linux the PPS candidate that is a
//! serial port only works through the kernel's PPS line discipline, which makes a separate
//! `/dev/ppsN`: point the `gpspps`/`refclockpps` symlink (or `ppsdata`) at that.
//!
//! [`Refclock::serial_settings`]: super::Refclock::serial_settings
//! [`Refclock::pps_edge`]: super::Refclock::pps_edge

use core::fmt;

use super::id::{DRIVER_NMEA, DRIVER_PARSE, DRIVER_PPS, RefclockId};
use crate::config::{DevicePaths, DeviceRole};

/// A device to open: a configured path, or a driver's default name for a unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceName<'a> {
    /// A path from the configuration.
    Configured(&'a str),
    /// `prefix` followed by the unit number (`/dev/gps` + 0).
    Default {
        /// The path up to the unit number.
        prefix: &'static str,
        /// The unit number.
        unit: u8,
    },
}

impl fmt::Display for DeviceName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceName::Configured(p) => f.write_str(p),
            DeviceName::Default { prefix, unit } => write!(f, "{prefix}{unit}"),
        }
    }
}

/// Up to two PPS devices, tried in order until one works.
pub type PpsCandidates<'a> = [Option<DeviceName<'a>>; 2];

const fn default(prefix: &'static str, unit: u8) -> Option<DeviceName<'static>> {
    Some(DeviceName::Default { prefix, unit })
}

/// The serial device carrying `clock`'s time code, or `None` for clocks without one
/// (PPS, local clock, drivers this crate does not have).
pub fn time_code_device(clock: RefclockId, overrides: &DevicePaths) -> Option<DeviceName<'_>> {
    let builtin = match clock.driver {
        DRIVER_PARSE => default("/dev/refclock-", clock.unit),
        DRIVER_NMEA => default("/dev/gps", clock.unit),
        _ => None,
    };
    builtin?;
    match overrides.get(clock, DeviceRole::TimeData) {
        Some(p) => Some(DeviceName::Configured(p)),
        None => builtin,
    }
}

/// The PPS devices for `clock`, in the order to try them. Call only for clocks that take PPS
/// edges ([`Refclock::pps_edge`](super::Refclock::pps_edge) is `Some`); a type 22 clock
/// always does, the serial drivers when their PPS is switched on.
pub fn pps_candidates(clock: RefclockId, overrides: &DevicePaths) -> PpsCandidates<'_> {
    if let Some(p) = overrides.get(clock, DeviceRole::PpsData) {
        return [Some(DeviceName::Configured(p)), None];
    }
    let unit = clock.unit;
    match clock.driver {
        DRIVER_PPS => [default("/dev/pps", unit), None],
        DRIVER_NMEA => [
            default("/dev/gpspps", unit),
            time_code_device(clock, overrides),
        ],
        DRIVER_PARSE => [
            default("/dev/refclockpps-", unit),
            time_code_device(clock, overrides),
        ],
        _ => [None, None],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::{String, ToString};

    fn names(c: PpsCandidates<'_>) -> std::vec::Vec<String> {
        c.iter().flatten().map(|d| d.to_string()).collect()
    }

    #[test]
    fn ntpd_default_names() {
        let none = DevicePaths::new();
        let name = |d, u| time_code_device(RefclockId::new(d, u), &none).map(|n| n.to_string());
        assert_eq!(name(8, 1).as_deref(), Some("/dev/refclock-1"));
        assert_eq!(name(20, 0).as_deref(), Some("/dev/gps0"));
        assert_eq!(name(22, 0), None);
        assert_eq!(name(1, 10), None);
        assert_eq!(
            names(pps_candidates(RefclockId::new(22, 3), &none)),
            ["/dev/pps3"]
        );
        assert_eq!(
            names(pps_candidates(RefclockId::new(20, 1), &none)),
            ["/dev/gpspps1", "/dev/gps1"]
        );
        assert_eq!(
            names(pps_candidates(RefclockId::new(8, 0), &none)),
            ["/dev/refclockpps-0", "/dev/refclock-0"]
        );
        assert!(names(pps_candidates(RefclockId::new(1, 0), &none)).is_empty());
    }

    #[test]
    fn overrides_win() {
        let mut d = DevicePaths::new();
        let gps = RefclockId::new(20, 0);
        d.set(gps, DeviceRole::TimeData, "/dev/ttyAMA0").unwrap();
        assert_eq!(
            time_code_device(gps, &d),
            Some(DeviceName::Configured("/dev/ttyAMA0"))
        );
        // Without a ppsdata override the serial fallback follows the time code override.
        assert_eq!(
            names(pps_candidates(gps, &d)),
            ["/dev/gpspps0", "/dev/ttyAMA0"]
        );
        d.set(gps, DeviceRole::PpsData, "/dev/pps0").unwrap();
        assert_eq!(names(pps_candidates(gps, &d)), ["/dev/pps0"]);
        // A time code path for a clock without a time code is not used.
        let pps = RefclockId::new(22, 0);
        d.set(pps, DeviceRole::TimeData, "/dev/ttyS0").unwrap();
        assert_eq!(time_code_device(pps, &d), None);
    }
}
