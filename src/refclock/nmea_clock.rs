//! The NMEA GPS reference clock (driver type 20, `127.127.20.U`).
//!
//! Owns: turning timestamped serial bytes into per-second offsets (sentence selection by the
//! ntpd `mode` bits, one sentence per second, serial delay compensation by `fudge time2`),
//! rejection counters, and the synchronisation state. The parsing itself is in
//! [`super::nmea`]; PPS attached to this clock is combined in [`super::Refclock`].
//!
//! `mode` bits (as ntpd): bit 0 (1) RMC, bit 1 (2) GGA, bit 2 (4) GLL, bit 3 (8) ZDA; none of
//! them set means all. Bits 4–6 select the line speed: 0 → 4800, 0x10 → 9600, 0x20 → 19200,
//! 0x30 → 38400, 0x40 → 57600, 0x50 → 115200 bit/s (8N1). Other bits are ignored.
//!
//! The offset of one sentence is `reference time − end-of-line receive time + time2`:
//! `time2` is the receiver's delay from the second boundary to the end of the sentence.
//! GGA and GLL carry no date; their day is the one that puts the time of day nearest to our
//! own clock, so they need our clock within ±12 h (RMC and ZDA have no such limit).

use super::calendar::{self, DEFAULT_YEAR_WINDOW_START, Date, TimeOfDay};
use super::fudge::Fudge;
use super::input::{SerialSettings, byte_time};
use super::median::{Combined, OffsetAccumulator};
use super::nmea::{self, MAX_SENTENCE_LEN, NmeaError, NmeaTime};
use super::sentence::{Framing, SentenceAssembler};
use super::status::Holdover;
use crate::counter::bump;
use crate::time::{NtpDuration, NtpTime};

/// Precision of serial NMEA time, log2 s (≈ 2 ms, as ntpd).
pub const NMEA_PRECISION: i8 = -9;
/// Default refid.
pub const NMEA_REFID: [u8; 4] = *b"GPS\0";
/// Without a valid sentence for this long (s) the clock counts as unsynchronised.
pub const NMEA_STALE_SECONDS: i64 = 10;
/// Offsets kept between polls.
pub const NMEA_ACCUMULATE: usize = 16;

/// Configuration of one NMEA clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct NmeaConfig {
    /// ntpd `mode` (sentence and line-speed bits, see the module docs).
    pub mode: u32,
    /// `fudge` (time2: serial delay; time1/flag1–3: attached PPS).
    pub fudge: Fudge,
    /// First year of the two-digit-year window for RMC.
    pub year_window_start: u16,
}

impl NmeaConfig {
    /// Config for `mode` and `fudge` with the default year window.
    pub const fn new(mode: u32, fudge: Fudge) -> Self {
        Self {
            mode,
            fudge,
            year_window_start: DEFAULT_YEAR_WINDOW_START,
        }
    }

    /// Whether sentences of `kind` are used under this mode.
    pub const fn accepts(&self, kind: nmea::SentenceKind) -> bool {
        self.mode & 0x0f == 0 || self.mode & kind.mode_bit() != 0
    }

    /// The serial settings the mode selects.
    pub const fn serial_settings(&self) -> SerialSettings {
        let baud = match (self.mode >> 4) & 0x7 {
            1 => 9600,
            2 => 19_200,
            3 => 38_400,
            4 => 57_600,
            5 => 115_200,
            _ => 4800,
        };
        SerialSettings::n81(baud)
    }
}

