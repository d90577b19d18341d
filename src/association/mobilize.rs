//! Mobilising associations on receipt: a symmetric passive association for a
//! mode 1 packet from a peer we did not configure, a broadcast client for a
//! mode 5 packet. The system decides (it owns access control); these functions
//! hold the rule so it is written once.

use core::net::SocketAddr;

use crate::auth::{AuthError, KeyId, KeyTable};
use crate::time::NtpTime;
use crate::wire::{Mode, NtpPacket};

use super::config::{AssociationConfig, AssociationMode};
use super::machine::Association;
use super::poll::PollConfig;

/// Checks an unsolicited packet's MAC: `Ok(Some(key))` if it verified with a
/// trusted key, `Ok(None)` if it has no MAC, `Err` if the MAC is bad, unknown,
/// untrusted or a crypto-NAK (drop it; never answer with a crypto-NAK).
pub fn packet_key<const K: usize>(
    packet: &NtpPacket<'_>,
    raw: &[u8],
    keys: &KeyTable<K>,
) -> Result<Option<KeyId>, AuthError> {
    match packet.mac {
        None => Ok(None),
        Some(m) if m.is_crypto_nak() => Err(AuthError::CryptoNak),
        Some(m) => keys
            .verify(packet.mac_input(raw), KeyId(m.key_id), m.digest)
            .map(Some),
    }
}

/// Whether a mode 1 packet from an unknown peer may mobilise a symmetric
/// passive association: the access rules allow peering (`restrict … nopeer`
/// not set), and, when `require_auth` (the default, as ntpd's `auth`), the
/// packet authenticated with a trusted key (`key` from [`packet_key`]).
pub fn may_mobilize_passive(
    packet: &NtpPacket<'_>,
    key: Option<KeyId>,
    access_allows_peer: bool,
    require_auth: bool,
) -> bool {
    packet.header.mode == Mode::SymmetricActive
        && access_allows_peer
        && (key.is_some() || !require_auth)
}

/// Whether a mode 5 packet from an unknown server may mobilise a broadcast
/// client association: `broadcastclient` is configured, access allows it, and
/// when `require_auth` the packet authenticated.
pub fn may_mobilize_broadcast_client(
    packet: &NtpPacket<'_>,
    key: Option<KeyId>,
    broadcast_client_enabled: bool,
    access_allows: bool,
    require_auth: bool,
) -> bool {
    packet.header.mode == Mode::Broadcast
        && broadcast_client_enabled
        && access_allows
        && (key.is_some() || !require_auth)
}

impl Association {
    /// A symmetric passive association for the peer at `remote` that sent
    /// `packet` (answering in its version, with the key it used). Feed the same
    /// packet to [`handle_packet`](Association::handle_packet) next.
    pub fn passive(
        remote: SocketAddr,
        packet: &NtpPacket<'_>,
        key: Option<KeyId>,
        poll: PollConfig,
        now: NtpTime,
        entropy: u64,
    ) -> Association {
        let config = AssociationConfig {
            mode: AssociationMode::SymmetricPassive,
            version: packet.header.version,
            key,
            poll,
            ephemeral: true,
            ..AssociationConfig::client(remote)
        };
        Association::new(config, now, entropy)
    }
}
