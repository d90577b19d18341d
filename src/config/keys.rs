//! The symmetric keys file (`keys /etc/ntp.keys` in ntp.conf, chrony's `keyfile`).
//!
//! Owns the keys-file syntax and the key-id policy: [`parse_key_line`], the line-based
//! [`KeysParser`] and [`parse_keys`]. The values it produces are [`crate::auth`]'s
//! [`Key`] (with [`Algorithm`] and [`KeyId`]) collected in a [`KeyTable`], all untrusted: the
//! `trustedkey` line of ntp.conf says which to trust ([`ParsedKeys::apply_trusted`]).
//! One key per line, `ID TYPE KEY`, `#` comments. Accepted spellings (case-insensitive):
//!
//! * TYPE: `M` and `MD5` (MD5), `SHA1`/`SHA-1`, `AES128CMAC`/`AES-128`/`AES128`/`AES-128-CMAC`
//!   (AES-128-CMAC). Digests ntpd or chrony know but we do not implement (`SHA256`, `SHA512`,
//!   `AES256`, the DES types `A`/`N`/`S` of ntpd 3, ...) give [`KeyLine::Unsupported`]: the
//!   file still loads and the key is skipped with a warning. Anything else is an error.
//! * KEY: `ASCII:text` or `HEX:digits` (chrony), otherwise ntpd's rule: up to 20 characters is
//!   ASCII text, longer is hexadecimal. chrony's `ID KEY` (no type) means MD5.
//! * Key ids are 1..65535 (ntpd's range, see ntp.keys(5)); chrony's larger 32-bit ids are
//!   rejected with a range error. Material is at most [`MAX_KEY_LEN`] bytes; AES-128 keys must be
//!   exactly 16 bytes.
//! * ntpd 4.2.8's optional fourth column (addresses the key is trusted from) is refused with
//!   an error rather than ignored, since ignoring it would trust the key from everywhere.
//!
//! Error messages quote nothing from a keys file but the key id: in a malformed line any
//! other word may be the secret (auth's `Key` keeps the material out of `Debug` too).

use super::error::{Error, ErrorKind, Snippet, Warning, WarningKind, Warnings};
use super::lexer::{Cursor, Token};
use super::value::int;
use crate::auth::{Algorithm, Key, KeyId, KeyTable, MAX_KEY_LEN};

/// Parses a key id word, 1..65535 (`option` names it in errors).
pub(crate) fn parse_key_id(token: &Token<'_>, option: &'static str) -> Result<KeyId, Error> {
    let n: u32 = int(token, option, 1, 65535, "1..65535")?;
    Ok(KeyId(n))
}

fn algorithm_from_word(word: &str) -> Option<Algorithm> {
    const NAMES: [(&str, Algorithm); 8] = [
        ("M", Algorithm::Md5),
        ("MD5", Algorithm::Md5),
        ("SHA1", Algorithm::Sha1),
        ("SHA-1", Algorithm::Sha1),
        ("AES128CMAC", Algorithm::Aes128Cmac),
        ("AES-128", Algorithm::Aes128Cmac),
        ("AES128", Algorithm::Aes128Cmac),
        ("AES-128-CMAC", Algorithm::Aes128Cmac),
    ];
    NAMES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(word))
        .map(|&(_, a)| a)
}

/// Digest names that ntpd (with OpenSSL) or chrony accept but this build does not implement.
const KNOWN_UNSUPPORTED: [&str; 27] = [
    "A",
    "N",
    "S", // ntpd 3 DES variants
    "SHA",
    "SHA224",
    "SHA256",
    "SHA384",
    "SHA512",
    "SHA-224",
    "SHA-256",
    "SHA-384",
    "SHA-512",
    "SHA3-224",
    "SHA3-256",
    "SHA3-384",
    "SHA3-512",
    "MD2",
    "MD4",
    "MDC2",
    "RMD160",
    "RIPEMD160",
    "AES256",
    "AES-256",
    "AES256CMAC",
    "TIGER",
    "WHIRLPOOL",
    "SM3",
];

