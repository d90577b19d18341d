//! The one sort the core uses: a stable insertion sort by key, for the
//! short arrays it orders (8 filter stages, a few sources, ≤ 64 refclock
//! samples).
//!
//! Why not `core`'s `sort_unstable_by_key`: each instantiation of its
//! quicksort/smallsort pair costs 2–8 KB of flash on Cortex-M, and it keeps
//! a panic path (`panic_on_ord_violation`) in the firmware. This one is a
//! few dozen bytes per use, cannot panic (slice patterns, no indexing), and
//! being stable it gives the same order on every target.

/// Sorts `v` by `key`, stably (equal keys keep their order). O(n²)
/// comparisons: meant for the core's arrays of at most a few dozen items.
pub(crate) fn sort_by_key<T, K: Ord>(v: &mut [T], mut key: impl FnMut(&T) -> K) {
    for i in 1..v.len() {
        let mut j = i;
        while j > 0 {
            let Some([a, b]) = v.get_mut(j - 1..j + 1) else {
                break;
            };
            if key(b) >= key(a) {
                break;
            }
            core::mem::swap(a, b);
            j -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sorts_and_is_stable() {
        let mut v = [(3, 'a'), (1, 'b'), (3, 'c'), (0, 'd'), (1, 'e')];
        sort_by_key(&mut v, |p| p.0);
        assert_eq!(v, [(0, 'd'), (1, 'b'), (1, 'e'), (3, 'a'), (3, 'c')]);
        let mut empty: [u8; 0] = [];
        sort_by_key(&mut empty, |&x| x);
        let mut one = [7];
        sort_by_key(&mut one, |&x| x);
        assert_eq!(one, [7]);
    }

    proptest! {
        #[test]
        fn matches_the_std_stable_sort(mut v in proptest::collection::vec((0u8..8, any::<u16>()), 0..80)) {
            let mut want = v.clone();
            want.sort_by_key(|p| p.0);
            sort_by_key(&mut v, |p| p.0);
            prop_assert_eq!(v, want);
        }
    }
}
