//! Workbooks (XLSX, and XLS, XLSB, ODS which calamine reads the same way) → rows of cells.
//!
//! One sheet is read: the first, or the one `--sheet` names. Cells become the text a person
//! sees in Excel, so the rest of the pipeline cannot tell a workbook from a CSV: whole numbers
//! without `.0` (a phone typed as a number), dates as ISO dates, errors as `#N/A`. Rows keep
//! the sheet's row numbers and columns its positions, so messages point at the right cell.
//!
//! A workbook describes a grid rather than holding it, so a small file can ask for any amount
//! of memory. The reading is bounded (`limits`, docs/input.md "Workbook limits"): a ZIP
//! package is looked over before it is opened (`package`, `xlsb_strings`), XLSX and XLSB
//! sheets are read cell by cell as they stream (`rows`), never as calamine's dense grid, and
//! a panic in a reader is a refusal (`contained`). XLS and ODS have no streaming reader in
//! calamine: it builds every sheet's grid when the file is opened, so those files are first
//! measured the way calamine would read them (`xls_cfb`, `xls_scan`, `ods_scan`) and
//! refused when the grids would cross the limits. `book` opens any of the four formats.
//!
//! When the sheet read has no key column, [`point_to_other_sheets`] says which other sheet
//! has one: an export often opens with a cover sheet.

mod book;
mod contained;
mod limits;
mod ods_scan;
mod package;
mod rows;
mod xls_cfb;
mod xls_scan;
mod xlsb_strings;

use super::Refusal;
use super::csv_reader::RawRow;
use book::Book;

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
    let mut book = Book::open(bytes)?;
    let name = choose_sheet(&book.sheet_names(), sheet)?;
    let rows = book.rows(&name, None)?;
    Ok(Sheet {
        format: book.format(),
        name,
        rows,
    })
}

/// Rows read from each other sheet to look for a header in: more than the header search
/// looks at (50 rows with content), so the search sees what it would see reading the sheet.
const OTHER_SHEET_ROWS: usize = 64;

/// A refusal for want of a key column in sheet `read`, pointed at the workbook's other sheets:
/// the ones `has_key_column` accepts (given their first rows), or that none has one.
pub fn point_to_other_sheets(
    refusal: &mut Refusal,
    bytes: &[u8],
    read: &str,
    has_key_column: impl Fn(Vec<RawRow>) -> bool,
) {
    let Ok(mut book) = Book::open(bytes) else {
        return;
    };
    let others: Vec<String> = book
        .sheet_names()
        .into_iter()
        .filter(|name| name != read)
        .collect();
    if others.is_empty() {
        return;
    }
    let with_key: Vec<&String> = others
        .iter()
        .filter(|name| {
            book.rows(name, Some(OTHER_SHEET_ROWS))
                .is_ok_and(&has_key_column)
        })
        .collect();
    let hint = match with_key.as_slice() {
        [] => format!(
            "{}; the workbook's other sheets ({}) have no key column either",
            refusal.hint.as_deref().unwrap_or("add a key column"),
            quoted_list(&others)
        ),
        [one] => format!(
            "the sheet `{one}` has one: read it with --sheet {} (the workbook's sheets: {})",
            shell_word(one),
            quoted_list(&book.sheet_names())
        ),
        [first, ..] => format!(
            "the sheets {} have one: read one with --sheet, e.g. --sheet {}",
            quoted_list(&with_key),
            shell_word(first)
        ),
    };
    refusal.hint = Some(hint);
}

/// The sheet `wanted` names (exactly, else ignoring case), or the first.
fn choose_sheet(names: &[String], wanted: Option<&str>) -> Result<String, Refusal> {
    match wanted {
        Some(wanted) => names
            .iter()
            .find(|n| n.as_str() == wanted)
            .or_else(|| names.iter().find(|n| n.eq_ignore_ascii_case(wanted)))
            .cloned()
            .ok_or_else(|| {
                Refusal::new(format!("the workbook has no sheet named `{wanted}`"))
                    .hint(format!("its sheets are {}", quoted_list(names)))
            }),
        None => names
            .first()
            .cloned()
            .ok_or_else(|| Refusal::new("the workbook has no sheets")),
    }
}

fn quoted_list(names: &[impl AsRef<str>]) -> String {
    names
        .iter()
        .map(|n| format!("`{}`", n.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A sheet name as typed in a shell: bare when it is one plain word, else in double quotes.
fn shell_word(name: &str) -> String {
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\\\""))
    }
}

#[cfg(test)]
mod tests;
