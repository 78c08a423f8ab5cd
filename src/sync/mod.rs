//! A `plan` or `apply` run from start to end: ingest → validate → fetch → plan → (confirm →
//! execute) → report. This module only sequences the stages and turns their results into
//! report lines; each decision lives in its stage.

use std::collections::{HashMap, HashSet};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::execute::pool::{Concurrency, apply_updates};
use crate::exit_code::ExitCode;
use crate::ingest;
use crate::plan::{self, MemberIndex, RowPlan, Update};
use crate::progress::Progress;
use crate::report::{Outcome, ReportRow, ReportWriter};
use crate::settings::{RunSettings, Target};
use crate::validate;

mod members;
mod rows;
mod show;

use rows::{Ledger, identity, planned_row, unreached_row, written_row};
use show::{confirm, show_plan};

/// What the run does once it has a plan.
#[derive(Debug, Clone, Copy)]
pub enum Mode {
    /// Report the plan; write nothing.
    Plan,
    Apply {
        concurrency: Concurrency,
        yes: bool,
    },
}

/// Why a run could not proceed (exit 1).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct RunError {
    pub message: String,
    pub hint: Option<String>,
}

impl RunError {
    fn new(message: impl Into<String>) -> RunError {
        RunError {
            message: message.into(),
            hint: None,
        }
    }

    fn hint(mut self, hint: impl Into<String>) -> RunError {
        self.hint = Some(hint.into());
        self
    }
}

const TOKEN_HINT: &str = "get a new token in Tallyfy (Settings > Integrations > REST API); personal tokens expire after about 6 months and when their owner logs out of the web app";

pub async fn run(
    settings: RunSettings,
    mode: Mode,
    progress: Arc<dyn Progress>,
    stop: CancellationToken,
) -> Result<ExitCode, RunError> {
    let started = Instant::now();
    let table = ingest::load(&settings.input).map_err(|e| RunError::new(e.to_string()))?;
    if !table.unknown_columns.is_empty() {
        progress.note(&format!(
            "ignoring columns that map to no Tallyfy field: {}",
            table.unknown_columns.join(", ")
        ));
    }
    let verdicts = validate::validate(&table);

    // The report exists before the first request, so every row ends in it whatever happens next.
    let report_path = settings.report.clone().unwrap_or_else(default_report_path);
    let report = ReportWriter::create(&report_path).map_err(|e| {
        RunError::new(format!(
            "cannot create the report {}: {e}",
            report_path.display()
        ))
        .hint("choose another path with --report (an existing report is never overwritten)")
    })?;
    progress.note(&format!("report: {}", report.path().display()));
    let mut ledger = Ledger::new(report, progress.clone());

    let source = match members::read_members(&settings, mode, &stop, progress.as_ref()).await {
        Ok(source) => source,
        Err((failure, reason)) => {
            progress.finish();
            if let Some(reason) = reason {
                for verdict in &verdicts {
                    ledger.record(unreached_row(verdict, reason))?;
                }
            }
            return failure;
        }
    };
    let (members, org) = (&source.members, source.org.as_str());
    let plans = plan::plan(&verdicts, &MemberIndex::new(members));
    show_plan(&plans, mode, members.len(), org, progress.as_ref());

    let updates: Vec<Update> = match mode {
        Mode::Apply { .. } => plans
            .iter()
            .filter_map(|p| match p {
                RowPlan::Update(u) => Some(u.clone()),
                _ => None,
            })
            .collect(),
        Mode::Plan => Vec::new(),
    };
    // The sandbox touches nothing real, so a rehearsal is not interrupted by a question.
    if let Mode::Apply { yes: false, .. } = mode
        && !updates.is_empty()
        && !matches!(settings.target, Target::Sandbox)
        && std::io::stdin().is_terminal()
        && !confirm(updates.len(), org)
    {
        for plan in &plans {
            ledger.record_decided(planned_row(plan))?;
        }
        ledger.flush()?;
        progress.note("nothing written: rows that would change are `planned` in the report");
        return Ok(ExitCode::Success);
    }

    progress.start_rows(plans.len() as u64);
    for plan in &plans {
        if !matches!((plan, mode), (RowPlan::Update(_), Mode::Apply { .. })) {
            ledger.record_decided(planned_row(plan))?;
        }
    }
    ledger.flush()?;

    if let (Mode::Apply { concurrency, .. }, Some(engine)) = (mode, &source.engine)
        && !updates.is_empty()
    {
        progress.sending();
        let concurrency = engine.workers(concurrency);
        tracing::info!(concurrency, rate = %engine.rate(), "sending the updates");
        let updates = Arc::new(updates);
        let (sender, mut results) = mpsc::unbounded_channel();
        let pool = tokio::spawn(apply_updates(
            engine.clone(),
            updates.clone(),
            concurrency,
            sender,
        ));
        let by_row: HashMap<usize, &Update> = updates.iter().map(|u| (u.row, u)).collect();
        let mut finished = HashSet::new();
        while let Some(result) = results.recv().await {
            finished.insert(result.row);
            if let Err(e) = ledger.record(written_row(by_row[&result.row], &result)) {
                stop.cancel();
                return Err(e);
            }
        }
        pool.await
            .map_err(|e| RunError::new(format!("the worker pool failed: {e}")))?;
        for update in updates.iter().filter(|u| !finished.contains(&u.row)) {
            let row = ReportRow {
                outcome: Some(Outcome::Cancelled),
                error: "not sent: the run was stopped".into(),
                ..identity(update)
            }
            .with_changes(&update.changes);
            ledger.record(row)?;
        }
    }
    progress.finish();

    let (report, mut summary) = ledger.into_parts();
    let engine = source.engine.as_ref();
    summary.stats = engine.map(|e| e.stats()).unwrap_or_default();
    summary.duration = started.elapsed();
    progress.note(&summary.to_string());
    if engine.is_some_and(|e| e.token_refused()) {
        return Err(RunError::new(format!(
            "the access token was refused (HTTP 401); the run stopped and every row not done is `cancelled` in {}",
            report.path().display()
        ))
        .hint(TOKEN_HINT));
    }
    if stop.is_cancelled() {
        progress.note(&format!(
            "interrupted; rows not done are `cancelled` in {}",
            report.path().display()
        ));
        return Ok(ExitCode::Interrupted);
    }
    Ok(ExitCode::for_summary(&summary))
}

/// `member-sync-report-20261124-021500.csv` in the current directory, never an existing file.
fn default_report_path() -> PathBuf {
    let stamp = jiff::ZonedDateTime::now()
        .strftime("%Y%m%d-%H%M%S")
        .to_string();
    let mut path = PathBuf::from(format!("member-sync-report-{stamp}.csv"));
    let mut n = 2;
    while Path::new(&path).exists() {
        path = PathBuf::from(format!("member-sync-report-{stamp}-{n}.csv"));
        n += 1;
    }
    path
}
