//! Report lines for each kind of row (from a plan, from a write's result, or for a row the run
//! never reached) and the [`Ledger`] that writes them and keeps count.

use std::borrow::Cow;
use std::sync::Arc;

use compact_str::{CompactString, ToCompactString};
use tokio_util::sync::CancellationToken;

use crate::execute::pool::{WriteOutcome, WriteResult};
use crate::exit_code::fails_the_run;
use crate::plan::{RowPlan, Update};
use crate::progress::Progress;
use crate::replay::Recorded;
use crate::report::{Outcome, RenderedLines, ReportRow, ReportWriter, RowToCheck, Summary};
use crate::validate::{DuplicateRow, InvalidRow, RowVerdict, describe};

use super::RunError;

/// Writes each row's line, counts its outcome and moves the progress bar, in one step.
///
/// A report that cannot be written (a full disk) stops the run: the first failure is kept,
/// the run's stop token cancelled, and every row that ends after it is still counted, as not
/// in the report, so the totals tell what happened. [`Ledger::into_parts`] gives the error.
pub(super) struct Ledger {
    report: ReportWriter,
    summary: Summary,
    progress: Arc<dyn Progress>,
    stop: CancellationToken,
    failure: Option<ReportFailure>,
    /// The input line of each row (`lines[row - 1]`), when the rows come from a file.
    lines: Option<Vec<u64>>,
}

/// The write that failed, and the rows that ended after it.
struct ReportFailure {
    error: std::io::Error,
    /// Rows a request was sent for, not in the report: `(row, outcome)`.
    sent: Vec<(usize, Outcome)>,
}

impl Ledger {
    pub(super) fn new(
        report: ReportWriter,
        progress: Arc<dyn Progress>,
        stop: CancellationToken,
    ) -> Ledger {
        Ledger {
            report,
            summary: Summary::default(),
            progress,
            stop,
            failure: None,
            lines: None,
        }
    }

    /// The line of the input each row starts on, for the rows a person is told about.
    pub(super) fn set_lines(&mut self, lines: Option<Vec<u64>>) {
        self.lines = lines;
    }

    /// Writes a row's line to the file (unless the report already failed) and counts it.
    pub(super) fn record(&mut self, row: ReportRow<'_>) {
        let written = match self.failure {
            None => self.report.write(&row).map_err(|e| self.fail(e)).is_ok(),
            Some(_) => false,
        };
        self.count(Finished::from(row), written);
    }

    /// Records the lines of many rows decided without a request, in order: the line `line`
    /// gives each item, if any. Lines are rendered on two threads when there are many (see
    /// `halves.rs`), a batch at a time, so the report is written as it is rendered and never
    /// held whole in memory.
    pub(super) fn record_all_decided<'a, T: Sync>(
        &mut self,
        items: &'a [T],
        line: impl Fn(&'a T) -> Option<ReportRow<'a>> + Sync,
    ) {
        for batch in items.chunks(LINES_PER_BATCH) {
            self.record_batch(batch, &line);
        }
    }

    fn record_batch<'a, T: Sync>(
        &mut self,
        items: &'a [T],
        line: &(impl Fn(&'a T) -> Option<ReportRow<'a>> + Sync),
    ) {
        let render = |items: &'a [T]| -> (Vec<Finished<'a>>, RenderedLines) {
            let mut lines = RenderedLines::with_capacity(items.len());
            let mut finished = Vec::with_capacity(items.len());
            for row in items.iter().filter_map(line) {
                lines.push(&row);
                finished.push(Finished::from(row));
            }
            (finished, lines)
        };
        let (first, second) = crate::halves::in_two_halves(items, render);
        for (finished, lines) in std::iter::once(first).chain(second) {
            let kept = match self.failure {
                Some(_) => 0,
                None => match self.report.write_rendered(&lines) {
                    Ok(()) => finished.len(),
                    Err(failure) => {
                        self.fail(failure.error);
                        failure.lines_kept
                    }
                },
            };
            for (i, row) in finished.into_iter().enumerate() {
                self.count(row, i < kept);
            }
        }
    }

    /// Keeps the first failure and stops the run: no request is sent once the report cannot
    /// say how it ended.
    fn fail(&mut self, error: std::io::Error) {
        self.stop.cancel();
        self.failure.get_or_insert(ReportFailure {
            error,
            sent: Vec::new(),
        });
    }

    /// Logs a row that ended, counts its outcome and moves the progress bar; `written`: its
    /// line is in the report. A row that fails the run is logged as a warning and kept for
    /// the list that ends the run.
    fn count(&mut self, row: Finished<'_>, written: bool) {
        let line = self
            .lines
            .as_ref()
            .and_then(|lines| lines.get(row.row.wrapping_sub(1)).copied());
        // One event, at the level the outcome asks for (a level must be a constant in tracing).
        macro_rules! row_finished {
            ($level:expr) => {
                tracing::event!(
                    target: "member_sync::rows",
                    $level,
                    row = row.row,
                    line,
                    email = %row.email,
                    outcome = %row.outcome,
                    error = %row.error,
                    "row finished"
                )
            };
        }
        if fails_the_run(row.outcome) {
            row_finished!(tracing::Level::WARN);
            if self.summary.lists(row.row) {
                self.summary.list(RowToCheck {
                    row: row.row,
                    line,
                    email: row.email.to_string(),
                    outcome: row.outcome,
                    why: row.error.to_string(),
                });
            }
        } else {
            row_finished!(tracing::Level::INFO);
        }
        self.summary.add(row.outcome);
        if !written {
            self.summary.add_not_in_report(row.outcome);
            if let Some(failure) = self.failure.as_mut().filter(|_| row.sent) {
                failure.sent.push((row.row, row.outcome));
            }
        }
        self.progress.row_finished(row.outcome);
    }

    /// The run's totals, and the error if the report could not be written whole. The report
    /// file is closed.
    pub(super) fn into_parts(self) -> (Summary, Result<(), RunError>) {
        let written = match &self.failure {
            None => Ok(()),
            Some(failure) => Err(failure.to_run_error(&self.report, &self.summary)),
        };
        (self.summary, written)
    }
}

