//! [`AmplificationBudget`]: how many mode 6 replies larger than their
//! request the system sends to unauthenticated queriers, all together.
//!
//! Per-client memory would let a spoofer with many addresses exhaust it; a
//! global token bucket bounds what any number of spoofed sources can get
//! (`burst` replies at once, `per_second` on average) while a person running
//! `ntpq -p` now and then never notices it. Queriers that authenticate with
//! the `controlkey` do not draw on it.

use crate::time::NtpTime;

/// A token bucket of oversize mode 6 replies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AmplificationBudget {
    tokens: u32,
    burst: u32,
    per_second: u32,
    /// Whole seconds (local clock) of the last refill.
    refilled: Option<i64>,
}

impl AmplificationBudget {
    /// `burst` replies at once, `per_second` on average.
    pub(crate) const fn new(burst: u32, per_second: u32) -> Self {
        AmplificationBudget {
            tokens: burst,
            burst,
            per_second,
            refilled: None,
        }
    }

    /// Takes one token at local time `now`; false if the budget is spent.
    pub(crate) fn take(&mut self, now: NtpTime) -> bool {
        let second = now.seconds();
        match self.refilled {
            Some(last) if second > last => {
                let elapsed = u32::try_from(second.saturating_sub(last)).unwrap_or(u32::MAX);
                self.tokens = self
                    .tokens
                    .saturating_add(elapsed.saturating_mul(self.per_second))
                    .min(self.burst);
                self.refilled = Some(second);
            }
            // The clock went back (a step): start the second over.
            Some(last) if second < last => self.refilled = Some(second),
            Some(_) => {}
            None => self.refilled = Some(second),
        }
        if self.tokens == 0 {
            return false;
        }
        self.tokens -= 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_rate() {
        let t0 = NtpTime::from_parts(3_900_000_000, 0);
        let mut b = AmplificationBudget::new(4, 2);
        for _ in 0..4 {
            assert!(b.take(t0));
        }
        assert!(!b.take(t0));
        let t1 = NtpTime::from_parts(3_900_000_001, 0);
        assert!(b.take(t1));
        assert!(b.take(t1));
        assert!(!b.take(t1));
        // A long pause refills only up to the burst.
        let t2 = NtpTime::from_parts(3_900_001_000, 0);
        for _ in 0..4 {
            assert!(b.take(t2));
        }
        assert!(!b.take(t2));
    }
}
