//! Quotes that run away: a cell that opens with `"` and is never closed, or is closed only by
//! a stray quote lines later, swallows the rows after it.
//!
//! The csv crate reads such a file without complaint: a quote left open at the end of the file
//! ends the cell there, and a stray `"` anywhere later closes it. Row 901 of 1,000 with
//! `"Engineer Lead` and no closing quote becomes one 6,000-character job title holding 99
//! other people's rows, and those rows are in no report line. So every record that spans
//! several lines has its quotes read again here, the way the csv crate reads them, and a
//! quoted cell holding line breaks is refused when
//!
//! - its quote is never closed (it runs to the end of the file);
//! - at least two of the lines it takes in are shaped like rows of their own: as many cells
//!   as the record before it, and an email address (a note in paragraphs has commas, but
//!   rarely that many on two lines with an `@` on each);
//! - its closing quote is followed by more text in the same cell (`Bob "The Builder"`): no CSV
//!   writer closes a quote there, a stray quote does.
//!
//! A real line break (an address over two lines, a note in paragraphs) has none of these, and
//! reads. Only multi-line records are looked at, so a plain export costs nothing more.

use memchr::{memchr, memchr3};

use crate::ingest::Refusal;

/// How a quoted cell with line breaks ends, when that is a sign it ran away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ending {
    /// The file ends inside the quotes.
    Never,
    /// Closed, after taking in lines shaped like rows.
    AfterRows { closed_at: usize },
    /// Closed by a quote in the middle of a cell.
    InsideCell { closed_at: usize },
}

/// A quoted cell of a record that ran away: where it opened (a byte offset in the record's
/// text), which cell of the record it is (1-based), and how it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Runaway {
    pub opened_at: usize,
    pub cell: usize,
    pub ending: Ending,
}

impl Runaway {
    /// The refusal, with lines counted from `first_line`, the line of the record's first byte.
    pub(super) fn refusal(&self, record: &[u8], first_line: u64) -> Refusal {
        let line_at =
            |offset: usize| first_line + crate::ingest::count_newlines(&record[..offset]) as u64;
        let (opened, cell) = (line_at(self.opened_at), self.cell);
        let message = match self.ending {
            Ending::Never => format!(
                "line {opened}: the quote that opens cell {cell} is never closed, so lines \
                 {opened} to {} would read as one cell",
                line_at(record.len())
            ),
            Ending::AfterRows { closed_at } => format!(
                "line {opened}: the quote that opens cell {cell} is not closed on that line, so \
                 lines {opened} to {} would read as one cell (lines within it look like rows of \
                 their own)",
                line_at(closed_at)
            ),
            Ending::InsideCell { closed_at } => {
                let closed = line_at(closed_at);
                format!(
                    "line {opened}: the quote that opens cell {cell} is not closed on that line, \
                     so lines {opened} to {closed} would read as one cell (it closes in the \
                     middle of a cell on line {closed})"
                )
            }
        };
        Refusal::new(message).hint(format!(
            "add the missing closing quote on line {opened} (or remove the stray one) and run \
             again; a quote inside a quoted cell is written twice (\"\")"
        ))
    }
}

/// The first quoted cell of `record` (one record's text, without its line terminator) that
/// holds a line break and ran away, if any. `usual_width` is the number of cells of the record
/// before (0 for the first): a line taken in with that many cells looks like a row.
pub(super) fn runaway(record: &[u8], delimiter: u8, usual_width: usize) -> Option<Runaway> {
    let mut at = 0;
    let mut cell = 1;
    while at < record.len() {
        if record[at] == b'"' {
            let opened_at = at;
            let Some(closed_at) = closing_quote(record, at + 1) else {
                return Some(Runaway {
                    opened_at,
                    cell,
                    ending: Ending::Never,
                });
            };
            let inside = &record[opened_at + 1..closed_at];
            if memchr(b'\n', inside).is_some() || memchr(b'\r', inside).is_some() {
                let ending = ending(record, delimiter, usual_width, inside, closed_at)?;
                return Some(Runaway {
                    opened_at,
                    cell,
                    ending,
                });
            }
            at = closed_at + 1;
        }
        // The rest of the cell (after a closing quote, text is taken as it is, quotes too).
        match memchr3(delimiter, b'\n', b'\r', &record[at..]) {
            Some(n) if record[at + n] == delimiter => {
                at += n + 1;
                cell += 1;
            }
            _ => return None,
        }
    }
    None
}

