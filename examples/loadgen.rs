//! NTP server load generator, loopback only.
//!
//! Sends `--requests N` client requests (mode 3, 48 bytes) from `--sockets K` UDP sockets in
//! batches of `--batch B` (`sendmmsg`), at `--rate R` requests/s (0 = as fast as it can), for at
//! most `--duration S` seconds, and counts valid replies (mode 4 whose origin timestamp is one of
//! our transmit cookies, each counted once) with `recvmmsg`. Reports replies/s and loss; with
//! `--server-pid PID` also the server's CPU time per request and its resident memory. At most
//! `--window W` (192) requests are in flight (unanswered for less than 10 ms), so the generator
//! does not overflow the server's socket buffer and measure its own drops.
//!
//! ```text
//! cargo run --release --example loadgen -- --target 127.0.0.1:123 --requests 2000000 --rate 0
//! ```
//! Targets other than loopback addresses (127.0.0.0/8, ::1) are refused.

mod host;

use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use host::args::{Args, die};
use host::net::{Batch, NtpSocket, wait_readable};

const USAGE: &str = "usage: loadgen [--target ADDR:PORT] [--requests N] [--sockets K] [--batch B] \
[--rate REQ_PER_S] [--duration S] [--window MAX_IN_FLIGHT] [--server-pid PID] [--json]";

/// Maps a request number to its transmit cookie and back (a bijection on u64).
const MUL: u64 = 0x9E37_79B9_7F4A_7C15;
const MUL_INV: u64 = 0xF1DE_83E1_9937_733D;

fn cookie(seq: u64, salt: u64) -> u64 {
    seq.wrapping_mul(MUL) ^ salt
}

fn uncookie(c: u64, salt: u64) -> u64 {
    (c ^ salt).wrapping_mul(MUL_INV)
}

/// (user + system CPU seconds, RSS kB) of a process from /proc.
fn proc_usage(pid: u32) -> Option<(f64, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    Some((ticks as f64 / hz, rss))
}

fn self_cpu() -> f64 {
    // SAFETY: getrusage writes into the zeroed struct we pass.
    unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut ru);
        let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
        t(ru.ru_utime) + t(ru.ru_stime)
    }
}

struct Opts {
    target: SocketAddr,
    requests: u64,
    sockets: usize,
    batch: usize,
    rate: u64,
    duration: f64,
    server_pid: Option<u32>,
    json: bool,
    window: u64,
}

fn parse() -> Opts {
    let mut o = Opts {
        target: "127.0.0.1:123"
            .parse()
            .unwrap_or_else(|_| die("default target")),
        requests: 1_000_000,
        sockets: 4,
        batch: 32,
        rate: 0,
        duration: 10.0,
        server_pid: None,
        json: false,
        window: 192,
    };
    let mut a = Args::from_env();
    while let Some(arg) = a.next_arg() {
        match arg.as_str() {
            "--target" => o.target = a.value(&arg),
            "--requests" | "-n" => o.requests = a.value(&arg),
            "--sockets" | "-k" => o.sockets = a.value(&arg),
            "--batch" => o.batch = a.value(&arg),
            "--rate" => o.rate = a.value(&arg),
            "--duration" => o.duration = a.value(&arg),
            "--server-pid" => o.server_pid = Some(a.value(&arg)),
            "--json" => o.json = true,
            "--window" => o.window = a.value(&arg),
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            _ => die(&format!("unknown argument {arg}\n{USAGE}")),
        }
    }
    if !o.target.ip().is_loopback() {
        die(&format!(
            "refusing target {}: loopback addresses only",
            o.target
        ));
    }
    o.sockets = o.sockets.clamp(1, 64);
    o.batch = o.batch.clamp(1, 1024);
    o.requests = o.requests.min(100_000_000);
    o.duration = o.duration.clamp(0.1, 600.0);
    o
}

