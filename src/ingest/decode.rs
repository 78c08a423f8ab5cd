//! Bytes → text, before any CSV parsing.
//!
//! Only UTF-8 (with or without a BOM) is accepted today. Anything else is refused with the
//! place it went wrong, never "repaired" into U+FFFD: a silently mangled name would be sent to
//! Tallyfy as if the export said so. A later issue adds `--encoding` (encoding_rs) here; the
//! message already points at it because Windows-1252 is the usual culprit and cannot be
//! detected for sure.

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The file's text, without a UTF-8 BOM, or a message saying why it is not UTF-8.
pub fn decode(bytes: &[u8]) -> Result<&str, String> {
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err(
            "the file is UTF-16 (Excel's \"Unicode Text\"); save it as \"CSV UTF-8\" \
                    and try again"
                .to_string(),
        );
    }
    let body = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    std::str::from_utf8(body).map_err(|err| {
        let offset = bytes.len() - body.len() + err.valid_up_to();
        not_utf8_message(bytes, offset)
    })
}

fn not_utf8_message(bytes: &[u8], offset: usize) -> String {
    let line = 1 + bytes[..offset].iter().filter(|&&b| b == b'\n').count();
    format!(
        "not valid UTF-8 at line {line}, byte offset {offset} (byte 0x{:02X}); the file is \
         probably in a legacy encoding such as Windows-1252: open it in Excel and save it as \
         \"CSV UTF-8\" (File > Save As)",
        bytes[offset]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_utf8_bom_is_stripped() {
        assert_eq!(decode(b"\xEF\xBB\xBFemail\n").unwrap(), "email\n");
        assert_eq!(decode(b"email\n").unwrap(), "email\n");
    }

    #[test]
    fn invalid_utf8_names_line_offset_and_what_to_do() {
        let err = decode(b"email\nj\xe9@x.example\n").unwrap_err();
        assert!(err.contains("line 2, byte offset 7 (byte 0xE9)"), "{err}");
        assert!(err.contains("CSV UTF-8"), "{err}");
    }

    #[test]
    fn offsets_count_the_bom() {
        let err = decode(b"\xEF\xBB\xBFe\xa0").unwrap_err();
        assert!(err.contains("line 1, byte offset 4"), "{err}");
    }

    #[test]
    fn utf16_is_recognized() {
        let err = decode(b"\xFF\xFEe\x00").unwrap_err();
        assert!(err.contains("UTF-16"), "{err}");
    }
}
