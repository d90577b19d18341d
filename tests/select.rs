//! Behaviour of source selection (`sundial::select`): the tally codes and the
//! system peer choice over whole candidate sets.

use proptest::prelude::*;
use sundial::NtpDuration;
use sundial::select::{
    Candidate, CandidateFlags, NoSelection, SelectParams, Selection, Selector, Tally,
};

const MS: i64 = 1;

fn ms(v: i64) -> NtpDuration {
    NtpDuration::from_millis(v)
}

fn us(v: i64) -> NtpDuration {
    NtpDuration::from_micros(v)
}

/// A LAN-like server: offset in µs, 2 ms root distance, 50 µs jitter.
fn server(id: usize, offset_us: i64) -> Candidate {
    let mut c = Candidate::new(id, us(offset_us));
    c.delay = us(400);
    c.dispersion = us(500);
    c.jitter = us(50);
    c.root_dispersion = us(1000);
    c
}

fn tallies(cs: &[Candidate]) -> String {
    cs.iter().map(|c| c.tally.as_char()).collect()
}

fn run(cs: &mut [Candidate]) -> Result<Selection, NoSelection> {
    Selector::<16>::new(SelectParams::default()).select(cs)
}

#[test]
fn falseticker_among_four_is_flagged_and_not_selected() {
    let mut cs = [
        server(0, 100),
        server(1, -50),
        server(2, 50_000),
        server(3, 20),
    ];
    let sel = run(&mut cs).unwrap();
    assert_eq!(cs[2].tally, Tally::Falseticker);
    assert_ne!(sel.system_peer, 2);
    assert_eq!(sel.falsetickers, 1);
    assert_eq!(sel.survivors, 3);
    assert!(sel.offset.abs() < us(200), "{}", sel.offset);
    assert_eq!(tallies(&cs).matches('*').count(), 1);
    assert_eq!(tallies(&cs).matches('+').count(), 2);
    let _ = MS;
}

#[test]
fn two_disjoint_cliques_of_equal_size_select_nothing() {
    let mut cs = [
        server(0, 0),
        server(1, 10),
        server(2, 100_000),
        server(3, 100_010),
    ];
    assert_eq!(run(&mut cs), Err(NoSelection::NoMajority { candidates: 4 }));
    assert_eq!(tallies(&cs), "xxxx");
}

#[test]
fn larger_clique_wins_over_smaller() {
    let mut cs = [
        server(0, 0),
        server(1, 100_000),
        server(2, 10),
        server(3, 100_010),
        server(4, 20),
    ];
    let sel = run(&mut cs).unwrap();
    assert_eq!(tallies(&cs).chars().nth(1), Some('x'));
    assert_eq!(tallies(&cs).chars().nth(3), Some('x'));
    assert!([0, 2, 4].contains(&sel.system_peer));
}

#[test]
fn prefer_peer_is_system_peer_and_its_offset_is_used_alone() {
    let mut cs = [server(0, 0), server(1, 300), server(2, 100)];
    cs[1].flags |= CandidateFlags::PREFER;
    let sel = run(&mut cs).unwrap();
    assert_eq!(sel.system_peer, 1);
    assert_eq!(sel.offset, us(300));
    assert_eq!(tallies(&cs), "+*+");
}

#[test]
fn prefer_falseticker_is_still_a_falseticker() {
    let mut cs = [server(0, 0), server(1, 90_000), server(2, 100)];
    cs[1].flags |= CandidateFlags::PREFER;
    let sel = run(&mut cs).unwrap();
    assert_ne!(sel.system_peer, 1);
    assert_eq!(cs[1].tally, Tally::Falseticker);
}

#[test]
fn noselect_is_shown_rejected_and_never_selected() {
    let mut cs = [server(0, 0), server(1, 10)];
    cs[0].flags |= CandidateFlags::NOSELECT | CandidateFlags::PREFER;
    let sel = run(&mut cs).unwrap();
    assert_eq!(sel.system_peer, 1);
    assert_eq!(tallies(&cs), " *");
}

#[test]
fn true_source_survives_without_a_majority() {
    let mut cs = [server(0, 0), server(1, 10), server(2, 200_000)];
    cs[2].flags |= CandidateFlags::TRUE;
    let sel = run(&mut cs).unwrap();
    assert_ne!(cs[2].tally, Tally::Falseticker);
    assert!(cs[2].tally.is_survivor(), "{:?}", cs[2].tally);
    assert_eq!(sel.falsetickers, 0);
    // Alone it is selected even though nobody agrees with it.
    let mut lone = [
        server(0, 0),
        server(1, 10),
        server(2, 200_000),
        server(3, 300_000),
    ];
    lone[3].flags |= CandidateFlags::TRUE;
    lone[2].stratum = 2;
    let sel = run(&mut lone).unwrap();
    assert_eq!(lone[3].tally, Tally::SystemPeer, "{}", tallies(&lone));
    assert_eq!(sel.system_peer, 3);
}

