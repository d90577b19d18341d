//! Interop test support: finds and runs real NTP peers (chronyd, ntpsec's ntpd) safely on
//! loopback, finds the example binaries, and sends raw queries.
//!
//! Safety rules (see `../shared/peers/README.md`): every peer runs under
//! `setpriv --bounding-set -sys_time` (no CAP_SYS_TIME, so it cannot change the system clock),
//! chronyd also with `-x`; ports only on 127.0.0.1 / ::1; everything in a scratch directory;
//! a peer is stopped through its pid (our own child, checked against its pid file), never by
//! name, from a Drop guard (so also on panic), and it gets SIGKILL if this test process dies
//! (PR_SET_PDEATHSIG).
#![allow(dead_code)]

use std::fs;
use std::io::Read;
use std::net::{SocketAddr, UdpSocket};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The shared test keys (same as `../shared/vectors/chrony.keys`), chrony syntax.
pub const CHRONY_KEYS: &str = "1 MD5 ASCII:secret
2 SHA1 HEX:0102030405060708090A0B0C0D0E0F1011121314
3 AES128 HEX:000102030405060708090A0B0C0D0E0F
4 SHA256 HEX:000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F
";

/// The same keys in ntpd syntax (`../shared/vectors/ntp.keys`).
pub const NTP_KEYS: &str = "1 md5 secret
2 sha1 0102030405060708090a0b0c0d0e0f1011121314
3 aes-128 000102030405060708090a0b0c0d0e0f
4 sha256 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
";

/// chronyd's NTP port in these tests.
pub const CHRONY_PORT: u16 = 12300;
/// chronyd's command port in these tests.
pub const CHRONY_CMDPORT: u16 = 12323;

/// Prints a clear skip message straight to stderr (not captured by the test harness, so it
/// shows in every `cargo test` run and in CI logs).
pub fn skip(test: &str, why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIP {test}: {why}");
}

/// Held while a test uses the fixed ports (123, 12300, 12323): an in-process mutex (tests in
/// one binary) plus an exclusive `flock` on `/tmp/sundial-interop.lock` (other test binaries and
/// other checkouts on this machine running the same tests at the same time).
pub struct PortLock {
    _guard: MutexGuard<'static, ()>,
    _file: Option<fs::File>,
}

/// Takes the [`PortLock`], waiting up to 5 minutes for another process to finish (then it goes
/// ahead without the file lock, and the port checks in `start_*` make the test skip).
pub fn port_lock() -> PortLock {
    use std::os::fd::AsRawFd;
    static LOCK: Mutex<()> = Mutex::new(());
    let guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let file = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(std::env::temp_dir().join("sundial-interop.lock"))
        .ok();
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut said = false;
    let file = file.filter(|f| {
        loop {
            // SAFETY: flock on a file descriptor we own.
            if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
                break true;
            }
            if Instant::now() > deadline {
                eprintln!("interop lock still held after 5 minutes; going ahead without it");
                break false;
            }
            if !said {
                eprintln!("waiting for another interop test run (flock /tmp/sundial-interop.lock)");
                said = true;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    });
    PortLock {
        _guard: guard,
        _file: file,
    }
}

/// A program on PATH (plus /usr/sbin, /sbin, which a non-login PATH may lack).
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// Interop tests run in CI (`CI` set) or when `SUNDIAL_INTEROP=1`; elsewhere they skip, so a
/// developer's `cargo test` stays fast and does not queue behind other checkouts' daemons.
pub fn interop_enabled() -> Result<(), String> {
    let on =
        |v: &str| std::env::var_os(v).is_some_and(|x| !x.is_empty() && x != "0" && x != "false");
    if on("SUNDIAL_INTEROP") || on("CI") {
        Ok(())
    } else {
        Err("interop tests are off here: set SUNDIAL_INTEROP=1 (CI sets CI=true)".into())
    }
}

/// chronyd: `$SUNDIAL_CHRONYD`, the private unpack that `.ci/run` makes, or PATH.
pub fn chronyd_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SUNDIAL_CHRONYD") {
        let p = PathBuf::from(p);
        if p.is_file() {
            return Some(p);
        }
    }
    let cache = std::env::var_os("SUNDIAL_PEER_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/sundial/peers")));
    if let Some(c) = cache {
        let p = c.join("chrony-root/usr/sbin/chronyd");
        if p.is_file() {
            return Some(p);
        }
    }
    which("chronyd")
}

