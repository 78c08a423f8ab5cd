//! Inputs written through a CSV writer, reports read back as data.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// One report line: column name → cell, exactly as written (formula-escaping included).
pub type ReportRow = HashMap<String, String>;

/// The report's columns, in order, as documented in the README.
pub const REPORT_COLUMNS: [&str; 16] = [
    "row",
    "email",
    "user_id",
    "outcome",
    "changes",
    "before",
    "after",
    "http_status",
    "attempts",
    "error",
    "request_id",
    "elapsed_ms",
    "landed",
    "action",
    "group_id",
    "groups",
];

/// Writes a CSV file with a header row.
pub fn write_csv<R, C>(path: &Path, headers: &[&str], rows: R)
where
    R: IntoIterator<Item = Vec<C>>,
    C: AsRef<str>,
{
    let mut writer = csv::Writer::from_path(path).expect("create the input file");
    writer.write_record(headers).expect("write the header");
    for row in rows {
        let cells: Vec<&str> = row.iter().map(AsRef::as_ref).collect();
        writer.write_record(&cells).expect("write a row");
    }
    writer.flush().expect("flush the input file");
}

/// Reads a report into one map per line; the header must be [`REPORT_COLUMNS`]. A report that
/// was never created reads as no rows.
pub fn read_report(path: &Path) -> Vec<ReportRow> {
    if !path.exists() {
        return Vec::new();
    }
    let mut reader = csv::Reader::from_path(path).expect("open the report");
    read_rows(&mut reader, &REPORT_COLUMNS)
}

/// One map per line of CSV whose header must be `columns`.
pub fn read_rows<R: std::io::Read>(
    reader: &mut csv::Reader<R>,
    columns: &[&str],
) -> Vec<ReportRow> {
    let headers: Vec<String> = reader
        .headers()
        .expect("the report has a header")
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(headers, columns, "report columns");
    reader
        .records()
        .map(|record| {
            let record = record.expect("a well-formed report line");
            headers
                .iter()
                .cloned()
                .zip(record.iter().map(str::to_string))
                .collect()
        })
        .collect()
}

/// How many report lines ended in each outcome.
pub fn outcome_counts(report: &[ReportRow]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for row in report {
        *counts.entry(row["outcome"].clone()).or_default() += 1;
    }
    counts
}

/// The expected side of [`outcome_counts`]: `counts(&[("updated", 12), ("invalid", 6)])`.
pub fn counts(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(outcome, n)| (outcome.to_string(), *n))
        .collect()
}

/// The report's `row` numbers, sorted.
pub fn row_numbers(report: &[ReportRow]) -> Vec<usize> {
    let mut rows: Vec<usize> = report
        .iter()
        .map(|r| r["row"].parse().expect("`row` is a number"))
        .collect();
    rows.sort_unstable();
    rows
}

/// The report line for input row `row`.
pub fn report_row(report: &[ReportRow], row: usize) -> &ReportRow {
    let wanted = row.to_string();
    let mut lines = report.iter().filter(|r| r["row"] == wanted);
    let line = lines
        .next()
        .unwrap_or_else(|| panic!("no report line for row {row}"));
    assert!(lines.next().is_none(), "row {row} is reported twice");
    line
}

/// A JSON cell of the report (`before`, `after`), parsed.
pub fn json_cell(row: &ReportRow, column: &str) -> serde_json::Value {
    serde_json::from_str(&row[column])
        .unwrap_or_else(|e| panic!("`{column}` is not JSON ({e}): {:?}", row[column]))
}
