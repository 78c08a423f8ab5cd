//! Text → rows of cells, with the csv crate.
//!
//! This layer knows nothing about headers: it yields every physical record with the line it
//! starts on, one at a time, so header detection can look at the first rows before anything is
//! mapped and the rest can be mapped as they stream by (only mapped cells are ever kept). Rows
//! may be short or long (`flexible`): a ragged export is still readable, and a missing cell
//! reads as empty. The delimiter comes from [`super::sniff`]. A quoted cell that runs away
//! over the rows after it is refused here (`quotes`), with the line its quote opened on.

mod quotes;

use super::Refusal;

/// One record as the file holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRow {
    /// 1-based line where the record starts.
    pub line: u64,
    pub cells: super::Cells,
}

impl RawRow {
    /// True when every cell is empty or white space (NBSP included): Excel's trailing rows.
    pub fn is_blank(&self) -> bool {
        self.cells.iter().all(crate::blank::is_blank)
    }
}

/// Reads every record of comma-separated text at once (for tests and small inputs).
pub fn read_rows(text: &str) -> Result<Vec<RawRow>, Refusal> {
    TextRows::new(text, b',').collect()
}

/// The records of delimited text, one at a time. Lines that are entirely empty are skipped by
/// the csv crate and produce no record at all.
///
/// Line numbers: the csv crate's own `Position::line()` lags by one after a CRLF (it finishes
/// a record on the `\r` and consumes the `\n` with the next one), so text with a `\r` anywhere
/// has its lines counted here from each record's byte offset. Text without one (most exports)
/// takes the csv crate's count, plus the blank lines it skipped before the record (its
/// position is where it started reading, blank lines included): no second pass over the text,
/// which took about 2 ms per 100,000 records.
pub struct TextRows<'a> {
    reader: csv::Reader<&'a [u8]>,
    text: &'a [u8],
    delimiter: u8,
    lines: Lines<'a>,
    record: csv::StringRecord,
    /// Cells of the record before: lines a quoted cell takes in with as many look like rows.
    last_width: usize,
    failed: bool,
}

impl<'a> TextRows<'a> {
    pub fn new(text: &'a str, delimiter: u8) -> TextRows<'a> {
        TextRows {
            reader: csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .delimiter(delimiter)
                .from_reader(text.as_bytes()),
            text: text.as_bytes(),
            delimiter,
            lines: match memchr::memchr(b'\r', text.as_bytes()) {
                Some(_) => Lines::Counted(LineCounter::new(text.as_bytes())),
                None => Lines::FromCsv(text.as_bytes()),
            },
            record: csv::StringRecord::new(),
            last_width: 0,
            failed: false,
        }
    }

    /// The text of the record just read, without the blank lines before it or its line
    /// terminator, when it holds a line break (a quoted cell spans lines); `None` otherwise.
    fn multi_line_text(&self, start: u64) -> Option<&'a [u8]> {
        let (start, end) = (start as usize, self.reader.position().byte() as usize);
        let text = self.text.get(start..end)?;
        let is_break = |b: &u8| matches!(b, b'\r' | b'\n');
        let first = text.iter().position(|b| !is_break(b))?;
        let last = text.iter().rposition(|b| !is_break(b))?;
        let text = &text[first..=last];
        memchr::memchr2(b'\n', b'\r', text).map(|_| text)
    }
}

impl Iterator for TextRows<'_> {
    type Item = Result<RawRow, Refusal>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match self.reader.read_record(&mut self.record) {
            Ok(false) => None,
            Ok(true) => {
                let (line, start) = self
                    .record
                    .position()
                    .map_or((0, 0), |p| (self.lines.line_of_record(p), p.byte()));
                if let Some(text) = self.multi_line_text(start)
                    && let Some(runaway) = quotes::runaway(text, self.delimiter, self.last_width)
                {
                    self.failed = true;
                    return Some(Err(runaway.refusal(text, line)));
                }
                self.last_width = self.record.len();
                Some(Ok(self.raw_row(line)))
            }
            Err(err) => {
                self.failed = true;
                let line = err
                    .position()
                    .map_or(String::new(), |p| format!(" at line {}", p.line()));
                Some(Err(Refusal::new(format!(
                    "cannot read the CSV{line}: {err}"
                ))))
            }
        }
    }
}

impl TextRows<'_> {
    /// The record just read, as a row starting on `line`.
    fn raw_row(&self, line: u64) -> RawRow {
        RawRow {
            line,
            cells: {
                let mut cells =
                    super::Cells::with_capacity(self.record.len(), self.record.as_slice().len());
                for cell in &self.record {
                    cells.push(cell);
                }
                cells
            },
        }
    }
}

/// Where a record's line number comes from (see [`TextRows`]).
enum Lines<'a> {
    /// Text with a `\r`: counted from offsets.
    Counted(LineCounter<'a>),
    /// Text without one: the csv crate's line, after the blank lines it skipped.
    FromCsv(&'a [u8]),
}

impl Lines<'_> {
    fn line_of_record(&mut self, at: &csv::Position) -> u64 {
        match self {
            Lines::Counted(counter) => counter.line_of_record_at(at.byte()),
            Lines::FromCsv(bytes) => {
                let start = usize::try_from(at.byte()).unwrap_or(usize::MAX);
                let blank = bytes
                    .get(start..)
                    .map_or(0, |rest| rest.iter().take_while(|&&b| b == b'\n').count());
                at.line() + blank as u64
            }
        }
    }
}