fn main() {
    let o = parse();
    let local: SocketAddr = if o.target.is_ipv4() {
        "127.0.0.1:0".parse().unwrap_or_else(|_| die("addr"))
    } else {
        "[::1]:0".parse().unwrap_or_else(|_| die("addr"))
    };
    let socks: Vec<NtpSocket> = (0..o.sockets)
        .map(|_| {
            let s = NtpSocket::bind(local).unwrap_or_else(|e| die(&format!("bind {local}: {e}")));
            // Room for replies while the generator is not scheduled (its drops would count
            // against the server).
            let _ = s.set_receive_buffer(1 << 20);
            s
        })
        .collect();
    let fds: Vec<i32> = socks.iter().map(|s| s.as_raw_fd()).collect();
    let salt = host::clock::system_now().to_timestamp().to_bits() ^ u64::from(std::process::id());
    let mut seen = vec![0u64; (o.requests as usize).div_ceil(64)];

    let mut tx = Batch::new(o.batch);
    for s in tx.slots.iter_mut() {
        s.buf[..48].fill(0);
        s.buf[0] = 0x23; // LI 0, VN 4, mode 3
        s.len = 48;
        s.peer = Some(o.target);
    }
    let mut rx = Batch::new(o.batch.max(64));

    let usage0 = o.server_pid.and_then(proc_usage);
    let cpu0 = self_cpu();
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(o.duration);
    let (mut sent, mut valid, mut invalid, mut dups, mut send_short) =
        (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut next_sock = 0usize;
    let mut last_progress = start;
    let mut last_rx = start;
    let mut written_off = 0u64;
    loop {
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        // Send: as many as the rate allows, one batch per socket in turn.
        let allowed = if o.rate == 0 {
            o.requests
        } else {
            ((now - start).as_secs_f64() * o.rate as f64) as u64
        }
        .min(o.requests);
        // Keep at most a few batches per socket in flight so the receive side keeps up.
        // Requests unanswered for 10 ms are written off so a lossy server cannot stall us.
        let in_flight_cap = o.window;
        let outstanding = sent.saturating_sub(valid + written_off);
        if outstanding > 0 && last_rx.elapsed() > Duration::from_millis(10) {
            written_off += outstanding;
            last_rx = Instant::now();
        }
        let mut progressed = false;
        if sent < allowed && sent.saturating_sub(valid + written_off) < in_flight_cap {
            let n = ((allowed - sent) as usize).min(o.batch);
            for (i, s) in tx.slots.iter_mut().take(n).enumerate() {
                let c = cookie(sent + i as u64, salt);
                s.buf[40..48].copy_from_slice(&c.to_be_bytes());
            }
            let sock = &socks[next_sock];
            next_sock = (next_sock + 1) % socks.len();
            match sock.send_batch(&mut tx, n) {
                Ok(k) => {
                    if k < n {
                        send_short += 1;
                    }
                    sent += k as u64;
                    progressed |= k > 0;
                }
                Err(e) => die(&format!("send: {e}")),
            }
        }
        // Receive whatever is there on every socket.
        for sock in &socks {
            loop {
                let n = sock
                    .recv_batch(&mut rx)
                    .unwrap_or_else(|e| die(&format!("recv: {e}")));
                if n == 0 {
                    break;
                }
                progressed = true;
                last_rx = Instant::now();
                for s in rx.slots.iter().take(n) {
                    let b = &s.buf[..s.len];
                    let ok = b.len() >= 48 && b[0] & 7 == 4;
                    let seq = if ok {
                        let mut o8 = [0u8; 8];
                        o8.copy_from_slice(&b[24..32]);
                        uncookie(u64::from_be_bytes(o8), salt)
                    } else {
                        u64::MAX
                    };
                    if seq < sent {
                        let (w, bit) = ((seq / 64) as usize, seq % 64);
                        if seen[w] & (1 << bit) != 0 {
                            dups += 1;
                        } else {
                            seen[w] |= 1 << bit;
                            valid += 1;
                        }
                    } else {
                        invalid += 1;
                    }
                }
                if n < rx.capacity() {
                    break;
                }
            }
        }
        if progressed {
            last_progress = Instant::now();
        }
        if sent >= o.requests
            && (valid >= sent || last_progress.elapsed() > Duration::from_millis(500))
        {
            break;
        }
        if !progressed {
            // Nothing to do right now: wait briefly for replies (or the next send slot).
            let wait = if sent < allowed {
                Duration::from_micros(200)
            } else {
                Duration::from_millis(1)
            };
            let _ = wait_readable(&fds, Some(wait));
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let cpu = self_cpu() - cpu0;
    let usage1 = o.server_pid.and_then(proc_usage);
    let loss = if sent > 0 {
        100.0 * (sent - valid.min(sent)) as f64 / sent as f64
    } else {
        0.0
    };
    let rps = valid as f64 / elapsed;
    let server = match (usage0, usage1) {
        (Some((c0, _)), Some((c1, rss))) => Some((c1 - c0, rss)),
        _ => None,
    };
    if o.json {
        let (scpu, rss) = server.unwrap_or((-1.0, 0));
        println!(
            "{{\"target\":\"{}\",\"sockets\":{},\"batch\":{},\"rate\":{},\"sent\":{sent},\"replies\":{valid},\
\"invalid\":{invalid},\"duplicates\":{dups},\"loss_percent\":{loss:.3},\"seconds\":{elapsed:.3},\
\"replies_per_second\":{rps:.0},\"generator_cpu_seconds\":{cpu:.3},\"server_cpu_seconds\":{scpu:.3},\
\"server_cpu_us_per_request\":{:.3},\"server_rss_kb\":{rss}}}",
            o.target,
            o.sockets,
            o.batch,
            o.rate,
            if valid > 0 && scpu >= 0.0 {
                scpu * 1e6 / valid as f64
            } else {
                -1.0
            },
        );
    } else {
        println!(
            "target {}  sockets {}  batch {}  rate {}",
            o.target,
            o.sockets,
            o.batch,
            if o.rate == 0 {
                "max".to_string()
            } else {
                format!("{}/s", o.rate)
            }
        );
        println!(
            "sent {sent}  replies {valid}  invalid {invalid}  duplicates {dups}  loss {loss:.2}%  \
             in {elapsed:.3} s  => {rps:.0} replies/s  (generator CPU {cpu:.2} s, short sends {send_short})"
        );
        if let Some((scpu, rss)) = server {
            let per = if valid > 0 {
                scpu * 1e6 / valid as f64
            } else {
                0.0
            };
            println!("server: CPU {scpu:.2} s = {per:.2} us/request, RSS {rss} kB");
        }
    }
}
