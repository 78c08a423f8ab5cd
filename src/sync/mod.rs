//! A `plan` or `apply` run from start to end: ingest → validate → fetch → plan → (confirm →
//! execute) → report. This module only sequences the stages and turns their results into
//! report lines; each decision lives in its stage.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::execute::pool::{Concurrency, apply_updates};
use crate::exit_code::ExitCode;
use crate::guard::ChangeLimit;
use crate::plan::{self, MemberIndex, RowPlan, Update};
use crate::progress::Progress;
use crate::report::create_report;
use crate::rerun;
use crate::settings::{RunSettings, Source, Target};

mod guards;
mod matched;
mod members;
mod outputs;
mod refused;
mod rows;
mod run_end;
mod show;
mod source;

use guards::{Baseline, take_lock};
use members::ExportLoad;
pub(crate) use members::read_members;
use rows::{Ledger, excluded_row, planned_row, stale_row, unreached_row, unsent_row, written_row};
use run_end::RunEnd;
use show::{go_ahead, show_plan};
use source::{read_source, save_plan, stale_rows};

/// What the run does once it has a plan.
#[derive(Debug, Clone, Copy)]
pub enum Mode {
    /// Report the plan; write nothing.
    Plan,
    Apply {
        concurrency: Concurrency,
        yes: bool,
        guards: ApplyGuards,
    },
}

/// The guards `apply` checks before its first write (see `guard.rs`).
#[derive(Debug, Clone, Copy)]
pub struct ApplyGuards {
    pub max_changes: ChangeLimit,
    pub shrink_limit: f64,
    pub force: bool,
}

/// Why a run could not proceed (exit 1).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct RunError {
    pub message: String,
    pub hint: Option<String>,
}

