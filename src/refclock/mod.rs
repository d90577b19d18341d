//! Reference clocks: the local clock, NMEA GPS receivers, Meinberg time strings and PPS —
//! the GPS stratum-1 path.
//!
//! Owns: everything between "bytes arrived on a serial port / an edge was captured" and
//! "here is a [`Sample`] and a [`RefclockStatus`]". It does not select, filter across
//! sources, or discipline the clock: its samples enter the same association/filter/selection
//! path as network peers. It never reads a clock; every input carries its local time.
//!
//! # Using a [`Refclock`]
//!
//! ```text
//! let mut gps = Refclock::new(RefclockId::new(20, 0), mode, fudge)?;   // 127.127.20.0
//! uart.configure(gps.serial_settings());                                // e.g. 4800 8N1
//! gps.handle_serial(&bytes, rx_time);        // any chunking; rx_time = arrival of the last byte
//! gps.handle_pps(edge_time, None);           // attached PPS numbers itself from the NMEA time
//! pps22.handle_pps(edge_time, Some(prefer_offset)); // type 22: numbered by the prefer peer
//! // at each poll of its association:
//! if let Some(sample) = gps.poll(now) { association.handle_refclock_sample(sample) }
//! let status = gps.status(now);              // leap, stratum, refid, precision, sync/holdover
//! ```
//!
//! Between polls a driver collects one offset per sentence or edge; [`Refclock::poll`]
//! combines them into one Sample ([`median`]: least-squares line, ntpd's 60 % trimming on the
//! residuals, the line's value at the newest time — so our own frequency error does not bias
//! it): offset = reference − local, delay 0, dispersion = 2^precision + residual jitter. A PPS attached to a serial clock (`fudge
//! flag1` for NMEA, `mode` + 128 for the parse driver) numbers its edges with that clock's
//! own offset and, while its edges are usable, its samples replace the serial ones.
//!
//! Status: [`SyncState::Synchronized`] while the receiver reports a valid fix/lock,
//! [`SyncState::Holdover`] while a receiver that lost its signal is still believed (the
//! Meinberg trust time), [`SyncState::Unsynchronized`] after that: the system then stops
//! using the clock and, with no other source, advertises that it is not synchronised.
//! [`RefclockStatus::fallback_only`] marks the local clock, which the selection may only use
//! when nothing else survives. The stratum is the clock's own (0 for real time sources); a
//! server synchronised to it advertises one more.
//!
//! Files: [`id`] pseudo addresses, [`device`] device names, [`input`] input traits and adapters, [`sentence`]
//! framing, [`calendar`] dates, [`emit`] time-code writers, [`nmea`]/[`nmea_clock`], [`meinberg`]/[`meinberg_clock`],
//! [`pps`], [`local`], [`fudge`], [`median`], [`status`].

pub mod calendar;
pub mod device;
pub mod emit;
pub mod fudge;
pub mod id;
pub mod input;
pub mod local;
pub mod median;
pub mod meinberg;
pub mod meinberg_clock;
pub mod nmea;
pub mod nmea_clock;
pub mod pps;
pub mod sentence;
pub mod status;

use core::fmt;

pub use fudge::{Fudge, FudgeFlags};
pub use id::RefclockId;
pub use status::{LeapAnnouncement, RefclockStatus, SyncState};

use crate::sample::Sample;
use crate::time::{NtpDuration, NtpTime};
use input::{Edge, SerialSettings};
use local::LocalClock;
#[cfg(feature = "meinberg")]
use meinberg_clock::{MeinbergClock, MeinbergConfig, MeinbergMode};
#[cfg(feature = "nmea")]
use nmea_clock::{NMEA_PRECISION, NMEA_REFID, NmeaClock, NmeaConfig};
use pps::{PPS_PRECISION, PpsClock};

/// How old (s) a serial clock's latest offset may be to number an attached PPS edge.
pub const NUMBERING_MAX_AGE_SECONDS: i64 = 2;

/// Why a reference clock could not be created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum RefclockError {
    /// Driver type T is not implemented (only 1, 8, 20 and 22 are).
    UnsupportedDriver(u8),
    /// The `mode` is not supported by this driver (parse driver: only 0, 1, 2, 7, +128).
    UnsupportedMode(u32),
    /// Driver type T is implemented but compiled out of this build: its cargo
    /// feature ([`RefclockId::feature`]) is off.
    NotBuilt(u8),
}

