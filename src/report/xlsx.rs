//! The report as an Excel workbook (`--report-format xlsx`, or a `--report` ending `.xlsx`).
//!
//! Why a workbook: Excel on Windows opens a UTF-8 CSV without a byte-order mark as the
//! system's code page, so `Zoë` shows as `ZoÃ«`. A BOM would fix Excel and break the scripts
//! that read the report (Python's `csv` with `utf-8` then sees a first column named
//! `\ufeffrow`; `cut`, `awk` and Go's `encoding/csv` keep it too), so the CSV stays as it was
//! and spreadsheet users get a file made for them: text cells hold the text as it is (no `'`
//! in front), written as strings, never formulas; those a spreadsheet would run if typed get
//! Excel's own "quote prefix" style, so they stay text even when edited.
//!
//! A workbook is a zip archive written in one go, so it cannot grow line by line with a flush
//! per row as the CSV does. The run therefore writes its CSV report as usual, to a journal
//! beside the workbook (`report.xlsx.journal.csv`), and turns it into the workbook when the
//! run ends, whatever the end; then the journal goes. A crash leaves the journal, every line
//! in it whole, and the workbook's name taken by an empty file: `rollback` and
//! `--only-rows-from` read the journal like any CSV report.

use std::borrow::Cow;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::{COLUMNS, ReportWriter, cut, unescape_cell};
use crate::cell_safety::needs_escape;

/// The report's file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ReportFormat {
    /// UTF-8 CSV, one line per row written as the row finishes (no byte-order mark).
    #[default]
    Csv,
    /// An Excel workbook, written when the run ends (until then: a CSV journal beside it).
    Xlsx,
}

impl ReportFormat {
    /// `--report-format` if given, else the `--report` path's extension; a format the
    /// extension contradicts (`--report-format xlsx --report r.csv`) is refused.
    pub fn choose(
        report: Option<&Path>,
        flag: Option<ReportFormat>,
    ) -> Result<ReportFormat, String> {
        let by_extension = report.and_then(|path| {
            let extension = path.extension()?.to_str()?.to_ascii_lowercase();
            match extension.as_str() {
                "csv" => Some(ReportFormat::Csv),
                "xlsx" => Some(ReportFormat::Xlsx),
                _ => None,
            }
        });
        match (flag, by_extension, report) {
            (Some(flag), Some(named), Some(path)) if flag != named => Err(format!(
                "--report-format {} does not match --report {}",
                flag.extension(),
                path.display()
            )),
            (flag, named, _) => Ok(flag.or(named).unwrap_or_default()),
        }
    }

    /// `csv`, `xlsx`: the extension of a report named by time.
    pub fn extension(self) -> &'static str {
        match self {
            ReportFormat::Csv => "csv",
            ReportFormat::Xlsx => "xlsx",
        }
    }
}

/// Creates the report at `path`: the CSV report itself, or for a workbook, the workbook's
/// name (taken now, so a run never finds at its end that it cannot have it) and the CSV
/// journal the run writes instead, which [`PendingXlsx::finish`] turns into the workbook.
/// Neither file may exist.
pub fn create_report(
    path: &Path,
    format: ReportFormat,
) -> io::Result<(ReportWriter, Option<PendingXlsx>)> {
    match format {
        ReportFormat::Csv => Ok((ReportWriter::create(path)?, None)),
        ReportFormat::Xlsx => {
            let file = crate::output_file::create_new(path)?;
            let journal = journal_path(path);
            let writer = ReportWriter::create(&journal).inspect_err(|_| {
                let _ = std::fs::remove_file(path);
            })?;
            let pending = PendingXlsx {
                target: path.to_path_buf(),
                file,
                journal,
            };
            Ok((writer, Some(pending)))
        }
    }
}

/// `report.xlsx` → `report.xlsx.journal.csv`.
pub fn journal_path(target: &Path) -> PathBuf {
    let mut name = target.as_os_str().to_owned();
    name.push(".journal.csv");
    PathBuf::from(name)
}

