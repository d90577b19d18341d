//! Reference clock pseudo addresses, the ntpd way: `127.127.T.U`.
//!
//! Owns: the [`RefclockId`] value (driver type T, unit U), its conversion from and to
//! [`Ipv4Addr`], the driver type numbers this crate implements and their ntpd names
//! (`GPS_NMEA(0)`, as `ntpq -p` shows a clock). Nothing else.

use core::fmt;
use core::net::{IpAddr, Ipv4Addr};

/// Driver type 1: the undisciplined local clock (`LCL`).
pub const DRIVER_LOCAL: u8 = 1;
/// Driver type 8: the generic "parse" driver; here only its Meinberg standard time string modes.
pub const DRIVER_PARSE: u8 = 8;
/// Driver type 20: generic NMEA 0183 GPS receiver.
pub const DRIVER_NMEA: u8 = 20;
/// Driver type 22: PPS (pulse per second) through an edge input.
pub const DRIVER_PPS: u8 = 22;

/// A reference clock address `127.127.driver.unit` (driver type T, unit U). The type is
/// the one the configuration records (`crate::config::RefclockId`); this module adds the
/// address conversions.
pub use crate::config::RefclockId;

/// An address that is not a `127.127.T.U` pseudo address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct NotARefclockAddress;

impl fmt::Display for NotARefclockAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a 127.127.T.U reference clock address")
    }
}

#[cfg(feature = "std")]
impl std::error::Error for NotARefclockAddress {}

impl RefclockId {
    /// A pseudo address for `driver` type and `unit`.
    pub const fn new(driver: u8, unit: u8) -> Self {
        Self { driver, unit }
    }

    /// The `127.127.T.U` address of this clock.
    pub const fn to_ipv4(self) -> Ipv4Addr {
        self.ip()
    }

    /// The clock named by a `127.127.T.U` address, or `None` for any other address.
    pub const fn from_ipv4(addr: Ipv4Addr) -> Option<Self> {
        match addr.octets() {
            [127, 127, driver, unit] => Some(Self { driver, unit }),
            _ => None,
        }
    }

    /// Like [`RefclockId::from_ipv4`] for any IP address (IPv6 never names a refclock).
    pub const fn from_ip(addr: IpAddr) -> Option<Self> {
        match addr {
            IpAddr::V4(v4) => Self::from_ipv4(v4),
            IpAddr::V6(_) => None,
        }
    }

    /// Whether `addr` is a reference clock pseudo address.
    pub const fn is_refclock_address(addr: IpAddr) -> bool {
        Self::from_ip(addr).is_some()
    }

    /// ntpd's short name of this clock's driver type (its `clockname`), for
    /// the drivers this crate implements: `LOCAL`, `GENERIC` (parse),
    /// `GPS_NMEA`, `PPS`. `None` for other types.
    pub const fn driver_name(self) -> Option<&'static str> {
        match self.driver {
            DRIVER_LOCAL => Some("LOCAL"),
            DRIVER_PARSE => Some("GENERIC"),
            DRIVER_NMEA => Some("GPS_NMEA"),
            DRIVER_PPS => Some("PPS"),
            _ => None,
        }
    }

    /// The cargo feature that builds this clock's driver: `meinberg` (type 8),
    /// `nmea` (20), `pps` (22); `None` for the local clock (always built) and for
    /// types this crate does not implement.
    pub const fn feature(self) -> Option<&'static str> {
        match self.driver {
            DRIVER_PARSE => Some("meinberg"),
            DRIVER_NMEA => Some("nmea"),
            DRIVER_PPS => Some("pps"),
            _ => None,
        }
    }

    /// The clock's name as ntpd's `ntpq -p` shows it, `NAME(unit)`
    /// (`GPS_NMEA(0)`); `None` if the driver type has no name here.
    pub const fn name(self) -> Option<RefclockName> {
        match self.driver_name() {
            Some(driver) => Some(RefclockName {
                driver,
                unit: self.unit,
            }),
            None => None,
        }
    }
}

/// A reference clock's display name, `NAME(unit)`: what ntpd sends as the
/// `srchost` peer variable of a clock and what `ntpq -p` shows in its
/// `remote` column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RefclockName {
    /// The driver's short name (`GPS_NMEA`).
    pub driver: &'static str,
    /// The unit number.
    pub unit: u8,
}

impl fmt::Display for RefclockName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.driver, self.unit)
    }
}

impl From<RefclockId> for Ipv4Addr {
    fn from(id: RefclockId) -> Self {
        id.to_ipv4()
    }
}

impl TryFrom<Ipv4Addr> for RefclockId {
    type Error = NotARefclockAddress;

    fn try_from(addr: Ipv4Addr) -> Result<Self, Self::Error> {
        Self::from_ipv4(addr).ok_or(NotARefclockAddress)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn round_trip() {
        let id = RefclockId::new(DRIVER_NMEA, 0);
        assert_eq!(id.to_ipv4(), Ipv4Addr::new(127, 127, 20, 0));
        assert_eq!(RefclockId::try_from(Ipv4Addr::new(127, 127, 20, 0)), Ok(id));
        assert_eq!(Ipv4Addr::from(id), Ipv4Addr::new(127, 127, 20, 0));
        assert_eq!(id.to_string(), "127.127.20.0");
    }

    #[test]
    fn names_as_ntpq_shows_them() {
        let name = |t, u| RefclockId::new(t, u).name().map(|n| n.to_string());
        assert_eq!(name(DRIVER_NMEA, 0).as_deref(), Some("GPS_NMEA(0)"));
        assert_eq!(name(DRIVER_PPS, 1).as_deref(), Some("PPS(1)"));
        assert_eq!(name(DRIVER_LOCAL, 10).as_deref(), Some("LOCAL(10)"));
        assert_eq!(name(DRIVER_PARSE, 2).as_deref(), Some("GENERIC(2)"));
        assert_eq!(name(28, 0), None);
    }

    #[test]
    fn rejects_other_addresses() {
        assert_eq!(RefclockId::from_ipv4(Ipv4Addr::new(127, 0, 0, 1)), None);
        assert_eq!(
            RefclockId::try_from(Ipv4Addr::new(10, 127, 20, 0)),
            Err(NotARefclockAddress)
        );
        assert!(!RefclockId::is_refclock_address(IpAddr::V6(
            core::net::Ipv6Addr::LOCALHOST
        )));
        assert!(RefclockId::is_refclock_address(IpAddr::V4(Ipv4Addr::new(
            127, 127, 1, 10
        ))));
    }
}
