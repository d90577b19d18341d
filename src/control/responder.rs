//! The mode 6 responder: turns an accepted request into reply fragments.
//!
//! Owns what each opcode answers (READSTAT, READVAR, READCLOCK; errors for
//! the rest), the status word of each reply, fragmentation into pieces of
//! at most 468 data bytes with the M bit and offsets, padding, MACs on
//! replies to authenticated requests, and the amplification rule: a reply
//! larger than the request only goes to an authenticated querier or one the
//! caller allows (`may_amplify`); anyone else gets a 12-byte error.
//!
//! Fragments are produced one at a time (sans-IO: the caller polls them
//! into its transmit buffer), each rendered from the current state with a
//! window over the whole reply, so no buffer for the whole reply exists.

use crate::auth::Key;
use crate::control::peer_vars::{
    CLOCK_VARIABLES, DEFAULT_PEER_VARIABLES, PeerSource, write_clock_variable, write_peer_variable,
};
use crate::control::request::{ControlRequest, MAX_FRAGMENT_DATA};
use crate::control::system_vars::{SYSTEM_VARIABLES, write_system_variable};
use crate::control::text::DataWriter;
use crate::server::SystemVariables;
use crate::time::NtpTime;
use crate::wire::{CONTROL_HEADER_LEN, ControlRepr, Opcode};

/// A transmit buffer of this many bytes holds any fragment: header, 468
/// data bytes, padding and the largest MAC (bytes).
pub const MAX_REPLY_LEN: usize = CONTROL_HEADER_LEN + MAX_FRAGMENT_DATA + 8 + 4 + 20;

/// Mode 6 error codes (status word high byte of an error reply).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[repr(u8)]
pub enum ControlError {
    /// Unspecified error.
    Unspecified = 0,
    /// Permission denied (writes; or a reply too large for an unauthorised querier).
    Permission = 1,
    /// Bad request format or length.
    BadFormat = 2,
    /// Unknown or unsupported opcode.
    BadOpcode = 3,
    /// Unknown association ID (or not a reference clock for READCLOCK).
    BadAssociation = 4,
    /// Unknown variable name.
    UnknownVariable = 5,
    /// Bad variable value.
    BadValue = 6,
    /// Administratively prohibited.
    Restricted = 7,
}

/// The caller's access decision for one mode 6 request (from `access`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ControlPolicy {
    /// `restrict ... noquery` matched: the request is dropped silently.
    pub noquery: bool,
    /// The querier may receive more bytes than it sent even without
    /// authenticating (a trusted address, or one rate limiting covers).
    pub may_amplify: bool,
}

/// What the responder reads to answer.
#[derive(Debug, Clone, Copy)]
pub struct ControlContext<'a, P: PeerSource + ?Sized> {
    /// The system variables.
    pub system: &'a SystemVariables,
    /// The associations.
    pub peers: &'a P,
    /// Local time now (the `clock` variable).
    pub now: NtpTime,
    /// The `controlkey`: replies to requests authenticated with it are signed.
    pub control_key: Option<&'a Key>,
}

/// A reply in progress: call [`ControlReply::next_fragment`] until it
/// returns `None`.
#[derive(Debug, Clone)]
pub struct ControlReply {
    request: ControlRequest,
    policy: ControlPolicy,
    /// Data offset of the next fragment, bytes.
    offset: usize,
    done: bool,
}

impl ControlReply {
    /// Starts the reply to `request`; `None` when the policy drops it.
    pub fn new(request: ControlRequest, policy: ControlPolicy) -> Option<Self> {
        if policy.noquery {
            return None;
        }
        Some(ControlReply {
            request,
            policy,
            offset: 0,
            done: false,
        })
    }

    /// The request being answered.
    pub fn request(&self) -> &ControlRequest {
        &self.request
    }

    /// Writes the next fragment into `out` and returns its length in bytes,
    /// or `None` when the reply is complete (or `out` is shorter than
    /// [`MAX_REPLY_LEN`]).
    pub fn next_fragment<P: PeerSource + ?Sized>(
        &mut self,
        ctx: &ControlContext<'_, P>,
        out: &mut [u8],
    ) -> Option<usize> {
        if self.done || out.len() < MAX_REPLY_LEN {
            return None;
        }
        let mut window = [0u8; MAX_FRAGMENT_DATA];
        let mut w = DataWriter::new(&mut window, self.offset);
        let rendered = render(&self.request, ctx, &mut w);
        let total = w.total_len();
        let over_budget = self.offset == 0
            && !self.request.is_authenticated()
            && !self.policy.may_amplify
            && reply_size(total) > self.request.request_len;
        let mut reply = ControlRepr {
            leap: ctx.system.leap,
            version: self.request.version,
            response: true,
            error: false,
            more: false,
            opcode: self.request.opcode,
            sequence: self.request.sequence,
            status: 0,
            association_id: self.request.association_id,
            offset: u16::try_from(self.offset).ok()?,
            data: &[],
            padding: &[],
            mac: None,
        };
        let error = match rendered {
            Ok(_) if over_budget => Some(ControlError::Permission),
            Ok(_) => None,
            Err(e) => Some(e),
        };
        match (rendered, error) {
            (Ok(status), None) => {
                let count = total.saturating_sub(self.offset).min(MAX_FRAGMENT_DATA);
                reply.status = status;
                reply.more = total > self.offset.saturating_add(count);
                reply.data = window.get(..count)?;
                self.offset = self.offset.saturating_add(count);
            }
            (_, e) => {
                reply.error = true;
                reply.status = u16::from(e.unwrap_or(ControlError::Unspecified) as u8) << 8;
            }
        }
        let len = reply.emit(out).ok()?;
        self.done = !reply.more;
        sign(out, len, self.key(ctx))
    }

