//! Bytes → text, before any CSV parsing.
//!
//! A byte-order mark decides when there is one (UTF-8, or UTF-16LE/BE: Excel's "Unicode
//! Text"). Without one the file must be UTF-8, unless `--encoding` names another encoding
//! (`windows-1252` for Excel's plain "CSV"). Legacy encodings cannot be detected for sure, so
//! they are never guessed: invalid UTF-8 is refused with its line and byte and the flag to
//! use. Nothing is ever "repaired" into U+FFFD: a silently mangled name would be sent to
//! Tallyfy as if the export said so. Decoding is done by `encoding_rs`.

use std::borrow::Cow;

use encoding_rs::{DecoderResult, Encoding, UTF_8, UTF_16BE, UTF_16LE};

use super::Refusal;

/// Decoded text and how it was read.
#[derive(Debug)]
pub struct Decoded<'a> {
    pub text: Cow<'a, str>,
    /// `UTF-8`, `UTF-8 (BOM)`, `UTF-16LE (BOM)`, `windows-1252`, ...
    pub encoding: String,
    /// Something the user should know (a BOM that overrode `--encoding`).
    pub note: Option<String>,
}

/// The encoding named by a label (`windows-1252`, `cp1252`, `latin1`, `utf-16le`, ...), for
/// `--encoding`. Labels follow the WHATWG Encoding Standard, as browsers read them, so
/// `latin1` and `iso-8859-1` mean windows-1252 (a superset that Excel writes).
pub fn parse_encoding(label: &str) -> Result<&'static Encoding, String> {
    match Encoding::for_label(label.trim().as_bytes()) {
        Some(encoding) if encoding != encoding_rs::REPLACEMENT => Ok(encoding),
        _ => Err(format!(
            "unknown encoding `{label}`; common ones: windows-1252 (also cp1252, latin1), \
             utf-8, utf-16le, utf-16be, iso-8859-15, shift_jis"
        )),
    }
}

/// Decodes the whole file. `forced` is `--encoding`, used when the file has no BOM.
pub fn decode<'a>(
    bytes: &'a [u8],
    forced: Option<&'static Encoding>,
) -> Result<Decoded<'a>, Refusal> {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        let note = forced.filter(|f| *f != encoding).map(|f| {
            format!(
                "the file starts with a {} byte-order mark, so --encoding {} is not used",
                encoding.name(),
                f.name()
            )
        });
        let text = decode_strictly(&bytes[bom_len..], encoding, bom_len)?;
        return Ok(Decoded {
            text,
            encoding: format!("{} (BOM)", encoding.name()),
            note,
        });
    }
    match forced {
        Some(encoding) if encoding != UTF_8 => Ok(Decoded {
            text: decode_strictly(bytes, encoding, 0)?,
            encoding: encoding.name().to_string(),
            note: None,
        }),
        _ => {
            if looks_like_utf16(bytes) {
                return Err(Refusal::new(
                    "the file looks like UTF-16 without a byte-order mark (every other byte is 0)",
                )
                .hint("run again with --encoding utf-16le (or utf-16be)"));
            }
            Ok(Decoded {
                text: decode_strictly(bytes, UTF_8, 0)?,
                encoding: "UTF-8".to_string(),
                note: None,
            })
        }
    }
}

