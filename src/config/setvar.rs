//! `setvar NAME = VALUE [default]`: extra system variables shown by `ntpq -c rv`.
//!
//! Owns [`SetVar`]. The `control` module serves them; `default` means "include in the default
//! `rv` listing".

use core::fmt;

use super::capacities::{SETVAR_NAME_LEN, SETVAR_VALUE_LEN};
use super::error::{Error, ErrorKind, Snippet};
use super::lexer::Cursor;

/// One `setvar` line.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SetVar {
    /// Variable name (letters, digits, `_`, `-`, `.`).
    pub name: heapless::String<SETVAR_NAME_LEN>,
    /// Value as written (quotes removed).
    pub value: heapless::String<SETVAR_VALUE_LEN>,
    /// `default`: shown in the default variable list.
    pub default: bool,
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

impl SetVar {
    /// Parses the rest of a `setvar` line.
    pub(crate) fn parse(cursor: &mut Cursor<'_>) -> Result<Self, Error> {
        let end = cursor.end_column();
        let (text, column) = cursor.rest_of_line();
        let missing = || {
            Error::at(
                end,
                ErrorKind::MissingArgument {
                    directive: "setvar",
                    what: "`name = value`",
                },
            )
        };
        if text.is_empty() {
            return Err(missing());
        }
        let (body, default) = match text.strip_suffix("default") {
            Some(b) if b.ends_with([' ', '\t']) || b.ends_with('"') => (b.trim_end(), true),
            _ => (text, false),
        };
        let Some((name, value)) = body.split_once('=') else {
            return Err(Error::at(
                column,
                ErrorKind::MissingArgument {
                    directive: "setvar",
                    what: "`name = value`",
                },
            ));
        };
        let (name, value) = (name.trim(), value.trim());
        let value = match value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
            Some(inner) => inner,
            None => value,
        };
        if !valid_name(name) || value.contains('"') {
            return Err(Error::at(
                column,
                ErrorKind::UnknownOption {
                    directive: "setvar",
                    word: Snippet::new(body),
                },
            ));
        }
        let too_long = |what, word: &str, max| {
            Error::at(
                column,
                ErrorKind::TooLong {
                    what,
                    word: Snippet::new(word),
                    max,
                },
            )
        };
        Ok(SetVar {
            name: heapless::String::try_from(name)
                .map_err(|_| too_long("variable name", name, SETVAR_NAME_LEN))?,
            value: heapless::String::try_from(value)
                .map_err(|_| too_long("variable value", value, SETVAR_VALUE_LEN))?,
            default,
        })
    }

    /// Writes the line (without newline); the value is always quoted.
    pub fn write_to(&self, w: &mut dyn fmt::Write) -> fmt::Result {
        write!(w, "setvar {} = \"{}\"", self.name, self.value)?;
        if self.default {
            w.write_str(" default")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::String;

    #[test]
    fn forms() {
        let v = SetVar::parse(&mut Cursor::new(r#"location = "rack 4, room 2" default"#)).unwrap();
        assert_eq!(
            (v.name.as_str(), v.value.as_str(), v.default),
            ("location", "rack 4, room 2", true)
        );
        let v = SetVar::parse(&mut Cursor::new("owner=ops")).unwrap();
        assert_eq!(
            (v.name.as_str(), v.value.as_str(), v.default),
            ("owner", "ops", false)
        );
        let mut s = String::new();
        v.write_to(&mut s).unwrap();
        assert_eq!(s, "setvar owner = \"ops\"");
        assert!(SetVar::parse(&mut Cursor::new("novalue")).is_err());
        assert!(SetVar::parse(&mut Cursor::new("")).is_err());
    }
}
