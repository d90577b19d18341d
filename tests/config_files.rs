//! Realistic ntp.conf and keys files (tests/data/conf/) parsed with their values checked,
//! and the exact errors for broken files.

use core::net::{IpAddr, Ipv4Addr};

use sundial::auth::{Algorithm, Key, KeyId};
use sundial::config::{
    Address, AddressFamily, AssociationFlags, AssociationKind, DefaultConfig, Error, ErrorKind,
    FileGenType, InterfaceAction, InterfaceTarget, LineReader, LogClass, LogOp, LogType, Parsed,
    Parser, RefclockId, RestrictFlags, RestrictTarget, StatsKinds, SystemFlags, WarningKind, parse,
    parse_keys,
};
use sundial::time::{Frequency, NtpDuration, PollInterval};

fn load(text: &str) -> Parsed<16, 32, 16> {
    match parse::<16, 32, 16>(text) {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    }
}

fn err(text: &str) -> Error {
    parse::<16, 32, 16>(text).expect_err("should not parse")
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn secs(s: &str) -> NtpDuration {
    NtpDuration::parse_decimal_seconds(s).unwrap()
}

fn host(a: &Address) -> &str {
    match a {
        Address::Host(h) => h.as_str(),
        other => panic!("not a host name: {other:?}"),
    }
}

/// Parse, emit, parse again: the same configuration.
fn round_trips(config: &DefaultConfig) {
    let text = config.to_string();
    let again = load(&text);
    assert_eq!(&again.config, config, "emitted:\n{text}");
}

#[test]
fn workstation() {
    let p = load(include_str!("data/conf/workstation.conf"));
    let c = &p.config;
    assert!(p.warnings.is_empty());
    assert_eq!(c.driftfile.as_deref(), Some("/var/lib/ntp/ntp.drift"));
    assert_eq!(c.associations.len(), 3);
    assert!(
        c.associations
            .iter()
            .all(|a| a.kind == AssociationKind::Server)
    );
    assert!(
        c.associations
            .iter()
            .all(|a| a.options.flags.contains(AssociationFlags::IBURST))
    );
    assert_eq!(host(&c.associations[0].address), "ntp1.example.net");
    assert_eq!(c.associations[1].address, Address::Ip(ip("192.168.1.10")));
    assert!(
        c.associations[1]
            .options
            .flags
            .contains(AssociationFlags::PREFER)
    );
    let v6 = &c.associations[2];
    assert_eq!(v6.address, Address::Ip(ip("2001:db8::123")));
    assert_eq!(v6.options.minpoll, Some(PollInterval::from_log2(4)));
    assert_eq!(v6.options.maxpoll, Some(PollInterval::from_log2(8)));
    assert_eq!(c.restrictions.len(), 3);
    assert_eq!(c.restrictions[0].target, RestrictTarget::Default(None));
    assert_eq!(
        c.restrictions[0].flags,
        RestrictFlags::KOD
            | RestrictFlags::LIMITED
            | RestrictFlags::NOMODIFY
            | RestrictFlags::NOPEER
            | RestrictFlags::NOQUERY
            | RestrictFlags::NOTRAP
    );
    assert!(c.restrictions[1].flags.is_empty());
    round_trips(c);
}

#[test]
fn raspberry_pi_gps_pps_devices() {
    use sundial::config::DeviceRole::{PpsData, TimeData};
    let p = load(include_str!("data/conf/raspberry-pi-gps-pps.conf"));
    assert!(p.warnings.as_slice().is_empty(), "{:?}", p.warnings);
    let c = &p.config;
    let gps = RefclockId {
        driver: 20,
        unit: 0,
    };
    let pps = RefclockId {
        driver: 22,
        unit: 0,
    };
    let usb = RefclockId {
        driver: 20,
        unit: 1,
    };
    assert_eq!(c.associations.len(), 3);
    assert_eq!(c.associations[0].options.mode, Some(17));
    assert_eq!(c.associations[2].address, Address::Refclock(usb));
    assert_eq!(c.associations[2].options.mode, Some(16));
    assert_eq!(c.devices.get(gps, TimeData), Some("/dev/ttyAMA0"));
    assert_eq!(c.devices.get(gps, PpsData), None);
    assert_eq!(c.devices.get(pps, PpsData), Some("/dev/pps0"));
    assert_eq!(
        c.devices.get(usb, TimeData),
        Some("/dev/serial/by-id/usb-u-blox GNSS-if00")
    );
    assert_eq!(c.devices.get(usb, PpsData), Some("/dev/pps1"));
    assert_eq!(c.fudge(usb).unwrap().flags[0], Some(true));
    assert_eq!(c.fudge(gps).unwrap().time2.unwrap().as_millis(), 130);
    round_trips(c);
    // What the host opens: the overrides, the line from the mode.
    let none = sundial::config::DevicePaths::new();
    let name = |id, d: &sundial::config::DevicePaths| {
        sundial::refclock::device::time_code_device(id, d).map(|n| n.to_string())
    };
    assert_eq!(name(gps, &c.devices).as_deref(), Some("/dev/ttyAMA0"));
    assert_eq!(name(gps, &none).as_deref(), Some("/dev/gps0"));
    let clock = sundial::refclock::Refclock::new(gps, 17, sundial::refclock::Fudge::NONE).unwrap();
    assert_eq!(clock.serial_settings().map(|s| s.baud), Some(9600));
}

#[test]
fn meinberg_gps_dcf77() {
    let p = load(include_str!("data/conf/meinberg-gps-dcf77.conf"));
    let c = &p.config;
    let gps = RefclockId { driver: 8, unit: 0 };
    let dcf = RefclockId { driver: 8, unit: 1 };
    let local = RefclockId { driver: 1, unit: 0 };
    let addrs: Vec<_> = c.associations.iter().map(|a| a.address.clone()).collect();
    assert_eq!(
        addrs,
        [
            Address::Refclock(gps),
            Address::Refclock(dcf),
            Address::Refclock(local)
        ]
    );
    assert_eq!(c.associations[0].options.mode, Some(2));
    assert!(
        c.associations[0]
            .options
            .flags
            .contains(AssociationFlags::PREFER)
    );
    assert_eq!(c.associations[1].options.mode, Some(7));
    assert!(
        c.associations[1]
            .options
            .flags
            .contains(AssociationFlags::NOSELECT)
    );
    assert_eq!(c.associations[2].options.mode, None);

    let f = c.fudge(gps).unwrap();
    assert_eq!(f.time1, Some(secs("0.0042")));
    assert_eq!(f.time1.unwrap().as_micros(), 4200);
    assert_eq!(f.refid.unwrap().to_bytes(), *b"GPS\0");
    let f = c.fudge(dcf).unwrap();
    assert_eq!(f.time1.unwrap().as_micros(), 250);
    assert_eq!(f.flags, [Some(false), None, None, None]);
    assert_eq!(f.refid.unwrap().as_str(), "DCFp");
    let f = c.fudge(local).unwrap();
    assert_eq!(f.stratum, Some(12));
    assert_eq!(f.time1, None);

    assert_eq!(c.statsdir.as_deref(), Some("/var/log/ntp/"));
    assert_eq!(c.statistics, StatsKinds::LOOPSTATS | StatsKinds::CLOCKSTATS);
    assert_eq!(c.filegens.len(), 2);
    assert_eq!(c.filegens[1].stats, StatsKinds::CLOCKSTATS);
    assert_eq!(c.filegens[1].kind, Some(FileGenType::Day));
    assert_eq!(c.filegens[1].enable, Some(true));
    round_trips(c);
}

#[test]
fn stratum2_with_peers_keys_and_broadcast() {
    let c = load(include_str!("data/conf/stratum2-peers.conf")).config;
    assert_eq!(c.driftfile.as_deref(), Some("/var/lib/ntp/drift"));
    assert_eq!(c.keys_file.as_deref(), Some("/etc/ntp/keys"));
    assert_eq!(c.trusted_keys.as_slice(), [KeyId(1), KeyId(2), KeyId(15)]);
    assert_eq!(c.request_key, Some(KeyId(65534)));
    assert_eq!(c.control_key, Some(KeyId(65535)));
    let peers: Vec<_> = c
        .associations
        .iter()
        .filter(|a| a.kind == AssociationKind::Peer)
        .collect();
    assert_eq!(peers.len(), 4);
    assert_eq!(peers[0].address, Address::Ip(ip("10.0.1.2")));
    assert_eq!(peers[2].options.version, Some(3));
    assert_eq!(peers[2].options.key, Some(KeyId(15)));
    assert_eq!(peers[3].options.maxpoll, Some(PollInterval::DEFAULT_MAX));
    let b = c.associations.last().unwrap();
    assert_eq!(b.kind, AssociationKind::Broadcast);
    assert_eq!(
        b.address,
        Address::Ip(IpAddr::V4(Ipv4Addr::new(10, 0, 246, 255)))
    );
    assert_eq!((b.options.key, b.options.ttl), (Some(KeyId(2)), Some(4)));
    assert_eq!(
        c.restrictions[1].target,
        RestrictTarget::Address {
            address: ip("10.0.0.0"),
            mask: Some(ip("255.0.0.0"))
        }
    );
    round_trips(&c);
}

#[test]
fn stratum3_broadcast_client() {
    let c = load(include_str!("data/conf/stratum3-broadcast.conf")).config;
    assert_eq!(c.broadcast_client, Some(true));
    assert_eq!(c.broadcast_delay, Some(NtpDuration::from_millis(50)));
    assert!(c.associations.is_empty());
    assert_eq!(c.enable, SystemFlags::AUTH | SystemFlags::BCLIENT);
    assert_eq!(c.disable, SystemFlags::MONITOR);
    round_trips(&c);
}

#[test]
fn restrict_policy() {
    let c = load(include_str!("data/conf/restrict-policy.conf")).config;
    let r = &c.restrictions;
    assert_eq!(r.len(), 10);
    assert_eq!(r[0].target, RestrictTarget::Default(None));
    assert_eq!(r[0].flags, RestrictFlags::NOTRUST | RestrictFlags::NOMODIFY);
    assert_eq!(
        r[1].target,
        RestrictTarget::Default(Some(AddressFamily::V6))
    );
    assert_eq!(
        r[2].target,
        RestrictTarget::Address {
            address: ip("127.0.0.1"),
            mask: None
        }
    );
    assert_eq!(
        r[4].target,
        RestrictTarget::Address {
            address: ip("10.1.0.0"),
            mask: Some(ip("255.255.0.0"))
        }
    );
    assert_eq!(r[4].flags, RestrictFlags::NOMODIFY);
    assert_eq!(
        r[5].target,
        RestrictTarget::Address {
            address: ip("172.16.0.0"),
            mask: Some(ip("255.240.0.0"))
        }
    );
    // The CIDR shorthand becomes a mask.
    assert_eq!(
        r[6].target,
        RestrictTarget::Address {
            address: ip("192.168.100.0"),
            mask: Some(ip("255.255.255.0"))
        }
    );
    assert_eq!(
        r[7].target,
        RestrictTarget::Address {
            address: ip("2001:db8:100::"),
            mask: Some(ip("ffff:ffff:ffff:ffff::"))
        }
    );
    assert_eq!(r[8].target, RestrictTarget::Source);
    assert_eq!(r[9].flags, RestrictFlags::IGNORE);
    round_trips(&c);
}

#[test]
fn tuning_logging_setvar() {
    let c = load(include_str!("data/conf/tuning-and-logging.conf")).config;
    assert_eq!(c.precision, Some(-6));
    assert_eq!(c.tinker.step, Some(NtpDuration::from_millis(400)));
    assert_eq!(c.tinker.stepout, Some(NtpDuration::from_seconds(600)));
    assert_eq!(c.tinker.panic, Some(NtpDuration::ZERO));
    assert_eq!(c.tinker.freq, Some(Frequency::from_ppb(12_500)));
    assert_eq!(c.tinker.huffpuff, Some(NtpDuration::from_seconds(7200)));
    assert_eq!(c.tinker.allan, None);
    let t = &c.tos;
    assert_eq!(
        (t.minsane, t.minclock, t.maxclock, t.orphan),
        (Some(2), Some(4), Some(8), Some(10))
    );
    assert_eq!(t.orphanwait, Some(NtpDuration::from_seconds(30)));
    assert_eq!(t.mindist, Some(NtpDuration::from_millis(10)));
    assert_eq!(t.maxdist, Some(NtpDuration::from_millis(2500)));
    assert_eq!(c.logfile.as_deref(), Some("/var/log/ntp.log"));
    let items: Vec<_> = c
        .logconfig
        .iter()
        .map(|i| (i.op, i.class, i.kind))
        .collect();
    assert_eq!(
        items,
        [
            (LogOp::Plain, LogClass::All, LogType::All),
            (LogOp::Set, LogClass::Sync, LogType::All),
            (LogOp::Add, LogClass::Clock, LogType::Info),
            (LogOp::Remove, LogClass::Peer, LogType::Events),
        ]
    );
    assert_eq!(c.setvars.len(), 2);
    assert_eq!(
        (c.setvars[0].name.as_str(), c.setvars[0].value.as_str()),
        ("location", "rack 4, room 2")
    );
    assert!(c.setvars[0].default);
    assert_eq!(
        (c.setvars[1].value.as_str(), c.setvars[1].default),
        ("ops@example.com", false)
    );
    assert_eq!(c.interfaces[0].action, InterfaceAction::Listen);
    assert_eq!(
        c.interfaces[0].target,
        InterfaceTarget::Name("eth0".try_into().unwrap())
    );
    assert_eq!(c.interfaces[1].target, InterfaceTarget::Ipv6);
    assert_eq!(
        (c.enable, c.disable),
        (SystemFlags::STATS, SystemFlags::KERNEL)
    );
    round_trips(&c);
}

#[test]
fn legacy_ntpd3_file_loads_with_warnings() {
    let p = load(include_str!("data/conf/legacy-ntpd3.conf"));
    assert_eq!(p.config.associations.len(), 1);
    assert_eq!(p.config.associations[0].options.version, Some(2));
    let w: Vec<_> = p
        .warnings
        .as_slice()
        .iter()
        .map(|w| (w.line, w.kind.clone()))
        .collect();
    assert_eq!(
        w,
        [
            (
                3,
                WarningKind::Obsolete {
                    directive: "authenticate"
                }
            ),
            (
                4,
                WarningKind::Obsolete {
                    directive: "monitor"
                }
            ),
            (
                5,
                WarningKind::Obsolete {
                    directive: "resolver"
                }
            ),
            (
                6,
                WarningKind::Obsolete {
                    directive: "authdelay"
                }
            ),
            (
                9,
                WarningKind::Ignored {
                    directive: "manycastserver",
                    reason: "manycast and multicast client modes are not supported",
                }
            ),
        ]
    );
    assert_eq!(
        p.warnings.as_slice()[0].to_string(),
        "line 3, column 1: warning: `authenticate` is an obsolete ntpd 3 directive; ignored"
    );
}

#[test]
fn ntpsec_peer_template() {
    let c = load(include_str!("data/conf/ntpsec-server.conf")).config;
    assert_eq!(c.logfile.as_deref(), Some("/tmp/sundial-peer/ntpd.log"));
    assert_eq!(c.statsdir.as_deref(), Some("/tmp/sundial-peer/"));
    assert_eq!(c.interfaces.len(), 3);
    assert_eq!(
        (c.interfaces[0].action, &c.interfaces[0].target),
        (InterfaceAction::Ignore, &InterfaceTarget::All)
    );
    assert_eq!(
        c.interfaces[2].target,
        InterfaceTarget::Address(ip("::1"), None)
    );
    assert_eq!(c.disable, SystemFlags::KERNEL);
    let local = RefclockId { driver: 1, unit: 0 };
    assert_eq!(c.associations[0].address, Address::Refclock(local));
    assert_eq!(
        c.associations[0].options.minpoll,
        Some(PollInterval::from_log2(3))
    );
    assert_eq!(c.fudge(local).unwrap().stratum, Some(10));
    assert_eq!(c.tos.orphanwait, Some(NtpDuration::ONE_SECOND));
    assert_eq!(c.keys_file.as_deref(), Some("/tmp/sundial-peer/ntp.keys"));
    assert_eq!(
        c.trusted_keys.as_slice(),
        [KeyId(1), KeyId(2), KeyId(3), KeyId(4)]
    );
    assert_eq!(c.control_key, Some(KeyId(1)));
    assert_eq!(c.restrictions[0].flags, RestrictFlags::IGNORE);
    assert_eq!(
        c.restrictions[2].target,
        RestrictTarget::Address {
            address: ip("::1"),
            mask: None
        }
    );
    round_trips(&c);
}

#[test]
fn debian_ntpsec_default() {
    let c = load(include_str!("data/conf/debian-ntpsec.conf")).config;
    assert_eq!(c.driftfile.as_deref(), Some("/var/lib/ntpsec/ntp.drift"));
    assert_eq!(
        c.leapfile.as_deref(),
        Some("/usr/share/zoneinfo/leap-seconds.list")
    );
    // Two `tos` lines accumulate.
    assert_eq!(
        (c.tos.maxclock, c.tos.minclock, c.tos.minsane),
        (Some(11), Some(4), Some(3))
    );
    assert_eq!(c.associations.len(), 4);
    for (i, a) in c.associations.iter().enumerate() {
        assert_eq!(a.kind, AssociationKind::Pool);
        assert_eq!(host(&a.address), format!("{i}.debian.pool.ntp.org"));
        assert_eq!(a.options.flags, AssociationFlags::IBURST);
    }
    assert_eq!(
        c.restrictions[0].flags,
        RestrictFlags::KOD
            | RestrictFlags::NOMODIFY
            | RestrictFlags::NOPEER
            | RestrictFlags::NOQUERY
            | RestrictFlags::LIMITED
    );
    round_trips(&c);
}

#[test]
fn debian_ntp_428_default() {
    let c = load(include_str!("data/conf/debian-ntp-4.2.8.conf")).config;
    assert_eq!(
        c.statistics,
        StatsKinds::LOOPSTATS | StatsKinds::PEERSTATS | StatsKinds::CLOCKSTATS
    );
    assert_eq!(c.filegens.len(), 3);
    assert_eq!(c.associations.len(), 3);
    assert_eq!(c.associations[2].options.flags, AssociationFlags::empty());
    assert_eq!(
        c.restrictions[0].target,
        RestrictTarget::Default(Some(AddressFamily::V4))
    );
    assert_eq!(
        c.restrictions[1].target,
        RestrictTarget::Default(Some(AddressFamily::V6))
    );
    assert_eq!(c.restrictions[0].flags, c.restrictions[1].flags);
    assert_eq!(c.restrictions[4].target, RestrictTarget::Source);
    assert_eq!(
        (c.discard.average, c.discard.minimum, c.discard.monitor),
        (Some(4), Some(2), None)
    );
    round_trips(&c);
}

#[test]
fn ignored_and_unsupported_ntpd_directives() {
    let p = load("rlimit memlock 32\nmru maxdepth 600\nserver 10.0.0.1\n");
    assert_eq!(p.warnings.as_slice().len(), 2);
    assert_eq!(
        p.warnings.as_slice()[1].to_string(),
        "line 2, column 1: warning: `mru` is ignored: it tunes ntpd's own process"
    );
    assert_eq!(
        err("includefile /etc/ntp/extra.conf\n").to_string(),
        "line 1, column 1: `includefile`: including other files is not supported"
    );
    assert_eq!(
        err("server time.cloudflare.com nts\n").to_string(),
        "line 1, column 28: `nts`: Network Time Security (NTS) is not supported"
    );
}

#[test]
fn cross_check_warnings() {
    let text =
        "trustedkey 1\nserver 10.0.0.1 key 1\npeer 10.0.0.2 key 7\nfudge 127.127.20.0 time2 0.35\n";
    let p = load(text);
    let w: Vec<String> = p
        .warnings
        .as_slice()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        w,
        [
            "line 3, column 1: warning: key 7 is not listed in `trustedkey`; packets with it will not authenticate",
            "line 4, column 1: warning: `fudge 127.127.20.0` but no `server 127.127.20.0` line uses that clock",
        ]
    );
    assert!(
        load("server 127.127.20.0\nfudge 127.127.20.0 time2 0.35\n")
            .warnings
            .is_empty()
    );
}

