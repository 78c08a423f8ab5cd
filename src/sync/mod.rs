//! A `plan` or `apply` run from start to end, as its stages: read the input, take the lock,
//! open the report, read the organization, plan, check the guards, confirm, execute, finish.
//! This module only sequences them (`run_to_end`); each stage is a function of its own
//! module, and each decision lives in the module that owns its policy.

use std::sync::Arc;
use std::time::Instant;

use tokio_util::sync::CancellationToken;

use crate::execute::pool::Concurrency;
use crate::exit_code::ExitCode;
use crate::guard::{self, ChangeLimit};
use crate::plan::Chain;
use crate::progress::Progress;
use crate::settings::{RunSettings, Target};

mod finish;
mod groups;
mod guards;
mod leaving;
mod ledger;
mod lines;
mod matched;
mod members;
mod outputs;
mod planning;
mod refused;
mod report_file;
mod run_end;
mod send;
mod show;
mod source;

use guards::Baseline;
use ledger::Ledger;
use matched::FewMatched;
use members::ExportLoad;
pub(crate) use members::read_members;
use planning::Planned;
use run_end::RunEnd;
use show::go_ahead;

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
    mut settings: RunSettings,
    mode: Mode,
    progress: Arc<dyn Progress>,
    stop: CancellationToken,
) -> Result<ExitCode, RunError> {
    let summary_json = settings.summary_json.clone();
    let html = settings.html.clone();
    let (notify, retention) = (std::mem::take(&mut settings.notify), settings.retention);
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
                let result = end.write_html(html.as_ref(), mode, result, progress.as_ref());
                end.tell(progress.as_ref());
                result
            };
            tracing::Instrument::instrument(run, span).await
        }
        Err(refused) => Err(refused),
    };
    let result = end.finish_report(result, progress.as_ref());
    let result = match summary_json {
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
    };
    // After the report and the summary: old reports go, then people are told (#21).
    if let (Some(retention), Some(report)) = (retention, &end.report) {
        retention.prune(report, progress.as_ref());
    }
    let summary = end.to_json(mode, &result);
    notify
        .send(&summary, end.summary.as_ref(), progress.as_ref())
        .await;
    result
}

/// The stages of a run, in order. Each returns what the next needs; a stage that ends the run
/// returns its result through [`Stage::End`].
async fn run_to_end(
    settings: RunSettings,
    mode: Mode,
    progress: Arc<dyn Progress>,
    stop: CancellationToken,
    end: &mut RunEnd,
) -> Result<ExitCode, RunError> {
    let started = Instant::now();
    let export = ExportLoad::start(&settings);
    let mut input = match source::read_input(&settings, progress.as_ref())? {
        Stage::Go(input) => input,
        Stage::End(code) => return Ok(code),
        Stage::Refused(refusal) => return Ok(end.refused(refusal)),
    };
    tracing::debug!(elapsed_ms = started.elapsed().as_millis(), "input read");
    let input_rows = input.rows;
    let state = guards::state_of(&settings);
    end.org = state.map(|(_, org)| org.to_string());
    let _lock = guards::lock_for(mode, state, &settings, progress.as_ref())?;
    let mut ledger = report_file::open(&settings, &progress, &stop, end)?;
    ledger.set_lines(input.lines.take());
    let reading = members::read_members_keeping(
        &settings,
        mode,
        &stop,
        progress.as_ref(),
        export,
        &mut end.engine,
    );
    let mut org = match reading.await {
        Ok(org) => org,
        Err(unreached) => return report_file::unreached(ledger, &input, unreached, end, &progress),
    };
    tracing::debug!(elapsed_ms = started.elapsed().as_millis(), "members read");
    let planned = planning::plan_run(&settings, mode, input, &mut org, &mut ledger, &progress)?;
    tracing::debug!(elapsed_ms = started.elapsed().as_millis(), "planned");
    let baseline = guards::baseline(&settings, mode, state, &planned, progress.as_ref());
    let to_send = match decide(
        &settings,
        mode,
        &planned,
        &org,
        baseline.as_ref(),
        &progress,
    ) {
        Decision::Send(to_send) => to_send,
        Decision::Stop(stopped) => return stopped.end(ledger, &planned, end, &progress),
    };
    progress.start_rows(planned.lines() as u64);
    send::record_decided(&mut ledger, &planned, matches!(mode, Mode::Apply { .. }));
    if let (Mode::Apply { concurrency, .. }, Some(engine)) = (mode, &org.engine) {
        let invited = send::send(engine, concurrency, to_send, &mut ledger, &progress).await?;
        if let Some(group_run) = &planned.groups {
            groups::send(engine, group_run, &invited, &mut ledger).await;
        }
    }
    progress.finish();
    let ended = Ended {
        settings: &settings,
        mode,
        started,
        stop: &stop,
        input_rows,
        baseline: baseline.as_ref(),
        few_matched: planned.few_matched.clone(),
    };
    finish::finish(ended, ledger, planned, org, end, progress.as_ref())
}

