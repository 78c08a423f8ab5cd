//! Inputs beyond plain CSV: the real-world fixtures, `member-sync validate` and its report,
//! and derived variants (other encodings, delimiters, workbooks) written by the test.

use std::path::{Path, PathBuf};

use tempfile::TempDir;

use super::files::ReportRow;
use super::run::member_sync;

/// A file of `../shared/fixtures/real-world`, used as it is.
pub fn real_world(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures/real-world")
        .join(name);
    assert!(path.exists(), "missing fixture {}", path.display());
    path
}

/// The real-world fixture's bytes.
pub fn real_world_bytes(name: &str) -> Vec<u8> {
    std::fs::read(real_world(name)).expect("read the fixture")
}

/// The columns of `validate --report`, in order, as docs/input.md lists them.
pub const VALIDATION_COLUMNS: [&str; 8] = [
    "row", "line", "email", "user_id", "outcome", "fields", "problems", "warnings",
];

/// What `member-sync validate` left behind.
#[derive(Debug)]
pub struct Checked {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub report: Vec<ReportRow>,
    pub report_text: String,
    _dir: TempDir,
}

impl Checked {
    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Checked {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn assert_stderr_contains(&self, text: &str) -> &Checked {
        assert!(
            self.stderr.contains(text),
            "{text:?} not in stderr:\n{}",
            self.stderr
        );
        self
    }

    /// The stderr lines that start with `prefix` (`! row`, `~ row`, `skipped line`).
    pub fn lines_starting(&self, prefix: &str) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| l.starts_with(prefix))
            .collect()
    }

    /// The report line of data row `row`.
    pub fn row(&self, row: usize) -> &ReportRow {
        super::files::report_row(&self.report, row)
    }
}

/// `member-sync validate INPUT --report <tmp>/report.csv ...EXTRA`.
pub fn validate(input: &Path, extra: &[&str]) -> Checked {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let report = dir.path().join("report.csv");
    let output = member_sync()
        .arg("validate")
        .arg(input)
        .arg("--report")
        .arg(&report)
        .args(extra)
        .current_dir(dir.path())
        .output()
        .expect("member-sync runs");
    let report_text = std::fs::read_to_string(&report).unwrap_or_default();
    Checked {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        report: read_validation_report(&report),
        report_text,
        _dir: dir,
    }
}

/// Reads a `validate` report into one map per line; the header must be
/// [`VALIDATION_COLUMNS`]. No file reads as no rows.
pub fn read_validation_report(path: &Path) -> Vec<ReportRow> {
    if !path.exists() {
        return Vec::new();
    }
    let mut reader = csv::Reader::from_path(path).expect("open the report");
    parse_validation_report(&mut reader)
}

/// A `validate` report held in memory (`--report -`).
pub fn parse_validation_report_text(text: &str) -> Vec<ReportRow> {
    parse_validation_report(&mut csv::Reader::from_reader(text.as_bytes()))
}

fn parse_validation_report<R: std::io::Read>(reader: &mut csv::Reader<R>) -> Vec<ReportRow> {
    super::files::read_rows(reader, &VALIDATION_COLUMNS)
}

/// Every record of CSV text as cells (a BOM dropped), for deriving variants as data.
pub fn csv_records(text: &str) -> Vec<Vec<String>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| {
            r.expect("a CSV record")
                .iter()
                .map(str::to_string)
                .collect()
        })
        .collect()
}

/// Records written back with another delimiter and CRLF line ends.
pub fn csv_text(records: &[Vec<String>], delimiter: u8) -> String {
    let mut writer = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .terminator(csv::Terminator::CRLF)
        .flexible(true)
        .from_writer(Vec::new());
    for record in records {
        writer.write_record(record).expect("write a record");
    }
    String::from_utf8(writer.into_inner().expect("flush")).expect("UTF-8")
}

/// Excel's "Unicode Text": UTF-16LE with a BOM.
pub fn utf16le_with_bom(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        bytes.extend(unit.to_le_bytes());
    }
    bytes
}

/// Excel's plain "CSV" on Western Windows: Windows-1252, no BOM.
pub fn windows_1252(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(text);
    assert!(!unmappable, "the text fits Windows-1252");
    bytes.into_owned()
}

/// A workbook with one sheet per `(name, rows)`; cells that parse as whole numbers are written
/// as numbers, the way HR exports carry phones and ids.
pub fn xlsx(sheets: &[(&str, &[Vec<String>])]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    for (name, rows) in sheets {
        let sheet = book.add_worksheet().set_name(*name).expect("a sheet name");
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (r as u32, c as u16);
                match cell.parse::<u64>() {
                    Ok(n) if !cell.starts_with('0') => sheet.write(r, c, n as f64),
                    _ => sheet.write(r, c, cell.as_str()),
                }
                .expect("write a cell");
            }
        }
    }
    book.save_to_buffer().expect("the workbook")
}