/// A workbook report still to be written from its journal.
#[derive(Debug)]
pub struct PendingXlsx {
    target: PathBuf,
    /// The workbook's file, created empty.
    file: File,
    journal: PathBuf,
}

/// A workbook written, and the cells cut to fit (Excel holds 32,767 characters a cell).
#[derive(Debug)]
pub struct XlsxWritten {
    /// `(line of the journal, column)` of each cell cut.
    pub cut_cells: Vec<(usize, &'static str)>,
}

/// Characters a cell holds in Excel.
const CELL_CHARS: usize = 32_767;
/// Rows a worksheet holds, the header's included.
const SHEET_ROWS: usize = 1_048_576;
/// Columns written as numbers: they are numbers, and sort as such.
const NUMBER_COLUMNS: [&str; 4] = ["row", "http_status", "attempts", "elapsed_ms"];

impl PendingXlsx {
    pub fn target(&self) -> &Path {
        &self.target
    }

    pub fn journal(&self) -> &Path {
        &self.journal
    }

    /// Writes the workbook from the journal. Then the journal is removed, unless a cell had
    /// to be cut (it keeps the whole lines). On an error the (empty) workbook is removed and
    /// the journal stays: it is the report.
    pub fn finish(mut self) -> Result<XlsxWritten, String> {
        match self.write_workbook() {
            Ok(written) => {
                if written.cut_cells.is_empty() {
                    let _ = std::fs::remove_file(&self.journal);
                }
                Ok(written)
            }
            Err(e) => {
                drop(self.file);
                let _ = std::fs::remove_file(&self.target);
                Err(e)
            }
        }
    }

