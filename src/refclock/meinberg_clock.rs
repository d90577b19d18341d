//! The Meinberg standard time string clock (parse driver, type 8, `127.127.8.U`,
//! `mode 0|1|2|7`).
//!
//! Owns: per-mode receiver properties (trust time, refid, precision, line settings, on-time
//! delay), turning timestamped strings into offsets, the trust-time holdover, and rejection
//! counters. Parsing is in [`super::meinberg`].
//!
//! | mode | receiver             | line       | trust time | refid  | precision |
//! |------|----------------------|------------|------------|--------|-----------|
//! | 0    | PZF5xx, TCXO         | 9600 7E2   | 12 h       | `DCFp` | −14 (50 µs) |
//! | 1    | PZF5xx, OCXO         | 9600 7E2   | 4 days     | `DCFp` | −14 (50 µs) |
//! | 2    | DCF C51 (AM), PCI    | 9600 7E2   | 30 min     | `DCFa` | −8 (4 ms) |
//! | 7    | GPS16x/17x, OCXO     | 19200 8N1  | 4 days     | `GPS`  | −14       |
//!
//! (`DCFp` is ntpd's refid for the phase-modulated PZF receivers, `DCFa` for AM receivers.)
//! `fudge flag1 1` makes `time2` the trust time instead; `time1` is added to every offset;
//! `flag4` turns an announced leap second into a deletion.
//!
//! The STX of a string leaves the receiver at the second change, so the local time of the
//! second boundary is the STX receive time minus the receiver's base delay (ntpd measured
//! 1.968 ms for the PZF receivers; one character time is assumed for the others). The STX
//! time is derived from the ETX time as 31 character times earlier.
//!
//! Holdover: a string with `#` or `*` is only used while the trust time since the last fully
//! synchronised string *we saw* has not expired; before the first synchronised string nothing
//! is used. For DCF77/PZF receivers `#` means the receiver restarted, which ends the holdover.

use super::calendar::DEFAULT_YEAR_WINDOW_START;
use super::fudge::{Fudge, FudgeFlags};
use super::input::SerialSettings;
use super::median::{Combined, OffsetAccumulator};
use super::meinberg::{self, MeinbergError, STRING_LEN};
use super::sentence::{Framing, SentenceAssembler};
use super::status::{Holdover, LeapAnnouncement, SyncState};
use crate::counter::bump;
use crate::time::{NtpDuration, NtpTime};

/// Without any string for this long (s) the clock counts as not synchronised.
pub const MEINBERG_STALE_SECONDS: i64 = 10;
/// Offsets kept between polls.
pub const MEINBERG_ACCUMULATE: usize = 16;

/// The supported parse driver modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum MeinbergMode {
    /// Mode 0: PZF5xx with TCXO.
    PzfTcxo,
    /// Mode 1: PZF5xx with OCXO.
    PzfOcxo,
    /// Mode 2: DCF C51 and similar AM receivers, standard string at 9600 7E2.
    DcfAm,
    /// Mode 7: GPS16x/GPS17x with OCXO, 19200 8N1.
    Gps,
}

impl MeinbergMode {
    /// The mode for ntpd's `mode` number (bit 7, "use PPS", is ignored here).
    pub const fn from_mode(mode: u32) -> Option<Self> {
        match mode & 0x7f {
            0 => Some(MeinbergMode::PzfTcxo),
            1 => Some(MeinbergMode::PzfOcxo),
            2 => Some(MeinbergMode::DcfAm),
            7 => Some(MeinbergMode::Gps),
            _ => None,
        }
    }

    /// How long a receiver that lost its signal is still believed, 2^-32 s.
    pub const fn trust_time(self) -> NtpDuration {
        NtpDuration::from_seconds(match self {
            MeinbergMode::PzfTcxo => 12 * 3600,
            MeinbergMode::PzfOcxo | MeinbergMode::Gps => 4 * 86_400,
            MeinbergMode::DcfAm => 30 * 60,
        })
    }

    /// Default reference identifier.
    pub const fn refid(self) -> [u8; 4] {
        match self {
            MeinbergMode::PzfTcxo | MeinbergMode::PzfOcxo => *b"DCFp",
            MeinbergMode::DcfAm => *b"DCFa",
            MeinbergMode::Gps => *b"GPS\0",
        }
    }

    /// Precision of the time string, log2 s.
    pub const fn precision(self) -> i8 {
        match self {
            MeinbergMode::DcfAm => -8,
            _ => -14,
        }
    }