fn has_prefix(m: &[u8], prefix: &[u8]) -> bool {
    m.get(..prefix.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
}

/// What one non-empty keys-file line holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyLine {
    /// A usable key.
    Key(Key),
    /// A well-formed line for an algorithm this build does not implement: skip it and warn.
    Unsupported {
        /// Key id.
        id: KeyId,
        /// The algorithm as written.
        algorithm: Snippet,
        /// 1-based column of the algorithm word.
        column: u32,
    },
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn decode_key(id: KeyId, algorithm: Algorithm, token: &Token<'_>) -> Result<Key, Error> {
    let text = token.text;
    let key = id.0;
    let err = |kind| Error::at(token.column, kind);
    let (is_hex, body) = if has_prefix(text.as_bytes(), b"ASCII:") {
        (false, text.get(6..).unwrap_or(""))
    } else if has_prefix(text.as_bytes(), b"HEX:") {
        (true, text.get(4..).unwrap_or(""))
    } else {
        (text.len() > 20, text)
    };
    let allowed = match algorithm {
        Algorithm::Aes128Cmac => "16 bytes (32 hex digits)",
        _ => "1..32 bytes",
    };
    if !algorithm.is_built() {
        return Err(err(ErrorKind::KeyAlgorithmNotBuilt { key, algorithm }));
    }
    let mut material = heapless::Vec::<u8, MAX_KEY_LEN>::new();
    if is_hex {
        let digits = body.as_bytes();
        if digits.is_empty() || digits.len() % 2 != 0 {
            return Err(err(ErrorKind::InvalidHexKey { key }));
        }
        for pair in digits.chunks(2) {
            let [hi, lo] = pair else {
                return Err(err(ErrorKind::InvalidHexKey { key }));
            };
            let (Some(hi), Some(lo)) = (hex_value(*hi), hex_value(*lo)) else {
                return Err(err(ErrorKind::InvalidHexKey { key }));
            };
            if material.push(hi << 4 | lo).is_err() {
                let len = digits.len() / 2;
                return Err(err(ErrorKind::KeyLength { key, len, allowed }));
            }
        }
    } else if material.extend_from_slice(body.as_bytes()).is_err() {
        return Err(err(ErrorKind::KeyLength {
            key,
            len: body.len(),
            allowed,
        }));
    }
    Key::new(id, algorithm, &material).map_err(|_| {
        err(ErrorKind::KeyLength {
            key,
            len: material.len(),
            allowed,
        })
    })
}

/// Parses one keys-file line; `Ok(None)` for blank and comment lines. The error's line number
/// is 0 (the caller knows it; [`KeysParser`] fills it in).
pub fn parse_key_line(line: &str) -> Result<Option<KeyLine>, Error> {
    let mut cursor = Cursor::new(line);
    let Some(id_token) = cursor.next_token()? else {
        return Ok(None);
    };
    let id = parse_key_id(&id_token, "key id").map_err(|e| {
        Error::at(
            e.column,
            ErrorKind::InvalidKeyId {
                word: id_token
                    .text
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b == b'-' || b == b'+')
                    .then(|| Snippet::new(id_token.text)),
            },
        )
    })?;
    let end = cursor.end_column();
    let missing = |what| {
        Error::at(
            end,
            ErrorKind::MissingArgument {
                directive: "key",
                what,
            },
        )
    };
    let second = cursor
        .next_token()?
        .ok_or_else(|| missing("a type and a key"))?;
    let third = cursor.next_token()?;
    let (type_token, key_token) = match third {
        Some(k) => (Some(second), k),
        None if has_prefix(second.text.as_bytes(), b"ASCII:")
            || has_prefix(second.text.as_bytes(), b"HEX:") =>
        {
            (None, second)
        }
        None => return Err(missing("a key")),
    };
    if let Some(extra) = cursor.next_token()? {
        return Err(Error::at(
            extra.column,
            ErrorKind::ExtraKeyColumn { key: id.0 },
        ));
    }
    let algorithm = match type_token {
        None => Algorithm::Md5,
        Some(t) => match algorithm_from_word(t.text) {
            Some(a) => a,
            None if KNOWN_UNSUPPORTED
                .iter()
                .any(|n| n.eq_ignore_ascii_case(t.text)) =>
            {
                return Ok(Some(KeyLine::Unsupported {
                    id,
                    algorithm: Snippet::new(t.text),
                    column: t.column,
                }));
            }
            None => {
                return Err(Error::at(t.column, ErrorKind::UnknownKeyType { key: id.0 }));
            }
        },
    };
    decode_key(id, algorithm, &key_token).map(|k| Some(KeyLine::Key(k)))
}

/// A parsed keys file: the keys (all untrusted) and the warnings (skipped unsupported keys).
#[derive(Clone, Debug)]
pub struct ParsedKeys<const K: usize> {
    /// The usable keys, none marked trusted yet.
    pub keys: KeyTable<K>,
    /// Skipped keys, with their lines.
    pub warnings: Warnings,
}

impl<const K: usize> ParsedKeys<K> {
    /// Marks the `trustedkey` ids of ntp.conf as trusted; returns the first trusted id that
    /// the keys file does not define (ntpd only logs that; callers may warn).
    pub fn apply_trusted(&mut self, trusted: &[KeyId]) -> Option<KeyId> {
        let mut missing = None;
        for &id in trusted {
            if !self.keys.set_trusted(id, true) && missing.is_none() {
                missing = Some(id);
            }
        }
        missing
    }
}

