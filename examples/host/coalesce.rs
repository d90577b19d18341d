//! Receive coalescing for a busy server, like a network card's interrupt moderation: while
//! requests arrive fast, the loop sleeps a short bounded time before each receive instead of
//! being woken by every datagram, so each wake-up (a `ppoll`, a `recvmmsg`, a `sendmmsg`, two
//! context switches) answers a batch; at low rates it never waits.
//!
//! The wait adapts to the batches it gathers: halved when a wake-up found two full receive
//! batches or more (requests already queue up by themselves — near saturation a wait would
//! only leave the CPU idle and cost replies per second), doubled up to the configured longest
//! wait when it found less than half a batch.
//!
//! This costs no accuracy only because the receive timestamp is the kernel's (`SO_TIMESTAMPNS`,
//! taken when the datagram arrived) and the transmit timestamp is read right before the send:
//! the wait is server residence time (t3 − t2), which clients subtract from their delay. A
//! socket without kernel receive timestamps must not be coalesced (the wait would be error),
//! and the daemon checks that.

use std::time::{Duration, Instant};

/// How often the request rate is measured.
const WINDOW: Duration = Duration::from_millis(10);
/// Shortest wait: anything shorter is not worth a timer (no wait instead).
const MIN_WAIT: Duration = Duration::from_micros(10);

/// Decides, from the measured request rate and batch sizes, how long the loop lets requests
/// gather.
#[derive(Debug)]
pub struct Coalescer {
    /// Longest gathering wait (zero: never wait).
    max: Duration,
    /// The current wait (adapted per wake-up, 0 or `MIN_WAIT..=max`).
    pause: Duration,
    /// Datagrams per receive batch (a full batch).
    batch: usize,
    /// Start of the current measuring window.
    window_start: Instant,
    /// Datagrams received in the current window.
    count: u64,
    /// The last window's rate was at or above the threshold.
    busy: bool,
}

impl Coalescer {
    /// Waits up to `max` (zero: off) while at least two requests arrive per `max` on
    /// average (e.g. from 10 000 requests/s for 200 µs): below that a wait would mostly
    /// gather one datagram and only add latency. `batch`: datagrams per receive call.
    pub fn new(max: Duration, batch: usize, now: Instant) -> Coalescer {
        Coalescer {
            max,
            pause: max,
            batch: batch.max(2),
            window_start: now,
            count: 0,
            busy: false,
        }
    }

    /// Counts `received` datagrams from one wake-up of the loop at `now` and adapts the wait
    /// to the batch it found; at the end of each 10 ms window decides from the rate whether
    /// the next wake-ups wait at all. A wake-up that found nothing (traffic stopped) ends the
    /// waiting at once.
    pub fn record(&mut self, received: usize, now: Instant) {
        if received == 0 && self.busy {
            self.busy = false;
            self.window_start = now;
            self.count = 0;
            return;
        }
        if received >= 2 * self.batch {
            self.pause /= 2;
            if self.pause < MIN_WAIT {
                self.pause = Duration::ZERO;
            }
        } else if received > 0 && received < self.batch / 2 {
            self.pause = (self.pause * 2).clamp(MIN_WAIT, self.max.max(MIN_WAIT));
        }
        self.count = self.count.saturating_add(received as u64);
        let elapsed = now.saturating_duration_since(self.window_start);
        if elapsed >= WINDOW {
            // Fast enough when count / elapsed >= 2 / max, i.e. count · max >= 2 · elapsed.
            let max_ns = self.max.as_nanos();
            self.busy = max_ns > 0
                && u128::from(self.count).saturating_mul(max_ns) >= 2 * elapsed.as_nanos();
            self.window_start = now;
            self.count = 0;
        }
    }

    /// How long to let requests gather before the next receive: the adapted wait while the
    /// rate is high, else zero.
    pub fn wait(&self) -> Duration {
        if self.busy {
            self.pause.min(self.max)
        } else {
            Duration::ZERO
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `per_wake` datagrams every `every_us` µs for `total_ms` ms.
    fn feed(c: &mut Coalescer, t: &mut Instant, per_wake: usize, every_us: u64, total_ms: u64) {
        let end = *t + Duration::from_millis(total_ms);
        while *t < end {
            *t += Duration::from_micros(every_us);
            c.record(per_wake, *t);
        }
    }

    #[test]
    fn waits_only_while_the_rate_is_high_and_stops_when_traffic_stops() {
        let mut t = Instant::now();
        let mut c = Coalescer::new(Duration::from_micros(100), 32, t);
        assert_eq!(c.wait(), Duration::ZERO);
        // 10 000/s (one datagram per 100 µs): below 2 per wait, no waiting.
        feed(&mut c, &mut t, 1, 100, 50);
        assert_eq!(c.wait(), Duration::ZERO);
        // 100 000/s: waits.
        feed(&mut c, &mut t, 10, 100, 50);
        assert_eq!(c.wait(), Duration::from_micros(100));
        // An empty wake-up ends it at once.
        c.record(0, t);
        assert_eq!(c.wait(), Duration::ZERO);
        // Back to a trickle after a busy period: the next window ends the waiting.
        feed(&mut c, &mut t, 10, 100, 50);
        assert_eq!(c.wait(), Duration::from_micros(100));
        feed(&mut c, &mut t, 1, 1000, 30);
        assert_eq!(c.wait(), Duration::ZERO);
    }

    #[test]
    fn full_batches_shorten_the_wait_small_ones_lengthen_it() {
        let mut t = Instant::now();
        let max = Duration::from_micros(200);
        let mut c = Coalescer::new(max, 32, t);
        feed(&mut c, &mut t, 20, 200, 50);
        assert_eq!(c.wait(), max);
        // Saturated: every wake-up finds two full batches or more; the wait goes to zero.
        feed(&mut c, &mut t, 64, 200, 50);
        assert_eq!(c.wait(), Duration::ZERO);
        // Between half a batch and two: stays where it is.
        feed(&mut c, &mut t, 20, 100, 50);
        assert_eq!(c.wait(), Duration::ZERO);
        // Small batches: back up, doubling from the shortest wait, to the longest.
        c.record(8, t);
        assert_eq!(c.wait(), MIN_WAIT);
        c.record(8, t);
        assert_eq!(c.wait(), MIN_WAIT * 2);
        feed(&mut c, &mut t, 8, 100, 50);
        assert_eq!(c.wait(), max);
    }

    #[test]
    fn zero_means_off() {
        let mut t = Instant::now();
        let mut c = Coalescer::new(Duration::ZERO, 32, t);
        feed(&mut c, &mut t, 8, 10, 50);
        assert_eq!(c.wait(), Duration::ZERO);
    }
}
