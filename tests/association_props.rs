//! Property tests: the on-wire arithmetic recovers offset and delay exactly
//! (to the 2^-32 s rounding) for any path; the clock filter's output is always
//! one of its samples, never older than the last one used, and bounded; an
//! association's counters add up for any packet stream.

mod association_common;

use association_common::*;
use proptest::prelude::*;
use sundial::association::onwire::Exchange;
use sundial::association::{Association, AssociationConfig, ClockFilter, FilterOutcome};
use sundial::sample::Sample;
use sundial::time::{NtpDuration, NtpTime, PollInterval};
use sundial::wire::NtpPacket;

fn dur(bits: i64) -> NtpDuration {
    NtpDuration::from_bits(bits)
}

proptest! {
    #[test]
    fn exchange_recovers_offset_and_delay(
        theta in -(1i64 << 42)..(1i64 << 42),      // ±1024 s
        d1 in 0i64..(1i64 << 32),                  // 0..1 s each way
        d2 in 0i64..(1i64 << 32),
        proc_ in 0i64..(1i64 << 26),               // 0..16 ms server time
        start in 0u32..u32::MAX,
    ) {
        let t1 = NtpTime::from_parts(3_900_000_000 + i64::from(start), start);
        let t2 = t1 + dur(d1) + dur(theta);
        let t3 = t2 + dur(proc_);
        let t4 = t1 + dur(d1) + dur(proc_) + dur(d2);
        let x = Exchange::new(t1, t2.to_timestamp(), t3.to_timestamp(), t4);
        // θ + (d1 − d2)/2, δ = d1 + d2 (one unit of rounding in the halving).
        let expect = dur(theta) + dur(d1 - d2).shift(-1);
        prop_assert!((x.offset() - expect).abs() <= dur(1));
        prop_assert_eq!(x.delay(), dur(d1 + d2));
        let s = x.sample(-20, -20).unwrap();
        prop_assert!(s.delay >= dur(d1 + d2).min(dur(1 << 12)));
        prop_assert!(s.dispersion > NtpDuration::ZERO);
    }

    #[test]
    fn filter_output_is_a_bounded_sample_and_never_goes_back(
        samples in prop::collection::vec(
            (-(1i64 << 40)..(1i64 << 40), 0i64..(1i64 << 34), 0i64..(1i64 << 30), 0u8..10, any::<bool>()),
            1..60,
        ),
    ) {
        let mut f = ClockFilter::new();
        let mut now = T0;
        let mut last: Option<NtpTime> = None;
        let precision = dur(1 << 12);
        for (offset, delay, disp, gap, dummy) in samples {
            now += NtpDuration::from_seconds(i64::from(gap));
            let s = if dummy {
                Sample::dummy(now)
            } else {
                Sample { offset: dur(offset), delay: dur(delay), dispersion: dur(disp), time: now }
            };
            let outcome = f.add(s, now, precision, PollInterval::from_log2(4));
            if let FilterOutcome::Updated(o) = outcome {
                prop_assert!(f.stages().iter().any(|st| st.offset == o.offset && st.delay == o.delay && st.time == o.sample_time));
                if let Some(t) = last {
                    prop_assert!(o.sample_time > t);
                }
                last = Some(o.sample_time);
                prop_assert!(o.jitter >= precision);
                prop_assert!(o.dispersion <= Sample::MAX_DISPERSION);
                prop_assert!(o.dispersion >= NtpDuration::ZERO);
            }
            prop_assert!(f.dispersion_at(now) <= Sample::MAX_DISPERSION);
        }
    }

    #[test]
    fn counters_add_up_for_any_stream(
        ops in prop::collection::vec((any::<u8>(), prop::collection::vec(any::<u8>(), 48..49)), 1..40),
    ) {
        let mut d = Direct::new(Association::new(AssociationConfig::client(addr(1)), T0, 0));
        for (op, junk) in ops {
            match op % 3 {
                0 => { let _ = d.round(); }
                1 => {
                    let (_, reply, at) = d.exchange();
                    if let Some(mut r) = reply {
                        r[usize::from(op) % 48] ^= 1 << (op % 8);
                        if NtpPacket::parse(&r).is_ok() {
                            let _ = d.feed(&r, at);
                        }
                    }
                }
                _ => {
                    if NtpPacket::parse(&junk).is_ok() {
                        let _ = d.feed(&junk, d.now);
                    }
                }
            }
        }
        let c = d.client.counters();
        prop_assert_eq!(c.received, c.samples + c.rejected());
    }
}