    /// Serial line settings.
    pub const fn serial_settings(self) -> SerialSettings {
        match self {
            MeinbergMode::Gps => SerialSettings::n81(19_200),
            _ => SerialSettings {
                baud: 9600,
                data_bits: 7,
                parity: true,
                stop_bits: 2,
            },
        }
    }

    /// Delay from the second change to the reception of the STX, 2^-32 s.
    pub fn base_delay(self) -> NtpDuration {
        match self {
            MeinbergMode::PzfTcxo | MeinbergMode::PzfOcxo => NtpDuration::from_micros(1968),
            _ => self.serial_settings().char_time(),
        }
    }

    /// Whether `#` means "restarted, time not set" (DCF77/PZF) rather than "free running".
    const fn hash_means_restart(self) -> bool {
        !matches!(self, MeinbergMode::Gps)
    }
}

/// Configuration of one Meinberg clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MeinbergConfig {
    /// Receiver type.
    pub mode: MeinbergMode,
    /// `fudge` (see the module docs).
    pub fudge: Fudge,
    /// First year of the two-digit-year window.
    pub year_window_start: u16,
}

impl MeinbergConfig {
    /// Config for `mode` and `fudge` with the default year window.
    pub const fn new(mode: MeinbergMode, fudge: Fudge) -> Self {
        Self {
            mode,
            fudge,
            year_window_start: DEFAULT_YEAR_WINDOW_START,
        }
    }

    /// The trust time in effect (`fudge flag1` makes `time2` the trust time).
    pub fn trust_time(&self) -> NtpDuration {
        if self.fudge.has(FudgeFlags::FLAG1) {
            self.fudge.time2
        } else {
            self.mode.trust_time()
        }
    }
}

/// What happened to every string (all counters saturate).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MeinbergCounters {
    /// Strings framed (STX … ETX).
    pub received: u32,
    /// Strings whose offset was used (synchronised or in holdover).
    pub accepted: u32,
    /// Of those, used during holdover.
    pub holdover: u32,
    /// Rejected: wrong length.
    pub bad_length: u32,
    /// Rejected: wrong fixed characters.
    pub bad_framing: u32,
    /// Rejected: non-digit in a numeric field.
    pub bad_digit: u32,
    /// Rejected: impossible date.
    pub bad_date: u32,
    /// Rejected: impossible time.
    pub bad_time: u32,
    /// Rejected: weekday disagrees with the date.
    pub bad_weekday: u32,
    /// Rejected: unknown status character.
    pub bad_status: u32,
    /// Rejected: receiver not synchronised and no trust time left.
    pub not_synchronized: u32,
    /// Ignored: inserted leap second (ss = 60).
    pub leap_second: u32,
}

/// Why a framed string produced no offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum MeinbergReject {
    /// The parser refused it.
    Parse(MeinbergError),
    /// The receiver is not synchronised and the trust time has run out (or never began).
    NotSynchronized,
    /// It describes a leap second.
    LeapSecond,
}

/// The Meinberg driver state.
#[derive(Clone, Debug)]
pub struct MeinbergClock {
    assembler: SentenceAssembler<NtpTime, { STRING_LEN + 8 }>,
    decoder: Decoder,
}

#[derive(Clone, Debug)]
struct Decoder {
    config: MeinbergConfig,
    counters: MeinbergCounters,
    holdover: Holdover,
    leap: LeapAnnouncement,
    accumulator: OffsetAccumulator<MEINBERG_ACCUMULATE>,
    latest: Option<(NtpDuration, NtpTime)>,
}

impl MeinbergClock {
    /// A clock with `config`.
    pub fn new(config: MeinbergConfig) -> Self {
        Self {
            assembler: SentenceAssembler::new(Framing::StxEtx),
            decoder: Decoder {
                config,
                counters: MeinbergCounters::default(),
                holdover: Holdover::new(
                    config.trust_time(),
                    NtpDuration::from_seconds(MEINBERG_STALE_SECONDS),
                ),
                leap: LeapAnnouncement::None,
                accumulator: OffsetAccumulator::new(),
                latest: None,
            },
        }
    }

    /// Its configuration.
    pub const fn config(&self) -> &MeinbergConfig {
        &self.decoder.config
    }

    /// Feeds a chunk of serial bytes whose last byte arrived at `rx_time`.
    pub fn handle_serial(&mut self, bytes: &[u8], rx_time: NtpTime) {
        let char_time = self.decoder.config.mode.serial_settings().char_time();
        for (i, &b) in bytes.iter().enumerate() {
            let t = super::input::byte_time(rx_time, i, bytes.len(), char_time);
            if let Some(s) = self.assembler.push(b, t) {
                let _ = self.decoder.handle(s.bytes, s.end_time);
            }
        }
    }

