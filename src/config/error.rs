//! Errors and warnings of the configuration parsers (ntp.conf and keys files).
//!
//! Owns [`Error`] (`{line, column, kind}`), [`ErrorKind`], [`Warning`], the bounded
//! [`Warnings`] list and [`Snippet`], the short copy of offending input quoted in messages.
//! Every message is written for a person reading it in a terminal, e.g.
//! ``line 7, column 17: `maxpoll 18` is out of range 3..17``.
//!
//! Messages never quote key material: errors on the key column of a keys file name the key id
//! and the problem, not the secret.

use core::fmt;

use super::capacities::{MAX_WARNINGS, SNIPPET_LEN};

/// A short copy of the input word an error or warning talks about (at most
/// [`SNIPPET_LEN`] bytes; longer words are cut at a character boundary and end in `...`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snippet(heapless::String<SNIPPET_LEN>);

impl Snippet {
    /// Copies `word`, shortened to fit; control characters become `?` so that a message
    /// cannot carry terminal escape sequences from the input.
    pub fn new(word: &str) -> Self {
        let mut s = heapless::String::new();
        let fits = word.len() <= SNIPPET_LEN;
        // Keep room for "..." when the word is cut.
        let limit = if fits {
            SNIPPET_LEN
        } else {
            SNIPPET_LEN.saturating_sub(3)
        };
        for c in word.chars() {
            let c = if c.is_control() { '?' } else { c };
            if s.len().saturating_add(c.len_utf8()) > limit {
                break;
            }
            // Cannot fail: the length was checked above.
            let _ = s.push(c);
        }
        if !fits {
            let _ = s.push_str("...");
        }
        Snippet(s)
    }

    /// The (possibly shortened) text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Display for Snippet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What went wrong; see [`Error`] for where.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The first word of the line is not a directive we know.
    UnknownDirective {
        /// The word.
        word: Snippet,
        /// Extra help, e.g. that the word belongs to chrony.conf.
        hint: Option<&'static str>,
    },
    /// A word after a directive is not one of its options.
    UnknownOption {
        /// The directive (`server`, `restrict`, ...).
        directive: &'static str,
        /// The word.
        word: Snippet,
    },
    /// The line ends where a value was needed.
    MissingArgument {
        /// The directive or option that needs it.
        directive: &'static str,
        /// What is needed ("an address", "a number of seconds", ...).
        what: &'static str,
    },
    /// A word after the last value a directive takes.
    UnexpectedArgument {
        /// The directive.
        directive: &'static str,
        /// The word.
        word: Snippet,
    },
    /// A whole number was expected.
    InvalidNumber {
        /// The option (or directive) the number belongs to.
        option: &'static str,
        /// The word found instead.
        word: Snippet,
    },
    /// A decimal number (of seconds, ppm, ...) was expected.
    InvalidDecimal {
        /// The option the number belongs to.
        option: &'static str,
        /// The word found instead.
        word: Snippet,
    },
    /// A number outside the range the option allows.
    OutOfRange {
        /// The option.
        option: &'static str,
        /// The value as written.
        word: Snippet,
        /// The allowed range as text, e.g. `3..17` (both ends included).
        range: &'static str,
    },
    /// Neither an IPv4/IPv6 literal nor a valid host name.
    InvalidAddress {
        /// The directive.
        directive: &'static str,
        /// The word.
        word: Snippet,
    },
    /// A word longer than the fixed capacity reserved for it.
    TooLong {
        /// What the word is ("host name", "path", ...).
        what: &'static str,
        /// The (shortened) word.
        word: Snippet,
        /// Capacity in bytes.
        max: usize,
    },
    /// More entries than the configuration has room for (a capacity, not a syntax problem).
    TooMany {
        /// What overflowed ("servers and peers", "restrict entries", ...).
        what: &'static str,
        /// The capacity.
        capacity: usize,
    },
    /// Valid ntpd syntax that this implementation does not support.
    Unsupported {
        /// What is not supported.
        what: &'static str,
        /// The word that asks for it.
        word: Snippet,
    },
    /// `minpoll` above `maxpoll` on one line.
    MinpollAboveMaxpoll {
        /// log2 s.
        minpoll: i8,
        /// log2 s.
        maxpoll: i8,
    },
    /// A `"` without its closing partner.
    UnterminatedQuote,
    /// A line longer than the line buffer (chunked input only).
    LineTooLong {
        /// Capacity in bytes.
        max: usize,
    },
    /// The line is not valid UTF-8 (chunked input only).
    InvalidUtf8,
    /// Keys file: the id column is not a key id.
    InvalidKeyId {
        /// The word, if it is a number (other words are not quoted: they may be a secret).
        word: Option<Snippet>,
    },
    /// Keys file: a digest name that is neither supported nor known-unsupported.
    /// (The word is not quoted: in a malformed line it may be the secret.)
    UnknownKeyType {
        /// Key id.
        key: u32,
    },
    /// Keys file: more words after the key (ntpd 4.2.8's per-key address list, or a key with
    /// a space in it). Not quoted, for the same reason.
    ExtraKeyColumn {
        /// Key id.
        key: u32,
    },
    /// Keys file: the key is not valid hexadecimal (the key itself is not quoted).
    InvalidHexKey {
        /// Key id.
        key: u32,
    },
    /// Keys file: wrong key length for the algorithm or over the buffer size.
    KeyLength {
        /// Key id.
        key: u32,
        /// Length found, bytes.
        len: usize,
        /// Allowed lengths as text ("1..32 bytes", "16 bytes").
        allowed: &'static str,
    },
    /// Keys file: a key type this build knows but has compiled out (the
    /// `sha1` or `cmac` cargo feature is off): refused, not skipped, so a
    /// configuration never silently loses a key it relies on.
    KeyAlgorithmNotBuilt {
        /// Key id.
        key: u32,
        /// The algorithm.
        algorithm: crate::auth::Algorithm,
    },
    /// Keys file: a key id appears twice.
    DuplicateKey {
        /// Key id.
        key: u32,
        /// Line of the first definition (1-based).
        first_line: u32,
    },
}