/// A built example binary, `target/<profile>/examples/<name>`: `cargo build --examples` makes
/// them (`cargo test --all-targets` builds examples only as test harnesses; `.ci/run` builds
/// the binaries first). Outside CI, rebuild them after changing the code.
pub fn example_bin(name: &str) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    // target/<profile>/deps/<test>-hash -> target/<profile>/examples/<name>
    let p = exe.parent()?.parent()?.join("examples").join(name);
    p.is_file().then_some(p)
}

/// A scratch directory (mode 0700), removed on drop unless SUNDIAL_KEEP_SCRATCH is set.
pub struct Scratch {
    /// Its path.
    pub dir: PathBuf,
}

impl Scratch {
    /// A new, empty scratch directory named after `tag`.
    pub fn new(tag: &str) -> Scratch {
        use std::os::unix::fs::PermissionsExt;
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("sundial-{tag}-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create scratch dir");
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).expect("chmod scratch dir");
        Scratch { dir }
    }

    /// Writes `name` inside the directory; returns its path.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.join(name);
        fs::write(&p, text).expect("write scratch file");
        p
    }

    /// Reads `name` inside the directory ("" if missing).
    pub fn read(&self, name: &str) -> String {
        fs::read_to_string(self.dir.join(name)).unwrap_or_default()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::env::var_os("SUNDIAL_KEEP_SCRATCH").is_none() {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// A command that cannot change the system clock: `setpriv --bounding-set -sys_time PROGRAM`,
/// killed with SIGKILL if the spawning thread dies.
pub fn no_sys_time(program: &Path) -> Option<Command> {
    let setpriv = which("setpriv")?;
    let mut c = Command::new(setpriv);
    c.arg("--bounding-set").arg("-sys_time").arg(program);
    // SAFETY: prctl is async-signal-safe; it only sets a flag on the child.
    unsafe {
        c.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    Some(c)
}

/// A running peer daemon; stopped (SIGTERM, then SIGKILL) on drop.
pub struct Daemon {
    /// "chronyd" or "ntpd".
    pub name: &'static str,
    child: Child,
    /// Its pid file, if it writes one; checked against the child's pid before signalling.
    pidfile: Option<PathBuf>,
    /// Its scratch directory (config, logs, keys, drift).
    pub scratch: Scratch,
    /// Where it serves NTP.
    pub addr: SocketAddr,
}

impl Daemon {
    /// The daemon's pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits until it answers as a synchronized server; `Err` with its logs if it exits or
    /// does not get there within `timeout`.
    pub fn wait_synced(&mut self, timeout: Duration) -> Result<Reply, String> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("{} exited ({status})\n{}", self.name, self.logs()));
            }
            if let Some(r) = wait_synced(self.addr, Duration::from_millis(500)) {
                return Ok(r);
            }
        }
        Err(format!(
            "{} not synchronized after {timeout:?}\n{}",
            self.name,
            self.logs()
        ))
    }

    /// Its captured stdout+stderr and log files, for failure messages.
    pub fn logs(&self) -> String {
        let mut s = String::new();
        for name in ["out.log", "ntpd.log", "chronyd.log", "measurements.log"] {
            let t = self.scratch.read(name);
            if !t.is_empty() {
                s.push_str(&format!("--- {name}\n{t}"));
            }
        }
        s
    }

    /// Stops the daemon now.
    pub fn stop(&mut self) {
        let pid = self.child.id();
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        if let Some(pf) = &self.pidfile {
            if let Ok(text) = fs::read_to_string(pf) {
                let filed: Option<u32> = text.trim().parse().ok();
                if filed.is_some() && filed != Some(pid) {
                    eprintln!(
                        "{}: pid file says {filed:?}, child is {pid}; stopping the child",
                        self.name
                    );
                }
            }
        }
        // SAFETY: kill(2) on our own child's pid (not yet reaped, so not reused).
        unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.stop();
    }
}

fn spawn(
    name: &'static str,
    mut cmd: Command,
    scratch: Scratch,
    pidfile: Option<PathBuf>,
    addr: SocketAddr,
) -> Daemon {
    let out = fs::File::create(scratch.dir.join("out.log")).expect("out.log");
    let err = out.try_clone().expect("dup out.log");
    cmd.stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .current_dir(&scratch.dir);
    let child = cmd.spawn().unwrap_or_else(|e| panic!("spawn {name}: {e}"));
    Daemon {
        name,
        child,
        pidfile,
        scratch,
        addr,
    }
}

