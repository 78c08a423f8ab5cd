//! Ingest: turn an export file into a [`Table`] of raw cells with each column mapped to a
//! Tallyfy field.
//!
//! Everything format-specific (workbooks, encodings, delimiters, where the header is,
//! presets, the mapping file) stops here: the rest of the pipeline sees the same `Table`
//! whatever produced the file. Values are kept as the file spelled them; interpreting them is
//! validation's job. Only mapped cells are kept at all: a column that maps to nothing (a
//! password, a salary) is dropped as the rows stream by, so no later stage can echo it.
//!
//! The stages are separate modules, run in order by [`load`](self::load_with): bytes →
//! workbook rows ([`xlsx`]) or text ([`decode`]) → delimiter ([`sniff`]) → rows
//! ([`csv_reader`]) → header row and columns ([`header`], [`preset`], [`mapping`]) → records.
//! When a file cannot be used, the error carries what was detected up to that point.

mod cells;
pub mod csv_reader;
pub mod decode;
pub mod header;
mod load;
pub mod mapping;
pub mod preset;
pub mod sniff;
mod source;
pub mod xlsx;

use std::path::{Path, PathBuf};

use crate::blank::BlankPolicies;
use crate::fields::Field;
use crate::fields::country::CountryIds;
use crate::fields::timezone::Aliases;
use crate::file_bytes::{FileBytes, input_name};
use crate::validate::employment::{EmploymentRules, Reading};
use crate::validate::groups::GroupSeparator;

pub use cells::Cells;
pub use mapping::Mapping;
pub use preset::Preset;
pub use source::{PresetOrigin, SkippedRow, SourceInfo};

/// What a mapped column feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// The member's email: a match key.
    Email,
    /// The member's Tallyfy id: a match key that wins over email.
    UserId,
    /// A profile field.
    Field(Field),
    /// The member's country as the export writes it (name, alpha-2 or alpha-3): becomes
    /// `country_id` through the mapping's `[countries]` table, and picks among time zones.
    Country,
    /// A full name, used only to fill empty first and last names.
    DisplayName,
    /// Whether the person is still employed (`Status`, `Worker Status`, `accountEnabled`):
    /// read by `validate::employment`, never sent.
    Status,
    /// The first day of work (`Hire Date`, `Start Date`): holds an invite back until near it.
    StartDate,
    /// The last day of work (`Termination Date`, `Last Day`): a leaver only after it.
    EndDate,
    /// Names of groups the person belongs to (`--groups-from`, the mapping file's `groups`):
    /// every such column contributes (none is a fallback), read by `validate::groups`. A column
    /// may feed a profile field too: it is then mapped twice, sharing its cell.
    Groups,
}

/// Where a mapped column's values come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A column of the file (zero-based position).
    Column(usize),
    /// A mapping file `[constants]` value, used where the row has no value of its own.
    Constant(String),
}

/// A column of the input that maps to a [`Target`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedColumn {
    /// The header as written in the file (for messages and reports).
    pub header: String,
    /// Position of the column's cell in each [`Record`].
    pub index: usize,
    pub source: Source,
    pub target: Target,
    /// 0 for the target's main column; 1, 2... for fallbacks tried in order when it is blank.
    pub rank: u8,
}

impl MappedColumn {
    /// This column's cell in a record, its spreadsheet escape undone (an `export` reads back
    /// as it was written: `crate::cell_safety`).
    pub fn cell<'a>(&'a self, record: &'a Record) -> &'a str {
        match &self.source {
            Source::Constant(value) => value,
            Source::Column(_) => crate::cell_safety::unescape_cell(record.cell(self.index)),
        }
    }

    /// The 1-based column of the file, for messages (`None` for a constant).
    pub fn column_number(&self) -> Option<usize> {
        match self.source {
            Source::Column(position) => Some(position + 1),
            Source::Constant(_) => None,
        }
    }
}

