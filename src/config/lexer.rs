//! Splitting one line of ntp.conf (or of a keys file) into words with their columns.
//!
//! Owns [`Token`] and [`Cursor`]. Rules (as in ntpd): words are separated by spaces, tabs and
//! other ASCII white space; `#` outside a quoted word starts a comment that runs to the end of
//! the line; a word starting with `"` runs to the next `"` and may contain spaces and `#` (the
//! quotes are not part of the word). There are no continuation lines. Columns are 1-based and
//! count characters, so they match what an editor shows for UTF-8 text.
//!
//! Must not know anything about directives: that is [`ntp_conf`](super::ntp_conf)'s job.

use super::error::{Error, ErrorKind};

/// One word of a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token<'a> {
    /// The word, without surrounding quotes.
    pub text: &'a str,
    /// 1-based column (characters) where the word (or its opening quote) starts.
    pub column: u32,
    /// True if the word was written in double quotes.
    pub quoted: bool,
}

/// Reads the words of one line, left to right. Cheap to copy, so `clone()` is a peek.
#[derive(Clone, Debug)]
pub struct Cursor<'a> {
    line: &'a str,
    /// Byte offset of the next unread character.
    pos: usize,
    /// 1-based character column of `pos`.
    column: u32,
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n' | '\x0b' | '\x0c')
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `line` (which should not contain a line break).
    pub fn new(line: &'a str) -> Self {
        Cursor {
            line,
            pos: 0,
            column: 1,
        }
    }

    /// Column just after the last character of the line (for "missing argument" errors).
    pub fn end_column(&self) -> u32 {
        let rest = self.line.get(self.pos..).unwrap_or("");
        let mut col = self.column;
        for c in rest.chars() {
            if c == '#' {
                break;
            }
            col = col.saturating_add(1);
        }
        col
    }

    /// Advances past one character, keeping the column in step.
    fn bump(&mut self, c: char) {
        self.pos = self.pos.saturating_add(c.len_utf8());
        self.column = self.column.saturating_add(1);
    }

    /// The next word, `Ok(None)` at the end of the line or at a comment.
    pub fn next_token(&mut self) -> Result<Option<Token<'a>>, Error> {
        // Skip white space.
        loop {
            let Some(c) = self.line.get(self.pos..).and_then(|r| r.chars().next()) else {
                return Ok(None);
            };
            if !is_space(c) {
                break;
            }
            self.bump(c);
        }
        let start_col = self.column;
        let rest = self.line.get(self.pos..).unwrap_or("");
        let mut chars = rest.chars();
        match chars.next() {
            None | Some('#') => {
                // A comment ends the line: remember that by moving to the end.
                self.pos = self.line.len();
                Ok(None)
            }
            Some('"') => {
                self.bump('"');
                let start = self.pos;
                loop {
                    let Some(c) = self.line.get(self.pos..).and_then(|r| r.chars().next()) else {
                        return Err(Error::at(start_col, ErrorKind::UnterminatedQuote));
                    };
                    if c == '"' {
                        let text = self.line.get(start..self.pos).unwrap_or("");
                        self.bump(c);
                        return Ok(Some(Token {
                            text,
                            column: start_col,
                            quoted: true,
                        }));
                    }
                    self.bump(c);
                }
            }
            Some(_) => {
                let start = self.pos;
                while let Some(c) = self.line.get(self.pos..).and_then(|r| r.chars().next()) {
                    if is_space(c) || c == '#' {
                        break;
                    }
                    self.bump(c);
                }
                let text = self.line.get(start..self.pos).unwrap_or("");
                Ok(Some(Token {
                    text,
                    column: start_col,
                    quoted: false,
                }))
            }
        }
    }

    /// The next word without consuming it.
    pub fn peek(&self) -> Result<Option<Token<'a>>, Error> {
        self.clone().next_token()
    }

    /// The unread part of the line before any comment, trimmed; for directives that take free
    /// text (`setvar`). Quotes are kept as written.
    pub fn rest_of_line(&mut self) -> (&'a str, u32) {
        let rest = self.line.get(self.pos..).unwrap_or("");
        let mut end = rest.len();
        let mut in_quote = false;
        for (i, c) in rest.char_indices() {
            match c {
                '"' => in_quote = !in_quote,
                '#' if !in_quote => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        let text = rest.get(..end).unwrap_or("");
        let leading = text
            .len()
            .saturating_sub(text.trim_start_matches(is_space).len());
        let skipped = text.get(..leading).unwrap_or("").chars().count();
        let column = self
            .column
            .saturating_add(u32::try_from(skipped).unwrap_or(u32::MAX));
        self.pos = self.line.len();
        (text.trim_matches(is_space), column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn words(line: &str) -> Vec<(std::string::String, u32)> {
        let mut c = Cursor::new(line);
        let mut v = Vec::new();
        while let Some(t) = c.next_token().unwrap() {
            v.push((t.text.into(), t.column));
        }
        v
    }

    #[test]
    fn splits_on_tabs_and_spaces_with_columns() {
        assert_eq!(
            words("server\t10.0.0.1  iburst"),
            [
                ("server".into(), 1),
                ("10.0.0.1".into(), 8),
                ("iburst".into(), 18)
            ]
        );
    }

    #[test]
    fn comment_anywhere() {
        assert_eq!(
            words("peer a#comment b"),
            [("peer".into(), 1), ("a".into(), 6)]
        );
        assert!(words("   # only a comment").is_empty());
        assert!(words("").is_empty());
    }

    #[test]
    fn quoted_words_keep_spaces_and_hashes() {
        let mut c = Cursor::new(r#"logfile "/var/log/my #1.log" x"#);
        c.next_token().unwrap();
        let t = c.next_token().unwrap().unwrap();
        assert_eq!(t.text, "/var/log/my #1.log");
        assert!(t.quoted);
        assert_eq!(t.column, 9);
        let t = c.next_token().unwrap().unwrap();
        assert_eq!((t.text, t.column), ("x", 30));
    }

    #[test]
    fn unterminated_quote_is_an_error() {
        let mut c = Cursor::new(r#"logfile "abc"#);
        c.next_token().unwrap();
        let e = c.next_token().unwrap_err();
        assert_eq!(e.column, 9);
        assert_eq!(e.kind, ErrorKind::UnterminatedQuote);
    }

    #[test]
    fn columns_count_characters() {
        assert_eq!(words("ä b"), [("ä".into(), 1), ("b".into(), 3)]);
    }

    #[test]
    fn rest_of_line_stops_at_comment() {
        let mut c = Cursor::new(r#"setvar  a = "x # y" default # c"#);
        c.next_token().unwrap();
        let (rest, col) = c.rest_of_line();
        assert_eq!(rest, r#"a = "x # y" default"#);
        assert_eq!(col, 9);
    }
}
