//! Reference clocks in the daemon without hardware: the test opens two pseudo-terminals and two
//! FIFOs, points our `ntpd` example at them (`device ... timedata/ppsdata` and ntpsec's
//! `refclock ... path`), and plays a GPS receiver (NMEA RMC/GGA/ZDA at 4800 8N1), a Meinberg
//! DCF77 receiver (standard time string, mode 2, 9600 7E2) and PPS (edge timestamps on the
//! FIFOs: a type 22 clock, and the PPS attached to the NMEA clock with `flag1`) at 1 Hz from
//! the system clock. The daemon runs a virtual clock that starts 300 ms off: it must step onto
//! the receivers' time, serve stratum 1, and our `ntpq -p` must list the clocks with their
//! refids (GPS, PPS, DCFa). Takes 15–25 s (the core needs one or two 8 s polls after its step).
//!
//! Runs where the interop tests run (`CI` or `SUNDIAL_INTEROP=1`, after `cargo build
//! --examples`): it starts the example binaries, which a plain `cargo test` does not rebuild.
//! No root, no device, no network beyond loopback; the system clock is never touched (the
//! daemon also runs without CAP_SYS_TIME).

mod support;

use std::fs::File;
use std::io::Write;
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::FromRawFd;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sundial::refclock::calendar::{Date, TimeOfDay};
use sundial::refclock::emit::{meinberg_string, nmea_sentence};
use sundial::refclock::meinberg::{MeinbergStatus, MeinbergTime, STRING_LEN, Zone};
use sundial::refclock::nmea::SentenceKind;
use support::{run, skip};

/// The master side of a pseudo-terminal (what a receiver would drive) and the slave's path
/// (what the daemon opens). The slave is also held open here, in raw mode, so the line never
/// hangs up or echoes while the daemon (re)opens it.
struct Pty {
    master: File,
    _slave: File,
    path: String,
}

fn pty() -> Pty {
    // SAFETY: plain libc calls on a descriptor we own; buffers are live and sized.
    unsafe {
        let m = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
        assert!(m >= 0, "posix_openpt: {}", std::io::Error::last_os_error());
        assert_eq!(libc::grantpt(m), 0);
        assert_eq!(libc::unlockpt(m), 0);
        let mut name = [0 as libc::c_char; 128];
        assert_eq!(libc::ptsname_r(m, name.as_mut_ptr(), name.len()), 0);
        let path = std::ffi::CStr::from_ptr(name.as_ptr())
            .to_string_lossy()
            .into_owned();
        let s = libc::open(
            name.as_ptr(),
            libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC,
        );
        assert!(s >= 0, "open {path}: {}", std::io::Error::last_os_error());
        let mut t: libc::termios = std::mem::zeroed();
        assert_eq!(libc::tcgetattr(s, &mut t), 0);
        libc::cfmakeraw(&mut t);
        assert_eq!(libc::tcsetattr(s, libc::TCSANOW, &t), 0);
        // A full buffer (daemon not reading) must not stall the feeder.
        libc::fcntl(m, libc::F_SETFL, libc::O_NONBLOCK);
        Pty {
            master: File::from_raw_fd(m),
            _slave: File::from_raw_fd(s),
            path,
        }
    }
}

/// Sleeps until `secs` + `offset` on the system clock.
fn sleep_until(secs: u64, offset: Duration) {
    let target = Duration::from_secs(secs) + offset;
    if let Ok(now) = SystemTime::now().duration_since(UNIX_EPOCH) {
        if let Some(d) = target.checked_sub(now) {
            thread::sleep(d);
        }
    }
}

/// UTC date and time of Unix second `secs`.
fn utc(secs: u64) -> (Date, TimeOfDay) {
    const UNIX_DAYS: i64 = 25_567; // 1900-01-01 .. 1970-01-01
    let days = (secs / 86_400) as i64 + UNIX_DAYS;
    let s = secs % 86_400;
    let date = Date::from_days_since_ntp_epoch(days).expect("date");
    let time =
        TimeOfDay::new((s / 3600) as u8, (s / 60 % 60) as u8, (s % 60) as u8, 0).expect("time");
    (date, time)
}

