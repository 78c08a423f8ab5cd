//! What `--summary-json` says about a run: filled in as the run goes, written at its end,
//! whatever the end was.

use std::path::PathBuf;

use crate::exit_code::ExitCode;
use crate::progress::Progress;
use crate::report::PendingXlsx;

use super::{Mode, RunError};

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

/// What the summary JSON reports about a run, filled in as the run goes.
#[derive(Debug, Default)]
pub(super) struct RunEnd {
    pub org: Option<String>,
    pub report: Option<PathBuf>,
    pub summary: Option<crate::report::Summary>,
    /// A workbook report still to be written from its journal when the run ends.
    pub pending_xlsx: Option<PendingXlsx>,
}

impl RunEnd {
    pub(super) fn to_json(
        &self,
        mode: Mode,
        result: &Result<ExitCode, RunError>,
    ) -> serde_json::Value {
        let (exit_code, error) = match result {
            Ok(code) => (code.code(), None),
            Err(e) => (ExitCode::CouldNotRun.code(), Some(e.message.clone())),
        };
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
        let stats = self.summary.as_ref().map(|s| s.stats).unwrap_or_default();
        serde_json::json!({
            "command": match mode { Mode::Plan => "plan", Mode::Apply { .. } => "apply" },
            "org": self.org,
            "exit_code": exit_code,
            "error": error,
            "rows": self.summary.as_ref().map(|s| s.rows()),
            "outcomes": outcomes,
            "not_in_report": not_in_report,
            "requests": stats.requests,
            "retries": stats.retries,
            "throttled": stats.throttled,
            "duration_ms": self.summary.as_ref().map(|s| s.duration.as_millis() as u64),
            "report": self.report.as_ref().map(|p| p.display().to_string()),
            "finished_at": jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        })
    }
}
