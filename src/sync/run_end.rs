//! How a run ends, whatever the end was: what it tells a person last (the rows that did not
//! go through, a guard's refusal), and what `--summary-json` says about it for monitoring.
//!
//! Filled in as the run goes, so that a run stopped half-way (a guard, a refused token, an
//! error) still reports the requests it really sent, the paths it used, and why it stopped.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use crate::execute::{Engine, StatsSnapshot};
use crate::exit_code::ExitCode;
use crate::guard::Refusal;
use crate::progress::Progress;
use crate::report::{HtmlTarget, PendingXlsx, RunFacts, Summary, write_html};
use crate::settings::Source;

use super::matched::FewMatched;
use super::{Mode, RunError, guards, show};

/// What the end of a run says, filled in as the run goes.
pub(super) struct RunEnd {
    pub org: Option<String>,
    pub report: Option<PathBuf>,
    /// The file the changes come from (an export, a saved plan, a report to undo).
    pub input: Option<PathBuf>,
    pub summary: Option<Summary>,
    /// The run's engine, once it has one: the requests it sent, whatever the end.
    pub engine: Option<Arc<Engine>>,
    /// A guard refused the run: told after the rows to check, and the summary's `error`.
    pub refusal: Option<Refusal>,
    /// Too few rows matched a member (`apply`): exit 5, and the summary's `error`.
    pub few_matched: Option<FewMatched>,
    /// A workbook report still to be written from its journal when the run ends.
    pub pending_xlsx: Option<PendingXlsx>,
    started: Instant,
}

impl RunEnd {
    /// Writes a workbook report from its journal, whatever the run's end. When it cannot be
    /// written, the journal is the report: a run that had ended well fails with that (exit
    /// 1, as when the summary cannot be written); a run that had failed keeps its own error,
    /// and the workbook's is a warning.
    pub(super) fn finish_report(
        &mut self,
        result: Result<ExitCode, RunError>,
        progress: &dyn Progress,
    ) -> Result<ExitCode, RunError> {
        let Some(pending) = self.pending_xlsx.take() else {
            return result;
        };
        let (target, journal) = (
            pending.target().to_path_buf(),
            pending.journal().to_path_buf(),
        );
        match pending.finish() {
            Ok(written) => {
                if let Some((line, column)) = written.cut_cells.first() {
                    let (cells, hold, are) = match written.cut_cells.len() {
                        1 => ("1 cell".to_string(), "holds", "is"),
                        n => (format!("{n} cells"), "hold", "are"),
                    };
                    progress.note(&format!(
                        "warning: {cells} of {} {hold} more than a spreadsheet cell does (32,767 characters) and {are} cut there, the first on line {line} (`{column}`); {} keeps the whole lines",
                        target.display(),
                        journal.display()
                    ));
                }
                result
            }
            Err(e) => {
                self.report = Some(journal.clone());
                let error = RunError::new(format!(
                    "the XLSX report could not be written to {}: {e}",
                    target.display()
                ))
                .hint(format!(
                    "every line of the report is in {}, a CSV report that `rollback` and `--only-rows-from` read",
                    journal.display()
                ));
                match result {
                    Ok(_) => Err(error),
                    Err(run_error) => {
                        progress.note(&format!(
                            "warning: {error} ({})",
                            error.hint.as_deref().unwrap_or_default()
                        ));
                        Err(run_error)
                    }
                }
            }
        }
    }
}

impl RunEnd {
    /// Writes the HTML report of a run that has a report, from the report's lines as written
    /// (a workbook's journal, before it becomes the workbook). A page that cannot be written
    /// fails a run that had ended well (exit 1); after a run that had failed, it is a warning.
    pub(super) fn write_html(
        &self,
        target: Option<&HtmlTarget>,
        mode: Mode,
        result: Result<ExitCode, RunError>,
        progress: &dyn Progress,
    ) -> Result<ExitCode, RunError> {
        let (Some(target), Some(report)) = (target, &self.report) else {
            return result;
        };
        let lines = self
            .pending_xlsx
            .as_ref()
            .map_or(report.as_path(), |p| p.journal());
        match write_html(target, &self.html_facts(mode, &result, report), lines) {
            Ok(path) => {
                progress.note(&format!("HTML report: {}", path.display()));
                result
            }
            Err(refused) => match result {
                Ok(_) => Err(refused.into()),
                Err(run_error) => {
                    let hint = refused.hint.map(|h| format!(" ({h})")).unwrap_or_default();
                    progress.note(&format!("warning: {}{hint}", refused.message));
                    Err(run_error)
                }
            },
        }
    }

