//! Saturating event counters: the statistics each layer keeps (packets
//! received and rejected, sentences framed, clients limited) stop at their
//! maximum instead of wrapping. One place for the two widths the core uses,
//! out of line on 32-bit targets: they are bumped in dozens of places and
//! inline each is a load, a saturating add and a store.

/// Adds one to `counter`, saturating at `u32::MAX`.
#[cfg_attr(target_pointer_width = "32", inline(never))]
pub(crate) fn bump(counter: &mut u32) {
    *counter = counter.saturating_add(1);
}

/// Adds one to `counter`, saturating at `u64::MAX`.
#[cfg_attr(target_pointer_width = "32", inline(never))]
pub(crate) fn bump_u64(counter: &mut u64) {
    *counter = counter.saturating_add(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_count_and_saturate() {
        let mut a = u32::MAX - 1;
        bump(&mut a);
        assert_eq!(a, u32::MAX);
        bump(&mut a);
        assert_eq!(a, u32::MAX);
        let mut b = 0u64;
        bump_u64(&mut b);
        assert_eq!(b, 1);
        b = u64::MAX;
        bump_u64(&mut b);
        assert_eq!(b, u64::MAX);
    }
}
