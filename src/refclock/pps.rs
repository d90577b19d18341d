//! The PPS clock (driver type 22, `127.127.22.U`, and PPS attached to a serial refclock).
//!
//! Owns: turning edge timestamps into offsets. An edge marks a second boundary with the
//! precision of the capture (sub-microsecond with timer capture), but it cannot say *which*
//! second: that comes from a numbering source — the prefer peer in ntpd's mitigation rules
//! ("Mitigation Rules and the prefer Keyword"), or the serial time code of the receiver the
//! PPS is attached to. The numbering source must agree with our clock within 128 ms
//! ([`PREFER_WINDOW`]); otherwise the edge is not used.
//!
//! For an edge captured at local time `e` and a numbering offset `θp` (the numbering source's
//! time minus ours), the edge is the second `S = round(e + θp)` and the PPS offset is
//! `S − e + time1` (`fudge time1` calibrates cable and capture delays).
//!
//! A range gate drops edges whose spacing is not a whole number of seconds within ±1 ms
//! (a glitch, a missed capture or a bad frequency), as ntpd's PPS driver does in spirit.
//! `fudge flag2` (clear edge) is applied where edges are captured ([`super::input::Edge`]);
//! `flag3` (kernel discipline) is reported in the status for hosts that have one — this core
//! always disciplines through its own loop; `flag4` (record every edge) is monitoring only.

use super::fudge::{Fudge, FudgeFlags};
use super::median::{Combined, OffsetAccumulator};
use super::status::{Holdover, SyncState};
use crate::counter::bump;
use crate::time::{NtpDuration, NtpTime};

/// Precision of a captured PPS edge, log2 s (≈ 1 µs).
pub const PPS_PRECISION: i8 = -20;
/// Default refid.
pub const PPS_REFID: [u8; 4] = *b"PPS\0";
/// The numbering source must be within this of our clock (128 ms, ntpd's rule).
pub const PREFER_WINDOW: NtpDuration = NtpDuration::from_millis(128);
/// Allowed deviation of the edge spacing from a whole number of seconds (±1 ms ≈ 1000 ppm).
pub const INTERVAL_TOLERANCE: NtpDuration = NtpDuration::from_millis(1);
/// Without a numbered edge for this long (s) the PPS counts as lost.
pub const PPS_STALE_SECONDS: i64 = 10;
/// Offsets kept between polls.
pub const PPS_ACCUMULATE: usize = 16;

/// What happened to every edge (all counters saturate).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PpsCounters {
    /// Edges seen.
    pub edges: u32,
    /// Edges whose offset was used.
    pub accepted: u32,
    /// Dropped: no numbering source.
    pub unnumbered: u32,
    /// Dropped: the numbering source is 128 ms or more away from our clock.
    pub prefer_too_far: u32,
    /// Dropped: spacing from the previous edge is not a whole number of seconds.
    pub bad_interval: u32,
}

/// Why an edge produced no offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum PpsReject {
    /// No numbering source was given.
    Unnumbered,
    /// The numbering source's offset is outside ±[`PREFER_WINDOW`].
    PreferTooFar,
    /// Edge spacing failed the range gate.
    BadInterval,
}

/// The PPS driver state.
#[derive(Clone, Debug)]
pub struct PpsClock {
    /// Offset calibration added to every edge (`time1` for type 22 and NMEA, the PPS `time2`
    /// for the parse driver).
    calibration: NtpDuration,
    fudge: Fudge,
    last_edge: Option<NtpTime>,
    counters: PpsCounters,
    holdover: Holdover,
    accumulator: OffsetAccumulator<PPS_ACCUMULATE>,
    latest: Option<(NtpDuration, NtpTime)>,
}

impl PpsClock {
    /// A PPS clock whose edges are corrected by `calibration` (2^-32 s), with `fudge` for the
    /// flags.
    pub fn new(calibration: NtpDuration, fudge: Fudge) -> Self {
        let stale = NtpDuration::from_seconds(PPS_STALE_SECONDS);
        Self {
            calibration,
            fudge,
            last_edge: None,
            counters: PpsCounters::default(),
            holdover: Holdover::new(stale, stale),
            accumulator: OffsetAccumulator::new(),
            latest: None,
        }
    }

    /// Handles an edge captured at local time `edge`. `numbering` is the offset of the
    /// numbering source (its time − ours, 2^-32 s): the prefer peer for type 22, the serial
    /// time code for an attached PPS. A host that knows its own clock is right to well under
    /// half a second (and has no prefer peer) may pass `Some(ZERO)`, as ntpd does with
    /// `tos minsane 0`.
    pub fn handle_edge(
        &mut self,
        edge: NtpTime,
        numbering: Option<NtpDuration>,
    ) -> Result<NtpDuration, PpsReject> {
        bump(&mut self.counters.edges);
        let result = self.decode(edge, numbering);
        let c = &mut self.counters;
        bump(match result {
            Ok(_) => &mut c.accepted,
            Err(PpsReject::Unnumbered) => &mut c.unnumbered,
            Err(PpsReject::PreferTooFar) => &mut c.prefer_too_far,
            Err(PpsReject::BadInterval) => &mut c.bad_interval,
        });
        result
    }

