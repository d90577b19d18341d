//! Accuracy metrics of one simulated client against true time: |offset|
//! sampled every second after the warm-up (RMS, max, 99th percentile,
//! mean), RMS frequency error (the clock's actual rate error over each
//! second, slews included), time until |offset| first drops below 1 ms,
//! mean poll interval and packets sent.

use std::fmt::Write as _;
use std::format;
use std::prelude::rust_2024::*;

/// Samples collected during a run.
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    warmup: f64,
    offsets: Vec<f64>,
    freq_errors: Vec<f64>,
    time_to_1ms: Option<f64>,
    /// Offset trace for plotting: (true time s, offset s), every second.
    pub trace: Vec<(f64, f64)>,
    trace_every: u64,
}

/// The numbers the issue asks for, per client.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Summary {
    /// RMS of |offset| after the warm-up, µs.
    pub rms_offset_us: f64,
    /// Largest |offset| after the warm-up, µs.
    pub max_offset_us: f64,
    /// 99th percentile of |offset| after the warm-up, µs.
    pub p99_offset_us: f64,
    /// Mean of |offset| after the warm-up, µs.
    pub mean_offset_us: f64,
    /// RMS of the clock's frequency error after the warm-up, ppb.
    pub rms_freq_error_ppb: f64,
    /// First time |offset| < 1 ms, s (NaN if never).
    pub time_to_1ms_s: f64,
    /// Mean interval between requests to a server, s.
    pub mean_poll_s: f64,
    /// Requests sent.
    pub packets: u64,
}

impl Metrics {
    /// Collects after `warmup` s; keeps every `trace_every`-th second for plots (0 = none).
    pub fn new(warmup: f64, trace_every: u64) -> Metrics {
        Metrics {
            warmup,
            trace_every,
            ..Metrics::default()
        }
    }

    /// Records the offset (s) at true time `tau` (s) and the frequency
    /// error (s/s) over the second before it. Call once per second.
    pub fn second(&mut self, tau: f64, offset: f64, freq_error: f64) {
        if tau >= self.warmup {
            self.offsets.push(offset.abs());
            self.freq_errors.push(freq_error);
        }
        if self.trace_every > 0 && (tau as u64) % self.trace_every == 0 {
            self.trace.push((tau, offset));
        }
    }

    /// Records an offset observation at any time, for the 1 ms criterion.
    pub fn observe(&mut self, tau: f64, offset: f64) {
        if self.time_to_1ms.is_none() && offset.abs() < 1e-3 {
            self.time_to_1ms = Some(tau);
        }
    }

    /// The summary, given the requests sent and the mean poll interval.
    pub fn summary(&self, packets: u64, mean_poll_s: f64) -> Summary {
        let n = self.offsets.len().max(1) as f64;
        let rms = (self.offsets.iter().map(|o| o * o).sum::<f64>() / n).sqrt();
        let mean = self.offsets.iter().sum::<f64>() / n;
        let max = self.offsets.iter().copied().fold(0.0, f64::max);
        let mut sorted = self.offsets.clone();
        sorted.sort_by(|a, b| a.total_cmp(b));
        let p99 = sorted
            .get(((sorted.len() as f64) * 0.99) as usize)
            .copied()
            .unwrap_or(max);
        let nf = self.freq_errors.len().max(1) as f64;
        let rms_f = (self.freq_errors.iter().map(|f| f * f).sum::<f64>() / nf).sqrt();
        Summary {
            rms_offset_us: rms * 1e6,
            max_offset_us: max * 1e6,
            p99_offset_us: p99 * 1e6,
            mean_offset_us: mean * 1e6,
            rms_freq_error_ppb: rms_f * 1e9,
            time_to_1ms_s: self.time_to_1ms.unwrap_or(f64::NAN),
            mean_poll_s,
            packets,
        }
    }
}

impl Summary {
    /// One line of JSON with the field names (`null` for NaN).
    pub fn to_json(&self, client: usize) -> String {
        let num = |v: f64| {
            if v.is_finite() {
                format!("{v:.3}")
            } else {
                "null".to_string()
            }
        };
        let mut s = String::new();
        let _ = write!(
            s,
            "{{\"client\":{client},\"rms_offset_us\":{},\"max_offset_us\":{},\"p99_offset_us\":{},\"mean_offset_us\":{},\"rms_freq_error_ppb\":{},\"time_to_1ms_s\":{},\"mean_poll_s\":{},\"packets\":{}}}",
            num(self.rms_offset_us),
            num(self.max_offset_us),
            num(self.p99_offset_us),
            num(self.mean_offset_us),
            num(self.rms_freq_error_ppb),
            num(self.time_to_1ms_s),
            num(self.mean_poll_s),
            self.packets
        );
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_statistics() {
        let mut m = Metrics::new(10.0, 0);
        for i in 0..20 {
            m.second(i as f64, if i < 10 { 1.0 } else { 2e-6 }, 0.0);
            m.observe(i as f64, if i < 10 { 1.0 } else { 2e-6 });
        }
        let s = m.summary(7, 64.0);
        assert!((s.rms_offset_us - 2.0).abs() < 1e-9);
        assert_eq!(s.time_to_1ms_s, 10.0);
        assert!(s.to_json(0).contains("\"packets\":7"));
    }
}
