//! Peer (association) and reference clock variables as mode 6 shows them.
//!
//! Owns the [`PeerVariables`] / [`ClockVariables`] records the system fills
//! from its associations and refclocks, the [`PeerSource`] trait through
//! which the responder finds them, ntpd's variable names, their order in a
//! full listing (ntpsec's) and the format of each value. It never looks
//! inside an association: the system copies the values out.

use core::net::SocketAddr;

use crate::control::format::{Address, FilterArray, Hex, HexTimestamp, Millis, Quoted, RefIdText};
use crate::control::status::PeerStatus;
use crate::control::text::DataWriter;
use crate::time::{NtpDuration, NtpTimestamp};
use crate::wire::{LeapIndicator, RefId};

/// Stages of the clock filter register shown in `filtdelay` etc.
pub const FILTER_STAGES: usize = 8;

/// One association as ntpq sees it (`ntpq -p`, `ntpq -c "rv N"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerVariables<'a> {
    /// Association ID (non-zero).
    pub association_id: u16,
    /// Peer status word contents.
    pub status: PeerStatus,
    /// Remote address and port (`srcadr`, `srcport`). Reference clocks use
    /// ntpd's pseudo address `127.127.<type>.<unit>` so ntpq shows them as such.
    pub source: SocketAddr,
    /// Local address and port the association uses (`dstadr`, `dstport`).
    pub destination: Option<SocketAddr>,
    /// Host name or clock name shown instead of the address (`srchost`).
    pub host_name: Option<&'a str>,
    /// Whether this is a reference clock (refid shown as text).
    pub is_refclock: bool,
    /// Remote leap indicator.
    pub leap: LeapIndicator,
    /// Remote stratum.
    pub stratum: u8,
    /// Remote precision, log2 s.
    pub precision: i8,
    /// Remote root delay, s.
    pub root_delay: NtpDuration,
    /// Remote root dispersion, s.
    pub root_dispersion: NtpDuration,
    /// Remote reference ID, network order.
    pub refid: RefId,
    /// Remote reference time.
    pub reference_time: NtpTimestamp,
    /// Local time the last packet was received (`rec`).
    pub received: NtpTimestamp,
    /// Local time the last packet was sent (`xmt`).
    pub transmitted: NtpTimestamp,
    /// Reach register, 8 bits, newest poll in bit 0.
    pub reach: u8,
    /// Polls since the last reply (`unreach`).
    pub unreach: u32,
    /// Our mode towards the peer (`hmode`, NTP mode number 1–5).
    pub host_mode: u8,
    /// The peer's mode in its last packet (`pmode`).
    pub peer_mode: u8,
    /// Our poll interval, log2 s (`hpoll`).
    pub host_poll: i8,
    /// The peer's poll interval, log2 s (`ppoll`).
    pub peer_poll: i8,
    /// Headway (rate limiting of our own transmissions), s.
    pub headway: u32,
    /// Flash bits: failed packet tests of the last packet (`flash`, ntpd's bits).
    pub flash: u16,
    /// Key ID used with this peer, 0 for none (`keyid`).
    pub key_id: u32,
    /// Clock offset, s (`offset`; positive = the peer is ahead).
    pub offset: NtpDuration,
    /// Round-trip delay, s.
    pub delay: NtpDuration,
    /// Dispersion, s.
    pub dispersion: NtpDuration,
    /// Jitter, s.
    pub jitter: NtpDuration,
    /// Clock filter delays, most recent first, s.
    pub filter_delay: [NtpDuration; FILTER_STAGES],
    /// Clock filter offsets, most recent first, s.
    pub filter_offset: [NtpDuration; FILTER_STAGES],
    /// Clock filter dispersions, most recent first, s.
    pub filter_dispersion: [NtpDuration; FILTER_STAGES],
}

/// A reference clock's driver variables (mode 6 READCLOCK, `ntpq -c cv`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockVariables<'a> {
    /// Driver type number (ntpd numbering: 1 local, 20 NMEA, 22 PPS, 8 parse...).
    pub driver_type: u8,
    /// Last timecode received, as text (`timecode`).
    pub timecode: &'a str,
    /// Polls (`poll`).
    pub polls: u32,
    /// Polls without a reply (`noreply`).
    pub no_reply: u32,
    /// Timecodes with bad format (`badformat`).
    pub bad_format: u32,
    /// Timecodes with bad data (`baddata`).
    pub bad_data: u32,
    /// Fudge time 1 (`fudgetime1`), s.
    pub fudge_time1: NtpDuration,
    /// Fudge time 2 (`fudgetime2`), s.
    pub fudge_time2: NtpDuration,
    /// Stratum the clock claims (`stratum`).
    pub stratum: u8,
    /// Reference ID the clock uses (`refid`), ASCII.
    pub refid: RefId,
    /// Driver flag bits (`flags`).
    pub flags: u8,
    /// Device description (`device`).
    pub device: &'a str,
}

/// Where the responder finds associations. The system implements it over
/// its association table; indices are dense from 0.
pub trait PeerSource {
    /// Number of associations.
    fn peer_count(&self) -> usize;
    /// The association at `index` (0-based), if any.
    fn peer(&self, index: usize) -> Option<PeerVariables<'_>>;
    /// The reference clock variables of the association at `index`, if it
    /// is a reference clock.
    fn clock(&self, _index: usize) -> Option<ClockVariables<'_>> {
        None
    }
    /// Index of the association with ID `association_id`.
    fn find(&self, association_id: u16) -> Option<usize> {
        (0..self.peer_count()).find(|&i| {
            self.peer(i)
                .is_some_and(|p| p.association_id == association_id)
        })
    }
}

