//! Logging and statistics directives: `logconfig`, `statistics`, `filegen`
//! (`logfile` and `statsdir` are plain paths kept in [`Config`](super::Config)).
//!
//! Owns [`LogConfigItem`] (and its parts), [`StatsKinds`], [`StatsKind`] and [`FileGen`].
//! Writing files is the host's business; the core only records what was asked for.

use core::fmt;

use bitflags::bitflags;

use super::capacities::FILEGEN_NAME_LEN;
use super::error::{Error, ErrorKind, Snippet};
use super::lexer::{Cursor, Token};
use super::value::{bounded, required, write_word};

/// `+`, `-`, `=` or nothing before a `logconfig` keyword.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LogOp {
    /// No prefix (ntpd treats it like `=` for the first item, `+` after).
    Plain,
    /// `=`: set exactly these.
    Set,
    /// `+`: add.
    Add,
    /// `-`: remove.
    Remove,
}

/// Message class of a `logconfig` keyword.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LogClass {
    /// `all...`
    All,
    /// `clock...`
    Clock,
    /// `peer...`
    Peer,
    /// `sync...`
    Sync,
    /// `sys...`
    Sys,
}

/// Message type of a `logconfig` keyword.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LogType {
    /// `...all`
    All,
    /// `...events`
    Events,
    /// `...info`
    Info,
    /// `...statistics`
    Statistics,
    /// `...status`
    Status,
}

/// One `logconfig` keyword such as `=syncall` or `+clockinfo`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LogConfigItem {
    /// Prefix.
    pub op: LogOp,
    /// Class.
    pub class: LogClass,
    /// Type.
    pub kind: LogType,
}

const CLASSES: [(&str, LogClass); 5] = [
    ("all", LogClass::All),
    ("clock", LogClass::Clock),
    ("peer", LogClass::Peer),
    ("sync", LogClass::Sync),
    ("sys", LogClass::Sys),
];
const TYPES: [(&str, LogType); 5] = [
    ("all", LogType::All),
    ("events", LogType::Events),
    ("info", LogType::Info),
    ("statistics", LogType::Statistics),
    ("status", LogType::Status),
];

impl LogConfigItem {
    /// Parses one keyword.
    pub(crate) fn parse(token: &Token<'_>) -> Result<Self, Error> {
        let text = token.text;
        let (op, rest) = match text.as_bytes().first() {
            Some(b'=') => (LogOp::Set, text.get(1..).unwrap_or("")),
            Some(b'+') => (LogOp::Add, text.get(1..).unwrap_or("")),
            Some(b'-') => (LogOp::Remove, text.get(1..).unwrap_or("")),
            _ => (LogOp::Plain, text),
        };
        let parsed = if rest == "all" {
            Some((LogClass::All, LogType::All))
        } else {
            CLASSES.iter().find_map(|(cname, class)| {
                let suffix = rest.strip_prefix(cname)?;
                TYPES
                    .iter()
                    .find(|(tname, _)| *tname == suffix)
                    .map(|(_, t)| (*class, *t))
            })
        };
        let (class, kind) = parsed.ok_or_else(|| {
            Error::at(
                token.column,
                ErrorKind::UnknownOption {
                    directive: "logconfig",
                    word: Snippet::new(text),
                },
            )
        })?;
        Ok(LogConfigItem { op, class, kind })
    }
}

impl fmt::Display for LogConfigItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.op {
            LogOp::Plain => {}
            LogOp::Set => f.write_str("=")?,
            LogOp::Add => f.write_str("+")?,
            LogOp::Remove => f.write_str("-")?,
        }
        if (self.class, self.kind) == (LogClass::All, LogType::All) {
            return f.write_str("all");
        }
        let c = CLASSES
            .iter()
            .find(|(_, c)| *c == self.class)
            .map_or("", |(n, _)| *n);
        let t = TYPES
            .iter()
            .find(|(_, t)| *t == self.kind)
            .map_or("", |(n, _)| *n);
        write!(f, "{c}{t}")
    }
}