/// Decodes without replacement; the error names where the bytes stop making sense. `skipped`
/// is the length of a BOM already cut off, so offsets count from the start of the file.
fn decode_strictly<'a>(
    bytes: &'a [u8],
    encoding: &'static Encoding,
    skipped: usize,
) -> Result<Cow<'a, str>, Refusal> {
    if encoding == UTF_8 {
        return std::str::from_utf8(bytes)
            .map(Cow::Borrowed)
            .map_err(|err| not_utf8(bytes, skipped, err.valid_up_to()));
    }
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let capacity = decoder
        .max_utf8_buffer_length_without_replacement(bytes.len())
        .unwrap_or(bytes.len().saturating_mul(3));
    let mut text = String::with_capacity(capacity);
    let (result, read) = decoder.decode_to_string_without_replacement(bytes, &mut text, true);
    match result {
        DecoderResult::InputEmpty => Ok(Cow::Owned(text)),
        DecoderResult::Malformed(bad, after) => {
            let offset = skipped + read - usize::from(after) - usize::from(bad);
            Err(Refusal::new(format!(
                "not valid {} at byte offset {offset}",
                encoding.name()
            ))
            .hint(if encoding == UTF_16LE || encoding == UTF_16BE {
                "the file may be cut short or not UTF-16 at all: export it again".to_string()
            } else {
                format!(
                    "the file is not {}: check --encoding, or save it from Excel as \"CSV UTF-8\"",
                    encoding.name()
                )
            }))
        }
        DecoderResult::OutputFull => unreachable!("the buffer is sized for the whole input"),
    }
}

fn not_utf8(body: &[u8], skipped: usize, valid_up_to: usize) -> Refusal {
    if let Some((at, byte)) = binary_byte(body) {
        return Refusal::new(format!(
            "the file is binary, not text: byte 0x{byte:02X} at offset {} is a control character \
             no export holds",
            skipped + at
        ))
        .hint(
            "member-sync reads CSV, TSV and Excel workbooks: export the data from its source as \
             \"CSV UTF-8\" or as a workbook",
        );
    }
    let line = 1 + super::count_newlines(&body[..valid_up_to]);
    Refusal::new(format!(
        "not valid UTF-8 at line {line}, byte offset {} (byte 0x{:02X})",
        skipped + valid_up_to,
        body[valid_up_to]
    ))
    .hint(
        "the file is probably Windows-1252 (what Excel saves as plain \"CSV\"): run again with \
         --encoding windows-1252, or save it from Excel as \"CSV UTF-8\"",
    )
}

/// NUL bytes at half the even or half the odd positions, and hardly any at the others: UTF-16
/// text (mostly ASCII) whose BOM was lost. Real CSV text has no NUL at all, and a binary file
/// has them at both.
fn looks_like_utf16(bytes: &[u8]) -> bool {
    let sample = &bytes[..bytes.len().min(4096)];
    let (mut even, mut odd) = (0, 0);
    for pair in sample.chunks_exact(2) {
        even += usize::from(pair[0] == 0);
        odd += usize::from(pair[1] == 0);
    }
    let (many, few) = (even.max(odd), even.min(odd));
    sample.len() >= 4 && many * 4 >= sample.len() && few * 10 <= many
}