/// One data row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// 1-based data row number (rows skipped as blank, example or repeated header are not
    /// counted): the `row` column of the report.
    pub row: usize,
    /// 1-based line in the file where the record starts (the sheet's row in a workbook).
    pub line: u64,
    /// The mapped cells, in the order of [`MappedColumn::index`].
    pub cells: Cells,
    /// How many cells the row of a text file has, up to its last non-empty one, when that is
    /// more than its header has: an unquoted delimiter shifted its cells, so validation makes
    /// the row invalid ([`Table::overflow_problem`]). `None` for every other row.
    pub overflow: Option<u32>,
}

impl Record {
    pub fn cell(&self, index: usize) -> &str {
        self.cells.get(index).unwrap_or("")
    }
}

/// How cells are read beyond their column: blank policies, the country and time zone tables.
/// Defaults unless a mapping file says otherwise.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CellRules {
    pub blank: BlankPolicies,
    pub countries: CountryIds,
    pub timezones: Aliases,
    /// Status words and the date order a mapping file adds.
    pub employment: EmploymentRules,
    /// Where group cells are cut into names (`--groups-separator`).
    pub group_separator: GroupSeparator,
}

/// A loaded export.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub columns: Vec<MappedColumn>,
    /// Headers that map to nothing, in file order. Never echoed with their values.
    pub unknown_columns: Vec<String>,
    pub records: Vec<Record>,
    pub source: SourceInfo,
    pub rules: CellRules,
}

impl Table {
    /// The main column of a target.
    pub fn column(&self, target: Target) -> Option<&MappedColumn> {
        self.columns
            .iter()
            .filter(|c| c.target == target)
            .min_by_key(|c| c.rank)
    }

    /// The cell a record gives a target: its main column's, or the first non-blank fallback's
    /// (`mail` blank → `userPrincipalName`). `None` when no column feeds the target.
    pub fn pick<'a>(
        &'a self,
        record: &'a Record,
        target: Target,
    ) -> Option<(&'a MappedColumn, &'a str)> {
        pick_among(self.columns.iter().filter(|c| c.target == target), record)
    }

    /// The columns feeding a target, for [`pick_among`] row after row.
    pub fn columns_of(&self, target: Target) -> Vec<&MappedColumn> {
        self.columns.iter().filter(|c| c.target == target).collect()
    }

    /// Why a row wider than the header cannot be read (see [`Record::overflow`]):
    /// `row 1 (line 2) has 4 cells, the header 3: an unquoted comma?`.
    pub fn overflow_problem(&self, record: &Record) -> Option<String> {
        let cells = record.overflow?;
        let delimiter = self
            .source
            .delimiter
            .map_or("comma".into(), sniff::delimiter_word);
        Some(format!(
            "row {} (line {}) has {cells} cells, the header {}: an unquoted {delimiter}?",
            record.row, record.line, self.source.header_cells
        ))
    }

    /// One line per mapped column, for people: `column 2 `Work Email` → email`.
    pub fn describe_columns(&self) -> Vec<String> {
        self.columns
            .iter()
            .map(|column| {
                let mut about = Vec::new();
                if let Some(main) = self.column(column.target)
                    && column.rank > 0
                {
                    about.push(format!("when `{}` is blank", main.header));
                }
                match column.target {
                    Target::DisplayName => about.push("fills empty first and last names".into()),
                    Target::Country => {
                        about.push("country_id through [countries]; picks time zones".into())
                    }
                    Target::Status => about.push(status_about(&column.header)),
                    Target::StartDate | Target::EndDate => {
                        about.push("for joiners and leavers; never sent".into())
                    }
                    Target::Groups => about.push(format!(
                        "group names, {}; blank keeps the person's groups",
                        self.rules.group_separator.describe()
                    )),
                    _ => {}
                }
                let about = if about.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", about.join("; "))
                };
                let what = header::target_name(column.target);
                match (&column.source, column.column_number()) {
                    (Source::Constant(value), _) => {
                        format!("{} = {value:?} → {what}{about}", column.header)
                    }
                    (_, Some(n)) => format!("column {n} `{}` → {what}{about}", column.header),
                    (_, None) => format!("`{}` → {what}{about}", column.header),
                }
            })
            .collect()
    }
}

