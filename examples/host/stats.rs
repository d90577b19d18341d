//! ntpd-style statistics files (`statsdir`, `statistics peerstats loopstats`): one line per
//! event, appended, starting with the Modified Julian Day and seconds past UTC midnight.
//!
//! loopstats: `MJD secs offset(s) frequency(ppm) jitter(s) wander(ppm) poll(log2 s)`
//! peerstats: `MJD secs address status(hex) offset(s) delay(s) dispersion(s) jitter(s)`

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use sundial::time::{Frequency, NtpDuration, NtpTime};

/// MJD of 1900-01-01, the NTP era 0 epoch.
const MJD_1900: i64 = 15_020;

/// (Modified Julian Day, milliseconds past midnight) of `t`.
pub fn mjd(t: NtpTime) -> (i64, i64) {
    // Milliseconds, rounded to nearest, then split into day and time of day.
    let ms = ((u64::from(t.fraction()) * 1000 + (1 << 31)) >> 32) as i64;
    let total = t.seconds().saturating_mul(1000).saturating_add(ms);
    (
        MJD_1900 + total.div_euclid(86_400_000),
        total.rem_euclid(86_400_000),
    )
}

fn stamp(t: NtpTime) -> String {
    let (day, ms) = mjd(t);
    format!("{day} {}.{:03}", ms / 1000, ms % 1000)
}

/// One loop-filter update, as a loopstats line (without the newline).
pub fn loopstats_line(
    t: NtpTime,
    offset: NtpDuration,
    freq: Frequency,
    jitter: NtpDuration,
    wander: Frequency,
    poll_log2: i8,
) -> String {
    format!(
        "{} {offset:.9} {freq:.6} {jitter:.9} {wander:.6} {poll_log2}",
        stamp(t)
    )
}

/// One clock-filter update of a peer, as a peerstats line (without the newline).
pub fn peerstats_line(
    t: NtpTime,
    addr: IpAddr,
    status: u16,
    offset: NtpDuration,
    delay: NtpDuration,
    dispersion: NtpDuration,
    jitter: NtpDuration,
) -> String {
    format!(
        "{} {addr} {status:04x} {offset:.9} {delay:.9} {dispersion:.9} {jitter:.9}",
        stamp(t)
    )
}

/// An append-only statistics file in the stats directory (`DIR/loopstats`, ...).
pub struct StatsFile {
    path: PathBuf,
    file: File,
}

impl StatsFile {
    /// Opens (creating) `dir/name` for appending.
    pub fn open(dir: &Path, name: &str) -> io::Result<StatsFile> {
        let path = dir.join(name);
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        Ok(StatsFile { path, file })
    }

    /// Appends one line.
    pub fn line(&mut self, line: &str) -> io::Result<()> {
        writeln!(self.file, "{line}")
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mjd_of_known_dates() {
        // 2000-01-01T00:00:00Z is MJD 51544.
        let t = NtpTime::from_unix(946_684_800, 0);
        assert_eq!(mjd(t), (51_544, 0));
        let t = NtpTime::from_unix(946_684_800 + 3_723, 500_000_000);
        assert_eq!(mjd(t), (51_544, 3_723_500));
    }

    #[test]
    fn loopstats_format() {
        let t = NtpTime::from_unix(946_684_800 + 75_440, 31_000_000);
        let line = loopstats_line(
            t,
            NtpDuration::from_nanos(6_019),
            Frequency::from_ppb(13_778),
            NtpDuration::from_nanos(351_733),
            Frequency::from_ppb(13),
            6,
        );
        assert_eq!(
            line,
            "51544 75440.031 0.000006019 13.778000 0.000351733 0.013000 6"
        );
    }
}
