//! Property tests: `parse(emit(c)) == c` for configurations built from random ntp.conf lines,
//! keys-file lines read back to the key they were written from, and no input makes the
//! parsers panic.

use proptest::prelude::*;
use sundial::auth::{Algorithm, Key, KeyId};
use sundial::config::{KeyLine, WarningKind, parse, parse_key_line, parse_keys};

fn ipv4() -> impl Strategy<Value = String> {
    // Not 127.127.x.x: those are reference clocks, generated separately.
    (0u8..=255, 0u8..=255, 0u8..=255, 0u8..=255)
        .prop_filter("refclock range", |(a, b, _, _)| (*a, *b) != (127, 127))
        .prop_map(|(a, b, c, d)| format!("{a}.{b}.{c}.{d}"))
}

fn ipv6() -> impl Strategy<Value = String> {
    any::<[u16; 8]>().prop_map(|s| core::net::Ipv6Addr::from(s).to_string())
}

fn hostname() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9-]{0,10}[a-z0-9](\\.[a-z][a-z0-9]{0,8}){0,3}\\.?"
}

fn refclock() -> impl Strategy<Value = String> {
    (1u8..=46, 0u8..=3).prop_map(|(t, u)| format!("127.127.{t}.{u}"))
}

fn address() -> impl Strategy<Value = String> {
    prop_oneof![ipv4(), ipv6(), hostname(), refclock()]
}

/// A decimal with up to 9 fraction digits, `int_max` whole units at most.
fn decimal(int_max: u32, signed: bool) -> impl Strategy<Value = String> {
    (any::<bool>(), 0..=int_max, 0u32..1_000_000_000, 0usize..=9).prop_map(
        move |(neg, i, f, digits)| {
            let frac = format!("{f:09}");
            let mut s = if digits == 0 {
                format!("{i}")
            } else {
                format!("{i}.{}", &frac[..digits])
            };
            if signed && neg {
                s.insert(0, '-');
            }
            s
        },
    )
}

fn association() -> impl Strategy<Value = String> {
    let kind = prop_oneof![
        Just("server"),
        Just("peer"),
        Just("pool"),
        Just("broadcast")
    ];
    let family = prop_oneof![Just(""), Just(" -4"), Just(" -6")];
    let flags = proptest::sample::subsequence(
        vec![
            "iburst", "burst", "prefer", "noselect", "true", "preempt", "xleave",
        ],
        0..4,
    );
    let polls = (3i8..=17, 3i8..=17).prop_map(|(a, b)| (a.min(b), a.max(b)));
    (
        kind,
        family,
        address(),
        flags,
        proptest::option::of(1u32..=65535),
        proptest::option::of(1u8..=4),
        proptest::option::of(polls),
        proptest::option::of(any::<u32>()),
        proptest::option::of(any::<u8>()),
    )
        .prop_map(|(k, fam, a, flags, key, ver, polls, mode, ttl)| {
            let mut s = format!("{k}{fam} {a}");
            for f in flags {
                s += &format!(" {f}");
            }
            if let Some(key) = key {
                s += &format!(" key {key}");
            }
            if let Some(v) = ver {
                s += &format!(" version {v}");
            }
            if let Some((lo, hi)) = polls {
                s += &format!(" maxpoll {hi} minpoll {lo}");
            }
            if let Some(m) = mode {
                s += &format!(" mode {m}");
            }
            if let Some(t) = ttl {
                s += &format!(" ttl {t}");
            }
            s
        })
}

fn fudge() -> impl Strategy<Value = String> {
    (
        refclock(),
        proptest::option::of(decimal(86_399, true)),
        proptest::option::of(decimal(86_399, true)),
        proptest::option::of(0u8..=15),
        proptest::option::of("[A-Z0-9]{1,4}"),
        proptest::option::of((1u8..=4, any::<bool>())),
    )
        .prop_map(|(a, t1, t2, st, refid, flag)| {
            let mut s = format!("fudge {a}");
            if let Some(t) = t1 {
                s += &format!(" time1 {t}");
            }
            if let Some(t) = t2 {
                s += &format!(" time2 {t}");
            }
            if let Some(v) = st {
                s += &format!(" stratum {v}");
            }
            if let Some(r) = refid {
                s += &format!(" refid {r}");
            }
            if let Some((n, on)) = flag {
                s += &format!(" flag{n} {}", u8::from(on));
            }
            s
        })
}

