//! Source selection (RFC 5905 §11.2): which of the associations and
//! reference clocks to believe, and what single offset to steer by.
//!
//! This module owns the system process's choice, not its clock: it takes a
//! slice of [`Candidate`]s (one per association or refclock, built by the
//! caller from the association's filter output), runs
//!
//! 1. the fitness checks (`noselect`, reachability, leap, stratum floor and
//!    ceiling, root distance against `maxdist`, timing loops),
//! 2. the intersection algorithm (`intersection.rs`): truechimers vs
//!    falsetickers; `true` sources always survive,
//! 3. ranking by synchronization distance (`stratum · maxdist + λ`) and a cut
//!    at `maxclock` (the rest are backups),
//! 4. clustering (`cluster.rs`) down to `minclock` survivors,
//! 5. the system peer choice with hysteresis and the `prefer`/PPS mitigation
//!    rules, and
//! 6. combining (`combine.rs`): the survivors' offsets weighted by 1/λ,
//!
//! writes a [`Tally`] into every candidate, and returns a [`Selection`] or a
//! typed [`NoSelection`]. It never touches the clock discipline, the
//! associations, or the system variables; no floats, no allocation, no
//! panics. Capacity `N` (a const generic on [`Selector`]) bounds the
//! candidates examined; extra ones are tallied [`Tally::Excess`].
//!
//! ```
//! use sundial::NtpDuration;
//! use sundial::select::{Candidate, SelectParams, Selector, Tally};
//!
//! let us = NtpDuration::from_micros;
//! let mut sources = [0, 40, -30, 80_000].map(|off| {
//!     let mut c = Candidate::new(0, us(off));
//!     c.root_dispersion = us(2_000); // λ ≈ 2 ms
//!     c
//! });
//! let selection = Selector::<8>::new(SelectParams::default())
//!     .select(&mut sources)
//!     .expect("three of four agree");
//! let tallies: String = sources.iter().map(|c| c.tally.as_char()).collect();
//! assert_eq!(tallies, "*++x");
//! assert_eq!(selection.system_peer, 0);
//! assert!(selection.offset.abs() < us(40));
//! ```
//!
//! # Root distance
//! λ is computed here, by [`Candidate::root_distance`], from the values the
//! association reports:
//! `λ = max(mindist, (Δ + δ)/2 + E + ε + ψ)` (ntpd's form; every term
//! clamped at 0 first, λ at least 2^-32 s). The caller must pass ε already
//! grown to the present (`ε + PHI · (now − t_update)`), so this module needs
//! no clock.
//!
//! # System peer choice
//! * A surviving `prefer` source is the system peer (the old one if it is a
//!   surviving `prefer` source), and its offset alone is used, not the
//!   combination (ntpd: prefer avoids the survivors' systematic offsets).
//! * Otherwise the old system peer (the candidate whose incoming tally is
//!   [`Tally::SystemPeer`]) stays while it survives clustering, has the same
//!   stratum as the best-ranked survivor, and its root distance is at most
//!   twice the best one's plus a margin (2 · mindist + PHI · 2^poll, the
//!   saw-tooth λ goes through between two updates of an equally good
//!   source). Only then does selection hop to the best.
//! * A PPS source (flag [`CandidateFlags::PPS`]) must survive the
//!   intersection, never enters clustering or combining, and becomes the
//!   system peer (tally `o`, the prefer peer keeps `*`) only while a
//!   `prefer` source is the system peer and that source's offset is within
//!   [`SelectParams::pps_window`] (128 ms). An unused PPS source is shown `#`.
//! * A local clock (flag [`CandidateFlags::LOCAL_CLOCK`], e.g. 127.127.1.u)
//!   never takes part in intersection; it is used, alone, only when no real
//!   source is a truechimer, whatever its `prefer` flag. Unused, it is `' '`.
//! * `minsane`: fewer survivors than this after clustering means no
//!   selection ([`NoSelection::TooFewSurvivors`]); the tallies still show
//!   why, but no candidate is `*`.

mod cluster;
mod combine;
mod intersection;
mod tally;

pub use tally::Tally;

use crate::time::{NtpDuration, PollInterval};
use cluster::Member;
use intersection::Interval;

