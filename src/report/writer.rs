//! Writing the report file so that every line on disk is whole.
//!
//! The report is the run's undo data, and its readers (`rollback`, `--only-rows-from`) cannot
//! tell half a line from a broken file. A write can fail part-way: on a full disk the kernel
//! takes the bytes that fit and refuses the rest. So the writer keeps the length of what is on
//! disk and ends at a line break, and when a write fails it cuts the file back to that length
//! (`set_len`) before it returns the error: a line is in the file whole or not at all.
//!
//! Lines go straight to the file, one `write` each (no buffer in between), so a line reported
//! written is in the file, and a crash loses nothing already reported.

use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::{COLUMNS, ReportRow};
use crate::cell_safety::needs_escape;

/// Where report lines go: a file that can be cut back to a length.
pub trait ReportSink: Write {
    /// Cuts the file to `len` bytes, and writes from there on.
    fn cut_to(&mut self, len: u64) -> io::Result<()>;
}

impl ReportSink for File {
    fn cut_to(&mut self, len: u64) -> io::Result<()> {
        self.set_len(len)?;
        self.seek(SeekFrom::Start(len)).map(drop)
    }
}

/// A write that failed, and how many of the lines given are in the file whole.
#[derive(Debug)]
pub struct WriteFailure {
    pub error: io::Error,
    pub lines_kept: usize,
}

/// Writes report lines, each in the file as soon as it is written (lines of the plan, decided
/// before any request, many at a time: [`ReportWriter::write_rendered`]).
pub struct ReportWriter<S: ReportSink = File> {
    sink: S,
    path: PathBuf,
    /// The line being written, kept for the next one.
    line: Vec<u8>,
    /// Bytes in the file, ending at a line break.
    whole: u64,
}

impl ReportWriter {
    /// Creates the file (refusing to overwrite one that exists) and writes the header.
    pub fn create(path: &Path) -> io::Result<ReportWriter> {
        let file = crate::output_file::create_new(path)?;
        ReportWriter::start(file, path)
    }
}

impl<S: ReportSink> ReportWriter<S> {
    /// Writes the header to `sink`, the report file at `path`.
    pub fn start(sink: S, path: &Path) -> io::Result<ReportWriter<S>> {
        let mut writer = ReportWriter {
            sink,
            path: path.to_path_buf(),
            line: Vec::new(),
            whole: 0,
        };
        render_line(&mut writer.line, COLUMNS);
        let header = std::mem::take(&mut writer.line);
        writer
            .append(&header, &[header.len()])
            .map_err(|f| f.error)?;
        writer.line = header;
        Ok(writer)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes in the file: every line whole.
    pub fn bytes_whole(&self) -> u64 {
        self.whole
    }

    /// Writes a line to the file: all of it, or (the error) none of it.
    pub fn write(&mut self, row: &ReportRow<'_>) -> io::Result<()> {
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        render_line(&mut line, row.cells().iter().map(|cell| &**cell));
        let written = self.append(&line, &[line.len()]);
        self.line = line;
        written.map_err(|f| f.error)
    }

    /// Writes lines rendered with [`RenderedLines`], after every line written before them.
    /// For the lines decided before any request (the plan): 100,000 of them cost a few writes
    /// instead of 100,000. When the write fails, the lines before the one it broke stay.
    pub fn write_rendered(&mut self, lines: &RenderedLines) -> Result<(), WriteFailure> {
        self.append(&lines.bytes, &lines.ends)
    }

    /// Writes `bytes`, whose lines end at the offsets `ends`; on a failure, cuts the file
    /// back to the end of the last line written whole.
    fn append(&mut self, bytes: &[u8], ends: &[usize]) -> Result<(), WriteFailure> {
        let mut written = 0;
        while written < bytes.len() {
            match self.sink.write(&bytes[written..]) {
                Ok(0) => return Err(self.cut_back(io::ErrorKind::WriteZero.into(), written, ends)),
                Ok(n) => written += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.cut_back(e, written, ends)),
            }
        }
        self.whole += bytes.len() as u64;
        Ok(())
    }

    fn cut_back(&mut self, error: io::Error, written: usize, ends: &[usize]) -> WriteFailure {
        let lines_kept = ends.partition_point(|&end| end <= written);
        let kept_bytes = lines_kept.checked_sub(1).map_or(0, |last| ends[last]);
        self.whole += kept_bytes as u64;
        let error = match self.sink.cut_to(self.whole) {
            Ok(()) => error,
            Err(cut) => io::Error::new(
                error.kind(),
                format!("{error}, and the line it broke could not be cut off: {cut}"),
            ),
        };
        WriteFailure { error, lines_kept }
    }
}

/// Report lines rendered in memory, for [`ReportWriter::write_rendered`]: the rows of a
/// large plan are rendered on two threads, then written in order.
pub struct RenderedLines {
    bytes: Vec<u8>,
    /// Where each line ends in `bytes`.
    ends: Vec<usize>,
}

