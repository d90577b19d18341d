//! Writing a [`Config`] back as ntp.conf text (also its `Display`).
//!
//! Owns the order of the emitted lines: files and keys, associations, reference clock
//! calibration, broadcast client, access control, interfaces, tuning, switches, logging,
//! variables. Values are written so that parsing the text gives back an equal `Config`
//! (decimals use the shortest form that reads back to the same 2^-32 units).

use core::fmt;

use super::flags::write_flags;
use super::logging::write_statistics;
use super::model::Config;
use super::value::{write_seconds, write_word};

fn line(w: &mut dyn fmt::Write, f: impl FnOnce(&mut dyn fmt::Write) -> fmt::Result) -> fmt::Result {
    // Only write a newline if something was written.
    let mut probe = Probe {
        inner: w,
        wrote: false,
    };
    f(&mut probe)?;
    if probe.wrote {
        probe.inner.write_char('\n')
    } else {
        Ok(())
    }
}

struct Probe<'a> {
    inner: &'a mut dyn fmt::Write,
    wrote: bool,
}

impl fmt::Write for Probe<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.wrote |= !s.is_empty();
        self.inner.write_str(s)
    }
}

impl<const S: usize, const R: usize, const K: usize> Config<S, R, K> {
    /// Writes the configuration as ntp.conf text, one directive per line.
    pub fn write_to<W: fmt::Write>(&self, w: &mut W) -> fmt::Result {
        self.write_dyn(w)
    }

    fn write_dyn(&self, w: &mut dyn fmt::Write) -> fmt::Result {
        let paths = [
            ("driftfile", &self.driftfile),
            ("leapfile", &self.leapfile),
            ("keys", &self.keys_file),
        ];
        for (name, p) in paths {
            if let Some(p) = p {
                write!(w, "{name} ")?;
                write_word(w, p)?;
                w.write_char('\n')?;
            }
        }
        if !self.trusted_keys.is_empty() {
            w.write_str("trustedkey")?;
            for k in &self.trusted_keys {
                write!(w, " {k}")?;
            }
            w.write_char('\n')?;
        }
        if let Some(k) = self.request_key {
            writeln!(w, "requestkey {k}")?;
        }
        if let Some(k) = self.control_key {
            writeln!(w, "controlkey {k}")?;
        }
        for a in &self.associations {
            line(w, |w| a.write_to(w))?;
        }
        for f in &self.fudges {
            line(w, |w| f.write_to(w))?;
        }
        self.devices.write_lines(w)?;
        match self.broadcast_client {
            Some(true) => w.write_str("broadcastclient yes\n")?,
            Some(false) => w.write_str("broadcastclient no\n")?,
            None => {}
        }
        if let Some(d) = self.broadcast_delay {
            w.write_str("broadcastdelay ")?;
            write_seconds(w, d)?;
            w.write_char('\n')?;
        }
        for r in &self.restrictions {
            line(w, |w| r.write_to(w))?;
        }
        line(w, |w| self.discard.write_to(w))?;
        for i in &self.interfaces {
            line(w, |w| i.write_to(w))?;
        }
        line(w, |w| self.tinker.write_to(w))?;
        line(w, |w| self.tos.write_to(w))?;
        if let Some(p) = self.precision {
            writeln!(w, "precision {p}")?;
        }
        line(w, |w| write_flags("enable", self.enable, w))?;
        line(w, |w| write_flags("disable", self.disable, w))?;
        if let Some(p) = &self.logfile {
            w.write_str("logfile ")?;
            write_word(w, p)?;
            w.write_char('\n')?;
        }
        if !self.logconfig.is_empty() {
            w.write_str("logconfig")?;
            for item in &self.logconfig {
                write!(w, " {item}")?;
            }
            w.write_char('\n')?;
        }
        if let Some(p) = &self.statsdir {
            w.write_str("statsdir ")?;
            write_word(w, p)?;
            w.write_char('\n')?;
        }
        line(w, |w| write_statistics(self.statistics, w))?;
        for g in &self.filegens {
            line(w, |w| g.write_to(w))?;
        }
        for v in &self.setvars {
            line(w, |w| v.write_to(w))?;
        }
        Ok(())
    }
}

impl<const S: usize, const R: usize, const K: usize> fmt::Display for Config<S, R, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_dyn(f)
    }
}
