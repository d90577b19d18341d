//! The system variables as mode 6 READVAR (association 0) shows them.
//!
//! Owns ntpd's names for the system variables, their order in a full
//! listing (ntpsec's, so `ntpq -c rv` looks as it does against ntpsec) and
//! the format of each value. The values come from [`SystemVariables`].

use crate::control::format::{HexTimestamp, Millis, Ppm, Quoted, RefIdText};
use crate::control::text::DataWriter;
use crate::server::SystemVariables;
use crate::time::{NtpTime, NtpTimestamp};

/// The system variable names, in the order a full READVAR lists them.
pub const SYSTEM_VARIABLES: [&str; 19] = [
    "leap",
    "stratum",
    "precision",
    "rootdelay",
    "rootdisp",
    "refid",
    "reftime",
    "tc",
    "peer",
    "offset",
    "frequency",
    "sys_jitter",
    "clk_jitter",
    "clock",
    "processor",
    "system",
    "version",
    "clk_wander",
    "mintc",
];

/// Writes system variable `name` as `name=value`; `now` is the local time
/// (`clock=`). Returns `false` (writing nothing) for an unknown name.
pub fn write_system_variable(
    w: &mut DataWriter<'_>,
    name: &str,
    sys: &SystemVariables,
    now: NtpTime,
) -> bool {
    let reftime = sys
        .reference_time
        .map_or(NtpTimestamp::ZERO, NtpTime::to_timestamp);
    match name {
        "leap" => w.var(name, sys.leap.to_bits()),
        "stratum" => w.var(name, sys.stratum),
        "precision" => w.var(name, sys.precision),
        "rootdelay" => w.var(name, Millis(sys.root_delay, 3)),
        "rootdisp" => w.var(name, Millis(sys.root_dispersion, 3)),
        "refid" => w.var(name, RefIdText::for_stratum(sys.refid, sys.stratum, false)),
        "reftime" => w.var(name, HexTimestamp(reftime)),
        "tc" => w.var(name, sys.time_constant),
        "peer" => w.var(name, sys.peer),
        "offset" => w.var(name, Millis(sys.offset, 6)),
        "frequency" => w.var(name, Ppm(sys.frequency)),
        "sys_jitter" => w.var(name, Millis(sys.system_jitter, 6)),
        "clk_jitter" => w.var(name, Millis(sys.clock_jitter, 6)),
        "clock" => w.var(name, HexTimestamp(now.to_timestamp())),
        "processor" => w.var(name, Quoted(sys.processor)),
        "system" => w.var(name, Quoted(sys.system)),
        "version" => w.var(name, Quoted(sys.version)),
        "clk_wander" => w.var(name, Ppm(sys.clock_wander)),
        "mintc" => w.var(name, sys.min_time_constant),
        _ => return false,
    }
    true
}