impl RenderedLines {
    pub fn with_capacity(rows: usize) -> RenderedLines {
        RenderedLines {
            bytes: Vec::with_capacity(rows * 64),
            ends: Vec::with_capacity(rows),
        }
    }

    pub fn push(&mut self, row: &ReportRow<'_>) {
        render_line(&mut self.bytes, row.cells().iter().map(|cell| &**cell));
        self.ends.push(self.bytes.len());
    }
}

/// Appends one report line: each cell made safe to open in a spreadsheet ([`super::escape_cell`]),
/// quoted only when it must be (a comma, a quote or a line break inside, quotes doubled), as
/// the `csv` crate writes and reads it; `\n` at the end. Every line of a report, the plan's
/// 100,000 as the ones written one by one, goes through here: no allocation, one pass.
pub(super) fn render_line<'c>(line: &mut Vec<u8>, cells: impl IntoIterator<Item = &'c str>) {
    for (i, cell) in cells.into_iter().enumerate() {
        if i > 0 {
            line.push(b',');
        }
        let bytes = cell.as_bytes();
        let formula = needs_escape(cell);
        let quoted = bytes
            .iter()
            .any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n'));
        if quoted {
            line.push(b'"');
        }
        if formula {
            line.push(b'\'');
        }
        if quoted {
            for (j, part) in cell.split('"').enumerate() {
                if j > 0 {
                    line.extend_from_slice(b"\"\"");
                }
                line.extend_from_slice(part.as_bytes());
            }
            line.push(b'"');
        } else {
            line.extend_from_slice(bytes);
        }
    }
    line.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Outcome;

    /// A disk that holds `room` bytes: a write takes what fits, then fails as a full disk does.
    struct SmallDisk {
        bytes: Vec<u8>,
        at: usize,
        room: usize,
    }

    impl SmallDisk {
        fn new(room: usize) -> SmallDisk {
            SmallDisk {
                bytes: Vec::new(),
                at: 0,
                room,
            }
        }
    }

    impl Write for SmallDisk {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let n = buf.len().min(self.room.saturating_sub(self.at));
            if n == 0 && !buf.is_empty() {
                return Err(io::Error::from(io::ErrorKind::StorageFull));
            }
            self.bytes.truncate(self.at);
            self.bytes.extend_from_slice(&buf[..n]);
            self.at += n;
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl ReportSink for SmallDisk {
        fn cut_to(&mut self, len: u64) -> io::Result<()> {
            self.bytes.truncate(len as usize);
            self.at = len as usize;
            Ok(())
        }
    }

    fn row(n: usize) -> ReportRow<'static> {
        ReportRow {
            line: crate::plan::LineKey::Row(n),
            email: format!("person{n}@example.com").into(),
            outcome: Some(Outcome::Updated),
            error: "a cell, with a comma\nand a line break".into(),
            ..Default::default()
        }
    }

    /// The records of a report as the csv crate reads them; panics on a torn line.
    fn records(bytes: &[u8]) -> Vec<csv::StringRecord> {
        assert!(
            bytes.ends_with(b"\n"),
            "ends mid-line: {:?}",
            String::from_utf8_lossy(bytes)
        );
        csv::Reader::from_reader(bytes)
            .records()
            .map(|r| r.expect("a whole line"))
            .collect()
    }

    #[test]
    fn a_line_that_does_not_fit_is_not_in_the_file() {
        // From the header's size (126 bytes, its 16 columns) on.
        for room in 126..420 {
            let mut writer = ReportWriter::start(SmallDisk::new(room), Path::new("r.csv")).unwrap();
            let mut written = 0;
            let error = loop {
                match writer.write(&row(written + 1)) {
                    Ok(()) => written += 1,
                    Err(e) => break e,
                }
            };
            assert_eq!(error.kind(), io::ErrorKind::StorageFull);
            let bytes = &writer.sink.bytes;
            assert_eq!(bytes.len() as u64, writer.bytes_whole());
            assert_eq!(records(bytes).len(), written, "room {room}");
        }
    }

    #[test]
    fn rendered_lines_are_kept_up_to_the_one_a_failure_broke() {
        for room in 100..600 {
            let Ok(mut writer) = ReportWriter::start(SmallDisk::new(room), Path::new("r.csv"))
            else {
                continue;
            };
            let mut lines = RenderedLines::with_capacity(8);
            for n in 1..=8 {
                lines.push(&row(n));
            }
            let failure = writer
                .write_rendered(&lines)
                .expect_err("8 lines do not fit");
            let bytes = &writer.sink.bytes;
            let read = records(bytes);
            assert_eq!(read.len(), failure.lines_kept, "room {room}");
            for (n, record) in read.iter().enumerate() {
                assert_eq!(record[0], (n + 1).to_string());
            }
        }
    }
}
