//! Interop with real NTP implementations on loopback: chronyd 4.x and ntpsec's ntpd.
//!
//! Each test starts the peer it needs (see `support`), never lets it touch the system clock,
//! and stops it on exit. When a peer or an example binary is missing the test prints
//! `SKIP <test>: <why>` and passes; `.ci/run` installs the peers so CI runs them all. Outside CI
//! they run only with `SUNDIAL_INTEROP=1`.

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
            "examples not built (cargo build --examples)",
        );
    };
    if let Err(why) = support::interop_enabled() {
        return skip("loadgen_against_chronyd_and_ntpd", &why);
    }
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
    if let Err(why) = support::interop_enabled() {
        return skip("peer_tools_query_peers", &why);
    }
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

/// Runs the sntp example with `args`; returns its JSON lines.
fn sntp_json(sntp: &std::path::Path, args: &[&str]) -> (bool, Vec<serde_json::Value>, String) {
    let mut c = Command::new(sntp);
    c.arg("--json").args(["-c", "2", "-i", "0.05"]).args(args);
    let (ok, out) = run(c, Duration::from_secs(20));
    let lines = out
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    (ok, lines, out)
}

fn offset_of(v: &serde_json::Value) -> f64 {
    v["offset"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or(f64::NAN)
}

/// The sntp example queries chronyd and ntpsec's ntpd over IPv4 and IPv6, with MD5, SHA1 and
/// AES-128-CMAC keys; a wrong key gets no accepted reply; `--virtual-offset` shows up with the
/// right sign; `--trace` follows chronyd's reference to ntpd and stops at its local clock.
#[test]
fn sntp_against_chronyd_and_ntpd() {
    let Some(sntp) = support::example_bin("sntp") else {
        return skip(
            "sntp_against_chronyd_and_ntpd",
            "examples not built (cargo build --examples)",
        );
    };
    if let Err(why) = support::interop_enabled() {
        return skip("sntp_against_chronyd_and_ntpd", &why);
    }
    let _lock = support::port_lock();
    let mut ntpd = support::start_ntpd("")
        .map_err(|why| skip("sntp vs ntpd", &why))
        .ok();
    // chronyd follows ntpd when there is one (for --trace), else serves its local clock.
    let chrony_extra = if ntpd.is_some() {
        "server 127.0.0.1 port 123 iburst minpoll -2 maxpoll 0\nmaxdistance 16"
    } else {
        ""
    };
    let mut chronyd = support::start_chronyd(chrony_extra)
        .map_err(|why| skip("sntp vs chronyd", &why))
        .ok();
    let bad_keys = support::Scratch::new("badkeys");
    let bad = bad_keys.write(
        "bad.keys",
        "1 md5 wrongsecret\n2 sha1 00000000000000000000000000000000000000ff\n",
    );
    for (d, keyfile, port) in [
        (ntpd.as_mut(), "ntp.keys", "123"),
        (chronyd.as_mut(), "chrony.keys", "12300"),
    ] {
        let Some(d) = d else { continue };
        d.wait_synced(Duration::from_secs(30))
            .unwrap_or_else(|e| panic!("{e}"));
        for server in ["127.0.0.1", "::1"] {
            let (ok, lines, out) = sntp_json(&sntp, &["-p", port, server]);
            assert!(ok && lines.len() == 1, "sntp {server} vs {}: {out}", d.name);
            let v = &lines[0];
            let st = v["stratum"].as_u64().unwrap_or(0);
            assert!((1..16).contains(&st), "{}: {out}", d.name);
            assert!(offset_of(v).abs() < 0.01, "{}: offset {out}", d.name);
            assert!(
                v["delay"]
                    .as_str()
                    .and_then(|s| s.parse::<f64>().ok())
                    .unwrap_or(1.0)
                    < 0.01,
                "{out}"
            );
        }
        let keys = d.scratch.dir.join(keyfile);
        let keys = keys.to_str().unwrap_or_default();
        for id in ["1", "2", "3"] {
            let (ok, lines, out) =
                sntp_json(&sntp, &["-p", port, "-k", keys, "-a", id, "127.0.0.1"]);
            assert!(
                ok && lines[0]["key"].as_u64() == id.parse().ok(),
                "key {id} vs {}: {out}",
                d.name
            );
        }
        for id in ["1", "2"] {
            let (ok, _, out) = sntp_json(
                &sntp,
                &[
                    "-p",
                    port,
                    "-t",
                    "0.5",
                    "-k",
                    bad.to_str().unwrap_or_default(),
                    "-a",
                    id,
                    "127.0.0.1",
                ],
            );
            assert!(!ok, "wrong key {id} accepted by {}: {out}", d.name);
        }
        let (ok, lines, out) = sntp_json(
            &sntp,
            &["-p", port, "--virtual-offset", "-0.05", "127.0.0.1"],
        );
        assert!(
            ok && (offset_of(&lines[0]) - 0.05).abs() < 0.005,
            "virtual offset vs {}: {out}",
            d.name
        );
    }
    if let (Some(_), Some(c)) = (&ntpd, &chronyd) {
        // Wait until chronyd follows ntpd (its refid becomes 127.0.0.1), then trace.
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let mut following = false;
        while std::time::Instant::now() < deadline {
            if support::query(c.addr, Duration::from_millis(500))
                .is_some_and(|r| r.refid == [127, 0, 0, 1])
            {
                following = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        assert!(following, "chronyd never selected ntpd\n{}", c.logs());
        let mut cmd = Command::new(&sntp);
        cmd.args(["--trace", "-p", "12300", "127.0.0.1"]);
        let (ok, out) = run(cmd, Duration::from_secs(20));
        eprintln!("{out}");
        assert!(ok, "{out}");
        let lines: Vec<&str> = out.lines().collect();
        assert!(
            lines
                .first()
                .is_some_and(|l| l.starts_with("127.0.0.1:12300: stratum 12")),
            "{out}\n{}",
            c.logs()
        );
        assert!(
            lines
                .get(1)
                .is_some_and(|l| l.starts_with("127.0.0.1:123: stratum 11")),
            "{out}"
        );
        assert!(out.contains("end of chain"), "{out}");
    }
}

/// Our ntpq example against ntpsec's ntpd: `-c as` prints exactly what the real ntpq prints,
/// and `-p` agrees with it on every column but `when` and `reach` (which move between calls).
#[test]
fn ntpq_against_ntpd() {
    let Some(ntpq) = support::example_bin("ntpq") else {
        return skip(
            "ntpq_against_ntpd",
            "examples not built (cargo build --examples)",
        );
    };
    if let Err(why) = support::interop_enabled() {
        return skip("ntpq_against_ntpd", &why);
    }
    let Some(real) = support::which("ntpq") else {
        return skip("ntpq_against_ntpd", "ntpsec's ntpq not installed");
    };
    let _lock = support::port_lock();
    let mut d = match support::start_ntpd("") {
        Ok(d) => d,
        Err(why) => return skip("ntpq_against_ntpd", &why),
    };
    d.wait_synced(Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("{e}"));
    let ours = |args: &[&str]| {
        let mut c = Command::new(&ntpq);
        c.args(args);
        run(c, Duration::from_secs(10))
    };
    let theirs = |args: &[&str]| {
        let mut c = Command::new(&real);
        c.args(args);
        run(c, Duration::from_secs(10))
    };
    let (ok1, a) = ours(&["-c", "as", "127.0.0.1"]);
    let (ok2, b) = theirs(&["-c", "as", "127.0.0.1"]);
    assert!(ok1 && ok2, "ours:\n{a}\ntheirs:\n{b}");
    assert_eq!(a.trim(), b.trim(), "ntpq -c as differs");
    // -p: compare tally, remote, refid, st, t, poll; skip when (col 5) and reach (col 7).
    let cols = |out: &str| -> Vec<Vec<String>> {
        out.lines()
            .skip(2)
            .map(|l| {
                let w: Vec<String> = l
                    .get(1..)
                    .unwrap_or("")
                    .split_whitespace()
                    .map(String::from)
                    .collect();
                let mut keep = vec![l.get(..1).unwrap_or("").to_string()];
                keep.extend(
                    w.iter()
                        .enumerate()
                        .filter(|(i, _)| ![4, 6].contains(i))
                        .map(|(_, s)| s.clone()),
                );
                keep
            })
            .collect()
    };
    let (ok1, a) = ours(&["-p", "::1"]);
    let (ok2, b) = theirs(&["-n", "-p", "::1"]);
    assert!(ok1 && ok2, "ours:\n{a}\ntheirs:\n{b}");
    eprintln!("ours:\n{a}\ntheirs:\n{b}");
    assert_eq!(a.lines().next(), b.lines().next(), "header differs");
    assert_eq!(
        cols(&a),
        cols(&b),
        "ntpq -p differs\nours:\n{a}\ntheirs:\n{b}"
    );
    let (ok, rv) = ours(&["-c", "rv", "127.0.0.1"]);
    assert!(
        ok && rv.starts_with("associd=0 status=") && rv.contains("version=\"ntpd ntpsec"),
        "{rv}"
    );
}