    /// What the HTML report's headline says: the run's own counts and requests, as the
    /// summary JSON has them.
    fn html_facts<'a>(
        &'a self,
        mode: Mode,
        result: &Result<ExitCode, RunError>,
        report: &'a Path,
    ) -> RunFacts<'a> {
        let (exit_code, error, hint) = self.ending(result);
        let (finished, duration) = (jiff::ZonedDateTime::now(), self.started.elapsed());
        let stats = self.stats();
        let summary = self.summary.as_ref();
        RunFacts {
            command: command(mode),
            org: self.org.as_deref(),
            started: finished.checked_sub(duration).unwrap_or(finished.clone()),
            finished,
            duration,
            counts: summary.map(|s| s.counts.iter().map(|(o, n)| (o.to_string(), *n)).collect()),
            members: summary.map_or(0, |s| s.members_without_a_row()),
            groups: summary.map_or(0, |s| s.groups()),
            not_in_report: summary.map_or(0, |s| s.not_in_report.values().sum()),
            pace: (self.engine.as_ref())
                .filter(|_| stats.requests > 0)
                .map(|engine| engine.held_back().to_string()),
            stats,
            exit_code,
            error,
            hint,
            report,
        }
    }

    pub(super) fn new(source: &Source) -> RunEnd {
        let input = match source {
            Source::Export { path, .. } | Source::SavedPlan(path) => Some(path.clone()),
            Source::Rollback { report, .. } => Some(report.clone()),
            Source::None => None,
        };
        RunEnd {
            org: None,
            report: None,
            input,
            summary: None,
            engine: None,
            refusal: None,
            few_matched: None,
            pending_xlsx: None,
            started: Instant::now(),
        }
    }

    /// Keeps a guard's refusal for the end of the run; the run's code.
    pub(super) fn refused(&mut self, refusal: Refusal) -> ExitCode {
        self.refusal = Some(refusal);
        ExitCode::GuardRefused
    }

    /// The last lines of a run: every row that did not go through (the first 20), then a
    /// guard's refusal, so that the error is the last line a person reads.
    pub(super) fn tell(&self, progress: &dyn Progress) {
        if let (Some(summary), Some(report)) = (&self.summary, &self.report) {
            show::rows_to_check(summary, report, progress);
        }
        if let Some(refusal) = &self.refusal {
            guards::refuse(refusal);
        }
    }

    pub(super) fn to_json(
        &self,
        mode: Mode,
        result: &Result<ExitCode, RunError>,
    ) -> serde_json::Value {
        let (exit_code, error, hint) = self.ending(result);
        let outcomes: serde_json::Map<String, serde_json::Value> = self
            .summary
            .iter()
            .flat_map(|s| s.counts.iter())
            .map(|(outcome, n)| (outcome.to_string(), (*n).into()))
            .collect();
        let not_in_report: serde_json::Map<String, serde_json::Value> = self
            .summary
            .iter()
            .flat_map(|s| s.not_in_report.iter())
            .map(|(outcome, n)| (outcome.to_string(), (*n).into()))
            .collect();
        let stats = self.stats();
        serde_json::json!({
            "command": command(mode),
            "org": self.org,
            "exit_code": exit_code,
            "error": error,
            "hint": hint,
            "rows": self.summary.as_ref().map(|s| s.rows() - s.members_without_a_row() - s.groups()),
            "members_without_a_row": self.summary.as_ref().map(|s| s.members_without_a_row()),
            "groups": self.summary.as_ref().map(|s| s.groups()),
            "outcomes": outcomes,
            "not_in_report": not_in_report,
            "requests": stats.requests,
            "retries": stats.retries,
            "throttled": stats.throttled,
            "pace": self.engine.as_ref().map(|e| e.held_back().to_string()),
            "duration_ms": self.started.elapsed().as_millis() as u64,
            "input": self.input.as_deref().map(absolute),
            "report": self.report.as_deref().map(absolute),
            "finished_at": jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        })
    }

    /// The run's exit code, and the error and hint it ended with, if any.
    fn ending(&self, result: &Result<ExitCode, RunError>) -> (u8, Option<String>, Option<String>) {
        match result {
            Ok(code) => {
                let (error, hint) = self.why(*code).unzip();
                (code.code(), error, hint)
            }
            Err(e) => (
                ExitCode::CouldNotRun.code(),
                Some(e.message.clone()),
                e.hint.clone(),
            ),
        }
    }

    /// The requests sent: the engine's count when the run had one, however it ended.
    fn stats(&self) -> StatsSnapshot {
        match (&self.engine, &self.summary) {
            (Some(engine), _) => engine.stats(),
            (None, Some(summary)) => summary.stats,
            (None, None) => StatsSnapshot::default(),
        }
    }

    /// Why a run that ended with `code` did not succeed, and what to do: the message and
    /// hint printed for it.
    fn why(&self, code: ExitCode) -> Option<(String, String)> {
        match code {
            ExitCode::GuardRefused => self
                .refusal
                .as_ref()
                .map(|refusal| (guards::refusal_message(refusal), refusal.hint.clone())),
            ExitCode::FewMatched => self
                .few_matched
                .as_ref()
                .map(|few| (few.message.clone(), few.hint.clone())),
            _ => None,
        }
    }
}

/// The command a run of `mode` is (`rollback` runs as an `apply`).
fn command(mode: Mode) -> &'static str {
    match mode {
        Mode::Plan => "plan",
        Mode::Apply { .. } => "apply",
    }
}

/// `path` from the root, for a monitor that reads the summary elsewhere (`-`, standard
/// input, stays as it is).
fn absolute(path: &Path) -> String {
    if path == Path::new("-") {
        return "-".into();
    }
    std::path::absolute(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string()
}
