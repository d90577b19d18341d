//! Runs a simulated scenario against the real core and reports accuracy.
//!
//! ```text
//! cargo run --release --features sim --example simulate -- --scenario NAME \
//!     [--poll default|N] [--clients N] [--hours H] [--warmup S] [--seed S] [--walk W] [--json] [--plot FILE.svg]
//! ```
//! Scenarios: lan, wan, wan-wander, wan-asym, falseticker, outage, server-step, leap,
//! gps-pps, gps-loss (a GPS stratum-1 server and its clients: one line per node, server first).
//! `--poll N` fixes minpoll = maxpoll = N; `default` is minpoll 6, maxpoll 10
//! (iburst in both). `--walk W` replaces the scenario's oscillator frequency
//! random walk (s/s per √s; 0 = a perfectly stable oscillator). With `--json`, one line of JSON per client. Each client
//! runs the whole core (`Ntp`) through its sans-IO API.

use std::process::ExitCode;

use sundial::sim::gps_world::{GPS_NAMES, GpsScenario, run_gps};
use sundial::sim::plot::offset_svg;
use sundial::sim::scenario::NAMES;
use sundial::sim::{RunOptions, Scenario, SimClient, Summary, run_client};

struct Args {
    scenario: String,
    poll: Option<i8>,
    clients: u64,
    hours: Option<f64>,
    warmup: Option<f64>,
    seed: u64,
    walk: Option<f64>,
    json: bool,
    plot: Option<String>,
}

fn usage() -> String {
    format!(
        "usage: simulate --scenario NAME [--poll default|N] [--clients N] [--hours H] [--warmup S] [--seed S] [--walk W] [--json] [--plot FILE.svg]\nscenarios: {}",
        [&NAMES[..], &GPS_NAMES[..]].concat().join(", ")
    )
}

