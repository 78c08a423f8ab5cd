//! Report lines for each kind of row (from a plan, from a write's result, or for a row the run
//! never reached) and the [`Ledger`] that writes them and keeps count.

use std::sync::Arc;

use crate::execute::pool::{WriteOutcome, WriteResult};
use crate::plan::{RowPlan, Update};
use crate::progress::Progress;
use crate::replay::Recorded;
use crate::report::{Outcome, ReportRow, ReportWriter, Summary};
use crate::validate::{RowVerdict, describe};

use super::RunError;

/// Writes each row's line, counts its outcome and moves the progress bar, in one step.
pub(super) struct Ledger {
    report: ReportWriter,
    summary: Summary,
    progress: Arc<dyn Progress>,
}

impl Ledger {
    pub(super) fn new(report: ReportWriter, progress: Arc<dyn Progress>) -> Ledger {
        Ledger {
            report,
            summary: Summary::default(),
            progress,
        }
    }

    pub(super) fn record(&mut self, row: ReportRow) -> Result<(), RunError> {
        self.write(row, true)
    }

    /// Records a row decided without a request; [`Ledger::flush`] before the first request.
    pub(super) fn record_decided(&mut self, row: ReportRow) -> Result<(), RunError> {
        self.write(row, false)
    }

    pub(super) fn flush(&mut self) -> Result<(), RunError> {
        let flushed = self.report.flush();
        flushed.map_err(|e| self.write_error(e))
    }

    fn write(&mut self, row: ReportRow, flush: bool) -> Result<(), RunError> {
        let written = if flush {
            self.report.write(&row)
        } else {
            self.report.write_buffered(&row)
        };
        written.map_err(|e| self.write_error(e))?;
        let outcome = row.outcome.expect("every report row has an outcome");
        tracing::info!(
            target: "member_sync::rows",
            row = row.row,
            email = %row.email,
            outcome = %outcome,
            error = %row.error,
            "row finished"
        );
        self.summary.add(outcome);
        self.progress.row_finished(outcome);
        Ok(())
    }

    fn write_error(&self, e: std::io::Error) -> RunError {
        RunError::new(format!(
            "cannot write the report {}: {e}",
            self.report.path().display()
        ))
    }

    pub(super) fn into_parts(self) -> (ReportWriter, Summary) {
        (self.report, self.summary)
    }
}

/// The line of a row the run stopped before planning (the member list could not be read).
pub(super) fn unreached_row(verdict: &RowVerdict, reason: &str) -> ReportRow {
    match verdict {
        RowVerdict::Invalid(invalid) => planned_row(&RowPlan::Invalid(invalid.clone())),
        RowVerdict::Valid(row) => ReportRow {
            row: row.row,
            email: row.email.clone().unwrap_or_default(),
            user_id: row.user_id.map(|id| id.to_string()).unwrap_or_default(),
            outcome: Some(Outcome::Cancelled),
            error: format!("not attempted: {reason}"),
            ..Default::default()
        },
    }
}

/// The report line of a row that needs no request (or, for `plan`, will not get one).
pub(super) fn planned_row(plan: &RowPlan) -> ReportRow {
    let id = |id: Option<u64>| id.map(|i| i.to_string()).unwrap_or_default();
    match plan {
        RowPlan::Invalid(invalid) => ReportRow {
            row: invalid.row,
            email: invalid.email.clone(),
            user_id: invalid.user_id.clone(),
            outcome: Some(Outcome::Invalid),
            error: describe(&invalid.problems),
            ..Default::default()
        },
        RowPlan::NotFound {
            row,
            email,
            user_id,
        } => ReportRow {
            row: *row,
            email: email.clone().unwrap_or_default(),
            user_id: id(*user_id),
            outcome: Some(Outcome::NotFound),
            error: "no member of the organization has this key".into(),
            ..Default::default()
        },
        RowPlan::Unchanged {
            row,
            member_id,
            email,
        } => ReportRow {
            row: *row,
            email: email.clone().unwrap_or_default(),
            user_id: member_id.to_string(),
            outcome: Some(Outcome::Unchanged),
            ..Default::default()
        },
        RowPlan::Update(update) => ReportRow {
            outcome: Some(Outcome::Planned),
            ..identity(update)
        }
        .with_changes(&update.changes),
    }
}

/// The line of a recorded change (saved plan, rollback) whose member moved on since.
pub(super) fn stale_row(record: &Recorded, reason: &str) -> ReportRow {
    ReportRow {
        row: record.row,
        email: record.email.clone(),
        user_id: record.member_id.to_string(),
        outcome: Some(Outcome::Stale),
        error: format!("not changed: {reason}"),
        ..Default::default()
    }
}

/// The line of a row a protection took out: what it would have changed, and why not.
pub(super) fn excluded_row(update: &Update, reason: &str) -> ReportRow {
    ReportRow {
        outcome: Some(Outcome::Excluded),
        error: format!("not changed: {reason}"),
        ..identity(update)
    }
    .with_changes(&update.changes)
}

pub(super) fn identity(update: &Update) -> ReportRow {
    ReportRow {
        row: update.row,
        email: update.email.clone().unwrap_or_default(),
        user_id: update.member_id.to_string(),
        ..Default::default()
    }
}

pub(super) fn written_row(update: &Update, result: &WriteResult) -> ReportRow {
    ReportRow {
        outcome: Some(match result.outcome {
            WriteOutcome::Updated => Outcome::Updated,
            WriteOutcome::Failed => Outcome::Failed,
            WriteOutcome::Cancelled => Outcome::Cancelled,
        }),
        http_status: result.http_status,
        attempts: result.attempts,
        error: result.error.clone().unwrap_or_default(),
        request_id: result.request_id.clone().unwrap_or_default(),
        elapsed_ms: Some(result.elapsed.as_millis()),
        ..identity(update)
    }
    .with_changes(&update.changes)
}
