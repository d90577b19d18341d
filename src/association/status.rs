//! Why a packet was not turned into a sample ([`Rejection`]), and the per-test
//! counters every association keeps ([`Counters`]) so that status displays can
//! show them.

use core::fmt;

use crate::auth::AuthError;
use crate::wire::RefId;

use super::onwire::ExchangeError;

/// Why an association dropped a packet. Every variant is counted in [`Counters`].
///
/// None of them is answered: the caller drops the packet silently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Rejection {
    /// The association is stopped (DENY/RSTR kiss, or demobilised).
    Stopped,
    /// The packet's mode does not belong to this association's mode.
    ModeMismatch,
    /// Authentication failed: MAC missing, bad, unknown or untrusted key, wrong
    /// key id for this association, or a crypto-NAK (RFC 5905 TEST5).
    Auth(AuthError),
    /// The same transmit timestamp as a packet already seen (TEST1), or a
    /// broadcast or authenticated symmetric packet no newer than the last
    /// packet taken from its remote (a replay).
    Duplicate,
    /// The origin timestamp does not match what we sent (TEST2): a stray,
    /// replayed, reordered or forged packet.
    Bogus,
    /// A timestamp is zero or inconsistent (TEST3; reference time after transmit
    /// time; receive after transmit).
    InvalidTimestamps,
    /// The remote is not synchronised: LI = 3, stratum 0 (non-kiss) or ≥ 16,
    /// or no reference time (TEST6).
    Unsynchronized,
    /// The remote's stratum is at or above the configured limit (TEST7).
    StratumTooHigh,
    /// The remote's root distance (root delay / 2 + root dispersion) is at or
    /// above the limit (TEST8).
    RootDistance,
    /// A kiss-o'-death with a matching origin (already acted on: RATE backs off,
    /// DENY/RSTR stop the association). Carries the code.
    Kiss(RefId),
}

impl Rejection {
    /// ntpq-style short name of the failed test.
    pub const fn name(self) -> &'static str {
        match self {
            Rejection::Stopped => "stopped",
            Rejection::ModeMismatch => "mode",
            Rejection::Auth(_) => "auth",
            Rejection::Duplicate => "duplicate",
            Rejection::Bogus => "bogus",
            Rejection::InvalidTimestamps => "timestamps",
            Rejection::Unsynchronized => "unsynchronized",
            Rejection::StratumTooHigh => "stratum",
            Rejection::RootDistance => "distance",
            Rejection::Kiss(_) => "kiss",
        }
    }
}

impl From<ExchangeError> for Rejection {
    fn from(_: ExchangeError) -> Self {
        Rejection::InvalidTimestamps
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::Auth(e) => write!(f, "auth: {e}"),
            Rejection::Kiss(code) => write!(f, "kiss {}", code.display(0)),
            other => f.write_str(other.name()),
        }
    }
}

/// Per-association packet counters (saturating).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Counters {
    /// Packets handed to the association.
    pub received: u32,
    /// Packets that passed every test (a sample for the filter, or a broadcast
    /// heard while still calibrating).
    pub samples: u32,
    /// Packets sent.
    pub sent: u32,
    /// Polls that could not send (our key missing or untrusted, buffer too small).
    pub send_failed: u32,
    /// Dropped: wrong mode.
    pub mode_mismatch: u32,
    /// Dropped: authentication failed.
    pub auth_failed: u32,
    /// Dropped: duplicate.
    pub duplicate: u32,
    /// Dropped: bogus origin.
    pub bogus: u32,
    /// Dropped: invalid timestamps.
    pub invalid_timestamps: u32,
    /// Dropped: remote unsynchronised.
    pub unsynchronized: u32,
    /// Dropped: stratum too high.
    pub stratum_too_high: u32,
    /// Dropped: root distance too large.
    pub root_distance: u32,
    /// Valid RATE kisses (poll backed off).
    pub kiss_rate: u32,
    /// Valid DENY / RSTR kisses (association stopped).
    pub kiss_deny: u32,
    /// Valid kisses with other codes (ignored).
    pub kiss_other: u32,
    /// Packets dropped while stopped.
    pub stopped: u32,
    /// Filter outputs suppressed as popcorn spikes.
    pub spikes: u32,
    /// Samples that did not change the filter output (an older sample was best).
    pub stale: u32,
}

impl Counters {
    /// Counts one rejection under its test.
    pub fn count(&mut self, r: Rejection) {
        let c = match r {
            Rejection::Stopped => &mut self.stopped,
            Rejection::ModeMismatch => &mut self.mode_mismatch,
            Rejection::Auth(_) => &mut self.auth_failed,
            Rejection::Duplicate => &mut self.duplicate,
            Rejection::Bogus => &mut self.bogus,
            Rejection::InvalidTimestamps => &mut self.invalid_timestamps,
            Rejection::Unsynchronized => &mut self.unsynchronized,
            Rejection::StratumTooHigh => &mut self.stratum_too_high,
            Rejection::RootDistance => &mut self.root_distance,
            Rejection::Kiss(code) => match code.kiss_code() {
                Some(k) if k.is_deny() => &mut self.kiss_deny,
                Some(crate::wire::KissCode::Rate) => &mut self.kiss_rate,
                _ => &mut self.kiss_other,
            },
        };
        *c = c.saturating_add(1);
    }

    /// Total packets dropped by any test (kisses included).
    pub fn rejected(&self) -> u32 {
        [
            self.mode_mismatch,
            self.auth_failed,
            self.duplicate,
            self.bogus,
            self.invalid_timestamps,
            self.unsynchronized,
            self.stratum_too_high,
            self.root_distance,
            self.kiss_rate,
            self.kiss_deny,
            self.kiss_other,
            self.stopped,
        ]
        .iter()
        .fold(0u32, |a, b| a.saturating_add(*b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::KissCode;

    #[test]
    fn counts_each_test() {
        let mut c = Counters::default();
        c.count(Rejection::Bogus);
        c.count(Rejection::Kiss(KissCode::Rate.to_ref_id()));
        c.count(Rejection::Kiss(KissCode::Rstr.to_ref_id()));
        c.count(Rejection::Kiss(KissCode::Init.to_ref_id()));
        assert_eq!(
            (c.bogus, c.kiss_rate, c.kiss_deny, c.kiss_other),
            (1, 1, 1, 1)
        );
        assert_eq!(c.rejected(), 4);
    }
}