    /// Handles one complete string whose ETX arrived at `end_time`; returns the offset it
    /// measured (reference − local, 2^-32 s) or why it was not used.
    pub fn handle_string(
        &mut self,
        string: &[u8],
        end_time: NtpTime,
    ) -> Result<NtpDuration, MeinbergReject> {
        self.decoder.handle(string, end_time)
    }

    /// Combines the offsets collected since the last call.
    pub fn take(&mut self) -> Option<Combined> {
        self.decoder.accumulator.take()
    }

    /// The newest accepted offset and its local time (numbers PPS edges).
    pub const fn latest_offset(&self) -> Option<(NtpDuration, NtpTime)> {
        self.decoder.latest
    }

    /// Counters since creation.
    pub const fn counters(&self) -> MeinbergCounters {
        self.decoder.counters
    }

    /// The leap second announced by the last string.
    pub const fn leap(&self) -> LeapAnnouncement {
        self.decoder.leap
    }

    /// Overrides the trust time of the mode (and of `fudge flag1`/`time2`), 2^-32 s.
    pub fn set_trust_time(&mut self, trust: NtpDuration) {
        self.decoder.holdover.set_trust(trust);
    }

    /// Synchronisation state at `now`.
    pub fn sync_state(&self, now: NtpTime) -> SyncState {
        self.decoder.holdover.state(now)
    }

    /// Synchronisation tracker (last synchronised string, trust time).
    pub const fn holdover(&self) -> &Holdover {
        &self.decoder.holdover
    }
}

impl Decoder {
    fn handle(&mut self, s: &[u8], end_time: NtpTime) -> Result<NtpDuration, MeinbergReject> {
        bump(&mut self.counters.received);
        let result = self.decode(s, end_time);
        let c = &mut self.counters;
        match result {
            Ok(_) => bump(&mut c.accepted),
            Err(MeinbergReject::NotSynchronized) => bump(&mut c.not_synchronized),
            Err(MeinbergReject::LeapSecond) => bump(&mut c.leap_second),
            Err(MeinbergReject::Parse(e)) => bump(match e {
                MeinbergError::Length => &mut c.bad_length,
                MeinbergError::Framing => &mut c.bad_framing,
                MeinbergError::Digit => &mut c.bad_digit,
                MeinbergError::BadDate => &mut c.bad_date,
                MeinbergError::BadTime => &mut c.bad_time,
                MeinbergError::BadWeekday => &mut c.bad_weekday,
                MeinbergError::BadStatus => &mut c.bad_status,
            }),
        }
        result
    }