bitflags::bitflags! {
    /// Per-candidate facts and configuration that selection needs.
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
    pub struct CandidateFlags: u16 {
        /// Configured `prefer`.
        const PREFER = 1 << 0;
        /// Configured `noselect`: shown, never selected (tally `' '`).
        const NOSELECT = 1 << 1;
        /// Configured `true`: always a truechimer, never voted off by clustering.
        const TRUE = 1 << 2;
        /// A PPS source: sub-second only, needs a `prefer` peer for the seconds.
        const PPS = 1 << 3;
        /// The local clock driver (undisciplined fallback, 127.127.1.u).
        const LOCAL_CLOCK = 1 << 4;
        /// The association has valid data (reach register ≠ 0, filter has samples).
        const REACHABLE = 1 << 5;
        /// The source says it is unsynchronized (leap indicator 3).
        const UNSYNCHRONIZED = 1 << 6;
        /// A timing loop: the source is synchronized to us (its refid is our
        /// address) or to our own system peer. Computed by the caller.
        const LOOP = 1 << 7;
    }
}

/// One source offered to selection: an association's clock filter output
/// plus its server's root values. All durations are [`NtpDuration`]
/// (2^-32 s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    /// The caller's identifier (association index or handle); returned in
    /// [`Selection::system_peer_id`], otherwise not interpreted.
    pub id: usize,
    /// Peer offset θ (positive: we are behind the source).
    pub offset: NtpDuration,
    /// Peer round-trip delay δ.
    pub delay: NtpDuration,
    /// Peer dispersion ε, already grown to the present moment.
    pub dispersion: NtpDuration,
    /// Peer jitter ψ (RMS of filter offsets).
    pub jitter: NtpDuration,
    /// The source's root delay Δ.
    pub root_delay: NtpDuration,
    /// The source's root dispersion E.
    pub root_dispersion: NtpDuration,
    /// The source's stratum (0 for a reference clock, 16 unsynchronized).
    pub stratum: u8,
    /// The association's host poll interval (log2 s), used to widen `maxdist`
    /// by PHI · 2^poll.
    pub poll: PollInterval,
    /// Configuration and state flags.
    pub flags: CandidateFlags,
    /// In: the tally from the previous selection (identifies the old system
    /// peer for hysteresis). Out: the new tally.
    pub tally: Tally,
}

impl Candidate {
    /// A reachable candidate with the given id and offset, zero delay,
    /// dispersion and jitter, stratum 1, poll 64 s, tally `' '`. Handy in
    /// tests and for building from parts.
    pub const fn new(id: usize, offset: NtpDuration) -> Candidate {
        Candidate {
            id,
            offset,
            delay: NtpDuration::ZERO,
            dispersion: NtpDuration::ZERO,
            jitter: NtpDuration::ZERO,
            root_delay: NtpDuration::ZERO,
            root_dispersion: NtpDuration::ZERO,
            stratum: 1,
            poll: PollInterval::DEFAULT_MIN,
            flags: CandidateFlags::REACHABLE,
            tally: Tally::Reject,
        }
    }

    /// Root distance λ = max(`mindist`, (Δ + δ)/2 + E + ε + ψ), every term
    /// clamped at 0, never below 2^-32 s (saturating).
    pub fn root_distance(&self, mindist: NtpDuration) -> NtpDuration {
        let pos = |d: NtpDuration| {
            if d.is_negative() {
                NtpDuration::ZERO
            } else {
                d
            }
        };
        let half_delay =
            NtpDuration::from_bits((pos(self.root_delay) + pos(self.delay)).to_bits() / 2);
        let sum = half_delay + pos(self.root_dispersion) + pos(self.dispersion) + pos(self.jitter);
        sum.max(mindist).max(NtpDuration::RESOLUTION)
    }
}

/// Selection tunables, the `tos` command's values. Defaults are ntpd's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SelectParams {
    /// `tos minsane`: fewest survivors that may set the clock (default 1).
    pub minsane: u8,
    /// `tos minclock`: clustering stops at this many survivors (default 3).
    pub minclock: u8,
    /// `tos maxclock`: most truechimers that enter clustering (default 10);
    /// the rest are backups (`#`).
    pub maxclock: u8,
    /// `tos mindist`: floor of the root distance, the narrowest correctness
    /// interval half-width (default 1 ms).
    pub mindist: NtpDuration,
    /// `tos maxdist`: a source with λ ≥ maxdist + PHI · 2^poll is unfit
    /// (default 1.5 s).
    pub maxdist: NtpDuration,
    /// `tos floor`: sources below this stratum are unfit (default 0).
    pub floor: u8,
    /// `tos ceiling`: sources at or above this stratum are unfit (default 15,
    /// since we would be stratum 16).
    pub ceiling: u8,
    /// Largest |offset| of the `prefer` peer at which a PPS source may
    /// take over (default 128 ms).
    pub pps_window: NtpDuration,
}

