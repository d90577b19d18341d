//! The firmware's board scenario (examples/firmware), replayed on the host.
//!
//! The same scripted trace (src/scenario.rs) drives the same board model
//! (src/board.rs) around the same core as the Cortex-M builds do under QEMU.
//! Every check the firmware makes must pass here too, a second run must give
//! the same digest, and the digest line this test prints is compared by
//! .ci/run with the ones both QEMU images print: the core is bit-identical
//! across targets only if all three agree.
//!
//! `cargo test --test firmware_replay -- --nocapture` shows the run.

#[path = "../examples/firmware/src/board.rs"]
mod board;
#[path = "../examples/firmware/src/scenario.rs"]
mod scenario;

/// The host measures nothing.
struct NoMeter;

impl board::Meter for NoMeter {
    fn begin(&mut self) {}
    fn end(&mut self, _: board::Cost) {}
}

fn replay(script: &scenario::Script, print: bool) -> scenario::Outcome {
    let mut core = Box::new(scenario::new_core(script));
    assert!(
        scenario::configure(&mut core, script),
        "refclock configuration"
    );
    scenario::run(script, &mut *core, NoMeter, &mut |line| {
        if print {
            println!("{line}");
        }
    })
}

#[test]
fn board_scenario_replays_bit_identically() {
    let first = replay(&scenario::BOARD_SCRIPT, true);
    println!(
        "checks: {} passed, {} failed; {} replies",
        first.passed, first.failed, first.replies
    );
    println!("digest {:016x}", first.digest);
    assert_eq!(first.failed, 0, "board scenario checks failed (see above)");
    assert!(first.passed > 200 && first.replies > 150);
    let second = replay(&scenario::BOARD_SCRIPT, false);
    assert_eq!(
        first.digest, second.digest,
        "the scenario is not deterministic"
    );
}

/// The same board with its RTC 250 ms off: the first fix steps the clock on
/// an NMEA sample (±2.5 ms serial error, which its dispersion says), the
/// refclock's filter refills for ~270 s, and then the PPS must correct the
/// frequency the step sample suggested. Once settled, the same bounds as
/// the normal run hold (every second within `CLOCK_BOUND_NS`, every reply
/// within `TIMESTAMP_BOUND_NS`); only the lock deadline is later.
#[test]
fn board_scenario_after_a_step_at_the_first_fix() {
    let outcome = replay(&scenario::STEPPED_START, true);
    assert_eq!(
        outcome.failed, 0,
        "board scenario checks failed (see above)"
    );
    assert!(outcome.passed > 200 && outcome.replies > 150);
}