/// No associations (a pure server).
impl PeerSource for () {
    fn peer_count(&self) -> usize {
        0
    }
    fn peer(&self, _index: usize) -> Option<PeerVariables<'_>> {
        None
    }
}

/// A slice of prepared records.
impl PeerSource for [PeerVariables<'_>] {
    fn peer_count(&self) -> usize {
        self.len()
    }
    fn peer(&self, index: usize) -> Option<PeerVariables<'_>> {
        self.get(index).copied()
    }
}

/// Peer variable names, in the order a full READVAR lists them (`srchost`
/// is listed only when known). `status` (the peer status word in hex) may
/// also be asked for by name.
pub const DEFAULT_PEER_VARIABLES: [&str; 30] = [
    "srcadr",
    "srcport",
    "dstadr",
    "dstport",
    "leap",
    "hmode",
    "stratum",
    "ppoll",
    "hpoll",
    "precision",
    "rootdelay",
    "rootdisp",
    "refid",
    "reftime",
    "rec",
    "xmt",
    "reach",
    "unreach",
    "delay",
    "offset",
    "jitter",
    "dispersion",
    "keyid",
    "filtdelay",
    "filtoffset",
    "pmode",
    "filtdisp",
    "flash",
    "headway",
    "srchost",
];

/// Writes peer variable `name` of `p`. Returns `false` for an unknown name
/// (and for `srchost` when the peer has none).
pub fn write_peer_variable(w: &mut DataWriter<'_>, name: &str, p: &PeerVariables<'_>) -> bool {
    let dst = p.destination;
    match name {
        "srcadr" => w.var(name, Address(p.source.ip())),
        "srcport" => w.var(name, p.source.port()),
        "dstadr" => match dst {
            Some(d) => w.var(name, Address(d.ip())),
            None => w.var(name, "0.0.0.0"),
        },
        "dstport" => w.var(name, dst.map_or(0, |d| d.port())),
        "leap" => w.var(name, p.leap.to_bits()),
        "hmode" => w.var(name, p.host_mode),
        "stratum" => w.var(name, p.stratum),
        "ppoll" => w.var(name, p.peer_poll),
        "hpoll" => w.var(name, p.host_poll),
        "precision" => w.var(name, p.precision),
        "rootdelay" => w.var(name, Millis(p.root_delay, 3)),
        "rootdisp" => w.var(name, Millis(p.root_dispersion, 3)),
        "refid" => w.var(
            name,
            RefIdText::for_stratum(p.refid, p.stratum, p.is_refclock),
        ),
        "reftime" => w.var(name, HexTimestamp(p.reference_time)),
        "rec" => w.var(name, HexTimestamp(p.received)),
        "xmt" => w.var(name, HexTimestamp(p.transmitted)),
        "reach" => w.var(name, Hex(u32::from(p.reach))),
        "unreach" => w.var(name, p.unreach),
        "delay" => w.var(name, Millis(p.delay, 6)),
        "offset" => w.var(name, Millis(p.offset, 6)),
        "jitter" => w.var(name, Millis(p.jitter, 6)),
        "dispersion" => w.var(name, Millis(p.dispersion, 6)),
        "keyid" => w.var(name, p.key_id),
        "filtdelay" => w.var(name, FilterArray(&p.filter_delay)),
        "filtoffset" => w.var(name, FilterArray(&p.filter_offset)),
        "pmode" => w.var(name, p.peer_mode),
        "filtdisp" => w.var(name, FilterArray(&p.filter_dispersion)),
        "flash" => w.var(name, Hex(u32::from(p.flash))),
        "headway" => w.var(name, p.headway),
        // A reference clock is known by its driver's name, `GPS_NMEA(0)`
        // (ntpd sends it as srchost; ntpq shows it instead of 127.127.T.U).
        "srchost" => match (p.host_name, refclock_name(p)) {
            (Some(h), _) => w.var(name, Quoted(h)),
            (None, Some(clock)) => w.var(name, format_args!("\"{clock}\"")),
            (None, None) => return false,
        },
        "status" => w.var(name, Hex(u32::from(p.status.to_bits()))),
        _ => return false,
    }
    true
}

/// The driver name of a reference clock peer (from its `127.127.T.U` address).
fn refclock_name(p: &PeerVariables<'_>) -> Option<crate::refclock::id::RefclockName> {
    if !p.is_refclock {
        return None;
    }
    crate::refclock::RefclockId::from_ip(p.source.ip())?.name()
}

/// Reference clock variable names, in listing order.
pub const CLOCK_VARIABLES: [&str; 12] = [
    "type",
    "timecode",
    "poll",
    "noreply",
    "badformat",
    "baddata",
    "fudgetime1",
    "fudgetime2",
    "stratum",
    "refid",
    "flags",
    "device",
];

/// Writes clock variable `name` of `c`. Returns `false` for an unknown name.
pub fn write_clock_variable(w: &mut DataWriter<'_>, name: &str, c: &ClockVariables<'_>) -> bool {
    match name {
        "type" => w.var(name, c.driver_type),
        "timecode" => w.var(name, Quoted(c.timecode)),
        "poll" => w.var(name, c.polls),
        "noreply" => w.var(name, c.no_reply),
        "badformat" => w.var(name, c.bad_format),
        "baddata" => w.var(name, c.bad_data),
        "fudgetime1" => w.var(name, Millis(c.fudge_time1, 3)),
        "fudgetime2" => w.var(name, Millis(c.fudge_time2, 3)),
        "stratum" => w.var(name, c.stratum),
        "refid" => w.var(
            name,
            RefIdText {
                bytes: c.refid.to_bytes(),
                as_address: false,
            },
        ),
        "flags" => w.var(name, Hex(u32::from(c.flags))),
        "device" => w.var(name, Quoted(c.device)),
        _ => return false,
    }
    true
}
