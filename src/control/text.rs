//! The data area of a mode 6 reply, written the way ntpd writes it.
//!
//! Owns the layout rules ntpq relies on: `name=value` items separated by
//! `", "`, a `"\r\n"` line break instead of the space when the next item
//! would reach column 72, a final `"\r\n"` after text data, and binary data
//! (READSTAT pairs) copied as is. It does not know what the variables mean.
//!
//! The writer is *windowed*: it keeps only the bytes whose position in the
//! whole reply falls inside `[start, start + out.len())` and counts the rest.
//! A reply longer than one fragment is produced by rendering it once per
//! fragment with a different window, so no buffer for the whole reply is
//! needed (the rendering is deterministic, so fragments fit together).

use core::fmt::{self, Write};

/// Column limit of a line of text data (ntpd's `MAXDATALINELEN`, bytes).
pub const MAX_LINE_LEN: usize = 72;

/// Longest `name=value` item rendered, in bytes; longer items are cut.
pub const MAX_ITEM_LEN: usize = 192;

/// Windowed writer for the data area of a mode 6 reply (see module docs).
#[derive(Debug)]
pub struct DataWriter<'a> {
    out: &'a mut [u8],
    /// Position in the whole reply of `out[0]`, bytes.
    start: usize,
    /// Bytes of the whole reply produced so far.
    total: usize,
    /// Length of the current text line, bytes.
    line_len: usize,
    /// Whether a text item has been written (the next one needs a separator).
    any_text: bool,
}

impl<'a> DataWriter<'a> {
    /// A writer keeping the reply bytes at positions `start..start + out.len()`.
    pub fn new(out: &'a mut [u8], start: usize) -> Self {
        DataWriter {
            out,
            start,
            total: 0,
            line_len: 0,
            any_text: false,
        }
    }

    /// Length of the whole reply written so far, bytes (also outside the window).
    pub fn total_len(&self) -> usize {
        self.total
    }

    /// Bytes of the reply that landed in the window.
    pub fn window_len(&self) -> usize {
        self.total.saturating_sub(self.start).min(self.out.len())
    }

    /// Appends raw bytes (binary data, or text already laid out).
    pub fn raw(&mut self, bytes: &[u8]) {
        let end = self.start.saturating_add(self.out.len());
        let lo = self.total.max(self.start);
        let hi = self.total.saturating_add(bytes.len()).min(end);
        if lo < hi {
            let src = bytes.get(lo - self.total..hi - self.total);
            let dst = self.out.get_mut(lo - self.start..hi - self.start);
            if let (Some(src), Some(dst)) = (src, dst) {
                for (d, s) in dst.iter_mut().zip(src) {
                    *d = *s;
                }
            }
        }
        self.total = self.total.saturating_add(bytes.len());
    }

    /// Appends one text item (usually `name=value`), preceded by `","` and a
    /// space or a line break as ntpd does. Items longer than
    /// [`MAX_ITEM_LEN`] are cut.
    pub fn item(&mut self, item: &[u8]) {
        if self.any_text {
            self.raw(b",");
            self.line_len = self.line_len.saturating_add(1);
            if item.len().saturating_add(self.line_len).saturating_add(1) >= MAX_LINE_LEN {
                self.raw(b"\r\n");
                self.line_len = 0;
            } else {
                self.raw(b" ");
                self.line_len = self.line_len.saturating_add(1);
            }
        }
        self.raw(item);
        self.line_len = self.line_len.saturating_add(item.len());
        self.any_text = true;
    }

    /// Appends `name=value`, the value rendered with `Display`.
    #[inline]
    pub fn var(&mut self, name: &str, value: impl fmt::Display) {
        self.var_dyn(name, &value);
    }

    /// [`var`](Self::var) through a trait object: one body for every value
    /// type (13 copies of it were 1.3 KB of a Cortex-M3 build).
    fn var_dyn(&mut self, name: &str, value: &dyn fmt::Display) {
        let mut buf = ItemBuf::new();
        // A full buffer only cuts the item; nothing else can fail.
        let _ = write!(buf, "{name}={value}");
        self.item(buf.as_bytes());
    }

    /// Appends a bare `name` (a variable without a value).
    pub fn flag(&mut self, name: &str) {
        self.item(name.as_bytes());
    }

    /// Ends text data: a final `"\r\n"` if any text item was written.
    pub fn finish_text(&mut self) {
        if self.any_text {
            self.raw(b"\r\n");
        }
    }
}

/// Fixed buffer one item is formatted into before it is laid out.
struct ItemBuf {
    buf: [u8; MAX_ITEM_LEN],
    len: usize,
}

impl ItemBuf {
    fn new() -> Self {
        ItemBuf {
            buf: [0; MAX_ITEM_LEN],
            len: 0,
        }
    }

    fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }
}

impl Write for ItemBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = MAX_ITEM_LEN.saturating_sub(self.len);
        let take = s.len().min(room);
        if let (Some(dst), Some(src)) = (
            self.buf.get_mut(self.len..self.len + take),
            s.as_bytes().get(..take),
        ) {
            dst.copy_from_slice(src);
            self.len += take;
        }
        if take < s.len() {
            Err(fmt::Error)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(items: &[&str], start: usize, out: &mut [u8]) -> (usize, usize) {
        let mut w = DataWriter::new(out, start);
        for i in items {
            w.item(i.as_bytes());
        }
        w.finish_text();
        (w.total_len(), w.window_len())
    }

    #[test]
    fn wraps_like_ntpd() {
        // The c1 vector's first two lines.
        let items = [
            "leap=0",
            "stratum=11",
            "precision=-24",
            "rootdelay=0.000",
            "rootdisp=10.146",
            "refid=127.127.1.0",
        ];
        let mut out = [0u8; 200];
        let (total, win) = render(&items, 0, &mut out);
        let expected: &[u8] = b"leap=0, stratum=11, precision=-24, rootdelay=0.000, rootdisp=10.146,\r\nrefid=127.127.1.0\r\n";
        assert_eq!(total, expected.len());
        assert_eq!(&out[..win], expected);
    }

    #[test]
    fn windows_join_to_the_whole() {
        let items: std::vec::Vec<std::string::String> = (0..60)
            .map(|i| std::format!("variable{i}=0.{i:06}"))
            .collect();
        let refs: std::vec::Vec<&str> = items.iter().map(|s| s.as_str()).collect();
        let mut whole = [0u8; 2000];
        let (total, win) = render(&refs, 0, &mut whole);
        assert_eq!(total, win);
        let mut joined = std::vec::Vec::new();
        let mut start = 0;
        while start < total {
            let mut frag = [0u8; 468];
            let (t, w) = render(&refs, start, &mut frag);
            assert_eq!(t, total);
            joined.extend_from_slice(&frag[..w]);
            start += 468;
        }
        assert_eq!(&joined[..], &whole[..total]);
    }

    #[test]
    fn long_items_are_cut() {
        let mut out = [0u8; 400];
        let mut w = DataWriter::new(&mut out, 0);
        let long = [b'x'; 300];
        let s = core::str::from_utf8(&long).unwrap_or("");
        w.var("name", s);
        assert_eq!(w.total_len(), MAX_ITEM_LEN);
    }
}
