//! `--only-rows-from REPORT`: run again just the rows a previous run did not finish.
//!
//! After a night with a flaky network or an expired token, the report already says which rows
//! need another go (`failed`, `cancelled`). Re-running the whole export would work too, since
//! a plan never resends what is already there, but the rows named here are what an admin
//! wants to look at and retry. The report's row numbers refer to its input, so the emails are
//! compared row by row: a report from another export is refused rather than half-applied.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::str::FromStr;

use crate::progress::Progress;
use crate::report::{Outcome, ReportLine, read_back};
use crate::validate::RowVerdict;

/// Rows of a report with one of `outcomes`: row number → the email the report has for it.
/// A line without a row (a member acted on without an input row, such as a leaver) is not
/// one of the input's rows: the run plans such members again from the organization itself.
pub fn rows_from_report(
    report: &Path,
    outcomes: &[Outcome],
    progress: &dyn Progress,
) -> Result<BTreeMap<usize, String>, String> {
    let mut rows = BTreeMap::new();
    let columns = ["row", "outcome", "email"];
    for ReportLine { line, cells } in read_back(report, &columns, progress)? {
        let problem = |what: String| format!("{} line {line}: {what}", report.display());
        let outcome = Outcome::from_str(&cells[1]).map_err(problem)?;
        if !outcomes.contains(&outcome) || cells[0].is_empty() {
            continue;
        }
        let row = cells[0]
            .parse()
            .map_err(|_| problem("`row` is not a number".into()))?;
        rows.insert(row, cells[2].to_lowercase());
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
        let row = verdict.row();
        let email = match &verdict {
            RowVerdict::Valid(valid) => valid.email().unwrap_or_default().to_string(),
            RowVerdict::Invalid(invalid) => invalid.email.trim().to_lowercase(),
            RowVerdict::Duplicate(repeat) => repeat.email.clone().unwrap_or_default(),
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
    let kept_rows: BTreeSet<usize> = kept.iter().map(RowVerdict::row).collect();
    if let Some(missing) = rows.keys().find(|r| !kept_rows.contains(r)) {
        return Err(format!(
            "{} names row {missing}, which this input does not have",
            report.display()
        ));
    }
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_without_a_row_are_not_rows_to_run_again() {
        let dir = tempfile::tempdir().unwrap();
        let report = dir.path().join("r.csv");
        std::fs::write(
            &report,
            "row,email,outcome,action\n4,a@x.example,failed,update\n,b@x.example,failed,disable\n",
        )
        .unwrap();
        let rows = rows_from_report(&report, &[Outcome::Failed], &crate::progress::Quiet).unwrap();
        assert_eq!(rows, BTreeMap::from([(4, "a@x.example".to_string())]));
    }
}
