//! Ingest: turn an export file into a [`Table`] of raw cells with each column mapped to a
//! Tallyfy field.
//!
//! Everything format-specific (encodings, delimiters, header detection, aliases) stops here:
//! the rest of the pipeline sees the same `Table` whatever produced the file. Values are kept
//! as the file spelled them; interpreting them is validation's job.

//!
//! The stages are separate functions so later formats slot in without touching the others:
//! bytes → text ([`decode`]), text → rows ([`csv_reader`]), header row → columns
//! ([`header`]), rows → [`Table`] (here).

pub mod csv_reader;
pub mod decode;
pub mod header;

use std::path::{Path, PathBuf};

use crate::fields::Field;

/// What a mapped column feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// The member's email: a match key.
    Email,
    /// The member's Tallyfy id: a match key that wins over email.
    UserId,
    /// A profile field.
    Field(Field),
}

/// A column of the input that maps to a [`Target`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedColumn {
    /// The header as written in the file (for messages and reports).
    pub header: String,
    /// Zero-based position in each record.
    pub index: usize,
    pub target: Target,
}

/// One data row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// 1-based data row number (the header is row 0): the `row` column of the report.
    pub row: usize,
    /// 1-based line in the file where the record starts, for messages.
    pub line: u64,
    pub cells: Vec<String>,
}

impl Record {
    pub fn cell(&self, index: usize) -> &str {
        self.cells.get(index).map(String::as_str).unwrap_or("")
    }
}

/// A loaded export.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub columns: Vec<MappedColumn>,
    /// Headers that map to nothing, in file order. Never echoed with their values.
    pub unknown_columns: Vec<String>,
    pub records: Vec<Record>,
}

impl Table {
    pub fn column(&self, target: Target) -> Option<&MappedColumn> {
        self.columns.iter().find(|c| c.target == target)
    }
}

/// Why a file cannot be used at all.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Unusable { path: PathBuf, message: String },
}

/// How to read a file. Empty today; encodings, delimiters, header-row detection and presets
/// arrive here, so callers already build it with `LoadOptions::default()`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoadOptions {}

/// Reads and maps an export file.
pub fn load(path: &Path) -> Result<Table, IngestError> {
    load_with(path, &LoadOptions::default())
}

/// Reads and maps an export file with explicit options.
pub fn load_with(path: &Path, options: &LoadOptions) -> Result<Table, IngestError> {
    let bytes = std::fs::read(path).map_err(|source| IngestError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    load_bytes_with(&bytes, path, options)
}

/// Maps an export already in memory; `source_name` stands for the path in messages.
pub fn load_from_bytes(bytes: &[u8], source_name: &str) -> Result<Table, IngestError> {
    load_bytes_with(bytes, Path::new(source_name), &LoadOptions::default())
}

fn load_bytes_with(bytes: &[u8], path: &Path, options: &LoadOptions) -> Result<Table, IngestError> {
    let LoadOptions {} = options;
    let unusable = |message: String| IngestError::Unusable {
        path: path.to_path_buf(),
        message,
    };
    let text = decode::decode(bytes).map_err(unusable)?;
    let rows = csv_reader::read_rows(text).map_err(unusable)?;
    table_from_rows(rows).map_err(unusable)
}

/// The first row is the header; the rest are records.
///
/// Rows whose cells are all blank (the empty rows Excel leaves at the end, or a `,,,` line)
/// are dropped and not counted: `row` numbers the member rows only, and `line` still points
/// into the file.
fn table_from_rows(rows: Vec<csv_reader::RawRow>) -> Result<Table, String> {
    let mut rows = rows.into_iter().filter(|r| !r.is_blank());
    let Some(header_row) = rows.next() else {
        return Err("the file is empty: expected a header row".to_string());
    };
    let header::HeaderMap {
        columns,
        unknown_columns,
    } = header::map_headers(&header_row.cells)?;
    let records = rows
        .enumerate()
        .map(|(i, raw)| Record {
            row: i + 1,
            line: raw.line,
            cells: raw.cells,
        })
        .collect();
    Ok(Table {
        columns,
        unknown_columns,
        records,
    })
}

#[cfg(test)]
mod tests;