/// Plays the receivers until `stop`: at each second boundary an edge on the FIFO and one
/// NMEA sentence (RMC, GGA, ZDA in turn, written at once as a fast line delivers it); the
/// Meinberg string leaves at the second change at 9600 7E2, so its last byte arrives 32
/// character times later.
fn feed(gps: Pty, dcf: Pty, mut pps: Vec<File>, stop: Arc<AtomicBool>) {
    let (mut gps_out, mut dcf_out) = (gps.master, dcf.master);
    let meinberg_char = Duration::from_nanos(11 * 1_000_000_000 / 9600);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970");
    let mut second = now.as_secs() + 1;
    let kinds = [SentenceKind::Rmc, SentenceKind::Gga, SentenceKind::Zda];
    while !stop.load(Ordering::Relaxed) {
        sleep_until(second, Duration::ZERO);
        for f in &mut pps {
            let _ = writeln!(f, "{second}.000000000");
        }
        let (date, time) = utc(second);
        let mut buf = [0u8; 96];
        let kind = kinds[(second % 3) as usize];
        if let Ok(n) = nmea_sentence(kind, *b"GP", date, time, 2, &mut buf) {
            let _ = gps_out.write_all(&buf[..n]);
        }
        let t = MeinbergTime {
            local_date: date,
            local_time: time,
            weekday: date.iso_weekday(),
            zone: Zone::Utc,
            status: MeinbergStatus {
                not_synchronized: false,
                free_running: false,
                dst_announcement: false,
                leap_announcement: false,
            },
        };
        let mut s = [0u8; STRING_LEN];
        if meinberg_string(&t, &mut s).is_ok() {
            sleep_until(second, meinberg_char * 32);
            let _ = dcf_out.write_all(&s);
        }
        second += 1;
    }
    drop(gps._slave);
    drop(dcf._slave);
}

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