#[test]
fn minsane_not_met_means_no_selection() {
    let mut cs = [server(0, 0), server(1, 10), server(2, 90_000)];
    let params = SelectParams {
        minsane: 3,
        ..SelectParams::default()
    };
    let r = Selector::<8>::new(params).select(&mut cs);
    assert_eq!(
        r,
        Err(NoSelection::TooFewSurvivors {
            survivors: 2,
            minsane: 3
        })
    );
    assert!(!tallies(&cs).contains('*'));
    assert_eq!(cs[2].tally, Tally::Falseticker);
}

#[test]
fn unfit_sources_are_rejected() {
    let mut cs = [
        server(0, 0),
        server(1, 0),
        server(2, 0),
        server(3, 0),
        server(4, 0),
        server(5, 0),
        server(6, 5),
    ];
    cs[0].flags.remove(CandidateFlags::REACHABLE);
    cs[1].flags |= CandidateFlags::UNSYNCHRONIZED;
    cs[2].stratum = 16;
    cs[3].root_dispersion = NtpDuration::from_seconds(2);
    cs[4].flags |= CandidateFlags::LOOP;
    cs[5].stratum = 15; // we would be 16
    let sel = run(&mut cs).unwrap();
    assert_eq!(tallies(&cs), "      *");
    assert_eq!(sel.candidates, 1);
    let mut none = [cs[0]];
    assert_eq!(run(&mut none), Err(NoSelection::NoCandidates));
}

#[test]
fn hysteresis_small_fluctuations_do_not_hop() {
    let mut cs = [server(0, 0), server(1, 30), server(2, -30)];
    let first = run(&mut cs).unwrap().system_peer;
    let mut hops = 0;
    let mut last = first;
    // Distances wobble by ±20 % and offsets by ±40 µs for 200 rounds.
    for round in 0..200i64 {
        for (i, c) in cs.iter_mut().enumerate() {
            let wobble = ((round * 7 + i as i64 * 13) % 9) - 4; // -4..=4
            c.dispersion = us(500 + wobble * 50);
            c.offset = us(wobble * 10 + i as i64 * 5);
        }
        let sel = run(&mut cs).unwrap();
        if sel.system_peer != last {
            hops += 1;
            last = sel.system_peer;
        }
        assert_eq!(tallies(&cs).matches('*').count(), 1);
    }
    assert_eq!(hops, 0, "system peer hopped");
}

#[test]
fn hops_when_another_source_is_clearly_better() {
    let mut cs = [server(0, 0), server(1, 30), server(2, -30)];
    let first = run(&mut cs).unwrap().system_peer;
    // The system peer's distance grows tenfold: it must give way.
    cs[first].root_dispersion = ms(20);
    let second = run(&mut cs).unwrap().system_peer;
    assert_ne!(first, second);
    // A lower-stratum source appears: hop to it.
    cs[(second + 1) % 3].stratum = 0;
    let third = run(&mut cs).unwrap().system_peer;
    assert_eq!(third, (second + 1) % 3);
}

#[test]
fn pps_needs_a_prefer_peer_within_128_ms() {
    let mut pps = Candidate::new(9, us(3));
    pps.flags |= CandidateFlags::PPS;
    pps.stratum = 0;
    pps.jitter = us(1);
    pps.dispersion = us(10);
    let mut gps = server(1, 40);
    gps.stratum = 0;
    let mut cs = [server(0, 100), gps, server(2, -100), pps];
    // Without prefer the PPS is not used.
    let sel = run(&mut cs).unwrap();
    assert!(!sel.pps);
    assert_eq!(cs[3].tally, Tally::Backup);
    // With a prefer peer, PPS takes over: `o`, prefer keeps `*`.
    cs[1].flags |= CandidateFlags::PREFER;
    let sel = run(&mut cs).unwrap();
    assert!(sel.pps);
    assert_eq!(sel.system_peer, 3);
    assert_eq!(sel.system_peer_id, 9);
    assert_eq!(sel.offset, us(3));
    assert_eq!(tallies(&cs), "+*+o");
    // Prefer peer more than 128 ms off (but everyone agrees): no PPS.
    for c in cs.iter_mut() {
        c.offset += ms(200);
    }
    let sel = run(&mut cs).unwrap();
    assert!(!sel.pps);
    assert_eq!(sel.system_peer, 1);
    assert_eq!(cs[3].tally, Tally::Backup);
}

#[test]
fn local_clock_only_when_no_real_source() {
    let mut local = Candidate::new(7, NtpDuration::ZERO);
    local.flags |= CandidateFlags::LOCAL_CLOCK | CandidateFlags::PREFER;
    local.stratum = 10;
    let mut cs = [server(0, 5_000), local];
    let sel = run(&mut cs).unwrap();
    assert_eq!(sel.system_peer, 0);
    assert_eq!(tallies(&cs), "* ");
    cs[0].flags.remove(CandidateFlags::REACHABLE);
    let sel = run(&mut cs).unwrap();
    assert!(sel.local_clock);
    assert_eq!(sel.system_peer, 1);
    assert_eq!(tallies(&cs), " *");
}