/// Turns byte offsets (visited in increasing order) into 1-based line numbers.
struct LineCounter<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        LineCounter {
            bytes,
            offset: 0,
            line: 1,
        }
    }

    /// The line of the first byte at or after `start` that is not a line terminator (a record
    /// never starts with one: a quoted cell starts with `"`).
    fn line_of_record_at(&mut self, start: u64) -> u64 {
        let mut start = usize::try_from(start)
            .unwrap_or(usize::MAX)
            .min(self.bytes.len());
        while start < self.bytes.len() && matches!(self.bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        if start > self.offset {
            self.line += super::count_newlines(&self.bytes[self.offset..start]) as u64;
            self.offset = start;
        }
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(rows: &[RawRow]) -> Vec<Vec<&str>> {
        rows.iter().map(|r| r.cells.iter().collect()).collect()
    }

    #[test]
    fn crlf_quoted_newlines_and_no_final_newline() {
        let rows = read_rows("email,team\r\na@x.io,\"Sales\nEMEA\"\r\nb@x.io,Ops").unwrap();
        assert_eq!(
            cells(&rows),
            [
                vec!["email", "team"],
                vec!["a@x.io", "Sales\nEMEA"],
                vec!["b@x.io", "Ops"]
            ]
        );
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [1, 2, 4]);
    }

    #[test]
    fn line_numbers_skip_empty_lines_and_follow_lf_and_crlf() {
        let rows = read_rows("a\n\nb\r\n\r\nc\n\"d\r\nd\"\ne").unwrap();
        assert_eq!(
            rows.iter().map(|r| r.line).collect::<Vec<_>>(),
            [1, 3, 5, 6, 8]
        );
    }

    /// Both ways of numbering lines, record by record, on `text`.
    fn lines_both_ways(text: &str) -> Vec<(u64, u64)> {
        let mut counter = LineCounter::new(text.as_bytes());
        let mut from_csv = Lines::FromCsv(text.as_bytes());
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut record = csv::StringRecord::new();
        let mut lines = Vec::new();
        while reader.read_record(&mut record).unwrap() {
            let position = record.position().unwrap();
            lines.push((
                from_csv.line_of_record(position),
                counter.line_of_record_at(position.byte()),
            ));
        }
        lines
    }

    #[test]
    fn the_real_exports_without_carriage_returns_number_their_lines_the_same_both_ways() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/real-world");
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for path in entries.filter_map(|e| Some(e.ok()?.path())) {
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue; // not UTF-8: decoded first in real use, and covered by the property
            };
            if text.contains('\r') {
                continue;
            }
            for (from_csv, counted) in lines_both_ways(&text) {
                assert_eq!(from_csv, counted, "{}", path.display());
            }
        }
    }

    proptest::proptest! {
        /// Without a `\r`, the csv crate's line numbers are the ones counted from offsets:
        /// blank lines, quoted line feeds, stray quotes and all.
        #[test]
        fn without_carriage_returns_the_csv_crates_lines_are_exact(
            text in "[a,\" \n]{0,60}"
        ) {
            for (from_csv, counted) in lines_both_ways(&text) {
                proptest::prop_assert_eq!(from_csv, counted);
            }
        }
    }

    #[test]
    fn a_runaway_quote_is_refused_with_its_line_after_blank_lines_and_crlf() {
        let text = "email,team\r\n\r\na@x.io,Ops\r\nb@x.io,\"Sales\r\nc@x.io,Ops\r\n";
        let rows: Vec<_> = TextRows::new(text, b',').collect();
        assert_eq!(rows.len(), 3, "two rows, then the refusal, then nothing");
        let refusal = rows[2].clone().unwrap_err();
        assert_eq!(
            refusal.message,
            "line 4: the quote that opens cell 2 is never closed, so lines 4 to 5 would read \
             as one cell"
        );
        // Without a carriage return, the csv crate's line numbers are used: the same line.
        let lf = text.replace('\r', "");
        let refused = read_rows(&lf).unwrap_err();
        assert!(
            refused.message.starts_with("line 4: "),
            "{}",
            refused.message
        );
    }

    proptest::proptest! {
        /// What a CSV writer writes is never taken for a runaway quote: cells with quotes,
        /// delimiters and line breaks of every kind read back as written.
        #[test]
        fn written_csv_reads_back_whatever_its_cells_hold(
            rows in proptest::collection::vec(
                proptest::collection::vec("[a-z ,;\"\n\r]{0,12}", 3),
                1..8,
            )
        ) {
            let mut writer = csv::Writer::from_writer(Vec::new());
            writer.write_record(["email", "team", "notes"]).unwrap();
            for row in &rows {
                writer.write_record(row).unwrap();
            }
            let text = String::from_utf8(writer.into_inner().unwrap()).unwrap();
            let read = read_rows(&text);
            proptest::prop_assert!(read.is_ok(), "{:?} for {text:?}", read);
            let read: Vec<Vec<String>> = read
                .unwrap()
                .iter()
                .skip(1)
                .map(|r| r.cells.iter().map(str::to_string).collect())
                .collect();
            proptest::prop_assert_eq!(read, rows);
        }
    }

    #[test]
    fn ragged_rows_are_read() {
        let rows = read_rows("a,b,c\n1\n1,2,3,4\n").unwrap();
        assert_eq!(
            cells(&rows),
            [vec!["a", "b", "c"], vec!["1"], vec!["1", "2", "3", "4"]]
        );
    }

    #[test]
    fn other_delimiters_and_quotes() {
        let rows: Vec<RawRow> = TextRows::new("a;\"b;c\"\n1;2\n", b';')
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(cells(&rows), [vec!["a", "b;c"], vec!["1", "2"]]);
    }

    #[test]
    fn blank_rows_are_recognized() {
        let rows = read_rows("a,b\n, \u{a0}\n").unwrap();
        assert!(!rows[0].is_blank());
        assert!(rows[1].is_blank());
    }
}
