//! The whole core (`Ntp`, driven through its sans-IO API) in short
//! simulations: convergence, a step, a falseticker, a leap second.
#![cfg(feature = "sim")]

use sundial::select::Tally;
use sundial::sim::{RunOptions, Scenario, run_system_client};

fn opts(poll: Option<i8>, hours: f64, warmup: f64) -> RunOptions {
    RunOptions {
        poll,
        duration: Some(hours * 3600.0),
        warmup: Some(warmup),
        ..RunOptions::default()
    }
}

#[test]
fn whole_core_converges_on_a_lan_within_seconds() {
    let lan = Scenario::named("lan").unwrap();
    let run = run_system_client(&lan, &opts(Some(6), 2.0, 1800.0), 0);
    assert!(
        run.summary.time_to_1ms_s <= 6.0,
        "{}",
        run.summary.time_to_1ms_s
    );
    assert!(
        run.summary.rms_offset_us < 40.0,
        "rms {} µs",
        run.summary.rms_offset_us
    );
    assert!(
        run.node
            .log
            .iter()
            .all(|(_, l)| !l.starts_with("clock stepped")),
        "{:?}",
        run.node.log
    );
}

#[test]
fn whole_core_steps_half_a_second() {
    let mut lan = Scenario::named("lan").unwrap();
    lan.initial_offset = -0.5;
    let run = run_system_client(&lan, &opts(Some(6), 1.0, 900.0), 0);
    let steps = run
        .node
        .log
        .iter()
        .filter(|(_, l)| l.starts_with("clock stepped"))
        .count();
    assert_eq!(steps, 1, "{:?}", run.node.log);
    assert!(
        run.summary.max_offset_us < 200.0,
        "max {} µs",
        run.summary.max_offset_us
    );
}

#[test]
fn whole_core_flags_the_falseticker() {
    let ft = Scenario::named("falseticker").unwrap();
    let run = run_system_client(&ft, &opts(Some(6), 3.0, 1800.0), 0);
    assert_eq!(run.node.tally(3), Tally::Falseticker);
    for (tau, peer) in &run.node.peer_changes {
        if *tau > 1800.0 {
            assert_ne!(*peer, Some(3), "falseticker selected at {tau} s");
        }
    }
    assert!(
        run.summary.max_offset_us < 200.0,
        "max {} µs",
        run.summary.max_offset_us
    );
}

#[test]
fn whole_core_inserts_the_leap_second() {
    let leap = Scenario::named("leap").unwrap();
    let run = run_system_client(&leap, &opts(Some(6), 13.0, 3600.0), 0);
    assert_eq!(run.node.osc.leaps_applied(), 1);
    let after = run.node.osc.last_leap_at().unwrap();
    assert!(
        (after - (3_692_217_600.0 - 1.0)).abs() < 0.01,
        "leap applied at local {after}"
    );
    assert!(
        run.summary.max_offset_us < 200.0,
        "max {} µs",
        run.summary.max_offset_us
    );
}
