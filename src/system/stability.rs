//! The clock's frequency stability as ntpd reports it (`clk_wander` in
//! mode 6, the wander column of loopstats): the root mean square of the
//! frequency change from one clock update to the next, exponentially
//! averaged over 8 updates (ntpd's `CLOCK_AVG`). It describes what the discipline
//! did; the discipline's own wander estimate (its model of the
//! oscillator, used to choose the poll) is a different quantity.

use crate::time::Frequency;

/// Updates in the exponential average (ntpd's `CLOCK_AVG`, 8), as log2.
const AVERAGING_LOG2: u32 = 3;
/// Frequency changes are squared in units of 2^-16 ppm (~15 ppt), so a
/// change of up to 2^15 ppm squares within 64 bits.
const CHANGE_SHIFT: u32 = 16;

/// RMS of the frequency changes between clock updates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Stability {
    /// Frequency at the last update.
    last: Option<Frequency>,
    /// Mean square change, in (2^-16 ppm)².
    mean_square: u64,
}

impl Stability {
    /// A clock update left the frequency at `frequency`.
    pub(crate) fn update(&mut self, frequency: Frequency) {
        if let Some(last) = self.last {
            let change = (frequency - last).to_bits() >> CHANGE_SHIFT;
            let change = change.unsigned_abs().min(u64::from(u32::MAX));
            let square = change * change;
            // mean += (square - mean) / 2^3, without going negative.
            self.mean_square = if square >= self.mean_square {
                self.mean_square + ((square - self.mean_square) >> AVERAGING_LOG2)
            } else {
                self.mean_square - ((self.mean_square - square) >> AVERAGING_LOG2)
            };
        }
        self.last = Some(frequency);
    }

    /// The RMS frequency change (ppm), ntpd's `clk_wander`.
    pub(crate) fn wander(&self) -> Frequency {
        let root = crate::isqrt::isqrt_u128(u128::from(self.mean_square));
        let bits = i64::try_from(root).unwrap_or(i64::MAX);
        Frequency::from_bits(bits.saturating_mul(1 << CHANGE_SHIFT))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_steady_frequency_has_no_wander() {
        let mut s = Stability::default();
        for _ in 0..20 {
            s.update(Frequency::from_ppm(-12));
        }
        assert_eq!(s.wander(), Frequency::ZERO);
    }

    #[test]
    fn alternating_changes_converge_to_their_size() {
        let mut s = Stability::default();
        // +-0.5 ppm around 10 ppm: every change is 1 ppm.
        for i in 0..200 {
            let f = if i % 2 == 0 { 10_500 } else { 9_500 };
            s.update(Frequency::from_ppb(f));
        }
        let ppb = s.wander().as_ppb();
        assert!((995..=1000).contains(&ppb), "{ppb} ppb");
        // One update of 2 ppm after a quiet spell weighs 1/8.
        let mut s = Stability::default();
        s.update(Frequency::ZERO);
        s.update(Frequency::from_ppm(2));
        let ppb = s.wander().as_ppb();
        // sqrt(4 / 8) ppm = 0.707 ppm
        assert!((700..=708).contains(&ppb), "{ppb} ppb");
    }

    #[test]
    fn huge_changes_saturate() {
        let mut s = Stability::default();
        s.update(Frequency::MIN);
        s.update(Frequency::MAX);
        assert!(s.wander() > Frequency::ZERO);
    }
}