/// Line-by-line keys-file parser holding at most `K` keys.
#[derive(Clone, Debug)]
pub struct KeysParser<const K: usize> {
    keys: KeyTable<K>,
    /// (key id, line of its definition), to name the first line of a duplicate.
    lines: heapless::Vec<(KeyId, u32), K>,
    warnings: Warnings,
    line: u32,
}

impl<const K: usize> Default for KeysParser<K> {
    fn default() -> Self {
        KeysParser {
            keys: KeyTable::new(),
            lines: heapless::Vec::new(),
            warnings: Warnings::new(),
            line: 0,
        }
    }
}

impl<const K: usize> KeysParser<K> {
    /// A parser before line 1.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses the next line (without its line break).
    pub fn feed_line(&mut self, line: &str) -> Result<(), Error> {
        self.line = self.line.saturating_add(1);
        let n = self.line;
        match parse_key_line(line).map_err(|e| e.on_line(n))? {
            None => Ok(()),
            Some(KeyLine::Unsupported {
                id,
                algorithm,
                column,
            }) => {
                self.warnings.push(Warning {
                    line: n,
                    column,
                    kind: WarningKind::UnsupportedKeyType {
                        key: id.0,
                        algorithm,
                    },
                });
                Ok(())
            }
            Some(KeyLine::Key(key)) => {
                let id = key.id();
                if let Some(&(_, first_line)) = self.lines.iter().find(|(k, _)| *k == id) {
                    return Err(Error::at(
                        1,
                        ErrorKind::DuplicateKey {
                            key: id.0,
                            first_line,
                        },
                    )
                    .on_line(n));
                }
                let full = || {
                    Error::at(
                        0,
                        ErrorKind::TooMany {
                            what: "keys",
                            capacity: K,
                        },
                    )
                    .on_line(n)
                };
                self.lines.push((id, n)).map_err(|_| full())?;
                self.keys.insert(key, false).map_err(|_| full())
            }
        }
    }

    /// The keys and warnings.
    pub fn finish(self) -> ParsedKeys<K> {
        ParsedKeys {
            keys: self.keys,
            warnings: self.warnings,
        }
    }
}

