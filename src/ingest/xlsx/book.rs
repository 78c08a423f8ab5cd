//! An open workbook of any of the four formats, and a sheet's rows out of it.
//!
//! XLSX and XLSB sheets stream cell by cell; XLS and ODS sheets are whole grids calamine built
//! when the file was opened. Either way the cells go through [`SheetRows`], so every format
//! gives rows the same shape and meets the same cell and text limits.

use std::io::Cursor;

use calamine::{Data, Ods, Range, Reader, Xls, Xlsb, XlsbError, Xlsx, XlsxError};

use super::super::Refusal;
use super::super::csv_reader::RawRow;
use super::rows::{self, SheetRows};
use super::{contained, ods_scan, package, xls_scan};

type Bytes<'a> = Cursor<&'a [u8]>;

/// What to do with a workbook that cannot be read.
const SAVE_AGAIN: &str =
    "open it in Excel and save it as \"Excel Workbook (.xlsx)\" or \"CSV UTF-8\"";

/// An open workbook, and the bytes it was opened from (to name a part that overflows).
pub struct Book<'a> {
    bytes: &'a [u8],
    opened: Opened<'a>,
}

enum Opened<'a> {
    Xlsx(Xlsx<Bytes<'a>>),
    Xlsb(Xlsb<Bytes<'a>>),
    Ods(Ods<Bytes<'a>>),
    Xls(Xls<Bytes<'a>>),
}

impl<'a> Book<'a> {
    /// Opens a workbook: a ZIP package is XLSX, ODS or XLSB (tried in that order), anything
    /// else XLS.
    pub fn open(bytes: &'a [u8]) -> Result<Book<'a>, Refusal> {
        let book = |opened| Ok(Book { bytes, opened });
        if !bytes.starts_with(b"PK") {
            contained::run("XLS", || xls_scan::check(bytes))?;
            return match contained::run("XLS", || Ok(Xls::new(Cursor::new(bytes))))? {
                Ok(reader) => book(Opened::Xls(reader)),
                Err(e) => Err(Refusal::new(format!(
                    "the file looks like an old Excel workbook (XLS) but cannot be read ({e})"
                ))
                .hint(SAVE_AGAIN)),
            };
        }
        contained::run("ZIP", || package::check(bytes))?;
        let xlsx_error = match contained::run("XLSX", || Ok(Xlsx::new(Cursor::new(bytes))))? {
            Ok(reader) => return book(Opened::Xlsx(reader)),
            Err(e) => e.to_string(),
        };
        contained::run("ODS", || ods_scan::check(bytes))?;
        if let Ok(reader) = contained::run("ODS", || Ok(Ods::new(Cursor::new(bytes))))? {
            return book(Opened::Ods(reader));
        }
        if let Ok(reader) = contained::run("XLSB", || Ok(Xlsb::new(Cursor::new(bytes))))? {
            return book(Opened::Xlsb(reader));
        }
        if package::is_overflow(&xlsx_error)
            && let Some(refusal) = package::overflowing_part(bytes)
        {
            return Err(refusal);
        }
        Err(Refusal::new(format!(
            "the file is a ZIP archive but not a readable workbook ({xlsx_error})"
        ))
        .hint(SAVE_AGAIN))
    }

    /// `XLSX`, `XLS`, `XLSB` or `ODS`.
    pub fn format(&self) -> &'static str {
        match self.opened {
            Opened::Xlsx(_) => "XLSX",
            Opened::Xlsb(_) => "XLSB",
            Opened::Ods(_) => "ODS",
            Opened::Xls(_) => "XLS",
        }
    }

    pub fn sheet_names(&self) -> Vec<String> {
        match &self.opened {
            Opened::Xlsx(book) => book.sheet_names(),
            Opened::Xlsb(book) => book.sheet_names(),
            Opened::Ods(book) => book.sheet_names(),
            Opened::Xls(book) => book.sheet_names(),
        }
    }

    /// The rows of sheet `name` (one of [`Book::sheet_names`]); with `until`, the first rows
    /// only, at least that many of them.
    pub fn rows(&mut self, name: &str, until: Option<usize>) -> Result<Vec<RawRow>, Refusal> {
        let format = self.format();
        let bytes = self.bytes;
        let mut rows = SheetRows::new(name);
        let enough = |rows: &SheetRows| until.is_some_and(|n| rows.rows_done() >= n);
        contained::run(format, || {
            let failed = |e: String| cannot_read(bytes, name, format, &e);
            match &mut self.opened {
                Opened::Xlsx(book) => match book.worksheet_cells_reader(name) {
                    Ok(mut cells) => {
                        while let Some(cell) = cells
                            .next_cell()
                            .map_err(|e: XlsxError| failed(e.to_string()))?
                        {
                            rows.push_ref(cell.get_position(), cell.get_value())?;
                            if enough(&rows) {
                                break;
                            }
                        }
                    }
                    // A chart sheet: no cells.
                    Err(XlsxError::NotAWorksheet(_)) => {}
                    Err(e) => return Err(failed(e.to_string())),
                },
                Opened::Xlsb(book) => {
                    let mut cells = book
                        .worksheet_cells_reader(name)
                        .map_err(|e: XlsbError| failed(e.to_string()))?;
                    while let Some(cell) = cells
                        .next_cell()
                        .map_err(|e: XlsbError| failed(e.to_string()))?
                    {
                        rows.push_ref(cell.get_position(), cell.get_value())?;
                        if enough(&rows) {
                            break;
                        }
                    }
                }
                Opened::Ods(book) => {
                    let range = book
                        .worksheet_range(name)
                        .map_err(|e| failed(e.to_string()))?;
                    grid_rows(&range, &mut rows, until)?;
                }
                Opened::Xls(book) => {
                    let range = book
                        .worksheet_range(name)
                        .map_err(|e| failed(e.to_string()))?;
                    grid_rows(&range, &mut rows, until)?;
                }
            }
            Ok(())
        })?;
        rows.finish()
    }
}

/// The used cells of a grid (XLS, ODS), at their sheet positions.
fn grid_rows(
    range: &Range<Data>,
    rows: &mut SheetRows,
    until: Option<usize>,
) -> Result<(), Refusal> {
    let (top, left) = range.start().unwrap_or_default();
    for (row, column, cell) in range.used_cells() {
        let position = (top + row as u32, left + column as u32);
        rows.push(position, &rows::cell_text(cell))?;
        if until.is_some_and(|n| rows.rows_done() >= n) {
            break;
        }
    }
    Ok(())
}

/// A sheet the reader gave up on; a part larger than it declared is named.
fn cannot_read(bytes: &[u8], name: &str, format: &str, error: &str) -> Refusal {
    if package::is_overflow(error)
        && let Some(refusal) = package::overflowing_part(bytes)
    {
        return refusal;
    }
    Refusal::new(format!(
        "cannot read the sheet `{name}` of the {format} workbook: {error}"
    ))
    .hint(SAVE_AGAIN)
}
