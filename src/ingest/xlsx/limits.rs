//! What a workbook may ask of memory, and the refusal when it asks for more.
//!
//! A workbook is a description of a grid, not the grid: a 1 KB file can put one value at the
//! last cell of a sheet, repeat a 1 MiB string in every cell, or hold a ZIP entry that inflates
//! to gigabytes. Read naively, any of these asks for more memory than the machine has and the
//! run aborts. So the reader counts as it goes, and stops with a refusal, naming the limit,
//! when a workbook would cross one. Every number here is in docs/input.md ("Workbook limits");
//! a change here is a change there.

use super::super::Refusal;

/// The most parts (ZIP entries) a workbook package may have. Excel writes a few dozen.
pub const MAX_PARTS: usize = 10_000;

/// The largest part, uncompressed, as the ZIP directory declares it (and as the ZIP reader
/// then holds it to): a worksheet, the shared strings, ODS's `content.xml`.
pub const MAX_PART_BYTES: u64 = 256 << 20;

/// The largest part that the reader keeps whole in memory as many small objects: the styles,
/// the workbook and its relationships, the theme. Excel's own limit of 64,000 cell formats fits
/// in a few MiB.
pub const MAX_SMALL_PART_BYTES: u64 = 16 << 20;

/// All parts together, uncompressed.
pub const MAX_PACKAGE_BYTES: u64 = 1 << 30;

/// The most shared strings (each becomes a string in memory before any cell is read).
pub const MAX_SHARED_STRINGS: u64 = 4 << 20;

/// The most cells of the sheet that is read, counting the empty ones between the first column
/// and each row's last value (a row is kept as that many cells).
pub const MAX_CELLS: u64 = 16 << 20;

/// The most text, in bytes, in the cells of the sheet that is read.
pub const MAX_TEXT_BYTES: u64 = 256 << 20;

/// XLS and ODS: the most cells of all sheets together, each sheet counted as calamine holds it,
/// the full rectangle from its first value to its last (and, for ODS, the rows as written
/// before repeats are expanded). calamine reads every sheet when the file is opened, each cell
/// in about 56 bytes (its value and its formula), so this keeps such a workbook under 250 MB.
pub const MAX_GRID_CELLS: u64 = 4 << 20;

/// A sheet's last row and column in Excel (and in calamine): 1,048,576 and 16,384 (`XFD`).
pub const LAST_ROW: u32 = 1_048_576;
pub const LAST_COLUMN: u32 = 16_384;

/// What to do when a limit is crossed, said once.
pub const EXPORT_AS_CSV: &str = "if the workbook is genuine, open it in Excel and save the sheet \
     as \"CSV UTF-8\", which has none of the workbook limits (see \"Workbook limits\" in \
     docs/input.md)";

/// Cells and text kept so far from the sheet that is read.
#[derive(Debug)]
pub struct Budget {
    sheet: String,
    cells: u64,
    text: u64,
}

impl Budget {
    pub fn new(sheet: &str) -> Budget {
        Budget {
            sheet: sheet.to_string(),
            cells: 0,
            text: 0,
        }
    }

    /// Takes `cells` more cells holding `text` more bytes, for the sheet's row `row` (0-based).
    pub fn take(&mut self, row: u32, cells: u64, text: u64) -> Result<(), Refusal> {
        self.cells += cells;
        self.text += text;
        let reached = grouped(u64::from(row) + 1);
        if self.cells > MAX_CELLS {
            return Err(Refusal::new(format!(
                "the sheet `{}` spans more than {} cells (reached at row {reached}), counting the \
                 empty cells left of each row's last value",
                self.sheet,
                grouped(MAX_CELLS)
            ))
            .hint(format!(
                "a value far to the right or far down makes every row that long: delete the \
                 columns and rows after the data in Excel; {EXPORT_AS_CSV}"
            )));
        }
        if self.text > MAX_TEXT_BYTES {
            return Err(Refusal::new(format!(
                "the sheet `{}` holds more than {} of text (reached at row {reached})",
                self.sheet,
                size(MAX_TEXT_BYTES)
            ))
            .hint(EXPORT_AS_CSV));
        }
        Ok(())
    }
}

/// The cells and text calamine would hold for the sheets of an XLS or ODS workbook, counted
/// before it reads them.
#[derive(Debug)]
pub struct Grids {
    format: &'static str,
    cells: u64,
    text: u64,
}

