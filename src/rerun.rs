//! `--only-rows-from REPORT`: run again just the rows a previous run did not finish.
//!
//! After a night with a flaky network or an expired token, the report already says which rows
//! need another go (`failed`, `cancelled`). Re-running the whole export would work too, since
//! a plan never resends what is already there, but the rows named here are what an admin
//! wants to look at and retry. The report's row numbers refer to its input, so the emails are
//! compared row by row: a report from another export is refused rather than half-applied.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use crate::report::{Outcome, unescape_cell};
use crate::validate::RowVerdict;

/// Rows of a report with one of `outcomes`: row number → the email the report has for it.
pub fn rows_from_report(
    report: &Path,
    outcomes: &[Outcome],
) -> Result<BTreeMap<usize, String>, String> {
    let shown = report.display();
    let mut reader = csv::Reader::from_path(report)
        .map_err(|e| format!("cannot read the report {shown}: {e}"))?;
    let headers = reader
        .headers()
        .map_err(|e| format!("cannot read the report {shown}: {e}"))?
        .clone();
    let column = |name: &str| {
        headers.iter().position(|h| h == name).ok_or_else(|| {
            format!("{shown} is not a member-sync report: it has no `{name}` column")
        })
    };
    let (row_at, outcome_at, email_at) = (column("row")?, column("outcome")?, column("email")?);
    let mut rows = BTreeMap::new();
    for (n, record) in reader.records().enumerate() {
        let line = n + 2;
        let record = record.map_err(|e| format!("{shown} line {line}: {e}"))?;
        let outcome = Outcome::from_str(record.get(outcome_at).unwrap_or(""))
            .map_err(|e| format!("{shown} line {line}: {e}"))?;
        if !outcomes.contains(&outcome) {
            continue;
        }
        let row = record
            .get(row_at)
            .and_then(|r| r.parse().ok())
            .ok_or_else(|| format!("{shown} line {line}: `row` is not a number"))?;
        let email = unescape_cell(record.get(email_at).unwrap_or("")).to_lowercase();
        rows.insert(row, email);
    }
    Ok(rows)
}

/// Keeps the verdicts of `rows`, after checking each is the same person in both files.
pub fn keep_rows(
    verdicts: Vec<RowVerdict>,
    rows: &BTreeMap<usize, String>,
    report: &Path,
) -> Result<Vec<RowVerdict>, String> {
    let mut kept = Vec::with_capacity(rows.len());
    for verdict in verdicts {
        let (row, email) = match &verdict {
            RowVerdict::Valid(valid) => (valid.row, valid.email.clone().unwrap_or_default()),
            RowVerdict::Invalid(invalid) => (invalid.row, invalid.email.trim().to_lowercase()),
        };
        let Some(reported) = rows.get(&row) else {
            continue;
        };
        if !reported.is_empty() && !email.is_empty() && *reported != email {
            return Err(format!(
                "{} does not come from this input: row {row} is {reported} there but {email} here",
                report.display()
            ));
        }
        kept.push(verdict);
    }
    if let Some(missing) = rows
        .keys()
        .find(|r| !kept.iter().any(|v| verdict_row(v) == **r))
    {
        return Err(format!(
            "{} names row {missing}, which this input does not have",
            report.display()
        ));
    }
    Ok(kept)
}

fn verdict_row(verdict: &RowVerdict) -> usize {
    match verdict {
        RowVerdict::Valid(valid) => valid.row,
        RowVerdict::Invalid(invalid) => invalid.row,
    }
}