impl fmt::Display for RefclockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RefclockError::UnsupportedDriver(t) => {
                write!(f, "reference clock type {t} not supported")
            }
            RefclockError::UnsupportedMode(m) => write!(f, "mode {m} not supported by this driver"),
            RefclockError::NotBuilt(t) => write!(
                f,
                "reference clock type {t} is not built in (cargo feature `{}` is off)",
                RefclockId::new(*t, 0).feature().unwrap_or("?")
            ),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for RefclockError {}

/// The driver behind a [`Refclock`]. The local clock is always built; the others
/// only with their cargo feature (`meinberg`, `nmea`, `pps`; all on by default).
#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Driver {
    /// Type 1.
    Local(LocalClock),
    /// Type 8, Meinberg standard time string (feature `meinberg`).
    #[cfg(feature = "meinberg")]
    Meinberg(MeinbergClock),
    /// Type 20 (feature `nmea`).
    #[cfg(feature = "nmea")]
    Nmea(NmeaClock),
    /// Type 22 (feature `pps`; a PPS attached to a serial clock does not need it).
    #[cfg(feature = "pps")]
    Pps(PpsClock),
}

/// One configured reference clock: a driver, its fudge and an optional attached PPS.
#[derive(Clone, Debug)]
pub struct Refclock {
    id: RefclockId,
    fudge: Fudge,
    driver: Driver,
    attached_pps: Option<PpsClock>,
    last_sample: Option<NtpTime>,
}

impl Refclock {
    /// Creates the clock `id` (`127.127.T.U`) with ntpd's `mode` and `fudge`.
    /// A driver compiled out of this build is refused with [`RefclockError::NotBuilt`].
    pub fn new(id: RefclockId, mode: u32, fudge: Fudge) -> Result<Self, RefclockError> {
        let (driver, attached_pps) = match id.driver {
            id::DRIVER_LOCAL => (
                Driver::Local(LocalClock::new(id.unit, mode & 1 == 1, &fudge)),
                None,
            ),
            #[cfg(feature = "meinberg")]
            id::DRIVER_PARSE => {
                let m =
                    MeinbergMode::from_mode(mode).ok_or(RefclockError::UnsupportedMode(mode))?;
                // Parse driver: time2 is the PPS offset unless flag1 makes it the trust time.
                let cal = if fudge.has(FudgeFlags::FLAG1) {
                    NtpDuration::ZERO
                } else {
                    fudge.time2
                };
                (
                    Driver::Meinberg(MeinbergClock::new(MeinbergConfig::new(m, fudge))),
                    (mode & 128 != 0).then(|| PpsClock::new(cal, fudge)),
                )
            }
            #[cfg(feature = "nmea")]
            id::DRIVER_NMEA => (
                Driver::Nmea(NmeaClock::new(NmeaConfig::new(mode, fudge))),
                fudge
                    .has(FudgeFlags::FLAG1)
                    .then(|| PpsClock::new(fudge.time1, fudge)),
            ),
            #[cfg(feature = "pps")]
            id::DRIVER_PPS => (Driver::Pps(PpsClock::new(fudge.time1, fudge)), None),
            other if id.feature().is_some() => return Err(RefclockError::NotBuilt(other)),
            other => return Err(RefclockError::UnsupportedDriver(other)),
        };
        Ok(Self {
            id,
            fudge,
            driver,
            attached_pps,
            last_sample: None,
        })
    }

    /// Its pseudo address.
    pub const fn id(&self) -> RefclockId {
        self.id
    }

    /// Its fudge settings.
    pub const fn fudge(&self) -> &Fudge {
        &self.fudge
    }

    /// The driver (for driver-specific counters and state).
    pub const fn driver(&self) -> &Driver {
        &self.driver
    }

    /// The attached PPS, if configured.
    pub const fn attached_pps(&self) -> Option<&PpsClock> {
        self.attached_pps.as_ref()
    }

    /// Serial settings the host must configure, or `None` for clocks without a serial line.
    pub fn serial_settings(&self) -> Option<SerialSettings> {
        match &self.driver {
            #[cfg(feature = "nmea")]
            Driver::Nmea(c) => Some(c.config().serial_settings()),
            #[cfg(feature = "meinberg")]
            Driver::Meinberg(c) => Some(c.config().mode.serial_settings()),
            _ => None,
        }
    }

