//! The cells a workbook has, in the rows the rest of ingest reads.
//!
//! calamine's `worksheet_range` makes a dense grid from the first used cell to the last, so a
//! sheet with one value in A1 and one in XFD1048576 is a grid of 17 billion cells. Here only
//! the cells that exist are read, as the reader streams them: each row holds the cells up to
//! its last value (the empty ones before it kept, so positions stay the sheet's columns), rows
//! without values are not there at all, and every cell is counted against the [`Budget`].

use std::collections::BTreeMap;

use calamine::{Data, DataRef};

use super::super::Refusal;
use super::super::cells::Cells;
use super::super::csv_reader::RawRow;
use super::limits::{self, Budget};

/// Rows built from cells in the order a reader gives them.
#[derive(Debug)]
pub struct SheetRows {
    sheet: String,
    budget: Budget,
    rows: Vec<RawRow>,
    /// The row being filled: its 0-based number, cells, and the next column to fill.
    current: Option<(u32, Cells, u32)>,
    /// Every cell so far, once one came out of order (a row again, or a column to the left).
    unordered: Option<Vec<((u32, u32), String)>>,
    text: String,
}

impl SheetRows {
    pub fn new(sheet: &str) -> SheetRows {
        SheetRows {
            sheet: sheet.to_string(),
            budget: Budget::new(sheet),
            rows: Vec::new(),
            current: None,
            unordered: None,
            text: String::new(),
        }
    }

    /// A cell from a streaming reader (XLSX, XLSB).
    pub fn push_ref(&mut self, position: (u32, u32), value: &DataRef<'_>) -> Result<(), Refusal> {
        let mut text = std::mem::take(&mut self.text);
        text.clear();
        match value {
            DataRef::Empty => {}
            DataRef::SharedString(s) => text.push_str(s),
            DataRef::String(s) => text.push_str(s),
            other => text.push_str(&cell_text(&Data::from(other.clone()))),
        }
        let pushed = self.push(position, &text);
        self.text = text;
        pushed
    }

    /// A cell at `(row, column)`, 0-based; empty text adds nothing.
    pub fn push(&mut self, (row, column): (u32, u32), text: &str) -> Result<(), Refusal> {
        if let Some(refusal) = limits::outside_the_sheet(&self.sheet, row, column) {
            return Err(refusal);
        }
        if text.is_empty() {
            return Ok(());
        }
        if let Some(cells) = &mut self.unordered {
            self.budget.take(row, 1, text.len() as u64)?;
            cells.push(((row, column), text.to_string()));
            return Ok(());
        }
        let in_order = match &self.current {
            None => true,
            Some((current, _, next)) => row > *current || (row == *current && column >= *next),
        };
        if !in_order {
            self.go_unordered();
            return self.push((row, column), text);
        }
        if self
            .current
            .as_ref()
            .is_some_and(|(current, _, _)| row > *current)
        {
            self.finish_row();
        }
        let (_, cells, next) = self
            .current
            .get_or_insert_with(|| (row, Cells::default(), 0));
        let empty_before = column - *next;
        self.budget
            .take(row, u64::from(empty_before) + 1, text.len() as u64)?;
        for _ in 0..empty_before {
            cells.push("");
        }
        cells.push(text);
        *next = column + 1;
        Ok(())
    }

    /// How many rows are complete (a later row has started); none once cells came out of order.
    pub fn rows_done(&self) -> usize {
        self.rows.len()
    }

    /// The rows, in the sheet's order.
    pub fn finish(mut self) -> Result<Vec<RawRow>, Refusal> {
        match self.unordered.take() {
            None => {
                self.finish_row();
                Ok(self.rows)
            }
            Some(cells) => rows_of_unordered(&self.sheet, cells),
        }
    }

    fn finish_row(&mut self) {
        if let Some((row, cells, _)) = self.current.take() {
            self.rows.push(RawRow {
                line: u64::from(row) + 1,
                cells,
            });
        }
    }

    /// From now on every cell is kept with its position, and the rows are built at the end.
    fn go_unordered(&mut self) {
        self.finish_row();
        let mut cells = Vec::new();
        for row in self.rows.drain(..) {
            let number = (row.line - 1) as u32;
            for (column, text) in row.cells.iter().enumerate() {
                if !text.is_empty() {
                    cells.push(((number, column as u32), text.to_string()));
                }
            }
        }
        self.unordered = Some(cells);
    }
}

/// Rows from cells in any order; the last cell given at a position wins, as in calamine.
fn rows_of_unordered(
    sheet: &str,
    cells: Vec<((u32, u32), String)>,
) -> Result<Vec<RawRow>, Refusal> {
    let by_position: BTreeMap<(u32, u32), String> = cells.into_iter().collect();
    let mut rows = SheetRows::new(sheet);
    for (position, text) in &by_position {
        rows.push(*position, text)?;
    }
    rows.finish()
}

/// What Excel shows: `42` not `42.0`, dates as `2024-03-01`, errors as `#N/A`.
pub fn cell_text(cell: &Data) -> String {
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

    fn rows(cells: &[((u32, u32), &str)]) -> Vec<(u64, Vec<String>)> {
        let mut rows = SheetRows::new("S");
        for (position, text) in cells {
            rows.push(*position, text).unwrap();
        }
        rows.finish()
            .unwrap()
            .into_iter()
            .map(|r| (r.line, r.cells.to_strings()))
            .collect()
    }

    #[test]
    fn rows_hold_their_cells_up_to_the_last_value_at_the_sheet_positions() {
        assert_eq!(
            rows(&[((0, 1), "a"), ((0, 3), "b"), ((0, 4), ""), ((7, 0), "c")]),
            [
                (1, vec!["".into(), "a".into(), "".into(), "b".into()]),
                (8, vec!["c".to_string()]),
            ]
        );
    }

    #[test]
    fn cells_out_of_order_land_where_they_belong_and_the_last_one_wins() {
        assert_eq!(
            rows(&[((2, 0), "c"), ((0, 1), "a"), ((2, 0), "C"), ((0, 0), "z")]),
            [
                (1, vec!["z".to_string(), "a".into()]),
                (3, vec!["C".to_string()]),
            ]
        );
    }

    #[test]
    fn a_cell_outside_the_sheet_is_refused_by_its_reference() {
        let mut rows = SheetRows::new("People");
        let refused = rows.push((4, 321_272_405), "x").unwrap_err();
        assert_eq!(
            refused.message,
            "cell ZZZZZZ5 of sheet `People` is past the last column a sheet can have (XFD)"
        );
    }
}