/// A parse error: where (1-based line and column, columns count characters) and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// 1-based line number.
    pub line: u32,
    /// 1-based column (in characters) of the offending word; 0 if it concerns the whole line.
    pub column: u32,
    /// What went wrong.
    pub kind: ErrorKind,
}

impl Error {
    /// An error at `column` of a line whose number is filled in later.
    pub(crate) fn at(column: u32, kind: ErrorKind) -> Self {
        Error {
            line: 0,
            column,
            kind,
        }
    }

    /// Sets the line number.
    pub(crate) fn on_line(mut self, line: u32) -> Self {
        self.line = line;
        self
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ErrorKind::*;
        match self {
            UnknownDirective { word, hint: None } => write!(f, "unknown directive `{word}`"),
            UnknownDirective {
                word,
                hint: Some(h),
            } => {
                write!(f, "unknown directive `{word}` ({h})")
            }
            UnknownOption { directive, word } => {
                write!(f, "`{word}` is not an option of `{directive}`")
            }
            MissingArgument { directive, what } => write!(f, "`{directive}` needs {what}"),
            UnexpectedArgument { directive, word } => {
                write!(f, "unexpected `{word}` after `{directive}`")
            }
            InvalidNumber { option, word } => {
                write!(f, "`{option} {word}`: `{word}` is not a whole number")
            }
            InvalidDecimal { option, word } => {
                write!(f, "`{option} {word}`: `{word}` is not a decimal number")
            }
            OutOfRange {
                option,
                word,
                range,
            } => {
                write!(f, "`{option} {word}` is out of range {range}")
            }
            InvalidAddress { directive, word } => write!(
                f,
                "`{directive} {word}`: `{word}` is neither an IP address nor a host name"
            ),
            TooLong { what, word, max } => {
                write!(f, "{what} `{word}` is longer than {max} bytes")
            }
            TooMany { what, capacity } => {
                write!(f, "too many {what} (this build has room for {capacity})")
            }
            Unsupported { what, word } => write!(f, "`{word}`: {what} is not supported"),
            MinpollAboveMaxpoll { minpoll, maxpoll } => {
                write!(f, "`minpoll {minpoll}` is above `maxpoll {maxpoll}`")
            }
            UnterminatedQuote => f.write_str("missing closing `\"`"),
            LineTooLong { max } => write!(f, "line is longer than {max} bytes"),
            InvalidUtf8 => f.write_str("line is not valid UTF-8"),
            InvalidKeyId { word: Some(word) } => write!(f, "`{word}` is not a key id (1..65535)"),
            InvalidKeyId { word: None } => {
                f.write_str("the first column is not a key id (1..65535)")
            }
            UnknownKeyType { key } => write!(
                f,
                "key {key}: unknown key type (expected M, MD5, SHA1 or AES128CMAC)"
            ),
            ExtraKeyColumn { key } => write!(
                f,
                "key {key}: unexpected text after the key (per-key address lists are not supported)"
            ),
            InvalidHexKey { key } => write!(f, "key {key}: the key is not valid hexadecimal"),
            KeyLength { key, len, allowed } => {
                write!(f, "key {key}: key is {len} bytes long, expected {allowed}")
            }
            DuplicateKey { key, first_line } => {
                write!(f, "key {key} is already defined on line {first_line}")
            }
            KeyAlgorithmNotBuilt { key, algorithm } => write!(
                f,
                "key {key}: {algorithm} keys are not built in (cargo feature `{}` is off)",
                algorithm.feature().unwrap_or("?")
            ),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.column == 0 {
            write!(f, "line {}: {}", self.line, self.kind)
        } else {
            write!(
                f,
                "line {}, column {}: {}",
                self.line, self.column, self.kind
            )
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}

/// Something accepted but worth telling the operator about.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WarningKind {
    /// An ntpd 3 directive with no effect today (`resolver`, `authenticate`, `monitor`, ...).
    Obsolete {
        /// The directive.
        directive: &'static str,
    },
    /// A directive that is parsed and checked but ignored (`manycastserver`, `multicastclient`).
    Ignored {
        /// The directive.
        directive: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// An association uses a key that `trustedkey` does not list.
    UntrustedKey {
        /// Key id.
        key: u32,
    },
    /// A `fudge` for a reference clock without a `server 127.127.T.U` line.
    FudgeWithoutServer {
        /// The clock.
        clock: super::address::RefclockId,
    },
    /// Keys file: a key whose algorithm this build does not implement; the key is skipped.
    UnsupportedKeyType {
        /// Key id.
        key: u32,
        /// The algorithm as written.
        algorithm: Snippet,
    },
}

impl fmt::Display for WarningKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WarningKind::Obsolete { directive } => {
                write!(f, "`{directive}` is an obsolete ntpd 3 directive; ignored")
            }
            WarningKind::Ignored { directive, reason } => {
                write!(f, "`{directive}` is ignored: {reason}")
            }
            WarningKind::UntrustedKey { key } => write!(
                f,
                "key {key} is not listed in `trustedkey`; packets with it will not authenticate"
            ),
            WarningKind::FudgeWithoutServer { clock } => {
                write!(
                    f,
                    "`fudge {clock}` but no `server {clock}` line uses that clock"
                )
            }
            WarningKind::UnsupportedKeyType { key, algorithm } => {
                write!(
                    f,
                    "key {key}: key type `{algorithm}` is not supported; key skipped"
                )
            }
        }
    }
}

