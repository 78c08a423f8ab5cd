//! [`Cells`]: one row's cells in one allocation.
//!
//! A 100,000-row export with a `String` per cell is 700,000 allocations before anything is
//! checked, and as many frees. Keeping a row's cells back to back in one string, with where
//! each ends (inline, for up to 16 cells), makes it one, and a third of the memory.

use std::fmt;

use smallvec::SmallVec;

/// The cells of a row, in order.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Cells {
    /// Every cell's text, back to back.
    text: String,
    /// Where each cell ends in `text`: inline up to 16 cells (the columns of most exports, and
    /// the mapped cells a record keeps), so a row is one allocation, its text.
    ends: SmallVec<[u32; 16]>,
}

impl Cells {
    /// Room for `cells` cells holding `bytes` bytes of text in all.
    pub fn with_capacity(cells: usize, bytes: usize) -> Cells {
        Cells {
            text: String::with_capacity(bytes),
            ends: SmallVec::with_capacity(cells),
        }
    }

    pub fn push(&mut self, cell: &str) {
        self.text.push_str(cell);
        let end = u32::try_from(self.text.len()).expect("a row of less than 4 GiB");
        self.ends.push(end);
    }

    /// The cell at `index`, `None` past the last one.
    pub fn get(&self, index: usize) -> Option<&str> {
        let end = *self.ends.get(index)? as usize;
        let start = index
            .checked_sub(1)
            .map_or(0, |before| self.ends[before] as usize);
        Some(&self.text[start..end])
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + DoubleEndedIterator {
        (0..self.ends.len()).map(|i| self.get(i).expect("in range"))
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The cells as owned strings, for the few places that keep them (the header row).
    pub fn to_strings(&self) -> Vec<String> {
        self.iter().map(str::to_string).collect()
    }
}

impl<S: AsRef<str>> FromIterator<S> for Cells {
    fn from_iter<I: IntoIterator<Item = S>>(cells: I) -> Cells {
        let mut row = Cells::default();
        for cell in cells {
            row.push(cell.as_ref());
        }
        row
    }
}

impl fmt::Debug for Cells {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_come_back_as_pushed_empty_ones_included() {
        let cells: Cells = ["a@x.io", "", "Ops", "é"].into_iter().collect();
        assert_eq!(cells.len(), 4);
        assert_eq!(cells.iter().collect::<Vec<_>>(), ["a@x.io", "", "Ops", "é"]);
        assert_eq!(cells.get(1), Some(""));
        assert_eq!(cells.get(3), Some("é"));
        assert_eq!(cells.get(4), None);
        assert_eq!(format!("{cells:?}"), r#"["a@x.io", "", "Ops", "é"]"#);
        assert!(Cells::default().is_empty());
    }
}