    /// The PPS edge to capture (`fudge flag2`), or `None` if this clock takes no edges.
    pub fn pps_edge(&self) -> Option<Edge> {
        let takes_edges = self.needs_numbering() || self.attached_pps.is_some();
        takes_edges.then(|| Edge::from_fudge(&self.fudge))
    }

    /// Whether [`Refclock::handle_pps`] needs a numbering offset from the system (type 22:
    /// the prefer peer's offset). Attached PPS numbers itself.
    pub fn needs_numbering(&self) -> bool {
        self.id.driver == id::DRIVER_PPS
    }

    /// Sets the trust time: how long after its last good data a clock that lost its signal is
    /// still reported usable ([`SyncState::Holdover`]), 2^-32 s. Defaults: the Meinberg table
    /// per mode; NMEA and PPS only their 10 s staleness limit (a receiver without fix sends no
    /// time). The system may raise it for a receiver with a good oscillator, or to model a
    /// site policy ("believe the GPS for 6 h after loss"). No effect on the local clock.
    pub fn set_trust_time(&mut self, trust: NtpDuration) {
        match &mut self.driver {
            #[cfg(feature = "nmea")]
            Driver::Nmea(c) => c.set_trust_time(trust),
            #[cfg(feature = "meinberg")]
            Driver::Meinberg(c) => c.set_trust_time(trust),
            #[cfg(feature = "pps")]
            Driver::Pps(p) => p.set_trust_time(trust),
            Driver::Local(_) => {}
        }
        if let Some(p) = &mut self.attached_pps {
            p.set_trust_time(trust);
        }
    }

