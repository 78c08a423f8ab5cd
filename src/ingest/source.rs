//! What was detected about a file, kept beside the rows so `validate` can show all of it (and
//! an error can show what was known before the file was refused).

use std::path::PathBuf;

use super::preset::Preset;
use super::sniff;

/// A row left out of the table, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedRow {
    pub line: u64,
    pub reason: String,
}

/// How a preset came to be used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PresetOrigin {
    /// None used.
    #[default]
    None,
    Detected,
    /// `--preset` or the mapping file's `preset`.
    Chosen,
}

/// What was detected about the file, for the user (`validate` prints all of it).
#[derive(Debug, Clone, Default)]
pub struct SourceInfo {
    /// `CSV`, `TSV`, `XLSX`, `XLS`, `XLSB`, `ODS`; empty until known.
    pub format: &'static str,
    pub encoding: Option<String>,
    pub delimiter: Option<u8>,
    pub sheet: Option<String>,
    pub header_line: Option<u64>,
    /// Cells of the header row, up to its last named one.
    pub header_cells: usize,
    /// Non-blank rows above the header (Entra's `version:v1.0`, report titles).
    pub rows_above_header: usize,
    pub preset: Option<&'static Preset>,
    pub preset_origin: PresetOrigin,
    pub mapping_file: Option<PathBuf>,
    pub skipped: Vec<SkippedRow>,
    /// Things worth knowing that are not errors.
    pub notes: Vec<String>,
}

impl SourceInfo {
    /// `XLSX, sheet `Users`` or `CSV, UTF-8 (BOM), delimiter `;``.
    pub fn format_line(&self) -> String {
        let mut parts = vec![if self.format.is_empty() {
            "unknown".to_string()
        } else {
            self.format.to_string()
        }];
        if let Some(sheet) = &self.sheet {
            parts.push(format!("sheet `{sheet}`"));
        }
        if let Some(encoding) = &self.encoding {
            parts.push(encoding.clone());
        }
        if let Some(delimiter) = self.delimiter {
            parts.push(format!("delimiter {}", sniff::delimiter_name(delimiter)));
        }
        parts.join(", ")
    }

    /// `line 2 (1 row above it skipped)`.
    pub fn header_line_text(&self) -> Option<String> {
        let line = self.header_line?;
        let word = if self.format.starts_with('X') || self.format == "ODS" {
            "sheet row"
        } else {
            "line"
        };
        Some(match self.rows_above_header {
            0 => format!("{word} {line}"),
            1 => format!("{word} {line} (1 row above it skipped)"),
            n => format!("{word} {line} ({n} rows above it skipped)"),
        })
    }

    /// `Okta user export (detected; --preset okta)`, or `none`.
    pub fn preset_text(&self) -> String {
        match (self.preset, self.preset_origin) {
            (Some(p), PresetOrigin::Detected) => {
                format!("{} (detected; --preset {})", p.name, p.id)
            }
            (Some(p), _) => format!("{} (--preset {})", p.name, p.id),
            (None, _) => "none (generic column names)".to_string(),
        }
    }
}
