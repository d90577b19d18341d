//! The querying side of mode 6 (what `ntpq` does with a response): putting
//! the fragments of one response back together, and reading its data as a
//! `name=value` list or an association list.
//!
//! Owns: deciding whether a fragment answers our request (response bit,
//! sequence, opcode), placing it by offset in the caller's buffer, knowing
//! when the response is whole, and refusing fragments that would overflow
//! the buffer, overlap what is held or contradict the response's end (ntpq's
//! CVE-2014-9295 / CVE-2018-7182 class lived here). A refused fragment
//! changes nothing: what was held stays. Also owns the data syntax a client
//! reads: items split at commas outside double quotes, `name=value` or a
//! bare `name`, values as ntpd prints them (hex timestamps, hex integers,
//! milliseconds). Does not own sending requests or timeouts (the caller's
//! loop) nor what the variables mean (see [`peer_vars`](super::peer_vars)).
//!
//! ```text
//! let mut asm = ResponseAssembler::new(&mut buf, Opcode::ReadVariables, seq);
//! loop {
//!     match asm.push(&ControlRepr::parse(recv())?) {
//!         Ok(Assembly::Complete(n)) => break,
//!         Ok(Assembly::Waiting) | Err(ResponseError::NotOurs) => continue,
//!         Err(e) => return Err(e),
//!     }
//! }
//! for v in Variables::new(asm.data().unwrap_or(&[])) { let v = v?; /* v.name, v.value */ }
//! ```

use core::fmt;

use heapless::Vec;

use super::ControlError;
use crate::time::{NtpDuration, NtpTimestamp, ParseDecimalError, decimal};
use crate::wire::{ControlRepr, Opcode};

/// Most fragments one response may arrive in (ntpq's limit too).
pub const MAX_FRAGMENTS: usize = 32;

/// Why a fragment was not taken into a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ResponseError {
    /// Not a response to this request (response bit clear, or another
    /// sequence number or opcode): ignore it and keep waiting.
    NotOurs,
    /// The server answered with the error bit set; the code is the high
    /// byte of the status word (codes above 7 read as `Unspecified`).
    Server(ControlError),
    /// The fragment's data would end at this many bytes, past the buffer.
    TooLong(usize),
    /// More than [`MAX_FRAGMENTS`] fragments with data.
    TooManyFragments,
    /// The fragment at this offset (bytes) overlaps data already held and
    /// is not a repeat of the same fragment.
    Overlap(u16),
    /// The fragment at this offset (bytes) contradicts the response's end:
    /// it lies past the end a last fragment set, or it is a last fragment
    /// whose end differs from the known one or lies before data held.
    BadEnd(u16),
}

impl fmt::Display for ResponseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResponseError::NotOurs => f.write_str("not a response to this request"),
            ResponseError::Server(e) => write!(f, "server error: {}", error_text(*e)),
            ResponseError::TooLong(n) => write!(f, "response data reaches {n} bytes, too long"),
            ResponseError::TooManyFragments => {
                write!(f, "response in more than {MAX_FRAGMENTS} fragments")
            }
            ResponseError::Overlap(o) => write!(f, "fragment at offset {o} overlaps another"),
            ResponseError::BadEnd(o) => {
                write!(f, "fragment at offset {o} contradicts the response's end")
            }
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ResponseError {}

/// RFC 9327's wording of a mode 6 error code.
pub const fn error_text(e: ControlError) -> &'static str {
    match e {
        ControlError::Unspecified => "unspecified error",
        ControlError::Permission => "authentication failure",
        ControlError::BadFormat => "invalid message length or format",
        ControlError::BadOpcode => "invalid opcode",
        ControlError::BadAssociation => "unknown association id",
        ControlError::UnknownVariable => "unknown variable name",
        ControlError::BadValue => "invalid variable value",
        ControlError::Restricted => "administratively prohibited",
    }
}

const fn control_error(code: u8) -> ControlError {
    match code {
        1 => ControlError::Permission,
        2 => ControlError::BadFormat,
        3 => ControlError::BadOpcode,
        4 => ControlError::BadAssociation,
        5 => ControlError::UnknownVariable,
        6 => ControlError::BadValue,
        7 => ControlError::Restricted,
        _ => ControlError::Unspecified,
    }
}

/// Where a response stands after a fragment was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Assembly {
    /// Fragments are still missing.
    Waiting,
    /// The response is whole: this many data bytes (see [`ResponseAssembler::data`]).
    Complete(usize),
}

