//! Kiss-o'-death handling (RFC 5905 §7.4): what a kiss code asks of us.
//!
//! The receive path only calls this after the kiss has passed the origin check
//! (it answers our latest request) and, for keyed associations, authentication:
//! a forged or stale kiss never reaches here and changes nothing.

use crate::wire::{KissCode, RefId};

/// What an association does about a valid kiss-o'-death.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum KissAction {
    /// RATE: lengthen the poll interval and end any burst.
    BackOff,
    /// DENY / RSTR: stop sending to this remote.
    Stop,
    /// Any other code (INIT, STEP, unknown…): no action; the packet is unusable.
    Ignore,
}

/// The action for the kiss code carried in `refid` (a stratum-0 packet's
/// reference id).
pub fn kiss_action(refid: RefId) -> KissAction {
    match refid.kiss_code() {
        Some(KissCode::Rate) => KissAction::BackOff,
        Some(k) if k.is_deny() => KissAction::Stop,
        _ => KissAction::Ignore,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions() {
        assert_eq!(kiss_action(KissCode::Rate.to_ref_id()), KissAction::BackOff);
        assert_eq!(kiss_action(KissCode::Deny.to_ref_id()), KissAction::Stop);
        assert_eq!(kiss_action(KissCode::Rstr.to_ref_id()), KissAction::Stop);
        assert_eq!(kiss_action(KissCode::Init.to_ref_id()), KissAction::Ignore);
        assert_eq!(kiss_action(RefId::from_bytes(*b"XYZ?")), KissAction::Ignore);
    }
}
