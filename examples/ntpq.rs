//! A mode 6 (control) client in the manner of `ntpq`: peers table, associations, read
//! variables, loop and kernel information. Works against ntpsec's ntpd and our daemon.
//!
//! ```text
//! cargo run --example ntpq -- [-p] [-c COMMAND]... [--port N] [-t TIMEOUT_S] [HOST]
//! ```
//! Commands (`-c`): `peers` (same as `-p`), `as` / `associations`, `rv [ASSOC] [VAR,VAR...]`
//! (`readvar`), `loopinfo`, `kerninfo`. HOST defaults to 127.0.0.1; the port to 123.

mod host;

use std::net::{IpAddr, SocketAddr};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use host::args::{Args, die};
use host::net::{NtpSocket, wait_readable};
use sundial::control::client::{
    self, Assembly, ResponseAssembler, ResponseError, Variable, Variables,
};
use sundial::time::{NtpTime, NtpTimestamp};
use sundial::wire::{ControlRepr, LeapIndicator, Opcode};

const USAGE: &str = "usage: ntpq [-p] [-c COMMAND]... [--port N] [-t TIMEOUT_S] [HOST]";

/// Room for one reassembled response, bytes (fragment offsets are 16-bit).
const RESPONSE_BUFFER: usize = 1 << 16;

/// A mode 6 conversation with one server.
struct Session {
    sock: NtpSocket,
    to: SocketAddr,
    sequence: u16,
    timeout: Duration,
}

/// What a request got back: the reassembled data and the status word of the response.
struct Response {
    status: u16,
    data: Vec<u8>,
}

impl Session {
    fn new(to: SocketAddr, timeout: Duration) -> Result<Session, String> {
        let local: SocketAddr = if to.is_ipv4() {
            ([0, 0, 0, 0], 0).into()
        } else {
            (IpAddr::from([0u16; 8]), 0).into()
        };
        let sock = NtpSocket::bind(local).map_err(|e| format!("bind: {e}"))?;
        let seed = host::clock::system_now().fraction() as u16;
        Ok(Session {
            sock,
            to,
            sequence: seed | 1,
            timeout,
        })
    }

    /// Sends one request and collects every fragment of its response
    /// (reassembly: `sundial::control::client`).
    fn request(
        &mut self,
        opcode: Opcode,
        association: u16,
        data: &[u8],
    ) -> Result<Response, String> {
        self.sequence = self.sequence.wrapping_add(1).max(1);
        let req = ControlRepr {
            // ntpq's first byte is 0xd6: LI 3, version 2, mode 6.
            leap: LeapIndicator::Unsynchronized,
            version: 2,
            response: false,
            error: false,
            more: false,
            opcode,
            sequence: self.sequence,
            status: 0,
            association_id: association,
            offset: 0,
            data,
            padding: &[],
            mac: None,
        };
        let mut buf = [0u8; 1280];
        let n = req.emit(&mut buf).map_err(|e| format!("request: {e:?}"))?;
        self.sock
            .send_to(&buf[..n], self.to)
            .map_err(|e| format!("send to {}: {e}", self.to))?;
        let deadline = Instant::now() + self.timeout;
        let mut store = vec![0u8; RESPONSE_BUFFER];
        let mut response = ResponseAssembler::new(&mut store, opcode, self.sequence);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(format!("{}: timed out waiting for a mode 6 reply", self.to));
            }
            wait_readable(&[self.sock.as_raw_fd()], Some(left))
                .map_err(|e| format!("poll: {e}"))?;
            let Some(rx) = self.sock.recv(&mut buf).map_err(|e| format!("recv: {e}"))? else {
                continue;
            };
            if rx.from != self.to {
                continue;
            }
            let Ok(r) = ControlRepr::parse(&buf[..rx.len]) else {
                continue;
            };
            match response.push(&r) {
                Ok(Assembly::Complete(_)) => {
                    return Ok(Response {
                        status: response.status().unwrap_or(0),
                        data: response.data().unwrap_or(&[]).to_vec(),
                    });
                }
                Ok(Assembly::Waiting) | Err(ResponseError::NotOurs) => {}
                Err(e @ ResponseError::Server(_)) => return Err(e.to_string()),
                // A bad fragment is dropped; the rest of the response may still come.
                Err(e) => eprintln!("ntpq: {}: {e}, fragment ignored", self.to),
            }
        }
    }

    /// READSTAT of association 0: the (association id, peer status) list.
    fn associations(&mut self) -> Result<(u16, Vec<(u16, u16)>), String> {
        let r = self.request(Opcode::ReadStatus, 0, &[])?;
        let list = client::associations(&r.data)
            .map_err(|e| format!("{}: {e}", self.to))?
            .map(|a| (a.id, a.status))
            .collect();
        Ok((r.status, list))
    }

    /// READVAR: the variables of `association` (0 = system), all or the named ones.
    fn read_vars(
        &mut self,
        association: u16,
        names: &str,
    ) -> Result<(u16, Vec<(String, String)>), String> {
        let r = self.request(Opcode::ReadVariables, association, names.as_bytes())?;
        Ok((r.status, parse_vars(&r.data)))
    }
}