/// What happened to every sentence (all counters saturate).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct NmeaCounters {
    /// Sentences framed (`$` … LF).
    pub received: u32,
    /// Sentences whose offset was used.
    pub accepted: u32,
    /// Rejected: checksum missing, malformed or wrong.
    pub bad_checksum: u32,
    /// Rejected: framing, non-ASCII, bad address.
    pub bad_framing: u32,
    /// Rejected: the receiver marked the data invalid (no fix).
    pub no_fix: u32,
    /// Rejected: malformed or impossible time of day.
    pub bad_time: u32,
    /// Rejected: malformed or impossible date.
    pub bad_date: u32,
    /// Rejected: a needed field was empty.
    pub missing_field: u32,
    /// Ignored: sentences without time (GSV, proprietary, …).
    pub unsupported: u32,
    /// Ignored: sentence type not selected by the mode bits.
    pub filtered_mode: u32,
    /// Ignored: a second already numbered by an earlier sentence.
    pub filtered_same_second: u32,
    /// Ignored: sentences for an inserted leap second (23:59:60).
    pub leap_second: u32,
}

/// Why a framed sentence produced no offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum NmeaReject {
    /// The parser refused it.
    Parse(NmeaError),
    /// Its type is not selected by the mode bits.
    ModeFiltered,
    /// This second was already used.
    SameSecond,
    /// It describes a leap second.
    LeapSecond,
}

/// The NMEA driver state.
#[derive(Clone, Debug)]
pub struct NmeaClock {
    config: NmeaConfig,
    assembler: SentenceAssembler<NtpTime, MAX_SENTENCE_LEN>,
    decoder: Decoder,
}

#[derive(Clone, Debug)]
struct Decoder {
    config: NmeaConfig,
    counters: NmeaCounters,
    last_second: Option<i64>,
    holdover: Holdover,
    accumulator: OffsetAccumulator<NMEA_ACCUMULATE>,
    latest: Option<(NtpDuration, NtpTime)>,
}

impl NmeaClock {
    /// A clock with `config`.
    pub fn new(config: NmeaConfig) -> Self {
        let stale = NtpDuration::from_seconds(NMEA_STALE_SECONDS);
        Self {
            config,
            assembler: SentenceAssembler::new(Framing::Nmea),
            decoder: Decoder {
                config,
                counters: NmeaCounters::default(),
                last_second: None,
                holdover: Holdover::new(stale, stale),
                accumulator: OffsetAccumulator::new(),
                latest: None,
            },
        }
    }

    /// Its configuration.
    pub const fn config(&self) -> &NmeaConfig {
        &self.config
    }

    /// Feeds a chunk of serial bytes whose last byte arrived at `rx_time`; earlier bytes are
    /// dated back by the character time of the configured line speed.
    pub fn handle_serial(&mut self, bytes: &[u8], rx_time: NtpTime) {
        let char_time = self.config.serial_settings().char_time();
        for (i, &b) in bytes.iter().enumerate() {
            let t = byte_time(rx_time, i, bytes.len(), char_time);
            if let Some(s) = self.assembler.push(b, t) {
                let _ = self.decoder.handle(s.bytes, s.end_time);
            }
        }
    }

    /// Handles one complete sentence whose line end arrived at `end_time`; returns the offset
    /// it measured (reference − local, 2^-32 s) or why it was not used.
    pub fn handle_sentence(
        &mut self,
        sentence: &[u8],
        end_time: NtpTime,
    ) -> Result<NtpDuration, NmeaReject> {
        self.decoder.handle(sentence, end_time)
    }

    /// Combines the offsets collected since the last call (ntpd's median filter).
    pub fn take(&mut self) -> Option<Combined> {
        self.decoder.accumulator.take()
    }

    /// The newest accepted offset and the local time it was measured (numbers PPS edges).
    pub const fn latest_offset(&self) -> Option<(NtpDuration, NtpTime)> {
        self.decoder.latest
    }

    /// Counters since creation.
    pub const fn counters(&self) -> NmeaCounters {
        self.decoder.counters
    }

    /// Counters of the sentence assembler (garbage, overlong lines, …).
    pub const fn assembler_counters(&self) -> super::sentence::AssemblerCounters {
        self.assembler.counters()
    }