/// Reassembles the fragments of one mode 6 response into a caller's buffer
/// (see the module docs). Fragments may come in any order and repeat.
#[derive(Debug)]
pub struct ResponseAssembler<'b> {
    buf: &'b mut [u8],
    opcode: Opcode,
    sequence: u16,
    /// Data ranges held, `(start, end)` in bytes, sorted and disjoint.
    held: Vec<(usize, usize), MAX_FRAGMENTS>,
    /// Bytes held (sum of the ranges).
    held_len: usize,
    /// End of the response (offset + count of the fragment without the more bit).
    end: Option<usize>,
    /// Status word of the first fragment taken.
    status: Option<u16>,
}

impl<'b> ResponseAssembler<'b> {
    /// Collects the response to the request with `opcode` and `sequence`;
    /// its data may be at most `buf.len()` bytes.
    pub fn new(buf: &'b mut [u8], opcode: Opcode, sequence: u16) -> Self {
        ResponseAssembler {
            buf,
            opcode,
            sequence,
            held: Vec::new(),
            held_len: 0,
            end: None,
            status: None,
        }
    }

    /// Takes one parsed fragment. On `Err` nothing held changes.
    pub fn push(&mut self, fragment: &ControlRepr<'_>) -> Result<Assembly, ResponseError> {
        if !fragment.response
            || fragment.sequence != self.sequence
            || fragment.opcode != self.opcode
        {
            return Err(ResponseError::NotOurs);
        }
        if fragment.error {
            return Err(ResponseError::Server(control_error(
                fragment.status.to_be_bytes()[0],
            )));
        }
        let start = usize::from(fragment.offset);
        let end = start.saturating_add(fragment.data.len());
        if end > self.buf.len() {
            return Err(ResponseError::TooLong(end));
        }
        if let Some(known) = self.end {
            let contradicts = if fragment.more {
                end > known
            } else {
                end != known
            };
            if contradicts {
                return Err(ResponseError::BadEnd(fragment.offset));
            }
        } else if !fragment.more && self.held.last().is_some_and(|&(_, e)| e > end) {
            return Err(ResponseError::BadEnd(fragment.offset));
        }
        if start < end {
            // Where the new range goes in the sorted list.
            let at = self.held.iter().position(|&(s, _)| s >= start);
            let at = at.unwrap_or(self.held.len());
            let repeat = self
                .held
                .get(at)
                .is_some_and(|&(s, e)| s == start && e == end);
            if !repeat {
                let overlaps_next = self.held.get(at).is_some_and(|&(s, _)| s < end);
                let overlaps_prev = at
                    .checked_sub(1)
                    .and_then(|i| self.held.get(i))
                    .is_some_and(|&(_, e)| e > start);
                if overlaps_next || overlaps_prev {
                    return Err(ResponseError::Overlap(fragment.offset));
                }
                if self.held.is_full() {
                    return Err(ResponseError::TooManyFragments);
                }
                let Some(dst) = self.buf.get_mut(start..end) else {
                    return Err(ResponseError::TooLong(end));
                };
                dst.copy_from_slice(fragment.data);
                if self.held.insert(at, (start, end)).is_err() {
                    return Err(ResponseError::TooManyFragments);
                }
                self.held_len = self.held_len.saturating_add(end - start);
            }
        }
        if !fragment.more {
            self.end = Some(end);
        }
        if self.status.is_none() {
            self.status = Some(fragment.status);
        }
        Ok(match self.data() {
            Some(d) => Assembly::Complete(d.len()),
            None => Assembly::Waiting,
        })
    }

    /// The whole response's data, once every fragment is in.
    pub fn data(&self) -> Option<&[u8]> {
        let end = self.end?;
        if self.held_len != end {
            return None;
        }
        self.buf.get(..end)
    }

    /// The status word of the response (from its first fragment), if any came.
    pub fn status(&self) -> Option<u16> {
        self.status
    }
}

/// Why an item of a variable list or an association list could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum DataError {
    /// A double quote opened at this byte offset is never closed (the
    /// rest of the data is lost to it).
    UnterminatedQuote(usize),
    /// The item at this byte offset has an empty name, or one with bytes
    /// other than printable ASCII (no `"` or `=`).
    BadName(usize),
    /// An association list of this many bytes (not a multiple of 4).
    BadListLength(usize),
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataError::UnterminatedQuote(o) => write!(f, "unterminated quote at byte {o}"),
            DataError::BadName(o) => write!(f, "bad variable name at byte {o}"),
            DataError::BadListLength(n) => {
                write!(f, "association list of {n} bytes is not a multiple of 4")
            }
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for DataError {}

