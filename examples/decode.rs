//! Decodes NTP payloads given as hex, one JSON line each.
//!
//! ```text
//! cargo run --example decode -- e3000000...      # each argument is one payload
//! echo e3000000... | cargo run --example decode  # or one payload per stdin line
//! ```
//!
//! Each line has `leap`, `version`, `mode`, `stratum`, `poll`, `precision`,
//! `root_delay` / `root_dispersion` (seconds, decimal strings), `refid` (as
//! ntpq shows it), `kiss_code`, `reference` / `origin` / `receive` /
//! `transmit` (`{"seconds", "fraction"}`), `extensions` (`[{"type",
//! "length"}]`), `mac` (`{"key_id", "digest_len"}` or null); mode 6 messages
//! carry a `control` object instead of the time fields. A payload that does
//! not decode prints `{"error": "..."}`; the exit status is then 1.

use std::io::BufRead;
use std::process::ExitCode;

use serde_json::{Value, json};
use sundial::time::{NtpShort, NtpTimestamp};
use sundial::wire::{self, ControlRepr, Mac, Mode, NtpPacket};

/// Decodes one hex payload to its JSON object (an `{"error"}` object on failure).
pub fn decode_hex(hex: &str) -> Value {
    match parse_hex(hex) {
        Ok(bytes) => decode(&bytes),
        Err(e) => json!({ "error": e }),
    }
}

/// Decodes one payload to its JSON object (an `{"error"}` object on failure).
pub fn decode(bytes: &[u8]) -> Value {
    let result = match wire::peek_mode(bytes) {
        Ok(Mode::Control) => ControlRepr::parse(bytes).map(|c| control_json(&c)),
        Ok(Mode::Private) => {
            return json!({ "error": "mode 7 (private) messages are not decoded" });
        }
        Ok(_) => NtpPacket::parse(bytes).map(|p| packet_json(&p)),
        Err(e) => Err(e),
    };
    result.unwrap_or_else(|e| json!({ "error": e.to_string() }))
}

fn packet_json(p: &NtpPacket<'_>) -> Value {
    let h = &p.header;
    let extensions: Vec<Value> = p
        .extensions()
        .flatten()
        .map(|f| json!({ "type": f.field_type, "length": f.buffer_len() }))
        .collect();
    json!({
        "leap": h.leap.to_bits(),
        "version": h.version,
        "mode": h.mode.to_bits(),
        "stratum": h.stratum,
        "poll": h.poll.log2(),
        "precision": h.precision,
        "root_delay": short_seconds(h.root_delay),
        "root_dispersion": short_seconds(h.root_dispersion),
        "refid": h.ref_id.display(h.stratum).to_string(),
        "refid_hex": format!("{:08x}", h.ref_id.to_u32()),
        "kiss_code": h.kiss_code().map(|k| k.as_str()),
        "reference": timestamp_json(h.reference_timestamp),
        "origin": timestamp_json(h.origin_timestamp),
        "receive": timestamp_json(h.receive_timestamp),
        "transmit": timestamp_json(h.transmit_timestamp),
        "extensions": extensions,
        "mac": mac_json(p.mac),
    })
}

fn control_json(c: &ControlRepr<'_>) -> Value {
    json!({
        "leap": c.leap.to_bits(),
        "version": c.version,
        "mode": Mode::Control.to_bits(),
        "control": {
            "response": c.response,
            "error": c.error,
            "more": c.more,
            "opcode": c.opcode.to_bits(),
            "opcode_name": c.opcode.name(),
            "sequence": c.sequence,
            "status": c.status,
            "association": c.association_id,
            "offset": c.offset,
            "count": c.data.len(),
            "data_text": String::from_utf8_lossy(c.data),
        },
        "mac": mac_json(c.mac),
    })
}

fn mac_json(mac: Option<Mac<'_>>) -> Value {
    mac.map_or(
        Value::Null,
        |m| json!({ "key_id": m.key_id, "digest_len": m.digest.len() }),
    )
}

fn timestamp_json(ts: NtpTimestamp) -> Value {
    json!({ "seconds": ts.seconds(), "fraction": ts.fraction() })
}

/// Exact decimal seconds of a 16.16 value, trailing zeros trimmed ("0.0",
/// "1.5", "0.0000457763671875").
fn short_seconds(s: NtpShort) -> String {
    let text = format!("{:.16}", s.to_duration());
    let trimmed = text.trim_end_matches('0');
    if trimmed.ends_with('.') {
        format!("{trimmed}0")
    } else {
        trimmed.to_string()
    }
}

/// Hex digits (whitespace ignored) to bytes.
fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if digits.len() % 2 != 0 {
        return Err(format!("odd number of hex digits ({})", digits.len()));
    }
    digits
        .chunks(2)
        .map(|pair| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|s| u8::from_str_radix(s, 16).ok())
                .ok_or_else(|| format!("invalid hex {:?}", String::from_utf8_lossy(pair)))
        })
        .collect()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut failed = false;
    let mut emit = |line: &str| {
        let value = decode_hex(line);
        failed |= value.get("error").is_some();
        println!("{value}");
    };
    if args.is_empty() {
        for line in std::io::stdin().lock().lines() {
            match line {
                Ok(line) if line.trim().is_empty() => {}
                Ok(line) => emit(&line),
                Err(e) => {
                    println!("{}", json!({ "error": format!("reading stdin: {e}") }));
                    return ExitCode::FAILURE;
                }
            }
        }
    } else {
        for arg in &args {
            emit(arg);
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
