//! Real packets captured from chrony and ntpsec (`../shared/vectors/*.json`):
//! every one parses, re-emits byte for byte, and its fields match what
//! Wireshark decoded. The decode example's JSON is checked against the same
//! fields. A missing vectors directory fails the test.

use std::path::PathBuf;

use serde_json::Value;
use sundial::wire::{ControlRepr, Mode, NtpPacket, peek_mode};

#[allow(dead_code)]
#[path = "../examples/decode.rs"]
mod decode;

/// `$SUNDIAL_VECTORS` if set, else the first `shared/vectors` beside the
/// crate or beside one of its ancestors (`$REPO/../shared/vectors` in CI;
/// git worktrees sit one level deeper).
fn vectors_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("SUNDIAL_VECTORS") {
        return PathBuf::from(dir);
    }
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .skip(1)
        .map(|a| a.join("shared/vectors"))
        .find(|d| d.is_dir())
        .unwrap_or_else(|| {
            panic!(
                "no shared/vectors beside {} or its parents",
                manifest.display()
            )
        })
}

/// Every (file name, packet object) in the vectors directory.
fn packets() -> Vec<(String, Value)> {
    let dir = vectors_dir();
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("vectors directory {} unreadable: {e}", dir.display()));
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 10,
        "expected the capture files in {}, found {}",
        dir.display(),
        files.len()
    );
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read vector file");
        let json: Value = serde_json::from_str(&text).expect("vector file is JSON");
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        for p in json["packets"].as_array().expect("packets array") {
            out.push((format!("{name} frame {}", p["frame"]), p.clone()));
        }
    }
    assert!(out.len() >= 80, "only {} packets found", out.len());
    out
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("not an integer: {v}"))
}

fn hex_u64(v: &Value) -> u64 {
    u64::from_str_radix(v["hex"].as_str().expect("hex field"), 16).unwrap()
}

fn check_ntp(what: &str, bytes: &[u8], v: &Value) {
    let p = NtpPacket::parse(bytes).unwrap_or_else(|e| panic!("{what}: {e}"));
    let h = &p.header;
    assert_eq!(i64::from(h.leap.to_bits()), int(&v["li"]), "{what} li");
    assert_eq!(i64::from(h.version), int(&v["version"]), "{what} version");
    assert_eq!(i64::from(h.mode.to_bits()), int(&v["mode"]), "{what} mode");
    assert_eq!(i64::from(h.stratum), int(&v["stratum"]), "{what} stratum");
    assert_eq!(i64::from(h.poll.log2()), int(&v["poll"]), "{what} poll");
    assert_eq!(
        i64::from(h.precision),
        int(&v["precision"]),
        "{what} precision"
    );
    assert_eq!(
        u64::from(h.root_delay.to_bits()),
        hex_u64(&v["root_delay"]),
        "{what} delay"
    );
    assert_eq!(
        u64::from(h.root_dispersion.to_bits()),
        hex_u64(&v["root_dispersion"]),
        "{what} disp"
    );
    let rd = v["root_delay"]["seconds"].as_f64().unwrap();
    let ours = h.root_delay.to_duration().as_nanos() as f64 * 1e-9;
    assert!((rd - ours).abs() < 1e-9, "{what} root delay seconds");
    assert_eq!(
        format!("{:08x}", h.ref_id.to_u32()),
        v["refid_hex"].as_str().unwrap(),
        "{what}"
    );
    let shown = h.ref_id.display(h.stratum).to_string();
    if let Some(kiss) = v.get("kiss_code") {
        assert_eq!(
            h.kiss_code().map(|k| k.as_str()),
            kiss.as_str(),
            "{what} kiss"
        );
        assert_eq!(
            shown,
            v["refid_ascii"].as_str().unwrap(),
            "{what} refid text"
        );
    } else {
        assert_eq!(h.kiss_code(), None, "{what} kiss");
        assert_eq!(
            shown,
            v["refid_ipv4"].as_str().unwrap(),
            "{what} refid text"
        );
    }
    for (ours, key) in [
        (h.reference_timestamp, "reference_ts"),
        (h.origin_timestamp, "origin_ts"),
        (h.receive_timestamp, "receive_ts"),
        (h.transmit_timestamp, "transmit_ts"),
    ] {
        assert_eq!(ours.to_bits(), hex_u64(&v[key]), "{what} {key}");
        if let Some(s) = v[key].get("seconds") {
            assert_eq!(i64::from(ours.seconds()), int(s), "{what} {key} seconds");
            assert_eq!(
                i64::from(ours.fraction()),
                int(&v[key]["fraction"]),
                "{what} {key} frac"
            );
        }
    }
    match v.get("mac_keyid") {
        Some(k) => {
            let mac = p.mac.unwrap_or_else(|| panic!("{what}: no MAC"));
            assert_eq!(i64::from(mac.key_id), int(k), "{what} key id");
            assert_eq!(
                mac.digest.len() as i64,
                int(&v["mac_digest_len"]),
                "{what} digest len"
            );
            assert_eq!(
                mac.digest,
                hex(v["mac_digest_hex"].as_str().unwrap()),
                "{what} digest"
            );
        }
        None => assert_eq!(p.mac, None, "{what} mac"),
    }
    assert!(
        p.extensions.is_empty(),
        "{what}: no extension fields in these captures"
    );
    let mut out = vec![0u8; 1024];
    let n = p
        .emit(&mut out)
        .unwrap_or_else(|e| panic!("{what}: emit {e}"));
    assert_eq!(&out[..n], bytes, "{what}: re-emit differs");

    let j = decode::decode(bytes);
    for (ours, key) in [
        ("leap", "li"),
        ("version", "version"),
        ("mode", "mode"),
        ("stratum", "stratum"),
    ] {
        assert_eq!(j[ours], v[key], "{what} json {ours}");
    }
    assert_eq!(j["poll"], v["poll"], "{what} json poll");
    assert_eq!(j["precision"], v["precision"], "{what} json precision");
    for key in ["root_delay", "root_dispersion"] {
        let s: f64 = j[key].as_str().unwrap().parse().unwrap();
        assert_eq!(s, v[key]["seconds"].as_f64().unwrap(), "{what} json {key}");
    }
    assert_eq!(j["refid"].as_str().unwrap(), shown, "{what} json refid");
    for (ours, key) in [
        ("reference", "reference_ts"),
        ("origin", "origin_ts"),
        ("receive", "receive_ts"),
        ("transmit", "transmit_ts"),
    ] {
        let bits = (int(&j[ours]["seconds"]) as u64) << 32 | int(&j[ours]["fraction"]) as u64;
        assert_eq!(bits, hex_u64(&v[key]), "{what} json {ours}");
    }
    match v.get("mac_keyid") {
        Some(k) => {
            assert_eq!(j["mac"]["key_id"], *k, "{what} json mac");
            assert_eq!(
                j["mac"]["digest_len"], v["mac_digest_len"],
                "{what} json mac"
            );
        }
        None => assert!(j["mac"].is_null(), "{what} json mac"),
    }
    assert_eq!(
        j["extensions"],
        serde_json::json!([]),
        "{what} json extensions"
    );
}

