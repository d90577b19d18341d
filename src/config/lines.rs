//! Feeding a file in chunks: [`LineReader`] collects bytes into whole lines.
//!
//! Firmware that reads ntp.conf or a keys file from flash or an SD card in small blocks pushes
//! each block here; every completed line is handed to a callback (normally
//! [`Parser::feed_line`](super::Parser::feed_line) or
//! [`KeysParser::feed_line`](super::KeysParser::feed_line)). Only one line of `N` bytes is held.
//! Lines end in `\n`; a `\r` before it is dropped with the rest of the white space.

use super::error::{Error, ErrorKind};

/// A line buffer of `N` bytes (the longest accepted line, without its `\n`).
#[derive(Clone, Debug)]
pub struct LineReader<const N: usize> {
    buf: heapless::Vec<u8, N>,
    /// 1-based number of the line being collected.
    line: u32,
    /// The current line overflowed; its bytes are skipped up to the next `\n`.
    overflowed: bool,
}

impl<const N: usize> Default for LineReader<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> LineReader<N> {
    /// An empty reader at line 1.
    pub const fn new() -> Self {
        LineReader {
            buf: heapless::Vec::new(),
            line: 1,
            overflowed: false,
        }
    }

    fn emit<F>(&mut self, f: &mut F) -> Result<(), Error>
    where
        F: FnMut(&str) -> Result<(), Error>,
    {
        let line = self.line;
        self.line = self.line.saturating_add(1);
        if core::mem::replace(&mut self.overflowed, false) {
            self.buf.clear();
            return Err(Error::at(0, ErrorKind::LineTooLong { max: N }).on_line(line));
        }
        let result = match core::str::from_utf8(&self.buf) {
            Ok(text) => f(text),
            Err(_) => Err(Error::at(0, ErrorKind::InvalidUtf8).on_line(line)),
        };
        self.buf.clear();
        result
    }

    /// Adds `chunk`; calls `f` with each line completed by it. Stops at the first error.
    pub fn push<F>(&mut self, chunk: &[u8], mut f: F) -> Result<(), Error>
    where
        F: FnMut(&str) -> Result<(), Error>,
    {
        for &b in chunk {
            if b == b'\n' {
                self.emit(&mut f)?;
            } else if !self.overflowed && self.buf.push(b).is_err() {
                self.overflowed = true;
            }
        }
        Ok(())
    }

    /// Ends the input: hands over a last line that had no `\n`.
    pub fn finish<F>(&mut self, mut f: F) -> Result<(), Error>
    where
        F: FnMut(&str) -> Result<(), Error>,
    {
        if self.buf.is_empty() && !self.overflowed {
            return Ok(());
        }
        self.emit(&mut f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::String;
    use std::vec::Vec;

    #[test]
    fn lines_across_chunks() {
        let mut r = LineReader::<16>::new();
        let mut got: Vec<String> = Vec::new();
        for chunk in [&b"ab"[..], b"c\nde", b"f\r\n", b"tail"] {
            r.push(chunk, |l| {
                got.push(l.into());
                Ok(())
            })
            .unwrap();
        }
        r.finish(|l| {
            got.push(l.into());
            Ok(())
        })
        .unwrap();
        assert_eq!(got, ["abc", "def\r", "tail"]);
    }

    #[test]
    fn long_line_is_an_error_with_its_number() {
        let mut r = LineReader::<4>::new();
        let e = r.push(b"ok\ntoo long\n", |_| Ok(())).unwrap_err();
        assert_eq!((e.line, e.kind), (2, ErrorKind::LineTooLong { max: 4 }));
    }

    #[test]
    fn invalid_utf8_is_an_error() {
        let mut r = LineReader::<8>::new();
        let e = r.push(b"\xff\n", |_| Ok(())).unwrap_err();
        assert_eq!((e.line, e.kind), (1, ErrorKind::InvalidUtf8));
    }
}