/// A warning with its place (1-based line and column).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// 1-based line.
    pub line: u32,
    /// 1-based column (characters).
    pub column: u32,
    /// What.
    pub kind: WarningKind,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: warning: {}",
            self.line, self.column, self.kind
        )
    }
}

/// The first [`MAX_WARNINGS`] warnings of a file, plus a count of the ones that did not fit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Warnings {
    list: heapless::Vec<Warning, MAX_WARNINGS>,
    dropped: u32,
}

impl Warnings {
    /// An empty list.
    pub const fn new() -> Self {
        Warnings {
            list: heapless::Vec::new(),
            dropped: 0,
        }
    }

    /// Records a warning (counted in [`Warnings::dropped`] when the list is full).
    pub fn push(&mut self, warning: Warning) {
        if self.list.push(warning).is_err() {
            self.dropped = self.dropped.saturating_add(1);
        }
    }

    /// The kept warnings, in file order.
    pub fn as_slice(&self) -> &[Warning] {
        &self.list
    }

    /// How many warnings did not fit in the list.
    pub fn dropped(&self) -> u32 {
        self.dropped
    }

    /// True if there were no warnings at all.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty() && self.dropped == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn snippet_shortens_at_char_boundary() {
        let long = "ä".repeat(40);
        let s = Snippet::new(&long);
        assert!(s.as_str().ends_with("..."));
        assert!(s.as_str().len() <= SNIPPET_LEN);
        assert_eq!(Snippet::new("abc").as_str(), "abc");
        assert_eq!(Snippet::new("a\x1b[2Jb").as_str(), "a?[2Jb");
        assert_eq!(
            Snippet::new(&"x".repeat(SNIPPET_LEN)).as_str().len(),
            SNIPPET_LEN
        );
    }

    #[test]
    fn out_of_range_message() {
        let e = Error {
            line: 7,
            column: 17,
            kind: ErrorKind::OutOfRange {
                option: "maxpoll",
                word: Snippet::new("18"),
                range: "3..17",
            },
        };
        assert_eq!(
            e.to_string(),
            "line 7, column 17: `maxpoll 18` is out of range 3..17"
        );
    }

    #[test]
    fn warnings_count_overflow() {
        let mut w = Warnings::new();
        for line in 0..(MAX_WARNINGS as u32 + 3) {
            w.push(Warning {
                line,
                column: 1,
                kind: WarningKind::Obsolete {
                    directive: "monitor",
                },
            });
        }
        assert_eq!(w.as_slice().len(), MAX_WARNINGS);
        assert_eq!(w.dropped(), 3);
    }
}