    fn decode(&mut self, s: &[u8], end_time: NtpTime) -> Result<NtpDuration, MeinbergReject> {
        let t = meinberg::parse(s, self.config.year_window_start).map_err(MeinbergReject::Parse)?;
        let mode = self.config.mode;
        self.leap = match (
            t.status.leap_announcement,
            self.config.fudge.has(FudgeFlags::FLAG4),
        ) {
            (false, _) => LeapAnnouncement::None,
            (true, false) => LeapAnnouncement::Insert,
            (true, true) => LeapAnnouncement::Delete,
        };
        if t.status.is_synchronized() {
            self.holdover.synchronized_at(end_time);
        } else {
            if t.status.not_synchronized && mode.hash_means_restart() {
                self.holdover.forget();
            }
            if !self.holdover.state(end_time).is_usable() {
                return Err(MeinbergReject::NotSynchronized);
            }
            bump(&mut self.counters.holdover);
        }
        if t.local_time.is_leap_second() {
            return Err(MeinbergReject::LeapSecond);
        }
        let char_time = mode.serial_settings().char_time();
        let stx_time = end_time - char_time.saturating_mul(STRING_LEN as i64 - 1);
        let on_time = stx_time - mode.base_delay();
        let reference = NtpTime::from_parts(t.utc_ntp_seconds(), 0);
        let offset = (reference - on_time) + self.config.fudge.time1;
        self.accumulator.push(offset, end_time);
        self.latest = Some((offset, end_time));
        Ok(offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::refclock::calendar::{self, Date, TimeOfDay};

    fn utc(h: u8, m: u8, s: u8) -> NtpTime {
        let d = Date::new(2026, 11, 21).unwrap();
        NtpTime::from_parts(
            calendar::ntp_seconds(d, TimeOfDay::new(h, m, s, 0).unwrap()),
            0,
        )
    }

    /// ETX arrival for a string sent at the second change of `boundary` in mode `m`.
    fn etx_time(m: MeinbergMode, boundary: NtpTime) -> NtpTime {
        boundary + m.base_delay() + m.serial_settings().char_time().saturating_mul(31)
    }

    #[test]
    fn modes() {
        assert_eq!(MeinbergMode::from_mode(0), Some(MeinbergMode::PzfTcxo));
        assert_eq!(MeinbergMode::from_mode(7 + 128), Some(MeinbergMode::Gps));
        assert_eq!(MeinbergMode::from_mode(3), None);
        assert_eq!(
            MeinbergMode::DcfAm.trust_time(),
            NtpDuration::from_seconds(1800)
        );
        assert_eq!(MeinbergMode::Gps.refid(), *b"GPS\0");
        let f = Fudge {
            time2: NtpDuration::from_seconds(60),
            flags: FudgeFlags::FLAG1,
            ..Fudge::NONE
        };
        assert_eq!(
            MeinbergConfig::new(MeinbergMode::Gps, f).trust_time(),
            NtpDuration::from_seconds(60)
        );
    }

    #[test]
    fn offset_is_exact_for_a_perfect_line() {
        let m = MeinbergMode::DcfAm;
        let mut clock = MeinbergClock::new(MeinbergConfig::new(m, Fudge::NONE));
        // 13:45:07 CET = 12:45:07 UTC; our clock is 2 ms behind.
        let boundary_local = utc(12, 45, 7) - NtpDuration::from_millis(2);
        let s = b"\x02D:21.11.26;T:6;U:13.45.07;    \x03";
        let off = clock.handle_string(s, etx_time(m, boundary_local)).unwrap();
        assert!(
            (off - NtpDuration::from_millis(2)).abs() < NtpDuration::from_nanos(10),
            "{off}"
        );
    }

    #[test]
    fn trust_time_holdover() {
        let m = MeinbergMode::DcfAm;
        let mut clock = MeinbergClock::new(MeinbergConfig::new(m, Fudge::NONE));
        let free = b"\x02D:21.11.26;T:6;U:13.45.07; *  \x03";
        // Never synchronised: not used.
        assert_eq!(
            clock.handle_string(free, utc(12, 45, 7)),
            Err(MeinbergReject::NotSynchronized)
        );
        let ok = b"\x02D:21.11.26;T:6;U:13.45.07;    \x03";
        assert!(clock.handle_string(ok, utc(12, 45, 7)).is_ok());
        // Signal lost: believed for 30 minutes after the last good string.
        assert!(clock.handle_string(free, utc(13, 15, 7)).is_ok());
        assert!(matches!(
            clock.sync_state(utc(13, 15, 7)),
            SyncState::Holdover { .. }
        ));
        assert_eq!(
            clock.handle_string(free, utc(13, 15, 8)),
            Err(MeinbergReject::NotSynchronized)
        );
        assert_eq!(clock.sync_state(utc(13, 15, 8)), SyncState::Unsynchronized);
        let c = clock.counters();
        assert_eq!(
            (c.received, c.accepted, c.holdover, c.not_synchronized),
            (4, 2, 1, 2)
        );
    }

    #[test]
    fn restart_ends_holdover_for_dcf_but_not_gps() {
        let ok = b"\x02D:21.11.26;T:6;U:12.45.07;  U \x03";
        let hash = b"\x02D:21.11.26;T:6;U:12.45.09;# U \x03";
        for (mode, usable) in [(MeinbergMode::PzfOcxo, false), (MeinbergMode::Gps, true)] {
            let mut clock = MeinbergClock::new(MeinbergConfig::new(mode, Fudge::NONE));
            assert!(clock.handle_string(ok, utc(12, 45, 7)).is_ok());
            assert_eq!(
                clock.handle_string(hash, utc(12, 45, 9)).is_ok(),
                usable,
                "{mode:?}"
            );
        }
    }

    #[test]
    fn leap_announcement_and_serial() {
        let m = MeinbergMode::Gps;
        let fudge = Fudge {
            flags: FudgeFlags::FLAG4,
            ..Fudge::NONE
        };
        let mut clock = MeinbergClock::new(MeinbergConfig::new(m, fudge));
        let mut bytes = std::vec::Vec::from(&b"\r\n\x02D:21.11.26;T:6;U:12.45.07;  UA\x03"[..]);
        bytes.extend_from_slice(b"\x02D:21.11.26;T:6;U:12.45.0");
        clock.handle_serial(&bytes, utc(12, 45, 8));
        assert_eq!(clock.counters().accepted, 1);
        assert_eq!(clock.leap(), LeapAnnouncement::Delete);
        assert!(clock.take().is_some());
    }
}