/// The first control character in the first 8 KiB that no text export holds, with its
/// offset: C0 controls other than tab, line feed, vertical tab, form feed, carriage return,
/// Ctrl-Z (an old end-of-file mark) and escape. A legacy encoding has none of these: a file
/// with one is binary, and `--encoding windows-1252` would only turn it into garbage.
fn binary_byte(bytes: &[u8]) -> Option<(usize, u8)> {
    let sample = &bytes[..bytes.len().min(8192)];
    sample
        .iter()
        .position(|&b| matches!(b, 0x00..=0x08 | 0x0E..=0x19 | 0x1C..=0x1F))
        .map(|at| (at, sample[at]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(bytes: &[u8], forced: Option<&'static Encoding>) -> (String, String) {
        let decoded = decode(bytes, forced).unwrap();
        (decoded.text.into_owned(), decoded.encoding)
    }

    fn refused(bytes: &[u8], forced: Option<&'static Encoding>) -> Refusal {
        decode(bytes, forced).unwrap_err()
    }

    #[test]
    fn a_utf8_bom_is_stripped() {
        assert_eq!(
            text(b"\xEF\xBB\xBFemail\n", None),
            ("email\n".into(), "UTF-8 (BOM)".into())
        );
        assert_eq!(text(b"email\n", None), ("email\n".into(), "UTF-8".into()));
    }

    #[test]
    fn invalid_utf8_names_line_offset_and_the_flag_to_use() {
        let err = refused(b"email\nj\xe9@x.example\n", None);
        assert_eq!(
            err.message,
            "not valid UTF-8 at line 2, byte offset 7 (byte 0xE9)"
        );
        let hint = err.hint.unwrap();
        assert!(hint.contains("--encoding windows-1252"), "{hint}");
        assert!(hint.contains("CSV UTF-8"), "{hint}");
    }

    #[test]
    fn offsets_count_the_bom() {
        let err = refused(b"\xEF\xBB\xBFe\xa0", None);
        assert!(
            err.message.contains("line 1, byte offset 4"),
            "{}",
            err.message
        );
    }

    #[test]
    fn windows_1252_on_request_decodes_every_byte() {
        let cp1252 = parse_encoding("cp1252").unwrap();
        assert_eq!(
            text(b"name\nJos\xe9\xa0Garc\xeda \x80\n", Some(cp1252)),
            (
                "name\nJos\u{e9}\u{a0}Garc\u{ed}a \u{20ac}\n".into(),
                "windows-1252".into()
            )
        );
        assert_eq!(parse_encoding("latin1").unwrap(), cp1252);
        assert_eq!(parse_encoding(" ISO-8859-1 ").unwrap(), cp1252);
    }

    #[test]
    fn utf16_with_a_bom_is_read_whatever_the_flag() {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in "a\tb\r\nJosé\tx".encode_utf16() {
            bytes.extend(unit.to_le_bytes());
        }
        assert_eq!(
            text(&bytes, None),
            ("a\tb\r\nJosé\tx".into(), "UTF-16LE (BOM)".into())
        );
        let forced = decode(&bytes, Some(parse_encoding("windows-1252").unwrap())).unwrap();
        assert!(
            forced
                .note
                .unwrap()
                .contains("--encoding windows-1252 is not used")
        );

        let mut be = vec![0xFE, 0xFF];
        for unit in "a,b".encode_utf16() {
            be.extend(unit.to_be_bytes());
        }
        assert_eq!(text(&be, None), ("a,b".into(), "UTF-16BE (BOM)".into()));
    }

    #[test]
    fn broken_utf16_is_refused_not_replaced() {
        let err = refused(b"\xFF\xFEa\x00\x00\xD8", None);
        assert_eq!(err.message, "not valid UTF-16LE at byte offset 4");
    }

    #[test]
    fn utf16_without_a_bom_is_recognized() {
        let err = refused(b"e\x00m\x00a\x00i\x00l\x00", None);
        assert!(err.message.contains("UTF-16"), "{}", err.message);
        assert!(err.hint.unwrap().contains("--encoding utf-16le"));
        let forced = text(b"e\x00m\x00", Some(UTF_16LE));
        assert_eq!(forced.0, "em");
    }

    #[test]
    fn binary_bytes_are_not_called_windows_1252() {
        let err = refused(b"email\x00\x01\x02\xff\xfe\x03data", None);
        assert_eq!(
            err.message,
            "the file is binary, not text: byte 0x00 at offset 5 is a control character no \
             export holds"
        );
        assert!(err.hint.unwrap().starts_with("member-sync reads CSV"));
        // Zeros at both parities are not UTF-16 that lost its BOM.
        let zeros: Vec<u8> = (0..64u8).flat_map(|i| [0, 0, i | 0x80, 0]).collect();
        assert!(
            refused(&zeros, None)
                .message
                .starts_with("the file is binary")
        );
        // Ctrl-Z at the end of an old DOS file is still a legacy-encoding hint.
        let dos = refused(b"email\nj\xe9@x.example\n\x1a", None);
        assert!(
            dos.message.starts_with("not valid UTF-8"),
            "{}",
            dos.message
        );
    }

    #[test]
    fn unknown_labels_are_refused_with_examples() {
        let err = parse_encoding("klingon").unwrap_err();
        assert!(err.contains("windows-1252"), "{err}");
        assert!(parse_encoding("iso-2022-kr").is_err());
    }
}