/// Parses a whole keys file held in memory.
pub fn parse_keys<const K: usize>(text: &str) -> Result<ParsedKeys<K>, Error> {
    let mut parser = KeysParser::<K>::new();
    for line in text.lines() {
        parser.feed_line(line)?;
    }
    Ok(parser.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;

    fn key(line: &str) -> Key {
        match parse_key_line(line) {
            Ok(Some(KeyLine::Key(k))) => k,
            other => panic!("{line}: {other:?}"),
        }
    }

    fn expect(id: u32, alg: Algorithm, material: &[u8]) -> Key {
        Key::new(KeyId(id), alg, material).unwrap()
    }

    #[test]
    fn ntpd_spellings() {
        assert_eq!(key("1 M secret"), expect(1, Algorithm::Md5, b"secret"));
        let mut m = [0u8; 20];
        for (i, b) in m.iter_mut().enumerate() {
            *b = i as u8 + 1;
        }
        #[cfg(feature = "sha1")]
        assert_eq!(
            key("2 sha1 0102030405060708090a0b0c0d0e0f1011121314"),
            expect(2, Algorithm::Sha1, &m)
        );
        // 20 characters are still ASCII.
        assert_eq!(
            key("7 MD5 abcdefghijabcdefghij"),
            expect(7, Algorithm::Md5, b"abcdefghijabcdefghij")
        );
        let aes: [u8; 16] = core::array::from_fn(|i| i as u8);
        #[cfg(feature = "cmac")]
        assert_eq!(
            key("3 aes-128 000102030405060708090a0b0c0d0e0f"),
            expect(3, Algorithm::Aes128Cmac, &aes)
        );
        #[cfg(not(feature = "cmac"))]
        let _ = aes;
    }

    #[test]
    fn chrony_spellings() {
        assert_eq!(
            key("1 MD5 ASCII:secret"),
            expect(1, Algorithm::Md5, b"secret")
        );
        assert_eq!(key("5 HEX:0A0B"), expect(5, Algorithm::Md5, &[10, 11]));
        let aes: [u8; 16] = core::array::from_fn(|i| i as u8);
        #[cfg(feature = "cmac")]
        assert_eq!(
            key("3 AES128 HEX:000102030405060708090A0B0C0D0E0F"),
            expect(3, Algorithm::Aes128Cmac, &aes)
        );
        #[cfg(not(feature = "cmac"))]
        let _ = aes;
    }

    #[test]
    fn unsupported_and_unknown_types() {
        assert_eq!(
            parse_key_line("4 SHA256 00").unwrap(),
            Some(KeyLine::Unsupported {
                id: KeyId(4),
                algorithm: Snippet::new("SHA256"),
                column: 3
            })
        );
        let e = parse_key_line("4 FOO 00").unwrap_err();
        assert_eq!(
            (e.column, format!("{}", e.kind)),
            (
                3,
                "key 4: unknown key type (expected M, MD5, SHA1 or AES128CMAC)".into()
            )
        );
    }

    #[test]
    #[cfg(all(feature = "sha1", feature = "cmac"))]
    fn errors_do_not_leak_the_key() {
        let e = parse_key_line("3 AES-128 hunter2").unwrap_err();
        let msg = format!("{e} {e:?}");
        assert!(!msg.contains("hunter2"), "{msg}");
        assert_eq!(
            e.kind,
            ErrorKind::KeyLength {
                key: 3,
                len: 7,
                allowed: "16 bytes (32 hex digits)"
            }
        );
        let e = parse_key_line("2 SHA1 zz02030405060708090a0b0c0d0e0f1011121314").unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidHexKey { key: 2 });
        let e = parse_key_line("2 SHA1 0102030405060708090a0b0c0d0e0f10111213141").unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidHexKey { key: 2 });
    }

    #[test]
    fn key_id_range_and_address_lists() {
        assert!(matches!(
            parse_key_line("0 MD5 x").unwrap_err().kind,
            ErrorKind::InvalidKeyId { .. }
        ));
        assert!(matches!(
            parse_key_line("65536 MD5 x").unwrap_err().kind,
            ErrorKind::InvalidKeyId { .. }
        ));
        assert_eq!(key("65535 MD5 x").id(), KeyId(65535));
        let e = parse_key_line("1 MD5 x 10.0.0.1,10.0.0.2").unwrap_err();
        assert_eq!(
            (e.column, e.kind),
            (9, ErrorKind::ExtraKeyColumn { key: 1 })
        );
        // Swapped or split columns never echo the words (they may be the secret).
        for line in ["1 hunter2 MD5", "1 MD5 hunter 2", "hunter2"] {
            let e = parse_key_line(line).unwrap_err();
            assert!(!format!("{e} {e:?}").contains("hunter"), "{line}");
        }
        let e = parse_key_line("1 MD5").unwrap_err();
        assert_eq!(format!("{}", e.kind), "`key` needs a key");
    }

    #[test]
    fn algorithms_not_built_are_errors() {
        // A key type this build compiled out is an error naming the feature,
        // not a skipped key; the secret is not quoted.
        for (line, key, alg) in [
            ("2 SHA1 hunter2", 2, Algorithm::Sha1),
            (
                "3 AES128 HEX:000102030405060708090A0B0C0D0E0F",
                3,
                Algorithm::Aes128Cmac,
            ),
        ] {
            if alg.is_built() {
                assert!(matches!(parse_key_line(line), Ok(Some(KeyLine::Key(_)))));
                continue;
            }
            let e = parse_key_line(line).unwrap_err();
            assert_eq!(
                e.kind,
                ErrorKind::KeyAlgorithmNotBuilt {
                    key,
                    algorithm: alg
                }
            );
            let msg = format!("{e}");
            assert!(msg.contains(alg.feature().unwrap()), "{msg}");
            assert!(!msg.contains("hunter") && !msg.contains("0A0B"), "{msg}");
        }
    }

    #[test]
    #[cfg(feature = "sha1")]
    fn file_with_duplicates_and_warnings() {
        let mut p = parse_keys::<4>("# c\n1 M a\n\n4 sha256 00\n2 SHA1 b\n").unwrap();
        assert_eq!(p.keys.len(), 2);
        assert_eq!(p.warnings.as_slice()[0].line, 4);
        assert_eq!(p.apply_trusted(&[KeyId(1), KeyId(4)]), Some(KeyId(4)));
        assert!(p.keys.is_trusted(KeyId(1)));
        assert!(!p.keys.is_trusted(KeyId(2)));
        let e = parse_keys::<4>("1 M a\n1 M b\n").unwrap_err();
        assert_eq!(
            (e.line, e.kind),
            (
                2,
                ErrorKind::DuplicateKey {
                    key: 1,
                    first_line: 1
                }
            )
        );
        let e = parse_keys::<1>("1 M a\n2 M b\n").unwrap_err();
        assert_eq!(
            (e.line, e.kind),
            (
                2,
                ErrorKind::TooMany {
                    what: "keys",
                    capacity: 1
                }
            )
        );
    }
}
