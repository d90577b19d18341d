//! Interop with real NTP implementations on loopback: chronyd 4.x and ntpsec's ntpd.
//!
//! Each test starts the peer it needs (see `support`), never lets it touch the system clock,
//! and stops it on exit. When a peer or an example binary is missing the test prints
//! `SKIP <test>: <why>` and passes; `.ci/run` installs the peers so CI runs them all.

mod support;

use std::process::Command;
use std::time::Duration;

use support::{run, skip};

/// The loadgen example gets replies from chronyd and from ntpd (a smoke test, not a benchmark).
#[test]
fn loadgen_against_chronyd_and_ntpd() {
    let Some(loadgen) = support::example_bin("loadgen") else {
        return skip(
            "loadgen_against_chronyd_and_ntpd",
            "examples not built (run cargo test --all-targets)",
        );
    };
    let _lock = support::port_lock();
    let mut started = Vec::new();
    match support::start_chronyd("") {
        Ok(d) => started.push(d),
        Err(why) => skip("loadgen_against_chronyd", &why),
    }
    match support::start_ntpd("") {
        Ok(d) => started.push(d),
        Err(why) => skip("loadgen_against_ntpd", &why),
    }
    for d in &started {
        let reply = support::wait_synced(d.addr, Duration::from_secs(30));
        assert!(
            reply.is_some(),
            "{} never answered synchronized\n{}",
            d.name,
            d.logs()
        );
        let mut cmd = Command::new(&loadgen);
        cmd.args([
            "--target",
            &d.addr.to_string(),
            "--requests",
            "2000",
            "--rate",
            "4000",
            "--duration",
            "10",
        ]);
        cmd.args(["--server-pid", &d.pid().to_string()]);
        let (ok, out) = run(cmd, Duration::from_secs(20));
        eprintln!("loadgen vs {}:\n{out}", d.name);
        assert!(ok, "loadgen failed against {}: {out}", d.name);
        let replies: u64 = out
            .split_whitespace()
            .skip_while(|w| *w != "replies")
            .nth(1)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        assert!(replies >= 1900, "too few replies from {}: {out}", d.name);
    }
}

/// chronyd's and ntpsec's own clients accept each other's servers here: proves the harness
/// (ports, permissions, readiness) before our code is involved.
#[test]
fn peer_tools_query_peers() {
    let _lock = support::port_lock();
    if let Ok(d) = support::start_chronyd("") {
        assert!(
            support::wait_synced(d.addr, Duration::from_secs(30)).is_some(),
            "{}",
            d.logs()
        );
        // ntpdig only talks to port 123 and chronyd listens on 12300: ask with chronyd -Q.
        let chronyd = support::chronyd_path().unwrap_or_default();
        if let Some(mut c) = support::no_sys_time(&chronyd) {
            c.args(["-x", "-u", "root", "-Q", "-t", "10"]);
            c.arg(format!(
                "server 127.0.0.1 port {} iburst maxsamples 4",
                support::CHRONY_PORT
            ));
            let (ok, out) = run(c, Duration::from_secs(15));
            assert!(
                ok && out.contains("System clock wrong by"),
                "chronyd -Q vs chronyd: {out}"
            );
        }
    } else {
        skip("peer_tools_query_peers(chronyd)", "chronyd not found");
    }
    if let Ok(d) = support::start_ntpd("") {
        assert!(
            support::wait_synced(d.addr, Duration::from_secs(30)).is_some(),
            "{}",
            d.logs()
        );
        if let Some(ntpdig) = support::which("ntpdig") {
            let mut c = Command::new(ntpdig);
            c.args(["-t", "2"]).arg("127.0.0.1");
            let (ok, out) = run(c, Duration::from_secs(10));
            assert!(ok && out.contains("127.0.0.1 s"), "ntpdig vs ntpd: {out}");
        }
    } else {
        skip("peer_tools_query_peers(ntpd)", "ntpd not installed");
    }
}
