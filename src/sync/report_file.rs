//! The report stage: the report is created before the first request, so every row ends in it
//! whatever happens next, even when the organization cannot be read.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::exit_code::ExitCode;
use crate::progress::Progress;
use crate::report::create_report;
use crate::settings::RunSettings;

use super::RunError;
use super::ledger::Ledger;
use super::lines::unreached_row;
use super::members::Unreached;
use super::run_end::RunEnd;
use super::source::SourceRead;

/// Creates the run's report (`--report`, or one named by time) and the ledger that writes it.
pub(super) fn open(
    settings: &RunSettings,
    progress: &Arc<dyn Progress>,
    stop: &CancellationToken,
    end: &mut RunEnd,
) -> Result<Ledger, RunError> {
    let path = match &settings.report {
        Some(path) => path.clone(),
        None => {
            let dir = settings.report_dir.as_deref().unwrap_or(Path::new(""));
            crate::output_file::ensure_report_dir(dir)?;
            default_report_path(dir, settings.report_format.extension())
        }
    };
    let (report, pending_xlsx) = create_report(&path, settings.report_format)
        .map_err(|e| crate::output_file::Output::report(&path).refused_by(e))?;
    match &pending_xlsx {
        None => progress.note(&format!("report: {}", path.display())),
        Some(pending) => progress.note(&format!(
            "report: {} (written when the run ends; until then line by line in {})",
            path.display(),
            pending.journal().display()
        )),
    }
    end.report = Some(path);
    end.pending_xlsx = pending_xlsx;
    Ok(Ledger::new(report, progress.clone(), stop.clone()))
}

/// The end of a run that could not read the organization: every row gets its line (invalid
/// rows `invalid`, the others `cancelled` with the reason), when there is a reason to give.
pub(super) fn unreached(
    mut ledger: Ledger,
    input: &SourceRead,
    (failure, reason): Unreached,
    end: &mut RunEnd,
    progress: &Arc<dyn Progress>,
) -> Result<ExitCode, RunError> {
    if let Some(reason) = reason {
        for verdict in &input.verdicts {
            ledger.record(unreached_row(verdict, reason));
        }
    }
    let (summary, written) = ledger.into_parts();
    end.summary = Some(summary);
    if let Err(e) = written {
        progress.warn(&e.message, e.hint.as_deref());
    }
    failure
}

/// `member-sync-report-20261124-021500.csv` (or `.xlsx`: `extension`) in `dir` (empty: the
/// current directory), never an existing file.
fn default_report_path(dir: &Path, extension: &str) -> PathBuf {
    let stamp = jiff::ZonedDateTime::now()
        .strftime("%Y%m%d-%H%M%S")
        .to_string();
    let mut path = dir.join(format!("member-sync-report-{stamp}.{extension}"));
    let mut n = 2;
    while path.exists() {
        path = dir.join(format!("member-sync-report-{stamp}-{n}.{extension}"));
        n += 1;
    }
    path
}