fn restrict() -> impl Strategy<Value = String> {
    let target = prop_oneof![
        Just("default".to_string()),
        Just("-4 default".to_string()),
        Just("-6 default".to_string()),
        Just("source".to_string()),
        ipv4(),
        (ipv4(), 0u8..=32).prop_map(|(a, p)| format!("{a}/{p}")),
        (ipv4(), ipv4()).prop_map(|(a, m)| format!("{a} mask {m}")),
        (ipv6(), 0u8..=128).prop_map(|(a, p)| format!("{a}/{p}")),
    ];
    let flags = proptest::sample::subsequence(
        vec![
            "flake",
            "ignore",
            "kod",
            "limited",
            "lowpriotrap",
            "mssntp",
            "noepeer",
            "nomodify",
            "nomrulist",
            "nopeer",
            "noquery",
            "noserve",
            "notrap",
            "notrust",
            "ntpport",
            "version",
        ],
        0..6,
    );
    (target, flags).prop_map(|(t, f)| format!("restrict {t} {}", f.join(" ")))
}

fn other() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z/._-]{1,40}".prop_map(|p| format!("driftfile {p}")),
        "[a-z/._-]{1,40}".prop_map(|p| format!("keys \"{p}\"")),
        "[a-z/ ._-]{1,40}".prop_map(|p| format!("logfile \"{p}\"")),
        "[a-z/._-]{1,40}".prop_map(|p| format!("statsdir {p}")),
        "[a-z/._-]{1,40}".prop_map(|p| format!("leapfile {p}")),
        (0u8..=16, 0u16..=3600, 0u32..=100_000)
            .prop_map(|(a, m, p)| format!("discard minimum {m} average {a} monitor {p}")),
        proptest::collection::vec(1u32..=65535, 1..4).prop_map(|k| format!(
            "trustedkey {}",
            k.iter().map(u32::to_string).collect::<Vec<_>>().join(" ")
        )),
        (1u32..=65535).prop_map(|k| format!("requestkey {k}")),
        (1u32..=65535).prop_map(|k| format!("controlkey {k}")),
        prop_oneof![
            Just("broadcastclient"),
            Just("broadcastclient yes"),
            Just("broadcastclient no")
        ]
        .prop_map(str::to_string),
        (0u32..1_000_000_000).prop_map(|f| format!("broadcastdelay 0.{f:09}")),
        (-32i8..=0).prop_map(|p| format!("precision {p}")),
        (
            decimal(86_399, false),
            decimal(999_999, false),
            decimal(499, true),
            decimal(999, false)
        )
            .prop_map(|(a, b, c, d)| format!("tinker step {a} panic {b} freq {c} dispersion {d}")),
        (decimal(86_399, false), decimal(999_999, false))
            .prop_map(|(a, b)| format!("tinker stepout {a} allan {b} huffpuff {a}")),
        (1u8..=16, 1u8..=64, 1u8..=16, decimal(15, false)).prop_map(|(a, b, c, d)| format!(
            "tos minsane {a} maxclock {b} orphan {c} maxdist {d} mindist {d}"
        )),
        decimal(86_399, false).prop_map(|d| format!("tos orphanwait {d} minclock 3")),
        proptest::sample::subsequence(
            vec![
                "=all",
                "+syncstatus",
                "-clockinfo",
                "sysevents",
                "allall",
                "peerstatistics"
            ],
            1..3
        )
        .prop_map(|v| format!("logconfig {}", v.join(" "))),
        proptest::sample::subsequence(
            vec![
                "loopstats",
                "peerstats",
                "clockstats",
                "rawstats",
                "sysstats"
            ],
            1..4
        )
        .prop_map(|v| format!("statistics {}", v.join(" "))),
        (
            prop_oneof![Just("loopstats"), Just("peerstats"), Just("clockstats")],
            "[a-z]{1,10}",
            prop_oneof![
                Just(""),
                Just(" type day"),
                Just(" type week"),
                Just(" type none")
            ],
            prop_oneof![Just(""), Just(" link"), Just(" nolink")],
            prop_oneof![Just(""), Just(" enable"), Just(" disable")],
        )
            .prop_map(|(n, f, t, l, e)| format!("filegen {n} file {f}{t}{l}{e}")),
        (
            "[a-z][a-z0-9_]{0,10}",
            "[a-zA-Z0-9 ,.@]{0,30}",
            any::<bool>()
        )
            .prop_map(|(n, v, d)| {
                format!("setvar {n} = \"{v}\"{}", if d { " default" } else { "" })
            }),
        proptest::sample::subsequence(
            vec!["auth", "bclient", "kernel", "monitor", "ntp", "stats"],
            1..3
        )
        .prop_map(|v| format!("enable {}", v.join(" "))),
        proptest::sample::subsequence(vec!["auth", "calibrate", "kernel", "mode7", "stats"], 1..3)
            .prop_map(|v| format!("disable {}", v.join(" "))),
        (
            prop_oneof![Just("listen"), Just("ignore"), Just("drop")],
            prop_oneof![
                Just("all".to_string()),
                Just("ipv6".to_string()),
                Just("eth0".to_string()),
                ipv4(),
                ipv6()
            ]
        )
            .prop_map(|(a, t)| format!("interface {a} {t}")),
        Just("refclock local stratum 10 minpoll 3 maxpoll 3".to_string()),
        (1u8..=3, 0u8..=4).prop_map(|(u, s)| format!("refclock nmea unit {u} prefer time2 0.{s}")),
        Just("monitor yes".to_string()),
        Just("   # just a comment".to_string()),
        Just(String::new()),
    ]
}