bitflags! {
    /// Statistics files named by `statistics` (and by `filegen`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct StatsKinds: u8 {
        /// `loopstats`: clock discipline.
        const LOOPSTATS = 1 << 0;
        /// `peerstats`: every peer sample.
        const PEERSTATS = 1 << 1;
        /// `clockstats`: reference clock messages.
        const CLOCKSTATS = 1 << 2;
        /// `rawstats`: raw timestamps.
        const RAWSTATS = 1 << 3;
        /// `sysstats`: system counters.
        const SYSSTATS = 1 << 4;
        /// `cryptostats`: authentication.
        const CRYPTOSTATS = 1 << 5;
        /// `protostats`: protocol events.
        const PROTOSTATS = 1 << 6;
        /// `timingstats`: processing time.
        const TIMINGSTATS = 1 << 7;
    }
}

/// One kind of statistics file (a single flag of [`StatsKinds`]).
pub type StatsKind = StatsKinds;

const STATS_WORDS: [(&str, StatsKinds); 8] = [
    ("loopstats", StatsKinds::LOOPSTATS),
    ("peerstats", StatsKinds::PEERSTATS),
    ("clockstats", StatsKinds::CLOCKSTATS),
    ("rawstats", StatsKinds::RAWSTATS),
    ("sysstats", StatsKinds::SYSSTATS),
    ("cryptostats", StatsKinds::CRYPTOSTATS),
    ("protostats", StatsKinds::PROTOSTATS),
    ("timingstats", StatsKinds::TIMINGSTATS),
];

/// The name of a single statistics kind.
pub fn stats_name(kind: StatsKind) -> &'static str {
    STATS_WORDS
        .iter()
        .find(|(_, k)| *k == kind)
        .map_or("?", |(n, _)| *n)
}

/// Parses a statistics name (`directive` is for the message).
pub(crate) fn parse_stats(token: &Token<'_>, directive: &'static str) -> Result<StatsKind, Error> {
    STATS_WORDS
        .iter()
        .find(|(w, _)| *w == token.text)
        .map(|(_, k)| *k)
        .ok_or_else(|| {
            Error::at(
                token.column,
                ErrorKind::UnknownOption {
                    directive,
                    word: Snippet::new(token.text),
                },
            )
        })
}

/// Writes `statistics a b c` (without newline) if any kind is set.
pub fn write_statistics(kinds: StatsKinds, w: &mut dyn fmt::Write) -> fmt::Result {
    if kinds.is_empty() {
        return Ok(());
    }
    w.write_str("statistics")?;
    for (word, k) in STATS_WORDS {
        if kinds.contains(k) {
            write!(w, " {word}")?;
        }
    }
    Ok(())
}

/// How `filegen` splits a file into generations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileGenType {
    /// `none`
    None,
    /// `pid`
    Pid,
    /// `day`
    Day,
    /// `week`
    Week,
    /// `month`
    Month,
    /// `year`
    Year,
    /// `age`
    Age,
}

const GEN_TYPES: [(&str, FileGenType); 7] = [
    ("none", FileGenType::None),
    ("pid", FileGenType::Pid),
    ("day", FileGenType::Day),
    ("week", FileGenType::Week),
    ("month", FileGenType::Month),
    ("year", FileGenType::Year),
    ("age", FileGenType::Age),
];

/// One `filegen NAME [file F] [type T] [link|nolink] [enable|disable]` line.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FileGen {
    /// Which statistics (a single flag).
    pub stats: StatsKind,
    /// `file`: file name prefix inside `statsdir`.
    pub file: Option<heapless::String<FILEGEN_NAME_LEN>>,
    /// `type`.
    pub kind: Option<FileGenType>,
    /// `link` (true) / `nolink` (false).
    pub link: Option<bool>,
    /// `enable` (true) / `disable` (false).
    pub enable: Option<bool>,
}