    /// Feeds serial bytes; `rx_time` is the local arrival time of the last byte.
    #[cfg_attr(
        not(any(feature = "nmea", feature = "meinberg")),
        allow(unused_variables)
    )]
    pub fn handle_serial(&mut self, bytes: &[u8], rx_time: NtpTime) {
        match &mut self.driver {
            #[cfg(feature = "nmea")]
            Driver::Nmea(c) => c.handle_serial(bytes, rx_time),
            #[cfg(feature = "meinberg")]
            Driver::Meinberg(c) => c.handle_serial(bytes, rx_time),
            _ => {}
        }
    }

    /// Feeds a PPS edge captured at local time `edge`. `numbering` is the prefer peer's
    /// offset (its time − ours) for type 22; for an attached PPS the serial clock's own recent
    /// offset is used when there is one, else `numbering`. Edges for clocks without PPS are
    /// ignored.
    pub fn handle_pps(&mut self, edge: NtpTime, numbering: Option<NtpDuration>) {
        let max_age = NtpDuration::from_seconds(NUMBERING_MAX_AGE_SECONDS);
        let own: Option<(NtpDuration, NtpTime)> = match &self.driver {
            #[cfg(feature = "nmea")]
            Driver::Nmea(c) => c.latest_offset(),
            #[cfg(feature = "meinberg")]
            Driver::Meinberg(c) => c.latest_offset(),
            _ => None,
        };
        let own = own
            .filter(|(_, at)| (edge - *at).abs() <= max_age)
            .map(|(offset, _)| offset);
        match (&mut self.driver, &mut self.attached_pps) {
            #[cfg(feature = "pps")]
            (Driver::Pps(p), _) => {
                let _ = p.handle_edge(edge, numbering);
            }
            (_, Some(p)) => {
                let _ = p.handle_edge(edge, own.or(numbering));
            }
            _ => {}
        }
    }

    /// Our clock was stepped: the offsets collected since the last poll were measured in the
    /// old timescale, so they are dropped (combined with newer ones they would bend the
    /// least-squares line far past both). The next poll starts afresh.
    pub fn clock_stepped(&mut self) {
        match &mut self.driver {
            #[cfg(feature = "nmea")]
            Driver::Nmea(c) => {
                let _ = c.take();
            }
            #[cfg(feature = "meinberg")]
            Driver::Meinberg(c) => {
                let _ = c.take();
            }
            #[cfg(feature = "pps")]
            Driver::Pps(p) => {
                let _ = p.take();
            }
            Driver::Local(_) => {}
        }
        if let Some(p) = &mut self.attached_pps {
            let _ = p.take();
        }
    }

    /// The sample for a poll at local time `now`: the combination of everything measured
    /// since the previous poll, or `None` if nothing usable arrived (or the clock is not
    /// synchronised). The local clock answers every poll.
    pub fn poll(&mut self, now: NtpTime) -> Option<Sample> {
        let usable = self.status(now).sync.is_usable();
        let sample = match &mut self.driver {
            Driver::Local(c) => Some(c.sample(now)),
            #[cfg(feature = "pps")]
            Driver::Pps(p) => p.take().map(|c| c.to_sample(PPS_PRECISION)),
            #[cfg(feature = "nmea")]
            Driver::Nmea(c) => combine(c.take(), self.attached_pps.as_mut(), NMEA_PRECISION),
            #[cfg(feature = "meinberg")]
            Driver::Meinberg(c) => {
                let precision = c.config().mode.precision();
                combine(c.take(), self.attached_pps.as_mut(), precision)
            }
        };
        let sample = sample.filter(|_| usable);
        if let Some(s) = &sample {
            self.last_sample = Some(s.time);
        }
        sample
    }

    fn pps_locked(&self, now: NtpTime) -> bool {
        self.attached_pps
            .as_ref()
            .is_some_and(|p| p.sync_state(now) == SyncState::Synchronized)
    }

    /// Local time after which [`status`](Self::status) says
    /// [`SyncState::Unsynchronized`] unless new data arrives (last good data
    /// plus the trust time); `None` if the clock never synchronised or never
    /// loses it (the local clock).
    pub fn sync_expires(&self) -> Option<NtpTime> {
        match &self.driver {
            Driver::Local(_) => None,
            #[cfg(feature = "pps")]
            Driver::Pps(p) => p.holdover().expires(),
            #[cfg(feature = "nmea")]
            Driver::Nmea(c) => c.holdover().expires(),
            #[cfg(feature = "meinberg")]
            Driver::Meinberg(c) => c.holdover().expires(),
        }
    }

    /// Status at local time `now`.
    pub fn status(&self, now: NtpTime) -> RefclockStatus {
        let (sync, leap, stratum, refid, precision) = match &self.driver {
            Driver::Local(c) => (
                SyncState::Synchronized,
                LeapAnnouncement::None,
                c.stratum(),
                c.refid(),
                local::LOCAL_PRECISION,
            ),
            #[cfg(feature = "pps")]
            Driver::Pps(p) => (
                p.sync_state(now),
                LeapAnnouncement::None,
                0,
                pps::PPS_REFID,
                PPS_PRECISION,
            ),
            #[cfg(feature = "nmea")]
            Driver::Nmea(c) => (
                c.holdover().state(now),
                LeapAnnouncement::None,
                0,
                NMEA_REFID,
                NMEA_PRECISION,
            ),
            #[cfg(feature = "meinberg")]
            Driver::Meinberg(c) => {
                let mode = c.config().mode;
                (
                    c.sync_state(now),
                    c.leap(),
                    0,
                    mode.refid(),
                    mode.precision(),
                )
            }
        };
        let precision = if self.pps_locked(now) {
            PPS_PRECISION
        } else {
            precision
        };
        let local = matches!(self.driver, Driver::Local(_));
        RefclockStatus {
            sync,
            leap,
            stratum: self.fudge.stratum_or(stratum),
            refid: if local {
                refid
            } else {
                self.fudge.refid_or(refid)
            },
            precision,
            fallback_only: local,
            pps: self.needs_numbering(),
            kernel_pps: self.pps_edge().is_some() && self.fudge.has(FudgeFlags::FLAG3),
            last_sample: self.last_sample,
        }
    }
}

