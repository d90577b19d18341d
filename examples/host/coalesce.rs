//! Receive coalescing for a busy server, like a network card's interrupt moderation: while
//! requests arrive fast, the loop sleeps a short bounded time before each receive instead of
//! being woken by every datagram, so each wake-up (a `ppoll`, a `recvmmsg`, a `sendmmsg`, two
//! context switches) answers a batch; at low rates it never waits.
//!
//! This costs no accuracy only because the receive timestamp is the kernel's (`SO_TIMESTAMPNS`,
//! taken when the datagram arrived) and the transmit timestamp is read right before the send:
//! the wait is server residence time (t3 − t2), which clients subtract from their delay. A
//! socket without kernel receive timestamps must not be coalesced (the wait would be error),
//! and the daemon checks that.

use std::time::{Duration, Instant};

/// How often the request rate is measured.
const WINDOW: Duration = Duration::from_millis(10);

/// Decides, from the measured request rate, how long the loop lets requests gather.
#[derive(Debug)]
pub struct Coalescer {
    /// Longest gathering wait (zero: never wait).
    wait: Duration,
    /// Start of the current measuring window.
    window_start: Instant,
    /// Datagrams received in the current window.
    count: u64,
    /// The last window's rate was at or above the threshold.
    busy: bool,
}

impl Coalescer {
    /// Waits up to `wait` (zero: off) while at least two requests arrive per `wait` on
    /// average (e.g. from 10 000 requests/s for 200 µs): below that a wait would mostly
    /// gather one datagram and only add latency.
    pub fn new(wait: Duration, now: Instant) -> Coalescer {
        Coalescer {
            wait,
            window_start: now,
            count: 0,
            busy: false,
        }
    }

    /// The configured longest wait.
    pub fn max_wait(&self) -> Duration {
        self.wait
    }

    /// Counts `received` datagrams (from one wake-up of the loop) at `now`; at the end of each
    /// 10 ms window decides whether the next wake-ups wait. A wake-up that found nothing
    /// (traffic stopped) ends the waiting at once.
    pub fn record(&mut self, received: usize, now: Instant) {
        if received == 0 && self.busy {
            self.busy = false;
            self.window_start = now;
            self.count = 0;
            return;
        }
        self.count = self.count.saturating_add(received as u64);
        let elapsed = now.saturating_duration_since(self.window_start);
        if elapsed >= WINDOW {
            // busy when count / elapsed >= 2 / wait, i.e. count · wait >= 2 · elapsed.
            let wait_ns = self.wait.as_nanos();
            self.busy = wait_ns > 0
                && u128::from(self.count).saturating_mul(wait_ns) >= 2 * elapsed.as_nanos();
            self.window_start = now;
            self.count = 0;
        }
    }

    /// How long to let requests gather before the next receive: the configured wait while
    /// the rate is high, else zero.
    pub fn wait(&self) -> Duration {
        if self.busy { self.wait } else { Duration::ZERO }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `per_wake` datagrams every `every` for `total`.
    fn feed(c: &mut Coalescer, t: &mut Instant, per_wake: usize, every: Duration, total: Duration) {
        let end = *t + total;
        while *t < end {
            *t += every;
            c.record(per_wake, *t);
        }
    }

    #[test]
    fn waits_only_while_the_rate_is_high_and_stops_when_traffic_stops() {
        let mut t = Instant::now();
        let mut c = Coalescer::new(Duration::from_micros(100), t);
        assert_eq!(c.wait(), Duration::ZERO);
        // 10 000/s (one datagram per 100 µs): below 2 per wait, no waiting.
        feed(
            &mut c,
            &mut t,
            1,
            Duration::from_micros(100),
            Duration::from_millis(50),
        );
        assert_eq!(c.wait(), Duration::ZERO);
        // 100 000/s: waits.
        feed(
            &mut c,
            &mut t,
            10,
            Duration::from_micros(100),
            Duration::from_millis(50),
        );
        assert_eq!(c.wait(), Duration::from_micros(100));
        // An empty wake-up ends it at once.
        c.record(0, t);
        assert_eq!(c.wait(), Duration::ZERO);
        // Back to a trickle after a busy period: the next window ends the waiting.
        feed(
            &mut c,
            &mut t,
            10,
            Duration::from_micros(100),
            Duration::from_millis(50),
        );
        assert_eq!(c.wait(), Duration::from_micros(100));
        feed(
            &mut c,
            &mut t,
            1,
            Duration::from_millis(1),
            Duration::from_millis(30),
        );
        assert_eq!(c.wait(), Duration::ZERO);
    }

    #[test]
    fn zero_means_off() {
        let mut t = Instant::now();
        let mut c = Coalescer::new(Duration::ZERO, t);
        feed(
            &mut c,
            &mut t,
            32,
            Duration::from_micros(10),
            Duration::from_millis(50),
        );
        assert_eq!(c.wait(), Duration::ZERO);
    }
}