impl ReportFailure {
    /// `cannot write the report r.csv: No space left on device (os error 28)`, and a hint on
    /// what the report holds and which rows sent to Tallyfy it misses.
    fn to_run_error(&self, report: &ReportWriter, summary: &Summary) -> RunError {
        let missing: Vec<String> = summary
            .not_in_report
            .iter()
            .map(|(outcome, n)| format!("{n} {outcome}"))
            .collect();
        let mut sent: Vec<usize> = self.sent.iter().map(|(row, _)| *row).collect();
        sent.sort_unstable();
        let sent = match sent.as_slice() {
            [] => String::new(),
            rows => format!(
                " Sent to Tallyfy but not in the report, so a `rollback` of it cannot undo them: {}.",
                row_list(rows)
            ),
        };
        RunError::new(format!(
            "cannot write the report {}: {}",
            report.path().display(),
            self.error
        ))
        .hint(format!(
            "the report holds every line written whole; {} not in it ({}).{sent} Free some space, then run the same input again: rows already done are `unchanged`",
            match summary.not_in_report.values().sum::<usize>() {
                1 => "1 row is".to_string(),
                n => format!("{n} rows are"),
            },
            missing.join(", ")
        ))
    }
}

/// `row 4`, `rows 4, 9 and 12`, `rows 4, 9, … and 30 more`.
fn row_list(rows: &[usize]) -> String {
    let named: Vec<String> = rows
        .iter()
        .take(SENT_ROWS_NAMED)
        .map(usize::to_string)
        .collect();
    match (rows.len(), rows.len().saturating_sub(SENT_ROWS_NAMED)) {
        (1, _) => format!("row {}", named[0]),
        (_, 0) => {
            let (last, rest) = named.split_last().expect("two rows or more");
            format!("rows {} and {last}", rest.join(", "))
        }
        (_, more) => format!("rows {} and {more} more", named.join(", ")),
    }
}

/// Sent rows named in the error when the report fails; the rest are counted.
const SENT_ROWS_NAMED: usize = 10;

/// Plan lines rendered before they are written: a few megabytes at most, and enough rows for
/// the batch to be split over two threads.
const LINES_PER_BATCH: usize = 50_000;

/// What is logged and counted of a row once it ended.
struct Finished<'a> {
    row: usize,
    email: Cow<'a, str>,
    outcome: Outcome,
    error: Cow<'a, str>,
    /// A request was sent for it.
    sent: bool,
}

impl<'a> From<ReportRow<'a>> for Finished<'a> {
    fn from(row: ReportRow<'a>) -> Finished<'a> {
        Finished {
            row: row.row,
            email: row.email,
            outcome: row.outcome.expect("every report row has an outcome"),
            error: row.error,
            sent: row.attempts > 0,
        }
    }
}

/// The line of a row the run stopped before planning (the member list could not be read).
pub(super) fn unreached_row<'a>(verdict: &'a RowVerdict, reason: &str) -> ReportRow<'a> {
    match verdict {
        RowVerdict::Invalid(invalid) => invalid_row(invalid),
        RowVerdict::Duplicate(repeat) => duplicate_row(repeat),
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
        RowPlan::Duplicate(repeat) => duplicate_row(repeat),
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

fn duplicate_row(repeat: &DuplicateRow) -> ReportRow<'_> {
    ReportRow {
        row: repeat.row,
        email: repeat.email.as_deref().unwrap_or_default().into(),
        user_id: user_id(repeat.user_id),
        outcome: Some(Outcome::Duplicate),
        error: repeat.reason().into(),
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
