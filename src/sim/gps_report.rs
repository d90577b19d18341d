//! Printing a [`GpsRun`]: one JSON line per node (the server first, with
//! `"node":"gps"`, its stratum and, for a loss scenario, the loss window,
//! when it went unsynchronised and its root dispersion every 10 min; then
//! the clients, with the usual fields), or a readable table.

use std::fmt::Write as _;
use std::format;
use std::prelude::rust_2024::*;

use crate::sim::gps_world::GpsRun;
use crate::sim::metrics::Summary;

fn num(v: Option<f64>) -> String {
    match v {
        Some(v) if v.is_finite() => format!("{v:.3}"),
        _ => "null".to_string(),
    }
}

/// `summary`'s JSON object with `prefix` fields first and `suffix` last.
fn object(summary: &Summary, client: usize, prefix: &str, suffix: &str) -> String {
    let json = summary.to_json(client);
    let body = json
        .strip_prefix('{')
        .and_then(|b| b.strip_suffix('}'))
        .unwrap_or("");
    // The server is no client: drop the index there.
    let body = if client == usize::MAX {
        body.split_once(',').map_or(body, |(_, rest)| rest)
    } else {
        body
    };
    format!("{{{prefix}{body}{suffix}}}")
}

impl GpsRun {
    /// One JSON line per node, the server first.
    pub fn json_lines(&self) -> Vec<String> {
        let stratum = self.server_node.stratum();
        let mut extra = format!(",\"max_stratum\":{}", self.max_stratum);
        if let Some((from, until)) = self.loss {
            let _ = write!(
                extra,
                ",\"loss_from_s\":{from:.0},\"loss_until_s\":{until:.0},\"unsync_at_s\":{},\"unsync_after_loss_s\":{},\"resync_at_s\":{}",
                num(self.unsync_at),
                num(self.unsync_at.map(|t| t - from)),
                num(self.resync_at)
            );
        }
        extra.push_str(",\"root_dispersion_ms\":[");
        let every_10_min = self.series.iter().filter(|p| (p.tau as u64) % 600 == 0);
        for (i, p) in every_10_min.enumerate() {
            let sep = if i == 0 { "" } else { "," };
            let _ = write!(
                extra,
                "{sep}[{:.0},{:.3},{}]",
                p.tau,
                p.root_dispersion * 1e3,
                p.stratum
            );
        }
        extra.push(']');
        let mut lines = vec![object(
            &self.server,
            usize::MAX,
            &format!("\"node\":\"gps\",\"stratum\":{stratum},"),
            &extra,
        )];
        for (i, (s, _, node)) in self.clients.iter().enumerate() {
            let stratum = node.ntp.system_variables().stratum;
            lines.push(object(
                s,
                i,
                &format!("\"node\":\"client\",\"stratum\":{stratum},"),
                "",
            ));
        }
        lines
    }

    /// A readable table.
    pub fn table(&self) -> Vec<String> {
        let mut out = vec![format!(
            "{:>6} {:>7} {:>10} {:>10} {:>10} {:>10} {:>12} {:>9} {:>8} {:>8}",
            "node",
            "stratum",
            "rms µs",
            "max µs",
            "p99 µs",
            "mean µs",
            "freq ppb",
            "to 1ms s",
            "poll s",
            "packets"
        )];
        let row = |name: String, stratum: u8, s: &Summary| {
            format!(
                "{:>6} {:>7} {:>10.2} {:>10.2} {:>10.2} {:>10.2} {:>12.2} {:>9.2} {:>8.1} {:>8}",
                name,
                stratum,
                s.rms_offset_us,
                s.max_offset_us,
                s.p99_offset_us,
                s.mean_offset_us,
                s.rms_freq_error_ppb,
                s.time_to_1ms_s,
                s.mean_poll_s,
                s.packets
            )
        };
        out.push(row("gps".into(), self.server_node.stratum(), &self.server));
        for (i, (s, _, node)) in self.clients.iter().enumerate() {
            out.push(row(i.to_string(), node.ntp.system_variables().stratum, s));
        }
        if let Some((from, until)) = self.loss {
            out.push(format!(
                "signal lost {from:.0}..{until:.0} s; unsynchronised (stratum 16) from {} s ({} s after the loss), synchronised again {} s",
                num(self.unsync_at),
                num(self.unsync_at.map(|t| t - from)),
                num(self.resync_at)
            ));
            for p in self.series.iter().filter(|p| (p.tau as u64) % 1800 == 0) {
                out.push(format!(
                    "  {:>7.0} s  stratum {:>2}  root dispersion {:>10.3} ms  offset {:>10.2} µs",
                    p.tau,
                    p.stratum,
                    p.root_dispersion * 1e3,
                    p.offset * 1e6
                ));
            }
        }
        out
    }
}