fn parse() -> Result<Args, String> {
    let mut args = Args {
        scenario: String::new(),
        poll: None,
        clients: 8,
        hours: None,
        warmup: None,
        seed: 1,
        walk: None,
        json: false,
        plot: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match a.as_str() {
            "--scenario" => args.scenario = value("--scenario")?,
            "--poll" => {
                let v = value("--poll")?;
                args.poll = if v == "default" {
                    None
                } else {
                    let p: i8 = v.parse().map_err(|_| format!("bad --poll {v}"))?;
                    if !(3..=17).contains(&p) {
                        return Err(format!("--poll must be 3..=17, not {p}"));
                    }
                    Some(p)
                };
            }
            "--clients" => {
                args.clients = value("--clients")?.parse().map_err(|_| "bad --clients")?
            }
            "--hours" => args.hours = Some(value("--hours")?.parse().map_err(|_| "bad --hours")?),
            "--warmup" => {
                args.warmup = Some(value("--warmup")?.parse().map_err(|_| "bad --warmup")?)
            }
            "--seed" => args.seed = value("--seed")?.parse().map_err(|_| "bad --seed")?,
            "--walk" => {
                let v = value("--walk")?;
                let w: f64 = v.parse().map_err(|_| format!("bad --walk {v}"))?;
                if !(0.0..=1e-6).contains(&w) {
                    return Err(format!("--walk must be 0..=1e-6, not {w}"));
                }
                args.walk = Some(w);
            }
            "--json" => args.json = true,
            "--plot" => args.plot = Some(value("--plot")?),
            "-h" | "--help" => return Err(usage()),
            other => return Err(format!("unknown argument {other}\n{}", usage())),
        }
    }
    if args.scenario.is_empty() {
        return Err(usage());
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let opts = RunOptions {
        poll: args.poll,
        seed: args.seed,
        duration: args.hours.map(|h| h * 3600.0),
        warmup: args.warmup,
        trace_every: if args.plot.is_some() { 10 } else { 0 },
        ..RunOptions::default()
    };
    if let Some(mut gps) = GpsScenario::named(&args.scenario) {
        gps.walk = args.walk.unwrap_or(gps.walk);
        return simulate_gps(&gps, &opts, &args);
    }
    let Some(mut scenario) = Scenario::named(&args.scenario) else {
        eprintln!("unknown scenario {}\n{}", args.scenario, usage());
        return ExitCode::from(2);
    };
    scenario.walk = args.walk.unwrap_or(scenario.walk);
    let mut summaries: Vec<Summary> = Vec::new();
    let mut traces = Vec::new();
    if !args.json {
        println!(
            "scenario {} poll {} seed {} clients {}",
            scenario.name,
            args.poll.map_or("default".to_string(), |p| p.to_string()),
            args.seed,
            args.clients
        );
        println!(
            "{:>6} {:>10} {:>10} {:>10} {:>10} {:>12} {:>9} {:>8} {:>8}",
            "client",
            "rms µs",
            "max µs",
            "p99 µs",
            "mean µs",
            "freq ppb",
            "to 1ms s",
            "poll s",
            "packets"
        );
    }
    for client in 0..args.clients {
        let run = run_client(&scenario, &opts, client);
        let (s, trace, log) = (run.summary, run.metrics.trace, run.node.log().to_vec());
        if args.json {
            println!("{}", s.to_json(client as usize));
        } else {
            println!(
                "{:>6} {:>10.2} {:>10.2} {:>10.2} {:>10.2} {:>12.2} {:>9.2} {:>8.1} {:>8}",
                client,
                s.rms_offset_us,
                s.max_offset_us,
                s.p99_offset_us,
                s.mean_offset_us,
                s.rms_freq_error_ppb,
                s.time_to_1ms_s,
                s.mean_poll_s,
                s.packets
            );
            let interesting = |l: &str| {
                l.contains("step")
                    || l.contains("leap")
                    || l.contains("panic")
                    || l.contains("appears")
            };
            for (tau, line) in log.iter().filter(|(_, l)| interesting(l)).take(20) {
                println!("         {tau:>9.1} s  {line}");
            }
        }
        summaries.push(s);
        traces.push(trace);
    }
    if !args.json && !summaries.is_empty() {
        let n = summaries.len() as f64;
        let rms = (summaries
            .iter()
            .map(|s| s.rms_offset_us.powi(2))
            .sum::<f64>()
            / n)
            .sqrt();
        let worst = summaries
            .iter()
            .map(|s| s.max_offset_us)
            .fold(0.0, f64::max);
        let t1 = summaries
            .iter()
            .map(|s| s.time_to_1ms_s)
            .fold(0.0, f64::max);
        println!("all    rms {rms:.2} µs   max {worst:.2} µs   slowest to 1 ms {t1:.2} s");
    }
    if let Some(path) = args.plot {
        let title = format!(
            "sundial: {} (poll {}, seed {})",
            scenario.name,
            args.poll.map_or("default".to_string(), |p| p.to_string()),
            args.seed
        );
        if let Err(e) = std::fs::write(&path, offset_svg(&title, &traces)) {
            eprintln!("cannot write {path}: {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

/// The GPS scenarios: a stratum-1 server and `--clients` LAN clients in one world.
fn simulate_gps(gps: &GpsScenario, opts: &RunOptions, args: &Args) -> ExitCode {
    let run = run_gps(gps, opts, args.clients as usize);
    if args.json {
        run.json_lines().iter().for_each(|l| println!("{l}"));
    } else {
        println!(
            "scenario {} poll {} seed {} clients {}",
            gps.name,
            args.poll.map_or("default".to_string(), |p| p.to_string()),
            args.seed,
            args.clients
        );
        run.table().iter().for_each(|l| println!("{l}"));
    }
    if let Some(path) = &args.plot {
        let mut traces = vec![run.server_metrics.trace.clone()];
        traces.extend(run.clients.iter().map(|c| c.1.trace.clone()));
        let title = format!("sundial: {} (seed {})", gps.name, args.seed);
        if let Err(e) = std::fs::write(path, offset_svg(&title, &traces)) {
            eprintln!("cannot write {path}: {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