    fn decode(
        &mut self,
        edge: NtpTime,
        numbering: Option<NtpDuration>,
    ) -> Result<NtpDuration, PpsReject> {
        let previous = self.last_edge.replace(edge);
        if let Some(prev) = previous {
            let spacing = edge - prev;
            let whole = nearest_second(NtpTime::from_parts(0, 0) + spacing).seconds();
            let error = spacing - NtpDuration::from_seconds(whole);
            if whole < 1 || error.abs() > INTERVAL_TOLERANCE {
                return Err(PpsReject::BadInterval);
            }
        }
        let theta_p = numbering.ok_or(PpsReject::Unnumbered)?;
        if theta_p.abs() >= PREFER_WINDOW {
            return Err(PpsReject::PreferTooFar);
        }
        let second = nearest_second(edge + theta_p);
        let offset = (second - edge) + self.calibration;
        self.holdover.synchronized_at(edge);
        self.accumulator.push(offset, edge);
        self.latest = Some((offset, edge));
        Ok(offset)
    }

    /// Combines the offsets collected since the last call.
    pub fn take(&mut self) -> Option<Combined> {
        self.accumulator.take()
    }

    /// The newest accepted offset and its local time.
    pub const fn latest_offset(&self) -> Option<(NtpDuration, NtpTime)> {
        self.latest
    }

    /// Counters since creation.
    pub const fn counters(&self) -> PpsCounters {
        self.counters
    }

    /// Sets how long after the last numbered edge the PPS is still believed, 2^-32 s.
    pub fn set_trust_time(&mut self, trust: NtpDuration) {
        self.holdover.set_trust(trust);
    }

    /// Synchronisation state at `now` (numbered edges arriving).
    pub fn sync_state(&self, now: NtpTime) -> SyncState {
        self.holdover.state(now)
    }

    /// Synchronisation tracker (last numbered edge, trust time).
    pub const fn holdover(&self) -> &Holdover {
        &self.holdover
    }

    /// `fudge flag3`: the host may use a kernel PPS discipline.
    pub fn kernel_pps(&self) -> bool {
        self.fudge.has(FudgeFlags::FLAG3)
    }
}

/// `t` rounded to the nearest whole second (halves round up).
fn nearest_second(t: NtpTime) -> NtpTime {
    let up = i64::from(t.fraction() >= 1 << 31);
    NtpTime::from_parts(t.seconds().saturating_add(up), 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 3_972_816_000;

    fn at(s: i64, micros: i64) -> NtpTime {
        NtpTime::from_parts(T0 + s, 0) + NtpDuration::from_micros(micros)
    }

    #[test]
    fn numbering_and_offsets() {
        let mut pps = PpsClock::new(NtpDuration::ZERO, Fudge::NONE);
        // Our clock is 300 µs ahead, so edges are seen at +300 µs; the prefer peer says -1 ms.
        assert_eq!(
            pps.handle_edge(at(0, 300), None),
            Err(PpsReject::Unnumbered)
        );
        let off = pps
            .handle_edge(at(1, 300), Some(NtpDuration::from_millis(-1)))
            .unwrap();
        assert_eq!(off.as_micros(), -300);
        // A numbering source 200 ms away is not trusted to number edges.
        let off = pps
            .handle_edge(at(2, 300), Some(NtpDuration::from_millis(200)))
            .unwrap_err();
        assert_eq!(off, PpsReject::PreferTooFar);
        let c = pps.counters();
        assert_eq!(
            (c.edges, c.accepted, c.unnumbered, c.prefer_too_far),
            (3, 1, 1, 1)
        );
        assert_eq!(pps.sync_state(at(3, 0)), SyncState::Synchronized);
    }

    #[test]
    fn range_gate() {
        let mut pps = PpsClock::new(NtpDuration::from_micros(5), Fudge::NONE);
        let n = Some(NtpDuration::ZERO);
        assert!(pps.handle_edge(at(0, 2), n).is_ok());
        assert_eq!(
            pps.handle_edge(at(0, 400_000), n),
            Err(PpsReject::BadInterval)
        );
        assert_eq!(pps.handle_edge(at(1, 2), n), Err(PpsReject::BadInterval));
        assert_eq!(
            pps.handle_edge(at(3, 500), n).map(|o| o.as_micros()),
            Ok(-495)
        );
        assert!(pps.handle_edge(at(4, 2_000), n).is_err());
        let c = pps.take().unwrap();
        assert_eq!(c.collected, 2);
    }

    #[test]
    fn rounding() {
        assert_eq!(nearest_second(at(0, 499_999)), at(0, 0));
        assert_eq!(nearest_second(at(0, 500_000)), at(1, 0));
        assert_eq!(nearest_second(at(0, -400_000)), at(0, 0));
    }
}