/// What a status column says, for [`Table::describe_columns`].
fn status_about(header: &str) -> String {
    use crate::validate::employment::Vocabulary;
    let words = match Vocabulary::of_header(header) {
        Vocabulary::States => "Active, Terminated, ...",
        Vocabulary::Enabled => "true = employed, false = left",
        Vocabulary::Blocked => "Yes = left, No = employed",
    };
    format!("employment status: {words}; for joiners and leavers, never sent")
}

/// [`Table::pick`] among a target's columns found once ([`Table::columns_of`]).
pub fn pick_among<'a>(
    columns: impl IntoIterator<Item = &'a MappedColumn>,
    record: &'a Record,
) -> Option<(&'a MappedColumn, &'a str)> {
    // Called for every target of every row: no allocation, one pass over the columns.
    let mut main: Option<&MappedColumn> = None;
    let mut filled: Option<(&MappedColumn, &str)> = None;
    for column in columns {
        if main.is_none_or(|m| column.rank < m.rank) {
            main = Some(column);
        }
        let cell = column.cell(record);
        if !crate::blank::is_blank(cell) && filled.is_none_or(|(f, _)| column.rank < f.rank) {
            filled = Some((column, cell));
        }
    }
    let main = main?;
    Some(filled.unwrap_or((main, main.cell(record))))
}

/// Why a file cannot be used, with what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub message: String,
    pub hint: Option<String>,
}

impl Refusal {
    pub fn new(message: impl Into<String>) -> Refusal {
        Refusal {
            message: message.into(),
            hint: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Refusal {
        self.hint = Some(hint.into());
        self
    }
}

/// Why a file cannot be used at all.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("cannot read {}: {reason}", input_name(path))]
    Read {
        path: PathBuf,
        reason: String,
        hint: Option<String>,
    },
    #[error("{}: {message}", input_name(path))]
    Unusable {
        path: PathBuf,
        message: String,
        hint: Option<String>,
        /// What was detected before the file was refused.
        detected: Box<SourceInfo>,
    },
}

impl IngestError {
    /// What to do about it, when there is something to say.
    pub fn hint(&self) -> Option<&str> {
        match self {
            IngestError::Read { hint, .. } | IngestError::Unusable { hint, .. } => hint.as_deref(),
        }
    }

    /// What was detected before the file was refused.
    pub fn detected(&self) -> Option<&SourceInfo> {
        match self {
            IngestError::Read { .. } => None,
            IngestError::Unusable { detected, .. } => Some(detected),
        }
    }
}

/// Which preset to use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PresetChoice {
    /// The mapping file's, else whichever the header matches.
    #[default]
    Auto,
    /// `--preset NAME`.
    Use(&'static Preset),
    /// `--preset none`: generic column names only.
    Off,
}

/// How to read a file: `--encoding`, `--delimiter`, `--sheet`, `--preset` and `--mapping`.
/// Every field has a "decide from the content" default.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct LoadOptions {
    /// Used when the file has no byte-order mark.
    pub encoding: Option<&'static encoding_rs::Encoding>,
    pub delimiter: Option<u8>,
    pub sheet: Option<String>,
    pub preset: PresetChoice,
    pub mapping: Option<Mapping>,
    /// Where the mapping came from, for messages.
    pub mapping_file: Option<PathBuf>,
    /// Whether a status or date cell that cannot be read makes its row invalid (a lifecycle
    /// flag acts on it) or is only warned about (`validate::employment::Reading`).
    pub employment_reading: Reading,
    /// The headers `--groups-from` names (or the profile's `groups_from`); empty: those of the
    /// mapping file's `groups`, if any.
    pub group_columns: Vec<String>,
    /// `--groups-separator`.
    pub group_separator: GroupSeparator,
}

impl LoadOptions {
    pub fn with_encoding(mut self, encoding: &'static encoding_rs::Encoding) -> LoadOptions {
        self.encoding = Some(encoding);
        self
    }

    pub fn with_delimiter(mut self, delimiter: u8) -> LoadOptions {
        self.delimiter = Some(delimiter);
        self
    }

