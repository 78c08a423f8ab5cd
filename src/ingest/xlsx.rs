//! Workbooks (XLSX, and XLS, XLSB, ODS which calamine reads the same way) → rows of cells.
//!
//! One sheet is read: the first, or the one `--sheet` names. Cells become the text a person
//! sees in Excel, so the rest of the pipeline cannot tell a workbook from a CSV: whole numbers
//! without `.0` (a phone typed as a number), dates as ISO dates, errors as `#N/A`. Rows keep
//! the sheet's row numbers and columns its positions, so messages point at the right cell.

use std::io::Cursor;

use calamine::{Data, Ods, Range, Reader, Xls, Xlsb, Xlsx};

use super::Refusal;
use super::csv_reader::RawRow;

/// One sheet's rows, and what was read.
#[derive(Debug)]
pub struct Sheet {
    /// `XLSX`, `XLS`, `XLSB` or `ODS`.
    pub format: &'static str,
    pub name: String,
    pub rows: Vec<RawRow>,
}

/// Reads `sheet` (or the first sheet) of a workbook.
pub fn read(bytes: &[u8], sheet: Option<&str>) -> Result<Sheet, Refusal> {
    let cursor = Cursor::new(bytes);
    let (format, names, range) = if bytes.starts_with(b"PK") {
        match Xlsx::new(cursor.clone()) {
            Ok(book) => open(book, "XLSX", sheet)?,
            Err(xlsx_error) => match Ods::new(cursor.clone()) {
                Ok(book) => open(book, "ODS", sheet)?,
                Err(_) => match Xlsb::new(cursor) {
                    Ok(book) => open(book, "XLSB", sheet)?,
                    Err(_) => {
                        return Err(Refusal::new(format!(
                            "the file is a ZIP archive but not a readable workbook ({xlsx_error})"
                        ))
                        .hint("open it in Excel and save it as \"Excel Workbook (.xlsx)\" or \"CSV UTF-8\""));
                    }
                },
            },
        }
    } else {
        match Xls::new(cursor) {
            Ok(book) => open(book, "XLS", sheet)?,
            Err(e) => {
                return Err(Refusal::new(format!(
                    "the file looks like an old Excel workbook (XLS) but cannot be read ({e})"
                ))
                .hint(
                    "open it in Excel and save it as \"Excel Workbook (.xlsx)\" or \"CSV UTF-8\"",
                ));
            }
        }
    };
    Ok(Sheet {
        format,
        name: names,
        rows: rows_of(&range),
    })
}

