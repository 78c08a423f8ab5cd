//! `member-sync validate`: ingest and validation only, offline.
//!
//! The command to run first with a new export. It says what the tool made of the file
//! (format, encoding, delimiter, header line, preset, which column feeds which field, which
//! columns are ignored) and every row problem, with no token and no network. It calls the same
//! `ingest` and `validate` as `plan` and `apply`, so a file that validates clean plans clean.
//! Lines for people go to stderr; the per-row report (`--report`) is the data. The summaries
//! `plan` and `apply` print about their input come from here too, so both say the same thing.

mod report;

use std::path::Path;

use crate::cli::ValidateArgs;
use crate::exit_code::ExitCode;
use crate::ingest::{self, IngestError, SourceInfo, Table};
use crate::progress::Progress;
use crate::settings;
use crate::validate::{self, RowVerdict, RowWarning, describe};

/// Why `validate` could not check the file (exit 1).
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub hint: Option<String>,
}

/// Runs `validate`: prints what was detected and every problem, writes the report if asked.
pub fn run(args: &ValidateArgs, progress: &dyn Progress) -> Result<ExitCode, Failure> {
    let options = settings::load_options(&args.ingest)
        .and_then(|options| settings::groups::load_options(&args.groups, options))
        .map_err(|e| Failure {
            message: e.message,
            hint: e.hint,
        })?;
    progress.note(&format!(
        "input: {}",
        crate::file_bytes::input_name(&args.input)
    ));
    let table = match ingest::load_with(&args.input, &options) {
        Ok(table) => table,
        Err(error) => {
            if let Some(detected) = error.detected() {
                for line in detection(detected) {
                    progress.note(&line);
                }
            }
            return Err(failure(&error));
        }
    };
    for line in detection(&table.source) {
        progress.note(&line);
    }
    progress.note("columns:");
    for line in table.describe_columns() {
        progress.note(&format!("  {line}"));
    }
    if !table.unknown_columns.is_empty() {
        progress.note(&format!(
            "ignored columns (they map to no Tallyfy field; their values are never shown): {}",
            quoted(&table.unknown_columns)
        ));
    }

    let validation = validate::validate_all(&table);
    let lines = |row: usize| table.records.get(row.wrapping_sub(1)).map_or(0, |r| r.line);
    for verdict in &validation.verdicts {
        if let RowVerdict::Invalid(row) = verdict {
            progress.note(&format!(
                "! row {} (line {}) invalid: {}",
                row.row,
                lines(row.row),
                describe(&row.problems)
            ));
        }
    }
    for warning in &validation.warnings {
        progress.note(&format!(
            "~ row {} (line {}): {}",
            warning.row,
            lines(warning.row),
            warning_text(warning)
        ));
    }
    for note in &validation.notes {
        progress.note(note);
    }
    let count = |f: fn(&RowVerdict) -> bool| validation.verdicts.iter().filter(|v| f(v)).count();
    let invalid = count(|v| matches!(v, RowVerdict::Invalid(_)));
    let duplicate = count(|v| matches!(v, RowVerdict::Duplicate(_)));
    let total = validation.verdicts.len();
    let duplicates = match duplicate {
        0 => String::new(),
        n => format!(", {n} duplicate"),
    };
    progress.note(&format!(
        "{total} {}: {} valid, {invalid} invalid{duplicates}, {} {}",
        plural(total, "row", "rows"),
        total - invalid - duplicate,
        validation.warnings.len(),
        plural(validation.warnings.len(), "warning", "warnings"),
    ));
    if let Some(path) = &args.report {
        report::write(path, &table, &validation).map_err(|refused| Failure {
            message: refused.message,
            hint: refused.hint,
        })?;
        if path != Path::new("-") {
            progress.note(&format!("report: {}", path.display()));
        }
    }
    Ok(ExitCode::for_validation(invalid))
}

/// What was detected, one line per topic: format, header, preset, skipped rows, notes.
pub fn detection(source: &SourceInfo) -> Vec<String> {
    let mut lines = vec![format!("format: {}", source.format_line())];
    if let Some(header) = source.header_line_text() {
        lines.push(format!("header: {header}"));
        lines.push(format!("preset: {}", source.preset_text()));
    }
    if let Some(mapping) = &source.mapping_file {
        lines.push(format!("mapping: {}", mapping.display()));
    }
    for skipped in &source.skipped {
        lines.push(format!("skipped line {}: {}", skipped.line, skipped.reason));
    }
    for note in &source.notes {
        lines.push(format!("note: {note}"));
    }
    lines
}

/// What `plan` and `apply` say about their input before the plan: one line on the format,
/// then skipped rows, notes and the ignored columns.
pub fn input_summary(table: &Table) -> Vec<String> {
    let source = &table.source;
    let mut summary = format!("input: {}", source.format_line());
    if let Some(header) = source.header_line_text() {
        summary.push_str(&format!("; header on {header}"));
    }
    if let Some(preset) = source.preset {
        summary.push_str(&format!("; preset {}", preset.name));
    }
    let mut lines = vec![summary];
    lines.extend(detection(source).into_iter().skip(1).filter(|l| {
        !(l.starts_with("header:") || l.starts_with("preset:") || l.starts_with("mapping:"))
    }));
    if !table.unknown_columns.is_empty() {
        lines.push(format!(
            "ignoring columns that map to no Tallyfy field: {}",
            table.unknown_columns.join(", ")
        ));
    }
    lines
}

/// Row warnings for `plan` and `apply`: the first `limit`, then how many more.
pub fn warning_lines(warnings: &[RowWarning], limit: usize) -> Vec<String> {
    let mut lines: Vec<String> = warnings
        .iter()
        .take(limit)
        .map(|w| format!("~ row {}: {}", w.row, warning_text(w)))
        .collect();
    if warnings.len() > limit {
        lines.push(format!(
            "… and {} more warnings (`member-sync validate` lists them all)",
            warnings.len() - limit
        ));
    }
    lines
}

fn warning_text(warning: &RowWarning) -> String {
    format!("{}: {}", warning.column, warning.message)
}

fn failure(error: &IngestError) -> Failure {
    Failure {
        message: error.to_string(),
        hint: error.hint().map(str::to_string),
    }
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}
