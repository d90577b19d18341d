//! How one association is set up: its mode, remote, version, key and poll
//! settings (what a `server` / `peer` / `broadcast` / `broadcastclient` line
//! says).

use core::net::SocketAddr;

use crate::auth::KeyId;
use crate::time::NtpDuration;

use super::poll::PollConfig;

/// The role of an association (RFC 5905 §3 association modes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum AssociationMode {
    /// We poll a server with mode 3 requests and take mode 4 replies (`server`).
    Client,
    /// We exchange mode 1 packets with a peer that may sync to us too (`peer`).
    SymmetricActive,
    /// Mobilised by a mode 1 packet from a peer we allow; we send mode 2.
    SymmetricPassive,
    /// We listen to mode 5 broadcasts (after a short client volley to measure
    /// the delay, unless a broadcast delay is configured).
    BroadcastClient,
    /// We send mode 5 packets at the poll interval (`broadcast`); no input.
    BroadcastServer,
}

impl AssociationMode {
    /// Whether this mode sends requests on its own poll timer (all but the
    /// listen-only phase of a broadcast client).
    pub const fn polls(self) -> bool {
        !matches!(self, AssociationMode::BroadcastClient)
    }

    /// ntpq's name for the mode ("client", "active", "passive", "bclient", "bcast").
    pub const fn name(self) -> &'static str {
        match self {
            AssociationMode::Client => "client",
            AssociationMode::SymmetricActive => "active",
            AssociationMode::SymmetricPassive => "passive",
            AssociationMode::BroadcastClient => "bclient",
            AssociationMode::BroadcastServer => "bcast",
        }
    }
}

/// Everything one association is configured with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct AssociationConfig {
    /// The remote's address (server, peer, or broadcast destination for a
    /// broadcast server).
    #[cfg_attr(feature = "defmt", defmt(Debug2Format))]
    pub remote: SocketAddr,
    /// The association mode.
    pub mode: AssociationMode,
    /// NTP version we send (1–4; default 4).
    pub version: u8,
    /// Symmetric key for this association: our packets carry its MAC and only
    /// packets authenticated with it are accepted. `None` = no authentication.
    pub key: Option<KeyId>,
    /// Poll settings (minpoll, maxpoll, burst, iburst).
    pub poll: PollConfig,
    /// Interleaved client mode (chrony `xleave`); falls back to basic mode when
    /// the server answers in basic mode. Client mode only.
    pub interleaved: bool,
    /// Mobilised on receipt (symmetric passive, broadcast client from a
    /// `broadcastclient` line): demobilised when unreachable or on an error.
    pub ephemeral: bool,
    /// Broadcast client: one-way delay from the server, in 2^-32 s (ntpd
    /// `broadcastdelay`). `None` = measure it with a client-mode volley first.
    pub broadcast_delay: Option<NtpDuration>,
}

impl AssociationConfig {
    /// A client association (`server ADDR`) with defaults: NTPv4, no key,
    /// minpoll 6, maxpoll 10, basic mode.
    pub const fn client(remote: SocketAddr) -> Self {
        AssociationConfig {
            remote,
            mode: AssociationMode::Client,
            version: 4,
            key: None,
            poll: PollConfig::DEFAULT,
            interleaved: false,
            ephemeral: false,
            broadcast_delay: None,
        }
    }

    /// A symmetric active association (`peer ADDR`) with defaults.
    pub const fn symmetric_active(remote: SocketAddr) -> Self {
        AssociationConfig {
            mode: AssociationMode::SymmetricActive,
            ..Self::client(remote)
        }
    }

    /// A broadcast server association (`broadcast ADDR`): sends mode 5 to `remote`.
    pub const fn broadcast_server(remote: SocketAddr) -> Self {
        AssociationConfig {
            mode: AssociationMode::BroadcastServer,
            ..Self::client(remote)
        }
    }

    /// A broadcast client association listening to the server at `remote`,
    /// with an optional configured one-way delay (2^-32 s).
    pub const fn broadcast_client(remote: SocketAddr, delay: Option<NtpDuration>) -> Self {
        AssociationConfig {
            mode: AssociationMode::BroadcastClient,
            ephemeral: true,
            broadcast_delay: delay,
            ..Self::client(remote)
        }
    }

    /// Builder: the NTP version to send (1–4; out-of-range values become 4).
    pub const fn with_version(mut self, version: u8) -> Self {
        self.version = if version >= 1 && version <= 4 {
            version
        } else {
            4
        };
        self
    }

    /// Builder: authenticate with this key.
    pub const fn with_key(mut self, key: KeyId) -> Self {
        self.key = Some(key);
        self
    }

    /// Builder: poll settings.
    pub const fn with_poll(mut self, poll: PollConfig) -> Self {
        self.poll = poll;
        self
    }

    /// Builder: interleaved client mode (`xleave`).
    pub const fn with_interleaved(mut self, on: bool) -> Self {
        self.interleaved = on;
        self
    }
}