/// Starts chronyd as a loopback server on 127.0.0.1:12300 and [::1]:12300 with a local
/// stratum-1 reference; `extra` lines are appended to its config. `Err` says why it was skipped.
pub fn start_chronyd(extra: &str) -> Result<Daemon, String> {
    interop_enabled()?;
    let chronyd = chronyd_path().ok_or("chronyd not found (run .ci/run or set SUNDIAL_CHRONYD)")?;
    if UdpSocket::bind(("127.0.0.1", CHRONY_PORT)).is_err() {
        return Err(format!("port 127.0.0.1:{CHRONY_PORT} is busy"));
    }
    let scratch = Scratch::new("chronyd");
    let d = scratch.dir.display().to_string();
    scratch.write("chrony.keys", CHRONY_KEYS);
    let conf = format!(
        "port {CHRONY_PORT}\nbindaddress 127.0.0.1\nbindaddress ::1\ncmdport {CHRONY_CMDPORT}\n\
         bindcmdaddress 127.0.0.1\nbindcmdaddress {d}/chronyd.sock\ncmdallow 127.0.0.1\n\
         local stratum 1\nallow 127.0.0.1\nallow ::1\nkeyfile {d}/chrony.keys\n\
         driftfile {d}/drift\npidfile {d}/chronyd.pid\nlogdir {d}\n{extra}\n"
    );
    let conf_path = scratch.write("chrony.conf", &conf);
    let mut cmd = no_sys_time(&chronyd).ok_or("setpriv not found")?;
    // -x: never touch the clock; -u root: the private unpack has no _chrony user; -d: foreground.
    cmd.arg("-x")
        .arg("-u")
        .arg("root")
        .arg("-d")
        .arg("-f")
        .arg(&conf_path);
    let pidfile = Some(scratch.dir.join("chronyd.pid"));
    let addr: SocketAddr = ([127, 0, 0, 1], CHRONY_PORT).into();
    let daemon = spawn("chronyd", cmd, scratch, pidfile, addr);
    Ok(daemon)
}

/// Starts ntpsec's ntpd as a loopback server on 127.0.0.1:123 and [::1]:123 with the local clock
/// driver; `extra` lines are appended to its config. `Err` says why it was skipped.
pub fn start_ntpd(extra: &str) -> Result<Daemon, String> {
    interop_enabled()?;
    let ntpd = which("ntpd").ok_or("ntpd (ntpsec) not installed (run .ci/run)")?;
    if UdpSocket::bind("127.0.0.1:123").is_err() {
        return Err("port 127.0.0.1:123 is busy or not bindable".into());
    }
    let scratch = Scratch::new("ntpd");
    let d = scratch.dir.display().to_string();
    scratch.write("ntp.keys", NTP_KEYS);
    let conf = format!(
        "logfile {d}/ntpd.log\nstatsdir {d}/\ninterface ignore all\ninterface listen 127.0.0.1\n\
         interface listen ::1\ndisable kernel\nrefclock local stratum 10 minpoll 3 maxpoll 3\n\
         tos orphanwait 1\nkeys {d}/ntp.keys\ntrustedkey 1 2 3 4\ncontrolkey 1\n\
         restrict default ignore\nrestrict 127.0.0.1\nrestrict ::1\ndriftfile {d}/ntp.drift\n{extra}\n"
    );
    let conf_path = scratch.write("ntp.conf", &conf);
    let mut cmd = no_sys_time(&ntpd).ok_or("setpriv not found")?;
    cmd.arg("-n").arg("-c").arg(&conf_path);
    let addr: SocketAddr = ([127, 0, 0, 1], 123).into();
    Ok(spawn("ntpd", cmd, scratch, None, addr))
}

/// Starts our `ntpd` example with a virtual clock (it cannot touch the system clock: it also runs
/// without CAP_SYS_TIME) and `config` as its ntp.conf; `addr` is where it serves.
pub fn start_ours(config: &str, args: &[&str], addr: SocketAddr) -> Result<Daemon, String> {
    interop_enabled()?;
    let bin = example_bin("ntpd").ok_or("examples not built (cargo build --examples)")?;
    if UdpSocket::bind(addr).is_err() {
        return Err(format!("port {addr} is busy"));
    }
    let scratch = Scratch::new("ours");
    let conf = scratch.write("ntp.conf", config);
    let mut cmd = no_sys_time(&bin).ok_or("setpriv not found")?;
    cmd.arg("-c")
        .arg(&conf)
        .arg("--virtual-clock")
        .arg("--status-interval")
        .arg("1")
        .args(args);
    Ok(spawn("ours", cmd, scratch, None, addr))
}

