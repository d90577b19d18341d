//! Typed values of directive arguments: whole numbers in a range, decimal seconds and ppm,
//! bounded strings, and their exact text form for emitting.
//!
//! Owns the conversion of one [`Token`] into a value (with the error that names the option
//! and the word) and the inverse: writing a value so that reading it back gives the same bits.
//! Decimal parsing itself belongs to [`crate::time`]; this module only frames it.

use core::fmt::{self, Write as _};

use super::error::{Error, ErrorKind, Snippet};
use super::lexer::{Cursor, Token};
use crate::time::{Frequency, NtpDuration};

/// The next word, or "`directive` needs `what`" pointing just past the end of the line.
pub(crate) fn required<'a>(
    cursor: &mut Cursor<'a>,
    directive: &'static str,
    what: &'static str,
) -> Result<Token<'a>, Error> {
    let end = cursor.end_column();
    cursor
        .next_token()?
        .ok_or_else(|| Error::at(end, ErrorKind::MissingArgument { directive, what }))
}

/// Errors if anything but a comment follows on the line.
pub(crate) fn end_of_line(cursor: &mut Cursor<'_>, directive: &'static str) -> Result<(), Error> {
    match cursor.next_token()? {
        None => Ok(()),
        Some(t) => Err(Error::at(
            t.column,
            ErrorKind::UnexpectedArgument {
                directive,
                word: Snippet::new(t.text),
            },
        )),
    }
}

/// A whole number in `min..=max`; `range` is the same range as text for the message.
pub(crate) fn int_in(
    token: &Token<'_>,
    option: &'static str,
    min: i64,
    max: i64,
    range: &'static str,
) -> Result<i64, Error> {
    let word = token.text;
    let (negative, digits) = match word.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        rest => (false, rest),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(Error::at(
            token.column,
            ErrorKind::InvalidNumber {
                option,
                word: Snippet::new(word),
            },
        ));
    }
    let out_of_range = || {
        Error::at(
            token.column,
            ErrorKind::OutOfRange {
                option,
                word: Snippet::new(word),
                range,
            },
        )
    };
    let mut value: i64 = 0;
    for d in digits {
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(i64::from(d.saturating_sub(b'0'))))
            .ok_or_else(out_of_range)?;
    }
    if negative {
        value = -value;
    }
    if value < min || value > max {
        return Err(out_of_range());
    }
    Ok(value)
}

/// [`int_in`] narrowed to the target type (the range must fit it).
pub(crate) fn int<T: TryFrom<i64>>(
    token: &Token<'_>,
    option: &'static str,
    min: i64,
    max: i64,
    range: &'static str,
) -> Result<T, Error> {
    let v = int_in(token, option, min, max, range)?;
    T::try_from(v).map_err(|_| {
        Error::at(
            token.column,
            ErrorKind::OutOfRange {
                option,
                word: Snippet::new(token.text),
                range,
            },
        )
    })
}