    /// Sets how long after the last valid sentence the clock is still believed (holdover);
    /// by default only [`NMEA_STALE_SECONDS`]: a GPS receiver without fix sends no time.
    pub fn set_trust_time(&mut self, trust: NtpDuration) {
        self.decoder.holdover.set_trust(trust);
    }

    /// Synchronisation tracker (last valid sentence).
    pub const fn holdover(&self) -> &Holdover {
        &self.decoder.holdover
    }
}

impl Decoder {
    fn handle(&mut self, sentence: &[u8], end_time: NtpTime) -> Result<NtpDuration, NmeaReject> {
        bump(&mut self.counters.received);
        let result = self.decode(sentence, end_time);
        let c = &mut self.counters;
        match result {
            Ok(_) => bump(&mut c.accepted),
            Err(NmeaReject::ModeFiltered) => bump(&mut c.filtered_mode),
            Err(NmeaReject::SameSecond) => bump(&mut c.filtered_same_second),
            Err(NmeaReject::LeapSecond) => bump(&mut c.leap_second),
            Err(NmeaReject::Parse(e)) => bump(match e {
                NmeaError::Framing => &mut c.bad_framing,
                NmeaError::MissingChecksum
                | NmeaError::BadChecksumDigits
                | NmeaError::BadChecksum { .. } => &mut c.bad_checksum,
                NmeaError::Unsupported => &mut c.unsupported,
                NmeaError::NoFix => &mut c.no_fix,
                NmeaError::MissingField => &mut c.missing_field,
                NmeaError::BadTime => &mut c.bad_time,
                NmeaError::BadDate => &mut c.bad_date,
            }),
        }
        result
    }

    fn decode(&mut self, sentence: &[u8], end_time: NtpTime) -> Result<NtpDuration, NmeaReject> {
        let t = nmea::parse(sentence, self.config.year_window_start).map_err(NmeaReject::Parse)?;
        if !self.config.accepts(t.kind) {
            return Err(NmeaReject::ModeFiltered);
        }
        if t.time.is_leap_second() {
            return Err(NmeaReject::LeapSecond);
        }
        let reference =
            reference_time(&t, end_time).ok_or(NmeaReject::Parse(NmeaError::BadDate))?;
        let second = reference.seconds();
        if self.last_second == Some(second) {
            return Err(NmeaReject::SameSecond);
        }
        self.last_second = Some(second);
        let offset = (reference - end_time) + self.config.fudge.time2;
        self.holdover.synchronized_at(end_time);
        self.accumulator.push(offset, end_time);
        self.latest = Some((offset, end_time));
        Ok(offset)
    }
}

/// Converts nanoseconds (< 10^9) to a 2^-32 s fraction.
pub(crate) fn nanos_to_fraction(nanos: u32) -> u32 {
    u32::try_from((u64::from(nanos) << 32) / 1_000_000_000).unwrap_or(u32::MAX)
}

/// The UTC instant a sentence describes. Sentences without a date get the day that puts them
/// nearest to `local` (our clock at reception).
fn reference_time(t: &NmeaTime, local: NtpTime) -> Option<NtpTime> {
    let frac = nanos_to_fraction(t.time.nanos);
    let seconds = match t.date {
        Some(date) => calendar::ntp_seconds(date, t.time),
        None => nearest_day(t.time, local)?,
    };
    Some(NtpTime::from_parts(seconds, frac))
}