/// The last `status:` line of our daemon, as (stratum, true offset s).
pub fn our_status(d: &Daemon) -> Option<(u8, f64)> {
    let out = d.scratch.read("out.log");
    let line = out.lines().rev().find(|l| l.starts_with("status:"))?;
    let words: Vec<&str> = line.split_whitespace().collect();
    let after = |key: &str| {
        words
            .iter()
            .position(|w| *w == key)
            .and_then(|i| words.get(i + 1))
    };
    Some((
        after("stratum")?.parse().ok()?,
        after("true_offset")?.parse().ok()?,
    ))
}

/// Waits until our daemon reports `stratum` with |true offset| < `max_offset` s.
pub fn wait_ours(
    d: &mut Daemon,
    stratum: u8,
    max_offset: f64,
    timeout: Duration,
) -> Result<f64, String> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = d.child.try_wait() {
            return Err(format!("our ntpd exited ({status})\n{}", d.logs()));
        }
        if let Some((st, off)) = our_status(d) {
            if st == stratum && off.abs() < max_offset {
                return Ok(off);
            }
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    Err(format!(
        "our ntpd did not reach stratum {stratum} within {max_offset} s in {timeout:?}; last {:?}\n{}",
        our_status(d),
        d.logs()
    ))
}

/// What a server said to a plain mode 3 query.
#[derive(Clone, Copy, Debug)]
pub struct Reply {
    /// Leap indicator (3 = unsynchronized).
    pub leap: u8,
    /// Version.
    pub version: u8,
    /// Mode (4 = server).
    pub mode: u8,
    /// Stratum.
    pub stratum: u8,
    /// Reference id as 4 bytes.
    pub refid: [u8; 4],
}

/// Sends one 48-byte NTPv4 client request to `to` and waits up to `timeout` for a reply whose
/// origin matches.
pub fn query(to: SocketAddr, timeout: Duration) -> Option<Reply> {
    let local: SocketAddr = if to.is_ipv4() {
        "127.0.0.1:0".parse().ok()?
    } else {
        "[::1]:0".parse().ok()?
    };
    let s = UdpSocket::bind(local).ok()?;
    s.set_read_timeout(Some(timeout)).ok()?;
    let mut req = [0u8; 48];
    req[0] = 0x23;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let cookie = (u64::from(std::process::id()) << 32) | u64::from(nanos) | 1;
    req[40..48].copy_from_slice(&cookie.to_be_bytes());
    s.send_to(&req, to).ok()?;
    let deadline = Instant::now() + timeout;
    let mut buf = [0u8; 1024];
    while Instant::now() < deadline {
        let (n, _) = s.recv_from(&mut buf).ok()?;
        if n >= 48 && buf[24..32] == req[40..48] {
            return Some(Reply {
                leap: buf[0] >> 6,
                version: (buf[0] >> 3) & 7,
                mode: buf[0] & 7,
                stratum: buf[1],
                refid: [buf[12], buf[13], buf[14], buf[15]],
            });
        }
    }
    None
}

/// Waits until `to` answers as a synchronized server (LI != 3, stratum 1..=15).
pub fn wait_synced(to: SocketAddr, timeout: Duration) -> Option<Reply> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Some(r) = query(to, Duration::from_millis(500)) {
            if r.leap != 3 && (1..16).contains(&r.stratum) {
                return Some(r);
            }
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    None
}

/// Runs a command to completion with a time limit; returns (exit ok, stdout+stderr).
pub fn run(mut cmd: Command, limit: Duration) -> (bool, String) {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: prctl only sets a flag on the child.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return (false, format!("spawn failed: {e}")),
    };
    let deadline = Instant::now() + limit;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    let mut out = String::new();
    if let Some(mut o) = child.stdout.take() {
        let _ = o.read_to_string(&mut out);
    }
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut out);
    }
    if status.is_none() {
        out.push_str(&format!("\n(killed after {limit:?})"));
    }
    (status.is_some_and(|s| s.success()), out)
}
