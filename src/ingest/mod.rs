//! Ingest: turn an export file into a [`Table`] of raw cells with each column mapped to a
//! Tallyfy field.
//!
//! Everything format-specific (encodings, delimiters, header detection, aliases) stops here:
//! the rest of the pipeline sees the same `Table` whatever produced the file. Values are kept
//! as the file spelled them; interpreting them is validation's job.

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

/// Reads and maps an export file.
pub fn load(path: &Path) -> Result<Table, IngestError> {
    let _ = path;
    todo!("ingest::load")
}