/// The quote that closes a quoted cell whose text starts at `from` (`""` is a quote inside).
fn closing_quote(record: &[u8], mut from: usize) -> Option<usize> {
    loop {
        let quote = from + memchr(b'"', &record[from..])?;
        if record.get(quote + 1) == Some(&b'"') {
            from = quote + 2;
        } else {
            return Some(quote);
        }
    }
}

/// Whether a quoted cell with line breaks, closed at `closed_at`, ran away (`None`: it reads).
fn ending(
    record: &[u8],
    delimiter: u8,
    usual_width: usize,
    inside: &[u8],
    closed_at: usize,
) -> Option<Ending> {
    let looks_like_a_row = |line: &&[u8]| {
        line.iter().filter(|&&b| b == delimiter).count() + 1 >= usual_width
            && memchr(b'@', line).is_some()
    };
    let rows_taken_in = if usual_width >= 2 {
        inside
            .split(|&b| b == b'\n')
            .skip(1)
            .filter(looks_like_a_row)
            .count()
    } else {
        0
    };
    if rows_taken_in >= 2 {
        return Some(Ending::AfterRows { closed_at });
    }
    match record.get(closed_at + 1) {
        None | Some(b'\n' | b'\r' | b' ' | b'\t') => None,
        Some(&next) if next == delimiter => None,
        Some(_) => Some(Ending::InsideCell { closed_at }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ending_of(record: &str, usual_width: usize) -> Option<(usize, usize, Ending)> {
        runaway(record.as_bytes(), b',', usual_width).map(|r| (r.opened_at, r.cell, r.ending))
    }

    #[test]
    fn notes_in_paragraphs_read_whatever_their_commas() {
        let note = "a@x.io,\"Hiring, budgets, reports\nReports to: CEO, board, staff\nOk\",Ops";
        assert_eq!(ending_of(note, 3), None);
        assert_eq!(ending_of(note, 2), None);
    }

    #[test]
    fn real_line_breaks_read() {
        assert_eq!(
            ending_of("a@x.io,\"12 Main St,\nSpringfield, IL\",Ops", 3),
            None
        );
        assert_eq!(ending_of("a@x.io,\"one\ntwo\nthree\" ,Ops", 3), None);
        assert_eq!(ending_of("a@x.io,\"say \"\"hi\"\"\nthere\"", 2), None);
        assert_eq!(ending_of("a@x.io,x\"y,\"a\r\nb\"", 3), None);
    }

    #[test]
    fn a_quote_never_closed_is_found_in_its_cell() {
        assert_eq!(
            ending_of("a@x.io,Ann,\"Lead\nb@x.io,Bo,Dev", 3),
            Some((11, 3, Ending::Never))
        );
        // Quotes inside an unquoted cell are text; the quoted cell after them is the one.
        assert_eq!(ending_of("a\"b,\"\"\"x\ny", 2), Some((4, 2, Ending::Never)));
    }

    #[test]
    fn rows_taken_in_or_a_quote_closing_inside_a_cell_are_found() {
        let rows = "a@x.io,\"Lead\nb@x.io,Dev,Ops\nc@x.io,Dev,Ops\nd@x.io,\"Dev\",Ops";
        assert_eq!(
            ending_of(rows, 3),
            Some((7, 2, Ending::AfterRows { closed_at: 50 }))
        );
        // One line taken in is not enough: an address line has commas too.
        assert_eq!(ending_of("a@x.io,\"Lead\nb@x.io,Dev,Ops\",Ops", 3), None);
        assert_eq!(
            ending_of("a@x.io,\"Lead\nb@x.io,Bob \"The Builder\",Ops", 3),
            Some((7, 2, Ending::InsideCell { closed_at: 24 }))
        );
    }

    #[test]
    fn the_refusal_names_the_line_the_quote_opened_on() {
        let record = b"a@x.io,Ann,\"Lead\nb@x.io,Bo,Dev\nc@x.io,Cy,Ops";
        let refusal = runaway(record, b',', 3).unwrap().refusal(record, 902);
        assert_eq!(
            refusal.message,
            "line 902: the quote that opens cell 3 is never closed, so lines 902 to 904 would \
             read as one cell"
        );
        assert!(refusal.hint.unwrap().contains("on line 902"));
    }
}