/// The items of a READVAR response as text (parsing: `sundial::control::client`). Bad
/// items are reported on stderr and left out; stray bytes in values show as '?'.
fn parse_vars(data: &[u8]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for item in Variables::new(data) {
        match item {
            Ok(v) => {
                let value: String = String::from_utf8_lossy(v.value)
                    .chars()
                    .map(|c| {
                        if c == '\u{fffd}' || (c.is_control() && !c.is_whitespace()) {
                            '?'
                        } else {
                            c
                        }
                    })
                    .collect();
                out.push((v.name.to_string(), value));
            }
            Err(e) => eprintln!("ntpq: variable list: {e}"),
        }
    }
    out
}

fn var<'a>(vars: &'a [(String, String)], name: &str) -> Option<&'a str> {
    vars.iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn num(vars: &[(String, String)], name: &str) -> f64 {
    var(vars, name).and_then(|v| v.parse().ok()).unwrap_or(0.0)
}

/// An ntpd timestamp variable (`0xSSSSSSSS.FFFFFFFF` or `SSSSSSSS.FFFFFFFF`).
fn timestamp(v: &str) -> Option<NtpTimestamp> {
    Variable {
        name: "",
        value: v.as_bytes(),
    }
    .timestamp()
    .ok()
}

fn system_status_text(s: u16) -> String {
    const LEAP: [&str; 4] = ["leap_none", "leap_add_sec", "leap_del_sec", "leap_alarm"];
    const SOURCE: [&str; 10] = [
        "sync_unspec",
        "sync_pps",
        "sync_lf_radio",
        "sync_hf_radio",
        "sync_uhf_radio",
        "sync_local",
        "sync_ntp",
        "sync_other",
        "sync_wristwatch",
        "sync_telephone",
    ];
    const EVENT: [&str; 16] = [
        "unspecified",
        "freq_not_set",
        "freq_set",
        "spike_detect",
        "freq_mode",
        "clock_sync",
        "restart",
        "panic_stop",
        "no_system_peer",
        "leap_armed",
        "leap_disarmed",
        "leap_event",
        "clock_step",
        "kern",
        "TAI",
        "stale_leapsecond_values",
    ];
    let count = (s >> 4) & 0xf;
    format!(
        "{}, {}, {count} event{}, {},",
        LEAP[usize::from(s >> 14)],
        SOURCE
            .get(usize::from((s >> 8) & 0x3f))
            .copied()
            .unwrap_or("sync_other"),
        if count == 1 { "" } else { "s" },
        EVENT[usize::from(s & 0xf)]
    )
}

const SELECT: [&str; 8] = [
    "reject",
    "falsetick",
    "excess",
    "outlier",
    "candidate",
    "backup",
    "sys.peer",
    "pps.peer",
];
const TALLY: [char; 8] = [' ', 'x', '.', '-', '+', '#', '*', 'o'];
const PEER_EVENT: [&str; 16] = [
    "",
    "mobilize",
    "demobilize",
    "unreachable",
    "reachable",
    "restart",
    "no_reply",
    "rate_exceeded",
    "access_denied",
    "leap_armed",
    "sys_peer",
    "clock_event",
    "bad_auth",
    "popcorn",
    "interleave_mode",
    "interleave_error",
];