impl FileGen {
    /// Parses the rest of a `filegen` line.
    pub(crate) fn parse(cursor: &mut Cursor<'_>) -> Result<Self, Error> {
        let t = required(
            cursor,
            "filegen",
            "a statistics name (loopstats, peerstats, ...)",
        )?;
        let stats = parse_stats(&t, "filegen")?;
        let mut g = FileGen {
            stats,
            file: None,
            kind: None,
            link: None,
            enable: None,
        };
        while let Some(word) = cursor.next_token()? {
            match word.text {
                "file" => {
                    let f = required(cursor, "file", "a file name")?;
                    g.file = Some(bounded(&f, "file name")?);
                }
                "type" => {
                    let k = required(cursor, "type", "a generation type (day, week, ...)")?;
                    let found = GEN_TYPES
                        .iter()
                        .find(|(w, _)| *w == k.text)
                        .map(|(_, t)| *t);
                    g.kind = Some(found.ok_or_else(|| {
                        Error::at(
                            k.column,
                            ErrorKind::UnknownOption {
                                directive: "filegen type",
                                word: Snippet::new(k.text),
                            },
                        )
                    })?);
                }
                "link" => g.link = Some(true),
                "nolink" => g.link = Some(false),
                "enable" => g.enable = Some(true),
                "disable" => g.enable = Some(false),
                _ => {
                    return Err(Error::at(
                        word.column,
                        ErrorKind::UnknownOption {
                            directive: "filegen",
                            word: Snippet::new(word.text),
                        },
                    ));
                }
            }
        }
        Ok(g)
    }

    /// Writes the line (without newline).
    pub fn write_to(&self, w: &mut dyn fmt::Write) -> fmt::Result {
        write!(w, "filegen {}", stats_name(self.stats))?;
        if let Some(f) = &self.file {
            w.write_str(" file ")?;
            write_word(w, f)?;
        }
        if let Some(k) = self.kind {
            let name = GEN_TYPES
                .iter()
                .find(|(_, t)| *t == k)
                .map_or("", |(n, _)| *n);
            write!(w, " type {name}")?;
        }
        match self.link {
            Some(true) => w.write_str(" link")?,
            Some(false) => w.write_str(" nolink")?,
            None => {}
        }
        match self.enable {
            Some(true) => w.write_str(" enable")?,
            Some(false) => w.write_str(" disable")?,
            None => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::{String, ToString};

    fn tok(text: &str) -> Token<'_> {
        Token {
            text,
            column: 11,
            quoted: false,
        }
    }

    #[test]
    fn logconfig_keywords() {
        let i = LogConfigItem::parse(&tok("=syncall")).unwrap();
        assert_eq!(
            (i.op, i.class, i.kind),
            (LogOp::Set, LogClass::Sync, LogType::All)
        );
        assert_eq!(i.to_string(), "=syncall");
        let i = LogConfigItem::parse(&tok("allall")).unwrap();
        assert_eq!(i.to_string(), "all");
        assert_eq!(
            LogConfigItem::parse(&tok("+clockinfo"))
                .unwrap()
                .to_string(),
            "+clockinfo"
        );
        let e = LogConfigItem::parse(&tok("clock")).unwrap_err();
        assert_eq!(
            (e.column, e.kind.to_string()),
            (11, "`clock` is not an option of `logconfig`".into())
        );
    }

    #[test]
    fn filegen_line() {
        let g =
            FileGen::parse(&mut Cursor::new("loopstats file loopstats type day enable")).unwrap();
        assert_eq!(g.stats, StatsKinds::LOOPSTATS);
        assert_eq!(g.kind, Some(FileGenType::Day));
        assert_eq!(g.enable, Some(true));
        let mut s = String::new();
        g.write_to(&mut s).unwrap();
        assert_eq!(s, "filegen loopstats file loopstats type day enable");
        let e = FileGen::parse(&mut Cursor::new("loopstats type hourly")).unwrap_err();
        assert_eq!(e.column, 16);
    }
}