fn open<'a, R>(
    mut book: R,
    format: &'static str,
    wanted: Option<&str>,
) -> Result<(&'static str, String, Range<Data>), Refusal>
where
    R: Reader<Cursor<&'a [u8]>>,
    R::Error: std::fmt::Display,
{
    let names = book.sheet_names();
    let name = match wanted {
        Some(wanted) => names
            .iter()
            .find(|n| n.as_str() == wanted)
            .or_else(|| names.iter().find(|n| n.eq_ignore_ascii_case(wanted)))
            .cloned()
            .ok_or_else(|| {
                Refusal::new(format!("the workbook has no sheet named `{wanted}`"))
                    .hint(format!("its sheets are {}", quoted_list(&names)))
            })?,
        None => names
            .first()
            .cloned()
            .ok_or_else(|| Refusal::new("the workbook has no sheets"))?,
    };
    let range = book.worksheet_range(&name).map_err(|e| {
        Refusal::new(format!(
            "cannot read the sheet `{name}` of the {format} workbook: {e}"
        ))
    })?;
    Ok((format, name, range))
}

fn quoted_list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every row of the used range, numbered as the sheet numbers them, with empty cells in front
/// for columns before the range.
fn rows_of(range: &Range<Data>) -> Vec<RawRow> {
    let Some((first_row, first_column)) = range.start() else {
        return Vec::new();
    };
    let lead = first_column as usize;
    range
        .rows()
        .enumerate()
        .map(|(i, cells)| {
            let mut row = Vec::with_capacity(lead + cells.len());
            row.resize(lead, String::new());
            row.extend(cells.iter().map(cell_text));
            RawRow {
                line: u64::from(first_row) + i as u64 + 1,
                cells: row.into_iter().collect(),
            }
        })
        .collect()
}

/// What Excel shows: `42` not `42.0`, dates as `2024-03-01`, errors as `#N/A`.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(dt) if dt.is_datetime() => {
            let (y, m, d, hh, mm, ss, _) = dt.to_ymd_hms_milli();
            if (hh, mm, ss) == (0, 0, 0) {
                format!("{y:04}-{m:02}-{d:02}")
            } else {
                format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}")
            }
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

    fn workbook(build: impl FnOnce(&mut Workbook)) -> Vec<u8> {
        let mut book = Workbook::new();
        build(&mut book);
        book.save_to_buffer().unwrap()
    }

    fn cells(sheet: &Sheet) -> Vec<(u64, Vec<&str>)> {
        sheet
            .rows
            .iter()
            .map(|r| (r.line, r.cells.iter().collect()))
            .collect()
    }

    #[test]
    fn the_first_sheet_reads_as_excel_shows_it() {
        let bytes = workbook(|book| {
            let sheet = book.add_worksheet().set_name("People").unwrap();
            sheet.write(0, 0, "email").unwrap();
            sheet.write(0, 1, "phone").unwrap();
            sheet.write(0, 2, "start").unwrap();
            sheet.write(0, 3, "active").unwrap();
            sheet.write(1, 0, "a@x.io").unwrap();
            sheet.write(1, 1, 442079460000_f64).unwrap();
            let date = ExcelDateTime::from_ymd(2024, 3, 1).unwrap();
            sheet
                .write_datetime_with_format(
                    1,
                    2,
                    &date,
                    &Format::new().set_num_format("yyyy-mm-dd"),
                )
                .unwrap();
            sheet.write(1, 3, true).unwrap();
            sheet.write(2, 1, 1.5).unwrap();
            book.add_worksheet().set_name("Other").unwrap();
        });
        let sheet = read(&bytes, None).unwrap();
        assert_eq!((sheet.format, sheet.name.as_str()), ("XLSX", "People"));
        assert_eq!(
            cells(&sheet),
            [
                (1, vec!["email", "phone", "start", "active"]),
                (2, vec!["a@x.io", "442079460000", "2024-03-01", "TRUE"]),
                (3, vec!["", "1.5", "", ""]),
            ]
        );
    }

    #[test]
    fn a_named_sheet_and_an_offset_range_keep_excel_positions() {
        let bytes = workbook(|book| {
            book.add_worksheet().set_name("Cover").unwrap();
            let sheet = book.add_worksheet().set_name("Users").unwrap();
            sheet.write(3, 2, "email").unwrap();
            sheet.write(4, 2, "b@x.io").unwrap();
        });
        let sheet = read(&bytes, Some("users")).unwrap();
        assert_eq!(sheet.name, "Users");
        assert_eq!(
            cells(&sheet),
            [(4, vec!["", "", "email"]), (5, vec!["", "", "b@x.io"])]
        );
        let missing = read(&bytes, Some("Staff")).unwrap_err();
        assert_eq!(missing.message, "the workbook has no sheet named `Staff`");
        assert_eq!(missing.hint.unwrap(), "its sheets are `Cover`, `Users`");
    }

    #[test]
    fn a_zip_that_is_not_a_workbook_is_refused() {
        let err = read(b"PK\x03\x04not really a zip", None).unwrap_err();
        assert!(
            err.message.contains("not a readable workbook"),
            "{}",
            err.message
        );
        let err = read(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1garbage", None).unwrap_err();
        assert!(err.message.contains("XLS"), "{}", err.message);
    }
}