#[test]
fn chrony_config_is_refused_with_a_hint() {
    let e = err(include_str!("data/conf/chrony-server.conf"));
    assert_eq!((e.line, e.column), (2, 1));
    assert_eq!(
        e.to_string(),
        "line 2, column 1: unknown directive `port` (a chrony.conf directive; sundial reads ntpd's ntp.conf syntax)"
    );
}

fn shared_keys() -> [Key; 3] {
    let sha1: Vec<u8> = (1..=20).collect();
    let aes: Vec<u8> = (0..16).collect();
    [
        Key::new(KeyId(1), Algorithm::Md5, b"secret").unwrap(),
        Key::new(KeyId(2), Algorithm::Sha1, &sha1).unwrap(),
        Key::new(KeyId(3), Algorithm::Aes128Cmac, &aes).unwrap(),
    ]
}

#[test]
fn shared_keys_in_both_syntaxes() {
    for text in [
        include_str!("data/conf/ntpsec.keys"),
        include_str!("data/conf/chrony.keys"),
    ] {
        let mut p = parse_keys::<8>(text).unwrap();
        assert_eq!(p.keys.len(), 3);
        for k in shared_keys() {
            assert_eq!(p.keys.get(k.id()), Some(&k));
        }
        let w = p.warnings.as_slice();
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].line, 5);
        assert_eq!(w[0].column, 3);
        assert!(
            matches!(&w[0].kind, WarningKind::UnsupportedKeyType { key: 4, algorithm } if algorithm.as_str().eq_ignore_ascii_case("sha256"))
        );
        // ntpsec-server.conf trusts 1 2 3 4: key 4 was skipped.
        assert_eq!(
            p.apply_trusted(&[KeyId(1), KeyId(2), KeyId(3), KeyId(4)]),
            Some(KeyId(4))
        );
        assert!(p.keys.is_trusted(KeyId(3)));
    }
}

