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

use crate::api::{Client, Connection};
use crate::execute::pool::apply_updates;
use crate::execute::{Engine, fetch};
use crate::exit_code::ExitCode;
use crate::ingest;
use crate::plan::{self, MemberIndex, RowPlan, Update};
use crate::progress::Progress;
use crate::report::{Outcome, ReportRow, ReportWriter};
use crate::sandbox::{Sandbox, SandboxConfig, Seed};
use crate::settings::{RunSettings, Target};
use crate::validate;

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
        concurrency: usize,
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
    let table = ingest::load_with(&settings.input, &settings.load).map_err(|e| RunError {
        message: e.to_string(),
        hint: e.hint().map(str::to_string),
    })?;
    for line in crate::check::input_summary(&table) {
        progress.note(&line);
    }
    let validation = validate::validate_all(&table);
    for line in crate::check::warning_lines(&validation.warnings, 20) {
        progress.note(&line);
    }
    let verdicts = validation.verdicts;

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
    let plans = plan::plan(&verdicts, &MemberIndex::new(&members));
    show_plan(
        &plans,
        mode,
        members.len(),
        &connection.org_id,
        progress.as_ref(),
    );

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
        && !confirm(updates.len(), &connection.org_id)
    {
        for plan in &plans {
            ledger.record(planned_row(plan))?;
        }
        progress.note("nothing written: rows that would change are `planned` in the report");
        return Ok(ExitCode::Success);
    }

    progress.start_rows(plans.len() as u64);
    for plan in &plans {
        if !matches!((plan, mode), (RowPlan::Update(_), Mode::Apply { .. })) {
            ledger.record(planned_row(plan))?;
        }
    }

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

/// The connection to use, starting a sandbox first when asked to.
async fn connect(target: &Target) -> Result<(Option<Sandbox>, Connection), RunError> {
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
