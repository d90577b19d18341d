//! chronyd (4.x) as an `xleave` client of `sundial::server::Server`: it must
//! accept our replies, and after the first exchange get interleaved ones.
//!
//! The server runs on an ephemeral loopback port in this process; the time
//! comes from the system clock (read only). chronyd runs with `-Q` (query
//! only), `-x` and without CAP_SYS_TIME, so it cannot touch the clock.
//! Skipped (passes with a `SKIP` line) when chronyd is not available.

use std::net::UdpSocket;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sundial::NtpTime;
use sundial::auth::KeyTable;
use sundial::server::{MAX_SERVER_PACKET_LEN, Server, SystemVariables, stamp_transmit};
use sundial::wire::{LeapIndicator, RefId};

fn chronyd() -> Option<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(p) = std::env::var_os("SUNDIAL_CHRONYD") {
        candidates.push(PathBuf::from(p));
    }
    if let Some(h) = std::env::var_os("HOME") {
        candidates.push(PathBuf::from(h).join(".cache/sundial/peers/chrony-root/usr/sbin/chronyd"));
    }
    candidates.push(PathBuf::from("/usr/sbin/chronyd"));
    candidates.into_iter().find(|p| p.is_file())
}

fn now() -> NtpTime {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    NtpTime::from_unix(d.as_secs() as i64, d.subsec_nanos())
}

#[test]
fn chronyd_xleave_client_accepts_interleaved_replies() {
    let Some(chronyd) = chronyd() else {
        eprintln!("SKIP chronyd_xleave_client_accepts_interleaved_replies: chronyd not found");
        return;
    };
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let port = sock.local_addr().unwrap().port();
    let dir = std::env::temp_dir().join(format!("sundial-xleave-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let conf =
        format!("server 127.0.0.1 port {port} iburst xleave maxsamples 6 minpoll -2 maxpoll -2");
    let mut cmd = Command::new("setpriv");
    cmd.args(["--bounding-set", "-sys_time", "--"])
        .arg(&chronyd);
    cmd.args(["-x", "-u", "root", "-Q", "-t", "20"]);
    cmd.arg(format!("pidfile {}/chronyd.pid", dir.display()));
    cmd.arg(&conf);
    let Ok(mut child) = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn() else {
        eprintln!("SKIP chronyd_xleave_client_accepts_interleaved_replies: cannot start chronyd");
        return;
    };

    let sys = SystemVariables {
        leap: LeapIndicator::NoWarning,
        stratum: 1,
        precision: -20,
        refid: RefId::from_bytes(*b"GPS\0"),
        reference_time: Some(now()),
        ..SystemVariables::UNSYNCHRONIZED
    };
    let keys = KeyTable::<1>::new();
    let mut server = Server::<8>::new();
    let (mut basic, mut interleaved) = (0, 0);
    let mut buf = [0u8; 1024];
    let mut out = [0u8; MAX_SERVER_PACKET_LEN];
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
        let Ok((n, from)) = sock.recv_from(&mut buf) else {
            continue;
        };
        let rx = now();
        let Ok(p) = server.reply(&buf[..n], from, rx, &sys, &keys, &mut out) else {
            continue;
        };
        if p.stamp_at_send {
            basic += 1;
            stamp_transmit(&mut out[..p.len], now(), None);
        } else {
            interleaved += 1;
        }
        if sock.send_to(&out[..p.len], from).is_ok() {
            // No kernel timestamp here: the time right after send stands in.
            server.transmitted(from, p.receive, now());
        }
    }
    let _ = child.kill();
    let output = child.wait_with_output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    eprintln!("chronyd: {text}\nbasic replies {basic}, interleaved replies {interleaved}");
    assert!(basic >= 1, "no request reached us: {text}");
    assert!(
        interleaved >= 1,
        "chronyd never asked for an interleaved reply: {text}"
    );
    assert!(
        text.contains("System clock wrong by"),
        "chronyd did not accept our replies: {text}"
    );
}