fn nearest_day(time: TimeOfDay, local: NtpTime) -> Option<i64> {
    let local_s = local.seconds();
    let day = local_s.div_euclid(calendar::SECONDS_PER_DAY);
    let tod = time.seconds_of_day();
    let candidates = [day - 1, day, day + 1].map(|d| d * calendar::SECONDS_PER_DAY + tod);
    let best = candidates
        .into_iter()
        .min_by_key(|s| (s - local_s).unsigned_abs())?;
    // Only dates the calendar accepts (keeps GGA-only clocks inside the supported years).
    Date::from_days_since_ntp_epoch(best.div_euclid(calendar::SECONDS_PER_DAY))?;
    Some(best)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::refclock::nmea::SentenceKind;

    fn utc(y: u16, mo: u8, d: u8, h: u8, mi: u8, s: u8) -> NtpTime {
        let date = Date::new(y, mo, d).unwrap();
        NtpTime::from_parts(
            calendar::ntp_seconds(date, TimeOfDay::new(h, mi, s, 0).unwrap()),
            0,
        )
    }

    #[test]
    fn mode_bits() {
        let all = NmeaConfig::new(0, Fudge::NONE);
        assert!(all.accepts(SentenceKind::Gga) && all.accepts(SentenceKind::Zda));
        let rmc = NmeaConfig::new(1 | 0x10, Fudge::NONE);
        assert!(rmc.accepts(SentenceKind::Rmc) && !rmc.accepts(SentenceKind::Gga));
        assert_eq!(rmc.serial_settings().baud, 9600);
        assert_eq!(
            NmeaConfig::new(0x50 | 8, Fudge::NONE)
                .serial_settings()
                .baud,
            115_200
        );
        assert_eq!(
            NmeaConfig::new(0x70, Fudge::NONE).serial_settings().baud,
            4800
        );
    }

    #[test]
    fn offset_with_time2_and_same_second() {
        let fudge = Fudge {
            time2: NtpDuration::from_millis(100),
            ..Fudge::NONE
        };
        let mut clock = NmeaClock::new(NmeaConfig::new(0, fudge));
        // Our clock is 5 ms ahead; the sentence ends 100 ms after the second.
        let rx = utc(2026, 11, 21, 12, 0, 0) + NtpDuration::from_millis(105);
        let s = b"$GPZDA,120000.00,21,11,2026,00,00*60\r\n";
        assert_eq!(nmea::checksum(&s[1..s.len() - 5]), 0x60);
        let off = clock.handle_sentence(s, rx).unwrap();
        assert_eq!(off.as_micros(), -5000);
        assert_eq!(clock.handle_sentence(s, rx), Err(NmeaReject::SameSecond));
        let c = clock.counters();
        assert_eq!((c.received, c.accepted, c.filtered_same_second), (2, 1, 1));
        let combined = clock.take().unwrap();
        assert_eq!(combined.offset.as_micros(), -5000);
    }

    #[test]
    fn gga_day_from_local_clock() {
        let mut clock = NmeaClock::new(NmeaConfig::new(2, Fudge::NONE));
        // GGA at 23:59:59 received (by our clock) just after midnight of the next day.
        let body = "GPGGA,235959.00,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,";
        let s = std::format!("${body}*{:02X}\r\n", nmea::checksum(body.as_bytes()));
        let rx = utc(2026, 11, 22, 0, 0, 0) + NtpDuration::from_millis(300);
        let off = clock.handle_sentence(s.as_bytes(), rx).unwrap();
        assert_eq!(off.as_millis(), -1300);
    }

    #[test]
    fn serial_chunks_and_counters() {
        let mut clock = NmeaClock::new(NmeaConfig::new(1, Fudge::NONE));
        let rx = utc(2026, 11, 21, 12, 0, 1);
        clock.handle_serial(
            b"$GNRMC,,V,,,,,,,,,,N,V*37\r\n$GPZDA,120000.00,21,11,2026,00,00*60\r\n",
            rx,
        );
        clock.handle_serial(
            b"$GPZDA,120000.00,21,11,2026,00,00*61\r\n$GPGSV,1*00\r\n",
            rx,
        );
        let c = clock.counters();
        assert_eq!(
            (
                c.received,
                c.no_fix,
                c.filtered_mode,
                c.bad_checksum,
                c.accepted
            ),
            (4, 1, 1, 2, 0)
        );
        assert!(clock.holdover().last_sync().is_none());
    }
}