#[test]
fn maxclock_and_capacity() {
    let mut cs: Vec<Candidate> = (0..6).map(|i| server(i, i as i64 * 10)).collect();
    for (i, c) in cs.iter_mut().enumerate() {
        c.root_dispersion = us(1000 + 100 * i as i64);
    }
    let params = SelectParams {
        maxclock: 3,
        ..SelectParams::default()
    };
    Selector::<5>::new(params).select(&mut cs).unwrap();
    let t = tallies(&cs);
    // The two farthest of the first five are backups; the sixth is excess.
    assert_eq!(&t[3..], "##.", "{t}");
}

#[test]
fn outlier_is_clustered_out() {
    // All five intervals overlap (λ ≈ 2 ms) but one sits 1.8 ms away.
    let mut cs = [
        server(0, 0),
        server(1, 10),
        server(2, -10),
        server(3, 5),
        server(4, 1_800),
    ];
    let sel = run(&mut cs).unwrap();
    assert_eq!(cs[4].tally, Tally::Outlier, "{}", tallies(&cs));
    assert!(sel.offset.abs() < us(20));
}

fn arb_candidate() -> impl Strategy<Value = Candidate> {
    (
        (any::<i64>(), -1_000_000i64..1_000_000, any::<bool>()),
        (any::<i64>(), any::<i64>(), any::<i64>()),
        (0u8..20, any::<u16>(), 0u8..8, any::<i8>()),
        (any::<i64>(), any::<i64>()),
    )
        .prop_map(
            |(
                (wild, off, use_wild),
                (delay, disp, jit),
                (stratum, flags, tally, poll),
                (rd, re),
            )| {
                let mut c = Candidate::new(0, NtpDuration::from_micros(off));
                if use_wild {
                    c.offset = NtpDuration::from_bits(wild);
                }
                c.delay = NtpDuration::from_bits(delay);
                c.dispersion = NtpDuration::from_bits(disp);
                c.jitter = NtpDuration::from_bits(jit);
                c.root_delay = NtpDuration::from_bits(rd);
                c.root_dispersion = NtpDuration::from_bits(re);
                c.stratum = stratum;
                c.flags = CandidateFlags::from_bits_truncate(flags);
                c.tally = Tally::from_code(tally);
                c.poll = sundial::PollInterval::from_log2(poll);
                c
            },
        )
}

proptest! {
    #[test]
    fn never_panics_and_system_peer_is_a_survivor(
        mut cs in prop::collection::vec(arb_candidate(), 0..20),
        minsane in 0u8..4, minclock in 0u8..5, maxclock in 0u8..12,
    ) {
        for (i, c) in cs.iter_mut().enumerate() { c.id = 100 + i; }
        let params = SelectParams { minsane, minclock, maxclock, ..SelectParams::default() };
        let r = Selector::<12>::new(params).select(&mut cs);
        let stars = cs.iter().filter(|c| c.tally == Tally::SystemPeer).count();
        match r {
            Ok(sel) => {
                let sys = &cs[sel.system_peer];
                prop_assert!(sys.tally == Tally::SystemPeer || sys.tally == Tally::PpsPeer);
                prop_assert_eq!(sys.id, sel.system_peer_id);
                prop_assert_eq!(stars, 1);
                prop_assert!(sel.jitter >= NtpDuration::ZERO);
                prop_assert!(!sys.flags.contains(CandidateFlags::NOSELECT));
                let survivors = cs.iter().filter(|c| matches!(c.tally, Tally::Candidate | Tally::SystemPeer)).count();
                prop_assert_eq!(survivors, sel.survivors);
            }
            Err(_) => prop_assert_eq!(stars, 0),
        }
    }

    #[test]
    fn a_majority_clique_contains_the_selection(
        clique in prop::collection::vec((-900i64..900, 1_000i64..5_000), 3..8),
        others in prop::collection::vec((20_000i64..1_000_000, 1_000i64..5_000, any::<bool>()), 0..6),
    ) {
        // Clique: every interval contains 0 (|offset| < λ). Others lie wholly
        // beyond ±6 ms, disjoint from every clique interval.
        prop_assume!(clique.len() > others.len());
        let mut cs = Vec::new();
        for (i, (off, lam)) in clique.iter().enumerate() {
            let mut c = Candidate::new(i, us(*off));
            c.root_dispersion = us(*lam);
            cs.push(c);
        }
        for (i, (off, lam, neg)) in others.iter().enumerate() {
            let o = if *neg { -(off + 6_000 + lam) } else { off + 6_000 + lam };
            let mut c = Candidate::new(100 + i, us(o));
            c.root_dispersion = us(*lam);
            cs.push(c);
        }
        let sel = Selector::<16>::new(SelectParams::default()).select(&mut cs).unwrap();
        prop_assert!(sel.system_peer < clique.len());
        for c in &cs[clique.len()..] {
            prop_assert_eq!(c.tally, Tally::Falseticker);
        }
        prop_assert!(sel.offset.abs() < us(900));
    }
}