/// One item of a variable list: `name=value` or a bare `name`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Variable<'a> {
    /// The name (printable ASCII, trimmed).
    pub name: &'a str,
    /// The value as sent, trimmed and with one pair of surrounding double
    /// quotes removed; empty for a bare name. Not necessarily UTF-8
    /// (servers have been seen sending stray bytes).
    pub value: &'a [u8],
}

impl<'a> Variable<'a> {
    /// The value as text, if it is UTF-8.
    pub fn value_str(&self) -> Option<&'a str> {
        core::str::from_utf8(self.value).ok()
    }

    /// The value as an NTP timestamp the way ntpd prints one
    /// (`0xeeac0165.918f1514`; the `0x` is optional, 1–8 hex digits a side).
    pub fn timestamp(&self) -> Result<NtpTimestamp, ValueError> {
        let v = self.value.strip_prefix(b"0x").unwrap_or(self.value);
        let dot = v
            .iter()
            .position(|&b| b == b'.')
            .ok_or(ValueError::Syntax)?;
        let (secs, frac) = v.split_at(dot);
        let frac = frac.get(1..).unwrap_or(&[]);
        Ok(NtpTimestamp::from_parts(hex_u32(secs)?, hex_u32(frac)?))
    }

    /// The value as a hex integer (`reach=0xff`, `flash=0x0`; `0x` optional).
    pub fn hex(&self) -> Result<u32, ValueError> {
        hex_u32(self.value.strip_prefix(b"0x").unwrap_or(self.value))
    }

    /// The value as a decimal integer (`stratum=2`, `precision=-24`).
    pub fn integer(&self) -> Result<i64, ValueError> {
        let (negative, digits) = match self.value {
            [b'-', rest @ ..] => (true, rest),
            [b'+', rest @ ..] => (false, rest),
            rest => (false, rest),
        };
        if digits.is_empty() {
            return Err(ValueError::Syntax);
        }
        let mut n: i64 = 0;
        for &b in digits {
            let d = match b {
                b'0'..=b'9' => i64::from(b - b'0'),
                _ => return Err(ValueError::Syntax),
            };
            let d = if negative { -d } else { d };
            n = n
                .checked_mul(10)
                .and_then(|n| n.checked_add(d))
                .ok_or(ValueError::OutOfRange)?;
        }
        Ok(n)
    }

    /// The value as a duration given in milliseconds, as ntpd prints
    /// offsets, delays and jitters (`offset=-0.123456`), to 2^-32 s.
    pub fn millis(&self) -> Result<NtpDuration, ValueError> {
        let text = self.value_str().ok_or(ValueError::Syntax)?;
        let ms = decimal::parse_fixed32(text).map_err(ValueError::from)?;
        // 2^-32 ms → 2^-32 s, rounded to nearest (ties away from zero).
        let half = if ms < 0 { -500 } else { 500 };
        let units = ms.saturating_add(half) / 1000;
        i64::try_from(units)
            .map(NtpDuration::from_bits)
            .map_err(|_| ValueError::OutOfRange)
    }
}

/// Why a variable's value could not be read as the asked-for type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ValueError {
    /// Not in the expected form.
    Syntax,
    /// Well formed but does not fit the type.
    OutOfRange,
}

impl From<ParseDecimalError> for ValueError {
    fn from(e: ParseDecimalError) -> Self {
        match e {
            ParseDecimalError::OutOfRange => ValueError::OutOfRange,
            ParseDecimalError::Empty | ParseDecimalError::InvalidCharacter => ValueError::Syntax,
        }
    }
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValueError::Syntax => "value not in the expected form",
            ValueError::OutOfRange => "value out of range",
        })
    }
}

/// 1–8 hex digits.
fn hex_u32(digits: &[u8]) -> Result<u32, ValueError> {
    if digits.is_empty() {
        return Err(ValueError::Syntax);
    }
    if digits.len() > 8 {
        return Err(ValueError::OutOfRange);
    }
    let mut n: u32 = 0;
    for &b in digits {
        let d = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            _ => return Err(ValueError::Syntax),
        };
        n = (n << 4) | u32::from(d);
    }
    Ok(n)
}