#[test]
fn daemon_reaches_stratum_1_from_pty_gps_meinberg_and_pps() {
    const NAME: &str = "daemon_reaches_stratum_1_from_pty_gps_meinberg_and_pps";
    if let Err(why) = support::interop_enabled() {
        return skip(NAME, &why);
    }
    let (Some(ntpd), Some(ntpq)) = (support::example_bin("ntpd"), support::example_bin("ntpq"))
    else {
        return skip(NAME, "examples not built (cargo build --examples)");
    };
    let gps = pty();
    let dcf = pty();
    // Two PPS FIFOs: one for the type 22 clock, one attached to the NMEA clock (flag1).
    let fifo_dir = support::Scratch::new("refclock-fifo");
    let fifo = fifo_dir.dir.join("pps0");
    let gps_fifo = fifo_dir.dir.join("gpspps0");
    let pps: Vec<File> = [&fifo, &gps_fifo]
        .iter()
        .map(|path| {
            let c = std::ffi::CString::new(path.to_str().expect("utf-8 path")).expect("no NUL");
            // SAFETY: c is a NUL-terminated path.
            assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
            // Read-write, so opening does not wait for the daemon to open the other end.
            std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(path)
                .expect("open fifo")
        })
        .collect();
    let port = free_udp_port();
    let config = format!(
        "# NMEA GPS on a pty (ntpd 4.2.8 `device`), PPS from a FIFO, Meinberg DCF77 (ntpsec syntax)\n\
         server 127.127.20.0 mode 0 minpoll 3 maxpoll 3 iburst prefer\n\
         fudge 127.127.20.0 flag1 1\n\
         device 127.127.20.0 timedata {gps} ppsdata {gps_pps}\n\
         server 127.127.22.0 minpoll 3 maxpoll 3 iburst\n\
         device 127.127.22.0 ppsdata {pps}\n\
         fudge 127.127.22.0 flag3 1\n\
         refclock generic unit 1 mode 2 path {dcf} minpoll 3 maxpoll 3 iburst\n\
         # No such receiver: the ntpd default names are tried (and retried), nothing else breaks\n\
         server 127.127.20.3 mode 16 noselect\n\
         fudge 127.127.20.3 flag1 1\n\
         statsdir {stats}/\n\
         statistics loopstats peerstats\n",
        stats = fifo_dir.dir.display(),
        gps = gps.path,
        dcf = dcf.path,
        pps = fifo.display(),
        gps_pps = gps_fifo.display(),
    );
    // --check-config says which devices each clock will open, at which line settings.
    let conf_file = fifo_dir.write("check.conf", &config);
    let mut check = Command::new(&ntpd);
    check.arg("--check-config").arg(&conf_file);
    let (ok, plan) = run(check, Duration::from_secs(10));
    assert!(ok, "--check-config: {plan}");
    for expected in [
        format!(
            "# refclock 127.127.20.0: time code from {} at 4800 8N1; PPS (Assert edge) from {}",
            gps.path,
            gps_fifo.display()
        ),
        format!(
            "# refclock 127.127.22.0: PPS (Assert edge) from {}",
            fifo.display()
        ),
        format!(
            "# refclock 127.127.8.1: time code from {} at 9600 7E2",
            dcf.path
        ),
        "# refclock 127.127.20.3: time code from /dev/gps3 at 9600 8N1; PPS (Assert edge) from \
         /dev/gpspps3, else /dev/gps3"
            .to_string(),
    ] {
        assert!(
            plan.lines().any(|l| l == expected),
            "{expected:?} not in\n{plan}"
        );
    }
    let stop = Arc::new(AtomicBool::new(false));
    let feeder = {
        let stop = stop.clone();
        thread::spawn(move || feed(gps, dcf, pps, stop))
    };
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let port_arg = port.to_string();
    let args = [
        "--port",
        &port_arg,
        "--listen",
        "127.0.0.1",
        "--virtual-offset",
        "0.3",
    ];
    let started = Instant::now();
    let mut ours = match support::start_ours(&config, &args, addr) {
        Ok(d) => d,
        Err(why) => {
            stop.store(true, Ordering::Relaxed);
            let _ = feeder.join();
            return skip(NAME, &why);
        }
    };
    let result = (|| -> Result<(), String> {
        // Typically: reachable after 2 s, stepped after ~9 s, stratum 1 again one or two
        // polls (8 s) after the step.
        let reply = ours.wait_synced(Duration::from_secs(25))?;
        // Then until the PPS is reachable too and a status line says stratum 1 (they come once
        // a second), at most 28 s from the start.
        let peers = || {
            let mut q = Command::new(&ntpq);
            q.args(["-p", "--port", &port_arg, "127.0.0.1"]);
            run(q, Duration::from_secs(5))
        };
        let row = |table: &str, addr: &str| -> Option<String> {
            table
                .lines()
                .find(|l| l.get(1..).is_some_and(|r| r.starts_with(addr)))
                .map(str::to_string)
        };
        let reach = |line: &str| line.split_whitespace().rev().nth(3).map(str::to_string);
        let (ok, table) = loop {
            let (ok, table) = peers();
            let pps_reached = row(&table, "PPS(0)")
                .and_then(|l| reach(&l))
                .is_some_and(|r| r != "0");
            let synced = support::our_status(&ours).is_some_and(|(s, _)| s == 1);
            if (ok && pps_reached && synced) || started.elapsed() > Duration::from_secs(28) {
                break (ok, table);
            }
            thread::sleep(Duration::from_millis(500));
        };
        let logs = ours.logs();
        let (stratum, true_offset) = support::our_status(&ours).unwrap_or((16, 1.0));
        eprintln!("after {:?}:\n{table}\n{logs}", started.elapsed());
        assert_eq!(reply.stratum, 1, "served stratum\n{logs}");
        assert!(
            [*b"GPS\0", *b"PPS\0", *b"DCFa"].contains(&reply.refid),
            "refid {:?}",
            reply.refid
        );
        assert!(ok, "ntpq -p failed: {table}");
        // Listed by driver name as ntpd's ntpq does (127.127.20.0 is GPS_NMEA(0)).
        for (addr, refid) in [
            ("GPS_NMEA(0)", ".GPS."),
            ("PPS(0)", ".PPS."),
            ("GENERIC(1)", ".DCFa."),
        ] {
            let line = row(&table, addr)
                .unwrap_or_else(|| panic!("{addr} missing from ntpq -p:\n{table}"));
            assert!(line.contains(refid), "{addr} without {refid}: {line}");
            assert!(
                line.contains(" 0 l "),
                "{addr} not stratum 0 type l: {line}"
            );
            assert_ne!(
                reach(&line).as_deref(),
                Some("0"),
                "{addr} never reached: {line}"
            );
        }
        assert!(
            table
                .lines()
                .any(|l| l.starts_with('*') || l.starts_with('o')),
            "no system peer among the clocks:\n{table}"
        );
        // The virtual clock started 300 ms off; the receivers put it right (to within the
        // feeder's write latency at the step: well under 1 ms on an idle machine), and the PPS
        // sees what is left (ntpq shows ms).
        assert_eq!(stratum, 1, "status stratum\n{logs}");
        assert!(
            true_offset.abs() < 0.01,
            "true offset {true_offset} s after sync\n{logs}"
        );
        let pps_ms: f64 = row(&table, "PPS(0)")
            .and_then(|l| l.split_whitespace().rev().nth(1)?.parse().ok())
            .unwrap_or(f64::NAN);
        assert!(pps_ms.abs() < 10.0, "PPS offset {pps_ms} ms\n{table}");
        for opened in [
            "refclock 127.127.20.0: time code from",
            "refclock 127.127.20.0: PPS from",
            "refclock 127.127.22.0: PPS from",
            "refclock 127.127.8.1: time code from",
            "timestamp stream",
            "refclock 127.127.20.0: first bytes from",
            "refclock 127.127.8.1: first bytes from",
            "refclock 127.127.22.0: first PPS edge at",
            "refclock 127.127.20.3: /dev/gps3: No such file",
            "refclock 127.127.20.3: PPS: /dev/gpspps3: No such file",
            // flag3 asks for the kernel's hardpps: not with the virtual clock, and it says so.
            "refclock 127.127.22.0: fudge flag3 (hardpps) not available: the virtual clock has no \
             kernel PPS discipline; the PPS disciplines the clock in user space",
        ] {
            assert!(logs.contains(opened), "log lacks {opened:?}\n{logs}");
        }
        // Statistics as ntpd writes them: a loopstats line per clock update (the
        // system peer's new sample; never the same offset twice in a row, as when
        // every reselection wrote one), peerstats lines for the clocks too.
        let read =
            |name: &str| std::fs::read_to_string(fifo_dir.dir.join(name)).unwrap_or_default();
        let loopstats = read("loopstats");
        let offsets: Vec<&str> = loopstats
            .lines()
            .filter_map(|l| l.split_whitespace().nth(2))
            .collect();
        assert!(offsets.len() >= 2, "loopstats:\n{loopstats}");
        assert!(
            offsets.windows(2).all(|w| w[0] != w[1]),
            "loopstats repeats an offset:\n{loopstats}"
        );
        assert!(
            loopstats
                .lines()
                .filter_map(|l| l.split_whitespace().nth(5)?.parse::<f64>().ok())
                .any(|wander| wander > 0.0),
            "wander column all 0:\n{loopstats}"
        );
        let peerstats = read("peerstats");
        for clock in ["127.127.20.0", "127.127.22.0"] {
            assert!(
                peerstats
                    .lines()
                    .any(|l| l.split_whitespace().nth(2) == Some(clock)),
                "peerstats without {clock}:\n{peerstats}"
            );
        }
        Ok(())
    })();
    stop.store(true, Ordering::Relaxed);
    let _ = feeder.join();
    if let Err(e) = result {
        panic!("{e}");
    }
}