fn line() -> impl Strategy<Value = String> {
    prop_oneof![4 => association(), 2 => fudge(), 2 => restrict(), 4 => other()]
}

fn lines() -> impl Strategy<Value = String> {
    proptest::collection::vec(line(), 0..24).prop_map(|v| v.join("\n"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn parse_emit_parse_is_identity(text in lines()) {
        let first = match parse::<16, 32, 16>(&text) {
            Ok(p) => p.config,
            // Only capacities may reject generated text.
            Err(e) => {
                prop_assert!(matches!(e.kind, sundial::config::ErrorKind::TooMany { .. }), "{e}\n{text}");
                return Ok(());
            }
        };
        let emitted = first.to_string();
        let second = parse::<16, 32, 16>(&emitted);
        prop_assert!(second.is_ok(), "{:?}\n--- emitted:\n{emitted}", second.err());
        let second = second.unwrap();
        // Only the cross-check warnings can appear in emitted text (never obsolete or ignored lines).
        let cross_check_only = second.warnings.as_slice().iter().all(|w| {
            matches!(w.kind, WarningKind::UntrustedKey { .. } | WarningKind::FudgeWithoutServer { .. })
        });
        prop_assert!(cross_check_only);
        prop_assert_eq!(&second.config, &first, "emitted:\n{}", emitted);
        prop_assert_eq!(second.config.to_string(), emitted);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        let _ = parse::<4, 4, 4>(&text);
        let _ = parse_keys::<4>(&text);
    }

    #[test]
    fn keys_read_back(
        id in 1u32..=65535,
        alg in prop_oneof![Just(Algorithm::Md5), Just(Algorithm::Sha1), Just(Algorithm::Aes128Cmac)],
        material in proptest::collection::vec(any::<u8>(), 1..=32),
        spelling in 0u8..3,
    ) {
        let material = if alg == Algorithm::Aes128Cmac { material.iter().cycle().take(16).copied().collect() } else { material };
        let hex: String = material.iter().map(|b| format!("{b:02x}")).collect();
        let name = match (alg, spelling) {
            (Algorithm::Md5, 0) => "M",
            (Algorithm::Md5, _) => "md5",
            (Algorithm::Sha1, _) => "SHA1",
            (Algorithm::Aes128Cmac, 0) => "AES128CMAC",
            (Algorithm::Aes128Cmac, 1) => "aes-128",
            (Algorithm::Aes128Cmac, _) => "AES128",
        };
        let key_text = match spelling {
            2 => format!("HEX:{}", hex.to_uppercase()),
            _ if hex.len() > 20 => hex.clone(),
            _ => format!("HEX:{hex}"),
        };
        let line = format!("{id} {name} {key_text}   # comment");
        let expected = Key::new(KeyId(id), alg, &material).unwrap();
        prop_assert_eq!(parse_key_line(&line).unwrap(), Some(KeyLine::Key(expected)));
    }
}

/// Found by the `config_ntpconf` fuzz target: a PPS path set (by `ppspath`) before the time code
/// path (by a later `device` line) parsed to a configuration that differed from the one read
/// back from its own emitted text (the overrides were stored in line order).
#[test]
fn device_paths_round_trip_whatever_the_line_order() {
    let text = "refclock nmea unit 0 mode 16 path \"/dev/serial/by-id/u-blox GNSS\" ppspath /dev/pps1 flag1 1\n\
                device 127.127.20.0 timedata /dev/ttyAMA0\n";
    let parsed = parse::<8, 8, 8>(text).expect("parses");
    let emitted = parsed.config.to_string();
    let again = parse::<8, 8, 8>(&emitted).expect("emitted text parses");
    assert_eq!(again.config, parsed.config, "emitted:\n{emitted}");
}