/// Whitespace as mode 6 text uses it, plus the NULs some servers pad with.
const fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0)
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if !is_space(*first) {
            break;
        }
        s = rest;
    }
    while let [rest @ .., last] = s {
        if !is_space(*last) {
            break;
        }
        s = rest;
    }
    s
}

/// The items of a variable list (`name=value, name="a, b", flag`), in
/// order. A bad item yields its error and the next item follows; an
/// unterminated quote yields its error last.
#[derive(Debug, Clone)]
pub struct Variables<'a> {
    data: &'a [u8],
    /// Offset of the unread rest in `data`, bytes.
    at: usize,
}

impl<'a> Variables<'a> {
    /// Iterates over the items of `data` (a READVAR response's data).
    pub const fn new(data: &'a [u8]) -> Self {
        Variables { data, at: 0 }
    }

    /// The first item named `name`, if there is a well-formed one.
    pub fn find(data: &'a [u8], name: &str) -> Option<Variable<'a>> {
        Variables::new(data).flatten().find(|v| v.name == name)
    }
}

impl<'a> Iterator for Variables<'a> {
    type Item = Result<Variable<'a>, DataError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let start = self.at;
            let rest = self.data.get(start..)?;
            if rest.is_empty() {
                return None;
            }
            // The item runs to the first comma outside quotes.
            let mut quoted = false;
            let mut quote_at = 0;
            let mut len = rest.len();
            for (i, &b) in rest.iter().enumerate() {
                match b {
                    b'"' => {
                        quoted = !quoted;
                        quote_at = start.saturating_add(i);
                    }
                    b',' if !quoted => {
                        len = i;
                        break;
                    }
                    _ => {}
                }
            }
            if quoted {
                self.at = self.data.len();
                return Some(Err(DataError::UnterminatedQuote(quote_at)));
            }
            let raw = rest.get(..len).unwrap_or(&[]);
            self.at = start.saturating_add(len).saturating_add(1);
            let item = trim(raw);
            if item.is_empty() {
                continue;
            }
            let item_at = start.saturating_add(raw.len() - trim_start_len(raw));
            return Some(parse_item(item, item_at));
        }
    }
}

/// Length of `s` after its leading whitespace is removed.
fn trim_start_len(s: &[u8]) -> usize {
    s.iter()
        .position(|&b| !is_space(b))
        .map_or(0, |i| s.len() - i)
}

fn parse_item(item: &[u8], at: usize) -> Result<Variable<'_>, DataError> {
    let (name, value) = match item.iter().position(|&b| b == b'=') {
        Some(i) => (
            item.get(..i).unwrap_or(&[]),
            item.get(i.saturating_add(1)..).unwrap_or(&[]),
        ),
        None => (item, &[][..]),
    };
    let name = trim(name);
    let good = !name.is_empty()
        && name
            .iter()
            .all(|&b| b.is_ascii_graphic() && b != b'"' && b != b'=');
    let name = match core::str::from_utf8(name) {
        Ok(n) if good => n,
        _ => return Err(DataError::BadName(at)),
    };
    let value = trim(value);
    let value = match value {
        [b'"', inner @ .., b'"'] => inner,
        v => v,
    };
    Ok(Variable { name, value })
}

/// One entry of a READSTAT association list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct AssociationEntry {
    /// The association id.
    pub id: u16,
    /// Its peer status word (see [`PeerStatus`](super::PeerStatus)).
    pub status: u16,
}

/// The entries of a READSTAT (association 0) response's data: 4 bytes each.
pub fn associations(data: &[u8]) -> Result<impl Iterator<Item = AssociationEntry> + '_, DataError> {
    if data.len() % 4 != 0 {
        return Err(DataError::BadListLength(data.len()));
    }
    Ok(data.chunks_exact(4).map(|c| match c {
        [a, b, c, d] => AssociationEntry {
            id: u16::from_be_bytes([*a, *b]),
            status: u16::from_be_bytes([*c, *d]),
        },
        _ => AssociationEntry { id: 0, status: 0 },
    }))
}

