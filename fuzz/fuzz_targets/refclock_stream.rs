//! The reference clock input path as a firmware drives it: serial bytes and
//! PPS edges, in any order and at any times, into (a) standalone `Refclock`s
//! of every driver that reads input (NMEA with an attached PPS, Meinberg
//! with and without PPS, a type 22 PPS) and (b) a whole `Ntp` where the NMEA
//! clock is the prefer peer numbering the type 22 PPS, through
//! `Ntp::handle_serial` / `Ntp::handle_pps` / `handle_timeout`.
//!
//! Nothing may panic. Every sample a clock gives is taken no later than the
//! latest input time, has a dispersion within [0, 16 s] and no negative delay,
//! and a clock whose status is not usable gives none.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sundial::refclock::{Fudge, FudgeFlags, Refclock, RefclockId};
use sundial::sample::Sample;
use sundial::select::CandidateFlags;
use sundial::system::{MAX_PACKET_LEN, Ntp, SystemConfig};
use sundial::{NtpDuration, NtpTime};

const NMEA: RefclockId = RefclockId::new(20, 0);
const PARSE: RefclockId = RefclockId::new(8, 0);
const PPS: RefclockId = RefclockId::new(22, 0);

fn check_sample(s: &Sample, latest: NtpTime) {
    assert!(
        s.time <= latest,
        "sample from the future: {:?} > {latest:?}",
        s.time
    );
    assert!(s.dispersion >= NtpDuration::ZERO && s.dispersion <= Sample::MAX_DISPERSION);
    assert!(s.delay >= NtpDuration::ZERO);
}

fuzz_target!(|data: &[u8]| {
    let Some((&cfg, mut rest)) = data.split_first() else {
        return;
    };
    let mut now = NtpTime::from_unix(1_800_000_000, 0);
    // Fudge: calibrations from the config byte (±~0.5 s), PPS attached when asked.
    let time = NtpDuration::from_millis(i64::from(cfg as i8) * 4);
    let nmea_fudge = Fudge {
        time1: time,
        time2: NtpDuration::from_millis(i64::from(cfg & 0x0f) * 10),
        flags: if cfg & 0x10 != 0 {
            FudgeFlags::FLAG1
        } else {
            FudgeFlags::empty()
        },
        ..Fudge::NONE
    };
    let parse_mode =
        [0u32, 1, 2, 7][usize::from(cfg >> 5) & 3] | if cfg & 0x80 != 0 { 128 } else { 0 };
    let parse_fudge = Fudge {
        time2: time,
        ..Fudge::NONE
    };
    let pps_fudge = Fudge {
        time1: time,
        flags: if cfg & 0x20 != 0 {
            FudgeFlags::FLAG2
        } else {
            FudgeFlags::empty()
        },
        ..Fudge::NONE
    };
    let (Ok(nmea), Ok(parse), Ok(pps)) = (
        Refclock::new(NMEA, u32::from(cfg & 0x0f), nmea_fudge),
        Refclock::new(PARSE, parse_mode, parse_fudge),
        Refclock::new(PPS, 0, pps_fudge),
    ) else {
        return;
    };
    let mut clocks = [nmea.clone(), parse.clone(), pps.clone()];

    let mut ntp: Ntp<4, 1, 3> = Ntp::new(SystemConfig::default(), now, [7; 16]);
    for (clock, flags) in [
        (nmea, CandidateFlags::PREFER),
        (parse, CandidateFlags::empty()),
        (pps, CandidateFlags::empty()),
    ] {
        let _ = ntp.add_refclock(clock, None, flags, now);
    }
    let mut out = [0u8; MAX_PACKET_LEN];
    let mut latest = now;

    // Records: [op][advance, 1/16 s][len][bytes; len]. op & 3: 0 serial to the NMEA
    // clock, 1 serial to the Meinberg clock, 2 a PPS edge (to the clock op
    // >> 2 picks; the edge was `len` ms before now), 3 timer only.
    while let [op, advance, len, tail @ ..] = rest {
        let n = if op & 3 < 2 {
            usize::from(*len).min(tail.len())
        } else {
            0
        };
        let (bytes, next) = tail.split_at(n);
        rest = next;
        // Advance 0..16 s in exact 1/16 s steps (so a PPS can be 1 s apart and pass
        // its ±1 ms interval gate), sometimes backwards (a stepped clock).
        let step = NtpDuration::from_bits(i64::from(*advance) << 28);
        now = if op & 0x80 != 0 && *advance < 8 {
            now - step
        } else {
            now + step
        };
        latest = latest.max(now);
        match op & 3 {
            0 => {
                clocks[0].handle_serial(bytes, now);
                ntp.handle_serial(NMEA, bytes, now);
            }
            1 => {
                clocks[1].handle_serial(bytes, now);
                ntp.handle_serial(PARSE, bytes, now);
            }
            2 => {
                let edge = now - NtpDuration::from_millis(i64::from(*len));
                let which = usize::from(op >> 2) % 3;
                let id = [NMEA, PARSE, PPS][which];
                // Numbering for the type 22 PPS: a plausible prefer offset.
                let numbering = Some(NtpDuration::from_millis(i64::from(*advance) - 128));
                clocks[which].handle_pps(edge, numbering);
                ntp.handle_pps(id, edge);
            }
            _ => {}
        }
        for c in &mut clocks {
            let usable = c.status(now).sync.is_usable();
            if let Some(s) = c.poll(now) {
                assert!(usable, "an unusable clock gave a sample");
                check_sample(&s, latest);
            }
        }
        ntp.handle_timeout(now);
        while let Some(tx) = ntp.poll_transmit(now, &mut out) {
            assert!(tx.len <= out.len());
        }
        while let Some(adj) = ntp.poll_adjustment() {
            now = now + adj.step;
            ntp.adjustment_applied(adj, now);
        }
        while ntp.poll_event().is_some() {}
        let _ = ntp.poll_timeout();
    }
});