/// A stage's verdict on whether the run goes on.
enum Stage<T> {
    Go(T),
    /// The run ends here with this code (nothing to do).
    End(ExitCode),
    /// A guard refuses the run (exit 4).
    Refused(guard::Refusal),
}

/// What `apply` does after the guards and the question: send these chains, or stop.
enum Decision {
    Send(Vec<Chain>),
    Stop(Stopped),
}

/// The guards of `apply`, then the confirmation question; `plan` sends nothing.
fn decide(
    settings: &RunSettings,
    mode: Mode,
    planned: &Planned,
    org: &members::Members,
    baseline: Option<&Baseline>,
    progress: &Arc<dyn Progress>,
) -> Decision {
    let max_leavers = settings.lifecycle.max_leavers;
    let group_guard = |force| match planned.groups.as_ref().and_then(|run| run.limit) {
        Some(limit) => guard::groups::check_group_removals(planned.group_changes(), limit, force),
        None => Ok(()),
    };
    let Mode::Apply { yes, guards, .. } = mode else {
        // `plan` sends nothing, but says what `apply` would refuse.
        let checked = guards::check_leavers(&planned.to_send(), &org.members, max_leavers)
            .and_then(|()| group_guard(false));
        if let Err(refusal) = checked {
            progress.warn(
                &format!("apply would refuse: {refusal}"),
                Some(&refusal.hint),
            );
        }
        return Decision::Send(Vec::new());
    };
    let to_send = planned.to_send();
    let checked = guards::check_leavers(&to_send, &org.members, max_leavers)
        .and_then(|()| group_guard(guards.force))
        .and_then(|()| guards::check_apply(baseline, &to_send, &org.members, guards));
    if let Err(refusal) = checked {
        return Decision::Stop(Stopped::Refused(refusal));
    }
    let sandbox = matches!(settings.target, Target::Sandbox);
    let writes = to_send.len() + planned.group_changes().len();
    if !go_ahead(writes, &org.org, yes, sandbox, progress.as_ref()) {
        return Decision::Stop(Stopped::Declined);
    }
    Decision::Send(to_send)
}

/// Why `apply` stopped before its first write.
enum Stopped {
    Refused(guard::Refusal),
    Declined,
}

impl Stopped {
    /// Writes the plan's lines (the chains `planned`), and ends the run.
    fn end(
        self,
        mut ledger: Ledger,
        planned: &Planned,
        end: &mut RunEnd,
        progress: &Arc<dyn Progress>,
    ) -> Result<ExitCode, RunError> {
        send::record_decided(&mut ledger, planned, false);
        let (summary, written) = ledger.into_parts();
        end.summary = Some(summary);
        written?;
        match self {
            Stopped::Refused(refusal) => Ok(end.refused(refusal)),
            Stopped::Declined => {
                progress
                    .note("nothing written: rows that would change are `planned` in the report");
                Ok(ExitCode::Success)
            }
        }
    }
}

/// What the last stage needs of the run besides its ledger, plan and organization.
struct Ended<'a> {
    settings: &'a RunSettings,
    mode: Mode,
    started: Instant,
    /// Rows the input had (kept in the sync's last-run record).
    input_rows: usize,
    stop: &'a CancellationToken,
    baseline: Option<&'a Baseline<'a>>,
    few_matched: Option<FewMatched>,
}

/// Frees what a run built on a thread of its own. A hundred thousand rows and members take
/// tens of milliseconds to free one allocation at a time, and nothing waits for that memory.
pub(crate) fn free_in_background<T: Send + 'static>(value: T) {
    // If no thread can be started, the closure and the value in it are dropped right here.
    let _ = std::thread::Builder::new()
        .name("free".into())
        .spawn(move || drop(value));
}
