//! Report lines for each kind of row (from a plan, from a write's result, or for a row the run
//! never reached) and the [`Ledger`] that writes them and keeps count.

use std::borrow::Cow;
use std::sync::Arc;

use compact_str::{CompactString, ToCompactString};

use crate::execute::pool::{WriteOutcome, WriteResult};
use crate::plan::{RowPlan, Update};
use crate::progress::Progress;
use crate::replay::Recorded;
use crate::report::{Outcome, RenderedLines, ReportRow, ReportWriter, Summary};
use crate::validate::{InvalidRow, RowVerdict, describe};

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

    /// Writes a row's line and flushes it to the file.
    pub(super) fn record(&mut self, row: ReportRow<'_>) -> Result<(), RunError> {
        let written = self.report.write(&row);
        written.map_err(|e| self.write_error(e))?;
        self.count(Finished::from(row));
        Ok(())
    }

    pub(super) fn flush(&mut self) -> Result<(), RunError> {
        let flushed = self.report.flush();
        flushed.map_err(|e| self.write_error(e))
    }

    /// Records the lines of many rows decided without a request, in order: the line `line`
    /// gives each item, if any. Lines are rendered on two threads when there are many (see
    /// `halves.rs`), a batch at a time, so the report is written as it is rendered and never
    /// held whole in memory; [`Ledger::flush`] before the first request.
    pub(super) fn record_all_decided<'a, T: Sync>(
        &mut self,
        items: &'a [T],
        line: impl Fn(&'a T) -> Option<ReportRow<'a>> + Sync,
    ) -> Result<(), RunError> {
        for batch in items.chunks(LINES_PER_BATCH) {
            self.record_batch(batch, &line)?;
        }
        Ok(())
    }

    fn record_batch<'a, T: Sync>(
        &mut self,
        items: &'a [T],
        line: &(impl Fn(&'a T) -> Option<ReportRow<'a>> + Sync),
    ) -> Result<(), RunError> {
        let render = |items: &'a [T]| -> (Vec<Finished<'a>>, Vec<u8>) {
            let mut lines = RenderedLines::with_capacity(items.len());
            let mut finished = Vec::with_capacity(items.len());
            for row in items.iter().filter_map(line) {
                lines.push(&row);
                finished.push(Finished::from(row));
            }
            (finished, lines.into_bytes())
        };
        let (first, second) = crate::halves::in_two_halves(items, render);
        for (finished, lines) in std::iter::once(first).chain(second) {
            let written = self.report.write_rendered(&lines);
            written.map_err(|e| self.write_error(e))?;
            for row in finished {
                self.count(row);
            }
        }
        Ok(())
    }

    /// Logs a row written to the report, counts its outcome and moves the progress bar.
    fn count(&mut self, row: Finished<'_>) {
        tracing::info!(
            target: "member_sync::rows",
            row = row.row,
            email = %row.email,
            outcome = %row.outcome,
            error = %row.error,
            "row finished"
        );
        self.summary.add(row.outcome);
        self.progress.row_finished(row.outcome);
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

/// Plan lines rendered before they are written: a few megabytes at most, and enough rows for
/// the batch to be split over two threads.
const LINES_PER_BATCH: usize = 50_000;

/// What is logged and counted of a row once its line is written.
struct Finished<'a> {
    row: usize,
    email: Cow<'a, str>,
    outcome: Outcome,
    error: Cow<'a, str>,
}

impl<'a> From<ReportRow<'a>> for Finished<'a> {
    fn from(row: ReportRow<'a>) -> Finished<'a> {
        Finished {
            row: row.row,
            email: row.email,
            outcome: row.outcome.expect("every report row has an outcome"),
            error: row.error,
        }
    }
}

/// The line of a row the run stopped before planning (the member list could not be read).
pub(super) fn unreached_row<'a>(verdict: &'a RowVerdict, reason: &str) -> ReportRow<'a> {
    match verdict {
        RowVerdict::Invalid(invalid) => invalid_row(invalid),
        RowVerdict::Valid(row) => ReportRow {
            row: row.row,
            email: row.email().unwrap_or_default().into(),
            user_id: user_id(row.user_id),
            outcome: Some(Outcome::Cancelled),
            error: format!("not attempted: {reason}").into(),
            ..Default::default()
        },
    }
}

/// The report line of a row that needs no request (or, for `plan`, will not get one).
pub(super) fn planned_row(plan: &RowPlan) -> ReportRow<'_> {
    match plan {
        RowPlan::Invalid(invalid) => invalid_row(invalid),
        RowPlan::NotFound {
            row,
            email,
            user_id: id,
        } => ReportRow {
            row: *row,
            email: email.as_deref().unwrap_or_default().into(),
            user_id: user_id(*id),
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
            email: email.as_deref().unwrap_or_default().into(),
            user_id: member_id.to_compact_string(),
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

fn invalid_row(invalid: &InvalidRow) -> ReportRow<'_> {
    ReportRow {
        row: invalid.row,
        email: invalid.email.as_str().into(),
        user_id: invalid.user_id.as_str().into(),
        outcome: Some(Outcome::Invalid),
        error: describe(&invalid.problems).into(),
        ..Default::default()
    }
}

fn user_id(id: Option<u64>) -> CompactString {
    id.map(|id| id.to_compact_string()).unwrap_or_default()
}

/// The line of a recorded change (saved plan, rollback) whose member moved on since.
pub(super) fn stale_row<'a>(record: &'a Recorded, reason: &str) -> ReportRow<'a> {
    ReportRow {
        row: record.row,
        email: record.email.as_str().into(),
        user_id: record.member_id.to_compact_string(),
        outcome: Some(Outcome::Stale),
        error: format!("not changed: {reason}").into(),
        ..Default::default()
    }
}

/// The line of a row a protection took out: what it would have changed, and why not.
pub(super) fn excluded_row<'a>(update: &'a Update, reason: &str) -> ReportRow<'a> {
    ReportRow {
        outcome: Some(Outcome::Excluded),
        error: format!("not changed: {reason}").into(),
        ..identity(update)
    }
    .with_changes(&update.changes)
}

pub(super) fn identity(update: &Update) -> ReportRow<'_> {
    ReportRow {
        row: update.row,
        email: update.email.as_deref().unwrap_or_default().into(),
        user_id: update.member_id.to_compact_string(),
        ..Default::default()
    }
}

pub(super) fn written_row<'a>(update: &'a Update, result: &WriteResult) -> ReportRow<'a> {
    ReportRow {
        outcome: Some(match result.outcome {
            WriteOutcome::Updated => Outcome::Updated,
            WriteOutcome::Failed => Outcome::Failed,
            WriteOutcome::Cancelled => Outcome::Cancelled,
        }),
        http_status: result.http_status,
        attempts: result.attempts,
        error: result.error.clone().unwrap_or_default().into(),
        request_id: result.request_id.clone().unwrap_or_default(),
        elapsed_ms: Some(result.elapsed.as_millis()),
        ..identity(update)
    }
    .with_changes(&update.changes)
    .with_landed(&result.landed)
}

/// The line of an update the run was stopped before sending.
pub(super) fn unsent_row(update: &Update) -> ReportRow<'_> {
    ReportRow {
        outcome: Some(Outcome::Cancelled),
        error: "not sent: the run was stopped".into(),
        ..identity(update)
    }
    .with_changes(&update.changes)
    .with_landed(&[])
}
