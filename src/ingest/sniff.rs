//! What kind of file it is, and which delimiter a text file uses, from the content.
//!
//! File names lie (a workbook saved as `.csv`, a CSV renamed `.xlsx`), so the format comes
//! from the first bytes. The delimiter is whichever of `,` `;` tab `|` splits the first
//! records into the same number of cells most consistently: European Excel writes `;`,
//! "Unicode Text" writes tabs, and a comma inside a `;` file's names must not fool it. Excel's
//! own `sep=;` first line is honoured. `--delimiter` skips the guess.

mod foreign;

pub use foreign::{Foreign, zip_without_workbook};

/// What the bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A ZIP container (XLSX, XLSB, ODS) or an OLE2 compound file (XLS): a workbook.
    Workbook,
    Text,
    /// Compressed, an archive, a document, an image: refused by name (`foreign`).
    Foreign(&'static Foreign),
}

/// Workbooks start with a ZIP or OLE2 signature, and other formats with their own; anything
/// else is read as text.
pub fn kind(bytes: &[u8]) -> Kind {
    const ZIP: &[u8] = b"PK\x03\x04";
    const OLE2: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
    if bytes.starts_with(ZIP) || bytes.starts_with(OLE2) {
        Kind::Workbook
    } else if let Some(format) = foreign::foreign(bytes) {
        Kind::Foreign(format)
    } else {
        Kind::Text
    }
}

/// The delimiters we guess among, in tie-breaking order.
pub const CANDIDATES: [u8; 4] = [b',', b'\t', b';', b'|'];

/// `--delimiter`: one ASCII character, or `tab` / `\t`.
pub fn parse_delimiter(text: &str) -> Result<u8, String> {
    match text {
        "tab" | "TAB" | "\\t" | "\t" => Ok(b'\t'),
        _ => match text.as_bytes() {
            [b] if b.is_ascii() && !b.is_ascii_alphanumeric() && *b != b'"' && *b != b'\n' => {
                Ok(*b)
            }
            _ => Err(format!(
                "`{text}` cannot be a delimiter: give one character such as , ; | or `tab`"
            )),
        },
    }
}

/// How to print a delimiter for people.
pub fn delimiter_name(delimiter: u8) -> String {
    match delimiter {
        b'\t' => "tab".to_string(),
        other => format!("`{}`", char::from(other)),
    }
}

/// A delimiter as the value of `--delimiter` on a shell's command line: `,`, `';'`, `tab`.
pub fn delimiter_flag(delimiter: u8) -> String {
    match delimiter {
        b'\t' => "tab".to_string(),
        b',' => ",".to_string(),
        other => format!("'{}'", char::from(other)),
    }
}

/// A delimiter as a word in a sentence: `comma`, `semicolon`, `tab`, `` `|` ``.
pub fn delimiter_word(delimiter: u8) -> String {
    match delimiter {
        b',' => "comma".to_string(),
        b';' => "semicolon".to_string(),
        other => delimiter_name(other),
    }
}

/// Excel's `sep=;` first line: the delimiter it names.
pub fn sep_line(text: &str) -> Option<u8> {
    let first = text.lines().next()?.trim_end_matches('\r');
    let rest = first
        .strip_prefix("sep=")
        .or_else(|| first.strip_prefix("SEP="))?;
    match rest.as_bytes() {
        [b] => Some(*b),
        _ => None,
    }
}

/// The delimiter of a text file, from its first records.
pub fn delimiter(text: &str) -> u8 {
    const SAMPLE_BYTES: usize = 64 * 1024;
    const SAMPLE_RECORDS: usize = 50;
    let mut end = text.len().min(SAMPLE_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let truncated = end < text.len();
    let sample = &text.as_bytes()[..end];
    let mut best = (b',', 0.0_f64, 0_usize);
    for candidate in CANDIDATES {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(candidate)
            .from_reader(sample);
        let mut widths: Vec<usize> = reader
            .records()
            .take(SAMPLE_RECORDS)
            .filter_map(Result::ok)
            .map(|r| r.len())
            .collect();
        if truncated && widths.len() > 1 {
            widths.pop(); // the record the sample cut in two
        }
        let (width, share) = usual_width(&widths);
        if width > 1 && (share > best.1 || (share == best.1 && width > best.2)) {
            best = (candidate, share, width);
        }
    }
    best.0
}

/// The most common number of cells per record, and the share of records that have it.
fn usual_width(widths: &[usize]) -> (usize, f64) {
    let mut counts: Vec<(usize, usize)> = Vec::new();
    for &w in widths {
        match counts.iter_mut().find(|(width, _)| *width == w) {
            Some((_, n)) => *n += 1,
            None => counts.push((w, 1)),
        }
    }
    counts
        .into_iter()
        .max_by_key(|&(width, n)| (n, width))
        .map_or((0, 0.0), |(width, n)| {
            (width, n as f64 / widths.len() as f64)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workbooks_are_recognized_by_signature() {
        assert_eq!(kind(b"PK\x03\x04rest"), Kind::Workbook);
        assert_eq!(kind(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"), Kind::Workbook);
        assert_eq!(kind(b"email,team\n"), Kind::Text);
        assert_eq!(kind(b""), Kind::Text);
    }

    #[test]
    fn each_candidate_delimiter_is_found() {
        assert_eq!(delimiter("email,team\na@x.io,Ops\n"), b',');
        assert_eq!(delimiter("email;team\na@x.io;Ops\n"), b';');
        assert_eq!(delimiter("email\tteam\na@x.io\tOps\n"), b'\t');
        assert_eq!(delimiter("email|team\na@x.io|Ops\n"), b'|');
    }

    #[test]
    fn commas_inside_a_semicolon_file_do_not_fool_it() {
        let text = "Name;Title;E-Mail\nSmith, John;Lead, Ops;j@x.io\nDoe, Jane;CFO;d@x.io\n";
        assert_eq!(delimiter(text), b';');
        let quoted = "email,team\n\"a;b@x.io\",\"Ops;Sales\"\nc@x.io,Ops\n";
        assert_eq!(delimiter(quoted), b',');
    }

    #[test]
    fn title_rows_and_a_single_column_default_to_comma() {
        let text = "Employee report\n\nemail;team;phone\na@x.io;Ops;1\nb@x.io;Ops;2\n";
        assert_eq!(delimiter(text), b';');
        assert_eq!(delimiter("email\na@x.io\n"), b',');
        assert_eq!(delimiter(""), b',');
    }

    #[test]
    fn excel_sep_lines_and_the_flag() {
        assert_eq!(sep_line("sep=;\r\nemail;team\n"), Some(b';'));
        assert_eq!(sep_line("email;team\n"), None);
        assert_eq!(parse_delimiter(";"), Ok(b';'));
        assert_eq!(parse_delimiter("tab"), Ok(b'\t'));
        assert_eq!(parse_delimiter("\\t"), Ok(b'\t'));
        assert!(parse_delimiter("ab").is_err());
        assert!(parse_delimiter("x").is_err());
        assert_eq!(delimiter_name(b'\t'), "tab");
        assert_eq!(delimiter_name(b';'), "`;`");
    }
}