impl SelectParams {
    /// ntpd's defaults.
    pub const DEFAULT: SelectParams = SelectParams {
        minsane: 1,
        minclock: 3,
        maxclock: 10,
        mindist: NtpDuration::from_millis(1),
        maxdist: NtpDuration::from_seconds_frac(1, 1 << 31),
        floor: 0,
        ceiling: 15,
        pps_window: NtpDuration::from_millis(128),
    };
}

impl Default for SelectParams {
    fn default() -> SelectParams {
        SelectParams::DEFAULT
    }
}

/// A successful selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Selection {
    /// Index into the candidate slice of the system peer: the source whose
    /// stratum, refid and root values the system variables follow (the PPS
    /// source when it is in charge).
    pub system_peer: usize,
    /// [`Candidate::id`] of the system peer.
    pub system_peer_id: usize,
    /// The offset to steer by (2^-32 s; positive: our clock is behind).
    pub offset: NtpDuration,
    /// System jitter ϑ (2^-32 s).
    pub jitter: NtpDuration,
    /// Survivors of clustering (tallies `+`, `*`; plus `o` if PPS is used).
    pub survivors: usize,
    /// Candidates that entered the intersection.
    pub candidates: usize,
    /// Candidates found to be falsetickers (`x`).
    pub falsetickers: usize,
    /// True if a PPS source is the system peer (tally `o`).
    pub pps: bool,
    /// True if the local clock fallback is the system peer.
    pub local_clock: bool,
}

/// Why no source was selected (the clock should run free). Every candidate's
/// tally is still written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum NoSelection {
    /// No candidate passed the fitness checks (and no local clock).
    NoCandidates,
    /// Candidates exist, but no majority of them agrees (all `x`).
    NoMajority {
        /// Candidates that entered the intersection.
        candidates: usize,
    },
    /// Fewer survivors than `tos minsane`.
    TooFewSurvivors {
        /// Survivors found.
        survivors: usize,
        /// The configured minimum.
        minsane: u8,
    },
}

impl core::fmt::Display for NoSelection {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            NoSelection::NoCandidates => f.write_str("no selectable sources"),
            NoSelection::NoMajority { candidates } => {
                write!(f, "no majority agrees among {candidates} sources")
            }
            NoSelection::TooFewSurvivors { survivors, minsane } => {
                write!(f, "{survivors} survivors, fewer than minsane {minsane}")
            }
        }
    }
}

/// Frequency tolerance PHI, 15 ppm, as 2^-32 s of dispersion per second.
const PHI_PER_SECOND: NtpDuration = NtpDuration::from_bits(64_424);

/// `a · k + b`, saturating (distances in 2^-32 s). Out of line on 32-bit
/// targets: an overflow-checked 64-bit multiply, in three places.
#[cfg_attr(target_pointer_width = "32", inline(never))]
fn mul_add(a: i64, k: i64, b: i64) -> i64 {
    a.saturating_mul(k).saturating_add(b)
}

/// The selection algorithm for up to `N` candidates (stack scratch ~
/// `N · 64` bytes per call; O(N²) time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Selector<const N: usize> {
    /// The `tos` parameters in force.
    pub params: SelectParams,
}

impl<const N: usize> Selector<N> {
    /// A selector with the given parameters.
    pub const fn new(params: SelectParams) -> Selector<N> {
        Selector { params }
    }

    /// True if the candidate may enter selection at all.
    // Out of line on 32-bit targets: inlined into `select` it costs 52 bytes
    // more (register pressure in the candidate loop).
    #[cfg_attr(target_pointer_width = "32", inline(never))]
    fn fit(&self, c: &Candidate) -> bool {
        let f = c.flags;
        if f.contains(CandidateFlags::NOSELECT)
            || !f.contains(CandidateFlags::REACHABLE)
            || f.contains(CandidateFlags::UNSYNCHRONIZED)
            || f.contains(CandidateFlags::LOOP)
            || c.stratum < self.params.floor
            || c.stratum >= self.params.ceiling
            || c.stratum >= 16
        {
            return false;
        }
        let limit =
            self.params.maxdist + PHI_PER_SECOND.shift(i32::from(c.poll.log2().clamp(-32, 32)));
        c.root_distance(self.params.mindist) < limit
    }