    pub fn with_sheet(mut self, sheet: impl Into<String>) -> LoadOptions {
        self.sheet = Some(sheet.into());
        self
    }

    pub fn with_preset(mut self, preset: PresetChoice) -> LoadOptions {
        self.preset = preset;
        self
    }

    pub fn with_mapping(mut self, mapping: Mapping, file: Option<PathBuf>) -> LoadOptions {
        self.mapping = Some(mapping);
        self.mapping_file = file;
        self
    }

    pub fn with_employment_reading(mut self, reading: Reading) -> LoadOptions {
        self.employment_reading = reading;
        self
    }

    pub fn with_group_columns(
        mut self,
        headers: Vec<String>,
        separator: GroupSeparator,
    ) -> LoadOptions {
        self.group_columns = headers;
        self.group_separator = separator;
        self
    }

    /// The headers of the group columns, and what named them (for messages): `--groups-from`
    /// wins over the mapping file's `groups`, as `--preset` wins over its `preset`.
    pub fn group_headers(&self) -> (&[String], &'static str) {
        match (&self.group_columns[..], &self.mapping) {
            ([], Some(mapping)) => (&mapping.groups, "the mapping file's `groups`"),
            (named, _) => (named, "--groups-from"),
        }
    }
}

/// Reads and maps an export file.
pub fn load(path: &Path) -> Result<Table, IngestError> {
    load_with(path, &LoadOptions::default())
}

/// Reads and maps an export file with explicit options (`-` is standard input).
pub fn load_with(path: &Path, options: &LoadOptions) -> Result<Table, IngestError> {
    load_bytes_with(&read_input(path)?, path, options)
}

/// The bytes of the input at `path`, `-` for standard input (see `crate::file_bytes`).
pub fn read_input(path: &Path) -> Result<FileBytes, IngestError> {
    FileBytes::open_input(path).map_err(|unreadable| IngestError::Read {
        path: path.to_path_buf(),
        reason: unreadable.reason,
        hint: unreadable.hint,
    })
}

/// Maps an export already in memory; `source_name` stands for the path in messages.
pub fn load_from_bytes(bytes: &[u8], source_name: &str) -> Result<Table, IngestError> {
    load_bytes_with(bytes, Path::new(source_name), &LoadOptions::default())
}

/// [`load_from_bytes`] with explicit options.
pub fn load_bytes_with(
    bytes: &[u8],
    path: &Path,
    options: &LoadOptions,
) -> Result<Table, IngestError> {
    let note = extension_note(path, sniff::kind(bytes));
    match load::table(bytes, options) {
        Ok(mut table) => {
            table.source.notes.extend(note);
            Ok(table)
        }
        Err(failed) => {
            let (refusal, mut detected) = *failed;
            detected.notes.extend(note);
            Err(IngestError::Unusable {
                path: path.to_path_buf(),
                message: refusal.message,
                hint: refusal.hint,
                detected: Box::new(detected),
            })
        }
    }
}

/// A file whose name says another format than its content: read by content, and said.
/// Line feeds in some text: where line numbers come from, and how many records a text can hold
/// at most. memchr counts 32 bytes at a step; a plain `filter().count()` widened every byte to
/// a 64-bit lane, and counting an 8.7 MB export twice took about 2 ms.
pub(crate) fn count_newlines(bytes: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', bytes).count()
}

fn extension_note(path: &Path, kind: sniff::Kind) -> Option<String> {
    let extension = path.extension()?.to_str()?.to_ascii_lowercase();
    let named_text = matches!(extension.as_str(), "csv" | "tsv" | "txt");
    let named_book = matches!(extension.as_str(), "xlsx" | "xls" | "xlsb" | "ods");
    match kind {
        sniff::Kind::Workbook if named_text => Some(format!(
            "the file is named .{extension} but is a workbook: it is read as one"
        )),
        sniff::Kind::Text if named_book => Some(format!(
            "the file is named .{extension} but is text: it is read as delimited text"
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod fuzz_tests;
