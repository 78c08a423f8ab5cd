//! The finish stage of a run that got past the plan: the summary (with the requests the
//! engine sent, and what held the pace back), the sync's baseline for its next run, and the
//! run's exit code. A refusal mid-run, a wait longer than `--max-wait`, a stop signal, or a
//! report that could not be written whole each end the run their own way.

use std::path::Path;

use crate::execute::Engine;
use crate::exit_code::ExitCode;
use crate::progress::Progress;
use crate::report::Summary;
use crate::settings::Source;
use crate::settings::lifecycle::Leavers;

use super::ledger::Ledger;
use super::members::Members;
use super::planning::Planned;
use super::run_end::RunEnd;
use super::{Ended, Mode, RunError, refused};

/// Closes the ledger, tells the summary, keeps the baseline, and gives the exit code.
pub(super) fn finish(
    ended: Ended<'_>,
    ledger: Ledger,
    mut planned: Planned,
    mut org: Members,
    end: &mut RunEnd,
    progress: &dyn Progress,
) -> Result<ExitCode, RunError> {
    let (mut summary, written) = ledger.into_parts();
    let grace = planned.grace.take();
    let ignored = ignored_leavers(&planned, &ended);
    super::free_in_background((planned, std::mem::take(&mut org.members)));
    let engine = org.engine.as_deref();
    summary.stats = engine.map(|e| e.stats()).unwrap_or_default();
    summary.duration = ended.started.elapsed();
    tell_summary(&summary, engine, progress);
    if let Some(ignored) = ignored {
        progress.note(&ignored);
    }
    end.summary = Some(summary.clone());
    let report = end.report.clone().unwrap_or_default();
    // A run that reached its end is what the source-shrink guard compares its sync with next
    // (not one that looks like the wrong file), and counts in its leavers' absences.
    let completed = engine.and_then(Engine::refused).is_none()
        && !ended.stop.is_cancelled()
        && ended.few_matched.is_none();
    if let Some(baseline) = ended.baseline.filter(|_| completed) {
        baseline.record(ended.input_rows, &report, progress);
    }
    if let (Some(grace), Mode::Apply { .. }, true) = (grace, ended.mode, completed)
        && let Err(e) = grace.save()
    {
        progress.warn(
            &format!("cannot keep this run's leaver counts: {e}; the next run counts from its own"),
            None,
        );
    }
    // A report that could not be written whole stopped the run: its error says what is missing.
    written?;
    if let Some(code) = stopped_early(&ended, engine, &summary, &report, progress)? {
        return Ok(code);
    }
    Ok(match ended.mode {
        Mode::Apply { .. } if matches!(ended.settings.source, Source::Rollback { .. }) => {
            ExitCode::for_rollback(&summary)
        }
        Mode::Apply { .. } => {
            end.few_matched = ended.few_matched;
            ExitCode::for_apply(&summary, end.few_matched.is_some())
        }
        Mode::Plan => ExitCode::for_plan(&summary, ended.settings.plan_output.detailed_exitcode),
    })
}

/// Under `--leavers ignore`, how many active members the whole directory leaves out, and how
/// to see them: the default acts on nobody, but says so.
fn ignored_leavers(planned: &Planned, ended: &Ended<'_>) -> Option<String> {
    let absent = planned.leavers.absent;
    let ignoring = ended.settings.lifecycle.leavers == Leavers::Ignore;
    (planned.whole_directory && ignoring && absent > 0).then(|| {
        let members = match absent {
            1 => "1 active member of the organization is".to_string(),
            n => format!("{n} active members of the organization are"),
        };
        format!(
            "{members} not in the input; leavers are ignored (--leavers ignore): `member-sync plan INPUT --leavers report` lists them"
        )
    })
}

/// The summary line, and what held the pace back when anything was sent.
fn tell_summary(summary: &Summary, engine: Option<&Engine>, progress: &dyn Progress) {
    progress.note(&summary.to_string());
    if let Some(engine) = engine
        && summary.stats.requests > 0
    {
        progress.note(&engine.held_back().to_string());
    }
}

/// The end of a run stopped before its end: by a refused token or certificate (an error), a
/// wait longer than `--max-wait`, or a stop signal; `None` when it ran to its end.
fn stopped_early(
    ended: &Ended<'_>,
    engine: Option<&Engine>,
    summary: &Summary,
    report: &Path,
    progress: &dyn Progress,
) -> Result<Option<ExitCode>, RunError> {
    if let Some((why, error)) = engine.and_then(Engine::refused) {
        let target = &ended.settings.target;
        return Err(refused::mid_run(why, error, report, target));
    }
    if let Some(wait) = engine.and_then(Engine::outwaited) {
        progress.warn(
            &format!(
                "{}; the run stopped and every row not done is `cancelled` in {}",
                wait.describe(),
                report.display()
            ),
            Some(&format!(
                "run again after {} with --only-rows-from {} (or allow a longer --max-wait)",
                crate::execute::pacing::time_of_day(wait.until),
                report.display()
            )),
        );
        return Ok(Some(ExitCode::for_summary(summary)));
    }
    if ended.stop.is_cancelled() {
        progress.note(&format!(
            "{}; rows not done are `cancelled` in {}",
            crate::stop_signals::stopped_by().stopped_run(),
            report.display()
        ));
        return Ok(Some(ExitCode::stopped()));
    }
    Ok(None)
}