fn check_control(what: &str, bytes: &[u8], v: &Value) {
    let c = ControlRepr::parse(bytes).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(i64::from(c.leap.to_bits()), int(&v["li"]), "{what} li");
    assert_eq!(i64::from(c.version), int(&v["version"]), "{what} version");
    assert_eq!(c.response, v["response"].as_bool().unwrap(), "{what} R");
    assert_eq!(c.error, v["error"].as_bool().unwrap(), "{what} E");
    assert_eq!(c.more, v["more"].as_bool().unwrap(), "{what} M");
    assert_eq!(
        i64::from(c.opcode.to_bits()),
        int(&v["opcode"]),
        "{what} opcode"
    );
    assert_eq!(
        c.opcode.name(),
        v["opcode_name"].as_str().unwrap(),
        "{what} opcode name"
    );
    assert_eq!(
        i64::from(c.sequence),
        int(&v["sequence"]),
        "{what} sequence"
    );
    let status = v["status"].as_str().unwrap().trim_start_matches("0x");
    assert_eq!(
        c.status,
        u16::from_str_radix(status, 16).unwrap(),
        "{what} status"
    );
    assert_eq!(
        i64::from(c.association_id),
        int(&v["associd"]),
        "{what} associd"
    );
    assert_eq!(i64::from(c.offset), int(&v["offset"]), "{what} offset");
    assert_eq!(c.data.len() as i64, int(&v["count"]), "{what} count");
    let text = String::from_utf8_lossy(c.data);
    assert_eq!(text, v["data_text"].as_str().unwrap(), "{what} data_text");
    assert_eq!(c.mac, None, "{what} mac");
    let mut out = vec![0u8; 1024];
    let n = c
        .emit(&mut out)
        .unwrap_or_else(|e| panic!("{what}: emit {e}"));
    assert_eq!(&out[..n], bytes, "{what}: re-emit differs");

    let j = decode::decode(bytes);
    let jc = &j["control"];
    for (ours, key) in [
        ("response", "response"),
        ("error", "error"),
        ("more", "more"),
        ("opcode", "opcode"),
        ("sequence", "sequence"),
        ("association", "associd"),
        ("offset", "offset"),
        ("count", "count"),
        ("data_text", "data_text"),
    ] {
        assert_eq!(jc[ours], v[key], "{what} json control {ours}");
    }
    assert_eq!(jc["status"], i64::from(c.status), "{what} json status");
    assert_eq!(j["mode"], 6);
}

#[test]
fn every_vector_parses_re_emits_and_matches() {
    let mut counts = [0usize; 8];
    for (what, v) in packets() {
        let bytes = hex(v["payload_hex"].as_str().unwrap());
        assert_eq!(bytes.len() as i64, int(&v["length"]), "{what} length");
        let mode = peek_mode(&bytes).unwrap();
        counts[usize::from(mode.to_bits())] += 1;
        if mode == Mode::Control {
            check_control(&what, &bytes, &v);
        } else {
            check_ntp(&what, &bytes, &v);
        }
        assert!(
            decode::decode_hex(v["payload_hex"].as_str().unwrap())
                .get("error")
                .is_none()
        );
    }
    // Symmetric active, client, server and control are all represented.
    assert!(
        counts[1] > 0 && counts[3] > 0 && counts[4] > 0 && counts[6] > 0,
        "{counts:?}"
    );
}

#[test]
fn decode_reports_errors_as_json() {
    assert!(decode::decode_hex("zz").get("error").is_some());
    assert!(decode::decode_hex("e30").get("error").is_some());
    assert!(decode::decode_hex("e300").get("error").is_some());
    assert!(decode::decode_hex("").get("error").is_some());
    let v5 = format!("2b{}", "00".repeat(47));
    assert_eq!(
        decode::decode_hex(&v5)["error"],
        "unsupported NTP version 5"
    );
}