#[test]
fn exact_errors() {
    let cases: [(&str, u32, u32, &str); 14] = [
        (
            "server a.example\n\n\n\n\n\nserver 10.0.0.1 maxpoll 18\n",
            7,
            25,
            "`maxpoll 18` is out of range 3..17",
        ),
        ("# c\nsrever 10.0.0.1\n", 2, 1, "unknown directive `srever`"),
        (
            "server 10.0.0.1 iburts\n",
            1,
            17,
            "`iburts` is not an option of `server`",
        ),
        ("  peer\n", 1, 7, "`peer` needs an address"),
        (
            "server 10.0.0.256\n",
            1,
            8,
            "`server 10.0.0.256`: `10.0.0.256` is neither an IP address nor a host name",
        ),
        (
            "fudge 127.127.1.0 stratum 16\n",
            1,
            27,
            "`stratum 16` is out of range 0..15",
        ),
        (
            "fudge 127.127.8.0 time1 0,0042\n",
            1,
            25,
            "`time1 0,0042`: `0,0042` is not a decimal number",
        ),
        (
            "requestkey 65536\n",
            1,
            12,
            "`requestkey 65536` is out of range 1..65535",
        ),
        (
            "broadcastdelay 2\n",
            1,
            16,
            "`broadcastdelay 2` is out of range 0..1",
        ),
        (
            "precision -6 x\n",
            1,
            14,
            "unexpected `x` after `precision`",
        ),
        ("logfile \"/var/log/ntp.log\n", 1, 9, "missing closing `\"`"),
        (
            "tinker freq 501\n",
            1,
            13,
            "`freq 501` is out of range -500..500",
        ),
        (
            "server 10.0.0.1 autokey\n",
            1,
            17,
            "`autokey`: Autokey is not supported",
        ),
        (
            "restrict ntp.example.org\n",
            1,
            10,
            "`ntp.example.org`: a host name in `restrict` (write the address) is not supported",
        ),
    ];
    for (text, line, column, message) in cases {
        let e = err(text);
        assert_eq!(
            (e.line, e.column, e.kind.to_string().as_str()),
            (line, column, message),
            "{text}"
        );
        assert_eq!(
            e.to_string(),
            format!("line {line}, column {column}: {message}")
        );
    }
}