impl RunError {
    pub(crate) fn new(message: impl Into<String>) -> RunError {
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

pub async fn run(
    settings: RunSettings,
    mode: Mode,
    progress: Arc<dyn Progress>,
    stop: CancellationToken,
) -> Result<ExitCode, RunError> {
    let summary_json = settings.summary_json.clone();
    if let Some(path) = &summary_json {
        outputs::check_summary(&settings, path)?;
    }
    let mut end = RunEnd::new(&settings.source);
    // Every log line of the run carries this id (JSON logs show it as `span.run_id`). The span
    // is at level WARN so that it is not filtered out where only warnings are logged (`-q`):
    // the rows and warnings a quiet run logs carry the id too.
    let run_id = format!("{:08x}", rand::random::<u32>());
    let span = tracing::warn_span!("run", run_id = %run_id);
    let result = match outputs::check(&settings) {
        Ok(()) => {
            let run = async {
                let result = run_to_end(settings, mode, progress.clone(), stop, &mut end).await;
                end.tell(progress.as_ref());
                result
            };
            tracing::Instrument::instrument(run, span).await
        }
        Err(refused) => Err(refused),
    };
    let result = end.finish_report(result, progress.as_ref());
    match summary_json {
        None => result,
        Some(path) => {
            let json = end.to_json(mode, &result);
            match crate::report::write_summary_json(&path, &json) {
                Ok(()) => result,
                Err(refused) => Err(RunError {
                    message: format!("the run ended, but {}", refused.message),
                    hint: refused.hint,
                }),
            }
        }
    }
}

async fn run_to_end(
    settings: RunSettings,
    mode: Mode,
    progress: Arc<dyn Progress>,
    stop: CancellationToken,
    end: &mut RunEnd,
) -> Result<ExitCode, RunError> {
    let started = Instant::now();
    let export = ExportLoad::start(&settings);
    let read = match read_source(&settings, progress.as_ref())? {
        Some(read) => read,
        None => return Ok(ExitCode::Success),
    };
    tracing::debug!(
        elapsed_ms = started.elapsed().as_millis(),
        "input read and validated"
    );
    if let Some(refusal) = read.refusal {
        return Ok(end.refused(refusal));
    }
    let (mut verdicts, input_rows, recorded) = (read.verdicts, read.rows, read.recorded);
    let (input_file, keys) = (read.input, read.keys);
    if let Some((report, outcomes)) = &settings.only_rows_from {
        let rows =
            rerun::rows_from_report(report, outcomes, progress.as_ref()).map_err(RunError::new)?;
        if rows.is_empty() {
            progress.note(&format!(
                "no row of {} ended {}: nothing to run again",
                report.display(),
                outcomes
                    .iter()
                    .map(|o| o.as_str())
                    .collect::<Vec<_>>()
                    .join(" or ")
            ));
            return Ok(ExitCode::Success);
        }
        verdicts = rerun::keep_rows(verdicts, &rows, report).map_err(RunError::new)?;
        progress.note(&format!(
            "running again {} rows of {}",
            verdicts.len(),
            report.display()
        ));
    }

    // One `apply` per organization at a time; state is kept for real organizations only (the
    // in-process sandbox starts fresh every run).
    let state = match &settings.target {
        Target::Api(connection) => settings
            .state_dir
            .as_ref()
            .map(|dir| (dir, connection.org_id.as_str())),
        Target::Sandbox | Target::Export(_) => None,
    };
    end.org = state.map(|(_, org)| org.to_string());
    let _lock = match (mode, state) {
        (Mode::Apply { .. }, Some((dir, org))) => {
            let sync = settings.sync.as_ref();
            Some(take_lock(dir, org, sync, progress.as_ref())?)
        }
        _ => None,
    };

    // The report exists before the first request, so every row ends in it whatever happens next.
    let report_path = match &settings.report {
        Some(path) => path.clone(),
        None => {
            let dir = settings.report_dir.as_deref().unwrap_or(Path::new(""));
            crate::output_file::ensure_report_dir(dir)?;
            default_report_path(dir, settings.report_format.extension())
        }
    };
    let (report, pending_xlsx) = create_report(&report_path, settings.report_format)
        .map_err(|e| crate::output_file::Output::report(&report_path).refused_by(e))?;
    match &pending_xlsx {
        None => progress.note(&format!("report: {}", report_path.display())),
        Some(pending) => progress.note(&format!(
            "report: {} (written when the run ends; until then line by line in {})",
            report_path.display(),
            pending.journal().display()
        )),
    }
    end.report = Some(report_path.clone());
    end.pending_xlsx = pending_xlsx;
    let mut ledger = Ledger::new(report, progress.clone(), stop.clone());
    ledger.set_lines(read.lines);

    // The members: from the API (through the engine, which then sends the writes too), a
    // sandbox started for the run, or a saved export (offline). The sandbox handle inside
    // lives until the run ends.
    let reading = members::read_members_keeping(
        &settings,
        mode,
        &stop,
        progress.as_ref(),
        export,
        &mut end.engine,
    );
    let mut source = match reading.await {
        Ok(source) => source,
        Err((failure, reason)) => {
            if let Some(reason) = reason {
                for verdict in &verdicts {
                    ledger.record(unreached_row(verdict, reason));
                }
            }
            let (summary, written) = ledger.into_parts();
            end.summary = Some(summary);
            if let Err(e) = written {
                progress.warn(&e.message, e.hint.as_deref());
            }
            return failure;
        }
    };
    tracing::debug!(elapsed_ms = started.elapsed().as_millis(), "members read");
    let lookup = source.lookup.take();
    let (members, org) = (&source.members, source.org.as_str());
    // Recorded changes (a saved plan, a rollback) apply only where the member still holds
    // what was recorded; the others are `stale`.
    let stale = match (&recorded, &settings.source) {
        (Some(recorded), source) => {
            let force = matches!(source, Source::Rollback { force: true, .. });
            stale_rows(recorded, members, force)
        }
        _ => HashMap::new(),
    };
    if !stale.is_empty() {
        verdicts.retain(|v| !stale.contains_key(&v.row()));
    }
    let index = match lookup {
        Some(lookup) => MemberIndex::with_lookup(members, lookup),
        None => MemberIndex::new(members),
    };
    let inconsistencies = index.inconsistencies();
    if !inconsistencies.is_empty() {
        tracing::warn!(
            "the organization's member list is inconsistent; rows matching these members are invalid: {}",
            inconsistencies.join("; ")
        );
    }
    let plans = plan::plan(verdicts, &index);
    drop(index);
    tracing::debug!(elapsed_ms = started.elapsed().as_millis(), "planned");
    if let Some(recorded) = &recorded {
        for record in recorded.iter().filter(|r| stale.contains_key(&r.row)) {
            ledger.record(stale_row(record, &stale[&record.row]));
        }
    }
    save_plan(&settings, &plans, org, input_file, progress.as_ref())?;
    let excluded = guards::excluded_rows(
        &plans,
        members,
        &settings.exclusions,
        settings.token_owner.as_deref(),
    );
    show_plan(&plans, mode, members.len(), org, progress.as_ref());
    let few_matched = keys
        .filter(|_| !settings.allow_unmatched)
        .and_then(|keys| matched::check(&plans, &keys, org, members.len(), progress.as_ref()));
    if !excluded.is_empty() {
        progress.note(&format!(
            "{} rows left alone: their members are protected (--exclude, --token-owner)",
            excluded.len()
        ));
    }
    // Lines decided before any request go out in a few writes, before the first request.
    let record_plans = |ledger: &mut Ledger, skip_updates: bool| {
        ledger.record_all_decided(&plans, |plan| match plan {
            RowPlan::Update(update) if excluded.contains_key(&update.row) => {
                Some(excluded_row(update, &excluded[&update.row]))
            }
            RowPlan::Update(_) if skip_updates => None,
            plan => Some(planned_row(plan)),
        });
    };

    let updates: Vec<Update> = match mode {
        Mode::Apply { .. } => plans
            .iter()
            .filter_map(|p| match p {
                RowPlan::Update(u) if !excluded.contains_key(&u.row) => Some((**u).clone()),
                _ => None,
            })
            .collect(),
        Mode::Plan => Vec::new(),
    };
    let baseline = match mode {
        Mode::Apply { .. } => Baseline::read(&settings, state, &plans, progress.as_ref()),
        Mode::Plan => None,
    };
    if let Mode::Apply { guards: limits, .. } = mode
        && let Err(refusal) = guards::check_apply(baseline.as_ref(), &updates, members, limits)
    {
        record_plans(&mut ledger, false);
        let (summary, written) = ledger.into_parts();
        end.summary = Some(summary);
        written?;
        return Ok(end.refused(refusal));
    }
    let sandbox = matches!(settings.target, Target::Sandbox);
    if let Mode::Apply { yes, .. } = mode
        && !go_ahead(updates.len(), org, yes, sandbox, progress.as_ref())
    {
        record_plans(&mut ledger, false);
        let (summary, written) = ledger.into_parts();
        end.summary = Some(summary);
        written?;
        progress.note("nothing written: rows that would change are `planned` in the report");
        return Ok(ExitCode::Success);
    }

    progress.start_rows(plans.len() as u64);
    record_plans(&mut ledger, matches!(mode, Mode::Apply { .. }));
    tracing::debug!(
        elapsed_ms = started.elapsed().as_millis(),
        "plan written to the report"
    );

    if let (Mode::Apply { concurrency, .. }, Some(engine)) = (mode, &source.engine)
        && !updates.is_empty()
    {
        progress.sending();
        engine.set_progress(progress.clone());
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
            ledger.record(written_row(by_row[&result.row], &result));
        }
        pool.await
            .map_err(|e| RunError::new(format!("the worker pool failed: {e}")))?;
        for update in updates.iter().filter(|u| !finished.contains(&u.row)) {
            ledger.record(unsent_row(update));
        }
    }
    progress.finish();

    let (mut summary, written) = ledger.into_parts();
    free_in_background((plans, std::mem::take(&mut source.members)));
    let engine = source.engine.as_ref();
    let refusal = engine.and_then(|e| e.refused());
    summary.stats = engine.map(|e| e.stats()).unwrap_or_default();
    summary.duration = started.elapsed();
    progress.note(&summary.to_string());
    if let Some(engine) = engine
        && summary.stats.requests > 0
    {
        progress.note(&engine.held_back().to_string());
    }
    end.summary = Some(summary.clone());
    // A run that reached its end is what the source-shrink guard compares its sync with next
    // (not one that looks like the wrong file).
    if let Some(baseline) = &baseline
        && refusal.is_none()
        && !stop.is_cancelled()
        && few_matched.is_none()
    {
        baseline.record(input_rows, &report_path, progress.as_ref());
    }
    // A report that could not be written whole stopped the run: its error says what is missing.
    written?;
    if let Some((why, error)) = refusal {
        return Err(refused::mid_run(why, error, &report_path, &settings.target));
    }
    if let Some(wait) = engine.and_then(|e| e.outwaited()) {
        progress.warn(
            &format!(
                "{}; the run stopped and every row not done is `cancelled` in {}",
                wait.describe(),
                report_path.display()
            ),
            Some(&format!(
                "run again after {} with --only-rows-from {} (or allow a longer --max-wait)",
                crate::execute::pacing::time_of_day(wait.until),
                report_path.display()
            )),
        );
        return Ok(ExitCode::for_summary(&summary));
    }
    if stop.is_cancelled() {
        progress.note(&format!(
            "{}; rows not done are `cancelled` in {}",
            crate::stop_signals::stopped_by().stopped_run(),
            report_path.display()
        ));
        return Ok(ExitCode::stopped());
    }
    Ok(match mode {
        Mode::Apply { .. } => {
            end.few_matched = few_matched;
            ExitCode::for_apply(&summary, end.few_matched.is_some())
        }
        Mode::Plan => ExitCode::for_plan(&summary, settings.plan_output.detailed_exitcode),
    })
}

/// Frees what a run built on a thread of its own. A hundred thousand rows and members take
/// tens of milliseconds to free one allocation at a time, and nothing waits for that memory.
pub(crate) fn free_in_background<T: Send + 'static>(value: T) {
    // If no thread can be started, the closure and the value in it are dropped right here.
    let _ = std::thread::Builder::new()
        .name("free".into())
        .spawn(move || drop(value));
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
