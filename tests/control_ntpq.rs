//! The real `ntpq` (ntpsec) against our mode 6 responder.
//!
//! ntpq only talks to port 123, so the test runs the responder and ntpq in a
//! private network namespace (a thread that calls `unshare(CLONE_NEWNET)`
//! gets its own loopback; processes it spawns inherit it). Nothing touches
//! the host's port 123 or its clock. Skipped (passes with a `SKIP` line)
//! when ntpq is not installed or namespaces are not permitted (not root).

use std::net::{SocketAddr, UdpSocket};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sundial::control::{
    ClockSource, ControlContext, ControlPolicy, ControlReply, ControlRequest, EventLog,
    MAX_REPLY_LEN, PeerSelection, PeerStatus, PeerVariables,
};
use sundial::server::SystemVariables;
use sundial::wire::{LeapIndicator, RefId};
use sundial::{Frequency, NtpDuration, NtpTime, NtpTimestamp, PollInterval};

const NOW: NtpTime = NtpTime::from_parts(0xeeac_0167, 0x9ec9_4bd8);

fn system() -> SystemVariables {
    SystemVariables {
        leap: LeapIndicator::NoWarning,
        stratum: 2,
        precision: -23,
        root_delay: NtpDuration::from_micros(12_345),
        root_dispersion: NtpDuration::from_micros(10_146),
        refid: RefId::from_bytes([192, 0, 2, 1]),
        reference_time: Some(NtpTime::from_parts(0xeeac_0165, 0x918f_1514)),
        poll: PollInterval::from_log2(6),
        time_constant: 6,
        min_time_constant: 3,
        offset: NtpDuration::from_micros(-250),
        system_jitter: NtpDuration::from_micros(40),
        frequency: Frequency::from_ppb(-12_345),
        clock_jitter: NtpDuration::from_nanos(33),
        clock_wander: Frequency::from_ppb(2),
        peer: 101,
        source: ClockSource::Ntp,
        events: EventLog { count: 2, last: 5 },
        processor: "x86_64",
        system: "Linux",
        version: "sundial test",
    }
}

fn peer(
    id: u16,
    addr: [u8; 4],
    selection: PeerSelection,
    offset_us: i64,
) -> PeerVariables<'static> {
    PeerVariables {
        association_id: id,
        status: PeerStatus {
            configured: true,
            reachable: true,
            selection,
            events: EventLog { count: 1, last: 4 },
            ..PeerStatus::default()
        },
        source: SocketAddr::from((addr, 123)),
        destination: Some(SocketAddr::from(([127, 0, 0, 1], 123))),
        host_name: None,
        is_refclock: false,
        leap: LeapIndicator::NoWarning,
        stratum: 1,
        precision: -20,
        root_delay: NtpDuration::ZERO,
        root_dispersion: NtpDuration::from_micros(500),
        refid: RefId::from_bytes(*b"GPS\0"),
        reference_time: NtpTimestamp::from_bits(0xeeac_0160_0000_0000),
        received: NOW.to_timestamp(),
        transmitted: NOW.to_timestamp(),
        reach: 0o377,
        unreach: 0,
        host_mode: 3,
        peer_mode: 4,
        host_poll: 6,
        peer_poll: 6,
        headway: 0,
        flash: 0,
        key_id: 0,
        offset: NtpDuration::from_micros(offset_us),
        delay: NtpDuration::from_micros(1_234),
        dispersion: NtpDuration::from_micros(950),
        jitter: NtpDuration::from_micros(77),
        filter_delay: [NtpDuration::from_micros(1_234); 8],
        filter_offset: [NtpDuration::from_micros(offset_us); 8],
        filter_dispersion: [NtpDuration::from_micros(950); 8],
    }
}

