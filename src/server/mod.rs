//! Serving time: replies to clients and symmetric-passive peers, kiss-o'-death
//! packets, interleaved server mode and the broadcast server's packet.
//!
//! Owns [`SystemVariables`] (what this node says about its clock), the
//! [`Server`] (request → reply, interleave memory) and the packet builders.
//! Does not own access control or rate limiting (`access` decides; the
//! caller then calls [`Server::reply`], [`Server::kod`] or nothing) nor
//! sockets and clocks (the driver stamps transmit times: [`stamp_transmit`]).
//!
//! ```text
//! match access.decide(from, ...) {
//!     Serve => { let p = server.reply(bytes, from, rx_time, &sys, &keys, &mut buf)?;
//!                /* at send time: */ if p.stamp_at_send { stamp_transmit(&mut buf[..p.len], now(), key); }
//!                send(&buf[..p.len]); server.transmitted(from, p.receive, kernel_tx_time); }
//!     Kod(code) => server.kod(bytes, code, &keys, &mut buf),
//!     Drop => {}
//! }
//! ```

mod interleave;
mod reply;
mod request;
mod serve;
mod system_variables;

pub use interleave::InterleaveTable;
pub use reply::{
    BuiltPacket, MAX_SERVER_PACKET_LEN, build_broadcast, build_kod, build_reply, refid_for_address,
    root_dispersion_at, stamp_transmit,
};
pub use request::{ClientRequest, ServerRequestError};
pub use serve::Server;
pub use system_variables::{STRATUM_UNSYNCHRONIZED, SystemVariables};