/// The attached PPS's combination if it has one (it is the better measurement), else the
/// serial one. Both are drained.
#[cfg(any(feature = "nmea", feature = "meinberg"))]
fn combine(
    serial: Option<median::Combined>,
    pps: Option<&mut PpsClock>,
    serial_precision: i8,
) -> Option<Sample> {
    match pps.and_then(PpsClock::take) {
        Some(p) => Some(p.to_sample(PPS_PRECISION)),
        None => serial.map(|c| c.to_sample(serial_precision)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn construction() {
        assert_eq!(
            Refclock::new(RefclockId::new(29, 0), 0, Fudge::NONE).err(),
            Some(RefclockError::UnsupportedDriver(29))
        );
        #[cfg(feature = "nmea")]
        assert!(Refclock::new(RefclockId::new(20, 0), 0, Fudge::NONE).is_ok());
        #[cfg(feature = "pps")]
        {
            let pps = Refclock::new(
                RefclockId::new(22, 0),
                0,
                Fudge {
                    flags: FudgeFlags::FLAG2,
                    ..Fudge::NONE
                },
            );
            let pps = pps.unwrap();
            assert_eq!(pps.pps_edge(), Some(Edge::Clear));
            assert!(pps.needs_numbering() && pps.serial_settings().is_none());
            assert!(pps.status(NtpTime::from_parts(3_900_000_000, 0)).pps);
        }
        #[cfg(feature = "meinberg")]
        {
            assert_eq!(
                Refclock::new(RefclockId::new(8, 0), 3, Fudge::NONE).err(),
                Some(RefclockError::UnsupportedMode(3))
            );
            let gps = Refclock::new(RefclockId::new(8, 1), 7 + 128, Fudge::NONE).unwrap();
            assert_eq!(gps.serial_settings().map(|s| s.baud), Some(19_200));
            assert_eq!(gps.pps_edge(), Some(Edge::Assert));
        }
    }

    #[test]
    fn a_driver_compiled_out_is_refused_naming_its_feature() {
        let drivers = [
            (id::DRIVER_PARSE, "meinberg", cfg!(feature = "meinberg")),
            (id::DRIVER_NMEA, "nmea", cfg!(feature = "nmea")),
            (id::DRIVER_PPS, "pps", cfg!(feature = "pps")),
        ];
        for (driver, feature, built) in drivers {
            let id = RefclockId::new(driver, 3);
            assert_eq!(id.feature(), Some(feature));
            // Mode 0 is valid for every driver, so only the build decides.
            let made = Refclock::new(id, 0, Fudge::NONE).err();
            if built {
                assert_eq!(made, None, "type {driver}");
            } else {
                assert_eq!(made, Some(RefclockError::NotBuilt(driver)));
            }
            let text = std::format!("{}", RefclockError::NotBuilt(driver));
            assert!(
                text.contains(&std::format!("type {driver} "))
                    && text.contains(&std::format!("`{feature}`")),
                "{text}"
            );
        }
        // The local clock is always built.
        assert_eq!(RefclockId::new(id::DRIVER_LOCAL, 0).feature(), None);
        assert!(Refclock::new(RefclockId::new(id::DRIVER_LOCAL, 0), 0, Fudge::NONE).is_ok());
    }

    #[cfg(feature = "nmea")]
    fn zda(secs: i64) -> std::vec::Vec<u8> {
        let date = calendar::Date::from_days_since_ntp_epoch(secs / 86_400).unwrap();
        let s = secs % 86_400;
        let tod =
            calendar::TimeOfDay::new((s / 3600) as u8, (s / 60 % 60) as u8, (s % 60) as u8, 0)
                .unwrap();
        let mut buf = [0u8; 96];
        let n =
            emit::nmea_sentence(nmea::SentenceKind::Zda, *b"GP", date, tod, 0, &mut buf).unwrap();
        buf[..n].to_vec()
    }

    #[test]
    #[cfg(feature = "nmea")]
    fn a_step_drops_offsets_of_the_old_timescale() {
        let t0 = 3_900_000_000i64;
        let late = NtpDuration::from_millis(300);
        let run = |step: bool| {
            let mut gps = Refclock::new(RefclockId::new(20, 0), 0, Fudge::NONE).unwrap();
            for k in 0..4 {
                gps.handle_serial(&zda(t0 + k), NtpTime::from_parts(t0 + k, 0) + late);
            }
            if step {
                gps.clock_stepped();
            }
            for k in 4..8 {
                gps.handle_serial(&zda(t0 + k), NtpTime::from_parts(t0 + k, 0));
            }
            gps.poll(NtpTime::from_parts(t0 + 8, 0)).unwrap().offset
        };
        assert!(
            run(true).abs() < NtpDuration::from_micros(10),
            "{}",
            run(true)
        );
        // Without the step the old offsets (−0.3 s) pull the combination tens of ms away.
        assert!(
            run(false).abs() > NtpDuration::from_millis(10),
            "{}",
            run(false)
        );
    }

    #[test]
    fn local_clock_is_fallback() {
        let mut lcl = Refclock::new(RefclockId::new(1, 10), 1, Fudge::NONE).unwrap();
        let now = NtpTime::from_parts(3_900_000_000, 0);
        let st = lcl.status(now);
        assert!(st.fallback_only);
        assert_eq!(
            (st.stratum, st.refid, st.sync),
            (10, *b"LCL\0", SyncState::Synchronized)
        );
        assert!(lcl.poll(now).is_some());
        assert_eq!(lcl.status(now).last_sample, Some(now));
    }
}