/// Runs ntpq with `args` against the responder inside a fresh network
/// namespace; `None` if that is not possible here.
fn ntpq_in_netns(args: &'static [&'static str]) -> Option<String> {
    std::thread::spawn(move || {
        // SAFETY: unshare only changes this thread's namespaces.
        if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
            return None;
        }
        let up = Command::new("ip")
            .args(["link", "set", "lo", "up"])
            .status()
            .ok()?;
        if !up.success() {
            return None;
        }
        let sock = UdpSocket::bind("127.0.0.1:123").ok()?;
        sock.set_read_timeout(Some(Duration::from_millis(50)))
            .ok()?;
        let mut child = Command::new("ntpq")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .ok()?;
        let sys = system();
        let peers = [
            peer(101, [192, 0, 2, 1], PeerSelection::SystemPeer, -250),
            peer(102, [192, 0, 2, 2], PeerSelection::Candidate, 310),
            peer(103, [198, 51, 100, 3], PeerSelection::Falseticker, 90_000),
        ];
        let ctx = ControlContext {
            system: &sys,
            peers: &peers[..],
            now: NOW,
            control_key: None,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut buf = [0u8; 1024];
        let mut out = [0u8; MAX_REPLY_LEN];
        while child.try_wait().ok()?.is_none() && Instant::now() < deadline {
            let Ok((n, from)) = sock.recv_from(&mut buf) else {
                continue;
            };
            let Ok(req) = ControlRequest::parse(&buf[..n], None) else {
                continue;
            };
            let policy = ControlPolicy {
                noquery: false,
                may_amplify: true,
            };
            let Some(mut reply) = ControlReply::new(req, policy) else {
                continue;
            };
            while let Some(len) = reply.next_fragment(&ctx, &mut out) {
                let _ = sock.send_to(&out[..len], from);
            }
        }
        let _ = child.kill();
        let output = child.wait_with_output().ok()?;
        let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&output.stderr));
        Some(text)
    })
    .join()
    .ok()
    .flatten()
}

fn run(name: &str, args: &'static [&'static str]) -> Option<String> {
    if Command::new("ntpq").arg("--version").output().is_err() {
        eprintln!("SKIP {name}: ntpq not installed");
        return None;
    }
    let out = ntpq_in_netns(args);
    if out.is_none() {
        eprintln!("SKIP {name}: no private network namespace (needs root)");
    }
    out
}

#[test]
fn ntpq_rv_prints_system_variables() {
    let Some(out) = run(
        "ntpq_rv_prints_system_variables",
        &["-c", "rv", "127.0.0.1"],
    ) else {
        return;
    };
    eprintln!("{out}");
    for expected in [
        "associd=0 status=0625 leap_none, sync_ntp, 2 events, clock_sync,",
        "version=\"sundial test\"",
        "stratum=2",
        "precision=-23",
        "rootdelay=12.345",
        "rootdisp=10.146",
        "refid=192.0.2.1",
        "peer=101",
        "reftime=eeac0165.918f1514",
        "offset=-0.25,",
        "frequency=-12.345,",
        "sys_jitter=0.04,",
        "mintc=3",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
}

#[test]
fn ntpq_as_and_peers_print_associations() {
    let Some(out) = run(
        "ntpq_as_and_peers_print_associations",
        &["-n", "-c", "as", "-c", "peers", "127.0.0.1"],
    ) else {
        return;
    };
    eprintln!("{out}");
    for expected in [
        "  1   101  9614   yes   yes  none  sys.peer   reachable  1",
        "  2   102  9414   yes   yes  none candidate   reachable  1",
        "  3   103  9114   yes   yes  none falsetick   reachable  1",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
    let lines: Vec<&str> = out.lines().collect();
    let row = |addr: &str| {
        lines
            .iter()
            .find(|l| l.contains(addr))
            .copied()
            .unwrap_or("")
    };
    assert!(
        row("192.0.2.1").starts_with('*'),
        "system peer tally:\n{out}"
    );
    assert!(row("192.0.2.2").starts_with('+'), "candidate tally:\n{out}");
    assert!(
        row("198.51.100.3").starts_with('x'),
        "falseticker tally:\n{out}"
    );
    assert!(row("192.0.2.1").contains(".GPS."), "refid column:\n{out}");
    let cols: Vec<&str> = row("192.0.2.1").split_whitespace().collect();
    // remote refid st t when poll reach delay offset jitter
    assert_eq!(cols.first(), Some(&"*192.0.2.1"), "{out}");
    assert_eq!(cols.get(2..4), Some(&["1", "u"][..]), "{out}");
    assert_eq!(
        cols.get(5..),
        Some(&["64", "377", "1.2340", "-0.2500", "0.0770"][..]),
        "{out}"
    );
}

#[test]
fn ntpq_reads_a_multi_fragment_peer_listing() {
    let Some(out) = run(
        "ntpq_reads_a_multi_fragment_peer_listing",
        &["-c", "rv 101", "127.0.0.1"],
    ) else {
        return;
    };
    eprintln!("{out}");
    for expected in [
        "associd=101 status=9614 conf, reach, sel_sys.peer, 1 event, reachable,",
        "srcadr=192.0.2.1",
        "dstadr=127.0.0.1",
        "stratum=1",
        "refid=GPS",
        "filtdisp =0.95\t0.95",
        "filtoffset =-0.25\t-0.25",
        "headway=0",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
}
