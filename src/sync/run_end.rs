//! What `--summary-json` says about a run: filled in as the run goes, written at its end,
//! whatever the end was.

use std::path::PathBuf;

use crate::exit_code::ExitCode;

use super::{Mode, RunError};

/// What the summary JSON reports about a run, filled in as the run goes.
#[derive(Debug, Default)]
pub(super) struct RunEnd {
    pub org: Option<String>,
    pub report: Option<PathBuf>,
    pub summary: Option<crate::report::Summary>,
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
