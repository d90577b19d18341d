//! Mode 6 control messages (RFC 9327): the responder that lets the real
//! `ntpq -p`, `ntpq -c rv` and `ntpq -c as` read this node's state.
//!
//! Also the querying side: [`client`] reassembles a response's fragments
//! and reads its variable and association lists (the `ntpq` example uses it).
//!
//! Owns: accepting requests ([`ControlRequest`]), answering them in
//! fragments ([`ControlReply`]), status words ([`status`]), ntpd's variable
//! names and value formats ([`system_vars`], [`peer_vars`], [`format`]) and
//! the data layout ([`text`]). Does not own: who may query (`access` decides,
//! the caller passes a [`ControlPolicy`]), nor the state it reports (the
//! system fills [`SystemVariables`](crate::server::SystemVariables) and
//! implements [`PeerSource`]).
//!
//! Read-only: write opcodes are refused with a permission error, unknown
//! opcodes with a bad-opcode error; MACs are checked against the
//! `controlkey` only, and a bad MAC gets silence.
//!
//! ```text
//! let req = ControlRequest::parse(bytes, control_key)?;
//! if let Some(mut reply) = ControlReply::new(req, policy) {
//!     while let Some(len) = reply.next_fragment(&ctx, &mut buf) { send(&buf[..len]); }
//! }
//! ```

pub mod client;
pub mod format;
pub mod peer_vars;
mod request;
mod responder;
pub mod status;
pub mod system_vars;
pub mod text;

pub use peer_vars::{ClockVariables, PeerSource, PeerVariables};
pub use request::{ControlRequest, MAX_FRAGMENT_DATA, RequestError};
pub use responder::{ControlContext, ControlError, ControlPolicy, ControlReply, MAX_REPLY_LEN};
pub use status::{
    ClockSource, EventLog, PeerEvent, PeerSelection, PeerStatus, SystemEvent, SystemStatus,
};