    fn write_workbook(&mut self) -> Result<XlsxWritten, String> {
        let failed = |e: &dyn std::fmt::Display| e.to_string();
        let mut workbook = Workbook::new();
        // The worksheet's rows wait in an unnamed temporary file beside the report, on the
        // disk chosen for it, rather than in memory.
        if let Some(dir) = self.target.parent().filter(|d| !d.as_os_str().is_empty()) {
            workbook.set_tempdir(dir).map_err(|e| failed(&e))?;
        }
        let sheet = workbook
            .add_worksheet_with_constant_memory()
            .map_err(|e| failed(&e))?;
        let cut_cells = fill_sheet(sheet, &self.journal)?;
        workbook
            .save_to_writer(&mut self.file)
            .map_err(|e| failed(&e))?;
        self.file.sync_all().map_err(|e| failed(&e))?;
        Ok(XlsxWritten { cut_cells })
    }
}

/// Writes the journal's lines into `sheet`: the header bold and frozen, with a filter.
fn fill_sheet(sheet: &mut Worksheet, journal: &Path) -> Result<Vec<(usize, &'static str)>, String> {
    let xlsx = |e: XlsxError| e.to_string();
    sheet.set_name("report").map_err(xlsx)?;
    for (col, width) in [6, 32, 10, 11, 48, 32, 32, 11, 8, 48, 24, 10, 24, 14]
        .into_iter()
        .enumerate()
    {
        sheet.set_column_width(col as u16, width).map_err(xlsx)?;
    }
    let bold = Format::new().set_bold();
    for (col, name) in COLUMNS.iter().enumerate() {
        sheet
            .write_string_with_format(0, col as u16, *name, &bold)
            .map_err(xlsx)?;
    }
    sheet.set_freeze_panes(1, 0).map_err(xlsx)?;
    let text = Format::new().set_quote_prefix();
    let mut reader = csv::Reader::from_path(journal)
        .map_err(|e| format!("cannot read the journal {}: {e}", journal.display()))?;
    let mut cut_cells = Vec::new();
    let mut rows = 0;
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| format!("{}: {e}", journal.display()))?;
        // The line in the journal, for messages; the row in the sheet (0: the header).
        let line = record.position().map_or(i + 2, |p| p.line() as usize);
        let row = i + 1;
        if row >= SHEET_ROWS {
            return Err(format!(
                "the report has more lines than a worksheet holds ({SHEET_ROWS} rows)"
            ));
        }
        let row = row as u32;
        for (col, (name, cell)) in COLUMNS.iter().zip(record.iter()).enumerate() {
            let col = col as u16;
            let value = unescape_cell(cell);
            if value.is_empty() {
                continue;
            }
            match value.parse::<u32>() {
                Ok(n) if NUMBER_COLUMNS.contains(name) => {
                    sheet.write_number(row, col, n).map_err(xlsx)?;
                }
                _ => {
                    let value = cut(value, CELL_CHARS);
                    if let Cow::Owned(_) = value {
                        cut_cells.push((line, *name));
                    }
                    match needs_escape(&value) {
                        true => sheet.write_string_with_format(row, col, value.as_ref(), &text),
                        false => sheet.write_string(row, col, value.as_ref()),
                    }
                    .map_err(xlsx)?;
                }
            }
        }
        rows = row;
    }
    sheet
        .autofilter(0, 0, rows, (COLUMNS.len() - 1) as u16)
        .map_err(xlsx)?;
    Ok(cut_cells)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::LineKey;
    use crate::progress::Quiet;
    use crate::report::{Outcome, ReportRow, read_back};

    fn rows() -> Vec<ReportRow<'static>> {
        let row = |n: usize, email: &'static str, error: String| ReportRow {
            line: LineKey::Row(n),
            email: email.into(),
            user_id: "1001".into(),
            outcome: Some(Outcome::Failed),
            changes: "job_title: \"Zoë\" -> \"=1+1\"".into(),
            before: r#"{"job_title":"Zoë"}"#.into(),
            after: r#"{"job_title":"=1+1"}"#.into(),
            http_status: Some(422),
            attempts: 2,
            error: error.into(),
            request_id: "req-1 req-2".into(),
            elapsed_ms: Some(1234),
            landed: "[]".into(),
            action: "update".into(),
            group_id: String::new(),
            groups: String::new(),
        };
        vec![
            row(
                1,
                "zoë@example.com",
                "HTTP 422: line one,\nline \"two\"".into(),
            ),
            row(
                2,
                "=HYPERLINK(\"http://x.example\";\"click\")",
                "@SUM(A1)".into(),
            ),
            row(3, "-1", "+44 20 7946 0000".into()),
            row(4, "long@example.com", "é".repeat(CELL_CHARS + 10)),
        ]
    }

    /// Writes `rows` as a workbook report in `dir`, through its journal.
    fn workbook(dir: &Path, rows: &[ReportRow<'_>]) -> (PathBuf, XlsxWritten) {
        let path = dir.join("report.xlsx");
        let (mut journal, pending) = create_report(&path, ReportFormat::Xlsx).unwrap();
        for row in rows {
            journal.write(row).unwrap();
        }
        drop(journal);
        let written = pending.expect("a workbook to write").finish().unwrap();
        (path, written)
    }

    #[test]
    fn a_workbook_reads_back_as_its_journal_does() {
        let dir = tempfile::tempdir().unwrap();
        let rows = rows();
        let (path, written) = workbook(dir.path(), &rows[..3]);
        assert!(written.cut_cells.is_empty());
        assert!(!journal_path(&path).exists(), "the journal is removed");
        let csv = dir.path().join("same.csv");
        let mut same = ReportWriter::create(&csv).unwrap();
        for row in &rows[..3] {
            same.write(row).unwrap();
        }
        let cells = |lines: Vec<crate::report::ReportLine>| -> Vec<Vec<String>> {
            lines.into_iter().map(|l| l.cells).collect()
        };
        let from_workbook = read_back(&path, &COLUMNS, &Quiet).unwrap();
        assert_eq!(
            cells(from_workbook.clone()),
            cells(read_back(&csv, &COLUMNS, &Quiet).unwrap())
        );
        assert_eq!(
            from_workbook.iter().map(|l| l.line).collect::<Vec<_>>(),
            [2, 3, 4]
        );
        assert_eq!(from_workbook[1].cells[1], rows[1].email);
        assert_eq!(from_workbook[2].cells[9], "+44 20 7946 0000");
        assert_eq!(from_workbook[0].cells[0], "1");
        assert_eq!(from_workbook[0].cells[11], "1234");
    }

    #[test]
    fn a_line_without_a_row_reads_back_with_an_empty_row_and_its_action() {
        let dir = tempfile::tempdir().unwrap();
        let subject = ReportRow {
            line: LineKey::Member(1042),
            email: "leaver@example.com".into(),
            user_id: "1042".into(),
            outcome: Some(Outcome::Planned),
            action: "disable".into(),
            ..Default::default()
        };
        let (path, _) = workbook(dir.path(), &[rows()[0].clone(), subject]);
        let lines = read_back(&path, &["row", "user_id", "action"], &Quiet).unwrap();
        let cells: Vec<Vec<String>> = lines.into_iter().map(|l| l.cells).collect();
        assert_eq!(cells, [["1", "1001", "update"], ["", "1042", "disable"]]);
    }

    #[test]
    fn cells_a_spreadsheet_would_run_are_text_never_formulas() {
        use calamine::{Data, Reader, Xlsx, open_workbook};
        let dir = tempfile::tempdir().unwrap();
        let (path, _) = workbook(dir.path(), &rows()[..3]);
        let mut book: Xlsx<_> = open_workbook(&path).unwrap();
        let formulas = book.worksheet_formula("report").unwrap();
        assert!(
            formulas.used_cells().all(|(_, _, f)| f.is_empty()),
            "{formulas:?}"
        );
        let cells = book.worksheet_range("report").unwrap();
        assert_eq!(
            cells.get_value((2, 1)),
            Some(&Data::String(rows()[1].email.to_string()))
        );
        assert_eq!(cells.get_value((1, 0)), Some(&Data::Float(1.0)));
    }

    #[test]
    fn a_cell_longer_than_excel_holds_is_cut_and_the_journal_kept() {
        let dir = tempfile::tempdir().unwrap();
        let (path, written) = workbook(dir.path(), &rows());
        // Line 6: the first line's `error` holds a line break.
        assert_eq!(written.cut_cells, vec![(6, "error")]);
        let lines = read_back(&path, &["error"], &Quiet).unwrap();
        assert_eq!(lines[3].cells[0].chars().count(), CELL_CHARS);
        assert!(lines[3].cells[0].ends_with('…'));
        let journal = read_back(&journal_path(&path), &["error"], &Quiet).unwrap();
        assert_eq!(journal[3].cells[0], "é".repeat(CELL_CHARS + 10));
    }

    #[test]
    fn neither_file_may_exist() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.xlsx");
        std::fs::write(journal_path(&path), "").unwrap();
        assert!(create_report(&path, ReportFormat::Xlsx).is_err());
        assert!(!path.exists(), "the workbook's name is given back");
        std::fs::write(&path, "").unwrap();
        assert!(create_report(&path, ReportFormat::Xlsx).is_err());
    }

    #[test]
    fn the_format_comes_from_the_flag_or_the_extension() {
        let choose = |path: Option<&str>, flag| ReportFormat::choose(path.map(Path::new), flag);
        assert_eq!(choose(None, None), Ok(ReportFormat::Csv));
        assert_eq!(choose(Some("r.XLSX"), None), Ok(ReportFormat::Xlsx));
        assert_eq!(choose(Some("r.csv"), None), Ok(ReportFormat::Csv));
        assert_eq!(
            choose(Some("r.txt"), Some(ReportFormat::Xlsx)),
            Ok(ReportFormat::Xlsx)
        );
        assert_eq!(
            choose(None, Some(ReportFormat::Xlsx)),
            Ok(ReportFormat::Xlsx)
        );
        assert_eq!(
            choose(Some("r.csv"), Some(ReportFormat::Xlsx)),
            Err("--report-format xlsx does not match --report r.csv".to_string())
        );
    }

    #[test]
    fn the_journal_is_named_after_the_workbook() {
        assert_eq!(
            journal_path(Path::new("out/r.xlsx")),
            Path::new("out/r.xlsx.journal.csv")
        );
    }
}
