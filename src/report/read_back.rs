//! An earlier report read back: `--only-rows-from` retries its failed rows, `rollback` undoes
//! its changes. The report is the only record of a run, so a broken one is refused with the
//! file and line named, never half-read.
//!
//! One exception: a last line cut short. A run that stopped while writing a line (a crash, a
//! full disk under a version that did not cut the line back) leaves every line before it
//! whole, and refusing those would throw away the undo data of every row the run changed. So
//! when the file does not end with a line break and its last line is short of cells (or not
//! text), that line is left out, with a warning naming it; any other broken line is refused.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use super::unescape_cell;
use crate::progress::Progress;

/// A line of an earlier report, read back: where it is in the file, and the cells of the
/// columns asked for, in that order, unescaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportLine {
    /// The line in the file where the report line starts (the header is line 1), for
    /// messages.
    pub line: usize,
    pub cells: Vec<String>,
}

/// Reads back an earlier report (`--only-rows-from`, `rollback`), keeping `columns`. A name
/// ending in `?` is a column older reports do not have: its cells read as empty there. Errors
/// name the file, and the line when one is broken; a last line cut short is left out, with
/// a warning through `progress`.
pub fn read_back(
    path: &Path,
    columns: &[&str],
    progress: &dyn Progress,
) -> Result<Vec<ReportLine>, String> {
    let shown = path.display();
    let unreadable = |e: &dyn std::fmt::Display| format!("cannot read the report {shown}: {e}");
    let (starts_as_zip, ends_whole) = file_ends(path).map_err(|e| unreadable(&e))?;
    if starts_as_zip {
        return read_workbook(path, columns);
    }
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(|e| unreadable(&e))?;
    let headers = reader.headers().map_err(|e| unreadable(&e))?.clone();
    let at = column_positions(path, &headers, columns)?;
    let mut lines = Vec::new();
    let mut records = reader.into_records().peekable();
    let mut after_last = 2;
    while let Some(record) = records.next() {
        let position = match &record {
            Ok(record) => record.position(),
            Err(e) => e.position(),
        };
        let line = position.map_or(after_last, |p| p.line() as usize);
        let whole = match &record {
            Ok(record) if record.len() == headers.len() => Ok(record),
            Ok(record) => Err(format!(
                "{shown} line {line} has {} cells, the header {}",
                record.len(),
                headers.len()
            )),
            Err(e) => Err(format!("{shown} line {line}: {e}")),
        };
        let record = match whole {
            Ok(record) => record,
            Err(_) if !ends_whole && records.peek().is_none() => {
                progress.note(&format!(
                    "warning: {shown} line {line} is cut short (the run that wrote it stopped mid-line): read without it"
                ));
                break;
            }
            Err(problem) => return Err(problem),
        };
        after_last = line + 1;
        let cells = at
            .iter()
            .map(|&i| unescape_cell(i.and_then(|i| record.get(i)).unwrap_or("")).to_string())
            .collect();
        lines.push(ReportLine { line, cells });
    }
    Ok(lines)
}

/// Where each of `columns` is in the header (`None`: an optional column it does not have).
fn column_positions(
    path: &Path,
    headers: &csv::StringRecord,
    columns: &[&str],
) -> Result<Vec<Option<usize>>, String> {
    columns
        .iter()
        .map(|name| match name.strip_suffix('?') {
            Some(optional) => Ok(headers.iter().position(|h| h == optional)),
            None => match headers.iter().position(|h| h == *name) {
                Some(at) => Ok(Some(at)),
                None => Err(format!(
                    "{} is not a member-sync report: it has no `{name}` column",
                    path.display()
                )),
            },
        })
        .collect()
}

/// Whether the file starts as a zip archive (a workbook), and whether its last byte is a
/// line break (an empty file counts as whole).
fn file_ends(path: &Path) -> std::io::Result<(bool, bool)> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    let mut first = [0u8; 4];
    let zip = len >= 4 && file.read_exact(&mut first).is_ok() && first == *b"PK\x03\x04";
    if len == 0 {
        return Ok((false, true));
    }
    file.seek(SeekFrom::Start(len - 1))?;
    let mut last = [0u8];
    file.read_exact(&mut last)?;
    Ok((zip, matches!(last[0], b'\n' | b'\r')))
}

/// Reads back a workbook report (`--report-format xlsx`): its first sheet, cell by cell, so
/// memory follows the cells that exist whatever the sheet claims. Cells hold the values
/// themselves (nothing to unescape); a whole number is read as its digits.
fn read_workbook(path: &Path, columns: &[&str]) -> Result<Vec<ReportLine>, String> {
    let shown = path.display();
    let unreadable = |e: &dyn std::fmt::Display| format!("cannot read the report {shown}: {e}");
    let file = std::io::BufReader::new(File::open(path).map_err(|e| unreadable(&e))?);
    let mut workbook: calamine::Xlsx<_> =
        calamine::Reader::new(file).map_err(|e| unreadable(&e))?;
    let sheet = calamine::Reader::sheet_names(&workbook)
        .first()
        .cloned()
        .ok_or_else(|| unreadable(&"the workbook has no sheet"))?;
    let mut cells = workbook
        .worksheet_cells_reader(&sheet)
        .map_err(|e| unreadable(&e))?;
    let mut header: Vec<(u32, String)> = Vec::new();
    let mut at: Option<Vec<Option<u32>>> = None;
    let mut lines: Vec<ReportLine> = Vec::new();
    while let Some(cell) = cells.next_cell().map_err(|e| unreadable(&e))? {
        let (row, col) = cell.get_position();
        let text = cell_text(cell.get_value());
        if row == 0 {
            header.push((col, text));
            continue;
        }
        let at = match &at {
            Some(at) => at,
            None => at.insert(workbook_columns(path, &header, columns)?),
        };
        let line = row as usize + 1;
        if lines.last().is_none_or(|l| l.line != line) {
            lines.push(ReportLine {
                line,
                cells: vec![String::new(); at.len()],
            });
        }
        if let (Some(i), Some(last)) = (at.iter().position(|&c| c == Some(col)), lines.last_mut()) {
            last.cells[i] = text;
        }
    }
    if at.is_none() {
        workbook_columns(path, &header, columns)?;
    }
    Ok(lines)
}

/// Where each of `columns` is in a workbook's header row.
fn workbook_columns(
    path: &Path,
    header: &[(u32, String)],
    columns: &[&str],
) -> Result<Vec<Option<u32>>, String> {
    let names = csv::StringRecord::from(
        header
            .iter()
            .map(|(_, name)| name.as_str())
            .collect::<Vec<_>>(),
    );
    let positions = column_positions(path, &names, columns)?;
    Ok(positions
        .into_iter()
        .map(|i| i.map(|i| header[i].0))
        .collect())
}

/// A workbook cell as the report's text: numbers as the CSV writes them.
fn cell_text(value: &calamine::DataRef<'_>) -> String {
    use calamine::DataRef;
    match value {
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        DataRef::Empty => String::new(),
        other => calamine::Data::from(other.clone()).to_string(),
    }
}
