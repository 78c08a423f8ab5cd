//! The report of `validate`: one CSV line per data row, `valid`, `invalid` or `duplicate`.
//!
//! Its own columns rather than the run report's: there is no member, request or change yet,
//! but there are the row's line in the file, what the row asks to set, and its warnings.
//! Cells are made safe to open in Excel with the run report's escaping, and an existing file
//! is never overwritten. `-` writes the report to stdout, which is for data only.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::Path;

use serde_json::{Map, Value as Json};

use crate::fields::Desired;
use crate::ingest::Table;
use crate::output_file::{Output, Refused};
use crate::report::escape_cell;
use crate::validate::{RowVerdict, RowWarning, Validation, describe};

/// The report's columns, in order.
pub const COLUMNS: [&str; 8] = [
    "row", "line", "email", "user_id", "outcome", "fields", "problems", "warnings",
];

/// Writes the report to `path` (`-` for stdout); a file as every output is written
/// (`crate::output_file`: whole or not at all, private, never over a file or through a link).
pub fn write(path: &Path, table: &Table, validation: &Validation) -> Result<(), Refused> {
    if path == Path::new("-") {
        let stdout = io::stdout();
        return write_to(stdout.lock(), table, validation).map_err(|e| Refused {
            message: format!("cannot write the report to stdout: {e}"),
            hint: None,
        });
    }
    Output::report(path).write_with(|out| write_to(out, table, validation))
}

fn write_to(out: impl Write, table: &Table, validation: &Validation) -> io::Result<()> {
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record(COLUMNS)?;
    let mut warnings_by_row: HashMap<usize, Vec<&RowWarning>> = HashMap::new();
    for warning in &validation.warnings {
        warnings_by_row
            .entry(warning.row)
            .or_default()
            .push(warning);
    }
    for verdict in &validation.verdicts {
        let row = verdict.row();
        let line = table
            .records
            .get(row.wrapping_sub(1))
            .map_or(String::new(), |r| r.line.to_string());
        let warnings = warnings_by_row
            .get(&row)
            .map(|w| warnings_text(w))
            .unwrap_or_default();
        let cells = match verdict {
            RowVerdict::Valid(valid) => [
                row.to_string(),
                line,
                valid.email().unwrap_or_default().to_string(),
                valid.user_id.map(|id| id.to_string()).unwrap_or_default(),
                "valid".to_string(),
                fields_json(valid),
                String::new(),
                warnings,
            ],
            RowVerdict::Duplicate(repeat) => [
                row.to_string(),
                line,
                repeat.email.clone().unwrap_or_default(),
                repeat.user_id.map(|id| id.to_string()).unwrap_or_default(),
                "duplicate".to_string(),
                String::new(),
                repeat.reason(),
                warnings,
            ],
            RowVerdict::Invalid(invalid) => [
                row.to_string(),
                line,
                invalid.email.clone(),
                invalid.user_id.clone(),
                "invalid".to_string(),
                String::new(),
                describe(&invalid.problems),
                warnings,
            ],
        };
        csv.write_record(cells.iter().map(|c| escape_cell(c).into_owned()))?;
    }
    csv.flush()
}

/// What a valid row asks for: `{"job_title":"CFO","team":null}` (null clears), what it says
/// of employment when it does (`"status":"left","end_date":"2026-01-31"`), and the groups it
/// places its person in when it says so (`"groups":["Sales","EMEA"]`; `[]` for none).
fn fields_json(row: &crate::validate::DesiredRow) -> String {
    let mut object: Map<String, Json> = row
        .fields
        .iter()
        .map(|(field, desired)| {
            let value = match desired {
                Desired::Set(value) => value.to_json(),
                Desired::Clear => Json::Null,
            };
            (field.name().to_string(), value)
        })
        .collect();
    let employment = &row.employment;
    if let Some(status) = employment.status {
        let word = match status {
            crate::validate::Status::Active => "active",
            crate::validate::Status::Left => "left",
        };
        object.insert("status".into(), word.into());
    }
    for (name, date) in [
        ("start_date", employment.start_date),
        ("end_date", employment.end_date),
    ] {
        if let Some(date) = date {
            object.insert(name.into(), date.to_string().into());
        }
    }
    if let Some(groups) = &row.groups {
        object.insert("groups".into(), groups.clone().into());
    }
    Json::Object(object).to_string()
}

fn warnings_text(warnings: &[&RowWarning]) -> String {
    warnings
        .iter()
        .map(|w| format!("{}: {}", w.column, w.message))
        .collect::<Vec<_>>()
        .join("; ")
}