    /// The key to sign replies with: the control key, if the request was
    /// authenticated with it.
    fn key<'k, P: PeerSource + ?Sized>(&self, ctx: &ControlContext<'k, P>) -> Option<&'k Key> {
        ctx.control_key.filter(|k| self.request.key == Some(k.id()))
    }
}

/// Appends the MAC with `key` to a reply of `len` bytes (header, data and
/// 4-byte padding), first padding to 8 bytes as ntpd does.
fn sign(out: &mut [u8], len: usize, key: Option<&Key>) -> Option<usize> {
    let Some(key) = key else { return Some(len) };
    let padded = len.checked_add(7)? & !7;
    out.get_mut(len..padded)?.fill(0);
    key.sign(out, padded)
}

/// Bytes of all fragments of an unsigned reply carrying `total` data bytes.
fn reply_size(total: usize) -> usize {
    let full = total / MAX_FRAGMENT_DATA;
    let last = total % MAX_FRAGMENT_DATA;
    let full_bytes = full.saturating_mul(CONTROL_HEADER_LEN + MAX_FRAGMENT_DATA);
    let last_bytes = if last > 0 || full == 0 {
        CONTROL_HEADER_LEN + ((last + 3) & !3)
    } else {
        0
    };
    full_bytes.saturating_add(last_bytes)
}

/// Renders the whole reply data through `w`; returns the status word or
/// the error to report.
fn render<P: PeerSource + ?Sized>(
    req: &ControlRequest,
    ctx: &ControlContext<'_, P>,
    w: &mut DataWriter<'_>,
) -> Result<u16, ControlError> {
    if req.bad_format {
        return Err(ControlError::BadFormat);
    }
    let sys = ctx.system;
    let peers = ctx.peers;
    let assoc = req.association_id;
    let peer_index = || peers.find(assoc).ok_or(ControlError::BadAssociation);
    match req.opcode {
        Opcode::ReadStatus if assoc == 0 => {
            for i in 0..peers.peer_count() {
                if let Some(p) = peers.peer(i) {
                    w.raw(&p.association_id.to_be_bytes());
                    w.raw(&p.status.to_bits().to_be_bytes());
                }
            }
            Ok(sys.status().to_bits())
        }
        Opcode::ReadStatus => {
            let p = peers
                .peer(peer_index()?)
                .ok_or(ControlError::BadAssociation)?;
            for name in DEFAULT_PEER_VARIABLES {
                write_peer_variable(w, name, &p);
            }
            w.finish_text();
            Ok(p.status.to_bits())
        }
        Opcode::ReadVariables if assoc == 0 => {
            write_list(w, req, &SYSTEM_VARIABLES, |w, n| {
                write_system_variable(w, n, sys, ctx.now)
            })?;
            Ok(sys.status().to_bits())
        }
        Opcode::ReadVariables => {
            let p = peers
                .peer(peer_index()?)
                .ok_or(ControlError::BadAssociation)?;
            write_list(w, req, &DEFAULT_PEER_VARIABLES, |w, n| {
                write_peer_variable(w, n, &p)
            })?;
            Ok(p.status.to_bits())
        }
        Opcode::ReadClock => {
            // Association 0 means the system peer, if it is a clock.
            let id = if assoc == 0 { sys.peer } else { assoc };
            let index = peers.find(id).ok_or(ControlError::BadAssociation)?;
            let c = peers.clock(index).ok_or(ControlError::BadAssociation)?;
            write_list(w, req, &CLOCK_VARIABLES, |w, n| {
                write_clock_variable(w, n, &c)
            })?;
            Ok(0)
        }
        Opcode::WriteVariables
        | Opcode::WriteClock
        | Opcode::SetTrap
        | Opcode::UnsetTrap
        | Opcode::Configure
        | Opcode::SaveConfig => Err(ControlError::Permission),
        _ => Err(ControlError::BadOpcode),
    }
}

/// Writes the variables the request names through `one` (all of `all` if
/// it names none), then ends the text. An unknown name is an error.
fn write_list(
    w: &mut DataWriter<'_>,
    req: &ControlRequest,
    all: &[&str],
    mut one: impl FnMut(&mut DataWriter<'_>, &str) -> bool,
) -> Result<(), ControlError> {
    let mut any = false;
    for name in req.variable_names() {
        any = true;
        if !one(w, name) {
            return Err(ControlError::UnknownVariable);
        }
    }
    if !any {
        for name in all {
            one(w, name);
        }
    }
    w.finish_text();
    Ok(())
}