#[test]
fn capacity_overflow_is_an_error() {
    let text = "server 10.0.0.1\nserver 10.0.0.2\nserver 10.0.0.3\n";
    let e = parse::<2, 4, 4>(text).unwrap_err();
    assert_eq!((e.line, e.column), (3, 1));
    assert!(matches!(e.kind, ErrorKind::TooMany { capacity: 2, .. }));
    assert_eq!(
        e.to_string(),
        "line 3, column 1: too many associations (server, peer, pool, broadcast, refclock) (this build has room for 2)"
    );
    let e = parse::<2, 1, 4>("restrict default\nrestrict source\n").unwrap_err();
    assert_eq!(e.line, 2);
    let e = parse::<2, 1, 2>("trustedkey 1 2 3\n").unwrap_err();
    assert_eq!(
        (e.line, e.column, e.kind.to_string()),
        (
            1,
            16,
            "too many trusted keys (this build has room for 2)".into()
        )
    );
}

#[test]
fn chunked_input_gives_the_same_result() {
    let text = include_str!("data/conf/meinberg-gps-dcf77.conf");
    let whole = load(text);
    for chunk_len in [1, 7, 64] {
        let mut reader = LineReader::<128>::new();
        let mut parser = Parser::<16, 32, 16>::new();
        for chunk in text.as_bytes().chunks(chunk_len) {
            reader.push(chunk, |l| parser.feed_line(l)).unwrap();
        }
        reader.finish(|l| parser.feed_line(l)).unwrap();
        assert_eq!(parser.finish(), whole);
    }
    // Errors keep their line numbers when chunked.
    let mut reader = LineReader::<64>::new();
    let mut parser = Parser::<4, 4, 4>::new();
    let e = reader
        .push(b"server 10.0.0.1\nserver x maxpoll 99\n", |l| {
            parser.feed_line(l)
        })
        .unwrap_err();
    assert_eq!((e.line, e.column), (2, 18));
}

#[test]
fn crlf_and_tabs() {
    let c = load("server\t10.0.0.1\tiburst\r\ndriftfile /d\r\n").config;
    assert_eq!(c.associations[0].address, Address::Ip(ip("10.0.0.1")));
    assert_eq!(c.driftfile.as_deref(), Some("/d"));
}
