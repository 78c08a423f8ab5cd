//! The entry point behind `main`: turns a parsed command line into a run and its exit code.
//! Errors are printed here, once, as `error: ...` with an optional `hint: ...` line.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::cli::{Cli, Command};
use crate::exit_code::ExitCode;
use crate::progress::Progress;
use crate::sandbox_command;
use crate::settings::RunSettings;
use crate::sync::{self, Mode};

/// Runs a command to its end. `progress` is how the run talks to a person.
pub async fn run(cli: Cli, progress: Arc<dyn Progress>) -> ExitCode {
    let stop = CancellationToken::new();
    let on_interrupt = match cli.command {
        Command::Sandbox(_) => "interrupted: stopping the sandbox",
        _ => {
            "interrupted: finishing requests in flight and writing the report (Ctrl-C again to quit now)"
        }
    };
    watch_for_interrupt(stop.clone(), progress.clone(), on_interrupt);
    let (args, mode, against) = match cli.command {
        Command::Sandbox(args) => {
            return sandbox_command::serve(args, progress.as_ref(), stop).await;
        }
        Command::Plan(plan) => (plan.run, Mode::Plan, plan.against),
        Command::Apply(apply) => (
            apply.run,
            Mode::Apply {
                concurrency: crate::settings::resolve_concurrency(apply.concurrency),
                yes: apply.yes,
            },
            None,
        ),
    };
    let settings = match RunSettings::resolve_against(&args, against.as_deref()) {
        Ok(settings) => settings,
        Err(e) => return fail(&e.message, e.hint.as_deref()),
    };
    match sync::run(settings, mode, progress, stop).await {
        Ok(code) => code,
        Err(e) => fail(&e.message, e.hint.as_deref()),
    }
}

pub(crate) fn fail(message: &str, hint: Option<&str>) -> ExitCode {
    eprintln!("error: {message}");
    if let Some(hint) = hint {
        eprintln!("hint: {hint}");
    }
    ExitCode::CouldNotRun
}

/// First Ctrl-C: stop taking new rows, let in-flight requests finish, flush the report.
/// Second Ctrl-C: leave at once.
fn watch_for_interrupt(stop: CancellationToken, progress: Arc<dyn Progress>, note: &'static str) {
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_err() {
            return;
        }
        progress.note(note);
        stop.cancel();
        if tokio::signal::ctrl_c().await.is_ok() {
            std::process::exit(i32::from(ExitCode::Interrupted.code()));
        }
    });
}
