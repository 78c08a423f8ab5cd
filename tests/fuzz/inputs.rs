//! The good files the mutants are made from: the real-world exports as CSV, as Excel's
//! "Unicode Text" (UTF-16LE with a BOM), and as workbooks (written by rust_xlsxwriter with
//! shared strings, and by hand with inline strings).

use crate::util::{csv_records, csv_text, real_world, windows_1252, xlsx};
use crate::workbooks::package::{Book, ods, ods_row, row};
use crate::workbooks::xls;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Format {
    Csv,
    Utf16,
    Xlsx,
    Ods,
    Xls,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "CSV",
            Format::Utf16 => "UTF-16",
            Format::Xlsx => "XLSX",
            Format::Ods => "ODS",
            Format::Xls => "XLS",
        }
    }

    /// Whether the format is a workbook.
    pub fn is_workbook(self) -> bool {
        matches!(self, Format::Xlsx | Format::Ods | Format::Xls)
    }

    /// The extension a file of the format has.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv | Format::Utf16 => "csv",
            Format::Xlsx => "xlsx",
            Format::Ods => "ods",
            Format::Xls => "xls",
        }
    }
}

/// A good file and the flags it is read with.
pub struct Seed {
    pub format: Format,
    pub bytes: Vec<u8>,
    /// `--encoding` (a Windows-1252 export says nothing of its encoding).
    pub encoding: Option<&'static str>,
    /// `--sheet`.
    pub sheet: Option<&'static str>,
}

impl Seed {
    fn new(format: Format, bytes: Vec<u8>) -> Seed {
        Seed {
            format,
            bytes,
            encoding: None,
            sheet: None,
        }
    }

    /// The flags, as `validate` takes them.
    pub fn args(&self) -> Vec<&'static str> {
        let mut args = Vec::new();
        if let Some(encoding) = self.encoding {
            args.extend(["--encoding", encoding]);
        }
        if let Some(sheet) = self.sheet {
            args.extend(["--sheet", sheet]);
        }
        args
    }
}

/// Every seed: files that read (most rows valid or invalid for their values, so mutants reach
/// validation), and a few that are refused as they are (no key column, a cover sheet).
pub fn seeds() -> Vec<Seed> {
    let m365 = csv_records(&text_of("m365-import-sample.csv"));
    let entra = text_of("entra-template-small.csv");
    let hr = with_emails(&csv_records(&text_of("hr-sample-utf8-bom-crlf.csv"))[..120]);
    let hr_cp1252 = with_emails(&csv_records(&text_of("hr-sample-cp1252.csv"))[..120]);
    let cover = vec![vec!["Staff export".to_string()], vec!["by HR".to_string()]];
    let mut seeds = vec![
        Seed::new(Format::Csv, bytes_of("m365-import-sample.csv")),
        Seed::new(Format::Csv, entra.clone().into_bytes()),
        Seed::new(Format::Csv, csv_text(&hr, b',').into_bytes()),
        Seed {
            encoding: Some("windows-1252"),
            ..Seed::new(Format::Csv, windows_1252(&csv_text(&hr_cp1252, b';')))
        },
        Seed::new(Format::Csv, bytes_of("csvkit-test_empty_columns.csv")),
        Seed::new(Format::Utf16, utf16le_with_bom(&csv_text(&m365, b'\t'))),
        Seed::new(Format::Utf16, utf16le_with_bom(&csv_text(&hr, b'\t'))),
        Seed::new(Format::Utf16, utf16le_with_bom(&entra)),
        Seed::new(Format::Xlsx, xlsx(&[("People", &m365)])),
        Seed::new(Format::Xlsx, xlsx(&[("Staff", &hr[..40])])),
        Seed::new(Format::Xlsx, inline_strings(&m365[..10])),
        Seed::new(
            Format::Xlsx,
            xlsx(&[("Cover", &cover), ("Users", &m365[..10])]),
        ),
        Seed {
            sheet: Some("Users"),
            ..Seed::new(
                Format::Xlsx,
                xlsx(&[("Cover", &cover), ("Users", &hr[..20])]),
            )
        },
        Seed::new(Format::Ods, ods_of(&m365[..10])),
        Seed::new(Format::Xls, xls_of(&m365[..10])),
    ];
    for seed in &mut seeds {
        seed.bytes.truncate(16 * 1024);
    }
    seeds
}

/// An HR export with a `Work Email` column made from each full name, so it has a key.
fn with_emails(records: &[Vec<String>]) -> Vec<Vec<String>> {
    records
        .iter()
        .enumerate()
        .map(|(i, record)| {
            let email = if i == 0 {
                "Work Email".to_string()
            } else {
                let name = record.get(1).map_or("x", String::as_str);
                format!("{}@example.com", name.to_lowercase().replace(' ', "."))
            };
            let mut record = record.clone();
            record.insert(0, email);
            record
        })
        .collect()
}

fn bytes_of(name: &str) -> Vec<u8> {
    std::fs::read(real_world(name)).expect("the fixture")
}

/// A fixture as text (UTF-8, else Windows-1252), its first 32 KiB.
fn text_of(name: &str) -> String {
    let bytes = bytes_of(name);
    let text = match std::str::from_utf8(&bytes) {
        Ok(text) => text.to_string(),
        Err(_) => encoding_rs::WINDOWS_1252.decode(&bytes).0.into_owned(),
    };
    let mut end = text.len().min(32 * 1024);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

fn utf16le_with_bom(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.trim_start_matches('\u{feff}').encode_utf16() {
        bytes.extend(unit.to_le_bytes());
    }
    bytes
}

/// The records as a package with inline strings and explicit references, as some exporters
/// (not Excel) write it.
fn inline_strings(records: &[Vec<String>]) -> Vec<u8> {
    let rows: String = records
        .iter()
        .enumerate()
        .map(|(r, cells)| {
            let number = r as u32 + 1;
            let refs: Vec<String> = (0..cells.len())
                .map(|c| format!("{}{number}", column(c)))
                .collect();
            let escaped: Vec<String> = cells.iter().map(|c| xml_escape(c)).collect();
            let cells: Vec<(&str, &str)> = refs
                .iter()
                .zip(&escaped)
                .map(|(r, c)| (r.as_str(), c.as_str()))
                .collect();
            row(number, &cells)
        })
        .collect();
    Book::sheet(&rows).bytes()
}

fn column(index: usize) -> String {
    let mut n = index + 1;
    let mut name = Vec::new();
    while n > 0 {
        name.push(b'A' + ((n - 1) % 26) as u8);
        n = (n - 1) / 26;
    }
    name.reverse();
    String::from_utf8(name).unwrap()
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The records as an ODS sheet.
fn ods_of(records: &[Vec<String>]) -> Vec<u8> {
    let rows: String = records
        .iter()
        .map(|cells| {
            let escaped: Vec<String> = cells.iter().map(|c| xml_escape(c)).collect();
            ods_row(&escaped.iter().map(String::as_str).collect::<Vec<_>>())
        })
        .collect();
    ods(&rows)
}

/// The records as an XLS sheet of labels.
fn xls_of(records: &[Vec<String>]) -> Vec<u8> {
    let cells: Vec<Vec<u8>> = records
        .iter()
        .enumerate()
        .flat_map(|(r, cells)| {
            cells
                .iter()
                .enumerate()
                .map(move |(c, text)| xls::label(r as u16, c as u16, text))
        })
        .collect();
    xls::compound_file(&xls::workbook_stream(&cells), false)
}
