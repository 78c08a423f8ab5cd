//! A `plan` or `apply` run from start to end: ingest → validate → fetch → plan → (confirm →
//! execute) → report. This module only sequences the stages and turns their results into
//! report lines; each decision lives in its stage.

use std::collections::{HashMap, HashSet};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use secrecy::SecretString;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::api::{Client, Connection, Member};
use crate::execute::pool::apply_updates;
use crate::execute::{Engine, fetch};
use crate::exit_code::ExitCode;
use crate::guard::{self, ChangeLimit};
use crate::ingest;
use crate::plan::{self, MemberIndex, RowPlan, Update};
use crate::progress::Progress;
use crate::replay::plan_file::PlanFile;
use crate::replay::{Recorded, rollback};
use crate::report::{Outcome, ReportRow, ReportWriter};
use crate::rerun;
use crate::sandbox::{Sandbox, SandboxConfig, Seed};
use crate::settings::{RunSettings, Source, Target};
use crate::state::{self, LastRun, Lock, LockError, StateDir};
use crate::validate::{self, RowVerdict};

mod guards;
mod rows;
mod show;

use rows::{Ledger, excluded_row, identity, planned_row, stale_row, unreached_row, written_row};
use show::{confirm, show_plan};

/// What the run does once it has a plan.
#[derive(Debug, Clone, Copy)]
pub enum Mode {
    /// Report the plan; write nothing.
    Plan,
    Apply {
        concurrency: usize,
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

const TOKEN_HINT: &str = "get a new token in Tallyfy (Settings > Integrations > REST API); personal tokens expire after about 6 months and when their owner logs out of the web app";

pub async fn run(
    settings: RunSettings,
    mode: Mode,
    progress: Arc<dyn Progress>,
    stop: CancellationToken,
) -> Result<ExitCode, RunError> {
    let summary_json = settings.summary_json.clone();
    let mut end = RunEnd::default();
    let result = run_to_end(settings, mode, progress, stop, &mut end).await;
    match summary_json {
        None => result,
        Some(path) => {
            let json = end.to_json(mode, &result);
            match std::fs::write(&path, format!("{json:#}\n")) {
                Ok(()) => result,
                Err(e) => Err(RunError::new(format!(
                    "the run ended, but the summary could not be written to {}: {e}",
                    path.display()
                ))),
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
    let read = match read_source(&settings, progress.as_ref())? {
        Some(read) => read,
        None => return Ok(ExitCode::Success),
    };
    if let Some(refusal) = read.refusal {
        return Ok(refuse(&refusal));
    }
    let (mut verdicts, input_rows, recorded) = (read.verdicts, read.rows, read.recorded);
    let is_export = recorded.is_none();
    if let Some((report, outcomes)) = &settings.only_rows_from {
        let rows = rerun::rows_from_report(report, outcomes).map_err(RunError::new)?;
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
        Target::Sandbox => None,
    };
    end.org = state.map(|(_, org)| org.to_string());
    let _lock = match (mode, state) {
        (Mode::Apply { .. }, Some((dir, org))) => Some(take_lock(dir, org, progress.as_ref())?),
        _ => None,
    };

    // The report exists before the first request, so every row ends in it whatever happens next.
    let report_path = match &settings.report {
        Some(path) => path.clone(),
        None => default_report_path(settings.report_dir.as_deref().unwrap_or(Path::new(""))),
    };
    let report = ReportWriter::create(&report_path).map_err(|e| {
        RunError::new(format!(
            "cannot create the report {}: {e}",
            report_path.display()
        ))
        .hint("choose another path with --report (an existing report is never overwritten)")
    })?;
    progress.note(&format!("report: {}", report.path().display()));
    end.report = Some(report.path().to_path_buf());
    let mut ledger = Ledger::new(report, progress.clone());

    // The sandbox handle lives until the run ends; dropping it stops the server.
    let (_sandbox, connection) = connect(&settings.target).await?;
    let client = Client::new(&connection, settings.timeout).map_err(RunError::new)?;
    let engine = Arc::new(Engine::new(
        client,
        settings.rate,
        settings.retry.clone(),
        stop.clone(),
    ));

    progress.waiting("reading the organization's members");
    let members = match fetch::fetch_members(&engine).await {
        Ok(members) => members,
        Err(e) => {
            progress.finish();
            let (failure, reason) = if engine.token_refused() {
                let message = format!(
                    "the access token was refused (HTTP 401) while reading the member list of {}",
                    connection.org_id
                );
                (
                    Err(RunError::new(message).hint(TOKEN_HINT)),
                    "the access token was refused",
                )
            } else if stop.is_cancelled() {
                progress.note("interrupted while reading the member list; nothing was written");
                (Ok(ExitCode::Interrupted), "the run was interrupted")
            } else {
                let error = RunError::new(e.to_string())
                    .hint("check --base-url and --org, and that this machine can reach the API");
                (Err(error), "the member list could not be read")
            };
            for verdict in &verdicts {
                ledger.record(unreached_row(verdict, reason))?;
            }
            return failure;
        }
    };
    // Recorded changes (a saved plan, a rollback) apply only where the member still holds
    // what was recorded; the others are `stale`.
    let stale = match (&recorded, &settings.source) {
        (Some(recorded), source) => {
            let force = matches!(source, Source::Rollback { force: true, .. });
            stale_rows(recorded, &members, force)
        }
        _ => HashMap::new(),
    };
    if !stale.is_empty() {
        verdicts.retain(|v| !stale.contains_key(&verdict_row(v)));
    }
    let plans = plan::plan(&verdicts, &MemberIndex::new(&members));
    if let Some(recorded) = &recorded {
        for record in recorded.iter().filter(|r| stale.contains_key(&r.row)) {
            ledger.record(stale_row(record, &stale[&record.row]))?;
        }
    }
    save_plan(&settings, &plans, &connection, progress.as_ref())?;
    let excluded = guards::excluded_rows(&plans, &members, &settings.exclusions);
    show_plan(
        &plans,
        mode,
        members.len(),
        &connection.org_id,
        progress.as_ref(),
    );
    if !excluded.is_empty() {
        progress.note(&format!(
            "{} rows left alone: their members match --exclude",
            excluded.len()
        ));
    }
    let record_plans = |ledger: &mut Ledger, skip_updates: bool| -> Result<(), RunError> {
        for plan in &plans {
            match plan {
                RowPlan::Update(update) if excluded.contains_key(&update.row) => {
                    ledger.record(excluded_row(update, &excluded[&update.row]))?;
                }
                RowPlan::Update(_) if skip_updates => {}
                plan => ledger.record(planned_row(plan))?,
            }
        }
        Ok(())
    };

    let updates: Vec<Update> = match mode {
        Mode::Apply { .. } => plans
            .iter()
            .filter_map(|p| match p {
                RowPlan::Update(u) if !excluded.contains_key(&u.row) => Some(u.clone()),
                _ => None,
            })
            .collect(),
        Mode::Plan => Vec::new(),
    };
    if let Mode::Apply { guards: limits, .. } = mode {
        let last_rows = state
            .and_then(|(dir, org)| dir.last_run(org))
            .map(|r| r.rows);
        if let Err(refusal) = guards::check_apply(input_rows, last_rows, &updates, &members, limits)
        {
            record_plans(&mut ledger, false)?;
            let (_, summary) = ledger.into_parts();
            end.summary = Some(summary);
            return Ok(refuse(&refusal));
        }
    }
    // The sandbox touches nothing real, so a rehearsal is not interrupted by a question.
    if let Mode::Apply { yes: false, .. } = mode
        && !updates.is_empty()
        && !matches!(settings.target, Target::Sandbox)
        && std::io::stdin().is_terminal()
        && !confirm(updates.len(), &connection.org_id)
    {
        record_plans(&mut ledger, false)?;
        progress.note("nothing written: rows that would change are `planned` in the report");
        let (_, summary) = ledger.into_parts();
        end.summary = Some(summary);
        return Ok(ExitCode::Success);
    }

    progress.start_rows(plans.len() as u64);
    record_plans(&mut ledger, matches!(mode, Mode::Apply { .. }))?;

    if let Mode::Apply { concurrency, .. } = mode
        && !updates.is_empty()
    {
        progress.sending();
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
    summary.stats = engine.stats();
    summary.duration = started.elapsed();
    progress.note(&summary.to_string());
    end.summary = Some(summary.clone());
    // A run that reached its end is the size the source-shrink guard compares with next time.
    if let (Mode::Apply { .. }, Some((dir, org)), true) = (mode, state, is_export)
        && !engine.token_refused()
        && !stop.is_cancelled()
    {
        let last = LastRun {
            rows: input_rows,
            finished_at: jiff::Timestamp::now()
                .strftime("%Y-%m-%dT%H:%M:%SZ")
                .to_string(),
            report: report.path().display().to_string(),
        };
        if let Err(e) = dir.record_run(org, &last) {
            progress.note(&format!(
                "warning: cannot record this run in {}: {e}",
                dir.root().display()
            ));
        }
    }
    if engine.token_refused() {
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

/// What a run read: one verdict per row, and the recorded changes when it replays some.
struct SourceRead {
    verdicts: Vec<RowVerdict>,
    /// Rows read (for the source-shrink guard and the last-run record).
    rows: usize,
    recorded: Option<Vec<Recorded>>,
    /// A guard that refuses the input itself (an empty export).
    refusal: Option<guard::Refusal>,
}

/// Reads the run's source; `None` when there is nothing to do (an undo of a run that changed
/// nothing).
fn read_source(
    settings: &RunSettings,
    progress: &dyn Progress,
) -> Result<Option<SourceRead>, RunError> {
    let replay = |recorded: Vec<Recorded>| SourceRead {
        verdicts: recorded.iter().map(Recorded::verdict).collect(),
        rows: recorded.len(),
        recorded: Some(recorded),
        refusal: None,
    };
    match &settings.source {
        Source::Export { path, load } => {
            let table = ingest::load_with(path, load).map_err(|e| RunError {
                message: e.to_string(),
                hint: e.hint().map(str::to_string),
            })?;
            for line in crate::check::input_summary(&table) {
                progress.note(&line);
            }
            let rows = table.records.len();
            if let Err(refusal) = guard::check_not_empty(rows) {
                return Ok(Some(SourceRead {
                    verdicts: Vec::new(),
                    rows,
                    recorded: None,
                    refusal: Some(refusal),
                }));
            }
            let validation = validate::validate_all(&table);
            for line in crate::check::warning_lines(&validation.warnings, 20) {
                progress.note(&line);
            }
            Ok(Some(SourceRead {
                verdicts: validation.verdicts,
                rows,
                recorded: None,
                refusal: None,
            }))
        }
        Source::SavedPlan(path) => {
            let (org, url) = plan_identity(&settings.target);
            let plan = PlanFile::load(path, &org, &url).map_err(|message| {
                RunError::new(message)
                    .hint("make a new plan with `member-sync plan INPUT --out PLAN`")
            })?;
            progress.note(&format!(
                "plan of {} ({} members to change), made {} from {}",
                plan.org,
                plan.changes.len(),
                plan.created_at,
                plan.input.path
            ));
            Ok(Some(replay(plan.recorded().map_err(RunError::new)?)))
        }
        Source::None => Ok(None),
        Source::Rollback { report, .. } => {
            let undo = rollback::from_report(report).map_err(RunError::new)?;
            if undo.is_empty() {
                progress.note(&format!(
                    "{} has no `updated` row: nothing to undo",
                    report.display()
                ));
                return Ok(None);
            }
            progress.note(&format!(
                "undoing {} rows of {}",
                undo.len(),
                report.display()
            ));
            Ok(Some(replay(undo)))
        }
    }
}

/// The organization and API a saved plan is for. The in-process sandbox is always the same
/// fresh organization, whatever port it got.
fn plan_identity(target: &Target) -> (String, String) {
    match target {
        Target::Api(connection) => (
            connection.org_id.clone(),
            connection.base_url.as_str().to_string(),
        ),
        Target::Sandbox => (
            Seed::embedded().org_id.unwrap_or_default(),
            "sandbox".to_string(),
        ),
    }
}

/// `plan --out` / `--format json`.
fn save_plan(
    settings: &RunSettings,
    plans: &[RowPlan],
    connection: &Connection,
    progress: &dyn Progress,
) -> Result<(), RunError> {
    let output = &settings.plan_output;
    if output.file.is_none() && !output.json_to_stdout {
        return Ok(());
    }
    let Source::Export { path, .. } = &settings.source else {
        return Ok(());
    };
    let (_, url) = plan_identity(&settings.target);
    let plan = PlanFile::new(plans, &connection.org_id, &url, path).map_err(|e| {
        RunError::new(format!(
            "cannot read {} again to hash it: {e}",
            path.display()
        ))
    })?;
    let json = serde_json::to_string_pretty(&plan).expect("a plan serializes");
    if let Some(file) = &output.file {
        std::fs::write(file, format!("{json}\n")).map_err(|e| {
            RunError::new(format!("cannot write the plan to {}: {e}", file.display()))
        })?;
        progress.note(&format!(
            "plan saved to {} ({} members to change); apply it with `member-sync apply --plan {}`",
            file.display(),
            plan.changes.len(),
            file.display()
        ));
    }
    if output.json_to_stdout {
        println!("{json}");
    }
    Ok(())
}

/// Recorded rows whose member moved on: row → what changed. `force` keeps none.
fn stale_rows(recorded: &[Recorded], members: &[Member], force: bool) -> HashMap<usize, String> {
    if force {
        return HashMap::new();
    }
    let by_id: HashMap<u64, &Member> = members.iter().map(|m| (m.id, m)).collect();
    recorded
        .iter()
        .filter_map(|r| {
            let member = by_id.get(&r.member_id)?;
            Some((r.row, r.stale_reason(member)?))
        })
        .collect()
}

fn verdict_row(verdict: &RowVerdict) -> usize {
    match verdict {
        RowVerdict::Valid(valid) => valid.row,
        RowVerdict::Invalid(invalid) => invalid.row,
    }
}

/// Prints a guard's refusal (even with `-q`: it is an error) and gives its exit code.
fn refuse(refusal: &guard::Refusal) -> ExitCode {
    eprintln!("error: {refusal}; nothing was written");
    eprintln!("hint: {}", refusal.hint);
    ExitCode::GuardRefused
}

/// The per-org lock, or why not: another live run holds it (exit 1, naming the holder).
fn take_lock(dir: &StateDir, org: &str, progress: &dyn Progress) -> Result<Lock, RunError> {
    match dir.lock(org, state::this_process()) {
        Ok(lock) => {
            if let Some(stale) = &lock.took_over {
                progress.note(&format!(
                    "warning: took over the lock of a run that is gone ({stale})"
                ));
            }
            Ok(lock)
        }
        Err(e @ LockError::Held(_)) => Err(RunError::new(e.to_string()).hint(format!(
            "wait for it to finish; if that process is not running, delete the lock file in {}",
            dir.root().join("orgs").display()
        ))),
        Err(e) => Err(RunError::new(e.to_string())),
    }
}

/// What the summary JSON reports about a run, filled in as the run goes.
#[derive(Debug, Default)]
struct RunEnd {
    org: Option<String>,
    report: Option<PathBuf>,
    summary: Option<crate::report::Summary>,
}

impl RunEnd {
    fn to_json(&self, mode: Mode, result: &Result<ExitCode, RunError>) -> serde_json::Value {
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
        let stats = self.summary.as_ref().map(|s| s.stats).unwrap_or_default();
        serde_json::json!({
            "command": match mode { Mode::Plan => "plan", Mode::Apply { .. } => "apply" },
            "org": self.org,
            "exit_code": exit_code,
            "error": error,
            "rows": self.summary.as_ref().map(|s| s.rows()),
            "outcomes": outcomes,
            "requests": stats.requests,
            "retries": stats.retries,
            "throttled": stats.throttled,
            "duration_ms": self.summary.as_ref().map(|s| s.duration.as_millis() as u64),
            "report": self.report.as_ref().map(|p| p.display().to_string()),
            "finished_at": jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        })
    }
}

/// The connection to use, starting a sandbox first when asked to.
pub(crate) async fn connect(target: &Target) -> Result<(Option<Sandbox>, Connection), RunError> {
    match target {
        Target::Api(connection) => Ok((None, connection.clone())),
        Target::Sandbox => {
            let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
            let sandbox = Sandbox::start(SandboxConfig::default(), Seed::embedded(), addr)
                .await
                .map_err(|e| RunError::new(format!("cannot start the sandbox: {e}")))?;
            let connection = Connection {
                base_url: url::Url::parse(&sandbox.base_url()).expect("the sandbox's own URL"),
                org_id: sandbox.org_id().to_string(),
                token: SecretString::from(sandbox.token().to_string()),
            };
            Ok((Some(sandbox), connection))
        }
    }
}

/// `member-sync-report-20261124-021500.csv` in `dir` (empty: the current directory), never an
/// existing file.
fn default_report_path(dir: &Path) -> PathBuf {
    let stamp = jiff::ZonedDateTime::now()
        .strftime("%Y%m%d-%H%M%S")
        .to_string();
    let mut path = dir.join(format!("member-sync-report-{stamp}.csv"));
    let mut n = 2;
    while path.exists() {
        path = dir.join(format!("member-sync-report-{stamp}-{n}.csv"));
        n += 1;
    }
    path
}