    /// Runs selection over `candidates`, writing every candidate's
    /// [`Candidate::tally`]. See the module docs for the rules.
    pub fn select(&self, candidates: &mut [Candidate]) -> Result<Selection, NoSelection> {
        let p = &self.params;
        let old_sys = candidates.iter().position(|c| c.tally == Tally::SystemPeer);

        // 1. Fitness; collect correctness intervals.
        let mut intervals = [Interval { lo: 0, hi: 0 }; N];
        let mut members = [Member {
            index: 0,
            offset: 0,
            distance: 1,
            jitter: 0,
            immune: false,
        }; N];
        let mut n = 0usize;
        let mut local: Option<usize> = None;
        for (i, c) in candidates.iter_mut().enumerate() {
            c.tally = Tally::Reject;
            if i >= N {
                c.tally = Tally::Excess;
                continue;
            }
            if !self.fit(c) {
                continue;
            }
            if c.flags.contains(CandidateFlags::LOCAL_CLOCK) {
                local = local.or(Some(i));
                continue;
            }
            let lambda = c.root_distance(p.mindist);
            let (Some(iv), Some(m)) = (intervals.get_mut(n), members.get_mut(n)) else {
                c.tally = Tally::Excess;
                continue;
            };
            *iv = Interval {
                lo: (c.offset - lambda).to_bits(),
                hi: (c.offset + lambda).to_bits(),
            };
            *m = Member {
                index: i,
                offset: c.offset.to_bits(),
                distance: lambda.to_bits(),
                jitter: c.jitter.to_bits().max(0),
                immune: c
                    .flags
                    .intersects(CandidateFlags::TRUE | CandidateFlags::PREFER),
            };
            n += 1;
        }
        let entered = n;
        let intervals = intervals.get(..n).unwrap_or(&[]);

        // 2. Intersection: truechimers keep their place in `members`.
        let found = intersection::intersect::<N>(intervals);
        let mut falsetickers = 0usize;
        let mut truechimers = 0usize;
        let mut pps: Option<Member> = None;
        for k in 0..n {
            let (Some(iv), Some(m)) = (intervals.get(k), members.get(k).copied()) else {
                continue;
            };
            let Some(c) = candidates.get_mut(m.index) else {
                continue;
            };
            let is_true = c.flags.contains(CandidateFlags::TRUE);
            let inside = found.is_some_and(|x| iv.overlaps(x.low, x.high));
            if !(is_true || inside) {
                c.tally = Tally::Falseticker;
                falsetickers += 1;
                continue;
            }
            if c.flags.contains(CandidateFlags::PPS) {
                // Not clustered; the closest surviving PPS source is kept aside.
                c.tally = Tally::Backup;
                if pps.is_none_or(|q| m.distance < q.distance) {
                    pps = Some(m);
                }
                continue;
            }
            if let Some(slot) = members.get_mut(truechimers) {
                *slot = m;
            }
            truechimers += 1;
        }

        if truechimers == 0 {
            // 2b. Only the local clock may carry on.
            let Some(li) = local else {
                return Err(if entered == 0 {
                    NoSelection::NoCandidates
                } else {
                    NoSelection::NoMajority {
                        candidates: entered,
                    }
                });
            };
            if p.minsane > 1 {
                return Err(NoSelection::TooFewSurvivors {
                    survivors: 1,
                    minsane: p.minsane,
                });
            }
            let Some(c) = candidates.get_mut(li) else {
                return Err(NoSelection::NoCandidates);
            };
            c.tally = Tally::SystemPeer;
            return Ok(Selection {
                system_peer: li,
                system_peer_id: c.id,
                offset: c.offset,
                jitter: c.jitter.max(NtpDuration::ZERO),
                survivors: 1,
                candidates: entered,
                falsetickers,
                pps: false,
                local_clock: true,
            });
        }

        // 3. Rank by stratum · maxdist + λ (stable insertion sort) and cut
        // at maxclock.
        let members = members.get_mut(..truechimers).unwrap_or(&mut []);
        crate::sort::sort_by_key(members, |m| {
            let stratum = candidates.get(m.index).map_or(16, |c| i64::from(c.stratum));
            mul_add(p.maxdist.to_bits(), stratum, m.distance)
        });
        let ranked = members.len().min(usize::from(p.maxclock.max(1)));
        for m in members.get(ranked..).unwrap_or(&[]) {
            if let Some(c) = candidates.get_mut(m.index) {
                c.tally = Tally::Backup;
            }
        }
        let members = members.get_mut(..ranked).unwrap_or(&mut []);

        // 4. Clustering.
        let floor = usize::from(p.minclock.max(p.minsane));
        let kept = cluster::cluster(members, floor);
        for (k, m) in members.iter().enumerate() {
            if let Some(c) = candidates.get_mut(m.index) {
                c.tally = if k < kept {
                    Tally::Candidate
                } else {
                    Tally::Outlier
                };
            }
        }
        let survivors = members.get(..kept).unwrap_or(&[]);
        if survivors.len() < usize::from(p.minsane) {
            return Err(NoSelection::TooFewSurvivors {
                survivors: survivors.len(),
                minsane: p.minsane,
            });
        }
        let Some(best) = survivors.first().copied() else {
            return Err(NoSelection::NoMajority {
                candidates: entered,
            });
        };

        // 5. System peer: prefer, else hysteresis, else the best.
        let flags_of = |m: &Member| {
            candidates
                .get(m.index)
                .map_or(CandidateFlags::empty(), |c| c.flags)
        };
        let stratum_of = |m: &Member| candidates.get(m.index).map_or(16, |c| c.stratum);
        let old = survivors.iter().find(|m| Some(m.index) == old_sys).copied();
        // λ saw-tooths by PHI · 2^poll between a source's updates (≈ 1 ms
        // at 64 s) and never falls below mindist, so equal sources take turns
        // being "twice as good" right after their own update: hop only when
        // the old peer is worse by more than that as well.
        let hop_margin = old.map_or(0, |o| {
            let poll = candidates
                .get(o.index)
                .map_or(0, |c| i32::from(c.poll.log2().clamp(0, 17)));
            mul_add(p.mindist.to_bits(), 2, PHI_PER_SECOND.shift(poll).to_bits())
        });
        let preferred = old
            .filter(|m| flags_of(m).contains(CandidateFlags::PREFER))
            .or_else(|| {
                survivors
                    .iter()
                    .find(|m| flags_of(m).contains(CandidateFlags::PREFER))
                    .copied()
            });
        let sys = if let Some(pref) = preferred {
            pref
        } else {
            match old {
                Some(o)
                    if stratum_of(&o) == stratum_of(&best)
                        && o.distance <= mul_add(best.distance, 2, hop_margin) =>
                {
                    o
                }
                _ => best,
            }
        };

        // 6. Combine (a prefer peer's offset is used alone).
        let combined = if preferred.is_some() {
            combine::combine(&[], &sys)
        } else {
            combine::combine(survivors, &sys)
        };
        let mut selection = Selection {
            system_peer: sys.index,
            system_peer_id: candidates.get(sys.index).map_or(0, |c| c.id),
            offset: NtpDuration::from_bits(combined.offset),
            jitter: NtpDuration::from_bits(combined.jitter),
            survivors: survivors.len(),
            candidates: entered,
            falsetickers,
            pps: false,
            local_clock: false,
        };
        if let Some(c) = candidates.get_mut(sys.index) {
            c.tally = Tally::SystemPeer;
        }

        // PPS takes over the offset while the prefer peer numbers the seconds.
        if let Some(pps) = pps {
            let prefer_ok =
                preferred.is_some() && NtpDuration::from_bits(sys.offset).abs() < p.pps_window;
            if prefer_ok {
                if let Some(c) = candidates.get_mut(pps.index) {
                    c.tally = Tally::PpsPeer;
                    selection.system_peer = pps.index;
                    selection.system_peer_id = c.id;
                    selection.offset = c.offset;
                    selection.jitter = c.jitter.max(NtpDuration::ZERO);
                    selection.pps = true;
                }
            }
        }
        Ok(selection)
    }
}