impl Grids {
    pub fn new(format: &'static str) -> Grids {
        Grids {
            format,
            cells: 0,
            text: 0,
        }
    }

    /// Takes `cells` more cells and `text` more bytes for sheet `sheet`.
    pub fn take(&mut self, sheet: &str, cells: u64, text: u64) -> Result<(), Refusal> {
        self.cells = self.cells.saturating_add(cells);
        self.text = self.text.saturating_add(text);
        let hint = format!(
            "the {} reader holds every sheet whole, as the rectangle from its first value to its \
             last: delete unused sheets, rows and columns, or save the workbook as \
             \"Excel Workbook (.xlsx)\", which is read cell by cell; {EXPORT_AS_CSV}",
            self.format
        );
        if self.cells > MAX_GRID_CELLS {
            return Err(Refusal::new(format!(
                "the {} workbook's sheets span more than {} cells (reached in sheet `{sheet}`)",
                self.format,
                grouped(MAX_GRID_CELLS)
            ))
            .hint(hint));
        }
        if self.text > MAX_TEXT_BYTES {
            return Err(Refusal::new(format!(
                "the {} workbook's sheets hold more than {} of text (reached in sheet `{sheet}`)",
                self.format,
                size(MAX_TEXT_BYTES)
            ))
            .hint(hint));
        }
        Ok(())
    }
}

/// A cell position outside the sheet, as read: a reference no spreadsheet application writes.
pub fn outside_the_sheet(sheet: &str, row: u32, column: u32) -> Option<Refusal> {
    let reference = format!("{}{}", column_name(column), u64::from(row) + 1);
    let past = if column >= LAST_COLUMN {
        format!(
            "past the last column a sheet can have ({})",
            column_name(LAST_COLUMN - 1)
        )
    } else if row >= LAST_ROW {
        format!(
            "past the last row a sheet can have ({})",
            grouped(u64::from(LAST_ROW))
        )
    } else {
        return None;
    };
    Some(
        Refusal::new(format!("cell {reference} of sheet `{sheet}` is {past}")).hint(
            "the file was not saved by a spreadsheet application, or is damaged: open it in \
             Excel and save it again, or export the sheet as \"CSV UTF-8\"",
        ),
    )
}

/// `0` → `A`, `25` → `Z`, `26` → `AA`, `16383` → `XFD`.
pub fn column_name(column: u32) -> String {
    let mut n = u64::from(column) + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = ((n - 1) % 26) as u8;
        letters.push(b'A' + rem);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).expect("ASCII letters")
}

/// `1234567` → `1,234,567`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// `268435456` → `256 MiB`, `4294967280` → `4.0 GiB`, `65536` → `64 KiB`.
pub fn size(bytes: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    for (unit, name) in UNITS {
        if bytes >= unit {
            return if bytes.is_multiple_of(unit) {
                format!("{} {name}", bytes / unit)
            } else {
                format!("{:.1} {name}", bytes as f64 / unit as f64)
            };
        }
    }
    format!("{bytes} bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_named_as_excel_names_them() {
        let names: Vec<String> = [0, 25, 26, 701, 702, 16_383, 321_272_405]
            .into_iter()
            .map(column_name)
            .collect();
        assert_eq!(names, ["A", "Z", "AA", "ZZ", "AAA", "XFD", "ZZZZZZ"]);
    }

    #[test]
    fn numbers_and_sizes_read_as_people_write_them() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(16_777_216), "16,777,216");
        assert_eq!(size(MAX_PART_BYTES), "256 MiB");
        assert_eq!(size(0xFFFF_FFF0), "4.0 GiB");
        assert_eq!(size(64 << 10), "64 KiB");
        assert_eq!(size(3 << 19), "1.5 MiB");
        assert_eq!(size(12), "12 bytes");
    }

    #[test]
    fn a_budget_refuses_the_cell_that_crosses_it() {
        let mut budget = Budget::new("People");
        budget.take(0, MAX_CELLS, 10).unwrap();
        let refused = budget.take(41, 1, 0).unwrap_err();
        assert!(
            refused.message.starts_with(
                "the sheet `People` spans more than 16,777,216 cells (reached at row 42)"
            ),
            "{}",
            refused.message
        );
    }
}
