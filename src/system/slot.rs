//! One association slot of the system: the association itself plus what the
//! system keeps about it (its id, selection flags and last tally, and the
//! filter output waiting for selection).

use crate::association::{Association, PeerUpdate, PeerVariables};
use crate::event::AssociationId;
use crate::select::{CandidateFlags, Tally};
use crate::time::NtpTime;

/// An association and the system's bookkeeping for it.
#[derive(Debug, Clone)]
pub(crate) struct Slot {
    pub(crate) id: AssociationId,
    pub(crate) assoc: Association,
    /// Configured selection flags (`prefer`, `noselect`, `true`).
    pub(crate) flags: CandidateFlags,
    /// The tally from the last selection.
    pub(crate) tally: Tally,
    /// The latest filter output (None until the first, and after a step).
    pub(crate) update: Option<PeerUpdate>,
    /// Whether the remote answered recently (for reachability events).
    pub(crate) was_reachable: bool,
}

impl Slot {
    pub(crate) fn new(id: AssociationId, assoc: Association, flags: CandidateFlags) -> Slot {
        Slot {
            id,
            assoc,
            flags,
            tally: Tally::Reject,
            update: None,
            was_reachable: false,
        }
    }

    pub(crate) fn view(&self) -> AssociationView<'_> {
        AssociationView { slot: self }
    }
}

/// A read-only look at one association, for status displays (`ntpq -p`) and
/// mode 6.
#[derive(Debug, Clone, Copy)]
pub struct AssociationView<'a> {
    slot: &'a Slot,
}

impl<'a> AssociationView<'a> {
    /// The association id (ntpq `assid`).
    pub fn id(&self) -> AssociationId {
        self.slot.id
    }

    /// The association (configuration, filter, counters).
    pub fn association(&self) -> &'a Association {
        &self.slot.assoc
    }

    /// The selection tally code from the last selection.
    pub fn tally(&self) -> Tally {
        self.slot.tally
    }

    /// The configured selection flags.
    pub fn flags(&self) -> CandidateFlags {
        self.slot.flags
    }

    /// The peer variables at local time `now`.
    pub fn peer_variables(&self, now: NtpTime) -> PeerVariables {
        self.slot.assoc.peer_variables(now)
    }
}