/// The name `ntpq -p` shows for the reference clock at `addr` (`127.127.T.U`)
/// when the server sends no `srchost` (ntpd 4.2.8): the names of this crate's
/// drivers ([`RefclockId::name`](crate::refclock::RefclockId::name)) and of a
/// few other ntpd drivers a server may run (`SHM`, `GPS_PALISADE`,
/// `GPS_ONCORE`, `JJY`, `GPSD_JSON`). `None` for other addresses and types.
pub fn refclock_display_name(addr: core::net::IpAddr) -> Option<crate::refclock::id::RefclockName> {
    let id = crate::refclock::RefclockId::from_ip(addr)?;
    if let Some(name) = id.name() {
        return Some(name);
    }
    let driver = match id.driver {
        28 => "SHM",
        29 => "GPS_PALISADE",
        30 => "GPS_ONCORE",
        40 => "JJY",
        46 => "GPSD_JSON",
        _ => return None,
    };
    Some(crate::refclock::id::RefclockName {
        driver,
        unit: id.unit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn refclock_display_names() {
        let name = |a: &str| refclock_display_name(a.parse().unwrap()).map(|n| n.to_string());
        assert_eq!(name("127.127.20.0").as_deref(), Some("GPS_NMEA(0)"));
        assert_eq!(name("127.127.28.2").as_deref(), Some("SHM(2)"));
        assert_eq!(name("127.127.99.0"), None);
        assert_eq!(name("192.0.2.1"), None);
    }
    use crate::wire::LeapIndicator;

    fn frag(offset: u16, data: &[u8], more: bool) -> ControlRepr<'_> {
        ControlRepr {
            leap: LeapIndicator::NoWarning,
            version: 2,
            response: true,
            error: false,
            more,
            opcode: Opcode::ReadVariables,
            sequence: 7,
            status: 0x0615,
            association_id: 0,
            offset,
            data,
            padding: &[],
            mac: None,
        }
    }

    #[test]
    fn out_of_order_fragments_with_a_repeat() {
        let mut buf = [0u8; 16];
        let mut a = ResponseAssembler::new(&mut buf, Opcode::ReadVariables, 7);
        assert_eq!(a.push(&frag(8, b"ijkl", false)), Ok(Assembly::Waiting));
        assert_eq!(a.push(&frag(0, b"abcd", true)), Ok(Assembly::Waiting));
        assert_eq!(a.push(&frag(0, b"abcd", true)), Ok(Assembly::Waiting));
        assert_eq!(a.data(), None);
        assert_eq!(a.push(&frag(4, b"efgh", true)), Ok(Assembly::Complete(12)));
        assert_eq!(a.data(), Some(&b"abcdefghijkl"[..]));
        assert_eq!(a.status(), Some(0x0615));
    }

    #[test]
    fn refusals_keep_what_is_held() {
        let mut buf = [0u8; 8];
        let mut a = ResponseAssembler::new(&mut buf, Opcode::ReadVariables, 7);
        assert_eq!(a.push(&frag(0, b"abcd", true)), Ok(Assembly::Waiting));
        // Too long for the buffer, overlapping, an end before held data.
        assert_eq!(
            a.push(&frag(6, b"xyz", false)),
            Err(ResponseError::TooLong(9))
        );
        assert_eq!(
            a.push(&frag(2, b"xy", true)),
            Err(ResponseError::Overlap(2))
        );
        assert_eq!(
            a.push(&frag(0, b"ab", false)),
            Err(ResponseError::BadEnd(0))
        );
        let mut other = frag(4, b"efgh", false);
        other.sequence = 8;
        assert_eq!(a.push(&other), Err(ResponseError::NotOurs));
        other.sequence = 7;
        other.opcode = Opcode::ReadStatus;
        assert_eq!(a.push(&other), Err(ResponseError::NotOurs));
        let mut err = frag(0, b"", false);
        err.error = true;
        err.status = 0x0400;
        assert_eq!(
            a.push(&err),
            Err(ResponseError::Server(ControlError::BadAssociation))
        );
        // The end is fixed at 6; data past it, or another end, is refused.
        assert_eq!(a.push(&frag(4, b"ef", false)), Ok(Assembly::Complete(6)));
        assert_eq!(a.push(&frag(6, b"gh", true)), Err(ResponseError::BadEnd(6)));
        assert_eq!(a.push(&frag(5, b"", false)), Err(ResponseError::BadEnd(5)));
        assert_eq!(a.push(&frag(6, b"", false)), Ok(Assembly::Complete(6)));
        assert_eq!(a.data(), Some(&b"abcdef"[..]));
    }

    #[test]
    fn fragment_limit() {
        let mut buf = [0u8; 64];
        let mut a = ResponseAssembler::new(&mut buf, Opcode::ReadVariables, 7);
        // Every other byte, so no two fragments touch.
        for i in 0..MAX_FRAGMENTS {
            let off = u16::try_from(i * 2).unwrap_or(0);
            assert_eq!(a.push(&frag(off, b"x", true)), Ok(Assembly::Waiting));
        }
        assert_eq!(
            a.push(&frag(63, b"x", false)),
            Err(ResponseError::TooManyFragments)
        );
        // An empty last fragment does not need a slot.
        assert_eq!(a.push(&frag(63, b"", false)), Ok(Assembly::Waiting));
    }

    #[test]
    fn empty_response() {
        let mut buf = [0u8; 4];
        let mut a = ResponseAssembler::new(&mut buf, Opcode::ReadVariables, 7);
        assert_eq!(a.push(&frag(0, b"", false)), Ok(Assembly::Complete(0)));
        assert_eq!(a.data(), Some(&b""[..]));
    }

    fn names_values(data: &[u8]) -> std::vec::Vec<Result<(&str, &[u8]), DataError>> {
        Variables::new(data)
            .map(|r| r.map(|v| (v.name, v.value)))
            .collect()
    }

    #[test]
    fn variable_lists() {
        let got = names_values(
            b"leap=0, stratum=11,\r\nsystem=\"Linux, 6\", flag , ntscookies=-1\r\n\0\0",
        );
        assert_eq!(
            got,
            [
                Ok(("leap", &b"0"[..])),
                Ok(("stratum", &b"11"[..])),
                Ok(("system", &b"Linux, 6"[..])),
                Ok(("flag", &b""[..])),
                Ok(("ntscookies", &b"-1"[..])),
            ]
        );
        // Bad items are reported where they are, the rest still read.
        let got = names_values(b"a=1, =2,, b c=3, d=\xff\x01, e=\"open");
        assert_eq!(
            got,
            [
                Ok(("a", &b"1"[..])),
                Err(DataError::BadName(5)),
                Err(DataError::BadName(10)),
                Ok(("d", &b"\xff\x01"[..])),
                Err(DataError::UnterminatedQuote(25)),
            ]
        );
        assert_eq!(
            Variables::find(b"x=1, y=2", "y").map(|v| v.value),
            Some(&b"2"[..])
        );
    }

    #[test]
    fn values() {
        let v = |s: &'static [u8]| Variable {
            name: "v",
            value: s,
        };
        assert_eq!(
            v(b"0xeeac0165.918f1514").timestamp(),
            Ok(NtpTimestamp::from_parts(0xeeac_0165, 0x918f_1514))
        );
        assert_eq!(
            v(b"eeac0165.0").timestamp(),
            Ok(NtpTimestamp::from_parts(0xeeac_0165, 0))
        );
        assert_eq!(v(b"0x1.").timestamp(), Err(ValueError::Syntax));
        assert_eq!(v(b"0x123456789.0").timestamp(), Err(ValueError::OutOfRange));
        assert_eq!(v(b"0xff").hex(), Ok(255));
        assert_eq!(v(b"0xfg").hex(), Err(ValueError::Syntax));
        assert_eq!(v(b"-24").integer(), Ok(-24));
        assert_eq!(v(b"-9223372036854775808").integer(), Ok(i64::MIN));
        assert_eq!(
            v(b"9223372036854775808").integer(),
            Err(ValueError::OutOfRange)
        );
        assert_eq!(v(b"-").integer(), Err(ValueError::Syntax));
        assert_eq!(v(b"1500").millis(), Ok(NtpDuration::from_millis(1500)));
        assert_eq!(v(b"-0.001").millis(), Ok(NtpDuration::from_bits(-4295)));
        assert_eq!(v(b"1e3").millis(), Err(ValueError::Syntax));
    }

    #[test]
    fn association_lists() {
        let list: std::vec::Vec<_> = associations(&[0, 1, 0x96, 0x1a, 0xff, 0xfe, 0, 0])
            .map(|i| i.collect())
            .unwrap_or_default();
        assert_eq!(
            list,
            [
                AssociationEntry {
                    id: 1,
                    status: 0x961a
                },
                AssociationEntry {
                    id: 0xfffe,
                    status: 0
                },
            ]
        );
        assert!(matches!(
            associations(&[0; 6]),
            Err(DataError::BadListLength(6))
        ));
    }
}
