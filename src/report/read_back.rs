//! An earlier report read back: `--only-rows-from` retries its failed rows, `rollback` undoes
//! its changes. The report is the only record of a run, so a broken one is refused with the
//! file and line named, never half-read.

use std::path::Path;

use super::unescape_cell;

/// A line of an earlier report, read back: where it is in the file, and the cells of the
/// columns asked for, in that order, unescaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportLine {
    /// The line in the file (the header is line 1), for messages.
    pub line: usize,
    pub cells: Vec<String>,
}

/// Reads back an earlier report (`--only-rows-from`, `rollback`), keeping `columns`. A name
/// ending in `?` is a column older reports do not have: its cells read as empty there. Errors
/// name the file, and the line when one is broken.
pub fn read_back(path: &Path, columns: &[&str]) -> Result<Vec<ReportLine>, String> {
    let shown = path.display();
    let unreadable = |e: csv::Error| format!("cannot read the report {shown}: {e}");
    let mut reader = csv::Reader::from_path(path).map_err(unreadable)?;
    let headers = reader.headers().map_err(unreadable)?.clone();
    let at = columns
        .iter()
        .map(|name| match name.strip_suffix('?') {
            Some(optional) => Ok(headers.iter().position(|h| h == optional)),
            None => match headers.iter().position(|h| h == *name) {
                Some(at) => Ok(Some(at)),
                None => Err(format!(
                    "{shown} is not a member-sync report: it has no `{name}` column"
                )),
            },
        })
        .collect::<Result<Vec<Option<usize>>, String>>()?;
    reader
        .records()
        .enumerate()
        .map(|(n, record)| {
            let line = n + 2;
            let record = record.map_err(|e| format!("{shown} line {line}: {e}"))?;
            let cells = at
                .iter()
                .map(|&i| unescape_cell(i.and_then(|i| record.get(i)).unwrap_or("")).to_string())
                .collect();
            Ok(ReportLine { line, cells })
        })
        .collect()
}