/// `value` if it is in `min..=max`, else the out-of-range error for `token`.
fn in_range<T: PartialOrd>(
    token: &Token<'_>,
    option: &'static str,
    value: T,
    (min, max, range): (T, T, &'static str),
) -> Result<T, Error> {
    if value < min || value > max {
        return Err(Error::at(
            token.column,
            ErrorKind::OutOfRange {
                option,
                word: Snippet::new(token.text),
                range,
            },
        ));
    }
    Ok(value)
}

/// A decimal number of seconds in `min..=max` (2^-32 s).
pub(crate) fn seconds_in(
    token: &Token<'_>,
    option: &'static str,
    min: NtpDuration,
    max: NtpDuration,
    range: &'static str,
) -> Result<NtpDuration, Error> {
    let d = NtpDuration::parse_decimal_seconds(token.text)
        .map_err(|e| decimal_error(token, option, e))?;
    in_range(token, option, d, (min, max, range))
}

/// A decimal number of ppm in `min..=max`.
pub(crate) fn ppm_in(
    token: &Token<'_>,
    option: &'static str,
    min: Frequency,
    max: Frequency,
    range: &'static str,
) -> Result<Frequency, Error> {
    let f =
        Frequency::parse_decimal_ppm(token.text).map_err(|e| decimal_error(token, option, e))?;
    in_range(token, option, f, (min, max, range))
}

/// Errors with "`directive` needs `what`" unless at least one word was read (`any`).
pub(crate) fn at_least_one(
    any: bool,
    cursor: &Cursor<'_>,
    directive: &'static str,
    what: &'static str,
) -> Result<(), Error> {
    if any {
        return Ok(());
    }
    Err(Error::at(
        cursor.end_column(),
        ErrorKind::MissingArgument { directive, what },
    ))
}

/// Writes ` name value` for every option that is set (seconds, exact).
pub(crate) fn write_seconds_options(
    w: &mut dyn fmt::Write,
    options: &[(&str, Option<NtpDuration>)],
) -> fmt::Result {
    for (name, v) in options {
        if let Some(v) = v {
            write!(w, " {name} ")?;
            write_seconds(w, *v)?;
        }
    }
    Ok(())
}

fn decimal_error(
    token: &Token<'_>,
    option: &'static str,
    e: crate::time::ParseDecimalError,
) -> Error {
    let word = Snippet::new(token.text);
    let kind = match e {
        crate::time::ParseDecimalError::OutOfRange => ErrorKind::OutOfRange {
            option,
            word,
            range: "of the 32.32 format (±68 years)",
        },
        _ => ErrorKind::InvalidDecimal { option, word },
    };
    Error::at(token.column, kind)
}

/// Copies a word into a bounded string (`what` names it in the "too long" message).
pub(crate) fn bounded<const N: usize>(
    token: &Token<'_>,
    what: &'static str,
) -> Result<heapless::String<N>, Error> {
    heapless::String::try_from(token.text).map_err(|_| {
        Error::at(
            token.column,
            ErrorKind::TooLong {
                what,
                word: Snippet::new(token.text),
                max: N,
            },
        )
    })
}

/// Writes a word, in double quotes if it would not read back as one word otherwise.
pub(crate) fn write_word(w: &mut dyn fmt::Write, word: &str) -> fmt::Result {
    let needs_quotes = word.is_empty() || word.chars().any(|c| c.is_whitespace() || c == '#');
    if needs_quotes {
        write!(w, "\"{word}\"")
    } else {
        w.write_str(word)
    }
}

/// Shortest decimal text (1..=10 fraction digits) that reads back to exactly `bits`
/// (a 32.32 fixed-point count), written through `fmt_with(precision, buffer)`.
fn write_exact(
    w: &mut dyn fmt::Write,
    bits: i64,
    fmt_with: &dyn Fn(usize, &mut heapless::String<48>) -> fmt::Result,
    parse: &dyn Fn(&str) -> Option<i64>,
) -> fmt::Result {
    let mut text = heapless::String::<48>::new();
    for precision in 1..=18 {
        text.clear();
        fmt_with(precision, &mut text)?;
        if parse(&text) == Some(bits) {
            break;
        }
    }
    // Trim trailing zeros, and the dot of a whole number ("0.0500" is "0.05", "128.0" is "128").
    let trimmed = text.trim_end_matches('0');
    let trimmed = trimmed.strip_suffix('.').unwrap_or(trimmed);
    w.write_str(trimmed)
}

/// Writes seconds as the shortest decimal that parses back to the same 2^-32 s count.
pub(crate) fn write_seconds(w: &mut dyn fmt::Write, d: NtpDuration) -> fmt::Result {
    write_exact(w, d.to_bits(), &|p, s| write!(s, "{d:.p$}"), &|t| {
        NtpDuration::parse_decimal_seconds(t)
            .ok()
            .map(NtpDuration::to_bits)
    })
}

/// Writes ppm as the shortest decimal that parses back to the same 2^-32 ppm count.
pub(crate) fn write_ppm(w: &mut dyn fmt::Write, f: Frequency) -> fmt::Result {
    write_exact(w, f.to_bits(), &|p, s| write!(s, "{f:.p$}"), &|t| {
        Frequency::parse_decimal_ppm(t).ok().map(Frequency::to_bits)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::String;

    fn tok(text: &str) -> Token<'_> {
        Token {
            text,
            column: 5,
            quoted: false,
        }
    }

    #[test]
    fn integers_with_ranges() {
        assert_eq!(int_in(&tok("17"), "maxpoll", 3, 17, "3..17"), Ok(17));
        assert_eq!(int_in(&tok("-6"), "precision", -32, 0, "-32..0"), Ok(-6));
        let e = int_in(&tok("18"), "maxpoll", 3, 17, "3..17").unwrap_err();
        assert_eq!(
            e.kind,
            ErrorKind::OutOfRange {
                option: "maxpoll",
                word: Snippet::new("18"),
                range: "3..17"
            }
        );
        let e = int_in(&tok("99999999999999999999"), "key", 1, 65535, "1..65535").unwrap_err();
        assert!(matches!(e.kind, ErrorKind::OutOfRange { .. }));
        for bad in ["", "-", "1x", "0x10", "1.5"] {
            let e = int_in(&tok(bad), "key", 1, 65535, "1..65535").unwrap_err();
            assert!(matches!(e.kind, ErrorKind::InvalidNumber { .. }), "{bad}");
        }
    }

    #[test]
    fn exact_decimal_round_trip() {
        for text in ["0.0042", "0.05", "-1.5", "128", "0.000000001", "12.5"] {
            let d = NtpDuration::parse_decimal_seconds(text).unwrap();
            let mut s = String::new();
            write_seconds(&mut s, d).unwrap();
            assert_eq!(
                NtpDuration::parse_decimal_seconds(&s),
                Ok(d),
                "{text} -> {s}"
            );
        }
        let mut s = String::new();
        write_seconds(
            &mut s,
            NtpDuration::parse_decimal_seconds("0.0500").unwrap(),
        )
        .unwrap();
        assert_eq!(s, "0.05");
        s.clear();
        write_seconds(&mut s, NtpDuration::from_seconds(128)).unwrap();
        assert_eq!(s, "128");
        s.clear();
        write_ppm(&mut s, Frequency::parse_decimal_ppm("-12.345").unwrap()).unwrap();
        assert_eq!(s, "-12.345");
        s.clear();
        write_seconds(&mut s, NtpDuration::from_bits(1)).unwrap();
        assert_eq!(
            NtpDuration::parse_decimal_seconds(&s),
            Ok(NtpDuration::from_bits(1))
        );
    }

    #[test]
    fn words_with_spaces_are_quoted() {
        let mut s = String::new();
        write_word(&mut s, "/var/lib/my drift").unwrap();
        assert_eq!(s, "\"/var/lib/my drift\"");
    }
}
