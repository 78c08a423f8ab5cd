//! The [`Ledger`]: writes each report line (`lines.rs` makes them), counts its outcome and
//! moves the progress bar, and stops the run when the report cannot be written.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::exit_code::fails_the_run;
use crate::plan::LineKey;
use crate::progress::Progress;
use crate::report::{Outcome, RenderedLines, ReportRow, ReportWriter, RowToCheck, Summary};

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
    /// What each row's line says of groups (`--groups-from`), by row.
    group_cells: BTreeMap<usize, String>,
}

/// The write that failed, and the rows that ended after it.
struct ReportFailure {
    error: std::io::Error,
    /// Lines a request was sent for, not in the report: `(line, outcome)`.
    sent: Vec<(LineKey, Outcome)>,
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
            group_cells: BTreeMap::new(),
        }
    }

    /// The line of the input each row starts on, for the rows a person is told about.
    pub(super) fn set_lines(&mut self, lines: Option<Vec<u64>>) {
        self.lines = lines;
    }

    /// What each row's line says of groups, by row: filled into the row's `groups` cell.
    pub(super) fn set_group_cells(&mut self, cells: BTreeMap<usize, String>) {
        self.group_cells = cells;
    }

    /// `row` with its `groups` cell, when the row has one.
    fn with_groups<'r>(cells: &BTreeMap<usize, String>, mut row: ReportRow<'r>) -> ReportRow<'r> {
        if let (Some(number), true) = (row.line.row(), row.groups.is_empty())
            && let Some(cell) = cells.get(&number)
        {
            row.groups.clone_from(cell);
        }
        row
    }

    /// Writes a row's line to the file (unless the report already failed) and counts it.
    pub(super) fn record(&mut self, row: ReportRow<'_>) {
        let row = Self::with_groups(&self.group_cells, row);
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
        let cells = &self.group_cells;
        let render = |items: &'a [T]| -> (Vec<Finished<'a>>, RenderedLines) {
            let mut lines = RenderedLines::with_capacity(items.len());
            let mut finished = Vec::with_capacity(items.len());
            let rows = items.iter().filter_map(line);
            for row in rows.map(|row| Self::with_groups(cells, row)) {
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
        let line = row.key.row().and_then(|number| {
            let lines = self.lines.as_ref()?;
            lines.get(number.wrapping_sub(1)).copied()
        });
        // One event, at the level the outcome asks for (a level must be a constant in tracing).
        macro_rules! row_finished {
            ($level:expr) => {
                tracing::event!(
                    target: "member_sync::rows",
                    $level,
                    row = row.key.row(),
                    member = row.key.member(),
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
            if self.summary.lists(row.key) {
                self.summary.list(RowToCheck {
                    key: row.key,
                    line,
                    email: row.email.to_string(),
                    outcome: row.outcome,
                    why: row.error.to_string(),
                });
            }
        } else {
            row_finished!(tracing::Level::INFO);
        }
        self.summary.add_line(row.key, row.outcome);
        if !written {
            self.summary.add_not_in_report(row.outcome);
            if let Some(failure) = self.failure.as_mut().filter(|_| row.sent) {
                failure.sent.push((row.key, row.outcome));
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
        let mut sent: Vec<LineKey> = self.sent.iter().map(|(key, _)| *key).collect();
        sent.sort_unstable();
        let sent = match sent.as_slice() {
            [] => String::new(),
            keys => format!(
                " Sent to Tallyfy but not in the report, so a `rollback` of it cannot undo them: {}.",
                line_list(keys)
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

/// `row 4`, `rows 4, 9 and 12`, `rows 4, 9, … and 30 more`; members without a row named
/// after the rows (`rows 4 and 9, member 1042`).
fn line_list(keys: &[LineKey]) -> String {
    let rows: Vec<usize> = keys.iter().filter_map(|key| key.row()).collect();
    let members: Vec<u64> = keys.iter().filter_map(|key| key.member()).collect();
    let mut parts = Vec::new();
    if !rows.is_empty() {
        parts.push(named_list("row", "rows", &rows));
    }
    if !members.is_empty() {
        parts.push(named_list("member", "members", &members));
    }
    parts.join(", ")
}

/// `row 4`, `rows 4, 9 and 12`, `rows 4, 9, … and 30 more`.
fn named_list<N: ToString>(one: &str, many: &str, numbers: &[N]) -> String {
    let named: Vec<String> = numbers
        .iter()
        .take(SENT_ROWS_NAMED)
        .map(N::to_string)
        .collect();
    match (numbers.len(), numbers.len().saturating_sub(SENT_ROWS_NAMED)) {
        (1, _) => format!("{one} {}", named[0]),
        (_, 0) => {
            let (last, rest) = named.split_last().expect("two or more");
            format!("{many} {} and {last}", rest.join(", "))
        }
        (_, more) => format!("{many} {} and {more} more", named.join(", ")),
    }
}

/// Sent rows named in the error when the report fails; the rest are counted.
const SENT_ROWS_NAMED: usize = 10;

/// Plan lines rendered before they are written: a few megabytes at most, and enough rows for
/// the batch to be split over two threads.
const LINES_PER_BATCH: usize = 50_000;

/// What is logged and counted of a line once it ended.
struct Finished<'a> {
    key: LineKey,
    email: Cow<'a, str>,
    outcome: Outcome,
    error: Cow<'a, str>,
    /// A request was sent for it.
    sent: bool,
}

impl<'a> From<ReportRow<'a>> for Finished<'a> {
    fn from(row: ReportRow<'a>) -> Finished<'a> {
        // A group's line is named by its group.
        let email = match row.line {
            LineKey::Group(_) => Cow::Owned(row.groups),
            _ => row.email,
        };
        Finished {
            key: row.line,
            email,
            outcome: row.outcome.expect("every report row has an outcome"),
            error: row.error,
            sent: row.attempts > 0,
        }
    }
}