fn peer_status_text(s: u16) -> String {
    let mut parts = Vec::new();
    if s & 0x8000 != 0 {
        parts.push("conf".to_string());
    }
    if s & 0x4000 != 0 {
        parts.push(if s & 0x2000 != 0 {
            "authenb, auth".to_string()
        } else {
            "authenb".to_string()
        });
    }
    if s & 0x1000 != 0 {
        parts.push("reach".to_string());
    }
    if s & 0x0800 != 0 {
        parts.push("bcst".to_string());
    }
    parts.push(format!("sel_{}", SELECT[usize::from((s >> 8) & 7)]));
    let count = (s >> 4) & 0xf;
    parts.push(format!(
        "{count} event{}",
        if count == 1 { "" } else { "s" }
    ));
    parts.push(PEER_EVENT[usize::from(s & 0xf)].to_string());
    format!("{},", parts.join(", "))
}

/// `when` column: seconds, then minutes/hours/days as ntpq abbreviates them.
fn when_text(secs: i64) -> String {
    match secs {
        s if s <= 0 => "-".to_string(),
        s if s <= 2048 => s.to_string(),
        s if s <= 300 * 60 => format!("{}m", s / 60),
        s if s <= 96 * 3600 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

/// ntpq shows a textual refid as `.ABCD.`, an address as is.
fn refid_text(refid: &str) -> String {
    if refid.is_empty() || refid.parse::<IpAddr>().is_ok() || refid.starts_with('.') {
        refid.to_string()
    } else {
        format!(".{refid}.")
    }
}

fn peers(s: &mut Session) -> Result<(), String> {
    let (_, list) = s.associations()?;
    println!("     remote           refid      st t when poll reach   delay   offset   jitter");
    println!("{}", "=".repeat(79));
    let now = host::clock::system_now();
    for (id, status) in list {
        let (st, vars) = s.read_vars(id, "")?;
        let status = if st != 0 { st } else { status };
        let srcadr = var(&vars, "srcadr").unwrap_or("?");
        // A reference clock by its driver name, `GPS_NMEA(0)`: as the server
        // sends it (srchost: ours, ntpsec), else from 127.127.T.U (ntpd 4.2.8).
        let remote = var(&vars, "srchost")
            .filter(|h| !h.is_empty())
            .map(str::to_string)
            .or_else(|| {
                let addr = srcadr.parse().ok()?;
                sundial::control::client::refclock_display_name(addr).map(|n| n.to_string())
            })
            .unwrap_or_else(|| srcadr.to_string());
        let refid = refid_text(var(&vars, "refid").unwrap_or(""));
        let stratum = num(&vars, "stratum") as i64;
        let hmode = num(&vars, "hmode") as i64;
        let kind = if srcadr.starts_with("127.127.")
            || var(&vars, "srchost").is_some_and(|h| h.contains('('))
        {
            'l'
        } else {
            match hmode {
                1 | 2 => 's',
                5 => 'B',
                6 => 'm',
                _ => 'u',
            }
        };
        let when = var(&vars, "rec")
            .and_then(timestamp)
            .filter(|t| !t.is_zero())
            .map_or("-".to_string(), |t| {
                when_text((now - t.resolve(now)).seconds())
            });
        let poll = 1u64
            << num(&vars, "ppoll")
                .min(num(&vars, "hpoll"))
                .clamp(0.0, 17.0) as u32;
        let reach = var(&vars, "reach")
            .and_then(|r| {
                Variable {
                    name: "",
                    value: r.as_bytes(),
                }
                .hex()
                .ok()
            })
            .unwrap_or(0);
        let remote: String = remote.chars().take(15).collect();
        let refid: String = refid.chars().take(15).collect();
        println!(
            "{}{remote:<16}{refid:<16}{stratum:>2} {kind} {when:>4} {poll:>4} {reach:>4o} {:>8.4} {:>8.4} {:>8.4}",
            TALLY[usize::from((status >> 8) & 7)],
            num(&vars, "delay"),
            num(&vars, "offset"),
            num(&vars, "jitter"),
        );
    }
    Ok(())
}

fn associations(s: &mut Session) -> Result<(), String> {
    let (_, list) = s.associations()?;
    println!();
    println!("ind assid status  conf reach auth condition  last_event cnt");
    println!("{}", "=".repeat(59));
    for (i, (id, st)) in list.iter().enumerate() {
        let yes = |b: bool| if b { "yes" } else { "no" };
        let auth = if st & 0x4000 == 0 {
            "none"
        } else if st & 0x2000 != 0 {
            "ok"
        } else {
            "bad"
        };
        println!(
            "{:3} {id:5}  {st:04x}   {:3}   {:3}  {auth:4} {:>9} {:>11} {:2}",
            i + 1,
            yes(st & 0x8000 != 0),
            yes(st & 0x1000 != 0),
            SELECT[usize::from((st >> 8) & 7)],
            PEER_EVENT[usize::from(st & 0xf)],
            (st >> 4) & 0xf
        );
    }
    Ok(())
}

fn readvar(s: &mut Session, args: &[&str]) -> Result<(), String> {
    let (assoc, names) = match args {
        [] => (0, String::new()),
        [a, rest @ ..] if a.parse::<u16>().is_ok() => (a.parse().unwrap_or(0), rest.join(",")),
        rest => (0, rest.join(",")),
    };
    let (status, vars) = s.read_vars(assoc, &names)?;
    let text = if assoc == 0 {
        system_status_text(status)
    } else {
        peer_status_text(status)
    };
    println!("associd={assoc} status={status:04x} {text}");
    let now = host::clock::system_now();
    let items: Vec<String> = vars
        .iter()
        .map(|(n, v)| {
            let shown = match timestamp(v) {
                Some(t) if v.contains('.') && v.len() >= 17 => {
                    let at: NtpTime = t.resolve(now);
                    format!(
                        "{}.{} {}",
                        &format!("{:08x}", t.seconds()),
                        &format!("{:08x}", t.fraction()),
                        host::date::utc(at)
                    )
                }
                _ if v.contains(' ') || v.contains(',') => format!("\"{v}\""),
                _ => v.clone(),
            };
            if v.is_empty() {
                n.clone()
            } else {
                format!("{n}={shown}")
            }
        })
        .collect();
    // Wrap at 72 columns like ntpq.
    let mut line = String::new();
    for (i, item) in items.iter().enumerate() {
        let piece = if i + 1 < items.len() {
            format!("{item}, ")
        } else {
            item.clone()
        };
        if !line.is_empty() && line.len() + piece.trim_end().len() > 72 {
            println!("{}", line.trim_end());
            line.clear();
        }
        line.push_str(&piece);
    }
    if !line.is_empty() {
        println!("{}", line.trim_end());
    }
    Ok(())
}

fn loopinfo(s: &mut Session) -> Result<(), String> {
    let (_, v) = s.read_vars(
        0,
        "offset,frequency,sys_jitter,clk_jitter,clk_wander,tc,mintc",
    )?;
    println!("offset:               {:.6} s", num(&v, "offset") / 1000.0);
    println!("frequency:            {:.3} ppm", num(&v, "frequency"));
    println!(
        "system jitter:        {:.6} s",
        num(&v, "sys_jitter") / 1000.0
    );
    println!(
        "clock jitter:         {:.6} s",
        num(&v, "clk_jitter") / 1000.0
    );
    println!("clock wander:         {:.3} ppm", num(&v, "clk_wander"));
    println!("time constant:        {}", num(&v, "tc") as i64);
    Ok(())
}

fn kerninfo(s: &mut Session) -> Result<(), String> {
    const VARS: [(&str, &str); 8] = [
        ("koffset", "pll offset:"),
        ("kfreq", "pll frequency:"),
        ("kmaxerr", "maximum error:"),
        ("kesterr", "estimated error:"),
        ("kstflags", "kernel status:"),
        ("ktimeconst", "pll time constant:"),
        ("kprecis", "precision:"),
        ("kfreqtol", "frequency tolerance:"),
    ];
    let names: Vec<&str> = VARS.iter().map(|v| v.0).collect();
    match s.read_vars(0, &names.join(",")) {
        Ok((_, v)) if !v.is_empty() => {
            for (name, label) in VARS {
                if let Some(val) = var(&v, name) {
                    println!("{label:<22}{val:>12}");
                }
            }
            Ok(())
        }
        Ok(_) | Err(_) => {
            println!("kernel variables are not available from this server");
            Ok(())
        }
    }
}

fn main() {
    let mut a = Args::from_env();
    let mut commands: Vec<String> = Vec::new();
    let mut host = "127.0.0.1".to_string();
    let mut port: u16 = 123;
    let mut timeout = 2.0f64;
    while let Some(arg) = a.next_arg() {
        match arg.as_str() {
            "-p" | "--peers" => commands.push("peers".into()),
            "-c" => commands.push(a.value(&arg)),
            "-n" => {} // always numeric
            "--port" => port = a.value(&arg),
            "-t" | "--timeout" => timeout = a.value::<f64>(&arg).clamp(0.05, 60.0),
            "-h" | "--help" => {
                println!("{USAGE}");
                return;
            }
            s if s.starts_with('-') => die(&format!("unknown option {s}\n{USAGE}")),
            _ => host = arg,
        }
    }
    if commands.is_empty() {
        commands.push("peers".into());
    }
    let ip: IpAddr = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .unwrap_or_else(|_| die(&format!("{host}: give an IP address")));
    let to = SocketAddr::new(ip, port);
    let mut session =
        Session::new(to, Duration::from_secs_f64(timeout)).unwrap_or_else(|e| die(&e));
    let mut failed = false;
    for cmd in &commands {
        let words: Vec<&str> = cmd.split_whitespace().collect();
        let result = match words.as_slice() {
            ["peers"] | ["pe"] => peers(&mut session),
            ["as"] | ["associations"] => associations(&mut session),
            ["rv", rest @ ..] | ["readvar", rest @ ..] => {
                let rest: Vec<&str> = rest
                    .iter()
                    .flat_map(|w| w.split(','))
                    .filter(|w| !w.is_empty())
                    .collect();
                readvar(&mut session, &rest)
            }
            ["loopinfo"] => loopinfo(&mut session),
            ["kerninfo"] => kerninfo(&mut session),
            _ => Err(format!("***Command `{cmd}' unknown")),
        };
        if let Err(e) = result {
            eprintln!("ntpq: {e}");
            failed = true;
        }
    }
    std::process::exit(i32::from(failed));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_with_quotes_and_crlf() {
        let v = parse_vars(b"leap=0, stratum=11,\r\nsystem=\"Linux, 6\", ntscookies=-1\r\n");
        assert_eq!(v[0], ("leap".into(), "0".into()));
        assert_eq!(v[2], ("system".into(), "Linux, 6".into()));
        assert_eq!(v[3], ("ntscookies".into(), "-1".into()));
        let v = parse_vars(b"filtdelay=\"0.1 \x01\xff 0.2\", =5, ok=1");
        assert_eq!(v[0], ("filtdelay".into(), "0.1 ?? 0.2".into()));
        assert_eq!(v[1], ("ok".into(), "1".into()));
    }

    #[test]
    fn status_words() {
        assert_eq!(
            system_status_text(0x0514),
            "leap_none, sync_local, 1 event, freq_mode,"
        );
        assert_eq!(
            peer_status_text(0x961a),
            "conf, reach, sel_sys.peer, 1 event, sys_peer,"
        );
        assert_eq!(when_text(3000), "50m");
        assert_eq!(refid_text("LOCL"), ".LOCL.");
        assert_eq!(refid_text("127.0.0.1"), "127.0.0.1");
    }
}
